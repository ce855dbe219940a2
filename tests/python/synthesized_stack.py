"""The synthesized Terraform JSON of the CDKTF app, read back for tests that must configure
Airflow exactly as the stacks do: `synthesize` runs the app (bin/app.js) on a config, and
`decode_jsonencode` turns a `${jsonencode(...)}` value (container definitions) back into data,
the Python twin of __tests__/modules/jsonencode.ts. Terraform references inside come back as
strings: `aws_x.y.arn`, `join(",", [a, b])`, `${aws_x.y.arn}/index/*`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from support import REPO


def synthesize(environment: str, config: dict[str, Any], workdir: Path) -> Path:
    """Synthesizes every stack of `config` (as config/<environment>.json) into workdir/out."""
    config_dir = workdir / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / f"{environment}.json").write_text(json.dumps(config, indent=2))
    node = shutil.which("node")
    assert node, "node is needed to synthesize the stacks (make install)"
    out = workdir / "out"
    subprocess.run(
        [node, str(REPO / "bin" / "app.js")],
        cwd=REPO,
        env={
            **os.environ,
            "DEPLOY_ENV": environment,
            "DEPLOY_CONFIG_DIR": str(config_dir),
            "CDKTF_OUTDIR": str(out),
            "CHECKPOINT_DISABLE": "1",
        },
        check=True,
        capture_output=True,
        text=True,
    )
    return out


def read_stack(out: Path, stack: str) -> dict[str, Any]:
    return json.loads((out / "stacks" / stack / "cdk.tf.json").read_text())


def _read_string(hcl: str, i: int) -> tuple[str, int]:
    """From an opening quote to its closing quote, skipping over ${...} interpolations."""
    text = '"'
    i += 1
    while i < len(hcl):
        c = hcl[i]
        if c == "\\":
            text += hcl[i : i + 2]
            i += 2
        elif c == "$" and hcl[i + 1 : i + 2] == "{":
            start, depth = i, 0
            i += 1  # past the "$": the braces from here on decide where the interpolation ends
            while True:
                depth += {"{": 1, "}": -1}.get(hcl[i], 0)
                i += 1
                if depth == 0 or i >= len(hcl):
                    break
            text += re.sub(r'\\?"', '\\"', hcl[start:i])
        elif c == '"':
            return text + '"', i + 1
        else:
            text += c
            i += 1
    raise ValueError("unterminated string")


def _read_word(hcl: str, i: int) -> tuple[str, int]:
    """A bare reference or function call: up to the next top-level delimiter."""
    depth, quoted, start = 0, False, i
    while i < len(hcl) and (quoted or depth > 0 or not re.match(r"[\s,}\]]", hcl[i])):
        ch = hcl[i]
        if quoted:
            i += 1 if ch == "\\" else 0
            quoted = ch != '"'
        elif ch == '"':
            quoted = True
        else:
            depth += {"[": 1, "(": 1, "]": -1, ")": -1}.get(ch, 0)
        i += 1
    word = hcl[start:i]
    return (word if word in ("true", "false", "null") else json.dumps(word)), i


def decode_jsonencode(expression: str) -> Any:
    match = re.fullmatch(r"\$\{jsonencode\(([\s\S]*)\)\}", expression)
    if not match:
        raise ValueError(f"not a jsonencode expression: {expression[:80]}")
    hcl = match.group(1)
    out: list[str] = []
    i = 0
    while i < len(hcl):
        c = hcl[i]
        if c == '"':
            text, i = _read_string(hcl, i)
        elif c.isalpha() or c == "_":
            text, i = _read_word(hcl, i)
        else:
            text, i = (":" if c == "=" else c), i + 1
        out.append(text)
    return json.loads("".join(out))


def task_definition(stack: dict[str, Any], family: str) -> dict[str, Any]:
    """The task definition resource of `family`, its container definitions decoded."""
    found = [d for d in stack["resource"]["aws_ecs_task_definition"].values() if d["family"] == family]
    assert len(found) == 1, f"expected one task definition {family}, found {len(found)}"
    return {**found[0], "container_definitions": decode_jsonencode(found[0]["container_definitions"])}


def container_environment(definition: dict[str, Any]) -> dict[str, str]:
    (container,) = definition["container_definitions"]
    return {pair["name"]: pair["value"] for pair in container["environment"]}
