"""Normalize delivery files into canonical Arrow batches, one file at a time.

A file is all or nothing: its records are spooled to disk (Arrow IPC: no encoding cost) while it streams and are
handed on only when the whole file parsed, so a truncated or malformed file publishes nothing.
A record that cannot be mapped (no key, say) is quarantined with its reason; the others go on.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

import pyarrow as pa
from pyarrow import ipc

from connectors.files import open_members
from connectors.progress import NO_PROGRESS, Progress
from connectors.resources import resource_error
from connectors.xml import DeliveryError
from transforms.images import ImageRef, collect_refs
from transforms.records import CanonicalRecord, OfficeRecord, QuarantineRow
from transforms.rules import DELETE, CollectionRules
from transforms.schema import TABLES, TOMBSTONES
from transforms.spec import Format
from transforms.st13 import ST13Error
from transforms.values import collecting_invalid

BATCH_ROWS = 5000


@dataclass
class FileResult:
    """What one delivery file gave: a spool of good records, quarantined records, or rejection."""

    path: str
    table: str
    records: int = 0
    spool: Path | None = None
    rejected: str | None = None
    quarantined: list[QuarantineRow] = field(default_factory=list)
    checksums: dict[str, str] = field(default_factory=dict)
    images: list[ImageRef] = field(default_factory=list)  # the pictures the spooled records point at

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The spooled records, with each record's source_sha256 filled in."""
        if self.spool is None:
            return
        import pyarrow.compute as pc  # 0.07 s to import: only once there is something to read

        names = pa.array(list(self.checksums), pa.string())
        shas = pa.array(list(self.checksums.values()), pa.string())
        column = TABLES[self.table].get_field_index("source_sha256")
        with pa.OSFile(str(self.spool)) as source:  # read into memory: batches outlive the file
            reader = ipc.open_file(source)
            for i in range(reader.num_record_batches):
                batch = reader.get_batch(i)
                index = pc.index_in(batch.column("source_file"), value_set=names)
                yield batch.set_column(column, TABLES[self.table].field(column), pc.take(shas, index))

    def discard(self) -> None:
        if self.spool is not None:
            self.spool.unlink(missing_ok=True)
            self.spool = None


def split_deletions(table: str, rows: pa.Table) -> tuple[pa.Table, pa.Table]:
    """The records of `rows` (canonical rows of `table`), and the tombstones (the lake's
    `deleted` table, TOMBSTONES) of the ones the delivery withdraws: those the transforms mark
    with status `Delete` (transforms.rules.DELETE), which is never a record's status."""
    import pyarrow.compute as pc

    deleted = pc.equal(rows.column("status"), DELETE)
    gone = rows.filter(deleted)
    n = gone.num_rows
    design_number = gone.column("design_number") if "design_number" in gone.schema.names else pa.nulls(n, pa.string())
    tombstones = pa.table(
        {
            "table_name": pa.array([table] * n, pa.string()),
            "st13": gone.column("st13"),
            "design_number": design_number,
            "collection": gone.column("collection"),
            "office": gone.column("office"),
            "reason": gone.column("office_status"),
            "source_file": gone.column("source_file"),
            "delivery_date": gone.column("delivery_date"),
            "delivery_sequence": gone.column("delivery_sequence"),
        },
        schema=TOMBSTONES,
    )
    return rows.filter(pc.invert(deleted)), tombstones


def quarantine_row(
    rules: CollectionRules,
    source_file: str,
    st13: str | None,
    rule_id: str,
    value: object,
    reason: str,
    at: dt.datetime,
) -> QuarantineRow:
    return {
        "collection": rules.collection,
        "source_file": source_file,
        "st13": st13,
        "rule_id": rule_id,
        "value": None if value is None else str(value),
        "reason": reason,
        "quarantined_at": at,
    }


def _office_records(
    path: str | os.PathLike[str], fmt: Format, checksums: dict[str, str]
) -> Iterator[tuple[str, OfficeRecord]]:
    """(member name, office record) for every record of a delivery; fills `checksums` as each
    member is finished (drained to its end, so the checksum covers the whole member)."""

    def members() -> Iterator[tuple[str, IO[bytes]]]:
        for member in open_members(path):
            yield member.name, cast(IO[bytes], member.stream)  # a binary stream (io.RawIOBase)
            member.stream.drain()
            checksums[member.name] = member.stream.hexdigest()

    yield from fmt.office_records(members())


@contextmanager
def _fewer_collections(first_generation: int = 50_000) -> Iterator[None]:
    """Millions of short-lived dicts make the cyclic GC run constantly; records hold no cycles."""
    before = gc.get_threshold()
    gc.set_threshold(first_generation, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def normalize_file(
    path: str | os.PathLike[str],
    fmt: Format,
    rules: CollectionRules,
    spool_dir: str | os.PathLike[str],
    ingested_at: dt.datetime | None = None,
    today: dt.date | None = None,
    progress: Progress = NO_PROGRESS,
) -> FileResult:
    """Parse and map one delivery file (plain, .gz, .zip, .tar) into a spool of canonical rows.

    The clock is read here, by the caller, not by the transforms: records are stamped
    `ingested_at` (default now) and mapped as of `today` (default the date of `ingested_at`).
    progress: told of the records read, a few thousand at a time.
    """
    ingested_at = ingested_at or dt.datetime.now(dt.UTC)
    with _fewer_collections(), progress.task(Path(path).name, unit="record") as advance:
        return _normalize_file(path, fmt, rules, spool_dir, ingested_at, today or ingested_at.date(), advance)


def _normalize_file(
    path: str | os.PathLike[str],
    fmt: Format,
    rules: CollectionRules,
    spool_dir: str | os.PathLike[str],
    ingested_at: dt.datetime,
    today: dt.date,
    advance: Callable[[int], None],
) -> FileResult:
    schema = TABLES[fmt.table]
    result = FileResult(path=str(path), table=fmt.table)
    fd, spool = tempfile.mkstemp(suffix=".arrow", dir=spool_dir)
    os.close(fd)
    result.spool = Path(spool)
    buffer: list[CanonicalRecord] = []
    try:
        with pa.OSFile(spool, "wb") as sink, ipc.new_file(sink, schema) as writer:
            for member_name, office_record in _office_records(path, fmt, result.checksums):
                try:
                    with collecting_invalid() as invalid:
                        mapped = fmt.to_canonical(office_record, rules, today)
                except ST13Error as exc:
                    result.quarantined.append(
                        quarantine_row(rules, member_name, None, "st13.buildable", exc.number, str(exc), ingested_at)
                    )
                    continue
                except (KeyError, ValueError, TypeError, AttributeError) as exc:
                    result.quarantined.append(
                        quarantine_row(
                            rules,
                            member_name,
                            None,
                            "record.mappable",
                            None,
                            f"{type(exc).__name__}: {exc}",
                            ingested_at,
                        )
                    )
                    continue
                if invalid:  # a value the office wrote that cannot be read: never published as empty
                    kind, text = invalid[0]
                    others = f" (and {len(invalid) - 1} more)" if len(invalid) > 1 else ""
                    result.quarantined.append(
                        quarantine_row(
                            rules,
                            member_name,
                            None,
                            f"value.{kind}",
                            text,
                            f"not a {kind}: {text!r}{others}",
                            ingested_at,
                        )
                    )
                    continue
                for record in [mapped] if isinstance(mapped, dict) else mapped:
                    record["source_file"] = member_name
                    record["ingested_at"] = ingested_at
                    buffer.append(record)
                    result.images.extend(collect_refs(office_record, record, member_name))
                if len(buffer) >= BATCH_ROWS:
                    writer.write_batch(pa.RecordBatch.from_pylist(buffer, schema=schema))
                    result.records += len(buffer)
                    advance(len(buffer))
                    buffer.clear()
            if buffer:
                writer.write_batch(pa.RecordBatch.from_pylist(buffer, schema=schema))
                result.records += len(buffer)
                advance(len(buffer))
        if not result.checksums:
            raise DeliveryError("no XML inside")
    except DeliveryError as exc:
        result.discard()
        result.records = 0
        result.quarantined.clear()
        result.images.clear()
        result.rejected = str(exc)
    except (OSError, MemoryError) as exc:
        result.discard()
        resource = resource_error(exc, str(path))
        if resource is not None:  # the machine's problem, not the delivery's: the run fails
            raise resource from exc
        result.records = 0
        result.images.clear()
        result.rejected = f"cannot read: {(exc.strerror if isinstance(exc, OSError) else None) or exc}"
    return result
