"""The USPTO's trademark register, delivered as the daily XML (TDXF) files of its bulk data site."""

from __future__ import annotations

from ipetl.collection import Collection, Source
from transforms import uspto_tdxf
from transforms.values import load_vocab

# USPTO status code → status category (or "Delete"), as WIPO's Global Brand Database maps them.
USTM_STATUS = {
    code: entry["gbd"] for code, entry in load_vocab("brands-office-code-maps.json")["ustm"]["status_map"].items()
}

COLLECTIONS = [
    Collection(
        id="ustm",
        office="US",
        office_name="United States Patent and Trademark Office",
        kind="trademark",
        format=uspto_tdxf.FORMAT,
        source=Source(
            "https",
            "https://bulkdata.uspto.gov/data/trademark/dailyxml/applications/",
            "apc*",
            rate_limit=1.0,
            downloads=2,
        ),
        schedule="@daily",
        licence="Work of the US government (17 U.S.C. 105): public domain.",
        description="US trademark applications and registrations, "
        "delivered as USPTO daily XML (TDXF, DTD v2.0) zip files.",
        status=USTM_STATUS,
        delivery_pattern=r"^apc(?P<date>\d{6})",  # apcYYMMDD.zip, one per day
    )
]
