"""classify_new_incidents: the incident_classifier DAG's work."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from alerta_utec.jobs import IncompleteRunError, classify_new_incidents
from alerta_utec.store import IncidentStore

from support import CLASSIFICATION_INDEX, NOW, classified_incident, get_item, new_incident, put_items


def clock() -> Any:
    return NOW


def test_every_waiting_incident_is_classified_and_queued_for_notification(store: IncidentStore, dynamodb: Any) -> None:
    put_items(
        dynamodb,
        store.table_name,
        [
            new_incident(1, description="Hay humo en el pasillo"),
            new_incident(2, description="No hay wifi", location="Aula 101"),
            new_incident(3, description="Algo raro"),
            classified_incident(4, notificationPending=None, notificationSent=True),
        ],
    )

    summary = classify_new_incidents(store, CLASSIFICATION_INDEX, clock=clock)

    assert summary["classified"] == 3
    assert summary["reads"]["scanned"] == 3
    expected = {1: ("fire", "high"), 2: ("technology", "low"), 3: ("general", "low")}
    for number, (classification, priority) in expected.items():
        item = get_item(dynamodb, store.table_name, f"inc-{number:06d}")
        assert (item["classification"], item["priority"]) == (classification, priority)
        assert item["classifiedAt"] == "2024-01-15T12:00:00.000+00:00"
        assert item["notificationPending"] == "PENDING"
        assert "classificationPending" not in item
    untouched = get_item(dynamodb, store.table_name, "inc-000004")
    assert untouched["classification"] == "fire"
    assert "notificationPending" not in untouched


def test_a_second_run_finds_nothing_to_do(store: IncidentStore, dynamodb: Any) -> None:
    put_items(dynamodb, store.table_name, [new_incident(n) for n in range(10)])
    classify_new_incidents(store, CLASSIFICATION_INDEX, clock=clock)

    summary = classify_new_incidents(store, CLASSIFICATION_INDEX, clock=clock)

    assert summary.get("classified", 0) == 0
    assert summary["reads"]["scanned"] == 0


def test_overlapping_runs_classify_each_incident_once(store: IncidentStore, dynamodb: Any) -> None:
    """Run A reads the backlog; run B classifies everything before A writes; A's writes lose."""
    put_items(dynamodb, store.table_name, [new_incident(n) for n in range(5)])
    other_run: dict[str, Any] = {}

    class SlowReader(IncidentStore):
        def backlog(self, *args: Any, **kwargs: Any) -> Any:
            items = list(super().backlog(*args, **kwargs))  # A has read its page...
            other_run.update(classify_new_incidents(store, CLASSIFICATION_INDEX, clock=clock))  # ...B runs
            yield from items

    summary = classify_new_incidents(SlowReader(dynamodb, store.table_name), CLASSIFICATION_INDEX, clock=clock)

    assert other_run["classified"] == 5
    assert summary.get("classified", 0) == 0
    assert summary["already_done"] == 5


def test_malformed_items_are_skipped_counted_and_do_not_fail_the_run(
    store: IncidentStore, dynamodb: Any, caplog: pytest.LogCaptureFixture
) -> None:
    put_items(
        dynamodb,
        store.table_name,
        [
            new_incident(1),
            new_incident(2, description=42),
            new_incident(3, description=None),
            new_incident(4, createdAt="yesterday"),
            new_incident(5, createdAt="2024-01-15T10:00:00"),  # no offset
            new_incident(6, status="lost"),
        ],
    )

    summary = classify_new_incidents(store, CLASSIFICATION_INDEX, clock=clock)

    assert (summary["classified"], summary["malformed"]) == (1, 5)
    assert "inc-000004" in caplog.text
    assert "createdAt" in caplog.text
    assert get_item(dynamodb, store.table_name, "inc-000002")["classificationPending"] == "PENDING"


def test_a_failed_write_fails_the_run_after_the_batch_and_the_retry_finishes_it(
    store: IncidentStore, dynamodb: Any
) -> None:
    put_items(dynamodb, store.table_name, [new_incident(n) for n in range(4)])

    class FlakyStore(IncidentStore):
        def mark_classified(self, incident_id: str, *args: Any) -> bool:
            if incident_id == "inc-000002":
                raise ClientError({"Error": {"Code": "InternalServerError", "Message": "boom"}}, "UpdateItem")
            return super().mark_classified(incident_id, *args)

    with pytest.raises(IncompleteRunError, match="1 items failed"):
        classify_new_incidents(FlakyStore(dynamodb, store.table_name), CLASSIFICATION_INDEX, clock=clock)
    retry = classify_new_incidents(store, CLASSIFICATION_INDEX, clock=clock)

    assert retry["classified"] == 1
    assert retry["reads"]["scanned"] == 1
    for number in range(4):
        assert get_item(dynamodb, store.table_name, f"inc-{number:06d}")["classification"] == "water"


def test_cost_follows_the_backlog_not_the_table(store: IncidentStore, dynamodb: Any) -> None:
    """Scaled-down version of the 100,000-incident measurement (tools/bench/bench_classifier.py)."""
    done = [classified_incident(n, notificationPending=None, notificationSent=True) for n in range(2000)]
    put_items(dynamodb, store.table_name, done + [new_incident(n) for n in range(2000, 2020)])

    summary = classify_new_incidents(store, CLASSIFICATION_INDEX, clock=clock)

    assert summary["classified"] == 20
    assert summary["reads"]["scanned"] == 20
