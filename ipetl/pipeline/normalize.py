"""Normalize deliveries into a run's spool: one delivery at a time (normalize_delivery), or a
collection's deliveries in a pool of processes, a big one cut into parts (normalize_all)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from concurrent.futures import Executor, Future
from dataclasses import asdict
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from connectors.fetch import count_attempt, sha256_file
from connectors.home import HomeLayout
from connectors.progress import NO_PROGRESS, Progress
from connectors.resources import ResourceError
from connectors.split import split_xml
from ipetl.pipeline.images import spool_images
from ipetl.pipeline.settings import lake_settings, max_attempts
from ipetl.pipeline.staging import NormalizedDelivery
from ipetl.registry import COLLECTIONS, Collection
from transforms.normalize import FileResult, normalize_file, quarantine_row
from transforms.schema import QUARANTINE, TABLES
from warehouse.lake import LakeSettings, failpoint
from warehouse.lake import connect as connect_lake
from warehouse.lake import exists as lake_exists
from warehouse.publish import Delivery

SPLIT_PART_BYTES = 32 * 1024 * 1024  # a delivery is cut into parts of at least this size
DELIVERY_FILE = "delivery.json"  # a spooled delivery's entry of the lake's `deliveries` table

Published = dict[tuple[str, int], str | None]  # a collection's deliveries in the lake: (name, size) -> sha256


def published_deliveries(settings: LakeSettings, collection: str) -> Published:
    """The collection's deliveries in the lake (none before the first publish)."""
    if not lake_exists(settings):
        return {}
    # a database server: create the lake if new
    con = connect_lake(settings, read_only=settings.catalog_file is not None)
    try:
        rows = con.execute(
            "SELECT name, size, sha256 FROM lake.deliveries WHERE collection = ?", [collection]
        ).fetchall()
    finally:
        con.close()
    return {(name, size): sha for name, size, sha in rows}


def _already_published(path: Path, published: Published) -> bool:
    key = (path.name, path.stat().st_size)
    if key not in published:
        return False
    return published[key] == sha256_file(path)


def read_delivery_entry(spool: Path) -> Delivery:
    return Delivery(**json.loads((spool / DELIVERY_FILE).read_text()))


def _fresh_spool(home: Path, collection: Collection, run_id: str, path: Path) -> Path:
    spool = HomeLayout(home).spool(collection.id, run_id) / path.name
    shutil.rmtree(spool, ignore_errors=True)
    spool.mkdir(parents=True)
    return spool


def normalize_delivery(
    collection: Collection,
    path: str | os.PathLike[str],
    home: Path,
    run_id: str,
    force: bool = False,
    published: Published | None = None,
    lake: LakeSettings | None = None,
    progress: Progress = NO_PROGRESS,
) -> NormalizedDelivery:
    """Normalize one delivery into the run's spool: <home>/staging/.work/<collection>/<run_id>/<name>/
    holds its canonical rows stamped with the delivery's order (records.parquet), its quarantined
    rows and its entry of the lake's deliveries. A rerun of the same run overwrites it.

    Returns what validate_and_stage needs, small enough for an XCom (paths and counts, never
    records); `skipped` when the same delivery is already published (unless force).
    published: the collection's published deliveries, when the caller already has them.
    progress: told of the records read.
    """
    path, home = Path(path), Path(home)
    if not force:
        if published is None:
            published = published_deliveries(lake or lake_settings(home), collection.id)
        if published and _already_published(path, published):
            return NormalizedDelivery(path.name, str(path), skipped=True)
    spool = _fresh_spool(home, collection, run_id, path)
    now = dt.datetime.now(dt.UTC)
    attempts = count_attempt(home, collection.id, path.name, +1)
    failpoint("normalize")
    if attempts > max_attempts():  # it killed its reader every time: set it aside, let the rest through
        result = FileResult(
            str(path),
            collection.table,
            rejected=f"reading it never finished in {attempts - 1} attempts "
            "(the process died or was killed each time); set aside (IPETL_MAX_ATTEMPTS)",
        )
    else:
        try:
            result = normalize_file(
                path, collection.format, collection.rules(), spool, ingested_at=now, today=now.date(), progress=progress
            )
        except ResourceError:
            count_attempt(home, collection.id, path.name, -1)  # not the delivery's doing
            raise
    count_attempt(home, collection.id, path.name, 0)
    return _spool_delivery(collection, path, home, spool, [result], now, lake or lake_settings(home), progress)


def _spool_delivery(
    collection: Collection,
    path: Path,
    home: Path,
    spool: Path,
    results: list[FileResult],
    now: dt.datetime,
    lake: LakeSettings,
    progress: Progress,
) -> NormalizedDelivery:
    """Write a normalized delivery's spool (see normalize_delivery) and return its summary.
    results: the whole file's, or its parts' in order (each with the whole file's checksum).
    The pictures its records point at are stored in the lake and spooled (pipeline.images)."""
    rules = collection.rules()
    date, sequence = collection.delivery_order(path)
    quarantine = [row for result in results for row in result.quarantined]
    refs = [ref for result in results for ref in result.images]
    quarantined = len(quarantine)  # records held back; a picture's row holds none
    quarantine += spool_images(path, refs, rules, lake, spool, now, collection.source.image_rate_limit, progress)
    rejected = next((result.rejected for result in results if result.rejected), None)
    records = sum(result.records for result in results)
    if rejected:
        target = HomeLayout(home).quarantine(collection.id)
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / path.name)
        quarantine.append(quarantine_row(rules, path.name, None, "delivery.readable", None, rejected, now))
    with pq.ParquetWriter(spool / "records.parquet", TABLES[collection.table], compression="lz4") as writer:
        for result in results:
            for batch in result.batches():
                writer.write_batch(_with_delivery(batch, date, sequence))
            result.discard()
    pq.write_table(pa.Table.from_pylist(quarantine, schema=QUARANTINE), spool / "quarantine.parquet")
    delivery = Delivery(
        collection.id,
        path.name,
        ";".join(results[0].checksums.values()) or None,
        path.stat().st_size,
        records=records,
        rejected=rejected,
        delivery_date=date.isoformat(),
        delivery_sequence=sequence,
    )
    (spool / DELIVERY_FILE).write_text(json.dumps(asdict(delivery)))
    return NormalizedDelivery(
        path.name, str(path), spool=str(spool), records=records, quarantined=quarantined, rejected=rejected
    )


def _with_delivery(batch: pa.RecordBatch, date: dt.date, sequence: int) -> pa.RecordBatch:
    """Stamp the rows of a delivery with its order (date, sequence)."""
    n = batch.num_rows
    for name, value, type_ in (("delivery_date", date, pa.date32()), ("delivery_sequence", sequence, pa.int64())):
        index = batch.schema.get_field_index(name)
        batch = batch.set_column(index, batch.schema.field(index), pa.array([value] * n, type_))
    return batch


class PendingDelivery(Protocol):
    """A delivery being normalized: a pool's future, or _Parts."""

    def result(self) -> NormalizedDelivery: ...


def normalize_all(
    collection: Collection,
    paths: list[Path],
    home: Path,
    run_id: str,
    force: bool,
    pool: Executor,
    jobs: int,
    lake: LakeSettings,
    progress: Progress = NO_PROGRESS,
) -> list[PendingDelivery]:
    """Submit the normalization of a collection's deliveries to the pool (one that runs each call
    at once: one after another, in this process); their pending summaries, in order.
    A plain XML delivery of a format with a split_tag, at least two SPLIT_PART_BYTES long, is cut
    into up to `jobs` parts at record boundaries, normalized in parallel and spooled as one.
    progress: told of the records read (given to the pool's processes: see Progress.for_worker)."""
    published = {} if force else published_deliveries(lake, collection.id)
    pending: list[PendingDelivery] = []
    split_tag = collection.format.split_tag
    for path in map(Path, paths):
        parts = min(jobs, path.stat().st_size // SPLIT_PART_BYTES) if split_tag else 1
        cut = parts >= 2 and (force or not _already_published(path, published)) and not _compressed(path)
        # counted like normalize_delivery's readings; one that never finished goes the whole-file way, set aside there
        if split_tag and cut and count_attempt(home, collection.id, path.name, +1) <= max_attempts():
            pending.append(_Parts(collection, path, home, run_id, pool, split_tag, parts, lake, progress))
        else:
            pending.append(
                pool.submit(_normalize_by_id, collection.id, path, home, run_id, force, published, lake, progress)
            )
    return pending


def _normalize_by_id(
    collection_id: str,
    path: Path,
    home: Path,
    run_id: str,
    force: bool,
    published: Published,
    lake: LakeSettings,
    progress: Progress,
) -> NormalizedDelivery:
    """normalize_delivery, for a pool's process (which looks the collection up itself)."""
    return normalize_delivery(COLLECTIONS[collection_id], path, home, run_id, force, published, lake, progress)


def _compressed(path: Path) -> bool:
    """Whether the delivery is an archive or compressed (its members are read, not its bytes)."""
    return path.suffix.lower() in (".zip", ".gz", ".tgz", ".tar", ".bz2", ".xz")


class _Parts:
    """One delivery cut into parts (connectors.split) whose normalizations run in the pool;
    result() spools them as the delivery (normalize_delivery's spool and summary)."""

    def __init__(
        self,
        collection: Collection,
        path: Path,
        home: Path,
        run_id: str,
        pool: Executor,
        split_tag: str,
        parts: int,
        lake: LakeSettings,
        progress: Progress,
    ):
        self.collection, self.path, self.home, self.lake, self.progress = collection, path, home, lake, progress
        self.spool = _fresh_spool(home, collection, run_id, path)
        self.now = dt.datetime.now(dt.UTC)
        files = split_xml(path, split_tag, parts, self.spool / "parts")
        self.sha256: Future[str] = pool.submit(sha256_file, path)
        self.futures: list[Future[FileResult]] = [
            pool.submit(_normalize_part, collection.id, part, self.spool, self.now, progress) for part in files
        ]

    def result(self) -> NormalizedDelivery:
        results = [future.result() for future in self.futures]
        shutil.rmtree(self.spool / "parts", ignore_errors=True)
        if not results or any(r.rejected for r in results):  # not cut, or unreadable: the whole file says why
            for r in results:
                r.discard()
            results = [
                normalize_file(
                    self.path,
                    self.collection.format,
                    self.collection.rules(),
                    self.spool,
                    ingested_at=self.now,
                    today=self.now.date(),
                )
            ]
        else:
            checksum = {self.path.name: self.sha256.result()}
            for r in results:
                r.checksums = checksum
        count_attempt(self.home, self.collection.id, self.path.name, 0)  # the reading finished
        return _spool_delivery(
            self.collection,
            self.path,
            self.home,
            self.spool,
            results,
            self.now,
            self.lake,
            self.progress,
        )


def _normalize_part(collection_id: str, part: Path, spool: Path, now: dt.datetime, progress: Progress) -> FileResult:
    collection = COLLECTIONS[collection_id]
    return normalize_file(
        part, collection.format, collection.rules(), spool, ingested_at=now, today=now.date(), progress=progress
    )
