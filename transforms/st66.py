"""ST.66 office record (connectors/st66.py) → canonical trademark record."""

from __future__ import annotations

from connectors import st66 as connector
from transforms.rules import CollectionRules
from transforms.schema import empty_record
from transforms.spec import Format
from transforms.values import (
    clean_text,
    country_code,
    language,
    nice_class,
    parse_date,
    sorted_unique,
    vienna_code,
)


def party(raw: dict) -> dict:
    return {
        "name": clean_text(raw.get("name")),
        "country_code": country_code(raw.get("country")),
        "address": clean_text(raw.get("address")),
    }


def _event_date(events: list[dict], *codes: str):
    wanted = {c.casefold() for c in codes}
    dates = [parse_date(e.get("MarkEventDate")) for e in events if (e.get("MarkEventCode") or "").casefold() in wanted]
    dates = [d for d in dates if d]
    return max(dates) if dates else None


def _kinds(record: dict, rules: CollectionRules) -> list[str]:
    for source in (record.get("KindMark"), record.get("TransactionSubCode")):
        if clean_text(source):
            kind = rules.lookup("kind", source)
            if kind:
                return [kind]
    return ["Other"] if clean_text(record.get("KindMark")) else []


def _is_madrid(record: dict) -> bool:
    codes = " ".join(filter(None, (record.get("TransactionCode"), record.get("TransactionSubCode"))))
    return "madrid" in codes.casefold() or (record.get("InternationalMarkIndicator") or "").casefold() in ("true", "1", "yes")


def to_canonical(record: dict, rules: CollectionRules) -> dict:
    """Map one office record; raises ST13Error when no record key can be built."""
    out = empty_record("trademarks")
    office = country_code(record.get("RegistrationOfficeCode")) or rules.office
    application_number = clean_text(record.get("ApplicationNumber"))
    application_date = parse_date(record.get("ApplicationDate"))
    events = record["events"]

    office_status = clean_text(record.get("MarkCurrentStatusCode"))
    status = rules.lookup("status", office_status) or "Unknown"
    if status == "Expired" and office_status and office_status.casefold() == "inactive":
        # IPAS writes "Inactive" both for lapsed registrations and dead applications.
        status = "Expired" if record.get("ExpiryDate") else "Ended"
    status_date = parse_date(record.get("MarkCurrentStatusDate"))

    registration_number = clean_text(record.get("RegistrationNumber"))
    if registration_number is None and status in ("Registered", "Expired") and rules.registration_number_is_application_number:
        registration_number = application_number
    registration_date = parse_date(record.get("RegistrationDate"))
    if registration_date is None and status in ("Registered", "Expired"):
        registration_date = _event_date(events, "Registered")
    expiry_date = parse_date(record.get("ExpiryDate"))
    if expiry_date is None and status == "Expired":
        expiry_date = _event_date(events, "Expired")
    termination_date = parse_date(record.get("TerminationDate"))
    if termination_date is None and status == "Ended":
        termination_date = status_date

    publication_dates = [parse_date(p.get("PublicationDate")) for p in record["publications"]]
    publication_dates = [d for d in publication_dates if d]

    verbal = record["verbal"]
    mark_text = clean_text(verbal[0][1]) if verbal else None
    mark_language = (language(verbal[0][0]) if verbal else None) or (
        language(record.get("ApplicationLanguageCode")) if mark_text else None
    )

    goods = []
    classes = []
    for number, lang, value in record["goods_services"]:
        cls = nice_class(number)
        classes.append(cls)
        value = clean_text(value)
        if cls is not None and value:
            goods.append({"class_number": cls, "language": language(lang), "text": value})

    feature = clean_text(record.get("MarkFeature"))
    out.update(
        st13=rules.st13.build(application_number, application_date),
        office=office,
        collection=rules.collection,
        application_number=application_number,
        application_date=application_date,
        registration_number=registration_number,
        registration_date=registration_date,
        expiry_date=expiry_date,
        termination_date=termination_date,
        publication_date=min(publication_dates) if publication_dates else None,
        status=status,
        office_status=office_status,
        status_date=status_date,
        mark_feature=(rules.lookup("feature", feature) or "Other") if feature else "Undefined",
        kind=_kinds(record, rules),
        mark_text=mark_text,
        mark_text_language=mark_language,
        nice_classes=sorted_unique(classes),
        goods_services=goods,
        vienna_codes=sorted_unique(vienna_code(v) for v in record["vienna"]),
        applicants=[party(p) for p in record["applicants"]],
        representatives=[party(p) for p in record["representatives"]],
        priorities=[
            {
                "country_code": country_code(p.get("PriorityCountryCode")),
                "number": clean_text(p.get("PriorityNumber")),
                "date": parse_date(p.get("PriorityDate")),
            }
            for p in record["priorities"]
        ],
        international_registration=(registration_number or None) if _is_madrid(record) else None,
        mark_image_uris=record.get("MarkImageURI", []),
    )
    return out


FORMAT = Format(
    name="st66",
    table="trademarks",
    read=connector.iter_office_records,
    to_canonical=to_canonical,
    description="WIPO ST.66 TM-XML (Transaction or bare TradeMark roots; IPAS exports included)",
)
