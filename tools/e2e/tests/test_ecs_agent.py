"""The ECS agent's own judgement (tools/e2e/runtime/ecs_agent.py): which task instance a worker
task ran, how large its overrides are, and when the executor's run counts as proven."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtime"))
import ecs_agent
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
