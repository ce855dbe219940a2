#!/usr/bin/env node
/**
 * cdktf's app command. esbuild bundles this project's TypeScript (never node_modules) into one
 * CommonJS file in ~50 ms and this same Node process runs it: tsx would spend about 1.5 s
 * starting a second Node process and a loader before any of our code ran (README, "Performance").
 * No type checking happens here; `make typecheck` does that once.
 */
const { buildSync } = require("esbuild");
const { join } = require("node:path");

const root = join(__dirname, "..");
const outfile = join(root, ".gen", "app", "main.js");

buildSync({
  entryPoints: [join(root, "main.ts")],
  outfile,
  bundle: true,
  packages: "external",
  platform: "node",
  format: "cjs",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
});
// The bundle's source map is written but not loaded: enabling source maps makes Node parse the
// maps of every dependency too (about +1 s). Debug with `node --enable-source-maps bin/app.js`.
require(outfile).main();
