"""Issue 18's checks on an applied environment: a database password never drifts from its parameters.

1. An in-place change of a database (a bigger instance class) replaces none of the parameters that
   hold its password: they follow only a new instance (replace_triggered_by on its resource_id).
2. Rotation (`data.credentialsVersion` + 1) writes one new password to each database and to its
   parameters in the same apply: afterwards the emulator's database and every parameter that
   carries it hold the same value.
"""

from __future__ import annotations

import copy
import hashlib
import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

DATABASES = ("airflowDatabase", "videoDatabase")


def password_parameters(data_stack: dict[str, Any]) -> dict[str, list[str]]:
    """Database identifier -> names of the parameters that hold its password (read from the stack)."""
    instances = data_stack["resource"]["aws_db_instance"]
    result: dict[str, list[str]] = {db["identifier"]: [] for db in instances.values()}
    for parameter in data_stack["resource"]["aws_ssm_parameter"].values():
        for trigger in (parameter.get("lifecycle") or {}).get("replace_triggered_by", []):
            logical_id = trigger.split(".")[1]
            result[instances[logical_id]["identifier"]].append(parameter["name"])
    return result


def instance_class_plan(show_json: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(databases updated in place, parameters the plan would replace) of a `terraform show -json` plan."""
    updated, replaced = [], []
    for change in show_json.get("resource_changes", []):
        actions = change["change"]["actions"]
        if change["type"] == "aws_db_instance" and actions == ["update"]:
            updated.append(change["address"])
        if change["type"] == "aws_ssm_parameter" and "delete" in actions:
            replaced.append(change["address"])
    return updated, replaced


def bigger_instances(config: dict[str, Any]) -> dict[str, Any]:
    """Seed 000's own scaling advice, db.t3.micro -> db.t3.small, for both databases."""
    config = copy.deepcopy(config)
    for database in DATABASES:
        config["data"][database]["instanceClass"] = "db.t3.small"
    return config


def rotated(config: dict[str, Any]) -> dict[str, Any]:
    config = copy.deepcopy(config)
    config["data"]["credentialsVersion"] += 1
    return config


def database_passwords(emulator_url: str) -> dict[str, str]:
    """The master password each emulated database holds now (server.py; AWS never shows it)."""
    with urllib.request.urlopen(f"{emulator_url}/e2e/database-passwords", timeout=30) as answer:
        return json.load(answer)


def short_hash(value: str) -> str:
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:12]


def mismatches(passwords: dict[str, str], parameters: dict[str, list[str]], values: dict[str, str]) -> list[str]:
    """Parameters that do not carry their database's current password (as the value or inside a URL)."""
    problems = []
    for identifier, names in parameters.items():
        password = passwords.get(identifier)
        if not password:
            problems.append(f"{identifier}: the emulator holds no password for it")
            continue
        for name in names:
            value = values.get(name, "")
            if value != password and password not in value and urllib.parse.quote(password, safe="") not in value:
                problems.append(
                    f"{name} ({short_hash(value)}) does not hold {identifier}'s password ({short_hash(password)})"
                )
    return problems


def load_stack(out: Path, stack: str) -> dict[str, Any]:
    return json.loads((out / "stacks" / stack / "cdk.tf.json").read_text())
