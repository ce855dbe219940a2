"""Mails the daily incident report at 08:00 Lima time.

HTML report (overall figures, by location, response by priority, by classification) sent
through SES from SES_SENDER_ADDRESS to REPORT_RECIPIENT (default admin@utec.edu.pe).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

# airflow.sdk is the DAG authors' API from Airflow 3.0; 2.8 has only airflow.decorators. Written out in
# each DAG file rather than re-exported, so that ruff's AIR rules still see where dag and task come from.
try:
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2.x
    from airflow.decorators import dag, task

from alerta_utec.dag_defaults import LIMA_START_DATE, dag_kwargs


@dag(
    dag_id="report_generator",
    schedule="0 8 * * *",  # in the start date's timezone: America/Lima
    dagrun_timeout=timedelta(hours=1),
    doc_md=__doc__,
    **dag_kwargs(start_date=LIMA_START_DATE),
)
def report_generator() -> None:
    # A retry after SES accepted the mail would send it again; one mail a day does not need a
    # claim protocol, so retries are few and the failure is left visible instead.
    @task(execution_timeout=timedelta(minutes=45), retries=1)
    def send_incident_report() -> dict[str, Any]:
        from alerta_utec.jobs import run_report_generator

        return run_report_generator()

    send_incident_report()


report_generator()
