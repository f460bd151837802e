"""Merge staged, validated batches into a new warehouse snapshot.

Upsert by key (st13; st13 + design_number for designs): within a publish, later deliveries win
over earlier ones and everything staged wins over what the warehouse held. Only the office
partitions a batch touches are rewritten; the others are carried over by reference, so the cost
follows the delta, not the warehouse. Files are Parquet, zstd, sorted by key, hive-partitioned
by office (the `office` column lives in the directory name, `office=KH/`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from transforms.normalize import QUARANTINE
from transforms.schema import KEYS, SCHEMA_VERSION, TABLES
from warehouse import snapshots


@dataclass
class StagedFile:
    """Validated canonical rows of one delivery, ready to publish."""

    collection: str
    table: str
    path: Path
    delivery: str
    sha256: str | None
    rows: int


@dataclass
class Delivery:
    """What the manifest remembers of each delivery it contains."""

    collection: str
    name: str
    sha256: str | None
    size: int | None
    records: int = 0
    quarantined: int = 0
    rejected: str | None = None


@dataclass
class PublishRequest:
    staged: list[StagedFile] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    collections: list[str] = field(default_factory=list)


def _quote_list(paths) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def _columns(table: str, exclude: tuple[str, ...] = ()) -> str:
    return ", ".join(f'"{f.name}"' for f in TABLES[table] if f.name not in exclude)


def _part_name(snapshot_id: int) -> str:
    return f"part-{snapshot_id:08d}-{uuid.uuid4().hex[:12]}.parquet"


def _merge_table(con, home: Path, table: str, staged: list[StagedFile], previous: dict, snapshot_id: int) -> dict:
    base = snapshots.warehouse_dir(home)
    keys = KEYS[table]
    files = staged  # publish order is the order the caller staged them in
    con.execute("CREATE OR REPLACE TEMP TABLE staged_order (filename VARCHAR, rank BIGINT)")
    con.executemany("INSERT INTO staged_order VALUES (?, ?)", [(str(s.path), i) for i, s in enumerate(files)])
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW incoming AS
        SELECT {_columns(table)}, o.rank * 4294967296 + s.file_row_number AS _seq
        FROM read_parquet({_quote_list(s.path for s in files)}, filename = true, file_row_number = true) s
        JOIN staged_order o USING (filename)"""
    )
    offices = [r[0] for r in con.execute("SELECT DISTINCT office FROM incoming ORDER BY 1").fetchall()]
    kept = [f for f in previous["files"] if f["partition"] not in offices]
    new_files = []
    for office in offices:
        existing = [base / f["path"] for f in previous["files"] if f["partition"] == office]
        old = (
            f"SELECT {_columns(table, ('office',))}, -1::BIGINT AS _seq FROM read_parquet({_quote_list(existing)})"
            if existing
            else None
        )
        new = f"SELECT {_columns(table, ('office',))}, _seq FROM incoming WHERE office = $office"
        union = f"{old} UNION ALL BY NAME {new}" if old else new
        key_cols = ", ".join(keys)
        rel_dir = Path(table) / f"office={office}"
        (base / rel_dir).mkdir(parents=True, exist_ok=True)
        rel = rel_dir / _part_name(snapshot_id)
        con.execute(
            f"""COPY (
                SELECT {_columns(table, ('office',))} FROM (
                    SELECT DISTINCT ON ({key_cols}) * FROM ({union}) ORDER BY {key_cols}, _seq DESC
                ) ORDER BY {key_cols}
            ) TO '{base / rel}' (FORMAT parquet, COMPRESSION zstd)""",
            {"office": office},
        )
        rows = pq.ParquetFile(base / rel).metadata.num_rows
        new_files.append({"path": str(rel), "partition": office, "rows": rows, "sha256": snapshots.sha256_file(base / rel)})
    all_files = sorted(kept + new_files, key=lambda f: f["path"])
    return {"rows": sum(f["rows"] for f in all_files), "files": all_files}


def _append_quarantine(home: Path, rows: list[dict], previous: dict, snapshot_id: int) -> dict:
    if not rows:
        return previous
    base = snapshots.warehouse_dir(home)
    new_files = []
    by_collection: dict[str, list[dict]] = {}
    for row in rows:
        by_collection.setdefault(row["collection"], []).append(row)
    for collection, items in sorted(by_collection.items()):
        rel_dir = Path("quarantine") / f"collection={collection}"
        (base / rel_dir).mkdir(parents=True, exist_ok=True)
        rel = rel_dir / _part_name(snapshot_id)
        table = pa.Table.from_pylist(items, schema=QUARANTINE).drop_columns(["collection"])
        pq.write_table(table, base / rel, compression="zstd")
        new_files.append({"path": str(rel), "partition": collection, "rows": len(items), "sha256": snapshots.sha256_file(base / rel)})
    files = previous["files"] + new_files
    return {"rows": sum(f["rows"] for f in files), "files": files}


def publish(home: Path, request: PublishRequest, now: dt.datetime | None = None) -> dict | None:
    """Write a new snapshot holding the request; returns its manifest (None if nothing to do)."""
    if not (request.staged or request.quarantine or request.deliveries):
        return None
    now = now or dt.datetime.now(dt.timezone.utc)
    home = Path(home)
    previous = snapshots.load(home)
    snapshot_id = snapshots.next_id(home)
    manifest = {
        "snapshot_id": snapshot_id,
        "parent": previous["snapshot_id"] or None,
        "created_at": now.isoformat(),
        "schema_version": SCHEMA_VERSION,
        "tables": dict(previous["tables"]),
        "deliveries": list(previous["deliveries"]),
        "collections": dict(previous["collections"]),
    }
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = true")
        for table in TABLES:
            staged = [s for s in request.staged if s.table == table and s.rows]
            if staged:
                manifest["tables"][table] = _merge_table(con, home, table, staged, previous["tables"][table], snapshot_id)
    finally:
        con.close()
    manifest["tables"]["quarantine"] = _append_quarantine(home, request.quarantine, previous["tables"]["quarantine"], snapshot_id)
    for d in request.deliveries:
        manifest["deliveries"].append({**d.__dict__, "snapshot_id": snapshot_id})
    for collection in request.collections:
        last = [d for d in request.deliveries if d.collection == collection]
        entry = dict(manifest["collections"].get(collection, {}))
        entry["last_published"] = now.isoformat()
        if last:
            entry["last_delivery"] = last[-1].name
        manifest["collections"][collection] = entry
    snapshots.commit(home, manifest)
    return manifest
