"""Incident parsing, timestamps and the settings read from the environment."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from alerta_utec.model import Incident, MalformedIncidentError, format_timestamp, parse_timestamp
from alerta_utec.settings import ENV_VARS, Settings, SettingsError

from support import new_incident


def test_timestamps_are_written_in_utc_with_offset_and_milliseconds() -> None:
    lima = timezone(timedelta(hours=-5))
    assert format_timestamp(datetime(2024, 1, 15, 7, 0, tzinfo=lima)) == "2024-01-15T12:00:00.000+00:00"


def test_naive_timestamps_are_refused_both_ways() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_timestamp(datetime(2024, 1, 15, 12, 0))  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="offset"):
        parse_timestamp("2024-01-15T12:00:00")


def test_offsets_and_z_are_parsed() -> None:
    assert parse_timestamp("2024-01-15T07:00:00-05:00") == datetime(2024, 1, 15, 12, 0, tzinfo=UTC)
    assert parse_timestamp("2024-01-15T12:00:00Z") == datetime(2024, 1, 15, 12, 0, tzinfo=UTC)


def test_a_producer_written_incident_parses_with_defaults() -> None:
    incident = Incident.from_item(new_incident(1, status=None, location=None))
    assert (incident.status, incident.location, incident.priority, incident.notification_sent) == (
        "pending",
        "",
        None,
        False,
    )


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"incidentId": ""}, "incidentId"),
        ({"description": None}, "description"),
        ({"description": ["a"]}, "description"),
        ({"location": 3}, "location"),
        ({"createdAt": None}, "createdAt is missing"),
        ({"createdAt": "15/01/2024"}, "createdAt"),
        ({"resolvedAt": "2024-01-15T12:00:00"}, "resolvedAt"),
        ({"status": "closed"}, "status"),
        ({"priority": "urgent"}, "priority"),
        ({"notificationSent": "yes"}, "notificationSent"),
        ({"classification": 7}, "classification"),
    ],
)
def test_malformed_items_say_what_is_wrong(overrides: dict[str, object], reason: str) -> None:
    with pytest.raises(MalformedIncidentError, match=reason):
        Incident.from_item(new_incident(1, **overrides))


def test_settings_come_from_the_contract_variables() -> None:
    settings = Settings.from_environ(
        {
            "DYNAMODB_TABLE": "Incidents",
            "INCIDENTS_CLASSIFICATION_INDEX": "classification-pending",
            "SNS_TOPIC_ARN_HIGH": "arn:high",
            "SNS_TOPIC_ARN_MEDIUM": "arn:medium",
            "SNS_TOPIC_ARN_LOW": "arn:low",
        }
    )
    assert settings.table_name == "Incidents"
    assert settings.classification_index == "classification-pending"
    assert settings.notification_index == ""
    assert settings.topic_arns == {"high": "arn:high", "medium": "arn:medium", "low": "arn:low"}
    assert settings.report_recipient == "admin@utec.edu.pe"
    assert settings.metrics_namespace == "AlertaUTEC/Incidents"


def test_missing_variables_are_all_named_at_once() -> None:
    settings = Settings.from_environ({"DYNAMODB_TABLE": "Incidents", "REPORT_RECIPIENT": "  "})
    with pytest.raises(SettingsError) as error:
        settings.require("table_name", "sender_address", "backup_bucket", "topic_arn_low")
    assert str(error.value).endswith("SES_SENDER_ADDRESS, BACKUP_BUCKET, SNS_TOPIC_ARN_LOW")
    assert settings.report_recipient == "admin@utec.edu.pe"


def test_clients_retry_throttling_with_backoff_in_the_configured_region() -> None:
    from alerta_utec import aws

    client = aws.client("dynamodb", Settings.from_environ({"AWS_DEFAULT_REGION": "sa-east-1"}))
    assert client.meta.region_name == "sa-east-1"
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 10}


def test_settings_read_exactly_the_variables_docs_contracts_lists() -> None:
    # The airflow stack's Jest test checks it sets every variable of this table; this side checks
    # the DAGs read the same names, so a rename on either side fails a test.
    contracts = Path(__file__).resolve().parents[2] / "docs" / "CONTRACTS.md"
    rows = [line for line in contracts.read_text().splitlines() if re.match(r"^\|\s*`[A-Z_]+`", line)]
    documented = {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}
    assert len(documented) == 11
    assert set(ENV_VARS.values()) == documented
