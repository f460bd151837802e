from __future__ import annotations

import datetime as dt

import pytest

from transforms import values


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2016-06-10", dt.date(2016, 6, 10)),
        ("2000-05-09-04:00", dt.date(2000, 5, 9)),  # USPTO TSDR writes a zone offset
        ("2000-05-09T10:11:12Z", dt.date(2000, 5, 9)),
        ("20170104", dt.date(2017, 1, 4)),  # USPTO daily XML, KIPRIS, ST.32
        ("03.02.2015", dt.date(2015, 2, 3)),  # Estonian office (WIPO's eetm template: %d.%m.%Y)
        ("31.02.2015", None),
        ("", None),
        (None, None),
        ("   ", None),
        ("1900-01-01", None),  # IPAS's "no date"
        ("2019-02-30", None),
        ("00000000", None),
        ("n/a", None),
    ],
)
def test_parse_date(text, expected):
    assert values.parse_date(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [("NL", "NL"), ("nl", "NL"), (" -", None), ("-", None), ("", None), ("XZ", None), ("EM", "EM"), ("WO", "WO")],
)
def test_country_code(text, expected):
    assert values.country_code(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("26.04.01", "26.04.01"),
        ("26.4.1", "26.04.01"),
        ("260401", "26.04.01"),
        ("26-04-01", "26.04.01"),
        ("A", "A"),
        ("24.13", "24.13"),
        ("26.2", "26.2"),
    ],  # two-level codes are not made into three levels
)
def test_vienna_code(text, expected):
    assert values.vienna_code(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [("1402", "14-02"), ("14.02", "14-02"), ("14-02", "14-02"), ("2-05", "02-05"), ("14 02", "14-02"), ("xx", "xx")],
)
def test_locarno_class(text, expected):
    assert values.locarno_class(text) == expected


@pytest.mark.parametrize("text, expected", [("09", 9), ("9", 9), ("045", 45), ("99", 99), ("", None), ("IX", None)])
def test_nice_class(text, expected):
    assert values.nice_class(text) == expected


def test_clean_text_repairs_windows_1252_in_utf8_and_drops_placeholders():
    assert values.clean_text("Bao\x92an  District\n") == "Bao\u2019an District"
    assert values.clean_text("\x93quoted\x94") == "\u201cquoted\u201d"
    assert values.clean_text(" - ") is None
    assert values.clean_text("") is None


@pytest.mark.parametrize(
    "text, expected", [("EN", "en"), ("kh", "km"), ("vn", "vi"), ("in", "id"), ("la", "la"), ("eng", None), ("", None)]
)
def test_language(text, expected):
    assert values.language(text) == expected
