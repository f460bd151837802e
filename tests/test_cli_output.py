"""What `ipetl query`, `search` and `export` print and write: DuckDB's whole error message, tables
aligned by display width (Korean text from the KIPRIS sample), exports named after what they hold."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import wcwidth

from tests.conftest import MIRROR

TM = "{http://www.wipo.int/standards/XMLSchema/trademarks}"


def ipetl(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ipetl.cli", *args, "--home", str(home)], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """samples/mirror/krtm (KIPRIS: <Title>돈퍼</Title>) and samples/mirror/khtm (ZomaJet) published."""
    path = tmp_path_factory.mktemp("home")
    proc = ipetl("run", "--source", str(MIRROR), "--collection", "krtm", "--collection", "khtm", home=path)
    assert proc.returncode == 0, proc.stderr
    return path


def test_a_sql_error_keeps_duckdbs_hints_without_a_traceback(home):
    proc = ipetl("query", "select st13 from trademark", home=home)
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert lines[:3] == [
        "ipetl: Catalog Error: Table with name trademark does not exist!",
        '  Did you mean "trademarks"?',
        "  LINE 1: select st13 from trademark",
    ]
    assert lines[3].strip() == "^" and lines[3].index("^") == lines[2].index("trademark")  # under the fault
    binder = ipetl("query", "select mark_txt from trademarks", home=home)
    assert binder.returncode == 1 and "Traceback" not in binder.stderr
    lines = binder.stderr.splitlines()
    assert lines[0] == 'ipetl: Binder Error: Referenced column "mark_txt" not found in FROM clause!'
    assert lines[1].startswith('  Candidate bindings: "mark_text"')
    assert lines[2] == "  LINE 1: select mark_txt from trademarks"
    assert lines[3].strip() == "^" and lines[3].index("^") == lines[2].index("mark_txt") and len(lines) == 4


def test_the_table_aligns_korean_text_by_display_width(home):
    proc = ipetl(
        "query",
        "select st13, mark_text, goods_services[1].text as goods, office from trademarks order by st13",
        home=home,
    )
    assert proc.returncode == 0, proc.stderr
    header, rule, kh, kr = proc.stdout.splitlines()
    # every line as wide on screen as the others
    assert len({wcwidth.width(line) for line in (header, rule, kh, kr)}) == 1

    def column_of(line: str, text: str) -> int:  # display column where `text` starts
        return wcwidth.width(line[: line.index(text)])

    # samples/mirror/krtm: <Title>돈퍼</Title> (two characters, four columns), then its goods in
    # Korean, cut at 60 columns; the office code sits under the header `office`
    assert kr.startswith("KR502019400000011  돈퍼")
    assert column_of(kr, "KR ") == column_of(header, "office") == column_of(kh, "KH ")
    assert column_of(kr, "돈퍼") == column_of(header, "mark_text") == column_of(kh, "ZomaJet")
    goods = kr[kr.index("중국식") :].split("…")[0]
    # <DesignationGoodsHangeulName>중국식퓨전음식전문점체인업</...>, the first of the goods
    assert goods.startswith("중국식퓨전음식전문점체인업; 중국음식점업")
    assert wcwidth.width(goods) + 1 == 60
