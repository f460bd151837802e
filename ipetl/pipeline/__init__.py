"""The pipeline's steps as plain functions: list/fetch deliveries → normalize → validate and
stage → publish.

`ipetl run` calls them in one process (runs.run); the Airflow DAGs call the same functions, one
task per step (fetch and normalize once per delivery), passing only names, paths and counts.

    settings     the home, the lake, limits from the environment, each collection's source
    deliveries   list the deliveries a run takes, fetch them
    normalize    a delivery → the run's spool (a pool of processes; big deliveries cut in parts)
    stage        the quality gate, and the staged batch it leaves
    staging      what passes between steps: NormalizedDelivery, StagedBatch (batch.json), BatchSummary
    publish      staged batches → one lake snapshot, then the search database
    runs         the whole run in one process (RunSummary), and the sweep after killed runs
"""

from ipetl.pipeline.deliveries import delivery_date, fetch_deliveries, fetch_delivery, list_deliveries
from ipetl.pipeline.normalize import normalize_delivery
from ipetl.pipeline.publish import publish_staged
from ipetl.pipeline.runs import Outcome, RunSummary, SourceFailure, new_run_id, run, sweep
from ipetl.pipeline.settings import (
    SOURCE_KINDS,
    at_url,
    home_dir,
    lake_settings,
    max_attempts,
    publish_options,
    registry_rows,
    route_source,
    source_for,
)
from ipetl.pipeline.stage import validate_and_stage
from ipetl.pipeline.staging import BatchSummary, NormalizedDelivery, StagedBatch, staged_batches

__all__ = [
    "SOURCE_KINDS",
    "BatchSummary",
    "NormalizedDelivery",
    "Outcome",
    "RunSummary",
    "SourceFailure",
    "StagedBatch",
    "at_url",
    "delivery_date",
    "fetch_deliveries",
    "fetch_delivery",
    "home_dir",
    "lake_settings",
    "list_deliveries",
    "max_attempts",
    "new_run_id",
    "normalize_delivery",
    "publish_options",
    "publish_staged",
    "registry_rows",
    "route_source",
    "run",
    "source_for",
    "staged_batches",
    "sweep",
    "validate_and_stage",
]
