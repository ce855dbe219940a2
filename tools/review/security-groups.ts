/**
 * The security-group matrix's rules opened and closed between two revisions. Each rule of the
 * matrix (stacks/security-matrix.ts) becomes an ingress and/or egress rule resource tagged with the
 * rule's stable name (`from->to:port`, modules/security-group-matrix.ts ruleName), so the review
 * compares those names rather than resource ids.
 */
import type { SynthesizedApp } from "../synthesized/synthesized";

export interface MatrixRule {
  /** `from->to:port[/udp]`. */
  readonly name: string;
  readonly description: string;
  /** The rule lets the internet in (an ingress rule from 0.0.0.0/0 or ::/0). */
  readonly fromInternet: boolean;
}

export interface MatrixChange {
  readonly opened: readonly MatrixRule[];
  readonly closed: readonly MatrixRule[];
}

const RULE_TYPES = ["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"];
const ANYWHERE = new Set(["0.0.0.0/0", "::/0"]);

export function matrixRules(app: SynthesizedApp): Map<string, MatrixRule> {
  const rules = new Map<string, MatrixRule>();
  for (const type of RULE_TYPES) {
    for (const r of app.resources(type)) {
      const tags = (r.config.tags ?? {}) as Record<string, unknown>;
      const name = typeof tags.Name === "string" ? tags.Name : r.address;
      const fromInternet =
        type === "aws_vpc_security_group_ingress_rule" &&
        (ANYWHERE.has(String(r.config.cidr_ipv4)) || ANYWHERE.has(String(r.config.cidr_ipv6)));
      const known = rules.get(name);
      rules.set(name, {
        name,
        description: String(r.config.description ?? known?.description ?? ""),
        fromInternet: fromInternet || (known?.fromInternet ?? false),
      });
    }
  }
  return rules;
}

export function matrixChange(base: SynthesizedApp, head: SynthesizedApp): MatrixChange {
  const before = matrixRules(base);
  const after = matrixRules(head);
  const byName = (a: MatrixRule, b: MatrixRule) => a.name.localeCompare(b.name);
  return {
    opened: [...after.values()].filter((r) => !before.has(r.name)).sort(byName),
    closed: [...before.values()].filter((r) => !after.has(r.name)).sort(byName),
  };
}
