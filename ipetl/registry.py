"""The collection registry: every office collection the pipeline knows, as data.

A collection of a known delivery format is a declaration (ipetl/collections/<family>.py), not
new code. DAGs, the CLI and `coverage` are generated from this registry.
"""

from __future__ import annotations

from ipetl.collection import Collection, Source  # noqa: F401  (re-exported)
from ipetl.collections import designs, ipas, national, st66_offices, st96, uspto

COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in (
        *ipas.COLLECTIONS,
        *st66_offices.COLLECTIONS,
        *st96.COLLECTIONS,
        *uspto.COLLECTIONS,
        *national.COLLECTIONS,
        *designs.COLLECTIONS,
    )
}


def get(collection_id: str) -> Collection:
    try:
        return COLLECTIONS[collection_id]
    except KeyError:
        raise KeyError(f"unknown collection {collection_id!r} (see `ipetl collections`)") from None
