/**
 * `make diagram`: writes docs/architecture.md from the synthesized stacks of the default
 * environment (cdktf.out/env/hackathon/stacks, written by `make synth-all`).
 *
 *   tsx scripts/diagram/main.ts [<stacks dir> <output file> <title>]
 *
 * The arguments draw other stacks (`make diagram-ecs-executor`: production with the ECS executor).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../config/load";
import { DEFAULT_ENVIRONMENT } from "../../main";
import { readSynthesizedStacks, SynthesizedApp } from "../review/synthesized";
import { renderArchitecture } from "./architecture";

export const ARCHITECTURE_DOC = join(PROJECT_ROOT, "docs", "architecture.md");

if (require.main === module) {
  const [dir, out, title] = process.argv.slice(2);
  const stacks = readSynthesizedStacks(dir ?? join(PROJECT_ROOT, "cdktf.out", "env", DEFAULT_ENVIRONMENT, "stacks"));
  const file = out ?? ARCHITECTURE_DOC;
  writeFileSync(file, renderArchitecture(new SynthesizedApp(stacks), title ?? DEFAULT_ENVIRONMENT));
  process.stdout.write(`wrote ${file} from ${dir ?? `the ${DEFAULT_ENVIRONMENT} stacks`}\n`);
}
