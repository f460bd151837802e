"""Search-by-picture benchmark: retrieval quality on generated logos, and query latency on 10M hashes.

Quality: --logos logos (2 to 5 shapes and 2 to 5 letters drawn with Pillow on a white or
coloured ground), each also stored as six altered copies: resized to half, JPEG-recompressed at
quality 30, recoloured (the RGB channels rotated), rotated 5 degrees, cropped by 10% (5% off
each side), bordered (a uniform margin of a random colour, 1/8 of the longer side). Every
picture goes through transforms.images.analyse and into an image_index that similar_images
ranks; each altered copy is a query and counts as found when its original is among the 10
nearest other pictures (recall@10). Also shown: the same with each hash alone (full scan).

Speed: --hashes random pictures (DuckDB's hash() of a counter as the three hashes) in an
image_index; similar_images with lim := 10, the best and the median of --repeat queries, wall and
CPU seconds.

Usage: python bench/image_bench.py [--logos 2000] [--hashes 10000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

import duckdb
from PIL import Image, ImageDraw, ImageFont, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from transforms.images import analyse
from warehouse import image_search

ALTERATIONS = ("resized", "recompressed", "recoloured", "rotated", "cropped", "bordered")
TARGETS = {"resized": 0.95, "recompressed": 0.95, "bordered": 0.95, "recoloured": 0.8, "rotated": 0.8, "cropped": 0.8}
LETTERS = "ABCDEFGHKMNPRSTXZ"


def logo(seed: int) -> Image.Image:
    r = random.Random(seed)
    width, height = r.choice([(256, 256), (320, 200), (200, 300)])
    ground = (255, 255, 255) if r.random() < 0.7 else tuple(r.randrange(256) for _ in range(3))
    picture = Image.new("RGB", (width, height), ground)
    draw = ImageDraw.Draw(picture)
    for _ in range(r.randint(2, 5)):
        colour = tuple(r.randrange(256) for _ in range(3))
        x0, y0 = r.randrange(width - 40), r.randrange(height - 40)
        x1, y1 = x0 + r.randint(20, width - x0), y0 + r.randint(20, height - y0)
        shape = r.randrange(4)
        if shape == 0:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        elif shape == 1:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        elif shape == 2:
            draw.polygon([(r.randrange(width), r.randrange(height)) for _ in range(r.randint(3, 6))], fill=colour)
        else:
            draw.line((x0, y0, x1, y1), fill=colour, width=r.randint(3, 12))
    text = "".join(r.choice(LETTERS) for _ in range(r.randint(2, 5)))
    font = ImageFont.load_default(size=r.randint(24, 48))
    draw.text(
        (r.randrange(width // 3), r.randrange(height // 2)),
        text,
        fill=tuple(r.randrange(256) for _ in range(3)),
        font=font,
    )
    return picture


def encoded(picture: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    out = io.BytesIO()
    picture.save(out, fmt, **options)
    return out.getvalue()


def altered(picture: Image.Image, alteration: str, r: random.Random) -> bytes:
    width, height = picture.size
    if alteration == "resized":
        return encoded(picture.resize((width // 2, height // 2), Image.Resampling.LANCZOS))
    if alteration == "recompressed":
        return encoded(picture, "JPEG", quality=30)
    if alteration == "recoloured":
        red, green, blue = picture.split()
        return encoded(Image.merge("RGB", (blue, red, green)))
    if alteration == "rotated":
        ground = picture.getpixel((0, 0))
        return encoded(picture.rotate(5, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=ground))
    if alteration == "cropped":
        dx, dy = width // 20, height // 20
        return encoded(picture.crop((dx, dy, width - dx, height - dy)))
    margin = tuple(r.randrange(256) for _ in range(3))
    return encoded(ImageOps.expand(picture, border=max(width, height) // 8, fill=margin))


def quality(con: duckdb.DuckDBPyConnection, logos: int) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    rows = []
    for n in range(logos):
        picture, r = logo(n), random.Random(n + 1_000_003)
        for alteration, data in [("original", encoded(picture))] + [(a, altered(picture, a, r)) for a in ALTERATIONS]:
            f = analyse(data)
            rows.append((f"L{n:05d}", alteration, f.phash, f.dhash, f.shapehash, f.colorhash))
    took = time.perf_counter() - started
    each = (time.process_time() - cpu) / len(rows) * 1000
    print(f"analysed {len(rows)} pictures in {took:.1f} s ({each:.1f} ms CPU each)")
    con.execute(
        "CREATE TABLE pictures (st13 VARCHAR, alteration VARCHAR, "
        "phash UBIGINT, dhash UBIGINT, shapehash UBIGINT, colorhash UBIGINT)"
    )
    con.executemany("INSERT INTO pictures VALUES (?, ?, ?, ?, ?, ?)", rows)
    signed = image_search.SIGNED
    # the index as the catalog builds it; design_number holds the alteration so each copy is its own row
    con.execute(
        f"""CREATE TABLE image_index AS SELECT st13, alteration AS design_number, 1::SMALLINT AS view, 'XX' AS office,
        'c' AS collection, 'Registered' AS status, NULL::VARCHAR AS title, NULL::SMALLINT[] AS nice_classes,
        NULL::VARCHAR[] AS vienna_codes, NULL::VARCHAR[] AS locarno_classes, NULL::DATE AS application_date,
        NULL::VARCHAR AS thumbnail, {signed.format("phash")} AS phash_bits, {signed.format("dhash")} AS dhash_bits,
        {signed.format("shapehash")} AS shape_bits FROM pictures"""
    )
    image_search.define_macro(con)
    found = dict.fromkeys(ALTERATIONS, 0)
    full = dict.fromkeys(ALTERATIONS, 0)
    queries = con.execute(
        "SELECT st13, alteration, phash, dhash, shapehash FROM pictures WHERE alteration <> 'original'"
    ).fetchall()
    for st13, alteration, phash, dhash, shapehash in queries:
        for counts, shortlist in ((found, 4096), (full, None)):
            nearest = con.execute(
                "SELECT st13, design_number FROM similar_images(?::UBIGINT, ?::UBIGINT, ?::UBIGINT, "
                "shortlist := ?, lim := 11)",
                [phash, dhash, shapehash, shortlist],
            ).fetchall()
            counts[alteration] += (st13, "original") in [key for key in nearest if key != (st13, alteration)][:10]
    alone = {}
    for name in ("phash", "dhash", "shapehash", "colorhash"):  # every query at once: a ranked cross join
        alone[name] = dict(
            con.execute(
                f"""SELECT alteration, count(*) FILTER (WHERE hit) FROM (
                    SELECT q.alteration, q.st13 = p.st13 AND p.alteration = 'original' AS hit
                    FROM pictures q JOIN pictures p ON NOT (p.st13 = q.st13 AND p.alteration = q.alteration)
                    WHERE q.alteration <> 'original'
                    QUALIFY row_number() OVER (PARTITION BY q.st13, q.alteration
                        ORDER BY bit_count(xor(q.{name}, p.{name})::HUGEINT), p.st13, p.alteration) <= 10)
                GROUP BY ALL"""
            ).fetchall()
        )
    print()
    print(
        f"recall@10 of the original among {len(rows)} pictures ({logos} logos x 7), "
        "similar_images (pHash + dHash + shape hash):"
    )
    print()
    print("| alteration | recall@10 | target | no shortlist | " + " | ".join(f"{h} alone" for h in alone) + " |")
    print("|---|---|---|---|" + "---|" * len(alone))
    for a in ALTERATIONS:
        cells = " | ".join(f"{alone[h][a] / logos:.3f}" for h in alone)
        mark = "ok" if found[a] / logos >= TARGETS[a] else "MISSED"
        print(f"| {a} | {found[a] / logos:.3f} | {TARGETS[a]} ({mark}) | {full[a] / logos:.3f} | {cells} |")


def speed(con: duckdb.DuckDBPyConnection, hashes: int, repeat: int) -> None:
    con.execute("DROP TABLE IF EXISTS image_index")
    signed = image_search.SIGNED
    started = time.perf_counter()
    con.execute(
        f"""CREATE TABLE image_index AS SELECT 'XX' || lpad(i::VARCHAR, 15, '0') AS st13,
        NULL::VARCHAR AS design_number, 1::SMALLINT AS view, ['US', 'EM', 'KH'][1 + i % 3] AS office,
        'c' AS collection, 'Registered' AS status,
        'MARK ' || i AS title, [1 + i % 45]::SMALLINT[] AS nice_classes, ['26.04.01']::VARCHAR[] AS vienna_codes,
        NULL::VARCHAR[] AS locarno_classes, DATE '2020-01-01' AS application_date,
        'images/xx/' || i || '.thumb.png' AS thumbnail,
        {signed.format("hash(i)")} AS phash_bits, {signed.format("hash(i + 1e10::BIGINT)")} AS dhash_bits,
        {signed.format("hash(i + 2e10::BIGINT)")} AS shape_bits FROM range({hashes}) t(i)"""
    )
    image_search.define_macro(con)
    print()
    print(
        f"{hashes:,} random pictures indexed in {time.perf_counter() - started:.1f} s; similar_images(..., lim := 10):"
    )
    walls, cpus = [], []
    r = random.Random(1)
    for _ in range(repeat):
        query = [r.getrandbits(64) for _ in range(3)]
        started, cpu = time.perf_counter(), time.process_time()
        rows = con.execute(
            "SELECT * FROM similar_images(?::UBIGINT, ?::UBIGINT, ?::UBIGINT, lim := 10)", query
        ).fetchall()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
        assert len(rows) == 10
    print()
    print("| pictures | best wall | median wall | median CPU | target |")
    print("|---|---|---|---|---|")
    print(
        f"| {hashes:,} | {min(walls) * 1000:.0f} ms | {statistics.median(walls) * 1000:.0f} ms | "
        f"{statistics.median(cpus) * 1000:.0f} ms | < 500 ms |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--logos", type=int, default=2000)
    parser.add_argument("--hashes", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs")
    con = duckdb.connect()
    if args.logos:
        quality(con, args.logos)
    if args.hashes:
        speed(con, args.hashes, args.repeat)
    print()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
