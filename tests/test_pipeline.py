"""`ipetl run` end to end on the bundled sample mirror, then the catalog."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pyarrow.parquet as pq

from ipetl import pipeline
from tests.conftest import query_lake
from warehouse import lake as lakes

SIX = ["AL", "ID", "KH", "LA", "MY", "SM"]
IPAS = ["altm", "idtm", "khtm", "latm", "mytm", "smtm"]


def query(home, sql):
    return query_lake(pipeline.lake_settings(home, environ={}), home, sql)


def cli(*args, home):
    return subprocess.run(
        [sys.executable, "-m", "ipetl.cli", *args, "--home", str(home)], capture_output=True, text=True
    )


def test_run_publishes_the_six_offices_and_a_rerun_changes_nothing(mirror, home, lake):
    result = pipeline.run(IPAS, source=mirror, home=home, lake=lake)
    assert result.snapshot_id is not None
    assert sorted(b.collection for b in result.batches) == IPAS
    assert all((b.files, b.passed, b.quarantined, b.status) == (1, 1, 0, "staged") for b in result.batches)

    assert query(home, "select office, records from coverage order by office") == [(o, 1) for o in SIX]
    assert query(home, "select count(*), count(distinct st13) from trademarks") == [(6, 6)]
    [(earliest, latest)] = query(
        home, "select earliest_application_date, latest_application_date from coverage where collection = 'smtm'"
    )
    assert str(earliest) == str(latest) == "2010-12-29"

    # DuckLake data files: partitioned by office, one per office here
    files = sorted((home / "lake" / "main" / "trademarks").rglob("*.parquet"))
    assert sorted(p.parent.name for p in files) == [f"office={o}" for o in SIX]
    assert pq.read_table(files[0]).column("st13").to_pylist() == ["AL50199600T001287"]

    # the Cambodian record's four wo:MarkEvents (samples/mirror/khtm/khtm.xml) are rows of `events`,
    # in the lake and in a change export from the empty lake
    kh_events = "select position, date, code, category from events where st13 = 'KH50201500673426M' order by position"
    assert [(p, str(d), c, k) for p, d, c, k in query(home, kh_events)] == [
        (1, "2015-08-06", "Filed", "Filed"),
        (2, "2016-06-10", "123", "Registered"),
        (3, "2016-07-29", "Published", "Published"),
        (4, "2016-10-27", "123", "Registered"),
    ]
    from warehouse.export import export_changes

    exported = export_changes(lake, 0, home / "exports")
    events = pq.read_table(f"{exported['directory']}/events.parquet").to_pylist()
    assert [(e["position"], e["code"]) for e in events if e["st13"] == "KH50201500673426M"] == [
        (1, "Filed"),
        (2, "123"),
        (3, "Published"),
        (4, "123"),
    ]

    again = pipeline.run(IPAS, source=mirror, home=home, lake=lake)
    assert again.snapshot_id is None  # every delivery already published
    assert all(b.skipped == 1 and b.files == 0 for b in again.batches)
    assert query(home, "select count(*) from trademarks") == [(6,)]

    forced = pipeline.run(
        IPAS, source=mirror, home=home, force=True, lake=lake
    )  # reprocessed: identical rows, no change
    assert forced.snapshot_id is None
    con = lakes.connect(lake, read_only=True)
    try:
        assert lakes.current_snapshot(con) == result.snapshot_id
    finally:
        con.close()
    assert query(home, "select count(*), count(distinct st13) from trademarks") == [(6, 6)]


def test_a_bad_file_is_quarantined_and_the_rest_published(mirror, home, tmp_path):
    source = tmp_path / "mirror"
    shutil.copytree(mirror, source)
    (source / "khtm" / "zz-truncated.xml").write_bytes((mirror / "khtm" / "khtm.xml").read_bytes()[:2500])
    result = pipeline.run(["khtm", "latm"], source=source, home=home)
    kh = next(b for b in result.batches if b.collection == "khtm")
    assert len(kh.rejected) == 1 and kh.rejected[0][0].endswith("zz-truncated.xml")
    assert kh.rejected[0][1].startswith("not well-formed XML")
    assert (home / "quarantine" / "khtm" / "zz-truncated.xml").exists()  # the file itself is kept aside
    assert query(home, "select office from coverage order by 1") == [("KH",), ("LA",)]
    assert query(home, "select collection, source_file, rule_id from quarantine") == [
        ("khtm", "zz-truncated.xml", "delivery.readable")
    ]


def test_cli_run_and_query(mirror, home):
    proc = cli("run", "--source", str(mirror), "--collection", "khtm", "--collection", "smtm", home=home)
    assert proc.returncode == 0, proc.stderr
    assert "khtm" in proc.stdout and f"catalog {home / 'lake.sqlite'}, data {home / 'lake'}" in proc.stdout
    table = cli("query", "select office, records from coverage order by office", home=home)
    assert table.stdout.split("\n")[2].split() == ["KH", "1"]
    as_json = json.loads(
        cli(
            "query", "select st13, application_date from trademarks order by st13", "--format", "json", home=home
        ).stdout
    )
    assert as_json == [
        {"st13": "KH50201500673426M", "application_date": "2015-08-06"},
        {"st13": "SM502010000000119", "application_date": "2010-12-29"},
    ]
    as_csv = cli("query", "select st13 from trademarks order by 1", "--format", "csv", home=home).stdout.splitlines()
    assert as_csv == ["st13", "KH50201500673426M", "SM502010000000119"]
    bad = cli("query", "select nope from trademarks", home=home)
    assert bad.returncode == 1 and bad.stderr.startswith("ipetl: ") and "Traceback" not in bad.stderr


def test_home_defaults_to_ipetl_home_then_var(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("IPETL_HOME", raising=False)
    assert pipeline.home_dir() == tmp_path / "var"
    monkeypatch.setenv("IPETL_HOME", str(tmp_path / "h"))
    assert pipeline.home_dir() == tmp_path / "h"
    assert pipeline.home_dir(tmp_path / "x") == tmp_path / "x"


def test_unmapped_event_codes_are_listed_with_their_counts(mirror, home):
    """samples/mirror/iltm: opposition.xml (OFFICENUMBER 80142) has two events of NatureOfEvent
    "Cancellation of opposition procedure" (he סגירת הליך מסוג התנגדות), a nature the iltm table does
    not map: both are published, category null, and `ipetl unmapped-events` counts them."""
    assert cli("run", "--source", str(mirror), "--collection", "iltm", home=home).returncode == 0
    assert query(
        home,
        "select st13, date::VARCHAR, text, category from events"
        " where code = 'Cancellation of opposition procedure' order by date",
    ) == [
        ("IL501991000080142", "2002-11-12", "סגירת הליך מסוג התנגדות", None),
        ("IL501991000080142", "2009-06-04", "סגירת הליך מסוג התנגדות", None),
    ]
    listed = json.loads(cli("unmapped-events", "--format", "json", home=home).stdout)
    assert {
        "collection": "iltm",
        "code": "Cancellation of opposition procedure",
        "text": "סגירת הליך מסוג התנגדות",
        "events": 2,
        "records": 1,
    } in listed
