"""Offices whose trademark deliveries are bare WIPO ST.66 `TradeMark` records (no Transaction
wrapper), some in the office's own dialect of ST.66: their element trees in
reference/formats/brands begin with TradeMark. Format `st66`; ST.13 masks come from the office
code maps by collection id.
"""

from __future__ import annotations

from ipetl.collection import Collection, Source
from transforms import st66

# id → (office, office name, what the format tree shows about the delivery)
BARE_ST66_OFFICES = {
    "emtm": (
        "EM",
        "European Union Intellectual Property Office",
        "EUTM records; differential deliveries mark records and parties Insert / Delete",
    ),
    "gbtm": (
        "GB",
        "UK Intellectual Property Office",
        "records in UKIPO's dialect of ST.66 (IPOPublicMarkCurrentStatusCode, ApplicationDateTime, AddressBook)",
    ),
    "wotm": (
        "WO",
        "WIPO (Madrid System)",
        "international registrations under the Madrid System, with their designations",
    ),
    "bgtm": ("BG", "Patent Office of the Republic of Bulgaria", "records in the same shape as EUIPO's"),
    "eetm": (
        "EE",
        "Estonian Patent Office",
        "records in a simplified ST.66 (ApplicantDetail wrappers, Status, MarkType)",
    ),
    "matm": ("MA", "OMPIC (Morocco)", "records in a simplified ST.66 (ApplicantDetail wrappers, Status, FullName)"),
    "mctm": ("MC", "Monaco Intellectual Property Division", "records"),
    "mdtm": ("MD", "AGEPI (Republic of Moldova)", "records"),
    "rotm": ("RO", "OSIM (Romania)", "records"),
}

# How the offices distribute their registers, as far as we know (the README's sources table);
# the others: GBD_DISTRIBUTION.
GBD_DISTRIBUTION = (
    "no public bulk endpoint known to us: the office's records reach WIPO's Global Brand Database "
    "(the element tree of this format is from its deliveries); deliveries are put in the mirror by hand"
)
_DISTRIBUTION = {
    "emtm": "EUIPO serves its register through the EUIPO API platform (Trademark Search API, an OAuth "
    "client after registration); no anonymous bulk endpoint known to us: deliveries are put in the mirror",
    "wotm": "no public bulk endpoint known to us: WIPO publishes the Madrid register in Madrid Monitor "
    "(search); deliveries are put in the mirror by hand",
}

# Offices whose format tree has no RegistrationNumber: they register under the application
# number (the EUTM number, the UK trade mark number).
_REGISTERED_UNDER_APPLICATION_NUMBER = {"emtm", "gbtm"}


# The office code maps list no mask for these, and their numbers are too long for ST.13 whole:
# UKIPO `UK00003123456` (the trade mark number after the UK prefix and padding), OSIM
# `M 2019 01234` (the serial after the type letter and year).
_MASKS = {"gbtm": (r"UK0*(\d+)",), "rotm": (r"M\s?\d{4}\s?(\d+)",)}


def _bare_st66(cid: str, office: str, name: str, shape: str) -> Collection:
    return Collection(
        id=cid,
        office=office,
        office_name=name,
        kind="trademark",
        format=st66.FORMAT,
        source=Source("local", f"{{mirror}}/{cid}", "*.xml*", distribution=_DISTRIBUTION.get(cid, GBD_DISTRIBUTION)),
        description=f"{name} trademarks: WIPO ST.66 TradeMark {shape}.",
        registration_number_is_application_number=cid in _REGISTERED_UNDER_APPLICATION_NUMBER,
        st13_masks=_MASKS.get(cid),
    )


COLLECTIONS = [_bare_st66(cid, *entry) for cid, entry in BARE_ST66_OFFICES.items()]
