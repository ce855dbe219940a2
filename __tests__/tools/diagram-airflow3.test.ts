import { readFileSync } from "node:fs";
import { STACK_IDS } from "../../stacks/app-stack";
import { renderArchitecture } from "../../tools/diagram/architecture";
import { ARCHITECTURE_DOCS } from "../../tools/diagram/main";
import { SynthesizedApp, type TfJson } from "../../tools/synthesized/synthesized";
import { synthEnvironment } from "../helpers";

describe("make diagram on the Airflow 3 line (production)", () => {
  let markdown: string;
  beforeAll(() => {
    const env = synthEnvironment("production");
    markdown = renderArchitecture(
      new SynthesizedApp(Object.fromEntries(STACK_IDS.map((id) => [id, env.stack(id) as TfJson]))),
      "production",
    );
  });

  it("docs/architecture-production.md matches the production stacks (run `make diagram` when this fails)", () => {
    expect(readFileSync(ARCHITECTURE_DOCS.production as string, "utf8")).toBe(markdown);
  });

  it("draws the four Airflow 3 services, the api-server with its private DNS name", () => {
    for (const component of ["scheduler", "dag-processor", "triggerer"]) {
      expect(markdown).toMatch(new RegExp(`ECS alerta-utec-airflow-${component}<br/>`));
    }
    expect(markdown).toContain(
      "ECS alerta-utec-airflow-api-server<br/>0.5 vCPU · 1 GB · FARGATE<br/>DNS api-server.alerta-utec-airflow.internal",
    );
    expect(markdown).not.toMatch(/ECS alerta-utec-airflow-webserver/);
  });

  it("draws the rule within the tasks' group only towards the api-server, which listens on 8080", () => {
    for (const component of ["scheduler", "dag_processor", "triggerer"]) {
      expect(markdown).toMatch(
        new RegExp(`ecs_service_airflow_${component}_\\w+ -->\\|"tcp 8080"\\| ecs_service_airflow_api_server_`),
      );
    }
    expect(markdown).not.toMatch(/ecs_service_airflow_api_server_(\w+) -->\|"tcp 8080"\| ecs_service_airflow_api_server_\1/);
    expect(markdown).not.toMatch(/-->\|"tcp 8080"\| ecs_service_airflow_(scheduler|dag_processor|triggerer)_/);
    expect(markdown).toContain(
      "| alerta-utec-airflow-tasks | alerta-utec-airflow-tasks | tcp 8080 | Airflow task processes to the api-server's Execution API |",
    );
  });
});
