"""What `ipetl query`, `search` and `export` print and write: DuckDB's whole error message, tables
aligned by display width (Korean text from the KIPRIS sample), exports named after what they hold."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import wcwidth
from lxml import etree

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


def test_a_filtered_export_does_not_overwrite_the_full_one(home, tmp_path):
    out = tmp_path / "exports"
    full = ipetl("export", "--format", "st66", "-o", str(out), home=home)
    kr = ipetl("export", "--format", "st66", "--where", "office = 'KR'", "-o", str(out), home=home)
    assert full.returncode == 0 and kr.returncode == 0, full.stderr + kr.stderr
    full_path, kr_path = Path(full.stdout.strip()), Path(kr.stdout.strip())
    digest = hashlib.sha256(b"office = 'KR'").hexdigest()[:8]
    assert kr_path.name == full_path.name.replace(".xml", f"-where-{digest}.xml")

    def numbers(path: Path) -> list[str | None]:
        return [m.findtext(f"{TM}ApplicationNumber") for m in etree.parse(str(path)).iter(f"{TM}TradeMark")]

    # samples/mirror/khtm: KH/673426/M; samples/mirror/krtm: <ApplicationNumber>4020190000011
    assert numbers(full_path) == ["KH/673426/M", "4020190000011"]
    assert numbers(kr_path) == ["4020190000011"]
    manifest = json.loads(kr_path.with_name(kr_path.name.replace(".xml", ".manifest.json")).read_text())
    assert (manifest["format"], manifest["where"]) == ("st66", "office = 'KR'")
    assert manifest["files"] == [
        {"name": kr_path.name, "rows": 1, "sha256": hashlib.sha256(kr_path.read_bytes()).hexdigest()}
    ]

    # the same export again writes over itself
    assert ipetl("export", "--format", "st66", "-o", str(out), home=home).returncode == 0
    # a file of that name holding something else (here: a filtered export an earlier version
    # wrote under the full export's name) is refused, and left as it is
    full_manifest = full_path.with_name(full_path.name.replace(".xml", ".manifest.json"))
    full_manifest.write_text(json.dumps({**json.loads(full_manifest.read_text()), "where": "office = 'KH'"}))
    before = full_path.read_bytes()
    refused = ipetl("export", "--format", "st66", "-o", str(out), home=home)
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"ipetl: {full_path} exists and holds another export")
    assert "where \"office = 'KH'\"" in refused.stderr
    assert full_path.read_bytes() == before

    # Parquet: a full export's folder that holds no manifest is not written into
    parquet = ipetl("export", "--full", "-o", str(out), home=home)
    assert parquet.returncode == 0, parquet.stderr
    folder = Path(parquet.stdout.splitlines()[-1].split(": ", 1)[1])
    assert json.loads((folder / "manifest.json").read_text())["where"] is None
    (folder / "manifest.json").unlink()
    again = ipetl("export", "--full", "-o", str(out), home=home)
    assert again.returncode == 2 and "no manifest" in again.stderr
