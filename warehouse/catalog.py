"""The DuckDB catalog: views over exactly the files of one snapshot.

`<home>/catalog.duckdb` describes the current snapshot. It is rebuilt into a temporary file and
swapped in with os.replace, so a reader never opens a half-built catalog. Any other snapshot can
be opened as an in-memory catalog (`open_catalog(home, snapshot_id=N)`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

import duckdb
import pyarrow as pa

from transforms.normalize import QUARANTINE
from transforms.schema import KEYS, TABLES
from warehouse import search, snapshots
from warehouse.publish import TOMBSTONES

CATALOG_FILE = "catalog.duckdb"

COVERAGE_SQL = """
CREATE OR REPLACE VIEW coverage AS
WITH records AS (
    SELECT collection, count(*) AS records,
           min(application_date) AS earliest_application_date,
           max(application_date) AS latest_application_date
    FROM (SELECT collection, application_date FROM trademarks
          UNION ALL SELECT collection, application_date FROM designs)
    GROUP BY collection
)
SELECT p.collection, c.office, c.kind,
       coalesce(r.records, 0) AS records,
       r.earliest_application_date, r.latest_application_date,
       p.last_delivery, p.last_published
FROM publications p
LEFT JOIN collections c USING (collection)
LEFT JOIN records r USING (collection)
ORDER BY p.collection
"""


def _files(home: Path, manifest: dict, table: str, role: str = "data") -> list[str]:
    base = snapshots.warehouse_dir(home).resolve()
    entry = manifest["tables"].get(table, {"files": []})
    return [str(base / f["path"]) for f in entry["files"] if f.get("role", "data") == role]


def _sql_list(paths: Iterable[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def _table_view(con, name: str, schema: pa.Schema, files: list[str], deletes: list[str] = (), keys: tuple[str, ...] = ()) -> None:
    """A view over data files; (run, key) pairs named by delete files are left out (anti-join)."""
    columns = ", ".join(f't."{f.name}"' for f in schema)
    if files and deletes:
        # a delete file names runs of its own partition directory
        con.execute(
            f"""CREATE OR REPLACE TABLE _deletes_{name} AS
            SELECT regexp_replace(filename, '[^/]*$', '') || file AS file, {", ".join(keys)}
            FROM read_parquet({_sql_list(deletes)}, filename = true, hive_partitioning = false)"""
        )
        join = " AND ".join(f"d.{k} = t.{k}" for k in keys)
        con.execute(
            f"CREATE OR REPLACE VIEW {name} AS SELECT {columns} "
            f"FROM read_parquet({_sql_list(files)}, filename = true, hive_partitioning = true, hive_types_autocast = false) t "
            f"ANTI JOIN _deletes_{name} d ON d.file = t.filename AND {join}"
        )
    elif files:
        con.execute(
            f"CREATE OR REPLACE VIEW {name} AS SELECT {columns} "
            f"FROM read_parquet({_sql_list(files)}, hive_partitioning = true, hive_types_autocast = false) t"
        )
    else:
        empty = schema.empty_table()
        con.register("_empty", empty)
        con.execute(f"CREATE OR REPLACE TABLE _empty_{name} AS SELECT * FROM _empty")
        con.unregister("_empty")
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT {columns} FROM _empty_{name} t")


def _insert(con, sql: str, rows: list[tuple]) -> None:
    if rows:
        con.executemany(sql, rows)


def define_views(con, home: Path, manifest: dict, registry_rows: list[dict], with_search: bool = True) -> None:
    for name, schema in TABLES.items():
        _table_view(con, name, schema, _files(home, manifest, name), _files(home, manifest, name, "deletes"), KEYS[name])
    _table_view(con, "quarantine", QUARANTINE, _files(home, manifest, "quarantine"))
    _table_view(con, "deleted", TOMBSTONES, _files(home, manifest, "deleted"))
    con.execute("CREATE OR REPLACE TABLE collections (collection VARCHAR, office VARCHAR, kind VARCHAR, format VARCHAR, office_name VARCHAR)")
    _insert(con, "INSERT INTO collections VALUES (?, ?, ?, ?, ?)",
            [(r["collection"], r["office"], r["kind"], r["format"], r["office_name"]) for r in registry_rows])
    con.execute("CREATE OR REPLACE TABLE publications (collection VARCHAR, last_delivery VARCHAR, last_published TIMESTAMPTZ)")
    _insert(con, "INSERT INTO publications VALUES (?, ?, ?)",
            [(c, v.get("last_delivery"), v.get("last_published")) for c, v in sorted(manifest["collections"].items())])
    con.execute(COVERAGE_SQL)
    if with_search:
        search.build_index(con)
    con.execute("CREATE OR REPLACE TABLE snapshot AS SELECT ? AS snapshot_id, ?::TIMESTAMPTZ AS created_at",
                [manifest["snapshot_id"], manifest["created_at"]])


def catalog_snapshot(path: Path) -> int | None:
    """The snapshot a catalog file describes (None if it cannot be read)."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        return con.execute("SELECT snapshot_id FROM snapshot").fetchone()[0]
    except duckdb.Error:
        return None
    finally:
        con.close()


def build(home: Path, registry_rows: list[dict], force: bool = False) -> Path:
    """(Re)build <home>/catalog.duckdb for the current snapshot, atomically; a catalog that
    already describes the current snapshot is kept."""
    home = Path(home)
    manifest = snapshots.load(home)
    target = home / CATALOG_FILE
    if not force and target.exists() and catalog_snapshot(target) == manifest["snapshot_id"]:
        return target
    tmp = home / f".{CATALOG_FILE}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        define_views(con, home, manifest, registry_rows)
    finally:
        con.close()
    os.replace(tmp, target)
    return target


def open_catalog(home: Path, registry_rows: list[dict], snapshot_id: int | None = None):
    """A read-only connection to the current catalog, or an in-memory one for an older snapshot."""
    home = Path(home)
    if snapshot_id is None or snapshot_id == snapshots.current_id(home):
        target = home / CATALOG_FILE
        if not target.exists():
            build(home, registry_rows)
        con = duckdb.connect(str(target), read_only=True)
        con.execute("SET parquet_metadata_cache = true")  # repeated lookups skip re-reading footers
        search.load_fts(con)
        return con
    con = duckdb.connect()
    define_views(con, home, snapshots.load(home, snapshot_id), registry_rows)
    return con
