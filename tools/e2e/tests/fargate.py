"""A cluster with the ECS executor's kind of worker task definition (awsvpc, Fargate, memory set on
the task only), for the tests that run its tasks against moto."""

from __future__ import annotations

from typing import Any

CLUSTER = "alerta-utec-airflow"
FAMILY = "alerta-utec-airflow-worker"


def worker_cluster(ec2: Any, ecs: Any) -> dict[str, Any]:
    """The cluster and the worker task definition; returns RunTask's network configuration."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    ecs.create_cluster(clusterName=CLUSTER, capacityProviders=["FARGATE"])
    ecs.register_task_definition(
        family=FAMILY,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="512",
        memory="1024",
        containerDefinitions=[{"name": "worker", "image": "airflow:test", "essential": True}],
    )
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="workers", Description="workers", VpcId=vpc)["GroupId"]
    return {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}}


def run_worker(ecs: Any, network: dict[str, Any]) -> dict[str, Any]:
    """One worker task, as the executor starts it (the capacity provider strategy, no launch type)."""
    (task,) = ecs.run_task(
        cluster=CLUSTER,
        taskDefinition=FAMILY,
        capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}],
        networkConfiguration=network,
    )["tasks"]
    return task
