"""The DAG folder as Airflow's scheduler parses it."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

from support import DAGS

EXPECTED_SCHEDULES = {
    "incident_classifier": "*/5 * * * *",
    "notification_dispatcher": "*/10 * * * *",
    "metrics_analyzer": "0 */6 * * *",
    "report_generator": "0 8 * * *",
    "incidents_backup": "@daily",
}


@pytest.fixture(scope="module")
def dagbag():
    from airflow.models import DagBag

    return DagBag(dag_folder=str(DAGS), include_examples=False)


def test_the_dag_folder_imports_without_errors(dagbag) -> None:
    assert dagbag.import_errors == {}


def test_exactly_the_five_dags_with_their_schedules(dagbag) -> None:
    assert {dag_id: dag.schedule_interval for dag_id, dag in dagbag.dags.items()} == EXPECTED_SCHEDULES


def test_the_report_runs_at_eight_in_lima(dagbag) -> None:
    dag = dagbag.dags["report_generator"]
    assert dag.timezone.name == "America/Lima"
    next_run = dag.timetable.next_dagrun_info(last_automated_data_interval=None, restriction=_no_restriction(dag))
    assert next_run is not None
    assert next_run.run_after.in_timezone("America/Lima").hour == 8


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_SCHEDULES))
def test_every_dag_runs_alone_without_catchup_and_retries(dagbag, dag_id: str) -> None:
    dag = dagbag.dags[dag_id]
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert dag.start_date.tzinfo is not None
    assert "alerta-utec" in dag.tags
    assert dag.doc_md
    [task] = dag.tasks
    assert task.retries >= 1
    assert task.execution_timeout is not None
    assert task.execution_timeout < dag.dagrun_timeout <= timedelta(hours=2)


def test_parsing_the_dags_touches_no_aws_code() -> None:
    """Parsing happens every 30 seconds in the scheduler: no boto3 client, no helper but the defaults."""
    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from airflow.models import DagBag\n"
        "bag = DagBag(dag_folder=sys.argv[1], include_examples=False)\n"
        "assert len(bag.dags) == 5, bag.import_errors\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('alerta_utec'))\n"
        "assert loaded == ['alerta_utec', 'alerta_utec.dag_defaults'], loaded\n"
    )
    subprocess.run([sys.executable, "-c", script, str(DAGS)], check=True, capture_output=True, timeout=120)


def _no_restriction(dag):
    from airflow.timetables.base import TimeRestriction

    return TimeRestriction(earliest=dag.start_date, latest=None, catchup=False)
