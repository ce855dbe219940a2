"""What every AlertaUTEC DAG shares. Imported at parse time, so it stays free of boto3 and I/O."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum

START_DATE = pendulum.datetime(2024, 1, 1, tz="UTC")
LIMA_START_DATE = pendulum.datetime(2024, 1, 1, tz="America/Lima")
TAGS = ["alerta-utec", "incidents"]

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "alerta-utec",
    "retries": 3,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
}


def dag_kwargs(**overrides: Any) -> dict[str, Any]:
    """Arguments of @dag common to every DAG: no backfill, one run at a time, active on arrival."""
    return {
        "start_date": START_DATE,
        # Airflow creates new DAGs paused by default; these five are the system itself (the seed
        # schedules the classifier every five minutes), so a fresh deploy runs them without
        # someone switching each one on in the UI. Pausing one in the UI still sticks.
        "is_paused_upon_creation": False,
        "catchup": False,
        "max_active_runs": 1,
        "default_args": DEFAULT_ARGS,
        "tags": TAGS,
        **overrides,
    }
