"""Bare ST.66 TradeMark records as the offices of ipetl/collections/st66_offices.py deliver them
(trees in reference/formats/brands begin with TradeMark: one record per file, or many under a
container the trees do not name)."""

from __future__ import annotations

import io

from connectors.records import TrademarkRecord
from connectors.st66 import iter_office_records


def records(xml: str) -> list[TrademarkRecord]:
    return list(iter_office_records(io.BytesIO(xml.encode())))


def test_many_bare_trademarks_under_any_container():
    # mctm.tree / mdtm.tree / rotm.tree / eetm.tree begin "TradeMark" (no root slash)
    marks = "".join(f"<TradeMark><ApplicationNumber>{n}</ApplicationNumber></TradeMark>" for n in ("10", "11", "12"))
    assert [r["ApplicationNumber"] for r in records(f"<Marks><Batch>{marks}</Batch></Marks>")] == ["10", "11", "12"]


def test_deleted_parties_and_the_operation_are_kept_apart():
    # emtm.tree: /TradeMark[@operationCode=Insert], Applicant[@operationCode=Delete], Representative[@operationCode=Delete]
    xml = """<TradeMark operationCode="Insert"><ApplicationNumber>018000001</ApplicationNumber>
      <ApplicantDetails><Applicant operationCode="Insert"><ApplicantAddressBook><FormattedNameAddress><Name><FormattedName>
      <OrganizationName>New Holder SA</OrganizationName></FormattedName></Name></FormattedNameAddress></ApplicantAddressBook></Applicant>
      <Applicant operationCode="Delete"><ApplicantAddressBook><FormattedNameAddress><Name><FormattedName>
      <OrganizationName>Old Holder SA</OrganizationName></FormattedName></Name></FormattedNameAddress></ApplicantAddressBook></Applicant>
      </ApplicantDetails><RepresentativeDetails><Representative operationCode="Delete"><RepresentativeAddressBook><FormattedNameAddress>
      <Name><FormattedName><LastName>Former</LastName></FormattedName></Name></FormattedNameAddress></RepresentativeAddressBook>
      </Representative></RepresentativeDetails></TradeMark>"""
    [r] = records(xml)
    assert r["operationCode"] == "Insert"
    assert [a["name"] for a in r["applicants"]] == ["New Holder SA"]
    assert r["representatives"] == []


def test_several_details_elements_add_up():
    # USPTO's ST.66 repeats RepresentativeDetails, one per representative role
    rep = "<RepresentativeDetails><Representative><RepresentativeAddressBook><FormattedNameAddress><Name><FreeFormatName><FreeFormatNameDetails><FreeFormatNameLine>{}</FreeFormatNameLine></FreeFormatNameDetails></FreeFormatName></Name></FormattedNameAddress></RepresentativeAddressBook></Representative></RepresentativeDetails>"
    [r] = records(
        f"<TradeMark><ApplicationNumber>1</ApplicationNumber>{rep.format('Attorney')}{rep.format('Correspondent')}</TradeMark>"
    )
    assert [p["name"] for p in r["representatives"]] == ["Attorney", "Correspondent"]
