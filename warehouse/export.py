"""Plain-Parquet exports for engines without DuckLake, and change sets for search services.

`export_changes(lake, since=N)` reads DuckLake's change feed between snapshot N and the current
one and writes, into `changes-<N>-<current>/`: `trademarks.parquet` and `designs.parquet`
(records added or changed since N, whole rows, one per key), `deleted.parquet` (keys live in N
and gone now, with the tombstone's reason when a delivery deleted them), `events.parquet` (the
whole current event list of every key whose events changed since N: a consumer replaces the
events it holds for each key of trademarks, designs and deleted by these), JSON Lines copies on
request, and `manifest.json` (the two snapshot ids, schema version, each file's rows and
SHA-256). A consumer that applies every change set in order stays in sync; `since=0` exports
everything. `export_full(lake)` writes the current snapshot as plain Parquet, one row per key,
into `full-<snapshot>/` with the same manifest.

An export is named after what it holds (its format, snapshot(s) and, for a filtered one, a short
digest of the filter: `where_suffix`), and its manifest records the same; `claim` refuses to
write over an export of that name that holds something else (`ExportConflict`), and lets an
export be written again over itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TypedDict

import duckdb

from connectors.fetch import sha256_file
from transforms.schema import EVENTS, KEYS, SCHEMA_VERSION, TABLES, TOMBSTONES
from warehouse import lake
from warehouse.lake import ALIAS, LakeError, LakeSettings

_FORMATS = {".parquet": "FORMAT parquet, COMPRESSION zstd", ".jsonl": "FORMAT json"}


class ExportedFile(TypedDict):
    name: str
    rows: int
    sha256: str


class ExportConflict(Exception):
    """The export's target exists and holds another export (or something that is not one)."""


class Manifest(TypedDict):
    """manifest.json of an export (and, returned, the export's `directory`)."""

    format: str  # parquet, st66, st86
    where: str | None  # the SQL condition the records were filtered by
    from_snapshot: int | None
    to_snapshot: int
    schema_version: str
    created_at: str
    files: list[ExportedFile]


class Export(Manifest):
    directory: str


# What names an export: the fields of its manifest that say what it holds. A manifest written
# before `format` and `where` were recorded is a Parquet export without a filter.
_IDENTITY = {"format": "parquet", "where": None, "from_snapshot": None, "to_snapshot": None, "schema_version": None}


def where_suffix(where: str | None) -> str:
    """The part of an export's name that says which filter it holds: `-where-` and the first 8
    hex digits of the SHA-256 of the condition's text (UTF-8), or nothing without a filter."""
    if not where:
        return ""
    return "-where-" + hashlib.sha256(where.encode()).hexdigest()[:8]


def claim(target: Path, manifest_path: Path, identity: Mapping[str, object]) -> None:
    """Raise ExportConflict when `target` exists and its manifest does not describe an export of
    the same content (`identity`: the manifest's format, where and snapshot fields)."""
    if not target.exists():
        return
    try:
        held = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        held = None
    if not isinstance(held, dict) or any(held.get(key, _IDENTITY[key]) != value for key, value in identity.items()):
        described = (
            ", ".join(f"{key} {held.get(key, _IDENTITY[key])!r}" for key in identity)
            if isinstance(held, dict)
            else "no manifest"
        )
        raise ExportConflict(
            f"{target} exists and holds another export ({described}): remove it or choose another --output"
        )


def _write(con: duckdb.DuckDBPyConnection, queries: dict[str, str], target: Path, jsonl: bool) -> list[ExportedFile]:
    target.mkdir(parents=True, exist_ok=True)
    files: list[ExportedFile] = []
    for name, sql in queries.items():
        for suffix, options in _FORMATS.items():
            if suffix == ".jsonl" and not jsonl:
                continue
            path = target / f"{name}{suffix}"
            tmp = path.with_name(f".{path.name}.tmp")
            rows = int(lake.scalar(con, f"COPY ({sql}) TO '{tmp}' ({options})"))  # COPY returns its row count
            tmp.replace(path)
            files.append(ExportedFile(name=path.name, rows=rows, sha256=sha256_file(path)))
    return files


def identity(fmt: str, where: str | None, since: int | None, current: int) -> dict[str, object]:
    """The manifest fields that say what an export holds (see `claim`)."""
    return {
        "format": fmt,
        "where": where,
        "from_snapshot": since,
        "to_snapshot": current,
        "schema_version": SCHEMA_VERSION,
    }


def write_manifest(
    path: Path,
    fmt: str,
    where: str | None,
    since: int | None,
    current: int,
    files: list[ExportedFile],
    now: dt.datetime,
) -> Manifest:
    manifest = Manifest(
        format=fmt,
        where=where,
        from_snapshot=since,
        to_snapshot=current,
        schema_version=SCHEMA_VERSION,
        created_at=now.isoformat(),
        files=files,
    )
    path.write_text(json.dumps(manifest, indent=1))
    return manifest


def _manifest(target: Path, since: int | None, current: int, files: list[ExportedFile], now: dt.datetime) -> Export:
    manifest = write_manifest(target / "manifest.json", "parquet", None, since, current, files, now)
    return Export(**manifest, directory=str(target))


_EVENTS_ORDER = f"ORDER BY {', '.join(EVENTS.names[:2])}, position"
_EVENT_KEY = "st13 || '/' || coalesce(design_number, '')"


def _events_query(since: int, current: int) -> str:
    """The current events of the keys whose events changed between the two snapshots (inserted or
    deleted rows of `events`: a key whose events all went, deleted or emptied, has none here)."""
    if since == 0:
        return f"SELECT * FROM {ALIAS}.events {_EVENTS_ORDER}"
    if since >= current:
        return f"SELECT * FROM {ALIAS}.events WHERE false"
    changed = f"SELECT {_EVENT_KEY} FROM {ALIAS}.table_changes('events', {since + 1}, {current})"
    return f"SELECT * FROM {ALIAS}.events WHERE {_EVENT_KEY} IN ({changed}) {_EVENTS_ORDER}"


def _changes_queries(since: int, current: int) -> dict[str, str]:
    queries = {}
    gone = []
    for name in TABLES:
        keys = ", ".join(KEYS[name])
        order = f"ORDER BY {keys}"
        if since == 0:
            queries[name] = f"SELECT * FROM {ALIAS}.{name} {order}"
            continue
        changed = (
            f"(SELECT DISTINCT {keys} FROM {ALIAS}.table_changes('{name}', {since + 1}, {current}))"
            if since < current
            else f"(SELECT {keys} FROM {ALIAS}.{name} WHERE false)"
        )
        now_rows = f"SELECT * FROM {ALIAS}.{name} SEMI JOIN {changed} c USING ({keys})"
        old_rows = f"SELECT * FROM {ALIAS}.{name} AT (VERSION => {since}) SEMI JOIN {changed} c USING ({keys})"
        queries[name] = f"SELECT * FROM ({now_rows} EXCEPT {old_rows}) {order}"
        design = "g.design_number" if "design_number" in KEYS[name] else "NULL::VARCHAR"
        gone.append(
            f"""SELECT '{name}' AS table_name, g.st13, {design} AS design_number, g.office, g.collection,
                   d.reason, d.delivery_date
            FROM (SELECT {keys}, office, collection FROM ({old_rows})
                  EXCEPT SELECT {keys}, office, collection FROM ({now_rows})) g
            LEFT JOIN {ALIAS}.deleted d ON d.table_name = '{name}' AND d.st13 = g.st13
                 AND d.design_number IS NOT DISTINCT FROM {design}"""
        )
    if gone:
        queries["deleted"] = " UNION ALL ".join(gone) + " ORDER BY table_name, st13, design_number"
    else:
        queries["deleted"] = (
            "SELECT NULL::VARCHAR AS table_name, NULL::VARCHAR AS st13, NULL::VARCHAR AS design_number,"
            " NULL::VARCHAR AS office, NULL::VARCHAR AS collection, NULL::VARCHAR AS reason,"
            " NULL::DATE AS delivery_date WHERE false"
        )
    queries["events"] = _events_query(since, current)
    return queries


def export_changes(
    settings: LakeSettings, since: int, out_dir: Path, jsonl: bool = False, now: dt.datetime | None = None
) -> Export:
    """Write the change set from snapshot `since` to the current one; returns its manifest."""
    con = lake.connect(settings, read_only=True)
    try:
        current = lake.current_snapshot(con)
        if since > current:
            raise LakeError(f"snapshot {since} does not exist (the current one is {current})")
        target = Path(out_dir) / f"changes-{since:08d}-{current:08d}"
        claim(target, target / "manifest.json", identity("parquet", None, since, current))
        files = _write(con, _changes_queries(since, current), target, jsonl)
    except duckdb.Error as exc:
        raise lake.error(
            settings, f"cannot export the changes since snapshot {since} (expired by vacuum?)", exc
        ) from None
    finally:
        con.close()
    return _manifest(target, since, current, files, now or dt.datetime.now(dt.UTC))


def export_full(settings: LakeSettings, out_dir: Path, jsonl: bool = False, now: dt.datetime | None = None) -> Export:
    """Write the current snapshot as plain Parquet (one row per key, no delete files)."""
    con = lake.connect(settings, read_only=True)
    try:
        current = lake.current_snapshot(con)
        target = Path(out_dir) / f"full-{current:08d}"
        claim(target, target / "manifest.json", identity("parquet", None, None, current))
        queries = {name: f"SELECT * FROM {ALIAS}.{name} ORDER BY {', '.join(KEYS[name])}" for name in TABLES}
        queries["deleted"] = f"SELECT * FROM {ALIAS}.deleted ORDER BY {', '.join(TOMBSTONES.names[:3])}"
        queries["events"] = f"SELECT * FROM {ALIAS}.events {_EVENTS_ORDER}"
        files = _write(con, queries, target, jsonl)
    except duckdb.Error as exc:
        raise lake.error(settings, "cannot export the current snapshot", exc) from None
    finally:
        con.close()
    return _manifest(target, None, current, files, now or dt.datetime.now(dt.UTC))
