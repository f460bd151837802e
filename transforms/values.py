"""Value normalizers shared by every transform: dates, codes, classes, vocabularies.

Each takes what an office wrote and returns the data contract's value, or None when the office
gave nothing usable. They never raise on odd input: a transform decides what is fatal.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import lru_cache
from importlib import resources

_VOCAB = resources.files("transforms") / "vocab"

# Dates offices write when they have none (IPAS exports 1900-01-01 for "no publication").
PLACEHOLDER_DATES = {dt.date(1900, 1, 1), dt.date(1, 1, 1), dt.date(9999, 12, 31)}
_ISO_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


def load_vocab(name: str) -> dict:
    return json.loads((_VOCAB / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=65536)
def parse_date(text: str | None) -> dt.date | None:
    """ISO (`2000-05-09`, `2000-05-09-04:00`, `2000-05-09T10:00:00`) or basic (`20000509`)."""
    if not text:
        return None
    m = _ISO_DATE.match(text.strip())
    if not m:
        return None
    try:
        value = dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
    return None if value in PLACEHOLDER_DATES else value


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
    """`09`, `9`, `009` → 9. Out-of-range numbers are kept: the quality gate judges them."""
    if not text:
        return None
    digits = text.strip().lstrip("0") or "0"
    return int(digits) if digits.isdigit() and len(digits) <= 4 else None


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


def sorted_unique(values) -> list:
    return sorted({v for v in values if v is not None})


def _name_key(text: str) -> str:
    key = " ".join(text.replace(".", " ").replace("&", " and ").casefold().split())
    return key[4:] if key.startswith("the ") else key


_COUNTRY_NAMES = {
    _name_key(name): code
    for code, names in load_vocab("st3-country-names.json")["names"].items()
    for name in names
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
