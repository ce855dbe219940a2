"""An ECS service's containers, read back from the emulator as applied, turned into local processes.

What the ECS agent does before it starts a container, done here against moto:

- the service's task definition is read with ecs:DescribeServices and ecs:DescribeTaskDefinition,
  so what runs is what Terraform applied, not what we meant to synthesize;
- every `secrets` entry is resolved with ssm:GetParameters under the EXECUTION role's credentials
  (sts:AssumeRole on the emulator, as the agent assumes it for the task);
- the code in the container gets the TASK role's credentials (sts:AssumeRole), never ours.

The few values an emulator forces us to change are `Substitution`s, applied to the plain
environment and to the resolved secrets alike and listed by `describe_substitutions` (docs/e2e.md
lists them with what each hides). Nothing else of the task definition is edited.

    specs = container_specs(clients, cluster="alerta-utec-airflow")
    env = process_env(spec, emulator_url, role_credentials(sts, spec.task_role_arn, "scheduler"),
                      substitutions, extra_pythonpath=recorder_dir)

`clients` is anything with `.client(service, region, credentials=None)` (run.py's Emulator).
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from typing import Any, Protocol

#: SSM GetParameters takes at most this many names per call.
SSM_BATCH = 10


class Clients(Protocol):
    """Makes boto3 clients for the emulator; `credentials` (AWS_* variables) sign as that identity."""

    def client(self, service: str, region: str, credentials: dict[str, str] | None = None) -> Any: ...


@dataclass(frozen=True)
class HealthCheck:
    """The container health check: `command` as a shell would run it (CMD-SHELL or CMD, joined)."""

    command: str
    interval_s: int
    timeout_s: int
    retries: int
    start_period_s: int


@dataclass(frozen=True)
class TargetGroup:
    """A load balancer target group the service registers this container's port in."""

    arn: str
    container_port: int
    #: The target group's health check, as applied: HTTP path, port ("traffic-port" or a number), matcher.
    path: str
    port: str
    matcher: str


@dataclass(frozen=True)
class Mount:
    """An EFS volume mounted into the container; locally a folder stands in for the access point."""

    volume: str
    container_path: str
    file_system_id: str
    access_point_id: str | None
    read_only: bool


@dataclass(frozen=True)
class ContainerSpec:
    """One container of one ECS service, as the agent would start it (before any substitution)."""

    cluster: str
    service: str
    family: str
    region: str
    name: str
    #: entryPoint then command: the image's ENTRYPOINT and CMD when the task definition sets neither.
    entry_point: tuple[str, ...]
    command: tuple[str, ...]
    #: The task definition's plain `environment`.
    environment: dict[str, str]
    #: `secrets`: variable -> SSM parameter (name or ARN) it comes from.
    secret_sources: dict[str, str]
    #: `secrets` resolved with the execution role's credentials: variable -> value.
    secrets: dict[str, str] = field(repr=False)
    health_check: HealthCheck | None
    container_ports: tuple[int, ...]
    task_role_arn: str
    execution_role_arn: str
    mounts: tuple[Mount, ...]
    target_groups: tuple[TargetGroup, ...]
    #: Cloud Map registry ARNs the service registers its tasks in.
    registries: tuple[str, ...]
    #: Essential containers stop the task when they stop.
    essential: bool


@dataclass(frozen=True)
class Substitution:
    """A value of the task definition that cannot work here, replaced in every variable that holds it."""

    old: str
    new: str
    #: Why the emulator forces it and what the replacement hides (printed, and in docs/e2e.md).
    why: str

    def apply(self, value: str) -> str:
        return value.replace(self.old, self.new)


class TaskDefinitionError(Exception):
    pass


def role_credentials(sts: Any, role_arn: str, session_name: str) -> dict[str, str]:
    """The role's temporary credentials from sts:AssumeRole, as environment variables."""
    answer = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name[:64])["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": answer["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": answer["SecretAccessKey"],
        "AWS_SESSION_TOKEN": answer["SessionToken"],
    }


def resolve_secrets(ssm: Any, sources: dict[str, str]) -> dict[str, str]:
    """ssm:GetParameters (with decryption) for every source; any parameter missing is an error."""
    wanted = sorted(set(sources.values()))
    values: dict[str, str] = {}
    for start in range(0, len(wanted), SSM_BATCH):
        answer = ssm.get_parameters(Names=wanted[start : start + SSM_BATCH], WithDecryption=True)
        for parameter in answer["Parameters"]:
            values[parameter["Name"]] = parameter["Value"]
            values[parameter["ARN"]] = parameter["Value"]
        if answer.get("InvalidParameters"):
            raise TaskDefinitionError(f"ssm:GetParameters: no such parameter {sorted(answer['InvalidParameters'])}")
    return {variable: values[source] for variable, source in sources.items()}


def container_specs(clients: Clients, region: str, cluster: str) -> list[ContainerSpec]:
    """Every container of every service of `cluster`, with its secrets resolved as the agent would."""
    ecs = clients.client("ecs", region)
    elbv2 = clients.client("elbv2", region)
    sts = clients.client("sts", region)
    service_arns = ecs.list_services(cluster=cluster)["serviceArns"]
    if not service_arns:
        raise TaskDefinitionError(f"cluster {cluster} has no service")
    specs: list[ContainerSpec] = []
    for start in range(0, len(service_arns), 10):
        for service in ecs.describe_services(cluster=cluster, services=service_arns[start : start + 10])["services"]:
            definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
            specs += _service_specs(clients, region, cluster, service, definition, elbv2, sts)
    return sorted(specs, key=lambda s: (s.service, s.name))


def task_definition_specs(
    clients: Clients, region: str, cluster: str, task_definition: str, label: str
) -> list[ContainerSpec]:
    """The containers of a task started with RunTask (no service: no load balancer, no registry),
    `label` standing for the service's name; secrets resolved as for a service's task."""
    ecs, sts = clients.client("ecs", region), clients.client("sts", region)
    definition = ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
    return _service_specs(clients, region, cluster, {"serviceName": label}, definition, None, sts)


def _service_specs(
    clients: Clients, region: str, cluster: str, service: dict, definition: dict, elbv2: Any, sts: Any
) -> list[ContainerSpec]:
    execution_role = definition.get("executionRoleArn", "")
    task_role = definition.get("taskRoleArn", "")
    volumes = {v["name"]: v for v in definition.get("volumes", [])}
    containers = definition["containerDefinitions"]
    needs_secrets = any(c.get("secrets") for c in containers)
    if needs_secrets and not execution_role:
        raise TaskDefinitionError(f"{service['serviceName']}: secrets without an execution role")
    # The agent's own session: one per task, under the execution role.
    ssm = None
    if needs_secrets:
        agent = role_credentials(sts, execution_role, f"ecs-agent-{service['serviceName']}")
        ssm = clients.client("ssm", region, agent)
    specs = []
    for container in containers:
        sources = {s["name"]: s["valueFrom"] for s in container.get("secrets", [])}
        specs.append(
            ContainerSpec(
                cluster=cluster,
                service=service["serviceName"],
                family=definition["family"],
                region=region,
                name=container["name"],
                entry_point=tuple(container.get("entryPoint") or ()),
                command=tuple(container.get("command") or ()),
                environment={e["name"]: e["value"] for e in container.get("environment", [])},
                secret_sources=sources,
                secrets=resolve_secrets(ssm, sources) if sources else {},
                health_check=_health_check(container.get("healthCheck")),
                container_ports=tuple(p["containerPort"] for p in container.get("portMappings", [])),
                task_role_arn=task_role,
                execution_role_arn=execution_role,
                mounts=tuple(_mount(m, volumes) for m in container.get("mountPoints", [])),
                target_groups=tuple(
                    _target_group(elbv2, lb)
                    for lb in service.get("loadBalancers", [])
                    if lb.get("containerName") == container["name"]
                ),
                registries=tuple(r["registryArn"] for r in service.get("serviceRegistries", [])),
                essential=container.get("essential", True),
            )
        )
    return specs


def _health_check(check: dict | None) -> HealthCheck | None:
    if not check:
        return None
    kind, *rest = check["command"]
    if kind == "CMD-SHELL":
        command = " ".join(rest)
    elif kind == "CMD":
        command = shlex.join(rest)
    else:
        raise TaskDefinitionError(f"health check command must start with CMD or CMD-SHELL (got {kind!r})")
    return HealthCheck(
        command=command,
        interval_s=check.get("interval", 30),
        timeout_s=check.get("timeout", 5),
        retries=check.get("retries", 3),
        start_period_s=check.get("startPeriod", 0),
    )


def _mount(point: dict, volumes: dict[str, dict]) -> Mount:
    volume = volumes[point["sourceVolume"]]
    efs = volume.get("efsVolumeConfiguration")
    if not efs:
        raise TaskDefinitionError(f"volume {volume['name']}: only EFS volumes are supported here")
    return Mount(
        volume=volume["name"],
        container_path=point["containerPath"],
        file_system_id=efs["fileSystemId"],
        access_point_id=(efs.get("authorizationConfig") or {}).get("accessPointId"),
        read_only=point.get("readOnly", False),
    )


def _target_group(elbv2: Any, binding: dict) -> TargetGroup:
    group = elbv2.describe_target_groups(TargetGroupArns=[binding["targetGroupArn"]])["TargetGroups"][0]
    return TargetGroup(
        arn=group["TargetGroupArn"],
        container_port=binding["containerPort"],
        path=group.get("HealthCheckPath", "/"),
        port=str(group.get("HealthCheckPort", "traffic-port")),
        matcher=(group.get("Matcher") or {}).get("HttpCode", "200"),
    )


def process_env(
    spec: ContainerSpec,
    endpoint_url: str,
    task_credentials: dict[str, str],
    substitutions: list[Substitution],
    extra_pythonpath: str | None = None,
    base: dict[str, str] | None = None,
) -> dict[str, str]:
    """The container's environment for a local process.

    `base` (default: PATH, HOME, LANG and TMPDIR of ours) stands in for what the image sets; no
    AWS variable of ours reaches the process. AWS_ENDPOINT_URL sends every SDK call to the
    emulator; `extra_pythonpath` goes first on PYTHONPATH (part B's call recorder uses it).
    """
    if base is None:
        base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env = dict(base)
    for name, value in {**spec.environment, **spec.secrets}.items():
        env[name] = substitute(value, substitutions)
    env.update(task_credentials)
    env.update(
        AWS_ENDPOINT_URL=endpoint_url,
        AWS_REGION=spec.region,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    if extra_pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (extra_pythonpath, env.get("PYTHONPATH")) if p)
    return env


def substitute(value: str, substitutions: list[Substitution]) -> str:
    for substitution in substitutions:
        value = substitution.apply(value)
    return value


def describe_substitutions(substitutions: list[Substitution]) -> list[str]:
    return [f"{s.old} -> {s.new}: {s.why}" for s in substitutions]
