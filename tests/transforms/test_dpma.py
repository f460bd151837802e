"""DPMA's MARKDOC → canonical records, on tests/fixtures/detm/ (written from
reference/formats/brands/detm.tree); each expected value names the element it was read from."""

from __future__ import annotations

import datetime as dt

from ipetl.collections.national import DETM
from tests.conftest import fixture_row
from transforms.dpma import expiry

D = dt.date


def test_a_registered_word_and_figurative_mark(tmp_path):
    r = fixture_row(DETM, "3020190123456.xml", tmp_path)
    # NR 3020190123456: the mask 30\d{4}(\d{7}) keeps 0123456; no year in the key
    assert r["st13"] == "DE500000000123456"
    assert (r["application_number"], r["application_date"]) == ("3020190123456", D(2019, 3, 4))  # FILENR, FILDATE
    assert (r["registration_number"], r["registration_date"]) == ("3020190123456", D(2019, 7, 18))  # NR, REGDATE
    assert r["publication_date"] == D(2019, 8, 23)  # PUBDATE
    # STATUSINFORCE true (STATUSOPPOSABLE false), PROCDATE
    assert (r["status"], r["office_status"], r["status_date"]) == ("Registered", "STATUSINFORCE", D(2019, 11, 25))
    # DPMA gives none: ten years after FILDATE 2019-03-04, at the end of that month
    assert r["expiry_date"] == D(2029, 3, 31)
    assert r["mark_feature"] == "Combined"  # MARKTYPE/WORDIMAGE
    assert (r["mark_text"], r["kind"]) == ("Bergquelle", ["Individual"])  # MARKTEXT, MARKENKATEGORIE individual
    assert r["nice_classes"] == [32, 35]
    assert r["goods_services"][0] == {
        "class_number": 32,
        "language": "de",
        "text": "Mineralwässer; kohlensäurehaltige Wässer",
    }
    assert r["vienna_codes"] == ["01.15.15", "06.01.02"]  # VIENNACL
    assert r["applicants"] == [{"name": "Bergquelle Getränke GmbH", "country_code": "DE", "address": "80331 München"}]
    assert [p["name"] for p in r["representatives"]] == ["Kanzlei Huber & Partner"]  # AGENT/AGNAME
    # PRIO: PRIODATE with PRIOUNION's PRIOCC and PRIONR
    assert r["priorities"] == [{"country_code": "AT", "number": "AM 51234/2018", "date": D(2018, 10, 1)}]


def test_a_refused_collective_mark_with_one_goods_list(tmp_path):
    r = fixture_row(DETM, "3020220004321.xml", tmp_path)
    # STATUSREFUSED comes before STATUSAPPLICATION: Ended, on PROCDATE
    assert (r["status"], r["office_status"]) == ("Ended", "STATUSREFUSED")
    assert (r["status_date"], r["termination_date"]) == (D(2022, 9, 5), D(2022, 9, 5))
    assert (r["registration_number"], r["registration_date"]) == (None, None)  # no REGDATE
    assert r["expiry_date"] is None  # never registered
    assert (r["mark_feature"], r["kind"]) == ("Word", ["Collective"])  # MARKTYPE/WORD, kollektiv
    assert r["nice_classes"] == [29, 30, 31]  # NOTLT: NICECLMAIN 29, NICECLOTHER 30 and 31
    # LGSCOMPLETE belongs to no single class
    assert r["goods_services"] == [
        {"class_number": None, "language": "de", "text": "Eingelegtes Gemüse; Gewürze; frisches Gemüse"}
    ]


def test_the_derived_expiry_date():
    assert expiry(D(2012, 2, 10), None) == D(2022, 2, 28)  # end of February
    assert expiry(D(2010, 2, 10), None) == D(2020, 2, 29)  # a leap year
    assert expiry(D(2012, 2, 10), D(2022, 2, 28)) == D(2032, 2, 29)  # renewed: ten years on
    assert expiry(None, None) is None
