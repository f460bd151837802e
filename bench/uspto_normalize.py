"""Benchmark: USPTO daily XML (TDXF) → canonical Parquet, against raw lxml iterparse.

Generates one `<trademark-applications-daily>` document of at least --mb megabytes (10^6 bytes)
from the case-files of the self-written fixture (tests/fixtures/ustm/case-files.xml) and the real
sample (samples/mirror/ustm/apc170216-sample.xml), each copy with its own serial number, mark, classes
and owner names. Then measures, each step in a fresh subprocess so its peak RSS is its own:

  raw        lxml iterparse of the case-files with the parser options of connectors/xml.py,
             each record freed after its end event, nothing else done;
  normalize  transforms.normalize.normalize_file (connector, transform, spool) for the `ustm`
             collection, then the spooled batches written to one Parquet file.

Seconds are wall time from after the step's imports; CPU seconds are reported beside them
because on a shared machine they vary less. The ratio is raw seconds / normalize seconds.

    .venv/bin/python bench/uspto_normalize.py --mb 200

Targets: normalize throughput at least 1/3 of raw, peak RSS under 300 MB whatever the file size.
The generated file and the Parquet output go under bench/out/ (gitignored).
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
TEMPLATES = (ROOT / "tests" / "fixtures" / "ustm" / "case-files.xml", ROOT / "samples" / "mirror" / "ustm" / "apc170216-sample.xml")
CASE_FILES_PER_ACTION_KEY = 2000
MB = 1_000_000

_SERIAL = re.compile(r"<serial-number>(\d\d)\d{6}</serial-number>")
_MARK = re.compile(r"<mark-identification>[^<]*</mark-identification>")
_PARTY = re.compile(r"<party-name>([^<]*)</party-name>")
# international and primary class codes and the class inside GS statement type codes
_CLASS = re.compile(r"(<(?:international|primary)-code>|<type-code>GS)0([0-4]\d)")

_SYLLABLES = ("nor", "ta", "vel", "ki", "mon", "ra", "sol", "be", "quin", "do", "lux", "ar", "pe", "zan", "tro", "mi")
_COMPANIES = ("Holdings LLC", "Trading Co., Ltd.", "GmbH", "S.A.", "Inc.", "Pty Ltd", "B.V.", "Kabushiki Kaisha")


def _case_file_templates() -> list[str]:
    """The case-files of the fixture and the sample, serialized back to text."""
    from lxml import etree

    from connectors.xml import iter_elements

    templates = []
    for path in TEMPLATES:
        with open(path, "rb") as stream:
            for elem in iter_elements(stream, ("case-file",)):
                templates.append(etree.tostring(elem, encoding="unicode", with_tail=False))
    return templates


def _mark(n: int) -> str:
    return "".join(_SYLLABLES[(n >> shift) % len(_SYLLABLES)] for shift in (0, 4, 8)).upper()


def _vary(template: str, copy: int) -> str:
    """Copy number `copy` of a case-file: its own serial (same two-digit series; the templates'
    series differ, so serials are distinct up to a million copies), mark, classes, owner names."""
    shift = copy % 45

    def nice(m: re.Match) -> str:
        number = int(m[2])
        if not 1 <= number <= 45:
            return m[0]
        return f"{m[1]}{(number - 1 + shift) % 45 + 1:03d}"

    text = _SERIAL.sub(lambda m: f"<serial-number>{m[1]}{copy % 1_000_000:06d}</serial-number>", template)
    text = _MARK.sub(f"<mark-identification>{_mark(copy)}</mark-identification>", text)
    text = _CLASS.sub(nice, text)
    company = _COMPANIES[copy % len(_COMPANIES)]
    return _PARTY.sub(lambda m: f"<party-name>{m[1].split()[0]} {_mark(copy + 7)} {company}</party-name>", text)


def generate(path: Path, megabytes: float, first_copy: int = 0) -> int:
    """Write the benchmark document; returns the number of case-files. Documents generated with
    first_copy values further apart than their case-files hold distinct serial numbers."""
    templates = _case_file_templates()
    target = int(megabytes * MB)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<trademark-applications-daily>\n'
            "<version><version-no>2.0</version-no><version-date>20041108</version-date></version>\n"
            "<creation-datetime>202403121100</creation-datetime>\n"
            "<application-information><file-segments><file-segment>TRMK</file-segment>\n"
        )
        for count in itertools.count():
            if count % CASE_FILES_PER_ACTION_KEY == 0:
                out.write("<action-keys><action-key>TX</action-key>\n")
            copy, index = divmod(count + first_copy * len(templates), len(templates))
            out.write(_vary(templates[index], copy))
            out.write("\n")
            written += 1
            if out.tell() >= target:
                break
            if written % CASE_FILES_PER_ACTION_KEY == 0:
                out.write("</action-keys>\n")
        out.write("</action-keys>\n</file-segments></application-information>\n</trademark-applications-daily>\n")
    return written


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


class Clock:
    """Wall and CPU seconds since creation (steps start it after their imports)."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def figures(self) -> dict:
        return {"seconds": time.perf_counter() - self.wall, "cpu_seconds": time.process_time() - self.cpu}


def step_raw(path: Path) -> dict:
    """Raw lxml: iterparse the case-files with the connector's parser options and free each."""
    from lxml import etree

    clock = Clock()
    records = 0
    from connectors.xml import PARSER_OPTIONS

    context = etree.iterparse(str(path), events=("end",), tag="case-file", **PARSER_OPTIONS)
    for _, elem in context:
        records += 1
        elem.clear(keep_tail=False)
        node = elem
        while (parent := node.getparent()) is not None:
            while node.getprevious() is not None:
                del parent[0]
            node = parent
    return {"records": records} | clock.figures()


def step_normalize(path: Path) -> dict:
    """normalize_file for ustm, then the spooled batches written to one Parquet file."""
    import pyarrow.parquet as pq

    from ipetl.collections.uspto import COLLECTIONS
    from transforms.normalize import normalize_file
    from transforms.schema import TABLES
    from transforms.uspto_tdxf import FORMAT

    rules = next(c for c in COLLECTIONS if c.id == "ustm").rules()
    target = path.with_suffix(".parquet")
    clock = Clock()
    result = normalize_file(path, FORMAT, rules, path.parent)
    if result.rejected:
        raise SystemExit(f"rejected: {result.rejected}")
    with pq.ParquetWriter(target, TABLES[FORMAT.table], compression="zstd") as writer:
        for batch in result.batches():
            writer.write_batch(batch)
    result.discard()
    return {"records": result.records, "quarantined": len(result.quarantined)} | clock.figures()


STEPS = {"raw": step_raw, "normalize": step_normalize}


def run_step(name: str, path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--step", name, str(path)], check=True, capture_output=True, text=True, cwd=ROOT
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=200, help="size of the generated file in MB (10^6 bytes); default 200")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each step (interleaved); the fastest is reported")
    parser.add_argument("--file", type=Path, default=OUT / "uspto-tdxf-bench.xml", help="where to write the generated file")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("path", nargs="?", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.step:  # child process: one measurement, printed as JSON
        print(json.dumps(STEPS[args.step](args.path) | {"peak_rss_mb": _peak_rss_mb()}))
        return

    start = time.perf_counter()
    generated = generate(args.file, args.mb)
    size_mb = args.file.stat().st_size / MB
    print(f"generated {args.file} ({size_mb:.1f} MB, {generated} case-files) in {time.perf_counter() - start:.1f} s")

    runs: dict[str, list[dict]] = {"raw": [], "normalize": []}
    for _ in range(args.repeat):
        for name, figures in runs.items():
            figures.append(run_step(name, args.file))
    results = {
        name: {
            "records": figures[0]["records"],
            "quarantined": figures[0].get("quarantined", 0),
            "seconds": min(f["seconds"] for f in figures),
            "cpu_seconds": min(f["cpu_seconds"] for f in figures),
            "peak_rss_mb": max(f["peak_rss_mb"] for f in figures),
        }
        for name, figures in runs.items()
    }

    print(f"\nbest of {args.repeat} runs per step (peak RSS: the highest), each run in its own process:")
    print(f"{'step':<10} {'records':>9} {'MB':>7} {'seconds':>8} {'CPU s':>7} {'records/s':>10} {'MB/s':>7} {'peak RSS MB':>12}")
    for name, r in results.items():
        print(
            f"{name:<10} {r['records']:>9} {size_mb:>7.1f} {r['seconds']:>8.2f} {r['cpu_seconds']:>7.2f} "
            f"{r['records'] / r['seconds']:>10.0f} {size_mb / r['seconds']:>7.1f} {r['peak_rss_mb']:>12.1f}"
        )
    ratio = results["raw"]["seconds"] / results["normalize"]["seconds"]
    cpu_ratio = results["raw"]["cpu_seconds"] / results["normalize"]["cpu_seconds"]
    print(f"\nthroughput ratio normalize/raw: {ratio:.3f} (CPU time: {cpu_ratio:.3f}; target >= 0.333)")
    quarantined = results["normalize"]["quarantined"]
    if quarantined:
        print(f"records quarantined by the transform: {quarantined}")


if __name__ == "__main__":
    main()
