/**
 * `make cost` on the Airflow 3 line: production prices its four Airflow services and the
 * api-server's private name, and `COMPARE=production@2.8` prices the same environment on 2.8.
 */
import { loadConfigOnLine } from "../../config/load";
import { STACK_IDS } from "../../stacks/app-stack";
import { amount, categoryTotals, type Estimate, estimate } from "../../tools/cost/estimate";
import { loadPrices } from "../../tools/cost/prices";
import { SynthesizedApp, type TfJson } from "../../tools/synthesized/synthesized";
import { type SynthesizedEnvironment, synthConfig, synthEnvironment } from "../helpers";

function estimateOf(env: SynthesizedEnvironment): Estimate {
  const stacks = Object.fromEntries(STACK_IDS.map((id) => [id, env.stack(id) as TfJson]));
  return estimate(new SynthesizedApp(stacks), env.config.costAssumptions, loadPrices(env.config.region));
}

const weeklyOf = (e: Estimate, label: RegExp) =>
  e.items.filter((i) => i.system === "airflow" && label.test(i.label)).map((i) => amount(i, "week", e));

describe("make cost on the Airflow 3 line", () => {
  let on33: Estimate;
  let on28: Estimate;
  let config: SynthesizedEnvironment["config"];
  beforeAll(() => {
    const env = synthEnvironment("production");
    config = env.config;
    on33 = estimateOf(env);
    on28 = estimateOf(synthConfig(loadConfigOnLine("production", "2.8")));
  });

  it("prices each Airflow 3 process as an ECS service of its configured size, and nothing is unpriced", () => {
    const { fargate } = loadPrices("us-east-1").prices;
    const hourly = (size: { cpu: number; memoryMiB: number }) =>
      (size.cpu / 1024) * fargate.vcpuHour.usd + (size.memoryMiB / 1024) * fargate.gbHour.usd;
    const week = config.costAssumptions.hoursPerWeek;
    const { webserver, scheduler, dagProcessor, triggerer } = config.airflow;
    const cents = (usd: number) => Math.round(usd * 100) / 100;
    expect(weeklyOf(on33, /api-server \(ECS service/)).toEqual([
      cents(hourly(webserver) * week * webserver.autoscaling.minCapacity),
    ]);
    expect(weeklyOf(on33, /-scheduler \(ECS service/)).toEqual([cents(hourly(scheduler) * week)]);
    expect(weeklyOf(on33, /-dag-processor \(ECS service/)).toEqual([cents(hourly(dagProcessor ?? scheduler) * week)]);
    expect(weeklyOf(on33, /-triggerer \(ECS service/)).toEqual([cents(hourly(triggerer ?? scheduler) * week)]);
    expect(on33.unpriced).toEqual([]);
  });

  it("prices the api-server's Cloud Map name: the hosted zone and one registered instance per task", () => {
    const item = on33.items.find((i) => /Cloud Map service api-server/.test(i.label));
    expect(item?.terms[0]).toMatchObject({ quantity: config.airflow.webserver.autoscaling.minCapacity, unit: "instances" });
    expect(on33.items.some((i) => /Cloud Map namespace alerta-utec-airflow\.internal/.test(i.label))).toBe(true);
    expect(on28.items.some((i) => /Cloud Map/.test(i.label))).toBe(false);
  });

  it("shows what 3.x adds over 2.8 in the same environment: the dag-processor, the triggerer and the private name", () => {
    const added = [/-dag-processor \(ECS/, /-triggerer \(ECS/, /Cloud Map/].flatMap((label) => weeklyOf(on33, label));
    expect(added).toHaveLength(4);
    const difference = (category: "Compute" | "Networking") =>
      categoryTotals(on33, "week", ["airflow"])[category] - categoryTotals(on28, "week", ["airflow"])[category];
    const byCategory = difference("Compute") + difference("Networking");
    expect(Math.abs(byCategory - added.reduce((a, b) => a + b, 0))).toBeLessThan(0.005);
    expect(weeklyOf(on28, /-webserver \(ECS/)).toEqual(weeklyOf(on33, /-api-server \(ECS/));
  });
});
