"""A collection's deliveries at its source: list the ones a run should take, fetch them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import glob
import re
from pathlib import Path

# open_transport and is_changed: the listing and the is-it-new rule fetch_new itself uses, so that
# list_deliveries() names exactly the files fetch_new would fetch or hand on.
from connectors.fetch import FetchResult, fetch_new, is_changed, open_transport
from connectors.sources import FetchError, FetchSettings
from connectors.state import FINAL_STATUSES, open_state
from ipetl.pipeline.settings import SourceArg, source_for
from ipetl.registry import Collection

DEFAULT_FETCH_SETTINGS = FetchSettings()


def fetch_deliveries(collection: Collection, home: Path, source: SourceArg = None, force: bool = False) -> FetchResult:
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
    source: SourceArg = None,
    interval: tuple[dt.datetime, dt.datetime] | None = None,
    settings: FetchSettings = DEFAULT_FETCH_SETTINGS,
) -> list[str]:
    """Names of the deliveries a run should fetch and process, in name order: the files at the
    source that fetch_new would fetch or hand on (new, changed, or fetched and not yet processed).

    interval (start, end), timezone-aware: keep a delivery whose name carries a date only if that
    day begins (00:00 UTC) within [start, end), so each dated delivery belongs to exactly one run
    of a schedule. A name without a date belongs to no interval and is kept whenever it is new.
    Raises FetchError when the source cannot be listed.
    """
    with open_state(home, collection.id) as state:  # not held while listing: fetches of the collection go on
        known = dict(state.deliveries)
    with open_transport(source_for(collection, source), settings) as transport:
        listed, can_ask = transport.files(), transport.asks_if_changed
    names = []
    for remote in listed:
        entry = known.get(remote.name)
        if entry is not None and entry.status in FINAL_STATUSES:
            changed = is_changed(remote, entry)
            if changed is False or (changed is None and not (can_ask and (entry.etag or entry.last_modified))):
                continue  # processed, and the same version (the test fetch_new makes)
        date = delivery_date(collection, remote.name) if interval else None
        if date is None or (interval and interval[0] <= dt.datetime.combine(date, dt.time(), dt.UTC) < interval[1]):
            names.append(remote.name)
    return names


def fetch_delivery(
    collection: Collection,
    name: str,
    home: Path,
    source: SourceArg = None,
    settings: FetchSettings = DEFAULT_FETCH_SETTINGS,
) -> Path | None:
    """Fetch one delivery the source lists (a local one is read in place) and return its path;
    None when there is nothing new under that name (its version was processed before, or it is
    no longer listed). Raises FetchError when it cannot be fetched; a partial download resumes."""
    spec = dataclasses.replace(source_for(collection, source), pattern=glob.escape(name))
    fetched = fetch_new(collection.id, spec, home, settings)
    if fetched.failures:
        raise FetchError("; ".join(reason for _, reason in fetched.failures))
    return next((d.path for d in fetched.deliveries if d.name == name), None)
