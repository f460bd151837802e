"""The real HTTP fetch code against a local server on 127.0.0.1 that misbehaves on request.

The server serves real sample files (samples/mirror/) under /bulk/, an autoindex-style page at
/bulk/ and a JSON listing at /bulk/index.json, and records every request it gets. Expected checksums
are computed here from the sample files themselves.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import itertools
import json
import re
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote, urlsplit

import pytest

from connectors.fetch import fetch_new, mark_processed
from connectors.files import open_members
from connectors.sources import FetchSettings, HttpSource, RemoteFile, open_transport
from connectors.state import state_path
from connectors.xml import DeliveryError
from ipetl.collection import Source
from tests.conftest import MIRROR

KH = (MIRROR / "khtm" / "khtm.xml").read_bytes()
AL = (MIRROR / "altm" / "altm.xml").read_bytes()
FAST = FetchSettings(connect_timeout=2, read_timeout=2, retries=3, backoff_factor=0.001, resume_attempts=3)
LAST_MODIFIED = "Fri, 08 Mar 2024 06:30:00 GMT"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Site:
    """What the test server serves, the faults it injects (counts per file name) and what it saw."""

    def __init__(self, files: dict[str, bytes]):
        self.files = dict(files)
        self.fail: dict[str, int] = {}  # answer 503
        self.hang_up: dict[str, int] = {}  # close the connection without an answer
        self.stall: dict[str, float] = {}  # wait this long before answering (once)
        self.drop: dict[str, int] = {}  # send the headers and half the body, then close
        self.honor_range = True
        self.json_sizes = True
        self.requests: list[dict] = []  # {"path", "headers", "status", "at" (time.monotonic())}
        self.url = ""  # http://127.0.0.1:<port>, once served

    def etag(self, name: str) -> str:
        return f'"{sha(self.files[name])[:16]}"'

    def file_requests(self, name: str) -> list[dict]:
        return [r for r in self.requests if r["path"] == f"/bulk/{quote(name)}"]


class Replying(BaseHTTPRequestHandler):
    """A quiet HTTP/1.1 handler that answers with reply()."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status: int, body: bytes, headers: dict | None = None):
        self.send_response(status)
        for key, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


def handler_for(site: Site):
    class Handler(Replying):
        def send(self, status: int, body: bytes, headers: dict | None = None):
            site.requests[-1]["status"] = status
            self.reply(status, body, headers)

        def do_GET(self):
            site.requests.append(
                {"path": self.path, "headers": dict(self.headers), "status": None, "at": time.monotonic()}
            )
            path = urlsplit(self.path).path
            if path == "/bulk/":
                links = "".join(f'<a href="{quote(n)}">{n}</a>\n' for n in sorted(site.files))
                return self.send(
                    200,
                    f'<html><pre><a href="../">../</a>\n{links}</pre></html>'.encode(),
                    {"Content-Type": "text/html"},
                )
            if path == "/bulk/index.json":
                listing = [
                    {"name": n, **({"size": len(d)} if site.json_sizes else {})} for n, d in sorted(site.files.items())
                ]
                return self.send(200, json.dumps(listing).encode(), {"Content-Type": "application/json"})
            name = unquote(path.removeprefix("/bulk/"))
            if name not in site.files:
                return self.send(404, b"not found")
            if site.hang_up.get(name):
                site.hang_up[name] -= 1
                self.close_connection = True
                return
            if name in site.stall:
                time.sleep(site.stall.pop(name))
            if site.fail.get(name):
                site.fail[name] -= 1
                return self.send(503, b"busy, try later")
            data, etag = site.files[name], site.etag(name)
            validators = {"ETag": etag, "Last-Modified": LAST_MODIFIED, "Accept-Ranges": "bytes"}
            if self.headers.get("If-None-Match") == etag:
                return self.send(304, b"", validators)
            status, start = 200, 0
            asked = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
            if asked and site.honor_range and self.headers.get("If-Range") in (None, etag):
                status, start = 206, int(asked[1])
                validators["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            body = data[start:]
            if site.drop.get(name):
                site.drop[name] -= 1
                site.requests[-1]["status"] = status
                self.send_response(status)
                for key, value in {"Content-Length": str(len(body)), **validators}.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.send(status, body, validators)

    return Handler


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that gave up on a stalled answer: expected in these tests


@contextmanager
def serving(site: Site) -> Iterator[Site]:
    """Serve `site` on 127.0.0.1 (an ephemeral port, set in site.url) until the block ends."""
    with served_by(handler_for(site)) as url:
        site.url = url
        yield site


@contextmanager
def served_by(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 (an ephemeral port) with `handler`; its URL, until the block ends."""
    server = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def site():
    with serving(Site({"khtm.xml": KH, "altm.xml": AL})) as served:
        yield served


def index(site: Site, pattern: str = "*.xml") -> Source:
    return Source("https", site.url + "/bulk/", pattern)


def test_the_sources_rate_limit_spaces_the_listing_and_the_downloads(site, home):
    # 4 requests per second at most: the listing and two downloads at least 0.25 s apart
    paced = dataclasses.replace(index(site), rate_limit=4.0)
    result = fetch_new("khtm", paced, home, FAST)
    assert sorted(d.name for d in result.deliveries) == ["altm.xml", "khtm.xml"]
    assert [r["path"] for r in site.requests] == ["/bulk/", "/bulk/altm.xml", "/bulk/khtm.xml"]
    times = [r["at"] for r in site.requests]
    assert all(later - earlier >= 0.2 for earlier, later in itertools.pairwise(times)), times


def test_without_a_rate_limit_requests_are_not_spaced(site, home):
    fetch_new("khtm", index(site), home, FAST)
    times = [r["at"] for r in site.requests]
    assert len(times) == 3 and times[-1] - times[0] < 1.5, times  # 1 request/s would take 2 s


def test_two_503s_then_success_takes_three_requests(site, home):
    site.fail["khtm.xml"] = 2
    result = fetch_new("khtm", index(site, "khtm.xml"), home, FAST)
    assert [r["status"] for r in site.file_requests("khtm.xml")] == [503, 503, 200]
    assert result.failures == []
    [delivery] = result.deliveries
    assert delivery.sha256 == sha(KH)
    assert delivery.path == home / "incoming" / "khtm" / "khtm.xml"
    assert delivery.path.read_bytes() == KH


def test_a_file_that_keeps_failing_is_reported_and_the_others_are_fetched(site, home):
    site.fail["altm.xml"] = 99
    result = fetch_new("khtm", index(site), home, FAST)
    assert len(site.file_requests("altm.xml")) == 1 + FAST.retries
    assert [name for name, _ in result.failures] == ["altm.xml"]
    assert "HTTP 503" in result.failures[0][1]
    assert [d.name for d in result.deliveries] == ["khtm.xml"]


def test_connection_closed_without_an_answer_is_retried(site, home):
    site.hang_up["khtm.xml"] = 1
    result = fetch_new("khtm", index(site, "khtm.xml"), home, FAST)
    assert len(site.file_requests("khtm.xml")) == 2
    assert result.deliveries[0].sha256 == sha(KH)


def test_read_timeout_is_retried(site, home):
    site.stall["khtm.xml"] = 1.0
    settings = FetchSettings(connect_timeout=2, read_timeout=0.3, retries=2, backoff_factor=0.001)
    result = fetch_new("khtm", index(site, "khtm.xml"), home, settings)
    assert len(site.file_requests("khtm.xml")) == 2
    assert result.deliveries[0].sha256 == sha(KH)


def test_body_cut_mid_file_resumes_with_range_in_the_same_run(site, home, capsys):
    site.drop["khtm.xml"] = 1
    result = fetch_new("khtm", index(site, "khtm.xml"), home, FAST)
    first, second = site.file_requests("khtm.xml")
    half = len(KH) // 2
    assert "Range" not in first["headers"]
    assert second["headers"]["Range"] == f"bytes={half}-"
    assert second["headers"]["If-Range"] == site.etag("khtm.xml")
    assert second["status"] == 206
    [delivery] = result.deliveries
    assert delivery.sha256 == sha(KH)
    assert not (home / "incoming" / "khtm" / "khtm.xml.part").exists()
    assert capsys.readouterr().err == ""  # stderr is not a terminal: no progress bar


def test_interrupted_download_resumes_on_the_next_run(site, home):
    site.drop["khtm.xml"] = 1
    once = FetchSettings(connect_timeout=2, read_timeout=2, retries=0, backoff_factor=0.001, resume_attempts=1)
    first = fetch_new("khtm", index(site, "khtm.xml"), home, once)
    assert first.deliveries == [] and [n for n, _ in first.failures] == ["khtm.xml"]
    part = home / "incoming" / "khtm" / "khtm.xml.part"
    assert part.read_bytes() == KH[: len(KH) // 2]
    state = json.loads(state_path(home, "khtm").read_text())
    assert state["partials"]["khtm.xml"]["etag"] == site.etag("khtm.xml")

    second = fetch_new("khtm", index(site, "khtm.xml"), home, once)
    last = site.file_requests("khtm.xml")[-1]
    assert last["headers"]["Range"] == f"bytes={len(KH) // 2}-" and last["status"] == 206
    assert second.failures == []
    assert second.deliveries[0].sha256 == sha(KH)
    assert not part.exists()
    assert json.loads(state_path(home, "khtm").read_text())["partials"] == {}


def test_server_that_ignores_range_restarts_the_file_cleanly(site, home):
    site.drop["khtm.xml"] = 1
    site.honor_range = False
    result = fetch_new("khtm", index(site, "khtm.xml"), home, FAST)
    second = site.file_requests("khtm.xml")[1]
    assert second["headers"]["Range"] == f"bytes={len(KH) // 2}-" and second["status"] == 200
    assert result.deliveries[0].path.read_bytes() == KH  # not half a file followed by the whole one


def test_etag_rerun_sends_if_none_match_and_downloads_nothing(site, home):
    first = fetch_new("khtm", index(site, "khtm.xml"), home, FAST)
    mark_processed(home, "khtm", first.deliveries[0])
    fetched_at = json.loads(state_path(home, "khtm").read_text())["deliveries"]["khtm.xml"]["fetched_at"]

    second = fetch_new("khtm", index(site, "khtm.xml"), home, FAST)
    last = site.file_requests("khtm.xml")[-1]
    assert last["headers"]["If-None-Match"] == site.etag("khtm.xml")
    assert last["headers"]["If-Modified-Since"] == LAST_MODIFIED
    assert last["status"] == 304
    assert second.deliveries == [] and second.failures == []
    entry = json.loads(state_path(home, "khtm").read_text())["deliveries"]["khtm.xml"]
    assert (entry["status"], entry["fetched_at"]) == ("processed", fetched_at)

    site.files["khtm.xml"] = AL  # the office replaces the file under the same name
    third = fetch_new("khtm", index(site, "khtm.xml"), home, FAST)
    assert site.file_requests("khtm.xml")[-1]["status"] == 200
    assert [d.sha256 for d in third.deliveries] == [sha(AL)]


def test_json_listing_with_sizes_needs_no_request_for_known_files(site, home):
    source = Source("https", site.url + "/bulk/index.json", "*.xml")
    first = fetch_new("khtm", source, home, FAST)
    assert sorted(d.name for d in first.deliveries) == ["altm.xml", "khtm.xml"]
    mark_processed(home, "khtm", first.deliveries)
    seen = len(site.requests)
    assert fetch_new("khtm", source, home, FAST).deliveries == []
    assert [r["path"] for r in site.requests[seen:]] == ["/bulk/index.json"]


def test_fetched_but_unprocessed_deliveries_come_back_without_a_download(site, home):
    source = Source("https", site.url + "/bulk/index.json", "khtm.xml")
    first = fetch_new("khtm", source, home, FAST)
    again = fetch_new("khtm", source, home, FAST)
    assert again.deliveries == first.deliveries
    assert len(site.file_requests("khtm.xml")) == 1


def test_corrupt_archive_gives_one_line_and_extracts_nothing(site, home, tmp_path):
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("khtm.xml", KH)
    cut = packed.getvalue()[: len(packed.getvalue()) * 2 // 3]  # a delivery cut short at the office
    site.files["khtm-2024-10.zip"] = cut
    [delivery] = fetch_new("khtm", index(site, "*.zip"), home, FAST).deliveries
    assert delivery.sha256 == sha(cut)  # fetched faithfully: the archive itself is bad
    with pytest.raises(DeliveryError) as error:
        for member in open_members(delivery.path):
            member.stream.drain()
    assert str(error.value).startswith("corrupt archive:") and "\n" not in str(error.value)
    assert [p.name for p in tmp_path.iterdir() if p.name != "home"] == []


def test_download_http_returns_none_for_not_modified(site, tmp_path):
    url = f"{site.url}/bulk/khtm.xml"
    with open_transport(Source("https", url), FAST) as http:
        assert isinstance(http, HttpSource)
        part = tmp_path / "khtm.xml.part"
        version = http.download(RemoteFile("khtm.xml", url), part)
        assert version is not None and version.etag == site.etag("khtm.xml") and part.read_bytes() == KH
        part.unlink()
        assert http.download(RemoteFile("khtm.xml", url), part, known=version) is None
        assert not part.exists()
