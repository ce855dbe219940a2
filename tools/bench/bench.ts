/**
 * `make bench`: the synthesis and test budget of docs/performance.md, measured. Each command runs
 * once to warm caches, then BENCH_RUNS times (default 5); it prints the median and the spread
 * (min-max) of wall time and, for single Node processes, peak memory.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { buildSync } from "esbuild";

const root = join(__dirname, "..", "..");
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? "5"));
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
  const started = performance.now();
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: "utf8",
    env: {
      ...process.env,
      CDKTF_OUTDIR: join(scratch, "cdktf.out"),
      CHECKPOINT_DISABLE: "1",
      CI: "1",
      NODE_OPTIONS: `--require ${reporter}`,
      BENCH_RSS_FILE: rssFile,
    },
  });
  const wallMs = performance.now() - started;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (${result.status}):\n${result.stderr}${result.stdout}`);
  }
  // The first line is the measured process's own report; later ones are its children's.
  const [first] = readFileSync(rssFile, "utf8").split("\n").filter(Boolean).map(Number);
  rmSync(scratch, { recursive: true, force: true });
  return { wallMs, maxRssMiB: first === undefined ? undefined : first / 1024, stdout: result.stdout };
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
  const samples = Array.from({ length: runs }, () => runOnce(command, args));
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
}

main();
