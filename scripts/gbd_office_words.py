"""Write transforms/vocab/gbd-office-words.json: each office's own status, kind and feature words
as WIPO's Global Brand Database transformation maps them (wipo-gbd-transformation, installed in
.venv-gbd by `make gbd-venv`).

    .venv/bin/python scripts/gbd_office_words.py

WIPO's templates map an office's words in its filters.py (`if status == 'ENREGISTREE': return
'Registered'`); those one-word-to-one-value rules are read here for every collection we register.
The rules keep them below our own tables (transforms/rules.py): they fill the words our tables do
not know and never override one we map. Values outside the data contract's vocabularies (GBD's
`Delete` status, `Emblem` kind) are left out.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ipetl.registry import COLLECTIONS  # noqa: E402
from transforms.schema import KINDS, STATUS_CATEGORIES  # noqa: E402
from transforms.values import load_vocab  # noqa: E402

OUT = ROOT / "transforms" / "vocab" / "gbd-office-words.json"
ALLOWED = {
    "status": set(STATUS_CATEGORIES) - {"Unknown"},
    "kind": set(KINDS),
    "feature": set(load_vocab("brands-vocabularies.json")["features"]) - {"Undefined"},
}
FUNCTIONS = {"status": "translate_status", "kind": "translate_kind", "feature": "translate_feature"}
# `if status == 'registered': return 'Registered'`, `if kind.lower() == 'x': return ['Collective']`
_RULE = re.compile(
    r"""if\s+\w+(?:\.lower\(\))?\s*==\s*(['"])(.+?)\1\s*:\s*return\s*\[?\s*(['"])([^'"]+)\3\s*\]?\s*$""", re.M
)


def _package() -> Path:
    found = sorted((ROOT / ".venv-gbd" / "lib").glob("python3*/site-packages/gbdtransformation"))
    if not found:
        raise SystemExit("WIPO's transformation is not installed: run `make gbd-venv`")
    return found[0]


def office_words(filters: str) -> dict[str, dict[str, str]]:
    words: dict[str, dict[str, str]] = {}
    for table, function in FUNCTIONS.items():
        body = re.search(rf"^def {function}\(.*?(?=^def |\Z)", filters, re.S | re.M)
        if body is None:
            continue
        rules = {word: value for _, word, _, value in _RULE.findall(body.group(0)) if value in ALLOWED[table]}
        if rules:
            words[table] = dict(sorted(rules.items()))
    return words


def main() -> None:
    package = _package()
    found = {}
    for cid, collection in sorted(COLLECTIONS.items()):
        family = "brands" if collection.table == "trademarks" else "designs"
        filters = package / family / cid / "filters.py"
        if filters.exists():
            words = office_words(filters.read_text(encoding="utf-8"))
            if words:
                found[cid] = words
    version = next(package.parent.glob("wipo_gbd_transformation-*.dist-info")).name.split("-")[1].removesuffix(".dist")
    document = {"source": f"wipo-gbd-transformation=={version}, <family>/<collection>/filters.py", "offices": found}
    OUT.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{OUT.relative_to(ROOT)}: {len(found)} offices")


if __name__ == "__main__":
    main()
