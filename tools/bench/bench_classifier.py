#!/usr/bin/env python3
"""Measures one incident_classifier run against moto.

    .venv/bin/python tools/bench/bench_classifier.py --pending 10000
    .venv/bin/python tools/bench/bench_classifier.py --pending 100 --total 100000
    .venv/bin/python tools/bench/bench_classifier.py --pending 10000 --server   # moto_server over HTTP
    .venv/bin/python tools/bench/bench_classifier.py --pending 10000 --floor    # + the emulator's floor

Fills an incidents table (docs/CONTRACTS.md schema) with `--total` incidents of which `--pending`
wait for classification, times one classifier run, and prints a JSON line: the run's seconds and
how many items DynamoDB read (summed ScannedCount), which must follow the backlog, not the table.

--floor also times the least any classifier must do on the same emulator: the same conditional
write per pending incident, issued one after another on a second table filled alike, with no
query, no classification and no threads. What the run takes beyond it is the classifier's share.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "dags"), str(REPO / "tests" / "python")]

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from alerta_utec.aws import RETRIES  # noqa: E402
from alerta_utec.jobs import classify_new_incidents  # noqa: E402
from alerta_utec.store import IncidentStore  # noqa: E402

from support import (  # noqa: E402
    CLASSIFICATION_INDEX,
    FAKE_CREDENTIALS,
    REGION,
    classified_incident,
    create_incidents_table,
    new_incident,
    put_items,
)

DESCRIPTIONS = (
    "Hay humo en el pasillo",
    "Fuga de agua en el baño",
    "No hay wifi en el aula",
    "La puerta está rota",
    "Me robaron la mochila",
    "Algo raro pasa",
)


def fill(dynamodb: object, pending: int, total: int, table: str = "Incidents") -> None:
    def items():
        for number in range(total):
            description = DESCRIPTIONS[number % len(DESCRIPTIONS)]
            if number < pending:
                yield new_incident(number, description=description)
            else:
                yield classified_incident(number, notificationPending=None, notificationSent=True)

    put_items(dynamodb, table, items())


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def emulator_floor(dynamodb: object, pending: int, total: int) -> float:
    """Seconds for `pending` bare conditional writes (the classifier's one write per incident)."""
    create_incidents_table(dynamodb, "Floor")
    fill(dynamodb, pending, total, table="Floor")
    store = IncidentStore(dynamodb, "Floor")
    ids = [new_incident(number)["incidentId"] for number in range(pending)]
    started = time.perf_counter()
    for incident_id in ids:
        if not store.mark_classified(incident_id, "otro", "low", "2026-01-01T00:00:00+00:00"):
            raise RuntimeError(f"floor: {incident_id} was not pending")
    return time.perf_counter() - started


def measure(
    pending: int, total: int, endpoint: str | None, server_pid: int | None = None, floor: bool = False
) -> dict[str, object]:
    dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint, config=RETRIES)
    create_incidents_table(dynamodb)
    started = time.perf_counter()
    fill(dynamodb, pending, total)
    filled, cpu_before = time.perf_counter(), time.process_time()
    server_before = process_cpu_seconds(server_pid) if server_pid else 0.0
    summary = classify_new_incidents(IncidentStore(dynamodb, "Incidents"), CLASSIFICATION_INDEX)
    finished, cpu_after = time.perf_counter(), time.process_time()
    server_cpu = process_cpu_seconds(server_pid) - server_before if server_pid else None
    return {
        "mode": "moto_server" if endpoint else "moto in-process",
        "total_incidents": total,
        "pending": pending,
        "fill_seconds": round(filled - started, 1),
        "classifier_seconds": round(finished - filled, 2),
        "load_average_1min": round(os.getloadavg()[0], 1),
        # CPU of this process (client and, in-process, moto): the wall time without other load.
        "classifier_cpu_seconds": round(cpu_after - cpu_before, 2),
        **({"moto_server_cpu_seconds": round(server_cpu, 2)} if server_cpu is not None else {}),
        **({"emulator_floor_seconds": round(emulator_floor(dynamodb, pending, total), 2)} if floor else {}),
        **summary,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pending", type=int, default=10_000, help="incidents waiting for classification")
    parser.add_argument("--total", type=int, help="incidents in the table (default: --pending)")
    parser.add_argument("--server", action="store_true", help="go through moto_server over HTTP")
    parser.add_argument("--floor", action="store_true", help="also time the bare conditional writes alone")
    args = parser.parse_args()
    total = max(args.total or args.pending, args.pending)
    os.environ.update(FAKE_CREDENTIALS)
    if args.server:
        # Its own process, as in the end-to-end tests: the classifier's threads and moto's
        # request handling then use separate cores.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        endpoint = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).close()  # noqa: S310 - local
                    break
                except OSError:
                    time.sleep(0.2)
            result = measure(args.pending, total, endpoint, server.pid, args.floor)
        finally:
            server.terminate()
            server.wait(timeout=30)
    else:
        with mock_aws():
            result = measure(args.pending, total, None, floor=args.floor)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
