"""The pictures of a normalized delivery: read (archive member or URL), analysed, stored in the
lake by SHA-256, and spooled as rows of the lake's `images` table. A URL the lake already holds
a picture of is asked for with that picture's validators: on HTTP 304 its stored row (picture
and analysis) is kept as it is.

A picture that cannot be had never holds its record back: it gets one line (record and reason,
told to `progress`) and an `images` row saying why; bad input (bytes that are no picture to
keep, a member name escaping the archive) also a quarantine row with rule `image.readable`. The
record is published all the same.
"""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from connectors.home import HomeLayout
from connectors.images import URL_SCHEMES, ArchiveEscape, ImageReader, ImageUnavailable
from connectors.progress import NO_PROGRESS, Progress
from connectors.sources import Validators
from transforms.images import MAX_BYTES, ImageRef, ImageRejected, analyse, sha256
from transforms.normalize import quarantine_row
from transforms.records import QuarantineRow
from transforms.rules import CollectionRules
from transforms.schema import IMAGES
from warehouse.images import ImageStore, fetched_pictures
from warehouse.lake import LakeSettings

IMAGES_FILE = "images.parquet"
RULE = "image.readable"
# `ipetl vacuum` spares pictures written this recently: a run still reading its deliveries has
# stored them, and names them only when its batch is staged.
PICTURE_GRACE = dt.timedelta(days=1)


def _record(ref: ImageRef) -> str:
    key = ref["st13"] or "?"
    return f"{key}/{ref['design_number']}" if ref["design_number"] else key


def spool_images(
    delivery: Path,
    refs: list[ImageRef],
    rules: CollectionRules,
    lake: LakeSettings,
    spool: Path,
    now: dt.datetime,
    per_host: float | None,
    progress: Progress = NO_PROGRESS,
) -> list[QuarantineRow]:
    """Resolve, analyse and store the pictures of one delivery; write <spool>/images.parquet;
    return the quarantine rows of the pictures that could not be kept. per_host: requests per
    second at most to each host pictures are fetched from (the source's image_rate_limit)."""
    rows: list[dict[str, Any]] = []
    quarantine: list[QuarantineRow] = []
    if not refs:
        return quarantine
    store = ImageStore(lake)
    stored = fetched_pictures(lake, sorted({r["ref"] for r in refs if r["ref"].lower().startswith(URL_SCHEMES)}))
    with ExitStack() as stack:
        reader = ImageReader(delivery, stack, spool / "images.part", MAX_BYTES, per_host, progress=progress)
        for ref in refs:
            row: dict[str, Any] = {
                **{k: ref[k] for k in ("st13", "design_number", "view", "office", "source_file")},
                "collection": rules.collection,
                "source_ref": ref["ref"],
                "corrupt": False,
            }
            data = b""
            known = stored.get(ref["ref"])
            validators = None if known is None else Validators(known["etag"], known["last_modified"])
            try:
                picture = reader.read(ref["ref"], ref["source_file"], validators)
                if picture.data is None:  # HTTP 304 to the validators of `known`: the stored picture is current
                    rows.append({**row, **(known or {})})
                    continue
                data = picture.data
                analysis = analyse(data)
            except (ImageUnavailable, ImageRejected) as exc:
                reason = str(exc) if isinstance(exc, ImageUnavailable) else f"{ref['ref']}: {exc}"
                progress.note(f"{ref['source_file']}: record {_record(ref)}: picture {reason}")
                if isinstance(exc, (ImageRejected, ArchiveEscape)):  # bad input; a missing picture is only told
                    quarantine.append(
                        quarantine_row(rules, ref["source_file"], ref["st13"], RULE, ref["ref"], reason, now)
                    )
                row.update(problem=reason, corrupt=isinstance(exc, ImageRejected))
                if data and isinstance(exc, ImageRejected):
                    row["sha256"] = sha256(data)
                rows.append(row)
                continue
            path, thumbnail, icon = store.put(analysis, data)
            features = {k: v for k, v in vars(analysis).items() if k not in ("thumbnail", "icon")}  # bytes: stored
            served = picture.validators or Validators()
            row.update(features, path=path, thumbnail=thumbnail, icon=icon)
            row.update(etag=served.etag, last_modified=served.last_modified)
            rows.append(row)
    pq.write_table(pa.Table.from_pylist(rows, schema=IMAGES), spool / IMAGES_FILE)
    return quarantine


def pending_pictures(home: Path) -> set[str]:
    """The picture files the home's batches and spools not yet published name (relative to the
    lake's data path): `ipetl vacuum` keeps them."""
    names: set[str] = set()
    for spooled in HomeLayout(home).staging.rglob(IMAGES_FILE):
        table = pq.read_table(spooled, columns=["path", "thumbnail", "icon"])
        names.update(name for column in table.columns for name in column.to_pylist() if name)
    return names
