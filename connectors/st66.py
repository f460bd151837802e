"""WIPO ST.66 trademark XML as offices deliver it: bytes → ST.66 office records.

Accepts the shapes seen in real deliveries: `Transaction` (TradeMarkTransactionBody →
TransactionData → [TradeMarkApplication →] TradeMarkDetails → TradeMark*) and bare
`TradeMark` roots; the trademarks namespace, none, or IPAS's `wo-trademarks` extension
namespace on some elements; applicants inside TradeMark or delivered beside it in an
applicant set (`TransactionData/ApplicantDetails`) and referenced by key.

An office record is a plain dict keyed by ST.66 element names; transforms/st66.py maps it to
the canonical record.
"""

from __future__ import annotations

from typing import IO, Iterator

from connectors.xml import iter_elements, local, text

RECORD_TAGS = ("TradeMark", "TransactionCode", "TransactionSubCode", "ApplicantDetails", "RepresentativeDetails")

_SCALARS = {
    "RegistrationOfficeCode",
    "ApplicationNumber",
    "ApplicationDate",
    "RegistrationNumber",
    "RegistrationDate",
    "ExpiryDate",
    "TerminationDate",
    "ApplicationLanguageCode",
    "MarkCurrentStatusCode",
    "MarkCurrentStatusDate",
    "KindMark",
    "MarkFeature",
    "InternationalMarkIndicator",
    "TradeMarkURI",
    "OppositionPeriodStartDate",
}
_ADDRESS_LINES = {"FreeFormatAddressLine", "AddressStreet", "AddressCity", "AddressPostcode", "AddressState"}
_PERSON_PARTS = ("FirstName", "LastName", "SecondLastName")


def parse_party(elem) -> dict:
    """Applicant / Representative (any ST.66 name and address shape) → name, country, address."""
    name_lines: list[tuple[str | None, str]] = []
    person: dict[str, str] = {}
    organization = None
    address: list[str] = []
    country = nationality = identifier = None
    for node in elem.iter():
        tag = local(node.tag)
        if tag == "FreeFormatNameLine" or tag == "FreeFormatNameAddressLine":
            value = text(node)
            if value:
                name_lines.append((node.get("languageCode"), value))
        elif tag in _ADDRESS_LINES:
            value = text(node)
            if value and value not in address:
                address.append(value)
        elif tag == "AddressCountryCode":
            country = country or text(node)
        elif tag == "OrganizationName":
            organization = organization or text(node)
        elif tag in _PERSON_PARTS:
            value = text(node)
            if value:
                person.setdefault(tag, value)
        elif tag.endswith("NationalityCode") or tag.endswith("IncorporationCountryCode"):
            nationality = nationality or text(node)
        elif tag in ("ApplicantIdentifier", "RepresentativeIdentifier", "Identifier"):
            identifier = identifier or text(node)
    if name_lines:
        first_language = name_lines[0][0]
        seen: list[str] = []
        for lang, value in name_lines:
            if lang == first_language and value not in seen:
                seen.append(value)
        name = " ".join(seen)
    else:
        name = organization or " ".join(person[p] for p in _PERSON_PARTS if p in person) or None
    return {
        "name": name,
        "country": country or nationality,
        "address": ", ".join(address) or None,
        "identifier": identifier,
    }


def _parties(details, kind: str) -> list[dict]:
    """Applicants (or representatives) of a *Details element, with key-only references kept."""
    found = []
    for child in details:
        tag = local(child.tag)
        if tag == kind:
            found.append(parse_party(child))
        elif tag == f"{kind}Key":
            inner = [c for c in child if local(c.tag) == kind]
            if inner:
                found.extend(parse_party(c) for c in inner)
            else:
                ref = next((text(c) for c in child if local(c.tag) in ("Identifier", "URI")), None)
                found.append({"name": None, "country": None, "address": None, "identifier": None, "ref": ref})
    return found


def _goods_services(elem) -> list[tuple[str | None, str | None, str | None]]:
    rows = []
    for gs in elem:
        for details in gs:
            if local(details.tag) != "ClassDescriptionDetails":
                continue
            for cd in details:
                number = None
                texts = []
                for node in cd:
                    tag = local(node.tag)
                    if tag == "ClassNumber":
                        number = text(node)
                    elif tag == "GoodsServicesDescription":
                        texts.append((node.get("languageCode"), text(node)))
                if not texts:
                    rows.append((number, None, None))
                rows.extend((number, lang, value) for lang, value in texts)
    return rows


def _mark_images(elem, record: dict) -> None:
    for image in elem:
        for node in image:
            tag = local(node.tag)
            if tag in ("MarkImageURI", "MarkImageFilename"):
                value = text(node)
                if value:
                    record.setdefault(tag, []).append(value)
            elif tag == "MarkImageCategory":
                kind = None
                codes = []
                for cat in node.iter():
                    ctag = local(cat.tag)
                    if ctag == "CategoryKind":
                        kind = text(cat)
                    elif ctag == "CategoryCode":
                        value = text(cat)
                        if value:
                            codes.append(value)
                if kind is None or kind.lower().startswith("vienna"):
                    record["vienna"].extend(codes)


def _children_text(elem) -> dict:
    return {local(c.tag): text(c) for c in elem}


def parse_trademark(elem, transaction: dict) -> dict:
    """One TradeMark element → ST.66 office record (direct children only, by tag)."""
    record: dict = {
        "TransactionCode": transaction.get("TransactionCode"),
        "TransactionSubCode": transaction.get("TransactionSubCode"),
        "applicants": [],
        "representatives": [],
        "goods_services": [],
        "vienna": [],
        "priorities": [],
        "publications": [],
        "events": [],
        "verbal": [],
    }
    for child in elem:
        tag = local(child.tag)
        if tag in _SCALARS:
            record[tag] = text(child)
        elif tag == "WordMarkSpecification":
            for node in child:
                if local(node.tag) in ("MarkVerbalElementText", "MarkSignificantVerbalElement") and text(node):
                    record["verbal"].append((node.get("languageCode"), text(node)))
        elif tag == "GoodsServicesDetails":
            record["goods_services"] = _goods_services(child)
        elif tag == "ApplicantDetails":
            record["applicants"] = _parties(child, "Applicant")
        elif tag == "RepresentativeDetails":
            record["representatives"] = _parties(child, "Representative")
        elif tag == "MarkImageDetails":
            _mark_images(child, record)
        elif tag == "PriorityDetails":
            record["priorities"] = [_children_text(p) for p in child]
        elif tag == "PublicationDetails":
            record["publications"] = [_children_text(p) for p in child]
        elif tag == "MarkEventDetails":
            record["events"] = [_children_text(e) for e in child]
    return record


def _resolve(record: dict, index: dict[str, dict]) -> bool:
    """Replace key-only party references by the parties of the file's sets; False if missing."""
    complete = True
    for role in ("applicants", "representatives"):
        parties = []
        for party in record[role]:
            ref = party.get("ref")
            if ref is None:
                parties.append(party)
            elif (role, ref) in index:
                parties.append(index[(role, ref)])
            else:
                complete = False
                parties.append(party)
        record[role] = parties
    return complete


def iter_office_records(stream: IO[bytes]) -> Iterator[dict]:
    """Stream the TradeMark records of one ST.66 file.

    Records whose applicants are only referenced by key wait until the applicant set has
    been read (offices put it before the marks, so normally nothing waits).
    """
    transaction: dict = {}
    index: dict[tuple[str, str], dict] = {}
    waiting: list[dict] = []
    for elem in iter_elements(stream, RECORD_TAGS):
        tag = local(elem.tag)
        if tag == "TradeMark":
            record = parse_trademark(elem, transaction)
            if _resolve(record, index):
                yield record
            else:
                waiting.append(record)
        elif tag in ("TransactionCode", "TransactionSubCode"):
            transaction[tag] = text(elem)
        else:
            parent = elem.getparent()
            if parent is not None and local(parent.tag) == "TransactionData":
                role = "applicants" if tag == "ApplicantDetails" else "representatives"
                kind = "Applicant" if role == "applicants" else "Representative"
                for party in _parties(elem, kind):
                    if party.get("identifier"):
                        index[(role, party["identifier"])] = party
                pending, waiting = waiting, []
                for record in pending:
                    if _resolve(record, index):
                        yield record
                    else:
                        waiting.append(record)
    for record in waiting:
        yield record  # unresolved references stay as nameless parties; the gate reports them
