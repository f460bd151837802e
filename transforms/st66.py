"""ST.66 office record (connectors/st66.py, connectors/st96.py) → canonical trademark record."""

from __future__ import annotations

import datetime as dt

from connectors import st66 as connector
from transforms.records import Event, GoodsServices, OfficeRecord, Party, Priority, TrademarkRecord
from transforms.rules import DELETE, CollectionRules, ipas_inactive
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

# The kind of a mark whose office states none: the ordinary, individual mark.
INDIVIDUAL = "Individual"
# The office of the International Bureau: its records are the Madrid international registrations.
INTERNATIONAL_OFFICE = "WO"


def party(raw: OfficeRecord) -> Party:
    return {
        "name": clean_text(raw.get("name")),
        "country_code": country_code(raw.get("country")),
        "address": clean_text(raw.get("address")),
    }


def priority(country: str | None, number: str | None, date: str | None) -> Priority:
    """A Paris Convention priority claim from the office's country code, number and date."""
    return {"country_code": country_code(country), "number": clean_text(number), "date": parse_date(date)}


def parties(raws: list[OfficeRecord]) -> list[Party]:
    """Canonical parties in the office's order, each once (USPTO lists the same owner at every
    stage of the case: original applicant, owner at publication, registrant ...)."""
    found: list[Party] = []
    for raw in raws:
        mapped = party(raw)
        if mapped not in found:
            found.append(mapped)
    return found


def _event_date(events: list[OfficeRecord], *codes: str) -> dt.date | None:
    wanted = {c.casefold() for c in codes}
    dates = [parse_date(e.get("MarkEventDate")) for e in events if (e.get("MarkEventCode") or "").casefold() in wanted]
    return max((d for d in dates if d), default=None)


def events(raws: list[OfficeRecord], rules: CollectionRules, prefix: str) -> list[Event]:
    """ST.66 MarkEvent / ST.86 DesignEvent (`prefix` Mark or Design) → events: the office's own
    code where it gives one, else the standard code; its description, else its event name. The
    category comes from the office's code, else from the standard code (the categories' words)."""
    return [
        rules.to_event(
            e.get(f"{prefix}EventDate"),
            e.get(f"OfficeSpecific{prefix}EventCode") or e.get(f"{prefix}EventCode"),
            e.get(f"OfficeSpecific{prefix}EventDescription") or e.get(f"OfficeSpecific{prefix}EventName"),
            e.get(f"{prefix}EventCode"),
        )
        for e in raws
    ]


def _kinds(record: OfficeRecord, rules: CollectionRules) -> list[str]:
    """The office's kind values mapped (in order, each once); else the transaction sub-code's;
    a mark of no stated kind is an individual mark (as WIPO's Global Brand Database reads it)."""
    values = [v for v in map(clean_text, record["KindMark"]) if v]
    kinds = list(dict.fromkeys(k for value in values for k in rules.kinds(value)))
    if kinds:
        return kinds
    sub_code = clean_text(record.get("TransactionSubCode"))
    kind = rules.lookup("kind", sub_code) if sub_code else None
    if kind:
        return [kind]
    return ["Other"] if values else [INDIVIDUAL]


def _feature(record: OfficeRecord, rules: CollectionRules) -> str:
    """ST.66 MarkFeature; where the office's text is not in the tables, its national code
    (USPTO's mark drawing code, given in both TSDR formats)."""
    feature = clean_text(record.get("MarkFeature"))
    code = clean_text(record.get("MarkFeatureCode"))
    mapped = rules.lookup("feature", feature) or rules.lookup("feature", code)
    if mapped:
        return mapped
    return "Other" if feature or code else "Undefined"


def _is_madrid(record: OfficeRecord) -> bool:
    codes = " ".join(filter(None, (record.get("TransactionCode"), record.get("TransactionSubCode"))))
    return "madrid" in codes.casefold() or (record.get("InternationalMarkIndicator") or "").casefold() in (
        "true",
        "1",
        "yes",
    )


def to_canonical(record: OfficeRecord, rules: CollectionRules, today: dt.date) -> TrademarkRecord:
    """Map one office record; raises ST13Error when no record key can be built.

    A deletion notice of a differential delivery (`operationCode="Delete"`) gives a record of
    status Delete, keyed like the record it withdraws. A record of the International Bureau
    (office WO) is the international registration itself: WIPO numbers it by registration only,
    so the number and date it gives are the registration's, its ST.13 is built from that number,
    and its international_registration is that number too (one filter finds the registration and
    the national records designating it).
    """
    out = empty_record("trademarks")
    office = country_code(record.get("RegistrationOfficeCode")) or rules.office
    application_number = clean_text(record.get("ApplicationNumber"))
    application_date = parse_date(record.get("ApplicationDate"))
    registration_number = clean_text(record.get("RegistrationNumber"))
    registration_date = parse_date(record.get("RegistrationDate"))
    if office == INTERNATIONAL_OFFICE:
        registration_number = registration_number or application_number
        registration_date = registration_date or application_date
        application_number = application_date = None
        st13 = rules.st13.build(registration_number, None)
    else:
        st13 = rules.st13.build(application_number, application_date)
    events_raw = record["events"]

    office_status: str | None
    if record.get("operationCode") == DELETE:
        office_status = status = DELETE
    else:
        office_status = clean_text(record.get("MarkCurrentStatusCode"))
        status = rules.status_category(office_status)
    status = ipas_inactive(status, office_status, has_expiry_date=bool(record.get("ExpiryDate")))
    status_date = parse_date(record.get("MarkCurrentStatusDate"))

    if (
        registration_number is None
        and status in ("Registered", "Expired")
        and rules.registration_number_is_application_number
    ):
        registration_number = application_number
    if registration_date is None and status in ("Registered", "Expired"):
        registration_date = _event_date(events_raw, "Registered")
    expiry_date = parse_date(record.get("ExpiryDate"))
    if expiry_date is None and status == "Expired":
        expiry_date = _event_date(events_raw, "Expired")
    termination_date = parse_date(record.get("TerminationDate"))
    if termination_date is None and status == "Ended":
        termination_date = status_date

    publication_dates = [d for d in (parse_date(p.get("PublicationDate")) for p in record["publications"]) if d]

    verbal = record["verbal"]
    mark_text = clean_text(verbal[0][1]) if verbal else None
    mark_language = (language(verbal[0][0]) if verbal else None) or (
        language(record.get("ApplicationLanguageCode")) if mark_text else None
    )

    goods: list[GoodsServices] = []
    classes = []
    for number, lang, text in record["goods_services"]:
        cls = nice_class(number)
        classes.append(cls)
        value = clean_text(text)
        if cls is not None and value:
            goods.append({"class_number": cls, "language": language(lang), "text": value})

    international_registration = clean_text(record.get("InternationalMarkIdentifier"))
    if international_registration is None and (office == INTERNATIONAL_OFFICE or _is_madrid(record)):
        international_registration = registration_number
    out.update(
        {
            "st13": st13,
            "office": office,
            "collection": rules.collection,
            "application_number": application_number,
            "application_date": application_date,
            "registration_number": registration_number,
            "registration_date": registration_date,
            "expiry_date": expiry_date,
            "termination_date": termination_date,
            "publication_date": min(publication_dates) if publication_dates else None,
            "status": status,
            "office_status": office_status,
            "status_date": status_date,
            "mark_feature": _feature(record, rules),
            "kind": [] if status == DELETE else _kinds(record, rules),
            "mark_text": mark_text,
            "mark_text_language": mark_language,
            "mark_transliteration": clean_text(record.get("MarkTransliteration")),
            "nice_classes": sorted_unique(classes),
            "goods_services": goods,
            "vienna_codes": sorted_unique(vienna_code(v) for v in record["vienna"]),
            "applicants": parties(record["applicants"]),
            "representatives": parties(record["representatives"]),
            "priorities": [
                priority(p.get("PriorityCountryCode"), p.get("PriorityNumber"), p.get("PriorityDate"))
                for p in record["priorities"]
            ],
            "international_registration": international_registration,
            "designated_countries": sorted_unique(country_code(c) for c in record["designated"]),
            "mark_image_uris": record["MarkImageURI"],
            "events": events(events_raw, rules, "Mark"),
        }
    )
    return out


FORMAT = Format(
    name="st66",
    table="trademarks",
    read=connector.iter_office_records,
    to_canonical=to_canonical,
    description="WIPO ST.66 TM-XML (Transaction or bare TradeMark roots; IPAS exports and office dialects included)",
)
