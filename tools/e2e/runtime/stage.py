"""The runtime stage of `make e2e` (docs/e2e.md, "The runtime stage"): every service of an applied
environment started from its task definition as the emulator holds it, checked as ECS and the load
balancer check it, used as its users use it, and every AWS call it made decided by the IAM evaluator.

    python tools/e2e/runtime/stage.py --work .e2e-up hackathon   # against an environment up.py keeps up

run.py calls `run_stage` between the second plan and the teardown.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import airflow
import ecs_agent
import iam_evaluation
import postgres
import processes
import taskdef
import video_contract
from processes import Process, ServiceError
from taskdef import ContainerSpec, Substitution

#: stacks/data-stack.ts: AIRFLOW_NAME and VIDEO_NAME, the clusters' names.
AIRFLOW_CLUSTER = "alerta-utec-airflow"
VIDEO_CLUSTER = "proyecto-nube"
#: ECS gives a container start period + retries x interval before it calls it unhealthy; the
#: longest here (the background services': 300 + 5 x 60 s) bounds the wait for readiness.
READY_TIMEOUT_S = 600
DAGS_TIMEOUT_S = 600


@dataclass
class StageResult:
    environment: str
    services_healthy: int = 0
    dags_succeeded: int = 0
    failed_attempts: dict[str, int] = field(default_factory=dict)
    evaluation: Any = None
    seconds: dict[str, float] = field(default_factory=dict)
    substitutions: list[str] = field(default_factory=list)
    #: `fault: <env>: <fault>: ok (...)` of each fault run while the services ran (faults.py).
    faults: list[str] = field(default_factory=list)
    #: `ecs-executor: ...` where the scheduler runs the ECS executor (ecs_agent.py), else empty.
    ecs_executor: str = ""

    def summary(self) -> str:
        return (
            f"runtime: {self.environment}: {self.services_healthy} services healthy, "
            f"{self.dags_succeeded}/{len(airflow.DAGS)} DAGs succeeded, {self.evaluation.summary()}"
        )


@dataclass
class Running:
    """The services while they run, for a fault to act on (faults.py)."""

    emulator: Any
    region: str
    line: str
    label: str
    servers: list
    processes: dict[str, Process]
    probes: dict[str, processes.Probe]
    ui_port: int
    airflow_specs: list[ContainerSpec]


def database_substitutions(clients: Any, emulator_url: str, region: str, work: Path) -> tuple[list[Substitution], list]:
    """A PostgreSQL per RDS instance, with what Terraform applied; the endpoint substituted for it."""
    rds = clients.client("rds", region)
    with urllib.request.urlopen(f"{emulator_url}/e2e/database-passwords", timeout=10) as answer:
        passwords = json.load(answer)
    servers, substitutions = [], []
    for db in rds.describe_db_instances()["DBInstances"]:
        endpoint = db["Endpoint"]
        instance = postgres.Instance(
            db["DBInstanceIdentifier"],
            endpoint["Address"],
            endpoint["Port"],
            db["DBName"],
            db["MasterUsername"],
            passwords[db["DBInstanceIdentifier"]],
        )
        server = postgres.Postgres(instance, work / "postgres" / instance.identifier)
        servers.append(server)
        server.start()
        substitutions.append(
            Substitution(
                f"{instance.address}:{instance.port}",
                f"127.0.0.1:{server.port}",
                f"RDS {instance.identifier} -> PostgreSQL 15 on loopback (same database, user, password, TLS "
                "required); hides the RDS network path, its parameter group and its CA",
            )
        )
    return substitutions, servers


def execution_api_substitution(clients: Any, region: str, spec: ContainerSpec, port: int) -> list[Substitution]:
    """The api-server's Cloud Map name -> loopback (no DNS here)."""
    if not spec.registries:
        return []
    discovery = clients.client("servicediscovery", region)
    service = discovery.get_service(Id=spec.registries[0].rsplit("/", 1)[1])["Service"]
    namespace = discovery.get_namespace(Id=service["NamespaceId"])["Namespace"]["Name"]
    host = f"{service['Name']}.{namespace}:{spec.container_ports[0]}"
    return [Substitution(host, f"127.0.0.1:{port}", "Cloud Map name of the Execution API -> loopback; hides DNS")]


def seed_incidents(clients: Any, region: str, table: str, prefix: str = "e2e") -> int:
    """What a producer writes (docs/CONTRACTS.md): incidents waiting for classification.

    `prefix` starts each incidentId (local.py adds new ones each time with its own)."""
    from datetime import UTC, datetime, timedelta

    dynamodb = clients.client("dynamodb", region)
    descriptions = ["Incendio en el laboratorio 3", "Fuga de agua en el baño", "Proyector dañado en aula 201"]
    now = datetime.now(UTC)
    for number, description in enumerate(descriptions):
        created = (now - timedelta(hours=2, seconds=number)).isoformat(timespec="milliseconds")
        dynamodb.put_item(
            TableName=table,
            Item={
                "incidentId": {"S": f"{prefix}-{number:04d}"},
                "description": {"S": description},
                "location": {"S": "Pabellón A"},
                "status": {"S": "pending"},
                "createdAt": {"S": created},
                "classificationPending": {"S": "PENDING"},
            },
        )
    return len(descriptions)


def check_effects(clients: Any, region: str, env: dict[str, str], seeded: int) -> list[str]:
    """The DAGs' work, read back from the emulator: what is still missing."""
    problems = []
    items = clients.client("dynamodb", region).scan(TableName=env["DYNAMODB_TABLE"])["Items"]
    ours = [i for i in items if i["incidentId"]["S"].startswith("e2e-")]
    classified = [i for i in ours if "classification" in i and "classificationPending" not in i]
    notified = [i for i in ours if "notificationMessageId" in i]
    if len(classified) != seeded:
        problems.append(f"{len(classified)}/{seeded} incidents classified")
    if len(notified) != seeded:
        problems.append(f"{len(notified)}/{seeded} incidents notified over SNS")
    namespace = env["METRICS_NAMESPACE"]
    if not clients.client("cloudwatch", region).list_metrics(Namespace=namespace)["Metrics"]:
        problems.append(f"no metric in {namespace}")
    if clients.client("ses", region).get_send_quota()["SentLast24Hours"] < 1:
        problems.append("no report mailed through SES")
    if not clients.client("s3", region).list_objects_v2(Bucket=env["BACKUP_BUCKET"]).get("KeyCount"):
        problems.append(f"no backup object in {env['BACKUP_BUCKET']}")
    return problems


def free_port() -> int:
    return postgres.free_port()


@dataclass
class AirflowHost:
    """What the Airflow containers of one environment share on this machine, and how one of them,
    a service's or a task's started with RunTask (ecs_agent.py), becomes a local process."""

    emulator_url: str
    sts: Any
    line: str
    work: Path
    #: Applied to every container's environment: the databases, the Execution API, the UI port.
    substitutions: list[Substitution]
    #: Listening ports other than the UI's, moved because the tasks share one host here.
    shared_ports: dict[str, str]
    calls_file: Path

    def process(self, spec: ContainerSpec, name: str, command: tuple[str, ...] | list[str]) -> Process:
        """The container `spec` as process `name` running `command` through the image's entrypoint,
        with the task role's credentials; its folders under work/rootfs/<name>."""
        if spec.entry_point:
            raise ServiceError(f"{spec.service}: an entryPoint override is not supported by this stage")
        venv_bin = airflow.VENVS[self.line] / "bin"
        rootfs = self.work / "rootfs" / name
        home = rootfs / airflow.IMAGE_HOME.lstrip("/")
        home.mkdir(parents=True, exist_ok=True)
        baked = home / "dags-image"  # the DAGs the image carries (Dockerfile: COPY dags/)
        if not baked.exists():
            baked.symlink_to(airflow.IMAGE_DAGS)
        for mount in spec.mounts:
            # One folder per access point, shared by every service as EFS is.
            folder = self.work / "efs" / mount.file_system_id / (mount.access_point_id or "root")
            folder.mkdir(parents=True, exist_ok=True)
            link = rootfs / mount.container_path.lstrip("/")
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.exists():
                link.symlink_to(folder)
        home_substitution = Substitution(
            airflow.IMAGE_HOME, str(home), "the image's /opt/airflow -> a folder per service, EFS mounts as links"
        )
        image_env = {
            "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(home),
            "LANG": "C.UTF-8",
            **airflow.image_environment(self.line),
            # entrypoint.sh's own switches for running outside the image (docker/airflow/tests use them too).
            "BASE_ENTRYPOINT": str(self.work / "base-entrypoint"),
            "IMAGE_DAGS_DIR": str(airflow.IMAGE_DAGS),
            # The base image's airflow.cfg default ({AIRFLOW_HOME}/dags), which entrypoint.sh also assumes.
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            **self.shared_ports,
            "E2E_AWS_CALLS": str(self.calls_file),
        }
        env = taskdef.process_env(
            spec,
            self.emulator_url,
            taskdef.role_credentials(self.sts, spec.task_role_arn, name),
            [*self.substitutions, home_substitution],
            extra_pythonpath=str(iam_evaluation.RECORDER_DIR),
            base=image_env,
        )
        return Process(name, ["bash", str(airflow.ENTRYPOINT), *command], env, home, self.work / "logs" / f"{name}.log")


@dataclass
class AirflowServices:
    """The Airflow services as processes (not started), with the probes ECS and the load balancer run."""

    processes: dict[str, Process]
    probes: dict[str, processes.Probe]
    ui_port: int
    host: AirflowHost


def airflow_processes(
    clients: Any,
    emulator_url: str,
    specs: list[ContainerSpec],
    line: str,
    work: Path,
    base_substitutions: list[Substitution],
    calls_file: Path,
    ui_port: int | None = None,
) -> AirflowServices:
    """One process per Airflow container, and the probes ECS and the load balancer would run.

    `ui_port`: where the UI listens (local.py: 8080, as people expect); a free port by default."""
    ui = next(s for s in specs if s.container_ports)
    ui_port = ui_port or free_port()
    standin = work / "base-entrypoint"
    standin.write_text(airflow.BASE_ENTRYPOINT_STANDIN)
    standin.chmod(0o755)
    if not (airflow.VENVS[line] / "bin" / "airflow").is_file():
        raise ServiceError(f"no Airflow {line} at {airflow.VENVS[line]}: run `make py-venv` (mk/python.mk)")
    port_substitution = Substitution(
        f"localhost:{ui.container_ports[0]}",
        f"localhost:{ui_port}",
        "container port -> a free loopback port (the tasks share one host here; on ECS each has its own ENI)",
    )
    host = AirflowHost(
        emulator_url,
        clients.client("sts", specs[0].region),
        line,
        work,
        [*base_substitutions, *execution_api_substitution(clients, ui.region, ui, ui_port), port_substitution],
        {
            # Defaults 8793 and 8794, the same in every task on ECS.
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            airflow.LINES[line].ui_port_variable: str(ui_port),
        },
        calls_file,
    )
    running: dict[str, Process] = {}
    probes: dict[str, processes.Probe] = {}
    for spec in specs:
        process = host.process(spec, spec.service, spec.command)
        running[spec.service] = process
        if spec.health_check:
            command = taskdef.substitute(spec.health_check.command, host.substitutions)

            def container_check(command: str = command, env: dict = process.env, cwd: Path = process.cwd) -> str | None:
                return processes.run_check(command, env, cwd, timeout=60)

            probes[f"{spec.service} health check"] = container_check
        for group in spec.target_groups:
            port = ui_port if group.port == "traffic-port" or int(group.port) == group.container_port else None
            if port is None:
                raise ServiceError(f"{spec.service}: target group health check on port {group.port} is not mapped")
            probes[f"{spec.service} target group {group.path}"] = target_group_probe(port, group)
    return AirflowServices(running, probes, ui_port, host)


def target_group_probe(port: int, group: taskdef.TargetGroup) -> processes.Probe:
    url = f"http://127.0.0.1:{port}{group.path}"

    def probe() -> str | None:
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                status = answer.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError as error:
            return f"GET {url}: {error}"
        return None if matches(status, group.matcher) else f"GET {url}: HTTP {status}, matcher {group.matcher}"

    return probe


def matches(status: int, matcher: str) -> bool:
    """An ELB matcher: "200", "200,302" or "200-299"."""
    for part in matcher.split(","):
        low, _, high = part.partition("-")
        if int(low) <= status <= int(high or low):
            return True
    return False


def run_stage(
    environment: str, config: dict, emulator: Any, work: Path, while_running: tuple[Any, ...] = ()
) -> StageResult:
    """Start, check, use and stop every service of the applied environment; raise on any failure.

    `while_running`: faults (faults.py) called with the Running services after they were used;
    each returns its `fault: ...` line or raises."""
    started = time.monotonic()
    region = config["region"]
    line = config["airflow"]["line"]
    result = StageResult(environment)
    work.mkdir(parents=True, exist_ok=True)
    calls_file = work / "aws-calls.jsonl"
    calls_file.write_text("")
    label = f"runtime: {environment}"
    # The harness acting as the ECS agent (ssm:GetParameters under the execution role) is recorded too.
    sys.path.insert(0, str(iam_evaluation.RECORDER_DIR))
    import aws_call_recorder

    aws_call_recorder.record_session(emulator._session, str(calls_file))
    servers: list = []
    running: dict[str, Process] = {}
    agent = None
    try:
        db_substitutions, servers = database_substitutions(emulator, emulator.url, region, work)
        airflow_specs = taskdef.container_specs(emulator, region, AIRFLOW_CLUSTER)
        video_specs = taskdef.container_specs(emulator, region, VIDEO_CLUSTER)
        seeded = seed_incidents(emulator, region, airflow_specs[0].environment["DYNAMODB_TABLE"])
        services = airflow_processes(emulator, emulator.url, airflow_specs, line, work, db_substitutions, calls_file)
        running, probes, ui_port = services.processes, services.probes, services.ui_port
        envs = {name: process.env for name, process in running.items()}
        result.substitutions = taskdef.describe_substitutions(services.host.substitutions)
        agent = start_ecs_agent(emulator, airflow_specs, services.host, label)
        for process in running.values():
            process.start()
        print(f"{label}: started {', '.join(f'{n} (pid {p.pid})' for n, p in running.items())}", flush=True)
        ready = processes.wait_ready(probes, running, READY_TIMEOUT_S, label)
        result.seconds["ready"] = max(ready.values())
        result.services_healthy = len(running)
        print(f"{label}: {len(running)} Airflow services healthy in {result.seconds['ready']:.0f} s", flush=True)

        user = use_airflow(emulator, region, line, airflow_specs, envs, ui_port, seeded, result, label)
        if agent:
            result.ecs_executor = ecs_executor_line(agent, user, label)
        result.services_healthy += run_video(emulator, video_specs, db_substitutions, calls_file, work)
        running_now = Running(emulator, region, line, label, servers, running, probes, ui_port, airflow_specs)
        result.faults = run_while_running(while_running, running_now)
    finally:
        if agent:
            agent.stop()
        processes.stop_all(list(running.values()))
        for server in servers:
            server.stop()
    # The worker tasks' role too, where the ECS executor ran them (their controls are the DAGs').
    specs = [*airflow_specs, *video_specs, *(agent.specs() if agent else [])]
    # learner-lab's LabRole: its policy is AWS Academy's, modelled as allowing everything (docs/e2e.md).
    stand_ins = iam_evaluation.lab_role_stand_ins(specs)
    evaluation = iam_evaluation.evaluate(
        calls_file, emulator.url, iam_evaluation.controls_for(specs), region, stand_ins
    )
    result.evaluation = evaluation
    if not evaluation.ok:
        raise ServiceError(f"{label}: IAM evaluation failed:\n{evaluation.report()}")
    result.seconds["total"] = time.monotonic() - started
    return result


def use_airflow(
    emulator: Any,
    region: str,
    line: str,
    specs: list[ContainerSpec],
    envs: dict[str, dict[str, str]],
    ui_port: int,
    seeded: int,
    result: StageResult,
    label: str,
) -> airflow.AirflowUser:
    """Log in as admin with the password from SSM, run the five DAGs, check their effects."""
    ui_spec = next(s for s in specs if s.container_ports)
    password = emulator.client("ssm", region).get_parameter(
        Name=ui_spec.secret_sources["AIRFLOW_ADMIN_PASSWORD"], WithDecryption=True
    )["Parameter"]["Value"]
    user = airflow.AirflowUser(
        line, f"http://127.0.0.1:{ui_port}", ui_spec.environment["AIRFLOW_ADMIN_USERNAME"], password
    )
    print(f"{label}: logged in as {ui_spec.environment['AIRFLOW_ADMIN_USERNAME']} with the password from SSM")
    outcome = airflow.run_dags(user, DAGS_TIMEOUT_S, label)
    result.dags_succeeded = len(outcome.succeeded)
    result.failed_attempts = outcome.failed_attempts
    result.seconds["dags"] = outcome.seconds
    print(
        f"{label}: DAGs succeeded, triggered and on schedule: {len(outcome.succeeded)}/{len(airflow.DAGS)} in "
        f"{outcome.seconds:.0f} s; failed task attempts {sum(outcome.failed_attempts.values())}",
        flush=True,
    )
    problems = []
    if outcome.succeeded != set(airflow.DAGS):
        problems.append(f"DAGs not succeeded: {sorted(set(airflow.DAGS) - outcome.succeeded)}")
    attempts = {dag: n for dag, n in outcome.failed_attempts.items() if n}
    if attempts:
        problems.append(f"failed task attempts {attempts} (finding 1: a cold start must have none)")
    problems += check_effects(emulator, region, envs[ui_spec.service], seeded)
    if problems:
        raise ServiceError(f"{label}: " + "; ".join(problems))
    return user


def run_while_running(faults: tuple[Any, ...], running: Running) -> list[str]:
    """Each fault's line, printed as it passes (a failing fault raises)."""
    lines = []
    for fault in faults:
        lines.append(fault(running))
        print(lines[-1], flush=True)
    return lines


def scheduler_spec(specs: list[ContainerSpec]) -> ContainerSpec:
    """The Airflow scheduler's container (service `<name>-scheduler` on both lines)."""
    return next(s for s in specs if s.service.endswith("-scheduler"))


def start_ecs_agent(
    emulator: Any, specs: list[ContainerSpec], host: AirflowHost, label: str
) -> ecs_agent.EcsAgent | None:
    """The ECS agent for the worker tasks, started, where the scheduler runs the ECS executor."""
    agent = ecs_agent.EcsAgent.for_scheduler(emulator, scheduler_spec(specs), host)
    if agent:
        agent.start()
        print(f"{label}: the ECS executor is on: worker tasks of {agent.family} run as processes", flush=True)
    return agent


def ecs_executor_line(agent: ecs_agent.EcsAgent, user: airflow.AirflowUser, label: str) -> str:
    """Once the last worker task has stopped: `ecs-executor: ...`, or ServiceError."""
    ecs_agent.wait_until_idle(agent)
    line = agent.check(successful_task_instances(user), label)
    print(line, flush=True)
    return line


def successful_task_instances(user: airflow.AirflowUser) -> set[tuple[str, str, str, int]]:
    """(dag_id, run_id, task_id, try_number) of every task instance that succeeded, in every run."""
    return {
        (dag, run["dag_run_id"], ti["task_id"], ti["try_number"])
        for dag in airflow.DAGS
        for run in user.runs(dag)
        for ti in user.task_instances(dag, run["dag_run_id"])
        if ti["state"] == "success"
    }


def video_envs(
    emulator: Any, specs: list[ContainerSpec], substitutions: list[Substitution], calls: Path
) -> dict[str, dict[str, str]]:
    """The web and worker containers' process environments, each under its task role (recorded)."""
    sts = emulator.client("sts", specs[0].region)
    by_service = {s.service: s for s in specs}
    envs = {}
    for name in (iam_evaluation.VIDEO_WEB_SERVICE, iam_evaluation.VIDEO_WORKER_SERVICE):
        spec = by_service[name]
        env = taskdef.process_env(
            spec,
            emulator.url,
            taskdef.role_credentials(sts, spec.task_role_arn, name),
            substitutions,
            extra_pythonpath=str(iam_evaluation.RECORDER_DIR),
        )
        env["E2E_AWS_CALLS"] = str(calls)
        envs[name] = env
    return envs


def run_video(
    emulator: Any, specs: list[ContainerSpec], substitutions: list[Substitution], calls: Path, work: Path
) -> int:
    """The video contract (video_contract.py): the worker's exact command, a producer as the web role."""
    envs = video_envs(emulator, specs, substitutions, calls)
    worker = next(s for s in specs if s.service == iam_evaluation.VIDEO_WORKER_SERVICE)
    video_contract.run_video_contract(
        [*worker.entry_point, *worker.command],
        envs[iam_evaluation.VIDEO_WORKER_SERVICE],
        envs[iam_evaluation.VIDEO_WEB_SERVICE],
        emulator.url,
        work / "video",
    )
    return 2


#: What the stage raises for a failure it has explained (no stack trace needed).
STAGE_ERRORS = (
    ServiceError,
    taskdef.TaskDefinitionError,
    postgres.PostgresError,
    video_contract.VideoContractError,
)


def main(argv: list[str] | None = None) -> int:
    import run
    import up

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("environment", choices=run.environments())
    parser.add_argument("--work", type=Path, default=run.ROOT / ".e2e-up")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    kept = up.KeptUp.load(work, args.environment)
    config = json.loads((Path(kept.out).parent / "config" / f"{args.environment}.json").read_text())
    stage_dir = work / args.environment / "runtime"
    if stage_dir.exists():
        import shutil

        shutil.rmtree(stage_dir)
    try:
        result = run_stage(args.environment, config, run.Emulator.attach(kept.url), stage_dir)
    except STAGE_ERRORS as error:
        print(f"runtime: {args.environment}: FAILED: {error}", file=sys.stderr)
        return 1
    print(result.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
