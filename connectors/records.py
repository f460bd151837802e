"""The office records the connectors yield, one type per format family.

An office record keeps the office's own vocabulary (element names as the format spells them,
values as stripped text or None); transforms/ map it to the canonical record. Lists are always
present (empty when the delivery has none); a scalar key is present only when its element was
delivered, unless the type says otherwise. Each `*_KEYS` set is derived from its Literal type
so the set a connector reads by and the keys the type declares cannot drift apart.
"""

from __future__ import annotations

from typing import Literal, NotRequired, Required, TypedDict, TypeGuard, get_args

Fields = dict[str, str | None]  # leaf elements of one sub-record: {element name: text}
LanguageText = tuple[str | None, str]  # (language code, text)


class Party(TypedDict):
    """An applicant, representative or designer of ST.66, ST.86 or ST.96 (connectors.st66.parse_party,
    connectors.st96.parse_contact). `ref`: the key of a party delivered elsewhere in the file,
    until it is resolved (ST.66 ApplicantKey)."""

    name: str | None
    country: str | None
    address: str | None
    identifier: str | None
    ref: NotRequired[str | None]


# --- ST.66 trademarks (connectors.st66, and connectors.st96 for ST.96 trademarks) ---------------

St66Scalar = Literal[
    "RegistrationOfficeCode",
    "ApplicationNumber",
    "ApplicationDate",
    "RegistrationNumber",
    "RegistrationDate",
    "ExpiryDate",
    "TerminationDate",
    "ApplicationLanguageCode",
    "MarkCurrentStatusCode",
    "MarkCurrentStatusDate",
    "MarkFeature",
    "InternationalMarkIndicator",
    "TradeMarkURI",
    "OppositionPeriodStartDate",
]
ST66_SCALARS: frozenset[str] = frozenset(get_args(St66Scalar))


def is_st66_scalar(tag: str) -> TypeGuard[St66Scalar]:
    return tag in ST66_SCALARS


class TrademarkRecord(TypedDict, total=False):
    """One ST.66 TradeMark (or ST.96 Trademark, read into the same shape).

    `InternationalMarkIdentifier`: InternationalMarkKey/Identifier; `MarkFeatureCode`: a national
    feature code (USPTO's mark drawing code); `operationCode`: Insert / Update / Delete of
    differential deliveries. `goods_services`: (class, language, text); `priorities`,
    `publications`, `events`: ST.66 element names → text (an event's OfficeSpecificMarkEventCode
    and OfficeSpecificMarkEventDescription also hold what ST.96 NationalMarkEvent and USPTO's
    MarkEventExt say).
    """

    TransactionCode: Required[str | None]
    TransactionSubCode: Required[str | None]
    operationCode: Required[str | None]
    KindMark: Required[list[str]]
    verbal: Required[list[LanguageText]]
    goods_services: Required[list[tuple[str | None, str | None, str | None]]]
    vienna: Required[list[str]]
    applicants: Required[list[Party]]
    representatives: Required[list[Party]]
    priorities: Required[list[Fields]]
    publications: Required[list[Fields]]
    events: Required[list[Fields]]
    designated: Required[list[str]]
    MarkImageURI: Required[list[str]]
    MarkImageFilename: Required[list[str]]
    InternationalMarkIdentifier: str | None
    MarkFeatureCode: str | None
    MarkTransliteration: str | None
    RegistrationOfficeCode: str | None
    ApplicationNumber: str | None
    ApplicationDate: str | None
    RegistrationNumber: str | None
    RegistrationDate: str | None
    ExpiryDate: str | None
    TerminationDate: str | None
    ApplicationLanguageCode: str | None
    MarkCurrentStatusCode: str | None
    MarkCurrentStatusDate: str | None
    MarkFeature: str | None
    InternationalMarkIndicator: str | None
    TradeMarkURI: str | None
    OppositionPeriodStartDate: str | None


# --- ST.86 designs (connectors.st86) -------------------------------------------------------------

St86DesignScalar = Literal[
    "DesignIdentifier",
    "RegistrationNumber",
    "RegistrationDate",
    "ExpiryDate",
    "DesignCurrentStatusCode",
    "DesignCurrentStatusDate",
]
ST86_DESIGN_SCALARS: frozenset[str] = frozenset(get_args(St86DesignScalar))
St86ApplicationScalar = Literal["RegistrationOfficeCode", "DesignApplicationDate", "DesignApplicationLanguageCode"]
ST86_APPLICATION_SCALARS: frozenset[str] = frozenset(get_args(St86ApplicationScalar))


def is_st86_design_scalar(tag: str) -> TypeGuard[St86DesignScalar]:
    return tag in ST86_DESIGN_SCALARS


def is_st86_application_scalar(tag: str) -> TypeGuard[St86ApplicationScalar]:
    return tag in ST86_APPLICATION_SCALARS


class St86Design(TypedDict, total=False):
    """One ST.86 Design. `classifications`: (kind, edition, class); `titles`, `product_*`:
    (language, text)."""

    titles: Required[list[LanguageText]]
    product_indications: Required[list[LanguageText]]
    product_descriptions: Required[list[LanguageText]]
    classifications: Required[list[tuple[str | None, str | None, str | None]]]
    applicants: Required[list[Party]]
    designers: Required[list[Party]]
    representatives: Required[list[Party]]
    priorities: Required[list[Fields]]
    publications: Required[list[Fields]]
    events: Required[list[Fields]]
    representation_sheets: Required[list[str]]
    DesignIdentifier: str | None
    RegistrationNumber: str | None
    RegistrationDate: str | None
    ExpiryDate: str | None
    DesignCurrentStatusCode: str | None
    DesignCurrentStatusDate: str | None


class St86Application(TypedDict, total=False):
    """One ST.86 DesignApplication with its designs. `ApplicationNumber`: DesignApplicationNumber."""

    applicants: Required[list[Party]]
    designated_countries: Required[list[str | None]]
    designs: Required[list[St86Design]]
    ApplicationNumber: str | None
    RegistrationOfficeCode: str | None
    DesignApplicationDate: str | None
    DesignApplicationLanguageCode: str | None


# --- ST.96 designs (connectors.st96_design) ------------------------------------------------------

St96DesignScalar = Literal[
    "DesignIdentifier",
    "RegistrationNumber",
    "RegistrationDate",
    "ExpiryDate",
    "DesignCurrentStatusCategory",
    "DesignCurrentStatusDate",
]
ST96_DESIGN_SCALARS: frozenset[str] = frozenset(get_args(St96DesignScalar))
St96ApplicationScalar = Literal[
    "RegistrationOfficeCode",
    "ApplicationDate",
    "DesignApplicationLanguageCode",
    "InternationalRegistrationNumber",
    "DesignApplicationCurrentStatusCategory",
    "DesignApplicationCurrentStatusDate",
]
ST96_APPLICATION_SCALARS: frozenset[str] = frozenset(get_args(St96ApplicationScalar))


def is_st96_design_scalar(tag: str) -> TypeGuard[St96DesignScalar]:
    return tag in ST96_DESIGN_SCALARS


def is_st96_application_scalar(tag: str) -> TypeGuard[St96ApplicationScalar]:
    return tag in ST96_APPLICATION_SCALARS


class St96Design(TypedDict, total=False):
    """One ST.96 Design. `locarno`: class texts as written (`14-02`); `priorities`:
    PriorityCountryCode, ApplicationNumber, PriorityApplicationFilingDate; `events` (DesignEventBag,
    and the application's DesignApplicationEventBag): EventCategory, CommentText, EventDate."""

    titles: Required[list[LanguageText]]
    locarno: Required[list[str]]
    locarno_edition: Required[str | None]
    applicants: Required[list[Party]]
    designers: Required[list[Party]]
    representatives: Required[list[Party]]
    priorities: Required[list[Fields]]
    publication_dates: Required[list[str | None]]
    representation_files: Required[list[str | None]]
    events: Required[list[Fields]]
    DesignIdentifier: str | None
    RegistrationNumber: str | None
    RegistrationDate: str | None
    ExpiryDate: str | None
    DesignCurrentStatusCategory: str | None
    DesignCurrentStatusDate: str | None


class St96DesignApplication(TypedDict, total=False):
    """One ST.96 DesignApplication with its designs."""

    applicants: Required[list[Party]]
    representatives: Required[list[Party]]
    designated_countries: Required[list[str | None]]
    designs: Required[list[St96Design]]
    events: Required[list[Fields]]
    ApplicationNumber: str | None
    RegistrationOfficeCode: str | None
    ApplicationDate: str | None
    DesignApplicationLanguageCode: str | None
    InternationalRegistrationNumber: str | None
    DesignApplicationCurrentStatusCategory: str | None
    DesignApplicationCurrentStatusDate: str | None


class InpiRecord(TrademarkRecord, total=False):
    """An INPI TradeMark (connectors.inpi): the ST.66 record and its recordals in order, each
    {BasicRecordKind, PublicationDate, PublicationIdentifier} of a MarkRecord/BasicRecord."""

    recordals: Required[list[Fields]]


# --- flat coded groups (connectors.groups): IP Australia's TMEXTRACT, DPMA's MARKDOC ----------------

Group = dict[str, list[str | None]]  # one occurrence of a group: leaf name → its texts in order
Groups = dict[str, list[Group]]  # group path (BASGR, INTREGG/CORADD ...) → each occurrence


class MarkdocRecord(TypedDict):
    """DPMA's MARKDOC (connectors.dpma): the CURRENT state's groups, and its priorities
    (PRIOGR/PRIO) each with every leaf of its sub-groups (PRIOUNION's PRIOCC, PRIONR ...)."""

    current: Groups
    priorities: list[Fields]


# --- WIPO Hague Express (connectors.hague_express) ------------------------------------------------


class HagueDesign(TypedDict):
    """One HagueDesign. `products`: ProductDescriptionText (language, text); `locarno`: class
    texts (`06-01`); `priorities`: PriorityCountryCode, ApplicationNumber,
    PriorityApplicationFilingDate; `views`: (ViewIdentifier, FileName)."""

    DesignIdentifier: str | None
    products: list[LanguageText]
    locarno: list[str]
    locarno_edition: str | None
    designers: list[Party]
    priorities: list[Fields]
    views: list[tuple[str | None, str]]


class HagueRegistration(TypedDict):
    """One HagueRegistration (the current state, a recorded registration or a correction's
    content). `values`: its leaf elements (InternationalRegistrationNumber,
    InternationalRegistrationDate, InternationalFilingDate, ExpiryDate, FilingLanguageCode,
    ApplicationNumber as its text); `designated`: DesignatedCountryCode in order."""

    values: Fields
    designated: list[str | None]
    holders: list[Party]
    representatives: list[Party]
    designs: list[HagueDesign]


class HagueRecording(TypedDict):
    """One recording of the history: `kind`, the HagueHistory child's name (HagueRegistration,
    HagueRenewal, HagueRefusal, HagueGrantProtection, HagueExpiration,
    HagueHolderNameAddressChange, HagueCorrection, ...); `values`: its leaf elements
    (InternationalRecordingDate, DecisionDate, DecisionEffectiveDate, RecordNotifyingOfficeCode,
    RenewalDate, ExpiryDate) and the HagueHistory's PublicationDate; `designs`: the
    DesignIdentifiers of its AffectedDesign (None: all designs); `countries`: its
    DesignatedCountryBag (None: not given); `holders`: the new holders of a holder change;
    `registration`: the registration it records (or a correction's corrected content)."""

    kind: str
    values: Fields
    designs: list[str | None] | None
    countries: list[str | None] | None
    holders: list[Party]
    registration: HagueRegistration | None


class HagueExpressRecord(TypedDict):
    """One HagueExpressTransaction: an international registration's current state (None when
    the transaction gives none) and its recordings in document order."""

    current: HagueRegistration | None
    history: list[HagueRecording]


# --- USPTO trademarks, TDXF (connectors.uspto_tdxf) ------------------------------------------------

TdxfScalar = Literal["serial-number", "registration-number", "transaction-date"]
TDXF_SCALARS: frozenset[str] = frozenset(get_args(TdxfScalar))


def is_tdxf_scalar(tag: str) -> TypeGuard[TdxfScalar]:
    return tag in TDXF_SCALARS


# `international-code`: the class codes (repeatable); `primary-code`: the primary class
TdxfClassification = TypedDict("TdxfClassification", {"international-code": list[str], "primary-code": str | None})
# a case-file-owner's fields by USPTO element name; `nationality` as {state|country|other: code}
TdxfOwner = dict[str, "str | None | Fields"]
TdxfRecord = TypedDict(
    "TdxfRecord",
    {
        "serial-number": str | None,
        "registration-number": str | None,
        "transaction-date": str | None,
        "header": Fields,  # the case-file-header fields of connectors.uspto_tdxf.HEADER_FIELDS
        "statements": list[tuple[str | None, str | None]],  # (type-code, text)
        "classifications": list[TdxfClassification],
        "owners": list[TdxfOwner],
        "correspondent": list[str],  # address lines
        "design-codes": list[str],
        "foreign-applications": list[Fields],
        "prior-registrations": list[Fields],
        "international-registration": Fields | None,
        "madrid-filings": list[Fields],
        "events": list[Fields],  # case-file-event-statement: code, type, description-text, date, number
    },
)


# --- USPTO design grants (connectors.uspto_design) -----------------------------------------------


class GrantParty(TypedDict):
    name: str | None
    country: str | None
    address: str | None


class GrantPriority(TypedDict):
    country: str | None
    number: str | None
    date: str | None


class DesignGrant(TypedDict):
    """One design patent grant, red book or ST.32; `kind` is the publication kind (S1, S)."""

    kind: str | None
    RegistrationNumber: str | None
    GrantDate: str | None
    ApplicationNumber: str | None
    ApplicationDate: str | None
    TermYears: str | None
    LocarnoClasses: list[str | None]
    LocarnoEdition: str | None
    Title: str | None
    TitleLanguage: str | None
    applicants: list[GrantParty]
    inventors: list[GrantParty]
    agents: list[GrantParty]
    assignees: list[GrantParty]
    priorities: list[GrantPriority]
    InternationalRegistrationNumber: str | None
    drawings: NotRequired[list[str]]  # file names of the drawings, added once the document is read


# --- Israel TMBRAND (connectors.il_tmbrand) --------------------------------------------------------

Texts = dict[str | None, str]  # {language: text} of an element the office writes once per language

TmbrandDetail = Literal[
    "BRANDTYPE",
    "EXPIRATIONDATE",
    "FILINGDATE",
    "INTERNATIONALNUMBER",
    "Internationality",
    "MarkTranscription",
    "OFFICENUMBER",
    "REGISTRATIONDATE",
    "ReasonForClosure",
    "STATUS",
]
TMBRAND_DETAILS: frozenset[str] = frozenset(get_args(TmbrandDetail))


def is_tmbrand_detail(tag: str) -> TypeGuard[TmbrandDetail]:
    return tag in TMBRAND_DETAILS


class TmbrandParty(TypedDict):
    names: Texts
    addresses: Texts


class TmbrandClass(TypedDict):
    TYPE: str | None
    LIST: Texts


class TmbrandPriority(TypedDict):
    COUNTRY: Texts
    NUMBER: str | None
    DATE: str | None


class TmbrandEvent(TypedDict):
    EventDate: str | None
    NatureOfEvent: Texts
    PublicationDate: str | None


class TmbrandRecord(TypedDict, total=False):
    """One TMBRAND: the DETAILS scalars under their own tags (dates YYYYMMDD), `BRAND` (the
    mark's name per language), each group as a list, `IMAGEFILE` (a path on ILPO's server).
    `ApplicationNumber`: OFFICENUMBER again, under the name the other trademark records use."""

    BRAND: Required[Texts]
    applicants: Required[list[TmbrandParty]]
    representatives: Required[list[TmbrandParty]]
    classes: Required[list[TmbrandClass]]
    vienna: Required[list[str | None]]
    priorities: Required[list[TmbrandPriority]]
    events: Required[list[TmbrandEvent]]
    ApplicationNumber: Required[str | None]
    IMAGEFILE: str | None
    BRANDTYPE: str | None
    EXPIRATIONDATE: str | None
    FILINGDATE: str | None
    INTERNATIONALNUMBER: str | None
    Internationality: str | None
    MarkTranscription: str | None
    OFFICENUMBER: str | None
    REGISTRATIONDATE: str | None
    ReasonForClosure: str | None
    STATUS: str | None


# --- KIPRIS Plus (connectors.kipris) -------------------------------------------------------------

KiprisField = Literal[
    "AgentName",
    "AppReferenceNumber",
    "ApplicantName",
    "ApplicationDate",
    "ApplicationNumber",
    "ApplicationStatus",
    "FulltextExistFlag",
    "GoodClassificationCode",
    "ImagePath",
    "PriorityClaimDate",
    "PriorityClaimNumber",
    "PublicDate",
    "PublicNumber",
    "RegReferenceNumber",
    "RegistrationDate",
    "RegistrationNumber",
    "RegistrationPublicDate",
    "RegistrationPublicNumber",
    "RegistrationRightholderName",
    "SerialNumber",
    "ThumbnailPath",
    "Title",
    "ViennaCode",
]
KIPRIS_FIELDS: frozenset[str] = frozenset(get_args(KiprisField))


def is_kipris_field(tag: str) -> TypeGuard[KiprisField]:
    return tag in KIPRIS_FIELDS


class KiprisMark(TypedDict, total=False):
    """The fields of one TradeMarkInfo item of applicationNumberSearchInfo (dates YYYYMMDD)."""

    AgentName: str | None
    AppReferenceNumber: str | None
    ApplicantName: str | None
    ApplicationDate: str | None
    ApplicationNumber: str | None
    ApplicationStatus: str | None
    FulltextExistFlag: str | None
    GoodClassificationCode: str | None
    ImagePath: str | None
    PriorityClaimDate: str | None
    PriorityClaimNumber: str | None
    PublicDate: str | None
    PublicNumber: str | None
    RegReferenceNumber: str | None
    RegistrationDate: str | None
    RegistrationNumber: str | None
    RegistrationPublicDate: str | None
    RegistrationPublicNumber: str | None
    RegistrationRightholderName: str | None
    SerialNumber: str | None
    ThumbnailPath: str | None
    Title: str | None
    ViennaCode: str | None


class KiprisRecord(KiprisMark, total=False):
    """A mark with its designated goods rows (trademarkDesignationGoodstInfo fields by name)."""

    goods: Required[list[Fields]]
