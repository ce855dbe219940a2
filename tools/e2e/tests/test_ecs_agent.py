"""The ECS agent's own judgement (tools/e2e/runtime/ecs_agent.py): which task instance a worker
task ran, how large its overrides are, and when the executor's run counts as proven."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtime"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import ecs_agent
import fargate
from processes import Process, ServiceError

TI = {"dag_id": "incident_classifier", "run_id": "manual__2026-12-05", "task_id": "classify", "try_number": 1}
KEY = ("incident_classifier", "manual__2026-12-05", "classify", 1)


def workload_command(ti: dict) -> list[str]:
    """What AwsEcsExecutor sends as the container's command on the 3.x line."""
    workload = {"token": "x" * 400, "ti": ti, "dag_rel_path": "incident_classifier.py"}
    return ["python", "-m", "airflow.sdk.execution_time.execute_workload", "--json-string", json.dumps(workload)]


def agent_with(tmp_path: Path, exits: dict[tuple, int | None]) -> ecs_agent.EcsAgent:
    agent = ecs_agent.EcsAgent(None, "us-east-1", "alerta-utec-airflow", "alerta-utec-airflow-worker", "worker", None)
    for number, (key, code) in enumerate(exits.items()):
        process = Process(f"worker-{number}", [], {}, tmp_path, tmp_path / f"worker-{number}.log")
        ti = dict(zip(("dag_id", "run_id", "task_id", "try_number"), key, strict=True))
        overrides = {"containerOverrides": [{"name": "worker", "command": workload_command(ti)}]}
        arn = f"arn:aws:ecs:us-east-1:123456789012:task/alerta-utec-airflow/{number}"
        spec = SimpleNamespace(family="alerta-utec-airflow-worker")
        task = ecs_agent.WorkerTask(arn, spec, key, ecs_agent.overrides_size(overrides), process, code)
        agent.tasks[arn] = task
    return agent


def test_the_task_instance_comes_from_the_workload_in_the_command() -> None:
    assert ecs_agent.task_instance(workload_command(TI)) == KEY
    with pytest.raises(ServiceError, match="not an ECS executor workload"):
        ecs_agent.task_instance(["airflow", "tasks", "run"])


def test_overrides_are_measured_as_compact_json() -> None:
    overrides = {"containerOverrides": [{"name": "worker", "command": ["a", "b"]}]}
    assert ecs_agent.overrides_size(overrides) == len('{"containerOverrides":[{"name":"worker","command":["a","b"]}]}')


def test_every_success_through_a_worker_that_exited_0_gives_the_executor_line(tmp_path: Path) -> None:
    agent = agent_with(tmp_path, {KEY: 0})
    line = agent.check({KEY}, "runtime: production")
    largest = agent.tasks[next(iter(agent.tasks))].override_chars
    assert line == (
        f"ecs-executor: production: 1 task instances succeeded as worker tasks, largest override {largest} characters"
    )


def test_a_success_no_worker_ran_fails(tmp_path: Path) -> None:
    other = ("metrics_analyzer", "scheduled__2026-12-05", "analyze", 1)
    with pytest.raises(ServiceError, match=r"succeeded without a worker task.*metrics_analyzer"):
        agent_with(tmp_path, {KEY: 0}).check({KEY, other}, "runtime: production")


def test_a_worker_that_exited_non_zero_fails(tmp_path: Path) -> None:
    retried = (*KEY[:3], 2)
    with pytest.raises(ServiceError, match="exited non-zero"):
        agent_with(tmp_path, {KEY: 1, retried: 0}).check({retried}, "runtime: production")


def test_no_worker_at_all_fails(tmp_path: Path) -> None:
    with pytest.raises(ServiceError, match="started no worker task"):
        agent_with(tmp_path, {}).check(set(), "runtime: production")


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The e2e emulator itself (server.py: moto with every gap's workaround and the agent's call)."""
    import run

    server = run.Emulator(tmp_path_factory.mktemp("emulator") / "moto.log")
    yield server
    server.stop()


def worker_task(emulator: Any) -> str:
    """A RunTask as the executor sends it (fargate.py), in the emulator."""
    ecs = emulator.client("ecs", "us-east-1")
    return fargate.run_worker(ecs, fargate.worker_cluster(emulator.client("ec2", "us-east-1"), ecs))["taskArn"]


def test_tasks_stay_running_until_the_agent_reports_the_exit_then_stop_with_its_code(
    emulator: Any, tmp_path: Path
) -> None:
    ecs, ec2 = emulator.client("ecs", "us-east-1"), emulator.client("ec2", "us-east-1")
    agent = ecs_agent.EcsAgent(emulator, "us-east-1", fargate.CLUSTER, fargate.FAMILY, "worker", None)
    agent._moto_api("/moto-api/state-manager/set-transition", ecs_agent.HELD)
    try:
        arn = worker_task(emulator)
        for _ in range(3):  # moto's default moves a described task towards STOPPED
            (described,) = ecs.describe_tasks(cluster=fargate.CLUSTER, tasks=[arn])["tasks"]
            assert described["lastStatus"] == "RUNNING"
        process = Process("worker-1", [], {}, tmp_path, tmp_path / "worker-1.log")
        agent._stopped(ecs_agent.WorkerTask(arn, None, KEY, 0, process, 3), "Essential container in task exited")
        (stopped,) = ecs.describe_tasks(cluster=fargate.CLUSTER, tasks=[arn])["tasks"]
    finally:
        agent._moto_api("/moto-api/state-manager/unset-transition", {"model_name": "ecs::task"})
    assert (stopped["lastStatus"], stopped["desiredStatus"]) == ("STOPPED", "STOPPED")
    assert [c["exitCode"] for c in stopped["containers"]] == [3]
    assert stopped["startedAt"] <= stopped["stoppedAt"]
    assert ec2.describe_network_interfaces()["NetworkInterfaces"] == []


def test_the_agent_runs_where_the_scheduler_carries_the_executor_settings_only() -> None:
    executor = "airflow.providers.amazon.aws.executors.ecs.ecs_executor.AwsEcsExecutor"
    settings = {
        "AIRFLOW__AWS_ECS_EXECUTOR__REGION_NAME": "us-east-1",
        "AIRFLOW__AWS_ECS_EXECUTOR__CLUSTER": fargate.CLUSTER,
        "AIRFLOW__AWS_ECS_EXECUTOR__TASK_DEFINITION": fargate.FAMILY,
        "AIRFLOW__AWS_ECS_EXECUTOR__CONTAINER_NAME": "worker",
    }
    scheduler = SimpleNamespace(environment={"AIRFLOW__CORE__EXECUTOR": executor, **settings})
    api_server = SimpleNamespace(environment={"AIRFLOW__CORE__EXECUTOR": executor})
    agent = ecs_agent.EcsAgent.for_scheduler(None, scheduler, None)
    assert (agent.region, agent.cluster, agent.family, agent.container) == (
        "us-east-1",
        fargate.CLUSTER,
        fargate.FAMILY,
        "worker",
    )
    assert ecs_agent.EcsAgent.for_scheduler(None, api_server, None) is None
    assert ecs_agent.EcsAgent.for_scheduler(None, SimpleNamespace(environment={}), None) is None
