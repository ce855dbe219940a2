"""Reads and conditional writes on the incidents table.

Work lists come from the sparse indexes of docs/CONTRACTS.md: an incident carries
`classificationPending` / `notificationPending` only while that step is due, so a Query on the
index reads the backlog and nothing else. Every write that ends a step is conditional on the
step still being due, which is what makes overlapping or retried runs safe.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from alerta_utec.model import PENDING, Attr

log = logging.getLogger(__name__)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

Item = dict[str, Any]


@dataclass(frozen=True)
class Backlog:
    """The incidents waiting for one step of the pipeline."""

    name: str
    # Hash key of the sparse index: present (= PENDING) exactly while the step is due.
    marker: str
    # The same incidents on a table written before the markers existed; used by the fallback
    # scan and by the conditional writes, so both ways of finding work agree.
    legacy_condition: str

    @property
    def due_condition(self) -> str:
        return f"(#marker = :pending OR ({self.legacy_condition}))"


CLASSIFICATION = Backlog(
    name="classification",
    marker=Attr.CLASSIFICATION_PENDING,
    legacy_condition=f"attribute_not_exists({Attr.CLASSIFICATION})",
)
NOTIFICATION = Backlog(
    name="notification",
    marker=Attr.NOTIFICATION_PENDING,
    legacy_condition=(
        f"attribute_exists({Attr.CLASSIFICATION}) AND "
        f"(attribute_not_exists({Attr.NOTIFICATION_SENT}) OR {Attr.NOTIFICATION_SENT} = :false)"
    ),
)


@dataclass
class ReadStats:
    """What the reads cost: DynamoDB bills the items it reads (ScannedCount), not those returned."""

    pages: int = 0
    scanned: int = 0
    returned: int = 0
    used_index: bool = True

    def add_page(self, page: Mapping[str, Any]) -> None:
        self.pages += 1
        self.scanned += int(page.get("ScannedCount", 0))
        self.returned += int(page.get("Count", 0))

    def as_dict(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "scanned": self.scanned,
            "returned": self.returned,
            "used_index": self.used_index,
        }


def serialize(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in values.items()}


def deserialize(item: Mapping[str, Any]) -> Item:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def _is_missing_index(error: ClientError) -> bool:
    # DynamoDB: ValidationException "The table does not have the specified index: ..." or
    # "Cannot read from backfilling global secondary index ..."; moto: "Invalid index: ...".
    details = error.response.get("Error", {})
    return details.get("Code") in {"ValidationException", "ResourceNotFoundException"} and (
        "index" in details.get("Message", "").lower()
    )


def _is_condition_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


@dataclass
class IncidentStore:
    """The incidents table behind a boto3 DynamoDB client (thread-safe, unlike resources)."""

    client: Any
    table_name: str
    _values: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self._values = serialize({":pending": PENDING, ":false": False})

    # -- reads -------------------------------------------------------------------------------

    def backlog(self, backlog: Backlog, index_name: str, stats: ReadStats) -> Iterator[Item]:
        """Yields the incidents due for `backlog`, page by page.

        Queries the sparse index; without one (variable unset, or a pre-existing table that lacks
        it) scans the whole table with a filter instead and logs a warning, since that costs a
        read of every item on every run.
        """
        if not index_name:
            log.warning("no index configured for the %s backlog: scanning the whole table", backlog.name)
            yield from self._scan_backlog(backlog, stats)
            return
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": index_name,
            "KeyConditionExpression": "#marker = :pending",
            "ExpressionAttributeNames": {"#marker": backlog.marker},
            "ExpressionAttributeValues": {":pending": self._values[":pending"]},
        }
        try:
            page = self.client.query(**request)
        except ClientError as error:
            if not _is_missing_index(error):
                raise
            log.warning(
                "index %r of table %r cannot be queried (%s): scanning the whole table for the %s backlog",
                index_name,
                self.table_name,
                error.response["Error"].get("Message"),
                backlog.name,
            )
            yield from self._scan_backlog(backlog, stats)
            return
        # The cursor is a position in the index, so items that leave it while we work (because
        # we just processed them) do not make the next page skip or repeat anything.
        while True:
            stats.add_page(page)
            for item in page.get("Items", []):
                yield deserialize(item)
            if "LastEvaluatedKey" not in page:
                return
            page = self.client.query(**request, ExclusiveStartKey=page["LastEvaluatedKey"])

    def _scan_backlog(self, backlog: Backlog, stats: ReadStats) -> Iterator[Item]:
        stats.used_index = False
        values = {":pending": self._values[":pending"]}
        if ":false" in backlog.legacy_condition:
            values[":false"] = self._values[":false"]
        for item in self._paginate_scan(
            stats,
            FilterExpression=backlog.due_condition,
            ExpressionAttributeNames={"#marker": backlog.marker},
            ExpressionAttributeValues=values,
        ):
            yield deserialize(item)

    def scan_raw(self, stats: ReadStats, **request: Any) -> Iterator[dict[str, Any]]:
        """Every item of the table in DynamoDB's typed JSON ({"S": ...}), page by page."""
        stats.used_index = False
        yield from self._paginate_scan(stats, **request)

    def scan(self, stats: ReadStats, attributes: tuple[str, ...] = ()) -> Iterator[Item]:
        """Every item of the table, deserialized; `attributes` narrows what is transferred."""
        request: dict[str, Any] = {}
        if attributes:
            names = {f"#a{i}": name for i, name in enumerate(attributes)}
            request = {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}
        for item in self.scan_raw(stats, **request):
            yield deserialize(item)

    def _paginate_scan(self, stats: ReadStats, **request: Any) -> Iterator[dict[str, Any]]:
        paginator = self.client.get_paginator("scan")
        for page in paginator.paginate(TableName=self.table_name, **request):
            stats.add_page(page)
            yield from page.get("Items", [])

    # -- conditional writes ------------------------------------------------------------------

    def _update(
        self,
        incident_id: str,
        update: str,
        condition: str,
        values: Mapping[str, Any],
        marker: str | None = None,
        **extra: Any,
    ) -> Item | None:
        """Runs one conditional UpdateItem; None when the condition did not hold."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": serialize({Attr.ID: incident_id}),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": serialize(values),
            **extra,
        }
        if marker:
            request["ExpressionAttributeNames"] = {"#marker": marker}
        try:
            response = self.client.update_item(**request)
        except ClientError as error:
            if _is_condition_failure(error):
                return None
            raise
        return deserialize(response.get("Attributes", {}))

    def mark_classified(self, incident_id: str, classification: str, priority: str, classified_at: str) -> bool:
        """Records the classification and queues the notification, once.

        False when the incident is no longer due (another run classified it first).
        """
        return (
            self._update(
                incident_id,
                update=(
                    f"SET {Attr.CLASSIFICATION} = :classification, {Attr.PRIORITY} = :priority, "
                    f"{Attr.CLASSIFIED_AT} = :at, {Attr.NOTIFICATION_PENDING} = :pending "
                    "REMOVE #marker"
                ),
                condition=f"attribute_exists({Attr.ID}) AND {CLASSIFICATION.due_condition}",
                values={
                    ":classification": classification,
                    ":priority": priority,
                    ":at": classified_at,
                    ":pending": PENDING,
                },
                marker=CLASSIFICATION.marker,
            )
            is not None
        )

    def claim_notification(self, incident_id: str, owner: str, now_epoch: int, lease_seconds: int) -> Item | None:
        """Takes a lease on a due notification; returns the incident as it now stands, or None
        when it is no longer due or another live lease holds it.
        """
        return self._update(
            incident_id,
            update=f"SET {Attr.LEASE_OWNER} = :owner, {Attr.LEASE_EXPIRES_AT} = :expires",
            condition=(
                f"attribute_exists({Attr.ID}) AND {NOTIFICATION.due_condition} AND "
                f"(attribute_not_exists({Attr.LEASE_EXPIRES_AT}) OR {Attr.LEASE_EXPIRES_AT} < :now)"
            ),
            values={
                ":owner": owner,
                ":expires": now_epoch + lease_seconds,
                ":now": now_epoch,
                ":pending": PENDING,
                ":false": False,
            },
            marker=NOTIFICATION.marker,
            ReturnValues="ALL_NEW",
        )

    def mark_notified(self, incident_id: str, owner: str, notified_at: str, message_id: str) -> bool:
        """Ends the notification step if `owner` still holds the lease."""
        return (
            self._update(
                incident_id,
                update=(
                    f"SET {Attr.NOTIFICATION_SENT} = :true, {Attr.NOTIFIED_AT} = :at, "
                    f"{Attr.NOTIFICATION_MESSAGE_ID} = :message "
                    f"REMOVE #marker, {Attr.LEASE_OWNER}, {Attr.LEASE_EXPIRES_AT}"
                ),
                condition=f"{Attr.LEASE_OWNER} = :owner",
                values={":true": True, ":at": notified_at, ":message": message_id, ":owner": owner},
                marker=NOTIFICATION.marker,
            )
            is not None
        )

    def release_notification(self, incident_id: str, owner: str) -> bool:
        """Gives a lease back after a failed publish, so the next run retries at once."""
        return (
            self._update(
                incident_id,
                update=f"REMOVE {Attr.LEASE_OWNER}, {Attr.LEASE_EXPIRES_AT}",
                condition=f"{Attr.LEASE_OWNER} = :owner",
                values={":owner": owner},
            )
            is not None
        )
