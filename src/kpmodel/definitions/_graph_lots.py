"""Definitions over a provenance graph: every carat judged by the situation of its production.

Under mass balance a lot's share of carats from a set of production lots is linear in the
indicator of that set, so one propagation through the graph gives, for every lot at once,
the share of its carats whose production verdict is IN (or UNDETERMINED) under each
definition. Production lots are grouped by place and verdict (same outcome on the same
grounds), so a lot's verdict keeps the reasons of the production it came from while the
propagation keeps few columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from kpmodel._limits import check_memory
from kpmodel.definitions._calling import name_of
from kpmodel.definitions._definition import Verdict
from kpmodel.definitions._evidence import Period, Place
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
    shares = origin_shares(graph, by=cast(Any, by)).to_frame().iloc[rows]
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


def _production(graph: ProvenanceGraph, by: str) -> tuple[np.ndarray[Any, Any], pd.DataFrame]:
    """Return the positions of production lots and their place, day and value per carat."""
    frame, _ = graph.to_frames()
    rows = np.flatnonzero((frame["kind"] == "produce").to_numpy() & frame["origin"].notna())
    produced = frame.iloc[rows]
    nothing = [None] * len(produced)
    zones = produced["zone"].tolist() if by in ("zone", "site") else nothing
    sites = produced["site"].tolist() if by == "site" else nothing
    places = [
        Place(country, _text(zone), _text(site))
        for country, zone, site in zip(produced["origin"], zones, sites, strict=True)
    ]
    days = [None if pd.isna(t) else t.date() for t in produced["on"]]
    table = pd.DataFrame(
        {
            "place": places,
            "day": days,
            "value_per_carat": (produced["value_usd"] / produced["carats"]).to_numpy(),
        }
    )
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


def graph_verdicts(
    definitions: list[Any], lots: Lots, on: dt.date | Period | None
) -> tuple[dict[tuple[str, str], Verdict], pd.DataFrame]:
    """Return a verdict per lot and definition, and the tidy shares, carats and value.

    Each production lot is judged on its production date (or as of `on` when given); its
    carats carry that verdict into every lot they reach.
    """
    graph = lots.graph
    assert graph is not None  # only called for lots built from a graph
    evidence = situation_list(lots.situations)
    rows, table = _production(graph, lots.by)
    n, k = len(graph), len(rows)
    vpc = table["value_per_carat"].fillna(0.0).to_numpy()
    # Columns of the propagation: per definition, one share and one value column for each
    # distinct production verdict worth keeping (IN, UNDETERMINED, or OUT with reasons);
    # then the unknown-source share and the share of carats with a recorded value.
    classes: list[tuple[str, Verdict]] = []
    columns: list[np.ndarray[Any, Any]] = []
    for definition in definitions:
        name = name_of(definition)
        cache: dict[tuple[Place, Any], Verdict] = {}
        index: dict[tuple[Any, ...], int] = {}
        column = np.full(k, -1)
        for i, (place, day) in enumerate(zip(table["place"], table["day"], strict=True)):
            when = on if on is not None else day
            key = (place, when)
            if key not in cache:
                cache[key] = origin_verdict(definition, place, evidence, when)
            verdict = cache[key]
            if verdict.outcome is OUT and not verdict.reasons:
                continue
            # One class per place, outcome and grounds; the wording of the reasons (which
            # may name the day judged) is that of the first production met.
            grounds = (place, verdict.outcome, _grounds(verdict))
            if grounds not in index:
                index[grounds] = len(classes)
                classes.append((name, verdict))
            column[i] = index[grounds]
        columns.append(column)
    c = len(classes)
    check_memory(
        4.0 * n * (2 * c + 2) * 8,
        what=f"judging {n} lots with {c} classes of production verdicts",
        change="judge fewer definitions at a time, or a part of the graph",
        keyword=False,
    )
    initial = np.zeros((n, 2 * c + 2))
    for column in columns:
        hit = column >= 0
        initial[rows[hit], column[hit]] = 1.0
        initial[rows[hit], c + column[hit]] = vpc[hit]
    initial[:, 2 * c] = unknown_fraction(graph)
    initial[rows[table["value_per_carat"].notna().to_numpy()], 2 * c + 1] = 1.0
    spread = propagate(graph, initial)
    selected = graph.lots.get_indexer(lots.shares.index)
    spread = spread[selected]
    spread[spread < _NOISE] = 0.0
    return _tabulate(definitions, lots, classes, spread, _carats(graph)[selected])


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


def _tabulate(
    definitions: list[Any],
    lots: Lots,
    classes: list[tuple[str, Verdict]],
    spread: FloatArray,
    carats: FloatArray,
) -> tuple[dict[tuple[str, str], Verdict], pd.DataFrame]:
    c = len(classes)
    unknown, valued = spread[:, 2 * c], spread[:, 2 * c + 1]
    total = lots.shares.to_numpy(dtype=np.float64).sum(axis=1)
    value_known = valued > 1 - 1e-9
    items = [str(lot) for lot in lots.shares.index]
    verdicts: dict[tuple[str, str], Verdict] = {}
    frames = []
    for definition in definitions:
        name = name_of(definition)
        mine = [j for j, (owner, _) in enumerate(classes) if owner == name]
        is_in = [j for j in mine if classes[j][1].outcome is IN]
        is_open = [j for j in mine if classes[j][1].outcome is UNDETERMINED]
        in_share = spread[:, is_in].sum(axis=1)
        open_share = spread[:, is_open].sum(axis=1) + unknown
        in_value = spread[:, [c + j for j in is_in]].sum(axis=1) * carats
        open_value = spread[:, [c + j for j in is_open]].sum(axis=1) * carats
        # Lots fed by the same production verdicts share one verdict: build each once.
        fed = np.column_stack([spread[:, mine] > 0, unknown > 0])
        combos, which = _distinct_rows(fed)
        combined = [
            kleene_any(
                [*(classes[mine[j]][1] for j in np.flatnonzero(combo[:-1]))]
                + ([UNKNOWN_VERDICT] if combo[-1] else []),
                name,
            )
            for combo in combos
        ]
        for item, combo in zip(items, which.reshape(-1).tolist(), strict=True):
            verdicts[item, name] = combined[combo]
        frames.append(
            pd.DataFrame(
                {
                    "item": items,
                    "definition": name,
                    "in_share": in_share,
                    "undetermined_share": open_share,
                    "out_share": np.clip(total - in_share - open_share, 0.0, None),
                    "in_carats": in_share * carats,
                    "undetermined_carats": open_share * carats,
                    "in_value_usd": np.where(value_known, in_value, np.nan),
                    "undetermined_value_usd": np.where(value_known, open_value, np.nan),
                }
            )
        )
    return verdicts, pd.concat(frames, ignore_index=True)
