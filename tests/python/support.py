"""Builders shared by the tests (and tools/bench/bench_classifier.py): the incidents table as
docs/CONTRACTS.md defines it, and incidents to put in it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alerta_utec.model import PENDING, format_timestamp
from alerta_utec.store import deserialize, serialize

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"
DOCKERFILE = REPO / "docker" / "airflow" / "Dockerfile"

# The Airflow settings of the image (docker/airflow/Dockerfile's ENV; test_dagbag checks they agree)
# that change how the DAGs parse and schedule, so the tests parse and run them the same way.
# The executor is left out: SQLite, which the tests use, works only with the SequentialExecutor.
IMAGE_AIRFLOW_CONFIG = {
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__SCHEDULER__CREATE_CRON_DATA_INTERVALS": "True",
}

REGION = "us-east-1"
TABLE = "Incidents"
CLASSIFICATION_INDEX = "classification-pending"
NOTIFICATION_INDEX = "notification-pending"
NOW = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def create_incidents_table(dynamodb: Any, name: str = TABLE, indexes: bool = True) -> str:
    """The table of docs/CONTRACTS.md; `indexes=False` is a table that predates the sparse GSIs."""
    attributes = [{"AttributeName": "incidentId", "AttributeType": "S"}]
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [{"AttributeName": "incidentId", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if indexes:
        attributes += [
            {"AttributeName": name_, "AttributeType": "S"}
            for name_ in ("classificationPending", "createdAt", "notificationPending", "classifiedAt")
        ]
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": CLASSIFICATION_INDEX,
                "KeySchema": [
                    {"AttributeName": "classificationPending", "KeyType": "HASH"},
                    {"AttributeName": "createdAt", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": NOTIFICATION_INDEX,
                "KeySchema": [
                    {"AttributeName": "notificationPending", "KeyType": "HASH"},
                    {"AttributeName": "classifiedAt", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
        ]
    dynamodb.create_table(AttributeDefinitions=attributes, **request)
    return name


def new_incident(number: int, description: str = "Fuga de agua en el baño", **overrides: Any) -> dict[str, Any]:
    """An incident as a producer writes it: waiting for classification."""
    item = {
        "incidentId": f"inc-{number:06d}",
        "description": description,
        "location": "Pabellón A, piso 2",
        "status": "pending",
        "createdAt": format_timestamp(NOW - timedelta(hours=2, seconds=number)),
        "classificationPending": PENDING,
    }
    item.update(overrides)
    return {key: value for key, value in item.items() if value is not None}


def classified_incident(number: int, priority: str = "high", **overrides: Any) -> dict[str, Any]:
    """An incident the classifier has handled: waiting for its notification."""
    item = new_incident(
        number,
        classificationPending=None,
        classification="fire",
        priority=priority,
        classifiedAt=format_timestamp(NOW - timedelta(hours=1, seconds=number)),
        notificationPending=PENDING,
    )
    item.update(overrides)
    return {key: value for key, value in item.items() if value is not None}


def put_items(dynamodb: Any, table: str, items: Iterable[Mapping[str, Any]]) -> int:
    """BatchWriteItem in chunks of 25, resending unprocessed items."""
    batch: list[dict[str, Any]] = []
    count = 0

    def flush() -> None:
        pending = {table: batch[:]}
        while pending:
            pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        batch.clear()

    for item in items:
        batch.append({"PutRequest": {"Item": serialize(item)}})
        count += 1
        if len(batch) == 25:
            flush()
    if batch:
        flush()
    return count


def get_item(dynamodb: Any, table: str, incident_id: str) -> dict[str, Any]:
    response = dynamodb.get_item(TableName=table, Key=serialize({"incidentId": incident_id}), ConsistentRead=True)
    return deserialize(response["Item"])


def use_fake_credentials(environ: dict[str, str] | None = None) -> None:
    target = os.environ if environ is None else environ
    target.update(FAKE_CREDENTIALS)
