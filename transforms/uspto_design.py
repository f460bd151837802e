"""USPTO design grant office record (connectors/uspto_design.py) → canonical design record.

A US design patent claims one design: one row, design_number `1`. The grant is the first
publication of a US design, so publication_date is the grant date. The grant XML carries no
status: the patent is Registered until its term (us-term-of-grant / B474, in years from grant)
has run by the caller's `today`, then Expired.
"""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta

from connectors import uspto_design as connector
from transforms.records import DesignRecord, OfficeRecord
from transforms.rules import CollectionRules
from transforms.schema import empty_record
from transforms.spec import Format
from transforms.st66 import party, priority
from transforms.values import (
    clean_text,
    language,
    locarno_class,
    parse_date,
    sorted_unique,
)

# 35 U.S.C. 173: 14 years from grant; 15 years for applications filed on or after 2015-05-13.
TERM_CHANGE = dt.date(2015, 5, 13)


def _term_years(record: OfficeRecord, application_date: dt.date | None) -> int:
    stated = clean_text(record.get("TermYears"))
    if stated and stated.isdigit():
        return int(stated)
    return 15 if application_date and application_date >= TERM_CHANGE else 14


def to_canonical(record: OfficeRecord, rules: CollectionRules, today: dt.date) -> DesignRecord:
    """Map one design grant; raises ST13Error when no record key can be built."""
    out = empty_record("designs")
    application_number = clean_text(record.get("ApplicationNumber"))
    application_date = parse_date(record.get("ApplicationDate"))
    grant_date = parse_date(record.get("GrantDate"))
    expiry_date = grant_date + relativedelta(years=_term_years(record, application_date)) if grant_date else None
    expired = expiry_date is not None and expiry_date < today
    title = clean_text(record.get("Title"))
    out.update(
        {
            # design application numbers are series code + serial (29/116,510 → 29116510): both are
            # kept, so a 35-series (Hague) serial cannot collide with a 29-series one
            "st13": rules.st13.build(application_number, application_date),
            "design_number": "1",
            "office": rules.office,
            "collection": rules.collection,
            "application_number": application_number,
            "application_date": application_date,
            "registration_number": clean_text(record.get("RegistrationNumber")),
            "registration_date": grant_date,
            "expiry_date": expiry_date,
            "publication_date": grant_date,
            "status": "Expired" if expired else "Registered",
            "status_date": expiry_date if expired else grant_date,
            "product_indication": title,
            "product_indication_language": (language(record.get("TitleLanguage")) or "en") if title else None,
            "locarno_classes": sorted_unique(locarno_class(c) for c in record["LocarnoClasses"]),
            "locarno_edition": clean_text(record.get("LocarnoEdition")),
            # the holder is the assignee; an unassigned patent belongs to its applicants, else inventors
            "applicants": [party(p) for p in record["assignees"] or record["applicants"] or record["inventors"]],
            "designers": [party(p) for p in record["inventors"]],
            "representatives": [party(p) for p in record["agents"]],
            "priorities": [priority(p["country"], p["number"], p["date"]) for p in record["priorities"]],
            "international_registration": clean_text(record.get("InternationalRegistrationNumber")),
            "representation_uris": record["drawings"],
        }
    )
    return out


FORMAT = Format(
    name="uspto-design",
    table="designs",
    read=connector.iter_office_records,
    to_canonical=to_canonical,
    description="USPTO design patent grants (kind S): weekly us-patent-grant red-book XML, or ST.32 PATDOC",
)
