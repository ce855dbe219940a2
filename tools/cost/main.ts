/**
 * `make cost`: the weekly and monthly cost of one environment's synthesized stacks
 * (cdktf.out/env/<environment>/stacks, written by `make synth-all`), or the difference between
 * two environments. Either may be `<environment>@<Airflow line>`: that environment as if its
 * config chose the other line (config/load.ts loadConfigOnLine), synthesized here into
 * cdktf.out/env/<environment>@<line>, e.g. `--compare production@2.8` prices production's move
 * to Airflow 3.
 *
 *   tsx tools/cost/main.ts <environment>[@line] [--system airflow|video-pipeline|all] [--compare <environment>[@line]]
 *                            [--compare-config-dir <dir> --compare-stacks-dir <dir> --compare-label <name>]
 *
 * The --compare-* options price the compared environment from another config folder and its
 * synthesized stacks (`make cost-ecs-executor`: production with the ECS executor on).
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { App } from "cdktf";
import { AIRFLOW_LINE_NAMES } from "../../config/airflow-lines";
import { ConfigError, loadConfig, loadConfigOnLine, PROJECT_ROOT } from "../../config/load";
import { ENVIRONMENTS } from "../../config/schema";
import { buildApp } from "../../main";
import { readSynthesizedStacks, SynthesizedApp } from "../synthesized/synthesized";
import { dagSchedules, taskRunsPerWeek } from "./dag-schedules";
import { type Estimate, estimate, type Workload } from "./estimate";
import { loadPrices } from "./prices";
import { renderComparison, renderReport, type SystemSelection } from "./report";

const SELECTIONS: readonly SystemSelection[] = ["airflow", "video-pipeline", "all"];
const root = PROJECT_ROOT;

/** The DAGs' task runs a week, from their schedules: what the ECS executor's workers cost. */
function dagWorkload(): Workload {
  const schedules = dagSchedules(join(root, "dags"));
  return { taskRunsPerWeek: taskRunsPerWeek(schedules), source: `schedules of ${schedules.length} DAGs in dags/` };
}

/** `production` or `production@2.8`. */
function parseTarget(target: string): { environment: string; line?: string } {
  const [environment, line] = target.split("@", 2);
  return { environment, line };
}

/** `dirs`: price the target from another config folder and its synthesized stacks instead. */
function estimateOf(target: string, dirs: { config?: string; stacks?: string } = {}): Estimate {
  const { environment, line } = parseTarget(target);
  const outdir = join(root, "cdktf.out", "env", target);
  const config = line === undefined ? loadConfig(environment, dirs.config) : loadConfigOnLine(environment, line, dirs.config);
  if (line !== undefined) {
    rmSync(outdir, { recursive: true, force: true });
    buildApp(new App({ outdir }), config).synth();
  }
  const app = new SynthesizedApp(readSynthesizedStacks(dirs.stacks ?? join(outdir, "stacks")));
  return estimate(app, config.costAssumptions, loadPrices(config.region), dagWorkload());
}

function main(argv: string[]): number {
  const problems: string[] = [];
  const [environment, ...rest] = argv;
  let system: SystemSelection = "all";
  let compare: string | undefined;
  const dirs: { config?: string; stacks?: string } = {};
  let label: string | undefined;
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1] ?? ""];
    if (flag === "--system") system = value as SystemSelection;
    else if (flag === "--compare") compare = value || undefined;
    else if (flag === "--compare-config-dir") dirs.config = value;
    else if (flag === "--compare-stacks-dir") dirs.stacks = value;
    else if (flag === "--compare-label") label = value;
    else problems.push(`unknown argument ${flag}`);
  }
  const expected = `${ENVIRONMENTS.join(", ")}, each optionally @${AIRFLOW_LINE_NAMES.join(" or @")}`;
  const known = (target: string | undefined) => {
    const { environment: env, line } = parseTarget(target ?? "");
    return (
      (ENVIRONMENTS as readonly string[]).includes(env) && (line === undefined || (AIRFLOW_LINE_NAMES as string[]).includes(line))
    );
  };
  if (!known(environment)) problems.push(`DEPLOY_ENV: "${environment ?? ""}" is not an environment (expected ${expected})`);
  if (!SELECTIONS.includes(system)) problems.push(`SYSTEM: "${system}" is not a system (expected ${SELECTIONS.join(", ")})`);
  if (compare !== undefined && !known(compare)) {
    problems.push(`COMPARE: "${compare}" is not an environment (expected ${expected})`);
  }
  if (problems.length > 0) {
    process.stderr.write(`make cost:\n  ${problems.join("\n  ")}\n`);
    return 2;
  }

  if ((dirs.config === undefined) !== (dirs.stacks === undefined)) {
    problems.push("--compare-config-dir and --compare-stacks-dir go together");
  }
  if (problems.length > 0) {
    process.stderr.write(`make cost:\n  ${problems.join("\n  ")}\n`);
    return 2;
  }

  const base = estimateOf(environment);
  process.stdout.write(renderReport(base, environment, system));
  if (compare !== undefined) {
    process.stdout.write(
      `\n${renderComparison({ environment, estimate: base }, { environment: label ?? compare, estimate: estimateOf(compare, dirs) }, system)}`,
    );
  }
  if (base.unpriced.length > 0) process.stderr.write("make cost: some resources are unpriced (listed above)\n");
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`Invalid configuration: ${error.message}\n`);
  } else {
    process.stderr.write(`make cost: ${(error as Error).message}\n`);
  }
  process.exitCode = 1;
}
