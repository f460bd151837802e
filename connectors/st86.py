"""WIPO ST.86 design XML as WIPO IPAS offices export it: bytes → ST.86 office records.

The shape every IPAS design collection delivers (reference/formats/designs/<collection>.tree,
alid ... vnid): Transaction/DesignTransactionBody/TransactionContentDetails/TransactionData/
DesignApplicationDetails/DesignApplication, which holds the application's number, date,
language and office, and DesignDetails/Design: one per design, each with its own identifier,
title, Locarno classes (IndicationProductDetails), parties, status, dates and events.

An office record is one DesignApplication (connectors.records.St86Application), keyed by ST.86
element names, with `designs`, one St86Design each. transforms/st86.py maps it to one canonical
row per design.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from connectors.records import (
    Fields,
    Party,
    St86Application,
    St86Design,
    is_st86_application_scalar,
    is_st86_design_scalar,
)
from connectors.st66 import parse_party
from connectors.xml import ByteStream, Element, iter_elements, local, text

RECORD_TAGS = ("DesignApplication",)

_PARTY_DETAILS: dict[str, tuple[Literal["applicants", "designers", "representatives"], str]] = {
    "ApplicantDetails": ("applicants", "Applicant"),
    "DesignerDetails": ("designers", "Designer"),
    "RepresentativeDetails": ("representatives", "Representative"),
}


def _children_text(elem: Element) -> Fields:
    return {local(c.tag): text(c) for c in elem}


def _parties(details: Element, kind: str) -> list[Party]:
    """The parties written out in a *Details element. Key-only references (the application's
    ApplicantKey, pointing at the designs' own applicants) carry no name and are left out."""
    return [parse_party(child) for child in details if local(child.tag) == kind]


def _classifications(details: Element, design: St86Design) -> None:
    """IndicationProductDetails → (kind, edition, class) rows and the product texts."""
    for product in details:
        kind = version = None
        numbers: list[str | None] = []
        for node in product:
            tag = local(node.tag)
            if tag == "ClassificationKindCode":
                kind = text(node)
            elif tag == "ClassificationVersion":
                version = text(node)
            elif tag == "IndicationProductDescription" and (value := text(node)):
                design["product_indications"].append((node.get("languageCode"), value))
            elif tag == "ClassDescriptionDetails":
                for description in node:
                    for part in description:
                        ptag = local(part.tag)
                        if ptag == "ClassNumber":
                            numbers.append(text(part))
                        elif ptag == "ProductDescription" and (value := text(part)):
                            design["product_descriptions"].append((part.get("languageCode"), value))
        design["classifications"].extend((kind, version, number) for number in numbers)


def parse_design(elem: Element) -> St86Design:
    """One Design element → its ST.86 elements (direct children, by tag)."""
    design: St86Design = {
        "titles": [],
        "product_indications": [],
        "product_descriptions": [],
        "classifications": [],
        "applicants": [],
        "designers": [],
        "representatives": [],
        "priorities": [],
        "publications": [],
        "events": [],
        "representation_sheets": [],
    }
    for child in elem:
        tag = local(child.tag)
        if is_st86_design_scalar(tag):
            design[tag] = text(child)
        elif tag == "DesignTitle" and (title := text(child)):
            design["titles"].append((child.get("languageCode"), title))
        elif tag == "IndicationProductDetails":
            _classifications(child, design)
        elif tag in _PARTY_DETAILS:
            role, kind = _PARTY_DETAILS[tag]
            design[role] = _parties(child, kind)
        elif tag == "PriorityDetails":
            design["priorities"] = [_children_text(p) for p in child]
        elif tag == "PublicationDetails":
            design["publications"] = [_children_text(p) for p in child]
        elif tag == "DesignEventDetails":
            design["events"] = [_children_text(e) for e in child]
        elif tag == "DesignRepresentationSheetDetails":
            for sheet in child:
                for node in sheet:
                    if local(node.tag) == "RepresentationSheetFilename" and (filename := text(node)):
                        design["representation_sheets"].append(filename)
    return design


def parse_application(elem: Element) -> St86Application:
    """One DesignApplication element → office record with its designs in document order."""
    record: St86Application = {"applicants": [], "designated_countries": [], "designs": []}
    for child in elem:
        tag = local(child.tag)
        if is_st86_application_scalar(tag):
            record[tag] = text(child)
        elif tag == "DesignApplicationNumber":
            # under the name the other formats' records use for it; transforms/st86.py reads it
            # there for the application number and the ST.13
            record["ApplicationNumber"] = text(child)
        elif tag == "ApplicantDetails":
            record["applicants"] = _parties(child, "Applicant")
        elif tag == "DesignatedCountryDetails":
            record["designated_countries"] = [
                text(code) for country in child for code in country if local(code.tag) == "DesignatedCountryCode"
            ]
        elif tag == "DesignDetails":
            record["designs"] = [parse_design(d) for d in child if local(d.tag) == "Design"]
    return record


def iter_office_records(stream: ByteStream) -> Iterator[St86Application]:
    """Stream the DesignApplication records of one ST.86 file, one application at a time."""
    for elem in iter_elements(stream, RECORD_TAGS):
        yield parse_application(elem)
