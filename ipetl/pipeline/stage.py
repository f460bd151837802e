"""The quality gate over a run's normalized deliveries, and the staged batch it leaves for publishing."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from connectors.home import HomeLayout
from expectations import gate
from ipetl.pipeline.images import IMAGES_FILE, RULE
from ipetl.pipeline.normalize import read_delivery_entry
from ipetl.pipeline.staging import STAGED, BatchSummary, NormalizedDelivery, StagedBatch, home_lock
from ipetl.registry import COLLECTIONS, Collection
from transforms.normalize import split_deletions
from transforms.schema import QUARANTINE

# quarantine rows that hold no record back: a rejected delivery's, a picture's
RECORD_KEPT_RULES = ("delivery.readable", RULE)


def validate_and_stage(
    collection: Collection, normalized: list[NormalizedDelivery], home: Path, run_id: str
) -> BatchSummary:
    """Run the quality gate (GX) over a run's normalized deliveries and stage what passes as the
    batch <home>/staging/<collection>/<run_id>/ for publishing; a rerun of the same run replaces it.

    The batch is written whatever the gate says (status `failed` is never published); no batch
    when every delivery was skipped. The spool is removed once the batch is staged, and kept
    after a failed gate so that the step can run again.
    """
    home = Path(home)
    layout = HomeLayout(home)
    summary = BatchSummary(collection=collection.id, table=collection.table)
    summary.skipped = sum(1 for n in normalized if n.skipped)
    done = [n for n in normalized if not n.skipped]
    if not done:
        return summary
    now = dt.datetime.now(dt.UTC)
    entries = {n.name: read_delivery_entry(n.spool_dir) for n in done}
    done.sort(key=lambda n: (entries[n.name].delivery_date or "", entries[n.name].delivery_sequence, n.name))
    deliveries = [entries[n.name] for n in done]
    summary.files = len(done)
    summary.rejected = [(str(n.path), n.rejected) for n in done if n.rejected]
    quarantine: list[Mapping[str, Any]] = []  # the normalizer's: a row per record, and one per rejected delivery
    tables: list[pa.Table] = []
    images: list[pa.Table] = []
    for n in done:
        quarantine.extend(pq.read_table(n.spool_dir / "quarantine.parquet").to_pylist())
        tables.append(pq.read_table(n.spool_dir / "records.parquet"))
        if (n.spool_dir / IMAGES_FILE).exists():
            images.append(pq.read_table(n.spool_dir / IMAGES_FILE))
    table, tombstones = split_deletions(collection.table, pa.concat_tables(tables))
    # records (never rows of quarantine: the gate writes one per rule a record breaks), so that
    # records = passed + quarantined + deleted
    held = Counter(q["source_file"].split("!")[0] for q in quarantine if q["rule_id"] not in RECORD_KEPT_RULES)
    summary.deleted = tombstones.num_rows
    summary.quarantined = held.total()
    summary.records = table.num_rows + tombstones.num_rows + summary.quarantined
    checked = None
    if table.num_rows:
        rules = collection.rules()
        with home_lock(home, "gx"):  # one GX file context per home: validations take turns
            label = gate.BatchLabel(collection.id, tuple(d.name for d in deliveries), run_id)
            checked = gate.validate(collection.table, table, rules, list(COLLECTIONS), layout.gx, now=now, label=label)
        quarantine.extend(checked.quarantine)
        summary.failures = checked.failures
        summary.passed = checked.passed.num_rows
        summary.quarantined += table.num_rows - summary.passed
        held.update(_records_by_delivery(table))
        held.subtract(_records_by_delivery(checked.passed))
    batch_dir = layout.batch(collection.id, run_id)
    shutil.rmtree(batch_dir, ignore_errors=True)
    batch_dir.mkdir(parents=True)
    if checked is not None and checked.passed.num_rows:
        pq.write_table(checked.passed, batch_dir / "records.parquet", compression="zstd")
    if tombstones.num_rows:
        pq.write_table(tombstones, batch_dir / "tombstones.parquet", compression="zstd")
    if images and checked is not None and checked.passed.num_rows:  # the pictures of the records that passed
        passed = pc.unique(checked.passed.column("st13"))
        shown = pa.concat_tables(images)
        shown = shown.filter(pc.is_in(shown.column("st13"), value_set=passed))
        if shown.num_rows:
            pq.write_table(shown, batch_dir / IMAGES_FILE, compression="zstd")
    pq.write_table(pa.Table.from_pylist(quarantine, schema=QUARANTINE), batch_dir / "quarantine.parquet")
    for d in deliveries:  # per-delivery counts after the gate
        d.quarantined = held[d.name]
    # last: a batch without it is not staged
    StagedBatch(summary, summary.status, deliveries, now.isoformat()).write(batch_dir)
    summary.batch_dir = str(batch_dir)
    if summary.status == STAGED:
        shutil.rmtree(layout.spool(collection.id, run_id), ignore_errors=True)
    return summary


def _records_by_delivery(rows: pa.Table) -> Counter[str]:
    """How many of the rows each delivery gave (source_file: the delivery, or `delivery!member`)."""
    counts: Counter[str] = Counter()
    for item in pc.value_counts(rows.column("source_file")).to_pylist():
        counts[item["values"].split("!")[0]] += item["counts"]
    return counts
