"""One `<collection>_ingest` DAG per registry collection:
discover (list the deliveries) → fetch (one mapped task per delivery) → normalize (likewise) →
validate_and_stage.

A thin shell over `ipetl.pipeline`: the tasks pass names, paths and counts, never records. A
staged batch updates the Asset `ipetl://staged/<collection>`, which triggers `ipetl_publish`;
a batch the quality gate fails fails the run and updates nothing. A run is idempotent: its
batch is `<home>/staging/<collection>/<run id>/`, replaced when the run is cleared and rerun.

discover takes the deliveries of the run's data interval: those whose name carries a date
(the collection's delivery_pattern) in the interval, and those whose name carries none, which
are taken by the first run that sees them. A run triggered without a logical date has no
interval and takes every delivery not yet processed. Backlogs: `airflow backfill create`, or
IPETL_CATCHUP (see dags/_settings.py).
"""

from __future__ import annotations

import logging

from airflow.sdk import DAG, CronDataIntervalTimetable, dag, get_current_context, get_parsing_context, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from dags import _settings
from ipetl.registry import COLLECTIONS, Collection

log = logging.getLogger(__name__)


def build(collection: Collection) -> DAG:
    cid = collection.id
    staged = _settings.staged_asset(cid)

    @dag(
        dag_id=f"{cid}_ingest",
        # Data intervals (a plain cron string is a CronTriggerTimetable in Airflow 3: a run's
        # interval would be one instant), so that discover can take a run's deliveries.
        schedule=CronDataIntervalTimetable(collection.schedule, timezone="UTC"),
        start_date=_settings.START_DATE,
        catchup=_settings.catchup(cid),
        max_active_runs=1,
        default_args=_settings.DEFAULT_ARGS,
        tags=[collection.office, collection.kind, collection.format.name],
        doc_md=_settings.doc_md(collection),
    )
    def ingest_dag():
        @task(execution_timeout=_settings.DISCOVER_TIMEOUT)
        def discover(data_interval_start=None, data_interval_end=None) -> list[str]:
            from ipetl import pipeline

            home = _settings.home()
            home.mkdir(parents=True, exist_ok=True)
            interval = (data_interval_start, data_interval_end) if data_interval_start and data_interval_end else None
            with _settings.source_access(collection) as (source, settings):
                names = pipeline.list_deliveries(collection, home, source, interval, settings)
            if not names:
                raise AirflowSkipException(f"{cid}: no new delivery for {interval or 'this run'}")
            if len(names) > _settings.MAX_DELIVERIES_PER_RUN:
                log.warning(
                    "%s: %d deliveries; this run takes the first %d", cid, len(names), _settings.MAX_DELIVERIES_PER_RUN
                )
            return names[: _settings.MAX_DELIVERIES_PER_RUN]

        # One at a time: the fetch layer locks the collection's state for each download. The
        # host's pool bounds the downloads from one office server across DAGs and workers.
        @task(map_index_template="{{ delivery }}", max_active_tis_per_dagrun=1, pool=_settings.fetch_pool(collection))
        def fetch(name: str) -> dict:
            from ipetl import pipeline

            _settings.name_mapped_task(name)
            with _settings.source_access(collection) as (source, settings):
                path = pipeline.fetch_delivery(collection, name, _settings.home(), source, settings)
            return {"name": name, "path": None if path is None else str(path)}

        @task(map_index_template="{{ delivery }}")
        def normalize(fetched: dict, run_id: str | None = None) -> dict:
            from ipetl import pipeline

            _settings.name_mapped_task(fetched["name"])
            if fetched["path"] is None:  # nothing new under that name since discover listed it
                return pipeline.NormalizedDelivery(fetched["name"], None, skipped=True).to_dict()
            return pipeline.normalize_delivery(
                collection,
                fetched["path"],
                _settings.home(),
                _settings.safe_run_id(run_id or "run"),
                lake=_settings.lake(),
            ).to_dict()

        @task(outlets=[staged])
        def validate_and_stage(normalized: list[dict], run_id: str | None = None) -> dict:
            from ipetl import pipeline

            # normalized[:]: every mapped result in one XCom request (iterating asks one by one)
            summary = pipeline.validate_and_stage(
                collection,
                [pipeline.NormalizedDelivery.from_dict(n) for n in normalized[:]],
                _settings.home(),
                _settings.safe_run_id(run_id or "run"),
            )
            result = summary.counts()
            if summary.status == "failed":  # a failed gate is not transient: no retries, no Asset event
                raise AirflowFailException(f"{cid}: validation failed: {summary.failures} ({result})")
            if summary.batch_dir is None:  # every delivery already published: nothing to stage
                raise AirflowSkipException(f"{cid}: nothing new to stage ({summary.skipped} already published)")
            get_current_context()["outlet_events"][staged].extra = result
            return result

        # Airflow resolves the mapped results into the list the task declares
        validate_and_stage(normalize.expand(fetched=fetch.expand(name=discover())))  # type: ignore[arg-type]

    return ingest_dag()


_wanted = get_parsing_context().dag_id  # set when a worker parses this file to run one task of one DAG
for _collection in COLLECTIONS.values():
    if _wanted in (None, f"{_collection.id}_ingest"):
        globals()[f"{_collection.id}_ingest"] = build(_collection)
