"""The Airflow DAGs: they parse, have the expected shape, and run end to end with `dag.test()`.

Airflow reads its configuration once, at first import, so the environment (a throw-away
AIRFLOW_HOME with its own SQLite metadata DB, this repo's dags/ folder) is set here at module
import, before anything imports airflow.
"""

from __future__ import annotations

import atexit
import json
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
from airflow.sdk import Asset, AssetAny  # noqa: E402

from dags import _settings  # noqa: E402
from ipetl import pipeline  # noqa: E402
from ipetl.registry import COLLECTIONS  # noqa: E402
from warehouse.catalog import open_catalog  # noqa: E402


@pytest.fixture(scope="session")
def bag() -> DagBag:
    return DagBag(dag_folder=str(DAGS))


@pytest.fixture(scope="session")
def airflow_db():
    """A migrated metadata DB in the throw-away AIRFLOW_HOME, once per session."""
    from airflow import settings
    from airflow.utils import db

    if _AIRFLOW_HOME is None or settings.SQL_ALCHEMY_CONN != f"sqlite:///{_AIRFLOW_HOME}/airflow.db":
        pytest.fail("airflow was imported before tests/test_dags.py could configure it; run these tests on their own")
    db.initdb()  # what `airflow db migrate` does on an empty database
    yield


def _xcom(dag_run, task_id: str):
    from sqlalchemy import select

    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        value = session.scalar(
            select(XComModel.value).where(
                XComModel.dag_id == dag_run.dag_id, XComModel.run_id == dag_run.run_id,
                XComModel.task_id == task_id, XComModel.key == "return_value",
            )
        )
    return json.loads(value) if isinstance(value, str) else value


def _states(dag_run) -> dict[str, str]:
    from airflow.utils.session import create_session

    with create_session() as session:
        return {ti.task_id: ti.state for ti in dag_run.get_task_instances(session=session)}


def test_dags_import_cleanly_one_per_collection_plus_publish(bag):
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {f"{cid}_ingest" for cid in COLLECTIONS} | {"ipetl_publish"}


def test_ingest_dags_shape(bag):
    for cid, collection in COLLECTIONS.items():
        dag = bag.dags[f"{cid}_ingest"]
        assert set(dag.task_ids) == {"discover", "ingest"}
        assert dag.get_task("discover").downstream_task_ids == {"ingest"}
        assert dag.get_task("ingest").outlets == [Asset(f"ipetl://staged/{cid}")]
        assert dag.schedule == collection.schedule
        assert (dag.catchup, dag.max_active_runs) == (False, 1)
        assert dag.tags == {collection.office, collection.kind, collection.format}
        assert collection.licence in dag.doc_md
        ingest = dag.get_task("ingest")
        assert (ingest.owner, ingest.retries, ingest.retry_exponential_backoff) == ("ipetl", 3, True)
        assert ingest.execution_timeout is not None


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


def test_ingest_raises_on_a_failed_batch_and_skips_when_nothing_is_new(bag, monkeypatch, tmp_path):
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    monkeypatch.setattr(_settings, "home", lambda: tmp_path)
    ingest = bag.dags["khtm_ingest"].get_task("ingest").python_callable
    paths = [str(MIRROR / "khtm" / "khtm.xml")]

    failed = pipeline.BatchSummary("khtm", "trademarks", batch_dir=str(tmp_path / "b"), failures=["boom"])
    monkeypatch.setattr(pipeline, "ingest", lambda *a, **k: failed)
    with pytest.raises(AirflowFailException, match="boom"):
        ingest(paths, run_id="r1")

    nothing = pipeline.BatchSummary("khtm", "trademarks", skipped=1)
    monkeypatch.setattr(pipeline, "ingest", lambda *a, **k: nothing)
    with pytest.raises(AirflowSkipException):
        ingest(paths, run_id="r2")


def test_khtm_ingest_then_publish_with_dag_test(bag, airflow_db, tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("AIRFLOW_VAR_IPETL_HOME", str(home))  # Variable `ipetl_home`, via the env backend
    monkeypatch.delenv("AIRFLOW_VAR_IPETL_SOURCE_KHTM", raising=False)  # no Variable: the registry's source,
    monkeypatch.delenv("IPETL_MIRROR", raising=False)  # which is the bundled sample mirror

    run = bag.dags["khtm_ingest"].test()
    assert run.state == "success"
    assert _states(run) == {"discover": "success", "ingest": "success"}
    staged = _xcom(run, "ingest")
    assert {k: staged[k] for k in ("status", "records", "passed", "quarantined")} == {
        "status": "staged", "records": 1, "passed": 1, "quarantined": 0,
    }
    batch_dir = Path(staged["batch_dir"])
    assert batch_dir.parent == home / "staging" / "khtm"
    assert batch_dir.name == _settings.safe_run_id(run.run_id)
    assert pipeline.staged_batches(home) == [batch_dir]
    assert _xcom(run, "discover") == [str(MIRROR / "khtm" / "khtm.xml")]

    from sqlalchemy import select

    from airflow.models.asset import AssetDagRunQueue, AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:  # the staged Asset was updated, and queues ipetl_publish
        events = session.scalars(
            select(AssetEvent).join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .where(AssetModel.uri == "ipetl://staged/khtm", AssetEvent.source_run_id == run.run_id)
        ).all()
        assert len(events) == 1
        queued = session.scalars(select(AssetDagRunQueue.target_dag_id)).all()
        assert "ipetl_publish" in queued

    published = bag.dags["ipetl_publish"].test()
    assert published.state == "success"
    assert _xcom(published, "publish") == {"snapshot_id": 1, "batches": 1}
    assert pipeline.staged_batches(home) == []

    con = open_catalog(home, pipeline.registry_rows())
    try:
        assert con.execute("select count(*) from trademarks where office='KH'").fetchone() == (1,)
    finally:
        con.close()
