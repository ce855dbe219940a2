/**
 * The move from CDKTF to CDK Terrain (cdktn), as a rewrite of a copy of this repository:
 * `tsx tools/cdktn/swap.ts <copy>` rewrites the copy's package.json and every module specifier
 * of cdktf and the AWS bindings in its TypeScript and JavaScript. `make check-cdktn` runs it on a
 * scratch copy (tools/cdktn/check.sh); docs/cdktn.md says what it changes and why.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The versions the move is proven with (`make check-cdktn`), pinned exactly. */
export const CDKTN_VERSIONS = {
  cdktn: "0.24.0",
  /** Generated from AWS provider 6.66.0. */
  "@cdktn/provider-aws": "25.7.0",
  /** cdktn 0.24 wants constructs >=10.6.0 <10.8.0 (cdktf 0.21: ^10.4.2, so 10.6.0 suits both). */
  constructs: "10.6.0",
} as const;

/** cdktf's packages and what replaces each. */
const RENAMES = { cdktf: "cdktn", "@cdktf/provider-aws": "@cdktn/provider-aws" } as const;

/** The parts of package.json the move touches. */
export interface PackageJson {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  overrides?: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * package.json under cdktn. There is no `@cdktn/provider-docker`: the docker bindings stay and
 * would pull in cdktf 0.21, whose resources fail under cdktn's stacks
 * (`_resetResolveDiscoveredProviderFeatureUsage is not a function`), so an override serves them
 * cdktn under cdktf's name. cdktf-cli goes: it depends on cdktf itself, and its successor
 * cdktn-cli needs Node.js >= 22.19 (docs/cdktn.md).
 */
export function cdktnPackageJson(pkg: PackageJson): PackageJson {
  const dependencies = { ...pkg.dependencies };
  const devDependencies = { ...pkg.devDependencies };
  for (const [from, to] of Object.entries(RENAMES)) {
    if (!(from in dependencies)) throw new Error(`package.json: dependencies.${from} is missing; nothing to rename to ${to}`);
    delete dependencies[from];
    dependencies[to] = CDKTN_VERSIONS[to];
  }
  dependencies.constructs = CDKTN_VERSIONS.constructs;
  delete devDependencies["cdktf-cli"];
  return {
    ...pkg,
    dependencies: sortKeys(dependencies),
    devDependencies,
    overrides: { ...pkg.overrides, cdktf: `npm:cdktn@${CDKTN_VERSIONS.cdktn}` },
  };
}

/**
 * A module specifier of cdktf or its AWS bindings (`from "cdktf"`, `require("cdktf/lib/...")`,
 * `import("@cdktf/provider-aws/lib/vpc")`), never a plain string such as the `managed-by: cdktf`
 * tag, which is synthesized output and must stay as it is.
 */
const SPECIFIER = /(\bfrom\s+|\brequire\(\s*|\bimport\(\s*)(["'])(cdktf|@cdktf\/provider-aws)(?=["'/])/g;

/** The source with every cdktf and AWS-binding module specifier pointed at cdktn's. */
export function rewriteImports(source: string): string {
  return source.replace(SPECIFIER, (_, keyword: string, quote: string, name: keyof typeof RENAMES) => {
    return `${keyword}${quote}${RENAMES[name]}`;
  });
}

function sortKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

/** Rewrites `root`'s package.json and the given source files in place; returns the files it changed. */
export function swapToCdktn(root: string, sourceFiles: readonly string[]): string[] {
  const packagePath = join(root, "package.json");
  const pkg = JSON.parse(readFileSync(packagePath, "utf8")) as PackageJson;
  writeFileSync(packagePath, `${JSON.stringify(cdktnPackageJson(pkg), null, 2)}\n`);
  const changed = ["package.json"];
  for (const file of sourceFiles) {
    const path = join(root, file);
    const before = readFileSync(path, "utf8");
    const after = rewriteImports(before);
    if (after !== before) {
      writeFileSync(path, after);
      changed.push(file);
    }
  }
  return changed;
}

if (require.main === module) {
  const [root, ...files] = process.argv.slice(2);
  if (!root) {
    process.stderr.write("usage: tsx tools/cdktn/swap.ts <copy of the repository> <source file>...\n");
    process.exit(2);
  }
  const changed = swapToCdktn(root, files);
  process.stdout.write(`swap: rewrote ${changed.length} files (${changed.length - 1} sources and package.json)\n`);
}
