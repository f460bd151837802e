"""IP Australia trademark extract: bytes → TMEXTRACT office records.

IP Australia writes one `<TMEXTRACT>` per trade mark (reference/formats/brands/autm.tree) in
flat groups of short coded elements: BASGR (application number BASAPPN, dates BASAPPD, BASREGD,
BASREND as YYYYMMDD, status BASSTA, office OOCC), MARKDET (the words MARDESC, the type of mark
TYPMARI, device description DEVDESC), OTHTMDET/TYPMARI (the kind), one GSGR per class (NICCLAI,
GSTERMO), PRIGR, PUBAPP, PUBREG, the parties APCTADD (applicants) and SRVCADD (address for
service), INTREGG (international registration). An office record keeps every group as written
(connectors.groups), so the transform reads what it needs; a file holding several TMEXTRACT
under a wrapper streams the same way.
"""

from __future__ import annotations

from collections.abc import Iterator

from connectors.groups import grouped
from connectors.records import Groups
from connectors.xml import ByteStream, iter_elements

RECORD_TAG = "TMEXTRACT"


def iter_office_records(stream: ByteStream) -> Iterator[Groups]:
    for elem in iter_elements(stream, (RECORD_TAG,)):
        yield grouped(elem)
