"""Change exports for downstream search services: what changed or was deleted since a snapshot.

`export_changes(home, since=N)` compares snapshot N with the current one and writes, into a new
directory, `trademarks.parquet` and `designs.parquet` (records added or changed since N, whole
rows), `deleted.parquet` (keys live in N and gone now, with the tombstone's reason when a
delivery deleted them), JSON Lines copies on request, and `manifest.json` (the two snapshot
ids, schema version, and each file's rows and SHA-256). A consumer that applies every export in
order stays in sync without re-reading the warehouse; `since=0` exports everything.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb

from transforms.schema import KEYS, SCHEMA_VERSION, TABLES
from warehouse import catalog, snapshots


def _views(con, schema: str, home: Path, manifest: dict, registry_rows: list[dict]) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute(f"SET schema = '{schema}'")
    catalog.define_views(con, home, manifest, registry_rows, with_search=False)
    con.execute("SET schema = 'main'")


def export_changes(home: Path, since: int, out_dir: Path, registry_rows: list[dict], jsonl: bool = False) -> dict:
    home = Path(home)
    current = snapshots.load(home)
    old = snapshots.load(home, since) if since else snapshots.empty_manifest()
    target = Path(out_dir) / f"changes-{since:08d}-{current['snapshot_id']:08d}"
    target.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    files = []
    try:
        _views(con, "old", home, old, registry_rows)
        _views(con, "new", home, current, registry_rows)
        queries = {
            name: f"SELECT * FROM new.{name} EXCEPT SELECT * FROM old.{name} ORDER BY {', '.join(KEYS[name])}"
            for name in TABLES
        }
        gone = [
            f"""SELECT '{name}' AS table_name, g.st13, {"g.design_number" if "design_number" in KEYS[name] else "NULL::VARCHAR"} AS design_number,
                       g.office, g.collection, d.reason, d.delivery_date
                FROM (SELECT {", ".join(KEYS[name])}, office, collection FROM old.{name}
                      EXCEPT SELECT {", ".join(KEYS[name])}, office, collection FROM new.{name}) g
                LEFT JOIN new.deleted d ON d.table_name = '{name}' AND d.st13 = g.st13
                     AND d.design_number IS NOT DISTINCT FROM {"g.design_number" if "design_number" in KEYS[name] else "NULL"}"""
            for name in TABLES
        ]
        queries["deleted"] = " UNION ALL ".join(gone) + " ORDER BY table_name, st13, design_number"
        for name, sql in queries.items():
            for suffix, options in ((".parquet", "FORMAT parquet, COMPRESSION zstd"), (".jsonl", "FORMAT json")):
                if suffix == ".jsonl" and not jsonl:
                    continue
                path = target / f"{name}{suffix}"
                con.execute(f"COPY ({sql}) TO '{path}' ({options})")
                rows = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]
                files.append({"name": path.name, "rows": rows, "sha256": snapshots.sha256_file(path)})
    finally:
        con.close()
    manifest = {
        "from_snapshot": since,
        "to_snapshot": current["snapshot_id"],
        "schema_version": SCHEMA_VERSION,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "files": files,
    }
    (target / "manifest.json").write_text(json.dumps(manifest, indent=1))
    manifest["directory"] = str(target)
    return manifest
