/**
 * `make diagram`: writes docs/architecture.md from the synthesized stacks of the default
 * environment (cdktf.out/env/hackathon/stacks, written by `make synth-all`), on Airflow 2.8, and
 * docs/architecture-production.md from production's, on Airflow 3.
 *
 *   tsx tools/diagram/main.ts [<stacks dir> <output file> <title>]
 *
 * The arguments draw other stacks instead (`make diagram-ecs-executor`: production with the ECS executor).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../config/load";
import type { EnvironmentName } from "../../config/schema";
import { DEFAULT_ENVIRONMENT } from "../../main";
import { readSynthesizedStacks, SynthesizedApp } from "../synthesized/synthesized";
import { renderArchitecture } from "./architecture";

export const ARCHITECTURE_DOC = join(PROJECT_ROOT, "docs", "architecture.md");

/** Each drawn environment and its page: the default one, and one on each other Airflow line. */
export const ARCHITECTURE_DOCS: Readonly<Partial<Record<EnvironmentName, string>>> = {
  [DEFAULT_ENVIRONMENT]: ARCHITECTURE_DOC,
  production: join(PROJECT_ROOT, "docs", "architecture-production.md"),
};

if (require.main === module) {
  const [dir, out, title] = process.argv.slice(2);
  const drawings = dir
    ? { [title ?? dir]: { stacksDir: dir, doc: out ?? ARCHITECTURE_DOC } }
    : Object.fromEntries(
        Object.entries(ARCHITECTURE_DOCS).map(([environment, doc]) => [
          environment,
          { stacksDir: join(PROJECT_ROOT, "cdktf.out", "env", environment, "stacks"), doc },
        ]),
      );
  for (const [name, { stacksDir, doc }] of Object.entries(drawings)) {
    writeFileSync(doc, renderArchitecture(new SynthesizedApp(readSynthesizedStacks(stacksDir)), name));
    process.stdout.write(`wrote ${doc} from ${stacksDir}\n`);
  }
}
