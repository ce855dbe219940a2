/**
 * Synthesized Terraform JSON for tests. Each committed environment is synthesized once per Jest
 * run (global-setup.ts) and read from disk here; only a test that edits the config synthesizes
 * in-process, and only it loads the stacks (lazily: importing them costs about a second per file).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { App } from "cdktf";
import { ConfigError, loadConfig, parseConfig } from "../config/load";
import type { Config, EnvironmentName } from "../config/schema";
import type { StackId } from "../stacks/app-stack";
import type { TfJson } from "../tools/synthesized/synthesized";

export interface SynthesizedEnvironment {
  readonly config: Config;
  /** Ids of the synthesized stacks. */
  readonly stackIds: readonly StackId[];
  /** The stack's synthesized Terraform JSON, as a string: what cdktf's matchers and tf-json's readers take. */
  readonly json: (stack: StackId) => string;
  /** The stack's synthesized Terraform JSON, parsed (its terraform block and outputs are beyond the matchers). */
  readonly stack: (stack: StackId) => TfJson;
}

/** Where global-setup.ts writes each committed environment's synthesized app. */
export const SYNTH_CACHE_DIR = join(__dirname, "..", ".gen", "jest-synth");

/** Synthesizes the app of every stack into `outdir` (also used by global-setup.ts). */
export function synthesizeInto(config: Config, outdir?: string): string {
  const { Testing } = require("cdktf") as typeof import("cdktf");
  const { buildApp } = require("../main") as typeof import("../main");
  const app = (outdir ? new (require("cdktf").App)({ outdir }) : Testing.app()) as App;
  buildApp(app, config);
  app.synth();
  return app.outdir;
}

/** The committed environment, or an edited copy of it synthesized for this test. */
export function synthEnvironment(environment: EnvironmentName, edit?: (config: Config) => void): SynthesizedEnvironment {
  const config = loadConfig(environment);
  if (!edit) return readSynthesized(config, join(SYNTH_CACHE_DIR, environment));
  edit(config);
  return synthConfig(config);
}

export function synthConfig(config: Config): SynthesizedEnvironment {
  return readSynthesized(config, synthesizeInto(config));
}

function readSynthesized(config: Config, outdir: string): SynthesizedEnvironment {
  const texts = new Map<StackId, string>();
  const json = (stack: StackId): string => {
    let text = texts.get(stack);
    if (text === undefined) {
      text = readFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "utf8");
      texts.set(stack, text);
    }
    return text;
  };
  const parsed = new Map<StackId, TfJson>();
  const stack = (id: StackId): TfJson => {
    if (!parsed.has(id)) parsed.set(id, JSON.parse(json(id)) as TfJson);
    return parsed.get(id) as TfJson;
  };
  return { config, stackIds: readdirSync(join(outdir, "stacks")) as StackId[], json, stack };
}

/**
 * The committed environment file with `edit` applied to its parsed JSON, validated as the app
 * validates it; the problem lines of the config error ([] when the edited file is valid).
 */
export function configProblemsAfter(environment: EnvironmentName, edit: (raw: Record<string, any>) => void): string[] {
  const raw = JSON.parse(readFileSync(join(__dirname, "..", "config", `${environment}.json`), "utf8"));
  edit(raw);
  try {
    parseConfig(JSON.stringify(raw), `config/${environment}.json`, environment);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message
      .split("\n")
      .slice(1)
      .map((line) => line.trim());
  }
}
