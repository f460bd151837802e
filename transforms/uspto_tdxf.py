"""USPTO TDXF office record (connectors/uspto_tdxf.py) → canonical trademark record.

Every code below is read from USPTO's "Trademark Applications Daily XML DTD Element
Documentation (V2.0)" (reference/docs/USPTO-Trademark-Applications-Documentation-v2.pdf, cited
by page); the status-code → category table is data (the collection's `status` table).
"""

from __future__ import annotations

import datetime as dt

from connectors import uspto_tdxf as connector
from transforms.records import GoodsServices, OfficeRecord, Party, Priority, TrademarkRecord
from transforms.rules import CollectionRules
from transforms.schema import empty_record
from transforms.spec import Format
from transforms.values import add_years, clean_text, country_code, nice_class, parse_date, sorted_unique, vienna_code

# The ustm status map sends a few codes (000 unknown, 626 backfile cancelled or expired) to
# "Delete": records to withdraw, routed to tombstones after the transform (rules.status_category).

# mark-drawing-code, first position (p. 7): 1 typeset word(s) (not used since 2003-11-02), 2 design
# only, 3 design with word(s), 4 word(s) in block form / standard characters, 5 stylized word(s),
# 6 no drawing possible "such as for sound" (also scent and other non-visual marks: Other).
DRAWING_FEATURES = {
    "1": "Word",
    "2": "Figurative",
    "3": "Combined",
    "4": "Word",
    "5": "Stylized characters",
    "6": "Other",
}
# Mark type indicators (p. 9-10); a mark with none of these is a trade or service mark.
KIND_FLAGS = (
    ("collective-trademark-in", "Collective"),
    ("collective-service-mark-in", "Collective"),
    ("collective-membership-mark-in", "Membership"),
    ("certification-mark-in", "Certificate"),
)
# international-code values that are not Nice classes (p. 26 and Table 3): 200 collective
# membership, 201/202 its goods/services; certification marks write A/B (nice_class drops those).
NON_NICE_CODES = frozenset({200, 201, 202})
# party-type (p. 29): 10-19 applicant and new owners before publication, 20-29 owner at and after
# publication, 30 original registrant, 40-49 new owners after registration.
OWNER_PARTY_TYPES = range(10, 50)
# renewal-date (p. 15): a renewal (or registration) before 1989-11-16 runs 20 years, a later one 10.
TEN_YEAR_RENEWALS_FROM = dt.date(1989, 11, 16)
TWENTY_YEAR_TERMS_FROM = dt.date(1905, 4, 1)  # the Trade-Mark Act of 1905 took effect


def _is_true(value: str | None) -> bool:
    return value == "T"


def _place_country(code: str | None) -> str | None:
    """A USPTO country (Table 2B, `DE` or `DEX`) or other code (Table 2C) → ST.3."""
    if not code:
        return None
    code = code.strip().upper()
    if len(code) == 3:
        if code[2] == "X":  # Table 2B lists countries with an X suffix
            code = code[:2]
        elif code[2] == "C":  # Table 2C: a region of Canada (ABC Alberta, ONC Ontario)
            code = "CA"
        elif code[2].isdigit():  # a region of the country in the first two positions (GB2 England)
            code = code[:2]
        else:  # a US government agency (USA U.S. Army, USN U.S. Navy ...)
            code = "US"
    return country_code(code)


def _state_country(code: str | None) -> str | None:
    """A state field holds a US state, territory or agency (Table 2A), or a Table 2C code."""
    if not code:
        return None
    return "US" if len(code) == 2 else _place_country(code)


def _owner_country(owner: OfficeRecord) -> str | None:
    nationality = owner.get("nationality") or {}
    return (
        _place_country(owner.get("country"))
        or _place_country(owner.get("other"))
        or _state_country(owner.get("state"))
        or _place_country(nationality.get("country"))
        or _place_country(nationality.get("other"))
        or _state_country(nationality.get("state"))
    )


ADDRESS_FIELDS = ("address-1", "address-2", "city", "state", "postcode")


def _party(owner: OfficeRecord) -> Party:
    address = [owner[k] for k in ADDRESS_FIELDS if owner.get(k)]
    return {
        "name": clean_text(owner.get("party-name")),
        "country_code": _owner_country(owner),
        "address": clean_text(", ".join(address)),
    }


def _party_rank(owner: OfficeRecord) -> int:
    value = owner.get("party-type")
    rank = int(value) if value and value.isdigit() else -1
    return rank if rank in OWNER_PARTY_TYPES else -1


def _current_owners(owners: list[OfficeRecord]) -> list[OfficeRecord]:
    """The owners of the latest party type: each change of owner adds a higher party type."""
    if len(owners) < 2:
        return owners
    ranks = [_party_rank(owner) for owner in owners]
    latest = max(ranks)
    return [owner for owner, rank in zip(owners, ranks, strict=True) if rank == latest]


def _representatives(header: OfficeRecord) -> list[Party]:
    names = []
    for key in ("attorney-name", "domestic-representative-name"):
        name = clean_text(header.get(key))
        if name and name not in names:
            names.append(name)
    return [{"name": name, "country_code": None, "address": None} for name in names]


def _classes(classifications: list[OfficeRecord]) -> tuple[list[int], dict[str, int]]:
    """Nice classes, and the Nice class of each primary code that stands for exactly one.

    Statements name their class by the primary code, which is a US class for filings before
    1973-09-01 (p. 27): a GS statement of US class 039 belongs to the Nice class 25 beside it.
    """
    nice: set[int] = set()
    by_primary: dict[str, int] = {}
    for classification in classifications:
        own = {
            c
            for c in map(nice_class, classification["international-code"])
            if c is not None and c not in NON_NICE_CODES
        }
        nice |= own
        primary = classification.get("primary-code")
        if primary and len(own) == 1:
            by_primary[primary] = next(iter(own))
    return sorted(nice), by_primary


def _goods_services(
    statements: list[tuple[str | None, str | None]], nice: list[int], by_primary: dict[str, int]
) -> list[GoodsServices]:
    """GS statements (type-code `GS` + primary class + kind, p. 19-20); kind 2 holds only goods
    deleted from the registration, so it is left out."""
    goods: list[GoodsServices] = []
    for type_code, text in statements:
        if not type_code or not type_code.startswith("GS") or type_code[5:6] == "2":
            continue
        value = clean_text(text)
        if not value:
            continue
        primary = type_code[2:5]
        number = by_primary.get(primary)
        if number is None:
            number = nice_class(primary)
            number = number if number in nice else None
        goods.append({"class_number": number, "language": "en", "text": value})  # USPTO identifies goods in English
    return goods


def _priorities(foreign_applications: list[OfficeRecord]) -> list[Priority]:
    """Foreign applications whose priority is claimed (foreign-priority-claim-in, p. 25); the
    others are Sec. 44(e) registrations the US filing is based on."""
    return [
        {
            "country_code": _place_country(f.get("country")) or _place_country(f.get("other")),
            "number": clean_text(f.get("application-number")),
            "date": parse_date(f.get("filing-date")),
        }
        for f in foreign_applications
        if _is_true(f.get("foreign-priority-claim-in"))
    ]


def _expiry(header: OfficeRecord, international: OfficeRecord, registration_date: dt.date | None) -> dt.date | None:
    """End of the current term: the international registration's renewal date for a Sec. 66(a)
    extension (p. 34), else the last renewal plus its term (p. 15), else the statutory first
    term from registration (15 U.S.C. 1058: 10 years for registrations from 1989-11-16, when
    the Trademark Law Revision Act took effect; 20 years under the 1905 and 1946 Acts; 30 years
    under the Acts of 1870 and 1881)."""
    if registration_date is None:
        return None
    if international:
        return parse_date(international.get("international-renewal-date"))
    renewed = parse_date(header.get("renewal-date"))
    if renewed:
        return add_years(renewed, 10 if renewed >= TEN_YEAR_RENEWALS_FROM else 20)
    if registration_date >= TEN_YEAR_RENEWALS_FROM:
        return add_years(registration_date, 10)
    return add_years(registration_date, 20 if registration_date >= TWENTY_YEAR_TERMS_FROM else 30)


def _mark_feature(header: OfficeRecord) -> str:
    if _is_true(header.get("drawing-3d-current-in")):
        return "Three dimensional"
    drawing = header.get("mark-drawing-code")
    return DRAWING_FEATURES.get(drawing[0], "Other") if drawing else "Undefined"


def _kinds(header: OfficeRecord) -> list[str]:
    kinds = [kind for flag, kind in KIND_FLAGS if _is_true(header.get(flag))]
    return list(dict.fromkeys(kinds)) if kinds else ["Individual"]


def to_canonical(record: OfficeRecord, rules: CollectionRules, today: dt.date) -> TrademarkRecord:
    """Map one case-file; raises ST13Error when it has no serial number."""
    out = empty_record("trademarks")
    header = record["header"]
    international = record["international-registration"] or {}
    serial = record["serial-number"]
    application_date = parse_date(header.get("filing-date"))
    registration_number = record["registration-number"]
    registration_date = parse_date(header.get("registration-date"))
    office_status = header.get("status-code")
    status = rules.status_category(office_status)
    status_date = parse_date(header.get("status-date"))
    termination_date = None
    if status in ("Ended", "Expired"):
        termination_date = parse_date(header.get("cancellation-date")) or parse_date(header.get("abandonment-date"))
        if termination_date is None and status == "Ended":
            termination_date = status_date
    nice, by_primary = _classes(record["classifications"])

    out.update(
        {
            "st13": rules.st13.build(serial, application_date),
            "office": rules.office,
            "collection": rules.collection,
            "application_number": serial,
            "application_date": application_date,
            # seven digits; zeros when there is no registration (p. 5)
            "registration_number": registration_number
            if registration_number and registration_number.strip("0")
            else None,
            "registration_date": registration_date,
            "expiry_date": _expiry(header, international, registration_date),
            "termination_date": termination_date,
            "publication_date": parse_date(header.get("published-for-opposition-date")),
            "status": status,
            "office_status": office_status,
            "status_date": status_date,
            "mark_feature": _mark_feature(header),
            "kind": _kinds(header),
            "mark_text": clean_text(header.get("mark-identification")),
            "nice_classes": nice,
            "goods_services": _goods_services(record["statements"], nice, by_primary),
            "vienna_codes": sorted_unique(vienna_code(c) for c in record["design-codes"]),
            "applicants": [_party(o) for o in _current_owners(record["owners"])],
            "representatives": _representatives(header),
            "priorities": _priorities(record["foreign-applications"]),
            "international_registration": international.get("international-registration-number"),
            # case-file-event-statements (p. 19): the event code, its description, its date
            "events": [
                rules.to_event(e.get("date"), e.get("code"), e.get("description-text")) for e in record["events"]
            ],
        }
    )
    return out


FORMAT = Format(
    name="uspto-tdxf",
    table="trademarks",
    read=connector.iter_office_records,
    to_canonical=to_canonical,
    description="USPTO trademark daily/annual XML (TDXF, DTD v2.0): <trademark-applications-daily> of <case-file>s",
    split_tag=connector.RECORD_TAG,
)
