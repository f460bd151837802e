"""The Data Docs of a real `ipetl run` on sample deliveries, as a headless browser shows them: each
validation is named after its collection, its delivery files and its run; a batch published with
a quarantined record reads "passed with warnings"; rule ids and dates read as in the suites and the
samples. Then `ipetl vacuum` keeps the newest run's results per collection."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from expectations.datadocs import VALIDATIONS, data_docs_index
from ipetl import pipeline
from tests.browser import render
from tests.conftest import MIRROR

# samples/mirror/khtm/khtm.xml, application KH/673426/M with Nice class 10, and a copy of it for
# application KH/673427/M with Nice class 99 (outside 1..45: TM-NICE-RANGE quarantines it)
DEFECT = "khtm-nice99.xml"
COLLECTIONS = ["iltm", "khtm", "usid"]


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    source = tmp_path_factory.mktemp("mirror")
    for collection in COLLECTIONS:
        shutil.copytree(MIRROR / collection, source / collection)
    kh = (MIRROR / "khtm" / "khtm.xml").read_text(encoding="utf-8")
    assert kh.count("<ClassNumber>10</ClassNumber>") == 1
    defect = kh.replace("673426", "673427").replace("<ClassNumber>10</ClassNumber>", "<ClassNumber>99</ClassNumber>")
    (source / "khtm" / DEFECT).write_text(defect, encoding="utf-8")
    home = tmp_path_factory.mktemp("home")
    result = pipeline.run(COLLECTIONS, source=source, home=home, lake=pipeline.lake_settings(home, environ={}))
    assert result.data_docs is not None and result.failure is None
    return home, source, result


@pytest.fixture(scope="module")
def shown(ran, tmp_path_factory):
    """The index and the khtm validation page, as the browser shows them."""
    home, _, result = ran
    index = result.data_docs
    [khtm_page] = [p for p in (index.parent / "validations").rglob("*.html") if p.name.startswith("khtm ")]
    shots = tmp_path_factory.mktemp("screenshots")
    index_view, page_view = render([index, khtm_page], shots / "seen.json", shots)
    assert all((shots / f"{i}.png").stat().st_size > 10_000 for i in range(2))  # something was painted
    return index_view, page_view


def run_of(summary) -> str:
    """The run's id: it staged its batches as <home>/staging/<collection>/<run_id>/."""
    [run] = {Path(b.batch_dir or "").name for b in summary.batches}
    return run


def index_rows(index_view) -> dict[str, dict[str, str]]:
    """The index's validation results table: asset name -> column title -> cell text."""
    [table] = [t for t in index_view["tables"] if t and t[0][0].startswith("Status")]
    header = [cell.split("\n")[0] for cell in table[0]]  # below a title: its filter's choices
    rows = table[1:]
    return {row[header.index("Asset Name")]: dict(zip(header, row, strict=True)) for row in rows}


def test_index_names_collection_deliveries_and_run(ran, shown):
    _, source, result = ran
    rows = index_rows(shown[0])
    assert sorted(rows) == COLLECTIONS  # one data asset per collection, named after it
    # the delivery files of samples/mirror/<collection>/ (four of iltm: the first and last named)
    assert rows["khtm"]["Batch ID"] == f"khtm {DEFECT}, khtm.xml"
    assert rows["iltm"]["Batch ID"] == "iltm eventdata.xml … opposition.xml (4 deliveries)"
    assert sorted(p.name for p in (source / "iltm").iterdir())[::3] == ["eventdata.xml", "opposition.xml"]
    assert rows["usid"]["Batch ID"] == "usid USD435854S1.xml"
    for row in rows.values():
        assert row["Run Name"] == f"{row['Batch ID']} {run_of(result)}"
    assert rows["khtm"]["Status"] == "passed with warnings"
    assert rows["iltm"]["Status"] == rows["usid"]["Status"] == "passed"
    assert (rows["khtm"]["Expectation Suite"], rows["usid"]["Expectation Suite"]) == ("trademarks", "designs")


def test_validation_page_reads_like_the_quarantine(shown):
    text = shown[1]["text"]
    assert "Data asset: khtm" in text
    assert re.search(r"Status:\s*passed with warnings \(1 of 2 records quarantined\)", text)
    assert not re.search(r"Failed|Succeeded", text.replace("Failed Only", ""))  # "Failed Only": a filter
    # rule ids with their descriptions, as in expectations/suites/trademarks.json
    assert "TM-NICE-RANGE: every Nice class is within 1..45" in text
    nice = next(t for t in shown[1]["tables"] if any("TM-NICE-RANGE" in c for r in t for c in r))
    assert ["99", "1"] in nice  # the unexpected class of the defect delivery, once
    # the not-in-the-future limit is the gate's day, as a date
    [limit] = set(re.findall(r"TM-APPDATE-NOT-FUTURE: application_date is not in the future \(up to (\S+)\)", text))
    assert re.fullmatch(r"20\d\d-\d\d-\d\d", limit)
    assert not re.search(r"\b\d{5}\.0\b", text)  # no days since 1970
    # the frame's helper columns appear under their rule's name only
    assert not re.search(r"(?<![\w-])_[a-z]+(_[a-z]+)+", text), re.findall(r"(?<![\w-])_[a-z]+(?:_[a-z]+)+", text)
    assert "TM-COUNTRY-ST3" in text and "TM-REGDATE-AFTER-FILING" in text


def run_names(store: Path) -> list[str]:
    return sorted(p.parent.parent.name for p in store.glob("*/*/*/*.json"))  # <suite>/<run name>/<run time>/<batch>


def test_vacuum_keeps_each_collections_newest_run(ran):
    home, source, first = ran
    second = pipeline.run(
        COLLECTIONS, source=source, home=home, force=True, lake=pipeline.lake_settings(home, environ={})
    )
    store = home / "gx" / VALIDATIONS
    assert len(run_names(store)) == 2 * len(COLLECTIONS)
    proc = subprocess.run(
        [sys.executable, "-m", "ipetl.cli", "vacuum", "--keep", "1", "--home", str(home)],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("IPETL_")},  # the home's own lake
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"{len(COLLECTIONS)} validation result(s)" in proc.stdout
    second_run = run_of(second)
    assert [name.rsplit(" ", 1)[1] for name in run_names(store)] == [second_run] * len(COLLECTIONS)
    first_run = run_of(first)
    index = data_docs_index(home / "gx")
    assert index is not None
    site_pages = [p.name for p in (index.parent / "validations").rglob("*.html")]
    assert len(site_pages) == len(COLLECTIONS)
    assert first_run not in index.read_text(encoding="utf-8") and second_run in index.read_text(encoding="utf-8")
