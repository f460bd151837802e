"""Value normalizers shared by every transform: dates, codes, classes, vocabularies.

Each takes what an office wrote and returns the data contract's value, or None when the office
gave nothing. They never raise on odd input; a value that cannot be read (a date that does not
exist, a class that is not a number) is reported to `collecting_invalid`, so that the record is
quarantined with the office's own text instead of published with the field silently empty.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from importlib import resources
from typing import Any, TypeVar

_VOCAB = resources.files("transforms") / "vocab"
Sortable = TypeVar("Sortable", str, int)  # the values of the contract's sorted lists

# Dates offices write when they have none (IPAS exports 1900-01-01 for "no publication").
PLACEHOLDER_DATES = {dt.date(1900, 1, 1), dt.date(1, 1, 1), dt.date(9999, 12, 31)}
_ISO_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")
_DAY_FIRST_DATE = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})$")


def load_vocab(name: str) -> dict[str, Any]:
    vocab: dict[str, Any] = json.loads((_VOCAB / name).read_text(encoding="utf-8"))
    return vocab


# Values an office wrote that cannot be read as what the field holds (`2019-02-30`, class `9a`):
# reported to the caller collecting them (normalize quarantines the record with the original
# text), never turned silently into an empty field.
_INVALID: ContextVar[list[tuple[str, str]] | None] = ContextVar("invalid_values", default=None)


@contextmanager
def collecting_invalid() -> Iterator[list[tuple[str, str]]]:
    """Collect (kind, original text) of every unreadable value met inside the block."""
    found: list[tuple[str, str]] = []
    token = _INVALID.set(found)
    try:
        yield found
    finally:
        _INVALID.reset(token)


def _invalid(kind: str, text: str) -> None:
    found = _INVALID.get()
    if found is not None:
        found.append((kind, text))


_NOT_A_DATE = dt.date.min  # cached marker: unreadable (0001-01-01 itself is a placeholder)


@lru_cache(maxsize=65536)
def _date(text: str) -> dt.date | None:
    m = _ISO_DATE.match(text)
    if m:
        year, month, day = m[1], m[2], m[3]
    elif m := _DAY_FIRST_DATE.match(text):
        day, month, year = m[1], m[2], m[3]
    else:
        return _NOT_A_DATE
    try:
        value = dt.date(int(year), int(month), int(day))
    except ValueError:  # 2019-02-30, 0000-00-00
        return _NOT_A_DATE
    return None if value in PLACEHOLDER_DATES else value


def parse_date(text: str | None) -> dt.date | None:
    """ISO (`2000-05-09`, `2000-05-09-04:00`, `2000-05-09T10:00:00`), basic (`20000509`) or day
    first with dots (`09.05.2000`, the Estonian office's); an office placeholder (1900-01-01 ...)
    is None; anything else is reported as invalid."""
    if not text or not text.strip():
        return None
    value = _date(text.strip())
    if value is _NOT_A_DATE:
        _invalid("date", text)
        return None
    return value


ST3_CODES = frozenset(load_vocab("st3-codes.json")["codes"])


def country_code(text: str | None) -> str | None:
    """ST.3 code, upper-cased; `-`, empty or unknown codes give None."""
    if not text:
        return None
    code = text.strip().upper()
    return code if code in ST3_CODES else None


def _c1_to_cp1252() -> dict[int, str]:
    table = {}
    for code in range(0x80, 0xA0):
        try:
            table[code] = bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            table[code] = ""
    return table


# Offices that paste Windows-1252 text into UTF-8 files leave C1 control characters
# (U+0080-U+009F) where quotes and dashes were: `Bao\x92an` is `Bao’an`.
_C1_REPAIR = _c1_to_cp1252()


def clean_text(text: str | None) -> str | None:
    """Collapse whitespace, repair cp1252 mojibake; `-` and empty (office placeholders) → None."""
    if text is None:
        return None
    if not text.isascii():  # only non-ASCII text can hold C1 characters (translate is slow)
        text = text.translate(_C1_REPAIR)
    value = " ".join(text.split())
    return value if value and value != "-" else None


def nice_class(text: str | None) -> int | None:
    """`09`, `9`, `009` → 9. Out-of-range numbers are kept: the quality gate judges them; a class
    that is not a number (`9a`) is reported as invalid."""
    if not text or not text.strip():
        return None
    digits = text.strip().lstrip("0") or "0"
    if digits.isascii() and digits.isdigit() and len(digits) <= 4:
        return int(digits)
    _invalid("class", text)
    return None


_VIENNA = re.compile(r"(\d{1,2})[.\-/ ](\d{1,2})[.\-/ ](\d{1,2})$")
_VIENNA_PACKED = re.compile(r"(\d{2})(\d{2})(\d{2})$")


@lru_cache(maxsize=65536)
def vienna_code(text: str | None) -> str | None:
    """`26.04.01`, `26.4.1`, `260401` → `26.04.01`; anything else is returned unchanged."""
    if not text:
        return None
    raw = text.strip()
    m = _VIENNA_PACKED.match(raw) or _VIENNA.match(raw)
    if not m:
        return raw or None
    return ".".join(f"{int(part):02d}" for part in m.groups())


_LOCARNO = re.compile(r"(\d{1,2})\s*[-./ ]?\s*(\d{2})$")


def locarno_class(text: str | None) -> str | None:
    """`1402`, `14.02`, `14-02`, `14 02` → `14-02`; anything else is returned unchanged."""
    if not text:
        return None
    raw = text.strip()
    m = _LOCARNO.match(raw)
    return f"{int(m[1]):02d}-{m[2]}" if m else raw or None


# Codes offices write that are not (or no longer) the ISO 639-1 code of the language they mean:
# country codes used as language codes (KH, VN) and withdrawn ISO codes (in, iw, ji).
_LANGUAGE_FIXES = {"kh": "km", "vn": "vi", "in": "id", "iw": "he", "ji": "yi"}


def language(text: str | None) -> str | None:
    """ISO 639-1 code, lower-cased (`EN` → `en`); anything not two letters gives None."""
    if not text:
        return None
    code = text.strip().lower()
    code = _LANGUAGE_FIXES.get(code, code)
    return code if len(code) == 2 and code.isalpha() else None


def sorted_unique(values: Iterable[Sortable | None]) -> list[Sortable]:
    return sorted({v for v in values if v is not None})


def _name_key(text: str) -> str:
    key = " ".join(text.replace(".", " ").replace("&", " and ").casefold().split())
    return key[4:] if key.startswith("the ") else key


_COUNTRY_NAMES = {
    _name_key(name): code for code, names in load_vocab("st3-country-names.json")["names"].items() for name in names
}


def country_from_name(text: str | None) -> str | None:
    """ST.3 code of a country written out (`Italy`, `U.S.A.`, `The Netherlands`); else None.

    For offices that end free-format addresses with the country's name instead of a code.
    """
    if not text:
        return None
    return _COUNTRY_NAMES.get(_name_key(text))


def add_years(date: dt.date, years: int) -> dt.date:
    """The same day `years` later (a term of protection); 29 February falls back to the 28th."""
    try:
        return date.replace(year=date.year + years)
    except ValueError:
        return date.replace(year=date.year + years, day=28)
