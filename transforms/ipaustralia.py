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
from connectors.records import Fields, TmextractRecord
from transforms.records import GoodsServices, OfficeRecord, Party, Priority, TrademarkRecord
from transforms.rules import CollectionRules
from transforms.schema import empty_record
from transforms.spec import Format
from transforms.values import clean_text, country_code, language, nice_class, parse_date, sorted_unique

_FIGURATIVE = ("Figurative", "Three dimensional")
_NAME_PARTS = ("NAML4", "NAML5", "NAML3", "NAML6")
_WIPO_CORRESPONDENCE = "666666:XX"


def _first(record: TmextractRecord, group: str) -> Fields:
    return next(iter(record.get(group, [])), {})


def _parties(groups: list[Fields]) -> list[Party]:
    found: dict[str | None, Party] = {}
    for group in groups:
        if group.get("ADDRL8") == _WIPO_CORRESPONDENCE:
            continue
        name = " ".join(p for p in (clean_text(group.get(n)) for n in _NAME_PARTS) if p) or None
        address = " ".join(p for p in (clean_text(group.get("ADDRL6")), clean_text(group.get("POSTCDE"))) if p)
        party: Party = {"name": name, "country_code": country_code(group.get("COUNTRY")), "address": address or None}
        found.setdefault(group.get("NAML8") or str(len(found)), party)
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
    record = cast("TmextractRecord", office_record)
    basic, mark = _first(record, "BASGR"), _first(record, "MARKDET")
    international = _first(record, "INTREGG")
    number = clean_text(basic.get("BASAPPN"))
    filed = parse_date(basic.get("BASAPPD"))
    registered = parse_date(basic.get("BASREGD")) or parse_date(_first(record, "PUBREG").get("PUBREGD"))
    office_status = clean_text(basic.get("BASSTA"))
    status = rules.status_category(office_status)
    words = clean_text(mark.get("MARDESC"))
    series = "series" in (mark.get("TYPMARI") or "").casefold()
    mark_text = clean_text(words.split(",")[0]) if words and series else words
    goods: list[GoodsServices] = []
    for group in record.get("GSGR", []):
        text = clean_text(group.get("GSTERMO"))
        if (cls := nice_class(group.get("NICCLAI"))) is not None and text:
            goods.append({"class_number": cls, "language": "en", "text": text})
    priorities: list[Priority] = [
        {
            "country_code": country_code(p.get("COUNTRY")),
            "number": clean_text(p.get("PRIAPPN")),
            "date": parse_date(p.get("PRIAPPD")),
        }
        for p in record.get("PRIGR", [])
    ]
    kind = rules.lookup("kind", clean_text(_first(record, "OTHTMDET").get("TYPMARI")))
    out = empty_record("trademarks")
    out.update(
        {
            "st13": rules.st13.build(
                number, filed or parse_date(basic.get("BASREGD")) or parse_date(international.get("NTFDATE"))
            ),
            "office": country_code(basic.get("OOCC")) or rules.office,
            "collection": rules.collection,
            "application_number": number,
            "application_date": filed,
            "registration_number": number if status in ("Registered", "Expired") else None,
            "registration_date": registered,
            "expiry_date": parse_date(basic.get("BASREND")),
            "publication_date": parse_date(_first(record, "PUBAPP").get("PUBAPPD")),
            "status": status,
            "office_status": office_status,
            "mark_feature": _feature(mark.get("TYPMARI"), words, rules),
            "kind": [kind] if kind else [],
            "mark_text": mark_text,
            "mark_text_language": language(mark.get("ORIGLAN")) if mark_text else None,
            "nice_classes": sorted_unique(nice_class(g.get("NICCLAI")) for g in record.get("GSGR", [])),
            "goods_services": goods,
            "applicants": _parties(record.get("APCTADD", [])),
            "representatives": _parties(record.get("SRVCADD", [])),
            "priorities": priorities,
            "international_registration": clean_text(international.get("INTREGN")),
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
