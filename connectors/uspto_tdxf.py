"""USPTO trademark daily/annual XML (TDXF, DTD v2.0): bytes → USPTO office records.

A delivery is one `<trademark-applications-daily>` document holding one `<case-file>` per
application (application-information/file-segments/action-keys/case-file). Element names and
meanings are USPTO's ("Trademark Applications Daily XML DTD Element Documentation (V2.0)",
reference/docs/USPTO-Trademark-Applications-Documentation-v2.pdf). The format has no namespace.

An office record (connectors.records.TdxfRecord) is keyed by USPTO element names, values stripped
text or None;
transforms/uspto_tdxf.py maps it to the canonical record. The case-file's direct children are
dispatched by tag; inside them, what the transform maps is read, plus the correspondent, prior
registrations, Madrid filing requests and the prosecution events (case-file-event-statements: code,
type, description-text, date, number; p. 19). Most header indicators are parsed by lxml but never
visited from Python: each visit costs a Python object, and normalizing runs at about a third of
raw lxml speed (bench/normalize_bench.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from connectors.records import Fields, TdxfClassification, TdxfOwner, TdxfRecord, is_tdxf_scalar
from connectors.xml import ByteStream, Element, iter_elements, text

RECORD_TAG = "case-file"
# case-file-header children read (p. 6-17); the other ~50 (mostly T/F indicators of filing basis
# and post-registration affidavits) stay in lxml: not visiting them saves a Python object each.
HEADER_FIELDS = (
    "filing-date",
    "registration-date",
    "status-code",
    "status-date",
    "mark-identification",
    "mark-drawing-code",
    "published-for-opposition-date",
    "abandonment-date",
    "cancellation-date",
    "renewal-date",
    "attorney-name",
    "domestic-representative-name",
    "collective-trademark-in",
    "collective-service-mark-in",
    "collective-membership-mark-in",
    "certification-mark-in",
    "drawing-3d-current-in",
)


def _fields(elem: Element) -> Fields:
    """Leaf children → {tag: text}; each occurs at most once."""
    return {str(child.tag): text(child) for child in elem}


def _statements(elem: Element) -> list[tuple[str | None, str | None]]:
    """case-file-statement → (type-code, text); a statement's `text` may repeat (overflow lines)."""
    rows: list[tuple[str | None, str | None]] = []
    for statement in elem:
        type_code = None
        lines = []
        for node in statement:
            if node.tag == "type-code":
                type_code = text(node)
            elif node.tag == "text":
                value = text(node)
                if value:
                    lines.append(value)
        rows.append((type_code, " ".join(lines) or None))
    return rows


def _classification(elem: Element) -> TdxfClassification:
    """One classification: its international class codes (repeatable) and primary code; US
    classes, class status and first-use dates are not read."""
    entry: TdxfClassification = {"international-code": [], "primary-code": None}
    for node in elem.iterchildren("international-code", "primary-code"):
        value = text(node)
        if node.tag == "primary-code":
            entry["primary-code"] = value
        elif value:
            entry["international-code"].append(value)
    return entry


def _owner(elem: Element) -> TdxfOwner:
    """case-file-owner → its fields, `nationality` as {state|country|other: code}."""
    owner: TdxfOwner = {}
    for node in elem:
        tag = str(node.tag)
        owner[tag] = _fields(node) if tag == "nationality" else text(node)
    return owner


def _design_codes(elem: Element) -> list[str]:
    return [code for search in elem for node in search if node.tag == "code" and (code := text(node))]


def _prior_registrations(elem: Element) -> list[Fields]:
    return [_fields(node) for node in elem if node.tag == "prior-registration-application"]


def _madrid_filings(elem: Element) -> list[Fields]:
    """Madrid international filing requests (USPTO as office of origin); history events dropped."""
    return [
        {str(node.tag): text(node) for node in record if node.tag != "madrid-history-events"}
        for record in elem
        if record.tag == "madrid-international-filing-record"
    ]


def parse_case_file(elem: Element) -> TdxfRecord:
    """One case-file element → USPTO office record (direct children only, by tag)."""
    record: TdxfRecord = {
        "serial-number": None,
        "registration-number": None,
        "transaction-date": None,
        "header": {},
        "statements": [],
        "classifications": [],
        "owners": [],
        "correspondent": [],
        "design-codes": [],
        "foreign-applications": [],
        "prior-registrations": [],
        "international-registration": None,
        "madrid-filings": [],
        "events": [],
    }
    for child in elem:
        tag = str(child.tag)
        if is_tdxf_scalar(tag):  # p. 4-5
            record[tag] = text(child)
        elif tag == "case-file-header":
            record["header"] = {str(node.tag): text(node) for node in child.iterchildren(*HEADER_FIELDS)}
        elif tag == "case-file-statements":
            record["statements"] = _statements(child)
        elif tag == "classifications":
            record["classifications"] = [_classification(c) for c in child]
        elif tag == "case-file-owners":
            record["owners"] = [_owner(o) for o in child]
        elif tag == "correspondent":
            record["correspondent"] = [line for node in child if (line := text(node))]
        elif tag == "design-searches":
            record["design-codes"] = _design_codes(child)
        elif tag == "foreign-applications":
            record["foreign-applications"] = [_fields(f) for f in child]
        elif tag == "prior-registration-applications":
            record["prior-registrations"] = _prior_registrations(child)
        elif tag == "international-registration":
            record["international-registration"] = _fields(child)
        elif tag == "case-file-event-statements":
            record["events"] = [_fields(event) for event in child]
        elif tag == "madrid-international-filing-requests":
            record["madrid-filings"] = _madrid_filings(child)
    return record


def iter_office_records(stream: ByteStream) -> Iterator[TdxfRecord]:
    """Stream the case-files of one TDXF document, one office record each."""
    for elem in iter_elements(stream, (RECORD_TAG,)):
        yield parse_case_file(elem)
