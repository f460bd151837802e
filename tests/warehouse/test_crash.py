"""A publish killed (SIGKILL) at several points leaves the previous snapshot readable, and the
next run completes the work."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import query_lake
from warehouse import lake as lakes


def run_cli(home, source, failpoint=None):
    env = dict(os.environ)
    env.pop("IPETL_FAILPOINT", None)
    if failpoint:
        env["IPETL_FAILPOINT"] = failpoint
    return subprocess.run(
        [sys.executable, "-m", "ipetl.cli", "run", "--source", str(source), "--home", str(home)],
        capture_output=True,
        text=True,
        env=env,
    )


def offices(lake, home):
    return [r[0] for r in query_lake(lake, home, "select office from trademarks order by 1")]


def snapshot_id(lake):
    con = lakes.connect(lake, read_only=True)
    try:
        return lakes.current_snapshot(con)
    finally:
        con.close()


@pytest.mark.parametrize("failpoint", ["before-commit", "before-catalog"])
def test_killed_publish_keeps_the_previous_snapshot_and_recovers(failpoint, mirror, home, lake, tmp_path):
    source = tmp_path / "mirror"
    (source / "khtm").mkdir(parents=True)
    shutil.copy(mirror / "khtm" / "khtm.xml", source / "khtm")
    assert run_cli(home, source).returncode == 0
    assert offices(lake, home) == ["KH"]
    first = snapshot_id(lake)

    shutil.copytree(mirror / "latm", source / "latm")
    proc = run_cli(home, source, failpoint)
    assert proc.returncode == -signal.SIGKILL
    # before the commit: the previous snapshot, complete and readable; after it: the new one
    assert snapshot_id(lake) == (first if failpoint == "before-commit" else first + 1)
    assert offices(lake, home) == (["KH"] if failpoint == "before-commit" else ["KH", "LA"])

    assert run_cli(home, source).returncode == 0  # the next run completes the work
    assert offices(lake, home) == ["KH", "LA"]
    assert query_lake(lake, home, "select count(*) from trademarks") == [(2,)]
    assert query_lake(lake, home, "select collection, name from deliveries order by 1") == [
        ("khtm", "khtm.xml"),
        ("latm", "test.xml"),
    ]
    lakes.vacuum(lake, keep=1)  # and what the crash left behind (files of no snapshot) is cleaned up
    assert offices(lake, home) == ["KH", "LA"]
    on_disk = {p.relative_to(home / "lake").as_posix() for p in (home / "lake").rglob("*.parquet")}
    con = lakes.connect(lake, read_only=True)
    try:
        listed = {
            r[0]
            for t in lakes.ALL_TABLES
            for r in con.execute(f"select data_file from ducklake_list_files('lake', '{t}')").fetchall()
        }
    finally:
        con.close()
    assert on_disk == {str(Path(f).relative_to(home / "lake")) for f in listed}
