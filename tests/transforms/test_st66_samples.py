"""The six real IPAS ST.66 samples, normalized; expected values read from the XML files.

Each expectation names the element it was read from, so a person can check it against
samples/mirror/<collection>/*.xml.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ipetl.registry import COLLECTIONS
from tests.conftest import clean_rows, sample

D = dt.date


def normalize(collection: str, tmp_path) -> list[dict]:
    c = COLLECTIONS[collection]
    return clean_rows(sample(collection), c.format, c.rules(), tmp_path)


def test_cambodia_madrid_designation(tmp_path):
    [r] = normalize("khtm", tmp_path)
    # <ApplicationNumber>KH/673426/M</ApplicationNumber> <ApplicationDate>2015-08-06</ApplicationDate>
    assert r["st13"] == "KH50201500673426M"  # the data contract's own example
    assert r["application_number"] == "KH/673426/M"
    assert r["application_date"] == D(2015, 8, 6)
    assert r["registration_number"] == "673426"
    assert r["registration_date"] == D(2016, 6, 10)
    assert r["expiry_date"] == D(2025, 8, 6)
    assert r["status"] == "Registered"  # <wo:MarkCurrentStatusCode>Registered
    assert r["office_status"] == "Registered"
    assert r["status_date"] == D(2016, 10, 27)
    assert r["publication_date"] == D(2016, 7, 29)
    assert r["mark_feature"] == "Combined"
    assert r["kind"] == ["Individual"]
    assert (r["mark_text"], r["mark_text_language"]) == ("ZomaJet", "en")
    assert r["nice_classes"] == [10]
    assert r["goods_services"][0]["class_number"] == 10
    assert r["goods_services"][0]["text"].startswith("Surgical, medical, dental and veterinary apparatus")
    assert r["applicants"] == [
        {"name": "Ferring B.V.", "country_code": "NL", "address": "Polarisavenue 144 NL-2132 JX Hoofddorp"}
    ]
    assert r["representatives"][0]["name"] == "Novagraaf Nederland BV"
    # <TransactionCode>Madrid Designated</TransactionCode>: the KH record designates IR 673426
    assert r["international_registration"] == "673426"
    assert r["office"] == "KH" and r["collection"] == "khtm"
    assert r["source_file"] == "khtm.xml"
    assert r["source_sha256"].startswith("4bd6ed01b6a238f7")  # SOURCES.md


def test_albania_expired_word_mark(tmp_path):
    [r] = normalize("altm", tmp_path)
    assert r["st13"] == "AL50199600T001287"  # data contract example: AL/T/1996/001287 filed 1996-04-19
    assert r["application_date"] == D(1996, 4, 19)
    assert r["registration_number"] == "007650"
    assert r["registration_date"] == D(1999, 3, 30)
    assert r["expiry_date"] == D(2006, 4, 19)
    assert r["status"] == "Expired"
    assert r["status_date"] == D(2006, 10, 28)
    assert r["publication_date"] is None  # <PublicationDate>1900-01-01</PublicationDate> is IPAS's "none"
    assert r["mark_feature"] == "Word"
    assert r["kind"] == ["Individual"]  # <TransactionSubCode>Goods and Services mark</TransactionSubCode>
    assert (r["mark_text"], r["mark_text_language"]) == ("SRI", "sq")
    assert r["nice_classes"] == [4]
    assert r["goods_services"] == [{"class_number": 4, "language": "sq", "text": "vajra, graso dhe lubrifikante"}]
    assert r["applicants"][0]["name"] == "CHEVRONTEXACO CORPORATION, a Delaware Corporation,"
    assert r["applicants"][0]["country_code"] == "US"
    assert r["representatives"][0] == {
        "name": "Dhoma e Tregtise & Industrise",
        "country_code": "AL",
        "address": 'Rr."Kavajes", Nr.6 Tiranë',
    }
    assert r["international_registration"] is None


def test_indonesia_rejected_application(tmp_path):
    [r] = normalize("idtm", tmp_path)
    assert r["st13"] == "ID502017DID000184"  # DID2017000184 under mask (\w{3})\d{4}(\d*)
    assert r["application_date"] == D(2017, 1, 4)
    assert r["registration_number"] is None and r["registration_date"] is None
    assert r["status"] == "Ended"  # <wo:MarkCurrentStatusCode>Rejected
    assert r["office_status"] == "Rejected"
    assert r["termination_date"] == D(2018, 10, 25)  # the status date of the rejection
    assert r["mark_feature"] == "Combined"  # <MarkFeature>Merek Kata dan Lukisan (word and device)
    assert r["kind"] == ["Individual"]
    assert (r["mark_text"], r["mark_text_language"]) == ("KingMa", "id")
    assert r["nice_classes"] == [9]
    [applicant] = r["applicants"]  # the name is given twice (id and en): one applicant
    assert applicant["name"] == "Shenzhen Benmer Electronic Technology Co., Ltd"
    assert applicant["country_code"] == "CN"
    # the file holds U+0092 (a Windows-1252 apostrophe pasted into UTF-8): repaired, and the
    # duplicated address line is given once
    assert "Bao\u2019an District" in applicant["address"]
    assert applicant["address"].count("Longwangmiao") == 1
    assert r["publication_date"] == D(2017, 1, 26)


def test_lao_registered_word_mark(tmp_path):
    [r] = normalize("latm", tmp_path)
    assert r["st13"] == "LA502016000037978"
    assert (r["application_number"], r["registration_number"]) == ("37978", "38524")
    assert (r["registration_date"], r["expiry_date"]) == (D(2017, 8, 15), D(2027, 8, 15))
    assert r["status"] == "Registered" and r["mark_feature"] == "Word"
    assert r["mark_text"] == "TA YA"
    assert r["applicants"][0]["name"] == "TA YA ELECTRIC WIRE & CABLE CO., LTD."
    assert r["applicants"][0]["country_code"] == "TW"
    assert r["publication_date"] == D(2017, 9, 30)


def test_malaysia_registration_numbered_by_application(tmp_path):
    [r] = normalize("mytm", tmp_path)
    assert r["st13"] == "MY502012000060000"  # 2012060000 under mask \d{4}0(\d{5})
    assert r["application_date"] == D(2012, 12, 13)
    # no <RegistrationNumber>: MyIPO registers under the application number
    assert r["registration_number"] == "2012060000"
    assert r["registration_date"] == D(2012, 6, 13)  # backdated to the priority date
    assert r["priorities"] == [{"country_code": "US", "number": "85651317", "date": D(2012, 6, 13)}]
    assert r["mark_feature"] == "Combined"  # <MarkFeature>COMBINED
    assert r["kind"] == ["Individual"]  # <KindMark>TRADE MARK
    assert r["mark_text"] == "P"
    assert r["nice_classes"] == [9]
    assert r["applicants"][0]["country_code"] == "SG"


def test_san_marino_five_classes(tmp_path):
    [r] = normalize("smtm", tmp_path)
    assert r["st13"] == "SM502010000000119"
    assert r["registration_number"] == "2010000119"
    assert r["mark_feature"] == "Combined"  # Marchi Nazionale (Both Name and Logo)
    assert r["kind"] == ["Individual"]  # <TransactionSubCode>Marchi Prodotti e Servizi
    assert r["mark_text"] == "SAN MARINO CHANNEL ONE"
    assert r["nice_classes"] == [9, 25, 35, 38, 41]
    assert r["goods_services"] == []  # every GoodsServicesDescription is empty
    assert r["publication_date"] == D(2011, 3, 7)  # the earlier of the two publications
    assert [p["name"] for p in r["applicants"]] == ["SAN MARINO RTV SPA"]
    assert r["representatives"][0]["country_code"] == "IT"


@pytest.mark.parametrize("collection", ["altm", "idtm", "khtm", "latm", "mytm", "smtm"])
def test_every_field_of_the_contract_is_present(collection, tmp_path):
    from transforms.schema import TRADEMARKS

    [r] = normalize(collection, tmp_path)
    assert list(r) == TRADEMARKS.names
