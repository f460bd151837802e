"""The four real ILPO TMBRAND samples, normalized; expected values read from the XML files.

Each expectation names the element it was read from, so a person can check it against
samples/mirror/iltm/*.xml.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ipetl.collections.national import ILTM
from tests.conftest import FIXTURES, MIRROR, clean_rows
from transforms import il_tmbrand
from transforms.schema import TRADEMARKS
from transforms.values import country_from_name

D = dt.date


def normalize(name: str, tmp_path) -> dict:
    [row] = clean_rows(MIRROR / "iltm" / name, il_tmbrand.FORMAT, ILTM.rules(), tmp_path)
    return row


def test_pending_hebrew_mark_dated_by_its_acceptance_event(tmp_path):
    r = normalize("eventdata.xml", tmp_path)
    # <OFFICENUMBER>317809, <FILINGDATE>20190618; no mask for iltm: the number itself
    assert r["st13"] == "IL502019000317809"
    assert (r["application_number"], r["application_date"]) == ("317809", D(2019, 6, 18))
    assert (r["status"], r["office_status"]) == ("Pending", "pending")  # <STATUS>pending
    # <EVENT><EventDate>20200728 <NatureOfEvent lang="en">Accepted <PublicationDate>20200730
    assert r["status_date"] == D(2020, 7, 28)
    assert r["publication_date"] == D(2020, 7, 30)
    assert r["registration_number"] is None and r["registration_date"] is None  # <REGISTRATIONDATE/>
    assert r["expiry_date"] is None and r["termination_date"] is None
    # <BRAND><NAME lang="he">הרווח כולו שלכם <NAME lang="en">Benefit: the Hebrew is the mark's text
    assert (r["mark_text"], r["mark_text_language"]) == ("הרווח כולו שלכם", "he")
    # <MarkTranscription>HAREVAH KOLO SHLACHIM: the Hebrew mark in Latin letters, not the English name
    assert r["mark_transliteration"] == "HAREVAH KOLO SHLACHIM"
    # <IMAGEFILE>\2019\06\317809.jpg and <VIENNATYPE>24.13, 24.17, 26.2: text with figurative elements
    assert r["mark_feature"] == "Combined"
    assert r["vienna_codes"] == []  # section-level codes do not fit CC.SS.EE
    assert r["kind"] == ["Individual"]  # <BRANDTYPE>Trademark/Service mark
    assert r["nice_classes"] == [9, 35, 41]  # <NICECLASS><TYPE>9, 35, 41
    assert [(g["class_number"], g["language"]) for g in r["goods_services"]] == [
        (9, "he"),
        (9, "en"),
        (35, "he"),
        (35, "en"),
        (41, "he"),
        (41, "en"),
    ]
    assert r["goods_services"][1]["text"].startswith("Electronic cards; credit cards; magnetic cards;")
    assert r["goods_services"][0]["text"].startswith("כרטיסים אלקטרוניים; כרטיסי אשראי;")
    # <APPLICANT number="520021130"><NAME lang="en" main="1">, <ADDRESS lang="en">... Tel Aviv, Israel
    assert r["applicants"] == [
        {
            "name": "Institute of Certified Public Accountants In Israel",
            "country_code": "IL",
            "address": "1 Montefiori Street, Tel Aviv, Israel",
        }
    ]
    assert r["representatives"] == [
        {"name": "Eyal Neiger", "country_code": "IL", "address": "2 Weizmann St., Tel Aviv - Yafo, 6423902, Israel"}
    ]
    assert r["priorities"] == [] and r["international_registration"] is None  # <PRIORGROUP/>, National
    assert r["mark_image_uris"] == []  # IMAGEFILE is a path on ILPO's server, not a published address
    assert (r["office"], r["collection"], r["source_file"]) == ("IL", "iltm", "eventdata.xml")
    assert r["source_sha256"].startswith("b9f6516bf37d5558")  # reference SOURCES.md


def test_collective_certification_mark_in_two_scripts(tmp_path):
    # tests/fixtures/iltm/collective-certification.xml (written from iltm.tree, not a real file)
    [r] = clean_rows(FIXTURES / "iltm" / "collective-certification.xml", il_tmbrand.FORMAT, ILTM.rules(), tmp_path)
    # <BRANDTYPE>Collective/Certification mark: both kinds (was Other)
    assert r["kind"] == ["Collective", "Certificate"]
    # <NAME lang="he">שמן זית הגליל is the mark; <MarkTranscription> romanizes it; the English
    # <NAME lang="en">Galilee Olive Oil is neither
    assert (r["mark_text"], r["mark_text_language"]) == ("שמן זית הגליל", "he")
    assert r["mark_transliteration"] == "SHEMEN ZAYIT HAGALIL"
    assert (r["status"], r["registration_date"]) == ("Registered", D(2021, 1, 4))  # <STATUS>active


def test_basic_mark_of_an_international_registration(tmp_path):
    r = normalize("international.xml", tmp_path)
    assert r["st13"] == "IL502018000310118"  # <OFFICENUMBER>310118 <FILINGDATE>20181021
    assert (r["status"], r["office_status"]) == ("Registered", "active")  # <STATUS>active
    # ILPO registers under the application number; <REGISTRATIONDATE>20190530 <EXPIRATIONDATE>20281021
    assert r["registration_number"] == "310118"
    assert (r["registration_date"], r["expiry_date"]) == (D(2019, 5, 30), D(2028, 10, 21))
    assert r["status_date"] == D(2019, 5, 30)  # <NatureOfEvent lang="en">Registered, <EventDate>20190530
    assert r["publication_date"] == D(2019, 2, 28)  # the Accepted event's <PublicationDate>20190228
    # <Internationality>Base for International: IR 1466954 is based on this mark, which designates nothing
    assert r["international_registration"] is None
    # <NAME lang="he"/> <NAME lang="en">TOPGUN: no Hebrew text, so the English
    assert (r["mark_text"], r["mark_text_language"]) == ("TOPGUN", "en")
    assert r["mark_feature"] == "Combined"  # an image and <VIENNATYPE>18.5, 27.5
    assert r["nice_classes"] == [13]
    assert r["goods_services"] == [
        {"class_number": 13, "language": "he", "text": "מרעום מדויק לחימוש ארטילרי."},
        {"class_number": 13, "language": "en", "text": "Course correction fuze for artillery."},
    ]
    [applicant] = r["applicants"]
    assert (applicant["name"], applicant["country_code"]) == ("ISRAEL AEROSPACE INDUSTRIES LTD.", "IL")
    assert r["representatives"][0]["name"] == "Reinhold Cohn and Partners"


def test_registered_word_mark_renewed_and_reassigned(tmp_path):
    r = normalize("markfeature.xml", tmp_path)
    assert r["st13"] == "IL502005000180001"  # <OFFICENUMBER>180001 <FILINGDATE>20050417
    assert r["status"] == "Registered"
    assert (r["registration_date"], r["expiry_date"]) == (D(2006, 12, 10), D(2025, 4, 17))
    # the latest status event is <NatureOfEvent lang="en">Renewal of registration (20150420); the
    # later attorney and ownership events (20151202) do not change the status
    assert r["status_date"] == D(2015, 4, 20)
    # two Accepted events: the first has no <PublicationDate/>, the second <PublicationDate>20060801
    assert r["publication_date"] == D(2006, 8, 1)
    # no IMAGEFILE, no VIENNAGROUP, a name: a word mark; the name is written "BABY  MONET"
    assert r["mark_feature"] == "Word"
    assert (r["mark_text"], r["mark_text_language"]) == ("BABY MONET", "en")
    assert r["nice_classes"] == [16]
    # <NAME lang="he"/> <NAME lang="en" main="1">Baby Einstein, LLC; the address ends "U.S.A."
    assert r["applicants"] == [
        {
            "name": "Baby Einstein, LLC",
            "country_code": "US",
            "address": "3333 Piemont Road, Suite 1800, Atlanta, Georgia, 30305, U.S.A.",
        }
    ]
    assert r["representatives"] == [
        {"name": "Luzzatto & Luzzatto", "country_code": "IL", "address": "P.O.B 5352, Beer Sheva, 84152, Israel"}
    ]


def test_registration_deleted_for_non_payment_after_an_opposition(tmp_path):
    r = normalize("opposition.xml", tmp_path)
    assert r["st13"] == "IL501991000080142"  # <OFFICENUMBER>80142 <FILINGDATE>19910624
    # <STATUS>deleted <ReasonForClosure>אי תשלום (non-payment) of a registered mark: it expired
    assert (r["status"], r["office_status"]) == ("Expired", "deleted")
    assert r["registration_number"] == "80142"
    assert (r["registration_date"], r["expiry_date"]) == (D(2002, 11, 12), D(2012, 6, 24))
    # <NatureOfEvent lang="en">Cancellation due to non-payment of renewal fee <EventDate>20121230
    assert r["status_date"] == D(2012, 12, 30)
    assert r["termination_date"] == D(2012, 12, 30)
    # the Accepted event of 19940429 was published 19940401; the opposition (opened 19940727)
    # followed that publication
    assert r["publication_date"] == D(1994, 4, 1)
    assert (r["mark_text"], r["mark_feature"]) == ("CHLORALIT", "Word")
    assert r["nice_classes"] == [30]
    # <ADDRESS lang="en">Lainate (Milano), Italy
    assert r["applicants"] == [
        {"name": "Perfetti Van Melle S.p.A.", "country_code": "IT", "address": "Lainate (Milano), Italy"}
    ]
    assert r["representatives"][0]["name"] == "Wolff, Bregman and Goller"


@pytest.mark.parametrize("name", ["eventdata.xml", "international.xml", "markfeature.xml", "opposition.xml"])
def test_every_field_of_the_contract_is_present(name, tmp_path):
    assert list(normalize(name, tmp_path)) == TRADEMARKS.names


@pytest.mark.parametrize(
    "text, code",
    [
        (" U.S.A.", "US"),
        ("Israel", "IL"),
        ("ישראל", "IL"),
        ("Italy", "IT"),
        ("The Netherlands", "NL"),
        ("Atlantis", None),
        ("", None),
    ],
)
def test_the_country_names_ilpo_addresses_end_with(text, code):
    assert country_from_name(text) == code
