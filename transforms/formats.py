"""Delivery formats: which connector reads it, which transform maps it, which table it feeds.

A collection names its format; everything format-specific is reached from here. Each format
is declared next to its transform (`FORMAT = Format(...)` in transforms/<format>.py, see
transforms/spec.py) and listed once below.
"""

from __future__ import annotations

from transforms import (
    dpma,
    hague_express,
    il_tmbrand,
    inpi,
    ipaustralia,
    kipris,
    st66,
    st86,
    st96_design,
    st96_trademark,
    uspto_design,
    uspto_tdxf,
)
from transforms.spec import Format

FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        st66.FORMAT,
        st96_trademark.FORMAT,
        uspto_tdxf.FORMAT,
        il_tmbrand.FORMAT,
        kipris.FORMAT,
        inpi.FORMAT,
        ipaustralia.FORMAT,
        dpma.FORMAT,
        st86.FORMAT,
        st96_design.FORMAT,
        uspto_design.FORMAT,
        hague_express.FORMAT,
    )
}
