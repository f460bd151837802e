"""Publish staged batches: one lake snapshot for all of them, then the search database."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pyarrow.parquet as pq

from connectors.fetch import mark_processed
from ipetl.pipeline.images import IMAGES_FILE
from ipetl.pipeline.settings import lake_settings, publish_options
from ipetl.pipeline.staging import StagedBatch, home_lock, is_staged, staged_batches
from warehouse import catalog
from warehouse.lake import LakeSettings, failpoint
from warehouse.publish import Delivery, Published, PublishRefused, PublishRequest, StagedFile, publish


def _mark_processed(home: Path, collection: str, deliveries: list[Delivery]) -> None:
    """Tell the fetch state what became of the deliveries of a published batch."""
    for status in ("processed", "rejected"):
        for d in deliveries:
            if (d.rejected is None) != (status == "processed"):
                continue
            with contextlib.suppress(ValueError):  # ingested directly from paths, not through the fetch state
                mark_processed(home, collection, d.name, status, d.rejected)


def _publish_request(batches: dict[Path, StagedBatch]) -> PublishRequest:
    """One request for the batches, oldest first. A delivery staged twice (a run killed before
    its publish, then run again) counts once: its deliveries entry and quarantine rows come from
    the newest batch; its records are the same in both and the newest wins by key anyway."""
    request = PublishRequest()
    newest: dict[tuple[str, str, str | None], Path] = {}
    for batch_dir, batch in batches.items():
        for d in batch.deliveries:
            newest[(d.collection, d.name, d.sha256)] = batch_dir
    for batch_dir, batch in batches.items():
        summary = batch.summary
        for name, tombstones in (("records.parquet", False), ("tombstones.parquet", True)):
            path = batch_dir / name
            if path.exists():
                rows = pq.ParquetFile(path).metadata.num_rows
                request.staged.append(
                    StagedFile(summary.collection, summary.table, path, batch_dir.name, rows, tombstones)
                )
        if (batch_dir / IMAGES_FILE).exists():
            request.images.append(batch_dir / IMAGES_FILE)
        superseded = {d.name for d in batch.deliveries if newest[(d.collection, d.name, d.sha256)] != batch_dir}
        request.quarantine.extend(
            q
            for q in pq.read_table(batch_dir / "quarantine.parquet").to_pylist()
            if q["source_file"].split("!")[0] not in superseded
        )
        request.deliveries.extend(d for d in batch.deliveries if d.name not in superseded)
        if summary.collection not in request.collections:
            request.collections.append(summary.collection)
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
    with home_lock(home, "publish"):
        batches = {
            b: StagedBatch.read(b) for b in (staged_batches(home) if batch_dirs is None else batch_dirs) if is_staged(b)
        }
        if not batches:
            return None
        try:
            published = publish(lake, _publish_request(batches), publish_options(home))
        except PublishRefused as exc:
            for batch_dir, batch in batches.items():  # not retried as is: the data needs a look first
                batch.refused(str(exc)).write(batch_dir)
            raise
        failpoint("before-catalog")
        catalog.build_search(lake, home)
        for batch_dir, batch in batches.items():
            _mark_processed(home, batch.summary.collection, batch.deliveries)
            shutil.rmtree(batch_dir, ignore_errors=True)
    return published
