"""Open a delivery file as one or more binary XML streams: plain, .gz, .zip or .tar[.gz].

Members are streamed, never extracted, so a hostile member name cannot escape anywhere; a
decompression cap refuses bombs. Every stream is wrapped so its SHA-256 is computed while the
parser reads it, without a second pass over the bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from connectors.resources import resource_error
from connectors.xml import DeliveryError

if TYPE_CHECKING:
    from typing_extensions import Buffer  # collections.abc.Buffer from Python 3.12

# Refuse to inflate a member past this many bytes per compressed byte (and past the floor).
MAX_RATIO = int(os.environ.get("IPETL_MAX_INFLATE_RATIO", "200"))
INFLATE_FLOOR = 64 * 1024 * 1024
XML_SUFFIXES = (".xml", ".txt", ".sgm", ".sgml", "")


class ByteSource(Protocol):
    """What HashingReader reads from: a file, a gzip, zip or tar member."""

    def read(self, size: int, /) -> bytes: ...


class HashingReader(io.RawIOBase):
    """Read-through wrapper that hashes and counts bytes, and enforces an inflate cap."""

    def __init__(self, raw: ByteSource, limit: int | None = None, name: str = ""):
        self._raw = raw
        self._limit = limit
        self._name = name
        self.sha256 = hashlib.sha256()
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Buffer, /) -> int:
        view = memoryview(buffer)
        try:
            data = self._raw.read(len(view))
        except (EOFError, zlib.error, gzip.BadGzipFile, zipfile.BadZipFile, tarfile.TarError) as exc:
            raise DeliveryError(f"corrupt archive: {exc}") from None
        n = len(data)
        view[:n] = data
        self.sha256.update(data)
        self.bytes_read += n
        if self._limit is not None and self.bytes_read > self._limit:
            raise DeliveryError(f"decompressed size exceeds {self._limit} bytes (decompression bomb?)")
        return n

    def drain(self) -> None:
        """Read to the end so the checksum covers the whole file."""
        while self.read(1 << 20):
            pass

    def hexdigest(self) -> str:
        return self.sha256.hexdigest()


@dataclass
class Member:
    """One XML stream of a delivery; `name` is `file` or `file!member` for archives."""

    name: str
    stream: HashingReader


def _cap(compressed: int) -> int:
    return max(INFLATE_FLOOR, compressed * MAX_RATIO)


def _is_xml_member(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return not base.startswith(".") and os.path.splitext(base)[1].lower() in XML_SUFFIXES and not name.endswith("/")


def open_members(path: str | os.PathLike[str]) -> Iterator[Member]:
    """Yield the XML streams inside a delivery. Raises DeliveryError if it cannot be opened."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        resource = resource_error(exc, str(path))
        if resource is not None:
            raise resource from exc
        raise DeliveryError(f"cannot open: {exc.strerror}") from None
    size = path.stat().st_size
    try:
        if magic.startswith(b"PK\x03\x04") or magic.startswith(b"PK\x05\x06"):
            yield from _zip_members(path)
        elif magic.startswith(b"\x1f\x8b") and tarfile.is_tarfile(path):
            yield from _tar_members(path)
        elif magic.startswith(b"\x1f\x8b"):
            with gzip.open(path, "rb") as raw:
                yield Member(path.name, HashingReader(raw, _cap(size), path.name))
        elif path.suffix.lower() == ".tar" and tarfile.is_tarfile(path):
            yield from _tar_members(path)
        else:
            with open(path, "rb") as raw:
                yield Member(path.name, HashingReader(raw, None, path.name))
    except (zipfile.BadZipFile, tarfile.TarError, gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DeliveryError(f"corrupt archive: {exc}") from None


def _zip_members(path: Path) -> Iterator[Member]:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.is_dir() or not _is_xml_member(info.filename):
                continue
            with archive.open(info) as raw:
                yield Member(
                    f"{path.name}!{info.filename}", HashingReader(raw, _cap(info.compress_size), info.filename)
                )


def _tar_members(path: Path) -> Iterator[Member]:
    size = path.stat().st_size
    with tarfile.open(path, "r:*") as archive:
        for info in archive:
            if not info.isfile() or not _is_xml_member(info.name):
                continue
            raw = archive.extractfile(info)
            if raw is None:
                continue
            with raw:
                yield Member(f"{path.name}!{info.name}", HashingReader(raw, _cap(size), info.name))
