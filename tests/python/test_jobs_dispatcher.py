"""dispatch_notifications and SNSNotifier: the notification_dispatcher DAG's work."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from alerta_utec.jobs import IncompleteRunError, dispatch_notifications
from alerta_utec.model import Incident
from alerta_utec.notifier import SNSNotifier, subject
from alerta_utec.store import IncidentStore

from conftest import Subscribers
from support import NOTIFICATION_INDEX, NOW, classified_incident, get_item, new_incident, put_items


def clock() -> Any:
    return NOW


def notifier(subscribers: Subscribers) -> SNSNotifier:
    return SNSNotifier(subscribers.sns, subscribers.topic_arns)


def delivered_ids(subscribers: Subscribers, priority: str) -> list[str]:
    return sorted(m["MessageAttributes"]["incidentId"]["StringValue"] for m in subscribers.received(priority))


def test_each_incident_is_published_once_to_its_prioritys_topic(
    store: IncidentStore, dynamodb: Any, subscribers: Subscribers
) -> None:
    put_items(
        dynamodb,
        store.table_name,
        [
            classified_incident(1, priority="high"),
            classified_incident(2, priority="medium", classification="water"),
            classified_incident(3, priority="low", classification="cleaning"),
            classified_incident(4, priority="low", classification="cleaning"),
            new_incident(5),
        ],
    )

    summary = dispatch_notifications(store, notifier(subscribers), NOTIFICATION_INDEX, owner="run-1", clock=clock)

    assert summary["published"] == 4
    assert delivered_ids(subscribers, "high") == ["inc-000001"]
    assert delivered_ids(subscribers, "medium") == ["inc-000002"]
    assert delivered_ids(subscribers, "low") == ["inc-000003", "inc-000004"]
    item = get_item(dynamodb, store.table_name, "inc-000001")
    assert item["notificationSent"] is True
    assert item["notifiedAt"] == "2024-01-15T12:00:00.000+00:00"
    assert not {"notificationPending", "notificationLeaseOwner", "notificationLeaseExpiresAt"} & set(item)


def test_the_message_names_the_incident_and_keeps_its_text(
    store: IncidentStore, dynamodb: Any, subscribers: Subscribers
) -> None:
    put_items(
        dynamodb, store.table_name, [classified_incident(1, description="Humo en el baño <b>", location="Aula 1")]
    )
    dispatch_notifications(store, notifier(subscribers), NOTIFICATION_INDEX, owner="run-1", clock=clock)

    [message] = subscribers.received("high")

    assert "Humo en el baño <b>" in message["Body"]
    assert "Location: Aula 1" in message["Body"]
    assert message["MessageAttributes"]["priority"]["StringValue"] == "high"
    assert message["MessageAttributes"]["classification"]["StringValue"] == "fire"


def test_a_second_run_publishes_nothing(store: IncidentStore, dynamodb: Any, subscribers: Subscribers) -> None:
    put_items(dynamodb, store.table_name, [classified_incident(n) for n in range(3)])
    dispatch_notifications(store, notifier(subscribers), NOTIFICATION_INDEX, owner="run-1", clock=clock)

    summary = dispatch_notifications(store, notifier(subscribers), NOTIFICATION_INDEX, owner="run-2", clock=clock)

    assert summary.get("published", 0) == 0
    assert summary["reads"]["scanned"] == 0
    assert len(subscribers.received("high")) == 3


def test_overlapping_runs_publish_each_incident_exactly_once(
    store: IncidentStore, dynamodb: Any, subscribers: Subscribers
) -> None:
    """Run A has read the backlog and is publishing its first incident when run B starts."""
    put_items(dynamodb, store.table_name, [classified_incident(n) for n in range(6)])
    other_run: dict[str, Any] = {}

    class InterruptedNotifier(SNSNotifier):
        def publish(self, incident: Incident) -> str:
            if not other_run:
                other_run.update(
                    dispatch_notifications(store, notifier(subscribers), NOTIFICATION_INDEX, owner="B", clock=clock)
                )
            return super().publish(incident)

    run_a = dispatch_notifications(
        store, InterruptedNotifier(subscribers.sns, subscribers.topic_arns), NOTIFICATION_INDEX, owner="A", clock=clock
    )

    assert run_a["published"] + other_run["published"] == 6
    assert other_run["already_claimed"] == 1  # the one A holds
    assert run_a["already_claimed"] == 5
    assert delivered_ids(subscribers, "high") == [f"inc-{n:06d}" for n in range(6)]


def test_a_dead_runs_claim_is_taken_over_once_its_lease_expires(
    store: IncidentStore, dynamodb: Any, subscribers: Subscribers
) -> None:
    put_items(dynamodb, store.table_name, [classified_incident(1)])
    assert store.claim_notification("inc-000001", "dead-run", int(NOW.timestamp()), lease_seconds=300)

    early = dispatch_notifications(store, notifier(subscribers), NOTIFICATION_INDEX, owner="run-2", clock=clock)
    later = dispatch_notifications(
        store, notifier(subscribers), NOTIFICATION_INDEX, owner="run-3", clock=lambda: NOW + timedelta(seconds=301)
    )

    assert (early.get("published", 0), early["already_claimed"]) == (0, 1)
    assert later["published"] == 1
    assert delivered_ids(subscribers, "high") == ["inc-000001"]


def test_a_failed_publish_is_released_fails_the_run_and_the_retry_sends_it_once(
    store: IncidentStore, dynamodb: Any, subscribers: Subscribers
) -> None:
    put_items(dynamodb, store.table_name, [classified_incident(n) for n in range(3)])

    class FlakyNotifier(SNSNotifier):
        def publish(self, incident: Incident) -> str:
            if incident.incident_id == "inc-000001":
                raise ClientError({"Error": {"Code": "InternalError", "Message": "boom"}}, "Publish")
            return super().publish(incident)

    with pytest.raises(IncompleteRunError, match="1 items failed"):
        dispatch_notifications(
            store, FlakyNotifier(subscribers.sns, subscribers.topic_arns), NOTIFICATION_INDEX, owner="A", clock=clock
        )
    assert "notificationLeaseOwner" not in get_item(dynamodb, store.table_name, "inc-000001")
    retry = dispatch_notifications(store, notifier(subscribers), NOTIFICATION_INDEX, owner="A-retry", clock=clock)

    assert retry["published"] == 1
    assert delivered_ids(subscribers, "high") == ["inc-000000", "inc-000001", "inc-000002"]


def test_malformed_items_are_skipped_counted_and_do_not_fail_the_run(
    store: IncidentStore, dynamodb: Any, subscribers: Subscribers
) -> None:
    put_items(
        dynamodb,
        store.table_name,
        [
            classified_incident(1),
            classified_incident(2, priority="urgent"),
            classified_incident(3, priority=None),
            classified_incident(4, createdAt=12345),
        ],
    )

    summary = dispatch_notifications(store, notifier(subscribers), NOTIFICATION_INDEX, owner="A", clock=clock)

    assert (summary["published"], summary["malformed"]) == (1, 3)
    assert delivered_ids(subscribers, "high") == ["inc-000001"]
    assert get_item(dynamodb, store.table_name, "inc-000002")["notificationPending"] == "PENDING"


def test_the_notifier_needs_a_topic_for_every_priority(subscribers: Subscribers) -> None:
    with pytest.raises(ValueError, match="medium, low"):
        SNSNotifier(subscribers.sns, {"high": subscribers.topic_arns["high"]})


def test_the_notifier_never_creates_topics(subscribers: Subscribers, store: IncidentStore, dynamodb: Any) -> None:
    before = subscribers.sns.list_topics()["Topics"]
    put_items(dynamodb, store.table_name, [classified_incident(1, priority="low")])
    dispatch_notifications(store, notifier(subscribers), NOTIFICATION_INDEX, owner="A", clock=clock)
    assert subscribers.sns.list_topics()["Topics"] == before


def test_the_subject_is_short_ascii_even_for_non_ascii_classes() -> None:
    incident = Incident.from_item(classified_incident(1, classification="señal\nrota" + "x" * 200))
    text = subject(incident)
    assert text.isascii()
    assert "\n" not in text
    assert len(text) < 100
