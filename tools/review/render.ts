/** The review as Markdown: one section per environment, what needs attention first. */
import { CATEGORIES, categoryTotals, total } from "../cost/estimate";
import { SYSTEMS } from "../synthesized/synthesized";
import type { AttributeChange, ResourceChange } from "./changes";
import type { Grant } from "./iam";
import type { EnvironmentReview, FindingChange } from "./review";

const MAX_ATTRIBUTES = 25;
const MAX_VALUE = 140;

const usd = (n: number) => `$${n.toFixed(2)}`;
const signed = (n: number) => {
  const rounded = Math.round(n * 100) / 100;
  return `${rounded < 0 ? "-" : "+"}$${Math.abs(rounded).toFixed(2)}`;
};
const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;

function value(v: unknown): string {
  if (v === undefined) return "(none)";
  const text = JSON.stringify(v);
  return code(text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text);
}

function attributeLine(a: AttributeChange): string {
  return `  - ${code(a.path)}: ${value(a.before)} → ${value(a.after)}`;
}

/** How the resource changes: created, destroyed, in place, replaced, or "run with PLAN=1". */
export function changeVerb(c: ResourceChange, planned: boolean): string {
  if (c.action === "create") return "created";
  if (c.action === "delete") return c.stateful ? "**destroyed** (stateful)" : "destroyed";
  const source = planned ? " (plan)" : "";
  const r = c.replacement;
  if (r?.kind === "replace") {
    const note = c.type === "aws_ecs_task_definition" ? "; a new task definition revision, its service rolls onto it" : "";
    return `**replaced**${source}: ${r.because.join(", ")} forces it${note}${c.stateful ? " (stateful)" : ""}`;
  }
  if (r?.kind === "unknown") return `updated, in place or replaced: run with PLAN=1 (${r.arguments.join(", ")})`;
  return `updated in place${source}`;
}

function resourceLines(c: ResourceChange, planned: boolean): string[] {
  const label = c.label ? ` (${c.label})` : "";
  const lines = [`- ${code(c.address.slice(c.stack.length + 1))}${label}: ${changeVerb(c, planned)}`];
  if (c.action === "update") {
    lines.push(...c.attributes.slice(0, MAX_ATTRIBUTES).map(attributeLine));
    if (c.attributes.length > MAX_ATTRIBUTES) lines.push(`  - … and ${c.attributes.length - MAX_ATTRIBUTES} more`);
    if (c.attributes.length === 0)
      lines.push("  - (no argument changed in the synthesized JSON: the plan changes it through a reference)");
  }
  return lines;
}

function grantText(g: Grant): string {
  const on = g.resource ? ` on ${code(g.resource)}` : "";
  const when = g.condition ? ` when ${code(g.condition)}` : "";
  return `${g.effect === "Allow" ? "" : `${g.effect} `}${code(g.action)}${on}${when}`;
}

function findingLine(f: FindingChange): string {
  const skipped = f.skip ? ` (skipped by security/checkov-skips.json: ${f.skip.reason})` : "";
  return `- ${f.finding.check} on ${code(f.finding.resource)}: ${f.finding.checkName}${skipped}`;
}

export function renderEnvironment(r: EnvironmentReview): string {
  const out: string[] = [`## ${r.environment}`, ""];
  out.push("### What needs attention", "");
  if (r.attention.length === 0) out.push("Nothing.");
  else out.push(...r.attention.map((a) => `- ${a.text}`));
  out.push("");

  const count = (action: ResourceChange["action"]) => r.changes.filter((c) => c.action === action).length;
  out.push(
    `### Resources: ${count("create")} added, ${count("delete")} removed, ${count("update")} changed` +
      (r.planned ? " (update or replace from the plan)" : ""),
    "",
  );
  if (r.changes.length === 0) out.push("No change.", "");
  for (const stack of [...new Set(r.changes.map((c) => c.stack))].sort()) {
    out.push(`#### stack ${code(stack)}`, "");
    for (const c of r.changes.filter((x) => x.stack === stack)) out.push(...resourceLines(c, r.planned));
    out.push("");
  }

  out.push("### IAM", "");
  if (r.roles.length === 0) out.push("No role gains or loses a permission.");
  for (const role of r.roles) {
    out.push(`- role ${code(role.role)} (stack ${role.stack})`);
    for (const g of role.gained) out.push(`  - gains ${grantText(g)}`);
    for (const g of role.lost) out.push(`  - loses ${grantText(g)}`);
  }
  out.push("");

  out.push("### Security groups", "");
  if (r.matrix.opened.length + r.matrix.closed.length === 0) out.push("No rule of the matrix opened or closed.");
  for (const rule of r.matrix.opened) out.push(`- opened ${code(rule.name)}: ${rule.description}`);
  for (const rule of r.matrix.closed) out.push(`- closed ${code(rule.name)}: ${rule.description}`);
  out.push("");

  out.push("### Cost per week", "");
  const before = categoryTotals(r.cost.base, "week", SYSTEMS);
  const after = categoryTotals(r.cost.head, "week", SYSTEMS);
  out.push("| category | before | after | difference |", "|---|---:|---:|---:|");
  for (const category of CATEGORIES) {
    out.push(
      `| ${category} | ${usd(before[category])} | ${usd(after[category])} | ${signed(after[category] - before[category])} |`,
    );
  }
  const [tb, ta] = [total(r.cost.base, "week", SYSTEMS), total(r.cost.head, "week", SYSTEMS)];
  out.push(`| **total** | ${usd(tb)} | ${usd(ta)} | **${signed(ta - tb)}** |`, "");
  out.push("The cost model of `make cost` (docs/review.md), both revisions at the working tree's prices.", "");

  out.push("### checkov", "");
  if (r.findings === undefined) out.push("Not scanned (SCAN=0).");
  else if (r.findings.added.length + r.findings.resolved.length === 0) out.push("No finding new or resolved.");
  else {
    if (r.findings.added.length > 0) out.push("New:", ...r.findings.added.map(findingLine));
    if (r.findings.resolved.length > 0) out.push("Resolved:", ...r.findings.resolved.map(findingLine));
  }
  out.push("");
  return out.join("\n");
}

export function renderReview(title: string, reviews: readonly EnvironmentReview[]): string {
  const summary = reviews.map((r) => {
    const attention = r.attention.length === 0 ? "nothing needs attention" : `**${r.attention.length} need attention**`;
    const diff = total(r.cost.head, "week", SYSTEMS) - total(r.cost.base, "week", SYSTEMS);
    return `- ${r.environment}: ${r.changes.length} resources change, ${attention}, ${signed(diff)} a week`;
  });
  return [`# ${title}`, "", ...summary, "", ...reviews.map(renderEnvironment)].join("\n");
}
