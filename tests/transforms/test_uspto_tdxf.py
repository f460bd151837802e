"""USPTO daily XML (TDXF) → canonical trademark records, through normalize_file.

Expected values are read from samples/mirror/ustm/apc170216-sample.xml (real) and
tests/fixtures/ustm/case-files.xml (written from USPTO's DTD v2.0 documentation, not real), or
follow from a rule of that documentation (page cited). Each assertion names its source.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest

from connectors.records import TdxfRecord
from connectors.uspto_tdxf import iter_office_records
from ipetl.collections.uspto import COLLECTIONS
from tests.conftest import FIXTURES, clean_rows, sample
from transforms.records import TrademarkRecord
from transforms.uspto_tdxf import FORMAT, to_canonical

D = dt.date
USTM = next(c for c in COLLECTIONS if c.id == "ustm")
RULES = USTM.rules()
FIXTURE = FIXTURES / "ustm" / "case-files.xml"


def normalize(path, tmp_path) -> list[dict]:
    return clean_rows(path, FORMAT, RULES, tmp_path)


@pytest.fixture(scope="module")
def rows(tmp_path_factory) -> dict[str, dict]:
    return {r["application_number"]: r for r in normalize(FIXTURE, tmp_path_factory.mktemp("spool"))}


@pytest.fixture(scope="module")
def office_records() -> dict[str | None, TdxfRecord]:
    with open(FIXTURE, "rb") as stream:
        return {r["serial-number"]: r for r in iter_office_records(stream)}


def variant(office_records, serial: str, **header) -> TrademarkRecord:
    """A fixture record with some header elements rewritten, mapped."""
    record = copy.deepcopy(office_records[serial])
    record["header"].update(header)
    return to_canonical(record, RULES, D(2026, 1, 1))


def test_collection_declaration():
    assert (USTM.office, USTM.kind, USTM.format.name, USTM.schedule) == ("US", "trademark", "uspto-tdxf", "@daily")
    # the Open Data Portal's products: the annual backfile, then the daily applications
    assert (USTM.source.kind, USTM.source.products, USTM.source.pattern) == (
        "product-api",
        ("TRTYRAP", "TRTDXFAP"),
        "apc*",
    )
    # a backfile part is dated by the end of the year it covers and ordered by its part number;
    # a daily file by its day
    assert USTM.delivery_order(Path("apc18840407-20241231-03.zip")) == (D(2024, 12, 31), 3)
    assert USTM.delivery_order(Path("apc250102.zip")) == (D(2025, 1, 2), 0)
    # reference/vocab/brands-office-code-maps.json ustm.status_map: 167 codes
    assert len(USTM.status) == 167
    assert (USTM.status["700"], USTM.status["626"], USTM.status["602"]) == ("Registered", "Delete", "Ended")


def test_real_sample_backfile_registration(tmp_path):
    [r] = normalize(sample("ustm"), tmp_path)
    # <serial-number>60000001, no <filing-date>: ST.13 without a year
    assert r["st13"] == "US500000060000001"
    assert (r["office"], r["collection"], r["application_number"]) == ("US", "ustm", "60000001")
    assert r["application_date"] is None
    assert r["registration_number"] == "0000001"
    assert r["registration_date"] == D(1870, 10, 25)  # <registration-date>18701025
    # <status-code>626 REGISTERED - BACKFILE CANCELLED OR EXPIRED: "Delete" in ustm.status_map
    assert (r["status"], r["office_status"], r["status_date"]) == ("Delete", "626", D(2005, 10, 11))
    assert r["mark_feature"] == "Undefined"  # <mark-drawing-code> </mark-drawing-code>
    assert r["kind"] == ["Individual"]  # every mark type indicator is F
    assert r["mark_text"] is None and r["nice_classes"] == [] and r["applicants"] == []
    # no <renewal-date>: the first term of an 1870 registration, 30 years (Act of 1870)
    assert r["expiry_date"] == D(1900, 10, 25)
    assert r["source_file"] == "apc170216-sample.xml"
    assert r["source_sha256"].startswith("ed2251394225012c")  # SOURCES.md


def test_renewed_registration_with_a_new_owner(rows):
    r = rows["75123456"]
    assert r["st13"] == "US501996075123456"  # US 50 + <filing-date>1996... + serial padded
    assert (r["application_date"], r["registration_number"], r["registration_date"]) == (
        D(1996, 4, 2),
        "2087654",
        D(1997, 8, 12),
    )
    assert (r["status"], r["office_status"]) == ("Registered", "800")  # 800 REGISTERED AND RENEWED
    assert r["expiry_date"] == D(2027, 8, 12)  # <renewal-date>20170812 + 10 years (p. 15)
    assert r["publication_date"] == D(1997, 5, 20)  # <published-for-opposition-date>
    assert r["termination_date"] is None  # <cancellation-date>00000000
    assert r["mark_feature"] == "Word"  # <mark-drawing-code>1000: typeset word(s) (p. 7)
    assert r["mark_text"] == "NORTHWIND NAVIGATOR"
    assert r["kind"] == ["Individual"]
    assert r["nice_classes"] == [9, 42]
    assert r["goods_services"] == [  # GS0091, GS0421; the D10000 disclaimer is not goods
        {"class_number": 9, "language": "en", "text": "Computer software for route planning and marine navigation"},
        {
            "class_number": 42,
            "language": "en",
            "text": "Computer services, namely, updating nautical charts for others",
        },
    ]
    # party-type 10 (original applicant) and 40 (new owner after registration): the latter holds it
    assert r["applicants"] == [
        {"name": "Blue Meridian Holdings LLC", "country_code": "US", "address": "500 Canal Street, Boston, MA, 02114"}
    ]
    assert r["representatives"] == [{"name": "Margaret A. Holloway", "country_code": None, "address": None}]
    assert r["priorities"] == [] and r["international_registration"] is None


def test_madrid_extension_79_series(rows):
    r = rows["79234567"]
    assert r["st13"] == "US502018079234567"
    assert r["international_registration"] == "1398765"  # <international-registration-number>
    # <international-renewal-date>20280314: the date by which the IR must be renewed (p. 34)
    assert r["expiry_date"] == D(2028, 3, 14)
    assert r["status"] == "Registered"  # 700
    assert r["mark_feature"] == "Combined"  # 3T08: design with word(s)
    assert r["vienna_codes"] == ["01.03.01", "01.15.03"]  # <design-search><code>010301, 011503
    assert r["nice_classes"] == [30, 32]
    assert [g["class_number"] for g in r["goods_services"]] == [30, 32]  # DM0000 and TR0000 left out
    # owners of party type 10 and 30 are the same company: the registrant (30) is kept
    assert r["applicants"] == [
        {
            "name": "Sonnenfeld Getränke GmbH",
            "country_code": "DE",
            "address": "Hauptstraße 17, Freiburg im Breisgau, 79098",
        }
    ]
    assert r["priorities"] == [{"country_code": "DE", "number": "302017123456", "date": D(2017, 10, 2)}]
    assert r["representatives"] == []


def test_pending_collective_mark_with_priority(rows):
    r = rows["78901234"]
    assert r["registration_number"] is None  # <registration-number>0000000
    assert (r["status"], r["status_date"]) == ("Pending", D(2020, 3, 10))  # 686 PUBLISHED FOR OPPOSITION
    assert r["expiry_date"] is None
    assert r["kind"] == ["Collective"]  # <collective-trademark-in>T
    assert r["mark_feature"] == "Stylized characters"  # 5T10
    # <nationality><other>NSC: Table 2C, a third character C is a region of Canada
    assert r["applicants"][0]["country_code"] == "CA"
    assert r["applicants"][0]["address"] == "44 Harbour Road, Lunenburg, Nova Scotia, B0J 2C0"
    # two foreign applications; only the one with <foreign-priority-claim-in>T is a priority
    assert r["priorities"] == [{"country_code": "CA", "number": "1923456", "date": D(2018, 10, 15)}]
    assert [p["name"] for p in r["representatives"]] == ["Eleanor Vance", "Jonas P. Whitcomb"]  # attorney, domestic rep


def test_abandoned_membership_mark(rows):
    r = rows["76555123"]
    assert (r["status"], r["office_status"]) == ("Ended", "602")
    assert r["termination_date"] == D(2004, 1, 12)  # <abandonment-date>20040112
    assert r["kind"] == ["Membership"]  # <collective-membership-mark-in>T
    assert r["mark_feature"] == "Figurative"  # 2T11: design only
    assert r["mark_text"] is None  # no <mark-identification>
    assert r["nice_classes"] == []  # <international-code>200 is collective membership, not Nice (p. 26)
    assert r["goods_services"] == [
        {
            "class_number": None,
            "language": "en",
            "text": "Indicating membership in an association of amateur astronomers",
        }
    ]
    # <nationality><state>CA is California (Table 2A), not Canada
    assert r["applicants"][0]["country_code"] == "US"
    assert r["vienna_codes"] == ["01.01.08", "01.09.01", "26.01.01"]


def test_pre_1973_registration_classes_goods_by_primary_code(rows):
    r = rows["72012345"]
    assert r["st13"] == "US501958072012345"
    assert r["nice_classes"] == [25]  # <international-code>025
    # GS0391 names US class 039, the <primary-code> of the classification whose Nice class is 025
    assert r["goods_services"] == [
        {"class_number": 25, "language": "en", "text": "Men's and women's raincoats and oilskin jackets"}
    ]
    assert r["expiry_date"] == D(2030, 7, 12)  # <renewal-date>20200712 + 10 years
    assert [a["name"] for a in r["applicants"]] == ["Coastal Apparel Group, Inc."]  # party-type 41 after 30
    # the madrid-international-filing-record (IR 1256789) is a request with this mark as its
    # basis: the US record designates no international registration
    assert r["international_registration"] is None


@pytest.mark.parametrize(
    "code, status",
    [
        ("000", "Delete"),  # ustm.status_map: 000 UNKNOWN → Delete
        ("622", "Unknown"),  # MISASSIGNED SERIAL NUMBER → "Other", outside the contract's five
        ("999", "Unknown"),  # not in the map
        ("900", "Expired"),
        ("710", "Ended"),  # CANCELLED - SECTION 8
    ],
)
def test_status_categories(office_records, code, status):
    assert variant(office_records, "75123456", **{"status-code": code})["status"] == status


def test_expired_registration_ends_on_its_cancellation_date(office_records):
    r = variant(office_records, "75123456", **{"status-code": "710", "cancellation-date": "20080101"})
    assert r["termination_date"] == D(2008, 1, 1)


def test_renewal_before_november_1989_runs_twenty_years(office_records):
    # p. 15: a renewal dated before 1989-11-16 is for 20 years, a later one for 10
    assert variant(office_records, "72012345", **{"renewal-date": "19800712"})["expiry_date"] == D(2000, 7, 12)
    assert variant(office_records, "72012345", **{"renewal-date": "19891116"})["expiry_date"] == D(1999, 11, 16)


@pytest.mark.parametrize(
    "header, feature",
    [
        ({"mark-drawing-code": "6000"}, "Other"),  # no drawing possible, such as sound (p. 7)
        ({"mark-drawing-code": "4000"}, "Word"),  # standard character mark
        ({"drawing-3d-current-in": "T"}, "Three dimensional"),  # three-dimensional drawing (p. 15)
    ],
)
def test_mark_features(office_records, header, feature):
    assert variant(office_records, "76555123", **header)["mark_feature"] == feature


def test_certification_mark(office_records):
    r = variant(office_records, "78901234", **{"collective-trademark-in": "F", "certification-mark-in": "T"})
    assert r["kind"] == ["Certificate"]


@pytest.mark.parametrize(
    "nationality, country",
    [
        ({"country": "DEX"}, "DE"),  # Table 2B writes countries with an X suffix
        ({"other": "GB2"}, "GB"),  # Table 2C: ENGLAND, a region of GB
        ({"other": "USN"}, "US"),  # Table 2C: U.S. NAVY, a government agency
        ({"country": "XP"}, None),  # XPX NOT PROVIDED is no ST.3 code
    ],
)
def test_owner_country_codes(office_records, nationality, country):
    record = copy.deepcopy(office_records["78901234"])
    record["owners"][0]["nationality"] = nationality
    assert to_canonical(record, RULES, D(2026, 1, 1))["applicants"][0]["country_code"] == country


def test_a_registration_never_renewed_runs_its_statutory_first_term(office_records):
    # <registration-date>19600712 and no renewal: 20 years under the Lanham Act
    assert variant(office_records, "72012345", **{"renewal-date": None})["expiry_date"] == D(1980, 7, 12)
    # registered from 1989-11-16 on: 10 years (15 U.S.C. 1058)
    assert variant(office_records, "72012345", **{"renewal-date": None, "registration-date": "19950301"})[
        "expiry_date"
    ] == D(2005, 3, 1)
