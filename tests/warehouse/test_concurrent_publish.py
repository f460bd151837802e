"""Several publishers at once: runs on one home, homes sharing one lake (SQLite or PostgreSQL
catalog), and readers during a publish. Every record is published once; a reader sees whole
snapshots."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import multiprocessing
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from ipetl import devservers
from ipetl.pipeline import lake_settings
from tests.conftest import query_lake
from tests.warehouse.test_publish import JAN, record, stage
from warehouse import lake as lakes
from warehouse.publish import publish


def run_at_once(*runs: tuple[list[str], dict]) -> list[subprocess.CompletedProcess]:
    """Start every `ipetl run` before waiting for any."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "ipetl.cli", "run", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "IPETL_CATALOG": "", "IPETL_DATA": "", **env},
        )
        for args, env in runs
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def ok(results):
    for r in results:
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr


def test_two_runs_on_one_home_at_once(mirror, home, lake):
    def args(cid):
        return ["--source", str(mirror), "--collection", cid, "--home", str(home)], {}

    ok(run_at_once(args("khtm"), args("latm")))  # different collections
    assert query_lake(lake, home, "select office from trademarks order by 1") == [("KH",), ("LA",)]
    ok(run_at_once(args("altm"), args("altm")))  # the same collection and delivery
    assert query_lake(lake, home, "select st13 from trademarks where office = 'AL'") == [("AL50199600T001287",)]
    assert query_lake(lake, home, "select collection, name, count(*) from deliveries group by all order by 1") == [
        ("altm", "altm.xml", 1),
        ("khtm", "khtm.xml", 1),
        ("latm", "test.xml", 1),
    ]


def _two_homes_share_one_lake(mirror, tmp_path, env: dict, lake):
    home_a, home_b = tmp_path / "a", tmp_path / "b"

    def args(home, *cids):
        return ["--source", str(mirror), "--home", str(home), *[a for c in cids for a in ("--collection", c)]], env

    # each home publishes its own collections and one both take (smtm): its record lands once
    ok(run_at_once(args(home_a, "khtm", "smtm"), args(home_b, "latm", "smtm", "mytm")))
    rows = query_lake(lake, home_a, "select office, count(*) from trademarks group by 1 order by 1")
    assert rows == [("KH", 1), ("LA", 1), ("MY", 1), ("SM", 1)]
    assert query_lake(lake, home_b, "select count(*) from deliveries where collection = 'smtm'") == [(1,)]


def test_two_homes_publishing_to_one_sqlite_lake_at_once(mirror, tmp_path):
    shared = tmp_path / "shared"
    env = {"IPETL_CATALOG": str(shared / "lake.sqlite"), "IPETL_DATA": str(shared / "lake")}
    lake = lake_settings(shared, environ={})
    _two_homes_share_one_lake(mirror, tmp_path, env, lake)


def test_two_homes_publishing_to_one_postgresql_lake_at_once(mirror, tmp_path, postgres_server):
    devservers.create_database(postgres_server, "shared_lake")
    catalog = f"postgres:{postgres_server.libpq('shared_lake')}"
    env = {"IPETL_CATALOG": catalog, "IPETL_DATA": str(tmp_path / "shared-data")}
    lake = lake_settings(tmp_path, catalog=catalog, data=env["IPETL_DATA"], environ={})
    _two_homes_share_one_lake(mirror, tmp_path, env, lake)


def test_a_reader_during_publishes_sees_whole_snapshots(lake, home, tmp_path):
    marks = 3000
    keys = [f"US5020150{n:07d}A" for n in range(marks)]
    publish(lake, stage(tmp_path, "v0", [record(k, "V0", JAN) for k in keys]))
    versions = 4
    errors: list[BaseException] = []

    def publisher():
        try:
            for v in range(1, versions + 1):
                publish(lake, stage(tmp_path, f"v{v}", [record(k, f"V{v}", JAN + dt.timedelta(days=v)) for k in keys]))
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    thread = threading.Thread(target=publisher)
    thread.start()
    seen: set[str] = set()
    con = lakes.connect(lake, read_only=True)
    try:
        while thread.is_alive() or not seen:
            for count, distinct, text in con.execute(
                "select count(*), count(distinct mark_text), min(mark_text) from lake.trademarks"
            ).fetchall():
                assert (count, distinct) == (marks, 1), f"a mixture: {count} rows, {distinct} versions"
                seen.add(text)
    finally:
        con.close()
        thread.join()
    assert not errors, errors
    assert query_lake(lake, home, "select distinct mark_text from trademarks") == [(f"V{versions}",)]
    assert len(seen) >= 1


def _run_in_worker(source: str, home: str, collection: str) -> tuple[int, int | None]:
    from ipetl import pipeline

    summary = pipeline.run([collection], source=source, home=home, lake=lake_settings(Path(home), environ={}))
    return summary.exit_code, summary.snapshot_id


def test_concurrent_runs_twenty_times_lose_nothing(mirror, tmp_path):
    """Two runs at once on one home, 20 rounds of each case: different collections, then the same
    one. After every round each delivery is in the lake once and each record once."""
    rounds = int(os.environ.get("IPETL_STRESS_ROUNDS", "20"))
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        for n in range(rounds):
            for pair in (("khtm", "latm"), ("smtm", "smtm")):
                home = tmp_path / f"home-{n}-{pair[0]}-{pair[1]}"
                futures = [pool.submit(_run_in_worker, str(mirror), str(home), cid) for cid in pair]
                assert [f.result()[0] for f in futures] == [0, 0]
                lake = lake_settings(home, environ={})
                offices = sorted({c[:2].upper() for c in pair})
                assert query_lake(lake, home, "select office, count(*) from trademarks group by 1 order by 1") == [
                    (o, 1) for o in offices
                ]
                assert query_lake(lake, home, "select count(*), count(distinct collection) from deliveries") == [
                    (len(offices), len(offices))
                ]
                shutil.rmtree(home)
