"""Discovery: listings parsed into plain file names, hostile entries dropped, globs applied."""

from __future__ import annotations

import os
import shutil

import pytest

from connectors.sources import FetchError, LocalFolder, parse_html_index, parse_json_listing, plain_name
from tests.conftest import FIXTURES, MIRROR

INDEX_URL = "https://data.example.org/bulk/khtm/"


def test_apache_autoindex_lists_files_of_its_own_directory():
    html = (FIXTURES / "fetch" / "apache-autoindex.html").read_text()
    found = dict(parse_html_index(html, INDEX_URL))
    # The four file rows of the table; sort links (?C=...), "Parent Directory" and "2023/" are not files.
    assert sorted(found) == ["KH weekly 2024-10.zip", "README.txt", "khtm-2024-09.xml.gz", "khtm-2024-10.xml.gz"]
    # href="KH%20weekly%202024-10.zip": the name is unquoted, the URL keeps the quoting.
    assert found["KH weekly 2024-10.zip"] == "https://data.example.org/bulk/khtm/KH%20weekly%202024-10.zip"


def test_nginx_autoindex_takes_names_from_href_not_the_cut_text():
    html = (FIXTURES / "fetch" / "nginx-autoindex.html").read_text()
    names = [name for name, _ in parse_html_index(html, INDEX_URL)]
    # The last row's text is cut ("...weekly-de..>"); its href holds the whole name.
    assert names == [
        "README.txt",
        "khtm-2024-09.xml.gz",
        "khtm-2024-10.xml.gz",
        "khtm-full-register-export-2024-03-08-weekly-delta.xml.gz",
    ]


def test_hostile_index_links_are_dropped():
    html = """<a href="../secret.xml">up</a> <a href="%2e%2e%2fsecret.xml">encoded up</a>
    <a href="/etc/passwd">absolute</a> <a href="https://evil.example/bulk/khtm/x.xml">other host</a>
    <a href="sub%2fx.xml">encoded slash</a> <a href=".hidden.xml">hidden</a> <a href="ok.xml#top">ok</a>"""
    assert parse_html_index(html, INDEX_URL) == [("ok.xml", INDEX_URL + "ok.xml")]


def test_json_listing_keeps_declared_size_time_and_checksum():
    listing = [
        {"name": "khtm-2024-10.xml.gz", "size": 407552, "modified": "2024-03-08T06:30:00Z", "sha256": "AB" * 32},
        {"name": "khtm-2024-11.xml.gz", "url": "https://cdn.example.org/kh/khtm-2024-11.xml.gz"},
        {"name": "../escape.xml", "size": 1},
        {"name": "ftp.xml", "url": "ftp://data.example.org/ftp.xml"},
    ]
    first, second = parse_json_listing(listing, "https://data.example.org/bulk/khtm.json")
    assert (first.name, first.url, first.size, first.modified) == (
        "khtm-2024-10.xml.gz",
        "https://data.example.org/bulk/khtm-2024-10.xml.gz",
        407552,
        "2024-03-08T06:30:00Z",
    )
    assert first.sha256 == "ab" * 32  # compared with hashlib's lower-case hex digests
    assert (second.url, second.size) == ("https://cdn.example.org/kh/khtm-2024-11.xml.gz", None)


def test_json_listing_that_is_not_a_list_of_named_objects_is_an_error():
    with pytest.raises(FetchError, match="not a list"):
        parse_json_listing({"files": []}, "https://x.example/l.json")
    with pytest.raises(FetchError, match="without a name"):
        parse_json_listing([{"size": 3}], "https://x.example/l.json")


@pytest.mark.parametrize("name", ["", ".", "..", "../x", "a/b", "a\\b", ".hidden", "nul\0", "x.xml\r\nDELE y"])
def test_names_that_could_leave_the_folder_are_not_plain(name):
    assert not plain_name(name)


def test_local_listing_applies_the_glob_and_skips_directories(tmp_path):
    shutil.copy(MIRROR / "khtm" / "khtm.xml", tmp_path / "khtm.xml")
    (tmp_path / "notes.txt").write_text("not a delivery")
    (tmp_path / "sub.xml").mkdir()
    files = LocalFolder(tmp_path, "*.xml*").files()
    assert [f.name for f in files] == ["khtm.xml"]
    assert files[0].size == os.path.getsize(MIRROR / "khtm" / "khtm.xml")
    assert files[0].url == str(tmp_path / "khtm.xml")


def test_a_missing_local_folder_holds_nothing(tmp_path):
    assert LocalFolder(tmp_path / "absent", "*").files() == []
