"""What the emulator holds, by kind, so that `make e2e` can say nothing of ours is left after destroy.

A snapshot taken before an environment's first apply is the baseline (moto's defaults: the default
VPC, its subnets and security group, LabRole); whatever a later snapshot holds beyond it is ours.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: kind -> (service, call, kwargs, how to list the ids in the answer)
Lister = tuple[str, str, dict[str, Any], Callable[[dict[str, Any]], list[str]]]

KINDS: dict[str, Lister] = {
    "vpc": ("ec2", "describe_vpcs", {}, lambda r: [v["VpcId"] for v in r["Vpcs"]]),
    "subnet": ("ec2", "describe_subnets", {}, lambda r: [s["SubnetId"] for s in r["Subnets"]]),
    "security group": ("ec2", "describe_security_groups", {}, lambda r: [g["GroupId"] for g in r["SecurityGroups"]]),
    "route table": ("ec2", "describe_route_tables", {}, lambda r: [t["RouteTableId"] for t in r["RouteTables"]]),
    "internet gateway": (
        "ec2",
        "describe_internet_gateways",
        {},
        lambda r: [g["InternetGatewayId"] for g in r["InternetGateways"]],
    ),
    "nat gateway": (
        "ec2",
        "describe_nat_gateways",
        {},
        lambda r: [g["NatGatewayId"] for g in r["NatGateways"] if g["State"] not in ("deleted", "deleting")],
    ),
    "elastic ip": ("ec2", "describe_addresses", {}, lambda r: [a["AllocationId"] for a in r["Addresses"]]),
    "vpc endpoint": (
        "ec2",
        "describe_vpc_endpoints",
        {},
        lambda r: [e["VpcEndpointId"] for e in r["VpcEndpoints"] if e["State"].lower() not in ("deleted", "deleting")],
    ),
    "network interface": (
        "ec2",
        "describe_network_interfaces",
        {},
        lambda r: [n["NetworkInterfaceId"] for n in r["NetworkInterfaces"]],
    ),
    "flow log": ("ec2", "describe_flow_logs", {}, lambda r: [f["FlowLogId"] for f in r["FlowLogs"]]),
    "s3 bucket": ("s3", "list_buckets", {}, lambda r: [b["Name"] for b in r["Buckets"]]),
    "iam role": ("iam", "list_roles", {}, lambda r: [x["RoleName"] for x in r["Roles"]]),
    "iam policy": ("iam", "list_policies", {"Scope": "Local"}, lambda r: [p["Arn"] for p in r["Policies"]]),
    "rds instance": (
        "rds",
        "describe_db_instances",
        {},
        lambda r: [d["DBInstanceIdentifier"] for d in r["DBInstances"]],
    ),
    "rds subnet group": (
        "rds",
        "describe_db_subnet_groups",
        {},
        lambda r: [g["DBSubnetGroupName"] for g in r["DBSubnetGroups"]],
    ),
    "rds parameter group": (
        "rds",
        "describe_db_parameter_groups",
        {},
        lambda r: [g["DBParameterGroupName"] for g in r["DBParameterGroups"]],
    ),
    "rds snapshot": (
        "rds",
        "describe_db_snapshots",
        {},
        lambda r: [s["DBSnapshotIdentifier"] for s in r["DBSnapshots"]],
    ),
    # DeleteCluster leaves the cluster INACTIVE (AWS: deleted, but still described for a while).
    "ecs cluster": ("ecs", "list_clusters", {}, lambda r: r["clusterArns"]),
    "ecs task definition": ("ecs", "list_task_definitions", {"status": "ACTIVE"}, lambda r: r["taskDefinitionArns"]),
    "ecr repository": ("ecr", "describe_repositories", {}, lambda r: [x["repositoryName"] for x in r["repositories"]]),
    "efs file system": ("efs", "describe_file_systems", {}, lambda r: [f["FileSystemId"] for f in r["FileSystems"]]),
    "efs access point": (
        "efs",
        "describe_access_points",
        {},
        lambda r: [a["AccessPointId"] for a in r["AccessPoints"]],
    ),
    "load balancer": (
        "elbv2",
        "describe_load_balancers",
        {},
        lambda r: [lb["LoadBalancerArn"] for lb in r["LoadBalancers"]],
    ),
    "target group": ("elbv2", "describe_target_groups", {}, lambda r: [t["TargetGroupArn"] for t in r["TargetGroups"]]),
    "log group": ("logs", "describe_log_groups", {}, lambda r: [g["logGroupName"] for g in r["logGroups"]]),
    "alarm": ("cloudwatch", "describe_alarms", {}, lambda r: [a["AlarmName"] for a in r["MetricAlarms"]]),
    "sns topic": ("sns", "list_topics", {}, lambda r: [t["TopicArn"] for t in r["Topics"]]),
    "sns subscription": ("sns", "list_subscriptions", {}, lambda r: [s["SubscriptionArn"] for s in r["Subscriptions"]]),
    "sqs queue": ("sqs", "list_queues", {}, lambda r: r.get("QueueUrls", [])),
    "dynamodb table": ("dynamodb", "list_tables", {}, lambda r: r["TableNames"]),
    "ssm parameter": ("ssm", "describe_parameters", {}, lambda r: [p["Name"] for p in r["Parameters"]]),
    "secret": ("secretsmanager", "list_secrets", {}, lambda r: [s["Name"] for s in r["SecretList"]]),
    "ses identity": ("ses", "list_identities", {}, lambda r: r["Identities"]),
    "cloud map namespace": ("servicediscovery", "list_namespaces", {}, lambda r: [n["Id"] for n in r["Namespaces"]]),
    "cloud map service": ("servicediscovery", "list_services", {}, lambda r: [x["Id"] for x in r["Services"]]),
    "hosted zone": ("route53", "list_hosted_zones", {}, lambda r: [z["Id"] for z in r["HostedZones"]]),
    "scalable target": (
        "application-autoscaling",
        "describe_scalable_targets",
        {"ServiceNamespace": "ecs"},
        lambda r: [t["ResourceId"] for t in r["ScalableTargets"]],
    ),
    "scaling policy": (
        "application-autoscaling",
        "describe_scaling_policies",
        {"ServiceNamespace": "ecs"},
        lambda r: [p["PolicyARN"] for p in r["ScalingPolicies"]],
    ),
}


def snapshot(emulator: Any, region: str) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {}
    for kind, (service, call, kwargs, ids) in KINDS.items():
        client = emulator.client(service, region)
        if client.can_paginate(call):
            pages = client.get_paginator(call).paginate(**kwargs)
            result[kind] = {i for page in pages for i in ids(page)}
        else:
            result[kind] = set(ids(getattr(client, call)(**kwargs)))
    result["ecs cluster"] = _active_clusters(emulator, region, result["ecs cluster"])
    return result


def _active_clusters(emulator: Any, region: str, arns: set[str]) -> set[str]:
    if not arns:
        return arns
    clusters = emulator.client("ecs", region).describe_clusters(clusters=sorted(arns))["clusters"]
    return {c["clusterArn"] for c in clusters if c["status"] != "INACTIVE"}


def difference(before: dict[str, set[str]], after: dict[str, set[str]]) -> dict[str, set[str]]:
    return {kind: after[kind] - before.get(kind, set()) for kind in after if after[kind] - before.get(kind, set())}


def delete_snapshots(emulator: Any, region: str, names: set[str]) -> None:
    rds = emulator.client("rds", region)
    for name in names:
        rds.delete_db_snapshot(DBSnapshotIdentifier=name)
