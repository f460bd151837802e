"""Fetch a collection's new deliveries into <home>/incoming/<collection>/ and remember them.

fetch_new() lists the collection's source (connectors.sources), skips each file the state
(connectors.state) holds in the same version (the rule: state.next_step), and downloads the
others to `<name>.part`, renamed into place only once complete and checked. A delivery is
identified by name, size and the sha256 of its bytes, so a file listed again with the same
bytes is not a new delivery. A local source is read in place. list_new() names what fetch_new
would fetch or hand on, without fetching; mark_processed() records what the pipeline made of a
delivery.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from connectors.files import HashingReader
from connectors.home import HomeLayout
from connectors.progress import NO_PROGRESS, Progress
from connectors.sources import (
    DEFAULT_SETTINGS,
    FetchError,
    FetchSettings,
    RemoteFile,
    RemoteSource,
    SourceSpec,
    Validators,
    newest_series,
    open_transport,
)
from connectors.state import (
    FINAL_STATUSES,
    CollectionState,
    DeliveryRecord,
    PartialRecord,
    Step,
    next_step,
    open_state,
    read_state,
    utc_now,
)

CHUNK = 1 << 16


@dataclass(frozen=True)
class LocalDelivery:
    """A fetched delivery file, ready for the normalizer."""

    collection: str
    name: str
    path: Path
    size: int
    sha256: str
    url: str
    fetched_at: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class FetchResult:
    deliveries: list[LocalDelivery]  # fetched and not yet marked processed or rejected, in name order
    failures: list[tuple[str, str]] = field(default_factory=list)  # (file name, one-line reason)


def sha256_file(path: Path) -> str:
    with open(path, "rb") as raw:
        reader = HashingReader(raw)
        reader.drain()
        return reader.hexdigest()


def _checked(remote: RemoteFile, path: Path) -> tuple[int, str]:
    """(size, sha256) of the file at `path`; FetchError if the listing declared others."""
    size, sha = path.stat().st_size, sha256_file(path)
    if remote.size is not None and size != remote.size:
        raise FetchError(f"{remote.url}: got {size} bytes, the listing says {remote.size}")
    if remote.sha256 is not None and sha != remote.sha256:
        raise FetchError(f"{remote.url}: sha256 {sha} differs from the listing's {remote.sha256}")
    return size, sha


def _remember(
    state: CollectionState,
    remote: RemoteFile,
    entry: DeliveryRecord | None,
    path: Path,
    size: int,
    sha: str,
    version: Validators,
) -> None:
    """Record the version of `remote` held at `path`: the same bytes as the entry's only update
    it (a new date or validator, its status kept); other bytes are a new delivery."""
    if entry is not None and entry.sha256 == sha:
        entry.path, entry.size, entry.modified = str(path), size, remote.modified
        entry.etag, entry.last_modified = version.etag, version.last_modified
        return
    state.deliveries[remote.name] = DeliveryRecord(
        remote.name,
        remote.url,
        size,
        sha,
        str(path),
        utc_now(),
        modified=remote.modified,
        etag=version.etag,
        last_modified=version.last_modified,
    )


def _take_in_place(remote: RemoteFile, entry: DeliveryRecord | None, state: CollectionState) -> None:
    """A local file is the delivery where it lies: check and record it (the caller saves the
    state once for all of them; a local file is cheap to hash again)."""
    path = Path(remote.url)
    size, sha = _checked(remote, path)
    _remember(state, remote, entry, path, size, sha, Validators())


def _download(
    transport: RemoteSource,
    remote: RemoteFile,
    entry: DeliveryRecord | None,
    state: CollectionState,
    folder: Path,
    conditional: bool,
) -> None:
    """Download a file to `<name>.part` (resuming the `.part` an earlier run left of the same
    version), check it, move it into place and record it, saving the state at each step; bytes
    we already have are not kept twice. conditional: ask the server whether `entry` is current."""
    name = remote.name
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f"{name}.part"
    partial = state.partials.get(name)
    resume = None
    if (
        partial is not None
        and part.is_file()
        and (partial.url, partial.size, partial.modified) == (remote.url, remote.size, remote.modified)
    ):
        resume = Validators(partial.etag, partial.last_modified)
    else:
        part.unlink(missing_ok=True)

    def started(v: Validators) -> None:
        state.partials[name] = PartialRecord(
            remote.url, remote.size, remote.modified, v.etag, v.last_modified, utc_now()
        )
        state.save()

    known = Validators(entry.etag, entry.last_modified) if conditional and entry is not None else None
    version = transport.download(remote, part, resume, known, started)
    if version is None:  # 304 Not Modified: the version we have is current
        if state.partials.pop(name, None):
            part.unlink(missing_ok=True)
            state.save()
        return
    try:
        size, sha = _checked(remote, part)
    except FetchError:
        part.unlink()
        state.partials.pop(name, None)
        state.save()
        raise
    if entry is not None and entry.sha256 == sha and Path(entry.path).is_file():
        part.unlink()  # the same bytes, already in place
        final = Path(entry.path)
    else:
        final = folder / name
        os.replace(part, final)
    _remember(state, remote, entry, final, size, sha, version)
    state.partials.pop(name, None)
    state.save()  # a download is worth a checkpoint


def _local(collection: str, record: DeliveryRecord) -> LocalDelivery:
    return LocalDelivery(
        collection,
        record.name,
        Path(record.path),
        record.size,
        record.sha256,
        record.url,
        record.fetched_at,
        record.etag,
        record.last_modified,
    )


def fetch_new(
    collection: str,
    source: SourceSpec,
    home: str | os.PathLike[str],
    settings: FetchSettings = DEFAULT_SETTINGS,
    force: bool = False,
    progress: Progress = NO_PROGRESS,
) -> FetchResult:
    """Fetch what is new at the source; return every delivery fetched and not yet processed.

    Raises FetchError when the source cannot be listed. A file that cannot be fetched is
    reported in `failures` and resumed on the next run. force: fetch every listed file again as
    if none had been fetched before (`ipetl run --force`). progress: told of the bytes
    downloaded and of the retries.
    """
    folder = HomeLayout(Path(home)).incoming(collection)
    failures = []
    with open_state(home, collection) as state, open_transport(source, settings, progress) as transport:
        for remote in newest_series(transport.files(), source.series):
            entry = None if force else state.deliveries.get(remote.name)
            step = next_step(remote, entry, transport.asks_if_changed)
            if step is Step.HAVE:
                continue
            try:
                if isinstance(transport, RemoteSource):
                    _download(transport, remote, entry, state, folder, conditional=step is Step.ASK)
                else:
                    _take_in_place(remote, entry, state)
            except FetchError as exc:
                failures.append((remote.name, str(exc)))
        state.save()
        pending = [_local(collection, record) for _, record in sorted(state.deliveries.items()) if record.pending]
    return FetchResult(pending, failures)


def list_new(
    collection: str, source: SourceSpec, home: str | os.PathLike[str], settings: FetchSettings = DEFAULT_SETTINGS
) -> list[RemoteFile]:
    """The listed files fetch_new would fetch or hand on, in name order, without fetching any.

    The state is read, not held, while the source is listed: fetches of the collection go on.
    Raises FetchError when the source cannot be listed.
    """
    state = read_state(home, collection)
    with open_transport(source, settings) as transport:
        listed, can_ask = newest_series(transport.files(), source.series), transport.asks_if_changed
    return [remote for remote in listed if state.is_new(remote, can_ask)]


def count_attempt(home: str | os.PathLike[str], collection: str, name: str, change: int) -> int:
    """Add `change` to a fetched delivery's unfinished readings (+1 as one begins, -1 when it
    ended without reading the delivery, e.g. on a full disk) or reset them (change 0, when a
    reading ended); returns the count. A name not in the state (a path given directly) counts 0."""
    with open_state(home, collection) as state:
        record = state.deliveries.get(name)
        if record is None:
            return 0
        record.attempts = max(0, record.attempts + change) if change else 0
        state.save()
        return record.attempts


def mark_processed(
    home: str | os.PathLike[str],
    collection: str,
    deliveries: LocalDelivery | str | Iterable[LocalDelivery | str],
    status: str = "processed",
    reason: str | None = None,
) -> None:
    """Record what the pipeline made of fetched deliveries: `processed`, or `rejected` and why.

    Takes one delivery or many (one state write for all); deliveries are LocalDelivery or
    names. Raises ValueError, marking none, if one is unknown or was fetched again since.
    """
    if status not in FINAL_STATUSES:
        raise ValueError(f"status must be one of {FINAL_STATUSES}, not {status!r}")
    items = [deliveries] if isinstance(deliveries, (LocalDelivery, str)) else list(deliveries)
    with open_state(home, collection) as state:
        records = []
        for delivery in items:
            name = delivery if isinstance(delivery, str) else delivery.name
            record = state.deliveries.get(name)
            if record is None:
                raise ValueError(f"{collection}: no delivery {name!r} in the state")
            if isinstance(delivery, LocalDelivery) and delivery.sha256 != record.sha256:
                raise ValueError(f"{collection}: {name} was fetched again since (now sha256 {record.sha256})")
            records.append(record)
        now = utc_now()
        for record in records:
            record.status, record.reason, record.processed_at = status, reason, now
        state.save()
