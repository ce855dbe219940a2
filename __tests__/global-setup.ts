/**
 * Synthesizes each committed environment once for the whole Jest run (see helpers.ts; under
 * `make jest`, synth-all has done it and this only checks it is there), through
 * bin/app.js exactly as a user would, the three in parallel so both cores work while Jest waits.
 * PATH holds nothing but Node: synthesis must not need Terraform, Docker or any other program
 * (reviewers and CI have none), and a dependency that shells out fails here instead of there.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { ENVIRONMENTS } from "../config/schema";
import { SYNTH_CACHE_DIR } from "./helpers";

const NODE_ONLY_PATH = join(SYNTH_CACHE_DIR, "bin");

function synthesize(environment: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, "..", "bin", "app.js")], {
      env: {
        ...process.env,
        PATH: NODE_ONLY_PATH,
        DEPLOY_ENV: environment,
        CDKTF_OUTDIR: join(SYNTH_CACHE_DIR, environment),
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`synthesizing ${environment} failed (${code}):\n${stderr}`)),
    );
  });
}

export default async function globalSetup(): Promise<void> {
  if (process.env.JEST_SYNTHESIZED_DIR) {
    // `make jest`: synth-all has just synthesized every environment the same way (Node alone on
    // PATH, mk/typescript.mk); a missing one is a broken Makefile, not something to paper over.
    const missing = ENVIRONMENTS.filter((environment) => !existsSync(join(SYNTH_CACHE_DIR, environment, "stacks")));
    if (missing.length > 0) throw new Error(`JEST_SYNTHESIZED_DIR=${SYNTH_CACHE_DIR} lacks ${missing.join(", ")}`);
    return;
  }
  rmSync(SYNTH_CACHE_DIR, { recursive: true, force: true });
  mkdirSync(NODE_ONLY_PATH, { recursive: true });
  symlinkSync(process.execPath, join(NODE_ONLY_PATH, "node"));
  // bin/app.js bundles first when the sources changed; do that once, not three times at once.
  await synthesize(ENVIRONMENTS[0]);
  await Promise.all(ENVIRONMENTS.slice(1).map(synthesize));
}
