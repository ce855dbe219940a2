import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { transformSync } from "esbuild";
import { formatStackTrace } from "../bin/lean-stack-traces";

/** The structured frames V8 hands to Error.prepareStackTrace, taken here. */
function callSites(): NodeJS.CallSite[] {
  const saved = Error.prepareStackTrace;
  Error.prepareStackTrace = (_error, frames) => frames;
  try {
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder);
    return holder.stack as NodeJS.CallSite[];
  } finally {
    Error.prepareStackTrace = saved;
  }
}

describe("formatStackTrace", () => {
  it("formats an error as V8 does: the error, then one 'at' line per frame", () => {
    const frames = callSites();
    const lines = formatStackTrace(new TypeError("boom"), frames).split("\n");
    expect(lines[0]).toBe("TypeError: boom");
    expect(lines.slice(1)).toEqual(frames.map((frame) => `    at ${frame}`));
    expect(lines[1]).toContain("callSites");
  });

  it("formats the plain objects cdktf records creation traces on as nothing", () => {
    expect(formatStackTrace({ stack: "" }, callSites())).toBe("");
  });
});

describe("useLeanStackTraces in the app's process", () => {
  // A child process: installing it in Jest's worker would change how Jest reports failures.
  const compiled = join(mkdtempSync(join(tmpdir(), "lean-stack-traces-")), "lean-stack-traces.js");
  const source = readFileSync(join(__dirname, "..", "bin", "lean-stack-traces.ts"), "utf8");
  writeFileSync(compiled, transformSync(source, { loader: "ts", format: "cjs" }).code);
  const run = (nodeOptions: string[]) =>
    spawnSync(
      process.execPath,
      [
        ...nodeOptions,
        "-e",
        `
        require(${JSON.stringify(compiled)}).useLeanStackTraces();
        const { Lazy } = require("cdktf");
        const token = Lazy.anyValue({ produce: () => 1 });
        console.log(JSON.stringify({ creationStack: token.creationStack, error: new Error("boom").stack.split("\\n")[0] }));
        `,
      ],
      { encoding: "utf8", cwd: join(__dirname, "..") },
    );

  it("leaves cdktf's tokens without a creation trace and errors with theirs", () => {
    const result = run([]);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({ creationStack: [], error: "Error: boom" });
  });

  it("keeps cdktf's traces when source maps are on (the debugging path)", () => {
    const { creationStack } = JSON.parse(run(["--enable-source-maps"]).stdout);
    expect(creationStack.length).toBeGreaterThan(0);
  });
});
