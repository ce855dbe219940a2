import { STACK_IDS } from "../../stacks/app-stack";
import {
  amount,
  categoryTotals,
  type Estimate,
  estimate,
  formula,
  type LineItem,
  seedScope,
  splitByStrategy,
  total,
} from "../../tools/cost/estimate";
import { loadPrices } from "../../tools/cost/prices";
import { renderComparison, renderReport } from "../../tools/cost/report";
import { SynthesizedApp, type TfJson } from "../../tools/synthesized/synthesized";
import { type SynthesizedEnvironment, synthEnvironment } from "../helpers";

/** Every stack the app synthesizes for the environment, by id. */
function stacksOf(env: SynthesizedEnvironment): Record<string, TfJson> {
  const stacks: Record<string, TfJson> = {};
  for (const id of STACK_IDS) stacks[id] = env.stack(id) as TfJson;
  return stacks;
}

function estimateOf(env: SynthesizedEnvironment): Estimate {
  return estimate(new SynthesizedApp(stacksOf(env)), env.config.costAssumptions, loadPrices(env.config.region));
}

/** The weekly amount of the one line item of `system` whose label matches. */
function weekly(e: Estimate, system: LineItem["system"], label: RegExp): number {
  const items = e.items.filter((i) => i.system === system && label.test(i.label));
  if (items.length !== 1) throw new Error(`${items.length} line items match ${label} for ${system}`);
  return amount(items[0], "week", e);
}

const withinACent = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(0.01 + 1e-9);

describe("make cost", () => {
  let hackathon: Estimate;
  let production: Estimate;
  beforeAll(() => {
    hackathon = estimateOf(synthEnvironment("hackathon"));
    production = estimateOf(synthEnvironment("production"));
  });

  describe("hackathon Airflow reproduces seed 000's Cost Breakdown", () => {
    // Seed 000, "Cost Breakdown", per week.
    const seedLineItems: [RegExp, number][] = [
      [/-webserver \(ECS service, FARGATE\)$/, 4.15],
      [/-scheduler \(ECS service, FARGATE_SPOT\)$/, 1.25],
      [/^alerta-utec-airflow \(RDS postgres db\.t3\.micro\)$/, 2.86],
      [/^alerta-utec-airflow storage \(gp2\)$/, 0.54],
      [/^NAT gateway /, 7.56],
      [/^NAT data processing$/, 0.45],
      [/^alerta-utec-airflow \(ALB\)$/, 3.78],
      [/^alerta-utec-airflow capacity units$/, 0.67],
      [/^EFS Standard/, 0.07],
      [/^S3 Standard/, 0.003],
      [/^CloudWatch Logs ingestion/, 2.5],
      [/^CloudWatch Logs storage$/, 0.035],
      [/^ECR storage/, 0.012],
    ];
    const seedCategories = { Compute: 5.4, Database: 3.4, Networking: 12.46, Storage: 0.07, "CloudWatch and other": 2.55 };
    // Seed 000 prices no alarm; the Airflow stack has four ($0.10 per alarm metric-month).
    const alarms = /^CloudWatch alarms \(4 alarms\)$/;

    it.each(seedLineItems)("prices %s within a cent of the seed's $%d", (label, seed) => {
      withinACent(weekly(hackathon, "airflow", label), seed);
    });

    it("prices the Spot scheduler at $1.24, a cent under the seed, which took 30% of the rounded $4.15", () => {
      expect(weekly(hackathon, "airflow", /-scheduler /)).toBe(1.24);
    });

    it("lists nothing the seed does not price except the four alarms, $0.09", () => {
      const seedOrAlarm = [...seedLineItems.map(([l]) => l), alarms];
      const extra = hackathon.items.filter((i) => i.system === "airflow" && !seedOrAlarm.some((l) => l.test(i.label)));
      expect(extra.map((i) => i.label)).toEqual([]);
      expect(weekly(hackathon, "airflow", alarms)).toBe(0.09);
    });

    it("adds up to the seed's categories within a cent, once the alarms the seed lacks are set apart", () => {
      const totals = categoryTotals(hackathon, "week", ["airflow"]);
      const alarmCost = weekly(hackathon, "airflow", alarms);
      for (const [category, seed] of Object.entries(seedCategories)) {
        const ours = category === "CloudWatch and other" ? totals[category] - alarmCost : totals[category as keyof typeof totals];
        withinACent(ours, seed);
      }
      withinACent(total(hackathon, "week", ["airflow"]) - alarmCost, 23.88);
      expect(total(hackathon, "week", ["airflow"])).toBe(23.96);
    });

    it("reproduces the seed's table at the seed's own prices, within a cent of $23.88, and names what lies beyond it", () => {
      const scope = seedScope(hackathon, "week", ["airflow"]);
      withinACent(scope.total, 23.88);
      expect(scope.beyond.map((i) => i.label)).toEqual(["CloudWatch alarms (4 alarms)"]);
    });

    it("shows each formula with its inputs", () => {
      const scheduler = hackathon.items.find((i) => /-scheduler /.test(i.label)) as LineItem;
      expect(formula(scheduler, "week", hackathon)).toBe(
        "(0.5 vCPU × $0.04048 + 1 GB × $0.004445)/h × 168 h × 1 task × 0.3 (Spot)",
      );
      const storage = hackathon.items.find((i) => i.label === "alerta-utec-airflow storage (gp2)") as LineItem;
      expect(formula(storage, "week", hackathon)).toBe("20 GB × $0.115/GB-month × 7/30");
    });

    it("counts the autoscaled webserver at its minimum capacity and says so", () => {
      const webserver = hackathon.items.find((i) => /-webserver /.test(i.label)) as LineItem;
      expect(webserver.note).toBe("autoscaled: minimum capacity 1 of 1-4");
    });

    it("gives Airflow the whole shared NAT gateway, because only its tasks run in private subnets", () => {
      const nat = hackathon.items.filter((i) => i.label.startsWith("NAT"));
      expect(nat.map((i) => [i.system, i.label, amount(i, "week", hackathon)])).toEqual([
        ["airflow", "NAT data processing", 0.45],
        ["airflow", "NAT gateway alerta-utec-nat-us-east-1a", 7.56],
      ]);
    });
  });

  describe("months and other environments", () => {
    it("prices a 30-day month: hours × 30/7, GB-month × 1, weekly usage × 30/7", () => {
      const line = (label: RegExp) => hackathon.items.find((i) => i.system === "airflow" && label.test(i.label)) as LineItem;
      expect(amount(line(/^NAT gateway/), "month", hackathon)).toBe(32.4); // 0.045 × 720 h
      expect(amount(line(/storage \(gp2\)$/), "month", hackathon)).toBe(2.3); // 20 × 0.115
      expect(amount(line(/^CloudWatch Logs ingestion/), "month", hackathon)).toBe(10.71); // 5 × 0.50 × 30/7
    });

    it("prices the video pipeline: public tasks, so no NAT share", () => {
      const video = hackathon.items.filter((i) => i.system === "video-pipeline");
      expect(video.some((i) => i.label.startsWith("NAT"))).toBe(false);
      expect(weekly(hackathon, "video-pipeline", /-worker \(ECS service, FARGATE\)$/)).toBe(16.59); // (2 × 0.04048 + 4 × 0.004445) × 168
    });

    it("doubles a Multi-AZ database and splits production's NAT gateways between both private systems", () => {
      expect(weekly(production, "airflow", /\(RDS postgres db\.t3\.micro, Multi-AZ\)$/)).toBe(5.71);
      const nat = production.items.filter((i) => i.label.startsWith("NAT gateway"));
      expect(nat).toHaveLength(4); // two gateways, half to each system
      expect(nat.every((i) => i.factors.some((f) => f.value === 0.5))).toBe(true);
    });

    it("prints the difference per category between two environments", () => {
      const text = renderComparison(
        { environment: "hackathon", estimate: hackathon },
        { environment: "production", estimate: production },
        "airflow",
      );
      const hackDb = categoryTotals(hackathon, "week", ["airflow"]).Database;
      const prodDb = categoryTotals(production, "week", ["airflow"]).Database;
      expect(text).toContain("per week");
      expect(text).toMatch(
        new RegExp(`Database +\\$${hackDb.toFixed(2)} +\\$${prodDb.toFixed(2)} +\\+\\$${(prodDb - hackDb).toFixed(2)}`),
      );
    });

    it("leaves no resource of any environment unpriced", () => {
      const learnerLab = estimateOf(synthEnvironment("learner-lab"));
      for (const e of [hackathon, production, learnerLab]) expect(e.unpriced).toEqual([]);
    });
  });

  describe("resources nobody has priced", () => {
    it("lists an unknown resource type as unpriced, with its count, never dropping it", () => {
      const stacks = {
        extra: {
          provider: { aws: [{ default_tags: [{ tags: { system: "airflow" } }] }] },
          resource: { aws_fsx_lustre_file_system: { a: {}, b: {} }, aws_vpc: { v: {} } },
        },
      };
      const e = estimate(new SynthesizedApp(stacks), hackathon.assumptions, hackathon.prices);
      expect(e.unpriced).toEqual([
        {
          system: "airflow",
          type: "aws_fsx_lustre_file_system",
          addresses: ["extra/aws_fsx_lustre_file_system.a", "extra/aws_fsx_lustre_file_system.b"],
          reason: "no price in the price list yet",
        },
      ]);
      expect(e.free.map((g) => g.type)).toEqual(["aws_vpc"]);
      expect(renderReport(e, "hackathon", "airflow")).toContain("2 × aws_fsx_lustre_file_system: no price in the price list yet");
    });

    it("lists a database class missing from the price list as unpriced", () => {
      const stacks = {
        extra: {
          resource: { aws_db_instance: { db: { engine: "postgres", instance_class: "db.r7g.large", allocated_storage: 20 } } },
        },
      };
      const e = estimate(new SynthesizedApp(stacks), hackathon.assumptions, hackathon.prices);
      expect(e.unpriced.map((g) => g.reason)).toEqual(["postgres db.r7g.large: no price yet"]);
    });
  });

  it("splits tasks between capacity providers by base, then weight", () => {
    expect(
      splitByStrategy(4, [
        { capacity_provider: "FARGATE", base: 1, weight: 1 },
        { capacity_provider: "FARGATE_SPOT", weight: 2 },
      ]),
    ).toEqual([
      { provider: "FARGATE", tasks: 2 },
      { provider: "FARGATE_SPOT", tasks: 2 },
    ]);
  });
});
