"""Brand-clearance search in the catalog: FTS (from the wheel), fuzzy matching, exact filters."""

from __future__ import annotations

import subprocess
import sys

from tests.warehouse.test_publish import JAN, record, rows, stage
from warehouse.publish import publish

MARKS = [
    record(
        "US50201500000001A",
        "APPLE PIE",
        JAN,
        nice_classes=[30],
        status="Registered",
        applicants=[{"name": "Orchard Foods LLC", "country_code": "US", "address": None}],
    ),
    record("US50201500000002A", "APPLE COMPUTERS", JAN, nice_classes=[9, 42], vienna_codes=["05.07.13"]),
    record("US50201500000003A", "APPEL", JAN, nice_classes=[9]),
    record(
        "US50201500000004A",
        "ORANGE",
        JAN,
        nice_classes=[9],
        applicants=[{"name": "Apple Growers Cooperative", "country_code": "US", "address": None}],
    ),
    record("GB50201500000005A", "APPLES", JAN, office="GB", collection="gbtm", nice_classes=[9]),
]


def test_full_text_search_with_filters(lake, home, tmp_path):
    publish(lake, stage(tmp_path, "d1", MARKS))
    hits = rows(lake, home, "select st13 from search_marks('apple')")
    # stemmed (APPLES), applicant names searched too (ORANGE by Apple Growers); APPEL is not a match
    assert {h[0][-2:] for h in hits} == {"1A", "2A", "4A", "5A"}
    assert rows(lake, home, "select st13 from search_marks('apple', classes := [42])") == [("US50201500000002A",)]
    assert rows(lake, home, "select st13 from search_marks('apple', offices := ['GB'])") == [("GB50201500000005A",)]
    assert rows(lake, home, "select st13 from search_marks('apple', statuses := ['Registered'])") == [
        ("US50201500000001A",)
    ]
    assert rows(lake, home, "select st13 from search_marks('apple', vienna := ['05.07.13'])") == [
        ("US50201500000002A",)
    ]
    assert rows(lake, home, "select count(*) from search_marks('apple', filed_from := DATE '2016-01-01')") == [(0,)]


def test_fuzzy_search(lake, home, tmp_path):
    publish(lake, stage(tmp_path, "d1", MARKS))
    hits = rows(lake, home, "select mark_text, edit_distance from similar_marks('apple', min_similarity := 0.9)")
    assert ("APPEL", 2) in hits and ("APPLES", 1) in hits
    assert ("ORANGE", 5) not in hits
    assert rows(
        lake,
        home,
        "select mark_text from similar_marks('apple', min_similarity := 0.9, classes := [9], offices := ['US'])",
    ) == [("APPEL",)]


def test_cli_search(lake, home, tmp_path):
    publish(lake, stage(tmp_path, "d1", MARKS))
    rows(lake, home, "select 1")  # builds the catalog
    out = subprocess.run(
        [sys.executable, "-m", "ipetl.cli", "search", "apple", "--class", "42", "--home", str(home), "--format", "csv"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1].startswith("US50201500000002A,US,APPLE COMPUTERS")
    fuzzy = subprocess.run(
        [sys.executable, "-m", "ipetl.cli", "search", "appel", "--fuzzy", "--home", str(home), "--format", "csv"],
        capture_output=True,
        text=True,
    )
    assert fuzzy.stdout.splitlines()[1].startswith("US50201500000003A,US,APPEL")
