/**
 * Who may do what, per IAM role, in each revision: every (effect, action, resource, condition) a
 * role's inline policies and attached managed policies grant, so that the review lists what each
 * role gains and loses rather than two policy documents.
 */
import type { Resource, SynthesizedApp } from "../synthesized/synthesized";
import { decoded } from "./changes";

/** One permission: an action on a resource, under a condition. */
export interface Grant {
  readonly effect: string;
  readonly action: string;
  readonly resource: string;
  /** The statement's Condition block as JSON, when it has one. */
  readonly condition?: string;
}

export interface RoleChange {
  /** The role's name in AWS (`name`), else its address. */
  readonly role: string;
  readonly stack: string;
  readonly gained: readonly Grant[];
  readonly lost: readonly Grant[];
}

interface Statement {
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly Resource?: string | string[];
  readonly Condition?: unknown;
}

const list = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

// A value another stack passes through remote state: the report names the resource behind it.
const REMOTE_OUTPUT = /data\.terraform_remote_state\.[A-Za-z0-9_-]+\.outputs\.[A-Za-z0-9_-]+/g;

/** `text` with each remote-state output replaced by `<stack>/<type>.<name>.<attribute>` of the resource it carries. */
function readable(app: SynthesizedApp, stack: string, text: string): string {
  return text.replace(REMOTE_OUTPUT, (output) => {
    const [ref] = app.references(stack, `\${${output}}`);
    return ref ? `${ref.resource.address}${ref.attribute ? `.${ref.attribute}` : ""}` : output;
  });
}

function grantsOf(policy: unknown, name: (text: string) => string = (t) => t): Grant[] {
  const document = decoded(policy) as { Statement?: Statement | Statement[] } | undefined;
  const statements = document?.Statement === undefined ? [] : [document.Statement].flat();
  return statements.flatMap((s) =>
    list(s.Action).flatMap((action) =>
      list(s.Resource).map((resource) => ({
        effect: s.Effect ?? "Allow",
        action,
        resource: name(resource),
        ...(s.Condition === undefined ? {} : { condition: name(JSON.stringify(s.Condition)) }),
      })),
    ),
  );
}

const grantKey = (g: Grant): string => `${g.effect}\0${g.action}\0${g.resource}\0${g.condition ?? ""}`;

/** Every grant of every role created in the environment, by role name. */
export function grantsByRole(app: SynthesizedApp): Map<string, { stack: string; grants: Grant[] }> {
  const byRole = new Map<string, { stack: string; grants: Grant[] }>();
  const roleOf = (attachment: Resource): Resource | undefined =>
    app.referencedOfType(attachment.stack, attachment.config.role, "aws_iam_role")[0];
  for (const role of app.resources("aws_iam_role")) {
    byRole.set(String(role.config.name ?? role.address), { stack: role.stack, grants: [] });
  }
  for (const policy of app.resources("aws_iam_role_policy")) {
    const role = roleOf(policy);
    const entry = role && byRole.get(String(role.config.name ?? role.address));
    entry?.grants.push(...grantsOf(policy.config.policy, (text) => readable(app, policy.stack, text)));
  }
  for (const attachment of app.resources("aws_iam_role_policy_attachment")) {
    const role = roleOf(attachment);
    const entry = role && byRole.get(String(role.config.name ?? role.address));
    entry?.grants.push({ effect: "Allow", action: `managed policy ${String(attachment.config.policy_arn)}`, resource: "" });
  }
  return byRole;
}

/** Per role, the grants it gains and loses from `base` to `head`; roles without a change are left out. */
export function roleChanges(base: SynthesizedApp, head: SynthesizedApp): RoleChange[] {
  const before = grantsByRole(base);
  const after = grantsByRole(head);
  const roles = [...new Set([...before.keys(), ...after.keys()])].sort();
  const changes: RoleChange[] = [];
  for (const role of roles) {
    const a = before.get(role)?.grants ?? [];
    const b = after.get(role)?.grants ?? [];
    const aKeys = new Set(a.map(grantKey));
    const bKeys = new Set(b.map(grantKey));
    const gained = b.filter((g) => !aKeys.has(grantKey(g)));
    const lost = a.filter((g) => !bKeys.has(grantKey(g)));
    if (gained.length > 0 || lost.length > 0) {
      changes.push({ role, stack: (after.get(role) ?? before.get(role))?.stack ?? "?", gained, lost });
    }
  }
  return changes;
}

/** A grant of every action of a service or on every resource. */
export function isWildcard(grant: Grant): boolean {
  return grant.effect === "Allow" && (grant.action.includes("*") || grant.resource === "*");
}
