"""WIPO ST.96 design XML (V6_0 `dgn:DesignApplication`): bytes → ST.96 office records.

Reads DesignApplication records wherever they sit: as the document root (a DesignApplication
document) or inside a DesignTransaction's DesignApplicationBag. An application holds a
DesignBag of one or more Design; some of its elements (ApplicationDate, ApplicantBag) come after
the designs, so the whole application is the record. Names are ST.96 local names, namespaces
ignored (schemas/ST96_V6_0_Flattened/DesignApplication_V6_0.xsd).

An office record is one DesignApplication, with `designs`, one dict per Design;
transforms/st96_design.py maps it to one canonical row per design.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from connectors.st96 import attribute, parse_contact
from connectors.xml import iter_elements, local, text

RECORD_TAGS = ("DesignApplication",)

_APPLICATION_SCALARS = {
    "RegistrationOfficeCode",
    "ApplicationDate",
    "DesignApplicationLanguageCode",
    "InternationalRegistrationNumber",
    "DesignApplicationCurrentStatusCategory",
    "DesignApplicationCurrentStatusDate",
}
_DESIGN_SCALARS = {
    "DesignIdentifier",
    "RegistrationNumber",
    "RegistrationDate",
    "ExpiryDate",
    "DesignCurrentStatusCategory",
    "DesignCurrentStatusDate",
}
_PARTY_BAGS = {
    "ApplicantBag": ("applicants", "Applicant"),
    "DesignerBag": ("designers", "Designer"),
    "RepresentativeBag": ("representatives", "Representative"),
}


def _child_text(elem, name: str) -> str | None:
    """Text of the first child with this local name."""
    return next((text(c) for c in elem if local(c.tag) == name), None)


def _application_number(elem) -> str | None:
    """The ApplicationNumberText of a com:ApplicationNumber child."""
    return next((_child_text(c, "ApplicationNumberText") for c in elem if local(c.tag) == "ApplicationNumber"), None)


def _locarno(bag) -> tuple[str | None, list[str]]:
    """LocarnoClassificationBag → edition and class texts: LocarnoClassificationText as written,
    or LocarnoClass + each LocarnoSubclass."""
    edition = None
    classes: list[str] = []
    for node in bag:
        tag = local(node.tag)
        if tag == "LocarnoClassificationEdition":
            edition = text(node)
        elif tag == "LocarnoClassificationText" and text(node):
            classes.append(text(node))
        elif tag == "LocarnoClassification":
            main = _child_text(node, "LocarnoClass")
            subclasses = [
                text(s)
                for b in node
                if local(b.tag) == "LocarnoSubclassBag"
                for s in b
                if local(s.tag) == "LocarnoSubclass" and text(s)
            ]
            # a subclass is written alone ("02") or with its class ("14-02")
            classes.extend(f"{main}-{sub}" if main and len(sub) <= 2 else sub for sub in subclasses)
            if main and not subclasses:
                classes.append(main)
    return edition, classes


def _priority(elem) -> dict:
    return {
        "PriorityCountryCode": _child_text(elem, "PriorityCountryCode"),
        "ApplicationNumber": _application_number(elem),
        "PriorityApplicationFilingDate": _child_text(elem, "PriorityApplicationFilingDate"),
    }


def parse_design(elem) -> dict:
    """One dgn:Design → dict of its ST.96 elements (direct children, by local name)."""
    design: dict = {
        "titles": [],
        "locarno": [],
        "locarno_edition": None,
        "applicants": [],
        "designers": [],
        "representatives": [],
        "priorities": [],
        "publication_dates": [],
        "representation_files": [],
    }
    for child in elem:
        tag = local(child.tag)
        if tag in _DESIGN_SCALARS:
            design[tag] = text(child)
        elif tag == "DesignTitleText" and text(child):
            design["titles"].append((attribute(child, "languageCode"), text(child)))
        elif tag == "DesignClassificationBag":
            for bag in child:
                if local(bag.tag) == "LocarnoClassificationBag":
                    edition, classes = _locarno(bag)
                    design["locarno_edition"] = design["locarno_edition"] or edition
                    design["locarno"].extend(classes)
        elif tag in _PARTY_BAGS:
            role, kind = _PARTY_BAGS[tag]
            design[role] = [parse_contact(p) for p in child if local(p.tag) == kind]
        elif tag == "PriorityBag":
            design["priorities"] = [_priority(p) for p in child if local(p.tag) == "Priority"]
        elif tag == "PublicationBag":
            design["publication_dates"] = [text(d) for p in child for d in p if local(d.tag) == "PublicationDate"]
        elif tag == "DesignRepresentationBag":
            design["representation_files"] = [text(f) for f in child.iter() if local(f.tag) == "FileName" and text(f)]
    return design


def parse_application(elem) -> dict:
    """One dgn:DesignApplication → office record with its designs in document order."""
    record: dict = {"applicants": [], "representatives": [], "designated_countries": [], "designs": []}
    for child in elem:
        tag = local(child.tag)
        if tag in _APPLICATION_SCALARS:
            record[tag] = text(child)
        elif tag == "ApplicationNumber":
            record["ApplicationNumber"] = _child_text(child, "ApplicationNumberText")
        elif tag == "DesignatedCountryBag":
            record["designated_countries"] = [
                text(c) for d in child for c in d if local(c.tag) == "DesignatedCountryCode"
            ]
        elif tag in ("ApplicantBag", "RepresentativeBag"):
            role, kind = _PARTY_BAGS[tag]
            record[role] = [parse_contact(p) for p in child if local(p.tag) == kind]
        elif tag == "DesignBag":
            record["designs"] = [parse_design(d) for d in child if local(d.tag) == "Design"]
    return record


def iter_office_records(stream: IO[bytes]) -> Iterator[dict]:
    """Stream the DesignApplication records of one ST.96 design file."""
    for elem in iter_elements(stream, RECORD_TAGS):
        yield parse_application(elem)
