"""Offices that deliver trademarks in a format of their own: Israel's TMBRAND XML, Korea's
KIPRIS Plus API responses, France's ST.66 records dated by their recordals (INPI). The offices'
status and kind words are data here."""

from __future__ import annotations

from ipetl.collection import Collection, Source
from ipetl.collections.ipas import WIPO_GBD_FIXTURE
from transforms import il_tmbrand, inpi, kipris

ILTM = Collection(
    id="iltm",
    office="IL",
    office_name="Israel",
    kind="trademark",
    format=il_tmbrand.FORMAT,
    source=Source(
        "local",
        "{mirror}/iltm",
        "*.xml*",
        distribution="ILPO publishes no bulk download we could point at (its register is searched on the "
        "office's site); deliveries are put in the mirror by hand",
    ),
    schedule="@weekly",
    licence="Public register data of the Israel Patent Office; reuse under the office's terms of use. "
    + WIPO_GBD_FIXTURE,
    description="Israel trademarks, delivered as ILPO's own TMBRAND XML (one file per mark, Hebrew and English).",
    # STATUS words, then the English natures of the events that change the status (the
    # transform dates the current status by the latest such event).
    status={
        "deleted": "Expired",  # removed from the register; the transform makes it Ended if it never was registered
        "Accepted": "Pending",
        "Commencement of opposition procedure": "Pending",
        "Renewal of registration": "Registered",
        "Cancellation due to non-payment of renewal fee": "Expired",
    },
    mark_kind={"Trademark/Service mark": "Individual"},
    # ILPO keeps the application number as the registration number.
    registration_number_is_application_number=True,
)

KRTM = Collection(
    id="krtm",
    office="KR",
    office_name="Republic of Korea",
    kind="trademark",
    format=kipris.FORMAT,
    # One delivery (.zip) per pull: the trademarkInfoSearchService/applicationNumberSearchInfo
    # response and the trademarkDesignationGoodstInfo response(s) of the same applications.
    source=Source(
        "local",
        "{mirror}/krtm",
        "*.zip",
        distribution="KIPO serves its register through the KIPRIS Plus REST API (plus.kipris.or.kr, an "
        "access key; large volumes are paid), not as bulk files: pulls are made outside ipetl and put in "
        "the mirror, one zip per pull",
    ),
    # pull archives are named after application numbers, whose digits can look like dates:
    # order pulls by when they were made (the file's time) instead
    delivery_pattern=r"(?!)",
    schedule="@weekly",
    licence=(
        "KIPO register data served by KIPRIS Plus (KIPI); the API needs an access key and its use is "
        "subject to KIPRIS Plus terms (large volumes are paid). Sample: two real API responses kept as "
        "test data in jiwoniy/otmk-kipris-collector (Apache-2.0 repository)."
    ),
    description="Korean trademarks from the KIPRIS Plus REST API: the mark record joined with its designated goods.",
    status={
        "출원": "Pending",  # filed
        "공고": "Pending",  # published for opposition
        "등록": "Registered",
        "거절": "Ended",  # refused
        "취하": "Ended",  # withdrawn
        "포기": "Ended",  # abandoned
        "무효": "Ended",  # invalidated
        "실효": "Ended",  # lapsed (e.g. with the international registration it depended on)
        "소멸": "Expired",  # extinguished; the transform makes it Ended if it never was registered
    },
    # the right code that begins a KIPO application number
    mark_kind={"40": "Individual", "41": "Individual", "45": "Individual"},  # trademark, service mark, both
)

FRTM = Collection(
    id="frtm",
    office="FR",
    office_name="France (INPI)",
    kind="trademark",
    format=inpi.FORMAT,
    source=Source(
        "local",
        "{mirror}/frtm",
        "*.xml*",
        distribution="INPI distributes its register as open data (ST.66 XML) to registered users of its "
        "data service; no anonymous endpoint known to us: deliveries are put in the mirror",
    ),
    description="French trademarks, delivered as INPI's bare ST.66 TradeMark records (operationCode "
    "Insert/Update), registered and dated by their recordals (reference/formats/brands/frtm.tree).",
    # MarkCurrentStatusCode, as WIPO's Global Brand Database maps INPI's words
    status={
        "Demande déposée": "Pending",
        "Demande publiée": "Pending",
        "Demande non publiée": "Pending",
        "Marque enregistrée": "Registered",
        "Marque renouvelée": "Registered",
        "Renouvellement demandé": "Registered",
        "Marque expirée": "Expired",
        "Marque ayant fait l'objet d'une renonciation totale": "Expired",
        "Marque annulée": "Ended",
        "Marque déchue": "Ended",
        "Demande totalement rejetée": "Ended",
        "Demande irrecevable après publication": "Ended",
        "Marque ayant fait l'objet d'un retrait total": "Ended",
    },
    feature={"3-D": "Three dimensional", "Form": "Three dimensional"},
    # a collective certification mark is both; the contract's kind list holds it as Certificate
    mark_kind={"Collective de certification": "Certificate", "Marque collective de certification": "Certificate"},
)

COLLECTIONS = [ILTM, KRTM, FRTM]
