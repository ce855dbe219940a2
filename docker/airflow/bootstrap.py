"""Start-up helpers for the Airflow containers, called by entrypoint.sh.

Standard library only: these steps run before Airflow is imported, must work in the base image
whatever it ships (no reliance on pg_isready or rsync), and are tested outside the image.

    bootstrap.py wait-for-db          wait until PostgreSQL answers, or fail after a timeout
    bootstrap.py wait-for-execution-api   wait until the api-server's Execution API answers (3.x scheduler)
    bootstrap.py seed-dags SRC DST    copy the image's DAGs onto the (EFS) DAGs folder if they changed
    bootstrap.py has-user FILE NAME   exit 0 if `airflow users export` FILE lists user NAME, else 1
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import socket
import struct
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

CONN_VAR = "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
TIMEOUT_VAR = "AIRFLOW_DB_WAIT_TIMEOUT"
DEFAULT_TIMEOUT_S = 300
DEFAULT_PORT = 5432
RETRY_INTERVAL_S = 2.0

# PostgreSQL's SSLRequest: length 8, code 1234.5679. The postmaster answers one byte, 'S' or 'N',
# without credentials. That is what pg_isready establishes too, without needing the client package.
SSL_REQUEST = struct.pack("!ii", 8, 80877103)

# Written into the DAGs folder; dot-files are never parsed by Airflow.
SEED_MARKER = ".image-dags-sha256"
SEED_LOCK = ".image-dags.lock"
# Left alone in both directions: Python's byte-code caches belong to whoever imported the DAGs.
IGNORED_NAMES = {"__pycache__", SEED_MARKER, SEED_LOCK}


def log(message: str) -> None:
    print(f"[bootstrap] {message}", file=sys.stderr, flush=True)


class UserError(Exception):
    """A problem the operator can fix; reported as one line, without a stack trace."""


# --- wait-for-db -----------------------------------------------------------------------------


def db_address(environ: dict[str, str]) -> tuple[str, int]:
    """Host and port of the metadata database. The URL holds the password: never print it."""
    url = environ.get(CONN_VAR, "")
    if not url:
        raise UserError(f"{CONN_VAR} is not set; the task definition must inject it as a secret")
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise UserError(f"{CONN_VAR} is not a valid URL (the port is not a number)") from None
    if not parts.scheme.startswith("postgresql"):
        raise UserError(f"{CONN_VAR} must be a postgresql:// URL (got scheme {parts.scheme or '(none)'!r})")
    if not parts.hostname:
        raise UserError(f"{CONN_VAR} has no host")
    return parts.hostname, port


def wait_timeout(environ: dict[str, str], variable: str = TIMEOUT_VAR, default: float = DEFAULT_TIMEOUT_S) -> float:
    """Seconds to wait, from `variable` (a positive number) or the default."""
    raw = environ.get(variable, f"{default:g}")
    try:
        value = float(raw)
    except ValueError:
        value = -1
    if value <= 0:
        raise UserError(f"{variable} must be a positive number of seconds (got {raw!r})")
    return value


def probe(host: str, port: int, timeout: float) -> str | None:
    """None when a PostgreSQL server answers on host:port, else why not."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(SSL_REQUEST)
            answer = sock.recv(1)
    except socket.gaierror as exc:
        return f"cannot resolve {host}: {exc.strerror}"
    except OSError as exc:
        return exc.strerror or exc.__class__.__name__
    if answer in (b"S", b"N"):
        return None
    if not answer:
        return "connection closed without a PostgreSQL answer"
    return f"unexpected answer {answer!r}, not a PostgreSQL server"


def wait_for_db(environ: dict[str, str]) -> int:
    host, port = db_address(environ)
    timeout = wait_timeout(environ)
    deadline = time.monotonic() + timeout
    log(f"waiting up to {timeout:g}s for PostgreSQL at {host}:{port}")
    attempts = 0
    while True:
        attempts += 1
        remaining = deadline - time.monotonic()
        problem = probe(host, port, timeout=max(0.1, min(5.0, remaining)))
        if problem is None:
            log(f"PostgreSQL at {host}:{port} is accepting connections")
            return 0
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise UserError(
                f"PostgreSQL at {host}:{port} not reachable after {timeout:g}s "
                f"({attempts} attempts; last error: {problem}). Check the RDS instance, the "
                f"security groups (tasks -> RDS on {port}) and {CONN_VAR}; "
                f"raise {TIMEOUT_VAR} if the database is only slow to start"
            )
        time.sleep(min(RETRY_INTERVAL_S, remaining))


# --- wait-for-execution-api -------------------------------------------------------------------

EXECUTION_API_VAR = "AIRFLOW__CORE__EXECUTION_API_SERVER_URL"
EXECUTION_API_TIMEOUT_VAR = "AIRFLOW_EXECUTION_API_WAIT_TIMEOUT"
DEFAULT_EXECUTION_API_TIMEOUT_S = 600


def execution_api_health(environ: dict[str, str]) -> str:
    """The Execution API's health route: `{EXECUTION_API_SERVER_URL}health` (Airflow's own)."""
    url = environ.get(EXECUTION_API_VAR, "")
    if not url.startswith(("http://", "https://")):
        raise UserError(f"{EXECUTION_API_VAR} must be the api-server's http(s) URL ending in /execution/ (got {url!r})")
    return url.rstrip("/") + "/health"


def http_problem(url: str, timeout: float) -> str | None:
    """None when `url` answers 200, else why not."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - http(s) checked above
            return None if answer.status == 200 else f"HTTP {answer.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return str(getattr(exc, "reason", None) or exc)


def wait_for_execution_api(environ: dict[str, str]) -> int:
    """The scheduler's task processes report to the Execution API from their first second: started
    before the api-server answers (a cold start; on ECS, until Cloud Map registers the api-server's
    task), they fail with `Connection refused` and go up for retry. So the scheduler waits for it."""
    if not environ.get(EXECUTION_API_VAR):
        log(f"{EXECUTION_API_VAR} is not set: Airflow's default applies, not waiting for it")
        return 0
    url = execution_api_health(environ)
    timeout = wait_timeout(environ, EXECUTION_API_TIMEOUT_VAR, DEFAULT_EXECUTION_API_TIMEOUT_S)
    deadline = time.monotonic() + timeout
    log(f"waiting up to {timeout:g}s for the Execution API at {url}")
    while (problem := http_problem(url, timeout=max(0.1, min(5.0, deadline - time.monotonic())))) is not None:
        if time.monotonic() >= deadline:
            raise UserError(
                f"the Execution API at {url} did not answer within {timeout:g}s (last: {problem}). Is the "
                f"api-server running and registered in Cloud Map, and may this task reach it on its port? "
                f"Raise {EXECUTION_API_TIMEOUT_VAR} if it is only slow to start"
            )
        time.sleep(min(RETRY_INTERVAL_S, max(0.0, deadline - time.monotonic())))
    log(f"the Execution API at {url} answers")
    return 0


# --- seed-dags -------------------------------------------------------------------------------


def dag_files(root: Path) -> list[Path]:
    """Paths (relative to root) of the files that make up a DAGs tree, in a stable order."""
    found = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in IGNORED_NAMES)
        for name in sorted(files):
            if name not in IGNORED_NAMES and not name.endswith(".pyc"):
                found.append(Path(directory, name).relative_to(root))
    return found


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for rel in dag_files(root):
        digest.update(str(rel).encode() + b"\0")
        digest.update(hashlib.sha256((root / rel).read_bytes()).digest())
    return digest.hexdigest()


def replace_file(src: Path, dst: Path) -> None:
    """Copy so that a reader never sees a half-written DAG: write aside, then rename."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.seeding")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def sync_tree(src: Path, dst: Path) -> tuple[int, int]:
    """Make dst hold exactly src's DAG files; return (files written, files removed)."""
    wanted = set(dag_files(src))
    written = removed = 0
    for rel in sorted(wanted):
        target = dst / rel
        if not target.is_file() or target.read_bytes() != (src / rel).read_bytes():
            replace_file(src / rel, target)
            written += 1
    for rel in dag_files(dst):
        if rel not in wanted:
            (dst / rel).unlink()
            removed += 1
    # Empty directories left behind by removed files (bottom-up so parents empty out too).
    for directory, subdirs, files in os.walk(dst, topdown=False):
        path = Path(directory)
        if path != dst and not files and not subdirs and path.name not in IGNORED_NAMES:
            try:
                path.rmdir()
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
    return written, removed


def seed_dags(src: Path, dst: Path) -> int:
    if not src.is_dir():
        raise UserError(f"the image has no DAGs at {src}")
    if not dst.is_dir():
        raise UserError(f"the DAGs folder {dst} does not exist (is the EFS volume mounted?)")
    if not os.access(dst, os.W_OK):
        raise UserError(
            f"the DAGs folder {dst} is not writable by uid {os.getuid()} "
            "(check the EFS access point's owner); set AIRFLOW_SEED_DAGS=false to skip seeding"
        )
    version = tree_digest(src)
    marker = dst / SEED_MARKER
    # Webserver and scheduler may start together on the same EFS folder: one copies, the other
    # waits for the lock (EFS supports POSIX locks) and then finds the marker already up to date.
    with open(dst / SEED_LOCK, "a") as lock:
        fcntl.lockf(lock, fcntl.LOCK_EX)
        seeded = marker.read_text().strip() if marker.is_file() else ""
        if seeded == version:
            log(f"DAGs in {dst} already match the image ({version[:12]})")
            return 0
        written, removed = sync_tree(src, dst)
        tmp = marker.with_name(f"{SEED_MARKER}.tmp")
        tmp.write_text(version + "\n")
        os.replace(tmp, marker)
    log(
        f"seeded DAGs in {dst} from the image ({seeded[:12] or 'none'} -> {version[:12]}: "
        f"{written} written, {removed} removed)"
    )
    return 0


# --- has-user --------------------------------------------------------------------------------


def has_user(export_file: Path, username: str) -> int:
    try:
        users = json.loads(export_file.read_text())
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read the user export {export_file}: {exc}") from None
    return 0 if any(user.get("username") == username for user in users) else 1


def main(argv: list[str]) -> int:
    try:
        match argv:
            case ["wait-for-db"]:
                return wait_for_db(dict(os.environ))
            case ["wait-for-execution-api"]:
                return wait_for_execution_api(dict(os.environ))
            case ["seed-dags", src, dst]:
                return seed_dags(Path(src), Path(dst))
            case ["has-user", export_file, username]:
                return has_user(Path(export_file), username)
            case _:
                print(__doc__, file=sys.stderr)
                return 2
    except UserError as exc:
        log(f"ERROR: {exc}")
        return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
