"""Lake benchmark: delta publish time against lake size, query latencies, local disk vs S3.

For each size (default 1M and 10M trademark rows) it builds a DuckLake lake through the real
publish path (synthetic canonical rows made with DuckDB: realistic keys, 1-3 word marks drawn
from an 8,000-word vocabulary, classes, applicants, 1-8 events each), then applies a 100k-row delta (half
updates of existing marks, half new marks) and measures:

  initial load, delta publish, search database build (whole),
  point lookup by st13, clearance search, fuzzy search (median of repeated queries);

then publishes the same two batches to a lake whose data path is on an S3-compatible server
(moto's server mode on 127.0.0.1, started from the lock) and times them side by side.

Usage: python bench/warehouse_bench.py [--sizes 1000000 10000000] [--delta 100000] [--out bench/out]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.home import HomeLayout
from ipetl import devservers
from ipetl.pipeline import lake_settings, registry_rows
from transforms.schema import TRADEMARKS
from warehouse import catalog
from warehouse.lake import LakeSettings, scalar
from warehouse.publish import Delivery, PublishOptions, PublishRequest, StagedFile, publish

SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ra",
    "te",
    "zu",
    "bo",
    "ne",
    "vi",
    "sa",
    "do",
    "fi",
    "gu",
    "pe",
    "xo",
    "li",
    "an",
    "or",
    "el",
    "us",
]


def _rows_sql(start: int, count: int, delivered: dt.date, variant: str) -> str:
    """SELECT of `count` canonical trademark rows with ids start..start+count-1."""
    words = (
        "(SELECT list(w) FROM (SELECT s1 || s2 || s3 AS w "
        f"FROM unnest({SYLLABLES}) a(s1), unnest({SYLLABLES}) b(s2), unnest({SYLLABLES}) c(s3) LIMIT 8000))"
    )
    types = duck_types()
    cols = []
    for f in TRADEMARKS:
        n = f.name
        expr = {
            "st13": "'US50' || (1950 + (i % 75))::VARCHAR || lpad(i::VARCHAR, 9, '0')",
            "office": "'US'",
            "collection": "'ustm'",
            "application_number": "lpad(i::VARCHAR, 8, '0')",
            "application_date": "DATE '1950-01-01' + ((i % 75) * 365 + i % 360)::INT",
            "registration_number": "CASE WHEN i % 3 = 0 THEN (1000000 + i)::VARCHAR END",
            "registration_date": "CASE WHEN i % 3 = 0 THEN DATE '1951-01-01' + ((i % 75) * 365 + i % 360)::INT END",
            "expiry_date": "CASE WHEN i % 3 = 0 THEN DATE '1961-01-01' + ((i % 75) * 365 + i % 360)::INT END",
            "status": "CASE WHEN i % 3 = 0 THEN 'Registered' WHEN i % 3 = 1 THEN 'Pending' ELSE 'Ended' END",
            "office_status": "(600 + i % 100)::VARCHAR",
            "mark_feature": "'Word'",
            "kind": "['Individual']",
            "mark_text": "upper(array_to_string(list_slice(list_transform(range(3), "
            "k -> W[1 + ((i * 2654435761 + k * 40503) % 8000)::INT]), 1, 1 + (i % 3)::INT), ' ')) "
            f"|| '{variant}'",
            "mark_text_language": "'en'",
            "nice_classes": "[(1 + i % 45)::SMALLINT, (1 + (i * 7) % 45)::SMALLINT]",
            "goods_services": "[{'class_number': (1 + i % 45)::SMALLINT, 'language': 'en', "
            "'text': 'goods of class ' || (1 + i % 45)::VARCHAR || ', namely widgets and gadgets'}]",
            "vienna_codes": "CASE WHEN i % 4 = 0 THEN ['26.04.01'] ELSE []::VARCHAR[] END",
            "applicants": "[{'name': 'OWNER ' || (i % 400000)::VARCHAR || ' INC', 'country_code': 'US', "
            "'address': (i % 9999)::VARCHAR || ' MAIN STREET'}]",
            # 1 to 8 events a mark (4.5 on average), a quarter of them of codes no table maps
            "events": "list_transform(range((1 + i % 8)::INT), k -> {'date': DATE '1950-01-01' + "
            "((i % 75) * 365 + k * 30)::INT, 'code': ['NWAP', 'DOCK', 'CNRT', 'MAIL', 'NPUB', 'PUBO', 'R.PR', "
            "'CFIT'][k + 1], 'text': 'EVENT ' || k::VARCHAR, 'category': CASE WHEN k % 4 = 3 THEN NULL "
            "ELSE 'Examined' END})",
            "source_file": f"'apc{delivered:%y%m%d}.zip'",
            "source_sha256": "'0' ",
            "ingested_at": "now()",
            "delivery_date": f"DATE '{delivered}'",
            "delivery_sequence": "0",
        }.get(n)
        cols.append(f"({expr if expr else 'NULL'})::{types[n]} AS {n}")
    return f"SELECT {', '.join(cols)} FROM (SELECT {words} AS W), range({start}, {start + count}) t(i)"


def duck_types() -> dict[str, str]:
    """The DuckDB type of each field of the trademarks table."""
    con = duckdb.connect()
    try:
        relation = con.from_arrow(TRADEMARKS.empty_table())
        return dict(zip(relation.columns, map(str, relation.types), strict=True))
    finally:
        con.close()


def _stage(tmp: Path, name: str, sql: str) -> StagedFile:
    path = tmp / f"{name}.parquet"
    con = duckdb.connect()
    con.execute(f"COPY ({sql}) TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
    rows = int(scalar(con, f"SELECT count(*) FROM '{path}'"))
    con.close()
    return StagedFile("ustm", "trademarks", path, name, rows)


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def _median_ms(con, sql: str, params_list) -> float:
    times = []
    for params in params_list:
        start = time.perf_counter()
        con.execute(sql, params).fetchall()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _publish_both(lake: LakeSettings, home: Path, base: StagedFile, delta: StagedFile):
    options = PublishOptions(spill_dir=HomeLayout(home).spill)
    _, load_s = _timed(
        lambda: publish(lake, PublishRequest([base], [], [Delivery("ustm", "base", "b", None)], ["ustm"]), options)
    )
    published, delta_s = _timed(
        lambda: publish(lake, PublishRequest([delta], [], [Delivery("ustm", "delta", "d", None)], ["ustm"]), options)
    )
    return load_s, published, delta_s


def bench(size: int, delta: int, work: Path, s3: devservers.S3Bucket) -> dict:
    home = work / f"home-{size}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    stage_dir = work / f"stage-{size}"
    shutil.rmtree(stage_dir, ignore_errors=True)
    stage_dir.mkdir()
    base = _stage(stage_dir, "base", _rows_sql(0, size, dt.date(2026, 1, 1), ""))
    half = delta // 2
    updates = (
        f"SELECT * REPLACE ('Ended' AS status) FROM ({_rows_sql(0, size, dt.date(2026, 2, 1), ' X')}) "
        f"USING SAMPLE {half} ROWS (reservoir, 42)"
    )
    new = _rows_sql(size, delta - half, dt.date(2026, 2, 1), "")
    staged = _stage(stage_dir, "delta", f"{updates} UNION ALL {new}")

    lake = lake_settings(home, environ={})
    load_s, published, delta_s = _publish_both(lake, home, base, staged)
    _, reindex_s = _timed(lambda: catalog.build_search(lake, home, force=True))
    con = catalog.open_catalog(lake, home, registry_rows())
    keys = [r[0] for r in con.execute("SELECT st13 FROM trademarks USING SAMPLE 20 ROWS (reservoir, 7)").fetchall()]
    words = [
        r[0].split()[0].lower()
        for r in con.execute("SELECT mark_text FROM trademarks USING SAMPLE 10 ROWS (reservoir, 9)").fetchall()
    ]
    result = {
        "rows": size,
        "delta": staged.rows,
        "upserted": published.upserted,
        "initial load s": round(load_s, 1),
        "delta publish s": round(delta_s, 1),
        "search build s": round(reindex_s, 1),
        "point lookup ms": round(_median_ms(con, "SELECT * FROM trademarks WHERE st13 = ?", [[k] for k in keys]), 1),
        "search query ms": round(_median_ms(con, "SELECT * FROM search_marks(?, lim := 20)", [[w] for w in words]), 1),
        "search + class filter ms": round(
            _median_ms(con, "SELECT * FROM search_marks(?, classes := [9], lim := 20)", [[w] for w in words]), 1
        ),
        "fuzzy query ms": round(
            _median_ms(
                con, "SELECT * FROM similar_marks(?, min_similarity := 0.9, lim := 20)", [[w] for w in words[:5]]
            ),
            1,
        ),
    }
    con.close()
    shutil.rmtree(home, ignore_errors=True)

    s3_home = work / f"home-s3-{size}"
    shutil.rmtree(s3_home, ignore_errors=True)
    s3_home.mkdir(parents=True)
    s3_lake = lake_settings(s3_home, data=f"{s3.url}bench-{size}/", environ=s3.env)
    s3_load_s, _, s3_delta_s = _publish_both(s3_lake, s3_home, base, staged)
    result["S3: initial load s"] = round(s3_load_s, 1)
    result["S3: delta publish s"] = round(s3_delta_s, 1)
    result["S3/local delta"] = round(s3_delta_s / delta_s, 2)
    shutil.rmtree(s3_home, ignore_errors=True)
    shutil.rmtree(stage_dir, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--delta", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    server = devservers.start_s3(args.out / "s3-server")
    try:
        bucket = devservers.create_bucket(server, "ipetl-bench")
        results = [bench(size, args.delta, args.out, bucket) for size in args.sizes]
    finally:
        server.stop()
    keys = list(results[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in results:
        print("| " + " | ".join(str(r[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
