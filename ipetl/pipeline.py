"""The pipeline's steps as plain functions: discover → fetch → normalize → validate and stage → publish.

`ipetl run` calls them in one process; the Airflow DAGs call the same functions, one task per
step (fetch and normalize once per delivery), passing only paths and counts between them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import glob
import json
import os
import re
import shutil
import threading
import uuid
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from connectors.fetch import (
    FetchResult,
    count_attempt,
    fetch_new,
    list_new,
    mark_processed,
    sha256_file,
)
from connectors.resources import ResourceError, resource_error
from connectors.sources import FetchError, FetchSettings
from connectors.split import split_xml
from expectations import gate
from expectations.datadocs import build_data_docs
from ipetl.registry import COLLECTIONS, Collection, Source
from transforms.normalize import FileResult, normalize_file, quarantine_row
from transforms.rules import DELETE
from transforms.schema import QUARANTINE, TABLES, TOMBSTONES
from warehouse import catalog
from warehouse.lake import REMOTE_SCHEMES, LakeError, LakeSettings, S3Credentials, failpoint
from warehouse.lake import connect as connect_lake
from warehouse.lake import exists as lake_exists
from warehouse.publish import Delivery, Published, PublishOptions, PublishRefused, PublishRequest, StagedFile, publish

SOURCE_KINDS = {"http": "https", "https": "https", "ftp": "ftp", "sftp": "sftp"}  # URL scheme → Source.kind
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def home_dir(home: str | os.PathLike | None = None) -> Path:
    """--home, else $IPETL_HOME, else ./var. A `file://` URI names a local path; the warehouse
    needs a POSIX file system (atomic rename, file locks, a DuckDB file), so an object store is
    used by mounting it and giving the mount's path."""
    value = str(home or os.environ.get("IPETL_HOME") or "var")
    if _URI.match(value):
        parts = urlsplit(value)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise ValueError(
                f"home {value}: the home is a local folder (a path or a file:// URI); put the lake's data on an object store with --data / IPETL_DATA"
            )
        value = unquote(parts.path)
    return Path(value).absolute()


def lake_settings(
    home: Path,
    catalog: str | None = None,
    data: str | None = None,
    environ: dict[str, str] | None = None,
) -> LakeSettings:
    """Where the lake lives: --catalog/--data (or the Airflow Variables), else $IPETL_CATALOG /
    $IPETL_DATA, else <home>/lake.sqlite and <home>/lake/. S3 credentials come from the standard
    AWS_* variables (AWS_ENDPOINT_URL for MinIO and other S3-compatible stores)."""
    env = os.environ if environ is None else environ
    catalog = catalog or env.get("IPETL_CATALOG") or str(Path(home) / "lake.sqlite")
    data = data or env.get("IPETL_DATA") or str(Path(home) / "lake")
    s3 = None
    if "://" in data:
        if not data.startswith(REMOTE_SCHEMES):
            raise ValueError(f"data path {data}: give a local folder or an s3://, gs:// or r2:// URL")
        s3 = S3Credentials(
            key_id=env.get("AWS_ACCESS_KEY_ID"),
            secret=env.get("AWS_SECRET_ACCESS_KEY"),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
            endpoint=env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL"),
            session_token=env.get("AWS_SESSION_TOKEN"),
        )
    elif data.startswith("file:"):
        data = unquote(urlsplit(data).path)
    return LakeSettings(catalog=catalog, data=data, s3=s3)


def max_attempts(environ: dict[str, str] | None = None) -> int:
    """Readings of one delivery that may die unfinished before it is set aside (IPETL_MAX_ATTEMPTS)."""
    return int((os.environ if environ is None else environ).get("IPETL_MAX_ATTEMPTS", "3"))


def publish_options(home: Path, environ: dict[str, str] | None = None) -> PublishOptions:
    env = os.environ if environ is None else environ
    return PublishOptions(
        max_row_drop_share=float(env.get("IPETL_MAX_ROW_DROP_SHARE", "0.2")),
        memory_limit=env.get("IPETL_DUCKDB_MEMORY", "4GB"),
        spill_dir=Path(home) / "staging" / ".duckdb",
    )


def registry_rows() -> list[dict]:
    return [
        {"collection": c.id, "office": c.office, "kind": c.kind, "format": c.format.name, "office_name": c.office_name}
        for c in COLLECTIONS.values()
    ]


def _new_run_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


@dataclass
class BatchSummary:
    """One collection's staged batch: what a run read, kept, quarantined and rejected."""

    collection: str
    table: str
    batch_dir: str | None = None
    files: int = 0
    records: int = 0
    passed: int = 0
    quarantined: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    failures: list[str] = field(default_factory=list)
    skipped: int = 0  # deliveries already published
    deleted: int = 0  # records the deliveries mark deleted (tombstones)

    @property
    def status(self) -> str:
        return "failed" if self.failures else "staged"


# --- where deliveries come from ------------------------------------------------------------


def source_for(collection: Collection, source: Source | str | os.PathLike | None = None) -> Source:
    """The collection's declared source, or `source` instead: a Source, an http(s)/ftp/sftp URL,
    or a directory (a path or a file:// URI) holding the deliveries or one directory per collection."""
    if not source:
        return collection.source
    if isinstance(source, Source):
        return source
    text = str(source)
    scheme = urlsplit(text).scheme if _URI.match(text) else ""
    if scheme in SOURCE_KINDS:
        return dataclasses.replace(collection.source, kind=SOURCE_KINDS[scheme], location=text)
    if scheme not in ("", "file"):
        raise ValueError(f"{collection.id}: source {text}: not a directory nor an http(s), ftp or sftp URL")
    folder = Path(unquote(urlsplit(text).path) if scheme else text)
    if (folder / collection.id).is_dir():
        folder = folder / collection.id
    return dataclasses.replace(collection.source, kind="local", location=str(folder))


def discover(
    collection: Collection, home: Path, source: Source | str | os.PathLike | None = None, force: bool = False
) -> FetchResult:
    """Fetch a collection's new deliveries: from its declared source (into
    <home>/incoming/<collection>/), or from `source` (see source_for; a directory is read in
    place). Returns every delivery fetched and not yet processed, and the files that could not be
    fetched (they resume next time)."""
    return fetch_new(collection.id, source_for(collection, source), home, force=force)


def delivery_date(collection: Collection, name: str) -> dt.date | None:
    """The date a delivery's name carries (Collection.delivery_pattern); None if it carries none."""
    if not re.search(collection.delivery_pattern, name):
        return None
    try:
        return collection.delivery_order(Path(name))[0]
    except OSError:  # the pattern matched an impossible date, and there is no file to take an mtime from
        return None


def list_deliveries(
    collection: Collection,
    home: Path,
    source: Source | str | os.PathLike | None = None,
    interval: tuple[dt.datetime, dt.datetime] | None = None,
    settings: FetchSettings = FetchSettings(),
) -> list[str]:
    """Names of the deliveries a run should fetch and process, in name order: the files at the
    source that fetch_new would fetch or hand on (new, changed, or fetched and not yet processed).

    interval (start, end), timezone-aware: keep a delivery whose name carries a date only if that
    day begins (00:00 UTC) within [start, end), so each dated delivery belongs to exactly one run
    of a schedule. A name without a date belongs to no interval and is kept whenever it is new.
    Raises FetchError when the source cannot be listed.
    """
    names = []
    for remote in list_new(collection.id, source_for(collection, source), home, settings):
        date = delivery_date(collection, remote.name) if interval else None
        if date is None or interval[0] <= dt.datetime.combine(date, dt.time(), dt.UTC) < interval[1]:
            names.append(remote.name)
    return names


def fetch_delivery(
    collection: Collection,
    name: str,
    home: Path,
    source: Source | str | os.PathLike | None = None,
    settings: FetchSettings = FetchSettings(),
) -> Path | None:
    """Fetch one delivery the source lists (a local one is read in place) and return its path;
    None when there is nothing new under that name (its version was processed before, or it is
    no longer listed). Raises FetchError when it cannot be fetched; a partial download resumes."""
    spec = dataclasses.replace(source_for(collection, source), pattern=glob.escape(name))
    fetched = fetch_new(collection.id, spec, home, settings)
    if fetched.failures:
        raise FetchError("; ".join(reason for _, reason in fetched.failures))
    return next((d.path for d in fetched.deliveries if d.name == name), None)


# --- normalize, validate, stage ------------------------------------------------------------


def _mark_processed(home: Path, collection: str, deliveries: list[dict]) -> None:
    """Tell the fetch state what became of the deliveries of a published batch."""
    for status in ("processed", "rejected"):
        chosen = [d for d in deliveries if (d.get("rejected") is None) == (status == "processed")]
        for d in chosen:
            try:
                mark_processed(home, collection, d["name"], status, d.get("rejected"))
            except ValueError:
                pass  # ingested directly from paths, not through the fetch state


def _published(settings: LakeSettings, collection: str) -> dict[tuple[str, int], str | None]:
    """The collection's deliveries in the lake: (name, size) -> sha256 (none before the first publish)."""
    if not lake_exists(settings):
        return {}
    con = connect_lake(
        settings, read_only=settings.catalog_file is not None
    )  # a database server: create the lake if new
    try:
        rows = con.execute(
            "SELECT name, size, sha256 FROM lake.deliveries WHERE collection = ?", [collection]
        ).fetchall()
    finally:
        con.close()
    return {(name, size): sha for name, size, sha in rows}


def _already_published(path: Path, published: dict) -> bool:
    key = (path.name, path.stat().st_size)
    if key not in published:
        return False
    return published[key] == sha256_file(path)


def _quarantine_file(home: Path, collection: str, path: Path) -> None:
    target = home / "quarantine" / collection
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, target / path.name)


def _spool_root(home: Path, collection: str, run_id: str) -> Path:
    """Where a run's normalized deliveries wait for validation (not a staged batch: no batch.json)."""
    return Path(home) / "staging" / ".work" / collection / run_id


def normalize_delivery(
    collection: Collection,
    path: str | os.PathLike,
    home: Path,
    run_id: str,
    force: bool = False,
    published: dict | None = None,
    lake: LakeSettings | None = None,
) -> dict:
    """Normalize one delivery into the run's spool: <home>/staging/.work/<collection>/<run_id>/<name>/
    holds its canonical rows stamped with the delivery's order (records.parquet), its quarantined
    rows and its manifest entry. A rerun of the same run overwrites it.

    Returns what validate_and_stage needs, small enough for an XCom (paths and counts, never
    records); `skipped` when the same delivery is already published (unless force).
    published: the collection's published deliveries, when the caller already has them.
    """
    path, home = Path(path), Path(home)
    if not force:
        published = _published(lake or lake_settings(home), collection.id) if published is None else published
        if published and _already_published(path, published):
            return {"name": path.name, "path": str(path), "skipped": True}
    spool = _spool_root(home, collection.id, run_id) / path.name
    shutil.rmtree(spool, ignore_errors=True)
    spool.mkdir(parents=True)
    now = dt.datetime.now(dt.UTC)
    attempts = count_attempt(home, collection.id, path.name, +1)
    failpoint("normalize")
    if attempts > max_attempts():  # it killed its reader every time: set it aside, let the rest through
        result = FileResult(
            str(path),
            collection.table,
            rejected=f"reading it never finished in {attempts - 1} attempts "
            "(the process died or was killed each time); set aside (IPETL_MAX_ATTEMPTS)",
        )
    else:
        try:
            result = normalize_file(
                path, collection.format, collection.rules(), spool, ingested_at=now, today=now.date()
            )
        except ResourceError:
            count_attempt(home, collection.id, path.name, -1)  # not the delivery's doing
            raise
    count_attempt(home, collection.id, path.name, 0)
    return _spool_delivery(collection, path, home, spool, [result], now)


def _spool_delivery(
    collection: Collection, path: Path, home: Path, spool: Path, results: list[FileResult], now: dt.datetime
) -> dict:
    """Write a normalized delivery's spool (see normalize_delivery) and return its summary.
    results: the whole file's, or its parts' in order (each with the whole file's checksum)."""
    rules = collection.rules()
    date, sequence = collection.delivery_order(path)
    quarantine = [row for result in results for row in result.quarantined]
    quarantined = len(quarantine)
    rejected = next((result.rejected for result in results if result.rejected), None)
    records = sum(result.records for result in results)
    if rejected:
        _quarantine_file(home, collection.id, path)
        quarantine.append(quarantine_row(rules, path.name, None, "delivery.readable", None, rejected, now))
    with pq.ParquetWriter(spool / "records.parquet", TABLES[collection.table], compression="lz4") as writer:
        for result in results:
            for batch in result.batches():
                writer.write_batch(_with_delivery(batch, date, sequence))
            result.discard()
    pq.write_table(pa.Table.from_pylist(quarantine, schema=QUARANTINE), spool / "quarantine.parquet")
    delivery = Delivery(
        collection.id,
        path.name,
        ";".join(results[0].checksums.values()) or None,
        path.stat().st_size,
        records=records,
        rejected=rejected,
        delivery_date=date.isoformat(),
        delivery_sequence=sequence,
    )
    (spool / "delivery.json").write_text(json.dumps(asdict(delivery)))
    return {
        "name": path.name,
        "path": str(path),
        "skipped": False,
        "spool": str(spool),
        "records": records,
        "quarantined": quarantined,
        "rejected": rejected,
    }


def validate_and_stage(collection: Collection, normalized: list[dict], home: Path, run_id: str) -> BatchSummary:
    """Run the quality gate (GX) over a run's normalized deliveries and stage what passes as the
    batch <home>/staging/<collection>/<run_id>/ for publishing; a rerun of the same run replaces it.

    The batch is written whatever the gate says (status `failed` is never published); no batch
    when every delivery was skipped. The spool is removed once the batch is staged, and kept
    after a failed gate so that the step can run again.
    """
    home = Path(home)
    summary = BatchSummary(collection=collection.id, table=collection.table)
    summary.skipped = sum(1 for n in normalized if n["skipped"])
    done = [n for n in normalized if not n["skipped"]]
    if not done:
        return summary
    now = dt.datetime.now(dt.UTC)
    entries = {n["name"]: Delivery(**json.loads((Path(n["spool"]) / "delivery.json").read_text())) for n in done}
    done.sort(key=lambda n: (entries[n["name"]].delivery_date, entries[n["name"]].delivery_sequence, n["name"]))
    deliveries = [entries[n["name"]] for n in done]
    summary.files = len(done)
    summary.rejected = [(n["path"], n["rejected"]) for n in done if n["rejected"]]
    quarantine: list[dict] = []
    tables: list[pa.Table] = []
    for n in done:
        quarantine.extend(pq.read_table(Path(n["spool"]) / "quarantine.parquet").to_pylist())
        tables.append(pq.read_table(Path(n["spool"]) / "records.parquet"))
    table = pa.concat_tables(tables)
    deleted = pc.equal(table.column("status"), DELETE)
    tombstones = _tombstones(collection, table.filter(deleted))
    table = table.filter(pc.invert(deleted))
    summary.deleted = tombstones.num_rows
    summary.records = table.num_rows + tombstones.num_rows + len(quarantine) - len(summary.rejected)
    checked = None
    if table.num_rows:
        rules = collection.rules()
        with _home_lock(home, "gx"):  # one GX file context per home: validations take turns
            checked = gate.validate(collection.table, table, rules, list(COLLECTIONS), home / "gx")
        quarantine.extend(checked.quarantine)
        summary.failures = checked.failures
        summary.passed = checked.passed.num_rows
    summary.quarantined = len(quarantine) - len(summary.rejected)
    batch_dir = home / "staging" / collection.id / run_id
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
    (batch_dir / "batch.json").write_text(  # last: a batch without it is not staged
        json.dumps(
            {
                "summary": asdict(summary),
                "status": summary.status,
                "deliveries": [asdict(d) for d in deliveries],
                "created_at": now.isoformat(),
            },
            indent=1,
        )
    )
    summary.batch_dir = str(batch_dir)
    if summary.status == "staged":
        shutil.rmtree(_spool_root(home, collection.id, run_id), ignore_errors=True)
    return summary


def _stage(collection: Collection, normalized: list, home: Path, run_id: str) -> BatchSummary:
    """validate_and_stage once the deliveries are normalized; the run's spool is removed after."""
    try:
        return validate_and_stage(collection, [pending.result() for pending in normalized], home, run_id)
    finally:
        shutil.rmtree(_spool_root(home, collection.id, run_id), ignore_errors=True)


SPLIT_PART_BYTES = 32 * 1024 * 1024  # a delivery is cut into parts of at least this size


class _Here(Executor):
    """An executor that runs each call at once, in this process (`--jobs 1`)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # raised by result(), as a pool's future does
            future.set_exception(exc)
        return future


def _normalize_all(collection, paths, home, run_id, force, pool: Executor, jobs: int, lake: LakeSettings) -> list:
    """Submit the normalization of a collection's deliveries to the pool (_Here: one after another,
    in this process); their (future-like) summaries, in order.
    A plain XML delivery of a format with a split_tag, at least two SPLIT_PART_BYTES long, is cut
    into up to `jobs` parts at record boundaries, normalized in parallel and spooled as one."""
    published = {} if force else _published(lake, collection.id)
    pending = []
    for path in map(Path, paths):
        parts = min(jobs, path.stat().st_size // SPLIT_PART_BYTES) if collection.format.split_tag else 1
        cut = parts >= 2 and (force or not _already_published(path, published)) and not _compressed(path)
        # counted like normalize_delivery's readings; one that never finished goes the whole-file way, set aside there
        if cut and count_attempt(home, collection.id, path.name, +1) <= max_attempts():
            pending.append(_Parts(collection, path, home, run_id, parts, pool))
        else:
            pending.append(pool.submit(_normalize_by_id, collection.id, path, home, run_id, force, published))
    return pending


def _prepare_gate() -> threading.Thread:
    """Import the quality gate's GX in a thread of this process while the pool's processes
    (forked at its first task, before this thread starts) fetch and normalize; a failure here is
    left for the gate itself to report."""

    def prepare() -> None:
        try:
            gate.prepare()
        except Exception:
            pass

    thread = threading.Thread(target=prepare, name="prepare-gate", daemon=True)
    thread.start()
    return thread


def _discover_by_id(collection_id: str, home: Path, source, force: bool) -> FetchResult:
    """discover, for a pool's process."""
    return discover(COLLECTIONS[collection_id], home, source, force)


def _normalize_by_id(collection_id: str, path: Path, home: Path, run_id: str, force: bool, published: dict) -> dict:
    """normalize_delivery, for a pool's process (which looks the collection up itself)."""
    return normalize_delivery(COLLECTIONS[collection_id], path, home, run_id, force, published)


def _compressed(path: Path) -> bool:
    """Whether the delivery is an archive or compressed (its members are read, not its bytes)."""
    return path.suffix.lower() in (".zip", ".gz", ".tgz", ".tar", ".bz2", ".xz")


class _Parts:
    """One delivery cut into parts (connectors.split) whose normalizations run in the pool;
    result() spools them as the delivery (normalize_delivery's spool and summary)."""

    def __init__(self, collection: Collection, path: Path, home: Path, run_id: str, parts: int, pool: Executor):
        self.collection, self.path, self.home = collection, path, home
        self.spool = _spool_root(home, collection.id, run_id) / path.name
        shutil.rmtree(self.spool, ignore_errors=True)
        self.spool.mkdir(parents=True)
        self.now = dt.datetime.now(dt.UTC)
        files = split_xml(path, collection.format.split_tag, parts, self.spool / "parts")
        self.sha256 = pool.submit(sha256_file, path)
        self.futures = [pool.submit(_normalize_part, collection.id, part, self.spool, self.now) for part in files]

    def result(self) -> dict:
        results = [future.result() for future in self.futures]
        shutil.rmtree(self.spool / "parts", ignore_errors=True)
        if not results or any(r.rejected for r in results):  # not cut, or unreadable: the whole file says why
            for r in results:
                r.discard()
            results = [
                normalize_file(
                    self.path,
                    self.collection.format,
                    self.collection.rules(),
                    self.spool,
                    ingested_at=self.now,
                    today=self.now.date(),
                )
            ]
        else:
            checksum = {self.path.name: self.sha256.result()}
            for r in results:
                r.checksums = checksum
        count_attempt(self.home, self.collection.id, self.path.name, 0)  # the reading finished
        return _spool_delivery(self.collection, self.path, self.home, self.spool, results, self.now)


def _normalize_part(collection_id: str, part: Path, spool: Path, now: dt.datetime) -> FileResult:
    collection = COLLECTIONS[collection_id]
    return normalize_file(part, collection.format, collection.rules(), spool, ingested_at=now, today=now.date())


def _with_delivery(batch: pa.RecordBatch, date: dt.date, sequence: int) -> pa.RecordBatch:
    """Stamp the rows of a delivery with its order (date, sequence)."""
    n = batch.num_rows
    for name, value, type_ in (("delivery_date", date, pa.date32()), ("delivery_sequence", sequence, pa.int64())):
        index = batch.schema.get_field_index(name)
        batch = batch.set_column(index, batch.schema.field(index), pa.array([value] * n, type_))
    return batch


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


def staged_batches(home: Path) -> list[Path]:
    """Staged batch directories awaiting publication, oldest first."""
    root = Path(home) / "staging"
    found = []
    for batch_json in root.glob("*/*/batch.json"):
        info = json.loads(batch_json.read_text())
        if info["status"] == "staged":
            found.append((info["created_at"], batch_json.parent))
    return [p for _, p in sorted(found)]


def _home_lock(home: Path, name: str) -> FileLock:
    """An exclusive lock between processes working on the same home (runs, Airflow tasks)."""
    path = Path(home) / "staging" / f".{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(path)


def _publish_request(batch_dirs: list[Path]) -> PublishRequest:
    """One request for the batches, oldest first. A delivery staged twice (a run killed before
    its publish, then run again) counts once: its deliveries entry and quarantine rows come from
    the newest batch; its records are the same in both and the newest wins by key anyway."""
    request = PublishRequest()
    infos = [(batch_dir, json.loads((batch_dir / "batch.json").read_text())) for batch_dir in batch_dirs]
    newest: dict[tuple, Path] = {}
    for batch_dir, info in infos:
        for d in info["deliveries"]:
            newest[(d["collection"], d["name"], d["sha256"])] = batch_dir
    for batch_dir, info in infos:
        summary = info["summary"]
        for name, tombstones in (("records.parquet", False), ("tombstones.parquet", True)):
            path = batch_dir / name
            if path.exists():
                rows = pq.ParquetFile(path).metadata.num_rows
                request.staged.append(
                    StagedFile(summary["collection"], summary["table"], path, batch_dir.name, rows, tombstones)
                )
        superseded = {
            d["name"] for d in info["deliveries"] if newest[(d["collection"], d["name"], d["sha256"])] != batch_dir
        }
        request.quarantine.extend(
            q
            for q in pq.read_table(batch_dir / "quarantine.parquet").to_pylist()
            if q["source_file"].split("!")[0] not in superseded
        )
        request.deliveries.extend(Delivery(**d) for d in info["deliveries"] if d["name"] not in superseded)
        if summary["collection"] not in request.collections:
            request.collections.append(summary["collection"])
    return request


def publish_staged(
    home: Path, batch_dirs: list[Path] | None = None, lake: LakeSettings | None = None
) -> Published | None:
    """Merge staged batches into the lake as one new snapshot and rebuild the search database.

    Publishes of one home take turns (a lock), so two runs never take the same batch twice;
    publishers of other homes sharing the lake are serialized by DuckLake's transactions.
    """
    home = Path(home)
    lake = lake or lake_settings(home)
    with _home_lock(home, "publish"):
        batch_dirs = [
            b for b in (staged_batches(home) if batch_dirs is None else batch_dirs) if (b / "batch.json").exists()
        ]
        if not batch_dirs:
            return None
        try:
            published = publish(lake, _publish_request(batch_dirs), publish_options(home))
        except PublishRefused as exc:
            for batch_dir in batch_dirs:  # not retried as is: the data needs a look first
                info = json.loads((batch_dir / "batch.json").read_text())
                info.update(status="refused", reason=str(exc))
                (batch_dir / "batch.json").write_text(json.dumps(info, indent=1))
            raise
        failpoint("before-catalog")
        catalog.build_search(lake, home)
        for batch_dir in batch_dirs:
            info = json.loads((batch_dir / "batch.json").read_text())
            _mark_processed(home, info["summary"]["collection"], info["deliveries"])
            shutil.rmtree(batch_dir, ignore_errors=True)
    return published


@dataclass
class RunSummary:
    batches: list[BatchSummary]
    snapshot_id: int | None
    home: Path
    refused: str | None = None  # why the publish was refused, if it was
    data_docs: Path | None = None
    fetch_failures: list[tuple[str, str]] = field(default_factory=list)  # (collection, reason)
    failure: str | None = None  # why the run stopped (a resource, the lake): the deliveries stay pending
    unclaimed: list[str] = field(default_factory=list)  # entries of --source no collection claims

    @property
    def exit_code(self) -> int:
        """0: everything asked for was done; 1: some input was rejected, quarantined whole or
        refused; 3: the run could not finish (a resource, the lake, a source). Entries of a
        mirror that no collection claims are reported, not failed."""
        if self.failure or self.fetch_failures:
            return 3
        if self.refused or any(b.failures or b.rejected for b in self.batches):
            return 1
        return 0


def route_source(source: str | os.PathLike | None, collection_ids: list[str] | None) -> tuple[list[str], list[str]]:
    """Which collections a run takes, and the entries of a --source folder no collection claims.

    A mirror (a folder with one sub-folder per collection) gives each collection its own
    sub-folder and nothing else; a flat folder of deliveries belongs to the collection(s) named
    with --collection (raises ValueError without one); a URL or no source: the registry's.
    """
    ids = list(collection_ids or COLLECTIONS)
    text = str(source) if source else ""
    if not text or (_URI.match(text) and urlsplit(text).scheme != "file"):
        return ids, []
    folder = Path(unquote(urlsplit(text).path) if text.startswith("file:") else text)
    if not folder.is_dir():
        raise ValueError(f"source {folder}: no such directory")
    entries = sorted(folder.iterdir())
    mirrored = {p.name for p in entries if p.is_dir() and p.name in COLLECTIONS}
    if not mirrored:
        if not collection_ids:
            raise ValueError(
                f"source {folder} holds deliveries, not one folder per collection: "
                "name their collection with --collection"
            )
        return ids, []
    unclaimed = (
        [] if collection_ids else [str(p) for p in entries if p.name not in mirrored and not p.name.startswith(".")]
    )
    return [c for c in ids if c in mirrored], unclaimed


def _run_lock(home: Path, run_id: str) -> FileLock:
    """Held by a live `ipetl run` for its whole length: the sweep leaves its files alone."""
    folder = Path(home) / "staging" / ".runs"
    folder.mkdir(parents=True, exist_ok=True)
    return FileLock(folder / f"{run_id}.lock")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep(home: Path) -> list[Path]:
    """Remove what killed runs left behind, never what a live one is using: the spools and
    half-staged batches of runs whose lock nobody holds, search databases half built by dead
    processes, and DuckDB spill files when no publish is running. Returns what it removed."""
    home = Path(home)
    staging = home / "staging"
    removed: list[Path] = []
    for lock_path in sorted((staging / ".runs").glob("*.lock")):
        run_id = lock_path.stem
        try:
            with FileLock(lock_path, timeout=0):
                leftovers = [
                    *staging.glob(f".work/*/{run_id}"),
                    *(b for b in staging.glob(f"*/{run_id}") if not (b / "batch.json").exists()),
                ]
                for path in leftovers:
                    shutil.rmtree(path, ignore_errors=True)
                    removed.append(path)
                lock_path.unlink(missing_ok=True)
        except Timeout:
            continue  # a live run
    for tmp in home.glob(f".{catalog.SEARCH_FILE}.*.tmp"):
        pid = tmp.name.split(".")[-2]
        if pid.isdigit() and not _pid_alive(int(pid)):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    try:
        with FileLock(staging / ".publish.lock", timeout=0):
            for spill in (staging / ".duckdb").glob("*"):
                shutil.rmtree(spill, ignore_errors=True) if spill.is_dir() else spill.unlink(missing_ok=True)
                removed.append(spill)
    except Timeout:
        pass
    return removed


def run(
    collection_ids: list[str] | None = None,
    source: str | os.PathLike | None = None,
    home: str | os.PathLike | None = None,
    force: bool = False,
    lake: LakeSettings | None = None,
    jobs: int = 1,
) -> RunSummary:
    """Discover, normalize, validate, stage and publish the given collections (default: all).

    Raises ValueError for a source that cannot be used (see route_source). A resource running
    out (disk, files, memory, permissions) or the lake failing ends the run early with
    `failure` set: nothing more is published and the deliveries stay pending.

    jobs > 1: the collections are fetched, and their deliveries (or the parts of a big one, see
    _normalize_all) normalized, in a pool of that many processes; the quality gate, the staging
    and the publish stay here, one step for the run, with the same result as jobs=1.
    """
    home = home_dir(home)
    home.mkdir(parents=True, exist_ok=True)
    lake = lake or lake_settings(home)
    ids, unclaimed = route_source(source, collection_ids)
    run_id = _new_run_id()
    summary = RunSummary([], None, home, unclaimed=unclaimed)
    with _run_lock(home, run_id):
        try:
            sweep(home)
            _run_collections(summary, ids, source, force, lake, run_id, jobs)
            if any(b.files for b in summary.batches) and (home / "gx" / "gx").is_dir():
                summary.data_docs = build_data_docs(home / "gx")
        except LakeError as exc:
            summary.failure = str(exc)
        except BrokenProcessPool:
            summary.failure = "a process of the pool died while normalizing (killed, or out of memory)"
        except Exception as exc:  # a full disk or a permission surfaces through GX, DuckDB, pyarrow ...
            resource = resource_error(exc)
            if resource is None:
                raise
            summary.failure = str(resource)
    (home / "staging" / ".runs" / f"{run_id}.lock").unlink(missing_ok=True)
    return summary


def _run_collections(
    summary: RunSummary, ids: list[str], source, force: bool, lake: LakeSettings, run_id: str, jobs: int = 1
) -> None:
    home = summary.home
    with _Here() if jobs <= 1 else ProcessPoolExecutor(jobs) as pool:
        found = {cid: pool.submit(_discover_by_id, cid, home, source, force) for cid in ids}
        warm = _prepare_gate() if jobs > 1 else None
        normalizing = {}
        for cid, pending in found.items():
            try:
                fetched = pending.result()
            except FetchError as exc:
                summary.fetch_failures.append((cid, str(exc)))
                continue
            summary.fetch_failures.extend((cid, f"not fetched {name}: {reason}") for name, reason in fetched.failures)
            if fetched.deliveries:
                paths = [d.path for d in fetched.deliveries]
                normalizing[cid] = _normalize_all(COLLECTIONS[cid], paths, home, run_id, force, pool, jobs, lake)
        if warm is not None:
            warm.join()
        for cid, normalized in normalizing.items():
            summary.batches.append(_stage(COLLECTIONS[cid], normalized, home, run_id))
    try:
        published = publish_staged(home, lake=lake)  # this run's batches, and any a crashed run left behind
    except PublishRefused as exc:
        published, summary.refused = None, str(exc)
    if published is None and lake_exists(lake):
        catalog.build_search(lake, home)  # no-op when current; completes a publish that crashed before it
    summary.snapshot_id = published.snapshot_id if published else None
