"""From a recorded AWS call (recorder/aws_call_recorder.py) to the IAM requests AWS authorizes for it.

A botocore operation is not always the IAM action of the same name (S3 HeadObject is authorized as
s3:GetObject, ListObjectsV2 as s3:ListBucket, a batch as its single action), and the resource and
condition keys come from the request's parameters: the object's ARN from bucket and key, the
queue's ARN from its URL, the identity's ARN from the sender of a mail. One call can be several
requests (a copy reads one object and writes another; a mail is checked against its sender's and,
in the SES sandbox, its recipients' identities): each must be allowed.

A call this table does not know raises UnmappedCallError, so a new kind of call fails the run until it
is mapped here, instead of being waved through.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import getaddresses, parseaddr
from typing import Any
from urllib.parse import unquote, urlparse

Context = dict[str, str | list[str]]


@dataclass(frozen=True)
class IamRequest:
    action: str
    resource: str
    context: Context = field(default_factory=dict)


class UnmappedCallError(Exception):
    """A recorded call this module cannot turn into IAM requests."""


@dataclass(frozen=True)
class Call:
    """One recorded call: what the recorder wrote, with the account the emulator serves."""

    service: str
    operation: str
    region: str
    account: str
    params: dict[str, Any]
    secure: bool = True

    @staticmethod
    def from_record(record: dict[str, Any], account: str) -> Call:
        return Call(
            service=record["service"],
            operation=record["operation"],
            region=record.get("region") or "us-east-1",
            account=account,
            params=record.get("params", {}),
            secure=bool(record.get("secure", True)),
        )


#: botocore's service name -> the IAM service prefix, where they differ.
PREFIXES = {"sesv2": "ses"}

#: Operations authorized as another action (AWS's Service Authorization Reference).
ACTIONS: dict[tuple[str, str], str] = {
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "GetObjectAttributes"): "s3:GetObject",
    ("s3", "ListObjects"): "s3:ListBucket",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "ListObjectVersions"): "s3:ListBucketVersions",
    ("s3", "CreateMultipartUpload"): "s3:PutObject",
    ("s3", "UploadPart"): "s3:PutObject",
    ("s3", "CompleteMultipartUpload"): "s3:PutObject",
    ("s3", "ListParts"): "s3:ListMultipartUploadParts",
    ("s3", "DeleteObjects"): "s3:DeleteObject",
    ("sqs", "SendMessageBatch"): "sqs:SendMessage",
    ("sqs", "DeleteMessageBatch"): "sqs:DeleteMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "sqs:ChangeMessageVisibility",
    ("sns", "PublishBatch"): "sns:Publish",
}

#: Calls AWS authorizes without any permission.
UNAUTHORIZED_CALLS = {("sts", "GetCallerIdentity")}


def action_of(call: Call) -> str:
    prefix = PREFIXES.get(call.service, call.service)
    return ACTIONS.get((call.service, call.operation), f"{prefix}:{call.operation}")


# -------------------------------------------------------------------------------------------------
# Resources and context keys, per service


def _s3(call: Call, action: str) -> list[IamRequest]:
    p = call.params
    bucket = p.get("Bucket")
    if not bucket:
        return [IamRequest(action, "*")]
    if call.operation == "CopyObject":
        source = unquote(str(p["CopySource"]).lstrip("/")).split("?versionId=")[0]
        return [
            IamRequest("s3:PutObject", f"arn:aws:s3:::{bucket}/{p['Key']}"),
            IamRequest("s3:GetObject", f"arn:aws:s3:::{source}"),
        ]
    if "Key" in p:
        return [IamRequest(action, f"arn:aws:s3:::{bucket}/{p['Key']}")]
    context: Context = {"s3:prefix": p["Prefix"]} if "Prefix" in p and action == "s3:ListBucket" else {}
    return [IamRequest(action, f"arn:aws:s3:::{bucket}", context)]


def queue_arn(url: str, region: str) -> str:
    """`https://sqs.<region>.amazonaws.com/<account>/<name>` (or the emulator's URL) -> the queue's ARN."""
    parts = [part for part in urlparse(url).path.split("/") if part]
    if len(parts) != 2:
        raise UnmappedCallError(f"not an SQS queue URL: {url}")
    account, name = parts
    return f"arn:aws:sqs:{region}:{account}:{name}"


def _sqs(call: Call, action: str) -> list[IamRequest]:
    p = call.params
    if "QueueUrl" in p:
        return [IamRequest(action, queue_arn(p["QueueUrl"], call.region))]
    if "QueueName" in p:
        owner = p.get("QueueOwnerAWSAccountId", call.account)
        return [IamRequest(action, f"arn:aws:sqs:{call.region}:{owner}:{p['QueueName']}")]
    return [IamRequest(action, "*")]


def _sns(call: Call, action: str) -> list[IamRequest]:
    arn = call.params.get("TopicArn") or call.params.get("TargetArn")
    return [IamRequest(action, arn or "*")]


def _dynamodb(call: Call, action: str) -> list[IamRequest]:
    p = call.params
    base = f"arn:aws:dynamodb:{call.region}:{call.account}:table"
    if "RequestItems" in p:
        return [IamRequest(action, f"{base}/{table}") for table in p["RequestItems"]]
    if "TableName" not in p:
        return [IamRequest(action, "*")]
    index = f"/index/{p['IndexName']}" if "IndexName" in p else ""
    return [IamRequest(action, f"{base}/{p['TableName']}{index}")]


def _cloudwatch(call: Call, action: str) -> list[IamRequest]:
    # CloudWatch metrics have no resource-level permission; PutMetricData is narrowed by namespace.
    context: Context = (
        {"cloudwatch:namespace": call.params["Namespace"]} if action == "cloudwatch:PutMetricData" else {}
    )
    return [IamRequest(action, "*", context)]


def _address(text: str) -> str:
    """`Alerts <alerts@example.com>` -> `alerts@example.com`, as SES compares ses:FromAddress."""
    return parseaddr(text)[1] or text


def _ses(call: Call, action: str) -> list[IamRequest]:
    p = call.params
    if action not in ("ses:SendEmail", "ses:SendRawEmail"):
        return [IamRequest(action, "*")]
    sender = _address(p.get("Source") or p.get("FromEmailAddress") or "")
    sender_identity = p.get("SourceArn") or p.get("FromEmailAddressIdentityArn")
    destination = p.get("Destination", {})
    recipients = [address for _, address in getaddresses([a for v in destination.values() for a in v])]
    recipients += [_address(a) for a in p.get("Destinations", [])]
    identity = f"arn:aws:ses:{call.region}:{call.account}:identity"
    context: Context = {"ses:FromAddress": sender} if sender else {}
    if recipients:
        context["ses:Recipients"] = recipients
    if not sender and not sender_identity:
        raise UnmappedCallError(f"{call.service} {call.operation} names no sender")
    # The sender's identity always; in the SES sandbox each recipient's identity too (which is why
    # the airflow task role names the recipient's identity).
    resources = [sender_identity or f"{identity}/{sender}"] + [f"{identity}/{r}" for r in recipients]
    return [IamRequest(action, resource, context) for resource in dict.fromkeys(resources)]


def parameter_arn(name: str, region: str, account: str) -> str:
    if name.startswith("arn:"):
        return name
    return f"arn:aws:ssm:{region}:{account}:parameter/{name.lstrip('/')}"


def _ssm(call: Call, action: str) -> list[IamRequest]:
    p = call.params
    names = p.get("Names") or ([p["Name"]] if "Name" in p else [])
    if "Path" in p:
        names = [p["Path"]]
    if not names:
        return [IamRequest(action, "*")]
    return [IamRequest(action, parameter_arn(n, call.region, call.account)) for n in names]


def _sts(call: Call, action: str) -> list[IamRequest]:
    return [IamRequest(action, call.params.get("RoleArn", "*"))]


def _logs(call: Call, action: str) -> list[IamRequest]:
    p = call.params
    if call.operation == "DescribeLogGroups":
        # Listing takes no group: AWS authorizes it on every group of the account.
        return [IamRequest(action, f"arn:aws:logs:{call.region}:{call.account}:log-group:*")]
    if "logGroupName" not in p:
        return [IamRequest(action, "*")]
    group = f"arn:aws:logs:{call.region}:{call.account}:log-group:{p['logGroupName']}"
    stream = f":log-stream:{p['logStreamName']}" if "logStreamName" in p else ""
    return [IamRequest(action, f"{group}{stream}")]


#: What iam_evaluation resolves before mapping a RunTask (the family's ACTIVE revision and its roles):
#: the request names a family, AWS authorizes the revision it runs and passes its roles.
RUN_TASK_ROLES = "e2e:passedRoles"


def _ecs(call: Call, action: str) -> list[IamRequest]:
    p = call.params
    cluster = p.get("cluster", "default")
    if not cluster.startswith("arn:"):
        cluster = f"arn:aws:ecs:{call.region}:{call.account}:cluster/{cluster}"
    context: Context = {"ecs:cluster": cluster}
    if call.operation == "RunTask":
        definition = p["taskDefinition"]
        if RUN_TASK_ROLES not in p or not re.fullmatch(r"arn:aws:ecs:[^:]+:\d+:task-definition/[^:]+:\d+", definition):
            raise UnmappedCallError(f"RunTask of {definition}: the revision and roles were not resolved")
        passed = {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
        return [
            IamRequest(action, definition, context),
            *(IamRequest("iam:PassRole", role, passed) for role in p[RUN_TASK_ROLES]),
        ]
    if call.operation in ("DescribeTasks", "StopTask"):
        name = cluster.rsplit("/", 1)[1]
        tasks = p.get("tasks") or [p["task"]]
        prefix = f"arn:aws:ecs:{call.region}:{call.account}:task/{name}/"
        return [IamRequest(action, t if t.startswith("arn:") else prefix + t, context) for t in tasks]
    raise UnmappedCallError(f"no IAM mapping for ecs {call.operation} (tools/e2e/runtime/aws_calls.py)")


RESOURCES: dict[str, Callable[[Call, str], list[IamRequest]]] = {
    "ecs": _ecs,
    "s3": _s3,
    "sqs": _sqs,
    "sns": _sns,
    "dynamodb": _dynamodb,
    "cloudwatch": _cloudwatch,
    "ses": _ses,
    "sesv2": _ses,
    "ssm": _ssm,
    "sts": _sts,
    "logs": _logs,
}


@dataclass(frozen=True)
class Fallback:
    """What a caller does when AWS refuses a call it makes: the call it makes instead."""

    operation: str
    params: Callable[[dict[str, Any]], dict[str, Any]]
    why: str


#: Calls the stacks refuse on purpose, whose callers handle AccessDenied by making another call,
#: which must be allowed. moto allows every call, so the recording shows the first call only.
FALLBACKS: dict[tuple[str, str], Fallback] = {
    ("logs", "DescribeLogGroups"): Fallback(
        "CreateLogGroup",
        lambda p: {"logGroupName": p["logGroupNamePrefix"]},
        "watchtower (remote task logs) looks for its group and, refused, creates it instead; the "
        "worker role may not list the account's groups, only create its own, which answers "
        "'already exists' (modules/ecs-executor.ts)",
    ),
}


def fallback_of(call: Call) -> Call | None:
    """The call the caller makes instead when `call` is refused, if it handles that."""
    fallback = FALLBACKS.get((call.service, call.operation))
    if fallback is None:
        return None
    try:
        params = fallback.params(call.params)
    except KeyError:  # not the way this caller makes the call
        return None
    return Call(call.service, fallback.operation, call.region, call.account, params, call.secure)


def iam_requests(call: Call) -> list[IamRequest]:
    """Every IAM request AWS authorizes for this call; none for a call that needs no permission."""
    if (call.service, call.operation) in UNAUTHORIZED_CALLS:
        return []
    resources = RESOURCES.get(call.service)
    if resources is None:
        raise UnmappedCallError(f"no IAM mapping for {call.service} {call.operation} (tools/e2e/runtime/aws_calls.py)")
    secure = {"aws:SecureTransport": "true" if call.secure else "false"}
    return [IamRequest(r.action, r.resource, {**r.context, **secure}) for r in resources(call, action_of(call))]


def role_of(caller_arn: str) -> str:
    """`arn:aws:sts::<account>:assumed-role/<role>/<session>` -> `arn:aws:iam::<account>:role/<role>`."""
    match = re.fullmatch(r"arn:aws:sts::(\d+):assumed-role/([^/]+)/.+", caller_arn)
    if not match:
        raise UnmappedCallError(f"{caller_arn} is not an assumed role: every container call must use a task role")
    return f"arn:aws:iam::{match.group(1)}:role/{match.group(2)}"
