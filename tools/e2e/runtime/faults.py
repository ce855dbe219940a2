"""Faults in the runtime stage (docs/e2e.md, "Faults"): what happens on AWS, made to happen to the
services started from their applied task definitions, each ending with a count of what was lost.

    python tools/e2e/runtime/faults.py --work .e2e-up hackathon worker-killed   # against up.py's environment

worker-killed: a video worker (the worker task definition's exact Celery command, stand-in app) is
SIGKILLed, process group and all, in the middle of a job, as an out-of-memory kill or a stopped
task does; the message must come back after the queue's visibility timeout and be processed once
by the next worker. Then a message that kills every worker that takes it must end in the DLQ after
`maxReceiveCount` receives, and the DLQ alarm's condition must hold for it. The queue's visibility
timeout (1,500 s as applied) is shortened to VISIBILITY_S for the run and restored after: the only
test configuration; moto moves a message to the DLQ as SQS does (on the receive after
`maxReceiveCount`), but computes no CloudWatch metric, so the alarm's condition is evaluated here
against the DLQ's count, not fired. Every AWS call made during the fault is evaluated as in the
runtime stage.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import iam_evaluation
import stage
import taskdef
import video_contract
from processes import Process, ServiceError

#: The queue's visibility timeout during the fault (applied: 1,500 s), and how long a job takes.
VISIBILITY_S = 6
JOB_S = 3
#: How long the databases stay down (an RDS reboot or Multi-AZ failover: one to two minutes on AWS).
DATABASE_DOWN_S = 30
RECOVERY_TIMEOUT_S = 600
#: Faults that act on the running services (stage.run_stage's while_running) and on the queue after.
RUNNING_FAULTS = ("database-restarted", "scheduler-interrupted")
#: ECS's stopTimeout default: SIGTERM, then SIGKILL this many seconds later (a Spot interruption's
#: two-minute notice ends in the same stop).
STOP_TIMEOUT_S = 30
#: The DAG that notifies classified incidents over SNS (dags/notification_dispatcher.py).
DISPATCHER = "notification_dispatcher"
FAULTS = ("worker-killed", *RUNNING_FAULTS)

#: Celery's worker log at INFO (the task definition's `--loglevel info`).
RECEIVED = re.compile(r"Task process_video\[([0-9a-f-]+)\] received")
SUCCEEDED = re.compile(r"Task process_video\[([0-9a-f-]+)\] succeeded")

COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
}


class FaultError(ServiceError):
    pass


def task_ids(pattern: re.Pattern[str], logs: list[Path]) -> list[str]:
    """Every task id the pattern finds in the logs, once per line (a task received twice counts twice)."""
    return [m.group(1) for log in logs if log.is_file() for m in pattern.finditer(log.read_text(errors="replace"))]


def alarm_breached(alarm: dict, value: float) -> bool:
    """Whether `value` of the alarm's metric meets its condition (what CloudWatch would compare)."""
    operator = alarm["ComparisonOperator"]
    if operator not in COMPARISONS:
        raise FaultError(f"alarm {alarm['AlarmName']}: comparison {operator} not evaluated here")
    return COMPARISONS[operator](value, alarm["Threshold"])


def queue_alarm(cloudwatch: Any, queue_name: str) -> dict:
    """The alarm on a queue's visible messages (stacks/video-pipeline-stack.ts, alarm-dead-letters)."""
    for alarm in cloudwatch.describe_alarms()["MetricAlarms"]:
        dimensions = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
        if (
            alarm.get("MetricName") == "ApproximateNumberOfMessagesVisible"
            and dimensions.get("QueueName") == queue_name
        ):
            return alarm
    raise FaultError(f"no alarm on ApproximateNumberOfMessagesVisible of {queue_name}")


@dataclass
class Worker:
    """One video worker task: the worker's exact command as a process in its own group."""

    process: Process

    def wait_for(self, pattern: re.Pattern[str], count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(task_ids(pattern, [self.process.log])) < count:
            if self.process.exited() is not None:
                raise FaultError(f"{self.process.name} exited {self.process.exited()}:\n{self.process.tail()}")
            if time.monotonic() > deadline:
                raise FaultError(
                    f"{self.process.name}: no `{pattern.pattern}` within {timeout:.0f} s:\n{self.process.tail()}"
                )
            time.sleep(0.5)

    def kill(self) -> None:
        """SIGKILL to the whole group: no warm shutdown, no message given back (an OOM kill)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.popen.wait()  # type: ignore[union-attr]


class VideoFault:
    """The worker and web environments of one applied environment, and its queues."""

    def __init__(self, emulator: Any, specs: list[taskdef.ContainerSpec], work: Path, calls: Path) -> None:
        self.emulator, self.work = emulator, work
        self.region = specs[0].region
        envs = stage.video_envs(emulator, specs, [], calls)
        self.spec = next(s for s in specs if s.service == iam_evaluation.VIDEO_WORKER_SERVICE)
        self.worker_env = {
            **video_contract._process_env(envs[self.spec.service]),
            "SQS_VISIBILITY_TIMEOUT": str(VISIBILITY_S),
            "E2E_JOB_SECONDS": str(JOB_S),
        }
        self.web_env = envs[iam_evaluation.VIDEO_WEB_SERVICE]
        self.sqs = emulator.client("sqs", self.region)
        self.queue_url = self.worker_env["SQS_QUEUE_URL"]
        self.workers: list[Worker] = []

    def start_worker(self) -> Worker:
        number = len(self.workers) + 1
        process = Process(
            f"{self.spec.service}-{number}",
            [*self.spec.entry_point, *self.spec.command],
            self.worker_env,
            video_contract.APP,
            self.work / f"worker-{number}.log",
        )
        process.start()
        worker = Worker(process)
        self.workers.append(worker)
        return worker

    def send_job(self) -> str:
        return video_contract.produce(f"fault-{uuid.uuid4().hex[:8]}.mp4", self.web_env)

    def counts(self, queue_url: str) -> tuple[int, int]:
        attributes = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def logs(self) -> list[Path]:
        return [w.process.log for w in self.workers]

    def stop(self) -> None:
        for worker in self.workers:
            worker.process.stop()


def worker_killed(emulator: Any, specs: list[taskdef.ContainerSpec], work: Path, calls: Path) -> str:
    """The fault; returns its counts, raises FaultError naming what was lost or repeated."""
    work.mkdir(parents=True, exist_ok=True)
    fault = VideoFault(emulator, specs, work, calls)
    sqs, url = fault.sqs, fault.queue_url
    applied = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    redrive = json.loads(applied["RedrivePolicy"])
    max_receives = int(redrive["maxReceiveCount"])
    dlq_name = redrive["deadLetterTargetArn"].rsplit(":", 1)[1]
    dlq_url = sqs.get_queue_url(QueueName=dlq_name)["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": str(VISIBILITY_S)})
    try:
        # 1. Killed mid-job: the next worker takes the message once it is visible again.
        first = fault.start_worker()
        fault.send_job()
        first.wait_for(RECEIVED, 1, 60)
        first.kill()
        killed_at = time.monotonic()
        second = fault.start_worker()
        second.wait_for(SUCCEEDED, 1, VISIBILITY_S + JOB_S + 60)
        redelivered_s = time.monotonic() - killed_at
        time.sleep(VISIBILITY_S + 2)  # one more visibility timeout: nothing may come back
        received, succeeded = task_ids(RECEIVED, fault.logs()), task_ids(SUCCEEDED, fault.logs())
        if len(set(received)) != 1 or len(received) != 2 or len(succeeded) != 1:
            raise FaultError(f"killed job: received {received}, succeeded {succeeded} (want 2 receives, 1 success)")
        if fault.counts(url) != (0, 0):
            raise FaultError(f"killed job: queue still holds (visible, in flight) {fault.counts(url)}")
        second.process.stop()
        # 2. A job that kills every worker that takes it: dead-lettered after maxReceiveCount receives.
        before = len(received)
        dead_before = fault.counts(dlq_url)[0]  # an earlier run against the same environment left its own
        fault.send_job()
        for _ in range(max_receives):
            worker = fault.start_worker()
            worker.wait_for(RECEIVED, 1, VISIBILITY_S + 60)
            worker.kill()
        last = fault.start_worker()
        deadline = time.monotonic() + VISIBILITY_S + 60
        while fault.counts(dlq_url)[0] == dead_before and time.monotonic() < deadline:
            time.sleep(1)
        poison_receives = len(task_ids(RECEIVED, fault.logs())) - before
        dead, in_queue = fault.counts(dlq_url)[0] - dead_before, sum(fault.counts(url))
        last.process.stop()
        if poison_receives != max_receives or dead != 1 or in_queue != 0:
            raise FaultError(
                f"failing job: received {poison_receives} times (want {max_receives}), {dead} in {dlq_name} "
                f"(want 1), {in_queue} left in the queue (want 0)"
            )
        alarm = queue_alarm(emulator.client("cloudwatch", fault.region), dlq_name)
        if not alarm_breached(alarm, dead):
            raise FaultError(f"alarm {alarm['AlarmName']} would not fire on {dead} message(s) in {dlq_name}")
    finally:
        fault.stop()
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": applied["VisibilityTimeout"]})
    return (
        f"killed mid-job 1, redelivered and processed once after {redelivered_s:.0f} s, received 2, succeeded 1; "
        f"failing job received {poison_receives}/{max_receives}, dead-lettered {dead}, "
        f"{alarm['AlarmName']}: {dead} {alarm['ComparisonOperator']} {alarm['Threshold']:g}; "
        f"visibility timeout {VISIBILITY_S} s (applied {applied['VisibilityTimeout']} s)"
    )


def database_restarted(running: Any) -> str:
    """Every RDS stand-in stopped (fast shutdown: connections cut, as a reboot or failover cuts them)
    with the DAG runs just triggered in flight, started again after DATABASE_DOWN_S; the services
    must pass their health checks again, with a process that exits restarted as ECS's service
    scheduler would (counted), and every run in flight must succeed."""
    import airflow

    user = admin_user(running)
    in_flight = {dag: user.trigger(dag) for dag in airflow.DAGS}
    stopped = time.monotonic()
    for server in running.servers:
        server.process.send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown
        server.process.wait(timeout=60)
    time.sleep(DATABASE_DOWN_S)
    for server in running.servers:
        server.launch()
    back = time.monotonic()
    outage = back - stopped
    restarts: dict[str, int] = {}
    deadline = back + RECOVERY_TIMEOUT_S
    pending = dict(running.probes)
    while pending:
        for name, process in running.processes.items():
            if process.exited() is not None:
                restarts[name] = restarts.get(name, 0) + 1
                print(f"{running.label}: {name} exited {process.exited()} after the outage; started again as ECS would")
                process.start()
        pending = {name: probe for name, probe in pending.items() if probe() is not None}
        if time.monotonic() > deadline:
            raise FaultError(
                f"{running.label}: not healthy {RECOVERY_TIMEOUT_S} s after the database came back: {sorted(pending)}"
            )
        time.sleep(2)
    recovered = time.monotonic() - back
    user = admin_user(running)  # the session may predate the outage
    states = run_states(user, in_flight, deadline)
    succeeded = sum(state == "success" for state in states.values())
    if succeeded != len(in_flight):
        raise FaultError(f"{running.label}: runs in flight during the outage: {states}")
    restarted = ", ".join(f"{name} x{n}" for name, n in restarts.items()) or "none"
    return (
        f"fault: {running.label.removeprefix('runtime: ')}: database-restarted: ok (outage {outage:.0f} s, "
        f"healthy again {recovered:.0f} s after, {succeeded}/{len(in_flight)} DAG runs in flight succeeded, 0 lost; "
        f"processes restarted as ECS would: {restarted})"
    )


def run_states(user: Any, in_flight: dict[str, str], deadline: float) -> dict[str, str]:
    """Each triggered run's state once every one has finished (or `lost`: gone from the list), or at the deadline."""
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        runs = {dag: {r["dag_run_id"]: r["state"] for r in user.runs(dag)} for dag in in_flight}
        states = {dag: runs[dag].get(run_id, "lost") for dag, run_id in in_flight.items()}
        if all(state in ("success", "failed", "lost") for state in states.values()):
            break
        time.sleep(3)
    return states


def admin_user(running: Any) -> Any:
    """The admin, logged in with the password from SSM."""
    import airflow

    ui = next(s for s in running.airflow_specs if s.container_ports)
    password = running.emulator.client("ssm", running.region).get_parameter(
        Name=ui.secret_sources["AIRFLOW_ADMIN_PASSWORD"], WithDecryption=True
    )["Parameter"]["Value"]
    return airflow.AirflowUser(
        running.line, f"http://127.0.0.1:{running.ui_port}", ui.environment["AIRFLOW_ADMIN_USERNAME"], password
    )


@contextlib.contextmanager
def notification_tap(emulator: Any, region: str) -> Iterator[str]:
    """An SQS queue subscribed to every SNS topic while in use: what subscribers would receive, to
    count per incident. Deleted after, subscriptions and all (destroy's leftover check sees it)."""
    sqs, sns = emulator.client("sqs", region), emulator.client("sns", region)
    url = sqs.create_queue(QueueName=f"fault-tap-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subscriptions = [
        sns.subscribe(TopicArn=topic["TopicArn"], Protocol="sqs", Endpoint=arn, ReturnSubscriptionArn=True)[
            "SubscriptionArn"
        ]
        for topic in sns.list_topics()["Topics"]
    ]
    try:
        yield url
    finally:
        for subscription in subscriptions:
            sns.unsubscribe(SubscriptionArn=subscription)
        sqs.delete_queue(QueueUrl=url)


def notifications_per_incident(emulator: Any, region: str, url: str) -> dict[str, int]:
    sqs, counts = emulator.client("sqs", region), {}
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            incident = json.loads(message["Body"])["MessageAttributes"]["incidentId"]["Value"]
            counts[incident] = counts.get(incident, 0) + 1
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return counts


def scheduler_interrupted(running: Any) -> str:
    """Where the scheduler runs on FARGATE_SPOT: with new incidents and the five DAGs triggered, the
    scheduler's process group gets SIGTERM once a task instance runs (SIGKILL STOP_TIMEOUT_S later,
    as ECS stops a task), then a replacement starts as ECS's service would. Every run must succeed,
    each new incident be notified exactly once, and nothing of the old task be left running."""
    import airflow

    environment = running.label.removeprefix("runtime: ")
    ecs = running.emulator.client("ecs", running.region)
    scheduler = stage.scheduler_spec(running.airflow_specs)
    service = ecs.describe_services(cluster=stage.AIRFLOW_CLUSTER, services=[scheduler.service])["services"][0]
    providers = {p["capacityProvider"] for p in service.get("capacityProviderStrategy", [])}
    if "FARGATE_SPOT" not in providers:
        where = sorted(providers) or "FARGATE"
        return f"fault: {environment}: scheduler-interrupted: not applicable (scheduler on {where})"
    user = admin_user(running)
    table = scheduler.environment["DYNAMODB_TABLE"]
    prefix = f"spot-{uuid.uuid4().hex[:6]}"
    seeded = stage.seed_incidents(running.emulator, running.region, table, prefix=prefix)
    with notification_tap(running.emulator, running.region) as tap:
        in_flight = {dag: user.trigger(dag) for dag in airflow.DAGS}
        deadline = time.monotonic() + RECOVERY_TIMEOUT_S
        while not any(
            ti["state"] == "running" for dag, run_id in in_flight.items() for ti in user.task_instances(dag, run_id)
        ):
            if time.monotonic() > deadline:
                raise FaultError(f"{running.label}: no task instance ever ran to interrupt")
            time.sleep(0.5)
        process = running.processes[scheduler.service]
        interrupted = time.monotonic()
        # Its whole session, task runners in groups of their own included, as a stopped container
        # leaves nothing (test_faults.py shows Process.stop does).
        process.stop(timeout=STOP_TIMEOUT_S)
        stop_s = time.monotonic() - interrupted
        process.start()  # the replacement task, as ECS's service starts it
        states = run_states(user, in_flight, deadline)
        # The dispatcher may have run before the classifier labelled the new incidents (all five DAGs
        # start at once), so one more dispatcher run after the rest: it notifies whatever is still
        # due, and must notify nothing a run before it already did.
        again = {DISPATCHER: user.trigger(DISPATCHER)}
        states[f"{DISPATCHER} (after)"] = run_states(user, again, deadline)[DISPATCHER]
        retried = sum(
            max((ti.get("try_number") or 1) - 1, 0)
            for dag, run_id in in_flight.items()
            for ti in user.task_instances(dag, run_id)
        )
        time.sleep(5)  # SNS to SQS delivery in the emulator
        notified = {
            k: v
            for k, v in notifications_per_incident(running.emulator, running.region, tap).items()
            if k.startswith(prefix)
        }
    problems = []
    if any(state != "success" for state in states.values()):
        problems.append(f"runs: {states}")
    if len(notified) != seeded or any(n != 1 for n in notified.values()):
        problems.append(f"notifications per new incident {notified} (want each of {seeded} exactly once)")
    if problems:
        raise FaultError(f"{running.label}: scheduler-interrupted: " + "; ".join(problems))
    return (
        f"fault: {environment}: scheduler-interrupted: ok ({len(in_flight)}/{len(in_flight)} runs in flight "
        f"succeeded and a dispatcher run after them, {seeded} new incidents notified once each, "
        f"old task stopped in {stop_s:.0f} s, its whole session, before the replacement started, "
        f"{retried} task tries repeated by the replacement)"
    )


def while_running(names: list[str]) -> tuple[Callable[[Any], str], ...]:
    """The faults among `names` that the runtime stage runs while its services run."""
    faults = {"database-restarted": database_restarted, "scheduler-interrupted": scheduler_interrupted}
    return tuple(faults[name] for name in names if name in RUNNING_FAULTS)


def evaluated(emulator: Any, specs: list[taskdef.ContainerSpec], calls: Path, region: str) -> str:
    """The IAM evaluation of the calls made during the fault (the workers', the producer's)."""
    result = iam_evaluation.evaluate(
        calls, emulator.url, iam_evaluation.controls_for(specs), region, iam_evaluation.lab_role_stand_ins(specs)
    )
    if not result.ok:
        raise FaultError(f"IAM evaluation of the calls during the fault failed:\n{result.report()}")
    return result.summary()


def run_faults(environment: str, emulator: Any, region: str, names: list[str], work: Path, calls: Path) -> list[str]:
    """Each named fault's line, `fault: <env>: <fault>: ok (<counts>)`; raises on the first that fails."""
    lines = []
    for name in names:
        if name in RUNNING_FAULTS:
            continue  # run by stage.run_stage (while_running)
        if name == "worker-killed":
            specs = taskdef.container_specs(emulator, region, stage.VIDEO_CLUSTER)
            counts = worker_killed(emulator, specs, work / name, calls)
            counts += "; " + evaluated(emulator, specs, calls, region)
        else:
            raise FaultError(f"unknown fault {name!r}; known: {', '.join(FAULTS)}")
        lines.append(f"fault: {environment}: {name}: ok ({counts})")
        print(lines[-1], flush=True)
    return lines


def main(argv: list[str] | None = None) -> int:
    import run
    import up

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("environment", choices=run.environments())
    parser.add_argument("faults", nargs="+", choices=FAULTS)
    parser.add_argument("--work", type=Path, default=run.ROOT / ".e2e-up")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    kept = up.KeptUp.load(work, args.environment)
    fault_dir = work / args.environment / "faults"
    fault_dir.mkdir(parents=True, exist_ok=True)
    emulator = run.Emulator.attach(kept.url)
    try:
        if during := while_running(args.faults):
            # These need the services running: the whole runtime stage again, with them.
            config = json.loads((Path(kept.out).parent / "config" / f"{args.environment}.json").read_text())
            stage_dir = fault_dir / "runtime"
            shutil.rmtree(stage_dir, ignore_errors=True)
            stage.run_stage(args.environment, config, emulator, stage_dir, during)  # prints each fault's line
        run_faults(args.environment, emulator, kept.region, args.faults, fault_dir, fault_dir / "aws-calls.jsonl")
    except (*stage.STAGE_ERRORS, FaultError) as error:
        print(f"fault: {args.environment}: FAILED: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
