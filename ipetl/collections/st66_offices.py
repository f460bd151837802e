"""Offices whose trademark deliveries are bare WIPO ST.66 `TradeMark` records (no Transaction
wrapper), some in the office's own dialect of ST.66: their element trees in
reference/formats/brands begin with TradeMark. Format `st66`; ST.13 masks come from the office
code maps by collection id.
"""

from __future__ import annotations

from ipetl.collection import Collection, OfficeTables, Source
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
    "nztm": (
        "NZ",
        "Intellectual Property Office of New Zealand",
        "records, one per TradeMarkInformationResponse of IPONZ's information service",
    ),
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
    "nztm": "IPONZ serves its register one mark per request through its trade mark information web "
    "service (for registered users); no bulk endpoint known to us: responses are put in the mirror",
}

# Office words the shared ST.66 table does not know, as WIPO's Global Brand Database maps them.
_TABLES: dict[str, OfficeTables] = {
    "nztm": {
        "status": {
            "Removed": "Delete",
            **dict.fromkeys(
                (
                    "Abandoned",
                    "Cancelled",
                    "Refused",
                    "Rejected",
                    "Revoked",
                    "Withdrawn",
                    "Renounced",
                    "Invalid",
                    "Abandoned - continued processing available",
                    "Refused - continued processing available",
                ),
                "Ended",
            ),
            **dict.fromkeys(
                ("Expired", "Expired but restorable", "Registered (past expiry date)", "Merged"), "Expired"
            ),
            **dict.fromkeys(("Registered", "Protected"), "Registered"),
            **dict.fromkeys(("Under Opposition", "Under Examination", "Accepted", "Abeyance"), "Pending"),
        },
        # MarkFeatureDetails: one MarkFeature per feature, read as "Word, Figurative"
        "feature": {"Word, Figurative": "Combined", "Figurative, Word": "Combined", "3-D": "Three dimensional"},
    },
}

# Offices whose format tree has no RegistrationNumber: they register under the application
# number (the EUTM number, the UK trade mark number, IPONZ's number).
_REGISTERED_UNDER_APPLICATION_NUMBER = {"emtm", "gbtm", "nztm"}


# The office code maps list no mask for OSIM, and its numbers are too long for ST.13 whole with
# the filing year: `M 2019 01234` gives the serial after the type letter and year (WIPO's own key,
# RO502019M201901234, is 18 characters: docs/differences-from-gbd.md).
_MASKS = {"rotm": (r"M\s?\d{4}\s?(\d+)",)}
# WIPO's templates for these offices build the ST.13 without the filing year (`st13('EM')`):
# UKIPO's whole number `UK00003123456` gives GB50UK00003123456, as in the Global Brand Database.
_NO_FILING_YEAR = {"emtm", "gbtm", "bgtm"}


def _bare_st66(cid: str, office: str, name: str, shape: str) -> Collection:
    tables: OfficeTables = {
        "registration_number_is_application_number": cid in _REGISTERED_UNDER_APPLICATION_NUMBER,
        **_TABLES.get(cid, {}),
    }
    return Collection(
        id=cid,
        office=office,
        office_name=name,
        kind="trademark",
        format=st66.FORMAT,
        source=Source("local", f"{{mirror}}/{cid}", "*.xml*", distribution=_DISTRIBUTION.get(cid, GBD_DISTRIBUTION)),
        description=f"{name} trademarks: WIPO ST.66 TradeMark {shape}.",
        st13_masks=_MASKS.get(cid),
        st13_filing_year=cid not in _NO_FILING_YEAR,
        **tables,
    )


COLLECTIONS = [_bare_st66(cid, *entry) for cid, entry in BARE_ST66_OFFICES.items()]
