"""ST.96 design office record (connectors/st96_design.py) → canonical design records, one per
Design of the application."""

from __future__ import annotations

import datetime as dt

from connectors import st96_design as connector
from transforms.records import DesignRecord, OfficeRecord
from transforms.rules import CollectionRules
from transforms.schema import empty_record
from transforms.spec import Format
from transforms.st66 import party, priority
from transforms.st86 import rows_per_design
from transforms.values import (
    clean_text,
    country_code,
    language,
    locarno_class,
    parse_date,
    sorted_unique,
)


def _design_row(
    record: OfficeRecord, design: OfficeRecord, position: int, rules: CollectionRules, st13: str
) -> DesignRecord:
    out = empty_record("designs")
    office_status = clean_text(
        design.get("DesignCurrentStatusCategory") or record.get("DesignApplicationCurrentStatusCategory")
    )
    status_date = design.get("DesignCurrentStatusDate") or record.get("DesignApplicationCurrentStatusDate")
    publication_dates = [d for d in map(parse_date, design["publication_dates"]) if d]
    title_language, title = design["titles"][0] if design["titles"] else (None, None)
    out.update(
        {
            "st13": st13,
            "design_number": clean_text(design.get("DesignIdentifier")) or str(position),
            "office": country_code(record.get("RegistrationOfficeCode")) or rules.office,
            "collection": rules.collection,
            "application_number": clean_text(record.get("ApplicationNumber")),
            "application_date": parse_date(record.get("ApplicationDate")),
            "registration_number": clean_text(design.get("RegistrationNumber")),
            "registration_date": parse_date(design.get("RegistrationDate")),
            "expiry_date": parse_date(design.get("ExpiryDate")),
            "publication_date": min(publication_dates) if publication_dates else None,
            "status": rules.status_category(office_status),
            "office_status": office_status,
            "status_date": parse_date(status_date),
            "product_indication": clean_text(title),
            "product_indication_language": (
                language(title_language) or language(record.get("DesignApplicationLanguageCode"))
            )
            if title
            else None,
            "locarno_classes": sorted_unique(locarno_class(c) for c in design["locarno"]),
            "locarno_edition": clean_text(design["locarno_edition"]),
            "applicants": [party(p) for p in design["applicants"] or record["applicants"]],
            "designers": [party(p) for p in design["designers"]],
            "representatives": [party(p) for p in design["representatives"] or record["representatives"]],
            "priorities": [
                priority(p["PriorityCountryCode"], p["ApplicationNumber"], p["PriorityApplicationFilingDate"])
                for p in design["priorities"]
            ],
            "international_registration": clean_text(record.get("InternationalRegistrationNumber")),
            "designated_countries": sorted_unique(country_code(c) for c in record["designated_countries"]),
            "representation_uris": design["representation_files"],
            # the application's events (DesignApplicationEventBag) are each of its designs', then
            # the design's own; no office code: the CommentText is the office's word for it
            "events": [
                rules.to_event(e["EventDate"], e["CommentText"], None, e["EventCategory"])
                for e in [*record["events"], *design["events"]]
            ],
        }
    )
    return out


def to_canonical(record: OfficeRecord, rules: CollectionRules, today: dt.date) -> list[DesignRecord]:
    """One row per Design of the DesignBag."""
    return rows_per_design(record, rules, "ApplicationDate", _design_row)


FORMAT = Format(
    name="st96-design",
    table="designs",
    read=connector.iter_office_records,
    to_canonical=to_canonical,
    description="WIPO ST.96 V6_0 DesignApplication (document root or inside a DesignTransaction)",
)
