import { DataAwsDynamodbTable } from "@cdktf/provider-aws/lib/data-aws-dynamodb-table";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { DbParameterGroup } from "@cdktf/provider-aws/lib/db-parameter-group";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { EfsAccessPoint } from "@cdktf/provider-aws/lib/efs-access-point";
import { EfsFileSystem } from "@cdktf/provider-aws/lib/efs-file-system";
import { EfsMountTarget } from "@cdktf/provider-aws/lib/efs-mount-target";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { SesEmailIdentity } from "@cdktf/provider-aws/lib/ses-email-identity";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueueRedriveAllowPolicy } from "@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { INCIDENT_INDEXES } from "../../stacks/data-stack";
import { dataSourcesOf, resourcesOf } from "../../tools/synthesized/tf-json";
import { type SynthesizedEnvironment, synthEnvironment } from "../helpers";

/** A list that holds an element with these properties (the matchers compare nested lists whole). */
const holding = (properties: Record<string, unknown>) => expect.arrayContaining([expect.objectContaining(properties)]);

describe.each(["hackathon", "learner-lab", "production"] as const)("data stack in %s", (environment) => {
  let env: SynthesizedEnvironment;
  let json: string;
  const production = environment === "production";
  beforeAll(() => {
    env = synthEnvironment(environment);
    json = env.json("data");
  });

  it("runs both PostgreSQL 15 databases privately, encrypted, TLS-only, with the environment's protection", () => {
    for (const [identifier, dbName] of [
      ["alerta-utec-airflow", "airflow"],
      ["proyecto-nube", "proyecto_nube"],
    ]) {
      expect(json).toHaveResourceWithProperties(DbInstance, {
        identifier,
        db_name: dbName,
        engine: "postgres",
        engine_version: "15",
        instance_class: "db.t3.micro",
        allocated_storage: 20,
        port: 5432,
        publicly_accessible: false,
        storage_encrypted: true,
        multi_az: production,
        backup_retention_period: production ? 7 : 0,
        deletion_protection: production,
        skip_final_snapshot: !production,
        password_wo: expect.stringMatching(/^\$\{ephemeral\.aws_secretsmanager_random_password\.\w+\.random_password\}$/),
      });
    }
    expect(resourcesOf(json, DbInstance)).toHaveLength(2);
    expect(json).not.toHaveResourceWithProperties(DbInstance, { password: expect.anything() });
    expect(json).toHaveResource(DbParameterGroup);
    for (const group of resourcesOf(json, DbParameterGroup)) {
      expect(group).toMatchObject({ family: "postgres15", parameter: [{ name: "rds.force_ssl", value: "1" }] });
    }
  });

  it("places each database behind its own matrix group", () => {
    expect(json).toHaveResourceWithProperties(DbInstance, {
      identifier: "alerta-utec-airflow",
      vpc_security_group_ids: [expect.stringMatching(/airflow-db/)],
    });
    expect(json).toHaveResourceWithProperties(DbInstance, {
      identifier: "proyecto-nube",
      vpc_security_group_ids: [expect.stringMatching(/video-db/)],
    });
  });

  it("publishes seed 000's SSM parameters, the secret ones as write-only SecureStrings", () => {
    for (const name of ["host", "port", "name", "username"]) {
      expect(json).toHaveResourceWithProperties(SsmParameter, { name: `/alerta-utec-airflow/db/${name}`, type: "String" });
    }
    const secrets = [
      "/alerta-utec-airflow/db/password",
      "/alerta-utec-airflow/db/sql-alchemy-conn",
      "/alerta-utec-airflow/webserver/secret-key",
      "/alerta-utec-airflow/webserver/admin-password",
      "/proyecto-nube/database-url",
      "/proyecto-nube/secret-key",
    ];
    for (const name of secrets) {
      expect(json).toHaveResourceWithProperties(SsmParameter, {
        name,
        type: "SecureString",
        value_wo_version: 1,
        value_wo: expect.stringContaining("${ephemeral.aws_secretsmanager_random_password."),
      });
      expect(json).not.toHaveResourceWithProperties(SsmParameter, { name, value: expect.anything() });
    }
    expect(json).toHaveResourceWithProperties(SsmParameter, {
      name: "/alerta-utec-airflow/db/sql-alchemy-conn",
      value_wo: expect.stringMatching(
        /^postgresql\+psycopg2:\/\/\$\{aws_db_instance\.[^}]+\.username\}:\$\{ephemeral\.aws_secretsmanager_random_password\.airflow_db_password\.random_password\}@\$\{aws_db_instance\.[^}]+\.address\}:5432\/\$\{aws_db_instance\.[^}]+\.db_name\}\?sslmode=require$/,
      ),
    });
  });

  // Only on a new instance (its DbiResourceId), never on an in-place change of it: replacing the
  // parameters then would write a new password the database never receives (issue 18).
  it("replaces a password's parameters only with a new database instance, so both get the same new password", () => {
    const replacedWith = (database: string) => ({
      lifecycle: expect.objectContaining({
        replace_triggered_by: [expect.stringMatching(new RegExp(`^aws_db_instance\\.${database}_instance_\\w+\\.resource_id$`))],
      }),
    });
    for (const name of ["/alerta-utec-airflow/db/password", "/alerta-utec-airflow/db/sql-alchemy-conn"]) {
      expect(json).toHaveResourceWithProperties(SsmParameter, { name, ...replacedWith("airflow-db") });
    }
    expect(json).toHaveResourceWithProperties(SsmParameter, { name: "/proyecto-nube/database-url", ...replacedWith("video-db") });
    expect(json).not.toHaveResourceWithProperties(SsmParameter, {
      name: "/alerta-utec-airflow/webserver/secret-key",
      lifecycle: expect.objectContaining({ replace_triggered_by: expect.anything() }),
    });
  });

  it("creates EFS encrypted, bursting, IA after 7 days, mounted in both private subnets, with the two access points", () => {
    expect(json).toHaveResourceWithProperties(EfsFileSystem, {
      encrypted: true,
      performance_mode: "generalPurpose",
      throughput_mode: "bursting",
      lifecycle_policy: [{ transition_to_ia: "AFTER_7_DAYS" }],
    });
    expect(resourcesOf(json, EfsFileSystem)).toHaveLength(1);
    expect(resourcesOf(json, EfsMountTarget)).toHaveLength(2);
    for (const path of ["/dags", "/logs"]) {
      expect(json).toHaveResourceWithProperties(EfsAccessPoint, {
        posix_user: { uid: 50000, gid: 0 },
        root_directory: { path, creation_info: { owner_uid: 50000, owner_gid: 0, permissions: "755" } },
      });
    }
    expect(resourcesOf(json, EfsAccessPoint)).toHaveLength(2);
  });

  it("keeps both buckets private, owner-enforced, encrypted and TLS-only, with seed 000's expiry on the logs bucket", () => {
    for (const bucket of [
      `alerta-utec-airflow-logs-${env.config.uniqueSuffix}`,
      `miso-proyecto-nube-${env.config.uniqueSuffix}`,
    ]) {
      expect(json).toHaveResourceWithProperties(S3Bucket, { bucket });
    }
    expect(resourcesOf(json, S3Bucket)).toHaveLength(2);
    expect(json).toHaveResource(S3BucketPublicAccessBlock);
    for (const block of resourcesOf(json, S3BucketPublicAccessBlock)) {
      expect(block).toMatchObject({
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
    }
    expect(json).toHaveResource(S3BucketOwnershipControls);
    expect(json).not.toHaveResourceWithProperties(S3BucketOwnershipControls, {
      rule: expect.not.objectContaining({ object_ownership: "BucketOwnerEnforced" }),
    });
    expect(resourcesOf(json, S3BucketServerSideEncryptionConfigurationA)).toHaveLength(2);
    const tlsOnly = dataSourcesOf(json, DataAwsIamPolicyDocument).filter((d) =>
      JSON.stringify(d).includes("aws:SecureTransport"),
    );
    expect(tlsOnly.length).toBeGreaterThanOrEqual(2);
    expect(resourcesOf(json, S3BucketLifecycleConfiguration)).toHaveLength(2);
    for (const bucket of ["airflow-logs-bucket", "video-bucket"]) {
      expect(json).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
        bucket: expect.stringContaining(`aws_s3_bucket.${bucket}_`),
        rule: holding({ id: "abort-incomplete-uploads", abort_incomplete_multipart_upload: [{ days_after_initiation: 1 }] }),
      });
    }
    expect(json).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
      bucket: expect.stringContaining("aws_s3_bucket.airflow-logs-bucket_"),
      rule: holding({ id: "expire-objects", expiration: [{ days: production ? 90 : 7 }] }),
    });
    expect(json).not.toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
      bucket: expect.stringContaining("aws_s3_bucket.video-bucket_"),
      rule: holding({ id: "expire-objects" }),
    });
  });

  it(`${production ? "versions" : "does not version"} the video bucket, expiring old versions after 30 days`, () => {
    expect(resourcesOf(json, S3BucketVersioningA)).toHaveLength(production ? 1 : 0);
    const noncurrent = resourcesOf(json, S3BucketLifecycleConfiguration)
      .flatMap((l) => l.rule)
      .filter((r) => r.noncurrent_version_expiration);
    expect(noncurrent).toHaveLength(production ? 1 : 0);
    if (production) {
      expect(json).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
        rule: holding({ noncurrent_version_expiration: [{ noncurrent_days: 30 }] }),
      });
    }
  });

  it(`${production ? "monitors" : "does not monitor"} the databases (logs, Performance Insights, Enhanced Monitoring)`, () => {
    if (production) {
      for (const identifier of ["alerta-utec-airflow", "proyecto-nube"]) {
        expect(json).toHaveResourceWithProperties(DbInstance, {
          identifier,
          enabled_cloudwatch_logs_exports: ["postgresql", "upgrade"],
          performance_insights_enabled: true,
          performance_insights_retention_period: 7,
          monitoring_interval: 60,
          monitoring_role_arn: expect.stringMatching(/aws_iam_role\.rds-monitoring-role/),
        });
      }
      expect(json).toHaveResourceWithProperties(IamRole, { name: "alerta-utec-rds-enhanced-monitoring" });
      expect(resourcesOf(json, IamRole)).toHaveLength(1);
    } else {
      expect(json).not.toHaveResourceWithProperties(DbInstance, { monitoring_interval: expect.anything() });
      expect(json).not.toHaveResourceWithProperties(DbInstance, { performance_insights_enabled: expect.anything() });
      expect(json).not.toHaveResource(IamRole);
    }
  });

  it(`${production ? "has" : "does not have"} both load balancers write access logs to the logs bucket, which lets ELB deliver them`, () => {
    const delivery = { sid: "LoadBalancerAccessLogs" };
    const deliveries = dataSourcesOf(json, DataAwsIamPolicyDocument)
      .flatMap((d) => d.statement)
      .filter((s) => s.sid === delivery.sid);
    expect(deliveries).toHaveLength(production ? 1 : 0);
    if (production) {
      expect(json).toHaveDataSourceWithProperties(DataAwsIamPolicyDocument, {
        statement: holding({
          ...delivery,
          effect: "Allow",
          actions: ["s3:PutObject"],
          principals: [{ type: "AWS", identifiers: [expect.stringMatching(/^\$\{data\.aws_elb_service_account\./)] }],
          resources: [expect.stringMatching(/^\$\{aws_s3_bucket\.airflow-logs-bucket_\w+\.arn\}\/alb\/\*$/)],
        }),
      });
    }
    for (const [stack, system] of [
      ["airflow", "alerta-utec-airflow"],
      ["video-pipeline", "proyecto-nube"],
    ] as const) {
      const lbJson = env.json(stack);
      expect(lbJson).toHaveResource(Lb);
      if (production) {
        expect(lbJson).toHaveResourceWithProperties(Lb, {
          access_logs: expect.objectContaining({ enabled: true, prefix: `alb/${system}` }),
        });
      } else expect(lbJson).not.toHaveResourceWithProperties(Lb, { access_logs: expect.anything() });
    }
  });

  it("creates the queue with a dead-letter queue, encrypted, and a 1500 s visibility timeout", () => {
    expect(json).toHaveResourceWithProperties(SqsQueue, {
      name: "cola-nube",
      visibility_timeout_seconds: 1500,
      sqs_managed_sse_enabled: true,
      redrive_policy: expect.stringMatching(/maxReceiveCount.*3/),
    });
    expect(json).toHaveResourceWithProperties(SqsQueue, {
      name: "cola-nube-dlq",
      sqs_managed_sse_enabled: true,
      message_retention_seconds: 1209600,
    });
    expect(resourcesOf(json, SqsQueueRedriveAllowPolicy)).toHaveLength(1);
  });

  it("creates the Incidents table on demand with PITR and the DAGs' sparse indexes", () => {
    expect(json).toHaveResourceWithProperties(DynamodbTable, {
      name: "Incidents",
      billing_mode: "PAY_PER_REQUEST",
      hash_key: "incidentId",
      point_in_time_recovery: expect.objectContaining({ enabled: true }),
      global_secondary_index: Object.values(INCIDENT_INDEXES).map((i) => ({
        name: i.name,
        hash_key: i.hashKey,
        range_key: i.rangeKey,
        projection_type: "ALL",
      })),
    });
    expect(resourcesOf(json, DynamodbTable)).toHaveLength(1);
  });

  it("creates an encrypted SNS topic per priority and the SES identities of the sender and, for the sandbox, the recipient", () => {
    for (const name of ["alerta-utec-incidents-high", "alerta-utec-incidents-low", "alerta-utec-incidents-medium"]) {
      expect(json).toHaveResourceWithProperties(SnsTopic, { name, kms_master_key_id: "alias/aws/sns" });
    }
    expect(resourcesOf(json, SnsTopic)).toHaveLength(3);
    for (const email of [env.config.data.reports.recipientAddress, env.config.data.reports.senderAddress]) {
      expect(json).toHaveResourceWithProperties(SesEmailIdentity, { email });
    }
    expect(resourcesOf(json, SesEmailIdentity)).toHaveLength(2);
  });

  it("tags each system's resources with its system", () => {
    expect(json).toHaveResourceWithProperties(DbInstance, { identifier: "alerta-utec-airflow", tags: { system: "airflow" } });
    expect(json).toHaveResourceWithProperties(DbInstance, { identifier: "proyecto-nube", tags: { system: "video-pipeline" } });
  });
});

describe("an Incidents table that already exists", () => {
  it("is referenced, not created", () => {
    const json = synthEnvironment("hackathon", (c) => {
      c.data.incidentsTable.create = false;
    }).json("data");
    expect(json).not.toHaveResource(DynamodbTable);
    expect(json).toHaveDataSource(DataAwsDynamodbTable);
  });
});
