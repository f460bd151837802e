"""Fuzzing the connectors (hypothesis): real deliveries of every format, truncated, with bytes
flipped, inserted or repeated, plain or gzipped, never make normalize raise. Each gives records,
quarantined records, or one rejection with a reason; nothing else escapes.

`make fuzz` runs this with many examples (FUZZ_EXAMPLES); `make test` with a few, so CI keeps it
honest on every change.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipetl.registry import get
from tests.conftest import FIXTURES, MIRROR
from transforms import values
from transforms.normalize import normalize_file

# (collection, delivery) pairs: one real file or fixture per format family
CASES = [
    ("khtm", MIRROR / "khtm" / "khtm.xml"),
    ("emtm", FIXTURES / "emtm" / "emtm.xml"),
    ("chtm", FIXTURES / "chtm" / "chtm.xml"),
    ("khid", FIXTURES / "khid" / "khid-designs.xml"),
    ("ustm", next((MIRROR / "ustm").iterdir())),
    ("usid", next((MIRROR / "usid").iterdir())),
    ("iltm", sorted((MIRROR / "iltm").iterdir())[0]),
    ("krtm", next((MIRROR / "krtm").iterdir())),
    ("woid", FIXTURES / "woid" / "DM212345.xml"),
    ("frtm", FIXTURES / "frtm" / "4612345.xml"),
    ("autm", FIXTURES / "autm" / "1987654.xml"),
    ("detm", FIXTURES / "detm" / "3020190123456.xml"),
]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@st.composite
def mutated(draw) -> tuple[str, bytes, bool]:
    collection, path = draw(st.sampled_from(CASES))
    data = bytearray(path.read_bytes())
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        how = draw(st.sampled_from(["truncate", "flip", "insert", "repeat", "entity"]))
        if how == "truncate":
            del data[at:]
        elif how == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif how == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=40))
        elif how == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 400))]
        else:  # an entity declaration and a reference: must stay inert
            data[at:at] = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>&b;'
    return collection, bytes(data), draw(st.booleans())


@FUZZ
@given(mutated())
def test_any_damaged_delivery_is_read_or_rejected_never_raised(case):
    collection_id, data, gzipped = case
    collection = get(collection_id)
    with tempfile.TemporaryDirectory() as work:
        delivery = Path(work) / ("delivery.xml.gz" if gzipped else "delivery.xml")
        delivery.write_bytes(gzip.compress(data) if gzipped else data)
        result = normalize_file(delivery, collection.format, collection.rules(), work)
        assert result.rejected is None or (isinstance(result.rejected, str) and "\n" not in result.rejected)
        if result.rejected:
            assert result.records == 0
        result.discard()


@FUZZ
@given(st.text(max_size=30))
def test_value_readers_never_raise(text):
    with values.collecting_invalid():
        values.parse_date(text)
        values.nice_class(text)
        values.vienna_code(text)
        values.locarno_class(text)
        values.country_code(text)
        values.language(text)
        values.clean_text(text)
