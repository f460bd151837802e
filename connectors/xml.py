"""Hardened, streaming XML reading shared by every XML connector.

The parser never resolves entities, never loads a DTD (local or remote) and never touches the
network, so XXE and entity-expansion bombs are inert. Records are yielded one at a time and
cleared afterwards, together with everything before them, so memory stays flat whatever the
file size.
"""

from __future__ import annotations

import io
import re
from collections.abc import Generator, Iterable, Iterator
from typing import IO

from lxml import etree

# lxml iterparse options every XML connector uses: no entities, no DTD, no network, no huge trees.
PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


Element = etree._Element
# What a connector reads: a binary file, or a raw stream such as connectors.files.HashingReader.
ByteStream = IO[bytes] | io.RawIOBase


class DeliveryError(Exception):
    """A delivery (file) cannot be read; the message is the one-line reason."""

    def __init__(self, reason: str):
        super().__init__(" ".join(str(reason).split()))  # parsers' messages may span lines


# `{ns}Name` → `Name`, remembered: a delivery repeats a few hundred tags millions of times. The
# bound keeps a hostile file of ever new tag names from growing it.
_LOCAL_NAMES: dict[object, str] = {}
_LOCAL_NAMES_BOUND = 10_000


def local(tag: object) -> str:
    """`{ns}Name` → `Name` (comments and processing instructions give '')."""
    try:
        return _LOCAL_NAMES[tag]
    except KeyError:
        name = tag[tag.rfind("}") + 1 :] if isinstance(tag, str) else ""
        if len(_LOCAL_NAMES) < _LOCAL_NAMES_BOUND:
            _LOCAL_NAMES[tag] = name
        return name


def text(elem: Element) -> str | None:
    value = elem.text
    if value is None:
        return None
    value = value.strip()
    return value or None


def children(elem: Element, name: str) -> Iterator[Element]:
    """The children with this local name."""
    return (c for c in elem if local(c.tag) == name)


def child_text(elem: Element, name: str) -> str | None:
    """Text of the first child with this local name."""
    return next((text(c) for c in children(elem, name)), None)


def iter_elements(stream: ByteStream, tags: Iterable[str]) -> Generator[Element, None, None]:
    """Yield each element whose local name is in `tags`, at its end, then free it.

    Tags are matched in any namespace (offices deliver ST.66 with, without and with
    extension namespaces). An element nested in another matched element is yielded too but
    freed only with its outer one. Whatever lies outside the records (headers, elements of no
    interest) is freed as the parser goes (see _PruningSource), so memory stays bounded whatever
    the input. XML errors become DeliveryError with lxml's one-line reason.
    """
    wanted = frozenset(tags)
    nested = len(wanted) > 1  # with one tag, no matched element sits inside another
    source = _PruningSource(stream, wanted)
    # The document element's start event hands its element to the pruning source; events of
    # other elements of its name are passed over.
    matched = wanted | {source.root_name} if source.root_name else wanted
    context = etree.iterparse(source, events=("start", "end"), tag=[f"{{*}}{t}" for t in matched], **PARSER_OPTIONS)
    try:
        for event, elem in context:
            if event == "start":
                if source.root is None:
                    source.root = elem
                continue
            if source.root is None:  # the document element's name was not found in the first bytes
                source.root = elem.getroottree().getroot()
            if local(elem.tag) not in wanted:
                continue
            yield elem
            if not nested or not _inside(elem, wanted):
                _release(elem)
    except etree.XMLSyntaxError as exc:
        raise DeliveryError(f"not well-formed XML: {exc.msg or exc}") from None
    except etree.LxmlError as exc:  # pragma: no cover - other parser failures
        raise DeliveryError(f"XML parser error: {exc}") from None


# The prolog (XML declaration, processing instructions, comments, DOCTYPE with its internal
# subset) and the name of the document element after it.
_ROOT_NAME = re.compile(
    rb"(?:\xef\xbb\xbf)?(?:\s|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>)*<(?:[\w.\-]+:)?([\w.\-]+)", re.S
)
_CHUNK = 32768


class _PruningSource:
    """The stream as the parser reads it. Before each read (when the parser has no event
    pending and every element it reported is dealt with) the finished elements outside the
    records are dropped: on the path from the document element to the element being parsed,
    every child but the last, down to the first record on the path, whose parts stay."""

    def __init__(self, stream: ByteStream, records: frozenset[str]):
        self._stream = stream
        self._records = records
        self._head = stream.read(_CHUNK) or b""  # None only from a non-blocking raw stream
        found = _ROOT_NAME.match(self._head)
        self.root_name = found[1].decode("ascii", "replace") if found else None
        self.root = None

    def read(self, size: int = _CHUNK) -> bytes:
        if self._head:
            head, self._head = self._head, b""
            return head
        if self.root is not None:
            _prune(self.root, self._records)
        return self._stream.read(size) or b""


def _prune(root: Element, records: frozenset[str]) -> None:
    node = root
    while local(node.tag) not in records:
        children = len(node)
        if children == 0:
            return
        if children > 1:
            del node[: children - 1]
        node = node[-1]


def _inside(elem: Element, tags: frozenset[str]) -> bool:
    """Whether an ancestor of the element has one of these local names."""
    node = elem.getparent()
    while node is not None:
        if local(node.tag) in tags:
            return True
        node = node.getparent()
    return False


def _release(elem: Element) -> None:
    """Clear a finished record and drop every earlier sibling of it and of its ancestors."""
    elem.clear(keep_tail=False)  # type: ignore[call-arg]  # lxml-stubs 0.5 predates keep_tail
    node = elem
    while node is not None:
        parent = node.getparent()
        if parent is None:
            break
        while node.getprevious() is not None:
            del parent[0]
        node = parent
