"""IPONZ's TradeMarkInformationResponse → canonical records, on tests/fixtures/nztm/ (written
from reference/formats/brands/nztm.tree), read by the ST.66 connector; each expected value names
the element it was read from."""

from __future__ import annotations

import datetime as dt

from ipetl.registry import COLLECTIONS
from tests.conftest import FIXTURES, fixture_row, normalized

D = dt.date
NZTM = COLLECTIONS["nztm"]


def test_a_registered_word_and_figurative_mark(tmp_path):
    r = fixture_row(NZTM, "1023456.xml", tmp_path)
    assert (r["st13"], r["application_number"], r["application_date"]) == (
        "NZ502015001023456",
        "1023456",
        D(2015, 6, 30),
    )
    # MarkCurrentStatusCode "Registered": registered under the application number (no RegistrationNumber)
    assert (r["status"], r["status_date"]) == ("Registered", D(2016, 1, 14))
    assert (r["registration_number"], r["registration_date"], r["expiry_date"]) == (
        "1023456",
        D(2016, 1, 14),
        D(2025, 6, 30),
    )
    assert r["mark_feature"] == "Combined"  # MarkFeatureDetails: MarkFeature Word and Figurative
    # WordMarkDetails/WordMarkSpecification/MarkVerbalElementText
    assert (r["mark_text"], r["mark_text_language"]) == ("KIWI TRAIL", "en")
    assert r["kind"] == ["Individual"]  # KindMark
    assert r["vienna_codes"] == ["03.07.01"]  # CategoryCode 030701
    # FreeFormatNameLine; AddressLine, AddressSuburb, AddressCity, AddressPostcode
    assert r["applicants"] == [
        {
            "name": "Kiwi Trail Limited",
            "country_code": "NZ",
            "address": "21 Harbour View Road, Mount Victoria, Wellington, 6011",
        }
    ]
    assert [p["name"] for p in r["representatives"]] == ["Fern & Co Patent Attorneys"]
    assert r["priorities"] == [{"country_code": "AU", "number": "1698765", "date": D(2015, 3, 2)}]


def test_an_error_response_is_rejected_with_its_reason(tmp_path):
    rows, result = normalized(FIXTURES / "nztm" / "error-response.xml", NZTM.format, NZTM.rules(), tmp_path)
    assert rows == []
    # TransactionErrorCode, TransactionErrorText
    assert result.rejected == "error response 404: Trade mark 9999999 not found"
