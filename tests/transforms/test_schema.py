"""The canonical schema is the data contract, and the data dictionary is generated from it."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa

from transforms.schema import DESIGNS, EVENTS, TRADEMARKS, data_dictionary, description

DOCS = Path(__file__).resolve().parents[2] / "docs"


def contract_fields(table: str) -> list[str]:
    """Field names of a table as docs/data-contract.md lists them (`a, b` rows name several)."""
    text = (DOCS / "data-contract.md").read_text()
    section = text.split(f"(table `{table}`")[1].split("\n## ")[0]
    names = []
    for row in re.findall(r"^\| ([a-z0-9_, ]+) \|", section, flags=re.M):
        if row.strip() != "field":
            names += [n.strip() for n in row.split(",")]
    return names


def test_trademark_fields_are_the_contracts():
    assert TRADEMARKS.names == contract_fields("trademarks")


def test_design_fields_are_the_contracts():
    assert DESIGNS.names == contract_fields("designs")


def test_event_fields_are_the_contracts():
    assert EVENTS.names == contract_fields("events")


def test_contract_types():
    assert TRADEMARKS.field("nice_classes").type == pa.list_(pa.int16())
    assert TRADEMARKS.field("application_date").type == pa.date32()
    assert TRADEMARKS.field("ingested_at").type == pa.timestamp("us", tz="UTC")
    party = TRADEMARKS.field("applicants").type.value_type
    assert [f.name for f in party] == ["name", "country_code", "address"]
    assert [f.name for f in TRADEMARKS.field("goods_services").type.value_type] == ["class_number", "language", "text"]
    assert [f.name for f in DESIGNS.field("priorities").type.value_type] == ["country_code", "number", "date"]


def test_every_field_is_described():
    for schema in (TRADEMARKS, DESIGNS, EVENTS):
        for field in schema:
            assert description(field), field.name


def test_data_dictionary_is_in_sync():
    assert (DOCS / "data-dictionary.md").read_text() == data_dictionary(), (
        "run: ipetl dictionary > docs/data-dictionary.md"
    )
