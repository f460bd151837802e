"""The pipeline's steps as plain functions: discover → normalize → validate → stage → publish.

`ipetl run` calls them in one process; the Airflow DAGs call the same functions, one task per
step, passing only paths and counts between them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from expectations import gate
from ipetl.registry import COLLECTIONS, Collection
from transforms.normalize import QUARANTINE, FileResult, normalize_file, quarantine_row
from transforms.schema import TABLES
from warehouse import catalog, snapshots
from warehouse.publish import Delivery, PublishRequest, StagedFile, publish


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

    @property
    def status(self) -> str:
        return "failed" if self.failures else "staged"


def discover(collection: Collection, source: str | os.PathLike | None = None) -> list[Path]:
    """Delivery files of a collection in a local directory, in delivery (name) order."""
    folder = Path(source) if source else Path(collection.source.resolved())
    if source and (folder / collection.id).is_dir():
        folder = folder / collection.id  # a mirror root holding one directory per collection
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(collection.source.pattern) if p.is_file() and not p.name.startswith("."))


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
    for path in paths:
        if published and _already_published(path, published):
            summary.skipped += 1
            continue
        summary.files += 1
        result = normalize_file(path, collection.fmt, rules, work, ingested_at=now)
        if result.rejected:
            summary.rejected.append((str(path), result.rejected))
            _quarantine_file(home, collection.id, path)
            quarantine.append(quarantine_row(rules, path.name, None, "delivery.readable", None, result.rejected, now))
        deliveries.append(
            Delivery(collection.id, path.name, ";".join(result.checksums.values()) or None, path.stat().st_size,
                     records=result.records, quarantined=len(result.quarantined), rejected=result.rejected)
        )
        quarantine.extend(result.quarantined)
        results.append(result)
    batches = [b for r in results for b in r.batches()]
    table = pa.Table.from_batches(batches, schema=TABLES[collection.table]) if batches else None
    summary.records = (table.num_rows if table is not None else 0) + len(quarantine) - len(summary.rejected)
    checked = None
    if table is not None:
        checked = gate.validate(collection.table, table, rules, list(COLLECTIONS), home / "gx")
        quarantine.extend(checked.quarantine)
        summary.failures = checked.failures
        summary.passed = checked.passed.num_rows
    summary.quarantined = len(quarantine) - len(summary.rejected)
    for result in results:
        result.discard()
    if not deliveries:
        return summary
    batch_dir.mkdir(parents=True, exist_ok=True)
    if checked is not None and checked.passed.num_rows:
        pq.write_table(checked.passed, batch_dir / "records.parquet", compression="zstd")
    pq.write_table(pa.Table.from_pylist(quarantine, schema=QUARANTINE), batch_dir / "quarantine.parquet")
    for d in deliveries:  # per-delivery counts after the gate
        d.quarantined = sum(1 for q in quarantine if q["source_file"].split("!")[0] == d.name and q["rule_id"] != "delivery.readable")
    (batch_dir / "batch.json").write_text(
        json.dumps({"summary": asdict(summary), "status": summary.status, "deliveries": [asdict(d) for d in deliveries], "created_at": now.isoformat()}, indent=1)
    )
    summary.batch_dir = str(batch_dir)
    return summary


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
        records = batch_dir / "records.parquet"
        if records.exists():
            rows = pq.ParquetFile(records).metadata.num_rows
            request.staged.append(StagedFile(summary["collection"], summary["table"], records, batch_dir.name, None, rows))
        request.quarantine.extend(pq.read_table(batch_dir / "quarantine.parquet").to_pylist())
        request.deliveries.extend(Delivery(**d) for d in info["deliveries"])
        if summary["collection"] not in request.collections:
            request.collections.append(summary["collection"])
    manifest = publish(home, request)
    catalog.build(home, registry_rows())
    for batch_dir in batch_dirs:
        shutil.rmtree(batch_dir, ignore_errors=True)
    return manifest


@dataclass
class RunSummary:
    batches: list[BatchSummary]
    snapshot_id: int | None
    home: Path


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
    for cid in ids:
        collection = COLLECTIONS[cid]
        paths = discover(collection, source)
        if paths:
            summaries.append(ingest(collection, paths, home, run_id=run_id, force=force))
    ready = [Path(s.batch_dir) for s in summaries if s.batch_dir and s.status == "staged"]
    manifest = publish_staged(home, ready) if ready else None
    if manifest is None and not (home / catalog.CATALOG_FILE).exists():
        catalog.build(home, registry_rows())
    return RunSummary(summaries, manifest["snapshot_id"] if manifest else None, home)
