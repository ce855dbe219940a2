"""Incident statistics, computed in one pass so memory grows with the number of groups (locations,
classes), not with the table; and their translation into CloudWatch metric data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from alerta_utec.model import PRIORITIES, Incident

UNKNOWN_LOCATION = "(no location)"
HOUR = timedelta(hours=1)
# CloudWatch has no "Hours" unit; durations go out as plain numbers whose name-and-doc say hours.
HOURS_UNIT = "None"
METRICS_PER_REQUEST = 20  # PutMetricData's historical limit; today's is 1000, 20 stays safe


@dataclass
class Mean:
    total: float = 0.0
    count: int = 0

    def add(self, value: float) -> None:
        self.total += value
        self.count += 1

    @property
    def value(self) -> float | None:
        return self.total / self.count if self.count else None


@dataclass
class GroupStats:
    """Counts and durations of a group of incidents (all, one location, one priority...)."""

    total: int = 0
    pending: int = 0
    in_progress: int = 0
    resolved: int = 0
    resolution_hours: Mean = field(default_factory=Mean)
    # Response time: from the report until responders were notified (createdAt -> notifiedAt).
    response_hours: Mean = field(default_factory=Mean)

    def add(self, incident: Incident) -> None:
        self.total += 1
        if incident.status == "pending":
            self.pending += 1
        elif incident.status == "in_progress":
            self.in_progress += 1
        elif incident.status == "resolved":
            self.resolved += 1
            if incident.resolved_at and incident.resolved_at >= incident.created_at:
                self.resolution_hours.add((incident.resolved_at - incident.created_at) / HOUR)
        if incident.notified_at and incident.notified_at >= incident.created_at:
            self.response_hours.add((incident.notified_at - incident.created_at) / HOUR)

    @property
    def resolution_rate(self) -> float:
        """Resolved incidents as a percentage of all of them (0 for an empty group)."""
        return 100.0 * self.resolved / self.total if self.total else 0.0


class MetricsCalculator:
    """Feed it incidents with `add`; read overall, by-location, by-priority and by-class figures."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.overall = GroupStats()
        self.by_location: dict[str, GroupStats] = defaultdict(GroupStats)
        self.by_priority: dict[str, GroupStats] = {priority: GroupStats() for priority in PRIORITIES}
        self.by_classification: dict[str, GroupStats] = defaultdict(GroupStats)
        self.unclassified = 0
        self.reported_last_24h = 0
        self.resolved_last_24h = 0

    def add(self, incident: Incident) -> None:
        self.overall.add(incident)
        self.by_location[" ".join(incident.location.split()) or UNKNOWN_LOCATION].add(incident)
        if incident.priority and incident.classification:
            self.by_priority[incident.priority].add(incident)
            self.by_classification[incident.classification].add(incident)
        else:
            self.unclassified += 1
        day_ago = self.now - timedelta(hours=24)
        if incident.created_at > day_ago:
            self.reported_last_24h += 1
        if incident.status == "resolved" and incident.resolved_at and incident.resolved_at > day_ago:
            self.resolved_last_24h += 1

    def add_all(self, incidents: Iterable[Incident]) -> MetricsCalculator:
        for incident in incidents:
            self.add(incident)
        return self

    def locations_by_volume(self) -> list[tuple[str, GroupStats]]:
        return sorted(self.by_location.items(), key=lambda entry: (-entry[1].total, entry[0]))

    def metric_data(self) -> list[dict[str, Any]]:
        """The architecture guide's metrics, as PutMetricData entries stamped with `now`."""

        def datum(name: str, value: float, unit: str, **dimensions: str) -> dict[str, Any]:
            entry: dict[str, Any] = {"MetricName": name, "Value": value, "Unit": unit, "Timestamp": self.now}
            if dimensions:
                entry["Dimensions"] = [{"Name": key, "Value": val} for key, val in dimensions.items()]
            return entry

        data = [
            datum("TotalIncidents", self.overall.total, "Count"),
            datum("PendingIncidents", self.overall.pending, "Count"),
            datum("ResolutionRate", self.overall.resolution_rate, "Percent"),
        ]
        if (hours := self.overall.resolution_hours.value) is not None:
            data.append(datum("AverageResolutionTime", hours, HOURS_UNIT))
        for priority, stats in self.by_priority.items():
            data.append(datum("IncidentsByPriority", stats.total, "Count", Priority=priority))
            if (hours := stats.response_hours.value) is not None:
                data.append(datum("ResponseTime", hours, HOURS_UNIT, Priority=priority))
        for classification, stats in sorted(self.by_classification.items()):
            data.append(datum("IncidentsByClassification", stats.total, "Count", Classification=classification))
        return data


def put_metric_data(cloudwatch: Any, namespace: str, data: list[dict[str, Any]]) -> int:
    """Publishes `data` in request-sized chunks; returns the number of requests."""
    requests = 0
    for start in range(0, len(data), METRICS_PER_REQUEST):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start : start + METRICS_PER_REQUEST])
        requests += 1
    return requests
