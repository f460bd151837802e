"""moto's S3 server, with ranged GETs costing their range, as on real object stores.

moto 5 keeps each object in a SpooledTemporaryFile (spilled to disk past 5 MB) and, for every
GET, reads the whole object out of it and then slices the requested range: each of a Parquet
reader's hundreds of range reads of one 180 MB lake file costs 0.1 s, which no real store does,
and a benchmark would measure moto instead of the publish. Here objects stay in memory and a
GET takes the object's bytes without copying them (BytesIO.getvalue shares its buffer), so only
the range is copied. Everything else is moto's own server: `python -m ipetl.moto_server -p PORT`.
"""

from __future__ import annotations

import io
import os

os.environ.setdefault("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", str(16 << 30))  # objects stay in memory

from moto.s3.models import FakeKey
from moto.server import main

_value: property = vars(FakeKey)["value"]  # a property, which moto's annotations hide from mypy


def _shared_value(self: FakeKey) -> bytes:
    with self.lock:
        buffer = getattr(self._value_buffer, "_file", None)
        if isinstance(buffer, io.BytesIO):
            return buffer.getvalue()
    return _value.__get__(self)


FakeKey.value = _value.getter(_shared_value)  # type: ignore[method-assign,assignment]  # see _value

if __name__ == "__main__":
    main()
