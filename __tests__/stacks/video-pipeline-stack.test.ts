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
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { type App, Testing } from "cdktf";
import { loadConfig } from "../../config/load";
import { type Config, ENVIRONMENTS, type EnvironmentName } from "../../config/schema";
import type { VideoDataOutputs } from "../../stacks/data-outputs";
import { NetworkStack } from "../../stacks/network-stack";
import { PORTS } from "../../stacks/ports";
import { VideoPipelineStack, WORKER_COMMAND } from "../../stacks/video-pipeline-stack";
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

const ACCOUNT = "123456789012";
const BUCKET_ARN = "arn:aws:s3:::miso-proyecto-nube-test";
const QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:cola-nube`;
const QUEUE_URL = `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/cola-nube`;
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
      url: QUEUE_URL,
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

interface Synthesized {
  readonly config: Config;
  /** The video-pipeline stack's synthesized JSON, for cdktf's matchers and tf-json's readers. */
  readonly json: string;
}

function synthesize(environment: EnvironmentName, edit?: (config: Config) => void): Synthesized {
  const config = loadConfig(environment);
  edit?.(config);
  const app = Testing.app() as App;
  const network = new NetworkStack(app, "network", { config });
  new VideoPipelineStack(app, "video-pipeline", { config, network: network.outputs, data: videoData(config) });
  app.synth();
  return { config, json: readFileSync(join(app.outdir, "stacks", "video-pipeline", "cdk.tf.json"), "utf8") };
}

const WEB = "proyecto-nube-web";
const WORKER = "proyecto-nube-worker";
/** A reference to one of the network stack's resources, as it appears in this stack. */
const networkRef = (resource: string) =>
  expect.stringMatching(new RegExp(`^\\$\\{data\\.terraform_remote_state\\.cross-stack-reference-input-network\\..*${resource}`));

describe.each(ENVIRONMENTS)("VideoPipelineStack in %s", (environment) => {
  let s: Synthesized;
  let json: string;
  const production = environment === "production";
  const learnerLab = environment === "learner-lab";
  beforeAll(() => {
    s = synthesize(environment);
    json = s.json;
  });

  describe("the image and the cluster", () => {
    // Scanning, encryption and tag immutability are ImageRepository's (modules/image-repository.test.ts).
    it("keeps the image in ECR repository proyecto-nube, the last 10 kept, deletable with its images only where throwaway", () => {
      expect(json).toHaveResourceWithProperties(EcrRepository, { name: "proyecto-nube", force_delete: !production });
      expect(resourcesOf(json, EcrRepository)).toHaveLength(1);
      const [lifecycle] = resourcesOf(json, EcrLifecyclePolicy);
      // The lifecycle policy is a JSON string, which the matchers compare whole.
      expect(JSON.parse(lifecycle.policy).rules[0].selection.countNumber).toBe(10);
    });

    it("runs one image with two commands: the configured ECR tag in both services", () => {
      expect(s.config.videoPipeline.image).toEqual({ source: "ecr", tag: "latest" });
      for (const family of [WEB, WORKER]) {
        expect(containerOf(json, family).image).toMatch(/^\$\{aws_ecr_repository\.repository_\w+\.repository_url\}:latest$/);
      }
      expect(containerOf(json, WEB).command).toEqual(["/my-app/prestart.sh"]);
      expect(containerOf(json, WORKER).command).toEqual([
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

    // Its capacity providers and settings are FargateCluster's (modules/image-repository.test.ts).
    it("runs one cluster, proyecto-nube", () => {
      expect(json).toHaveResourceWithProperties(EcsCluster, { name: "proyecto-nube" });
      expect(resourcesOf(json, EcsCluster)).toHaveLength(1);
    });
  });

  describe("the task definitions", () => {
    it("size the web task 512/1024 and the worker 2048/4096 from config", () => {
      const { web, worker } = s.config.videoPipeline;
      expect([web.cpu, web.memoryMiB, worker.cpu, worker.memoryMiB]).toEqual([512, 1024, 2048, 4096]);
      expect(json).toHaveResourceWithProperties(EcsTaskDefinition, {
        family: WEB,
        cpu: "512",
        memory: "1024",
        requires_compatibilities: ["FARGATE"],
        network_mode: "awsvpc",
      });
      expect(json).toHaveResourceWithProperties(EcsTaskDefinition, { family: WORKER, cpu: "2048", memory: "4096" });
    });

    it("give the web container port 8000, seed 002's environment and the queue's URL, the secrets from SSM", () => {
      const web = containerOf(json, WEB);
      expect(web.portMappings).toEqual([{ containerPort: PORTS.videoWeb, hostPort: 8000, protocol: "tcp" }]);
      expect(environmentOf(web)).toEqual({
        STORAGE_BACKEND: "s3",
        AWS_REGION: "us-east-1",
        AWS_S3_BUCKET: "miso-proyecto-nube-test",
        SQS_QUEUE_NAME: "cola-nube",
        // For kombu's predefined_queues (docs/CONTRACTS.md): no queue listed, looked up or created.
        SQS_QUEUE_URL: QUEUE_URL,
      });
      expect(secretsOf(web)).toEqual({ DATABASE_URL: DATABASE_URL_ARN, SECRET_KEY: SECRET_KEY_ARN });
    });

    it("give the worker the same environment plus the queue's visibility timeout, no port, and 120 s to stop", () => {
      const worker = containerOf(json, WORKER);
      expect(worker.portMappings).toEqual([]);
      expect(environmentOf(worker)).toEqual({ ...environmentOf(containerOf(json, WEB)), SQS_VISIBILITY_TIMEOUT: "1500" });
      expect(secretsOf(worker)).toEqual({ DATABASE_URL: DATABASE_URL_ARN, SECRET_KEY: SECRET_KEY_ARN });
      expect(worker.stopTimeout).toBe(120);
    });

    it("put no secret in any container's plain environment", () => {
      for (const family of [WEB, WORKER]) {
        const c = containerOf(json, family);
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
      for (const name of ["/ecs/proyecto-nube-web", "/ecs/proyecto-nube-worker"]) {
        expect(json).toHaveResourceWithProperties(CloudwatchLogGroup, { name, retention_in_days: days });
      }
      expect(resourcesOf(json, CloudwatchLogGroup)).toHaveLength(2);
      for (const [family, group] of [
        [WEB, "aws_cloudwatch_log_group.web-log-group.name"],
        [WORKER, "aws_cloudwatch_log_group.worker-log-group.name"],
      ]) {
        expect(containerOf(json, family).logConfiguration).toEqual({
          logDriver: "awslogs",
          options: { "awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs" },
        });
      }
    });
  });

  describe("the load balancer", () => {
    it("is alb-proyecto-nube, internet-facing, in the public subnets behind video-alb", () => {
      expect(json).toHaveResourceWithProperties(Lb, {
        name: "alb-proyecto-nube",
        internal: false,
        load_balancer_type: "application",
        subnets: [networkRef("public-us-east-1"), networkRef("public-us-east-1")],
        security_groups: [networkRef("video-alb")],
      });
      expect(resourcesOf(json, Lb)).toHaveLength(1);
    });

    it("forwards HTTP:80 to tg-proyecto-nube: task IPs on 8000, healthy on /api/health answering 200", () => {
      expect(json).toHaveResourceWithProperties(LbTargetGroup, {
        name: "tg-proyecto-nube",
        target_type: "ip",
        port: 8000,
        protocol: "HTTP",
        health_check: expect.objectContaining({ path: "/api/health", matcher: "200", port: "traffic-port" }),
      });
      expect(resourcesOf(json, LbTargetGroup)).toHaveLength(1);
      expect(json).toHaveResourceWithProperties(LbListener, {
        port: 80,
        protocol: "HTTP",
        default_action: [expect.objectContaining({ type: "forward" })],
      });
      expect(resourcesOf(json, LbListener)).toHaveLength(1);
      // Outputs are beyond the matchers, which look at resources, data sources and providers.
      expect(parseStack(json).output?.video_pipeline_url.value).toMatch(/^http:\/\/\$\{aws_lb\..*\.dns_name\}$/);
    });
  });

  describe("the services", () => {
    const placement = () =>
      s.config.videoPipeline.taskSubnets === "public"
        ? { subnets: [networkRef("public-us-east-1"), networkRef("public-us-east-1")], assign_public_ip: true }
        : { subnets: [networkRef("private-us-east-1"), networkRef("private-us-east-1")], assign_public_ip: false };

    it(`run ${production ? "in the private subnets" : "in the public subnets with a public IP"}, in video-tasks`, () => {
      expect(s.config.videoPipeline.taskSubnets).toBe(production ? "private" : "public");
      expect(resourcesOf(json, EcsService)).toHaveLength(2);
      for (const name of [WEB, WORKER]) {
        expect(json).toHaveResourceWithProperties(EcsService, {
          name,
          cluster: expect.stringMatching(/^\$\{aws_ecs_cluster\.cluster_\w+\.arn\}$/),
          platform_version: "1.4.0",
          capacity_provider_strategy: [{ capacity_provider: "FARGATE", weight: 1, base: 0 }],
          network_configuration: { ...placement(), security_groups: [networkRef("video-tasks")] },
          deployment_circuit_breaker: { enable: true, rollback: true },
        });
      }
    });

    it("wait for their roles' IAM resources, and the web service for its listener", () => {
      // Every role and role policy, by the address the services' depends_on names them with.
      const iam = learnerLab
        ? []
        : [...resourcesOf(json, IamRole), ...resourcesOf(json, IamRolePolicy)].map((r) => r["//"].metadata.uniqueId as string);
      expect(iam).toHaveLength(learnerLab ? 0 : 6);
      for (const name of [WEB, WORKER]) {
        expect(json).toHaveResourceWithProperties(EcsService, {
          name,
          depends_on: expect.arrayContaining([
            ...iam.map((id) => expect.stringMatching(new RegExp(`\\.${id}$`))),
            expect.stringMatching(/^aws_ecs_cluster_capacity_providers\./),
          ]),
        });
      }
      expect(json).toHaveResourceWithProperties(EcsService, {
        name: WEB,
        depends_on: expect.arrayContaining([expect.stringMatching(/^aws_lb_listener\./)]),
      });
    });

    it("attach only the web service to the target group, on container web port 8000", () => {
      expect(json).toHaveResourceWithProperties(EcsService, {
        name: WEB,
        load_balancer: [
          { target_group_arn: expect.stringContaining("aws_lb_target_group."), container_name: "web", container_port: 8000 },
        ],
      });
      expect(json).not.toHaveResourceWithProperties(EcsService, { name: WORKER, load_balancer: expect.anything() });
    });

    it("scale the web service between the configured bounds on 50 % CPU, with 60 s cooldowns", () => {
      const [min, max] = production ? [2, 3] : [1, 3];
      expect(json).toHaveResourceWithProperties(AppautoscalingTarget, {
        resource_id: expect.stringContaining("aws_ecs_service.web_service_"),
        min_capacity: min,
        max_capacity: max,
      });
      expect(json).toHaveResourceWithProperties(AppautoscalingPolicy, {
        resource_id: expect.stringMatching(/^\$\{aws_appautoscaling_target\.web_scalable-target_\w+\.resource_id\}$/),
        policy_type: "TargetTrackingScaling",
        target_tracking_scaling_policy_configuration: {
          target_value: 50,
          predefined_metric_specification: { predefined_metric_type: "ECSServiceAverageCPUUtilization" },
          scale_in_cooldown: 60,
          scale_out_cooldown: 60,
        },
      });
      expect(resourcesOf(json, AppautoscalingPolicy).filter((p) => p.policy_type === "TargetTrackingScaling")).toHaveLength(1);
    });
  });

  describe("the worker's queue-depth scaling", () => {
    const alarm = (name: string, properties: Record<string, unknown>) =>
      expect(json).toHaveResourceWithProperties(CloudwatchMetricAlarm, { alarm_name: name, ...properties });
    const policy = (name: string, properties: Record<string, unknown>) =>
      expect(json).toHaveResourceWithProperties(AppautoscalingPolicy, { name, ...properties });

    it("scales the worker between 1 and 4 tasks with step scaling only, no target tracking", () => {
      expect(json).toHaveResourceWithProperties(AppautoscalingTarget, {
        resource_id: expect.stringContaining("aws_ecs_service.worker_service_"),
        min_capacity: 1,
        max_capacity: 4,
        service_namespace: "ecs",
        scalable_dimension: "ecs:service:DesiredCount",
      });
      // The worker's policies as a whole: exactly these two, in this order.
      const workerPolicies = resourcesOf(json, AppautoscalingPolicy).filter((p) => p.name.startsWith(WORKER));
      expect(workerPolicies.map((p) => [p.name, p.policy_type])).toEqual([
        [`${WORKER}-queue-idle-scale-in`, "StepScaling"],
        [`${WORKER}-queue-backlog-scale-out`, "StepScaling"],
      ]);
      for (const p of workerPolicies) {
        expect(p.resource_id).toMatch(/^\$\{aws_appautoscaling_target\.worker_scalable-target_\w+\.resource_id\}$/);
      }
      expect(json).toHaveResourceWithProperties(EcsService, { name: WORKER, lifecycle: { ignore_changes: ["desired_count"] } });
    });

    // How backlog becomes steps, and how long the alarms wait, is QueueDepthScaling's
    // (modules/queue-depth-scaling.test.ts); the stack chooses the queue and the config's numbers.
    it("scales out on queue cola-nube's backlog: a task per 2 waiting videos, at most 3 at once, 60 s apart", () => {
      const worker = s.config.videoPipeline.worker;
      expect(worker).toMatchObject({ minCapacity: 1, maxCapacity: 4, scaleOutBacklogPerTask: 2, scaleCooldownSeconds: 60 });
      alarm(`${WORKER}-queue-backlog`, {
        dimensions: { QueueName: "cola-nube" },
        alarm_actions: [expect.stringMatching(/^\$\{aws_appautoscaling_policy\.worker-scaling_scale-out_\w+\.arn\}$/)],
      });
      const { cooldown, step_adjustment: steps } = onlyResource(
        json,
        AppautoscalingPolicy,
        "name",
        `${WORKER}-queue-backlog-scale-out`,
      ).step_scaling_policy_configuration;
      expect(cooldown).toBe(worker.scaleCooldownSeconds);
      expect(steps[0].metric_interval_upper_bound).toBe(String(worker.scaleOutBacklogPerTask));
      expect(steps.at(-1).scaling_adjustment).toBe(worker.maxCapacity - worker.minCapacity);
    });

    it("returns to 1 task when queue cola-nube is idle", () => {
      alarm(`${WORKER}-queue-idle`, {
        metric_query: expect.arrayContaining([
          expect.objectContaining({ metric: expect.objectContaining({ dimensions: { QueueName: "cola-nube" } }) }),
        ]),
        alarm_actions: [expect.stringMatching(/^\$\{aws_appautoscaling_policy\.worker-scaling_scale-in_\w+\.arn\}$/)],
      });
      policy(`${WORKER}-queue-idle-scale-in`, {
        step_scaling_policy_configuration: expect.objectContaining({
          adjustment_type: "ExactCapacity",
          step_adjustment: [{ metric_interval_upper_bound: "0", scaling_adjustment: s.config.videoPipeline.worker.minCapacity }],
        }),
      });
    });
  });

  describe("the alarms", () => {
    const topic = expect.stringMatching(/^\$\{aws_sns_topic\.alarms_topic_\w+\.arn\}$/);

    it("notify topic proyecto-nube-alarms, by e-mail where config names an address", () => {
      expect(json).toHaveResourceWithProperties(SnsTopic, { name: "proyecto-nube-alarms" });
      expect(resourcesOf(json, SnsTopic)).toHaveLength(1);
      // Each alarm below is named once: the matchers would pass on the first of two.
      const alarmNames = resourcesOf(json, CloudwatchMetricAlarm).map((alarm) => alarm.alarm_name);
      expect(new Set(alarmNames).size).toBe(alarmNames.length);
      if (production) {
        expect(json).toHaveResourceWithProperties(SnsTopicSubscription, { protocol: "email", endpoint: "ops@utec.edu.pe" });
        expect(resourcesOf(json, SnsTopicSubscription)).toHaveLength(1);
      } else expect(json).not.toHaveResource(SnsTopicSubscription);
    });

    it("fire on any message in the dead-letter queue", () => {
      expect(json).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
        alarm_name: "proyecto-nube-dead-letters",
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
      expect(json).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
        alarm_name: "proyecto-nube-no-healthy-web",
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
        expect(json).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
          alarm_name: name,
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
    const policy = (roleName: string) => policyStatements(onlyResource(json, IamRolePolicy, "name", `${roleName}-policy`).policy);

    if (learnerLab) {
      it("borrows LabRole as execution and task role of both services and creates no IAM resource", () => {
        expect(Object.keys(parseStack(json).resource ?? {}).filter((type) => type.startsWith("aws_iam_"))).toEqual([]);
        expect(json).toHaveDataSourceWithProperties(DataAwsIamRole, { name: "LabRole" });
        expect(dataSourcesOf(json, DataAwsIamRole)).toHaveLength(1);
        const labRole = expect.stringMatching(/^\$\{data\.aws_iam_role\.roles_existing-role_existing_\w+\.arn\}$/);
        for (const family of [WEB, WORKER]) {
          expect(json).toHaveResourceWithProperties(EcsTaskDefinition, {
            family,
            execution_role_arn: labRole,
            task_role_arn: labRole,
          });
        }
      });
      return;
    }

    it("creates an execution role and a task role per service, each assumed by ECS tasks only", () => {
      const roles = resourcesOf(json, IamRole);
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
      expect(json).not.toHaveDataSource(DataAwsIamRole);
      const executionRole = expect.stringMatching(/aws_iam_role\.roles_execution-role_/);
      expect(json).toHaveResourceWithProperties(EcsTaskDefinition, {
        family: WEB,
        execution_role_arn: executionRole,
        task_role_arn: expect.stringMatching(/aws_iam_role\.roles_web-task-role_/),
      });
      expect(json).toHaveResourceWithProperties(EcsTaskDefinition, {
        family: WORKER,
        execution_role_arn: onlyResource(json, EcsTaskDefinition, "family", WEB).execution_role_arn,
        task_role_arn: expect.stringMatching(/aws_iam_role\.roles_worker-task-role_/),
      });
    });

    it("lets the execution role pull this repository, write its two log groups and read exactly the two secrets", () => {
      expect(policy("proyecto-nube-execution")).toEqual([
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
      expect(policy("proyecto-nube-web-task")).toEqual([
        { Sid: "StoreUploads", Effect: "Allow", Action: ["s3:PutObject"], Resource: [`${BUCKET_ARN}/uploads/*`] },
        { Sid: "ServeProcessedVideos", Effect: "Allow", Action: ["s3:GetObject"], Resource: [`${BUCKET_ARN}/processed/*`] },
        {
          Sid: "EnqueueVideoJobs",
          Effect: "Allow",
          Action: ["sqs:SendMessage", "sqs:GetQueueAttributes"],
          Resource: [QUEUE_ARN],
        },
      ]);
    });

    it("lets the worker read uploads/, write processed/ and consume jobs", () => {
      expect(policy("proyecto-nube-worker-task")).toEqual([
        { Sid: "ReadUploads", Effect: "Allow", Action: ["s3:GetObject"], Resource: [`${BUCKET_ARN}/uploads/*`] },
        { Sid: "StoreProcessedVideos", Effect: "Allow", Action: ["s3:PutObject"], Resource: [`${BUCKET_ARN}/processed/*`] },
        {
          Sid: "ConsumeVideoJobs",
          Effect: "Allow",
          Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
          Resource: [QUEUE_ARN],
        },
      ]);
    });

    it("lets no video role list, look up or create queues: both reach the queue by its URL", () => {
      for (const role of ["proyecto-nube-web-task", "proyecto-nube-worker-task"]) {
        const actions = policy(role).flatMap((statement) => statement.Action);
        for (const action of ["sqs:ListQueues", "sqs:GetQueueUrl", "sqs:CreateQueue"]) expect(actions).not.toContain(action);
      }
    });
  });
});

describe("VideoPipelineStack with a certificate", () => {
  let json: string;
  beforeAll(() => {
    json = synthesize("hackathon", (c) => {
      c.videoPipeline.certificateArn = `arn:aws:acm:us-east-1:${ACCOUNT}:certificate/abc-123`;
    }).json;
  });

  it("serves HTTPS on 443, redirects HTTP to it and publishes an https URL", () => {
    expect(resourcesOf(json, LbListener)).toHaveLength(2);
    expect(json).toHaveResourceWithProperties(LbListener, {
      protocol: "HTTPS",
      port: 443,
      certificate_arn: `arn:aws:acm:us-east-1:${ACCOUNT}:certificate/abc-123`,
      default_action: [expect.objectContaining({ type: "forward" })],
    });
    expect(json).toHaveResourceWithProperties(LbListener, {
      protocol: "HTTP",
      port: 80,
      default_action: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", status_code: "HTTP_301" } }],
    });
    expect(parseStack(json).output?.video_pipeline_url.value).toMatch(/^https:\/\//);
  });
});

describe("the queue's visibility timeout, set once in config", () => {
  it("reaches both the queue (data stack) and the worker's SQS_VISIBILITY_TIMEOUT", () => {
    const env = synthEnvironment("hackathon", (c) => {
      c.data.videoQueue.visibilityTimeoutSeconds = 1800;
      expect(c.videoPipeline.worker.jobTimeoutSeconds).toBeLessThanOrEqual(1800);
    });
    expect(env.json("data")).toHaveResourceWithProperties(SqsQueue, { name: "cola-nube", visibility_timeout_seconds: 1800 });
    const worker = containerOf(env.json("video-pipeline"), WORKER);
    expect(environmentOf(worker).SQS_VISIBILITY_TIMEOUT).toBe("1800");
    // The rest of the worker's wiring comes from the data stack's outputs, not from names.
    expect(environmentOf(worker).SQS_QUEUE_NAME).toMatch(/cross-stack-reference-input-data.*video-queue/);
    expect(secretsOf(worker).DATABASE_URL).toMatch(/cross-stack-reference-input-data.*database-url/);
  });
});
