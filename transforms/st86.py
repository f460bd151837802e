"""ST.86 office record (connectors/st86.py) → canonical design records, one per Design."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from connectors import st86 as connector
from transforms.records import DesignRecord, OfficeRecord
from transforms.rules import CollectionRules, ipas_inactive
from transforms.schema import empty_record
from transforms.spec import Format
from transforms.st66 import events as office_events
from transforms.st66 import party, priority
from transforms.values import (
    clean_text,
    country_code,
    language,
    locarno_class,
    parse_date,
    sorted_unique,
)


def _event_date(events: list[OfficeRecord], code: str | None) -> dt.date | None:
    """Latest date of the design's events with this ST.86 DesignEventCode (Registered,
    Withdrawn, Expired)."""
    if not code:
        return None
    dates = [
        parse_date(e.get("DesignEventDate"))
        for e in events
        if (e.get("DesignEventCode") or "").casefold() == code.casefold()
    ]
    return max((d for d in dates if d), default=None)


def _status(design: OfficeRecord, rules: CollectionRules) -> tuple[str, str | None]:
    office_status = clean_text(design.get("DesignCurrentStatusCode"))
    status = rules.status_category(office_status)
    return ipas_inactive(status, office_status, has_expiry_date=bool(design.get("ExpiryDate"))), office_status


def _product(design: OfficeRecord, application_language: str | None) -> tuple[str | None, str | None]:
    """The product: IndicationProductDescription, else the DesignTitle, else the Locarno
    ProductDescription; the first one the office wrote, with its language."""
    for texts in (design["product_indications"], design["titles"], design["product_descriptions"]):
        for lang, text in texts:
            value = clean_text(text)
            if value:
                return value, language(lang) or language(application_language)
    return None, None


def _locarno(design: OfficeRecord) -> tuple[list[str], str | None]:
    """Locarno classes (IndicationProducts whose ClassificationKindCode is Locarno or absent)
    and the edition they were given in."""
    rows = [
        (version, number)
        for kind, version, number in design["classifications"]
        if kind is None or "locarno" in kind.casefold()
    ]
    edition = next((clean_text(version) for version, _ in rows if clean_text(version)), None)
    return sorted_unique(locarno_class(number) for _, number in rows), edition


def _design_row(
    record: OfficeRecord, design: OfficeRecord, position: int, rules: CollectionRules, st13: str
) -> DesignRecord:
    out = empty_record("designs")
    status, office_status = _status(design, rules)
    events = design["events"]
    registration_date = parse_date(design.get("RegistrationDate"))
    if registration_date is None and status in ("Registered", "Expired"):
        registration_date = _event_date(events, "Registered")
    expiry_date = parse_date(design.get("ExpiryDate"))
    if expiry_date is None and status == "Expired":
        expiry_date = _event_date(events, "Expired")
    publication_dates = [d for d in (parse_date(p.get("PublicationDate")) for p in design["publications"]) if d]
    product, product_language = _product(design, record.get("DesignApplicationLanguageCode"))
    classes, edition = _locarno(design)
    out.update(
        {
            "st13": st13,
            "design_number": clean_text(design.get("DesignIdentifier")) or str(position),
            "office": country_code(record.get("RegistrationOfficeCode")) or rules.office,
            "collection": rules.collection,
            "application_number": clean_text(record.get("ApplicationNumber")),
            "application_date": parse_date(record.get("DesignApplicationDate")),
            "registration_number": clean_text(design.get("RegistrationNumber")),
            "registration_date": registration_date,
            "expiry_date": expiry_date,
            "publication_date": min(publication_dates) if publication_dates else None,
            "status": status,
            "office_status": office_status,
            # offices without DesignCurrentStatusDate (sgid) date the status by its event
            "status_date": parse_date(design.get("DesignCurrentStatusDate")) or _event_date(events, office_status),
            "product_indication": product,
            "product_indication_language": product_language,
            "locarno_classes": classes,
            "locarno_edition": edition,
            "applicants": [party(p) for p in design["applicants"] or record["applicants"]],
            "designers": [party(p) for p in design["designers"]],
            "representatives": [party(p) for p in design["representatives"]],
            "priorities": [
                priority(p.get("PriorityCountryCode"), p.get("PriorityNumber"), p.get("PriorityDate"))
                for p in design["priorities"]
            ],
            "designated_countries": sorted_unique(country_code(c) for c in record["designated_countries"]),
            "representation_uris": design["representation_sheets"],
            "events": office_events(events, rules, "Design"),
        }
    )
    return out


# One design of an application → its row: (application, design, position, rules, ST.13).
DesignRow = Callable[[OfficeRecord, OfficeRecord, int, CollectionRules, str], DesignRecord]


def rows_per_design(
    record: OfficeRecord, rules: CollectionRules, filing_date: str, design_row: DesignRow
) -> list[DesignRecord]:
    """One row per design of an application, all keyed by the application's ST.13; raises
    ST13Error when no key can be built and ValueError when the application holds no design."""
    if not record["designs"]:
        raise ValueError("DesignApplication holds no Design")
    st13 = rules.st13.build(clean_text(record.get("ApplicationNumber")), parse_date(record.get(filing_date)))
    return [design_row(record, design, position, rules, st13) for position, design in enumerate(record["designs"], 1)]


def to_canonical(record: OfficeRecord, rules: CollectionRules, today: dt.date) -> list[DesignRecord]:
    return rows_per_design(record, rules, "DesignApplicationDate", _design_row)


FORMAT = Format(
    name="st86",
    table="designs",
    read=connector.iter_office_records,
    to_canonical=to_canonical,
    description="WIPO ST.86 DS-XML Transaction (IPAS exports: DesignApplication with one or more Design)",
)
