"""DPMA MARKDOC office record (connectors/dpma.py) → canonical trademark record, from CURRENT.

As WIPO's Global Brand Database reads it, except where said:
- key: ST.13 from NR through the office code map's masks, without a year (GBD builds it so);
  application_number FILENR without its check-digit dot; registration_number NR without `DE`,
  once registered (REGDATE);
- status: the first STATUS... flag set, in the order STATUSCANCELLED, STATUSREFUSED,
  STATUSOPPOSABLE, STATUSINFORCE, STATUSOPPOSITIONPENDING, STATUSAPPLICATION, is the office
  status (its element name), through the collection's table; dated by PROCDATE (the
  termination date too, for an Ended mark);
- expiry_date: DPMA gives none; for a Registered or Expired mark it is derived as GBD derives
  it: ten years after the last renewal (RENEWALDATE), else after the filing date, on the last
  day of the filing date's month (the term of a registered right must be known: the gate
  requires it);
- mark_feature: the first MARKTYPE flag set, through the collection's table (a WORDIMAGE,
  Wort-/Bildmarke, is Combined: GBD files it Figurative); kind: MARKENKATEGORIE;
- goods and services: TLT/NICEGR (class NICECLMAIN, text LGS); without a list per class
  (NOTLT), the classes NICECLMAIN and NICECLOTHER and the whole text LGSCOMPLETE unclassed;
- parties: OWNERGR/OWNER (OWNAME, OWCITY, OWCC) and AGENT (AGNAME, AGCITY, AGCC).
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import cast

from connectors import dpma as connector
from connectors.groups import first, value
from connectors.records import Group, Groups, MarkdocRecord
from transforms.records import GoodsServices, OfficeRecord, Party, TrademarkRecord
from transforms.rules import CollectionRules
from transforms.schema import empty_record
from transforms.spec import Format
from transforms.values import clean_text, country_code, nice_class, parse_date, sorted_unique, vienna_code

STATUS_FLAGS = (
    "STATUSCANCELLED",
    "STATUSREFUSED",
    "STATUSOPPOSABLE",
    "STATUSINFORCE",
    "STATUSOPPOSITIONPENDING",
    "STATUSAPPLICATION",
)
MARK_TYPES = (
    "ACOUSTIC",
    "COLOUR",
    "IMAGE",
    "KABELKENNFADEN",
    "MOTION",
    "MULTIMEDIA",
    "OTHERMARK",
    "PATTERN",
    "POSITION",
    "SOUND",
    "THREEDIM",
    "WORD",
    "WORDIMAGE",
)
_UNSET = {"", "false", "0"}


def _set(group: Group, flag: str) -> bool:
    return flag in group and (value(group, flag) or "").strip().casefold() not in _UNSET


def expiry(filed: dt.date | None, renewed: dt.date | None) -> dt.date | None:
    """Ten years after `renewed` (else `filed`), at the end of the filing date's month."""
    if filed is None:
        return None
    start = renewed or filed
    year, month = start.year + 10, filed.month
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _parties(groups: list[Group], name: str, city: str, country: str) -> list[Party]:
    return [
        {
            "name": clean_text(value(g, name)),
            "country_code": country_code(value(g, country)),
            "address": clean_text(value(g, city)),
        }
        for g in groups
    ]


def _goods(current: Groups) -> tuple[list[int | None], list[GoodsServices]]:
    classes: list[int | None] = []
    goods: list[GoodsServices] = []
    for group in current.get("TLT/NICEGR", []):
        cls = nice_class(value(group, "NICECLMAIN"))
        classes.append(cls)
        if cls is not None and (text := clean_text(value(group, "LGS"))):
            goods.append({"class_number": cls, "language": "de", "text": text})
    for group in current.get("NOTLT", []):
        classes.extend(nice_class(c) for c in group.get("NICECLMAIN", []) + group.get("NICECLOTHER", []))
        if text := clean_text(value(group, "LGSCOMPLETE")):
            goods.append({"class_number": None, "language": "de", "text": text})
    return classes, goods


def to_canonical(office_record: OfficeRecord, rules: CollectionRules, today: dt.date) -> TrademarkRecord:
    """Map one MARKDOC; raises ST13Error when no record key can be built."""
    record = cast("MarkdocRecord", office_record)
    current = record["current"]
    mark = first(current, "")
    number = clean_text(value(mark, "NR"))
    registered = parse_date(value(mark, "REGDATE"))
    office_status = next((flag for flag in STATUS_FLAGS if _set(mark, flag)), None)
    status = rules.status_category(office_status)
    status_date = parse_date(value(mark, "PROCDATE"))
    mark_type = next((t for t in MARK_TYPES if _set(first(current, "MARKTYPE"), t)), None)
    kind = rules.lookup("kind", clean_text(value(mark, "MARKENKATEGORIE")))
    mark_text = clean_text(value(mark, "MARKTEXT"))
    classes, goods = _goods(current)
    filed = parse_date(value(mark, "FILDATE"))
    term_end = expiry(filed, parse_date(value(mark, "RENEWALDATE"))) if status in ("Registered", "Expired") else None
    out = empty_record("trademarks")
    out.update(
        {
            "st13": rules.st13.build(number, None),
            "office": rules.office,
            "collection": rules.collection,
            "application_number": clean_text((value(mark, "FILENR") or "").replace(".", "")),
            "application_date": filed,
            "registration_number": number.removeprefix("DE") if number and registered else None,
            "registration_date": registered,
            "publication_date": parse_date(value(mark, "PUBDATE")),
            "expiry_date": term_end,
            "status": status,
            "office_status": office_status,
            "status_date": status_date,
            "termination_date": status_date if status == "Ended" else None,
            "mark_feature": (rules.lookup("feature", mark_type) or "Other") if mark_type else "Undefined",
            "kind": [kind] if kind else [],
            "mark_text": mark_text,
            "mark_text_language": "de" if mark_text else None,
            "nice_classes": sorted_unique(classes),
            "goods_services": goods,
            "vienna_codes": sorted_unique(
                vienna_code(v) for g in current.get("VIENNAGR", []) for v in g.get("VIENNACL", [])
            ),
            "applicants": _parties(current.get("OWNERGR/OWNER", []), "OWNAME", "OWCITY", "OWCC"),
            "representatives": _parties(current.get("AGENT", []), "AGNAME", "AGCITY", "AGCC"),
            "priorities": [
                {
                    "country_code": country_code(p.get("PRIOCC")),
                    "number": clean_text(p.get("PRIONR")),
                    "date": parse_date(p.get("PRIODATE")),
                }
                for p in record["priorities"]
            ],
        }
    )
    return out


FORMAT = Format(
    name="dpma",
    table="trademarks",
    read=connector.iter_office_records,
    to_canonical=to_canonical,
    description="DPMA (Germany) trademark XML (MARKDOC: the CURRENT state in coded groups)",
)
