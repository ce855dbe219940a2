"""The video pipeline's contract, run: a real Celery worker (pinned celery[sqs]) started with the
worker task definition's exact command against the stand-in app (video_app/, configured from the
container's environment alone, docs/CONTRACTS.md); a producer under the web task role uploads to
uploads/ and sends the job; the worker, under the worker task role, consumes it and writes
processed/, which is then read back from the emulator.

    result = run_video_contract(worker_command, worker_env, web_env, emulator_url, work)

`worker_env` and `web_env` are each container's process environment as the runtime stage builds
it: the task definition's environment, its secrets resolved, the task role's credentials,
AWS_ENDPOINT_URL, and the recorder on PYTHONPATH with E2E_AWS_CALLS (so both sides' calls are
evaluated with the rest).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

sys.path.insert(0, str(Path(__file__).resolve().parent / "video_app"))
from app.videos import processed_body, processed_key

APP = Path(__file__).resolve().parent / "video_app"

#: The emulator's administrator, who reads the result (tools/e2e/run.py's credentials).
ADMIN = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


class VideoContractError(Exception):
    pass


@dataclass(frozen=True)
class VideoContractResult:
    upload_key: str
    processed_key: str
    seconds: float


def _process_env(env: Mapping[str, str]) -> dict[str, str]:
    """The container's environment, plus the venv's executables first on PATH (the image's
    `celery`) and the app's folder on PYTHONPATH (the image's working directory)."""
    python_path = [str(APP), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    return {
        **env,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', os.environ.get('PATH', ''))}",
        "PYTHONPATH": os.pathsep.join(python_path),
    }


def _stop(worker: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as ECS stops a task: Celery finishes its job and exits."""
    if worker.poll() is None:
        os.kill(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()


def produce(name: str, web_env: Mapping[str, str], timeout_seconds: float = 60) -> str:
    """The stand-in producer under the web task role: uploads `name` and enqueues its job; the upload key.

    (faults.py and local.py send their jobs through it too.)"""
    producer = subprocess.run(
        [sys.executable, "-m", "app.producer", name],
        cwd=APP,
        env=_process_env(web_env),
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout_seconds,
    )
    if producer.returncode != 0:
        raise VideoContractError(f"the producer (web task role) failed:\n{producer.stderr[-3000:]}")
    return producer.stdout.strip().splitlines()[-1]


def run_video_contract(
    worker_command: Sequence[str],
    worker_env: Mapping[str, str],
    web_env: Mapping[str, str],
    emulator_url: str,
    work: Path,
    timeout_seconds: float = 120,
) -> VideoContractResult:
    """Runs producer and worker; raises VideoContractError, with the worker's log, if processed/ stays empty."""
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    name = f"e2e-{uuid.uuid4().hex[:8]}.mp4"
    log_path = work / "video-worker.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            list(worker_command), cwd=APP, env=_process_env(worker_env), stdout=log, stderr=subprocess.STDOUT
        )
        try:
            upload_key = produce(name, web_env, timeout_seconds)
            result_key = processed_key(upload_key)
            s3 = boto3.session.Session().client(
                "s3", region_name=worker_env["AWS_REGION"], endpoint_url=emulator_url, **ADMIN
            )
            body = _wait_for(s3, worker_env["AWS_S3_BUCKET"], result_key, worker, started + timeout_seconds)
        finally:
            _stop(worker)
    if body is None:
        tail = log_path.read_text(errors="replace")[-3000:]
        raise VideoContractError(f"no {result_key} after {timeout_seconds:.0f} s; worker log {log_path}:\n{tail}")
    if body != processed_body(name.encode()):
        raise VideoContractError(f"{result_key} holds {body[:60]!r}, not the processed upload")
    return VideoContractResult(upload_key, result_key, time.monotonic() - started)


def _wait_for(s3: object, bucket: str, key: str, worker: subprocess.Popen[bytes], deadline: float) -> bytes | None:
    while time.monotonic() < deadline and worker.poll() is None:
        try:
            return s3.get_object(Bucket=bucket, Key=key)["Body"].read()  # type: ignore[attr-defined]
        except ClientError as error:
            if error.response["Error"]["Code"] not in ("NoSuchKey", "404"):
                raise
        time.sleep(1)
    return None
