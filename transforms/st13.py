"""WIPO ST.13 application identifiers, built as the data contract describes.

office (2) + IP type (2) + filing year (4, when the filing date is known) + the serial the
office's mask captures, left-padded with zeros to 17 characters. Masks are regular expressions
matched against the whole application number, tried in order; their groups are concatenated.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache

ST13_LENGTH = 17
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")


class ST13Error(ValueError):
    """The application number cannot give an ST.13 under the collection's rule."""

    def __init__(self, message: str, number: str | None = None):
        super().__init__(message)
        self.number = number


@dataclass(frozen=True)
class ST13Rule:
    office: str
    ip_type: str  # "50" trademark, "70" design ... (vocab st13_identifier)
    masks: tuple[str, ...] = ()
    # False where WIPO's Global Brand Database builds the office's keys without the filing year
    # (EUIPO, UKIPO, BPO): so that our keys join GBD's.
    filing_year: bool = True

    def build(self, application_number: str | None, application_date: dt.date | None) -> str:
        year_from = application_date if self.filing_year else None
        return build_st13(self.office, self.ip_type, application_number, year_from, self.masks)


@cache
def _compiled(masks: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(m) for m in masks)


def serial(application_number: str, masks: tuple[str, ...]) -> str:
    number = application_number.strip()
    if masks:
        for pattern in _compiled(masks):
            m = pattern.fullmatch(number)
            if m:
                number = "".join(g for g in m.groups() if g)
                break
        else:
            raise ST13Error(
                f"application number {application_number!r} matches none of the office's ST.13 masks",
                application_number,
            )
    return _NOT_ALNUM.sub("", number).upper()


def build_st13(
    office: str,
    ip_type: str,
    application_number: str | None,
    application_date: dt.date | None,
    masks: tuple[str, ...] = (),
) -> str:
    if not application_number or not application_number.strip():
        raise ST13Error("no application number")
    prefix = f"{office}{ip_type}" + (f"{application_date.year:04d}" if application_date else "")
    number = serial(application_number, masks)
    if not number:
        raise ST13Error(f"application number {application_number!r} gives an empty serial", application_number)
    width = ST13_LENGTH - len(prefix)
    if len(number) > width:
        raise ST13Error(
            f"serial {number!r} of {application_number!r} is longer than the {width} characters ST.13 leaves",
            application_number,
        )
    return prefix + number.zfill(width)
