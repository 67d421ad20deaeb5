"""Definitions over a provenance graph: every carat judged at the event its definition judges.

Under mass balance a lot's share of carats from a set of production lots is linear in the
indicator of that set, so one propagation through the graph gives, for every lot at once,
the share of its carats whose verdict is IN (or UNDETERMINED) under each definition.

A definition says which event it judges (`Definition.judges`): production (where and when
the carats were mined: the KPCS), export (the carats' first shipment out of the country of
production) or import (their latest shipment into the country where they are: the G7/EU
ban on Russian-origin diamonds restricts imports from 1 January 2024, whenever the stones
were mined). For export and import the propagation restarts at the shipment lots, each
judging the origins it carries on its own date. Lots are grouped by place and verdict (same
outcome on the same grounds), so a lot's verdict keeps its reasons while the propagation
keeps few columns.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast, overload

import numpy as np
import pandas as pd
import scipy.sparse as sp

from kpmodel._boundary import MAX_LISTED, show
from kpmodel._limits import Limit, check_memory, resolved
from kpmodel._lot_ids import FoundLots, lot_positions
from kpmodel.definitions._calling import name_of
from kpmodel.definitions._definition import (
    EVENTS,
    Definition,
    Verdict,
    _DesignationTest,
    _PlaceTest,
    _SetTest,
    _TimeTest,
)
from kpmodel.definitions._evidence import Period, Place, Situation
from kpmodel.definitions._origins import (
    IN,
    OUT,
    UNDETERMINED,
    UNKNOWN_VERDICT,
    Judged,
    kleene_any,
    origin_verdict,
    situation_list,
)
from kpmodel.errors import InvalidArgumentError
from kpmodel.provenance import (
    ProvenanceGraph,
    input_shares,
    lot_carats,
    lot_column,
    origin_shares,
    propagate,
    unknown_fraction,
)

if TYPE_CHECKING:
    from kpmodel.definitions._lots import Lots

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

#: The origin levels, coarsest first.
LEVELS = ("country", "zone", "site")

#: The most memory one propagation of a comparison's columns may take (bytes): columns
#: beyond it are propagated a chunk at a time, and read again from the graph when asked for.
CHUNK_BYTES = 2**30

#: The largest propagated table a comparison keeps for the per-lot amounts (bytes); a
#: larger one is dropped once totalled, and a definition's columns propagated again when
#: its per-lot amounts are read.
KEPT = 2**28

#: The keyword that sets the memory limit of what is read from a comparison after it is made.
LATER = "the max_memory= of kpmodel.compare"

#: Below this, a propagated share is float noise, not carats (shares are fractions of 1).
_NOISE = 1e-12


def check_graph(instance: Any, attribute: Any, value: Any) -> None:
    """Validate `Lots.graph`: a provenance graph or None."""
    if value is not None and not isinstance(value, ProvenanceGraph):
        msg = f"graph must be a kpmodel.ProvenanceGraph or None; got {type(value).__name__}"
        raise InvalidArgumentError(msg)


def check_by(instance: Any, attribute: Any, value: Any) -> None:
    """Validate an origin level: country, zone or site."""
    if not isinstance(value, str) or value not in ("country", "zone", "site"):
        msg = f"by must be 'country', 'zone' or 'site'; got {show(value)}"
        raise InvalidArgumentError(msg)


def graph_lots(
    cls: type[Lots],
    graph: Any,
    situations: Any,
    *,
    by: str,
    lots: Iterable[Any] | None,
    max_memory: Limit = None,
) -> Lots:
    """Build `Lots` from a provenance graph (the body of `Lots.from_graph`)."""
    limit = resolved(max_memory)  # a size, or an InvalidArgumentError before any work
    if not isinstance(graph, ProvenanceGraph):
        msg = f"graph must be a kpmodel.ProvenanceGraph; got {type(graph).__name__}"
        raise InvalidArgumentError(msg)
    check_by(None, None, by)
    if isinstance(situations, Iterator):  # read once here, and again by compare()
        situations = tuple(situations)
    situation_list(situations)  # checked now, so that compare() cannot fail on it later
    rows = _selected(graph, lots)
    if lots is None:  # every lot: the frame as it is, not a copy of every row
        shares = origin_shares(graph, by=cast(Any, by), max_memory=limit).to_frame()
    else:
        # Named by the graph's own ids; found already, so origin_shares does not look again.
        ids = graph.lots
        asked = FoundLots(ids[rows], rows, among=ids)
        shares = origin_shares(graph, by=cast(Any, by), lots=asked, max_memory=limit).to_frame()
    carats = pd.Series(_carats(graph)[rows], index=shares.index, name="carats")
    value = _carried_value(graph)[rows]
    return cls(
        shares=shares,
        situations=situations,
        carats=carats,
        value_usd=pd.Series(value, index=shares.index, name="value_usd"),
        graph=graph,
        by=by,
    )


def _selected(graph: ProvenanceGraph, lots: Iterable[Any] | None) -> np.ndarray[Any, Any]:
    """Return the positions of the lots asked for (all when None), each lot once.

    The ids are checked and found as `origin_shares` finds them (`lot_positions`): an id
    names a lot only if it is of the lot id's kind (`id_kind`: an int for an int id, text
    for a text id), so ``4.0``, ``True`` or ``Decimal(4)`` equal ``4`` but are not lot 4.
    Unlike `origin_shares`, a lot named twice (or by two ids of the same lot, such as ``4``
    and ``numpy.int64(4)``) is refused: a comparison would judge it twice and count its
    carats twice.
    """
    if lots is None:
        return np.arange(len(graph))
    wanted, rows = lot_positions(lots, graph.lots)
    _, first, count = np.unique(rows, return_index=True, return_counts=True)
    if (count > 1).any():
        repeated = []
        for row in rows[np.sort(first[count > 1])][:MAX_LISTED].tolist():
            at = np.flatnonzero(rows == row)
            shown = at[:MAX_LISTED]  # a lot listed a million times: a short message
            given = ", ".join(
                f"lots[{i}] = {show(lot)}"
                for i, lot in zip(shown.tolist(), wanted[shown].tolist(), strict=True)
            )
            times = f" and {at.size - shown.size:,} more" if at.size > shown.size else ""
            lot = show(graph.lots[row : row + 1].tolist()[0])
            repeated.append(f"lot {lot} ({given}{times})")
        more = int((count > 1).sum()) - len(repeated)
        msg = (
            f"lots names the same lot more than once: {'; '.join(repeated)}"
            f"{f' and {more:,} more lots' if more > 0 else ''}. A comparison judges each lot once "
            "(a lot listed twice would count its carats twice): pass each lot once, for "
            "example list(dict.fromkeys(lots))"
        )
        raise InvalidArgumentError(msg)
    return rows


def _carats(graph: ProvenanceGraph) -> FloatArray:
    return lot_carats(graph)


class _Frames:
    """The lot columns of a graph and its production table, each read once per computation."""

    def __init__(self, graph: ProvenanceGraph) -> None:
        self.graph = graph
        self._columns: dict[str, Any] = {}
        self.production: dict[str, tuple[np.ndarray[Any, Any], pd.DataFrame]] = {}
        self._items: LotIds | None = None
        self._unknown: FloatArray | None = None
        self._weights: sp.csr_array | None = None
        self.moves: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None = None
        #: A table's memory reused by the propagations of one computation.
        self.scratch: FloatArray | None = None
        #: Per definition, the verdict on each place and epoch (or day), judged once.
        self.verdicts: dict[str, dict[tuple[Place, Any], Verdict]] = {}
        #: Each situation's verdict by each definition on each day, judged once.
        self.judged: Judged = {}

    def weights(self) -> sp.csr_array:
        """Return `input_shares` of the graph, made once for the propagations."""
        if self._weights is None:
            self._weights = input_shares(self.graph)
        return self._weights

    def unknown(self) -> FloatArray:
        """Return `unknown_fraction` of the graph, made once."""
        if self._unknown is None:
            self._unknown = unknown_fraction(self.graph)
        return self._unknown

    def column(self, name: str) -> Any:
        """Return one lot column (`kpmodel.provenance.lot_column`), read once."""
        if name not in self._columns:
            self._columns[name] = lot_column(self.graph, name)
        return self._columns[name]

    def items(self, lots: Lots) -> LotIds:
        """Return the lots' ids as text (the items of a comparison), each made when read."""
        if self._items is None:
            self._items = LotIds(lots.shares.index)
        return self._items


class _Places(tuple[Place, ...]):
    """The distinct places of a production table, kept in its ``attrs``: shared, not copied.

    pandas deep-copies ``attrs`` into every frame derived from the table (each column read,
    each selection): 20,000 places copied that way took most of a comparison's time. The
    tuple and its places are immutable, so a copy of it can be the tuple itself.
    """

    __slots__ = ()

    def __copy__(self) -> _Places:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Places:
        return self


def _production(
    graph: ProvenanceGraph, by: str, frames: _Frames | None = None
) -> tuple[np.ndarray[Any, Any], pd.DataFrame]:
    """Return the positions of production lots and their place, day and value per carat.

    The table's ``place_code`` indexes the distinct places (``table.attrs["places"]``, a
    `_Places`), ``day64`` holds the days as ``datetime64[D]`` (NaT where unknown).
    """
    frames = frames or _Frames(graph)
    if by in frames.production:
        return frames.production[by]
    origin = frames.column("origin")
    rows = np.flatnonzero(np.asarray(frames.column("kind") == "produce") & (origin.codes >= 0))
    # Each part's codes combined into one number per lot, and each distinct place built
    # once, in the order places are first met (a missing and a blank zone are one place).
    parts = [frames.column(c) for c in ["origin", "zone", "site"][: LEVELS.index(by) + 1]]
    combined = np.zeros(rows.size, np.int64)
    for part in parts:
        combined = combined * (len(part.categories) + 1) + (part.codes[rows].astype(np.int64) + 1)
    _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    made: list[Place] = []
    number: dict[Place, int] = {}
    rank = np.empty(first.size, np.int64)
    for key in np.argsort(first, kind="stable").tolist():
        lot = int(rows[first[key]])
        values = [_text(part[lot]) for part in parts[1:]]
        place = Place(str(parts[0][lot]), *values)
        rank[key] = number.setdefault(place, len(made))
        if rank[key] == len(made):
            made.append(place)
    place_code = rank[inverse.reshape(-1)]
    carats = _carats(graph)[rows]
    table = pd.DataFrame(
        {
            "place_code": place_code,
            "day64": np.asarray(frames.column("on"))[rows],
            "value_per_carat": _ratio(np.asarray(frames.column("value_usd"))[rows], carats),
        }
    )
    table.attrs["places"] = _Places(made)
    frames.production[by] = (rows, table)
    return rows, table


def _ratio(value: FloatArray, carats: FloatArray) -> FloatArray:
    """Return value / carats, NaN or infinite where carats are 0 (as pandas divides)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio: FloatArray = value / carats
    return ratio


def _text(value: Any) -> str | None:
    """Return a zone or site name, or None where the graph has none."""
    return None if value is None or pd.isna(value) or not str(value).strip() else str(value)


def _carried_value(graph: ProvenanceGraph) -> FloatArray:
    """Return each lot's production value: value per carat carried by mass balance."""
    rows, table = _production(graph, "country")
    known = table["value_per_carat"].notna().to_numpy()
    initial = np.zeros((len(graph), 2))
    initial[rows[known], 0] = table["value_per_carat"].to_numpy()[known]
    initial[rows[known], 1] = 1.0
    carried = propagate(graph, initial)
    value: FloatArray = np.where(carried[:, 1] > 1 - 1e-9, carried[:, 0] * _carats(graph), np.nan)
    return value


def judged_event(definition: Any) -> str:
    """Return the event a definition judges: production (the default), export or import.

    A combination of definitions that judge different events cannot be judged carat by
    carat from one propagation; compare its parts instead.
    """
    event = getattr(definition, "judges", "production")
    if event not in EVENTS:
        name = name_of(definition)
        msg = (
            f"{name} combines definitions that judge different events ({event!r}); a graph "
            "judges each carat at one event per definition: compare the parts separately"
        )
        raise InvalidArgumentError(msg)
    return str(event)


def graph_verdicts(
    definitions: list[Any], lots: Lots, on: dt.date | Period | None, max_memory: Limit = None
) -> tuple[LotVerdicts, LotAmounts]:
    """Return a verdict per lot and definition, and the tidy shares, carats and value.

    Each definition judges the carats at its event: production lots on their production
    date, shipment lots (for export and import) on their shipment date; `on`, when given,
    judges everything as of that date instead.
    """
    events = {name_of(d): judged_event(d) for d in definitions}
    if on is not None:
        events = dict.fromkeys(events, "production")
    graph = lots.graph
    assert graph is not None  # only called for lots built from a graph
    frames = _Frames(graph)
    groups = [
        (event, group)
        for event in EVENTS
        if (group := [d for d in definitions if events[name_of(d)] == event])
    ]
    evidence = situation_list(lots.situations)
    carried = {
        event: _carried_places(_production(graph, lots.by, frames)[1], group, evidence)
        for event, group in groups
        if event != "production"
    }
    # One check for everything asked, before any table (or the shipments' arrivals) is made;
    # the arrivals' entries, whose number only the arrivals tell, are checked when counted.
    budget = _Budget(
        need=_compare_need(graph, lots, groups, carried, frames, on),
        what=f"judging {_count_text(len(lots.shares), 'lot')} under {_asked_text(groups)}",
        limit=max_memory,
    )
    budget.check(0.0)
    parts = [
        _event_verdicts(group, lots, on, event, frames, carried.get(event), budget)
        for event, group in groups
    ]
    if len(parts) == 1:
        return parts[0]
    # Definitions judging different events: one propagation per event, put back in order.
    names = [name_of(d) for d in definitions]
    chosen = {name: part[0].judged[name] for part in parts for name in part[0].names}
    items = parts[0][0].lot_ids
    return (
        LotVerdicts(items, names, chosen, max_memory),
        LotAmounts(items, names, chosen, max_memory),
    )


class _Budget:
    """The memory a comparison was checked for, and the limit to check what it adds.

    `need` is the estimate made before any table (`_compare_need`), `what` the work
    named in a refusal, `limit` the ``max_memory=`` of `kpmodel.compare` (None: the
    environment's), also used for what is read from the comparison later.
    """

    # Measured with `PER_LOT` and the bytes beside it (see there), and again in November
    # 2026 with tracemalloc around `_arrivals` and each entries check, on world-baseline
    # x20 and x400 and on graphs of 10,000 to 1,000,000 entries (200 sites in Russia
    # mixed, split and shipped 2,500 to 5,000 times; one propagation or chunks of 60
    # columns). Above what was held before the entries: 47 B an entry while found in one
    # chunk, 55 B when merged from several (105 B before the merge dropped each chunk's
    # part once copied); 72 B and 4.3 B a definition while their classes are found (one
    # set of epochs; each set of epochs more holds 16 B an entry); 75-76 B a cell while
    # the cells are made and the group's tables propagated.
    #: Bytes per entry of the arrivals (a shipment carrying a place), at most: the entries
    #: (four numbers, merged from several chunks), their places and days; per entry and
    #: definition, the class found (with each definition's epochs and key numbers); per
    #: cell (an entry whose verdict under a definition is worth keeping), the cell made.
    PER_ENTRY, PER_CLASS, PER_CELL = 72.0, 24.0, 80.0

    def __init__(
        self, *, need: float, what: str, limit: Limit, change: str = "", keyword: bool | str = True
    ) -> None:
        self.need, self.what, self.limit, self.keyword = need, what, limit, keyword
        self.change = change or (
            "compare fewer definitions at a time (each table spans every lot of the graph, so "
            "judging fewer lots saves little)"
        )

    def check(self, more: float) -> None:
        """Refuse when the estimate plus `more` bytes is above the limit."""
        check_memory(
            self.need + more,
            what=self.what,
            change=self.change,
            limit=self.limit,
            keyword=self.keyword,
        )

    def entries(self, count: int, definitions: int, cells: int = 0) -> None:
        """Refuse `count` entries of the arrivals judged under `definitions`, and `cells`
        made of them, above the limit.
        """
        self.check(count * (self.PER_ENTRY + self.PER_CLASS * definitions) + cells * self.PER_CELL)


def _asked_text(groups: list[tuple[str, list[Any]]]) -> str:
    """Return the definitions asked for, in all and by the event they judge, as text.

    Such as ``'10 definitions (9 judging production: KPCS_2003, ...; 1 judging import:
    G7_RUSSIA_ORIGIN_2024)'``; each group names its first `MAX_LISTED` definitions.
    """
    parts = []
    for event, group in groups:
        names = [name_of(d) for d in group]
        more = f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else ""
        parts.append(f"{len(names)} judging {event}: {', '.join(names[:MAX_LISTED])}{more}")
    total = sum(len(group) for _, group in groups)
    return f"{_count_text(total, 'definition')} ({'; '.join(parts)})"


def _carried_places(
    table: pd.DataFrame, definitions: list[Any], evidence: list[Situation]
) -> tuple[list[Place], list[int], list[int]]:
    """Return the places shipments carry for `definitions`, and which of them when.

    The places (of the production `table`) in a country the evidence speaks of, where some
    definition's verdict is worth keeping on some day: elsewhere every verdict is OUT with
    no reason (see `origin_verdict`), which no shipment needs to carry. Then the positions
    (in the places returned) of those carried when the comparison is made, and of those
    (OUT on every day, with reasons) carried only when the reasons are asked for.
    """
    worth = [p for p in table.attrs["places"] if _worth_carrying(p, definitions, evidence)]
    now = [
        i for i, p in enumerate(worth) if _worth_carrying(p, definitions, evidence, reasons=False)
    ]
    later = sorted(set(range(len(worth))) - set(now))
    return worth, now, later


def _widest(chunks: list[tuple[int, int]], extra: bool = True) -> int:
    """Return the most columns one propagation of `chunks` holds (two per slot or place).

    With `extra`, the first also carries two columns more.
    """
    return max(2 * (stop - start) + 2 * (extra and start == 0) for start, stop in chunks)


def _arrivals_need(
    lots: int,
    moves: int,
    places: int,
    event: str,
    flows: int,
    produced: int,
    beside: float = 0.0,
) -> float:
    """Return the bytes `_arrivals` needs to carry `places` to `moves` shipments, where
    `beside` bytes (the group's tables, made after it returns) may reuse what it frees.

    Held after it returns: its table (a chunk of places and two columns more, 8 bytes a
    lot and column; `_scratch` keeps it for the group's next table, which is made beside
    it when it is too small or kept) and each shipment's unknown and valued shares (16
    bytes). Freed when it returns, so counted only beyond `beside`: the shipments' rows
    of the table (8 bytes a shipment and column), which are above float noise (a byte a
    shipment and place); for export, the flow weights' rows at the shipments (12 bytes a
    flow at most, 8 a shipment); and the production lots' places and values read (24
    bytes a production lot). The entries found are checked once counted (`_Budget`).
    """
    widest = _widest(_chunks(places, lots))
    export = event == "export"
    held = 8.0 * widest * lots + 16.0 * moves
    freed = (
        moves * (8.0 * widest + widest / 2 + 8.0 * export)
        + 12.0 * flows * export
        + 24.0 * produced
    )
    return held + max(freed - beside, 0.0)


# Where these bytes (and `_Budget`'s per entry, class and cell, and `VERDICT_BYTES`) come
# from: tracemalloc peaks of kpmodel.compare, measured in November 2026 on a simulated year
# of world-baseline trade (2015, lots of 1x and 20x the built-in carats), on the random
# graphs of benchmarks/bench_definitions.py (100,000 and 1,000,000 lots) and on 20,000
# distinct sites in one country (`VERDICT_BYTES`). `PER_LOT`, `PER_FLOW`,
# `PER_RESTART_FLOW` and `VERDICT_BYTES` were measured again in November 2026
# (benchmarks/bench_compare_memory.py; 10,000 to 1,000,000 random lots, with about 2.5 and,
# keeping each lot's first flow, 0.9 flows a lot; KPCS_2003 alone, every built-in, every
# built-in at export; by zone, by country, 1,000 lots judged; 800-5,000 sites in Marange
# and in Botswana): with them the smallest max_memory= compare accepts was 1.13-1.42x the
# traced peak on the random graphs of 100,000 lots and more, 1.12-1.88x on world-baseline
# x20 and 1.27-1.8x on 800 and 1,500 sites in Marange and 2,000 in Botswana (2.0-2.1x
# before). `_arrivals_need` was derived again in November 2026 from what `_arrivals`
# allocates (tracemalloc inside and around it, world-baseline x20 by zone: at export its
# table of 48 MiB stays held beside the group's tables, while the shipments' rows it reads,
# 23 MiB, are freed before those are made; the estimate had counted those rows twice and
# beside the tables): the smallest max_memory= at export went from 1.86-1.88x to
# 1.41-1.46x the traced peak on world-baseline x20 and from 1.81x to 1.37x on x400, the
# built-ins (their import arrivals) from 1.67-1.83x to 1.54-1.66x on x20 and from 1.67x
# to 1.52x on x400, and at export from 1.13-1.19x to 1.09-1.13x on 1,000,000 random lots
# (benchmarks/bench_compare_memory.py world:20 world:400 random:10000 random:100000
# random:1000000). `_Budget`'s bytes per entry, class and cell were measured again in
# November 2026 (see there): the built-ins went from 1.52-1.66x to 1.36-1.46x on
# world-baseline x20 and x400, at export from 1.31-1.46x to 1.31-1.45x (the same command,
# world:20 world:400). tests/test_definitions_scale.py checks the estimate against the
# traced peak (never below it on generated graphs, and at most 1.5x or 1.45x it on a
# simulated year). Measure again when what a comparison allocates changes.

#: Bytes a comparison allocates per lot of the graph whatever it asks, at most: the lot
#: columns read (kinds, places, days, values, carats), the unknown-source fraction (and
#: its making), the flags and sums of the totals, and one column of the propagation.
#: Measured: under KPCS_2003 alone the traced peak grew by 74 B a lot from 10,000 to
#: 100,000 random lots of 0.9 flows each, 63.5 B once the flows' 12 B are taken off; the
#: other per-lot terms of `_compare_need` (the table, the flags and totals kept, the
#: production lots' classes) count 45 B of it, which leaves 18.5 B, here 24 (64 before).
PER_LOT = 24.0

#: Bytes allocated per flow, at most: the flow weights and their making, and their copy
#: with the shipments' rows emptied, for a group that restarts there. Measured: the traced
#: peak of 100,000 random lots grew by 12 B a flow (7.9 to 9.7 MiB from 90,000 to 250,000
#: flows) under KPCS_2003 alone, every built-in and every built-in at export alike, so a
#: restart adds none at the peak (24 and 9 B before).
PER_FLOW, PER_RESTART_FLOW = 16.0, 0.0

#: Bytes per distinct place of the production lots: the place, its text, its lookups.
PER_PLACE = 1024.0

#: Bytes allocated whatever the size: the verdicts, classes, frames and lookups.
FIXED = 2.0**19


def _compare_need(
    graph: ProvenanceGraph,
    lots: Lots,
    groups: list[tuple[str, list[Any]]],
    carried: dict[str, tuple[list[Place], list[int], list[int]]],
    frames: _Frames,
    on: dt.date | Period | None = None,
) -> float:
    """Return the bytes comparing the `groups` of definitions (by event) needs, at most.

    Per group: its propagated tables (two for export), each spanning the graph, with as
    many slots as the production lots' and shipments' verdicts may feed (`_slot_bound`),
    in chunks of `CHUNK_BYTES`, the rows kept of them when not every lot is judged, and
    per lot judged the flags and totals kept; each production lot's class under each
    definition; for export and import, the shipments' arrivals (`_arrivals_need`: what
    they free before the group's tables are made counts only beyond those; their entries
    are checked when counted). Once: what every comparison reads per lot
    (`PER_LOT`) and per flow (`PER_FLOW`, with `PER_RESTART_FLOW` when a group restarts
    at the shipments), and `FIXED`. The groups run one after the other, reusing memory:
    their sum is an upper bound, reached when each keeps its table.
    """
    n, flows = len(graph), graph.number_of_flows
    count = len(lots.shares)
    rows = 0 if lots.shares.index.equals(graph.lots) else count
    restarts = any(event != "production" for event, _ in groups)
    total = FIXED + PER_LOT * n + (PER_FLOW + PER_RESTART_FLOW * restarts) * flows
    table = _production(graph, lots.by, frames)[1]
    total += PER_PLACE * len(table.attrs["places"])
    produced = len(table)
    evidence = situation_list(lots.situations)
    moves = _moves(graph, frames) if restarts else None
    for event, group in groups:
        tables = 2 if event == "export" else 1
        carrying = None
        if event != "production":
            assert moves is not None
            places = carried[event]
            carrying = ([places[0][i] for i in places[1]], moves[1])
        slots, verdicts = _slot_bound(
            table, group, evidence, on, carrying, frames.verdicts, frames.judged
        )
        total += verdicts
        widest = _widest(_chunks(slots, tables * n))
        made = (tables * n + rows) * widest * 8.0
        total += made + count * (8.0 * 3 + slots)
        total += produced * (6.0 * len(group) + 32.0)
        if event != "production":
            assert moves is not None
            now = len(carried[event][1])
            total += _arrivals_need(n, len(moves[0]), now, event, flows, produced, made)
    return total


def _slot_bound(
    table: pd.DataFrame,
    definitions: list[Any],
    evidence: list[Situation],
    on: dt.date | Period | None,
    carrying: tuple[list[Place], np.ndarray[Any, Any]] | None,
    cache: dict[str, dict[tuple[Place, Any], Verdict]] | None = None,
    judged: Judged | None = None,
) -> tuple[int, float]:
    """Return the most slots (propagated share columns) `definitions` may need, and the
    bytes of the verdicts judging the lots takes (`VERDICT_BYTES`), at most.

    A definition needs a slot per outcome (IN, UNDETERMINED) that some carats' verdict
    has: the production lots', each judged at its place on its day (`on`, when given),
    and, with `carrying` (the places shipments carry and the shipments' days), a
    shipment's, judged on its day. Production lots are judged once per place and epoch
    (`_epochs`), and outcomes fed by the same production lots share a slot, as in
    `_slots`; an outcome some shipment may carry counts one slot of its own. A definition
    whose verdicts change on no known dates (a user's callable), or with more than
    `JUDGED_AT_MOST` verdicts with reasons to judge, counts two, unjudged.

    The production lots' verdicts of a built-in definition are judged on the day of the
    first lot met at each place and epoch, as `_event_verdicts` judges them, and kept in
    `cache` (per definition name, by place and epoch) for it to reuse.
    """
    places: Sequence[Place] = table.attrs["places"]
    countries = {s.place.country for s in evidence}
    reasoned = np.array([place.country in countries for place in places], bool)
    # Each distinct (place, day) of a production lot judged once per epoch: one number per
    # lot (its day since the first, NaT first, times the places, plus its place).
    number = table["day64"].to_numpy().astype("datetime64[D]").astype(np.int64)
    unknown = number == np.iinfo(np.int64).min
    low = int(number[~unknown].min()) - 1 if not unknown.all() else 0
    number = np.where(unknown, 0, number - low) * (len(places) + 1)
    number += table["place_code"].to_numpy().astype(np.int64)
    first_lot, _ = _first_met(number, int(number.max(initial=0)) + 1)
    pairs = number[first_lot]
    # In the order their first lots are met, so each epoch's first is the first lot met.
    met = np.argsort(first_lot, kind="stable")
    pair_place = pairs[met] % (len(places) + 1)
    pair_day = np.where(
        pairs[met] < len(places) + 1,
        np.datetime64("NaT", "D"),
        (pairs[met] // (len(places) + 1) + low).astype("datetime64[D]"),
    )
    shipped_days = np.zeros(0, "datetime64[D]")
    at_shipments = np.zeros(0, np.int64)
    if carrying is not None:
        shipped_days = np.unique(np.asarray(carrying[1], dtype="datetime64[D]"))
        position = {place: i for i, place in enumerate(places)}
        at_shipments = np.array([position[place] for place in carrying[0]], np.int64)
    shipped_at = np.repeat(at_shipments, shipped_days.size)
    shipped_on = np.tile(shipped_days, at_shipments.size)
    seen: set[bytes] = set()
    count, verdicts = 0, 0.0
    for definition in definitions:
        bounds = _epochs(definition, evidence) if on is None else np.zeros(0, "datetime64[D]")
        if bounds is None:  # judged once per place and day: any verdict may have reasons
            count += 2
            verdicts += VERDICT_BYTES[1] * (pairs.size + shipped_at.size)
            continue
        kept = None if cache is None else cache.setdefault(name_of(definition), {})
        fed, made = _outcomes(
            definition, places, reasoned, pair_place, pair_day, bounds, evidence, on, kept, judged
        )
        shipped, more = _outcomes(
            *(definition, places, reasoned, shipped_at, shipped_on, bounds, evidence, on),
            judged=judged,
        )
        verdicts += made + more
        if fed is None or shipped is None:
            count += 2
            continue
        for o in (0, 1):
            # The production lots of an outcome, as the (place, day) pairs they are (a
            # pair's lots share its outcome): the same pairs, the same lots.
            at_lots = fed == o
            if (shipped == o).any():
                count += 1
            elif at_lots.any() and (bits := np.packbits(at_lots).tobytes()) not in seen:
                seen.add(bits)
                count += 1
    return count, verdicts


# Measured with `PER_LOT` and the bytes beside it (see there).
#: Bytes a verdict cached for a comparison takes, at most: without reasons (a place no
#: situation speaks of), and with them (a Verdict, its reasons and their text). On 800 and
#: 5,000 distinct sites in Marange a verdict with reasons traced about 2 KiB (2,058-2,067 B)
#: all told, and on 5,000 sites in Botswana about 250 B a verdict; these leave about a
#: quarter more (384 and 4,096 B before).
VERDICT_BYTES = (320.0, 2560.0)

#: The most verdicts with reasons `_slot_bound` judges per definition; beyond, it counts
#: two slots without judging (the comparison judges them once more).
JUDGED_AT_MOST = 1024


def _outcomes(
    definition: Any,
    places: Sequence[Place],
    reasoned: np.ndarray[Any, np.dtype[np.bool_]],
    at: np.ndarray[Any, Any],
    days: np.ndarray[Any, Any],
    bounds: np.ndarray[Any, Any],
    evidence: list[Situation],
    on: dt.date | Period | None,
    cache: dict[tuple[Place, Any], Verdict] | None = None,
    judged: Judged | None = None,
) -> tuple[np.ndarray[Any, Any] | None, float]:
    """Return the outcome of each (place, day) under `definition`: 0 IN, 1 UNDETERMINED, -1.

    `at` gives the positions of the places in `places`; each place is judged once per
    epoch between `bounds` (on its day, or `on` when given: once per place). Also return
    the bytes of the verdicts a comparison caches for them (`VERDICT_BYTES`: `reasoned`
    flags the places some situation speaks of); the outcomes are None, unjudged, for more
    than `JUDGED_AT_MOST` verdicts with reasons. Each place and epoch is judged on the
    day of its first item; with `cache`, its verdict is kept there (by place and epoch);
    with `judged`, each situation is judged once (`judged_once`).
    """
    epoch = _epoch_of(bounds, days) if on is None else np.zeros(at.size, np.int64)
    span = int(epoch.max(initial=0)) + 1
    _, first, which = np.unique(at * span + epoch, return_index=True, return_inverse=True)
    heavy = int(np.count_nonzero(reasoned[at[first]]))
    made = VERDICT_BYTES[0] * (first.size - heavy) + VERDICT_BYTES[1] * heavy
    if heavy > JUDGED_AT_MOST:
        return None, made
    codes = {IN: 0, UNDETERMINED: 1}
    found = []
    for i in first.tolist():
        if not reasoned[at[i]]:  # no situation speaks of the place: OUT (`origin_verdict`)
            found.append(-1)
            continue
        place = places[int(at[i])]
        verdict = origin_verdict(
            definition, place, evidence, on if on is not None else _day(days[i]), judged
        )
        if cache is not None:
            cache.setdefault((place, int(epoch[i])), verdict)
        found.append(codes.get(verdict.outcome, -1))
    return np.array([*found, -1], np.int64)[which.reshape(-1)], made


def _moves(
    graph: ProvenanceGraph, frames: _Frames | None = None
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Return the positions of shipment lots (shipped or smuggled) and their days (NaT)."""
    frames = frames or _Frames(graph)
    if frames.moves is None:
        kinds = frames.column("kind")
        rows = np.flatnonzero(np.asarray(kinds == "ship") | np.asarray(kinds == "smuggle"))
        frames.moves = rows, np.asarray(frames.column("on"))[rows]
    return frames.moves


def _arrivals(
    graph: ProvenanceGraph,
    rows: np.ndarray[Any, Any],
    table: pd.DataFrame,
    moves: np.ndarray[Any, Any],
    event: str,
    places: list[Place],
    unknown: FloatArray,
    buffer: FloatArray | None = None,
    flows: sp.csr_array | None = None,
    counted: Any = None,
) -> tuple[tuple[np.ndarray[Any, Any], ...], FloatArray, FloatArray | None]:
    """Return what each shipment carries from each of `places`, and unknown and valued.

    Per place, the share and the value per carat of each shipment's carats from it (for
    export, carats that no shipment carried before: propagation restarts at shipments);
    returned as entries (shipment, place, share, value) whose share is above float noise,
    sorted by shipment then place, and, per shipment, the unknown-source share and the
    share with a known value. Places are propagated a chunk at a time (`CHUNK_BYTES`),
    each in the memory of the first (`buffer`, when given, returned to reuse); `unknown`
    is `unknown_fraction(graph)`, `flows` (optional) `input_shares(graph)`. `counted`
    (optional) is called with the number of entries found so far, before they are made
    (to refuse them above the memory limit).
    """
    code = table["place_code"].to_numpy()
    distinct: Sequence[Place] = table.attrs["places"]
    wanted = {place: i for i, place in enumerate(places)}
    index = np.array([wanted.get(place, -1) for place in distinct] + [-1], np.int64)[code]
    known = table["value_per_carat"].notna().to_numpy()
    vpc = table["value_per_carat"].fillna(0.0).to_numpy()
    reset = None
    if event == "export":
        reset = np.zeros(len(graph), dtype=bool)
        reset[moves] = True
        weights = (flows if flows is not None else input_shares(graph))[moves]
    k = len(places)
    found: list[tuple[np.ndarray[Any, Any], ...]] = []
    extra = np.zeros((len(moves), 2))
    entries = 0
    for start, stop in _chunks(k, len(graph)):
        c, first = stop - start, start == 0
        initial, buffer = _scratch(buffer, (len(graph), 2 * c + 2 * first))
        on = (index >= start) & (index < stop)
        initial[rows[on], index[on] - start] = 1.0
        initial[rows[on], c + index[on] - start] = vpc[on]
        if first:
            initial[:, 2 * c] = unknown
            initial[rows[known], 2 * c + 1] = 1.0
        if reset is not None:
            initial[reset] = 0.0
        carried = propagate(graph, initial, restart=reset, copy=False, weights=flows)
        at = carried[moves] if reset is None else weights @ carried
        del carried
        above = at[:, :c] > _NOISE
        entries += int(np.count_nonzero(above))
        if counted is not None:
            counted(entries)
        move_of, origin = np.nonzero(above)
        del above
        found.append((move_of, origin + start, at[move_of, origin], at[move_of, c + origin]))
        if first:
            extra[:] = at[:, 2 * c : 2 * c + 2]
            if reset is not None:
                extra[:, 0] += unknown[moves]
    del at
    if len(found) == 1:  # one chunk: already in order of shipment, then place
        return found[0], extra, buffer
    # Each chunk's entries are in order of shipment, then place, and the chunks' places
    # increase: a stable sort by shipment puts them all in that order. One column at a
    # time, each chunk's part dropped once copied (`_Budget.PER_ENTRY`).
    columns = [list(part) for part in zip(*found, strict=True)]
    del found
    order = np.argsort(np.concatenate(columns[0]), kind="stable")
    merged = []
    for parts in columns:
        merged.append(np.concatenate(parts)[order])
        parts.clear()
    move_of, origin, share, value = merged
    return (move_of, origin, share, value), extra, buffer


def _event_verdicts(
    definitions: list[Any],
    lots: Lots,
    on: dt.date | Period | None,
    event: str,
    frames: _Frames | None = None,
    carried: tuple[list[Place], list[int], list[int]] | None = None,
    budget: _Budget | None = None,
) -> tuple[LotVerdicts, LotAmounts]:
    """Judge `lots` under `definitions`, which all judge `event` (see `graph_verdicts`).

    `carried` gives the places shipments carry (`_carried_places`), when already found.
    The caller has checked the memory this needs (`_compare_need`, in `budget`, which
    checks the arrivals' entries when counted and holds the limit for later reads).
    """
    graph = lots.graph
    assert graph is not None  # only called for lots built from a graph
    frames = frames or _Frames(graph)
    evidence = situation_list(lots.situations)
    rows, table = _production(graph, lots.by, frames)
    n = len(graph)
    limit = budget.limit if budget is not None else None
    size_then = (n, graph.number_of_flows)

    def unchanged() -> None:
        """Refuse to read per-lot amounts or reasons lazily from a graph that has grown."""
        size_now = (len(graph), graph.number_of_flows)
        if size_now != size_then:
            msg = (
                f"the graph has changed since this comparison was made ({size_then[0]:,} lots "
                f"and {size_then[1]:,} flows then, {size_now[0]:,} and {size_now[1]:,} now): "
                "its per-lot amounts and reasons are read from the graph when first asked "
                "for; compare the lots again (Lots.from_graph, then kp.compare)."
            )
            raise InvalidArgumentError(msg)

    vpc = table["value_per_carat"].fillna(0.0).to_numpy()
    if event != "production":
        moves, move_days = _moves(graph, frames)
    else:
        moves, move_days = np.zeros(0, int), np.zeros(0, "datetime64[D]")
    # Classes: per definition, one share and one value column for each distinct verdict
    # worth keeping (IN, UNDETERMINED, or OUT with reasons); then the unknown-source share
    # and the share of carats with a recorded value.
    classes: list[tuple[str, Verdict]] = []
    index: dict[tuple[str, tuple[Any, ...]], int] = {}
    caches = frames.verdicts  # some judged already by the memory estimate (`_slot_bound`)
    epochs = {name_of(d): _epochs(d, evidence) for d in definitions}
    # Per class, where it was first met: (0, production lot) or (1, shipment, place), so
    # that a definition's classes read in the order met however they were computed.
    order: dict[int, tuple[int, int, int]] = {}

    def class_of(definition: Any, place: Place, when: Any, key: Any) -> int:
        name = name_of(definition)
        cache = caches.setdefault(name, {})
        if (place, key) not in cache:
            cache[place, key] = origin_verdict(definition, place, evidence, when, frames.judged)
        verdict = cache[place, key]
        if verdict.outcome is OUT and not verdict.reasons:
            return -1
        # One class per place, outcome and grounds; the wording of the reasons (which may
        # name the day judged) is that of the first lot met.
        grounds = (place, verdict.outcome, _grounds(verdict))
        if (name, grounds) not in index:
            index[name, grounds] = len(classes)
            classes.append((name, verdict))
        return index[name, grounds]

    def classes_of(places: list[Place], where: np.ndarray[Any, Any], days: Any, met: Any) -> Any:
        """Return the class of each (place, day) item under each definition (items x defs).

        Items are judged once per place and epoch (the days between two dates where a
        definition's verdict can change), in the order they are met; ``met(item)`` says
        where a class was first met.
        """
        out = np.full((where.size, len(definitions)), -1, np.int32)
        days = np.asarray(days, dtype="datetime64[D]")
        # Definitions with the same epochs group the items alike: grouped once.
        grouped: dict[bytes | None, tuple[Any, Any, Any]] = {}
        for col, definition in enumerate(definitions):
            if where.size == 0:
                continue
            bounds = epochs[name_of(definition)] if on is None else np.zeros(0, "datetime64[D]")
            token = None if bounds is None else bounds.tobytes()
            if token not in grouped:
                if on is not None:
                    epoch = np.zeros(where.size, np.int64)
                else:
                    epoch = _epoch_of(bounds, days)
                span = int(epoch.max()) + 1
                keys = where.astype(np.int64) * span + epoch
                grouped[token] = (epoch, *_first_met(keys, len(places) * span))
            epoch, first, inverse = grouped[token]
            found = np.empty(first.size, np.int64)
            for u in np.argsort(first, kind="stable").tolist():
                item = int(first[u])
                when = on if on is not None else _day(days[item])
                key = when if epochs[name_of(definition)] is None else int(epoch[item])
                found[u] = class_of(definition, places[int(where[item])], when, key)
                if found[u] >= 0 and int(found[u]) not in order:
                    order[int(found[u])] = met(item)
            out[:, col] = found[inverse]
        return out

    where = table["place_code"].to_numpy()
    produced = classes_of(
        table.attrs["places"], where, table["day64"].to_numpy(), lambda item: (0, item, 0)
    )
    arrived = np.zeros((len(moves), 2))
    worth: list[Place] = []
    # Held while this comparison is computed, dropped after (see the end).
    unknown_now: list[FloatArray | None] = [frames.unknown()]
    flows_now: list[sp.csr_array | None] = [frames.weights()]
    scratch: list[FloatArray | None] = [frames.scratch]
    reset = None
    cells = np.zeros((0, 4))

    def arrive(chosen: list[int], checked: _Budget | None) -> tuple[FloatArray, FloatArray]:
        """Return what shipments carry from the places `chosen` (in `worth`), as cells.

        Also return each shipment's unknown-source share and share with a known value.
        `checked` (the memory checked for this) refuses the entries found above the limit.
        """
        chosen_places = [worth[i] for i in chosen]
        unknown = unknown_now[0] if unknown_now[0] is not None else unknown_fraction(graph)
        counted = None
        if checked is not None:
            counted = functools.partial(checked.entries, definitions=len(definitions))
        (move_of, origin, share, value), extra, scratch[0] = _arrivals(
            graph,
            rows,
            table,
            moves,
            event,
            chosen_places,
            unknown,
            scratch[0],
            flows_now[0],
            counted,
        )
        origin = np.asarray(chosen, np.int64).reshape(-1)[origin]
        shipped = classes_of(
            worth,
            origin,
            move_days[move_of],
            lambda item: (1, int(move_of[item]), int(origin[item])),
        )
        # One cell per (move, origin, definition) whose verdict is worth keeping.
        kept = shipped >= 0
        if checked is not None:
            checked.entries(len(move_of), len(definitions), int(np.count_nonzero(kept)))
        item, col = np.nonzero(kept)
        del kept
        made = np.column_stack([shipped[item, col], move_of[item], share[item], value[item]])
        return extra, made

    later: list[int] = []
    if event != "production":
        reset = np.zeros(n, dtype=bool)
        reset[moves] = True
        # Places that are OUT on every day (with reasons) are carried only when the
        # reasons are asked for.
        worth, now, later = carried or _carried_places(table, definitions, evidence)
        arrived, cells = arrive(now, budget)
    # Kept for the amounts and reasons asked for later: in the smallest integers that fit.
    produced = produced.astype(np.int16 if len(classes) < 2**15 else np.int32)
    names = [name_of(d) for d in definitions]
    owner = {name: d for d, name in enumerate(names)}

    def lookups() -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Return per class its outcome (0 IN, 1 UNDETERMINED, -1 OUT) and its definition.

        Each ends with -1, so that a class code of -1 (none) reads -1. Made again whenever
        classes are added (`complete`).
        """
        outcome = [
            0 if v.outcome is IN else 1 if v.outcome is UNDETERMINED else -1 for _, v in classes
        ]
        return (
            np.array([*outcome, -1], dtype=np.int64),
            np.array([*(owner[name] for name, _ in classes), -1], dtype=np.int64),
        )

    outcome_or_none, owner_or_none = lookups()
    slots = _slots(produced, cells, outcome_or_none[:-1], owner_or_none[:-1], len(names))
    valued = rows[table["value_per_carat"].notna().to_numpy()]
    # Every lot, in the graph's order: no copy.
    every = lots.shares.index.equals(graph.lots)
    positions = np.arange(n) if every else graph.lots.get_indexer(lots.shares.index)
    selected: np.ndarray[Any, Any] | None = None if every else positions

    cell_class = cells[:, 0].astype(np.int64)
    cell_move = cells[:, 1].astype(np.int64)

    def complete(checked: _Budget | None = None) -> None:
        """Carry the places left for the reasons (once), adding their classes and cells.

        `checked` (the memory checked for this) refuses the arrivals' entries above the
        limit.
        """
        nonlocal cells, cell_class, cell_move, later, outcome_or_none, owner_or_none
        unchanged()
        if later:
            _, more = arrive(later, checked)
            later = []
            cells = np.concatenate([cells, more])
            cell_class = cells[:, 0].astype(np.int64)
            cell_move = cells[:, 1].astype(np.int64)
            # The new classes (OUT, with reasons) read in `amounts` as of no slot.
            outcome_or_none, owner_or_none = lookups()

    # The export event propagates two tables at once (see `spread`): its chunks are sized
    # so that both fit where one table of any other event does.
    tables = 2 if event == "export" else 1

    def spread(
        entries: list[tuple[int, int, Any, Any]],
        columns: int,
        extra: bool,
        reuse: list[FloatArray | None] | None = None,
    ) -> FloatArray:
        """Propagate shares (and values) of chosen carats into the given columns, per event.

        Each entry ``(share column, value column, production lots, cells)`` puts in its
        share column 1 at the production lots flagged (a boolean per row of `rows`) and
        the share of the shipment cells flagged (a boolean per cell), and in its value
        column (-1: none) their value per carat; with `extra`, the last two columns carry
        the unknown-source share and the share with a known value. With `reuse` (a holder
        of one buffer, such as `scratch`), the tables are made in the memory of the last
        ones made so. The export event needs `tables` (two) tables of ``(n, columns)``
        at once, every other event one.
        """
        unchanged()
        if reuse is not None:
            both, reuse[0] = _scratch(reuse[0], (tables * n, columns))
            initial, second = both[:n], both[n:]
        else:
            initial = np.zeros((n, columns))
            second = np.zeros((n, columns)) if tables == 2 else initial[:0]
        for share_at, value_at, at_lots, _ in entries:
            initial[rows[at_lots], share_at] = 1.0
            if value_at >= 0:
                initial[rows[at_lots], value_at] = vpc[at_lots]
        if extra:
            initial[:, -2] = (
                unknown_now[0] if unknown_now[0] is not None else unknown_fraction(graph)
            )
            initial[valued, -1] = 1.0
        flows = flows_now[0]
        if event == "production":
            result = propagate(graph, initial, copy=False, weights=flows)
            return result if selected is None else result[selected]
        # What the shipment cells carry, written straight into the shipments' rows (of
        # `initial` for import, of the second table for export), summed cell by cell.
        at_moves = initial if event == "import" else second
        at_moves[moves] = 0.0
        for share_at, value_at, _, at_cells in entries:
            np.add.at(at_moves[:, share_at], moves[cell_move[at_cells]], cells[at_cells, 2])
            if value_at >= 0:
                np.add.at(at_moves[:, value_at], moves[cell_move[at_cells]], cells[at_cells, 3])
        if extra:
            at_moves[moves, -2:] = arrived
        if event == "import":
            result = propagate(graph, initial, restart=reset, copy=False, weights=flows)
        else:
            # Export: the carats not yet shipped (restarting at the shipments, with
            # nothing there), plus what each shipment carries from its own date on (no
            # restart); two propagations, each in its own table, then added.
            initial[moves] = 0.0
            result = propagate(graph, initial, restart=reset, copy=False, weights=flows)
            result += propagate(graph, second, copy=False, weights=flows)
        del second
        return result if selected is None else result[selected]

    def amounts(
        wanted: list[int], extra: bool, reuse: bool | list[FloatArray | None] = False
    ) -> FloatArray:
        """Return, per slot in `wanted`, its share and value columns (2i, 2i + 1), denoised.

        With `extra`, two more columns: the unknown-source share and the share with a known
        value. A slot's columns do not depend on the other slots propagated with it. With
        `reuse`, in the memory of the last table made so (in `scratch`, or in the holder
        of one buffer given).
        """
        entries = []
        for i, slot in enumerate(wanted):
            # The carats of a slot: those of any definition and outcome it stands for.
            d, o = (int(x) for x in np.argwhere(slots == slot)[0])
            at_lots = outcome_or_none[produced[:, d]] == o
            at_cells = (owner_or_none[cell_class] == d) & (outcome_or_none[cell_class] == o)
            entries.append((2 * i, 2 * i + 1, at_lots, at_cells))
        holder = reuse if isinstance(reuse, list) else scratch if reuse else None
        result = spread(entries, 2 * len(wanted) + 2 * extra, extra=extra, reuse=holder)
        for start in range(0, len(result), 2**20):  # a block at a time: no full-size mask
            block = result[start : start + 2**20]
            block[block < _NOISE] = 0.0
        return result

    def need(widest: int, kept: float) -> float:
        """Return the bytes a propagation of `widest` columns needs, and `kept` per lot.

        Its tables (`tables` of them, each spanning the graph), the rows kept of them when
        not every lot is judged, the graph's flow weights (and their copy with the rows of
        the shipments emptied, for the events that restart there), and `kept` bytes per
        lot judged.
        """
        return (
            (tables * n + (0 if selected is None else count)) * widest * 8.0
            + (24.0 + 9.0 * (event != "production")) * graph.number_of_flows
            + count * kept
        )

    def read(name: str, wanted: list[int], extra: bool) -> list[FloatArray]:
        """Return, per slot in `wanted`, its share and value per carat of each lot judged.

        As `amounts` gives them (columns ``2i`` and ``2i + 1``), then, with `extra`, the
        unknown-source share. The slots are propagated a chunk at a time (`CHUNK_BYTES`,
        export counted as two tables, one slot at least), each in the memory of the
        first, after checking the memory the largest needs, with the flow weights made
        once for them all.
        """
        parts = _chunks(len(wanted), tables * n, extra=extra)
        check_memory(
            need(_widest(parts, extra), 8.0 * (2 * len(wanted) + extra + 8)),
            what=f"reading the per-lot amounts of {_count_text(count, 'lot')} under {name}",
            change=(
                "read the totals instead (Comparison.summary reads no per-lot amounts); the "
                "tables propagated span every lot of the graph, so judging fewer lots saves "
                "little"
            ),
            limit=limit,
            keyword=LATER,
        )
        found: list[FloatArray] = []
        unknown: list[FloatArray] = []
        buffer: list[FloatArray | None] = [None]
        held = flows_now[0]
        flows_now[0] = held if held is not None else input_shares(graph)
        try:
            for start, stop in parts:
                first = extra and start == 0
                table = amounts(wanted[start:stop], extra=first, reuse=buffer)
                # Columns copied out of the buffer the next chunk reuses (views of one).
                taken = np.array if len(parts) > 1 else np.asarray
                found.extend(taken(table[:, j]) for j in range(2 * (stop - start)))
                if first:
                    unknown.append(taken(table[:, -2]))
                del table
        finally:
            flows_now[0] = held
        return found + unknown

    def presence(name: str) -> tuple[list[int], Iterator[tuple[int, FloatArray]]]:
        """Return `name`'s classes, in the order met, and the lots' shares from each.

        The shares come a chunk of classes at a time: ``(first, table)``, where column
        ``i`` of `table` holds the shares from class ``first + i``; chunks are sized as
        the slots' (`CHUNK_BYTES`), each in the memory of the first, so the propagated
        tables never hold every class at once.
        """
        carrying = None
        if later:  # the places carried for their reasons, checked before they are
            carrying = _Budget(
                need=_arrivals_need(
                    n, len(moves), len(later), event, graph.number_of_flows, len(table)
                )
                + 33.0 * graph.number_of_flows,
                what=(
                    f"reading the verdicts of {_count_text(count, 'lot')} under {name} (carrying "
                    f"{_count_text(len(later), 'place')} more to the shipments, for the reasons)"
                ),
                change="read the counts and totals instead (Comparison.summary reads no "
                "per-lot verdicts)",
                limit=limit,
                keyword=LATER,
            )
            carrying.check(0.0)
        complete(carrying)
        d = owner[name]
        mine = sorted(
            (j for j, (owner_, _) in enumerate(classes) if owner_ == name),
            key=order.__getitem__,
        )
        width = min(len(mine), _columns_per_chunk(tables * n))
        # Per lot judged: the flags of the classes feeding it (one integer, or a row of
        # bools), and what finding the distinct ones takes (a sort, its order, which one).
        keyed = len(mine) + 1 <= _FlagRows.KEYED
        flags = count * (8.0 * 5 if keyed else 3.0 * (len(mine) + 1) + 8.0 * 3)
        check_memory(
            need(width, 0.0) + flags,
            what=f"reading the verdicts of {_count_text(count, 'lot')} under {name}",
            change=(
                "read the counts and totals instead (Comparison.summary reads no per-lot "
                "verdicts), or judge by a coarser origin level (by='country'), whose "
                "fewer places make fewer distinct verdicts"
            ),
            limit=limit,
            keyword=LATER,
        )

        def chunks() -> Iterator[tuple[int, FloatArray]]:
            buffer: list[FloatArray | None] = [None]
            held = flows_now[0]
            flows_now[0] = held if held is not None else input_shares(graph)
            try:
                for first in range(0, len(mine), max(width, 1)):
                    part = mine[first : first + width]
                    entries = [
                        (i, -1, produced[:, d] == j, cell_class == j) for i, j in enumerate(part)
                    ]
                    yield first, spread(entries, len(part), extra=False, reuse=buffer)
            finally:
                flows_now[0] = held

        return mine, chunks()

    count = len(positions)
    unique = int(slots.max(initial=-1)) + 1
    # Every table propagated spans the whole graph (n rows), however few lots are judged:
    # the chunks are sized by n (twice n for export's two tables); `count` (the rows kept)
    # decides only what is kept.
    chunks = _chunks(unique, tables * n)
    carats = _carats(graph) if selected is None else _carats(graph)[selected]
    kept = len(chunks) == 1 and 8 * count * (2 * unique + 2) <= KEPT
    totals = _Totals.of(amounts, unique, chunks, carats, keep=kept)
    frames.scratch, scratch[0], unknown_now[0], flows_now[0] = scratch[0], None, None, None
    judged = _Judged(
        classes,
        names,
        slots,
        totals,
        carats,
        lambda: _row_totals(lots.shares),
        read,
        presence,
    )
    items = frames.items(lots)
    shared = dict.fromkeys(names, judged)
    return LotVerdicts(items, names, shared, limit), LotAmounts(items, names, shared, limit)


def _slots(
    produced: np.ndarray[Any, Any],
    cells: FloatArray,
    outcome_of: np.ndarray[Any, Any],
    definition_of: np.ndarray[Any, Any],
    count: int,
) -> np.ndarray[Any, Any]:
    """Return, per definition and outcome (IN, UNDETERMINED), the slot of its columns.

    Each slot is one propagated share column and one value column. A definition with no
    class of an outcome has none (-1: zero everywhere), and definitions whose classes of
    an outcome start from the same carats (the same production lots, the same shipment
    cells) share one, since a column's propagation does not depend on the others.
    """
    slots = np.full((count, 2), -1, np.int64)
    outcome = np.append(outcome_of, -1)  # a code of -1 (no class) reads -1
    owner = np.append(definition_of, -1)
    cell_class = cells[:, 0].astype(np.int64)
    seen: dict[bytes, int] = {}
    for d in range(count):
        fed = outcome[produced[:, d]] if produced.size else np.zeros(0, np.int64)
        for o in (0, 1):
            at_lots = fed == o
            at_cells = (owner[cell_class] == d) & (outcome[cell_class] == o)
            if not at_lots.any() and not at_cells.any():
                continue
            key = np.packbits(at_lots).tobytes() + cells[at_cells, 1:].tobytes()
            slots[d, o] = seen.setdefault(key, len(seen))
    return slots


class _Totals:
    """What the propagation says of every lot that a comparison keeps, slot by slot.

    `positive[s]` flags the lots with carats from slot `s` (a share above float noise),
    `carats[s]` and `value[s]` total its carats and value over the lots (the value over
    lots whose value is known); `unknown` flags the lots with carats of unknown source,
    and `unknown_carats` totals those carats. `kept` is
    the whole propagated table when it is one chunk of at most `KEPT` bytes (columns then
    read from it), else None (columns are propagated again when asked for).
    """

    def __init__(self) -> None:
        self.positive: list[np.ndarray[Any, np.dtype[np.bool_]]] = []
        self.carats: list[float] = []
        self.value: list[float] = []
        self.unknown: np.ndarray[Any, np.dtype[np.bool_]] = np.zeros(0, bool)
        self.unknown_carats = 0.0
        self.value_known: np.ndarray[Any, np.dtype[np.bool_]] = np.zeros(0, bool)
        self.kept: FloatArray | None = None

    @classmethod
    def of(
        cls,
        amounts: Any,
        count: int,
        chunks: list[tuple[int, int]],
        carats: FloatArray,
        *,
        keep: bool,
    ) -> _Totals:
        """Propagate `count` slots, by `chunks`, and keep what a comparison reads.

        With `keep`, the propagated table (one chunk) is kept for the per-lot amounts.
        """
        totals = cls()
        known = np.zeros(0)
        for start, stop in chunks:
            wanted = list(range(start, stop))
            result = amounts(wanted, extra=start == 0, reuse=not keep)
            sums: list[tuple[int, FloatArray]] = []
            if start == 0:
                totals.unknown = result[:, -2] > 0
                totals.value_known = result[:, -1] > 1 - 1e-9
                known = np.where(totals.value_known, carats, 0.0)
                sums.append((result.shape[1] - 2, carats))
                if keep:
                    totals.kept = result
            for i in range(len(wanted)):
                totals.positive.append(result[:, 2 * i] > 0)
                sums += [(2 * i, carats), (2 * i + 1, known)]
            found = _weighted_sums(result, sums)
            if start == 0:
                totals.unknown_carats = found.pop(0)
            totals.carats.extend(found[0::2])
            totals.value.extend(found[1::2])
            del result
        return totals


def _columns_per_chunk(lots: int) -> int:
    """Return how many columns a table of `lots` rows may hold within `CHUNK_BYTES` (1 or more)."""
    return max(int(CHUNK_BYTES // (8 * max(lots, 1))), 1)


def _count_text(count: int, noun: str) -> str:
    """Return ``'1 lot'``, ``'1,000 lots'``: `count` of `noun`, in the singular for one."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _per_chunk(lots: int, *, extra: bool = True) -> int:
    """Return how many slots (two columns each) one propagation of `lots` lots may carry.

    With `extra`, the propagation also carries two columns more (the first chunk).
    """
    return max((int(CHUNK_BYTES // (8 * max(lots, 1))) - 2 * extra) // 2, 1)


def _chunks(count: int, lots: int, *, extra: bool = True) -> list[tuple[int, int]]:
    """Return the slots (or places) of each propagation: ``(start, stop)``, at least one.

    With `extra`, the first carries the two extra columns, so fewer slots than the others.
    """
    stop = min(count, _per_chunk(lots, extra=extra))
    chunks = [(0, stop)]
    while stop < count:
        start, stop = stop, min(count, stop + _per_chunk(lots, extra=False))
        chunks.append((start, stop))
    return chunks


#: The rows of a table summed at once by `_weighted_sums`.
_SUM_ROWS = 2**13


def _weighted_sums(table: FloatArray, sums: list[tuple[int, FloatArray]]) -> list[float]:
    """Return, per ``(column, weights)`` in `sums`, the sum of ``weights * table[:, column]``.

    Summed in an order that depends on neither the table's width nor the machine's BLAS
    (which may sum a strided column in any order): `_SUM_ROWS` rows at a time, each
    block's products (exact per element) summed by numpy's pairwise sum over one
    contiguous buffer, the blocks' sums added in turn. So a column gives the same total,
    to the bit, whether propagated in a chunk or in the whole table. One pass over the
    table, a block of rows held in cache while its columns are read.
    """
    found = [0.0] * len(sums)
    buffer = np.empty(min(len(table), _SUM_ROWS))
    for start in range(0, len(table), _SUM_ROWS):
        block = table[start : start + _SUM_ROWS]
        products = buffer[: len(block)]
        for k, (column, weights) in enumerate(sums):
            np.multiply(block[:, column], weights[start : start + _SUM_ROWS], out=products)
            found[k] += float(np.add.reduce(products))
    return found


def _scratch(buffer: FloatArray | None, shape: tuple[int, int]) -> tuple[FloatArray, FloatArray]:
    """Return a zeroed C-contiguous table of `shape`, in `buffer` when it is large enough.

    Also return the buffer to reuse next (a table made anew on a large machine costs its
    page faults again).
    """
    size = shape[0] * shape[1]
    if buffer is None or buffer.size < size:
        buffer = np.zeros(size)
        return buffer.reshape(shape), buffer
    table = buffer[:size].reshape(shape)
    table.fill(0.0)
    return table, buffer


def _worth_carrying(
    place: Place, definitions: list[Any], evidence: list[Situation], *, reasons: bool = True
) -> bool:
    """Return whether some definition's verdict on `place` is worth keeping on some day.

    A verdict is worth keeping when it is not OUT, or (with `reasons`) OUT with reasons. A
    built-in
    definition's verdicts change only at its epochs (`_epochs`), so one day per epoch (and
    no day) tells; for any other definition every place is kept.
    """
    countries = {s.place.country for s in evidence}
    if place.country not in countries:
        return False
    for definition in definitions:
        bounds = _epochs(definition, evidence)
        if bounds is None:
            return True
        days: list[dt.date] = [cast(dt.date, b.item()) for b in bounds]
        if days:
            days.append(days[0] - dt.timedelta(days=1))
        for when in [None, *days]:
            verdict = origin_verdict(definition, place, evidence, when)
            if verdict.outcome is not OUT or (reasons and verdict.reasons):
                return True
    return False


def _first_met(keys: np.ndarray[Any, Any], bound: int) -> tuple[Any, Any]:
    """Return, per distinct key, the position of its first item, and each item's key number.

    Keys are numbers in ``range(bound)``; when `bound` is small, a table over it replaces
    the sort (one pass over the items).
    """
    if bound > max(2**22, keys.size):
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        return first, inverse.reshape(-1)
    earliest = np.full(bound, keys.size, np.int64)
    np.minimum.at(earliest, keys, np.arange(keys.size))
    present = np.flatnonzero(earliest < keys.size)
    number = np.empty(bound, np.int64)
    number[present] = np.arange(present.size)
    return earliest[present], number[keys]


def _day(day: Any) -> dt.date | None:
    """Return a ``datetime64[D]`` day as a date (None for NaT)."""
    return None if np.isnat(day) else cast(dt.date, day.item())


def _epochs(definition: Any, evidence: list[Situation]) -> np.ndarray[Any, Any] | None:
    """Return the days on which `definition`'s verdict on some place may change, sorted.

    A built-in `Definition` judges a day through the periods of the situations, of their
    designations and of its `during` tests, so between two of these dates (each period's
    start and the day after its end) every verdict is the same, and judging one day per
    epoch is judging them all. For anything else (a user's callable, an unknown test)
    None: every day is judged.
    """
    dates: set[dt.date] = set()

    def add(period: Period) -> None:
        dates.add(period.start)
        if period.end is not None:
            dates.add(period.end + dt.timedelta(days=1))

    def walk(d: Any) -> bool:
        if type(d) is not Definition:
            return False
        for clause in d.clauses:
            for test in clause.tests:
                if isinstance(test, _TimeTest):
                    add(test.period)
                elif not isinstance(test, _SetTest | _PlaceTest | _DesignationTest):
                    return False
        return all(walk(op) for op in d.operands)

    if not walk(definition):
        return None
    for situation in evidence:
        add(situation.period)
        for designation in situation.designations:
            add(designation.period)
    return np.array(sorted(dates), dtype="datetime64[D]")


def _epoch_of(bounds: np.ndarray[Any, Any] | None, days: Any) -> np.ndarray[Any, Any]:
    """Return, per day, its epoch between `bounds` (0 for an unknown day), or its number."""
    days = np.asarray(days, dtype="datetime64[D]")
    unknown = np.isnat(days)
    if bounds is None:
        number = days.astype(np.int64)
        low = int(number[~unknown].min()) if not unknown.all() else 0
        epoch = np.where(unknown, 0, number - low + 1)
    else:
        epoch = np.where(unknown, 0, np.searchsorted(bounds, days, side="right") + 1)
    return epoch.astype(np.int64)


def _grounds(verdict: Verdict) -> tuple[tuple[str, str, str, Any], ...]:
    """Return what a verdict rests on: each reason's clause, component and outcome."""
    return tuple((r.definition, r.clause, r.component, r.outcome) for r in verdict.reasons)


class _FlagRows:
    """A boolean matrix filled a column at a time, read as its distinct rows.

    With at most `KEYED` columns the matrix is never built: each row is one integer (bit
    ``i`` set when column ``i`` is), so that the distinct rows are a sort over numbers.
    """

    KEYED = 62

    def __init__(self, rows: int, columns: int) -> None:
        self.columns = columns
        self.keys = np.zeros(rows, np.int64) if columns <= self.KEYED else None
        self.flags = None if self.keys is not None else np.empty((rows, columns), bool)

    def set(self, column: int, flags: np.ndarray[Any, np.dtype[np.bool_]]) -> None:
        """Set column `column` (once) to `flags`, one per row."""
        if self.keys is None:
            assert self.flags is not None
            self.flags[:, column] = flags
        else:
            np.bitwise_or(self.keys, np.int64(1) << column, out=self.keys, where=flags)

    def distinct(self) -> tuple[np.ndarray[Any, np.dtype[np.bool_]], np.ndarray[Any, Any]]:
        """Return the distinct rows and, per row, which one it is."""
        if self.keys is None:
            assert self.flags is not None
            rows, which = np.unique(self.flags, axis=0, return_inverse=True)
            return rows, which
        _, first, which = np.unique(self.keys, return_index=True, return_inverse=True)
        bits = np.arange(self.columns, dtype=np.int64)
        return (self.keys[first][:, None] >> bits) & 1 == 1, which


class _Judged:
    """What the propagation says of every lot, per definition, read when first asked for.

    Per definition d, `slots[d]` names the propagated columns of its IN and UNDETERMINED
    carats (-1: none); `totals` holds, per slot, which lots it feeds and its totals, with
    which lots hold carats of unknown source. Outcome codes and totals come from them; the
    amounts per lot from the slot's columns (kept when they fit, else propagated again by
    `amounts`, as the unknown-source shares and, from `total`, the lots' sums of origin
    shares, when first read); the distinct verdicts (which need to know which classes of
    verdicts feed each lot, for their reasons) from a propagation of that definition's
    classes alone, run when first asked for, so nothing per lot x definition x class is
    built unless it is used.
    """

    def __init__(
        self,
        classes: list[tuple[str, Verdict]],
        names: list[str],
        slots: np.ndarray[Any, Any],
        totals: _Totals,
        carats: FloatArray,
        total: Any,
        read: Any,
        presence: Any,
    ) -> None:
        self.classes, self.slots, self.totals = classes, slots, totals
        self.carats, self.read, self.presence = carats, read, presence
        self._row_totals, self._total = total, np.zeros(0)
        self.row = {name: d for d, name in enumerate(names)}
        self.unknown = totals.unknown
        self._unknown_share: FloatArray | None = None
        self._verdicts: dict[str, tuple[list[Verdict], np.ndarray[Any, Any]]] = {}
        self._columns: dict[str, dict[str, FloatArray]] = {}
        self._codes: dict[str, np.ndarray[Any, Any]] = {}

    def fed(self, name: str, outcome: int) -> np.ndarray[Any, np.dtype[np.bool_]] | None:
        """Return which lots carry carats whose verdict under `name` is IN (0) or open (1)."""
        slot = int(self.slots[self.row[name], outcome])
        return None if slot < 0 else self.totals.positive[slot]

    def codes(self, name: str) -> np.ndarray[Any, Any]:
        """Return each lot's outcome under `name` (0 out, 1 undetermined, 2 in).

        The Kleene OR of the verdicts feeding the lot: IN if carats whose verdict is IN
        feed it, else UNDETERMINED if undetermined or unknown ones do, else OUT.
        """
        if name not in self._codes:
            fed_in, fed_open = self.fed(name, 0), self.fed(name, 1)
            open_ = self.unknown.copy()
            if fed_open is not None:
                open_ |= fed_open
            codes = open_.astype(np.int8)
            if fed_in is not None:
                codes[fed_in] = 2
            self._codes[name] = codes
        return self._codes[name]

    def verdicts_of(self, name: str) -> tuple[list[Verdict], np.ndarray[Any, Any]]:
        """Return the distinct verdicts under `name` and, per lot, which one it has."""
        if name not in self._verdicts:
            mine, chunks = self.presence(name)
            # A class feeds a lot when some of its carats are there and (for IN and
            # UNDETERMINED) its outcome's share is above float noise, as in `codes`.
            gate = {IN: 0, UNDETERMINED: 1}
            fed = _FlagRows(len(self.carats), len(mine) + 1)
            for first, shares in chunks:
                for i in range(shares.shape[1]):
                    outcome = self.classes[mine[first + i]][1].outcome
                    at = self.fed(name, gate[outcome]) if outcome in gate else None
                    share = shares[:, i]
                    fed.set(first + i, (share > 0) & at if at is not None else share >= _NOISE)
                del shares
            fed.set(len(mine), self.unknown)
            combos, which = fed.distinct()
            combined = [
                kleene_any(
                    [*(self.classes[mine[j]][1] for j in np.flatnonzero(combo[:-1]))]
                    + ([UNKNOWN_VERDICT] if combo[-1] else []),
                    name,
                )
                for combo in combos
            ]
            self._verdicts[name] = (combined, which.reshape(-1))
        return self._verdicts[name]

    def _shares(self, name: str) -> tuple[FloatArray, ...]:
        """Return the IN share, open share, IN value and open value per carat of each lot.

        From the table kept, else propagated again (`read`, a chunk of slots at a time).
        """
        slots = [int(s) for s in self.slots[self.row[name]]]
        wanted = [s for s in slots if s >= 0]
        kept = self.totals.kept
        found: dict[int, tuple[FloatArray, FloatArray]] = {}
        if kept is not None:
            found = {s: (kept[:, 2 * s], kept[:, 2 * s + 1]) for s in wanted}
        elif wanted:
            got = self.read(name, wanted, False)
            found = {s: (got[2 * i], got[2 * i + 1]) for i, s in enumerate(wanted)}
        zero = np.zeros(len(self.carats))
        (in_share, in_vpc), (open_share, open_vpc) = (found.get(s, (zero, zero)) for s in slots)
        return in_share, open_share, in_vpc, open_vpc

    def columns(self, name: str) -> dict[str, FloatArray]:
        """Return the per-lot amounts under `name` (the `LotAmounts.COLUMNS`)."""
        if name not in self._columns:
            carats = self.carats
            in_share, open_part, in_vpc, open_vpc = self._shares(name)
            open_share = open_part + self.unknown_share(name)
            # A value is not known only where some of the carats are (zero carats of
            # anything are worth 0 USD), as `totals_of` counts them.
            unvalued, some = ~self.totals.value_known, self.carats > 0
            self._columns[name] = {
                "in_share": np.array(in_share),
                "undetermined_share": open_share,
                "out_share": np.clip(self.total() - in_share - open_share, 0.0, None),
                "in_carats": in_share * carats,
                "undetermined_carats": open_share * carats,
                "in_value_usd": _value_column(in_vpc * carats, (in_share > 0) & some, unvalued),
                "undetermined_value_usd": _value_column(
                    open_vpc * carats, (open_share > 0) & some, unvalued
                ),
            }
        return self._columns[name]

    def unknown_share(self, name: str) -> FloatArray:
        """Return each lot's share of carats of unknown source (propagated when first read).

        `name` is the definition whose amounts are read (for a refusal's message).
        """
        if self._unknown_share is None:
            kept = self.totals.kept
            if kept is not None:
                self._unknown_share = np.ascontiguousarray(kept[:, -2])
            else:
                self._unknown_share = np.array(self.read(name, [], True)[-1])  # not a view
        return self._unknown_share

    def total(self) -> FloatArray:
        """Return each lot's sum of origin shares (made when first read)."""
        if len(self._total) != len(self.carats):
            self._total = self._row_totals()
        return self._total

    def totals_of(self, name: str) -> dict[str, float]:
        """Return the sums of the carat and value columns under `name`, without building them.

        A value total sums the lots whose value is known; the lots holding such carats
        whose value is not known are counted apart (``*_value_unknown_lots``), and the
        total is NaN when none of the lots holding them has a known value.
        """
        totals = self.totals
        in_slot, open_slot = self.slots[self.row[name]].tolist()
        held_in = totals.positive[in_slot] if in_slot >= 0 else None
        held_open = totals.unknown
        if open_slot >= 0:
            held_open = totals.positive[open_slot] | held_open
        # Lots of no carats hold nothing: their value is 0 USD, known or not.
        some = self.carats > 0
        in_value, in_unknown = _value_total(
            totals.value[in_slot] if in_slot >= 0 else 0.0,
            held_in & some if held_in is not None else None,
            totals.value_known,
        )
        open_value, open_unknown = _value_total(
            totals.value[open_slot] if open_slot >= 0 else 0.0,
            held_open & some,
            totals.value_known,
        )
        return {
            "in_carats": totals.carats[in_slot] if in_slot >= 0 else 0.0,
            "undetermined_carats": (totals.carats[open_slot] if open_slot >= 0 else 0.0)
            + totals.unknown_carats,
            "in_value_usd": in_value,
            "undetermined_value_usd": open_value,
            "in_value_unknown_lots": in_unknown,
            "undetermined_value_unknown_lots": open_unknown,
        }


def _value_column(
    value: FloatArray,
    held: np.ndarray[Any, np.dtype[np.bool_]],
    unvalued: np.ndarray[Any, np.dtype[np.bool_]],
) -> FloatArray:
    """Return the value of some carats per lot: NaN only where it is not known.

    `value` is their known value per lot, `held` flags the lots holding some of them
    (a share above 0 of carats above 0), `unvalued` the lots whose value is not known.
    A lot of unknown value holding none of the carats holds 0 USD of them (as its value
    totals count), not NaN: zero carats of anything are worth nothing.
    """
    column: FloatArray = np.where(unvalued, 0.0, value)
    column[held & unvalued] = np.nan
    return column


def _value_total(
    known_sum: float,
    held: np.ndarray[Any, np.dtype[np.bool_]] | None,
    value_known: np.ndarray[Any, np.dtype[np.bool_]],
) -> tuple[float, int]:
    """Return a value total and how many lots holding the carats have no known value.

    `known_sum` sums the value over the lots whose value is known, `held` flags the lots
    holding the carats (None: none does). The total is NaN when some lots hold them and
    none of those has a known value: an unknown value is not zero dollars.
    """
    if held is None:
        return known_sum, 0
    unknown = int(np.count_nonzero(held & ~value_known))
    if unknown and not np.count_nonzero(held & value_known):
        return float("nan"), unknown
    return known_sum, unknown


class LotIds(Sequence[str]):
    """The ids of many lots as text, each made when read: the items of a comparison.

    Reads as a sequence of strings (``str(lot_id)``) without building one string per lot;
    `position` finds a lot's row from its text.
    """

    def __init__(self, index: pd.Index[Any]) -> None:
        self.ids = index
        self._numbers = pd.api.types.is_integer_dtype(index.dtype)
        self._row: dict[str, int] | None = None
        self._array: np.ndarray[Any, Any] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, key: int) -> str: ...

    @overload
    def __getitem__(self, key: slice) -> list[str]: ...

    def __getitem__(self, key: int | slice) -> str | list[str]:
        if isinstance(key, slice):
            return [str(lot) for lot in self.ids[key].tolist()]
        return str(self.ids[key])

    def __iter__(self) -> Iterator[str]:
        for start in range(0, len(self.ids), 2**16):
            yield from map(str, self.ids[start : start + 2**16].tolist())

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and self.position(item) is not None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def position(self, item: str) -> int | None:
        """Return the row of the lot whose id reads `item` (the last, if several), or None."""
        if self._numbers:  # integer ids: read the number back, no table of every id
            try:
                number = int(item)
            except ValueError:
                return None
            if str(number) != item:
                return None
            found = np.flatnonzero(self.ids == number) if not self.ids.is_unique else None
            if found is not None:
                return int(found[-1]) if found.size else None
            row = self.ids.get_indexer(pd.Index([number]))[0]
            return None if row < 0 else int(row)
        if self._row is None:
            self._row = {lot: row for row, lot in enumerate(self)}
        return self._row.get(item)

    def index(self, value: Any, start: int = 0, stop: int | None = None) -> int:
        """Return the row of the lot whose id reads `value`; ValueError if none."""
        row = self.position(value) if isinstance(value, str) else None
        if row is None or row < start or (stop is not None and row >= stop):
            msg = f"{value!r} is not a lot id here"
            raise ValueError(msg)
        return row

    def to_array(self) -> np.ndarray[Any, Any]:
        """Return the ids as an object array of strings (made once, when first asked for)."""
        if self._array is None:
            self._array = np.array(list(self), dtype=object)
        return self._array


class LotVerdicts(Mapping[tuple[str, str], Verdict]):
    """The verdicts of many lots under several definitions, one small code per lot.

    Lots fed by the same production verdicts share one verdict object, so a definition's
    verdicts are a list of distinct verdicts and, per lot, the index of its own. Reads as a
    mapping ``{(lot, definition): Verdict}`` without building one entry per lot.
    """

    def __init__(
        self, items: LotIds, names: list[str], judged: dict[str, _Judged], limit: Limit = None
    ) -> None:
        self.lot_ids, self.names, self.judged = items, names, judged
        #: The ``max_memory=`` of the comparison, for the tables read from it.
        self.limit = limit

    def __getitem__(self, key: tuple[str, str]) -> Verdict:
        try:
            item, name = key
            judged = self.judged[name]
        except (TypeError, ValueError, KeyError):
            raise KeyError(key) from None
        row = self.lot_ids.position(item) if isinstance(item, str) else None
        if row is None:
            raise KeyError(key)
        combined, which = judged.verdicts_of(name)
        return combined[int(which[row])]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for name in self.names:
            for item in self.lot_ids:
                yield item, name

    def __len__(self) -> int:
        return len(self.lot_ids) * len(self.names)

    def codes(self, name: str) -> np.ndarray[Any, Any]:
        """Return each lot's outcome under `name`: 0 out, 1 undetermined, 2 in."""
        return self.judged[name].codes(name)

    def verdicts_of(self, name: str) -> tuple[list[Verdict], np.ndarray[Any, Any]]:
        """Return the distinct verdicts under `name` and, per lot, which one it has."""
        return self.judged[name].verdicts_of(name)


def check_table(lots: int, definitions: int, *, verdicts: bool, limit: Limit = None) -> None:
    """Refuse a tidy table of `lots` x `definitions` rows above the memory limit.

    `limit` is the ``max_memory=`` given to `kpmodel.compare` (None: the environment's).

    Per row: the per-lot amounts (seven columns kept per definition, then made twice:
    per definition, then joined, with two references), and with `verdicts` the verdict
    columns (four references, made three times: per definition, stacked, framed) and the
    table joining both (eleven columns, made twice by the merge); per lot, its id as text.
    """
    rows = lots * definitions
    # Rough estimates, counted from the columns made (as the docstring lists them), not
    # measured against a traced peak as the bytes of `_compare_need` were.
    need = rows * (7 * 8.0 + 2 * (7 * 8.0 + 16.0)) + lots * 64.0
    if verdicts:
        need += rows * (3 * 4 * 8.0 + 2 * 11 * 8.0)
    what = "the verdicts and per-lot amounts" if verdicts else "the per-lot amounts"
    check_memory(
        need,
        what=(
            f"tabulating {what} of {_count_text(lots, 'lot')} under "
            f"{_count_text(definitions, 'definition')} ({rows:,} rows)"
        ),
        change=(
            "read the totals instead (Comparison.summary needs no table), or judge fewer lots "
            "(Lots.from_graph(..., lots=...)) or compare fewer definitions"
        ),
        limit=limit,
        keyword=LATER,
    )


class LotAmounts:
    """The shares, carats and values of many lots under several definitions, as columns.

    `frame` builds the tidy table (one row per lot and definition) when it is asked for;
    `totals` sums the carats and values per definition without building it.
    """

    COLUMNS = (
        "in_share",
        "undetermined_share",
        "out_share",
        "in_carats",
        "undetermined_carats",
        "in_value_usd",
        "undetermined_value_usd",
    )

    def __init__(
        self, items: LotIds, names: list[str], judged: dict[str, _Judged], limit: Limit = None
    ) -> None:
        self.items, self.names, self.judged = items, names, judged
        #: The ``max_memory=`` of the comparison, for the table read from it.
        self.limit = limit
        self._frame: pd.DataFrame | None = None

    def frame(self) -> pd.DataFrame:
        """Return the tidy table: item, definition, then the amounts (built once).

        The memory the table needs is checked first: per lot and definition, its row
        (seven amounts and two references) made twice (per definition, then joined), and
        the amounts kept per definition; per lot, its id as text.
        """
        if self._frame is None:
            check_table(len(self.items), len(self.names), verdicts=False, limit=self.limit)
            frames = [
                pd.DataFrame(
                    {
                        "item": self.items.to_array(),
                        "definition": name,
                        **self.judged[name].columns(name),
                    }
                )
                for name in self.names
            ]
            self._frame = pd.concat(frames, ignore_index=True)
        return self._frame

    def totals(self) -> pd.DataFrame:
        """Return, per definition, the sums of the carat and value columns."""
        rows = {name: self.judged[name].totals_of(name) for name in self.names}
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "definition"
        return frame

    def records(self, item: str) -> dict[str, dict[str, float]]:
        """Return one lot's amounts under each definition."""
        row = self.items.index(item)
        return {
            name: {
                column: float(values[row])
                for column, values in self.judged[name].columns(name).items()
            }
            for name in self.names
        }


def _row_totals(shares: pd.DataFrame) -> FloatArray:
    """Return each lot's sum of shares, without densifying a sparse frame.

    Summed column by column, left to right, as a row sum over the sparse rows does.
    """
    if len(shares.columns) and all(
        isinstance(dtype, pd.SparseDtype) for dtype in shares.dtypes.tolist()
    ):
        totals: FloatArray = np.zeros(len(shares))
        for _, column in shares.items():
            values = cast(Any, column).array
            totals[values.sp_index.indices] += values.sp_values
        return totals
    dense: FloatArray = shares.to_numpy(dtype=np.float64).sum(axis=1)
    return dense
