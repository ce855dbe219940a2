// Preloaded into a measured Node process (NODE_OPTIONS=--require): on exit, appends the process's
// own peak resident set size in KiB to the file named by BENCH_RSS_FILE.
const { appendFileSync } = require("node:fs");

process.on("exit", () => {
  if (process.env.BENCH_RSS_FILE) appendFileSync(process.env.BENCH_RSS_FILE, `${process.resourceUsage().maxRSS}\n`);
});
