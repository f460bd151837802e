"""The lake's picture store: each picture once, by its SHA-256, under the lake's data path.

`images/<ab>/<sha256>.<format>` holds the bytes as delivered, `.thumb.png` and `.icon.png` beside
it the 256 px thumbnail and the 64 px icon; the `images` table names them relative to the data
path (so a moved home or bucket keeps them). A local data path is written with an atomic rename;
an s3:// one with the lake's S3 settings. A picture already stored is not written again.
`fetched_pictures` gives back what the lake holds of pictures fetched by URL, so that a run asks
the server whether they changed instead of downloading them again. `vacuum_pictures` removes the
files no `images` row of a kept snapshot (nor a batch not yet published) references.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from transforms.images import ImageAnalysis
from transforms.schema import IMAGES
from warehouse.lake import LakeError, LakeSettings, connect, error, exists

FOLDER = "images"
RECORD_FIELDS = ("st13", "design_number", "view", "office", "collection", "source_ref", "source_file", "problem")


def paths(analysis: ImageAnalysis) -> tuple[str, str, str]:
    """(picture, thumbnail, icon), relative to the data path."""
    stem = f"{FOLDER}/{analysis.sha256[:2]}/{analysis.sha256}"
    return f"{stem}.{analysis.format.lower()}", f"{stem}.thumb.png", f"{stem}.icon.png"


def fetched_pictures(settings: LakeSettings, urls: list[str]) -> dict[str, dict[str, Any]]:
    """The lake's current picture of each URL fetched with validators (ETag or Last-Modified):
    url -> its `images` fields but those of the record (RECORD_FIELDS)."""
    if not urls or not exists(settings):
        return {}
    fields = [f.name for f in IMAGES if f.name not in RECORD_FIELDS]
    con = connect(settings, read_only=settings.catalog_file is not None)
    try:
        cursor = con.execute(
            f"SELECT source_ref, {', '.join(fields)} FROM lake.images WHERE source_ref IN (SELECT unnest(?)) "
            "AND problem IS NULL AND (etag IS NOT NULL OR last_modified IS NOT NULL) ORDER BY source_ref",
            [urls],
        )
        return {row[0]: dict(zip(fields, row[1:], strict=True)) for row in cursor.fetchall()}
    except duckdb.Error as exc:
        raise error(settings, "cannot read the stored pictures", exc) from None
    finally:
        con.close()


class ImageStore:
    """Writes pictures under one lake's data path."""

    def __init__(self, settings: LakeSettings):
        self.settings = settings
        self._s3: Any = None
        self._bucket, self._prefix = "", ""
        if settings.remote_data:
            import boto3  # only for an object-store lake

            creds = settings.s3
            bucket_and_prefix = settings.data_path.split("://", 1)[1]
            self._bucket, _, self._prefix = bucket_and_prefix.partition("/")
            self._s3 = boto3.client(
                "s3",
                endpoint_url=creds.endpoint if creds else None,
                aws_access_key_id=creds.key_id if creds else None,
                aws_secret_access_key=creds.secret if creds else None,
                aws_session_token=creds.session_token if creds else None,
                region_name=(creds.region if creds else None) or "us-east-1",
            )

    def put(self, analysis: ImageAnalysis, data: bytes) -> tuple[str, str, str]:
        """Store the picture, its thumbnail and icon (unless stored); their relative paths."""
        picture, thumbnail, icon = paths(analysis)
        for relative, content in ((thumbnail, analysis.thumbnail), (icon, analysis.icon), (picture, data)):
            self._write(relative, content)
        return picture, thumbnail, icon

    def stored(self, before: float) -> list[str]:
        """The files under images/ last written before `before` (seconds since the epoch),
        relative to the data path."""
        try:
            if self._s3 is not None:
                pages = self._s3.get_paginator("list_objects_v2").paginate(
                    Bucket=self._bucket, Prefix=f"{self._prefix}{FOLDER}/"
                )
                return [
                    o["Key"].removeprefix(self._prefix)
                    for page in pages
                    for o in page.get("Contents", [])
                    if o["LastModified"].timestamp() < before
                ]
            root = Path(self.settings.data_path)
            return [
                f.relative_to(root).as_posix()
                for f in (root / FOLDER).rglob("*")
                if f.is_file() and f.stat().st_mtime < before
            ]
        except Exception as exc:  # boto3's errors and OSError alike
            raise LakeError(f"cannot list the stored pictures ({self.settings.describe()}): {exc}") from None

    def remove(self, relatives: list[str]) -> None:
        try:
            if self._s3 is not None:
                for start in range(0, len(relatives), 1000):  # S3 deletes at most 1000 keys at once
                    keys = [{"Key": self._prefix + r} for r in relatives[start : start + 1000]]
                    self._s3.delete_objects(Bucket=self._bucket, Delete={"Objects": keys, "Quiet": True})
                return
            for relative in relatives:
                (Path(self.settings.data_path) / relative).unlink(missing_ok=True)
        except Exception as exc:  # boto3's errors and OSError alike
            raise LakeError(f"cannot remove stored pictures ({self.settings.describe()}): {exc}") from None

    def _write(self, relative: str, content: bytes) -> None:
        try:
            if self._s3 is not None:
                self._s3.put_object(Bucket=self._bucket, Key=self._prefix + relative, Body=content)
                return
            target = Path(self.settings.data_path) / relative
            if target.exists():
                return
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, scratch = tempfile.mkstemp(dir=target.parent, suffix=".part")
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
            os.replace(scratch, target)
        except Exception as exc:  # boto3's errors and OSError alike: the lake cannot be written
            raise LakeError(f"cannot store {relative} ({self.settings.describe()}): {exc}") from None


def referenced(settings: LakeSettings, snapshots: Iterable[int]) -> set[str]:
    """The files (picture, thumbnail, icon) the `images` rows of these snapshots name."""
    con = connect(settings, read_only=settings.catalog_file is not None)
    found: set[str] = set()
    try:
        for snapshot in snapshots:
            try:
                rows = con.execute(
                    f"SELECT path, thumbnail, icon FROM lake.images AT (VERSION => {int(snapshot)}) "
                    "WHERE path IS NOT NULL"
                ).fetchall()
            except duckdb.CatalogException:  # a snapshot of a lake from before schema 1.2: no pictures
                continue
            found.update(name for row in rows for name in row if name)
    except duckdb.Error as exc:
        raise error(settings, "cannot read the stored pictures", exc) from None
    finally:
        con.close()
    return found


def vacuum_pictures(settings: LakeSettings, snapshots: Iterable[int], pending: set[str], before: float) -> int:
    """Remove the picture files written before `before` that neither the `images` rows of the
    kept `snapshots` nor `pending` (the batches not yet published) name; how many were removed.
    `before` spares the pictures of a run still reading its deliveries (they are named nowhere yet)."""
    keep = referenced(settings, snapshots) | pending
    store = ImageStore(settings)
    unused = sorted(name for name in store.stored(before) if name not in keep)
    store.remove(unused)
    return len(unused)
