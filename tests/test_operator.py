"""The run as an operator sees it: progress (bars on a terminal, lines elsewhere), logs (text or
JSON lines, and each run's under the home), --verbose/--quiet/--version, a source that cannot
be reached said in a line, a summary whose columns add up (and --summary-json), and
`ipetl normalize` writing a deletion as a tombstone, never as a status."""

from __future__ import annotations

import fcntl
import functools
import http.server
import json
import os
import pty
import re
import shutil
import socket
import struct
import subprocess
import sys
import termios
import threading
import tomllib
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from connectors.fetch import fetch_new
from connectors.progress import Progress
from connectors.sources import DEFAULT_SETTINGS, FetchError, FetchSettings
from ipetl.collection import Source
from ipetl.pipeline import lake_settings
from tests.conftest import ROOT, query_lake
from transforms.values import load_vocab

pytestmark = pytest.mark.slow

ENV = {"IPETL_CATALOG": "", "IPETL_DATA": ""}
COUNTS = ["read", "published", "quarantined", "rejected", "deleted"]


def ipetl(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ipetl.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
        timeout=300,
        **kwargs,
    )


def summary_table(stdout: str) -> dict[str, dict[str, str]]:
    """The run summary's rows by collection, each {column: value}."""
    lines = stdout.splitlines()
    header = lines[0].split()
    rows = {}
    for line in lines[1 : lines.index("")]:
        cells = line.split(maxsplit=len(header) - 1)
        rows[cells[0]] = dict(zip(header, cells, strict=True))
    return rows


# --- what the sample deliveries hold, read from the files themselves ----------------------------


def ustm_withdrawn(path: Path) -> tuple[int, int]:
    """(case-files, those whose USPTO status code the published code map sends to Delete)."""
    codes = re.findall(r"<status-code>(\d+)</status-code>", path.read_text(encoding="utf-8"))
    status_map = load_vocab("brands-office-code-maps.json")["ustm"]["status_map"]
    return len(codes), sum(1 for code in codes if status_map[code]["gbd"] == "Delete")


def khtm_delivery(path: Path, marks: int, out_of_range: int) -> Path:
    """The KH sample's TradeMark, `marks` times under other application numbers, the first
    `out_of_range` of them with Nice class 99 (outside 1..45: rule TM-NICE-RANGE)."""
    text = (ROOT / "samples/mirror/khtm/khtm.xml").read_text(encoding="utf-8")
    start, end = text.index("<TradeMark>"), text.index("</TradeMark>") + len("</TradeMark>")
    one = text[start:end]
    assert one.count("<ClassNumber>10</ClassNumber>") == 1 and one.count("KH/673426/M") == 2
    copies = []
    for n in range(marks):
        mark = one.replace("KH/673426/M", f"KH/6734{n:02d}/M")
        if n < out_of_range:
            mark = mark.replace("<ClassNumber>10</ClassNumber>", "<ClassNumber>99</ClassNumber>")
        copies.append(mark)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text[:start] + "\n".join(copies) + text[end:], encoding="utf-8")
    return path


def expected_counts(source: Path) -> dict[str, tuple]:
    """Each collection's read, published, quarantined, rejected, deleted and status after a run
    of the mirror `runs` makes, from its files."""
    cases, withdrawn = ustm_withdrawn(source / "ustm/apc170216-sample.xml")
    iltm = sum(p.read_text(encoding="utf-8").count("<TMBRAND>") for p in (source / "iltm").iterdir())
    return {
        #         read published quarantined rejected deleted  status
        "ustm": (cases, cases - withdrawn, 0, 0, withdrawn, "published"),
        "iltm": (iltm, iltm, 0, 0, 0, "published"),
        "latm": (1, 0, 1, 0, 0, "nothing kept"),  # one record, though it broke two rules
        "khtm": (20, 0, 11, 9, 0, "failed"),  # the gate failed the batch: its 9 good records not published
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two runs of the CLI on a mirror of real sample deliveries (and variants of them): the
    second with --force (everything read again) in two processes."""
    tmp = tmp_path_factory.mktemp("operator")
    source, home = tmp / "mirror", tmp / "home"
    shutil.copytree(ROOT / "samples/mirror/ustm", source / "ustm")
    shutil.copytree(ROOT / "samples/mirror/iltm", source / "iltm")
    # latm: its one mark in Nice class 99, and expiring (2017-08-01) before it was registered
    # (2017-08-15): two rules broken
    latm = (ROOT / "samples/mirror/latm/test.xml").read_text(encoding="utf-8")
    assert latm.count("<ClassNumber>9</ClassNumber>") == 1 and "<RegistrationDate>2017-08-15<" in latm
    (source / "latm").mkdir()
    (source / "latm/test.xml").write_text(
        latm.replace("<ClassNumber>9</ClassNumber>", "<ClassNumber>99</ClassNumber>").replace(
            "<ExpiryDate>2027-08-15<", "<ExpiryDate>2017-08-01<"
        ),
        encoding="utf-8",
    )
    # khtm: 20 marks, 11 broken (55%, over the gate's 50%), and a truncated file
    khtm_delivery(source / "khtm/kh20.xml", 20, 11)
    (source / "khtm/zz-truncated.xml").write_bytes((ROOT / "samples/mirror/khtm/khtm.xml").read_bytes()[:2500])
    first = ipetl("run", "--jobs", "1", "--source", source, "--home", home, "--summary-json", tmp / "first.json")
    again = ["--force", "--jobs", "2", "--summary-json", tmp / "second.json"]
    second = ipetl("run", "--source", source, "--home", home, *again)
    return {
        "source": source,
        "home": home,
        "first": first,
        "second": second,
        "first.json": json.loads((tmp / "first.json").read_text()),
        "second.json": json.loads((tmp / "second.json").read_text()),
    }


def test_the_summary_adds_up_on_sample_deliveries(runs):
    source, first = runs["source"], runs["first"]
    cases, withdrawn = ustm_withdrawn(source / "ustm/apc170216-sample.xml")
    assert (cases, withdrawn) == (1, 1)  # status code 626: "Dead/Cancelled", a deletion
    expected = expected_counts(source)
    table = summary_table(first.stdout)
    assert list(table["ustm"])[2:8] == [*COUNTS, "status"] and set(table) == set(expected)
    for cid, (*counts, status) in expected.items():
        row = table[cid]
        assert [int(row[c]) for c in COUNTS] == counts, (cid, first.stdout)
        assert row["status"] == status
        assert counts[0] == sum(counts[1:])
    assert int(table["khtm"]["files"]) == 2  # kh20.xml, and zz-truncated.xml rejected whole
    assert first.returncode == 1, first.stderr  # a file rejected, a batch failed
    assert re.search(r"^ipetl: rejected .*zz-truncated\.xml: ", first.stderr, re.M)

    report = runs["first.json"]
    assert report["exit_code"] == 1 and isinstance(report["snapshot_id"], int)
    by_id = {c["collection"]: c for c in report["collections"]}
    for cid, (*counts, status) in expected.items():
        assert [by_id[cid][c] for c in COUNTS] == counts
        assert by_id[cid]["status"] == status
    assert by_id["ustm"]["snapshot_id"] == report["snapshot_id"] and by_id["ustm"]["exit_code"] == 0
    assert by_id["khtm"]["snapshot_id"] is None and by_id["khtm"]["exit_code"] == 1
    assert by_id["khtm"]["rejected_files"] == 1 and any("zz-truncated.xml" in e for e in by_id["khtm"]["errors"])

    # the lake agrees: the withdrawn record is a tombstone, latm's record two rows of quarantine
    home = runs["home"]
    lake = lake_settings(home, environ={})
    assert query_lake(lake, home, "select collection, count(*) from deleted group by 1") == [("ustm", withdrawn)]
    assert query_lake(lake, home, "select count(*) from trademarks where status = 'Delete'") == [(0,)]
    assert sorted(query_lake(lake, home, "select rule_id from quarantine where collection = 'latm'")) == [
        ("TM-EXPIRY-AFTER-REGDATE",),
        ("TM-NICE-RANGE",),
    ]
    assert query_lake(lake, home, "select records, quarantined from deliveries where collection = 'latm'") == [(1, 1)]


def test_a_forced_run_again_adds_up_the_same_and_publishes_nothing_new(runs):
    expected = expected_counts(runs["source"])
    expected["ustm"] = (*expected["ustm"][:5], "unchanged")  # the lake already holds what it says
    expected["iltm"] = (*expected["iltm"][:5], "unchanged")
    table = summary_table(runs["second"].stdout)
    assert {cid: (*(int(row[c]) for c in COUNTS), row["status"]) for cid, row in table.items()} == expected
    report = runs["second.json"]
    assert report["snapshot_id"] is None and report["exit_code"] == 1
    assert {c["collection"]: c["snapshot_id"] for c in report["collections"]} == dict.fromkeys(expected)


def test_each_run_writes_its_log_under_the_home(runs):
    logs = sorted((runs["home"] / "logs").glob("run-*.log"))
    assert [p.name for p in logs] == sorted(f"run-{runs[key]['run_id']}.log" for key in ("first.json", "second.json"))
    text = (runs["home"] / "logs" / f"run-{runs['first.json']['run_id']}.log").read_text()
    assert f"run_id={runs['first.json']['run_id']}" in text
    assert re.search(r"step=normalize collection=iltm delivery=eventdata\.xml: .*1 record in", text)
    assert "zz-truncated.xml" in text  # the errors too, not only stderr


def test_progress_without_a_terminal_is_a_line_per_step(runs):
    stderr = runs["second"].stderr  # --jobs 2: lines from the pool's processes too
    assert re.search(r"^\d\d:\d\d:\d\d normalize khtm: kh20\.xml: 20 records in [\d.]+ s$", stderr, re.M)
    assert re.search(r"^\d\d:\d\d:\d\d gate khtm: 9 passed, 11 quarantined, 0 deleted in", stderr, re.M)
    assert re.search(r"^\d\d:\d\d:\d\d publish: ", stderr, re.M)
    assert "Traceback" not in stderr


# --- a source over HTTP: bytes per file, JSON logs, a terminal ----------------------------------


@pytest.fixture
def site(tmp_path):
    """The KH sample served over HTTP on 127.0.0.1 (an autoindex page lists it)."""
    folder = tmp_path / "site"
    folder.mkdir()
    shutil.copy(ROOT / "samples/mirror/khtm/khtm.xml", folder)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_json_logs_say_the_bytes_fetched_and_the_records_read_per_file(site, tmp_path):
    home = tmp_path / "home"
    size = (ROOT / "samples/mirror/khtm/khtm.xml").stat().st_size
    proc = ipetl("--log-format", "json", "run", "--collection", "khtm", "--source", site, "--home", home)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stderr.splitlines()]
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    [run_log] = (home / "logs").glob("run-*.log")
    run_id = run_log.stem.removeprefix("run-")
    assert {line["run_id"] for line in lines} == {run_id}
    fetched = [line for line in lines if line.get("step") == "fetch" and line.get("delivery") == "khtm.xml"]
    kib = f"{size / 1024:.1f} KiB"
    assert [line["message"] for line in fetched][-1].startswith(f"fetch khtm: khtm.xml: {kib} of {kib} (100%) in")
    assert any(line["message"] == f"fetch khtm: listing {site}" for line in lines)
    read = [line for line in lines if line.get("step") == "normalize" and "delivery" in line]
    assert [(line["collection"], line["delivery"]) for line in read] == [("khtm", "khtm.xml")]
    assert " 1 record in " in read[0]["message"]
    # the sample's mark names a picture (MarkImageFilename ATTACHMENT/logo) its plain XML cannot hold
    told = [line["message"] for line in lines if line.get("step") == "normalize" and "delivery" not in line]
    assert len(told) == 1 and "picture ATTACHMENT/logo: " in told[0] and told[0].startswith("normalize khtm: ")
    in_file = [json.loads(line) for line in run_log.read_text().splitlines()]
    assert [line["message"] for line in in_file] == [line["message"] for line in lines]


def test_a_terminal_gets_progress_bars(site, tmp_path):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "ipetl.cli", "run", "--jobs", "1", "--collection", "khtm"]
        + ["--source", site, "--home", str(tmp_path / "home")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
        env={**os.environ, **ENV},
    )
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    assert proc.wait(timeout=300) == 0
    text = shown.decode()
    assert re.search(r"\rfetch khtm khtm\.xml: .*B/s", text)  # tqdm's bar, in bytes
    assert re.search(r"\rnormalize khtm khtm\.xml: .*record/s", text)  # and in records
    assert "normalize khtm: khtm.xml: 1 record in" in text  # the line a bar leaves


def test_quiet_and_verbose(site, tmp_path):
    quiet = ipetl("--quiet", "run", "--collection", "khtm", "--source", site, "--home", tmp_path / "q")
    assert quiet.returncode == 0 and quiet.stderr == ""
    loud = ipetl("-v", "run", "--collection", "khtm", "--source", site, "--home", tmp_path / "v")
    assert loud.returncode == 0 and re.search(r"^\d\d:\d\d:\d\d run \S+: ipetl \d", loud.stderr, re.M)
    both = ipetl("-v", "-q", "collections")
    assert both.returncode == 2 and "--verbose or --quiet" in both.stderr


def test_version_is_the_package_version():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    proc = ipetl("--version")
    assert proc.returncode == 0 and proc.stdout == f"ipetl {version}\n"


# --- a source that cannot be reached --------------------------------------------------------------


def test_an_unreachable_source_is_said_in_one_short_line(tmp_path):
    home = tmp_path / "home"
    url = "http://ipetl-test.invalid/bulk/"
    proc = ipetl("run", "--collection", "khtm", "--source", url, "--home", home, "--summary-json", tmp_path / "s.json")
    assert proc.returncode == 3
    lines = proc.stderr.splitlines()
    assert f"fetch khtm: listing {url}" in lines[0]
    # each retry and its wait: FetchSettings' back-off, backoff_factor * 2**(n-1) s from the 2nd on
    retries = DEFAULT_SETTINGS.retries
    waits = ["at once"] + [f"in {DEFAULT_SETTINGS.backoff_factor * 2 ** (n - 1):g} s" for n in range(2, retries + 1)]
    said = [line.split(" ", 1)[1] for line in lines[1:-1]]
    assert said == [
        f"fetch khtm: ipetl-test.invalid: cannot resolve the name (offline?); retry {n} of {retries} {wait}"
        for n, wait in enumerate(waits, start=1)
    ]
    assert lines[-1] == "ipetl: khtm: ipetl-test.invalid: cannot resolve the name (offline?)"
    assert "urllib3" not in proc.stderr and "HTTPConnection" not in proc.stderr
    assert summary_table(proc.stdout)["khtm"]["status"] == "not fetched"
    [khtm] = json.loads((tmp_path / "s.json").read_text())["collections"]
    assert (khtm["status"], khtm["exit_code"], khtm["errors"]) == (
        "not fetched",
        3,
        ["ipetl-test.invalid: cannot resolve the name (offline?)"],
    )


class Notes(Progress):
    def __init__(self) -> None:
        self.notes: list[str] = []

    def note(self, message: str) -> None:
        self.notes.append(message)


def test_a_closed_port_is_a_refused_connection(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    notes = Notes()
    fast = FetchSettings(connect_timeout=2, read_timeout=2, retries=2, backoff_factor=0.01)
    with pytest.raises(FetchError) as error:
        fetch_new("khtm", Source("https", f"http://127.0.0.1:{port}/"), tmp_path, fast, progress=notes)
    assert error.value.reason == "connection refused"
    assert str(error.value) == f"listing http://127.0.0.1:{port}/: connection refused"
    assert notes.notes == [
        "127.0.0.1: connection refused; retry 1 of 2 at once",
        "127.0.0.1: connection refused; retry 2 of 2 in 0.02 s",
    ]


# --- ipetl normalize: a deletion is a tombstone ---------------------------------------------------


def test_normalize_writes_a_withdrawn_record_as_a_tombstone(tmp_path):
    delivery = ROOT / "samples/mirror/ustm/apc170216-sample.xml"
    [serial] = re.findall(r"<serial-number>(\d+)</serial-number>", delivery.read_text())
    proc = ipetl("normalize", delivery, "--collection", "ustm")
    assert proc.returncode == 0, proc.stderr
    [line] = [json.loads(text) for text in proc.stdout.splitlines()]
    assert line["tombstone"] is True and "status" not in line
    assert (line["table_name"], line["collection"], line["office"], line["reason"]) == (
        "trademarks",
        "ustm",
        "US",
        "626",
    )
    assert line["st13"].endswith(serial) and line["source_file"] == delivery.name
    assert '"Delete"' not in proc.stdout

    out = tmp_path / "ustm.parquet"
    assert ipetl("normalize", delivery, "--collection", "ustm", "-o", out).returncode == 0
    assert pq.read_table(out).num_rows == 0
    tombstones = pq.read_table(tmp_path / "ustm.deleted.parquet").to_pylist()
    assert [(t["st13"], t["reason"]) for t in tombstones] == [(line["st13"], "626")]
