"""The records of KP certification: HS codes, parcels, parties, certificates, shipments.

Each record validates its own fields on construction, so an invalid object cannot exist.
A record that breaks a KPCS rule (a missing expiry date, a wrong parcel count) can exist:
`kpmodel.check` reports it. Fields that stand for an Annex I element a real certificate may
lack are therefore optional (``None`` means "missing on the document").
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from kpmodel._boundary import _iso_codes as _boundary_iso_codes
from kpmodel._boundary import country_code, finite_decimal, guarded, participant_code, show
from kpmodel._boundary import is_country_code as _boundary_is_country_code
from kpmodel.errors import InvalidRecordError, UnknownCodeError

__all__ = [
    "KP_STATEMENT",
    "MIXED",
    "Certificate",
    "DeclaredOrigin",
    "HSCode",
    "ImportConfirmation",
    "Parcel",
    "Party",
    "Shipment",
]

MIXED = "MIXED"
"""The origin written on a parcel of mixed origin (the US practice writes asterisks)."""

KP_STATEMENT = (
    "The rough diamonds in this shipment have been handled in accordance with the provisions "
    "of the Kimberley Process Certification Scheme for rough diamonds"
)
"""The statement every certificate carries (Annex I, A, as 31 CFR 592.307 reproduces it)."""

# The European Union is one KP participant for its member states; it has no ISO 3166 code.
_PARTICIPANT_ONLY_CODES = frozenset({"EU"})


class HSCode(enum.StrEnum):
    """A Harmonized System subheading of rough diamonds in KPCS scope.

    Only three codes are in scope (source keys [USC-3902-9; CBSA-D10-17-41]): 7102.10
    (unsorted), 7102.21 (industrial, unworked or simply sawn, cleaved or bruted) and 7102.31
    (non-industrial, unworked or simply sawn, cleaved or bruted). Any other code, such as
    7102.29 or 7102.39, raises `kpmodel.errors.UnknownCodeError` naming the three.
    The six-digit form without the dot is accepted too.

    Examples
    --------
    >>> kp.certificates.HSCode("7102.31")
    <HSCode.NON_INDUSTRIAL: '7102.31'>
    >>> kp.certificates.HSCode("710210") is kp.certificates.HSCode.UNSORTED
    True
    >>> kp.certificates.HSCode("7102.39")
    Traceback (most recent call last):
    ...
    kpmodel.errors.UnknownCodeError: HS code '7102.39' is not a rough-diamond code in KPCS ...
    """

    UNSORTED = "7102.10"
    INDUSTRIAL = "7102.21"
    NON_INDUSTRIAL = "7102.31"

    @classmethod
    def _missing_(cls, value: object) -> HSCode:
        if isinstance(value, str):
            compact = value.strip().replace(".", "")
            for member in cls:
                if member.value.replace(".", "") == compact:
                    return member
        raise UnknownCodeError(_hs_code_message(value))


def _hs_code_message(value: object) -> str:
    return (
        f"HS code {show(value)} is not a rough-diamond code in KPCS scope; "
        "use one of '7102.10' (unsorted), '7102.21' (industrial) or '7102.31' (non-industrial)"
    )


def _iso_codes() -> frozenset[str]:
    return frozenset(code for code in _boundary_iso_codes())


def is_country_code(code: object) -> bool:
    """Tell whether `code` is an ISO 3166-1 alpha-2 code."""
    return _boundary_is_country_code(code)


def _check_country(value: object, path: str, *, participant: bool = False) -> None:
    if participant:
        participant_code(value, path=path)
    else:
        country_code(value, path=path)


def _country(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _check_country(value, attribute.name)


def _participant_country(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _check_country(value, attribute.name, participant=True)


def _text(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        msg = f"must be a non-empty string, got {show(value)}"
        raise InvalidRecordError(msg, path=attribute.name)


def _optional_text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _text(instance, attribute, value)


def _flag(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        msg = f"must be true or false, got {show(value)}"
        raise InvalidRecordError(msg, path=attribute.name)


def _count(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        msg = f"must be a whole number of at least 0, got {show(value)}"
        raise InvalidRecordError(msg, path=attribute.name)


def _day(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    # datetime is a subclass of date; a certificate carries days, not instants.
    if type(value) is not date:
        msg = f"must be a date (datetime.date), got {show(value)}"
        raise InvalidRecordError(msg, path=attribute.name)


def _optional_day(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _day(instance, attribute, value)


def _to_decimal(value: object, path: str) -> Decimal:
    # The lower bounds (> 0, >= 0) are the fields' validators; the upper one keeps sums finite.
    return finite_decimal(value, path=path)


def _carats(value: object) -> Decimal:
    return _to_decimal(value, "carats")


def _value_usd(value: object) -> Decimal:
    return _to_decimal(value, "value_usd")


def _hs_code(value: object) -> HSCode:
    if isinstance(value, HSCode):
        return value
    if not isinstance(value, str):
        raise InvalidRecordError(_hs_code_message(value), path="hs_code")
    try:
        return HSCode(value)
    except UnknownCodeError as error:
        raise InvalidRecordError(str(error), path="hs_code") from None


def _positive(_: object, attribute: attrs.Attribute[Any], value: Decimal) -> None:
    if not value > 0:
        msg = f"must be greater than 0, got {str(value)!r}"
        raise InvalidRecordError(msg, path=attribute.name)


def _not_negative(_: object, attribute: attrs.Attribute[Any], value: Decimal) -> None:
    if value < 0:
        msg = f"must be 0 or more, got {str(value)!r}"
        raise InvalidRecordError(msg, path=attribute.name)


def _origin(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None or is_country_code(value) or (isinstance(value, str) and value == MIXED):
        return
    msg = (
        "must be an ISO 3166-1 alpha-2 country code or 'MIXED' (or null if missing), "
        f"got {show(value)}"
    )
    raise InvalidRecordError(msg, path=attribute.name)


def _country_codes(_: object, attribute: attrs.Attribute[Any], value: tuple[object, ...]) -> None:
    for index, code in enumerate(value):
        _check_country(code, f"{attribute.name}[{index}]")
    if len(set(value)) != len(value):
        msg = f"must list each country once, got {list(value)!r}"
        raise InvalidRecordError(msg, path=attribute.name)


def _instances(kind: type) -> Any:
    """Validate that every item of a tuple is a `kind`; name the index of the first that is not."""

    def validate(_: object, attribute: attrs.Attribute[Any], value: tuple[object, ...]) -> None:
        for index, item in enumerate(value):
            if not isinstance(item, kind):
                msg = f"must be a {kind.__name__}, got {show(item)}"
                raise InvalidRecordError(msg, path=f"{attribute.name}[{index}]")

    return validate


def _instance_or_none(kind: type) -> Any:
    def validate(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None and not isinstance(value, kind):
            msg = f"must be a {kind.__name__} or None, got {show(value)}"
            raise InvalidRecordError(msg, path=attribute.name)

    return validate


def _as_tuple(value: Any, path: str) -> tuple[Any, ...]:
    # Lists are accepted for convenience and frozen; strings would split into characters.
    if isinstance(value, str | bytes | dict):
        msg = f"must be a list or tuple, got {show(value)}"
        raise InvalidRecordError(msg, path=path)
    try:
        return tuple(value)
    except TypeError:
        msg = f"must be a list or tuple, got {show(value)}"
        raise InvalidRecordError(msg, path=path) from None


def _parcels(value: Any) -> tuple[Any, ...]:
    return _as_tuple(value, "parcels")


def _declared_origins(value: Any) -> tuple[Any, ...]:
    return _as_tuple(value, "declared_origins")


def _transit_countries(value: Any) -> tuple[Any, ...]:
    return _as_tuple(value, "transit_countries")


_LIST_SEPARATORS = re.compile(r"[;,]")


def _listed(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        codes = tuple(code.strip() for code in _LIST_SEPARATORS.split(value) if code.strip())
    else:
        codes = _as_tuple(value, "listed")
    return codes


def _single_country(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _check_country(value, attribute.name)


@guarded
@attrs.frozen(repr=False, eq=False)
class DeclaredOrigin:
    """What a certificate declares of a parcel's origin: one country, or mixed.

    A parcel of unmixed origin names its country; a parcel of mixed origin says "MIXED",
    and since May 2024 its issuer may list the countries of mining origin. This type is
    the one place where kpmodel reads and writes that declaration: certificates
    (`Parcel.declared_origin`), ledgers, provenance graphs and simulations all use it.

    Build one with `single`, `mixed`, `parse` (text) or `from_fields` (the ``origin`` and
    ``declared_origins`` of a certificate or ledger). Its text form (`str`) is the country
    code, ``"MIXED"``, or ``"MIXED (BW, RU)"`` with the listed countries, sorted.
    Declarations are equal when they name the same country, or are both mixed and list
    the same countries in any order.

    Parameters
    ----------
    country : str or None
        The ISO 3166-1 alpha-2 country of an unmixed parcel; None for a mixed parcel.
    listed : tuple of str
        For a mixed parcel: the countries of mining origin listed, each once, in the
        order given (a list or a string ``"BW;RU"`` is converted). Empty for an unmixed
        parcel. The order is kept but does not matter: declarations listing the same
        countries are equal.

    Examples
    --------
    >>> origin = kp.certificates.DeclaredOrigin.mixed(["RU", "BW"])
    >>> origin, str(origin), origin.is_mixed, origin.countries
    (DeclaredOrigin.mixed(('RU', 'BW')), 'MIXED (BW, RU)', True, ('RU', 'BW'))
    >>> origin == kp.certificates.DeclaredOrigin.mixed(["BW", "RU"])
    True
    >>> kp.certificates.DeclaredOrigin.parse("BW") == kp.certificates.DeclaredOrigin.single("BW")
    True
    >>> kp.certificates.DeclaredOrigin.parse("MIXED").countries
    ()
    """

    country: str | None = attrs.field(default=None, validator=_single_country)
    listed: tuple[str, ...] = attrs.field(default=(), converter=_listed)

    def __attrs_post_init__(self) -> None:
        if self.country is not None and self.listed:
            msg = (
                f"only a mixed declaration lists countries; got country {self.country!r} "
                f"and listed {list(self.listed)!r}"
            )
            raise InvalidRecordError(msg, path="listed")
        for index, code in enumerate(self.listed):
            _check_country(code, f"listed[{index}]")
        if len(set(self.listed)) != len(self.listed):
            msg = f"must list each country once, got {list(self.listed)!r}"
            raise InvalidRecordError(msg, path="listed")

    @classmethod
    def single(cls, country: object) -> DeclaredOrigin:
        """Return the declaration of an unmixed parcel from `country`.

        Examples
        --------
        >>> kp.certificates.DeclaredOrigin.single("BW")
        DeclaredOrigin.single('BW')
        """
        if not isinstance(country, str):
            msg = f"must be an ISO 3166-1 alpha-2 country code such as 'BW', got {show(country)}"
            raise InvalidRecordError(msg, path="country")
        return cls(country=country)

    @classmethod
    def mixed(cls, listed: Iterable[str] = ()) -> DeclaredOrigin:
        """Return the declaration of a mixed parcel, listing the countries `listed`, if any.

        Examples
        --------
        >>> str(kp.certificates.DeclaredOrigin.mixed())
        'MIXED'
        """
        if isinstance(listed, str | bytes) or not isinstance(listed, Iterable):
            msg = f"must be a list of country codes such as ['BW', 'RU'], got {show(listed)}"
            raise InvalidRecordError(msg, path="listed")
        return cls(listed=tuple(listed))

    @classmethod
    def parse(cls, text: object) -> DeclaredOrigin:
        """Read the text form: ``"BW"``, ``"MIXED"`` or ``"MIXED (BW, RU)"``.

        ``MIXED`` may be written in any case, and the listed countries may be separated by
        commas or semicolons. Two or more codes joined by commas (``"BW,RU"``, as kpmodel
        0.1 wrote a mixed parcel with listed origins) are read as mixed with those listed.

        Raises
        ------
        kpmodel.errors.InvalidRecordError
            If `text` is none of these forms or names an unknown country.

        Examples
        --------
        >>> kp.certificates.DeclaredOrigin.parse("mixed (RU; BW)")
        DeclaredOrigin.mixed(('RU', 'BW'))
        >>> kp.certificates.DeclaredOrigin.parse("BW,RU")
        DeclaredOrigin.mixed(('BW', 'RU'))
        """
        if not isinstance(text, str):
            msg = f"must be text such as 'BW', 'MIXED' or 'MIXED (BW, RU)', got {show(text)}"
            raise InvalidRecordError(msg, path="declared_origin")
        stripped = text.strip()
        head, _, rest = stripped.partition("(")
        if head.strip().upper() == MIXED:
            if rest and not rest.endswith(")"):
                msg = f"the listed countries must end with ')', got {show(text)}"
                raise InvalidRecordError(msg, path="declared_origin")
            return cls(listed=rest[:-1])
        if "," in stripped:
            return cls(listed=stripped)
        return cls(country=stripped)

    @classmethod
    def from_fields(
        cls, origin: str, declared_origins: Iterable[str] | str = ()
    ) -> DeclaredOrigin:
        """Return the declaration from a certificate's fields: ``origin`` and its list.

        `origin` is a country code or ``"MIXED"``; `declared_origins` the listed countries
        (a sequence, or text separated by ``;`` as in a CSV ledger).

        Examples
        --------
        >>> kp.certificates.DeclaredOrigin.from_fields("MIXED", "BW;RU")
        DeclaredOrigin.mixed(('BW', 'RU'))
        """
        if origin == MIXED:
            return cls(listed=declared_origins)
        listed = _listed(declared_origins)
        if listed:
            msg = (
                "only a parcel of mixed origin (origin 'MIXED') lists declared origins; "
                f"this parcel's origin is {origin!r}"
            )
            raise InvalidRecordError(msg, path="declared_origins")
        return cls.single(origin)

    @property
    def is_mixed(self) -> bool:
        """Whether the parcel is declared of mixed origin.

        Examples
        --------
        >>> kp.certificates.DeclaredOrigin.single("BW").is_mixed
        False
        """
        return self.country is None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DeclaredOrigin):
            return NotImplemented
        return self.country == other.country and sorted(self.listed) == sorted(other.listed)

    def __hash__(self) -> int:
        return hash((self.country, tuple(sorted(self.listed))))

    @property
    def countries(self) -> tuple[str, ...]:
        """The countries the declaration names: the one origin, or those listed.

        Examples
        --------
        >>> kp.certificates.DeclaredOrigin.single("BW").countries
        ('BW',)
        """
        return self.listed if self.country is None else (self.country,)

    @property
    def origin(self) -> str:
        """The ``origin`` field of a certificate: the country code, or ``"MIXED"``.

        Examples
        --------
        >>> kp.certificates.DeclaredOrigin.mixed(["BW", "RU"]).origin
        'MIXED'
        """
        return MIXED if self.country is None else self.country

    @property
    def listed_text(self) -> str:
        """The listed countries as a ledger cell: codes separated by ``;`` (empty if none).

        Examples
        --------
        >>> kp.certificates.DeclaredOrigin.mixed(["RU", "BW"]).listed_text
        'RU;BW'
        """
        return ";".join(self.listed)

    def __str__(self) -> str:
        if self.country is not None:
            return self.country
        return f"{MIXED} ({', '.join(sorted(self.listed))})" if self.listed else MIXED

    def __repr__(self) -> str:
        if self.country is not None:
            return f"DeclaredOrigin.single({self.country!r})"
        return (
            f"DeclaredOrigin.mixed({self.listed!r})" if self.listed else "DeclaredOrigin.mixed()"
        )


@guarded
@attrs.frozen(kw_only=True)
class Parcel:
    """One parcel of rough diamonds as a certificate lists it.

    Parameters
    ----------
    hs_code : HSCode
        The HS subheading (a string such as ``"7102.10"`` is converted).
    carats : decimal.Decimal
        Carat weight, greater than 0 (a string or int is converted; floats are refused,
        because they cannot hold decimal amounts exactly).
    value_usd : decimal.Decimal
        Value in US dollars, 0 or more.
    origin : str or None
        The ISO 3166-1 alpha-2 country of origin of an unmixed parcel, `MIXED` for a parcel of
        mixed origin, or None when the certificate states no origin (a defect the rules report).
    declared_origins : tuple of str
        For a mixed parcel only: the countries of mining origin the issuer chose to list
        (voluntary since May 2024). Empty by default.
    zone : str or None
        The sub-national mining zone the goods come from, when it matters: a participant
        restricted to compliant zones may export only goods from those zones.

    Examples
    --------
    >>> from decimal import Decimal
    >>> parcel = kp.certificates.Parcel(
    ...     hs_code="7102.31", carats=Decimal("125.40"), value_usd=Decimal("31350"), origin="BW"
    ... )
    >>> parcel.hs_code, parcel.carats, parcel.is_mixed
    (<HSCode.NON_INDUSTRIAL: '7102.31'>, Decimal('125.40'), False)
    >>> kp.certificates.Parcel(hs_code="7102.31", carats="-3.5", value_usd="0", origin="BW")
    Traceback (most recent call last):
    ...
    kpmodel.errors.InvalidRecordError: carats: must be greater than 0, got '-3.5'
    """

    hs_code: HSCode = attrs.field(converter=_hs_code)
    carats: Decimal = attrs.field(converter=_carats, validator=_positive)
    value_usd: Decimal = attrs.field(converter=_value_usd, validator=_not_negative)
    origin: str | None = attrs.field(validator=_origin)
    declared_origins: tuple[str, ...] = attrs.field(
        default=(), converter=_declared_origins, validator=_country_codes
    )
    zone: str | None = attrs.field(default=None, validator=_optional_text)

    def __attrs_post_init__(self) -> None:
        if self.declared_origins and self.origin != MIXED:
            msg = (
                "only a parcel of mixed origin (origin 'MIXED') lists declared origins; "
                f"this parcel's origin is {self.origin!r}"
            )
            raise InvalidRecordError(msg, path="declared_origins")

    @property
    def is_mixed(self) -> bool:
        """Whether the certificate declares this parcel of mixed origin.

        Examples
        --------
        >>> kp.certificates.Parcel(
        ...     hs_code="7102.10", carats="10", value_usd="900", origin="MIXED"
        ... ).is_mixed
        True
        """
        return self.origin == MIXED

    @property
    def declared_origin(self) -> DeclaredOrigin | None:
        """What the certificate declares of this parcel's origin; None when it states none.

        Examples
        --------
        >>> kp.certificates.Parcel(
        ...     hs_code="7102.10", carats="10", value_usd="900", origin="MIXED",
        ...     declared_origins=["RU", "BW"],
        ... ).declared_origin
        DeclaredOrigin.mixed(('RU', 'BW'))
        """
        if self.origin is None:
            return None
        return DeclaredOrigin.from_fields(self.origin, self.declared_origins)


@guarded
@attrs.frozen(kw_only=True)
class Party:
    """An exporter or importer as the certificate identifies it.

    Parameters
    ----------
    name : str
        Non-empty.
    address : str
        Non-empty.
    country : str
        ISO 3166-1 alpha-2 code.

    Examples
    --------
    >>> kp.certificates.Party(name="Example Rough Ltd", address="1 Fictional Way", country="BW")
    Party(name='Example Rough Ltd', address='1 Fictional Way', country='BW')
    """

    name: str = attrs.field(validator=_text)
    address: str = attrs.field(validator=_text)
    country: str = attrs.field(validator=_country)


@guarded
@attrs.frozen(kw_only=True)
class Certificate:
    """A Kimberley Process certificate with every Annex I, Part A element.

    The elements (Annex I, Part A, as 31 CFR 592.307 reproduces them:
    https://www.lexfed.com/cfr/31/b/v/592/c/592-307) map to fields:
    title and KPCS statement (`kp_statement`), origin of unmixed parcels (`Parcel.origin`),
    language and English translation (`language`, `english_translation`), unique number with
    the ISO alpha-2 prefix (`number`, `issuing_country`), tamper and forgery resistance
    (`forgery_resistant`), dates of issue and expiry (`issued`, `expires`), issuing authority
    (`issuing_authority`), exporter and importer (`exporter`, `importer`), carats, value in US
    dollars and HS code (per parcel, totals in `carats` and `value_usd`), number of parcels
    (`number_of_parcels`), validation by the exporting authority (`validated`).

    Parameters
    ----------
    number : str
        The certificate number; the KPCS wants it unique and prefixed with the issuing
        country's ISO alpha-2 code (checked by the rules, not here).
    issuing_authority : str or None
        Name of the issuing authority; None when the document names none.
    issuing_country : str
        ISO alpha-2 code of the exporting country, or ``"EU"``.
    destination_country : str
        ISO alpha-2 code of the importing country, or ``"EU"``.
    exporter, importer : Party or None
        None when the document does not identify them.
    issued : datetime.date
        Date of issuance; the date the rules in force are taken from by default.
    expires : datetime.date or None
        Date of expiry; None when the document states none.
    parcels : tuple of Parcel
        The parcels listed (a list is converted).
    number_of_parcels : int
        The number of parcels the certificate states.
    kp_statement : bool
        Whether it carries the title "Kimberley Process Certificate" and the KPCS statement
        (`KP_STATEMENT`).
    validated : bool
        Whether the exporting authority validated it.
    language : str, default "en"
        The language it is issued in (a free code such as ``"fr"``).
    english_translation : bool, default False
        Whether an English translation is incorporated (needed when `language` is not
        ``"en"``).
    forgery_resistant : bool, default True
        Whether the document is tamper- and forgery-resistant.

    Examples
    --------
    >>> from datetime import date
    >>> cert = kp.certificates.Certificate(
    ...     number="BW000123",
    ...     issuing_authority="Fictional Diamond Office",
    ...     issuing_country="BW",
    ...     destination_country="IN",
    ...     exporter=kp.certificates.Party(name="A Ltd", address="1 Road", country="BW"),
    ...     importer=kp.certificates.Party(name="B Pvt", address="2 Street", country="IN"),
    ...     issued=date(2023, 3, 1),
    ...     expires=date(2023, 5, 30),
    ...     parcels=[
    ...         kp.certificates.Parcel(hs_code="7102.31", carats="100", value_usd="25000",
    ...                                origin="BW"),
    ...     ],
    ...     number_of_parcels=1,
    ...     kp_statement=True,
    ...     validated=True,
    ... )
    >>> cert.carats, cert.value_usd
    (Decimal('100'), Decimal('25000'))
    """

    number: str = attrs.field(validator=_text)
    issuing_authority: str | None = attrs.field(validator=_optional_text)
    issuing_country: str = attrs.field(validator=_participant_country)
    destination_country: str = attrs.field(validator=_participant_country)
    exporter: Party | None = attrs.field(validator=_instance_or_none(Party))
    importer: Party | None = attrs.field(validator=_instance_or_none(Party))
    issued: date = attrs.field(validator=_day)
    expires: date | None = attrs.field(validator=_optional_day)
    parcels: tuple[Parcel, ...] = attrs.field(converter=_parcels, validator=_instances(Parcel))
    number_of_parcels: int = attrs.field(validator=_count)
    kp_statement: bool = attrs.field(validator=_flag)
    validated: bool = attrs.field(validator=_flag)
    language: str = attrs.field(default="en", validator=_text)
    english_translation: bool = attrs.field(default=False, validator=_flag)
    forgery_resistant: bool = attrs.field(default=True, validator=_flag)

    @property
    def carats(self) -> Decimal:
        """Total carat weight of the parcels.

        Examples
        --------
        >>> kp.certificates.example_certificate().carats
        Decimal('1285.40')
        """
        return sum((parcel.carats for parcel in self.parcels), Decimal(0))

    @property
    def value_usd(self) -> Decimal:
        """Total value of the parcels in US dollars.

        Examples
        --------
        >>> kp.certificates.example_certificate().value_usd
        Decimal('236120.00')
        """
        return sum((parcel.value_usd for parcel in self.parcels), Decimal(0))


@guarded
@attrs.frozen(kw_only=True)
class ImportConfirmation:
    """The importing authority's confirmation of receipt of a shipment (Section III(b)).

    Section III(b) asks that it refer, as a minimum, to the certificate number, the number
    of parcels, the carat weight and the details of the importer and exporter
    (KPCS as Annex I of Reg. (EC) 2368/2002, legislation.gov.uk). Fields a confirmation may
    omit are optional, so a
    defective confirmation can be represented and reported by the rules.

    Parameters
    ----------
    certificate_number : str
        The number of the certificate whose shipment was received.
    received : datetime.date
        Date of receipt.
    number_of_parcels : int or None
        Number of parcels received.
    carats : decimal.Decimal or None
        Total carat weight received.
    importer, exporter : Party or None
        The parties as the confirmation names them.
    importing_authority : str or None, default None
        The authority that sends the confirmation.

    Examples
    --------
    >>> from datetime import date
    >>> confirmation = kp.certificates.ImportConfirmation(
    ...     certificate_number="BW000123",
    ...     received=date(2023, 3, 4),
    ...     number_of_parcels=1,
    ...     carats="100",
    ...     importer=kp.certificates.Party(name="B Pvt", address="2 Street", country="IN"),
    ...     exporter=kp.certificates.Party(name="A Ltd", address="1 Road", country="BW"),
    ... )
    >>> confirmation.carats
    Decimal('100')
    """

    certificate_number: str = attrs.field(validator=_text)
    received: date = attrs.field(validator=_day)
    number_of_parcels: int | None = attrs.field(validator=attrs.validators.optional(_count))
    carats: Decimal | None = attrs.field(
        converter=attrs.converters.optional(_carats),
        validator=attrs.validators.optional(_positive),
    )
    importer: Party | None = attrs.field(validator=_instance_or_none(Party))
    exporter: Party | None = attrs.field(validator=_instance_or_none(Party))
    importing_authority: str | None = attrs.field(default=None, validator=_optional_text)


@guarded
@attrs.frozen(kw_only=True)
class Shipment:
    """A physical shipment of rough diamonds across a border, with its certificate or none.

    Parameters
    ----------
    certificate : Certificate or None
        The certificate that accompanies it; None for a shipment without one.
    from_country : str
        ISO alpha-2 code of the country it leaves (or ``"EU"``).
    to_country : str
        ISO alpha-2 code of the country it enters (or ``"EU"``).
    parcels : tuple of Parcel
        The parcels actually shipped.
    sealed : bool
        Whether it travels in a sealed, tamper-resistant container.
    departed : datetime.date
        Date it left; the date the rules in force are taken from by default.
    arrived : datetime.date or None, default None
        Date it arrived, if known.
    transit_countries : tuple of str, default ()
        ISO alpha-2 codes of the countries it passed through, in order.

    Examples
    --------
    >>> from datetime import date
    >>> cert = kp.certificates.example_certificate()
    >>> shipment = kp.certificates.Shipment(
    ...     certificate=cert, from_country="BW", to_country="BE", parcels=cert.parcels,
    ...     sealed=True, departed=date(2023, 3, 2),
    ... )
    >>> shipment.certificate.number
    'BW000123'
    """

    certificate: Certificate | None = attrs.field(validator=_instance_or_none(Certificate))
    from_country: str = attrs.field(validator=_participant_country)
    to_country: str = attrs.field(validator=_participant_country)
    parcels: tuple[Parcel, ...] = attrs.field(converter=_parcels, validator=_instances(Parcel))
    sealed: bool = attrs.field(validator=_flag)
    departed: date = attrs.field(validator=_day)
    arrived: date | None = attrs.field(default=None, validator=_optional_day)
    transit_countries: tuple[str, ...] = attrs.field(
        default=(), converter=_transit_countries, validator=_country_codes
    )

    def __attrs_post_init__(self) -> None:
        if self.arrived is not None and self.arrived < self.departed:
            msg = f"must not be before departed ({self.departed}), got {self.arrived}"
            raise InvalidRecordError(msg, path="arrived")
