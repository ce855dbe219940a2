"""Each moto gap of tools/e2e/moto_gaps.py, shown on unpatched moto and closed by its workaround.

`test_gap_N_in_moto` fails once moto fixes gap N: then delete the workaround and the test.
Run with `make e2e-test` (the pinned moto of requirements/e2e.txt).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import fargate
import moto_gaps

REGION = "us-east-1"
TLS_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "TlsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::state-bucket", "arn:aws:s3:::state-bucket/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}


@pytest.fixture
def aws(url: str, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    requests.post(f"{url}/moto-api/reset", timeout=10)
    return lambda service: boto3.client(service, region_name=REGION, endpoint_url=url)


def patched(number: int) -> Iterator[None]:
    gap = next(g for g in moto_gaps.GAPS if g.number == number)
    patch = moto_gaps.apply((gap,))
    try:
        yield
    finally:
        patch.undo()


@pytest.fixture
def workaround(request: pytest.FixtureRequest) -> Iterator[None]:
    yield from patched(request.param)


def with_workaround(number: int) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("workaround", [number], indirect=True)


def test_every_gap_is_numbered_once_and_explained() -> None:
    assert [g.number for g in moto_gaps.GAPS] == list(range(1, len(moto_gaps.GAPS) + 1))
    assert all(g.title and g.moto and g.aws for g in moto_gaps.GAPS)


def test_undo_restores_moto() -> None:
    from moto.iam.access_control import IAMPolicyStatement

    original = IAMPolicyStatement.is_action_permitted
    moto_gaps.apply().undo()
    assert IAMPolicyStatement.is_action_permitted is original


# 1 Application Auto Scaling tagging ----------------------------------------------------------------
def register_target(aws: Callable[[str], Any]) -> str:
    ecs = aws("ecs")
    ecs.create_cluster(clusterName="c")
    ecs.register_task_definition(family="t", containerDefinitions=[{"name": "x", "image": "i", "memory": 512}])
    ecs.create_service(cluster="c", serviceName="s", taskDefinition="t", desiredCount=1)
    return aws("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/c/s",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=2,
        Tags={"project": "alerta-utec"},
    )["ScalableTargetARN"]


def test_gap_1_in_moto(aws: Callable[[str], Any]) -> None:
    arn = register_target(aws)
    with pytest.raises(ClientError):
        aws("application-autoscaling").list_tags_for_resource(ResourceARN=arn)


@with_workaround(1)
def test_gap_1_workaround(aws: Callable[[str], Any], workaround: None) -> None:
    client = aws("application-autoscaling")
    arn = register_target(aws)
    client.tag_resource(ResourceARN=arn, Tags={"extra": "1"})
    client.untag_resource(ResourceARN=arn, TagKeys=["extra"])
    assert client.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"project": "alerta-utec"}


# 2 Bucket-policy conditions -----------------------------------------------------------------------
def put_with_tls_only_policy(aws: Callable[[str], Any]) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="state-bucket")
    s3.put_bucket_policy(Bucket="state-bucket", Policy=json.dumps(TLS_ONLY))
    s3.put_object(Bucket="state-bucket", Key="hackathon/network.tfstate", Body=b"{}")


def test_gap_2_in_moto(aws: Callable[[str], Any]) -> None:
    with pytest.raises(ClientError, match=r"AccessDenied|403"):
        put_with_tls_only_policy(aws)


@with_workaround(2)
def test_gap_2_workaround(aws: Callable[[str], Any], workaround: None) -> None:
    put_with_tls_only_policy(aws)
    assert aws("s3").get_object(Bucket="state-bucket", Key="hackathon/network.tfstate")["Body"].read() == b"{}"


@with_workaround(2)
def test_gap_2_workaround_keeps_unconditional_denies(aws: Callable[[str], Any], workaround: None) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="state-bucket")
    deny = {**TLS_ONLY["Statement"][0]}
    del deny["Condition"]
    s3.put_bucket_policy(Bucket="state-bucket", Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]}))
    with pytest.raises(ClientError, match=r"AccessDenied|403"):
        s3.put_object(Bucket="state-bucket", Key="k", Body=b"x")


# 3 RDS DbiResourceId -------------------------------------------------------------------------------
def two_databases(aws: Callable[[str], Any]) -> set[str]:
    rds = aws("rds")
    for name in ("airflow", "video"):
        rds.create_db_instance(
            DBInstanceIdentifier=name,
            Engine="postgres",
            DBInstanceClass="db.t3.micro",
            AllocatedStorage=20,
            MasterUsername="u",
            MasterUserPassword="password1",
        )
    return {d["DbiResourceId"] for d in rds.describe_db_instances()["DBInstances"]}


def test_gap_3_in_moto(aws: Callable[[str], Any]) -> None:
    assert len(two_databases(aws)) == 1


@with_workaround(3)
def test_gap_3_workaround(aws: Callable[[str], Any], workaround: None) -> None:
    assert len(two_databases(aws)) == 2


# 4 and 8 SQS redrive attributes ---------------------------------------------------------------------
def queue_attributes(aws: Callable[[str], Any]) -> dict[str, str]:
    sqs = aws("sqs")
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(QueueName="q")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(
        QueueUrl=queue, Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})}
    )
    allow = json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [queue_arn]}, separators=(",", ":"))
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": allow})
    return {
        "dlq": sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["All"])["Attributes"].get("RedriveAllowPolicy"),
        "queue": sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]["RedrivePolicy"],
        "allow": allow,
    }


def test_gap_4_in_moto(aws: Callable[[str], Any]) -> None:
    assert queue_attributes(aws)["dlq"] is None
    sqs = aws("sqs")
    with pytest.raises(ClientError, match="InvalidAttributeName"):
        sqs.get_queue_attributes(
            QueueUrl=sqs.get_queue_url(QueueName="dlq")["QueueUrl"], AttributeNames=["RedriveAllowPolicy"]
        )


@with_workaround(4)
def test_gap_4_workaround(aws: Callable[[str], Any], workaround: None) -> None:
    attributes = queue_attributes(aws)
    assert attributes["dlq"] == attributes["allow"]
    sqs = aws("sqs")
    url = sqs.get_queue_url(QueueName="dlq")["QueueUrl"]
    by_name = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedriveAllowPolicy"])["Attributes"]
    assert by_name == {"RedriveAllowPolicy": attributes["allow"]}


def test_gap_8_in_moto(aws: Callable[[str], Any]) -> None:
    assert ", " in queue_attributes(aws)["queue"]


@with_workaround(8)
def test_gap_8_workaround(aws: Callable[[str], Any], workaround: None) -> None:
    policy = queue_attributes(aws)["queue"]
    assert policy == json.dumps(json.loads(policy), separators=(",", ":"))


# 5 EFS DeleteFileSystemPolicy ---------------------------------------------------------------------
def delete_policy(aws: Callable[[str], Any]) -> Any:
    efs = aws("efs")
    fs = efs.create_file_system(CreationToken="t")["FileSystemId"]
    efs.put_file_system_policy(FileSystemId=fs, Policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
    efs.delete_file_system_policy(FileSystemId=fs)
    return efs, fs


def test_gap_5_in_moto(aws: Callable[[str], Any]) -> None:
    with pytest.raises(ClientError):
        delete_policy(aws)


@with_workaround(5)
def test_gap_5_workaround(aws: Callable[[str], Any], workaround: None) -> None:
    efs, fs = delete_policy(aws)
    with pytest.raises(ClientError, match="PolicyNotFound"):
        efs.describe_file_system_policy(FileSystemId=fs)


# 6 S3 CreateBucket tags ---------------------------------------------------------------------------
def bucket_tags(aws: Callable[[str], Any]) -> list[dict[str, str]]:
    s3 = aws("s3")
    s3.create_bucket(Bucket="tagged", CreateBucketConfiguration={"Tags": [{"Key": "project", "Value": "alerta-utec"}]})
    return s3.get_bucket_tagging(Bucket="tagged")["TagSet"]


def test_gap_6_in_moto(aws: Callable[[str], Any]) -> None:
    with pytest.raises(ClientError, match="NoSuchTagSet"):
        bucket_tags(aws)


@with_workaround(6)
def test_gap_6_workaround(aws: Callable[[str], Any], workaround: None) -> None:
    assert bucket_tags(aws) == [{"Key": "project", "Value": "alerta-utec"}]


# 7 CloudWatch over Smithy RPC v2 CBOR --------------------------------------------------------------
def cbor_call(url: str, operation: str, params: dict[str, Any]) -> tuple[int, Any]:
    """One CloudWatch call the way the provider's Go SDK sends it (boto3 prefers AWS JSON)."""
    import cbor2
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(
        method="POST",
        url=f"{url}{moto_gaps.CBOR_PREFIX}{operation}",
        data=cbor2.dumps(params),
        headers={"Content-Type": "application/cbor", "Accept": "application/cbor", "Smithy-Protocol": "rpc-v2-cbor"},
    )
    SigV4Auth(Credentials("testing", "testing"), "monitoring", REGION).add_auth(request)
    answer = requests.post(request.url, data=request.body, headers=dict(request.headers), timeout=10)
    is_cbor = answer.headers.get("Content-Type") == "application/cbor"
    return answer.status_code, cbor2.loads(answer.content) if is_cbor and answer.content else None


ALARM = {
    "AlarmName": "a",
    "Namespace": "AWS/ECS",
    "MetricName": "CPUUtilization",
    "Statistic": "Average",
    "Period": 60,
    "EvaluationPeriods": 1,
    "Threshold": 80.0,
    "ComparisonOperator": "GreaterThanThreshold",
    "Tags": [{"Key": "k", "Value": "v"}],
}


def test_gap_7_in_moto(url: str, aws: Callable[[str], Any]) -> None:
    assert cbor_call(url, "PutMetricAlarm", ALARM)[0] == 404


@with_workaround(7)
def test_gap_7_workaround(url: str, aws: Callable[[str], Any], workaround: None) -> None:
    assert cbor_call(url, "PutMetricAlarm", ALARM)[0] == 200
    status, answer = cbor_call(url, "DescribeAlarms", {"AlarmNames": ["a"]})
    (alarm,) = answer["MetricAlarms"]
    assert status == 200
    assert alarm["AlarmName"] == "a"
    assert isinstance(alarm["StateUpdatedTimestamp"], datetime)  # CBOR tag 1, as the SDK expects
    status, answer = cbor_call(url, "ListTagsForResource", {"ResourceARN": alarm["AlarmArn"]})
    assert answer["Tags"] == [{"Key": "k", "Value": "v"}]
    status, answer = cbor_call(url, "SetAlarmState", {"AlarmName": "nope", "StateValue": "OK", "StateReason": "r"})
    assert status == 404
    assert answer["__type"] == "ResourceNotFound", answer
    assert cbor_call(url, "DeleteAlarms", {"AlarmNames": ["a"]})[0] == 200
    assert aws("cloudwatch").describe_alarms()["MetricAlarms"] == []


# 9 ECS CreateService fields -----------------------------------------------------------------------
def created_service(aws: Callable[[str], Any]) -> dict[str, Any]:
    ecs = aws("ecs")
    ecs.create_cluster(clusterName="c")
    ecs.register_task_definition(family="t", containerDefinitions=[{"name": "x", "image": "i", "memory": 512}])
    ecs.create_service(
        cluster="c",
        serviceName="s",
        taskDefinition="t",
        desiredCount=1,
        capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}],
        enableECSManagedTags=True,
        healthCheckGracePeriodSeconds=120,
    )
    return ecs.describe_services(cluster="c", services=["s"])["services"][0]


def test_gap_9_in_moto(aws: Callable[[str], Any]) -> None:
    service = created_service(aws)
    assert "capacityProviderStrategy" not in service
    assert "healthCheckGracePeriodSeconds" not in service


@with_workaround(9)
def test_gap_9_workaround(aws: Callable[[str], Any], workaround: None) -> None:
    service = created_service(aws)
    assert service["capacityProviderStrategy"] == [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]
    assert service["enableECSManagedTags"] is True
    assert service["healthCheckGracePeriodSeconds"] == 120


# 10 RDS parameter Source --------------------------------------------------------------------------
def parameters(aws: Callable[[str], Any]) -> list[dict[str, Any]]:
    rds = aws("rds")
    rds.create_db_parameter_group(DBParameterGroupName="pg", DBParameterGroupFamily="postgres15", Description="d")
    rds.modify_db_parameter_group(
        DBParameterGroupName="pg",
        Parameters=[{"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "pending-reboot"}],
    )
    return rds.describe_db_parameters(DBParameterGroupName="pg")["Parameters"]


def test_gap_10_in_moto(aws: Callable[[str], Any]) -> None:
    assert "Source" not in parameters(aws)[0]


@with_workaround(10)
def test_gap_10_workaround(aws: Callable[[str], Any], workaround: None) -> None:
    assert parameters(aws)[0]["Source"] == "user"


# 11 Security-group rule description ---------------------------------------------------------------
def group_rule(aws: Callable[[str], Any]) -> dict[str, Any]:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    alb = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
    tasks = ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=tasks,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 8080,
                "ToPort": 8080,
                "UserIdGroupPairs": [{"GroupId": alb, "Description": "alb->tasks:8080"}],
            }
        ],
    )
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [tasks]}])["SecurityGroupRules"]
    return next(r for r in rules if not r["IsEgress"])


def test_gap_11_in_moto(aws: Callable[[str], Any]) -> None:
    assert "Description" not in group_rule(aws) or not group_rule(aws)["Description"]


@with_workaround(11)
def test_gap_11_workaround(aws: Callable[[str], Any], workaround: None) -> None:
    assert group_rule(aws)["Description"] == "alb->tasks:8080"


# 12 S3 delete markers in DeleteObjects ------------------------------------------------------------
def empty_versioned_bucket(aws: Callable[[str], Any]) -> Any:
    """What force_destroy does to the state bucket after the S3 backend's lock file came and went."""
    s3 = aws("s3")
    s3.create_bucket(Bucket="state-bucket")
    s3.put_bucket_versioning(Bucket="state-bucket", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="state-bucket", Key="hackathon/network.tfstate.tflock", Body=b"{}")
    s3.delete_object(Bucket="state-bucket", Key="hackathon/network.tfstate.tflock")
    # Destroying aws_s3_bucket_versioning (before its bucket) suspends versioning.
    s3.put_bucket_versioning(Bucket="state-bucket", VersioningConfiguration={"Status": "Suspended"})
    listing = s3.list_object_versions(Bucket="state-bucket")
    objects = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in listing.get("Versions", [])]
    objects += [{"Key": m["Key"], "VersionId": m["VersionId"]} for m in listing.get("DeleteMarkers", [])]
    s3.delete_objects(Bucket="state-bucket", Delete={"Objects": objects})
    return s3


def test_gap_12_in_moto(aws: Callable[[str], Any]) -> None:
    with pytest.raises(ClientError, match="500"):
        empty_versioned_bucket(aws)


@with_workaround(12)
def test_gap_12_workaround(aws: Callable[[str], Any], workaround: None) -> None:
    s3 = empty_versioned_bucket(aws)
    assert "Versions" not in s3.list_object_versions(Bucket="state-bucket")
    s3.delete_bucket(Bucket="state-bucket")


# 13 NAT gateway network interface -----------------------------------------------------------------
def interfaces_after_nat_gateway(aws: Callable[[str], Any]) -> list[dict[str, Any]]:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    ec2.delete_nat_gateway(NatGatewayId=nat)
    ec2.release_address(AllocationId=allocation)
    return ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])["NetworkInterfaces"]


def test_gap_13_in_moto(aws: Callable[[str], Any]) -> None:
    assert len(interfaces_after_nat_gateway(aws)) == 1


@with_workaround(13)
def test_gap_13_workaround(aws: Callable[[str], Any], workaround: None) -> None:
    assert interfaces_after_nat_gateway(aws) == []


# 14 RDS Performance Insights ----------------------------------------------------------------------
def insights(aws: Callable[[str], Any]) -> dict[str, Any]:
    rds = aws("rds")
    rds.create_db_instance(
        DBInstanceIdentifier="airflow",
        Engine="postgres",
        DBInstanceClass="db.t3.small",
        AllocatedStorage=20,
        MasterUsername="u",
        MasterUserPassword="password1",
        EnablePerformanceInsights=True,
        PerformanceInsightsRetentionPeriod=7,
    )
    return rds.describe_db_instances(DBInstanceIdentifier="airflow")["DBInstances"][0]


def test_gap_14_in_moto(aws: Callable[[str], Any]) -> None:
    assert not insights(aws).get("PerformanceInsightsEnabled")


@with_workaround(14)
def test_gap_14_workaround(aws: Callable[[str], Any], workaround: None) -> None:
    database = insights(aws)
    assert database["PerformanceInsightsEnabled"] is True
    assert database["PerformanceInsightsRetentionPeriod"] == 7


# 15 Cloud Map service read-back ------------------------------------------------------------------
def cloud_map_service(aws: Callable[[str], Any]) -> dict[str, Any]:
    ec2, discovery = aws("ec2"), aws("servicediscovery")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    discovery.create_private_dns_namespace(Name="alerta-utec.internal", Vpc=vpc)
    namespace = discovery.list_namespaces()["Namespaces"][0]["Id"]
    service = discovery.create_service(
        Name="api-server",
        DnsConfig={"NamespaceId": namespace, "RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 10}]},
        HealthCheckCustomConfig={},
    )["Service"]
    return {"namespace": namespace, **discovery.get_service(Id=service["Id"])["Service"]}


def test_gap_15_in_moto(aws: Callable[[str], Any]) -> None:
    service = cloud_map_service(aws)
    assert service.get("NamespaceId") is None
    assert service.get("Type") is None


@with_workaround(15)
def test_gap_15_workaround(aws: Callable[[str], Any], workaround: None) -> None:
    service = cloud_map_service(aws)
    assert service["NamespaceId"] == service["namespace"]
    assert service["Type"] == "DNS_HTTP"
    assert service["HealthCheckCustomConfig"] == {"FailureThreshold": 1}


# 16 Cloud Map namespace hosted zone ---------------------------------------------------------------
def zones_left_after_deleting_a_namespace(aws: Callable[[str], Any]) -> list[str]:
    ec2, discovery, route53 = aws("ec2"), aws("servicediscovery"), aws("route53")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    discovery.create_private_dns_namespace(Name="alerta-utec.internal", Vpc=vpc)
    namespace = discovery.list_namespaces()["Namespaces"][0]
    assert namespace["Properties"]["DnsProperties"]["HostedZoneId"]
    discovery.delete_namespace(Id=namespace["Id"])
    return [zone["Id"] for zone in route53.list_hosted_zones()["HostedZones"]]


def test_gap_16_in_moto(aws: Callable[[str], Any]) -> None:
    assert len(zones_left_after_deleting_a_namespace(aws)) == 1


@with_workaround(16)
def test_gap_16_workaround(aws: Callable[[str], Any], workaround: None) -> None:
    assert zones_left_after_deleting_a_namespace(aws) == []


# 17 ECS StopTask of an unknown task, 18 ECS task startedAt ----------------------------------------
def fargate_cluster(aws: Callable[[str], Any]) -> tuple[Any, dict[str, Any]]:
    """The ECS client and RunTask's network configuration for the worker family (fargate.py)."""
    return aws("ecs"), fargate.worker_cluster(aws("ec2"), aws("ecs"))


def stop_unknown_task(aws: Callable[[str], Any]) -> ClientError:
    ecs, _ = fargate_cluster(aws)
    with pytest.raises(ClientError) as raised:
        ecs.stop_task(cluster=fargate.CLUSTER, task="a" * 32)
    return raised.value


def test_gap_17_in_moto(aws: Callable[[str], Any]) -> None:
    assert stop_unknown_task(aws).response["Error"]["Code"] != "InvalidParameterException"


@with_workaround(17)
def test_gap_17_workaround(aws: Callable[[str], Any], workaround: None) -> None:
    error = stop_unknown_task(aws).response["Error"]
    assert error["Code"] == "InvalidParameterException"
    assert "task was not found" in error["Message"]


def started_worker(aws: Callable[[str], Any]) -> tuple[Any, dict[str, Any]]:
    """A running worker task (gap 19's workaround for RunTask itself, then undone)."""
    patch = moto_gaps.apply(tuple(g for g in moto_gaps.GAPS if g.number == 19))
    try:
        ecs, network = fargate_cluster(aws)
        return ecs, fargate.run_worker(ecs, network)
    finally:
        patch.undo()


def run_and_stop(aws: Callable[[str], Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    ecs, task = started_worker(aws)
    return task, ecs.stop_task(cluster=fargate.CLUSTER, task=task["taskArn"], reason="done")["task"]


def test_gap_18_in_moto(aws: Callable[[str], Any]) -> None:
    started, stopped = run_and_stop(aws)
    assert started["lastStatus"] == "RUNNING"
    assert "startedAt" not in started
    assert "stoppedAt" not in stopped


@with_workaround(18)
def test_gap_18_workaround(aws: Callable[[str], Any], workaround: None) -> None:
    started, stopped = run_and_stop(aws)
    assert started["startedAt"] <= stopped["stoppedAt"]


# 19 ECS RunTask with task-level memory only -------------------------------------------------------
def test_gap_19_in_moto(aws: Callable[[str], Any]) -> None:
    with pytest.raises(ClientError, match="500"):
        fargate.run_worker(*fargate_cluster(aws))


@with_workaround(19)
def test_gap_19_workaround(aws: Callable[[str], Any], workaround: None) -> None:
    assert fargate.run_worker(*fargate_cluster(aws))["lastStatus"] == "RUNNING"


# 20 ECS stopped task's network interface ----------------------------------------------------------
def interfaces_after_a_task_stops(aws: Callable[[str], Any]) -> list[str]:
    ecs, task = started_worker(aws)
    assert len(aws("ec2").describe_network_interfaces()["NetworkInterfaces"]) == 1
    ecs.stop_task(cluster=fargate.CLUSTER, task=task["taskArn"], reason="done")
    return [eni["NetworkInterfaceId"] for eni in aws("ec2").describe_network_interfaces()["NetworkInterfaces"]]


def test_gap_20_in_moto(aws: Callable[[str], Any]) -> None:
    assert len(interfaces_after_a_task_stops(aws)) == 1


@with_workaround(20)
def test_gap_20_workaround(aws: Callable[[str], Any], workaround: None) -> None:
    assert interfaces_after_a_task_stops(aws) == []
