"""WIPO ST.66 trademark XML as offices deliver it: bytes → ST.66 office records.

Accepts the shapes seen in real deliveries and in the format trees of reference/formats/brands:
`Transaction` (TradeMarkTransactionBody → TransactionData → [TradeMarkApplication →]
TradeMarkDetails → TradeMark*) and bare `TradeMark` roots, one per file or many under any
container (EUIPO, UKIPO, WIPO Madrid, BG, EE, MA, MC, MD, RO); the trademarks namespace, none,
or extension namespaces (IPAS's `wo-trademarks`, USPTO's `trademark:status`); applicants inside
TradeMark, or delivered beside it in the transaction data: referenced by key (any ST.66 file) or,
for a transaction holding a single mark, unkeyed (USPTO TSDR case status). Offices that rename
ST.66 elements (UKIPO's `IPOPublicMarkCurrentStatusCode`, Estonia's `Status`, `MarkType`,
`ApplicantDetail` wrappers ...) are read through `_DIALECT` and the party and goods readers.

An office record is a connectors.records.TrademarkRecord keyed by ST.66 element names;
transforms/st66.py maps it to the canonical record. connectors/st96.py fills the same record
from ST.96.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Literal

from connectors.records import Fields, Party, TrademarkRecord, is_st66_scalar
from connectors.xml import ByteStream, DeliveryError, Element, iter_elements, local, text

RECORD_TAGS = (
    "TradeMark",
    "TransactionCode",
    "TransactionSubCode",
    "ApplicantDetails",
    "RepresentativeDetails",
    "TransactionError",  # nztm: an error answer instead of the mark
)

# Office names for ST.66 elements of TradeMark (as the format trees of these offices show them).
_DIALECT = {
    "ApplicationDateTime": "ApplicationDate",  # gbtm
    "IPOPublicMarkCurrentStatusCode": "MarkCurrentStatusCode",  # gbtm
    "Status": "MarkCurrentStatusCode",  # eetm, matm
    "MarkType": "MarkFeature",  # eetm
}
_PRIORITY_DIALECT = {
    "CountryCode": "PriorityCountryCode",  # matm
    "EE_PriorityCountry": "PriorityCountryCode",  # eetm
    "EE_PriorityNum": "PriorityNumber",  # eetm
    "ForeignApplicationFilingDate": "PriorityDate",  # USPTO PriorityExt
}
_NAME_LINES = {"FreeFormatNameLine", "FreeFormatNameAddressLine"}
# A party's whole name in one element: ST.66/ST.86 OrganizationName, ST.96 Contact names (read
# here for ST.86 designers), eetm/matm FullName, gbtm Name (a container elsewhere, without text).
_WHOLE_NAMES = {"OrganizationName", "OrganizationStandardName", "EntityName", "PersonFullName", "FullName", "Name"}
# ST.66/ST.86 address books (with the office dialects) and the ST.96 Contact's postal address.
_ADDRESS_LINES = {
    "FreeFormatAddressLine",
    "AddressLine",
    "AddressRoom",
    "AddressBuilding",
    "AddressStreet",
    "AddressPostOfficeBox",
    "AddressCity",
    "Town",
    "AddressState",
    "StateCounty",
    "AddressPostcode",
    "Postcode",
    "RepAddress",
    "PostalAddressText",
    "AddressLineText",
    "CityName",
    "GeographicRegionName",
    "PostalCode",
    "AddressSuburb",  # nztm
}
_ADDRESS_COUNTRIES = {"AddressCountryCode", "FormattedAddressCountryCode", "AddressCountry", "CountryCode"}
_PERSON_PARTS = ("FirstName", "MiddleName", "LastName", "SecondLastName")
# Sub-records of a party that are not its name and address: ApplicantEntitlement (the
# establishment or domicile giving the right to file, with its own address), *Version.
_NOT_THE_PARTY = ("Entitlement", "Version")


def new_record(transaction: Fields | None = None) -> TrademarkRecord:
    """An empty office record (its lists, the transaction's codes): scalars are added as read."""
    transaction = transaction or {}
    return {
        "TransactionCode": transaction.get("TransactionCode"),
        "TransactionSubCode": transaction.get("TransactionSubCode"),
        "operationCode": None,
        "KindMark": [],
        "verbal": [],
        "goods_services": [],
        "vienna": [],
        "applicants": [],
        "representatives": [],
        "priorities": [],
        "publications": [],
        "events": [],
        "designated": [],
        "MarkImageURI": [],
        "MarkImageFilename": [],
    }


# What each element of a party is to parse_party, by local name (decided once per name).
_NAME_LINE, _ADDRESS_LINE, _COUNTRY, _WHOLE_NAME, _PERSON_PART, _NATIONALITY, _IDENTIFIER, _NOT_OWN = range(8)
_PARTY_ROLES: dict[str, int | None] = {}


def _party_role(tag: str) -> int | None:
    try:
        return _PARTY_ROLES[tag]
    except KeyError:
        pass
    if tag.endswith(_NOT_THE_PARTY):
        role = _NOT_OWN
    elif tag in _NAME_LINES:
        role = _NAME_LINE
    elif tag in _ADDRESS_LINES:
        role = _ADDRESS_LINE
    elif tag in _ADDRESS_COUNTRIES:
        role = _COUNTRY
    elif tag in _WHOLE_NAMES:
        role = _WHOLE_NAME
    elif tag in _PERSON_PARTS:
        role = _PERSON_PART
    elif tag.endswith("NationalityCode") or tag.endswith("IncorporationCountryCode"):
        role = _NATIONALITY
    elif tag in ("ApplicantIdentifier", "RepresentativeIdentifier", "Identifier"):
        role = _IDENTIFIER
    else:
        role = None
    if len(_PARTY_ROLES) < 10_000:  # bounded, like connectors.xml.local's memory
        _PARTY_ROLES[tag] = role
    return role


def parse_party(elem: Element) -> Party:
    """Applicant / Representative / Designer (any ST.66, ST.86 or ST.96 name and address shape,
    office dialects included) → name, country, address. The party's entitlement and version
    sub-records (an establishment's own address ...) are not the party's."""
    name_lines: list[tuple[str | None, str]] = []
    person: dict[str, str] = {}
    whole_name = None
    address: list[str] = []
    country = nationality = identifier = None
    skip = 0
    for node in elem.iterdescendants():
        if skip:
            skip -= 1
            continue
        tag = local(node.tag)
        role = _party_role(tag)
        if role is None:
            continue
        if role == _NOT_OWN:
            skip = sum(1 for _ in node.iterdescendants())
            continue
        value = text(node)
        if value is None:
            continue
        if role == _NAME_LINE:
            name_lines.append((node.get("languageCode"), value))
        elif role == _ADDRESS_LINE:
            if value not in address:
                address.append(value)
        elif role == _COUNTRY:
            country = country or value
        elif role == _WHOLE_NAME:
            whole_name = whole_name or value
        elif role == _PERSON_PART:
            person.setdefault(tag, value)
        elif role == _NATIONALITY:
            nationality = nationality or value
        else:
            identifier = identifier or value
    name: str | None
    if name_lines:
        first_language = name_lines[0][0]
        seen: list[str] = []
        for lang, value in name_lines:
            if lang == first_language and value not in seen:
                seen.append(value)
        name = " ".join(seen)
    else:
        name = whole_name or " ".join(person[p] for p in _PERSON_PARTS if p in person) or None
    return {
        "name": name,
        "country": country or nationality,
        "address": ", ".join(address) or None,
        "identifier": identifier,
    }


def _parties(details: Element, kind: str) -> list[Party]:
    """Applicants (or representatives) of a *Details element, with key-only references kept.

    Parties a differential delivery removes (`operationCode="Delete"`) and empty placeholders
    (USPTO's blank domestic representative) are left out. A key-only reference beside parties
    given inline in the same element (TMview deliveries: `ApplicantKey` then `Applicant`) is one
    of those parties, not another one: it is dropped.
    """
    found: list[Party] = []
    for child in details:
        tag = local(child.tag)
        if child.get("operationCode") == "Delete":
            continue
        if tag == kind:
            party = parse_party(child)
            if any(party.values()):  # a Party from parse_party has no `ref`
                found.append(party)
        elif tag == f"{kind}Detail":  # eetm, matm: ApplicantDetails/ApplicantDetail/Applicant
            found.extend(_parties(child, kind))
        elif tag == f"{kind}Key":
            inner = [c for c in child if local(c.tag) == kind]
            if inner:
                found.extend(parse_party(c) for c in inner)
            else:
                ref = next((text(c) for c in child if local(c.tag) in ("Identifier", "URI")), None)
                found.append({"name": None, "country": None, "address": None, "identifier": None, "ref": ref})
    inline = [p for p in found if "ref" not in p]
    return inline if inline else found


def _descriptions(holder: Element) -> list[tuple[str | None, str | None]]:
    return [
        (node.get("languageCode") or node.get("LanguageCode"), text(node))
        for node in holder
        if local(node.tag) == "GoodsServicesDescription"
    ]


def _goods_services(elem: Element) -> list[tuple[str | None, str | None, str | None]]:
    """(class, language, text) of every element holding a ClassNumber: ClassDescription in
    ST.66 (with or without the GoodsServices level), GoodsServices (eetm), GoodsServicesDetail
    (matm). A holder's own children (ClassificationTerm ...) are not searched again."""
    rows: list[tuple[str | None, str | None, str | None]] = []
    for node in elem:
        children = {local(c.tag): c for c in node}
        if "ClassNumber" in children:
            number = text(children["ClassNumber"])
            texts = _descriptions(node)
            if not texts:
                rows.append((number, None, None))
            rows.extend((number, lang, value) for lang, value in texts)
        else:
            rows.extend(_goods_services(node))
    return rows


def _category_codes(elem: Element) -> list[str]:
    return [value for node in elem.iter() if local(node.tag) == "CategoryCode" and (value := text(node))]


def _mark_images(details: Element, record: TrademarkRecord) -> None:
    for image in details:
        for node in image.iter():
            tag = local(node.tag)
            if tag in ("MarkImageURI", "MarkImageUri"):
                value = text(node)
                if value:
                    record["MarkImageURI"].append(value)
            elif tag == "MarkImageFilename":
                value = text(node)
                if value:
                    record["MarkImageFilename"].append(value)
            elif tag == "MarkImageCategory":
                kind = next((text(k) for k in node if local(k.tag) == "CategoryKind"), None)
                if kind is None or kind.lower().startswith("vienna"):
                    record["vienna"].extend(_category_codes(node))


def _priorities(details: Element) -> list[Fields]:
    """Priority claims, each wrapper level (PriorityDetail) and office extension flattened."""
    found = []
    for priority in details.iter("{*}Priority"):
        values: Fields = {}
        for node in priority.iter():
            value = text(node) if len(node) == 0 else None
            if value:
                values.setdefault(_PRIORITY_DIALECT.get(local(node.tag), local(node.tag)), value)
        found.append(values)
    return found


def designated_codes(details: Element) -> list[str]:
    """DesignatedCountryCode of each designation (ST.66 DesignatedCountry, ST.96 likewise)."""
    return [
        code
        for designation in details
        if (code := next((text(c) for c in designation if local(c.tag) == "DesignatedCountryCode"), None))
    ]


def _subsequent_designations(details: Element) -> list[str]:
    """Countries a Madrid registration was extended to after registration (the MarkRecord
    BasicRecords of kind "Subsequent Designation"); refusals and renunciations are not taken off."""
    found: list[str] = []
    for basic in details.iter("{*}BasicRecord"):
        fields = {local(c.tag): c for c in basic}
        kind = fields.get("BasicRecordKind")
        countries = fields.get("RecordDesignatedCountryDetails")
        if kind is not None and (text(kind) or "").casefold() == "subsequent designation" and countries is not None:
            found.extend(designated_codes(countries))
    return found


def _children_text(elem: Element) -> Fields:
    return {local(c.tag): text(c) for c in elem}


def _event(elem: Element) -> Fields:
    """A MarkEvent's leaf children; USPTO writes its event's text in MarkEventExt
    (MarkEventInternalDescriptionText), read as OfficeSpecificMarkEventDescription."""
    fields = _children_text(elem)
    for ext in elem:
        if local(ext.tag) == "MarkEventExt":
            for node in ext:
                if local(node.tag) == "MarkEventInternalDescriptionText":
                    fields["OfficeSpecificMarkEventDescription"] = text(node)
    return fields


def _kind_mark(child: Element, record: TrademarkRecord) -> None:
    value = text(child)
    if value:
        record["KindMark"].append(value)


def _word_mark(child: Element, record: TrademarkRecord) -> None:
    for node in child:
        tag = local(node.tag)
        if tag in ("MarkVerbalElementText", "MarkSignificantVerbalElement"):
            value = text(node)
            if value:
                record["verbal"].append((node.get("languageCode"), value))
        elif tag == "MarkTransliteration":
            record["MarkTransliteration"] = record.get("MarkTransliteration") or text(node)


def _mark_features(child: Element, record: TrademarkRecord) -> None:
    """nztm: one MarkFeature per feature of the mark, read as one value ("Word, Figurative")
    that the collection's feature table maps."""
    features = [value for node in child if local(node.tag) == "MarkFeature" and (value := text(node))]
    if features:
        record["MarkFeature"] = ", ".join(features)


def _verbal_element(child: Element, record: TrademarkRecord) -> None:  # eetm, matm: no WordMarkSpecification
    value = text(child)
    if value:
        record["verbal"].append((child.get("languageCode"), value))


def _mark_image(child: Element, record: TrademarkRecord) -> None:
    """eetm, matm: the image's file or address, without details."""
    value = text(child)
    if value:
        record["MarkImageURI" if value.startswith(("http://", "https://")) else "MarkImageFilename"].append(value)


def _international_mark_key(child: Element, record: TrademarkRecord) -> None:
    record["InternationalMarkIdentifier"] = next((text(c) for c in child if local(c.tag) == "Identifier"), None)


# TradeMark children (by local name, office dialects mapped) → how each fills the office record.
_READERS: dict[str, Callable[[Element, TrademarkRecord], None]] = {
    "KindMark": _kind_mark,
    "WordMarkSpecification": _word_mark,
    "WordMarkDetails": lambda child, record: _word_mark(next(iter(child), child), record),  # nztm
    "MarkFeatureDetails": _mark_features,  # nztm
    "MarkVerbalElementText": _verbal_element,
    "GoodsServicesDetails": lambda child, record: record["goods_services"].extend(_goods_services(child)),
    "ApplicantDetails": lambda child, record: record["applicants"].extend(_parties(child, "Applicant")),
    "RepresentativeDetails": lambda child, record: record["representatives"].extend(_parties(child, "Representative")),
    "MarkImageDetails": _mark_images,
    "MarkImage": _mark_image,
    "CategoryCodeDetails": lambda child, record: record["vienna"].extend(_category_codes(child)),  # eetm
    "PriorityDetails": lambda child, record: record["priorities"].extend(_priorities(child)),
    "PublicationDetails": lambda child, record: record["publications"].extend(_children_text(p) for p in child),
    "PublicationDate": lambda child, record: record["publications"].append(
        {"PublicationDate": text(child)}
    ),  # eetm, matm
    "MarkEventDetails": lambda child, record: record["events"].extend(_event(e) for e in child),
    "DesignatedCountryDetails": lambda child, record: record["designated"].extend(designated_codes(child)),
    "MarkRecordDetails": lambda child, record: record["designated"].extend(_subsequent_designations(child)),
    "InternationalMarkKey": _international_mark_key,
}


def parse_trademark(elem: Element, transaction: Fields) -> TrademarkRecord:
    """One TradeMark element → ST.66 office record (direct children only, by tag)."""
    record = new_record(transaction)
    record["operationCode"] = elem.get("operationCode")
    for child in elem:
        tag = local(child.tag)
        tag = _DIALECT.get(tag, tag)
        if is_st66_scalar(tag):
            record[tag] = text(child)
            continue
        read = _READERS.get(tag)
        if read is not None:
            read(child, record)
        elif tag.endswith("Ext"):  # office extensions (`TradeMarkExt`): USPTO's mark drawing code
            for node in child:
                if local(node.tag) == "MarkFeatureCode":
                    record["MarkFeatureCode"] = text(node)
    return record


PartyRole = Literal["applicants", "representatives"]
# the party sets a transaction may deliver beside its marks: the record's list, the party element
_DETAILS_ROLES: dict[str, tuple[PartyRole, str]] = {
    "ApplicantDetails": ("applicants", "Applicant"),
    "RepresentativeDetails": ("representatives", "Representative"),
}


def _resolve(record: TrademarkRecord, index: dict[tuple[str, str], Party]) -> bool:
    """Replace key-only party references by the parties of the file's sets; False if missing."""
    complete = True
    for role, _ in _DETAILS_ROLES.values():
        parties: list[Party] = []
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


def _transaction_data(elem: Element) -> Element | None:
    return next((a for a in elem.iterancestors() if local(a.tag) == "TransactionData"), None)


def iter_office_records(stream: ByteStream) -> Iterator[TrademarkRecord]:
    """Stream the TradeMark records of one ST.66 file.

    Records whose applicants are only referenced by key wait until the applicant set has
    been read (offices put it before the marks, so normally nothing waits). A mark without
    applicants of its own that is, so far, the only mark of its transaction data waits for that
    data's applicant set (USPTO puts the owners after TradeMarkDetails); at most one record
    waits this way, so memory stays flat.
    """
    transaction: Fields = {}
    index: dict[tuple[str, str], Party] = {}
    waiting: list[TrademarkRecord] = []
    ownerless: tuple[TrademarkRecord, Element] | None = None  # a record and its TransactionData
    shared = None  # a TransactionData seen holding several marks
    for elem in iter_elements(stream, RECORD_TAGS):
        tag = local(elem.tag)
        if tag == "TradeMark":
            data = _transaction_data(elem)
            if ownerless is not None:
                yield ownerless[0]
                if ownerless[1] is data:
                    shared = data
                ownerless = None
            record = parse_trademark(elem, transaction)
            if not _resolve(record, index):
                waiting.append(record)
            elif not record["applicants"] and data is not None and data is not shared:
                ownerless = (record, data)
            else:
                yield record
        elif tag in ("TransactionCode", "TransactionSubCode"):
            transaction[tag] = text(elem)
        elif tag == "TransactionError":
            said = {local(c.tag): text(c) for c in elem}
            raise DeliveryError(
                f"error response {said.get('TransactionErrorCode') or '(no code)'}: "
                f"{said.get('TransactionErrorText') or 'no message'}"
            )
        else:
            parent = elem.getparent()
            if parent is not None and local(parent.tag) == "TransactionData":
                role, kind = _DETAILS_ROLES[tag]
                parties = _parties(elem, kind)
                for party in parties:
                    if identifier := party.get("identifier"):
                        index[(role, identifier)] = party
                if ownerless is not None and ownerless[1] is parent and not ownerless[0][role]:
                    ownerless[0][role] = parties
                pending, waiting = waiting, []
                for record in pending:
                    if _resolve(record, index):
                        yield record
                    else:
                        waiting.append(record)
    if ownerless is not None:
        yield ownerless[0]
    for record in waiting:
        yield record  # unresolved references stay as nameless parties; the gate reports them
