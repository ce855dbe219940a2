import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsDynamodbTable } from "@cdktf/provider-aws/lib/data-aws-dynamodb-table";
import { DataAwsElbServiceAccount } from "@cdktf/provider-aws/lib/data-aws-elb-service-account";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import type { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { EfsAccessPoint } from "@cdktf/provider-aws/lib/efs-access-point";
import { EfsFileSystem } from "@cdktf/provider-aws/lib/efs-file-system";
import { EfsFileSystemPolicy } from "@cdktf/provider-aws/lib/efs-file-system-policy";
import { EfsMountTarget } from "@cdktf/provider-aws/lib/efs-mount-target";
import { SesEmailIdentity } from "@cdktf/provider-aws/lib/ses-email-identity";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueueRedriveAllowPolicy } from "@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { Fn } from "cdktf";
import type { Construct } from "constructs";
import type { Config } from "../config/schema";
import { GeneratedSecret } from "../modules/generated-secret";
import { PostgresDatabase } from "../modules/postgres-database";
import { PrivateBucket } from "../modules/private-bucket";
import { ServiceRole } from "../modules/service-role";
import { AppStack } from "./app-stack";
import type {
  AirflowDataOutputs,
  DatabaseOutputs,
  LoadBalancerLogsOutputs,
  SecretParameter,
  VideoDataOutputs,
} from "./data-outputs";
import type { NetworkOutputs } from "./network-stack";
import { PORTS } from "./ports";

/** Names both systems are known by (seeds 000 and 002). */
export const AIRFLOW_NAME = "alerta-utec-airflow";
export const VIDEO_NAME = "proyecto-nube";

/** Sparse indexes of the Incidents table that the DAGs query (docs/CONTRACTS.md). */
export const INCIDENT_INDEXES = {
  classification: { name: "classification-pending", hashKey: "classificationPending", rangeKey: "createdAt" },
  notification: { name: "notification-pending", hashKey: "notificationPending", rangeKey: "classifiedAt" },
} as const;

/** Key prefix of the load balancers' access logs in the logs bucket: `alb/<system>/AWSLogs/...`. */
export const LOAD_BALANCER_LOGS_PREFIX = "alb";

/** The owner Airflow's image runs as (uid 50000, gid 0), which owns the EFS directories. */
const AIRFLOW_POSIX_USER = { uid: 50000, gid: 0 } as const;
const PRIORITIES = ["high", "medium", "low"] as const;
/** DLQ keeps failed messages for the longest SQS allows, so they can be inspected and redriven. */
const DEAD_LETTER_RETENTION_SECONDS = 1_209_600;

/**
 * The IAM roles whose tasks mount the Airflow file system, by name: the airflow stack creates
 * them after this stack, and its destroy deletes them while the file system stays.
 */
export interface FileSystemClients {
  readonly roleNames: readonly string[];
  /**
   * The roles exist before any stack is deployed and outlive them (a borrowed role such as
   * LabRole): the policy can name them as principals.
   */
  readonly preexisting: boolean;
}

export interface DataStackProps {
  readonly config: Config;
  readonly network: NetworkOutputs;
  readonly airflowFileSystemClients: FileSystemClients;
}

/**
 * Everything whose loss loses data, for both systems, so that the compute stacks can be destroyed
 * and recreated at will. Generated secrets are written write-only: they appear in neither the
 * synthesized JSON, nor the plan, nor the state (see docs/secrets.md).
 */
export class DataStack extends AppStack {
  readonly airflow: AirflowDataOutputs;
  readonly video: VideoDataOutputs;
  private readonly monitoringRoleArn?: string;
  /** The logs bucket's name when the load balancers write access logs to it. */
  private loadBalancerLogsBucket?: string;

  constructor(scope: Construct, id: "data", props: DataStackProps) {
    super(scope, id, { config: props.config, system: "shared" });
    this.monitoringRoleArn = this.enhancedMonitoringRole(props.config);
    this.airflow = this.airflowData(props.config, props.network, props.airflowFileSystemClients);
    this.video = this.videoData(props.config, props.network);
  }

  /** The role RDS Enhanced Monitoring publishes through, when a database asks for monitoring. */
  private enhancedMonitoringRole(config: Config): string | undefined {
    const { airflowDatabase, videoDatabase } = config.data;
    if (!airflowDatabase.monitoring && !videoDatabase.monitoring) return undefined;
    return new ServiceRole(this, "rds-monitoring-role", {
      name: `${config.project}-rds-enhanced-monitoring`,
      assumedBy: "monitoring.rds.amazonaws.com",
      managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"],
    }).arn;
  }

  private airflowData(config: Config, network: NetworkOutputs, clients: FileSystemClients): AirflowDataOutputs {
    const tags = { system: "airflow" };
    const { data } = config;
    const { instance: database, password: dbPassword } = this.database(config, network, {
      id: "airflow-db",
      identifier: AIRFLOW_NAME,
      databaseName: "airflow",
      securityGroup: "airflow-db",
      settings: data.airflowDatabase,
      tags,
    });

    // Seed 000's parameters, plus the three the containers need whole.
    const parameter = (path: string, value: string) =>
      new SsmParameter(this, `ssm${path}`, { name: `/${AIRFLOW_NAME}${path}`, type: "String", value, tags });
    parameter("/db/host", database.address);
    parameter("/db/port", String(PORTS.postgres));
    parameter("/db/name", database.dbName);
    parameter("/db/username", database.username);
    const secret = (path: string, valueWriteOnly: string, replacedWith?: DbInstance) =>
      this.secureParameter(`/${AIRFLOW_NAME}${path}`, valueWriteOnly, data.credentialsVersion, tags, replacedWith);
    secret("/db/password", dbPassword.value, database);
    const secrets = {
      sqlAlchemyConn: secret(
        "/db/sql-alchemy-conn",
        `postgresql+psycopg2://${database.username}:${dbPassword.value}@${database.address}:${PORTS.postgres}/${database.dbName}?sslmode=require`,
        database,
      ),
      webserverSecretKey: secret(
        "/webserver/secret-key",
        new GeneratedSecret(this, { name: "airflow_secret_key", length: 48 }).value,
      ),
      adminPassword: secret(
        "/webserver/admin-password",
        new GeneratedSecret(this, { name: "airflow_admin_password", length: 24 }).value,
      ),
      // Airflow 3 signs the Execution API's task tokens with the JWT secret and encrypts
      // connections and variables with the Fernet key: every container must hold the same ones.
      ...(config.airflow.line === "3.3"
        ? {
            jwtSecret: secret("/api/jwt-secret", new GeneratedSecret(this, { name: "airflow_jwt_secret", length: 64 }).value),
            fernetKey: secret(
              "/core/fernet-key",
              fernetKey(new GeneratedSecret(this, { name: "airflow_fernet_key", length: 43 })),
            ),
          }
        : {}),
    };

    const fileSystem = new EfsFileSystem(this, "airflow-efs", {
      creationToken: `${AIRFLOW_NAME}-${config.environment}`,
      encrypted: true,
      performanceMode: "generalPurpose",
      throughputMode: "bursting",
      lifecyclePolicy: [{ transitionToIa: `AFTER_${data.efsTransitionToIaDays}_DAYS` }],
      tags: { ...tags, Name: AIRFLOW_NAME },
    });
    network.privateSubnetIds.forEach((subnetId, i) => {
      new EfsMountTarget(this, `airflow-efs-mount-${i}`, {
        fileSystemId: fileSystem.id,
        subnetId,
        securityGroups: [network.securityGroupIds.efs],
      });
    });
    const accessPoint = (directory: "dags" | "logs") =>
      new EfsAccessPoint(this, `airflow-efs-${directory}`, {
        fileSystemId: fileSystem.id,
        posixUser: AIRFLOW_POSIX_USER,
        rootDirectory: {
          path: `/${directory}`,
          creationInfo: { ownerUid: AIRFLOW_POSIX_USER.uid, ownerGid: AIRFLOW_POSIX_USER.gid, permissions: "755" },
        },
        tags: { ...tags, Name: `${AIRFLOW_NAME}-${directory}` },
      });
    const dags = accessPoint("dags");
    const logs = accessPoint("logs");
    new EfsFileSystemPolicy(this, "airflow-efs-resource-policy", {
      fileSystemId: fileSystem.id,
      policy: this.fileSystemPolicy(fileSystem.arn, [dags.arn, logs.arn], clients),
    });

    // Seed 000: logs and backups expire after 7 days, incomplete uploads are aborted after 1.
    const logsBucket = new PrivateBucket(this, "airflow-logs-bucket", {
      bucketName: `${data.logsBucket.namePrefix}-${config.uniqueSuffix}`,
      forceDestroy: data.forceDestroyBuckets,
      expirationDays: data.logsBucket.expirationDays,
      // ALB access logs are delivered by the region's Elastic Load Balancing account.
      policyStatements: data.logsBucket.loadBalancerAccessLogs
        ? [
            {
              sid: "LoadBalancerAccessLogs",
              effect: "Allow",
              actions: ["s3:PutObject"],
              principals: [{ type: "AWS", identifiers: [new DataAwsElbServiceAccount(this, "elb-account").arn] }],
              resourcesInBucket: [`/${LOAD_BALANCER_LOGS_PREFIX}/*`],
            },
          ]
        : undefined,
      tags,
    }).bucket;
    if (data.logsBucket.loadBalancerAccessLogs) this.loadBalancerLogsBucket = logsBucket.bucket;

    const table = this.incidentsTable(config, tags);
    const topics = Object.fromEntries(
      PRIORITIES.map((priority) => [
        priority,
        new SnsTopic(this, `incidents-${priority}`, {
          name: `${config.project}-incidents-${priority}`,
          // The AWS-managed key is free; only AWS services that publish need a customer key.
          kmsMasterKeyId: "alias/aws/sns",
          tags,
        }).arn,
      ]),
    ) as Record<(typeof PRIORITIES)[number], string>;
    const sender = new SesEmailIdentity(this, "reports-sender", { email: data.reports.senderAddress });
    // A new account's SES is in the sandbox, where the recipient must be verified as well; both
    // addresses get a verification e-mail on the first deploy.
    const recipient =
      data.reports.recipientAddress === data.reports.senderAddress
        ? sender
        : new SesEmailIdentity(this, "reports-recipient", { email: data.reports.recipientAddress });

    return {
      database: databaseOutputs(database),
      efs: {
        fileSystemId: fileSystem.id,
        fileSystemArn: fileSystem.arn,
        dagsAccessPointId: dags.id,
        dagsAccessPointArn: dags.arn,
        logsAccessPointId: logs.id,
        logsAccessPointArn: logs.arn,
      },
      logsBucket: { name: logsBucket.bucket, arn: logsBucket.arn },
      loadBalancerLogs: this.loadBalancerLogs(AIRFLOW_NAME),
      incidentsTable: {
        ...table,
        classificationIndexName: INCIDENT_INDEXES.classification.name,
        notificationIndexName: INCIDENT_INDEXES.notification.name,
      },
      topicArns: topics,
      reports: {
        senderAddress: data.reports.senderAddress,
        recipientAddress: data.reports.recipientAddress,
        senderIdentityArn: sender.arn,
        recipientIdentityArn: recipient.arn,
      },
      secrets,
    };
  }

  private incidentsTable(config: Config, tags: Record<string, string>): { name: string; arn: string } {
    const settings = config.data.incidentsTable;
    if (!settings.create) {
      const existing = new DataAwsDynamodbTable(this, "incidents", { name: settings.name });
      return { name: existing.name, arn: existing.arn };
    }
    const indexes = Object.values(INCIDENT_INDEXES);
    const table = new DynamodbTable(this, "incidents", {
      name: settings.name,
      billingMode: "PAY_PER_REQUEST",
      hashKey: "incidentId",
      attribute: [
        { name: "incidentId", type: "S" },
        ...[...new Set(indexes.flatMap((i) => [i.hashKey, i.rangeKey]))].map((name) => ({ name, type: "S" })),
      ],
      // Sparse: an item is in an index only while it carries the index's hash key, so a DAG run
      // reads the incidents that need work, not the table.
      globalSecondaryIndex: indexes.map((i) => ({
        name: i.name,
        hashKey: i.hashKey,
        rangeKey: i.rangeKey,
        projectionType: "ALL",
      })),
      pointInTimeRecovery: { enabled: true },
      deletionProtectionEnabled: config.data.airflowDatabase.deletionProtection,
      tags,
    });
    return { name: table.name, arn: table.arn };
  }

  private videoData(config: Config, network: NetworkOutputs): VideoDataOutputs {
    const tags = { system: "video-pipeline" };
    const { data } = config;
    const { instance: database, password: dbPassword } = this.database(config, network, {
      id: "video-db",
      identifier: VIDEO_NAME,
      databaseName: "proyecto_nube",
      securityGroup: "video-db",
      settings: data.videoDatabase,
      tags,
    });
    const secret = (path: string, valueWriteOnly: string, replacedWith?: DbInstance) =>
      this.secureParameter(`/${VIDEO_NAME}${path}`, valueWriteOnly, data.credentialsVersion, tags, replacedWith);
    const secrets = {
      databaseUrl: secret(
        "/database-url",
        `postgresql+psycopg2://${database.username}:${dbPassword.value}@${database.address}:${PORTS.postgres}/${database.dbName}?sslmode=require`,
        database,
      ),
      secretKey: secret("/secret-key", new GeneratedSecret(this, { name: "video_secret_key", length: 48 }).value),
    };

    // One bucket, two prefixes (seed 002): uploads/ from the web service, processed/ from workers.
    const bucket = new PrivateBucket(this, "video-bucket", {
      bucketName: `${data.videoBucket.namePrefix}-${config.uniqueSuffix}`,
      forceDestroy: data.forceDestroyBuckets,
      // Users' originals: a versioned bucket lets an overwrite or a delete be undone.
      versioned: data.videoBucket.versioned,
      noncurrentVersionDays: 30,
      tags,
    }).bucket;

    const queue = data.videoQueue;
    const deadLetterQueue = new SqsQueue(this, "video-dlq", {
      name: `${queue.name}-dlq`,
      messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
      sqsManagedSseEnabled: true,
      tags,
    });
    const mainQueue = new SqsQueue(this, "video-queue", {
      name: queue.name,
      visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
      messageRetentionSeconds: queue.messageRetentionSeconds,
      // Long polling: fewer empty receives, lower cost, for a worker that polls continuously.
      receiveWaitTimeSeconds: 20,
      sqsManagedSseEnabled: true,
      redrivePolicy: Fn.jsonencode({ deadLetterTargetArn: deadLetterQueue.arn, maxReceiveCount: queue.maxReceiveCount }),
      tags,
    });
    // Only the main queue may dead-letter into this one.
    new SqsQueueRedriveAllowPolicy(this, "video-dlq-allow", {
      queueUrl: deadLetterQueue.url,
      redriveAllowPolicy: Fn.jsonencode({ redrivePermission: "byQueue", sourceQueueArns: [mainQueue.arn] }),
    });

    return {
      database: databaseOutputs(database),
      bucket: { name: bucket.bucket, arn: bucket.arn },
      queue: {
        name: mainQueue.name,
        url: mainQueue.url,
        arn: mainQueue.arn,
        visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
      },
      deadLetterQueue: { name: deadLetterQueue.name, arn: deadLetterQueue.arn },
      loadBalancerLogs: this.loadBalancerLogs(VIDEO_NAME),
      secrets,
    };
  }

  /**
   * Mounting and writing, only through a mount target and one of the access points, only for the
   * clients' roles; nothing for any other principal; nothing without TLS. With a policy in place an
   * NFS client that mounts without IAM is anonymous, and is denied.
   *
   * Roles the airflow stack creates cannot be principals here: EFS resolves a principal ARN to the
   * role's unique id when the policy is put, so PutFileSystemPolicy rejects a role that does not
   * exist yet (the provider retries "Policy contains invalid Principal block" for two minutes, then
   * fails the first deploy), and a role deleted and recreated by `cdktf destroy airflow` and a new
   * deploy would no longer match. The account is the principal instead, which delegates to the
   * roles' own IAM policies (their MountAirflowEfsThroughAccessPoints statement), and
   * `aws:PrincipalArn`, compared as text, narrows it to the roles' ARNs.
   */
  private fileSystemPolicy(fileSystemArn: string, accessPointArns: readonly string[], clients: FileSystemClients): string {
    const { partition } = new DataAwsPartition(this, "partition");
    const { accountId } = new DataAwsCallerIdentity(this, "account");
    const roleArns = clients.roleNames.map((name) => `arn:${partition}:iam::${accountId}:role/${name}`);
    return new DataAwsIamPolicyDocument(this, "airflow-efs-policy", {
      statement: [
        {
          sid: "AirflowRolesMountThroughAccessPoints",
          effect: "Allow",
          actions: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
          resources: [fileSystemArn],
          principals: [
            { type: "AWS", identifiers: clients.preexisting ? roleArns : [`arn:${partition}:iam::${accountId}:root`] },
          ],
          condition: [
            { test: "Bool", variable: "elasticfilesystem:AccessedViaMountTarget", values: ["true"] },
            { test: "StringEquals", variable: "elasticfilesystem:AccessPointArn", values: [...accessPointArns] },
            ...(clients.preexisting ? [] : [{ test: "ArnEquals", variable: "aws:PrincipalArn", values: roleArns }]),
          ],
        },
        {
          // Within the account an identity policy alone can grant access (an administrator's
          // `*`, say): this makes the roles above the only ones that mount, whatever other
          // roles' policies say. A client without IAM has no aws:PrincipalArn, and is denied too.
          sid: "DenyMountToOtherPrincipals",
          effect: "Deny",
          actions: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "elasticfilesystem:ClientRootAccess"],
          resources: [fileSystemArn],
          principals: [{ type: "AWS", identifiers: ["*"] }],
          condition: [{ test: "ArnNotEquals", variable: "aws:PrincipalArn", values: roleArns }],
        },
        {
          sid: "DenyUnencryptedTransport",
          effect: "Deny",
          actions: ["*"],
          resources: [fileSystemArn],
          principals: [{ type: "AWS", identifiers: ["*"] }],
          condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        },
      ],
    }).json;
  }

  private loadBalancerLogs(system: string): LoadBalancerLogsOutputs | undefined {
    const bucket = this.loadBalancerLogsBucket;
    return bucket ? { bucket, prefix: `${LOAD_BALANCER_LOGS_PREFIX}/${system}` } : undefined;
  }

  /** A PostgreSQL instance in the private subnets with a generated master password. */
  private database(
    config: Config,
    network: NetworkOutputs,
    db: {
      readonly id: string;
      readonly identifier: string;
      /** Also the master user's name. */
      readonly databaseName: string;
      readonly securityGroup: "airflow-db" | "video-db";
      readonly settings: Config["data"]["airflowDatabase"];
      readonly tags: Record<string, string>;
    },
  ): { instance: DbInstance; password: GeneratedSecret } {
    const password = new GeneratedSecret(this, { name: `${db.id.replace(/-/g, "_")}_password` });
    const instance = new PostgresDatabase(this, db.id, {
      identifier: db.identifier,
      databaseName: db.databaseName,
      username: db.databaseName,
      passwordWriteOnly: password.value,
      passwordVersion: config.data.credentialsVersion,
      subnetIds: network.privateSubnetIds,
      securityGroupId: network.securityGroupIds[db.securityGroup],
      settings: db.settings,
      port: PORTS.postgres,
      monitoringRoleArn: this.monitoringRoleArn,
      tags: db.tags,
    }).instance;
    return { instance, password };
  }

  /**
   * A SecureString (AWS-managed key, free) whose value is written once per credentials version.
   * A parameter holding a database's password is replaced together with the database: a new
   * instance gets a new generated password, and the parameter must be written in the same run.
   *
   * The trigger is the instance's `resource_id` (the DbiResourceId), not the instance: Terraform
   * replaces on *any* planned change of a referenced resource, including an in-place one (a
   * bigger instance class, storage, a tag), and the replaced parameter would then hold this run's
   * new password while the instance, whose `password_wo_version` did not move, keeps the old one.
   * The DbiResourceId changes only when a new instance is created.
   */
  private secureParameter(
    name: string,
    valueWriteOnly: string,
    version: number,
    tags: Record<string, string>,
    replacedWith?: DbInstance,
  ): SecretParameter {
    const parameter = new SsmParameter(this, `ssm${name}`, {
      name,
      type: "SecureString",
      valueWo: valueWriteOnly,
      valueWoVersion: version,
      tags,
      // A bare address: Terraform's JSON syntax reads this list as references, and rejects the
      // "${...}" interpolation cdktf would render (OpenTofu validate found it).
      lifecycle: replacedWith
        ? { replaceTriggeredBy: [`${replacedWith.terraformResourceType}.${this.getLogicalId(replacedWith)}.resource_id`] }
        : undefined,
    });
    return { name, arn: parameter.arn };
  }
}

/**
 * A Fernet key (32 bytes, URL-safe base64) from a generated 43-character alphanumeric value:
 * base64 of 32 bytes is 43 characters plus one "=", letters and digits are base64 characters, and
 * the decoder ignores the 2 spare bits of the last one (43 × 5.95 bits of entropy ≈ 256). Checked
 * against `cryptography.fernet.Fernet` with 2,000 random keys.
 */
function fernetKey(generated: GeneratedSecret): string {
  return `${generated.value}=`;
}

function databaseOutputs(instance: DbInstance): DatabaseOutputs {
  return {
    address: instance.address,
    port: PORTS.postgres,
    databaseName: instance.dbName,
    username: instance.username,
    identifier: instance.identifier,
  };
}
