"""The register of KP participants and their dated status history."""

from __future__ import annotations

import bisect
import datetime as dt
import enum
import itertools
import json
import os
import unicodedata
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

import attrs
import pandas as pd

from kpmodel._boundary import (
    as_date,
    display_path,
    guarded,
    one_of,
    one_of_validator,
    parse_json,
    participant_code,
    read_text,
    show,
)
from kpmodel._display import View
from kpmodel.errors import InvalidRecordError, LoadError, Problem, UnknownCodeError
from kpmodel.participants._codes import country_name

FORMAT = "kpmodel-register/1"


class Status(enum.Enum):
    """A participant's standing in the KP on a given date.

    Examples
    --------
    >>> kp.participants.Status("suspended")
    <Status.SUSPENDED: 'suspended'>

    .. versionadded:: 0.1
    """

    NOT_PARTICIPANT = "not-participant"
    """Before admission, after leaving, or never admitted."""
    PARTICIPANT = "participant"
    """May trade (except from any zone barred by a KP decision)."""
    SUSPENDED = "suspended"
    """Suspended by a KP decision (the Central African Republic from 23 May 2013)."""
    SELF_SUSPENDED = "self-suspended"
    """Voluntarily withdrawn from trade (Venezuela 2008-2016)."""
    REMOVED = "removed"
    """Removed from the list of participants (the Republic of Congo 2004-2007)."""
    EMBARGOED = "embargoed"
    """Kept for registers written by kpmodel 0.1. A UN Security Council ban is not a KP
    status: the shipped register records it as a `Measure` on a participant (Côte d'Ivoire
    2005-2014 stayed a participant)."""
    RESTRICTED = "restricted"
    """May export only rough diamonds from named compliant zones."""


#: Which of a participant's trade flows a status or a measure limits.
DIRECTIONS = ("exports", "imports", "both")

#: The legal basis of a measure: a KP decision, a UN Security Council sanction, a national
#: (or regional) law, or the participant's own decision.
BASES = ("kp-decision", "un-sanction", "national-law", "self")

#: Statuses under which the participant is still counted as a KP participant.
_COUNTED = frozenset({"participant", "suspended", "self-suspended", "restricted", "embargoed"})


def _to_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        msg = f"must be a datetime.date, got {show(value)}"
        raise InvalidRecordError(msg)
    return value


def _status(value: object) -> Status:
    """Return `value` as a `Status`: a Status or the text of one (checked as text first)."""
    if isinstance(value, Status):
        return value
    return Status(one_of(value, [status.value for status in Status], path="status"))


def _check_country(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    participant_code(value, path=attribute.name)


@guarded
@attrs.frozen(kw_only=True)
class StatusEvent:
    """A dated change of a participant's status, with its sources.

    Parameters
    ----------
    on : datetime.date
        The first day the status applies. Where the sources give only a month or a
        period, this is the first day from which the status is certain, and
        `date_uncertain` is true.
    status : Status
        The status from `on` until the next event.
    summary : str
        What was decided, in one or two sentences.
    sources : tuple of str
        Keys into the register's table of sources.
    zones : frozenset of str
        For `Status.RESTRICTED`: the compliant zones whose goods may be traded.
    excluded_zones : frozenset of str
        For `Status.PARTICIPANT`: zones whose goods may not be traded (Marange 2009-2011).
    date_uncertain : bool
        True when the decision date itself is not confirmed by the sources.
    date_text : str
        What the sources say about the date, when it is uncertain.
    direction : {"both", "exports", "imports"}
        Which of the participant's trade flows a suspension, self-suspension or restriction
        limits ("both" by default; Ghana's 2006-07 self-suspension stopped exports only).
    direction_text : str
        Non-empty when the sources do not say whether the other flow is limited too, and
        what they do say (the CAR compliant-zone decision of 2015 speaks of exports).
    unnamed_zones : int
        For `Status.RESTRICTED`: compliant zones the sources count but do not name (CAR had
        eight by November 2019; the sources found name five).
    disputed : str
        What another source says when sources disagree about this status.

    Examples
    --------
    >>> import datetime
    >>> event = kp.participants.StatusEvent(
    ...     on=datetime.date(2013, 5, 23),
    ...     status=kp.participants.Status.SUSPENDED,
    ...     summary="Temporary suspension",
    ...     sources=("US-FR-2015",),
    ... )
    >>> event.status.value
    'suspended'

    .. versionadded:: 0.1
    """

    on: dt.date = attrs.field(converter=_to_date)
    status: Status = attrs.field(converter=_status)
    summary: str = attrs.field(validator=attrs.validators.instance_of(str))
    sources: tuple[str, ...] = attrs.field(converter=tuple)
    zones: frozenset[str] = attrs.field(default=frozenset(), converter=frozenset)
    excluded_zones: frozenset[str] = attrs.field(default=frozenset(), converter=frozenset)
    date_uncertain: bool = False
    date_text: str = ""
    direction: str = attrs.field(default="both", validator=one_of_validator(DIRECTIONS))
    direction_text: str = ""
    unnamed_zones: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    disputed: str = ""

    @zones.validator
    def _zones_only_when_restricted(self, attribute: object, value: frozenset[str]) -> None:
        if value and self.status is not Status.RESTRICTED:
            msg = f"compliant zones are only for status 'restricted', got {self.status.value!r}"
            raise InvalidRecordError(msg, path="zones")

    @excluded_zones.validator
    def _excluded_only_when_participant(self, attribute: object, value: frozenset[str]) -> None:
        if value and self.status is not Status.PARTICIPANT:
            msg = f"excluded zones are only for status 'participant', got {self.status.value!r}"
            raise InvalidRecordError(msg, path="excluded_zones")


def _optional_date(value: object) -> dt.date | None:
    return None if value is None else _to_date(value)


@guarded
@attrs.frozen(kw_only=True)
class Measure:
    """A dated measure on a participant's trade that is not a change of its KP status.

    A UN Security Council ban on imports *from* a country bars that participant's
    exports and leaves it a participant (Côte d'Ivoire, 2005-2014); a KP decision may bar
    goods without changing a participant's standing. Each measure says which flow it bars
    and on what legal basis, so a breach is reported under the rule that applies.

    Parameters
    ----------
    start : datetime.date
        First day in force.
    end : datetime.date or None
        Last day in force (None: still in force).
    direction : {"exports", "imports", "both"}
        The participant's flow that is barred.
    basis : {"kp-decision", "un-sanction", "national-law", "self"}
        The legal basis.
    reference : str
        The instrument (resolution, decision, law), as precisely as the sources give it.
    summary : str
        What it does, in a sentence.
    sources : tuple of str
        Keys into the register's table of sources.
    date_uncertain : bool
    date_text : str
        As for `StatusEvent`.

    Examples
    --------
    >>> import datetime
    >>> m = kp.participants.Register.default().measures("CI", on=datetime.date(2010, 1, 1))[0]
    >>> m.direction, m.basis
    ('exports', 'un-sanction')
    >>> m.in_force(datetime.date(2015, 1, 1))
    False

    .. versionadded:: 0.2
    """

    start: dt.date = attrs.field(converter=_to_date)
    end: dt.date | None = attrs.field(default=None, converter=_optional_date)
    direction: str = attrs.field(validator=one_of_validator(DIRECTIONS))
    basis: str = attrs.field(validator=one_of_validator(BASES))
    reference: str = attrs.field(validator=attrs.validators.instance_of(str))
    summary: str = attrs.field(validator=attrs.validators.instance_of(str))
    sources: tuple[str, ...] = attrs.field(converter=tuple)
    date_uncertain: bool = False
    date_text: str = ""

    @end.validator
    def _end_after_start(self, attribute: object, value: dt.date | None) -> None:
        if value is not None and value < self.start:
            msg = f"must not be before start {self.start}, got {value}"
            raise InvalidRecordError(msg, path="end")

    def in_force(self, on: dt.date) -> bool:
        """Return whether the measure is in force on `on` (both ends inclusive).

        Examples
        --------
        >>> import datetime
        >>> m = kp.participants.Measure(start=datetime.date(2005, 12, 15),
        ...     end=datetime.date(2014, 4, 28), direction="exports", basis="un-sanction",
        ...     reference="UN Security Council ban", summary="", sources=())
        >>> m.in_force(datetime.date(2014, 4, 28)), m.in_force(datetime.date(2014, 4, 29))
        (True, False)
        """
        return self.start <= on and (self.end is None or on <= self.end)

    def bars(self, flow: str) -> bool:
        """Return whether the measure bars `flow` ("exports" or "imports").

        Examples
        --------
        >>> import datetime
        >>> m = kp.participants.Register.default().measures("CI", on=datetime.date(2010, 1, 1))[0]
        >>> m.bars("exports"), m.bars("imports")
        (True, False)
        """
        return self.direction in (flow, "both")


@guarded
@attrs.frozen(kw_only=True)
class Membership:
    """A country's membership of a participant such as the EU, with its dates.

    Examples
    --------
    >>> import datetime
    >>> m = kp.participants.Membership(country="HR", start=datetime.date(2013, 7, 1))
    >>> m.covers(datetime.date(2014, 1, 1))
    True

    .. versionadded:: 0.1
    """

    country: str = attrs.field(validator=_check_country)
    start: dt.date | None = None
    end: dt.date | None = None

    def covers(self, on: dt.date) -> bool:
        """Return whether the membership is in force on `on` (both ends inclusive).

        Examples
        --------
        >>> import datetime
        >>> m = kp.participants.Membership(country="GB", end=datetime.date(2020, 12, 31))
        >>> m.covers(datetime.date(2021, 1, 1))
        False
        """
        return (self.start is None or self.start <= on) and (self.end is None or on <= self.end)


def _sorted_events(events: Iterable[StatusEvent]) -> tuple[StatusEvent, ...]:
    events = tuple(events)
    for i, (before, after) in enumerate(itertools.pairwise(events), start=1):
        if after.on <= before.on:
            msg = f"events must be in date order, but {after.on} follows {before.on}"
            raise InvalidRecordError(msg, path=f"events[{i}].on")
    return events


@guarded
@attrs.frozen(kw_only=True)
class Participant:
    """A KP participant: a state, the EU, or the Chinese Taipei trading entity.

    Parameters
    ----------
    code : str
        ISO 3166-1 alpha-2 code, ``"EU"`` for the European Union, ``"TW"`` for the rough
        diamond-trading entity of Chinese Taipei.
    name : str
        Display name.
    kind : str
        ``"state"``, ``"union"`` or ``"trading-entity"``.
    events : tuple of StatusEvent
        The dated status history, oldest first.
    members : tuple of Membership
        For a union: the member countries it trades for, with their dates.
    measures : tuple of Measure
        Measures on its trade that do not change its KP status (UN sanctions, ...).

    Examples
    --------
    >>> reg = kp.participants.Register.default()
    >>> reg.participant("CF").name
    'Central African Republic'

    .. versionadded:: 0.1
    """

    code: str = attrs.field(validator=_check_country)
    name: str
    kind: str = attrs.field(
        default="state", validator=one_of_validator(("state", "union", "trading-entity"))
    )
    events: tuple[StatusEvent, ...] = attrs.field(converter=_sorted_events)
    members: tuple[Membership, ...] = attrs.field(default=(), converter=tuple)
    measures: tuple[Measure, ...] = attrs.field(default=(), converter=tuple)

    def event_on(self, on: dt.date) -> StatusEvent | None:
        """Return the event in force on `on`, or None before the first event.

        Examples
        --------
        >>> import datetime
        >>> reg = kp.participants.Register.default()
        >>> reg.participant("CG").event_on(datetime.date(2005, 1, 1)).status.value
        'removed'
        """
        index = bisect.bisect_right([event.on for event in self.events], on)
        return self.events[index - 1] if index else None


def _zone_key(name: str) -> str:
    """Fold case and accents: sources spell the same zone "Berbérati" and "Berberati"."""
    decomposed = unicodedata.normalize("NFKD", name.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _names_zone(zones: frozenset[str], zone: str) -> bool:
    key = _zone_key(zone)
    return any(_zone_key(listed) == key for listed in zones)


def _index_by_code(participants: tuple[Participant, ...]) -> dict[str, Participant]:
    return {participant.code: participant for participant in participants}


@guarded
@attrs.frozen(kw_only=True, repr=False)
class Register:
    """Who may trade rough diamonds under the KP, where and when.

    A register holds participants with their dated status history. `Register.default`
    loads the shipped register; every entry names its sources and dates the sources do
    not confirm are marked uncertain (see `StatusEvent`).

    Parameters
    ----------
    participants : iterable of Participant
        One entry per participant; codes must be unique.
    sources : mapping of str to str
        Citation for each source key the events use.

    Examples
    --------
    >>> import datetime
    >>> reg = kp.participants.Register.default()
    >>> reg.status("CF", on=datetime.date(2014, 1, 1))
    <Status.SUSPENDED: 'suspended'>
    >>> reg.may_trade("CF", on=datetime.date(2017, 1, 1), zone="Berbérati")
    True
    >>> reg.participant_of("BE")
    'EU'

    .. versionadded:: 0.1
    """

    participants: tuple[Participant, ...] = attrs.field(converter=tuple)
    sources: Mapping[str, str] = attrs.field(factory=dict, converter=dict, eq=False)
    description: str = attrs.field(default="", eq=False)
    _by_code: dict[str, Participant] = attrs.field(
        init=False,
        repr=False,
        eq=False,
        default=attrs.Factory(lambda self: _index_by_code(self.participants), takes_self=True),
    )

    def __attrs_post_init__(self) -> None:
        if len(self._by_code) != len(self.participants):
            codes = [participant.code for participant in self.participants]
            duplicates = sorted({code for code in codes if codes.count(code) > 1})
            msg = f"participant codes must be unique, got {duplicates} more than once"
            raise InvalidRecordError(msg, path="participants")

    def _view(self) -> View:
        def latest(participant: Participant) -> str:
            if not participant.events:
                return ""
            event = participant.events[-1]
            return f"{event.status.value} since {event.on}"

        rows = [
            {"code": p.code, "name": p.name, "kind": p.kind, "latest status": latest(p)}
            for p in self.participants
        ]
        return View(
            kind="Register",
            summary=f"{len(self.participants)} participants",
            more="see .status(code, on=...), .may_trade(code, on=..., zone=...), "
            ".participant(code), .codes",
            facts=[("description", self.description)] if self.description else [],
            tables=lambda: [("Participants", pd.DataFrame(rows))],
        )

    def __repr__(self) -> str:
        return self._view().text()

    def _repr_html_(self) -> str:
        return self._view().html()

    @classmethod
    def default(cls) -> Register:
        """Return the shipped register of KP participants and their status history.

        Examples
        --------
        >>> "EU" in kp.participants.Register.default().codes
        True
        """
        return _default_register()

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Register:
        """Load a register from a JSON file in the format of the shipped one.

        Loading is all-or-nothing: every problem in the file is reported at once in a
        `kpmodel.errors.LoadError`.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "register.json"
        >>> _ = path.write_text(kp.participants.Register.default().dumps(), encoding="utf-8")
        >>> kp.participants.Register.load(path) == kp.participants.Register.default()
        True
        """
        source = display_path(path)
        return cls.loads(read_text(path, source=source), source=source)

    @classmethod
    def loads(cls, text: str, *, source: str = "") -> Register:
        """Load a register from JSON text; see `Register.load`.

        Examples
        --------
        >>> kp.participants.Register.loads('{"format": "kpmodel-register/1", "participants": []}')
        <Register: 0 participants; see .status(code, on=...), ...>
        """
        return _structure_register(parse_json(text, source=source), source=source)

    def dumps(self) -> str:
        """Return the register as JSON text that `Register.loads` reads back unchanged.

        Examples
        --------
        >>> reg = kp.participants.Register.default()
        >>> kp.participants.Register.loads(reg.dumps()) == reg
        True
        """
        return json.dumps(_unstructure_register(self), ensure_ascii=False, indent=1) + "\n"

    @property
    def codes(self) -> tuple[str, ...]:
        """The participant codes, sorted.

        Examples
        --------
        >>> len(kp.participants.Register.default().codes) > 50
        True
        """
        return tuple(sorted(self._by_code))

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def participant(self, code: str) -> Participant:
        """Return the participant with `code`.

        Raises
        ------
        UnknownCodeError
            If no participant has that code (a member country is not a participant:
            use `participant_of` to find the participant that governs it).

        Examples
        --------
        >>> kp.participants.Register.default().participant("EU").kind
        'union'
        """
        try:
            return self._by_code[code]
        except KeyError:
            country_name(code)  # raises for a code that is not even a country code
            msg = f"{code!r} is not a participant in this register; see Register.participant_of"
            raise UnknownCodeError(msg) from None

    def events(self, code: str) -> tuple[StatusEvent, ...]:
        """Return the status history of participant `code`, oldest first.

        Examples
        --------
        >>> [e.status.value for e in kp.participants.Register.default().events("VE")]
        ['participant', 'self-suspended', 'participant']
        """
        return self.participant(code).events

    def participant_of(self, country: str, *, on: dt.date | None = None) -> str | None:
        """Return the code of the participant that governs `country` on `on`.

        A member state of a union participant is governed by the union while it is a
        member (Belgium by the EU; Croatia by the EU from 1 July 2013, before that by
        itself). A country is governed by itself once it has an entry in force.

        Parameters
        ----------
        country : str
            ISO 3166-1 alpha-2 code, or a participant code.
        on : datetime.date or str, optional
            The date; today when omitted.

        Returns
        -------
        str or None
            The participant code, or None when no participant governs the country.

        Examples
        --------
        >>> import datetime
        >>> reg = kp.participants.Register.default()
        >>> reg.participant_of("HR", on=datetime.date(2012, 1, 1))
        'HR'
        >>> reg.participant_of("HR", on=datetime.date(2014, 1, 1))
        'EU'
        >>> reg.participant_of("KP") is None
        True
        """
        country_name(country)
        on = dt.date.today() if on is None else as_date(on)
        for union in self.participants:
            if any(m.country == country and m.covers(on) for m in union.members):
                return union.code
        own = self._by_code.get(country)
        if own is not None and own.event_on(on) is not None:
            return country
        return None

    def status(self, code: str, *, on: dt.date) -> Status:
        """Return the status of participant or country `code` on `on`.

        Examples
        --------
        >>> import datetime
        >>> reg = kp.participants.Register.default()
        >>> reg.status("VE", on=datetime.date(2012, 6, 1)).value
        'self-suspended'
        >>> reg.status("DE", on=datetime.date(2012, 6, 1)).value
        'participant'
        """
        event = self._event(code, on)
        return Status.NOT_PARTICIPANT if event is None else event.status

    def compliant_zones(self, code: str, *, on: dt.date) -> frozenset[str]:
        """Return the compliant zones of a restricted participant on `on` (else empty).

        Examples
        --------
        >>> import datetime
        >>> reg = kp.participants.Register.default()
        >>> sorted(reg.compliant_zones("CF", on=datetime.date(2020, 1, 1)))
        ['Berbérati', 'Boda', 'Carnot', 'Gadzi', 'Nola']

        Eight zones by November 2019, of which the sources name five; the event says so:

        >>> reg.event("CF", on=datetime.date(2020, 1, 1)).unnamed_zones
        3
        """
        event = self._event(code, on)
        return event.zones if event is not None else frozenset()

    def may_trade(self, code: str, *, on: dt.date, zone: str | None = None) -> bool:
        """Return whether participant or country `code` may trade rough diamonds on `on`.

        This is the KP standing alone, in both directions: a participant with no KP limit
        on its exports or imports. Measures on another basis (a UN Security Council ban)
        are answered by `may_export`, `may_import` and `measures`.

        Parameters
        ----------
        code : str
            Participant code or member-country code.
        on : datetime.date or str
            The date of the trade (a date or ISO text such as "2017-01-01").
        zone : str, optional
            The zone the goods come from. A restricted participant may trade only goods
            from its compliant zones; a participant may not trade goods from a zone a KP
            decision bars (Marange, 2009-2011). Zone names match regardless of case and
            accents ("Berberati" is "Berbérati").

        Examples
        --------
        >>> import datetime
        >>> reg = kp.participants.Register.default()
        >>> reg.may_trade("ZW", on=datetime.date(2010, 6, 1))
        True
        >>> reg.may_trade("ZW", on=datetime.date(2010, 6, 1), zone="Marange")
        False
        >>> reg.may_trade("CF", on=datetime.date(2016, 1, 1), zone="Berbérati")
        False
        >>> reg.may_trade("CI", on=datetime.date(2010, 1, 1))  # a participant under a UN ban
        True
        """
        event = self._event(code, on)
        if event is None:
            return False
        if event.status is Status.PARTICIPANT:
            return zone is None or not _names_zone(event.excluded_zones, zone)
        if event.status is Status.RESTRICTED:
            return zone is not None and _names_zone(event.zones, zone)
        return False

    def event(self, code: str, *, on: dt.date) -> StatusEvent | None:
        """Return the status event in force on `on` for participant or country `code`.

        None when no participant governs `code` on that date.

        Examples
        --------
        >>> import datetime
        >>> reg = kp.participants.Register.default()
        >>> reg.event("GH", on=datetime.date(2007, 1, 15)).direction
        'exports'
        """
        return self._event(code, on)

    def measures(self, code: str, *, on: dt.date) -> tuple[Measure, ...]:
        """Return the measures in force on `on` on the participant that governs `code`.

        Examples
        --------
        >>> import datetime
        >>> reg = kp.participants.Register.default()
        >>> [m.basis for m in reg.measures("CI", on=datetime.date(2010, 1, 1))]
        ['un-sanction']
        >>> reg.measures("CI", on=datetime.date(2015, 1, 1))
        ()
        """
        on = as_date(on)
        governing = self.participant_of(code, on=on)
        if governing is None:
            return ()
        return tuple(m for m in self._by_code[governing].measures if m.in_force(on))

    def may_export(self, code: str, *, on: dt.date, zone: str | None = None) -> bool:
        """Return whether `code` may export rough diamonds (from `zone`, if given) on `on`.

        Both its KP standing (status, compliant zones, barred zones, the direction a
        suspension limits) and measures on any basis (a UN ban on imports from it) count.

        Examples
        --------
        >>> import datetime
        >>> reg = kp.participants.Register.default()
        >>> reg.may_export("CI", on=datetime.date(2010, 1, 1))  # UN ban on Ivorian rough
        False
        >>> reg.may_export("CF", on=datetime.date(2017, 1, 1), zone="Nola")
        True
        >>> reg.may_export("GH", on=datetime.date(2007, 1, 15))  # self-suspended exports
        False
        """
        on = as_date(on)
        event = self._event(code, on)
        if event is None or not self._status_allows(event, "exports", zone):
            return False
        return not any(m.bars("exports") for m in self.measures(code, on=on))

    def may_import(self, code: str, *, on: dt.date) -> bool:
        """Return whether `code` may import rough diamonds on `on`.

        Examples
        --------
        >>> import datetime
        >>> reg = kp.participants.Register.default()
        >>> reg.may_import("CI", on=datetime.date(2010, 1, 1))  # the UN ban is on exports
        True
        >>> reg.may_import("GH", on=datetime.date(2007, 1, 15))
        True
        >>> reg.may_import("VE", on=datetime.date(2012, 1, 1))
        False
        """
        on = as_date(on)
        event = self._event(code, on)
        if event is None or not self._status_allows(event, "imports", None):
            return False
        return not any(m.bars("imports") for m in self.measures(code, on=on))

    @staticmethod
    def _status_allows(event: StatusEvent, flow: str, zone: str | None) -> bool:
        if event.status is Status.PARTICIPANT:
            excluded = flow == "exports" and zone is not None
            return not (excluded and _names_zone(event.excluded_zones, zone or ""))
        if event.status in (Status.NOT_PARTICIPANT, Status.REMOVED):
            return False
        if event.direction not in (flow, "both"):
            return True  # the status limits only the other flow
        if event.status is Status.RESTRICTED and flow == "exports":
            return zone is not None and _names_zone(event.zones, zone)
        return False

    def participants_on(self, on: dt.date) -> tuple[str, ...]:
        """Return the participants on `on`, counted the KP way, sorted.

        The EU counts as one participant (its member states are not listed); the rough
        diamond-trading entity of Chinese Taipei is not numbered (it appears as a note on
        the Chair's list of 31 October 2003); suspended, self-suspended and restricted
        participants count, removed ones do not.

        Examples
        --------
        >>> import datetime
        >>> reg = kp.participants.Register.default()
        >>> len(reg.participants_on(datetime.date(2013, 11, 30)))
        54
        >>> len(reg.participants_on(datetime.date(2024, 11, 16)))
        60
        """
        on = as_date(on)
        counted = []
        for participant in self.participants:
            if participant.kind == "trading-entity":
                continue
            event = participant.event_on(on)
            if event is None or event.status.value not in _COUNTED:
                continue
            if self.participant_of(participant.code, on=on) == participant.code:
                counted.append(participant.code)
        return tuple(sorted(counted))

    def _event(self, code: str, on: dt.date) -> StatusEvent | None:
        on = as_date(on)
        governing = self.participant_of(code, on=on)
        if governing is None:
            return None
        return self._by_code[governing].event_on(on)


# --- JSON ------------------------------------------------------------------------------------


def _unstructure_register(register: Register) -> dict[str, Any]:
    return {
        "format": FORMAT,
        **({"description": register.description} if register.description else {}),
        "sources": dict(register.sources),
        "participants": [_unstructure_participant(p) for p in register.participants],
    }


def _unstructure_participant(participant: Participant) -> dict[str, Any]:
    data: dict[str, Any] = {"code": participant.code, "name": participant.name}
    if participant.kind != "state":
        data["kind"] = participant.kind
    if participant.members:
        data["members"] = [_unstructure_membership(m) for m in participant.members]
    data["events"] = [_unstructure_event(e) for e in participant.events]
    if participant.measures:
        data["measures"] = [_unstructure_measure(m) for m in participant.measures]
    return data


def _unstructure_measure(measure: Measure) -> dict[str, Any]:
    data: dict[str, Any] = {"from": measure.start.isoformat()}
    if measure.end is not None:
        data["until"] = measure.end.isoformat()
    data.update(
        direction=measure.direction,
        basis=measure.basis,
        reference=measure.reference,
        summary=measure.summary,
        sources=list(measure.sources),
    )
    if measure.date_uncertain:
        data["date_uncertain"] = True
    if measure.date_text:
        data["date_text"] = measure.date_text
    return data


def _unstructure_membership(membership: Membership) -> dict[str, Any]:
    data: dict[str, Any] = {"country": membership.country}
    if membership.start is not None:
        data["from"] = membership.start.isoformat()
    if membership.end is not None:
        data["until"] = membership.end.isoformat()
    return data


def _unstructure_event(event: StatusEvent) -> dict[str, Any]:
    data: dict[str, Any] = {
        "on": event.on.isoformat(),
        "status": event.status.value,
        "summary": event.summary,
        "sources": list(event.sources),
    }
    if event.zones:
        data["zones"] = sorted(event.zones)
    if event.excluded_zones:
        data["excluded_zones"] = sorted(event.excluded_zones)
    if event.date_uncertain:
        data["date_uncertain"] = True
    if event.date_text:
        data["date_text"] = event.date_text
    if event.direction != "both":
        data["direction"] = event.direction
    if event.direction_text:
        data["direction_text"] = event.direction_text
    if event.unnamed_zones:
        data["unnamed_zones"] = event.unnamed_zones
    if event.disputed:
        data["disputed"] = event.disputed
    return data


class _Reader:
    """Collects every problem while reading nested JSON, so loading reports them all."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def mapping(self, value: object, path: str, *, required: set[str], optional: set[str]) -> bool:
        if not isinstance(value, dict):
            self.fail(path, f"must be a JSON object, got {value!r}")
            return False
        for key in sorted(required - value.keys()):
            self.fail(f"{path}.{key}".lstrip("."), "is required but missing")
        for key in sorted(value.keys() - required - optional):
            known = ", ".join(sorted(required | optional))
            self.fail(f"{path}.{key}".lstrip("."), f"is not a known key; known keys: {known}")
        return all(key in value for key in required)

    def date(self, value: object, path: str) -> dt.date | None:
        if isinstance(value, str):
            try:
                return as_date(value, path=path, error=InvalidRecordError)
            except InvalidRecordError:
                pass
        self.fail(path, f"must be an ISO date such as '2013-05-23', got {show(value)}")
        return None

    def text(self, value: object, path: str) -> str:
        if not isinstance(value, str):
            self.fail(path, f"must be a string, got {value!r}")
            return ""
        return value

    def strings(self, value: object, path: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.fail(path, f"must be a list of strings, got {value!r}")
            return ()
        return tuple(value)

    def record(self, factory: Any, path: str, **fields: Any) -> Any:
        try:
            return factory(**fields)
        except InvalidRecordError as exc:
            where = f"{path}.{exc.path}" if exc.path else path
            self.fail(where, str(exc).removeprefix(f"{exc.path}: "))
        except (ValueError, TypeError) as exc:
            self.fail(path, str(exc))
        return None


def _structure_register(data: object, *, source: str) -> Register:
    reader = _Reader()
    fields = _register_fields(reader, data)
    register = None if reader.problems else reader.record(Register, "", **fields)
    if reader.problems:
        raise LoadError(reader.problems, source=source)
    assert isinstance(register, Register)
    return register


def _register_fields(reader: _Reader, data: object) -> dict[str, Any]:
    optional = {"sources", "description"}
    if not reader.mapping(data, "", required={"format", "participants"}, optional=optional):
        return {}
    assert isinstance(data, dict)
    if data["format"] != FORMAT:
        reader.fail("format", f"must be {FORMAT!r}, got {data['format']!r}")
    sources = data.get("sources", {})
    if not isinstance(sources, dict) or not all(isinstance(v, str) for v in sources.values()):
        reader.fail("sources", f"must map source keys to citations, got {sources!r}")
        sources = {}
    items = data["participants"]
    if not isinstance(items, list):
        reader.fail("participants", f"must be a list, got {items!r}")
        items = []
    participants = [
        _structure_participant(reader, item, f"participants[{i}]", set(sources))
        for i, item in enumerate(items)
    ]
    description = reader.text(data.get("description", ""), "description")
    return {"participants": participants, "sources": sources, "description": description}


def _structure_participant(
    reader: _Reader, item: object, path: str, known_sources: set[str]
) -> Participant | None:
    if not reader.mapping(
        item, path, required={"code", "name", "events"}, optional={"kind", "members", "measures"}
    ):
        return None
    assert isinstance(item, dict)
    events_data = item["events"] if isinstance(item["events"], list) else []
    if not isinstance(item["events"], list):
        reader.fail(f"{path}.events", f"must be a list, got {item['events']!r}")
    events = [
        _structure_event(reader, event, f"{path}.events[{i}]", known_sources)
        for i, event in enumerate(events_data)
    ]
    members_data = item.get("members", [])
    if not isinstance(members_data, list):
        reader.fail(f"{path}.members", f"must be a list, got {members_data!r}")
        members_data = []
    members = [
        _structure_membership(reader, member, f"{path}.members[{i}]")
        for i, member in enumerate(members_data)
    ]
    measures_data = item.get("measures", [])
    if not isinstance(measures_data, list):
        reader.fail(f"{path}.measures", f"must be a list, got {measures_data!r}")
        measures_data = []
    measures = [
        _structure_measure(reader, measure, f"{path}.measures[{i}]", known_sources)
        for i, measure in enumerate(measures_data)
    ]
    if None in events or None in members or None in measures:
        return None
    fields = {"code": item["code"], "name": reader.text(item["name"], f"{path}.name")}
    if "kind" in item:
        fields["kind"] = item["kind"]
    result: Participant | None = reader.record(
        Participant, path, events=events, members=members, measures=measures, **fields
    )
    return result


def _structure_event(
    reader: _Reader, item: object, path: str, known_sources: set[str]
) -> StatusEvent | None:
    optional = {
        "zones",
        "excluded_zones",
        "date_uncertain",
        "date_text",
        "direction",
        "direction_text",
        "unnamed_zones",
        "disputed",
    }
    if not reader.mapping(
        item, path, required={"on", "status", "summary", "sources"}, optional=optional
    ):
        return None
    assert isinstance(item, dict)
    statuses = [status.value for status in Status]
    if item["status"] not in statuses:
        reader.fail(f"{path}.status", f"must be one of {statuses}, got {item['status']!r}")
    sources = reader.strings(item["sources"], f"{path}.sources")
    if known_sources:
        for key in sources:
            if key not in known_sources:
                reader.fail(f"{path}.sources", f"{key!r} is not in the register's sources table")
    uncertain = item.get("date_uncertain", False)
    if not isinstance(uncertain, bool):
        reader.fail(f"{path}.date_uncertain", f"must be true or false, got {uncertain!r}")
    fields: dict[str, Any] = {
        "on": reader.date(item["on"], f"{path}.on"),
        "summary": reader.text(item["summary"], f"{path}.summary"),
        "zones": reader.strings(item.get("zones", []), f"{path}.zones"),
        "excluded_zones": reader.strings(item.get("excluded_zones", []), f"{path}.excluded_zones"),
        "date_text": reader.text(item.get("date_text", ""), f"{path}.date_text"),
        "direction_text": reader.text(item.get("direction_text", ""), f"{path}.direction_text"),
        "disputed": reader.text(item.get("disputed", ""), f"{path}.disputed"),
    }
    direction = item.get("direction", "both")
    if direction not in DIRECTIONS:
        reader.fail(f"{path}.direction", f"must be one of {list(DIRECTIONS)}, got {direction!r}")
        direction = "both"
    unnamed = item.get("unnamed_zones", 0)
    if isinstance(unnamed, bool) or not isinstance(unnamed, int) or unnamed < 0:
        reader.fail(f"{path}.unnamed_zones", f"must be a whole number >= 0, got {unnamed!r}")
        unnamed = 0
    fields["direction"] = direction
    fields["unnamed_zones"] = unnamed
    if item["status"] not in statuses or fields["on"] is None:
        return None
    result: StatusEvent | None = reader.record(
        StatusEvent,
        path,
        status=item["status"],
        sources=sources,
        date_uncertain=uncertain is True,
        **fields,
    )
    return result


def _structure_measure(
    reader: _Reader, item: object, path: str, known_sources: set[str]
) -> Measure | None:
    required = {"from", "direction", "basis", "reference", "summary", "sources"}
    optional = {"until", "date_uncertain", "date_text"}
    if not reader.mapping(item, path, required=required, optional=optional):
        return None
    assert isinstance(item, dict)
    start = reader.date(item["from"], f"{path}.from")
    end = reader.date(item["until"], f"{path}.until") if "until" in item else None
    sources = reader.strings(item["sources"], f"{path}.sources")
    if known_sources:
        for key in sources:
            if key not in known_sources:
                reader.fail(f"{path}.sources", f"{key!r} is not in the register's sources table")
    for key, allowed in (("direction", DIRECTIONS), ("basis", BASES)):
        if item[key] not in allowed:
            reader.fail(f"{path}.{key}", f"must be one of {list(allowed)}, got {item[key]!r}")
    uncertain = item.get("date_uncertain", False)
    if not isinstance(uncertain, bool):
        reader.fail(f"{path}.date_uncertain", f"must be true or false, got {uncertain!r}")
    if start is None or ("until" in item and end is None):
        return None
    result: Measure | None = reader.record(
        Measure,
        path,
        start=start,
        end=end,
        direction=item["direction"],
        basis=item["basis"],
        reference=reader.text(item["reference"], f"{path}.reference"),
        summary=reader.text(item["summary"], f"{path}.summary"),
        sources=sources,
        date_uncertain=uncertain is True,
        date_text=reader.text(item.get("date_text", ""), f"{path}.date_text"),
    )
    return result


def _structure_membership(reader: _Reader, item: object, path: str) -> Membership | None:
    if not reader.mapping(item, path, required={"country"}, optional={"from", "until"}):
        return None
    assert isinstance(item, dict)
    start = reader.date(item["from"], f"{path}.from") if "from" in item else None
    end = reader.date(item["until"], f"{path}.until") if "until" in item else None
    result: Membership | None = reader.record(
        Membership, path, country=item["country"], start=start, end=end
    )
    return result


_DEFAULT: list[Register] = []


def _default_register() -> Register:
    # Parsed once per process: the register is immutable, so sharing it is safe.
    if not _DEFAULT:
        text = resources.files("kpmodel.participants").joinpath("data/register.json")
        _DEFAULT.append(Register.loads(text.read_text(encoding="utf-8"), source="register.json"))
    return _DEFAULT[0]
