"""Our normalized records next to WIPO's Global Brand/Design Database transformation of the same
delivery files, field by field (tests/test_gbd_differential.py; the disagreements are listed
and explained in docs/differences-from-gbd.md).

    .venv/bin/python -m tests.gbd.compare   # print the current disagreements as the doc's table rows
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT
from tests.golden.golden import Case, cases, normalize

GBD_PYTHON = ROOT / ".venv-gbd" / "bin" / "python"
DRIVER = Path(__file__).resolve().parent / "transform_with_gbd.py"
DOC = ROOT / "docs" / "differences-from-gbd.md"

# Cases WIPO has no transformation of, by the directory they live in (the doc says the same).
NOT_COMPARED = {
    # WIPO's ustm template reads the intermediary XML its own (unpublished) fetch step writes from
    # USPTO's files (tags renamed: <drawCode> ...), not USPTO's TDXF, TSDR or ST.96 files.
    "ustm": "WIPO's ustm template reads its fetch step's renamed intermediary XML, not USPTO's files",
    "ustm-tsdr": "WIPO's ustm template reads its fetch step's renamed intermediary XML, not USPTO's files",
    "st96-examples": "WIPO's ST.96 example is no office's delivery; WIPO has no template for it",
    # WIPO's krtm template reads KIPO's bulk XML (KRTrademarkDivisionBag), not KIPRIS Plus API answers.
    "krtm": "WIPO's krtm template reads KIPO's bulk XML, not KIPRIS Plus API answers",
    "usid": "WIPO has no usid template (USPTO designs are not in the Global Design Database)",
    "st96-design": "WIPO's ST.96 design example is no office's delivery; WIPO has no template for it",
}

TRADEMARK_FIELDS = (
    "st13",
    "status",
    "mark_feature",
    "kind",
    "application_number",
    "registration_number",
    "application_date",
    "registration_date",
    "expiry_date",
    "status_date",
    "termination_date",
    "mark_text",
    "mark_transliteration",
    "nice_classes",
    "applicants",
    "applicant_countries",
    "designated_countries",
)
DESIGN_FIELDS = (
    *TRADEMARK_FIELDS[:2],
    *TRADEMARK_FIELDS[4:11],
    "locarno_classes",
    "applicants",
    "applicant_countries",
    "designated_countries",
    "designations",
)


@dataclass(frozen=True, order=True)
class Disagreement:
    case: str
    record: str  # our record's application number (the file's, when WIPO refused it)
    field: str
    ours: str  # JSON of the value
    gbd: str

    def row(self) -> str:
        cells = (self.case, self.record, self.field, self.ours, self.gbd)
        return "| " + " | ".join(f"`{c}`".replace("|", "\\|") for c in cells) + " |"


def compared_cases() -> list[Case]:
    return [c for c in cases() if c.path.parent.name not in NOT_COMPARED]


def template(case: Case) -> str:
    """WIPO's template for a case: the collection's id (altm, sgid ...), the directory it lives in."""
    return case.path.parent.name


def run_gbd(selected: Iterable[Case]) -> dict[str, list[dict]]:
    """WIPO's results for each case's file, by path: per record, {"gbd": record} or {"error": reason}."""
    with tempfile.TemporaryDirectory(prefix="gbd-") as work:
        jobs = Path(work) / "jobs.json"
        out = Path(work) / "out.json"
        jobs.write_text(json.dumps([[template(c), str(c.path)] for c in selected]), encoding="utf-8")
        done = subprocess.run(
            [str(GBD_PYTHON), str(DRIVER), str(jobs), str(out)], capture_output=True, text=True, check=False
        )
        if done.returncode:
            raise RuntimeError(f"WIPO's transformation did not run:\n{done.stderr}")
        results: dict[str, list[dict]] = json.loads(out.read_text(encoding="utf-8"))
        return results


def _text(value: object) -> str | None:
    """A GBD or canonical scalar as compared: text with its blanks trimmed, nothing as None."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _texts(values: Iterable[object]) -> list[str]:
    return [t for t in map(_text, values) if t is not None]


def _names(entries: object) -> list[str]:
    """GBD writes a name as a list of {text, languageCode}, one per language."""
    return _texts(e.get("text") for e in entries) if isinstance(entries, list) else []


def _same_applicants(ours: list[str | None], theirs: list[list[str]]) -> bool:
    """Ours name each applicant once, in one of the languages GBD gives it in."""
    return len(ours) == len(theirs) and all(o in t for o, t in zip(ours, theirs, strict=True))


# Our scalar fields and the GBD JSON keys holding the same values.
_SCALARS = {
    "st13": "st13",
    "status": "gbdStatus",
    "mark_feature": "markFeature",
    "application_number": "applicationNumber",
    "registration_number": "registrationNumber",
    "application_date": "applicationDate",
    "registration_date": "registrationDate",
    "expiry_date": "expiryDate",
    "status_date": "statusDate",
    "termination_date": "terminationDate",
}
_DATES = ("application_date", "registration_date", "expiry_date", "status_date", "termination_date")


def gbd_fields(gbd: dict) -> dict[str, object]:
    """GBD's record in our fields' terms. GBD lists a national record's own office as its one
    designated country; our designated_countries are an international registration's designations
    only, so that one is left out here (docs/differences-from-gbd.md)."""
    verbal = (gbd.get("wordMarkSpecification") or {}).get("markVerbalElement") or []
    classes = (gbd.get("goodsServicesClassification") or {}).get("class") or []
    applicants = gbd.get("applicants") or []
    fields: dict[str, object] = {ours: _text(gbd.get(theirs)) for ours, theirs in _SCALARS.items()}
    for name in _DATES:  # GBD passes an office's timestamp through (UKIPO's ApplicationDateTime): its day
        value = fields[name]
        fields[name] = value[:10] if isinstance(value, str) else value
    return fields | {
        "kind": _texts(gbd.get("kind") or []),
        "mark_text": _text(verbal[0].get("text")) if verbal else None,
        "mark_transliteration": _text((gbd.get("wordMarkSpecification") or {}).get("markTransliteration")),
        "locarno_classes": _locarno(gbd.get("locarno") or []),
        "nice_classes": sorted({int(c["code"]) for c in classes if str(c.get("code", "")).isdigit()}),
        "applicants": [_names(a.get("fullName")) for a in applicants],
        "applicant_countries": [_applicant_country(a) for a in applicants],
        "designated_countries": sorted(
            c for c in _texts(gbd.get("designatedCountries") or []) if c != gbd.get("registrationOfficeCode")
        ),
        "designations": sorted(
            [_text(s.get("country")), _text(s.get("gbdStatus")), _text(s.get("statusDate"))]
            for s in gbd.get("statusByCountry") or []
        ),
    }


def _applicant_country(applicant: dict) -> str | None:
    """GBD's applicant country: its countryCode; WIPO's woid template writes none, only its
    address's (fullAddress countryCode)."""
    addresses = [a for a in applicant.get("fullAddress") or [] if isinstance(a, dict)]
    return _text(applicant.get("countryCode")) or next(
        (c for c in (_text(a.get("countryCode")) for a in addresses) if c), None
    )


def our_fields(record: dict) -> dict[str, object]:
    applicants = record.get("applicants") or []
    return {name: _text(record.get(name)) for name in _SCALARS} | {
        "kind": _texts(record.get("kind") or []),
        "mark_text": _text(record.get("mark_text")),
        "mark_transliteration": _text(record.get("mark_transliteration")),
        "locarno_classes": _locarno(record.get("locarno_classes") or []),
        "nice_classes": sorted(record.get("nice_classes") or []),
        "applicants": [_text(a.get("name")) for a in applicants],
        "applicant_countries": [_text(a.get("country_code")) for a in applicants],
        "designated_countries": sorted(_texts(record.get("designated_countries") or [])),
        "designations": sorted(
            [_text(d.get("country_code")), _text(d.get("status")), _text(d.get("status_date"))]
            for d in record.get("designations") or []
        ),
    }


def _locarno(codes: Iterable[object]) -> list[str]:
    """Locarno classes as class and subclass digits: GBD keeps each office's notation (09.03, 0901),
    we write 09-03."""
    return sorted(re.sub(r"\D", "", str(c)) for c in codes if c)


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _locarno_codes(indications: dict | list | None) -> list[object]:
    """The Locarno codes of a GBD design's productIndicationClasses. Its shape depends on the
    template: a list of {kind, classes: [[{code}]]} (ipas: one list of classes per indication), or
    one {kind, classes: [{code}]} (woid)."""
    kinds = indications if isinstance(indications, list) else [indications] if indications else []
    classes = [c for k in kinds for c in k.get("classes") or []]
    return [c.get("code") for c in _flat(classes)]


def _flat(entries: list) -> list[dict]:
    return [e for entry in entries for e in (_flat(entry) if isinstance(entry, list) else [entry])]


def gbd_records(gbd: dict, table: str) -> list[dict]:
    """GBD's records in our tables' grain: a design application gives one per design (its
    `designs` entries carry each design's status and classes; WIPO's woid template gives each
    design's status in every designated party in `extra.statusByCountry`)."""
    by_country = {
        _text(d.get("designPos")): d.get("status") or []
        for d in ((gbd.get("extra") or {}).get("statusByCountry") or {}).get("designs") or []
    }
    if table == "trademarks":
        return [gbd]
    return [
        {
            **gbd,
            "gbdStatus": design.get("gbdStatus"),
            "statusDate": design.get("statusDate"),
            "designPos": design.get("designPos"),
            "locarno": _locarno_codes(design.get("productIndicationClasses")),
            "statusByCountry": by_country.get(_text(design.get("designPos")), []),
        }
        for design in gbd.get("designs") or []
    ]


def _ours_for(records: list[dict], gbd: dict) -> dict | None:
    """Our record WIPO's record is of: the one with its application (else registration) number
    (and design number), or the only one."""
    position = _text(gbd.get("designPos"))
    for key, ours in (("applicationNumber", "application_number"), ("registrationNumber", "registration_number")):
        wanted = _text(gbd.get(key))
        for record in records:
            if (
                wanted is not None
                and _text(record.get(ours)) == wanted
                and position in (None, _text(record.get("design_number")))
            ):
                return record
    return records[0] if len(records) == 1 else None


def _record_key(record: dict) -> str:
    key = record.get("application_number") or record.get("registration_number") or ""
    return f"{key}#{record['design_number']}" if record.get("design_number") else key


def _same(name: str, ours: object, theirs: object) -> bool:
    if name == "applicants":
        return _same_applicants(ours, theirs)  # type: ignore[arg-type]
    return ours == theirs


def disagreements(case: Case, results: list[dict]) -> tuple[list[Disagreement], int]:
    """(the disagreements of one case, how many fields were compared)."""
    records, _ = normalize(case)
    keys = [_record_key(r) for r in records]
    fields = TRADEMARK_FIELDS if case.fmt.table == "trademarks" else DESIGN_FIELDS
    found = [
        Disagreement(case.name, f"record {number + 1} of the file", "transformation", _dump(keys), _dump(r["error"]))
        for number, r in enumerate(results)
        if "error" in r
    ]
    compared = 0
    for gbd in (g for r in results if "gbd" in r for g in gbd_records(r["gbd"], case.fmt.table)):
        record = _ours_for(records, gbd)
        if record is None:
            wanted = (
                [gbd.get("applicationNumber"), gbd.get("designPos")]
                if gbd.get("designPos")
                else gbd.get("applicationNumber")
            )
            found.append(Disagreement(case.name, ",".join(keys), "record", _dump(keys), _dump(wanted)))
            continue
        theirs, ours = gbd_fields(gbd), our_fields(record)
        found += [
            Disagreement(case.name, _record_key(record), name, _dump(ours[name]), _dump(theirs[name]))
            for name in fields
            if not _same(name, ours[name], theirs[name])
        ]
        compared += len(fields)
    return found, compared


def all_disagreements() -> tuple[list[Disagreement], int]:
    selected = compared_cases()
    results = run_gbd(selected)
    found: list[Disagreement] = []
    compared = 0
    for case in selected:
        rows, fields = disagreements(case, results[str(case.path)])
        found += rows
        compared += fields
    return sorted(found), compared


_CELL_BORDER = re.compile(r"(?<!\\)\|")


def documented() -> dict[tuple[str, str, str, str, str], str]:
    """The doc's disagreement table: (case, record, field, ours, GBD) -> why we differ."""
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            cells = [c.strip().replace("\\|", "|") for c in _CELL_BORDER.split(line.strip().strip("|"))]
            case, record, field, ours, gbd = (c.strip("`") for c in cells[:5])
            rows[(case, record, field, ours, gbd)] = cells[5] if len(cells) > 5 else ""
    return rows


if __name__ == "__main__":
    found, compared = all_disagreements()
    for d in found:
        print(d.row() + " |")
    print(f"{compared} fields compared, {sum(1 for d in found if d.field not in ('transformation', 'record'))} differ")
