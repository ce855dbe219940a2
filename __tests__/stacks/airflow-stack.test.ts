import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DataAwsIamRole } from "@cdktf/provider-aws/lib/data-aws-iam-role";
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsClusterCapacityProviders } from "@cdktf/provider-aws/lib/ecs-cluster-capacity-providers";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Image } from "@cdktf/provider-docker/lib/image";
import { type App, Testing } from "cdktf";
import { loadConfigOnLine } from "../../config/load";
import type { Config, EnvironmentName } from "../../config/schema";
import { AIRFLOW_LOG_GROUP, AirflowStack, METRICS_NAMESPACE } from "../../stacks/airflow-stack";
import type { AirflowDataOutputs } from "../../stacks/data-outputs";
import { NetworkStack } from "../../stacks/network-stack";
import { PORTS } from "../../stacks/ports";
import {
  containerOf,
  dataSourcesOf,
  decodeJsonencode,
  environmentOf,
  onlyResource,
  parseStack,
  policyStatements,
  resourcesOf,
  secretsOf,
} from "../../tools/synthesized/tf-json";
import { synthEnvironment } from "../helpers";

const ARN = "arn:aws:ssm:us-east-1:123456789012:parameter/alerta-utec-airflow";
/** What the data stack gives, as plain strings so that assertions can name them. */
const DATA: AirflowDataOutputs = {
  database: {
    address: "db.example",
    port: 5432,
    databaseName: "airflow",
    username: "airflow",
    identifier: "alerta-utec-airflow",
  },
  efs: {
    fileSystemId: "fs-0123",
    fileSystemArn: "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123",
    dagsAccessPointId: "fsap-dags",
    dagsAccessPointArn: "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-dags",
    logsAccessPointId: "fsap-logs",
    logsAccessPointArn: "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-logs",
  },
  logsBucket: { name: "alerta-utec-airflow-logs-hack01", arn: "arn:aws:s3:::alerta-utec-airflow-logs-hack01" },
  incidentsTable: {
    name: "Incidents",
    arn: "arn:aws:dynamodb:us-east-1:123456789012:table/Incidents",
    classificationIndexName: "classification-pending",
    notificationIndexName: "notification-pending",
  },
  topicArns: {
    high: "arn:aws:sns:us-east-1:123456789012:alerta-utec-incidents-high",
    medium: "arn:aws:sns:us-east-1:123456789012:alerta-utec-incidents-medium",
    low: "arn:aws:sns:us-east-1:123456789012:alerta-utec-incidents-low",
  },
  reports: {
    senderAddress: "alertas@utec.edu.pe",
    recipientAddress: "admin@utec.edu.pe",
    senderIdentityArn: "arn:aws:ses:us-east-1:123456789012:identity/alertas@utec.edu.pe",
    recipientIdentityArn: "arn:aws:ses:us-east-1:123456789012:identity/admin@utec.edu.pe",
  },
  secrets: {
    sqlAlchemyConn: { name: "/alerta-utec-airflow/db/sql-alchemy-conn", arn: `${ARN}/db/sql-alchemy-conn` },
    webserverSecretKey: { name: "/alerta-utec-airflow/webserver/secret-key", arn: `${ARN}/webserver/secret-key` },
    adminPassword: { name: "/alerta-utec-airflow/webserver/admin-password", arn: `${ARN}/webserver/admin-password` },
  },
};

/** Every variable docs/CONTRACTS.md's table names: the DAGs read these. */
const CONTRACT_VARIABLES = [
  ...readFileSync(join(__dirname, "..", "..", "docs", "CONTRACTS.md"), "utf8")
    .split("\n")
    .filter((line) => /^\|\s*`[A-Z_]+`/.test(line))
    .flatMap((line) => [...(line.split("|")[1] ?? "").matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1])),
];

function synthAirflow(config: Config): string {
  const app = Testing.app() as App;
  const network = new NetworkStack(app, "network", { config });
  new AirflowStack(app, "airflow", { config, network: network.outputs, data: DATA });
  app.synth();
  return readFileSync(join(app.outdir, "stacks", "airflow", "cdk.tf.json"), "utf8");
}

interface Synthesized {
  readonly config: Config;
  /** The airflow stack's synthesized JSON, for cdktf's matchers and tf-json's readers. */
  readonly json: string;
}

function synthesize(environment: EnvironmentName, edit?: (config: Config) => void): Synthesized {
  // This file checks the 2.8 line in every environment (production runs 3.3: airflow3-stack.test.ts).
  const config = loadConfigOnLine(environment, "2.8");
  edit?.(config);
  return { config, json: synthAirflow(config) };
}

const WEBSERVER = "alerta-utec-airflow-webserver";
const SCHEDULER = "alerta-utec-airflow-scheduler";

describe.each(["hackathon", "learner-lab", "production"] as const)("AirflowStack in %s", (environment) => {
  let s: Synthesized;
  let json: string;
  beforeAll(() => {
    s = synthesize(environment);
    json = s.json;
  });

  describe("the image and its repository", () => {
    it("scans on push, encrypts with AES256 and keeps timestamp tags immutable, only latest moving", () => {
      expect(json).toHaveResourceWithProperties(EcrRepository, {
        name: "alerta-utec-airflow",
        image_scanning_configuration: { scan_on_push: true },
        encryption_configuration: [{ encryption_type: "AES256" }],
        image_tag_mutability: "IMMUTABLE_WITH_EXCLUSION",
        image_tag_mutability_exclusion_filter: [{ filter: "latest", filter_type: "WILDCARD" }],
      });
      expect(resourcesOf(json, EcrRepository)).toHaveLength(1);
    });

    it("keeps the last 5 images", () => {
      const [lifecycle] = resourcesOf(json, EcrLifecyclePolicy);
      // The lifecycle policy is a JSON string, which the matchers compare whole.
      expect(JSON.parse(lifecycle.policy as string).rules).toEqual([
        expect.objectContaining({
          selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 5 },
          action: { type: "expire" },
        }),
      ]);
    });

    it("builds docker/airflow/Dockerfile from the repository root and runs the pushed digest", () => {
      expect(s.config.airflow.image).toEqual({ source: "build", context: ".", dockerfile: "docker/airflow/Dockerfile" });
      expect(json).toHaveResourceWithProperties(Image, {
        build: expect.objectContaining({ dockerfile: "docker/airflow/Dockerfile" }),
      });
      expect(resourcesOf(json, Image)).toHaveLength(1);
      for (const family of [WEBSERVER, SCHEDULER]) {
        expect(containerOf(json, family).image).toMatch(
          /^\$\{aws_ecr_repository\.repository_\w+\.repository_url\}@\$\{docker_registry_image\..*\.sha256_digest\}$/,
        );
      }
    });
  });

  it("runs a cluster with FARGATE and FARGATE_SPOT and no Container Insights", () => {
    expect(json).toHaveResourceWithProperties(EcsCluster, {
      name: "alerta-utec-airflow",
      setting: [{ name: "containerInsights", value: "disabled" }],
    });
    expect(resourcesOf(json, EcsCluster)).toHaveLength(1);
    expect(json).toHaveResourceWithProperties(EcsClusterCapacityProviders, { capacity_providers: ["FARGATE", "FARGATE_SPOT"] });
    expect(resourcesOf(json, EcsClusterCapacityProviders)).toHaveLength(1);
  });

  it("logs to /ecs/alerta-utec-airflow for the configured days", () => {
    expect(AIRFLOW_LOG_GROUP).toBe("/ecs/alerta-utec-airflow");
    expect(json).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: AIRFLOW_LOG_GROUP,
      retention_in_days: s.config.airflow.logRetentionDays,
    });
    expect(resourcesOf(json, CloudwatchLogGroup)).toHaveLength(1);
  });

  describe("the webserver", () => {
    it("is sized from config and serves port 8080 with the webserver command", () => {
      const { webserver } = s.config.airflow;
      expect(json).toHaveResourceWithProperties(EcsTaskDefinition, {
        family: WEBSERVER,
        cpu: String(webserver.cpu),
        memory: String(webserver.memoryMiB),
      });
      const c = containerOf(json, WEBSERVER);
      expect(c.command).toEqual(["webserver"]);
      expect(c.portMappings).toEqual([{ containerPort: PORTS.airflowWebserver, hostPort: 8080, protocol: "tcp" }]);
      expect(c.logConfiguration.options["awslogs-stream-prefix"]).toBe("webserver");
    });

    it("checks its own health with curl on /health (30 s, 10 s, 3 retries, 60 s start)", () => {
      expect(containerOf(json, WEBSERVER).healthCheck).toEqual({
        command: ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"],
        interval: 30,
        timeout: 10,
        retries: 3,
        startPeriod: 60,
      });
    });

    it("runs on the configured capacity provider behind the target group", () => {
      expect(json).toHaveResourceWithProperties(EcsService, {
        name: WEBSERVER,
        capacity_provider_strategy: [{ capacity_provider: s.config.airflow.webserver.capacityProvider, weight: 1, base: 0 }],
        load_balancer: [
          {
            target_group_arn: expect.stringContaining("aws_lb_target_group."),
            container_name: "webserver",
            container_port: 8080,
          },
        ],
        deployment_circuit_breaker: { enable: true, rollback: true },
        platform_version: s.config.fargatePlatformVersion,
      });
      expect(json).not.toHaveResourceWithProperties(EcsService, { name: WEBSERVER, launch_type: expect.anything() });
    });

    it("scales on CPU and memory targets within the configured bounds", () => {
      const scaling = s.config.airflow.webserver.autoscaling;
      expect(json).toHaveResourceWithProperties(AppautoscalingTarget, {
        min_capacity: scaling.minCapacity,
        max_capacity: scaling.maxCapacity,
        resource_id: expect.stringMatching(/^service\/\$\{aws_ecs_cluster\.cluster_\w+\.name\}\/\$\{aws_ecs_service\.webserver_/),
      });
      expect(resourcesOf(json, AppautoscalingTarget)).toHaveLength(1);
      // Both policies, in order: the set as a whole is beyond the matchers.
      expect(resourcesOf(json, AppautoscalingPolicy).map((p) => p.target_tracking_scaling_policy_configuration)).toEqual([
        expect.objectContaining({
          target_value: 70,
          predefined_metric_specification: { predefined_metric_type: "ECSServiceAverageCPUUtilization" },
          scale_out_cooldown: 300,
          scale_in_cooldown: 600,
        }),
        expect.objectContaining({
          target_value: 80,
          predefined_metric_specification: { predefined_metric_type: "ECSServiceAverageMemoryUtilization" },
        }),
      ]);
      expect(json).toHaveResourceWithProperties(EcsService, { name: WEBSERVER, desired_count: scaling.minCapacity });
    });
  });

  describe("the scheduler", () => {
    it("runs the scheduler command, sized from config", () => {
      const { scheduler } = s.config.airflow;
      expect(json).toHaveResourceWithProperties(EcsTaskDefinition, {
        family: SCHEDULER,
        cpu: String(scheduler.cpu),
        memory: String(scheduler.memoryMiB),
      });
      const c = containerOf(json, SCHEDULER);
      expect(c.command).toEqual(["scheduler"]);
      expect(c.portMappings).toEqual([]);
      expect(c.logConfiguration.options["awslogs-stream-prefix"]).toBe("scheduler");
    });

    it("is exactly one task, never autoscaled, and never overlaps with another during a deployment", () => {
      expect(json).toHaveResourceWithProperties(EcsService, {
        name: SCHEDULER,
        desired_count: 1,
        deployment_minimum_healthy_percent: 0,
        deployment_maximum_percent: 100,
        deployment_circuit_breaker: { enable: true, rollback: true },
      });
      expect(json).not.toHaveResourceWithProperties(EcsService, { name: SCHEDULER, lifecycle: expect.anything() });
      expect(json).not.toHaveResourceWithProperties(EcsService, { name: SCHEDULER, load_balancer: expect.anything() });
      expect(json).not.toHaveResourceWithProperties(AppautoscalingTarget, { resource_id: expect.stringContaining("scheduler") });
    });

    it("runs on the configured capacity provider", () => {
      expect(json).toHaveResourceWithProperties(EcsService, {
        name: SCHEDULER,
        capacity_provider_strategy: [{ capacity_provider: s.config.airflow.scheduler.capacityProvider, weight: 1, base: 0 }],
      });
    });
  });

  describe("both containers", () => {
    it.each([WEBSERVER, SCHEDULER])("%s mounts the dags and logs access points over TLS with IAM", (family) => {
      expect(containerOf(json, family).mountPoints).toEqual([
        { sourceVolume: "dags", containerPath: "/opt/airflow/dags", readOnly: false },
        { sourceVolume: "logs", containerPath: "/opt/airflow/logs", readOnly: false },
      ]);
      expect(json).toHaveResourceWithProperties(EcsTaskDefinition, {
        family,
        volume: ["dags", "logs"].map((name) => ({
          name,
          efs_volume_configuration: {
            file_system_id: DATA.efs.fileSystemId,
            transit_encryption: "ENABLED",
            authorization_config: { access_point_id: `fsap-${name}`, iam: "ENABLED" },
          },
        })),
      });
    });

    it.each([WEBSERVER, SCHEDULER])("%s gets every variable of docs/CONTRACTS.md from the data outputs", (family) => {
      expect(CONTRACT_VARIABLES).toHaveLength(11);
      const vars = environmentOf(containerOf(json, family));
      for (const name of CONTRACT_VARIABLES) expect(vars).toHaveProperty(name);
      expect(vars).toMatchObject({
        AIRFLOW_HOME: "/opt/airflow",
        AIRFLOW__CORE__EXECUTOR: "LocalExecutor",
        AWS_DEFAULT_REGION: s.config.region,
        DYNAMODB_TABLE: DATA.incidentsTable.name,
        INCIDENTS_CLASSIFICATION_INDEX: "classification-pending",
        INCIDENTS_NOTIFICATION_INDEX: "notification-pending",
        SNS_TOPIC_ARN_HIGH: DATA.topicArns.high,
        SNS_TOPIC_ARN_MEDIUM: DATA.topicArns.medium,
        SNS_TOPIC_ARN_LOW: DATA.topicArns.low,
        SES_SENDER_ADDRESS: DATA.reports.senderAddress,
        REPORT_RECIPIENT: DATA.reports.recipientAddress,
        BACKUP_BUCKET: DATA.logsBucket.name,
        METRICS_NAMESPACE: "AlertaUTEC/Incidents",
      });
    });

    it("migrates the database from the webserver only, which also creates the admin user", () => {
      expect(environmentOf(containerOf(json, WEBSERVER))).toMatchObject({
        AIRFLOW_DB_MIGRATE: "true",
        AIRFLOW_ADMIN_USERNAME: "admin",
        AIRFLOW_ADMIN_EMAIL: s.config.airflow.adminEmail,
      });
      const scheduler = environmentOf(containerOf(json, SCHEDULER));
      expect(scheduler.AIRFLOW_DB_MIGRATE).toBe("false");
      expect(scheduler).not.toHaveProperty("AIRFLOW_ADMIN_EMAIL");
    });

    it("receive the database URL, the secret key and (webserver only) the admin password as ECS secrets", () => {
      const common = {
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: DATA.secrets.sqlAlchemyConn.arn,
        AIRFLOW__WEBSERVER__SECRET_KEY: DATA.secrets.webserverSecretKey.arn,
      };
      expect(secretsOf(containerOf(json, WEBSERVER))).toEqual({
        ...common,
        AIRFLOW_ADMIN_PASSWORD: DATA.secrets.adminPassword.arn,
      });
      expect(secretsOf(containerOf(json, SCHEDULER))).toEqual(common);
    });

    it.each([WEBSERVER, SCHEDULER])("%s carries no secret in its plain environment", (family) => {
      const secretNames = /SECRET|PASSWORD|KEY|CONN|TOKEN|CREDENTIAL/;
      for (const { name, value } of containerOf(json, family).environment) {
        expect(name).not.toMatch(secretNames);
        expect(value).not.toMatch(/:\/\/[^/\s:@]+:[^@\s]+@/); // URL with a password
        expect(value).not.toMatch(/^(AKIA|ASIA)[A-Z0-9]{16}$/); // access key id
        expect(value).not.toMatch(/^[A-Za-z0-9+/=_-]{32,}$/); // long random-looking string
      }
    });

    it.each([WEBSERVER, SCHEDULER])("%s keeps a writable root file system, which Airflow needs", (family) => {
      expect(containerOf(json, family).readonlyRootFilesystem).toBe(false);
    });
  });

  it("places the tasks per config.airflow.taskSubnets, with a public IP only in public subnets", () => {
    const isPublic = s.config.airflow.taskSubnets === "public";
    const subnet = expect.stringContaining(isPublic ? "aws_subnetpublic-" : "aws_subnetprivate-");
    expect(resourcesOf(json, EcsService)).toHaveLength(2);
    for (const name of [WEBSERVER, SCHEDULER]) {
      expect(json).toHaveResourceWithProperties(EcsService, {
        name,
        network_configuration: {
          subnets: [subnet, subnet],
          assign_public_ip: isPublic,
          security_groups: [expect.stringContaining("airflow-tasks")],
        },
      });
    }
  });

  describe("the load balancer", () => {
    it("is internet-facing in the public subnets behind the airflow-alb group", () => {
      const publicSubnet = expect.stringContaining("aws_subnetpublic-");
      expect(json).toHaveResourceWithProperties(Lb, {
        internal: false,
        load_balancer_type: "application",
        drop_invalid_header_fields: true,
        security_groups: [expect.stringContaining("airflow-alb")],
        subnets: [publicSubnet, publicSubnet],
      });
    });

    it("checks /health on 8080 by IP every 30 s and keeps sessions sticky for a day", () => {
      expect(json).toHaveResourceWithProperties(LbTargetGroup, {
        port: 8080,
        target_type: "ip",
        protocol: "HTTP",
        health_check: expect.objectContaining({
          path: "/health",
          interval: 30,
          timeout: 10,
          healthy_threshold: 2,
          unhealthy_threshold: 3,
        }),
        stickiness: { type: "lb_cookie", enabled: true, cookie_duration: 86400 },
      });
      expect(resourcesOf(json, LbTargetGroup)).toHaveLength(1);
    });

    it("forwards HTTP:80 without a certificate", () => {
      expect(s.config.airflow.certificateArn).toBeUndefined();
      expect(json).toHaveResourceWithProperties(LbListener, {
        port: 80,
        protocol: "HTTP",
        default_action: [expect.objectContaining({ type: "forward" })],
      });
      expect(resourcesOf(json, LbListener)).toHaveLength(1);
    });

    it("outputs airflow_url", () => {
      // Outputs are beyond the matchers, which look at resources, data sources and providers.
      expect(parseStack(json).output?.airflow_url.value).toMatch(/^http:\/\/\$\{aws_lb\..*\.dns_name\}$/);
    });
  });

  describe("alarms", () => {
    const alarm = (suffix: string, properties: Record<string, unknown>) =>
      expect(json).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
        alarm_name: `alerta-utec-airflow-${suffix}`,
        ...properties,
      });

    it("notify the alarm topic, subscribed by e-mail only where config.alarmEmail is set", () => {
      const alarms = resourcesOf(json, CloudwatchMetricAlarm);
      expect(alarms).toHaveLength(4);
      const topic = expect.stringContaining("aws_sns_topic.alarms_topic");
      for (const a of alarms) expect(a).toMatchObject({ alarm_actions: [topic], ok_actions: a.alarm_actions });
      if (s.config.alarmEmail) {
        expect(json).toHaveResourceWithProperties(SnsTopicSubscription, { endpoint: s.config.alarmEmail });
        expect(resourcesOf(json, SnsTopicSubscription)).toHaveLength(1);
      } else expect(json).not.toHaveResource(SnsTopicSubscription);
    });

    it("fire when no webserver target is healthy for 5 minutes", () => {
      alarm("no-healthy-webserver", {
        namespace: "AWS/ApplicationELB",
        metric_name: "HealthyHostCount",
        statistic: "Minimum",
        comparison_operator: "LessThanThreshold",
        threshold: 1,
        evaluation_periods: 5,
        treat_missing_data: "breaching",
      });
    });

    it("fire on 5XX from the load balancer and from the webserver", () => {
      alarm("alb-5xx", { metric_name: "HTTPCode_ELB_5XX_Count", treat_missing_data: "notBreaching" });
      alarm("webserver-5xx", { metric_name: "HTTPCode_Target_5XX_Count", treat_missing_data: "notBreaching" });
    });

    it("fire when the scheduler stops running, without Container Insights", () => {
      alarm("scheduler-not-running", {
        namespace: "AWS/ECS",
        metric_name: "CPUUtilization",
        statistic: "SampleCount",
        comparison_operator: "LessThanThreshold",
        threshold: 1,
        treat_missing_data: "breaching",
        dimensions: expect.objectContaining({ ServiceName: expect.stringMatching(/aws_ecs_service\.scheduler_/) }),
      });
    });
  });

  describe("IAM", () => {
    const statements = () => resourcesOf(json, IamRolePolicy).flatMap((p) => policyStatements(p.policy));

    if (environment === "learner-lab") {
      it("creates no IAM resource and runs every task as the existing LabRole", () => {
        const iamTypes = Object.keys(parseStack(json).resource ?? {}).filter((type) => type.startsWith("aws_iam_"));
        expect(iamTypes).toEqual([]);
        expect(json).toHaveDataSourceWithProperties(DataAwsIamRole, { name: "LabRole" });
        expect(dataSourcesOf(json, DataAwsIamRole)).toHaveLength(1);
        const labRole = expect.stringMatching(/^\$\{data\.aws_iam_role\..*\.arn\}$/);
        for (const family of [WEBSERVER, SCHEDULER]) {
          expect(json).toHaveResourceWithProperties(EcsTaskDefinition, { family, execution_role_arn: labRole });
          const td = onlyResource(json, EcsTaskDefinition, "family", family);
          expect(td.task_role_arn).toBe(td.execution_role_arn);
        }
      });
      return;
    }

    it("gives each task a role of its own, separate from the execution role", () => {
      const roles = resourcesOf(json, IamRole);
      expect(roles.map((r) => r.name)).toEqual([
        "alerta-utec-airflow-execution",
        "alerta-utec-airflow-scheduler-task",
        "alerta-utec-airflow-webserver-task",
      ]);
      for (const role of roles) {
        expect(decodeJsonencode(role.assume_role_policy as string)).toEqual({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }],
        });
      }
      expect(json).not.toHaveResource(IamRolePolicyAttachment);
    });

    it("grants exactly the listed statements", () => {
      const efs = {
        Sid: "MountAirflowEfsThroughAccessPoints",
        Effect: "Allow",
        Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
        Resource: [DATA.efs.fileSystemArn],
        Condition: {
          StringEquals: { "elasticfilesystem:AccessPointArn": [DATA.efs.dagsAccessPointArn, DATA.efs.logsAccessPointArn] },
        },
      };
      const byRole = Object.fromEntries(resourcesOf(json, IamRolePolicy).map((p) => [p.name, policyStatements(p.policy)]));
      expect(byRole).toEqual({
        "alerta-utec-airflow-execution-policy": [
          { Sid: "EcrAuthorizationToken", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
          {
            Sid: "PullImage",
            Effect: "Allow",
            Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
            Resource: [expect.stringMatching(/^aws_ecr_repository\.repository_\w+\.arn$/)],
          },
          {
            Sid: "WriteAirflowLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: ["${aws_cloudwatch_log_group.log-group.arn}:*"],
          },
          {
            Sid: "ReadAirflowSecrets",
            Effect: "Allow",
            Action: ["ssm:GetParameters"],
            Resource: [DATA.secrets.sqlAlchemyConn.arn, DATA.secrets.webserverSecretKey.arn, DATA.secrets.adminPassword.arn],
          },
        ],
        "alerta-utec-airflow-webserver-task-policy": [efs],
        "alerta-utec-airflow-scheduler-task-policy": [
          efs,
          {
            Sid: "ReadAndUpdateIncidents",
            Effect: "Allow",
            Action: ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem"],
            Resource: [DATA.incidentsTable.arn, `${DATA.incidentsTable.arn}/index/*`],
          },
          {
            Sid: "PublishIncidentNotifications",
            Effect: "Allow",
            Action: ["sns:Publish"],
            Resource: [DATA.topicArns.high, DATA.topicArns.medium, DATA.topicArns.low],
          },
          {
            Sid: "SendDailyReport",
            Effect: "Allow",
            Action: ["ses:SendEmail", "ses:SendRawEmail"],
            Resource: [DATA.reports.senderIdentityArn, DATA.reports.recipientIdentityArn],
            Condition: { StringEquals: { "ses:FromAddress": DATA.reports.senderAddress } },
          },
          {
            Sid: "ReadWriteBackupObjects",
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
            Resource: [`${DATA.logsBucket.arn}/*`],
          },
          { Sid: "ListBackupBucket", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [DATA.logsBucket.arn] },
          {
            Sid: "PutIncidentMetrics",
            Effect: "Allow",
            Action: ["cloudwatch:PutMetricData"],
            Resource: ["*"],
            Condition: { StringEquals: { "cloudwatch:namespace": METRICS_NAMESPACE } },
          },
        ],
      });
    });

    it("uses Resource * only where AWS allows nothing narrower: the ECR token and PutMetricData", () => {
      const wildcard = statements()
        .filter((st) => st.Resource.some((r) => r === "*" || r.endsWith(":*:*")))
        .map((st) => st.Sid);
      expect(wildcard.sort()).toEqual(["EcrAuthorizationToken", "PutIncidentMetrics"]);
      expect(statements().every((st) => st.Action.every((a) => !a.includes("*")))).toBe(true);
    });

    it("uses one namespace constant for the DAGs' variable and the PutMetricData condition", () => {
      const put = statements().find((st) => st.Sid === "PutIncidentMetrics");
      expect(put?.Condition?.StringEquals["cloudwatch:namespace"]).toBe(
        environmentOf(containerOf(json, SCHEDULER)).METRICS_NAMESPACE,
      );
    });

    it("starts no task before the roles' policies exist", () => {
      for (const name of [WEBSERVER, SCHEDULER]) {
        expect(json).toHaveResourceWithProperties(EcsService, {
          name,
          depends_on: expect.arrayContaining([expect.stringMatching(/^aws_iam_role_policy\.roles_execution-role_/)]),
        });
      }
    });

    it("grants no ECS Exec (ssmmessages), since execute command is off", () => {
      expect(
        statements()
          .flatMap((st) => st.Action)
          .filter((a) => a.startsWith("ssmmessages:")),
      ).toEqual([]);
      for (const name of [WEBSERVER, SCHEDULER]) {
        expect(json).toHaveResourceWithProperties(EcsService, { name, enable_execute_command: false });
      }
    });
  });
});

describe("AirflowStack with a certificate", () => {
  const certificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d";
  let json: string;
  beforeAll(() => {
    json = synthesize("hackathon", (config) => {
      config.airflow.certificateArn = certificateArn;
    }).json;
  });

  it("serves HTTPS with the TLS 1.3 policy and redirects HTTP to it", () => {
    expect(resourcesOf(json, LbListener)).toHaveLength(2);
    expect(json).toHaveResourceWithProperties(LbListener, {
      port: 443,
      protocol: "HTTPS",
      certificate_arn: certificateArn,
      ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
    });
    expect(json).toHaveResourceWithProperties(LbListener, {
      port: 80,
      default_action: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", status_code: "HTTP_301" } }],
    });
    expect(parseStack(json).output?.airflow_url.value).toMatch(/^https:\/\//);
  });

  it("makes the webserver wait for the HTTPS listener before joining its target group", () => {
    expect(json).toHaveResourceWithProperties(EcsService, {
      name: WEBSERVER,
      depends_on: expect.arrayContaining([expect.stringMatching(/^aws_lb_listener\.load-balancer_https_/)]),
    });
  });
});

describe("AirflowStack in the app", () => {
  it("is wired to the data stack's secret parameters and outputs", () => {
    const scheduler = containerOf(synthEnvironment("hackathon").json("airflow"), SCHEDULER);
    expect(secretsOf(scheduler).AIRFLOW__DATABASE__SQL_ALCHEMY_CONN).toMatch(
      /^data\.terraform_remote_state\.cross-stack-reference-input-data\.outputs\..*sql-alchemy-conn/,
    );
    expect(environmentOf(scheduler).DYNAMODB_TABLE).toMatch(/^data\.terraform_remote_state\.cross-stack-reference-input-data\./);
  });
});
