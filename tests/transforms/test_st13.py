"""ST.13 exactly as the data contract describes it, with each office's mask."""

from __future__ import annotations

import datetime as dt

import pytest

from ipetl.registry import COLLECTIONS
from transforms.st13 import ST13Error, build_st13


@pytest.mark.parametrize(
    "office, masks, number, filed, expected",
    [
        # the data contract's three real examples
        (
            "KH",
            ("KH/(G)/\\d{4}/(.)", "KH/(.*)/(M)", "KH/(.*)/\\d{4}", "KH/(.*)/(\\d{2})"),
            "KH/673426/M",
            dt.date(2015, 8, 6),
            "KH50201500673426M",
        ),
        (
            "MG",
            ("MG/(M|C)/\\d{4}/(\\d*)", "MG/(D)/1/(\\d*)"),
            "MG/M/2018/516",
            dt.date(2018, 7, 4),
            "MG50201800000M516",
        ),
        ("AL", ("AL/(T|E|D)/\\d*/(\\d*)",), "AL/T/1996/001287", dt.date(1996, 4, 19), "AL50199600T001287"),
        # no mask: the application number itself, separators dropped
        ("BN", (), "BN/2019/123", dt.date(2019, 1, 2), "BN502019BN2019123"),
        # filing date unknown: no year, the serial fills the rest
        ("LA", ("(M)/(\\d*)", "(\\d*)"), "37978", None, "LA500000000037978"),
    ],
)
def test_examples(office, masks, number, filed, expected):
    assert len(expected) == 17
    assert build_st13(office, "50", number, filed, masks) == expected


def test_registry_masks_reproduce_the_contract_examples():
    assert COLLECTIONS["mgtm"].st13_rule.build("MG/M/2018/516", dt.date(2018, 7, 4)) == "MG50201800000M516"
    assert COLLECTIONS["altm"].st13_rule.build("AL/T/1996/001287", dt.date(1996, 4, 19)) == "AL50199600T001287"


@pytest.mark.parametrize(
    "number, message",
    [
        (None, "no application number"),
        ("  ", "no application number"),
        ("XX-1", "matches none"),
        ("MG/M/2018/12345678901", "longer than"),
    ],
)
def test_numbers_that_give_no_st13(number, message):
    with pytest.raises(ST13Error, match=message):
        build_st13("MG", "50", number, dt.date(2018, 1, 1), ("MG/(M|C)/\\d{4}/(\\d*)",))
