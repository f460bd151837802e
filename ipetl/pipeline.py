"""The pipeline's steps as plain functions: discover → normalize → validate → stage → publish.

`ipetl run` calls them in one process; the Airflow DAGs call the same functions, one task per
step, passing only paths and counts between them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from connectors.fetch import FetchResult, fetch_new, mark_processed
from connectors.sources import FetchError
from expectations import gate
from expectations.datadocs import build_data_docs
from ipetl.registry import COLLECTIONS, Collection
from transforms.normalize import QUARANTINE, FileResult, normalize_file, quarantine_row
from transforms.schema import TABLES
from warehouse import catalog, snapshots
from warehouse.publish import TOMBSTONES, Delivery, PublishRefused, PublishRequest, StagedFile, publish


def home_dir(home: str | os.PathLike | None = None) -> Path:
    """--home, else $IPETL_HOME, else ./var."""
    return Path(home or os.environ.get("IPETL_HOME") or "var").absolute()


def registry_rows() -> list[dict]:
    return [
        {"collection": c.id, "office": c.office, "kind": c.kind, "format": c.format, "office_name": c.office_name}
        for c in COLLECTIONS.values()
    ]


@dataclass
class BatchSummary:
    """One collection's staged batch: what a run read, kept, quarantined and rejected."""

    collection: str
    table: str
    batch_dir: str | None = None
    files: int = 0
    records: int = 0
    passed: int = 0
    quarantined: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    failures: list[str] = field(default_factory=list)
    skipped: int = 0  # deliveries already published
    deleted: int = 0  # records the deliveries mark deleted (tombstones)

    @property
    def status(self) -> str:
        return "failed" if self.failures else "staged"


def discover(collection: Collection, home: Path, source: str | os.PathLike | None = None, force: bool = False) -> FetchResult:
    """Fetch a collection's new deliveries: from its declared source (into
    <home>/incoming/<collection>/), or read in place from DIR for `--source DIR` (a directory of
    deliveries, or a mirror holding one directory per collection). Returns every delivery fetched
    and not yet processed, and the files that could not be fetched (they resume next time)."""
    spec = collection.source
    if source:
        folder = Path(source)
        if (folder / collection.id).is_dir():
            folder = folder / collection.id
        spec = dataclasses.replace(spec, kind="local", location=str(folder))
    return fetch_new(collection.id, spec, home, force=force)


def _mark_processed(home: Path, collection: str, deliveries: list[dict]) -> None:
    """Tell the fetch state what became of the deliveries of a published batch."""
    for status in ("processed", "rejected"):
        chosen = [d for d in deliveries if (d.get("rejected") is None) == (status == "processed")]
        for d in chosen:
            try:
                mark_processed(home, collection, d["name"], status, d.get("rejected"))
            except ValueError:
                pass  # ingested directly from paths, not through the fetch state


def _published(home: Path, collection: str) -> dict[tuple[str, int], str | None]:
    return {
        (d["name"], d.get("size")): d.get("sha256")
        for d in snapshots.load(home)["deliveries"]
        if d["collection"] == collection
    }


def _already_published(path: Path, published: dict) -> bool:
    key = (path.name, path.stat().st_size)
    if key not in published:
        return False
    return published[key] == snapshots.sha256_file(path)


def _quarantine_file(home: Path, collection: str, path: Path) -> None:
    target = home / "quarantine" / collection
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, target / path.name)


def ingest(
    collection: Collection,
    paths: list[Path],
    home: Path,
    run_id: str | None = None,
    force: bool = False,
) -> BatchSummary:
    """Normalize and validate a collection's deliveries and stage what passes for publishing."""
    home = Path(home)
    run_id = run_id or dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    summary = BatchSummary(collection=collection.id, table=collection.table)
    published = {} if force else _published(home, collection.id)
    batch_dir = home / "staging" / collection.id / run_id
    work = home / "staging" / ".work"
    work.mkdir(parents=True, exist_ok=True)
    rules = collection.rules()
    now = dt.datetime.now(dt.timezone.utc)
    results: list[FileResult] = []
    deliveries: list[Delivery] = []
    quarantine: list[dict] = []
    batches: list[pa.RecordBatch] = []
    for path in sorted(paths, key=lambda p: (*collection.delivery_order(p), p.name)):
        if published and _already_published(path, published):
            summary.skipped += 1
            continue
        summary.files += 1
        delivery_date, delivery_sequence = collection.delivery_order(path)
        result = normalize_file(path, collection.fmt, rules, work, ingested_at=now)
        if result.rejected:
            summary.rejected.append((str(path), result.rejected))
            _quarantine_file(home, collection.id, path)
            quarantine.append(quarantine_row(rules, path.name, None, "delivery.readable", None, result.rejected, now))
        deliveries.append(
            Delivery(collection.id, path.name, ";".join(result.checksums.values()) or None, path.stat().st_size,
                     records=result.records, rejected=result.rejected,
                     delivery_date=delivery_date.isoformat(), delivery_sequence=delivery_sequence)
        )
        quarantine.extend(result.quarantined)
        batches.extend(_with_delivery(b, delivery_date, delivery_sequence) for b in result.batches())
        results.append(result)
    schema = TABLES[collection.table]
    table = pa.Table.from_batches(batches, schema=schema) if batches else schema.empty_table()
    for result in results:
        result.discard()
    deleted = pc.equal(table.column("status"), "Delete")
    tombstones = _tombstones(collection, table.filter(deleted))
    table = table.filter(pc.invert(deleted))
    summary.deleted = tombstones.num_rows
    summary.records = table.num_rows + tombstones.num_rows + len(quarantine) - len(summary.rejected)
    checked = None
    if table.num_rows:
        checked = gate.validate(collection.table, table, rules, list(COLLECTIONS), home / "gx")
        quarantine.extend(checked.quarantine)
        summary.failures = checked.failures
        summary.passed = checked.passed.num_rows
    summary.quarantined = len(quarantine) - len(summary.rejected)
    if not deliveries:
        return summary
    batch_dir.mkdir(parents=True, exist_ok=True)
    if checked is not None and checked.passed.num_rows:
        pq.write_table(checked.passed, batch_dir / "records.parquet", compression="zstd")
    if tombstones.num_rows:
        pq.write_table(tombstones, batch_dir / "tombstones.parquet", compression="zstd")
    pq.write_table(pa.Table.from_pylist(quarantine, schema=QUARANTINE), batch_dir / "quarantine.parquet")
    for d in deliveries:  # per-delivery counts after the gate
        d.quarantined = sum(1 for q in quarantine if q["source_file"].split("!")[0] == d.name and q["rule_id"] != "delivery.readable")
    (batch_dir / "batch.json").write_text(
        json.dumps({"summary": asdict(summary), "status": summary.status, "deliveries": [asdict(d) for d in deliveries], "created_at": now.isoformat()}, indent=1)
    )
    summary.batch_dir = str(batch_dir)
    return summary


def _with_delivery(batch: pa.RecordBatch, date: dt.date, sequence: int) -> pa.RecordBatch:
    """Stamp the rows of a delivery with its order (date, sequence)."""
    n = batch.num_rows
    for name, value, type_ in (("delivery_date", date, pa.date32()), ("delivery_sequence", sequence, pa.int64())):
        index = batch.schema.get_field_index(name)
        batch = batch.set_column(index, batch.schema.field(index), pa.array([value] * n, type_))
    return batch


def _tombstones(collection: Collection, rows: pa.Table) -> pa.Table:
    """Records a delivery marks deleted (status category `Delete`) → tombstone rows."""
    n = rows.num_rows
    design_number = rows.column("design_number") if "design_number" in rows.schema.names else pa.nulls(n, pa.string())
    return pa.table(
        {
            "table_name": pa.array([collection.table] * n, pa.string()),
            "st13": rows.column("st13"),
            "design_number": design_number,
            "collection": rows.column("collection"),
            "office": rows.column("office"),
            "reason": rows.column("office_status"),
            "source_file": rows.column("source_file"),
            "delivery_date": rows.column("delivery_date"),
            "delivery_sequence": rows.column("delivery_sequence"),
        },
        schema=TOMBSTONES,
    )


def staged_batches(home: Path) -> list[Path]:
    """Staged batch directories awaiting publication, oldest first."""
    root = Path(home) / "staging"
    found = []
    for batch_json in root.glob("*/*/batch.json"):
        info = json.loads(batch_json.read_text())
        if info["status"] == "staged":
            found.append((info["created_at"], batch_json.parent))
    return [p for _, p in sorted(found)]


def publish_staged(home: Path, batch_dirs: list[Path] | None = None) -> dict | None:
    """Merge staged batches into one new snapshot and rebuild the catalog; returns the manifest."""
    home = Path(home)
    batch_dirs = staged_batches(home) if batch_dirs is None else batch_dirs
    request = PublishRequest()
    for batch_dir in batch_dirs:
        info = json.loads((batch_dir / "batch.json").read_text())
        summary = info["summary"]
        for name, tombstones in (("records.parquet", False), ("tombstones.parquet", True)):
            path = batch_dir / name
            if path.exists():
                rows = pq.ParquetFile(path).metadata.num_rows
                request.staged.append(StagedFile(summary["collection"], summary["table"], path, batch_dir.name, rows, tombstones))
        request.quarantine.extend(pq.read_table(batch_dir / "quarantine.parquet").to_pylist())
        request.deliveries.extend(Delivery(**d) for d in info["deliveries"])
        if summary["collection"] not in request.collections:
            request.collections.append(summary["collection"])
    try:
        manifest = publish(home, request)
    except PublishRefused as exc:
        for batch_dir in batch_dirs:  # not retried as is: the data needs a look first
            info = json.loads((batch_dir / "batch.json").read_text())
            info.update(status="refused", reason=str(exc))
            (batch_dir / "batch.json").write_text(json.dumps(info, indent=1))
        raise
    snapshots.failpoint("before-catalog")
    catalog.build(home, registry_rows())
    for batch_dir in batch_dirs:
        info = json.loads((batch_dir / "batch.json").read_text())
        _mark_processed(home, info["summary"]["collection"], info["deliveries"])
        shutil.rmtree(batch_dir, ignore_errors=True)
    return manifest


@dataclass
class RunSummary:
    batches: list[BatchSummary]
    snapshot_id: int | None
    home: Path
    refused: str | None = None  # why the publish was refused, if it was
    data_docs: Path | None = None
    fetch_failures: list[tuple[str, str]] = field(default_factory=list)  # (collection, reason)


def run(
    collection_ids: list[str] | None = None,
    source: str | os.PathLike | None = None,
    home: str | os.PathLike | None = None,
    force: bool = False,
) -> RunSummary:
    """Discover, normalize, validate, stage and publish the given collections (default: all)."""
    home = home_dir(home)
    home.mkdir(parents=True, exist_ok=True)
    ids = collection_ids or list(COLLECTIONS)
    summaries = []
    run_id = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    fetch_failures = []
    for cid in ids:
        collection = COLLECTIONS[cid]
        try:
            fetched = discover(collection, home, source, force)
        except FetchError as exc:
            fetch_failures.append((cid, str(exc)))
            continue
        fetch_failures.extend((cid, f"not fetched {name}: {reason}") for name, reason in fetched.failures)
        if fetched.deliveries:
            summaries.append(ingest(collection, [d.path for d in fetched.deliveries], home, run_id=run_id, force=force))
    ready = staged_batches(home)  # this run's, and any a crashed run left behind
    refused = None
    try:
        manifest = publish_staged(home, ready) if ready else None
    except PublishRefused as exc:
        manifest, refused = None, str(exc)
    if manifest is None:
        catalog.build(home, registry_rows())  # no-op when current; completes a publish that crashed before it
    docs = build_data_docs(home / "gx") if any(s.files for s in summaries) and (home / "gx" / "gx").is_dir() else None
    return RunSummary(summaries, manifest["snapshot_id"] if manifest else None, home, refused, docs, fetch_failures)
