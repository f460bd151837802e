"""What a collection declares: office, kind, delivery format, source, ST.13 rule, schedule,
licence. Declarations live in ipetl/collections/<family>.py; ipetl/registry.py gathers them."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from transforms.rules import CollectionRules
from transforms.spec import Format
from transforms.st13 import ST13Rule
from transforms.values import load_vocab

_CODE_MAPS = {
    "trademark": load_vocab("brands-office-code-maps.json"),
    "design": load_vocab("designs-office-code-maps.json"),
}
# Each office's status, kind and feature words as WIPO's own transformation maps them
# (scripts/gbd_office_words.py): below the collection's tables, filling what they do not know.
_GBD_OFFICE_WORDS = load_vocab("gbd-office-words.json")["offices"]
_ST13_TYPES = {
    "trademark": load_vocab("brands-vocabularies.json")["st13_identifier"],
    "design": load_vocab("designs-vocabularies.json")["st13_identifier"],
}

SAMPLE_MIRROR = Path(__file__).resolve().parent.parent / "samples" / "mirror"


@dataclass(frozen=True)
class Source:
    """Where a collection's deliveries come from.

    kind: `local` (a directory), `https` (a bulk file listing), `product-api` (the USPTO Open
    Data Portal's bulk-datasets API: `location` is its products endpoint, `products` the product
    identifiers listed there; an API key is needed, see connectors/sources.py), `sftp` or `ftp`
    (a directory on a server). `location` may use `{mirror}`, replaced by $IPETL_MIRROR or the
    bundled samples. `distribution`: how the office distributes its data (for a `local` source:
    why there is no endpoint to fetch from); the README's sources table lists it. `series`: a
    regex whose `series` group names the set a file belongs to, of which only the newest listed
    is fetched (connectors.sources.newest_series: an annual backfile replaces the previous).

    Politeness toward the office's server: `rate_limit`, requests per second at most (a listing
    or a download; None: no limit), kept by the fetch layer in each process; `downloads`, how
    many downloads at once from the server's host across all Airflow workers (the slots of the
    host's pool, dags/_settings.fetch_pools); `image_rate_limit`, requests per second at most to
    each host the records' pictures are fetched from (connectors.images; None: no limit).
    """

    kind: str
    location: str
    pattern: str = "*"
    rate_limit: float | None = None
    downloads: int = 2
    products: tuple[str, ...] = ()
    distribution: str = ""
    series: str | None = None
    image_rate_limit: float | None = 4.0

    def resolved(self) -> str:
        mirror = os.environ.get("IPETL_MIRROR", str(SAMPLE_MIRROR))
        return self.location.replace("{mirror}", mirror)


class OfficeTables(TypedDict, total=False):
    """The Collection fields that say how an office writes its values: shared by several
    declarations (ST66_OVERRIDES, USPTO_TSDR) and spread into Collection(...)."""

    status: Mapping[str, str]
    feature: Mapping[str, str]
    mark_kind: Mapping[str, str]
    event: Mapping[str, str]
    registration_number_is_application_number: bool


@dataclass(frozen=True)
class Collection:
    id: str
    office: str
    office_name: str
    kind: str  # "trademark" or "design"
    format: Format  # the object itself (transforms/<format>.py FORMAT): a misspelt name fails at import
    source: Source
    schedule: str = "@weekly"
    licence: str = "Public register data of the office; reuse under the office's terms of use."
    description: str = ""
    status: Mapping[str, str] = field(default_factory=dict)
    feature: Mapping[str, str] = field(default_factory=dict)
    mark_kind: Mapping[str, str] = field(default_factory=dict)
    event: Mapping[str, str] = field(default_factory=dict)  # the office's event codes / words → category
    registration_number_is_application_number: bool = False
    # ST.13 masks when the office code maps list none that fit the office's numbers.
    st13_masks: tuple[str, ...] | None = None
    # False where WIPO's own transformation keys the office's records without the filing year.
    st13_filing_year: bool = True
    # How a delivery's name gives its date and sequence, which order updates (a later delivery
    # wins). Groups: `date` (YYYYMMDD, or YYMMDD) and optionally `seq`. No match: the file's mtime.
    delivery_pattern: str = r"(?P<date>(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))(?:\D+(?P<seq>\d+))?"

    def __post_init__(self) -> None:
        if not isinstance(self.format, Format):
            raise TypeError(f"collection {self.id}: format is {self.format!r}, not a transforms.spec.Format")

    @property
    def table(self) -> str:
        return self.format.table

    @property
    def st13_rule(self) -> ST13Rule:
        entry = _CODE_MAPS[self.kind].get(self.id, {})
        masks = entry.get("appnum_mask", ()) if self.st13_masks is None else self.st13_masks
        masks = (masks,) if isinstance(masks, str) else tuple(masks)
        origin = entry.get("source", "national")
        types = _ST13_TYPES[self.kind][origin]
        ip_type = types.get(self.kind) or types.get("registered")
        return ST13Rule(self.office, ip_type, masks, self.st13_filing_year)

    def delivery_order(self, path: Path) -> tuple[dt.date, int]:
        m = re.search(self.delivery_pattern, path.name)
        if m:
            raw = m.group("date")
            try:
                date = dt.datetime.strptime(raw, "%Y%m%d" if len(raw) == 8 else "%y%m%d").date()
                seq = m.groupdict().get("seq")
                return date, int(seq) if seq else 0
            except ValueError:
                pass
        mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        return mtime.date(), 0

    def rules(self) -> CollectionRules:
        return CollectionRules(
            collection=self.id,
            office=self.office,
            st13=self.st13_rule,
            status=self.status,
            feature=self.feature,
            kind=self.mark_kind,
            event=self.event,
            registration_number_is_application_number=self.registration_number_is_application_number,
            office_words=_GBD_OFFICE_WORDS.get(self.id, {}),
        )
