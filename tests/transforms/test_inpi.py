"""INPI's ST.66 TradeMark records → canonical records, on tests/fixtures/frtm/ (written from
reference/formats/brands/frtm.tree); each expected value names the element or recordal it
comes from."""

from __future__ import annotations

import datetime as dt

from ipetl.collections.national import FRTM
from tests.conftest import fixture_row
from transforms.inpi import recordal_date

D = dt.date


def test_a_registered_collective_mark_dated_by_its_recordals(tmp_path):
    r = fixture_row(FRTM, "4612345.xml", tmp_path)
    assert (r["st13"], r["application_number"], r["application_date"]) == (
        "FR502020004612345",
        "4612345",
        D(2020, 2, 3),
    )
    # the "Enregistrement sans modification" recordal, published 2020-06-12: registered under the
    # application number
    assert (r["registration_number"], r["registration_date"]) == ("4612345", D(2020, 6, 12))
    assert r["publication_date"] == D(2020, 2, 28)  # the "Publication" recordal
    # MarkCurrentStatusCode "Marque enregistrée"; dated by the last recordal
    assert (r["status"], r["office_status"], r["status_date"]) == ("Registered", "Marque enregistrée", D(2020, 6, 12))
    assert r["expiry_date"] == D(2030, 2, 3)
    assert r["kind"] == ["Collective"]  # KindMark
    assert (r["mark_feature"], r["mark_text"]) == ("Combined", "LES VIGNERONS DU LUBERON")
    assert r["goods_services"] == [
        {"class_number": 33, "language": "fr", "text": "Vins d'appellation d'origine protégée"}
    ]
    assert r["applicants"] == [
        {"name": "Cave coopérative du Luberon", "country_code": "FR", "address": "12 route d'Apt, 84400, Gargas"}
    ]
    assert [p["name"] for p in r["representatives"]] == ["Cabinet Durand & Associés"]


def test_a_lapsed_mark_dated_by_bopi_weeks(tmp_path):
    r = fixture_row(FRTM, "4598765.xml", tmp_path)
    # the Enregistrement recordal gives only PublicationIdentifier 2020-11: Friday of ISO week 11
    assert (r["registration_number"], r["registration_date"]) == ("4598765", D(2020, 3, 13))
    # "Marque déchue" is Ended; the last recordal's date is truncated ("2024-09-"): BOPI 2024-37
    assert (r["status"], r["status_date"], r["termination_date"]) == ("Ended", D(2024, 9, 13), D(2024, 9, 13))
    assert r["publication_date"] == D(2019, 11, 15)


def test_a_collective_certification_mark_is_of_both_kinds(tmp_path):
    r = fixture_row(FRTM, "4701234.xml", tmp_path)
    assert r["kind"] == ["Certificate", "Collective"]  # KindMark "Collective de certification"
    # MarkCurrentStatusCode "Demande publiée"; no Enregistrement recordal: not registered
    assert (r["status"], r["registration_number"], r["registration_date"]) == ("Pending", None, None)
    assert r["publication_date"] == D(2021, 2, 12)  # the "Publication" recordal


def test_a_recordal_date():
    assert recordal_date({"PublicationDate": "2021-05-07", "PublicationIdentifier": "2021-18"}) == D(2021, 5, 7)
    assert recordal_date({"PublicationDate": None, "PublicationIdentifier": "2021-18"}) == D(2021, 5, 7)
    assert recordal_date({"PublicationDate": None, "PublicationIdentifier": "2021-54"}) is None  # no week 54
    assert recordal_date({"PublicationDate": None, "PublicationIdentifier": None}) is None
