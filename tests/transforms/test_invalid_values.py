"""A value that cannot be read is never published as an empty field: the record is quarantined
with the office's own text (rule value.date / value.class), and the ST.13 key is never built
from a guessed year."""

from __future__ import annotations

import pytest

from ipetl.registry import get
from tests.conftest import MIRROR
from transforms.normalize import normalize_file

# samples/mirror/khtm/khtm.xml: <ApplicationDate>2015-08-06, <ExpiryDate>2025-08-06, <ClassNumber>10
KH = (MIRROR / "khtm" / "khtm.xml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "original, written, rule",
    [
        (
            "<ApplicationDate>2015-08-06</ApplicationDate>",
            "<ApplicationDate>2019-02-30</ApplicationDate>",
            "value.date",
        ),
        (
            "<ApplicationDate>2015-08-06</ApplicationDate>",
            "<ApplicationDate>0000-00-00</ApplicationDate>",
            "value.date",
        ),
        ("<ExpiryDate>2025-08-06</ExpiryDate>", "<ExpiryDate>2025-13-06</ExpiryDate>", "value.date"),
        ("<ClassNumber>10</ClassNumber>", "<ClassNumber>9a</ClassNumber>", "value.class"),
    ],
)
def test_an_unreadable_value_quarantines_the_record_with_its_text(original, written, rule, tmp_path):
    assert KH.count(original) == 1
    delivery = tmp_path / "khtm.xml"
    delivery.write_text(KH.replace(original, written), encoding="utf-8")
    collection = get("khtm")
    result = normalize_file(delivery, collection.format, collection.rules(), tmp_path)
    assert result.records == 0 and result.rejected is None
    [row] = result.quarantined
    value = written.split(">")[1].split("<")[0]
    assert (row["rule_id"], row["value"], row["st13"]) == (rule, value, None)
    assert value in row["reason"]


def test_the_readable_record_is_published(tmp_path):
    collection = get("khtm")
    result = normalize_file(MIRROR / "khtm" / "khtm.xml", collection.format, collection.rules(), tmp_path)
    assert (result.records, result.quarantined) == (1, [])
