"""The layout of an IPETL home: every path under it is named here, and only here.

    <home>/incoming/<collection>/          deliveries fetched from a remote source
    <home>/state/<collection>.json         what the collection's deliveries became (and .lock)
    <home>/quarantine/<collection>/        copies of deliveries that could not be read
    <home>/staging/<collection>/<run>/     a staged batch (batch.json last: without it, not staged)
    <home>/staging/.work/<collection>/<run>/<delivery>/   a run's normalized delivery, before the gate
    <home>/staging/.runs/<run>.lock        held by a live run
    <home>/staging/.<name>.lock            locks between processes of the home (publish, gx)
    <home>/staging/.duckdb/                DuckDB's spill files while publishing
    <home>/gx/                             the Great Expectations file context (and its Data Docs)
    <home>/lake.sqlite, <home>/lake/       the default lake: its catalog and its data
    <home>/search.duckdb                   the search database (and its lock and scratch files)
    <home>/logs/run-<run>.log              what an `ipetl run` logged

It sits in the bottom layer so that every layer (fetch state, staging, publish, catalog, cli)
finds its paths in one place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

BATCH_FILE = "batch.json"
SEARCH_FILE = "search.duckdb"


@dataclass(frozen=True)
class HomeLayout:
    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    # --- fetch ---

    def incoming(self, collection: str) -> Path:
        return self.root / "incoming" / collection

    def state_file(self, collection: str) -> Path:
        return self.root / "state" / f"{collection}.json"

    def quarantine(self, collection: str) -> Path:
        return self.root / "quarantine" / collection

    # --- staging ---

    @property
    def staging(self) -> Path:
        return self.root / "staging"

    def batch(self, collection: str, run_id: str) -> Path:
        """A staged batch's directory."""
        return self.staging / collection / run_id

    def batch_files(self) -> list[Path]:
        """The batch.json of every batch written (staged, failed or refused)."""
        return list(self.staging.glob(f"*/*/{BATCH_FILE}"))

    def spool(self, collection: str, run_id: str) -> Path:
        """Where a run's normalized deliveries wait for the gate (not a staged batch: no batch.json)."""
        return self.staging / ".work" / collection / run_id

    def spools_of_run(self, run_id: str) -> list[Path]:
        return list(self.staging.glob(f".work/*/{run_id}"))

    def batches_of_run(self, run_id: str) -> list[Path]:
        return list(self.staging.glob(f"*/{run_id}"))

    @property
    def runs(self) -> Path:
        """The locks of live runs, one per run id."""
        return self.staging / ".runs"

    def run_lock(self, run_id: str) -> Path:
        return self.runs / f"{run_id}.lock"

    def lock(self, name: str) -> Path:
        """A lock between the processes working on this home (`publish`, `gx`)."""
        return self.staging / f".{name}.lock"

    @property
    def spill(self) -> Path:
        """DuckDB's spill directory while publishing."""
        return self.staging / ".duckdb"

    # --- quality gate ---

    @property
    def gx(self) -> Path:
        """The root of the Great Expectations file context (GX keeps its own files in gx/gx/)."""
        return self.root / "gx"

    @property
    def gx_context(self) -> Path:
        return self.gx / "gx"

    # --- logs ---

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def run_log(self, run_id: str) -> Path:
        """What an `ipetl run` logged (the format of its --log-format)."""
        return self.logs / f"run-{run_id}.log"

    # --- the default lake, search ---

    @property
    def lake_catalog(self) -> Path:
        return self.root / "lake.sqlite"

    @property
    def lake_data(self) -> Path:
        return self.root / "lake"

    @property
    def search(self) -> Path:
        return self.root / SEARCH_FILE

    @property
    def search_lock(self) -> Path:
        return self.root / f".{SEARCH_FILE}.lock"

    def search_scratch(self) -> Path:
        """Where this process builds a search database before swapping it in."""
        return self.root / f".{SEARCH_FILE}.{os.getpid()}.tmp"

    def search_scratches(self) -> list[tuple[Path, int | None]]:
        """Search databases being built, with the id of the process building each (None: unreadable)."""
        found = []
        for path in self.root.glob(f".{SEARCH_FILE}.*.tmp"):
            pid = path.name.split(".")[-2]
            found.append((path, int(pid) if pid.isdigit() else None))
        return found
