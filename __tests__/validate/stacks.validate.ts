/**
 * Every stack of every environment is valid Terraform: cdktf's `toBeValidTerraform()` against the
 * real provider schemas (TF_CLI_CONFIG_FILE's mirror). Each environment is synthesized once, as a
 * whole app (cross-stack outputs exist only then); each stack is then written alone with
 * `Testing.fullSynth`, so a failure names its stack.
 */
import { rmSync } from "node:fs";
import { type TerraformStack, Testing } from "cdktf";
import { loadConfig } from "../../config/load";
import { ENVIRONMENTS } from "../../config/schema";
import { buildApp } from "../../main";
import { STACK_IDS } from "../../stacks/app-stack";

const written: string[] = [];
afterAll(() => {
  for (const dir of written) rmSync(dir, { recursive: true, force: true });
});

describe.each(ENVIRONMENTS)("the %s environment", (environment) => {
  let app: ReturnType<typeof Testing.app>;
  beforeAll(() => {
    app = buildApp(Testing.app(), loadConfig(environment));
    app.synth();
  });

  it.each(STACK_IDS)("has a valid %s stack", (id) => {
    const stack = app.node.findChild(id) as TerraformStack;
    const dir = Testing.fullSynth(stack);
    written.push(dir);
    expect(dir).toBeValidTerraform();
  });
});
