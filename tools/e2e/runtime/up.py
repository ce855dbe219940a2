"""Apply one environment against moto and keep the emulator up, so the runtime stage can be rerun
against it without applying again (and, later, `make local`).

    python tools/e2e/runtime/up.py --work .e2e-up hackathon     # apply, plan clean; leave moto running
    python tools/e2e/runtime/stage.py --work .e2e-up hackathon  # the runtime stage, as often as needed
    python tools/e2e/runtime/up.py --work .e2e-up --update hackathon # apply the working tree's stacks again
    python tools/e2e/runtime/up.py --work .e2e-up --down hackathon   # stop that emulator by its PID

The emulator's address and PID are kept in <work>/<environment>/emulator.json. Needs what
`make e2e` needs (TF_CLI_CONFIG_FILE and TERRAFORM from tools/terraform/tools.sh, .venv-e2e).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import run

STATE_FILE = "emulator.json"


@dataclass(frozen=True)
class KeptUp:
    """What a later run needs to reach an environment applied by `up`."""

    environment: str
    url: str
    pid: int
    region: str
    out: str

    @classmethod
    def load(cls, work: Path, environment: str) -> KeptUp:
        path = work / environment / STATE_FILE
        if not path.is_file():
            raise run.E2EError(f"{path} not found: run `up.py --work {work} {environment}` first")
        return cls(**json.loads(path.read_text()))


def up(work: Path, environment: str, checks: bool = True) -> KeptUp:
    """Apply and keep the emulator up; `checks`: the second plan and issue 18's checks (run.deploy)."""
    directory = work / environment
    if directory.exists():
        down(work, environment)
        subprocess.run(["rm", "-rf", str(directory)], check=True)
    directory.mkdir(parents=True)
    emulator = run.Emulator(directory / "moto.log", detached=True)
    try:
        deployed = run.deploy(environment, work, emulator, through_cdktf=False, checks=checks)
    except BaseException:
        emulator.stop()
        raise
    assert emulator.process is not None
    kept = KeptUp(environment, emulator.url, emulator.process.pid, deployed.region, str(deployed.out))
    (directory / STATE_FILE).write_text(json.dumps(vars(kept), indent=2))
    print(f"up: {environment}: applied and kept up: moto pid {kept.pid} on {kept.url}")
    return kept


def update(work: Path, environment: str) -> None:
    """Synthesize the working tree again and apply every stack onto the environment kept up."""
    kept = KeptUp.load(work, environment)
    emulator = run.Emulator.attach(kept.url)
    out = Path(kept.out)
    run.resynthesize(environment, run.e2e_config(environment), out, emulator)
    runner = run.Runner(environment, out, work / environment / "logs", run.child_env(emulator))
    for stack in run.STACKS:
        runner.tf(stack, "update", "apply", "-auto-approve", "-input=false", "-no-color")
    print(f"up: {environment}: applied the working tree's stacks onto moto pid {kept.pid}")


def down(work: Path, environment: str) -> None:
    path = work / environment / STATE_FILE
    if not path.is_file():
        return
    kept = KeptUp.load(work, environment)
    try:
        os.kill(kept.pid, signal.SIGTERM)
        print(f"up: {environment}: stopped moto pid {kept.pid}")
    except ProcessLookupError:
        pass
    path.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("environment", choices=run.environments())
    parser.add_argument("--work", type=Path, default=run.ROOT / ".e2e-up")
    parser.add_argument("--down", action="store_true", help="stop the emulator kept up for the environment")
    parser.add_argument("--update", action="store_true", help="apply the working tree's stacks onto it again")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    try:
        if args.down:
            down(work, args.environment)
        elif args.update:
            update(work, args.environment)
        else:
            up(work, args.environment)
    except run.E2EError as error:
        print(f"up: {args.environment}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
