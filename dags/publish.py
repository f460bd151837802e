"""`ipetl_publish`: merge every staged batch into the lake as one new snapshot and rebuild the
search database.

Triggered when ANY collection's `ipetl://staged/<collection>` Asset is updated (AssetAny);
max_active_runs=1 keeps snapshots strictly sequential. A run that finds nothing staged (an
earlier run merged its batches already) is skipped; a refused publish fails without retries.
"""

from __future__ import annotations

from airflow.sdk import AssetAny, dag, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

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
        from warehouse.publish import PublishRefused

        home = _settings.home()
        batches = pipeline.staged_batches(home)
        if not batches:
            raise AirflowSkipException("nothing staged")
        try:
            published = pipeline.publish_staged(home, batches, lake=_settings.lake())
        except PublishRefused as exc:  # the batches are marked refused: they need a look, not a retry
            raise AirflowFailException(f"publish refused: {exc}") from None
        return {"snapshot_id": published.snapshot_id if published else None, "batches": len(batches)}

    publish()


ipetl_publish = ipetl_publish_dag()
