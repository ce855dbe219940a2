"""Recorded AWS calls become the IAM requests AWS authorizes (tools/e2e/runtime/aws_calls.py).

Each case makes a real boto3 call (against moto in-process), records it with the recorder the
containers get, and maps the record: so the recorder keeps every parameter the mapping needs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtime"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtime" / "recorder"))
import aws_call_recorder
from aws_calls import Call, IamRequest, UnmappedCallError, iam_requests, role_of

RUNTIME = Path(__file__).resolve().parents[1] / "runtime"
ACCOUNT = "123456789012"
REGION = "us-east-1"
BUCKET = "alerta-utec-backups"
TLS = {"aws:SecureTransport": "true"}


@pytest.fixture
def calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """A recording boto3 session's calls, against moto in-process; returns a reader of the records."""
    path = tmp_path / "calls.jsonl"
    monkeypatch.setenv(aws_call_recorder.PATH_VARIABLE, str(path))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        yield lambda: [json.loads(line) for line in path.read_text().splitlines()]


def session() -> Any:
    recording = boto3.session.Session(region_name=REGION)
    aws_call_recorder.record_session(recording)
    return recording


def requests_of(record: dict[str, Any]) -> list[IamRequest]:
    return iam_requests(Call.from_record(record, ACCOUNT))


def test_s3_head_object_is_authorized_as_get_object_on_the_object(calls) -> None:
    s3 = session().client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="backups/2024-01-15.json", Body=b"{}")
    s3.head_object(Bucket=BUCKET, Key="backups/2024-01-15.json")
    head = calls()[-1]
    assert requests_of(head) == [IamRequest("s3:GetObject", f"arn:aws:s3:::{BUCKET}/backups/2024-01-15.json", TLS)]


def test_s3_list_objects_v2_is_list_bucket_on_the_bucket_with_its_prefix(calls) -> None:
    s3 = session().client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.list_objects_v2(Bucket=BUCKET, Prefix="backups/")
    assert requests_of(calls()[-1]) == [
        IamRequest("s3:ListBucket", f"arn:aws:s3:::{BUCKET}", {"s3:prefix": "backups/", **TLS})
    ]


def test_cloudwatch_put_metric_data_names_its_namespace_and_no_resource(calls) -> None:
    session().client("cloudwatch").put_metric_data(
        Namespace="AlertaUTEC/Incidents", MetricData=[{"MetricName": "Open", "Value": 3}]
    )
    assert requests_of(calls()[-1]) == [
        IamRequest("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "AlertaUTEC/Incidents", **TLS})
    ]


def test_ses_send_email_is_checked_on_the_sender_and_recipient_identities_with_the_bare_from_address(calls) -> None:
    ses = session().client("ses")
    for address in ("alerts@example.com", "admin@utec.edu.pe"):
        ses.verify_email_identity(EmailAddress=address)
    ses.send_email(
        Source="AlertaUTEC <alerts@example.com>",
        Destination={"ToAddresses": ["admin@utec.edu.pe"]},
        Message={"Subject": {"Data": "report"}, "Body": {"Text": {"Data": "body"}}},
    )
    context = {"ses:FromAddress": "alerts@example.com", "ses:Recipients": ["admin@utec.edu.pe"], **TLS}
    identity = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity"
    assert requests_of(calls()[-1]) == [
        IamRequest("ses:SendEmail", f"{identity}/alerts@example.com", context),
        IamRequest("ses:SendEmail", f"{identity}/admin@utec.edu.pe", context),
    ]


def test_sesv2_send_email_is_the_same_ses_action(calls) -> None:
    sesv2 = session().client("sesv2")
    sesv2.create_email_identity(EmailIdentity="alerts@example.com")
    sesv2.send_email(
        FromEmailAddress="alerts@example.com",
        Destination={"ToAddresses": ["alerts@example.com"]},
        Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}}},
    )
    (request,) = requests_of(calls()[-1])
    assert (request.action, request.resource, request.context["ses:FromAddress"]) == (
        "ses:SendEmail",
        f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/alerts@example.com",
        "alerts@example.com",
    )


def test_dynamodb_query_on_an_index_is_on_the_index_arn_and_a_batch_on_each_table(calls) -> None:
    dynamodb = session().client("dynamodb")
    dynamodb.create_table(
        TableName="Incidents",
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in ("incidentId", "pending")],
        KeySchema=[{"AttributeName": "incidentId", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "classification-pending",
                "KeySchema": [{"AttributeName": "pending", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.query(
        TableName="Incidents",
        IndexName="classification-pending",
        KeyConditionExpression="pending = :p",
        ExpressionAttributeValues={":p": {"S": "PENDING"}},
    )
    dynamodb.batch_get_item(RequestItems={"Incidents": {"Keys": [{"incidentId": {"S": "1"}}]}})
    query, batch = calls()[-2:]
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Incidents"
    assert requests_of(query) == [IamRequest("dynamodb:Query", f"{table}/index/classification-pending", TLS)]
    assert requests_of(batch) == [IamRequest("dynamodb:BatchGetItem", table, TLS)]


def test_sqs_calls_are_on_the_queue_arn_from_its_url_and_a_batch_is_its_single_action(calls) -> None:
    sqs = session().client("sqs")
    url = sqs.create_queue(QueueName="cola-nube")["QueueUrl"]
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "job"}])
    sqs.receive_message(QueueUrl=url)
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:cola-nube"
    create, send, receive = calls()[-3:]
    assert requests_of(create) == [IamRequest("sqs:CreateQueue", queue, TLS)]
    assert requests_of(send) == [IamRequest("sqs:SendMessage", queue, TLS)]
    assert requests_of(receive) == [IamRequest("sqs:ReceiveMessage", queue, TLS)]


def test_ssm_get_parameters_is_one_request_per_parameter_arn(calls) -> None:
    ssm = session().client("ssm")
    for name in ("/proyecto-nube/database-url", "/proyecto-nube/secret-key"):
        ssm.put_parameter(Name=name, Value="s3cr3t-value", Type="SecureString")
    ssm.get_parameters(Names=["/proyecto-nube/database-url", "/proyecto-nube/secret-key"], WithDecryption=True)
    parameter = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/proyecto-nube"
    assert requests_of(calls()[-1]) == [
        IamRequest("ssm:GetParameters", f"{parameter}/database-url", TLS),
        IamRequest("ssm:GetParameters", f"{parameter}/secret-key", TLS),
    ]


def test_the_recorder_keeps_no_value_body_or_secret_key(calls) -> None:
    recording = session()
    recording.client("ssm").put_parameter(Name="/x/password", Value="s3cr3t-value", Type="SecureString")
    recording.client("s3").create_bucket(Bucket=BUCKET)
    recording.client("s3").put_object(Bucket=BUCKET, Key="k", Body=b"s3cr3t-body")
    text = json.dumps(calls())
    # moto's mock_aws signs with FOOBARKEY / FOOBARSECRET.
    assert calls()[0]["access_key"] == "FOOBARKEY"
    for secret in ("s3cr3t-value", "s3cr3t-body", "FOOBARSECRET"):
        assert secret not in text


def test_a_plain_http_endpoint_is_not_secure_transport_but_the_emulator_standing_in_for_aws_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record = {"service": "s3", "operation": "ListBuckets", "region": REGION, "params": {}}
    assert requests_of({**record, "secure": False})[0].context == {"aws:SecureTransport": "false"}
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    assert aws_call_recorder._over_tls("http://127.0.0.1:5000/bucket")
    assert not aws_call_recorder._over_tls("http://elsewhere:80/bucket")


def test_a_service_without_a_mapping_is_refused_not_waved_through() -> None:
    record = {"service": "kinesis", "operation": "PutRecord", "region": REGION, "params": {}}
    with pytest.raises(UnmappedCallError, match="kinesis PutRecord"):
        requests_of(record)


def test_sts_get_caller_identity_needs_no_permission() -> None:
    assert requests_of({"service": "sts", "operation": "GetCallerIdentity", "params": {}}) == []


def test_an_assumed_role_session_is_its_role() -> None:
    assert role_of(f"arn:aws:sts::{ACCOUNT}:assumed-role/proyecto-nube-worker-task/abc") == (
        f"arn:aws:iam::{ACCOUNT}:role/proyecto-nube-worker-task"
    )
    with pytest.raises(UnmappedCallError, match="not an assumed role"):
        role_of(f"arn:aws:iam::{ACCOUNT}:user/admin")


def test_sitecustomize_records_a_process_without_importing_botocore_at_start(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    # The call goes to a closed port: the recorder writes before the request is sent.
    script = "\n".join(
        [
            "import sys",
            "assert 'botocore' not in sys.modules, 'imported at start'",
            "import boto3, botocore.config",
            "retries = botocore.config.Config(retries={'total_max_attempts': 1})",
            "sqs = boto3.client('sqs', region_name='us-east-1', endpoint_url='http://127.0.0.1:9', config=retries)",
            "try:",
            "    sqs.list_queues()",
            "except Exception:",
            "    pass",
        ]
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(RUNTIME / "recorder"),
        aws_call_recorder.PATH_VARIABLE: str(path),
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    subprocess.run([sys.executable, "-c", script], env=env, check=True)
    (record,) = [json.loads(line) for line in path.read_text().splitlines()]
    assert (record["access_key"], record["service"], record["operation"]) == ("AKIDEXAMPLE", "sqs", "ListQueues")


CLUSTER_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/alerta-utec-airflow"


def test_ecs_describe_tasks_is_on_each_task_in_its_cluster(calls) -> None:
    ecs = session().client("ecs")
    ecs.create_cluster(clusterName="alerta-utec-airflow")
    ecs.describe_tasks(cluster="alerta-utec-airflow", tasks=["0f3c", f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/x/9a1b"])
    context = {"ecs:cluster": CLUSTER_ARN, **TLS}
    assert requests_of(calls()[-1]) == [
        IamRequest("ecs:DescribeTasks", f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/alerta-utec-airflow/0f3c", context),
        IamRequest("ecs:DescribeTasks", f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/x/9a1b", context),
    ]


def test_ecs_run_task_is_on_the_revision_ecs_runs_and_passes_its_roles_to_ecs_tasks() -> None:
    from aws_calls import RUN_TASK_ROLES

    recorded = {"cluster": "alerta-utec-airflow", "taskDefinition": "alerta-utec-airflow-worker"}
    with pytest.raises(UnmappedCallError, match="not resolved"):
        iam_requests(Call("ecs", "RunTask", REGION, ACCOUNT, recorded))
    roles = [f"arn:aws:iam::{ACCOUNT}:role/worker-task", f"arn:aws:iam::{ACCOUNT}:role/worker-execution"]
    revision = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/alerta-utec-airflow-worker:3"
    resolved = {**recorded, "taskDefinition": revision, RUN_TASK_ROLES: roles}
    passed = {"iam:PassedToService": "ecs-tasks.amazonaws.com", **TLS}
    assert iam_requests(Call("ecs", "RunTask", REGION, ACCOUNT, resolved)) == [
        IamRequest("ecs:RunTask", revision, {"ecs:cluster": CLUSTER_ARN, **TLS}),
        IamRequest("iam:PassRole", roles[0], passed),
        IamRequest("iam:PassRole", roles[1], passed),
    ]
