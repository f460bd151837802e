"""Events read from the samples and fixtures: each expected value is what the file says (the element
is named next to it); the category is the vocabulary's word for it, null where no table maps the
office's code (the event is kept all the same)."""

from __future__ import annotations

import datetime as dt
import json

from ipetl.registry import get
from tests.conftest import FIXTURES, MIRROR, clean_rows
from tests.transforms.test_tsdr_pairs import USTM_TSDR
from transforms import st96_trademark
from transforms.schema import EVENT_CATEGORIES

D = dt.date
REFERENCE_VOCAB = MIRROR.parents[1] / "transforms" / "vocab" / "brands-vocabularies.json"


def rows_of(collection_id: str, path, tmp_path) -> list[dict]:
    collection = get(collection_id)
    return clean_rows(path, collection.format, collection.rules(), tmp_path)


def events(rows: list[dict], st13: str) -> list[tuple]:
    [row] = [r for r in rows if r["st13"] == st13]
    return [(e["date"], e["code"], e["text"], e["category"]) for e in row["events"]]


def test_the_categories_are_wipos_brand_event_vocabulary():
    assert list(EVENT_CATEGORIES) == json.loads(REFERENCE_VOCAB.read_text())["events"]


def test_cambodia_st66_mark_event_details(tmp_path):
    """samples/mirror/khtm/khtm.xml, wo:MarkEventDetails: four MarkEvents in this order."""
    rows = rows_of("khtm", MIRROR / "khtm" / "khtm.xml", tmp_path)
    assert events(rows, "KH50201500673426M") == [
        # MarkEventDate 2015-08-06, MarkEventCode Filed, OfficeSpecificMarkEventName Filing (no office code)
        (D(2015, 8, 6), "Filed", "Filing", "Filed"),
        # MarkEventCode Registered, OfficeSpecificMarkEventCode 123, Description (en) "TM Registered"
        (D(2016, 6, 10), "123", "TM Registered", "Registered"),
        (D(2016, 7, 29), "Published", "Publication", "Published"),
        (D(2016, 10, 27), "123", "TM Registered", "Registered"),
    ]


def test_uspto_daily_xml_case_file_event_statements(tmp_path):
    """tests/fixtures/ustm/case-files.xml, serial 75123456: <case-file-event-statement> code,
    description-text, date (YYYYMMDD)."""
    rows = rows_of("ustm", FIXTURES / "ustm" / "case-files.xml", tmp_path)
    assert events(rows, "US501996075123456") == [
        (D(1996, 4, 10), "NWAP", "NEW APPLICATION ENTERED", "Filed"),
        (D(1997, 5, 20), "PUBO", "PUBLISHED FOR OPPOSITION", "Published"),
        (D(1997, 8, 12), "R.PR", "REGISTERED-PRINCIPAL REGISTER", "Registered"),
        (D(2017, 9, 15), "REN1", "REGISTERED AND RENEWED (FIRST RENEWAL - 10 YRS)", "Registered"),
    ]
    # serial 78901234, filed 20190305, has no <case-file-event-statements>
    assert events(rows, "US502019078901234") == []


def test_uspto_tsdr_st66_events_unmapped_codes_kept(tmp_path):
    """samples/mirror/ustm-tsdr/rn2178784-ST66.xml: 33 MarkEvents (MarkEventEntryNumber 33 down to
    1), USPTO codes with their text in MarkEventExt/MarkEventInternalDescriptionText."""
    [row] = clean_rows(MIRROR / "ustm-tsdr" / "rn2178784-ST66.xml", USTM_TSDR.format, USTM_TSDR.rules(), tmp_path)
    found = [(e["date"], e["code"], e["text"], e["category"]) for e in row["events"]]
    assert len(found) == 33
    # the first: CORV, a paperwork code no table maps: kept, category null
    assert found[0] == (D(2011, 12, 29), "CORV", "REVIEW OF CORRESPONDENCE COMPLETE - INFORMATION MADE OF RECORD", None)
    # MarkEventDate 1998-08-04-04:00 (the date, its zone dropped), R.PR
    assert (D(1998, 8, 4), "R.PR", "REGISTERED-PRINCIPAL REGISTER", "Registered") in found
    assert found[-1] == (D(1995, 7, 3), "DOCK", "ASSIGNED TO EXAMINER", "Examined")


def test_st96_mark_event_bag(tmp_path):
    """samples/mirror/st96-examples/TrademarkApplication_Example.xml, tmk:MarkEventBag: each MarkEvent
    has MarkEventCategory "National prosecution history entry" (no category word) and a
    NationalMarkEvent with USPTO's five-character code and text."""
    path = MIRROR / "st96-examples" / "TrademarkApplication_Example.xml"
    [row] = clean_rows(path, st96_trademark.FORMAT, USTM_TSDR.rules(), tmp_path)
    first = row["events"][0]
    assert (first["date"], first["code"], first["text"]) == (D(2017, 3, 28), "R.PRA", "REGISTERED-PRINCIPAL REGISTER")
    assert first["category"] is None  # R.PRA is in no table: kept, category null
    assert len(row["events"]) == 17  # MarkEventEntryNumber 17 down to 1


def test_st86_design_event_details(tmp_path):
    """tests/fixtures/khid/khid-designs.xml, KH/D/2022/000245 filed 2022-03-09, design 1:
    DesignEventCode Registered, DesignEventDate 2023-01-20, OfficeSpecificDesignEventName Registration."""
    rows = rows_of("khid", FIXTURES / "khid" / "khid-designs.xml", tmp_path)
    assert events(rows, "KH702022000000245") == [(D(2023, 1, 20), "Registered", "Registration", "Registered")]


def test_tmbrand_events(tmp_path):
    """samples/mirror/iltm/eventdata.xml, OFFICENUMBER 317809 filed 20190618: one EVENTS item,
    EventDate 20200728, NatureOfEvent he קובל / en Accepted (the collection's table: Examined)."""
    rows = rows_of("iltm", MIRROR / "iltm" / "eventdata.xml", tmp_path)
    assert events(rows, "IL502019000317809") == [(D(2020, 7, 28), "Accepted", "קובל", "Examined")]


def test_st96_design_application_events(tmp_path):
    """tests/fixtures/st96-design/DesignApplication_Example.xml (WIPO's example, office XX):
    28 dgn:DesignApplicationEvents (category, com:CommentText, date); the design has no DesignEventBag."""
    from tests.transforms.test_st96_design_samples import EXAMPLE, normalize

    [row] = normalize(EXAMPLE, tmp_path)
    found = [(e["date"], e["code"], e["text"], e["category"]) for e in row["events"]]
    assert len(found) == 28
    # the first: DesignApplicationEventCategory Undefined (no category), the office's words in CommentText
    assert found[0] == (D(2019, 1, 31), "Transmit Statement of Grant to I.B. (Hague)", None, None)
    # the last: category Filed, CommentText "Application received by XX Office", 2017-08-29
    assert found[-1] == (D(2017, 8, 29), "Application received by XX Office", None, "Filed")
