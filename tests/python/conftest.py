"""Fixtures: a moto-mocked AWS account with the incidents table, topics, queues and a mailbox.

Airflow is imported by some tests; it must find its home and its metadata database in a throwaway
directory (one per test session, so two sessions never share one), never in ~/airflow, and the
DAG folder where the image has it; Airflow reads these once, on import, so they are set before any
test module imports it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

_airflow_home = tempfile.mkdtemp(prefix="alerta-utec-airflow-home-")
atexit.register(shutil.rmtree, _airflow_home, ignore_errors=True)
os.environ["AIRFLOW_HOME"] = _airflow_home
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_airflow_home}/airflow.db"

import boto3  # noqa: E402
import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from alerta_utec.store import IncidentStore  # noqa: E402

from support import DAGS, FAKE_CREDENTIALS, IMAGE_AIRFLOW_CONFIG, REGION, create_incidents_table  # noqa: E402

os.environ.update(IMAGE_AIRFLOW_CONFIG, AIRFLOW__CORE__DAGS_FOLDER=str(DAGS))


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials and moto's in-process mock of every AWS service."""
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def dynamodb(aws: None) -> Any:
    return boto3.client("dynamodb", region_name=REGION)


@pytest.fixture
def table(dynamodb: Any) -> str:
    return create_incidents_table(dynamodb)


@pytest.fixture
def store(dynamodb: Any, table: str) -> IncidentStore:
    return IncidentStore(dynamodb, table)


class Subscribers:
    """One SQS queue subscribed to each priority's topic: what responders would receive."""

    def __init__(self) -> None:
        self.sns = boto3.client("sns", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.topic_arns: dict[str, str] = {}
        self.queue_urls: dict[str, str] = {}
        for priority in ("high", "medium", "low"):
            arn = self.sns.create_topic(Name=f"alerta-utec-{priority}")["TopicArn"]
            url = self.sqs.create_queue(QueueName=f"responders-{priority}")["QueueUrl"]
            queue_arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            self.sns.subscribe(
                TopicArn=arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
            )
            self.topic_arns[priority] = arn
            self.queue_urls[priority] = url

    def received(self, priority: str) -> list[dict[str, Any]]:
        """Drains the queue of `priority`; each entry is one delivered notification."""
        messages: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=self.queue_urls[priority], MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            ).get("Messages", [])
            if not batch:
                return messages
            messages += batch
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_urls[priority],
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
            )


@pytest.fixture
def subscribers(aws: None) -> Subscribers:
    return Subscribers()


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> int:
    """Makes moto end Query/Scan pages at 8 KB instead of DynamoDB's 1 MB, so pagination shows
    with a few dozen items. Returns the page size in bytes.
    """
    import moto.dynamodb.models.table as moto_table

    monkeypatch.setattr(moto_table, "RESULT_SIZE_LIMIT", 8_000)
    return 8_000
