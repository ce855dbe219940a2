"""Every moto gap that `make e2e` works around, in one place.

Each gap is numbered, says what moto does and what AWS does instead, and is restored by patching
moto's backends or responses before the server starts (tools/e2e/server.py). Each is shown by a
test in tools/e2e/tests/test_moto_gaps.py that runs against unpatched moto: when moto fixes a gap, its
test fails, and the workaround goes. A gap is listed here only when AWS behaves the way our stacks
expect; a difference AWS itself would report against the stacks is our bug and is fixed there.

Found with Terraform 1.11.4, AWS provider 6.47.1 and moto 5.2.5 (requirements/e2e.txt).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Gap:
    number: int
    title: str
    moto: str
    aws: str
    apply: Callable[[Patcher], None]
    #: True when the gap only spoils the second plan (a perpetual diff), not the apply.
    plan_only: bool = False


class Patcher:
    """Sets attributes on moto's classes and remembers the originals, so tests can undo them."""

    def __init__(self) -> None:
        self._originals: list[tuple[Any, str, Any]] = []

    def set(self, owner: Any, name: str, value: Any) -> Any:
        original = owner.__dict__.get(name, _MISSING)
        self._originals.append((owner, name, original))
        setattr(owner, name, value)
        return None if original is _MISSING else original

    def set_item(self, mapping: dict[str, Any], key: str, value: Any) -> None:
        self._originals.append((mapping, key, mapping.get(key, _MISSING)))
        mapping[key] = value

    def undo(self) -> None:
        for owner, name, original in reversed(self._originals):
            if isinstance(owner, dict):
                if original is _MISSING:
                    owner.pop(name, None)
                else:
                    owner[name] = original
            elif original is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
        self._originals.clear()


_MISSING = object()


# 1 ------------------------------------------------------------------------------------------------
def _autoscaling_tags(patch: Patcher) -> None:
    from moto.applicationautoscaling import models, responses
    from moto.utilities.tagging_service import TaggingService

    def tagger(backend: Any) -> TaggingService:
        if "_e2e_tagger" not in backend.__dict__:
            backend._e2e_tagger = TaggingService()
        return backend._e2e_tagger

    register = responses.ApplicationAutoScalingResponse.register_scalable_target

    def register_scalable_target(self: Any) -> str:
        body = register(self)
        tags = self._get_param("Tags") or {}
        if tags:
            arn = json.loads(body)["ScalableTargetARN"]
            tagger(self.applicationautoscaling_backend).tag_resource(
                arn, [{"Key": k, "Value": v} for k, v in tags.items()]
            )
        return body

    def tag_resource(self: Any) -> str:
        tags = self._get_param("Tags") or {}
        tagger(self.applicationautoscaling_backend).tag_resource(
            self._get_param("ResourceARN"), [{"Key": k, "Value": v} for k, v in tags.items()]
        )
        return "{}"

    def untag_resource(self: Any) -> str:
        tagger(self.applicationautoscaling_backend).untag_resource_using_names(
            self._get_param("ResourceARN"), self._get_param("TagKeys") or []
        )
        return "{}"

    def list_tags_for_resource(self: Any) -> str:
        tags = tagger(self.applicationautoscaling_backend).get_tag_dict_for_resource(self._get_param("ResourceARN"))
        return json.dumps({"Tags": tags})

    deregister = models.ApplicationAutoscalingBackend.deregister_scalable_target

    def deregister_scalable_target(self: Any, namespace: str, r_id: str, dimension: str) -> None:
        for target in self.describe_scalable_targets(namespace, [r_id], dimension):
            tagger(self).delete_all_tags_for_resource(target.arn)
        deregister(self, namespace, r_id, dimension)

    cls = responses.ApplicationAutoScalingResponse
    patch.set(cls, "register_scalable_target", register_scalable_target)
    patch.set(cls, "tag_resource", tag_resource)
    patch.set(cls, "untag_resource", untag_resource)
    patch.set(cls, "list_tags_for_resource", list_tags_for_resource)
    patch.set(models.ApplicationAutoscalingBackend, "deregister_scalable_target", deregister_scalable_target)


# 2 ------------------------------------------------------------------------------------------------
#: What AWS puts in a request's context that moto does not: the provider talks to AWS over TLS only.
TLS_CONTEXT = {"aws:SecureTransport": "true"}


def _policy_conditions(patch: Patcher) -> None:
    from moto.iam import policy_conditions
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    def bool_operation(expected: list[str] | str, actual: str) -> bool:
        values = expected if isinstance(expected, list) else [expected]
        return str(actual).lower() in {str(v).lower() for v in values}

    original = IAMPolicyStatement.is_action_permitted

    def is_action_permitted(
        self: Any,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming_condition_values: dict[str, str] | None = None,
    ) -> PermissionResult:
        incoming = {**TLS_CONTEXT, **(incoming_condition_values or {})}
        # A statement whose condition does not hold does not apply, whatever its effect (moto
        # answers DENIED, which turns an Allow with an unmet condition into a deny).
        if self._statement.get("Condition") and not self._check_conditions(incoming):
            return PermissionResult.NEUTRAL
        return original(self, action, resource, principal, incoming)

    patch.set_item(policy_conditions.CONDITION_OPERATIONS, "Bool", bool_operation)
    patch.set(IAMPolicyStatement, "is_action_permitted", is_action_permitted)


# 3 ------------------------------------------------------------------------------------------------
def _dbi_resource_id(patch: Patcher) -> None:
    from moto.moto_api._internal import mock_random
    from moto.rds.models import DBInstance

    original = DBInstance.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807
        original(self, *args, **kwargs)
        self.dbi_resource_id = "db-" + mock_random.get_random_string(length=26, include_digits=True).upper()

    patch.set(DBInstance, "__init__", __init__)


# 4 ------------------------------------------------------------------------------------------------
def _redrive_allow_policy(patch: Patcher) -> None:
    from moto.sqs.models import SQSBackend

    original = SQSBackend.get_queue_attributes
    name = "RedriveAllowPolicy"

    def get_queue_attributes(self: Any, queue_name: str, attribute_names: list[str]) -> dict[str, Any]:
        others = [n for n in attribute_names if n != name]
        result = original(self, queue_name, others) if others else {}
        value = getattr(self.get_queue(queue_name), "redrive_allow_policy", None)
        if value and (name in attribute_names or "All" in attribute_names):
            result[name] = value
        return result

    patch.set(SQSBackend, "get_queue_attributes", get_queue_attributes)


# 8 ------------------------------------------------------------------------------------------------
def _redrive_policy_compact(patch: Patcher) -> None:
    from moto.sqs.models import Queue

    original = Queue.__dict__["attributes"].fget

    def attributes(self: Any) -> dict[str, Any]:
        result = original(self)
        if isinstance(result.get("RedrivePolicy"), str):
            result["RedrivePolicy"] = json.dumps(json.loads(result["RedrivePolicy"]), separators=(",", ":"))
        return result

    patch.set(Queue, "attributes", property(attributes))


# 5 ------------------------------------------------------------------------------------------------
def _delete_file_system_policy(patch: Patcher) -> None:
    from moto.efs.responses import EFSResponse

    def delete_file_system_policy(self: Any) -> Any:
        file_system_id = self._get_param("FileSystemId") or self.path.split("/")[-2]
        self.efs_backend.file_systems_by_id[file_system_id].file_system_policy = None
        return "{}", {"Content-Type": "application/json"}

    patch.set(EFSResponse, "delete_file_system_policy", delete_file_system_policy)


# 6 ------------------------------------------------------------------------------------------------
def _create_bucket_tags(patch: Patcher) -> None:
    import xmltodict
    from moto.s3.responses import S3Response

    original = S3Response._bucket_response_put

    def _bucket_response_put(self: Any, request: Any, bucket_name: str, querystring: dict[str, Any]) -> Any:
        result = original(self, request, bucket_name, querystring)
        if not querystring and self.body:
            configuration = xmltodict.parse(self.body).get("CreateBucketConfiguration") or {}
            tags = (configuration.get("Tags") or {}).get("Tag") or []
            tags = tags if isinstance(tags, list) else [tags]
            if tags:
                self.backend.put_bucket_tagging(bucket_name, {t["Key"]: t["Value"] for t in tags})
        return result

    patch.set(S3Response, "_bucket_response_put", _bucket_response_put)


# 7 ------------------------------------------------------------------------------------------------
CBOR_PREFIX = "/service/GraniteServiceVersion20100801/operation/"


def _cloudwatch_cbor(patch: Patcher) -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.__call__

    def __call__(self: Any, environ: dict[str, Any], start_response: Any) -> Any:  # noqa: N807
        path = environ.get("PATH_INFO", "")
        if not path.startswith(CBOR_PREFIX):
            return original(self, environ, start_response)
        return _serve_cbor_as_json(lambda e, s: original(self, e, s), environ, start_response)

    patch.set(DomainDispatcherApplication, "__call__", __call__)


def _serve_cbor_as_json(app: Callable[..., Any], environ: dict[str, Any], start_response: Any) -> Any:
    """Answers one Smithy RPC v2 CBOR request by asking moto the same in AWS JSON 1.0."""
    import cbor2

    operation = environ["PATH_INFO"][len(CBOR_PREFIX) :]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    params = cbor2.loads(raw) if raw else {}
    body = json.dumps(_to_json(params)).encode()
    environ = {
        **environ,
        "PATH_INFO": "/",
        "CONTENT_TYPE": "application/x-amz-json-1.0",
        "HTTP_X_AMZ_TARGET": f"GraniteServiceVersion20100801.{operation}",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    captured: dict[str, Any] = {}

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"], captured["headers"] = status, headers
        return lambda _data: None

    answer = b"".join(app(environ, capture))
    document = json.loads(answer) if answer.strip() else {}
    if isinstance(document, dict) and "__type" in document:
        # Smithy error shapes carry the bare name; AWS JSON prefixes the namespace.
        document["__type"] = str(document["__type"]).split("#")[-1]
    else:
        document = _timestamps(operation, document)
    encoded = cbor2.dumps(document, datetime_as_timestamp=True)
    headers = [(k, v) for k, v in captured["headers"] if k.lower() not in ("content-type", "content-length")]
    headers += [
        ("Content-Type", "application/cbor"),
        ("Smithy-Protocol", "rpc-v2-cbor"),
        ("Content-Length", str(len(encoded))),
    ]
    start_response(captured["status"], headers)
    return [encoded]


def _to_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode()
    return value


def _timestamps(operation: str, document: Any) -> Any:
    """CBOR carries timestamps as tag 1; AWS JSON gives moto's epoch seconds or ISO strings."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("cloudwatch")
    shape = model.operation_model(operation).output_shape

    def convert(shape: Any, value: Any) -> Any:
        kind = None if shape is None or value is None else shape.type_name
        if kind == "structure" and isinstance(value, dict):
            value = {k: convert(shape.members.get(k), v) for k, v in value.items()}
        elif kind == "list" and isinstance(value, list):
            value = [convert(shape.member, v) for v in value]
        elif kind == "map" and isinstance(value, dict):
            value = {k: convert(shape.value, v) for k, v in value.items()}
        elif kind == "timestamp" and isinstance(value, int | float):
            value = datetime.fromtimestamp(value, UTC)
        elif kind == "timestamp":
            value = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return value

    return convert(shape, document)


# 9 ------------------------------------------------------------------------------------------------
SERVICE_FIELDS = {
    "capacityProviderStrategy": "capacity_provider_strategy",
    "enableECSManagedTags": "enable_ecs_managed_tags",
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
}


def _create_service_fields(patch: Patcher) -> None:
    from moto.ecs.responses import EC2ContainerServiceResponse

    original = EC2ContainerServiceResponse.create_service

    def create_service(self: Any) -> Any:
        result = original(self)
        service = result.result["service"]
        for param, attribute in SERVICE_FIELDS.items():
            value = self._get_param(param)
            if value is not None:
                setattr(service, attribute, value)
        return result

    patch.set(EC2ContainerServiceResponse, "create_service", create_service)


# 10 -----------------------------------------------------------------------------------------------
def _parameter_source(patch: Patcher) -> None:
    from moto.rds.models import DBParameterGroup

    original = DBParameterGroup.update_parameters

    def update_parameters(self: Any, new_parameters: Any) -> None:
        new_parameters = list(new_parameters)
        original(self, new_parameters)
        for parameter in new_parameters:
            self.parameters[parameter["ParameterName"]].setdefault("Source", "user")

    patch.set(DBParameterGroup, "update_parameters", update_parameters)


# 11 -----------------------------------------------------------------------------------------------
def _group_rule_description(patch: Patcher) -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule

    def description(self: Any) -> str | None:
        return self.ip_range.get("Description") or self.source_group.get("Description")

    patch.set(SecurityGroupRule, "description", property(description))


# 12 -----------------------------------------------------------------------------------------------
def _delete_marker_dispose(patch: Patcher) -> None:
    from moto.s3.models import FakeDeleteMarker

    def dispose(self: Any, garbage: bool = False) -> None:
        """A delete marker holds no data to release."""

    patch.set(FakeDeleteMarker, "dispose", dispose)


# 13 -----------------------------------------------------------------------------------------------
def _nat_gateway_interface(patch: Patcher) -> None:
    from moto.ec2.models.nat_gateways import NatGatewayBackend

    original = NatGatewayBackend.delete_nat_gateway

    def delete_nat_gateway(self: Any, nat_gateway_id: str) -> Any:
        nat_gateway = original(self, nat_gateway_id)
        eni = nat_gateway._eni
        for address in self.addresses:
            if address.eni is eni:
                self.disassociate_address(association_id=address.association_id)
        if eni.id in self.enis:
            self.delete_network_interface(eni.id)
        return nat_gateway

    patch.set(NatGatewayBackend, "delete_nat_gateway", delete_nat_gateway)


# 14 -----------------------------------------------------------------------------------------------
PERFORMANCE_INSIGHTS = {
    "EnablePerformanceInsights": "performance_insights_enabled",
    "PerformanceInsightsRetentionPeriod": "performance_insights_retention_period",
    "PerformanceInsightsKMSKeyId": "performance_insights_kms_key_id",
}


def _performance_insights(patch: Patcher) -> None:
    from moto.rds.responses import RDSResponse

    def keeping(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def action(self: Any) -> Any:
            result = original(self)
            database = result.result["DBInstance"]
            for param, attribute in PERFORMANCE_INSIGHTS.items():
                if self.params.get(param) is not None:
                    setattr(database, attribute, self.params[param])
            return result

        return action

    patch.set(RDSResponse, "create_db_instance", keeping(RDSResponse.create_db_instance))
    patch.set(RDSResponse, "modify_db_instance", keeping(RDSResponse.modify_db_instance))


# 15 -----------------------------------------------------------------------------------------------
def _cloud_map_service(patch: Patcher) -> None:
    from moto.servicediscovery.models import Service

    original = Service.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807
        original(self, *args, **kwargs)
        if not self.namespace_id and self.dns_config:
            self.namespace_id = self.dns_config.get("NamespaceId")
        if not self.service_type:
            self.service_type = "DNS_HTTP" if self.dns_config else "HTTP"
        if self.health_check_custom_config is not None and "FailureThreshold" not in self.health_check_custom_config:
            self.health_check_custom_config = {**self.health_check_custom_config, "FailureThreshold": 1}

    patch.set(Service, "__init__", __init__)


# 16 -----------------------------------------------------------------------------------------------
def _namespace_hosted_zone(patch: Patcher) -> None:
    from moto.route53 import route53_backends
    from moto.servicediscovery.models import ServiceDiscoveryBackend
    from moto.utilities.utils import get_partition

    original = ServiceDiscoveryBackend.delete_namespace

    def delete_namespace(self: Any, namespace_id: str) -> str:
        namespace = self.get_namespace(namespace_id)
        zone_id = (namespace.dns_properties or {}).get("HostedZoneId")
        operation_id = original(self, namespace_id)
        if zone_id:
            route53_backends[self.account_id][get_partition(self.region_name)].delete_hosted_zone(zone_id)
        return operation_id

    patch.set(ServiceDiscoveryBackend, "delete_namespace", delete_namespace)


# 17 -----------------------------------------------------------------------------------------------
def _stop_unknown_task(patch: Patcher) -> None:
    from moto.ecs.exceptions import InvalidParameterException
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend.stop_task

    def stop_task(self: Any, cluster_str: str, task_str: str, reason: str) -> Any:
        cluster = self._get_cluster(cluster_str)
        task_id = task_str.rsplit("/", 1)[-1]
        if not any(arn.endswith(task_id) for arn in self.tasks.get(cluster.name, {})):
            raise InvalidParameterException("The referenced task was not found.")
        return original(self, cluster_str, task_str, reason)

    patch.set(EC2ContainerServiceBackend, "stop_task", stop_task)


# 18 -----------------------------------------------------------------------------------------------
def _task_started_at(patch: Patcher) -> None:
    from moto.ecs.models import EC2ContainerServiceBackend, Task

    original_init = Task.__init__
    original_stop = EC2ContainerServiceBackend.stop_task  # gap 17's, when it is applied first

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807
        original_init(self, *args, **kwargs)
        self.created_at = self.started_at = datetime.now(UTC)  # moto's tasks start RUNNING

    def stop_task(self: Any, cluster_str: str, task_str: str, reason: str) -> Any:
        task = original_stop(self, cluster_str, task_str, reason)
        task.stopped_at = datetime.now(UTC)
        return task

    patch.set(Task, "__init__", __init__)
    patch.set(EC2ContainerServiceBackend, "stop_task", stop_task)


# 19 -----------------------------------------------------------------------------------------------
def _fargate_task_memory(patch: Patcher) -> None:
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend._calculate_task_resource_requirements

    def requirements(task_definition: Any) -> dict[str, Any]:
        containers = task_definition.container_definitions
        sized = [c for c in containers if any(k in c for k in ("memory", "memoryReservation", "Memory"))]
        if len(sized) == len(containers):
            return original(task_definition)
        # Fargate sizes the task, not its containers: count the task's memory once.
        task_definition.container_definitions = sized
        try:
            answer = original(task_definition)
        finally:
            task_definition.container_definitions = containers
        answer["MEMORY"] += int(task_definition.memory or 0) if not sized else 0
        return answer

    patch.set(EC2ContainerServiceBackend, "_calculate_task_resource_requirements", staticmethod(requirements))


# 20 -----------------------------------------------------------------------------------------------
def _stopped_task_interface(patch: Patcher) -> None:
    from moto.ec2.models import ec2_backends
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend.stop_task  # gaps 17 and 18's, when they are applied first

    def stop_task(self: Any, cluster_str: str, task_str: str, reason: str) -> Any:
        task = original(self, cluster_str, task_str, reason)
        ec2 = ec2_backends[self.account_id][task.region_name]
        for attachment in task.attachments:
            if attachment["type"] == "ElasticNetworkInterface" and attachment["status"] != "DELETED":
                details = {d["name"]: d["value"] for d in attachment["details"]}
                ec2.enis.pop(details["networkInterfaceId"], None)
                attachment["status"] = "DELETED"
        return task

    patch.set(EC2ContainerServiceBackend, "stop_task", stop_task)


GAPS: tuple[Gap, ...] = (
    Gap(
        1,
        "Application Auto Scaling tagging",
        "TagResource, UntagResource and ListTagsForResource are not implemented (500); the Tags of "
        "RegisterScalableTarget are dropped",
        "a scalable target keeps the tags it was registered with and answers the tagging calls",
        _autoscaling_tags,
    ),
    Gap(
        2,
        "bucket-policy conditions",
        "only StringEquals is evaluated: a Bool condition counts as met and aws:SecureTransport is never "
        "in the request context, so the TLS-only Deny (aws:SecureTransport = false) denies every "
        "request (403 on the state file); a statement whose condition fails is DENIED, even an Allow",
        "Bool conditions are evaluated, requests over TLS (all the provider sends) carry "
        "aws:SecureTransport = true, and a statement whose condition fails does not apply",
        _policy_conditions,
    ),
    Gap(
        3,
        "RDS DbiResourceId",
        "every DB instance gets db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U, so with two databases the "
        "provider's read-back by resource id finds two",
        "each instance has its own DbiResourceId",
        _dbi_resource_id,
    ),
    Gap(
        4,
        "SQS RedriveAllowPolicy",
        "stored by SetQueueAttributes but missing from GetQueueAttributes All (the provider waits for "
        "it until its timeout) and refused by name (InvalidAttributeName)",
        "GetQueueAttributes returns the RedriveAllowPolicy that was set",
        _redrive_allow_policy,
    ),
    Gap(
        5,
        "EFS DeleteFileSystemPolicy",
        "not implemented, so destroying aws_efs_file_system_policy fails",
        "DeleteFileSystemPolicy removes the policy",
        _delete_file_system_policy,
    ),
    Gap(
        6,
        "S3 CreateBucket tags",
        "the Tags of CreateBucketConfiguration are dropped",
        "the bucket is created with those tags",
        _create_bucket_tags,
    ),
    Gap(
        7,
        "CloudWatch over Smithy RPC v2 CBOR",
        "only the Query and JSON protocols are served; the provider's Go SDK sends CloudWatch "
        "(alarms) only as RPC v2 CBOR, which gets 404",
        "CloudWatch answers RPC v2 CBOR (its default protocol)",
        _cloudwatch_cbor,
    ),
    Gap(
        8,
        "SQS RedrivePolicy spacing",
        'RedrivePolicy comes back as json.dumps output, {"deadLetterTargetArn": "...", ...}',
        'AWS returns it compact, {"deadLetterTargetArn":"...","maxReceiveCount":3}',
        _redrive_policy_compact,
        plan_only=True,
    ),
    Gap(
        9,
        "ECS CreateService fields",
        "capacityProviderStrategy, enableECSManagedTags and healthCheckGracePeriodSeconds are "
        "dropped on create and missing from DescribeServices",
        "DescribeServices returns them as created",
        _create_service_fields,
        plan_only=True,
    ),
    Gap(
        10,
        "RDS parameter Source",
        "parameters set by ModifyDBParameterGroup come back without Source",
        'they come back with Source "user", which the provider reads to tell ours from defaults',
        _parameter_source,
        plan_only=True,
    ),
    Gap(
        11,
        "security-group rule description",
        "a rule that references a security group loses its Description in DescribeSecurityGroupRules",
        "the rule keeps its description",
        _group_rule_description,
        plan_only=True,
    ),
    Gap(
        12,
        "S3 delete markers in DeleteObjects",
        "in a bucket whose versioning is suspended (destroying aws_s3_bucket_versioning does that), "
        "deleting a key whose history holds a delete marker answers 500 ('FakeDeleteMarker' object "
        "has no attribute 'dispose'); the S3 backend's lock file (use_lockfile) leaves one per run "
        "in the state bucket, so its force_destroy never ends",
        "the versions and delete markers are deleted and the bucket can go",
        _delete_marker_dispose,
    ),
    Gap(
        13,
        "NAT gateway network interface",
        "DeleteNatGateway leaves the gateway's network interface (and its Elastic IP association) behind",
        "deleting a NAT gateway deletes its network interface and disassociates its Elastic IP",
        _nat_gateway_interface,
    ),
    Gap(
        14,
        "RDS Performance Insights",
        "EnablePerformanceInsights and PerformanceInsightsRetentionPeriod are dropped, so "
        "DescribeDBInstances says false and 0 (production's second plan wants to enable them again)",
        "DescribeDBInstances returns the Performance Insights settings that were set",
        _performance_insights,
        plan_only=True,
    ),
    Gap(
        15,
        "Cloud Map service read-back",
        "a service created with its namespace in DnsConfig comes back without NamespaceId and Type, "
        "and an empty HealthCheckCustomConfig without FailureThreshold (the second plan shows "
        "namespace_id and type as changing)",
        "NamespaceId from DnsConfig, Type DNS_HTTP, HealthCheckCustomConfig FailureThreshold 1 (its only value)",
        _cloud_map_service,
        plan_only=True,
    ),
    Gap(
        16,
        "Cloud Map namespace hosted zone",
        "DeleteNamespace deletes a DNS namespace but leaves the Route 53 hosted zone it created for it",
        "deleting a DNS namespace deletes the hosted zone Cloud Map created for it",
        _namespace_hosted_zone,
    ),
    Gap(
        17,
        "ECS StopTask of an unknown task",
        "an internal error (a bare Exception: 'Could not find task' or 'Cluster ... has no registered tasks')",
        "InvalidParameterException 'The referenced task was not found.', which the ECS executor's "
        "start-up health check (a StopTask of a made-up id) counts as healthy",
        _stop_unknown_task,
    ),
    Gap(
        18,
        "ECS task startedAt",
        "RunTask answers a task already RUNNING but without createdAt or startedAt, and StopTask sets no "
        "stoppedAt; the ECS executor counts a stopped task that never started as REMOVED (a failed "
        "start, tried again) whatever its exit code",
        "a task that reached RUNNING has startedAt, and a stopped one stoppedAt",
        _task_started_at,
    ),
    Gap(
        19,
        "ECS RunTask with task-level memory only",
        "RunTask fails with an internal error (TypeError adding None) when a container definition sets "
        "no memory, which a Fargate task definition need not (the ECS executor's worker sets it on "
        "the task)",
        "Fargate takes the task's memory; container-level memory is optional",
        _fargate_task_memory,
    ),
    Gap(
        20,
        "ECS stopped task's network interface",
        "an awsvpc task's elastic network interface stays after the task stops (the leftover check "
        "found one per ECS executor worker task)",
        "Fargate deletes the task's interface when the task stops",
        _stopped_task_interface,
    ),
)


def apply(gaps: tuple[Gap, ...] = GAPS) -> Patcher:
    """Patches moto for the given gaps (default all); returns the Patcher that can undo them."""
    patch = Patcher()
    for gap in gaps:
        gap.apply(patch)
    return patch
