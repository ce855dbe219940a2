"""Exports the incidents table to S3 as JSON Lines, one dated object per day.

Each line is `{"Item": {...}}` in DynamoDB's typed JSON, the format of DynamoDB's own S3
exports, so a backup loads back with DynamoDB's ImportTable without conversion and keeps every
type (numbers stay exact, sets stay sets).

The export is a paginated Scan, not a snapshot: an item written during the export may or may not
be in it. Point-in-time recovery on the table covers exact restores; this is the portable copy.
"""

from __future__ import annotations

import base64
import json
import tempfile
from dataclasses import dataclass
from datetime import date
from typing import Any

from alerta_utec.store import IncidentStore, ReadStats

KEY_TEMPLATE = "backups/incidents/dt={day}/incidents.jsonl"
SPOOL_BYTES = 16 * 1024 * 1024  # kept in memory up to this size, then on disk


def backup_key(day: date) -> str:
    return KEY_TEMPLATE.format(day=day.isoformat())


def _json_default(value: object) -> object:
    # Binary attributes (B, BS) arrive as bytes; DynamoDB JSON carries them as base64 text.
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot serialize {type(value).__name__}")


@dataclass(frozen=True)
class BackupResult:
    bucket: str
    key: str
    items: int
    bytes: int
    reads: ReadStats

    def as_dict(self) -> dict[str, Any]:
        return {
            "bucket": self.bucket,
            "key": self.key,
            "items": self.items,
            "bytes": self.bytes,
            "reads": self.reads.as_dict(),
        }


def export_incidents(store: IncidentStore, s3: Any, bucket: str, day: date) -> BackupResult:
    """Writes the dated object in one upload, so readers never see a half-written backup and a
    rerun for the same day replaces it.
    """
    stats = ReadStats()
    items = 0
    key = backup_key(day)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as buffer:
        for item in store.scan_raw(stats):
            line = json.dumps({"Item": item}, ensure_ascii=False, separators=(",", ":"), default=_json_default)
            buffer.write(line.encode("utf-8") + b"\n")
            items += 1
        size = buffer.tell()
        buffer.seek(0)
        s3.upload_fileobj(
            buffer,
            bucket,
            key,
            ExtraArgs={
                "ContentType": "application/x-ndjson",
                "Metadata": {"item-count": str(items), "source-table": store.table_name},
            },
        )
    return BackupResult(bucket=bucket, key=key, items=items, bytes=size, reads=stats)
