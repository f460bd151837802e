"""A publish killed (SIGKILL) at several points leaves the previous snapshot readable, and the
next run completes the work."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pytest

from ipetl import pipeline
from warehouse import snapshots
from warehouse.catalog import open_catalog


def run_cli(home, source, failpoint=None):
    env = dict(os.environ)
    env.pop("IPETL_FAILPOINT", None)
    if failpoint:
        env["IPETL_FAILPOINT"] = failpoint
    return subprocess.run([sys.executable, "-m", "ipetl.cli", "run", "--source", str(source), "--home", str(home)],
                          capture_output=True, text=True, env=env)


def offices(home):
    con = open_catalog(home, pipeline.registry_rows())
    try:
        return [r[0] for r in con.execute("select office from trademarks order by 1").fetchall()]
    finally:
        con.close()


@pytest.mark.parametrize("failpoint", ["files-written", "before-manifest", "before-switch", "before-catalog"])
def test_killed_publish_keeps_the_previous_snapshot_and_recovers(failpoint, mirror, home, tmp_path):
    source = tmp_path / "mirror"
    (source / "khtm").mkdir(parents=True)
    shutil.copy(mirror / "khtm" / "khtm.xml", source / "khtm")
    assert run_cli(home, source).returncode == 0
    assert offices(home) == ["KH"]

    shutil.copytree(mirror / "latm", source / "latm")
    proc = run_cli(home, source, failpoint)
    assert proc.returncode == -signal.SIGKILL
    assert offices(home) == ["KH"]  # the previous snapshot, complete and readable
    assert snapshots.current_id(home) == (2 if failpoint == "before-catalog" else 1)

    assert run_cli(home, source).returncode == 0  # the next run completes the work
    assert offices(home) == ["KH", "LA"]
    assert snapshots.load(home)["tables"]["trademarks"]["rows"] == 2
    snapshots.vacuum(home, keep=1)  # and what the crash left behind is cleaned up
    assert offices(home) == ["KH", "LA"]
    files = {p.relative_to(home / "warehouse").as_posix() for p in (home / "warehouse").rglob("*.parquet")}
    assert files == {f["path"] for t in snapshots.load(home)["tables"].values() for f in t["files"]}
