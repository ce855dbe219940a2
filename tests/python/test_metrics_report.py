"""MetricsCalculator, the CloudWatch metrics job and the SES report."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import boto3
import pytest

from alerta_utec.jobs import analyze_metrics, send_daily_report
from alerta_utec.metrics import MetricsCalculator
from alerta_utec.model import Incident, format_timestamp
from alerta_utec.report import render_report
from alerta_utec.store import IncidentStore

from support import NOW, REGION, classified_incident, new_incident, put_items

NAMESPACE = "AlertaUTEC/Incidents"


def at(hours_before_now: float) -> str:
    return format_timestamp(NOW - timedelta(hours=hours_before_now))


def sample_items() -> list[dict[str, Any]]:
    """Six incidents: 2 resolved (3 h and 5 h), 1 in progress, 3 pending (one unclassified)."""
    return [
        classified_incident(1, priority="high", location="Aula 101", status="resolved",
                            createdAt=at(10), resolvedAt=at(7), notifiedAt=at(9.5)),
        classified_incident(2, priority="high", location="Aula 101", status="resolved",
                            createdAt=at(30), resolvedAt=at(25), notifiedAt=at(29.5)),
        classified_incident(3, priority="medium", classification="water", location="Baño 2",
                            status="in_progress", createdAt=at(3), notifiedAt=at(2)),
        classified_incident(4, priority="low", classification="cleaning", location="  Baño   2 ", createdAt=at(1)),
        classified_incident(5, priority="low", classification="cleaning", location="", createdAt=at(50)),
        new_incident(6, location="Aula 101", createdAt=at(0.5)),
    ]  # fmt: skip


def calculator() -> MetricsCalculator:
    return MetricsCalculator(NOW).add_all(Incident.from_item(item) for item in sample_items())


def test_overall_figures() -> None:
    metrics = calculator()
    overall = metrics.overall
    assert (overall.total, overall.pending, overall.in_progress, overall.resolved) == (6, 3, 1, 2)
    assert overall.resolution_rate == pytest.approx(100 * 2 / 6)
    assert overall.resolution_hours.value == pytest.approx(4.0)
    assert metrics.unclassified == 1
    assert (metrics.reported_last_24h, metrics.resolved_last_24h) == (4, 1)


def test_figures_by_location_merge_spacing_and_name_missing_locations() -> None:
    by_location = dict(calculator().locations_by_volume())
    assert list(by_location) == ["Aula 101", "Baño 2", "(no location)"]
    assert (by_location["Aula 101"].total, by_location["Aula 101"].resolved) == (3, 2)
    assert by_location["Baño 2"].total == 2


def test_response_time_runs_from_report_to_notification_by_priority() -> None:
    metrics = calculator()
    assert metrics.by_priority["high"].response_hours.value == pytest.approx(0.5)
    assert metrics.by_priority["medium"].response_hours.value == pytest.approx(1.0)
    assert metrics.by_priority["low"].response_hours.value is None


def test_an_empty_table_gives_zeros_not_errors() -> None:
    metrics = MetricsCalculator(NOW)
    names = {datum["MetricName"]: datum["Value"] for datum in metrics.metric_data()}
    assert names["TotalIncidents"] == 0
    assert names["ResolutionRate"] == 0.0
    assert "AverageResolutionTime" not in names


def test_metric_data_covers_the_architecture_guides_list() -> None:
    data = calculator().metric_data()
    by_key = {
        (d["MetricName"], tuple((x["Name"], x["Value"]) for x in d.get("Dimensions", []))): (d["Value"], d["Unit"])
        for d in data
    }
    assert by_key[("TotalIncidents", ())] == (6, "Count")
    assert by_key[("PendingIncidents", ())] == (3, "Count")
    assert by_key[("ResolutionRate", ())][1] == "Percent"
    assert by_key[("AverageResolutionTime", ())] == (pytest.approx(4.0), "None")
    assert by_key[("IncidentsByPriority", (("Priority", "high"),))] == (2, "Count")
    assert by_key[("IncidentsByPriority", (("Priority", "low"),))] == (2, "Count")
    assert by_key[("IncidentsByClassification", (("Classification", "cleaning"),))] == (2, "Count")
    assert by_key[("ResponseTime", (("Priority", "high"),))] == (pytest.approx(0.5), "None")
    assert all(d["Timestamp"] == NOW for d in data)


def test_the_metrics_job_puts_the_metrics_in_the_namespace(store: IncidentStore, dynamodb: Any) -> None:
    put_items(dynamodb, store.table_name, [*sample_items(), new_incident(7, createdAt="not a date")])
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)

    summary = analyze_metrics(store, cloudwatch, NAMESPACE, clock=lambda: NOW)

    assert (summary["total"], summary["malformed"]) == (6, 1)
    metrics = cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]
    names = {m["MetricName"] for m in metrics}
    assert names == {
        "TotalIncidents",
        "PendingIncidents",
        "ResolutionRate",
        "AverageResolutionTime",
        "IncidentsByPriority",
        "IncidentsByClassification",
        "ResponseTime",
    }
    total = cloudwatch.get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName="TotalIncidents",
        StartTime=NOW - timedelta(minutes=5),
        EndTime=NOW + timedelta(minutes=5),
        Period=60,
        Statistics=["Maximum"],
    )["Datapoints"]
    assert [point["Maximum"] for point in total] == [6.0]


def test_the_report_escapes_text_from_incidents() -> None:
    items = [classified_incident(1, location='<script>alert("x")</script>', classification="<b>fire</b>")]
    report = render_report(MetricsCalculator(NOW).add_all(Incident.from_item(item) for item in items))
    assert "<script>" not in report.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in report.html
    assert "&lt;b&gt;fire&lt;/b&gt;" in report.html


def test_the_report_has_overall_location_and_response_sections() -> None:
    report = render_report(calculator())
    assert report.subject == "AlertaUTEC incident report 2024-01-15"
    for heading in ("Overall", "By location", "Response by priority", "By classification"):
        assert f"<h2>{heading}</h2>" in report.html
        assert heading in report.text
    assert "<td>Aula 101</td><td>3</td>" in report.html
    assert "<td>Resolution rate</td><td>33.3%</td>" in report.html


def test_the_report_job_mails_the_admin_through_ses(store: IncidentStore, dynamodb: Any) -> None:
    put_items(dynamodb, store.table_name, sample_items())
    ses = boto3.client("ses", region_name=REGION)
    ses.verify_email_identity(EmailAddress="alerts@example.com")

    summary = send_daily_report(store, ses, "alerts@example.com", "admin@utec.edu.pe", clock=lambda: NOW)

    assert summary["message_id"]
    assert ses.get_send_quota()["SentLast24Hours"] == 1
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    [sent] = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    assert sent.destinations["ToAddresses"] == ["admin@utec.edu.pe"]
    assert "By location" in sent.body
