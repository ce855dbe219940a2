"""Backs the incidents table up to S3 once a day.

Writes `backups/incidents/dt=<logical date>/incidents.jsonl` in BACKUP_BUCKET: DynamoDB JSON
Lines that ImportTable reads back. A rerun for the same day replaces that day's object.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

# airflow.sdk is the DAG authors' API from Airflow 3.0; 2.8 has only airflow.decorators. Written out in
# each DAG file rather than re-exported, so that ruff's AIR rules still see where dag and task come from.
try:
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2.x
    from airflow.decorators import dag, task

from alerta_utec.dag_defaults import dag_kwargs


@dag(
    dag_id="incidents_backup",
    schedule="@daily",
    dagrun_timeout=timedelta(hours=2),
    doc_md=__doc__,
    **dag_kwargs(),
)
def incidents_backup() -> None:
    @task(execution_timeout=timedelta(hours=1))
    def export_incidents_table(ds: str | None = None) -> dict[str, Any]:
        from alerta_utec.jobs import run_backup

        return run_backup(date.fromisoformat(ds) if ds else datetime.now(UTC).date())

    export_incidents_table()


incidents_backup()
