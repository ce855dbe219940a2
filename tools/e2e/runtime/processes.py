"""Local processes standing in for containers: started in their own process group, waited for with
progress, stopped by their PID; a failure names the service and prints the end of its log.

Reusable beyond `make e2e` (`make local` starts the same processes and keeps them up).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

#: A readiness probe: None when ready, else what is still wrong (shown as progress).
Probe = Callable[[], str | None]


class ServiceError(Exception):
    pass


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    log: Path
    popen: subprocess.Popen | None = field(default=None, repr=False)
    started: float = 0.0

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("w") as log:
            # Its own session: stop() signals the whole group (the entrypoint's exec chain, gunicorn's
            # workers, LocalExecutor's task processes), by this process's id.
            self.popen = subprocess.Popen(
                self.argv, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.started = time.monotonic()

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def exited(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def tail(self, lines: int = 40) -> str:
        if not self.log.is_file():
            return "(no log)"
        return "\n".join("    " + line for line in self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM to the group (what ECS sends on stop), SIGKILL after `timeout` seconds."""
        if self.popen is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.popen.wait(timeout=timeout)
                break
            except subprocess.TimeoutExpired:
                continue
        # The group may outlive its leader (a task process); make sure nothing of it is left.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        # Airflow's task runners move to process groups of their own (process_utils.set_new_process_group)
        # but stay in the session: a stopped container leaves none of them (issue 23, faults.py found them).
        for pid in alive_in_session(self.popen.pid, wait_s=0):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def alive_in_session(session: int, wait_s: float = 5) -> list[int]:
    """The processes of a session (a Process's, whose id is its leader's) still running after `wait_s`;
    zombies, which init has yet to reap, run nothing and do not count."""
    deadline = time.monotonic() + wait_s
    while True:
        alive = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # pid (comm) state ppid pgrp session ...: comm may hold spaces and parentheses.
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == session and fields[0] != "Z":
                alive.append(int(stat.parent.name))
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.5)


def stop_all(processes: list[Process]) -> None:
    """In reverse start order, so the UI (started first) stops last."""
    for process in reversed(processes):
        process.stop()


def wait_ready(
    probes: dict[str, Probe], processes: dict[str, Process], timeout: float, label: str, interval: float = 3.0
) -> dict[str, float]:
    """Wait until every probe passes; returns seconds to ready per name.

    Fails at once when a process exits, and at the deadline naming each probe that has not passed,
    with the end of that service's log. Prints what is still pending every 30 s.
    """
    start = time.monotonic()
    ready: dict[str, float] = {}
    last: dict[str, str] = {}
    next_progress = start + 30
    while True:
        for name, process in processes.items():
            code = process.exited()
            if code is not None:
                raise ServiceError(f"{label}: {name} exited {code} (log {process.log}):\n{process.tail()}")
        for name, probe in probes.items():
            if name in ready:
                continue
            problem = probe()
            if problem is None:
                ready[name] = time.monotonic() - start
            else:
                last[name] = problem
        now = time.monotonic()
        if len(ready) == len(probes):
            return ready
        if now - start > timeout:
            pending = [n for n in probes if n not in ready]
            details = "\n".join(f"  {n}: {last.get(n, '?')}\n{_tail_for(n, processes)}" for n in pending)
            raise ServiceError(f"{label}: not ready after {timeout:.0f} s:\n{details}")
        if now >= next_progress:
            pending = ", ".join(f"{n} ({last.get(n, '?')})" for n in probes if n not in ready)
            print(f"{label}: {now - start:.0f} s, waiting for {pending}", flush=True)
            next_progress = now + 30
        time.sleep(interval)


def _tail_for(probe_name: str, processes: dict[str, Process]) -> str:
    """The log of the process a probe belongs to (probe names start with the process name)."""
    for name, process in processes.items():
        if probe_name.startswith(name):
            return f"  log {process.log}:\n{process.tail(25)}"
    return ""


def run_check(command: str, env: dict[str, str], cwd: Path, timeout: float) -> str | None:
    """A container health check command (CMD-SHELL): None when it exits 0."""
    try:
        result = subprocess.run(
            ["/bin/sh", "-c", command], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return f"`{command}` timed out after {timeout:.0f} s"
    if result.returncode == 0:
        return None
    output = (result.stderr or result.stdout).strip().splitlines()
    return f"`{command}` exited {result.returncode}" + (f": {output[-1][:200]}" if output else "")
