"""`make review PLAN=1`: update versus replace as Terraform decides it, without an AWS account.

    python tools/review/plan.py --base-root <base worktree> --work .review-plan --out plan.json hackathon ...

Per environment, against its own moto_server (the e2e machinery, tools/e2e/run.py): the base
revision is synthesized with the base's own app and applied, every stack in deploy order; then the
working tree is synthesized into the same folder (Terraform's .terraform/ and state stay) and
each stack planned against that state. `terraform show -json` of each plan gives every resource's
actions (["update"], ["delete", "create"], ...) and the paths that force a replacement; they are
written to --out as {"environments": {<environment>: {"changes": [...], "seconds": {...}}}}.
Needs TERRAFORM and TF_CLI_CONFIG_FILE (tools/terraform/tools.sh).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "e2e"))

import run as e2e  # noqa: E402  (the e2e scripts import each other as top-level modules)


def resource_changes(stack: str, plan: dict) -> list[dict]:
    """The managed resources a plan changes, as `<stack>/<address>` with their actions."""
    changes = []
    for change in plan.get("resource_changes", []):
        actions = change["change"]["actions"]
        if change.get("mode") != "managed" or actions == ["no-op"]:
            continue
        paths = change["change"].get("replace_paths") or []
        changes.append(
            {
                "address": f"{stack}/{change['address']}",
                "actions": actions,
                "replacePaths": [".".join(str(step) for step in path) for path in paths],
            }
        )
    return changes


#: Applied one after the other; then the two compute stacks at once (neither reads the other).
SERIAL_STACKS = ("state", "network", "data")
COMPUTE_STACKS = ("airflow", "video-pipeline")


def apply_base(runner: e2e.Runner) -> None:
    """The e2e apply (init and apply per stack in deploy order), the compute stacks side by side."""

    def apply(stack: str) -> None:
        runner.tf(stack, "init", "init", "-input=false", "-no-color")
        runner.tf(stack, "apply", "apply", "-auto-approve", "-input=false", "-no-color")

    for stack in SERIAL_STACKS:
        apply(stack)
    with ThreadPoolExecutor(max_workers=len(COMPUTE_STACKS)) as pool:
        list(pool.map(apply, COMPUTE_STACKS))


def plan_stack(runner: e2e.Runner, stack: str) -> list[dict]:
    # A new provider in the working tree needs its init; otherwise it takes seconds (local mirror).
    runner.tf(stack, "review-init", "init", "-input=false", "-no-color")
    runner.tf(stack, "review-plan", "plan", "-input=false", "-no-color", "-out=review.tfplan")
    _, _, log = runner.tf(stack, "review-show", "show", "-json", "review.tfplan")
    return resource_changes(stack, json.loads(log.read_text()))


def plan_environment(environment: str, base_root: Path, work: Path) -> dict:
    directory = work / environment
    directory.mkdir(parents=True)
    out = directory / "cdktf.out"
    emulator = e2e.Emulator(directory / "moto.log")
    try:
        runner = e2e.Runner(environment, out, directory / "logs", e2e.child_env(emulator))
        start = time.monotonic()
        base_config = e2e.e2e_config(environment, base_root)
        e2e.synthesize(environment, base_config, out, base_root)
        e2e.write_overrides(out, emulator.url)
        if environment == "learner-lab":
            e2e.create_lab_role(emulator, base_config["region"])
        apply_base(runner)
        applied = time.monotonic() - start
        print(f"review: {environment}: base applied to moto in {applied:.0f} s", file=sys.stderr)

        start = time.monotonic()
        e2e.synthesize(environment, e2e.e2e_config(environment), out)
        e2e.write_overrides(out, emulator.url)
        # Plans only read: every stack at once, against the state the base left.
        with ThreadPoolExecutor(max_workers=len(e2e.STACKS)) as pool:
            per_stack = list(pool.map(lambda stack: plan_stack(runner, stack), e2e.STACKS))
        changes = [change for stack_changes in per_stack for change in stack_changes]
        planned = time.monotonic() - start
        print(f"review: {environment}: working tree planned in {planned:.0f} s", file=sys.stderr)
        return {"changes": changes, "seconds": {"apply base": round(applied), "plan": round(planned)}}
    finally:
        emulator.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("environments", nargs="+")
    parser.add_argument("--base-root", type=Path, required=True)
    parser.add_argument("--work", type=Path, default=ROOT / ".review-plan")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    work = args.work.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    # Mostly the provider's waiting, so environments overlap well even on 2 cores (as in make e2e).
    with ThreadPoolExecutor(max_workers=len(args.environments)) as pool:
        futures = {env: pool.submit(plan_environment, env, args.base_root.resolve(), work) for env in args.environments}
        try:
            results = {env: future.result() for env, future in futures.items()}
        except e2e.E2EError as error:
            print(f"review: PLAN=1 failed: {error}", file=sys.stderr)
            return 1
    args.out.write_text(json.dumps({"environments": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
