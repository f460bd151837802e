"""Search for brand clearance, inside the DuckDB catalog.

A `marks` table (one row per live trademark: key, office, status, dates, classes, Vienna codes,
mark text and applicant names) carries a full-text index built with DuckDB's FTS extension,
which is loaded from the duckdb-extension-fts wheel, never downloaded. Two table macros are
defined over it:

    search_marks(q, classes := [9, 42], offices := ['US'], statuses := ['Registered'],
                 vienna := ['26.04.01'], filed_from := DATE '2010-01-01', filed_to := ..., lim := 100)
        BM25 full-text match of q against mark text and applicant names, then exact filters.
    similar_marks(q, min_similarity := 0.85, classes := ..., offices := ..., statuses := ..., lim := 100)
        fuzzy match of the whole mark text: Jaro-Winkler similarity and edit distance.

Any session that calls them must have the extension loaded (`load_fts(con)`; `ipetl query` and
`ipetl search` do it).
"""

from __future__ import annotations

import duckdb

from warehouse import extensions

MARKS_SQL = """
CREATE OR REPLACE TABLE marks AS
SELECT st13, office, collection, status, mark_feature, mark_text,
       array_to_string(list_filter(list_transform(applicants, a -> a.name), n -> n IS NOT NULL), ' ; ')
           AS applicant_names,
       nice_classes, vienna_codes, application_date, registration_date, expiry_date
FROM trademarks
"""

# Nice classes are filtered through a 64-bit mask (bit n for class n): reading one integer per
# mark is cheap where reading 10M class lists is not (0.7 s against 0.2 s on 10M marks).
_CLASS_MASK = "list_reduce(list_transform({}, c -> (1::UBIGINT << c::INTEGER)), (a, b) -> a | b, 0::UBIGINT)"
_FILTERS = f"""
  AND (classes IS NULL OR (m._class_mask & {_CLASS_MASK.format("classes")}) != 0)
  AND (offices IS NULL OR list_contains(offices, m.office))
  AND (statuses IS NULL OR list_contains(statuses, m.status))
"""

# BM25 (k1 = 1.2, b = 0.75, as the extension's match_bm25) computed from the index's own
# tables for the query's terms only: the postings of a few terms, then one probe of `marks`.
# The extension's match_bm25 macro scores row by row over the whole table (2.5 s on 10M marks).
MACROS = [
    f"""
CREATE OR REPLACE MACRO search_marks(q, classes := NULL, offices := NULL, statuses := NULL, vienna := NULL,
                                     filed_from := NULL, filed_to := NULL, lim := 100) AS TABLE
WITH qterms AS (SELECT DISTINCT stem(unnest(fts_main_marks.tokenize(q)), 'porter') AS term),
qt AS (SELECT d.termid, d.df FROM fts_main_marks.dict d JOIN qterms USING (term)),
tf AS (SELECT t.docid, t.termid, count(*) AS tf FROM fts_main_marks.terms t SEMI JOIN qt USING (termid) GROUP BY ALL),
st AS (SELECT num_docs, avgdl FROM fts_main_marks.stats),
scored AS (
    SELECT m.st13, m.office, m.mark_text, m.applicant_names, m.status, m.nice_classes, m.vienna_codes,
           m.application_date,
           sum(ln((st.num_docs - qt.df + 0.5) / (qt.df + 0.5) + 1) * tf.tf * 2.2
               / (tf.tf + 1.2 * (0.25 + 0.75 * m._len / st.avgdl))) AS score
    FROM tf JOIN qt USING (termid) JOIN marks m ON m._docid = tf.docid, st
    WHERE true {_FILTERS}
      AND (vienna IS NULL OR list_has_any(m.vienna_codes, vienna))
      AND (filed_from IS NULL OR m.application_date >= filed_from)
      AND (filed_to IS NULL OR m.application_date <= filed_to)
    GROUP BY ALL
)
SELECT * FROM scored ORDER BY score DESC, st13 LIMIT lim
""",
    f"""
CREATE OR REPLACE MACRO similar_marks(q, min_similarity := 0.85, classes := NULL, offices := NULL,
                                      statuses := NULL, lim := 100) AS TABLE
SELECT m.st13, m.office, m.mark_text, m.applicant_names, m.status, m.nice_classes, m.application_date,
       jaro_winkler_similarity(lower(m.mark_text), lower(q)) AS similarity,
       levenshtein(lower(m.mark_text), lower(q)) AS edit_distance
FROM marks m
WHERE m.mark_text IS NOT NULL
  AND jaro_winkler_similarity(lower(m.mark_text), lower(q)) >= min_similarity {_FILTERS}
ORDER BY similarity DESC, edit_distance, m.st13
LIMIT lim
""",
]


def load_fts(con: duckdb.DuckDBPyConnection) -> None:
    """Load the FTS extension from its wheel; never from the network."""
    extensions.load(con, "fts")


def build_index(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create `marks`, its full-text index and the search macros in a catalog connection."""
    load_fts(con)
    con.execute(MARKS_SQL)
    con.execute(
        "PRAGMA create_fts_index('marks', 'st13', 'mark_text', 'applicant_names', stemmer = 'porter', overwrite = 1)"
    )
    # each mark's document id and length in the index (a search probes `marks` once), and its
    # classes as a bit mask
    con.execute(
        f"""CREATE OR REPLACE TABLE marks AS
        SELECT m.*, d.docid AS _docid, d.len AS _len, {_CLASS_MASK.format("m.nice_classes")} AS _class_mask
        FROM marks m JOIN fts_main_marks.docs d ON d.name = m.st13"""
    )
    for macro in MACROS:
        con.execute(macro)
