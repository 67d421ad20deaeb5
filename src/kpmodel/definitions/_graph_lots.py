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
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
import scipy.sparse as sp

from kpmodel._limits import check_memory
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
    kleene_any,
    origin_verdict,
    situation_list,
)
from kpmodel.errors import InvalidArgumentError
from kpmodel.provenance import (
    ProvenanceGraph,
    lot_carats,
    origin_shares,
    propagate,
    unknown_fraction,
)

if TYPE_CHECKING:
    from kpmodel.definitions._lots import Lots

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

#: Below this, a propagated share is float noise, not carats (shares are fractions of 1).
_NOISE = 1e-12


def check_graph(instance: Any, attribute: Any, value: Any) -> None:
    """Validate `Lots.graph`: a provenance graph or None."""
    if value is not None and not isinstance(value, ProvenanceGraph):
        msg = f"graph must be a kpmodel.ProvenanceGraph or None; got {type(value).__name__}"
        raise InvalidArgumentError(msg)


def check_by(instance: Any, attribute: Any, value: Any) -> None:
    """Validate an origin level: country, zone or site."""
    if value not in ("country", "zone", "site"):
        msg = f"by must be 'country', 'zone' or 'site'; got {value!r}"
        raise InvalidArgumentError(msg)


def graph_lots(
    cls: type[Lots], graph: Any, situations: Any, *, by: str, lots: Iterable[Any] | None
) -> Lots:
    """Build `Lots` from a provenance graph (the body of `Lots.from_graph`)."""
    if not isinstance(graph, ProvenanceGraph):
        msg = f"graph must be a kpmodel.ProvenanceGraph; got {type(graph).__name__}"
        raise InvalidArgumentError(msg)
    check_by(None, None, by)
    situation_list(situations)  # checked now, so that compare() cannot fail on it later
    rows = _selected(graph, lots)
    if lots is None:  # every lot: the frame as it is, not a copy of every row
        shares = origin_shares(graph, by=cast(Any, by)).to_frame()
    else:
        shares = origin_shares(graph, by=cast(Any, by), lots=graph.lots[rows]).to_frame()
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
    if lots is None:
        return np.arange(len(graph))
    wanted = list(lots)
    rows = graph.lots.get_indexer(pd.Index(wanted, dtype=object))
    missing = [lot for lot, row in zip(wanted, rows, strict=True) if row < 0]
    if missing:
        msg = f"lots {missing!r} are not in the graph; pass ids the graph returned"
        raise InvalidArgumentError(msg)
    return rows


def _carats(graph: ProvenanceGraph) -> FloatArray:
    return lot_carats(graph)


class _Frames:
    """A graph's `to_frames()` and production table, built once for one computation."""

    def __init__(self, graph: ProvenanceGraph) -> None:
        self.graph = graph
        self._frames: tuple[pd.DataFrame, pd.DataFrame] | None = None
        self.production: dict[str, tuple[np.ndarray[Any, Any], pd.DataFrame]] = {}
        self._items: list[str] | None = None

    def get(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        if self._frames is None:
            self._frames = self.graph.to_frames()
        return self._frames

    def items(self, lots: Lots) -> list[str]:
        """Return the lots' ids as text (the items of a comparison), made once."""
        if self._items is None:
            self._items = list(map(str, lots.shares.index.tolist()))
        return self._items


def _production(
    graph: ProvenanceGraph, by: str, frames: _Frames | None = None
) -> tuple[np.ndarray[Any, Any], pd.DataFrame]:
    """Return the positions of production lots and their place, day and value per carat.

    The table's ``place_code`` indexes the distinct places (``table.attrs["places"]``),
    ``day64`` holds the days as ``datetime64[D]`` (NaT where unknown).
    """
    frames = frames or _Frames(graph)
    if by in frames.production:
        return frames.production[by]
    frame, _ = frames.get()
    rows = np.flatnonzero((frame["kind"] == "produce").to_numpy() & frame["origin"].notna())
    produced = frame.iloc[rows]
    # Each part factorised on its own (missing zones and sites read as ""), the parts'
    # codes combined into one number per lot, and each distinct place built once, in the
    # order places are first met.
    columns = ["origin", "zone", "site"][: {"country": 1, "zone": 2, "site": 3}[by]]
    combined = np.zeros(len(produced), np.int64)
    part_codes, values = [], []
    for column in columns:
        part, uniques = pd.factorize(produced[column].astype(object).fillna(""))
        part_codes.append(part)
        values.append(np.asarray(uniques, dtype=object))
        combined = combined * (len(uniques) + 1) + part
    _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(order.size, np.int64)
    rank[order] = np.arange(order.size)
    made = [
        Place(
            *(
                _text(values[i][part_codes[i][lot]]) if i else values[0][part_codes[0][lot]]
                for i in range(len(columns))
            )
        )
        for lot in first[order].tolist()
    ]
    place_code = rank[inverse.reshape(-1)]
    day64 = pd.to_datetime(produced["on"]).to_numpy().astype("datetime64[D]")
    table = pd.DataFrame(
        {
            "place_code": place_code,
            "day64": day64,
            "value_per_carat": (produced["value_usd"] / produced["carats"]).to_numpy(),
        }
    )
    table.attrs["places"] = made
    frames.production[by] = (rows, table)
    return rows, table


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
    definitions: list[Any], lots: Lots, on: dt.date | Period | None
) -> tuple[LotVerdicts, LotAmounts]:
    """Return a verdict per lot and definition, and the tidy shares, carats and value.

    Each definition judges the carats at its event: production lots on their production
    date, shipment lots (for export and import) on their shipment date; `on`, when given,
    judges everything as of that date instead.
    """
    events = {name_of(d): judged_event(d) for d in definitions}
    if on is not None:
        events = dict.fromkeys(events, "production")
    frames = _Frames(lots.graph) if lots.graph is not None else None
    parts = [
        _event_verdicts(group, lots, on, event, frames)
        for event in EVENTS
        if (group := [d for d in definitions if events[name_of(d)] == event])
    ]
    if len(parts) == 1:
        return parts[0]
    # Definitions judging different events: one propagation per event, put back in order.
    names = [name_of(d) for d in definitions]
    chosen = {name: part[0].judged[name] for part in parts for name in part[0].names}
    items = parts[0][0].lot_ids
    return LotVerdicts(items, names, chosen), LotAmounts(items, names, chosen)


def _moves(
    graph: ProvenanceGraph, frames: _Frames | None = None
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Return the positions of shipment lots (shipped or smuggled) and their days (NaT)."""
    frame, _ = (frames or _Frames(graph)).get()
    kinds = frame["kind"].astype(str).to_numpy()
    rows = np.flatnonzero((kinds == "ship") | (kinds == "smuggle"))
    days = pd.to_datetime(frame["on"].iloc[rows]).to_numpy().astype("datetime64[D]")
    return rows, days


def _input_weights(
    graph: ProvenanceGraph, rows: np.ndarray[Any, Any], frames: _Frames | None = None
) -> sp.csr_array:
    """Return, for `rows`, the share of each lot's carats that came from each other lot."""
    _, flows = (frames or _Frames(graph)).get()
    index = graph.lots
    source = index.get_indexer(pd.Index(flows["source"], dtype=object))
    target = index.get_indexer(pd.Index(flows["target"], dtype=object))
    weight = flows["carats"].to_numpy(dtype=np.float64) / _carats(graph)[target]
    n = len(graph)
    matrix = sp.csr_array((weight, (target, source)), shape=(n, n))
    return matrix[rows]


def _by_origin(
    graph: ProvenanceGraph,
    rows: np.ndarray[Any, Any],
    table: pd.DataFrame,
    reset: Any,
    evidence: list[Situation],
) -> tuple[FloatArray, list[Place]]:
    """Propagate, per origin place, the share and the value of carats (and unknown, valued).

    Columns: k shares, k values, the unknown-source share, the share with a known value.
    With `reset`, the flagged lots start empty (carats reaching them are cut off). Only
    places in a country the evidence speaks of get columns: elsewhere every verdict is
    OUT with no reason (see `origin_verdict`), which no shipment needs to carry.
    """
    code = table["place_code"].to_numpy()
    distinct: list[Place] = table.attrs["places"]
    countries = {s.place.country for s in evidence}
    relevant = [j for j, place in enumerate(distinct) if place.country in countries]
    places = [distinct[j] for j in relevant]
    column = np.full(len(distinct) + 1, -1, np.int64)
    column[relevant] = np.arange(len(relevant))
    index = column[code]
    k = len(places)
    on = index >= 0
    known = table["value_per_carat"].notna().to_numpy()
    vpc = table["value_per_carat"].fillna(0.0).to_numpy()
    initial = np.zeros((len(graph), 2 * k + 2))
    initial[rows[on], index[on]] = 1.0
    initial[rows[on], k + index[on]] = vpc[on]
    initial[:, 2 * k] = unknown_fraction(graph)
    initial[rows[known], 2 * k + 1] = 1.0
    if reset is not None:
        initial[reset] = 0.0
    return propagate(graph, initial, restart=reset, copy=False), places


def _event_verdicts(
    definitions: list[Any],
    lots: Lots,
    on: dt.date | Period | None,
    event: str,
    frames: _Frames | None = None,
) -> tuple[LotVerdicts, LotAmounts]:
    graph = lots.graph
    assert graph is not None  # only called for lots built from a graph
    frames = frames or _Frames(graph)
    evidence = situation_list(lots.situations)
    rows, table = _production(graph, lots.by, frames)
    n = len(graph)
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
    caches: dict[str, dict[tuple[Place, Any], Verdict]] = {}
    epochs = {name_of(d): _epochs(d, evidence) for d in definitions}

    def class_of(definition: Any, place: Place, when: Any, key: Any) -> int:
        name = name_of(definition)
        cache = caches.setdefault(name, {})
        if (place, key) not in cache:
            cache[place, key] = origin_verdict(definition, place, evidence, when)
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

    def classes_of(places: list[Place], where: np.ndarray[Any, Any], days: Any) -> Any:
        """Return the class of each (place, day) item under each definition (items x defs).

        Items are judged once per place and epoch (the days between two dates where a
        definition's verdict can change), in the order they are met.
        """
        out = np.full((where.size, len(definitions)), -1, np.int64)
        days = np.asarray(days, dtype="datetime64[D]")
        for col, definition in enumerate(definitions):
            if where.size == 0:
                continue
            if on is not None:
                epoch = np.zeros(where.size, np.int64)
            else:
                epoch = _epoch_of(epochs[name_of(definition)], days)
            span = int(epoch.max()) + 1
            keys = where.astype(np.int64) * span + epoch
            _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
            found = np.empty(first.size, np.int64)
            for u in np.argsort(first, kind="stable").tolist():
                item = int(first[u])
                when = on if on is not None else _day(days[item])
                key = when if epochs[name_of(definition)] is None else int(epoch[item])
                found[u] = class_of(definition, places[int(where[item])], when, key)
            out[:, col] = found[inverse.reshape(-1)]
        return out

    where = table["place_code"].to_numpy()
    produced = classes_of(table.attrs["places"], where, table["day64"].to_numpy())
    composition = np.zeros((0, 0))
    places: list[Place] = []
    reset = None
    cells = np.zeros((0, 4))
    if event != "production":
        reset = np.zeros(n, dtype=bool)
        reset[moves] = True
        if event == "import":
            carried, places = _by_origin(graph, rows, table, None, evidence)
            composition = carried[moves]
        else:  # export: carats arriving at a shipment that no shipment carried before
            carried, places = _by_origin(graph, rows, table, reset, evidence)
            composition = _input_weights(graph, moves, frames) @ carried
            composition[:, -2] += unknown_fraction(graph)[moves]
        k = len(places)
        move_of, origin = np.nonzero(composition[:, :k] > _NOISE)
        shipped = classes_of(places, origin, move_days[move_of])
        # One cell per (move, origin, definition) whose verdict is worth keeping.
        item, col = np.nonzero(shipped >= 0)
        cells = np.column_stack(
            [
                shipped[item, col],
                move_of[item],
                composition[move_of[item], origin[item]],
                composition[move_of[item], k + origin[item]],
            ]
        )
    c = len(classes)
    names = [name_of(d) for d in definitions]
    owner = {name: d for d, name in enumerate(names)}
    outcome_of = np.array(
        [0 if v.outcome is IN else 1 if v.outcome is UNDETERMINED else -1 for _, v in classes],
        dtype=np.int64,
    ).reshape(-1)
    definition_of = np.array([owner[name] for name, _ in classes], dtype=np.int64).reshape(-1)
    width = 4 * len(names) + 2
    # The propagation runs in place: its table, the rows kept (when not every lot), and
    # the graph's flow weights.
    check_memory(
        (1.0 if len(lots.shares.index) == n else 2.0) * n * width * 8
        + 24.0 * graph.number_of_flows,
        what=f"judging {n} lots under {len(names)} definitions",
        change="judge fewer definitions at a time, or a part of the graph",
        keyword=False,
    )
    valued = rows[table["value_per_carat"].notna().to_numpy()]
    positions = graph.lots.get_indexer(lots.shares.index)
    # Every lot, in the graph's order: no copy.
    every = len(positions) == n and bool(np.array_equal(positions, np.arange(n)))
    selected: np.ndarray[Any, Any] | None = None if every else positions

    def spread(share_col: Any, value_col: Any, columns: int, extra: bool) -> FloatArray:
        """Propagate the classes' shares (and values) into the given columns, per event.

        Class j adds its carats' share to column ``share_col[j]`` and their value per
        carat to ``value_col[j]`` (-1: nowhere); with `extra`, the last two columns carry
        the unknown-source share and the share with a known value.
        """
        initial = np.zeros((n, columns))
        lot, col = np.nonzero(produced >= 0)
        j = produced[lot, col]
        target, value = share_col[j], value_col[j]
        keep = target >= 0
        initial[rows[lot[keep]], target[keep]] = 1.0
        keep = value >= 0
        initial[rows[lot[keep]], value[keep]] = vpc[lot[keep]]
        if extra:
            initial[:, -2] = unknown_fraction(graph)
            initial[valued, -1] = 1.0
        if event == "production":
            result = propagate(graph, initial, copy=False)
        else:
            k = len(places)
            at_moves = np.zeros((len(moves), columns))
            j, i = cells[:, 0].astype(np.int64), cells[:, 1].astype(np.int64)
            keep = share_col[j] >= 0
            np.add.at(at_moves, (i[keep], share_col[j[keep]]), cells[keep, 2])
            keep = value_col[j] >= 0
            np.add.at(at_moves, (i[keep], value_col[j[keep]]), cells[keep, 3])
            if extra:
                at_moves[:, -2] = composition[:, 2 * k]
                at_moves[:, -1] = composition[:, 2 * k + 1]
            if event == "import":
                initial[moves] = at_moves
                result = propagate(graph, initial, restart=reset, copy=False)
            else:
                initial[moves] = 0.0
                result = propagate(graph, initial, restart=reset)
                initial.fill(0.0)
                initial[moves] = at_moves
                result += propagate(graph, initial, copy=False)
        return result if selected is None else result[selected]

    # Eagerly, per definition: the IN and UNDETERMINED shares and values (a lot's amounts
    # are sums over classes, so 4 columns per definition, whatever the classes).
    base = 4 * definition_of
    in_or_open = outcome_of >= 0
    eager = spread(
        np.where(in_or_open, base + outcome_of, -1),
        np.where(in_or_open, base + 2 + outcome_of, -1),
        width,
        extra=True,
    )
    for start in range(0, len(eager), 2**20):  # a block at a time: no full-size mask
        block = eager[start : start + 2**20]
        block[block < _NOISE] = 0.0

    def presence(name: str, mine: list[int]) -> FloatArray:
        """Return the lots' shares from each of `name`'s classes (one column each)."""
        share_col = np.full(c, -1, np.int64)
        share_col[mine] = np.arange(len(mine))
        return spread(share_col, np.full(c, -1, np.int64), max(len(mine), 1), extra=False)

    carats = _carats(graph) if selected is None else _carats(graph)[selected]
    judged = _Judged(classes, names, eager, carats, _row_totals(lots.shares), presence)
    items = frames.items(lots)
    shared = dict.fromkeys(names, judged)
    return LotVerdicts(items, names, shared), LotAmounts(items, names, shared)


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


def _distinct_rows(
    flags: np.ndarray[Any, np.dtype[np.bool_]],
) -> tuple[np.ndarray[Any, np.dtype[np.bool_]], np.ndarray[Any, Any]]:
    """Return the distinct rows of a boolean matrix and, per row, which one it is."""
    if flags.shape[1] > 62:
        return np.unique(flags, axis=0, return_inverse=True)
    # Few columns: one integer per row, so that the sort is over numbers, not rows.
    keys = flags.astype(np.int64) @ (np.int64(1) << np.arange(flags.shape[1], dtype=np.int64))
    _, first, which = np.unique(keys, return_index=True, return_inverse=True)
    return flags[first], which


class _Judged:
    """What the propagation says of every lot, per definition, read when first asked for.

    `spread` has one row per lot and, per definition d, four columns: the share of the
    lot's carats whose verdict is IN (4d) and UNDETERMINED (4d + 1), and their value per
    carat of the lot (4d + 2, 4d + 3); then the unknown-source share and the share with a
    known value. Outcome codes, amounts and totals come from it; the distinct verdicts
    (which need to know which classes of verdicts feed each lot, for their reasons) come
    from a propagation of that definition's classes alone, run when first asked for, so
    nothing per lot x definition x class is built unless it is used.
    """

    def __init__(
        self,
        classes: list[tuple[str, Verdict]],
        names: list[str],
        spread: FloatArray,
        carats: FloatArray,
        total: FloatArray,
        presence: Any,
    ) -> None:
        self.classes, self.spread, self.carats, self.total = classes, spread, carats, total
        self.column = {name: 4 * d for d, name in enumerate(names)}
        self.presence = presence
        self.unknown = spread[:, -2]
        self.value_known = spread[:, -1] > 1 - 1e-9
        self._verdicts: dict[str, tuple[list[Verdict], np.ndarray[Any, Any]]] = {}
        self._columns: dict[str, dict[str, FloatArray]] = {}
        self._codes: dict[str, np.ndarray[Any, Any]] = {}
        self._sums: tuple[FloatArray, FloatArray] | None = None

    def codes(self, name: str) -> np.ndarray[Any, Any]:
        """Return each lot's outcome under `name` (0 out, 1 undetermined, 2 in).

        The Kleene OR of the verdicts feeding the lot: IN if carats whose verdict is IN
        feed it, else UNDETERMINED if undetermined or unknown ones do, else OUT.
        """
        if name not in self._codes:
            at = self.column[name]
            fed_open = (self.spread[:, at + 1] > 0) | (self.unknown > 0)
            codes = fed_open.astype(np.int8)
            codes[self.spread[:, at] > 0] = 2
            self._codes[name] = codes
        return self._codes[name]

    def verdicts_of(self, name: str) -> tuple[list[Verdict], np.ndarray[Any, Any]]:
        """Return the distinct verdicts under `name` and, per lot, which one it has."""
        if name not in self._verdicts:
            mine = [j for j, (owner, _) in enumerate(self.classes) if owner == name]
            shares = self.presence(name, mine)
            at = self.column[name]
            # A class feeds a lot when some of its carats are there and (for IN and
            # UNDETERMINED) its outcome's share is above float noise, as in `codes`.
            gate = {IN: self.spread[:, at] > 0, UNDETERMINED: self.spread[:, at + 1] > 0}
            fed = np.empty((len(self.unknown), len(mine) + 1), dtype=bool)
            for i, j in enumerate(mine):
                outcome = self.classes[j][1].outcome
                fed[:, i] = (
                    (shares[:, i] > 0) & gate[outcome]
                    if outcome in gate
                    else (shares[:, i] >= _NOISE)
                )
            fed[:, -1] = self.unknown > 0
            combos, which = _distinct_rows(fed)
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

    def columns(self, name: str) -> dict[str, FloatArray]:
        """Return the per-lot amounts under `name` (the `LotAmounts.COLUMNS`)."""
        if name not in self._columns:
            at, spread, carats = self.column[name], self.spread, self.carats
            in_share = spread[:, at]
            open_share = spread[:, at + 1] + self.unknown
            in_value = spread[:, at + 2] * carats
            open_value = spread[:, at + 3] * carats
            self._columns[name] = {
                "in_share": in_share,
                "undetermined_share": open_share,
                "out_share": np.clip(self.total - in_share - open_share, 0.0, None),
                "in_carats": in_share * carats,
                "undetermined_carats": open_share * carats,
                "in_value_usd": np.where(self.value_known, in_value, np.nan),
                "undetermined_value_usd": np.where(self.value_known, open_value, np.nan),
            }
        return self._columns[name]

    def totals(self, name: str) -> dict[str, float]:
        """Return the sums of the carat and value columns under `name`, without building them."""
        if self._sums is None:
            # Each total is linear in one column: two products give them all.
            known = np.where(self.value_known, self.carats, 0.0)
            self._sums = (self.carats @ self.spread, known @ self.spread)
        weighted, valued = self._sums
        at = self.column[name]
        return {
            "in_carats": float(weighted[at]),
            "undetermined_carats": float(weighted[at + 1] + weighted[-2]),
            "in_value_usd": float(valued[at + 2]),
            "undetermined_value_usd": float(valued[at + 3]),
        }


class LotVerdicts(Mapping[tuple[str, str], Verdict]):
    """The verdicts of many lots under several definitions, one small code per lot.

    Lots fed by the same production verdicts share one verdict object, so a definition's
    verdicts are a list of distinct verdicts and, per lot, the index of its own. Reads as a
    mapping ``{(lot, definition): Verdict}`` without building one entry per lot.
    """

    def __init__(self, items: list[str], names: list[str], judged: dict[str, _Judged]) -> None:
        self.lot_ids, self.names, self.judged = items, names, judged
        self._row: dict[str, int] | None = None

    def __getitem__(self, key: tuple[str, str]) -> Verdict:
        try:
            item, name = key
            judged = self.judged[name]
        except (TypeError, ValueError, KeyError):
            raise KeyError(key) from None
        if self._row is None:
            self._row = {lot: row for row, lot in enumerate(self.lot_ids)}
        row = self._row.get(item)
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

    def __init__(self, items: list[str], names: list[str], judged: dict[str, _Judged]) -> None:
        self.items, self.names, self.judged = items, names, judged
        self._frame: pd.DataFrame | None = None

    def frame(self) -> pd.DataFrame:
        """Return the tidy table: item, definition, then the amounts (built once)."""
        if self._frame is None:
            frames = [
                pd.DataFrame(
                    {"item": self.items, "definition": name, **self.judged[name].columns(name)}
                )
                for name in self.names
            ]
            self._frame = pd.concat(frames, ignore_index=True)
        return self._frame

    def totals(self) -> pd.DataFrame:
        """Return, per definition, the sums of the carat and value columns."""
        rows = {name: self.judged[name].totals(name) for name in self.names}
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
    """Return each lot's sum of shares, without densifying a sparse frame."""
    if len(shares.columns) and all(
        isinstance(dtype, pd.SparseDtype) for dtype in shares.dtypes.tolist()
    ):
        matrix = cast(Any, shares).sparse.to_coo().tocsr()
        totals: FloatArray = np.asarray(matrix.sum(axis=1)).reshape(-1)
        return totals
    dense: FloatArray = shares.to_numpy(dtype=np.float64).sum(axis=1)
    return dense
