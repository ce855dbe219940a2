"""Measures the memory of each Airflow process with the five DAGs running (docs/airflow-3.md).

Starts the components of one Airflow line as the ECS tasks run them (3.3: api-server, scheduler
with the LocalExecutor, dag-processor, triggerer; 2.8: webserver, scheduler) against a PostgreSQL
and a moto server on loopback, triggers every DAG, and samples each component's process tree once
a second:

    .venv-airflow3.3/bin/python tools/bench/airflow_memory.py \
        --database postgresql+psycopg2://airflow@127.0.0.1:55432/airflow --seconds 240
    .venv/bin/python tools/bench/airflow_memory.py --line 2.8 --database ...

Per component it prints the peak and the steady state (median of the last third of the samples)
of the main process's RSS, of the tree's summed RSS (pages shared between forks counted once per
process: an upper bound) and of the tree's summed PSS (shared pages split between the sharers:
close to what the container's cgroup is charged). It also runs each component's health check
(`airflow jobs check --job-type ... --local`, GET /api/v2/monitor/health) and reports the DAG runs'
states. Everything listens on 127.0.0.1 and is stopped at the end, or after --seconds plus start-up.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from base64 import urlsafe_b64encode
from pathlib import Path

import boto3
import psutil
import sqlalchemy

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"
sys.path.insert(0, str(REPO / "tests" / "python"))
sys.path.insert(0, str(DAGS))
from support import (  # noqa: E402
    CLASSIFICATION_INDEX,
    FAKE_CREDENTIALS,
    IMAGE_AIRFLOW_CONFIG,
    NOTIFICATION_INDEX,
    REGION,
    create_incidents_table,
    new_incident,
    put_items,
)

# Per line: component -> (command, job type of its health check, or None for the HTTP one).
COMPONENTS = {
    "3.3": {
        "api-server": (["api-server", "--host", "127.0.0.1", "--port", "{api_port}", "--proxy-headers"], None),
        "scheduler": (["scheduler"], "SchedulerJob"),
        "dag-processor": (["dag-processor"], "DagProcessorJob"),
        "triggerer": (["triggerer"], "TriggererJob"),
    },
    # For comparison: the 2.8 line's two services.
    "2.8": {
        "webserver": (["webserver", "--hostname", "127.0.0.1", "--port", "{api_port}"], None),
        "scheduler": (["scheduler"], "SchedulerJob"),
    },
}
HEALTH_PATH = {"3.3": "/api/v2/monitor/health", "2.8": "/health"}
DAG_IDS = ["incident_classifier", "notification_dispatcher", "metrics_analyzer", "report_generator", "incidents_backup"]
MIB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()  # noqa: S310 - loopback
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {timeout:g}s") from None
            time.sleep(0.5)


def tree_memory(pid: int) -> tuple[int, int, int, int]:
    """(main RSS, summed RSS, summed PSS, process count) of pid and its descendants, in bytes."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0, 0, 0
    main_rss = rss = pss = count = 0
    for proc in procs:
        try:
            info = proc.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        rss += info.rss
        pss += info.pss
        count += 1
        if proc.pid == pid:
            main_rss = info.rss
    return main_rss, rss, pss, count


def tree_cpu_seconds(pid: int) -> float:
    """CPU time used so far by pid, its live descendants and the children it has reaped."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def aws_world(endpoint: str) -> dict[str, str]:
    """The DAGs' AWS resources on the moto server, returned as the task environment naming them."""
    kwargs = {"region_name": REGION, "endpoint_url": endpoint}
    dynamodb = boto3.client("dynamodb", **kwargs)
    table = create_incidents_table(dynamodb, "Incidents")
    put_items(dynamodb, table, [new_incident(n) for n in range(200)])
    sns = boto3.client("sns", **kwargs)
    topics = {p: sns.create_topic(Name=f"alerta-utec-{p}")["TopicArn"] for p in ("high", "medium", "low")}
    boto3.client("ses", **kwargs).verify_email_identity(EmailAddress="alerts@example.com")
    boto3.client("s3", **kwargs).create_bucket(Bucket="backups")
    return {
        "DYNAMODB_TABLE": table,
        "INCIDENTS_CLASSIFICATION_INDEX": CLASSIFICATION_INDEX,
        "INCIDENTS_NOTIFICATION_INDEX": NOTIFICATION_INDEX,
        **{f"SNS_TOPIC_ARN_{p.upper()}": arn for p, arn in topics.items()},
        "SES_SENDER_ADDRESS": "alerts@example.com",
        "BACKUP_BUCKET": "backups",
        "METRICS_NAMESPACE": "AlertaUTEC/Incidents",
    }


class Deployment:
    """The four components, moto and their environment, on loopback; stopped by `stop()`."""

    def __init__(self, line: str, database: str, parallelism: int | None) -> None:
        self.components = COMPONENTS[line]
        self.line = line
        self.home = Path(tempfile.mkdtemp(prefix="airflow3-memory-"))
        self.logs = self.home / "logs-components"
        self.logs.mkdir()
        self.api_port, moto_port = free_port(), free_port()
        self.database = database
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "AWS_"))}
        self.env.update(FAKE_CREDENTIALS)
        self.env.update(IMAGE_AIRFLOW_CONFIG)
        self.env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database,
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
                "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
                "AIRFLOW__CORE__FERNET_KEY": urlsafe_b64encode(secrets.token_bytes(32)).decode(),
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.api_port}/execution/",
                "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{self.api_port}",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
            }
        )
        if line == "3.3":  # as the image's entrypoint does; 2.8 has FAB built in
            self.env["AIRFLOW__CORE__AUTH_MANAGER"] = (
                "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
            )
        if parallelism:
            self.env["AIRFLOW__CORE__PARALLELISM"] = str(parallelism)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.start("moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)])
        wait_http(f"http://127.0.0.1:{moto_port}/moto-api/", 60)

    def start(self, name: str, command: list[str]) -> None:
        out = (self.logs / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(  # noqa: S603 - our own interpreter
            command, env=self.env, stdout=out, stderr=out, start_new_session=True
        )

    def airflow(self, *cli: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own interpreter
            [sys.executable, "-m", "airflow", *cli],
            env=self.env,
            check=check,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def set_up(self) -> None:
        os.environ.update({k: v for k, v in self.env.items() if k.startswith("AWS_")})
        self.env.update(aws_world(self.env["AWS_ENDPOINT_URL"]))
        started = time.monotonic()
        self.airflow("db", "migrate")
        print(f"airflow db migrate on an empty database: {time.monotonic() - started:.0f}s", flush=True)
        self.airflow(
            *("users", "create", "--role", "Admin", "--username", "admin", "--email", "admin@example.com"),
            *("--firstname", "A", "--lastname", "B", "--password", secrets.token_urlsafe(12)),
        )
        for name, (command, _) in self.components.items():
            self.start(name, [sys.executable, "-m", "airflow", *(c.format(api_port=self.api_port) for c in command)])
        wait_http(self.health_url, 180)

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}{HEALTH_PATH[self.line]}"

    def sample(self, seconds: float) -> dict[str, list[tuple[int, int, int, int]]]:
        """Samples every component once a second; triggers every DAG at the start and half-way.
        Also sets self.cpu_share: each component's CPU time over the window / the window."""
        samples: dict[str, list[tuple[int, int, int, int]]] = {name: [] for name in self.components}
        started = time.monotonic()
        cpu_before = {name: tree_cpu_seconds(self.procs[name].pid) for name in self.components}
        deadline = time.monotonic() + seconds
        next_trigger, rounds = time.monotonic(), 0
        while time.monotonic() < deadline:
            if rounds < 2 and time.monotonic() >= next_trigger:
                if all(self.airflow("dags", "trigger", dag_id, check=False).returncode == 0 for dag_id in DAG_IDS):
                    rounds += 1
                    next_trigger = time.monotonic() + seconds / 2
                else:
                    next_trigger = time.monotonic() + 5  # not parsed yet
            for name in self.components:
                if self.procs[name].poll() is not None:
                    raise RuntimeError(f"{name} exited with {self.procs[name].returncode}; see {self.logs / name}.log")
                samples[name].append(tree_memory(self.procs[name].pid))
            time.sleep(1)
        elapsed = time.monotonic() - started
        self.cpu_share = {
            name: (tree_cpu_seconds(self.procs[name].pid) - cpu_before[name]) / elapsed for name in self.components
        }
        return samples

    def health(self) -> dict[str, str]:
        checks = {}
        for name, (_, job_type) in self.components.items():
            if job_type:
                result = self.airflow("jobs", "check", "--job-type", job_type, "--local", check=False)
                checks[name] = f"jobs check --job-type {job_type} --local: exit {result.returncode}"
            else:
                with urllib.request.urlopen(self.health_url) as response:  # noqa: S310 - loopback
                    checks[name] = f"GET {HEALTH_PATH[self.line]}: {response.status} {response.read().decode()}"
        return checks

    def dag_runs(self) -> dict[str, int]:
        engine = sqlalchemy.create_engine(self.database)
        query = sqlalchemy.text("SELECT dag_id, state, count(*) FROM dag_run GROUP BY 1, 2 ORDER BY 1, 2")
        with engine.connect() as db:
            runs = {f"{dag_id} {state}": count for dag_id, state, count in db.execute(query)}
        engine.dispose()
        return runs

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def summarize(rows: list[tuple[int, int, int, int]]) -> dict[str, float]:
    steady = rows[len(rows) * 2 // 3 :]
    figures: dict[str, float] = {}
    for index, name in enumerate(("main_rss", "tree_rss", "tree_pss", "processes")):
        scale = 1 if name == "processes" else MIB
        figures[f"{name}_peak"] = max(r[index] for r in rows) / scale
        figures[f"{name}_steady"] = statistics.median(r[index] for r in steady) / scale
    return figures


def report(figures: dict[str, dict[str, float]], checks: dict[str, str], runs: dict[str, int], count: int) -> None:
    print(f"\n{count} samples, 1 s apart; MiB; steady = median of the last third")
    print(f"{'component':14} {'main RSS':>17} {'tree RSS':>17} {'tree PSS':>17} {'processes':>13} {'vCPU':>6}")
    print(
        f"{'':14}" + " {:>8} {:>8}".format("peak", "steady") * 3 + " {:>6} {:>6} {:>6}".format("peak", "steady", "mean")
    )
    for name, f in figures.items():
        print(
            f"{name:14} {f['main_rss_peak']:8.0f} {f['main_rss_steady']:8.0f} {f['tree_rss_peak']:8.0f} "
            f"{f['tree_rss_steady']:8.0f} {f['tree_pss_peak']:8.0f} {f['tree_pss_steady']:8.0f} "
            f"{f['processes_peak']:6.0f} {f['processes_steady']:6.0f} {f['cpu_vcpu_mean']:6.2f}"
        )
    for name, check in checks.items():
        print(f"{name}: {check}")
    for dag_state, runs_count in runs.items():
        print(f"DAG runs {dag_state}: {runs_count}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--line", choices=sorted(COMPONENTS), default="3.3", help="Airflow line of this venv")
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of an empty PostgreSQL database")
    parser.add_argument("--seconds", type=float, default=300, help="how long to sample after start-up")
    parser.add_argument("--parallelism", type=int, help="[core] parallelism (default: Airflow's, 32)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    deployment = Deployment(args.line, args.database, args.parallelism)
    try:
        deployment.set_up()
        print("all components started; triggering the DAGs", flush=True)
        samples = deployment.sample(args.seconds)
        figures = {
            name: {**summarize(rows), "cpu_vcpu_mean": deployment.cpu_share[name]} for name, rows in samples.items()
        }
        checks, runs = deployment.health(), deployment.dag_runs()
        report(figures, checks, runs, len(samples["scheduler"]))
        if args.json:
            args.json.write_text(json.dumps({"figures": figures, "health": checks, "runs": runs}, indent=2))
        return 0
    finally:
        deployment.stop()
        print(f"logs: {deployment.logs}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
