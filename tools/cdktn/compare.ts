/**
 * Compares two synthesized apps (cdktf's and cdktn's output of the same code) file by file and
 * value by value. Only the version fields may differ: which tool wrote the file and which provider
 * version the bindings were generated from. Everything else, an added, missing or changed value
 * anywhere, is a difference. `tsx tools/cdktn/compare.ts <cdktf outdir> <cdktn outdir>` exits 1
 * on any difference and lists each with its file, path and both values.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = readonly string[];

/**
 * The version fields, by file: the synthesizing tool's version (`"//".metadata.version` and the
 * manifest's `version`: 0.21.0 against 0.24.0) and each provider's version constraint, which the
 * bindings carry (aws 6.25.0 from @cdktf/provider-aws 21.22.1, 6.66.0 from @cdktn/provider-aws 25.7.0).
 */
export function isVersionField(file: string, path: Path): boolean {
  if (file === "manifest.json") return path.length === 1 && path[0] === "version";
  if (!file.endsWith("cdk.tf.json")) return false;
  const [a, b, , d] = path;
  if (path.length === 3 && a === "//" && b === "metadata" && path[2] === "version") return true;
  return path.length === 4 && a === "terraform" && b === "required_providers" && d === "version";
}

/**
 * A provider source written two ways that name the same provider: an unqualified `aws` is
 * Terraform's and OpenTofu's shorthand for `hashicorp/aws` (cdktf's bindings write the first,
 * cdktn's the second; the lock file and state name `registry.terraform.io/hashicorp/aws` either way).
 */
export function isSameProviderSource(file: string, path: Path, a: Json | undefined, b: Json | undefined): boolean {
  if (!file.endsWith("cdk.tf.json") || path.length !== 4) return false;
  if (path[0] !== "terraform" || path[1] !== "required_providers" || path[3] !== "source") return false;
  const qualified = (source: Json | undefined) =>
    typeof source === "string" && !source.includes("/") ? `hashicorp/${source}` : source;
  return typeof a === "string" && typeof b === "string" && qualified(a) === qualified(b);
}

export interface Difference {
  readonly file: string;
  /** The value's path in the file; `(file)` when the file exists on one side only. */
  readonly path: string;
  readonly cdktf: string;
  readonly cdktn: string;
}

export interface Comparison {
  /** Version fields that differ, as expected. */
  readonly versions: Difference[];
  /** Provider sources written differently that name the same provider. */
  readonly sameProvider: Difference[];
  /** Every other difference: any of these fails the check. */
  readonly differences: Difference[];
  readonly files: number;
}

const MISSING = "(absent)";

function show(value: Json | undefined): string {
  return value === undefined ? MISSING : JSON.stringify(value);
}

function walk(file: string, path: string[], a: Json | undefined, b: Json | undefined, out: Comparison): void {
  const bothObjects = (v: Json | undefined) => typeof v === "object" && v !== null;
  if (bothObjects(a) && bothObjects(b) && Array.isArray(a) === Array.isArray(b)) {
    const left = a as Record<string, Json>;
    const right = b as Record<string, Json>;
    const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
    for (const key of keys) walk(file, [...path, key], left[key], right[key], out);
    return;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  const difference = { file, path: path.map((key) => JSON.stringify(key)).join("."), cdktf: show(a), cdktn: show(b) };
  if (isVersionField(file, path)) out.versions.push(difference);
  else if (isSameProviderSource(file, path, a, b)) out.sameProvider.push(difference);
  else out.differences.push(difference);
}

/** Every JSON file under `dir`, relative to it. */
function jsonFiles(dir: string): string[] {
  const files: string[] = [];
  const visit = (current: string) => {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) visit(path);
      else if (name.endsWith(".json")) files.push(relative(dir, path));
    }
  };
  visit(dir);
  return files.sort();
}

/** Compares every JSON file of two synthesized output folders. */
export function compareOutdirs(cdktfDir: string, cdktnDir: string): Comparison {
  const out = { versions: [] as Difference[], sameProvider: [] as Difference[], differences: [] as Difference[], files: 0 };
  const left = jsonFiles(cdktfDir);
  const right = jsonFiles(cdktnDir);
  for (const file of [...new Set([...left, ...right])].sort()) {
    if (!left.includes(file) || !right.includes(file)) {
      out.differences.push({
        file,
        path: "(file)",
        cdktf: left.includes(file) ? "present" : MISSING,
        cdktn: right.includes(file) ? "present" : MISSING,
      });
      continue;
    }
    const read = (dir: string) => JSON.parse(readFileSync(join(dir, file), "utf8")) as Json;
    walk(file, [], read(cdktfDir), read(cdktnDir), out);
    out.files += 1;
  }
  return out;
}

/** The report `make check-cdktn` prints: what differs as expected (each change once), then each real difference. */
export function formatComparison(comparison: Comparison, label: string): string {
  const { files, versions, sameProvider, differences } = comparison;
  const lines = [
    `${label}: ${files} files compared; ${versions.length} version fields differ, ${sameProvider.length} provider sources name the same provider differently; ${differences.length} other differences`,
  ];
  const seen = new Set<string>();
  for (const [kind, list] of [
    ["version", versions],
    ["same provider", sameProvider],
  ] as const) {
    for (const d of list) {
      const line = `  ${kind} ${d.path}: ${d.cdktf} -> ${d.cdktn}`;
      if (!seen.has(line)) lines.push(line);
      seen.add(line);
    }
  }
  for (const d of differences) lines.push(`  DIFFERENT ${d.file} ${d.path}: cdktf ${d.cdktf}, cdktn ${d.cdktn}`);
  return lines.join("\n");
}

if (require.main === module) {
  const [cdktfDir, cdktnDir, label = "compare"] = process.argv.slice(2);
  if (!cdktfDir || !cdktnDir) {
    process.stderr.write("usage: tsx tools/cdktn/compare.ts <cdktf outdir> <cdktn outdir> [label]\n");
    process.exit(2);
  }
  const comparison = compareOutdirs(cdktfDir, cdktnDir);
  process.stdout.write(`${formatComparison(comparison, label)}\n`);
  if (comparison.differences.length > 0 || comparison.files === 0) process.exit(1);
}
