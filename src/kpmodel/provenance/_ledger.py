"""Paperwork alone, traced: a provenance graph estimated from a `Ledger` by mass balance."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from kpmodel._boundary import MAX_LISTED, show
from kpmodel.certificates import DeclaredOrigin
from kpmodel.errors import InvalidArgumentError
from kpmodel.ledger import Ledger

if TYPE_CHECKING:
    from kpmodel.provenance._graph import ProvenanceGraph

_DAY = np.timedelta64(1, "D")


def _production_arrivals(production: Any) -> pd.DataFrame:
    """Production per participant and half year, entering stock before the half year starts."""
    frame = production.to_frame()
    if "replication" in frame.columns and frame["replication"].nunique() > 1:
        msg = (
            "production must hold one set of statistics, got several replications; "
            "select one with statistics.table[statistics.table.replication == 0]"
        )
        raise InvalidArgumentError(msg)
    produced = frame[(frame["flow"] == "production") & (frame["carats"] > 0)]
    start = pd.to_datetime(
        {"year": produced["year"], "month": np.where(produced["half"] == 1, 1, 7), "day": 1}
    ).to_numpy(dtype="datetime64[D]")
    return pd.DataFrame(
        {
            "participant": produced["participant"].astype(str).to_numpy(),
            "day": start - _DAY,  # arrives at the end of the day before the half year
            "carats": produced["carats"].to_numpy(dtype=np.float64),
        }
    )


class _LotPart(NamedTuple):
    """Lots of one kind and day, as columns: what `_Builder.add_lots` appends."""

    kind: np.ndarray[Any, Any]
    day: np.ndarray[Any, Any]
    country: np.ndarray[Any, Any]
    amount: np.ndarray[Any, Any]
    origin: np.ndarray[Any, Any]


class _Builder:
    """New lots and flows, appended a day at a time as arrays."""

    def __init__(self, first_id: int) -> None:
        self.next_id = first_id
        self.lots: list[_LotPart] = []
        self.flows: list[tuple[np.ndarray[Any, Any], ...]] = []

    def add_lots(self, kind: int, day: int, country: Any, carats: Any, origin: Any) -> Any:
        """Append lots of one kind and day; return their ids."""
        count = len(carats)
        ids = self.next_id + np.arange(count)
        self.next_id += count
        self.lots.append(
            _LotPart(
                kind=np.full(count, kind, np.int8),
                day=np.full(count, day, np.int64),
                country=np.asarray(country, np.int64),
                amount=np.asarray(carats, np.float64),
                origin=np.asarray(origin, np.int64),
            )
        )
        return ids

    def add_flows(self, source: Any, target: Any, carats: Any) -> None:
        keep = np.asarray(carats) > 0
        self.flows.append(
            (
                np.asarray(source, np.int64)[keep],
                np.asarray(target, np.int64)[keep],
                np.asarray(carats, np.float64)[keep],
            )
        )


_PRODUCE, _MIX, _UNKNOWN = 0, 1, 2
_KIND_NAMES = np.array(["produce", "mix", "lot"], dtype=object)


def _grouped(keys: np.ndarray[Any, Any]) -> tuple[Any, Any]:
    """Distinct keys, sorted, and per item the index of its key (keys need not be sorted).

    Keys are small non-negative ints (two per country), so counting beats sorting.
    """
    present = np.bincount(keys) > 0
    unique = np.flatnonzero(present)
    index = np.cumsum(present) - 1
    return unique, index[keys]


def build_from_ledger(ledger: object, *, production: Any = None) -> ProvenanceGraph:
    """Return the graph `ProvenanceGraph.from_ledger` describes."""
    from kpmodel.provenance._graph import ProvenanceGraph

    if not isinstance(ledger, Ledger):
        msg = f"from_ledger takes a kpmodel.Ledger, got {type(ledger).__name__}"
        raise InvalidArgumentError(msg)
    # Statistics sit above provenance in the layers: read them by their public to_frame().
    if production is not None and not callable(getattr(production, "to_frame", None)):
        msg = (
            "production must be a kpmodel.statistics.KPStatistics (or None), "
            f"got {type(production).__name__}"
        )
        raise InvalidArgumentError(msg)
    frame = ledger.to_frame()
    n = len(frame)
    extra = _production_arrivals(production) if production is not None else None
    names, countries = pd.factorize(
        np.concatenate(
            [
                frame["issuing_country"].to_numpy(dtype=object),
                frame["destination_country"].to_numpy(dtype=object),
                np.zeros(0, object) if extra is None else extra["participant"].to_numpy(object),
            ]
        )
    )
    exporter, importer, producer = names[:n], names[n : 2 * n], names[2 * n :]
    carats = frame["carats"].to_numpy(dtype=np.float64)
    _check_carats(carats, frame["number"].to_numpy(dtype=object))
    issued = frame["issued"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    arrival = issued
    if "received" in frame.columns:
        received = frame["received"].to_numpy(dtype="datetime64[D]")
        late = ~np.isnat(received)
        arrival = issued.copy()
        arrival[late] = np.maximum(received[late].astype(np.int64), issued[late])
    origin = frame["origin"].astype(object).where(frame["origin"].notna(), None).to_numpy()
    listed = frame["declared_origins"].to_numpy(dtype=object)
    own = (origin == frame["issuing_country"].to_numpy(dtype=object)) & (listed == "")
    # What each certificate declares, as the text the graph stores (one parse per kind).
    origin_code, origins = pd.factorize(origin, use_na_sentinel=False)
    listed_code, lists = pd.factorize(listed, use_na_sentinel=False)
    pair_code, pairs = np.unique(origin_code * len(lists) + listed_code, return_inverse=True)
    stored = np.array(
        [
            str(DeclaredOrigin.from_fields(o, lst)) if isinstance(o, str) else None
            for o, lst in ((origins[c // len(lists)], lists[c % len(lists)]) for c in pair_code)
        ],
        dtype=object,
    )[pairs.ravel()]

    with_production = extra is not None
    # A stock per country (key 2c) and, with production statistics, a production stock (2c+1).
    draws_from = exporter * 2 + (own & with_production).astype(np.int64)
    from_production = own & (not with_production)
    keys = 2 * len(countries)
    pool = np.full(keys, -1, np.int64)
    left = np.zeros(keys)
    built = _Builder(n)

    out_order = np.lexsort((np.arange(n), issued))
    in_order = np.lexsort((np.arange(n), arrival))
    out_day, in_day = issued[out_order], arrival[in_order]
    made_day = (
        np.zeros(0, np.int64)
        if extra is None
        else extra["day"].to_numpy().astype("datetime64[D]").astype(np.int64)
    )
    made_order = np.argsort(made_day, kind="stable")
    made_day = made_day[made_order]
    for day in np.unique(np.concatenate([issued, arrival, made_day])).tolist():
        # Exports of the day draw on the stock at the start of the day, in ledger order.
        rows = out_order[np.searchsorted(out_day, day) : np.searchsorted(out_day, day, "right")]
        if rows.size:
            mine = rows[from_production[rows]]
            if mine.size:
                unique, inverse = _grouped(exporter[mine])
                amounts = np.bincount(inverse, weights=carats[mine])
                ids = built.add_lots(_PRODUCE, day, unique, amounts, unique)
                built.add_flows(ids[inverse], mine, carats[mine])
            rest = rows[~from_production[rows]]
            if rest.size:
                # A country's exports of the day share its stock at the start of the day in
                # proportion to their carats; what the stock lacks is of unknown origin.
                key = draws_from[rest]
                unique, inverse = _grouped(key)
                wanted = np.bincount(inverse, weights=carats[rest])
                taken = np.minimum(wanted, left[unique])
                left[unique] -= taken
                enough = taken >= wanted
                direct = enough[inverse]
                built.add_flows(pool[key[direct]], rest[direct], carats[rest[direct]])
                short = np.flatnonzero(~enough)
                if short.size:
                    # The exporter's holding of the day: the stock it had and carats of
                    # unknown origin (the holding receives less than it holds).
                    ids = built.add_lots(
                        _UNKNOWN, day, unique[short] // 2, wanted[short], np.full(short.size, -1)
                    )
                    built.add_flows(pool[unique[short]], ids, taken[short])
                    slot = np.full(unique.size, -1)
                    slot[short] = np.arange(short.size)
                    held = ~direct
                    built.add_flows(ids[slot[inverse[held]]], rest[held], carats[rest[held]])
        # Imports (and production) of the day join the stock at its end.
        arriving = in_order[np.searchsorted(in_day, day) : np.searchsorted(in_day, day, "right")]
        sources, key, amounts = arriving, importer[arriving] * 2, carats[arriving]
        made = made_order[np.searchsorted(made_day, day) : np.searchsorted(made_day, day, "right")]
        if made.size:
            assert extra is not None
            made_carats = extra["carats"].to_numpy()[made]
            ids = built.add_lots(_PRODUCE, day, producer[made], made_carats, producer[made])
            sources = np.concatenate([sources, ids])
            key = np.concatenate([key, producer[made] * 2 + 1])
            amounts = np.concatenate([amounts, made_carats])
        if not sources.size:
            continue
        unique, inverse = _grouped(key)
        counts = np.bincount(inverse)
        totals = np.bincount(inverse, weights=amounts)
        before = left[unique]
        alone = (before <= 0) & (counts == 1)
        single = alone[inverse]
        pool[key[single]] = sources[single]  # the one arrival is the stock
        left[key[single]] = amounts[single]
        merged = np.flatnonzero(~alone)
        if merged.size:
            held = unique[merged]
            ids = built.add_lots(
                _MIX, day, held // 2, before[merged] + totals[merged], np.full(merged.size, -1)
            )
            had = before[merged] > 0
            built.add_flows(pool[held][had], ids[had], before[merged][had])
            slot = np.full(unique.size, -1)
            slot[merged] = np.arange(merged.size)
            entering = ~single
            built.add_flows(sources[entering], ids[slot[inverse[entering]]], amounts[entering])
            pool[held] = ids
            left[held] = before[merged] + totals[merged]
    _check_stock(built, frame, arrival, countries)
    return _graph(ProvenanceGraph, frame, stored, countries, importer, built)


def _graph(
    cls: Any, frame: pd.DataFrame, stored: Any, countries: Any, importer: Any, built: _Builder
) -> ProvenanceGraph:
    n = len(frame)
    kind, day, country, amount, origin = (
        _LotPart(*(np.concatenate(column) for column in zip(*built.lots, strict=True)))
        if built.lots
        else _LotPart(*[np.zeros(0, np.int64)] * len(_LotPart._fields))
    )
    m = len(kind)
    # Text columns as categoricals built from codes: from_frames then reads each distinct
    # text once instead of hashing a million of them (certificate numbers) several times.
    places = pd.Index(countries, dtype=object)
    lots = pd.DataFrame(
        {
            "lot_id": np.arange(n + m),
            "carats": np.concatenate([frame["carats"].to_numpy(np.float64), amount]),
            "origin": _coded(np.r_[np.full(n, -1), origin], places),
            "kind": _coded(np.r_[np.full(n, len(_KIND_NAMES)), kind], [*_KIND_NAMES, "ship"]),
            "on": np.concatenate(
                [
                    frame["issued"].to_numpy(dtype="datetime64[D]"),
                    day.astype(np.int64).astype("datetime64[D]"),
                ]
            ),
            "country": _coded(np.r_[importer, country], places),
            "value_usd": np.concatenate(
                [frame["value_usd"].to_numpy(np.float64), np.full(m, np.nan)]
            ),
            # as objects: a categorical would check its million categories are distinct
            "certificate": pd.Series(
                np.r_[frame["number"].to_numpy(dtype=object), np.full(m, None)], dtype=object
            ),
            "declared_origin": _coded(*_with_missing(stored, m)),
        }
    )
    flow_parts = list(zip(*built.flows, strict=True)) if built.flows else None
    source, target, carats = (
        (np.concatenate(part) for part in flow_parts)
        if flow_parts
        else (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    )
    flows = pd.DataFrame({"source": source, "target": target, "carats": carats})
    graph: ProvenanceGraph = cls.from_frames(lots, flows)
    return graph


def _check_carats(carats: np.ndarray[Any, Any], numbers: np.ndarray[Any, Any]) -> None:
    """Refuse parcels of fewer carats than a graph's lots may hold (`MIN_CARATS`).

    A ledger keeps any positive amount; the graph's weights would underflow (see
    `kpmodel.provenance._graph.MIN_CARATS`), so say which rows, before building anything.
    """
    from kpmodel.provenance._graph import MIN_CARATS, TOO_FEW_CARATS

    rows = np.flatnonzero(carats < MIN_CARATS)
    if rows.size:
        listed = ", ".join(
            f"row {row} (certificate {show(numbers[row])}): {float(carats[row])!r}"
            for row in rows[:MAX_LISTED].tolist()
        ) + (f" and {rows.size - MAX_LISTED} more" if rows.size > MAX_LISTED else "")
        msg = (
            f"ledger carats must be at least {MIN_CARATS!r} to build a provenance graph; "
            f"got {listed}: {TOO_FEW_CARATS}"
        )
        raise InvalidArgumentError(msg)


def _check_stock(built: _Builder, frame: pd.DataFrame, arrival: Any, places: Any) -> None:
    """Refuse a ledger whose stock, or a day's exports, would make a lot above `MAX_CARATS`.

    Each parcel is within bounds (the ledger's own), but a stock adds up every arrival not
    yet exported, and a day's exports of a country are drawn from one lot. A graph's lots hold
    at most `MAX_CARATS`: beyond it, a parcel of `MIN_CARATS` flowing into such a lot would
    weigh less than MIN_CARATS / MAX_CARATS and could underflow to 0, and the graph could not
    be read back from its own frames. So name the first such lot by the country, the day and
    the certificates that make it, before building the graph.
    """
    from kpmodel.provenance._graph import MAX_CARATS

    if not built.lots:
        return
    # Only the amounts first: the other columns and the flows are read only to name a lot
    # over the bound.
    amount = np.concatenate([part.amount for part in built.lots])
    over = np.flatnonzero(amount > MAX_CARATS)
    if not over.size:
        return
    kind = np.concatenate([part.kind for part in built.lots])
    day = np.concatenate([part.day for part in built.lots])
    country = np.concatenate([part.country for part in built.lots])
    source, target, _ = (np.concatenate(part) for part in zip(*built.flows, strict=True))
    n = len(frame)
    first = int(over[np.argmin(day[over])])  # the earliest such lot
    place = show(str(places[country[first]]))
    on = str(np.datetime64(int(day[first]), "D"))
    lot = n + first
    numbers = frame["number"].to_numpy(dtype=object)
    total = float(amount[first])
    if kind[first] == _MIX:
        rows = source[(target == lot) & (source < n)]
        rows = np.sort(rows[arrival[rows] == day[first]])  # not the stock it held before
        before = total - float(frame["carats"].to_numpy(np.float64)[rows].sum())
        what = f"the stock of {place} would hold {total:g} carats at the end of {on}"
        what += f" (it held {before:g} before)" if before > 0 and rows.size else ""
        verb = "arrive"
    else:
        rows = np.sort(target[(source == lot) & (target < n)])
        drawn = "its own production" if kind[first] == _PRODUCE else "its stock and unknown origin"
        what = (
            f"the exports of {place} on {on} would draw on one lot ({drawn}) of {total:g} carats"
        )
        verb = "leave"
    listed = ", ".join(
        f"{show(numbers[row])} (row {row})" for row in rows[:MAX_LISTED].tolist()
    ) + (f" and {rows.size - MAX_LISTED} more" if rows.size > MAX_LISTED else "")
    certificates = (
        f"certificate{'s' if rows.size > 1 else ''} {listed} {verb}{'s' if rows.size == 1 else ''}"
        if rows.size
        else "its production enters"
    )
    msg = (
        f"from_ledger: {what} when {certificates}; a provenance graph's lots hold at most "
        f"{MAX_CARATS:g} carats (no stock holds that much, and a small parcel flowing into such "
        "a lot would weigh 0 in it): check the unit of the ledger's carats, or build graphs "
        "from shorter periods of the ledger (Ledger.from_frame of its to_frame() rows issued "
        "in the period), each starting with empty stocks"
    )
    raise InvalidArgumentError(msg)


def _coded(codes: np.ndarray[Any, Any], categories: Any) -> pd.Categorical:
    """Return a categorical column of codes (-1 for missing) into distinct `categories`."""
    return pd.Categorical.from_codes(
        np.asarray(codes, np.int64), categories=pd.Index(categories, dtype=object)
    )


def _with_missing(values: np.ndarray[Any, Any], m: int) -> tuple[Any, Any]:
    """Codes and distinct values of `values` (None for missing), then `m` missing values."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    return np.r_[codes, np.full(m, -1)], np.asarray(distinct, object)
