/**
 * What changes between two revisions of one environment's synthesized stacks: every resource
 * added, removed or changed, with its changed attributes. `jsonencode(...)` values (container
 * definitions, IAM policies) are decoded first, so that a change reads as the key that changed,
 * not as one line of several hundred characters.
 */

import type { Resource, SynthesizedApp } from "../synthesized/synthesized";
import { decodeJsonencode } from "../synthesized/tf-json";
import { isStateful, type Replacement, replacementOf } from "./replacement";

export type Action = "create" | "delete" | "update";

/** One leaf that differs; `before`/`after` undefined when the leaf is absent on that side. */
export interface AttributeChange {
  /** e.g. `cpu`, `container_definitions[webserver].environment[AIRFLOW__CORE__X]`. */
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface ResourceChange {
  /** `<stack>/<type>.<name>`, as in tools/synthesized/synthesized.ts. */
  readonly address: string;
  readonly stack: string;
  readonly type: string;
  /** The resource's own name in AWS (`name`, `bucket`, `identifier`, ...), when it has one. */
  readonly label?: string;
  readonly action: Action;
  readonly attributes: readonly AttributeChange[];
  /** For an update: replaced, updated in place, or not known without a plan. */
  readonly replacement?: Replacement;
  /** Holds data whose loss matters (replacement.ts STATEFUL). */
  readonly stateful: boolean;
  readonly before?: Resource;
  readonly after?: Resource;
}

// cdktf's construct metadata: where the resource was declared, not what Terraform creates.
const IGNORED_KEYS = new Set(["//"]);
const LABEL_KEYS = ["name", "bucket", "identifier", "family", "creation_token", "alarm_name", "name_prefix", "bucket_prefix"];
// Keys that name an element of a list, so a list diff reads per element, not per index.
const ELEMENT_KEYS = ["name", "Sid", "sid", "containerName", "sourceVolume", "namespace"];

const JSONENCODE = /^\$\{jsonencode\([\s\S]*\)\}$/;

/** The value with every `${jsonencode(...)}` string decoded to data. */
export function decoded(value: unknown): unknown {
  if (typeof value === "string" && JSONENCODE.test(value)) {
    try {
      return decoded(decodeJsonencode(value));
    } catch {
      return value; // an expression the decoder does not read stays a string: still compared
    }
  }
  if (Array.isArray(value)) return value.map(decoded);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decoded(v)]));
  }
  return value;
}

/** The key that names each element of `list` uniquely, if there is one. */
function elementKey(list: readonly unknown[]): string | undefined {
  if (list.length === 0 || !list.every((e) => e && typeof e === "object" && !Array.isArray(e))) return undefined;
  return ELEMENT_KEYS.find((key) => {
    const names = list.map((e) => (e as Record<string, unknown>)[key]);
    return names.every((n) => typeof n === "string") && new Set(names).size === names.length;
  });
}

/** Leaves of a decoded value by path. A list of scalars is one leaf: its order is what it is. */
function leaves(value: unknown, path: string, out: Map<string, unknown>): Map<string, unknown> {
  if (Array.isArray(value)) {
    const key = elementKey(value);
    if (key === undefined && value.every((e) => e === null || typeof e !== "object")) {
      out.set(path, value);
    } else if (key === undefined) {
      for (const [i, e] of value.entries()) leaves(e, `${path}[${i}]`, out);
    } else {
      for (const e of value as Record<string, unknown>[]) leaves(e, `${path}[${String(e[key])}]`, out);
    }
  } else if (value && typeof value === "object") {
    const entries = Object.entries(value).filter(([k]) => !(path === "" && IGNORED_KEYS.has(k)));
    if (entries.length === 0 && path !== "") out.set(path, value);
    for (const [k, v] of entries) leaves(v, path === "" ? k : `${path}.${k}`, out);
  } else {
    out.set(path, value);
  }
  return out;
}

/** The leaves that differ between two resource configurations, in path order. */
export function attributeChanges(before: object | undefined, after: object | undefined): AttributeChange[] {
  const a = leaves(decoded(before ?? {}), "", new Map());
  const b = leaves(decoded(after ?? {}), "", new Map());
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  return paths
    .filter((p) => JSON.stringify(a.get(p)) !== JSON.stringify(b.get(p)))
    .map((path) => ({ path, before: a.get(path), after: b.get(path) }));
}

export function labelOf(resource: Resource | undefined): string | undefined {
  const config = resource?.config ?? {};
  const key = LABEL_KEYS.find((k) => typeof config[k] === "string");
  return key === undefined ? undefined : String(config[key]);
}

/** Every resource created, deleted or changed from `base` to `head`, by address. */
export function resourceChanges(base: SynthesizedApp, head: SynthesizedApp): ResourceChange[] {
  const before = new Map(base.resources().map((r) => [r.address, r]));
  const after = new Map(head.resources().map((r) => [r.address, r]));
  const addresses = [...new Set([...before.keys(), ...after.keys()])].sort();
  const changes: ResourceChange[] = [];
  for (const address of addresses) {
    const a = before.get(address);
    const b = after.get(address);
    const attributes = attributeChanges(a?.config, b?.config);
    if (a && b && attributes.length === 0) continue;
    const resource = (b ?? a) as Resource;
    const action: Action = a === undefined ? "create" : b === undefined ? "delete" : "update";
    changes.push({
      address,
      stack: resource.stack,
      type: resource.type,
      label: labelOf(b ?? a),
      action,
      attributes,
      replacement: action === "update" ? replacementOf(resource.type, attributes) : undefined,
      stateful: [a, b].some((r) => r !== undefined && isStateful(r)),
      before: a,
      after: b,
    });
  }
  return changes;
}
