"""KIPRIS Plus (KIPO, Korea) trademark API responses: a delivery → joined office records.

A mark and its designated goods are two API calls for one application number:
`applicationNumberSearchInfo` answers `<TradeMarkInfo>` items (dates YYYYMMDD, Korean status
word, names), `trademarkDesignationGoodstInfo` answers `<trademarkDesignationGoodstInfo>` rows
(Nice class, similar-group code, Korean and English goods names). The goods response does not
repeat the application number it was asked for, so a delivery (a .zip or .tar of one pull)
says it in the member's path: `4020190000011/goods.xml`, `goods-4020190000011.xml`, or the
archive's own name (`kipris-4020190000011.zip`). A delivery holding a single mark needs no
such name. An office record (connectors.records.KiprisRecord) is the TradeMarkInfo fields by
element name, plus `goods`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from connectors.records import Fields, KiprisMark, KiprisRecord, is_kipris_field
from connectors.xml import ByteStream, DeliveryError, iter_elements, local, text

MARK_TAG = "TradeMarkInfo"
GOODS_TAG = "trademarkDesignationGoodstInfo"
_HEADER_TAGS = ("resultCode", "resultMsg")
_SUCCESS_CODES = {None, "00"}  # the responses seen leave resultCode empty; "00" is NORMAL SERVICE
# a KIPO trademark application number: right code 4x, year, serial (13 digits)
_APPLICATION_NUMBER = re.compile(r"(?<!\d)4\d{12}(?!\d)")


@dataclass
class Response:
    """One API response, read to its end."""

    marks: list[KiprisMark] = field(default_factory=list)
    goods: list[Fields] = field(default_factory=list)
    header: dict[str, str | None] = field(default_factory=dict)


def read_response(stream: ByteStream) -> Response:
    response = Response()
    for elem in iter_elements(stream, (MARK_TAG, GOODS_TAG, *_HEADER_TAGS)):
        tag = local(elem.tag)
        if tag in _HEADER_TAGS:
            response.header[tag] = text(elem)
        elif tag == MARK_TAG:
            mark: KiprisMark = {}
            for c in elem:
                if is_kipris_field(name := local(c.tag)):
                    mark[name] = text(c)
            response.marks.append(mark)
        else:
            response.goods.append({local(c.tag): text(c) for c in elem if local(c.tag)})
    return response


def application_number_in(member_name: str) -> str | None:
    """The application number a member's path names (the innermost one), if any."""
    found = _APPLICATION_NUMBER.findall(member_name)
    return found[-1] if found else None


def read_delivery(members: Iterable[tuple[str, ByteStream]]) -> Iterator[tuple[str, KiprisRecord]]:
    """(member name of the mark, mark with its `goods` rows) for every mark of the delivery.

    Each response is parsed whole before the next member is asked for (a member's stream ends
    when the next one opens). Marks whose goods never arrive come out with no goods; goods
    of an application the delivery has no mark for are dropped. An API error response, or a
    goods response that names no application while several marks could own it, rejects the
    delivery.
    """
    marks: list[tuple[str, KiprisMark]] = []
    goods: dict[str | None, list[Fields]] = {}
    for name, stream in members:
        response = read_response(stream)
        code = response.header.get("resultCode")
        if code not in _SUCCESS_CODES:
            raise DeliveryError(
                f"{name}: KIPRIS error response {code}: {response.header.get('resultMsg') or 'no message'}"
            )
        marks.extend((name, mark) for mark in response.marks)
        if response.goods:
            goods.setdefault(application_number_in(name), []).extend(response.goods)
    unnamed = goods.pop(None, [])
    if unnamed:
        if len(marks) != 1:
            raise DeliveryError(
                "designated goods without an application number in the member name, "
                f"and {len(marks)} marks to join them to"
            )
        goods.setdefault(marks[0][1].get("ApplicationNumber"), []).extend(unnamed)
    for name, mark in marks:
        record: KiprisRecord = {**mark, "goods": goods.get(mark.get("ApplicationNumber"), [])}
        yield name, record
