"""USPTO design grants normalized: the real ST.32 grant of samples/mirror/usid/ and the weekly
red-book fixture of tests/fixtures/usid/ (hand-written from the grant DTD description, not a
real file). Each expectation names the element it was read from."""

from __future__ import annotations

import datetime as dt
import zipfile

from ipetl.collections.designs import USPTO_DESIGNS
from tests.conftest import FIXTURES, clean_rows, sample
from transforms import uspto_design

D = dt.date
TODAY = D(2026, 1, 1)  # the date the grants are mapped as of: before the 2039 expiry below


def normalize(path, tmp_path) -> list[dict]:
    return clean_rows(path, uspto_design.FORMAT, USPTO_DESIGNS.rules(), tmp_path, today=TODAY)


def test_st32_design_grant_disc_cartridge(tmp_path):
    [r] = normalize(sample("usid"), tmp_path)
    assert r["locarno_classes"] == ["14-02"]  # <B511><PDAT>1402</PDAT></B511>
    assert r["locarno_edition"] == "7"  # <B516><PDAT>7</PDAT></B516>
    assert (r["product_indication"], r["product_indication_language"]) == ("Disc cartridge", "en")  # B540/STEXT/PDAT
    assert r["application_number"] == "29116510"  # B210/DNUM/PDAT (series 29, serial 116,510)
    assert r["application_date"] == D(1999, 1, 6)  # B220 19990106
    assert r["st13"] == "US701999029116510"
    assert r["design_number"] == "1"
    assert r["registration_number"] == "D0435854"  # B110/DNUM/PDAT
    assert r["registration_date"] == r["publication_date"] == D(2001, 1, 2)  # B140 20010102
    assert r["expiry_date"] == D(2015, 1, 2)  # B472/B474: 14 years from grant
    assert (r["status"], r["status_date"], r["office_status"]) == ("Expired", D(2015, 1, 2), None)
    # B731 assignees hold the patent; B721 inventors are the designers; B741 the attorney
    assert [a["name"] for a in r["applicants"]] == [
        "Hitachi Maxell, Ltd.",
        "Sanyo Electric Co.,Ltd.",
        "Olympus Optical Co., Ltd.",
    ]
    assert r["applicants"][2] == {"name": "Olympus Optical Co., Ltd.", "country_code": "JP", "address": "Tokyo"}
    assert len(r["designers"]) == 8
    assert r["designers"][0] == {"name": "Hiroyoshi Takagi", "country_code": "JP", "address": "Kameoka"}
    assert r["representatives"] == [
        {"name": "Antonelli, Terry, Stout & Kraus, LLP", "country_code": None, "address": None}
    ]
    assert r["priorities"] == [] and r["international_registration"] is None
    assert r["representation_uris"] == [f"USD0435854-20010102-D0000{n}.TIF" for n in range(5)]  # SDODR/EMI/@FILE
    assert (r["office"], r["collection"], r["source_file"]) == ("US", "usid", "USD435854S1.xml")
    assert r["source_sha256"].startswith("9041ff8606cb3d7d")  # SOURCES.md


def test_weekly_file_gives_its_two_designs_and_skips_the_utility_grant(tmp_path):
    mouse, chair = normalize(FIXTURES / "usid" / "ipg240102.xml", tmp_path)
    # first document: kind S1, application 29876543 filed 20211115, granted 20240102, 15-year term
    assert mouse["st13"] == "US702021029876543"
    assert (mouse["registration_number"], mouse["registration_date"]) == ("D1010001", D(2024, 1, 2))
    assert mouse["expiry_date"] == D(2039, 1, 2)
    assert (mouse["status"], mouse["status_date"]) == ("Registered", D(2024, 1, 2))
    assert (mouse["locarno_classes"], mouse["locarno_edition"]) == (["14-02"], "14")  # main-classification 1402
    assert (mouse["product_indication"], mouse["product_indication_language"]) == ("Computer mouse", "en")  # lang="EN"
    assert mouse["applicants"] == [
        {"name": "Kawase Devices Co., Ltd.", "country_code": "JP", "address": "Kyoto"}
    ]  # assignees
    assert [d["name"] for d in mouse["designers"]] == ["Haruto Kawase", "Aiko Mori"]  # inventors: first-name last-name
    assert mouse["representatives"] == [
        {"name": "Example Patent Group LLP", "country_code": None, "address": None}
    ]  # country "unknown"
    assert mouse["priorities"] == [{"country_code": "JP", "number": "2021-012345", "date": D(2021, 6, 1)}]
    assert mouse["representation_uris"] == ["USD1010001-20240102-D00000.TIF", "USD1010001-20240102-D00001.TIF"]
    # third document (the second, kind B2, is skipped): a 35-series (Hague) design without assignees
    assert chair["st13"] == "US702022035512345"
    assert chair["international_registration"] == "DM/212345"  # hague-agreement-data
    assert chair["applicants"] == [
        {"name": "Nordisk Stol A/S", "country_code": "DK", "address": "Aarhus"}
    ]  # us-applicant
    assert (chair["locarno_classes"], chair["locarno_edition"]) == (["06-01"], "13")
    assert chair["source_file"] == "ipg240102.xml"


def test_weekly_zip_as_the_office_publishes_it(tmp_path):
    # the weekly file comes as ipgYYMMDD.zip holding ipgYYMMDD.xml
    archive = tmp_path / "ipg240102.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(FIXTURES / "usid" / "ipg240102.xml", "ipg240102.xml")
    rows = normalize(archive, tmp_path)
    assert [r["registration_number"] for r in rows] == ["D1010001", "D1010002"]
    assert {r["source_file"] for r in rows} == {"ipg240102.zip!ipg240102.xml"}
