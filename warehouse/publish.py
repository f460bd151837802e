"""Merge staged, validated batches into a new warehouse snapshot.

Upsert by key (st13; st13 + design_number for designs), ordered by the delivery's date and
sequence, never by arrival: a late-arriving older delta changes nothing a newer one wrote. A
record a delivery marks deleted becomes a tombstone in the `deleted` table; a record merely
absent from a delta stays.

Layout, per table and office partition (`trademarks/office=US/`): immutable sorted data files
("runs") plus delete files naming (run, key) pairs that a later run superseded. A publish reads
only the key and version columns of a touched partition, writes one new run with the delta and
one delete file: its cost follows the delta and the partitions it touches, not the warehouse.
Readers (the catalog views) drop deleted pairs with an anti-join. A partition whose runs or
dead rows pile up is compacted into one run during the publish that crosses the threshold.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from transforms.normalize import QUARANTINE
from transforms.schema import KEYS, SCHEMA_VERSION, TABLES
from warehouse import snapshots

MAX_RUNS = int(os.environ.get("IPETL_MAX_RUNS", "8"))
MAX_DEAD_SHARE = float(os.environ.get("IPETL_MAX_DEAD_SHARE", "0.25"))
MAX_ROW_DROP_SHARE = float(os.environ.get("IPETL_MAX_ROW_DROP_SHARE", "0.2"))
MIN_RECORDS_FOR_DROP_RULE = 20  # a share of a handful of records says nothing
MEMORY_LIMIT = os.environ.get("IPETL_DUCKDB_MEMORY", "4GB")

# Content compared to decide whether a re-delivered record changed anything.
_NOT_CONTENT = ("ingested_at",)

TOMBSTONES = pa.schema(
    [
        pa.field("table_name", pa.string()),
        pa.field("st13", pa.string()),
        pa.field("design_number", pa.string()),
        pa.field("collection", pa.string()),
        pa.field("office", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("source_file", pa.string()),
        pa.field("delivery_date", pa.date32()),
        pa.field("delivery_sequence", pa.int64()),
    ]
)


def connect(home: Path):
    """A DuckDB connection for warehouse work: bounded memory, spilling to <home>/staging/.duckdb."""
    spill = Path(home) / "staging" / ".duckdb"
    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": str(spill), "preserve_insertion_order": False})
    return con


class PublishRefused(Exception):
    """A table-level rule failed: nothing of the request is published."""


@dataclass
class StagedFile:
    """Validated canonical rows (or tombstones) of a batch, ready to publish, in delivery order."""

    collection: str
    table: str
    path: Path
    delivery: str
    rows: int
    tombstones: bool = False


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
    delivery_date: str | None = None
    delivery_sequence: int = 0


@dataclass
class PublishRequest:
    staged: list[StagedFile] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    collections: list[str] = field(default_factory=list)


def _sql_list(paths) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def _cols(names) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _file_name(kind: str, snapshot_id: int) -> str:
    return f"{kind}-{snapshot_id:08d}-{uuid.uuid4().hex[:12]}.parquet"


class _Partition:
    """The files of one (table, office) partition in a manifest."""

    def __init__(self, base: Path, table: str, office: str, files: list[dict]):
        self.base = base
        self.table = table
        self.office = office
        self.data = [f for f in files if f["partition"] == office and f.get("role", "data") == "data"]
        self.deletes = [f for f in files if f["partition"] == office and f.get("role") == "deletes"]

    def paths(self, entries) -> list[str]:
        return [str(self.base / f["path"]) for f in entries]

    @property
    def live_rows(self) -> int:
        return sum(f["rows"] for f in self.data) - sum(f["rows"] for f in self.deletes)


def _write(con, sql: str, target: Path, params=None) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY ({sql}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)", params or {})
    return pq.ParquetFile(target).metadata.num_rows


def _entry(base: Path, path: Path, office: str, rows: int, role: str) -> dict:
    return {"path": str(path.relative_to(base)), "partition": office, "rows": rows, "sha256": snapshots.sha256_file(path), "role": role}


def _live_sql(part: _Partition, columns: str, where: str = "true") -> str:
    """The partition's live rows (deleted pairs dropped), with `_file` = the run they sit in."""
    keys = KEYS[part.table]
    files = part.paths(part.data)
    scan = f"SELECT {columns}, parse_filename(filename) AS _file FROM read_parquet({_sql_list(files)}, filename = true) WHERE {where}"
    if not part.deletes:
        return scan
    dels = f"SELECT file AS _file, {_cols(keys)} FROM read_parquet({_sql_list(part.paths(part.deletes))})"
    return f"SELECT * FROM ({scan}) l ANTI JOIN ({dels}) d USING (_file, {_cols(keys)})"


def _merge_partition(con, part: _Partition, snapshot_id: int, tombs: dict, stats: dict, staged_rows: list[str]) -> list[dict]:
    """Apply the `win` rows of this office to the partition; return its new file entries."""
    table, office, base = part.table, part.office, part.base
    keys = KEYS[table]
    key_cols = _cols(keys)
    schema_cols = [f.name for f in TABLES[table] if f.name != "office"]
    content = [c for c in schema_cols if c not in _NOT_CONTENT]
    con.execute("CREATE OR REPLACE TEMP TABLE w AS SELECT * FROM win WHERE office = $office", {"office": office})
    if part.data:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE cur AS {_live_sql(part, f"{key_cols}, delivery_date, delivery_sequence, hash({_cols(content)}) AS _h",
            f"({key_cols}) IN (SELECT ({key_cols}) FROM w)")}"""
        )
    else:
        con.execute(f"CREATE OR REPLACE TEMP TABLE cur AS SELECT {key_cols}, NULL::DATE AS delivery_date, NULL::BIGINT AS delivery_sequence, NULL::UBIGINT AS _h, NULL::VARCHAR AS _file FROM w WHERE false")
    tomb_rows = [t for t in tombs.get(office, []) if t["table_name"] == table]
    con.register("old_tombs", pa.Table.from_pylist(tomb_rows, schema=TOMBSTONES))
    # A key's current version: its live row or its tombstone, whichever is newer.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE decision AS
        SELECT {", ".join(f"w.{k}" for k in keys)}, w._tomb, w.collection,
               c._file, c._h, t.st13 IS NOT NULL AS _had_tomb,
               greatest(c.delivery_date, t.delivery_date) AS _cur_date,
               CASE WHEN c.delivery_date >= t.delivery_date OR t.delivery_date IS NULL THEN c.delivery_sequence ELSE t.delivery_sequence END AS _cur_seq,
               w.delivery_date AS _new_date, w.delivery_sequence AS _new_seq, w._new_h
        FROM w
        LEFT JOIN cur c USING ({key_cols})
        LEFT JOIN (SELECT * FROM old_tombs) t ON {" AND ".join(f"t.{k} IS NOT DISTINCT FROM w.{k}" for k in keys)}"""
    )
    con.unregister("old_tombs")
    con.execute(
        """CREATE OR REPLACE TEMP TABLE applied AS SELECT *,
           (_cur_date IS NULL OR _new_date > _cur_date
            OR (_new_date = _cur_date AND coalesce(_new_seq, 0) >= coalesce(_cur_seq, 0))) AS _apply,
           (NOT _tomb AND _file IS NOT NULL AND _h = _new_h) AS _same
           FROM decision"""
    )
    stats["stale"] += con.execute("SELECT count(*) FROM applied WHERE NOT _apply").fetchone()[0]
    for collection, added, removed in con.execute(
        """SELECT collection, count(*) FILTER (WHERE NOT _tomb AND _file IS NULL),
                  count(*) FILTER (WHERE _tomb AND _file IS NOT NULL)
           FROM applied WHERE _apply AND NOT _same GROUP BY 1"""
    ).fetchall():
        counts = stats["records"].setdefault(collection, [0, 0])
        counts[0] += added
        counts[1] += removed
    changes = f"SELECT {key_cols}, _tomb, _file, _had_tomb FROM applied WHERE _apply AND NOT _same"
    entries = []
    new_rows = con.execute(f"SELECT count(*) FROM ({changes}) WHERE NOT _tomb").fetchone()[0]
    if new_rows:
        target = base / table / f"office={office}" / _file_name("run", snapshot_id)
        picked = f"SELECT w._src AS filename, w._pos AS file_row_number FROM w SEMI JOIN ({changes}) ch USING ({key_cols}) WHERE NOT w._tomb"
        rows = _write(
            con,
            f"""SELECT {_cols(schema_cols)} FROM read_parquet({_sql_list(staged_rows)}, filename = true, file_row_number = true) s
                SEMI JOIN ({picked}) p USING (filename, file_row_number) ORDER BY {key_cols}""",
            target,
        )
        entries.append(_entry(base, target, office, rows, "data"))
        stats["upserted"] += rows
    superseded = con.execute(f"SELECT count(*) FROM ({changes}) WHERE _file IS NOT NULL").fetchone()[0]
    if superseded:
        target = base / table / f"office={office}" / _file_name("deletes", snapshot_id)
        rows = _write(con, f"SELECT _file AS file, {key_cols} FROM ({changes}) WHERE _file IS NOT NULL ORDER BY 1, {key_cols}", target)
        entries.append(_entry(base, target, office, rows, "deletes"))
    # tombstones: drop the ones a newer record revives, add the new ones
    revived = {tuple(r) for r in con.execute(f"SELECT {key_cols} FROM ({changes}) WHERE _had_tomb").fetchall()}
    new_tombs = con.execute(
        f"""SELECT '{table}' AS table_name, w.st13, {"w.design_number" if "design_number" in keys else "NULL"} AS design_number,
                   w.collection, w.office, w._reason AS reason, w._tomb_source AS source_file, w.delivery_date, w.delivery_sequence
            FROM w SEMI JOIN ({changes}) ch USING ({key_cols}) WHERE w._tomb"""
    ).to_arrow_table().to_pylist()
    if revived or new_tombs:
        kept = [t for t in tombs.get(office, []) if t["table_name"] != table or tuple(t[k] for k in keys) not in revived]
        tombs[office] = kept + new_tombs
        stats["deleted"] += len(new_tombs)
        stats["tombstones_changed"].add(office)
    return entries


def _compact(con, part: _Partition, snapshot_id: int) -> list[dict]:
    """Rewrite a partition's live rows as one sorted run (drops the delete files)."""
    keys = KEYS[part.table]
    schema_cols = [f.name for f in TABLES[part.table] if f.name != "office"]
    target = part.base / part.table / f"office={part.office}" / _file_name("run", snapshot_id)
    sql = f"SELECT {_cols(schema_cols)} FROM ({_live_sql(part, _cols(schema_cols))}) ORDER BY {_cols(keys)}"
    rows = _write(con, sql, target)
    return [_entry(part.base, target, part.office, rows, "data")] if rows else []


def _needs_compaction(part: _Partition) -> bool:
    physical = sum(f["rows"] for f in part.data)
    dead = sum(f["rows"] for f in part.deletes)
    return len(part.data) > MAX_RUNS or (physical and dead / physical > MAX_DEAD_SHARE)


def _load_tombstones(base: Path, entry: dict) -> dict[str, list[dict]]:
    """Tombstones by office (a small table: read whole, rewritten per office when it changes)."""
    tombs: dict[str, list[dict]] = {}
    for f in entry["files"]:
        rows = pq.read_table(base / f["path"]).to_pylist()
        tombs[f["partition"]] = [{**t, "office": f["partition"]} for t in rows]
    return tombs


def _write_tombstones(base: Path, entry: dict, tombs: dict, changed: set, snapshot_id: int) -> dict:
    files = [f for f in entry["files"] if f["partition"] not in changed]
    for office in sorted(changed):
        if not tombs.get(office):
            continue
        target = base / "deleted" / f"office={office}" / _file_name("part", snapshot_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist(tombs[office], schema=TOMBSTONES).drop_columns(["office"])
        pq.write_table(table, target, compression="zstd")
        files.append(_entry(base, target, office, table.num_rows, "data"))
    files.sort(key=lambda f: f["path"])
    return {"rows": sum(f["rows"] for f in files), "files": files}


def _merge_table(con, base: Path, table: str, staged: list[StagedFile], previous: dict, snapshot_id: int, tombs: dict, stats: dict) -> dict:
    """Pick each key's winning staged row, then merge it into the office partitions.

    Only narrow columns (key, office, version, content hash, where the row sits) are held while
    deciding; full rows are read back from the staged files by position when a run is written,
    so memory does not grow with the width of the records.
    """
    keys = KEYS[table]
    content = [f.name for f in TABLES[table] if f.name not in _NOT_CONTENT and f.name != "office"]
    con.execute("CREATE OR REPLACE TEMP TABLE staged_order (filename VARCHAR, rank BIGINT)")
    con.executemany("INSERT INTO staged_order VALUES (?, ?)", [(str(s.path), i) for i, s in enumerate(staged)])
    narrow = f"{_cols(keys)}, office, collection, delivery_date, delivery_sequence"
    position = "s.filename AS _src, s.file_row_number AS _pos, o.rank * 4294967296 + s.file_row_number AS _seq"
    parts = []
    rows = [s for s in staged if not s.tombstones]
    dead = [s for s in staged if s.tombstones]
    if rows:
        parts.append(
            f"""SELECT {narrow}, false AS _tomb, NULL::VARCHAR AS _reason, NULL::VARCHAR AS _tomb_source,
                   hash({_cols(content)}) AS _new_h, {position}
            FROM read_parquet({_sql_list(s.path for s in rows)}, filename = true, file_row_number = true) s JOIN staged_order o USING (filename)"""
        )
    if dead:
        parts.append(
            f"""SELECT {narrow}, true AS _tomb, reason AS _reason, source_file AS _tomb_source,
                   NULL::UBIGINT AS _new_h, {position}
            FROM read_parquet({_sql_list(s.path for s in dead)}, filename = true, file_row_number = true) s JOIN staged_order o USING (filename)"""
        )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE win AS SELECT DISTINCT ON ({_cols(keys)}) * FROM ({" UNION ALL BY NAME ".join(parts)})
        ORDER BY {_cols(keys)}, delivery_date DESC NULLS LAST, delivery_sequence DESC NULLS LAST, _seq DESC"""
    )
    staged_rows = [str(s.path) for s in rows]
    offices = [r[0] for r in con.execute("SELECT DISTINCT office FROM win ORDER BY 1").fetchall()]
    files = [f for f in previous["files"] if f["partition"] not in offices]
    for office in offices:
        part = _Partition(base, table, office, previous["files"])
        new = _merge_partition(con, part, snapshot_id, tombs, stats, staged_rows)
        merged = _Partition(base, table, office, part.data + part.deletes + new)
        if _needs_compaction(merged):
            new = _compact(con, merged, snapshot_id)
            files.extend(new)
        else:
            files.extend(part.data + part.deletes + new)
    files.sort(key=lambda f: f["path"])
    live = sum(f["rows"] for f in files if f.get("role", "data") == "data") - sum(f["rows"] for f in files if f.get("role") == "deletes")
    return {"rows": live, "files": files}


def _append_quarantine(base: Path, rows: list[dict], previous: dict, snapshot_id: int) -> dict:
    if not rows:
        return previous
    new_files = []
    by_collection: dict[str, list[dict]] = {}
    for row in rows:
        by_collection.setdefault(row["collection"], []).append(row)
    for collection, items in sorted(by_collection.items()):
        target = base / "quarantine" / f"collection={collection}" / _file_name("part", snapshot_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(items, schema=QUARANTINE).drop_columns(["collection"]), target, compression="zstd")
        new_files.append(_entry(base, target, collection, len(items), "data"))
    files = previous["files"] + new_files
    return {"rows": sum(f["rows"] for f in files), "files": files}


def publish(home: Path, request: PublishRequest, now: dt.datetime | None = None) -> dict | None:
    """Write a new snapshot holding the request; returns its manifest (None if nothing to do).

    Raises PublishRefused, leaving the current snapshot untouched, when a collection would lose
    more than IPETL_MAX_ROW_DROP_SHARE of its records.
    """
    if not (request.staged or request.quarantine or request.deliveries):
        return None
    now = now or dt.datetime.now(dt.timezone.utc)
    home = Path(home)
    base = snapshots.warehouse_dir(home)
    previous = snapshots.load(home)
    snapshot_id = snapshots.next_id(home)
    tables = {name: previous["tables"].get(name, {"rows": 0, "files": []}) for name in snapshots.TABLE_NAMES}
    manifest = {
        "snapshot_id": snapshot_id,
        "parent": previous["snapshot_id"] or None,
        "created_at": now.isoformat(),
        "schema_version": SCHEMA_VERSION,
        "tables": dict(tables),
        "deliveries": list(previous["deliveries"]),
        "collections": dict(previous["collections"]),
    }
    stats = {"upserted": 0, "deleted": 0, "stale": 0, "tombstones_changed": set(), "records": {}}
    con = connect(home)
    try:
        tombs = _load_tombstones(base, tables["deleted"])
        for table in TABLES:
            staged = [s for s in request.staged if s.table == table and s.rows]
            if staged:
                manifest["tables"][table] = _merge_table(con, base, table, staged, tables[table], snapshot_id, tombs, stats)
        manifest["tables"]["deleted"] = _write_tombstones(base, tables["deleted"], tombs, stats["tombstones_changed"], snapshot_id)
    finally:
        con.close()
    for collection, (added, removed) in stats["records"].items():
        before = previous["collections"].get(collection, {}).get("records", 0)
        if before >= MIN_RECORDS_FOR_DROP_RULE and removed / before > MAX_ROW_DROP_SHARE:
            raise PublishRefused(
                f"{collection} would drop from {before} to {before + added - removed} records, more than "
                f"{MAX_ROW_DROP_SHARE:.0%} (IPETL_MAX_ROW_DROP_SHARE); nothing published"
            )
    data_changed = any(manifest["tables"][t]["files"] != tables[t]["files"] for t in ("trademarks", "designs", "deleted"))
    if not data_changed and not request.quarantine and all(
        any(d.name == p["name"] and d.sha256 == p["sha256"] and d.collection == p["collection"] for p in previous["deliveries"])
        for d in request.deliveries
    ):
        return None  # the same deliveries again, with nothing new: no new snapshot
    manifest["tables"]["quarantine"] = _append_quarantine(base, request.quarantine, tables["quarantine"], snapshot_id)
    snapshots.failpoint("files-written")
    manifest["stats"] = {k: stats[k] for k in ("upserted", "deleted", "stale")}
    for d in request.deliveries:
        manifest["deliveries"].append({**d.__dict__, "snapshot_id": snapshot_id})
    for collection in request.collections:
        last = [d for d in request.deliveries if d.collection == collection]
        entry = dict(manifest["collections"].get(collection, {}))
        added, removed = stats["records"].get(collection, (0, 0))
        entry["records"] = entry.get("records", 0) + added - removed
        entry["last_published"] = now.isoformat()
        if last:
            entry["last_delivery"] = last[-1].name
        manifest["collections"][collection] = entry
    snapshots.commit(home, manifest)
    return manifest
