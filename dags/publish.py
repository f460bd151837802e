"""`ipetl_publish`: merge every staged batch into one new snapshot and rebuild the catalog.

Triggered when ANY collection's `ipetl://staged/<collection>` Asset is updated (AssetAny);
max_active_runs=1 keeps snapshots strictly sequential.
"""

from __future__ import annotations

from airflow.sdk import AssetAny, dag, task

from dags import _settings
from ipetl.registry import COLLECTIONS


@dag(
    dag_id="ipetl_publish",
    schedule=AssetAny(*(_settings.staged_asset(cid) for cid in COLLECTIONS)),
    start_date=_settings.START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=_settings.DEFAULT_ARGS,
    tags=["publish"],
    doc_md=__doc__,
)
def ipetl_publish_dag():
    @task
    def publish() -> dict:
        from ipetl import pipeline

        home = _settings.home()
        batches = pipeline.staged_batches(home)
        manifest = pipeline.publish_staged(home, batches) if batches else None
        return {"snapshot_id": manifest["snapshot_id"] if manifest else None, "batches": len(batches)}

    publish()


ipetl_publish = ipetl_publish_dag()
