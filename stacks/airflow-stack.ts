import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { PROJECT_ROOT } from "../config/load";
import type { Config } from "../config/schema";
import { AlarmTopic, BELOW_ONE_FOR_FIVE_MINUTES, notifying } from "../modules/alarm-topic";
import { ContainerImage } from "../modules/container-image";
import { FargateCluster } from "../modules/fargate-cluster";
import { type EfsVolume, FargateService } from "../modules/fargate-service";
import { ImageRepository } from "../modules/image-repository";
import type { PolicyStatement } from "../modules/service-role";
import { TaskRoles } from "../modules/task-roles";
import { WebLoadBalancer } from "../modules/web-load-balancer";
import { AppStack } from "./app-stack";
import type { AirflowDataOutputs } from "./data-outputs";
import { AIRFLOW_NAME } from "./data-stack";
import { type NetworkOutputs, taskPlacement } from "./network-stack";
import { PORTS } from "./ports";

/** CloudWatch namespace of the DAGs' metrics: their METRICS_NAMESPACE and the IAM condition. */
export const METRICS_NAMESPACE = "AlertaUTEC/Incidents";
/** The admin user the webserver's entrypoint creates (the image's default, made explicit). */
export const AIRFLOW_ADMIN_USERNAME = "admin";
export const AIRFLOW_LOG_GROUP = `/ecs/${AIRFLOW_NAME}`;
/** Where the image expects its EFS volumes (seed 000, "Task Definitions"). */
const AIRFLOW_HOME = "/opt/airflow";
/** ECR keeps this many images; older ones (and their timestamp tags) expire. */
const KEPT_IMAGES = 5;

export interface AirflowStackProps {
  readonly config: Config;
  readonly network: NetworkOutputs;
  readonly data: AirflowDataOutputs;
}

/** IAM permissions of the Airflow tasks, as data (the tests read the same table; docs/stacks.md describes it). */
export function airflowPolicies(refs: {
  /** The pull permissions of the image's repository (ImageRepository.pullStatements). */
  readonly imagePull: readonly PolicyStatement[];
  readonly logGroupArn: string;
  readonly data: AirflowDataOutputs;
}): { execution: PolicyStatement[]; webserverTask: PolicyStatement[]; schedulerTask: PolicyStatement[] } {
  const { data } = refs;
  const efs: PolicyStatement = {
    sid: "MountAirflowEfsThroughAccessPoints",
    actions: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
    resources: [data.efs.fileSystemArn],
    // The volumes use IAM authorization, so the task role is the NFS client's identity.
    condition: {
      StringEquals: { "elasticfilesystem:AccessPointArn": [data.efs.dagsAccessPointArn, data.efs.logsAccessPointArn] },
    },
  };
  return {
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
        resources: [data.secrets.sqlAlchemyConn.arn, data.secrets.webserverSecretKey.arn, data.secrets.adminPassword.arn],
      },
    ],
    // The webserver runs no task (LocalExecutor runs them in the scheduler): it only mounts EFS.
    webserverTask: [efs],
    schedulerTask: [
      efs,
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
    ],
  };
}

/**
 * AlertaUTEC Airflow (seed 000): one image, two Fargate services (webserver behind an ALB,
 * scheduler running the DAGs with the LocalExecutor), DAGs and task logs on EFS, metadata in
 * PostgreSQL; everything stateful comes from the data stack.
 */
export class AirflowStack extends AppStack {
  /** The Airflow UI. */
  readonly url: string;

  constructor(scope: Construct, id: "airflow", props: AirflowStackProps) {
    super(scope, id, { config: props.config, system: "airflow" });
    const { config, network, data } = props;
    const { airflow } = config;

    const imageRepository = new ImageRepository(this, "repository", {
      name: AIRFLOW_NAME,
      keptImages: KEPT_IMAGES,
      // The images are rebuilt from Git on deploy; a destroy should not stop at a full repository.
      forceDelete: true,
    });
    const repository = imageRepository.repository;
    const image = new ContainerImage(this, "image", {
      source: airflow.image,
      repository: { repositoryUrl: repository.repositoryUrl, registryId: repository.registryId },
      // The config's build context and Dockerfile are relative to the repository root.
      basePath: PROJECT_ROOT,
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
      healthCheck: { path: "/health", intervalSeconds: 30, timeoutSeconds: 10, healthyThreshold: 2, unhealthyThreshold: 3 },
      // The UI keeps a session per webserver task; stickiness saves logins when there are several.
      stickinessSeconds: 86400,
      // UI requests are short: 30 s drains a task without slowing every deployment by 5 minutes.
      deregistrationDelaySeconds: 30,
      // The ALB holds no data; recreating it only changes the URL.
      deletionProtection: false,
    });
    this.url = loadBalancer.url;

    // ---- IAM -----------------------------------------------------------------------------------
    const policies = airflowPolicies({ imagePull: imageRepository.pullStatements(), logGroupArn: logGroup.arn, data });
    const taskRoles = new TaskRoles(this, "roles", {
      namePrefix: AIRFLOW_NAME,
      policies,
      existingRoleName: config.iam.mode === "existing-role" ? config.iam.roleName : undefined,
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
    const common: Record<string, string> = {
      ...contract,
      AIRFLOW_HOME,
      AIRFLOW__CORE__EXECUTOR: "LocalExecutor",
      // Links in the UI and in e-mails point at the load balancer, with the scheme it serves;
      // the proxy fix makes Flask trust the ALB's X-Forwarded-Proto behind HTTPS.
      AIRFLOW__WEBSERVER__BASE_URL: loadBalancer.url,
      AIRFLOW__WEBSERVER__ENABLE_PROXY_FIX: "True",
    };
    const commonSecrets = {
      AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: data.secrets.sqlAlchemyConn.arn,
      AIRFLOW__WEBSERVER__SECRET_KEY: data.secrets.webserverSecretKey.arn,
    };

    const serviceBase = {
      cluster: { arn: cluster.arn, name: cluster.name },
      efsVolumes: volumes,
      logGroupName: logGroup.name,
      region: config.region,
      executionRole: roles.execution,
      sharedRoleAllowed: taskRoles.borrowed,
      ...taskPlacement(network, airflow.taskSubnets),
      securityGroupIds: [network.securityGroupIds["airflow-tasks"]],
      platformVersion: config.fargatePlatformVersion,
    };

    // Airflow writes airflow.cfg, webserver_config.py, pid files and gunicorn's worker heartbeat
    // files at run time outside the EFS volumes, so no container gets a read-only root file system.
    const webserver = new FargateService(this, "webserver", {
      ...serviceBase,
      family: `${AIRFLOW_NAME}-webserver`,
      cpu: airflow.webserver.cpu,
      memoryMiB: airflow.webserver.memoryMiB,
      capacityProvider: airflow.webserver.capacityProvider,
      taskRole: roles.webserverTask,
      containers: {
        name: "webserver",
        image: image.imageUri,
        command: ["webserver"],
        port: PORTS.airflowWebserver,
        environment: {
          ...common,
          AIRFLOW_DB_MIGRATE: "true",
          AIRFLOW_ADMIN_USERNAME,
          AIRFLOW_ADMIN_EMAIL: airflow.adminEmail,
        },
        secrets: { ...commonSecrets, AIRFLOW_ADMIN_PASSWORD: data.secrets.adminPassword.arn },
        healthCheck: {
          command: `curl -f http://localhost:${PORTS.airflowWebserver}/health || exit 1`,
          intervalSeconds: 30,
          timeoutSeconds: 10,
          retries: 3,
          startPeriodSeconds: 60,
        },
        streamPrefix: "webserver",
      },
      loadBalancer: {
        targetGroupArn: loadBalancer.targetGroupArn,
        containerName: "webserver",
        containerPort: PORTS.airflowWebserver,
        // The first webserver migrates an empty database before it answers /health; ECS ignores
        // failing load balancer and container health checks for this long after a task starts.
        healthCheckGracePeriodSeconds: 300,
      },
      autoscaling: airflow.webserver.autoscaling,
      dependsOn: [loadBalancer.forwardingListener, capacityProviders, ...iamResources],
    });

    // Exactly one scheduler, never autoscaled. Minimum 0 % / maximum 100 %: a deployment stops
    // the old scheduler before it starts the new one, so two schedulers (each with its own
    // LocalExecutor and DAG seeding) never overlap; the price is a minute or two without
    // scheduling during a deploy, which DAGs that run every 5 minutes or more absorb.
    const scheduler = new FargateService(this, "scheduler", {
      ...serviceBase,
      family: `${AIRFLOW_NAME}-scheduler`,
      cpu: airflow.scheduler.cpu,
      memoryMiB: airflow.scheduler.memoryMiB,
      capacityProvider: airflow.scheduler.capacityProvider,
      taskRole: roles.schedulerTask,
      desiredCount: 1,
      minimumHealthyPercent: 0,
      maximumPercent: 100,
      containers: {
        name: "scheduler",
        image: image.imageUri,
        command: ["scheduler"],
        environment: { ...common, AIRFLOW_DB_MIGRATE: "false" },
        secrets: commonSecrets,
        // A scheduler that stops heart-beating (lost database, hung loop) is replaced. The start
        // period plus retries (10 minutes) covers the wait for the webserver's first migration.
        healthCheck: {
          command: "airflow jobs check --job-type SchedulerJob --local",
          intervalSeconds: 60,
          timeoutSeconds: 30,
          retries: 5,
          startPeriodSeconds: 300,
        },
        // Fargate Spot gives two minutes' notice: let running LocalExecutor tasks use it.
        stopTimeoutSeconds: 120,
        streamPrefix: "scheduler",
      },
      dependsOn: [capacityProviders, ...iamResources],
    });

    this.alarms(alarms.arn, loadBalancer, cluster.name, scheduler.serviceName);

    new TerraformOutput(this, "airflow_url", { value: this.url, description: "The Airflow UI" });
    new TerraformOutput(this, "airflow_admin_username", { value: AIRFLOW_ADMIN_USERNAME });
    new TerraformOutput(this, "airflow_admin_password_parameter_name", {
      value: data.secrets.adminPassword.name,
      description: "SSM SecureString holding the admin password (aws ssm get-parameter --with-decryption)",
    });
    new TerraformOutput(this, "airflow_webserver_service", { value: webserver.serviceName });
    new TerraformOutput(this, "airflow_scheduler_service", { value: scheduler.serviceName });
  }

  private alarms(topicArn: string, lb: WebLoadBalancer, clusterName: string, schedulerService: string): void {
    lb.addAlarms({ topicArn, namePrefix: AIRFLOW_NAME, targetName: "webserver" });
    // RunningTaskCount needs Container Insights. AWS/ECS CPUUtilization is free and has a data
    // point each minute while at least one task of the service runs, so its SampleCount drops
    // to nothing when the scheduler is gone: missing data counts as breaching.
    new CloudwatchMetricAlarm(this, "alarm-scheduler-not-running", {
      alarmName: `${AIRFLOW_NAME}-scheduler-not-running`,
      alarmDescription: "No scheduler task has run for 5 minutes: no DAG is being scheduled",
      namespace: "AWS/ECS",
      metricName: "CPUUtilization",
      dimensions: { ClusterName: clusterName, ServiceName: schedulerService },
      statistic: "SampleCount",
      ...BELOW_ONE_FOR_FIVE_MINUTES,
      ...notifying(topicArn),
    });
  }
}
