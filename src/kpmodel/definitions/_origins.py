"""Verdicts on diamonds of one origin: the situations there, in force at the time judged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from kpmodel._boundary import show
from kpmodel.definitions._calling import judge, name_of
from kpmodel.definitions._casebook import CaseBook
from kpmodel.definitions._definition import Verdict, _combine
from kpmodel.definitions._evidence import Period, Place, Situation
from kpmodel.definitions._vocabulary import Outcome
from kpmodel.errors import InvalidArgumentError

IN, OUT, UNDETERMINED = Outcome.IN, Outcome.OUT, Outcome.UNDETERMINED

#: The verdict on carats of unknown origin: no definition can say.
UNKNOWN_VERDICT = Verdict(outcome=UNDETERMINED)


def situation_list(situations: Any) -> list[Situation]:
    """Return the situations of a case book, a mapping, one situation or an iterable."""
    if isinstance(situations, CaseBook):
        items: Iterable[Any] = situations.situations().values()
    elif isinstance(situations, Mapping):
        items = situations.values()
    elif isinstance(situations, Situation):
        items = [situations]
    elif isinstance(situations, Iterable) and not isinstance(situations, str | bytes):
        items = situations
    else:
        msg = (
            "situations must be a CaseBook, a mapping or an iterable of "
            f"kpmodel.definitions.Situation; got {show(situations)}: pass "
            "kpmodel.definitions.CaseBook.default() for the shipped case book"
        )
        raise InvalidArgumentError(msg)
    out = list(items)
    for i, s in enumerate(out):
        if not isinstance(s, Situation):
            msg = f"situations[{i}] must be a kpmodel.definitions.Situation; got {show(s)}"
            raise InvalidArgumentError(msg)
    return out


def in_force(situations: Iterable[Situation], when: dt.date | Period | None) -> list[Situation]:
    """Return the situations running at `when` (a day, or some day of a period); all if None."""
    if when is None:
        return list(situations)
    window = when if isinstance(when, Period) else Period(when, when)
    return [s for s in situations if s.period.overlaps(window)]


#: Verdicts already judged, by the ids of the definition and the situation and the day or
#: period: a situation's verdict does not depend on the origin it is asked for. Each entry
#: holds the definition and the situation too, so that no id is reused while it is kept.
Judged = dict[tuple[int, int, Any], tuple[Any, Situation, Verdict]]


def judged_once(
    definition: Any, situation: Situation, on: dt.date | Period | None, judged: Judged | None
) -> Verdict:
    """Return `judge` of `situation` by `definition` as of `on`, kept in `judged` if given."""
    if judged is None:
        return judge(definition, situation, on)
    key = (id(definition), id(situation), on)
    if key not in judged:
        judged[key] = (definition, situation, judge(definition, situation, on))
    return judged[key][2]


def place_verdict(
    definition: Any,
    origin: Place,
    situations: Iterable[Situation],
    on: dt.date | Period | None,
    judged: Judged | None = None,
) -> Verdict:
    """Return the verdict on diamonds of one origin: Kleene OR over the situations there.

    A situation recorded for a zone makes a country-level origin UNDETERMINED when IN: the
    origin's diamonds may or may not come from that zone. So does any situation whose place
    may overlap the origin's without containing it (`Place.may_overlap`): a site recorded
    without its zone may lie in the situation's zone. No situation means OUT. With
    `judged`, each situation is judged once for every origin (`judged_once`).
    """
    parts = []
    for s in situations:
        if s.place.contains(origin):
            parts.append(judged_once(definition, s, on, judged))
        elif s.place.may_overlap(origin):
            verdict = judged_once(definition, s, on, judged)
            if verdict.outcome is IN:
                verdict = attrs.evolve(verdict, outcome=UNDETERMINED)
            parts.append(verdict)
    return kleene_any(parts, name_of(definition))


def origin_verdict(
    definition: Any,
    origin: Place,
    situations: Iterable[Situation],
    when: dt.date | Period | None,
    judged: Judged | None = None,
) -> Verdict:
    """Return the verdict on diamonds of `origin` produced at `when`.

    Only the situations in force at `when` count (the situation when the carats were
    produced), each judged as of `when`. With `when` None, every situation counts, each
    judged over its own period.
    """
    here = in_force([s for s in situations if s.place.country == origin.country], when)
    if not here:  # the common case in bulk: nothing on record there and then
        return Verdict(outcome=OUT, definition=name_of(definition))
    return place_verdict(definition, origin, here, when, judged)


def kleene_any(parts: list[Verdict], name: str) -> Verdict:
    """Return the Kleene OR of `parts` (OUT when empty) with their reasons, named `name`."""
    outcome = OUT
    for part in parts:
        outcome = outcome | part.outcome
    return _combine(outcome, parts, name)
