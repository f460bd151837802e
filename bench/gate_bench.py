"""Quality-gate benchmark: the Great Expectations suites on a 1M-row trademark batch.

Builds the batch with the warehouse benchmark's generator (1% of rows given a defect so the
quarantine path runs too), then times expectations.gate.validate end to end.

Usage: python bench/gate_bench.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import datetime as dt

from warehouse_bench import _rows_sql

from expectations import gate
from ipetl.registry import COLLECTIONS
from transforms.schema import TRADEMARKS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    con = duckdb.connect()
    sql = _rows_sql(0, args.rows, dt.date(2026, 1, 1), "")
    defects = (
        "SELECT * REPLACE (CASE WHEN i % 100 = 0 THEN [99::SMALLINT] ELSE nice_classes END AS nice_classes) "
        f"FROM (SELECT *, row_number() OVER () AS i FROM ({sql}))"
    )
    batch = con.execute(f"SELECT * EXCLUDE (i) FROM ({defects})").to_arrow_table().cast(TRADEMARKS)
    con.close()
    rules = COLLECTIONS["khtm"].rules()
    with tempfile.TemporaryDirectory() as gx_root:
        label = gate.BatchLabel("khtm", ("bench",), "bench")
        now = dt.datetime.now(dt.UTC)
        # warm-up: context, suite
        gate.validate("trademarks", batch.slice(0, 100), rules, list(COLLECTIONS), gx_root, now=now, label=label)
        start = time.perf_counter()
        result = gate.validate("trademarks", batch, rules, list(COLLECTIONS) + ["ustm"], gx_root, now=now, label=label)
        seconds = time.perf_counter() - start
    print("| rows | expectations | passed | quarantined rows | validate s | rows/s |")
    print("|---|---|---|---|---|---|")
    expectations = len(gate.load_suite_json("trademarks")["expectations"])
    quarantined = len({q["st13"] for q in result.quarantine})
    print(
        f"| {batch.num_rows} | {expectations} | {result.passed.num_rows} | {quarantined} | {seconds:.1f} "
        f"| {batch.num_rows / seconds:,.0f} |"
    )


if __name__ == "__main__":
    main()
