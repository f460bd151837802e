"""What a delivery format is: how to read it and how to map it (see transforms/formats.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from transforms.records import CanonicalRecord, OfficeRecord
from transforms.rules import CollectionRules


@dataclass(frozen=True)
class Format:
    """How to read and map one delivery format.

    `read` streams office records out of one XML stream. Formats whose records are spread over
    several files of a delivery (an API pull: marks in one response, goods in another) give
    `read_delivery` instead: it gets every member of the delivery as (name, stream) pairs and
    yields (member name, office record); each stream can be read only until the next member is
    asked for. `to_canonical` returns one canonical record, or a list
    (an application holding several designs gives one row per design); it gets the date to map
    as of from its caller (a term of protection is running or has run out), never from the clock.
    """

    name: str
    table: str  # "trademarks" or "designs"
    to_canonical: Callable[[OfficeRecord, CollectionRules, dt.date], CanonicalRecord | Sequence[CanonicalRecord]]
    description: str
    read: Callable[[IO[bytes]], Iterator[OfficeRecord]] | None = None
    read_delivery: Callable[[Iterable[tuple[str, IO[bytes]]]], Iterator[tuple[str, OfficeRecord]]] | None = None
    # The record element at which one big plain XML delivery may be cut into parts normalized in
    # parallel (connectors/split.py); None: the format's records depend on what surrounds them.
    split_tag: str | None = None

    def __post_init__(self) -> None:
        if (self.read is None) == (self.read_delivery is None):
            raise ValueError(f"format {self.name}: give one of read and read_delivery")

    def office_records(self, members: Iterable[tuple[str, IO[bytes]]]) -> Iterator[tuple[str, OfficeRecord]]:
        """(member name, office record) for every record of a delivery's members, in order."""
        if self.read_delivery is not None:
            yield from self.read_delivery(members)
        elif self.read is not None:
            for name, stream in members:
                for record in self.read(stream):
                    yield name, record
