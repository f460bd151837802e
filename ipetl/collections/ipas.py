"""Offices whose trademark deliveries are WIPO ST.66 `Transaction` files (IPAS exports and
similar): their element trees in reference/formats/brands begin /Transaction/TradeMarkTransactionBody."""

from __future__ import annotations

from ipetl.collection import Collection, OfficeTables, Source
from transforms import st66

IPAS_ST66_OFFICES = {
    "AE": "United Arab Emirates",
    "AL": "Albania",
    "AP": "ARIPO",
    "BH": "Bahrain",
    "BN": "Brunei Darussalam",
    "BR": "Brazil",
    "BT": "Bhutan",
    "BW": "Botswana",
    "BZ": "Belize",
    "CL": "Chile",
    "CR": "Costa Rica",
    "CU": "Cuba",
    "DK": "Denmark",
    "DZ": "Algeria",
    "EG": "Egypt",
    "ES": "Spain",
    "GD": "Grenada",
    "GE": "Georgia",
    "GH": "Ghana",
    "GM": "Gambia",
    "HR": "Croatia",
    "ID": "Indonesia",
    "IN": "India",
    "IT": "Italy",
    "JO": "Jordan",
    "KE": "Kenya",
    "KH": "Cambodia",
    "KW": "Kuwait",
    "LA": "Lao PDR",
    "LK": "Sri Lanka",
    "ME": "Montenegro",
    "MG": "Madagascar",
    "MK": "North Macedonia",
    "MN": "Mongolia",
    "MW": "Malawi",
    "MX": "Mexico",
    "MY": "Malaysia",
    "MZ": "Mozambique",
    "NA": "Namibia",
    "OA": "OAPI",
    "OM": "Oman",
    "PE": "Peru",
    "PG": "Papua New Guinea",
    "PH": "Philippines",
    "QA": "Qatar",
    "RS": "Serbia",
    "RU": "Russian Federation",
    "SD": "Sudan",
    "SM": "San Marino",
    "ST": "Sao Tome and Principe",
    "SZ": "Eswatini",
    "TH": "Thailand",
    "TN": "Tunisia",
    "TO": "Tonga",
    "TT": "Trinidad and Tobago",
    "UY": "Uruguay",
    "VC": "Saint Vincent and the Grenadines",
    "VN": "Viet Nam",
    "VU": "Vanuatu",
    "WS": "Samoa",
    "ZM": "Zambia",
    "ZW": "Zimbabwe",
}

# Office quirks, as the offices write them (see transforms/vocab/st66-values.json for the shared table).
ST66_OVERRIDES: dict[str, OfficeTables] = {
    "MY": {"registration_number_is_application_number": True},
    "EG": {"feature": {"M": "Combined", "F": "Figurative"}},
    "RS": {"feature": {"F": "Figurative"}},
    "PG": {"status": {"TM Applications Received in Error": "Ended"}},
}

# How an IPAS office distributes its register, as far as we know (the README's sources table).
IPAS_DISTRIBUTION = (
    "no public bulk endpoint known to us: the office's IPAS register reaches WIPO's Global Brand and "
    "Design Databases; deliveries (IPAS exports) are put in the mirror by hand"
)

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
        format=st66.FORMAT,
        source=Source("local", f"{{mirror}}/{cid}", "*.xml*", distribution=IPAS_DISTRIBUTION),
        licence="Public register data of the office; reuse under the office's terms of use."
        + (" " + WIPO_GBD_FIXTURE if office in SAMPLED else ""),
        description=f"{name} trademarks, delivered as WIPO ST.66 Transaction XML (IPAS export).",
        **ST66_OVERRIDES.get(office, {}),
    )


COLLECTIONS = [_ipas(office, name) for office, name in IPAS_ST66_OFFICES.items()]
