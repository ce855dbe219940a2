/**
 * The environment configuration: one JSON file per environment in config/, validated by this
 * schema at startup. `config/environment.schema.json` (for editors) is generated from it; so is
 * docs/configuration.md. Field descriptions here are the documentation.
 */
import { z } from "zod";
import { FARGATE_CPU_UNITS } from "../modules/fargate-sizes";
import { AIRFLOW_LINE_NAMES, type AirflowLine } from "./airflow-lines";

export const ENVIRONMENTS = ["hackathon", "learner-lab", "production"] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];

// CloudWatch Logs accepts only these retention periods.
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 3653] as const;

const cidr = z.string().describe("IPv4 CIDR block, e.g. 10.0.1.0/24");
const logRetentionDays = z
  .number()
  .int()
  .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
    message: `not a CloudWatch Logs retention period (expected one of ${LOG_RETENTION_DAYS.join(", ")})`,
  })
  .describe("Days CloudWatch keeps the log events");
const fargateCpu = z.literal(FARGATE_CPU_UNITS).describe("Task CPU units (1024 = 1 vCPU)");
const memoryMiB = z.number().int().positive().describe("Task memory in MiB; must pair with cpu as Fargate allows");
const percent = z.number().gt(0).lte(100);
const seconds = z.number().int().min(0);
const email = z.email();
const certificateArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/, "not an ACM certificate ARN")
  .describe("ACM certificate for an HTTPS listener; HTTP then redirects to HTTPS. Omit for HTTP only");
const capacityProvider = z.enum(["FARGATE", "FARGATE_SPOT"]);
const taskSubnets = z
  .enum(["public", "private"])
  .describe("Where the tasks run: private subnets behind NAT, or public subnets with a public IP (no NAT needed)");

const taskSize = z.strictObject({ cpu: fargateCpu, memoryMiB, capacityProvider });

/** `airflow.executor`: where the DAGs' task instances run. */
export const AIRFLOW_EXECUTORS = ["LocalExecutor", "AwsEcsExecutor"] as const;
export type AirflowExecutor = (typeof AIRFLOW_EXECUTORS)[number];
const ecsExecutor = z
  .strictObject({
    worker: taskSize.describe("Size of each task instance's Fargate task, and where it runs"),
  })
  .describe(
    "Settings of the ECS executor, used when airflow.executor is AwsEcsExecutor; airflow.scheduler.parallelism bounds the workers running at once",
  );

const targetTracking = z.strictObject({
  minCapacity: z.number().int().min(0),
  maxCapacity: z.number().int().min(1),
  cpuTargetPercent: percent.describe("Average CPU utilization the service is scaled to hold"),
  memoryTargetPercent: percent.optional().describe("Average memory utilization to hold; omit for CPU only"),
  scaleOutCooldownSeconds: seconds,
  scaleInCooldownSeconds: seconds,
});

const database = z.strictObject({
  instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, "not an RDS instance class"),
  engineVersion: z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .describe("PostgreSQL version; a major version (15) lets RDS apply minor upgrades"),
  allocatedStorageGiB: z.number().int().min(20).max(65536),
  storageType: z.enum(["gp2", "gp3"]),
  multiAz: z.boolean(),
  backupRetentionDays: z.number().int().min(0).max(35),
  deletionProtection: z.boolean(),
  finalSnapshot: z.boolean().describe("Take a final snapshot when the instance is destroyed"),
  monitoring: z
    .boolean()
    .describe(
      "PostgreSQL and upgrade logs to CloudWatch, Performance Insights (free 7-day tier) and 60 s Enhanced Monitoring; needs iam.mode create",
    ),
});

const imageSource = z.discriminatedUnion("source", [
  z.strictObject({
    source: z.literal("build").describe("provider-docker builds the image and pushes it to ECR on deploy"),
    context: z.string().min(1).describe("Build context, relative to the repository root"),
    dockerfile: z.string().min(1).describe("Dockerfile, relative to the repository root"),
  }),
  z.strictObject({
    source: z.literal("ecr").describe("An image pushed to this system's ECR repository by other means"),
    tag: z.string().min(1),
  }),
  z.strictObject({
    source: z.literal("uri").describe("An image in another registry"),
    uri: z.string().min(1).describe("Image reference without tag, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/app"),
    tag: z.string().min(1),
  }),
]);

export const configSchema = z
  .strictObject({
    $schema: z.string().optional().describe("Path of the JSON Schema, for editors"),
    environment: z.enum(ENVIRONMENTS).describe("Must equal the file name"),
    region: z
      .string()
      .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "not an AWS region name")
      .describe("AWS region of every stack"),
    project: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,30}$/)
      .describe("Value of the `project` tag"),
    uniqueSuffix: z
      .string()
      .regex(/^[a-z0-9]{4,12}$/, "4 to 12 lowercase letters or digits")
      .describe("Appended to S3 bucket names, which are global: pick your own"),
    state: z.strictObject({
      bucket: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "not a valid S3 bucket name")
        .describe("Remote-state bucket, created by the `state` stack"),
    }),
    iam: z
      .discriminatedUnion("mode", [
        z.strictObject({ mode: z.literal("create").describe("Least-privilege roles per task") }),
        z.strictObject({
          mode: z.literal("existing-role").describe("Use one existing role everywhere; create no IAM resource"),
          roleName: z.string().min(1).describe("e.g. LabRole in AWS Academy Learner Lab"),
        }),
      ])
      .describe("How tasks and services get their IAM roles"),
    network: z.strictObject({
      vpcCidr: cidr,
      availabilityZones: z.array(z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/, "not an availability zone name")),
      publicSubnetCidrs: z.array(cidr).describe("One per availability zone, in the same order"),
      privateSubnetCidrs: z.array(cidr).describe("One per availability zone, in the same order"),
      natGateways: z
        .enum(["none", "single", "one-per-az"])
        .describe("none: private subnets have no internet route; single: one shared NAT; one-per-az: AZ-independent"),
      flowLogs: z.strictObject({ enabled: z.boolean(), retentionDays: logRetentionDays }),
    }),
    fargatePlatformVersion: z
      .string()
      .regex(/^(LATEST|\d+\.\d+\.\d+)$/)
      .describe("Pinned Fargate platform version"),
    alarmEmail: email.optional().describe("Subscribed to each system's alarm topic; omit for no subscription"),
    data: z.strictObject({
      airflowDatabase: database,
      videoDatabase: database,
      credentialsVersion: z
        .number()
        .int()
        .min(1)
        .describe("Generation of the generated passwords and keys; increase it to rotate them all"),
      forceDestroyBuckets: z
        .boolean()
        .describe(
          "Let `cdktf destroy` delete S3 buckets (the state bucket too) and ECR repositories that still hold objects or images (throwaway environments only)",
        ),
      efsTransitionToIaDays: z.union([z.literal(1), z.literal(7), z.literal(14), z.literal(30), z.literal(60), z.literal(90)]),
      logsBucket: z.strictObject({
        namePrefix: z.string().regex(/^[a-z0-9][a-z0-9-]{2,40}$/),
        expirationDays: z.number().int().min(1),
        loadBalancerAccessLogs: z
          .boolean()
          .describe("Both load balancers write access logs under alb/ in this bucket (kept expirationDays)"),
      }),
      videoBucket: z.strictObject({
        namePrefix: z.string().regex(/^[a-z0-9][a-z0-9-]{2,40}$/),
        versioned: z.boolean().describe("Keep overwritten and deleted videos for 30 days"),
      }),
      videoQueue: z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9_-]{1,70}$/),
        visibilityTimeoutSeconds: z
          .number()
          .int()
          .min(0)
          .max(43200)
          .describe("Also the worker's SQS_VISIBILITY_TIMEOUT; must cover the longest video job"),
        maxReceiveCount: z.number().int().min(1).max(1000).describe("Receives before a message goes to the DLQ"),
        messageRetentionSeconds: z.number().int().min(60).max(1209600),
      }),
      incidentsTable: z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/),
        create: z.boolean().describe("false: the table exists already and is only referenced"),
      }),
      reports: z.strictObject({
        senderAddress: email.describe("SES identity the reports are sent from (verified on deploy)"),
        recipientAddress: email,
      }),
    }),
    airflow: z.strictObject({
      line: z
        .enum(AIRFLOW_LINE_NAMES as [AirflowLine, ...AirflowLine[]])
        .describe(
          "Airflow line (config/airflow-lines.ts): 2.8 runs webserver and scheduler; 3.3 runs api-server, scheduler, dag-processor and triggerer",
        ),
      taskSubnets,
      image: imageSource,
      executor: z
        .enum(AIRFLOW_EXECUTORS)
        .default("LocalExecutor")
        .describe(
          "LocalExecutor runs the tasks inside the scheduler task; AwsEcsExecutor (Airflow 3 line only) runs each task instance as its own Fargate task (docs/ecs-executor.md)",
        ),
      // The five DAGs run one small task each: 0.5 vCPU / 1 GB is the scheduler's LocalExecutor
      // size today, which also runs the scheduler itself.
      ecsExecutor: ecsExecutor.default({ worker: { cpu: 512, memoryMiB: 1024, capacityProvider: "FARGATE" } }),
      adminEmail: email.describe("E-mail of the Airflow admin user the entrypoint creates"),
      certificateArn: certificateArn.optional(),
      logRetentionDays,
      webserver: z
        .strictObject({
          cpu: fargateCpu,
          memoryMiB,
          capacityProvider,
          autoscaling: targetTracking,
        })
        .describe("The UI service behind the load balancer: `airflow webserver` on 2.8, `airflow api-server` on 3.3"),
      scheduler: taskSize
        .extend({
          parallelism: z
            .number()
            .int()
            .min(1)
            .max(1024)
            .optional()
            .describe(
              "[core] parallelism: the most task instances running at once, each a LocalExecutor worker process in the scheduler's task or an ECS executor worker task (3.3 measured 555 MiB PSS at its peak with 8, 887 with 32: docs/airflow-3.md); omit for Airflow's default, 32",
            ),
        })
        .describe("Exactly one scheduler, which also runs the DAGs' tasks (LocalExecutor)"),
      dagProcessor: taskSize.optional().describe("Required on the 3.3 line, not allowed on 2.8: the dag-processor task"),
      triggerer: taskSize.optional().describe("Required on the 3.3 line, not allowed on 2.8: the triggerer task"),
    }),
    videoPipeline: z.strictObject({
      taskSubnets,
      image: imageSource,
      certificateArn: certificateArn.optional(),
      logRetentionDays,
      web: z.strictObject({ cpu: fargateCpu, memoryMiB, capacityProvider, autoscaling: targetTracking }),
      worker: z.strictObject({
        cpu: fargateCpu,
        memoryMiB,
        capacityProvider,
        minCapacity: z.number().int().min(0),
        maxCapacity: z.number().int().min(1),
        scaleOutBacklogPerTask: z
          .number()
          .int()
          .min(1)
          .describe("Visible messages per running worker above which another worker starts"),
        scaleCooldownSeconds: seconds,
        jobTimeoutSeconds: z
          .number()
          .int()
          .min(1)
          .describe("Longest time one video job may take; the queue's visibility timeout must cover it"),
      }),
    }),
    costAssumptions: z
      .strictObject({
        hoursPerWeek: z.number().positive().max(168),
        natDataGbPerWeek: z.number().min(0),
        albLcu: z.number().min(0).describe("Average load-balancer capacity units per hour"),
        cloudwatchLogsIngestedGbPerWeek: z.number().min(0),
        cloudwatchLogsStoredGb: z.number().min(0),
        efsStoredGb: z.number().min(0),
        s3StoredGb: z.number().min(0),
        ecrStoredGb: z.number().min(0),
        ecsWorkerTaskMinutes: z
          .number()
          .positive()
          .default(2)
          .describe(
            "Billed minutes of one ECS executor worker task: Fargate bills from the image pull to the stop, so start-up (about a minute) plus the task's own run",
          ),
      })
      .describe("Usage assumed by `make cost`"),
  })
  .describe("Environment configuration of the AlertaUTEC / proyecto-nube infrastructure");

export type Config = z.infer<typeof configSchema>;
export type DatabaseConfig = Config["data"]["airflowDatabase"];
export type TaskSizeConfig = NonNullable<Config["airflow"]["triggerer"]>;
export type TargetTrackingConfig = Config["airflow"]["webserver"]["autoscaling"];
export type EcsExecutorConfig = Config["airflow"]["ecsExecutor"];
