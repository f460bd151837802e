"""What the parser holds stays bounded whatever the input: records are freed after they are read
(tests/connectors/test_st66_shapes.py), and so is everything around them."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import ROOT

JUNK_ELEMENTS = 1_500_000  # `<Junk><Part>n</Part></Junk>`: about 50 MB, and 3 million elements


def _peak_rss_mb(path, tags: tuple[str, ...]) -> tuple[int, float]:
    """(records read, peak RSS in MB) of a fresh interpreter reading `path` with iter_elements."""
    code = textwrap.dedent(
        f"""
        import re
        from connectors.xml import iter_elements
        with open({str(path)!r}, "rb") as stream:
            count = sum(1 for _ in iter_elements(stream, {tags!r}))
        # this process's own high-water mark (ru_maxrss would count the parent's, from before exec)
        with open("/proc/self/status") as status:
            print(count, int(re.search(r"VmHWM:\\s*(\\d+) kB", status.read())[1]) / 1024)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    count, rss = done.stdout.split()
    return int(count), float(rss)


def _write(path, body: bytes) -> None:
    with open(path, "wb") as out:
        out.write(
            b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- header -->\n<Transaction xmlns="http://www.wipo.int/standards/XMLSchema/trademarks">'
        )
        out.write(body)
        out.write(b"</Transaction>")


def _junk(count: int) -> bytes:
    return b"".join(b"<Junk><Part>%d</Part></Junk>" % n for n in range(count))


def test_a_file_without_records_is_freed_as_it_is_parsed(tmp_path):
    _write(tmp_path / "junk.xml", _junk(JUNK_ELEMENTS))
    count, rss = _peak_rss_mb(tmp_path / "junk.xml", ("TradeMark",))
    assert count == 0
    assert rss < 150  # the whole tree would take several hundred MB


def test_elements_between_and_after_records_are_freed(tmp_path):
    mark = b"<TradeMark><ApplicationNumber>1</ApplicationNumber></TradeMark>"
    half = _junk(JUNK_ELEMENTS // 2)
    _write(tmp_path / "mixed.xml", mark + half + mark + half)
    count, rss = _peak_rss_mb(tmp_path / "mixed.xml", ("TradeMark", "TransactionCode"))
    assert count == 2
    assert rss < 150


def test_remembered_local_names_are_bounded():
    """connectors.xml.local remembers names, up to a bound: a file of ever new element names
    cannot grow that memory, and names past the bound are still right."""
    from connectors import xml

    names = [f"{{urn:x}}Name{n}" for n in range(xml._LOCAL_NAMES_BOUND + 5000)]
    assert [xml.local(name) for name in names[-3:]] == [
        f"Name{n}" for n in range(xml._LOCAL_NAMES_BOUND + 4997, xml._LOCAL_NAMES_BOUND + 5000)
    ]
    for name in names:
        xml.local(name)
    assert len(xml._LOCAL_NAMES) <= xml._LOCAL_NAMES_BOUND
    assert xml.local("{urn:x}Name7") == "Name7" and xml.local("Plain") == "Plain"
