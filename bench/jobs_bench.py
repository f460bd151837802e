"""Benchmark: `ipetl run --jobs 1` against `--jobs 2` on generated USPTO daily-XML deliveries.

Two sets, each generated once under bench/out/jobs/ with the USPTO generator of normalize_bench.py:
  many  --deliveries files of --delivery-mb MB (default 8 x 20 MB), one generated file cut at
        record boundaries (connectors/split.py), so that each holds other marks;
  one   one file of --big-mb MB (default 200 MB): cut into parts at <case-file> boundaries.
Each run is pipeline.run (what `ipetl run --collection ustm --source DIR` does) in a fresh
subprocess on a fresh home. Reported per run: wall seconds of the whole run (fetch, normalize,
the quality gate, staging, publish, catalog, data docs) and of its fetch + normalize stage
(until the gate starts: the part --jobs parallelizes; the rest is one step per run; with --jobs 2
it includes loading GX, done meanwhile in the main process). The machine's CPU headroom is
measured before and after, since a speed-up needs a second core that nobody else is using.

    .venv/bin/python bench/jobs_bench.py [--deliveries 8 --delivery-mb 20 --big-mb 200]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "jobs"
sys.path.insert(0, str(ROOT / "bench"))
from normalize_bench import BENCHES, MB, generate  # noqa: E402


def step_run(source: Path, home: Path, jobs: int) -> dict:
    """One pipeline.run; the time at which the gate first starts marks the end of normalizing."""
    sys.path.insert(0, str(ROOT))
    from ipetl import pipeline
    from ipetl.pipeline import runs

    gate_started: list[float] = []
    validate = runs.validate_and_stage

    def timed_validate(*args, **kwargs):
        gate_started.append(time.perf_counter())
        return validate(*args, **kwargs)

    runs.validate_and_stage = timed_validate
    start = time.perf_counter()
    result = pipeline.run(["ustm"], source=source, home=home, jobs=jobs)
    seconds = time.perf_counter() - start
    if result.snapshot_id is None or result.refused or result.fetch_failures:
        raise SystemExit(f"run failed: {result}")
    batch = result.batches[0]
    return {
        "seconds": seconds,
        "normalize_seconds": gate_started[0] - start,
        "records": batch.records,
        "passed": batch.passed,
    }


def measure(source: Path, jobs: int) -> dict:
    home = OUT / f"home-{source.name}-jobs{jobs}"
    shutil.rmtree(home, ignore_errors=True)
    done = subprocess.run(
        [sys.executable, __file__, "--step", str(source), str(home), str(jobs)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    shutil.rmtree(home, ignore_errors=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def make_set(name: str, files: int, megabytes: float) -> Path:
    """bench/out/jobs/<name>/ustm/apc2503DD.xml, one a day from 2025-03-01; kept between runs."""
    sys.path.insert(0, str(ROOT))
    from connectors.split import split_xml

    folder = OUT / name / "ustm"
    wanted = [folder / f"apc2503{day:02d}.xml" for day in range(1, files + 1)]
    if sorted(folder.glob("*.xml")) != wanted or any(abs(p.stat().st_size - megabytes * MB) > MB for p in wanted):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        whole = folder / "whole.xml"
        generate(BENCHES["ustm"], whole, megabytes * files)
        parts = split_xml(whole, "case-file", files, folder / "parts") if files > 1 else [whole]
        for part, path in zip(parts, wanted, strict=True):
            part.rename(path)
        shutil.rmtree(folder / "parts", ignore_errors=True)
        whole.unlink(missing_ok=True)
    return folder.parent


def _count(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
    return total


def headroom(n: int = 20_000_000) -> float:
    """How much faster two processes do two equal pure-CPU loops than one process: what the
    machine gives to a second core right now (2.0 on an idle 2-core machine)."""
    start = time.perf_counter()
    _count(n), _count(n)
    serial = time.perf_counter() - start
    start = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_count, [n, n]))
    return serial / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=8)
    parser.add_argument("--delivery-mb", type=float, default=20)
    parser.add_argument("--big-mb", type=float, default=200)
    parser.add_argument("--step", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:  # child process: one run, printed as JSON
        source, home, jobs = args.step
        print(json.dumps(step_run(Path(source), Path(home), int(jobs))))
        return

    sets = [
        (f"{args.deliveries} x {args.delivery_mb:g} MB", make_set("many", args.deliveries, args.delivery_mb)),
        (f"1 x {args.big_mb:g} MB", make_set("one", 1, args.big_mb)),
    ]
    print(f"CPU headroom before: two processes run {headroom():.2f}x as fast as one (2.00 = two idle cores)\n")
    print(
        "| deliveries | records | run s, --jobs 1 | run s, --jobs 2 | speed-up "
        "| fetch+normalize s, --jobs 1 | --jobs 2 | speed-up |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, source in sets:
        one, two = measure(source, 1), measure(source, 2)
        assert (one["records"], one["passed"]) == (two["records"], two["passed"]), (one, two)
        print(
            f"| {label} | {one['records']:,} | {one['seconds']:.1f} | {two['seconds']:.1f} "
            f"| {one['seconds'] / two['seconds']:.2f}x "
            f"| {one['normalize_seconds']:.1f} | {two['normalize_seconds']:.1f} "
            f"| {one['normalize_seconds'] / two['normalize_seconds']:.2f}x |"
        )
    print(f"\nCPU headroom after: {headroom():.2f}x")


if __name__ == "__main__":
    main()
