"""`ipetl run` in one process: fetch, normalize, validate and stage, publish; and the sweep of
what killed runs left behind."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from filelock import FileLock, Timeout

from connectors.fetch import FetchResult
from connectors.home import HomeLayout
from connectors.progress import NO_PROGRESS, Progress
from connectors.resources import resource_error
from connectors.sources import FetchError
from expectations import gate
from expectations.datadocs import build_data_docs
from ipetl.pipeline.deliveries import fetch_deliveries
from ipetl.pipeline.normalize import PendingDelivery, normalize_all
from ipetl.pipeline.publish import publish_staged
from ipetl.pipeline.settings import SourceArg, home_dir, lake_settings, route_source, source_for
from ipetl.pipeline.stage import validate_and_stage
from ipetl.pipeline.staging import STAGED, BatchSummary, is_staged
from ipetl.processes import process_alive
from ipetl.progress import amount
from ipetl.registry import COLLECTIONS, Collection
from warehouse import catalog
from warehouse.lake import LakeError, LakeSettings
from warehouse.lake import exists as lake_exists
from warehouse.publish import PublishRefused

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceFailure:
    """A source that could not be listed, or a file of it that could not be fetched."""

    collection: str
    host: str  # the source's host (its folder, for a local one)
    reason: str  # in a few words


@dataclass(frozen=True)
class Outcome:
    """What a run made of one collection's records: read = published + quarantined + rejected + deleted.

    published: records the lake took (or already held as they are: status `unchanged`);
    quarantined: records set aside with the rule they broke; deleted: records the deliveries
    withdraw (tombstones); rejected: records read but not published because their batch was not
    (the gate failed it, the publish was refused, or the run stopped before it).
    rejected_files: deliveries set aside whole (unreadable: their records are not counted).
    """

    collection: str
    status: str  # published, unchanged, up to date, nothing kept, failed, refused, not published, not fetched
    exit_code: int
    read: int = 0
    published: int = 0
    quarantined: int = 0
    rejected: int = 0
    deleted: int = 0
    files: int = 0
    rejected_files: int = 0
    skipped: int = 0  # deliveries already published
    errors: tuple[str, ...] = ()

    COUNTS = ("read", "published", "quarantined", "rejected", "deleted")


@dataclass
class RunSummary:
    batches: list[BatchSummary]
    snapshot_id: int | None
    home: Path
    refused: str | None = None  # why the publish was refused, if it was
    data_docs: Path | None = None
    fetch_failures: list[SourceFailure] = field(default_factory=list)
    failure: str | None = None  # why the run stopped (a resource, the lake): the deliveries stay pending
    unclaimed: list[str] = field(default_factory=list)  # entries of --source no collection claims
    run_id: str = ""
    publish_done: bool = False  # the publish step ended without refusal (with a new snapshot, or none needed)

    @property
    def exit_code(self) -> int:
        """0: everything asked for was done; 1: some input was rejected, quarantined whole or
        refused; 3: the run could not finish (a resource, the lake, a source). Entries of a
        mirror that no collection claims are reported, not failed."""
        return max([o.exit_code for o in self.outcomes()] + [3 if self.failure else 1 if self.refused else 0])

    def outcomes(self) -> list[Outcome]:
        """Each collection's outcome: those with a batch, then those whose source failed."""
        failures: dict[str, list[SourceFailure]] = {}
        for f in self.fetch_failures:
            failures.setdefault(f.collection, []).append(f)
        found = [self._outcome(b, failures.pop(b.collection, [])) for b in self.batches]
        return found + [
            Outcome(cid, "not fetched", 3, errors=tuple(f"{f.host}: {f.reason}" for f in failed))
            for cid, failed in failures.items()
        ]

    def _outcome(self, b: BatchSummary, fetch_failures: list[SourceFailure]) -> Outcome:
        errors = tuple(
            [f"{f.host}: {f.reason}" for f in fetch_failures]
            + [f"rejected {path}: {reason}" for path, reason in b.rejected]
            + [f"not published: {failure}" for failure in b.failures]
        )
        code = 3 if self.failure or fetch_failures else 1 if b.failures or b.rejected else 0
        counts = {"read": b.records, "quarantined": b.quarantined, "files": b.files, "skipped": b.skipped}
        counts["rejected_files"] = len(b.rejected)
        if not b.files:
            return Outcome(b.collection, "up to date", code, errors=errors, **counts)
        if b.status != STAGED or not self.publish_done:  # nothing of the batch went to the lake
            status = "failed" if b.failures else "refused" if self.refused else "not published"
            code = max(code, 1)
            rejected = b.records - b.quarantined
            return Outcome(b.collection, status, code, rejected=rejected, errors=errors, **counts)
        if not (b.passed or b.deleted):
            status = "nothing kept"
        else:
            status = "published" if self.snapshot_id is not None else "unchanged"
        return Outcome(b.collection, status, code, published=b.passed, deleted=b.deleted, errors=errors, **counts)

    def report(self, log: Path | None = None) -> dict[str, Any]:
        """The run for a scheduler (`ipetl run --summary-json`): its snapshot, exit code and
        each collection's outcome, with the five counts under their names."""
        return {
            "run_id": self.run_id,
            "snapshot_id": self.snapshot_id,
            "exit_code": self.exit_code,
            "failure": self.failure,
            "refused": self.refused,
            "log": None if log is None else str(log),
            "collections": [
                {
                    "collection": o.collection,
                    **{name: getattr(o, name) for name in Outcome.COUNTS},
                    "snapshot_id": self.snapshot_id if o.status == "published" else None,
                    "status": o.status,
                    "exit_code": o.exit_code,
                    "files": o.files,
                    "rejected_files": o.rejected_files,
                    "skipped": o.skipped,
                    "errors": list(o.errors),
                }
                for o in self.outcomes()
            ],
        }


def new_run_id() -> str:
    """A run's id: its UTC start time and a random suffix."""
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
    progress: Progress = NO_PROGRESS,
    run_id: str | None = None,
) -> RunSummary:
    """Fetch, normalize, validate, stage and publish the given collections (default: all).

    Raises ValueError for a source that cannot be used (see route_source). A resource running
    out (disk, files, memory, permissions) or the lake failing ends the run early with
    `failure` set: nothing more is published and the deliveries stay pending.

    jobs > 1: the collections are fetched, and their deliveries (or the parts of a big one, see
    normalize_all) normalized, in a pool of that many processes; the quality gate, the staging
    and the publish stay here, one step for the run, with the same result as jobs=1.

    progress: told of each step (the sources it contacts and their retries, the bytes fetched
    and records read per file, the gate, the publish); the pool's processes get its
    for_worker(). run_id: the run's (new_run_id()) when the caller needs it first, for its log.
    """
    home = home_dir(home)
    home.mkdir(parents=True, exist_ok=True)
    layout = HomeLayout(home)
    lake = lake or lake_settings(home)
    ids, unclaimed = route_source(source, collection_ids)
    run_id = run_id or new_run_id()
    summary = RunSummary([], None, home, unclaimed=unclaimed, run_id=run_id)
    with _run_lock(home, run_id):
        try:
            sweep(home)
            _run_collections(summary, ids, source, force, lake, run_id, jobs, progress)
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
    progress: Progress = NO_PROGRESS,
) -> None:
    home = summary.home
    pooled = progress if jobs <= 1 else progress.for_worker()
    with _Here() if jobs <= 1 else ProcessPoolExecutor(jobs) as pool:
        found = {cid: pool.submit(_fetch_by_id, cid, home, source, force, pooled.within("fetch", cid)) for cid in ids}
        warm = _prepare_gate() if jobs > 1 else None
        normalizing: dict[str, list[PendingDelivery]] = {}
        for cid, pending in found.items():
            where = _host(COLLECTIONS[cid], source)
            try:
                fetched = pending.result()
            except FetchError as exc:
                summary.fetch_failures.append(SourceFailure(cid, where, exc.reason))
                continue
            summary.fetch_failures.extend(
                SourceFailure(cid, where, f"not fetched {name}: {reason}") for name, reason in fetched.failures
            )
            if fetched.deliveries:
                paths = [d.path for d in fetched.deliveries]
                normalizing[cid] = normalize_all(
                    COLLECTIONS[cid], paths, home, run_id, force, pool, jobs, lake, pooled.within("normalize", cid)
                )
        if warm is not None:
            warm.join()
        for cid, normalized in normalizing.items():
            summary.batches.append(_stage(COLLECTIONS[cid], normalized, home, run_id))
    started, staged = time.monotonic(), any(b.files for b in summary.batches)
    if staged:
        log.info("publish: the staged batches into the lake, then the search database", extra={"step": "publish"})
    try:
        published = publish_staged(home, lake=lake)  # this run's batches, and any a crashed run left behind
    except PublishRefused as exc:
        published, summary.refused = None, str(exc)
    else:
        summary.publish_done = True
    if published is None and lake_exists(lake):
        catalog.build_search(lake, home)  # no-op when current; completes a publish that crashed before it
    summary.snapshot_id = published.snapshot_id if published else None
    if summary.publish_done and (staged or published):
        done = f"snapshot {summary.snapshot_id}" if published else "nothing new for the lake"
        log.info(f"publish: {done} in {time.monotonic() - started:.1f} s", extra={"step": "publish"})


def _host(collection: Collection, source: SourceArg) -> str:
    """The host of the collection's source (its folder, for a local one)."""
    spec = source_for(collection, source)
    location = spec.resolved()
    return location if spec.kind == "local" else urlsplit(location).hostname or location


def _stage(collection: Collection, normalized: list[PendingDelivery], home: Path, run_id: str) -> BatchSummary:
    """validate_and_stage once the deliveries are normalized; the run's spool is removed after."""
    fields = {"step": "gate", "collection": collection.id}
    try:
        done = [pending.result() for pending in normalized]
        read = sum(n.records + n.quarantined for n in done)
        if read:
            log.info(f"gate {collection.id}: {amount(read, 'record')}", extra=fields)
        started = time.monotonic()
        b = validate_and_stage(collection, done, home, run_id)
    finally:
        shutil.rmtree(HomeLayout(home).spool(collection.id, run_id), ignore_errors=True)
    if read:
        log.info(
            f"gate {collection.id}: {b.passed:,} passed, {b.quarantined:,} quarantined, {b.deleted:,} deleted "
            f"in {time.monotonic() - started:.1f} s" + (f"; failed: {'; '.join(b.failures)}" if b.failures else ""),
            extra=fields,
        )
    return b


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


def _fetch_by_id(collection_id: str, home: Path, source: SourceArg, force: bool, progress: Progress) -> FetchResult:
    """fetch_deliveries, for a pool's process."""
    return fetch_deliveries(COLLECTIONS[collection_id], home, source, force, progress)
