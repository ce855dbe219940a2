/**
 * A Fargate task definition and its ECS service: the one place in the app where ECS wiring is
 * written (container definitions, logging, EFS volumes, roles, networking, deployment safety,
 * load balancer attachment and target-tracking autoscaling). Stacks pass typed values only.
 */
import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { Fn, type ITerraformDependable, Token } from "cdktf";
import { Construct } from "constructs";
import { type FargateCpu, fargateSizeProblem } from "./fargate-sizes";
import { ServiceRole } from "./service-role";

export type CapacityProvider = "FARGATE" | "FARGATE_SPOT";

/** A role given either as a ServiceRole construct or as a role ARN. */
export type RoleReference = ServiceRole | string;

/** An EFS file system mounted through an access point, encrypted in transit and IAM-authorized. */
export interface EfsVolume {
  /** Volume name in the task definition; containers mount it by this name. */
  readonly name: string;
  readonly fileSystemId: string;
  /** The access point fixes the root directory and the POSIX owner the task writes as. */
  readonly accessPointId: string;
  /** Where the volume appears inside the containers. */
  readonly containerPath: string;
  /** @default false */
  readonly readOnly?: boolean;
}

/** A container health check, as ECS runs it inside the container. */
export interface ContainerHealthCheck {
  /** Shell command; exit status 0 means healthy. Run as `CMD-SHELL`. */
  readonly command: string;
  /** @default 30 */
  readonly intervalSeconds?: number;
  /** @default 5 */
  readonly timeoutSeconds?: number;
  /** @default 3 */
  readonly retries?: number;
  /** Failures during this time do not count (0 to 300). @default 0 */
  readonly startPeriodSeconds?: number;
}

export interface ContainerSpec {
  readonly name: string;
  /** Image reference: `repo:tag` or `repo@sha256:...`. */
  readonly image: string;
  /** Arguments passed to the image's entrypoint. @default - the image's CMD */
  readonly command?: readonly string[];
  /** TCP port the container listens on (awsvpc: host port = container port). @default - none */
  readonly port?: number;
  /** Plain variables. Never secrets: use `secrets`. @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** Variable name -> SSM parameter or Secrets Manager ARN, injected by ECS at start. @default - none */
  readonly secrets?: Readonly<Record<string, string>>;
  /** @default - no container health check */
  readonly healthCheck?: ContainerHealthCheck;
  /** Names of the task's EFS volumes this container mounts. @default - every volume of the task */
  readonly volumes?: readonly string[];
  /** awslogs stream prefix; streams are `<prefix>/<container>/<task id>`. @default - the container name */
  readonly streamPrefix?: string;
  /**
   * Mount the root file system read-only. Leave it off for images that write outside their
   * volumes at run time (Airflow writes airflow.cfg, webserver_config.py, pid files and gunicorn's
   * heartbeat files under /opt/airflow and /tmp).
   * @default false
   */
  readonly readonlyRootFilesystem?: boolean;
  /** Seconds between SIGTERM and SIGKILL (Fargate allows up to 120). @default 30 */
  readonly stopTimeoutSeconds?: number;
}

/** Attachment of the service to a load balancer target group. */
export interface TargetGroupAttachment {
  readonly targetGroupArn: string;
  readonly containerName: string;
  readonly containerPort: number;
  /** Time a new task has before failing load balancer health checks count. @default 60 */
  readonly healthCheckGracePeriodSeconds?: number;
}

/** Application Auto Scaling of the service's desired count. */
export interface ServiceAutoscaling {
  readonly minCapacity: number;
  readonly maxCapacity: number;
  /** Average CPU utilization to hold. @default - no CPU policy */
  readonly cpuTargetPercent?: number;
  /** Average memory utilization to hold. @default - no memory policy */
  readonly memoryTargetPercent?: number;
  /** @default 300 */
  readonly scaleOutCooldownSeconds?: number;
  /** @default 300 */
  readonly scaleInCooldownSeconds?: number;
}

export interface FargateServiceProps {
  /** Task definition family; also the service name unless `serviceName` is given. */
  readonly family: string;
  /** @default - the family */
  readonly serviceName?: string;
  readonly cluster: { readonly arn: string; readonly name: string };
  /** One container, or several sharing the task's network namespace. */
  readonly containers: ContainerSpec | readonly ContainerSpec[];
  /**
   * Task CPU units; must pair with `memoryMiB` as Fargate allows.
   * @default 512
   */
  readonly cpu?: FargateCpu;
  /** @default 1024 */
  readonly memoryMiB?: number;
  /** @default - no volume */
  readonly efsVolumes?: readonly EfsVolume[];
  /** CloudWatch Logs group of every container (awslogs driver). */
  readonly logGroupName: string;
  /** Region of the log group. */
  readonly region: string;
  /** Role ECS uses to pull the image, write logs and read `secrets`. */
  readonly executionRole: RoleReference;
  /** Role the containers' code runs as (also the EFS IAM identity). */
  readonly taskRole: RoleReference;
  /**
   * Allow `executionRole` and `taskRole` to be the same role. Only for environments that must use
   * one existing role for everything (AWS Academy's LabRole); otherwise the code in the container
   * would hold the image-pull and secret-read permissions too.
   * @default false
   */
  readonly sharedRoleAllowed?: boolean;
  /** @default - autoscaling.minCapacity, or 1 */
  readonly desiredCount?: number;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  /** Give each task a public IP (tasks in public subnets without NAT need one to reach AWS). @default false */
  readonly assignPublicIp?: boolean;
  /** @default "FARGATE" */
  readonly capacityProvider?: CapacityProvider;
  /** Fargate platform version, pinned from config. @default "LATEST" */
  readonly platformVersion?: string;
  /** Lower bound of running tasks during a deployment, in percent of desiredCount. @default 100 */
  readonly minimumHealthyPercent?: number;
  /** Upper bound of running tasks during a deployment, in percent of desiredCount. @default 200 */
  readonly maximumPercent?: number;
  /** @default - not attached to a load balancer */
  readonly loadBalancer?: TargetGroupAttachment;
  /** @default - no autoscaling: the service runs desiredCount tasks */
  readonly autoscaling?: ServiceAutoscaling;
  /**
   * Cloud Map service (its ARN) that ECS registers each task's IP in, as an A record.
   * @default - not registered
   */
  readonly serviceDiscoveryArn?: string;
  /** ECS Exec (needs ssmmessages:* on the task role). @default false */
  readonly enableExecuteCommand?: boolean;
  /** Make `terraform apply` wait until the deployment is steady. @default false */
  readonly waitForSteadyState?: boolean;
  /**
   * Resources the service must wait for: the listener of its target group (ECS refuses a target
   * group that belongs to no load balancer) and the cluster's capacity provider association.
   * @default - none
   */
  readonly dependsOn?: readonly ITerraformDependable[];
}

// ECS's own defaults, written out so the plan shows what will run.
const DEFAULTS = { cpu: 512, memoryMiB: 1024, minimumHealthyPercent: 100, maximumPercent: 200 } as const;

/** FargateServiceProps with the defaults that the checks and the resources both read, resolved. */
export type ResolvedFargateServiceProps = FargateServiceProps & {
  readonly cpu: FargateCpu;
  readonly memoryMiB: number;
  readonly minimumHealthyPercent: number;
  readonly maximumPercent: number;
};

/** The one place the size and deployment defaults are resolved. */
export function resolveDefaults(props: FargateServiceProps): ResolvedFargateServiceProps {
  return {
    ...props,
    cpu: props.cpu ?? DEFAULTS.cpu,
    memoryMiB: props.memoryMiB ?? DEFAULTS.memoryMiB,
    minimumHealthyPercent: props.minimumHealthyPercent ?? DEFAULTS.minimumHealthyPercent,
    maximumPercent: props.maximumPercent ?? DEFAULTS.maximumPercent,
  };
}

function roleArn(role: RoleReference): string {
  return role instanceof ServiceRole ? role.arn : role;
}

/** Sorted [{name, value}] pairs: the order ECS stores them in, so plans show no false diffs. */
function namedPairs<K extends string>(record: Readonly<Record<string, string>> | undefined, valueKey: K) {
  return Object.entries(record ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, [valueKey]: value }) as { name: string } & Record<K, string>);
}

/**
 * A literal for a string inside `Fn.jsonencode`. cdktf 0.21 writes the expression's strings into
 * HCL without escaping them, so a double quote or backslash in a value (a JSON setting such as the ECS
 * executor's run_task_kwargs) would end the string early and Terraform would refuse the file.
 * Token placeholders hold neither character, so references inside the value are unaffected.
 */
export function jsonencodeLiteral(value: string): string {
  return value.replace(/[\\"]/g, (c) => `\\${c}`);
}

/** Problems with the props, each naming the prop; empty when the service can be built. */
export function fargateServiceProblems(props: ResolvedFargateServiceProps): string[] {
  const problems: string[] = [];
  const { cpu, memoryMiB } = props;
  const size = fargateSizeProblem(cpu, memoryMiB);
  if (size) problems.push(`${props.family}: cpu ${cpu} / memoryMiB ${memoryMiB}: ${size}`);

  const containers = Array.isArray(props.containers) ? props.containers : [props.containers as ContainerSpec];
  if (containers.length === 0) problems.push(`${props.family}: containers: at least one container is required`);
  const volumeNames = new Set((props.efsVolumes ?? []).map((v) => v.name));
  for (const c of containers) {
    for (const name of Object.keys(c.environment ?? {})) {
      if (Object.hasOwn(c.secrets ?? {}, name)) {
        problems.push(`${props.family}: containers[${c.name}]: ${name} is in both environment and secrets`);
      }
    }
    for (const v of c.volumes ?? []) {
      if (!volumeNames.has(v)) problems.push(`${props.family}: containers[${c.name}].volumes: unknown volume "${v}"`);
    }
    const hc = c.healthCheck;
    if (hc?.startPeriodSeconds !== undefined && (hc.startPeriodSeconds < 0 || hc.startPeriodSeconds > 300)) {
      problems.push(
        `${props.family}: containers[${c.name}].healthCheck.startPeriodSeconds: ${hc.startPeriodSeconds} outside 0-300`,
      );
    }
    if (c.stopTimeoutSeconds !== undefined && (c.stopTimeoutSeconds < 2 || c.stopTimeoutSeconds > 120)) {
      problems.push(`${props.family}: containers[${c.name}].stopTimeoutSeconds: ${c.stopTimeoutSeconds} outside 2-120`);
    }
  }
  if (props.loadBalancer && !containers.some((c) => c.name === props.loadBalancer?.containerName)) {
    problems.push(`${props.family}: loadBalancer.containerName: no container named "${props.loadBalancer.containerName}"`);
  }

  const sameRole =
    props.executionRole === props.taskRole ||
    (!Token.isUnresolved(roleArn(props.executionRole)) && roleArn(props.executionRole) === roleArn(props.taskRole));
  if (sameRole && !props.sharedRoleAllowed) {
    problems.push(
      `${props.family}: executionRole and taskRole are the same role; set sharedRoleAllowed only where one existing role must serve both`,
    );
  }

  const scaling = props.autoscaling;
  if (scaling) {
    if (scaling.minCapacity > scaling.maxCapacity) {
      problems.push(`${props.family}: autoscaling.minCapacity ${scaling.minCapacity} exceeds maxCapacity ${scaling.maxCapacity}`);
    }
    const desired = props.desiredCount;
    if (desired !== undefined && (desired < scaling.minCapacity || desired > scaling.maxCapacity)) {
      problems.push(
        `${props.family}: desiredCount ${desired} outside autoscaling bounds ${scaling.minCapacity}-${scaling.maxCapacity}`,
      );
    }
  }
  const { minimumHealthyPercent: minHealthy, maximumPercent: maximum } = props;
  if (maximum < 100 || maximum <= minHealthy) {
    problems.push(
      `${props.family}: minimumHealthyPercent ${minHealthy} / maximumPercent ${maximum} leave no room for a deployment (expected maximumPercent >= 100 and above minimumHealthyPercent)`,
    );
  }
  return problems;
}

/** What a task definition needs: the part of FargateServiceProps that is not about the service, sized. */
export type FargateTaskDefinitionProps = Pick<
  ResolvedFargateServiceProps,
  "family" | "containers" | "cpu" | "memoryMiB" | "efsVolumes" | "logGroupName" | "region" | "executionRole" | "taskRole"
>;

/**
 * The Fargate task definition of FargateService, also for tasks that no service runs (the ECS
 * executor's workers, started one per task instance by the scheduler): one way to write
 * container definitions, logging, EFS volumes and roles. Created in `scope` under `id`.
 */
export function fargateTaskDefinition(scope: Construct, id: string, props: FargateTaskDefinitionProps): EcsTaskDefinition {
  const containers = Array.isArray(props.containers) ? props.containers : [props.containers as ContainerSpec];
  const volumes = props.efsVolumes ?? [];
  const definitions = containers.map((c) => {
    const mounted = volumes.filter((v) => (c.volumes ?? volumes.map((all) => all.name)).includes(v.name));
    return {
      name: c.name,
      image: c.image,
      essential: true,
      ...(c.command ? { command: [...c.command] } : {}),
      portMappings: c.port === undefined ? [] : [{ containerPort: c.port, hostPort: c.port, protocol: "tcp" }],
      environment: namedPairs(
        Object.fromEntries(Object.entries(c.environment ?? {}).map(([name, value]) => [name, jsonencodeLiteral(String(value))])),
        "value",
      ),
      secrets: namedPairs(c.secrets, "valueFrom"),
      mountPoints: mounted.map((v) => ({
        sourceVolume: v.name,
        containerPath: v.containerPath,
        readOnly: v.readOnly ?? false,
      })),
      volumesFrom: [],
      readonlyRootFilesystem: c.readonlyRootFilesystem ?? false,
      stopTimeout: c.stopTimeoutSeconds ?? 30,
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": props.logGroupName,
          "awslogs-region": props.region,
          "awslogs-stream-prefix": c.streamPrefix ?? c.name,
        },
      },
      ...(c.healthCheck
        ? {
            healthCheck: {
              command: ["CMD-SHELL", c.healthCheck.command],
              interval: c.healthCheck.intervalSeconds ?? 30,
              timeout: c.healthCheck.timeoutSeconds ?? 5,
              retries: c.healthCheck.retries ?? 3,
              startPeriod: c.healthCheck.startPeriodSeconds ?? 0,
            },
          }
        : {}),
    };
  });

  return new EcsTaskDefinition(scope, id, {
    family: props.family,
    requiresCompatibilities: ["FARGATE"],
    networkMode: "awsvpc",
    cpu: String(props.cpu),
    memory: String(props.memoryMiB),
    // Images are built for linux/amd64 (modules/container-image.ts).
    runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
    executionRoleArn: roleArn(props.executionRole),
    taskRoleArn: roleArn(props.taskRole),
    // jsonencode, not JSON.stringify: values may be references resolved only at apply time.
    containerDefinitions: Fn.jsonencode(definitions),
    volume: volumes.map((v) => ({
      name: v.name,
      efsVolumeConfiguration: {
        fileSystemId: v.fileSystemId,
        // TLS to the mount target, and the task role as the NFS client's identity, so the file
        // system policy and IAM decide who mounts, not only the security group.
        transitEncryption: "ENABLED",
        authorizationConfig: { accessPointId: v.accessPointId, iam: "ENABLED" },
      },
    })),
  });
}

/**
 * A Fargate service. Deployments roll back on their own when new tasks keep failing (circuit
 * breaker); tags propagate from the service to its tasks; ECS Exec is off.
 */
export class FargateService extends Construct {
  readonly service: EcsService;
  readonly taskDefinition: EcsTaskDefinition;
  readonly serviceName: string;
  readonly taskDefinitionArn: string;
  /**
   * The scalable target when `autoscaling` is set, so callers can add their own policies
   * (step scaling on a queue backlog, scheduled actions).
   */
  readonly scalableTarget?: AppautoscalingTarget;

  constructor(scope: Construct, id: string, given: FargateServiceProps) {
    super(scope, id);
    const props = resolveDefaults(given);
    const problems = fargateServiceProblems(props);
    if (problems.length > 0) throw new Error(`FargateService ${id}:\n  ${problems.join("\n  ")}`);

    const serviceName = props.serviceName ?? props.family;

    this.taskDefinition = fargateTaskDefinition(this, "task-definition", props);

    const scaling = props.autoscaling;
    const lb = props.loadBalancer;
    this.service = new EcsService(this, "service", {
      name: serviceName,
      cluster: props.cluster.arn,
      taskDefinition: this.taskDefinition.arn,
      desiredCount: props.desiredCount ?? scaling?.minCapacity ?? 1,
      // No launchType: ECS rejects a service that sets both it and a capacity provider strategy.
      capacityProviderStrategy: [{ capacityProvider: props.capacityProvider ?? "FARGATE", weight: 1, base: 0 }],
      // Lets a config change between FARGATE and FARGATE_SPOT update the service in place;
      // without it the provider replaces the service.
      forceNewDeployment: true,
      platformVersion: props.platformVersion ?? "LATEST",
      networkConfiguration: {
        subnets: [...props.subnetIds],
        securityGroups: [...props.securityGroupIds],
        assignPublicIp: props.assignPublicIp ?? false,
      },
      deploymentMinimumHealthyPercent: props.minimumHealthyPercent,
      deploymentMaximumPercent: props.maximumPercent,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      propagateTags: "SERVICE",
      enableEcsManagedTags: true,
      enableExecuteCommand: props.enableExecuteCommand ?? false,
      waitForSteadyState: props.waitForSteadyState ?? false,
      ...(lb
        ? {
            loadBalancer: [
              { targetGroupArn: lb.targetGroupArn, containerName: lb.containerName, containerPort: lb.containerPort },
            ],
            healthCheckGracePeriodSeconds: lb.healthCheckGracePeriodSeconds ?? 60,
          }
        : {}),
      ...(props.serviceDiscoveryArn ? { serviceRegistries: { registryArn: props.serviceDiscoveryArn } } : {}),
      dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
      // With autoscaling, Application Auto Scaling owns the count; an apply must not reset it.
      lifecycle: scaling ? { ignoreChanges: ["desired_count"] } : undefined,
    });
    this.serviceName = this.service.name;
    this.taskDefinitionArn = this.taskDefinition.arn;

    if (scaling) this.scalableTarget = this.autoscale(scaling, props.cluster.name);
  }

  private autoscale(scaling: ServiceAutoscaling, clusterName: string): AppautoscalingTarget {
    const target = new AppautoscalingTarget(this, "scalable-target", {
      serviceNamespace: "ecs",
      scalableDimension: "ecs:service:DesiredCount",
      resourceId: `service/${clusterName}/${this.service.name}`,
      minCapacity: scaling.minCapacity,
      maxCapacity: scaling.maxCapacity,
    });
    const policies = [
      { key: "cpu", metric: "ECSServiceAverageCPUUtilization", target: scaling.cpuTargetPercent },
      { key: "memory", metric: "ECSServiceAverageMemoryUtilization", target: scaling.memoryTargetPercent },
    ] as const;
    for (const policy of policies) {
      if (policy.target === undefined) continue;
      // Several target-tracking policies: scale out when any asks, scale in only when all agree.
      new AppautoscalingPolicy(this, `${policy.key}-target-tracking`, {
        name: `${this.service.name}-${policy.key}-target-tracking`,
        policyType: "TargetTrackingScaling",
        serviceNamespace: target.serviceNamespace,
        scalableDimension: target.scalableDimension,
        resourceId: target.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          targetValue: policy.target,
          predefinedMetricSpecification: { predefinedMetricType: policy.metric },
          scaleOutCooldown: scaling.scaleOutCooldownSeconds ?? 300,
          scaleInCooldown: scaling.scaleInCooldownSeconds ?? 300,
        },
      });
    }
    return target;
  }
}
