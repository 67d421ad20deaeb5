"""Definitions as data: an OR of clauses, each an AND of component tests, in three-valued logic."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Protocol

import attrs

from kpmodel._boundary import as_date, distinct_records, guarded, one_of_validator, show
from kpmodel.definitions._evidence import Period, Place, Situation
from kpmodel.definitions._vocabulary import (
    Actor,
    Harm,
    Link,
    Outcome,
    Scale,
    Status,
    Target,
    Wording,
    _Vocabulary,
)
from kpmodel.errors import InvalidArgumentError

IN, OUT, UNDETERMINED = Outcome.IN, Outcome.OUT, Outcome.UNDETERMINED

#: The events a definition may judge: where and when the diamonds were mined, their first
#: shipment out of the country of production, or their latest shipment into a country.
EVENTS = ("production", "export", "import")


class ComponentTest(Protocol):
    """One test of a clause: reads a situation over a window and answers IN, OUT or UNDETERMINED.

    `component` names what is tested (the built-in tests use actor, harm, link, target,
    threshold, geography, time and designation). The call returns the outcome and a
    plain-words detail for explanations.
    """

    component: str

    def __call__(self, situation: Situation, window: Period, /) -> tuple[Outcome, str]: ...


def _words(member: _Vocabulary) -> str:
    return str(member.value).replace("_", " ")


def _listing(members: Iterable[_Vocabulary]) -> str:
    return ", ".join(sorted(_words(m) for m in members)) or "nothing"


def _sorted(members: Iterable[_Vocabulary]) -> tuple[Any, ...]:
    return tuple(sorted(members, key=lambda m: m.value))


def _member_set(cls: type[_Vocabulary], what: str, values: Iterable[object]) -> frozenset[Any]:
    try:
        return frozenset(cls.from_text(v) for v in values)
    except ValueError as exc:
        msg = f"{what}: {exc}"
        raise InvalidArgumentError(msg) from None


#: component -> (vocabulary, Situation field, factory name)
_SET_TESTS: dict[str, tuple[type[_Vocabulary], str, str]] = {
    "actor": (Actor, "actor", "actor_in"),
    "harm": (Harm, "harms", "harm_in"),
    "link": (Link, "link", "link_in"),
    "target": (Target, "target", "target_in"),
    "threshold": (Scale, "scale", "scale_in"),
}


@attrs.frozen(repr=False)
class _SetTest:
    """Compares one situation field with a set of accepted (and unclear) members."""

    component: str
    accepted: frozenset[Any]
    unclear: frozenset[Any] = frozenset()
    note: str = attrs.field(default="", eq=False)

    def __call__(self, situation: Situation, window: Period, /) -> tuple[Outcome, str]:
        value = getattr(situation, _SET_TESTS[self.component][1])
        values = value if value is None or isinstance(value, frozenset) else frozenset([value])
        if values is None:
            return UNDETERMINED, f"the evidence does not say which {self.component} it was"
        if hit := values & self.accepted:
            return IN, f"{self.component} {_listing(hit)} is covered"
        if doubt := values & self.unclear:
            why = f": {self.note}" if self.note else ""
            return UNDETERMINED, f"the wording leaves open whether {_listing(doubt)} counts{why}"
        got = _listing(values) if values else f"no {self.component} of these kinds"
        named = _listing(self.accepted)
        return OUT, f"{self.component} {got} is not covered (it names only {named})"

    def widened(self, actors: frozenset[Actor]) -> _SetTest:
        """Return the test with `actors` accepted (only actor tests change)."""
        if self.component != "actor":
            return self
        return attrs.evolve(self, accepted=self.accepted | actors, unclear=self.unclear - actors)

    def __repr__(self) -> str:
        args = [repr(m) for m in _sorted(self.accepted)]
        if self.unclear:
            args.append(f"unclear=({', '.join(repr(m) for m in _sorted(self.unclear))},)")
        return f"{_SET_TESTS[self.component][2]}({', '.join(args)})"


def _set_test(
    component: str, members: Iterable[object], unclear: Iterable[object], note: str
) -> _SetTest:
    cls, _, factory = _SET_TESTS[component]
    accepted = _member_set(cls, factory, members)
    if not accepted:
        msg = f"{factory}() needs at least one member; leave the test out to accept any"
        raise InvalidArgumentError(msg)
    return _SetTest(component, accepted, _member_set(cls, factory, unclear), note)


def actor_in(*actors: Actor | str, unclear: Iterable[Actor | str] = (), note: str = "") -> Any:
    """Return the test "the actor is one of `actors`" (`unclear`: the wording leaves it open).

    Examples
    --------
    >>> d = kp.definitions
    >>> d.actor_in(d.Actor.REBEL_MOVEMENT, unclear=[d.Actor.FOREIGN_STATE_OR_OCCUPIER])
    actor_in(Actor.REBEL_MOVEMENT, unclear=(Actor.FOREIGN_STATE_OR_OCCUPIER,))

    .. versionadded:: 0.1
    """
    return _set_test("actor", actors, unclear, note)


def harm_in(*harms: Harm | str, unclear: Iterable[Harm | str] = (), note: str = "") -> Any:
    """Return the test "at least one harm is one of `harms`".

    Examples
    --------
    >>> kp.definitions.harm_in("forced_labour")
    harm_in(Harm.FORCED_LABOUR)

    .. versionadded:: 0.1
    """
    return _set_test("harm", harms, unclear, note)


def link_in(*links: Link | str, unclear: Iterable[Link | str] = (), note: str = "") -> Any:
    """Return the test "at least one link between diamonds and harm is one of `links`".

    Examples
    --------
    >>> kp.definitions.link_in("used_to_finance")
    link_in(Link.USED_TO_FINANCE)

    .. versionadded:: 0.1
    """
    return _set_test("link", links, unclear, note)


def target_in(*targets: Target | str, unclear: Iterable[Target | str] = (), note: str = "") -> Any:
    """Return the test "the harm targets one of `targets`".

    Examples
    --------
    >>> kp.definitions.target_in("legitimate_government")
    target_in(Target.LEGITIMATE_GOVERNMENT)

    .. versionadded:: 0.1
    """
    return _set_test("target", targets, unclear, note)


def scale_in(*scales: Scale | str, unclear: Iterable[Scale | str] = (), note: str = "") -> Any:
    """Return the threshold test "the harm's scale is one of `scales`".

    Examples
    --------
    >>> kp.definitions.scale_in("widespread_and_systematic")
    scale_in(Scale.WIDESPREAD_AND_SYSTEMATIC)

    .. versionadded:: 0.1
    """
    return _set_test("threshold", scales, unclear, note)


def _places(values: Iterable[Place | str]) -> tuple[Place, ...]:
    places = tuple(v if isinstance(v, Place) else Place.parse(v) for v in values)
    if not places:
        msg = "place_in() needs at least one place; leave the test out to accept anywhere"
        raise InvalidArgumentError(msg)
    return places


@attrs.frozen(repr=False)
class _PlaceTest:
    component: ClassVar[str] = "geography"
    places: tuple[Place, ...] = attrs.field(converter=_places)
    note: str = attrs.field(default="", eq=False)

    def __call__(self, situation: Situation, window: Period, /) -> tuple[Outcome, str]:
        where = situation.place
        if any(p.contains(where) for p in self.places):
            return IN, f"{where} lies in the area the definition covers"
        if any(where.contains(p) for p in self.places):
            inside = ", ".join(str(p) for p in self.places if where.contains(p))
            return UNDETERMINED, f"{where} is wider than the covered area ({inside})"
        if any(where.may_overlap(p) for p in self.places):
            inside = ", ".join(str(p) for p in self.places if where.may_overlap(p))
            return UNDETERMINED, f"{where} may or may not lie in the covered area ({inside})"
        return OUT, f"{where} lies outside the area the definition covers"

    def __repr__(self) -> str:
        return f"place_in({', '.join(repr(str(p)) for p in self.places)})"


def place_in(*places: Place | str, note: str = "") -> Any:
    """Return the geography test "the situation lies in one of `places`".

    Places are `Place` objects or texts ``"CC"`` / ``"CC/zone"``. A situation recorded for a
    whole country is UNDETERMINED against a test naming only a zone of it, and so is one
    recorded at a site whose zone is not recorded (it may lie in that zone).

    Examples
    --------
    >>> kp.definitions.place_in("RU")
    place_in('RU')

    .. versionadded:: 0.1
    """
    return _PlaceTest(places, note)


@attrs.frozen(repr=False)
class _TimeTest:
    component: ClassVar[str] = "time"
    period: Period
    note: str = attrs.field(default="", eq=False)

    def __call__(self, situation: Situation, window: Period, /) -> tuple[Outcome, str]:
        if self.period.overlaps(window):
            return IN, f"the rule applies in {window} (it applies {self.period})"
        return OUT, f"the rule does not apply in {window} (it applies {self.period})"

    def __repr__(self) -> str:
        end = "" if self.period.end is None else f", {self.period.end.isoformat()!r}"
        return f"during({self.period.start.isoformat()!r}{end})"


def during(start: dt.date | str, end: dt.date | str | None = None, *, note: str = "") -> Any:
    """Return the time test "the rule applies on some day of the window being judged".

    Examples
    --------
    >>> kp.definitions.during("2024-01-01")
    during('2024-01-01')

    .. versionadded:: 0.1
    """
    return _TimeTest(Period(start, end), note)


def _authorities(values: Iterable[str]) -> frozenset[str]:
    names = frozenset(str(v).strip().upper() for v in values)
    if not names:
        msg = "designated_by() needs at least one authority such as 'UNSC'"
        raise InvalidArgumentError(msg)
    return names


@attrs.frozen(repr=False)
class _DesignationTest:
    component: ClassVar[str] = "designation"
    authorities: frozenset[str] = attrs.field(converter=_authorities)
    when_absent: Outcome = OUT
    note: str = attrs.field(default="", eq=False)

    def __call__(self, situation: Situation, window: Period, /) -> tuple[Outcome, str]:
        names = ", ".join(sorted(self.authorities))
        for d in situation.designations:
            if d.authority.upper() in self.authorities and d.in_force(window):
                return IN, f"{d.authority} measure in force: {d.reference} ({d.period})"
        absent = f"no {names} measure on record in force in {window}"
        if self.when_absent is UNDETERMINED:
            return UNDETERMINED, f"{absent}; the evidence does not say whether one exists"
        return self.when_absent, absent

    def __repr__(self) -> str:
        args = ", ".join(repr(a) for a in sorted(self.authorities))
        if self.when_absent is not OUT:
            args += f", when_absent={self.when_absent!r}"
        return f"designated_by({args})"


def designated_by(*authorities: str, when_absent: Outcome = Outcome.OUT, note: str = "") -> Any:
    """Return the test "a measure by one of `authorities` was in force during the window".

    `when_absent` is the outcome when no such measure is on record: OUT for public measures
    (UN Security Council bans), UNDETERMINED for lists the evidence rarely records.

    Examples
    --------
    >>> kp.definitions.designated_by("UNSC")
    designated_by('UNSC')

    .. versionadded:: 0.1
    """
    return _DesignationTest(authorities, when_absent, note)


@guarded
@attrs.frozen(kw_only=True)
class Reason:
    """One component result behind a verdict: which clause, which component, what it found.

    Examples
    --------
    >>> v = kp.definitions.KPCS_2003(kp.definitions.CaseBook.default()["russia-2022"])
    >>> r = v.why_not[0]
    >>> (r.definition, r.clause, r.component, r.outcome)
    ('KPCS_2003', 'rebel-financing', 'actor', Outcome.OUT)

    .. versionadded:: 0.1
    """

    definition: str
    clause: str
    component: str
    outcome: Outcome
    detail: str

    def __str__(self) -> str:
        return f"{self.definition} [{self.clause}] {self.component}: {self.detail}"


@guarded
@attrs.frozen(kw_only=True)
class Verdict:
    """What a definition says about a situation, and why.

    Attributes
    ----------
    outcome : Outcome
        IN, OUT or UNDETERMINED.
    because : tuple of Reason
        For IN, the components of the clause(s) that matched; for UNDETERMINED, the components
        that could not be decided.
    why_not : tuple of Reason
        For OUT (and beside UNDETERMINED), the component that failed in each clause.
    definition : str
        The name of the definition that gave the verdict.

    Examples
    --------
    >>> book = kp.definitions.CaseBook.default()
    >>> v = kp.definitions.CANADA_WDC_CSC_2018(book["zimbabwe-marange"])
    >>> v.outcome
    Outcome.IN
    >>> sorted({r.clause for r in v.because})
    ['acquired-through-abuses', 'acquired-through-violence', 'wealth-through-illegal-control']
    >>> print(kp.definitions.G7_RUSSIA_ORIGIN_2024(book["russia-2022"]))
    G7_RUSSIA_ORIGIN_2024: IN because [russian-origin] geography: RU lies in the area the
    definition covers; [russian-origin] time: the rule applies in 2022-01-01 to ongoing (it
    applies 2024-01-01 to ongoing)

    .. versionadded:: 0.1
    """

    outcome: Outcome
    because: tuple[Reason, ...] = ()
    why_not: tuple[Reason, ...] = ()
    definition: str = ""

    def __str__(self) -> str:
        reasons = self.why_not if self.outcome is OUT else self.because
        word = "because" if self.outcome is IN else "since" if reasons else ""
        listed = "; ".join(f"[{r.clause}] {r.component}: {r.detail}" for r in reasons)
        return f"{self.definition or 'verdict'}: {self.outcome.name} {word} {listed}".strip()

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """All reasons: `because` then `why_not`.

        Examples
        --------
        >>> kp.definitions.Verdict(outcome=kp.definitions.Outcome.OUT).reasons
        ()
        """
        return self.because + self.why_not


def _unique(reasons: Iterable[Reason]) -> tuple[Reason, ...]:
    return tuple(dict.fromkeys(reasons))


def _combine(outcome: Outcome, parts: Iterable[Verdict], name: str) -> Verdict:
    parts = list(parts)
    because: Iterable[Reason] = ()
    why_not: Iterable[Reason] = ()
    if outcome is IN:
        because = (r for p in parts if p.outcome is IN for r in p.because)
    elif outcome is OUT:
        why_not = (r for p in parts if p.outcome is OUT for r in p.why_not)
    else:
        because = (r for p in parts if p.outcome is UNDETERMINED for r in p.because)
        why_not = (r for p in parts if p.outcome is OUT for r in p.why_not)
    return Verdict(
        outcome=outcome, because=_unique(because), why_not=_unique(why_not), definition=name
    )


def _tests(value: Iterable[Any]) -> tuple[ComponentTest, ...]:
    tests = tuple(value)
    for test in tests:
        if not callable(test) or not isinstance(getattr(test, "component", None), str):
            msg = (
                f"a clause test must be callable as test(situation, window) with a 'component' "
                f"name; got {show(test)}. Build tests with actor_in(), harm_in(), link_in(), ..."
            )
            raise InvalidArgumentError(msg)
    return tests


@guarded
@attrs.frozen(kw_only=True)
class Clause:
    """One way to be IN: an AND of component tests, with a name and an optional note.

    Examples
    --------
    >>> d = kp.definitions
    >>> c = d.Clause(name="russian-origin", tests=(d.place_in("RU"), d.during("2024-01-01")))
    >>> c
    Clause('russian-origin': place_in('RU') & during('2024-01-01'))

    .. versionadded:: 0.1
    """

    name: str = attrs.field(validator=attrs.validators.min_len(1))
    tests: tuple[ComponentTest, ...] = attrs.field(converter=_tests)
    note: str = attrs.field(default="", eq=False)

    def judge(self, situation: Situation, window: Period, *, definition: str = "") -> Verdict:
        """Return the clause's verdict on `situation` over `window` (AND of its tests).

        Examples
        --------
        >>> d = kp.definitions
        >>> c = d.Clause(name="ru", tests=(d.place_in("RU"),))
        >>> s = d.CaseBook.default()["russia-2022"]
        >>> c.judge(s, s.period).outcome
        Outcome.IN
        """
        reasons = []
        outcome = IN
        for test in self.tests:
            result = test(situation, window)
            found, detail = result if isinstance(result, tuple) else (result, "")
            outcome = outcome & found
            reasons.append(
                Reason(
                    definition=definition,
                    clause=self.name,
                    component=test.component,
                    outcome=found,
                    detail=detail,
                )
            )
        return Verdict(
            outcome=outcome,
            because=tuple(r for r in reasons if outcome is not OUT and r.outcome is outcome),
            why_not=tuple(r for r in reasons if r.outcome is OUT),
            definition=definition,
        )

    def with_actors(self, actors: frozenset[Actor]) -> Clause:
        """Return this clause with `actors` added to its actor test (if it has one).

        Examples
        --------
        >>> d = kp.definitions
        >>> c = d.Clause(name="c", tests=(d.actor_in("rebel_movement"),))
        >>> c.with_actors(frozenset({d.Actor.MILITIA})).tests[0]
        actor_in(Actor.MILITIA, Actor.REBEL_MOVEMENT)
        """
        tests = tuple(t.widened(actors) if isinstance(t, _SetTest) else t for t in self.tests)
        return attrs.evolve(self, tests=tests)

    def __repr__(self) -> str:
        body = " & ".join(repr(t) for t in self.tests) or "always"
        return f"Clause({self.name!r}: {body})"


def _clauses(value: Iterable[Clause]) -> tuple[Clause, ...]:
    return distinct_records(value, Clause, "name", path="clauses")


def _status(value: object) -> Status:
    return Status(Status._of_field(value, path="status"))


def _wording_kind(value: object) -> Wording:
    return Wording(Wording._of_field(value, path="wording_kind"))


def _references(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in value)


def _to_window(situation: Situation, on: object) -> Period:
    if on is None:
        return situation.period
    if isinstance(on, Period):
        return on
    day = as_date(on)  # a date or ISO text; anything else is an InvalidArgumentError
    return Period(day, day)


@guarded
@attrs.frozen(kw_only=True, repr=False)
class Definition:
    """A conflict-diamond definition: an OR of clauses, or a combination of definitions.

    Call it on a `Situation` to get a `Verdict`: ``definition(situation, on=None)``. Without
    `on` the situation is judged over its own period, with the designations and rules in
    force then (a dated test holds if it holds on some day of the period); `on` (a date or a
    `Period`) judges it as of that time instead.

    Combine definitions with ``|``, ``&`` and ``~`` (Kleene's three-valued logic), drop a
    clause with `without`, widen the actors with `with_actors`. Combinations get status
    `Status.COMBINATION` and wording `Wording.DERIVED`.

    Parameters
    ----------
    name : str
        Short identifier, used in tables and reasons (``"KPCS_2003"``).
    clauses : sequence of Clause
        The ways to be IN (for a plain definition).
    status : Status
        In force, proposal, position, adjacent regime, or combination.
    date : datetime.date or None
        When it was adopted, tabled or stated.
    references : sequence of str
        Citations: the public sources of the text (publisher, title, date, URL).
    wording : str
        The text of the definition; `wording_kind` says whether it is verbatim.
    wording_kind : Wording
    title : str
        A human name for figures and explanations.
    notes : str
        How the text was turned into clauses, and what stays open.
    judges : {"production", "export", "import"}
        The event the definition judges, which `Lots.from_graph` uses to date each origin's
        carats: the KPCS judges diamonds where and when they were mined; the G7/EU ban
        restricts imports from 1 January 2024 of diamonds mined in Russia, whenever mined.
        A combination of definitions that judge different events has ``"mixed"``.

    Examples
    --------
    >>> d = kp.definitions
    >>> d.KPCS_2003
    KPCS_2003
    >>> both = d.KPCS_2003 | d.G7_RUSSIA_ORIGIN_2024
    >>> both, both.status
    ((KPCS_2003 | G7_RUSSIA_ORIGIN_2024), Status.COMBINATION)
    >>> both(d.CaseBook.default()["russia-2022"]).outcome
    Outcome.IN

    .. versionadded:: 0.1
    """

    name: str = attrs.field(validator=attrs.validators.min_len(1))
    clauses: tuple[Clause, ...] = attrs.field(default=(), converter=_clauses)
    status: Status = attrs.field(default=Status.COMBINATION, converter=_status)
    date: dt.date | None = None
    references: tuple[str, ...] = attrs.field(default=(), converter=_references)
    wording: str = ""
    wording_kind: Wording = attrs.field(default=Wording.PARAPHRASED, converter=_wording_kind)
    title: str = ""
    notes: str = attrs.field(default="", eq=False)
    operator: str = attrs.field(
        default="any", validator=one_of_validator(("any", "or", "and", "not"))
    )
    operands: tuple[Definition, ...] = ()
    judges: str = attrs.field(default="production", validator=one_of_validator((*EVENTS, "mixed")))

    def __call__(self, situation: Situation, *, on: dt.date | Period | None = None) -> Verdict:
        given: object = situation  # checked at run time: callers may pass anything
        if not isinstance(given, Situation):
            msg = (
                f"a definition judges a kpmodel.definitions.Situation; got {show(given)} "
                f"(type {type(given).__name__})"
            )
            raise InvalidArgumentError(msg)
        return self._judge(situation, _to_window(situation, on))

    def _judge(self, situation: Situation, window: Period) -> Verdict:
        if self.operator == "any":
            parts = [c.judge(situation, window, definition=self.name) for c in self.clauses]
            outcome = OUT
            for part in parts:
                outcome = outcome | part.outcome
            return _combine(outcome, parts, self.name)
        parts = [op._judge(situation, window) for op in self.operands]
        if self.operator == "not":
            (inner,) = parts
            return Verdict(
                outcome=~inner.outcome,
                because=inner.why_not if inner.outcome is OUT else inner.because,
                why_not=inner.because if inner.outcome is IN else inner.why_not,
                definition=self.name,
            )
        outcome = parts[0].outcome
        for part in parts[1:]:
            outcome = outcome | part.outcome if self.operator == "or" else outcome & part.outcome
        return _combine(outcome, parts, self.name)

    # -- combinators --------------------------------------------------------------------------

    def _combination(
        self, operator: str, operands: tuple[Definition, ...], name: str
    ) -> Definition:
        dates = [op.date for op in operands if op.date is not None]
        events = {op.judges for op in operands}
        return Definition(
            judges=events.pop() if len(events) == 1 else "mixed",
            name=name,
            operator=operator,
            operands=operands,
            status=Status.COMBINATION,
            date=max(dates) if dates else None,
            references=tuple(dict.fromkeys(r for op in operands for r in op.references)),
            wording=f" {operator.upper()} ".join(f"[{op.wording}]" for op in operands)
            if operator != "not"
            else f"NOT [{operands[0].wording}]",
            wording_kind=Wording.DERIVED,
            title=name,
        )

    def __or__(self, other: object) -> Definition:
        if not isinstance(other, Definition):
            return NotImplemented
        return self._combination("or", (self, other), f"({self.name} | {other.name})")

    def __and__(self, other: object) -> Definition:
        if not isinstance(other, Definition):
            return NotImplemented
        return self._combination("and", (self, other), f"({self.name} & {other.name})")

    def __invert__(self) -> Definition:
        return self._combination("not", (self,), f"~{self.name}")

    def _map_leaves(self, change: Callable[[Definition], Definition], suffix: str) -> Definition:
        if self.operator == "any":
            leaf = change(self)
        else:
            operands = tuple(op._map_leaves(change, suffix) for op in self.operands)
            leaf = attrs.evolve(self, operands=operands)
        return attrs.evolve(
            leaf,
            name=f"{self.name}{suffix}",
            title=f"{self.title or self.name}{suffix}",
            status=Status.COMBINATION,
            wording_kind=Wording.DERIVED,
        )

    def without(self, clause: str | Clause) -> Definition:
        """Return this definition without the clause named `clause` (in every part).

        Raises
        ------
        kpmodel.errors.InvalidArgumentError
            If no part of the definition has such a clause.

        Examples
        --------
        >>> d = kp.definitions
        >>> narrow = d.KPCS_2003.without("unsc-territorial-measure")
        >>> narrow, [c.name for c in narrow.clauses]
        (KPCS_2003.without('unsc-territorial-measure'), ['rebel-financing'])
        """
        name = clause.name if isinstance(clause, Clause) else clause
        known = sorted({c for _, c, _ in self.components()})
        if not isinstance(name, str) or name not in known:
            msg = f"{self.name} has no clause {show(name)}; its clauses are {known!r}"
            raise InvalidArgumentError(msg)

        def drop(leaf: Definition) -> Definition:
            return attrs.evolve(leaf, clauses=tuple(c for c in leaf.clauses if c.name != name))

        return self._map_leaves(drop, f".without({name!r})")

    def with_actors(self, *actors: Actor | str) -> Definition:
        """Return this definition with `actors` added to every clause that filters on actors.

        Clauses without an actor test already accept any actor and are left alone. For
        definitions without ``~`` this only widens: an IN verdict stays IN.

        Examples
        --------
        >>> d = kp.definitions
        >>> wide = d.KPCS_2003.with_actors(d.Actor.PUBLIC_SECURITY_FORCE)
        >>> wide
        KPCS_2003.with_actors(Actor.PUBLIC_SECURITY_FORCE)
        """
        members = _member_set(Actor, "with_actors", actors)
        if not members:
            msg = "with_actors() needs at least one Actor"
            raise InvalidArgumentError(msg)

        def widen(leaf: Definition) -> Definition:
            return attrs.evolve(leaf, clauses=tuple(c.with_actors(members) for c in leaf.clauses))

        listed = ", ".join(repr(a) for a in _sorted(members))
        return self._map_leaves(widen, f".with_actors({listed})")

    # -- introspection ------------------------------------------------------------------------

    def leaves(self) -> tuple[Definition, ...]:
        """Return the plain (clause-holding) definitions this one is built from.

        Examples
        --------
        >>> [d.name for d in (kp.definitions.KPCS_2003 | kp.definitions.EU_2023).leaves()]
        ['KPCS_2003', 'EU_2023']
        """
        if self.operator == "any":
            return (self,)
        return tuple(leaf for op in self.operands for leaf in op.leaves())

    def components(self) -> frozenset[tuple[str, str, str]]:
        """Return every (definition, clause, component) triple a reason may name.

        Examples
        --------
        >>> ("G7_RUSSIA_ORIGIN_2024", "russian-origin", "time") in (
        ...     kp.definitions.G7_RUSSIA_ORIGIN_2024.components())
        True
        """
        return frozenset(
            (leaf.name, clause.name, test.component)
            for leaf in self.leaves()
            for clause in leaf.clauses
            for test in clause.tests
        )

    def describe(self) -> str:
        """Return a readable account of the definition: standing, wording, clauses and sources.

        Examples
        --------
        >>> print(kp.definitions.G7_RUSSIA_ORIGIN_2024.describe())  # doctest: +ELLIPSIS
        G7_RUSSIA_ORIGIN_2024: G7/EU ban on Russian-origin diamonds (adjacent regime, 2024-01-01)
        ...
        """
        when = self.date.isoformat() if self.date else "undated"
        lines = [f"{self.name}: {self.title or self.name} ({_words(self.status)}, {when})"]
        lines.append(f"  judges: {self.judges}")
        if self.wording:
            lines.append(f"  wording ({_words(self.wording_kind)}): {self.wording}")
        for leaf in self.leaves():
            prefix = f"{leaf.name} " if leaf is not self else ""
            for clause in leaf.clauses:
                lines.append(f"  {prefix}clause {clause!r}")
                if clause.note:
                    lines.append(f"    note: {clause.note}")
        if self.notes:
            lines.append(f"  notes: {self.notes}")
        lines.extend(f"  source: {ref}" for ref in self.references)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.name
