"""Offices delivering ST.96 trademark records (ipetl/collections/st96.py), each normalized from a
fixture written from its format tree (tests/fixtures/<id>/, see the file's header: not a real
delivery). Expected values are read from the fixture; each names the element."""

from __future__ import annotations

import datetime as dt

from ipetl.collections.st96 import COLLECTIONS
from tests.conftest import FIXTURES
from transforms import st96_trademark
from transforms.normalize import normalize_file

D = dt.date
OFFICES = {c.id: c for c in COLLECTIONS}


def test_swiss_st96_record(tmp_path):
    c = OFFICES["chtm"]
    assert (c.format.name, c.office, c.st13_rule.masks) == ("st96-trademark", "CH", (r"(\d*)/\d{4}",))
    result = normalize_file(FIXTURES / "chtm" / "chtm.xml", st96_trademark.FORMAT, c.rules(), tmp_path)
    assert result.rejected is None and result.quarantined == []
    [r] = [row for batch in result.batches() for row in batch.to_pylist()]
    result.discard()
    # <com:ApplicationNumberText>52817/2019 under mask (\d*)/\d{4}; <com:ApplicationDate>2019-05-06
    assert r["st13"] == "CH502019000052817"
    assert (r["office"], r["collection"], r["application_number"]) == ("CH", "chtm", "52817/2019")
    assert (r["registration_number"], r["registration_date"], r["expiry_date"]) == (
        "735112",
        D(2019, 9, 18),
        D(2029, 5, 6),
    )
    assert (r["status"], r["office_status"]) == ("Registered", "Registered")  # <tmk:MarkCurrentStatusCode>
    assert r["kind"] == ["Individual"]  # <tmk:MarkCategory>; tmk:CHMarkCategory is the office's own
    assert r["mark_feature"] == "Combined"  # <tmk:MarkFeatureCategory>
    # only <tmk:MarkSignificantVerbalElementText> is given
    assert r["mark_text"] == "EDELWEISS HORLOGERIE"
    # GoodsServicesClassification (Nice) 14 and 35; a description for 14 only, in no stated
    # language (the tree's GoodsServicesDescriptionText has no languageCode)
    assert r["nice_classes"] == [14, 35]
    assert r["goods_services"] == [{"class_number": 14, "language": None, "text": "Montres; horlogerie."}]
    # Contact/Name/PersonName/PersonFullName (companies too), PostalStructuredAddress
    assert r["applicants"] == [
        {
            "name": "Edelweiss Horlogerie SA",
            "country_code": "CH",
            "address": "Rue des Artisans 12, 2300 La Chaux-de-Fonds",
        }
    ]
    assert r["representatives"][0]["name"] == "Jura Brevets Sàrl"
    # no com:ApplicationNumber in the tree's Priority: the first filing's number is unknown
    assert r["priorities"] == [{"country_code": "FR", "number": None, "date": D(2018, 12, 20)}]
    assert r["publication_date"] == D(2019, 9, 25)
