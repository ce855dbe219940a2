/**
 * The review of one environment between two revisions: resource changes, IAM, the matrix, cost,
 * checkov findings, and what needs attention, as data (render.ts turns it into Markdown).
 * Pure: the caller synthesizes, scans and plans (main.ts), and the tests build revisions in-process.
 */
import { join } from "node:path";
import { PROJECT_ROOT } from "../../config/load";
import type { Config } from "../../config/schema";
import { dagWorkload } from "../cost/dag-schedules";
import { type Estimate, estimate } from "../cost/estimate";
import { loadPrices } from "../cost/prices";
import { type Finding, loadSkips, type SkipEntry, skipMatches } from "../scan/skips";
import { SynthesizedApp, type TfJson } from "../synthesized/synthesized";
import { type AttentionItem, attentionItems } from "./attention";
import { type ResourceChange, resourceChanges } from "./changes";
import { type RoleChange, roleChanges } from "./iam";
import { isStateful, type Replacement } from "./replacement";
import { type MatrixChange, matrixChange } from "./security-groups";

/** One revision of one environment: its synthesized stacks and the config they came from. */
export interface Revision {
  readonly stacks: Readonly<Record<string, TfJson>>;
  readonly config: Config;
}

/** What `terraform show -json` of a plan says of one resource (tools/review/plan.py). */
export interface PlannedChange {
  /** `<stack>/<type>.<name>`. */
  readonly address: string;
  /** resource_changes[].change.actions, e.g. ["update"], ["delete", "create"]. */
  readonly actions: readonly string[];
  /** resource_changes[].change.replace_paths, flattened to `a.b` strings. */
  readonly replacePaths?: readonly string[];
}

export interface FindingChange {
  readonly finding: Finding;
  /** The skip-list entry that lets it fail, when there is one. */
  readonly skip?: SkipEntry;
}

export interface EnvironmentReview {
  readonly environment: string;
  readonly attention: readonly AttentionItem[];
  readonly changes: readonly ResourceChange[];
  readonly roles: readonly RoleChange[];
  readonly matrix: MatrixChange;
  readonly cost: { readonly base: Estimate; readonly head: Estimate };
  /** Undefined when the scan was not run. */
  readonly findings?: { readonly added: readonly FindingChange[]; readonly resolved: readonly FindingChange[] };
  /** Update versus replace came from a plan (PLAN=1). */
  readonly planned: boolean;
}

export interface ReviewInput {
  readonly environment: string;
  readonly base: Revision;
  readonly head: Revision;
  readonly findings?: { readonly base: readonly Finding[]; readonly head: readonly Finding[] };
  readonly plan?: readonly PlannedChange[];
}

function costOf(app: SynthesizedApp, config: Config): Estimate {
  // Both revisions are priced at the working tree's price list and DAG schedules: the difference
  // is the infrastructure's, not a price update's.
  return estimate(app, config.costAssumptions, loadPrices(config.region), dagWorkload(join(PROJECT_ROOT, "dags")));
}

const findingKey = (f: Finding) => `${f.check}\0${f.resource}`;

function findingChanges(base: readonly Finding[], head: readonly Finding[]): NonNullable<EnvironmentReview["findings"]> {
  const { skips } = loadSkips();
  const withSkip = (finding: Finding): FindingChange => ({ finding, skip: skips.find((s) => skipMatches(s, finding)) });
  const a = new Set(base.map(findingKey));
  const b = new Set(head.map(findingKey));
  return {
    added: head.filter((f) => !a.has(findingKey(f))).map(withSkip),
    resolved: base.filter((f) => !b.has(findingKey(f))).map(withSkip),
  };
}

/** Update versus replace as the plan says; resources the plan changes beyond the synthesized diff join the list. */
function withPlan(changes: readonly ResourceChange[], plan: readonly PlannedChange[], head: SynthesizedApp): ResourceChange[] {
  const byAddress = new Map(plan.map((p) => [p.address, p]));
  const fromPlan = (p: PlannedChange | undefined): Replacement | undefined => {
    if (p === undefined) return undefined;
    if (p.actions.includes("delete") && p.actions.includes("create")) {
      return { kind: "replace", because: p.replacePaths?.length ? [...p.replacePaths] : ["the plan"], fromPlan: true };
    }
    return { kind: "in-place" };
  };
  const out = changes.map((c) =>
    c.action === "update" ? { ...c, replacement: fromPlan(byAddress.get(c.address)) ?? { kind: "in-place" as const } } : c,
  );
  const seen = new Set(changes.map((c) => c.address));
  for (const p of plan) {
    if (seen.has(p.address) || p.actions.every((a) => a === "no-op" || a === "read")) continue;
    const [stack, rest] = p.address.split("/", 2);
    const type = rest.split(".", 1)[0];
    const resource = head.resources().find((r) => r.address === p.address);
    const action = p.actions.length === 1 && (p.actions[0] === "create" || p.actions[0] === "delete") ? p.actions[0] : "update";
    out.push({
      address: p.address,
      stack,
      type,
      action: action as ResourceChange["action"],
      attributes: [],
      replacement: action === "update" ? fromPlan(p) : undefined,
      stateful: resource !== undefined && isStateful(resource),
      // Not in the synthesized diff: its arguments read the same on both sides.
      before: resource,
      after: resource,
      label: undefined,
    });
  }
  return out.sort((a, b) => a.address.localeCompare(b.address));
}

export function reviewEnvironment(input: ReviewInput): EnvironmentReview {
  const base = new SynthesizedApp(input.base.stacks);
  const head = new SynthesizedApp(input.head.stacks);
  const synthesized = resourceChanges(base, head);
  const changes = input.plan ? withPlan(synthesized, input.plan, head) : synthesized;
  const roles = roleChanges(base, head);
  const matrix = matrixChange(base, head);
  return {
    environment: input.environment,
    attention: attentionItems(changes, roles, matrix),
    changes,
    roles,
    matrix,
    cost: { base: costOf(base, input.base.config), head: costOf(head, input.head.config) },
    findings: input.findings ? findingChanges(input.findings.base, input.findings.head) : undefined,
    planned: input.plan !== undefined,
  };
}
