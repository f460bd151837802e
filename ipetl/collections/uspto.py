"""The USPTO's trademark register, delivered as the daily XML (TDXF) files of its Open Data
Portal (bulkdata.uspto.gov, which served them until 2025, is retired)."""

from __future__ import annotations

from ipetl.collection import Collection, Source
from transforms import uspto_tdxf
from transforms.values import load_vocab

# The Open Data Portal's bulk-datasets API (an API key in X-API-KEY; connectors/sources.py).
USPTO_PRODUCTS = "https://api.uspto.gov/api/v1/datasets/products"
USPTO_DISTRIBUTION = (
    "the USPTO Open Data Portal's bulk-datasets API; it needs an API key (of a data.uspto.gov account): "
    "$IPETL_USPTO_API_KEY, or the password of the Airflow Connection ipetl_<collection>"
)

# USPTO status code → status category (or "Delete"), as WIPO's Global Brand Database maps them.
USTM_STATUS = {
    code: entry["gbd"] for code, entry in load_vocab("brands-office-code-maps.json")["ustm"]["status_map"].items()
}

# USPTO prosecution event codes (TDXF case-file-event-statement `code`, TSDR ST.66 MarkEventCode) →
# event category, read from the description USPTO gives each code in its files (the DTD's
# documentation lists the TTAB and Madrid codes, not these). Codes of paperwork (papers received,
# attorney changes, paralegal assignments ...) are left out: their events keep a null category
# and `ipetl unmapped-events` lists them.
USPTO_EVENTS = {
    **dict.fromkeys(("NWAP", "NWOS", "COUT"), "Filed"),  # new application entered; SN for a 66(a) application
    # assigned to examiner, office actions and amendments, approved for publication, reviews,
    # allowed / use accepted
    **dict.fromkeys(
        ("DOCK", "CNRT", "GNRT", "CNEA", "GNEA", "XAEC", "CNSA", "PREV", "REGV", "CNPR", "IUAA", "SUPC"), "Examined"
    ),
    "CNFR": "Rejected",  # final refusal mailed
    **dict.fromkeys(("NPUB", "PUBO"), "Published"),  # notice of publication, published for opposition
    # notices and notifications mailed / e-mailed
    **dict.fromkeys(
        (
            "NOAM",
            "NONP",
            "GNRN",
            "GNEN",
            "GNS2",
            "GNS3",
            "NA85",
            "NA89",
            "SUNA",
            "AAUA",
            "EXRA",
            "MDSC",
            "MPMK",
            "REM1",
            "PRAN",
        ),
        "Notification",
    ),
    # registered (principal register); renewed; Sec. 8 & 9 / 8 & 15 accepted
    **dict.fromkeys(("R.PR", "REN1", "RNL1", "89AG", "C15A"), "Registered"),
    **dict.fromkeys(("CNSL", "GNSL"), "Suspended"),  # letter of suspension
    "NOSU": "Awaiting court action",  # notice of suit
}

COLLECTIONS = [
    Collection(
        id="ustm",
        office="US",
        office_name="United States Patent and Trademark Office",
        kind="trademark",
        format=uspto_tdxf.FORMAT,
        # TRTYRAP: the annual backfile (apc18840407-YYYYMMDD-NN.zip, the register up to the end of
        # a year in NN parts); TRTDXFAP: the daily applications (apcYYMMDD.zip)
        # every annual backfile holds the whole register: only the newest is fetched (its
        # parts are named after the last day it covers)
        source=Source(
            "product-api",
            USPTO_PRODUCTS,
            "apc*",
            rate_limit=1.0,
            products=("TRTYRAP", "TRTDXFAP"),
            distribution=USPTO_DISTRIBUTION,
            series=r"apc\d{8}-(?P<series>\d{8})-\d+",
        ),
        schedule="@daily",
        licence="Work of the US government (17 U.S.C. 105): public domain.",
        description="US trademark applications and registrations, "
        "delivered as USPTO daily XML (TDXF, DTD v2.0) zip files.",
        status=USTM_STATUS,
        event=USPTO_EVENTS,
        # apcYYMMDD.zip, one per day; apc18840407-YYYYMMDD-NN.zip, part NN of the backfile up to YYYYMMDD
        delivery_pattern=r"^apc(?:\d{8}-)?(?P<date>\d{8}|\d{6})(?:-(?P<seq>\d+))?",
    )
]
