#!/usr/bin/env node
/**
 * cdktf's app command. esbuild bundles this project's TypeScript (never node_modules) into one
 * CommonJS file and this same Node process runs it: tsx would spend about 1.5 s starting a second
 * Node process and a loader before any of our code ran (docs/performance.md). The bundle is
 * rebuilt only when one of its inputs is newer than it, so an unchanged tree skips esbuild (and
 * its ~200 ms) entirely. No type checking happens here; `make typecheck` does that once.
 */
const { readFileSync, statSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");

const root = join(__dirname, "..");
const outfile = join(root, ".gen", "app", "main.js");
const inputsFile = `${outfile}.inputs.json`;

function bundleIsCurrent() {
  try {
    const built = statSync(outfile).mtimeMs;
    const inputs = JSON.parse(readFileSync(inputsFile, "utf8"));
    return [__filename, ...inputs.map((input) => join(root, input))].every((file) => statSync(file).mtimeMs <= built);
  } catch {
    return false; // no bundle yet, or an input was deleted
  }
}

if (!bundleIsCurrent()) {
  const { buildSync } = require("esbuild");
  const result = buildSync({
    absWorkingDir: root,
    entryPoints: ["main.ts"],
    outfile,
    bundle: true,
    packages: "external",
    platform: "node",
    format: "cjs",
    target: "node20",
    sourcemap: true,
    metafile: true,
    logLevel: "warning",
  });
  writeFileSync(inputsFile, JSON.stringify(Object.keys(result.metafile.inputs)));
}
// The bundle's source map is written but not loaded: enabling source maps makes Node parse the
// maps of every dependency too (about +1 s). Debug with `node --enable-source-maps bin/app.js`:
// TypeScript positions in traces, and cdktf's token creation traces back (bin/lean-stack-traces.ts).
require(outfile).main();
