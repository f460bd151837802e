"""USPTO TSDR case status: six marks delivered both as ST.66 and as ST.96
(samples/mirror/ustm-tsdr/<mark>-ST66.xml, -ST96.xml), normalized through formats `st66` and
`st96-trademark`; and WIPO's ST.96 V6_0 TrademarkApplication example
(samples/mirror/st96-examples/). Expected values are read from the XML files; each names the
element it comes from (ST.66 element / ST.96 element).

The TSDR records are collection `ustm` data (office US); no TSDR collection is registered, so
the collection is built here, with USPTO's tables (ipetl/collections/st96.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

from connectors import st66 as st66_connector
from ipetl.collection import Collection, Source
from ipetl.collections.st96 import USPTO_TSDR
from tests.conftest import MIRROR, clean_rows
from transforms import st66, st96_trademark
from transforms.records import Party

D = dt.date
TSDR = MIRROR / "ustm-tsdr"
MARKS = ("rn2178784", "rn2713476", "rn3886986", "sn77478018", "sn85334015", "sn87881347")
USTM_TSDR = Collection(
    id="ustm",
    office="US",
    office_name="United States Patent and Trademark Office",
    kind="trademark",
    format=st66.FORMAT,
    source=Source("local", str(TSDR), "*-ST66.xml"),
    description="USPTO TSDR case-status records (test collection).",
    **USPTO_TSDR,
)
# Everything the two formats both carry; representatives are compared without their order (ST.66
# lists attorney, correspondent, domestic representative; ST.96 the other way round).
SAME_FIELDS = (
    "st13",
    "office",
    "collection",
    "application_number",
    "application_date",
    "registration_number",
    "registration_date",
    "expiry_date",
    "termination_date",
    "publication_date",
    "status",
    "office_status",
    "status_date",
    "mark_feature",
    "kind",
    "mark_text",
    "mark_text_language",
    "nice_classes",
    "goods_services",
    "vienna_codes",
    "priorities",
    "international_registration",
    "designated_countries",
)


def normalize(path, fmt, tmp_path) -> dict:
    [row] = clean_rows(path, fmt, USTM_TSDR.rules(), tmp_path)
    return row


def pair(mark: str, tmp_path) -> tuple[dict, dict]:
    return (
        normalize(TSDR / f"{mark}-ST66.xml", st66.FORMAT, tmp_path),
        normalize(TSDR / f"{mark}-ST96.xml", st96_trademark.FORMAT, tmp_path),
    )


@pytest.mark.parametrize("mark", MARKS)
def test_both_formats_give_the_same_record(mark, tmp_path):
    from_st66, from_st96 = pair(mark, tmp_path)
    for field in SAME_FIELDS:
        assert from_st66[field] == from_st96[field], field

    def key(p: Party) -> tuple[str, str]:
        return p["name"] or "", p["address"] or ""

    assert sorted(from_st66["representatives"], key=key) == sorted(from_st96["representatives"], key=key)
    assert from_st66["st13"].startswith("US50") and from_st66["status"] != "Unknown"
    assert from_st66["applicants"] and from_st66["nice_classes"]


@pytest.mark.parametrize("mark", [m for m in MARKS if m != "rn2713476"])
def test_both_formats_give_the_same_applicants(mark, tmp_path):
    from_st66, from_st96 = pair(mark, tmp_path)
    assert from_st66["applicants"] == from_st96["applicants"]


def test_rn2713476_files_were_captured_with_different_registrant_addresses(tmp_path):
    """The one difference between the pairs is in the data: the ORIGINAL REGISTRANT (party type
    30) MySQL AB is at Oracle's address in the ST.66 file and in Uppsala in the ST.96 file."""
    from_st66, from_st96 = pair("rn2713476", tmp_path)
    # ST.66 <AddressRoom>500 Oracle Parkway ... <FormattedAddressCountryCode>US
    assert from_st66["applicants"][0] == {
        "name": "MySQL AB",
        "country_code": "US",
        "address": "500 Oracle Parkway, c/o Trademark Legal, Redwood Shores, CALIFORNIA, 94065",
    }
    # ST.96 <ns1:AddressLineText>Bangårdsgatan 8 ... <ns1:CountryCode>SE
    assert from_st96["applicants"][0] == {
        "name": "MySQL AB",
        "country_code": "SE",
        "address": "Bangårdsgatan 8, Uppsala, SE-75320",
    }
    # the earlier owners (owner at publication, owners before publication, original applicant) agree
    assert from_st66["applicants"][1:] == from_st96["applicants"][1:]
    assert [a["name"] for a in from_st66["applicants"][1:]] == [
        "MySQL AB",
        "Open Ocean AB",
        "Aktiebolaget Grundstenen 92817",
        "MySQL AB",
        "T.C.X DataKonsult AB",
    ]


@pytest.mark.parametrize("fmt, suffix", [(st66.FORMAT, "ST66"), (st96_trademark.FORMAT, "ST96")])
def test_java_registered_and_renewed(fmt, suffix, tmp_path):
    r = normalize(TSDR / f"rn2178784-{suffix}.xml", fmt, tmp_path)
    # <ApplicationNumber>74631225 / <ns1:ApplicationNumberText>74631225; <ApplicationDate>1995-02-07-05:00
    assert r["st13"] == "US501995074631225"
    assert (r["application_number"], r["application_date"]) == ("74631225", D(1995, 2, 7))
    # <RegistrationNumber>2178784; <RegistrationDate>1998-08-04-04:00 / <ns1:RegistrationDate>1998-08-04
    assert (r["registration_number"], r["registration_date"]) == ("2178784", D(1998, 8, 4))
    # <MarkCurrentStatusCode>800 (USPTO: registered and renewed); <MarkCurrentStatusDate>2008-08-11
    assert (r["status"], r["office_status"], r["status_date"]) == ("Registered", "800", D(2008, 8, 11))
    assert r["expiry_date"] is None  # neither file has an ExpiryDate
    # <MarkFeature>TYPESET WORD(S) /LETTER(S) /NUMBER(S), <ns2:MarkFeatureCode>1 (mark drawing code 1)
    assert r["mark_feature"] == "Word"
    assert r["kind"] == ["Individual"]  # <KindMark>Trademark / <ns2:MarkCategory>Trademark
    assert r["mark_text"] == "JAVA"  # <MarkVerbalElementText>JAVA
    assert r["nice_classes"] == [9]  # <ClassNumber>009 (the ST.96 Primary class 009 is the same)
    assert r["goods_services"][0]["text"].startswith("computer programs for use in developing and executing")
    assert r["publication_date"] == D(1996, 10, 8)  # <PublicationDate>1996-10-08
    # four owner entries (subsequent owner, original registrant, owner at publication, original
    # applicant): Oracle once, Sun at two addresses
    assert [(a["name"], a["country_code"]) for a in r["applicants"]] == [
        ("Oracle America, Inc.", "US"),
        ("Sun Microsystems, Inc.", "US"),
        ("Sun Microsystems, Inc.", "US"),
    ]
    assert r["applicants"][0]["address"] == "500 ORACLE PARKWAY, REDWOOD SHORES, CALIFORNIA, 94065"
    assert r["office"] == "US" and r["collection"] == "ustm"


@pytest.mark.parametrize("fmt, suffix", [(st66.FORMAT, "ST66"), (st96_trademark.FORMAT, "ST96")])
def test_ultrabook_with_italian_priority(fmt, suffix, tmp_path):
    r = normalize(TSDR / f"sn85334015-{suffix}.xml", fmt, tmp_path)
    assert r["st13"] == "US502011085334015"  # 85334015 filed 2011-05-31
    assert (r["registration_number"], r["registration_date"]) == ("4281391", D(2013, 1, 29))
    assert (r["status"], r["office_status"]) == ("Registered", "700")
    assert r["mark_feature"] == "Word"  # <MarkFeature>STANDARD CHARACTER MARK, drawing code 4
    assert r["mark_text"] == "ULTRABOOK"
    # ST.66 <PriorityCountryCode>IT <PriorityNumber>RM2011C00315, date only in
    # <PriorityExt><ns2:ForeignApplicationFilingDate>2011-05-16-04:00; ST.96 <ns1:PriorityApplicationFilingDate>
    assert r["priorities"] == [{"country_code": "IT", "number": "RM2011C00315", "date": D(2011, 5, 16)}]
    assert r["applicants"] == [
        {
            "name": "Intel Corporation",
            "country_code": "US",
            "address": "2200 Mission College Boulevard, Santa Clara, CALIFORNIA, 95052",
        }
    ]
    # the related international registration 1087917 is based on this mark; it designates none
    assert r["international_registration"] is None


@pytest.mark.parametrize("fmt, suffix", [(st66.FORMAT, "ST66"), (st96_trademark.FORMAT, "ST96")])
def test_burger_addict_pending_service_mark(fmt, suffix, tmp_path):
    r = normalize(TSDR / f"sn87881347-{suffix}.xml", fmt, tmp_path)
    assert r["st13"] == "US502018087881347"  # 87881347 filed 2018-04-17
    assert r["office"] == "US"  # the ST.96 file has no RegistrationOfficeCode: the collection's office
    # <MarkCurrentStatusCode>680 (approved for publication); no RegistrationNumber
    assert (r["status"], r["office_status"], r["status_date"]) == ("Pending", "680", D(2018, 8, 27))
    assert r["registration_number"] is None and r["registration_date"] is None
    assert r["kind"] == ["Individual"]  # <KindMark>Service Mark / <ns2:MarkCategory>Service mark
    assert (r["mark_text"], r["nice_classes"]) == ("BURGER ADDICT", [43])
    assert [(a["name"], a["country_code"]) for a in r["applicants"]] == [("Burger Addict Renton LLC", "US")]


@pytest.mark.parametrize("fmt, suffix", [(st66.FORMAT, "ST66"), (st96_trademark.FORMAT, "ST96")])
def test_haydels_design_mark_in_three_classes(fmt, suffix, tmp_path):
    r = normalize(TSDR / f"sn77478018-{suffix}.xml", fmt, tmp_path)
    # <MarkFeature>AN ILLUSTRATION DRAWING WITHOUT ANY WORDS(S)/ LETTER(S)/NUMBER(S), drawing code 2
    assert r["mark_feature"] == "Figurative"
    assert r["mark_text"] is None  # <MarkVerbalElementText/> is empty
    assert r["nice_classes"] == [14, 25, 30]  # <ClassNumber>030, 025, 014
    # 03.01.08, 03.01.24 ... are USPTO design search codes (<ns2:DesignSearchCode>,
    # <ns2:NationalDesignCode>), not Vienna codes
    assert r["vienna_codes"] == []
    assert r["status"] == "Registered"  # <MarkCurrentStatusCode>701 (Section 8 accepted)


def test_wipo_st96_v6_example(tmp_path):
    """WIPO's example is a USPTO record (com:RegistrationOfficeCode US, not a placeholder office)."""
    r = normalize(MIRROR / "st96-examples" / "TrademarkApplication_Example.xml", st96_trademark.FORMAT, tmp_path)
    # <com:ApplicationNumberText>87035559, <com:ApplicationDate>2016-05-12
    assert r["st13"] == "US502016087035559"
    assert (r["office"], r["application_number"], r["application_date"]) == ("US", "87035559", D(2016, 5, 12))
    # <com:RegistrationNumber>5169753, <com:RegistrationDate>2017-03-28
    assert (r["registration_number"], r["registration_date"]) == ("5169753", D(2017, 3, 28))
    # <tmk:MarkCurrentStatusCode>REGISTERED (a word, not a USPTO code), <tmk:MarkCurrentStatusDate>2017-03-28
    assert (r["status"], r["office_status"], r["status_date"]) == ("Registered", "REGISTERED", D(2017, 3, 28))
    assert r["mark_feature"] == "Combined"  # <tmk:MarkFeatureCode>3: design with words
    assert r["kind"] == ["Individual"]  # <tmk:MarkCategory>Trademark
    assert r["mark_text"] == "LANYI"  # <tmk:MarkVerbalElementText>
    assert r["nice_classes"] == [9]  # <tmk:ClassNumber>009 (Nice), not the Domestic 021, 023 ...
    assert r["goods_services"][0]["text"].startswith("Audio cables; Bags for cameras")
    assert r["publication_date"] == D(2017, 1, 10)  # <com:PublicationDate>
    # three listings (original applicant, owner at publication, original registrant) of one company,
    # without an address: the country is <com:IncorporationCountryCode>CN
    assert r["applicants"] == [{"name": "Shenzhen Fengniao E-Commerce Co.,Ltd", "country_code": "CN", "address": None}]
    assert r["representatives"] == [
        {"name": "IVY XU", "country_code": None, "address": None}
    ]  # tmk:NationalCorrespondent
    assert r["vienna_codes"] == []  # <tmk:NationalDesignCode>06.03.03 is a US design search code


@pytest.mark.parametrize(
    "code, status", [("626", "Delete"), ("622", "Unknown"), ("999", "Unknown"), ("900", "Expired")]
)
def test_uspto_codes_outside_the_status_categories(code, status):
    """The ustm table files 000 and 626 as Delete (a withdrawn record: a tombstone) and 622 as
    Other, which is no status category; a code it lacks is Unknown."""
    [record] = st66_connector.iter_office_records((TSDR / "rn2178784-ST66.xml").open("rb"))
    record["MarkCurrentStatusCode"] = code
    r = st66.to_canonical(record, USTM_TSDR.rules(), D(2026, 1, 1))
    assert (r["status"], r["office_status"]) == (status, code)
