import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { Testing } from "cdktf";
import type { Construct } from "constructs";
import { FargateService, type FargateServiceProps } from "../../modules/fargate-service";
import { ServiceRole } from "../../modules/service-role";
import { type ContainerDefinition, containerDefinitions, onlyResource, resourcesOf } from "../../tools/synthesized/tf-json";

function roles(scope: Construct) {
  return {
    executionRole: new ServiceRole(scope, "execution", { name: "execution", assumedBy: "ecs-tasks.amazonaws.com" }),
    taskRole: new ServiceRole(scope, "task", { name: "task", assumedBy: "ecs-tasks.amazonaws.com" }),
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

/** A service with its own two roles, with `props` over BASE, synthesized alone. */
const synthService = (props: Partial<FargateServiceProps> = {}): string =>
  Testing.synthScope((scope) => new FargateService(scope, "svc", { ...BASE, ...roles(scope), ...props }));

describe("FargateService", () => {
  describe("sizes", () => {
    it("refuses a cpu/memory pair Fargate does not run, naming both props and listing the valid memory", () => {
      expect(() => synthService({ cpu: 512, memoryMiB: 3000 })).toThrow(
        "app-web: cpu 512 / memoryMiB 3000: memory 3000 is not valid with cpu 512 (expected 1024, 2048, 3072 or 4096)",
      );
    });

    it("refuses a cpu that is not a Fargate size", () => {
      expect(() => synthService({ cpu: 300, memoryMiB: 1024 })).toThrow(
        /cpu 300 is not a Fargate size \(expected 256, 512, 1024/,
      );
    });

    it("writes the task size as Fargate strings and pins the platform", () => {
      const json = synthService({ cpu: 1024, memoryMiB: 3072 });
      expect(json).toHaveResourceWithProperties(EcsTaskDefinition, {
        cpu: "1024",
        memory: "3072",
        network_mode: "awsvpc",
        requires_compatibilities: ["FARGATE"],
        runtime_platform: { operating_system_family: "LINUX", cpu_architecture: "X86_64" },
      });
      expect(resourcesOf(json, EcsTaskDefinition)).toHaveLength(1);
    });
  });

  describe("roles", () => {
    it("refuses one role as both execution and task role", () => {
      expect(() =>
        Testing.synthScope((scope) => {
          const role = new ServiceRole(scope, "role", { name: "r", assumedBy: "ecs-tasks.amazonaws.com" });
          new FargateService(scope, "svc", { ...BASE, executionRole: role, taskRole: role });
        }),
      ).toThrow(/executionRole and taskRole are the same role; set sharedRoleAllowed/);
      expect(() =>
        Testing.synthScope(
          (scope) =>
            new FargateService(scope, "svc", {
              ...BASE,
              executionRole: "arn:aws:iam::123456789012:role/LabRole",
              taskRole: "arn:aws:iam::123456789012:role/LabRole",
            }),
        ),
      ).toThrow(/same role/);
    });

    it("accepts one role for both when the environment says it must (sharedRoleAllowed)", () => {
      const json = Testing.synthScope((scope) => {
        const role = new ServiceRole(scope, "lab", {
          name: "LabRole",
          assumedBy: "ecs-tasks.amazonaws.com",
          existingRoleName: "LabRole",
        });
        new FargateService(scope, "svc", { ...BASE, executionRole: role, taskRole: role, sharedRoleAllowed: true });
      });
      const td = onlyResource(json, EcsTaskDefinition);
      expect(td.execution_role_arn).toMatch(/^\$\{data\.aws_iam_role\.lab_existing_[0-9A-F]+\.arn\}$/);
      expect(td.task_role_arn).toBe(td.execution_role_arn);
      expect(json).not.toHaveResource(IamRole);
    });

    it("takes roles as ServiceRole constructs or ARNs", () => {
      const json = Testing.synthScope(
        (scope) =>
          new FargateService(scope, "svc", {
            ...BASE,
            executionRole: new ServiceRole(scope, "exec", { name: "exec", assumedBy: "ecs-tasks.amazonaws.com" }),
            taskRole: "arn:aws:iam::123456789012:role/task",
          }),
      );
      expect(json).toHaveResourceWithProperties(EcsTaskDefinition, {
        execution_role_arn: expect.stringMatching(/^\$\{aws_iam_role\.exec_role_.*\.arn\}$/),
        task_role_arn: "arn:aws:iam::123456789012:role/task",
      });
    });
  });

  describe("the container definitions", () => {
    let definitions: ContainerDefinition[];
    let json: string;
    beforeAll(() => {
      json = synthService({
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
      });
      definitions = containerDefinitions(onlyResource(json, EcsTaskDefinition));
    });

    it("are built with jsonencode so references resolve at apply time", () => {
      expect(json).toHaveResourceWithProperties(EcsTaskDefinition, {
        container_definitions: expect.stringMatching(/^\$\{jsonencode\(/),
      });
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
      expect(json).toHaveResourceWithProperties(EcsTaskDefinition, {
        volume: [
          {
            name: "dags",
            efs_volume_configuration: {
              file_system_id: "fs-1",
              transit_encryption: "ENABLED",
              authorization_config: { access_point_id: "fsap-1", iam: "ENABLED" },
            },
          },
        ],
      });
    });
  });

  it("refuses a variable that is both plain and secret", () => {
    expect(() =>
      synthService({ containers: { name: "web", image: "i", environment: { TOKEN: "x" }, secrets: { TOKEN: "arn" } } }),
    ).toThrow(/TOKEN is in both environment and secrets/);
  });

  describe("the service", () => {
    let json: string;
    beforeAll(() => {
      json = synthService({
        capacityProvider: "FARGATE_SPOT",
        platformVersion: "1.4.0",
        minimumHealthyPercent: 0,
        maximumPercent: 100,
      });
    });

    it("rolls a failing deployment back with the circuit breaker", () => {
      expect(json).toHaveResourceWithProperties(EcsService, {
        deployment_circuit_breaker: { enable: true, rollback: true },
        deployment_minimum_healthy_percent: 0,
        deployment_maximum_percent: 100,
      });
      expect(resourcesOf(json, EcsService)).toHaveLength(1);
    });

    it("uses a capacity provider strategy and therefore no launch type", () => {
      expect(json).toHaveResourceWithProperties(EcsService, {
        capacity_provider_strategy: [{ capacity_provider: "FARGATE_SPOT", weight: 1, base: 0 }],
        platform_version: "1.4.0",
      });
      expect(json).not.toHaveResourceWithProperties(EcsService, { launch_type: expect.anything() });
    });

    it("propagates tags from the service and keeps ECS Exec off", () => {
      expect(json).toHaveResourceWithProperties(EcsService, {
        propagate_tags: "SERVICE",
        enable_execute_command: false,
        desired_count: 1,
      });
    });

    it("runs in the given subnets without a public IP unless asked", () => {
      expect(json).toHaveResourceWithProperties(EcsService, {
        network_configuration: { subnets: ["subnet-a", "subnet-b"], security_groups: ["sg-tasks"], assign_public_ip: false },
      });
    });

    it("has no load balancer, grace period or autoscaling unless asked", () => {
      expect(json).toHaveResource(EcsService);
      for (const property of ["load_balancer", "health_check_grace_period_seconds", "lifecycle"]) {
        expect(json).not.toHaveResourceWithProperties(EcsService, { [property]: expect.anything() });
      }
      expect(json).not.toHaveResource(AppautoscalingTarget);
    });
  });

  describe("with a target group and autoscaling", () => {
    let json: string;
    let svc: FargateService | undefined;
    beforeAll(() => {
      json = Testing.synthScope((scope) => {
        svc = new FargateService(scope, "svc", {
          ...BASE,
          ...roles(scope),
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
      expect(json).toHaveResourceWithProperties(EcsService, {
        load_balancer: [{ target_group_arn: "arn:tg", container_name: "web", container_port: 8080 }],
        health_check_grace_period_seconds: 120,
      });
      expect(resourcesOf(json, EcsService)).toHaveLength(1);
    });

    it("leaves the desired count to Application Auto Scaling", () => {
      expect(json).toHaveResourceWithProperties(EcsService, { lifecycle: { ignore_changes: ["desired_count"] } });
      expect(json).toHaveResourceWithProperties(AppautoscalingTarget, {
        service_namespace: "ecs",
        scalable_dimension: "ecs:service:DesiredCount",
        min_capacity: 1,
        max_capacity: 4,
      });
      expect(resourcesOf(json, AppautoscalingTarget)).toHaveLength(1);
      expect(svc?.scalableTarget).toBeDefined();
    });

    it("tracks average CPU and memory with the given cooldowns", () => {
      // Both policies, in order: the set as a whole is beyond the matchers.
      expect(resourcesOf(json, AppautoscalingPolicy).map((p) => p.target_tracking_scaling_policy_configuration)).toEqual([
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
    expect(() => synthService({ minimumHealthyPercent: 100, maximumPercent: 100 })).toThrow(/leave no room for a deployment/);
  });
});
