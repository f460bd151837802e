"""safe_extract: real sample files come out byte for byte; hostile archives come out not at all.

The hostile archives are built here, member by member, so each test shows the trick it plays.
"""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest

from connectors.unpack import safe_extract
from connectors.xml import DeliveryError
from tests.conftest import MIRROR

KH = (MIRROR / "khtm" / "khtm.xml").read_bytes()
AL = (MIRROR / "altm" / "altm.xml").read_bytes()
CAP = 1 << 20


def make_zip(path: Path, members: list[tuple[str, bytes]], symlink: bool = False) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if symlink:
                info.external_attr = 0o120777 << 16
            zf.writestr(info, data)
    return path


def make_tar(path: Path, members: list[tarfile.TarInfo | tuple[str, bytes]], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tf:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tf.addfile(member)
            else:
                name, data = member
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return path


def link(name: str, target: str, kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


def nothing_left(tmp_path: Path, target: Path) -> bool:
    """The target was not created and no scratch directory or escaped file remains."""
    return not target.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["in"]


@pytest.fixture
def work(tmp_path):
    (tmp_path / "in").mkdir()
    return tmp_path


def test_zip_members_come_out_byte_for_byte(work):
    archive = make_zip(work / "in" / "kh.zip", [("2024/khtm.xml", KH), ("2024/altm.xml", AL)])
    files = safe_extract(archive, work / "out", CAP)
    assert files == [work / "out" / "2024" / "altm.xml", work / "out" / "2024" / "khtm.xml"]
    assert files[1].read_bytes() == KH and files[0].read_bytes() == AL


def test_tar_gz_plain_tar_and_gz_come_out_byte_for_byte(work):
    [from_tgz] = safe_extract(make_tar(work / "in" / "kh.tar.gz", [("khtm.xml", KH)]), work / "tgz", CAP)
    [from_tar] = safe_extract(make_tar(work / "in" / "kh.tar", [("khtm.xml", KH)], "w"), work / "tar", CAP)
    gz = work / "in" / "khtm.xml.gz"
    gz.write_bytes(gzip.compress(KH))
    [from_gz] = safe_extract(gz, work / "gz", CAP)
    assert from_gz == work / "gz" / "khtm.xml"
    assert from_tgz.read_bytes() == from_tar.read_bytes() == from_gz.read_bytes() == KH


@pytest.mark.parametrize("evil", ["../evil.xml", "/tmp/evil.xml", "a/../../evil.xml", "..\\evil.xml", "C:/evil.xml"])
def test_zip_slip_is_refused_and_nothing_is_extracted(work, evil):
    archive = make_zip(work / "in" / "slip.zip", [("khtm.xml", KH), (evil, b"<owned/>")])
    with pytest.raises(DeliveryError, match="unsafe member path"):
        safe_extract(archive, work / "out", CAP)
    assert nothing_left(work, work / "out")  # not even the harmless first member


def test_zip_symlink_member_is_refused(work):
    archive = make_zip(work / "in" / "link.zip", [("passwd", b"/etc/passwd")], symlink=True)
    with pytest.raises(DeliveryError, match="symbolic link"):
        safe_extract(archive, work / "out", CAP)
    assert nothing_left(work, work / "out")


@pytest.mark.parametrize(
    "member, message",
    [
        (("../evil.xml", b"<owned/>"), "unsafe member path"),
        (("/etc/evil.xml", b"<owned/>"), "unsafe member path"),
        (link("passwd", "/etc/passwd", tarfile.SYMTYPE), "symbolic link"),
        (link("up", "../../..", tarfile.SYMTYPE), "symbolic link"),
        (link("hard", "../../etc/passwd", tarfile.LNKTYPE), "unsafe member path"),
        (link("dev", "", tarfile.CHRTYPE), "special file"),
    ],
)
def test_tar_escapes_and_links_are_refused(work, member, message):
    archive = make_tar(work / "in" / "evil.tar.gz", [("khtm.xml", KH), member])
    with pytest.raises(DeliveryError, match=message):
        safe_extract(archive, work / "out", CAP)
    assert nothing_left(work, work / "out")


def test_tar_hard_link_to_an_earlier_member_becomes_a_copy(work):
    archive = make_tar(work / "in" / "hard.tar", [("khtm.xml", KH), link("same.xml", "khtm.xml", tarfile.LNKTYPE)], "w")
    files = safe_extract(archive, work / "out", CAP)
    assert [f.name for f in files] == ["khtm.xml", "same.xml"]
    assert files[1].read_bytes() == KH and files[1].stat().st_nlink == 1


def test_zip_bomb_stops_at_the_cap(work):
    archive = make_zip(work / "in" / "bomb.zip", [("zeros.xml", bytes(5 * CAP))])
    assert archive.stat().st_size < CAP // 50  # 5 MiB of zeros deflate to a few KiB
    with pytest.raises(DeliveryError, match=f"decompressed size exceeds {CAP} bytes"):
        safe_extract(archive, work / "out", CAP)
    assert nothing_left(work, work / "out")


def test_many_small_members_add_up_to_the_cap(work):
    members = [(f"part{i}.xml", bytes(CAP // 4)) for i in range(8)]
    with pytest.raises(DeliveryError, match="decompressed size exceeds"):
        safe_extract(make_tar(work / "in" / "many.tar.gz", members), work / "out", CAP)
    assert nothing_left(work, work / "out")


def test_gzip_whose_trailer_claims_a_small_size_is_still_capped(work):
    bomb = bytearray(gzip.compress(b"<x/>" * (5 * CAP // 4)))
    bomb[-4:] = struct.pack("<I", 1000)  # ISIZE, the gzip header field for the inflated size, lies
    archive = work / "in" / "small.xml.gz"
    archive.write_bytes(bomb)
    with pytest.raises(DeliveryError, match="decompressed size exceeds"):
        safe_extract(archive, work / "out", CAP)
    assert nothing_left(work, work / "out")


def test_corrupt_archives_give_one_line(work):
    packed = work / "in" / "good.zip"
    make_zip(packed, [("khtm.xml", KH)])
    data = bytearray(packed.read_bytes())
    data[60:80] = bytes(20)  # zeros over the start of the deflated khtm.xml
    damaged = work / "in" / "damaged.zip"
    damaged.write_bytes(data)
    truncated = work / "in" / "truncated.tar.gz"
    truncated.write_bytes(make_tar(work / "in" / "t.tar.gz", [("khtm.xml", KH)]).read_bytes()[:500])
    for archive in (damaged, truncated):
        with pytest.raises(DeliveryError) as error:
            safe_extract(archive, work / "out", CAP)
        assert str(error.value).startswith("corrupt archive:") and "\n" not in str(error.value)
        assert not (work / "out").exists()


def test_duplicate_member_is_refused(work):
    archive = make_tar(work / "in" / "dup.tar", [("khtm.xml", KH), ("khtm.xml", AL)], "w")
    with pytest.raises(DeliveryError, match="duplicate"):
        safe_extract(archive, work / "out", CAP)


def test_not_an_archive_and_non_empty_target(work):
    with pytest.raises(DeliveryError, match="not an archive"):
        safe_extract(MIRROR / "khtm" / "khtm.xml", work / "out", CAP)
    (work / "full").mkdir()
    (work / "full" / "kept.xml").write_bytes(b"<kept/>")
    with pytest.raises(FileExistsError):
        safe_extract(make_tar(work / "in" / "ok.tar", [("khtm.xml", KH)], "w"), work / "full", CAP)
    assert [p.name for p in (work / "full").iterdir()] == ["kept.xml"]
