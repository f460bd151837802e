"""Records written as flat groups of coded leaf elements (IP Australia's TMEXTRACT, DPMA's
MARKDOC): an element's groups by path, each occurrence with its leaves' texts in order.

    <BASGR><BASAPPN>1</BASAPPN></BASGR><GSGR><NICCLAI>30</NICCLAI></GSGR><GSGR>...</GSGR>
    → {"BASGR": [{"BASAPPN": ["1"]}], "GSGR": [{"NICCLAI": ["30"]}, {...}]}

Nested groups get their own path (`INTREGG/CORADD`); the element's own leaves are under "".
Nothing is interpreted: the transform reads what it needs (connectors.records.Groups).
"""

from __future__ import annotations

from connectors.records import Group, Groups
from connectors.xml import Element, local, text


def _add(elem: Element, path: str, groups: Groups) -> None:
    leaves: Group = {}
    for child in elem:
        tag = local(child.tag)
        if len(child):
            _add(child, f"{path}/{tag}" if path else tag, groups)
        else:
            leaves.setdefault(tag, []).append(text(child))
    if leaves or path:
        groups.setdefault(path, []).append(leaves)


def grouped(elem: Element) -> Groups:
    """The groups of `elem` (see the module docstring)."""
    groups: Groups = {}
    _add(elem, "", groups)
    return groups


def first(groups: Groups, path: str) -> Group:
    """The first occurrence of a group; empty when there is none."""
    return next(iter(groups.get(path, [])), {})


def value(group: Group, leaf: str) -> str | None:
    """The first text of a leaf of one group occurrence."""
    return next(iter(group.get(leaf, [])), None)
