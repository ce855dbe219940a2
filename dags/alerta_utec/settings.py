"""The one place that reads the environment (docs/CONTRACTS.md lists the variables).

No table, index, topic, address, bucket or namespace name is written anywhere else in Python.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from alerta_utec.model import PRIORITIES

DEFAULT_REPORT_RECIPIENT = "admin@utec.edu.pe"
DEFAULT_METRICS_NAMESPACE = "AlertaUTEC/Incidents"

# Settings field -> environment variable, so errors name what the operator has to set.
ENV_VARS: Mapping[str, str] = {
    "region": "AWS_DEFAULT_REGION",
    "table_name": "DYNAMODB_TABLE",
    "classification_index": "INCIDENTS_CLASSIFICATION_INDEX",
    "notification_index": "INCIDENTS_NOTIFICATION_INDEX",
    "topic_arn_high": "SNS_TOPIC_ARN_HIGH",
    "topic_arn_medium": "SNS_TOPIC_ARN_MEDIUM",
    "topic_arn_low": "SNS_TOPIC_ARN_LOW",
    "sender_address": "SES_SENDER_ADDRESS",
    "report_recipient": "REPORT_RECIPIENT",
    "backup_bucket": "BACKUP_BUCKET",
    "metrics_namespace": "METRICS_NAMESPACE",
}


class SettingsError(RuntimeError):
    """Raised when variables a job needs are missing; the message lists all of them."""


@dataclass(frozen=True)
class Settings:
    """Values of the contract's variables; an unset variable reads as an empty string.

    The index names may stay empty: the jobs then fall back to a filtered scan, with a warning.
    """

    region: str = ""
    table_name: str = ""
    classification_index: str = ""
    notification_index: str = ""
    topic_arn_high: str = ""
    topic_arn_medium: str = ""
    topic_arn_low: str = ""
    sender_address: str = ""
    report_recipient: str = DEFAULT_REPORT_RECIPIENT
    backup_bucket: str = ""
    metrics_namespace: str = DEFAULT_METRICS_NAMESPACE

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        defaults = cls()
        values = {field: environ.get(var, "").strip() or getattr(defaults, field) for field, var in ENV_VARS.items()}
        return cls(**values)

    def require(self, *fields: str) -> Settings:
        """Returns self, or raises naming every variable among `fields` that is not set."""
        missing = [ENV_VARS[field] for field in fields if not getattr(self, field)]
        if missing:
            raise SettingsError("missing environment variables (see docs/CONTRACTS.md): " + ", ".join(missing))
        return self

    @property
    def topic_arns(self) -> dict[str, str]:
        """Topic ARN of each priority."""
        return {priority: getattr(self, f"topic_arn_{priority}") for priority in PRIORITIES}
