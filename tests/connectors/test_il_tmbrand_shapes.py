"""TMBRAND shapes beyond the four real samples, on a fixture written from
reference/formats/brands/iltm.tree (tests/fixtures/iltm/wrapped-designation.xml, not a real
delivery; its header says which parts are assumptions)."""

from __future__ import annotations

import datetime as dt

from connectors.il_tmbrand import iter_office_records
from connectors.records import TmbrandRecord
from ipetl.collections.national import ILTM
from tests.conftest import FIXTURES
from transforms.il_tmbrand import to_canonical

FIXTURE = FIXTURES / "iltm" / "wrapped-designation.xml"


def records() -> list[TmbrandRecord]:
    with open(FIXTURE, "rb") as stream:
        return list(iter_office_records(stream))


def test_several_marks_under_a_wrapper_stream_one_by_one():
    assert [r["ApplicationNumber"] for r in records()] == ["900001", "900002"]


def test_the_main_name_wins_and_every_language_is_kept():
    first = records()[0]
    # two English names, main="0" then main="1"
    assert first["applicants"][0]["names"] == {"en": "New Name GmbH"}
    assert first["applicants"][1]["names"] == {"he": "ישראל ישראלי"}
    assert first["priorities"][0]["COUNTRY"] == {"he": "גרמניה", "en": "Germany"}
    assert first["BRAND"] == {}  # both NAME elements empty


def test_madrid_designation_with_a_priority_and_no_verbal_element():
    r = to_canonical(records()[0], ILTM.rules(), dt.date(2026, 1, 1))
    assert r["international_registration"] == "1500001"  # <Internationality>International
    assert r["priorities"] == [{"country_code": "DE", "number": "30 2019 000 001", "date": dt.date(2019, 8, 15)}]
    assert r["kind"] == ["Collective"]  # <BRANDTYPE>Collective mark
    assert r["mark_text"] is None and r["mark_text_language"] is None
    assert r["mark_feature"] == "Figurative"  # an IMAGEFILE and a Vienna code, no name
    assert r["vienna_codes"] == []  # <VIENNATYPE>3.1 is a section, not a CC.SS.EE code
    assert r["applicants"] == [
        {"name": "New Name GmbH", "country_code": "DE", "address": "Hauptstrasse 1, Berlin, Germany"},
        # Hebrew only: the Hebrew name, and the country the Hebrew address ends with (ישראל)
        {"name": "ישראל ישראלי", "country_code": "IL", "address": "רחוב הרצל 1, חיפה, ישראל"},
    ]
    assert r["status"] == "Pending" and r["registration_number"] is None


def test_a_deleted_application_that_never_was_registered_ended():
    r = to_canonical(records()[1], ILTM.rules(), dt.date(2026, 1, 1))
    assert (r["status"], r["office_status"]) == ("Ended", "deleted")
    assert r["registration_number"] is None and r["registration_date"] is None
    assert r["status_date"] is None and r["termination_date"] is None  # no event dates it
    assert r["mark_feature"] == "Word"  # a name, no image
    assert r["st13"] == "IL502020000900002"
