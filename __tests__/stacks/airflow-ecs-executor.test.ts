/**
 * The ECS executor (airflow.executor AwsEcsExecutor) in production on the 3.3 line: the worker
 * task definition, its roles and remote-log group, the scheduler's settings and narrowed role,
 * the api-server's log read and the workers' matrix rules; and production as committed
 * (LocalExecutor), where none of it exists and the scheduler keeps the DAGs' permissions.
 */
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { AWS_ECS_EXECUTOR } from "../../modules/ecs-executor";
import { ruleName } from "../../modules/security-group-matrix";
import { AIRFLOW_PRIVATE_NAMESPACE, AIRFLOW_WORKER_NAME } from "../../stacks/airflow-stack";
import { securityRules } from "../../stacks/security-matrix";
import {
  addressOf,
  containersByName,
  environmentOf as envOf,
  type PolicyStatement,
  resourcesOf,
  statementsByRole,
  type TerraformType,
} from "../../tools/synthesized/tf-json";
import { type SynthesizedEnvironment, synthEnvironment } from "../helpers";

const containers = (env: SynthesizedEnvironment) => containersByName(env.json("airflow"));
const policies = (env: SynthesizedEnvironment) => statementsByRole(env.json("airflow"));
const sids = (statements: PolicyStatement[]) => statements.map((s) => s.Sid ?? "");
/** The airflow stack's reference to the one resource of the class whose `key` is `value`. */
const address = (env: SynthesizedEnvironment, type: TerraformType, key: string, value: string, attribute: string) =>
  addressOf(env.json("airflow"), type, key, value, attribute);

const DAG_PERMISSIONS = [
  "ReadAndUpdateIncidents",
  "PublishIncidentNotifications",
  "SendDailyReport",
  "ReadWriteBackupObjects",
  "ListBackupBucket",
  "PutIncidentMetrics",
];

describe("the ECS executor (production with airflow.executor AwsEcsExecutor)", () => {
  let env: SynthesizedEnvironment;
  beforeAll(() => {
    env = synthEnvironment("production", (config) => {
      config.airflow.executor = "AwsEcsExecutor";
      config.airflow.ecsExecutor = { worker: { cpu: 512, memoryMiB: 1024, capacityProvider: "FARGATE_SPOT" } };
      config.airflow.scheduler.parallelism = 12;
    });
  });

  it("defines the worker task definition from the scheduler's image, run by no service", () => {
    const json = env.json("airflow");
    expect(json).toHaveResourceWithProperties(EcsTaskDefinition, { family: AIRFLOW_WORKER_NAME, cpu: "512", memory: "1024" });
    expect(json).not.toHaveResourceWithProperties(EcsService, { name: AIRFLOW_WORKER_NAME });
    const { worker: container, scheduler } = containers(env);
    expect(container.command).toBeUndefined();
    expect(container.secrets).toEqual([]);
    expect(container).toMatchObject({ image: (scheduler as unknown as { image: string }).image });
  });

  it("gives the workers the DAGs' contract, the baked DAGs, the Execution API and remote logging, and no database", () => {
    const worker = envOf(containers(env).worker);
    const scheduler = envOf(containers(env).scheduler);
    for (const name of ["DYNAMODB_TABLE", "SNS_TOPIC_ARN_HIGH", "BACKUP_BUCKET", "METRICS_NAMESPACE"]) {
      expect(worker[name]).toBe(scheduler[name]);
    }
    expect(worker).toMatchObject({
      AIRFLOW__CORE__DAGS_FOLDER: "/opt/airflow/dags-image",
      AIRFLOW__CORE__EXECUTION_API_SERVER_URL: `http://api-server.${AIRFLOW_PRIVATE_NAMESPACE}:8080/execution/`,
      AIRFLOW__LOGGING__REMOTE_LOGGING: "True",
      AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER: `cloudwatch://\${${address(env, CloudwatchLogGroup, "name", `/ecs/${AIRFLOW_WORKER_NAME}`, "arn")}}`,
      CONNECTION_CHECK_MAX_COUNT: "0",
    });
    expect(Object.keys(worker).filter((k) => /SQL_ALCHEMY|SECRET|FERNET|PASSWORD/.test(k))).toEqual([]);
  });

  it("keeps the task logs in their own group for the configured days", () => {
    expect(env.json("airflow")).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: `/ecs/${AIRFLOW_WORKER_NAME}`,
      retention_in_days: env.config.airflow.logRetentionDays,
    });
  });

  it("configures the scheduler to run the workers, and names the same executor in every component", () => {
    const all = containers(env);
    expect(envOf(all.scheduler)).toMatchObject({
      AIRFLOW__CORE__EXECUTOR: AWS_ECS_EXECUTOR,
      // [core] parallelism, one place (airflow.scheduler.parallelism): here the most workers at once.
      AIRFLOW__CORE__PARALLELISM: "12",
      AIRFLOW__AWS_ECS_EXECUTOR__CLUSTER: "alerta-utec-airflow",
      AIRFLOW__AWS_ECS_EXECUTOR__TASK_DEFINITION: AIRFLOW_WORKER_NAME,
      AIRFLOW__AWS_ECS_EXECUTOR__CONTAINER_NAME: "worker",
      AIRFLOW__AWS_ECS_EXECUTOR__ASSIGN_PUBLIC_IP: "False",
      AIRFLOW__AWS_ECS_EXECUTOR__PLATFORM_VERSION: env.config.fargatePlatformVersion,
      AIRFLOW__AWS_ECS_EXECUTOR__RUN_TASK_KWARGS:
        '{"capacity_provider_strategy":[{"capacityProvider":"FARGATE_SPOT","weight":1}]}',
    });
    expect(envOf(all.scheduler).AIRFLOW__AWS_ECS_EXECUTOR__SUBNETS).toMatch(/private-us-east-1a.*private-us-east-1b/);
    expect(envOf(all.scheduler).AIRFLOW__AWS_ECS_EXECUTOR__SECURITY_GROUPS).toMatch(/airflow-workers/);
    for (const name of ["api-server", "dag-processor", "triggerer", "worker"]) {
      if (name !== "worker") expect(envOf(all[name]).AIRFLOW__CORE__EXECUTOR).toBe(AWS_ECS_EXECUTOR);
      expect(Object.keys(envOf(all[name])).filter((k) => k.startsWith("AIRFLOW__AWS_ECS_EXECUTOR__"))).toEqual([]);
    }
    expect(envOf(all["api-server"]).AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER).toBe(
      envOf(all.worker).AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER,
    );
  });

  it("moves the DAGs' permissions to the worker's task role; the scheduler keeps only running, watching and stopping workers", () => {
    const roles = policies(env);
    expect(sids(roles["alerta-utec-airflow-worker-task"])).toEqual([...DAG_PERMISSIONS, "WriteRemoteTaskLogs"]);
    const scheduler = roles["alerta-utec-airflow-scheduler-task"];
    expect(sids(scheduler)).toEqual([
      "MountAirflowEfsThroughAccessPoints",
      "RunWorkerTasks",
      "WatchAndStopWorkerTasks",
      "PassWorkerRoles",
    ]);
    const cluster = { ArnEquals: { "ecs:cluster": address(env, EcsCluster, "name", "alerta-utec-airflow", "arn") } };
    expect(scheduler.slice(1)).toEqual([
      {
        Sid: "RunWorkerTasks",
        Effect: "Allow",
        Action: ["ecs:RunTask"],
        Resource: [`\${${address(env, EcsTaskDefinition, "family", AIRFLOW_WORKER_NAME, "arn_without_revision")}}:*`],
        Condition: cluster,
      },
      {
        Sid: "WatchAndStopWorkerTasks",
        Effect: "Allow",
        Action: ["ecs:DescribeTasks", "ecs:StopTask"],
        Resource: [`\${replace(${address(env, EcsCluster, "name", "alerta-utec-airflow", "arn")}, ":cluster/", ":task/")}/*`],
        Condition: cluster,
      },
      {
        Sid: "PassWorkerRoles",
        Effect: "Allow",
        Action: ["iam:PassRole"],
        Resource: [
          address(env, IamRole, "name", "alerta-utec-airflow-worker-execution", "arn"),
          address(env, IamRole, "name", "alerta-utec-airflow-worker-task", "arn"),
        ],
        Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
      },
    ]);
    for (const role of ["api-server", "dag-processor", "triggerer"]) {
      expect(sids(roles[`alerta-utec-airflow-${role}-task`]).filter((sid) => DAG_PERMISSIONS.includes(sid))).toEqual([]);
    }
  });

  it("lets the api-server read the workers' task logs, and nothing else of theirs", () => {
    const group = address(env, CloudwatchLogGroup, "name", `/ecs/${AIRFLOW_WORKER_NAME}`, "arn");
    expect(policies(env)["alerta-utec-airflow-api-server-task"]).toContainEqual({
      Sid: "ReadRemoteTaskLogs",
      Effect: "Allow",
      Action: ["logs:GetLogEvents", "logs:FilterLogEvents"],
      Resource: [group, `\${${group}}:*`],
    });
  });

  it("starts the scheduler only after the worker roles it passes exist", () => {
    expect(env.json("airflow")).toHaveResourceWithProperties(EcsService, {
      name: "alerta-utec-airflow-scheduler",
      depends_on: expect.arrayContaining([
        addressOf(env.json("airflow"), IamRole, "name", "alerta-utec-airflow-worker-task"),
        addressOf(env.json("airflow"), IamRole, "name", "alerta-utec-airflow-worker-execution"),
      ]),
    });
  });

  it("opens the workers only to the Execution API and HTTPS, as named matrix rules: no PostgreSQL, no EFS", () => {
    const rules = securityRules({ airflowHttps: false, videoHttps: false, airflowExecutionApi: true, airflowEcsWorkers: true })
      .filter((r) => r.from === "airflow-workers" || r.to === "airflow-workers")
      .map(ruleName);
    expect(rules).toEqual(["airflow-workers->airflow-tasks:8080", "airflow-workers->internet:443"]);
    const network = env.json("network");
    expect(network).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
      description: "ECS executor workers to the api-server's Execution API",
      from_port: 8080,
      to_port: 8080,
    });
    expect(network).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, {
      description: "Workers to AWS APIs (DynamoDB, SNS, SES, S3, CloudWatch) and image pulls over HTTPS",
      cidr_ipv4: "0.0.0.0/0",
      from_port: 443,
    });
    const egress = resourcesOf(network, VpcSecurityGroupEgressRule);
    expect(
      egress
        .filter((r) => r.description.startsWith("ECS executor workers") || r.description.startsWith("Workers to"))
        .map((r) => r.from_port)
        .sort(),
    ).toEqual([443, 8080]);
  });
});

describe("production as committed (LocalExecutor)", () => {
  let env: SynthesizedEnvironment;
  beforeAll(() => {
    env = synthEnvironment("production");
  });

  it("has no worker, no worker roles or log group, and no executor settings", () => {
    const json = env.json("airflow");
    expect(json).not.toHaveResourceWithProperties(EcsTaskDefinition, { family: AIRFLOW_WORKER_NAME });
    expect(json).toHaveResource(IamRole);
    expect(json).not.toHaveResourceWithProperties(IamRole, {
      name: expect.stringMatching(new RegExp(`^${AIRFLOW_WORKER_NAME}`)),
    });
    const scheduler = envOf(containers(env).scheduler);
    expect(scheduler.AIRFLOW__CORE__EXECUTOR).toBe("LocalExecutor");
    expect(Object.keys(scheduler).filter((k) => /AWS_ECS_EXECUTOR|REMOTE_LOGGING/.test(k))).toEqual([]);
  });

  it("keeps the DAGs' permissions on the scheduler, which runs the tasks", () => {
    const scheduler = policies(env)["alerta-utec-airflow-scheduler-task"];
    expect(sids(scheduler)).toEqual(["MountAirflowEfsThroughAccessPoints", ...DAG_PERMISSIONS]);
  });

  it("opens no rule for workers", () => {
    const network = env.json("network");
    expect(network).toHaveResource(VpcSecurityGroupIngressRule);
    expect(network).not.toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
      description: "ECS executor workers to the api-server's Execution API",
    });
  });
});
