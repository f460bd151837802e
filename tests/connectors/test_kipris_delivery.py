"""Joining KIPRIS Plus responses of one delivery: marks with their designated goods.

The real pull is samples/mirror/krtm/kipris-4020190000011.zip; the other responses are
written from its shape (tests/fixtures/krtm/, each says so in its header).
"""

from __future__ import annotations

import io
import tarfile
import zipfile

import pytest

from connectors.files import open_members
from connectors.kipris import application_number_in, read_delivery
from connectors.xml import DeliveryError
from ipetl.collections.national import KRTM
from tests.conftest import FIXTURES, MIRROR
from transforms import kipris
from transforms.normalize import normalize_file

REAL_PULL = MIRROR / "krtm" / "kipris-4020190000011.zip"
REAL_MARK = "TradeMarkInfo.xml"
REAL_GOODS = "TrademarkDesignationGoodstInfo.xml"


def fixture(name: str) -> bytes:
    return (FIXTURES / "krtm" / name).read_bytes()


def real(name: str) -> bytes:
    """A member of the real pull, byte for byte."""
    with zipfile.ZipFile(REAL_PULL) as archive:
        return archive.read(name)


def one_shot(members: list[tuple[str, bytes]]):
    """Members as open_members gives them: a stream is closed once the next one is asked for."""
    previous = None
    for name, data in members:
        if previous is not None:
            previous.close()
        previous = io.BytesIO(data)
        yield name, previous


def test_the_real_pull_joins_its_nine_goods_rows_to_its_mark():
    [(name, record)] = list(read_delivery((m.name, m.stream) for m in open_members(REAL_PULL)))
    assert name == "kipris-4020190000011.zip!TradeMarkInfo.xml"
    assert record["ApplicationNumber"] == "4020190000011"  # <TradeMarkInfo><ApplicationNumber>
    # <DesignationGoodsSerialNumber>1 .. 9
    assert [g["DesignationGoodsSerialNumber"] for g in record["goods"]] == [str(n) for n in range(1, 10)]
    assert {g["SimilargroupCode"] for g in record["goods"]} == {"G0301", "G0502", "S120602"}


def test_goods_join_the_application_their_member_path_names():
    got = {
        record["ApplicationNumber"]: record["goods"]
        for _, record in read_delivery(
            one_shot(
                [
                    ("pull.tar!4120150000001/goods.xml", fixture("goods-with-english.xml")),
                    ("pull.tar!marks.xml", fixture("two-marks.xml")),
                    ("pull.tar!4020190000011/goods.xml", real(REAL_GOODS)),  # no mark in this delivery: dropped
                ]
            )
        )
    }
    assert list(got) == ["4120150000001", "4020200000002"]  # in the order of the marks response
    assert [g["DesignationGoodsHangeulName"] for g in got["4120150000001"]] == ["교육업", "광고업"]
    assert got["4020200000002"] == []  # its goods never arrived: the mark still comes out


def test_the_innermost_application_number_of_a_path_wins():
    assert application_number_in("kipris-4020190000011.zip!4120150000001/goods.xml") == "4120150000001"
    assert application_number_in("kipris-4020190000011.zip!TrademarkDesignationGoodstInfo.xml") == "4020190000011"
    assert application_number_in("pull-20240101120000.zip!goods.xml") is None  # a timestamp is not one


def test_each_response_is_read_whole_before_the_next_member_is_opened():
    # one_shot closes the goods stream as soon as the marks member is asked for
    [(_, record)] = list(read_delivery(one_shot([(REAL_GOODS, real(REAL_GOODS)), (REAL_MARK, real(REAL_MARK))])))
    assert len(record["goods"]) == 9  # unnamed goods, one mark: they are its goods


def test_unnamed_goods_and_several_marks_reject_the_delivery():
    members = [("marks.xml", fixture("two-marks.xml")), ("goods.xml", fixture("goods-with-english.xml"))]
    with pytest.raises(DeliveryError, match="2 marks"):
        list(read_delivery(one_shot(members)))


def test_an_api_error_response_rejects_the_whole_delivery(tmp_path):
    delivery = tmp_path / "kipris-4020190000011.tar"
    with tarfile.open(delivery, "w") as archive:
        for name, data in ((REAL_MARK, real(REAL_MARK)), (REAL_GOODS, fixture("error-response.xml"))):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    result = normalize_file(delivery, kipris.FORMAT, KRTM.rules(), tmp_path)
    assert result.rejected == (
        "kipris-4020190000011.tar!TrademarkDesignationGoodstInfo.xml: KIPRIS error response 30: Invalid AccessKey Error"
    )
    assert result.records == 0
