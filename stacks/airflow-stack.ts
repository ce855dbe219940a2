import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { AIRFLOW_LINES, type AirflowLine, airflowBuildArgs } from "../config/airflow-lines";
import { PROJECT_ROOT } from "../config/load";
import type { Config, TaskSizeConfig } from "../config/schema";
import { AlarmTopic, BELOW_ONE_FOR_FIVE_MINUTES, notifying } from "../modules/alarm-topic";
import { ContainerImage } from "../modules/container-image";
import { AWS_ECS_EXECUTOR, EcsExecutor } from "../modules/ecs-executor";
import { FargateCluster } from "../modules/fargate-cluster";
import { type EfsVolume, FargateService } from "../modules/fargate-service";
import { ImageRepository } from "../modules/image-repository";
import { PrivateServiceName } from "../modules/private-service-name";
import type { PolicyStatement } from "../modules/service-role";
import { TaskRoles, taskRoleName } from "../modules/task-roles";
import { WebLoadBalancer } from "../modules/web-load-balancer";
import { AppStack } from "./app-stack";
import type { AirflowDataOutputs } from "./data-outputs";
import { AIRFLOW_NAME, type FileSystemClients } from "./data-stack";
import { type NetworkOutputs, taskPlacement } from "./network-stack";
import { PORTS } from "./ports";

/** CloudWatch namespace of the DAGs' metrics: their METRICS_NAMESPACE and the IAM condition. */
export const METRICS_NAMESPACE = "AlertaUTEC/Incidents";
/** The admin user the webserver's entrypoint creates (the image's default, made explicit). */
export const AIRFLOW_ADMIN_USERNAME = "admin";
export const AIRFLOW_LOG_GROUP = `/ecs/${AIRFLOW_NAME}`;
/** Where the image expects its EFS volumes (seed 000, "Task Definitions"). */
const AIRFLOW_HOME = "/opt/airflow";
/**
 * The DAGs baked into the image (docker/airflow/Dockerfile), which entrypoint.sh seeds onto EFS.
 * ECS executor workers read them here: the same files, with no EFS mount to wait for per task.
 */
const IMAGE_DAGS_FOLDER = `${AIRFLOW_HOME}/dags-image`;
/** Family of the ECS executor's worker task definition, and start of its roles' names. */
export const AIRFLOW_WORKER_NAME = `${AIRFLOW_NAME}-worker`;
/** ECR keeps this many images; older ones (and their timestamp tags) expire. */
const KEPT_IMAGES = 5;

export interface AirflowStackProps {
  readonly config: Config;
  readonly network: NetworkOutputs;
  readonly data: AirflowDataOutputs;
}

/** The processes besides the UI that always run, one ECS service each, and what each guards. */
const BACKGROUND_COMPONENTS = {
  scheduler: {
    jobType: "SchedulerJob",
    down: "no DAG is being scheduled",
  },
  "dag-processor": {
    jobType: "DagProcessorJob",
    down: "DAG files are not parsed, so new and changed DAGs never reach the scheduler",
  },
  triggerer: {
    jobType: "TriggererJob",
    down: "deferred tasks never resume",
  },
} as const;
type BackgroundComponent = keyof typeof BACKGROUND_COMPONENTS;

/** The role purposes of a line: the execution role, then one task role per process. */
type AirflowRolePurpose =
  | "execution"
  | "webserverTask"
  | "apiServerTask"
  | "schedulerTask"
  | "dagProcessorTask"
  | "triggererTask";

/** The Airflow processes of a line: the UI service first, then the background ones. */
export function airflowComponents(line: AirflowLine): {
  readonly ui: "webserver" | "api-server";
  readonly background: readonly BackgroundComponent[];
} {
  const spec = AIRFLOW_LINES[line];
  return { ui: spec.uiCommand, background: ["scheduler", ...spec.extraComponents] };
}

const camelCase = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const taskRolePurpose = (component: string) => `${camelCase(component)}Task` as AirflowRolePurpose;

/**
 * The secrets each container gets, by variable (ECS `secrets`, never plain environment): those
 * every container of the line needs identical, and the UI service's own.
 */
export function airflowSecrets(
  line: AirflowLine,
  secrets: AirflowDataOutputs["secrets"],
): { readonly common: Record<string, string>; readonly ui: Record<string, string> } {
  const ui = { AIRFLOW_ADMIN_PASSWORD: secrets.adminPassword.arn };
  if (line === "2.8") {
    return {
      common: {
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: secrets.sqlAlchemyConn.arn,
        AIRFLOW__WEBSERVER__SECRET_KEY: secrets.webserverSecretKey.arn,
      },
      ui,
    };
  }
  const { jwtSecret, fernetKey } = secrets;
  if (!jwtSecret || !fernetKey) {
    throw new Error(`AirflowStack: the data stack has no JWT secret or Fernet key, which the ${line} line needs`);
  }
  return {
    common: {
      AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: secrets.sqlAlchemyConn.arn,
      // [webserver] secret_key renamed in 3.x; the same parameter, so a line change keeps it.
      AIRFLOW__API__SECRET_KEY: secrets.webserverSecretKey.arn,
      AIRFLOW__API_AUTH__JWT_SECRET: jwtSecret.arn,
      AIRFLOW__CORE__FERNET_KEY: fernetKey.arn,
    },
    ui,
  };
}

/**
 * The roles whose tasks mount the Airflow file system, for the data stack's file-system policy:
 * each process's task role, or the borrowed role. ECS executor workers read the DAGs from the
 * image and mount nothing.
 */
export function airflowFileSystemClients(config: Config): FileSystemClients {
  if (config.iam.mode === "existing-role") return { roleNames: [config.iam.roleName], preexisting: true };
  const { ui, background } = airflowComponents(config.airflow.line);
  return {
    roleNames: [ui, ...background].map((component) => taskRoleName(AIRFLOW_NAME, taskRolePurpose(component))),
    preexisting: false,
  };
}

/** IAM permissions of the Airflow tasks, as data (the tests read the same table; docs/stacks.md describes it). */
export function airflowPolicies(refs: {
  /** The pull permissions of the image's repository (ImageRepository.pullStatements). */
  readonly imagePull: readonly PolicyStatement[];
  readonly logGroupArn: string;
  readonly data: AirflowDataOutputs;
  /** @default "2.8" */
  readonly line?: AirflowLine;
  /**
   * With the ECS executor the DAGs' permissions move to its workers: the scheduler only starts
   * and watches them, and the UI reads their task logs.
   * @default - LocalExecutor: the scheduler runs the tasks and holds the DAGs' permissions
   */
  readonly ecsExecutor?: Pick<EcsExecutor, "schedulerStatements" | "logReaderStatements">;
}): Partial<Record<AirflowRolePurpose, PolicyStatement[]>> {
  const { data } = refs;
  const line = refs.line ?? "2.8";
  const components = airflowComponents(line);
  const secrets = airflowSecrets(line, data.secrets);
  const efs: PolicyStatement = {
    sid: "MountAirflowEfsThroughAccessPoints",
    actions: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
    resources: [data.efs.fileSystemArn],
    // The volumes use IAM authorization, so the task role is the NFS client's identity; the
    // file-system policy delegates to this statement (DataStack.fileSystemPolicy).
    condition: {
      StringEquals: { "elasticfilesystem:AccessPointArn": [data.efs.dagsAccessPointArn, data.efs.logsAccessPointArn] },
    },
  };
  const policies: Partial<Record<AirflowRolePurpose, PolicyStatement[]>> = {
    // Used by the ECS agent only; the code in the containers never holds these credentials.
    execution: [
      ...refs.imagePull,
      {
        sid: "WriteAirflowLogs",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [`${refs.logGroupArn}:*`],
      },
      {
        // SecureStrings under the AWS-managed aws/ssm key: no kms:Decrypt grant is needed.
        sid: "ReadAirflowSecrets",
        actions: ["ssm:GetParameters"],
        resources: [...new Set([...Object.values(secrets.common), ...Object.values(secrets.ui)])],
      },
    ],
    // The UI runs no task (LocalExecutor runs them in the scheduler): it only mounts EFS, and
    // reads the ECS executor's remote task logs when there are workers.
    [taskRolePurpose(components.ui)]: [efs, ...(refs.ecsExecutor?.logReaderStatements ?? [])],
  };
  const schedulerStatements = refs.ecsExecutor ? refs.ecsExecutor.schedulerStatements : dagPermissions(data);
  for (const component of components.background) {
    // The dag-processor parses DAG files and the triggerer runs deferred triggers (no DAG here
    // defers; one that defers an AWS trigger needs that trigger's permissions on this role).
    policies[taskRolePurpose(component)] = component === "scheduler" ? [efs, ...schedulerStatements] : [efs];
  }
  return policies;
}

/**
 * What the DAGs' tasks do in AWS (docs/CONTRACTS.md): the scheduler's with LocalExecutor, which
 * runs them in its own task; the workers' with the ECS executor.
 */
export function dagPermissions(data: AirflowDataOutputs): PolicyStatement[] {
  return [
    {
      sid: "ReadAndUpdateIncidents",
      actions: ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem"],
      resources: [data.incidentsTable.arn, `${data.incidentsTable.arn}/index/*`],
    },
    {
      sid: "PublishIncidentNotifications",
      actions: ["sns:Publish"],
      resources: [data.topicArns.high, data.topicArns.medium, data.topicArns.low],
    },
    {
      sid: "SendDailyReport",
      actions: ["ses:SendEmail", "ses:SendRawEmail"],
      // In the SES sandbox, SES also authorizes against the recipient's identity.
      resources: [data.reports.senderIdentityArn, data.reports.recipientIdentityArn],
      condition: { StringEquals: { "ses:FromAddress": data.reports.senderAddress } },
    },
    {
      sid: "ReadWriteBackupObjects",
      actions: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
      resources: [`${data.logsBucket.arn}/*`],
    },
    { sid: "ListBackupBucket", actions: ["s3:ListBucket"], resources: [data.logsBucket.arn] },
    {
      // PutMetricData supports no resource-level permission; the namespace condition narrows it.
      sid: "PutIncidentMetrics",
      actions: ["cloudwatch:PutMetricData"],
      resources: ["*"],
      condition: { StringEquals: { "cloudwatch:namespace": METRICS_NAMESPACE } },
    },
  ];
}

/** Namespace of the Airflow services' private DNS names (a private hosted zone of the VPC). */
export const AIRFLOW_PRIVATE_NAMESPACE = `${AIRFLOW_NAME}.internal`;
/** The Execution API's path on the api-server (Airflow's `{BASE_URL}/execution/`). */
const EXECUTION_API_PATH = "/execution/";

/**
 * AlertaUTEC Airflow (seed 000): one image, one Fargate service per Airflow process (2.8:
 * webserver behind an ALB and a scheduler running the DAGs with the LocalExecutor; 3.3: an
 * api-server behind the ALB, the scheduler, a dag-processor and a triggerer), DAGs and task logs
 * on EFS, metadata in PostgreSQL; everything stateful comes from the data stack.
 */
export class AirflowStack extends AppStack {
  /** The Airflow UI. */
  readonly url: string;
  /** Where task processes reach the Execution API, inside the VPC (3.x line only). */
  readonly executionApiUrl?: string;

  constructor(scope: Construct, id: "airflow", props: AirflowStackProps) {
    super(scope, id, { config: props.config, system: "airflow" });
    const { config, network, data } = props;
    const { airflow } = config;
    const line = airflow.line;
    const lineSpec = AIRFLOW_LINES[line];
    const components = airflowComponents(line);
    const ui = components.ui;

    const imageRepository = new ImageRepository(this, "repository", {
      name: AIRFLOW_NAME,
      keptImages: KEPT_IMAGES,
      // The images are rebuilt from Git on deploy; a destroy should not stop at a full repository.
      forceDelete: true,
    });
    const repository = imageRepository.repository;
    const image = new ContainerImage(this, "image", {
      source: airflow.image,
      repository: { repositoryUrl: repository.repositoryUrl },
      // The config's build context and Dockerfile are relative to the repository root.
      basePath: PROJECT_ROOT,
      // One Dockerfile for every line; the line and its version pick the base image and pins.
      buildArgs: airflowBuildArgs(line),
    });

    const logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: AIRFLOW_LOG_GROUP,
      retentionInDays: airflow.logRetentionDays,
    });

    const { cluster, capacityProviders } = new FargateCluster(this, "cluster", { name: AIRFLOW_NAME });

    const alarms = new AlarmTopic(this, "alarms", { topicName: `${AIRFLOW_NAME}-alarms`, email: config.alarmEmail });

    const loadBalancer = new WebLoadBalancer(this, "load-balancer", {
      accessLogs: data.loadBalancerLogs,
      name: AIRFLOW_NAME,
      vpcId: network.vpcId,
      subnetIds: network.publicSubnetIds,
      securityGroupIds: [network.securityGroupIds["airflow-alb"]],
      targetPort: PORTS.airflowWebserver,
      httpPort: PORTS.http,
      httpsPort: PORTS.https,
      certificateArn: airflow.certificateArn,
      healthCheck: {
        path: lineSpec.uiHealthPath,
        intervalSeconds: 30,
        timeoutSeconds: 10,
        healthyThreshold: 2,
        unhealthyThreshold: 3,
      },
      // The UI keeps a session per webserver task; stickiness saves logins when there are several.
      stickinessSeconds: 86400,
      // UI requests are short: 30 s drains a task without slowing every deployment by 5 minutes.
      deregistrationDelaySeconds: 30,
      // The ALB holds no data; recreating it only changes the URL.
      deletionProtection: false,
      // The Execution API is for the task processes, which call it inside the VPC: the internet
      // gets a 404 from the load balancer instead of a route to it.
      blockedPathPatterns: ui === "api-server" ? ["/execution", `${EXECUTION_API_PATH}*`] : undefined,
    });
    this.url = loadBalancer.url;

    // The api-server's private name: task processes reach the Execution API by it, inside the
    // VPC and past the internet-facing ALB (security matrix: airflow-tasks->airflow-tasks:8080).
    const apiServerName =
      ui === "api-server"
        ? new PrivateServiceName(this, "api-server-name", {
            namespace: AIRFLOW_PRIVATE_NAMESPACE,
            serviceName: "api-server",
            vpcId: network.vpcId,
          })
        : undefined;
    this.executionApiUrl = apiServerName
      ? `http://${apiServerName.hostname}:${PORTS.airflowWebserver}${EXECUTION_API_PATH}`
      : undefined;

    // docs/CONTRACTS.md: the DAGs read these and nothing else.
    const contract: Record<string, string> = {
      AWS_DEFAULT_REGION: config.region,
      DYNAMODB_TABLE: data.incidentsTable.name,
      INCIDENTS_CLASSIFICATION_INDEX: data.incidentsTable.classificationIndexName,
      INCIDENTS_NOTIFICATION_INDEX: data.incidentsTable.notificationIndexName,
      SNS_TOPIC_ARN_HIGH: data.topicArns.high,
      SNS_TOPIC_ARN_MEDIUM: data.topicArns.medium,
      SNS_TOPIC_ARN_LOW: data.topicArns.low,
      SES_SENDER_ADDRESS: data.reports.senderAddress,
      REPORT_RECIPIENT: data.reports.recipientAddress,
      BACKUP_BUCKET: data.logsBucket.name,
      METRICS_NAMESPACE,
    };
    const placement = taskPlacement(network, airflow.taskSubnets);
    const existingRoleName = config.iam.mode === "existing-role" ? config.iam.roleName : undefined;

    // ---- ECS executor workers (docs/ecs-executor.md) -------------------------------------------
    let ecsExecutor: EcsExecutor | undefined;
    if (airflow.executor === "AwsEcsExecutor") {
      // config/validate.ts refuses this combination with a message; this guards other callers.
      if (!this.executionApiUrl)
        throw new Error(`AirflowStack: the ECS executor needs the Execution API (line ${line} has none)`);
      const worker = airflow.ecsExecutor.worker;
      ecsExecutor = new EcsExecutor(this, "ecs-executor", {
        name: AIRFLOW_WORKER_NAME,
        // The literal name: the executor's settings read the same as the console shows them.
        cluster: { arn: cluster.arn, name: AIRFLOW_NAME },
        region: config.region,
        image: image.imageUri,
        ...placement,
        securityGroupIds: [network.securityGroupIds["airflow-workers"]],
        platformVersion: config.fargatePlatformVersion,
        cpu: worker.cpu,
        memoryMiB: worker.memoryMiB,
        capacityProvider: worker.capacityProvider,
        executionApiUrl: this.executionApiUrl,
        logRetentionDays: airflow.logRetentionDays,
        containerLogGroup: { name: logGroup.name, arn: logGroup.arn },
        environment: { ...contract, AIRFLOW_HOME, AIRFLOW__CORE__DAGS_FOLDER: IMAGE_DAGS_FOLDER },
        taskStatements: dagPermissions(data),
        imagePullStatements: imageRepository.pullStatements(),
        existingRoleName,
      });
    }

    // ---- IAM -----------------------------------------------------------------------------------
    const policies = airflowPolicies({
      imagePull: imageRepository.pullStatements(),
      logGroupArn: logGroup.arn,
      data,
      line,
      ecsExecutor,
    });
    const taskRoles = new TaskRoles(this, "roles", {
      namePrefix: AIRFLOW_NAME,
      policies: policies as Record<AirflowRolePurpose, PolicyStatement[]>,
      existingRoleName,
    });
    const { roles, iamResources } = taskRoles;

    // ---- Containers ----------------------------------------------------------------------------
    const volumes: EfsVolume[] = [
      {
        name: "dags",
        fileSystemId: data.efs.fileSystemId,
        accessPointId: data.efs.dagsAccessPointId,
        containerPath: `${AIRFLOW_HOME}/dags`,
      },
      {
        name: "logs",
        fileSystemId: data.efs.fileSystemId,
        accessPointId: data.efs.logsAccessPointId,
        containerPath: `${AIRFLOW_HOME}/logs`,
      },
    ];
    const common: Record<string, string> = {
      ...contract,
      AIRFLOW_HOME,
      // Every component names the same executor (the dag-processor checks the DAGs against it).
      AIRFLOW__CORE__EXECUTOR: ecsExecutor ? AWS_ECS_EXECUTOR : "LocalExecutor",
      ...(this.executionApiUrl
        ? {
            // Links in the UI point at the load balancer; without the next variable Airflow would
            // send the task processes to `{BASE_URL}/execution/` too, through the internet.
            AIRFLOW__API__BASE_URL: loadBalancer.url,
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL: this.executionApiUrl,
          }
        : {
            // Links in the UI and in e-mails point at the load balancer, with the scheme it serves;
            // the proxy fix makes Flask trust the ALB's X-Forwarded-Proto behind HTTPS.
            AIRFLOW__WEBSERVER__BASE_URL: loadBalancer.url,
            AIRFLOW__WEBSERVER__ENABLE_PROXY_FIX: "True",
          }),
    };
    const secrets = airflowSecrets(line, data.secrets);

    const serviceBase = {
      cluster: { arn: cluster.arn, name: cluster.name },
      efsVolumes: volumes,
      logGroupName: logGroup.name,
      region: config.region,
      executionRole: roles.execution,
      sharedRoleAllowed: taskRoles.borrowed,
      ...placement,
      securityGroupIds: [network.securityGroupIds["airflow-tasks"]],
      platformVersion: config.fargatePlatformVersion,
    };

    // Airflow writes airflow.cfg, webserver_config.py, pid files and gunicorn's worker heartbeat
    // files at run time outside the EFS volumes, so no container gets a read-only root file system.
    const uiService = new FargateService(this, ui, {
      ...serviceBase,
      family: `${AIRFLOW_NAME}-${ui}`,
      cpu: airflow.webserver.cpu,
      memoryMiB: airflow.webserver.memoryMiB,
      capacityProvider: airflow.webserver.capacityProvider,
      taskRole: roles[taskRolePurpose(ui)],
      containers: {
        name: ui,
        image: image.imageUri,
        command: [ui],
        port: PORTS.airflowWebserver,
        environment: {
          ...common,
          AIRFLOW_DB_MIGRATE: "true",
          AIRFLOW_ADMIN_USERNAME,
          AIRFLOW_ADMIN_EMAIL: airflow.adminEmail,
          // The image starts the api-server with --proxy-headers; uvicorn then trusts the
          // X-Forwarded-* headers only from the addresses listed here (default 127.0.0.1), and
          // the ALB's nodes have changing private IPs. Any address is safe because only the ALB
          // and the Airflow tasks can reach the port (security matrix).
          ...(ui === "api-server" ? { FORWARDED_ALLOW_IPS: "*" } : {}),
          // The UI shows the workers' task logs from their CloudWatch group.
          ...ecsExecutor?.loggingEnvironment,
        },
        secrets: { ...secrets.common, ...secrets.ui },
        healthCheck: {
          command: `curl -f http://localhost:${PORTS.airflowWebserver}${lineSpec.uiHealthPath} || exit 1`,
          intervalSeconds: 30,
          timeoutSeconds: 10,
          retries: 3,
          startPeriodSeconds: 60,
        },
        streamPrefix: ui,
      },
      loadBalancer: {
        targetGroupArn: loadBalancer.targetGroupArn,
        containerName: ui,
        containerPort: PORTS.airflowWebserver,
        // The first UI task migrates an empty database before it answers its health check; ECS
        // ignores failing load balancer and container health checks for this long after a task starts.
        healthCheckGracePeriodSeconds: 300,
      },
      autoscaling: airflow.webserver.autoscaling,
      serviceDiscoveryArn: apiServerName?.registryArn,
      dependsOn: [loadBalancer.forwardingListener, capacityProviders, ...iamResources],
    });

    const sizes: Record<BackgroundComponent, TaskSizeConfig | undefined> = {
      scheduler: airflow.scheduler,
      "dag-processor": airflow.dagProcessor,
      triggerer: airflow.triggerer,
    };
    const background = components.background.map((component) => {
      const size = sizes[component];
      if (!size) throw new Error(`AirflowStack: the ${line} line runs a ${component}, and the config sizes none`);
      // Exactly one scheduler and one dag-processor, never autoscaled. Minimum 0 % / maximum
      // 100 %: a deployment stops the old task before it starts the new one, so two schedulers
      // (each with its own LocalExecutor and DAG seeding) never overlap; the price is a minute or
      // two without scheduling or parsing during a deploy, which DAGs that run every 5 minutes or
      // more absorb. Triggerers may overlap (Airflow spreads triggers over all that run).
      const single = component !== "triggerer";
      const service = new FargateService(this, component, {
        ...serviceBase,
        family: `${AIRFLOW_NAME}-${component}`,
        cpu: size.cpu,
        memoryMiB: size.memoryMiB,
        capacityProvider: size.capacityProvider,
        taskRole: roles[taskRolePurpose(component)],
        desiredCount: 1,
        ...(single ? { minimumHealthyPercent: 0, maximumPercent: 100 } : {}),
        containers: {
          name: component,
          image: image.imageUri,
          command: [component],
          environment: {
            ...common,
            AIRFLOW_DB_MIGRATE: "false",
            // Only the scheduler's executor reads it; it bounds the task's worker processes (LocalExecutor)
            // or the worker tasks running at once (ECS executor).
            ...(component === "scheduler" && airflow.scheduler.parallelism !== undefined
              ? { AIRFLOW__CORE__PARALLELISM: String(airflow.scheduler.parallelism) }
              : {}),
            ...(component === "scheduler" ? { ...ecsExecutor?.loggingEnvironment, ...ecsExecutor?.schedulerEnvironment } : {}),
          },
          secrets: secrets.common,
          // A process that stops heart-beating (lost database, hung loop) is replaced. The start
          // period plus retries (10 minutes) covers the wait for the UI's first migration.
          healthCheck: {
            command: `airflow jobs check --job-type ${BACKGROUND_COMPONENTS[component].jobType} --local`,
            intervalSeconds: 60,
            timeoutSeconds: 30,
            retries: 5,
            startPeriodSeconds: 300,
          },
          // Fargate Spot gives two minutes' notice: let running LocalExecutor tasks use it.
          ...(component === "scheduler" ? { stopTimeoutSeconds: 120 } : {}),
          streamPrefix: component,
        },
        // RunTask fails until the worker roles it passes exist.
        dependsOn: [capacityProviders, ...iamResources, ...(component === "scheduler" ? (ecsExecutor?.iamResources ?? []) : [])],
      });
      return { component, service };
    });

    loadBalancer.addAlarms({ topicArn: alarms.arn, namePrefix: AIRFLOW_NAME, targetName: ui });
    for (const { component, service } of background) this.notRunningAlarm(alarms.arn, cluster.name, component, service);

    new TerraformOutput(this, "airflow_url", { value: this.url, description: "The Airflow UI" });
    new TerraformOutput(this, "airflow_admin_username", { value: AIRFLOW_ADMIN_USERNAME });
    new TerraformOutput(this, "airflow_admin_password_parameter_name", {
      value: data.secrets.adminPassword.name,
      description: "SSM SecureString holding the admin password (aws ssm get-parameter --with-decryption)",
    });
    new TerraformOutput(this, `airflow_${ui.replace(/-/g, "_")}_service`, { value: uiService.serviceName });
    for (const { component, service } of background) {
      new TerraformOutput(this, `airflow_${component.replace(/-/g, "_")}_service`, { value: service.serviceName });
    }
    if (this.executionApiUrl) {
      new TerraformOutput(this, "airflow_execution_api_url", {
        value: this.executionApiUrl,
        description: "The Execution API, as the task processes reach it inside the VPC",
      });
    }
  }

  /**
   * RunningTaskCount needs Container Insights. AWS/ECS CPUUtilization is free and has a data
   * point each minute while at least one task of the service runs, so its SampleCount drops to
   * nothing when the process is gone: missing data counts as breaching.
   */
  private notRunningAlarm(topicArn: string, clusterName: string, component: BackgroundComponent, service: FargateService): void {
    new CloudwatchMetricAlarm(this, `alarm-${component}-not-running`, {
      alarmName: `${AIRFLOW_NAME}-${component}-not-running`,
      alarmDescription: `No ${component} task has run for 5 minutes: ${BACKGROUND_COMPONENTS[component].down}`,
      namespace: "AWS/ECS",
      metricName: "CPUUtilization",
      dimensions: { ClusterName: clusterName, ServiceName: service.serviceName },
      statistic: "SampleCount",
      ...BELOW_ONE_FOR_FIVE_MINUTES,
      ...notifying(topicArn),
    });
  }
}
