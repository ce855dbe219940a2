"""`make local`: one environment running on this machine for a person, built from the runtime stage's
library (docs/local.md): moto with the stacks applied (up.py), a PostgreSQL 15 per RDS instance,
every Airflow container of the applied task definitions as a process with the image's entrypoint,
the UI on http://127.0.0.1:8080, the DAGs on their schedules, and the video worker's exact command
(the stand-in app, tools/e2e/runtime/video_app) consuming the queue.

    python tools/e2e/runtime/local.py --work .local up hackathon   # foreground; Ctrl-C stops it all
    python tools/e2e/runtime/local.py --work .local incidents       # add sample incidents (another shell)
    python tools/e2e/runtime/local.py --work .local job             # send a test video job, wait for processed/

Every process it starts runs in its own session and is stopped by its PID on Ctrl-C (SIGINT),
SIGTERM, or when one of them exits (then it is named with the end of its log).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
import uuid
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import iam_evaluation
import processes
import run
import stage
import taskdef
import up
import video_contract
from processes import Process, ServiceError

#: Where people expect the Airflow UI (the container port of both lines' UI).
UI_PORT = 8080
#: Where `incidents` and `job` find the running environment.
STATE_FILE = "local.json"
#: The UI listens on loopback only: a laptop's other interfaces must not expose the admin login.
UI_HOST_VARIABLE = {"2.8": "AIRFLOW__WEBSERVER__WEB_SERVER_HOST", "3.3": "AIRFLOW__API__HOST"}
#: Celery prints this once it consumes (`celery@<host> ready.`).
WORKER_READY = " ready."


class SignalledError(Exception):
    """SIGINT or SIGTERM: stop everything started, by PID."""


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise SignalledError(signal.Signals(signum).name)


def ui_port_free() -> str | None:
    """None when 127.0.0.1:8080 can be bound; else why not (said before anything starts)."""
    import socket

    with socket.socket() as probe:
        # As the UI's server binds (SO_REUSEADDR): connections of a previous run in TIME_WAIT do not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", UI_PORT))
        except OSError as error:
            return f"127.0.0.1:{UI_PORT} is taken ({error.strerror}): stop what listens there first"
    return None


def worker_probe(process: Process) -> processes.Probe:
    def probe() -> str | None:
        text = process.log.read_text(errors="replace") if process.log.is_file() else ""
        return None if WORKER_READY in text else "celery not ready yet"

    return probe


def apply_progress(directory: Path, label: str, stop: threading.Event, every: float = 20) -> None:
    """Every `every` seconds, the stack whose Terraform log was written last (run.py logs each step)."""
    started = time.monotonic()
    while not stop.wait(every):
        logs = sorted((directory / "logs").glob("*.log"), key=lambda log: log.stat().st_mtime)
        step = logs[-1].name.removesuffix(".log").replace(".", " ") if logs else "starting"
        print(f"{label}: {time.monotonic() - started:.0f} s, terraform: {step}", flush=True)


def video_worker(emulator: Any, specs: list, substitutions: list, calls: Path, runtime: Path) -> Process:
    """The video worker task: its exact command under its task role, against the stand-in app."""
    envs = stage.video_envs(emulator, specs, substitutions, calls)
    spec = next(s for s in specs if s.service == iam_evaluation.VIDEO_WORKER_SERVICE)
    return Process(
        spec.service,
        [*spec.entry_point, *spec.command],
        video_contract._process_env(envs[spec.service]),
        video_contract.APP,
        runtime / "logs" / f"{spec.service}.log",
    )


def print_ready(
    label: str, line: str, kept: up.KeptUp, airflow_specs: list, healthy_s: float, since_start: float, runtime: Path
) -> None:
    """Where the UI is, who logs in, how to read the password (README: from SSM), what else to do."""
    user = airflow_specs[0].environment.get("AIRFLOW_ADMIN_USERNAME", "admin")
    password_name = next(s for s in airflow_specs if s.container_ports).secret_sources["AIRFLOW_ADMIN_PASSWORD"]
    print(
        f"{label}: {len(airflow_specs) + 1} services healthy in {healthy_s:.0f} s "
        f"({since_start:.0f} s since make local started)\n"
        f"  Airflow {line} UI: http://127.0.0.1:{UI_PORT}  user {user}, password:\n"
        f"    AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws --endpoint-url {kept.url} "
        f"--region {kept.region} ssm get-parameter --with-decryption --name {password_name} "
        "--query Parameter.Value --output text\n"
        f"  sample incidents: make local-incidents    a test video job: make local-job\n"
        f"  logs: {runtime / 'logs'}    Ctrl-C stops every process started here",
        flush=True,
    )


def listen_on_loopback(running: dict[str, Process], line: str) -> None:
    """The UI on 127.0.0.1 only: this machine's network is not the private subnet of ECS."""
    for process in running.values():
        process.env[UI_HOST_VARIABLE[line]] = "127.0.0.1"


def bring_up(environment: str, work: Path) -> int:  # noqa: PLR0915 - one bring-up, read top to bottom
    """Apply, start every service, wait for health, then keep them up until interrupted."""
    if problem := ui_port_free():
        raise ServiceError(problem)
    started = time.monotonic()
    label = f"local: {environment}"
    print(f"{label}: applying the stacks against moto (takes minutes; progress below)", flush=True)
    stop_progress = threading.Event()
    threading.Thread(target=apply_progress, args=(work / environment, label, stop_progress), daemon=True).start()
    try:
        kept = up.up(work, environment, checks=False)
    finally:
        stop_progress.set()
    print(f"{label}: applied in {time.monotonic() - started:.0f} s", flush=True)
    emulator = run.Emulator.attach(kept.url)
    config = json.loads((Path(kept.out).parent / "config" / f"{environment}.json").read_text())
    line, region = config["airflow"]["line"], kept.region
    runtime = work / environment / "runtime"
    runtime.mkdir(parents=True, exist_ok=True)
    calls = runtime / "aws-calls.jsonl"
    servers: list = []
    running: dict[str, Process] = {}
    try:
        db_substitutions, servers = stage.database_substitutions(emulator, emulator.url, region, runtime)
        print(f"{label}: PostgreSQL 15 {', '.join(f'pid {s.process.pid}' for s in servers)}", flush=True)
        airflow_specs = taskdef.container_specs(emulator, region, stage.AIRFLOW_CLUSTER)
        video_specs = taskdef.container_specs(emulator, region, stage.VIDEO_CLUSTER)
        services = stage.airflow_processes(
            emulator, emulator.url, airflow_specs, line, runtime, db_substitutions, calls, ui_port=UI_PORT
        )
        running, probes = services.processes, services.probes
        listen_on_loopback(running, line)
        worker = video_worker(emulator, video_specs, db_substitutions, calls, runtime)
        running[worker.name] = worker
        probes[f"{worker.name} consuming"] = worker_probe(worker)
        for process in running.values():
            process.start()
            print(f"{label}: started {process.name} (pid {process.pid}, log {process.log})", flush=True)
        (work / STATE_FILE).write_text(
            json.dumps({"environment": environment, "url": kept.url, "region": region, "line": line}, indent=2)
        )
        ready = processes.wait_ready(probes, running, stage.READY_TIMEOUT_S, label)
        print_ready(label, line, kept, airflow_specs, max(ready.values()), time.monotonic() - started, runtime)
        while True:
            for process in running.values():
                if (code := process.exited()) is not None:
                    raise ServiceError(f"{label}: {process.name} exited {code} (log {process.log}):\n{process.tail()}")
            time.sleep(2)
    finally:
        # A second Ctrl-C must not cut the clean-up short and leave processes behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        names = [f"{p.name} (pid {p.pid})" for p in running.values() if p.popen is not None]
        processes.stop_all(list(running.values()))
        for server in servers:
            server.stop()
        up.down(work, environment)
        (work / STATE_FILE).unlink(missing_ok=True)
        print(f"{label}: stopped {', '.join(names) or 'nothing started'}, PostgreSQL and moto", flush=True)


def attached(work: Path) -> tuple[dict, run.Emulator]:
    path = work / STATE_FILE
    if not path.is_file():
        raise ServiceError(f"nothing running: {path} not found (start it with `make local`)")
    state = json.loads(path.read_text())
    return state, run.Emulator.attach(state["url"])


def add_incidents(work: Path) -> None:
    state, emulator = attached(work)
    specs = taskdef.container_specs(emulator, state["region"], stage.AIRFLOW_CLUSTER)
    table = specs[0].environment["DYNAMODB_TABLE"]
    count = stage.seed_incidents(emulator, state["region"], table, prefix=f"local-{uuid.uuid4().hex[:6]}")
    print(f"local: {count} pending incidents added to {table}; incident_classifier picks them up on its schedule")


def send_job(work: Path, timeout: float = 120) -> None:
    """Upload and enqueue as the web task role (the stand-in producer); wait for the worker's processed/."""
    from botocore.exceptions import ClientError

    state, emulator = attached(work)
    specs = taskdef.container_specs(emulator, state["region"], stage.VIDEO_CLUSTER)
    envs = stage.video_envs(emulator, specs, [], work / state["environment"] / "runtime" / "aws-calls.jsonl")
    web = envs[iam_evaluation.VIDEO_WEB_SERVICE]
    upload = video_contract.produce(f"local-{uuid.uuid4().hex[:8]}.mp4", web)
    key = video_contract.processed_key(upload)
    s3 = emulator.client("s3", state["region"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            s3.head_object(Bucket=web["AWS_S3_BUCKET"], Key=key)
            print(f"local: job {upload} sent as the web role; the worker wrote {key}")
            return
        except ClientError:
            time.sleep(1)
    raise ServiceError(f"local: no {key} after {timeout:.0f} s: see the worker's log")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=run.ROOT / ".local")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up").add_argument("environment", choices=run.environments())
    commands.add_parser("incidents")
    commands.add_parser("job")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    sys.stdout.reconfigure(line_buffering=True)  # progress shows at once through `| tee` too
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if args.command == "up":
            return bring_up(args.environment, work)
        add_incidents(work) if args.command == "incidents" else send_job(work)
    except SignalledError as why:
        print(f"local: {why}: stopped", file=sys.stderr)
        return 130
    except (*stage.STAGE_ERRORS, run.E2EError) as error:
        print(f"local: FAILED: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
