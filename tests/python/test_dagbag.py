"""The DAG folder as Airflow's scheduler parses it."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from support import DAGS, DOCKERFILE, IMAGE_AIRFLOW_CONFIG

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

    # No include_examples argument: 3.3 raises TypeError on it; conftest sets
    # AIRFLOW__CORE__LOAD_EXAMPLES=False, which both lines read.
    return DagBag(dag_folder=str(DAGS))


def test_the_dag_folder_imports_without_errors(dagbag) -> None:
    assert dagbag.import_errors == {}


def test_exactly_the_five_dags_with_their_schedules(dagbag) -> None:
    assert {dag_id: schedule_of(dag) for dag_id, dag in dagbag.dags.items()} == EXPECTED_SCHEDULES


def test_the_report_runs_at_eight_in_lima(dagbag) -> None:
    dag = dagbag.dags["report_generator"]
    assert dag.timezone.name == "America/Lima"
    next_run = scheduling_timetable(dag).next_dagrun_info(
        last_automated_data_interval=None, restriction=_no_restriction(dag)
    )
    assert next_run is not None
    assert next_run.run_after.in_timezone("America/Lima").hour == 8


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_SCHEDULES))
def test_every_dag_runs_alone_without_catchup_and_retries(dagbag, dag_id: str) -> None:
    dag = dagbag.dags[dag_id]
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert dag.is_paused_upon_creation is False
    assert dag.start_date.tzinfo is not None
    assert "alerta-utec" in dag.tags
    assert dag.doc_md
    [task] = dag.tasks
    assert task.retries >= 1
    assert task.execution_timeout is not None
    assert task.execution_timeout < dag.dagrun_timeout <= timedelta(hours=2)


def test_a_daily_run_covers_the_day_before_it_on_every_line(dagbag) -> None:
    """2.x semantics: the run at midnight has the previous day as its data interval (and `ds`), so
    the backup of that run is filed under that day. 3.x's default would be the run's own instant;
    the image keeps 2.x's with [scheduler] create_cron_data_intervals."""
    dag = dagbag.dags["incidents_backup"]
    midnight = datetime(2024, 1, 16, tzinfo=UTC)
    interval = scheduling_timetable(dag).infer_manual_data_interval(run_after=midnight)
    assert (interval.start, interval.end) == (midnight - timedelta(days=1), midnight)


def test_the_image_sets_the_configuration_the_tests_parse_with() -> None:
    dockerfile = DOCKERFILE.read_text()
    for name, value in IMAGE_AIRFLOW_CONFIG.items():
        setting = rf"^\s*(ENV\s+)?{name}={value}\b"
        assert re.search(setting, dockerfile, re.MULTILINE), f"{DOCKERFILE} lacks {name}={value}"


def test_parsing_the_dags_touches_no_aws_code() -> None:
    """Parsing happens every 30 seconds in the scheduler: no boto3 client, no helper but the defaults."""
    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from airflow.models import DagBag\n"
        "bag = DagBag(dag_folder=sys.argv[1])\n"
        "assert len(bag.dags) == 5, bag.import_errors\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('alerta_utec'))\n"
        "assert loaded == ['alerta_utec', 'alerta_utec.dag_defaults'], loaded\n"
    )
    subprocess.run([sys.executable, "-c", script, str(DAGS)], check=True, capture_output=True, timeout=120)


def schedule_of(dag) -> str:
    """The `schedule` the DAG was declared with: 3.x keeps it as `dag.schedule`, 2.x as
    `dag.schedule_interval` (which 3.0 removed)."""
    return getattr(dag, "schedule", None) or dag.schedule_interval


def scheduling_timetable(dag):
    """The timetable as the scheduler uses it. On 3.x the DAG file holds the Task SDK's timetable,
    which only describes the schedule; the scheduler works on the core one it is turned into."""
    try:
        from airflow.serialization.encoders import coerce_to_core_timetable
    except ImportError:  # 2.x: the DAG's own timetable schedules
        return dag.timetable
    return coerce_to_core_timetable(dag.timetable)


def _no_restriction(dag):
    from airflow.timetables.base import TimeRestriction

    return TimeRestriction(earliest=dag.start_date, latest=None, catchup=False)
