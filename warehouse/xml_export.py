"""XML exports of published records: WIPO ST.66 for trademarks, ST.86 for designs.

`write_st66` writes one ST.66 V1.1 `Transaction` (TradeMarkTransactionBody → TransactionData →
TradeMarkDetails → TradeMark per record) that validates against the official schema
(reference/schemas/ST66_V1-1/st66.xsd). `write_st86` writes one ST.86 `Transaction`
(DesignTransactionBody → TransactionData → DesignApplicationDetails → DesignApplication per
application, its designs under DesignDetails) on the element paths of WIPO's ST.86 → ST.96
mapping table, the only description of ST.86 V1.0 available (no ST.86 schema was found).
`export_xml` streams the current (or a given) snapshot's `trademarks` or `designs` view into
them. Both writers stream: each record becomes a small node tree that lxml's incremental
`xmlfile` writes out and forgets, so memory stays flat whatever the number of records.

What the standards cannot hold is left out rather than written invalid: codes missing from
ST.66 V1.1's 2007 code lists, language codes that are not two letters, the office's own status word
(its ST.66 / ST.86 status value is written), mark image addresses (ST.66 V1.1 has no element
for them; a stored picture is written with its path under the lake's data path, its format,
size and thumbnail), kinds after the first (KindMark occurs once), the Hague registration of a
design.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from lxml import etree

from connectors.fetch import sha256_file
from transforms.rules import ST66_STATUS
from transforms.schema import STATUS_CATEGORIES
from transforms.values import country_code, language
from warehouse import catalog, export, lake
from warehouse.lake import LakeSettings

ST66_NAMESPACE = "http://www.wipo.int/standards/XMLSchema/trademarks"
ST86_NAMESPACE = "http://www.wipo.int/standards/XMLSchema/designs"

# An element: (local name, attributes, text or child elements). Builders return None for an
# element with nothing in it, and containers drop None children, so empty elements never appear.
Node = tuple[str, dict[str, str], str | list["Node"]]
Record = dict[str, Any]  # a canonical record (or one of its parties, priorities ...) as the lake returns it
XmlTarget = IO[bytes] | str | os.PathLike[str]  # a file object, or a path

# Codes of our ST.3 list (transforms/vocab/st3-codes.json) that ST.66 V1.1's code lists lack
# (tests/warehouse/test_xml_export.py compares both sets with the schema files):
# WIPOST3CodeType-V2007 (office, priority and designation codes) leaves out dependent
# territories and the codes ST.3 gained after 2007;
_NOT_ST66_ST3 = frozenset(
    [
        "AQ",
        "AS",
        "AX",
        "BQ",
        "CC",
        "CW",
        "CX",
        "FM",
        "GF",
        "GP",
        "GU",
        "HM",
        "IO",
        "MH",
        "MQ",
        "NC",
        "NF",
        "NU",
        "PF",
        "PM",
        "PN",
        "PR",
        "PS",
        "RE",
        "SJ",
        "SS",
        "SX",
        "TF",
        "TK",
        "UM",
        "VI",
        "WF",
        "YT",
    ]
)
# ISOCountryCodeType-V2006 (address countries) holds no organizations and no post-2006 states.
_NOT_ST66_ADDRESS_COUNTRIES = frozenset(
    ["AP", "BQ", "BX", "CW", "EA", "EM", "EP", "GC", "IB", "OA", "QZ", "SS", "SX", "WO", "XN"]
)

# ST.66 V1.1 MarkCurrentStatusCodeType.
MARK_CURRENT_STATUS_CODES = (
    "Application Filed",
    "Filing date accorded",
    "Classification checked",
    "Application accepted",
    "Application published",
    "Opposition pending",
    "Registration published",
    "Application refused",
    "Application withdrawn",
    "Appeal pending",
    "Interruption of proceeding",
    "Registration cancelled",
    "Conversion requested",
    "Registration surrendered",
    "Revocation proceeding pending",
    "Invalidity proceeding pending",
    "Action before Court of Justice pending",
)
# Our mark_feature values ST.66 V1.1 spells otherwise. Those it lacks (Multimedia, Position,
# Pattern, Touch, Taste, Tracer) are written as they are: MarkFeatureType, like KindMarkType,
# is a union of its enumeration with xs:token, so they stay valid and readable.
_ST66_FEATURES = {"Three dimensional": "3-D"}
_NOT_XML_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class StatusCodes:
    """A standard's status vocabulary: what our status category and the office's word become.

    The office's word gives the more precise value (`withdrawn` → `Application withdrawn`) when
    the shared status table files that value under the record's category; otherwise the
    category's value, and for Ended rights whether they had been registered.
    """

    words: Mapping[str, str]  # office word, case-folded → the standard's value
    categories: Mapping[str, str]  # Registered, Pending, Expired → the standard's value
    ended_registered: str
    ended_unregistered: str

    def code(self, status: str | None, office_status: str | None, registration_number: str | None) -> str | None:
        if status not in STATUS_CATEGORIES or status == "Unknown":
            return None  # Unknown: the standard has no value for it
        value = self.words.get((office_status or "").strip().casefold())
        if value and ST66_STATUS.get(value.casefold()) == status:
            return value
        if status == "Ended":
            return self.ended_registered if registration_number else self.ended_unregistered
        return self.categories[status]


ST66_STATUS_CODES = StatusCodes(
    words={
        **{value.casefold(): value for value in MARK_CURRENT_STATUS_CODES},
        # the words IPAS offices write (transforms/vocab/st66-values.json)
        "published": "Application published",
        "opposed": "Opposition pending",
        "application opposed": "Opposition pending",
        "appealed": "Appeal pending",
        "converted": "Conversion requested",
        "awaiting court action": "Action before Court of Justice pending",
        "withdrawn": "Application withdrawn",
        "abandoned": "Application withdrawn",
        "rejected": "Application refused",
        "refused": "Application refused",
        "finalrefusal": "Application refused",
        "surrendered": "Registration surrendered",
        "cancelled": "Registration cancelled",
        "canceled": "Registration cancelled",
        "invalidated": "Registration cancelled",
    },
    # ST.66 V1.1 has no value for a lapsed registration: `Expired` (what IPAS writes) is valid
    # as an xs:token of the union and reads back as Expired.
    categories={"Registered": "Registration published", "Pending": "Application Filed", "Expired": "Expired"},
    ended_registered="Registration cancelled",
    ended_unregistered="Application withdrawn",
)
# ST.86 DesignCurrentStatusCode (the values of the mapping table's status code list).
ST86_STATUS_CODES = StatusCodes(
    words={
        "filed": "Filed",
        "withdrawn": "Withdrawn",
        "application withdrawn": "Withdrawn",
        "abandoned": "Withdrawn",
        "rejected": "Rejected",
        "refused": "Rejected",
        "application refused": "Rejected",
        "finalrefusal": "Rejected",
        "cancelled": "Cancelled",
        "canceled": "Cancelled",
        "registration cancelled": "Cancelled",
        "invalidated": "Cancelled",
        "surrendered": "Cancelled",
        "registration surrendered": "Cancelled",
    },
    categories={"Registered": "Registered", "Pending": "Filed", "Expired": "Expired"},
    ended_registered="Cancelled",
    ended_unregistered="Withdrawn",
)


def _text(value: object) -> str | None:
    """A value as element text: dates ISO, numbers in decimal, characters XML 1.0 forbids dropped."""
    if value is None:
        return None
    text = _NOT_XML_CHARACTERS.sub("", value.isoformat() if isinstance(value, (dt.date, dt.time)) else str(value))
    return text or None


def _leaf(tag: str, value: object, language_code: str | None = None) -> Node | None:
    """A text element; its languageCode only when the language is an ISO 639-1 code."""
    text = _text(value)
    if text is None:
        return None
    code = language(language_code)
    return (tag, {"languageCode": code} if code else {}, text)


def _element(tag: str, *children: Node | None) -> Node:
    return (tag, {}, [c for c in children if c is not None])


def _node(tag: str, *children: Node | None) -> Node | None:
    """A container element, left out when none of its children is present."""
    node = _element(tag, *children)
    return node if node[2] else None


def _office_code(code: str | None) -> str | None:
    """An ST.3 code ST.66 V1.1 lists (WIPOST3CodeType), else None."""
    code = country_code(code)
    return code if code and code not in _NOT_ST66_ST3 else None


def _address_country(code: str | None) -> str | None:
    """An ISO 3166 country code ST.66 V1.1 lists (ISOCountryCodeType), else None."""
    code = country_code(code)
    return code if code and code not in _NOT_ST66_ADDRESS_COUNTRIES else None


def _party(role: str, party: Record) -> Node | None:
    """Applicant / Representative / Designer with its name and free-format address (ST.66 and
    ST.86 share AddressBookType)."""
    return _node(
        role,
        _node(
            f"{role}AddressBook",
            _node(
                "FormattedNameAddress",
                _node(
                    "Name",
                    _node("FreeFormatName", _node("FreeFormatNameDetails", _leaf("FreeFormatNameLine", party["name"]))),
                ),
                _node(
                    "Address",
                    _leaf("AddressCountryCode", _address_country(party["country_code"])),
                    _node("FreeFormatAddress", _leaf("FreeFormatAddressLine", party["address"])),
                ),
            ),
        ),
    )


def _parties(details: str, role: str, parties: list[Record]) -> Node | None:
    return _node(details, *(_party(role, p) for p in parties))


def _priorities(priorities: list[Record]) -> Node | None:
    """PriorityDetails; a claim without a listed country is left out (PriorityCountryCode is required)."""
    return _node(
        "PriorityDetails",
        *(
            _node(
                "Priority",
                _leaf("PriorityCountryCode", country),
                _leaf("PriorityNumber", p["number"]),
                _leaf("PriorityDate", p["date"]),
            )
            for p in priorities
            if (country := _office_code(p["country_code"]))
        ),
    )


def _publication(date: dt.date | None) -> Node | None:
    """PublicationDetails for the first publication. PublicationIdentifier is required and we keep
    none, so it is written empty."""
    if date is None:
        return None
    return _node(
        "PublicationDetails", _node("Publication", ("PublicationIdentifier", {}, ""), _leaf("PublicationDate", date))
    )


def _designated(codes: list[str]) -> Node | None:
    return _node(
        "DesignatedCountryDetails",
        *(
            _node("DesignatedCountry", _leaf("DesignatedCountryCode", code))
            for code in map(_office_code, codes)
            if code
        ),
    )


def _goods_services(record: Record) -> Node | None:
    """One Nice GoodsServices: a ClassDescription per class, with the class's texts (a class
    without text keeps its number only)."""
    texts: dict[int, list[Node | None]] = {c: [] for c in record["nice_classes"]}
    for row in record["goods_services"]:
        texts.setdefault(row["class_number"], []).append(
            _leaf("GoodsServicesDescription", row["text"], row["language"])
        )
    descriptions = [_node("ClassDescription", _leaf("ClassNumber", number), *texts[number]) for number in sorted(texts)]
    if not descriptions:
        return None
    return _node(
        "GoodsServicesDetails",
        _node(
            "GoodsServices", _leaf("ClassificationKindCode", "Nice"), _node("ClassDescriptionDetails", *descriptions)
        ),
    )


_ST66_FILE_FORMATS = ("JPEG", "TIFF", "PNG", "GIF")


def _size(prefix: str, picture: Record, unit: str | None = None) -> Node | None:
    return _node(
        f"{prefix}RepresentationSize",
        _leaf("Height", picture.get("height")),
        _leaf("Width", picture.get("width")),
        _leaf("Unit", unit if picture.get("height") or picture.get("width") else None),
    )


def _mark_image(picture: Record, category: Node | None) -> Node:
    """One stored picture (a row of `images`, paths relative to the lake's data path) as an ST.66
    MarkImage, its thumbnail as a Thumbnail rendition."""
    fmt = picture.get("format")
    file_format = fmt if fmt in _ST66_FILE_FORMATS else ("Other" if fmt else None)
    thumbnail = picture.get("thumbnail")
    return _element(
        "MarkImage",
        _leaf("MarkImageFilename", picture.get("path")),
        _leaf("MarkImageFileFormat", file_format),
        _size("MarkImage", picture, "Pixel"),
        category,
        _node(
            "MarkImageRenditionDetails",
            _node(
                "MarkImageRendition",
                _leaf("MarkImageRenditionKind", "Thumbnail" if thumbnail else None),
                _leaf("MarkImageRenditionFilename", thumbnail),
                _leaf("MarkImageRenditionFileFormat", "PNG" if thumbnail else None),
            ),
        ),
    )


def _mark_images(codes: list[str], pictures: list[Record]) -> Node | None:
    """MarkImageDetails: a MarkImage per stored picture (the Vienna codes on the first), or one
    holding only the Vienna codes."""
    category = (
        _node(
            "MarkImageCategory",
            _leaf("CategoryKind", "Vienna"),
            _node("CategoryCodeDetails", *(_leaf("CategoryCode", code) for code in codes)),
        )
        if codes
        else None
    )
    if not pictures:
        return _node("MarkImageDetails", _node("MarkImage", category))
    return _node("MarkImageDetails", *(_mark_image(p, category if n == 0 else None) for n, p in enumerate(pictures)))


def st66_trademark(record: Record) -> Node:
    """A canonical trademark record → ST.66 V1.1 TradeMark, children in the schema's order."""
    feature = record["mark_feature"]
    return _element(
        "TradeMark",
        _leaf("RegistrationOfficeCode", _office_code(record["office"])),
        _leaf("ApplicationNumber", record["application_number"]),
        _leaf("ApplicationDate", record["application_date"]),
        _leaf("RegistrationNumber", record["registration_number"]),
        _leaf("RegistrationDate", record["registration_date"]),
        _leaf("ExpiryDate", record["expiry_date"]),
        _leaf("TerminationDate", record["termination_date"]),
        _leaf(
            "MarkCurrentStatusCode",
            ST66_STATUS_CODES.code(record["status"], record["office_status"], record["registration_number"]),
        ),
        _leaf("MarkCurrentStatusDate", record["status_date"]),
        _designated(record["designated_countries"]),
        _node("InternationalMarkKey", _leaf("Identifier", record["international_registration"])),
        _leaf("KindMark", record["kind"][0] if record["kind"] else None),
        _leaf("MarkFeature", _ST66_FEATURES.get(feature, feature)),
        _node(
            "WordMarkSpecification", _leaf("MarkVerbalElementText", record["mark_text"], record["mark_text_language"])
        ),
        _mark_images(record["vienna_codes"], record.get("pictures") or []),
        _goods_services(record),
        _priorities(record["priorities"]),
        _publication(record["publication_date"]),
        _parties("ApplicantDetails", "Applicant", record["applicants"]),
        _parties("RepresentativeDetails", "Representative", record["representatives"]),
    )


def _indication_product(record: Record) -> Node | None:
    """The product and its Locarno classes (ClassificationKindCode Locarno, the edition as
    ClassificationVersion, a ClassDescription per class)."""
    classes = record["locarno_classes"]
    edition = record["locarno_edition"]
    return _node(
        "IndicationProductDetails",
        _node(
            "IndicationProduct",
            _leaf("ClassificationKindCode", "Locarno" if classes or edition else None),
            _leaf("ClassificationVersion", edition),
            _leaf("IndicationProductDescription", record["product_indication"], record["product_indication_language"]),
            _node("ClassDescriptionDetails", *(_node("ClassDescription", _leaf("ClassNumber", c)) for c in classes)),
        ),
    )


def _representation_sheets(record: Record) -> Node | None:
    """A sheet per view: the stored picture (path relative to the lake's data path, its format,
    its size as the View's, on the mapping table's paths) where one was read, else the
    reference as delivered."""
    stored = {p["view"]: p for p in record.get("pictures") or []}
    sheets = []
    for view, uri in enumerate(record["representation_uris"], start=1):
        picture = stored.get(view, {})
        sheets.append(
            _node(
                "DesignRepresentationSheet",
                _leaf("RepresentationSheetFilename", picture.get("path") or uri),
                _leaf("RepresentationSheetFileFormat", picture.get("format")),
                _node("ViewDetails", _node("View", _size("View", picture))),
            )
        )
    return _node("DesignRepresentationSheetDetails", *sheets)


def st86_design(record: Record) -> Node:
    """A canonical design record → ST.86 Design, children in the mapping table's order. The
    product is both the DesignTitle and the IndicationProductDescription (offices use either)."""
    return _element(
        "Design",
        _leaf("DesignIdentifier", record["design_number"]),
        _leaf("RegistrationNumber", record["registration_number"]),
        _leaf("RegistrationDate", record["registration_date"]),
        _leaf("DesignTitle", record["product_indication"], record["product_indication_language"]),
        _leaf("ExpiryDate", record["expiry_date"]),
        _leaf(
            "DesignCurrentStatusCode",
            ST86_STATUS_CODES.code(record["status"], record["office_status"], record["registration_number"]),
        ),
        _leaf("DesignCurrentStatusDate", record["status_date"]),
        _representation_sheets(record),
        _indication_product(record),
        _priorities(record["priorities"]),
        _publication(record["publication_date"]),
        _parties("ApplicantDetails", "Applicant", record["applicants"]),
        _parties("RepresentativeDetails", "Representative", record["representatives"]),
        _parties("DesignerDetails", "Designer", record["designers"]),
    )


def st86_application(designs: list[Record]) -> Node:
    """The designs of one application (same st13) → ST.86 DesignApplication."""
    first = designs[0]
    return _element(
        "DesignApplication",
        _leaf("RegistrationOfficeCode", _office_code(first["office"])),
        _leaf("DesignApplicationNumber", first["application_number"]),
        _leaf("DesignApplicationDate", first["application_date"]),
        _designated(sorted({c for d in designs for c in d["designated_countries"]})),
        _node("DesignDetails", *map(st86_design, designs)),
    )


def _emit(xf: Any, namespace: str, node: Node) -> None:  # an lxml xmlfile writer (no stubs)
    tag, attributes, content = node
    with xf.element(f"{{{namespace}}}{tag}", attributes):
        if isinstance(content, str):
            xf.write(content)
        else:
            for child in content:
                _emit(xf, namespace, child)


def _write_transaction(
    out: IO[bytes] | str,
    namespace: str,
    body: str,
    code: str,
    container: str,
    nodes: Iterator[Node],
    identifier: str | None,
) -> int:
    """One Transaction document: body → TransactionContentDetails → TransactionData → container
    holding the nodes; the container is left out when there are none (it needs one)."""
    first = next(nodes, None)
    count = 0
    with etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        with (
            xf.element(f"{{{namespace}}}Transaction", nsmap={None: namespace}),
            xf.element(f"{{{namespace}}}{body}"),
            xf.element(f"{{{namespace}}}TransactionContentDetails"),
        ):
            for child in filter(None, (_leaf("TransactionIdentifier", identifier), _leaf("TransactionCode", code))):
                _emit(xf, namespace, child)
            with xf.element(f"{{{namespace}}}TransactionData"):
                if first is not None:
                    with xf.element(f"{{{namespace}}}{container}"):
                        for node in itertools.chain([first], nodes):
                            xf.write("\n")  # one record per line: greppable, still element-only content
                            _emit(xf, namespace, node)
                            count += 1
    return count


def write_st66(records: Iterable[Record], out: XmlTarget, identifier: str | None = None) -> int:
    """Write canonical trademark records as one ST.66 Transaction ("Trade Mark Information");
    returns the number of TradeMark elements written."""
    return _write_transaction(
        _target(out),
        ST66_NAMESPACE,
        "TradeMarkTransactionBody",
        "Trade Mark Information",
        "TradeMarkDetails",
        map(st66_trademark, records),
        identifier,
    )


def write_st86(records: Iterable[Record], out: XmlTarget, identifier: str | None = None) -> int:
    """Write canonical design records as one ST.86 Transaction ("Design Information"): one
    DesignApplication per run of consecutive records with the same st13 (give them sorted by
    st13); returns the number of DesignApplication elements written."""
    applications = (st86_application(list(group)) for _, group in itertools.groupby(records, key=lambda r: r["st13"]))
    return _write_transaction(
        _target(out),
        ST86_NAMESPACE,
        "DesignTransactionBody",
        "Design Information",
        "DesignApplicationDetails",
        applications,
        identifier,
    )


def _target(out: XmlTarget) -> IO[bytes] | str:
    return os.fspath(out) if isinstance(out, (str, os.PathLike)) else out


@dataclass(frozen=True)
class XmlFormat:
    table: str
    write: Callable[..., int]
    order: str


XML_FORMATS = {
    "st66": XmlFormat("trademarks", write_st66, "st13"),
    "st86": XmlFormat("designs", write_st86, "st13, try_cast(design_number AS BIGINT) NULLS LAST, design_number"),
}


# each record's stored pictures (rows of `images` with bytes), in view order
_PICTURES = """(SELECT list(struct_pack(view, path, format, width, height, thumbnail) ORDER BY view) FROM images i
    WHERE i.st13 = r.st13 AND {} AND i.sha256 IS NOT NULL AND NOT i.corrupt) AS pictures"""
_PICTURE_KEYS = {"trademarks": "i.design_number IS NULL", "designs": "i.design_number = r.design_number"}


def export_xml(
    settings: LakeSettings,
    fmt: str,
    out_dir: str | os.PathLike[str],
    where: str | None = None,
    snapshot: int | None = None,
    batch_rows: int = 10_000,
    now: dt.datetime | None = None,
) -> Path:
    """Write a snapshot's trademarks (`st66`) or designs (`st86`), optionally filtered by a SQL
    condition on the view (`office = 'KH'`; the caller's own SQL, as `ipetl query` takes it), to
    `<out_dir>/<table>-<fmt>-<snapshot>[-where-<digest>].xml`, its manifest (format, filter,
    snapshot, records and SHA-256) beside it as `.manifest.json`; returns the XML file's path.
    Raises export.ExportConflict when that name holds another export.

    Rows are streamed from DuckDB in Arrow batches; the file is written under a temporary name
    and renamed when complete, so a reader never sees half a document.
    """
    spec = XML_FORMATS[fmt]
    where = where.strip() if where and where.strip() else None
    con = lake.connect(settings, read_only=True, snapshot=snapshot)
    try:
        catalog.define_views(con, [])
        snapshot_id = lake.current_snapshot(con)
        catalog.sandbox(con, settings)  # the --where condition is the caller's SQL
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = f"{spec.table}-{fmt}-{snapshot_id:08d}{export.where_suffix(where)}"
        target = out_dir / f"{stem}.xml"
        manifest = out_dir / f"{stem}.manifest.json"
        export.claim(target, manifest, export.identity(fmt, where, None, snapshot_id))
        condition = f" WHERE ({where})" if where else ""
        pictures = _PICTURES.format(_PICTURE_KEYS[spec.table])
        sql = f"SELECT *, {pictures} FROM {spec.table} r{condition} ORDER BY {spec.order}"
        catalog.check_read_only(con, sql)
        reader = con.execute(sql).to_arrow_reader(batch_rows)
        records = (row for batch in reader for row in batch.to_pylist())
        partial = target.with_name(f".{target.name}.partial")
        try:
            written = spec.write(records, partial, identifier=f"ipetl snapshot {snapshot_id}")
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    finally:
        con.close()
    exported = export.ExportedFile(name=target.name, rows=written, sha256=sha256_file(target))
    export.write_manifest(manifest, fmt, where, None, snapshot_id, [exported], now or dt.datetime.now(dt.UTC))
    return target
