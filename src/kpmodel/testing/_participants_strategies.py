"""Hypothesis strategies for registers of participants."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from kpmodel.participants import Membership, Participant, Register, Status, StatusEvent

__all__ = ["registers"]

#: A union of two member states, to exercise memberships that start and end.
_UNIONS: Mapping[str, Sequence[str]] = MappingProxyType({"EU": ("BE", "DE")})


@st.composite
def registers(
    draw: st.DrawFn,
    *,
    states: Sequence[str] = ("BW", "CF", "VE", "ZW"),
    unions: Mapping[str, Sequence[str]] = _UNIONS,
    zones: Sequence[str] = ("Nola", "Marange", "Orapa"),
    min_date: dt.date = dt.date(2000, 1, 1),
    max_date: dt.date = dt.date(2030, 1, 1),
    max_events: int = 5,
) -> Register:
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
        The country codes of the participants that are states.
    unions : mapping of str to sequence of str
        Each union's code and the country codes of its members (none of `states`).
    zones : sequence of str
        The zones that status events may name.
    min_date, max_date : datetime.date
        The range of event and membership dates.
    max_events : int
        The most status events of one participant (it may have none).

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
    """
    if min_date > max_date:
        msg = f"registers: min_date={min_date!r} is after max_date={max_date!r}"
        raise InvalidArgument(msg)
    if max_events < 0:
        msg = f"registers: max_events must be at least 0 (got {max_events!r})"
        raise InvalidArgument(msg)
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
