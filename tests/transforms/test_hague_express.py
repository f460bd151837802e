"""WIPO Hague Express → canonical design rows, on tests/fixtures/woid/ (written from
reference/formats/designs/woid.tree); each expected value names the element or recording it
comes from. Mapped as of 2026-11-28."""

from __future__ import annotations

import datetime as dt

import pytest

from ipetl.collections.designs import HAGUE
from tests.conftest import FIXTURES, clean_rows, normalized
from transforms import hague_express

D = dt.date
TODAY = D(2026, 11, 28)
WOID = FIXTURES / "woid"


@pytest.fixture
def dm212345(tmp_path):
    rows = clean_rows(WOID / "DM212345.xml", hague_express.FORMAT, HAGUE.rules(), tmp_path, today=TODAY)
    return {r["design_number"]: r for r in rows}


def by_party(row) -> dict[str, tuple[str, dt.date]]:
    return {d["country_code"]: (d["status"], d["status_date"]) for d in row["designations"]}


def test_one_row_per_hague_design_keyed_by_the_application_number(dm212345):
    assert sorted(dm212345) == ["1", "2"]  # HagueDesign/DesignIdentifier
    chair = dm212345["1"]
    # ApplicationNumberText A19001234, InternationalFilingDate 2019-03-14: WO, 70 (design), 2019
    assert {r["st13"] for r in dm212345.values()} == {"WO702019A19001234"}
    assert (chair["office"], chair["collection"]) == ("WO", "woid")
    assert (chair["registration_number"], chair["international_registration"]) == ("DM/212345", "DM/212345")
    assert (chair["application_date"], chair["registration_date"]) == (D(2019, 3, 14), D(2019, 3, 14))
    # the HagueHistory that records the HagueRegistration: PublicationDate 2019-09-20
    assert chair["publication_date"] == D(2019, 9, 20)
    # ProductDescriptionText in the FilingLanguageCode (en), not the French one
    assert (chair["product_indication"], chair["product_indication_language"]) == ("Chair", "en")
    assert (chair["locarno_classes"], chair["locarno_edition"]) == (["06-01"], "12")  # LocarnoClass 06, Subclass 01
    assert dm212345["2"]["locarno_classes"] == ["06-03"]
    assert chair["designers"] == [
        {"name": "Luca Brunner", "country_code": "CH", "address": "Dorfstrasse 5, Luzern, 6003"}
    ]
    assert chair["representatives"][0]["name"] == "Anna Keller"
    assert chair["priorities"] == [{"country_code": "CH", "number": "CH 141234", "date": D(2018, 9, 20)}]
    assert chair["designated_countries"] == ["CH", "EM", "JP", "KR", "US"]
    # ViewBag lists view 2 before view 1: in ViewIdentifier order
    assert chair["representation_uris"] == ["DM212345_1_1.jpg", "DM212345_1_2.jpg"]


def test_the_holder_is_the_one_of_the_last_holder_change(dm212345):
    # HagueHolderNameAddressChange recorded 2022-02-01: Möbelwerk Alpen AG → Alpen Design GmbH
    assert [p["name"] for p in dm212345["1"]["applicants"]] == ["Alpen Design GmbH"]
    assert dm212345["1"]["applicants"][0]["address"] == "Seestrasse 12, Zürich, 8002"


def test_a_renewal_extends_only_the_designs_it_names(dm212345):
    # HagueRenewal 2024-03-14: design 1 only, ExpiryDate 2029-03-14; HagueCurrent still says 2024-03-14
    chair, table = dm212345["1"], dm212345["2"]
    assert (chair["expiry_date"], chair["status"], chair["status_date"]) == (
        D(2029, 3, 14),
        "Registered",
        D(2024, 3, 14),
    )
    assert (table["expiry_date"], table["status"], table["status_date"]) == (D(2024, 3, 14), "Expired", D(2024, 3, 14))
    assert chair["office_status"] is None  # Hague records give no status word


def test_the_status_in_each_designated_party_follows_its_decisions_and_renewals(dm212345):
    assert by_party(dm212345["1"]) == {
        "CH": ("Registered", D(2024, 3, 14)),  # renewed for CH on 2024-03-14
        "EM": ("Registered", D(2024, 3, 14)),
        # granted protection (recorded 2020-06-01) but the renewal does not name JP: ended 2024-03-14
        "JP": ("Expired", D(2024, 3, 14)),
        "KR": ("Ended", D(2020, 4, 2)),  # HagueRefusal by KR, DecisionDate 2020-04-02
        # refused (2020-06-15), then granted (recorded 2021-01-11), then renewed 2024-03-14
        "US": ("Registered", D(2024, 3, 14)),
    }
    # design 2 was not renewed: expired everywhere it was not refused
    assert by_party(dm212345["2"]) == {
        "CH": ("Expired", D(2024, 3, 14)),
        "EM": ("Expired", D(2024, 3, 14)),
        "JP": ("Expired", D(2024, 3, 14)),
        "KR": ("Ended", D(2020, 4, 2)),
        "US": ("Expired", D(2024, 3, 14)),
    }


def test_before_its_expiry_a_design_not_renewed_is_still_registered(tmp_path):
    rows = clean_rows(WOID / "DM212345.xml", hague_express.FORMAT, HAGUE.rules(), tmp_path, today=D(2023, 1, 1))
    table = next(r for r in rows if r["design_number"] == "2")
    assert (table["status"], table["status_date"]) == ("Registered", D(2019, 3, 14))  # InternationalRegistrationDate
    # the US refusal was followed by a grant, recorded 2021-01-11
    assert by_party(table)["US"] == ("Registered", D(2021, 1, 11))
    assert by_party(table)["JP"] == ("Registered", D(2020, 6, 1))  # the grant's InternationalRecordingDate


def test_a_registration_known_only_from_its_history(tmp_path):
    [watch] = clean_rows(WOID / "DM058123.xml", hague_express.FORMAT, HAGUE.rules(), tmp_path, today=TODAY)
    # no ApplicationNumber: R and the digits of DM/058123, dated by the registration date 2001-11-05
    assert watch["st13"] == "WO70200100R058123"
    assert (watch["application_number"], watch["application_date"]) == (None, None)
    # the HagueCorrection's corrected content: "Montre de poche", not the registration's "Montre de poce"
    assert (watch["product_indication"], watch["product_indication_language"]) == ("Montre de poche", "fr")
    assert watch["applicants"][0]["name"] == "Favre Horlogerie SA"
    # renewed 2006-11-05 to 2011-11-05, then HagueExpiration recorded 2012-05-20
    assert (watch["expiry_date"], watch["status"], watch["status_date"]) == (D(2011, 11, 5), "Expired", D(2011, 11, 5))
    assert by_party(watch) == {"DE": ("Expired", D(2011, 11, 5)), "FR": ("Expired", D(2011, 11, 5))}


def test_a_recorded_expiration_ends_a_registration_whose_expiry_date_is_not_past(tmp_path):
    # as of 2011-01-01 the renewed term runs to 2011-11-05, but the expiration recorded on
    # 2012-05-20 is after the last renewal (2006-11-05)
    [watch] = clean_rows(WOID / "DM058123.xml", hague_express.FORMAT, HAGUE.rules(), tmp_path, today=D(2011, 1, 1))
    assert watch["status"] == "Expired"


def test_a_transaction_without_a_registration_is_quarantined_with_its_reason(tmp_path):
    bare = tmp_path / "bare.xml"
    bare.write_text(
        '<HagueExpressTransaction xmlns="http://www.wipo.int/standards/XMLSchema/ST96/Design">'
        "<HagueHistory><PublicationDate>2012-05-25</PublicationDate><HagueExpiration>"
        "<InternationalRecordingDate>2012-05-20</InternationalRecordingDate></HagueExpiration></HagueHistory>"
        "</HagueExpressTransaction>"
    )
    rows, result = normalized(bare, hague_express.FORMAT, HAGUE.rules(), tmp_path, today=TODAY)
    assert rows == []
    [held] = result.quarantined
    assert "no HagueRegistration" in held["reason"]
