"""Query sessions over the lake, and the local search database.

`open_catalog(...)` gives a DuckDB session in which `trademarks`, `designs`, `deleted`,
`quarantine`, `deliveries`, `collections` and `coverage` are views over the lake (its current
snapshot, or an older one), and the search macros work. The search tables and their full-text
index live in `<home>/search.duckdb`, built from one lake snapshot after a publish into a
temporary file and swapped in with os.replace, so a reader never opens a half-built one.
"""

from __future__ import annotations

import os
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
    """The lake snapshot a search database describes (None if it cannot be read)."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        return int(lake.scalar(con, "SELECT snapshot_id FROM search_snapshot"))
    except (duckdb.Error, lake.LakeError):
        return None
    finally:
        con.close()


def build_search(settings: LakeSettings, home: Path, force: bool = False) -> Path:
    """(Re)build <home>/search.duckdb from the lake's current snapshot, atomically; one that
    already describes that snapshot is kept."""
    layout = HomeLayout(home)
    target = layout.search
    layout.root.mkdir(parents=True, exist_ok=True)
    with FileLock(layout.search_lock):  # processes rebuilding it take turns
        probe = lake.connect(settings, read_only=True)
        try:
            current = lake.current_snapshot(probe)
        finally:
            probe.close()
        if not force and target.exists() and search_snapshot(target) == current:
            return target
        tmp = layout.search_scratch()
        tmp.unlink(missing_ok=True)
        con = duckdb.connect(str(tmp))
        try:
            lake.attach(con, settings, read_only=True, snapshot=current)
            define_views(con, [])
            search.build_index(con)
            image_search.build_index(con)
            con.execute("CREATE TABLE search_snapshot AS SELECT ?::BIGINT AS snapshot_id", [current])
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
            search.load_fts(con)
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
