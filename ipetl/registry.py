"""The collection registry: every office collection the pipeline knows, as data.

A collection of a known delivery format is a declaration (ipetl/collections/<family>.py), not
new code. DAGs, the CLI, `coverage` and the README's coverage table are generated from this registry.

    .venv/bin/python -m ipetl.registry README.md   # rewrite the README's coverage table (`make readme`)
"""

from __future__ import annotations

import sys
from itertools import groupby
from pathlib import Path

from ipetl.collection import SAMPLE_MIRROR, Collection, Source  # noqa: F401  (Source re-exported)
from ipetl.collections import designs, ipas, national, st66_offices, st96, uspto
from transforms.formats import FORMATS

# Declaring module → its collections, in registry order.
FAMILIES: dict[str, list[Collection]] = {
    ipas.__name__: ipas.COLLECTIONS,
    st66_offices.__name__: st66_offices.COLLECTIONS,
    st96.__name__: st96.COLLECTIONS,
    uspto.__name__: uspto.COLLECTIONS,
    national.__name__: national.COLLECTIONS,
    designs.__name__: designs.COLLECTIONS,
}

COLLECTIONS: dict[str, Collection] = {c.id: c for family in FAMILIES.values() for c in family}


def get(collection_id: str) -> Collection:
    try:
        return COLLECTIONS[collection_id]
    except KeyError:
        raise KeyError(f"unknown collection {collection_id!r} (see `ipetl collections`)") from None


COVERAGE_BEGIN = "<!-- coverage: generated from the registry by `make readme`; do not edit by hand -->"
COVERAGE_END = "<!-- end of coverage -->"


def coverage_markdown() -> str:
    """The README's coverage table: one row per declaring module and format, then the formats
    no collection uses yet. Real samples are the collections' folders in the bundled mirror."""
    lines = [
        f"{len(COLLECTIONS)} collections are registered (`ipetl collections`).",
        "",
        "| collections | delivery format | declared in | real samples in `samples/mirror/` |",
        "|---|---|---|---|",
    ]
    for module, family in FAMILIES.items():
        for fmt, group in groupby(sorted(family, key=lambda c: c.format.name), key=lambda c: c.format):
            ids = sorted(c.id for c in group)
            kind = "trademark" if fmt.table == "trademarks" else "design"
            named = f"`{ids[0]}`" if len(ids) == 1 else f"{len(ids)} {kind} collections: `{' '.join(ids)}`"
            sampled = " ".join(f"`{cid}`" for cid in ids if (SAMPLE_MIRROR / cid).is_dir()) or "none"
            path = module.replace(".", "/") + ".py"
            lines.append(f"| {named} | `{fmt.name}`: {_cell(fmt.description)} | `{path}` | {sampled} |")
    used = {c.format.name for c in COLLECTIONS.values()}
    for fmt in FORMATS.values():
        if fmt.name not in used:
            lines.append(f"| (none declared) | `{fmt.name}`: {_cell(fmt.description)} | | |")
    return "\n".join(lines) + "\n\n" + sources_markdown()


def sources_markdown() -> str:
    """Where each collection's deliveries come from: its declared source, or for a `local` one
    (a folder of the mirror) how the office distributes its data; collections alike share a row."""
    rows: dict[tuple[str, str], list[str]] = {}
    for c in COLLECTIONS.values():
        source = c.source
        if source.kind == "local":
            where = "`local`: a folder of the mirror"
        else:
            products = f" (products {', '.join(f'`{p}`' for p in source.products)})" if source.products else ""
            where = f"`{source.kind}`: {source.location}{products}"
        rows.setdefault((where, source.distribution), []).append(c.id)
    lines = [
        "Where the deliveries come from (`ipetl run` without `--source` fetches the remote ones):",
        "",
        "| collections | source | how the office distributes its data |",
        "|---|---|---|",
    ]
    for (where, distribution), ids in rows.items():
        named = " ".join(f"`{cid}`" for cid in sorted(ids))
        lines.append(f"| {named} | {_cell(where)} | {_cell(distribution)} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Text as a Markdown table cell shows it (element names like <case-file> are not HTML)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def with_coverage(readme: str) -> str:
    """`readme` with the text between the coverage markers replaced by coverage_markdown()."""
    head, begin, rest = readme.partition(COVERAGE_BEGIN + "\n")
    _, end, tail = rest.partition(COVERAGE_END)
    if not begin or not end:
        raise ValueError(f"the README has no {COVERAGE_BEGIN!r} ... {COVERAGE_END!r} block")
    return head + begin + coverage_markdown() + end + tail


if __name__ == "__main__":
    for name in sys.argv[1:]:
        readme = Path(name)
        readme.write_text(with_coverage(readme.read_text(encoding="utf-8")), encoding="utf-8")
