/**
 * `make bench`: the synthesis and test budget of docs/performance.md, measured. Each command runs
 * once to warm caches, then BENCH_RUNS times (default 5); it prints the median and the spread
 * (min-max) of wall time and, for single Node processes, peak memory. Then `make test` on this
 * warm checkout and each of its targets alone, and `make test` cold: a fresh clone of HEAD with
 * empty npm, pip and uv caches, after `make synth`, as .ci/run does it (BENCH_COLD runs, default
 * 1; 0 skips it: it downloads every package again and takes minutes).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { buildSync } from "esbuild";

const root = join(__dirname, "..", "..");
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? "5"));
const coldRuns = Math.max(0, Number(process.env.BENCH_COLD ?? "1"));
const reporter = join(__dirname, "report-max-rss.cjs");
const bin = (name: string) => join(root, "node_modules", ".bin", name);

interface Sample {
  readonly wallMs: number;
  readonly maxRssMiB?: number;
  readonly stdout: string;
}

function runOnce(command: string, args: readonly string[]): Sample {
  const scratch = mkdtempSync(join(tmpdir(), "bench-"));
  const rssFile = join(scratch, "rss");
  writeFileSync(rssFile, "");
  const { wallMs, stdout } = timed(command, args, root, {
    CDKTF_OUTDIR: join(scratch, "cdktf.out"),
    CHECKPOINT_DISABLE: "1",
    CI: "1",
    NODE_OPTIONS: `--require ${reporter}`,
    BENCH_RSS_FILE: rssFile,
  });
  // The first line is the measured process's own report; later ones are its children's.
  const [first] = readFileSync(rssFile, "utf8").split("\n").filter(Boolean).map(Number);
  rmSync(scratch, { recursive: true, force: true });
  return { wallMs, maxRssMiB: first === undefined ? undefined : first / 1024, stdout };
}

/** Runs a command to completion and times it; a failure stops the benchmark with its output. */
function timed(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const started = performance.now();
  const result = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 1 << 30 });
  const wallMs = performance.now() - started;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (${result.status}):\n${result.stderr}${result.stdout}`);
  }
  return { wallMs, stdout: result.stdout };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

interface Measurement {
  readonly name: string;
  readonly wallMs: number;
  readonly wallSpread: [number, number];
  readonly maxRssMiB?: number;
  readonly rssSpread?: [number, number];
}

/** `singleProcess`: report peak memory, which means something only for one Node process. */
function measure(name: string, command: string, args: readonly string[], singleProcess = true): Measurement {
  runOnce(command, args);
  return report(
    name,
    Array.from({ length: runs }, () => runOnce(command, args)),
    singleProcess,
  );
}

function report(name: string, samples: readonly Omit<Sample, "stdout">[], singleProcess = false): Measurement {
  const walls = samples.map((s) => s.wallMs);
  const rss = samples.map((s) => s.maxRssMiB).filter((v): v is number => v !== undefined);
  const m: Measurement = {
    name,
    wallMs: median(walls),
    wallSpread: [Math.min(...walls), Math.max(...walls)],
    ...(singleProcess && rss.length === samples.length
      ? { maxRssMiB: median(rss), rssSpread: [Math.min(...rss), Math.max(...rss)] }
      : {}),
  };
  const memory =
    m.maxRssMiB === undefined ? "" : `   peak ${m.maxRssMiB.toFixed(0)} MiB (${m.rssSpread?.map((v) => v.toFixed(0)).join("-")})`;
  console.log(
    `${name.padEnd(44)} ${(m.wallMs / 1000).toFixed(2)} s (${m.wallSpread.map((v) => (v / 1000).toFixed(2)).join("-")})${memory}`,
  );
  return m;
}

/** `make ARGS` in `cwd`, timed, BENCH_RUNS times (the caller warms up first). */
function measureMake(name: string, args: readonly string[], cwd = root, env: NodeJS.ProcessEnv = {}): Measurement {
  return report(
    name,
    Array.from({ length: runs }, () => timed("make", args, cwd, env)),
  );
}

/** The targets `make test` runs, as the mk/ fragments add them to TEST_TARGETS. */
function testTargets(): string[] {
  const { stdout } = timed("make", ["-s", "--eval", "print-%: ; @echo $($*)", "print-TEST_TARGETS"], root);
  return stdout.trim().split(/\s+/);
}

/**
 * `make test` warm (this checkout, after a warm-up run), then each of its targets alone (as
 * docs/performance.md's table lists them; their sum is what `make test` cost when it ran them one
 * after another), then cold.
 */
function benchMakeTest(): void {
  timed("make", ["test"], root);
  measureMake("make test, warm", ["test"]);
  for (const target of testTargets()) measureMake(`  make ${target}, alone`, [target]);
  for (let run = 0; run < coldRuns; run++) benchColdMakeTest();
}

/**
 * A fresh clone of HEAD (uncommitted changes are not in it) with empty npm, pip and uv caches:
 * `make synth`, then `make test`, each timed, as .ci/run runs them. The clone is removed after.
 */
function benchColdMakeTest(): void {
  const scratch = mkdtempSync(join(tmpdir(), "bench-cold-"));
  try {
    const clone = join(scratch, "repo");
    timed("git", ["clone", "--quiet", root, clone], root);
    const caches = {
      npm_config_cache: join(scratch, "npm"),
      PIP_CACHE_DIR: join(scratch, "pip"),
      UV_CACHE_DIR: join(scratch, "uv"),
    };
    const synth = timed("make", ["synth"], clone, caches);
    const test = timed("make", ["test"], clone, caches);
    console.log(
      `${"make test, cold (fresh clone, empty caches)".padEnd(44)} ${(test.wallMs / 1000).toFixed(1)} s, after make synth ${(synth.wallMs / 1000).toFixed(1)} s`,
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function main(): void {
  console.log(
    `make bench: ${runs} run(s) after a warm-up; median (min-max). ${cpus().length} CPUs, ${cpus()[0]?.model ?? "?"}, Node ${process.version}`,
  );
  const floor = measure("floor: node -e 'require(\"cdktf\")'", process.execPath, ["-e", 'require("cdktf")']);
  const synth = measure("app synth, default environment (bin/app.js)", process.execPath, [join(root, "bin", "app.js")]);
  console.log(
    `${"  = floor x".padEnd(44)} ${(synth.wallMs / floor.wallMs).toFixed(1)} wall, ${((synth.maxRssMiB ?? 0) / (floor.maxRssMiB ?? 1)).toFixed(1)} memory`,
  );
  measure("cdktf synth, end to end (CLI)", bin("cdktf"), ["synth", "--output", join(tmpdir(), "bench-cli.out")], false);
  measure("type check (tsc --noEmit)", bin("tsc"), ["--noEmit", "-p", "."], false);
  measure("Jest, whole suite", bin("jest"), ["--silent"], false);

  // Growth: the same app plus N extra load-balanced, autoscaled services.
  const fixture = join(root, ".gen", "bench", "extra-services-app.js");
  buildSync({
    entryPoints: [join(__dirname, "extra-services-app.ts")],
    outfile: fixture,
    bundle: true,
    packages: "external",
    platform: "node",
    format: "cjs",
    target: "node20",
    logLevel: "warning",
  });
  // What one more service costs. Runs alternate between the plain fixture and the one with N
  // extra services, each pair giving one slope, so drift in the machine's speed cancels out
  // instead of landing in the slope. Cold: one process per synth, timed inside it (constructs
  // and synth; Node's start-up and module loading do not grow with services, but add noise that
  // exceeds one service's cost). Warm: many pairs in one process, which resolves N = 1.
  const run = (...args: number[]) => JSON.parse(runOnce(process.execPath, [fixture, ...args.map(String)]).stdout);
  const show = (label: string, slopes: number[]) =>
    console.log(
      `${label.padEnd(44)} ${median(slopes).toFixed(1)} ms (${Math.min(...slopes).toFixed(1)} to ${Math.max(...slopes).toFixed(1)})`,
    );
  for (const extra of [1, 10, 50]) {
    show(`per extra service at ${extra}, warm`, run(extra, Math.max(5, Math.round(20 / extra)) * runs).slopes);
  }
  run(0);
  const cold = Array.from({ length: runs }, () => {
    const base: number = run(0).synthMs;
    return (run(50).synthMs - base) / 50;
  });
  show("per extra service at 50, cold", cold);

  benchMakeTest();
}

main();
