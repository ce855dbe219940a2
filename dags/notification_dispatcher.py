"""Notifies responders every ten minutes.

Reads the `notification-pending` index (classified incidents not yet notified) and publishes
each to the SNS topic of its priority, claiming it first so overlapping runs never publish it
twice; see `alerta_utec.jobs.dispatch_notifications` for the remaining at-least-once window.
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
    dag_id="notification_dispatcher",
    schedule="*/10 * * * *",
    dagrun_timeout=timedelta(minutes=30),
    doc_md=__doc__,
    **dag_kwargs(),
)
def notification_dispatcher() -> None:
    @task(execution_timeout=timedelta(minutes=20))
    def publish_notifications(run_id: str | None = None) -> dict[str, Any]:
        from alerta_utec.jobs import run_dispatcher

        return run_dispatcher(run_id or "")

    publish_notifications()


notification_dispatcher()
