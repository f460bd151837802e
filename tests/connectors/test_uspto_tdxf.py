"""USPTO daily XML (TDXF) case-files → office records.

Expected values are read from samples/mirror/ustm/apc170216-sample.xml (real) and
tests/fixtures/ustm/case-files.xml (written from USPTO's DTD v2.0 documentation, not real);
each assertion names the element it comes from.
"""

from __future__ import annotations

import io

import pytest

from connectors.records import TdxfRecord
from connectors.uspto_tdxf import iter_office_records
from connectors.xml import DeliveryError
from tests.conftest import FIXTURES, sample


def read(path) -> list[TdxfRecord]:
    with open(path, "rb") as stream:
        return list(iter_office_records(stream))


@pytest.fixture(scope="module")
def fixture_records() -> dict[str | None, TdxfRecord]:
    return {r["serial-number"]: r for r in read(FIXTURES / "ustm" / "case-files.xml")}


def test_real_sample_1870_registration():
    [r] = read(sample("ustm"))
    assert r["serial-number"] == "60000001"  # <serial-number>60000001
    assert r["registration-number"] == "0000001"  # <registration-number>0000001
    assert r["transaction-date"] == "20051107"  # <transaction-date>20051107
    header = r["header"]
    assert header["registration-date"] == "18701025"
    assert header["status-code"] == "626"
    assert header["status-date"] == "20051011"
    assert header["mark-drawing-code"] is None  # <mark-drawing-code> </mark-drawing-code>: one space
    assert "filing-date" not in header and "mark-identification" not in header  # neither element is there
    assert header["certification-mark-in"] == "F" and header["collective-membership-mark-in"] == "F"
    assert r["correspondent"] == []  # <correspondent />
    assert r["owners"] == [] and r["classifications"] == [] and r["statements"] == []
    assert r["international-registration"] is None


def test_fixture_has_five_case_files_over_three_action_keys(fixture_records):
    # <action-keys> TX (2 case-files), NA (2), IB (1)
    assert list(fixture_records) == ["75123456", "79234567", "78901234", "76555123", "72012345"]


def test_header_statements_and_classifications(fixture_records):
    r = fixture_records["75123456"]
    assert r["header"]["filing-date"] == "19960402"
    assert r["header"]["mark-identification"] == "NORTHWIND NAVIGATOR"
    assert r["header"]["renewal-date"] == "20170812"
    assert r["header"]["attorney-name"] == "Margaret A. Holloway"
    # <case-file-statement>s in order: D10000 disclaimer, GS0091, GS0421
    assert r["statements"] == [
        ("D10000", '"NAVIGATOR"'),
        ("GS0091", "Computer software for route planning and marine navigation"),
        ("GS0421", "Computer services, namely, updating nautical charts for others"),
    ]
    # <classification>: <international-code>009 ... <primary-code>009; the US codes are not kept
    assert r["classifications"] == [
        {"international-code": ["009"], "primary-code": "009"},
        {"international-code": ["042"], "primary-code": "042"},
    ]
    assert r["prior-registrations"] == [{"relationship-type": "0", "number": "1876543"}]
    assert r["correspondent"] == [
        "MARGARET A. HOLLOWAY",
        "HOLLOWAY & REED LLP",  # written HOLLOWAY &amp; REED LLP
        "200 HARBOR STREET, SUITE 12",
        "PORTLAND ME 04101",
    ]


def test_owners_keep_party_type_nationality_and_address(fixture_records):
    original, current = fixture_records["75123456"]["owners"]
    assert original["party-type"] == "10" and original["party-name"] == "Northwind Charts Inc."
    assert current["party-type"] == "40"
    assert current["nationality"] == {"state": "DE"}  # <nationality><state>DE (Delaware)
    assert (current["address-1"], current["city"], current["state"], current["postcode"]) == (
        "500 Canal Street",
        "Boston",
        "MA",
        "02114",
    )
    [association] = fixture_records["78901234"]["owners"]
    assert association["nationality"] == {"other": "NSC"}  # <nationality><other>NSC (Nova Scotia)
    assert "country" not in association


def test_madrid_extension_international_registration(fixture_records):
    r = fixture_records["79234567"]
    ir = r["international-registration"]
    assert ir["international-registration-number"] == "1398765"
    assert ir["international-renewal-date"] == "20280314"
    assert ir["priority-claimed-date"] == "20171002"
    assert r["design-codes"] == ["010301", "011503"]  # <design-search><code>
    assert r["foreign-applications"] == [
        {
            "filing-date": "20171002",
            "entry-number": "001",
            "application-number": "302017123456",
            "country": "DE",
            "foreign-priority-claim-in": "T",
        }
    ]
    assert r["owners"][0]["party-name"] == "Sonnenfeld Getränke GmbH"  # UTF-8 kept


def test_madrid_filing_request_without_its_history(fixture_records):
    [filing] = fixture_records["72012345"]["madrid-filings"]
    assert filing["international-registration-number"] == "1256789"
    assert filing["international-status-code"] == "480"
    assert "madrid-history-events" not in filing


def test_file_without_data():
    # p. 1: <data-available-code>N when no trademark data is present
    xml = b"""<trademark-applications-daily><version><version-no>2.0</version-no>
      <version-date>20041108</version-date></version><application-information>
      <data-available-code>N</data-available-code></application-information></trademark-applications-daily>"""
    assert list(iter_office_records(io.BytesIO(xml))) == []


def test_truncated_file_is_a_delivery_error():
    data = (FIXTURES / "ustm" / "case-files.xml").read_bytes()
    with pytest.raises(DeliveryError, match="not well-formed"):
        list(iter_office_records(io.BytesIO(data[: len(data) // 2])))
