"""Hypothesis strategies for evidence (situations) and conflict-diamond definitions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from kpmodel._boundary import show
from kpmodel.definitions import (
    BUILTIN_NAMES,
    Actor,
    Clause,
    Definition,
    Designation,
    Harm,
    Link,
    Outcome,
    Period,
    Place,
    Scale,
    Situation,
    Status,
    Target,
    actor_in,
    designated_by,
    during,
    get,
    harm_in,
    link_in,
    place_in,
    scale_in,
    target_in,
)
from kpmodel.testing._arguments import flag, refuse, whole

# A few real codes and zones, enough to make geography tests hit and miss.
_COUNTRIES = ("ZW", "CF", "RU", "CD", "AO", "SL", "CI", "VE", "BW")
_ZONES = ("Marange", "Berbérati", "Lunda Norte")
_AUTHORITIES = ("UNSC", "KP", "EU", "G7", "US-State-Department")
_FIRST, _LAST = dt.date(1990, 1, 1), dt.date(2030, 12, 31)


def places() -> st.SearchStrategy[Place]:
    """Return a strategy for `Place`: a country, sometimes with a zone.

    Shrinks towards the first country without a zone.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(kp.testing.strategies.places())
    ... def test(place): assert place.country
    """
    return st.builds(Place, st.sampled_from(_COUNTRIES), zone=st.none() | st.sampled_from(_ZONES))


@st.composite
def periods(draw: st.DrawFn) -> Period:
    """Return a strategy for `Period` between 1990 and 2030, sometimes open-ended.

    Shrinks towards 1 January 1990 with no end.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(kp.testing.strategies.periods())
    ... def test(period): assert period.end is None or period.start <= period.end
    """
    start = draw(st.dates(_FIRST, _LAST))
    end = draw(st.none() | st.dates(start, _LAST))
    return Period(start, end)


@st.composite
def designations(draw: st.DrawFn) -> Designation:
    """Return a strategy for `Designation` by one of the usual authorities.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(kp.testing.strategies.designations())
    ... def test(d): assert d.authority
    """
    period = draw(periods())
    authority = draw(st.sampled_from(_AUTHORITIES))
    return Designation(authority, f"{authority} measure", period.start, period.end)


def _maybe_set(members: Any) -> st.SearchStrategy[Any]:
    return st.none() | st.frozensets(st.sampled_from(list(members)), max_size=4)


def situations() -> st.SearchStrategy[Situation]:
    """Return a strategy for `Situation`: any mix of known and unknown (None) evidence.

    Shrinks towards a situation whose every tested field is unknown.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(kp.testing.strategies.situations())
    ... def test(s): assert kp.definitions.KPCS_2003(s).outcome is not None
    """
    return st.builds(
        Situation,
        place=places(),
        period=periods(),
        actor=st.none() | st.sampled_from(list(Actor)),
        harms=_maybe_set(Harm),
        link=_maybe_set(Link),
        target=st.none() | st.sampled_from(list(Target)),
        scale=st.none() | st.sampled_from(list(Scale)),
        designations=st.lists(designations(), max_size=2).map(tuple),
        sources=st.just(("generated",)),
    )


@st.composite
def _member_test(draw: st.DrawFn, factory: Any, members: Any) -> Any:
    pool = list(members)
    accepted = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique=True))
    rest = [m for m in pool if m not in accepted]
    unclear = draw(st.lists(st.sampled_from(rest), max_size=2, unique=True)) if rest else []
    return factory(*accepted, unclear=unclear)


def _component_tests() -> st.SearchStrategy[Any]:
    return st.one_of(
        _member_test(actor_in, Actor),
        _member_test(harm_in, Harm),
        _member_test(link_in, Link),
        _member_test(target_in, Target),
        _member_test(scale_in, Scale),
        st.lists(places(), min_size=1, max_size=2).map(lambda ps: place_in(*ps)),
        periods().map(lambda p: during(p.start, p.end)),
        st.tuples(
            st.lists(st.sampled_from(_AUTHORITIES), min_size=1, max_size=2),
            st.sampled_from([Outcome.OUT, Outcome.UNDETERMINED]),
        ).map(lambda a: designated_by(*a[0], when_absent=a[1])),
    )


def clauses(*, name: str = "clause") -> st.SearchStrategy[Clause]:
    """Return a strategy for `Clause`: an AND of one to four component tests.

    Parameters
    ----------
    name : str, default "clause"
        The clauses' name (non-empty text); checked when the strategy is made.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(kp.testing.strategies.clauses())
    ... def test(c): assert c.tests
    """
    if not isinstance(name, str) or not name:
        refuse("clauses", "name", f"must be a non-empty text, got {show(name)}")
    return st.lists(_component_tests(), min_size=1, max_size=4).map(
        lambda tests: Clause(name=name, tests=tuple(tests))
    )


@st.composite
def _plain_definitions(draw: st.DrawFn, max_clauses: int) -> Definition:
    if draw(st.booleans()):
        builtin: Definition = get(draw(st.sampled_from(BUILTIN_NAMES)))
        return builtin
    count = draw(st.integers(1, max_clauses))
    number = draw(st.integers(0, 99))
    return Definition(
        name=f"GENERATED_{number}",
        clauses=tuple(draw(clauses(name=f"clause-{i}")) for i in range(count)),
        status=Status.PROPOSAL,
        date=dt.date(2026, 1, 1),
        references=("generated by kpmodel.testing.strategies.definitions()",),
        wording="generated",
    )


def definitions(*, max_clauses: int = 3, negation: bool = True) -> st.SearchStrategy[Definition]:
    """Return a strategy for `Definition`: built-ins, generated ones, and combinations.

    Combinations use ``|`` and ``&`` (and ``~`` unless `negation` is false; without ``~``
    every generated definition is monotone in its actor sets). Shrinks towards a single
    built-in definition.

    Parameters
    ----------
    max_clauses : int, default 3
        The most clauses of a generated definition (at least 1).
    negation : bool, default True
        Whether combinations may negate a definition.

    Raises
    ------
    InvalidStrategyArgumentError
        When the strategy is made (not when it is drawn from), for a `max_clauses` that is
        not an int of at least 1 and a `negation` that is not a bool.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(kp.testing.strategies.definitions(negation=False))
    ... def test(d): assert d.name
    """
    base = _plain_definitions(whole("definitions", "max_clauses", max_clauses, low=1, high=None))
    negation = flag("definitions", "negation", negation)

    def extend(children: st.SearchStrategy[Definition]) -> st.SearchStrategy[Definition]:
        pairs = st.tuples(children, children)
        options = [pairs.map(lambda p: p[0] | p[1]), pairs.map(lambda p: p[0] & p[1])]
        if negation:
            options.append(children.map(lambda d: ~d))
        return st.one_of(options)

    return st.recursive(base, extend, max_leaves=4)
