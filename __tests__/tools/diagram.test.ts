import { readFileSync } from "node:fs";
import { join } from "node:path";
import { STACK_IDS } from "../../stacks/app-stack";
import { renderArchitecture } from "../../tools/diagram/architecture";
import { SynthesizedApp, type TfJson } from "../../tools/synthesized/synthesized";
import { synthEnvironment } from "../helpers";

describe("make diagram", () => {
  let stacks: Record<string, TfJson>;
  let markdown: string;
  beforeAll(() => {
    const env = synthEnvironment("hackathon");
    stacks = Object.fromEntries(STACK_IDS.map((id) => [id, env.stack(id) as TfJson]));
    markdown = renderArchitecture(new SynthesizedApp(stacks), "hackathon");
  });

  it("docs/architecture.md matches the hackathon stacks (run `make diagram` when this fails)", () => {
    expect(readFileSync(join(__dirname, "..", "..", "docs", "architecture.md"), "utf8")).toBe(markdown);
  });

  /** The lines of the subgraph whose id is given, up to its `end`. */
  function subgraph(id: string): string {
    const lines = markdown.split("\n");
    const start = lines.findIndex((l) => l.trim().startsWith(`subgraph ${id}[`));
    const stop = lines.findIndex((l, i) => i > start && l.trim() === "end");
    return lines.slice(start, stop).join("\n");
  }

  it("draws Airflow's services and both databases in the private subnets, the video services in the public ones", () => {
    expect(subgraph("private_subnets")).toMatch(/ECS alerta-utec-airflow-webserver/);
    expect(subgraph("private_subnets")).toMatch(/ECS alerta-utec-airflow-scheduler/);
    expect(subgraph("private_subnets")).toMatch(/RDS alerta-utec-airflow<br\/>postgres db\.t3\.micro/);
    expect(subgraph("private_subnets")).toMatch(/RDS proyecto-nube/);
    expect(subgraph("public_subnets")).toMatch(/ECS proyecto-nube-web<br\/>0\.5 vCPU · 1 GB · FARGATE · public IP/);
    expect(subgraph("public_subnets")).toMatch(/ALB alerta-utec-airflow/);
    expect(subgraph("public_subnets")).toMatch(/NAT gateway/);
  });

  it("labels the security-group edges with their ports, a load balancer only to its target group's service", () => {
    expect(markdown).toMatch(/internet -->\|"tcp 80"\| lb_airflow_/);
    expect(markdown).toMatch(/lb_airflow_\w+ -->\|"tcp 8080"\| ecs_service_airflow_webserver_/);
    expect(markdown).not.toMatch(/lb_airflow_\w+ -->\|"tcp 8080"\| ecs_service_airflow_scheduler_/);
    expect(markdown).toMatch(/ecs_service_airflow_scheduler_\w+ -->\|"tcp 5432"\| db_instance_data_airflow_/);
    expect(markdown).toMatch(/ecs_service_airflow_webserver_\w+ -->\|"tcp 2049"\| efs_file_system_data_airflow_efs/);
    expect(markdown).toContain(
      "| alerta-utec-airflow-alb | alerta-utec-airflow-tasks | tcp 8080 | Load balancer to the Airflow webserver |",
    );
  });

  it("draws the data stores and queues outside the VPC, with what each service's role may use", () => {
    const regional = subgraph("regional");
    for (const store of ["DynamoDB Incidents", "SQS cola-nube", "SQS cola-nube-dlq", "S3 miso-proyecto-nube-hack01"]) {
      expect(regional).toContain(store);
    }
    expect(markdown).toMatch(/ecs_service_video_pipeline_worker_\w+ -\.->\|"IAM"\| sqs_queue_data_video_queue/);
    expect(markdown).toMatch(/sqs_queue_data_video_queue -\.->\|"dead letters"\| sqs_queue_data_video_dlq/);
  });

  it("is the same text however the stacks are ordered", () => {
    const reversed = Object.fromEntries(Object.entries(stacks).reverse());
    expect(renderArchitecture(new SynthesizedApp(reversed), "hackathon")).toBe(markdown);
  });

  it("draws what exists when only the network stack does, groups without members as themselves", () => {
    const text = renderArchitecture(new SynthesizedApp({ network: stacks.network }), "hackathon");
    expect(text).toMatch(/security group alerta-utec-airflow-alb<br\/>\(no member\)/);
    expect(text).toMatch(/internet -->\|"tcp 80"\| security_group_network_/);
  });
});
