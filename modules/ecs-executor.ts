/**
 * Airflow's own ECS executor (`AwsEcsExecutor`, provider apache-airflow-providers-amazon): every
 * task instance runs as its own Fargate task, started by the scheduler with RunTask. This module
 * owns the worker side (task definition, roles, remote-log group) and says what the other
 * components need: the scheduler's executor settings and narrowed permissions, and the
 * api-server's read access to the task logs. It knows nothing about which stack uses it.
 */
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import type { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { Fn, type TerraformResource } from "cdktf";
import { Construct } from "constructs";
import { type CapacityProvider, fargateTaskDefinition } from "./fargate-service";
import type { FargateCpu } from "./fargate-sizes";
import type { PolicyStatement } from "./service-role";
import { TaskRoles } from "./task-roles";

/** The executor's class path, `[core] executor`. */
export const AWS_ECS_EXECUTOR = "airflow.providers.amazon.aws.executors.ecs.ecs_executor.AwsEcsExecutor";

/** The principal ECS tasks' roles are passed to. */
const ECS_TASKS_SERVICE = "ecs-tasks.amazonaws.com";

/** `[aws_ecs_executor] max_run_task_attempts`: the provider's own default, written out. */
const DEFAULT_MAX_RUN_TASK_ATTEMPTS = 3;

export interface EcsExecutorProps {
  /**
   * Task definition family and start of the roles' names (`<name>-execution`, `<name>-task`);
   * the remote-log group is `/ecs/<name>`.
   */
  readonly name: string;
  /** The cluster the workers run in (the scheduler's own). */
  readonly cluster: { readonly arn: string; readonly name: string };
  /** Region of the cluster, the log groups and `[aws_ecs_executor] region_name`. */
  readonly region: string;
  /** Same image as the scheduler: the worker imports the same DAGs and providers. */
  readonly image: string;
  /**
   * The worker's container; the executor overrides its command with
   * `python -m airflow.sdk.execution_time.execute_workload --json-string <workload>`.
   * @default "worker"
   */
  readonly containerName?: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  /** Tasks in public subnets without NAT need a public IP to reach ECR and the AWS APIs. */
  readonly assignPublicIp: boolean;
  /** Fargate platform version of the workers, pinned like the services'. */
  readonly platformVersion: string;
  /** Worker task size; must pair as Fargate allows (modules/fargate-sizes.ts). */
  readonly cpu: FargateCpu;
  readonly memoryMiB: number;
  /** Where the workers run; FARGATE_SPOT may stop one mid-task, and Airflow's retries rerun it. */
  readonly capacityProvider: CapacityProvider;
  /** @default 3 (the provider's default) */
  readonly maxRunTaskAttempts?: number;
  /** `[core] execution_api_server_url`: the api-server's Execution API, reachable inside the VPC. */
  readonly executionApiUrl: string;
  /** Days the task logs are kept in the remote-log group. */
  readonly logRetentionDays: number;
  /** awslogs group of the worker container's stdout (the system's log group). */
  readonly containerLogGroup: { readonly name: string; readonly arn: string };
  /** Plain environment of the worker container (the DAGs' contract, AIRFLOW_HOME, ...). Never secrets. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Variable name -> SSM parameter ARN. A 3.x worker holds no database URL, JWT secret or API
   * key: its task process gets a short-lived token in the workload and reaches only the
   * Execution API.
   * @default - none
   */
  readonly secrets?: Readonly<Record<string, string>>;
  /** Permissions of the code the tasks run (the DAGs'): the worker's task role. */
  readonly taskStatements: readonly PolicyStatement[];
  /** Image pull permissions of the image's repository, for the worker's execution role. */
  readonly imagePullStatements: readonly PolicyStatement[];
  /**
   * Borrow this one role for both worker roles (AWS Academy's LabRole): no IAM resource is created.
   * @default - two new roles
   */
  readonly existingRoleName?: string;
}

/**
 * The worker task definition, its roles and remote-log group, and what the scheduler and the
 * api-server need to use them.
 */
export class EcsExecutor extends Construct {
  readonly taskDefinition: EcsTaskDefinition;
  /** The remote-log group (`[logging] remote_base_log_folder = cloudwatch://<arn>`). */
  readonly taskLogGroup: CloudwatchLogGroup;
  /** The two worker roles, passed to ECS by the scheduler. */
  readonly executionRoleArn: string;
  readonly taskRoleArn: string;
  /** The worker roles' IAM resources (none when borrowed); RunTask fails until they exist. */
  readonly iamResources: readonly TerraformResource[];
  /** Environment the scheduler needs to run the executor (no secret among them). */
  readonly schedulerEnvironment: Readonly<Record<string, string>>;
  /** Remote logging, for every container that writes or reads task logs (worker, api-server). */
  readonly loggingEnvironment: Readonly<Record<string, string>>;
  /** What the scheduler's task role may do with the workers, and nothing wider. */
  readonly schedulerStatements: readonly PolicyStatement[];
  /** What the api-server's task role needs to show the task logs. */
  readonly logReaderStatements: readonly PolicyStatement[];

  constructor(scope: Construct, id: string, props: EcsExecutorProps) {
    super(scope, id);
    const containerName = props.containerName ?? "worker";

    this.taskLogGroup = new CloudwatchLogGroup(this, "task-logs", {
      name: `/ecs/${props.name}`,
      retentionInDays: props.logRetentionDays,
    });
    const taskLogs = this.taskLogGroup.arn;

    // The Amazon provider's CloudWatchRemoteLogIO reads the group name and region out of the ARN.
    this.loggingEnvironment = {
      AIRFLOW__LOGGING__REMOTE_LOGGING: "True",
      AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER: `cloudwatch://${taskLogs}`,
      // AwsLogsHook's default connection; with no such Airflow connection defined, boto3 falls
      // back to the container's own credentials: the worker's task role, the api-server's role.
      AIRFLOW__LOGGING__REMOTE_LOG_CONN_ID: "aws_default",
    };

    const roles = new TaskRoles(this, "roles", {
      namePrefix: props.name,
      existingRoleName: props.existingRoleName,
      policies: {
        execution: [
          ...props.imagePullStatements,
          {
            sid: "WriteWorkerContainerLogs",
            actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
            resources: [`${props.containerLogGroup.arn}:*`],
          },
          ...(Object.keys(props.secrets ?? {}).length > 0
            ? [{ sid: "ReadWorkerSecrets", actions: ["ssm:GetParameters"], resources: Object.values(props.secrets ?? {}) }]
            : []),
        ],
        task: [
          ...props.taskStatements,
          {
            // watchtower creates the group when DescribeLogGroups is not allowed; CreateLogGroup on
            // this one ARN only ever answers "already exists", which it ignores.
            sid: "WriteRemoteTaskLogs",
            actions: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            resources: [taskLogs, `${taskLogs}:*`],
          },
        ],
      },
    });
    this.executionRoleArn = roles.roles.execution.arn;
    this.taskRoleArn = roles.roles.task.arn;
    this.iamResources = roles.iamResources;

    this.taskDefinition = fargateTaskDefinition(this, "task-definition", {
      family: props.name,
      cpu: props.cpu,
      memoryMiB: props.memoryMiB,
      logGroupName: props.containerLogGroup.name,
      region: props.region,
      executionRole: roles.roles.execution,
      taskRole: roles.roles.task,
      containers: {
        name: containerName,
        image: props.image,
        // No command: the executor supplies one per task instance.
        environment: {
          ...props.environment,
          ...this.loggingEnvironment,
          AIRFLOW__CORE__EXECUTION_API_SERVER_URL: props.executionApiUrl,
          // The base image's entrypoint runs `airflow db check` before any command, `python`
          // included; a worker has no database to check.
          CONNECTION_CHECK_MAX_COUNT: "0",
        },
        secrets: props.secrets,
        streamPrefix: containerName,
        // Fargate Spot gives two minutes' notice: let the task finish or fail cleanly.
        stopTimeoutSeconds: 120,
      },
    });

    this.schedulerEnvironment = {
      AIRFLOW__CORE__EXECUTOR: AWS_ECS_EXECUTOR,
      AIRFLOW__AWS_ECS_EXECUTOR__REGION_NAME: props.region,
      AIRFLOW__AWS_ECS_EXECUTOR__CLUSTER: props.cluster.name,
      AIRFLOW__AWS_ECS_EXECUTOR__CONTAINER_NAME: containerName,
      // The family: RunTask takes its latest ACTIVE revision, so a worker-only change (size,
      // image) needs no new scheduler, and a scheduler never points at a deregistered revision.
      AIRFLOW__AWS_ECS_EXECUTOR__TASK_DEFINITION: props.name,
      AIRFLOW__AWS_ECS_EXECUTOR__SUBNETS: Fn.join(",", [...props.subnetIds]),
      AIRFLOW__AWS_ECS_EXECUTOR__SECURITY_GROUPS: Fn.join(",", [...props.securityGroupIds]),
      AIRFLOW__AWS_ECS_EXECUTOR__ASSIGN_PUBLIC_IP: props.assignPublicIp ? "True" : "False",
      AIRFLOW__AWS_ECS_EXECUTOR__PLATFORM_VERSION: props.platformVersion,
      AIRFLOW__AWS_ECS_EXECUTOR__MAX_RUN_TASK_ATTEMPTS: String(props.maxRunTaskAttempts ?? DEFAULT_MAX_RUN_TASK_ATTEMPTS),
      AIRFLOW__AWS_ECS_EXECUTOR__CHECK_HEALTH_ON_STARTUP: "True",
      // Provider 9.39.0 hands `capacity_provider_strategy` to RunTask as the raw string, which
      // boto3 rejects (a list is required), so every task would fail to start. run_task_kwargs is
      // parsed as JSON; under its snake_case key the provider still treats it as the strategy and
      // sets no launch type. tests/python/test_ecs_executor.py shows both.
      AIRFLOW__AWS_ECS_EXECUTOR__RUN_TASK_KWARGS: JSON.stringify({
        capacity_provider_strategy: [{ capacityProvider: props.capacityProvider, weight: 1 }],
      }),
    };

    const inCluster = { ArnEquals: { "ecs:cluster": props.cluster.arn } };
    this.schedulerStatements = [
      {
        sid: "RunWorkerTasks",
        actions: ["ecs:RunTask"],
        // Every revision of this one family (the executor runs the latest ACTIVE one), in this cluster.
        resources: [`${this.taskDefinition.arnWithoutRevision}:*`],
        condition: inCluster,
      },
      {
        sid: "WatchAndStopWorkerTasks",
        // DescribeTasks to follow each task, StopTask on shutdown and for the start-up health
        // check (a made-up task id in this cluster).
        actions: ["ecs:DescribeTasks", "ecs:StopTask"],
        resources: [`${Fn.replace(props.cluster.arn, ":cluster/", ":task/")}/*`],
        condition: inCluster,
      },
      {
        sid: "PassWorkerRoles",
        actions: ["iam:PassRole"],
        resources: [...new Set([this.executionRoleArn, this.taskRoleArn])],
        condition: { StringEquals: { "iam:PassedToService": ECS_TASKS_SERVICE } },
      },
    ];
    this.logReaderStatements = [
      {
        sid: "ReadRemoteTaskLogs",
        actions: ["logs:GetLogEvents", "logs:FilterLogEvents"],
        resources: [taskLogs, `${taskLogs}:*`],
      },
    ];
  }
}
