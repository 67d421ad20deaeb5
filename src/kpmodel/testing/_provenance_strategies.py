"""Hypothesis strategies for provenance graphs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from kpmodel.provenance import ProvenanceGraph, lot_carats
from kpmodel.testing._arguments import codes, drawable_bounds, flag, refuse

__all__ = ["provenance_frames", "provenance_graphs"]

#: The text columns of a lots frame that `provenance_frames` may store in another form.
_TEXT_COLUMNS = ("kind", "origin", "country", "zone", "site", "certificate", "declared_origin")
#: The optional columns of a lots frame that `provenance_frames` may leave out.
_OPTIONAL_COLUMNS = ("kind", "on", "zone", "site", "value_usd", "certificate", "list_origins")

#: A few real producer, hub and neighbour countries; small, so that mixing happens often.
DEFAULT_COUNTRIES = ("AE", "BE", "BW", "CF", "CM", "IN", "RU")
#: The largest `min_lots` that `provenance_graphs` and `provenance_frames` accept. Measured
#: with Hypothesis 6.170.17 at its default max_examples=100 (November 2026): min_lots=300
#: drew 100 examples in 20 s and 340 drew 10 in 3 s, while from 350 on Hypothesis'
#: large_base_example health check failed the test at once ("the smallest natural input for
#: this test is very large").
MAX_MIN_LOTS = 300
#: The largest `max_lots` they accept. Drawn graphs stop growing at a few hundred lots, where
#: an example runs out of choices and is discarded: max_lots=1,000, 10,000 and 100,000 drew
#: 100 examples in 24, 26 and 33 s, the largest holding 560-760 lots, while at 1,000,000
#: most examples ran out of choices and the data_too_large health check failed the test
#: (same version and date).
MAX_LOTS = 10_000


def provenance_graphs(
    *,
    min_lots: int = 1,
    max_lots: int = 25,
    countries: Sequence[str] = DEFAULT_COUNTRIES,
    unknown_sources: bool = True,
) -> st.SearchStrategy[ProvenanceGraph]:
    """Generate valid provenance graphs, built by construction through the public API.

    Each step produces, splits, mixes, ships, smuggles or seizes what remains of lots, on
    non-decreasing dates, so every invariant holds. With `unknown_sources`, some graphs
    are rebuilt through `ProvenanceGraph.from_frames` with a few production lots turned
    into lots of unknown source and a few lots holding more than they received (both
    give the ``"unknown"`` origin) and with string lot ids.

    Parameters
    ----------
    min_lots, max_lots : int
        Bounds on the number of lots: `min_lots` from 0 to 300, `max_lots` from 0 to
        10,000 (a split may overshoot `max_lots` by up to 3). Drawn graphs rarely exceed
        a few hundred lots, whatever `max_lots`: larger ones do not fit in a Hypothesis
        example.
    countries : sequence of str
        The country codes to draw from (ISO 3166-1 alpha-2 codes or ``"EU"``, at least one).
    unknown_sources : bool
        Whether to include carats of no documented source.

    Raises
    ------
    InvalidStrategyArgumentError
        When the strategy is made (not when it is drawn from), for arguments it cannot
        use: bounds that are not ints in those ranges or out of order, `countries` that is a
        text, empty or holds something other than a code, an `unknown_sources` that is
        not a bool.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from kpmodel.testing.strategies import provenance_graphs
    >>> @settings(max_examples=5)
    ... @given(provenance_graphs(max_lots=5))
    ... def test_sizes(graph):
    ...     assert 1 <= len(graph) <= 8
    >>> test_sizes()
    >>> provenance_graphs(min_lots=10, max_lots=5)
    Traceback (most recent call last):
    ...
    kpmodel.testing.strategies.InvalidStrategyArgumentError: provenance_graphs(min_lots=...): ...
    """
    least, most = _lots_bounds("provenance_graphs", min_lots, max_lots)
    found = codes("provenance_graphs", "countries", countries, distinct=False)
    if not found:
        refuse("provenance_graphs", "countries", "must hold at least one code, got none")
    return _graphs(
        min_lots=least,
        max_lots=most,
        countries=tuple(found),
        unknown_sources=flag("provenance_graphs", "unknown_sources", unknown_sources),
    )


def _lots_bounds(strategy: str, min_lots: object, max_lots: object) -> tuple[int, int]:
    names = ("min_lots", "max_lots")
    values = (min_lots, max_lots)
    return drawable_bounds(
        strategy, names, values, min_high=MAX_MIN_LOTS, high=MAX_LOTS, what="graphs"
    )


@st.composite
def _graphs(
    draw: st.DrawFn,
    *,
    min_lots: int,
    max_lots: int,
    countries: tuple[str, ...],
    unknown_sources: bool,
) -> ProvenanceGraph:
    graph = ProvenanceGraph()
    day = dt.date(2013, 1, 1)
    target = draw(st.integers(min_lots, max_lots))
    place = st.sampled_from(countries)
    while len(graph) < target:
        day += dt.timedelta(days=draw(st.integers(0, 60)))
        # Open: more than 1e-6 ct and more than 1e-7 of what the lot held, so every part of
        # a split below (at least 1/51 of what remains) is more than the billionth of the
        # lot that `split` refuses, and a mix never gives a used-up lot.
        open_lots = [
            lot
            for lot, held in zip(graph.lots, lot_carats(graph).tolist(), strict=True)
            if graph.remaining(lot) > max(1e-6, 1e-7 * held)
        ]
        step = draw(st.sampled_from(["produce", "split", "mix", "ship", "smuggle", "seize"]))
        if step == "produce" or not open_lots:
            graph.produce(
                country=draw(place),
                carats=draw(st.integers(1, 10_000)) / 4,
                on=day,
                zone=draw(st.none() | st.sampled_from(["Nola", "Berbérati", "Bria"])),
                site=draw(st.none() | st.sampled_from(["pit 1", "pit 2"])),
            )
            continue
        lot = draw(st.sampled_from(open_lots))
        if step == "split":
            weights = draw(st.lists(st.integers(1, 10), min_size=1, max_size=4))
            slack = draw(st.integers(0, 10))
            total = sum(weights) + slack
            graph.split(lot, [graph.remaining(lot) * w / total for w in weights], on=day)
        elif step == "mix":
            here = graph.location(lot)
            mates = [o for o in open_lots if graph.location(o) == here]
            chosen = draw(st.lists(st.sampled_from(mates), min_size=1, max_size=4, unique=True))
            graph.mix(sorted(set(chosen) | {lot}), on=day)
        elif step == "ship":
            graph.ship(
                lot,
                to=draw(place),
                on=day,
                certificate=draw(st.none() | st.from_regex(r"\A[A-Z]{2}-[0-9]{4}\Z")),
                list_origins=draw(st.booleans()),
            )
        elif step == "smuggle":
            graph.smuggle(lot, to=draw(place), on=day)
        else:
            graph.seize(lot, on=day)
    if not unknown_sources or not draw(st.booleans()):
        return graph
    lots, flows = graph.to_frames()
    produced = lots.index[lots["kind"] == "produce"].tolist()
    hidden = draw(st.lists(st.sampled_from(produced), max_size=2, unique=True)) if produced else []
    lots.loc[hidden, ["origin", "zone", "site"]] = None
    lots.loc[hidden, "kind"] = "lot"
    received = set(flows["target"])
    traded = [i for i in lots.index if lots.at[i, "lot_id"] in received]
    topped_up = draw(st.lists(st.sampled_from(traded), max_size=2, unique=True)) if traded else []
    lots.loc[topped_up, "carats"] *= 1.25
    rename = {lot: f"L{lot}" for lot in lots["lot_id"]}
    lots["lot_id"] = lots["lot_id"].map(rename)
    flows["source"] = flows["source"].map(rename)
    flows["target"] = flows["target"].map(rename)
    return ProvenanceGraph.from_frames(lots, flows)


def provenance_frames(
    *, min_lots: int = 1, max_lots: int = 25, parallel_flows: bool = False
) -> st.SearchStrategy[tuple[pd.DataFrame, pd.DataFrame]]:
    """Generate valid ``(lots, flows)`` frames for `ProvenanceGraph.from_frames`.

    The frames of a graph from `provenance_graphs`, in the forms users give them: rows in
    any order, integer or string lot ids, text columns as objects, pandas strings or
    categoricals (with unused categories), optional columns left out, and the ``country``
    of some lots or every ``declared_origin`` left out (for `from_frames` to derive).

    Parameters
    ----------
    min_lots, max_lots : int
        Bounds on the number of lots, as for `provenance_graphs`.
    parallel_flows : bool, default False
        Cut flows into parallel flows: two or three rows between the same two lots (two or
        three deliveries), whose carats add up to the flow's (to float64 rounding), with
        the flow rows shuffled. Each flow is cut with chance one half, and at least one
        flow of a graph that has flows is. `from_frames` merges them back into one flow
        each, summing their carats, so the graph is the one of the uncut frames.

    Raises
    ------
    InvalidStrategyArgumentError
        When the strategy is made (not when it is drawn from), for bounds that are not
        ints in the ranges of `provenance_graphs` or out of order and a `parallel_flows`
        that is not a bool.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from kpmodel.testing.strategies import provenance_frames
    >>> @settings(max_examples=5)
    ... @given(provenance_frames(max_lots=5))
    ... def test_builds(frames):
    ...     assert len(kp.ProvenanceGraph.from_frames(*frames)) == len(frames[0])
    >>> test_builds()

    With parallel flows, the graph holds one flow per pair of lots:

    >>> @settings(max_examples=5)
    ... @given(provenance_frames(max_lots=6, parallel_flows=True))
    ... def test_merged(frames):
    ...     lots, flows = frames
    ...     pairs = flows[["source", "target"]].drop_duplicates()
    ...     assert kp.ProvenanceGraph.from_frames(lots, flows).number_of_flows == len(pairs)
    >>> test_merged()
    """
    least, most = _lots_bounds("provenance_frames", min_lots, max_lots)
    cut = flag("provenance_frames", "parallel_flows", parallel_flows)
    return _frames(provenance_graphs(min_lots=least, max_lots=most), parallel_flows=cut)


@st.composite
def _frames(
    draw: st.DrawFn, graphs: st.SearchStrategy[ProvenanceGraph], *, parallel_flows: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    graph = draw(graphs)
    lots, flows = graph.to_frames()
    if parallel_flows and len(flows):
        flows = draw(_cut(flows))
    if draw(st.booleans()):
        order = draw(st.permutations(range(len(lots))))
        lots = lots.iloc[list(order)].reset_index(drop=True)
    if draw(st.booleans()) and lots["lot_id"].dtype.kind in "iu":
        rename = {lot: f"lot {lot}" for lot in lots["lot_id"]}
        lots["lot_id"] = lots["lot_id"].map(rename)
        flows["source"] = flows["source"].map(rename)
        flows["target"] = flows["target"].map(rename)
    dropped = draw(st.lists(st.sampled_from(_OPTIONAL_COLUMNS), unique=True, max_size=3))
    if "kind" in dropped and not lots["kind"].isin(["produce", "lot"]).all():
        dropped.remove("kind")  # without a kind every lot would be "produce" or "lot"
    if draw(st.booleans()):
        dropped.append("declared_origin")
    lots = lots.drop(columns=dropped)
    if draw(st.booleans()):  # where lots are, left out for some (production lots default)
        kept = draw(st.lists(st.booleans(), min_size=len(lots), max_size=len(lots)))
        lots["country"] = lots["country"].where(np.array(kept, dtype=bool), None)
    for name in _TEXT_COLUMNS:
        if name not in lots.columns:
            continue
        form = draw(st.sampled_from(["object", "string", "category", "unused"]))
        if form == "string":
            lots[name] = lots[name].astype("string")
        elif form != "object":
            values = sorted(set(lots[name].dropna()))
            extra = ["ZZ"] if form == "unused" else []  # not a code: never checked
            lots[name] = pd.Categorical(lots[name], categories=[*extra, *values])
    return lots, flows


@st.composite
def _cut(draw: st.DrawFn, flows: pd.DataFrame) -> pd.DataFrame:
    """Cut each flow, with chance a half (and at least one), into 2 or 3 parallel flows."""
    cut = draw(st.lists(st.booleans(), min_size=len(flows), max_size=len(flows)))
    cut[draw(st.integers(0, len(flows) - 1))] = True
    rows = []
    for (source, target, carats), cutting in zip(flows.itertuples(index=False), cut, strict=True):
        parts = draw(st.lists(st.integers(1, 9), min_size=2, max_size=3)) if cutting else [1]
        rows += [(source, target, carats * part / sum(parts)) for part in parts]
    order = draw(st.permutations(range(len(rows))))
    return pd.DataFrame([rows[i] for i in order], columns=list(flows.columns)).astype(
        flows.dtypes.to_dict()
    )
