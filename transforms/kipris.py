"""KIPRIS Plus office record (connectors/kipris.py: a TradeMarkInfo with its designated goods)
→ canonical trademark record.

What the API does not give stays null: applicant countries and addresses, the status date,
the mark feature unless Vienna codes show a figurative element. The kind comes from the right
code that begins the application number (40 trademark, 41 service mark, 45 both), looked up in
the collection's table. The expiry date, which the search service does not give, follows from
the Korean Trademark Act (art. 83): a right lasts 10 years from registration and each renewal
adds 10, so a mark KIPO calls registered is in the 10-year term that contains the caller's
`today`. Goods: the designated terms of a class, in KIPO's order, joined with "; ", one row per
class and language (`ko` from the Hangul names, `en` from the English ones).
"""

from __future__ import annotations

import datetime as dt
import re

from connectors import kipris as connector
from transforms.records import GoodsServices, OfficeRecord, Party, TrademarkRecord
from transforms.rules import CollectionRules, ended_if_never_registered
from transforms.schema import empty_record
from transforms.spec import Format
from transforms.st66 import priority
from transforms.values import add_years, clean_text, nice_class, parse_date, sorted_unique, vienna_code

_GOODS_NAMES = (("DesignationGoodsHangeulName", "ko"), ("DesignationGoodsEnglishsentenceName", "en"))
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
_LIST_SEPARATORS = re.compile(r"[\s|,]+")


def _listed(value: str | None) -> list[str]:
    """`43`, `16 09 41`, `260401|050501` → its items."""
    return [item for item in _LIST_SEPARATORS.split(value or "") if item]


def _serial(row: OfficeRecord) -> int:
    number = (row.get("DesignationGoodsSerialNumber") or "").strip()
    return int(number) if number.isdigit() else 0


def _goods(rows: list[OfficeRecord]) -> tuple[list[int | None], list[GoodsServices]]:
    classes: list[int | None] = []
    terms: dict[tuple[int, str], list[str]] = {}
    for row in sorted(rows, key=_serial):
        number = nice_class(row.get("DesignationGoodsClassificationInformationCode"))
        classes.append(number)
        for element, lang in _GOODS_NAMES:
            term = clean_text(row.get(element))
            if number is not None and term:
                seen = terms.setdefault((number, lang), [])
                if term not in seen:
                    seen.append(term)
    goods: list[GoodsServices] = [
        {"class_number": number, "language": lang, "text": "; ".join(texts)} for (number, lang), texts in terms.items()
    ]
    return classes, goods


def _named(value: str | None) -> list[Party]:
    name = clean_text(value)
    return [{"name": name, "country_code": None, "address": None}] if name else []


def _current_term_end(registration_date: dt.date, today: dt.date) -> dt.date:
    years = 10
    while add_years(registration_date, years) <= today:
        years += 10
    return add_years(registration_date, years)


def to_canonical(record: OfficeRecord, rules: CollectionRules, today: dt.date) -> TrademarkRecord:
    """Map one joined record; raises ST13Error when no record key can be built."""
    out = empty_record("trademarks")
    application_number = clean_text(record.get("ApplicationNumber"))
    application_date = parse_date(record.get("ApplicationDate"))
    registration_number = clean_text(record.get("RegistrationNumber"))
    registration_date = parse_date(record.get("RegistrationDate"))

    office_status = clean_text(record.get("ApplicationStatus"))
    status = ended_if_never_registered(
        rules.status_category(office_status),
        registered=registration_number is not None or registration_date is not None,
    )

    expiry_date = _current_term_end(registration_date, today) if status == "Registered" and registration_date else None
    classes, goods = _goods(record["goods"])
    classes += [nice_class(c) for c in _listed(record.get("GoodClassificationCode"))]
    vienna = sorted_unique(vienna_code(c) for c in _listed(record.get("ViennaCode")))
    title = clean_text(record.get("Title"))
    if vienna:
        feature = "Combined" if title else "Figurative"
    else:
        feature = "Undefined"
    kind = rules.lookup("kind", application_number[:2]) if application_number else None

    claim = priority(None, record.get("PriorityClaimNumber"), record.get("PriorityClaimDate"))
    image = clean_text(record.get("ImagePath"))
    out.update(
        {
            "st13": rules.st13.build(application_number, application_date),
            "office": rules.office,
            "collection": rules.collection,
            "application_number": application_number,
            "application_date": application_date,
            "registration_number": registration_number,
            "registration_date": registration_date,
            "expiry_date": expiry_date,
            "publication_date": parse_date(record.get("PublicDate")),
            "status": status,
            "office_status": office_status,
            "mark_feature": feature,
            "kind": [kind] if kind else [],
            "mark_text": title,
            "mark_text_language": "ko" if title and _HANGUL.search(title) else None,
            "nice_classes": sorted_unique(classes),
            "goods_services": goods,
            "vienna_codes": vienna,
            # the registered right holder once there is one, else the applicant
            "applicants": _named(record.get("RegistrationRightholderName")) or _named(record.get("ApplicantName")),
            "representatives": _named(record.get("AgentName")),
            "priorities": [claim] if claim["number"] or claim["date"] else [],
            "mark_image_uris": [image] if image else [],
        }
    )
    return out


FORMAT = Format(
    name="kipris",
    table="trademarks",
    read_delivery=connector.read_delivery,
    to_canonical=to_canonical,
    description="KIPRIS Plus trademark API responses (TradeMarkInfo joined with trademarkDesignationGoodstInfo)",
)
