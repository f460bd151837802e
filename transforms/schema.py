"""Canonical record model: one pyarrow schema per published table.

The names, types and meanings follow the project's data contract (docs/data-dictionary.md is
generated from this module). Renaming or removing a field is a breaking change and needs a
SCHEMA_VERSION bump; adding one is not.
"""

from __future__ import annotations

from typing import Any, Literal, cast, overload

import pyarrow as pa

from transforms.records import CanonicalRecord, DesignRecord, TrademarkRecord

# 1.1: table `deliveries`; `deleted` described here.
# 1.2: trademarks.mark_transliteration; designs.designations; tables `events` and `images`.
SCHEMA_VERSION = "1.2"

# The contract's vocabularies: the values `status` and `kind` may hold.
STATUS_CATEGORIES = ("Registered", "Pending", "Ended", "Expired", "Unknown")
KINDS = ("Individual", "Collective", "Certificate", "Defensive", "Membership", "Slogan", "Other")
# The event categories: WIPO's brand vocabulary (transforms/vocab/brands-vocabularies.json `events`;
# the design vocabulary has none, so designs use it too). tests/transforms/test_events.py checks the copy.
EVENT_CATEGORIES = (
    "Filed",
    "Registered",
    "Published",
    "Pending",
    "Inactive",
    "Opposed",
    "Withdrawn",
    "Expired",
    "Examined",
    "Invalidated",
    "Rejected",
    "Abandoned",
    "Suspended",
    "Surrendered",
    "Appealed",
    "Awaiting court action",
    "Converted",
    "Notification",
    "Unknown",
)


def _field(name: str, type_: pa.DataType, description: str) -> pa.Field:
    return pa.field(name, type_, nullable=True, metadata={"description": description})


PARTY = pa.struct(
    [
        _field("name", pa.string(), "name as the office writes it"),
        _field("country_code", pa.string(), "ST.3 country code of the address or nationality"),
        _field("address", pa.string(), "free-format address, lines joined with ', '"),
    ]
)
PRIORITY = pa.struct(
    [
        _field("country_code", pa.string(), "ST.3 code of the office of first filing"),
        _field("number", pa.string(), "application number of the first filing"),
        _field("date", pa.date32(), "filing date of the first filing"),
    ]
)
DESIGNATION = pa.struct(
    [
        _field("country_code", pa.string(), "ST.3 code of the designated contracting party"),
        _field("status", pa.string(), "status category of the design in that party"),
        _field("status_date", pa.date32(), "date of that status"),
    ]
)
GOODS_SERVICES = pa.struct(
    [
        _field("class_number", pa.int16(), "Nice class 1..45"),
        _field("language", pa.string(), "ISO 639-1 language of the text"),
        _field("text", pa.string(), "goods and services of this class as the office writes them"),
    ]
)
_EVENT_FIELDS = [
    ("date", pa.date32(), "date of the event"),
    ("code", pa.string(), "the office's own event code (or, where it has none, its event word), unchanged"),
    ("text", pa.string(), "the office's name or description of the event, as written"),
    (
        "category",
        pa.string(),
        "event category of WIPO's brand vocabulary; null when the office's code is in no table yet "
        "(`ipetl unmapped-events` lists them)",
    ),
]
EVENT = pa.struct([_field(*f) for f in _EVENT_FIELDS])
# A record's events travel with it (normalize output, the gate, staging) and are published as rows
# of the `events` table, not as a column of the record's table.
_EVENTS = _field(
    "events",
    pa.list_(EVENT),
    "the record's events in the office's order; published as the rows of table `events`, not in this table",
)

_KEY_AND_DATES = [
    ("office", pa.string(), "ST.3 code of the office that holds the record (registrationOfficeCode)"),
    ("collection", pa.string(), "id of the source collection, e.g. `khtm`, `ustm`, `khid`"),
    ("application_number", pa.string(), "application number as the office writes it"),
    ("application_date", pa.date32(), "filing date"),
    ("registration_number", pa.string(), "registration number; null until registered"),
    ("registration_date", pa.date32(), "date of registration"),
    ("expiry_date", pa.date32(), "date the current term of protection ends"),
]
_STATUS = [
    ("status", pa.string(), f"status category: {', '.join(STATUS_CATEGORIES[:-1])} or {STATUS_CATEGORIES[-1]}"),
    ("office_status", pa.string(), "the office's own status code or text, unchanged"),
    ("status_date", pa.date32(), "date of the current status"),
]
_PROVENANCE = [
    ("source_file", pa.string(), "file (or archive member) the record was read from"),
    ("source_sha256", pa.string(), "SHA-256 of that file"),
    ("ingested_at", pa.timestamp("us", tz="UTC"), "when the record was normalized (UTC)"),
    ("delivery_date", pa.date32(), "date of the delivery the record came in; orders updates (a later delivery wins)"),
    ("delivery_sequence", pa.int64(), "sequence of that delivery within its date (0 when the office numbers none)"),
]
_PARTIES_AND_PRIORITY = [
    ("applicants", pa.list_(PARTY), "holders / applicants"),
]

TRADEMARKS = pa.schema(
    [_field("st13", pa.string(), "WIPO ST.13 application identifier (record key, 17 characters)")]
    + [_field(*f) for f in _KEY_AND_DATES]
    + [
        _field("termination_date", pa.date32(), "date the right ended (abandoned, cancelled, withdrawn ...)"),
        _field("publication_date", pa.date32(), "first publication for opposition"),
    ]
    + [_field(*f) for f in _STATUS]
    + [
        _field("mark_feature", pa.string(), "ST.66 MarkFeature vocabulary value (Word, Figurative, Combined ...)"),
        _field(
            "kind",
            pa.list_(pa.string()),
            f"mark kinds: {', '.join(KINDS)}",
        ),
        _field("mark_text", pa.string(), "the mark's verbal element (MarkVerbalElementText)"),
        _field("mark_text_language", pa.string(), "ISO 639-1 language of mark_text where known"),
        _field(
            "mark_transliteration",
            pa.string(),
            "mark_text in Latin letters as the office gives it (MarkTransliteration; ILPO's MarkTranscription)",
        ),
        _field("nice_classes", pa.list_(pa.int16()), "Nice classes 1..45, ascending, no duplicates"),
        _field("goods_services", pa.list_(GOODS_SERVICES), "goods and services text per class and language"),
        _field("vienna_codes", pa.list_(pa.string()), "Vienna figurative element codes CC.SS.EE"),
    ]
    + [_field(*f) for f in _PARTIES_AND_PRIORITY]
    + [
        _field("representatives", pa.list_(PARTY), "representatives / agents"),
        _field("priorities", pa.list_(PRIORITY), "Paris Convention priority claims"),
        _field(
            "international_registration",
            pa.string(),
            "Madrid international registration number this record designates, if any",
        ),
        _field("designated_countries", pa.list_(pa.string()), "ST.3 codes of designated contracting parties"),
        _field("mark_image_uris", pa.list_(pa.string()), "where the office publishes the mark image(s)"),
        _EVENTS,
    ]
    + [_field(*f) for f in _PROVENANCE],
    metadata={"table": "trademarks", "key": "st13", "schema_version": SCHEMA_VERSION},
)

DESIGNS = pa.schema(
    [
        _field("st13", pa.string(), "WIPO ST.13 identifier of the application (type 70 for national designs)"),
        _field(
            "design_number",
            pa.string(),
            "the design's number inside its application (DesignIdentifier); `1` where there is one design",
        ),
    ]
    + [_field(*f) for f in _KEY_AND_DATES]
    + [_field("publication_date", pa.date32(), "first publication of the design")]
    + [_field(*f) for f in _STATUS]
    + [
        _field("product_indication", pa.string(), "the product (ST.86 IndicationProduct / DesignTitle)"),
        _field("product_indication_language", pa.string(), "ISO 639-1 language of product_indication"),
        _field("locarno_classes", pa.list_(pa.string()), "Locarno class and subclass CC-SS (e.g. 14-02)"),
        _field("locarno_edition", pa.string(), "Locarno edition the classes refer to"),
    ]
    + [_field(*f) for f in _PARTIES_AND_PRIORITY]
    + [
        _field("designers", pa.list_(PARTY), "designers / creators"),
        _field("representatives", pa.list_(PARTY), "representatives / agents"),
        _field("priorities", pa.list_(PRIORITY), "Paris Convention priority claims"),
        _field("international_registration", pa.string(), "Hague international registration number, if any"),
        _field("designated_countries", pa.list_(pa.string()), "ST.3 codes of designated contracting parties"),
        _field(
            "designations",
            pa.list_(DESIGNATION),
            "the design's status in each designated contracting party (Hague registrations: their "
            "refusals, grants of protection, renewals and expiry applied); empty where the office gives none",
        ),
        _field("representation_uris", pa.list_(pa.string()), "views / representation sheets"),
        _EVENTS,
    ]
    + [_field(*f) for f in _PROVENANCE],
    metadata={"table": "designs", "key": "st13,design_number", "schema_version": SCHEMA_VERSION},
)

TABLES: dict[str, pa.Schema] = {"trademarks": TRADEMARKS, "designs": DESIGNS}
KEYS: dict[str, tuple[str, ...]] = {"trademarks": ("st13",), "designs": ("st13", "design_number")}


def stored(schema: pa.Schema) -> pa.Schema:
    """A record table's schema as the lake stores it: without `events` (table `events` holds them)."""
    return schema.remove(schema.get_field_index("events"))


# Events: one row per event of a published record, replaced whenever the record is (see
# warehouse/publish.py); a record's tombstone removes them.
EVENTS = pa.schema(
    [
        _field("st13", pa.string(), "key of the record the event belongs to"),
        _field("design_number", pa.string(), "with st13, the key of a design; null for trademarks"),
        _field("office", pa.string(), "ST.3 code of the office"),
        _field("collection", pa.string(), "registry collection id"),
        _field("position", pa.int32(), "place of the event in the record's list as delivered, from 1"),
    ]
    + [_field(*f) for f in _EVENT_FIELDS],
    metadata={"table": "events", "key": "st13,design_number,position", "schema_version": SCHEMA_VERSION},
)

# Tombstones: keys a delivery marked deleted (a record merely absent from a delta stays live).
TOMBSTONES = pa.schema(
    [
        _field("table_name", pa.string(), "the table the record was in: trademarks or designs"),
        _field("st13", pa.string(), "key of the deleted record"),
        _field("design_number", pa.string(), "with st13, the key of a deleted design; null for trademarks"),
        _field("collection", pa.string(), "registry collection id"),
        _field("office", pa.string(), "ST.3 code of the office"),
        _field("reason", pa.string(), "the office's status code or word that deleted it"),
        _field("source_file", pa.string(), "the delivery (and archive member) that deleted it"),
        _field("delivery_date", pa.date32(), "date of that delivery; a later delivery may revive the record"),
        _field("delivery_sequence", pa.int64(), "sequence of that delivery within its date"),
    ],
    metadata={"table": "deleted", "key": "table_name,st13,design_number", "schema_version": SCHEMA_VERSION},
)

# The deliveries each publish took: what "already published" is checked against.
DELIVERIES = pa.schema(
    [
        _field("collection", pa.string(), "registry collection id"),
        _field("name", pa.string(), "file name of the delivery"),
        _field("sha256", pa.string(), "SHA-256 of its bytes (of each member, joined with ';', for archives)"),
        _field("size", pa.int64(), "size in bytes"),
        _field("records", pa.int64(), "records read from it"),
        _field("quarantined", pa.int64(), "records of it the quality gate quarantined"),
        _field("rejected", pa.string(), "why the whole file was rejected, if it was"),
        _field("delivery_date", pa.date32(), "date of the delivery (from its name, else its time)"),
        _field("delivery_sequence", pa.int64(), "sequence of the delivery within its date"),
        _field("published_at", pa.timestamp("us", tz="UTC"), "when the publish that took it committed"),
    ],
    metadata={"table": "deliveries", "key": "collection,name,sha256", "schema_version": SCHEMA_VERSION},
)

# The pictures of the records: one row per mark image or design view (transforms/images.py).
IMAGES = pa.schema(
    [
        _field("st13", pa.string(), "key of the trademark or design the picture shows"),
        _field("design_number", pa.string(), "with st13, the design's key; null for trademarks"),
        _field("view", pa.int16(), "the picture's place among the record's images or views, from 1"),
        _field("office", pa.string(), "ST.3 code of the office"),
        _field("collection", pa.string(), "registry collection id"),
        _field("source_ref", pa.string(), "the reference as delivered: a file of the delivery archive or a URL"),
        _field("source_file", pa.string(), "the delivery (and archive member) of the record"),
        _field("sha256", pa.string(), "SHA-256 of the picture's bytes; null when it could not be read"),
        _field("format", pa.string(), "image format as decoded: GIF, TIFF, JPEG, PNG, BMP or WEBP"),
        _field("width", pa.int32(), "width in pixels, as delivered"),
        _field("height", pa.int32(), "height in pixels, as delivered"),
        _field(
            "path",
            pa.string(),
            "the picture as delivered, relative to the lake's data path (images/<ab>/<sha256>.<format>)",
        ),
        _field("thumbnail", pa.string(), "256 px PNG thumbnail, borders cropped, relative to the data path"),
        _field("icon", pa.string(), "64 px PNG icon, relative to the data path"),
        _field("phash", pa.uint64(), "64-bit perceptual hash (DCT) of the grey picture"),
        _field("dhash", pa.uint64(), "64-bit difference hash of the grey picture"),
        _field("colorhash", pa.uint64(), "42-bit colour hash (hue and saturation bins)"),
        _field("shapehash", pa.uint64(), "64-bit perceptual hash of the foreground mask (kept when recoloured)"),
        _field("blank", pa.bool_(), "nothing but background"),
        _field("faded", pa.bool_(), "contrast too low to read (2nd to 98th grey percentile under 48 levels)"),
        _field("corrupt", pa.bool_(), "the bytes could not be decoded as an accepted picture"),
        _field("problem", pa.string(), "why the picture is missing or unreadable; null when it was read"),
        _field("etag", pa.string(), "a fetched picture's ETag, asked with If-None-Match next time; null if none"),
        _field(
            "last_modified",
            pa.string(),
            "a fetched picture's Last-Modified (HTTP date), asked with If-Modified-Since next time; null if none",
        ),
    ],
    metadata={"table": "images", "key": "st13,design_number,view", "schema_version": SCHEMA_VERSION},
)

# Records the normalizer or the quality gate held back, with the rule they broke.
QUARANTINE = pa.schema(
    [
        pa.field("collection", pa.string()),
        pa.field("source_file", pa.string()),
        pa.field("st13", pa.string()),
        pa.field("rule_id", pa.string()),
        pa.field("value", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("quarantined_at", pa.timestamp("us", tz="UTC")),
    ]
)

DATE_FIELDS: dict[str, tuple[str, ...]] = {
    name: tuple(f.name for f in schema if f.type == pa.date32()) for name, schema in TABLES.items()
}


def description(field: pa.Field) -> str:
    return str((field.metadata or {}).get(b"description", b"").decode())


_LIST_FIELDS = {name: [f.name for f in schema if pa.types.is_list(f.type)] for name, schema in TABLES.items()}
_TEMPLATES = {name: dict.fromkeys(schema.names) for name, schema in TABLES.items()}


@overload
def empty_record(table: Literal["trademarks"]) -> TrademarkRecord: ...
@overload
def empty_record(table: Literal["designs"]) -> DesignRecord: ...
def empty_record(table: str) -> CanonicalRecord:
    """A record with every field of the table: lists empty, scalars null."""
    record: dict[str, Any] = _TEMPLATES[table].copy()
    for name in _LIST_FIELDS[table]:
        record[name] = []
    return cast("CanonicalRecord", record)  # every field, checked by tests/transforms/test_records.py


def _type_name(type_: pa.DataType) -> str:
    if pa.types.is_list(type_):
        return f"list<{_type_name(type_.value_type)}>"
    if pa.types.is_struct(type_):
        return "struct{" + ", ".join(f"{f.name} {_type_name(f.type)}" for f in type_) + "}"
    return str(type_)


def data_dictionary() -> str:
    """docs/data-dictionary.md, generated from the schemas above (a test keeps them in sync)."""
    lines = [
        "# Data dictionary",
        "",
        f"Generated from `transforms/schema.py` by `ipetl dictionary` (schema version {SCHEMA_VERSION}). "
        "Do not edit by hand.",
        "",
        "Dates are `date32` in Parquet and `YYYY-MM-DD` in JSON; absent values are null; absent lists are empty.",
    ]
    tables = {**TABLES, "events": EVENTS, "deleted": TOMBSTONES, "deliveries": DELIVERIES, "images": IMAGES}
    for name, schema in tables.items():
        meta = {k.decode(): v.decode() for k, v in (schema.metadata or {}).items()}
        lines += ["", f"## `{name}`", "", f"Key: `{meta['key']}`.", "", "| field | type | meaning |", "|---|---|---|"]
        for f in schema:
            lines.append(f"| `{f.name}` | `{_type_name(f.type)}` | {description(f)} |")
            if pa.types.is_list(f.type) and pa.types.is_struct(f.type.value_type):
                for sub in f.type.value_type:
                    lines.append(f"| `{f.name}[].{sub.name}` | `{_type_name(sub.type)}` | {description(sub)} |")
    return "\n".join(lines) + "\n"
