"""WIPO's ST.96 V6_0 DesignApplication example, normalized; expected values read from the file.

tests/fixtures/st96-design/DesignApplication_Example.xml is byte-for-byte WIPO's example
instance (ST.96 Annex VII, via ShawnXiha/PatentStandardization @ d2ad60db, validates against
DesignApplication_V6_0.xsd; sha256 dc70f8a48a76537a…). Its office is WIPO's placeholder `XX`,
so the rules below are those a collection of office XX would have.
"""

from __future__ import annotations

import datetime as dt
import io

from connectors import st96_design as st96_design_connector
from tests.conftest import FIXTURES, clean_rows
from transforms import st96_design
from transforms.rules import CollectionRules
from transforms.st13 import ST13Rule

D = dt.date
EXAMPLE = FIXTURES / "st96-design" / "DesignApplication_Example.xml"
RULES = CollectionRules(collection="xxid", office="XX", st13=ST13Rule("XX", "70"))


def normalize(path, tmp_path) -> list[dict]:
    return clean_rows(path, st96_design.FORMAT, RULES, tmp_path)


def test_wipo_example_design(tmp_path):
    [r] = normalize(EXAMPLE, tmp_path)  # one dgn:Design in its dgn:DesignBag
    # com:ApplicationNumber/com:ApplicationNumberText 35503842, com:ApplicationDate 2017-08-29 (after the DesignBag)
    assert r["st13"] == "XX702017035503842"
    assert (r["application_number"], r["application_date"]) == ("35503842", D(2017, 8, 29))
    assert r["design_number"] == "D0123456"  # dgn:DesignIdentifier
    assert (r["registration_number"], r["registration_date"]) == ("123456", D(2017, 8, 29))
    assert r["expiry_date"] == D(2034, 1, 29)  # com:ExpiryDate
    # dgn:DesignCurrentStatusCategory Registered, dgn:DesignCurrentStatusDate 2019-01-29
    assert (r["status"], r["office_status"], r["status_date"]) == ("Registered", "Registered", D(2019, 1, 29))
    assert r["publication_date"] == D(2019, 1, 29)  # dgn:PublicationBag/dgn:Publication/com:PublicationDate
    # <dgn:DesignTitleText com:languageCode="en">Chair</dgn:DesignTitleText>
    assert (r["product_indication"], r["product_indication_language"]) == ("Chair", "en")
    # com:LocarnoClassificationBag: Edition 11, LocarnoClassificationText 06-01
    assert (r["locarno_classes"], r["locarno_edition"]) == (["06-01"], "11")
    assert r["applicants"] == [{"name": "HARPER Inc.", "country_code": None, "address": None}]  # com:EntityName
    assert r["representatives"] == [{"name": "Attorney Firm, LLP", "country_code": None, "address": None}]
    # dgn:DesignerBag: PersonStructuredName FirstName + LastName
    assert [d["name"] for d in r["designers"]] == ["Emma Francis", "Jeannette Altova", "Manuel Ho"]
    # dgn:Priority: PriorityCountryCode WO, ApplicationNumberText DM/096824, PriorityApplicationFilingDate 2017-03-31
    assert r["priorities"] == [{"country_code": "WO", "number": "DM/096824", "date": D(2017, 3, 31)}]
    assert r["representation_uris"] == [f"m001_00{n}.jpg" for n in range(1, 8)]  # dgn:View/com:FileName
    assert r["international_registration"] is None and r["designated_countries"] == []
    assert (r["office"], r["collection"], r["source_file"]) == ("XX", "xxid", "DesignApplication_Example.xml")
    assert r["source_sha256"].startswith("dc70f8a48a76537a")


def test_every_design_of_the_bag_gives_a_row(tmp_path):
    # the example with its dgn:Design repeated under a second identifier: two rows, one st13
    example = EXAMPLE.read_bytes()
    start, end = example.index(b"<dgn:Design>"), example.index(b"</dgn:Design>") + len(b"</dgn:Design>")
    second = example[start:end].replace(b"D0123456</dgn:DesignIdentifier>", b"D0123457</dgn:DesignIdentifier>")
    path = tmp_path / "two-designs.xml"
    path.write_bytes(example[:end] + second + example[end:])
    rows = normalize(path, tmp_path)
    assert [r["design_number"] for r in rows] == ["D0123456", "D0123457"]
    assert {r["st13"] for r in rows} == {"XX702017035503842"}
    assert all(r["product_indication"] == "Chair" for r in rows)


def test_application_inside_a_design_transaction_and_structured_locarno():
    # DesignTransaction/.../DesignApplicationBag/DesignApplication (DesignTransaction_V6_0.xsd);
    # com:LocarnoClassification with com:LocarnoClass + com:LocarnoSubclassBag/com:LocarnoSubclass
    xml = b"""<?xml version="1.0" encoding="UTF-8"?>
<dgn:DesignTransaction xmlns:dgn="http://www.wipo.int/standards/XMLSchema/ST96/Design" xmlns:com="http://www.wipo.int/standards/XMLSchema/ST96/Common">
 <dgn:DesignTransactionBody><dgn:TransactionContentBag><dgn:TransactionData><dgn:DesignApplicationBag>
  <dgn:DesignApplication>
   <com:RegistrationOfficeCode>CA</com:RegistrationOfficeCode>
   <com:ApplicationNumber><com:ApplicationNumberText>201234</com:ApplicationNumberText></com:ApplicationNumber>
   <dgn:DesignBag><dgn:Design>
     <dgn:DesignIdentifier>1</dgn:DesignIdentifier>
     <com:DesignClassificationBag><com:LocarnoClassificationBag>
       <com:LocarnoClassificationEdition>14</com:LocarnoClassificationEdition>
       <com:LocarnoClassification><com:LocarnoClass>14</com:LocarnoClass>
         <com:LocarnoSubclassBag><com:LocarnoSubclass>02</com:LocarnoSubclass></com:LocarnoSubclassBag>
         <com:LocarnoSubclassBag><com:LocarnoSubclass>14-03</com:LocarnoSubclass></com:LocarnoSubclassBag>
       </com:LocarnoClassification>
     </com:LocarnoClassificationBag></com:DesignClassificationBag>
   </dgn:Design></dgn:DesignBag>
   <com:ApplicationDate>2021-04-01</com:ApplicationDate>
  </dgn:DesignApplication>
 </dgn:DesignApplicationBag></dgn:TransactionData></dgn:TransactionContentBag></dgn:DesignTransactionBody>
</dgn:DesignTransaction>"""
    [record] = st96_design_connector.iter_office_records(io.BytesIO(xml))
    [row] = st96_design.to_canonical(record, CollectionRules("caid", "CA", ST13Rule("CA", "70")), D(2026, 1, 1))
    assert row["st13"] == "CA702021000201234"  # ApplicationNumberText 201234, ApplicationDate 2021-04-01
    assert row["locarno_classes"] == ["14-02", "14-03"]
    assert row["locarno_edition"] == "14"
    assert row["status"] == "Unknown"  # no status category given
