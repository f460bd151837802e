"""INPI (France) trademark XML: bytes → ST.66 office records with their recordals.

INPI delivers bare ST.66 `TradeMark` records (reference/formats/brands/frtm.tree; operationCode
Insert or Update) without RegistrationNumber or RegistrationDate: what happened to a mark is told
by its recordals, MarkRecordDetails/MarkRecord/BasicRecord, each of a BasicRecordKind
("Enregistrement", "Publication", "Renouvellement" ...) and published in the BOPI
(RecordPublication: PublicationDate, or only PublicationIdentifier, the year and week
`YYYY-WW`). The mark itself is read by the ST.66 connector; the recordals are kept, in order,
for transforms/inpi.py.
"""

from __future__ import annotations

from collections.abc import Iterator

from connectors.records import Fields, InpiRecord
from connectors.st66 import parse_trademark
from connectors.xml import ByteStream, Element, iter_elements, local, text

RECORD_TAGS = ("TradeMark",)
_RECORDAL_VALUES = ("BasicRecordKind", "PublicationDate", "PublicationIdentifier")


def _recordal(basic: Element) -> Fields:
    """One BasicRecord: its kind and the publication that announced it."""
    values: Fields = dict.fromkeys(_RECORDAL_VALUES)
    for node in basic.iter():
        tag = local(node.tag)
        if tag in _RECORDAL_VALUES and values[tag] is None:
            values[tag] = text(node)
    return values


def iter_office_records(stream: ByteStream) -> Iterator[InpiRecord]:
    """Stream the TradeMark records of one INPI file."""
    for elem in iter_elements(stream, RECORD_TAGS):
        record: InpiRecord = {
            **parse_trademark(elem, {}),
            "recordals": [_recordal(b) for b in elem.iter() if local(b.tag) == "BasicRecord"],
        }
        yield record
