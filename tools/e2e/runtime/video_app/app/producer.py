"""The web service's side of the contract: store an upload under uploads/ and enqueue its job.

python -m app.producer <name>     (under the web task role's credentials)
"""

from __future__ import annotations

import os
import sys

import boto3

from app.celery_worker import process_video
from app.videos import UPLOADS_PREFIX


def upload_and_enqueue(name: str, body: bytes) -> str:
    key = UPLOADS_PREFIX + name
    boto3.client("s3", region_name=os.environ["AWS_REGION"]).put_object(
        Bucket=os.environ["AWS_S3_BUCKET"], Key=key, Body=body
    )
    process_video.delay(key)
    return key


if __name__ == "__main__":
    print(upload_and_enqueue(sys.argv[1], sys.argv[1].encode()))
