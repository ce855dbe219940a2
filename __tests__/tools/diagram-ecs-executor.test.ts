import { readFileSync } from "node:fs";
import { join } from "node:path";
import { STACK_IDS } from "../../stacks/app-stack";
import { renderArchitecture } from "../../tools/diagram/architecture";
import { SynthesizedApp, type TfJson } from "../../tools/synthesized/synthesized";
import { synthEnvironment } from "../helpers";

/** docs/architecture-ecs-executor.md: production with the ECS executor on (`make diagram-ecs-executor`). */
const ECS_EXECUTOR_ARCHITECTURE = join(__dirname, "..", "..", "docs", "architecture-ecs-executor.md");

describe("make diagram with the ECS executor", () => {
  let markdown: string;
  beforeAll(() => {
    const env = synthEnvironment("production", (config) => {
      config.airflow.executor = "AwsEcsExecutor";
    });
    const stacks = Object.fromEntries(STACK_IDS.map((id) => [id, env.stack(id) as TfJson]));
    markdown = renderArchitecture(new SynthesizedApp(stacks), "production with the ECS executor");
  });

  it("docs/architecture-ecs-executor.md matches production with the executor on (run `make diagram-ecs-executor`)", () => {
    expect(readFileSync(ECS_EXECUTOR_ARCHITECTURE, "utf8")).toBe(markdown);
  });

  it("draws the workers in the private subnets, started by the scheduler", () => {
    const lines = markdown.split("\n");
    const start = lines.findIndex((l) => l.trim().startsWith("subgraph private_subnets["));
    const stop = lines.findIndex((l, i) => i > start && l.trim() === "end");
    expect(lines.slice(start, stop).join("\n")).toMatch(
      /ECS alerta-utec-airflow-worker<br\/>ECS executor workers, one task per task instance · 0\.5 vCPU · 1 GB/,
    );
    expect(markdown).toMatch(/ecs_service_airflow_scheduler_\w+ -\.->\|"RunTask"\| ecs_task_definition_airflow_ecs_executor/);
  });

  it("draws the workers' two paths, to the Execution API and out over HTTPS, and none to the database", () => {
    expect(markdown).toMatch(/ecs_task_definition_airflow_ecs_executor_\w+ -->\|"tcp 8080"\| ecs_service_airflow_api_server_/);
    expect(markdown).toMatch(/ecs_task_definition_airflow_ecs_executor_\w+ -->\|"tcp 443"\| internet/);
    expect(markdown).not.toMatch(/ecs_task_definition_airflow_ecs_executor_\w+ -->\|"tcp 5432"\|/);
  });

  it("draws what the workers' role may use, and no longer the scheduler's", () => {
    expect(markdown).toMatch(/ecs_task_definition_airflow_ecs_executor_\w+ -\.->\|"IAM"\| dynamodb_table_data_/);
    expect(markdown).not.toMatch(/ecs_service_airflow_scheduler_\w+ -\.->\|"IAM"\| dynamodb_table_data_/);
  });
});
