"""Search by picture, inside the DuckDB catalog.

An `image_index` table (one row per stored, decodable picture: its record's key, office, status,
title, classes, Vienna or Locarno codes, thumbnail and hashes) is built next to `marks`, and a
table macro ranks it by a combined Hamming distance:

    similar_images(phash, dhash, shapehash, max_distance := 192, classes := [9, 42],
                   offices := ['US'], statuses := ['Registered'], vienna := ['26.04.01'],
                   locarno := ['14-02'], lim := 100)

distance = bit_count(xor(phash)) + bit_count(xor(dhash)) + bit_count(xor(shapehash)), 0..192:
the grey picture's DCT and gradient hashes and the foreground mask's DCT hash (which a
recolouring keeps); bench/image_bench.py measured this sum against each hash alone. A scan of
64-bit integers, no index to keep: the `shortlist` pictures nearest by pHash alone (one
bit_count per row, a third of the cost of three) are ranked by the sum (NULL: rank all), and only
the `lim` nearest are read back in full (by rowid: carrying the rows through the ranking costs
twice as much on 10M).
"""

from __future__ import annotations

import duckdb

# bit_count takes signed integers only (an unsigned one is cast to HUGEINT: 3x slower): a hash is
# kept as the BIGINT with the same bits but the top one flipped, which leaves every xor unchanged
SIGNED = "({}::HUGEINT - 9223372036854775808)::BIGINT"

IMAGE_INDEX_SQL = f"""
CREATE OR REPLACE TABLE image_index AS
SELECT i.st13, i.design_number, i.view, i.office, i.collection,
       coalesce(t.status, d.status) AS status,
       coalesce(t.mark_text, d.product_indication) AS title,
       t.nice_classes, t.vienna_codes, d.locarno_classes,
       coalesce(t.application_date, d.application_date) AS application_date,
       i.thumbnail, {SIGNED.format("i.phash")} AS phash_bits, {SIGNED.format("i.dhash")} AS dhash_bits,
       {SIGNED.format("i.shapehash")} AS shape_bits
FROM images i
LEFT JOIN trademarks t ON i.design_number IS NULL AND t.st13 = i.st13
LEFT JOIN designs d ON d.st13 = i.st13 AND d.design_number = i.design_number
WHERE i.phash IS NOT NULL AND (t.st13 IS NOT NULL OR d.st13 IS NOT NULL)
"""

MACRO = f"""
CREATE OR REPLACE MACRO similar_images(phash, dhash, shapehash, max_distance := 192, shortlist := 4096,
                                       classes := NULL, offices := NULL, statuses := NULL, vienna := NULL,
                                       locarno := NULL, lim := 100) AS TABLE
WITH candidates AS (
    SELECT m.rowid AS _row, m.phash_bits, m.dhash_bits, m.shape_bits FROM image_index m
    WHERE (classes IS NULL OR list_has_any(m.nice_classes, classes))
      AND (offices IS NULL OR list_contains(offices, m.office))
      AND (statuses IS NULL OR list_contains(statuses, m.status))
      AND (vienna IS NULL OR list_has_any(m.vienna_codes, vienna))
      AND (locarno IS NULL OR list_has_any(m.locarno_classes, locarno))
    ORDER BY bit_count(xor(m.phash_bits, {SIGNED.format("phash")}))
    LIMIT coalesce(shortlist, 9223372036854775807)
),
nearest AS (
    SELECT _row, bit_count(xor(phash_bits, {SIGNED.format("phash")}))::SMALLINT
               + bit_count(xor(dhash_bits, {SIGNED.format("dhash")}))
               + bit_count(xor(shape_bits, {SIGNED.format("shapehash")})) AS distance
    FROM candidates WHERE distance <= max_distance ORDER BY distance, _row LIMIT lim
)
SELECT m.st13, m.design_number, m.view, m.office, m.status, m.title, m.application_date, m.thumbnail, n.distance
FROM nearest n JOIN image_index m ON m.rowid = n._row
ORDER BY n.distance, m.st13, m.design_number, m.view
"""


def define_macro(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(MACRO)


def build_index(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create `image_index` and `similar_images` in a catalog connection (views of the lake defined)."""
    con.execute(IMAGE_INDEX_SQL)
    define_macro(con)
