/**
 * The app as a user runs it: a configuration mistake exits non-zero, prints every problem, prints
 * no stack trace, and writes nothing under the output folder.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(__dirname, "..");

function runApp(env: Record<string, string>) {
  const outdir = join(mkdtempSync(join(tmpdir(), "synth-")), "cdktf.out");
  const result = spawnSync(process.execPath, [join(root, "bin", "app.js")], {
    cwd: root,
    env: { ...process.env, CDKTF_OUTDIR: outdir, ...env },
    encoding: "utf8",
  });
  return { ...result, outdir };
}

describe("the app on bad input", () => {
  it("refuses an unknown environment without a stack trace and writes nothing", () => {
    const run = runApp({ DEPLOY_ENV: "staging" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('DEPLOY_ENV: unknown environment (got "staging"; expected hackathon, learner-lab, production)');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(run.outdir)).toBe(false);
  });

  it("lists every problem of a broken file and writes nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "config-"));
    const raw = JSON.parse(readFileSync(join(root, "config", "hackathon.json"), "utf8"));
    raw.network.publicSubnetCidrs[1] = "10.0.1.0/24";
    raw.videoPipeline.web.cpu = 3;
    writeFileSync(join(dir, "hackathon.json"), JSON.stringify(raw));
    const run = runApp({ DEPLOY_ENV: "hackathon", DEPLOY_CONFIG_DIR: dir });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("network.publicSubnetCidrs[1]: overlaps network.publicSubnetCidrs[0]");
    expect(run.stderr).toContain(
      "videoPipeline.web.cpu: not an allowed value (got 3; expected 256, 512, 1024, 2048, 4096, 8192, 16384)",
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(run.outdir)).toBe(false);
  });
});
