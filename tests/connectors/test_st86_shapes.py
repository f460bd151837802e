"""The ST.86 shapes IPAS offices deliver (reference/formats/designs/*.tree) and the design
collections registered for them. The fixtures under tests/fixtures/<collection>/ were written
from those trees (each says so in its header) and are not real deliveries."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from connectors.records import St86Application
from connectors.st86 import iter_office_records
from connectors.xml import local
from ipetl.collections.designs import COLLECTIONS
from tests.conftest import FIXTURES, ROOT

TREES = ROOT / "reference" / "formats" / "designs"
FIXTURE_TREES = {
    "khid": "khid-designs.xml",
    "idid": "idid-designs.xml",
    "sgid": "sgid-designs.xml",
    "thid": "thid-designs.xml",
}


def records(collection: str) -> list[St86Application]:
    with open(FIXTURES / collection / FIXTURE_TREES[collection], "rb") as stream:
        return list(iter_office_records(stream))


def tree_paths(tree: Path) -> set[str]:
    """The paths a .tree lists: `/Transaction`, `__/DesignTransactionBody` ... (two underscores per level)."""
    stack: list[str] = []
    paths = set()
    for line in tree.read_text(encoding="utf-8").splitlines():
        if not line.startswith(("/", "_")):
            continue
        depth = (len(line) - len(line.lstrip("_"))) // 2
        stack = stack[:depth] + [line.lstrip("_/")]
        paths.add("/".join(stack))
    return paths


def fixture_paths(path: Path) -> set[str]:
    """The same notation for a fixture: every element path, and path[@attribute=value]."""
    found = set()

    def walk(elem, prefix: str) -> None:
        here = f"{prefix}/{local(elem.tag)}" if prefix else local(elem.tag)
        found.add(here)
        found.update(f"{here}[@{k}={v}]" for k, v in elem.attrib.items())
        for child in elem:
            if isinstance(child.tag, str):
                walk(child, here)

    walk(etree.parse(str(path)).getroot(), "")
    return found


def test_every_ipas_design_tree_is_the_st86_shape_and_registered():
    st86 = sorted(
        t.stem
        for t in TREES.glob("*.tree")
        if tree_paths(t)
        >= {
            "Transaction/DesignTransactionBody/TransactionContentDetails/TransactionData/DesignApplicationDetails/DesignApplication/DesignDetails/Design/DesignIdentifier",
            "Transaction/DesignTransactionBody/TransactionContentDetails/TransactionData/DesignApplicationDetails/DesignApplication/DesignApplicationNumber",
        }
    )
    # the 18 collections designs-office-code-maps.json lists; woid (Hague) and xxid (a template) are not ST.86
    assert st86 == [
        "alid",
        "bnid",
        "bwid",
        "crid",
        "cuid",
        "egid",
        "idid",
        "joid",
        "keid",
        "khid",
        "laid",
        "mnid",
        "myid",
        "phid",
        "sgid",
        "thid",
        "tnid",
        "vnid",
    ]
    registered = sorted(c.id for c in COLLECTIONS if c.format.name == "st86")
    assert registered == st86


def test_fixtures_use_only_elements_of_their_collections_tree():
    for collection, name in FIXTURE_TREES.items():
        extra = fixture_paths(FIXTURES / collection / name) - tree_paths(TREES / f"{collection}.tree")
        assert not extra, (collection, sorted(extra))


def test_one_record_per_application_with_its_designs_in_order():
    # sgid-designs.xml: one DesignApplication, <TotalDesign>3</TotalDesign>, DesignIdentifier 1, 2, 3
    [application] = records("sgid")
    assert application["ApplicationNumber"] == "30201900321Y"  # <DesignApplicationNumber>
    assert application["DesignApplicationDate"] == "2019-05-20"
    assert [d["DesignIdentifier"] for d in application["designs"]] == ["1", "2", "3"]
    assert [d["DesignCurrentStatusCode"] for d in application["designs"]] == ["Registered", "Registered", "Withdrawn"]
    # <IndicationProductDescription> differs per design; <DesignTitle languageCode="en">LAMP</DesignTitle> does not
    assert [d["product_indications"] for d in application["designs"]] == [
        [(None, "Table lamp")],
        [(None, "Floor lamp")],
        [(None, "Wall lamp")],
    ]
    assert application["designs"][0]["titles"] == [("en", "LAMP")]
    assert application["designated_countries"] == [
        "SG"
    ]  # DesignatedCountryDetails/DesignatedCountry/DesignatedCountryCode


def test_key_only_application_applicants_are_not_parties():
    # sgid: DesignApplication/ApplicantDetails/ApplicantKey/Identifier APP-88123 points at the
    # designs' own Applicant (ApplicantIdentifier APP-88123)
    [application] = records("sgid")
    assert application["applicants"] == []
    [applicant] = application["designs"][0]["applicants"]
    assert applicant["name"] == "Lumen Works Pte. Ltd."
    assert applicant["identifier"] == "APP-88123"
    # no AddressCountryCode in sgid addresses: the country is ApplicantIncorporationCountryCode
    assert applicant["country"] == "SG"
    assert applicant["address"] == "10 Kallang Avenue #05-11, Singapore 339510"


def test_locarno_rows_keep_kind_and_edition():
    # khid: IndicationProduct/ClassificationKindCode Locarno, ClassificationVersion 13, ClassNumber 0901
    first, second = records("khid")
    assert first["designs"][0]["classifications"] == [("Locarno", "13", "0901")]
    assert first["designs"][0]["product_descriptions"] == [(None, "Bottles")]  # ClassDescription/ProductDescription
    assert second["designs"][0]["classifications"] == [("Locarno", "14", "06-01")]


def test_titles_keep_their_language_and_events_their_codes():
    # thid: <DesignTitle languageCode="th">ขวดน้ำ</DesignTitle><DesignTitle sequenceNumber="1">Water bottle</DesignTitle>
    [application] = records("thid")
    design = application["designs"][0]
    assert design["titles"] == [("th", "ขวดน้ำ"), (None, "Water bottle")]
    [event] = design["events"]
    assert (event["DesignEventCode"], event["DesignEventDate"], event["OfficeSpecificDesignEventCode"]) == (
        "Registered",
        "2020-06-30",
        "REG",
    )
    # the Thai name line comes first, so the party's name is the Thai one
    assert design["applicants"][0]["name"] == "บริษัท สยามพลาสติก จำกัด"
    assert design["representation_sheets"] == ["1902000321-01.jpg"]
