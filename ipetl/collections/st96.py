"""Offices delivering WIPO ST.96 trademark XML (format `st96-trademark`), and the USPTO's office
data for its trademark case-status records (TSDR), delivered as ST.66 or as ST.96.

No TSDR collection is registered (`ustm` is fed by USPTO's daily XML, ipetl/collections/uspto.py);
a collection of TSDR records declares `USPTO_TSDR`. Both TSDR formats carry the codes of the daily
XML (MarkCurrentStatusCode: the status code; MarkFeatureCode: the mark drawing code), so the
tables are the `ustm` ones.
"""

from __future__ import annotations

from ipetl.collection import Collection, OfficeTables, Source
from ipetl.collections.uspto import USTM_STATUS
from transforms import st96_trademark
from transforms.uspto_tdxf import DRAWING_FEATURES

# KindMark as USPTO's ST.66 writes a mark filed for goods and services (ST.96 gives two
# MarkCategory elements, Trademark and Service mark, which the shared table knows).
USPTO_KIND = {"Trademark, Service Mark": "Individual"}

USPTO_TSDR: OfficeTables = {"status": USTM_STATUS, "feature": DRAWING_FEATURES, "mark_kind": USPTO_KIND}

COLLECTIONS = [
    Collection(
        id="chtm",
        office="CH",
        office_name="Swiss Federal Institute of Intellectual Property",
        kind="trademark",
        format=st96_trademark.FORMAT,
        source=Source(
            "local",
            "{mirror}/chtm",
            "*.xml*",
            distribution="no public bulk endpoint known to us: IPI publishes its register in Swissreg "
            "(search), and its records reach WIPO's Global Brand Database; deliveries are put in the mirror",
        ),
        description="Swiss trademarks, delivered as WIPO ST.96 Trademark records (reference/formats/brands/chtm.tree).",
    )
]
