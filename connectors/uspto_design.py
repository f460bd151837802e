"""USPTO design patent grants: bytes → grant office records.

Two grant XML formats, both delivered as single documents or as the USPTO's weekly files, which
CONCATENATE thousands of XML documents (each with its own XML declaration and DOCTYPE):

- `us-patent-grant` (red book, ICE DTD v4.x, since 2005): publication-reference/document-id/kind
  `S1` for designs, classification-locarno/main-classification (`1402`) and edition,
  invention-title, us-parties (or parties), assignees, hague-agreement-data;
- ST.32 `PATDOC` (before 2005): B130 kind `S`, B511 Locarno class, B516 edition, B540 title,
  B720 inventors, B730 assignees, B740 attorneys.

The weekly file is split at every `<?xml` declaration that begins a line and each document is fed
to the hardened parser through its own stream: the file is never read whole. Only design
documents (kind S...) become records. Any other document (utility, plant, reissue, sequence
listing) is read only as far as its kind and then skipped unparsed, and counted: a broken
utility document cannot cost the week's designs. The DOCTYPEs name external DTDs that are never
loaded; undeclared entities stay as entity references.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from typing_extensions import Buffer  # collections.abc.Buffer from Python 3.12


from connectors.records import DesignGrant, GrantParty
from connectors.xml import ByteStream, Element, iter_elements, local

log = logging.getLogger(__name__)

CHUNK = 1 << 16
_DECLARATION = re.compile(rb"<\?xml\s")
# publication kind, the bibliographic data, the drawings: of us-patent-grant, then of ST.32 PATDOC
_RECORD_TAGS = ("publication-reference", "us-bibliographic-data-grant", "drawings", "B100", "SDOBI", "SDODR")
_KIND_TAGS = {"publication-reference": "kind", "B100": "B130"}


class _Lines:
    """A binary stream read in line pieces of at most CHUNK bytes, with one piece of lookahead.
    `at_line_start` says whether the next piece begins a line."""

    def __init__(self, stream: ByteStream):
        self._stream = io.BufferedReader(stream, CHUNK) if isinstance(stream, io.RawIOBase) else stream
        self._at_line_start = True
        self.at_line_start, self.next = self._read()

    def _read(self) -> tuple[bool, bytes]:
        piece = self._stream.readline(CHUNK)
        starts = self._at_line_start
        self._at_line_start = piece.endswith(b"\n")
        return starts, piece

    def advance(self) -> bytes:
        piece = self.next
        self.at_line_start, self.next = self._read()
        return piece


class _Document(io.RawIOBase):
    """One document of a concatenation: the bytes up to the next line-initial declaration."""

    def __init__(self, lines: _Lines):
        self._lines = lines
        self._buffer = b""
        self._started = False

    def readable(self) -> bool:
        return True

    def _more(self) -> bool:
        lines = self._lines
        if not lines.next or (self._started and lines.at_line_start and _DECLARATION.match(lines.next)):
            return False
        self._buffer = lines.advance()
        self._started = True
        return True

    def readinto(self, buffer: Buffer, /) -> int:
        view = memoryview(buffer)
        n, size = 0, len(view)
        while n < size and (self._buffer or self._more()):
            take = min(size - n, len(self._buffer))
            view[n : n + take] = self._buffer[:take]
            self._buffer = self._buffer[take:]
            n += take
        return n

    def skip(self) -> None:
        """Pass over the rest of the document without parsing it."""
        self._buffer = b""
        while self._more():
            self._buffer = b""


def iter_documents(stream: ByteStream) -> Iterator[ByteStream]:
    """The XML documents of a stream that may concatenate several, one stream each, in order.
    A document not read to its end is skipped when the next one is asked for."""
    lines = _Lines(stream)
    while lines.next:
        document = _Document(lines)
        yield document
        document.skip()


def _all_text(elem: Element) -> str | None:
    """The element's text with its descendants' (ST.32 nests PDAT, STEXT, HIL ...)."""
    value = " ".join("".join(cast("Iterator[str]", elem.itertext())).split())  # lxml gives str
    return value or None


def _find(elem: Element, *path: str) -> Element | None:
    """First descendant at this path of local names (a child, then its child ...), or None."""
    for name in path:
        child = next((c for c in elem if local(c.tag) == name), None)
        if child is None:
            return None
        elem = child
    return elem


def _find_text(elem: Element, *path: str) -> str | None:
    found = _find(elem, *path)
    return _all_text(found) if found is not None else None


def _descendants(elem: Element, name: str) -> Iterator[Element]:
    return (node for node in elem.iter() if local(node.tag) == name)


# us-patent-grant ---------------------------------------------------------------------------


def _addressbook_party(elem: Element) -> GrantParty:
    """us-applicant / inventor / agent / assignee → name, country, address (an addressbook)."""
    book = next(_descendants(elem, "addressbook"), elem)
    organization = _find_text(book, "orgname")
    person = " ".join(filter(None, (_find_text(book, p) for p in ("first-name", "middle-name", "last-name", "suffix"))))
    address = _find(book, "address")
    lines: list[str] = []
    if address is not None:
        lines = [line for n in address if local(n.tag) != "country" and (line := _all_text(n))]
    residence = _find_text(elem, "residence", "country")
    return {
        "name": organization or person or None,
        "country": (_find_text(address, "country") if address is not None else None) or residence,
        "address": ", ".join(lines) or None,
    }


def _document_id(elem: Element, *path: str) -> dict[str, str | None]:
    found = _find(elem, *path, "document-id")
    if found is None:
        return {}
    return {local(c.tag): _all_text(c) for c in found}


def parse_red_book(biblio: Element, root_language: str | None) -> DesignGrant:
    """us-bibliographic-data-grant → grant office record."""
    publication = _document_id(biblio, "publication-reference")
    application = _document_id(biblio, "application-reference")
    locarno = _find(biblio, "classification-locarno")
    parties = _find(biblio, "us-parties")
    if parties is None:
        parties = _find(biblio, "parties")  # DTD v4.0-4.2
    applicants, inventors, agents = [], [], []
    if parties is not None:
        for node in parties.iter():
            tag = local(node.tag)
            if tag in ("us-applicant", "applicant"):
                applicants.append(node)
            elif tag == "inventor":
                inventors.append(node)
            elif tag == "agent":
                agents.append(node)
    # DTD v4.0-4.2 list the inventors among the applicants (app-type="applicant-inventor")
    inventors = inventors or [a for a in applicants if (a.get("app-type") or "").endswith("inventor")]
    hague = next(_descendants(biblio, "hague-agreement-data"), None)
    return {
        "kind": publication.get("kind"),
        "RegistrationNumber": publication.get("doc-number"),
        "GrantDate": publication.get("date"),
        "ApplicationNumber": application.get("doc-number"),
        "ApplicationDate": application.get("date"),
        "TermYears": _find_text(biblio, "us-term-of-grant", "length-of-grant"),
        "LocarnoClasses": [
            _all_text(n)
            for n in (locarno if locarno is not None else ())
            if local(n.tag) in ("main-classification", "further-classification")
        ],
        "LocarnoEdition": _find_text(locarno, "edition") if locarno is not None else None,
        "Title": _find_text(biblio, "invention-title"),
        "TitleLanguage": root_language,
        "applicants": [_addressbook_party(a) for a in applicants],
        "inventors": [_addressbook_party(i) for i in inventors],
        "agents": [_addressbook_party(a) for a in agents],
        "assignees": [_addressbook_party(a) for a in _descendants(biblio, "assignee")],
        "priorities": [
            {"country": _find_text(p, "country"), "number": _find_text(p, "doc-number"), "date": _find_text(p, "date")}
            for p in _descendants(biblio, "priority-claim")
        ],
        "InternationalRegistrationNumber": _find_text(hague, "international-registration-number")
        if hague is not None
        else None,
    }


# ST.32 PATDOC ------------------------------------------------------------------------------


def _st32_party(elem: Element) -> GrantParty:
    """B721 / B731 / B741 → name, country, address (a PARTY-US: NAM and ADR)."""
    name = _find(elem, "PARTY-US", "NAM")
    organization = _find_text(name, "ONM") if name is not None else None
    person = " ".join(filter(None, (_find_text(name, p) for p in ("FNM", "SNM")))) if name is not None else ""
    address = _find(elem, "PARTY-US", "ADR")
    lines = [] if address is None else [line for n in address if local(n.tag) != "CTRY" and (line := _all_text(n))]
    return {
        "name": organization or person or None,
        "country": _find_text(address, "CTRY") if address is not None else None,
        "address": ", ".join(lines) or None,
    }


def parse_st32(sdobi: Element) -> DesignGrant:
    """SDOBI (ST.32 bibliographic data) → grant office record."""
    parties = {tag: [_st32_party(n) for n in _descendants(sdobi, tag)] for tag in ("B721", "B731", "B741")}
    return {
        "kind": _find_text(sdobi, "B100", "B130"),
        "RegistrationNumber": _find_text(sdobi, "B100", "B110"),
        "GrantDate": _find_text(sdobi, "B100", "B140"),
        "ApplicationNumber": _find_text(sdobi, "B200", "B210"),
        "ApplicationDate": _find_text(sdobi, "B200", "B220"),
        "TermYears": next((_all_text(n) for n in _descendants(sdobi, "B474")), None),
        "LocarnoClasses": [_all_text(n) for n in _descendants(sdobi, "B511")],
        "LocarnoEdition": next((_all_text(n) for n in _descendants(sdobi, "B516")), None),
        "Title": _find_text(sdobi, "B500", "B540"),
        "TitleLanguage": None,
        "applicants": [],
        "inventors": parties["B721"],
        "agents": parties["B741"],
        "assignees": parties["B731"],
        "priorities": [
            {"country": _find_text(p, "B330"), "number": _find_text(p, "B310"), "date": _find_text(p, "B320")}
            for p in _descendants(sdobi, "B300")
        ],
        "InternationalRegistrationNumber": None,
    }


# documents ---------------------------------------------------------------------------------


def _grant(document: ByteStream, skipped: Counter[str]) -> DesignGrant | None:
    """The design grant in one document, or None (and a count) for any other document."""
    record = None
    drawings: list[str] = []
    elements = iter_elements(document, _RECORD_TAGS)
    try:
        for elem in elements:
            tag = local(elem.tag)
            if tag in _KIND_TAGS:
                kind = next((_all_text(n) for n in _descendants(elem, _KIND_TAGS[tag])), None) or ""
                if not kind.upper().startswith("S"):
                    skipped[kind or "unknown"] += 1
                    return None
            elif tag == "us-bibliographic-data-grant":
                root = elem.getparent()
                record = parse_red_book(elem, root.get("lang") if root is not None else None)
            elif tag == "SDOBI":
                record = parse_st32(elem)
            elif tag in ("drawings", "SDODR"):
                drawings = [
                    name
                    for node in elem.iter()
                    if local(node.tag) in ("img", "EMI") and (name := node.get("file") or node.get("FILE"))
                ]
    finally:
        elements.close()
    if record is None:
        skipped["not a grant"] += 1
        return None
    record["drawings"] = drawings
    return record


def iter_grants(stream: ByteStream, skipped: Counter[str] | None = None) -> Iterator[DesignGrant]:
    """Design grant records of one file (a single grant or a weekly concatenation), in order;
    every other document is counted in `skipped` by its kind code."""
    skipped = Counter() if skipped is None else skipped
    for document in iter_documents(stream):
        record = _grant(document, skipped)
        if record is not None:
            yield record


def iter_office_records(stream: ByteStream) -> Iterator[DesignGrant]:
    skipped: Counter[str] = Counter()
    designs = 0
    for record in iter_grants(stream, skipped):
        designs += 1
        yield record
    log.info("%d design grants; skipped %d other documents %s", designs, sum(skipped.values()), dict(skipped))
