"""Every recorded AWS call decided against the policies as applied in the emulator, by
@cloud-copilot/iam-simulate (evaluate.ts), and negative controls that must come out denied.

How the runtime stage uses it, per environment:

    calls = work / "aws-calls.jsonl"
    aws_call_recorder.record_session(emulator_session, str(calls))   # the harness as the ECS agent
    env = taskdef.process_env(spec, url, credentials, substitutions, extra_pythonpath=str(RECORDER_DIR))
    env[aws_call_recorder.PATH_VARIABLE] = str(calls)                 # every container process
    ... run the containers, the DAGs, the video contract ...
    result = evaluate(calls, url, controls_for(specs), region, lab_role_stand_ins(specs))
    summary = f"... {result.summary()}"   # "<a> AWS calls allowed, 0 denied, <c> negative controls denied"
    if not result.ok: fail with result.report()   # names role, action and resource of each denial

moto's own IAM enforcement cannot decide (docs/e2e.md), so moto only serves the state: which role
an access key belongs to (sts:GetCallerIdentity with that key), the roles' inline and attached
policies, and the resource policies of buckets, queues and topics. The decision is the evaluator's.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import boto3
import ecs_agent
from aws_calls import RUN_TASK_ROLES, Call, IamRequest, UnmappedCallError, fallback_of, iam_requests, role_of
from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parents[3]
EVALUATOR = Path(__file__).resolve().parent / "evaluate.ts"
TSX = ROOT / "node_modules" / ".bin" / "tsx"
#: Put first on a container's PYTHONPATH, with E2E_AWS_CALLS naming the file: its calls are recorded.
RECORDER_DIR = Path(__file__).resolve().parent / "recorder"
#: The emulator's administrator, who reads the policies (tools/e2e/run.py's credentials).
ADMIN = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
#: Error codes that mean "this resource has no policy" or "there is no such resource".
MISSING = ("NoSuchBucketPolicy", "NoSuchBucket", "NotFound", "AWS.SimpleQueueService.NonExistentQueue")
UNCHECKED_SECRET = "unchecked"  # noqa: S105 - not a secret: moto does not verify signatures


@dataclass(frozen=True)
class NegativeControl:
    """A call a role must not be allowed to make."""

    role_arn: str
    service: str
    operation: str
    params: dict[str, Any]
    why: str
    region: str = "us-east-1"
    #: False: the call over plain HTTP, which every bucket's policy refuses.
    secure: bool = True


@dataclass(frozen=True)
class Finding:
    role_arn: str
    call: str
    action: str
    resource: str
    decision: str

    def __str__(self) -> str:
        return f"{self.role_arn}: {self.action} on {self.resource} ({self.call}): {self.decision}"


@dataclass
class Result:
    allowed: int = 0
    denied: int = 0
    negatives_denied: int = 0
    #: Calls refused on purpose whose caller then made an allowed call instead (aws_calls.FALLBACKS).
    handled: int = 0
    #: Calls the harness made as the emulator's administrator, left out of the evaluation.
    harness_calls: int = 0
    #: Every request of a recorded call that was not allowed (or could not be evaluated).
    denials: list[Finding] = field(default_factory=list)
    #: Negative controls that were allowed: the evaluator or the policies let through what they must not.
    negatives_allowed: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        evaluated = self.allowed > 0 and self.negatives_denied > 0
        return evaluated and self.denied == 0 and not self.denials and not self.negatives_allowed

    def summary(self) -> str:
        handled = f", {self.handled} refused as their caller expects (then allowed another way)" if self.handled else ""
        return (
            f"{self.allowed} AWS calls allowed, {self.denied} denied{handled}, "
            f"{self.negatives_denied} negative controls denied"
        )

    def report(self) -> str:
        lines = [self.summary()]
        lines += [f"  denied: {finding}" for finding in self.denials]
        lines += [f"  negative control allowed: {finding}" for finding in self.negatives_allowed]
        if self.allowed == 0:
            lines.append("  no call was allowed: was the recorder on the containers' PYTHONPATH, E2E_AWS_CALLS set?")
        if self.negatives_denied == 0:
            lines.append("  no negative control was evaluated: the evaluator was never shown to deny")
        return "\n".join(lines)


# -------------------------------------------------------------------------------------------------
# What the emulator holds


class AppliedPolicies:
    """The policies as applied in the emulator, read once each."""

    def __init__(self, emulator_url: str, region: str, stand_ins: Mapping[str, dict[str, Any]] | None = None) -> None:
        self._url, self._region = emulator_url, region
        self._stand_ins = dict(stand_ins or {})
        self.documents: dict[str, Any] = {}

    def _client(self, service: str, **credentials: str) -> Any:
        return boto3.session.Session().client(
            service, region_name=self._region, endpoint_url=self._url, **(credentials or ADMIN)
        )

    @cache  # noqa: B019 - one instance per evaluation
    def caller(self, access_key: str) -> tuple[str, str]:
        """(role ARN, account) of an access key: moto knows which assumed-role session issued it."""
        # moto finds the session by the key id alone; the secret is not checked.
        sts = self._client("sts", aws_access_key_id=access_key, aws_secret_access_key=UNCHECKED_SECRET)
        identity = sts.get_caller_identity()
        return role_of(identity["Arn"]), identity["Account"]

    @cache  # noqa: B019
    def identity_policies(self, role_arn: str) -> tuple[str, ...]:
        """Keys of the role's inline and attached managed policies in `documents`."""
        if role_arn in self._stand_ins:
            key = f"{role_arn}#stand-in"
            self.documents[key] = self._stand_ins[role_arn]
            return (key,)
        iam = self._client("iam")
        name = role_arn.rsplit("/", 1)[1]
        keys = []
        for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            key = f"{role_arn}#inline/{policy_name}"
            self.documents[key] = _document(
                iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            )
            keys.append(key)
        for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            arn = attached["PolicyArn"]
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
            self.documents[arn] = _document(document)
            keys.append(arn)
        return tuple(keys)

    @cache  # noqa: B019
    def resource_policy(self, resource: str) -> str | None:
        """Key of the policy of the bucket, queue or topic `resource` is in, if it has one."""
        document = None
        try:
            if resource.startswith("arn:aws:s3:::"):
                bucket = resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
                document = self._client("s3").get_bucket_policy(Bucket=bucket)["Policy"]
            elif resource.startswith("arn:aws:sqs:"):
                *_, account, name = resource.split(":")
                sqs = self._client("sqs")
                url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
                document = (
                    sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
                    .get("Attributes", {})
                    .get("Policy")
                )
            elif resource.startswith("arn:aws:sns:"):
                document = (
                    self._client("sns").get_topic_attributes(TopicArn=resource).get("Attributes", {}).get("Policy")
                )
        except ClientError as error:
            # No policy, or no such resource (a negative control may name one): the identity decides.
            if error.response["Error"]["Code"] not in MISSING:
                raise
        if not document:
            return None
        key = f"resource-policy:{resource.split('/', 1)[0] if resource.startswith('arn:aws:s3') else resource}"
        self.documents[key] = _document(document)
        return key

    def resolved(self, call: Call) -> Call:
        """A RunTask with the revision ECS runs and the roles it passes (aws_calls.RUN_TASK_ROLES);
        other calls as they are."""
        if (call.service, call.operation) != ("ecs", "RunTask"):
            return call
        definition = self._client("ecs").describe_task_definition(taskDefinition=call.params["taskDefinition"])
        definition = definition["taskDefinition"]
        roles = [definition[key] for key in ("taskRoleArn", "executionRoleArn") if definition.get(key)]
        params = {**call.params, "taskDefinition": definition["taskDefinitionArn"], RUN_TASK_ROLES: roles}
        return dataclasses.replace(call, params=params)


def _document(document: str | dict[str, Any]) -> dict[str, Any]:
    # IAM answers URL-encoded JSON over the query protocol; boto3 decodes it, moto sometimes does not.
    if isinstance(document, dict):
        return document
    return json.loads(unquote(document) if document.startswith("%7B") else document)


# -------------------------------------------------------------------------------------------------
# Evaluation


def read_calls(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _simulate(policies: AppliedPolicies, items: list[tuple[str, str, IamRequest]]) -> list[dict[str, Any]]:
    """Decides (role ARN, account, request) triples in one run of evaluate.ts."""
    if not items:
        return []
    requests = [
        {
            "principal": role_arn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/e2e",
            "action": request.action,
            "resource": request.resource,
            "accountId": account,
            "context": request.context,
            "identityPolicies": list(policies.identity_policies(role_arn)),
            **({"resourcePolicy": key} if (key := policies.resource_policy(request.resource)) else {}),
        }
        for role_arn, account, request in items
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".json") as handle:
        json.dump({"policies": policies.documents, "requests": requests}, handle)
        handle.flush()
        answer = subprocess.run(
            [str(TSX), str(EVALUATOR), handle.name], capture_output=True, text=True, check=False, cwd=ROOT
        )
    if answer.returncode != 0:
        raise RuntimeError(f"evaluate.ts exited {answer.returncode}: {answer.stderr.strip()}")
    decisions = json.loads(answer.stdout)
    if len(decisions) != len(items):
        raise RuntimeError(f"evaluate.ts decided {len(decisions)} of {len(items)} requests")
    return decisions


def _tally(
    result: Result, calls: list[Call], refused: set[int], fallbacks: dict[int, Call], findings: dict[int, list[Finding]]
) -> None:
    """Each recorded call: allowed, refused and handled by its caller's allowed fallback, or denied."""
    for call in calls:
        fallback = fallbacks.get(id(call))
        if id(call) not in refused:
            result.allowed += 1
        elif fallback is not None and id(fallback) not in refused:
            result.handled += 1
        else:
            result.denied += 1
            result.denials += findings[id(call)] + findings.get(id(fallback), [])


def _decision_text(decision: dict[str, Any]) -> str:
    return decision["decision"] + (f" {decision['errors']}" if decision.get("errors") else "")


def evaluate(
    calls_path: Path,
    emulator_url: str,
    negative_controls: Iterable[NegativeControl],
    region: str = "us-east-1",
    stand_ins: Mapping[str, dict[str, Any]] | None = None,
) -> Result:
    """Decides every call recorded in `calls_path` and every negative control; see Result.ok.

    `stand_ins` replaces the identity policies of the roles it names (lab_role_stand_ins)."""
    policies = AppliedPolicies(emulator_url, region, stand_ins)
    result = Result()
    # One list of (call, role, account, request) for the recorded calls and the controls alike, so
    # evaluate.ts starts once. A call is allowed when all its requests are; a control is denied
    # when any of its requests is (AWS then refuses the call).
    items: list[tuple[Call, str, str, IamRequest]] = []
    calls: list[Call] = []
    #: id of a recorded call -> the call its caller makes instead when it is refused (aws_calls.FALLBACKS).
    fallbacks: dict[int, Call] = {}
    for record in read_calls(calls_path):
        if record.get("access_key") == ADMIN["aws_access_key_id"]:
            # The harness's own calls as the emulator's administrator (reading task definitions,
            # assuming roles): no container's and no agent's, so not the stacks' permissions.
            result.harness_calls += 1
            continue
        label = f"{record['service']} {record['operation']}"
        try:
            role_arn, account = policies.caller(record["access_key"])
            call = policies.resolved(Call.from_record(record, account))
            requests = iam_requests(call)
        except UnmappedCallError as error:
            result.denied += 1
            result.denials.append(Finding(record.get("access_key", "?"), label, "?", "?", f"not evaluable: {error}"))
            continue
        calls.append(call)
        items += [(call, role_arn, account, request) for request in requests]
        if fallback := fallback_of(call):
            fallbacks[id(call)] = fallback
            items += [(fallback, role_arn, account, request) for request in iam_requests(fallback)]
    controls = {}
    for control in negative_controls:
        account = control.role_arn.split(":")[4]
        call = Call(control.service, control.operation, control.region, account, control.params, control.secure)
        call = policies.resolved(call)
        controls[id(call)] = control
        items += [(call, control.role_arn, account, request) for request in iam_requests(call)]

    decisions = _simulate(policies, [(role, account, request) for _, role, account, request in items])
    refused: set[int] = set()
    findings: dict[int, list[Finding]] = {}
    for (call, role_arn, _, request), decision in zip(items, decisions, strict=True):
        if decision["decision"] == "Allowed":
            continue
        refused.add(id(call))
        label = f"{call.service} {call.operation}"
        finding = Finding(role_arn, label, request.action, request.resource, _decision_text(decision))
        findings.setdefault(id(call), []).append(finding)
    _tally(result, calls, refused, fallbacks, findings)
    result.negatives_denied = sum(1 for key in controls if key in refused)
    for key, control in controls.items():
        if key not in refused:
            label = f"{control.service} {control.operation}, must be refused: {control.why}"
            result.negatives_allowed.append(Finding(control.role_arn, label, "", json.dumps(control.params), "Allowed"))
    return result


# -------------------------------------------------------------------------------------------------
# The negative controls, from the containers' own environment


Task = tuple[str, Mapping[str, str]]
"""(task role ARN, container environment)."""


def negative_controls(
    airflow_tasks: Iterable[Task] = (),
    video_web_tasks: Iterable[Task] = (),
    video_worker_tasks: Iterable[Task] = (),
    region: str = "us-east-1",
) -> list[NegativeControl]:
    """Calls each task role must be refused, built from its containers' own environment."""
    controls: list[NegativeControl] = []

    def control(role: str, service: str, operation: str, params: dict[str, Any], why: str) -> None:
        controls.append(NegativeControl(role, service, operation, params, why, region))

    for role, env in dict(airflow_tasks).items():
        sender_domain = env["SES_SENDER_ADDRESS"].split("@", 1)[1]
        control(role, "cloudwatch", "PutMetricData", {"Namespace": "Other/Namespace"}, "a metric outside the namespace")
        mail = {"Source": f"intruder@{sender_domain}", "Destination": {"ToAddresses": [env["REPORT_RECIPIENT"]]}}
        control(role, "ses", "SendEmail", mail, "mail from another sender")
        control(role, "dynamodb", "DeleteItem", {"TableName": env["DYNAMODB_TABLE"]}, "deleting an incident")
        backup = {"Bucket": env["BACKUP_BUCKET"], "Key": "backups/x.json"}
        control(role, "s3", "DeleteObject", backup, "deleting a backup")
    for role, env in dict(video_web_tasks).items():
        queue = {"QueueUrl": env["SQS_QUEUE_URL"]}
        control(role, "sqs", "ReceiveMessage", queue, "only the worker consumes jobs")
        control(role, "sqs", "DeleteMessage", queue, "only the worker deletes jobs")
        upload = {"Bucket": env["AWS_S3_BUCKET"], "Key": "uploads/x.mp4"}
        control(role, "s3", "GetObject", upload, "only the worker reads uploads/")
        control(role, "sqs", "ListQueues", {}, "kombu's predefined_queues needs no listing")
    for role, env in dict(video_worker_tasks).items():
        upload = {"Bucket": env["AWS_S3_BUCKET"], "Key": "uploads/x.mp4"}
        control(role, "s3", "PutObject", upload, "only the web service writes uploads/")
        control(role, "sqs", "CreateQueue", {"QueueName": env["SQS_QUEUE_NAME"]}, "the worker never creates queues")
    return controls


#: The video services (stacks/video-pipeline-stack.ts, VIDEO_WEB_FAMILY and VIDEO_WORKER_FAMILY).
VIDEO_WEB_SERVICE = "proyecto-nube-web"
VIDEO_WORKER_SERVICE = "proyecto-nube-worker"


#: AWS Academy's LabRole as the evaluation models it: its policy is Academy's, not in this
#: repository, and grants the lab's services broadly. Modelled as allowing every action, so in
#: learner-lab only the resource policies (the buckets' TLS-only deny) can refuse a call.
LAB_ROLE_STAND_IN = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "AcademyLabRoleStandIn", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def borrowed_roles(specs: Iterable[Any]) -> set[str]:
    """Roles a task uses as execution and task role at once: one borrowed role (iam.mode existing-role)."""
    return {s.task_role_arn for s in specs if s.task_role_arn and s.task_role_arn == s.execution_role_arn}


def lab_role_stand_ins(specs: Iterable[Any]) -> dict[str, dict[str, Any]]:
    return dict.fromkeys(borrowed_roles(specs), LAB_ROLE_STAND_IN)


def controls_for(specs: Iterable[Any]) -> list[NegativeControl]:
    """Negative controls for every container of taskdef.container_specs: the Airflow controls for each
    task role whose containers get the DAGs' environment (METRICS_NAMESPACE), the video ones by
    service; for every role and bucket it names, a plain-HTTP read the bucket's policy refuses. A
    borrowed role (LabRole) gets only the last: it is allowed everything else."""
    specs = list(specs)
    borrowed = borrowed_roles(specs)
    own = [s for s in specs if s.task_role_arn not in borrowed]
    airflow = [(s.task_role_arn, s.environment) for s in own if "METRICS_NAMESPACE" in s.environment]
    web = [(s.task_role_arn, s.environment) for s in own if s.service == VIDEO_WEB_SERVICE]
    worker = [(s.task_role_arn, s.environment) for s in own if s.service == VIDEO_WORKER_SERVICE]
    region = specs[0].region if specs else "us-east-1"
    controls = negative_controls(airflow, web, worker, region)
    buckets = {
        (s.task_role_arn, s.environment[name]) for s in specs for name in BUCKET_VARIABLES if name in s.environment
    }
    for role, bucket in sorted(buckets):
        plain = {"Bucket": bucket, "Key": "e2e/plain-http"}
        controls.append(NegativeControl(role, "s3", "GetObject", plain, "the bucket takes TLS only", region, False))
    return controls + ecs_executor_controls(own, region)


def ecs_executor_controls(specs: list[Any], region: str) -> list[NegativeControl]:
    """Where a scheduler runs the ECS executor: it may start worker tasks only, in its own cluster."""
    controls = []
    for spec in specs:
        if not ecs_agent.runs_ecs_executor(spec.environment):
            continue
        cluster = spec.environment[f"{ecs_agent.SETTINGS}CLUSTER"]
        itself = {"cluster": cluster, "taskDefinition": spec.family}
        controls.append(
            NegativeControl(spec.task_role_arn, "ecs", "RunTask", itself, "it starts worker tasks only", region)
        )
        for other in sorted({s.cluster for s in specs} - {cluster}):
            task = {"cluster": other, "task": "0" * 32}
            controls.append(
                NegativeControl(spec.task_role_arn, "ecs", "StopTask", task, "no task of another cluster", region)
            )
    return controls


#: Container variables that name a bucket (docs/CONTRACTS.md).
BUCKET_VARIABLES = ("BACKUP_BUCKET", "AWS_S3_BUCKET")
