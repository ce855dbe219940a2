/**
 * `make scan`: checkov on every synthesized stack of every environment, one checkov run per
 * environment, in parallel. Every check runs; the skip list (security/checkov-skips.json) is
 * applied to the findings afterwards, so that a skip can name resources, and so that a skip
 * that no longer skips anything is noticed. Fails on a finding no entry skips, on a skip list
 * problem (an entry without a reason, ...), on a stale entry and on a file checkov cannot parse.
 *
 *   CHECKOV=.venv-tools/bin/checkov tsx tools/scan/main.ts [environment ...]
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { PROJECT_ROOT } from "../../config/load";
import { ENVIRONMENTS } from "../../config/schema";
import type { TfJson } from "../synthesized/synthesized";
import { applySkips, type Finding, loadSkips, SKIPS_FILE } from "./skips";

interface CheckovReport {
  readonly check_type?: string;
  readonly results?: { failed_checks?: CheckovCheck[] };
  readonly summary?: { passed: number; failed: number; skipped: number; parsing_errors: number; checkov_version?: string };
}
interface CheckovCheck {
  readonly check_id: string;
  readonly check_name: string;
  /** `<type>.<name>`, or `resource.<name>` for some checks of the terraform_json framework. */
  readonly resource: string;
  /** `/<stack>/cdk.tf.json`, relative to the scanned folder. */
  readonly file_path: string;
}

/**
 * A copy checkov can parse. checkov 3.3.30's terraform_json parser rejects a scalar setting in
 * the `terraform` block (the data stack's `required_version`): the copy leaves such settings out.
 * Nothing checkov checks lives there.
 */
export function scannableCopy(stack: TfJson): TfJson {
  const terraform = Object.fromEntries(
    Object.entries(stack.terraform ?? {}).filter(([, v]) => v !== null && typeof v === "object" && !Array.isArray(v)),
  );
  return { ...stack, terraform };
}

/** `<stack>/<type>.<name>` of a failed check, finding the type in the stack when checkov omits it. */
export function resourceAddress(check: CheckovCheck, stacks: Readonly<Record<string, TfJson>>): string {
  const stack = check.file_path.split("/").filter(Boolean)[0] ?? "?";
  const dot = check.resource.indexOf(".");
  const [type, name] = [check.resource.slice(0, dot), check.resource.slice(dot + 1)];
  if (type !== "resource") return `${stack}/${type}.${name}`;
  const types = Object.keys(stacks[stack]?.resource ?? {}).filter((t) => stacks[stack]?.resource?.[t]?.[name] !== undefined);
  return `${stack}/${types.length === 1 ? types[0] : "?"}.${name}`;
}

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // No download of guidelines from Prisma Cloud (no network in CI; the results do not need it).
    const child = spawn(command, args, { env: { ...process.env, BC_SKIP_MAPPING: "TRUE", LOG_LEVEL: "ERROR" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

interface EnvironmentResult {
  readonly environment: string;
  readonly stacks: number;
  readonly passed: number;
  readonly findings: Finding[];
  readonly parsingErrors: number;
  readonly version: string;
}

async function scanEnvironment(checkov: string, environment: string): Promise<EnvironmentResult> {
  const source = join(PROJECT_ROOT, "cdktf.out", "env", environment, "stacks");
  if (!existsSync(source)) throw new Error(`${relative(PROJECT_ROOT, source)} does not exist: run \`make synth-all\` first`);
  const target = join(PROJECT_ROOT, "cdktf.out", "scan", environment);
  rmSync(target, { recursive: true, force: true });
  const stacks: Record<string, TfJson> = {};
  for (const stack of readdirSync(source).sort()) {
    const file = join(source, stack, "cdk.tf.json");
    if (!existsSync(file)) continue;
    stacks[stack] = JSON.parse(readFileSync(file, "utf8")) as TfJson;
    mkdirSync(join(target, stack), { recursive: true });
    writeFileSync(join(target, stack, "cdk.tf.json"), JSON.stringify(scannableCopy(stacks[stack]), null, 2));
  }
  const args = ["-d", target, "--framework", "terraform_json", "--output", "json", "--quiet", "--compact", "--skip-download"];
  const { code, stdout, stderr } = await run(checkov, args);
  let parsed: CheckovReport | CheckovReport[];
  try {
    parsed = JSON.parse(stdout) as CheckovReport | CheckovReport[];
  } catch {
    throw new Error(`checkov on ${environment} exited ${code} without a JSON report:\n${(stderr || stdout).slice(-2000)}`);
  }
  const reports = Array.isArray(parsed) ? parsed : [parsed];
  const findings: Finding[] = reports.flatMap((r) =>
    (r.results?.failed_checks ?? []).map((c) => ({
      environment,
      check: c.check_id,
      checkName: c.check_name,
      resource: resourceAddress(c, stacks),
    })),
  );
  const sum = (key: "passed" | "parsing_errors") => reports.reduce((n, r) => n + (r.summary?.[key] ?? 0), 0);
  return {
    environment,
    stacks: Object.keys(stacks).length,
    passed: sum("passed"),
    findings,
    parsingErrors: sum("parsing_errors"),
    version: reports[0]?.summary?.checkov_version ?? "?",
  };
}

async function main(argv: string[]): Promise<number> {
  const started = Date.now();
  const environments = argv.length > 0 ? argv : [...ENVIRONMENTS];
  const unknown = environments.filter((e) => !(ENVIRONMENTS as readonly string[]).includes(e));
  const checkov = process.env.CHECKOV ?? "checkov";
  const { skips, problems } = loadSkips();
  if (unknown.length > 0) problems.push(`unknown environment(s) ${unknown.join(", ")} (expected ${ENVIRONMENTS.join(", ")})`);
  if (problems.length > 0) {
    process.stderr.write(`make scan: ${relative(PROJECT_ROOT, SKIPS_FILE)}:\n  ${problems.join("\n  ")}\n`);
    return 1;
  }

  const results = await Promise.all(environments.map((env) => scanEnvironment(checkov, env)));
  const applied = applySkips(
    skips,
    results.flatMap((r) => r.findings),
    environments,
  );
  for (const f of applied.failed) {
    process.stdout.write(`FAILED ${f.environment} ${f.check} ${f.resource}: ${f.checkName}\n`);
  }
  for (const r of results) {
    const failed = applied.failed.filter((f) => f.environment === r.environment).length;
    const skipped = applied.skipped.filter((s) => s.finding.environment === r.environment).length;
    const errors = r.parsingErrors > 0 ? `, ${r.parsingErrors} files checkov could not parse` : "";
    process.stdout.write(
      `${r.environment}: ${r.passed} passed, ${failed} failed, ${skipped} skipped (checkov ${r.version}, ${r.stacks} stacks${errors})\n`,
    );
  }
  for (const s of applied.stale) process.stdout.write(`STALE ${s}\n`);
  const parsingErrors = results.reduce((n, r) => n + r.parsingErrors, 0);
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const ok = applied.failed.length === 0 && applied.stale.length === 0 && parsingErrors === 0;
  process.stdout.write(
    ok
      ? `make scan: checkov passed on ${environments.length} environments in ${seconds} s\n`
      : `make scan: ${applied.failed.length} unskipped findings, ${applied.stale.length} stale skips, ${parsingErrors} parsing errors (${seconds} s)\n`,
  );
  return ok ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: Error) => {
      process.stderr.write(`make scan: ${error.message}\n`);
      process.exitCode = 1;
    },
  );
}
