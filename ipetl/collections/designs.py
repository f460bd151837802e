"""Industrial design collections.

IPAS offices deliver WIPO ST.86 `Transaction` files: their element trees in
reference/formats/designs begin /Transaction/DesignTransactionBody, and WIPO lists their ST.13
masks in designs-office-code-maps.json. The USPTO publishes design patents in its weekly
patent grant full text (concatenated red-book XML, kind S documents). WIPO's Hague System
international registrations come as Hague Express transactions (reference/formats/designs/woid.tree).
"""

from __future__ import annotations

from ipetl.collection import Collection, Source
from ipetl.collections.ipas import IPAS_DISTRIBUTION, IPAS_ST66_OFFICES
from ipetl.collections.uspto import USPTO_DISTRIBUTION, USPTO_PRODUCTS
from transforms import hague_express, st86, uspto_design

IPAS_ST86_OFFICES = (
    "AL",
    "BN",
    "BW",
    "CR",
    "CU",
    "EG",
    "ID",
    "JO",
    "KE",
    "KH",
    "LA",
    "MN",
    "MY",
    "PH",
    "SG",
    "TH",
    "TN",
    "VN",
)
OFFICE_NAMES = {**IPAS_ST66_OFFICES, "SG": "Singapore"}


def _ipas(office: str) -> Collection:
    cid = f"{office.lower()}id"
    name = OFFICE_NAMES[office]
    return Collection(
        id=cid,
        office=office,
        office_name=name,
        kind="design",
        format=st86.FORMAT,
        source=Source("local", f"{{mirror}}/{cid}", "*.xml*", distribution=IPAS_DISTRIBUTION),
        description=f"{name} industrial designs, delivered as WIPO ST.86 Transaction XML (IPAS export).",
    )


USPTO_DESIGNS = Collection(
    id="usid",
    office="US",
    office_name="United States of America",
    kind="design",
    format=uspto_design.FORMAT,
    # USPTO Open Data Portal product PTGRXML, "Patent Grant Full-Text Data (No Images) - XML":
    # the weekly ipgYYMMDD.zip files (one concatenated grant XML file per Tuesday issue). The
    # pattern is "*" so that a local mirror may also hold single-grant files (the ST.32 sample).
    source=Source(
        "product-api", USPTO_PRODUCTS, "*", rate_limit=1.0, products=("PTGRXML",), distribution=USPTO_DISTRIBUTION
    ),
    schedule="@weekly",
    delivery_pattern=r"i?pg(?P<date>\d{6})",  # ipgYYMMDD (pgYYMMDD before 2005): the issue date
    licence="Work of the US government (17 U.S.C. 105): public domain. Sample: USPTO/PatentPublicData (CC0-1.0).",
    description="United States design patents (kind S) from the USPTO weekly patent grant full-text XML "
    "(us-patent-grant red book since 2005; ST.32 PATDOC before).",
)

HAGUE = Collection(
    id="woid",
    office="WO",
    office_name="WIPO (Hague System)",
    kind="design",
    format=hague_express.FORMAT,
    source=Source(
        "local",
        "{mirror}/woid",
        "*.xml*",
        distribution="no public bulk endpoint known to us: WIPO publishes the Hague register in Hague "
        "Express (search) and the International Designs Bulletin; deliveries (Hague Express transactions, "
        "one per international registration) are put in the mirror by hand",
    ),
    description="International design registrations under the Hague System (WIPO Hague Express): "
    "each registration's state rebuilt from its recordings, with its status per designated party.",
)

COLLECTIONS = [*(_ipas(office) for office in IPAS_ST86_OFFICES), USPTO_DESIGNS, HAGUE]
