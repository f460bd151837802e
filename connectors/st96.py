"""WIPO ST.96 trademark XML: bytes → ST.66 office records.

One reader for every ST.96 trademark document an office delivers: `TrademarkTransaction`
(USPTO TSDR, an ST.96 version before V6), `TrademarkApplication` (WIPO's V6_0 example, CIPO's
V3_0 exports) or any other wrapper of `TrademarkBag/Trademark`. Each `Trademark` element is one
record. CIPO's V3_0 variant gives its application number only in ST.13 form and its kind of
mark in NationalTrademarkInformation (read below). Elements are matched by local name (the
Trademark and Common namespaces, their version and the prefixes an office picks do not matter)
and dispatched by tag into the office record of connectors/st66.py, following WIPO's ST.96 → ST.66 mapping
(reference/mappings/ST96TrademarkTransaction_V6_0ToST66Transaction-V1-1.html): one transform
then maps both formats, and a mark delivered in both normalizes to the same record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from connectors.records import Fields, Party, TrademarkRecord, is_st66_scalar
from connectors.st66 import designated_codes, new_record
from connectors.xml import ByteStream, Element, iter_elements, local, text

RECORD_TAGS = ("Trademark", "TransactionCategory")

# ST.66 scalars not read from an ST.96 Trademark child of the same name: ApplicationNumber and
# MarkFeature come nested (ApplicationNumberText, MarkRepresentation), the other two are not ST.96
# elements. Every other ST.66 scalar is (RegistrationNumber may repeat in ST.96: the first is kept).
_NOT_TRADEMARK_CHILDREN = frozenset({"ApplicationNumber", "MarkFeature", "InternationalMarkIndicator", "TradeMarkURI"})
# Parties that USPTO's ST.66 delivers as representatives, beside the standard RepresentativeBag:
# attorney of record, domestic representative, correspondent.
_NATIONAL_REPRESENTATIVES = {"RecordAttorney", "NationalRepresentative", "NationalCorrespondent"}
_NAME_PARTS = {"EntityName", "OrganizationStandardName", "PersonFullName"}
_ADDRESS_LINES = {"AddressLineText", "PostalAddressText", "CityName", "GeographicRegionName", "PostalCode"}
_PERSON_PARTS = ("FirstName", "MiddleName", "LastName", "SecondLastName")


def attribute(elem: Element, name: str) -> str | None:
    """An attribute by local name: ST.96 qualifies its attributes (`com:languageCode`)."""
    for key in elem.keys():  # noqa: SIM118 (an _Element is not a mapping)
        if local(key) == name:
            return elem.get(key)
    return None


def parse_contact(elem: Element) -> Party:
    """Applicant / Representative / national party → the party dict of connectors/st66.

    The first Contact is read (CIPO gives one per language). Its name parts (entity,
    organization, person names, in the office's order) are joined once each, as ST.66's name
    lines are; the country is the address's, else the nationality or country of incorporation.
    """
    contact = next((node for node in elem.iter() if local(node.tag) == "Contact"), None)
    names: list[str] = []
    person: dict[str, str] = {}
    address: list[str] = []
    country = None
    for node in contact.iter() if contact is not None else ():
        tag = local(node.tag)
        value = text(node)
        if not value:
            continue
        if tag in _NAME_PARTS:
            if value not in names:
                names.append(value)
        elif tag in _PERSON_PARTS:
            person.setdefault(tag, value)
        elif tag in _ADDRESS_LINES:
            if value not in address:
                address.append(value)
        elif tag == "CountryCode":
            country = country or value
    structured = " ".join(person[p] for p in _PERSON_PARTS if p in person)
    if structured and structured not in names:
        names.append(structured)
    nationality = next(
        (text(c) for c in elem if local(c.tag) in ("NationalityCode", "IncorporationCountryCode") and text(c)), None
    )
    return {
        "name": " ".join(names) or None,
        "country": country or nationality,
        "address": ", ".join(address) or None,
        "identifier": None,
    }


# PublicationDate; CIPO: NationalPublication/PublicationActionDate
_PUBLICATION_DATES = frozenset({"PublicationDate", "PublicationActionDate"})


def _application_number(elem: Element) -> str | None:
    """ApplicationNumberText; CIPO gives only ST13ApplicationNumber: `30`, the number
    zero-padded and a two-digit extension (`300000010269700`: application 102697, extension 00),
    read as WIPO's Global Brand Database writes it: the number, `-NN` after it for an extension
    other than 00 (`102697`, `102697-01`)."""
    parts = {local(c.tag): text(c) for c in elem}
    if parts.get("ApplicationNumberText") or not parts.get("ST13ApplicationNumber"):
        return parts.get("ApplicationNumberText")
    st13 = parts["ST13ApplicationNumber"] or ""
    match = re.fullmatch(r"\d{2}0*(\d+)(\d{2})", st13.strip())
    if match is None:
        return st13
    number, extension = match.groups()
    return number if extension == "00" else f"{number}-{extension}"


def _cipo_trademark_class(elem: Element) -> str | None:
    """CIPO's kind of mark: NationalTrademarkInformation/TrademarkClass, its English
    TrademarkClassDescription (`Trademark`, `Certification Mark`, `Prohibited Mark; Flag` ...)."""
    descriptions = [
        (attribute(d, "languageCode"), text(d)) for d in elem.iter() if local(d.tag) == "TrademarkClassDescription"
    ]
    english = [value for lang, value in descriptions if lang == "en" and value]
    return english[0] if english else next((value for _, value in descriptions if value), None)


def _parties(elems: Iterable[Element]) -> list[Party]:
    """Parties of the given elements. Parties a differential delivery removes
    (`operationCategory="Delete"`) and empty placeholders (USPTO's blank national
    representative) are left out."""
    kept = (e for e in elems if attribute(e, "operationCategory") != "Delete")
    return [party for party in map(parse_contact, kept) if any(party.values())]


def _goods_services(bag: Element) -> list[tuple[str | None, str | None, str | None]]:
    """(class, language, text) per ClassDescription; Nice classes of the classification bag as
    (class, None, None). USPTO's primary and domestic (US) classes are not Nice classes, and its
    status-only ClassDescription (no ClassNumber) is no class."""
    rows: list[tuple[str | None, str | None, str | None]] = []
    for node in bag.iter():
        tag = local(node.tag)
        if tag == "ClassDescription":
            number = next((text(c) for c in node if local(c.tag) == "ClassNumber"), None)
            if number is None:
                continue
            texts = [
                (attribute(c, "languageCode"), text(c)) for c in node if local(c.tag) == "GoodsServicesDescriptionText"
            ]
            rows.extend((number, lang, value) for lang, value in texts or [(None, None)])
        elif tag == "GoodsServicesClassification":
            fields = {local(c.tag): text(c) for c in node}
            if fields.get("ClassNumber") and (fields.get("ClassificationKindCode") or "Nice").casefold() == "nice":
                rows.append((fields["ClassNumber"], None, None))
    return rows


def _vienna(classification: Element) -> str | None:
    parts = {local(c.tag): text(c) for c in classification}
    codes = [parts.get(p) for p in ("ViennaCategory", "ViennaDivision", "ViennaSection")]
    return ".".join(c for c in codes if c) or None


def _representation(elem: Element, record: TrademarkRecord) -> None:
    for node in elem.iter():
        tag = local(node.tag)
        value = text(node)
        if tag == "MarkFeatureCategory":
            record["MarkFeature"] = value
        elif tag == "MarkFeatureCode":  # USPTO NationalMarkDescription: the mark drawing code
            record["MarkFeatureCode"] = value
        elif tag in ("MarkVerbalElementText", "MarkSignificantVerbalElementText") and value:
            # the significant element alone where the office gives only it (chtm)
            record["verbal"].append((attribute(node, "languageCode"), value))
        elif tag == "MarkTransliteration" and value:
            record["MarkTransliteration"] = record.get("MarkTransliteration") or value
        elif (
            tag == "FileName"
            and value
            and (parent := node.getparent()) is not None
            and local(parent.tag) == "MarkImage"
        ):
            record["MarkImageFilename"].append(value)
        elif tag == "ViennaClassification":
            code = _vienna(node)
            if code:
                record["vienna"].append(code)


def _priority(elem: Element) -> Fields:
    values: Fields = {"PriorityCountryCode": None, "PriorityNumber": None, "PriorityDate": None}
    for child in elem:
        tag = local(child.tag)
        if tag == "PriorityCountryCode":
            values["PriorityCountryCode"] = text(child)
        elif tag == "ApplicationNumber":
            values["PriorityNumber"] = next((text(c) for c in child if local(c.tag) == "ApplicationNumberText"), None)
        elif tag == "PriorityApplicationFilingDate":
            values["PriorityDate"] = text(child)
    return values


def _event(elem: Element) -> Fields:
    """ST.96 MarkEventCategory is ST.66 MarkEventCode (the mapping table's event vocabulary); the
    office's own code and text (NationalMarkEvent) are ST.66's OfficeSpecificMarkEvent*."""
    fields = {local(c.tag): text(c) for c in elem}
    national = {local(c.tag): text(c) for n in elem if local(n.tag) == "NationalMarkEvent" for c in n}
    return {
        "MarkEventCode": fields.get("MarkEventCategory"),
        "MarkEventDate": fields.get("MarkEventDate"),
        "OfficeSpecificMarkEventCode": national.get("MarkEventCode"),
        "OfficeSpecificMarkEventDescription": national.get("MarkEventDescriptionText"),
    }


def parse_trademark(elem: Element, transaction: Fields) -> TrademarkRecord:
    """One ST.96 Trademark element → ST.66 office record (direct children, by tag)."""
    record = new_record(transaction)
    record["operationCode"] = attribute(elem, "operationCategory")
    for child in elem:
        tag = local(child.tag)
        if is_st66_scalar(tag) and tag not in _NOT_TRADEMARK_CHILDREN:
            if tag not in record:
                record[tag] = text(child)
        elif tag == "ApplicationNumber":
            record["ApplicationNumber"] = _application_number(child)
        elif tag == "MarkCategory":
            if value := text(child):
                record["KindMark"].append(value)
        elif tag == "MarkRepresentation":
            _representation(child, record)
        elif tag == "GoodsServicesBag":
            record["goods_services"].extend(_goods_services(child))
        elif tag == "ApplicantBag":
            record["applicants"].extend(_parties(c for c in child if local(c.tag) == "Applicant"))
        elif tag == "RepresentativeBag":
            record["representatives"].extend(_parties(c for c in child if local(c.tag) == "Representative"))
        elif tag in _NATIONAL_REPRESENTATIVES:
            record["representatives"].extend(_parties([child]))
        elif tag == "PriorityBag":
            record["priorities"].extend(_priority(p) for p in child if local(p.tag) == "Priority")
        elif tag == "PublicationBag":
            for publication in child:
                dates = (text(c) for c in publication.iter() if local(c.tag) in _PUBLICATION_DATES)
                record["publications"].append({"PublicationDate": next(dates, None)})
        elif tag == "NationalTrademarkInformation":
            if kind := _cipo_trademark_class(child):
                record["KindMark"].append(kind)
        elif tag == "MarkEventBag":
            record["events"].extend(_event(e) for e in child if local(e.tag) == "MarkEvent")
        elif tag == "DesignatedCountryBag":
            record["designated"].extend(designated_codes(child))
        elif tag == "InternationalMarkIdentifierBag":
            record["InternationalMarkIdentifier"] = next((text(c) for c in child if text(c)), None)
    return record


def iter_office_records(stream: ByteStream) -> Iterator[TrademarkRecord]:
    """Stream the Trademark records of one ST.96 file (the transaction category, ST.66's
    TransactionCode, reaches the marks after it)."""
    transaction: Fields = {}
    for elem in iter_elements(stream, RECORD_TAGS):
        if local(elem.tag) == "TransactionCategory":
            transaction["TransactionCode"] = text(elem)
        else:
            yield parse_trademark(elem, transaction)
