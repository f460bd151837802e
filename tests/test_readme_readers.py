"""The README's "Reading the data without ipetl" recipes, run as written on a demo-like home: each
one gives one row per st13 with the newest values."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from ipetl.pipeline import lake_settings
from tests.warehouse.test_lake import NEWEST, two_deliveries

ROOT = Path(__file__).resolve().parent.parent


def recipes() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Reading the data without ipetl", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(sh|python)\n(.*?)```", section, re.S)


def test_every_reader_recipe_gives_the_newest_row_per_key(tmp_path):
    work = tmp_path / "work"
    home = work / "var"
    home.mkdir(parents=True)
    (work / ".venv").symlink_to(ROOT / ".venv")
    two_deliveries(lake_settings(home, environ={}), tmp_path)
    # a user's machine, offline: DuckDB's extension folder filled from the pinned wheels
    env = {
        **os.environ,
        "HOME": str(tmp_path / "user"),
        "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
        "IPETL_CATALOG": "",
        "IPETL_DATA": "",
    }
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "ipetl"), "duckdb-extensions"], env=env, check=True, capture_output=True
    )

    found = recipes()
    assert [kind for kind, _ in found] == ["sh", "python", "sh", "python"]
    outputs = []
    for kind, code in found:
        argv = ["bash", "-euo", "pipefail", "-c", code] if kind == "sh" else [sys.executable, "-c", code]
        proc = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, f"{code}\n{proc.stderr}"
        outputs.append(proc.stdout)
    cli, python, _export, pandas = outputs
    assert cli.splitlines() == ["st13,mark_text,status"] + [",".join(row) for row in NEWEST]
    assert python.strip() == repr(NEWEST)
    assert pandas.strip() == repr([list(row) for row in NEWEST])
