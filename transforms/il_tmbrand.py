"""ILPO TMBRAND office record (connectors/il_tmbrand.py) → canonical trademark record.

Languages: the contract holds one mark text, so one language is chosen; goods keep all.
- mark_text: the Hebrew name when ILPO gives one, else the English. The Hebrew is the sign as
  filed and ILPO's MarkTranscription romanizes it (mark_transliteration); the English name of a
  Hebrew mark is a translation or another element of it. The other language stays in the office
  record.
- applicants / representatives: the English name and address when given, else the Hebrew.
  The format has no country element: the country is the name ending the address.
- goods_services: one row per class and language (`he`, `en`).

Events date the status. An event's English nature is looked up like a status word (the
collection's table lists the natures that change the status): status_date is the latest event
leading to the current status category, publication_date the first publication of an event
that leaves the mark pending (ILPO publishes an application when it accepts it, which opens
opposition). Oppositions, cancellations, disclaimers and colour claims have no place in the
contract and are not mapped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping

from connectors import il_tmbrand as connector
from transforms.records import Event, GoodsServices, OfficeRecord, Party, TrademarkRecord
from transforms.rules import CollectionRules, ended_if_never_registered
from transforms.schema import empty_record
from transforms.spec import Format
from transforms.values import (
    clean_text,
    country_code,
    country_from_name,
    language,
    nice_class,
    parse_date,
    sorted_unique,
    vienna_code,
)

MARK_LANGUAGES = ("he", "en")
PARTY_LANGUAGES = ("en", "he")
_CLOSED = frozenset({"Ended", "Expired"})


def _pick(texts: Mapping[str, str | None], languages: tuple[str, ...]) -> tuple[str | None, str | None]:
    """(language, text) in the order of `languages`, then any other language the office used."""
    ordered = [*(lang for lang in languages if lang in texts), *(lang for lang in texts if lang not in languages)]
    for lang in ordered:
        value = clean_text(texts[lang])
        if value:
            return lang, value
    return None, None


def party(raw: OfficeRecord) -> Party:
    lang, name = _pick(raw["names"], PARTY_LANGUAGES)
    address = clean_text(raw["addresses"].get(lang)) or _pick(raw["addresses"], PARTY_LANGUAGES)[1]
    country = next(
        (code for code in (country_from_name(a.rsplit(",", 1)[-1]) for a in raw["addresses"].values()) if code),
        None,
    )
    return {"name": name, "country_code": country, "address": address}


def _priority_country(names: Mapping[str, str | None]) -> str | None:
    return next((c for c in (country_code(v) or country_from_name(v) for v in names.values()) if c), None)


def _vienna(codes: list[str | None]) -> list[str]:
    """Full codes (CC.SS.EE) only: ILPO classifies down to the section (`24.13`, `26.2`),
    which the contract's three-level codes cannot hold."""
    return sorted_unique(vienna_code(c) for c in codes if c and len(c.split(".")) == 3)


def _mark_feature(has_text: bool, has_image: bool, has_figurative_codes: bool) -> str:
    """ILPO gives no feature: word marks come without an image; an image with Vienna codes has
    figurative elements; an image without any is lettering only."""
    if has_text:
        if not has_image and not has_figurative_codes:
            return "Word"
        return "Combined" if has_figurative_codes else "Stylized characters"
    return "Figurative" if has_image or has_figurative_codes else "Undefined"


def _kinds(brand_type: str, rules: CollectionRules) -> list[str]:
    """ILPO's BRANDTYPE mapped; a word naming two kinds (`Collective/Certification mark`) gives
    each: the mark is both, as WIPO's Global Brand Database reads it."""
    whole = rules.lookup("kind", brand_type)
    if whole:
        return [whole]
    parts = [part.strip() for part in brand_type.split("/")]
    kinds = [rules.lookup("kind", part) or rules.lookup("kind", f"{part} mark") for part in parts]
    if len(parts) > 1 and all(kinds):
        return [kind for kind in dict.fromkeys(kinds) if kind]
    return ["Other"]


def _event(event: OfficeRecord, rules: CollectionRules) -> Event:
    """ILPO gives no event code: the nature of the event in English is its code (the word the
    collection's table maps), the nature in Hebrew its text."""
    return rules.to_event(
        event["EventDate"], _pick(event["NatureOfEvent"], ("en",))[1], event["NatureOfEvent"].get("he")
    )


def to_canonical(record: OfficeRecord, rules: CollectionRules, today: dt.date) -> TrademarkRecord:
    """Map one TMBRAND record; raises ST13Error when no record key can be built."""
    out = empty_record("trademarks")
    application_number = clean_text(record.get("OFFICENUMBER"))
    application_date = parse_date(record.get("FILINGDATE"))

    events = [
        (
            rules.lookup("status", _pick(e["NatureOfEvent"], ("en",))[1]),
            parse_date(e["EventDate"]),
            parse_date(e["PublicationDate"]),
        )
        for e in record["events"]
    ]

    def event_dates(categories: Collection[str | None]) -> list[dt.date]:
        return [date for category, date, _ in events if category in categories and date]

    office_status = clean_text(record.get("STATUS"))
    registration_date = parse_date(record.get("REGISTRATIONDATE")) or min(event_dates({"Registered"}), default=None)
    status = ended_if_never_registered(rules.status_category(office_status), registered=registration_date is not None)
    registered = registration_date is not None or status in ("Registered", "Expired")
    registration_number = application_number if registered and rules.registration_number_is_application_number else None
    status_date = max(event_dates(_CLOSED if status in _CLOSED else {status}), default=None)
    publications = [published for category, _, published in events if category == "Pending" and published]

    mark_language, mark_text = _pick(record["BRAND"], MARK_LANGUAGES)
    goods: list[GoodsServices] = []
    classes = []
    for nice in record["classes"]:
        number = nice_class(nice["TYPE"])
        classes.append(number)
        for lang, text in nice["LIST"].items():
            value = clean_text(text)
            if number is not None and value:
                goods.append({"class_number": number, "language": language(lang), "text": value})

    brand_type = clean_text(record.get("BRANDTYPE"))
    internationality = (clean_text(record.get("Internationality")) or "").casefold()
    out.update(
        {
            "st13": rules.st13.build(application_number, application_date),
            "office": rules.office,
            "collection": rules.collection,
            "application_number": application_number,
            "application_date": application_date,
            "registration_number": registration_number,
            "registration_date": registration_date,
            "expiry_date": parse_date(record.get("EXPIRATIONDATE")),
            "termination_date": status_date if status in _CLOSED else None,
            "publication_date": min(publications, default=None),
            "status": status,
            "office_status": office_status,
            "status_date": status_date,
            "mark_feature": _mark_feature(
                mark_text is not None, bool(clean_text(record.get("IMAGEFILE"))), any(record["vienna"])
            ),
            "kind": _kinds(brand_type, rules) if brand_type else [],
            "mark_text": mark_text,
            "mark_text_language": language(mark_language) if mark_text else None,
            "mark_transliteration": clean_text(record.get("MarkTranscription")),
            "nice_classes": sorted_unique(classes),
            "goods_services": goods,
            "vienna_codes": _vienna(record["vienna"]),
            "applicants": [party(p) for p in record["applicants"]],
            "representatives": [party(p) for p in record["representatives"]],
            "priorities": [
                {
                    "country_code": _priority_country(p["COUNTRY"]),
                    "number": clean_text(p["NUMBER"]),
                    "date": parse_date(p["DATE"]),
                }
                for p in record["priorities"]
            ],
            # "International": a Madrid designation of Israel; "Base for International": the
            # national mark an international registration is based on, which designates nothing.
            "international_registration": clean_text(record.get("INTERNATIONALNUMBER"))
            if internationality == "international"
            else None,
            "events": [_event(e, rules) for e in record["events"]],
        }
    )
    return out


FORMAT = Format(
    name="il-tmbrand",
    table="trademarks",
    read=connector.iter_office_records,
    to_canonical=to_canonical,
    description="Israel Patent Office trademark XML (<TMBRAND>, Hebrew and English)",
)
