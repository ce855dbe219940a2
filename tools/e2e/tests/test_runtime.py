"""The runtime stage's own logic (tools/e2e/runtime/): task definitions read back as the ECS agent
reads them, the environment a process gets, and what makes a service count as failed."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtime"))
import airflow
import processes
import stage
import taskdef

REGION = "us-east-1"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ecs-tasks.amazonaws.com"}}],
}


class Clients:
    """boto3 clients of the in-process moto; remembers which access key signed each SSM client."""

    def __init__(self) -> None:
        self.ssm_keys: list[str] = []

    def client(self, service: str, region: str, credentials: dict[str, str] | None = None) -> Any:
        keys = {}
        if credentials:
            keys = {
                "aws_access_key_id": credentials["AWS_ACCESS_KEY_ID"],
                "aws_secret_access_key": credentials["AWS_SECRET_ACCESS_KEY"],
                "aws_session_token": credentials["AWS_SESSION_TOKEN"],
            }
        if service == "ssm":
            self.ssm_keys.append(keys.get("aws_access_key_id", "admin"))
        return boto3.client(service, region_name=region, **keys)


@pytest.fixture
def service() -> Iterator[dict[str, str]]:
    """A service whose container takes one secret from SSM, as the airflow stack writes them."""
    with mock_aws():
        iam = boto3.client("iam", region_name=REGION)
        roles = {
            name: iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
            for name in ("execution", "task")
        }
        parameter = boto3.client("ssm", region_name=REGION)
        parameter.put_parameter(Name="/app/db-url", Value="postgresql://u:p@db.example:5432/app", Type="SecureString")
        arn = parameter.get_parameter(Name="/app/db-url")["Parameter"]["ARN"]
        ecs = boto3.client("ecs", region_name=REGION)
        ecs.create_cluster(clusterName="app")
        definition = ecs.register_task_definition(
            family="app-web",
            executionRoleArn=roles["execution"],
            taskRoleArn=roles["task"],
            containerDefinitions=[
                {
                    "name": "web",
                    "image": "example/web:1",
                    "memory": 512,
                    "command": ["webserver"],
                    "environment": [{"name": "MODE", "value": "web"}],
                    "secrets": [{"name": "DB_URL", "valueFrom": arn}],
                    "portMappings": [{"containerPort": 8080}],
                    "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"]},
                }
            ],
        )["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(cluster="app", serviceName="app-web", taskDefinition=definition, desiredCount=1)
        yield {"parameter": arn, **roles}


def test_container_specs_resolve_secrets_with_the_execution_role(service: dict[str, str]) -> None:
    clients = Clients()
    [spec] = taskdef.container_specs(clients, REGION, "app")
    assert spec.secrets == {"DB_URL": "postgresql://u:p@db.example:5432/app"}
    assert spec.secret_sources == {"DB_URL": service["parameter"]}
    assert (spec.execution_role_arn, spec.task_role_arn) == (service["execution"], service["task"])
    assert spec.command == ("webserver",)
    assert spec.container_ports == (8080,)
    assert spec.health_check is not None
    assert spec.health_check.command.startswith("curl -f")
    # Signed by temporary credentials (the agent's session), never by the administrator's.
    assert clients.ssm_keys
    assert all(key != "admin" for key in clients.ssm_keys)


def test_a_missing_parameter_names_it(service: dict[str, str]) -> None:
    boto3.client("ssm", region_name=REGION).delete_parameter(Name="/app/db-url")
    with pytest.raises(taskdef.TaskDefinitionError, match="no such parameter"):
        taskdef.container_specs(Clients(), REGION, "app")


def test_process_env_substitutes_and_keeps_our_credentials_out(service: dict[str, str]) -> None:
    [spec] = taskdef.container_specs(Clients(), REGION, "app")
    database = taskdef.Substitution("db.example:5432", "127.0.0.1:6000", "RDS -> loopback")
    task = {"AWS_ACCESS_KEY_ID": "ASIATASK", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"}
    env = taskdef.process_env(spec, "http://127.0.0.1:5000", task, [database], "/recorder", base={"PATH": "/bin"})
    assert env["DB_URL"] == "postgresql://u:p@127.0.0.1:6000/app"
    assert env["MODE"] == "web"
    assert env["AWS_ACCESS_KEY_ID"] == "ASIATASK"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5000"
    assert env["PYTHONPATH"] == "/recorder"


@pytest.mark.parametrize(
    ("status", "matcher", "expected"),
    [(200, "200", True), (302, "200", False), (302, "200,302", True), (204, "200-299", True), (404, "200-399", False)],
)
def test_target_group_matcher(status: int, matcher: str, expected: bool) -> None:
    assert stage.matches(status, matcher) is expected


def test_failed_attempts_count_every_try_that_did_not_succeed() -> None:
    instances = [
        {"state": "success", "try_number": 1},
        {"state": "success", "try_number": 2},  # one retry: the cold-start symptom
        {"state": "up_for_retry", "try_number": 1},
        {"state": "failed", "try_number": 2},
    ]
    assert airflow.failed_attempts(instances) == 4
    assert airflow.failed_attempts([{"state": "success", "try_number": 1}]) == 0


def test_image_environment_is_the_dockerfiles() -> None:
    env = airflow.image_environment("3.3")
    assert env["AIRFLOW_LINE"] == "3.3"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"


def test_a_service_that_exits_is_named_with_its_log(tmp_path: Path) -> None:
    process = processes.Process("web", ["sh", "-c", "echo cannot bind; exit 3"], {}, tmp_path, tmp_path / "web.log")
    process.start()
    with pytest.raises(processes.ServiceError, match=r"(?s)web exited 3.*cannot bind"):
        processes.wait_ready({"web health": lambda: "not yet"}, {"web": process}, timeout=20, label="t")


def test_the_entry_points_accept_exactly_the_environments_config_schema_ts_names() -> None:
    import re

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import run

    schema = (run.ROOT / "config" / "schema.ts").read_text()
    named = re.search(r"export const ENVIRONMENTS = \[([^\]]*)\]", schema).group(1)
    assert run.environments() == sorted(re.findall(r'"([^"]+)"', named))
    with pytest.raises(SystemExit):
        run.main(["nowhere"])  # argparse's "invalid choice", before any emulator starts
