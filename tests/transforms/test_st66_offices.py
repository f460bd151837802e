"""Offices delivering bare ST.66 TradeMark records (ipetl/collections/st66_offices.py), each
normalized from a fixture written from its format tree (tests/fixtures/<id>/, see each file's
header: not real deliveries). Expected values are read from the fixture; each names the element.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ipetl.collections.st66_offices import COLLECTIONS
from tests.conftest import FIXTURES, normalized
from transforms.schema import TRADEMARKS
from transforms.st13 import ST13Error, ST13Rule

D = dt.date
OFFICES = {c.id: c for c in COLLECTIONS}


def normalize(collection: str, tmp_path, name: str | None = None):
    c = OFFICES[collection]
    rows, result = normalized(FIXTURES / collection / (name or f"{collection}.xml"), c.format, c.rules(), tmp_path)
    assert result.rejected is None
    return rows, result.quarantined


def one(collection: str, tmp_path) -> dict:
    rows, quarantined = normalize(collection, tmp_path)
    assert quarantined == []
    [row] = rows
    assert list(row) == TRADEMARKS.names
    return row


def test_the_offices_are_declared_as_st66_trademark_collections():
    assert sorted(OFFICES) == ["bgtm", "eetm", "emtm", "gbtm", "matm", "mctm", "mdtm", "nztm", "rotm", "wotm"]
    for c in COLLECTIONS:
        assert c.format.name == "st66" and c.kind == "trademark"
        assert c.id == f"{c.office.lower()}tm"
        assert c.st13_rule.ip_type == "50"  # wotm: source "international", a registered mark
    assert OFFICES["bgtm"].st13_rule.masks[0] == r"BG/[A-Z]+/(\d{4})/(\d*)"  # from the office code maps


def test_euipo_registered_figurative_mark(tmp_path):
    r = one("emtm", tmp_path)
    # <ApplicationNumber>018123456: no mask, the number itself, and no filing year (WIPO's
    # Global Brand Database keys EUTMs without it: `st13('EM')` in its emtm template)
    assert r["st13"] == "EM500000018123456"
    assert (r["office"], r["collection"]) == ("EM", "emtm")
    # no RegistrationNumber in EUIPO's tree: the EUTM is registered under its application number
    assert (r["registration_number"], r["registration_date"]) == ("018123456", D(2020, 1, 10))
    assert r["expiry_date"] == D(2029, 9, 2)  # <ExpiryDate>
    assert (r["status"], r["status_date"]) == ("Registered", D(2020, 1, 10))  # <MarkCurrentStatusCode>Registered
    assert (r["mark_feature"], r["kind"]) == ("Figurative", ["Individual"])
    assert (r["mark_text"], r["mark_text_language"]) == ("NORDLYS", "en")  # language: <ApplicationLanguageCode>en
    assert r["nice_classes"] == [9, 42]
    assert r["goods_services"] == [
        {"class_number": 9, "language": "en", "text": "Navigation apparatus for vehicles."},
        {"class_number": 9, "language": "fr", "text": "Appareils de navigation pour véhicules."},
        {"class_number": 42, "language": "en", "text": "Design and development of navigation software."},
    ]
    assert r["vienna_codes"] == ["01.05.01", "26.01.03"]  # MarkImageCategory/CategoryCodeDetails/CategoryCode
    # <Applicant operationCode="Delete"> (Polarkart GmbH) is a removed holder
    assert r["applicants"] == [
        {"name": "Nordlys Navigasjon AS", "country_code": "NO", "address": "Storgata 1, Tromsø, 9008"}
    ]
    assert r["representatives"] == [
        {"name": "Ida Holm", "country_code": "DK", "address": "Bredgade 30, København K, 1260"}
    ]
    assert r["priorities"] == [{"country_code": "NO", "number": "201903512", "date": D(2019, 3, 20)}]
    assert r["publication_date"] == D(2019, 9, 20)  # the earlier of the two publications


def test_euipo_deletion_notice_withdraws_the_record_it_names(tmp_path):
    # <TradeMark operationCode="Delete"> with the ApplicationNumber and ApplicationDate of emtm.xml:
    # status Delete (ipetl/pipeline/stage.py makes it a tombstone), keyed like the live record
    [withdrawn], quarantined = normalize("emtm", tmp_path, "emtm-delete.xml")
    assert quarantined == []
    assert (withdrawn["st13"], withdrawn["status"], withdrawn["office_status"]) == (
        "EM500000018123456",
        "Delete",
        "Delete",
    )
    assert withdrawn["st13"] == one("emtm", tmp_path)["st13"]


def test_bulgarian_mark_keyed_by_the_year_and_serial_the_mask_captures(tmp_path):
    r = one("bgtm", tmp_path)
    # <ApplicationNumber>BG/N/2006/88234: mask BG/[A-Z]+/(\d{4})/(\d*) captures 2006 and 88234;
    # no filing year before them (WIPO's bgtm template: `st13('BG')`)
    assert r["st13"] == "BG500000200688234"
    assert r["application_date"] == D(2006, 3, 15)
    # the tree (EUIPO's shape) has no RegistrationNumber, and BPO is not known to register under
    # the application number
    assert r["registration_number"] is None
    assert (r["registration_date"], r["expiry_date"], r["status"]) == (D(2007, 1, 22), D(2026, 3, 15), "Registered")
    assert (r["mark_text"], r["mark_text_language"]) == ("РОЗОВА ДОЛИНА", "bg")
    assert r["goods_services"] == [
        {"class_number": 3, "language": None, "text": "Етерични масла; козметика."},
        {"class_number": 3, "language": "en", "text": "Essential oils; cosmetics."},
    ]
    # FormattedName/FirstName + LastName
    assert r["applicants"] == [
        {"name": "Ivan Petrov", "country_code": "BG", "address": "ul. Rozova 12, Kazanlak, 6100"}
    ]


def test_ukipo_numbers_are_keyed_whole_without_the_filing_year(tmp_path):
    # <ApplicationNumber>UK00003123456 is 13 characters; with the filing year 9 are left, so the
    # whole number cannot be the serial; WIPO's gbtm template keys it whole, without the year
    with pytest.raises(ST13Error, match="longer than the 9 characters"):
        ST13Rule("GB", "50", ()).build("UK00003123456", D(2015, 8, 12))
    assert ST13Rule("GB", "50", (), filing_year=False).build("UK00003123456", D(2015, 8, 12)) == "GB50UK00003123456"
    rows, quarantined = normalize("gbtm", tmp_path)
    assert quarantined == [] and [r["st13"] for r in rows] == ["GB50UK00003123456"]


def test_ukipo_dialect(tmp_path):
    [r], _ = normalize("gbtm", tmp_path)
    assert r["st13"] == "GB50UK00003123456"
    assert r["application_date"] == D(2015, 8, 12)  # <ApplicationDateTime>2015-08-12T10:21:00
    assert (r["registration_number"], r["registration_date"]) == ("UK00003123456", D(2015, 11, 27))
    assert (r["status"], r["office_status"]) == ("Registered", "Registered")  # <IPOPublicMarkCurrentStatusCode>
    assert r["kind"] == ["Individual"]  # <KindMark>Individual
    assert (r["mark_feature"], r["mark_text"]) == ("Figurative", "THISTLEDOWN")
    # GoodsServicesDetails/ClassDescriptionDetails without GoodsServices; <GoodsServicesDescription LanguageCode="en">
    assert r["goods_services"][0] == {"class_number": 25, "language": "en", "text": "Clothing; footwear; headgear."}
    assert r["nice_classes"] == [25, 35]
    assert r["vienna_codes"] == ["05.05.20"]  # MarkImageCategory/CategoryCode
    assert r["mark_image_uris"] == ["https://trademarks.ipo.gov.uk/ipo-tmcase/image/UK00003123456"]  # <MarkImageUri>
    # Applicant/Name and AddressBook/{AddressLine, Town, StateCounty, Postcode, CountryCode}
    assert r["applicants"] == [
        {
            "name": "Thistledown Textiles Ltd",
            "country_code": "GB",
            "address": "Unit 4, Mill Lane, Hawick, Scottish Borders, TD9 7AA",
        }
    ]
    assert r["representatives"][0]["name"] == "Marks & Clerk LLP"
    assert r["publication_date"] == D(2015, 9, 4)


def test_madrid_international_registration(tmp_path):
    r = one("wotm", tmp_path)
    # the record is the international registration: <ApplicationNumber>1456789 is its number, and
    # its ST.13 carries no year (the date is the registration's, not a filing date)
    assert r["st13"] == "WO500000001456789"
    assert r["office"] == "WO"
    assert (r["application_number"], r["application_date"]) == (None, None)
    assert (r["registration_number"], r["registration_date"]) == ("1456789", D(2018, 11, 5))
    assert r["international_registration"] == "1456789"  # national designations link on this number
    assert r["expiry_date"] == D(2028, 11, 5)
    assert (r["status"], r["office_status"]) == ("Unknown", None)  # the tree has no status element
    # DesignatedCountryDetails: FR, AT, US, CN; MarkRecord "Subsequent Designation": JP
    assert r["designated_countries"] == ["AT", "CN", "FR", "JP", "US"]
    assert (r["mark_feature"], r["kind"], r["mark_text"], r["mark_text_language"]) == (
        "Combined",
        ["Individual"],
        "ALPENGLÜHEN",
        "fr",
    )
    assert r["vienna_codes"] == [
        "06.01.02",
        "27.05.01",
    ]  # MarkImageCategoryDetails/MarkImageCategory, CategoryKind Vienna
    assert r["nice_classes"] == [30]
    # the ApplicantEntitlement establishment (Thonon-les-Bains, FR) is not the holder's address
    assert r["applicants"] == [
        {"name": "Chocolaterie Alpenglühen SA", "country_code": "CH", "address": "Rue du Lac 8, CH-1800 Vevey"}
    ]
    assert r["priorities"] == [{"country_code": "CH", "number": "55123/2018", "date": D(2018, 5, 14)}]


def test_estonian_dialect(tmp_path):
    r = one("eetm", tmp_path)
    # no RegistrationOfficeCode: the collection's office; <ApplicationNumber>M201500123 under mask
    # M\d{4}(\d*)([A-Z]{0,2}?) → 00123
    assert r["st13"] == "EE502015000000123"
    assert r["office"] == "EE"
    assert (r["registration_number"], r["registration_date"], r["expiry_date"]) == (
        "55123",
        D(2015, 8, 17),
        D(2025, 2, 3),
    )
    assert r["status"] == "Registered"  # <Status>
    assert r["mark_feature"] == "Combined"  # <MarkType>
    assert r["kind"] == ["Individual"]  # no KindMark in the tree: an individual mark, as GBD reads it
    assert r["mark_text"] == "Kalevipoeg"  # <MarkVerbalElementText> directly in TradeMark
    assert r["publication_date"] == D(2015, 5, 4)  # <PublicationDate> directly in TradeMark
    # GoodsServicesDetail/GoodsServices/{ClassNumber, GoodsServicesDescription}
    assert r["goods_services"] == [
        {"class_number": 30, "language": None, "text": "kommid; šokolaad"},
        {"class_number": 35, "language": None, "text": "jaemüügiteenused"},
    ]
    assert r["vienna_codes"] == ["02.01.01", "27.05.01"]  # CategoryCodeDetail/CategoryCode/CategoryCode
    # ApplicantDetail/Applicant: FullName, else FirstName + LastName; AddressCountry
    assert r["applicants"] == [
        {"name": "Kalev AS", "country_code": "EE", "address": "Pärnu mnt 139, Tallinn, 11317"},
        {"name": "Mari Tamm", "country_code": "EE", "address": "Rüütli 5, Tartu, Tartumaa"},
    ]
    assert r["representatives"] == [
        {"name": "Patendibüroo Lõuna OÜ", "country_code": "EE", "address": "Tartu mnt 16, Tallinn, 10117"}
    ]
    assert r["priorities"] == [
        {"country_code": "FI", "number": "T201450123", "date": D(2014, 10, 1)}
    ]  # EE_PriorityCountry, EE_PriorityNum
    assert r["mark_image_uris"] == []  # <MarkImage>M201500123.jpg is a file name


def test_moroccan_dialect(tmp_path):
    r = one("matm", tmp_path)
    assert r["st13"] == "MA502017000178456"  # <ApplicationNumber>178456, filed 2017-06-12
    assert (r["registration_number"], r["registration_date"], r["expiry_date"]) == (
        "178456",
        D(2017, 10, 2),
        D(2027, 6, 12),
    )
    # <Status>ENREGISTREE, <MarkFeature>Dénominative: OMPIC's words, which our tables did not know
    # (status Unknown, feature Other); WIPO's matm map gives Registered and Word
    assert (r["status"], r["office_status"]) == ("Registered", "ENREGISTREE")
    assert (r["mark_feature"], r["mark_text"]) == ("Word", "ATLAS ARGAN")
    assert r["kind"] == ["Individual"]  # the file states no kind
    assert r["nice_classes"] == [3, 29]  # GoodsServicesDetail/ClassNumber
    assert r["applicants"] == [
        {"name": "Coopérative Atlas Argan", "country_code": "MA", "address": "Route d'Essaouira, Agadir"}
    ]
    assert r["representatives"] == [{"name": "Cabinet Sebti Conseil", "country_code": None, "address": None}]
    assert r["priorities"] == [
        {"country_code": "FR", "number": "4321987", "date": D(2017, 1, 9)}
    ]  # Priority/CountryCode


def test_monaco_mark_opponents_are_not_holders(tmp_path):
    r = one("mctm", tmp_path)
    assert r["st13"] == "MC502019001900417"  # <ApplicationNumber>19.00417: no mask, 1900417
    assert (r["registration_number"], r["status"]) == ("R19.30417", "Registered")
    assert r["nice_classes"] == [41, 43]
    assert [a["name"] for a in r["applicants"]] == ["Société des Régates du Rocher SAM"]  # not the Opponent
    # Representative FormattedName/OrganizationName, FormattedAddress/AddressLine
    assert r["representatives"] == [
        {"name": "Cabinet Marchetti", "country_code": "MC", "address": "11 boulevard Albert Ier, 98000 Monaco"}
    ]
    assert r["publication_date"] is None  # the tree's Publication has no date


def test_moldovan_refused_collective_mark(tmp_path):
    r = one("mdtm", tmp_path)
    assert r["st13"] == "MD502016000041233"
    # <MarkCurrentStatusCode>Application refused, <MarkCurrentStatusDate>2017-09-12
    assert (r["status"], r["termination_date"]) == ("Ended", D(2017, 9, 12))
    assert r["registration_number"] is None
    assert (r["kind"], r["mark_feature"], r["mark_text"]) == (["Collective"], "Figurative", None)
    assert r["vienna_codes"] == ["05.07.10"]
    assert r["goods_services"] == [{"class_number": 33, "language": "ro", "text": "Vinuri."}]


def test_osim_numbers_need_the_collections_own_mask(tmp_path):
    # <ApplicationNumber>M 2019 01234 gives the serial M201901234 whole: 10 characters, 9 are left
    with pytest.raises(ST13Error, match="longer than the 9 characters"):
        ST13Rule("RO", "50", ()).build("M 2019 01234", D(2019, 3, 4))
    rows, quarantined = normalize("rotm", tmp_path)
    assert quarantined == [] and [r["st13"] for r in rows] == ["RO502019000001234"]


def test_romanian_mark_holder_is_the_applicant_not_the_transfer_parties(tmp_path):
    [r], _ = normalize("rotm", tmp_path)
    assert r["st13"] == "RO502019000001234"
    assert (r["registration_number"], r["registration_date"], r["expiry_date"]) == (
        "161234",
        D(2019, 8, 29),
        D(2029, 3, 4),
    )
    assert (r["mark_feature"], r["mark_text"], r["vienna_codes"]) == ("Combined", "Carpatica", ["06.01.04"])
    # ApplicantDetails only: MarkRecord RecordTransfer's PreviousHolder (Borsec Izvor SA) is not a holder
    assert r["applicants"] == [
        {
            "name": "Carpatica Ape Minerale SRL",
            "country_code": "RO",
            "address": "Str. Izvorului 3, Borsec, jud. Harghita",
        }
    ]
    assert r["priorities"] == [{"country_code": "HU", "number": "M1803321", "date": D(2018, 10, 15)}]
