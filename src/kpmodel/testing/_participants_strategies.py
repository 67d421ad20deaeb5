"""Hypothesis strategies for registers of participants."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, NoReturn

from hypothesis import strategies as st

from kpmodel._boundary import participant_code, show
from kpmodel.errors import InvalidArgumentError
from kpmodel.participants import Membership, Participant, Register, Status, StatusEvent
from kpmodel.testing._arguments import InvalidStrategyArgumentError, codes, refuse, sequence, whole

__all__ = ["InvalidStrategyArgumentError", "registers"]

#: A union of two member states, to exercise memberships that start and end.
_UNIONS: Mapping[str, Sequence[str]] = MappingProxyType({"EU": ("BE", "DE")})
#: The most status events per participant that `registers` accepts.
MAX_EVENTS = 1_000


def registers(
    *,
    states: Sequence[str] = ("BW", "CF", "VE", "ZW"),
    unions: Mapping[str, Sequence[str]] = _UNIONS,
    zones: Sequence[str] = ("Nola", "Marange", "Orapa"),
    min_date: dt.date = dt.date(2000, 1, 1),
    max_date: dt.date = dt.date(2030, 1, 1),
    max_events: int = 5,
) -> st.SearchStrategy[Register]:
    """Generate registers of a few participants with random status histories.

    Each participant (every code of `states`, then every union of `unions`) gets up to
    `max_events` status events on distinct dates, of any `Status`: a restricted participant
    may trade only from up to two of `zones` (its compliant zones), a participant in good
    standing may have up to two of `zones` barred. Each member of a union belongs to it
    from a random date (or always) to a random later date (or still). Unlike
    ``Register.default()``, such registers change often, so code that reads a register
    (``audit``, ``check``) meets every status, zone rule and membership edge.

    Parameters
    ----------
    states : sequence of str
        The country codes of the participants that are states (distinct ISO 3166-1
        alpha-2 codes, in capitals).
    unions : mapping of str to sequence of str
        Each union's code and the country codes of its members (none of `states`).
    zones : sequence of str
        The zones that status events may name (non-empty text).
    min_date, max_date : datetime.date
        The range of event and membership dates (dates, not datetimes).
    max_events : int
        The most status events of one participant (it may have none), at most 1,000.

    Raises
    ------
    InvalidStrategyArgumentError
        When the strategy is made (not when it is drawn from), for arguments it cannot
        use: a text where a sequence of codes belongs (``states="BW"`` would be the codes
        ``"B"`` and ``"W"``), codes that are not participant codes or given twice, a union
        code among `states`, zones that are not text, dates that are not
        ``datetime.date`` or out of order, a `max_events` that is not an int from 0 to 1,000.
        It is both a `kpmodel.errors.InvalidArgumentError` and a
        ``hypothesis.errors.InvalidArgument``: until this check, out-of-order dates failed
        with Hypothesis' InvalidArgument when drawn, and handlers of either still catch it.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from kpmodel.testing.strategies import registers
    >>> @settings(max_examples=5)
    ... @given(registers(states=("BW", "CF")))
    ... def test_codes(register):
    ...     assert [p.code for p in register.participants] == ["BW", "CF", "EU"]
    ...     assert isinstance(register.may_trade("CF", on="2015-06-01"), bool)
    >>> test_codes()
    >>> registers(states="BW")
    Traceback (most recent call last):
    ...
    kpmodel.testing.strategies.InvalidStrategyArgumentError: registers(states=...): must be a ...
    """
    states = tuple(_codes(states, "states"))
    unions = _unions(unions, states)
    zones = _zones(zones)
    for name, day in (("min_date", min_date), ("max_date", max_date)):
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            _refuse(name, f"must be a datetime.date (not a datetime or text), got {show(day)}")
    if min_date > max_date:
        _refuse("min_date", f"{min_date!r} is after max_date={max_date!r}; swap them")
    events = whole(
        "registers",
        "max_events",
        max_events,
        low=0,
        high=MAX_EVENTS,
        why=" (a Hypothesis example holds a few thousand values at most)",
    )
    return _registers(
        states=states,
        unions=unions,
        zones=zones,
        min_date=min_date,
        max_date=max_date,
        max_events=events,
    )


def _refuse(name: str, problem: str) -> NoReturn:
    refuse("registers", name, problem)


def _codes(value: object, name: str) -> list[str]:
    return codes("registers", name, value, distinct=True)


def _unions(value: object, states: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, Mapping):
        _refuse("unions", f"must be a mapping of union code to member codes, got {show(value)}")
    unions = {}
    for code, members in value.items():
        try:
            participant_code(code, path=f"unions key {show(code)}", error=InvalidArgumentError)
        except InvalidArgumentError as error:
            _refuse("unions", str(error))
        if code in states:
            _refuse("unions", f"{code!r} is a union and one of states; give it once")
        unions[code] = tuple(_codes(members, f"unions[{code!r}]"))
    return unions


def _zones(value: object) -> tuple[str, ...]:
    zones = sequence("registers", "zones", value, "zone names")
    odd = [zone for zone in zones if not isinstance(zone, str) or not zone.strip()]
    if odd:
        _refuse("zones", f"must be non-empty text, got {show(odd)}")
    return tuple(zones)


@st.composite
def _registers(
    draw: st.DrawFn,
    *,
    states: tuple[str, ...],
    unions: Mapping[str, Sequence[str]],
    zones: tuple[str, ...],
    min_date: dt.date,
    max_date: dt.date,
    max_events: int,
) -> Register:
    dates = st.dates(min_date, max_date)
    # attrs' mypy plugin types the tuple and frozenset converters' argument as an unsolved
    # Iterable[_T_co] that no value matches; the register's own reader passes Any too.
    participants: list[Any] = []
    for code in [*states, *unions]:
        days = draw(st.lists(dates, max_size=max_events, unique=True))
        events: list[Any] = []
        for on in sorted(days):
            status = draw(st.sampled_from(list(Status)))
            named: Any = draw(st.sets(st.sampled_from(list(zones)), max_size=2)) if zones else ()
            events.append(
                StatusEvent(
                    on=on,
                    status=status,
                    summary="",
                    sources=(),
                    zones=named if status is Status.RESTRICTED else (),
                    excluded_zones=named if status is Status.PARTICIPANT else (),
                )
            )
        members: list[Any] = []
        for country in () if code in states else unions[code]:
            start, end = sorted(draw(st.lists(dates, min_size=2, max_size=2)))
            members.append(
                Membership(
                    country=country,
                    start=draw(st.none() | st.just(start)),
                    end=draw(st.none() | st.just(end)),
                )
            )
        kind = "state" if code in states else "union"
        participants.append(
            Participant(code=code, name=code, kind=kind, events=events, members=members)
        )
    return Register(participants=participants)
