"""INPI office record (connectors/inpi.py) → canonical trademark record: the ST.66 mapping
(transforms/st66.py), then what INPI tells only by its recordals, as WIPO's Global Brand
Database reads them:

- registration: a recordal whose BasicRecordKind begins with "Enregistrement" means the mark
  was registered; INPI registers under the application number, dated by that recordal's
  publication;
- publication_date: the publication of the first recordal of kind "Publication...";
- status_date: the publication of the last recordal (termination_date too, for an Ended mark).

A recordal's date is its RecordPublication/PublicationDate; where INPI gives only the BOPI
number `YYYY-WW` (PublicationIdentifier) or a truncated date, the Friday of that ISO week, the
day the BOPI appears.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import cast

from connectors import inpi as connector
from connectors.records import Fields, InpiRecord
from transforms import st66
from transforms.records import OfficeRecord, TrademarkRecord
from transforms.rules import DELETE, CollectionRules
from transforms.spec import Format
from transforms.values import parse_date

_WEEK = re.compile(r"(\d{4})-?(\d{2})")


def recordal_date(recordal: Fields) -> dt.date | None:
    """The recordal's PublicationDate, else the Friday of the BOPI week `YYYY-WW`."""
    written = recordal.get("PublicationDate") or ""
    if len(written) >= len("YYYY-MM-DD"):
        return parse_date(written)
    week = _WEEK.fullmatch((recordal.get("PublicationIdentifier") or "").strip())
    if week is None:
        return None
    try:
        return dt.date.fromisocalendar(int(week[1]), int(week[2]), 5)
    except ValueError:
        return None


def _first(recordals: list[Fields], kind: str) -> Fields | None:
    return next((r for r in recordals if (r.get("BasicRecordKind") or "").startswith(kind)), None)


def to_canonical(office_record: OfficeRecord, rules: CollectionRules, today: dt.date) -> TrademarkRecord:
    """The ST.66 mapping, completed from the recordals."""
    record = cast("InpiRecord", office_record)
    out = st66.to_canonical(record, rules, today)
    recordals = record["recordals"]
    if out["status"] == DELETE or not recordals:
        return out
    registered = _first(recordals, "Enregistrement")
    if registered is not None:
        out["registration_number"] = out["registration_number"] or out["application_number"]
        out["registration_date"] = out["registration_date"] or recordal_date(registered)
    published = _first(recordals, "Publication")
    if out["publication_date"] is None and published is not None:
        out["publication_date"] = recordal_date(published)
    if out["status_date"] is None:
        out["status_date"] = recordal_date(recordals[-1])
    if out["status"] == "Ended" and out["termination_date"] is None:
        out["termination_date"] = out["status_date"]
    return out


FORMAT = Format(
    name="inpi",
    table="trademarks",
    read=connector.iter_office_records,
    to_canonical=to_canonical,
    description="INPI (France) trademark XML: bare ST.66 TradeMark records dated by their recordals (MarkRecord)",
)
