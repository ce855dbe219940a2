import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";

/** The pseudo-group for "anywhere on the internet" (0.0.0.0/0). */
export const INTERNET = "internet";
const ANYWHERE_IPV4 = "0.0.0.0/0";

export interface SecurityRule {
  /** Group the traffic comes from, or `internet`. */
  readonly from: string;
  /** Group the traffic goes to, or `internet`. */
  readonly to: string;
  readonly port: number;
  /** @default "tcp" */
  readonly protocol?: "tcp" | "udp";
  readonly description: string;
}

export interface SecurityGroupMatrixProps {
  readonly vpcId: string;
  /** Prefix of every group's name, e.g. the project name. */
  readonly namePrefix: string;
  /** The groups, by stable name, with a description of what uses each. */
  readonly groups: Readonly<Record<string, string>>;
  /** Every allowed flow; nothing else is open, egress included. */
  readonly rules: readonly SecurityRule[];
  /**
   * Ports the internet may reach; internet ingress on any other port is refused at synth.
   * @default [80, 443]
   */
  readonly internetIngressPorts?: readonly number[];
}

/** The stable name of a rule, which is also its construct id: `from->to:port[/udp]`. */
export function ruleName(rule: SecurityRule): string {
  const protocol = rule.protocol ?? "tcp";
  return `${rule.from}->${rule.to}:${rule.port}${protocol === "tcp" ? "" : `/${protocol}`}`;
}

/** Problems with a matrix, as sentences naming the rule; empty when the matrix is sound. */
export function matrixProblems(props: Pick<SecurityGroupMatrixProps, "groups" | "rules" | "internetIngressPorts">): string[] {
  const problems: string[] = [];
  const internetPorts = props.internetIngressPorts ?? [80, 443];
  const known = (name: string) => name === INTERNET || Object.hasOwn(props.groups, name);
  const seen = new Set<string>();
  for (const rule of props.rules) {
    const name = ruleName(rule);
    for (const end of [rule.from, rule.to]) {
      if (!known(end))
        problems.push(
          `rule ${name}: unknown group "${end}" (expected one of ${[INTERNET, ...Object.keys(props.groups)].join(", ")})`,
        );
    }
    if (!Number.isInteger(rule.port) || rule.port < 1 || rule.port > 65535) {
      problems.push(`rule ${name}: port ${rule.port} outside 1-65535`);
    }
    if (rule.from === INTERNET && rule.to === INTERNET) problems.push(`rule ${name}: connects the internet to itself`);
    if (rule.from === INTERNET && !internetPorts.includes(rule.port)) {
      problems.push(`rule ${name}: internet ingress on port ${rule.port} (expected one of ${internetPorts.join(", ")})`);
    }
    if (seen.has(name)) problems.push(`rule ${name}: declared twice`);
    seen.add(name);
  }
  return problems;
}

/**
 * Every security group of a system and every rule between them, declared as data: one
 * `aws_security_group` per group, and per rule one ingress rule on the receiving group and one
 * egress rule on the sending group (each side only when it is a group, not the internet).
 * Groups carry no inline rules (they would fight the rule resources on every apply), and
 * Terraform removes AWS's default allow-all egress from each new group.
 */
export class SecurityGroupMatrix extends Construct {
  /** Security group ids by group name. */
  readonly groupIds: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: SecurityGroupMatrixProps) {
    super(scope, id);
    const problems = matrixProblems(props);
    if (problems.length > 0) throw new Error(`Invalid security-group matrix:\n  ${problems.join("\n  ")}`);

    const groups: Record<string, SecurityGroup> = {};
    for (const [name, description] of Object.entries(props.groups)) {
      groups[name] = new SecurityGroup(this, name, {
        name: `${props.namePrefix}-${name}`,
        description,
        vpcId: props.vpcId,
        tags: { Name: `${props.namePrefix}-${name}` },
      });
    }
    this.groupIds = Object.fromEntries(Object.entries(groups).map(([name, group]) => [name, group.id]));

    for (const rule of props.rules) {
      const name = ruleName(rule);
      const common = {
        ipProtocol: rule.protocol ?? "tcp",
        fromPort: rule.port,
        toPort: rule.port,
        description: rule.description,
        tags: { Name: name },
      };
      if (rule.to !== INTERNET) {
        new VpcSecurityGroupIngressRule(this, `ingress:${name}`, {
          ...common,
          securityGroupId: groups[rule.to].id,
          ...(rule.from === INTERNET ? { cidrIpv4: ANYWHERE_IPV4 } : { referencedSecurityGroupId: groups[rule.from].id }),
        });
      }
      if (rule.from !== INTERNET) {
        new VpcSecurityGroupEgressRule(this, `egress:${name}`, {
          ...common,
          securityGroupId: groups[rule.from].id,
          ...(rule.to === INTERNET ? { cidrIpv4: ANYWHERE_IPV4 } : { referencedSecurityGroupId: groups[rule.to].id }),
        });
      }
    }
  }
}
