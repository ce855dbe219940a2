"""Celery on SQS exactly as docs/CONTRACTS.md tells the application: the queue by URL
(`predefined_queues`), so kombu never lists, looks up or creates queues; credentials from the
task role (the default chain); late acknowledgement."""

from __future__ import annotations

import os
import time

import boto3
from celery import Celery

from app.videos import processed_body, processed_key

queue = os.environ["SQS_QUEUE_NAME"]
celery_app = Celery("app", broker="sqs://")
celery_app.conf.update(
    task_default_queue=queue,
    task_acks_late=True,
    broker_connection_retry_on_startup=True,
    broker_transport_options={
        "region": os.environ["AWS_REGION"],
        "predefined_queues": {queue: {"url": os.environ["SQS_QUEUE_URL"]}},
        "visibility_timeout": int(os.environ.get("SQS_VISIBILITY_TIMEOUT", "1800")),
        "wait_time_seconds": 1,
    },
)


@celery_app.task(name="process_video")
def process_video(upload_key: str) -> str:
    # faults.py's hook: how long a job takes, so a worker can be killed in the middle of one.
    time.sleep(float(os.environ.get("E2E_JOB_SECONDS", "0")))
    s3 = boto3.client("s3", region_name=os.environ["AWS_REGION"])
    bucket = os.environ["AWS_S3_BUCKET"]
    original = s3.get_object(Bucket=bucket, Key=upload_key)["Body"].read()
    key = processed_key(upload_key)
    s3.put_object(Bucket=bucket, Key=key, Body=processed_body(original))
    return key
