/**
 * `make diagram`: writes docs/architecture.md from the synthesized stacks of the default
 * environment (cdktf.out/env/hackathon/stacks, written by `make synth-all`), on Airflow 2.8, and
 * docs/architecture-production.md from production's, on Airflow 3.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../config/load";
import type { EnvironmentName } from "../../config/schema";
import { DEFAULT_ENVIRONMENT } from "../../main";
import { readSynthesizedStacks, SynthesizedApp } from "../review/synthesized";
import { renderArchitecture } from "./architecture";

export const ARCHITECTURE_DOC = join(PROJECT_ROOT, "docs", "architecture.md");

/** Each drawn environment and its page: the default one, and one on each other Airflow line. */
export const ARCHITECTURE_DOCS: Readonly<Partial<Record<EnvironmentName, string>>> = {
  [DEFAULT_ENVIRONMENT]: ARCHITECTURE_DOC,
  production: join(PROJECT_ROOT, "docs", "architecture-production.md"),
};

if (require.main === module) {
  for (const [environment, doc] of Object.entries(ARCHITECTURE_DOCS)) {
    const stacks = readSynthesizedStacks(join(PROJECT_ROOT, "cdktf.out", "env", environment, "stacks"));
    writeFileSync(doc, renderArchitecture(new SynthesizedApp(stacks), environment));
    process.stdout.write(`wrote ${doc} from the ${environment} stacks\n`);
  }
}
