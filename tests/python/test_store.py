"""IncidentStore: backlogs read through the sparse indexes, and the conditional writes."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from botocore.exceptions import ClientError

from alerta_utec.model import PENDING
from alerta_utec.store import CLASSIFICATION, NOTIFICATION, IncidentStore, ReadStats

from support import (
    CLASSIFICATION_INDEX,
    NOTIFICATION_INDEX,
    classified_incident,
    create_incidents_table,
    get_item,
    new_incident,
    put_items,
)

LONG_TEXT = "Fuga de agua " + "x" * 4000  # about 4 KB: 300 items overflow one 1 MB page


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["incidentId"] for item in items]


def test_the_classification_backlog_reads_only_the_incidents_waiting(dynamodb: Any, table: str) -> None:
    put_items(dynamodb, table, [new_incident(n) for n in range(5)])
    put_items(dynamodb, table, [classified_incident(n) for n in range(100, 130)])
    stats = ReadStats()

    items = list(IncidentStore(dynamodb, table).backlog(CLASSIFICATION, CLASSIFICATION_INDEX, stats))

    assert sorted(ids(items)) == [f"inc-{n:06d}" for n in range(5)]
    assert (stats.scanned, stats.returned, stats.used_index) == (5, 5, True)


def test_the_notification_backlog_reads_only_classified_unnotified_incidents(dynamodb: Any, table: str) -> None:
    put_items(dynamodb, table, [new_incident(n) for n in range(5)])
    put_items(dynamodb, table, [classified_incident(n) for n in range(100, 103)])
    put_items(dynamodb, table, [classified_incident(200, notificationPending=None, notificationSent=True)])
    stats = ReadStats()

    items = list(IncidentStore(dynamodb, table).backlog(NOTIFICATION, NOTIFICATION_INDEX, stats))

    assert sorted(ids(items)) == ["inc-000100", "inc-000101", "inc-000102"]
    assert stats.scanned == 3


def test_a_backlog_larger_than_a_page_is_read_page_by_page_once(store: IncidentStore, dynamodb: Any) -> None:
    put_items(dynamodb, store.table_name, [new_incident(n, description=LONG_TEXT) for n in range(300)])
    stats = ReadStats()

    items = list(store.backlog(CLASSIFICATION, CLASSIFICATION_INDEX, stats))

    assert stats.pages >= 2
    assert sorted(ids(items)) == [f"inc-{n:06d}" for n in range(300)]


def test_items_leaving_the_index_while_it_is_paged_neither_skip_nor_repeat_others(
    store: IncidentStore, dynamodb: Any, small_pages: int
) -> None:
    put_items(dynamodb, store.table_name, [new_incident(n) for n in range(300)])
    stats = ReadStats()
    seen = []
    for item in store.backlog(CLASSIFICATION, CLASSIFICATION_INDEX, stats):
        seen.append(item["incidentId"])
        assert store.mark_classified(item["incidentId"], "water", "medium", "2024-01-15T12:00:00.000+00:00")

    assert stats.pages >= 2
    assert sorted(seen) == [f"inc-{n:06d}" for n in range(300)]
    assert list(store.backlog(CLASSIFICATION, CLASSIFICATION_INDEX, ReadStats())) == []


def test_without_the_index_the_backlog_falls_back_to_a_filtered_scan_and_warns(
    dynamodb: Any, caplog: pytest.LogCaptureFixture
) -> None:
    table = create_incidents_table(dynamodb, "LegacyIncidents", indexes=False)
    put_items(dynamodb, table, [new_incident(1)])
    put_items(dynamodb, table, [new_incident(2, classificationPending=None)])  # written before the markers
    put_items(dynamodb, table, [classified_incident(3, notificationPending=None)])
    stats = ReadStats()

    with caplog.at_level(logging.WARNING):
        items = list(IncidentStore(dynamodb, table).backlog(CLASSIFICATION, CLASSIFICATION_INDEX, stats))

    assert sorted(ids(items)) == ["inc-000001", "inc-000002"]
    assert (stats.used_index, stats.scanned) == (False, 3)
    assert "scanning the whole table" in caplog.text


def test_without_the_index_unnotified_legacy_incidents_are_found(dynamodb: Any) -> None:
    table = create_incidents_table(dynamodb, "LegacyIncidents", indexes=False)
    put_items(
        dynamodb,
        table,
        [
            classified_incident(1),
            classified_incident(2, notificationPending=None),
            classified_incident(3, notificationPending=None, notificationSent=False),
            classified_incident(4, notificationPending=None, notificationSent=True),
            new_incident(5),
        ],
    )
    items = list(IncidentStore(dynamodb, table).backlog(NOTIFICATION, NOTIFICATION_INDEX, ReadStats()))
    assert sorted(ids(items)) == ["inc-000001", "inc-000002", "inc-000003"]


def test_an_unset_index_name_scans_with_a_warning(
    store: IncidentStore, dynamodb: Any, caplog: pytest.LogCaptureFixture
) -> None:
    put_items(dynamodb, store.table_name, [new_incident(1), classified_incident(2)])
    stats = ReadStats()
    with caplog.at_level(logging.WARNING):
        assert ids(list(store.backlog(CLASSIFICATION, "", stats))) == ["inc-000001"]
    assert not stats.used_index
    assert "no index configured" in caplog.text


def test_errors_other_than_a_missing_index_propagate(dynamodb: Any) -> None:
    store = IncidentStore(dynamodb, "NoSuchTable")
    with pytest.raises(ClientError, match="ResourceNotFound"):
        list(store.backlog(CLASSIFICATION, CLASSIFICATION_INDEX, ReadStats()))


def test_an_incident_is_classified_only_once(store: IncidentStore, dynamodb: Any) -> None:
    put_items(dynamodb, store.table_name, [new_incident(1)])

    first = store.mark_classified("inc-000001", "water", "medium", "2024-01-15T12:00:00.000+00:00")
    second = store.mark_classified("inc-000001", "fire", "high", "2024-01-15T12:05:00.000+00:00")

    assert (first, second) == (True, False)
    item = get_item(dynamodb, store.table_name, "inc-000001")
    assert (item["classification"], item["priority"], item["classifiedAt"]) == (
        "water",
        "medium",
        "2024-01-15T12:00:00.000+00:00",
    )
    assert "classificationPending" not in item
    assert item["notificationPending"] == PENDING


def test_marking_an_unknown_incident_creates_nothing(store: IncidentStore, dynamodb: Any) -> None:
    assert not store.mark_classified("inc-404", "water", "medium", "2024-01-15T12:00:00.000+00:00")
    assert "Item" not in dynamodb.get_item(TableName=store.table_name, Key={"incidentId": {"S": "inc-404"}})


def test_two_claimers_of_the_same_notification_exactly_one_wins(store: IncidentStore, dynamodb: Any) -> None:
    put_items(dynamodb, store.table_name, [classified_incident(1)])

    claims = [store.claim_notification("inc-000001", owner, now_epoch=1_000, lease_seconds=300) for owner in "AB"]

    assert [claim is not None for claim in claims] == [True, False]
    assert claims[0] is not None
    assert claims[0]["notificationLeaseOwner"] == "A"


def test_an_expired_lease_can_be_taken_over_and_the_old_owner_cannot_mark(store: IncidentStore, dynamodb: Any) -> None:
    put_items(dynamodb, store.table_name, [classified_incident(1)])
    assert store.claim_notification("inc-000001", "A", now_epoch=1_000, lease_seconds=300)
    assert store.claim_notification("inc-000001", "B", now_epoch=1_299, lease_seconds=300) is None

    assert store.claim_notification("inc-000001", "B", now_epoch=1_301, lease_seconds=300)
    assert not store.mark_notified("inc-000001", "A", "2024-01-15T12:00:00.000+00:00", "m-1")
    assert store.mark_notified("inc-000001", "B", "2024-01-15T12:00:00.000+00:00", "m-2")

    item = get_item(dynamodb, store.table_name, "inc-000001")
    assert (item["notificationSent"], item["notificationMessageId"]) == (True, "m-2")
    assert not {"notificationPending", "notificationLeaseOwner", "notificationLeaseExpiresAt"} & set(item)


def test_a_notified_incident_cannot_be_claimed_again(store: IncidentStore, dynamodb: Any) -> None:
    put_items(dynamodb, store.table_name, [classified_incident(1)])
    assert store.claim_notification("inc-000001", "A", now_epoch=1_000, lease_seconds=300)
    assert store.mark_notified("inc-000001", "A", "2024-01-15T12:00:00.000+00:00", "m-1")

    assert store.claim_notification("inc-000001", "B", now_epoch=9_999, lease_seconds=300) is None


def test_a_released_claim_can_be_taken_at_once(store: IncidentStore, dynamodb: Any) -> None:
    put_items(dynamodb, store.table_name, [classified_incident(1)])
    assert store.claim_notification("inc-000001", "A", now_epoch=1_000, lease_seconds=300)
    assert not store.release_notification("inc-000001", "B")
    assert store.release_notification("inc-000001", "A")

    assert store.claim_notification("inc-000001", "B", now_epoch=1_001, lease_seconds=300)
