"""Golden records: every real sample and test fixture, normalized, kept as JSON Lines.

The files under tests/golden/records/ were written by the normalizer as it stood before the
columnar rewrite (issue 14) and are compared field by field by tests/golden/test_golden.py, so a
rewrite of the normalizer cannot change its output unnoticed. They are the program's own output,
not values read from the sources: the per-format tests in tests/transforms do that.

    .venv/bin/python -m tests.golden.golden   # rewrite them (only for a deliberate output change)

One case per delivery file: `<case>.jsonl` holds its records sorted by key (st13, design_number),
dates as ISO strings, `ingested_at` left out; outcomes.json holds each case's rejection reason
and quarantined records (without `quarantined_at`).
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ipetl.collection import Collection, Source
from ipetl.collections.st96 import USPTO_TSDR
from ipetl.registry import get
from tests.conftest import FIXTURES, MIRROR, normalized
from transforms.formats import FORMATS
from transforms.rules import CollectionRules
from transforms.spec import Format
from transforms.st13 import ST13Rule

RECORDS = Path(__file__).resolve().parent / "records"
OUTCOMES = RECORDS / "outcomes.json"
LEFT_OUT = ("ingested_at",)

# USPTO TSDR records and WIPO's ST.96 trademark example: collection `ustm` data with USPTO's
# tables (as tests/transforms/test_tsdr_pairs.py builds it); WIPO's ST.96 design example: office XX.
_TSDR = Collection(
    id="ustm",
    office="US",
    office_name="USPTO",
    kind="trademark",
    format=FORMATS["st66"],
    source=Source("local", "unused"),
    **USPTO_TSDR,
)
_XX_DESIGNS = CollectionRules(collection="xxid", office="XX", st13=ST13Rule("XX", "70"))


@dataclass(frozen=True)
class Case:
    name: str
    path: Path
    fmt: Format
    rules: CollectionRules


def _collection_case(name: str, path: Path, collection_id: str) -> Case:
    collection = get(collection_id)
    return Case(name, path, collection.format, collection.rules())


def cases() -> list[Case]:
    found = []
    for directory in sorted(MIRROR.iterdir()):
        for path in sorted(directory.iterdir()):
            name = f"mirror-{directory.name}-{path.stem}"
            if directory.name in ("ustm-tsdr", "st96-examples"):
                fmt = FORMATS["st66" if path.stem.endswith("ST66") else "st96-trademark"]
                found.append(Case(name, path, fmt, _TSDR.rules()))
            else:
                found.append(_collection_case(name, path, directory.name))
    for directory in sorted(FIXTURES.iterdir()):
        if not directory.is_dir() or directory.name == "fetch":  # SOURCES.md; web pages, not deliveries
            continue
        for path in sorted(directory.iterdir()):
            name = f"fixture-{directory.name}-{path.stem}"
            if directory.name == "st96-design":
                found.append(Case(name, path, FORMATS["st96-design"], _XX_DESIGNS))
            else:
                found.append(_collection_case(name, path, directory.name))
    return found


def _plain(value):
    """JSON value of a record field: dates as ISO strings, nested lists and structs alike."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _sort_key(record: dict) -> tuple:
    return (record.get("st13") or "", record.get("design_number") or "")


def normalize(case: Case) -> tuple[list[dict], dict]:
    """(records, outcome) of one case, in the golden files' form."""
    with tempfile.TemporaryDirectory(prefix="golden-") as spool:
        rows, result = normalized(
            case.path, case.fmt, case.rules, spool, ingested_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        )
    records = sorted(
        ({k: _plain(v) for k, v in row.items() if k not in LEFT_OUT} for row in rows),
        key=_sort_key,
    )
    outcome = {
        "rejected": result.rejected,
        "quarantined": [{k: v for k, v in q.items() if k != "quarantined_at"} for q in result.quarantined],
    }
    return records, outcome


def read_records(case: Case) -> list[dict]:
    with open(RECORDS / f"{case.name}.jsonl", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def read_outcomes() -> dict:
    return json.loads(OUTCOMES.read_text(encoding="utf-8"))


def write() -> None:
    RECORDS.mkdir(exist_ok=True)
    outcomes = {}
    for case in cases():
        records, outcomes[case.name] = normalize(case)
        with open(RECORDS / f"{case.name}.jsonl", "w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        outcome = outcomes[case.name]
        print(
            f"{case.name}: {len(records)} records, rejected={outcome['rejected']!r}, "
            f"quarantined={len(outcome['quarantined'])}"
        )
    OUTCOMES.write_text(json.dumps(outcomes, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write()
