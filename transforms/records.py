"""The records a transform takes and gives, as Python types.

The canonical records mirror the Arrow schemas of transforms/schema.py (the data contract):
tests/transforms/test_records.py checks them field for field, so the two cannot drift.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, TypedDict

# What a connector yields for one record: element names to values, as each format family reads
# them (typed per family in connectors/); transforms only read it.
OfficeRecord = Mapping[str, Any]


class Party(TypedDict):
    name: str | None
    country_code: str | None
    address: str | None


class Priority(TypedDict):
    country_code: str | None
    number: str | None
    date: dt.date | None


class Designation(TypedDict):
    country_code: str | None
    status: str | None
    status_date: dt.date | None


class GoodsServices(TypedDict):
    class_number: int | None
    language: str | None
    text: str | None


class Event(TypedDict):
    date: dt.date | None
    code: str | None
    text: str | None
    category: str | None


class TrademarkRecord(TypedDict):
    st13: str | None
    office: str | None
    collection: str | None
    application_number: str | None
    application_date: dt.date | None
    registration_number: str | None
    registration_date: dt.date | None
    expiry_date: dt.date | None
    termination_date: dt.date | None
    publication_date: dt.date | None
    status: str | None
    office_status: str | None
    status_date: dt.date | None
    mark_feature: str | None
    kind: list[str]
    mark_text: str | None
    mark_text_language: str | None
    mark_transliteration: str | None
    nice_classes: list[int]
    goods_services: list[GoodsServices]
    vienna_codes: list[str]
    applicants: list[Party]
    representatives: list[Party]
    priorities: list[Priority]
    international_registration: str | None
    designated_countries: list[str]
    mark_image_uris: list[str]
    events: list[Event]
    source_file: str | None
    source_sha256: str | None
    ingested_at: dt.datetime | None
    delivery_date: dt.date | None
    delivery_sequence: int | None


class DesignRecord(TypedDict):
    st13: str | None
    design_number: str | None
    office: str | None
    collection: str | None
    application_number: str | None
    application_date: dt.date | None
    registration_number: str | None
    registration_date: dt.date | None
    expiry_date: dt.date | None
    publication_date: dt.date | None
    status: str | None
    office_status: str | None
    status_date: dt.date | None
    product_indication: str | None
    product_indication_language: str | None
    locarno_classes: list[str]
    locarno_edition: str | None
    applicants: list[Party]
    designers: list[Party]
    representatives: list[Party]
    priorities: list[Priority]
    international_registration: str | None
    designated_countries: list[str]
    designations: list[Designation]
    representation_uris: list[str]
    events: list[Event]
    source_file: str | None
    source_sha256: str | None
    ingested_at: dt.datetime | None
    delivery_date: dt.date | None
    delivery_sequence: int | None


CanonicalRecord = TrademarkRecord | DesignRecord


class QuarantineRow(TypedDict):
    """A record held back (schema.QUARANTINE): by the normalizer or by the quality gate."""

    collection: str
    source_file: str
    st13: str | None
    rule_id: str
    value: str | None
    reason: str
    quarantined_at: dt.datetime
