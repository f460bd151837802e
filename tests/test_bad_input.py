"""Hostile and broken deliveries: one clear line naming the file and reason, nothing else lost."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ipetl.registry import COLLECTIONS
from tests.conftest import sample
from transforms.normalize import normalize_file

KH = COLLECTIONS["khtm"]

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Transaction [<!ENTITY secret SYSTEM "file:///etc/hostname">]>
<Transaction><TradeMarkTransactionBody><TransactionContentDetails><TransactionData><TradeMarkDetails><TradeMark>
<ApplicationNumber>KH/1/M</ApplicationNumber><ApplicationDate>2015-01-01</ApplicationDate>
<WordMarkSpecification><MarkVerbalElementText>&secret;</MarkVerbalElementText></WordMarkSpecification>
</TradeMark></TradeMarkDetails></TransactionData></TransactionContentDetails></TradeMarkTransactionBody></Transaction>"""

BILLION_LAUGHS = (
    b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">"""
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b"""]>
<Transaction><TradeMarkTransactionBody><TransactionContentDetails><TransactionData><TradeMarkDetails><TradeMark>
<ApplicationNumber>KH/2/M</ApplicationNumber><WordMarkSpecification><MarkVerbalElementText>&lol9;</MarkVerbalElementText></WordMarkSpecification>
</TradeMark></TradeMarkDetails></TransactionData></TransactionContentDetails></TradeMarkTransactionBody></Transaction>"""
)

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE Transaction SYSTEM "http://127.0.0.1:9/never.dtd">
<Transaction><TradeMarkTransactionBody><TransactionContentDetails><TransactionData><TradeMarkDetails><TradeMark>
<ApplicationNumber>KH/3/M</ApplicationNumber></TradeMark></TradeMarkDetails></TransactionData></TransactionContentDetails></TradeMarkTransactionBody></Transaction>"""


def run(path: Path, tmp_path):
    result = normalize_file(path, KH.format, KH.rules(), tmp_path)
    rows = [r for b in result.batches() for r in b.to_pylist()]
    result.discard()
    return result, rows


def write(tmp_path, name, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_external_entities_are_never_resolved(tmp_path):
    result, rows = run(write(tmp_path, "xxe.xml", XXE), tmp_path)
    assert result.rejected is None
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else "\0"
    assert all(hostname not in (r["mark_text"] or "") for r in rows)


def test_entity_bombs_are_not_expanded(tmp_path):
    result, rows = run(write(tmp_path, "bomb.xml", BILLION_LAUGHS), tmp_path)
    # either refused or read with the entity left unexpanded: never 10^9 "lol"s
    assert result.rejected is not None or all(len(r["mark_text"] or "") < 1000 for r in rows)


def test_external_dtd_is_not_fetched(tmp_path):
    result, rows = run(write(tmp_path, "dtd.xml", EXTERNAL_DTD), tmp_path)
    assert result.rejected is None and [r["application_number"] for r in rows] == ["KH/3/M"]


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("truncated.xml", sample("khtm").read_bytes()[:3000], "not well-formed XML"),
        ("notxml.xml", b"%PDF-1.4 this is not XML at all", "not well-formed XML"),
        ("empty.xml", b"", "not well-formed XML"),
        (
            "latin1.xml",
            '<?xml version="1.0" encoding="UTF-8"?><Transaction><x>Tiran\u00eb</x></Transaction>'.encode("latin-1"),
            "not well-formed XML",
        ),
        ("broken.zip", b"PK\x03\x04 this archive is cut short", "corrupt archive"),
        ("broken.gz", gzip.compress(sample("khtm").read_bytes())[:500], "corrupt archive"),
    ],
)
def test_unreadable_files_are_rejected_with_a_reason(tmp_path, name, data, reason):
    result, rows = run(write(tmp_path, name, data), tmp_path)
    assert result.rejected and result.rejected.startswith(reason), result.rejected
    assert "\n" not in result.rejected
    assert rows == []  # nothing half-read


def test_wrong_declared_encoding_is_read_as_declared(tmp_path):
    data = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><Transaction><TradeMarkTransactionBody>'
        "<TransactionContentDetails><TransactionData><TradeMarkDetails><TradeMark>"
        "<ApplicationNumber>KH/4/M</ApplicationNumber><WordMarkSpecification>"
        "<MarkVerbalElementText>Tiran\u00eb</MarkVerbalElementText></WordMarkSpecification></TradeMark>"
        "</TradeMarkDetails></TransactionData></TransactionContentDetails></TradeMarkTransactionBody></Transaction>"
    ).encode("latin-1")
    result, rows = run(write(tmp_path, "latin1-declared.xml", data), tmp_path)
    assert [r["mark_text"] for r in rows] == ["Tiran\u00eb"]


def test_compressed_deliveries(tmp_path):
    gz = write(tmp_path, "khtm.xml.gz", gzip.compress(sample("khtm").read_bytes()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("deliveries/khtm.xml", sample("khtm").read_bytes())
        archive.writestr("readme.pdf", b"%PDF")
    zipped = write(tmp_path, "khtm.zip", buffer.getvalue())
    for path, source in ((gz, "khtm.xml.gz"), (zipped, "khtm.zip!deliveries/khtm.xml")):
        result, rows = run(path, tmp_path)
        assert [r["st13"] for r in rows] == ["KH50201500673426M"]
        assert rows[0]["source_file"] == source
        assert rows[0]["source_sha256"].startswith("4bd6ed01b6a238f7")  # the XML's own checksum


def test_record_without_application_number_is_quarantined_not_dropped(tmp_path):
    data = (
        sample("khtm")
        .read_bytes()
        .replace(b"<ApplicationNumber>KH/673426/M</ApplicationNumber>", b"<ApplicationNumber></ApplicationNumber>")
    )
    result, rows = run(write(tmp_path, "nokey.xml", data), tmp_path)
    assert rows == []
    [q] = result.quarantined
    assert (q["rule_id"], q["source_file"], q["reason"]) == ("st13.buildable", "nokey.xml", "no application number")


def test_cli_normalize_reports_one_line_and_exits_non_zero(tmp_path):
    bad = write(tmp_path, "truncated.xml", sample("khtm").read_bytes()[:3000])
    proc = subprocess.run(
        [sys.executable, "-m", "ipetl.cli", "normalize", str(bad), str(sample("khtm")), "--collection", "khtm"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("ipetl:")]
    assert len(errors) == 1 and str(bad) in errors[0] and "not well-formed XML" in errors[0]
    assert "Traceback" not in proc.stderr
    assert (
        proc.stdout.count("\n") == 1 and '"st13": "KH50201500673426M"' in proc.stdout
    )  # the good file still normalized
