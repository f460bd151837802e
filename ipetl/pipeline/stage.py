"""The quality gate over a run's normalized deliveries, and the staged batch it leaves for publishing."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from connectors.home import HomeLayout
from expectations import gate
from ipetl.pipeline.normalize import read_delivery_entry
from ipetl.pipeline.staging import STAGED, BatchSummary, NormalizedDelivery, StagedBatch, home_lock
from ipetl.registry import COLLECTIONS, Collection
from transforms.rules import DELETE
from transforms.schema import QUARANTINE, TOMBSTONES


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
    quarantine: list[dict[str, Any]] = []
    tables: list[pa.Table] = []
    for n in done:
        quarantine.extend(pq.read_table(n.spool_dir / "quarantine.parquet").to_pylist())
        tables.append(pq.read_table(n.spool_dir / "records.parquet"))
    table = pa.concat_tables(tables)
    deleted = pc.equal(table.column("status"), DELETE)
    tombstones = _tombstones(collection, table.filter(deleted))
    table = table.filter(pc.invert(deleted))
    summary.deleted = tombstones.num_rows
    summary.records = table.num_rows + tombstones.num_rows + len(quarantine) - len(summary.rejected)
    checked = None
    if table.num_rows:
        rules = collection.rules()
        with home_lock(home, "gx"):  # one GX file context per home: validations take turns
            label = gate.BatchLabel(collection.id, tuple(d.name for d in deliveries), run_id)
            checked = gate.validate(collection.table, table, rules, list(COLLECTIONS), layout.gx, now=now, label=label)
        quarantine.extend(dict(q) for q in checked.quarantine)
        summary.failures = checked.failures
        summary.passed = checked.passed.num_rows
    summary.quarantined = len(quarantine) - len(summary.rejected)
    batch_dir = layout.batch(collection.id, run_id)
    shutil.rmtree(batch_dir, ignore_errors=True)
    batch_dir.mkdir(parents=True)
    if checked is not None and checked.passed.num_rows:
        pq.write_table(checked.passed, batch_dir / "records.parquet", compression="zstd")
    if tombstones.num_rows:
        pq.write_table(tombstones, batch_dir / "tombstones.parquet", compression="zstd")
    pq.write_table(pa.Table.from_pylist(quarantine, schema=QUARANTINE), batch_dir / "quarantine.parquet")
    for d in deliveries:  # per-delivery counts after the gate
        d.quarantined = sum(
            1 for q in quarantine if q["source_file"].split("!")[0] == d.name and q["rule_id"] != "delivery.readable"
        )
    # last: a batch without it is not staged
    StagedBatch(summary, summary.status, deliveries, now.isoformat()).write(batch_dir)
    summary.batch_dir = str(batch_dir)
    if summary.status == STAGED:
        shutil.rmtree(layout.spool(collection.id, run_id), ignore_errors=True)
    return summary


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
