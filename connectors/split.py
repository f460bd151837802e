"""Cut one big XML delivery into parts at record boundaries, so that its records can be parsed
by several processes at once (`ipetl run --jobs N`).

Each part is a well-formed document of its own: the bytes before the first record (the XML
declaration and the opening tags that enclose the records), a run of whole records, and the
bytes after the last record (the closing tags). Concatenating the parts' records in order gives
exactly the records of the file. Only for formats whose records are independent elements at
one depth, and whose enclosing elements carry nothing a record's meaning depends on.
"""

from __future__ import annotations

import itertools
import mmap
import re
from pathlib import Path

COPY_CHUNK = 1 << 24


def split_points(path: Path, tag: str, parts: int) -> list[int]:
    """Byte offsets where parts begin (the first is the first record's start) plus the end of
    the last record; fewer than parts + 1 offsets when the file holds fewer records."""
    start_tag = re.compile(rb"<" + re.escape(tag.encode()) + rb"[\s>/]")
    end_tag = b"</" + tag.encode() + b">"
    with open(path, "rb") as raw, mmap.mmap(raw.fileno(), 0, access=mmap.ACCESS_READ) as data:
        first = start_tag.search(data)
        last_end = data.rfind(end_tag)
        if first is None or last_end < first.start():
            return []
        end = last_end + len(end_tag)
        points = [first.start()]
        for n in range(1, parts):
            found = start_tag.search(data, max(points[-1] + 1, first.start() + (end - first.start()) * n // parts), end)
            if found is None:
                break
            if found.start() > points[-1]:
                points.append(found.start())
        return [*points, end]


def split_xml(path: Path, tag: str, parts: int, folder: Path) -> list[Path]:
    """Write the parts of `path` (see the module doc) into folder as NNNN/<its name>; [] when it
    cannot be cut in two or more (fewer than two records, or no `tag` element)."""
    points = split_points(path, tag, parts)
    if len(points) < 3:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with open(path, "rb") as source:
        head = source.read(points[0])
        source.seek(points[-1])
        tail = source.read()
        for n, (begin, end) in enumerate(itertools.pairwise(points)):
            target = folder / f"{n:04d}" / path.name  # named as the delivery: records keep its name
            target.parent.mkdir()
            with open(target, "wb") as out:
                out.write(head)
                source.seek(begin)
                left = end - begin
                while left:
                    chunk = source.read(min(COPY_CHUNK, left))
                    out.write(chunk)
                    left -= len(chunk)
                out.write(tail)
            written.append(target)
    return written
