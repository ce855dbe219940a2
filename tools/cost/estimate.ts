/**
 * The cost of an environment, derived from its synthesized stacks: what runs (ECS services and
 * their task sizes, databases, NAT gateways, load balancers, file systems, buckets, log groups,
 * repositories, alarms) times the price list times the environment's usage assumptions
 * (`costAssumptions` in config/<environment>.json).
 *
 * Quantities:
 * - ECS service: its desired count; an autoscaled service at its minimum capacity. Task vCPU and
 *   GB from the task definition; tasks on FARGATE_SPOT get the Spot discount.
 * - ECS executor workers (a task definition no service runs, named by a scheduler's
 *   AIRFLOW__AWS_ECS_EXECUTOR__TASK_DEFINITION): one task per task instance the DAGs start in a
 *   week (their schedules, scaled to the assumed hours per week) times the assumed billed minutes
 *   of one task (`costAssumptions.ecsWorkerTaskMinutes`), on the capacity provider the executor
 *   asks for.
 * - RDS: instance class hourly rate and allocated storage, both twice with Multi-AZ.
 * - NAT gateway and load balancer: per hour; ALB capacity units and NAT data from the assumptions.
 * - EFS, S3, ECR, CloudWatch Logs: the assumed GB per system, over the system's resources of that
 *   kind (one line each, listing them). Alarms: per metric each alarm evaluates.
 *
 * Attribution. Every resource belongs to the system of its `system` tag (the stack's default tag
 * unless the resource sets its own): airflow, video-pipeline or shared. The usage assumptions are
 * per system. A shared NAT gateway belongs to the systems whose ECS tasks run in subnets that
 * route through it, split evenly between them, and each of those systems pays NAT data processing
 * for its own assumed traffic. In hackathon only Airflow's tasks are private, so Airflow carries
 * the whole NAT gateway, as seed 000 counts it. A NAT gateway no task routes through stays shared.
 *
 * Rounding: each line item is rounded to cents, and categories and totals add the rounded items
 * (seed 000 does the same). A week is 7 days and a month 30: hourly items run the assumed
 * hours per week (times 30/7 for a month), GB-month prices take 7/30 of a month for a week, and
 * weekly usage (GB ingested, NAT data) takes 30/7 weeks for a month.
 */
import type { Config } from "../../config/schema";
import { type Resource, SYSTEMS, type SynthesizedApp, type SystemName } from "../synthesized/synthesized";
import type { PriceList } from "./prices";

export const CATEGORIES = ["Compute", "Database", "Networking", "Storage", "CloudWatch and other"] as const;
export type Category = (typeof CATEGORIES)[number];
export type Period = "week" | "month";
export type CostAssumptions = Config["costAssumptions"];

/** The price file's `source` of the prices seed 000 itself uses. */
export const SEED_PRICE_SOURCE = "seed-000";

/** A term's unit price and where it comes from, read from one price-file entry. */
function pricedAt(price: { readonly usd: number; readonly source: string }): Pick<Term, "unitPrice" | "source"> {
  return { unitPrice: price.usd, source: price.source };
}

/** How a term's quantity turns into money over a period. */
export type Basis = "hour" | "month" | "weekly-usage";

/** quantity × unit price, over the period as `basis` says. */
export interface Term {
  readonly quantity: number;
  readonly unit: string;
  readonly unitPrice: number;
  /** Where the unit price comes from (the price file's `source`): "seed-000" or an AWS page. */
  readonly source: string;
  readonly basis: Basis;
}

/** A multiplier of the whole line: task count, Spot discount, Multi-AZ, share of a shared resource. */
export interface Factor {
  readonly value: number;
  readonly label: string;
}

export interface LineItem {
  readonly system: SystemName;
  readonly category: Category;
  /** What is priced, e.g. `alerta-utec-airflow-webserver (ECS service, FARGATE)`. */
  readonly label: string;
  /** Addresses (`<stack>/<type>.<name>`) of the resources the line prices. */
  readonly resources: readonly string[];
  readonly terms: readonly Term[];
  readonly factors: readonly Factor[];
  /** Why the quantity is what it is (e.g. "autoscaled: minimum capacity 1 of 1-4"). */
  readonly note?: string;
}

/** Resources that are not line items, grouped by type: free, per request, not modelled, unpriced. */
export interface Unestimated {
  readonly system: SystemName;
  readonly type: string;
  readonly addresses: readonly string[];
  readonly reason: string;
}

/** How much the DAGs run: what prices the ECS executor's worker tasks. */
export interface Workload {
  /** Task instances the DAGs start in a week of 168 hours. */
  readonly taskRunsPerWeek: number;
  /** Where the figure comes from, for the report (e.g. "schedules of 5 DAGs in dags/"). */
  readonly source: string;
}

export interface Estimate {
  readonly items: readonly LineItem[];
  readonly free: readonly Unestimated[];
  readonly perRequest: readonly Unestimated[];
  readonly notModelled: readonly Unestimated[];
  /** Resources nobody has priced yet: a type missing from the price list, or a size it lacks. */
  readonly unpriced: readonly Unestimated[];
  readonly assumptions: CostAssumptions;
  readonly prices: PriceList;
}

const cents = (usd: number): number => Math.round(Number((usd * 100).toPrecision(12))) / 100;

/** Multiplier of a term's basis over a period. */
export function basisFactor(basis: Basis, period: Period, assumptions: CostAssumptions, monthDays: number): number {
  const weeksPerMonth = monthDays / 7;
  switch (basis) {
    case "hour":
      return period === "week" ? assumptions.hoursPerWeek : assumptions.hoursPerWeek * weeksPerMonth;
    case "month":
      return period === "week" ? 1 / weeksPerMonth : 1;
    case "weekly-usage":
      return period === "week" ? 1 : weeksPerMonth;
  }
}

/** The line's cost over the period, rounded to cents. */
export function amount(item: LineItem, period: Period, estimate: Pick<Estimate, "assumptions" | "prices">): number {
  const { assumptions, prices } = estimate;
  const sum = item.terms.reduce(
    (total, t) => total + t.quantity * t.unitPrice * basisFactor(t.basis, period, assumptions, prices.monthDays),
    0,
  );
  return cents(item.factors.reduce((total, f) => total * f.value, sum));
}

/** Sum of rounded line items, by category, for the systems selected. */
export function categoryTotals(estimate: Estimate, period: Period, systems: readonly SystemName[]): Record<Category, number> {
  const totals = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  for (const item of estimate.items) {
    if (systems.includes(item.system)) totals[item.category] = cents(totals[item.category] + amount(item, period, estimate));
  }
  return totals;
}

/** The line items priced only at seed 000's own prices, and the rest: how the seed's table maps onto ours. */
export function seedScope(
  estimate: Estimate,
  period: Period,
  systems: readonly SystemName[],
): { total: number; beyond: readonly LineItem[] } {
  const items = estimate.items.filter((i) => systems.includes(i.system));
  const inSeed = (i: LineItem) => i.terms.every((t) => t.source === SEED_PRICE_SOURCE);
  const cents = items.filter(inSeed).reduce((sum, i) => sum + Math.round(amount(i, period, estimate) * 100), 0);
  return { total: cents / 100, beyond: items.filter((i) => !inSeed(i)) };
}

export function total(estimate: Estimate, period: Period, systems: readonly SystemName[]): number {
  return cents(Object.values(categoryTotals(estimate, period, systems)).reduce((a, b) => a + b, 0));
}

const num = (value: unknown): number | undefined => {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
};
const list = <T = Record<string, unknown>>(value: unknown): T[] =>
  (Array.isArray(value) ? value : value && typeof value === "object" ? [value] : []) as T[];
/** A number without trailing zeros: 0.5, 0.04048, 168. */
const fmt = (n: number): string => String(Number(n.toPrecision(10)));

interface CapacityShare {
  readonly provider: string;
  readonly tasks: number;
}

/** Tasks per capacity provider: `base` tasks first, the rest split by weight (ECS's own rule). */
export function splitByStrategy(
  tasks: number,
  strategy: readonly { capacity_provider?: unknown; weight?: unknown; base?: unknown }[],
) {
  const entries = strategy.map((s) => ({
    provider: String(s.capacity_provider),
    weight: num(s.weight) ?? 0,
    base: num(s.base) ?? 0,
  }));
  const shares = new Map<string, number>();
  let left = tasks;
  for (const e of entries) {
    const base = Math.min(e.base, left);
    shares.set(e.provider, (shares.get(e.provider) ?? 0) + base);
    left -= base;
  }
  const weights = entries.reduce((sum, e) => sum + e.weight, 0);
  for (const e of entries) {
    if (weights > 0) shares.set(e.provider, (shares.get(e.provider) ?? 0) + (left * e.weight) / weights);
  }
  return [...shares.entries()].filter(([, n]) => n > 0).map(([provider, n]): CapacityShare => ({ provider, tasks: n }));
}

class Estimator {
  private readonly items: LineItem[] = [];
  private readonly unestimated = {
    free: new Map<string, Unestimated>(),
    perRequest: new Map<string, Unestimated>(),
    notModelled: new Map<string, Unestimated>(),
    unpriced: new Map<string, Unestimated>(),
  };
  /** Per system and kind, the resources a usage assumption is spread over. */
  private readonly usage = new Map<string, Resource[]>();
  /** Systems whose tasks route through each NAT gateway (by address). */
  private readonly natUsers: Map<string, Set<SystemName>>;

  constructor(
    private readonly app: SynthesizedApp,
    private readonly assumptions: CostAssumptions,
    private readonly prices: PriceList,
    private readonly workload?: Workload,
  ) {
    this.natUsers = this.natGatewayUsers();
  }

  run(): Estimate {
    for (const resource of this.app.resources()) {
      const pricer = this.pricers[resource.type];
      if (pricer) pricer(resource);
      else this.classify(resource);
    }
    this.usageItems();
    const sorted = (m: Map<string, Unestimated>) =>
      [...m.values()].sort((a, b) => a.type.localeCompare(b.type) || a.system.localeCompare(b.system));
    const order = (i: LineItem) => SYSTEMS.indexOf(i.system);
    return {
      items: [...this.items].sort((a, b) => order(a) - order(b) || a.label.localeCompare(b.label)),
      free: sorted(this.unestimated.free),
      perRequest: sorted(this.unestimated.perRequest),
      notModelled: sorted(this.unestimated.notModelled),
      unpriced: sorted(this.unestimated.unpriced),
      assumptions: this.assumptions,
      prices: this.prices,
    };
  }

  /** A type without a pricer: what the price list says about it, or unpriced. */
  private classify(resource: Resource): void {
    const { free, perRequest, notModelled } = this.prices;
    if (Object.hasOwn(free, resource.type)) this.note("free", resource, free[resource.type]);
    else if (Object.hasOwn(perRequest, resource.type)) this.note("perRequest", resource, perRequest[resource.type]);
    else if (Object.hasOwn(notModelled, resource.type)) this.note("notModelled", resource, notModelled[resource.type]);
    else this.note("unpriced", resource, "no price in the price list yet");
  }

  private note(kind: keyof Estimator["unestimated"], resource: Resource, reason: string, system = resource.system): void {
    const key = `${resource.type}\0${system}\0${reason}`;
    const group = this.unestimated[kind].get(key);
    const addresses = [...(group?.addresses ?? []), resource.address];
    this.unestimated[kind].set(key, { system, type: resource.type, addresses, reason });
  }

  private add(item: LineItem): void {
    this.items.push(item);
  }

  private collect(kind: string, resource: Resource, system = resource.system): void {
    const key = `${system}\0${kind}`;
    this.usage.set(key, [...(this.usage.get(key) ?? []), resource]);
  }

  private readonly pricers: Record<string, (r: Resource) => void> = {
    aws_ecs_service: (r) => this.ecsService(r),
    aws_ecs_task_definition: (r) => this.taskDefinition(r),
    aws_db_instance: (r) => this.database(r),
    aws_nat_gateway: (r) => this.natGateway(r),
    aws_lb: (r) => this.loadBalancer(r),
    aws_efs_file_system: (r) => this.collect("efs", r),
    aws_s3_bucket: (r) => this.collect("s3", r),
    aws_cloudwatch_log_group: (r) => {
      const logClass = r.config.log_group_class;
      if (logClass !== undefined && logClass !== "STANDARD") this.note("unpriced", r, `log group class ${String(logClass)}`);
      else this.collect("logs", r);
    },
    aws_ecr_repository: (r) => this.collect("ecr", r),
    aws_service_discovery_private_dns_namespace: (r) => this.dnsNamespace(r),
    aws_service_discovery_service: (r) => this.discoveryService(r),
    aws_cloudwatch_metric_alarm: (r) => this.collect("alarms", r),
    aws_ssm_parameter: (r) => {
      const tier = r.config.tier ?? "Standard";
      if (tier === "Standard") this.classify(r);
      else this.ssmAdvanced(r);
    },
    aws_vpc_endpoint: (r) => {
      const type = r.config.vpc_endpoint_type ?? "Gateway";
      if (type === "Gateway") this.classify(r);
      else this.note("unpriced", r, `${String(type)} endpoint: no price in the price list yet`);
    },
    aws_ecs_cluster: (r) => {
      const insights = list<{ name?: unknown; value?: unknown }>(r.config.setting).find((s) => s.name === "containerInsights");
      if (insights === undefined || insights.value === "disabled") this.classify(r);
      else this.note("unpriced", r, `Container Insights ${String(insights.value)}: its metrics are not priced yet`);
    },
    aws_dynamodb_table: (r) => {
      if (r.config.billing_mode === "PAY_PER_REQUEST") this.classify(r);
      else this.note("unpriced", r, `billing mode ${String(r.config.billing_mode ?? "PROVISIONED")}: no price yet`);
    },
  };

  // ---- Compute -------------------------------------------------------------------------------

  private ecsService(service: Resource): void {
    const { fargate } = this.prices.prices;
    const name = String(service.config.name ?? service.name);
    const [taskDefinition] = this.app.referencedOfType(service.stack, service.config.task_definition, "aws_ecs_task_definition");
    const cpu = num(taskDefinition?.config.cpu);
    const memory = num(taskDefinition?.config.memory);
    const arch = list<{ cpu_architecture?: unknown }>(taskDefinition?.config.runtime_platform)[0]?.cpu_architecture;
    if (!taskDefinition || cpu === undefined || memory === undefined) {
      this.note("unpriced", service, "task definition without cpu and memory");
      return;
    }
    if (arch !== undefined && arch !== "X86_64") {
      this.note("unpriced", service, `${String(arch)} tasks: no price yet`);
      return;
    }

    const { tasks, note } = this.serviceTasks(service);

    let strategy = list<Record<string, unknown>>(service.config.capacity_provider_strategy);
    if (strategy.length === 0 && service.config.launch_type === undefined) strategy = this.clusterDefaultStrategy(service);
    if (strategy.length === 0) {
      const launchType = String(service.config.launch_type ?? "FARGATE");
      if (launchType !== "FARGATE") {
        this.note("unpriced", service, `launch type ${launchType}: no price yet`);
        return;
      }
      strategy = [{ capacity_provider: "FARGATE", weight: 1, base: 0 }];
    }

    const vcpu = cpu / 1024;
    const gb = memory / 1024;
    for (const share of splitByStrategy(tasks, strategy)) {
      if (share.provider !== "FARGATE" && share.provider !== "FARGATE_SPOT") {
        this.note("unpriced", service, `capacity provider ${share.provider}: no price yet`);
        continue;
      }
      const spot = share.provider === "FARGATE_SPOT";
      const factors: Factor[] = [{ value: share.tasks, label: share.tasks === 1 ? "1 task" : `${fmt(share.tasks)} tasks` }];
      if (spot)
        factors.push({ value: 1 - fargate.spotDiscount.fraction, label: `${fmt(1 - fargate.spotDiscount.fraction)} (Spot)` });
      this.add({
        system: service.system,
        category: "Compute",
        label: `${name} (ECS service, ${share.provider})`,
        resources: [service.address, taskDefinition.address],
        terms: [
          { quantity: vcpu, unit: "vCPU", ...pricedAt(fargate.vcpuHour), basis: "hour" },
          { quantity: gb, unit: "GB", ...pricedAt(fargate.gbHour), basis: "hour" },
        ],
        factors,
        note,
      });
    }
    if (tasks === 0) this.note("free", service, "runs no task at its minimum capacity");
  }

  /** A task definition no service runs is priced as ECS executor workers, if a scheduler runs it. */
  private taskDefinition(definition: Resource): void {
    const runByService = this.app
      .resources("aws_ecs_service")
      .some((s) =>
        this.app
          .referencedOfType(s.stack, s.config.task_definition, "aws_ecs_task_definition")
          .some((d) => d.address === definition.address),
      );
    if (runByService) {
      this.classify(definition);
      return;
    }
    const family = String(definition.config.family ?? "");
    const scheduler = this.app
      .resources("aws_ecs_task_definition")
      .map((d) => String(d.config.container_definitions ?? ""))
      .find((text) => text.includes(`"AIRFLOW__AWS_ECS_EXECUTOR__TASK_DEFINITION", "value" = "${family}"`));
    if (scheduler === undefined) {
      this.note("unpriced", definition, "no ECS service or ECS executor runs it");
      return;
    }
    if (this.workload === undefined) {
      this.note("unpriced", definition, "ECS executor workers: no DAG schedules given");
      return;
    }

    const { fargate } = this.prices.prices;
    const cpu = num(definition.config.cpu);
    const memory = num(definition.config.memory);
    if (cpu === undefined || memory === undefined) {
      this.note("unpriced", definition, "task definition without cpu and memory");
      return;
    }
    // The executor's run_task_kwargs, as jsonencode wrote it: a JSON string with its quotes escaped.
    const kwargs = /"AIRFLOW__AWS_ECS_EXECUTOR__RUN_TASK_KWARGS", "value" = "((?:[^"\\]|\\.)*)"/.exec(scheduler)?.[1];
    const strategy = kwargs
      ? (JSON.parse(JSON.parse(`"${kwargs}"`)) as { capacity_provider_strategy?: { capacityProvider: string }[] })
          .capacity_provider_strategy
      : undefined;
    const provider = strategy?.[0]?.capacityProvider ?? "FARGATE";
    if (provider !== "FARGATE" && provider !== "FARGATE_SPOT") {
      this.note("unpriced", definition, `capacity provider ${provider}: no price yet`);
      return;
    }

    const share = Math.min(this.assumptions.hoursPerWeek, 168) / 168;
    const runs = this.workload.taskRunsPerWeek * share;
    const minutes = this.assumptions.ecsWorkerTaskMinutes;
    const hours = (runs * minutes) / 60;
    const factors: Factor[] =
      provider === "FARGATE_SPOT"
        ? [{ value: 1 - fargate.spotDiscount.fraction, label: `${fmt(1 - fargate.spotDiscount.fraction)} (Spot)` }]
        : [];
    this.add({
      system: definition.system,
      category: "Compute",
      label: `${family} (ECS executor workers, ${provider})`,
      resources: [definition.address],
      terms: [
        { quantity: (cpu / 1024) * hours, unit: "vCPU-h", ...pricedAt(fargate.vcpuHour), basis: "weekly-usage" },
        { quantity: (memory / 1024) * hours, unit: "GB-h", ...pricedAt(fargate.gbHour), basis: "weekly-usage" },
      ],
      factors,
      note:
        `${fmt(runs)} task runs a week (${this.workload.source}` +
        `${share < 1 ? `, ${fmt(this.assumptions.hoursPerWeek)} of 168 h` : ""}) × ${fmt(minutes)} min (costAssumptions.ecsWorkerTaskMinutes)` +
        ` of ${fmt(cpu / 1024)} vCPU and ${fmt(memory / 1024)} GB`,
    });
  }

  /** Tasks an ECS service runs: its desired count, or its minimum capacity when autoscaled. */
  private serviceTasks(service: Resource): { tasks: number; note?: string } {
    const scaling = this.app
      .resources("aws_appautoscaling_target")
      .find((t) =>
        this.app.referencedOfType(t.stack, t.config.resource_id, "aws_ecs_service").some((s) => s.address === service.address),
      );
    const desired = num(service.config.desired_count) ?? 0;
    const min = num(scaling?.config.min_capacity);
    const tasks = scaling && min !== undefined ? min : desired;
    const note = scaling
      ? `autoscaled: minimum capacity ${fmt(tasks)} of ${fmt(tasks)}-${fmt(num(scaling.config.max_capacity) ?? tasks)}`
      : undefined;
    return { tasks, note };
  }

  // ---- Service discovery ---------------------------------------------------------------------

  private dnsNamespace(namespace: Resource): void {
    this.add({
      system: namespace.system,
      category: "Networking",
      label: `Cloud Map namespace ${String(namespace.config.name ?? namespace.name)} (Route 53 private hosted zone)`,
      resources: [namespace.address],
      terms: [
        { quantity: 1, unit: "hosted zone", ...pricedAt(this.prices.prices.cloudMap.privateDnsNamespaceMonth), basis: "month" },
      ],
      factors: [],
      note: "DNS queries, $0.40 per million, not estimated",
    });
  }

  /** One registered instance per task of the ECS services that register in this Cloud Map service. */
  private discoveryService(discovery: Resource): void {
    const services = this.app
      .resources("aws_ecs_service")
      .filter((s) =>
        this.app
          .referencedOfType(s.stack, s.config.service_registries, "aws_service_discovery_service")
          .some((d) => d.address === discovery.address),
      );
    const tasks = services.reduce((sum, s) => sum + this.serviceTasks(s).tasks, 0);
    if (tasks === 0) {
      this.note("free", discovery, "no task registers in it");
      return;
    }
    this.add({
      system: discovery.system,
      category: "Networking",
      label: `Cloud Map service ${String(discovery.config.name ?? discovery.name)} (registered tasks)`,
      resources: [discovery.address, ...services.map((s) => s.address)],
      terms: [
        { quantity: tasks, unit: "instances", ...pricedAt(this.prices.prices.cloudMap.registeredInstanceMonth), basis: "month" },
      ],
      factors: [],
      note: `the tasks of ${services.map((s) => String(s.config.name ?? s.name)).join(", ")}, counted as their ECS services are`,
    });
  }

  /** The capacity provider strategy of the service's cluster, used when the service names none. */
  private clusterDefaultStrategy(service: Resource): Record<string, unknown>[] {
    const [cluster] = this.app.referencedOfType(service.stack, service.config.cluster, "aws_ecs_cluster");
    if (!cluster) return [];
    const providers = this.app.resources("aws_ecs_cluster_capacity_providers").find((p) => this.app.refersTo(p, cluster));
    return list<Record<string, unknown>>(providers?.config.default_capacity_provider_strategy);
  }

  // ---- Database ------------------------------------------------------------------------------

  private database(db: Resource): void {
    const { rds } = this.prices.prices;
    const engine = String(db.config.engine ?? "");
    const instanceClass = String(db.config.instance_class ?? "");
    const storageType = String(db.config.storage_type ?? "gp2");
    const storage = num(db.config.allocated_storage) ?? 0;
    const hourly = rds.instanceHour[engine]?.[instanceClass];
    const perGb = rds.storageGbMonth[storageType];
    const name = String(db.config.identifier ?? db.name);
    const multiAz = db.config.multi_az === true;
    const factors: Factor[] = multiAz
      ? [{ value: rds.multiAzFactor.factor, label: `${fmt(rds.multiAzFactor.factor)} (Multi-AZ)` }]
      : [];
    if (hourly) {
      this.add({
        system: db.system,
        category: "Database",
        label: `${name} (RDS ${engine} ${instanceClass}${multiAz ? ", Multi-AZ" : ""})`,
        resources: [db.address],
        terms: [{ quantity: 1, unit: "instance", ...pricedAt(hourly), basis: "hour" }],
        factors,
      });
    } else {
      this.note("unpriced", db, `${engine} ${instanceClass}: no price yet`);
    }
    if (perGb) {
      this.add({
        system: db.system,
        category: "Database",
        label: `${name} storage (${storageType})`,
        resources: [db.address],
        terms: [{ quantity: storage, unit: "GB", ...pricedAt(perGb), basis: "month" }],
        factors,
      });
    } else {
      this.note("unpriced", db, `storage type ${storageType}: no price yet`);
    }
  }

  // ---- Networking ----------------------------------------------------------------------------

  /** NAT gateway address -> systems whose ECS tasks sit in subnets routed through it. */
  private natGatewayUsers(): Map<string, Set<SystemName>> {
    const users = new Map<string, Set<SystemName>>();
    const routes = this.app.resources("aws_route");
    const associations = this.app.resources("aws_route_table_association");
    for (const service of this.app.resources("aws_ecs_service")) {
      const network = list<Record<string, unknown>>(service.config.network_configuration)[0];
      for (const subnet of this.app.referencedOfType(service.stack, network?.subnets, "aws_subnet")) {
        for (const association of associations.filter((a) => this.app.refersTo(a, subnet))) {
          for (const table of this.app.referencedOfType(
            association.stack,
            association.config.route_table_id,
            "aws_route_table",
          )) {
            for (const route of routes.filter((r) => this.app.refersTo(r, table))) {
              for (const nat of this.app.referencedOfType(route.stack, route.config.nat_gateway_id, "aws_nat_gateway")) {
                users.set(nat.address, new Set([...(users.get(nat.address) ?? []), service.system]));
              }
            }
          }
        }
      }
    }
    return users;
  }

  private natGateway(nat: Resource): void {
    const users = [...(this.natUsers.get(nat.address) ?? [])].sort();
    const owners: SystemName[] = users.length > 0 ? users : [nat.system];
    for (const system of owners) {
      const others = owners.filter((s) => s !== system);
      this.add({
        system,
        category: "Networking",
        label: `NAT gateway ${String((nat.config.tags as Record<string, unknown> | undefined)?.Name ?? nat.name)}`,
        resources: [nat.address],
        terms: [
          {
            quantity: 1,
            unit: "gateway",
            ...pricedAt(this.prices.prices.natGateway.hour),
            basis: "hour",
          },
        ],
        factors:
          owners.length > 1 ? [{ value: 1 / owners.length, label: `1/${owners.length} (shared with ${others.join(", ")})` }] : [],
        note: users.length > 0 ? `shared network: ${system}'s tasks route through it` : "no task routes through it",
      });
      if (users.length > 0) this.collect("nat", nat, system);
    }
  }

  private loadBalancer(lb: Resource): void {
    const type = String(lb.config.load_balancer_type ?? "application");
    if (type !== "application") {
      this.note("unpriced", lb, `${type} load balancer: no price yet`);
      return;
    }
    const { applicationLoadBalancer: alb } = this.prices.prices;
    const name = String(lb.config.name ?? lb.name);
    this.add({
      system: lb.system,
      category: "Networking",
      label: `${name} (ALB)`,
      resources: [lb.address],
      terms: [{ quantity: 1, unit: "ALB", ...pricedAt(alb.hour), basis: "hour" }],
      factors: [],
    });
    this.add({
      system: lb.system,
      category: "Networking",
      label: `${name} capacity units`,
      resources: [lb.address],
      terms: [{ quantity: this.assumptions.albLcu, unit: "LCU", ...pricedAt(alb.lcuHour), basis: "hour" }],
      factors: [],
      note: "costAssumptions.albLcu",
    });
  }

  private ssmAdvanced(parameter: Resource): void {
    this.add({
      system: parameter.system,
      category: "CloudWatch and other",
      label: `SSM parameter ${String(parameter.config.name ?? parameter.name)} (${String(parameter.config.tier)})`,
      resources: [parameter.address],
      terms: [
        {
          quantity: 1,
          unit: "parameter",
          ...pricedAt(this.prices.prices.ssm.advancedParameterMonth),
          basis: "month",
        },
      ],
      factors: [],
    });
  }

  // ---- Usage-based lines: one per system and kind ----------------------------------------------

  private usageItems(): void {
    const p = this.prices.prices;
    const a = this.assumptions;
    for (const system of SYSTEMS) {
      const of = (kind: string) => this.usage.get(`${system}\0${kind}`) ?? [];
      const addresses = (rs: Resource[]) => [...new Set(rs.map((r) => r.address))];
      const names = (rs: Resource[], key: string) => [...new Set(rs.map((r) => String(r.config[key] ?? r.name)))].join(", ");
      const line = (
        rs: Resource[],
        category: Category,
        label: string,
        term: Omit<Term, "basis"> & { basis?: Basis },
        note: string,
      ) => {
        if (rs.length === 0) return;
        this.add({ system, category, label, resources: addresses(rs), terms: [{ basis: "month", ...term }], factors: [], note });
      };

      const nat = of("nat");
      line(
        nat,
        "Networking",
        "NAT data processing",
        {
          quantity: a.natDataGbPerWeek,
          unit: "GB",
          ...pricedAt(p.natGateway.dataGb),
          basis: "weekly-usage",
        },
        "costAssumptions.natDataGbPerWeek",
      );
      const efs = of("efs");
      line(
        efs,
        "Storage",
        `EFS Standard (${names(efs, "creation_token")})`,
        { quantity: a.efsStoredGb, unit: "GB", ...pricedAt(p.efs.standardGbMonth) },
        "costAssumptions.efsStoredGb",
      );
      const s3 = of("s3");
      line(
        s3,
        "Storage",
        `S3 Standard (${names(s3, "bucket")})`,
        { quantity: a.s3StoredGb, unit: "GB", ...pricedAt(p.s3.standardGbMonth) },
        "costAssumptions.s3StoredGb",
      );
      const logs = of("logs");
      line(
        logs,
        "CloudWatch and other",
        `CloudWatch Logs ingestion (${names(logs, "name")})`,
        {
          quantity: a.cloudwatchLogsIngestedGbPerWeek,
          unit: "GB",
          ...pricedAt(p.cloudwatchLogs.ingestedGb),
          basis: "weekly-usage",
        },
        "costAssumptions.cloudwatchLogsIngestedGbPerWeek",
      );
      line(
        logs,
        "CloudWatch and other",
        "CloudWatch Logs storage",
        {
          quantity: a.cloudwatchLogsStoredGb,
          unit: "GB",
          ...pricedAt(p.cloudwatchLogs.storedGbMonth),
        },
        "costAssumptions.cloudwatchLogsStoredGb",
      );
      const ecr = of("ecr");
      line(
        ecr,
        "CloudWatch and other",
        `ECR storage (${names(ecr, "name")})`,
        { quantity: a.ecrStoredGb, unit: "GB", ...pricedAt(p.ecr.storedGbMonth) },
        "costAssumptions.ecrStoredGb",
      );
      const alarms = of("alarms");
      const metrics = (highResolution: boolean) =>
        alarms
          .filter((r) => (num(r.config.period) ?? 60) < 60 === highResolution)
          .reduce(
            (sum, r) => sum + Math.max(1, list<{ metric?: unknown }>(r.config.metric_query).filter((q) => q.metric).length),
            0,
          );
      for (const highResolution of [false, true]) {
        const count = metrics(highResolution);
        if (count === 0) continue;
        const price = highResolution
          ? p.cloudwatchAlarms.highResolutionAlarmMetricMonth
          : p.cloudwatchAlarms.standardAlarmMetricMonth;
        const alarmsOfKind = alarms.filter((r) => (num(r.config.period) ?? 60) < 60 === highResolution);
        line(
          alarmsOfKind,
          "CloudWatch and other",
          `CloudWatch alarms (${alarmsOfKind.length} alarm${alarmsOfKind.length === 1 ? "" : "s"}${highResolution ? ", high resolution" : ""})`,
          { quantity: count, unit: "alarm metrics", ...pricedAt(price) },
          "one charge per metric an alarm evaluates",
        );
      }
    }
  }
}

/** Prices every resource of the environment's synthesized stacks. */
export function estimate(app: SynthesizedApp, assumptions: CostAssumptions, prices: PriceList, workload?: Workload): Estimate {
  return new Estimator(app, assumptions, prices, workload).run();
}

/** The formula of a line over a week, with its inputs, e.g. `(0.5 vCPU × $0.04048 + 1 GB × $0.004445)/h × 168 h × 1 task`. */
export function formula(item: LineItem, period: Period, estimate: Pick<Estimate, "assumptions" | "prices">): string {
  const { assumptions, prices } = estimate;
  const perUnit: Record<Basis, string> = { hour: "/h", month: "/GB-month", "weekly-usage": "/GB" };
  const groups = new Map<Basis, Term[]>();
  for (const t of item.terms) groups.set(t.basis, [...(groups.get(t.basis) ?? []), t]);
  const parts = [...groups.entries()].map(([basis, terms]) => {
    const gbOnly = terms.every((t) => t.unit === "GB");
    const unitSuffix =
      basis === "month" ? (gbOnly ? "/GB-month" : "/month") : basis === "weekly-usage" && !gbOnly ? "" : perUnit[basis];
    const text = terms.map((t) => `${fmt(t.quantity)} ${t.unit} × $${fmt(t.unitPrice)}`).join(" + ");
    const inner = terms.length > 1 ? `(${text})${unitSuffix}` : `${text}${unitSuffix}`;
    const f = basisFactor(basis, period, assumptions, prices.monthDays);
    const days = prices.monthDays;
    const over =
      basis === "hour"
        ? ` × ${fmt(f)} h`
        : basis === "month"
          ? period === "week"
            ? ` × 7/${days}`
            : ""
          : period === "week"
            ? ""
            : ` × ${days}/7`;
    return `${inner}${over}`;
  });
  return [parts.join(" + "), ...item.factors.map((f) => f.label)].join(" × ");
}
