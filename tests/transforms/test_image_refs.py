"""The picture references the normalizer collects from ST.96 marks and designs and from ILPO's
TMBRAND records; expected values read from the sample and fixture files."""

from __future__ import annotations

from ipetl.registry import get
from tests.conftest import MIRROR, normalized
from tests.transforms.test_st96_design_samples import EXAMPLE as DESIGN_EXAMPLE
from tests.transforms.test_st96_design_samples import RULES as XX_RULES
from tests.transforms.test_tsdr_pairs import USTM_TSDR
from transforms import st96_design, st96_trademark


def refs(rows_and_result) -> list[tuple]:
    _, result = rows_and_result
    return [(r["st13"], r["design_number"], r["view"], r["ref"], r["source_file"]) for r in result.images]


def test_st96_mark_representation(tmp_path):
    """samples/mirror/st96-examples/TrademarkApplication_Example.xml, application 87035559:
    tmk:MarkRepresentation/tmk:MarkReproduction/tmk:MarkImageBag/tmk:MarkImage/com:FileName
    87035559.png (one picture)."""
    path = MIRROR / "st96-examples" / "TrademarkApplication_Example.xml"
    rows, result = normalized(path, st96_trademark.FORMAT, USTM_TSDR.rules(), tmp_path)
    [row] = rows
    assert row["application_number"] == "87035559"
    assert refs((rows, result)) == [(row["st13"], None, 1, "87035559.png", "TrademarkApplication_Example.xml")]


def test_st96_design_representation_bag(tmp_path):
    """tests/fixtures/st96-design/DesignApplication_Example.xml, design D0123456 of application
    35503842 (st13 XX702017035503842): dgn:DesignRepresentationBag holds seven dgn:View, their
    com:FileName m001_001.jpg to m001_007.jpg with ViewIdentifier 1 to 7."""
    found = refs(normalized(DESIGN_EXAMPLE, st96_design.FORMAT, XX_RULES, tmp_path))
    assert found == [
        ("XX702017035503842", "D0123456", n, f"m001_00{n}.jpg", "DesignApplication_Example.xml") for n in range(1, 8)
    ]


def test_tmbrand_imagefile(tmp_path):
    """samples/mirror/iltm: eventdata.xml (OFFICENUMBER 317809, filed 2019) has IMAGEFILE
    \\2019\\06\\317809.jpg, international.xml (310118, filed 2018) \\2018\\10\\310118.jpg, as ILPO
    writes a path on its server; markfeature.xml and opposition.xml have an empty <IMAGEFILE/>."""
    iltm = get("iltm")
    found = {
        name: refs(normalized(MIRROR / "iltm" / name, iltm.format, iltm.rules(), tmp_path))
        for name in ("eventdata.xml", "international.xml", "markfeature.xml", "opposition.xml")
    }
    assert found == {
        "eventdata.xml": [("IL502019000317809", None, 1, "\\2019\\06\\317809.jpg", "eventdata.xml")],
        "international.xml": [("IL502018000310118", None, 1, "\\2018\\10\\310118.jpg", "international.xml")],
        "markfeature.xml": [],
        "opposition.xml": [],
    }
