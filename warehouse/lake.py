"""The lake: DuckLake tables that any DuckDB reads, on local disk or object storage.

Two settings say where it lives (`LakeSettings`): the *catalog*, DuckLake's metadata database
(a SQLite file by default, which several local processes may write; or a PostgreSQL database for
publishers on several hosts), and the *data path*, where the Parquet files go (a local folder, or
`s3://bucket/prefix/` on any S3-compatible store). Every publish is one DuckLake transaction:
readers see the snapshot before it or after it, never a mixture, and a crash at any point leaves
the last committed snapshot readable. Nothing stored names an absolute local path: a local data
path inside the catalog's folder is recorded relative to it, and ipetl always attaches with the
data path of the home it was given, so a copied or moved home gives the same answers.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

from transforms.schema import DELIVERIES, EVENTS, IMAGES, KEYS, QUARANTINE, SCHEMA_VERSION, TABLES, TOMBSTONES, stored
from warehouse import extensions

ALIAS = "lake"
DuckDBSetting = str | bool | int | float | list[str]  # a value of duckdb.connect's config
# table -> (schema, partition columns, sort columns)
LAKE_TABLES: dict[str, tuple[pa.Schema, tuple[str, ...], tuple[str, ...]]] = {
    **{name: (stored(schema), ("office",), KEYS[name]) for name, schema in TABLES.items()},
    "events": (EVENTS, ("office",), ("st13", "design_number", "position")),
    "deleted": (TOMBSTONES, ("office",), ("table_name", "st13", "design_number")),
    "quarantine": (QUARANTINE, ("collection",), ("source_file", "st13")),
    "deliveries": (DELIVERIES, (), ("collection", "delivery_date", "delivery_sequence")),
    "images": (IMAGES, ("office",), ("st13", "design_number", "view")),
}
# One row: the schema version and a publish counter. Every publish updates the row, so two
# overlapping publishes conflict in DuckLake and the later one retries against the first's rows
# (DuckLake lets concurrent inserts into one table both commit: the same new key could land twice).
INFO_TABLE = "lake_info"
ALL_TABLES = (*LAKE_TABLES, INFO_TABLE)
REMOTE_SCHEMES = ("s3://", "gs://", "gcs://", "r2://")
_POSTGRES = re.compile(r"^(postgres|postgresql)(:|://)", re.IGNORECASE)
_SECRET_VALUES = re.compile(r"(password|secret|key_id)\s*=\s*('[^']*'|\S+)", re.IGNORECASE)
_URI_PASSWORD = re.compile(r"(://[^:/@\s]+):[^@/\s]+@")
T = TypeVar("T")


class LakeError(Exception):
    """The lake cannot be reached or written (catalog, object store, credentials): the run's
    failure, never the delivery's."""


@dataclass(frozen=True)
class S3Credentials:
    """Credentials for an S3-compatible data path (the standard AWS_* variables)."""

    key_id: str | None = None
    secret: str | None = field(default=None, repr=False)
    region: str | None = None
    endpoint: str | None = None  # AWS_ENDPOINT_URL, e.g. http://127.0.0.1:9000 for MinIO
    session_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class LakeSettings:
    """Where the lake lives: the DuckLake catalog and the data path."""

    catalog: str  # a .sqlite (or .duckdb) file, a PostgreSQL DSN, or a `ducklake:` URI
    data: str  # a local folder, or s3://bucket/prefix/
    s3: S3Credentials | None = None

    @property
    def remote_data(self) -> bool:
        return self.data.startswith(REMOTE_SCHEMES)

    @property
    def data_path(self) -> str:
        """The data path as DuckLake is given it: absolute, ending in '/'."""
        return (self.data.rstrip("/") if self.remote_data else str(Path(self.data).absolute())) + "/"

    @property
    def catalog_uri(self) -> str:
        text = self.catalog
        if text.startswith("ducklake:"):
            return text
        if _POSTGRES.match(text):  # postgres:<libpq key=value ...> or a postgresql:// URI
            return "ducklake:postgres:" + (text if "://" in text else text.split(":", 1)[1])
        return f"ducklake:{text}" if text.endswith(".duckdb") else f"ducklake:sqlite:{text}"

    @property
    def catalog_file(self) -> Path | None:
        """The catalog's local file (SQLite or DuckDB), None for a database server."""
        uri = self.catalog_uri.removeprefix("ducklake:")
        if uri.startswith("postgres:"):
            return None
        return Path(uri.removeprefix("sqlite:"))

    def describe(self) -> str:
        """Catalog and data path for messages, with passwords and keys left out."""
        return f"catalog {redact(self.catalog)}, data {self.data}"


def redact(text: str) -> str:
    """A DSN or message with its password / secret values replaced by ***."""
    return _URI_PASSWORD.sub(r"\1:***@", _SECRET_VALUES.sub(r"\1=***", text))


def sql_literal(value: object) -> str:
    """A value as an SQL string literal (for statements that take no parameters: ATTACH, IN lists)."""
    return "'" + str(value).replace("'", "''") + "'"


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> Any:
    """The first value of the first row of a query that always returns a row (a count, an id)."""
    row = con.execute(sql, params).fetchone()
    if row is None:
        raise LakeError(f"no row from {sql}")
    return row[0]


def failpoint(name: str) -> None:
    """Crash here (SIGKILL, no clean-up) when IPETL_FAILPOINT names this point, or stop here
    (SIGSTOP, to be looked at while alive) when it names `<point>:stop`: tests only."""
    chosen = os.environ.get("IPETL_FAILPOINT")
    if chosen == name:
        os.kill(os.getpid(), signal.SIGKILL)
    elif chosen == f"{name}:stop":
        os.kill(os.getpid(), signal.SIGSTOP)


def _stored_data_path(settings: LakeSettings) -> str:
    """The data path recorded in a new catalog: relative to the catalog's folder when the data
    sit under it (DuckDB resolves it against the reader's working directory: the home)."""
    data = settings.data_path
    catalog_file = settings.catalog_file
    if settings.remote_data or catalog_file is None:
        return data
    try:
        return str(Path(data).relative_to(catalog_file.absolute().parent)) + "/"
    except ValueError:
        return data


def _create_secret(con: duckdb.DuckDBPyConnection, settings: LakeSettings) -> None:
    creds = settings.s3 or S3Credentials()
    endpoint = (creds.endpoint or "").rstrip("/")
    values = {
        "KEY_ID": creds.key_id,
        "SECRET": creds.secret,
        "SESSION_TOKEN": creds.session_token,
        "REGION": creds.region,
        "ENDPOINT": endpoint.split("://", 1)[-1],
    }
    options = [f"TYPE {'gcs' if settings.data.startswith(('gs://', 'gcs://')) else 's3'}"]
    options += [f"{key} {sql_literal(value)}" for key, value in values.items() if value]
    if endpoint:
        options += [f"USE_SSL {str(not endpoint.startswith('http://')).lower()}", "URL_STYLE 'path'"]
    con.execute(f"CREATE OR REPLACE TEMPORARY SECRET ipetl_lake ({', '.join(options)})")


def error(settings: LakeSettings, what: str, exc: Exception) -> LakeError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return LakeError(f"{what} ({settings.describe()}): {redact(first)}")


def connect(
    settings: LakeSettings,
    *,
    read_only: bool = False,
    snapshot: int | None = None,
    config: dict[str, DuckDBSetting] | None = None,
) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB session with the lake attached as `lake` (see attach)."""
    con = duckdb.connect(config=config or {})
    try:
        attach(con, settings, read_only=read_only, snapshot=snapshot)
    except BaseException:
        con.close()
        raise
    return con


def attach(
    con: duckdb.DuckDBPyConnection,
    settings: LakeSettings,
    *,
    read_only: bool = False,
    snapshot: int | None = None,
) -> None:
    """Attach the lake to a session as `lake`, read-only or at an older snapshot if asked.

    A writable attach creates the lake and its tables when they are missing. Raises LakeError,
    with one line naming the catalog and data path (credentials left out), when the catalog or
    the object store cannot be reached.
    """
    try:
        catalog_file = settings.catalog_file
        names = [
            "ducklake",
            "sqlite_scanner" if catalog_file and catalog_file.suffix != ".duckdb" else None,
            "postgres_scanner" if catalog_file is None else None,
            "httpfs" if settings.remote_data else None,
        ]
        extensions.load(con, *(n for n in names if n))
        if settings.remote_data:
            _create_secret(con, settings)
        if catalog_file is not None:
            if read_only and not _is_lake_file(catalog_file):
                raise LakeError(f"no lake yet ({settings.describe()}): run `ipetl run` first")
            catalog_file.parent.mkdir(parents=True, exist_ok=True)
            if not _is_lake_file(catalog_file):  # a new lake: record the data path portably
                if catalog_file.suffix != ".duckdb":
                    _create_sqlite_catalog(catalog_file)
                data_path = sql_literal(_stored_data_path(settings))
                con.execute(f"ATTACH {sql_literal(settings.catalog_uri)} AS {ALIAS} (DATA_PATH {data_path})")
                con.execute(f"DETACH {ALIAS}")
        options = [
            f"DATA_PATH {sql_literal(settings.data_path)}",
            "OVERRIDE_DATA_PATH true",
            "DATA_INLINING_ROW_LIMIT 0",
        ]
        if read_only:
            options.append("READ_ONLY")
        if snapshot is not None:
            options.append(f"SNAPSHOT_VERSION {int(snapshot)}")
        attach_sql = f"ATTACH {sql_literal(settings.catalog_uri)} AS {ALIAS} ({', '.join(options)})"
        # two processes creating one lake in a database server at once: the loser attaches again
        retrying(lambda: con.execute(attach_sql), attempts=5) if not read_only else con.execute(attach_sql)
        if not read_only:
            retrying(lambda: _ensure_tables(con))
    except LakeError:
        raise
    except (duckdb.Error, OSError) as exc:
        if snapshot is not None and "snapshot" in str(exc).lower():
            raise LakeError(f"snapshot {snapshot} does not exist (expired by vacuum?)") from None
        raise error(settings, "cannot open the lake", exc) from None


def exists(settings: LakeSettings) -> bool:
    """Whether the lake was created (a database-server catalog is taken to exist)."""
    return settings.catalog_file is None or _is_lake_file(settings.catalog_file)


_KNOWN_LAKE_FILES: set[tuple[int, int, str]] = set()  # (device, inode, path) of catalogs seen to hold a lake


def _is_lake_file(path: Path) -> bool:
    """Whether a catalog file holds a DuckLake (not missing, nor left empty by a killed start).
    A file once seen to hold one is not probed again (the probe costs an extension load)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return False
    if path.suffix == ".duckdb":
        return True
    known = (stat.st_dev, stat.st_ino, str(path.absolute()))
    if known in _KNOWN_LAKE_FILES:
        return True
    if _holds_ducklake_tables(path):
        _KNOWN_LAKE_FILES.add(known)
        return True
    return False


def _holds_ducklake_tables(path: Path) -> bool:
    """Read through DuckDB's SQLite, the copy the lake's own connections use: a second SQLite
    library in the process (Python's) releases their POSIX locks when it closes the file
    (SQLite's "multiple copies" hazard), and a publisher's WAL index can shrink under it (SIGBUS)."""
    probe = duckdb.connect()
    try:
        extensions.load(probe, "sqlite_scanner")
        probe.execute(f"ATTACH {sql_literal(str(path))} AS catalog_probe (TYPE sqlite, READ_ONLY)")
        return bool(
            scalar(
                probe,
                "SELECT count(*) FROM duckdb_tables() "
                "WHERE database_name = 'catalog_probe' AND table_name = 'ducklake_metadata'",
            )
        )
    finally:
        probe.close()


def _create_sqlite_catalog(path: Path) -> None:
    """An empty SQLite catalog in WAL mode (kept by the file): readers never block a publish,
    and of two overlapping publishes the first to commit wins and the other retries."""
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode=WAL")
    finally:
        db.close()


def _ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create missing lake tables (partitioned, sorted for key lookups) and add fields the
    schema gained since: adding a field is allowed by the data contract, removing one is not."""
    existing: dict[str, set[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = 'main'", [ALIAS]
    ).fetchall():
        existing.setdefault(table, set()).add(column)
    todo = [name for name, (schema, _, _) in LAKE_TABLES.items() if not set(schema.names) <= existing.get(name, set())]
    if not todo and INFO_TABLE in existing:
        return
    con.execute("BEGIN")
    try:
        if INFO_TABLE not in existing:
            con.execute(
                f"CREATE TABLE {ALIAS}.{INFO_TABLE} "
                "(schema_version VARCHAR, publishes BIGINT, last_published_at TIMESTAMPTZ)"
            )
            con.execute(f"INSERT INTO {ALIAS}.{INFO_TABLE} VALUES (?, 0, NULL)", [SCHEMA_VERSION])
        for name in todo:
            schema, partition, sort = LAKE_TABLES[name]
            if name not in existing:
                con.register("_empty", schema.empty_table())
                con.execute(f"CREATE TABLE {ALIAS}.{name} AS SELECT * FROM _empty")
                con.unregister("_empty")
                if partition:
                    con.execute(f"ALTER TABLE {ALIAS}.{name} SET PARTITIONED BY ({', '.join(partition)})")
                con.execute(f"ALTER TABLE {ALIAS}.{name} SET SORTED BY ({', '.join(sort)})")
                continue
            for f in schema:
                if f.name not in existing[name]:
                    con.register("_empty", pa.table({f.name: pa.array([], f.type)}))
                    sql_type = str(con.execute("SELECT * FROM _empty").description[0][1])
                    con.unregister("_empty")
                    con.execute(f'ALTER TABLE {ALIAS}.{name} ADD COLUMN "{f.name}" {sql_type}')
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def is_conflict(exc: Exception) -> bool:
    """A commit that lost a race with another publisher (retry it), not a real failure."""
    text = str(exc).lower()
    return isinstance(exc, duckdb.TransactionException) or any(
        s in text
        for s in (
            "conflict",
            "database is locked",
            "database is busy",
            "could not serialize",
            "deadlock",
            "duplicate key",
            "already exists",
        )
    )


def retrying(action: Callable[[], T], attempts: int = 20, first_wait: float = 0.05) -> T:
    """Run `action` again when it lost a commit race; back off exponentially (with jitter)."""
    for attempt in range(attempts):
        try:
            return action()
        except duckdb.Error as exc:
            if attempt == attempts - 1 or not is_conflict(exc):
                raise
            time.sleep(first_wait * (2 ** min(attempt, 6)) * (0.5 + (os.getpid() % 100) / 100))
    raise AssertionError("unreachable")


def current_snapshot(con: duckdb.DuckDBPyConnection) -> int:
    return int(scalar(con, f"SELECT id FROM {ALIAS}.current_snapshot()"))


def snapshot_ids(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [r[0] for r in con.execute(f"SELECT snapshot_id FROM {ALIAS}.snapshots() ORDER BY 1").fetchall()]


def verify(con: duckdb.DuckDBPyConnection, settings: LakeSettings) -> list[str]:
    """Problems with the current snapshot's files: each data or delete file the catalog lists
    must exist with the size it was written with (a file overwritten or truncated since, or
    lost, is named). An empty list means the lake is whole."""
    problems: list[str] = []
    listed: dict[str, int] = {}
    for table in ALL_TABLES:
        for data, data_size, deletes, deletes_size in con.execute(
            "SELECT data_file, data_file_size_bytes, delete_file, delete_file_size_bytes "
            f"FROM ducklake_list_files('{ALIAS}', '{table}')"
        ).fetchall():
            listed[data] = data_size
            if deletes:
                listed[deletes] = deletes_size
    if not listed:
        return problems
    found = dict(
        con.execute("SELECT filename, size FROM read_blob(?)", [settings.data_path + "**/*.parquet"]).fetchall()
    )
    for path, size in sorted(listed.items()):
        if path not in found:
            problems.append(f"{path}: missing")
        elif found[path] != size:
            problems.append(f"{path}: {found[path]} bytes, written with {size}")
    return problems


@dataclass
class VacuumResult:
    kept: list[int]
    expired: int
    files_removed: int


def vacuum(settings: LakeSettings, keep: int, rewrite_share: float = 0.1) -> VacuumResult:
    """Rewrite files with more than `rewrite_share` of their rows deleted, merge small files,
    expire all but the newest `keep` snapshots, and delete files no snapshot uses (and those a
    killed publish left behind)."""
    con = connect(settings)
    try:
        retrying(
            lambda: con.execute(
                f"CALL ducklake_rewrite_data_files('{ALIAS}', delete_threshold => {float(rewrite_share)})"
            )
        )
        retrying(lambda: con.execute(f"CALL ducklake_merge_adjacent_files('{ALIAS}')"))
        ids = snapshot_ids(con)
        kept = ids[-max(keep, 1) :]
        expired = ids[: -max(keep, 1)]
        if expired:
            retrying(lambda: con.execute(f"CALL ducklake_expire_snapshots('{ALIAS}', versions => {expired})"))
        removed = len(con.execute(f"CALL ducklake_cleanup_old_files('{ALIAS}', cleanup_all => true)").fetchall())
        removed += len(con.execute(f"CALL ducklake_delete_orphaned_files('{ALIAS}', cleanup_all => true)").fetchall())
        return VacuumResult(kept, len(expired), removed)
    except duckdb.Error as exc:
        raise error(settings, "vacuum failed", exc) from None
    finally:
        con.close()
