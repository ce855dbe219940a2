"""Publishes the incident metrics to CloudWatch every six hours.

Namespace from METRICS_NAMESPACE (AlertaUTEC/Incidents): TotalIncidents, PendingIncidents,
ResolutionRate (Percent), AverageResolutionTime (hours), IncidentsByPriority (Priority),
IncidentsByClassification (Classification) and ResponseTime (hours, by Priority).
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
    dag_id="metrics_analyzer",
    schedule="0 */6 * * *",
    dagrun_timeout=timedelta(hours=1),
    doc_md=__doc__,
    **dag_kwargs(),
)
def metrics_analyzer() -> None:
    @task(execution_timeout=timedelta(minutes=45))
    def publish_incident_metrics() -> dict[str, Any]:
        from alerta_utec.jobs import run_metrics_analyzer

        return run_metrics_analyzer()

    publish_incident_metrics()


metrics_analyzer()
