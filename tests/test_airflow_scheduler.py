"""The DAGs under a real Airflow: `scripts/airflow-standalone.sh` (what `make airflow` runs:
scheduler, dag-processor, api-server, triggerer, LocalExecutor) on a throw-away AIRFLOW_HOME and
a free port on 127.0.0.1. khtm_ingest is triggered through the REST API (v2); the Asset its
staged batch updates must trigger ipetl_publish, whose snapshot the catalog then serves. Then the
README's REST API snippet, as written, runs khid_ingest on the fixture it names.

Airflow runs in its own session and process group (setsid); every process of it is stopped
at the end, pass or fail: TERM to the group, KILL after a grace period, and any process that
left the group but carries this test's AIRFLOW_HOME is stopped by its pid.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from ipetl import pipeline
from ipetl.processes import group_alive
from tests.test_readme_commands import sh_blocks
from warehouse.catalog import open_catalog

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "airflow-standalone.sh"
MIRROR = ROOT / "samples" / "mirror"
START_TIMEOUT = 120
RUN_TIMEOUT = 150
STOP_GRACE = 20


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _processes_with(marker: str) -> list[int]:
    """Pids of processes whose environment holds `marker` (this test's AIRFLOW_HOME)."""
    found = []
    needle = f"AIRFLOW_HOME={marker}".encode() + b"\0"
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "environ").read_bytes() + b"\0":
                    found.append(int(entry.name))
            except OSError:
                pass  # gone, or not ours to read
    return found


def _stop(proc: subprocess.Popen, airflow_home: str) -> None:
    pgid = proc.pid  # start_new_session: the script is its session's and group's leader
    if group_alive(pgid):
        os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        while group_alive(pgid) and time.monotonic() < deadline:
            proc.poll()  # reap the leader so that an exited group stops answering
            time.sleep(0.2)
        if group_alive(pgid):
            os.killpg(pgid, signal.SIGKILL)
    proc.wait(10)
    for pid in _processes_with(airflow_home):  # one that moved to a group of its own
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


class Api:
    """The Airflow REST API v2 with a JWT from the simple auth manager."""

    def __init__(self, base: str, password: str):
        self.base = base
        token = requests.post(f"{base}/auth/token", json={"username": "admin", "password": password}, timeout=10)
        assert token.status_code in (200, 201), token.text
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def get(self, path: str, **params) -> requests.Response:
        return self.session.get(f"{self.base}/api/v2{path}", params=params, timeout=10)

    def send(self, method: str, path: str, body: dict) -> dict:
        response = self.session.request(method, f"{self.base}/api/v2{path}", json=body, timeout=10)
        assert response.status_code in (200, 201), f"{method} {path}: {response.status_code} {response.text}"
        return response.json()


def _wait(what: str, probe, timeout: float, log: Path):
    """Poll `probe` until it returns something truthy; fail with the end of Airflow's output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = probe()
        except requests.RequestException:
            value = None
        if value:
            return value
        time.sleep(1)
    tail = log.read_text(errors="replace").splitlines()[-60:]
    pytest.fail(f"timed out after {timeout}s waiting for {what}; airflow output ends:\n" + "\n".join(tail))


@pytest.fixture
def airflow(tmp_path):
    airflow_home = tmp_path / "airflow-home"
    airflow_home.mkdir()
    password = secrets.token_urlsafe(12)
    # the simple auth manager's password file: admin gets this password instead of a generated one
    (airflow_home / "simple_auth_manager_passwords.json.generated").write_text(json.dumps({"admin": password}))
    port = _free_port()
    ipetl_home = tmp_path / "ipetl-home"
    env = {  # nothing of another Airflow (tests/test_dags.py configures this process for its own)
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith("AIRFLOW") and k not in ("IPETL_MIRROR", "IPETL_CATCHUP", "NETRC")
        },
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW_PORT": str(port),
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",  # 2 cores
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "600",  # parse once, not every 30 s
        "AIRFLOW_VAR_IPETL_HOME": str(ipetl_home),
    }
    log = tmp_path / "airflow.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(SCRIPT)], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"

        def healthy():
            if proc.poll() is not None:
                pytest.fail("airflow standalone exited:\n" + log.read_text(errors="replace")[-4000:])
            health = requests.get(f"{base}/api/v2/monitor/health", timeout=5).json()
            return all(
                health[part]["status"] == "healthy"
                for part in ("metadatabase", "scheduler", "triggerer", "dag_processor")
            )

        _wait("a healthy Airflow", healthy, START_TIMEOUT, log)
        yield Api(base, password), ipetl_home, log, airflow_home, port
    finally:
        _stop(proc, str(airflow_home))
        assert _processes_with(str(airflow_home)) == []


def test_scheduler_runs_khtm_ingest_and_the_asset_triggers_publish(airflow, tmp_path):
    api, ipetl_home, log, airflow_home, port = airflow
    dags = _wait(
        "the DAGs to be parsed",
        lambda: (
            all(api.get(f"/dags/{d}").status_code == 200 for d in ("khtm_ingest", "ipetl_publish"))
            and api.get("/dags/khtm_ingest").json()
        ),
        90,
        log,
    )
    assert dags["is_paused"] is True  # every DAG starts paused
    api.send("PATCH", "/dags/ipetl_publish", {"is_paused": False})

    # Trigger the interval the scheduler would run next: being taken, it is not scheduled again
    # when the DAG is unpaused, so this run is the only one.
    interval = {k: dags[f"next_dagrun_{k}"] for k in ("logical_date", "data_interval_start", "data_interval_end")}
    run = api.send("POST", "/dags/khtm_ingest/dagRuns", interval)
    api.send("PATCH", "/dags/khtm_ingest", {"is_paused": False})

    def finished(dag_id: str, run_id: str):
        state = api.get(f"/dags/{dag_id}/dagRuns/{run_id}").json()["state"]
        return state if state in ("success", "failed") else None

    assert (
        _wait("khtm_ingest to finish", lambda: finished("khtm_ingest", run["dag_run_id"]), RUN_TIMEOUT, log)
        == "success"
    )
    tis = api.get(f"/dags/khtm_ingest/dagRuns/{run['dag_run_id']}/taskInstances").json()["task_instances"]
    assert {(t["task_id"], t["map_index"], t["rendered_map_index"], t["state"]) for t in tis} == {
        ("discover", -1, None, "success"),
        ("fetch", 0, "khtm.xml", "success"),  # one mapped instance per delivery, named after it
        ("normalize", 0, "khtm.xml", "success"),
        ("validate_and_stage", -1, None, "success"),
    }
    assert api.get("/dags/khtm_ingest/dagRuns").json()["total_entries"] == 1

    def published():
        runs = api.get("/dags/ipetl_publish/dagRuns").json()["dag_runs"]
        done = [r for r in runs if r["state"] in ("success", "failed")]
        return done[0] if done else None

    publish = _wait("the Asset-triggered ipetl_publish", published, RUN_TIMEOUT, log)
    assert (publish["run_type"], publish["state"]) == ("asset_triggered", "success")
    events = api.get("/assets/events", source_dag_id="khtm_ingest", source_run_id=run["dag_run_id"]).json()[
        "asset_events"
    ]
    assert [(e["uri"], e["extra"]["passed"]) for e in events] == [("ipetl://staged/khtm", 1)]

    con = open_catalog(pipeline.lake_settings(ipetl_home), ipetl_home, pipeline.registry_rows())
    # samples/mirror/khtm/khtm.xml: <ApplicationNumber>KH/673426/M</ApplicationNumber>, <ApplicationDate>2015-08-06
    try:
        rows = con.execute("select st13, application_date::varchar from trademarks where office = 'KH'").fetchall()
        assert rows == [("KH50201500673426M", "2015-08-06")]
        assert con.execute("select count(*) from trademarks").fetchone() == (1,)
    finally:
        con.close()
    assert pipeline.staged_batches(ipetl_home) == []  # published, and the staging cleared

    # The README's REST API blocks, as written, from a folder laid out like the repository
    # (airflow-home/, tests/fixtures/, .venv/, the home var/) with this Airflow's port.
    rest, query_block = sh_blocks("run by tests/test_airflow_scheduler.py")
    work = tmp_path / "repo"
    work.mkdir()
    for name, target in {"airflow-home": airflow_home, "tests": ROOT / "tests", ".venv": ROOT / ".venv"}.items():
        (work / name).symlink_to(target)
    (work / "var").symlink_to(ipetl_home)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IPETL_", "AIRFLOW"))} | {"AIRFLOW_PORT": str(port)}
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", rest], cwd=work, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"{rest}\n{proc.stdout}\n{proc.stderr}"
    assert "Not authenticated" not in proc.stdout

    def manual_khid_run():
        runs = api.get("/dags/khid_ingest/dagRuns").json()["dag_runs"]
        done = [r["state"] for r in runs if r["run_type"] == "manual" and r["state"] in ("success", "failed")]
        return done[0] if done else None

    assert _wait("the README's khid_ingest run", manual_khid_run, RUN_TIMEOUT, log) == "success"

    def designs_published():
        con = open_catalog(pipeline.lake_settings(ipetl_home), ipetl_home, pipeline.registry_rows())
        try:
            return con.execute("select count(*) from designs where office = 'KH'").fetchone() == (2,)
        finally:
            con.close()

    _wait("ipetl_publish to publish khid's designs", designs_published, RUN_TIMEOUT, log)
    shown = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", query_block], cwd=work, env=env, capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    # tests/fixtures/khid/khid-designs.xml: KH/D/2022/000245 (Bottle) and KH/D/2023/000512 (Chair)
    assert [line.split() for line in shown.stdout.splitlines()[2:]] == [
        ["KH702022000000245", "1", "Bottle"],
        ["KH702023000000512", "1", "Chair"],
    ]
