"""DPMA (Germany) trademark XML: bytes → MARKDOC office records.

DPMA writes one `<MARKDOC>` per trade mark (reference/formats/brands/detm.tree): CURRENT, the
mark as it stands, in flat groups of coded elements (NR, FILENR, FILDATE, REGDATE, MARKTEXT,
MARKTYPE flags, the STATUS... flags, TLT/NICEGR classes, OWNERGR/OWNER, AGENT, VIENNAGR ...),
and PD, what the last publication changed (NEW, OLD), which the current state already holds
and is not read. CURRENT is kept as its groups (connectors.groups); each priority (PRIOGR/PRIO)
separately, with the leaves of its sub-groups, so that a country stays with its number.
"""

from __future__ import annotations

from collections.abc import Iterator

from connectors.groups import grouped
from connectors.records import Fields, MarkdocRecord
from connectors.xml import ByteStream, Element, iter_elements, local, text

RECORD_TAG = "MARKDOC"


def _priority(prio: Element) -> Fields:
    return {local(node.tag): text(node) for node in prio.iter() if node is not prio and not len(node)}


def parse_markdoc(elem: Element) -> MarkdocRecord:
    current = next((c for c in elem if local(c.tag) == "CURRENT"), None)
    if current is None:
        return {"current": {}, "priorities": []}
    priorities = [
        _priority(prio)
        for group in current
        if local(group.tag) == "PRIOGR"
        for prio in group
        if local(prio.tag) == "PRIO"
    ]
    return {"current": grouped(current), "priorities": priorities}


def iter_office_records(stream: ByteStream) -> Iterator[MarkdocRecord]:
    for elem in iter_elements(stream, (RECORD_TAG,)):
        yield parse_markdoc(elem)
