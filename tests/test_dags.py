"""The Airflow DAGs: they parse, have the expected shape, take their settings from Variables and
Connections, and run end to end with `dag.test()` (retries, reruns, the publish they trigger).

Airflow reads its configuration once, at first import, so the environment (a throw-away
AIRFLOW_HOME with its own SQLite metadata DB, this repo's dags/ folder) is set here at module
import, before anything imports airflow.
"""

from __future__ import annotations

import atexit
import base64
import datetime as dt
import itertools
import json
import netrc
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DAGS = ROOT / "dags"
MIRROR = ROOT / "samples" / "mirror"

_AIRFLOW_HOME: str | None = None
if "airflow" not in sys.modules:
    _AIRFLOW_HOME = tempfile.mkdtemp(prefix="ipetl-airflow-")
    atexit.register(shutil.rmtree, _AIRFLOW_HOME, ignore_errors=True)
    os.environ.update(
        {
            "AIRFLOW_HOME": _AIRFLOW_HOME,
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",  # so a staged Asset queues ipetl_publish
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AIRFLOW_HOME}/airflow.db",
            "GX_ANALYTICS_ENABLED": "false",
        }
    )

from airflow.dag_processing.dagbag import DagBag  # noqa: E402
from airflow.sdk import Asset, AssetAny, CronDataIntervalTimetable  # noqa: E402
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException  # noqa: E402

from connectors.fetch import mark_processed  # noqa: E402
from connectors.sources import FetchError, _api_key  # noqa: E402
from dags import _settings  # noqa: E402
from dags import ingest as ingest_dags  # noqa: E402
from ipetl import pipeline  # noqa: E402
from ipetl.registry import COLLECTIONS  # noqa: E402
from tests.connectors.test_fetch_http import Site, serving  # noqa: E402
from warehouse.catalog import open_catalog  # noqa: E402

KH = (MIRROR / "khtm" / "khtm.xml").read_bytes()
INGEST_TASKS = ["discover", "fetch", "normalize", "validate_and_stage"]


@pytest.fixture(scope="session")
def airflow_db():
    """A migrated metadata DB in the throw-away AIRFLOW_HOME, once per session."""
    from airflow import settings
    from airflow.utils import db

    if _AIRFLOW_HOME is None or f"sqlite:///{_AIRFLOW_HOME}/airflow.db" != settings.SQL_ALCHEMY_CONN:
        pytest.fail("airflow was imported before tests/test_dags.py could configure it; run these tests on their own")
    db.initdb()  # what `airflow db migrate` does on an empty database
    yield


@pytest.fixture(scope="session")
def bag(airflow_db) -> DagBag:
    return DagBag(dag_folder=str(DAGS))


@pytest.fixture
def settings_env(monkeypatch, tmp_path):
    """A fresh IPETL home given as Variable `ipetl_home` (a file:// URI), and no Variable or
    Connection for the khtm source: the registry's, which is the bundled sample mirror."""
    home = tmp_path / "home"
    monkeypatch.setenv("AIRFLOW_VAR_IPETL_HOME", home.as_uri())
    for name in ("AIRFLOW_VAR_IPETL_SOURCE_KHTM", "AIRFLOW_CONN_IPETL_KHTM", "IPETL_MIRROR", "NETRC"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def office_server():
    """A bulk-download server on 127.0.0.1 serving the real KH sample as /bulk/khtm.xml."""
    with serving(Site({"khtm.xml": KH})) as site:
        yield site


def _session():
    from airflow.utils.session import create_session

    return create_session()


def _xcom(dag_run, task_id: str, map_index: int = -1):
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    with _session() as session:
        value = session.scalar(
            select(XComModel.value).where(
                XComModel.dag_id == dag_run.dag_id,
                XComModel.run_id == dag_run.run_id,
                XComModel.task_id == task_id,
                XComModel.map_index == map_index,
                XComModel.key == "return_value",
            )
        )
    return json.loads(value) if isinstance(value, str) else value


def _states(dag_run) -> dict[tuple[str, int], str]:
    with _session() as session:
        return {(ti.task_id, ti.map_index): ti.state for ti in dag_run.get_task_instances(session=session)}


def _staged_events(run_id: str) -> int:
    from airflow.models.asset import AssetEvent, AssetModel
    from sqlalchemy import func, select

    with _session() as session:
        return session.scalar(
            select(func.count())
            .select_from(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .where(AssetModel.uri == "ipetl://staged/khtm", AssetEvent.source_run_id == run_id)
        )


def _catalog(home: Path, sql: str):
    con = open_catalog(pipeline.lake_settings(home), home, pipeline.registry_rows())
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# --- shape ---------------------------------------------------------------------------------


def test_dags_import_cleanly_one_per_collection_plus_publish(bag):
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {f"{cid}_ingest" for cid in COLLECTIONS} | {"ipetl_publish"}


def test_ingest_dags_shape(bag):
    for cid, collection in COLLECTIONS.items():
        dag = bag.dags[f"{cid}_ingest"]
        assert sorted(dag.task_ids) == sorted(INGEST_TASKS)
        for upstream, downstream in itertools.pairwise(INGEST_TASKS):
            assert dag.get_task(upstream).downstream_task_ids == {downstream}
        assert [t for t in INGEST_TASKS if dag.get_task(t).is_mapped] == [
            "fetch",
            "normalize",
        ]  # one instance per delivery
        assert dag.get_task("validate_and_stage").outlets == [Asset(f"ipetl://staged/{cid}")]
        assert all(dag.get_task(t).outlets == [] for t in INGEST_TASKS[:-1])
        assert dag.timetable == CronDataIntervalTimetable(
            collection.schedule, timezone="UTC"
        )  # intervals, not instants
        assert (dag.catchup, dag.max_active_runs) == (False, 1)
        assert dag.tags == {collection.office, collection.kind, collection.format.name}
        assert collection.description in dag.doc_md and collection.licence in dag.doc_md
        for task_id in INGEST_TASKS:
            task = dag.get_task(task_id)
            assert (task.owner, task.retries, task.retry_exponential_backoff) == ("ipetl", 3, 2.0)
            assert task.execution_timeout is not None
        assert dag.get_task("discover").execution_timeout == dt.timedelta(minutes=15)
        assert dag.get_task("fetch").max_active_tis_per_dagrun == 1
        assert dag.get_task("fetch").pool == _settings.fetch_pool(collection)


def test_one_fetch_pool_per_office_host_sized_by_the_registry():
    pools = _settings.fetch_pools()
    assert set(pools) == {_settings.fetch_pool(c) for c in COLLECTIONS.values()}
    # ipetl/collections/uspto.py and designs.py: both on api.uspto.gov, downloads=2 (the default)
    assert _settings.fetch_pool(COLLECTIONS["ustm"]) == _settings.fetch_pool(COLLECTIONS["usid"])
    assert _settings.fetch_pool(COLLECTIONS["ustm"]) == "fetch_api.uspto.gov"
    assert pools["fetch_api.uspto.gov"]["slots"] == 2
    assert _settings.fetch_pool(COLLECTIONS["khtm"]) == "fetch_local"  # a directory: the mirror


def test_catchup_is_chosen_per_collection_by_ipetl_catchup(monkeypatch):
    monkeypatch.setenv("IPETL_CATCHUP", "altm, khtm")
    assert ingest_dags.build(COLLECTIONS["khtm"]).catchup is True
    assert ingest_dags.build(COLLECTIONS["latm"]).catchup is False
    monkeypatch.setenv("IPETL_CATCHUP", "all")
    assert ingest_dags.build(COLLECTIONS["latm"]).catchup is True


def test_publish_dag_runs_on_any_staged_batch(bag):
    dag = bag.dags["ipetl_publish"]
    assert dag.task_ids == ["publish"]
    assert dag.max_active_runs == 1
    assert isinstance(dag.schedule, AssetAny)
    assert set(dag.schedule.objects) == {Asset(f"ipetl://staged/{cid}") for cid in COLLECTIONS}


def test_run_ids_become_one_safe_path_component():
    assert _settings.safe_run_id("manual__2025-01-01T00:00:00+00:00") == "manual__2025-01-01T00_00_00_00_00"
    assert _settings.safe_run_id("../../etc") == "etc"
    assert "/" not in _settings.safe_run_id("a/b\\c d")


# --- settings from Variables and Connections -----------------------------------------------


def test_home_variable_takes_a_path_or_a_file_uri_and_refuses_an_object_store(monkeypatch, tmp_path):
    monkeypatch.setenv("AIRFLOW_VAR_IPETL_HOME", str(tmp_path / "plain"))
    assert _settings.home() == tmp_path / "plain"
    monkeypatch.setenv("AIRFLOW_VAR_IPETL_HOME", (tmp_path / "a b").as_uri())  # file:///.../a%20b
    assert _settings.home() == tmp_path / "a b"
    monkeypatch.setenv("AIRFLOW_VAR_IPETL_HOME", "s3://bucket/ipetl")
    with pytest.raises(ValueError, match="the home is a local folder"):
        _settings.home()


def test_source_variable_and_connection_override_the_registry(monkeypatch):
    collection = COLLECTIONS["altm"]  # declared: local {mirror}/altm, *.xml*
    for name in ("AIRFLOW_VAR_IPETL_SOURCE_ALTM", "AIRFLOW_CONN_IPETL_ALTM", "NETRC"):
        monkeypatch.delenv(name, raising=False)
    with _settings.source_access(collection) as (source, fetch_settings):
        assert source == collection.source
        assert fetch_settings.retries == 5

    monkeypatch.setenv("AIRFLOW_VAR_IPETL_SOURCE_ALTM", "https://office.example/bulk/tm/")
    with _settings.source_access(collection) as (source, _):
        assert (source.kind, source.location, source.pattern) == ("https", "https://office.example/bulk/tm/", "*.xml*")

    # the Connection's server, path, credentials and extra over the Variable's URL
    monkeypatch.setenv(
        "AIRFLOW_CONN_IPETL_ALTM",
        "https://etl%20user:pa%22ss%20word@mirror.example:8443/data/al/?pattern=AL_*.zip&retries=0",
    )
    with _settings.source_access(collection) as (source, fetch_settings):
        assert (source.kind, source.location, source.pattern) == (
            "https",
            "https://mirror.example:8443/data/al/",
            "AL_*.zip",
        )
        assert fetch_settings.retries == 0 and fetch_settings.read_timeout == 60.0
        netrc_file = os.environ["NETRC"]
        assert oct(os.stat(netrc_file).st_mode & 0o777) == "0o600"
        assert netrc.netrc(netrc_file).authenticators("mirror.example") == ("etl user", "", 'pa"ss word')
    assert "NETRC" not in os.environ and not os.path.exists(netrc_file)  # removed after the block

    # an SFTP server for a collection declared local: conn_type gives the protocol, schema the path
    monkeypatch.delenv("AIRFLOW_VAR_IPETL_SOURCE_ALTM")
    monkeypatch.setenv(
        "AIRFLOW_CONN_IPETL_ALTM",
        json.dumps({"conn_type": "sftp", "host": "sftp.office.example", "schema": "out/tm", "login": "etl"}),
    )
    with _settings.source_access(collection) as (source, _):
        assert (source.kind, source.location) == ("sftp", "sftp://sftp.office.example/out/tm")
        assert netrc.netrc(os.environ["NETRC"]).authenticators("sftp.office.example") == ("etl", "", "")


def test_a_connection_gives_the_api_source_its_key_and_may_move_it(monkeypatch):
    collection = COLLECTIONS["ustm"]  # declared: product-api on api.uspto.gov, TRTYRAP and TRTDXFAP
    for name in ("AIRFLOW_VAR_IPETL_SOURCE_USTM", "NETRC", "IPETL_USPTO_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_IPETL_USTM", json.dumps({"conn_type": "https", "password": "k3y"}))
    with _settings.source_access(collection) as (source, _):
        assert source == collection.source
        assert _api_key(source.resolved()) == "k3y"  # the password, as the fetch layer reads it
    with pytest.raises(FetchError, match="no API key"):
        _api_key(collection.source.resolved())  # gone with the block
    # a server answering as the API does: still an API source, with the same products
    monkeypatch.setenv(
        "AIRFLOW_CONN_IPETL_USTM",
        json.dumps(
            {"conn_type": "https", "host": "odp.example", "schema": "api/v1/datasets/products", "password": "k"}
        ),
    )
    with _settings.source_access(collection) as (source, _):
        assert (source.kind, source.location, source.products) == (
            "product-api",
            "https://odp.example/api/v1/datasets/products",
            ("TRTYRAP", "TRTDXFAP"),
        )
        assert _api_key(source.resolved()) == "k"


def test_discover_takes_the_data_interval_and_what_is_not_processed(
    bag, airflow_db, settings_env, monkeypatch, tmp_path
):
    source = tmp_path / "deliveries"
    source.mkdir()
    for name in ("KH_20250106.xml", "KH_20250113.xml", "KH_20241230_2.xml", "kh-full.xml"):  # bytes do not matter here
        (source / name).write_text("<Transaction/>")
    monkeypatch.setenv("AIRFLOW_VAR_IPETL_SOURCE_KHTM", str(source))
    discover = bag.dags["khtm_ingest"].get_task("discover").python_callable
    week = (dt.datetime(2025, 1, 6, tzinfo=dt.UTC), dt.datetime(2025, 1, 13, tzinfo=dt.UTC))
    assert discover(*week) == ["KH_20250106.xml", "kh-full.xml"]  # the dated one of that week, and the undated one
    assert discover(None, None) == [
        "KH_20241230_2.xml",
        "KH_20250106.xml",
        "KH_20250113.xml",
        "kh-full.xml",
    ]  # no interval

    khtm = COLLECTIONS["khtm"]
    home = _settings.home()
    assert pipeline.fetch_delivery(khtm, "KH_20250106.xml", home, str(source)) == source / "KH_20250106.xml"
    mark_processed(home, "khtm", "KH_20250106.xml")
    assert discover(*week) == ["kh-full.xml"]
    assert pipeline.fetch_delivery(khtm, "KH_20250106.xml", home, str(source)) is None  # nothing new under that name
    pipeline.fetch_delivery(khtm, "kh-full.xml", home, str(source))
    mark_processed(home, "khtm", "kh-full.xml")
    with pytest.raises(AirflowSkipException):
        discover(*week)


def test_validate_and_stage_fails_on_the_gate_and_skips_when_nothing_is_new(bag, monkeypatch, tmp_path):
    monkeypatch.setattr(_settings, "home", lambda: tmp_path)
    stage = bag.dags["khtm_ingest"].get_task("validate_and_stage").python_callable
    normalized = [{"name": "khtm.xml", "path": str(MIRROR / "khtm" / "khtm.xml"), "skipped": False}]

    failed = pipeline.BatchSummary(
        "khtm", "trademarks", batch_dir=str(tmp_path / "b"), failures=["TM-NICE-RANGE: 3 of 3"]
    )
    monkeypatch.setattr(pipeline, "validate_and_stage", lambda *a, **k: failed)
    with pytest.raises(AirflowFailException, match="TM-NICE-RANGE"):
        stage(normalized, run_id="r1")

    nothing = pipeline.BatchSummary("khtm", "trademarks", skipped=1)
    monkeypatch.setattr(pipeline, "validate_and_stage", lambda *a, **k: nothing)
    with pytest.raises(AirflowSkipException):
        stage(normalized, run_id="r2")


# --- end to end with dag.test() ------------------------------------------------------------


def test_khtm_ingest_rerun_then_publish_with_dag_test(bag, airflow_db, settings_env):
    home = settings_env
    dag = bag.dags["khtm_ingest"]
    when = dt.datetime(2025, 3, 10, tzinfo=dt.UTC)  # run id manual__<run_after>: the same run each time

    run = dag.test(run_after=when, logical_date=when)
    assert run.state == "success"
    assert _states(run) == {
        ("discover", -1): "success",
        ("fetch", 0): "success",
        ("normalize", 0): "success",
        ("validate_and_stage", -1): "success",
    }
    assert _xcom(run, "discover") == ["khtm.xml"]  # khtm.xml carries no date: in every interval until processed
    assert _xcom(run, "fetch", 0) == {"name": "khtm.xml", "path": str(MIRROR / "khtm" / "khtm.xml")}  # read in place
    staged = _xcom(run, "validate_and_stage")
    assert {k: staged[k] for k in ("status", "files", "records", "passed", "quarantined", "rejected")} == {
        "status": "staged",
        "files": 1,
        "records": 1,
        "passed": 1,
        "quarantined": 0,
        "rejected": 0,
    }
    batch_dir = Path(staged["batch_dir"])
    assert batch_dir == home / "staging" / "khtm" / _settings.safe_run_id(run.run_id)
    assert pipeline.staged_batches(home) == [batch_dir]
    assert _staged_events(run.run_id) == 1

    rerun = dag.test(run_after=when, logical_date=when)  # the same run, cleared and run again
    assert (rerun.run_id, rerun.state) == (run.run_id, "success")
    assert Path(_xcom(rerun, "validate_and_stage")["batch_dir"]) == batch_dir
    assert pipeline.staged_batches(home) == [batch_dir]  # replaced, not staged twice
    assert [p.name for p in (home / "staging" / "khtm").iterdir()] == [batch_dir.name]
    assert _staged_events(run.run_id) == 2

    from airflow.models.asset import AssetDagRunQueue
    from sqlalchemy import select

    with _session() as session:  # the staged Asset queued ipetl_publish
        assert "ipetl_publish" in session.scalars(select(AssetDagRunQueue.target_dag_id)).all()

    published = bag.dags["ipetl_publish"].test()
    assert published.state == "success"
    # the snapshot the publish reports is the lake's newest, and it holds this delivery
    [(newest, delivery)] = _catalog(
        home, "select (select max(snapshot_id) from lake.snapshots()), name from deliveries"
    )
    assert _xcom(published, "publish") == {"snapshot_id": newest, "batches": 1} and delivery == "khtm.xml"
    assert pipeline.staged_batches(home) == []
    # khtm.xml: <ApplicationNumber>KH/673426/M</ApplicationNumber>, <ApplicationDate>2015-08-06
    assert _catalog(home, "select st13, application_date::varchar from trademarks where office = 'KH'") == [
        ("KH50201500673426M", "2015-08-06")
    ]
    assert _catalog(home, "select collection, records from coverage where collection = 'khtm'") == [("khtm", 1)]

    after = dag.test(run_after=when, logical_date=when)  # published and marked processed: nothing new, nothing staged
    assert after.state == "success"
    assert _states(after)[("discover", -1)] == "skipped"
    assert _states(after)[("validate_and_stage", -1)] == "skipped"
    assert pipeline.staged_batches(home) == []
    assert _catalog(home, "select count(*) from trademarks") == [(1,)]


def test_a_fetch_that_fails_twice_is_retried_by_airflow_and_the_run_ends_green(
    bag, airflow_db, settings_env, office_server, monkeypatch
):
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.taskinstancehistory import TaskInstanceHistory
    from sqlalchemy import select

    home = settings_env
    monkeypatch.setenv("AIRFLOW_VAR_IPETL_SOURCE_KHTM", office_server.url + "/bulk/")
    # no HTTP retries inside the task (extra), so Airflow's retries are what recover; login for the server
    monkeypatch.setenv(
        "AIRFLOW_CONN_IPETL_KHTM",
        json.dumps({"conn_type": "http", "login": "ipetl", "password": "s3cret-pw", "extra": {"retries": 0}}),
    )
    office_server.fail["khtm.xml"] = 2  # 503 Service Unavailable, twice
    dag = bag.dags["khtm_ingest"]
    fetch = dag.get_task("fetch")
    monkeypatch.setattr(fetch, "retry_delay", dt.timedelta(0))
    monkeypatch.setattr(fetch, "retry_exponential_backoff", 0.0)

    run = dag.test(logical_date=dt.datetime(2025, 4, 7, tzinfo=dt.UTC))
    assert run.state == "success"
    assert set(_states(run).values()) == {"success"}
    assert [r["status"] for r in office_server.file_requests("khtm.xml")] == [503, 503, 200]
    credentials = "Basic " + base64.b64encode(b"ipetl:s3cret-pw").decode()
    assert all(r["headers"].get("Authorization") == credentials for r in office_server.requests)  # listing and file
    with _session() as session:
        ti = session.scalars(
            select(TaskInstance).where(
                TaskInstance.dag_id == dag.dag_id,
                TaskInstance.run_id == run.run_id,
                TaskInstance.task_id == "fetch",
            )
        ).one()
        assert (ti.map_index, ti.try_number, ti.state) == (0, 3, "success")
        tries = session.scalars(
            select(TaskInstanceHistory.try_number).where(
                TaskInstanceHistory.dag_id == dag.dag_id,
                TaskInstanceHistory.run_id == run.run_id,
                TaskInstanceHistory.task_id == "fetch",
            )
        ).all()
        assert sorted(tries) == [1, 2]
        others = session.scalars(
            select(TaskInstance.try_number).where(
                TaskInstance.dag_id == dag.dag_id,
                TaskInstance.run_id == run.run_id,
                TaskInstance.task_id != "fetch",
            )
        ).all()
        assert others == [1, 1, 1]  # only the failed fetch was retried
    fetched = home / "incoming" / "khtm" / "khtm.xml"
    assert fetched.read_bytes() == KH
    assert _xcom(run, "validate_and_stage")["passed"] == 1
    assert "s3cret-pw" not in (home / "state" / "khtm.json").read_text()
