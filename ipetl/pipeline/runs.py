"""`ipetl run` in one process: fetch, normalize, validate and stage, publish; and the sweep of
what killed runs left behind."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout

from connectors.fetch import FetchResult
from connectors.home import HomeLayout
from connectors.resources import resource_error
from connectors.sources import FetchError
from expectations import gate
from expectations.datadocs import build_data_docs
from ipetl.pipeline.deliveries import fetch_deliveries
from ipetl.pipeline.normalize import PendingDelivery, normalize_all
from ipetl.pipeline.publish import publish_staged
from ipetl.pipeline.settings import SourceArg, home_dir, lake_settings, route_source
from ipetl.pipeline.stage import validate_and_stage
from ipetl.pipeline.staging import BatchSummary, is_staged
from ipetl.processes import process_alive
from ipetl.registry import COLLECTIONS, Collection
from warehouse import catalog
from warehouse.lake import LakeError, LakeSettings
from warehouse.lake import exists as lake_exists
from warehouse.publish import PublishRefused

T = TypeVar("T")


@dataclass
class RunSummary:
    batches: list[BatchSummary]
    snapshot_id: int | None
    home: Path
    refused: str | None = None  # why the publish was refused, if it was
    data_docs: Path | None = None
    fetch_failures: list[tuple[str, str]] = field(default_factory=list)  # (collection, reason)
    failure: str | None = None  # why the run stopped (a resource, the lake): the deliveries stay pending
    unclaimed: list[str] = field(default_factory=list)  # entries of --source no collection claims

    @property
    def exit_code(self) -> int:
        """0: everything asked for was done; 1: some input was rejected, quarantined whole or
        refused; 3: the run could not finish (a resource, the lake, a source). Entries of a
        mirror that no collection claims are reported, not failed."""
        if self.failure or self.fetch_failures:
            return 3
        if self.refused or any(b.failures or b.rejected for b in self.batches):
            return 1
        return 0


def _new_run_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def _run_lock(home: Path, run_id: str) -> FileLock:
    """Held by a live `ipetl run` for its whole length: the sweep leaves its files alone."""
    path = HomeLayout(home).run_lock(run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(path)


def sweep(home: Path) -> list[Path]:
    """Remove what killed runs left behind, never what a live one is using: the spools and
    half-staged batches of runs whose lock nobody holds, search databases half built by dead
    processes, and DuckDB spill files when no publish is running. Returns what it removed."""
    layout = HomeLayout(home)
    removed: list[Path] = []
    for lock_path in sorted(layout.runs.glob("*.lock")):
        run_id = lock_path.stem
        try:
            with FileLock(lock_path, timeout=0):
                leftovers = [
                    *layout.spools_of_run(run_id),
                    *(b for b in layout.batches_of_run(run_id) if not is_staged(b)),
                ]
                for path in leftovers:
                    shutil.rmtree(path, ignore_errors=True)
                    removed.append(path)
                lock_path.unlink(missing_ok=True)
        except Timeout:
            continue  # a live run
    for tmp, pid in layout.search_scratches():
        if pid is not None and not process_alive(pid):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    try:
        with FileLock(layout.lock("publish"), timeout=0):
            for spill in layout.spill.glob("*"):
                shutil.rmtree(spill, ignore_errors=True) if spill.is_dir() else spill.unlink(missing_ok=True)
                removed.append(spill)
    except Timeout:
        pass
    return removed


def run(
    collection_ids: list[str] | None = None,
    source: str | os.PathLike[str] | None = None,
    home: str | os.PathLike[str] | None = None,
    force: bool = False,
    lake: LakeSettings | None = None,
    jobs: int = 1,
) -> RunSummary:
    """Fetch, normalize, validate, stage and publish the given collections (default: all).

    Raises ValueError for a source that cannot be used (see route_source). A resource running
    out (disk, files, memory, permissions) or the lake failing ends the run early with
    `failure` set: nothing more is published and the deliveries stay pending.

    jobs > 1: the collections are fetched, and their deliveries (or the parts of a big one, see
    normalize_all) normalized, in a pool of that many processes; the quality gate, the staging
    and the publish stay here, one step for the run, with the same result as jobs=1.
    """
    home = home_dir(home)
    home.mkdir(parents=True, exist_ok=True)
    layout = HomeLayout(home)
    lake = lake or lake_settings(home)
    ids, unclaimed = route_source(source, collection_ids)
    run_id = _new_run_id()
    summary = RunSummary([], None, home, unclaimed=unclaimed)
    with _run_lock(home, run_id):
        try:
            sweep(home)
            _run_collections(summary, ids, source, force, lake, run_id, jobs)
            if any(b.files for b in summary.batches) and layout.gx_context.is_dir():
                summary.data_docs = build_data_docs(layout.gx)
        except LakeError as exc:
            summary.failure = str(exc)
        except BrokenProcessPool:
            summary.failure = "a process of the pool died while normalizing (killed, or out of memory)"
        except Exception as exc:  # a full disk or a permission surfaces through GX, DuckDB, pyarrow ...
            resource = resource_error(exc)
            if resource is None:
                raise
            summary.failure = str(resource)
    layout.run_lock(run_id).unlink(missing_ok=True)
    return summary


class _Here(Executor):
    """An executor that runs each call at once, in this process (`--jobs 1`)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # raised by result(), as a pool's future does
            future.set_exception(exc)
        return future


def _run_collections(
    summary: RunSummary,
    ids: list[str],
    source: SourceArg,
    force: bool,
    lake: LakeSettings,
    run_id: str,
    jobs: int = 1,
) -> None:
    home = summary.home
    with _Here() if jobs <= 1 else ProcessPoolExecutor(jobs) as pool:
        found = {cid: pool.submit(_fetch_by_id, cid, home, source, force) for cid in ids}
        warm = _prepare_gate() if jobs > 1 else None
        normalizing: dict[str, list[PendingDelivery]] = {}
        for cid, pending in found.items():
            try:
                fetched = pending.result()
            except FetchError as exc:
                summary.fetch_failures.append((cid, str(exc)))
                continue
            summary.fetch_failures.extend((cid, f"not fetched {name}: {reason}") for name, reason in fetched.failures)
            if fetched.deliveries:
                paths = [d.path for d in fetched.deliveries]
                normalizing[cid] = normalize_all(COLLECTIONS[cid], paths, home, run_id, force, pool, jobs, lake)
        if warm is not None:
            warm.join()
        for cid, normalized in normalizing.items():
            summary.batches.append(_stage(COLLECTIONS[cid], normalized, home, run_id))
    try:
        published = publish_staged(home, lake=lake)  # this run's batches, and any a crashed run left behind
    except PublishRefused as exc:
        published, summary.refused = None, str(exc)
    if published is None and lake_exists(lake):
        catalog.build_search(lake, home)  # no-op when current; completes a publish that crashed before it
    summary.snapshot_id = published.snapshot_id if published else None


def _stage(collection: Collection, normalized: list[PendingDelivery], home: Path, run_id: str) -> BatchSummary:
    """validate_and_stage once the deliveries are normalized; the run's spool is removed after."""
    try:
        return validate_and_stage(collection, [pending.result() for pending in normalized], home, run_id)
    finally:
        shutil.rmtree(HomeLayout(home).spool(collection.id, run_id), ignore_errors=True)


def _prepare_gate() -> threading.Thread:
    """Import the quality gate's GX in a thread of this process while the pool's processes
    (forked at its first task, before this thread starts) fetch and normalize; a failure here is
    left for the gate itself to report."""

    def prepare() -> None:
        with contextlib.suppress(Exception):
            gate.prepare()

    thread = threading.Thread(target=prepare, name="prepare-gate", daemon=True)
    thread.start()
    return thread


def _fetch_by_id(collection_id: str, home: Path, source: SourceArg, force: bool) -> FetchResult:
    """fetch_deliveries, for a pool's process."""
    return fetch_deliveries(COLLECTIONS[collection_id], home, source, force)
