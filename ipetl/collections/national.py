"""Offices that deliver trademarks in a format of their own: Israel's TMBRAND XML, Korea's
KIPRIS Plus API responses, France's ST.66 records dated by their recordals (INPI), Australia's
TMEXTRACT, Germany's MARKDOC. The offices' status, feature and kind words are data here."""

from __future__ import annotations

from ipetl.collection import Collection, Source
from ipetl.collections.ipas import WIPO_GBD_FIXTURE
from transforms import dpma, il_tmbrand, inpi, ipaustralia, kipris

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
    # the English natures of the events (their codes) → event category
    event={
        "Accepted": "Examined",
        "Registered": "Registered",
        "Renewal of registration": "Registered",
        "Commencement of opposition procedure": "Opposed",
        "Cancellation due to non-payment of renewal fee": "Expired",
    },
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
    # a collective certification mark is both kinds (as ILPO's Collective/Certification mark)
    mark_kind={
        "Collective de certification": "Certificate,Collective",
        "Marque collective de certification": "Certificate,Collective",
    },
)

AUTM = Collection(
    id="autm",
    office="AU",
    office_name="IP Australia",
    kind="trademark",
    format=ipaustralia.FORMAT,
    source=Source(
        "local",
        "{mirror}/autm",
        "*.xml*",
        distribution="IP Australia publishes its register as open data in another format (IPGOD, CSV, on "
        "data.gov.au) and through its search API; the TMEXTRACT XML read here has no public endpoint known "
        "to us: deliveries are put in the mirror",
    ),
    description="Australian trademarks, delivered as IP Australia's TMEXTRACT XML "
    "(reference/formats/brands/autm.tree).",
    # BASSTA ("state: detail"), as WIPO's Global Brand Database maps IP Australia's words
    status={
        **dict.fromkeys(
            (
                "Published: Awaiting examination",
                "Published: Awaiting indexing",
                "Published: Under examination",
                "Published: Under examination - Hearing requested",
                "Published: Under examination - Deferred",
                "Published: Under examination - Court action",
                "Published: Deferred awaiting certification rules assessment",
                "Accepted: Awaiting advertisement",
                "Accepted: Opposed",
                "Accepted: In opposition period",
                "Accepted: Opposition period expired",
                "Accepted: Under examination",
            ),
            "Pending",
        ),
        **dict.fromkeys(
            (
                "Accepted: Awaiting publication",
                "Registered: Registered/Protected",
                "Protected: Registered/Protected",
                "Registered: Renewal due",
                "Protected: Renewal due",
            ),
            "Registered",
        ),
        **dict.fromkeys(
            (
                "Registered: Expired renewal possible",
                "Protected: Expired renewal possible",
                "Removed - Not Renewed: Renewal fee not paid",
                "Ceased - Not Renewed: Renewal fee not paid",
            ),
            "Expired",
        ),
        **dict.fromkeys(
            (
                "Published: Cancelled at the request of IB",
                "Linked: Linked/Merged before registration",
                "Linked: Linked/Merged after registration",
                "Merged: Linked/Merged before registration",
                "Merged: Linked/Merged after registration",
                "Lapsed: Notice of intention to defend not filed",
                "Lapsed: Registration fee not paid on time",
                "Lapsed: Not accepted",
                "Lapsed: In opposition period",
                "Lapsed: Under examination",
                "Removed: Non-use",
                "Removed: Registrar cessation",
                "Rejected: Examination requirements not met",
                "Withdrawn: Cancelled before protection",
                "Withdrawn: Applicant request",
                "Cancelled: Owner request",
                "Cancelled: Cancelled by a court",
                "Cancelled: Cancelled at the request of IB",
                "Cancelled: Cancelled for unknown reason",
                "Refused: Opposition successful",
                "Refused: IRDA notice of intention to defend not filed",
                "Refused: Pre 1995 refused",
                "Ceased: Non-use",
                "Ceased: Registrar cessation",
                "Not Protected: Not accepted",
                "Not Protected: Registration fee not paid on time",
                "Not Protected: Notice of intention to defend not filed",
            ),
            "Ended",
        ),
    },
    # the parts of MARKDET/TYPMARI (the transform makes words with a figurative part Combined)
    feature={
        "Device": "Figurative",
        "Shape": "Three dimensional",
        "Movement": "Motion",
        "Fancy": "Stylized characters",
        "Scent": "Olfactory",
        "Feel": "Touch",
    },
    mark_kind={"Trade": "Individual"},
)

DETM = Collection(
    id="detm",
    office="DE",
    office_name="German Patent and Trade Mark Office (DPMA)",
    kind="trademark",
    format=dpma.FORMAT,
    source=Source(
        "local",
        "{mirror}/detm",
        "*.xml*",
        distribution="DPMA supplies its register in bulk through its data delivery service (DPMAdatenabgabe, "
        "on subscription); no anonymous endpoint known to us: deliveries are put in the mirror",
    ),
    description="German trademarks, delivered as DPMA's MARKDOC XML (reference/formats/brands/detm.tree).",
    # the first STATUS... flag set (transforms/dpma.py), as WIPO's Global Brand Database reads them
    status={
        "STATUSCANCELLED": "Expired",
        "STATUSREFUSED": "Ended",
        "STATUSOPPOSABLE": "Registered",
        "STATUSINFORCE": "Registered",
        "STATUSOPPOSITIONPENDING": "Registered",
        "STATUSAPPLICATION": "Pending",
    },
    # the first MARKTYPE flag set; WORDIMAGE, a Wort-/Bildmarke, has words and a figurative part
    feature={
        "ACOUSTIC": "Sound",
        "COLOUR": "Colour",
        "IMAGE": "Figurative",
        "KABELKENNFADEN": "Tracer",
        "MOTION": "Motion",
        "MULTIMEDIA": "Multimedia",
        "OTHERMARK": "Other",
        "PATTERN": "Pattern",
        "POSITION": "Position",
        "SOUND": "Sound",
        "THREEDIM": "Three dimensional",
        "WORD": "Word",
        "WORDIMAGE": "Combined",
    },
    mark_kind={"individual": "Individual", "kollektiv": "Collective", "gewaehrleistung": "Certificate"},
)

COLLECTIONS = [ILTM, KRTM, FRTM, AUTM, DETM]
