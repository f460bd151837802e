"""Clearance search benchmark: recall@10 and MRR per category, query latency, index build and refresh.

The register searched is the target marks of bench/clearance_eval.tsv (one per distinct mark)
among generated distractors, published to a lake through the real publish path; the search
database is built from it as after any publish (catalog.build_search) and searched through
open_catalog, as `ipetl search` does. Distractors are 1-3 word marks: 70% Latin words
(pronounceable coined words of two or three syllables, common English brand words, and the
targets' words, so that a target's words recur in other marks), 30% words in Cyrillic, Greek,
Hebrew, Arabic, Thai, Hangul, kana and Han (random letter strings). Two rules keep the set fair:
no distractor is one of the eval's marks or queries over again (a one-word distractor is never a
target's or a query's word: such a copy would be a second right answer, not a distractor), and
targets get keys among the distractors' (a tie in score is broken by key, which must not favour
or disfavour the targets). Near-spellings and sound-alikes are left in: they are what clearance
search has to rank.

Each eval row is one search (`search_marks(query, lim := 10)`): recall@10 is the share of rows
whose target is among the 10 hits, MRR the mean of 1/rank (0 when missed). Latency is per query,
wall clock, one query at a time. Then a delta of --delta keys is published (half updated marks,
half new ones, 1% of them deleted) and the search database brought up to date (a refresh in a
copy from the lake's change feed), against the full build.

Usage: python bench/clearance_bench.py [--marks 1000000 10000000] [--delta 100000] [--out bench/out]
                                      [--misses FILE] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from warehouse_bench import duck_types  # this folder is on the path of a script run from it

from connectors.home import HomeLayout
from ipetl.pipeline import lake_settings
from transforms.schema import TRADEMARKS
from warehouse import catalog, search
from warehouse.lake import LakeSettings
from warehouse.publish import Delivery, PublishOptions, PublishRequest, StagedFile, publish
from warehouse.search_keys import latin_forms

EVAL = Path(__file__).resolve().parent / "clearance_eval.tsv"
ONSETS = [*"bcdfghklmnprstvz", "br", "cl", "st", "tr", "gr", "pl", "sh", "ch"]
VOWELS = ["a", "e", "i", "o", "u", "ea", "io", "y"]
CODAS = ["", "", "", "n", "r", "s", "x", "l", "m", "t"]
ENGLISH = str.split(
    "sun star gold blue green red king royal crown eagle lion tiger river ocean mountain golden silver "
    "smart fresh pure natural happy magic bright fast swift prime alpha omega nova vita bio eco max "
    "city urban home family garden valley forest spring summer winter light dark fire ice stone rock "
    "wave wind cloud sky moon planet global power energy active sport fit health care life joy"
)
GENERIC = str.split("foods group inc ltd international company co premium original plus pro the shop store")
# per script: the letters a generated word is made of (syllables for Hangul, kana and Han)
SCRIPTS = {
    "Cyrillic": "абвгдежзиклмнопрстуфхцчшыэюя",
    "Greek": "αβγδεζηθικλμνξοπρστυφχψω",
    "Hebrew": "אבגדהוזחטיכלמנסעפצקרשת",
    "Arabic": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
    "Thai": "กขคงจฉชซญดตถทธนบปผพฟภมยรลวศษสหอฮะาิีึืุูเแโไ",
    "Hangul": "".join(
        chr(0xAC00 + (lead * 21 + vowel) * 28 + tail)
        for lead in range(0, 19, 2)
        for vowel in range(0, 21, 3)
        for tail in (0, 4, 8)
    ),
    "Kana": "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン"
    "ガギグゲゴパピプペポー",
    "Han": "".join(chr(c) for c in range(0x4E00, 0x4E00 + 3000, 3)),
}


def _eval_rows() -> list[dict[str, str]]:
    with open(EVAL, encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def _latin_words(text: str) -> set[str]:
    return {form for token in text.lower().replace("-", " ").split() for form in latin_forms(token) if form}


def _vocabularies(rows: list[dict[str, str]], rng: random.Random) -> tuple[list[list[str]], list[int]]:
    """Word lists ([Latin, then one per script]) and, per list, how many of its first words a
    one-word distractor is drawn from: the words that are no eval mark's or query's word."""
    syllables = [o + v + c for o in ONSETS for v in VOWELS for c in CODAS]
    coined = {rng.choice(syllables) + rng.choice(syllables) for _ in range(100_000)}
    coined |= {rng.choice(syllables) + rng.choice(syllables) + rng.choice(syllables) for _ in range(200_000)}
    eval_words: set[str] = set()
    for row in rows:
        eval_words |= _latin_words(row["mark"]) | _latin_words(row["query"])
    target_words = {w for row in rows if row["mark"].isascii() for w in _latin_words(row["mark"])}
    free = sorted(w for w in coined | set(ENGLISH) | set(GENERIC) if latin_forms(w)[0] not in eval_words)
    lists = [free + sorted(target_words - set(free))]
    singles = [len(free)]
    for letters in SCRIPTS.values():
        lengths = (2, 3) if letters[0] >= "\u3000" else (4, 6)  # CJK words are 2-3 characters
        words = {"".join(rng.choice(letters) for _ in range(rng.randint(*lengths))) for _ in range(100_000)}
        kept = sorted(w for w in words if not set(latin_forms(w)) & eval_words)
        lists.append(kept)
        singles.append(len(kept))
    return lists, singles


def _register_sql(marks: int, step: int) -> str:
    """`marks` distractor rows (7 in 10 Latin, the others in the eight scripts in turn; 1-3 words
    drawn by hashing the mark's number and the word's place: not (i * a + k * b) mod the
    vocabulary's size, which repeated every 2-3 word mark every 300,000 marks, 33 copies of each
    at 10M) and the targets: distractor n has key number 2n, target t 2 t step + 1."""
    types = duck_types()
    values = {
        "st13": "'XX5' || lpad(num::VARCHAR, 14, '0')",
        "office": "'XX'",
        "collection": "'xxtm'",
        "application_number": "num::VARCHAR",
        "application_date": "app_date",
        "status": "status",
        "mark_feature": "'Word'",
        "mark_text": "mark_text",
        "nice_classes": "[class]",
        "vienna_codes": "[]::VARCHAR[]",
        "applicants": "[{'name': owner, 'country_code': NULL, 'address': NULL}]",
        "source_file": "'bench.xml'",
        "delivery_date": "DATE '2026-01-01'",
        "delivery_sequence": "0",
    }
    columns = ", ".join(f"({values.get(f.name, 'NULL')})::{types[f.name]} AS {f.name}" for f in TRADEMARKS)
    return f"""
    WITH gen AS (SELECT i, CASE WHEN i % 10 < 7 THEN 1 ELSE 2 + (i * 7 + i // 10) % 8 END AS s,
                        (i * 11) % 3 + 1 AS n_words FROM range({marks}) t(i)),
    picks AS (
        SELECT i, s, k,
               (hash(i, k) % (CASE WHEN n_words = 1 THEN singles ELSE sizes END)[s])::BIGINT AS idx
        FROM gen, range(3) r(k), sizes WHERE k < n_words),
    texts AS (SELECT i, string_agg(v.word, ' ' ORDER BY k) AS mark_text
              FROM picks JOIN vocab v USING (s, idx) GROUP BY i),
    register AS (
        SELECT 2 * i AS num, mark_text,
               CASE i % 3 WHEN 0 THEN 'Registered' WHEN 1 THEN 'Pending' ELSE 'Ended' END AS status,
               (1 + i % 45)::SMALLINT AS class, 'OWNER ' || (i % 400000)::VARCHAR || ' INC' AS owner,
               DATE '1980-01-01' + (i % 15000)::INT AS app_date
        FROM texts
        UNION ALL
        SELECT 2 * n * {step} + 1, mark_text, 'Registered', 9::SMALLINT, 'TARGET OWNER', DATE '2020-01-01'
        FROM targets)
    SELECT {columns} FROM register"""


def _stage(path: Path, marks: int, targets: list[str], rows: list[dict[str, str]]) -> int:
    """Write the register as a staged Parquet file; the number of its rows."""
    vocabularies, singles = _vocabularies(rows, random.Random(17))
    con = duckdb.connect()
    try:
        con.execute(
            "CREATE TABLE vocab AS SELECT s, unnest(words) AS word, generate_subscripts(words, 1) - 1 AS idx "
            "FROM (SELECT unnest(?::VARCHAR[][]) AS words, unnest(range(1, ?)) AS s)",
            [vocabularies, len(vocabularies) + 1],
        )
        con.execute(
            "CREATE TABLE sizes AS SELECT ?::BIGINT[] AS sizes, ?::BIGINT[] AS singles",
            [[len(v) for v in vocabularies], singles],
        )
        con.execute(
            "CREATE TABLE targets AS SELECT unnest(?::VARCHAR[]) AS mark_text, unnest(range(?)) AS n",
            [targets, len(targets)],
        )
        sql = _register_sql(marks, max(marks // len(targets), 1))
        con.execute(f"COPY ({sql}) TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
        return int(con.execute(f"SELECT count(*) FROM '{path}'").fetchall()[0][0])
    finally:
        con.close()


def _delta(register: Path, path: Path, tombstones: Path, marks: int, delta: int) -> tuple[int, int]:
    """A delta of the register: `delta` keys, half of them distractors renamed, half new marks
    (copies of distractors with a word added), and 1% of them deleted (tombstones)."""
    distractor = "right(st13, 1) IN ('0', '2', '4', '6', '8')"  # targets have odd key numbers
    con = duckdb.connect()
    try:
        half = delta // 2
        con.execute(
            f"""COPY (SELECT * REPLACE (mark_text || ' NOVA' AS mark_text, 'Ended' AS status,
                                        DATE '2026-02-01' AS delivery_date)
                      FROM '{register}' WHERE {distractor} USING SAMPLE {half} ROWS (reservoir, 42)
                      UNION ALL
                      SELECT * REPLACE ('XY5' || substr(st13, 4) AS st13, 'XY' AS office,
                                        mark_text || ' ' || (hash(st13) % 1000)::VARCHAR AS mark_text,
                                        DATE '2026-02-01' AS delivery_date)
                      FROM '{register}' WHERE {distractor} USING SAMPLE {delta - half} ROWS (reservoir, 43))
                TO '{path}' (FORMAT parquet, COMPRESSION zstd)"""
        )
        con.execute(
            f"""COPY (SELECT 'trademarks' AS table_name, st13, NULL::VARCHAR AS design_number, collection, office,
                             '626' AS reason, 'bench-delta.xml' AS source_file, DATE '2026-02-01' AS delivery_date,
                             0 AS delivery_sequence
                      FROM '{register}' WHERE st13 LIKE '%0'
                      USING SAMPLE {max(delta // 100, 1)} ROWS (reservoir, 44))
                TO '{tombstones}' (FORMAT parquet)"""
        )
        return (
            int(con.execute(f"SELECT count(*) FROM '{path}'").fetchall()[0][0]),
            int(con.execute(f"SELECT count(*) FROM '{tombstones}'").fetchall()[0][0]),
        )
    finally:
        con.close()


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def _load() -> str:
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def evaluate(
    con: duckdb.DuckDBPyConnection, rows: list[dict[str, str]], st13: dict[str, str]
) -> tuple[dict[str, list[int | None]], list[float], list[float], list[str]]:
    """Each row's rank of its target (None when not in the 10 hits), the latencies (wall clock
    and CPU time of this process, all threads), and the misses."""
    ranks: dict[str, list[int | None]] = defaultdict(list)
    latencies = []
    cpu = []
    misses = []
    for row in rows:
        start, start_cpu = time.perf_counter(), time.process_time()
        hits = con.execute("SELECT st13, mark_text, match, score FROM search_marks(?, lim := 10)", [row["query"]])
        found = hits.fetchall()
        latencies.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        keys = [h[0] for h in found]
        target = st13[row["mark"]]
        ranks[row["category"]].append(keys.index(target) + 1 if target in keys else None)
        if target not in keys:
            shown = "; ".join(f"{h[1]} ({h[2]} {h[3]})" for h in found[:5])
            misses.append(f"{row['category']}\t{row['query']}\t{row['mark']}\t{shown}")
    return ranks, latencies, cpu, misses


def _publish(lake: LakeSettings, home: Path, name: str, files: list[StagedFile]) -> None:
    options = PublishOptions(spill_dir=HomeLayout(home).spill)
    publish(lake, PublishRequest(files, [], [Delivery("xxtm", name, name, None)], ["xxtm"]), options)


def _redefine_macros(home: Path) -> None:
    """The search macros of the code as it is now, in a kept search database."""
    con = duckdb.connect(str(HomeLayout(home).search))
    try:
        search.prepare(con)
        search.define_macros(con)
    finally:
        con.close()


def bench(marks: int, delta: int, work: Path, misses_file: Path | None, keep: bool) -> None:
    rows = _eval_rows()
    targets = sorted({r["mark"] for r in rows})
    home = work / f"clearance-{marks}"
    lake = lake_settings(home, environ={})
    register = home / "register.parquet"
    publish_s = build_s = 0.0
    load_before = _load()
    kept = keep and catalog.search_snapshot(HomeLayout(home).search) is not None  # of this index version
    if kept:
        _redefine_macros(home)
    else:
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        count = _stage(register, marks, targets, rows)
        _, publish_s = _timed(
            lambda: _publish(lake, home, "register", [StagedFile("xxtm", "trademarks", register, "register", count)])
        )
        load_before = _load()
        _, build_s = _timed(lambda: catalog.build_search(lake, home))
    con = catalog.open_catalog(lake, home, [])
    st13 = dict(
        con.execute(
            "SELECT mark_text, st13 FROM trademarks WHERE right(st13, 1) IN ('1', '3', '5', '7', '9')"
        ).fetchall()
    )
    ranks, latencies, cpu, misses = evaluate(con, rows, st13)
    con.close()
    load_queries = _load()
    print(
        f"### {marks:,} distractors + {len(targets)} target marks; {len(rows)} queries\n\n"
        f"register publish {publish_s:.0f} s; search database built in {build_s:.0f} s "
        f"(load average before: {load_before})\n"
    )
    print("| category | queries | recall@10 | MRR |")
    print("|---|---|---|---|")
    for category, found in ranks.items():
        recall = sum(r is not None for r in found) / len(found)
        mrr = sum(1 / r for r in found if r) / len(found)
        print(f"| {category} | {len(found)} | {recall:.3f} | {mrr:.3f} |")
    every = [r for found in ranks.values() for r in found]
    print(
        f"| all | {len(every)} | {sum(r is not None for r in every) / len(every):.3f} | "
        f"{sum(1 / r for r in every if r) / len(every):.3f} |"
    )
    latencies.sort()
    cpu.sort()
    print(
        f"\nquery latency: median {statistics.median(latencies):.0f} ms, "
        f"p95 {latencies[int(len(latencies) * 0.95)]:.0f} ms, max {latencies[-1]:.0f} ms; "
        f"CPU time per query: median {statistics.median(cpu):.0f} ms, p95 {cpu[int(len(cpu) * 0.95)]:.0f} ms "
        f"(load average after the queries: {load_queries})"
    )
    if misses_file:
        with open(misses_file, "a", encoding="utf-8") as f:
            f.write(f"# {marks}\n" + "\n".join(misses) + "\n")
    if kept:
        return
    changed, deleted = _delta(register, home / "delta.parquet", home / "tombstones.parquet", marks, delta)
    _publish(
        lake,
        home,
        "delta",
        [
            StagedFile("xxtm", "trademarks", home / "delta.parquet", "delta", changed),
            StagedFile("xxtm", "trademarks", home / "tombstones.parquet", "delta", deleted, tombstones=True),
        ],
    )
    _, refresh_s = _timed(lambda: catalog.build_search(lake, home))
    size_mb = HomeLayout(home).search.stat().st_size / 1e6
    print(
        f"after a publish of {changed:,} changed and {deleted:,} deleted marks: search database refreshed in "
        f"{refresh_s:.1f} s (a copy of its {size_mb:,.0f} MB file, then the changed keys re-indexed), "
        f"against {build_s:.0f} s for the full build (load average {_load()})\n"
    )
    if not keep:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--marks", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--delta", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    parser.add_argument("--misses", type=Path, default=None, help="append the missed queries and their hits here")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the lake and search database (refreshed after the delta), and search them again with "
        "the current macros if there, without a delta",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for marks in args.marks:
        bench(marks, args.delta, args.out, args.misses, args.keep)


if __name__ == "__main__":
    main()
