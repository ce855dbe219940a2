"""Classifies new incidents every five minutes.

Reads the `classification-pending` index (only incidents still waiting), applies the rule table
of `alerta_utec.classifier`, and writes `classification`, `priority` and `classifiedAt` with a
conditional update, which also queues the incident for the notification dispatcher.
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

from alerta_utec.dag_defaults import dag_kwargs


@dag(
    dag_id="incident_classifier",
    schedule="*/5 * * * *",
    dagrun_timeout=timedelta(minutes=15),
    doc_md=__doc__,
    **dag_kwargs(),
)
def incident_classifier() -> None:
    @task(execution_timeout=timedelta(minutes=10))
    def classify_new_incidents() -> dict[str, Any]:
        from alerta_utec.jobs import run_classifier

        return run_classifier()

    classify_new_incidents()


incident_classifier()
