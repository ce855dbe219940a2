/**
 * The CDKTF app: one environment (DEPLOY_ENV, default "hackathon"), five stacks.
 * The config is validated before any construct exists, so a bad config writes nothing.
 * `bin/app.js` (cdktf.json's app command) bundles this file and calls `main()`.
 */
import { App } from "cdktf";
import { ConfigError, loadConfig } from "./config/load";
import type { Config } from "./config/schema";
import { useLeanStackTraces } from "./modules/lean-stack-traces";
import { AirflowStack, airflowFileSystemClients } from "./stacks/airflow-stack";
import { DataStack } from "./stacks/data-stack";
import { NetworkStack } from "./stacks/network-stack";
import { StateStack } from "./stacks/state-stack";
import { VideoPipelineStack } from "./stacks/video-pipeline-stack";

export const DEFAULT_ENVIRONMENT = "hackathon";

/** Builds every stack of one environment into `app`; stacks receive typed outputs, not lookups. */
export function buildApp(app: App, config: Config): App {
  new StateStack(app, "state", { config });
  const network = new NetworkStack(app, "network", { config });
  const data = new DataStack(app, "data", {
    config,
    network: network.outputs,
    airflowFileSystemClients: airflowFileSystemClients(config),
  });
  new AirflowStack(app, "airflow", { config, network: network.outputs, data: data.airflow });
  new VideoPipelineStack(app, "video-pipeline", { config, network: network.outputs, data: data.video });
  return app;
}

export function main(): void {
  useLeanStackTraces();
  let config: Config;
  try {
    // DEPLOY_CONFIG_DIR: environment files kept outside the repository (and the tests' fixtures).
    config = loadConfig(process.env.DEPLOY_ENV || DEFAULT_ENVIRONMENT, process.env.DEPLOY_CONFIG_DIR || undefined);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Invalid configuration: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  buildApp(new App(), config).synth();
}
