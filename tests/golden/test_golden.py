"""Every sample and fixture normalizes to its golden records (tests/golden/golden.py), field by field."""

from __future__ import annotations

import json

import pytest

from tests.golden.golden import cases, normalize, read_outcomes, read_records

CASES = cases()
OUTCOMES = read_outcomes()


def test_every_case_has_golden_records():
    assert sorted(c.name for c in CASES) == sorted(OUTCOMES)


def _differences(expected: list[dict], actual: list[dict]) -> list[str]:
    if len(expected) != len(actual):
        return [f"{len(actual)} records, golden has {len(expected)}"]
    lines = []
    for number, (want, got) in enumerate(zip(expected, actual, strict=True)):
        for name in sorted(set(want) | set(got)):
            if want.get(name, "<absent>") != got.get(name, "<absent>"):
                lines.append(
                    f"record {number} ({want.get('st13')}) {name}:\n"
                    f"  golden: {json.dumps(want.get(name, '<absent>'), ensure_ascii=False)}\n"
                    f"  now:    {json.dumps(got.get(name, '<absent>'), ensure_ascii=False)}"
                )
    return lines


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_output_matches_golden(case):
    records, outcome = normalize(case)
    differences = _differences(read_records(case), records)
    assert not differences, "\n".join(differences)
    assert outcome == OUTCOMES[case.name]
