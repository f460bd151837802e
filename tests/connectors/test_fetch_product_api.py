"""The `product-api` source (USPTO Open Data Portal bulk-datasets API) against two local servers
on 127.0.0.1: an API that answers GET /api/v1/datasets/products/<productIdentifier> with the
documented JSON (bulkDataProductBag -> productFileBag {count, fileDataBag}, the file records from
`offset`, at most `limit`) and redirects (302) a file's fileDownloadURI to a signed location on
a second server (the CDN), which serves real sample files. The API refuses requests without the
right X-API-KEY.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import pytest

from connectors.fetch import fetch_new
from connectors.sources import FetchError, ProductApiSource
from connectors.state import state_path
from ipetl.collection import Source
from ipetl.registry import COLLECTIONS
from tests.conftest import MIRROR
from tests.connectors.test_fetch_http import FAST, Replying, Site, served_by, serving, sha

KEY = "test-key-0123456789"
SAMPLE = (MIRROR / "ustm" / "apc170216-sample.xml").read_bytes()


def zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


DAILY = zipped("apc170216.xml", SAMPLE)
ANNUAL = zipped("apc18840407-20161231-01.xml", SAMPLE)
PRODUCTS = {"TRTYRAP": {"apc18840407-20161231-01.zip": ANNUAL}, "TRTDXFAP": {"apc170216.zip": DAILY}}


class Api:
    """The API's products, the CDN it redirects to, and every request it got (path, key)."""

    def __init__(self, cdn: Site, products: dict[str, dict[str, bytes]]):
        self.cdn, self.products = cdn, products
        self.requests: list[tuple[str, str | None]] = []
        self.url = ""

    def product(self, product: str, offset: int, limit: int) -> dict:
        files = self.products[product]
        page = dict(sorted(files.items())[offset : offset + limit])
        return {
            "count": 1,
            "bulkDataProductBag": [
                {
                    "productIdentifier": product,
                    "productFileBag": {
                        "count": len(files),  # all of them; the bag holds the page
                        "fileDataBag": [
                            {
                                "fileName": name,
                                "fileSize": len(data),
                                "fileDataFromDate": "2017-02-16",
                                "fileDataToDate": "2017-02-16",
                                "fileTypeText": "Data",
                                "fileReleaseDate": "2017-02-17 00:30:00",
                                "fileDownloadURI": f"{self.url}/api/v1/datasets/products/files/{product}/{name}",
                                "fileLastModifiedDateTime": "2017-02-17 00:30:00",
                            }
                            for name, data in page.items()
                        ],
                    },
                }
            ],
        }


def api_handler(api: Api):
    class Handler(Replying):
        def do_GET(self):
            api.requests.append((self.path, self.headers.get("X-API-KEY")))
            if self.headers.get("X-API-KEY") != KEY:
                return self.reply(403, b'{"message": "Forbidden"}', {"Content-Type": "application/json"})
            asked = urlsplit(self.path)
            parts = asked.path.removeprefix("/api/v1/datasets/products/").split("/")
            if parts[0] == "files" and len(parts) == 3 and parts[2] in api.products.get(parts[1], {}):
                return self.reply(302, b"", {"Location": f"{api.cdn.url}/bulk/{parts[2]}?signature=opaque"})
            if len(parts) == 1 and parts[0] in api.products:
                query = parse_qs(asked.query)
                offset, limit = int(query.get("offset", ["0"])[0]), int(query.get("limit", ["25"])[0])
                body = json.dumps(api.product(parts[0], offset, limit)).encode()
                return self.reply(200, body, {"Content-Type": "application/json"})
            return self.reply(404, b"{}", {"Content-Type": "application/json"})

    return Handler


@contextmanager
def serving_api(products: dict[str, dict[str, bytes]] = PRODUCTS) -> Iterator[Api]:
    files = {name: data for listed in products.values() for name, data in listed.items()}
    with serving(Site(files)) as cdn:
        api = Api(cdn, products)
        with served_by(api_handler(api)) as api.url:
            yield api


@pytest.fixture
def api():
    with serving_api() as served:
        yield served


def source(api: Api) -> Source:
    return Source("product-api", f"{api.url}/api/v1/datasets/products", "apc*", products=("TRTYRAP", "TRTDXFAP"))


def test_both_products_are_listed_and_each_file_fetched_through_its_redirect(api, home, monkeypatch):
    monkeypatch.setenv("IPETL_USPTO_API_KEY", KEY)
    result = fetch_new("ustm", source(api), home, FAST)
    fetched = {d.name: d for d in result.deliveries}
    assert sorted(fetched) == ["apc170216.zip", "apc18840407-20161231-01.zip"]
    assert fetched["apc170216.zip"].sha256 == sha(DAILY) and fetched["apc170216.zip"].size == len(DAILY)
    assert fetched["apc18840407-20161231-01.zip"].path.read_bytes() == ANNUAL
    # the listing asks for the files; the file URIs are the listing's (the state keeps them)
    assert [path for path, _ in api.requests] == [
        "/api/v1/datasets/products/TRTYRAP?includeFiles=true&offset=0&limit=100",
        "/api/v1/datasets/products/TRTDXFAP?includeFiles=true&offset=0&limit=100",
        "/api/v1/datasets/products/files/TRTDXFAP/apc170216.zip",
        "/api/v1/datasets/products/files/TRTYRAP/apc18840407-20161231-01.zip",
    ]
    assert fetched["apc170216.zip"].url == f"{api.url}/api/v1/datasets/products/files/TRTDXFAP/apc170216.zip"
    # the key goes to the API on every request, never to the host the API redirects to
    assert {key for _, key in api.requests} == {KEY}
    assert [r["path"] for r in api.cdn.requests] == [
        "/bulk/apc170216.zip?signature=opaque",
        "/bulk/apc18840407-20161231-01.zip?signature=opaque",
    ]
    assert all("X-API-KEY" not in {k.upper() for k in r["headers"]} for r in api.cdn.requests)
    assert KEY not in state_path(home, "ustm").read_text()


def test_a_second_fetch_lists_and_downloads_nothing_new(api, home, monkeypatch):
    monkeypatch.setenv("IPETL_USPTO_API_KEY", KEY)
    fetch_new("ustm", source(api), home, FAST)
    api.requests.clear()
    api.cdn.requests.clear()
    fetch_new("ustm", source(api), home, FAST)
    assert [path for path, _ in api.requests] == [
        "/api/v1/datasets/products/TRTYRAP?includeFiles=true&offset=0&limit=100",
        "/api/v1/datasets/products/TRTDXFAP?includeFiles=true&offset=0&limit=100",
    ]
    assert api.cdn.requests == []


def test_a_refused_key_is_said_without_the_key(api, home, monkeypatch):
    monkeypatch.setenv("IPETL_USPTO_API_KEY", "not-the-key")
    with pytest.raises(FetchError) as error:
        fetch_new("ustm", source(api), home, FAST)
    assert error.value.reason == "the API key was refused (HTTP 403 Forbidden)"
    assert "not-the-key" not in str(error.value)


def test_without_a_key_nothing_is_asked(api, home, monkeypatch):
    monkeypatch.delenv("IPETL_USPTO_API_KEY", raising=False)
    monkeypatch.setenv("NETRC", str(home / "no-netrc"))
    with pytest.raises(FetchError) as error:
        fetch_new("ustm", source(api), home, FAST)
    assert str(error.value) == (
        "127.0.0.1: no API key: set IPETL_USPTO_API_KEY (or the password of the collection's Airflow Connection)"
    )
    assert api.requests == []


def test_the_key_may_come_from_netrc_as_an_airflow_connection_writes_it(api, home, monkeypatch):
    netrc = home / "netrc"
    netrc.write_text(f'machine 127.0.0.1 password "{KEY}"\n')
    netrc.chmod(0o600)
    monkeypatch.delenv("IPETL_USPTO_API_KEY", raising=False)
    monkeypatch.setenv("NETRC", str(netrc))
    assert len(fetch_new("ustm", source(api), home, FAST).deliveries) == 2
    assert {key for _, key in api.requests} == {KEY}
    # the session does not add the netrc entry as Basic auth on top of the key
    assert all("Authorization" not in r["headers"] for r in api.cdn.requests)


def ipetl(*args, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ipetl.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "IPETL_CATALOG": "", "IPETL_DATA": "", **env},
        timeout=300,
    )


def test_ipetl_run_takes_ustm_from_the_api(api, tmp_path):
    assert COLLECTIONS["ustm"].source.products == ("TRTYRAP", "TRTDXFAP")  # the URL replaces the endpoint only
    url = f"{api.url}/api/v1/datasets/products"
    args = ("--quiet", "run", "--collection", "ustm", "--source", url, "--home", tmp_path / "home")
    summary = tmp_path / "summary.json"
    proc = ipetl(*args, "--summary-json", summary, env={"IPETL_USPTO_API_KEY": KEY})
    assert proc.returncode == 0, proc.stderr
    [ustm] = json.loads(summary.read_text())["collections"]
    # the sample holds one <case-file> (serial-number 60000001), served in both files; its
    # status-code 626 is "Delete" in the ustm status table (WIPO's map): a tombstone each
    assert (ustm["files"], ustm["read"], ustm["deleted"], ustm["status"]) == (2, 2, 2, "published")
    assert KEY not in proc.stderr + proc.stdout


def test_ipetl_run_without_a_key_is_one_line_and_exit_3(api, tmp_path):
    url = f"{api.url}/api/v1/datasets/products"
    proc = ipetl(
        "--quiet", "run", "--collection", "ustm", "--source", url, "--home", tmp_path, env={"IPETL_USPTO_API_KEY": ""}
    )
    assert proc.returncode == 3
    assert proc.stderr.splitlines() == [
        "ipetl: ustm: 127.0.0.1: no API key: set IPETL_USPTO_API_KEY "
        "(or the password of the collection's Airflow Connection)"
    ]


def test_a_product_is_listed_page_after_page(home, monkeypatch):
    monkeypatch.setenv("IPETL_USPTO_API_KEY", KEY)
    monkeypatch.setattr(ProductApiSource, "page_size", 2)
    days = {f"apc1702{day}.zip": zipped(f"apc1702{day}.xml", SAMPLE) for day in ("13", "14", "15", "16", "17")}
    with serving_api({"TRTDXFAP": days}) as api:
        daily = Source("product-api", f"{api.url}/api/v1/datasets/products", "apc*", products=("TRTDXFAP",))
        fetched = fetch_new("ustm", daily, home, FAST).deliveries
        # five files, two a page: offsets 0, 2 and 4 (the last page is short)
        assert [path for path, _ in api.requests if "includeFiles" in path] == [
            f"/api/v1/datasets/products/TRTDXFAP?includeFiles=true&offset={n}&limit=2" for n in (0, 2, 4)
        ]
    assert sorted(d.name for d in fetched) == sorted(days)


def test_only_the_newest_annual_backfile_is_fetched(home, monkeypatch):
    monkeypatch.setenv("IPETL_USPTO_API_KEY", KEY)
    annual = dict.fromkeys(("apc18840407-20151231-01.zip", "apc18840407-20161231-01.zip"), ANNUAL)
    annual["apc18840407-20161231-02.zip"] = DAILY
    with serving_api({"TRTYRAP": annual, "TRTDXFAP": {"apc170216.zip": DAILY}}) as api:
        declared = COLLECTIONS["ustm"].source
        moved = dataclasses.replace(declared, location=f"{api.url}/api/v1/datasets/products")
        fetched = fetch_new("ustm", moved, home, FAST).deliveries
    # the backfile up to 2016-12-31 (both parts) replaces the one up to 2015-12-31; the daily file stays
    assert sorted(d.name for d in fetched) == [
        "apc170216.zip",
        "apc18840407-20161231-01.zip",
        "apc18840407-20161231-02.zip",
    ]
