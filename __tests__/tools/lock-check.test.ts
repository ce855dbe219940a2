/**
 * tools/lock/check.sh (`make lock-check`) must reject a lock that lacks another platform's
 * optional binary, the gap that made `make synth` fail on a fresh clone while a warm machine passed.
 * The committed lock itself is checked by `make lock-check` in `make test`.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(__dirname, "..", "..");
const check = (lock: string) => spawnSync("bash", [join(root, "tools", "lock", "check.sh"), lock], { encoding: "utf8" });

describe("the lock check", () => {
  it("rejects a lock without one of another platform's optional binaries, naming it", () => {
    const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
    const missing = "node_modules/@biomejs/cli-darwin-arm64";
    expect(lock.packages[missing]).toBeDefined();
    delete lock.packages[missing];
    const path = join(mkdtempSync(join(tmpdir(), "lock-")), "package-lock.json");
    writeFileSync(path, JSON.stringify(lock, null, 2));

    const run = check(path);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/Missing: @biomejs\/cli-darwin-arm64@[\d.]+ from lock file/);
  });
});
