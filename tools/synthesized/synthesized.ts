/**
 * The synthesized Terraform JSON of one environment, read back as data for the review views
 * (`make cost`, `make diagram`): every resource with its stack and system, and the references
 * between resources followed across stacks (cdktf passes them through remote-state outputs).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** One stack's `cdk.tf.json`, parsed. */
export interface TfJson {
  readonly resource?: Readonly<Record<string, Readonly<Record<string, Record<string, unknown>>>>>;
  readonly data?: Readonly<Record<string, Readonly<Record<string, Record<string, unknown>>>>>;
  readonly output?: Readonly<Record<string, { readonly value: unknown }>>;
  readonly provider?: Readonly<Record<string, unknown>>;
  readonly terraform?: Readonly<Record<string, unknown>>;
}

/** Which system a resource serves: the `system` tag (its own, else its stack's default tag). */
export type SystemName = "airflow" | "video-pipeline" | "shared";
export const SYSTEMS: readonly SystemName[] = ["airflow", "video-pipeline", "shared"];

export interface Resource {
  readonly stack: string;
  readonly type: string;
  readonly name: string;
  /** `<stack>/<type>.<name>`: unique in the environment. */
  readonly address: string;
  /** The resource's arguments as synthesized (references are `${...}` strings). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly system: SystemName;
}

/** A reference from one value to a resource attribute, e.g. `${aws_subnet.private-a.id}`. */
export interface Reference {
  readonly resource: Resource;
  readonly attribute?: string;
}

/** Reads `<dir>/<stack>/cdk.tf.json` for every stack folder in `dir` (e.g. cdktf.out/env/hackathon/stacks). */
export function readSynthesizedStacks(dir: string): Record<string, TfJson> {
  if (!existsSync(dir)) throw new Error(`${dir} does not exist: run \`make synth-all\` first`);
  const stacks: Record<string, TfJson> = {};
  for (const stack of readdirSync(dir).sort()) {
    const file = join(dir, stack, "cdk.tf.json");
    if (existsSync(file)) stacks[stack] = JSON.parse(readFileSync(file, "utf8")) as TfJson;
  }
  if (Object.keys(stacks).length === 0) throw new Error(`${dir} holds no synthesized stack: run \`make synth-all\` first`);
  return stacks;
}

const SYSTEM_NAMES = new Set<string>(SYSTEMS);
// A resource reference inside an expression: `<type>.<name>` optionally followed by `.<attribute>`.
const RESOURCE_REF = /(^|[^A-Za-z0-9_.-])([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z0-9_-]+)(?:\.([a-z0-9_]+))?/g;
const REMOTE_STATE_REF = /data\.terraform_remote_state\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)/g;

function asSystem(value: unknown): SystemName | undefined {
  return typeof value === "string" && SYSTEM_NAMES.has(value) ? (value as SystemName) : undefined;
}

function defaultSystem(stack: TfJson): SystemName | undefined {
  const aws = (stack.provider?.aws ?? []) as { default_tags?: { tags?: Record<string, unknown> }[] }[];
  for (const provider of Array.isArray(aws) ? aws : [aws]) {
    for (const block of provider.default_tags ?? []) {
      const system = asSystem(block.tags?.system);
      if (system) return system;
    }
  }
  return undefined;
}

/** Every string inside a value, depth first (the order of the JSON). */
export function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out);
  else if (value && typeof value === "object") for (const v of Object.values(value)) stringsIn(v, out);
  return out;
}

/** An environment's stacks as one graph of resources. */
export class SynthesizedApp {
  private readonly byAddress = new Map<string, Resource>();
  private readonly all: Resource[] = [];

  constructor(readonly stacks: Readonly<Record<string, TfJson>>) {
    for (const stackId of Object.keys(stacks).sort()) {
      const stack = stacks[stackId];
      const stackSystem = defaultSystem(stack) ?? "shared";
      for (const type of Object.keys(stack.resource ?? {}).sort()) {
        const byName = stack.resource?.[type] ?? {};
        for (const name of Object.keys(byName).sort()) {
          const config = byName[name];
          const tags = config.tags as Record<string, unknown> | undefined;
          const resource: Resource = {
            stack: stackId,
            type,
            name,
            address: `${stackId}/${type}.${name}`,
            config,
            system: asSystem(tags?.system) ?? stackSystem,
          };
          this.all.push(resource);
          this.byAddress.set(resource.address, resource);
        }
      }
    }
  }

  /** Every resource, or every resource of one type, sorted by address. */
  resources(type?: string): Resource[] {
    return type === undefined ? [...this.all] : this.all.filter((r) => r.type === type);
  }

  get(stack: string, type: string, name: string): Resource | undefined {
    return this.byAddress.get(`${stack}/${type}.${name}`);
  }

  /**
   * The resources a value (an argument, or a whole config) refers to, in order of appearance,
   * following remote-state outputs into the stack that declares them.
   */
  references(stack: string, value: unknown): Reference[] {
    const found: Reference[] = [];
    for (const text of stringsIn(value)) this.referencesInText(stack, text, found, 0);
    return found;
  }

  /** The resources of `type` that `value` refers to, without duplicates. */
  referencedOfType(stack: string, value: unknown, type: string): Resource[] {
    const seen = new Set<string>();
    const out: Resource[] = [];
    for (const ref of this.references(stack, value)) {
      if (ref.resource.type === type && !seen.has(ref.resource.address)) {
        seen.add(ref.resource.address);
        out.push(ref.resource);
      }
    }
    return out;
  }

  /** Whether any argument of `resource` refers to `target`. */
  refersTo(resource: Resource, target: Resource): boolean {
    return this.references(resource.stack, resource.config).some((r) => r.resource.address === target.address);
  }

  private referencesInText(stack: string, text: string, found: Reference[], depth: number): void {
    if (depth > 5 || !text.includes("${")) return;
    const matches: { index: number; refs: Reference[] }[] = [];
    for (const m of text.matchAll(REMOTE_STATE_REF)) {
      const target = this.remoteStack(stack, m[1]);
      const output = target ? this.stacks[target]?.output?.[m[2]] : undefined;
      const refs: Reference[] = [];
      if (target && output) {
        for (const inner of stringsIn(output.value)) this.referencesInText(target, inner, refs, depth + 1);
      }
      matches.push({ index: m.index ?? 0, refs });
    }
    for (const m of text.matchAll(RESOURCE_REF)) {
      const index = (m.index ?? 0) + m[1].length;
      // `data.<type>.<name>` is a data source, not a resource.
      if (text.slice(Math.max(0, index - 5), index) === "data.") continue;
      const resource = this.get(stack, m[2], m[3]);
      if (resource) matches.push({ index, refs: [{ resource, attribute: m[4] }] });
    }
    for (const match of matches.sort((a, b) => a.index - b.index)) found.push(...match.refs);
  }

  /** The stack a `terraform_remote_state` data source reads: its key is `<environment>/<stack>.tfstate`. */
  private remoteStack(stack: string, dataName: string): string | undefined {
    const remote = this.stacks[stack]?.data?.terraform_remote_state?.[dataName] as
      | { config?: { key?: string; path?: string } }
      | undefined;
    const key = remote?.config?.key ?? remote?.config?.path;
    const fromKey = key?.match(/([^/]+)\.tfstate$/)?.[1];
    if (fromKey && this.stacks[fromKey]) return fromKey;
    const fromName = dataName.replace(/^cross-stack-reference-input-/, "");
    return this.stacks[fromName] ? fromName : undefined;
  }
}
