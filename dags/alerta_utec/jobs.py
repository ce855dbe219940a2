"""What each DAG's task does. `run_*` read the settings and build the clients; the functions they
call take their collaborators as arguments, which is how the tests drive them against moto.

Every job returns a small JSON-able summary (it lands in XCom) and logs it. A malformed item is
logged, counted and skipped; it never fails the run. Failures talking to AWS that survive the
clients' retries do fail the run, after the rest of the batch has been processed, so Airflow's
retry picks up exactly what is left.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from alerta_utec import aws
from alerta_utec.backup import export_incidents
from alerta_utec.classifier import IncidentClassifier
from alerta_utec.metrics import MetricsCalculator, put_metric_data
from alerta_utec.model import Attr, Incident, MalformedIncidentError, format_timestamp, utc_now
from alerta_utec.notifier import SNSNotifier
from alerta_utec.report import render_report, send_report
from alerta_utec.settings import Settings
from alerta_utec.store import CLASSIFICATION, NOTIFICATION, IncidentStore, ReadStats

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
AWS_ERRORS = (ClientError, BotoCoreError)

# A claimed notification is published and marked within milliseconds; five minutes of lease
# leaves room for SNS retries and still lets the next run (10 minutes later) take over the
# claims of a worker that died.
NOTIFICATION_LEASE_SECONDS = 300

# Conditional writes in flight at once: DynamoDB answers each in milliseconds, so a few threads
# turn a backlog's round trips into throughput; the clients' connection pool holds 10.
WRITE_CONCURRENCY = 8

# Attributes the metrics and the report read: a narrower scan transfers less.
METRIC_ATTRIBUTES = (
    Attr.ID,
    Attr.DESCRIPTION,
    Attr.LOCATION,
    Attr.STATUS,
    Attr.CREATED_AT,
    Attr.RESOLVED_AT,
    Attr.CLASSIFICATION,
    Attr.PRIORITY,
    Attr.CLASSIFIED_AT,
    Attr.NOTIFIED_AT,
    Attr.NOTIFICATION_SENT,
)


class IncompleteRunError(RuntimeError):
    """Some items could not be processed because AWS calls failed; a retry finishes them."""


@dataclass
class RunSummary:
    """Counters of one job run; `outcomes` counts items by what happened to them."""

    reads: ReadStats = field(default_factory=ReadStats)
    outcomes: Counter[str] = field(default_factory=Counter)
    details: dict[str, Any] = field(default_factory=dict)

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] += 1

    def skip_malformed(self, error: MalformedIncidentError) -> None:
        log.warning("skipping malformed item: %s", error)
        self.count("malformed")

    def as_dict(self) -> dict[str, Any]:
        return {"reads": self.reads.as_dict(), **dict(sorted(self.outcomes.items())), **self.details}

    def finish(self, job: str) -> dict[str, Any]:
        summary = self.as_dict()
        log.info("%s: %s", job, summary)
        if self.outcomes["failed"]:
            raise IncompleteRunError(
                f"{job}: {self.outcomes['failed']} items failed and stay queued for the retry: {summary}"
            )
        return summary


def classify_new_incidents(
    store: IncidentStore,
    index_name: str,
    classifier: IncidentClassifier | None = None,
    clock: Clock = utc_now,
    concurrency: int = WRITE_CONCURRENCY,
) -> dict[str, Any]:
    """Classifies every incident waiting in the classification backlog, once.

    The write is conditional on the incident still waiting, so when two runs overlap each
    incident is classified by exactly one of them; the other counts it as `already_done`.
    Writes go out `concurrency` at a time while the backlog is still being paged: each is one
    round trip, and a backlog of thousands would otherwise wait on them one by one.
    """
    classifier = classifier or IncidentClassifier()
    run = RunSummary()

    def write(incident: Incident) -> tuple[str, str]:
        result = classifier.classify(incident.description, incident.location)
        try:
            done = store.mark_classified(
                incident.incident_id, result.classification, result.priority, format_timestamp(clock())
            )
        except AWS_ERRORS:
            log.exception("could not record the classification of %s", incident.incident_id)
            return "failed", result.priority
        return ("classified" if done else "already_done"), result.priority

    def record(writes: set[Future[tuple[str, str]]]) -> None:
        for future in writes:
            outcome, priority = future.result()
            run.count(outcome)
            if outcome == "classified":
                run.count(f"priority:{priority}")

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="classify") as pool:
        in_flight: set[Future[tuple[str, str]]] = set()
        for item in store.backlog(CLASSIFICATION, index_name, run.reads):
            try:
                incident = Incident.from_item(item)
            except MalformedIncidentError as error:
                run.skip_malformed(error)
                continue
            in_flight.add(pool.submit(write, incident))
            if len(in_flight) >= 2 * concurrency:
                done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                record(done)
        record(wait(in_flight).done)
    return run.finish("incident_classifier")


def dispatch_notifications(
    store: IncidentStore,
    notifier: SNSNotifier,
    index_name: str,
    owner: str,
    lease_seconds: int = NOTIFICATION_LEASE_SECONDS,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Publishes each classified, un-notified incident to its priority's topic.

    Per incident: claim (conditional update: still due and no live lease -> lease to `owner`),
    publish, then mark sent (conditional on still holding the lease; removes it from the
    notification index). Overlapping runs therefore never publish the same incident twice: only
    one claim succeeds, and a lease is not taken over before it expires.

    Delivery is at least once, not exactly once. The window: SNS accepted the publish but the
    mark-sent write did not happen (the worker died, the write failed after its retries, or the
    lease expired because publishing took longer than `lease_seconds`). The incident then stays
    due, its lease expires, and a later run publishes it again: one duplicate per such failure,
    never a lost notification. Subscribers that must not see duplicates can deduplicate on the
    `incidentId` message attribute.
    """
    run = RunSummary()
    for item in store.backlog(NOTIFICATION, index_name, run.reads):
        try:
            notifier.topic_for(Incident.from_item(item))
        except MalformedIncidentError as error:
            run.skip_malformed(error)
            continue
        incident_id = item[Attr.ID]
        try:
            claimed = store.claim_notification(incident_id, owner, int(clock().timestamp()), lease_seconds)
        except AWS_ERRORS:
            log.exception("could not claim the notification of %s", incident_id)
            run.count("failed")
            continue
        if claimed is None:
            run.count("already_claimed")
            continue
        try:
            # Publish what the item says now, not what the index page said a moment ago.
            incident = Incident.from_item(claimed)
            message_id = notifier.publish(incident)
        except MalformedIncidentError as error:
            _release_quietly(store, incident_id, owner)
            run.skip_malformed(error)
            continue
        except AWS_ERRORS:
            log.exception("could not publish the notification of %s", incident_id)
            run.count("failed")
            _release_quietly(store, incident_id, owner)
            continue
        try:
            marked = store.mark_notified(incident_id, owner, format_timestamp(clock()), message_id)
        except AWS_ERRORS:
            log.exception("published %s (message %s) but could not mark it sent", incident_id, message_id)
            run.count("failed")
            continue
        if not marked:
            log.error("published %s but lost its lease before marking it: it may be published again", incident_id)
            run.count("lease_lost")
            continue
        run.count("published")
        run.count(f"priority:{incident.priority}")
    return run.finish("notification_dispatcher")


def _release_quietly(store: IncidentStore, incident_id: str, owner: str) -> None:
    try:
        store.release_notification(incident_id, owner)
    except AWS_ERRORS:
        log.exception("could not release the lease on %s; it expires on its own", incident_id)


def _calculate(store: IncidentStore, run: RunSummary, now: datetime) -> MetricsCalculator:
    metrics = MetricsCalculator(now)
    for item in store.scan(run.reads, METRIC_ATTRIBUTES):
        try:
            metrics.add(Incident.from_item(item))
        except MalformedIncidentError as error:
            run.skip_malformed(error)
    return metrics


def analyze_metrics(store: IncidentStore, cloudwatch: Any, namespace: str, clock: Clock = utc_now) -> dict[str, Any]:
    """Publishes the incident metrics of the architecture guide to CloudWatch."""
    run = RunSummary()
    metrics = _calculate(store, run, clock())
    data = metrics.metric_data()
    put_metric_data(cloudwatch, namespace, data)
    run.details.update(
        metric_data=len(data),
        total=metrics.overall.total,
        pending=metrics.overall.pending,
        resolution_rate=round(metrics.overall.resolution_rate, 2),
    )
    return run.finish("metrics_analyzer")


def send_daily_report(
    store: IncidentStore, ses: Any, sender: str, recipient: str, clock: Clock = utc_now
) -> dict[str, Any]:
    """Builds the HTML report and sends it through SES."""
    run = RunSummary()
    report = render_report(_calculate(store, run, clock()))
    run.details.update(message_id=send_report(ses, sender, recipient, report), subject=report.subject)
    return run.finish("report_generator")


def backup_incidents(store: IncidentStore, s3: Any, bucket: str, day: date) -> dict[str, Any]:
    result = export_incidents(store, s3, bucket, day)
    log.info("incidents_backup: %s", result.as_dict())
    return result.as_dict()


# -- entry points of the DAG tasks -------------------------------------------------------------


def _store(settings: Settings) -> IncidentStore:
    return IncidentStore(aws.client("dynamodb", settings), settings.table_name)


def run_classifier() -> dict[str, Any]:
    settings = Settings.from_environ().require("table_name")
    return classify_new_incidents(_store(settings), settings.classification_index)


def run_dispatcher(run_id: str = "") -> dict[str, Any]:
    settings = Settings.from_environ().require("table_name", "topic_arn_high", "topic_arn_medium", "topic_arn_low")
    # Unique per attempt: a retry of the same run must not mistake a dead attempt's lease for its own.
    owner = f"{run_id or 'manual'}/{socket.gethostname()}/{uuid.uuid4().hex}"
    notifier = SNSNotifier(aws.client("sns", settings), settings.topic_arns)
    return dispatch_notifications(_store(settings), notifier, settings.notification_index, owner)


def run_metrics_analyzer() -> dict[str, Any]:
    settings = Settings.from_environ().require("table_name", "metrics_namespace")
    return analyze_metrics(_store(settings), aws.client("cloudwatch", settings), settings.metrics_namespace)


def run_report_generator() -> dict[str, Any]:
    settings = Settings.from_environ().require("table_name", "sender_address", "report_recipient")
    ses = aws.client("ses", settings)
    return send_daily_report(_store(settings), ses, settings.sender_address, settings.report_recipient)


def run_backup(day: date) -> dict[str, Any]:
    settings = Settings.from_environ().require("table_name", "backup_bucket")
    return backup_incidents(_store(settings), aws.client("s3", settings), settings.backup_bucket, day)
