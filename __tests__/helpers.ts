/**
 * Synthesizes an environment's app once and gives tests typed access to each stack's Terraform
 * JSON. Each test file calls `synthEnvironment` in `beforeAll`, never per test.
 */
import { readFileSync } from "node:fs";
import { type App, Testing } from "cdktf";
import { loadConfig } from "../config/load";
import type { Config, EnvironmentName } from "../config/schema";
import { buildApp } from "../main";
import type { StackId } from "../stacks/app-stack";

export type TfJson = {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, { value: unknown }>;
  terraform?: Record<string, unknown>;
  provider?: Record<string, unknown>;
};

export interface SynthesizedEnvironment {
  readonly config: Config;
  /** The stack's synthesized Terraform JSON, as a string (for cdktf's matchers). */
  readonly json: (stack: StackId) => string;
  /** The stack's synthesized Terraform JSON, parsed. */
  readonly stack: (stack: StackId) => TfJson;
  /** Every resource of `type` in the stack, by its logical id. */
  readonly resources: <T = Record<string, unknown>>(stack: StackId, type: string) => Record<string, T>;
}

export function synthEnvironment(environment: EnvironmentName, edit?: (config: Config) => void): SynthesizedEnvironment {
  const config = loadConfig(environment);
  edit?.(config);
  return synthConfig(config);
}

export function synthConfig(config: Config): SynthesizedEnvironment {
  const app = Testing.app() as App;
  buildApp(app, config);
  const outdir = app.outdir;
  app.synth();
  const cache = new Map<StackId, string>();
  const json = (stack: StackId): string => {
    let text = cache.get(stack);
    if (text === undefined) {
      text = readFileSync(`${outdir}/stacks/${stack}/cdk.tf.json`, "utf8");
      cache.set(stack, text);
    }
    return text;
  };
  const stack = (id: StackId): TfJson => JSON.parse(json(id)) as TfJson;
  return {
    config,
    json,
    stack,
    resources: <T>(id: StackId, type: string) => (stack(id).resource?.[type] ?? {}) as Record<string, T>,
  };
}
