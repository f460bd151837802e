"""Benchmark: `ipetl normalize FILE --output x.parquet` against raw lxml iterparse, per format.

For each format a document of at least --mb megabytes (10^6 bytes) is generated from real or
fixture records, each copy with its own numbers, mark or title, classes and names:

  st66  IPAS ST.66 Transaction of copies of the real Cambodian record (samples/mirror/khtm),
        one TransactionContentDetails each; collection `khtm`;
  ustm  USPTO daily XML (TDXF) of copies of the case-files of the fixture
        (tests/fixtures/ustm/case-files.xml) and the real sample (samples/mirror/ustm); `ustm`;
  st86  IPAS ST.86 Transaction of copies of the two DesignApplications of the fixture
        tests/fixtures/khid/khid-designs.xml (no real ST.86 delivery is bundled); `khid`.

Then, on the same file, each step runs as its own process (its peak RSS is its own):

  raw        lxml iterparse of the records with the parser options of connectors/xml.py, each
             record freed (with everything before it) after its end event, nothing else done;
  normalize  `ipetl normalize FILE --collection ID --output FILE.parquet`, the command line;
  before     with --before DIR, the same command run from another checkout (the code before a
             change), for a side-by-side comparison in the same run.

Both are timed from process start to exit (interpreter start and imports included: about 0.1 s
for raw, 0.6 s for normalize), wall and CPU (user + system) seconds; on a shared machine CPU
seconds vary less. The ratio is raw seconds / normalize seconds: normalize's share of the speed
of the parser. `--large-mb 1600` adds the peak-RSS check on a large ST.66 file (normalize only).

    .venv/bin/python bench/normalize_bench.py --mb 160
    .venv/bin/python bench/normalize_bench.py --formats st66 --mb 160 --large-mb 1600

Targets (issue 14): ratio at least 0.5 for st66 and ustm, peak RSS under 300 MB whatever the file
size. Generated files and outputs go under bench/out/ (gitignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
IPETL = Path(sys.executable).parent / "ipetl"
MB = 1_000_000

_SYLLABLES = ("nor", "ta", "vel", "ki", "mon", "ra", "sol", "be", "quin", "do", "lux", "ar", "pe", "zan", "tro", "mi")
_COMPANIES = ("Holdings LLC", "Trading Co., Ltd.", "GmbH", "S.A.", "Inc.", "Pty Ltd", "B.V.", "Kabushiki Kaisha")


def _word(n: int) -> str:
    return "".join(_SYLLABLES[(n >> shift) % len(_SYLLABLES)] for shift in (0, 4, 8)).upper()


def _elements(path: Path, tag: str) -> list[str]:
    """The `tag` elements of a file, serialized back to text (namespace declarations included)."""
    from lxml import etree

    from connectors.xml import iter_elements

    with open(path, "rb") as stream:
        return [etree.tostring(elem, encoding="unicode", with_tail=False) for elem in iter_elements(stream, (tag,))]


# USPTO TDXF --------------------------------------------------------------------------------

_USTM_TEMPLATES = (
    ROOT / "tests" / "fixtures" / "ustm" / "case-files.xml",
    ROOT / "samples" / "mirror" / "ustm" / "apc170216-sample.xml",
)
CASE_FILES_PER_ACTION_KEY = 2000
_SERIAL = re.compile(r"<serial-number>(\d\d)\d{6}</serial-number>")
_MARK = re.compile(r"<mark-identification>[^<]*</mark-identification>")
_PARTY = re.compile(r"<party-name>([^<]*)</party-name>")
# international and primary class codes and the class inside GS statement type codes
_CLASS = re.compile(r"(<(?:international|primary)-code>|<type-code>GS)0([0-4]\d)")


def _shifted_class(copy: int, width: int) -> Callable[[re.Match], str]:
    """Nice class numbers (group 2) moved by the copy number, kept in 1..45 and `width` digits."""
    shift = copy % 45

    def nice(m: re.Match) -> str:
        number = int(m[2])
        if not 1 <= number <= 45:
            return m[0]
        return f"{m[1]}{(number - 1 + shift) % 45 + 1:0{width}d}"

    return nice


def _ustm_copy(template: str, copy: int) -> str:
    """Copy number `copy` of a case-file: its own serial (same two-digit series; the templates'
    series differ, so serials are distinct up to a million copies), mark, classes, owner names."""
    text = _SERIAL.sub(lambda m: f"<serial-number>{m[1]}{copy % 1_000_000:06d}</serial-number>", template)
    text = _MARK.sub(f"<mark-identification>{_word(copy)}</mark-identification>", text)
    text = _CLASS.sub(_shifted_class(copy, 3), text)
    company = _COMPANIES[copy % len(_COMPANIES)]
    return _PARTY.sub(lambda m: f"<party-name>{m[1].split()[0]} {_word(copy + 7)} {company}</party-name>", text)


def _ustm_document(templates: list[str]) -> tuple[str, Iterator[str], str]:
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<trademark-applications-daily>\n'
        "<version><version-no>2.0</version-no><version-date>20041108</version-date></version>\n"
        "<creation-datetime>202403121100</creation-datetime>\n"
        "<application-information><file-segments><file-segment>TRMK</file-segment>\n"
    )

    def body() -> Iterator[str]:
        for count in itertools.count():
            copy, index = divmod(count, len(templates))
            piece = _ustm_copy(templates[index], copy) + "\n"
            if count % CASE_FILES_PER_ACTION_KEY == 0:
                piece = ("</action-keys>\n" if count else "") + "<action-keys><action-key>TX</action-key>\n" + piece
            yield piece

    return head, body(), "</action-keys>\n</file-segments></application-information>\n</trademark-applications-daily>\n"


# ST.66 (IPAS) ------------------------------------------------------------------------------

_KHTM = ROOT / "samples" / "mirror" / "khtm" / "khtm.xml"
_ST66_NS = 'xmlns="http://www.wipo.int/standards/XMLSchema/trademarks" xmlns:wo="http://www.wipo.int/standards/XMLSchema/wo-trademarks"'
_KH_NUMBER = re.compile(r"(KH/)673426(/M)|(>)673426(<)")
_VERBAL = re.compile(r"(<(?:\w+:)?MarkVerbalElementText[^>]*>)[^<]*")
_FREE_NAME = re.compile(r"(<FreeFormatNameLine[^>]*>)([^<]+)")
_NICE = re.compile(r"(<ClassNumber>)(\d+)")
_YEAR = re.compile(r"(<(?:ApplicationDate|MarkEventDate)>)2015")


def _st66_copy(template: str, copy: int) -> str:
    """Copy `copy` of the Cambodian TransactionContentDetails: its own application and
    registration number (KH/<n>/M, n), filing year, mark, class and party names."""
    number = f"{copy % 1_000_000:06d}"
    text = _KH_NUMBER.sub(lambda m: f"{m[1]}{number}{m[2]}" if m[1] else f"{m[3]}{number}{m[4]}", template)
    text = _VERBAL.sub(lambda m: f"{m[1]}{_word(copy).capitalize()}", text)
    text = _FREE_NAME.sub(
        lambda m: f"{m[1]}{m[2].split()[0]} {_word(copy + 3).capitalize()} {_COMPANIES[copy % 8]}", text
    )
    text = _NICE.sub(_shifted_class(copy, 2), text)
    return _YEAR.sub(lambda m: f"{m[1]}{2000 + copy % 16}", text)


def _st66_document(templates: list[str]) -> tuple[str, Iterator[str], str]:
    [template] = templates
    template = template.replace(f" {_ST66_NS}", "")  # declared once, on the root
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<Transaction {_ST66_NS}>\n<TradeMarkTransactionBody>\n'
    return (
        head,
        (_st66_copy(template, copy) + "\n" for copy in itertools.count()),
        "</TradeMarkTransactionBody>\n</Transaction>\n",
    )


# ST.86 (IPAS) ------------------------------------------------------------------------------

_KHID = ROOT / "tests" / "fixtures" / "khid" / "khid-designs.xml"
_ST86_NS = 'xmlns="http://www.wipo.int/standards/XMLSchema/designs"'
_KHID_NUMBER = re.compile(r"(KH/D/\d{4}/|<RegistrationNumber>|KHD\d{4})000(?:245|512)")
_TITLE = re.compile(r"(<DesignTitle[^>]*>)([^<]*)")


def _st86_copy(template: str, copy: int) -> str:
    number = f"{copy % 1_000_000:06d}"
    text = _KHID_NUMBER.sub(lambda m: f"{m[1]}{number}", template)
    text = _TITLE.sub(lambda m: f"{m[1]}{m[2]} {_word(copy).lower()}", text)
    return _FREE_NAME.sub(
        lambda m: f"{m[1]}{m[2].split()[0]} {_word(copy + 3).capitalize()} {_COMPANIES[copy % 8]}", text
    )


def _st86_document(templates: list[str]) -> tuple[str, Iterator[str], str]:
    templates = [t.replace(f" {_ST86_NS}", "") for t in templates]
    head = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Transaction {_ST86_NS}>\n<DesignTransactionBody>\n'
        "<TransactionContentDetails><TransactionCode>DS-Search Design List</TransactionCode>\n"
        "<TransactionData><DesignApplicationDetails>\n"
    )

    def body() -> Iterator[str]:
        for count in itertools.count():
            copy, index = divmod(count, len(templates))
            # the two templates number 245 and 512: copies of each keep distinct numbers
            yield _st86_copy(templates[index], 2 * copy + index) + "\n"

    tail = (
        "</DesignApplicationDetails></TransactionData></TransactionContentDetails>\n"
        "</DesignTransactionBody>\n</Transaction>\n"
    )
    return head, body(), tail


@dataclass(frozen=True)
class Bench:
    name: str
    collection: str
    record_tag: str  # local name of the record element (raw iterparse frees each)
    templates: tuple[Path, ...]
    template_tag: str
    document: Callable[[list[str]], tuple[str, Iterator[str], str]]
    target: float | None  # the ratio the issue asks for


BENCHES = {
    b.name: b
    for b in (
        Bench("st66", "khtm", "TradeMark", (_KHTM,), "TransactionContentDetails", _st66_document, 0.5),
        Bench("ustm", "ustm", "case-file", _USTM_TEMPLATES, "case-file", _ustm_document, 0.5),
        Bench("st86", "khid", "DesignApplication", (_KHID,), "DesignApplication", _st86_document, None),
    )
}


def generate(bench: Bench, path: Path, megabytes: float) -> int:
    """Write the benchmark document; returns the number of copies written."""
    templates = [t for path_ in bench.templates for t in _elements(path_, bench.template_tag)]
    head, body, tail = bench.document(templates)
    target = int(megabytes * MB)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write(head)
        for piece in body:
            out.write(piece)
            written += 1
            if out.tell() >= target:
                break
        out.write(tail)
    return written


def raw(path: Path, tag: str) -> int:
    """Raw lxml: iterparse the records with the connector's parser options and free each."""
    from lxml import etree

    from connectors.xml import PARSER_OPTIONS

    records = 0
    for _, elem in etree.iterparse(str(path), events=("end",), tag=f"{{*}}{tag}", **PARSER_OPTIONS):
        records += 1
        elem.clear(keep_tail=False)
        node = elem
        while (parent := node.getparent()) is not None:
            while node.getprevious() is not None:
                del parent[0]
            node = parent
    return records


def breakdown(bench: Bench, path: Path) -> None:
    """Where normalize's time goes, in CPU microseconds per row, each stage measured alone in
    this process; and the command's fixed cost (interpreter, imports, first Arrow conversion),
    measured on a file of one record. A diagnostic for the next change, not a target."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from connectors.files import open_members
    from ipetl.registry import get
    from transforms.schema import TABLES

    collection = get(bench.collection)
    fmt, rules, schema = collection.format, collection.rules(), TABLES[collection.table]
    pa.RecordBatch.from_pylist([], schema=schema)  # its first call imports pandas: part of the fixed cost

    def timed(step):
        start = time.process_time()
        value = step()
        return value, time.process_time() - start

    def office_records() -> list:
        return [
            record for _, record in fmt.office_records((m.name, cast(IO[bytes], m.stream)) for m in open_members(path))
        ]

    def canonical() -> list:
        rows: list[Any] = []
        today = dt.date.today()
        for record in office:
            mapped = fmt.to_canonical(record, rules, today)
            rows.extend(mapped if isinstance(mapped, list) else (mapped,))
        return rows

    _, parse = timed(lambda: raw(path, bench.record_tag))
    office, read = timed(office_records)
    rows, mapping = timed(canonical)
    batch, arrow = timed(lambda: pa.RecordBatch.from_pylist(rows, schema=schema))
    _, parquet = timed(
        lambda: pq.write_table(pa.Table.from_batches([batch]), path.with_suffix(".parquet"), compression="zstd")
    )
    path.with_suffix(".parquet").unlink()
    tiny = path.with_name(f"{bench.name}-one.xml")
    generate(bench, tiny, 0)
    fixed = measure(
        [
            str(IPETL),
            "normalize",
            str(tiny),
            "--collection",
            bench.collection,
            "--output",
            str(tiny.with_suffix(".parquet")),
        ]
    )
    tiny.unlink()
    tiny.with_suffix(".parquet").unlink()
    per_row = 1e6 / len(rows)
    print(f"breakdown ({len(office)} records, {len(rows)} rows), CPU us per row:")
    print(
        f"  raw parse {parse * per_row:.0f}; connector (parse, checksum, office records) {read * per_row:.0f}; "
        f"transform {mapping * per_row:.0f}; Arrow {arrow * per_row:.0f}; Parquet {parquet * per_row:.0f}"
    )
    print(f"  fixed cost of the command (one record): {fixed['cpu_seconds']:.2f} CPU s")


def _high_water_mb(pid: int) -> float:
    """Peak resident memory of a running process (VmHWM), in MB; 0 once it has exited."""
    try:
        with open(f"/proc/{pid}/status") as status:
            found = re.search(r"VmHWM:\s*(\d+) kB", status.read())
    except OSError:
        return 0.0
    return int(found[1]) / 1024 if found else 0.0


def measure(command: list[str], cwd: Path | None = ROOT) -> dict:
    """Run a command to its end; wall seconds, CPU seconds and peak RSS of that process alone.

    The peak is the process's own high-water mark, read every 20 ms while it runs (wait4's
    ru_maxrss would start from this parent's)."""
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:  # files: a pipe could fill
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=stdout, stderr=stderr)
        peak = 0.0
        while True:
            peak = max(peak, _high_water_mb(process.pid))
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.02)
        wall = time.perf_counter() - start
        stdout.seek(0)
        stderr.seek(0)
        out, err = stdout.read().decode(), stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{err}")
    return {"seconds": wall, "cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_rss_mb": peak, "stdout": out}


def records_in(parquet: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(parquet).metadata.num_rows


def run(bench: Bench, path: Path, repeat: int, steps: tuple[str, ...], code: Path | None = None) -> dict[str, dict]:
    output = path.with_suffix(".parquet")
    arguments = ["normalize", str(path), "--collection", bench.collection, "--output", str(output)]
    commands = {
        "raw": [sys.executable, __file__, "--raw", bench.record_tag, str(path)],
        "normalize": [str(IPETL), *arguments],
        # the same command run from another checkout (its directory comes first on sys.path)
        "before": [sys.executable, "-m", "ipetl.cli", *arguments],
    }
    runs: dict[str, list[dict]] = {name: [] for name in steps}
    for _ in range(repeat):
        for name, figures in runs.items():
            figures.append(measure(commands[name], cwd=code if name == "before" else ROOT))
    results = {
        name: {
            "seconds": min(f["seconds"] for f in figures),
            "cpu_seconds": min(f["cpu_seconds"] for f in figures),
            "peak_rss_mb": max(f["peak_rss_mb"] for f in figures),
        }
        for name, figures in runs.items()
    }
    if "raw" in results:
        results["raw"]["records"] = int(runs["raw"][0]["stdout"].split()[-1])
    for name in ("normalize", "before"):
        if name in results:
            results[name]["records"] = records_in(output)  # both write the same rows (golden test)
    output.unlink(missing_ok=True)
    return results


def report(bench: Bench, path: Path, copies: int, results: dict[str, dict], repeat: int) -> None:
    size_mb = path.stat().st_size / MB
    print(
        f"\n### {bench.name}: {path.name}, {size_mb:.1f} MB, {copies} copies; collection {bench.collection}; "
        f"best of {repeat}"
    )
    print(f"{'step':<10} {'rows':>9} {'seconds':>8} {'CPU s':>7} {'rows/s':>8} {'MB/s':>7} {'peak RSS MB':>12}")
    for name, r in results.items():
        print(
            f"{name:<10} {r['records']:>9} {r['seconds']:>8.2f} {r['cpu_seconds']:>7.2f} "
            f"{r['records'] / r['seconds']:>8.0f} {size_mb / r['seconds']:>7.1f} {r['peak_rss_mb']:>12.1f}"
        )
    if "raw" in results:
        for name in ("before", "normalize"):
            if name in results:
                ratio = results["raw"]["seconds"] / results[name]["seconds"]
                cpu_ratio = results["raw"]["cpu_seconds"] / results[name]["cpu_seconds"]
                target = f"; target >= {bench.target}" if bench.target and name == "normalize" else ""
                print(f"ratio {name}/raw: {ratio:.2f} wall, {cpu_ratio:.2f} CPU{target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--formats", nargs="+", choices=sorted(BENCHES), default=list(BENCHES))
    parser.add_argument(
        "--mb", type=float, default=160, help="size of each generated file in MB (10^6 bytes); default 160"
    )
    parser.add_argument(
        "--large-mb",
        type=float,
        default=0,
        help="also normalize an ST.66 file this large (peak RSS check); default off",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each step (interleaved); the fastest is reported"
    )
    parser.add_argument(
        "--breakdown", action="store_true", help="also time each stage of normalize in-process, on a file of --mb / 10"
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="also run `ipetl normalize` from this checkout (e.g. `git archive` of an older commit)",
    )
    parser.add_argument("--raw", nargs=2, metavar=("TAG", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.raw:  # child process: the raw parse, prints its record count
        print(raw(Path(args.raw[1]), args.raw[0]))
        return

    steps: tuple[str, ...] = ("raw", "before", "normalize") if args.before else ("raw", "normalize")
    jobs: list[tuple[Bench, float, int, tuple[str, ...]]] = [
        (BENCHES[name], args.mb, args.repeat, steps) for name in args.formats
    ]
    if args.large_mb:
        jobs.append((BENCHES["st66"], args.large_mb, 1, ("normalize",)))
    for bench, megabytes, repeat, steps in jobs:
        path = OUT / f"{bench.name}-{megabytes:g}mb.xml"
        copies = generate(bench, path, megabytes)
        report(bench, path, copies, run(bench, path, repeat, steps, args.before), repeat)
        path.unlink()
        if args.breakdown and steps != ("normalize",):
            generate(bench, path, megabytes / 10)
            breakdown(bench, path)
            path.unlink()


if __name__ == "__main__":
    main()
