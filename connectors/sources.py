"""Sources: where a collection's deliveries come from, one transport per kind of source.

Five kinds of source (ipetl.collection.Source): `local` (a directory), `https` (a bulk listing:
an Apache/nginx autoindex page or a JSON list of {name, size, ...}), `product-api` (the USPTO
Open Data Portal's bulk-datasets products, listed and downloaded with an API key: see
ProductApiSource), `ftp` and `sftp` (a directory on a server). Each transport lists the files
whose names match the source's glob pattern, with what the listing says about them (size,
modification time, a declared sha256), so the fetch layer (connectors.fetch) can tell a known
delivery from a new one before downloading anything; a remote transport also downloads a
listed file into a `.part` file, resuming one an earlier run left. A local folder is read in
place and downloads nothing.

Listings are untrusted: an entry that is not a plain file name (`..`, a `/`, a hidden name, a
link to another host or directory) is dropped, so nothing a server lists can make us write
outside the download folder. Credentials never live in the registry: FTP and SFTP take the
login and password for the host from ~/.netrc (or $NETRC), as requests does for HTTPS; SFTP
also tries the SSH agent and ~/.ssh keys, and accepts only servers whose host key is already
in ~/.ssh/known_hosts or $IPETL_KNOWN_HOSTS.

HTTP (requests + urllib3 Retry): 5xx/429, connection errors and timeouts are retried with
exponential back-off; a body cut off mid-file resumes from the `.part` with Range/If-Range (a
200 answer means the server ignored the Range, and the download restarts from zero); a file
already fetched is asked for with If-None-Match/If-Modified-Since when the listing cannot tell
whether it changed, and 304 means nothing new. FTP resumes with REST, SFTP by seeking. A
download that still fails keeps its `.part` and resumes on the next run.
"""

from __future__ import annotations

import datetime as dt
import errno
import fnmatch
import ftplib
import json
import netrc
import os
import posixpath
import re
import stat
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self
from urllib.parse import SplitResult, quote, unquote, urljoin, urlsplit, urlunsplit

import paramiko
import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import ConnectionPool
from urllib3.response import BaseHTTPResponse
from urllib3.util import Retry

from connectors.progress import NO_PROGRESS, Progress

LISTING_MAX_BYTES = 32 * 1024 * 1024
RETRY_STATUSES = frozenset({429, *range(500, 600)})
USER_AGENT = "ipetl/0.1 (bulk register download)"
CHUNK = 1 << 16


class FetchError(Exception):
    """A source cannot be listed or a file cannot be fetched; the message is the one-line reason
    (with the URL), `reason` the same in a few words (without it: "cannot resolve the name")."""

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason or message


class SourceSpec(Protocol):
    """What fetching needs of ipetl.collection.Source (connectors do not import ipetl)."""

    @property
    def kind(self) -> str: ...
    @property
    def pattern(self) -> str: ...
    @property
    def rate_limit(self) -> float | None:
        """Requests per second at most; None: no limit."""

    @property
    def products(self) -> tuple[str, ...]:
        """A `product-api` source's product identifiers."""

    @property
    def series(self) -> str | None:
        """A regex whose `series` group names the set a file belongs to (see newest_series)."""

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


DEFAULT_SETTINGS = FetchSettings()


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


def newest_series(files: list[RemoteFile], series: str | None) -> list[RemoteFile]:
    """`files` without those of a superseded set: a file whose name matches `series` belongs to
    the set its `series` group names, and only the greatest set is kept (a new annual backfile
    replaces the previous one); files the pattern does not match are all kept."""
    if not series:
        return files
    found = {f.name: m["series"] for f in files if (m := re.match(series, f.name))}
    newest = max(found.values(), default=None)
    return [f for f in files if found.get(f.name, newest) == newest]


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat()


@dataclass(frozen=True)
class Validators:
    """HTTP validators of one version of a file (both None for FTP and SFTP)."""

    etag: str | None = None
    last_modified: str | None = None


Started = Callable[[Validators], None]


def _not_told(version: Validators) -> None:
    """The default `started`: nobody needs to know what a `.part` holds."""


@contextmanager
def _sink(
    part: Path, offset: int, total: int | None, label: str, progress: Progress
) -> Iterator[Callable[[bytes], None]]:
    """Append to (or start) a `.part` file, telling `progress` of the bytes written."""
    with open(part, "ab" if offset else "wb") as fh, progress.task(label, total, "B", offset) as advance:

        def write(chunk: bytes) -> None:
            fh.write(chunk)
            advance(len(chunk))

        yield write
        fh.flush()
        os.fsync(fh.fileno())


def _resume_offset(part: Path, resume: Validators | None, started: Started) -> int:
    """Where a download without validators (FTP, SFTP) goes on: after the bytes of a `.part` it
    may resume, else at zero, which `started` is told of."""
    offset = part.stat().st_size if resume is not None and part.is_file() else 0
    if not offset:
        started(Validators())
    return offset


class RemoteSource(ABC):
    """A server's transport: lists the files and downloads one into a `.part` file, each
    request after the source's pace (its rate_limit). Subclasses read the server."""

    asks_if_changed = False  # the server answers conditional requests

    def __init__(self, pattern: str, pace: Pace, progress: Progress = NO_PROGRESS):
        self.pattern, self.pace, self.progress = pattern, pace, progress

    def files(self) -> list[RemoteFile]:
        self.pace.wait()
        return _matching(self._list(), self.pattern)

    def download(
        self,
        remote: RemoteFile,
        part: Path,
        resume: Validators | None = None,
        known: Validators | None = None,
        started: Started = _not_told,
    ) -> Validators | None:
        """Download `remote` into `part`; return the file's validators, or None when the server
        says the version we have is current (HTTP 304).

        resume: the validators `part` was started with (it is then continued after its bytes).
        known: the validators of the version we already have (HTTP: If-None-Match/-Modified-Since).
        started: called with the validators when a download starts from zero, before any byte is
        written, so the caller can record what the `.part` will hold.
        """
        self.pace.wait()
        return self._download(remote, part, resume, known, started)

    @abstractmethod
    def _list(self) -> Iterable[RemoteFile]:
        """The files the server lists, before the pattern and the plain-name check."""

    @abstractmethod
    def _download(
        self, remote: RemoteFile, part: Path, resume: Validators | None, known: Validators | None, started: Started
    ) -> Validators | None: ...


# --- local ---------------------------------------------------------------------------------


class LocalFolder:
    """A directory read in place: its files are the deliveries, nothing is downloaded."""

    asks_if_changed = False

    def __init__(self, folder: Path, pattern: str):
        self.folder, self.pattern = folder, pattern

    def files(self) -> list[RemoteFile]:
        """Files in the directory (a missing one holds nothing: most mirror folders are optional)."""
        if not self.folder.is_dir():
            return []
        files = []
        for path in self.folder.iterdir():
            if path.is_file():
                info = path.stat()
                files.append(RemoteFile(path.name, str(path), info.st_size, _iso(info.st_mtime)))
        return _matching(files, self.pattern)


# --- HTTP(S) -------------------------------------------------------------------------------


def why(error: BaseException) -> str:
    """What went wrong with an HTTP request, in a few words (urllib3's own message chain says it
    in three hundred characters)."""
    if isinstance(error, requests.RequestException) and error.args and isinstance(error.args[0], BaseException):
        error = error.args[0]  # requests wraps urllib3's error
    if isinstance(error, urllib3.exceptions.MaxRetryError) and error.reason is not None:
        error = error.reason
    cause = error.__cause__ or error.__context__
    if isinstance(error, urllib3.exceptions.NameResolutionError):
        return "cannot resolve the name (offline?)"
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, OSError) and cause.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return "network unreachable (offline?)"
        return f"cannot connect ({cause.strerror or cause})" if isinstance(cause, OSError) else "cannot connect"
    if isinstance(error, urllib3.exceptions.ConnectTimeoutError):
        return "no answer (connect timeout)"
    if isinstance(error, (urllib3.exceptions.ReadTimeoutError, requests.ReadTimeout)):
        return "stopped answering (read timeout)"
    if isinstance(error, (urllib3.exceptions.SSLError, requests.exceptions.SSLError)):
        return "TLS handshake failed"
    if isinstance(error, (urllib3.exceptions.ProtocolError, ConnectionError)):
        return "the connection broke"
    if isinstance(error, urllib3.exceptions.ResponseError):
        return one_line(error)  # "too many 503 error responses"
    return one_line(error)


class _TellingRetry(Retry):
    """urllib3's Retry, telling `progress` of each retry: why, and how long it waits first."""

    progress: Progress = NO_PROGRESS

    def new(self, **kw: Any) -> Self:
        retry = super().new(**kw)
        retry.progress = self.progress
        return retry

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        retry = super().increment(method, url, response, error, _pool, _stacktrace)  # raises when none is left
        if response is not None and response.get_redirect_location():
            return retry
        wait = retry.get_backoff_time()
        if response is not None and retry.respect_retry_after_header:
            wait = retry.get_retry_after(response) or wait
        what = why(error) if error is not None else f"HTTP {response.status if response is not None else '?'}"
        left = retry.total if isinstance(retry.total, int) else 0
        self.progress.note(
            f"{_pool.host if _pool is not None else url}: {what}; retry {len(retry.history)} of "
            f"{len(retry.history) + left} " + (f"in {wait:g} s" if wait else "at once")
        )
        return retry


def _http_session(
    settings: FetchSettings, progress: Progress = NO_PROGRESS, session: requests.Session | None = None
) -> requests.Session:
    """`session` (a new one by default) such that every GET retries 5xx/429, connection errors
    and read timeouts with back-off, telling `progress` of each retry."""
    retry = _TellingRetry(
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
    retry.progress = progress
    session = session or requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
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


def _json(body: bytes, url: str) -> object:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise FetchError(f"listing {url}: not valid JSON: {one_line(exc)}") from None


def parse_json_listing(entries: object, base_url: str) -> list[RemoteFile]:
    """A JSON listing: a list of {"name", "size"?, "modified"?, "sha256"?, "url"?} objects."""
    if not isinstance(entries, list):
        raise FetchError(f"listing {base_url}: JSON listing is not a list")
    files = []
    for entry in entries:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str):
            raise FetchError(f"listing {base_url}: JSON entry without a name: {json.dumps(entry)[:80]}")
        link, size, modified, sha256 = (entry.get(k) for k in ("url", "size", "modified", "sha256"))
        listed = _listed(name, base_url, link if isinstance(link, str) else quote(name), size, modified, sha256)
        if listed is not None:
            files.append(listed)
    return files


def _listed(
    name: str, base_url: str, link: str, size: object, modified: object, sha256: object = None
) -> RemoteFile | None:
    """A JSON listing's entry as a RemoteFile; None for a name that is not a plain file name or
    a link to another scheme than http(s). Values of the wrong type are taken as not given."""
    url = urljoin(base_url, link)
    if not plain_name(name) or urlsplit(url).scheme not in ("http", "https"):
        return None
    return RemoteFile(
        name,
        url,
        size if isinstance(size, int) and not isinstance(size, bool) else None,
        None if modified is None else str(modified),
        sha256.lower() if isinstance(sha256, str) else None,
    )


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


class _Interrupted(Exception):
    """The body stopped before its end; the `.part` holds what arrived."""


def _stream(
    response: requests.Response, part: Path, offset: int, total: int | None, label: str, progress: Progress
) -> None:
    """Write the raw body (never content-decoded: a .gz stays a .gz) after `offset` bytes of `part`."""
    written = offset
    chunks = response.raw.stream(CHUNK, decode_content=False)
    with _sink(part, offset, total, label, progress) as write:
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


class HttpSource(RemoteSource):
    """A bulk listing over HTTP(S): an HTML index page or a JSON listing at `url`."""

    asks_if_changed = True

    def __init__(
        self,
        session: requests.Session,
        url: str,
        pattern: str,
        settings: FetchSettings,
        pace: Pace,
        progress: Progress = NO_PROGRESS,
    ):
        super().__init__(pattern, pace, progress)
        self.session, self.url, self.settings = session, url, settings

    def _list(self) -> list[RemoteFile]:
        body, base, content_type, charset = self._read_listing(self.url)
        if "json" in content_type or body.lstrip()[:1] == b"[":
            return parse_json_listing(_json(body, self.url), base)
        try:
            html = body.decode(charset, errors="replace")
        except LookupError:  # a charset Python does not know
            html = body.decode("utf-8", errors="replace")
        links = parse_html_index(html, base)
        return [RemoteFile(name, link) for name, link in links]

    def _read_listing(self, url: str) -> tuple[bytes, str, str, str]:
        """GET a listing: (body, final URL, Content-Type, charset); FetchError unless HTTP 200."""
        try:
            with self.session.get(url, timeout=self.settings.timeout, stream=True) as response:
                if response.status_code != 200:
                    raise self._refused(url, response)
                body = bytearray()
                for chunk in response.iter_content(1 << 16):
                    body += chunk
                    if len(body) > LISTING_MAX_BYTES:
                        raise FetchError(f"listing {url}: larger than {LISTING_MAX_BYTES} bytes")
                content_type = response.headers.get("Content-Type", "")
                charset = (response.encoding or "utf-8") if "charset=" in content_type.lower() else "utf-8"
                return bytes(body), response.url, content_type, charset
        except requests.RequestException as exc:
            raise FetchError(f"listing {url}: {why(exc)}", why(exc)) from None

    def _refused(self, url: str, response: requests.Response) -> FetchError:
        """The error of a listing answered with another status than 200."""
        return FetchError(f"listing {url}: HTTP {response.status_code} {response.reason}")

    def _download(
        self, remote: RemoteFile, part: Path, resume: Validators | None, known: Validators | None, started: Started
    ) -> Validators | None:
        url, label = remote.url, part.name.removesuffix(".part")
        problem = ""
        for attempt in range(self.settings.resume_attempts):
            if attempt:
                wait = self.settings.backoff_factor * 2 ** (attempt - 1)
                self.progress.note(
                    f"{label}: {problem}; attempt {attempt + 1} of {self.settings.resume_attempts} in {wait:g} s"
                )
                time.sleep(wait)
            if_range = None if resume is None else _if_range(resume)
            offset = part.stat().st_size if if_range and part.is_file() else 0
            headers = {"Accept-Encoding": "identity"}
            if if_range and offset:
                headers.update({"Range": f"bytes={offset}-", "If-Range": if_range})
            elif known is not None:
                headers.update(
                    {k: v for k, v in (("If-None-Match", known.etag), ("If-Modified-Since", known.last_modified)) if v}
                )
            try:
                response = self.session.get(url, headers=headers, stream=True, timeout=self.settings.timeout)
            except requests.RequestException as exc:  # urllib3 has already retried
                raise FetchError(f"{url}: {why(exc)}", why(exc)) from None
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
                    content_range = response.headers.get("Content-Range")
                    problem = f"HTTP {status} with Content-Range {content_range!r} for bytes={offset}-"
                    part.unlink()  # a range we cannot use: start again from zero
                    resume = None
                    continue
                try:
                    _stream(response, part, offset, total, label, self.progress)
                except _Interrupted as exc:
                    problem = str(exc)
                    continue
                return resume
        raise FetchError(f"{url}: {problem} ({self.settings.resume_attempts} attempts; the partial download is kept)")


# --- a product API listing (USPTO Open Data Portal) ----------------------------------------


class _KeyedSession(requests.Session):
    """A session that sends the API key header to the API's server only: requests keeps custom
    headers on a redirect, so the key (and any Authorization) is dropped where requests would
    drop an Authorization header (another host or port: the signed download URL the API
    redirects to); ~/.netrc never adds Basic auth on top of the key."""

    def __init__(self, header: str, key: str):
        super().__init__()
        self.headers[header] = key
        self.key_header = header
        self.auth = lambda request: request  # no netrc Basic auth on the first request either

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        if self.should_strip_auth(response.request.url or "", prepared_request.url or ""):  # type: ignore[no-untyped-call]
            prepared_request.headers.pop(self.key_header, None)
            prepared_request.headers.pop("Authorization", None)


@dataclass(frozen=True)
class ProductPage:
    """One page of a product's files: those kept, how many entries the page held, and the
    product's file count (productFileBag.count) when the answer gives it."""

    files: list[RemoteFile]
    entries: int
    total: int | None


def parse_product_listing(answer: object, url: str) -> ProductPage:
    """The files of a bulk-datasets product answer:
    {"bulkDataProductBag": [{"productFileBag": {"count", "fileDataBag": [{"fileName", "fileSize",
    "fileLastModifiedDateTime", "fileDownloadURI", ...}]}}]}; a link to another scheme than
    http(s), or a name that is not a plain file name, is dropped."""
    products = answer.get("bulkDataProductBag") if isinstance(answer, dict) else None
    if not isinstance(products, list):
        raise FetchError(f"listing {url}: no bulkDataProductBag in the answer")
    files, entries, total = [], 0, None
    for product in products:
        bag = product.get("productFileBag") if isinstance(product, dict) else None
        bag = bag if isinstance(bag, dict) else {}
        count, listed_entries = bag.get("count"), bag.get("fileDataBag")
        if isinstance(count, int) and not isinstance(count, bool):
            total = (total or 0) + count
        for entry in listed_entries if isinstance(listed_entries, list) else ():
            entries += 1
            if not isinstance(entry, dict):
                continue
            name, link = entry.get("fileName"), entry.get("fileDownloadURI")
            modified = entry.get("fileLastModifiedDateTime") or entry.get("fileReleaseDate")
            if isinstance(name, str) and isinstance(link, str):
                listed = _listed(name, url, link, entry.get("fileSize"), modified)
                if listed is not None:
                    files.append(listed)
    return ProductPage(files, entries, total)


class ProductApiSource(HttpSource):
    """The USPTO Open Data Portal's bulk-datasets API: `url` is the products endpoint
    (https://api.uspto.gov/api/v1/datasets/products), each product is listed with
    GET <url>/<productIdentifier>?includeFiles=true&offset=N&limit=page_size and an `X-API-KEY`
    header, page after page until productFileBag.count files are listed (or a page comes back
    short), and a file's
    fileDownloadURI (<url>/files/<productIdentifier>/<fileName>) answers 302 with the file's
    signed location, fetched by HttpSource's download (resume, conditional requests) without
    the key. No fileDataFromDate/fileDataToDate filter is sent: the fetch state, not a date
    window, tells a new file from a known one.

    Shapes as documented by the portal (data.uspto.gov/apis/bulk-data/product) and as clients
    read them: pyUSPTO's models/bulk_data.py (FileData: fileName, fileSize, fileDataFromDate,
    fileDataToDate, fileReleaseDate, fileDownloadURI, fileLastModifiedDateTime), and the
    product ids TRTDXFAP (daily trademark applications, apcYYMMDD.zip), TRTYRAP (the annual
    backfile, apc18840407-YYYYMMDD-NN.zip) and PTGRXML (weekly patent grants, ipgYYMMDD.zip);
    pyUSPTO's clients/bulk_data.py for the offset and limit of a product's file records.
    """

    page_size = 100

    def __init__(
        self,
        session: requests.Session,
        url: str,
        products: tuple[str, ...],
        pattern: str,
        settings: FetchSettings,
        pace: Pace,
        progress: Progress = NO_PROGRESS,
    ):
        super().__init__(session, url, pattern, settings, pace, progress)
        self.products = products

    def _list(self) -> list[RemoteFile]:
        files: list[RemoteFile] = []
        first = True
        for product in self.products:
            offset = 0
            while True:
                if not first:
                    self.pace.wait()  # files() waited for the first request
                first = False
                url = (
                    f"{self.url.rstrip('/')}/{quote(product)}?includeFiles=true&offset={offset}&limit={self.page_size}"
                )
                body, base, _, _ = self._read_listing(url)
                page = parse_product_listing(_json(body, url), base)
                files += page.files
                offset += page.entries
                if page.entries < self.page_size or (page.total is not None and offset >= page.total):
                    break
        return files

    def _refused(self, url: str, response: requests.Response) -> FetchError:
        if response.status_code in (401, 403):
            said = f"the API key was refused (HTTP {response.status_code} {response.reason})"
            return FetchError(f"listing {url}: {said}", said)
        return super()._refused(url, response)


def _api_key(location: str) -> str:
    """The API key for the API's host: the password ~/.netrc (or $NETRC, which an Airflow
    Connection `ipetl_<collection>` writes) gives for it, else $IPETL_USPTO_API_KEY."""
    parts = urlsplit(location)
    key = _credentials(parts)[1] or os.environ.get("IPETL_USPTO_API_KEY", "").strip()
    if not key:
        said = "no API key: set IPETL_USPTO_API_KEY (or the password of the collection's Airflow Connection)"
        raise FetchError(f"{parts.hostname}: {said}", said)
    return key


# --- FTP -----------------------------------------------------------------------------------------------


def _credentials(url: SplitResult) -> tuple[str | None, str | None]:
    """(login, password) for the URL's host: login from the URL or ~/.netrc, password from ~/.netrc."""
    try:
        entry = netrc.netrc(os.environ.get("NETRC")).authenticators(url.hostname or "")
    except (OSError, netrc.NetrcParseError):
        entry = None
    login = unquote(url.username) if url.username else (entry[0] if entry else None)
    return login or None, (entry[2] if entry else None) or None


@contextmanager
def _ftp_connection(url: str, settings: FetchSettings) -> Iterator[tuple[ftplib.FTP, str]]:
    """A logged-in FTP session (anonymous unless ~/.netrc says otherwise) and the directory."""
    parts = urlsplit(url)
    login, password = _credentials(parts)
    ftp = ftplib.FTP()
    try:
        ftp.connect(parts.hostname or "", parts.port or 21, timeout=settings.connect_timeout)
        assert ftp.sock is not None  # connect() opened it
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


class FtpSource(RemoteSource):
    """A directory on an FTP server: MLSD (type, size, time) or, on servers without it, NLST + SIZE."""

    def __init__(self, ftp: ftplib.FTP, directory: str, pattern: str, pace: Pace, progress: Progress = NO_PROGRESS):
        super().__init__(pattern, pace, progress)
        self.ftp, self.directory = ftp, directory

    def _list(self) -> list[RemoteFile]:
        ftp, directory = self.ftp, self.directory
        try:
            try:
                return [
                    RemoteFile(
                        posixpath.basename(name),
                        posixpath.join(directory, posixpath.basename(name)),
                        int(facts["size"]) if facts.get("size", "").isdigit() else None,
                        _mlsd_time(facts.get("modify")),
                    )
                    for name, facts in ftp.mlsd(directory, facts=["type", "size", "modify"])
                    if facts.get("type", "").lower() == "file"
                ]
            except ftplib.error_perm as exc:
                if str(exc)[:3] not in ("500", "501", "502"):  # anything but "MLSD not supported"
                    raise
            listing = ftp.nlst(directory)
            ftp.voidcmd("TYPE I")  # NLST left ASCII mode, where servers may refuse SIZE
            files = []
            for listed in listing:
                name = posixpath.basename(listed.rstrip("/"))
                if not (plain_name(name) and fnmatch.fnmatchcase(name, self.pattern)):
                    continue  # SIZE only for candidates
                path = posixpath.join(directory, name)
                try:
                    size = ftp.size(path)
                except ftplib.error_perm:  # a directory, or a file SIZE cannot tell
                    continue
                files.append(RemoteFile(name, path, size))
            return files
        except ftplib.all_errors as exc:
            raise FetchError(f"listing {directory}: {one_line(exc)}") from None

    def _download(
        self, remote: RemoteFile, part: Path, resume: Validators | None, known: Validators | None, started: Started
    ) -> Validators:
        offset = _resume_offset(part, resume, started)
        try:
            with _sink(part, offset, remote.size, remote.name, self.progress) as write:
                self.ftp.retrbinary(f"RETR {remote.url}", write, CHUNK, rest=offset or None)
        except ftplib.all_errors as exc:
            raise FetchError(f"{remote.url}: {one_line(exc)} (the partial download is kept)") from None
        return Validators()


# --- SFTP ----------------------------------------------------------------------------------


@contextmanager
def _sftp_connection(url: str, settings: FetchSettings) -> Iterator[tuple[paramiko.SFTPClient, str]]:
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
        channel = sftp.get_channel()
        assert channel is not None  # open_sftp() opened it
        channel.settimeout(settings.read_timeout)
    except (paramiko.SSHException, OSError) as exc:
        client.close()
        raise FetchError(f"sftp://{parts.hostname}: {one_line(exc)}") from None
    try:
        yield sftp, unquote(parts.path) or "."
    finally:
        client.close()


class SftpSource(RemoteSource):
    """A directory on an SFTP server: its regular files, with size and modification time."""

    def __init__(
        self, sftp: paramiko.SFTPClient, directory: str, pattern: str, pace: Pace, progress: Progress = NO_PROGRESS
    ):
        super().__init__(pattern, pace, progress)
        self.sftp, self.directory = sftp, directory

    def _list(self) -> list[RemoteFile]:
        try:
            entries = self.sftp.listdir_attr(self.directory)
        except (OSError, paramiko.SSHException) as exc:
            raise FetchError(f"listing {self.directory}: {one_line(exc)}") from None
        return [
            RemoteFile(
                e.filename,
                posixpath.join(self.directory, e.filename),
                e.st_size,
                None if e.st_mtime is None else _iso(e.st_mtime),
            )
            for e in entries
            if e.st_mode is not None and stat.S_ISREG(e.st_mode)
        ]

    def _download(
        self, remote: RemoteFile, part: Path, resume: Validators | None, known: Validators | None, started: Started
    ) -> Validators:
        offset = _resume_offset(part, resume, started)
        try:
            with (
                self.sftp.open(remote.url, "rb") as src,
                _sink(part, offset, remote.size, remote.name, self.progress) as write,
            ):
                src.seek(offset)
                if remote.size:
                    src.prefetch(remote.size)
                while chunk := src.read(CHUNK):
                    write(chunk)
        except (OSError, paramiko.SSHException) as exc:
            raise FetchError(f"{remote.url}: {one_line(exc)} (the partial download is kept)") from None
        return Validators()


# --- any source ----------------------------------------------------------------------------

Transport = LocalFolder | RemoteSource


@contextmanager
def open_transport(
    source: SourceSpec, settings: FetchSettings, progress: Progress = NO_PROGRESS
) -> Iterator[Transport]:
    """The source's transport, connected; a remote one keeps the source's rate_limit and tells
    `progress` of its downloads and retries."""
    location = source.resolved()
    pace = Pace(source.rate_limit)
    if source.kind == "local":
        yield LocalFolder(Path(location), source.pattern)
    elif source.kind == "https":
        with _http_session(settings, progress) as session:
            yield HttpSource(session, location, source.pattern, settings, pace, progress)
    elif source.kind == "product-api":
        key = _api_key(location)
        with _http_session(settings, progress, _KeyedSession("X-API-KEY", key)) as session:
            yield ProductApiSource(session, location, source.products, source.pattern, settings, pace, progress)
    elif source.kind == "ftp":
        with _ftp_connection(location, settings) as (ftp, directory):
            yield FtpSource(ftp, directory, source.pattern, pace, progress)
    elif source.kind == "sftp":
        with _sftp_connection(location, settings) as (sftp, directory):
            yield SftpSource(sftp, directory, source.pattern, pace, progress)
    else:
        raise ValueError(f"unknown source kind {source.kind!r}")
