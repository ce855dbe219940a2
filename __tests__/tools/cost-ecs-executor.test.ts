import { join } from "node:path";
import { STACK_IDS } from "../../stacks/app-stack";
import { dagSchedules, runsPerWeek, taskRunsPerWeek } from "../../tools/cost/dag-schedules";
import { amount, type Estimate, estimate, formula, total, type Workload } from "../../tools/cost/estimate";
import { loadPrices } from "../../tools/cost/prices";
import { SynthesizedApp, type TfJson } from "../../tools/synthesized/synthesized";
import { type SynthesizedEnvironment, synthEnvironment } from "../helpers";

const DAGS = join(__dirname, "..", "..", "dags");
const workload = (): Workload => ({ taskRunsPerWeek: taskRunsPerWeek(dagSchedules(DAGS)), source: "dags/" });

/** `withWorkload: false` prices the stacks as a caller that passes no DAG schedules. */
function estimateOf(env: SynthesizedEnvironment, withWorkload = true): Estimate {
  const stacks: Record<string, TfJson> = {};
  for (const id of STACK_IDS) stacks[id] = env.stack(id) as TfJson;
  const app = new SynthesizedApp(stacks);
  return estimate(app, env.config.costAssumptions, loadPrices(env.config.region), withWorkload ? workload() : undefined);
}
const workers = (e: Estimate) => e.items.filter((i) => /ECS executor workers/.test(i.label));

describe("the DAGs' schedules", () => {
  it("counts each schedule's runs in a week, minute by minute", () => {
    expect(runsPerWeek("*/5 * * * *")).toBe(2016);
    expect(runsPerWeek("*/10 * * * *")).toBe(1008);
    expect(runsPerWeek("0 */6 * * *")).toBe(28);
    expect(runsPerWeek("0 8 * * *")).toBe(7);
    expect(runsPerWeek("@daily")).toBe(7);
    expect(runsPerWeek("30 9 * * 1-5")).toBe(5);
  });

  it("refuses what it cannot count instead of guessing", () => {
    expect(() => runsPerWeek("0 0 1 * *")).toThrow('unsupported schedule "0 0 1 * *": day-of-month and month must be *');
    expect(() => runsPerWeek("@monthly")).toThrow(/unsupported schedule "@monthly"/);
  });

  it("reads the five DAGs, one task each: 3066 task instances a week", () => {
    const schedules = dagSchedules(DAGS);
    expect(schedules.map((s) => [s.file, s.runsPerWeek, s.tasksPerRun])).toEqual([
      ["incident_classifier.py", 2016, 1],
      ["incidents_backup.py", 7, 1],
      ["metrics_analyzer.py", 28, 1],
      ["notification_dispatcher.py", 1008, 1],
      ["report_generator.py", 7, 1],
    ]);
    expect(taskRunsPerWeek(schedules)).toBe(3066);
  });
});

describe("make cost with the ECS executor", () => {
  let ecs: SynthesizedEnvironment;
  let local: SynthesizedEnvironment;
  beforeAll(() => {
    ecs = synthEnvironment("production", (config) => {
      config.airflow.executor = "AwsEcsExecutor";
      config.airflow.ecsExecutor.worker.capacityProvider = "FARGATE_SPOT";
    });
    local = synthEnvironment("production");
  });

  it("prices one worker task per task instance, for the assumed minutes, at the Spot rate the executor asks for", () => {
    const e = estimateOf(ecs);
    const [item] = workers(e);
    expect(workers(e)).toHaveLength(1);
    expect(item.label).toBe("alerta-utec-airflow-worker (ECS executor workers, FARGATE_SPOT)");
    // 3066 runs × 2 min = 102.2 task-hours of 0.5 vCPU and 1 GB.
    expect(item.terms.map((t) => [t.unit, Number(t.quantity.toFixed(6))])).toEqual([
      ["vCPU-h", 51.1],
      ["GB-h", 102.2],
    ]);
    expect(formula(item, "week", e)).toBe("(51.1 vCPU-h × $0.04048 + 102.2 GB-h × $0.004445) × 0.3 (Spot)");
    expect(amount(item, "week", e)).toBe(0.76);
    expect(item.note).toContain("3066 task runs a week");
  });

  it("costs production exactly the workers' line more than production as committed, which has none", () => {
    const withWorkers = estimateOf(ecs);
    const without = estimateOf(local);
    expect(workers(without)).toEqual([]);
    const systems = ["airflow", "video-pipeline", "shared"] as const;
    expect(Number((total(withWorkers, "week", systems) - total(without, "week", systems)).toFixed(2))).toBe(
      amount(workers(withWorkers)[0], "week", withWorkers),
    );
  });

  it("scales the runs to the hours an environment is assumed up, and the minutes to costAssumptions", () => {
    const e = estimateOf(ecs);
    const half = estimate(
      new SynthesizedApp(Object.fromEntries(STACK_IDS.map((id) => [id, ecs.stack(id) as TfJson]))),
      { ...ecs.config.costAssumptions, hoursPerWeek: 84, ecsWorkerTaskMinutes: 4 },
      loadPrices("us-east-1"),
      workload(),
    );
    expect(workers(half)[0].terms[0].quantity).toBeCloseTo(workers(e)[0].terms[0].quantity, 9);
    expect(workers(half)[0].note).toContain("1533 task runs a week (dags/, 84 of 168 h) × 4 min");
  });

  it("leaves the workers unpriced, and says why, without the DAGs' schedules", () => {
    const e = estimateOf(ecs, false);
    expect(workers(e)).toEqual([]);
    expect(e.unpriced).toContainEqual(
      expect.objectContaining({ type: "aws_ecs_task_definition", reason: "ECS executor workers: no DAG schedules given" }),
    );
  });
});
