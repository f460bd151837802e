"""A collection's deliveries at its source: list the ones a run should take, fetch them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import glob
import re
from pathlib import Path

from connectors.fetch import FetchResult, fetch_new, list_new
from connectors.progress import NO_PROGRESS, Progress
from connectors.sources import DEFAULT_SETTINGS, FetchError, FetchSettings
from ipetl.pipeline.settings import SourceArg, source_for
from ipetl.registry import Collection


def fetch_deliveries(
    collection: Collection,
    home: Path,
    source: SourceArg = None,
    force: bool = False,
    progress: Progress = NO_PROGRESS,
) -> FetchResult:
    """Fetch a collection's new deliveries: from its declared source (into
    <home>/incoming/<collection>/), or from `source` (see source_for; a directory is read in
    place). Returns every delivery fetched and not yet processed, and the files that could not be
    fetched (they resume next time). progress: told of the server it lists, the bytes and the retries."""
    spec = source_for(collection, source)
    if spec.kind != "local":  # the operator is told of each server contacted (a local folder is just read)
        progress.note(f"listing {spec.resolved()}")
    return fetch_new(collection.id, spec, home, force=force, progress=progress)


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
    source: SourceArg = None,
    interval: tuple[dt.datetime, dt.datetime] | None = None,
    settings: FetchSettings = DEFAULT_SETTINGS,
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
        if date is None or (interval and interval[0] <= dt.datetime.combine(date, dt.time(), dt.UTC) < interval[1]):
            names.append(remote.name)
    return names


def fetch_delivery(
    collection: Collection,
    name: str,
    home: Path,
    source: SourceArg = None,
    settings: FetchSettings = DEFAULT_SETTINGS,
) -> Path | None:
    """Fetch one delivery the source lists (a local one is read in place) and return its path;
    None when there is nothing new under that name (its version was processed before, or it is
    no longer listed). Raises FetchError when it cannot be fetched; a partial download resumes."""
    spec = dataclasses.replace(source_for(collection, source), pattern=glob.escape(name))
    fetched = fetch_new(collection.id, spec, home, settings)
    if fetched.failures:
        raise FetchError("; ".join(reason for _, reason in fetched.failures))
    return next((d.path for d in fetched.deliveries if d.name == name), None)
