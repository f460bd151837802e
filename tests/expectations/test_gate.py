"""The GX gate on batches with known defects: each bad record is quarantined under the right
rule id with the failing value, and the good records of the same batch pass."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pyarrow as pa
import pytest

from expectations import gate
from ipetl.registry import COLLECTIONS
from tests.conftest import sample
from transforms.normalize import normalize_file
from transforms.schema import DESIGNS, TRADEMARKS, empty_record

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)  # the gate's today: 2026-11-21


@pytest.fixture(scope="module")
def kh_record(tmp_path_factory) -> dict:
    c = COLLECTIONS["khtm"]
    result = normalize_file(sample("khtm"), c.format, c.rules(), tmp_path_factory.mktemp("spool"))
    [record] = [r for b in result.batches() for r in b.to_pylist()]
    return record


@pytest.fixture(scope="module")
def gx_root(tmp_path_factory):
    return tmp_path_factory.mktemp("gx")


def variant(base: dict, st13: str, **changes) -> dict:
    record = copy.deepcopy(base)
    record.update(st13=st13, source_file=f"{st13}.xml", **changes)
    return record


def check(table, records, gx_root):
    schema = TRADEMARKS if table == "trademarks" else DESIGNS
    collection = "khtm" if table == "trademarks" else "khtm"
    return gate.validate(
        table,
        pa.Table.from_pylist(records, schema=schema),
        COLLECTIONS[collection].rules(),
        list(COLLECTIONS),
        gx_root,
        now=NOW,
        label=gate.BatchLabel(collection, tuple(sorted({r["source_file"] for r in records})), "test-run"),
    )


def rules_by_st13(result) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for q in result.quarantine:
        found.setdefault(q["st13"], set()).add(q["rule_id"])
    return found


def test_trademark_defects_are_quarantined_with_their_rule(kh_record, gx_root):
    good = [variant(kh_record, f"KH50201500000{i:03d}M") for i in range(1, 4)]
    bad = [
        variant(kh_record, "KH50201500000101M", nice_classes=[10, 99]),
        variant(kh_record, "KH50201500000102M", application_date=dt.date(2027, 1, 1)),
        variant(kh_record, "KH50201500000103M", registration_number=None),
        variant(kh_record, "KH50201500000104M", mark_text=None),  # Combined mark without text
        variant(kh_record, "KH50201500000105M", vienna_codes=["26.04.01", "2604"]),
        variant(kh_record, "KH50201500000106M", applicants=[]),
        variant(kh_record, "KH50201500000107M", status="Live"),
        variant(kh_record, "KH50201500000108M", expiry_date=dt.date(2016, 1, 1)),  # before registration
        variant(kh_record, "XX50201500000109M"),  # st13 of another office
        variant(kh_record, "KH5020150000011M"),  # 16 characters
    ]
    dup_first = variant(kh_record, "KH50201500000200M", mark_text="FIRST")
    dup_last = variant(kh_record, "KH50201500000200M", mark_text="LAST")
    result = check("trademarks", good + bad + [dup_first, dup_last], gx_root)
    found = rules_by_st13(result)
    assert found["KH50201500000101M"] == {"TM-NICE-RANGE"}
    assert found["KH50201500000102M"] >= {"TM-APPDATE-NOT-FUTURE"}
    assert found["KH50201500000103M"] == {"TM-REGISTERED-REGNUM"}
    assert found["KH50201500000104M"] == {"TM-WORD-HAS-TEXT"}
    assert found["KH50201500000105M"] == {"TM-VIENNA-FORMAT"}
    assert found["KH50201500000106M"] == {"TM-APPLICANTS-PRESENT"}
    assert found["KH50201500000107M"] == {"TM-STATUS-VOCAB"}
    assert found["KH50201500000108M"] == {"TM-EXPIRY-AFTER-REGDATE"}
    assert found["XX50201500000109M"] == {"TM-ST13-OFFICE"}
    assert found["KH5020150000011M"] >= {"TM-ST13-LENGTH", "TM-ST13-FORMAT"}
    assert found["KH50201500000200M"] == {"TM-ST13-UNIQUE"}
    values = {(q["st13"], q["rule_id"]): q["value"] for q in result.quarantine}
    assert values[("KH50201500000101M", "TM-NICE-RANGE")] == "99"
    assert values[("KH50201500000102M", "TM-APPDATE-NOT-FUTURE")] == "2027-01-01"
    assert values[("KH50201500000105M", "TM-VIENNA-FORMAT")] == "2604"
    assert all(q["source_file"] == f"{q['st13']}.xml" for q in result.quarantine)

    passed = result.passed.to_pylist()
    assert sorted(r["st13"] for r in passed) == sorted([r["st13"] for r in good] + ["KH50201500000200M"])
    assert next(r for r in passed if r["st13"] == "KH50201500000200M")["mark_text"] == "LAST"
    assert result.ok  # 11 bad of 15, but the share rule applies only from 20 records


def test_registration_backdated_to_priority_is_accepted(kh_record, gx_root):
    record = variant(
        kh_record,
        "KH50201500000300M",
        registration_date=dt.date(2015, 3, 1),
        priorities=[{"country_code": "NL", "number": "1", "date": dt.date(2015, 3, 1)}],
    )
    before_everything = variant(kh_record, "KH50201500000301M", registration_date=dt.date(2015, 3, 1))
    found = rules_by_st13(check("trademarks", [record, before_everything], gx_root))
    assert "KH50201500000300M" not in found
    assert found["KH50201500000301M"] == {"TM-REGDATE-AFTER-FILING"}


def test_a_batch_mostly_bad_fails_as_a_whole(kh_record, gx_root):
    records = [variant(kh_record, f"KH50201500000{i:03d}M", nice_classes=[0]) for i in range(15)]
    records += [variant(kh_record, f"KH50201500001{i:03d}M") for i in range(5)]
    result = check("trademarks", records, gx_root)
    assert not result.ok and "15 of 20 records" in result.failures[0]


def design(st13: str, number: str = "1", **changes: Any) -> dict[str, Any]:
    return {
        **empty_record("designs"),
        "st13": st13,
        "design_number": number,
        "office": "KH",
        "collection": "khtm",
        "application_number": "KH/D/2019/1",
        "application_date": dt.date(2019, 1, 2),
        "status": "Pending",
        "product_indication": "Bottle",
        "locarno_classes": ["09-01"],
        "applicants": [{"name": "A", "country_code": "KH", "address": None}],
        "source_file": f"{st13}-{number}.xml",
        **changes,
    }


def test_design_defects(gx_root):
    records = [
        design("KH70201900000001A", "1"),
        design("KH70201900000001A", "2"),  # same application, second design: not a duplicate
        design("KH70201900000002A", locarno_classes=["14-02", "1402"]),
        design("KH70201900000003A", locarno_classes=["33-01"]),
        design("KH70201900000004A", product_indication=None),
        design("KH50201900000005A"),  # trademark type in a design key
    ]
    result = check("designs", records, gx_root)
    found = rules_by_st13(result)
    assert found == {
        "KH70201900000002A": {"DS-LOCARNO-FORMAT"},
        "KH70201900000003A": {"DS-LOCARNO-FORMAT"},
        "KH70201900000004A": {"DS-PRODUCT-PRESENT"},
        "KH50201900000005A": {"DS-ST13-FORMAT"},
    }
    assert [(r["st13"], r["design_number"]) for r in result.passed.to_pylist()] == [
        ("KH70201900000001A", "1"),
        ("KH70201900000001A", "2"),
    ]


def test_an_event_category_outside_the_vocabulary_is_quarantined_a_null_one_passes(kh_record, gx_root):
    unmapped = {"date": dt.date(2016, 1, 1), "code": "ZZ9", "text": "an office code no table maps", "category": None}
    misspelt = {**unmapped, "category": "Registred"}
    kept = variant(kh_record, "KH50201500000301M", events=[*kh_record["events"], unmapped])
    bad = variant(kh_record, "KH50201500000302M", events=[*kh_record["events"], misspelt])
    result = check("trademarks", [kept, bad], gx_root)
    assert rules_by_st13(result) == {"KH50201500000302M": {"TM-EVENT-CATEGORY-VOCAB"}}
    assert [q["value"] for q in result.quarantine] == ["Registred"]
    assert result.passed.column("st13").to_pylist() == ["KH50201500000301M"]
