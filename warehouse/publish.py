"""Merge staged, validated batches into the lake: one DuckLake transaction per publish.

Upsert by key (st13; st13 + design_number for designs), ordered by the delivery's date and
sequence, never by arrival: a late-arriving older delta changes nothing a newer one wrote. A
record a delivery marks deleted becomes a tombstone in the `deleted` table; a record merely
absent from a delta stays. A key's current version is its live row or its tombstone, whichever
came in the newer delivery.

A record's events (the `events` table) follow the record: every format delivers a record with its
whole event history as the office holds it now (ST.66 MarkEventDetails, ST.86 DesignEventDetails,
ST.96 MarkEventBag and design event bags, USPTO's case-file-event-statements, TMBRAND EVENTS), so when a delivery's
record is applied, the events the lake held for its key are replaced by the delivered ones; a
stale (older) record changes neither; a tombstone removes the key's events with its record, and
a record revived later brings its events again.

Only narrow columns (key, office, version, content hash, where the staged row sits) are held
while deciding; full rows are read back from the staged files by position when they are
inserted, so memory does not grow with the width of the records. Reads of the lake are limited
to the offices the batch touches (partition pruning) and to its keys.

Publishers may run at once (several processes, or hosts on a PostgreSQL catalog): a commit that
loses a race is retried from the start, deciding again against what the winner committed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from transforms.schema import DELIVERIES, EVENT, EVENTS, IMAGES, KEYS, QUARANTINE, SCHEMA_VERSION, TABLES, stored
from warehouse import lake
from warehouse.lake import ALIAS, LakeError, LakeSettings

MIN_RECORDS_FOR_DROP_RULE = 20  # a share of a handful of records says nothing
DEFAULT_MAX_ROW_DROP_SHARE = 0.2

# Content compared to decide whether a re-delivered record changed anything.
_NOT_CONTENT = ("ingested_at",)


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
    """What the lake's `deliveries` table remembers of each delivery it took."""

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
    quarantine: list[dict[str, Any]] = field(default_factory=list)  # rows of the QUARANTINE schema
    deliveries: list[Delivery] = field(default_factory=list)
    collections: list[str] = field(default_factory=list)
    images: list[Path] = field(default_factory=list)  # staged rows of the `images` table, oldest first


@dataclass
class PublishOptions:
    """Limits of a publish (from settings at the edge: IPETL_MAX_ROW_DROP_SHARE, IPETL_DUCKDB_MEMORY)."""

    max_row_drop_share: float = DEFAULT_MAX_ROW_DROP_SHARE
    memory_limit: str = "4GB"
    spill_dir: Path | None = None


@dataclass
class Published:
    """A committed publish: the lake snapshot it made and what changed."""

    snapshot_id: int
    upserted: int = 0  # rows written (new or changed records)
    deleted: int = 0  # tombstones written
    stale: int = 0  # staged rows older than what the lake holds, ignored
    events: int = 0  # event rows written (the events of the records written)
    records: dict[str, list[int]] = field(default_factory=dict)  # collection -> [added, removed]

    @property
    def stats(self) -> dict[str, int]:
        return {"upserted": self.upserted, "deleted": self.deleted, "stale": self.stale}


def _quoted(values: Iterable[object]) -> str:
    return ", ".join(lake.sql_literal(v) for v in values)


def _cols(names: Iterable[str], prefix: str = "") -> str:
    return ", ".join(f'{prefix}"{n}"' for n in names)


def _key_join(keys: Iterable[str], left: str, right: str) -> str:
    return " AND ".join(f"{left}.{k} IS NOT DISTINCT FROM {right}.{k}" for k in keys)


def _content(table: str) -> list[str]:
    """The columns compared to tell a re-delivered record from the lake's (the stored ones: a
    record's events are not stored with it, and come with the same delivery again)."""
    return [f.name for f in stored(TABLES[table]) if f.name not in _NOT_CONTENT]


def _winners(con: duckdb.DuckDBPyConnection, table: str, staged: list[StagedFile]) -> None:
    """TEMP TABLE win: each key's newest staged row (or tombstone), as narrow columns."""
    keys = KEYS[table]
    content = _content(table)
    con.execute("CREATE OR REPLACE TEMP TABLE staged_order (filename VARCHAR, rank BIGINT)")
    con.executemany("INSERT INTO staged_order VALUES (?, ?)", [(str(s.path), i) for i, s in enumerate(staged)])
    parts = []
    for tomb in (False, True):
        files = [s.path for s in staged if s.tombstones == tomb]
        extra = (
            "reason AS _reason, source_file AS _tomb_source, NULL::UBIGINT AS _new_h"
            if tomb
            else f"NULL::VARCHAR AS _reason, NULL::VARCHAR AS _tomb_source, hash({_cols(content)}) AS _new_h"
        )
        if files:
            parts.append(
                f"""SELECT {_cols(keys)}, office, collection, delivery_date, delivery_sequence, {tomb} AS _tomb,
                       source_file AS _source, {extra},
                       o.rank AS _src, s.file_row_number AS _pos, o.rank * 4294967296 + s.file_row_number AS _seq
                FROM read_parquet([{_quoted(files)}], filename = true, file_row_number = true) s
                JOIN staged_order o USING (filename)"""
            )
    rows = " UNION ALL BY NAME ".join(parts)
    # Keys staged more than once are few: only they go through DISTINCT ON (which holds every
    # column of its input in memory); the rest are taken as they are.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE dup AS SELECT {_cols(keys)} FROM ({rows}) GROUP BY ALL HAVING count(*) > 1"
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE win AS
        SELECT * FROM ({rows}) ANTI JOIN dup USING ({_cols(keys)})
        UNION ALL BY NAME
        SELECT * FROM (SELECT DISTINCT ON ({_cols(keys)}) * FROM ({rows}) SEMI JOIN dup USING ({_cols(keys)})
                       ORDER BY {_cols(keys)}, delivery_date DESC NULLS LAST, delivery_sequence DESC NULLS LAST,
                                _seq DESC)"""
    )


def _decide(con: duckdb.DuckDBPyConnection, table: str, in_offices: str) -> None:
    """TEMP TABLE applied: each winning key against the lake's version of it (its live row or its
    tombstone, whichever is newer): `_apply` when the staged one is as new or newer, `_same` when
    it changes nothing. Content is compared only where the delivery order is equal (the same
    delivery again): the order is part of the content, so any other row differs. The lake's full
    rows are read for those keys alone; for the rest, three narrow columns."""
    keys = KEYS[table]
    content = _content(table)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE applied AS
        WITH cur AS (SELECT {_cols(keys)}, delivery_date, delivery_sequence, rowid AS _rowid
                     FROM {ALIAS}.{table} WHERE {in_offices} AND st13 IN (SELECT st13 FROM win)),
        tomb AS (SELECT {_cols(keys)}, delivery_date, delivery_sequence, reason, rowid AS _rowid FROM {ALIAS}.deleted
                 WHERE table_name = '{table}' AND {in_offices} AND st13 IN (SELECT st13 FROM win)),
        decision AS (
            SELECT w.*, c.st13 IS NOT NULL AS _live, t.st13 IS NOT NULL AS _had_tomb,
                   c._rowid AS _live_rowid, t._rowid AS _tomb_rowid,
                   (c.delivery_date, c.delivery_sequence) IS NOT DISTINCT FROM (w.delivery_date, w.delivery_sequence)
                       AS _same_order,
                   greatest(c.delivery_date, t.delivery_date) AS _cur_date,
                   CASE WHEN c.delivery_date >= t.delivery_date OR t.delivery_date IS NULL THEN c.delivery_sequence
                        ELSE t.delivery_sequence END AS _cur_seq,
                   (t.delivery_date, t.delivery_sequence, t.reason)
                       IS NOT DISTINCT FROM (w.delivery_date, w.delivery_sequence, w._reason) AS _same_tomb
            FROM win w LEFT JOIN cur c ON {_key_join(keys, "c", "w")} LEFT JOIN tomb t ON {_key_join(keys, "t", "w")})
        SELECT *, (_cur_date IS NULL OR delivery_date > _cur_date
                   OR (delivery_date = _cur_date AND coalesce(delivery_sequence, 0) >= coalesce(_cur_seq, 0)))
                   AS _apply,
               _tomb AND NOT _live AND _had_tomb AND _same_tomb AS _same
        FROM decision"""
    )
    con.execute("DROP TABLE win")  # narrow, but one row per staged key: hold one copy at a time
    con.execute(
        f"""UPDATE applied a SET _same = true FROM (
            SELECT {_cols(keys)}, hash({_cols(content)}) AS _h FROM {ALIAS}.{table}
            WHERE {in_offices} AND st13 IN (SELECT st13 FROM applied WHERE _live AND NOT _tomb AND _same_order)) c
        WHERE {_key_join(keys, "a", "c")} AND NOT a._tomb AND a._same_order AND a._new_h = c._h"""
    )
    con.execute("CREATE OR REPLACE TEMP VIEW changes AS SELECT * FROM applied WHERE _apply AND NOT _same")


def _event_rows(table: str, source: str) -> str:
    """The `events` rows of the staged records of `source` (a query's FROM clause, alias s)."""
    design_number = "s.design_number" if "design_number" in KEYS[table] else "NULL::VARCHAR"
    fields = ", ".join(f"'{f.name}': x.{f.name}" for f in EVENT)
    return f"""SELECT st13, design_number, office, collection, e.position, {_cols((f.name for f in EVENT), "e.")}
        FROM (SELECT s.st13, {design_number} AS design_number, s.office, s.collection,
                     unnest(list_transform(s.events, (x, i) -> {{'position': i::INTEGER, {fields}}})) AS e
              FROM {source}) s"""


def _merge_table(
    con: duckdb.DuckDBPyConnection, table: str, staged: list[StagedFile], result: Published, pictures: bool
) -> None:
    """Apply a table's staged rows and tombstones to the lake, and the events of each applied key
    (inside the publish transaction); `pictures`: note the applied keys in _decided for _merge_images."""
    keys = KEYS[table]
    columns = stored(TABLES[table]).names
    _winners(con, table, staged)
    offices = [r[0] for r in con.execute("SELECT DISTINCT office FROM win ORDER BY 1").fetchall()]
    in_offices = f"office IN ({_quoted(offices)})"  # a constant list: DuckLake prunes partitions
    _decide(con, table, in_offices)
    if pictures:
        design_number = "design_number" if "design_number" in keys else "NULL::VARCHAR"
        con.execute(f"INSERT INTO _decided SELECT st13, {design_number}, _tomb, _source FROM applied WHERE _apply")
    result.stale += int(lake.scalar(con, "SELECT count(*) FROM applied WHERE NOT _apply"))
    for collection, added, removed in con.execute(
        """SELECT collection, count(*) FILTER (WHERE NOT _tomb AND NOT _live), count(*) FILTER (WHERE _tomb AND _live)
           FROM changes GROUP BY 1"""
    ).fetchall():
        counts = result.records.setdefault(collection, [0, 0])
        counts[0] += added
        counts[1] += removed
    # superseded live rows (updated or deleted) and superseded tombstones (replaced or revived),
    # by the row ids read while deciding: no second scan of the keys
    con.execute(f"DELETE FROM {ALIAS}.{table} WHERE rowid IN (SELECT _live_rowid FROM changes WHERE _live)")
    con.execute(f"DELETE FROM {ALIAS}.deleted WHERE rowid IN (SELECT _tomb_rowid FROM changes WHERE _had_tomb)")
    key = " || '/' || ".join(keys)  # st13 (design_number): trademarks' and designs' ST.13s differ
    con.execute(
        f"""DELETE FROM {ALIAS}.events WHERE {in_offices} AND {"design_number IS NULL AND " if len(keys) == 1 else ""}
            {key} IN (SELECT {key} FROM changes)"""
    )
    for rank, staged_file in enumerate(staged):  # the winning rows, read back from their staged file
        picked = f"SELECT _pos AS file_row_number FROM changes WHERE NOT _tomb AND _src = {rank}"
        wanted = 0 if staged_file.tombstones else int(lake.scalar(con, f"SELECT count(*) FROM ({picked})"))
        if not wanted:
            continue
        whole = wanted == staged_file.rows  # a new delivery's rows usually all win: no join
        source = f"read_parquet({_quoted([staged_file.path])}{'' if whole else ', file_row_number = true'}) s"
        semi_join = "" if whole else f"SEMI JOIN ({picked}) p USING (file_row_number)"
        result.upserted += int(
            lake.scalar(  # DuckLake sorts by key as it writes
                con,
                f"""INSERT INTO {ALIAS}.{table} ({_cols(columns)}) SELECT {_cols(columns, "s.")} FROM {source}
                {semi_join}""",
            )
        )
        staged_columns = {
            d[0] for d in con.execute(f"SELECT * FROM read_parquet({_quoted([staged_file.path])}) LIMIT 0").description
        }
        if "events" in staged_columns:  # a batch staged before schema 1.2 holds none
            result.events += int(
                lake.scalar(
                    con,
                    f"INSERT INTO {ALIAS}.events ({_cols(EVENTS.names)}) {_event_rows(table, f'{source} {semi_join}')}",
                )
            )
    result.deleted += int(
        lake.scalar(
            con,
            f"""INSERT INTO {ALIAS}.deleted (table_name, st13, design_number, collection, office, reason,
                                            source_file, delivery_date, delivery_sequence)
            SELECT '{table}', st13, {"design_number" if "design_number" in keys else "NULL"}, collection, office,
                   _reason, _tomb_source, delivery_date, delivery_sequence
            FROM changes WHERE _tomb""",
        )
    )


def _check_drop_share(con: duckdb.DuckDBPyConnection, result: Published, options: PublishOptions) -> None:
    """Refuse (PublishRefused) when a collection would lose more than the allowed share of its
    records. Only collections that lose records are counted (a scan of the collection column,
    costly on object storage), after the merge: they had `now - added + removed` before it."""
    shrinking = [collection for collection, (_, removed) in result.records.items() if removed]
    if not shrinking:
        return
    now: dict[str, int] = dict.fromkeys(shrinking, 0)
    for table in TABLES:
        for collection, n in con.execute(
            f"SELECT collection, count(*) FROM {ALIAS}.{table} WHERE collection IN ({_quoted(shrinking)}) GROUP BY 1"
        ).fetchall():
            now[collection] += n
    for collection in shrinking:
        added, removed = result.records[collection]
        had = now[collection] - added + removed
        if had >= MIN_RECORDS_FOR_DROP_RULE and removed / had > options.max_row_drop_share:
            raise PublishRefused(
                f"{collection} would drop from {had} to {now[collection]} records, more than "
                f"{options.max_row_drop_share:.0%} (IPETL_MAX_ROW_DROP_SHARE); nothing published"
            )


def _published_before(con: duckdb.DuckDBPyConnection, deliveries: list[Delivery]) -> set[tuple[str, str, str | None]]:
    """The requested deliveries the lake already took (collection, name, sha256)."""
    if not deliveries:
        return set()
    con.register(
        "_asked",
        pa.Table.from_pylist(
            [{"collection": d.collection, "name": d.name, "sha256": d.sha256} for d in deliveries],
            schema=pa.schema([("collection", pa.string()), ("name", pa.string()), ("sha256", pa.string())]),
        ),
    )
    try:
        return set(
            con.execute(
                f"""SELECT a.collection, a.name, a.sha256 FROM _asked a
                WHERE EXISTS (SELECT 1 FROM {ALIAS}.deliveries d WHERE d.collection = a.collection
                              AND d.name = a.name AND d.sha256 IS NOT DISTINCT FROM a.sha256)"""
            ).fetchall()
        )
    finally:
        con.unregister("_asked")


def _append(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> None:
    if rows.num_rows:
        con.register("_rows", rows)
        try:
            con.execute(f"INSERT INTO {ALIAS}.{table} BY NAME SELECT * FROM _rows")
        finally:
            con.unregister("_rows")


def _merge_images(con: duckdb.DuckDBPyConnection, staged: list[Path]) -> int:
    """Pictures follow their record, as its events do: each record this publish applied (_decided)
    gets the pictures its winning delivery brought (none: it has none now), a deleted record
    loses its pictures, and a stale delivery's pictures change nothing. The number of records
    whose pictures changed (a re-delivered record with the same pictures changes none)."""
    columns = _cols(IMAGES.names)
    batches = " UNION ALL BY NAME ".join(
        [f"SELECT {columns}, -1 AS _batch FROM {ALIAS}.images WHERE false"]
        + [f"SELECT *, {n} AS _batch FROM read_parquet({lake.sql_literal(p)})" for n, p in enumerate(staged)]
    )
    record = ("st13", "design_number")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _images AS SELECT n.* FROM ({batches}) n
        JOIN _decided d ON {_key_join(record, "n", "d")} AND n.source_file = d.source AND NOT d.tomb
        QUALIFY dense_rank() OVER (PARTITION BY n.st13, n.design_number ORDER BY n._batch DESC) = 1"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _changed AS SELECT DISTINCT st13, design_number FROM (
            (SELECT {columns} FROM _images
             EXCEPT SELECT {columns} FROM {ALIAS}.images WHERE st13 IN (SELECT st13 FROM _images))
            UNION ALL
            (SELECT {columns} FROM {ALIAS}.images i SEMI JOIN _decided d ON {_key_join(record, "i", "d")}
             EXCEPT SELECT {columns} FROM _images))"""
    )
    con.execute(
        f"DELETE FROM {ALIAS}.images i WHERE EXISTS (SELECT 1 FROM _changed c WHERE {_key_join(record, 'c', 'i')})"
    )
    con.execute(
        f"""INSERT INTO {ALIAS}.images BY NAME SELECT {columns} FROM _images n
        WHERE EXISTS (SELECT 1 FROM _changed c WHERE {_key_join(record, "c", "n")})"""
    )
    return int(lake.scalar(con, "SELECT count(*) FROM _changed"))


def _publish_once(
    con: duckdb.DuckDBPyConnection, request: PublishRequest, options: PublishOptions, now: dt.datetime
) -> Published | None:
    con.execute("BEGIN")
    try:
        result = Published(snapshot_id=-1)
        # pictures staged, or held by the lake: the keys whose staged record or tombstone the lake
        # takes are noted (_decided) for their pictures; a lake without any skips that work
        with_pictures = bool(request.images) or bool(lake.scalar(con, f"SELECT EXISTS (SELECT 1 FROM {ALIAS}.images)"))
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _decided (st13 VARCHAR, design_number VARCHAR, tomb BOOLEAN, source VARCHAR)"
        )
        for table in TABLES:
            staged = [s for s in request.staged if s.table == table and s.rows]
            if staged:
                _merge_table(con, table, staged, result, with_pictures)
        _check_drop_share(con, result, options)
        pictures = _merge_images(con, request.images) if with_pictures else 0
        # a delivery is taken once: one published before (by another run) adds no quarantine rows again
        before_taken = _published_before(con, request.deliveries)
        deliveries = [d for d in request.deliveries if (d.collection, d.name, d.sha256) not in before_taken]
        taken_names = {(c, n) for c, n, _ in before_taken}
        quarantine = [
            q for q in request.quarantine if (q["collection"], q["source_file"].split("!")[0]) not in taken_names
        ]
        data_changed = result.upserted or result.deleted or pictures or any(r[1] for r in result.records.values())
        if not (data_changed or deliveries or quarantine):
            con.execute("ROLLBACK")
            return None  # the same deliveries again, with nothing new: no new snapshot
        _append(con, "quarantine", pa.Table.from_pylist(quarantine, schema=QUARANTINE))
        _append(
            con,
            "deliveries",
            pa.Table.from_pylist(
                [
                    {
                        **asdict(d),
                        "delivery_date": dt.date.fromisoformat(d.delivery_date) if d.delivery_date else None,
                        "published_at": now,
                    }
                    for d in deliveries
                ],
                schema=DELIVERIES,
            ),
        )
        con.execute(
            f"UPDATE {ALIAS}.{lake.INFO_TABLE} "
            "SET publishes = publishes + 1, last_published_at = ?, schema_version = ?",
            [now, SCHEMA_VERSION],
        )
        info = {"deliveries": [f"{d.collection}/{d.name}" for d in request.deliveries], **result.stats}
        con.execute(
            f"CALL {ALIAS}.set_commit_message('ipetl', ?, extra_info => ?)",
            [f"publish {', '.join(request.collections) or 'quarantine'}", json.dumps(info)],
        )
        lake.failpoint("before-commit")
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # the failed commit already ended the transaction
            con.execute("ROLLBACK")
        raise
    result.snapshot_id = int(lake.scalar(con, f"SELECT * FROM {ALIAS}.last_committed_snapshot()"))
    return result


def publish(
    settings: LakeSettings,
    request: PublishRequest,
    options: PublishOptions | None = None,
    now: dt.datetime | None = None,
) -> Published | None:
    """Commit the request as one new lake snapshot; None when it changes nothing (the same
    deliveries again). Raises PublishRefused (nothing published) when a collection would lose
    more than the allowed share of its records, LakeError when the lake cannot be written."""
    if not (request.staged or request.quarantine or request.deliveries or request.images):
        return None
    options = options or PublishOptions()
    now = now or dt.datetime.now(dt.UTC)
    config: dict[str, lake.DuckDBSetting] = {"memory_limit": options.memory_limit, "preserve_insertion_order": False}
    if options.spill_dir is not None:
        options.spill_dir.mkdir(parents=True, exist_ok=True)
        config["temp_directory"] = str(options.spill_dir)
    con = lake.connect(settings, config=config)
    try:
        damaged = lake.verify(con, settings)  # never build on files changed since they were written
        if damaged:
            raise LakeError(
                f"the lake's files changed since they were written ({damaged[0]}"
                f"{f' and {len(damaged) - 1} more' if len(damaged) > 1 else ''}): nothing published; see `ipetl verify`"
            )
        return lake.retrying(lambda: _publish_once(con, request, options, now))
    except duckdb.Error as exc:
        raise lake.error(settings, "publish failed, nothing committed", exc) from None
    finally:
        con.close()
