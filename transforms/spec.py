"""What a delivery format is: how to read it and how to map it (see transforms/formats.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO

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
    to_canonical: Callable[[dict, CollectionRules, dt.date], dict | list[dict]]
    description: str
    read: Callable[[IO[bytes]], Iterator[dict]] | None = None
    read_delivery: Callable[[Iterable[tuple[str, IO[bytes]]]], Iterator[tuple[str, dict]]] | None = None
    # The record element at which one big plain XML delivery may be cut into parts normalized in
    # parallel (connectors/split.py); None: the format's records depend on what surrounds them.
    split_tag: str | None = None
