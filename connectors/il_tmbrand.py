"""Israel Patent Office (ILPO) trademark XML: bytes → TMBRAND office records.

ILPO writes one `<TMBRAND>` per mark (reference/formats/brands/iltm.tree): DETAILS (number,
dates YYYYMMDD, status, the mark's name), APPLICANTS, REPRESENTATIVES, NICEGROUP,
VIENNAGROUP, PRIORGROUP, EVENTS ... Most texts come twice, in Hebrew and in English, as
sibling elements told apart by `lang`; an office record (connectors.records.TmbrandRecord)
keeps every language as a {language: text} dict so the transform chooses. Files holding several
TMBRAND under a wrapper stream the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from connectors.records import (
    Texts,
    TmbrandClass,
    TmbrandEvent,
    TmbrandParty,
    TmbrandPriority,
    TmbrandRecord,
    is_tmbrand_detail,
)
from connectors.xml import ByteStream, Element, child_text, children, iter_elements, local, text

RECORD_TAG = "TMBRAND"


def _child(elem: Element, tag: str) -> Element | None:
    return next((c for c in elem if local(c.tag) == tag), None)


def _texts(nodes: Iterable[Element]) -> Texts:
    """{language: text} of elements the office writes once per language (`lang`); where a
    party has several names in one language, the main one (`main="1"`) wins."""
    found: Texts = {}
    for node in sorted(nodes, key=lambda n: n.get("main") != "1"):
        value = text(node)
        if value:
            found.setdefault(node.get("lang"), value)
    return found


def _party(elem: Element) -> TmbrandParty:
    """APPLICANT / REPRESENTATIVE: names and addresses per language (no country element)."""
    names = _child(elem, "NAMES")
    addresses = _child(elem, "ADDRESSES")
    return {
        "names": _texts(children(names, "NAME")) if names is not None else {},
        "addresses": _texts(children(addresses, "ADDRESS")) if addresses is not None else {},
    }


def _nice_class(elem: Element) -> TmbrandClass:
    return {"TYPE": child_text(elem, "TYPE"), "LIST": _texts(children(elem, "LIST"))}


def _priority(elem: Element) -> TmbrandPriority:
    return {
        "COUNTRY": _texts(children(elem, "COUNTRY")),
        "NUMBER": child_text(elem, "NUMBER"),
        "DATE": child_text(elem, "DATE"),
    }


def _event(elem: Element) -> TmbrandEvent:
    return {
        "EventDate": child_text(elem, "EventDate"),
        "NatureOfEvent": _texts(children(elem, "NatureOfEvent")),
        "PublicationDate": child_text(elem, "PublicationDate"),
    }


def _items(group: Element) -> list[Element]:
    """The elements of a group (comments and processing instructions left out)."""
    return [item for item in group if local(item.tag)]


def parse_tmbrand(elem: Element) -> TmbrandRecord:
    """One TMBRAND → office record: the DETAILS scalars under their own tags, `BRAND` as
    {language: name}, each group as a list, `IMAGEFILE` (a path on ILPO's server). DETAILS
    elements the format tree does not list are not read."""
    record: TmbrandRecord = {
        "BRAND": {},
        "applicants": [],
        "representatives": [],
        "classes": [],
        "vienna": [],
        "priorities": [],
        "events": [],
        "ApplicationNumber": None,
    }
    for child in elem:
        tag = local(child.tag)
        if tag == "DETAILS":
            for node in child:
                detail = local(node.tag)
                if detail == "BRAND":
                    record["BRAND"] = _texts(children(node, "NAME"))
                elif is_tmbrand_detail(detail):
                    record[detail] = text(node)
        elif tag == "APPLICANTS":
            record["applicants"] = [_party(item) for item in _items(child)]
        elif tag == "REPRESENTATIVES":
            record["representatives"] = [_party(item) for item in _items(child)]
        elif tag == "NICEGROUP":
            record["classes"] = [_nice_class(item) for item in _items(child)]
        elif tag == "VIENNAGROUP":
            record["vienna"] = [text(item) for item in _items(child)]
        elif tag == "PRIORGROUP":
            record["priorities"] = [_priority(item) for item in _items(child)]
        elif tag == "EVENTS":
            record["events"] = [_event(item) for item in _items(child)]
        elif tag == "IMAGEFILE":
            record["IMAGEFILE"] = text(child)
    # OFFICENUMBER again under the name the other trademark records give the application
    # number (transforms/il_tmbrand.py itself reads OFFICENUMBER)
    record["ApplicationNumber"] = record.get("OFFICENUMBER")
    return record


def iter_office_records(stream: ByteStream) -> Iterator[TmbrandRecord]:
    for elem in iter_elements(stream, (RECORD_TAG,)):
        yield parse_tmbrand(elem)
