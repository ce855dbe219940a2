"""The ECS agent for the tasks Airflow's ECS executor starts (docs/e2e.md, "The ECS executor").

moto records each RunTask and runs nothing. This watches the cluster for the tasks of the worker
family and does for each what the agent on a Fargate host does:

- reads the task and its task definition as applied, secrets resolved under the execution role
  (taskdef.task_definition_specs);
- measures the request's `overrides` against ECS's limit of 8,192 characters (JSON included): AWS
  refuses a larger RunTask, moto takes it, so here a larger one fails the run;
- runs the container's command override through the image's entrypoint, with the override's
  environment and the task role's credentials (stage.AirflowHost; its AWS calls are recorded and
  evaluated like every container's);
- when the process exits, stops the task with that exit code (server.py, /e2e/ecs-task-stopped),
  which the executor reads back with DescribeTasks.

moto moves a task towards STOPPED each time it is described (its state manager's default for
`ecs::task`); while the agent runs, tasks stay RUNNING until their process exits, as on ECS.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import taskdef
from processes import Process, ServiceError

#: modules/ecs-executor.ts: the scheduler's settings of the executor (every component names the
#: executor in AIRFLOW__CORE__EXECUTOR; only the scheduler, which runs it, carries these).
SETTINGS = "AIRFLOW__AWS_ECS_EXECUTOR__"
#: ECS: "A total of 8192 characters are allowed for overrides", the JSON structure's own included.
OVERRIDES_LIMIT = 8192
POLL_S = 1.0
#: moto's state manager: `ecs::task` advanced only by a report of ours (never by DescribeTasks).
HELD = {"model_name": "ecs::task", "transition": {"progression": "manual", "times": 10**9}}


def runs_ecs_executor(env: dict[str, str]) -> bool:
    """Whether a container with this environment runs the ECS executor (the scheduler, where it is on)."""
    return f"{SETTINGS}CLUSTER" in env


def overrides_size(overrides: dict[str, Any]) -> int:
    """Characters of the overrides as JSON, without spaces (how the SDK sends them)."""
    return len(json.dumps(overrides, separators=(",", ":")))


def task_instance(command: list[str]) -> tuple[str, str, str, int]:
    """(dag_id, run_id, task_id, try_number) of an `execute_workload --json-string <workload>` command."""
    if "--json-string" not in command:
        raise ServiceError(f"not an ECS executor workload command: {command[:4]}")
    ti = json.loads(command[command.index("--json-string") + 1])["ti"]
    return ti["dag_id"], ti["run_id"], ti["task_id"], ti["try_number"]


@dataclass
class WorkerTask:
    arn: str
    spec: taskdef.ContainerSpec
    ti: tuple[str, str, str, int]
    override_chars: int
    process: Process
    exit_code: int | None = None


@dataclass
class EcsAgent:
    """Runs the worker tasks of `family` in `cluster` while started; `host` makes their processes."""

    emulator: Any
    region: str
    cluster: str
    family: str
    container: str
    host: Any
    tasks: dict[str, WorkerTask] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @classmethod
    def for_scheduler(cls, emulator: Any, scheduler: taskdef.ContainerSpec, host: Any) -> EcsAgent | None:
        """The agent for the executor the scheduler's task definition configures; None for LocalExecutor."""
        env = scheduler.environment
        if not runs_ecs_executor(env):
            return None
        settings = [
            env[f"{SETTINGS}{name}"] for name in ("REGION_NAME", "CLUSTER", "TASK_DEFINITION", "CONTAINER_NAME")
        ]
        return cls(emulator, *settings, host)

    def _moto_api(self, path: str, body: dict[str, Any]) -> None:
        request = urllib.request.Request(
            f"{self.emulator.url}{path}", json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        urllib.request.urlopen(request, timeout=10).close()

    def start(self) -> None:
        self._moto_api("/moto-api/state-manager/set-transition", HELD)
        self._thread = threading.Thread(target=self._watch, name="ecs-agent", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stops watching, then every worker still running (SIGTERM, as ECS stops a task)."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)
        for task in self.tasks.values():
            if task.exit_code is None:
                task.process.stop()
                self._stopped(task, "stopped with the environment")
        self._moto_api("/moto-api/state-manager/unset-transition", {"model_name": HELD["model_name"]})

    def _watch(self) -> None:
        ecs = self.emulator.client("ecs", self.region)
        while not self._stop.is_set():
            try:
                self._poll(ecs)
            except Exception as error:  # the thread must say why it stopped, not die silently
                self.problems.append(f"ecs agent: {type(error).__name__}: {error}")
                return
            self._stop.wait(POLL_S)

    def _poll(self, ecs: Any) -> None:
        arns = ecs.list_tasks(cluster=self.cluster, family=self.family, desiredStatus="RUNNING")["taskArns"]
        new = [arn for arn in arns if arn not in self.tasks]
        for start in range(0, len(new), 100):
            for described in ecs.describe_tasks(cluster=self.cluster, tasks=new[start : start + 100])["tasks"]:
                self._run(described)
        for task in self.tasks.values():
            if task.exit_code is None and (code := task.process.exited()) is not None:
                task.exit_code = code
                self._stopped(task, "Essential container in task exited")

    def _run(self, described: dict[str, Any]) -> None:
        arn, overrides = described["taskArn"], described.get("overrides", {})
        chars = overrides_size(overrides)
        if chars > OVERRIDES_LIMIT:
            self.problems.append(f"{arn}: overrides of {chars} characters; ECS refuses more than {OVERRIDES_LIMIT}")
        (spec,) = [
            s
            for s in taskdef.task_definition_specs(
                self.emulator, self.region, self.cluster, described["taskDefinitionArn"], self.family
            )
            if s.name == self.container
        ]
        (override,) = [o for o in overrides.get("containerOverrides", []) if o["name"] == self.container]
        command = override.get("command") or list(spec.command)
        name = f"worker-{arn.rsplit('/', 1)[1][:8]}"
        process = self.host.process(spec, name, command)
        process.env.update({e["name"]: e["value"] for e in override.get("environment", [])})
        self.tasks[arn] = WorkerTask(arn, spec, task_instance(command), chars, process)
        process.start()

    def _stopped(self, task: WorkerTask, reason: str) -> None:
        code = task.exit_code if task.exit_code is not None else 143  # SIGTERM's, as Docker reports it
        report = {"cluster": self.cluster, "task": task.arn, "exitCode": code, "reason": reason}
        self._moto_api("/e2e/ecs-task-stopped", report)

    def specs(self) -> list[taskdef.ContainerSpec]:
        """The worker container, once per task definition family the tasks ran (for the IAM controls)."""
        return list({task.spec.family: task.spec for task in self.tasks.values()}.values())

    def succeeded(self) -> set[tuple[str, str, str, int]]:
        return {task.ti for task in self.tasks.values() if task.exit_code == 0}

    def check(self, successes: set[tuple[str, str, str, int]], label: str) -> str:
        """The executor line: every task instance that succeeded did so as a worker task that exited 0."""
        failed = {t.process.name: t.exit_code for t in self.tasks.values() if t.exit_code not in (0, None)}
        problems = list(self.problems)
        if failed:
            problems.append(f"worker tasks exited non-zero: {failed}")
        if missing := successes - self.succeeded():
            problems.append(f"task instances succeeded without a worker task: {sorted(missing)}")
        if not self.tasks:
            problems.append("the scheduler started no worker task")
        if problems:
            tails = "\n".join(f"{t.process.name}:\n{t.process.tail(15)}" for t in self.tasks.values() if t.exit_code)
            raise ServiceError(f"{label}: ECS executor: " + "; ".join(problems) + (f"\n{tails}" if tails else ""))
        largest = max(task.override_chars for task in self.tasks.values())
        environment = label.removeprefix("runtime: ")
        return (
            f"ecs-executor: {environment}: {len(self.succeeded())} task instances succeeded as worker tasks, "
            f"largest override {largest} characters"
        )


def wait_until_idle(agent: EcsAgent, timeout: float = 120) -> None:
    """Until no worker task runs (the scheduler may start a last one just before the DAGs are done)."""
    deadline = time.monotonic() + timeout
    while any(t.exit_code is None for t in agent.tasks.values()) and time.monotonic() < deadline:
        time.sleep(1)
