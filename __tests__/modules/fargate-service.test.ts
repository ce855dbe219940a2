import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { type App, TerraformStack, Testing } from "cdktf";
import { FargateService, type FargateServiceProps } from "../../modules/fargate-service";
import { ServiceRole } from "../../modules/service-role";
import { decodeJsonencode } from "../tf-json";

type Resources = Record<string, Record<string, Record<string, unknown>>>;

function newStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app() as App, "test");
  new AwsProvider(stack, "aws", { region: "us-east-1" });
  return stack;
}

function roles(stack: TerraformStack) {
  return {
    executionRole: new ServiceRole(stack, "execution", { name: "execution", assumedBy: "ecs-tasks.amazonaws.com" }),
    taskRole: new ServiceRole(stack, "task", { name: "task", assumedBy: "ecs-tasks.amazonaws.com" }),
  };
}

const BASE: Omit<FargateServiceProps, "executionRole" | "taskRole"> = {
  family: "app-web",
  cluster: { arn: "arn:aws:ecs:us-east-1:123456789012:cluster/app", name: "app" },
  containers: { name: "web", image: "repo/app@sha256:abc", port: 8080 },
  logGroupName: "/ecs/app",
  region: "us-east-1",
  subnetIds: ["subnet-a", "subnet-b"],
  securityGroupIds: ["sg-tasks"],
};

function synth(build: (stack: TerraformStack) => void): Resources {
  const stack = newStack();
  build(stack);
  return (JSON.parse(Testing.synth(stack)) as { resource: Resources }).resource;
}

function only<T = Record<string, unknown>>(resources: Resources, type: string): T {
  const all = Object.values(resources[type] ?? {});
  expect(all).toHaveLength(1);
  return all[0] as T;
}

describe("FargateService", () => {
  describe("sizes", () => {
    it("refuses a cpu/memory pair Fargate does not run, naming both props and listing the valid memory", () => {
      const stack = newStack();
      expect(() => new FargateService(stack, "svc", { ...BASE, ...roles(stack), cpu: 512, memoryMiB: 3000 })).toThrow(
        "app-web: cpu 512 / memoryMiB 3000: memory 3000 is not valid with cpu 512 (expected 1024, 2048, 3072 or 4096)",
      );
    });

    it("refuses a cpu that is not a Fargate size", () => {
      const stack = newStack();
      expect(() => new FargateService(stack, "svc", { ...BASE, ...roles(stack), cpu: 300, memoryMiB: 1024 })).toThrow(
        /cpu 300 is not a Fargate size \(expected 256, 512, 1024/,
      );
    });

    it("writes the task size as Fargate strings and pins the platform", () => {
      const r = synth((s) => new FargateService(s, "svc", { ...BASE, ...roles(s), cpu: 1024, memoryMiB: 3072 }));
      expect(only(r, "aws_ecs_task_definition")).toMatchObject({
        cpu: "1024",
        memory: "3072",
        network_mode: "awsvpc",
        requires_compatibilities: ["FARGATE"],
        runtime_platform: { operating_system_family: "LINUX", cpu_architecture: "X86_64" },
      });
    });
  });

  describe("roles", () => {
    it("refuses one role as both execution and task role", () => {
      const stack = newStack();
      const role = new ServiceRole(stack, "role", { name: "r", assumedBy: "ecs-tasks.amazonaws.com" });
      expect(() => new FargateService(stack, "svc", { ...BASE, executionRole: role, taskRole: role })).toThrow(
        /executionRole and taskRole are the same role; set sharedRoleAllowed/,
      );
      expect(
        () =>
          new FargateService(newStack(), "svc", {
            ...BASE,
            executionRole: "arn:aws:iam::123456789012:role/LabRole",
            taskRole: "arn:aws:iam::123456789012:role/LabRole",
          }),
      ).toThrow(/same role/);
    });

    it("accepts one role for both when the environment says it must (sharedRoleAllowed)", () => {
      const r = synth((s) => {
        const role = new ServiceRole(s, "lab", {
          name: "LabRole",
          assumedBy: "ecs-tasks.amazonaws.com",
          existingRoleName: "LabRole",
        });
        new FargateService(s, "svc", { ...BASE, executionRole: role, taskRole: role, sharedRoleAllowed: true });
      });
      const td = only(r, "aws_ecs_task_definition");
      expect(td.execution_role_arn).toMatch(/^\$\{data\.aws_iam_role\.lab_existing_[0-9A-F]+\.arn\}$/);
      expect(td.task_role_arn).toBe(td.execution_role_arn);
      expect(r.aws_iam_role).toBeUndefined();
    });

    it("takes roles as ServiceRole constructs or ARNs", () => {
      const r = synth(
        (s) =>
          new FargateService(s, "svc", {
            ...BASE,
            executionRole: new ServiceRole(s, "exec", { name: "exec", assumedBy: "ecs-tasks.amazonaws.com" }),
            taskRole: "arn:aws:iam::123456789012:role/task",
          }),
      );
      const td = only(r, "aws_ecs_task_definition");
      expect(td.execution_role_arn).toMatch(/^\$\{aws_iam_role\.exec_role_.*\.arn\}$/);
      expect(td.task_role_arn).toBe("arn:aws:iam::123456789012:role/task");
    });
  });

  describe("the container definitions", () => {
    let definitions: Record<string, unknown>[];
    let taskDefinition: Record<string, unknown>;
    beforeAll(() => {
      const r = synth(
        (s) =>
          new FargateService(s, "svc", {
            ...BASE,
            ...roles(s),
            containers: {
              name: "web",
              image: "repo/app@sha256:abc",
              command: ["webserver"],
              port: 8080,
              environment: { ZED: "last", ALPHA: "first" },
              secrets: { DB_URL: "arn:aws:ssm:us-east-1:123456789012:parameter/app/db-url" },
              healthCheck: { command: "curl -f http://localhost:8080/health || exit 1", startPeriodSeconds: 60 },
              streamPrefix: "webserver",
            },
            efsVolumes: [{ name: "dags", fileSystemId: "fs-1", accessPointId: "fsap-1", containerPath: "/opt/airflow/dags" }],
          }),
      );
      taskDefinition = only(r, "aws_ecs_task_definition");
      definitions = decodeJsonencode(taskDefinition.container_definitions as string) as Record<string, unknown>[];
    });

    it("are built with jsonencode so references resolve at apply time", () => {
      expect(taskDefinition.container_definitions).toMatch(/^\$\{jsonencode\(/);
    });

    it("pass plain variables as sorted environment pairs and secrets as valueFrom ARNs", () => {
      expect(definitions[0]).toMatchObject({
        name: "web",
        essential: true,
        command: ["webserver"],
        portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: "tcp" }],
        environment: [
          { name: "ALPHA", value: "first" },
          { name: "ZED", value: "last" },
        ],
        secrets: [{ name: "DB_URL", valueFrom: "arn:aws:ssm:us-east-1:123456789012:parameter/app/db-url" }],
      });
    });

    it("log to the group with the awslogs driver, region and stream prefix", () => {
      expect(definitions[0].logConfiguration).toEqual({
        logDriver: "awslogs",
        options: { "awslogs-group": "/ecs/app", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "webserver" },
      });
    });

    it("run the health check through the shell with ECS's defaults filled in", () => {
      expect(definitions[0].healthCheck).toEqual({
        command: ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"],
        interval: 30,
        timeout: 5,
        retries: 3,
        startPeriod: 60,
      });
    });

    it("mount EFS through its access point, encrypted in transit and authorized by IAM", () => {
      expect(definitions[0].mountPoints).toEqual([{ sourceVolume: "dags", containerPath: "/opt/airflow/dags", readOnly: false }]);
      expect(taskDefinition.volume).toEqual([
        {
          name: "dags",
          efs_volume_configuration: {
            file_system_id: "fs-1",
            transit_encryption: "ENABLED",
            authorization_config: { access_point_id: "fsap-1", iam: "ENABLED" },
          },
        },
      ]);
    });
  });

  it("refuses a variable that is both plain and secret", () => {
    const stack = newStack();
    expect(
      () =>
        new FargateService(stack, "svc", {
          ...BASE,
          ...roles(stack),
          containers: { name: "web", image: "i", environment: { TOKEN: "x" }, secrets: { TOKEN: "arn" } },
        }),
    ).toThrow(/TOKEN is in both environment and secrets/);
  });

  describe("the service", () => {
    let service: Record<string, unknown>;
    let r: Resources;
    beforeAll(() => {
      r = synth(
        (s) =>
          new FargateService(s, "svc", {
            ...BASE,
            ...roles(s),
            capacityProvider: "FARGATE_SPOT",
            platformVersion: "1.4.0",
            minimumHealthyPercent: 0,
            maximumPercent: 100,
          }),
      );
      service = only(r, "aws_ecs_service");
    });

    it("rolls a failing deployment back with the circuit breaker", () => {
      expect(service.deployment_circuit_breaker).toEqual({ enable: true, rollback: true });
      expect(service).toMatchObject({ deployment_minimum_healthy_percent: 0, deployment_maximum_percent: 100 });
    });

    it("uses a capacity provider strategy and therefore no launch type", () => {
      expect(service.capacity_provider_strategy).toEqual([{ capacity_provider: "FARGATE_SPOT", weight: 1, base: 0 }]);
      expect(service).not.toHaveProperty("launch_type");
      expect(service.platform_version).toBe("1.4.0");
    });

    it("propagates tags from the service and keeps ECS Exec off", () => {
      expect(service).toMatchObject({ propagate_tags: "SERVICE", enable_execute_command: false, desired_count: 1 });
    });

    it("runs in the given subnets without a public IP unless asked", () => {
      expect(service.network_configuration).toEqual({
        subnets: ["subnet-a", "subnet-b"],
        security_groups: ["sg-tasks"],
        assign_public_ip: false,
      });
    });

    it("has no load balancer, grace period or autoscaling unless asked", () => {
      expect(service).not.toHaveProperty("load_balancer");
      expect(service).not.toHaveProperty("health_check_grace_period_seconds");
      expect(r.aws_appautoscaling_target).toBeUndefined();
      expect(service).not.toHaveProperty("lifecycle");
    });
  });

  describe("with a target group and autoscaling", () => {
    let r: Resources;
    let svc: FargateService;
    beforeAll(() => {
      r = synth((s) => {
        svc = new FargateService(s, "svc", {
          ...BASE,
          ...roles(s),
          loadBalancer: {
            targetGroupArn: "arn:tg",
            containerName: "web",
            containerPort: 8080,
            healthCheckGracePeriodSeconds: 120,
          },
          autoscaling: {
            minCapacity: 1,
            maxCapacity: 4,
            cpuTargetPercent: 70,
            memoryTargetPercent: 80,
            scaleOutCooldownSeconds: 300,
            scaleInCooldownSeconds: 600,
          },
        });
      });
    });

    it("attaches the container to the target group with a health check grace period", () => {
      expect(only(r, "aws_ecs_service")).toMatchObject({
        load_balancer: [{ target_group_arn: "arn:tg", container_name: "web", container_port: 8080 }],
        health_check_grace_period_seconds: 120,
      });
    });

    it("leaves the desired count to Application Auto Scaling", () => {
      expect(only(r, "aws_ecs_service").lifecycle).toEqual({ ignore_changes: ["desired_count"] });
      expect(only(r, "aws_appautoscaling_target")).toMatchObject({
        service_namespace: "ecs",
        scalable_dimension: "ecs:service:DesiredCount",
        min_capacity: 1,
        max_capacity: 4,
      });
      expect(svc.scalableTarget).toBeDefined();
    });

    it("tracks average CPU and memory with the given cooldowns", () => {
      const policies = Object.values(r.aws_appautoscaling_policy).map((p) => p.target_tracking_scaling_policy_configuration);
      expect(policies).toEqual([
        {
          target_value: 70,
          predefined_metric_specification: { predefined_metric_type: "ECSServiceAverageCPUUtilization" },
          scale_out_cooldown: 300,
          scale_in_cooldown: 600,
        },
        {
          target_value: 80,
          predefined_metric_specification: { predefined_metric_type: "ECSServiceAverageMemoryUtilization" },
          scale_out_cooldown: 300,
          scale_in_cooldown: 600,
        },
      ]);
    });
  });

  it("refuses a deployment configuration that cannot replace a task", () => {
    const stack = newStack();
    expect(
      () => new FargateService(stack, "svc", { ...BASE, ...roles(stack), minimumHealthyPercent: 100, maximumPercent: 100 }),
    ).toThrow(/leave no room for a deployment/);
  });
});
