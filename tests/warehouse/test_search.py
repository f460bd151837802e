"""Brand-clearance search in the catalog: spellings, sounds and scripts; filters; the index
refreshed for the keys a publish changed equals the index built whole."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pyarrow as pa

from tests.warehouse.test_publish import FEB, JAN, record, rows, stage, tombstone
from transforms.schema import TRADEMARKS
from warehouse import catalog, search
from warehouse.publish import publish

MARKS = [
    record(
        "US50201500000001A",
        "APPLE PIE",
        JAN,
        nice_classes=[30],
        status="Registered",
        applicants=[{"name": "Orchard Foods LLC", "country_code": "US", "address": None}],
    ),
    record("US50201500000002A", "APPLE COMPUTERS", JAN, nice_classes=[9, 42], vienna_codes=["05.07.13"]),
    record("US50201500000003A", "APPEL", JAN, nice_classes=[9]),
    record(
        "US50201500000004A",
        "ORANGE",
        JAN,
        nice_classes=[9],
        applicants=[{"name": "Apple Growers Cooperative", "country_code": "US", "address": None}],
    ),
    record("GB50201500000005A", "APPLES", JAN, office="GB", collection="gbtm", nice_classes=[9]),
]
SCRIPTS = [
    record("RU50201500000011A", "Соня", JAN, office="RU", collection="rutm", nice_classes=[3]),
    record("KR50201500000012A", "삼성", JAN, office="KR", collection="krtm", nice_classes=[9]),
    record("JP50201500000013A", "コカ・コーラ", JAN, office="JP", collection="jptm", nice_classes=[32]),
    record("CN50201500000014A", "東京", JAN, office="CN", collection="cntm", nice_classes=[35]),
    record("TH50201500000015A", "โตโยต้า", JAN, office="TH", collection="thtm", nice_classes=[12]),
    record("US50201500000016A", "SONIA", JAN, nice_classes=[3]),
]


def _hits(lake, home, q, **filters):
    named = "".join(f", {k} := {v}" for k, v in filters.items())
    return rows(lake, home, f"select mark_text, match from search_marks('{q}'{named})")


def test_words_phonetic_and_applicants_with_filters(lake, home, tmp_path):
    publish(lake, stage(tmp_path, "d1", MARKS))
    hits = dict(_hits(lake, home, "apple"))
    # APPLES is the plural; APPEL sounds the same (Double Metaphone APL; the full-text search
    # before issue 17 did not find it); ORANGE is filed by Apple Growers
    assert hits == {
        "APPLES": "words",
        "APPLE PIE": "words",
        "APPLE COMPUTERS": "words",
        "APPEL": "phonetic",
        "ORANGE": "words",
    }
    assert [h[0] for h in _hits(lake, home, "apple")][:1] == ["APPLES"]
    assert _hits(lake, home, "apple", classes="[42]") == [("APPLE COMPUTERS", "words")]
    assert _hits(lake, home, "apple", offices="['GB']") == [("APPLES", "words")]
    assert _hits(lake, home, "apple", statuses="['Registered']") == [("APPLE PIE", "words")]
    assert _hits(lake, home, "apple", vienna="['05.07.13']") == [("APPLE COMPUTERS", "words")]
    assert _hits(lake, home, "apple", filed_from="DATE '2016-01-01'") == []  # all filed 2015-01-02


def test_split_joined_and_misspelt(lake, home, tmp_path):
    publish(lake, stage(tmp_path, "d1", MARKS))
    assert _hits(lake, home, "applepie")[0] == ("APPLE PIE", "exact")  # spacing is normalised away
    assert _hits(lake, home, "apple-computers")[0] == ("APPLE COMPUTERS", "exact")  # punctuation too
    assert _hits(lake, home, "apple computer")[0] == ("APPLE COMPUTERS", "words")
    # one edit from ORANGE, and another sound (ARMJ against ARNJ)
    assert _hits(lake, home, "oramge") == [("ORANGE", "fuzzy")]


def test_a_query_in_one_script_finds_marks_in_another(lake, home, tmp_path):
    publish(lake, stage(tmp_path, "d1", SCRIPTS))
    assert _hits(lake, home, "sonya")[0] == ("Соня", "transliterated")  # anyascii: Соня -> Sonya
    # sonia and sonya have the same loose form (suni): the same sound in another script
    assert _hits(lake, home, "sonia")[:2] == [("SONIA", "exact"), ("Соня", "transliterated")]
    assert _hits(lake, home, "Соня")[:2] == [("Соня", "exact"), ("SONIA", "transliterated")]
    assert _hits(lake, home, "samsung") == [("삼성", "phonetic")]  # samseong: both SMSNK
    assert _hits(lake, home, "Самсунг") == [("삼성", "phonetic")]  # Cyrillic query, Hangul mark
    assert _hits(lake, home, "coca cola") == [("コカ・コーラ", "transliterated")]  # koka kora: kukakura loosely
    assert _hits(lake, home, "tokyo") == [("東京", "transliterated")]  # the Japanese reading of Han
    assert _hits(lake, home, "toyota") == [("โตโยต้า", "transliterated")]
    assert _hits(lake, home, "טויוטה") == [("โตโยต้า", "transliterated")]  # Hebrew query, Thai mark


def test_score_ranks_closer_marks_first(lake, home, tmp_path):
    publish(lake, stage(tmp_path, "d1", MARKS))
    scores = rows(lake, home, "select mark_text, score from search_marks('apple pie')")
    assert scores[0] == ("APPLE PIE", 1.0)
    # APPLES is all one word of the query; ORANGE matches only through its applicant's name
    assert scores[1][0] == "APPLES" and scores[-1][0] == "ORANGE"
    assert all(a[1] > b[1] for a, b in zip(scores, scores[1:], strict=False))


def test_cli_search(lake, home, tmp_path):
    publish(lake, stage(tmp_path, "d1", MARKS))
    rows(lake, home, "select 1")  # builds the catalog
    out = subprocess.run(
        [sys.executable, "-m", "ipetl.cli", "search", "apple", "--class", "42", "--home", str(home), "--format", "csv"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "st13,office,mark_text,applicant_names,status,nice_classes,match,score"
    assert out.stdout.splitlines()[1].startswith('US50201500000002A,US,APPLE COMPUTERS,,Pending,"[9, 42]",words,')
    fuzzy = subprocess.run(
        [sys.executable, "-m", "ipetl.cli", "search", "appel", "--fuzzy", "--home", str(home), "--format", "csv"],
        capture_output=True,
        text=True,
    )
    assert fuzzy.stdout.splitlines()[1].startswith("US50201500000003A,US,APPEL")


def test_fuzzy_search(lake, home, tmp_path):
    publish(lake, stage(tmp_path, "d1", MARKS))
    hits = rows(lake, home, "select mark_text, edit_distance from similar_marks('apple', min_similarity := 0.9)")
    assert ("APPEL", 2) in hits and ("APPLES", 1) in hits
    assert ("ORANGE", 5) not in hits
    assert rows(
        lake,
        home,
        "select mark_text from similar_marks('apple', min_similarity := 0.9, classes := [9], offices := ['US'])",
    ) == [("APPEL",)]


def _catalog(records) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("_rows", pa.Table.from_pylist(records, schema=TRADEMARKS))
    con.execute("CREATE TABLE trademarks AS SELECT * FROM _rows")
    con.unregister("_rows")
    return con


def _index_content(con):
    """The index as st13-keyed rows (document numbers differ between builds), and some searches."""
    marks = con.execute("SELECT * EXCLUDE (_doc) FROM marks ORDER BY st13").fetchall()
    postings = con.execute(
        "SELECT m.st13, p.term FROM search_postings p JOIN marks m ON m._doc = p.doc ORDER BY ALL"
    ).fetchall()
    results = [
        con.execute("SELECT st13, match, score FROM search_marks(?)", [q]).fetchall()
        for q in ["apple", "sonia", "samsung", "oramge", "apple pie", "tokyo"]
    ]
    return marks, postings, results


# US...02A renamed, RU...17A new (Cyrillic), US...03A deleted
CHANGED = [
    record("US50201500000002A", "APPLE COMPUTING", FEB, nice_classes=[9]),
    record("RU50201500000017A", "Самсунг", FEB, office="RU", collection="rutm"),
]
REMOVED = "US50201500000003A"


def test_refresh_for_changed_keys_equals_a_full_build():
    before = MARKS + SCRIPTS
    after = [r for r in before if r["st13"] not in {REMOVED, CHANGED[0]["st13"]}] + CHANGED
    refreshed = _catalog(before)
    search.build_index(refreshed)
    refreshed.execute("DROP TABLE trademarks")
    refreshed.register("_rows", pa.Table.from_pylist(after, schema=TRADEMARKS))
    refreshed.execute("CREATE TABLE trademarks AS SELECT * FROM _rows")
    keys = sorted({r["st13"] for r in CHANGED} | {REMOVED})
    refreshed.execute("CREATE TABLE changed_keys AS SELECT unnest(?::VARCHAR[]) AS st13", [keys])
    search.refresh_index(refreshed, "changed_keys")
    built = _catalog(after)
    search.build_index(built)
    assert _index_content(refreshed) == _index_content(built)
    # and the change is visible: the new Cyrillic mark (Самсунг reads samsung) is found, the removed one is not
    assert ("RU50201500000017A", "transliterated") in [r[:2] for r in _index_content(refreshed)[2][2]]
    assert REMOVED not in [r[0] for r in _index_content(refreshed)[2][0]]


def test_publish_refreshes_the_search_database_from_the_lakes_change_feed(lake, home, tmp_path):
    publish(lake, stage(tmp_path, "d1", MARKS + SCRIPTS))
    catalog.build_search(lake, home)
    publish(lake, stage(tmp_path, "d2", CHANGED, tombstones=[tombstone(REMOVED, FEB)]))
    path = catalog.build_search(lake, home)  # refreshed: the marks it holds keep their numbers
    con = duckdb.connect(str(path), read_only=True)
    kept = con.execute("SELECT _doc FROM marks WHERE st13 = 'US50201500000001A'").fetchall()
    new = con.execute("SELECT _doc FROM marks WHERE st13 = 'RU50201500000017A'").fetchall()
    con.close()
    # numbered in key order by the first build; the new one after them
    assert kept == [(sorted(r["st13"] for r in MARKS + SCRIPTS).index("US50201500000001A") + 1,)]
    assert new == [(len(MARKS + SCRIPTS) + 1,)]
    searches = ["apple", "samsung", "apple computing"]
    refreshed = [rows(lake, home, f"select st13, match, score from search_marks('{q}')") for q in searches]
    catalog.build_search(lake, home, force=True)
    assert refreshed == [rows(lake, home, f"select st13, match, score from search_marks('{q}')") for q in searches]
    assert ("US50201500000002A", "exact", 1.0) in refreshed[2]
    assert REMOVED not in [h[0] for h in refreshed[0]]


def test_a_build_in_batches_of_keys_equals_one_build(monkeypatch):
    marks = MARKS + SCRIPTS + CHANGED[1:]
    whole = _catalog(marks)
    search.build_index(whole)
    monkeypatch.setattr(search, "BUILD_BATCH", 4)  # 12 marks: three batches of keys
    batched = _catalog(marks)
    search.build_index(batched)
    assert (
        batched.execute("SELECT * FROM marks ORDER BY _doc").fetchall()
        == whole.execute("SELECT * FROM marks ORDER BY _doc").fetchall()
    )
    assert _index_content(batched) == _index_content(whole)


def test_the_picture_index_follows_a_refreshed_search_database(lake, home, tmp_path):
    """The search database is refreshed (not rebuilt) after the second publish: the pictures of
    its new record are in `image_index` too."""
    from tests.warehouse.test_publish import FEB, JAN, A, B, committed, picture, record, rows, stage, with_pictures

    def pictured(st13: str, delivered, phash: int) -> dict:
        return {**picture(st13, delivered, 1, st13), "phash": phash, "dhash": phash, "shapehash": phash}

    d1 = stage(tmp_path, "d1", [record(A, "ALPHA", JAN)])
    committed(lake, with_pictures(tmp_path, d1, "d1", [pictured(A, JAN, 1)]))
    assert rows(lake, home, "select st13 from image_index") == [(A,)]
    d2 = stage(tmp_path, "d2", [record(B, "BETA", FEB)])
    committed(lake, with_pictures(tmp_path, d2, "d2", [pictured(B, FEB, 2**63 + 5)]))
    assert rows(lake, home, "select st13 from image_index order by 1") == [(A,), (B,)]
