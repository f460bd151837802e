"""`make cluster` / `make cluster-stop`: a real multi-process Airflow deployment on one machine.

    scripts/cluster.py start [--dir DIR] [--port 8080] [--workers 2]
    scripts/cluster.py stop  [--dir DIR]

start: PostgreSQL (the Airflow metadata DB `airflow` and the lake catalog DB `ipetl_catalog`),
Redis (the Celery broker) and an S3-compatible server (bucket `ipetl-lake`, the lake's data),
all from wheels pinned in uv.lock (ipetl.devservers); then `airflow db migrate`, one pool per
office host (dags/_settings.fetch_pools), and the api-server, scheduler, dag-processor,
triggerer and N `airflow celery worker`s (hostnames worker1@..., worker2@...). Every process
runs in its own process group; their pids go to DIR/cluster.json as they start, so `stop`
(and a start that fails half-way) stops exactly those groups: SIGTERM, SIGKILL after a grace
period. DIR/cluster.env holds the settings every component was given (source it to run the
`airflow` CLI against the cluster); it holds secrets and is mode 0600.

The cluster is throw-away: the S3 server keeps objects in memory, so `start` begins from an
empty DIR. A setting already in the environment (AIRFLOW__*, IPETL_*, AWS_*) wins over the
defaults below.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import requests
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dags._settings import fetch_pools  # noqa: E402
from ipetl import devservers  # noqa: E402
from ipetl.processes import group_alive  # noqa: E402

SERVERS = ("postgres", "redis", "s3")
STATE = "cluster.json"
ENV_FILE = "cluster.env"
BUCKET = "ipetl-lake"
START_TIMEOUT = 240.0  # seconds for the components to report healthy
STOP_GRACE = 20.0
SETTINGS_PREFIXES = ("AIRFLOW__", "AIRFLOW_VAR_", "IPETL_", "AWS_")


class ClusterError(RuntimeError):
    """A one-line reason the cluster could not start."""


def _save(state_file: Path, state: dict) -> None:
    state_file.write_text(json.dumps(state, indent=1))
    state_file.chmod(0o600)


def _record(state_file: Path, state: dict, name: str, pid: int, log: Path) -> None:
    """Remember a started process group at once, so that stop finds it even if start dies next."""
    state["processes"].append({"name": name, "pgid": pid, "log": str(log)})
    _save(state_file, state)


def _settings(
    directory: Path, port: int, pg: devservers.Server, redis: devservers.Server, s3: devservers.Server
) -> dict[str, str]:
    """The environment every component (and every worker, on any host) is given."""
    # psycopg2, named: SQLAlchemy 2.1 takes a bare postgresql:// for psycopg (v3)
    airflow_db_psycopg2 = devservers.create_database(pg, "airflow").replace(
        "postgresql://", "postgresql+psycopg2://", 1
    )
    devservers.create_database(pg, "ipetl_catalog")
    lake = devservers.create_bucket(s3, BUCKET)
    base_url = f"http://127.0.0.1:{port}"
    settings = {
        "AIRFLOW_HOME": str(directory / "airflow-home"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__PARALLELISM": "8",
        "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),  # the same on every host
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",  # where workers' tasks report
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "dags._settings.hostname",  # worker1@..., worker2@...
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow_db_psycopg2,
        "AIRFLOW__CELERY__BROKER_URL": redis.url,
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + airflow_db_psycopg2,
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
        "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "86400",  # > the longest task
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base_url,
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),  # the same on every host
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),  # the same on every host
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "600",
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(devservers.free_port()),
        "AIRFLOW_VAR_IPETL_HOME": str(directory / "ipetl-home"),
        # The lake (the DuckLake issue): catalog in PostgreSQL, data on the S3 server.
        "IPETL_CATALOG": "postgres:" + pg.libpq("ipetl_catalog"),
        "IPETL_DATA": f"s3://{lake.bucket}/lake/",
        **lake.env,
        "GX_ANALYTICS_ENABLED": "false",
        "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
    }
    settings.update({k: v for k, v in os.environ.items() if k.startswith(SETTINGS_PREFIXES)})
    return settings


def _components(workers: int) -> list[tuple[str, list[str], dict[str, str]]]:
    """(name, argv, extra environment) of each long-running Airflow process."""
    found: list[tuple[str, list[str], dict[str, str]]] = [
        ("api-server", ["airflow", "api-server"], {}),
        ("scheduler", ["airflow", "scheduler"], {}),
        ("dag-processor", ["airflow", "dag-processor"], {}),
        ("triggerer", ["airflow", "triggerer"], {}),
    ]
    for n in range(1, workers + 1):
        name = f"worker{n}"
        found.append((
            name,
            ["airflow", "celery", "worker", "-H", f"{name}@%h"],
            # several workers on one machine: each its own log server port and task hostname
            {"AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(devservers.free_port()), "IPETL_WORKER_HOSTNAME": name},
        ))  # fmt: skip
    return found


def _airflow(args: list[str], env: dict[str, str], log: Path) -> None:
    with open(log, "ab") as out:
        done = subprocess.run(
            ["airflow", *args], env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False
        )
    if done.returncode:
        raise ClusterError(f"airflow {' '.join(args)} failed (exit {done.returncode}); see {log}")


def _wait_healthy(base_url: str, worker_logs: list[Path], started: dict[str, subprocess.Popen], state: dict) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
    while time.monotonic() < deadline:
        dead = [name for name, proc in started.items() if proc.poll() is not None]
        if dead:
            raise ClusterError(f"{', '.join(dead)} exited while starting; see {state['dir']}/logs/")
        try:
            health = requests.get(f"{base_url}/api/v2/monitor/health", timeout=5).json()
            api_ok = all(health[part]["status"] == "healthy" for part in parts)
        except (requests.RequestException, ValueError, KeyError):
            api_ok = False
        if api_ok and all(" ready." in log.read_text(errors="replace") for log in worker_logs):
            return
        time.sleep(2)
    raise ClusterError(f"not healthy within {START_TIMEOUT:.0f} s; see {state['dir']}/logs/")


def start(directory: Path, port: int, workers: int) -> dict:
    """Start everything; the state (also in DIR/cluster.json). On failure, stop what started."""
    directory = directory.absolute()
    state_file = directory / STATE
    if state_file.exists() and any(group_alive(p["pgid"]) for p in json.loads(state_file.read_text())["processes"]):
        raise ClusterError(f"a cluster is running from {directory}: make cluster-stop first")
    shutil.rmtree(directory, ignore_errors=True)
    logs = directory / "logs"
    logs.mkdir(parents=True)
    state: dict = {"dir": str(directory), "processes": []}
    _save(state_file, state)
    try:
        servers = {}
        launchers = (devservers.start_postgres, devservers.start_redis, devservers.start_s3)
        for name, launch in zip(SERVERS, launchers, strict=True):
            servers[name] = launch(directory / name)
            _record(state_file, state, name, servers[name].pid, servers[name].log)
        env = _settings(directory, port, servers["postgres"], servers["redis"], servers["s3"])
        home = Path(env["AIRFLOW_HOME"])
        home.mkdir(parents=True)
        password = secrets.token_urlsafe(12)
        (home / "simple_auth_manager_passwords.json.generated").write_text(json.dumps({"admin": password}))
        env_file = directory / ENV_FILE
        env_file.write_text("".join(f"export {k}='{v}'\n" for k, v in sorted(env.items())))
        env_file.chmod(0o600)
        _airflow(["db", "migrate"], env, logs / "setup.log")
        pools = directory / "pools.json"
        pools.write_text(json.dumps(fetch_pools(), indent=1))
        _airflow(["pools", "import", str(pools)], env, logs / "setup.log")
        started: dict[str, subprocess.Popen] = {}
        for name, argv, extra in _components(workers):
            log = logs / f"{name}.log"
            with open(log, "ab") as out:
                proc = subprocess.Popen(
                    argv, env={**env, **extra}, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True, cwd=directory,
                )  # fmt: skip
            _record(state_file, state, name, proc.pid, log)
            started[name] = proc
        state.update(
            api=env["AIRFLOW__API__BASE_URL"],
            user="admin",
            password=password,
            env_file=str(env_file),
            ipetl_home=env["AIRFLOW_VAR_IPETL_HOME"],
            workers=[f"worker{n}" for n in range(1, workers + 1)],
        )
        _save(state_file, state)
        _wait_healthy(state["api"], [logs / f"worker{n}.log" for n in range(1, workers + 1)], started, state)
    except BaseException:
        stop(directory)
        raise
    return state


def stop(directory: Path) -> list[str]:
    """Stop the process groups DIR/cluster.json names (Airflow's, then the servers); their names."""
    state_file = directory.absolute() / STATE
    if not state_file.exists():
        return []
    processes = json.loads(state_file.read_text())["processes"]
    airflow = [p["pgid"] for p in processes if p["name"] not in SERVERS]
    devservers.stop_groups(airflow, STOP_GRACE)  # Airflow first: it needs its database to stop cleanly
    devservers.stop_groups([p["pgid"] for p in processes if p["name"] in SERVERS], STOP_GRACE)
    state_file.unlink()
    return [p["name"] for p in reversed(processes)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("start", "stop"))
    parser.add_argument("--dir", type=Path, default=ROOT / "cluster-home", help="where the cluster keeps everything")
    parser.add_argument("--port", type=int, default=8080, help="the API server and UI port on 127.0.0.1")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    try:
        if args.action == "stop":
            stopped = stop(args.dir)
            print(f"stopped: {', '.join(stopped)}" if stopped else f"no cluster state in {args.dir.absolute()}")
            return 0
        state = start(args.dir, args.port, args.workers)
    except (ClusterError, devservers.ServerError) as exc:
        print(f"cluster: {exc}", file=sys.stderr)
        return 1
    print(
        f"cluster up: UI and REST API {state['api']} (user admin, password {state['password']})\n"
        f"  workers {', '.join(state['workers'])}; IPETL home {state['ipetl_home']}; logs {state['dir']}/logs/\n"
        f"  airflow CLI: . {state['env_file']} && airflow dags list\n"
        f"  stop: make cluster-stop"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
