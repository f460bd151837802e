"""The weekly USPTO grant file: a concatenation of XML documents, split while streaming.

tests/fixtures/usid/ipg240102.xml is hand-written from the red-book grant DTD description (not
a real file): three documents, kinds S1, B2, S1.
"""

from __future__ import annotations

import io
from collections import Counter

import pytest

from connectors import uspto_design
from connectors.uspto_design import iter_documents, iter_grants
from connectors.xml import DeliveryError
from tests.conftest import FIXTURES

WEEKLY = FIXTURES / "usid" / "ipg240102.xml"


def grant(doc_number: str, kind: str, tail: str = "</us-patent-grant>\n") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE us-patent-grant SYSTEM "us-patent-grant-v47-2022-02-17.dtd" [ ]>\n'
        '<us-patent-grant lang="EN">\n<us-bibliographic-data-grant>\n<publication-reference>\n'
        f"<document-id><country>US</country><doc-number>{doc_number}</doc-number><kind>{kind}</kind><date>20240102</date></document-id>\n"
        '</publication-reference>\n<application-reference appl-type="design"><document-id><country>US</country>'
        "<doc-number>29000001</doc-number><date>20220101</date></document-id></application-reference>\n"
        "<invention-title>Lamp</invention-title>\n</us-bibliographic-data-grant>\n" + tail
    ).encode()


class CountingReader(io.RawIOBase):
    """A raw stream that counts how far it has been read."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._data.readinto(buffer)
        self.position += n
        return n


def test_weekly_file_splits_at_each_declaration():
    with open(WEEKLY, "rb") as stream:
        documents = [document.read() for document in iter_documents(stream)]
    assert len(documents) == 3
    assert all(d.startswith(b'<?xml version="1.0" encoding="UTF-8"?>') for d in documents)
    assert [d.count(b"<us-patent-grant ") for d in documents] == [1, 1, 1]
    assert b"".join(documents) == WEEKLY.read_bytes()  # nothing lost, nothing repeated


def test_designs_are_kept_and_the_other_documents_counted():
    skipped: Counter = Counter()
    with open(WEEKLY, "rb") as stream:
        grants = list(iter_grants(stream, skipped))
    assert [(g["kind"], g["RegistrationNumber"]) for g in grants] == [("S1", "D1010001"), ("S1", "D1010002")]
    assert skipped == Counter({"B2": 1})


def test_lines_longer_than_a_read_piece(monkeypatch):
    # pieces of 7 bytes: declarations must still be found only at line starts
    monkeypatch.setattr(uspto_design, "CHUNK", 7)
    skipped: Counter = Counter()
    with open(WEEKLY, "rb") as stream:
        grants = list(iter_grants(stream, skipped))
    assert [g["RegistrationNumber"] for g in grants] == ["D1010001", "D1010002"]
    assert skipped == Counter({"B2": 1})


def test_an_xml_stylesheet_instruction_is_not_a_new_document():
    data = grant("D1000001", "S1").replace(
        b"<us-patent-grant", b'<?xml-stylesheet type="text/xsl" href="grant.xsl"?>\n<us-patent-grant', 1
    )
    assert [g["RegistrationNumber"] for g in iter_grants(io.BytesIO(data))] == ["D1000001"]


def test_other_documents_are_skipped_unparsed_once_their_kind_is_known():
    # a utility grant broken after its publication-reference does not cost the designs around it
    broken_utility = grant("11000001", "B1", tail="<claims><claim>unclosed\n")
    data = grant("D1000001", "S1") + broken_utility + grant("RE049999", "E") + grant("D1000002", "S1")
    skipped: Counter = Counter()
    assert [g["RegistrationNumber"] for g in iter_grants(io.BytesIO(data), skipped)] == ["D1000001", "D1000002"]
    assert skipped == Counter({"B1": 1, "E": 1})


def test_a_broken_design_document_is_an_error():
    data = grant("D1000001", "S1") + grant("D1000002", "S1", tail="<claims>\n")
    with pytest.raises(DeliveryError, match="not well-formed"):
        list(iter_grants(io.BytesIO(data)))


def test_the_file_is_read_one_document_at_a_time(monkeypatch):
    monkeypatch.setattr(uspto_design, "CHUNK", 256)
    first = grant("D1000001", "S1")
    stream = CountingReader(first + b"".join(grant(f"1100000{n}", "B2") for n in range(50)))
    grants = iter_grants(stream)
    assert next(grants)["RegistrationNumber"] == "D1000001"
    # when the first design is handed out, the stream has been read past it by at most the
    # one-line lookahead and the read buffer (256 bytes each), not to the end of the file
    assert stream.position <= len(first) + 2 * 256
