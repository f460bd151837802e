"""WIPO Hague Express (collection `woid`): bytes → one office record per international registration.

A HagueExpressTransaction (reference/formats/designs/woid.tree) holds an international design
registration as WIPO's Hague Express database keeps it: HagueCurrent/HagueRegistration, its
state as last published (not always there, nor always up to date), and one HagueHistory per
recording in the International Designs Bulletin: the registration itself, renewals, refusals and
grants of protection by designated parties, holder changes, corrections and the expiration.
The record keeps both, as written; transforms/hague_express.py rebuilds the state from them.

ST.96 local names (namespaces ignored); the party and Locarno readers are those of the ST.96
design connector.
"""

from __future__ import annotations

from collections.abc import Iterator

from connectors.records import (
    Fields,
    HagueDesign,
    HagueExpressRecord,
    HagueRecording,
    HagueRegistration,
    LanguageText,
)
from connectors.st96 import attribute, parse_contact
from connectors.st96_design import locarno_bag, priority
from connectors.xml import ByteStream, Element, child_text, children, iter_elements, local, text

RECORD_TAGS = ("HagueExpressTransaction",)

_REGISTRATION_VALUES = frozenset(
    {
        "InternationalRegistrationNumber",
        "InternationalRegistrationDate",
        "InternationalFilingDate",
        "ExpiryDate",
        "FilingLanguageCode",
    }
)
_RECORDING_VALUES = frozenset(
    {
        "InternationalRecordingDate",
        "DecisionDate",
        "DecisionEffectiveDate",
        "RecordNotifyingOfficeCode",
        "RenewalDate",
        "ExpiryDate",
    }
)


def _countries(bag: Element) -> list[str | None]:
    """DesignatedCountryBag → its DesignatedCountryCode texts."""
    return [child_text(d, "DesignatedCountryCode") for d in children(bag, "DesignatedCountry")]


def parse_design(elem: Element) -> HagueDesign:
    """One HagueDesign → its product texts, Locarno classes, designers, priorities and views."""
    design: HagueDesign = {
        "DesignIdentifier": child_text(elem, "DesignIdentifier"),
        "products": [],
        "locarno": [],
        "locarno_edition": None,
        "designers": [],
        "priorities": [],
        "views": [],
    }
    for child in elem:
        tag = local(child.tag)
        if tag == "ProductDescriptionTextBag":
            products: list[LanguageText] = [
                (attribute(p, "languageCode"), value)
                for p in children(child, "ProductDescriptionText")
                if (value := text(p))
            ]
            design["products"] = products
        elif tag == "LocarnoClassificationBag":
            design["locarno_edition"], design["locarno"] = locarno_bag(child)
        elif tag == "DesignerBag":
            design["designers"] = [parse_contact(d) for d in children(child, "Designer")]
        elif tag == "PriorityBag":
            design["priorities"] = [priority(p) for p in children(child, "Priority")]
        elif tag == "ViewBag":
            design["views"] = [
                (child_text(v, "ViewIdentifier"), name)
                for v in children(child, "View")
                if (name := child_text(v, "FileName"))
            ]
    return design


def parse_registration(elem: Element) -> HagueRegistration:
    """One HagueRegistration → its values, designated parties, holders, representatives, designs."""
    registration: HagueRegistration = {
        "values": {},
        "designated": [],
        "holders": [],
        "representatives": [],
        "designs": [],
    }
    for child in elem:
        tag = local(child.tag)
        if tag in _REGISTRATION_VALUES:
            registration["values"][tag] = text(child)
        elif tag == "ApplicationNumber":
            registration["values"]["ApplicationNumber"] = child_text(child, "ApplicationNumberText")
        elif tag == "DesignatedCountryBag":
            registration["designated"] = _countries(child)
        elif tag == "HolderBag":
            registration["holders"] = [parse_contact(h) for h in children(child, "Holder")]
        elif tag == "RepresentativeBag":
            registration["representatives"] = [parse_contact(r) for r in children(child, "Representative")]
        elif tag == "HagueDesignBag":
            registration["designs"] = [parse_design(d) for d in children(child, "HagueDesign")]
    return registration


def _affected(elem: Element) -> list[str | None] | None:
    """AffectedDesign → the DesignIdentifiers it names; None for all designs."""
    if any(local(c.tag) == "AllDesignsIndicator" for c in elem):
        return None
    return [text(d) for bag in children(elem, "DesignIdentifierBag") for d in children(bag, "DesignIdentifier")]


def parse_recording(elem: Element, published: str | None) -> HagueRecording:
    """One recording of a HagueHistory (published in the bulletin of `published`)."""
    values: Fields = {"PublicationDate": published}
    recording: HagueRecording = {
        "kind": local(elem.tag),
        "values": values,
        "designs": None,
        "countries": None,
        "holders": [],
        "registration": parse_registration(elem) if local(elem.tag) == "HagueRegistration" else None,
    }
    for child in elem:
        tag = local(child.tag)
        if tag in _RECORDING_VALUES:
            values[tag] = text(child)
        elif tag == "AffectedDesign":
            recording["designs"] = _affected(child)
        elif tag == "DesignatedCountryBag":
            recording["countries"] = _countries(child)
        elif tag == "HolderChangeBag":
            recording["holders"] = [parse_contact(h) for bag in children(child, "HolderBag") for h in bag]
        elif tag == "HagueCorrectContent":
            corrected = next(children(child, "HagueRegistration"), None)
            recording["registration"] = None if corrected is None else parse_registration(corrected)
    return recording


def parse_transaction(elem: Element) -> HagueExpressRecord:
    """One HagueExpressTransaction → its current registration and its recordings in order."""
    record: HagueExpressRecord = {"current": None, "history": []}
    for child in elem:
        tag = local(child.tag)
        if tag == "HagueCurrent":
            current = next(children(child, "HagueRegistration"), None)
            record["current"] = None if current is None else parse_registration(current)
        elif tag == "HagueHistory":
            published = child_text(child, "PublicationDate")
            record["history"].extend(
                parse_recording(r, published)
                for r in child
                if local(r.tag) not in ("HagueBulletinNumber", "PublicationDate")
            )
    return record


def iter_office_records(stream: ByteStream) -> Iterator[HagueExpressRecord]:
    """Stream the HagueExpressTransaction records of one Hague Express file."""
    for elem in iter_elements(stream, RECORD_TAGS):
        yield parse_transaction(elem)
