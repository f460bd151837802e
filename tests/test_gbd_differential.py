"""Differential test against WIPO's own transformation (wipo-gbd-transformation, in .venv-gbd).

Every real sample and fixture WIPO has a template for is normalized by us and by WIPO's code,
and st13, status, feature, kind, numbers, dates, mark text, classes, applicants and countries are
compared field by field (tests/gbd/compare.py). The disagreements must be exactly those listed,
each with its reason, in docs/differences-from-gbd.md: a new one fails here, and so does a listed
one that is gone (then take it out of the doc).
"""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import ROOT
from tests.gbd.compare import NOT_COMPARED, all_disagreements, compared_cases, documented

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gbd_environment() -> None:
    """Build .venv-gbd from tests/gbd/requirements.txt (a no-op when built): fail, never skip."""
    built = subprocess.run(["make", "-s", "gbd-venv"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert built.returncode == 0, f"could not build WIPO's transformation environment:\n{built.stderr}"


def test_every_case_is_compared_or_said_why_not():
    compared = {c.path.parent.name for c in compared_cases()}
    # The offices of our samples and fixtures WIPO's package has a template for.
    assert compared == {
        "altm", "idtm", "iltm", "khtm", "latm", "mytm", "smtm",  # real samples
        "bgtm", "chtm", "eetm", "emtm", "gbtm", "matm", "mctm", "mdtm", "rotm", "wotm",
        "idid", "khid", "sgid", "thid",
        "autm", "catm", "detm", "frtm", "nztm", "woid",  # the formats of issue 18
    }  # fmt: skip
    assert set(NOT_COMPARED) == {"ustm", "ustm-tsdr", "st96-examples", "krtm", "usid", "st96-design"}


def test_disagreements_are_the_documented_ones(gbd_environment):
    found, compared = all_disagreements()
    listed = documented()
    now = {(d.case, d.record, d.field, d.ours, d.gbd) for d in found}
    assert compared >= 550  # fields compared where WIPO's code gave a record (577 when written)
    new = sorted(now - set(listed))
    gone = sorted(set(listed) - now)
    assert not new, "disagreements with GBD not in docs/differences-from-gbd.md:\n" + "\n".join(map(str, new))
    assert not gone, "listed in docs/differences-from-gbd.md but no longer found:\n" + "\n".join(map(str, gone))
    assert all(reason.strip() for reason in listed.values()), "every listed disagreement says why"


def test_wipo_reads_the_real_albanian_sample_as_we_do(gbd_environment):
    """The anchor itself: WIPO's record of samples/mirror/altm/altm.xml, read against the file
    (ApplicationNumber AL/T/1996/001287 filed 1996-04-19, registration 007650, mark SRI, class 4)."""
    from tests.gbd.compare import run_gbd

    (case,) = [c for c in compared_cases() if c.name == "mirror-altm-altm"]
    [result] = run_gbd([case])[str(case.path)]
    gbd = result["gbd"]
    assert gbd["st13"] == "AL50199600T001287"
    assert gbd["applicationNumber"] == "AL/T/1996/001287"
    assert gbd["registrationNumber"] == "007650"
    assert gbd["wordMarkSpecification"]["markVerbalElement"][0]["text"] == "SRI"
    assert [c["code"] for c in gbd["goodsServicesClassification"]["class"]] == [4]
