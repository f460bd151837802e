"""IP Australia's TMEXTRACT → canonical records, on tests/fixtures/autm/ (written from
reference/formats/brands/autm.tree); each expected value names the element it was read from."""

from __future__ import annotations

import datetime as dt

from ipetl.collections.national import AUTM
from tests.conftest import fixture_row

D = dt.date


def test_a_registered_word_and_device_mark(tmp_path):
    r = fixture_row(AUTM, "1987654.xml", tmp_path)
    assert (r["st13"], r["application_number"], r["application_date"]) == (
        "AU502019001987654",
        "1987654",
        D(2019, 1, 15),
    )
    # BASSTA "Registered: Registered/Protected": registered under the application number, BASREGD
    assert (r["status"], r["office_status"]) == ("Registered", "Registered: Registered/Protected")
    assert (r["registration_number"], r["registration_date"], r["expiry_date"]) == (
        "1987654",
        D(2019, 8, 22),
        D(2029, 1, 15),  # BASREND
    )
    assert r["publication_date"] == D(2019, 2, 7)  # PUBAPPD
    assert r["mark_feature"] == "Combined"  # TYPMARI "Word, Device"
    assert r["kind"] == ["Individual"]  # OTHTMDET/TYPMARI "Trade"
    assert (r["mark_text"], r["mark_text_language"]) == ("KOOKABURRA COFFEE", "en")  # MARDESC, ORIGLAN EN
    assert r["nice_classes"] == [30, 43]
    assert r["goods_services"][1] == {"class_number": 43, "language": "en", "text": "Cafe services"}
    assert r["priorities"] == [{"country_code": "NZ", "number": "1101234", "date": D(2018, 9, 20)}]
    # APCTADD is listed twice under NAML8 40123: one applicant; NAML6, ADDRL6 and POSTCDE
    assert r["applicants"] == [
        {"name": "Kookaburra Roasters Pty Ltd", "country_code": "AU", "address": "12 Wattle Street BRISBANE QLD 4000"}
    ]
    assert [p["name"] for p in r["representatives"]] == ["Banksia IP"]  # SRVCADD


def test_a_refused_certification_device_mark_of_an_international_registration(tmp_path):
    r = fixture_row(AUTM, "2101234.xml", tmp_path)
    assert (r["status"], r["registration_number"], r["registration_date"]) == ("Ended", None, None)
    assert r["kind"] == ["Certificate"]  # OTHTMDET/TYPMARI "Certification"
    assert (r["mark_feature"], r["mark_text"]) == ("Figurative", None)  # TYPMARI "Device", no MARDESC
    assert r["international_registration"] == "1543210"  # INTREGG/INTREGN
    assert r["applicants"][0]["name"] == "Linh Nguyen"  # NAML4 then NAML3
