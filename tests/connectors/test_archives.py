"""open_members: real sample files come out of every archive byte for byte; hostile archives
write nothing, follow no link and stop at the inflate cap.

The hostile archives are built here, member by member, so each test shows the trick it plays.
Members are streamed, never extracted, so a member's name is only a label.
"""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zipfile
from pathlib import Path
from typing import Literal

import pytest

from connectors import files
from connectors.files import open_members
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


def make_tar(
    path: Path, members: list[tarfile.TarInfo | tuple[str, bytes]], mode: Literal["w", "w:gz"] = "w:gz"
) -> Path:
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


def read_members(path: Path) -> dict[str, bytes]:
    """{member name: bytes} of every stream open_members gives, each read to its end."""
    return {member.name: member.stream.read() for member in open_members(path)}


def nothing_written(work: Path) -> bool:
    """No file appeared beside the archives: nothing was extracted, escaped or left over."""
    return sorted(p.name for p in work.iterdir()) == ["in"]


@pytest.fixture
def work(tmp_path):
    (tmp_path / "in").mkdir()
    return tmp_path


@pytest.fixture
def small_cap(monkeypatch):
    """Inflate caps of about a MiB, so a bomb is cheap to build."""
    monkeypatch.setattr(files, "INFLATE_FLOOR", CAP)


def test_zip_members_come_out_byte_for_byte(work):
    archive = make_zip(work / "in" / "kh.zip", [("2024/khtm.xml", KH), ("2024/altm.xml", AL)])
    assert read_members(archive) == {"kh.zip!2024/khtm.xml": KH, "kh.zip!2024/altm.xml": AL}


def test_tar_gz_plain_tar_and_gz_come_out_byte_for_byte(work):
    from_tgz = read_members(make_tar(work / "in" / "kh.tar.gz", [("khtm.xml", KH)]))
    from_tar = read_members(make_tar(work / "in" / "kh.tar", [("khtm.xml", KH)], "w"))
    gz = work / "in" / "khtm.xml.gz"
    gz.write_bytes(gzip.compress(KH))
    assert from_tgz == {"kh.tar.gz!khtm.xml": KH}
    assert from_tar == {"kh.tar!khtm.xml": KH}
    assert read_members(gz) == {"khtm.xml.gz": KH}


@pytest.mark.parametrize("evil", ["../evil.xml", "/tmp/evil.xml", "a/../../evil.xml", "..\\evil.xml", "C:/evil.xml"])
def test_zip_slip_names_are_only_labels_and_nothing_is_written(work, evil):
    archive = make_zip(work / "in" / "slip.zip", [("khtm.xml", KH), (evil, b"<owned/>")])
    read = read_members(archive)
    assert read.pop("slip.zip!khtm.xml") == KH
    assert list(read.items()) in ([(f"slip.zip!{evil}", b"<owned/>")], [])  # a label, or skipped as hidden
    assert nothing_written(work)


def test_zip_symlink_member_is_read_as_its_own_bytes_never_followed(work):
    archive = make_zip(work / "in" / "link.zip", [("passwd", b"/etc/passwd")], symlink=True)
    assert read_members(archive) == {"link.zip!passwd": b"/etc/passwd"}
    assert nothing_written(work)


@pytest.mark.parametrize(
    "member",
    [
        ("../evil.xml", b"<owned/>"),
        ("/etc/evil.xml", b"<owned/>"),
        link("passwd", "/etc/passwd", tarfile.SYMTYPE),
        link("up", "../../..", tarfile.SYMTYPE),
        link("hard", "../../etc/passwd", tarfile.LNKTYPE),
        link("same.xml", "khtm.xml", tarfile.LNKTYPE),
        link("dev", "", tarfile.CHRTYPE),
    ],
)
def test_tar_escapes_links_and_special_files_write_and_follow_nothing(work, member):
    archive = make_tar(work / "in" / "evil.tar.gz", [("khtm.xml", KH), member])
    read = read_members(archive)
    assert read["evil.tar.gz!khtm.xml"] == KH
    if isinstance(member, tarfile.TarInfo):  # links and special files are not read at all
        assert list(read) == ["evil.tar.gz!khtm.xml"]
    else:  # a regular member under a hostile name: its own bytes, under that name as a label
        assert read[f"evil.tar.gz!{member[0]}"] == member[1]
    assert nothing_written(work)


def test_zip_bomb_stops_at_the_cap(work, small_cap):
    archive = make_zip(work / "in" / "bomb.zip", [("zeros.xml", bytes(5 * CAP))])
    assert archive.stat().st_size < CAP // 50  # 5 MiB of zeros deflate to a few KiB
    with pytest.raises(DeliveryError, match=f"decompressed size exceeds {CAP} bytes"):
        read_members(archive)
    assert nothing_written(work)


def test_gzip_whose_trailer_claims_a_small_size_is_still_capped(work, small_cap):
    bomb = bytearray(gzip.compress(b"<x/>" * (5 * CAP // 4)))
    bomb[-4:] = struct.pack("<I", 1000)  # ISIZE, the gzip header field for the inflated size, lies
    archive = work / "in" / "small.xml.gz"
    archive.write_bytes(bomb)
    with pytest.raises(DeliveryError, match="decompressed size exceeds"):
        read_members(archive)
    assert nothing_written(work)


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
            read_members(archive)
        assert str(error.value).startswith("corrupt archive:") and "\n" not in str(error.value)
    assert nothing_written(work)


def test_a_plain_file_is_one_stream(work):
    assert read_members(MIRROR / "khtm" / "khtm.xml") == {"khtm.xml": KH}
