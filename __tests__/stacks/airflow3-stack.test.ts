/**
 * The Airflow line an environment runs (airflow.line): the 3.3 line's processes, commands,
 * health checks, secrets, IAM, security-group rule and Execution API URL in production, and the
 * 2.8 line unchanged in hackathon. Every environment is synthesized once (global-setup.ts).
 */
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { ServiceDiscoveryPrivateDnsNamespace } from "@cdktf/provider-aws/lib/service-discovery-private-dns-namespace";
import { ServiceDiscoveryService } from "@cdktf/provider-aws/lib/service-discovery-service";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
// The global typings of the matchers that setup.ts registers.
import type {} from "cdktf/lib/testing/adapters/jest";
import { AIRFLOW_LINES } from "../../config/airflow-lines";
import { ruleName } from "../../modules/security-group-matrix";
import { AIRFLOW_PRIVATE_NAMESPACE } from "../../stacks/airflow-stack";
import { securityRules } from "../../stacks/security-matrix";
import { type SynthesizedEnvironment, synthEnvironment } from "../helpers";
import { decodeJsonencode } from "../modules/jsonencode";

type Container = {
  name: string;
  command: string[];
  environment: { name: string; value: string }[];
  secrets: { name: string; valueFrom: string }[];
  healthCheck?: { command: string[]; startPeriod: number };
  portMappings: { containerPort: number }[];
};
type Statement = { Sid: string; Action: string[]; Resource: string[] };

/** Argument names are camelCase in TypeScript; map keys (tags, dimensions) are left as they are. */
const snake = (key: string) => (/^[a-z]/.test(key) ? key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : key);
/**
 * Properties for cdktf's Jest matchers, which compare keys as synthesized (snake case) and nested
 * objects whole: camelCase keys become snake case, objects match as a subset at every depth,
 * arrays match whole (each element a subset).
 */
function props(value: unknown): any {
  if (Array.isArray(value)) return value.map(props);
  if (value && typeof value === "object" && !("asymmetricMatch" in value)) {
    return expect.objectContaining(Object.fromEntries(Object.entries(value).map(([k, v]) => [snake(k), props(v)])));
  }
  return value;
}
/** The top level of a matcher's properties (the adapter wraps it in objectContaining itself). */
const synthesized = (properties: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(properties).map(([k, v]) => [snake(k), props(v)]));

/** The one container of each Airflow task definition, by container name. */
function containers(env: SynthesizedEnvironment): Record<string, Container> {
  const out: Record<string, Container> = {};
  for (const td of Object.values(env.resources<{ container_definitions: string }>("airflow", "aws_ecs_task_definition"))) {
    const [container] = decodeJsonencode(td.container_definitions) as Container[];
    out[container.name] = container;
  }
  return out;
}

const envOf = (c: Container) => Object.fromEntries(c.environment.map((e) => [e.name, e.value]));
const secretsOf = (c: Container) => Object.fromEntries(c.secrets.map((s) => [s.name, s.valueFrom]));

/** Statements of each Airflow role's inline policy, by the role's name. */
function policies(env: SynthesizedEnvironment): Record<string, Statement[]> {
  const roles = env.resources<{ name: string }>("airflow", "aws_iam_role");
  const out: Record<string, Statement[]> = {};
  for (const policy of Object.values(env.resources<{ role: string; policy: string }>("airflow", "aws_iam_role_policy"))) {
    const roleId = /aws_iam_role\.([^.]+)\.id/.exec(policy.role)?.[1] ?? "";
    out[roles[roleId].name] = (decodeJsonencode(policy.policy) as { Statement: Statement[] }).Statement;
  }
  return out;
}

/** The SSM parameter an ECS secret's valueFrom names, as the data stack's output reference spells it. */
const parameter = (path: string) => `ssm--alerta-utec-airflow--${path.replace(/\//g, "--")}arn`;

const SECRET_LOOKING = /PASSWORD|SECRET|FERNET|SQL_ALCHEMY_CONN|TOKEN/;
const EXECUTION_API_URL = `http://api-server.${AIRFLOW_PRIVATE_NAMESPACE}:8080/execution/`;

describe("the Airflow 3.3 line (production)", () => {
  let env: SynthesizedEnvironment;
  let byName: Record<string, Container>;
  beforeAll(() => {
    env = synthEnvironment("production");
    byName = containers(env);
  });

  it("is the line production's config chooses", () => {
    expect(env.config.airflow.line).toBe("3.3");
  });

  it("runs the api-server, exactly one scheduler, a dag-processor and a triggerer, each its own service", () => {
    expect(Object.keys(byName).sort()).toEqual(["api-server", "dag-processor", "scheduler", "triggerer"]);
    const json = env.json("airflow");
    for (const component of ["scheduler", "dag-processor"]) {
      expect(json).toHaveResourceWithProperties(
        EcsService,
        synthesized({
          name: `alerta-utec-airflow-${component}`,
          desiredCount: 1,
          // Stop the old before the new starts: two never run at once.
          deploymentMinimumHealthyPercent: 0,
          deploymentMaximumPercent: 100,
        }),
      );
    }
    expect(json).toHaveResourceWithProperties(
      EcsService,
      synthesized({ name: "alerta-utec-airflow-triggerer", desiredCount: 1 }),
    );
    expect(json).not.toHaveResourceWithProperties(EcsService, synthesized({ name: "alerta-utec-airflow-webserver" }));
  });

  it("gives each process its 3.x command", () => {
    for (const component of ["api-server", "scheduler", "dag-processor", "triggerer"]) {
      expect(byName[component].command).toEqual([component]);
    }
  });

  it("lets the api-server trust the load balancer's X-Forwarded-* headers, which the image's --proxy-headers reads", () => {
    expect(envOf(byName["api-server"]).FORWARDED_ALLOW_IPS).toBe("*");
    for (const component of ["scheduler", "dag-processor", "triggerer"])
      expect(envOf(byName[component])).not.toHaveProperty("FORWARDED_ALLOW_IPS");
  });

  it("bounds the scheduler's LocalExecutor workers by the configured parallelism, which its memory was sized for", () => {
    expect(env.config.airflow.scheduler.parallelism).toBe(8);
    expect(envOf(byName.scheduler).AIRFLOW__CORE__PARALLELISM).toBe("8");
    for (const component of ["api-server", "dag-processor", "triggerer"]) {
      expect(envOf(byName[component])).not.toHaveProperty("AIRFLOW__CORE__PARALLELISM");
    }
  });

  it("sizes each process's task from the config", () => {
    const { webserver, scheduler, dagProcessor, triggerer } = env.config.airflow;
    const sizes = Object.fromEntries(
      Object.values(env.resources<{ family: string; cpu: string; memory: string }>("airflow", "aws_ecs_task_definition")).map(
        (td) => [td.family.replace("alerta-utec-airflow-", ""), [Number(td.cpu), Number(td.memory)]],
      ),
    );
    expect(sizes).toEqual({
      "api-server": [webserver.cpu, webserver.memoryMiB],
      scheduler: [scheduler.cpu, scheduler.memoryMiB],
      "dag-processor": [dagProcessor?.cpu, dagProcessor?.memoryMiB],
      triggerer: [triggerer?.cpu, triggerer?.memoryMiB],
    });
  });

  it("autoscales the api-server behind the load balancer as the webserver was", () => {
    const { autoscaling } = env.config.airflow.webserver;
    expect(env.json("airflow")).toHaveResourceWithProperties(
      EcsService,
      synthesized({
        name: "alerta-utec-airflow-api-server",
        desiredCount: autoscaling.minCapacity,
        loadBalancer: [{ containerName: "api-server", containerPort: 8080 }],
      }),
    );
    const targets = Object.values(
      env.resources<{ min_capacity: number; max_capacity: number; resource_id: string }>("airflow", "aws_appautoscaling_target"),
    );
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({ min_capacity: autoscaling.minCapacity, max_capacity: autoscaling.maxCapacity });
    expect(targets[0].resource_id).toMatch(/aws_ecs_service\.api-server_service_\w+\.name/);
  });

  it("checks the api-server's health on /api/v2/monitor/health, the others with airflow jobs check", () => {
    expect(env.json("airflow")).toHaveResourceWithProperties(
      LbTargetGroup,
      synthesized({
        healthCheck: { path: "/api/v2/monitor/health", port: "traffic-port" },
      }),
    );
    expect(byName["api-server"].healthCheck?.command).toEqual([
      "CMD-SHELL",
      "curl -f http://localhost:8080/api/v2/monitor/health || exit 1",
    ]);
    const jobs = { scheduler: "SchedulerJob", "dag-processor": "DagProcessorJob", triggerer: "TriggererJob" };
    for (const [component, jobType] of Object.entries(jobs)) {
      expect(byName[component].healthCheck?.command).toEqual(["CMD-SHELL", `airflow jobs check --job-type ${jobType} --local`]);
    }
  });

  it("gives every container the same database URL, API secret key, JWT secret and Fernet key as ECS secrets, and the admin password to the api-server only", () => {
    const common = {
      AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: expect.stringContaining(parameter("db/sql-alchemy-conn")),
      AIRFLOW__API__SECRET_KEY: expect.stringContaining(parameter("webserver/secret-key")),
      AIRFLOW__API_AUTH__JWT_SECRET: expect.stringContaining(parameter("api/jwt-secret")),
      AIRFLOW__CORE__FERNET_KEY: expect.stringContaining(parameter("core/fernet-key")),
    };
    expect(secretsOf(byName["api-server"])).toEqual({
      ...common,
      AIRFLOW_ADMIN_PASSWORD: expect.stringContaining(parameter("webserver/admin-password")),
    });
    for (const component of ["scheduler", "dag-processor", "triggerer"]) {
      expect(secretsOf(byName[component])).toEqual(common);
      // Identical, not merely present: the same parameter in every container.
      expect(secretsOf(byName[component])).toEqual(
        Object.fromEntries(Object.keys(common).map((k) => [k, secretsOf(byName["api-server"])[k]])),
      );
    }
  });

  it("puts no secret in any container's plain environment", () => {
    for (const container of Object.values(byName)) {
      const names = Object.keys(envOf(container));
      expect(names.filter((name) => SECRET_LOOKING.test(name))).toEqual([]);
      expect(names.filter((name) => name in secretsOf(container))).toEqual([]);
    }
  });

  it("sends the task processes to the Execution API by the api-server's private name, not through the load balancer", () => {
    for (const container of Object.values(byName)) {
      expect(envOf(container).AIRFLOW__CORE__EXECUTION_API_SERVER_URL).toBe(EXECUTION_API_URL);
      expect(envOf(container).AIRFLOW__API__BASE_URL).toMatch(/^http:\/\/\$\{aws_lb\./);
    }
    const json = env.json("airflow");
    expect(json).toHaveResourceWithProperties(
      ServiceDiscoveryPrivateDnsNamespace,
      synthesized({
        name: AIRFLOW_PRIVATE_NAMESPACE,
        vpc: expect.stringContaining("aws_vpcvpcid"),
      }),
    );
    expect(json).toHaveResourceWithProperties(
      ServiceDiscoveryService,
      synthesized({
        name: "api-server",
        dnsConfig: { dnsRecords: [{ type: "A", ttl: 10 }], routingPolicy: "MULTIVALUE" },
      }),
    );
    expect(json).toHaveResourceWithProperties(
      EcsService,
      synthesized({
        name: "alerta-utec-airflow-api-server",
        serviceRegistries: {
          registryArn: expect.stringMatching(/aws_service_discovery_service\.api-server-name_service_\w+\.arn/),
        },
      }),
    );
  });

  it("answers the Execution API's paths at the load balancer with a 404 of its own", () => {
    expect(env.json("airflow")).toHaveResourceWithProperties(
      LbListenerRule,
      synthesized({
        priority: 1,
        condition: [{ pathPattern: { values: ["/execution", "/execution/*"] } }],
        action: [{ type: "fixed-response", fixedResponse: { statusCode: "404" } }],
      }),
    );
  });

  it("lets the task processes reach the api-server's port inside the tasks' group, as a named matrix rule", () => {
    const name = "airflow-tasks->airflow-tasks:8080";
    for (const Rule of [VpcSecurityGroupIngressRule, VpcSecurityGroupEgressRule]) {
      expect(env.json("network")).toHaveResourceWithProperties(
        Rule,
        synthesized({
          fromPort: 8080,
          toPort: 8080,
          securityGroupId: expect.stringMatching(/airflow-tasks/),
          referencedSecurityGroupId: expect.stringMatching(/airflow-tasks/),
          tags: { Name: name },
        }),
      );
    }
    expect(securityRules({ airflowHttps: false, videoHttps: false, airflowExecutionApi: true }).map(ruleName)).toContain(name);
  });

  it("lets the execution role read exactly the line's five parameters", () => {
    const read = policies(env)["alerta-utec-airflow-execution"].find((s) => s.Sid === "ReadAirflowSecrets");
    expect(read?.Action).toEqual(["ssm:GetParameters"]);
    const paths = [
      "db/sql-alchemy-conn",
      "webserver/secret-key",
      "webserver/admin-password",
      "api/jwt-secret",
      "core/fernet-key",
    ];
    expect(read?.Resource).toHaveLength(paths.length);
    for (const path of paths) expect(read?.Resource.some((arn) => arn.includes(parameter(path)))).toBe(true);
  });

  it("gives the DAGs' AWS permissions to the scheduler's role only; the other processes only mount EFS", () => {
    const all = policies(env);
    expect(all["alerta-utec-airflow-scheduler-task"].map((s) => s.Sid)).toEqual([
      "MountAirflowEfsThroughAccessPoints",
      "ReadAndUpdateIncidents",
      "PublishIncidentNotifications",
      "SendDailyReport",
      "ReadWriteBackupObjects",
      "ListBackupBucket",
      "PutIncidentMetrics",
    ]);
    for (const component of ["api-server", "dag-processor", "triggerer"]) {
      expect(all[`alerta-utec-airflow-${component}-task`].map((s) => s.Sid)).toEqual(["MountAirflowEfsThroughAccessPoints"]);
    }
  });

  it("alarms when the scheduler, the dag-processor or the triggerer stops running, and when no api-server is healthy", () => {
    const json = env.json("airflow");
    for (const component of ["scheduler", "dag-processor", "triggerer"]) {
      expect(json).toHaveResourceWithProperties(
        CloudwatchMetricAlarm,
        synthesized({
          alarmName: `alerta-utec-airflow-${component}-not-running`,
          namespace: "AWS/ECS",
          statistic: "SampleCount",
          treatMissingData: "breaching",
          dimensions: { ServiceName: expect.stringMatching(new RegExp(`aws_ecs_service\\.${component}_service_\\w+\\.name`)) },
        }),
      );
    }
    expect(json).toHaveResourceWithProperties(
      CloudwatchMetricAlarm,
      synthesized({
        alarmName: "alerta-utec-airflow-no-healthy-api-server",
        metricName: "HealthyHostCount",
      }),
    );
  });

  it("generates the JWT secret and a Fernet-shaped key write-only, as SecureStrings", () => {
    const data = env.stack("data") as { ephemeral?: Record<string, Record<string, { password_length: number }>> };
    const generated = data.ephemeral?.aws_secretsmanager_random_password ?? {};
    expect(generated.airflow_jwt_secret.password_length).toBeGreaterThanOrEqual(32);
    // 43 base64 characters and one "=": the URL-safe base64 of 32 bytes.
    expect(generated.airflow_fernet_key.password_length).toBe(43);
    const parameters = Object.values(env.resources<Record<string, unknown>>("data", "aws_ssm_parameter"));
    expect(parameters).toContainEqual(
      expect.objectContaining({
        name: "/alerta-utec-airflow/core/fernet-key",
        type: "SecureString",
        value_wo: "${ephemeral.aws_secretsmanager_random_password.airflow_fernet_key.random_password}=",
      }),
    );
    expect(parameters).toContainEqual(
      expect.objectContaining({
        name: "/alerta-utec-airflow/api/jwt-secret",
        type: "SecureString",
        value_wo: "${ephemeral.aws_secretsmanager_random_password.airflow_jwt_secret.random_password}",
      }),
    );
    for (const p of parameters) expect(p).not.toHaveProperty("value", expect.stringContaining("ephemeral"));
  });

  it("builds the image with the line's build args", () => {
    const images = Object.values(env.resources<{ build: { build_args?: Record<string, string> } }>("airflow", "docker_image"));
    expect(images.map((i) => i.build.build_args)).toEqual([
      { AIRFLOW_LINE: "3.3", AIRFLOW_VERSION: AIRFLOW_LINES["3.3"].version },
    ]);
  });
});

describe("the Airflow 2.8 line (hackathon)", () => {
  let env: SynthesizedEnvironment;
  let byName: Record<string, Container>;
  beforeAll(() => {
    env = synthEnvironment("hackathon");
    byName = containers(env);
  });

  it("keeps seed 000's webserver and scheduler with their 2.x commands and health checks", () => {
    expect(env.config.airflow.line).toBe("2.8");
    expect(Object.keys(byName).sort()).toEqual(["scheduler", "webserver"]);
    expect(byName.webserver.command).toEqual(["webserver"]);
    expect(byName.scheduler.command).toEqual(["scheduler"]);
    expect(byName.webserver.healthCheck?.command).toEqual(["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"]);
    expect(env.json("airflow")).toHaveResourceWithProperties(LbTargetGroup, synthesized({ healthCheck: { path: "/health" } }));
  });

  it("leaves [core] parallelism at Airflow's default where the config sets none", () => {
    expect(env.config.airflow.scheduler.parallelism).toBeUndefined();
    expect(envOf(byName.scheduler)).not.toHaveProperty("AIRFLOW__CORE__PARALLELISM");
  });

  it("injects the 2.x secrets only, under their 2.x names", () => {
    expect(Object.keys(secretsOf(byName.scheduler)).sort()).toEqual([
      "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
      "AIRFLOW__WEBSERVER__SECRET_KEY",
    ]);
    expect(Object.keys(secretsOf(byName.webserver))).toContain("AIRFLOW_ADMIN_PASSWORD");
    const data = env.stack("data") as { ephemeral?: Record<string, Record<string, unknown>> };
    expect(Object.keys(data.ephemeral?.aws_secretsmanager_random_password ?? {})).not.toContain("airflow_fernet_key");
  });

  it("has no Execution API: no private name, no URL, no rule inside the tasks' group", () => {
    for (const container of Object.values(byName))
      expect(envOf(container)).not.toHaveProperty("AIRFLOW__CORE__EXECUTION_API_SERVER_URL");
    expect(env.json("airflow")).not.toHaveResource(ServiceDiscoveryService);
    expect(env.json("airflow")).not.toHaveResource(LbListenerRule);
    expect(env.json("network")).not.toHaveResourceWithProperties(
      VpcSecurityGroupIngressRule,
      synthesized({
        tags: { Name: "airflow-tasks->airflow-tasks:8080" },
      }),
    );
  });

  it("builds the image with the 2.8 build args", () => {
    const images = Object.values(env.resources<{ build: { build_args?: Record<string, string> } }>("airflow", "docker_image"));
    expect(images.map((i) => i.build.build_args)).toEqual([{ AIRFLOW_LINE: "2.8", AIRFLOW_VERSION: "2.8.0" }]);
  });
});
