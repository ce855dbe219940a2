/**
 * Loads `config/<environment>.json`, validates it and returns a typed Config, or throws a
 * ConfigError listing every problem as `<path>: <problem> (got <value>; expected <allowed>)`.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { z } from "zod";
import { AIRFLOW_LINES } from "./airflow-lines";
import { type Config, configSchema, ENVIRONMENTS, type EnvironmentName } from "./schema";
import { type ConfigProblem, crossFieldProblems } from "./validate";

/** The repository root: the nearest folder above this file that holds cdktf.json. */
function projectRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "cdktf.json"))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

/**
 * The repository root, and where the environment files live. Found by looking for cdktf.json
 * rather than from this file's folder, because the app also runs bundled from `.gen/app/`
 * (bin/app.js); anything that reads repository files (image build contexts) starts here.
 */
export const PROJECT_ROOT = projectRoot(__dirname);
export const CONFIG_DIR = join(PROJECT_ROOT, "config");

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(`${source}:\n${problems.map((p) => `  ${formatProblem(p)}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.path || "(root)"}: ${p.problem} (got ${renderValue(p.got)}; expected ${p.expected})`;
}

function renderValue(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function isEnvironmentName(name: string): name is EnvironmentName {
  return (ENVIRONMENTS as readonly string[]).includes(name);
}

/** Reads and validates the config of `environment` from `dir` (default: this folder). */
export function loadConfig(environment: string, dir: string = CONFIG_DIR): Config {
  const { text, source, name } = readConfigFile(environment, dir);
  return parseConfig(text, source, name);
}

/**
 * The config of `environment` as if its file said `airflow.line: <line>`, for pricing one
 * environment on both lines (`make cost COMPARE=production@2.8`); never used to deploy. Going to
 * a line without a dag-processor or triggerer drops their sizes; going to one with them needs the
 * file to size them, and says so like any other config error.
 */
export function loadConfigOnLine(environment: string, line: string, dir: string = CONFIG_DIR): Config {
  const { text, source, name } = readConfigFile(environment, dir);
  let raw: { airflow?: Record<string, unknown> };
  try {
    raw = JSON.parse(text);
  } catch {
    return parseConfig(text, source, name); // reports the malformed JSON
  }
  if (raw.airflow && typeof raw.airflow === "object") {
    raw.airflow.line = line;
    const extra: readonly string[] = (AIRFLOW_LINES as Record<string, { extraComponents: readonly string[] }>)[line]
      ?.extraComponents ?? ["dag-processor", "triggerer"];
    if (!extra.includes("dag-processor")) delete raw.airflow.dagProcessor;
    if (!extra.includes("triggerer")) delete raw.airflow.triggerer;
  }
  return parseConfig(JSON.stringify(raw), `${source} with airflow.line ${JSON.stringify(line)}`, name);
}

function readConfigFile(environment: string, dir: string): { text: string; source: string; name: EnvironmentName } {
  if (!isEnvironmentName(environment)) {
    throw new ConfigError("DEPLOY_ENV", [
      { path: "DEPLOY_ENV", problem: "unknown environment", got: environment, expected: ENVIRONMENTS.join(", ") },
    ]);
  }
  const file = join(dir, `${environment}.json`);
  const source = relative(process.cwd(), file) || file;
  try {
    return { text: readFileSync(file, "utf8"), source, name: environment };
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(source, [
      { path: "", problem: `cannot read the file (${reason})`, got: file, expected: "a readable JSON file" },
    ]);
  }
}

/** Validates config text; `environment` is what the file name says it is. */
export function parseConfig(text: string, source: string, environment: EnvironmentName): Config {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(source, [malformedJson(text, error as SyntaxError)]);
  }
  const result = configSchema.safeParse(raw, { reportInput: true });
  const problems = result.success ? [] : result.error.issues.flatMap((issue) => schemaProblems(issue, raw));
  // Cross-field checks run even when the schema failed, so one run reports every mistake; a
  // finding under a path the schema already rejected is dropped as a consequence of that error.
  const rejected = problems.map((p) => p.path);
  for (const extra of crossFieldProblems(raw as Config, PROJECT_ROOT)) {
    if (!rejected.some((path) => extra.path === path || extra.path.startsWith(`${path}.`) || path.startsWith(`${extra.path}.`))) {
      problems.push(extra);
    }
  }
  const declared = (raw as { environment?: unknown } | null)?.environment;
  if (typeof declared === "string" && isEnvironmentName(declared) && declared !== environment) {
    problems.push({ path: "environment", problem: "does not match the file name", got: declared, expected: `"${environment}"` });
  }
  if (problems.length > 0) throw new ConfigError(source, problems);
  return (result as { data: Config }).data;
}

function malformedJson(text: string, error: SyntaxError): ConfigProblem {
  const position = Number(/position (\d+)/.exec(error.message)?.[1] ?? Number.NaN);
  let where = "";
  let got: unknown = text.slice(0, 20);
  if (Number.isFinite(position)) {
    const before = text.slice(0, position).split("\n");
    where = ` at line ${before.length}, column ${before[before.length - 1].length + 1}`;
    got = text.slice(position, position + 20) || "end of file";
  }
  return { path: "", problem: `malformed JSON${where}`, got, expected: "a JSON object (no comments, no trailing commas)" };
}

function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    "",
  );
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let node = raw;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function schemaProblems(issue: z.core.$ZodIssue, raw: unknown): ConfigProblem[] {
  if (issue.code === "unrecognized_keys") {
    // One problem per unknown key, so each typo is named at its own path.
    const expected = `one of ${allowedKeys(issue.path, raw).join(", ")}`;
    return issue.keys.map((key) => ({ path: pathText([...issue.path, key]), problem: "unknown key", got: key, expected }));
  }
  return [schemaProblem(issue, raw)];
}

function schemaProblem(issue: z.core.$ZodIssue, raw: unknown): ConfigProblem {
  const path = pathText(issue.path);
  const got = valueAt(raw, issue.path);
  switch (issue.code) {
    case "invalid_type":
      return got === undefined
        ? { path, problem: "missing", got, expected: issue.expected }
        : { path, problem: "wrong type", got, expected: issue.expected };
    case "invalid_value": {
      // "512" where 512 is allowed is a type mistake, worth naming as one.
      const typeAllowed = issue.values.some((v) => typeof v === typeof got);
      const problem = got !== undefined && !typeAllowed ? "wrong type" : "not an allowed value";
      return { path, problem, got, expected: issue.values.map((v) => JSON.stringify(v)).join(", ") };
    }
    case "too_small":
      return {
        path,
        problem: "too small",
        got,
        expected: `${issue.inclusive === false ? "more than" : "at least"} ${issue.minimum}${issue.origin === "array" ? " items" : issue.origin === "string" ? " characters" : ""}`,
      };
    case "too_big":
      return {
        path,
        problem: "too big",
        got,
        expected: `${issue.inclusive === false ? "less than" : "at most"} ${issue.maximum}${issue.origin === "array" ? " items" : issue.origin === "string" ? " characters" : ""}`,
      };
    case "invalid_format":
      return {
        path,
        problem: issue.format === "regex" ? issue.message : `not a valid ${issue.format}`,
        got,
        expected: issue.format === "regex" ? `to match ${issue.pattern}` : `a valid ${issue.format}`,
      };
    case "invalid_union": {
      const discriminator = (issue as { discriminator?: string }).discriminator;
      if (discriminator) {
        // Zod may already end the path at the discriminator; the union itself is its parent.
        const unionPath = issue.path.at(-1) === discriminator ? issue.path.slice(0, -1) : issue.path;
        const keyPath = [...unionPath, discriminator];
        const options = unionOptions(unionPath, discriminator);
        return {
          path: pathText(keyPath),
          problem: "not an allowed value",
          got: valueAt(raw, keyPath),
          expected: options.join(", "),
        };
      }
      return { path, problem: "matches none of the allowed forms", got, expected: "one of the forms the schema lists" };
    }
    default: {
      // Custom refinements carry "<problem> (expected <allowed>)" in their message.
      const match = /^(.*) \(expected (.*)\)$/.exec(issue.message);
      return match
        ? { path, problem: match[1], got, expected: match[2] }
        : { path, problem: issue.message, got, expected: "see config/environment.schema.json" };
    }
  }
}

/** The schema node at `path`, stepping into optionals, arrays and the matching union option. */
function schemaAt(path: readonly PropertyKey[], raw: unknown): z.ZodType | undefined {
  let node: z.ZodType | undefined = configSchema;
  for (let i = 0; i <= path.length && node; i++) {
    while (node instanceof z.ZodOptional) node = node.unwrap() as z.ZodType;
    if (node instanceof z.ZodDiscriminatedUnion) {
      const key = node.def.discriminator;
      const value = valueAt(raw, [...path.slice(0, i), key]);
      node = node.options.find((o) => (o as z.ZodObject).shape[key]?.safeParse(value).success) as z.ZodType | undefined;
    }
    if (i === path.length || !node) break;
    const key = path[i];
    if (node instanceof z.ZodObject) node = node.shape[key as string] as z.ZodType | undefined;
    else if (node instanceof z.ZodArray) node = node.element as z.ZodType;
    else node = undefined;
  }
  return node;
}

function allowedKeys(path: readonly PropertyKey[], raw: unknown): string[] {
  const node = schemaAt(path, raw);
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

function unionOptions(path: readonly PropertyKey[], discriminator: string): string[] {
  let node: z.ZodType | undefined = configSchema;
  for (const key of path) {
    while (node instanceof z.ZodOptional) node = node.unwrap() as z.ZodType;
    node = node instanceof z.ZodObject ? (node.shape[key as string] as z.ZodType) : undefined;
    if (!node) return [];
  }
  while (node instanceof z.ZodOptional) node = node.unwrap() as z.ZodType;
  if (!(node instanceof z.ZodDiscriminatedUnion)) return [];
  return node.options.flatMap((o) =>
    [...((o as z.ZodObject).shape[discriminator] as z.ZodLiteral).values].map((v) => JSON.stringify(v)),
  );
}
