"""What a collection's source has delivered, remembered across runs: <home>/state/<collection>.json.

One JSON file per collection, replaced atomically (temporary file, fsync, rename), so a crash
leaves the previous state or the new one, never half of each; a lock file next to it serialises
the runs of one collection. JSON rather than SQLite: a collection has at most a few thousand
deliveries, the whole file is read and written in milliseconds, per-collection files never
contend with each other, and an operator can read or repair one with any editor. The price is
that every save rewrites the file, so callers save once per download (a checkpoint worth far
more than the write) and once per batch of local files or of marks, not once per record.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path

from filelock import FileLock

from connectors.home import HomeLayout
from connectors.sources import RemoteFile

STATE_VERSION = 1
FINAL_STATUSES = ("processed", "rejected")
_COLLECTION_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class DeliveryRecord:
    """The last complete version of one delivery file and what the pipeline made of it.

    `modified` is the time the source's listing gave; `etag` and `last_modified` are the HTTP
    validators the server sent with the file (sent back on the next run as If-None-Match and
    If-Modified-Since). `status` is `fetched` until the pipeline marks it `processed` or
    `rejected` (with `reason`). `attempts` counts readings of it that began and never ended (the
    process was killed, or died): a delivery that keeps killing its reader is set aside.
    """

    name: str
    url: str
    size: int
    sha256: str
    path: str
    fetched_at: str
    status: str = "fetched"
    reason: str | None = None
    processed_at: str | None = None
    modified: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    attempts: int = 0

    @property
    def pending(self) -> bool:
        """Fetched, its file still there, and not yet processed or rejected."""
        return self.status == "fetched" and Path(self.path).is_file()


@dataclass
class PartialRecord:
    """A download in progress: which version of the file `<name>.part` holds the beginning of.

    A later run resumes it only while the listing still shows the same url, size and time, and
    (HTTP) sends the validators as If-Range so the server restarts it if the file changed.
    """

    url: str
    size: int | None
    modified: str | None
    etag: str | None
    last_modified: str | None
    started_at: str


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


class Step(Enum):
    """What fetching a listed file takes, given what the state remembers of it."""

    HAVE = "have"  # the version fetched before: nothing to download
    FETCH = "fetch"  # new, changed, or its fetched file is gone
    ASK = "ask"  # the listing cannot tell: ask the server, with the validators of the version we have


def next_step(remote: RemoteFile, entry: DeliveryRecord | None, can_ask: bool) -> Step:
    """The rule for "is this delivery new": a listed file is fetched when the listing shows a
    version we do not have; when the listing cannot tell, the server is asked if it answers
    conditional requests and we hold validators for it, and otherwise a name is fetched once."""
    changed = is_changed(remote, entry)
    if changed:
        return Step.FETCH
    if changed is None and can_ask and entry is not None and (entry.etag or entry.last_modified):
        return Step.ASK
    return Step.HAVE


@dataclass
class CollectionState:
    path: Path
    collection: str
    deliveries: dict[str, DeliveryRecord] = field(default_factory=dict)
    partials: dict[str, PartialRecord] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, collection: str) -> CollectionState:
        if not path.exists():
            return cls(path, collection)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                path,
                collection,
                {name: DeliveryRecord(**d) for name, d in data["deliveries"].items()},
                {name: PartialRecord(**p) for name, p in data["partials"].items()},
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: unreadable state file: {exc}") from None

    def is_new(self, remote: RemoteFile, can_ask: bool) -> bool:
        """Whether fetch_new would fetch this listed file or hand it on (fetched, not yet processed)."""
        entry = self.deliveries.get(remote.name)
        return entry is None or entry.pending or next_step(remote, entry, can_ask) is not Step.HAVE

    def save(self) -> None:
        """Replace the state file atomically and durably."""
        data = {
            "version": STATE_VERSION,
            "collection": self.collection,
            "deliveries": {name: asdict(self.deliveries[name]) for name in sorted(self.deliveries)},
            "partials": {name: asdict(self.partials[name]) for name in sorted(self.partials)},
        }
        scratch = self.path.with_name(self.path.name + ".tmp")
        with open(scratch, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(scratch, self.path)
        folder = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def state_path(home: str | os.PathLike[str], collection: str) -> Path:
    if not _COLLECTION_ID.fullmatch(collection):
        raise ValueError(f"not a collection id: {collection!r}")
    return HomeLayout(Path(home)).state_file(collection)


def read_state(home: str | os.PathLike[str], collection: str) -> CollectionState:
    """A snapshot of the collection's state, read under the lock and not held after."""
    with open_state(home, collection) as state:
        return state


@contextmanager
def open_state(home: str | os.PathLike[str], collection: str) -> Iterator[CollectionState]:
    """The collection's state, held under an exclusive lock until the block ends; call save()."""
    path = state_path(home, collection)
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(path.with_suffix(".lock")):
        yield CollectionState.load(path, collection)
