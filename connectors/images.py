"""Read the pictures a delivery's records point at: a member of the delivery archive, or a URL.

A member is read from the archive in place (never extracted); a reference that would leave the
archive (a `..` step, a drive) is refused; Windows separators are read as `/`. A URL goes through the
fetch layer (connectors.sources.HttpSource: retries with back-off, resumed downloads), at most
`per_host` requests per second to each host, asking with the validators of the version the lake
holds (If-None-Match / If-Modified-Since) so that an unchanged picture is not downloaded again.
Anything that cannot be read raises ImageUnavailable with the reason: the record is still
published, the picture is reported.
"""

from __future__ import annotations

import os
import posixpath
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from connectors.progress import NO_PROGRESS, Progress
from connectors.sources import (
    DEFAULT_SETTINGS,
    FetchError,
    FetchSettings,
    HttpSource,
    Pace,
    RemoteFile,
    Validators,
    _http_session,
)

URL_SCHEMES = ("http://", "https://")


@dataclass(frozen=True)
class Picture:
    """What a reference gave: its bytes, or None when the server said the version asked about
    with `known` is current (HTTP 304); a URL's validators (None for an archive member)."""

    data: bytes | None
    validators: Validators | None = None


class ImageUnavailable(Exception):
    """A picture reference that cannot be read; the message is the reason."""


class ArchiveEscape(ImageUnavailable):
    """A reference to a file outside the delivery archive: hostile input, not a missing file."""


def member_path(ref: str, beside: str = "") -> str:
    """The archive member a reference names, relative to the folder of the XML member `beside`,
    or to the archive's root when it starts with a separator (ILPO writes `\\2019\\06\\317809.jpg`:
    Windows separators, from the root of its picture store). ArchiveEscape when it would leave
    the archive (a `..` step, a drive)."""
    path = ref.replace("\\", "/")
    if (len(path) > 1 and path[1] == ":") or ".." in path.split("/"):
        raise ArchiveEscape(f"{ref}: escapes the delivery archive")
    if path.startswith("/"):
        return posixpath.normpath(path.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(beside), path))


class ImageReader:
    """Reads pictures of one delivery (`delivery`: the file as fetched; a zip or tar holds them);
    `per_host`: requests per second at most to each host (the source's image_rate_limit)."""

    def __init__(
        self,
        delivery: Path,
        stack: ExitStack,
        scratch: Path,
        max_bytes: int,
        per_host: float | None,
        settings: FetchSettings = DEFAULT_SETTINGS,
        progress: Progress = NO_PROGRESS,
    ):
        self.delivery, self.scratch, self.max_bytes = delivery, scratch, max_bytes
        self.settings, self.per_host, self.progress = settings, per_host, progress
        self._zip: zipfile.ZipFile | None = None
        self._tar: tarfile.TarFile | None = None
        self._tar_names: dict[str, tarfile.TarInfo] = {}
        self._paces: dict[str, Pace] = {}
        self._stack = stack
        self._http: HttpSource | None = None
        if zipfile.is_zipfile(delivery):
            self._zip = stack.enter_context(zipfile.ZipFile(delivery))
        elif tarfile.is_tarfile(delivery):
            self._tar = stack.enter_context(tarfile.open(delivery, "r:*"))  # noqa: SIM115 (closed by the stack)
            self._tar_names = {info.name: info for info in self._tar.getmembers() if info.isfile()}

    def read(self, ref: str, beside: str = "", known: Validators | None = None) -> Picture:
        """The picture `ref` names; `beside`: the archive member the record came from (a file
        name is looked up next to it, then from the archive's root); `known`: for a URL, the
        validators of the version already stored."""
        if ref.lower().startswith(URL_SCHEMES):
            return self._fetch(ref, known)
        inner = beside.split("!", 1)[1] if "!" in beside else ""
        if self._zip is None and self._tar is None:
            raise ImageUnavailable(f"{ref}: the delivery {self.delivery.name} is no archive holding it")
        for name in dict.fromkeys([member_path(ref, inner), member_path(ref)]):
            try:
                data = self._member(name)
            except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError) as exc:
                raise ImageUnavailable(f"{ref}: corrupt archive member: {exc}") from None
            if data is not None:
                if len(data) > self.max_bytes:
                    raise ImageUnavailable(f"{ref}: more than {self.max_bytes} bytes")
                return Picture(data)
        raise ImageUnavailable(f"{ref}: not in the delivery {self.delivery.name}")

    def _member(self, name: str) -> bytes | None:
        """The first max_bytes + 1 bytes of an archive member, None when there is none of that name."""
        if self._zip is not None:
            try:
                info = self._zip.getinfo(name)
            except KeyError:
                return None
            with self._zip.open(info) as member:
                return member.read(self.max_bytes + 1)
        info_tar = self._tar_names.get(name)
        stream = None if self._tar is None or info_tar is None else self._tar.extractfile(info_tar)
        if stream is None:
            return None
        with stream:
            return stream.read(self.max_bytes + 1)

    def _fetch(self, url: str, known: Validators | None) -> Picture:
        host = urlsplit(url).netloc.lower()
        pace = self._paces.setdefault(host, Pace(self.per_host))
        if self._http is None:
            session = self._stack.enter_context(_http_session(self.settings, self.progress))
            self._http = HttpSource(session, url, "*", self.settings, pace, self.progress)
        self._http.pace = pace
        with _part_file(self.scratch) as part:
            try:
                validators = self._http.download(
                    RemoteFile(posixpath.basename(urlsplit(url).path) or host, url), part, known=known
                )
            except FetchError as exc:
                raise ImageUnavailable(str(exc)) from None
            if validators is None:
                return Picture(None, known)
            if part.stat().st_size > self.max_bytes:
                raise ImageUnavailable(f"{url}: more than {self.max_bytes} bytes")
            return Picture(part.read_bytes(), validators)


@contextmanager
def _part_file(folder: Path) -> Iterator[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(suffix=".part", dir=folder)
    path = Path(name)
    os.close(fd)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)
