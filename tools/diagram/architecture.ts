/**
 * docs/architecture.md: a Mermaid flowchart of an environment drawn from its synthesized stacks,
 * not by hand. The VPC with its public and private subnets (a subnet is public when its route
 * table sends traffic to an internet gateway), what runs in each (load balancers, NAT gateways,
 * ECS services, databases, file systems), the regional services outside the VPC (S3, DynamoDB,
 * SQS, SNS), and the edges:
 * - solid: traffic a security-group ingress rule allows, with its ports, from the members of the
 *   referenced group (or the internet) to the members of the group it belongs to, except that a
 *   load balancer only reaches the services registered in its target groups; egress rules to a
 *   CIDR (tasks to the internet) are drawn too, since no ingress rule describes them;
 * - dotted: what a task role's IAM policy lets a service use, queue redrives, NAT routes, and the
 *   scheduler starting ECS executor workers (RunTask).
 * ECS executor workers are a task definition no service runs, which a scheduler names in its
 * AIRFLOW__AWS_ECS_EXECUTOR__TASK_DEFINITION; they sit in the subnets and groups the scheduler's
 * AIRFLOW__AWS_ECS_EXECUTOR__SUBNETS and __SECURITY_GROUPS name.
 * A resource is a member of a group when one of its security-group arguments refers to it
 * (an EFS mount target stands for its file system). Output is sorted, so it only changes when
 * the infrastructure does.
 */
import { type Resource, type SynthesizedApp, stringsIn } from "../synthesized/synthesized";

const RULE_TYPES = new Set([
  "aws_security_group",
  "aws_vpc_security_group_ingress_rule",
  "aws_vpc_security_group_egress_rule",
  "aws_security_group_rule",
]);
/** Data stores and messaging reached over AWS APIs, drawn outside the VPC. */
const REGIONAL: Readonly<Record<string, { kind: string; nameKey: string; shape: (label: string) => string }>> = {
  aws_s3_bucket: { kind: "S3", nameKey: "bucket", shape: (l) => `[("${l}")]` },
  aws_dynamodb_table: { kind: "DynamoDB", nameKey: "name", shape: (l) => `[("${l}")]` },
  aws_sqs_queue: { kind: "SQS", nameKey: "name", shape: (l) => `[/"${l}"/]` },
  aws_sns_topic: { kind: "SNS", nameKey: "name", shape: (l) => `>"${l}"]` },
};

type Zone = "public" | "private";

interface Node {
  readonly id: string;
  /** Where it is drawn: a subnet zone, or outside the VPC. */
  readonly zone: Zone | "regional";
  /** Mermaid shape and label, e.g. `[("RDS x")]`. */
  readonly text: string;
  /** Order within its subgraph: by kind, then name. */
  readonly sortKey: string;
  readonly resource?: Resource;
}

/** Drawing order of the kinds of node. */
const KIND_ORDER = [
  "aws_lb",
  "aws_nat_gateway",
  "aws_ecs_service",
  "aws_ecs_task_definition",
  "aws_db_instance",
  "aws_efs_file_system",
  ...Object.keys(REGIONAL),
];

const INTERNET: Node = { id: "internet", zone: "regional", text: '(("Internet"))', sortKey: "" };
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);
const nodeId = (r: Resource) => `${r.type.replace(/^aws_/, "")}_${r.stack}_${r.name}`.replace(/[^A-Za-z0-9_]/g, "_");
/** Mermaid label text: no double quotes, which end the label. */
const label = (...lines: string[]) => lines.map((l) => l.replace(/"/g, "'")).join("<br/>");

function ports(rule: Resource): string {
  const protocol = String(rule.config.ip_protocol ?? rule.config.protocol ?? "tcp");
  if (protocol === "-1") return "all traffic";
  const from = rule.config.from_port;
  const to = rule.config.to_port;
  return from === to || to === undefined ? `${protocol} ${String(from)}` : `${protocol} ${String(from)}-${String(to)}`;
}

class ArchitectureDiagram {
  private readonly nodes = new Map<string, Node>();
  private readonly edges = new Map<string, { from: string; to: string; arrow: string; labels: Set<string> }>();
  private readonly subnetZone = new Map<string, Zone>();
  private readonly rules: string[][] = [];
  /** ECS executor workers: the worker task definition's address -> the scheduler service that starts them. */
  private readonly workers = new Map<string, { definition: Resource; scheduler: Resource; settings: string }>();

  constructor(private readonly app: SynthesizedApp) {
    this.classifySubnets();
    this.findWorkers();
  }

  private findWorkers(): void {
    const services = this.app.resources("aws_ecs_service");
    const definitionOf = (s: Resource) =>
      this.app.referencedOfType(s.stack, s.config.task_definition, "aws_ecs_task_definition")[0];
    const run = new Set(services.map((s) => definitionOf(s)?.address));
    for (const definition of this.app.resources("aws_ecs_task_definition").filter((d) => !run.has(d.address))) {
      const named = `"AIRFLOW__AWS_ECS_EXECUTOR__TASK_DEFINITION", "value" = "${String(definition.config.family)}"`;
      const scheduler = services.find((s) => String(definitionOf(s)?.config.container_definitions ?? "").includes(named));
      if (!scheduler) continue;
      const settings = String(definitionOf(scheduler)?.config.container_definitions ?? "");
      this.workers.set(definition.address, { definition, scheduler, settings: this.executorSetting(settings) });
    }
  }

  /** The executor's SUBNETS and SECURITY_GROUPS values out of a scheduler's container definitions. */
  private executorSetting(definitions: string): string {
    return (
      [...definitions.matchAll(/"AIRFLOW__AWS_ECS_EXECUTOR__(?:SUBNETS|SECURITY_GROUPS)", "value" = ([^}]*)\}/g)]
        // Bare inside jsonencode; written as an interpolation so the reference reader sees it.
        .map((m) => `\${${m[1]}}`)
        .join(" ")
    );
  }

  render(title: string): string {
    this.placeResources();
    this.securityGroupEdges();
    this.iamEdges();
    this.queueEdges();
    this.natEdges();
    return this.markdown(title);
  }

  private classifySubnets(): void {
    const routes = this.app.resources("aws_route");
    const associations = this.app.resources("aws_route_table_association");
    for (const subnet of this.app.resources("aws_subnet")) {
      const tables = associations
        .filter((a) => this.app.refersTo(a, subnet))
        .flatMap((a) => this.app.referencedOfType(a.stack, a.config.route_table_id, "aws_route_table"));
      const toInternet = routes.some(
        (r) =>
          tables.some((t) => this.app.refersTo(r, t)) &&
          this.app.referencedOfType(r.stack, r.config.gateway_id, "aws_internet_gateway").length > 0,
      );
      this.subnetZone.set(subnet.address, toInternet ? "public" : "private");
    }
  }

  /** Public when every subnet it is in is public; private otherwise (and when unknown). */
  private zoneOf(stack: string, subnetsValue: unknown): Zone {
    const subnets = this.app.referencedOfType(stack, subnetsValue, "aws_subnet");
    return subnets.length > 0 && subnets.every((s) => this.subnetZone.get(s.address) === "public") ? "public" : "private";
  }

  private add(resource: Resource, zone: Node["zone"], text: string, name: string): void {
    const rank = String(KIND_ORDER.indexOf(resource.type)).padStart(2, "0");
    this.nodes.set(resource.address, { id: nodeId(resource), zone, text, sortKey: `${rank} ${name}`, resource });
  }

  private placeResources(): void {
    for (const lb of this.app.resources("aws_lb")) {
      const kind = lb.config.load_balancer_type === "network" ? "NLB" : "ALB";
      const scheme = lb.config.internal === true ? "internal" : "internet-facing";
      const name = String(lb.config.name ?? lb.name);
      this.add(lb, this.zoneOf(lb.stack, lb.config.subnets), `{{"${label(`${kind} ${name}`, scheme)}"}}`, name);
    }
    for (const nat of this.app.resources("aws_nat_gateway")) {
      const name = (nat.config.tags as Record<string, unknown> | undefined)?.Name ?? nat.name;
      this.add(nat, this.zoneOf(nat.stack, nat.config.subnet_id), `(["${label(`NAT gateway ${String(name)}`)}"])`, String(name));
    }
    for (const service of this.app.resources("aws_ecs_service")) {
      const network = list(service.config.network_configuration)[0] as Record<string, unknown> | undefined;
      const [task] = this.app.referencedOfType(service.stack, service.config.task_definition, "aws_ecs_task_definition");
      const providers = list(service.config.capacity_provider_strategy)
        .map((s) => String((s as Record<string, unknown>).capacity_provider))
        .join("+");
      const size = task ? `${Number(task.config.cpu) / 1024} vCPU · ${Number(task.config.memory) / 1024} GB` : "";
      const publicIp = network?.assign_public_ip === true ? " · public IP" : "";
      const name = String(service.config.name ?? service.name);
      const privateNames = this.privateNames(service);
      this.add(
        service,
        this.zoneOf(service.stack, network?.subnets),
        `[["${label(`ECS ${name}`, `${size} · ${providers || "FARGATE"}${publicIp}`, ...privateNames)}"]]`,
        name,
      );
    }
    for (const { definition, settings } of this.workers.values()) {
      const family = String(definition.config.family);
      const size = `${Number(definition.config.cpu) / 1024} vCPU · ${Number(definition.config.memory) / 1024} GB`;
      this.add(
        definition,
        this.zoneOf(definition.stack, settings),
        `[["${label(`ECS ${family}`, `ECS executor workers, one task per task instance · ${size}`)}"]]`,
        family,
      );
    }
    for (const db of this.app.resources("aws_db_instance")) {
      const [group] = this.app.referencedOfType(db.stack, db.config.db_subnet_group_name, "aws_db_subnet_group");
      const multiAz = db.config.multi_az === true ? " · Multi-AZ" : "";
      const name = String(db.config.identifier ?? db.name);
      this.add(
        db,
        this.zoneOf(group?.stack ?? db.stack, group?.config.subnet_ids),
        `[("${label(`RDS ${name}`, `${String(db.config.engine)} ${String(db.config.instance_class)}${multiAz}`)}")]`,
        name,
      );
    }
    for (const fs of this.app.resources("aws_efs_file_system")) {
      const mounts = this.app.resources("aws_efs_mount_target").filter((m) => this.app.refersTo(m, fs));
      const name = (fs.config.tags as Record<string, unknown> | undefined)?.Name ?? fs.config.creation_token ?? fs.name;
      this.add(
        fs,
        this.zoneOf(
          fs.stack,
          mounts.map((m) => m.config.subnet_id),
        ),
        `[("${label(`EFS ${String(name)}`, `${mounts.length} mount target${mounts.length === 1 ? "" : "s"}`)}")]`,
        String(name),
      );
    }
    for (const [type, spec] of Object.entries(REGIONAL)) {
      for (const r of this.app.resources(type)) {
        const name = String(r.config[spec.nameKey] ?? r.name);
        this.add(r, "regional", spec.shape(label(`${spec.kind} ${name}`)), name);
      }
    }
  }

  /** The Cloud Map DNS names the service's tasks register under (`<service>.<namespace>`). */
  private privateNames(service: Resource): string[] {
    return this.app
      .referencedOfType(service.stack, service.config.service_registries, "aws_service_discovery_service")
      .flatMap((discovery) => {
        const dns = list(discovery.config.dns_config)[0] as Record<string, unknown> | undefined;
        return this.app
          .referencedOfType(discovery.stack, dns?.namespace_id, "aws_service_discovery_private_dns_namespace")
          .map((namespace) => `DNS ${String(discovery.config.name)}.${String(namespace.config.name)}`);
      });
  }

  /** The node a resource is drawn as: itself, or the file system of an EFS mount target. */
  private nodeOf(resource: Resource): Node | undefined {
    if (resource.type === "aws_efs_mount_target") {
      const [fs] = this.app.referencedOfType(resource.stack, resource.config.file_system_id, "aws_efs_file_system");
      return fs ? this.nodes.get(fs.address) : undefined;
    }
    return this.nodes.get(resource.address);
  }

  /** Security group address -> the nodes of its members. */
  private members(): Map<string, Node[]> {
    const members = new Map<string, Node[]>();
    for (const resource of this.app.resources()) {
      if (RULE_TYPES.has(resource.type)) continue;
      const node = this.nodeOf(resource);
      if (!node) continue;
      const worker = this.workers.get(resource.address);
      if (worker) {
        for (const group of this.app.referencedOfType(resource.stack, worker.settings, "aws_security_group")) {
          members.set(group.address, [...(members.get(group.address) ?? []), node]);
        }
      }
      for (const [key, value] of Object.entries(resource.config)) {
        const inNetwork = key === "network_configuration";
        if (!/security_group/.test(key) && !inNetwork) continue;
        const groupsValue = inNetwork ? (list(value)[0] as Record<string, unknown> | undefined)?.security_groups : value;
        for (const group of this.app.referencedOfType(resource.stack, groupsValue, "aws_security_group")) {
          const existing = members.get(group.address) ?? [];
          if (!existing.some((n) => n.id === node.id)) members.set(group.address, [...existing, node]);
        }
      }
    }
    return members;
  }

  private edge(from: string, to: string, arrow: string, text?: string): void {
    const key = `${from}\0${arrow}\0${to}`;
    const edge = this.edges.get(key) ?? { from, to, arrow, labels: new Set<string>() };
    if (text) edge.labels.add(text);
    this.edges.set(key, edge);
  }

  private securityGroupEdges(): void {
    const members = this.members();
    const groupName = (g: Resource) => String(g.config.name ?? g.name);
    const endpoints = (group: Resource | undefined, cidr: unknown): { nodes: Node[]; name: string } => {
      if (cidr !== undefined) {
        this.nodes.set("internet", INTERNET);
        return { nodes: [INTERNET], name: String(cidr) };
      }
      if (!group) return { nodes: [], name: "?" };
      const nodes = members.get(group.address) ?? [];
      if (nodes.length > 0) return { nodes, name: groupName(group) };
      // A group nothing uses yet is drawn as itself, so its rules stay visible.
      const node: Node = {
        id: nodeId(group),
        zone: "private",
        text: `["${label(`security group ${groupName(group)}`, "(no member)")}"]`,
        sortKey: `99 ${groupName(group)}`,
      };
      this.nodes.set(group.address, node);
      return { nodes: [node], name: groupName(group) };
    };
    const rules = [
      ...this.app.resources("aws_vpc_security_group_ingress_rule").map((r) => ({ r, ingress: true })),
      ...this.app
        .resources("aws_vpc_security_group_egress_rule")
        .filter((r) => r.config.cidr_ipv4 !== undefined || r.config.cidr_ipv6 !== undefined)
        .map((r) => ({ r, ingress: false })),
    ];
    for (const { r, ingress } of rules) {
      const [own] = this.app.referencedOfType(r.stack, r.config.security_group_id, "aws_security_group");
      const [other] = this.app.referencedOfType(r.stack, r.config.referenced_security_group_id, "aws_security_group");
      const cidr = r.config.cidr_ipv4 ?? r.config.cidr_ipv6;
      const self = endpoints(own, undefined);
      const peer = endpoints(other, cidr);
      const [from, to] = ingress ? [peer, self] : [self, peer];
      const withinGroup = own !== undefined && own.address === other?.address;
      for (const f of from.nodes) {
        for (const t of to.nodes) if (this.carries(f, t, withinGroup ? r : undefined)) this.edge(f.id, t.id, "-->", ports(r));
      }
      this.rules.push([from.name, to.name, ports(r), String(r.config.description ?? "")]);
    }
  }

  /**
   * Whether traffic the groups allow can flow: a load balancer reaches only the services
   * registered in its target groups, not every member of the targets' security group; a rule
   * within one group (`withinGroup`) reaches only the other members whose containers listen on
   * its port.
   */
  private carries(from: Node, to: Node, withinGroup?: Resource): boolean {
    if (withinGroup) {
      if (from.id === to.id || to.resource?.type !== "aws_ecs_service") return false;
      const [task] = this.app.referencedOfType(to.resource.stack, to.resource.config.task_definition, "aws_ecs_task_definition");
      const listening = [
        ...stringsIn(task?.config.container_definitions)
          .join("\n")
          .matchAll(/"containerPort" = (\d+)/g),
      ];
      return listening.some((m) => Number(m[1]) === Number(withinGroup.config.from_port));
    }
    if (from.resource?.type !== "aws_lb" || to.resource?.type !== "aws_ecs_service") return true;
    const lb = from.resource;
    const service = to.resource;
    const listeners = this.app.resources("aws_lb_listener").filter((l) => this.app.refersTo(l, lb));
    return this.app
      .referencedOfType(service.stack, service.config.load_balancer, "aws_lb_target_group")
      .some((group) => listeners.some((l) => this.app.refersTo(l, group)));
  }

  /** Service (or workers) -> regional resource, for each one its task role's policies name. */
  private iamEdges(): void {
    const policies = [...this.app.resources("aws_iam_role_policy"), ...this.app.resources("aws_iam_policy")];
    const attachments = this.app.resources("aws_iam_role_policy_attachment");
    const runners = [
      ...this.app.resources("aws_ecs_service").map((service) => ({
        from: this.nodes.get(service.address),
        task: this.app.referencedOfType(service.stack, service.config.task_definition, "aws_ecs_task_definition")[0],
      })),
      ...[...this.workers.values()].map(({ definition, scheduler }) => {
        const to = this.nodes.get(definition.address);
        const from = this.nodes.get(scheduler.address);
        if (from && to) this.edge(from.id, to.id, "-.->", "RunTask");
        return { from: to, task: definition };
      }),
    ];
    for (const { from, task } of runners) {
      if (!from || !task) continue;
      for (const role of this.app.referencedOfType(task.stack, task.config.task_role_arn, "aws_iam_role")) {
        const attached = attachments
          .filter((a) => this.app.refersTo(a, role))
          .flatMap((a) => this.app.referencedOfType(a.stack, a.config.policy_arn, "aws_iam_policy"));
        const documents = [
          ...policies.filter((p) => p.type === "aws_iam_role_policy" && this.app.refersTo(p, role)),
          ...attached,
        ];
        for (const document of documents) {
          for (const ref of this.app.references(document.stack, stringsIn(document.config.policy))) {
            const to = this.nodes.get(ref.resource.address);
            if (to?.zone === "regional" && ref.resource.type in REGIONAL) this.edge(from.id, to.id, "-.->", "IAM");
          }
        }
      }
    }
  }

  private queueEdges(): void {
    for (const queue of this.app.resources("aws_sqs_queue")) {
      const from = this.nodes.get(queue.address);
      for (const dlq of this.app.referencedOfType(queue.stack, queue.config.redrive_policy, "aws_sqs_queue")) {
        const to = this.nodes.get(dlq.address);
        if (from && to) this.edge(from.id, to.id, "-.->", "dead letters");
      }
    }
  }

  private natEdges(): void {
    const nats = this.app.resources("aws_nat_gateway");
    if (nats.length === 0) return;
    this.nodes.set("internet", INTERNET);
    for (const nat of nats) {
      const node = this.nodes.get(nat.address);
      if (!node) continue;
      this.edge("private_subnets", node.id, "-.->", "0.0.0.0/0");
      this.edge(node.id, "internet", "-.->");
    }
  }

  private markdown(title: string): string {
    const vpc = this.app.resources("aws_vpc")[0];
    const vpcName = (vpc?.config.tags as Record<string, unknown> | undefined)?.Name ?? vpc?.name ?? "VPC";
    const subnets = (zone: Zone) =>
      this.app
        .resources("aws_subnet")
        .filter((s) => this.subnetZone.get(s.address) === zone)
        .map((s) => `${String(s.config.cidr_block)} ${String(s.config.availability_zone)}`)
        .sort();
    const byText = (a: Node, b: Node) => a.sortKey.localeCompare(b.sortKey) || a.id.localeCompare(b.id);
    const nodeLines = (zone: Node["zone"], indent: string) =>
      [...this.nodes.values()]
        .filter((n) => n.zone === zone && n.id !== "internet")
        .sort(byText)
        .map((n) => `${indent}${n.id}${n.text}`);

    const lines = ["flowchart LR"];
    if (this.nodes.has("internet")) lines.push('  internet(("Internet"))');
    lines.push(`  subgraph vpc["VPC ${label(String(vpcName))} · ${String(vpc?.config.cidr_block ?? "")}"]`);
    for (const zone of ["public", "private"] as const) {
      const title = `${zone === "public" ? "Public" : "Private"} subnets`;
      lines.push(`    subgraph ${zone}_subnets["${label(title, ...subnets(zone))}"]`, ...nodeLines(zone, "      "), "    end");
    }
    lines.push("  end");
    const regional = nodeLines("regional", "    ");
    if (regional.length > 0) lines.push('  subgraph regional["Regional services, outside the VPC"]', ...regional, "  end");
    const edgeLines = [...this.edges.values()].map((e) => {
      const text = [...e.labels].sort().join(", ");
      return `  ${e.from} ${e.arrow}${text ? `|"${text}"|` : ""} ${e.to}`;
    });
    lines.push(...edgeLines.sort());

    const ruleRows = this.rules.map((r) => `| ${r.map((cell) => cell.replace(/\|/g, "\\|")).join(" | ")} |`).sort();
    return [
      `# Architecture: ${title}`,
      "",
      "<!-- Generated by `make diagram` (tools/diagram) from the synthesized stacks. Do not edit:",
      "     `make test` fails when this file no longer matches them. -->",
      "",
      "Solid arrows: traffic the security groups allow, with its ports (a load balancer only to the",
      "services in its target groups). Dotted arrows: what a service's task role may use (IAM),",
      "where a queue sends its dead letters, and the private subnets' route out through NAT.",
      "",
      "```mermaid",
      ...lines,
      "```",
      "",
      "## Security-group rules",
      "",
      "| from | to | ports | why |",
      "|---|---|---|---|",
      ...ruleRows,
      "",
    ].join("\n");
  }
}

/** The Markdown of docs/architecture.md for the environment's stacks. */
export function renderArchitecture(app: SynthesizedApp, environment: string): string {
  return new ArchitectureDiagram(app).render(`the ${environment} environment`);
}
