"""The incidents_backup job: dated DynamoDB JSON Lines in the backups bucket."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import boto3

from alerta_utec.backup import backup_key
from alerta_utec.jobs import backup_incidents
from alerta_utec.store import IncidentStore, deserialize

from support import REGION, classified_incident, new_incident, put_items

BUCKET = "alerta-utec-airflow-logs-test"
DAY = date(2024, 1, 15)


def read_backup(s3: Any, key: str) -> list[dict[str, Any]]:
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode("utf-8")
    assert body.endswith("\n")
    return [json.loads(line) for line in body.splitlines()]


def test_the_key_is_dated_under_backups() -> None:
    assert backup_key(DAY) == "backups/incidents/dt=2024-01-15/incidents.jsonl"


def test_every_item_is_exported_once_in_typed_json_across_pages(
    store: IncidentStore, dynamodb: Any, small_pages: int
) -> None:
    items = [new_incident(n) for n in range(60)] + [classified_incident(n, hits=n) for n in range(100, 140)]
    put_items(dynamodb, store.table_name, items)
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)

    summary = backup_incidents(store, s3, BUCKET, DAY)

    assert summary["items"] == 100
    assert summary["reads"]["pages"] > 1
    lines = read_backup(s3, summary["key"])
    exported = {line["Item"]["incidentId"]["S"]: deserialize(line["Item"]) for line in lines}
    assert len(exported) == len(lines) == 100
    raw = {line["Item"]["incidentId"]["S"]: line["Item"] for line in lines}
    assert raw["inc-000139"]["hits"] == {"N": "139"}  # numbers stay exact DynamoDB numbers
    assert exported["inc-000105"]["hits"] == 105
    assert exported["inc-000001"] == new_incident(1)
    head = s3.head_object(Bucket=BUCKET, Key=summary["key"])
    assert head["Metadata"]["item-count"] == "100"


def test_binary_and_set_attributes_survive(store: IncidentStore, dynamodb: Any) -> None:
    put_items(dynamodb, store.table_name, [new_incident(1, photo=b"\x89PNG", tags={"a", "b"})])
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)

    [line] = read_backup(s3, backup_incidents(store, s3, BUCKET, DAY)["key"])

    assert line["Item"]["photo"] == {"B": "iVBORw=="}
    assert sorted(line["Item"]["tags"]["SS"]) == ["a", "b"]


def test_a_rerun_for_the_same_day_replaces_the_backup(store: IncidentStore, dynamodb: Any) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    put_items(dynamodb, store.table_name, [new_incident(1)])
    backup_incidents(store, s3, BUCKET, DAY)
    put_items(dynamodb, store.table_name, [new_incident(2)])

    summary = backup_incidents(store, s3, BUCKET, DAY)

    assert summary["items"] == 2
    assert len(read_backup(s3, summary["key"])) == 2
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]] == [summary["key"]]


def test_an_empty_table_gives_an_empty_backup(store: IncidentStore) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    summary = backup_incidents(store, s3, BUCKET, DAY)
    assert summary["items"] == 0
    assert s3.get_object(Bucket=BUCKET, Key=summary["key"])["Body"].read() == b""
