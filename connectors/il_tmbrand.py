"""Israel Patent Office (ILPO) trademark XML: bytes → TMBRAND office records.

ILPO writes one `<TMBRAND>` per mark (reference/formats/brands/iltm.tree): DETAILS (number,
dates YYYYMMDD, status, the mark's name), APPLICANTS, REPRESENTATIVES, NICEGROUP,
VIENNAGROUP, PRIORGROUP, EVENTS ... Most texts come twice, in Hebrew and in English, as
sibling elements told apart by `lang`; an office record keeps every language as a
{language: text} dict so the transform chooses. Files holding several TMBRAND under a wrapper
stream the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO

from connectors.xml import iter_elements, local, text

RECORD_TAG = "TMBRAND"


def _children(elem, tag: str) -> list:
    return [c for c in elem if local(c.tag) == tag]


def _child(elem, tag: str):
    return next((c for c in elem if local(c.tag) == tag), None)


def _child_text(elem, tag: str) -> str | None:
    node = _child(elem, tag)
    return None if node is None else text(node)


def _texts(nodes: Iterable) -> dict[str | None, str]:
    """{language: text} of elements the office writes once per language (`lang`); where a
    party has several names in one language, the main one (`main="1"`) wins."""
    found: dict[str | None, str] = {}
    for node in sorted(nodes, key=lambda n: n.get("main") != "1"):
        value = text(node)
        if value:
            found.setdefault(node.get("lang"), value)
    return found


def _party(elem) -> dict:
    """APPLICANT / REPRESENTATIVE: names and addresses per language (no country element)."""
    names = _child(elem, "NAMES")
    addresses = _child(elem, "ADDRESSES")
    return {
        "names": _texts(_children(names, "NAME")) if names is not None else {},
        "addresses": _texts(_children(addresses, "ADDRESS")) if addresses is not None else {},
    }


def _nice_class(elem) -> dict:
    return {"TYPE": _child_text(elem, "TYPE"), "LIST": _texts(_children(elem, "LIST"))}


def _priority(elem) -> dict:
    return {
        "COUNTRY": _texts(_children(elem, "COUNTRY")),
        "NUMBER": _child_text(elem, "NUMBER"),
        "DATE": _child_text(elem, "DATE"),
    }


def _event(elem) -> dict:
    return {
        "EventDate": _child_text(elem, "EventDate"),
        "NatureOfEvent": _texts(_children(elem, "NatureOfEvent")),
        "PublicationDate": _child_text(elem, "PublicationDate"),
    }


_GROUPS = {
    "APPLICANTS": ("applicants", _party),
    "REPRESENTATIVES": ("representatives", _party),
    "NICEGROUP": ("classes", _nice_class),
    "VIENNAGROUP": ("vienna", text),
    "PRIORGROUP": ("priorities", _priority),
    "EVENTS": ("events", _event),
}


def parse_tmbrand(elem) -> dict:
    """One TMBRAND → office record: the DETAILS scalars under their own tags, `BRAND` as
    {language: name}, each group as a list, `IMAGEFILE` (a path on ILPO's server)."""
    record: dict = {key: [] for key, _ in _GROUPS.values()}
    record["BRAND"] = {}
    for child in elem:
        tag = local(child.tag)
        if tag == "DETAILS":
            for node in child:
                detail = local(node.tag)
                if detail == "BRAND":
                    record["BRAND"] = _texts(_children(node, "NAME"))
                elif detail:
                    record[detail] = text(node)
        elif tag in _GROUPS:
            key, parse = _GROUPS[tag]
            record[key] = [parse(item) for item in child if local(item.tag)]
        elif tag == "IMAGEFILE":
            record[tag] = text(child)
    # the name transforms/normalize.py reports when a record cannot be keyed
    record["ApplicationNumber"] = record.get("OFFICENUMBER")
    return record


def iter_office_records(stream: IO[bytes]) -> Iterator[dict]:
    for elem in iter_elements(stream, (RECORD_TAG,)):
        yield parse_tmbrand(elem)
