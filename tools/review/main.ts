/**
 * `make review`: what the working tree changes in each environment against a base revision, as
 * Markdown on stdout and in cdktf.out/review/review.md (docs/review.md).
 *
 *   tsx tools/review/main.ts [--base <git ref>] [--plan] [--no-scan] [environment ...]
 *
 * The base is synthesized in a detached git worktree in a temporary folder (the working tree is
 * not touched), with the working tree's node_modules when its lock file is the same, else its own
 * `npm ci`, once per commit: its stacks and config are kept in cdktf.out/review/base/<sha>. Both
 * revisions are synthesized into cdktf.out/review/<environment> under their own root, so paths
 * relative to the output folder (the image's build context) read the same.
 * --plan: tools/review/plan.py applies the base to moto and plans the working tree against it
 * (needs TERRAFORM, TF_CLI_CONFIG_FILE and REVIEW_PYTHON, which `make review PLAN=1` provides).
 */
import { execFileSync, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { ConfigError, loadConfig, PROJECT_ROOT } from "../../config/load";
import type { Config } from "../../config/schema";
import { ENVIRONMENTS } from "../../config/schema";
import type { Finding } from "../scan/skips";
import { readSynthesizedStacks } from "../synthesized/synthesized";
import { renderReview } from "./render";
import { type PlannedChange, type Revision, reviewEnvironment } from "./review";
import { scanStacks } from "./scan";

const root = PROJECT_ROOT;
const OUT = join("cdktf.out", "review");

interface Options {
  base?: string;
  plan: boolean;
  scan: boolean;
  environments: string[];
}

function parseArgs(argv: string[]): { options: Options; problems: string[] } {
  const options: Options = { plan: false, scan: true, environments: [] };
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === "--base") options.base = argv[++i] || undefined;
    else if (arg === "--plan") options.plan = true;
    else if (arg === "--no-scan") options.scan = false;
    else if (arg.startsWith("-")) problems.push(`unknown option ${arg}`);
    else options.environments.push(...arg.split(/[\s,]+/).filter(Boolean));
  }
  if (options.environments.length === 0) options.environments = [...ENVIRONMENTS];
  for (const env of options.environments) {
    if (!(ENVIRONMENTS as readonly string[]).includes(env)) {
      problems.push(`REVIEW_ENV: "${env}" is not an environment (expected ${ENVIRONMENTS.join(", ")})`);
    }
  }
  return { options, problems };
}

const git = (...args: string[]): string =>
  execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

/** The base commit: BASE, else where this branch left main. */
function baseCommit(ref: string | undefined): { sha: string; name: string } {
  const name = ref ?? "merge-base HEAD main";
  try {
    const sha = ref === undefined ? git("merge-base", "HEAD", "main") : git("rev-parse", "--verify", `${ref}^{commit}`);
    return { sha, name };
  } catch {
    throw new UsageError(
      ref === undefined
        ? "BASE: this clone has no branch main to start from; give one, e.g. BASE=origin/main or BASE=HEAD~1"
        : `BASE: "${ref}" is not a commit here (expected a git ref such as main, HEAD~1 or a SHA)`,
    );
  }
}

class UsageError extends Error {}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(" ")} in ${cwd} exited ${code}:\n${stderr.slice(-3000)}`)),
    );
  });
}

/** A detached worktree of the base with node_modules: the working tree's when the lock is the same. */
async function baseWorktree(sha: string): Promise<{ dir: string; remove: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), "review-base-"));
  git("worktree", "add", "--detach", "--quiet", dir, sha);
  const remove = () => {
    try {
      git("worktree", "remove", "--force", dir);
    } catch {
      rmSync(dir, { recursive: true, force: true });
      git("worktree", "prune");
    }
  };
  try {
    const sameLock =
      readFileSync(join(dir, "package-lock.json"), "utf8") === readFileSync(join(root, "package-lock.json"), "utf8");
    if (sameLock) symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
    else {
      process.stderr.write("make review: the base has another package-lock.json: npm ci in its worktree\n");
      await run("npm", ["ci", "--no-audit", "--no-fund"], dir);
    }
  } catch (error) {
    remove();
    throw error;
  }
  return { dir, remove };
}

/** Synthesizes `environment` under `at` (a root: the working tree or the base's worktree) into cdktf.out/review/<environment>. */
async function synthesize(at: string, environment: string): Promise<string> {
  const outdir = join(at, OUT, environment);
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(join(at, OUT), { recursive: true });
  await run(process.execPath, [join(at, "bin", "app.js")], at, { ...process.env, DEPLOY_ENV: environment, CDKTF_OUTDIR: outdir });
  return join(outdir, "stacks");
}

/** At most `limit` at once: two cores, shared. */
async function inParallel<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/** The base's own config when today's schema accepts it, else today's (said in the report). */
function baseConfig(dir: string, environment: string, notes: string[]): Config {
  try {
    return loadConfig(environment, join(dir, "config"));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    notes.push(
      `${environment}: the base's config/${environment}.json does not validate today; its cost uses the working tree's usage assumptions`,
    );
    return loadConfig(environment);
  }
}

async function plan(baseDir: string, environments: string[]): Promise<Record<string, PlannedChange[]>> {
  const python = process.env.REVIEW_PYTHON ?? "python3";
  const out = join(root, OUT, "plan.json");
  rmSync(out, { force: true });
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      python,
      [
        join(root, "tools", "review", "plan.py"),
        "--base-root",
        baseDir,
        "--work",
        join(root, ".review-plan"),
        "--out",
        out,
        ...environments,
      ],
      {
        cwd: root,
        stdio: ["ignore", process.stderr, process.stderr],
      },
    );
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`tools/review/plan.py exited ${code}; logs in .review-plan/`)),
    );
  });
  const result = JSON.parse(readFileSync(out, "utf8")) as { environments: Record<string, { changes: PlannedChange[] }> };
  return Object.fromEntries(Object.entries(result.environments).map(([env, r]) => [env, r.changes]));
}

async function main(argv: string[]): Promise<number> {
  const started = Date.now();
  const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);
  const { options, problems } = parseArgs(argv);
  let base: { sha: string; name: string } | undefined;
  try {
    base = baseCommit(options.base);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    problems.unshift(error.message);
  }
  if (problems.length > 0 || base === undefined) throw new UsageError(problems.join("\n  "));
  const dirty = git("status", "--porcelain").length > 0;
  const envs = options.environments;
  // A commit synthesizes to the same stacks every time (its lock file fixes node_modules), so the
  // base's stacks and config are kept per commit: a warm review synthesizes the working tree only.
  const baseCache = join(root, OUT, "base", base.sha);
  const cached = existsSync(join(baseCache, "config")) && envs.every((env) => existsSync(join(baseCache, env, "stacks")));
  const worktree = options.plan || !cached ? await baseWorktree(base.sha) : undefined;
  const timings: string[] = [];
  const notes: string[] = [];
  try {
    let t = Date.now();
    const headTasks = envs.map((env) => () => synthesize(root, env));
    let baseTasks: (() => Promise<string>)[] = [];
    if (worktree) {
      const baseRoot = join(root, OUT, "base");
      for (const old of existsSync(baseRoot) ? readdirSync(baseRoot) : []) {
        if (old !== base.sha) rmSync(join(baseRoot, old), { recursive: true, force: true });
      }
      cpSync(join(worktree.dir, "config"), join(baseCache, "config"), { recursive: true });
      baseTasks = envs.map((env) => async () => {
        const stacks = await synthesize(worktree.dir, env);
        rmSync(join(baseCache, env), { recursive: true, force: true });
        cpSync(stacks, join(baseCache, env, "stacks"), { recursive: true });
        return stacks;
      });
    }
    // The first environment of each root alone: bin/app.js bundles the app on its first run, and
    // two first runs in one root would write the same bundle at once.
    await Promise.all([headTasks[0](), ...baseTasks.slice(0, 1).map((task) => task())]);
    await inParallel([...headTasks.slice(1), ...baseTasks.slice(1)], 3);
    const revisions: { base: Revision; head: Revision }[] = envs.map((env) => ({
      base: { stacks: readSynthesizedStacks(join(baseCache, env, "stacks")), config: baseConfig(baseCache, env, notes) },
      head: { stacks: readSynthesizedStacks(join(root, OUT, env, "stacks")), config: loadConfig(env) },
    }));
    timings.push(
      worktree
        ? `synthesized ${envs.length} environments twice in ${seconds(t)} s`
        : `synthesized ${envs.length} environments in ${seconds(t)} s (the base's from cdktf.out/review/base/)`,
    );

    let findings: { base: Finding[]; head: Finding[] }[] | undefined;
    if (options.scan) {
      t = Date.now();
      const checkov = process.env.CHECKOV ?? join(root, ".venv-tools", "bin", "checkov");
      const targets = envs.flatMap((environment, i) => [
        { environment, stacks: revisions[i].base.stacks },
        { environment, stacks: revisions[i].head.stacks },
      ]);
      const scan = await scanStacks(checkov, join(root, OUT), targets);
      findings = envs.map((_, i) => ({ base: scan.findings[2 * i], head: scan.findings[2 * i + 1] }));
      timings.push(`checkov on ${scan.scanned} stacks (${scan.cached} from cache) in ${seconds(t)} s`);
    }

    let planned: Record<string, PlannedChange[]> | undefined;
    if (options.plan) {
      t = Date.now();
      planned = await plan((worktree as { dir: string }).dir, envs);
      timings.push(`PLAN=1: base applied to moto and the working tree planned in ${seconds(t)} s`);
    }

    const reviews = envs.map((environment, i) =>
      reviewEnvironment({ environment, ...revisions[i], findings: findings?.[i], plan: planned?.[environment] }),
    );
    const title = `make review: ${base.name} (${base.sha.slice(0, 10)}) → the working tree${dirty ? " (with uncommitted changes)" : ` (${git("rev-parse", "--short=10", "HEAD")})`}`;
    timings.push(`${seconds(started)} s in all`);
    const footer = [
      ...notes.map((n) => `Note: ${n}.`),
      options.plan
        ? "Update versus replace comes from `terraform plan` against moto (PLAN=1); see docs/review.md for what the emulator hides."
        : 'Update versus replace comes from a table of known arguments; where it cannot know, it says "run with PLAN=1".',
      `Timing: ${timings.join("; ")}.`,
    ];
    const markdown = `${renderReview(title, reviews)}\n${footer.join("\n\n")}\n`;
    mkdirSync(join(root, OUT), { recursive: true });
    writeFileSync(join(root, OUT, "review.md"), markdown);
    process.stdout.write(markdown);
    process.stderr.write(`make review: written to ${relative(root, join(root, OUT, "review.md"))}\n`);
    return 0;
  } finally {
    worktree?.remove();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: Error) => {
      const message = error instanceof ConfigError ? `Invalid configuration: ${error.message}` : error.message;
      process.stderr.write(`make review:\n  ${message}\n`);
      process.exitCode = error instanceof UsageError ? 2 : 1;
    },
  );
}
