import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type App, Testing } from "cdktf";
import { loadConfigOnLine } from "../../config/load";
import type { Config, EnvironmentName } from "../../config/schema";
import { AIRFLOW_LOG_GROUP, AirflowStack, METRICS_NAMESPACE } from "../../stacks/airflow-stack";
import type { AirflowDataOutputs } from "../../stacks/data-outputs";
import { NetworkStack } from "../../stacks/network-stack";
import { PORTS } from "../../stacks/ports";
import type { TfJson } from "../helpers";
import { synthEnvironment } from "../helpers";
import { decodeJsonencode } from "../modules/jsonencode";

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

type Resource = Record<string, unknown>;
type ContainerDefinition = {
  name: string;
  image: string;
  command: string[];
  portMappings: { containerPort: number }[];
  environment: { name: string; value: string }[];
  secrets: { name: string; valueFrom: string }[];
  mountPoints: { sourceVolume: string; containerPath: string }[];
  logConfiguration: { logDriver: string; options: Record<string, string> };
  healthCheck?: Record<string, unknown>;
  readonlyRootFilesystem: boolean;
};
type Statement = { Sid: string; Action: string[]; Resource: string[]; Condition?: Record<string, Record<string, unknown>> };

function synthAirflow(config: Config): TfJson {
  const app = Testing.app() as App;
  const network = new NetworkStack(app, "network", { config });
  new AirflowStack(app, "airflow", { config, network: network.outputs, data: DATA });
  app.synth();
  return JSON.parse(readFileSync(join(app.outdir, "stacks", "airflow", "cdk.tf.json"), "utf8")) as TfJson;
}

interface Synthesized {
  readonly config: Config;
  readonly json: TfJson;
  readonly resources: (type: string) => Resource[];
  readonly taskDefinition: (family: string) => Resource;
  readonly container: (family: string) => ContainerDefinition;
  readonly service: (name: string) => Resource;
  readonly statements: () => Statement[];
}

function synthesize(environment: EnvironmentName, edit?: (config: Config) => void): Synthesized {
  // This file checks the 2.8 line in every environment (production runs 3.3: airflow3-stack.test.ts).
  const config = loadConfigOnLine(environment, "2.8");
  edit?.(config);
  const json = synthAirflow(config);
  const resources = (type: string) => Object.values(json.resource?.[type] ?? {});
  const taskDefinition = (family: string) => {
    const found = resources("aws_ecs_task_definition").filter((t) => t.family === family);
    expect(found).toHaveLength(1);
    return found[0];
  };
  return {
    config,
    json,
    resources,
    taskDefinition,
    container: (family) => {
      const definitions = decodeJsonencode(taskDefinition(family).container_definitions as string) as ContainerDefinition[];
      expect(definitions).toHaveLength(1);
      return definitions[0];
    },
    service: (name) => {
      const found = resources("aws_ecs_service").filter((s) => s.name === name);
      expect(found).toHaveLength(1);
      return found[0];
    },
    statements: () =>
      resources("aws_iam_role_policy").flatMap(
        (p) => (decodeJsonencode(p.policy as string) as { Statement: Statement[] }).Statement,
      ),
  };
}

const WEBSERVER = "alerta-utec-airflow-webserver";
const SCHEDULER = "alerta-utec-airflow-scheduler";
const env = (c: ContainerDefinition) => Object.fromEntries(c.environment.map((e) => [e.name, e.value]));
const secrets = (c: ContainerDefinition) => Object.fromEntries(c.secrets.map((s) => [s.name, s.valueFrom]));

describe.each(["hackathon", "learner-lab", "production"] as const)("AirflowStack in %s", (environment) => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthesize(environment);
  });

  describe("the image and its repository", () => {
    it("scans on push, encrypts with AES256 and keeps timestamp tags immutable, only latest moving", () => {
      expect(s.resources("aws_ecr_repository")).toEqual([
        expect.objectContaining({
          name: "alerta-utec-airflow",
          image_scanning_configuration: { scan_on_push: true },
          encryption_configuration: [{ encryption_type: "AES256" }],
          image_tag_mutability: "IMMUTABLE_WITH_EXCLUSION",
          image_tag_mutability_exclusion_filter: [{ filter: "latest", filter_type: "WILDCARD" }],
        }),
      ]);
    });

    it("keeps the last 5 images", () => {
      const [lifecycle] = s.resources("aws_ecr_lifecycle_policy");
      expect(JSON.parse(lifecycle.policy as string).rules).toEqual([
        expect.objectContaining({
          selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 5 },
          action: { type: "expire" },
        }),
      ]);
    });

    it("builds docker/airflow/Dockerfile from the repository root and runs the pushed digest", () => {
      expect(s.config.airflow.image).toEqual({ source: "build", context: ".", dockerfile: "docker/airflow/Dockerfile" });
      expect(s.resources("docker_image")).toEqual([
        expect.objectContaining({ build: expect.objectContaining({ dockerfile: "docker/airflow/Dockerfile" }) }),
      ]);
      for (const family of [WEBSERVER, SCHEDULER]) {
        expect(s.container(family).image).toMatch(
          /^\$\{aws_ecr_repository\.repository_\w+\.repository_url\}@\$\{docker_registry_image\..*\.sha256_digest\}$/,
        );
      }
    });
  });

  it("runs a cluster with FARGATE and FARGATE_SPOT and no Container Insights", () => {
    expect(s.resources("aws_ecs_cluster")).toEqual([
      expect.objectContaining({ name: "alerta-utec-airflow", setting: [{ name: "containerInsights", value: "disabled" }] }),
    ]);
    expect(s.resources("aws_ecs_cluster_capacity_providers")).toEqual([
      expect.objectContaining({ capacity_providers: ["FARGATE", "FARGATE_SPOT"] }),
    ]);
  });

  it("logs to /ecs/alerta-utec-airflow for the configured days", () => {
    expect(AIRFLOW_LOG_GROUP).toBe("/ecs/alerta-utec-airflow");
    expect(s.resources("aws_cloudwatch_log_group")).toEqual([
      expect.objectContaining({ name: AIRFLOW_LOG_GROUP, retention_in_days: s.config.airflow.logRetentionDays }),
    ]);
  });

  describe("the webserver", () => {
    it("is sized from config and serves port 8080 with the webserver command", () => {
      const { webserver } = s.config.airflow;
      expect(s.taskDefinition(WEBSERVER)).toMatchObject({ cpu: String(webserver.cpu), memory: String(webserver.memoryMiB) });
      const c = s.container(WEBSERVER);
      expect(c.command).toEqual(["webserver"]);
      expect(c.portMappings).toEqual([{ containerPort: PORTS.airflowWebserver, hostPort: 8080, protocol: "tcp" }]);
      expect(c.logConfiguration.options["awslogs-stream-prefix"]).toBe("webserver");
    });

    it("checks its own health with curl on /health (30 s, 10 s, 3 retries, 60 s start)", () => {
      expect(s.container(WEBSERVER).healthCheck).toEqual({
        command: ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"],
        interval: 30,
        timeout: 10,
        retries: 3,
        startPeriod: 60,
      });
    });

    it("runs on the configured capacity provider behind the target group", () => {
      const service = s.service(WEBSERVER);
      expect(service.capacity_provider_strategy).toEqual([
        { capacity_provider: s.config.airflow.webserver.capacityProvider, weight: 1, base: 0 },
      ]);
      expect(service).not.toHaveProperty("launch_type");
      expect(service.load_balancer).toEqual([
        { target_group_arn: expect.stringContaining("aws_lb_target_group."), container_name: "webserver", container_port: 8080 },
      ]);
      expect(service.deployment_circuit_breaker).toEqual({ enable: true, rollback: true });
      expect(service.platform_version).toBe(s.config.fargatePlatformVersion);
    });

    it("scales on CPU and memory targets within the configured bounds", () => {
      const scaling = s.config.airflow.webserver.autoscaling;
      const targets = s.resources("aws_appautoscaling_target");
      expect(targets).toEqual([
        expect.objectContaining({ min_capacity: scaling.minCapacity, max_capacity: scaling.maxCapacity }),
      ]);
      expect(targets[0].resource_id).toMatch(
        /^service\/\$\{aws_ecs_cluster\.cluster_\w+\.name\}\/\$\{aws_ecs_service\.webserver_/,
      );
      expect(s.resources("aws_appautoscaling_policy").map((p) => p.target_tracking_scaling_policy_configuration)).toEqual([
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
      expect(s.service(WEBSERVER).desired_count).toBe(scaling.minCapacity);
    });
  });

  describe("the scheduler", () => {
    it("runs the scheduler command, sized from config", () => {
      const { scheduler } = s.config.airflow;
      expect(s.taskDefinition(SCHEDULER)).toMatchObject({ cpu: String(scheduler.cpu), memory: String(scheduler.memoryMiB) });
      const c = s.container(SCHEDULER);
      expect(c.command).toEqual(["scheduler"]);
      expect(c.portMappings).toEqual([]);
      expect(c.logConfiguration.options["awslogs-stream-prefix"]).toBe("scheduler");
    });

    it("is exactly one task, never autoscaled, and never overlaps with another during a deployment", () => {
      const service = s.service(SCHEDULER);
      expect(service).toMatchObject({
        desired_count: 1,
        deployment_minimum_healthy_percent: 0,
        deployment_maximum_percent: 100,
        deployment_circuit_breaker: { enable: true, rollback: true },
      });
      expect(service).not.toHaveProperty("lifecycle");
      expect(service).not.toHaveProperty("load_balancer");
      for (const target of s.resources("aws_appautoscaling_target")) {
        expect(target.resource_id).not.toContain("scheduler");
      }
    });

    it("runs on the configured capacity provider", () => {
      expect(s.service(SCHEDULER).capacity_provider_strategy).toEqual([
        { capacity_provider: s.config.airflow.scheduler.capacityProvider, weight: 1, base: 0 },
      ]);
    });
  });

  describe("both containers", () => {
    it.each([WEBSERVER, SCHEDULER])("%s mounts the dags and logs access points over TLS with IAM", (family) => {
      expect(s.container(family).mountPoints).toEqual([
        { sourceVolume: "dags", containerPath: "/opt/airflow/dags", readOnly: false },
        { sourceVolume: "logs", containerPath: "/opt/airflow/logs", readOnly: false },
      ]);
      expect(s.taskDefinition(family).volume).toEqual(
        ["dags", "logs"].map((name) => ({
          name,
          efs_volume_configuration: {
            file_system_id: DATA.efs.fileSystemId,
            transit_encryption: "ENABLED",
            authorization_config: { access_point_id: `fsap-${name}`, iam: "ENABLED" },
          },
        })),
      );
    });

    it.each([WEBSERVER, SCHEDULER])("%s gets every variable of docs/CONTRACTS.md from the data outputs", (family) => {
      expect(CONTRACT_VARIABLES).toHaveLength(11);
      const vars = env(s.container(family));
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
      expect(env(s.container(WEBSERVER))).toMatchObject({
        AIRFLOW_DB_MIGRATE: "true",
        AIRFLOW_ADMIN_USERNAME: "admin",
        AIRFLOW_ADMIN_EMAIL: s.config.airflow.adminEmail,
      });
      expect(env(s.container(SCHEDULER)).AIRFLOW_DB_MIGRATE).toBe("false");
      expect(env(s.container(SCHEDULER))).not.toHaveProperty("AIRFLOW_ADMIN_EMAIL");
    });

    it("receive the database URL, the secret key and (webserver only) the admin password as ECS secrets", () => {
      const common = {
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: DATA.secrets.sqlAlchemyConn.arn,
        AIRFLOW__WEBSERVER__SECRET_KEY: DATA.secrets.webserverSecretKey.arn,
      };
      expect(secrets(s.container(WEBSERVER))).toEqual({ ...common, AIRFLOW_ADMIN_PASSWORD: DATA.secrets.adminPassword.arn });
      expect(secrets(s.container(SCHEDULER))).toEqual(common);
    });

    it.each([WEBSERVER, SCHEDULER])("%s carries no secret in its plain environment", (family) => {
      const c = s.container(family);
      const secretNames = /SECRET|PASSWORD|KEY|CONN|TOKEN|CREDENTIAL/;
      for (const { name, value } of c.environment) {
        expect(name).not.toMatch(secretNames);
        expect(value).not.toMatch(/:\/\/[^/\s:@]+:[^@\s]+@/); // URL with a password
        expect(value).not.toMatch(/^(AKIA|ASIA)[A-Z0-9]{16}$/); // access key id
        expect(value).not.toMatch(/^[A-Za-z0-9+/=_-]{32,}$/); // long random-looking string
      }
    });

    it.each([WEBSERVER, SCHEDULER])("%s keeps a writable root file system, which Airflow needs", (family) => {
      expect(s.container(family).readonlyRootFilesystem).toBe(false);
    });
  });

  it("places the tasks per config.airflow.taskSubnets, with a public IP only in public subnets", () => {
    const isPublic = s.config.airflow.taskSubnets === "public";
    for (const name of [WEBSERVER, SCHEDULER]) {
      const network = s.service(name).network_configuration as {
        subnets: string[];
        assign_public_ip: boolean;
        security_groups: string[];
      };
      expect(network.assign_public_ip).toBe(isPublic);
      for (const subnet of network.subnets) expect(subnet).toContain(isPublic ? "aws_subnetpublic-" : "aws_subnetprivate-");
      expect(network.security_groups).toEqual([expect.stringContaining("airflow-tasks")]);
    }
  });

  describe("the load balancer", () => {
    it("is internet-facing in the public subnets behind the airflow-alb group", () => {
      const [alb] = s.resources("aws_lb");
      expect(alb).toMatchObject({ internal: false, load_balancer_type: "application", drop_invalid_header_fields: true });
      expect(alb.security_groups).toEqual([expect.stringContaining("airflow-alb")]);
      for (const subnet of alb.subnets as string[]) expect(subnet).toContain("aws_subnetpublic-");
    });

    it("checks /health on 8080 by IP every 30 s and keeps sessions sticky for a day", () => {
      expect(s.resources("aws_lb_target_group")).toEqual([
        expect.objectContaining({
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
        }),
      ]);
    });

    it("forwards HTTP:80 without a certificate", () => {
      expect(s.config.airflow.certificateArn).toBeUndefined();
      expect(s.resources("aws_lb_listener")).toEqual([
        expect.objectContaining({ port: 80, protocol: "HTTP", default_action: [expect.objectContaining({ type: "forward" })] }),
      ]);
    });

    it("outputs airflow_url", () => {
      expect(s.json.output?.airflow_url.value).toMatch(/^http:\/\/\$\{aws_lb\..*\.dns_name\}$/);
    });
  });

  describe("alarms", () => {
    const alarm = (suffix: string) => {
      const found = s.resources("aws_cloudwatch_metric_alarm").filter((a) => a.alarm_name === `alerta-utec-airflow-${suffix}`);
      expect(found).toHaveLength(1);
      return found[0];
    };

    it("notify the alarm topic, subscribed by e-mail only where config.alarmEmail is set", () => {
      const alarms = s.resources("aws_cloudwatch_metric_alarm");
      expect(alarms).toHaveLength(4);
      for (const a of alarms) {
        expect(a.alarm_actions).toEqual([expect.stringContaining("aws_sns_topic.alarms_topic")]);
        expect(a.ok_actions).toEqual(a.alarm_actions);
      }
      const subscriptions = s.resources("aws_sns_topic_subscription");
      if (s.config.alarmEmail) expect(subscriptions).toEqual([expect.objectContaining({ endpoint: s.config.alarmEmail })]);
      else expect(subscriptions).toEqual([]);
    });

    it("fire when no webserver target is healthy for 5 minutes", () => {
      expect(alarm("no-healthy-webserver")).toMatchObject({
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
      expect(alarm("alb-5xx")).toMatchObject({ metric_name: "HTTPCode_ELB_5XX_Count", treat_missing_data: "notBreaching" });
      expect(alarm("webserver-5xx")).toMatchObject({
        metric_name: "HTTPCode_Target_5XX_Count",
        treat_missing_data: "notBreaching",
      });
    });

    it("fire when the scheduler stops running, without Container Insights", () => {
      const a = alarm("scheduler-not-running");
      expect(a).toMatchObject({
        namespace: "AWS/ECS",
        metric_name: "CPUUtilization",
        statistic: "SampleCount",
        comparison_operator: "LessThanThreshold",
        threshold: 1,
        treat_missing_data: "breaching",
      });
      expect((a.dimensions as Record<string, string>).ServiceName).toMatch(/aws_ecs_service\.scheduler_/);
    });
  });

  describe("IAM", () => {
    if (environment === "learner-lab") {
      it("creates no IAM resource and runs every task as the existing LabRole", () => {
        const iamTypes = Object.keys(s.json.resource ?? {}).filter((type) => type.startsWith("aws_iam_"));
        expect(iamTypes).toEqual([]);
        const roles = Object.values(s.json.data?.aws_iam_role ?? {});
        expect(roles).toEqual([expect.objectContaining({ name: "LabRole" })]);
        for (const family of [WEBSERVER, SCHEDULER]) {
          const td = s.taskDefinition(family);
          expect(td.execution_role_arn).toMatch(/^\$\{data\.aws_iam_role\..*\.arn\}$/);
          expect(td.task_role_arn).toBe(td.execution_role_arn);
        }
      });
      return;
    }

    it("gives each task a role of its own, separate from the execution role", () => {
      expect(s.resources("aws_iam_role").map((r) => r.name)).toEqual([
        "alerta-utec-airflow-execution",
        "alerta-utec-airflow-scheduler-task",
        "alerta-utec-airflow-webserver-task",
      ]);
      for (const role of s.resources("aws_iam_role")) {
        expect(decodeJsonencode(role.assume_role_policy as string)).toEqual({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }],
        });
      }
      expect(s.resources("aws_iam_role_policy_attachment")).toEqual([]);
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
      const byRole = Object.fromEntries(
        s
          .resources("aws_iam_role_policy")
          .map((p) => [p.name, (decodeJsonencode(p.policy as string) as { Statement: unknown[] }).Statement]),
      );
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
      const wildcard = s
        .statements()
        .filter((st) => st.Resource.some((r) => r === "*" || r.endsWith(":*:*")))
        .map((st) => st.Sid);
      expect(wildcard.sort()).toEqual(["EcrAuthorizationToken", "PutIncidentMetrics"]);
      expect(s.statements().every((st) => st.Action.every((a) => !a.includes("*")))).toBe(true);
    });

    it("uses one namespace constant for the DAGs' variable and the PutMetricData condition", () => {
      const put = s.statements().find((st) => st.Sid === "PutIncidentMetrics");
      expect(put?.Condition?.StringEquals["cloudwatch:namespace"]).toBe(env(s.container(SCHEDULER)).METRICS_NAMESPACE);
    });

    it("starts no task before the roles' policies exist", () => {
      for (const name of [WEBSERVER, SCHEDULER]) {
        expect(s.service(name).depends_on).toEqual(
          expect.arrayContaining([expect.stringMatching(/^aws_iam_role_policy\.roles_execution-role_/)]),
        );
      }
    });

    it("grants no ECS Exec (ssmmessages), since execute command is off", () => {
      expect(
        s
          .statements()
          .flatMap((st) => st.Action)
          .filter((a) => a.startsWith("ssmmessages:")),
      ).toEqual([]);
      for (const name of [WEBSERVER, SCHEDULER]) expect(s.service(name).enable_execute_command).toBe(false);
    });
  });
});

describe("AirflowStack with a certificate", () => {
  const certificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d";
  let s: Synthesized;
  beforeAll(() => {
    s = synthesize("hackathon", (config) => {
      config.airflow.certificateArn = certificateArn;
    });
  });

  it("serves HTTPS with the TLS 1.3 policy and redirects HTTP to it", () => {
    const listeners = s.resources("aws_lb_listener");
    expect(listeners).toHaveLength(2);
    expect(listeners).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          port: 443,
          protocol: "HTTPS",
          certificate_arn: certificateArn,
          ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
        }),
        expect.objectContaining({
          port: 80,
          default_action: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", status_code: "HTTP_301" } }],
        }),
      ]),
    );
    expect(s.json.output?.airflow_url.value).toMatch(/^https:\/\//);
  });

  it("makes the webserver wait for the HTTPS listener before joining its target group", () => {
    expect(s.service(WEBSERVER).depends_on).toEqual(
      expect.arrayContaining([expect.stringMatching(/^aws_lb_listener\.load-balancer_https_/)]),
    );
  });
});

describe("AirflowStack in the app", () => {
  it("is wired to the data stack's secret parameters and outputs", () => {
    const app = synthEnvironment("hackathon");
    const [td] = Object.values(app.resources("airflow", "aws_ecs_task_definition")).filter((t) => t.family === SCHEDULER);
    const [scheduler] = decodeJsonencode(td.container_definitions as string) as ContainerDefinition[];
    expect(secrets(scheduler).AIRFLOW__DATABASE__SQL_ALCHEMY_CONN).toMatch(
      /^data\.terraform_remote_state\.cross-stack-reference-input-data\.outputs\..*sql-alchemy-conn/,
    );
    expect(env(scheduler).DYNAMODB_TABLE).toMatch(/^data\.terraform_remote_state\.cross-stack-reference-input-data\./);
  });
});
