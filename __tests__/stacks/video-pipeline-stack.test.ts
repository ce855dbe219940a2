import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type App, Testing } from "cdktf";
import { loadConfig } from "../../config/load";
import type { Config, EnvironmentName } from "../../config/schema";
import type { VideoDataOutputs } from "../../stacks/data-outputs";
import { NetworkStack } from "../../stacks/network-stack";
import { PORTS } from "../../stacks/ports";
import { VideoPipelineStack, WORKER_COMMAND } from "../../stacks/video-pipeline-stack";
import type { TfJson } from "../helpers";
import { synthEnvironment } from "../helpers";
import { decodeJsonencode } from "../tf-json";

const ACCOUNT = "123456789012";
const BUCKET_ARN = "arn:aws:s3:::miso-proyecto-nube-test";
const QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:cola-nube`;
const DATABASE_URL_ARN = `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/proyecto-nube/database-url`;
const SECRET_KEY_ARN = `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/proyecto-nube/secret-key`;

/** What the data stack gives, as plain strings so that assertions can name them. */
function videoData(config: Config): VideoDataOutputs {
  return {
    database: {
      address: "db.example",
      port: 5432,
      databaseName: "proyecto_nube",
      username: "proyecto_nube",
      identifier: "proyecto-nube",
    },
    bucket: { name: "miso-proyecto-nube-test", arn: BUCKET_ARN },
    queue: {
      name: "cola-nube",
      url: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/cola-nube`,
      arn: QUEUE_ARN,
      visibilityTimeoutSeconds: config.data.videoQueue.visibilityTimeoutSeconds,
    },
    deadLetterQueue: { name: "cola-nube-dlq", arn: `${QUEUE_ARN}-dlq` },
    secrets: {
      databaseUrl: { name: "/proyecto-nube/database-url", arn: DATABASE_URL_ARN },
      secretKey: { name: "/proyecto-nube/secret-key", arn: SECRET_KEY_ARN },
    },
  };
}

type Resource = Record<string, any>;
type ContainerDefinition = {
  name: string;
  image: string;
  command: string[];
  portMappings: { containerPort: number; hostPort: number; protocol: string }[];
  environment: { name: string; value: string }[];
  secrets: { name: string; valueFrom: string }[];
  stopTimeout: number;
  logConfiguration: { logDriver: string; options: Record<string, string> };
};
type Statement = { Sid: string; Effect: string; Action: string[]; Resource: string[]; Condition?: unknown };

interface Synthesized {
  readonly config: Config;
  readonly json: TfJson;
  readonly resources: (type: string) => Resource[];
  readonly one: (type: string, key: string, value: unknown) => Resource;
  readonly container: (family: string) => ContainerDefinition;
  readonly policy: (roleName: string) => Statement[];
}

function synthesize(environment: EnvironmentName, edit?: (config: Config) => void): Synthesized {
  const config = loadConfig(environment);
  edit?.(config);
  const app = Testing.app() as App;
  const network = new NetworkStack(app, "network", { config });
  new VideoPipelineStack(app, "video-pipeline", { config, network: network.outputs, data: videoData(config) });
  app.synth();
  const json = JSON.parse(readFileSync(join(app.outdir, "stacks", "video-pipeline", "cdk.tf.json"), "utf8")) as TfJson;
  const resources = (type: string) => Object.values(json.resource?.[type] ?? {}) as Resource[];
  const one = (type: string, key: string, value: unknown) => {
    const found = resources(type).filter((r) => r[key] === value);
    expect(found).toHaveLength(1);
    return found[0];
  };
  return {
    config,
    json,
    resources,
    one,
    container: (family) => {
      const definitions = decodeJsonencode(one("aws_ecs_task_definition", "family", family).container_definitions);
      expect(definitions).toHaveLength(1);
      return (definitions as ContainerDefinition[])[0];
    },
    policy: (roleName) =>
      (decodeJsonencode(one("aws_iam_role_policy", "name", `${roleName}-policy`).policy) as { Statement: Statement[] }).Statement,
  };
}

const WEB = "proyecto-nube-web";
const WORKER = "proyecto-nube-worker";
const envOf = (c: ContainerDefinition) => Object.fromEntries(c.environment.map((e) => [e.name, e.value]));
const secretsOf = (c: ContainerDefinition) => Object.fromEntries(c.secrets.map((s) => [s.name, s.valueFrom]));
/** A reference to one of the network stack's resources, as it appears in this stack. */
const networkRef = (resource: string) =>
  expect.stringMatching(new RegExp(`^\\$\\{data\\.terraform_remote_state\\.cross-stack-reference-input-network\\..*${resource}`));

describe.each(["hackathon", "learner-lab", "production"] as const)("VideoPipelineStack in %s", (environment) => {
  let s: Synthesized;
  const production = environment === "production";
  const learnerLab = environment === "learner-lab";
  beforeAll(() => {
    s = synthesize(environment);
  });

  describe("the image and the cluster", () => {
    it("keeps the image in ECR repository proyecto-nube, scanned on push, the last 10 images kept", () => {
      expect(s.resources("aws_ecr_repository")).toEqual([
        expect.objectContaining({
          name: "proyecto-nube",
          image_scanning_configuration: { scan_on_push: true },
          encryption_configuration: [{ encryption_type: "AES256" }],
          image_tag_mutability: "IMMUTABLE_WITH_EXCLUSION",
          image_tag_mutability_exclusion_filter: [{ filter: "latest", filter_type: "WILDCARD" }],
          force_delete: !production,
        }),
      ]);
      const [lifecycle] = s.resources("aws_ecr_lifecycle_policy");
      expect(JSON.parse(lifecycle.policy).rules).toEqual([
        expect.objectContaining({
          rulePriority: 1,
          selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 10 },
          action: { type: "expire" },
        }),
      ]);
    });

    it("runs one image with two commands: the configured ECR tag in both services", () => {
      expect(s.config.videoPipeline.image).toEqual({ source: "ecr", tag: "latest" });
      for (const family of [WEB, WORKER]) {
        expect(s.container(family).image).toMatch(/^\$\{aws_ecr_repository\.repository_\w+\.repository_url\}:latest$/);
      }
      expect(s.container(WEB).command).toEqual(["/my-app/prestart.sh"]);
      expect(s.container(WORKER).command).toEqual([
        "celery",
        "-A",
        "app.celery_worker.celery_app",
        "worker",
        "--loglevel",
        "info",
        "--concurrency",
        "1",
        "--prefetch-multiplier",
        "1",
      ]);
      expect(WORKER_COMMAND.join(" ")).toBe(
        "celery -A app.celery_worker.celery_app worker --loglevel info --concurrency 1 --prefetch-multiplier 1",
      );
    });

    it("runs cluster proyecto-nube with FARGATE and FARGATE_SPOT and no Container Insights", () => {
      expect(s.resources("aws_ecs_cluster")).toEqual([
        expect.objectContaining({ name: "proyecto-nube", setting: [{ name: "containerInsights", value: "disabled" }] }),
      ]);
      expect(s.resources("aws_ecs_cluster_capacity_providers")).toEqual([
        expect.objectContaining({ capacity_providers: ["FARGATE", "FARGATE_SPOT"] }),
      ]);
    });
  });

  describe("the task definitions", () => {
    it("size the web task 512/1024 and the worker 2048/4096 from config", () => {
      const { web, worker } = s.config.videoPipeline;
      expect([web.cpu, web.memoryMiB, worker.cpu, worker.memoryMiB]).toEqual([512, 1024, 2048, 4096]);
      expect(s.one("aws_ecs_task_definition", "family", WEB)).toMatchObject({
        cpu: "512",
        memory: "1024",
        requires_compatibilities: ["FARGATE"],
        network_mode: "awsvpc",
      });
      expect(s.one("aws_ecs_task_definition", "family", WORKER)).toMatchObject({ cpu: "2048", memory: "4096" });
    });

    it("give the web container port 8000 and seed 002's environment, the secrets from SSM", () => {
      const web = s.container(WEB);
      expect(web.portMappings).toEqual([{ containerPort: PORTS.videoWeb, hostPort: 8000, protocol: "tcp" }]);
      expect(envOf(web)).toEqual({
        STORAGE_BACKEND: "s3",
        AWS_REGION: "us-east-1",
        AWS_S3_BUCKET: "miso-proyecto-nube-test",
        SQS_QUEUE_NAME: "cola-nube",
      });
      expect(secretsOf(web)).toEqual({ DATABASE_URL: DATABASE_URL_ARN, SECRET_KEY: SECRET_KEY_ARN });
    });

    it("give the worker the same environment plus the queue's visibility timeout, no port, and 120 s to stop", () => {
      const worker = s.container(WORKER);
      expect(worker.portMappings).toEqual([]);
      expect(envOf(worker)).toEqual({ ...envOf(s.container(WEB)), SQS_VISIBILITY_TIMEOUT: "1500" });
      expect(secretsOf(worker)).toEqual({ DATABASE_URL: DATABASE_URL_ARN, SECRET_KEY: SECRET_KEY_ARN });
      expect(worker.stopTimeout).toBe(120);
    });

    it("put no secret in any container's plain environment", () => {
      for (const family of [WEB, WORKER]) {
        const c = s.container(family);
        const names = c.environment.map((e) => e.name);
        expect(names).not.toContain("DATABASE_URL");
        expect(names).not.toContain("SECRET_KEY");
        for (const { name, value } of c.environment) {
          expect(`${name}=${value}`).not.toMatch(/password|secret|postgres(ql)?(\+\w+)?:\/\/|ssm|parameter/i);
        }
        expect(c.secrets.every((x) => x.valueFrom.startsWith(`arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/`))).toBe(true);
      }
    });

    it("log to /ecs/proyecto-nube-web and /ecs/proyecto-nube-worker, prefix ecs, for the configured days", () => {
      const days = production ? 30 : 7;
      expect(s.config.videoPipeline.logRetentionDays).toBe(days);
      expect(s.resources("aws_cloudwatch_log_group").map((g) => [g.name, g.retention_in_days])).toEqual([
        ["/ecs/proyecto-nube-web", days],
        ["/ecs/proyecto-nube-worker", days],
      ]);
      for (const [family, group] of [
        [WEB, "aws_cloudwatch_log_group.web-log-group.name"],
        [WORKER, "aws_cloudwatch_log_group.worker-log-group.name"],
      ]) {
        expect(s.container(family).logConfiguration).toEqual({
          logDriver: "awslogs",
          options: { "awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs" },
        });
      }
    });
  });

  describe("the load balancer", () => {
    it("is alb-proyecto-nube, internet-facing, in the public subnets behind video-alb", () => {
      expect(s.resources("aws_lb")).toEqual([
        expect.objectContaining({
          name: "alb-proyecto-nube",
          internal: false,
          load_balancer_type: "application",
          subnets: [networkRef("public-us-east-1"), networkRef("public-us-east-1")],
          security_groups: [networkRef("video-alb")],
        }),
      ]);
    });

    it("forwards HTTP:80 to tg-proyecto-nube: task IPs on 8000, healthy on /api/health answering 200", () => {
      expect(s.resources("aws_lb_target_group")).toEqual([
        expect.objectContaining({
          name: "tg-proyecto-nube",
          target_type: "ip",
          port: 8000,
          protocol: "HTTP",
          health_check: expect.objectContaining({ path: "/api/health", matcher: "200", port: "traffic-port" }),
        }),
      ]);
      expect(s.resources("aws_lb_listener")).toEqual([
        expect.objectContaining({
          port: 80,
          protocol: "HTTP",
          default_action: [expect.objectContaining({ type: "forward" })],
        }),
      ]);
      expect(s.json.output?.video_pipeline_url.value).toMatch(/^http:\/\/\$\{aws_lb\..*\.dns_name\}$/);
    });
  });

  describe("the services", () => {
    const placement = () =>
      s.config.videoPipeline.taskSubnets === "public"
        ? { subnets: [networkRef("public-us-east-1"), networkRef("public-us-east-1")], assign_public_ip: true }
        : { subnets: [networkRef("private-us-east-1"), networkRef("private-us-east-1")], assign_public_ip: false };

    it(`run ${production ? "in the private subnets" : "in the public subnets with a public IP"}, in video-tasks`, () => {
      expect(s.config.videoPipeline.taskSubnets).toBe(production ? "private" : "public");
      for (const name of [WEB, WORKER]) {
        expect(s.one("aws_ecs_service", "name", name)).toMatchObject({
          cluster: expect.stringMatching(/^\$\{aws_ecs_cluster\.cluster_\w+\.arn\}$/),
          platform_version: "1.4.0",
          capacity_provider_strategy: [{ capacity_provider: "FARGATE", weight: 1, base: 0 }],
          network_configuration: { ...placement(), security_groups: [networkRef("video-tasks")] },
          deployment_circuit_breaker: { enable: true, rollback: true },
        });
      }
    });

    it("wait for their roles' IAM resources, and the web service for its listener", () => {
      const iam = learnerLab
        ? []
        : [
            ...s.resources("aws_iam_role").map((r) => r["//"].metadata.uniqueId),
            ...s.resources("aws_iam_role_policy").map((r) => r["//"].metadata.uniqueId),
          ];
      expect(iam).toHaveLength(learnerLab ? 0 : 6);
      for (const name of [WEB, WORKER]) {
        const dependsOn: string[] = s.one("aws_ecs_service", "name", name).depends_on;
        for (const id of iam) expect(dependsOn.some((d) => d.endsWith(`.${id}`))).toBe(true);
        expect(dependsOn.some((d) => d.startsWith("aws_ecs_cluster_capacity_providers."))).toBe(true);
      }
      expect(s.one("aws_ecs_service", "name", WEB).depends_on.some((d: string) => d.startsWith("aws_lb_listener."))).toBe(true);
    });

    it("attach only the web service to the target group, on container web port 8000", () => {
      expect(s.one("aws_ecs_service", "name", WEB).load_balancer).toEqual([
        { target_group_arn: expect.stringContaining("aws_lb_target_group."), container_name: "web", container_port: 8000 },
      ]);
      expect(s.one("aws_ecs_service", "name", WORKER).load_balancer).toBeUndefined();
    });

    it("scale the web service between the configured bounds on 50 % CPU, with 60 s cooldowns", () => {
      const bounds = production ? [2, 3] : [1, 3];
      const target = s.resources("aws_appautoscaling_target").find((t) => t.resource_id.includes("aws_ecs_service.web_service_"));
      expect([target?.min_capacity, target?.max_capacity]).toEqual(bounds);
      expect(s.one("aws_appautoscaling_policy", "policy_type", "TargetTrackingScaling")).toMatchObject({
        resource_id: expect.stringMatching(/^\$\{aws_appautoscaling_target\.web_scalable-target_\w+\.resource_id\}$/),
        policy_type: "TargetTrackingScaling",
        target_tracking_scaling_policy_configuration: {
          target_value: 50,
          predefined_metric_specification: { predefined_metric_type: "ECSServiceAverageCPUUtilization" },
          scale_in_cooldown: 60,
          scale_out_cooldown: 60,
        },
      });
    });
  });

  describe("the worker's queue-depth scaling", () => {
    const alarm = (name: string) => s.one("aws_cloudwatch_metric_alarm", "alarm_name", name);
    const policy = (name: string) => s.one("aws_appautoscaling_policy", "name", name);

    it("scales the worker between 1 and 4 tasks with step scaling only, no target tracking", () => {
      const target = s
        .resources("aws_appautoscaling_target")
        .find((t) => t.resource_id.includes("aws_ecs_service.worker_service_"));
      expect(target).toMatchObject({
        min_capacity: 1,
        max_capacity: 4,
        service_namespace: "ecs",
        scalable_dimension: "ecs:service:DesiredCount",
      });
      const workerPolicies = s.resources("aws_appautoscaling_policy").filter((p) => p.name.startsWith(WORKER));
      expect(workerPolicies.map((p) => [p.name, p.policy_type])).toEqual([
        [`${WORKER}-queue-idle-scale-in`, "StepScaling"],
        [`${WORKER}-queue-backlog-scale-out`, "StepScaling"],
      ]);
      for (const p of workerPolicies) {
        expect(p.resource_id).toMatch(/^\$\{aws_appautoscaling_target\.worker_scalable-target_\w+\.resource_id\}$/);
      }
      expect(s.one("aws_ecs_service", "name", WORKER).lifecycle).toEqual({ ignore_changes: ["desired_count"] });
    });

    it("adds 1 task from 2 waiting videos, 2 from 4 and 3 from 6, after 2 minutes, with a 60 s cooldown", () => {
      expect(s.config.videoPipeline.worker).toMatchObject({ scaleOutBacklogPerTask: 2, scaleCooldownSeconds: 60 });
      expect(alarm(`${WORKER}-queue-backlog`)).toMatchObject({
        namespace: "AWS/SQS",
        metric_name: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: "cola-nube" },
        statistic: "Maximum",
        period: 60,
        evaluation_periods: 2,
        datapoints_to_alarm: 2,
        comparison_operator: "GreaterThanThreshold",
        threshold: 1.5,
        treat_missing_data: "notBreaching",
        alarm_actions: [expect.stringMatching(/^\$\{aws_appautoscaling_policy\.worker-scaling_scale-out_\w+\.arn\}$/)],
      });
      expect(policy(`${WORKER}-queue-backlog-scale-out`).step_scaling_policy_configuration).toEqual({
        adjustment_type: "ChangeInCapacity",
        cooldown: 60,
        metric_aggregation_type: "Maximum",
        step_adjustment: [
          { metric_interval_lower_bound: "0", metric_interval_upper_bound: "2", scaling_adjustment: 1 },
          { metric_interval_lower_bound: "2", metric_interval_upper_bound: "4", scaling_adjustment: 2 },
          { metric_interval_lower_bound: "4", scaling_adjustment: 3 },
        ],
      });
    });

    it("returns to 1 task only after 10 minutes with no video waiting and none in flight", () => {
      const idle = alarm(`${WORKER}-queue-idle`);
      expect(idle).toMatchObject({
        evaluation_periods: 10,
        datapoints_to_alarm: 10,
        comparison_operator: "LessThanThreshold",
        threshold: 0.5,
        treat_missing_data: "notBreaching",
        alarm_actions: [expect.stringMatching(/^\$\{aws_appautoscaling_policy\.worker-scaling_scale-in_\w+\.arn\}$/)],
      });
      expect(idle.metric_query.map((q: Resource) => q.metric?.metric_name ?? q.expression)).toEqual([
        "ApproximateNumberOfMessagesVisible",
        "ApproximateNumberOfMessagesNotVisible",
        "visible + inFlight",
      ]);
      for (const q of idle.metric_query.slice(0, 2)) {
        expect(q.metric).toMatchObject({
          namespace: "AWS/SQS",
          dimensions: { QueueName: "cola-nube" },
          stat: "Maximum",
          period: 60,
        });
      }
      expect(policy(`${WORKER}-queue-idle-scale-in`).step_scaling_policy_configuration).toEqual({
        adjustment_type: "ExactCapacity",
        cooldown: 60,
        metric_aggregation_type: "Maximum",
        step_adjustment: [{ metric_interval_upper_bound: "0", scaling_adjustment: 1 }],
      });
    });
  });

  describe("the alarms", () => {
    const topic = expect.stringMatching(/^\$\{aws_sns_topic\.alarms_topic_\w+\.arn\}$/);

    it("notify topic proyecto-nube-alarms, by e-mail where config names an address", () => {
      expect(s.resources("aws_sns_topic").map((t) => t.name)).toEqual(["proyecto-nube-alarms"]);
      expect(s.resources("aws_sns_topic_subscription")).toEqual(
        production ? [expect.objectContaining({ protocol: "email", endpoint: "ops@utec.edu.pe" })] : [],
      );
    });

    it("fire on any message in the dead-letter queue", () => {
      expect(s.one("aws_cloudwatch_metric_alarm", "alarm_name", "proyecto-nube-dead-letters")).toMatchObject({
        namespace: "AWS/SQS",
        metric_name: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: "cola-nube-dlq" },
        statistic: "Maximum",
        comparison_operator: "GreaterThanThreshold",
        threshold: 0,
        treat_missing_data: "notBreaching",
        alarm_actions: [topic],
        ok_actions: [topic],
      });
    });

    it("fire when no web target is healthy for 5 minutes, and on 10 5XX responses in 5 minutes", () => {
      expect(s.one("aws_cloudwatch_metric_alarm", "alarm_name", "proyecto-nube-no-healthy-web")).toMatchObject({
        namespace: "AWS/ApplicationELB",
        metric_name: "HealthyHostCount",
        dimensions: { LoadBalancer: expect.stringContaining("arn_suffix"), TargetGroup: expect.stringContaining("arn_suffix") },
        comparison_operator: "LessThanThreshold",
        threshold: 1,
        evaluation_periods: 5,
        treat_missing_data: "breaching",
        alarm_actions: [topic],
      });
      for (const [name, metric] of [
        ["proyecto-nube-alb-5xx", "HTTPCode_ELB_5XX_Count"],
        ["proyecto-nube-web-5xx", "HTTPCode_Target_5XX_Count"],
      ]) {
        expect(s.one("aws_cloudwatch_metric_alarm", "alarm_name", name)).toMatchObject({
          metric_name: metric,
          statistic: "Sum",
          period: 300,
          comparison_operator: "GreaterThanOrEqualToThreshold",
          threshold: 10,
          treat_missing_data: "notBreaching",
          alarm_actions: [topic],
        });
      }
    });
  });

  describe("IAM", () => {
    if (learnerLab) {
      it("borrows LabRole as execution and task role of both services and creates no IAM resource", () => {
        expect(Object.keys(s.json.resource ?? {}).filter((type) => type.startsWith("aws_iam_"))).toEqual([]);
        expect(Object.values(s.json.data?.aws_iam_role ?? {})).toEqual([expect.objectContaining({ name: "LabRole" })]);
        const labRole = expect.stringMatching(/^\$\{data\.aws_iam_role\.roles_existing-role_existing_\w+\.arn\}$/);
        for (const family of [WEB, WORKER]) {
          expect(s.one("aws_ecs_task_definition", "family", family)).toMatchObject({
            execution_role_arn: labRole,
            task_role_arn: labRole,
          });
        }
      });
      return;
    }

    it("creates an execution role and a task role per service, each assumed by ECS tasks only", () => {
      const roles = s.resources("aws_iam_role");
      expect(roles.map((r) => r.name)).toEqual([
        "proyecto-nube-execution",
        "proyecto-nube-web-task",
        "proyecto-nube-worker-task",
      ]);
      for (const role of roles) {
        expect(decodeJsonencode(role.assume_role_policy)).toEqual({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }],
        });
      }
      expect(s.json.data?.aws_iam_role).toBeUndefined();
      const web = s.one("aws_ecs_task_definition", "family", WEB);
      const worker = s.one("aws_ecs_task_definition", "family", WORKER);
      expect(web.execution_role_arn).toMatch(/aws_iam_role\.roles_execution-role_/);
      expect(worker.execution_role_arn).toBe(web.execution_role_arn);
      expect(web.task_role_arn).toMatch(/aws_iam_role\.roles_web-task-role_/);
      expect(worker.task_role_arn).toMatch(/aws_iam_role\.roles_worker-task-role_/);
    });

    it("lets the execution role pull this repository, write its two log groups and read exactly the two secrets", () => {
      expect(s.policy("proyecto-nube-execution")).toEqual([
        { Sid: "EcrAuthorizationToken", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
        {
          Sid: "PullImage",
          Effect: "Allow",
          Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
          Resource: [expect.stringMatching(/^aws_ecr_repository\.repository_\w+\.arn$/)],
        },
        {
          Sid: "WriteVideoLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: ["${aws_cloudwatch_log_group.web-log-group.arn}:*", "${aws_cloudwatch_log_group.worker-log-group.arn}:*"],
        },
        { Sid: "ReadVideoSecrets", Effect: "Allow", Action: ["ssm:GetParameters"], Resource: [DATABASE_URL_ARN, SECRET_KEY_ARN] },
      ]);
    });

    it("lets the web service write uploads/, read processed/ and enqueue jobs", () => {
      expect(s.policy("proyecto-nube-web-task")).toEqual([
        { Sid: "StoreUploads", Effect: "Allow", Action: ["s3:PutObject"], Resource: [`${BUCKET_ARN}/uploads/*`] },
        { Sid: "ServeProcessedVideos", Effect: "Allow", Action: ["s3:GetObject"], Resource: [`${BUCKET_ARN}/processed/*`] },
        {
          Sid: "EnqueueVideoJobs",
          Effect: "Allow",
          Action: ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"],
          Resource: [QUEUE_ARN],
        },
        { Sid: "CeleryListsQueues", Effect: "Allow", Action: ["sqs:ListQueues"], Resource: ["*"] },
      ]);
    });

    it("lets the worker read uploads/, write processed/ and consume jobs", () => {
      expect(s.policy("proyecto-nube-worker-task")).toEqual([
        { Sid: "ReadUploads", Effect: "Allow", Action: ["s3:GetObject"], Resource: [`${BUCKET_ARN}/uploads/*`] },
        { Sid: "StoreProcessedVideos", Effect: "Allow", Action: ["s3:PutObject"], Resource: [`${BUCKET_ARN}/processed/*`] },
        {
          Sid: "ConsumeVideoJobs",
          Effect: "Allow",
          Action: [
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueUrl",
            "sqs:GetQueueAttributes",
          ],
          Resource: [QUEUE_ARN],
        },
        { Sid: "CeleryListsQueues", Effect: "Allow", Action: ["sqs:ListQueues"], Resource: ["*"] },
      ]);
    });
  });
});

describe("VideoPipelineStack with a certificate", () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthesize("hackathon", (c) => {
      c.videoPipeline.certificateArn = `arn:aws:acm:us-east-1:${ACCOUNT}:certificate/abc-123`;
    });
  });

  it("serves HTTPS on 443, redirects HTTP to it and publishes an https URL", () => {
    const listeners = Object.fromEntries(s.resources("aws_lb_listener").map((l) => [l.protocol, l]));
    expect(listeners.HTTPS).toMatchObject({
      port: 443,
      certificate_arn: `arn:aws:acm:us-east-1:${ACCOUNT}:certificate/abc-123`,
      default_action: [expect.objectContaining({ type: "forward" })],
    });
    expect(listeners.HTTP).toMatchObject({
      port: 80,
      default_action: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", status_code: "HTTP_301" } }],
    });
    expect(s.json.output?.video_pipeline_url.value).toMatch(/^https:\/\//);
  });
});

describe("the queue's visibility timeout, set once in config", () => {
  it("reaches both the queue (data stack) and the worker's SQS_VISIBILITY_TIMEOUT", () => {
    const env = synthEnvironment("hackathon", (c) => {
      c.data.videoQueue.visibilityTimeoutSeconds = 1800;
      expect(c.videoPipeline.worker.jobTimeoutSeconds).toBeLessThanOrEqual(1800);
    });
    const queue = Object.values(env.resources<Resource>("data", "aws_sqs_queue")).find((q) => q.name === "cola-nube");
    expect(queue?.visibility_timeout_seconds).toBe(1800);
    const worker = Object.values(env.resources<Resource>("video-pipeline", "aws_ecs_task_definition")).find(
      (t) => t.family === WORKER,
    );
    const [container] = decodeJsonencode(worker?.container_definitions) as ContainerDefinition[];
    expect(envOf(container).SQS_VISIBILITY_TIMEOUT).toBe("1800");
    // The rest of the worker's wiring comes from the data stack's outputs, not from names.
    expect(envOf(container).SQS_QUEUE_NAME).toMatch(/cross-stack-reference-input-data.*video-queue/);
    expect(secretsOf(container).DATABASE_URL).toMatch(/cross-stack-reference-input-data.*database-url/);
  });
});
