"""XML exports (warehouse/xml_export.py).

ST.66: the six real IPAS samples are published, exported, validated against the official ST.66
V1.1 schema (reference/schemas/ST66_V1-1), checked for values read from the source files, and
read back through the ST.66 connector and transform. ST.86 (no schema exists): design records
written here are exported, every element path is checked against WIPO's ST.86 → ST.96 mapping
table, and the document is read back through the ST.86 connector and transform.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from connectors import st66 as st66_connector
from connectors import st86 as st86_connector
from ipetl import pipeline, registry
from tests.conftest import MIRROR, ROOT
from transforms import st66 as st66_transform
from transforms import st86 as st86_transform
from transforms.rules import ST66_FEATURE, CollectionRules
from transforms.schema import empty_record
from transforms.st13 import ST13Rule
from transforms.values import ST3_CODES
from warehouse import lake as lakes
from warehouse import xml_export
from warehouse.catalog import open_catalog
from warehouse.xml_export import export_xml, write_st66, write_st86

D = dt.date
IPAS = ["khtm", "smtm", "mytm", "altm", "idtm", "latm"]
SCHEMAS = ROOT / "reference" / "schemas" / "ST66_V1-1"
MAPPING = ROOT / "reference" / "mappings" / "ST86Transaction-V1-0ToST96DesignTransaction_V6_0.html"
DESIGN_TREES = ROOT / "reference" / "formats" / "designs"
TM = f"{{{xml_export.ST66_NAMESPACE}}}"
DS = f"{{{xml_export.ST86_NAMESPACE}}}"
# Fields the exports do not carry back: provenance, and the office's own status word (the
# standard's status value is written in its place; it is checked on its own below).
NOT_EXPORTED = {"office_status", "source_file", "source_sha256", "ingested_at", "delivery_date", "delivery_sequence"}
# the lake keeps a record's events in table `events`, which the ST.66 / ST.86 exports do not write (yet)
NOT_EXPORTED |= {"events"}


def parse(source) -> etree._ElementTree:
    return etree.parse(
        source, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    )


def child(element: etree._Element, path: str) -> etree._Element:
    """The element at path (the test fails if there is none)."""
    found = element.find(path)
    assert found is not None, path
    return found


def text_of(element: etree._Element) -> str:
    return "".join(str(t) for t in element.itertext())


@pytest.fixture(scope="module")
def st66_schema() -> etree.XMLSchema:
    return etree.XMLSchema(parse(str(SCHEMAS / "st66.xsd")))


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("home")
    assert pipeline.run(IPAS, source=MIRROR, home=home).snapshot_id is not None
    return home


@pytest.fixture(scope="module")
def snapshot(published) -> int:
    con = lakes.connect(pipeline.lake_settings(published), read_only=True)
    try:
        return lakes.current_snapshot(con)
    finally:
        con.close()


def published_rows(home: Path) -> dict[str, dict]:
    con = open_catalog(pipeline.lake_settings(home), home, pipeline.registry_rows())
    try:
        rows = con.execute("SELECT * FROM trademarks").to_arrow_table().to_pylist()
    finally:
        con.close()
    return {row["application_number"]: row for row in rows}


def trademark(doc, application_number: str):
    [mark] = [m for m in doc.iter(f"{TM}TradeMark") if m.findtext(f"{TM}ApplicationNumber") == application_number]
    return mark


def enumeration(xsd: str, type_name: str) -> list[str]:
    root = parse(str(SCHEMAS / xsd)).getroot()
    [simple] = [t for t in root.iter("{*}simpleType") if t.get("name") == type_name]
    return [str(e.attrib["value"]) for e in simple.iter("{*}enumeration")]


def test_st66_export_of_published_records_validates_against_the_st66_schema(published, snapshot, st66_schema, tmp_path):
    path = export_xml(pipeline.lake_settings(published), "st66", tmp_path)
    assert path == tmp_path / f"trademarks-st66-{snapshot:08d}.xml"
    doc = parse(str(path))
    st66_schema.assertValid(doc)
    assert len(list(doc.iter(f"{TM}TradeMark"))) == 6

    # samples/mirror/khtm/khtm.xml
    kh = trademark(doc, "KH/673426/M")
    assert kh.findtext(f"{TM}RegistrationOfficeCode") == "KH"
    assert kh.findtext(f"{TM}ApplicationDate") == "2015-08-06"
    assert kh.findtext(f"{TM}RegistrationNumber") == "673426"
    assert kh.findtext(f"{TM}RegistrationDate") == "2016-06-10"
    assert kh.findtext(f"{TM}ExpiryDate") == "2025-08-06"
    # <wo:MarkCurrentStatusCode>Registered</...>: ST.66 V1.1 calls the registered state "Registration published"
    assert kh.findtext(f"{TM}MarkCurrentStatusCode") == "Registration published"
    assert kh.findtext(f"{TM}MarkCurrentStatusDate") == "2016-10-27"
    assert kh.findtext(f"{TM}KindMark") == "Individual"
    assert kh.findtext(f"{TM}MarkFeature") == "Combined"
    # <TransactionCode>Madrid Designated</TransactionCode>: the record designates IR 673426
    assert kh.findtext(f"{TM}InternationalMarkKey/{TM}Identifier") == "673426"
    verbal = kh.find(f"{TM}WordMarkSpecification/{TM}MarkVerbalElementText")
    assert (verbal.text, verbal.get("languageCode")) == (
        "ZomaJet",
        "en",
    )  # <wo:MarkVerbalElementText languageCode="en">
    [description] = kh.iter(f"{TM}ClassDescription")
    assert description.findtext(f"{TM}ClassNumber") == "10"
    goods = description.find(f"{TM}GoodsServicesDescription")
    assert goods.get("languageCode") == "en" and goods.text.startswith(
        "Surgical, medical, dental and veterinary apparatus"
    )
    assert kh.findtext(f"{TM}PublicationDetails/{TM}Publication/{TM}PublicationDate") == "2016-07-29"
    applicant = kh.find(f"{TM}ApplicantDetails/{TM}Applicant/{TM}ApplicantAddressBook/{TM}FormattedNameAddress")
    assert (
        applicant.findtext(f"{TM}Name/{TM}FreeFormatName/{TM}FreeFormatNameDetails/{TM}FreeFormatNameLine")
        == "Ferring B.V."
    )
    assert applicant.findtext(f"{TM}Address/{TM}AddressCountryCode") == "NL"
    assert (
        applicant.findtext(f"{TM}Address/{TM}FreeFormatAddress/{TM}FreeFormatAddressLine")
        == "Polarisavenue 144 NL-2132 JX Hoofddorp"
    )
    assert "Novagraaf Nederland BV" in "".join(kh.find(f"{TM}RepresentativeDetails").itertext())

    # samples/mirror/mytm/mytm.xml: <Priority><PriorityCountryCode>US ... 85651317 ... 2012-06-13
    priority = trademark(doc, "2012060000").find(f"{TM}PriorityDetails/{TM}Priority")
    assert [c.text for c in priority] == ["US", "85651317", "2012-06-13"]
    # samples/mirror/smtm/test.xml: five classes listed without goods text
    sm = trademark(doc, "SM/M/2010/000119")
    assert [c.text for c in sm.iter(f"{TM}ClassNumber")] == ["9", "25", "35", "38", "41"]
    # samples/mirror/idtm/unicode.xml: <wo:MarkCurrentStatusCode>Rejected</...>, the refusal dated by
    # <MarkCurrentStatusDate>2018-10-25</...>
    rejected = trademark(doc, "DID2017000184")
    assert rejected.findtext(f"{TM}MarkCurrentStatusCode") == "Application refused"
    assert rejected.findtext(f"{TM}TerminationDate") == rejected.findtext(f"{TM}MarkCurrentStatusDate") == "2018-10-25"
    # samples/mirror/altm/altm.xml: <wo:MarkCurrentStatusCode>Expired</...> (no ST.66 V1.1 value; a valid token)
    assert trademark(doc, "AL/T/1996/001287").findtext(f"{TM}MarkCurrentStatusCode") == "Expired"

    # the schema does bite: the same document with KindMark moved first is invalid
    kind = kh.find(f"{TM}KindMark")
    kh.remove(kind)
    kh.insert(0, kind)
    assert not st66_schema.validate(doc)


def test_st66_export_filtered_and_st86_export_of_no_designs(published, snapshot, tmp_path):
    path = export_xml(pipeline.lake_settings(published), "st66", tmp_path, where="office = 'KH'")
    assert [m.findtext(f"{TM}ApplicationNumber") for m in parse(str(path)).iter(f"{TM}TradeMark")] == ["KH/673426/M"]
    designs = parse(str(export_xml(pipeline.lake_settings(published), "st86", tmp_path)))
    assert designs.getroot().tag == f"{DS}Transaction"
    assert designs.find(f".//{DS}TransactionData") is not None and designs.find(f".//{DS}DesignApplication") is None
    # the filtered export is named after its filter: sha256("office = 'KH'")[:8]
    kh = "-where-" + hashlib.sha256(b"office = 'KH'").hexdigest()[:8]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"designs-st86-{snapshot:08d}.manifest.json",
        f"designs-st86-{snapshot:08d}.xml",
        f"trademarks-st66-{snapshot:08d}{kh}.manifest.json",
        f"trademarks-st66-{snapshot:08d}{kh}.xml",
    ]
    manifest = json.loads((tmp_path / f"trademarks-st66-{snapshot:08d}{kh}.manifest.json").read_text())
    assert (manifest["format"], manifest["where"], manifest["to_snapshot"]) == ("st66", "office = 'KH'", snapshot)
    assert manifest["files"] == [
        {"name": path.name, "rows": 1, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    ]


def test_st66_export_reads_back_to_the_published_records(published, tmp_path):
    published_by_number = published_rows(published)
    path = export_xml(pipeline.lake_settings(published), "st66", tmp_path)
    with open(path, "rb") as stream:
        office_records = list(st66_connector.iter_office_records(stream))
    assert len(office_records) == 6
    for office_record in office_records:
        number = office_record["ApplicationNumber"]
        assert number is not None
        original = published_by_number[number]
        again = st66_transform.to_canonical(office_record, registry.get(original["collection"]).rules(), D(2026, 1, 1))
        assert {k: v for k, v in again.items() if k not in NOT_EXPORTED} == {
            k: v for k, v in original.items() if k not in NOT_EXPORTED
        }, original["st13"]
        assert again["status"] == original["status"]


def test_st66_values_the_schema_constrains_are_valid_or_left_out(st66_schema):
    record: dict[str, Any] = dict(empty_record("trademarks"))
    record.update(
        st13="EM500000018012345",
        office="EM",
        application_number="018012345",
        application_date=D(2019, 2, 1),
        status="Pending",
        office_status="Opposed",
        mark_feature="Three dimensional",
        kind=["Membership", "Collective"],
        mark_text="BOTTLE\x07 SHAPE",  # a control character XML cannot carry
        mark_text_language=None,
        nice_classes=[32, 33],
        goods_services=[{"class_number": 33, "language": None, "text": "Wines"}],
        vienna_codes=["19.07.01", "26.04.01"],
        applicants=[
            {"name": "Bottlers SA", "country_code": "EM", "address": None},  # EM is no ISO 3166 country
            {"name": None, "country_code": None, "address": None},
        ],
        priorities=[
            {"country_code": "CW", "number": "1", "date": D(2018, 9, 1)},  # Curaçao: not in ST.3 of 2007
            {"country_code": "FR", "number": "4456", "date": D(2018, 8, 30)},
        ],
        designated_countries=["SX", "DE"],
    )
    out = io.BytesIO()
    assert write_st66([record], out) == 1
    doc = parse(io.BytesIO(out.getvalue()))
    st66_schema.assertValid(doc)
    [mark] = doc.iter(f"{TM}TradeMark")
    assert mark.findtext(f"{TM}MarkFeature") == "3-D"
    assert mark.findtext(f"{TM}KindMark") == "Membership"  # KindMark occurs once
    assert mark.findtext(f"{TM}MarkCurrentStatusCode") == "Opposition pending"
    assert [c.text for c in mark.iter(f"{TM}DesignatedCountryCode")] == ["DE"]
    assert [c.text for c in mark.iter(f"{TM}PriorityCountryCode")] == ["FR"]
    assert mark.findtext(f"{TM}WordMarkSpecification/{TM}MarkVerbalElementText") == "BOTTLE SHAPE"
    assert child(mark, f"{TM}WordMarkSpecification/{TM}MarkVerbalElementText").get("languageCode") is None
    assert [c.text for c in mark.iter(f"{TM}CategoryCode")] == ["19.07.01", "26.04.01"]
    assert mark.findtext(f".//{TM}MarkImageCategory/{TM}CategoryKind") == "Vienna"
    [applicant] = mark.iter(f"{TM}Applicant")
    assert text_of(applicant) == "Bottlers SA" and applicant.find(f".//{TM}AddressCountryCode") is None
    assert [c.text for c in mark.iter(f"{TM}ClassNumber")] == ["32", "33"]
    # read back: 3-D is Three dimensional again
    [office_record] = st66_connector.iter_office_records(io.BytesIO(out.getvalue()))
    assert ST66_FEATURE[str(office_record["MarkFeature"]).casefold()] == "Three dimensional"

    empty = io.BytesIO()
    assert write_st66([], empty) == 0  # TradeMarkDetails needs a TradeMark: left out
    st66_schema.assertValid(parse(io.BytesIO(empty.getvalue())))


def test_st66_code_lists_and_status_values_match_the_schema():
    assert ST3_CODES - set(enumeration("WIPOST3CodeType-V2007.xsd", "WIPOST3CodeType")) == xml_export._NOT_ST66_ST3
    assert (
        ST3_CODES - set(enumeration("ISOCountryCodeType-V2006.xsd", "ISOCountryCodeType"))
        == xml_export._NOT_ST66_ADDRESS_COUNTRIES
    )
    assert list(xml_export.MARK_CURRENT_STATUS_CODES) == enumeration("st66.xsd", "MarkCurrentStatusCodeType")
    codes = xml_export.ST66_STATUS_CODES
    assert codes.code("Registered", "Registered", "1") == "Registration published"
    assert codes.code("Pending", "Filed", None) == "Application Filed"
    assert codes.code("Pending", "Published", None) == "Application published"
    assert codes.code("Ended", "Withdrawn", None) == "Application withdrawn"
    assert codes.code("Ended", "Surrendered", "7") == "Registration surrendered"
    assert (
        codes.code("Ended", "Suspended", "7") == "Registration cancelled"
    )  # no ST.66 word for it: registered, so cancelled
    assert codes.code("Ended", "Suspended", None) == "Application withdrawn"
    # an office table filing "Published" as Registered: the category wins over the word
    assert codes.code("Registered", "Published", "7") == "Registration published"
    assert codes.code("Unknown", "Whatever", None) is None


# --- ST.86 ---------------------------------------------------------------------------------


def mapping_table() -> tuple[dict[str, str], dict[str, list[str]]]:
    """The ST.86 column of WIPO's ST.86 → ST.96 table: {XPath or Type/path: its type}, and the
    code lists ({"TransactionCode": [...], "DesignCurrentStatusCode": [...]})."""
    doc = etree.parse(str(MAPPING), etree.HTMLParser(no_network=True, remove_comments=True))
    types: dict[str, str] = {}
    codes: dict[str, list[str]] = {}
    current = None
    for row in doc.iter("tr"):
        cells = [" ".join(text_of(c).split()) for c in row.findall("td")]
        if len(cells) < 2:
            continue
        first = cells[0].split("/")[0]
        if cells[0].startswith("input"):
            current = re.findall(r"\.(\w+)\)", cells[0])[0]
            codes[current] = []
        elif first == "Transaction" or first.endswith("Type"):
            types[cells[0]] = cells[1].split(" ")[0]
            current = None
        elif current and cells[0] != "From":
            codes[current].append(cells[0])
    return types, codes


def in_table(path: str, types: dict[str, str], bases: dict[str, list[str]]) -> bool:
    """Listed, or reachable through a listed ancestor's type: the table spells out a type's
    content once (under its first path, or as `XType/...` rows), not under every path using it."""
    todo, seen = [path], {path}
    while todo:
        current = todo.pop()
        if current in types:
            return True
        parts = current.split("/")
        for k in range(1, len(parts)):
            rest = "/".join(parts[k:])
            for base in bases.get(types.get("/".join(parts[:k]), ""), ()):
                candidate = f"{base}/{rest}"
                if candidate not in seen:
                    seen.add(candidate)
                    todo.append(candidate)
    return False


def tree_paths(collection: str) -> set[str]:
    """Element paths of reference/formats/designs/<collection>.tree (real deliveries' shape)."""
    stack: list[str] = []
    paths = set()
    for line in (DESIGN_TREES / f"{collection}.tree").read_text().splitlines():
        m = re.match(r"(_*)/([A-Za-z]+)", line)
        if m:
            depth = len(m[1]) // 2
            stack[depth:] = [m[2]]
            paths.add("/".join(stack))
    return paths


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def emitted_paths(root) -> set[str]:
    """Path of every leaf element and every attribute of the document."""
    paths = set()
    for elem in root.iter():
        path = "/".join(local(e.tag) for e in reversed([elem, *elem.iterancestors()]))
        if len(elem) == 0:
            paths.add(path)
        paths.update(f"{path}/@{name}" for name in elem.attrib)
    return paths


def design(**values) -> dict:
    record: dict[str, Any] = dict(empty_record("designs"))
    record.update(office="KH", collection="khid", **values)
    return record


BOTTLE = {
    "st13": "KH702022000000245",
    "application_number": "KH/D/2022/000245",
    "application_date": D(2022, 3, 9),
    "designated_countries": ["KH"],
}
DESIGNS = [
    design(
        **BOTTLE,
        design_number="1",
        registration_number="000245",
        registration_date=D(2023, 1, 20),
        expiry_date=D(2027, 3, 9),
        publication_date=D(2023, 2, 28),
        status="Registered",
        office_status="Registered",
        status_date=D(2023, 1, 20),
        product_indication="Bottle",
        product_indication_language="en",
        locarno_classes=["09-01"],
        locarno_edition="13",
        applicants=[
            {"name": "Angkor Beverages Co., Ltd.", "country_code": "KH", "address": "No. 12, Street 271, Phnom Penh"}
        ],
        designers=[{"name": "SOK Dara", "country_code": "KH", "address": "Siem Reap"}],
        representatives=[
            {"name": "Mekong IP Law Office", "country_code": "KH", "address": "No. 5, Preah Norodom Blvd, Phnom Penh"}
        ],
        priorities=[{"country_code": "TH", "number": "2101001234", "date": D(2021, 10, 1)}],
        representation_uris=["KHD2022000245-1.jpg"],
    ),
    design(
        **BOTTLE,
        design_number="2",
        status="Ended",
        office_status="Withdrawn",
        status_date=D(2022, 11, 4),
        product_indication="Bottle cap",
        product_indication_language="en",
        locarno_classes=["09-07"],
        locarno_edition="13",
        applicants=[
            {"name": "Angkor Beverages Co., Ltd.", "country_code": "KH", "address": "No. 12, Street 271, Phnom Penh"}
        ],
    ),
    design(
        st13="KH702023000000512",
        application_number="KH/D/2023/000512",
        application_date=D(2023, 5, 2),
        design_number="1",
        status="Pending",
        office_status="Published",
        product_indication="Rice cooker",
        locarno_classes=["07-02", "07-04"],
        applicants=[{"name": "Tonle Home Appliances", "country_code": None, "address": "Kampong Cham"}],
        designated_countries=["KH", "TH"],
    ),
]
KHID = CollectionRules(collection="khid", office="KH", st13=ST13Rule("KH", "70", (r"KH/D/\d*/(\d*)",)))


def test_st86_export_groups_designs_by_application_on_the_mapping_tables_paths():
    out = io.BytesIO()
    assert write_st86(DESIGNS, out) == 2
    root = parse(io.BytesIO(out.getvalue())).getroot()
    applications = list(root.iter(f"{DS}DesignApplication"))
    assert [a.findtext(f"{DS}DesignApplicationNumber") for a in applications] == [
        "KH/D/2022/000245",
        "KH/D/2023/000512",
    ]
    assert [[d.findtext(f"{DS}DesignIdentifier") for d in a.iter(f"{DS}Design")] for a in applications] == [
        ["1", "2"],
        ["1"],
    ]
    first = child(applications[0], f"{DS}DesignDetails/{DS}Design")
    assert (
        first.findtext(f"{DS}DesignTitle") == "Bottle" and child(first, f"{DS}DesignTitle").get("languageCode") == "en"
    )
    assert [c.text for c in first.iter(f"{DS}ClassNumber")] == ["09-01"]
    assert [d.findtext(f"{DS}DesignCurrentStatusCode") for d in root.iter(f"{DS}Design")] == [
        "Registered",
        "Withdrawn",
        "Filed",
    ]

    types, codes = mapping_table()
    bases: dict[str, list[str]] = {}  # named complex type → the paths spelling out its content
    for path, type_ in types.items():
        if type_.endswith("Type") and type_ != "anyType":
            bases.setdefault(type_, []).append(path)
    for type_, spelled_under in bases.items():
        if any(p.startswith(f"{type_}/") for p in types):
            spelled_under.append(type_)
    paths = emitted_paths(root)
    outside = {p for p in paths if not in_table(p, types, bases)}
    application = (
        "Transaction/DesignTransactionBody/TransactionContentDetails/TransactionData/"
        "DesignApplicationDetails/DesignApplication/"
    )
    design_ = application + "DesignDetails/Design/"
    # what the table leaves out but IPAS offices' real ST.86 deliveries have (khid.tree, sgid.tree)
    assert outside == {
        application + "DesignApplicationNumber",
        application + "DesignatedCountryDetails/DesignatedCountry/DesignatedCountryCode",
        design_ + "IndicationProductDetails/IndicationProduct/ClassificationKindCode",
        design_ + "IndicationProductDetails/IndicationProduct/ClassDescriptionDetails/ClassDescription/ClassNumber",
        design_ + "DesignRepresentationSheetDetails/DesignRepresentationSheet/RepresentationSheetFilename",
        *(
            design_ + f"{r}Details/{r}/{r}AddressBook/FormattedNameAddress/Address/AddressCountryCode"
            for r in ("Applicant", "Designer", "Representative")
        ),
    }
    assert outside <= tree_paths("khid") | tree_paths("sgid")
    assert {p for p in paths if p.endswith("/@languageCode")} and all(
        in_table(p, types, bases) for p in paths if "@" in p
    )

    # children in the table's order (its rows follow the schema's sequences)
    design_rows = "Transaction/DesignTransactionBody/TransactionContentDetails/TransactionData/DesignDetails/Design/"
    order = [t[len(design_rows) :].split("/")[0] for t in types if t.startswith(design_rows)]
    for elem in root.iter(f"{DS}Design"):
        positions = [order.index(local(c.tag)) for c in elem]
        assert positions == sorted(positions), [local(c.tag) for c in elem]

    assert root.findtext(f".//{DS}TransactionCode") in codes["TransactionCode"]
    assert {d.findtext(f"{DS}DesignCurrentStatusCode") for d in root.iter(f"{DS}Design")} <= set(
        codes["DesignCurrentStatusCode"]
    )
    assert set(xml_export.ST86_STATUS_CODES.words.values()) | set(
        xml_export.ST86_STATUS_CODES.categories.values()
    ) <= set(codes["DesignCurrentStatusCode"])


def test_st86_export_reads_back_to_the_records():
    out = io.BytesIO()
    write_st86(DESIGNS, out)
    rows = [
        row
        for record in st86_connector.iter_office_records(io.BytesIO(out.getvalue()))
        for row in st86_transform.to_canonical(record, KHID, D(2026, 1, 1))
    ]
    assert [{k: v for k, v in r.items() if k not in NOT_EXPORTED} for r in rows] == [
        {k: v for k, v in r.items() if k not in NOT_EXPORTED} for r in DESIGNS
    ]
    assert [r["status"] for r in rows] == ["Registered", "Ended", "Pending"]
