/**
 * The Airflow line an environment runs (airflow.line): the 3.3 line's processes, commands,
 * health checks, secrets, IAM, security-group rule and Execution API URL in production, and the
 * 2.8 line unchanged in hackathon. Every environment is synthesized once (global-setup.ts).
 */
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { ServiceDiscoveryPrivateDnsNamespace } from "@cdktf/provider-aws/lib/service-discovery-private-dns-namespace";
import { ServiceDiscoveryService } from "@cdktf/provider-aws/lib/service-discovery-service";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Image } from "@cdktf/provider-docker/lib/image";
import { AIRFLOW_LINES } from "../../config/airflow-lines";
import { ruleName } from "../../modules/security-group-matrix";
import { AIRFLOW_PRIVATE_NAMESPACE } from "../../stacks/airflow-stack";
import { securityRules } from "../../stacks/security-matrix";
import {
  type ContainerDefinition,
  containersByName,
  environmentOf as envOf,
  resourcesOf,
  secretsOf,
  statementsByRole,
} from "../../tools/synthesized/tf-json";
import { type SynthesizedEnvironment, synthEnvironment } from "../helpers";

/** The SSM parameter an ECS secret's valueFrom names, as the data stack's output reference spells it. */
const parameter = (path: string) => `ssm--alerta-utec-airflow--${path.replace(/\//g, "--")}arn`;

const SECRET_LOOKING = /PASSWORD|SECRET|FERNET|SQL_ALCHEMY_CONN|TOKEN/;
const EXECUTION_API_URL = `http://api-server.${AIRFLOW_PRIVATE_NAMESPACE}:8080/execution/`;

describe("the Airflow 3.3 line (production)", () => {
  let env: SynthesizedEnvironment;
  let byName: Record<string, ContainerDefinition>;
  beforeAll(() => {
    env = synthEnvironment("production");
    byName = containersByName(env.json("airflow"));
  });

  it("is the line production's config chooses", () => {
    expect(env.config.airflow.line).toBe("3.3");
  });

  it("runs the api-server, exactly one scheduler, a dag-processor and a triggerer, each its own service", () => {
    expect(Object.keys(byName).sort()).toEqual(["api-server", "dag-processor", "scheduler", "triggerer"]);
    const json = env.json("airflow");
    for (const component of ["scheduler", "dag-processor"]) {
      expect(json).toHaveResourceWithProperties(EcsService, {
        name: `alerta-utec-airflow-${component}`,
        desired_count: 1,
        // Stop the old before the new starts: two never run at once.
        deployment_minimum_healthy_percent: 0,
        deployment_maximum_percent: 100,
      });
    }
    expect(json).toHaveResourceWithProperties(EcsService, { name: "alerta-utec-airflow-triggerer", desired_count: 1 });
    expect(json).not.toHaveResourceWithProperties(EcsService, { name: "alerta-utec-airflow-webserver" });
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
      resourcesOf(env.json("airflow"), EcsTaskDefinition).map((td) => [
        td.family.replace("alerta-utec-airflow-", ""),
        [Number(td.cpu), Number(td.memory)],
      ]),
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
    const json = env.json("airflow");
    expect(json).toHaveResourceWithProperties(EcsService, {
      name: "alerta-utec-airflow-api-server",
      desired_count: autoscaling.minCapacity,
      load_balancer: [expect.objectContaining({ container_name: "api-server", container_port: 8080 })],
    });
    expect(json).toHaveResourceWithProperties(AppautoscalingTarget, {
      min_capacity: autoscaling.minCapacity,
      max_capacity: autoscaling.maxCapacity,
      resource_id: expect.stringMatching(/aws_ecs_service\.api-server_service_\w+\.name/),
    });
    expect(resourcesOf(json, AppautoscalingTarget)).toHaveLength(1);
  });

  it("checks the api-server's health on /api/v2/monitor/health, the others with airflow jobs check", () => {
    expect(env.json("airflow")).toHaveResourceWithProperties(LbTargetGroup, {
      health_check: expect.objectContaining({ path: "/api/v2/monitor/health", port: "traffic-port" }),
    });
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
    expect(json).toHaveResourceWithProperties(ServiceDiscoveryPrivateDnsNamespace, {
      name: AIRFLOW_PRIVATE_NAMESPACE,
      vpc: expect.stringContaining("aws_vpcvpcid"),
    });
    expect(json).toHaveResourceWithProperties(ServiceDiscoveryService, {
      name: "api-server",
      dns_config: expect.objectContaining({
        dns_records: [expect.objectContaining({ type: "A", ttl: 10 })],
        routing_policy: "MULTIVALUE",
      }),
      // What AWS stores and returns: an empty block reads back different and replaces the
      // service on every plan (found by make e2e).
      health_check_custom_config: { failure_threshold: 1 },
    });
    expect(json).toHaveResourceWithProperties(EcsService, {
      name: "alerta-utec-airflow-api-server",
      service_registries: expect.objectContaining({
        registry_arn: expect.stringMatching(/aws_service_discovery_service\.api-server-name_service_\w+\.arn/),
      }),
    });
  });

  it("answers the Execution API's paths at the load balancer with a 404 of its own", () => {
    expect(env.json("airflow")).toHaveResourceWithProperties(LbListenerRule, {
      priority: 1,
      condition: [expect.objectContaining({ path_pattern: expect.objectContaining({ values: ["/execution", "/execution/*"] }) })],
      action: [
        expect.objectContaining({ type: "fixed-response", fixed_response: expect.objectContaining({ status_code: "404" }) }),
      ],
    });
  });

  it("lets the task processes reach the api-server's port inside the tasks' group, as a named matrix rule", () => {
    const name = "airflow-tasks->airflow-tasks:8080";
    for (const Rule of [VpcSecurityGroupIngressRule, VpcSecurityGroupEgressRule]) {
      expect(env.json("network")).toHaveResourceWithProperties(Rule, {
        from_port: 8080,
        to_port: 8080,
        security_group_id: expect.stringMatching(/airflow-tasks/),
        referenced_security_group_id: expect.stringMatching(/airflow-tasks/),
        tags: expect.objectContaining({ Name: name }),
      });
    }
    expect(securityRules({ airflowHttps: false, videoHttps: false, airflowExecutionApi: true }).map(ruleName)).toContain(name);
  });

  it("lets the execution role read exactly the line's five parameters", () => {
    const read = statementsByRole(env.json("airflow"))["alerta-utec-airflow-execution"].find(
      (s) => s.Sid === "ReadAirflowSecrets",
    );
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
    const all = statementsByRole(env.json("airflow"));
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
      expect(json).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
        alarm_name: `alerta-utec-airflow-${component}-not-running`,
        namespace: "AWS/ECS",
        statistic: "SampleCount",
        treat_missing_data: "breaching",
        dimensions: expect.objectContaining({
          ServiceName: expect.stringMatching(new RegExp(`aws_ecs_service\\.${component}_service_\\w+\\.name`)),
        }),
      });
    }
    expect(json).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: "alerta-utec-airflow-no-healthy-api-server",
      metric_name: "HealthyHostCount",
    });
  });

  it("generates the JWT secret and a Fernet-shaped key write-only, as SecureStrings", () => {
    const data = env.stack("data") as { ephemeral?: Record<string, Record<string, { password_length: number }>> };
    const generated = data.ephemeral?.aws_secretsmanager_random_password ?? {};
    expect(generated.airflow_jwt_secret.password_length).toBeGreaterThanOrEqual(32);
    // 43 base64 characters and one "=": the URL-safe base64 of 32 bytes.
    expect(generated.airflow_fernet_key.password_length).toBe(43);
    const json = env.json("data");
    expect(json).toHaveResourceWithProperties(SsmParameter, {
      name: "/alerta-utec-airflow/core/fernet-key",
      type: "SecureString",
      value_wo: "${ephemeral.aws_secretsmanager_random_password.airflow_fernet_key.random_password}=",
    });
    expect(json).toHaveResourceWithProperties(SsmParameter, {
      name: "/alerta-utec-airflow/api/jwt-secret",
      type: "SecureString",
      value_wo: "${ephemeral.aws_secretsmanager_random_password.airflow_jwt_secret.random_password}",
    });
    expect(json).toHaveResource(SsmParameter);
    expect(json).not.toHaveResourceWithProperties(SsmParameter, { value: expect.stringContaining("ephemeral") });
  });

  it("builds the image with the line's build args", () => {
    const json = env.json("airflow");
    expect(json).toHaveResourceWithProperties(Image, {
      build: expect.objectContaining({ build_args: { AIRFLOW_LINE: "3.3", AIRFLOW_VERSION: AIRFLOW_LINES["3.3"].version } }),
    });
    expect(resourcesOf(json, Image)).toHaveLength(1);
  });
});

describe("the Airflow 2.8 line (hackathon)", () => {
  let env: SynthesizedEnvironment;
  let byName: Record<string, ContainerDefinition>;
  beforeAll(() => {
    env = synthEnvironment("hackathon");
    byName = containersByName(env.json("airflow"));
  });

  it("keeps seed 000's webserver and scheduler with their 2.x commands and health checks", () => {
    expect(env.config.airflow.line).toBe("2.8");
    expect(Object.keys(byName).sort()).toEqual(["scheduler", "webserver"]);
    expect(byName.webserver.command).toEqual(["webserver"]);
    expect(byName.scheduler.command).toEqual(["scheduler"]);
    expect(byName.webserver.healthCheck?.command).toEqual(["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"]);
    expect(env.json("airflow")).toHaveResourceWithProperties(LbTargetGroup, {
      health_check: expect.objectContaining({ path: "/health" }),
    });
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
    expect(env.json("network")).not.toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
      tags: expect.objectContaining({ Name: "airflow-tasks->airflow-tasks:8080" }),
    });
  });

  it("builds the image with the 2.8 build args", () => {
    const json = env.json("airflow");
    expect(json).toHaveResourceWithProperties(Image, {
      build: expect.objectContaining({ build_args: { AIRFLOW_LINE: "2.8", AIRFLOW_VERSION: "2.8.0" } }),
    });
    expect(resourcesOf(json, Image)).toHaveLength(1);
  });
});
