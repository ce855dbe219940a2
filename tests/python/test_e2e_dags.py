"""Each DAG run for real with `dag.test()`, in this process, against a moto server over HTTP.

`dag.test()` is what `airflow dags test` runs: the DAG as the DAG folder's DagBag parses it, one
DAG run through the scheduler's dependency checks, its task executed and its XCom written to the
metadata database. Calling it here instead of through the CLI skips a new Airflow process and a
database set-up per run (10-15 s a run on 3.3). One moto server and one SQLite metadata database
(this session's AIRFLOW_HOME, migrated once, as `airflow db migrate` does) serve the module; each
test makes its own table, topics and bucket so the tests do not depend on each other.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from alerta_utec.model import format_timestamp

from support import (
    CLASSIFICATION_INDEX,
    DAGS,
    FAKE_CREDENTIALS,
    NOTIFICATION_INDEX,
    NOW,
    REGION,
    classified_incident,
    create_incidents_table,
    get_item,
    new_incident,
    put_items,
)

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto_server in its own process, as the DAGs would see AWS: an HTTP endpoint."""
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto_server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).close()  # noqa: S310 - local http
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not start (exit {server.poll()})") from None
                time.sleep(0.2)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def metadata_db() -> Path:
    """The session's metadata database (SQLite in conftest's AIRFLOW_HOME), migrated once."""
    from airflow import settings
    from airflow.utils import db

    db.upgradedb()
    return Path(settings.engine.url.database)


@pytest.fixture(scope="module")
def dags(metadata_db: Path) -> dict[str, Any]:
    """The DAGs as `airflow dags test` loads them: the DAG folder's DagBag.

    Retries are switched off (test_dagbag checks the real policy): a failing task fails its test
    at once, with its own error, instead of waiting out minutes of retry delays in this process.
    """
    from airflow.models import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    for dag in bag.dags.values():
        for task in dag.tasks:
            task.retries = 0
    return bag.dags


def dag_test(dag: Any, logical_date: datetime) -> Any:
    """`dag.test()` as `airflow dags test` calls it on each line (3.0 renamed execution_date)."""
    from airflow import __version__
    from packaging.version import Version

    if Version(__version__).major < 3:
        return dag.test(execution_date=logical_date)
    return dag.test(logical_date=logical_date)


@dataclass
class World:
    """One test's AWS resources on the moto server, and the contract variables naming them."""

    endpoint: str
    dags: dict[str, Any]
    metadata_db: Path
    monkeypatch: pytest.MonkeyPatch
    suffix: str

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint, **_credentials())

    @property
    def table(self) -> str:
        return f"Incidents-{self.suffix}"

    def run_dag(self, dag_id: str, logical_date: str, **variables: str) -> dict[str, Any]:
        """Runs one DAG run and returns what its task returned (its XCom)."""
        for name, value in {**variables, "DYNAMODB_TABLE": self.table}.items():
            self.monkeypatch.setenv(name, value)
        run = dag_test(self.dags[dag_id], datetime.fromisoformat(logical_date))
        assert run.state == "success", f"{dag_id} run ended {run.state} (its task's log is in the captured output)"
        with sqlite3.connect(self.metadata_db) as db:
            [(value,)] = db.execute(
                "SELECT value FROM xcom WHERE dag_id = ? AND run_id = ? AND key = 'return_value'", (dag_id, run.run_id)
            ).fetchall()
        return json.loads(value)


def _credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "aws_session_token": FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
    }


@pytest.fixture
def world(moto_endpoint: str, dags: dict[str, Any], metadata_db: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    """The task's environment as the DAGs' contract sets it: fake credentials, moto as AWS."""
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    world = World(moto_endpoint, dags, metadata_db, monkeypatch, uuid.uuid4().hex[:8])
    create_incidents_table(world.client("dynamodb"), world.table)
    return world


def test_classifier_then_dispatcher_notify_each_incident_exactly_once(world: World) -> None:
    dynamodb, sns, sqs = world.client("dynamodb"), world.client("sns"), world.client("sqs")
    topics, queues = {}, {}
    for priority in ("high", "medium", "low"):
        topics[priority] = sns.create_topic(Name=f"{priority}-{world.suffix}")["TopicArn"]
        queues[priority] = sqs.create_queue(QueueName=f"{priority}-{world.suffix}")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queues[priority], AttributeNames=["QueueArn"])["Attributes"]
        sns.subscribe(
            TopicArn=topics[priority],
            Protocol="sqs",
            Endpoint=queue_arn["QueueArn"],
            Attributes={"RawMessageDelivery": "true"},
        )
    descriptions = ["Hay humo en el pasillo", "Gotera en el techo", "No hay wifi", "Algo raro"]
    put_items(dynamodb, world.table, [new_incident(n, description=descriptions[n % 4]) for n in range(12)])
    put_items(dynamodb, world.table, [new_incident(99, description=["not", "text"])])
    variables = {
        "INCIDENTS_CLASSIFICATION_INDEX": CLASSIFICATION_INDEX,
        "INCIDENTS_NOTIFICATION_INDEX": NOTIFICATION_INDEX,
        **{f"SNS_TOPIC_ARN_{priority.upper()}": arn for priority, arn in topics.items()},
    }

    classified = world.run_dag("incident_classifier", "2024-01-15T12:00:00+00:00", **variables)
    first = world.run_dag("notification_dispatcher", "2024-01-15T12:10:00+00:00", **variables)
    second = world.run_dag("notification_dispatcher", "2024-01-15T12:20:00+00:00", **variables)

    assert (classified["classified"], classified["malformed"]) == (12, 1)
    assert classified["reads"]["used_index"] is True
    assert first["published"] == 12
    assert second.get("published", 0) == 0
    assert second["reads"]["scanned"] == 0
    delivered: dict[str, list[str]] = {}
    for priority, url in queues.items():
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        delivered[priority] = sorted(
            m["MessageAttributes"]["incidentId"]["StringValue"] for m in messages.get("Messages", [])
        )
    assert delivered == {
        "high": [f"inc-{n:06d}" for n in range(12) if n % 4 == 0],
        "medium": [f"inc-{n:06d}" for n in range(12) if n % 4 == 1],
        "low": [f"inc-{n:06d}" for n in range(12) if n % 4 in (2, 3)],
    }
    item = get_item(dynamodb, world.table, "inc-000000")
    assert (item["classification"], item["priority"], item["notificationSent"]) == ("fire", "high", True)
    assert item["classifiedAt"].endswith("+00:00")
    assert get_item(dynamodb, world.table, "inc-000099")["classificationPending"] == "PENDING"


def test_metrics_analyzer_puts_the_incident_metrics(world: World) -> None:
    now = format_timestamp(NOW)
    put_items(
        world.client("dynamodb"),
        world.table,
        [
            classified_incident(1, status="resolved", resolvedAt=now, notifiedAt=now),
            classified_incident(2, priority="low", classification="cleaning"),
            new_incident(3),
        ],
    )
    namespace = f"AlertaUTEC/Incidents-{world.suffix}"

    summary = world.run_dag("metrics_analyzer", "2024-01-15T12:00:00+00:00", METRICS_NAMESPACE=namespace)

    assert summary["total"] == 3
    cloudwatch = world.client("cloudwatch")
    metrics = cloudwatch.list_metrics(Namespace=namespace)["Metrics"]
    assert {m["MetricName"] for m in metrics} >= {
        "TotalIncidents",
        "PendingIncidents",
        "ResolutionRate",
        "AverageResolutionTime",
        "IncidentsByPriority",
        "IncidentsByClassification",
        "ResponseTime",
    }
    assert {
        tuple(d.values()) for m in metrics if m["MetricName"] == "IncidentsByPriority" for d in m["Dimensions"]
    } == {
        ("Priority", "high"),
        ("Priority", "medium"),
        ("Priority", "low"),
    }


def test_report_generator_mails_the_report_to_the_admin(world: World) -> None:
    put_items(world.client("dynamodb"), world.table, [classified_incident(1), new_incident(2)])
    ses = world.client("ses")
    sender = f"alerts-{world.suffix}@example.com"
    ses.verify_email_identity(EmailAddress=sender)
    sent_before = ses.get_send_quota()["SentLast24Hours"]

    summary = world.run_dag("report_generator", "2024-01-15T08:00:00-05:00", SES_SENDER_ADDRESS=sender)

    assert summary["message_id"]
    assert summary["subject"].startswith("AlertaUTEC incident report")
    assert ses.get_send_quota()["SentLast24Hours"] == sent_before + 1


def test_incidents_backup_writes_the_dated_json_lines(world: World) -> None:
    put_items(world.client("dynamodb"), world.table, [new_incident(n) for n in range(7)])
    s3 = world.client("s3")
    bucket = f"backups-{world.suffix}"
    s3.create_bucket(Bucket=bucket)

    summary = world.run_dag("incidents_backup", "2024-01-15T00:00:00+00:00", BACKUP_BUCKET=bucket)

    assert summary["key"] == "backups/incidents/dt=2024-01-15/incidents.jsonl"
    body = s3.get_object(Bucket=bucket, Key=summary["key"])["Body"].read().decode("utf-8")
    lines = [json.loads(line) for line in body.splitlines()]
    assert sorted(line["Item"]["incidentId"]["S"] for line in lines) == [f"inc-{n:06d}" for n in range(7)]
