"""What a transform needs to know about the collection it is normalizing.

The registry builds one `CollectionRules` per collection; transforms only read it. Office
quirks (a status word, a feature spelled in the office's language) are data here, not code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

from transforms.records import Event
from transforms.schema import EVENT_CATEGORIES, STATUS_CATEGORIES
from transforms.st13 import ST13Rule
from transforms.values import clean_text, load_vocab, parse_date

_ST66 = load_vocab("st66-values.json")
# The transforms' mark on a record a delivery withdraws, never a published status:
# transforms.normalize.split_deletions turns it into a tombstone.
DELETE = "Delete"


def _folded(table: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType({k.casefold(): v for k, v in table.items()})


ST66_STATUS = _folded(_ST66["status"])
ST66_FEATURE = _folded(_ST66["feature"])
ST66_KIND = _folded(_ST66["kind"])
SHARED_EVENT = _folded(load_vocab("event-categories.json")["event"])


def ended_if_never_registered(status: str, registered: bool) -> str:
    """A right extinguished before it was ever registered ended; it did not expire."""
    return "Ended" if status == "Expired" and not registered else status


def ipas_inactive(status: str, office_status: str | None, has_expiry_date: bool) -> str:
    """IPAS writes "Inactive" both for lapsed registrations and for dead applications; only a
    registration has an expiry date."""
    if office_status is not None and office_status.casefold() == "inactive":
        return ended_if_never_registered(status, registered=has_expiry_date)
    return status


@dataclass(frozen=True)
class CollectionRules:
    collection: str
    office: str
    st13: ST13Rule
    status: Mapping[str, str] = field(default_factory=dict)
    feature: Mapping[str, str] = field(default_factory=dict)
    kind: Mapping[str, str] = field(default_factory=dict)
    event: Mapping[str, str] = field(default_factory=dict)  # the office's event codes / words → category
    # Offices that number registrations with the application number (MyIPO) leave
    # RegistrationNumber empty on registered marks.
    registration_number_is_application_number: bool = False
    # The office's own words as WIPO's Global Brand Database maps them, per table (status,
    # feature, kind; transforms/vocab/gbd-office-words.json): they fill what the tables above
    # do not know, never override them.
    office_words: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @cached_property
    def _tables(self) -> dict[str, Mapping[str, str]]:
        """Each table folded once: office overrides over the format's shared table, over the
        office's words as GBD maps them."""
        shared = {"status": ST66_STATUS, "feature": ST66_FEATURE, "kind": ST66_KIND, "event": SHARED_EVENT}
        return {
            name: {**_folded(self.office_words.get(name, {})), **shared[name], **_folded(getattr(self, name))}
            for name in shared
        }

    def status_category(self, office_status: str | None) -> str:
        """The contract's status category for the office's status; a table may also say `Delete`
        (a record the delivery withdraws: USPTO's 000 and 626, operationCode Delete); what it
        files outside the contract (USPTO's "Other") or does not know is Unknown."""
        category = self.lookup("status", office_status)
        return category if category in STATUS_CATEGORIES or category == DELETE else "Unknown"

    def lookup(self, table: str, value: str | None) -> str | None:
        """Office override first, then the format's shared table; case-insensitive."""
        if value is None:
            return None
        return self._tables[table].get(value.strip().casefold())

    def kinds(self, value: str | None) -> list[str]:
        """The contract's kinds for an office's kind word: a table's value may name several,
        comma-separated (INPI's `Collective de certification` is a Certificate and a Collective
        mark)."""
        found = self.lookup("kind", value)
        return [k.strip() for k in found.split(",")] if found else []

    def to_event(self, date: str | None, code: str | None, text: str | None, *words: str | None) -> Event:
        """An event as the office wrote it: its own code (or its word where it has no code) and
        text kept unchanged; its category looked up by the code, then by each other word the
        format gives (a standard event word, the English text). A category the tables do not
        know stays null: the event is kept, and `ipetl unmapped-events` lists its code."""
        code, text = clean_text(code), clean_text(text)
        category = next(
            (c for c in (self.lookup("event", w) for w in (code, *words, text)) if c in EVENT_CATEGORIES), None
        )
        return {"date": parse_date(date), "code": code, "text": text, "category": category}
