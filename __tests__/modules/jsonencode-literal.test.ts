import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { type App, Fn, TerraformStack, Testing } from "cdktf";
import { fargateTaskDefinition } from "../../modules/fargate-service";
import { decodeJsonencode } from "../../tools/synthesized/tf-json";

// A JSON setting (the ECS executor's run_task_kwargs) and a Windows-style path: both characters
// cdktf 0.21 leaves unescaped inside a jsonencode expression, which Terraform then cannot parse.
const AWKWARD = { JSON_SETTING: '{"capacity_provider_strategy":[{"weight":1}]}', PATH: "C:\\airflow" };

describe("fargateTaskDefinition", () => {
  it("writes environment values with quotes and backslashes as HCL strings that decode to the values", () => {
    const stack = new TerraformStack(Testing.app() as App, "test");
    new AwsProvider(stack, "aws", { region: "us-east-1" });
    fargateTaskDefinition(stack, "task", {
      family: "app",
      containers: { name: "app", image: "repo/app:1", environment: { ...AWKWARD, JOINED: Fn.join(",", ["a", "b"]) } },
      logGroupName: "/ecs/app",
      region: "us-east-1",
      executionRole: "arn:aws:iam::123456789012:role/execution",
      taskRole: "arn:aws:iam::123456789012:role/task",
    });
    const resources = JSON.parse(Testing.synth(stack)).resource;
    const [definition] = Object.values(resources.aws_ecs_task_definition) as { container_definitions: string }[];
    expect(definition.container_definitions).toContain('"value" = "{\\"capacity_provider_strategy\\"');
    const [container] = decodeJsonencode(definition.container_definitions) as {
      environment: { name: string; value: string }[];
    }[];
    expect(Object.fromEntries(container.environment.map((e) => [e.name, e.value]))).toEqual({
      ...AWKWARD,
      // References keep working: the escaping touches only the literal text around them.
      JOINED: 'join(",", ["a", "b"])',
    });
  });
});
