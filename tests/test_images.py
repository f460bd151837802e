"""Mark images and design views end to end: deliveries built here (an IPAS zip holding XML and
GIF / JPEG / TIFF pictures, a USPTO design grant with its TIFF drawing, marks whose pictures are
served over HTTP on 127.0.0.1), run through `pipeline.run`, read back from the lake.

Every picture is drawn here, so its size, format and SHA-256 are known before the run."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner
from lxml import etree
from PIL import Image, ImageDraw

from ipetl import pipeline
from ipetl.cli import cli
from ipetl.pipeline.normalize import normalize_delivery
from ipetl.registry import COLLECTIONS
from tests.conftest import ROOT, query_lake, sample
from transforms.images import MAX_PIXELS, ImageRejected, analyse
from warehouse import lake as lakes
from warehouse.images import ImageStore
from warehouse.xml_export import ST66_NAMESPACE, ST86_NAMESPACE, export_xml

TM, DS = f"{{{ST66_NAMESPACE}}}", f"{{{ST86_NAMESPACE}}}"

KH_NUMBER = b"KH/673426/M"
KH_IMAGE = b"<MarkImageFilename>ATTACHMENT/logo</MarkImageFilename>"


def logo(size: tuple[int, int] = (120, 80), mode: str = "RGB") -> Image.Image:
    picture = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(picture)
    draw.ellipse((10, 10, size[0] - 30, size[1] - 10), fill="navy")
    draw.rectangle((size[0] - 40, 20, size[0] - 10, size[1] - 20), fill="orange")
    return picture.convert(mode)


def encoded(picture: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    picture.save(out, fmt, **options)
    return out.getvalue()


def bomb() -> bytes:
    """A 1-bit PNG of twice Pillow's pixel limit: a few kB on disk, 10 GB as RGB."""
    side = int((2 * MAX_PIXELS) ** 0.5) + 1
    return encoded(Image.new("1", (side, side)), "PNG")


def kh_mark(number: int, image: str) -> bytes:
    """The bundled Cambodian mark, renumbered, pointing at another picture."""
    xml = sample("khtm").read_bytes()
    return xml.replace(KH_NUMBER, f"KH/{number}/M".encode()).replace(
        KH_IMAGE, f"<MarkImageFilename>{image}</MarkImageFilename>".encode()
    )


def images(home, sql: str) -> list[tuple]:
    return query_lake(pipeline.lake_settings(home, environ={}), home, sql)


GIF = encoded(logo(), "GIF")
JPEG = encoded(logo((200, 100)), "JPEG", quality=90)
TIFF_G4 = encoded(logo((300, 150), "1"), "TIFF", compression="group4")


def test_an_ipas_zip_with_its_pictures(tmp_path):
    """Marks 1..3 point at a GIF, a JPEG and a CCITT G4 TIFF inside the zip; 4..8 at a name
    escaping the archive, a decompression bomb, a truncated JPEG, an SVG named .gif and a file
    the zip does not hold. Every mark is published; 4..7 are quarantined pictures."""
    source = tmp_path / "mirror" / "khtm"
    source.mkdir(parents=True)
    marks = {
        1: ("ATTACHMENT/1.gif", GIF),  # next to the XML member
        2: ("2.jpg", JPEG),  # at the archive's root
        3: ("ATTACHMENT/3.tif", TIFF_G4),
        4: ("../../etc/passwd", None),
        5: ("ATTACHMENT/5.png", bomb()),
        6: ("ATTACHMENT/6.jpg", JPEG[: len(JPEG) // 2]),
        7: ("ATTACHMENT/7.gif", b'<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>'),
        8: ("ATTACHMENT/8.gif", None),
    }
    with zipfile.ZipFile(source / "khtm-20240105.xml.zip", "w") as archive:
        for n, (name, data) in marks.items():
            archive.writestr(f"xml/kh-{n}.xml", kh_mark(n, name))
            if data is not None:
                archive.writestr(name if n == 2 else f"xml/{name}", data)
    home = tmp_path / "home"
    result = pipeline.run(
        ["khtm"], source=tmp_path / "mirror", home=home, lake=pipeline.lake_settings(home, environ={})
    )
    [batch] = result.batches
    assert (batch.passed, batch.quarantined) == (8, 0)  # the pictures hold no record back
    assert images(home, "select count(*) from trademarks") == [(8,)]

    rows = images(
        home,
        "select application_number, view, source_ref, sha256, format, width, height, blank, corrupt, problem "
        "from images join trademarks using (st13) order by application_number",
    )
    by_number = {r[0]: r[1:] for r in rows}
    assert by_number["KH/1/M"] == (
        1,
        "ATTACHMENT/1.gif",
        hashlib.sha256(GIF).hexdigest(),
        "GIF",
        120,
        80,
        False,
        False,
        None,
    )
    assert by_number["KH/2/M"][2:6] == (hashlib.sha256(JPEG).hexdigest(), "JPEG", 200, 100)
    assert by_number["KH/3/M"][2:6] == (hashlib.sha256(TIFF_G4).hexdigest(), "TIFF", 300, 150)
    assert by_number["KH/4/M"][-1] == "../../etc/passwd: escapes the delivery archive"
    assert by_number["KH/5/M"][-2:] == (True, f"ATTACHMENT/5.png: more than {MAX_PIXELS} pixels (decompression bomb?)")
    assert by_number["KH/6/M"][-1].startswith("ATTACHMENT/6.jpg: corrupt JPEG: image file is truncated")
    assert by_number["KH/7/M"][-1] == "ATTACHMENT/7.gif: SVG refused (it can reference local files)"
    assert by_number["KH/8/M"][-2:] == (False, "ATTACHMENT/8.gif: not in the delivery khtm-20240105.xml.zip")

    quarantined = images(home, "select source_file, rule_id, value from quarantine order by source_file")
    assert quarantined == [
        (f"khtm-20240105.xml.zip!xml/kh-{n}.xml", "image.readable", marks[n][0]) for n in (4, 5, 6, 7)
    ]  # a missing picture is told, not quarantined

    # stored once by SHA-256 under the lake's data path, with a thumbnail and an icon
    data = home / "lake"
    [(path, thumbnail, icon)] = images(home, "select path, thumbnail, icon from images where format = 'GIF'")
    assert (data / path).read_bytes() == GIF
    # the drawing spans x 10..110 (ellipse, then rectangle) and y 10..70: its white border is cropped
    assert Image.open(data / thumbnail).size == (101, 61)
    assert max(Image.open(data / icon).size) == 64
    lakes.vacuum(pipeline.lake_settings(home, environ={}), keep=1)  # its orphan clean-up keeps them
    assert (data / path).read_bytes() == GIF

    # 3 of the 8 marks have a picture read and decoded
    assert images(home, "select records, image_share from coverage") == [(8, 0.375)]

    # search by picture: the GIF's mark first, at distance 0; a copy at twice the size still first
    env = {"IPETL_CATALOG": None, "IPETL_DATA": None}
    bigger = tmp_path / "bigger.png"
    Image.open(io.BytesIO(GIF)).convert("RGB").resize((240, 160)).save(bigger)
    [(kh1,)] = images(home, "select st13 from trademarks where application_number = 'KH/1/M'")
    for query, distance in ((source / "q.gif", "0"), (bigger, None)):
        if distance == "0":
            query.write_bytes(GIF)
        out = CliRunner(env=env).invoke(
            cli, ["search", "--image", str(query), "--format", "csv", "--limit", "3", "--home", str(home)]
        )
        assert out.exit_code == 0, out.output
        first = out.output.splitlines()[1].split(",")
        assert first[0] == kh1
        assert distance is None or first[6] == distance
    out = CliRunner(env=env).invoke(
        cli, ["search", "--image", str(source / "q.gif"), "--locarno", "14-02", "--home", str(home)]
    )
    assert out.exit_code == 0 and out.output.endswith("(0 rows)\n")  # no design here
    out = CliRunner(env=env).invoke(cli, ["search", "acme", "--locarno", "14-02", "--home", str(home)])
    assert out.exit_code == 2 and "--locarno filters a search by picture" in out.output

    # the ST.66 export carries the stored picture again, and stays valid
    doc = etree.parse(str(export_xml(pipeline.lake_settings(home, environ={}), "st66", tmp_path / "export")))
    etree.XMLSchema(etree.parse(str(ROOT / "reference" / "schemas" / "ST66_V1-1" / "st66.xsd"))).assertValid(doc)
    [mark] = [m for m in doc.iter(f"{TM}TradeMark") if m.findtext(f"{TM}ApplicationNumber") == "KH/1/M"]
    image = mark.find(f"{TM}MarkImageDetails/{TM}MarkImage")
    assert image is not None
    sha = hashlib.sha256(GIF).hexdigest()
    assert image.findtext(f"{TM}MarkImageFilename") == f"images/{sha[:2]}/{sha}.gif"
    assert image.findtext(f"{TM}MarkImageFileFormat") == "GIF"
    size = image.find(f"{TM}MarkImageRepresentationSize")
    assert size is not None
    assert [size.findtext(f"{TM}{t}") for t in ("Height", "Width", "Unit")] == ["80", "120", "Pixel"]
    assert image.findtext(f"{TM}MarkImageRenditionDetails/{TM}MarkImageRendition/{TM}MarkImageRenditionFilename") == (
        f"images/{sha[:2]}/{sha}.thumb.png"
    )


def test_a_uspto_design_grant_with_its_tiff_drawing(tmp_path):
    """The bundled ST.32 grant names five drawings; the archive holds the first (a G4 TIFF)."""
    grant = sample("usid")
    source = tmp_path / "mirror" / "usid"
    source.mkdir(parents=True)
    with zipfile.ZipFile(source / "USD0435854-20010102.zip", "w") as archive:
        archive.writestr(f"USD0435854-20010102/{grant.name}", grant.read_bytes())
        archive.writestr("USD0435854-20010102/USD0435854-20010102-D00000.TIF", TIFF_G4)
    home = tmp_path / "home"
    pipeline.run(["usid"], source=tmp_path / "mirror", home=home, lake=pipeline.lake_settings(home, environ={}))
    rows = images(
        home,
        "select registration_number, view, source_ref, format, width, problem "
        "from images join designs using (st13, design_number) order by view",
    )
    assert [r[:5] for r in rows] == [("D0435854", 1, "USD0435854-20010102-D00000.TIF", "TIFF", 300)] + [
        ("D0435854", n + 1, f"USD0435854-20010102-D{n:05d}.TIF", None, None) for n in range(1, 5)
    ]
    assert images(home, "select count(*) from quarantine") == [(0,)]

    # the ST.86 export: the first sheet is the stored drawing, the others as delivered
    doc = etree.parse(str(export_xml(pipeline.lake_settings(home, environ={}), "st86", tmp_path / "export")))
    sheets = list(doc.iter(f"{DS}DesignRepresentationSheet"))
    sha = hashlib.sha256(TIFF_G4).hexdigest()
    assert [s.findtext(f"{DS}RepresentationSheetFilename") for s in sheets] == [f"images/{sha[:2]}/{sha}.tiff"] + [
        f"USD0435854-20010102-D{n:05d}.TIF" for n in range(1, 5)
    ]
    assert sheets[0].findtext(f"{DS}RepresentationSheetFileFormat") == "TIFF"
    assert sheets[0].findtext(f"{DS}ViewDetails/{DS}View/{DS}ViewRepresentationSize/{DS}Height") == "150"


@contextmanager
def serving(files: dict[str, bytes], arrivals: list[float] | None = None) -> Iterator[tuple[str, list[str], list[str]]]:
    """Serves `files` (changed in place between runs) with an ETag (the body's SHA-256), answering
    304 to an If-None-Match that names it; yields (url, paths asked, paths served in full), and
    notes the time.monotonic() of each request in `arrivals`."""
    times: list[float] = [] if arrivals is None else arrivals
    asked: list[str] = []
    full: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            asked.append(self.path)
            times.append(time.monotonic())
            body = files.get(self.path)
            etag = f'"{hashlib.sha256(body).hexdigest()}"' if body is not None else None
            if etag is not None and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            full.append(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            if etag is not None:
                self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body or b"")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked, full
    finally:
        server.shutdown()
        server.server_close()


def test_pictures_served_over_http(tmp_path):
    png = encoded(logo((64, 48)), "PNG")
    with serving({"/img/1.png": png}) as (url, asked, _):
        source = tmp_path / "mirror" / "khtm"
        source.mkdir(parents=True)
        for n, path in ((1, "/img/1.png"), (2, "/img/gone.png")):
            xml = kh_mark(n, "x").replace(
                b"<MarkImageFilename>x</MarkImageFilename>", f"<MarkImageURI>{url}{path}</MarkImageURI>".encode()
            )
            (source / f"kh-{n}.xml").write_bytes(xml)
        home = tmp_path / "home"
        pipeline.run(["khtm"], source=tmp_path / "mirror", home=home, lake=pipeline.lake_settings(home, environ={}))
    rows = images(
        home, "select application_number, sha256, width, problem from images join trademarks using (st13) order by 1"
    )
    assert rows == [
        ("KH/1/M", hashlib.sha256(png).hexdigest(), 64, None),
        ("KH/2/M", None, None, f"{url}/img/gone.png: HTTP 404 Not Found"),
    ]
    assert sorted(asked) == ["/img/1.png", "/img/gone.png"]


def uri_mark(number: int, url: str) -> bytes:
    return kh_mark(number, "x").replace(
        b"<MarkImageFilename>x</MarkImageFilename>", f"<MarkImageURI>{url}</MarkImageURI>".encode()
    )


def test_unchanged_pictures_are_not_fetched_again(tmp_path):
    """Two deliveries of marks 1 and 2, whose pictures are served with an ETag; between them the
    server's picture of mark 2 changes. The second run gets a 304 for mark 1's picture and keeps
    its stored row; mark 2's picture is served in full again and replaces the stored one."""
    first, second = encoded(logo((64, 48)), "PNG"), encoded(logo((90, 60)), "PNG")
    files = {"/img/1.png": first, "/img/2.png": first}
    source = tmp_path / "mirror" / "khtm"
    source.mkdir(parents=True)
    home = tmp_path / "home"
    lake = pipeline.lake_settings(home, environ={})
    query = (
        "select application_number, sha256, width, path, thumbnail, phash, etag "
        "from images join trademarks using (st13) order by 1"
    )
    with serving(files) as (url, asked, full):
        for day in ("20240105", "20240106"):
            with zipfile.ZipFile(source / f"khtm-{day}.xml.zip", "w") as archive:
                for n in (1, 2):
                    archive.writestr(f"kh-{n}.xml", uri_mark(n, f"{url}/img/{n}.png"))
            pipeline.run(["khtm"], source=tmp_path / "mirror", home=home, lake=lake)
            if day == "20240105":
                assert sorted(full) == ["/img/1.png", "/img/2.png"]
                before = images(home, query)
                full.clear()
                asked.clear()
                files["/img/2.png"] = second
    assert sorted(asked) == ["/img/1.png", "/img/2.png"]
    assert full == ["/img/2.png"]  # mark 1's picture: 304, not downloaded
    sha1, sha2 = hashlib.sha256(first).hexdigest(), hashlib.sha256(second).hexdigest()
    assert [r[:3] + r[6:] for r in before] == [("KH/1/M", sha1, 64, f'"{sha1}"'), ("KH/2/M", sha1, 64, f'"{sha1}"')]
    after = images(home, query)
    assert after[0] == before[0]  # the stored picture and its analysis, as they were
    assert after[1][:3] + after[1][6:] == ("KH/2/M", sha2, 90, f'"{sha2}"')
    assert images(
        home, "select i.source_file from images i join trademarks using (st13) order by application_number"
    ) == [
        ("khtm-20240106.xml.zip!kh-1.xml",),
        ("khtm-20240106.xml.zip!kh-2.xml",),
    ]


def test_the_sources_image_rate_limit_paces_picture_downloads(tmp_path):
    """khtm declared with image_rate_limit=2: its three pictures on one host are asked for at
    least half a second apart."""
    khtm = COLLECTIONS["khtm"]
    slow = replace(khtm, source=replace(khtm.source, image_rate_limit=2.0))
    png = encoded(logo((64, 48)), "PNG")
    arrivals: list[float] = []
    with serving({f"/img/{n}.png": png for n in (1, 2, 3)}, arrivals) as (url, _, full):
        delivery = tmp_path / "khtm-20240105.xml.zip"
        with zipfile.ZipFile(delivery, "w") as archive:
            for n in (1, 2, 3):
                archive.writestr(f"kh-{n}.xml", uri_mark(n, f"{url}/img/{n}.png"))
        home = tmp_path / "home"
        normalize_delivery(slow, delivery, home, "run-1", lake=pipeline.lake_settings(home, environ={}))
    assert sorted(full) == ["/img/1.png", "/img/2.png", "/img/3.png"]
    assert min(b - a for a, b in zip(arrivals, arrivals[1:], strict=False)) >= 0.45


def test_vacuum_removes_pictures_no_kept_snapshot_names(tmp_path):
    """Mark 1's picture is a GIF on 5 January and a TIFF on 6 January; mark 2's is the same JPEG
    on both days. A file an abandoned run left (named by no row) goes at the first vacuum; the GIF
    stays while a kept snapshot names it and goes once only the newest is kept. Files written
    less than a day ago are spared (a run still reading may have stored them)."""
    source = tmp_path / "mirror" / "khtm"
    source.mkdir(parents=True)
    home = tmp_path / "home"
    for day, first in (("20240105", ("1.gif", GIF)), ("20240106", ("1.tif", TIFF_G4))):
        with zipfile.ZipFile(source / f"khtm-{day}.xml.zip", "w") as archive:
            for n, (name, data) in ((1, first), (2, ("2.jpg", JPEG))):
                archive.writestr(f"kh-{n}.xml", kh_mark(n, name))
                archive.writestr(name, data)
        pipeline.run(["khtm"], source=tmp_path / "mirror", home=home, lake=pipeline.lake_settings(home, environ={}))
    folder = home / "lake" / "images"

    def stored(data: bytes, suffix: str) -> list[bool]:
        sha = hashlib.sha256(data).hexdigest()
        return [(folder / sha[:2] / f"{sha}{end}").is_file() for end in (suffix, ".thumb.png", ".icon.png")]

    abandoned, fresh = folder / "ab" / f"{'ab' * 32}.png", folder / "cd" / f"{'cd' * 32}.png"
    for orphan in (abandoned, fresh):
        orphan.parent.mkdir(parents=True, exist_ok=True)
        orphan.write_bytes(b"left by a run that never published")
    two_days_ago = time.time() - 2 * 86400
    for f in folder.rglob("*"):
        if f != fresh:
            os.utime(f, (two_days_ago, two_days_ago))
    env = {"IPETL_CATALOG": None, "IPETL_DATA": None}

    def vacuum(keep: int) -> None:
        out = CliRunner(env=env).invoke(cli, ["vacuum", "--keep", str(keep), "--home", str(home)])
        assert out.exit_code == 0, out.output

    vacuum(100)
    assert (abandoned.exists(), fresh.exists()) == (False, True)
    assert stored(GIF, ".gif") == stored(TIFF_G4, ".tiff") == stored(JPEG, ".jpeg") == [True] * 3
    vacuum(1)
    assert stored(GIF, ".gif") == [False] * 3
    assert stored(TIFF_G4, ".tiff") == stored(JPEG, ".jpeg") == [True] * 3
    assert fresh.exists()


@pytest.mark.parametrize(
    "data, reason",
    [
        (encoded(Image.new("RGB", (30_000, 20)), "PNG"), "absurd size 30000x20"),
        (b"GIF89a but nothing after", "not an image Pillow can read"),
        (encoded(logo(), "PDF"), "not an image Pillow can read"),
    ],
)
def test_bytes_that_are_no_picture_to_keep(data, reason):
    with pytest.raises(ImageRejected, match=reason):
        analyse(data)


def test_blank_and_faded_pictures_are_flagged():
    assert analyse(encoded(Image.new("RGB", (50, 50), "white"), "PNG")).blank
    grey = Image.new("L", (60, 60), 255)
    ImageDraw.Draw(grey).ellipse((10, 10, 50, 50), fill=225)  # 30 grey levels of contrast
    faded = analyse(encoded(grey, "PNG"))
    assert (faded.blank, faded.faded) == (False, True)
    assert not analyse(GIF).faded


def test_pictures_stored_on_s3_are_read_back_through_the_lake(s3_server, tmp_path):
    """An s3:// data path (a real S3 server on 127.0.0.1): the picture and its thumbnail land
    under it by SHA-256, and a lake session (DuckDB httpfs, the lake's S3 secret) reads them."""
    settings = pipeline.lake_settings(tmp_path, data=f"{s3_server.url}lake", environ=s3_server.env)
    analysis = analyse(GIF)
    store = ImageStore(settings)
    picture, thumbnail, icon = store.put(analysis, GIF)
    sha = hashlib.sha256(GIF).hexdigest()
    assert picture == f"images/{sha[:2]}/{sha}.gif"
    con = lakes.connect(settings)
    try:
        [(content,)] = con.execute("SELECT content FROM read_blob(?)", [settings.data_path + picture]).fetchall()
        [(thumb,)] = con.execute("SELECT content FROM read_blob(?)", [settings.data_path + thumbnail]).fetchall()
    finally:
        con.close()
    assert content == GIF
    assert Image.open(io.BytesIO(thumb)).size == (101, 61)
    # what vacuum lists and removes
    assert sorted(store.stored(before=time.time() + 60)) == sorted([picture, thumbnail, icon])
    assert store.stored(before=time.time() - 3600) == []
    store.remove([picture, icon])
    assert store.stored(before=time.time() + 60) == [thumbnail]


def test_member_names_as_offices_write_them():
    """ILPO's IMAGEFILE is a Windows path from the root of its picture store (samples/mirror/iltm:
    `\\2019\\06\\317809.jpg`): a member from the archive's root, not an escape; `..` and a drive are."""
    from connectors.images import ArchiveEscape, member_path

    assert member_path("\\2019\\06\\317809.jpg", "xml/marks.xml") == "2019/06/317809.jpg"
    assert member_path("ATTACHMENT/logo.gif", "xml/marks.xml") == "xml/ATTACHMENT/logo.gif"
    for hostile in ("../../etc/passwd", "..\\..\\etc\\passwd", "C:\\Windows\\win.ini"):
        with pytest.raises(ArchiveEscape):
            member_path(hostile)


@pytest.mark.parametrize("jobs", [1, 2])
def test_pictures_go_to_the_data_path_the_run_was_given(tmp_path, jobs):
    """A run given a lake other than its home's (--catalog/--data) stores the pictures there,
    in the pool's processes too."""
    from warehouse.lake import LakeSettings

    source = tmp_path / "mirror" / "khtm"
    source.mkdir(parents=True)
    with zipfile.ZipFile(source / "khtm-20240105.xml.zip", "w") as archive:
        archive.writestr("xml/kh-1.xml", kh_mark(1, "ATTACHMENT/1.gif"))
        archive.writestr("xml/ATTACHMENT/1.gif", GIF)
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    lake = LakeSettings(catalog=str(elsewhere / "lake.sqlite"), data=str(elsewhere / "lake"))
    pipeline.run(["khtm"], source=tmp_path / "mirror", home=home, lake=lake, jobs=jobs)
    digest = hashlib.sha256(GIF).hexdigest()
    assert (elsewhere / "lake" / "images" / digest[:2] / f"{digest}.gif").is_file()
    assert not (home / "lake").exists()
