"""Unpack a delivery archive (.zip, .tar, .tar.gz, .gz) safely, for sources that need it.

The normalizer streams archives without unpacking them (connectors.files); this is for the
rest. Archives are hostile until proven otherwise: a member may not land outside the target
directory (absolute names, `..`, drive letters), links are never created (a symbolic link is
refused, a hard link to an earlier member becomes a copy, one to anything else is refused),
special files are refused, and the bytes actually written are counted against a cap, whatever
the headers claim, so a decompression bomb stops at the cap. Members are written to a scratch
directory that becomes the target only when every member is out: a refused or corrupt archive
leaves nothing behind.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import IO

from connectors.sources import one_line
from connectors.xml import DeliveryError

CHUNK = 1 << 16


class _Budget:
    def __init__(self, max_bytes: int):
        self.left = max_bytes
        self.max_bytes = max_bytes

    def spend(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise DeliveryError(f"decompressed size exceeds {self.max_bytes} bytes (decompression bomb?)")


def _member_path(root: Path, name: str) -> Path:
    """Where a member goes, or DeliveryError if its name points anywhere but below root."""
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name) or ".." in parts or "\0" in name:
        raise DeliveryError(f"unsafe member path {name!r}")
    clean = [p for p in parts if p not in ("", ".")]
    if not clean:
        raise DeliveryError(f"unsafe member path {name!r}")
    return root.joinpath(*clean)


def _mkdir(path: Path, name: str) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise DeliveryError(f"conflicting member {name!r}") from None


def _write(src: IO[bytes], path: Path, budget: _Budget, name: str) -> None:
    _mkdir(path.parent, name)
    try:
        out = open(path, "xb")
    except (FileExistsError, NotADirectoryError):
        raise DeliveryError(f"duplicate or conflicting member {name!r}") from None
    with out:
        while chunk := src.read(CHUNK):
            budget.spend(len(chunk))
            out.write(chunk)


def _unzip(archive: Path, root: Path, budget: _Budget) -> None:
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            path = _member_path(root, info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise DeliveryError(f"symbolic link member {info.filename!r} refused")
            if info.is_dir():
                _mkdir(path, info.filename)
            else:
                with zf.open(info) as src:
                    _write(src, path, budget, info.filename)


def _untar(archive: Path, root: Path, budget: _Budget, mode: str) -> None:
    with tarfile.open(archive, mode) as tf:
        for member in tf:
            path = _member_path(root, member.name)
            if member.isdir():
                _mkdir(path, member.name)
            elif member.isfile():
                with tf.extractfile(member) as src:
                    _write(src, path, budget, member.name)
            elif member.islnk():
                linked = _member_path(root, member.linkname)
                if not linked.is_file():
                    raise DeliveryError(f"hard link member {member.name!r} -> {member.linkname!r} refused")
                with open(linked, "rb") as src:
                    _write(src, path, budget, member.name)
            elif member.issym():
                raise DeliveryError(f"symbolic link member {member.name!r} -> {member.linkname!r} refused")
            else:
                raise DeliveryError(f"special file member {member.name!r} refused")


def _gunzip(archive: Path, root: Path, budget: _Budget) -> None:
    name = archive.name[:-3] if archive.name.lower().endswith(".gz") and len(archive.name) > 3 else archive.name
    with gzip.open(archive, "rb") as src:
        _write(src, _member_path(root, name), budget, name)


def _unpack(archive: Path, root: Path, budget: _Budget) -> None:
    with open(archive, "rb") as fh:
        head = fh.read(265)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        _unzip(archive, root, budget)
    elif head.startswith(b"\x1f\x8b"):
        if tarfile.is_tarfile(archive):
            _untar(archive, root, budget, "r:gz")
        else:
            _gunzip(archive, root, budget)
    elif head[257:262] == b"ustar":
        _untar(archive, root, budget, "r:")
    else:
        raise DeliveryError("not an archive (zip, tar, tar.gz or gz)")


def safe_extract(archive: str | os.PathLike, target_dir: str | os.PathLike, max_bytes: int) -> list[Path]:
    """Unpack `archive` into `target_dir` (absent or empty); return the files written, sorted.

    Raises DeliveryError (one line) for a corrupt archive, an unsafe member, or more than
    `max_bytes` of output; the target is then left as it was.
    """
    archive, target = Path(archive), Path(target_dir)
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"{target} is not empty")
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        try:
            _unpack(archive, scratch, _Budget(max_bytes))
        except (zipfile.BadZipFile, tarfile.TarError, gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise DeliveryError(f"corrupt archive: {one_line(exc)}") from None
        except (NotImplementedError, RuntimeError) as exc:  # unsupported compression, encryption
            raise DeliveryError(f"unsupported archive: {one_line(exc)}") from None
        if target.exists():
            target.rmdir()
        os.replace(scratch, target)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return sorted(p for p in target.rglob("*") if p.is_file())
