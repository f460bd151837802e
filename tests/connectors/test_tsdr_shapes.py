"""USPTO TSDR's ST.66 puts a mark's owners beside it, after TradeMarkDetails, in an unkeyed
TransactionData/ApplicantDetails (samples/mirror/ustm-tsdr/*-ST66.xml); the connector gives them
to the mark only when it is its transaction data's single mark."""

from __future__ import annotations

import io

from connectors.records import TrademarkRecord
from connectors.st66 import iter_office_records

NS = 'xmlns="http://www.wipo.int/standards/XMLSchema/trademarks"'


def owner(name: str) -> str:
    return f"""<Applicant><ApplicantAddressBook><FormattedNameAddress><Name><FreeFormatName><FreeFormatNameDetails>
      <FreeFormatNameLine>{name}</FreeFormatNameLine></FreeFormatNameDetails></FreeFormatName></Name></FormattedNameAddress></ApplicantAddressBook></Applicant>"""


def mark(number: str, own: str = "") -> str:
    return f"<TradeMark><ApplicationNumber>{number}</ApplicationNumber>{own}</TradeMark>"


def transaction(marks: str, owners: str) -> str:
    return f"""<TradeMarkTransactionBody><TransactionContentDetails><TransactionCode>National Trademark Information</TransactionCode>
      <TransactionData><TradeMarkDetails>{marks}</TradeMarkDetails><ApplicantDetails>{owners}</ApplicantDetails></TransactionData>
      </TransactionContentDetails></TradeMarkTransactionBody>"""


def records(*bodies: str) -> list[TrademarkRecord]:
    xml = f"<Transaction {NS}>{''.join(bodies)}</Transaction>"
    return list(iter_office_records(io.BytesIO(xml.encode())))


def names(record: TrademarkRecord) -> list[str | None]:
    return [a["name"] for a in record["applicants"]]


def test_the_owners_after_a_single_mark_are_its_applicants():
    [r] = records(transaction(mark("74631225"), owner("Oracle America, Inc.") + owner("Sun Microsystems, Inc.")))
    assert names(r) == ["Oracle America, Inc.", "Sun Microsystems, Inc."]


def test_each_transaction_gives_its_owners_to_its_own_mark():
    got = records(transaction(mark("1"), owner("First Owner")), transaction(mark("2"), owner("Second Owner")))
    assert [(r["ApplicationNumber"], names(r)) for r in got] == [("1", ["First Owner"]), ("2", ["Second Owner"])]


def test_an_unkeyed_set_beside_several_marks_belongs_to_none_of_them():
    got = records(transaction(mark("1") + mark("2"), owner("Whose Owner")))
    assert [(r["ApplicationNumber"], names(r)) for r in got] == [("1", []), ("2", [])]


def test_a_mark_with_applicants_of_its_own_keeps_them():
    own = f"<ApplicantDetails>{owner('Own Owner')}</ApplicantDetails>"
    [r] = records(transaction(mark("3", own), owner("Other Owner")))
    assert names(r) == ["Own Owner"]
