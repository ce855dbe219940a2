import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { PROJECT_ROOT } from "../config/load";
import type { Config } from "../config/schema";
import { AlarmTopic, notifying } from "../modules/alarm-topic";
import { ContainerImage } from "../modules/container-image";
import { FargateCluster } from "../modules/fargate-cluster";
import { FargateService } from "../modules/fargate-service";
import { ImageRepository } from "../modules/image-repository";
import { QueueDepthScaling } from "../modules/queue-depth-scaling";
import type { PolicyStatement } from "../modules/service-role";
import { TaskRoles } from "../modules/task-roles";
import { WebLoadBalancer } from "../modules/web-load-balancer";
import { AppStack } from "./app-stack";
import type { VideoDataOutputs } from "./data-outputs";
import { VIDEO_NAME } from "./names";
import type { NetworkOutputs } from "./network-stack";
import { taskPlacement } from "./placement";
import { PORTS } from "./ports";

/** Seed 002's names. */
export const VIDEO_WEB_FAMILY = `${VIDEO_NAME}-web`;
export const VIDEO_WORKER_FAMILY = `${VIDEO_NAME}-worker`;
export const VIDEO_LOAD_BALANCER_NAME = `alb-${VIDEO_NAME}`;
export const VIDEO_TARGET_GROUP_NAME = `tg-${VIDEO_NAME}`;
export const VIDEO_HEALTH_CHECK_PATH = "/api/health";
/** S3 prefixes (seed 002): originals from the web service, results from the workers. */
export const UPLOADS_PREFIX = "uploads/";
export const PROCESSED_PREFIX = "processed/";

/** "One image, two commands" (seed 002): the image's prestart script starts Gunicorn... */
export const WEB_COMMAND = ["/my-app/prestart.sh"] as const;
/** ...and the same image runs one Celery worker that takes one video at a time. */
export const WORKER_COMMAND = [
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
] as const;
/** Fargate's ceiling: the longest a SIGTERM'd worker gets before SIGKILL. */
export const WORKER_STOP_TIMEOUT_SECONDS = 120;
/** ECR keeps this many images; older ones expire. */
const KEPT_IMAGES = 10;
/** The ALB alarms' threshold: this many 5XX responses in 5 minutes. */
const SERVER_ERRORS_PER_5_MINUTES = 10;

export interface VideoPipelineStackProps {
  readonly config: Config;
  readonly network: NetworkOutputs;
  readonly data: VideoDataOutputs;
}

/** IAM permissions of the video pipeline's tasks, as data (the stack test spells each statement out). */
export function videoPipelinePolicies(refs: {
  /** The pull permissions of the image's repository (ImageRepository.pullStatements). */
  readonly imagePull: readonly PolicyStatement[];
  readonly logGroupArns: readonly string[];
  readonly data: VideoDataOutputs;
}): { execution: PolicyStatement[]; webTask: PolicyStatement[]; workerTask: PolicyStatement[] } {
  const { data } = refs;
  const bucket = data.bucket.arn;
  // The application gives kombu (Celery's SQS transport) the queue's URL as `predefined_queues`
  // (docs/CONTRACTS.md): kombu then never lists, looks up or creates a queue, so neither role has
  // sqs:ListQueues (which takes no resource but `*`), sqs:GetQueueUrl or sqs:CreateQueue.
  return {
    // Used by the ECS agent only; the code in the containers never holds these credentials.
    execution: [
      ...refs.imagePull,
      {
        sid: "WriteVideoLogs",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: refs.logGroupArns.map((arn) => `${arn}:*`),
      },
      {
        // Both services read both. SecureStrings under the AWS-managed aws/ssm key: no kms:Decrypt.
        sid: "ReadVideoSecrets",
        actions: ["ssm:GetParameters"],
        resources: [data.secrets.databaseUrl.arn, data.secrets.secretKey.arn],
      },
    ],
    // No s3:ListBucket: the app addresses objects by key, and without it a missing key answers
    // 403 instead of 404. No s3:AbortMultipartUpload: the bucket's lifecycle aborts leftovers.
    webTask: [
      { sid: "StoreUploads", actions: ["s3:PutObject"], resources: [`${bucket}/${UPLOADS_PREFIX}*`] },
      { sid: "ServeProcessedVideos", actions: ["s3:GetObject"], resources: [`${bucket}/${PROCESSED_PREFIX}*`] },
      {
        sid: "EnqueueVideoJobs",
        actions: ["sqs:SendMessage", "sqs:GetQueueAttributes"],
        resources: [data.queue.arn],
      },
    ],
    workerTask: [
      { sid: "ReadUploads", actions: ["s3:GetObject"], resources: [`${bucket}/${UPLOADS_PREFIX}*`] },
      { sid: "StoreProcessedVideos", actions: ["s3:PutObject"], resources: [`${bucket}/${PROCESSED_PREFIX}*`] },
      {
        sid: "ConsumeVideoJobs",
        actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
        resources: [data.queue.arn],
      },
    ],
  };
}

/**
 * proyecto-nube (seed 002): one image in ECR, two Fargate services in the `proyecto-nube`
 * cluster. The web service (FastAPI + Gunicorn) sits behind an internet-facing ALB, stores
 * originals under `uploads/` and enqueues one SQS message per video; the worker service (Celery,
 * one video at a time) consumes the queue, writes results under `processed/`, and scales on the
 * queue's depth. The bucket, the queue and its DLQ, the database and the secrets come from the
 * data stack.
 */
export class VideoPipelineStack extends AppStack {
  /** The web service, through the load balancer. */
  readonly url: string;

  constructor(scope: Construct, id: "video-pipeline", props: VideoPipelineStackProps) {
    super(scope, id, { config: props.config, system: "video-pipeline" });
    const { config, network, data } = props;
    const video = config.videoPipeline;

    const imageRepository = new ImageRepository(this, "repository", {
      name: VIDEO_NAME,
      keptImages: KEPT_IMAGES,
      // With image source "ecr" the images are pushed from outside this repository and a deploy
      // cannot rebuild them: only throwaway environments let a destroy delete them.
      forceDelete: config.data.forceDestroyBuckets,
    });
    const repository = imageRepository.repository;
    const image = new ContainerImage(this, "image", {
      source: video.image,
      repository: { repositoryUrl: repository.repositoryUrl },
      basePath: PROJECT_ROOT,
    });

    const logGroup = (service: "web" | "worker") =>
      new CloudwatchLogGroup(this, `${service}-log-group`, {
        name: `/ecs/${VIDEO_NAME}-${service}`,
        retentionInDays: video.logRetentionDays,
      });
    const webLogs = logGroup("web");
    const workerLogs = logGroup("worker");

    const { cluster, capacityProviders } = new FargateCluster(this, "cluster", { name: VIDEO_NAME });

    const loadBalancer = new WebLoadBalancer(this, "load-balancer", {
      accessLogs: data.loadBalancerLogs,
      name: VIDEO_LOAD_BALANCER_NAME,
      targetGroupName: VIDEO_TARGET_GROUP_NAME,
      vpcId: network.vpcId,
      subnetIds: network.publicSubnetIds,
      securityGroupIds: [network.securityGroupIds["video-alb"]],
      targetPort: PORTS.videoWeb,
      httpPort: PORTS.http,
      httpsPort: PORTS.https,
      certificateArn: video.certificateArn,
      healthCheck: { path: VIDEO_HEALTH_CHECK_PATH, matcher: "200" },
      // Video uploads are long requests: a task leaving the target group (scale-in, deployment)
      // keeps its in-flight uploads for the default 5 minutes.
      deregistrationDelaySeconds: 300,
      deletionProtection: false,
    });
    this.url = loadBalancer.url;

    // ---- IAM -----------------------------------------------------------------------------------
    const policies = videoPipelinePolicies({
      imagePull: imageRepository.pullStatements(),
      logGroupArns: [webLogs.arn, workerLogs.arn],
      data,
    });
    const taskRoles = new TaskRoles(this, "roles", {
      namePrefix: VIDEO_NAME,
      policies,
      existingRoleName: config.iam.mode === "existing-role" ? config.iam.roleName : undefined,
    });
    const { roles, iamResources } = taskRoles;

    // ---- Services ------------------------------------------------------------------------------
    const environment: Record<string, string> = {
      STORAGE_BACKEND: "s3",
      AWS_REGION: config.region,
      AWS_S3_BUCKET: data.bucket.name,
      SQS_QUEUE_NAME: data.queue.name,
      // kombu's predefined_queues: the queue by URL, so Celery never lists or creates queues.
      SQS_QUEUE_URL: data.queue.url,
    };
    // Injected by ECS from SSM at task start: never in `environment`, the plan or the state.
    const secrets = {
      DATABASE_URL: data.secrets.databaseUrl.arn,
      SECRET_KEY: data.secrets.secretKey.arn,
    };
    const serviceBase = {
      cluster: { arn: cluster.arn, name: cluster.name },
      region: config.region,
      executionRole: roles.execution,
      sharedRoleAllowed: taskRoles.borrowed,
      ...taskPlacement(network, video.taskSubnets),
      securityGroupIds: [network.securityGroupIds["video-tasks"]],
      platformVersion: config.fargatePlatformVersion,
    };

    new FargateService(this, "web", {
      ...serviceBase,
      family: VIDEO_WEB_FAMILY,
      cpu: video.web.cpu,
      memoryMiB: video.web.memoryMiB,
      capacityProvider: video.web.capacityProvider,
      logGroupName: webLogs.name,
      taskRole: roles.webTask,
      containers: {
        name: "web",
        image: image.imageUri,
        command: [...WEB_COMMAND],
        port: PORTS.videoWeb,
        environment,
        secrets,
        streamPrefix: "ecs",
      },
      loadBalancer: {
        targetGroupArn: loadBalancer.targetGroupArn,
        containerName: "web",
        containerPort: PORTS.videoWeb,
        // prestart.sh migrates the database before Gunicorn answers /api/health.
        healthCheckGracePeriodSeconds: 120,
      },
      autoscaling: video.web.autoscaling,
      dependsOn: [loadBalancer.forwardingListener, capacityProviders, ...iamResources],
    });

    const worker = video.worker;
    const workerService = new FargateService(this, "worker", {
      ...serviceBase,
      family: VIDEO_WORKER_FAMILY,
      cpu: worker.cpu,
      memoryMiB: worker.memoryMiB,
      capacityProvider: worker.capacityProvider,
      logGroupName: workerLogs.name,
      taskRole: roles.workerTask,
      containers: {
        name: "worker",
        image: image.imageUri,
        command: [...WORKER_COMMAND],
        environment: {
          ...environment,
          // The queue's own setting, through the data stack's outputs: one number in config.
          SQS_VISIBILITY_TIMEOUT: String(data.queue.visibilityTimeoutSeconds),
        },
        secrets,
        streamPrefix: "ecs",
        // A stopping task (scale-in, deployment, Spot reclaim) gets SIGTERM; Celery then stops
        // taking messages and waits for its one running job. A job done within this time is
        // deleted from the queue as usual. A longer one is killed with SIGKILL: its message was
        // never deleted, so SQS makes it visible again when its visibility timeout (the queue's,
        // data.videoQueue.visibilityTimeoutSeconds) runs out and another worker starts the video
        // over; after maxReceiveCount receives it goes to the DLQ. With --concurrency 1 and
        // --prefetch-multiplier 1 a worker holds at most one message, so a stopped task costs at
        // most one job retried late. This assumes the app acknowledges late (task_acks_late):
        // a message deleted on receipt would be lost with its task, not retried.
        stopTimeoutSeconds: WORKER_STOP_TIMEOUT_SECONDS,
      },
      // Only the scalable target: the policies are the queue-depth step scaling below.
      autoscaling: { minCapacity: worker.minCapacity, maxCapacity: worker.maxCapacity },
      dependsOn: [capacityProviders, ...iamResources],
    });
    if (!workerService.scalableTarget) throw new Error("FargateService worker: autoscaling gave no scalable target");

    // Out: one more worker per scaleOutBacklogPerTask videos waiting for two minutes, several at
    // once for a larger backlog. In: back to minCapacity only when no video has waited or been in
    // flight for ten minutes, so no worker is stopped in the middle of a video by the scaling
    // itself (modules/queue-depth-scaling.ts). The complement belongs to the application: a worker
    // that sets ECS task scale-in protection ($ECS_AGENT_URI/task-protection/v1/state) while it
    // holds a job is also safe from the rare scale-in that races a just-received message.
    new QueueDepthScaling(this, "worker-scaling", {
      name: VIDEO_WORKER_FAMILY,
      scalableTarget: workerService.scalableTarget,
      queueName: data.queue.name,
      minCapacity: worker.minCapacity,
      maxCapacity: worker.maxCapacity,
      backlogPerTask: worker.scaleOutBacklogPerTask,
      cooldownSeconds: worker.scaleCooldownSeconds,
      scaleOutMinutes: 2,
      scaleInIdleMinutes: 10,
    });

    const alarms = new AlarmTopic(this, "alarms", { topicName: `${VIDEO_NAME}-alarms`, email: config.alarmEmail });
    this.alarms(alarms.arn, loadBalancer, data);

    new TerraformOutput(this, "video_pipeline_url", { value: this.url, description: "The video pipeline's web service" });
    new TerraformOutput(this, "video_pipeline_repository_url", {
      value: repository.repositoryUrl,
      description: 'ECR repository of the web and worker image (push here for image source "ecr")',
    });
  }

  private alarms(topicArn: string, lb: WebLoadBalancer, data: VideoDataOutputs): void {
    // The DLQ is quiet, so SQS may publish its metrics late; a 5-minute Maximum still sees a
    // message that arrived at any time in the period.
    new CloudwatchMetricAlarm(this, "alarm-dead-letters", {
      alarmName: `${VIDEO_NAME}-dead-letters`,
      alarmDescription: `A video job failed on every attempt and is waiting in ${data.deadLetterQueue.name}`,
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: data.deadLetterQueue.name },
      statistic: "Maximum",
      period: 300,
      evaluationPeriods: 1,
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      // An empty, inactive queue publishes nothing: that is the healthy state.
      treatMissingData: "notBreaching",
      ...notifying(topicArn),
    });

    lb.addAlarms({ topicArn, namePrefix: VIDEO_NAME, targetName: "web", serverErrorsPer5Minutes: SERVER_ERRORS_PER_5_MINUTES });
  }
}
