"""The evaluation glue (tools/e2e/runtime/iam_evaluation.py) on a moto server: recorded calls under an
assumed role decided by iam-simulate against the role's policy as applied, negative controls denied."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtime"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtime" / "recorder"))
import aws_call_recorder
from iam_evaluation import ADMIN, LAB_ROLE_STAND_IN, NegativeControl, controls_for, evaluate, lab_role_stand_ins

REGION = "us-east-1"
ROLE = "alerta-utec-airflow-scheduler-task"
ROLE_ARN = f"arn:aws:iam::123456789012:role/{ROLE}"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}],
}


def admin(url: str, service: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=url, **ADMIN)


@pytest.fixture
def topic(url: str) -> Iterator[str]:
    """A topic, and ROLE allowed to publish to it only; deleted afterwards."""
    arn = admin(url, "sns").create_topic(Name="alerta-utec-incidents-high")["TopicArn"]
    iam = admin(url, "iam")
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))
    publish = {"Sid": "Publish", "Effect": "Allow", "Action": ["sns:Publish"], "Resource": [arn]}
    policy = {"Version": "2012-10-17", "Statement": [publish]}
    iam.put_role_policy(RoleName=ROLE, PolicyName="policy", PolicyDocument=json.dumps(policy))
    yield arn
    iam.delete_role_policy(RoleName=ROLE, PolicyName="policy")
    iam.delete_role(RoleName=ROLE)
    admin(url, "sns").delete_topic(TopicArn=arn)


def role_session(url: str, calls: Path, monkeypatch: pytest.MonkeyPatch) -> boto3.session.Session:
    """What a container has: the task role's credentials, the recorder on."""
    monkeypatch.setenv(aws_call_recorder.PATH_VARIABLE, str(calls))
    credentials = admin(url, "sts").assume_role(RoleArn=ROLE_ARN, RoleSessionName="task")["Credentials"]
    session = boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )
    aws_call_recorder.record_session(session)
    return session


def publish_as_role(url: str, topic: str, calls: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    role_session(url, calls, monkeypatch).client("sns", endpoint_url=url).publish(TopicArn=topic, Message="incident")


def another_topic(topic: str) -> NegativeControl:
    other = topic.replace("-high", "-other")
    return NegativeControl(ROLE_ARN, "sns", "Publish", {"TopicArn": other}, "a topic not in the policy", REGION)


def test_a_call_the_applied_policy_allows_is_allowed_and_a_negative_control_denied(
    url: str, topic: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = tmp_path / "calls.jsonl"
    publish_as_role(url, topic, calls, monkeypatch)
    result = evaluate(calls, url, [another_topic(topic)], REGION)
    assert (result.allowed, result.denied, result.negatives_denied) == (1, 0, 1)
    assert result.ok
    assert result.summary() == "1 AWS calls allowed, 0 denied, 1 negative controls denied"


def test_removing_the_action_from_the_applied_policy_fails_naming_role_action_and_resource(
    url: str, topic: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = tmp_path / "calls.jsonl"
    publish_as_role(url, topic, calls, monkeypatch)
    nothing = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["sns:ListTopics"], "Resource": "*"}],
    }
    admin(url, "iam").put_role_policy(RoleName=ROLE, PolicyName="policy", PolicyDocument=json.dumps(nothing))
    result = evaluate(calls, url, [another_topic(topic)], REGION)
    assert not result.ok
    assert (result.allowed, result.denied) == (0, 1)
    assert f"{ROLE_ARN}: sns:Publish on {topic}" in result.report()


def test_a_negative_control_the_policy_allows_fails_the_evaluation(
    url: str, topic: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = tmp_path / "calls.jsonl"
    publish_as_role(url, topic, calls, monkeypatch)
    allowed = NegativeControl(ROLE_ARN, "sns", "Publish", {"TopicArn": topic}, "wrongly listed as forbidden", REGION)
    result = evaluate(calls, url, [allowed], REGION)
    assert not result.ok
    assert result.negatives_denied == 0
    assert "negative control allowed" in result.report()


def test_a_call_outside_any_role_session_is_not_evaluable_and_the_harness_own_calls_are_left_out(
    url: str, tmp_path: Path
) -> None:
    calls = tmp_path / "calls.jsonl"
    record = {"service": "sns", "operation": "ListTopics", "region": REGION, "params": {}}
    lines = [{**record, "access_key": "AKIAOTHERUSER"}, {**record, "access_key": ADMIN["aws_access_key_id"]}]
    calls.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = evaluate(calls, url, [], REGION)
    assert (result.denied, result.harness_calls) == (1, 1)
    assert "not an assumed role" in result.report()


AIRFLOW_ENV = {
    "METRICS_NAMESPACE": "AlertaUTEC/Incidents",
    "SES_SENDER_ADDRESS": "alerts@example.com",
    "REPORT_RECIPIENT": "admin@utec.edu.pe",
    "DYNAMODB_TABLE": "Incidents",
    "BACKUP_BUCKET": "logs",
}
VIDEO_ENV = {"SQS_QUEUE_URL": "https://sqs/1/cola-nube", "SQS_QUEUE_NAME": "cola-nube", "AWS_S3_BUCKET": "v"}


def spec(service: str, role: str, env: dict[str, str], execution_role: str = "execution") -> SimpleNamespace:
    """What taskdef.ContainerSpec gives controls_for (the family is the service's name here)."""
    cluster = "alerta-utec-airflow" if service.startswith("alerta-utec") else "proyecto-nube"
    return SimpleNamespace(
        service=service,
        family=service,
        cluster=cluster,
        task_role_arn=role,
        execution_role_arn=execution_role,
        environment=env,
        region=REGION,
    )


def controls_by_role(controls: list[NegativeControl]) -> dict[str, list[str]]:
    return {
        role: sorted(
            f"{c.service}:{c.operation}{'' if c.secure else ' over http'}" for c in controls if c.role_arn == role
        )
        for role in {c.role_arn for c in controls}
    }


def test_negative_controls_follow_each_containers_environment_and_service() -> None:
    controls = controls_for(
        [
            spec("alerta-utec-airflow-scheduler", "scheduler", AIRFLOW_ENV),
            spec("alerta-utec-airflow-webserver", "webserver", AIRFLOW_ENV),
            spec("proyecto-nube-web", "web", VIDEO_ENV),
            spec("proyecto-nube-worker", "worker", VIDEO_ENV),
        ]
    )
    forbidden_to_airflow = [
        "cloudwatch:PutMetricData",
        "dynamodb:DeleteItem",
        "s3:DeleteObject",
        "s3:GetObject over http",
        "ses:SendEmail",
    ]
    assert controls_by_role(controls) == {
        "scheduler": forbidden_to_airflow,
        "webserver": forbidden_to_airflow,
        "web": ["s3:GetObject", "s3:GetObject over http", "sqs:DeleteMessage", "sqs:ListQueues", "sqs:ReceiveMessage"],
        "worker": ["s3:GetObject over http", "s3:PutObject", "sqs:CreateQueue"],
    }
    (metric,) = [c for c in controls if c.role_arn == "scheduler" and c.service == "cloudwatch"]
    assert metric.params["Namespace"] != AIRFLOW_ENV["METRICS_NAMESPACE"]


def test_with_the_ecs_executor_the_scheduler_may_not_start_its_own_family_nor_stop_tasks_elsewhere() -> None:
    executor = "airflow.providers.amazon.aws.executors.ecs.ecs_executor.AwsEcsExecutor"
    scheduler_env = {
        **AIRFLOW_ENV,
        "AIRFLOW__CORE__EXECUTOR": executor,
        "AIRFLOW__AWS_ECS_EXECUTOR__CLUSTER": "alerta-utec-airflow",
    }
    controls = controls_for(
        [
            spec("alerta-utec-airflow-scheduler", "scheduler", scheduler_env),
            # Every component names the executor; only the scheduler carries its settings.
            spec("alerta-utec-airflow-api-server", "api-server", {**AIRFLOW_ENV, "AIRFLOW__CORE__EXECUTOR": executor}),
            spec("proyecto-nube-worker", "worker", VIDEO_ENV),
        ]
    )
    ecs = [(c.role_arn, c.operation, c.params) for c in controls if c.service == "ecs"]
    assert ecs == [
        ("scheduler", "RunTask", {"cluster": "alerta-utec-airflow", "taskDefinition": "alerta-utec-airflow-scheduler"}),
        ("scheduler", "StopTask", {"cluster": "proyecto-nube", "task": "0" * 32}),
    ]


def test_a_borrowed_role_is_modelled_as_allowing_everything_and_only_its_buckets_refuse_plain_http() -> None:
    lab = "arn:aws:iam::123456789012:role/LabRole"
    specs = [
        spec("alerta-utec-airflow-scheduler", lab, AIRFLOW_ENV, execution_role=lab),
        spec("proyecto-nube-web", lab, VIDEO_ENV, execution_role=lab),
    ]
    assert controls_by_role(controls_for(specs)) == {lab: ["s3:GetObject over http", "s3:GetObject over http"]}
    assert lab_role_stand_ins(specs) == {lab: LAB_ROLE_STAND_IN}


def test_under_the_stand_in_a_call_is_allowed_but_a_tls_only_bucket_still_refuses_plain_http(
    url: str, tmp_path: Path
) -> None:
    lab = "arn:aws:iam::123456789012:role/LabRole"
    s3 = admin(url, "s3")
    s3.create_bucket(Bucket="lab-logs")
    tls_only = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::lab-logs", "arn:aws:s3:::lab-logs/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    s3.put_bucket_policy(Bucket="lab-logs", Policy=json.dumps({"Version": "2012-10-17", "Statement": [tls_only]}))
    iam = admin(url, "iam")
    iam.create_role(RoleName="LabRole", AssumeRolePolicyDocument=json.dumps(TRUST))
    credentials = admin(url, "sts").assume_role(RoleArn=lab, RoleSessionName="task")["Credentials"]
    record = {"service": "s3", "operation": "PutObject", "region": REGION, "secure": True}
    record |= {"access_key": credentials["AccessKeyId"], "params": {"Bucket": "lab-logs", "Key": "backups/x"}}
    calls = tmp_path / "calls.jsonl"
    calls.write_text(json.dumps(record) + "\n")
    plain = NegativeControl(lab, "s3", "GetObject", {"Bucket": "lab-logs", "Key": "x"}, "TLS only", REGION, False)
    try:
        assert not evaluate(calls, url, [plain], REGION).ok  # LabRole has no policy in the emulator
        result = evaluate(calls, url, [plain], REGION, stand_ins={lab: LAB_ROLE_STAND_IN})
    finally:
        iam.delete_role(RoleName="LabRole")
    assert result.summary() == "1 AWS calls allowed, 0 denied, 1 negative controls denied"


GROUP = "/ecs/alerta-utec-airflow-worker"


def look_for_log_group_as_role(url: str, calls: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What watchtower does first (remote task logs): DescribeLogGroups by its group's name."""
    logs = role_session(url, calls, monkeypatch).client("logs", endpoint_url=url)
    logs.describe_log_groups(logGroupNamePrefix=GROUP)


@pytest.mark.parametrize("create_allowed", [True, False])
def test_a_refused_call_whose_caller_falls_back_is_handled_only_when_the_fallback_is_allowed(
    url: str, topic: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, create_allowed: bool
) -> None:
    group_arn = f"arn:aws:logs:{REGION}:123456789012:log-group:{GROUP}"
    statement = {"Effect": "Allow", "Action": ["logs:CreateLogGroup"], "Resource": [group_arn]}
    if create_allowed:
        policy = {"Version": "2012-10-17", "Statement": [statement]}
        admin(url, "iam").put_role_policy(RoleName=ROLE, PolicyName="logs", PolicyDocument=json.dumps(policy))
    calls = tmp_path / "calls.jsonl"
    look_for_log_group_as_role(url, calls, monkeypatch)
    try:
        result = evaluate(calls, url, [another_topic(topic)], REGION)
    finally:
        if create_allowed:
            admin(url, "iam").delete_role_policy(RoleName=ROLE, PolicyName="logs")
    if create_allowed:
        assert (result.allowed, result.denied, result.handled) == (0, 0, 1)
        assert "1 refused as their caller expects" in result.summary()
    else:
        assert (result.handled, result.denied) == (0, 1)
        assert f"logs:CreateLogGroup on {group_arn}" in result.report()
        assert "logs:DescribeLogGroups" in result.report()
