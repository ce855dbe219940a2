/**
 * The environment cdktf's `toBeValidTerraform()` runs in. The matcher runs a bare
 * `${TERRAFORM_BINARY_NAME} init` and `validate -json` in each stack's directory, so what keeps
 * init off the S3 backend and off any registry is set here, before cdktf is loaded (it reads
 * TERRAFORM_BINARY_NAME once, at load time).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
// Declares the matchers on Jest's types (cdktf's index does not pull this declaration in).
import type {} from "cdktf/lib/testing/adapters/jest";

/** What must come from the caller (`make validate-matchers`, or `make validate` after it builds the mirror). */
function requireCallerEnvironment(): void {
  const problems: string[] = [];
  const config = process.env.TF_CLI_CONFIG_FILE;
  if (!config) {
    problems.push("TF_CLI_CONFIG_FILE: not set (expected a CLI config whose provider_installation is a filesystem_mirror)");
  } else if (!existsSync(config)) {
    problems.push(`TF_CLI_CONFIG_FILE: no such file (got ${config})`);
  } else if (!/filesystem_mirror/.test(readFileSync(config, "utf8"))) {
    problems.push(`TF_CLI_CONFIG_FILE: has no filesystem_mirror block, so init would ask a registry (got ${config})`);
  }
  const binary = process.env.TERRAFORM_BINARY_NAME || "terraform";
  try {
    execFileSync(binary, ["version"], { stdio: "pipe" });
  } catch (error) {
    problems.push(`TERRAFORM_BINARY_NAME: cannot run "${binary} version" (${(error as Error).message.split("\n")[0]})`);
  }
  if (problems.length > 0) throw new Error(`toBeValidTerraform needs:\n  ${problems.join("\n  ")}`);
}

requireCallerEnvironment();
// The S3 backend would need AWS credentials and the state bucket; validation needs neither.
process.env.TF_CLI_ARGS_init = "-backend=false -input=false";
process.env.TF_IN_AUTOMATION = "1";
process.env.CHECKPOINT_DISABLE = "1";

const { Testing } = require("cdktf") as typeof import("cdktf");
Testing.setupJest();
