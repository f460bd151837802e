"""IP Australia trademark extract: bytes → TMEXTRACT office records.

IP Australia writes one `<TMEXTRACT>` per trade mark (reference/formats/brands/autm.tree) in
flat groups of short coded elements: BASGR (application number BASAPPN, dates BASAPPD, BASREGD,
BASREND as YYYYMMDD, status BASSTA, office OOCC), MARKDET (the words MARDESC, the type of mark
TYPMARI, device description DEVDESC), OTHTMDET/TYPMARI (the kind), one GSGR per class (NICCLAI,
GSTERMO), PRIGR, PUBAPP, PUBREG, the parties APCTADD (applicants) and SRVCADD (address for
service), INTREGG (international registration). An office record keeps every group as written,
by its path, so the transform reads what it needs; a file holding several TMEXTRACT under a
wrapper streams the same way.
"""

from __future__ import annotations

from collections.abc import Iterator

from connectors.records import Fields, TmextractRecord
from connectors.xml import ByteStream, Element, iter_elements, local, text

RECORD_TAG = "TMEXTRACT"


def _group(elem: Element, path: str, record: TmextractRecord) -> None:
    """Add `elem`'s leaf children under `path`, and its nested groups under their own paths."""
    leaves: Fields = {}
    for child in elem:
        tag = local(child.tag)
        if len(child):
            _group(child, f"{path}/{tag}" if path else tag, record)
        else:
            leaves[tag] = text(child)
    if leaves or path:
        record.setdefault(path, []).append(leaves)


def parse_extract(elem: Element) -> TmextractRecord:
    record: TmextractRecord = {}
    _group(elem, "", record)
    return record


def iter_office_records(stream: ByteStream) -> Iterator[TmextractRecord]:
    for elem in iter_elements(stream, (RECORD_TAG,)):
        yield parse_extract(elem)
