"""WIPO Hague Express record (connectors/hague_express.py) → canonical design records, one per
HagueDesign, each with its status in every designated party (`designations`).

The state is rebuilt from the recordings, in their order:
- the registration: HagueCurrent's, else the last one the history records (a correction's
  corrected content after the registration it corrects);
- holders: those of the last holder change, else the registration's;
- expiry: the last renewal affecting the design (its AffectedDesign) gives the expiry date; in a
  designated party, the last renewal that also names the party (a renewal without
  DesignatedCountryBag names every party). HagueCurrent's ExpiryDate is known to lag renewals;
- status of a design: Expired when its expiry date is past (`today`) or an expiration was
  recorded after its last renewal, dated by the expiry date; else Registered, dated by its last
  renewal, else the registration date. Hague records give no status word (`office_status` null);
- status in a designated party: the last refusal or grant of protection that party notified for
  the design decides: a refusal ends it (Ended, dated by DecisionEffectiveDate, else
  DecisionDate); else Expired as above with the party's own expiry; else Registered, dated by the
  latest of the registration, the grant's recording and the party's last renewal. A grant after
  a refusal (a refusal withdrawn, or a conditional one) makes it Registered again; WIPO's Global
  Design Database lets any grant win whatever the order.

Keys as WIPO's Global Design Database builds them: ST.13 from ApplicationNumber, else `R` and the
registration number's digits (older registrations have no application number), dated by the
international filing date, else the registration date; `application_date` the filing date.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import cast

from connectors import hague_express as connector
from connectors.records import HagueDesign, HagueExpressRecord, HagueRecording, HagueRegistration
from transforms.records import Designation, DesignRecord, OfficeRecord, Party
from transforms.rules import CollectionRules
from transforms.schema import empty_record
from transforms.spec import Format
from transforms.st66 import party, priority
from transforms.values import clean_text, country_code, language, locarno_class, parse_date, sorted_unique

DECISIONS = ("HagueRefusal", "HagueGrantProtection")
_LEADING_LETTERS = re.compile(r"^\D+")  # DM/058123 → 058123


def _registration(record: HagueExpressRecord) -> HagueRegistration:
    if record["current"] is not None:
        return record["current"]
    recorded = [r["registration"] for r in record["history"] if r["registration"] is not None]
    if not recorded:
        raise ValueError("HagueExpressTransaction holds no HagueRegistration")
    return recorded[-1]


def _affects(recording: HagueRecording, design: str, country: str | None = None) -> bool:
    """The recording concerns the design (and, given one, the designated party)."""
    designs, countries = recording["designs"], recording["countries"]
    return (designs is None or design in designs) and (country is None or countries is None or country in countries)


def _day(recording: HagueRecording, *names: str) -> dt.date | None:
    return next((d for name in names if (d := parse_date(recording["values"].get(name)))), None)


def _term(
    registration: HagueRegistration, history: list[HagueRecording], design: str, country: str | None = None
) -> tuple[dt.date | None, dt.date | None]:
    """(expiry date, last renewal date) of the design, in a designated party if one is given."""
    expiry, renewed = parse_date(registration["values"].get("ExpiryDate")), None
    for recording in history:
        if recording["kind"] == "HagueRenewal" and _affects(recording, design, country):
            expiry = _day(recording, "ExpiryDate") or expiry
            renewed = _day(recording, "RenewalDate") or renewed
    return expiry, renewed


def _expired(expiry: dt.date | None, renewed: dt.date | None, history: list[HagueRecording], today: dt.date) -> bool:
    if expiry is not None and expiry < today:
        return True
    ended = [_day(r, "InternationalRecordingDate") for r in history if r["kind"] == "HagueExpiration"]
    return any(e is not None and (renewed is None or e > renewed) for e in ended)


def _designation(
    country: str,
    registration: HagueRegistration,
    history: list[HagueRecording],
    design: str,
    registered: dt.date | None,
    today: dt.date,
) -> Designation:
    decisions = [
        r
        for r in history
        if r["kind"] in DECISIONS and r["values"].get("RecordNotifyingOfficeCode") == country and _affects(r, design)
    ]
    last = decisions[-1] if decisions else None
    if last is not None and last["kind"] == "HagueRefusal":
        return {
            "country_code": country,
            "status": "Ended",
            "status_date": _day(last, "DecisionEffectiveDate", "DecisionDate"),
        }
    expiry, renewed = _term(registration, history, design, country)
    if _expired(expiry, renewed, history, today):
        return {"country_code": country, "status": "Expired", "status_date": expiry}
    granted = None if last is None else _day(last, "InternationalRecordingDate")
    dates = [d for d in (registered, granted, renewed) if d is not None]
    return {"country_code": country, "status": "Registered", "status_date": max(dates) if dates else None}


def _product(design: HagueDesign, filing_language: str | None) -> tuple[str | None, str | None]:
    """The product indication in the filing language, else the first given: (text, language)."""
    products = design["products"]
    chosen = next((p for p in products if p[0] == filing_language), products[0] if products else None)
    return (None, None) if chosen is None else (clean_text(chosen[1]), language(chosen[0]))


def _views(design: HagueDesign) -> list[str]:
    """View file names in ViewIdentifier order (the bag is not sorted)."""
    ranked = sorted(design["views"], key=lambda v: int(v[0]) if v[0] and v[0].isdigit() else 1 << 30)
    return [name for _, name in ranked]


def to_canonical(office_record: OfficeRecord, rules: CollectionRules, today: dt.date) -> list[DesignRecord]:
    """One row per HagueDesign of a connectors.hague_express record; raises ValueError when there
    is no registration or no design, ST13Error when no key can be built."""
    record = cast("HagueExpressRecord", office_record)
    registration = _registration(record)
    if not registration["designs"]:
        raise ValueError("HagueRegistration holds no HagueDesign")
    history, values = record["history"], registration["values"]
    irn = clean_text(values.get("InternationalRegistrationNumber"))
    filed, registered = (
        parse_date(values.get("InternationalFilingDate")),
        parse_date(values.get("InternationalRegistrationDate")),
    )
    number = clean_text(values.get("ApplicationNumber")) or ("R" + _LEADING_LETTERS.sub("", irn) if irn else None)
    st13 = rules.st13.build(number, filed or registered)
    changes = [r["holders"] for r in history if r["kind"] == "HagueHolderNameAddressChange" and r["holders"]]
    holders: list[Party] = [party(p) for p in (changes[-1] if changes else registration["holders"])]
    published = next((_day(r, "PublicationDate") for r in history if r["kind"] == "HagueRegistration"), None)
    designated = [c for c in (country_code(c) for c in registration["designated"]) if c]
    filing_language = clean_text(values.get("FilingLanguageCode"))
    rows = []
    for position, design in enumerate(registration["designs"], 1):
        ident = clean_text(design["DesignIdentifier"]) or str(position)
        expiry, renewed = _term(registration, history, ident)
        if _expired(expiry, renewed, history, today):
            status, status_date = "Expired", expiry
        else:
            status, status_date = "Registered", renewed or registered
        product, product_language = _product(design, filing_language)
        out = empty_record("designs")
        out.update(
            {
                "st13": st13,
                "design_number": ident,
                "office": rules.office,
                "collection": rules.collection,
                "application_number": clean_text(values.get("ApplicationNumber")),
                "application_date": filed,
                "registration_number": irn,
                "registration_date": registered,
                "expiry_date": expiry,
                "publication_date": published,
                "status": status,
                "status_date": status_date,
                "product_indication": product,
                "product_indication_language": product_language,
                "locarno_classes": sorted_unique(locarno_class(c) for c in design["locarno"]),
                "locarno_edition": clean_text(design["locarno_edition"]),
                "applicants": holders,
                "designers": [party(p) for p in design["designers"]],
                "representatives": [party(p) for p in registration["representatives"]],
                "priorities": [
                    priority(p["PriorityCountryCode"], p["ApplicationNumber"], p["PriorityApplicationFilingDate"])
                    for p in design["priorities"]
                ],
                "international_registration": irn,
                "designated_countries": sorted_unique(designated),
                "designations": [_designation(c, registration, history, ident, registered, today) for c in designated],
                "representation_uris": _views(design),
            }
        )
        rows.append(out)
    return rows


FORMAT = Format(
    name="hague-express",
    table="designs",
    read=connector.iter_office_records,
    to_canonical=to_canonical,
    description="WIPO Hague Express (HagueExpressTransaction: an international design registration, "
    "its current state and its recordings)",
)
