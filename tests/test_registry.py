"""The registry holds every office the reference formats say delivers ST.66 Transaction files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from ipetl.registry import COLLECTIONS, with_coverage

FORMATS = Path(__file__).resolve().parent.parent / "reference" / "formats" / "brands"


def _begins_with_transaction(tree: Path) -> bool:
    lines = [line.strip() for line in tree.read_text(errors="replace").splitlines() if line.strip()]
    # some trees lost their first characters when they were captured ("ransaction", "Transaction")
    return len(lines) >= 2 and lines[0].lstrip("/").endswith("ransaction") and lines[1] == "__/TradeMarkTransactionBody"


def test_every_st66_transaction_office_is_registered():
    expected = sorted(t.stem for t in FORMATS.glob("*.tree") if _begins_with_transaction(t))
    assert len(expected) == 62
    registered = sorted(c.id for c in COLLECTIONS.values() if c.format.name == "st66" and c.kind == "trademark")
    missing = set(expected) - set(registered)
    assert not missing, missing


def test_every_collection_declares_what_the_registry_promises():
    for c in COLLECTIONS.values():
        assert c.id.startswith(c.office.lower()), c.id
        assert c.kind in ("trademark", "design")
        assert c.source.kind in ("local", "https", "product-api", "sftp", "ftp")
        assert c.source.distribution, f"{c.id}: say how the office distributes its data"
        assert bool(c.source.products) == (c.source.kind == "product-api"), c.id
        assert c.schedule and c.licence and c.description
        assert c.st13_rule.office == c.office
        assert c.st13_rule.ip_type == ("70" if c.kind == "design" else "50")


def test_offices_with_masks_use_them():
    assert COLLECTIONS["khtm"].st13_rule.masks[1] == "KH/(.*)/(M)"
    assert COLLECTIONS["brtm"].st13_rule.masks == ()  # none listed: the number itself


def test_the_readme_coverage_table_is_the_registrys():
    readme = Path(__file__).resolve().parent.parent / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert text == with_coverage(text), (
        "README.md's coverage table differs from the registry's: run `make readme` to rewrite it"
    )


def test_a_format_is_the_object_itself():
    with pytest.raises(TypeError, match="not a transforms.spec.Format"):
        replace(COLLECTIONS["altm"], format="st66")  # type: ignore[arg-type]  # the mistake under test
