"""Delivery formats: which connector reads it, which transform maps it, which table it feeds.

A collection names its format; everything format-specific is reached from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Callable, Iterator

from connectors import st66 as st66_connector
from transforms import st66 as st66_transform
from transforms.rules import CollectionRules


@dataclass(frozen=True)
class Format:
    name: str
    table: str  # "trademarks" or "designs"
    read: Callable[[IO[bytes]], Iterator[dict]]
    to_canonical: Callable[[dict, CollectionRules], dict]
    description: str


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "st66",
            "trademarks",
            st66_connector.iter_office_records,
            st66_transform.to_canonical,
            "WIPO ST.66 TM-XML (Transaction or bare TradeMark roots; IPAS exports included)",
        ),
    )
}
