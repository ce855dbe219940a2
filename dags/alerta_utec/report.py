"""The daily report: HTML (plus a plain-text part) rendered from a MetricsCalculator, sent by SES.

Every value that came from the table (locations, classes) is escaped: the report goes to an
inbox, and incident text is written by whoever files an incident.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from alerta_utec.metrics import GroupStats, Mean, MetricsCalculator

REPORT_TIMEZONE = ZoneInfo("America/Lima")
MAX_LOCATION_ROWS = 25


@dataclass(frozen=True)
class Report:
    subject: str
    html: str
    text: str


def _number(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _hours(mean: Mean) -> str:
    return _number(mean.value)


def _table(caption: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    head = "".join(f"<th>{escape(str(cell))}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<h2>{escape(caption)}</h2><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _text_table(caption: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = [caption, "-" * len(caption), " | ".join(header)]
    lines += [" | ".join(str(cell) for cell in row) for row in rows]
    return "\n".join(lines)


def _group_row(name: str, stats: GroupStats) -> list[object]:
    return [
        name,
        stats.total,
        stats.pending,
        stats.in_progress,
        stats.resolved,
        f"{stats.resolution_rate:.1f}%",
        _hours(stats.resolution_hours),
    ]


def render_report(metrics: MetricsCalculator) -> Report:
    day = metrics.now.astimezone(REPORT_TIMEZONE).strftime("%Y-%m-%d")
    overall = metrics.overall
    sections: list[tuple[str, list[str], list[list[object]]]] = [
        (
            "Overall",
            ["Metric", "Value"],
            [
                ["Total incidents", overall.total],
                ["Pending", overall.pending],
                ["In progress", overall.in_progress],
                ["Resolved", overall.resolved],
                ["Resolution rate", f"{overall.resolution_rate:.1f}%"],
                ["Average resolution time (hours)", _hours(overall.resolution_hours)],
                ["Not yet classified", metrics.unclassified],
                ["Reported in the last 24 hours", metrics.reported_last_24h],
                ["Resolved in the last 24 hours", metrics.resolved_last_24h],
            ],
        ),
    ]
    group_header = ["", "Total", "Pending", "In progress", "Resolved", "Resolution rate", "Avg. resolution (h)"]
    locations = metrics.locations_by_volume()
    location_rows = [_group_row(name, stats) for name, stats in locations[:MAX_LOCATION_ROWS]]
    if len(locations) > MAX_LOCATION_ROWS:
        location_rows.append([f"... {len(locations) - MAX_LOCATION_ROWS} more locations", "", "", "", "", "", ""])
    sections.append(("By location", ["Location", *group_header[1:]], location_rows))
    sections.append(
        (
            "Response by priority",
            ["Priority", "Incidents", "Resolved", "Avg. time to notify (h)", "Avg. resolution (h)"],
            [
                [priority, stats.total, stats.resolved, _hours(stats.response_hours), _hours(stats.resolution_hours)]
                for priority, stats in metrics.by_priority.items()
            ],
        )
    )
    sections.append(
        (
            "By classification",
            ["Classification", *group_header[1:]],
            [_group_row(name, stats) for name, stats in sorted(metrics.by_classification.items())],
        )
    )
    title = f"AlertaUTEC incident report {day}"
    generated = metrics.now.astimezone(REPORT_TIMEZONE).isoformat(timespec="minutes")
    html = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif}table{border-collapse:collapse;margin-bottom:1em}"
        "th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#f0f0f0}</style>"
        f"</head><body><h1>{escape(title)}</h1><p>Generated {escape(generated)} (America/Lima).</p>"
        + "".join(_table(*section) for section in sections)
        + "</body></html>"
    )
    text = f"{title}\nGenerated {generated} (America/Lima).\n\n" + "\n\n".join(
        _text_table(*section) for section in sections
    )
    return Report(subject=title, html=html, text=text)


def send_report(ses: Any, sender: str, recipient: str, report: Report) -> str:
    """Sends the report through SES; returns the MessageId."""
    response = ses.send_email(
        Source=sender,
        Destination={"ToAddresses": [recipient]},
        Message={
            "Subject": {"Data": report.subject, "Charset": "UTF-8"},
            "Body": {
                "Html": {"Data": report.html, "Charset": "UTF-8"},
                "Text": {"Data": report.text, "Charset": "UTF-8"},
            },
        },
    )
    return str(response["MessageId"])
