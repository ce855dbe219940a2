import { INCIDENT_INDEXES } from "../../stacks/data-stack";
import { type SynthesizedEnvironment, synthEnvironment } from "../helpers";

type Resource = Record<string, any>;

describe.each(["hackathon", "learner-lab", "production"] as const)("data stack in %s", (environment) => {
  let env: SynthesizedEnvironment;
  const production = environment === "production";
  beforeAll(() => {
    env = synthEnvironment(environment);
  });

  it("runs both PostgreSQL 15 databases privately, encrypted, TLS-only, with the environment's protection", () => {
    const instances = Object.values(env.resources<Resource>("data", "aws_db_instance"));
    expect(instances.map((i) => [i.identifier, i.db_name]).sort()).toEqual([
      ["alerta-utec-airflow", "airflow"],
      ["proyecto-nube", "proyecto_nube"],
    ]);
    for (const instance of instances) {
      expect(instance).toMatchObject({
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
      });
      expect(instance.password).toBeUndefined();
      expect(instance.password_wo).toMatch(/^\$\{ephemeral\.aws_secretsmanager_random_password\.\w+\.random_password\}$/);
    }
    for (const group of Object.values(env.resources<Resource>("data", "aws_db_parameter_group"))) {
      expect(group.family).toBe("postgres15");
      expect(group.parameter).toEqual([{ name: "rds.force_ssl", value: "1" }]);
    }
  });

  it("places each database behind its own matrix group", () => {
    const instances = env.resources<Resource>("data", "aws_db_instance");
    const groups = Object.fromEntries(Object.values(instances).map((i) => [i.identifier, i.vpc_security_group_ids]));
    expect(JSON.stringify(groups["alerta-utec-airflow"])).toMatch(/airflow-db/);
    expect(JSON.stringify(groups["proyecto-nube"])).toMatch(/video-db/);
  });

  it("publishes seed 000's SSM parameters, the secret ones as write-only SecureStrings", () => {
    const parameters = Object.values(env.resources<Resource>("data", "aws_ssm_parameter"));
    const byName = Object.fromEntries(parameters.map((p) => [p.name, p]));
    for (const name of ["host", "port", "name", "username"]) {
      expect(byName[`/alerta-utec-airflow/db/${name}`].type).toBe("String");
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
      expect(byName[name]).toMatchObject({ type: "SecureString", value_wo_version: 1 });
      expect(byName[name].value).toBeUndefined();
      expect(byName[name].value_wo).toContain("${ephemeral.aws_secretsmanager_random_password.");
    }
    expect(byName["/alerta-utec-airflow/db/sql-alchemy-conn"].value_wo).toMatch(
      /^postgresql\+psycopg2:\/\/\$\{aws_db_instance\.[^}]+\.username\}:\$\{ephemeral\.aws_secretsmanager_random_password\.airflow_db_password\.random_password\}@\$\{aws_db_instance\.[^}]+\.address\}:5432\/\$\{aws_db_instance\.[^}]+\.db_name\}\?sslmode=require$/,
    );
  });

  // Only on a new instance (its DbiResourceId), never on an in-place change of it: replacing the
  // parameters then would write a new password the database never receives (issue 18).
  it("replaces a password's parameters only with a new database instance, so both get the same new password", () => {
    const byName = Object.fromEntries(
      Object.values(env.resources<Resource>("data", "aws_ssm_parameter")).map((p) => [p.name, p]),
    );
    const trigger = (name: string) => byName[name].lifecycle?.replace_triggered_by;
    for (const name of ["/alerta-utec-airflow/db/password", "/alerta-utec-airflow/db/sql-alchemy-conn"]) {
      expect(trigger(name)).toEqual([expect.stringMatching(/^aws_db_instance\.airflow-db_instance_\w+\.resource_id$/)]);
    }
    expect(trigger("/proyecto-nube/database-url")).toEqual([
      expect.stringMatching(/^aws_db_instance\.video-db_instance_\w+\.resource_id$/),
    ]);
    expect(trigger("/alerta-utec-airflow/webserver/secret-key")).toBeUndefined();
  });

  it("creates EFS encrypted, bursting, IA after 7 days, mounted in both private subnets, with the two access points", () => {
    const [fs] = Object.values(env.resources<Resource>("data", "aws_efs_file_system"));
    expect(fs).toMatchObject({
      encrypted: true,
      performance_mode: "generalPurpose",
      throughput_mode: "bursting",
      lifecycle_policy: [{ transition_to_ia: "AFTER_7_DAYS" }],
    });
    expect(Object.keys(env.resources("data", "aws_efs_mount_target"))).toHaveLength(2);
    const points = Object.values(env.resources<Resource>("data", "aws_efs_access_point"));
    expect(points.map((p) => p.root_directory.path).sort()).toEqual(["/dags", "/logs"]);
    for (const point of points) {
      expect(point.posix_user).toEqual({ uid: 50000, gid: 0 });
      expect(point.root_directory.creation_info).toEqual({ owner_uid: 50000, owner_gid: 0, permissions: "755" });
    }
  });

  it("keeps both buckets private, owner-enforced, encrypted and TLS-only, with seed 000's expiry on the logs bucket", () => {
    const buckets = Object.values(env.resources<Resource>("data", "aws_s3_bucket")).map((b) => b.bucket);
    expect(buckets.sort()).toEqual([
      `alerta-utec-airflow-logs-${env.config.uniqueSuffix}`,
      `miso-proyecto-nube-${env.config.uniqueSuffix}`,
    ]);
    for (const block of Object.values(env.resources<Resource>("data", "aws_s3_bucket_public_access_block"))) {
      expect(block).toMatchObject({
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
    }
    for (const ownership of Object.values(env.resources<Resource>("data", "aws_s3_bucket_ownership_controls"))) {
      expect(ownership.rule.object_ownership).toBe("BucketOwnerEnforced");
    }
    expect(Object.keys(env.resources("data", "aws_s3_bucket_server_side_encryption_configuration"))).toHaveLength(2);
    const policies = Object.values(env.stack("data").data?.aws_iam_policy_document ?? {}).filter((d: any) =>
      JSON.stringify(d).includes("aws:SecureTransport"),
    );
    expect(policies.length).toBeGreaterThanOrEqual(2);
    const rules = Object.values(env.resources<Resource>("data", "aws_s3_bucket_lifecycle_configuration")).map((l) => l.rule);
    expect(rules).toHaveLength(2);
    for (const bucketRules of rules) {
      expect(bucketRules).toContainEqual(
        expect.objectContaining({
          id: "abort-incomplete-uploads",
          abort_incomplete_multipart_upload: [{ days_after_initiation: 1 }],
        }),
      );
    }
    expect(rules.flat().filter((r: Resource) => r.id === "expire-objects")).toEqual([
      expect.objectContaining({ expiration: [{ days: production ? 90 : 7 }] }),
    ]);
  });

  it(`${production ? "versions" : "does not version"} the video bucket, expiring old versions after 30 days`, () => {
    const versioning = Object.values(env.resources<Resource>("data", "aws_s3_bucket_versioning"));
    expect(versioning).toHaveLength(production ? 1 : 0);
    const noncurrent = Object.values(env.resources<Resource>("data", "aws_s3_bucket_lifecycle_configuration"))
      .flatMap((l) => l.rule)
      .filter((r: Resource) => r.noncurrent_version_expiration);
    expect(noncurrent.map((r: Resource) => r.noncurrent_version_expiration)).toEqual(
      production ? [[{ noncurrent_days: 30 }]] : [],
    );
  });

  it(`${production ? "monitors" : "does not monitor"} the databases (logs, Performance Insights, Enhanced Monitoring)`, () => {
    for (const instance of Object.values(env.resources<Resource>("data", "aws_db_instance"))) {
      if (production) {
        expect(instance).toMatchObject({
          enabled_cloudwatch_logs_exports: ["postgresql", "upgrade"],
          performance_insights_enabled: true,
          performance_insights_retention_period: 7,
          monitoring_interval: 60,
        });
        expect(instance.monitoring_role_arn).toMatch(/aws_iam_role\.rds-monitoring-role/);
      } else {
        expect(instance.monitoring_interval).toBeUndefined();
        expect(instance.performance_insights_enabled).toBeUndefined();
      }
    }
    const roles = Object.values(env.resources<Resource>("data", "aws_iam_role"));
    expect(roles.map((r) => r.name)).toEqual(production ? ["alerta-utec-rds-enhanced-monitoring"] : []);
  });

  it(`${production ? "has" : "does not have"} both load balancers write access logs to the logs bucket, which lets ELB deliver them`, () => {
    const documents = Object.values(env.stack("data").data?.aws_iam_policy_document ?? {}) as Resource[];
    const delivery = documents.flatMap((d) => d.statement).filter((s: Resource) => s.sid === "LoadBalancerAccessLogs");
    expect(delivery).toEqual(
      production
        ? [
            expect.objectContaining({
              effect: "Allow",
              actions: ["s3:PutObject"],
              principals: [{ type: "AWS", identifiers: [expect.stringMatching(/^\$\{data\.aws_elb_service_account\./)] }],
              resources: [expect.stringMatching(/^\$\{aws_s3_bucket\.airflow-logs-bucket_\w+\.arn\}\/alb\/\*$/)],
            }),
          ]
        : [],
    );
    for (const [stack, system] of [
      ["airflow", "alerta-utec-airflow"],
      ["video-pipeline", "proyecto-nube"],
    ] as const) {
      const [lb] = Object.values(env.resources<Resource>(stack, "aws_lb"));
      if (production) expect(lb.access_logs).toMatchObject({ enabled: true, prefix: `alb/${system}` });
      else expect(lb.access_logs).toBeUndefined();
    }
  });

  it("creates the queue with a dead-letter queue, encrypted, and a 1500 s visibility timeout", () => {
    const queues = Object.fromEntries(Object.values(env.resources<Resource>("data", "aws_sqs_queue")).map((q) => [q.name, q]));
    expect(queues["cola-nube"]).toMatchObject({ visibility_timeout_seconds: 1500, sqs_managed_sse_enabled: true });
    expect(queues["cola-nube"].redrive_policy).toMatch(/maxReceiveCount.*3/);
    expect(queues["cola-nube-dlq"]).toMatchObject({ sqs_managed_sse_enabled: true, message_retention_seconds: 1209600 });
    expect(Object.keys(env.resources("data", "aws_sqs_queue_redrive_allow_policy"))).toHaveLength(1);
  });

  it("creates the Incidents table on demand with PITR and the DAGs' sparse indexes", () => {
    const [table] = Object.values(env.resources<Resource>("data", "aws_dynamodb_table"));
    expect(table).toMatchObject({
      name: "Incidents",
      billing_mode: "PAY_PER_REQUEST",
      hash_key: "incidentId",
      point_in_time_recovery: { enabled: true },
    });
    expect(table.global_secondary_index).toEqual(
      Object.values(INCIDENT_INDEXES).map((i) => ({
        name: i.name,
        hash_key: i.hashKey,
        range_key: i.rangeKey,
        projection_type: "ALL",
      })),
    );
  });

  it("creates an encrypted SNS topic per priority and the SES identities of the sender and, for the sandbox, the recipient", () => {
    const topics = Object.values(env.resources<Resource>("data", "aws_sns_topic"));
    expect(topics.map((t) => t.name).sort()).toEqual([
      "alerta-utec-incidents-high",
      "alerta-utec-incidents-low",
      "alerta-utec-incidents-medium",
    ]);
    expect(topics.every((t) => t.kms_master_key_id === "alias/aws/sns")).toBe(true);
    const identities = Object.values(env.resources<Resource>("data", "aws_ses_email_identity")).map((i) => i.email);
    expect(identities.sort()).toEqual([env.config.data.reports.recipientAddress, env.config.data.reports.senderAddress].sort());
  });

  it("tags each system's resources with its system", () => {
    const [airflowDb, videoDb] = ["alerta-utec-airflow", "proyecto-nube"].map((id) =>
      Object.values(env.resources<Resource>("data", "aws_db_instance")).find((i) => i.identifier === id),
    );
    expect(airflowDb?.tags).toEqual({ system: "airflow" });
    expect(videoDb?.tags).toEqual({ system: "video-pipeline" });
  });
});

describe("an Incidents table that already exists", () => {
  it("is referenced, not created", () => {
    const env = synthEnvironment("hackathon", (c) => {
      c.data.incidentsTable.create = false;
    });
    expect(env.resources("data", "aws_dynamodb_table")).toEqual({});
    expect(env.stack("data").data?.aws_dynamodb_table).toBeDefined();
  });
});
