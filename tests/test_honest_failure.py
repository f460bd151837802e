"""Honest failure: a query cannot escape the lake, leftovers of killed runs are swept (never a
live run's), a delivery that keeps killing its reader is set aside, memory stays bounded on
bombs, and exit codes say what happened."""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from ipetl.pipeline import lake_settings
from tests.conftest import query_lake

ENV = {"IPETL_CATALOG": "", "IPETL_DATA": ""}


def ipetl(*args, env=None, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "ipetl.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **ENV, **(env or {})},
        **kwargs,
    )


def one_line(proc) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def one_error(proc) -> str:
    """An error's first line; DuckDB's hints (the statement, a caret) may follow it, indented."""
    first, *hints = proc.stderr.strip().splitlines()
    assert first.startswith("ipetl: ") and all(h.startswith(" ") for h in hints), proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return first


@pytest.fixture
def published(mirror, home):
    source = home.parent / "source"
    shutil.copytree(mirror / "khtm", source / "khtm")
    assert ipetl("run", "--jobs", "1", "--source", str(source), "--home", str(home)).returncode == 0
    return home


def test_user_sql_cannot_write_attach_or_read_outside_the_lake(published, tmp_path):
    home = published
    [data_file] = (home / "lake" / "main" / "trademarks").rglob("*.parquet")
    escapes = {
        f"COPY (SELECT 1 AS st13) TO '{data_file}' (FORMAT parquet)": "not COPY",
        f"ATTACH '{tmp_path / 'y.duckdb'}' AS y (READ_WRITE)": "not ATTACH",
        "SELECT * FROM read_csv('/etc/passwd')": "Permission Error",
        "SELECT 1; COPY (SELECT 1) TO '/tmp/out.csv'": "not COPY",
        "SET enable_external_access = true": "not SET",
        "INSTALL httpfs": "not LOAD",  # DuckDB types INSTALL as a LOAD statement
    }
    for sql, expected in escapes.items():
        proc = ipetl("query", sql, "--home", str(home))
        assert proc.returncode in (1, 2) and expected in one_error(proc), (sql, proc.stderr)
    assert not (tmp_path / "y.duckdb").exists() and not Path("/tmp/out.csv").exists()
    assert ipetl("query", "select st13 from trademarks", "--home", str(home), "--format", "csv").stdout.split() == [
        "st13",
        "KH50201500673426M",
    ]
    # a published file changed behind the lake's back is found, and nothing is built on it
    assert ipetl("verify", "--home", str(home)).returncode == 0
    data_file.write_bytes(data_file.read_bytes()[:100])
    damaged = ipetl("verify", "--home", str(home))
    assert damaged.returncode == 1 and f"{data_file}: 100 bytes, written with" in damaged.stderr


def test_killed_runs_leave_nothing_a_later_run_does_not_sweep(mirror, home, tmp_path):
    # --jobs 1: the run itself reads the delivery, so the failpoint kills (or stops) the run
    source = tmp_path / "source"
    shutil.copytree(mirror / "khtm", source / "khtm")
    killed = ipetl(
        "run", "--jobs", "1", "--source", str(source), "--home", str(home), env={"IPETL_FAILPOINT": "normalize"}
    )
    assert killed.returncode == -signal.SIGKILL
    spools = list((home / "staging" / ".work").glob("khtm/*"))
    assert len(spools) == 1
    # a live run stopped in the middle keeps its spool while another run sweeps
    live = subprocess.Popen(
        [sys.executable, "-m", "ipetl.cli", "run", "--jobs", "1", "--source", str(source), "--home", str(home)],
        env={**os.environ, **ENV, "IPETL_FAILPOINT": "normalize:stop"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not set((home / "staging" / ".work").glob("khtm/*")) - set(spools) and time.monotonic() < deadline:
            time.sleep(0.2)
        [live_spool] = set((home / "staging" / ".work").glob("khtm/*")) - set(spools)
        assert not spools[0].exists()  # the live run swept the dead one's as it started
        from ipetl.pipeline import sweep

        assert live_spool not in sweep(home) and live_spool.exists()  # and no sweep takes a live run's
    finally:
        live.kill()
        live.wait()
    finished = ipetl("run", "--jobs", "1", "--source", str(source), "--home", str(home))
    assert finished.returncode == 0, finished.stderr
    assert not list((home / "staging" / ".work").glob("khtm/*"))
    assert query_lake(lake_settings(home, environ={}), home, "select st13 from trademarks") == [("KH50201500673426M",)]


def test_a_delivery_that_kills_its_reader_is_set_aside(mirror, home, tmp_path):
    source = tmp_path / "source"
    shutil.copytree(mirror / "khtm", source / "khtm")
    for _ in range(3):  # IPETL_MAX_ATTEMPTS (3) readings that never finish
        assert (
            ipetl(
                "run", "--jobs", "1", "--source", str(source), "--home", str(home), env={"IPETL_FAILPOINT": "normalize"}
            ).returncode
            == -signal.SIGKILL
        )
    shutil.copytree(mirror / "latm", source / "latm")
    fourth = ipetl("run", "--jobs", "1", "--source", str(source), "--home", str(home))
    assert fourth.returncode == 1
    assert "rejected" in fourth.stderr and "never finished in 3 attempts" in fourth.stderr
    lake = lake_settings(home, environ={})
    assert query_lake(lake, home, "select office from trademarks") == [("LA",)]  # the rest got through
    assert query_lake(lake, home, "select collection, rule_id from quarantine") == [("khtm", "delivery.readable")]
    assert (home / "quarantine" / "khtm" / "khtm.xml").exists()


def _bomb_xml(megabytes: int) -> bytes:
    """A ST.66 document with `megabytes` of empty elements outside any record."""
    head = b'<?xml version="1.0"?><Transaction xmlns="http://www.wipo.int/standards/XMLSchema/trademarks"><TradeMarkTransactionBody>'
    return head + b"<a/>" * (megabytes * 1024 * 1024 // 4) + b"</TradeMarkTransactionBody></Transaction>"


@pytest.mark.parametrize("kind", ["gzip", "zip", "plain"])
def test_memory_stays_bounded_on_bombs(kind, tmp_path):
    if kind == "gzip":
        path = tmp_path / "bomb.xml.gz"
        with gzip.open(path, "wb", compresslevel=9) as out:
            chunk = b"<a/>" * (1 << 18)
            out.write(_bomb_xml(0)[: -len(b"</TradeMarkTransactionBody></Transaction>")])
            for _ in range(1024):  # 1 GB of <a/> from about 1 MB
                out.write(chunk)
    elif kind == "zip":
        path = tmp_path / "bomb.zip"
        with (
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
            archive.open("bomb.xml", "w", force_zip64=True) as member,
        ):
            chunk = b"<a/>" * (1 << 18)
            member.write(_bomb_xml(0)[: -len(b"</TradeMarkTransactionBody></Transaction>")])
            for _ in range(1024):
                member.write(chunk)
    else:
        path = tmp_path / "bomb.xml"
        path.write_bytes(_bomb_xml(40))
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import resource, subprocess, sys; "
            f"p = subprocess.run([sys.executable, '-m', 'ipetl.cli', 'normalize', {str(path)!r}, "
            f"'--collection', 'khtm', '-o', {str(tmp_path / 'x.parquet')!r}], capture_output=True, text=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024); print(p.returncode); "
            "sys.stderr.write(p.stderr)",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    peak_mb, code = (int(x) for x in proc.stdout.split())
    assert peak_mb < 300, f"{kind}: {peak_mb} MB"
    assert code == 1 and "Traceback" not in proc.stderr  # rejected (the cap) or nothing read, never a crash
    if kind != "plain":
        assert "decompressed size exceeds" in proc.stderr


def test_exit_codes_say_what_happened(mirror, home, tmp_path):
    assert ipetl("run", "--source", "/nope", "--home", str(home)).returncode == 2
    flat = tmp_path / "flat"
    flat.mkdir()
    shutil.copy(mirror / "khtm" / "khtm.xml", flat)
    refused = ipetl("run", "--source", str(flat), "--home", str(home))
    assert refused.returncode == 2 and "--collection" in one_line(refused)
    bad = tmp_path / "bad" / "khtm"
    bad.mkdir(parents=True)
    (bad / "broken.xml").write_text("<Transaction><oops")
    rejected = ipetl("run", "--source", str(tmp_path / "bad"), "--home", str(home))
    assert rejected.returncode == 1 and "rejected" in rejected.stderr
    wrong = ipetl("normalize", str(mirror / "khtm" / "khtm.xml"), "--collection", "ustm")
    assert wrong.returncode == 1 and "no uspto-tdxf records" in one_line(wrong)
    assert ipetl("query", "select 1", "--home", "s3://bucket/home").returncode == 2
    assert ipetl("run", "--collection", "nope", "--home", str(home)).returncode == 2


def test_a_pool_process_killed_while_reading_fails_the_run_and_counts_the_attempt(mirror, home, tmp_path):
    source = tmp_path / "source"
    shutil.copytree(mirror / "khtm", source / "khtm")
    for _ in range(3):  # --jobs 2: the delivery is read in a pool process, which the failpoint kills
        died = ipetl(
            "run", "--jobs", "2", "--source", str(source), "--home", str(home), env={"IPETL_FAILPOINT": "normalize"}
        )
        assert died.returncode == 3 and "died while normalizing" in one_line(died)
    fourth = ipetl("run", "--jobs", "2", "--source", str(source), "--home", str(home))
    assert fourth.returncode == 1 and "never finished in 3 attempts" in fourth.stderr
