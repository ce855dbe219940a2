"""Publishes incident notifications to the SNS topic of their priority."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from alerta_utec.model import PRIORITIES, Incident, MalformedIncidentError, format_timestamp

MAX_DESCRIPTION_CHARS = 2000
MAX_SUBJECT_CHARS = 99  # SNS: under 100 ASCII characters, no line breaks


class SNSNotifier:
    """Topic ARNs come from configuration; the topics are infrastructure, never created here."""

    def __init__(self, sns_client: Any, topic_arns: Mapping[str, str]) -> None:
        missing = [priority for priority in PRIORITIES if not topic_arns.get(priority)]
        if missing:
            raise ValueError(f"no SNS topic ARN for priorities: {', '.join(missing)}")
        self._client = sns_client
        self._topic_arns = dict(topic_arns)

    def topic_for(self, incident: Incident) -> str:
        if incident.priority not in self._topic_arns or not incident.classification:
            raise MalformedIncidentError(incident.incident_id, "not classified (no priority or classification)")
        return self._topic_arns[incident.priority]

    def publish(self, incident: Incident) -> str:
        """Sends one notification and returns SNS's MessageId.

        The message attributes let subscribers filter by priority or class, and deduplicate on
        incidentId (delivery is at least once, see jobs.dispatch_notifications).
        """
        topic_arn = self.topic_for(incident)
        response = self._client.publish(
            TopicArn=topic_arn,
            Subject=subject(incident),
            Message=message(incident),
            MessageAttributes={
                name: {"DataType": "String", "StringValue": value}
                for name, value in (
                    ("incidentId", incident.incident_id),
                    ("priority", incident.priority or ""),
                    ("classification", incident.classification or ""),
                )
            },
        )
        return str(response["MessageId"])


def subject(incident: Incident) -> str:
    text = f"AlertaUTEC {(incident.priority or '').upper()} priority: {incident.classification} incident"
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    printable = "".join(char for char in ascii_text if char.isprintable())
    return printable[:MAX_SUBJECT_CHARS]


def message(incident: Incident) -> str:
    description = incident.description
    if len(description) > MAX_DESCRIPTION_CHARS:
        description = description[:MAX_DESCRIPTION_CHARS] + " [...]"
    lines = [
        f"New {incident.priority} priority incident: {incident.classification}",
        "",
        f"Incident: {incident.incident_id}",
        f"Location: {incident.location or '(not given)'}",
        f"Reported at: {format_timestamp(incident.created_at)}",
        f"Status: {incident.status}",
        "",
        description,
    ]
    return "\n".join(lines)
