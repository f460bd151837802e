"""Fetch a collection's new deliveries into <home>/incoming/<collection>/ and remember them.

fetch_new() lists the collection's source (connectors.sources), skips each file the state
(connectors.state) holds in the same version, and downloads the others to `<name>.part`,
renamed into place only once complete and checked. A delivery is identified by name, size and
the sha256 of its bytes, so a file listed again with the same bytes is not a new delivery. A
local source is read in place. mark_processed() records what the pipeline made of a delivery.

HTTP (requests + urllib3 Retry): 5xx/429, connection errors and timeouts are retried with
exponential back-off; a body cut off mid-file resumes from the `.part` with Range/If-Range (a
200 answer means the server ignored the Range, and the download restarts from zero); a file
already fetched is asked for with If-None-Match/If-Modified-Since when the listing cannot tell
whether it changed, and 304 means nothing new. FTP resumes with REST, SFTP by seeking. A
download that still fails keeps its `.part` and resumes on the next run.
"""

from __future__ import annotations

import ftplib
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import paramiko
import requests
import urllib3
from tqdm import tqdm

from connectors.files import HashingReader
from connectors.home import HomeLayout
from connectors.sources import (
    FetchError,
    FetchSettings,
    Pace,
    RemoteFile,
    SourceSpec,
    ftp_connection,
    http_session,
    list_ftp,
    list_http,
    list_local,
    list_sftp,
    one_line,
    sftp_connection,
)
from connectors.state import FINAL_STATUSES, CollectionState, DeliveryRecord, PartialRecord, open_state, utc_now

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


@dataclass(frozen=True)
class Validators:
    """HTTP validators of one version of a file (both None for FTP and SFTP)."""

    etag: str | None = None
    last_modified: str | None = None


Started = Callable[[Validators], None]


class _Interrupted(Exception):
    """The body stopped before its end; the `.part` holds what arrived."""


class _Transport(Protocol):
    in_place: bool  # a local source: deliveries are read where they are
    asks_if_changed: bool  # the server answers conditional requests

    def files(self) -> list[RemoteFile]: ...

    def download(
        self, remote: RemoteFile, part: Path, resume: Validators | None, known: Validators | None, started: Started
    ) -> Validators | None: ...


# --- downloads -----------------------------------------------------------------------------


@contextmanager
def _sink(part: Path, offset: int, total: int | None, label: str) -> Iterator[Callable[[bytes], None]]:
    """Append to (or start) a `.part` file, with a progress bar when stderr is a terminal."""
    with (
        open(part, "ab" if offset else "wb") as fh,
        tqdm(
            total=total,
            initial=offset,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=label,
            leave=False,
            disable=not sys.stderr.isatty(),
        ) as bar,
    ):

        def write(chunk: bytes) -> None:
            fh.write(chunk)
            bar.update(len(chunk))

        yield write
        fh.flush()
        os.fsync(fh.fileno())


def _if_range(version: Validators) -> str | None:
    """If-Range takes a strong ETag or a date; with neither, a partial file cannot be resumed safely."""
    if version.etag and not version.etag.startswith("W/"):
        return version.etag
    return version.last_modified


def _range_total(response: requests.Response, offset: int) -> int | None:
    """The full size from `Content-Range: bytes offset-(total-1)/total`, if it says exactly that."""
    match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", response.headers.get("Content-Range", "").strip())
    if match and int(match[1]) == offset and int(match[2]) == int(match[3]) - 1:
        return int(match[3])
    return None


def _content_length(response: requests.Response) -> int | None:
    try:
        return int(response.headers["Content-Length"])
    except (KeyError, ValueError):
        return None


def _stream(response: requests.Response, part: Path, offset: int, total: int | None, label: str) -> None:
    """Write the raw body (never content-decoded: a .gz stays a .gz) after `offset` bytes of `part`."""
    written = offset
    chunks = response.raw.stream(CHUNK, decode_content=False)
    with _sink(part, offset, total, label) as write:
        while True:
            try:
                chunk = next(chunks, None)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise _Interrupted(f"interrupted after {written} bytes: {one_line(exc)}") from None
            if chunk is None:
                break
            write(chunk)
            written += len(chunk)
    if total is not None and written != total:
        raise _Interrupted(f"got {written} of {total} bytes")


def download_http(
    session: requests.Session,
    url: str,
    part: Path,
    settings: FetchSettings,
    resume: Validators | None = None,
    known: Validators | None = None,
    started: Started = lambda version: None,
) -> Validators | None:
    """Download `url` into `part`; return the file's validators, or None for 304 Not Modified.

    resume: the validators `part` was started with (it is then continued with Range/If-Range).
    known: the validators of the version we already have (sent as If-None-Match/-Modified-Since).
    started: called with the validators when a download starts from zero, before any byte is
    written, so the caller can record what the `.part` will hold.
    """
    label = part.name.removesuffix(".part")
    problem = ""
    for attempt in range(settings.resume_attempts):
        if attempt:
            time.sleep(settings.backoff_factor * 2 ** (attempt - 1))
        if_range = None if resume is None else _if_range(resume)
        offset = part.stat().st_size if if_range and part.is_file() else 0
        headers = {"Accept-Encoding": "identity"}
        if offset:
            headers.update({"Range": f"bytes={offset}-", "If-Range": if_range})
        elif known is not None:
            headers.update(
                {k: v for k, v in (("If-None-Match", known.etag), ("If-Modified-Since", known.last_modified)) if v}
            )
        try:
            response = session.get(url, headers=headers, stream=True, timeout=settings.timeout)
        except requests.RequestException as exc:  # urllib3 has already retried
            raise FetchError(f"{url}: {one_line(exc)}") from None
        with response:
            status = response.status_code
            if status == 304 and not offset and known is not None:
                return None
            total = _range_total(response, offset) if status == 206 and offset else None  # the rest, as asked
            if status == 200:  # the whole file: a first request, or a server that ignored the Range
                offset, total = 0, _content_length(response)
                resume = Validators(response.headers.get("ETag"), response.headers.get("Last-Modified"))
                started(resume)
            elif total is None:
                if status not in (206, 416) or not offset:
                    raise FetchError(f"{url}: HTTP {status} {response.reason}")
                problem = (
                    f"HTTP {status} with Content-Range {response.headers.get('Content-Range')!r} for bytes={offset}-"
                )
                part.unlink()  # a range we cannot use: start again from zero
                resume = None
                continue
            try:
                _stream(response, part, offset, total, label)
            except _Interrupted as exc:
                problem = str(exc)
                continue
            return resume
    raise FetchError(f"{url}: {problem} ({settings.resume_attempts} attempts; the partial download is kept)")


class _Local:
    in_place = True
    asks_if_changed = False

    def __init__(self, folder: Path, pattern: str):
        self.folder, self.pattern = folder, pattern

    def files(self) -> list[RemoteFile]:
        return list_local(self.folder, self.pattern)


class _Http:
    in_place = False
    asks_if_changed = True

    def __init__(self, session: requests.Session, url: str, pattern: str, settings: FetchSettings):
        self.session, self.url, self.pattern, self.settings = session, url, pattern, settings

    def files(self) -> list[RemoteFile]:
        return list_http(self.session, self.url, self.pattern, self.settings)

    def download(self, remote, part, resume, known, started):
        return download_http(self.session, remote.url, part, self.settings, resume, known, started)


class _Ftp:
    in_place = False
    asks_if_changed = False

    def __init__(self, ftp: ftplib.FTP, directory: str, pattern: str):
        self.ftp, self.directory, self.pattern = ftp, directory, pattern

    def files(self) -> list[RemoteFile]:
        return list_ftp(self.ftp, self.directory, self.pattern)

    def download(self, remote, part, resume, known, started):
        offset = part.stat().st_size if resume is not None and part.is_file() else 0
        if not offset:
            started(Validators())
        try:
            with _sink(part, offset, remote.size, remote.name) as write:
                self.ftp.retrbinary(f"RETR {remote.url}", write, CHUNK, rest=offset or None)
        except ftplib.all_errors as exc:
            raise FetchError(f"{remote.url}: {one_line(exc)} (the partial download is kept)") from None
        return Validators()


class _Sftp:
    in_place = False
    asks_if_changed = False

    def __init__(self, sftp: paramiko.SFTPClient, directory: str, pattern: str):
        self.sftp, self.directory, self.pattern = sftp, directory, pattern

    def files(self) -> list[RemoteFile]:
        return list_sftp(self.sftp, self.directory, self.pattern)

    def download(self, remote, part, resume, known, started):
        offset = part.stat().st_size if resume is not None and part.is_file() else 0
        if not offset:
            started(Validators())
        try:
            with self.sftp.open(remote.url, "rb") as src, _sink(part, offset, remote.size, remote.name) as write:
                src.seek(offset)
                if remote.size:
                    src.prefetch(remote.size)
                while chunk := src.read(CHUNK):
                    write(chunk)
        except (OSError, paramiko.SSHException) as exc:
            raise FetchError(f"{remote.url}: {one_line(exc)} (the partial download is kept)") from None
        return Validators()


class _Paced:
    """A transport whose listings and downloads keep the source's rate limit (Pace)."""

    def __init__(self, transport: _Transport, pace: Pace):
        self.transport, self.pace = transport, pace
        self.in_place, self.asks_if_changed = transport.in_place, transport.asks_if_changed

    def files(self) -> list[RemoteFile]:
        self.pace.wait()
        return self.transport.files()

    def download(self, remote, part, resume, known, started):
        self.pace.wait()
        return self.transport.download(remote, part, resume, known, started)


@contextmanager
def open_transport(source: SourceSpec, settings: FetchSettings) -> Iterator[_Transport]:
    """The source's transport; a remote one keeps the source's rate_limit."""
    location = source.resolved()
    pace = Pace(source.rate_limit)
    if source.kind == "local":
        yield _Local(Path(location), source.pattern)
    elif source.kind == "https":
        with http_session(settings) as session:
            yield _Paced(_Http(session, location, source.pattern, settings), pace)
    elif source.kind == "ftp":
        with ftp_connection(location, settings) as (ftp, directory):
            yield _Paced(_Ftp(ftp, directory, source.pattern), pace)
    elif source.kind == "sftp":
        with sftp_connection(location, settings) as (sftp, directory):
            yield _Paced(_Sftp(sftp, directory, source.pattern), pace)
    else:
        raise ValueError(f"unknown source kind {source.kind!r}")


# --- what is new ---------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    with open(path, "rb") as raw:
        reader = HashingReader(raw)
        reader.drain()
        return reader.hexdigest()


def is_changed(remote: RemoteFile, entry: DeliveryRecord | None) -> bool | None:
    """Whether the listing shows a version other than the one fetched; None if it cannot tell."""
    if entry is None or (entry.status == "fetched" and not Path(entry.path).is_file()):
        return True
    known = [
        (listed, recorded)
        for listed, recorded in (
            (remote.size, entry.size),
            (remote.modified, entry.modified),
            (remote.sha256, entry.sha256),
        )
        if listed is not None and recorded is not None
    ]
    return any(listed != recorded for listed, recorded in known) if known else None


def _fetch(
    transport: _Transport,
    remote: RemoteFile,
    entry: DeliveryRecord | None,
    state: CollectionState,
    folder: Path,
    conditional: bool,
) -> None:
    """Fetch one file and record it; a file whose bytes we already have only updates its entry."""
    name = remote.name
    if transport.in_place:
        path, version = Path(remote.url), Validators()
    else:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.part"
        partial = state.partials.get(name)
        resumable = (
            partial is not None
            and path.is_file()
            and (partial.url, partial.size, partial.modified) == (remote.url, remote.size, remote.modified)
        )
        if not resumable:
            path.unlink(missing_ok=True)

        def started(v: Validators) -> None:
            state.partials[name] = PartialRecord(
                remote.url, remote.size, remote.modified, v.etag, v.last_modified, utc_now()
            )
            state.save()

        version = transport.download(
            remote,
            path,
            Validators(partial.etag, partial.last_modified) if resumable else None,
            Validators(entry.etag, entry.last_modified) if conditional else None,
            started,
        )
        if version is None:  # 304 Not Modified: the version we have is current
            if state.partials.pop(name, None):
                path.unlink(missing_ok=True)
                state.save()
            return
    size, sha = path.stat().st_size, sha256_file(path)
    problem = None
    if remote.size is not None and size != remote.size:
        problem = f"got {size} bytes, the listing says {remote.size}"
    elif remote.sha256 is not None and sha != remote.sha256:
        problem = f"sha256 {sha} differs from the listing's {remote.sha256}"
    if problem:
        if not transport.in_place:
            path.unlink()
            state.partials.pop(name, None)
            state.save()
        raise FetchError(f"{remote.url}: {problem}")
    final = path if transport.in_place else folder / name
    if entry is not None and entry.sha256 == sha:  # the same bytes, under a new date or validator
        if not transport.in_place:
            if Path(entry.path).is_file():
                path.unlink()
            else:
                os.replace(path, final)
                entry.path = str(final)
        entry.size, entry.modified, entry.etag, entry.last_modified = (
            size,
            remote.modified,
            version.etag,
            version.last_modified,
        )
    else:
        if not transport.in_place:
            os.replace(path, final)
        state.deliveries[name] = DeliveryRecord(
            name,
            remote.url,
            size,
            sha,
            str(final),
            utc_now(),
            modified=remote.modified,
            etag=version.etag,
            last_modified=version.last_modified,
        )
    if not transport.in_place:  # a download is worth a checkpoint; a local file is hashed again
        state.partials.pop(name, None)
        state.save()


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
    home: str | os.PathLike,
    settings: FetchSettings = FetchSettings(),
    force: bool = False,
) -> FetchResult:
    """Fetch what is new at the source; return every delivery fetched and not yet processed.

    Raises FetchError when the source cannot be listed. A file that cannot be fetched is
    reported in `failures` and resumed on the next run. force: fetch every listed file again as
    if none had been fetched before (`ipetl run --force`).
    """
    folder = HomeLayout(Path(home)).incoming(collection)
    failures = []
    with open_state(home, collection) as state, open_transport(source, settings) as transport:
        for remote in transport.files():
            entry = None if force else state.deliveries.get(remote.name)
            changed = is_changed(remote, entry)
            if changed is False:
                continue
            if changed is None and not (transport.asks_if_changed and (entry.etag or entry.last_modified)):
                continue  # the listing cannot tell and the server cannot be asked: a name is fetched once
            try:
                _fetch(transport, remote, entry, state, folder, conditional=changed is None)
            except FetchError as exc:
                failures.append((remote.name, str(exc)))
        state.save()
        pending = [
            _local(collection, record)
            for _, record in sorted(state.deliveries.items())
            if record.status == "fetched" and Path(record.path).is_file()
        ]
    return FetchResult(pending, failures)


def count_attempt(home: str | os.PathLike, collection: str, name: str, change: int) -> int:
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
    home: str | os.PathLike,
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
