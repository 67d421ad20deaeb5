"""The paperwork against the truth: opacity of certificates, and audits of shipments."""

from __future__ import annotations

import bisect
import datetime as dt
import math
import os
import threading
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Literal, Protocol, TypeGuard, overload

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from kpmodel import _limits
from kpmodel._boundary import MAX_LISTED, guarded, show
from kpmodel._limits import Limit
from kpmodel.certificates import DeclaredOrigin
from kpmodel.errors import (
    IncompleteResultWarning,
    InvalidArgumentError,
    SizeLimitError,
)
from kpmodel.participants import Register, Status
from kpmodel.provenance._explain import (
    Flows,
    Path,
    best_completion,
    checked_paths,
    largest_paths,
    positive_limit,
    warn_cut_short,
)
from kpmodel.provenance._graph import KIND_CODE, FloatArray, IntArray, Kind, ProvenanceGraph
from kpmodel.provenance._paperwork import _Paperwork, shipments
from kpmodel.provenance._shares import (
    _bar,
    dense_row,
    origin_labels,
    origin_shares,
    propagate,
    require_graph,
    share_weights,
)

__all__ = ["Finding", "audit", "opacity"]

#: The most partial paths the search for one finding's paths examines (`largest_paths`,
#: the search `explain` uses with its cap of `MAX_EXPANDED`, 1,000,000). Lower than
#: explain's: an audit has a finding per offending shipment and origin, whose paths are
#: read in bulk, and `max_memory` does not cover the search's queue. On a 16-round
#: split/mix lattice (65,536 paths asked for, 15-review #13) one finding's paths took
#: 1.6-2.2 s and +92 MiB of peak RSS at 1,000,000 (all listed); 0.6-0.8 s and +35 MiB at
#: this cap (24,996 paths listed, `truncated`).
FINDING_MAX_EXPANDED = 100_000

#: The KPCS references a finding cites, by reason, with their public sources.
_KPCS = "KPCS as Annex I of Reg. (EC) 2368/2002, legislation.gov.uk"

REFERENCES = {
    "suspended": (
        "KPCS Section III(c): no shipment of rough diamonds is imported from or exported to "
        f"a non-Participant ({_KPCS}); a suspended participant may not trade (e.g. the "
        "Administrative Decision on the Central African Republic of 23 May 2013)"
    ),
    "self-suspended": (
        "A participant that has voluntarily suspended its trade in rough diamonds may not "
        "trade while the self-suspension lasts: e.g. Venezuela, whose voluntary withdrawal "
        "the register dates from the New Delhi intersessional of June 2008 (day not "
        "confirmed; GemTradeNet, June 2008, "
        "http://gemtradenet.blogspot.com/2008/06/venezuela-voluntarily-withdraws-from.html), "
        "while the US Department of State's list of KPCS participants gives the 'temporary "
        "self-suspension of Venezuela from trade under the Kimberley Process as of November "
        "4, 2010' (Federal Register notice 2015-12001, 18 May 2015, "
        "http://federal.elaws.us/fr/5/18/2015/2015-12001): sources disagree on the date"
    ),
    "removed": (
        "KPCS Section III(c): no shipment of rough diamonds is imported from or exported to "
        f"a non-Participant ({_KPCS}); a participant removed from the list is no longer one: "
        "e.g. the KP Chair's notice of 9 July 2004 issued a revised list of participants from "
        "which the Republic of Congo was removed, and participants were to advise their "
        "customs not to accept its certificates (Rapaport News, 11 July 2004, title not "
        "confirmed, "
        "https://rapaportfairtrade.com/2004/07/11/republic-of-congo-off-kp-list/)"
    ),
    "embargoed": (
        "A trade embargo recorded as a participant's status (registers written by kpmodel "
        "0.1): its goods may not be traded while it lasts. The embargo rests on its own "
        "instrument (such as a UN Security Council resolution), which the register's sources "
        "name, not on a KPCS section"
    ),
    "not-participant": (
        "KPCS Section III(c): no shipment of rough diamonds is imported from or exported to "
        f"a non-Participant ({_KPCS})"
    ),
    "non-compliant-zone": (
        "KP Administrative Decision on the Central African Republic as amended in July 2015: "
        "exports only from compliant zones under the Operational Framework "
        "(https://gems2jewellery.com/ban-on-car-diamonds-partially-lifted/)"
    ),
    "barred-zone": (
        "A KP Administrative Decision barring the goods of a zone of a participant in good "
        "standing: the Seventh Plenary (Swakopmund, 2-5 November 2009) adopted an "
        "Administrative Decision on a joint work plan for Zimbabwe's diamond trade (A. "
        "Chikane, KP Monitor for Marange, 'Kimberley Process Certification Scheme, Fact "
        "Finding Mission', 21 March 2010, https://vdocuments.mx/kimberley-process-"
        "certification-scheme-fact-finding-monitorx27s-fact-finding.html), under which "
        "an export ban was imposed on diamonds from Marange in November 2009 (T. Vircoulon, "
        "International Crisis Group, 'Time to Rethink the Kimberley Process: The Zimbabwe "
        "Case', 4 November 2010, https://docslib.org/doc/1299046/time-to-rethink-the-"
        "kimberley-process-the-zimbabwe-case-international-crisis-group)"
    ),
    "smuggled": (
        "KPCS Section III(a)-(b): every shipment crosses borders with a duly validated "
        f"Certificate ({_KPCS}); Section IV(a): internal controls to eliminate conflict "
        "diamonds from shipments (Partnership Africa Canada, 'The Key to Kimberley: Internal "
        "Diamond Controls')"
    ),
}

BoolArray = npt.NDArray[np.bool_]

#: Shares below this are float noise, not a finding.
TOLERANCE = 1e-9


class RegisterLike(Protocol):
    """What `audit` needs from a register (``kpmodel.participants.Register``)."""

    def status(self, code: str, *, on: Any) -> Any: ...

    def may_trade(self, code: str, *, on: Any, zone: str | None = None) -> bool: ...

    def participant_of(self, country: str, *, on: Any = None) -> str | None: ...


class FindingPaths(Sequence[Path]):
    """The largest paths of a finding (`Finding.paths`): a sequence of `Path`, largest first.

    Besides the paths, it says whether they are all the paths asked for and how many carats
    they carry. `audit` attaches one to each finding and searches for its paths the first
    time they are read; build one yourself only to make a `Finding` of your own.

    Parameters
    ----------
    paths : iterable of Path
        The paths, largest first.
    truncated : bool
        Whether the search for the paths stopped early (see the attribute).

    Attributes
    ----------
    truncated : bool
        True when the search for the largest paths stopped on its cap (100,000 partial
        paths examined per finding, `explain`'s search with a lower cap), before finding
        the `limit` paths asked for, so
        that more paths exist than are listed. Reading the paths of such a finding warns
        with `IncompleteResultWarning`.
    carats : float
        The carats the listed paths carry (the finding's `carats` when every path is
        listed).

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> mine = g.produce(country="CF", carats=10, on="2014-01-01")
    >>> out = g.ship(g.smuggle(mine, to="CM", on="2014-02-01"), to="AE", on="2014-03-01",
    ...              certificate="CM-1")
    >>> (finding,) = kp.provenance.audit(g, register=None)
    >>> finding.paths
    (Path(lots=(1, 2), flows=(10.0,), carats=10.0),)
    >>> finding.paths.truncated, finding.paths.carats
    (False, 10.0)
    >>> kp.provenance.FindingPaths(finding.paths) == finding.paths
    True
    """

    def __init__(self, paths: Iterable[Path] = (), *, truncated: bool = False) -> None:
        listed = checked_paths("FindingPaths", paths, truncated)
        self._paths: tuple[Path, ...] | None = listed
        self._truncated = truncated

    def _found(self) -> tuple[Path, ...]:
        return self._paths or ()

    @property
    def truncated(self) -> bool:
        """Whether the search stopped on its cap with fewer than `limit` paths."""
        self._found()
        return self._truncated

    @property
    def carats(self) -> float:
        """The carats the listed paths carry (the finding's carats when all are listed)."""
        return float(sum(path.carats for path in self._found()))

    @overload
    def __getitem__(self, index: int) -> Path: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Path, ...]: ...

    def __getitem__(self, index: int | slice) -> Path | tuple[Path, ...]:
        return self._found()[index]

    def __len__(self) -> int:
        return len(self._found())

    def __iter__(self) -> Iterator[Path]:
        return iter(self._found())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FindingPaths | tuple | list):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._found())

    def __repr__(self) -> str:
        return repr(self._found())


def _as_finding_paths(value: Iterable[Path]) -> FindingPaths:
    """Return `value` if it is a `FindingPaths` (kept as it is: audit's lazy paths), else
    a `FindingPaths` of its paths (an InvalidArgumentError for anything but paths).
    """
    return value if isinstance(value, FindingPaths) else FindingPaths(value)


@guarded
@attrs.frozen(kw_only=True)
class Finding:
    """A shipment whose certificate looks clean while its true origins are not.

    Attributes
    ----------
    lot : lot id
        The lot created by the shipment (as it arrives).
    certificate : str or None
        The certificate number.
    on : datetime.date or None
        The date of the shipment.
    exporter, importer : str
        Country codes.
    declared_origin : kpmodel.certificates.DeclaredOrigin
        What the certificate declares.
    reason : str
        Why `origin` may not be traded on the shipment's date, under the register:

        - ``"suspended"``: its participant is suspended (the Central African Republic
          from 23 May 2013);
        - ``"self-suspended"``: its participant has voluntarily suspended its trade
          (Venezuela 2008-2016);
        - ``"removed"``: its participant was removed from the list of participants (the
          Republic of Congo 2004-2007);
        - ``"embargoed"``: its participant is under an embargo recorded as a status
          (registers written by kpmodel 0.1);
        - ``"not-participant"``: no participant governs its country on that date;
        - ``"non-compliant-zone"``: a zone outside the compliant zones of a restricted
          participant (the Central African Republic 2015-2024);
        - ``"barred-zone"``: a zone a KP decision bars, of a participant in good standing
          (Marange, Zimbabwe, 2009-2011);
        - ``"smuggled"``: carats that crossed a border with no certificate.

        Earlier versions reported self-suspended, removed and embargoed participants and
        barred zones as ``"suspended"``.
    origin : str
        The offending origin (``"CF"`` or ``"CF/Nola"``), or ``"smuggled"``.
    share, carats : float
        The share and carats of the shipment that come from `origin`.
    paths : FindingPaths
        The largest paths (by carats) that carry `origin` into the shipment, largest
        first (see `explain`); any other iterable of `Path` given is made a
        `FindingPaths` (not truncated). `audit` finds them on demand, the first time they are read.
        Besides the paths, ``paths.truncated`` is True when the search for the largest
        paths stopped on its cap (see `audit`'s `limit`), before finding `limit` of them,
        so that more paths exist than are listed; and ``paths.carats`` gives the carats the
        listed paths carry (the finding's `carats` when every path is listed).
    reference : str
        The KPCS text or KP decision the finding rests on, with its public source (one
        per reason).

    Examples
    --------
    >>> f = kp.provenance.Finding(lot=3, certificate="CM-1", on=None, exporter="CM",
    ...     importer="AE", declared_origin=kp.certificates.DeclaredOrigin.single("CM"),
    ...     reason="smuggled", origin="smuggled",
    ...     share=0.5, carats=5.0, paths=kp.provenance.FindingPaths(), reference="...")
    >>> f.reason
    'smuggled'
    """

    lot: Any
    certificate: str | None
    on: Any
    exporter: str
    importer: str
    declared_origin: DeclaredOrigin
    reason: str
    origin: str
    share: float
    carats: float
    paths: FindingPaths = attrs.field(converter=_as_finding_paths)
    reference: str


def _declared_countries(declared: DeclaredOrigin) -> set[str]:
    return set(declared.countries)


def opacity(
    graph: ProvenanceGraph,
    *,
    per: Literal["destination", "shipment"] = "destination",
    max_memory: Limit = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Return the share of certified carats whose true origin cannot be read from the certificate.

    For each certified shipment, the readable carats are those whose true origin is a
    country the certificate declares (none for ``"MIXED"``); the rest are opaque, including
    carats a certificate attributes to the wrong country.

    Parameters
    ----------
    graph : ProvenanceGraph
    per : {"destination", "shipment"}
        Aggregate by importing country (default) or give one row per shipment.
    max_memory : int, float, Decimal or str, optional
        The most memory the origin shares of the shipments may need, by an estimate made
        before they are computed (as for `origin_shares`); a larger estimate is refused
        with a `kpmodel.errors.SizeLimitError`.
        A number of bytes (an int, float or Decimal), a size such as ``"64 GiB"`` or
        ``"1e3 MiB"``, or ``"none"`` for no limit. Default (None): the environment variable
        ``KPMODEL_MAX_MEMORY``, else 60% of the machine's memory.
    progress : bool, optional
        Show a progress bar while the origin shares of the shipments are computed (see
        `origin_shares`): by default only in a notebook or on a terminal.

    Returns
    -------
    pandas.DataFrame
        Columns ``carats``, ``readable_carats``, ``opaque_carats`` and ``opacity``
        (opaque / carats), indexed by importer (or by shipment lot id).

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> bw = g.ship(g.produce(country="BW", carats=30, on="2023-01-01"), to="AE", on="2023-02-01")
    >>> ru = g.ship(g.produce(country="RU", carats=10, on="2023-01-01"), to="AE", on="2023-02-01")
    >>> _ = g.ship(g.mix([bw, ru]), to="IN", on="2023-03-01")
    >>> kp.provenance.opacity(g)["opacity"].to_dict()
    {'AE': 0.0, 'IN': 1.0}
    """
    require_graph(graph)
    if not isinstance(per, str) or per not in ("destination", "shipment"):
        msg = f"per must be 'destination' or 'shipment'; got {show(per)}."
        raise InvalidArgumentError(msg)
    limit = _limits.resolved(max_memory)  # a size, or an InvalidArgumentError before any work
    paperwork = _Paperwork(graph)
    ships = shipments(graph)
    # Only the shipments' rows are read: their ancestry is all that is solved.
    try:
        shares = origin_shares(graph, lots=graph.lots[ships], max_memory=limit, progress=progress)
    except SizeLimitError as error:
        # The same refusal (the same estimate against the same limit), in opacity's words.
        # One without an estimate or a limit (a mixing rule out of memory) has nothing to
        # re-check: checking it against limit 0 would blame a max_memory never given.
        if math.isnan(error.estimate) or error.limit <= 0:
            raise
        try:
            _limits.check_memory(
                error.estimate,
                what=(
                    f"opacity over {ships.size:,} shipments (the origin shares of the shipped "
                    "lots, estimated before starting)"
                ),
                change="compute it on a graph of fewer shipments (a shorter period)",
                limit=error.limit,
            )
        except SizeLimitError as refusal:
            raise refusal from None
        raise
    column = {str(o): j for j, o in enumerate(shares.origins)}
    carats = graph._column("carats")[ships]
    readable = np.zeros(ships.size)
    for i, position in enumerate(ships.tolist()):
        declared = _declared_countries(paperwork.declared(position))
        cols = [column[c] for c in declared if c in column]
        readable[i] = carats[i] * float(dense_row(shares.values, i)[cols].sum())
    table = np.array([*graph._strings, None], dtype=object)
    frame = pd.DataFrame(
        {
            "importer": table[graph._column("country")[ships]],
            "carats": carats,
            "readable_carats": readable,
        },
        index=pd.Index([graph._lot_id(p) for p in ships.tolist()], name="lot_id"),
    )
    if per == "destination":
        frame = frame.groupby("importer").sum()
    else:
        frame = frame.drop(columns="importer")
    frame["opaque_carats"] = frame["carats"] - frame["readable_carats"]
    frame["opacity"] = frame["opaque_carats"] / frame["carats"]
    return frame


#: Statuses that bar a participant's trade, each its own reason.
_STATUS_REASONS = frozenset(
    {"suspended", "self-suspended", "removed", "embargoed", "not-participant"}
)


def _problem(register: RegisterLike, country: str, zone: str | None, on: Any) -> str | None:
    """Return why the register forbids goods of `country` (`zone`) on `on`, or None."""
    participant = register.participant_of(country, on=on)
    if participant is None:
        return "not-participant"
    if register.may_trade(participant, on=on, zone=zone):
        return None
    status = str(getattr(register.status(participant, on=on), "value", ""))
    if status == "restricted":
        return "non-compliant-zone"
    if status == "participant":
        return "barred-zone"  # in good standing, but its goods from `zone` are barred
    if status in _STATUS_REASONS:
        return status
    return "suspended"  # a status this version does not know: it may not trade


def _is_plain_register(register: object) -> TypeGuard[Register]:
    """Whether `register` answers as `kpmodel.participants.Register` does (not a lookalike
    or a subclass that overrides how it answers).
    """
    answers = ("participant_of", "status", "may_trade", "event", "_event")
    return isinstance(register, Register) and all(
        getattr(type(register), name) is getattr(Register, name) for name in answers
    )


def _register_start(register: object) -> dt.date | None:
    """Return the first date of a `Register` (its first status event), else None."""
    if not isinstance(register, Register):
        return None
    return min((e.on for p in register.participants for e in p.events), default=None)


def _change_dates(register: Register) -> list[dt.date]:
    """Return the dates on which `register`'s answers may change, sorted.

    Between two of them, who governs each country (the unions' memberships), each
    participant's status event and so every verdict of `_problem` are the same.
    """
    changes: set[dt.date] = set()
    for participant in register.participants:
        changes.update(event.on for event in participant.events)
        for member in participant.members:
            if member.start is not None:
                changes.add(member.start)
            if member.end is not None:
                changes.add(member.end + dt.timedelta(days=1))  # the end is inclusive
    return sorted(changes)


def _verdicts(
    register: RegisterLike, labels: Sequence[str], dates: Sequence[Any]
) -> dict[tuple[int, int], str]:
    """Return why the register forbids origin ``labels[j]`` on ``dates[d]``, by (j, d),
    for the pairs it forbids: `_problem` of each pair.

    A `kpmodel.participants.Register` is asked once per interval between the dates its
    answers may change (`_change_dates`), not once per date, and once per country where
    the zone cannot matter (neither a restricted participant nor one with barred zones).
    Any other register is asked about every pair.
    """
    verdict: dict[tuple[int, int], str] = {}
    parts = [label.partition("/") for label in labels]
    if not _is_plain_register(register):
        for j, (country, _, zone) in enumerate(parts):
            for d, date in enumerate(dates):
                reason = _problem(register, country, zone or None, date)
                if reason is not None:
                    verdict[j, d] = reason
        return verdict
    changes = _change_dates(register)
    intervals: dict[int, list[int]] = {}
    for d, date in enumerate(dates):
        intervals.setdefault(bisect.bisect_right(changes, date), []).append(d)
    by_country: dict[str, list[tuple[int, str | None]]] = {}
    for j, (country, _, zone) in enumerate(parts):
        by_country.setdefault(country, []).append((j, zone or None))
    for days in intervals.values():
        date = dates[days[0]]
        for country, zones in by_country.items():
            participant = register.participant_of(country, on=date)
            event = None if participant is None else register.event(participant, on=date)
            zoned = event is not None and (
                event.status is Status.RESTRICTED or bool(event.excluded_zones)
            )
            if zoned:
                answers = [(j, _problem(register, country, zone, date)) for j, zone in zones]
            else:
                reason = _problem(register, country, None, date)
                answers = [(j, reason) for j, _ in zones]
            for j, found in answers:
                if found is not None:
                    for d in days:
                        verdict[j, d] = found
    return verdict


class _Paths(FindingPaths):
    """The largest paths of one finding, found the first time they are read."""

    def __init__(self, flows: Flows, lot: int, columns: _Columns, origin: str, limit: int) -> None:
        super().__init__()
        self._args = (flows, lot, columns, origin, limit)
        self._paths = None

    def _found(self) -> tuple[Path, ...]:
        if self._paths is None:
            flows, lot, columns, origin, limit = self._args
            entering, best = columns.of(origin, flows)
            cap = FINDING_MAX_EXPANDED
            self._paths, self._truncated = largest_paths(
                flows, lot, entering, best, stop=True, limit=limit, cap=cap
            )
            if self._truncated:
                subject = (
                    f"audit, for the finding on lot {flows.graph._lot_id(lot)!r} ({origin}), "
                    "(finding.paths.truncated is True)"
                )
                warn_cut_short(subject, self._paths, limit, cap=cap, stacklevel=4)
        return self._paths


class _Columns:
    """Where each offending origin enters the graph and which lots carry it.

    The findings of an audit keep this object for the paths they find on demand. Which
    lots carry an origin is kept in the smaller of two forms (`_carriers`): one bit per lot,
    or the positions of the lots that carry it, so that it costs at most an eighth of a byte
    per lot and offending origin, not the eight of the propagated shares.

    For the origins whose paths were read last, it also keeps where each enters and each
    lot's best completion (`best_completion`; 9 bytes a lot and origin) in `found`, at most
    `bound` bytes of them (None: no bound): the origin read least recently is dropped first,
    and made again, the same, when its paths are read again. `held` is the bytes `found`
    holds.
    """

    def __init__(
        self,
        labels: dict[str, int],
        code: IntArray,
        carriers: list[npt.NDArray[Any]],
        smuggle: FloatArray,
        smuggled: FloatArray,
        bound: int | None = None,
    ) -> None:
        # labels: {origin label: its code in `code`}, in the order of `carriers`.
        self.column = {label: i for i, label in enumerate(labels)}
        self.labels, self.code = labels, code
        self.carriers = carriers
        self.smuggle, self.smuggled = smuggle > 0, smuggled > 0
        self.bound = bound
        # Least recently read first.
        self.found: OrderedDict[str, tuple[BoolArray, FloatArray]] = OrderedDict()
        self.held = 0
        # Findings' paths may be read from several threads: the cache changes under it.
        self._lock = threading.Lock()
        _LIVE.add(self)

    def __getstate__(self) -> dict[str, Any]:
        # Pickled findings carry no lock and no cache: what is dropped is made again.
        state = self.__dict__.copy()
        state.update(found=OrderedDict(), held=0)
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Findings pickled before the cache had a bound carry no `bound` or `held`, and their
        # `found` (a dict) may hold arrays: the cache is only a cache, it starts empty.
        self.__dict__.update(state, found=OrderedDict(), held=0, _lock=threading.Lock())
        self.__dict__.setdefault("bound", None)
        _LIVE.add(self)

    def _forget(self) -> None:
        """Start again with a lock no thread holds and an empty cache (`_after_fork_in_child`)."""
        self.__dict__.update(found=OrderedDict(), held=0, _lock=threading.Lock())

    def of(self, origin: str, flows: Flows) -> tuple[BoolArray, FloatArray]:
        """Return (where `origin` enters, the log2 best completion of each lot)."""
        with self._lock:
            kept = self.found.get(origin)
            if kept is not None:
                self.found.move_to_end(origin)
                return kept
            # Room made first (a bool and a float64 a lot), so that the cache and the
            # arrays about to be made stay within the bound.
            self._room(self.code.size + 8 * flows.n)
        if origin == "smuggled":
            entering, carried = self.smuggle, self.smuggled
        else:
            entering = self.code == self.labels[origin]
            carried = _carried(self.carriers[self.column[origin]], self.code.size)
        best = best_completion(flows, entering, carried, stop=True)
        size = entering.nbytes + best.nbytes
        with self._lock:
            if origin not in self.found and self._room(size):
                self.found[origin] = (entering, best)
                self.held += size
        return entering, best

    def _room(self, size: int) -> bool:
        """Drop the origins read least recently until `size` more bytes fit in the bound;
        return whether they fit (never when `size` alone is above it: nothing is dropped).
        """
        if self.bound is None:
            return True
        if size > self.bound:
            return False
        while self.held + size > self.bound:
            entering, best = self.found.popitem(last=False)[1]
            self.held -= entering.nbytes + best.nbytes
        return True


#: The `_Columns` of findings alive in this process, for `_after_fork_in_child`.
_LIVE: weakref.WeakSet[_Columns] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """Let a process forked while a thread was reading findings' paths read them too.

    The reading thread does not exist in the child, but the lock of the findings' cache it
    held stays held there for ever, and the cache may be half changed (an origin dropped,
    its bytes still counted): each live cache starts again, empty, with a fresh lock.
    """
    for columns in list(_LIVE):
        columns._forget()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


#: The share of the memory limit in force (`kpmodel._limits.resolve_limit`) that an audit's
#: findings keep by default for reading their paths (`_paths_bound`), since they keep it
#: after the audit returns, while every later call may use the whole limit: 15% of the
#: machine beside its default 60%. Measured in November 2026 (1,000,000 lots, 200
#: offending zones, 400 shipments each mixing 5 of them at random, 2,000 findings read in
#: shipment order, so that reads hop between origins): every origin kept, 1,717 MiB, the
#: paths read in 9.0 s; 1 GiB, 14.1 s; 256 MiB, 31.7 s; 64 MiB, 43.9 s; none, 55.8 s (an
#: origin made again cost 12-26 ms, a read of what is kept 4.5 ms). A quarter of the
#: default limit keeps all 200 there (3.5 GiB on this 23.5 GiB machine) and holds at most
#: that on larger graphs, where every origin kept could hold the whole limit (14.1 GiB).
PATHS_SHARE = 0.25


def _paths_bound(max_memory: Limit) -> int | None:
    """Return the most bytes an audit's findings keep for reading their paths (`_Columns`):
    `max_memory` when given, else `PATHS_SHARE` of the limit in force when the audit ran
    (the environment variable, else 60% of the machine's memory;
    `kpmodel._limits.resolve_limit`); None for no limit (``"none"``).
    """
    limit = _limits.resolve_limit(max_memory)
    if max_memory is None and limit is not None:
        return int(PATHS_SHARE * limit)
    return limit


def _carriers(carries: BoolArray) -> npt.NDArray[Any]:
    """Return which lots `carries` marks, in its smaller form: the positions of the marked
    lots (as int32 where they fit) when fewer than one lot in 32 is marked, else one bit a
    lot (`numpy.packbits`). `_carried` reads either back.
    """
    marked = int(np.count_nonzero(carries))
    index = np.int32 if carries.size < 2**31 else np.int64
    if marked * np.dtype(index).itemsize < (carries.size + 7) // 8:
        return np.flatnonzero(carries).astype(index)
    return np.packbits(carries)


def _carried(carriers: npt.NDArray[Any], n: int) -> BoolArray:
    """Return the boolean mask of `n` lots that `_carriers` stored as `carriers`."""
    if carriers.dtype == np.uint8:
        return np.unpackbits(carriers, count=n).view(np.bool_)
    mask = np.zeros(n, np.bool_)
    mask[carriers] = True
    return mask


def _day(value: np.datetime64) -> Any:
    return None if np.isnat(value) else pd.Timestamp(value).date()


#: The most bytes of float64 shares the audit propagates at once: the offending origins'
#: columns are propagated a block of columns at a time, each block read (the shipments'
#: offending shares, the lots that carry each origin) and dropped before the next. On the
#: 1M-lot random graphs of ``benchmarks/bench_audit_memory.py`` (200 offending origins)
#: blocks of this size (8 columns) took less time than all 200 at once: 2.7-4.7 s against
#: 5.1-8.3 s (November 2026, 2 cores at load 2-3).
BLOCK_BYTES = 64 * 2**20

#: The bytes of each offending share of a shipment found while propagating: its row,
#: column and share, 8 bytes each, in the blocks' lists, then concatenated and sorted (the
#: sort order and the sorted copies).
ENTRY_BYTES = 80

#: The bytes of one finding in the audit's result (the `Finding`, its lazy paths and its
#: fields): 380-401 B a finding retained after `audit` returned (tracemalloc, November
#: 2026, ``benchmarks/bench_audit_memory.py``'s random graphs of 100,000 lots with 20 and
#: 200 offending origins, 157,182 and 2,070,742 findings), rounded up.
FINDING_BYTES = 448


def _block_width(n: int, k: int) -> int:
    """Return how many of `k` offending columns of `n` lots to propagate at once."""
    return max(1, min(k, BLOCK_BYTES // (8 * max(n, 1))))


def _columns_need(n: int, k: int, ships: int, flows: int) -> float:
    """Return the bytes the audit needs before any finding is kept: W, held throughout (12
    bytes a flow and 4 a lot); the propagation of smuggled carats (its column, a copy and
    masks, 26 bytes a lot, and W's values masked, 24 bytes a flow); the paperwork's and the
    paths' indexes (24 bytes a lot) and each shipment's declared origin, read once and kept
    (128 bytes a shipment); and `_offending_shares`' block of float64 columns of every lot
    and, at the shipments, their shares and the masks that select them (14 bytes a
    shipment and column); the lots that carry each origin (at most a bit a lot).

    The bytes a lot, a flow, a shipment and a shipment and column are what the traced
    peaks of audits of 2,000 to 100,000 mines, shipped or smuggled and shipped, with 1 to
    2,000 zones, needed beyond the rest, rounded up: with the bytes of each finding, they
    bound what an audit allocates (``benchmarks/bench_audit_memory.py``'s ``mines``
    graphs, November 2026: the smallest limit allowed was 1.05-1.22 times the traced
    peak, and 1.89 on car-2013).
    """
    width = _block_width(n, k)
    return (
        float(n) * width * 8
        + float(ships) * (width * 14 + 128)
        + float(k) * ((n + 7) // 8)
        + float(flows) * (12 + 24)
        + float(n) * (4 + 26 + 24)
    )


def _offending_shares(
    graph: ProvenanceGraph,
    weights: sp.csr_array,
    zone_code: IntArray,
    offending: Sequence[int],
    ships: IntArray,
    offends: BoolArray,
    day_of_ship: IntArray,
    width: int,
    check: Callable[[int], None],
) -> tuple[list[npt.NDArray[Any]], IntArray, IntArray, FloatArray]:
    """Propagate the offending origins' columns `width` at a time; return which lots carry
    each (`_carriers`) and the shipments' offending shares: (rows into `ships`, columns
    into `offending`, shares), sorted by row then column, of the shares above `TOLERANCE`
    on a shipment whose day the origin offends on (`offends`, days x columns, and each
    shipment's day).

    `check(entries)` is called with the shares kept so far, after each block, before the
    next is propagated (the memory check of what the findings will need).
    """
    n, k = len(graph), len(offending)
    column_of = np.full(max(int(zone_code.max(initial=-1)), *offending, -1) + 2, -1, np.int64)
    column_of[list(offending)] = np.arange(k)
    produced = np.flatnonzero(zone_code >= 0)
    hit = column_of[zone_code[produced]]
    produced, hit = produced[hit >= 0], hit[hit >= 0]
    carriers: list[npt.NDArray[Any]] = []
    rows: list[IntArray] = []
    columns: list[IntArray] = []
    shares: list[FloatArray] = []
    kept = 0
    for first in range(0, k, width):
        last = min(first + width, k)
        entering = np.zeros((n, last - first))
        inside = (hit >= first) & (hit < last)
        entering[produced[inside], hit[inside] - first] = 1.0
        carried = propagate(graph, entering, weights=weights)
        carriers.extend(_carriers(carried[:, c] > 0) for c in range(last - first))
        at_ships = carried[ships]
        del carried, entering
        row, column = np.nonzero((at_ships > TOLERANCE) & offends[day_of_ship, first:last])
        shares.append(at_ships[row, column])
        rows.append(row)
        columns.append(column + first)
        kept += row.size
        check(kept)
    if not rows:
        empty = np.zeros(0, np.int64)
        return carriers, empty, empty.copy(), np.zeros(0)
    row, column = np.concatenate(rows), np.concatenate(columns)
    order = np.lexsort((column, row))
    return carriers, row[order], column[order], np.concatenate(shares)[order]


def audit(
    graph: ProvenanceGraph,
    *,
    register: RegisterLike | None,
    limit: int = 20,
    max_memory: Limit = None,
    progress: bool | None = None,
) -> list[Finding]:
    """Find shipments whose certificate looks clean while their true origins are not.

    A shipment is reported when its certificate's declared origin does not name an
    offending origin of its carats: a participant that may not trade on the shipment's
    date (suspended, self-suspended, removed, or no participant at all), a zone outside the
    compliant zones of a restricted participant, a zone a KP decision bars, or carats that
    crossed a border with no certificate (``"smuggled"``); `Finding.reason` lists the
    reasons. Origins are judged on the date of the shipment (a
    `kpmodel.participants.Register` is asked once per origin and per interval between the
    dates its statuses and memberships change, not once per shipment day). Each finding
    carries the paths that explain it and the KPCS reference.

    Parameters
    ----------
    graph : ProvenanceGraph
    register : kpmodel.participants.Register or None
        The register of participants (anything with ``participant_of``, ``status`` and
        ``may_trade``). None checks smuggled carats only.
    limit : int
        The most paths to attach to a finding. They are found as `explain` finds its
        paths (the same search, with a cap of 100,000 partial paths examined per finding
        where `explain` has 1,000,000: an audit reads many findings' paths); a finding
        whose paths it cut short lists fewer than `limit` and says so
        (``finding.paths.truncated``, with the carats they cover in
        ``finding.paths.carats``).
    max_memory : int, float, Decimal or str, optional
        The most memory the audit may need: for its indexes of the graph, the propagation of
        smuggled carats and the offending origins' columns (propagated a block of 64 MiB at
        a time, keeping an eighth of a byte per lot and offending zone-level origin at most
        for the paths), by an estimate made once the offending origins are known and before
        any is propagated; and for the findings, counted as each block is read. A larger
        need is refused with a `kpmodel.errors.SizeLimitError` that says what to do.
        The same limit bounds what the findings keep to read their paths afterwards: for
        each offending origin whose paths were read, where it enters and each lot's
        largest completion (9 bytes a lot), at most `max_memory` bytes of them in all when
        it is given; beyond, the origin read least recently is dropped, and found again,
        the same, when its paths are read again (with ``"none"``, every origin read is
        kept).
        By default they keep a quarter of the limit in force (15% of the machine's memory
        without ``KPMODEL_MAX_MEMORY``), since they keep it after the audit returns. On a
        million lots an origin takes 9 MB: reading the paths of 2,000 findings hopping
        between 200 origins took 9.0 s with every origin kept (1.7 GiB, within the
        default here), 44 s with 64 MiB and 56 s with none (an origin found again cost
        12-26 ms, a read of one kept 4.5 ms; November 2026, a 2-core machine). Read
        origin by origin (findings sorted by `Finding.origin`), each origin is found once
        whatever is kept.
        The search for one finding's paths is capped instead (see `limit`).
        A number of bytes (an int, float or Decimal), a size such as ``"64 GiB"`` or
        ``"1e3 MiB"``, or ``"none"`` for no limit. Default (None): the environment variable
        ``KPMODEL_MAX_MEMORY``, else 60% of the machine's memory.
    progress : bool, optional
        Show a progress bar over the shipments (``tqdm``): by default only in a notebook or
        on a terminal, and only when the audit lasts more than a second.

    Returns
    -------
    list of Finding
        In shipment order; within a shipment, by reason then origin.

    Raises
    ------
    kpmodel.errors.InvalidArgumentError
        For an argument of the wrong kind, or undated shipments under a register.
    kpmodel.errors.SizeLimitError
        For offending origins' columns estimated to need more than `max_memory`, or
        findings counted above it.

    Warns
    -----
    kpmodel.errors.IncompleteResultWarning
        With a `kpmodel.participants.Register`, shipments dated before its first date (1
        January 2003 in the shipped register, when international implementation of the
        KPCS started) are judged for smuggled carats only, as with ``register=None``:
        the register-based reasons (all but ``"smuggled"``) are not looked for on them.
        The warning says how many, and the register's first date.
        Also when a finding's paths are read and their search stopped on its cap (see
        `limit`).

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> car = g.produce(country="CF", carats=10, on="2014-01-01")
    >>> cm = g.mix([g.smuggle(car, to="CM", on="2014-02-01"),
    ...             g.produce(country="CM", carats=10, on="2014-02-01")])
    >>> out = g.ship(cm, to="AE", on="2014-03-01", certificate="CM-0042")
    >>> [(f.certificate, str(f.declared_origin), f.reason, f.share)
    ...  for f in kp.provenance.audit(g, register=None)]
    [('CM-0042', 'CM', 'smuggled', 0.5)]
    """
    require_graph(graph)
    limit = positive_limit(limit)
    bound = _paths_bound(max_memory)  # a size, or an InvalidArgumentError before any work
    needed = ("participant_of", "status", "may_trade")
    if register is not None and not all(callable(getattr(register, m, None)) for m in needed):
        msg = (
            "register must be a kpmodel.participants.Register (or have participant_of, "
            "status and may_trade), or None to look for smuggled carats only; got "
            f"{type(register).__name__}."
        )
        raise InvalidArgumentError(msg)
    ships = shipments(graph)
    if ships.size == 0:
        return []
    n = len(graph)
    zone_code, labels = origin_labels(graph, "zone")
    ship_days = graph._column("on")[ships]
    if register is not None and np.isnat(ship_days).any():
        undated = graph.lots[ships[np.isnat(ship_days)]]
        listed = ", ".join(repr(lot) for lot in undated[:MAX_LISTED].tolist())
        more = f" and {undated.size - MAX_LISTED:,} more" if undated.size > MAX_LISTED else ""
        msg = (
            f"audit judges each shipment against the register on its date, but {undated.size} "
            f"shipment lot(s) have no date (lot_id {listed}{more}); give their dates (the 'on' "
            "column of the lots frame, or on= when shipping), or audit with register=None "
            "to look for smuggled carats only."
        )
        raise InvalidArgumentError(msg)
    days, day_of_ship = np.unique(ship_days, return_inverse=True)
    dates = [_day(d) for d in days]
    # Shipment days before the register's first date get no verdict from it: those
    # shipments are judged for smuggled carats only (as with register=None).
    start = _register_start(register)
    first = int(np.searchsorted(days, np.datetime64(start))) if start is not None else 0
    if first:
        early = int(np.count_nonzero(day_of_ship < first))
        msg = (
            f"audit judged {early:,} shipment(s) dated before {start}, the register's "
            "first date (in the shipped register, the day international implementation of "
            "the KPCS started), for smuggled carats only: the register has no participant "
            "to judge their origins against before it. To judge them, audit with a register "
            "whose statuses start earlier."
        )
        warnings.warn(msg, IncompleteResultWarning, stacklevel=2)
    # The verdict on each origin for each shipment day; an origin never offending on any
    # of them is not propagated at all.
    verdict = (
        {}
        if register is None
        else {
            (j, d + first): reason
            for (j, d), reason in _verdicts(register, labels, dates[first:]).items()
        }
    )
    offending = sorted({j for j, _ in verdict})
    k = len(offending)
    # Whether each offending column offends on each shipment day: a share on another day
    # is no finding, and is not kept.
    offends = np.zeros((len(dates), k), np.bool_)
    position_of = {j: c for c, j in enumerate(offending)}
    for j, d in verdict:
        offends[d, position_of[j]] = True
    block = _block_width(n, k)
    # Checked before W, the paperwork or any propagation is made: a refusal allocates
    # little beyond the lots' zone codes and the shipments' days.
    need = _columns_need(n, k, int(ships.size), graph.number_of_flows)
    _limits.check_memory(
        need,
        what=(
            f"audit over {n:,} lots x {k:,} offending zone-level origins (estimated before "
            "propagating them)"
        ),
        change=(
            "audit a graph of fewer lots (a shorter period), or a register under which "
            "fewer zone-level origins offend"
        ),
        limit=max_memory,
    )
    paperwork = _Paperwork(graph)
    smuggle = (graph._column("kind") == KIND_CODE[Kind.SMUGGLE]).astype(np.float64)
    weights = share_weights(graph)  # W, made once for every propagation below
    smuggled = propagate(graph, smuggle.copy()[:, None], reset=smuggle > 0, weights=weights)[:, 0]
    smuggled_at = smuggled[ships]
    smuggled_ships = int(np.count_nonzero(smuggled_at > TOLERANCE))

    def check_found(entries: int) -> None:
        # Each offending share of a shipment kept may become a finding.
        _limits.check_memory(
            need + (entries + smuggled_ships) * (ENTRY_BYTES + FINDING_BYTES),
            what=(
                f"audit over {n:,} lots x {k:,} offending zone-level origins, with at least "
                f"{entries + smuggled_ships:,} offending shares of {ships.size:,} shipment(s) "
                "to report (counted while propagating them)"
            ),
            change=(
                "audit a graph of fewer shipments (a shorter period), or a register under "
                "which fewer zone-level origins offend"
            ),
            limit=max_memory,
        )

    carriers, ship_rows, ship_columns, ship_shares = _offending_shares(
        graph,
        weights,
        zone_code,
        offending,
        ships,
        offends,
        day_of_ship,
        block,
        check_found,
    )
    columns = _Columns(
        {labels[j]: j for j in offending}, zone_code, carriers, smuggle, smuggled, bound
    )
    flows = Flows(graph)
    starts = np.searchsorted(ship_rows, np.arange(ships.size + 1))
    flagged = np.flatnonzero((np.diff(starts) > 0) | (smuggled_at > TOLERANCE))
    # Per-shipment columns, read once.
    parents = graph._flow_column("source")[paperwork.indptr[ships[flagged]]]
    lot_ids = graph.lots[ships[flagged]].tolist()
    certificates = graph._column("certificate")[ships[flagged]].tolist()
    exporters = graph._column("country")[parents].tolist()
    importers = graph._column("country")[ships[flagged]].tolist()
    ship_carats = graph._column("carats")[ships[flagged]].tolist()
    countries = [label.partition("/")[0] for label in labels]
    findings = []
    bar = _bar(progress, int(flagged.size), "audit")
    for f, i in enumerate(flagged.tolist()):
        position = int(ships[i])
        declared = paperwork.declared(position)
        named = _declared_countries(declared)
        day = int(day_of_ship[i])
        offences: list[tuple[str, str, float]] = []
        for c, share in zip(
            ship_columns[starts[i] : starts[i + 1]].tolist(),
            ship_shares[starts[i] : starts[i + 1]].tolist(),
            strict=True,
        ):
            j = offending[c]
            if countries[j] in named:
                continue  # openly declared: a rules check, not a laundering finding
            reason = verdict.get((j, day))
            if reason is not None:
                offences.append((reason, labels[j], share))
        if smuggled_at[i] > TOLERANCE:
            offences.append(("smuggled", "smuggled", float(smuggled_at[i])))
        carats = ship_carats[f]
        for reason, origin, share in sorted(offences):
            findings.append(
                Finding(
                    lot=lot_ids[f],
                    certificate=graph._string(certificates[f]),
                    on=dates[day],
                    exporter=graph._string(exporters[f]) or "",
                    importer=graph._string(importers[f]) or "",
                    declared_origin=declared,
                    reason=reason,
                    origin=origin,
                    share=share,
                    carats=share * carats,
                    paths=_Paths(flows, position, columns, origin, limit),
                    reference=REFERENCES[reason],
                )
            )
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return findings
