"""The ST.66 shapes offices deliver, beyond the six samples (written from the format trees in
reference/formats/brands/*.tree; each fixture below says which collection's tree it follows)."""

from __future__ import annotations

import io

from connectors.records import TrademarkRecord
from connectors.st66 import iter_office_records

NS = 'xmlns="http://www.wipo.int/standards/XMLSchema/trademarks"'


def records(xml: str) -> list[TrademarkRecord]:
    return list(iter_office_records(io.BytesIO(xml.encode())))


def mark(number: str, extra: str = "") -> str:
    return f"<TradeMark><RegistrationOfficeCode>DK</RegistrationOfficeCode><ApplicationNumber>{number}</ApplicationNumber>{extra}</TradeMark>"


def test_several_trademarks_in_one_trademarkdetails_without_application_wrapper():
    # dktm.tree: /Transaction/TradeMarkTransactionBody/TransactionContentDetails/TransactionData/TradeMarkDetails/TradeMark
    xml = f"""<Transaction {NS}><TradeMarkTransactionBody><TransactionContentDetails>
      <TransactionCode>TM</TransactionCode><TransactionData><TradeMarkDetails>
      {mark("VA 2010 00001")}{mark("VA 2010 00002")}{mark("VA 2010 00003")}
      </TradeMarkDetails></TransactionData></TransactionContentDetails></TradeMarkTransactionBody></Transaction>"""
    got = records(xml)
    assert [r["ApplicationNumber"] for r in got] == ["VA 2010 00001", "VA 2010 00002", "VA 2010 00003"]
    assert all(r["TransactionCode"] == "TM" for r in got)  # the code before the data reaches every mark


def test_several_transactions_with_application_wrappers_and_no_namespace():
    def body(n: int) -> str:
        return f"""<TradeMarkTransactionBody><TransactionContentDetails><TransactionCode>T{n}</TransactionCode>
      <TransactionData><TradeMarkApplication><TradeMarkDetails>{mark(str(n))}</TradeMarkDetails></TradeMarkApplication>
      </TransactionData></TransactionContentDetails></TradeMarkTransactionBody>"""

    got = records(f"<Transaction>{body(1)}{body(2)}</Transaction>")
    assert [(r["ApplicationNumber"], r["TransactionCode"]) for r in got] == [("1", "T1"), ("2", "T2")]


def test_bare_trademark_root():
    # gbtm.tree / wotm.tree begin /TradeMark
    [r] = records(f"<TradeMark {NS}><ApplicationNumber>UK00003000001</ApplicationNumber></TradeMark>")
    assert r["ApplicationNumber"] == "UK00003000001"


def test_formatted_names_and_formatted_addresses():
    # dktm.tree: Applicant/ApplicantAddressBook/FormattedNameAddress/Name/FormattedName/{FirstName,LastName,OrganizationName}
    party = """<ApplicantDetails><ApplicantKey><Applicant><ApplicantIdentifier>77</ApplicantIdentifier>
      <ApplicantAddressBook><FormattedNameAddress><Name><FormattedName><FirstName>Karen</FirstName><LastName>Blixen</LastName></FormattedName></Name>
      <Address><AddressCountryCode>DK</AddressCountryCode><FormattedAddress><AddressStreet>Rungstedvej 111</AddressStreet>
      <AddressPostcode>2960</AddressPostcode><AddressCity>Rungsted Kyst</AddressCity></FormattedAddress></Address>
      </FormattedNameAddress></ApplicantAddressBook></Applicant><URI>urn:x</URI></ApplicantKey>
      <Applicant><ApplicantAddressBook><FormattedNameAddress><Name><FormattedName><OrganizationName>Carlsberg A/S</OrganizationName></FormattedName></Name>
      </FormattedNameAddress></ApplicantAddressBook></Applicant></ApplicantDetails>"""
    [r] = records(
        f"<Transaction {NS}><TradeMarkTransactionBody><TransactionContentDetails><TransactionData><TradeMarkDetails>{mark('1', party)}</TradeMarkDetails></TransactionData></TransactionContentDetails></TradeMarkTransactionBody></Transaction>"
    )
    assert [(a["name"], a["country"]) for a in r["applicants"]] == [("Karen Blixen", "DK"), ("Carlsberg A/S", None)]
    assert r["applicants"][0]["address"] == "Rungstedvej 111, 2960, Rungsted Kyst"


def test_applicants_delivered_beside_the_marks_are_joined_by_key():
    # ST.66 TransactionData may carry an applicant set; marks then reference applicants by key
    applicant_set = """<TradeMarkTransactionBody><TransactionContentDetails><TransactionCode>Applicants</TransactionCode><TransactionData>
      <ApplicantDetails><Applicant><ApplicantIdentifier>A-9</ApplicantIdentifier><ApplicantAddressBook><FormattedNameAddress>
      <Name><FreeFormatName><FreeFormatNameDetails><FreeFormatNameLine>Nordisk Ltd</FreeFormatNameLine></FreeFormatNameDetails></FreeFormatName></Name>
      <Address><AddressCountryCode>SE</AddressCountryCode></Address></FormattedNameAddress></ApplicantAddressBook></Applicant></ApplicantDetails>
      </TransactionData></TransactionContentDetails></TradeMarkTransactionBody>"""
    reference = "<ApplicantDetails><ApplicantKey><Identifier>A-9</Identifier></ApplicantKey></ApplicantDetails>"
    marks = f"""<TradeMarkTransactionBody><TransactionContentDetails><TransactionCode>TM</TransactionCode><TransactionData><TradeMarkDetails>
      {mark("5", reference)}</TradeMarkDetails></TransactionData></TransactionContentDetails></TradeMarkTransactionBody>"""
    for order in ((applicant_set, marks), (marks, applicant_set)):  # before or after the marks
        [r] = records(f"<Transaction {NS}>{''.join(order)}</Transaction>")
        assert [(a["name"], a["country"]) for a in r["applicants"]] == [("Nordisk Ltd", "SE")]


def test_a_key_beside_the_inline_applicant_is_that_applicant():
    # estm.tree: ApplicantDetails holds Applicant and, beside it, ApplicantKey/URI (TMview): one
    # applicant, not a second one without a name
    party = """<ApplicantDetails><ApplicantKey><URI>https://example.test/applicant/4411</URI></ApplicantKey>
      <Applicant><ApplicantIdentifier>4411</ApplicantIdentifier><ApplicantAddressBook><FormattedNameAddress>
      <Name><FreeFormatName><FreeFormatNameDetails><FreeFormatNameLine>Tallinna Vesi AS</FreeFormatNameLine></FreeFormatNameDetails></FreeFormatName></Name>
      <Address><AddressCountryCode>EE</AddressCountryCode></Address></FormattedNameAddress></ApplicantAddressBook></Applicant></ApplicantDetails>"""
    [r] = records(
        f"<Transaction {NS}><TradeMarkTransactionBody><TransactionContentDetails><TransactionData><TradeMarkDetails>{mark('1', party)}</TradeMarkDetails></TransactionData></TransactionContentDetails></TradeMarkTransactionBody></Transaction>"
    )
    assert [(a["name"], a["country"]) for a in r["applicants"]] == [("Tallinna Vesi AS", "EE")]


def test_transliteration_beside_the_verbal_element():
    # ST.66 WordMarkSpecification/{MarkVerbalElementText, MarkTransliteration}: the mark in its own
    # script, and in Latin letters
    word = """<WordMarkSpecification><MarkVerbalElementText languageCode="el">ΑΘΗΝΑ</MarkVerbalElementText>
      <MarkTransliteration>ATHINA</MarkTransliteration></WordMarkSpecification>"""
    [r] = records(f"<TradeMarkDetails {NS}>{mark('1', word)}</TradeMarkDetails>")
    assert (r["verbal"], r["MarkTransliteration"]) == ([("el", "ΑΘΗΝΑ")], "ATHINA")


def test_opponents_and_priority_classes_are_not_taken_for_the_marks_own():
    extra = """<ApplicantDetails><Applicant><ApplicantAddressBook><FormattedNameAddress><Name><FreeFormatName><FreeFormatNameDetails>
      <FreeFormatNameLine>Owner</FreeFormatNameLine></FreeFormatNameDetails></FreeFormatName></Name></FormattedNameAddress></ApplicantAddressBook></Applicant></ApplicantDetails>
      <OppositionDetails><Opposition><OpponentDetails><Opponent><ApplicantAddressBook><FormattedNameAddress><Name><FreeFormatName><FreeFormatNameDetails>
      <FreeFormatNameLine>Opponent</FreeFormatNameLine></FreeFormatNameDetails></FreeFormatName></Name></FormattedNameAddress></ApplicantAddressBook></Opponent></OpponentDetails></Opposition></OppositionDetails>
      <PriorityDetails><Priority><PriorityCountryCode>DE</PriorityCountryCode><PriorityNumber>30 2019 1</PriorityNumber><PriorityDate>2019-01-02</PriorityDate>
      <PriorityPartialGoodsServices><ClassDescriptionDetails><ClassDescription><ClassNumber>12</ClassNumber></ClassDescription></ClassDescriptionDetails></PriorityPartialGoodsServices></Priority></PriorityDetails>
      <GoodsServicesDetails><GoodsServices><ClassDescriptionDetails><ClassDescription><ClassNumber>03</ClassNumber>
      <GoodsServicesDescription languageCode="en">Soaps</GoodsServicesDescription></ClassDescription></ClassDescriptionDetails></GoodsServices></GoodsServicesDetails>"""
    [r] = records(
        f"<Transaction {NS}><TradeMarkTransactionBody><TransactionContentDetails><TransactionData><TradeMarkDetails>{mark('1', extra)}</TradeMarkDetails></TransactionData></TransactionContentDetails></TradeMarkTransactionBody></Transaction>"
    )
    assert [a["name"] for a in r["applicants"]] == ["Owner"]
    assert r["goods_services"] == [("03", "en", "Soaps")]
    assert r["priorities"][0]["PriorityNumber"] == "30 2019 1"


def _largest_tree(n: int) -> int:
    from connectors import st66
    from connectors.xml import iter_elements

    xml = (
        f"<Transaction {NS}><TradeMarkTransactionBody><TransactionContentDetails><TransactionData><TradeMarkDetails>"
        + "".join(mark(str(i), "<GoodsServicesDetails><GoodsServices/></GoodsServicesDetails>") for i in range(n))
        + "</TradeMarkDetails></TransactionData></TransactionContentDetails></TradeMarkTransactionBody></Transaction>"
    )
    largest = seen = 0
    for elem in iter_elements(io.BytesIO(xml.encode()), st66.RECORD_TAGS):
        largest = max(largest, sum(1 for _ in elem.getroottree().getroot().iter()))
        seen += 1
    assert seen == n
    return largest


def test_memory_stays_flat_over_many_records():
    """Finished records are freed as the parser goes: what the tree holds at any moment (the
    parser's read-ahead) is the same for 2,000 and 20,000 records."""
    small, large = _largest_tree(2000), _largest_tree(20000)
    assert large == small
    assert large < 2000
