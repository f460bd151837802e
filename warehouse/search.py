"""Search for brand clearance, inside a DuckDB database that has a `trademarks` table or view.

The search keys of every mark text and applicant name (warehouse/search_keys.py: Latin forms,
loose forms, phonetic keys, typo neighbours) are computed once, when the index is built or
refreshed at publish, and stored; a query computes its own and looks them up. `build_index(con)`
makes the search tables from `trademarks`; `refresh_index(con, keys)` brings them up to date for
the keys a publish changed, in proportion to those keys. `prepare(con)` registers the Python
functions the search macro calls (every session that searches needs them).

Tables (described in the README):
  marks            one row per trademark: key, filters, mark text, applicant names, and the
                   mark's Latin form (`latin`, `latin_alt` for a second reading), its loose form
                   (`loose`, `loose_alt`), its script and its number of words; `_doc` is its
                   number in the postings.
  search_postings  (term, doc, ...), sorted by term: the inverted index. A term is a kind letter
                   and a Latin word: w a word of the mark (also two neighbours joined, and the whole
                   mark joined), a a word of its applicants' names. Each posting carries what the
                   rerank and the usual filters read of its mark (script, Latin and loose forms,
                   number of words, class mask, office, status), so a query reads the postings of
                   its terms and never scans `marks` (a scan of 10M marks costs 150-300 ms).
  search_tokens    token -> Latin forms and script (each distinct token computed once).
  search_words     Latin word -> phonetic keys, loose form, skeleton, sound keys.
  search_sounds    (key, term, loose), sorted by key: the mark terms (words and joined words) of
                   each sound key (p + a Double Metaphone key, s + a skeleton, d + a skeleton one
                   consonant shorter; see search_keys), with their loose forms: a query's
                   sound-alikes are found here, ranked by loose-form similarity, and only the
                   closest are looked up in the postings (a short key like NK has thousands of
                   terms at 10M marks).
  search_fuzzy     (del_key, term): typo neighbours. del_key is w + a one-letter deletion of a
                   word, or p + one of a phonetic key (5+ sounds); term is w + the word or p + the key.

Macros:
    search_marks(q, classes := [9, 42], offices := ['US'], statuses := ['Registered'],
                 vienna := ['26.04.01'], filed_from := DATE '2010-01-01', filed_to := ..., lim := 100)
        clearance search over words, phonetic keys, transliterations and typos together; each hit
        has `match` (exact, transliterated, words, phonetic, fuzzy) and one `score`.
    similar_marks(q, min_similarity := 0.85, classes := ..., offices := ..., statuses := ..., lim := 100)
        Jaro-Winkler similarity of the whole mark text, with its edit distance.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import duckdb
import pyarrow as pa
from duckdb import sqltypes
from duckdb.func import FunctionNullHandling

from warehouse.search_keys import (
    GENERIC_WORDS,
    LEGAL_FORMS,
    deletion_keys,
    indexed_sound_keys,
    key_deletion_keys,
    latin_forms,
    loose_form,
    max_edits,
    near_sound_keys,
    phonetic_keys,
    plural_variants,
    script_of,
    skeleton,
    sound_keys,
)

# Bumped when the index's tables or keys change: a search database of another version is built again.
INDEX_VERSION = 3
# Sound-alike terms looked up per query term, the closest by loose form first.
SOUND_TERMS = 64
# Marks indexed at a time by a full build.
BUILD_BATCH = 2_000_000

# Nice classes are filtered through a 64-bit mask (bit n for class n): reading one integer per
# mark is cheap where reading 10M class lists is not (0.7 s against 0.2 s on 10M marks).
_CLASS_MASK = "list_reduce(list_transform({}, c -> (1::UBIGINT << c::INTEGER)), (a, b) -> a | b, 0::UBIGINT)"
_FILTERS = f"""
  AND (classes IS NULL OR (m._class_mask & {_CLASS_MASK.format("classes")}) != 0)
  AND (offices IS NULL OR list_contains(offices, m.office))
  AND (statuses IS NULL OR list_contains(statuses, m.status))
"""


# what a posting carries of its mark (`m`)
_POSTED = (
    "m._doc AS doc, m.script, m.latin, m.latin_alt, m.loose, m.loose_alt, m.n_words, m._class_mask, m.office, m.status"
)


def _sql_words(words: Iterable[str]) -> str:
    return "[" + ", ".join(f"'{w}'" for w in sorted(words)) + "]"


# Scalar macros shared by the index build and the query, so both cut and join text alike.
HELPERS = [
    # tokens: runs of letters, digits and combining marks, apostrophes dropped (McDonald's)
    r"""CREATE OR REPLACE MACRO search_tokens(text) AS
    list_filter(regexp_split_to_array(lower(regexp_replace(coalesce(text, ''), '[''’`´]', '', 'g')),
                                      '[^\pL\pN\pM]+'), t -> t <> '')""",
    # each word, two neighbours joined, the whole text joined (3+ words), with the word positions
    # each covers: "apple pie" is found by "applepie" and the other way round
    """CREATE OR REPLACE MACRO search_joined(ws) AS list_filter(list_concat(
        list_transform(range(1, len(ws) + 1), i -> {'term': ws[i], 'slots': [i]}),
        list_transform(range(1, len(ws)), i -> {'term': ws[i] || ws[i + 1], 'slots': [i, i + 1]}),
        list_filter([{'term': array_to_string(ws, ''), 'slots': range(1, len(ws) + 1)}], x -> len(ws) >= 3)),
      x -> x.term IS NOT NULL AND x.term <> '')""",
    # the joined terms of search_joined with their sound: the words' first phonetic keys and
    # loose forms joined alike (ks, ls: one per word of ws)
    """CREATE OR REPLACE MACRO search_joined_sounds(ws, ks, ls) AS list_filter(list_concat(
        list_transform(range(1, len(ws)), i -> {'key': ks[i] || ks[i + 1], 'term': ws[i] || ws[i + 1],
                                                'loose': ls[i] || ls[i + 1], 'slots': [i, i + 1]}),
        list_filter([{'key': array_to_string(ks, ''), 'term': array_to_string(ws, ''),
                      'loose': array_to_string(ls, ''), 'slots': range(1, len(ws) + 1)}], x -> len(ws) >= 3)),
      x -> x.key IS NOT NULL AND x.key <> '')""",
    # how alike two loose forms sound across scripts: half Jaro-Winkler, half that of their
    # consonants (scripts without most vowels, vowels added by kana and Hangul, Thai's own)
    """CREATE OR REPLACE MACRO search_sound_similarity(a, b) AS
    0.5 * jaro_winkler_similarity(a, b)
    + 0.5 * jaro_winkler_similarity(regexp_replace(a, '[aiu]', '', 'g'), regexp_replace(b, '[aiu]', '', 'g'))""",
]

MARKS_SELECT = f"""
SELECT st13, office, collection, status, mark_feature, mark_text,
       array_to_string(list_filter(list_transform(applicants, a -> a.name), n -> n IS NOT NULL), ' ; ')
           AS applicant_names,
       nice_classes, vienna_codes, application_date, registration_date, expiry_date,
       {_CLASS_MASK.format("nice_classes")} AS _class_mask
FROM trademarks
"""

# A query's hits, in two steps. Candidates: its words (joined as in the index, and in their other
# number), the index terms that sound like them (the SOUND_TERMS closest by loose form and
# consonants among the terms sharing a sound key, or one a consonant or sound apart) and those
# within max_edits of them, all looked up in search_postings. Rerank, from what the postings
# carry: per mark the share of the query covered (the best evidence per query word; generic
# words weigh 0.3), how much of the mark that is (all of it when the whole mark sounds like the
# whole query: its loose form is the query's), the Jaro-Winkler similarity of the joined loose
# forms (half of it on their consonants across scripts, or where Hebrew or Arabic, written
# without most vowels), and a little of that of the Latin forms, which orders marks of one loose
# form.
SEARCH_MARKS = f"""
CREATE OR REPLACE MACRO search_marks(q, classes := NULL, offices := NULL, statuses := NULL, vienna := NULL,
                                     filed_from := NULL, filed_to := NULL, lim := 100) AS TABLE
WITH qtok AS (SELECT unnest(toks) AS token, generate_subscripts(toks, 1) AS pos FROM (SELECT search_tokens(q) AS toks)),
qlat AS (SELECT pos, search_latin(token) AS lat FROM qtok),
qforms AS (
    SELECT r.form, list(lat[r.form] ORDER BY pos) FILTER (WHERE lat[r.form] <> '') AS words
    FROM qlat, range(1, 3) r(form) GROUP BY r.form HAVING len(words) > 0),
qwords AS (
    SELECT form, word, slot, search_phonetic(word) AS keys, search_loose(word) AS loose,
           coalesce(search_skeleton(word), '') AS bone,
           CASE WHEN list_contains({_sql_words(GENERIC_WORDS)}, word) THEN 0.3 ELSE 1.0 END AS weight
    FROM (SELECT form, unnest(words) AS word, generate_subscripts(words, 1) AS slot FROM qforms)),
qtotal AS (
    SELECT form, sum(weight) AS total, list(word ORDER BY slot) AS words,
           list(coalesce(keys[1], '') ORDER BY slot) AS pkeys, list(loose ORDER BY slot) AS looses,
           list(bone ORDER BY slot) AS bones
    FROM qwords GROUP BY form),
qjoined AS (
    SELECT form, 'p' AS kind, unnest(search_joined_sounds(words, pkeys, looses)) AS j FROM qtotal
    UNION ALL SELECT form, 's', unnest(search_joined_sounds(words, bones, looses)) FROM qtotal),
-- each query word and joined term with the keys it sounds by (0.75) and those one consonant of
-- skeleton or one phonetic sound apart (0.65)
qsounds AS (
    SELECT form, [slot] AS slots, loose, unnest(search_sound_keys(word)) AS key, 0.75 AS strength FROM qwords
    UNION ALL SELECT form, [slot], loose, unnest(search_near_sound_keys(word)), 0.65 FROM qwords
    UNION ALL SELECT form, j.slots, j.loose, kind || j.key, 0.75 FROM qjoined
    UNION ALL SELECT form, j.slots, j.loose, unnest(search_sound_keys(j.term)), 0.75 FROM qjoined WHERE kind = 'p'),
qsound_keys AS (
    SELECT form, slots, loose, key, strength FROM qsounds
    UNION ALL
    SELECT DISTINCT s.form, s.slots, s.loose, f.term, 0.65
    FROM (SELECT *, 'p' || unnest(search_key_deletion_keys(key[2:])) AS del_key FROM qsounds
          WHERE key[1] = 'p' AND strength = 0.75) s
    JOIN search_fuzzy f USING (del_key)
    WHERE damerau_levenshtein(f.term, s.key) = 1),
sound_cand AS (
    SELECT k.form, k.slots, s.term, max(k.strength) AS strength, max(search_sound_similarity(k.loose, s.loose)) AS sim
    FROM qsound_keys k JOIN search_sounds s USING (key) GROUP BY ALL),
-- the closest sound-alikes of each query term (a top-n aggregate: a window over them costs more)
sound_top AS (
    SELECT form, slots,
           unnest(arg_max({{'term': term, 'strength': strength}}, (sim, strength, term), {SOUND_TERMS})) AS t
    FROM sound_cand GROUP BY form, slots),
qterms AS (
    SELECT 'w' || j.term AS term, form, j.slots, 1.0 AS strength, 1 AS kind
    FROM (SELECT form, unnest(search_joined(words)) AS j FROM qforms)
    UNION ALL SELECT 'w' || unnest(search_plural_variants(word)), form, [slot], 0.95, 1 FROM qwords
    UNION ALL SELECT 'a' || word, form, [slot], 0.6, 1 FROM qwords
    UNION ALL SELECT 'w' || t.term, form, slots, t.strength, 2 FROM sound_top
    UNION ALL
    SELECT DISTINCT f.term, j.form, j.slots, 0.8 - 0.1 * damerau_levenshtein(f.term[2:], j.term), 3
    FROM (SELECT form, j.term, j.slots, 'w' || unnest(search_deletion_keys(j.term)) AS del_key
          FROM (SELECT form, unnest(search_joined(words)) AS j FROM qforms)) j JOIN search_fuzzy f USING (del_key)
    WHERE damerau_levenshtein(f.term[2:], j.term) BETWEEN 1 AND search_max_edits(j.term)),
hits AS (
    SELECT m.*, t.form, t.slots, t.strength, t.kind FROM search_postings m JOIN qterms t USING (term)
    WHERE true {_FILTERS}),
slot_best AS (
    SELECT h.doc, h.form, h.slot, max(h.strength) AS strength, arg_max(h.kind, h.strength) AS kind
    FROM (SELECT *, unnest(slots) AS slot FROM hits) h GROUP BY ALL),
doc_form AS (
    SELECT b.doc, b.form, sum(b.strength * w.weight) / any_value(t.total) AS cover, count(*) AS matched,
           min(b.kind) AS kind
    FROM slot_best b JOIN qwords w USING (form, slot) JOIN qtotal t USING (form) GROUP BY ALL),
-- the Vienna and filing date filters read `marks`; without them the subquery is constant-false
-- and reads nothing (a scan of the whole of `marks` otherwise)
cand AS (
    SELECT doc, max(cover) AS cover, arg_max(matched, cover) AS matched, arg_max(kind, cover) AS kind
    FROM doc_form
    WHERE (vienna IS NULL AND filed_from IS NULL AND filed_to IS NULL)
       OR doc IN (SELECT _doc FROM marks
                  WHERE NOT (vienna IS NULL AND filed_from IS NULL AND filed_to IS NULL)
                    AND (vienna IS NULL OR list_has_any(vienna_codes, vienna))
                    AND (filed_from IS NULL OR application_date >= filed_from)
                    AND (filed_to IS NULL OR application_date <= filed_to))
    GROUP BY doc),
docs AS (SELECT DISTINCT ON (doc) doc, script, latin, latin_alt, loose, loose_alt, n_words FROM hits),
qtext AS (SELECT (SELECT list(array_to_string(words, '')) FROM qforms) AS compacts,
                 (SELECT list(array_to_string(list_transform(words, w -> search_loose(w)), '')) FROM qforms) AS looses,
                 search_script(q) AS script),
scored AS (
    SELECT m.doc, m.script = qt.script AS same_script, c.kind,
           list_has_any(qt.compacts, [replace(m.latin, ' ', ''), replace(m.latin_alt, ' ', '')]) AS same_text,
           list_has_any(qt.looses, [m.loose, m.loose_alt]) AS same_sound,
           0.55 * c.cover + 0.15 * CASE WHEN list_has_any(qt.looses, [m.loose, m.loose_alt]) THEN 1
                                        ELSE least(1, c.matched / greatest(m.n_words, 1)) END
             + 0.25 * list_max(list_transform(qt.looses, x -> CASE
                   WHEN m.script <> qt.script OR m.script IN ('Hebrew', 'Arabic')
                   THEN greatest(search_sound_similarity(x, m.loose),
                                 coalesce(search_sound_similarity(x, m.loose_alt), 0))
                   ELSE greatest(jaro_winkler_similarity(x, m.loose),
                                 coalesce(jaro_winkler_similarity(x, m.loose_alt), 0)) END))
             + 0.05 * list_max(list_transform(qt.compacts, x -> greatest(
                   jaro_winkler_similarity(x, replace(m.latin, ' ', '')),
                   coalesce(jaro_winkler_similarity(x, replace(m.latin_alt, ' ', '')), 0))))
             AS similarity_score
    FROM cand c JOIN docs m USING (doc), qtext qt),
best AS (
    SELECT doc AS _doc,
           CASE WHEN same_text AND same_script THEN 'exact'
                WHEN same_text OR ((kind = 1 OR same_sound) AND NOT same_script) THEN 'transliterated'
                WHEN kind = 1 THEN 'words' WHEN kind = 2 OR same_sound THEN 'phonetic' ELSE 'fuzzy' END AS match,
           round(CASE WHEN same_text AND same_script THEN 1.0 WHEN same_text THEN 0.98
                      ELSE 0.95 * similarity_score END, 4) AS score
    FROM scored ORDER BY score DESC, doc LIMIT lim)
-- the shown columns are read for the best marks only
SELECT m.st13, m.office, m.mark_text, m.applicant_names, m.status, m.nice_classes, m.vienna_codes,
       m.application_date, b.match, b.score
FROM best b JOIN marks m USING (_doc) ORDER BY b.score DESC, m.st13
"""

SIMILAR_MARKS = f"""
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
"""

_VARCHARS = duckdb.list_type(sqltypes.VARCHAR)
_FUNCTIONS: list[tuple[str, Callable[..., Any], list[Any], sqltypes.DuckDBPyType]] = [
    ("search_latin", lambda token: list(latin_forms(token)), [sqltypes.VARCHAR], _VARCHARS),
    ("search_phonetic", lambda word: list(phonetic_keys(word)), [sqltypes.VARCHAR], _VARCHARS),
    # one parameter: DuckDB counts the Python function's, and deletion_keys has two
    ("search_deletion_keys", lambda word: deletion_keys(word), [sqltypes.VARCHAR], _VARCHARS),  # noqa: PLW0108
    ("search_key_deletion_keys", key_deletion_keys, [sqltypes.VARCHAR], _VARCHARS),
    ("search_plural_variants", plural_variants, [sqltypes.VARCHAR], _VARCHARS),
    ("search_max_edits", max_edits, [sqltypes.VARCHAR], sqltypes.INTEGER),
    ("search_loose", loose_form, [sqltypes.VARCHAR], sqltypes.VARCHAR),
    ("search_script", script_of, [sqltypes.VARCHAR], sqltypes.VARCHAR),
    ("search_skeleton", skeleton, [sqltypes.VARCHAR], sqltypes.VARCHAR),
    ("search_sound_keys", lambda word: list(sound_keys(word)), [sqltypes.VARCHAR], _VARCHARS),
    ("search_near_sound_keys", near_sound_keys, [sqltypes.VARCHAR], _VARCHARS),
]
_SEARCH_TABLES = ("marks", "search_postings", "search_tokens", "search_words", "search_sounds", "search_fuzzy")


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Register the Python functions search_marks calls (a session's functions are its own).
    A query's terms (up to a few hundred with sound-alikes and typo neighbours) are pushed into
    the scan of the sorted postings as an IN filter that skips row groups; past DuckDB's default
    of 50 values it pushes only their min and max, and reads the whole table."""
    con.execute("SET dynamic_or_filter_threshold = 2000")
    registered = {
        r[0]
        for r in con.execute(
            "SELECT function_name FROM duckdb_functions() WHERE function_name LIKE 'search\\_%' ESCAPE '\\'"
        ).fetchall()
    }
    for name, function, parameters, returns in _FUNCTIONS:
        if name not in registered:
            con.create_function(
                name, function, parameters, returns, null_handling=FunctionNullHandling.DEFAULT, side_effects=False
            )


def _add_vocabulary(con: duckdb.DuckDBPyConnection) -> None:
    """Latin forms of the tokens in _search_tok not seen before; phonetic and deletion keys of
    the Latin words not seen before. Each distinct token and word is computed once, ever."""
    column = [
        r[0]
        for r in con.execute("SELECT DISTINCT token FROM _search_tok ANTI JOIN search_tokens USING (token)").fetchall()
    ]
    forms = [latin_forms(t) for t in column]
    new_tokens = pa.table(
        {
            "token": pa.array(column, pa.string()),
            "latin": pa.array([f[0] for f in forms], pa.string()),
            "latin_alt": pa.array([f[1] for f in forms], pa.string()),
            "script": pa.array([script_of(t) for t in column], pa.string()),
        }
    )
    con.register("_new_tokens", new_tokens)
    con.execute("INSERT INTO search_tokens SELECT * FROM _new_tokens")
    known = {
        r[0]
        for r in con.execute(
            "SELECT word FROM search_words SEMI JOIN "
            "(SELECT unnest([latin, latin_alt]) AS word FROM _new_tokens) USING (word)"
        ).fetchall()
    }
    con.unregister("_new_tokens")
    words = sorted({w for f in forms for w in f if w} - known)
    keys = [phonetic_keys(w) for w in words]
    new_words = pa.table(
        {
            "word": pa.array(words, pa.string()),
            "keys": pa.array([list(k) for k in keys], pa.list_(pa.string())),
            "loose": pa.array([loose_form(w) for w in words], pa.string()),
            "skeleton": pa.array([skeleton(w) for w in words], pa.string()),
            "sounds": pa.array([indexed_sound_keys(w) for w in words], pa.list_(pa.string())),
        }
    )
    con.register("_new_words", new_words)
    con.execute("INSERT INTO search_words SELECT * FROM _new_words")
    con.unregister("_new_words")
    pairs = [("w" + d, "w" + w) for w in words for d in deletion_keys(w)]
    pairs += [("p" + d, "p" + k) for k in sorted({k for ks in keys for k in ks}) for d in key_deletion_keys(k)]
    new_fuzzy = pa.table(
        {"del_key": pa.array([p[0] for p in pairs], pa.string()), "term": pa.array([p[1] for p in pairs], pa.string())}
    )
    con.register("_new_fuzzy", new_fuzzy)
    # a phonetic key is new when no word had it before (a scan of search_fuzzy probing the new rows)
    con.execute(
        """INSERT INTO search_fuzzy SELECT * FROM _new_fuzzy
        ANTI JOIN (SELECT DISTINCT term FROM search_fuzzy SEMI JOIN _new_fuzzy USING (term)) USING (term)"""
    )
    con.unregister("_new_fuzzy")


def _index_docs(con: duckdb.DuckDBPyConnection, where: str, first_doc: int) -> None:
    """Index the marks of `trademarks` WHERE `where`, numbered from first_doc + 1, into the temp
    tables _search_marks (rows for `marks`) and _search_new_postings, and add the new sounds to
    search_sounds. Each distinct text (a mark text, or the applicant names of a mark) is cut and
    keyed once, however many marks carry it."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _search_docs AS
        SELECT {first_doc} + row_number() OVER (ORDER BY st13) AS _doc, * FROM ({MARKS_SELECT}) WHERE {where}"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _search_texts AS
        SELECT row_number() OVER () AS text_id, * FROM (
            SELECT DISTINCT 'm' AS field, mark_text AS text FROM _search_docs WHERE mark_text IS NOT NULL
            UNION SELECT DISTINCT 'a', applicant_names FROM _search_docs WHERE applicant_names <> '')"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _search_tok AS
        SELECT text_id, field, unnest(toks) AS token, generate_subscripts(toks, 1) AS pos
        FROM (SELECT text_id, field, search_tokens(text) AS toks FROM _search_texts)"""
    )
    _add_vocabulary(con)
    # per text, its tokens in order with both Latin readings, their phonetic keys and loose
    # forms (a sorted list of structs: an ordered aggregate per text is several times slower)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _search_text_tokens AS
        SELECT t.text_id, t.field,
               list_sort(list({{'pos': t.pos, 'size': length(t.token), 'script': s.script,
                                'w1': s.latin, 'k1': coalesce(w1.keys, []), 'l1': w1.loose,
                                's1': coalesce(w1.sounds, []), 'b1': w1.skeleton,
                                'w2': s.latin_alt, 'k2': coalesce(w2.keys, []), 'l2': w2.loose,
                                's2': coalesce(w2.sounds, []), 'b2': w2.skeleton}})) AS toks
        FROM _search_tok t JOIN search_tokens s USING (token)
        LEFT JOIN search_words w1 ON w1.word = s.latin LEFT JOIN search_words w2 ON w2.word = s.latin_alt
        WHERE t.field = 'm' OR NOT list_contains({_sql_words(LEGAL_FORMS)}, s.latin)
        GROUP BY ALL"""
    )
    # per text and reading (1 primary, 2 alternative): its words, their loose forms, its terms
    # and, for mark texts, its sounds (the sound keys of each word; for the joined terms, their
    # words' first phonetic keys joined, and their skeletons joined)
    form: dict[int, dict[str, str]] = {}
    for n in (1, 2):
        toks = f"list_filter(toks, x -> x.w{n} <> '')"
        words = f"list_transform({toks}, x -> x.w{n})"
        looses = f"list_transform({toks}, x -> x.l{n})"
        pkeys = f"list_transform({toks}, x -> coalesce(x.k{n}[1], ''))"
        bones = f"list_transform({toks}, x -> coalesce(x.b{n}, ''))"
        form[n] = {
            "words": words,
            "loose": f"array_to_string({looses}, '')",
            "mark_terms": f"list_transform(search_joined({words}), j -> 'w' || j.term)",
            "applicant_terms": f"list_transform({words}, x -> 'a' || x)",
            "sounds": f"""list_concat(
                flatten(list_transform({toks}, x -> list_transform(
                    x.s{n}, k -> {{'key': k, 'term': x.w{n}, 'loose': x.l{n}}}))),
                list_transform(search_joined_sounds({words}, {pkeys}, {looses}),
                               j -> {{'key': 'p' || j.key, 'term': j.term, 'loose': j.loose}}),
                list_transform(search_joined_sounds({words}, {bones}, {looses}),
                               j -> {{'key': 's' || j.key, 'term': j.term, 'loose': j.loose}}))""",
        }
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _search_text_terms AS
        SELECT text_id, field,
               list_distinct(CASE field WHEN 'm' THEN list_concat({form[1]["mark_terms"]}, {form[2]["mark_terms"]})
                             ELSE list_concat({form[1]["applicant_terms"]}, {form[2]["applicant_terms"]}) END) AS terms,
               CASE field WHEN 'm' THEN list_concat({form[1]["sounds"]}, {form[2]["sounds"]}) END AS sounds,
               toks.list_reduce((a, b) -> CASE WHEN b.size > a.size THEN b ELSE a END).script AS script,
               {form[1]["words"]} AS words, {form[2]["words"]} AS words_alt,
               {form[1]["loose"]} AS loose, {form[2]["loose"]} AS loose_alt
        FROM _search_text_tokens"""
    )
    con.execute(
        """INSERT INTO search_sounds
        SELECT DISTINCT s.key, s.term, s.loose
        FROM (SELECT unnest(sound) FROM (SELECT unnest(sounds) AS sound FROM _search_text_terms)) s
        ANTI JOIN search_sounds USING (key, term)"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _search_marks AS
        SELECT d.*, tt.script, array_to_string(tt.words, ' ') AS latin,
               CASE WHEN tt.words_alt <> tt.words THEN array_to_string(tt.words_alt, ' ') END AS latin_alt,
               coalesce(len(tt.words), 0) AS n_words, tt.loose,
               CASE WHEN tt.loose_alt <> tt.loose THEN tt.loose_alt END AS loose_alt
        FROM _search_docs d
        LEFT JOIN (SELECT x.text, tt.* FROM _search_texts x JOIN _search_text_terms tt USING (text_id)
                   WHERE x.field = 'm') tt ON tt.text = d.mark_text"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _search_new_postings AS
        SELECT unnest(tt.terms) AS term, {_POSTED}
        FROM _search_marks m JOIN _search_texts x ON x.field = 'm' AND x.text = m.mark_text
        JOIN _search_text_terms tt USING (text_id)
        UNION ALL
        SELECT unnest(tt.terms), {_POSTED}
        FROM _search_marks m JOIN _search_texts x ON x.field = 'a' AND x.text = m.applicant_names
        JOIN _search_text_terms tt USING (text_id)"""
    )
    for table in ("_search_docs", "_search_texts", "_search_tok", "_search_text_tokens", "_search_text_terms"):
        con.execute(f"DROP TABLE {table}")


def define_macros(con: duckdb.DuckDBPyConnection) -> None:
    """The helper macros and the search macros over the search tables (stored with them; a
    session calling them needs `prepare`)."""
    for sql in (*HELPERS, SEARCH_MARKS, SIMILAR_MARKS):
        con.execute(sql)


def build_index(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create `marks`, the search tables and the search macros from `trademarks`."""
    prepare(con)
    for sql in HELPERS:
        con.execute(sql)
    con.execute(
        "CREATE OR REPLACE TABLE search_tokens (token VARCHAR, latin VARCHAR, latin_alt VARCHAR, script VARCHAR)"
    )
    con.execute(
        "CREATE OR REPLACE TABLE search_words "
        "(word VARCHAR, keys VARCHAR[], loose VARCHAR, skeleton VARCHAR, sounds VARCHAR[])"
    )
    con.execute("CREATE OR REPLACE TABLE search_sounds (key VARCHAR, term VARCHAR, loose VARCHAR)")
    con.execute("CREATE OR REPLACE TABLE search_fuzzy (del_key VARCHAR, term VARCHAR)")
    # in batches of keys, in key order: the per-text aggregates of 7.5M distinct mark texts at
    # once ran out of 18.8 GB
    count = int(con.execute("SELECT count(*) FROM trademarks").fetchall()[0][0])
    batches = max(1, -(-count // BUILD_BATCH))
    bounds: list[str | None] = [None]
    if batches > 1:
        (cuts,) = con.execute(
            "SELECT quantile_disc(st13, ?::DOUBLE[]) FROM trademarks", [[i / batches for i in range(1, batches)]]
        ).fetchall()[0]
        bounds += sorted(set(cuts))
    bounds.append(None)
    for i, (low, high) in enumerate(zip(bounds, bounds[1:], strict=False)):
        where = " AND ".join(
            ["true"]
            + ([f"st13 > '{low}'"] if low is not None else [])
            + ([f"st13 <= '{high}'"] if high is not None else [])
        )
        first_doc = 0 if i == 0 else int(con.execute("SELECT max(_doc) FROM marks").fetchall()[0][0])
        _index_docs(con, where, first_doc)
        if i == 0:
            con.execute("CREATE OR REPLACE TABLE marks AS SELECT * FROM _search_marks ORDER BY _doc")
            con.execute("CREATE OR REPLACE TEMP TABLE _search_all_postings AS SELECT * FROM _search_new_postings")
        else:
            con.execute("INSERT INTO marks SELECT * FROM _search_marks ORDER BY _doc")
            con.execute("INSERT INTO _search_all_postings SELECT * FROM _search_new_postings")
        for table in ("_search_marks", "_search_new_postings"):
            con.execute(f"DROP TABLE {table}")
    con.execute("CREATE OR REPLACE TABLE search_postings AS SELECT * FROM _search_all_postings ORDER BY term, doc")
    con.execute("DROP TABLE _search_all_postings")
    # the vocabulary tables are looked up by key: sorted, a lookup reads few row groups
    con.execute("CREATE OR REPLACE TABLE search_fuzzy AS SELECT * FROM search_fuzzy ORDER BY del_key")
    con.execute("CREATE OR REPLACE TABLE search_sounds AS SELECT * FROM search_sounds ORDER BY key, term")
    define_macros(con)


def refresh_index(con: duckdb.DuckDBPyConnection, keys: str) -> None:
    """Bring the search tables up to date with `trademarks` for the marks named by `keys`: a
    table, view or parenthesised query with a column st13 holding every key inserted, updated
    or deleted since the index was last built or refreshed. Costs follow the number of keys:
    their old rows are deleted, the marks still in `trademarks` indexed again and appended
    (tokens and words seen before are not computed again). Appended postings are sorted among
    themselves only, so a query reads a little more after each refresh: a full build_index
    sorts everything again (worth it once a tenth or so of the register has changed)."""
    prepare(con)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _search_keys AS SELECT DISTINCT st13 FROM {keys}")
    first_doc = int(con.execute("SELECT coalesce(max(_doc), 0) FROM marks").fetchall()[0][0])
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _search_old AS SELECT _doc AS doc FROM marks SEMI JOIN _search_keys USING (st13)"
    )
    con.execute("DELETE FROM search_postings WHERE doc IN (SELECT doc FROM _search_old)")
    con.execute("DELETE FROM marks WHERE _doc IN (SELECT doc FROM _search_old)")
    _index_docs(con, "st13 IN (SELECT st13 FROM _search_keys)", first_doc)
    con.execute("INSERT INTO marks SELECT * FROM _search_marks ORDER BY _doc")
    con.execute("INSERT INTO search_postings SELECT * FROM _search_new_postings ORDER BY term, doc")
    for table in ("_search_keys", "_search_old", "_search_marks", "_search_new_postings"):
        con.execute(f"DROP TABLE {table}")
