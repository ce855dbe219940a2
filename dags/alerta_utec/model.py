"""The incident as the DAGs see it: attribute names of the table, allowed values, and the
parsing that turns a DynamoDB item into an `Incident` or says why it cannot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

PRIORITIES = ("high", "medium", "low")  # most urgent first
STATUSES = ("pending", "in_progress", "resolved")

# Value of the sparse-index markers: present means "this step still has to happen".
PENDING = "PENDING"


class Attr:
    """Attribute names of the incidents table (docs/CONTRACTS.md)."""

    ID = "incidentId"
    DESCRIPTION = "description"
    LOCATION = "location"
    STATUS = "status"
    CREATED_AT = "createdAt"
    RESOLVED_AT = "resolvedAt"
    CLASSIFICATION = "classification"
    PRIORITY = "priority"
    CLASSIFIED_AT = "classifiedAt"
    CLASSIFICATION_PENDING = "classificationPending"
    NOTIFICATION_PENDING = "notificationPending"
    NOTIFICATION_SENT = "notificationSent"
    NOTIFIED_AT = "notifiedAt"
    NOTIFICATION_MESSAGE_ID = "notificationMessageId"
    LEASE_OWNER = "notificationLeaseOwner"
    LEASE_EXPIRES_AT = "notificationLeaseExpiresAt"


class MalformedIncidentError(ValueError):
    """An item that cannot be processed; jobs skip, log and count it."""

    def __init__(self, incident_id: object, reason: str) -> None:
        super().__init__(f"incident {incident_id!r}: {reason}")
        self.incident_id = incident_id
        self.reason = reason


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_timestamp(moment: datetime) -> str:
    """UTC ISO-8601 with offset and milliseconds; one width, so strings sort like instants."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: timestamps must carry a timezone")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def parse_timestamp(value: object) -> datetime:
    """Parses ISO-8601 text with an offset (or Z); naive or unparsable values raise ValueError."""
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO-8601 string, got {type(value).__name__}")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"timestamp without offset: {value!r}")
    return moment


@dataclass(frozen=True)
class Incident:
    incident_id: str
    description: str
    location: str
    status: str
    created_at: datetime
    resolved_at: datetime | None = None
    classification: str | None = None
    priority: str | None = None
    classified_at: datetime | None = None
    notified_at: datetime | None = None
    notification_sent: bool = False

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Incident:
        """Validates a deserialized item; raises MalformedIncidentError naming the first problem."""
        incident_id = item.get(Attr.ID)
        if not isinstance(incident_id, str) or not incident_id:
            raise MalformedIncidentError(incident_id, f"{Attr.ID} is not a non-empty string")

        def text(attr: str, required: bool) -> str:
            value = item.get(attr)
            if value is None and not required:
                return ""
            if not isinstance(value, str):
                raise MalformedIncidentError(incident_id, f"{attr} is not a string (got {value!r})")
            return value

        def moment(attr: str) -> datetime | None:
            value = item.get(attr)
            if value is None:
                return None
            try:
                return parse_timestamp(value)
            except ValueError as error:
                raise MalformedIncidentError(incident_id, f"{attr}: {error}") from None

        def choice(attr: str, allowed: tuple[str, ...], default: str | None) -> str | None:
            value = item.get(attr, default)
            if value is not None and value not in allowed:
                raise MalformedIncidentError(incident_id, f"{attr} is {value!r}, expected one of {allowed}")
            return value

        sent = item.get(Attr.NOTIFICATION_SENT, False)
        if not isinstance(sent, bool):
            raise MalformedIncidentError(incident_id, f"{Attr.NOTIFICATION_SENT} is not a boolean")
        classification = item.get(Attr.CLASSIFICATION)
        if classification is not None and not isinstance(classification, str):
            raise MalformedIncidentError(incident_id, f"{Attr.CLASSIFICATION} is not a string")
        created_at = moment(Attr.CREATED_AT)
        if created_at is None:
            raise MalformedIncidentError(incident_id, f"{Attr.CREATED_AT} is missing")
        return cls(
            incident_id=incident_id,
            description=text(Attr.DESCRIPTION, required=True),
            location=text(Attr.LOCATION, required=False),
            status=choice(Attr.STATUS, STATUSES, default="pending") or "pending",
            created_at=created_at,
            resolved_at=moment(Attr.RESOLVED_AT),
            classification=classification,
            priority=choice(Attr.PRIORITY, PRIORITIES, default=None),
            classified_at=moment(Attr.CLASSIFIED_AT),
            notified_at=moment(Attr.NOTIFIED_AT),
            notification_sent=sent,
        )
