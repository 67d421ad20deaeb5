"""Hypothesis strategies for certificates, shipments, confirmations and ledgers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from types import MappingProxyType
from typing import Any

import attrs
import pycountry
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from kpmodel._boundary import show
from kpmodel.certificates import (
    MIXED,
    Certificate,
    HSCode,
    ImportConfirmation,
    Parcel,
    Party,
    Shipment,
)
from kpmodel.rules import ORIGIN_LISTING_START
from kpmodel.testing._arguments import (
    drawable_bounds,
    refuse,
    register_or_default,
    strategy_or_none,
)

__all__ = [
    "DEFECTS",
    "certificates",
    "defective_certificates",
    "ledgers",
    "parcels",
    "participants",
    "parties",
    "shipments",
]


@cache
def _iso_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code, as the records accept them."""
    return frozenset(country.alpha_2 for country in pycountry.countries)


FIRST_DAY = date(2003, 1, 1)  # start of international implementation (Sun City communiqué)
LAST_DAY = date(2026, 12, 31)

# Producing countries named in kpmodel's sources, used as realistic origins.
_ORIGINS = ("AO", "AU", "BR", "BW", "CA", "CD", "CF", "CG", "CI", "GN", "LS", "NA", "RU", "SL",
            "ZA", "ZW")  # fmt: skip
_NAME_PARTS = (
    ("Example", "Sample", "Fictional", "Specimen", "Placeholder"),
    ("Rough", "Diamond", "Gem", "Mineral", "Stone"),
    ("Traders", "Exports", "Holdings", "Trading"),
    ("Ltd", "BV", "Pvt Ltd", "SA", "DMCC", "(Pty) Ltd"),
)

DEFECTS: Mapping[str, str] = MappingProxyType(
    {
        "expiry_before_issue": "annex-i-dates",
        "missing_authority": "annex-i-authority",
        "missing_expiry": "annex-i-dates",
        "missing_exporter": "annex-i-parties",
        "missing_importer": "annex-i-parties",
        "missing_origin": "annex-i-origin",
        "missing_statement": "annex-i-statement",
        "mixed_single_origin": "annex-i-origin",
        "no_english_translation": "annex-i-language",
        "non_participant_destination": "section-iii-c-certificate",
        "not_forgery_resistant": "annex-i-forgery-resistant",
        "not_validated": "annex-i-validation",
        "number_prefix": "annex-i-number",
        "parcel_count": "annex-i-parcels",
        "unlisted_mixed_origin": "mixed-origin-listing",
    }
)
"""The defect kinds `defective_certificates` can inject, each with the id of the rule that
must report it (and no other rule may)."""


# Keyed by the register's id (holding the register, so the id stays its own): hashing a whole
# register on every draw would cost more than the lookup it saves.
_TRADING: dict[tuple[int, date], tuple[Any, tuple[tuple[str, str], ...]]] = {}


def _trading(register: Any, on: date) -> tuple[tuple[str, str], ...]:
    """(country, participant) pairs for every ISO country whose participant may trade on `on`."""
    key = (id(register), on)
    cached = _TRADING.get(key)
    if cached is not None and cached[0] is register:
        return cached[1]
    pairs = []
    for code in register.codes:
        members = [getattr(m, "country", m) for m in register.participant(code).members]
        for country in sorted(members or [code]):
            if (
                country in _iso_codes()
                and register.participant_of(country, on=on) == code
                and register.may_trade(country, on=on)
                and _unbarred(register, country, on)
            ):
                pairs.append((country, code))
    if len(_TRADING) > 20_000:
        _TRADING.clear()
    _TRADING[key] = (register, tuple(sorted(pairs)))
    return _TRADING[key][1]


def _unbarred(register: Any, country: str, on: date) -> bool:
    """Whether no measure outside the KP (a UN ban) bars the country's exports or imports."""
    export, import_ = getattr(register, "may_export", None), getattr(register, "may_import", None)
    if export is None or import_ is None:
        return True
    return bool(export(country, on=on) and import_(country, on=on))


def _not_trading(register: Any, on: date) -> tuple[str, ...]:
    """Countries no participant governs on `on` (Section III(c) non-participants)."""
    return tuple(
        sorted(
            code
            for code in _iso_codes()
            if register.participant_of(code, on=on) is None
            or str(getattr(register.status(code, on=on), "value", ""))
            in ("not-participant", "removed")
        )
    )


def participants(*, on: date, register: Any = None) -> st.SearchStrategy[str]:
    """Return a strategy for ISO country codes that may trade rough diamonds on `on`.

    A country counts when its participant (itself, or the EU for a member state) may trade
    on that date with no restriction to compliant zones. Shrinks towards the first code in
    alphabetical order.

    Parameters
    ----------
    on : datetime.date
    register : kpmodel.participants.Register, optional
        Defaults to the shipped register.

    Examples
    --------
    >>> from datetime import date
    >>> from hypothesis import given
    >>> from kpmodel.testing.strategies import participants
    >>> @given(participants(on=date(2014, 1, 10)))
    ... def test_not_car(code):
    ...     assert code != "CF"  # suspended then
    >>> test_not_car()
    """
    pairs = _trading(register_or_default("participants", register), on)
    if not pairs:
        refuse(
            "participants", "on", f"no country may trade rough diamonds on {on} in this register"
        )
    return st.sampled_from([country for country, _ in pairs])


def parties(*, countries: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Party]:
    """Return a strategy for exporters and importers with clearly fictional names.

    Parameters
    ----------
    countries : strategy of str, optional
        Their country codes; by default any ISO alpha-2 code.

    Examples
    --------
    >>> from hypothesis import given, strategies as st
    >>> from kpmodel.testing.strategies import parties
    >>> @given(parties(countries=st.just("BW")))
    ... def test_country(party):
    ...     assert party.country == "BW"
    >>> test_country()
    """
    countries = strategy_or_none("parties", "countries", countries)
    if countries is None:
        countries = st.sampled_from(sorted(_iso_codes()))
    names = st.tuples(*(st.sampled_from(part) for part in _NAME_PARTS)).map(" ".join)
    addresses = st.builds(
        "{} Example Street, Unit {}".format, st.integers(1, 999), st.integers(1, 99)
    )
    return st.builds(Party, name=names, address=addresses, country=countries)


_carats = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50000"), places=2)
_values = st.decimals(min_value=Decimal("0"), max_value=Decimal("50000000"), places=2)


@st.composite
def _parcel(draw: st.DrawFn, *, list_mixed_origins: bool | None) -> Parcel:
    origin = draw(st.sampled_from((*_ORIGINS, MIXED)))
    declared: tuple[str, ...] = ()
    if origin == MIXED and (
        list_mixed_origins or (list_mixed_origins is None and draw(st.booleans()))
    ):
        declared = tuple(
            draw(st.lists(st.sampled_from(_ORIGINS), min_size=2, max_size=4, unique=True))
        )
    return Parcel(
        hs_code=draw(st.sampled_from(HSCode)),
        carats=draw(_carats),
        value_usd=draw(_values),
        origin=origin,
        declared_origins=declared,
    )


def parcels(*, list_mixed_origins: bool | None = None) -> st.SearchStrategy[Parcel]:
    """Return a strategy for parcels of unmixed origin (a producing country) or `MIXED`.

    Carats have two decimals and are greater than 0; values are 0 or more. Shrinks towards a
    small unsorted parcel from the first producer.

    Parameters
    ----------
    list_mixed_origins : bool or None
        Whether mixed parcels list 2 to 4 countries of mining origin: always (True), never
        (False), or either (None).

    Examples
    --------
    >>> from hypothesis import given
    >>> from kpmodel.testing.strategies import parcels
    >>> @given(parcels(list_mixed_origins=True))
    ... def test_listed(parcel):
    ...     assert not parcel.is_mixed or len(parcel.declared_origins) >= 2
    >>> test_listed()
    """
    listed: object = list_mixed_origins  # any value a caller passes, whatever the annotation
    if listed is not None and not isinstance(listed, bool):
        refuse("parcels", "list_mixed_origins", f"must be True, False or None, got {show(listed)}")
    return _parcel(list_mixed_origins=list_mixed_origins)


@st.composite
def _certificate(draw: st.DrawFn, *, dates: st.SearchStrategy[date], register: Any) -> Certificate:
    issued = draw(dates)
    pairs = _trading(register, issued)
    if not pairs:
        msg = f"no country may trade rough diamonds on {issued}; choose dates from 2003 on"
        raise InvalidArgument(msg)
    issuer, issuer_participant = draw(st.sampled_from(pairs))
    destinations = [country for country, code in pairs if code != issuer_participant]
    destination = draw(st.sampled_from(destinations))
    language = draw(st.sampled_from(("en", "en", "fr", "pt", "ru")))
    listed = True if issued >= ORIGIN_LISTING_START else None
    items = draw(st.lists(_parcel(list_mixed_origins=listed), min_size=1, max_size=4))
    return Certificate(
        number=f"{issuer}{draw(st.integers(0, 10**8 - 1)):08d}",
        issuing_authority=f"Kimberley Process Authority of {issuer} (fictional)",
        issuing_country=issuer,
        destination_country=destination,
        exporter=draw(parties(countries=st.just(issuer))),
        importer=draw(parties(countries=st.just(destination))),
        issued=issued,
        expires=issued + timedelta(days=draw(st.integers(1, 365))),
        parcels=items,
        number_of_parcels=len(items),
        kp_statement=True,
        validated=True,
        language=language,
        english_translation=language != "en" or draw(st.booleans()),
    )


def certificates(
    *, dates: st.SearchStrategy[date] | None = None, register: Any = None
) -> st.SearchStrategy[Certificate]:
    """Return a strategy for valid certificates: every rule in force passes on their issue date.

    Issuer and destination are different participants that may trade on the date of issue
    (from the register); mixed parcels list their mining origins when issued from May 2024.
    Shrinks towards a one-parcel certificate issued on the first date.

    Parameters
    ----------
    dates : strategy of datetime.date, optional
        Dates of issue; by default 2003-01-01 to 2026-12-31.
    register : kpmodel.participants.Register, optional
        Defaults to the shipped register.

    Examples
    --------
    >>> from hypothesis import given
    >>> from kpmodel.testing.strategies import certificates
    >>> @given(certificates())
    ... def test_valid(cert):
    ...     assert kp.check(cert).findings == ()
    >>> test_valid()
    """
    register = register_or_default("certificates", register)
    given = strategy_or_none("certificates", "dates", dates)
    days = given if given is not None else st.dates(FIRST_DAY, LAST_DAY)
    return _certificate(dates=days, register=register)


def _some_parcel(
    draw: st.DrawFn, cert: Certificate, change: Callable[[Parcel], Parcel]
) -> Certificate:
    index = draw(st.integers(0, len(cert.parcels) - 1))
    items = list(cert.parcels)
    items[index] = change(items[index])
    return attrs.evolve(cert, parcels=items)


@st.composite
def _defective(draw: st.DrawFn, *, defect: str | None, register: Any) -> tuple[Certificate, str]:
    kind = defect if defect is not None else draw(st.sampled_from(sorted(DEFECTS)))
    start = ORIGIN_LISTING_START if kind == "unlisted_mixed_origin" else FIRST_DAY
    cert = draw(_certificate(dates=st.dates(start, LAST_DAY), register=register))
    if kind == "missing_origin":
        cert = _some_parcel(
            draw, cert, lambda p: attrs.evolve(p, origin=None, declared_origins=())
        )
    elif kind in ("mixed_single_origin", "unlisted_mixed_origin"):
        declared = (draw(st.sampled_from(_ORIGINS)),) if kind == "mixed_single_origin" else ()
        cert = _some_parcel(
            draw, cert, lambda p: attrs.evolve(p, origin=MIXED, declared_origins=declared)
        )
    elif kind == "number_prefix":
        other = draw(st.sampled_from([c for c in _ORIGINS if c != cert.issuing_country]))
        cert = attrs.evolve(cert, number=other + cert.number[2:])
    elif kind == "expiry_before_issue":
        cert = attrs.evolve(cert, expires=cert.issued - timedelta(days=draw(st.integers(0, 30))))
    elif kind == "parcel_count":
        cert = attrs.evolve(cert, number_of_parcels=len(cert.parcels) + draw(st.integers(1, 3)))
    elif kind == "non_participant_destination":
        outsider = draw(st.sampled_from(_not_trading(register, cert.issued)))
        importer = attrs.evolve(cert.importer, country=outsider) if cert.importer else None
        cert = attrs.evolve(cert, destination_country=outsider, importer=importer)
    else:
        cert = attrs.evolve(cert, **_SIMPLE_DEFECTS[kind])
    return cert, kind


_SIMPLE_DEFECTS: dict[str, dict[str, Any]] = {
    "missing_statement": {"kp_statement": False},
    "no_english_translation": {"language": "fr", "english_translation": False},
    "not_forgery_resistant": {"forgery_resistant": False},
    "missing_expiry": {"expires": None},
    "missing_authority": {"issuing_authority": None},
    "missing_exporter": {"exporter": None},
    "missing_importer": {"importer": None},
    "not_validated": {"validated": False},
}


def defective_certificates(
    *, defect: str | None = None, register: Any = None
) -> st.SearchStrategy[tuple[Certificate, str]]:
    """Return a strategy for ``(certificate, defect)``: a certificate with exactly one defect.

    The certificate is valid but for the one defect named, and the rule `DEFECTS` maps it
    to reports it; no other rule reports anything. Shrinks like `certificates`.

    Parameters
    ----------
    defect : str or None
        One of the keys of `DEFECTS`; None draws a kind for each example.
    register : kpmodel.participants.Register, optional
        Defaults to the shipped register.

    Raises
    ------
    InvalidStrategyArgumentError
        If `defect` is not a known kind or `register` not a register, when the strategy is
        made (it is a ``hypothesis.errors.InvalidArgument``, as the error raised before).

    Examples
    --------
    >>> from hypothesis import given
    >>> from kpmodel.testing.strategies import DEFECTS, defective_certificates
    >>> @given(defective_certificates(defect="parcel_count"))
    ... def test_found(pair):
    ...     cert, defect = pair
    ...     assert {f.rule for f in kp.check(cert).findings} == {DEFECTS[defect]}
    >>> test_found()
    """
    if defect is not None and (not isinstance(defect, str) or defect not in DEFECTS):
        refuse(
            "defective_certificates",
            "defect",
            f"must be one of {sorted(DEFECTS)} or None, got {show(defect)}",
        )
    return _defective(
        defect=defect, register=register_or_default("defective_certificates", register)
    )


@st.composite
def _shipment(
    draw: st.DrawFn, *, certificates: st.SearchStrategy[Certificate], register: Any
) -> Shipment:
    cert = draw(certificates)
    assert cert.expires is not None
    departed = cert.issued + timedelta(
        days=draw(st.integers(0, (cert.expires - cert.issued).days))
    )
    trading = {country for country, _ in _trading(register, departed)}
    if not {cert.issuing_country, cert.destination_country} <= trading:
        departed = cert.issued  # a status changed meanwhile: ship on the day of issue
    return Shipment(
        certificate=cert,
        from_country=cert.issuing_country,
        to_country=cert.destination_country,
        parcels=cert.parcels,
        sealed=True,
        departed=departed,
        arrived=departed + timedelta(days=draw(st.integers(0, 10))),
        transit_countries=draw(
            st.lists(st.sampled_from(("AE", "BE", "CH", "GB")), max_size=2, unique=True)
        ),
    )


def shipments(
    *, certificates: st.SearchStrategy[Certificate] | None = None, register: Any = None
) -> st.SearchStrategy[Shipment]:
    """Return a strategy for valid shipments, each with the certificate that describes it.

    The shipment leaves between the certificate's dates of issue and expiry, sealed, on the
    certificate's route with its parcels.

    Parameters
    ----------
    certificates : strategy of Certificate, optional
        Valid certificates with a date of expiry; by default `certificates()`.
    register : kpmodel.participants.Register, optional

    Examples
    --------
    >>> from hypothesis import given
    >>> from kpmodel.testing.strategies import shipments
    >>> @given(shipments())
    ... def test_valid(shipment):
    ...     assert kp.check(shipment).ok
    >>> test_valid()
    """
    register = register_or_default("shipments", register)
    source = strategy_or_none("shipments", "certificates", certificates)
    if source is None:
        source = _certificate(dates=st.dates(FIRST_DAY, LAST_DAY), register=register)
    return _shipment(certificates=source, register=register)


def _confirmation(shipment: Shipment, days: int) -> ImportConfirmation:
    cert = shipment.certificate
    assert cert is not None
    return ImportConfirmation(
        certificate_number=cert.number,
        received=(shipment.arrived or shipment.departed) + timedelta(days=days),
        number_of_parcels=len(cert.parcels),
        carats=cert.carats,
        importer=cert.importer,
        exporter=cert.exporter,
        importing_authority=f"Importing Authority of {cert.destination_country} (fictional)",
    )


#: The largest `min_size` that `ledgers` and `ledger_tables` accept. Measured with Hypothesis
#: 6.170.17 (November 2026): min_size=50 and 65 drew 10 examples in 8 and 10 s, while from
#: 70 on Hypothesis' large_base_example health check failed the test at once ("the smallest
#: natural input for this test is very large").
MAX_MIN_SIZE = 50
#: The largest `max_size` they accept: max_size=1,000 drew 30 examples in 47 s (drawn ledgers
#: stay far smaller, larger ones do not fit in an example), while at 5,000 most examples ran
#: out of choices and the data_too_large health check failed the test.
MAX_SIZE = 1_000


def ledger_bounds(strategy: str, min_size: object, max_size: object) -> tuple[int, int]:
    """Return the size bounds of `ledgers` or `ledger_tables`, else refuse them."""
    names = ("min_size", "max_size")
    values = (min_size, max_size)
    return drawable_bounds(
        strategy, names, values, min_high=MAX_MIN_SIZE, high=MAX_SIZE, what="ledgers"
    )


@st.composite
def _ledger(draw: st.DrawFn, *, min_size: int, max_size: int, register: Any) -> list[Any]:
    count = draw(st.integers(min_size, max_size))
    # A ledger that records confirmations of receipt records one for every shipment
    # (Section III(b)); one without any leaves the rule on confirmations unchecked.
    confirms = draw(st.booleans())
    records: list[Any] = []
    for index in range(count):
        shipment = draw(shipments(register=register))
        cert = shipment.certificate
        assert cert is not None
        cert = attrs.evolve(cert, number=f"{cert.issuing_country}{index:08d}")
        shipment = attrs.evolve(shipment, certificate=cert)
        kind = (
            "confirmed shipment"
            if confirms
            else draw(st.sampled_from(("certificate", "shipment")))
        )
        if kind == "certificate":
            records.append(cert)
        else:
            records.append(shipment)
        if kind == "confirmed shipment":
            records.append(_confirmation(shipment, draw(st.integers(0, 30))))
    return records


def ledgers(
    *, min_size: int = 0, max_size: int = 5, register: Any = None
) -> st.SearchStrategy[list[Certificate | Shipment | ImportConfirmation]]:
    """Return a strategy for valid ledgers: certificates, shipments and import confirmations.

    Between `min_size` and `max_size` certificates, each standalone or carried by a
    shipment; or, in a ledger that records confirmations of receipt, each carried by a
    shipment and confirmed by an import confirmation that matches it (Section III(b): the
    receipt of every shipment is confirmed). Certificate numbers are unique. Shrinks towards
    fewer, simpler records.

    Parameters
    ----------
    min_size, max_size : int
        Bounds on the number of certificates: `min_size` from 0 to 50, `max_size` from 0
        to 1,000 (drawn ledgers rarely hold more than a few dozen certificates).
    register : kpmodel.participants.Register, optional

    Raises
    ------
    InvalidStrategyArgumentError
        When the strategy is made (not when it is drawn from), for bounds that are not
        ints in those ranges or out of order and a `register` that is not a
        `kpmodel.participants.Register`.

    Examples
    --------
    >>> from hypothesis import given
    >>> from kpmodel.testing.strategies import ledgers
    >>> @given(ledgers(max_size=3))
    ... def test_valid(ledger):
    ...     assert kp.check(ledger).ok
    >>> test_valid()
    """
    least, most = ledger_bounds("ledgers", min_size, max_size)
    return _ledger(
        min_size=least, max_size=most, register=register_or_default("ledgers", register)
    )
