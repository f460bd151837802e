"""The README's commands, as written: every fenced ```sh block is run here on a home made by
`ipetl run --source samples/mirror` (what `make demo` does), or is marked just above it with
`<!-- readme-test: run by tests/<file>.py -->` (that test runs it) or
`<!-- readme-test: not run: <why> -->` (listed in NOT_RUN). The settings table lists every
`IPETL_*` variable the code reads."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import MIRROR, ROOT

README = ROOT / "README.md"
BLOCK = re.compile(r"(?:<!-- readme-test: (?P<mark>[^\n]*?) -->\n)?```sh\n(?P<code>.*?)```", re.S)
CODE_PATHS = ["bench", "connectors", "dags", "expectations", "ipetl", "scripts", "transforms", "warehouse"]
SETTING = re.compile(r"\bIPETL_[A-Z0-9_]*[A-Z0-9]\b")

# The first line of every block that no test runs.
NOT_RUN = [
    "make demo   # creates .venv, installs from uv.lock, runs the pipeline on the bundled sample mirror",
    "python -c 'import json, sys; from dags._settings import fetch_pools; json.dump(fetch_pools(), sys.stdout)' "
    ">pools.json",
    "make cluster                   # AIRFLOW_PORT=8080, everything under ./cluster-home",
]


def sh_blocks(mark: str | None = None) -> list[str]:
    """The README's ```sh blocks carrying this mark (None: no mark)."""
    return [m["code"] for m in BLOCK.finditer(README.read_text()) if m["mark"] == mark]


def rows(out: str) -> list[list[str]]:
    """The cells of `ipetl query`'s table output, split on runs of two spaces or more."""
    return [re.split(r"\s{2,}", line.strip()) for line in out.splitlines()[2:] if line.strip()]


# What each command's output must show, from the bundled samples (samples/mirror/...).
EXPECTED: dict[str, Callable[[str, Path], bool]] = {
    # khtm/khtm.xml holds one record, iltm/ four files of one record each
    '.venv/bin/ipetl query "select office, records from coverage"': lambda out, _: (
        ["KH", "1"] in rows(out) and ["IL", "4"] in rows(out)
    ),
    # khtm/khtm.xml: ZomaJet, <wo:MarkCurrentStatusCode>Registered, <ClassNumber>10
    ".venv/bin/ipetl query \"select st13, mark_text, status, nice_classes from trademarks where office = 'KH'\"": (
        lambda out, _: rows(out) == [["KH50201500673426M", "ZomaJet", "Registered", "[10]"]]
    ),
    # usid/USD435854S1.xml: <B511><PDAT>1402</PDAT></B511>, the only design
    '.venv/bin/ipetl query "select locarno_classes, count(*) from designs group by all"': lambda out, _: (
        rows(out) == [["['14-02']", "1"]]
    ),
    # smtm/test.xml: SAN MARINO CHANNEL ONE, classes 9, 25, 35, 38, 41
    '.venv/bin/ipetl search "channel" --class 38': lambda out, _: (
        [r[:3] for r in rows(out)] == [["SM502010000000119", "SM", "SAN MARINO CHANNEL ONE"]]
    ),
    '.venv/bin/ipetl search "zomajed" --fuzzy': lambda out, _: (
        [r[:3] for r in rows(out)] == [["KH50201500673426M", "KH", "ZomaJet"]]
    ),
    # the sample mirror delivers no picture files: a search by picture finds nothing there
    ".venv/bin/python -c \"from PIL import Image, ImageDraw; im = Image.new('RGB', (120, 80), 'white'); "
    "ImageDraw.Draw(im).ellipse((10, 10, 90, 70), fill='navy'); im.save('logo.png')\"": lambda out, work: (
        out == "" and (work / "logo.png").is_file()
    ),
    ".venv/bin/ipetl search --image logo.png --class 9 --vienna 26.04.01 --home var": lambda out, _: (
        out.split()[:8] == ["st13", "design_number", "view", "office", "status", "title", "distance", "thumbnail"]
        and rows(out) == []
    ),
    ".venv/bin/ipetl search --image logo.png --locarno 14-02 --home var": lambda out, _: (
        out.startswith("st13") and rows(out) == []
    ),
    ".venv/bin/ipetl report                     # builds the Data Docs, prints index.html's path": (
        lambda out, work: Path(out.strip()).name == "index.html" and (work / out.strip()).is_file()
    ),
    ". .venv/bin/activate": lambda out, _: out == "",
    'eval "$(_IPETL_COMPLETE=bash_source ipetl)"': lambda out, _: out == "",
    "complete -p ipetl": lambda out, _: out.strip() == "complete -o nosort -F _ipetl_completion ipetl",
}
# After the completion block, in the same shell: what Tab after `ipetl que` and `ipetl export --format ` offers.
COMPLETION_PROBE = """
COMP_WORDS=(ipetl que); COMP_CWORD=1; COMPREPLY=(); _ipetl_completion ipetl; echo "${COMPREPLY[*]}"
COMP_WORDS=(ipetl export --format ""); COMP_CWORD=3; COMPREPLY=(); _ipetl_completion ipetl; echo "${COMPREPLY[*]}"
"""


def commands(code: str) -> list[str]:
    """A block's commands: its lines, less comments and blank lines, a line continued by `\\` joined."""
    found: list[str] = []
    continued = False
    for line in code.splitlines():
        if continued:
            found[-1] += "\n" + line
        elif line.strip() and not line.startswith("#"):
            found.append(line)
        continued = line.endswith("\\")
    return found


def run_block(code: str, work: Path, env: dict[str, str], after: str = "") -> dict[str, str]:
    """Each command's standard output, the block run as one bash script (set -euo pipefail)."""
    listed = commands(code)
    script = "".join(f"printf '\\n@@@ {i}\\n'\n{command}\n" for i, command in enumerate(listed))
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script + (f"printf '\\n@@@ after\\n'\n{after}" if after else "")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"{code}\nexit {proc.returncode}\n{proc.stderr}"
    parts = re.split(r"\n@@@ (\d+|after)\n", "\n" + proc.stdout)[1:]
    outputs = dict(zip(parts[::2], parts[1::2], strict=True))
    return {**{command: outputs[str(i)] for i, command in enumerate(listed)}, "after": outputs.get("after", "")}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A folder laid out like the repository after `make demo`: `.venv/`, and the home `var/`
    made by `ipetl run --source samples/mirror`; the environment of a user who set nothing."""
    work = tmp_path_factory.mktemp("work")
    (work / ".venv").symlink_to(ROOT / ".venv")
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPETL_") and k != "VIRTUAL_ENV"}
    env["HOME"] = str(tmp_path_factory.mktemp("user"))
    proc = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "ipetl"), "run", "--source", str(MIRROR), "--home", "var"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return work, env


def test_every_readme_block_is_run_or_marked():
    text = README.read_text()
    assert text.count("```sh") == len(BLOCK.findall(text))  # no block missed by the pattern
    marks = [m["mark"] for m in BLOCK.finditer(text)]
    assert all(mark is None or mark.startswith(("run by tests/", "not run: ")) for mark in marks), marks
    for mark in marks:
        if mark and mark.startswith("run by "):
            runner = ROOT / mark.removeprefix("run by ")
            assert runner.is_file() and "README" in runner.read_text(), mark
    assert [
        m["code"].splitlines()[0] for m in BLOCK.finditer(text) if (m["mark"] or "").startswith("not run: ")
    ] == NOT_RUN


def test_readme_commands_run_as_written_on_the_demo_home(demo):
    work, env = demo
    ran = []
    for code in sh_blocks():
        completion = "_IPETL_COMPLETE=bash_source" in code
        outputs = run_block(code, work, env, after=COMPLETION_PROBE if completion else "")
        after = outputs.pop("after")
        for command, out in outputs.items():
            assert command in EXPECTED, f"a README command without an expected output here: {command}"
            assert EXPECTED[command](out, work), f"{command}\n{out}"
            ran.append(command)
        if completion:
            assert after.splitlines() == ["query", "parquet st66 st86"]
    assert sorted(ran) == sorted(EXPECTED)  # every expectation met a command


def test_the_settings_table_lists_every_setting_the_code_reads():
    read = set()
    for top in CODE_PATHS:
        for path in (ROOT / top).rglob("*"):
            if path.suffix in (".py", ".sh") and path.is_file():
                read |= set(SETTING.findall(path.read_text()))
    for name in ("Makefile", "Dockerfile"):
        read |= set(SETTING.findall((ROOT / name).read_text()))
    section = README.read_text().split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    table = re.findall(r"^\| `(IPETL_[A-Z0-9_]+)` \|", section, re.M)
    assert len(table) == len(set(table))
    assert read - set(table) == set(), "read by the code, missing from the README's settings table"
    assert set(table) - read == set(), "in the README's settings table, read by no code"
