import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { type App, TerraformOutput, TerraformStack, Testing } from "cdktf";
import { AWS_ECS_EXECUTOR, EcsExecutor, type EcsExecutorProps } from "../../modules/ecs-executor";
import { decodeJsonencode } from "../../tools/synthesized/tf-json";

type Resources = Record<string, Record<string, Record<string, unknown>>>;
type Statement = { Sid: string; Action: string[]; Resource: string[]; Condition?: unknown };

const BASE: EcsExecutorProps = {
  name: "app-worker",
  cluster: { arn: "arn:aws:ecs:us-east-1:123456789012:cluster/app", name: "app" },
  region: "us-east-1",
  image: "repo/app@sha256:abc",
  subnetIds: ["subnet-a", "subnet-b"],
  securityGroupIds: ["sg-workers"],
  assignPublicIp: false,
  platformVersion: "1.4.0",
  cpu: 512,
  memoryMiB: 1024,
  capacityProvider: "FARGATE_SPOT",
  executionApiUrl: "http://api.app.internal:8080/execution/",
  logRetentionDays: 14,
  containerLogGroup: { name: "/ecs/app", arn: "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/app" },
  environment: { DYNAMODB_TABLE: "Incidents" },
  taskStatements: [{ sid: "ReadIncidents", actions: ["dynamodb:Query"], resources: ["arn:table"] }],
  imagePullStatements: [{ sid: "PullImage", actions: ["ecr:BatchGetImage"], resources: ["arn:repo"] }],
};

function build(props: Partial<EcsExecutorProps> = {}) {
  const stack = new TerraformStack(Testing.app() as App, "test");
  new AwsProvider(stack, "aws", { region: "us-east-1" });
  const executor = new EcsExecutor(stack, "executor", { ...BASE, ...props });
  // Outputs show the module's values as Terraform will see them, references written out.
  new TerraformOutput(stack, "scheduler_environment", { value: executor.schedulerEnvironment });
  new TerraformOutput(stack, "scheduler_statements", { value: executor.schedulerStatements });
  new TerraformOutput(stack, "log_reader_statements", { value: executor.logReaderStatements });
  const synthesized = JSON.parse(Testing.synth(stack)) as { resource: Resources; output: Record<string, { value: any }> };
  const resources = synthesized.resource;
  const output = (name: string) => synthesized.output[name].value;
  const of = (type: string) => Object.values(resources[type] ?? {});
  const policy = (roleName: string): Statement[] => {
    const roles = resources.aws_iam_role ?? {};
    const id = Object.keys(roles).find((k) => roles[k].name === roleName);
    const attached = of("aws_iam_role_policy").find((p) => String(p.role).includes(`aws_iam_role.${id}.`));
    if (!attached) throw new Error(`no policy on role ${roleName}`);
    return (decodeJsonencode(String(attached.policy)) as { Statement: Statement[] }).Statement;
  };
  return { resources, of, policy, output };
}

describe("EcsExecutor", () => {
  it("defines one worker task definition from the image, with no command (the executor supplies it)", () => {
    const { of } = build();
    const [definition] = of("aws_ecs_task_definition");
    expect(of("aws_ecs_task_definition")).toHaveLength(1);
    expect(of("aws_ecs_service")).toHaveLength(0);
    expect(definition).toMatchObject({ family: "app-worker", cpu: "512", memory: "1024", network_mode: "awsvpc" });
    const [container] = decodeJsonencode(String(definition.container_definitions)) as Record<string, unknown>[];
    expect(container.name).toBe("worker");
    expect(container.image).toBe("repo/app@sha256:abc");
    expect(container).not.toHaveProperty("command");
    expect(container.secrets).toEqual([]);
  });

  it("gives the worker the Execution API, remote logging to its own group, and no database check", () => {
    const { of } = build();
    const [definition] = of("aws_ecs_task_definition");
    const [container] = decodeJsonencode(String(definition.container_definitions)) as {
      environment: { name: string; value: string }[];
    }[];
    const env = Object.fromEntries(container.environment.map((e) => [e.name, e.value]));
    const logGroup = Object.keys(build().resources.aws_cloudwatch_log_group)[0];
    expect(env).toEqual({
      DYNAMODB_TABLE: "Incidents",
      AIRFLOW__CORE__EXECUTION_API_SERVER_URL: "http://api.app.internal:8080/execution/",
      AIRFLOW__LOGGING__REMOTE_LOGGING: "True",
      AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER: `cloudwatch://\${aws_cloudwatch_log_group.${logGroup}.arn}`,
      AIRFLOW__LOGGING__REMOTE_LOG_CONN_ID: "aws_default",
      CONNECTION_CHECK_MAX_COUNT: "0",
    });
    expect(of("aws_cloudwatch_log_group")).toEqual([expect.objectContaining({ name: "/ecs/app-worker", retention_in_days: 14 })]);
  });

  it("configures the executor with a capacity provider strategy and no launch type", () => {
    const env = build().output("scheduler_environment");
    expect(env).toEqual({
      AIRFLOW__CORE__EXECUTOR: AWS_ECS_EXECUTOR,
      AIRFLOW__AWS_ECS_EXECUTOR__REGION_NAME: "us-east-1",
      AIRFLOW__AWS_ECS_EXECUTOR__CLUSTER: "app",
      AIRFLOW__AWS_ECS_EXECUTOR__CONTAINER_NAME: "worker",
      AIRFLOW__AWS_ECS_EXECUTOR__TASK_DEFINITION: "app-worker",
      AIRFLOW__AWS_ECS_EXECUTOR__SUBNETS: '${join(",", ["subnet-a", "subnet-b"])}',
      AIRFLOW__AWS_ECS_EXECUTOR__SECURITY_GROUPS: '${join(",", ["sg-workers"])}',
      AIRFLOW__AWS_ECS_EXECUTOR__ASSIGN_PUBLIC_IP: "False",
      AIRFLOW__AWS_ECS_EXECUTOR__PLATFORM_VERSION: "1.4.0",
      AIRFLOW__AWS_ECS_EXECUTOR__MAX_RUN_TASK_ATTEMPTS: "3",
      AIRFLOW__AWS_ECS_EXECUTOR__CHECK_HEALTH_ON_STARTUP: "True",
      AIRFLOW__AWS_ECS_EXECUTOR__RUN_TASK_KWARGS:
        '{"capacity_provider_strategy":[{"capacityProvider":"FARGATE_SPOT","weight":1}]}',
    });
    expect(env).not.toHaveProperty("AIRFLOW__AWS_ECS_EXECUTOR__LAUNCH_TYPE");
  });

  it("assigns public IPs exactly when asked (public subnets without NAT)", () => {
    expect(build({ assignPublicIp: true }).output("scheduler_environment").AIRFLOW__AWS_ECS_EXECUTOR__ASSIGN_PUBLIC_IP).toBe(
      "True",
    );
  });

  it("lets the scheduler run, watch and stop only this family's tasks in this cluster, and pass only the two worker roles", () => {
    const { output, resources } = build();
    const definition = Object.keys(resources.aws_ecs_task_definition)[0];
    const role = (purpose: string) =>
      `\${aws_iam_role.${Object.keys(resources.aws_iam_role).find((k) => resources.aws_iam_role[k].name === `app-worker-${purpose}`)}.arn}`;
    const cluster = { ArnEquals: { "ecs:cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/app" } };
    expect(output("scheduler_statements")).toEqual([
      {
        sid: "RunWorkerTasks",
        actions: ["ecs:RunTask"],
        resources: [`\${aws_ecs_task_definition.${definition}.arn_without_revision}:*`],
        condition: cluster,
      },
      {
        sid: "WatchAndStopWorkerTasks",
        actions: ["ecs:DescribeTasks", "ecs:StopTask"],
        resources: ['${replace("arn:aws:ecs:us-east-1:123456789012:cluster/app", ":cluster/", ":task/")}/*'],
        condition: cluster,
      },
      {
        sid: "PassWorkerRoles",
        actions: ["iam:PassRole"],
        resources: [role("execution"), role("task")],
        condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
      },
    ]);
  });

  it("gives the worker's task role the DAGs' permissions and its log group, and its execution role only pull and container logs", () => {
    const { policy, resources } = build();
    const logGroup = `\${aws_cloudwatch_log_group.${Object.keys(resources.aws_cloudwatch_log_group)[0]}.arn}`;
    expect(policy("app-worker-task")).toEqual([
      { Sid: "ReadIncidents", Effect: "Allow", Action: ["dynamodb:Query"], Resource: ["arn:table"] },
      {
        Sid: "WriteRemoteTaskLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: [logGroup.slice(2, -1), `${logGroup}:*`],
      },
    ]);
    expect(policy("app-worker-execution")).toEqual([
      { Sid: "PullImage", Effect: "Allow", Action: ["ecr:BatchGetImage"], Resource: ["arn:repo"] },
      {
        Sid: "WriteWorkerContainerLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: ["arn:aws:logs:us-east-1:123456789012:log-group:/ecs/app:*"],
      },
    ]);
  });

  it("lets the log reader get and filter the task logs of its group only", () => {
    const { output, resources } = build();
    const logGroup = `\${aws_cloudwatch_log_group.${Object.keys(resources.aws_cloudwatch_log_group)[0]}.arn}`;
    expect(output("log_reader_statements")).toEqual([
      {
        sid: "ReadRemoteTaskLogs",
        actions: ["logs:GetLogEvents", "logs:FilterLogEvents"],
        resources: [logGroup, `${logGroup}:*`],
      },
    ]);
  });

  it("borrows one existing role for both worker roles and passes just that one", () => {
    const { output, of } = build({ existingRoleName: "LabRole" });
    expect(of("aws_iam_role")).toHaveLength(0);
    const pass = (output("scheduler_statements") as { sid: string; resources: string[] }[]).find(
      (s) => s.sid === "PassWorkerRoles",
    );
    expect(pass?.resources).toEqual([expect.stringMatching(/^\$\{data\.aws_iam_role\..*\.arn\}$/)]);
  });
});
