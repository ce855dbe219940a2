/**
 * `make diagram`: writes docs/architecture.md from the synthesized stacks of the default
 * environment (cdktf.out/env/hackathon/stacks, written by `make synth-all`).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../config/load";
import { DEFAULT_ENVIRONMENT } from "../../main";
import { readSynthesizedStacks, SynthesizedApp } from "../review/synthesized";
import { renderArchitecture } from "./architecture";

export const ARCHITECTURE_DOC = join(PROJECT_ROOT, "docs", "architecture.md");

if (require.main === module) {
  const stacks = readSynthesizedStacks(join(PROJECT_ROOT, "cdktf.out", "env", DEFAULT_ENVIRONMENT, "stacks"));
  writeFileSync(ARCHITECTURE_DOC, renderArchitecture(new SynthesizedApp(stacks), DEFAULT_ENVIRONMENT));
  process.stdout.write(`wrote ${ARCHITECTURE_DOC} from the ${DEFAULT_ENVIRONMENT} stacks\n`);
}
