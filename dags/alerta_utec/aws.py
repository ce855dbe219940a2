"""boto3 clients with the retry policy every job shares."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from alerta_utec.settings import Settings

# "standard" retries throttling and transient errors with jittered exponential backoff; ten
# attempts ride out a burst of DynamoDB throttling on an on-demand table. The endpoint comes from
# AWS_ENDPOINT_URL when set (tests point it at moto), so nothing here names one.
RETRIES = Config(
    retries={"mode": "standard", "total_max_attempts": 10},
    connect_timeout=10,
    read_timeout=60,
)


def client(service: str, settings: Settings) -> Any:
    session = boto3.session.Session(region_name=settings.region or None)
    return session.client(service, config=RETRIES)
