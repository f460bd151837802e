"""The distributed deployment, for real: `scripts/cluster.py` (what `make cluster` runs) starts
PostgreSQL, Redis and the S3 server from the lock, Airflow with the Celery executor and two
workers. Through the REST API the ingest DAGs of three collections are triggered at once; their
mapped tasks must run on both workers and the Asset-triggered ipetl_publish must publish them.
Then a worker is SIGKILLed (its whole process group, as if its host died) in the middle of a
mapped normalize task: the task must be retried on the other worker and the lake must end
identical to an undisturbed `ipetl run` over the same deliveries.

The lake (DuckLake: its catalog in the cluster's PostgreSQL, its data on the cluster's S3 server)
is read the way a user reads it, `ipetl query` with the cluster's lake settings (LAKE_SETTINGS).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ipetl import devservers
from ipetl.processes import group_alive
from tests.test_airflow_scheduler import Api

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from normalize_bench import BENCHES, generate  # noqa: E402  (the benchmark's daily-XML generators)

MIRROR = ROOT / "samples" / "mirror"
IPETL = ROOT / ".venv" / "bin" / "ipetl"
COLLECTIONS = ("khtm", "altm", "iltm")  # 1 + 1 + 4 deliveries in samples/mirror
BIG_DELIVERY = "apc-generated.xml"  # ustm; no date in the name: taken by whichever run sees it first
BIG_MB = 40  # large enough that its normalize runs for a few seconds
RUN_TIMEOUT = 240
# The lake of the DuckLake issue: the catalog and data settings every component is given.
LAKE_SETTINGS = (
    "IPETL_CATALOG",
    "IPETL_DATA",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
)


class ClusterApi(Api):
    """The REST API v2 (tests/test_airflow_scheduler.Api), plus what this test asks of it."""

    def json(self, path: str, **params) -> dict:
        response = self.get(path, **params)
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
        return response.json()

    def trigger(self, dag_id: str) -> str:
        """Run the DAG's next interval, then unpause it (the interval, taken, is not scheduled again)."""
        dag = self.json(f"/dags/{dag_id}")
        interval = {k: dag[f"next_dagrun_{k}"] for k in ("logical_date", "data_interval_start", "data_interval_end")}
        run = self.send("POST", f"/dags/{dag_id}/dagRuns", interval)
        self.send("PATCH", f"/dags/{dag_id}", {"is_paused": False})
        return run["dag_run_id"]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        return self.json(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]

    def finished(self, dag_id: str, run_id: str) -> str | None:
        state = self.json(f"/dags/{dag_id}/dagRuns/{run_id}")["state"]
        return state if state in ("success", "failed") else None


def wait(what: str, probe, logs: Path, timeout: float = RUN_TIMEOUT, every: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(every)
    tails = "\n".join(
        f"== {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        for log in sorted(logs.glob("*.log"))
    )
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}; the cluster's logs end:\n{tails}")


def lake(home: Path, sql: str, settings: dict[str, str] | None = None) -> list[dict]:
    """Rows of the published lake, read with `ipetl query` (and the lake settings, if given)."""
    env = {k: v for k, v in os.environ.items() if k not in LAKE_SETTINGS} | (settings or {})
    done = subprocess.run(
        [str(IPETL), "query", sql, "--format", "json", "--home", str(home)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def published(home: Path, settings: dict[str, str] | None = None) -> list[dict]:
    """Every published trademark, in key order, without the time it was normalized."""
    return lake(home, "select * exclude (ingested_at) from trademarks order by st13", settings)


@pytest.fixture(scope="module")
def mirror(tmp_path_factory) -> Path:
    """The samples of COLLECTIONS, and a ustm directory where the big delivery goes later."""
    root = tmp_path_factory.mktemp("mirror")
    for cid in COLLECTIONS:
        shutil.copytree(MIRROR / cid, root / cid)
    (root / "ustm").mkdir()
    return root


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, mirror):
    directory = tmp_path_factory.mktemp("cluster")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "IPETL_", "AWS_")) and k != "NETRC"},
        "IPETL_MIRROR": str(mirror),  # the registry's local sources: {mirror}/<collection>
        # a task whose worker died is failed (then retried) 20 s after its last heartbeat
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "2",
    }
    script = [sys.executable, str(ROOT / "scripts" / "cluster.py")]
    started = subprocess.run([*script, "start", "--dir", str(directory), "--port", str(devservers.free_port())],
                             env=env, capture_output=True, text=True, timeout=400)  # fmt: skip
    state_file = directory / "cluster.json"
    try:
        assert started.returncode == 0, started.stderr + started.stdout
        state = json.loads(state_file.read_text())
        yield state, ClusterApi(state["api"], state["password"])
    finally:
        pgids = [p["pgid"] for p in json.loads(state_file.read_text())["processes"]] if state_file.exists() else []
        stopped = subprocess.run(
            [*script, "stop", "--dir", str(directory)], env=env, capture_output=True, text=True, timeout=120
        )
        assert stopped.returncode == 0, stopped.stderr
        assert [pgid for pgid in pgids if group_alive(pgid)] == []


def cluster_settings(state: dict) -> dict[str, str]:
    """The lake settings the cluster gave its components (from DIR/cluster.env)."""
    found = {}
    for line in Path(state["env_file"]).read_text().splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        if key in LAKE_SETTINGS:
            found[key] = value.strip("'")
    return found


def test_celery_workers_share_the_runs_survive_a_killed_worker_and_publish_the_same_lake(cluster, mirror, tmp_path):
    state, api = cluster
    home, logs = Path(state["ipetl_home"]), Path(state["dir"]) / "logs"
    assert cluster_settings(state)["IPETL_CATALOG"].startswith("postgres:dbname=ipetl_catalog host=127.0.0.1")
    assert cluster_settings(state)["IPETL_DATA"] == "s3://ipetl-lake/lake/"
    wait(
        "the DAGs to be parsed",
        lambda: all(api.get(f"/dags/{cid}_ingest").status_code == 200 for cid in (*COLLECTIONS, "ustm")),
        logs,
        120,
    )
    api.send("PATCH", "/dags/ipetl_publish", {"is_paused": False})

    # 1. Three collections at once: their mapped fetch and normalize tasks run on both workers.
    runs = {f"{cid}_ingest": api.trigger(f"{cid}_ingest") for cid in COLLECTIONS}
    for dag_id, run_id in runs.items():
        assert wait(f"{dag_id} to finish", lambda d=dag_id, r=run_id: api.finished(d, r), logs) == "success"
    mapped = [
        ti for dag_id, run_id in runs.items() for ti in api.task_instances(dag_id, run_id) if ti["map_index"] >= 0
    ]
    assert len(mapped) == 2 * (1 + 1 + 4)  # fetch and normalize, once per delivery
    assert {ti["state"] for ti in mapped} == {"success"}
    assert {ti["hostname"] for ti in mapped} == {"worker1", "worker2"}  # each worker ran some
    assert {ti["pool"] for ti in mapped if ti["task_id"] == "fetch"} == {"fetch_local"}  # the mirror's pool

    def publishes_done(count: int):
        runs = api.json("/dags/ipetl_publish/dagRuns")["dag_runs"]
        done = [r for r in runs if r["state"] in ("success", "failed")]
        return (
            done
            if len(done) == len(runs) >= count
            and not api.json("/dags/ipetl_publish/dagRuns", state="queued")["total_entries"]
            else None
        )

    publishes = wait("the Asset-triggered ipetl_publish runs", lambda: publishes_done(1), logs)
    assert {(r["run_type"], r["state"]) for r in publishes} == {("asset_triggered", "success")}
    wait("every staged batch to be published", lambda: not list((home / "staging").glob("*/*/batch.json")), logs)
    # samples/mirror/khtm/khtm.xml: <ApplicationNumber>KH/673426/M</ApplicationNumber>, <ApplicationDate>2015-08-06
    settings = cluster_settings(state)  # the cluster's lake: catalog in its PostgreSQL, data on its S3 server
    assert lake(
        home, "select st13, application_date::varchar as day from trademarks where office = 'KH'", settings
    ) == [{"st13": "KH50201500673426M", "day": "2015-08-06"}]
    # one mark per sample file: altm.xml, khtm.xml, and the four iltm files (<OFFICENUMBER> each)
    assert lake(home, "select collection, count(*) as n from trademarks group by all order by 1", settings) == [
        {"collection": "altm", "n": 1},
        {"collection": "iltm", "n": 4},
        {"collection": "khtm", "n": 1},
    ]

    # 2. A big ustm delivery; its worker is SIGKILLed while the normalize task runs.
    records = generate(BENCHES["ustm"], mirror / "ustm" / BIG_DELIVERY, BIG_MB)
    api.send("POST", "/variables", {"key": "ipetl_source_ustm", "value": str(mirror / "ustm")})
    run_id = api.trigger("ustm_ingest")
    spool = home / "staging" / ".work" / "ustm"

    def normalizing():  # the task has started writing the delivery's spool: normalize_delivery runs
        if not any(spool.glob(f"*/{BIG_DELIVERY}/*")):
            return None
        return next(
            (
                ti
                for ti in api.task_instances("ustm_ingest", run_id)
                if ti["task_id"] == "normalize" and ti["state"] == "running"
            ),
            None,
        )

    victim = wait("the big delivery's normalize task to run", normalizing, logs, every=0.1)
    worker = next(p for p in state["processes"] if p["name"] == victim["hostname"])
    os.killpg(worker["pgid"], signal.SIGKILL)
    assert wait("ustm_ingest to finish", lambda: api.finished("ustm_ingest", run_id), logs) == "success"
    normalize = next(ti for ti in api.task_instances("ustm_ingest", run_id) if ti["task_id"] == "normalize")
    survivor = ({"worker1", "worker2"} - {victim["hostname"]}).pop()
    assert (normalize["state"], normalize["try_number"], normalize["hostname"]) == ("success", 2, survivor)
    wait(
        "ustm's batch to be published",
        lambda: publishes_done(2) and not list((home / "staging").glob("*/*/batch.json")),
        logs,
    )

    # 3. The lake equals an undisturbed run of the same deliveries in one process.
    reference = tmp_path / "reference"
    collections = (f"--collection={c}" for c in (*COLLECTIONS, "ustm"))
    done = subprocess.run(
        [str(IPETL), "run", "--source", str(mirror), "--home", str(reference), *collections],
        env={k: v for k, v in os.environ.items() if k not in LAKE_SETTINGS},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = published(home, settings)
    ustm = sum(1 for r in rows if r["collection"] == "ustm")
    assert 0.5 * records < ustm <= records  # at most one row per generated case-file (some are deleted ones)
    assert rows == published(reference)
