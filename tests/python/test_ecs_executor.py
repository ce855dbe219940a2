"""Airflow's ECS executor as the synthesized stack configures it, against moto.

The production config with `airflow.executor` AwsEcsExecutor is synthesized by the app itself;
the executor then runs on exactly the `AIRFLOW__CORE__EXECUTOR`, `AIRFLOW__CORE__PARALLELISM` and
`AIRFLOW__AWS_ECS_EXECUTOR__*` variables of the scheduler's container definition. The only values
replaced are Terraform references (the network stack's subnets and security group), by the ids
moto gives the same resources. A task instance of a real DAG is queued and the RunTask request
the executor sends is checked field by field.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from packaging.version import Version
from synthesized_stack import container_environment, read_stack, synthesize, task_definition

from support import REGION, REPO

airflow = pytest.importorskip("airflow")
pytestmark = pytest.mark.skipif(
    Version(airflow.__version__).major < 3,
    reason="the ECS executor is offered on the Airflow 3 line only (config/validate.ts refuses it on 2.x)",
)

SCHEDULER_FAMILY = "alerta-utec-airflow-scheduler"
EXECUTOR_VARIABLE = re.compile(r"^AIRFLOW__(AWS_ECS_EXECUTOR__\w+|CORE__EXECUTOR|CORE__PARALLELISM)$")
TERRAFORM_REFERENCE = re.compile(r"\$\{|\bjoin\(|\bdata\.|\baws_\w+\.")
JOIN = re.compile(r'^join\(",", \[(?P<refs>[^\]]*)\]\)$')
EXECUTE_WORKLOAD = ["python", "-m", "airflow.sdk.execution_time.execute_workload", "--json-string"]


@pytest.fixture(scope="module")
def production_with_ecs_executor(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    config = json.loads((REPO / "config" / "production.json").read_text())
    config.pop("$schema", None)
    config["airflow"]["executor"] = "AwsEcsExecutor"
    # Not the defaults, so that the test sees the config reach the executor.
    config["airflow"]["ecsExecutor"] = {"worker": {"cpu": 512, "memoryMiB": 1024, "capacityProvider": "FARGATE_SPOT"}}
    config["airflow"]["scheduler"]["parallelism"] = 4
    out = synthesize("production", config, tmp_path_factory.mktemp("ecs-executor"))
    return {"config": config, "airflow": read_stack(out, "airflow")}


@pytest.fixture(scope="module")
def executor_variables(production_with_ecs_executor: dict[str, Any]) -> dict[str, str]:
    """The executor's variables, as the scheduler's task definition carries them."""
    scheduler = task_definition(production_with_ecs_executor["airflow"], SCHEDULER_FAMILY)
    return {k: v for k, v in container_environment(scheduler).items() if EXECUTOR_VARIABLE.match(k)}


def references(value: str) -> list[str]:
    """The Terraform references of a `join(",", [...])` value."""
    match = JOIN.match(value)
    assert match, f"expected a join of references, got {value!r}"
    return [ref.strip() for ref in match.group("refs").split(",")]


@pytest.fixture
def moto_answers_stop_task_like_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """StopTask on an unknown task, as AWS answers it and moto (5.0.28 to 5.2.5) does not.

    AWS returns InvalidParameterException "The referenced task was not found." (the state the
    executor's start-up check counts as healthy); moto raises a bare Exception, an internal error.
    Everything before that answer stays moto's: the cluster must exist under the configured name.
    test_moto_answers_stop_task_like_aws says when this fixture is no longer needed.
    """
    from moto.ecs.exceptions import InvalidParameterException
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend.stop_task

    def stop_task(self: Any, cluster_str: str, task_str: str, reason: str) -> Any:
        cluster = self._get_cluster(cluster_str)
        if not any(arn.endswith(task_str.rsplit("/", maxsplit=1)[-1]) for arn in self.tasks.get(cluster.name, {})):
            raise InvalidParameterException("The referenced task was not found.")
        return original(self, cluster_str, task_str, reason)

    monkeypatch.setattr(EC2ContainerServiceBackend, "stop_task", stop_task)


@pytest.fixture
def ecs_account(
    aws: None,
    monkeypatch: pytest.MonkeyPatch,
    production_with_ecs_executor: dict[str, Any],
    executor_variables: dict[str, str],
) -> dict[str, Any]:
    """moto with the network, cluster and worker task definition the stacks create, and the
    executor's variables in the environment (references replaced by moto's ids)."""
    stack = production_with_ecs_executor["airflow"]
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_refs = references(executor_variables["AIRFLOW__AWS_ECS_EXECUTOR__SUBNETS"])
    group_refs = references(executor_variables["AIRFLOW__AWS_ECS_EXECUTOR__SECURITY_GROUPS"])
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{10 + i}.0/24")["Subnet"]["SubnetId"]
        for i in range(len(subnet_refs))
    ]
    groups = [
        ec2.create_security_group(GroupName=ref.split(".")[-1], Description="workers", VpcId=vpc)["GroupId"]
        for ref in group_refs
    ]

    ecs = boto3.client("ecs", region_name=REGION)
    (providers,) = stack["resource"]["aws_ecs_cluster_capacity_providers"].values()
    ecs.create_cluster(
        clusterName=executor_variables["AIRFLOW__AWS_ECS_EXECUTOR__CLUSTER"],
        capacityProviders=providers["capacity_providers"],
        defaultCapacityProviderStrategy=[
            {"capacityProvider": s["capacity_provider"], "weight": s["weight"], "base": s["base"]}
            for s in providers["default_capacity_provider_strategy"]
        ],
    )
    worker = task_definition(stack, executor_variables["AIRFLOW__AWS_ECS_EXECUTOR__TASK_DEFINITION"])
    ecs.register_task_definition(
        family=worker["family"],
        requiresCompatibilities=worker["requires_compatibilities"],
        networkMode=worker["network_mode"],
        cpu=worker["cpu"],
        memory=worker["memory"],
        containerDefinitions=[
            {"name": c["name"], "image": "alerta-utec-airflow:test", "essential": c["essential"]}
            for c in worker["container_definitions"]
        ],
    )

    resolved = {
        **executor_variables,
        "AIRFLOW__AWS_ECS_EXECUTOR__SUBNETS": ",".join(subnets),
        "AIRFLOW__AWS_ECS_EXECUTOR__SECURITY_GROUPS": ",".join(groups),
    }
    unresolved = {k: v for k, v in resolved.items() if TERRAFORM_REFERENCE.search(v)}
    assert not unresolved, f"Terraform references left in the executor's settings: {unresolved}"
    for name, value in resolved.items():
        monkeypatch.setenv(name, value)
    return {"ecs": ecs, "subnets": subnets, "subnet_refs": subnet_refs, "groups": groups, "group_refs": group_refs}


def new_executor() -> Any:
    from airflow.providers.amazon.aws.executors.ecs.ecs_executor import AwsEcsExecutor

    return AwsEcsExecutor()


def classifier_workload() -> Any:
    """What the scheduler queues for the next run of incident_classifier's one task."""
    import uuid

    from airflow.executors.workloads import BundleInfo, ExecuteTask
    from airflow.executors.workloads.task import TaskInstanceDTO

    ti = TaskInstanceDTO(
        id=uuid.uuid4(),
        dag_version_id=uuid.uuid4(),
        task_id="classify_new_incidents",
        dag_id="incident_classifier",
        run_id="scheduled__2024-01-15T12:00:00+00:00",
        try_number=1,
        pool_slots=1,
        priority_weight=1,
        queue="default",
    )
    return ExecuteTask(
        ti=ti,
        dag_rel_path=Path("incident_classifier.py"),
        token="a-workload-token",  # noqa: S106 - a stand-in for the scheduler's JWT, not a password
        bundle_info=BundleInfo(name="dags-folder"),
        log_path="dag_id=incident_classifier/run_id=scheduled__2024-01-15T12:00:00+00:00/task_id=classify_new_incidents/attempt=1.log",
    )


def test_the_scheduler_carries_the_executor_settings(executor_variables: dict[str, str]) -> None:
    assert executor_variables["AIRFLOW__CORE__EXECUTOR"] == (
        "airflow.providers.amazon.aws.executors.ecs.ecs_executor.AwsEcsExecutor"
    )
    assert "AIRFLOW__AWS_ECS_EXECUTOR__LAUNCH_TYPE" not in executor_variables
    assert executor_variables["AIRFLOW__AWS_ECS_EXECUTOR__CHECK_HEALTH_ON_STARTUP"] == "True"


def test_the_worker_definition_has_the_container_the_executor_overrides(
    production_with_ecs_executor: dict[str, Any], executor_variables: dict[str, str]
) -> None:
    worker = task_definition(
        production_with_ecs_executor["airflow"], executor_variables["AIRFLOW__AWS_ECS_EXECUTOR__TASK_DEFINITION"]
    )
    (container,) = worker["container_definitions"]
    assert container["name"] == executor_variables["AIRFLOW__AWS_ECS_EXECUTOR__CONTAINER_NAME"]
    assert "command" not in container
    assert container["secrets"] == []


@pytest.mark.usefixtures("moto_answers_stop_task_like_aws")
def test_the_start_up_health_check_passes(ecs_account: dict[str, Any]) -> None:
    executor = new_executor()
    stops: list[dict[str, Any]] = []
    executor.ecs.meta.events.register("provide-client-params.ecs.StopTask", lambda params, **_: stops.append(params))
    executor.start()
    assert executor.IS_BOTO_CONNECTION_HEALTHY
    # The check: StopTask of a made-up task in the configured cluster (what the IAM policy allows).
    assert stops == [{"cluster": "alerta-utec-airflow", "task": "a" * 32}]


@pytest.mark.usefixtures("moto_answers_stop_task_like_aws")
def test_the_health_check_fails_on_a_cluster_that_does_not_exist(
    ecs_account: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.providers.common.compat.sdk import AirflowException

    monkeypatch.setenv("AIRFLOW__AWS_ECS_EXECUTOR__CLUSTER", "no-such-cluster")
    with pytest.raises(AirflowException, match="health check has failed"):
        new_executor().start()


@pytest.mark.xfail(strict=True, reason="moto answers StopTask on an unknown task with an internal error")
def test_moto_answers_stop_task_like_aws(ecs_account: dict[str, Any]) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError, match="The referenced task was not found"):
        ecs_account["ecs"].stop_task(cluster="alerta-utec-airflow", task="a" * 32)


@pytest.mark.usefixtures("moto_answers_stop_task_like_aws")
def test_a_queued_task_instance_becomes_one_run_task_of_the_worker(
    ecs_account: dict[str, Any], executor_variables: dict[str, str], production_with_ecs_executor: dict[str, Any]
) -> None:
    executor = new_executor()
    requests: list[dict[str, Any]] = []
    # The request as boto3 sends it, after the executor has built it; moto answers after this.
    executor.ecs.meta.events.register("provide-client-params.ecs.RunTask", lambda params, **_: requests.append(params))
    executor.start()
    workload = classifier_workload()
    executor.queue_workload(workload, session=None)
    executor.heartbeat()

    # moto 5.2.5 cannot start an awsvpc Fargate task (its ENI lacks private_dns_name), so the
    # executor keeps the task queued for a retry; what matters here is what it asked ECS for.
    assert len(requests) >= 1
    request = requests[0]
    airflow_config = production_with_ecs_executor["config"]["airflow"]
    assert executor.parallelism == airflow_config["scheduler"]["parallelism"]
    worker = airflow_config["ecsExecutor"]["worker"]
    assert request["taskDefinition"] == "alerta-utec-airflow-worker"
    assert request["cluster"] == "alerta-utec-airflow"
    assert request["capacityProviderStrategy"] == [{"capacityProvider": worker["capacityProvider"], "weight": 1}]
    assert "launchType" not in request
    assert request["platformVersion"] == production_with_ecs_executor["config"]["fargatePlatformVersion"]
    assert request["count"] == 1
    # Production places its tasks in the private subnets, behind NAT, with no public IP.
    assert all("private" in ref for ref in ecs_account["subnet_refs"])
    assert all("airflow-workers" in ref for ref in ecs_account["group_refs"])
    assert request["networkConfiguration"] == {
        "awsvpcConfiguration": {
            "subnets": ecs_account["subnets"],
            "securityGroups": ecs_account["groups"],
            "assignPublicIp": "DISABLED",
        }
    }
    (override,) = request["overrides"]["containerOverrides"]
    assert override["name"] == "worker"
    assert override["command"][:4] == EXECUTE_WORKLOAD
    sent = json.loads(override["command"][4])
    assert sent["type"] == "ExecuteTask"
    assert (sent["ti"]["dag_id"], sent["ti"]["task_id"]) == ("incident_classifier", "classify_new_incidents")
    assert sent["dag_rel_path"] == "incident_classifier.py"
    assert {"name": "AIRFLOW_IS_EXECUTOR_CONTAINER", "value": "true"} in override["environment"]
    print(
        "RunTask request:",
        json.dumps(
            {
                **request,
                "overrides": {
                    "containerOverrides": [{**override, "command": [*override["command"][:4], "<workload JSON>"]}]
                },
            },
            indent=2,
        ),
    )


def test_the_plain_capacity_provider_variable_would_fail_every_run_task(
    ecs_account: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why the stack passes the strategy in RUN_TASK_KWARGS: the provider hands the plain
    variable to boto3 as a string, which boto3 refuses before anything is sent."""
    from airflow.configuration import conf
    from airflow.providers.amazon.aws.executors.ecs.ecs_executor_config import build_task_kwargs
    from botocore.exceptions import ParamValidationError

    monkeypatch.delenv("AIRFLOW__AWS_ECS_EXECUTOR__RUN_TASK_KWARGS")
    monkeypatch.setenv(
        "AIRFLOW__AWS_ECS_EXECUTOR__CAPACITY_PROVIDER_STRATEGY", '[{"capacityProvider": "FARGATE", "weight": 1}]'
    )
    kwargs = build_task_kwargs(conf)
    assert isinstance(kwargs["capacityProviderStrategy"], str)
    with pytest.raises(ParamValidationError, match="capacityProviderStrategy"):
        ecs_account["ecs"].run_task(**kwargs)
