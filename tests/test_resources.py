"""A resource running out is the run's failure, never the delivery's: a full disk at several
points of a run gives one line and exit code 3, leaves the deliveries pending and the last
snapshot readable, and once space is freed the next run publishes everything."""

from __future__ import annotations

import contextlib
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ipetl.pipeline import lake_settings
from tests.conftest import query_lake

IS_ROOT = os.geteuid() == 0


@contextlib.contextmanager
def small_disk(path: Path, megabytes: float):
    """A file system of `megabytes` at `path`: a tmpfs when root (as in CI), else a per-process
    file-size limit (RLIMIT_FSIZE) applied by `limits` to the runs started from it."""
    path.mkdir(parents=True, exist_ok=True)
    if IS_ROOT:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={int(megabytes * 1024)}k", "tmpfs", str(path)], check=True)
        try:
            yield path
        finally:
            subprocess.run(["umount", "-l", str(path)], check=False)
    else:
        yield path


def grow(path: Path) -> None:
    """Free space: remount the tmpfs bigger (or lift nothing, for the file-size limit)."""
    if IS_ROOT:
        subprocess.run(["mount", "-o", "remount,size=512m", str(path)], check=True)


def limits(megabytes: float):
    def apply():
        if not IS_ROOT:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            size = int(megabytes * 1024 * 1024)
            resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return apply


def run(source: Path, home: Path, limit: float | None = None):
    env = {**os.environ, "IPETL_CATALOG": "", "IPETL_DATA": ""}
    return subprocess.run(
        [sys.executable, "-m", "ipetl.cli", "--quiet", "run", "--source", str(source), "--home", str(home)],
        capture_output=True,
        text=True,
        env=env,
        preexec_fn=limits(limit) if limit else None,
    )


@pytest.mark.parametrize("megabytes", [0.3, 2, 6, 9])
def test_a_full_disk_fails_the_run_and_loses_no_delivery(megabytes, mirror, tmp_path):
    source = tmp_path / "mirror"
    for cid in ("khtm", "latm"):
        shutil.copytree(mirror / cid, source / cid)
    with small_disk(tmp_path / "disk", megabytes) as disk:
        home = disk / "home"
        first = run(source, home, megabytes)
        if first.returncode == 0:  # enough room at this size: then everything is there
            assert "Traceback" not in first.stderr
        else:
            assert first.returncode == 3, first.stderr
            lines = first.stderr.strip().splitlines()
            assert len(lines) == 1 and "Traceback" not in first.stderr, first.stderr
            assert lines[0].startswith("ipetl: run stopped: ")
            assert re.search("no space left on device|disk is full|file too large", lines[0], re.I), lines[0]
            assert "ipetl: rejected" not in first.stderr
        grow(disk)
        again = run(source, home)
        assert again.returncode == 0, again.stderr
        lake = lake_settings(home, environ={})
        # samples/mirror/khtm/khtm.xml and latm/test.xml: one mark each
        assert query_lake(lake, home, "select office, count(*) from trademarks group by 1 order by 1") == [
            ("KH", 1),
            ("LA", 1),
        ]
        assert query_lake(lake, home, "select collection, name from deliveries order by 1") == [
            ("khtm", "khtm.xml"),
            ("latm", "test.xml"),
        ]
        assert query_lake(lake, home, "select count(*) from quarantine") == [(0,)]
