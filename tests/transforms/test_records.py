"""The typed records of transforms/records.py against the Arrow schemas of transforms/schema.py:
the same fields, in the same order, of the same types (a scalar is `X | None`, or `X` where it is
never null; a list is never null and holds no nulls)."""

from __future__ import annotations

import datetime as dt
import typing

import pyarrow as pa
import pytest

from transforms.records import DesignRecord, QuarantineRow, TrademarkRecord
from transforms.schema import DESIGNS, QUARANTINE, TRADEMARKS, empty_record

SCALARS: dict[pa.DataType, type] = {
    pa.string(): str,
    pa.int16(): int,
    pa.int64(): int,
    pa.date32(): dt.date,
    pa.timestamp("us", tz="UTC"): dt.datetime,
}


def assert_same_fields(typed: type, fields: list[pa.Field], where: str) -> None:
    hints = typing.get_type_hints(typed)
    assert list(hints) == [f.name for f in fields], where
    for f in fields:
        assert_same_type(hints[f.name], f.type, f"{where}.{f.name}", nullable=True)


def assert_same_type(hint: object, type_: pa.DataType, where: str, nullable: bool) -> None:
    if pa.types.is_list(type_):
        assert typing.get_origin(hint) is list, where
        [item] = typing.get_args(hint)
        assert_same_type(item, type_.value_type, f"{where}[]", nullable=False)
    elif pa.types.is_struct(type_):
        assert typing.is_typeddict(hint), where
        assert_same_fields(typing.cast(type, hint), list(type_), where)
    else:
        expected = SCALARS[type_]
        assert hint == expected or (nullable and hint == expected | None), where


@pytest.mark.parametrize(
    "typed, schema", [(TrademarkRecord, TRADEMARKS), (DesignRecord, DESIGNS), (QuarantineRow, QUARANTINE)]
)
def test_typed_record_matches_its_arrow_schema(typed, schema):
    assert_same_fields(typed, list(schema), schema.metadata[b"table"].decode() if schema.metadata else "quarantine")


def test_an_empty_record_has_every_field_of_its_type():
    assert list(empty_record("trademarks")) == list(typing.get_type_hints(TrademarkRecord))
    assert list(empty_record("designs")) == list(typing.get_type_hints(DesignRecord))
