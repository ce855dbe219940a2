/** Synthesizes each committed environment once for the whole Jest run (see helpers.ts). */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../config/load";
import { ENVIRONMENTS } from "../config/schema";
import { SYNTH_CACHE_DIR, synthesizeInto } from "./helpers";

export default function globalSetup(): void {
  rmSync(SYNTH_CACHE_DIR, { recursive: true, force: true });
  mkdirSync(SYNTH_CACHE_DIR, { recursive: true });
  for (const environment of ENVIRONMENTS) {
    synthesizeInto(loadConfig(environment), join(SYNTH_CACHE_DIR, environment));
  }
}
