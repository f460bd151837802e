"""WIPO ST.96 design XML (V6_0 `dgn:DesignApplication`): bytes → ST.96 office records.

Reads DesignApplication records wherever they sit: as the document root (a DesignApplication
document) or inside a DesignTransaction's DesignApplicationBag. An application holds a
DesignBag of one or more Design; some of its elements (ApplicationDate, ApplicantBag) come after
the designs, so the whole application is the record. Names are ST.96 local names, namespaces
ignored (schemas/ST96_V6_0_Flattened/DesignApplication_V6_0.xsd).

An office record is one DesignApplication (connectors.records.St96DesignApplication), with
`designs`, one St96Design each;
transforms/st96_design.py maps it to one canonical row per design.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from connectors.records import (
    Fields,
    St96Design,
    St96DesignApplication,
    is_st96_application_scalar,
    is_st96_design_scalar,
)
from connectors.st96 import attribute, parse_contact
from connectors.xml import ByteStream, Element, child_text, iter_elements, local, text

RECORD_TAGS = ("DesignApplication",)

_PARTY_BAGS: dict[str, tuple[Literal["applicants", "designers", "representatives"], str]] = {
    "ApplicantBag": ("applicants", "Applicant"),
    "DesignerBag": ("designers", "Designer"),
    "RepresentativeBag": ("representatives", "Representative"),
}


def application_number(elem: Element) -> str | None:
    """The ApplicationNumberText of a com:ApplicationNumber child."""
    return next((child_text(c, "ApplicationNumberText") for c in elem if local(c.tag) == "ApplicationNumber"), None)


def locarno_bag(bag: Element) -> tuple[str | None, list[str]]:
    """LocarnoClassificationBag → edition and class texts: LocarnoClassificationText as written,
    or LocarnoClass + each LocarnoSubclass."""
    edition = None
    classes: list[str] = []
    for node in bag:
        tag = local(node.tag)
        if tag == "LocarnoClassificationEdition":
            edition = text(node)
        elif tag == "LocarnoClassificationText" and (value := text(node)):
            classes.append(value)
        elif tag == "LocarnoClassification":
            main = child_text(node, "LocarnoClass")
            subclasses = [
                subclass
                for b in node
                if local(b.tag) == "LocarnoSubclassBag"
                for s in b
                if local(s.tag) == "LocarnoSubclass" and (subclass := text(s))
            ]
            # a subclass is written alone ("02") or with its class ("14-02")
            classes.extend(f"{main}-{sub}" if main and len(sub) <= 2 else sub for sub in subclasses)
            if main and not subclasses:
                classes.append(main)
    return edition, classes


def _events(bag: Element) -> list[Fields]:
    """DesignEventBag / DesignApplicationEventBag → each event's category, CommentText and date
    (DesignEventCategory / DesignApplicationEventCategory, ...EventDate: read by suffix)."""
    events = []
    for event in bag:
        fields = {local(c.tag): text(c) for c in event}
        events.append(
            {
                "EventCategory": next((v for k, v in fields.items() if k.endswith("EventCategory")), None),
                "CommentText": fields.get("CommentText"),
                "EventDate": next((v for k, v in fields.items() if k.endswith("EventDate")), None),
            }
        )
    return events


def priority(elem: Element) -> Fields:
    return {
        "PriorityCountryCode": child_text(elem, "PriorityCountryCode"),
        "ApplicationNumber": application_number(elem),
        "PriorityApplicationFilingDate": child_text(elem, "PriorityApplicationFilingDate"),
    }


def parse_design(elem: Element) -> St96Design:
    """One dgn:Design → its ST.96 elements (direct children, by local name)."""
    design: St96Design = {
        "titles": [],
        "locarno": [],
        "locarno_edition": None,
        "applicants": [],
        "designers": [],
        "representatives": [],
        "priorities": [],
        "publication_dates": [],
        "representation_files": [],
        "events": [],
    }
    for child in elem:
        tag = local(child.tag)
        if is_st96_design_scalar(tag):
            design[tag] = text(child)
        elif tag == "DesignTitleText" and (title := text(child)):
            design["titles"].append((attribute(child, "languageCode"), title))
        elif tag == "DesignClassificationBag":
            for bag in child:
                if local(bag.tag) == "LocarnoClassificationBag":
                    edition, classes = locarno_bag(bag)
                    design["locarno_edition"] = design["locarno_edition"] or edition
                    design["locarno"].extend(classes)
        elif tag in _PARTY_BAGS:
            role, kind = _PARTY_BAGS[tag]
            design[role] = [parse_contact(p) for p in child if local(p.tag) == kind]
        elif tag == "PriorityBag":
            design["priorities"] = [priority(p) for p in child if local(p.tag) == "Priority"]
        elif tag == "PublicationBag":
            design["publication_dates"] = [text(d) for p in child for d in p if local(d.tag) == "PublicationDate"]
        elif tag == "DesignRepresentationBag":
            design["representation_files"] = [text(f) for f in child.iter() if local(f.tag) == "FileName" and text(f)]
        elif tag == "DesignEventBag":
            design["events"] = _events(child)
    return design


def parse_application(elem: Element) -> St96DesignApplication:
    """One dgn:DesignApplication → office record with its designs in document order."""
    record: St96DesignApplication = {
        "applicants": [],
        "representatives": [],
        "designated_countries": [],
        "designs": [],
        "events": [],
    }
    for child in elem:
        tag = local(child.tag)
        if is_st96_application_scalar(tag):
            record[tag] = text(child)
        elif tag == "ApplicationNumber":
            record["ApplicationNumber"] = child_text(child, "ApplicationNumberText")
        elif tag == "DesignatedCountryBag":
            record["designated_countries"] = [
                text(c) for d in child for c in d if local(c.tag) == "DesignatedCountryCode"
            ]
        elif tag == "ApplicantBag":
            record["applicants"] = [parse_contact(p) for p in child if local(p.tag) == "Applicant"]
        elif tag == "RepresentativeBag":
            record["representatives"] = [parse_contact(p) for p in child if local(p.tag) == "Representative"]
        elif tag == "DesignBag":
            record["designs"] = [parse_design(d) for d in child if local(d.tag) == "Design"]
        elif tag == "DesignApplicationEventBag":
            record["events"] = _events(child)
    return record


def iter_office_records(stream: ByteStream) -> Iterator[St96DesignApplication]:
    """Stream the DesignApplication records of one ST.96 design file."""
    for elem in iter_elements(stream, RECORD_TAGS):
        yield parse_application(elem)
