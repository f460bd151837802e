"""IP Australia TMEXTRACT office record (connectors/ipaustralia.py) → canonical trademark record.

As WIPO's Global Brand Database reads it, except where said:
- key: BASAPPN and BASAPPD (else the registration date BASREGD, else the international
  registration's notification date NTFDATE);
- status: BASSTA through the collection's table; IP Australia registers under the application
  number (a Registered or Expired mark's registration_number is BASAPPN);
- registration_date: BASREGD, else the registration's publication PUBREGD; expiry_date: BASREND
  (WIPO adds ten years to the registration date where it is missing; we leave it empty: the term
  runs from the filing date since 1996, and the office did not say);
- mark_feature: MARKDET/TYPMARI is a list ("Word, Device"): words (MARDESC or a Word part) and a
  figurative part (Device, Shape, Figurative) make a Combined mark; else the first part the
  collection's table knows; kind: OTHTMDET/TYPMARI through the table;
- mark_text: MARDESC; a series of marks (TYPMARI "Series") gives its first;
- parties: APCTADD (applicants) and SRVCADD (address for service), each identifier (NAML8)
  once, without the "Refer to WIPO correspondence" placeholder (ADDRL8 666666:XX); the name is
  NAML4, NAML5, NAML3 and NAML6 as given, the address ADDRL6 and POSTCDE.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from connectors import ipaustralia as connector
from connectors.groups import first, value
from connectors.records import Group, Groups
from transforms.records import GoodsServices, OfficeRecord, Party, Priority, TrademarkRecord
from transforms.rules import CollectionRules
from transforms.schema import empty_record
from transforms.spec import Format
from transforms.values import clean_text, country_code, language, nice_class, parse_date, sorted_unique

_FIGURATIVE = ("Figurative", "Three dimensional")
_NAME_PARTS = ("NAML4", "NAML5", "NAML3", "NAML6")
_WIPO_CORRESPONDENCE = "666666:XX"


def _parties(groups: list[Group]) -> list[Party]:
    found: dict[str | None, Party] = {}
    for group in groups:
        if value(group, "ADDRL8") == _WIPO_CORRESPONDENCE:
            continue
        name = " ".join(p for p in (clean_text(value(group, n)) for n in _NAME_PARTS) if p) or None
        address = " ".join(p for p in (clean_text(value(group, "ADDRL6")), clean_text(value(group, "POSTCDE"))) if p)
        party: Party = {"name": name, "country_code": country_code(value(group, "COUNTRY")), "address": address or None}
        found.setdefault(value(group, "NAML8") or str(len(found)), party)
    return list(found.values())


def _feature(types: str | None, words: str | None, rules: CollectionRules) -> str:
    parts = [p.strip() for p in (types or "").split(",") if p.strip()]
    mapped = [f for f in (rules.lookup("feature", p) for p in parts) if f]
    if (words or "Word" in mapped) and any(f in _FIGURATIVE for f in mapped):
        return "Combined"
    if mapped:
        return mapped[0]
    return "Other" if parts else "Undefined"


def to_canonical(office_record: OfficeRecord, rules: CollectionRules, today: dt.date) -> TrademarkRecord:
    """Map one TMEXTRACT; raises ST13Error when no record key can be built."""
    record = cast("Groups", office_record)
    basic, mark = first(record, "BASGR"), first(record, "MARKDET")
    international = first(record, "INTREGG")
    number = clean_text(value(basic, "BASAPPN"))
    filed = parse_date(value(basic, "BASAPPD"))
    registered = parse_date(value(basic, "BASREGD")) or parse_date(value(first(record, "PUBREG"), "PUBREGD"))
    office_status = clean_text(value(basic, "BASSTA"))
    status = rules.status_category(office_status)
    words = clean_text(value(mark, "MARDESC"))
    series = "series" in (value(mark, "TYPMARI") or "").casefold()
    mark_text = clean_text(words.split(",")[0]) if words and series else words
    goods: list[GoodsServices] = []
    for group in record.get("GSGR", []):
        text = clean_text(value(group, "GSTERMO"))
        if (cls := nice_class(value(group, "NICCLAI"))) is not None and text:
            goods.append({"class_number": cls, "language": "en", "text": text})
    priorities: list[Priority] = [
        {
            "country_code": country_code(value(p, "COUNTRY")),
            "number": clean_text(value(p, "PRIAPPN")),
            "date": parse_date(value(p, "PRIAPPD")),
        }
        for p in record.get("PRIGR", [])
    ]
    kind = rules.lookup("kind", clean_text(value(first(record, "OTHTMDET"), "TYPMARI")))
    out = empty_record("trademarks")
    out.update(
        {
            "st13": rules.st13.build(
                number, filed or parse_date(value(basic, "BASREGD")) or parse_date(value(international, "NTFDATE"))
            ),
            "office": country_code(value(basic, "OOCC")) or rules.office,
            "collection": rules.collection,
            "application_number": number,
            "application_date": filed,
            "registration_number": number if status in ("Registered", "Expired") else None,
            "registration_date": registered,
            "expiry_date": parse_date(value(basic, "BASREND")),
            "publication_date": parse_date(value(first(record, "PUBAPP"), "PUBAPPD")),
            "status": status,
            "office_status": office_status,
            "mark_feature": _feature(value(mark, "TYPMARI"), words, rules),
            "kind": [kind] if kind else [],
            "mark_text": mark_text,
            "mark_text_language": language(value(mark, "ORIGLAN")) if mark_text else None,
            "nice_classes": sorted_unique(nice_class(value(g, "NICCLAI")) for g in record.get("GSGR", [])),
            "goods_services": goods,
            "applicants": _parties(record.get("APCTADD", [])),
            "representatives": _parties(record.get("SRVCADD", [])),
            "priorities": priorities,
            "international_registration": clean_text(value(international, "INTREGN")),
        }
    )
    return out


FORMAT = Format(
    name="ipaustralia",
    table="trademarks",
    read=connector.iter_office_records,
    to_canonical=to_canonical,
    description="IP Australia trademark extract (TMEXTRACT: BASGR, MARKDET, GSGR ... coded groups)",
)
