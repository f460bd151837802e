"""ST.86 design deliveries normalized: one row per Design. The inputs are the hand-written
fixtures of tests/fixtures/<collection>/ (written from reference/formats/designs/<collection>.tree,
not real deliveries); each expectation names the element it was read from."""

from __future__ import annotations

import datetime as dt

from ipetl.collections.designs import COLLECTIONS
from tests.conftest import FIXTURES, normalized
from transforms import st86

D = dt.date
DESIGN_COLLECTIONS = {c.id: c for c in COLLECTIONS}


def normalize(collection: str, tmp_path):
    c = DESIGN_COLLECTIONS[collection]
    [path] = sorted((FIXTURES / collection).glob("*.xml"))
    rows, result = normalized(path, st86.FORMAT, c.rules(), tmp_path)
    assert result.rejected is None
    return rows, result.quarantined


def test_an_application_with_three_designs_gives_three_rows_under_one_st13(tmp_path):
    rows, quarantined = normalize("sgid", tmp_path)
    assert quarantined == []
    # <DesignApplicationNumber>30201900321Y</DesignApplicationNumber>, mask 30\d{4}(\d*\w) → 00321Y; filed 2019-05-20
    assert {r["st13"] for r in rows} == {"SG70201900000321Y"}
    assert [r["design_number"] for r in rows] == ["1", "2", "3"]  # <DesignIdentifier>
    assert [r["product_indication"] for r in rows] == [
        "Table lamp",
        "Floor lamp",
        "Wall lamp",
    ]  # <IndicationProductDescription>
    assert [r["status"] for r in rows] == ["Registered", "Registered", "Ended"]  # Registered, Registered, Withdrawn
    assert [r["registration_number"] for r in rows] == ["30201900321Y-0001", "30201900321Y-0002", None]
    # sgid gives no RegistrationDate nor DesignCurrentStatusDate: both come from the DesignEvent
    assert [r["registration_date"] for r in rows] == [D(2019, 8, 30), D(2019, 8, 30), None]
    assert [r["status_date"] for r in rows] == [D(2019, 8, 30), D(2019, 8, 30), D(2019, 7, 2)]
    assert [r["publication_date"] for r in rows] == [D(2019, 9, 13), D(2019, 9, 13), None]
    first = rows[0]
    assert first["expiry_date"] == D(2029, 5, 20)
    assert first["locarno_classes"] == ["26-05"] and first["locarno_edition"] == "12"
    assert first["applicants"] == [
        {"name": "Lumen Works Pte. Ltd.", "country_code": "SG", "address": "10 Kallang Avenue #05-11, Singapore 339510"}
    ]
    assert first["designers"] == [{"name": "TAN Wei Ming", "country_code": None, "address": "Singapore"}]
    assert first["representatives"][0]["name"] == "Harbour IP Pte. Ltd."
    assert first["priorities"] == [{"country_code": "CN", "number": "201930012345.6", "date": D(2019, 1, 10)}]
    assert first["designated_countries"] == ["SG"]
    assert [r["representation_uris"] for r in rows] == [
        ["30201900321Y-0001.pdf"],
        ["30201900321Y-0002.pdf"],
        ["30201900321Y-0003.pdf"],
    ]
    assert all(
        r["office"] == "SG" and r["collection"] == "sgid" and r["source_file"] == "sgid-designs.xml" for r in rows
    )
    assert all(r["source_sha256"] and r["ingested_at"] for r in rows)


def test_cambodia_registered_and_pending(tmp_path):
    (registered, pending), quarantined = normalize("khid", tmp_path)
    assert quarantined == []
    # <DesignApplicationNumber>KH/D/2022/000245</DesignApplicationNumber>, mask KH/D/\d*/(\d*); filed 2022-03-09
    assert registered["st13"] == "KH702022000000245"
    assert registered["application_number"] == "KH/D/2022/000245"
    assert registered["application_date"] == D(2022, 3, 9)
    assert registered["design_number"] == "1"
    assert (registered["registration_number"], registered["registration_date"], registered["expiry_date"]) == (
        "000245",
        D(2023, 1, 20),
        D(2027, 3, 9),
    )
    assert (registered["status"], registered["office_status"], registered["status_date"]) == (
        "Registered",
        "Registered",
        D(2023, 1, 20),
    )
    # <DesignTitle sequenceNumber="1">Bottle</DesignTitle> comes first; it has no languageCode: the application's (en)
    assert (registered["product_indication"], registered["product_indication_language"]) == ("Bottle", "en")
    assert (registered["locarno_classes"], registered["locarno_edition"]) == (
        ["09-01"],
        "13",
    )  # <ClassNumber>0901</ClassNumber>
    assert registered["applicants"] == [
        {"name": "Angkor Beverages Co., Ltd.", "country_code": "KH", "address": "No. 12, Street 271, Phnom Penh"}
    ]
    assert registered["designers"] == [{"name": "SOK Dara", "country_code": "KH", "address": "Siem Reap"}]
    assert registered["priorities"] == [{"country_code": "TH", "number": "2101001234", "date": D(2021, 10, 1)}]
    assert registered["publication_date"] == D(2023, 2, 28)
    assert registered["representation_uris"] == ["KHD2022000245-1.jpg"]

    assert pending["st13"] == "KH702023000000512"
    assert (pending["status"], pending["office_status"]) == ("Pending", "Filed")
    assert pending["registration_number"] is None and pending["expiry_date"] is None
    assert (pending["product_indication"], pending["locarno_classes"]) == ("Chair", ["06-01"])


def test_indonesia_inactive_application_without_expiry_ended(tmp_path):
    (registered, inactive), quarantined = normalize("idid", tmp_path)
    assert quarantined == []
    # <DesignApplicationNumber>AID2019000123</DesignApplicationNumber>, mask AID\d{4}(\d*) → 000123
    assert registered["st13"] == "ID702019000000123"
    assert registered["product_indication"] == "Kemasan Makanan"  # first DesignTitle
    assert registered["locarno_classes"] == ["09-03"]  # <ClassNumber>09.03</ClassNumber>
    assert registered["applicants"][0]["address"] == "Jl. Industri Raya No. 8, Bekasi, Jawa Barat"
    assert registered["representation_uris"] == ["AID2019000123-01.jpg", "AID2019000123-02.jpg"]
    # <DesignCurrentStatusCode>Inactive</DesignCurrentStatusCode> and no ExpiryDate: a dead application
    assert inactive["st13"] == "ID702020000000456"
    assert (inactive["status"], inactive["office_status"], inactive["status_date"]) == (
        "Ended",
        "Inactive",
        D(2021, 2, 10),
    )


def test_thailand_ten_digit_number_cannot_fit_st13_with_its_year(tmp_path):
    # thid has no appnum_mask: the whole number is the serial. TH + 70 + 2019 leave 9 characters,
    # <DesignApplicationNumber>1902000321</DesignApplicationNumber> has 10: the record is quarantined.
    rows, [quarantined] = normalize("thid", tmp_path)
    assert rows == []
    assert quarantined["rule_id"] == "st13.buildable"
    assert quarantined["value"] == "1902000321"
