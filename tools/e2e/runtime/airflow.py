"""The Airflow containers of one environment as local processes, and what their users do with them:
log in as admin, trigger the five DAGs, wait for their runs, count failed task attempts.

Each container runs the image's own docker/airflow/entrypoint.sh (which calls bootstrap.py) on the
line's DAG-test venv (.venv for 2.8, .venv-airflow3.3; mk/python.mk builds them), with a one-line
stand-in for the base image's /entrypoint (its last step, `exec airflow "$@"`).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from processes import ServiceError

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "docker" / "airflow" / "Dockerfile"
ENTRYPOINT = ROOT / "docker" / "airflow" / "entrypoint.sh"
#: The image copies dags/ here (Dockerfile: COPY dags/ /opt/airflow/dags-image/).
IMAGE_DAGS = ROOT / "dags"
#: The image's AIRFLOW_HOME, under which the task definitions mount EFS.
IMAGE_HOME = "/opt/airflow"
VENVS = {"2.8": ROOT / ".venv", "3.3": ROOT / ".venv-airflow3.3"}
DAGS = ("incident_classifier", "notification_dispatcher", "metrics_analyzer", "report_generator", "incidents_backup")
#: The base image's /entrypoint ends with this dispatch; everything before it is about the image's
#: user and files (and `airflow db check`, which the containers switch off).
BASE_ENTRYPOINT_STANDIN = """#!/bin/sh
# Stand-in for apache/airflow's /entrypoint: its last steps. `bash` and `python` commands run as
# they are (the ECS executor's workers run `python -m airflow.sdk.execution_time.execute_workload`).
case "$1" in
  bash) shift; exec /bin/bash "$@" ;;
  python) shift; exec python "$@" ;;
  airflow) shift ;;
esac
exec airflow "$@"
"""


def image_environment(line: str) -> dict[str, str]:
    """The Dockerfile's ENV instructions, with the line's build argument, as the image carries them."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    env: dict[str, str] = {}
    for instruction in re.findall(r"^ENV\s+(.+)$", text, flags=re.MULTILINE):
        for name, value in re.findall(r"(\w+)=(\S+)", instruction):
            env[name] = value.replace("${AIRFLOW_LINE}", line)
    return env


@dataclass(frozen=True)
class LinePorts:
    """The variables that move a process's listening ports (tasks share one host here)."""

    ui_port_variable: str
    ui_health_path: str
    api: str


LINES = {
    "2.8": LinePorts("AIRFLOW__WEBSERVER__WEB_SERVER_PORT", "/health", "/api/v1"),
    "3.3": LinePorts("AIRFLOW__API__PORT", "/api/v2/monitor/health", "/api/v2"),
}


class AirflowUser:
    """The admin, logged in through the UI's own login (2.8) or the FAB token endpoint (3.3)."""

    def __init__(self, line: str, base_url: str, username: str, password: str) -> None:
        self.line, self.base = line, base_url.rstrip("/")
        self.api = self.base + LINES[line].api
        self.http = requests.Session()
        if line == "2.8":
            page = self.http.get(f"{self.base}/login/", timeout=30)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
            if not token:
                raise ServiceError(f"login page {self.base}/login/ has no CSRF token (HTTP {page.status_code})")
            answer = self.http.post(
                f"{self.base}/login/",
                data={"username": username, "password": password, "csrf_token": token.group(1)},
                allow_redirects=False,
                timeout=30,
            )
            if answer.status_code != 302 or "/login" in answer.headers.get("Location", "/login"):
                raise ServiceError(f"UI login as {username} refused (HTTP {answer.status_code})")
        else:
            answer = self.http.post(
                f"{self.base}/auth/token", json={"username": username, "password": password}, timeout=30
            )
            if answer.status_code not in (200, 201):
                raise ServiceError(f"login as {username} refused: HTTP {answer.status_code} {answer.text[:200]}")
            self.http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        # The login is only proven when an authenticated page answers.
        check = self.http.get(f"{self.api}/dags", timeout=30)
        if check.status_code != 200:
            raise ServiceError(f"after login, GET {self.api}/dags answered HTTP {check.status_code}")

    def dag_ids(self) -> set[str]:
        return {d["dag_id"] for d in self.http.get(f"{self.api}/dags", timeout=30).json()["dags"]}

    def trigger(self, dag_id: str) -> str:
        body: dict = {} if self.line == "2.8" else {"logical_date": None}
        answer = self.http.post(f"{self.api}/dags/{dag_id}/dagRuns", json=body, timeout=30)
        if answer.status_code not in (200, 201):
            raise ServiceError(f"triggering {dag_id}: HTTP {answer.status_code} {answer.text[:300]}")
        return answer.json()["dag_run_id"]

    def runs(self, dag_id: str) -> list[dict]:
        return self.http.get(f"{self.api}/dags/{dag_id}/dagRuns", timeout=30).json()["dag_runs"]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        answer = self.http.get(f"{self.api}/dags/{dag_id}/dagRuns/{run_id}/taskInstances", timeout=30)
        return answer.json()["task_instances"]


def failed_attempts(task_instances: list[dict]) -> int:
    """Attempts that did not succeed: every try of a failed task, every try before the last otherwise."""
    count = 0
    for ti in task_instances:
        tries = ti.get("try_number") or 0
        count += tries if ti["state"] in ("failed", "up_for_retry") else max(tries - 1, 0)
    return count


@dataclass
class DagOutcome:
    succeeded: set[str]
    failed_attempts: dict[str, int]
    seconds: float


def run_dags(user: AirflowUser, timeout: float, label: str) -> DagOutcome:
    """Trigger every DAG once and wait until each has succeeded both on schedule and when triggered.

    The DAGs start unpaused, so the scheduler creates each one's latest scheduled run on start.
    """
    started = time.monotonic()
    deadline = started + timeout
    while (missing := set(DAGS) - user.dag_ids()) and time.monotonic() < deadline:
        time.sleep(3)
    if missing:
        raise ServiceError(f"{label}: DAGs never parsed: {sorted(missing)}")
    triggered = {dag: user.trigger(dag) for dag in DAGS}
    succeeded: set[str] = set()
    next_progress = time.monotonic() + 30
    while time.monotonic() < deadline:
        succeeded = set()
        for dag in DAGS:
            runs = user.runs(dag)
            failed = [r["dag_run_id"] for r in runs if r["state"] == "failed"]
            if failed:
                raise ServiceError(f"{label}: {dag} run {failed[0]} failed")
            states = {(r["run_type"], r["state"]) for r in runs}
            manual_ok = any(r["dag_run_id"] == triggered[dag] and r["state"] == "success" for r in runs)
            if manual_ok and ("scheduled", "success") in states:
                succeeded.add(dag)
        if succeeded == set(DAGS):
            break
        if time.monotonic() >= next_progress:
            print(f"{label}: DAGs succeeded so far {sorted(succeeded)}", flush=True)
            next_progress = time.monotonic() + 30
        time.sleep(5)
    attempts = {
        dag: sum(failed_attempts(user.task_instances(dag, r["dag_run_id"])) for r in user.runs(dag)) for dag in DAGS
    }
    return DagOutcome(succeeded, attempts, time.monotonic() - started)
