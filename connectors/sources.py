"""Discovery: which delivery files a collection's source holds right now.

Four kinds of source (ipetl.collection.Source): `local` (a directory), `https` (a bulk listing:
an Apache/nginx autoindex page or a JSON list of {name, size, ...}), `ftp` and `sftp` (a
directory on a server). Each lists the files whose names match the source's glob pattern,
with what the listing says about them (size, modification time, a declared sha256), so the
fetch layer can tell a known delivery from a new one before downloading anything.

Listings are untrusted: an entry that is not a plain file name (`..`, a `/`, a hidden name, a
link to another host or directory) is dropped, so nothing a server lists can make us write
outside the download folder. Credentials never live in the registry: FTP and SFTP take the
login and password for the host from ~/.netrc (or $NETRC), as requests does for HTTPS; SFTP
also tries the SSH agent and ~/.ssh keys, and accepts only servers whose host key is already
in ~/.ssh/known_hosts or $IPETL_KNOWN_HOSTS.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import ftplib
import json
import netrc
import os
import posixpath
import stat
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Protocol
from urllib.parse import SplitResult, quote, unquote, urljoin, urlsplit, urlunsplit

import paramiko
import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

LISTING_MAX_BYTES = 32 * 1024 * 1024
RETRY_STATUSES = frozenset({429, *range(500, 600)})
USER_AGENT = "ipetl/0.1 (bulk register download)"


class FetchError(Exception):
    """A source cannot be listed or a file cannot be fetched; the message is the one-line reason."""


class SourceSpec(Protocol):
    """What fetching needs of ipetl.collection.Source (connectors do not import ipetl)."""

    kind: str
    pattern: str
    rate_limit: float | None  # requests per second at most; None: no limit

    def resolved(self) -> str: ...


@dataclass(frozen=True)
class RemoteFile:
    """One listed file. `url`: the http(s) URL, the path on the FTP/SFTP server, or the local path."""

    name: str
    url: str
    size: int | None = None
    modified: str | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class FetchSettings:
    """Network patience. HTTP back-off sleeps backoff_factor * 2**(n-1) seconds before retry n."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 5
    backoff_factor: float = 1.0
    resume_attempts: int = 3

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)


class Pace:
    """At most `per_second` requests per second (None or 0: no limit): wait() returns when the
    next request may go, sleeping if the previous one went less than 1/per_second s ago."""

    def __init__(self, per_second: float | None):
        self.interval = 1.0 / per_second if per_second else 0.0
        self._next = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if now < self._next:
            time.sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def plain_name(name: str) -> bool:
    """A file name that cannot point anywhere but into the folder it is joined to (nor smuggle
    a line break into an FTP command)."""
    return bool(name) and not name.startswith(".") and "/" not in name and "\\" not in name and name.isprintable()


def _matching(files: Iterable[RemoteFile], pattern: str) -> list[RemoteFile]:
    """Plain names matching the glob, first listing of each name, in name (delivery) order."""
    seen: dict[str, RemoteFile] = {}
    for f in files:
        if plain_name(f.name) and fnmatch.fnmatchcase(f.name, pattern):
            seen.setdefault(f.name, f)
    return [seen[name] for name in sorted(seen)]


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat()


# --- local ---------------------------------------------------------------------------------


def list_local(folder: Path, pattern: str) -> list[RemoteFile]:
    """Files in a directory (a missing one holds nothing: most mirror folders are optional)."""
    if not folder.is_dir():
        return []
    files = []
    for path in folder.iterdir():
        if path.is_file():
            info = path.stat()
            files.append(RemoteFile(path.name, str(path), info.st_size, _iso(info.st_mtime)))
    return _matching(files, pattern)


# --- HTTP(S) -------------------------------------------------------------------------------


def http_session(settings: FetchSettings) -> requests.Session:
    """A session whose every GET retries 5xx/429, connection errors and read timeouts with back-off."""
    retry = Retry(
        total=settings.retries,
        connect=settings.retries,
        read=settings.retries,
        status=settings.retries,
        backoff_factor=settings.backoff_factor,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        href = dict(attrs).get("href") if tag == "a" else None
        if href:
            self.hrefs.append(href)


def parse_html_index(html: str, base_url: str) -> list[tuple[str, str]]:
    """(name, url) of each file an autoindex page links to in its own directory.

    Sort links (`?C=N;O=D`), the parent, subdirectories and links elsewhere are left out.
    """
    parser = _Links()
    parser.feed(html)
    parser.close()
    base = urlsplit(base_url)
    directory = base.path[: base.path.rfind("/") + 1]
    found = []
    for href in parser.hrefs:
        link = urlsplit(urljoin(base_url, href))
        if (
            link.query
            or (link.scheme, link.netloc) != (base.scheme, base.netloc)
            or not link.path.startswith(directory)
        ):
            continue
        name = unquote(link.path[len(directory) :])
        if plain_name(name):
            found.append((name, urlunsplit(link._replace(fragment=""))))
    return found


def parse_json_listing(entries, base_url: str) -> list[RemoteFile]:
    """A JSON listing: a list of {"name", "size"?, "modified"?, "sha256"?, "url"?} objects."""
    if not isinstance(entries, list):
        raise FetchError(f"listing {base_url}: JSON listing is not a list")
    files = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise FetchError(f"listing {base_url}: JSON entry without a name: {json.dumps(entry)[:80]}")
        name, link, size, modified, sha256 = (entry.get(k) for k in ("name", "url", "size", "modified", "sha256"))
        url = urljoin(base_url, link if isinstance(link, str) else quote(name))
        if not plain_name(name) or urlsplit(url).scheme not in ("http", "https"):
            continue
        files.append(
            RemoteFile(
                name,
                url,
                size if isinstance(size, int) and not isinstance(size, bool) else None,
                None if modified is None else str(modified),
                sha256.lower() if isinstance(sha256, str) else None,
            )
        )
    return files


def list_http(session: requests.Session, url: str, pattern: str, settings: FetchSettings) -> list[RemoteFile]:
    """The files an HTML index page or a JSON listing at `url` names, filtered by the glob."""
    try:
        with session.get(url, timeout=settings.timeout, stream=True) as response:
            if response.status_code != 200:
                raise FetchError(f"listing {url}: HTTP {response.status_code} {response.reason}")
            body = bytearray()
            for chunk in response.iter_content(1 << 16):
                body += chunk
                if len(body) > LISTING_MAX_BYTES:
                    raise FetchError(f"listing {url}: larger than {LISTING_MAX_BYTES} bytes")
            base = response.url
            content_type = response.headers.get("Content-Type", "")
            charset = response.encoding if "charset=" in content_type.lower() else "utf-8"
    except requests.RequestException as exc:
        raise FetchError(f"listing {url}: {one_line(exc)}") from None
    if "json" in content_type or bytes(body).lstrip()[:1] == b"[":
        try:
            entries = json.loads(body)
        except ValueError as exc:
            raise FetchError(f"listing {url}: not valid JSON: {one_line(exc)}") from None
        return _matching(parse_json_listing(entries, base), pattern)
    try:
        html = body.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        html = body.decode("utf-8", errors="replace")
    links = parse_html_index(html, base)
    return _matching((RemoteFile(name, link) for name, link in links), pattern)


# --- FTP and SFTP --------------------------------------------------------------------------


def _credentials(url: SplitResult) -> tuple[str | None, str | None]:
    """(login, password) for the URL's host: login from the URL or ~/.netrc, password from ~/.netrc."""
    try:
        entry = netrc.netrc(os.environ.get("NETRC")).authenticators(url.hostname or "")
    except (OSError, netrc.NetrcParseError):
        entry = None
    login = unquote(url.username) if url.username else (entry[0] if entry else None)
    return login or None, (entry[2] if entry else None) or None


@contextmanager
def ftp_connection(url: str, settings: FetchSettings) -> Iterator[tuple[ftplib.FTP, str]]:
    """A logged-in FTP session (anonymous unless ~/.netrc says otherwise) and the directory."""
    parts = urlsplit(url)
    login, password = _credentials(parts)
    ftp = ftplib.FTP()
    try:
        ftp.connect(parts.hostname or "", parts.port or 21, timeout=settings.connect_timeout)
        ftp.sock.settimeout(settings.read_timeout)
        ftp.timeout = settings.read_timeout  # data connections
        ftp.login(login or "anonymous", password or "anonymous@")
    except ftplib.all_errors as exc:
        ftp.close()
        raise FetchError(f"{parts.scheme}://{parts.hostname}: {one_line(exc)}") from None
    try:
        yield ftp, unquote(parts.path) or "/"
    finally:
        try:
            ftp.quit()
        except ftplib.all_errors:
            ftp.close()


def _mlsd_time(value: str | None) -> str | None:
    """MLSD `modify` (YYYYMMDDHHMMSS[.sss], UTC) as ISO 8601; unparseable values kept verbatim."""
    if value is None:
        return None
    try:
        return dt.datetime.strptime(value[:14], "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC).isoformat()
    except ValueError:
        return value


def list_ftp(ftp: ftplib.FTP, directory: str, pattern: str) -> list[RemoteFile]:
    """Files in an FTP directory: MLSD (type, size, time) or, on servers without it, NLST + SIZE."""
    try:
        try:
            files = [
                RemoteFile(
                    posixpath.basename(name),
                    posixpath.join(directory, posixpath.basename(name)),
                    int(facts["size"]) if facts.get("size", "").isdigit() else None,
                    _mlsd_time(facts.get("modify")),
                )
                for name, facts in ftp.mlsd(directory, facts=["type", "size", "modify"])
                if facts.get("type", "").lower() == "file"
            ]
            return _matching(files, pattern)
        except ftplib.error_perm as exc:
            if str(exc)[:3] not in ("500", "501", "502"):  # anything but "MLSD not supported"
                raise
        listing = ftp.nlst(directory)
        ftp.voidcmd("TYPE I")  # NLST left ASCII mode, where servers may refuse SIZE
        files = []
        for listed in listing:
            name = posixpath.basename(listed.rstrip("/"))
            if not (plain_name(name) and fnmatch.fnmatchcase(name, pattern)):
                continue
            path = posixpath.join(directory, name)
            try:
                size = ftp.size(path)
            except ftplib.error_perm:  # a directory, or a file SIZE cannot tell
                continue
            files.append(RemoteFile(name, path, size))
        return _matching(files, pattern)
    except ftplib.all_errors as exc:
        raise FetchError(f"listing {directory}: {one_line(exc)}") from None


@contextmanager
def sftp_connection(url: str, settings: FetchSettings) -> Iterator[tuple[paramiko.SFTPClient, str]]:
    """An SFTP session to a server whose host key we already know, and the directory."""
    parts = urlsplit(url)
    login, password = _credentials(parts)
    client = paramiko.SSHClient()
    client.load_system_host_keys()
    if os.environ.get("IPETL_KNOWN_HOSTS"):
        client.load_host_keys(os.environ["IPETL_KNOWN_HOSTS"])
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(
            parts.hostname or "",
            port=parts.port or 22,
            username=login,
            password=password,
            timeout=settings.connect_timeout,
            banner_timeout=settings.connect_timeout,
            auth_timeout=settings.connect_timeout,
        )
        sftp = client.open_sftp()
        sftp.get_channel().settimeout(settings.read_timeout)
    except (paramiko.SSHException, OSError) as exc:
        client.close()
        raise FetchError(f"sftp://{parts.hostname}: {one_line(exc)}") from None
    try:
        yield sftp, unquote(parts.path) or "."
    finally:
        client.close()


def list_sftp(sftp: paramiko.SFTPClient, directory: str, pattern: str) -> list[RemoteFile]:
    """Regular files in an SFTP directory, with size and modification time."""
    try:
        entries = sftp.listdir_attr(directory)
    except (OSError, paramiko.SSHException) as exc:
        raise FetchError(f"listing {directory}: {one_line(exc)}") from None
    files = [
        RemoteFile(
            e.filename,
            posixpath.join(directory, e.filename),
            e.st_size,
            None if e.st_mtime is None else _iso(e.st_mtime),
        )
        for e in entries
        if e.st_mode is not None and stat.S_ISREG(e.st_mode)
    ]
    return _matching(files, pattern)
