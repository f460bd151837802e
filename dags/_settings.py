"""What the DAG files share: settings from Airflow Variables, the staged-batch Asset, defaults.

Call `setting()` and `home()` inside tasks only, never at parse time: a Variable lookup at module
level would hit the metadata DB/secrets backend every time the DAG processor parses a file.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from airflow.sdk import Asset, Variable

START_DATE = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)

DEFAULT_ARGS = {
    "owner": "ipetl",
    "retries": 3,
    "retry_delay": dt.timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "max_retry_delay": dt.timedelta(minutes=30),
    "execution_timeout": dt.timedelta(hours=2),
}


def setting(key: str, default: str | None = None) -> str | None:
    """Airflow Variable `key` (or env AIRFLOW_VAR_<KEY>), else `default`; blank counts as unset."""
    value = Variable.get(key, default=None)
    return value if value not in (None, "") else default


def home() -> Path:
    """The IPETL home: Variable `ipetl_home`, else $IPETL_HOME, else ./var (pipeline.home_dir)."""
    from ipetl import pipeline

    return pipeline.home_dir(setting("ipetl_home"))


def source(collection_id: str) -> str | None:
    """Variable `ipetl_source_<collection>`; None means the registry's own source."""
    return setting(f"ipetl_source_{collection_id}")


def staged_asset(collection_id: str) -> Asset:
    """Updated each time a batch of the collection is staged and ready to publish."""
    return Asset(f"ipetl://staged/{collection_id}")


def safe_run_id(run_id: str) -> str:
    """An Airflow run id (`manual__2025-01-01T00:00:00+00:00`) as one safe path component."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", run_id).strip("._") or "run"
