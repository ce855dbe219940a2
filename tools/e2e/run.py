"""`make e2e`: every stack of each environment applied, planned again (must be empty) and destroyed
against moto_server on loopback, with real Terraform and the real AWS provider (docs/e2e.md).

    python tools/e2e/run.py --work .e2e hackathon learner-lab production

Needs TF_CLI_CONFIG_FILE and TERRAFORM from tools/terraform/tools.sh. Each environment is
synthesized into <work>/<environment>/ from a copy of its config; override files beside each
cdk.tf.json point the provider, the S3 backend and each terraform_remote_state at the emulator.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import inventory
import password_checks

sys.path.insert(0, str(Path(__file__).resolve().parent / "runtime"))
import faults
import stage  # tools/e2e/runtime/ is not a package: on the path above

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
#: Deploy order; destroy runs it backwards. `state` first: it holds every other stack's state.
STACKS = ("state", "network", "data", "airflow", "video-pipeline")
#: The environment that goes through the users' own commands, `cdktf deploy` and `cdktf destroy`.
CDKTF_ENVIRONMENT = "hackathon"
#: AWS provider service keys the stacks call (endpoints block); sts for the caller identity.
SERVICES = [
    "applicationautoscaling",
    "cloudwatch",
    "dynamodb",
    "ec2",
    "ecr",
    "ecs",
    "efs",
    "elbv2",
    "iam",
    "logs",
    "rds",
    "s3",
    "secretsmanager",
    "route53",
    "s3control",
    "servicediscovery",
    "ses",
    "sns",
    "sqs",
    "ssm",
    "sts",
]
PROXY_VARIABLES = ("http_proxy", "https_proxy", "no_proxy", "all_proxy")
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class E2EError(Exception):
    pass


@dataclass
class Timing:
    resources: int = 0
    apply: float = 0.0
    plan: float = 0.0
    destroy: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)
    #: The runtime stage's summary line (`runtime: <env>: ...`).
    runtime: str = ""


# -------------------------------------------------------------------------------------------------
# The emulator


class Emulator:
    """moto_server with the gap workarounds, started on a free loopback port, stopped by its PID."""

    def __init__(self, log: Path, detached: bool = False) -> None:
        """`detached`: in its own session, so it outlives us (tools/e2e/runtime/up.py keeps it up)."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._session = boto3.session.Session()
        self._log = log.open("w")
        self.process: subprocess.Popen | None = subprocess.Popen(
            [sys.executable, str(HERE / "server.py"), str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=detached,
        )
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{self.url}/moto-api/data.json", timeout=1)
                print(f"e2e: moto_server pid {self.process.pid} on {self.url} (log {log})")
                return
            except OSError as error:
                if self.process.poll() is not None:
                    raise E2EError(f"moto_server exited with {self.process.returncode}; see {log}") from error
                time.sleep(0.2)
        raise E2EError(f"moto_server did not answer on {self.url}; see {log}")

    def client(self, service: str, region: str, credentials: dict[str, str] | None = None) -> object:
        """A client of the emulator, signed as `credentials` (AWS_* variables) or as the test account."""
        # A session per emulator: boto3's default session is not safe to share between threads.
        keys = _boto_credentials()
        if credentials:
            keys = {
                "aws_access_key_id": credentials["AWS_ACCESS_KEY_ID"],
                "aws_secret_access_key": credentials["AWS_SECRET_ACCESS_KEY"],
                "aws_session_token": credentials.get("AWS_SESSION_TOKEN"),
            }
        return self._session.client(service, region_name=region, endpoint_url=self.url, **keys)

    @classmethod
    def attach(cls, url: str) -> Emulator:
        """An emulator already running (kept up by tools/e2e/runtime/up.py): stop() leaves it alone."""
        emulator = cls.__new__(cls)
        emulator.url, emulator.port = url, int(url.rsplit(":", 1)[1])
        emulator._session = boto3.session.Session()
        emulator.process = None
        return emulator

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }


def child_env(emulator: Emulator) -> dict[str, str]:
    """No real credential or profile reaches Terraform: every endpoint is the emulator's anyway.

    The emulator is also the HTTP proxy: the SDK puts the account id before the S3 Control
    endpoint's host (`123456789012.127.0.0.1`), which no resolver knows; through the proxy the
    request reaches moto, which routes `/v20180820/` paths to S3 Control. Go sends loopback
    addresses direct, so every other call is unchanged.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k.lower() not in PROXY_VARIABLES}
    env.update(CREDENTIALS)
    env.update(
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        TF_IN_AUTOMATION="1",
        CHECKPOINT_DISABLE="1",
        CI="1",
        HTTP_PROXY=emulator.url,
    )
    return env


# -------------------------------------------------------------------------------------------------
# Synthesis and overrides


def environments(root: Path = ROOT) -> list[str]:
    """The environments: the config/*.json written against environment.schema.json (the argument
    choices of every e2e entry point, so a misspelt name is refused before anything starts)."""
    files = (root / "config").glob("*.json")
    return sorted(f.stem for f in files if json.loads(f.read_text()).get("$schema") == "./environment.schema.json")


def e2e_config(environment: str, root: Path = ROOT) -> dict:
    """The config of the checkout at `root`, but images from ECR: building one needs a Docker engine."""
    config = json.loads((root / "config" / f"{environment}.json").read_text())
    for system in ("airflow", "videoPipeline"):
        if config[system]["image"]["source"] == "build":
            config[system]["image"] = {"source": "ecr", "tag": "latest"}
    return config


def teardown_config(config: dict) -> dict:
    """What docs/e2e.md tells a user to apply before destroying an environment that protects its data."""
    config = copy.deepcopy(config)
    for database in ("airflowDatabase", "videoDatabase"):
        config["data"][database]["deletionProtection"] = False
    config["data"]["forceDestroyBuckets"] = True
    return config


def protects_data(config: dict) -> bool:
    data = config["data"]
    return not data["forceDestroyBuckets"] or any(
        data[db]["deletionProtection"] for db in ("airflowDatabase", "videoDatabase")
    )


def synthesize(environment: str, config: dict, out: Path, root: Path = ROOT) -> None:
    """Synthesizes with the app of the checkout at `root` (`make review PLAN=1` passes the base's)."""
    config_dir = out.parent / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / f"{environment}.json").write_text(json.dumps(config, indent=2))
    (config_dir / "environment.schema.json").write_text((root / "config" / "environment.schema.json").read_text())
    env = {**os.environ, "DEPLOY_ENV": environment, "DEPLOY_CONFIG_DIR": str(config_dir), "CDKTF_OUTDIR": str(out)}
    subprocess.run(["node", str(root / "bin" / "app.js")], cwd=root, env=env, check=True)


def overrides(stack_json: dict, url: str) -> dict:
    """Override file content: a backend block or a `config` attribute replaces the original whole."""
    s3 = {
        "endpoints": {"s3": url, "sts": url, "iam": url},
        "use_path_style": True,
        "skip_credentials_validation": True,
        "skip_requesting_account_id": True,
        "skip_metadata_api_check": True,
    }
    result: dict = {
        "provider": {
            "aws": {
                "endpoints": [{service: url for service in SERVICES}],
                "s3_use_path_style": True,
                "skip_metadata_api_check": True,
                "skip_credentials_validation": True,
            }
        }
    }
    backend = stack_json.get("terraform", {}).get("backend", {})
    if "s3" in backend:
        result["terraform"] = {"backend": {"s3": {**backend["s3"], **s3}}}
    remote = stack_json.get("data", {}).get("terraform_remote_state", {})
    if remote:
        result["data"] = {
            "terraform_remote_state": {name: {"config": {**block["config"], **s3}} for name, block in remote.items()}
        }
    return result


def write_overrides(out: Path, url: str) -> None:
    for stack in STACKS:
        directory = out / "stacks" / stack
        stack_json = json.loads((directory / "cdk.tf.json").read_text())
        (directory / "e2e_override.tf.json").write_text(json.dumps(overrides(stack_json, url), indent=2))


# -------------------------------------------------------------------------------------------------
# Running Terraform and cdktf


class Runner:
    def __init__(self, environment: str, out: Path, logs: Path, env: dict[str, str]) -> None:
        self.environment, self.out, self.logs, self.env = environment, out, logs, env
        self.terraform = os.environ.get("TERRAFORM", "terraform")
        logs.mkdir(parents=True, exist_ok=True)

    def run(self, name: str, args: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> tuple[int, float, Path]:
        log = self.logs / f"{name}.log"
        start = time.monotonic()
        with log.open("w") as handle:
            code = subprocess.run(
                args, cwd=cwd, env=self.env, stdout=handle, stderr=subprocess.STDOUT, check=False
            ).returncode
        seconds = time.monotonic() - start
        if code not in ok:
            raise E2EError(
                f"{self.environment}: {' '.join(args[:2])} ({name}) exited {code}\n{failure_summary(log)}\n  log: {log}"
            )
        return code, seconds, log

    def tf(self, stack: str, step: str, *args: str, ok: tuple[int, ...] = (0,)) -> tuple[int, float, Path]:
        return self.run(f"{stack}.{step}", [self.terraform, *args], self.out / "stacks" / stack, ok)

    def cdktf(self, step: str, command: str, stacks: list[str]) -> float:
        args = [
            str(ROOT / "node_modules/.bin/cdktf"),
            command,
            *stacks,
            "--skip-synth",
            "--skip-provider-lock",
            "--auto-approve",
            "--no-color",
            "--output",
            str(self.out),
        ]
        return self.run(f"cdktf-{step}", args, ROOT)[1]

    def resources(self, stack: str) -> int:
        _, _, log = self.tf(stack, "state-list", "state", "list")
        return sum(1 for line in log.read_text().splitlines() if line and not line.startswith("data."))


def failure_summary(log: Path) -> str:
    """Each Terraform error with the resource address it names."""
    lines = log.read_text(errors="replace").splitlines()
    found = []
    for i, line in enumerate(lines):
        text = line.lstrip("│ ").strip()
        if text.startswith("Error:"):
            address = next(
                (m.group(1) for later in lines[i : i + 12] if (m := re.search(r"with ([\w.\-\[\]\"]+),", later))), "?"
            )
            found.append(f"  {address}: {text}")
    if not found:
        found = ["  " + line for line in lines[-15:]]
    return "\n".join(found)


def plan_changes(log: Path) -> str:
    return "\n".join(
        "  " + line.strip() for line in log.read_text().splitlines() if line.strip().startswith("#") or "Plan:" in line
    )


# -------------------------------------------------------------------------------------------------
# One environment


def create_lab_role(emulator: Emulator, region: str) -> None:
    """The Learner Lab's LabRole: one pre-made role that EC2, ECS tasks and the other services assume."""
    iam = emulator.client("iam", region)
    services = [
        "ec2",
        "ecs",
        "ecs-tasks",
        "lambda",
        "rds",
        "elasticfilesystem",
        "events",
        "states",
        "application-autoscaling",
        "scheduler",
    ]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": [f"{s}.amazonaws.com" for s in services]},
            }
        ],
    }
    iam.create_role(RoleName="LabRole", Path="/", AssumeRolePolicyDocument=json.dumps(trust))  # type: ignore[attr-defined]
    iam.create_instance_profile(InstanceProfileName="LabInstanceProfile")  # type: ignore[attr-defined]
    iam.add_role_to_instance_profile(InstanceProfileName="LabInstanceProfile", RoleName="LabRole")  # type: ignore[attr-defined]


@dataclass
class Deployed:
    """One environment applied and planned clean against its emulator: what the later steps need."""

    environment: str
    config: dict
    region: str
    out: Path
    emulator: Emulator
    runner: Runner
    baseline: dict[str, set[str]]
    timing: Timing


def run_environment(
    environment: str, work: Path, emulator: Emulator, through_cdktf: bool, fault_names: tuple[str, ...] = ()
) -> Timing:
    deployed = deploy(environment, work, emulator, through_cdktf)
    # The runtime stage (docs/e2e.md): every service started from its applied task definition.
    result = stage.run_stage(
        environment, deployed.config, emulator, work / environment / "runtime", faults.while_running(list(fault_names))
    )
    print(result.summary(), flush=True)
    deployed.timing.runtime = "\n".join([result.summary(), *result.faults])
    deployed.timing.extra["runtime stage"] = result.seconds["total"]
    # Faults (issue 23, tools/e2e/runtime/faults.py): opt-in with E2E_FAULTS; a failed fault raises.
    if fault_names:
        fault_started = time.monotonic()
        fault_dir = work / environment / "faults"
        lines = faults.run_faults(
            environment, emulator, deployed.region, list(fault_names), fault_dir, fault_dir / "aws-calls.jsonl"
        )
        deployed.timing.runtime += "".join(f"\n{line}" for line in lines)
        deployed.timing.extra["faults"] = time.monotonic() - fault_started
    if offers_ecs_executor(deployed.config):
        deployed.timing.runtime += "\n" + run_ecs_executor(deployed, work)
    teardown(deployed, through_cdktf)
    return deployed.timing


#: The stacks `airflow.executor` changes (the workers' security-group rules, the workers themselves).
ECS_EXECUTOR_STACKS = ("network", "airflow")


def offers_ecs_executor(config: dict) -> bool:
    """The Airflow 3 line on LocalExecutor: the ECS executor is one config field away (docs/ecs-executor.md)."""
    return config["airflow"]["line"] != "2.8" and config["airflow"].get("executor", "LocalExecutor") == "LocalExecutor"


def run_ecs_executor(deployed: Deployed, work: Path) -> str:
    """The environment switched to the ECS executor as an operator would (the one field, an apply of
    the stacks it changes, every plan empty again), then the runtime stage once more: the scheduler's
    RunTask requests run as worker processes (runtime/ecs_agent.py). Returns the stage's lines."""
    started = time.monotonic()
    environment, runner = deployed.environment, deployed.runner
    config = {**deployed.config, "airflow": {**deployed.config["airflow"], "executor": "AwsEcsExecutor"}}
    print(f"e2e: {environment}: switching to the ECS executor (airflow.executor AwsEcsExecutor)", flush=True)
    resynthesize(environment, config, deployed.out, deployed.emulator)
    deployed.config = config  # the teardown starts from what is applied now
    for stack in ECS_EXECUTOR_STACKS:
        runner.tf(stack, "ecs-executor-apply", "apply", "-auto-approve", "-input=false", "-no-color")
    plan_all(runner)
    result = stage.run_stage(environment, config, deployed.emulator, work / environment / "runtime-ecs-executor")
    deployed.timing.extra["ecs executor"] = time.monotonic() - started
    print(result.summary(), flush=True)
    return f"{result.summary()}\n{result.ecs_executor}"


def deploy(environment: str, work: Path, emulator: Emulator, through_cdktf: bool, checks: bool = True) -> Deployed:
    """Synthesize, apply, plan again (must be empty) and issue 18's checks (`checks`: `make local`
    skips the plan and the checks, minutes that prove nothing to a person who wants it running)."""
    timing = Timing()
    base = work / environment
    out = base / "cdktf.out"
    config = e2e_config(environment)
    region = config["region"]
    print(f"e2e: {environment}: synthesizing into {out}")
    resynthesize(environment, config, out, emulator)
    runner = Runner(environment, out, base / "logs", child_env(emulator))
    if environment == "learner-lab":
        create_lab_role(emulator, region)
    baseline = inventory.snapshot(emulator, region)

    timing.apply = apply_all(runner, through_cdktf)
    timing.resources = sum(runner.resources(stack) for stack in STACKS)
    print(f"e2e: {environment}: applied {timing.resources} resources in {timing.apply:.0f} s")
    if not checks:
        return Deployed(environment, config, region, out, emulator, runner, baseline, timing)
    timing.plan = plan_all(runner)
    print(f"e2e: {environment}: second plan empty for every stack ({timing.plan:.0f} s)")
    timing.extra["issue 18 checks"] = check_passwords(runner, environment, config, out, emulator)
    return Deployed(environment, config, region, out, emulator, runner, baseline, timing)


def teardown(deployed: Deployed, through_cdktf: bool) -> None:
    """The teardown config where data is protected, destroy, and the leftover check."""
    environment, config, out, emulator, runner, timing = (
        deployed.environment,
        deployed.config,
        deployed.out,
        deployed.emulator,
        deployed.runner,
        deployed.timing,
    )
    if protects_data(config):
        print(f"e2e: {environment}: applying the teardown config (deletion protection off, buckets force-destroyed)")
        timing.extra["teardown apply"] = apply_teardown(runner, environment, config, out, emulator)
    timing.destroy = destroy_all(runner, through_cdktf)
    print(f"e2e: {environment}: destroyed in {timing.destroy:.0f} s")
    check_leftovers(environment, emulator, deployed.region, deployed.baseline, final_snapshots(out))


def apply_all(runner: Runner, through_cdktf: bool) -> float:
    if through_cdktf:
        # The users' commands (README, "Deploy"): the state bucket first, then the rest.
        return runner.cdktf("deploy-state", "deploy", ["state"]) + runner.cdktf("deploy", "deploy", list(STACKS[1:]))
    seconds = 0.0
    for stack in STACKS:
        seconds += runner.tf(stack, "init", "init", "-input=false", "-no-color")[1]
        seconds += runner.tf(stack, "apply", "apply", "-auto-approve", "-input=false", "-no-color")[1]
    return seconds


def plan_all(runner: Runner) -> float:
    """The plan right after an apply must be empty: a perpetual diff hides real changes later."""
    seconds, stale = 0.0, []
    for stack in STACKS:
        code, took, log = runner.tf(stack, "plan", "plan", "-detailed-exitcode", "-input=false", "-no-color", ok=(0, 2))
        seconds += took
        if code == 2:
            stale.append(f"{stack}:\n{plan_changes(log)}")
    if stale:
        raise E2EError(f"{runner.environment}: the second plan is not empty\n" + "\n".join(stale))
    return seconds


def apply_teardown(runner: Runner, environment: str, config: dict, out: Path, emulator: Emulator) -> float:
    """docs/e2e.md, "Tearing down an environment": lift the data protections and apply them."""
    start = time.monotonic()
    resynthesize(environment, teardown_config(config), out, emulator)
    for stack in ("state", "data", "airflow", "video-pipeline"):
        runner.tf(stack, "teardown-apply", "apply", "-auto-approve", "-input=false", "-no-color")
    return time.monotonic() - start


def destroy_all(runner: Runner, through_cdktf: bool) -> float:
    if through_cdktf:
        return runner.cdktf("destroy", "destroy", list(STACKS[1:])) + runner.cdktf(
            "destroy-state", "destroy", ["state"]
        )
    seconds = 0.0
    for stack in reversed(STACKS):
        seconds += runner.tf(stack, "destroy", "destroy", "-auto-approve", "-input=false", "-no-color")[1]
    return seconds


def check_leftovers(
    environment: str, emulator: Emulator, region: str, baseline: dict[str, set[str]], expected: dict[str, set[str]]
) -> None:
    """Nothing of ours may be left, except the final snapshots the config asks for, which must be."""
    leftovers = inventory.difference(baseline, inventory.snapshot(emulator, region))
    unexpected = {kind: sorted(ids - expected.get(kind, set())) for kind, ids in leftovers.items()}
    unexpected = {kind: ids for kind, ids in unexpected.items() if ids}
    if unexpected:
        raise E2EError(f"{environment}: the emulator still holds, after destroy: {json.dumps(unexpected)}")
    missing = {kind: sorted(ids - leftovers.get(kind, set())) for kind, ids in expected.items()}
    if any(missing.values()):
        raise E2EError(f"{environment}: final snapshots missing after destroy: {missing}")
    snapshots = sorted(expected.get("rds snapshot", set()))
    inventory.delete_snapshots(emulator, region, set(snapshots))
    kept = f" (final snapshots {snapshots} were taken, as configured; deleted now)" if snapshots else ""
    print(f"e2e: {environment}: the emulator holds nothing of ours{kept}")


def resynthesize(environment: str, config: dict, out: Path, emulator: Emulator) -> None:
    """Synthesis keeps .terraform/ and the lock file, so no new init is needed."""
    synthesize(environment, config, out)
    write_overrides(out, emulator.url)


def check_passwords(runner: Runner, environment: str, config: dict, out: Path, emulator: Emulator) -> float:
    """Issue 18 on the applied environment (password_checks.py); returns the seconds it took."""
    start = time.monotonic()
    resynthesize(environment, password_checks.bigger_instances(config), out, emulator)
    runner.tf("data", "issue18-plan", "plan", "-input=false", "-no-color", "-out=issue18.tfplan")
    _, _, log = runner.tf("data", "issue18-show", "show", "-json", "issue18.tfplan")
    updated, replaced = password_checks.instance_class_plan(json.loads(log.read_text()))
    if len(updated) != 2 or replaced:
        raise E2EError(
            f"{environment}: db.t3.micro -> db.t3.small updates {updated} in place and replaces "
            f"{replaced or 'nothing'}; expected both instances updated and no parameter replaced (issue 18)"
        )
    print(
        f"e2e: {environment}: an instance-class change updates {len(updated)} databases in place, replaces no parameter"
    )

    parameters = password_checks.password_parameters(password_checks.load_stack(out, "data"))
    ssm = emulator.client("ssm", config["region"])

    def values() -> dict[str, str]:
        names = [n for names in parameters.values() for n in names]
        answer = ssm.get_parameters(Names=names, WithDecryption=True)  # type: ignore[attr-defined]
        return {p["Name"]: p["Value"] for p in answer["Parameters"]}

    before = password_checks.database_passwords(emulator.url)
    problems = password_checks.mismatches(before, parameters, values())
    if problems:
        raise E2EError(f"{environment}: after the first apply: " + "; ".join(problems))
    config_rotated = password_checks.rotated(config)
    resynthesize(environment, config_rotated, out, emulator)
    runner.tf("data", "rotate-apply", "apply", "-auto-approve", "-input=false", "-no-color")
    after = password_checks.database_passwords(emulator.url)
    problems = password_checks.mismatches(after, parameters, values())
    unchanged = [db for db in parameters if after.get(db) == before.get(db)]
    if problems or unchanged:
        raise E2EError(
            f"{environment}: rotation: " + "; ".join(problems + [f"{db} kept its password" for db in unchanged])
        )
    print(
        f"e2e: {environment}: credentialsVersion {config['data']['credentialsVersion']} -> "
        f"{config_rotated['data']['credentialsVersion']}: one apply wrote a new password to each database "
        "and to its parameters"
    )
    config["data"]["credentialsVersion"] = config_rotated["data"]["credentialsVersion"]
    return time.monotonic() - start


def final_snapshots(out: Path) -> dict[str, set[str]]:
    data = json.loads((out / "stacks" / "data" / "cdk.tf.json").read_text())
    names = {
        db["final_snapshot_identifier"]
        for db in data["resource"]["aws_db_instance"].values()
        if not db.get("skip_final_snapshot", False) and db.get("final_snapshot_identifier")
    }
    return {"rds snapshot": names} if names else {}


def run_isolated(environment: str, work: Path, fault_names: tuple[str, ...] = ()) -> Timing:
    """One environment against its own emulator, so environments can run side by side."""
    (work / environment).mkdir(parents=True)
    emulator = Emulator(work / environment / "moto.log")
    try:
        return run_environment(environment, work, emulator, environment == CDKTF_ENVIRONMENT, fault_names)
    finally:
        emulator.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("environments", nargs="+", choices=environments())
    parser.add_argument("--work", type=Path, default=ROOT / ".e2e")
    # Mostly waiting on the provider's pollers, so environments overlap well even on 2 cores.
    parser.add_argument("--jobs", type=int, default=3, help="environments at once (default 3)")
    parser.add_argument(
        "--faults", default="", help=f"comma-separated faults after the runtime stage ({', '.join(faults.FAULTS)})"
    )
    args = parser.parse_args(argv)
    fault_names = tuple(filter(None, args.faults.split(",")))
    if unknown := set(fault_names) - set(faults.FAULTS):
        parser.error(f"--faults: unknown {', '.join(sorted(unknown))}; allowed: {', '.join(faults.FAULTS)}")
    work: Path = args.work.resolve()
    if work.exists():
        subprocess.run(["rm", "-rf", str(work)], check=True)
    work.mkdir(parents=True)
    started = time.monotonic()
    results: dict[str, Timing] = {}
    failures: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_isolated, env, work, fault_names): env for env in args.environments}
        for future in as_completed(futures):
            environment = futures[future]
            try:
                results[environment] = future.result()
            except Exception as error:
                failures[environment] = str(error)
                print(f"e2e: FAILED: {environment}: {type(error).__name__}: {error}", file=sys.stderr)
    for environment, t in results.items():
        extra = "".join(f", {k} {v:.0f} s" for k, v in t.extra.items())
        print(
            f"e2e: {environment}: {t.resources} resources; apply {t.apply:.0f} s, plan {t.plan:.0f} s, "
            f"destroy {t.destroy:.0f} s{extra}"
        )
        print(t.runtime)
    (work / "timings.json").write_text(json.dumps({k: vars(v) for k, v in results.items()}, indent=2))
    wall = time.monotonic() - started
    if failures:
        print(f"e2e: {', '.join(failures)} FAILED ({wall:.0f} s); logs kept in {work}", file=sys.stderr)
        return 1
    print(
        f"make e2e: {', '.join(args.environments)}: applied, planned clean and destroyed against moto in {wall:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
