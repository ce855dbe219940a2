"""Appends one JSON line per AWS API call a process makes to the file E2E_AWS_CALLS names.

What is recorded is what the IAM evaluation needs and nothing more: the access key id (never the
secret), the client's service and operation, the region, whether the request went over TLS, and
the few request parameters that name resources or condition keys (IDENTIFIERS). Bodies, items,
messages and parameter values never reach the file.

Importing botocore costs about 0.35 s and 22 MB per process, too much for every Python process of
an Airflow container, so the recorder waits for botocore.handlers to be imported (every botocore
Session imports it first) and then adds its two handlers to the ones each new Session registers.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.util
import json
import os
import sys
from typing import Any
from urllib.parse import parse_qs

#: Where the lines go; unset means record nothing.
PATH_VARIABLE = "E2E_AWS_CALLS"
_PARAMS = "e2e_recorded_params"

#: Request parameters that name a resource or a condition key, by how much of them to keep.
#: "value": a string or a list of strings; "keys": the keys of a map (table names of a batch);
#: "addresses": the address lists of an SES Destination.
IDENTIFIERS: dict[str, str] = {
    "Bucket": "value",
    "Key": "value",
    "Prefix": "value",
    "CopySource": "value",
    "QueueUrl": "value",
    "QueueName": "value",
    "QueueOwnerAWSAccountId": "value",
    "TableName": "value",
    "IndexName": "value",
    "RequestItems": "keys",
    "TopicArn": "value",
    "TargetArn": "value",
    "Namespace": "value",
    "Source": "value",
    "SourceArn": "value",
    "FromArn": "value",
    "FromEmailAddress": "value",
    "FromEmailAddressIdentityArn": "value",
    "Destination": "addresses",
    "Destinations": "value",
    "Name": "value",
    "Names": "value",
    "Path": "value",
    "SecretId": "value",
    "RoleArn": "value",
    "logGroupName": "value",
    "logGroupNamePrefix": "value",
    "logStreamName": "value",
    # ECS (the ECS executor's RunTask, DescribeTasks and StopTask).
    "cluster": "value",
    "taskDefinition": "value",
    "tasks": "value",
    "task": "value",
}


def _kept(kind: str, value: Any) -> Any:
    if kind == "keys":
        return sorted(value) if isinstance(value, dict) else None
    if kind == "addresses":
        if not isinstance(value, dict):
            return None
        return {k: list(v) for k, v in value.items() if k.endswith("Addresses") and isinstance(v, list)}
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def identifiers(params: dict[str, Any]) -> dict[str, Any]:
    """The IDENTIFIERS of a call's parameters, reduced to what names resources."""
    kept = {name: _kept(kind, params[name]) for name, kind in IDENTIFIERS.items() if name in params}
    return {name: value for name, value in kept.items() if value is not None}


def _over_tls(url: str) -> bool:
    """Whether the request would reach AWS over TLS: AWS_ENDPOINT_URL, the emulator on plain HTTP,
    stands in for AWS's own endpoints, which are HTTPS; any other http:// URL is plain text."""
    emulator = os.environ.get("AWS_ENDPOINT_URL")
    return url.startswith("https://") or bool(emulator and url.startswith(emulator.rstrip("/")))


def _stash_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context[_PARAMS] = identifiers(params)


def _write(
    request_signer: Any, service: str, operation: str, url: str, params: dict[str, Any], path: str | None
) -> None:
    path = path or os.environ.get(PATH_VARIABLE)
    if not path:
        return
    credentials = request_signer._credentials  # botocore keeps them only here
    access_key = credentials.get_frozen_credentials().access_key if credentials is not None else None
    line = {
        "pid": os.getpid(),
        "access_key": access_key,
        "service": service,
        "operation": operation,
        "region": request_signer._region_name,
        "secure": _over_tls(url),
        "params": params,
    }
    # One write of one line on a file opened for appending: lines of concurrent processes do not
    # interleave.
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, sort_keys=True) + "\n")


def _record(
    model: Any, params: dict[str, Any], request_signer: Any, context: dict[str, Any], path: str | None = None, **_: Any
) -> None:
    context.setdefault(_PARAMS, {})
    url = str(params.get("url", ""))
    _write(request_signer, model.service_model.service_name, model.name, url, context[_PARAMS], path)


def _record_direct_signing(
    request: Any, operation_name: str, request_signer: Any, path: str | None = None, **_: Any
) -> None:
    """A request signed with a client's signer but sent without the client: kombu's asynchronous SQS
    connection receives messages that way. A client's own requests carry the stashed parameters in
    their context and were recorded at before-call (and a retry signs again: not a new call)."""
    if _PARAMS in (getattr(request, "context", None) or {}):
        return
    body = request.data if isinstance(request.data, (str, bytes)) else ""
    try:
        params = json.loads(body or "{}")
    except ValueError:
        params = {k: v[0] for k, v in parse_qs(body if isinstance(body, str) else body.decode()).items()}
    service = request_signer._service_id.hyphenize()
    kept = identifiers(params if isinstance(params, dict) else {})
    if service == "sqs":
        kept.setdefault("QueueUrl", request.url.split("?", 1)[0])
    _write(request_signer, service, operation_name, request.url, kept, path)


def install(handlers_module: Any) -> None:
    """Adds the recorder to the handlers every botocore Session created from now on registers."""
    builtin = handlers_module.BUILTIN_HANDLERS
    if any(entry[1] is _record for entry in builtin):
        return
    builtin.append(("before-parameter-build", _stash_params))
    builtin.append(("before-call", _record))
    builtin.append(("before-sign", _record_direct_signing))


def record_session(session: Any, path: str | None = None) -> None:
    """Records the calls of one boto3 or botocore session into `path` (default: E2E_AWS_CALLS): the
    harness's own, where it acts as the ECS agent (ssm:GetParameters under the execution role)."""
    botocore_session = getattr(session, "_session", session)
    botocore_session.register("before-parameter-build", _stash_params)
    botocore_session.register("before-call", functools.partial(_record, path=path))
    botocore_session.register("before-sign", functools.partial(_record_direct_signing, path=path))


class _AfterImport(importlib.abc.MetaPathFinder):
    """Installs the recorder right after botocore.handlers is first imported, then steps aside."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != "botocore.handlers":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module: Any) -> None:
            execute(module)
            install(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def install_when_botocore_loads() -> None:
    if not os.environ.get(PATH_VARIABLE):
        return
    if "botocore.handlers" in sys.modules:
        install(sys.modules["botocore.handlers"])
    elif not any(isinstance(finder, _AfterImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport())
