"""Query sessions over the lake, and the local search database.

`open_catalog(...)` gives a DuckDB session in which `trademarks`, `designs`, `deleted`,
`quarantine`, `deliveries`, `collections` and `coverage` are views over the lake (its current
snapshot, or an older one), and the search macros work. The search tables live in
`<home>/search.duckdb`, which describes one lake snapshot. After a publish it is brought to the
new snapshot in a temporary copy, swapped in with os.replace, so a reader never opens a
half-built one: the copy is refreshed for the trademarks the snapshots since changed (DuckLake's
change feed, `table_changes`), or built whole when there is none yet, its index version is an
older one, or the change feed of those snapshots is gone (expired by vacuum).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TypedDict

import duckdb
from filelock import FileLock

from connectors.home import HomeLayout
from warehouse import image_search, lake, search
from warehouse.lake import ALIAS, LAKE_TABLES, LakeSettings

COVERAGE_SQL = """
CREATE OR REPLACE TEMP VIEW coverage AS
WITH records AS (
    SELECT collection, count(*) AS records,
           min(application_date) AS earliest_application_date,
           max(application_date) AS latest_application_date
    FROM (SELECT collection, application_date FROM trademarks
          UNION ALL SELECT collection, application_date FROM designs)
    GROUP BY collection
),
pictured AS (  -- records with at least one picture read and decoded
    SELECT collection, count(DISTINCT (st13, design_number)) AS pictured
    FROM images WHERE sha256 IS NOT NULL AND NOT corrupt GROUP BY collection
),
published AS (
    SELECT collection,
           arg_max(name, (delivery_date, delivery_sequence, name)) AS last_delivery,
           max(published_at) AS last_published
    FROM deliveries GROUP BY collection
)
SELECT p.collection, c.office, c.kind,
       coalesce(r.records, 0) AS records,
       r.earliest_application_date, r.latest_application_date,
       p.last_delivery, p.last_published,
       round(coalesce(i.pictured, 0) / nullif(r.records, 0), 4) AS image_share
FROM published p
LEFT JOIN collections c USING (collection)
LEFT JOIN records r USING (collection)
LEFT JOIN pictured i USING (collection)
ORDER BY p.collection
"""
# The event codes no table maps to a category yet (their events are kept, category null): what
# to add to the collection's `event` table (ipetl/collections/) or to transforms/vocab/event-categories.json.
UNMAPPED_EVENTS_SQL = """
CREATE OR REPLACE TEMP VIEW unmapped_events AS
SELECT collection, code, any_value(text ORDER BY position) AS text, count(*) AS events, count(DISTINCT st13) AS records
FROM events WHERE category IS NULL
GROUP BY collection, code
ORDER BY events DESC, collection, code
"""


class RegistryRow(TypedDict):
    """A collection of the registry, as the `collections` view shows it."""

    collection: str
    office: str
    kind: str
    format: str
    office_name: str


def define_views(con: duckdb.DuckDBPyConnection, registry_rows: list[RegistryRow]) -> None:
    """Temporary views over the attached lake, the registry, and coverage (nothing is written)."""
    for name in LAKE_TABLES:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {ALIAS}.{name}")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE collections "
        "(collection VARCHAR, office VARCHAR, kind VARCHAR, format VARCHAR, office_name VARCHAR)"
    )
    if registry_rows:
        con.executemany(
            "INSERT INTO collections VALUES (?, ?, ?, ?, ?)",
            [(r["collection"], r["office"], r["kind"], r["format"], r["office_name"]) for r in registry_rows],
        )
    con.execute(COVERAGE_SQL)
    con.execute(UNMAPPED_EVENTS_SQL)


# what user SQL may be: queries, never writes, COPY, ATTACH, INSTALL or settings
READ_STATEMENTS = (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN)


def sandbox(con: duckdb.DuckDBPyConnection, settings: LakeSettings) -> None:
    """Lock a session to reading the lake: no file outside the lake's data path can be read or
    written, nothing can be attached or installed, and the settings cannot be changed back."""
    con.execute("SET allowed_directories = ?", [[settings.data_path]])
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse SQL that is not a query (PermissionError naming the statement type)."""
    for statement in con.extract_statements(sql):
        if statement.type not in READ_STATEMENTS:
            raise PermissionError(
                f"only queries may run here, not {statement.type.name} (use `ipetl export` to write files)"
            )


def search_snapshot(path: Path) -> int | None:
    """The lake snapshot a search database of this index version describes (None if it cannot
    be read, or was built by another version of the index)."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        snapshot_id, version = con.execute("SELECT snapshot_id, index_version FROM search_snapshot").fetchall()[0]
        return int(snapshot_id) if version == search.INDEX_VERSION else None
    except (duckdb.Error, IndexError):
        return None
    finally:
        con.close()


# The live rows of the trademarks changed after one snapshot up to another, as a temporary
# `trademarks` table (the search index reads `trademarks`): each key's rows of the last snapshot
# that changed it, inserted or updated there (a key deleted there has none).
CHANGED_TRADEMARKS_SQL = f"""
CREATE OR REPLACE TEMP TABLE _search_changes AS
SELECT * FROM {ALIAS}.table_changes('trademarks', $since, $until);
CREATE OR REPLACE TEMP TABLE _search_changed_keys AS SELECT DISTINCT st13 FROM _search_changes;
CREATE OR REPLACE TEMP TABLE trademarks AS
SELECT c.* EXCLUDE (snapshot_id, rowid, change_type)
FROM _search_changes c
JOIN (SELECT st13, max(snapshot_id) AS last FROM _search_changes GROUP BY st13) l
  ON l.st13 = c.st13 AND l.last = c.snapshot_id
WHERE c.change_type IN ('insert', 'update_postimage');
DROP TABLE _search_changes;
"""


def _refresh(con: duckdb.DuckDBPyConnection, since: int, current: int) -> bool:
    """Refresh the search tables of a connection for the trademarks changed after snapshot
    `since`; False when the change feed cannot say (snapshots expired since)."""
    try:
        for statement in CHANGED_TRADEMARKS_SQL.strip().split(";\n"):
            con.execute(statement, {"since": since + 1, "until": current} if "$since" in statement else None)
    except duckdb.Error:
        return False
    search.refresh_index(con, "_search_changed_keys")
    con.execute("DROP TABLE trademarks")
    con.execute("DROP TABLE _search_changed_keys")
    return True


def build_search(settings: LakeSettings, home: Path, force: bool = False) -> Path:
    """Bring <home>/search.duckdb to the lake's current snapshot, atomically: one that already
    describes it is kept, one describing an older snapshot is refreshed for what changed since
    (in a copy), otherwise (or with `force`) it is built whole."""
    layout = HomeLayout(home)
    target = layout.search
    layout.root.mkdir(parents=True, exist_ok=True)
    with FileLock(layout.search_lock):  # processes rebuilding it take turns
        probe = lake.connect(settings, read_only=True)
        try:
            current = lake.current_snapshot(probe)
        finally:
            probe.close()
        described = None if force or not target.exists() else search_snapshot(target)
        if described == current:
            return target
        tmp = layout.search_scratch()
        tmp.unlink(missing_ok=True)
        refreshed = False
        if described is not None and described < current:
            shutil.copyfile(target, tmp)
            con = duckdb.connect(str(tmp))
            try:
                lake.attach(con, settings, read_only=True, snapshot=current)
                refreshed = _refresh(con, described, current)
                if refreshed:
                    define_views(con, [])
                    image_search.build_index(con)  # rebuilt whole from `images`: pictures are few
                    con.execute("UPDATE search_snapshot SET snapshot_id = ?", [current])
            finally:
                con.close()
            if not refreshed:
                tmp.unlink()
        if not refreshed:
            con = duckdb.connect(str(tmp))
            try:
                lake.attach(con, settings, read_only=True, snapshot=current)
                define_views(con, [])
                search.build_index(con)
                image_search.build_index(con)
                con.execute(
                    "CREATE TABLE search_snapshot AS SELECT ?::BIGINT AS snapshot_id, ?::INTEGER AS index_version",
                    [current, search.INDEX_VERSION],
                )
            finally:
                con.close()
        os.replace(tmp, target)
    return target


def open_catalog(
    settings: LakeSettings, home: Path, registry_rows: list[RegistryRow], snapshot_id: int | None = None
) -> duckdb.DuckDBPyConnection:
    """A read-only query session over the lake's current snapshot (with the search database of
    the home), or over an older snapshot (its search index built in memory), sandboxed for user
    SQL (see sandbox and check_read_only)."""
    if snapshot_id is None:
        target = HomeLayout(home).search
        if not target.exists():
            build_search(settings, home)
        con = duckdb.connect(str(target), read_only=True)
        try:
            search.prepare(con)
            lake.attach(con, settings, read_only=True)
            define_views(con, registry_rows)
            sandbox(con, settings)
        except BaseException:
            con.close()
            raise
        return con
    con = lake.connect(settings, read_only=True, snapshot=snapshot_id)
    try:
        define_views(con, registry_rows)
        search.build_index(con)
        image_search.build_index(con)
        sandbox(con, settings)
    except BaseException:
        con.close()
        raise
    return con
