"""The collection registry: every office collection the pipeline knows, as data.

A collection of a known delivery format is a declaration here (office, kind, format, source,
ST.13 rule, schedule, licence), not new code. DAGs, the CLI and `coverage` are generated from it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from transforms.formats import FORMATS, Format
from transforms.rules import CollectionRules
from transforms.st13 import ST13Rule
from transforms.values import load_vocab

_CODE_MAPS = {"trademark": load_vocab("brands-office-code-maps.json"), "design": load_vocab("designs-office-code-maps.json")}
_ST13_TYPES = {"trademark": load_vocab("brands-vocabularies.json")["st13_identifier"], "design": load_vocab("designs-vocabularies.json")["st13_identifier"]}

SAMPLE_MIRROR = Path(__file__).resolve().parent.parent / "samples" / "mirror"


@dataclass(frozen=True)
class Source:
    """Where a collection's deliveries come from.

    kind: `local` (a directory), `https` (a bulk file listing), `sftp` or `ftp` (a directory on
    a server). `location` may use `{mirror}`, replaced by $IPETL_MIRROR or the bundled samples.
    """

    kind: str
    location: str
    pattern: str = "*"

    def resolved(self) -> str:
        mirror = os.environ.get("IPETL_MIRROR", str(SAMPLE_MIRROR))
        return self.location.replace("{mirror}", mirror)


@dataclass(frozen=True)
class Collection:
    id: str
    office: str
    office_name: str
    kind: str  # "trademark" or "design"
    format: str
    source: Source
    schedule: str = "@weekly"
    licence: str = "Public register data of the office; reuse under the office's terms of use."
    description: str = ""
    status: Mapping[str, str] = field(default_factory=dict)
    feature: Mapping[str, str] = field(default_factory=dict)
    mark_kind: Mapping[str, str] = field(default_factory=dict)
    registration_number_is_application_number: bool = False

    @property
    def fmt(self) -> Format:
        return FORMATS[self.format]

    @property
    def table(self) -> str:
        return self.fmt.table

    @property
    def st13_rule(self) -> ST13Rule:
        entry = _CODE_MAPS[self.kind].get(self.id, {})
        masks = entry.get("appnum_mask", ())
        masks = (masks,) if isinstance(masks, str) else tuple(masks)
        origin = entry.get("source", "national")
        types = _ST13_TYPES[self.kind][origin]
        ip_type = types.get(self.kind) or types.get("registered")
        return ST13Rule(self.office, ip_type, masks)

    def rules(self) -> CollectionRules:
        return CollectionRules(
            collection=self.id,
            office=self.office,
            st13=self.st13_rule,
            status=self.status,
            feature=self.feature,
            kind=self.mark_kind,
            registration_number_is_application_number=self.registration_number_is_application_number,
        )


# Offices whose trademark deliveries are ST.66 `Transaction` files (WIPO IPAS exports and
# similar): their element trees in the reference formats begin /Transaction/TradeMarkTransactionBody.
IPAS_ST66_OFFICES = {
    "AE": "United Arab Emirates", "AL": "Albania", "AP": "ARIPO", "BH": "Bahrain", "BN": "Brunei Darussalam",
    "BR": "Brazil", "BT": "Bhutan", "BW": "Botswana", "BZ": "Belize", "CL": "Chile", "CR": "Costa Rica",
    "CU": "Cuba", "DK": "Denmark", "DZ": "Algeria", "EG": "Egypt", "ES": "Spain", "GD": "Grenada",
    "GE": "Georgia", "GH": "Ghana", "GM": "Gambia", "HR": "Croatia", "ID": "Indonesia", "IN": "India",
    "IT": "Italy", "JO": "Jordan", "KE": "Kenya", "KH": "Cambodia", "KW": "Kuwait", "LA": "Lao PDR",
    "LK": "Sri Lanka", "ME": "Montenegro", "MG": "Madagascar", "MK": "North Macedonia", "MN": "Mongolia",
    "MW": "Malawi", "MX": "Mexico", "MY": "Malaysia", "MZ": "Mozambique", "NA": "Namibia", "OA": "OAPI",
    "OM": "Oman", "PE": "Peru", "PG": "Papua New Guinea", "PH": "Philippines", "QA": "Qatar",
    "RS": "Serbia", "RU": "Russian Federation", "SD": "Sudan", "SM": "San Marino",
    "ST": "Sao Tome and Principe", "SZ": "Eswatini", "TH": "Thailand", "TN": "Tunisia", "TO": "Tonga",
    "TT": "Trinidad and Tobago", "UY": "Uruguay", "VC": "Saint Vincent and the Grenadines",
    "VN": "Viet Nam", "VU": "Vanuatu", "WS": "Samoa", "ZM": "Zambia", "ZW": "Zimbabwe",
}

# Office quirks, as the offices write them (see transforms/vocab/st66-values.json for the shared table).
ST66_OVERRIDES: dict[str, dict] = {
    "MY": {"registration_number_is_application_number": True},
    "EG": {"feature": {"M": "Combined", "F": "Figurative"}},
    "RS": {"feature": {"F": "Figurative"}},
    "PG": {"status": {"TM Applications Received in Error": "Ended"}},
}

WIPO_GBD_FIXTURE = (
    "Sample: a real record that WIPO's Global Brand Database ships as a test fixture "
    "(wipo-gbd-transformation 1.1.103, GPL-3.0 package; office data)."
)
SAMPLED = {"AL", "ID", "KH", "LA", "MY", "SM"}


def _ipas(office: str, name: str) -> Collection:
    cid = f"{office.lower()}tm"
    return Collection(
        id=cid,
        office=office,
        office_name=name,
        kind="trademark",
        format="st66",
        source=Source("local", f"{{mirror}}/{cid}", "*.xml*"),
        licence="Public register data of the office; reuse under the office's terms of use."
        + (" " + WIPO_GBD_FIXTURE if office in SAMPLED else ""),
        description=f"{name} trademarks, delivered as WIPO ST.66 Transaction XML (IPAS export).",
        **ST66_OVERRIDES.get(office, {}),
    )


COLLECTIONS: dict[str, Collection] = {c.id: c for c in (_ipas(o, n) for o, n in IPAS_ST66_OFFICES.items())}


def get(collection_id: str) -> Collection:
    try:
        return COLLECTIONS[collection_id]
    except KeyError:
        raise KeyError(f"unknown collection {collection_id!r} (see `ipetl collections`)") from None
