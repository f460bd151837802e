"""The real KIPRIS Plus pull for application 4020190000011, normalized; expected values read
from its two responses (TradeMarkInfo.xml, TrademarkDesignationGoodstInfo.xml inside
samples/mirror/krtm/kipris-4020190000011.zip). The last test maps responses written from
their shape (tests/fixtures/krtm/)."""

from __future__ import annotations

import datetime as dt
import io

from connectors.kipris import read_delivery
from ipetl.collections.national import KRTM
from tests.conftest import FIXTURES, MIRROR
from transforms import kipris
from transforms.normalize import normalize_file
from transforms.schema import TRADEMARKS

D = dt.date
TODAY = D(2026, 1, 1)  # the date the records are mapped as of: inside the first 10-year term


def test_registered_korean_mark_with_its_designated_goods(tmp_path):
    result = normalize_file(
        MIRROR / "krtm" / "kipris-4020190000011.zip", kipris.FORMAT, KRTM.rules(), tmp_path, today=TODAY
    )
    assert result.rejected is None and result.quarantined == []
    [r] = [row for batch in result.batches() for row in batch.to_pylist()]
    result.discard()
    assert list(r) == TRADEMARKS.names
    # <ApplicationNumber>4020190000011 <ApplicationDate>20190101; krtm mask (\d{2})\d{4}(\d*)
    # keeps the right code 40 and the serial 0000011
    assert r["st13"] == "KR502019400000011"
    assert (r["application_number"], r["application_date"]) == ("4020190000011", D(2019, 1, 1))
    assert (r["status"], r["office_status"]) == ("Registered", "등록")  # <ApplicationStatus>등록
    assert r["registration_number"] == "4015569910000"  # <RegistrationNumber>
    assert r["registration_date"] == D(2019, 12, 23)  # <RegistrationDate>20191223
    assert r["publication_date"] == D(2019, 7, 31)  # <PublicDate>20190731 (publication for opposition)
    assert r["status_date"] is None  # the response gives none
    # no expiry in the response: 10 years from <RegistrationDate>20191223 (Korean TM Act art. 83)
    assert r["expiry_date"] == dt.date(2029, 12, 23)
    assert (r["mark_text"], r["mark_text_language"]) == ("돈퍼", "ko")  # <Title>돈퍼
    assert r["mark_feature"] == "Undefined"  # no feature element, <ViennaCode></ViennaCode>
    assert r["kind"] == ["Individual"]  # right code 40: trademark
    assert r["nice_classes"] == [43]  # <GoodClassificationCode>43, every goods row class 43
    # nine rows, three terms each under three similar-group codes, in serial order
    assert r["goods_services"] == [
        {
            "class_number": 43,
            "language": "ko",
            "text": "중국식퓨전음식전문점체인업; 중국음식점업; 중국식퓨전음식전문점경영업",
        }
    ]
    # <RegistrationRightholderName>김현호 kimHyunHo (the holder); <ApplicantName>김현호; no country given
    assert r["applicants"] == [{"name": "김현호 kimHyunHo", "country_code": None, "address": None}]
    assert r["representatives"] == [] and r["priorities"] == []  # <AgentName></AgentName>, no priority
    assert r["mark_image_uris"] == [
        "http://plus.kipris.or.kr/kiprisplusws/fileToss.jsp?arg=ed43a0609e94d6e251697a9d72a9134435594e3384b42e76c0c1194596d9ce713eab8b480c0bac7f959eac6a27cc4b4806ef5b7e099c903d"
    ]  # <ImagePath>
    assert (r["office"], r["collection"]) == ("KR", "krtm")
    assert r["source_file"] == "kipris-4020190000011.zip!TradeMarkInfo.xml"
    assert r["source_sha256"].startswith("593609553ab1f300")  # reference SOURCES.md, TradeMarkInfo.xml


def test_written_responses_map_vienna_priority_agent_and_english_goods():
    members = [
        ("4120150000001/goods.xml", io.BytesIO((FIXTURES / "krtm" / "goods-with-english.xml").read_bytes())),
        ("marks.xml", io.BytesIO((FIXTURES / "krtm" / "two-marks.xml").read_bytes())),
    ]
    first, second = (kipris.to_canonical(record, KRTM.rules(), TODAY) for _, record in read_delivery(members))

    assert first["st13"] == "KR502015410000001"
    # <ApplicationStatus>소멸 with no registration: it ended, it did not expire
    assert (first["status"], first["office_status"]) == ("Ended", "소멸")
    assert first["mark_feature"] == "Combined"  # <ViennaCode>260401|050501 and a <Title>
    assert first["vienna_codes"] == ["05.05.01", "26.04.01"]
    assert (first["mark_text"], first["mark_text_language"]) == ("EXAMPLE MARKET", None)  # no Hangul
    assert first["kind"] == ["Individual"]  # right code 41: service mark
    assert first["nice_classes"] == [35, 41]
    assert first["goods_services"] == [  # serial order 1, 2; Hangul and English names
        {"class_number": 35, "language": "ko", "text": "광고업"},
        {"class_number": 35, "language": "en", "text": "Advertising"},
        {"class_number": 41, "language": "ko", "text": "교육업"},
        {"class_number": 41, "language": "en", "text": "Education services"},
    ]
    assert first["applicants"] == [{"name": "Example Trading Co., Ltd.", "country_code": None, "address": None}]
    assert first["representatives"] == [{"name": "특허법인 예시", "country_code": None, "address": None}]
    assert first["priorities"] == [{"country_code": None, "number": "2014-123456", "date": D(2014, 10, 1)}]
    assert first["mark_image_uris"] == []

    assert second["status"] == "Pending"  # <ApplicationStatus>출원
    assert second["nice_classes"] == [30] and second["goods_services"] == []  # class from the mark, no goods
    assert second["applicants"][0]["name"] == "홍길동"
