/**
 * Reads synthesized Terraform JSON where cdktf's matchers cannot reach: the one place tests decode
 * it by hand.
 *
 * The matchers (registered in setup.ts) answer "is there a resource of this class with these
 * properties". Under Jest, cdktf's adapter (cdktf/lib/testing/adapters/jest.js) matches
 * `expect.arrayContaining([expect.objectContaining(properties)])` against the resources of the
 * class's `tfResourceType`, so:
 * - keys are the JSON's snake_case (`desired_count`); camelCase keys never match under Jest;
 * - the top level is a subset, but a nested object or array must match whole unless it is an
 *   asymmetric matcher itself (`expect.objectContaining`, `expect.stringMatching`, ...);
 * - `.not` with `expect.anything()` says that no such resource has the property.
 * They cannot count resources, see a set as a whole, or look inside a `${jsonencode(...)}` value
 * (container definitions, IAM policy documents): that is what this module is for.
 */
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import type { TfJson } from "./synthesized";

export type { TfJson };

/** What the matchers take: a provider class, for its Terraform type name. */
export interface TerraformType {
  readonly tfResourceType: string;
}

export type Resource = Record<string, any>;

let lastText = "";
let lastParsed: TfJson = {};

/** The stack's JSON, parsed (the last one kept: tests ask about one stack many times in a row). */
export function parseStack(json: string): TfJson {
  if (json !== lastText) {
    lastParsed = JSON.parse(json) as TfJson;
    lastText = json;
  }
  return lastParsed;
}

/** Every resource of the class in the stack, in synthesis order: to count them or read them as a set. */
export function resourcesOf<T = Resource>(json: string, type: TerraformType): T[] {
  return Object.values(parseStack(json).resource?.[type.tfResourceType] ?? {}) as T[];
}

/** Every data source of the class in the stack. */
export function dataSourcesOf<T = Resource>(json: string, type: TerraformType): T[] {
  return Object.values(parseStack(json).data?.[type.tfResourceType] ?? {}) as T[];
}

/**
 * The one resource of the class (whose `key` is `value`, when given); throws when there is none
 * or more, so that a test reading its values also says it is the only one.
 */
export function onlyResource<T = Resource>(json: string, type: TerraformType, key?: string, value?: unknown): T {
  const found = resourcesOf<Resource>(json, type).filter((r) => key === undefined || r[key] === value);
  if (found.length !== 1) {
    const which = key === undefined ? "" : ` with ${key} = ${JSON.stringify(value)}`;
    throw new Error(`expected one ${type.tfResourceType}${which}, found ${found.length}`);
  }
  return found[0] as T;
}

/**
 * `<type>.<logical id>.<attribute>` of the one resource of the class whose `key` is `value`: the
 * reference another resource's argument holds to it (a policy's Resource, a depends_on entry).
 */
export function addressOf(json: string, type: TerraformType, key: string, value: unknown, attribute?: string): string {
  const entries = Object.entries(parseStack(json).resource?.[type.tfResourceType] ?? {}).filter(([, r]) => r[key] === value);
  if (entries.length !== 1) {
    throw new Error(`expected one ${type.tfResourceType} with ${key} = ${JSON.stringify(value)}, found ${entries.length}`);
  }
  const address = `${type.tfResourceType}.${entries[0][0]}`;
  return attribute === undefined ? address : `${address}.${attribute}`;
}

/** A container definition as ECS reads it (inside the task definition's `jsonencode`). */
export interface ContainerDefinition {
  readonly name: string;
  readonly image: string;
  readonly essential?: boolean;
  readonly command?: string[];
  readonly portMappings: { containerPort: number; hostPort: number; protocol: string }[];
  readonly environment: { name: string; value: string }[];
  readonly secrets: { name: string; valueFrom: string }[];
  readonly mountPoints?: { sourceVolume: string; containerPath: string; readOnly: boolean }[];
  readonly logConfiguration: { logDriver: string; options: Record<string, string> };
  readonly healthCheck?: Record<string, unknown>;
  readonly readonlyRootFilesystem?: boolean;
  readonly stopTimeout?: number;
}

/** The container definitions of a task definition resource. */
export function containerDefinitions(taskDefinition: Resource): ContainerDefinition[] {
  return decodeJsonencode(taskDefinition.container_definitions as string) as ContainerDefinition[];
}

/** The single container of the task definition `family`. */
export function containerOf(json: string, family: string): ContainerDefinition {
  const definitions = containerDefinitions(onlyResource(json, EcsTaskDefinition, "family", family));
  if (definitions.length !== 1) throw new Error(`expected one container in ${family}, found ${definitions.length}`);
  return definitions[0];
}

/** The single container of every task definition in the stack, by container name. */
export function containersByName(json: string): Record<string, ContainerDefinition> {
  const out: Record<string, ContainerDefinition> = {};
  for (const taskDefinition of resourcesOf(json, EcsTaskDefinition)) {
    const definitions = containerDefinitions(taskDefinition);
    if (definitions.length !== 1)
      throw new Error(`expected one container in ${taskDefinition.family}, found ${definitions.length}`);
    out[definitions[0].name] = definitions[0];
  }
  return out;
}

/** A container's plain environment as a name -> value map. */
export const environmentOf = (c: ContainerDefinition): Record<string, string> =>
  Object.fromEntries(c.environment.map((e) => [e.name, e.value]));

/** A container's ECS secrets as a name -> valueFrom map. */
export const secretsOf = (c: ContainerDefinition): Record<string, string> =>
  Object.fromEntries(c.secrets.map((s) => [s.name, s.valueFrom]));

/** One statement of an IAM policy document, as the stacks write them. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string[];
  readonly Resource: string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of a `${jsonencode(...)}` policy document (an inline role policy's `policy`). */
export function policyStatements(policy: unknown): PolicyStatement[] {
  return (decodeJsonencode(policy as string) as { Statement: PolicyStatement[] }).Statement;
}

/** The statements of every inline role policy in the stack, by the name of the role it is attached to. */
export function statementsByRole(json: string): Record<string, PolicyStatement[]> {
  const roles = parseStack(json).resource?.aws_iam_role ?? {};
  const out: Record<string, PolicyStatement[]> = {};
  for (const policy of Object.values(parseStack(json).resource?.aws_iam_role_policy ?? {})) {
    const roleId = /aws_iam_role\.([^.]+)\.id/.exec(String(policy.role))?.[1] ?? "";
    const role = roles[roleId];
    if (!role)
      throw new Error(`inline policy ${String(policy.name)} is attached to no role of this stack (${String(policy.role)})`);
    out[String(role.name)] = policyStatements(policy.policy);
  }
  return out;
}

/**
 * Reads back a value that cdktf synthesized as `${jsonencode(...)}` (container definitions,
 * IAM policies), so tests can assert on it as data. Terraform references inside it (bare or
 * interpolated) come back as strings: `aws_x.y.arn`, `${aws_x.y.arn}/index/*`.
 */
export function decodeJsonencode(expression: string): unknown {
  const match = /^\$\{jsonencode\(([\s\S]*)\)\}$/.exec(expression);
  if (!match) throw new Error(`not a jsonencode expression: ${expression.slice(0, 80)}`);
  const hcl = match[1];
  let json = "";
  let i = 0;
  const readString = (): string => {
    // From an opening quote to its closing quote, skipping over ${...} interpolations.
    let out = '"';
    i += 1;
    while (i < hcl.length) {
      const c = hcl[i];
      if (c === "\\") {
        out += hcl.slice(i, i + 2);
        i += 2;
      } else if (c === "$" && hcl[i + 1] === "{") {
        let depth = 0;
        const start = i;
        i += 1; // past the "$": the braces from here on decide where the interpolation ends
        do {
          if (hcl[i] === "{") depth += 1;
          else if (hcl[i] === "}") depth -= 1;
          i += 1;
        } while (depth > 0 && i < hcl.length);
        out += hcl.slice(start, i).replace(/\\?"/g, '\\"');
      } else if (c === '"') {
        i += 1;
        return `${out}"`;
      } else {
        out += c;
        i += 1;
      }
    }
    throw new Error("unterminated string");
  };
  while (i < hcl.length) {
    const c = hcl[i];
    if (c === '"') {
      json += readString();
    } else if (c === "=") {
      json += ":";
      i += 1;
    } else if (/[A-Za-z_]/.test(c)) {
      // A bare reference or function call: up to the next top-level delimiter.
      let depth = 0;
      let quoted = false;
      const start = i;
      while (i < hcl.length && (quoted || depth > 0 || !/[\s,}\]]/.test(hcl[i]))) {
        const ch = hcl[i];
        if (quoted) {
          if (ch === "\\") i += 1;
          else if (ch === '"') quoted = false;
        } else if (ch === '"') quoted = true;
        else if (ch === "[" || ch === "(") depth += 1;
        else if (ch === "]" || ch === ")") depth -= 1;
        i += 1;
      }
      const word = hcl.slice(start, i);
      json += ["true", "false", "null"].includes(word) ? word : JSON.stringify(word);
    } else {
      json += c;
      i += 1;
    }
  }
  return JSON.parse(json);
}
