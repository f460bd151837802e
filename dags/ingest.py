"""One `<collection>_ingest` DAG per registry collection: discover → ingest (stage).

A thin shell over `ipetl.pipeline`: the tasks pass paths and counts, never records. A staged
batch updates the Asset `ipetl://staged/<collection>`, which triggers `ipetl_publish`.
"""

from __future__ import annotations

from airflow.sdk import DAG, dag, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from dags import _settings
from ipetl.registry import COLLECTIONS, Collection


def build(collection: Collection) -> DAG:
    cid = collection.id

    @dag(
        dag_id=f"{cid}_ingest",
        schedule=collection.schedule,
        start_date=_settings.START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=_settings.DEFAULT_ARGS,
        tags=[collection.office, collection.kind, collection.format],
        doc_md=f"{collection.description}\n\n**Licence:** {collection.licence}",
    )
    def ingest_dag():
        @task
        def discover() -> list[str]:
            from ipetl import pipeline

            home = _settings.home()
            home.mkdir(parents=True, exist_ok=True)
            fetched = pipeline.discover(collection, home, _settings.source(cid))
            if fetched.failures:  # retried by Airflow; what was fetched stays fetched
                raise RuntimeError(f"{cid}: could not fetch {fetched.failures}")
            paths = [str(d.path) for d in fetched.deliveries]
            if not paths:
                raise AirflowSkipException(f"no deliveries for {cid}")
            return paths

        @task(outlets=[_settings.staged_asset(cid)])
        def ingest(paths: list[str], run_id: str | None = None) -> dict:
            from pathlib import Path

            from ipetl import pipeline

            home = _settings.home()
            home.mkdir(parents=True, exist_ok=True)
            summary = pipeline.ingest(collection, [Path(p) for p in paths], home, run_id=_settings.safe_run_id(run_id or "run"))
            result = {
                "batch_dir": summary.batch_dir,
                "status": summary.status,
                "records": summary.records,
                "passed": summary.passed,
                "quarantined": summary.quarantined,
            }
            if summary.status == "failed":  # a failed gate is not transient: no retries, no Asset event
                raise AirflowFailException(f"{cid}: validation failed: {summary.failures} ({result})")
            if summary.batch_dir is None:  # every delivery already published: nothing to stage
                raise AirflowSkipException(f"{cid}: nothing new to stage ({summary.skipped} already published)")
            return result

        ingest(discover())

    return ingest_dag()


for _collection in COLLECTIONS.values():
    globals()[f"{_collection.id}_ingest"] = build(_collection)
