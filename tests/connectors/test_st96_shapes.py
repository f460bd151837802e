"""The ST.96 shapes the one trademark connector reads (connectors/st96.py), beyond the real
samples: element names from the ST.96 V6_0 schemas (reference/schemas/ST96_V6_0_Flattened,
Trademark_V6_0.xsd and Common_V6_0.xsd) and the CIPO tree (reference/formats/brands/catm.tree)."""

from __future__ import annotations

import io

from connectors import st96
from connectors.records import TrademarkRecord
from connectors.xml import iter_elements

TMK = "http://www.wipo.int/standards/XMLSchema/ST96/Trademark"
COM = "http://www.wipo.int/standards/XMLSchema/ST96/Common"


def records(xml: str) -> list[TrademarkRecord]:
    return list(st96.iter_office_records(io.BytesIO(xml.encode())))


def document(trademarks: str, tmk: str = "tmk", com: str = "com") -> str:
    return (
        f'<{tmk}:TrademarkApplication xmlns:{tmk}="{TMK}" xmlns:{com}="{COM}" {com}:st96Version="V6_0">'
        f"<{tmk}:TrademarkBag>{trademarks}</{tmk}:TrademarkBag></{tmk}:TrademarkApplication>"
    )


def trademark(number: str, body: str = "", tmk: str = "tmk", com: str = "com") -> str:
    return (
        f"<{tmk}:Trademark><{com}:RegistrationOfficeCode>CA</{com}:RegistrationOfficeCode>"
        f"<{com}:ApplicationNumber><{com}:ApplicationNumberText>{number}</{com}:ApplicationNumberText></{com}:ApplicationNumber>"
        f"{body}</{tmk}:Trademark>"
    )


def test_prefixes_and_namespaces_do_not_matter():
    body = "<tmk:MarkCurrentStatusCode>Registered</tmk:MarkCurrentStatusCode>"
    usual = records(document(trademark("1", body)))
    renamed = records(document(trademark("1", body.replace("tmk:", "ns2:"), "ns2", "ns1"), "ns2", "ns1"))
    bare = records(
        f"<TrademarkApplication><TrademarkBag>{trademark('1', body).replace('tmk:', '').replace('com:', '')}</TrademarkBag></TrademarkApplication>"
    )
    assert usual == renamed == bare
    assert (usual[0]["ApplicationNumber"], usual[0]["MarkCurrentStatusCode"]) == ("1", "Registered")


def test_v6_elements_fill_the_st66_record():
    body = """<com:ExpiryDate>2031-02-03</com:ExpiryDate><tmk:TerminationDate>2022-01-01</tmk:TerminationDate>
      <tmk:DesignatedCountryBag><tmk:DesignatedCountry><com:DesignatedCountryCode>JP</com:DesignatedCountryCode>
      <tmk:MadridSystemCategory>Protocol</tmk:MadridSystemCategory></tmk:DesignatedCountry></tmk:DesignatedCountryBag>
      <tmk:InternationalMarkIdentifierBag><tmk:InternationalMarkIdentifier>1234567</tmk:InternationalMarkIdentifier></tmk:InternationalMarkIdentifierBag>
      <tmk:MarkCategory>Collective</tmk:MarkCategory>
      <tmk:MarkRepresentation><tmk:MarkFeatureCategory>Three dimensional</tmk:MarkFeatureCategory>
      <tmk:MarkReproduction><tmk:WordMarkSpecification><tmk:MarkVerbalElementText com:languageCode="fr">BLEU</tmk:MarkVerbalElementText></tmk:WordMarkSpecification>
      <tmk:MarkImageBag><tmk:MarkImage><com:FileName>1.png</com:FileName><tmk:MarkImageClassification><com:FigurativeElementClassificationBag>
      <com:ViennaClassificationBag><com:ViennaClassification><com:ViennaCategory>26</com:ViennaCategory><com:ViennaDivision>04</com:ViennaDivision>
      <com:ViennaSection>01</com:ViennaSection></com:ViennaClassification></com:ViennaClassificationBag></com:FigurativeElementClassificationBag>
      </tmk:MarkImageClassification></tmk:MarkImage></tmk:MarkImageBag></tmk:MarkReproduction></tmk:MarkRepresentation>
      <tmk:PriorityBag><tmk:Priority><com:PriorityCountryCode>FR</com:PriorityCountryCode><com:ApplicationNumber>
      <com:ApplicationNumberText>4567</com:ApplicationNumberText></com:ApplicationNumber>
      <com:PriorityApplicationFilingDate>2020-08-01</com:PriorityApplicationFilingDate></tmk:Priority></tmk:PriorityBag>"""
    [r] = records(document(trademark("2", body)))
    assert (r["ExpiryDate"], r["TerminationDate"]) == ("2031-02-03", "2022-01-01")
    assert r["designated"] == ["JP"]
    assert r["InternationalMarkIdentifier"] == "1234567"
    assert (r["KindMark"], r["MarkFeature"]) == (["Collective"], "Three dimensional")
    assert r["verbal"] == [("fr", "BLEU")]  # com:languageCode, a qualified attribute
    assert (r["vienna"], r["MarkImageFilename"]) == (["26.04.01"], ["1.png"])
    assert r["priorities"] == [{"PriorityCountryCode": "FR", "PriorityNumber": "4567", "PriorityDate": "2020-08-01"}]


def test_only_nice_classes_are_classes():
    body = """<tmk:GoodsServicesBag><tmk:GoodsServices><tmk:GoodsServicesClassificationBag>
      <tmk:GoodsServicesClassification><tmk:ClassificationKindCode>Domestic</tmk:ClassificationKindCode><tmk:NationalClassNumber>021</tmk:NationalClassNumber></tmk:GoodsServicesClassification>
      <tmk:GoodsServicesClassification><tmk:ClassificationKindCode>Primary</tmk:ClassificationKindCode><tmk:ClassNumber>200</tmk:ClassNumber></tmk:GoodsServicesClassification>
      <tmk:GoodsServicesClassification><tmk:ClassificationKindCode>Nice</tmk:ClassificationKindCode><tmk:ClassNumber>035</tmk:ClassNumber></tmk:GoodsServicesClassification>
      </tmk:GoodsServicesClassificationBag><tmk:ClassDescriptionBag><tmk:ClassDescription><tmk:ClassNumber>09</tmk:ClassNumber>
      <tmk:GoodsServicesDescriptionText com:languageCode="en">Software</tmk:GoodsServicesDescriptionText>
      <tmk:GoodsServicesDescriptionText com:languageCode="fr">Logiciels</tmk:GoodsServicesDescriptionText></tmk:ClassDescription>
      <tmk:ClassDescription><tmk:NationalStatusBag/></tmk:ClassDescription></tmk:ClassDescriptionBag></tmk:GoodsServices></tmk:GoodsServicesBag>"""
    [r] = records(document(trademark("3", body)))
    assert r["goods_services"] == [("035", None, None), ("09", "en", "Software"), ("09", "fr", "Logiciels")]


def test_first_contact_of_a_bilingual_party_and_its_country():
    # catm.tree: Applicant/Contact[@languageCode=en], Contact[@languageCode=fr]; PostalStructuredAddress
    party = """<tmk:ApplicantBag><tmk:Applicant><com:Contact com:languageCode="en"><com:Name><com:EntityName>Maple Foods Inc.</com:EntityName></com:Name>
      <com:PostalAddressBag><com:PostalAddress><com:PostalStructuredAddress><com:AddressLineText>1 King St</com:AddressLineText>
      <com:CityName>Toronto</com:CityName><com:GeographicRegionName>ON</com:GeographicRegionName><com:CountryCode>CA</com:CountryCode>
      <com:PostalCode>M5H 1A1</com:PostalCode></com:PostalStructuredAddress></com:PostalAddress></com:PostalAddressBag></com:Contact>
      <com:Contact com:languageCode="fr"><com:Name><com:EntityName>Aliments Érable Inc.</com:EntityName></com:Name></com:Contact></tmk:Applicant>
      <tmk:Applicant><com:Contact><com:Name><com:PersonName><com:PersonStructuredName><com:FirstName>Anne</com:FirstName>
      <com:LastName>Roy</com:LastName></com:PersonStructuredName></com:PersonName></com:Name></com:Contact>
      <com:NationalityCode>FR</com:NationalityCode></tmk:Applicant></tmk:ApplicantBag>
      <com:RepresentativeBag><com:Representative><com:Contact><com:Name><com:OrganizationName>
      <com:OrganizationStandardName>Smart &amp; Biggar</com:OrganizationStandardName></com:OrganizationName></com:Name></com:Contact>
      </com:Representative></com:RepresentativeBag>"""
    [r] = records(document(trademark("4", party)))
    assert [(a["name"], a["country"], a["address"]) for a in r["applicants"]] == [
        ("Maple Foods Inc.", "CA", "1 King St, Toronto, ON, M5H 1A1"),
        ("Anne Roy", "FR", None),
    ]
    assert [p["name"] for p in r["representatives"]] == ["Smart & Biggar"]


def test_transaction_category_reaches_the_marks_and_every_mark_is_a_record():
    xml = f"""<tmk:TrademarkTransaction xmlns:tmk="{TMK}" xmlns:com="{COM}"><tmk:TrademarkTransactionBody>
      <tmk:TransactionContentBag><com:TransactionCategory>Trademark information</com:TransactionCategory>
      <tmk:TransactionData><tmk:TrademarkBag>{trademark("5")}{trademark("6")}</tmk:TrademarkBag></tmk:TransactionData>
      </tmk:TransactionContentBag></tmk:TrademarkTransactionBody></tmk:TrademarkTransaction>"""
    assert [(r["ApplicationNumber"], r["TransactionCode"]) for r in records(xml)] == [
        ("5", "Trademark information"),
        ("6", "Trademark information"),
    ]


def _largest_tree(n: int) -> int:
    xml = document("".join(trademark(str(i), "<tmk:MarkCategory>Individual</tmk:MarkCategory>") for i in range(n)))
    largest = seen = 0
    for elem in iter_elements(io.BytesIO(xml.encode()), st96.RECORD_TAGS):
        largest = max(largest, sum(1 for _ in elem.getroottree().getroot().iter()))
        seen += 1
    assert seen == n
    return largest


def test_memory_stays_flat_over_many_records():
    """Finished Trademark elements are freed as the parser goes: the tree the parser holds is the
    same for 2,000 and 20,000 records."""
    small, large = _largest_tree(2000), _largest_tree(20000)
    assert large == small
    assert large < 2000


def test_deletions_of_a_differential_delivery():
    # Trademark/@com:operationCategory and Applicant/@com:operationCategory (OperationCategoryType)
    removed = """<tmk:ApplicantBag><tmk:Applicant com:operationCategory="Delete"><com:Contact><com:Name>
      <com:EntityName>Old Holder</com:EntityName></com:Name></com:Contact></tmk:Applicant>
      <tmk:Applicant com:operationCategory="Insert"><com:Contact><com:Name><com:EntityName>New Holder</com:EntityName>
      </com:Name></com:Contact></tmk:Applicant></tmk:ApplicantBag>"""
    xml = document(
        trademark("7", removed)
        + trademark("8").replace("<tmk:Trademark>", '<tmk:Trademark com:operationCategory="Delete">')
    )
    updated, deleted = records(xml)
    assert [a["name"] for a in updated["applicants"]] == ["New Holder"]
    assert (deleted["ApplicationNumber"], deleted["operationCode"]) == ("8", "Delete")
