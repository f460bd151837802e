"""Offices delivering WIPO ST.96 trademark XML (format `st96-trademark`: IPI's records, CIPO's
V3_0 exports), and the USPTO's office data for its trademark case-status records (TSDR),
delivered as ST.66 or as ST.96.

No TSDR collection is registered (`ustm` is fed by USPTO's daily XML, ipetl/collections/uspto.py);
a collection of TSDR records declares `USPTO_TSDR`. Both TSDR formats carry the codes of the daily
XML (MarkCurrentStatusCode: the status code; MarkFeatureCode: the mark drawing code), so the
tables are the `ustm` ones.
"""

from __future__ import annotations

from ipetl.collection import Collection, OfficeTables, Source
from ipetl.collections.uspto import USPTO_EVENTS, USTM_STATUS
from transforms import st96_trademark
from transforms.uspto_tdxf import DRAWING_FEATURES

# KindMark as USPTO's ST.66 writes a mark filed for goods and services (ST.96 gives two
# MarkCategory elements, Trademark and Service mark, which the shared table knows).
USPTO_KIND = {"Trademark, Service Mark": "Individual"}

USPTO_TSDR: OfficeTables = {
    "status": USTM_STATUS,
    "feature": DRAWING_FEATURES,
    "mark_kind": USPTO_KIND,
    "event": USPTO_EVENTS,
}

# CIPO's words (case does not matter), as WIPO's Global Brand Database maps them: the
# MarkCurrentStatusCode, the MarkFeatureCategory the shared table lacks, and the kind of mark
# (NationalTrademarkInformation/TrademarkClass, English description; prohibited marks and
# geographical indications are not trademarks of a kind the contract names: Other).
CIPO: OfficeTables = {
    "status": {
        **dict.fromkeys(
            (
                "Application filed",
                "Filing date accorded",
                "Classification checked",
                "Application accepted",
                "Application published",
                "Opposition pending",
                "Appeal pending",
                "Action before court of justice pending",
            ),
            "Pending",
        ),
        **dict.fromkeys(
            ("Registration published", "Revocation proceeding pending", "Invalidity proceeding pending"), "Registered"
        ),
        **dict.fromkeys(
            (
                "Application refused",
                "Application withdrawn",
                "Interruption of proceeding",
                "Registration cancelled",
                "Conversion requested",
                "Registration surrendered",
            ),
            "Ended",
        ),
    },
    "feature": {"Design": "Combined"},
    "mark_kind": {
        **dict.fromkeys(
            ("Trademark", "General Mark", "Specific Mark", "Standardization Mark", "Distinguishing Guise"), "Individual"
        ),
        "Certification Mark": "Certificate",
        **dict.fromkeys(
            (
                "Denomination",
                "Union Label",
                "Mark protected by an Act respecting the Royal Canadian Legion",
                "Mark Protected by Federal Act of Incorporation",
            ),
            "Collective",
        ),
        "Geographical Indication": "Other",
    },
}

CATM = Collection(
    id="catm",
    office="CA",
    office_name="Canadian Intellectual Property Office",
    kind="trademark",
    format=st96_trademark.FORMAT,
    source=Source(
        "local",
        "{mirror}/catm",
        "*.xml*",
        distribution="CIPO distributes its register in bulk as ST.96 XML (this format); no endpoint we could "
        "verify is declared: deliveries are put in the mirror",
    ),
    description="Canadian trademarks, delivered as CIPO's ST.96 V3_0 TrademarkApplication records "
    "(reference/formats/brands/catm.tree): application number in ST.13 form, kind in CIPO's extension.",
    **CIPO,
)

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
    ),
    CATM,
]
