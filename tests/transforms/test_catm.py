"""CIPO's ST.96 V3_0 TrademarkApplication → canonical records, on tests/fixtures/catm/ (written
from reference/formats/brands/catm.tree); each expected value names the element it was read from."""

from __future__ import annotations

import datetime as dt

from ipetl.collections.st96 import CATM
from tests.conftest import fixture_row

D = dt.date


def test_a_registered_design_mark(tmp_path):
    r = fixture_row(CATM, "catm.xml", tmp_path)
    # ST13ApplicationNumber 300000187654300: application 1876543, extension 00; ApplicationDate 2017
    assert r["application_number"] == "1876543"
    assert r["st13"] == "CA502017001876543"
    assert (r["application_date"], r["registration_number"], r["registration_date"]) == (
        D(2017, 10, 3),
        "TMA1012345",
        D(2019, 2, 21),
    )
    assert r["expiry_date"] == D(2034, 2, 21)
    # MarkCurrentStatusCode "Registration published", MarkCurrentStatusDate 2019-02-21
    assert (r["status"], r["office_status"], r["status_date"]) == (
        "Registered",
        "Registration published",
        D(2019, 2, 21),
    )
    assert r["mark_feature"] == "Combined"  # MarkFeatureCategory "Design"
    assert r["kind"] == ["Individual"]  # MarkCategory and TrademarkClassDescription "Trademark"
    assert (r["mark_text"], r["mark_text_language"]) == ("NORTHERN LOON", "en")
    assert r["nice_classes"] == [25, 35]
    assert r["goods_services"][0] == {
        "class_number": 25,
        "language": "en",
        "text": "Clothing, namely, jackets and toques",
    }
    assert r["vienna_codes"] == ["03.07.19"]  # ViennaCategory 3, Division 7, Section 19
    # the English Contact of the applicant (CIPO gives one per language)
    assert r["applicants"] == [
        {"name": "Loon Outfitters Inc.", "country_code": "CA", "address": "45 Lakeshore Road, Ontario, P1H 1A1"}
    ]
    assert [p["name"] for p in r["representatives"]] == ["Maple Trademark Agency LLP"]  # NationalRepresentative
    assert r["priorities"] == [{"country_code": "US", "number": "87512345", "date": D(2017, 6, 28)}]
    assert r["publication_date"] == D(2018, 9, 12)  # NationalPublication/PublicationActionDate


def test_an_extension_refused_certification_mark(tmp_path):
    r = fixture_row(CATM, "catm-certification.xml", tmp_path)
    # ST13ApplicationNumber 300000090012301: application 900123, extension 01
    assert r["application_number"] == "900123-01"
    assert r["st13"] == "CA502021090012301"  # the office code map's mask (\d*)-(\d{2}): 90012301
    assert (r["status"], r["status_date"], r["termination_date"]) == ("Ended", D(2023, 1, 30), D(2023, 1, 30))
    assert r["kind"] == ["Certificate"]  # TrademarkClassDescription "Certification Mark"
    assert (r["mark_text"], r["mark_text_language"]) == ("ÉRABLE CERTIFIÉ", "fr")  # ApplicationLanguageCode fr
    assert r["nice_classes"] == [30]  # GoodsServicesClassification ClassNumber 30
    assert r["registration_number"] is None
