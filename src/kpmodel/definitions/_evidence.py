"""Evidence: where and when something happened, who did it, and what it did."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from typing import Any, TypeVar

import attrs

from kpmodel._boundary import as_date, guarded, participant_code, show
from kpmodel.definitions._vocabulary import Actor, Harm, Link, Scale, Target, _Vocabulary
from kpmodel.errors import InvalidRecordError

E = TypeVar("E", bound=_Vocabulary)


def parse_day(value: object, *, last: bool = False, path: str = "") -> dt.date:
    """Return a date from a date or an ISO text of a year, a month or a day.

    A year or a month stands for its first day, or its last day when `last` is true, so
    ``Period("2008-10", "2011")`` runs from 1 October 2008 to 31 December 2011.
    """
    # A datetime is refused, as everywhere in kpmodel: evidence is dated by calendar day.
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        parts = value.strip().split("-")
        try:
            numbers = [int(p) for p in parts]
            if len(numbers) == 1 and len(parts[0]) == 4:
                return dt.date(numbers[0], 12, 31) if last else dt.date(numbers[0], 1, 1)
            if len(numbers) == 2:
                year, month = numbers
                day = calendar.monthrange(year, month)[1] if last else 1
                return dt.date(year, month, day)
            if len(numbers) == 3:
                return as_date(value, path=path, error=InvalidRecordError)
        except ValueError:
            pass
    msg = (
        f"must be a date or an ISO text 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'; got {show(value)}. "
        "Write the date as the source gives it, to the precision it gives."
    )
    raise InvalidRecordError(msg, path=path)


def _start(value: object) -> dt.date:
    return parse_day(value, path="start")


def _end(value: object) -> dt.date | None:
    return None if value is None else parse_day(value, last=True, path="end")


def _end_after_start(instance: Any, attribute: Any, value: Any) -> None:
    if instance.end is not None and instance.end < instance.start:
        msg = f"must not be before start {instance.start.isoformat()}; got {instance.end!r}"
        raise InvalidRecordError(msg, path="end")


@guarded
@attrs.frozen
class Period:
    """A span of days: `start`, and `end` (inclusive) or None while it is still running.

    Parameters
    ----------
    start : datetime.date or str
        First day. A text ``"2008"`` or ``"2008-10"`` means the first day of that year or month.
    end : datetime.date or str or None, optional
        Last day; a year or month text means its last day. None: open (still running, or the
        end is not known).

    Examples
    --------
    >>> p = kp.definitions.Period("2008-10", "2011")
    >>> p
    Period(start=datetime.date(2008, 10, 1), end=datetime.date(2011, 12, 31))
    >>> p.contains(kp.definitions.Period("2010").start)
    True

    .. versionadded:: 0.1
    """

    start: dt.date = attrs.field(converter=_start)
    end: dt.date | None = attrs.field(default=None, converter=_end, validator=_end_after_start)

    def contains(self, day: dt.date) -> bool:
        """Return whether `day` falls in this period.

        Examples
        --------
        >>> import datetime as dt
        >>> kp.definitions.Period("2013-05-23").contains(dt.date(2030, 1, 1))
        True
        """
        return self.start <= day and (self.end is None or day <= self.end)

    def overlaps(self, other: Period) -> bool:
        """Return whether the two periods share at least one day.

        Examples
        --------
        >>> P = kp.definitions.Period
        >>> P("2005-12", "2014-04-29").overlaps(P("2014"))
        True
        """
        return self.intersection(other) is not None

    def intersection(self, other: Period) -> Period | None:
        """Return the days both periods share, or None.

        Examples
        --------
        >>> P = kp.definitions.Period
        >>> P("2022").intersection(P("2021", "2022-03"))
        Period(start=datetime.date(2022, 1, 1), end=datetime.date(2022, 3, 31))
        """
        start = max(self.start, other.start)
        ends = [e for e in (self.end, other.end) if e is not None]
        end = min(ends) if ends else None
        if end is not None and end < start:
            return None
        return Period(start, end)

    def __str__(self) -> str:
        end = "ongoing" if self.end is None else self.end.isoformat()
        return f"{self.start.isoformat()} to {end}"


def _country(value: object) -> str:
    # Upper-case codes only, as everywhere in kpmodel ('zw' is refused, naming 'ZW').
    return participant_code(value, path="country")


def _optional_text(value: object, path: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip():
        return value.strip()
    msg = f"must be a non-empty text or None; got {show(value)}"
    raise InvalidRecordError(msg, path=path)


def _zone(value: object) -> str | None:
    return _optional_text(value, "zone")


def _site(value: object) -> str | None:
    return _optional_text(value, "site")


@guarded
@attrs.frozen
class Place:
    """Where: a country (ISO 3166-1 alpha-2), and optionally a zone and a site in it.

    A place without a zone stands for the whole country. Zones are plain strings as the
    sources spell them ("Marange", "Berbérati").

    Examples
    --------
    >>> marange = kp.definitions.Place(country="ZW", zone="Marange")
    >>> str(marange)
    'ZW/Marange'
    >>> kp.definitions.Place(country="ZW").contains(marange)
    True

    .. versionadded:: 0.1
    """

    country: str = attrs.field(converter=_country)
    zone: str | None = attrs.field(default=None, converter=_zone)
    site: str | None = attrs.field(default=None, converter=_site)

    def contains(self, other: Place) -> bool:
        """Return whether `other` lies inside this place (a country contains its zones).

        Examples
        --------
        >>> P = kp.definitions.Place
        >>> P(country="CF", zone="Berbérati").contains(P(country="CF"))
        False
        """
        return (
            self.country == other.country
            and (self.zone is None or self.zone == other.zone)
            and (self.site is None or self.site == other.site)
        )

    def may_overlap(self, other: Place) -> bool:
        """Return whether the two places may share ground, as far as they are recorded.

        They do when they are in the same country and, at each level (zone, site), one of
        them leaves it unrecorded or both name the same: a place contains the other, or a
        site whose zone is not recorded may lie in a recorded zone.

        Examples
        --------
        >>> P = kp.definitions.Place
        >>> P(country="ZW", site="s2").may_overlap(P(country="ZW", zone="Marange"))
        True
        >>> P(country="ZW", zone="Bikita").may_overlap(P(country="ZW", zone="Marange"))
        False

        .. versionadded:: 0.2
        """
        return (
            self.country == other.country
            and (self.zone is None or other.zone is None or self.zone == other.zone)
            and (self.site is None or other.site is None or self.site == other.site)
        )

    @classmethod
    def parse(cls, text: str) -> Place:
        """Return the place written as ``"CC"``, ``"CC/zone"`` or ``"CC/zone/site"``.

        Examples
        --------
        >>> kp.definitions.Place.parse("CF/Berbérati")
        Place(country='CF', zone='Berbérati', site=None)
        """
        parts = [p.strip() for p in str(text).split("/")]
        if not 1 <= len(parts) <= 3:
            msg = f"must be written 'CC', 'CC/zone' or 'CC/zone/site'; got {show(text)}"
            raise InvalidRecordError(msg, path="place")
        return cls(*parts)

    def __str__(self) -> str:
        return "/".join(p for p in (self.country, self.zone, self.site) if p is not None)


def _nonempty(value: object, path: str) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    msg = f"must be a non-empty text; got {show(value)}"
    raise InvalidRecordError(msg, path=path)


def _authority(value: object) -> str:
    return _nonempty(value, "authority")


def _reference(value: object) -> str:
    return _nonempty(value, "reference")


@guarded
@attrs.frozen
class Designation:
    """An outside body's measure on a place, with its dates (a UNSC ban, a KP decision, ...).

    Parameters
    ----------
    authority : str
        Who decided: ``"UNSC"``, ``"KP"``, ``"EU"``, ``"G7"``, ``"US-State-Department"``, ...
    reference : str
        The instrument, as the source names it.
    start, end : datetime.date or str
        When it took and (optionally) ceased to have effect; texts as for `Period`.

    Examples
    --------
    >>> d = kp.definitions.Designation("UNSC", "Côte d'Ivoire rough-diamond import ban",
    ...                                "2005-12", "2014-04-29")
    >>> d.in_force(kp.definitions.Period("2014-04-01", "2014-04-30"))
    True

    .. versionadded:: 0.1
    """

    authority: str = attrs.field(converter=_authority)
    reference: str = attrs.field(converter=_reference)
    start: dt.date = attrs.field(converter=_start)
    end: dt.date | None = attrs.field(default=None, converter=_end, validator=_end_after_start)

    @property
    def period(self) -> Period:
        """The days this designation was in force.

        Examples
        --------
        >>> str(kp.definitions.Designation("KP", "AD", "2013-05-23").period)
        '2013-05-23 to ongoing'
        """
        return Period(self.start, self.end)

    def in_force(self, window: Period) -> bool:
        """Return whether the designation was in force on some day of `window`.

        Examples
        --------
        >>> d = kp.definitions.Designation("G7", "Russian-origin ban", "2024-01-01")
        >>> d.in_force(kp.definitions.Period("2023", "2023"))
        False
        """
        return self.period.overlaps(window)


def _member(cls: type[E], path: str, value: object) -> E | None:
    if value is None:
        return None
    return cls._of_field(value, path=path)  # type: ignore[return-value]  # a cls member


def _members(cls: type[E], path: str, value: object) -> frozenset[E] | None:
    if value is None:
        return None
    if isinstance(value, (str, _Vocabulary)):
        value = [value]
    if not isinstance(value, Iterable):
        msg = f"must be a set of {cls.__name__} members or None; got {show(value)}"
        raise InvalidRecordError(msg, path=path)
    members: list[E] = []
    for i, item in enumerate(value):
        member = _member(cls, f"{path}[{i}]", item)
        if member is not None:
            members.append(member)
    return frozenset(members)


def _actor(value: object) -> Actor | None:
    return _member(Actor, "actor", value)


def _harms(value: object) -> frozenset[Harm] | None:
    return _members(Harm, "harms", value)


def _link(value: object) -> frozenset[Link] | None:
    return _members(Link, "link", value)


def _target(value: object) -> Target | None:
    return _member(Target, "target", value)


def _scale(value: object) -> Scale | None:
    return _member(Scale, "scale", value)


def _check_place(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, Place):
        msg = f"must be a Place; got {show(value)} (type {type(value).__name__})"
        raise InvalidRecordError(msg, path="place")


def _check_period(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, Period):
        msg = f"must be a Period; got {show(value)} (type {type(value).__name__})"
        raise InvalidRecordError(msg, path="period")


def _designations(value: object) -> tuple[Designation, ...]:
    items = tuple(value) if isinstance(value, Iterable) else (value,)
    for i, item in enumerate(items):
        if not isinstance(item, Designation):
            msg = f"must be a Designation; got {show(item)}"
            raise InvalidRecordError(msg, path=f"designations[{i}]")
    return items


def _sources(value: object) -> tuple[str, ...]:
    items = (value,) if isinstance(value, str) or not isinstance(value, Iterable) else value
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            msg = f"must be a non-empty citation text; got {show(item)}"
            raise InvalidRecordError(msg, path=f"sources[{i}]")
        out.append(item.strip())
    return tuple(out)


@guarded
@attrs.frozen(kw_only=True)
class Situation:
    """A sourced record of what happened where and when: the evidence definitions judge.

    Each field a definition may test can be None, meaning "the evidence does not say";
    a definition that needs it then answers `Outcome.UNDETERMINED`. An empty `harms` set
    means "no harm of these kinds was found", which is different from None.

    Parameters
    ----------
    place : Place
        Country, and optionally zone or site.
    period : Period
        When it happened (end None: ongoing).
    actor : Actor or None
        Whose conduct this is. Record several actors as several situations.
    harms : set of Harm or None
        What was done.
    link : Link, set of Link, or None
        How the diamonds relate to the harm (several links may hold at once).
    target : Target or None
        Whom the harm was aimed at.
    scale : Scale or None
        How grave or extensive the harm was.
    designations : sequence of Designation
        Outside measures on the place, each with its dates.
    sources : sequence of str
        Citations (plain strings).
    title, notes : str
        Free text for people.

    Examples
    --------
    >>> d = kp.definitions
    >>> s = d.Situation(
    ...     place=d.Place(country="ZW", zone="Marange"), period=d.Period("2008-10", "2011"),
    ...     actor=d.Actor.PUBLIC_SECURITY_FORCE, harms={d.Harm.FORCED_LABOUR},
    ...     link=d.Link.ACQUIRED_THROUGH, target=d.Target.DIAMOND_COMMUNITIES,
    ...     scale=d.Scale.SYSTEMATIC, designations=(), sources=("HRW 2009",))
    >>> s.link
    frozenset({Link.ACQUIRED_THROUGH})
    >>> d.KPCS_2003(s).outcome
    Outcome.OUT

    .. versionadded:: 0.1
    """

    place: Place = attrs.field(validator=_check_place)
    period: Period = attrs.field(validator=_check_period)
    actor: Actor | None = attrs.field(default=None, converter=_actor)
    harms: frozenset[Harm] | None = attrs.field(default=None, converter=_harms)
    link: frozenset[Link] | None = attrs.field(default=None, converter=_link)
    target: Target | None = attrs.field(default=None, converter=_target)
    scale: Scale | None = attrs.field(default=None, converter=_scale)
    designations: tuple[Designation, ...] = attrs.field(default=(), converter=_designations)
    sources: tuple[str, ...] = attrs.field(default=(), converter=_sources)
    title: str = attrs.field(default="", validator=attrs.validators.instance_of(str))
    notes: str = attrs.field(default="", validator=attrs.validators.instance_of(str))

    def __str__(self) -> str:
        head = self.title or f"{self.actor.value if self.actor else 'unknown actor'}"
        return f"{head} ({self.place}, {self.period})"
