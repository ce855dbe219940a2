"""The faults' own judgement (tools/e2e/runtime/faults.py): counting what a worker received and
finished from Celery's log, and whether the DLQ alarm's condition holds."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtime"))
import faults
import processes
import stage

TASK = "4f1c2b7e-0d3a-4c55-9a51-0f7f3b8e2a11"
#: Celery 5.7's worker log lines at --loglevel info, as the worker task definition runs it.
WORKER_LOG = (
    "[2026-12-05 18:10:01,000: INFO/MainProcess] celery@host ready.\n"
    f"[2026-12-05 18:10:02,000: INFO/MainProcess] Task process_video[{TASK}] received\n"
    f"[2026-12-05 18:10:05,000: INFO/ForkPoolWorker-1] Task process_video[{TASK}] succeeded in 3.0s: 'processed/x'\n"
)


def test_every_receive_of_a_task_counts_and_its_success_once(tmp_path: Path) -> None:
    received = WORKER_LOG.splitlines(keepends=True)[1]
    killed, next_worker = tmp_path / "worker-1.log", tmp_path / "worker-2.log"
    killed.write_text(received)  # received, then SIGKILLed
    next_worker.write_text(received + WORKER_LOG)  # received again by the same worker, then done
    logs = [killed, next_worker, tmp_path / "never-started.log"]

    assert faults.task_ids(faults.RECEIVED, logs) == [TASK, TASK, TASK]
    assert faults.task_ids(faults.SUCCEEDED, logs) == [TASK]


DLQ_ALARM = {"AlarmName": "proyecto-nube-dead-letters", "ComparisonOperator": "GreaterThanThreshold", "Threshold": 0.0}


def test_the_dlq_alarm_fires_on_one_dead_letter_and_not_on_an_empty_queue() -> None:
    assert faults.alarm_breached(DLQ_ALARM, 1)
    assert not faults.alarm_breached(DLQ_ALARM, 0)


def test_an_alarm_comparison_not_evaluated_here_is_an_error_not_a_pass() -> None:
    alarm = {**DLQ_ALARM, "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold"}
    with pytest.raises(faults.FaultError, match="LessThanLowerOrGreaterThanUpperThreshold"):
        faults.alarm_breached(alarm, 1)


def test_a_stopped_task_leaves_no_process_of_its_session_even_in_another_group(tmp_path: Path) -> None:
    # As Airflow's task runners do: a child that moves to a process group of its own.
    script = "import os, time; os.setpgid(0, 0); time.sleep(60)"
    task = processes.Process(
        "task", ["sh", "-c", f"{sys.executable} -c '{script}' & sleep 60"], dict(os.environ), tmp_path, tmp_path / "log"
    )
    task.start()
    try:
        time.sleep(1)
        assert len(processes.alive_in_session(task.pid, wait_s=0)) == 3  # sh, the moved child, sleep

        task.stop(timeout=5)

        assert processes.alive_in_session(task.pid) == []
    finally:
        for pid in processes.alive_in_session(task.pid, wait_s=0):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_the_runtime_summary_line_is_still_the_stage_results() -> None:
    # The fault hooks added a record beside StageResult; once they split it from its summary() and
    # every `make e2e` failed on its last line.
    evaluation = SimpleNamespace(summary=lambda: "41 AWS calls allowed, 0 denied, 14 negative controls denied")
    result = stage.StageResult("hackathon", services_healthy=4, dags_succeeded=5, evaluation=evaluation)

    assert result.summary() == (
        "runtime: hackathon: 4 services healthy, 5/5 DAGs succeeded, "
        "41 AWS calls allowed, 0 denied, 14 negative controls denied"
    )
