"""`ProvenanceGraph.from_frames` builds exactly what the build it replaced built.

The reference is the build as it was before it kept text columns as codes (issue 12): one
Python object per row for every text column, and levels sorted as 64-bit keys. Both must
give identical graphs (the same internal columns, strings and ids) on every valid frame,
and the same error on bad ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel.certificates import DeclaredOrigin
from kpmodel.errors import InvalidGraphError, KPModelError, UnknownCodeError
from kpmodel.provenance._frames import (
    MAX_LISTED,
    _dates,
    _listed,
    _lot_positions,
    _plain,
    _raise,
    topological_levels,
)
from kpmodel.provenance._graph import (
    _STRING_COLUMNS,
    CARAT_RTOL,
    KIND_CODE,
    KINDS,
    IntArray,
    Kind,
    _known_country,
)
from kpmodel.testing.strategies import provenance_frames


def reference_storage_order(
    level: IntArray, source: IntArray, target: IntArray
) -> tuple[IntArray, IntArray]:
    """The storage order as it was: levels sorted as int64, bounds by searchsorted."""
    n = level.size
    by_level = np.argsort(level, kind="stable")
    bounds = np.searchsorted(level[by_level], np.arange(int(level.max(initial=0)) + 2))
    flows_by_level = np.argsort(level[target], kind="stable")
    flow_bounds = np.searchsorted(level[target][flows_by_level], np.arange(bounds.size))
    new_position = np.empty(n, np.int64)
    order = np.empty(n, np.int64)
    key = np.full(n, n, np.int64)  # one array, reset after each level: deep graphs are cheap
    for depth in range(bounds.size - 1):
        lots = by_level[bounds[depth] : bounds[depth + 1]]
        if depth:
            flows = flows_by_level[flow_bounds[depth] : flow_bounds[depth + 1]]
            np.minimum.at(key, target[flows], new_position[source[flows]])
            lots = lots[np.argsort(key[lots], kind="stable")]
            key[target[flows]] = n
        order[bounds[depth] : bounds[depth + 1]] = lots
        new_position[lots] = np.arange(bounds[depth], bounds[depth + 1])
    return order, new_position


def _strings(
    frame: pd.DataFrame, name: str, coded: dict[str, tuple[Any, ...]] | None = None
) -> np.ndarray[Any, Any]:
    if name not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    # Coded first: each distinct text is converted once (not once per row, as converting
    # an Arrow-backed string column to objects would), and missing values become None.
    # A categorical column costs no hashing of its texts at all.
    codes, uniques = pd.factorize(frame[name], use_na_sentinel=True)
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:-1] = list(uniques)
    table[-1] = None
    values: np.ndarray[Any, Any] = table[codes]
    if coded is not None:  # kept, so that storing the column needs no second factorisation
        coded[name] = (values, codes, table[:-1])
    return values


def _check_codes(columns: dict[str, np.ndarray[Any, Any]]) -> None:
    unknown = []
    for name in ("origin", "country"):
        for code in pd.unique(columns[name][pd.notna(columns[name])]):
            if not isinstance(code, str) or not _known_country(code):
                unknown.append(f"{name} {code!r}")
    declared = columns["declared"]
    codes, values = pd.factorize(declared, use_na_sentinel=True)
    canonical: list[str | None] = []
    for value in values:
        try:
            canonical.append(str(DeclaredOrigin.parse(value)))
        except KPModelError:
            unknown.append(f"declared_origin {value!r}")
            canonical.append(None)
    # stored in its one text form
    columns["declared"] = np.array([*canonical, None], dtype=object)[codes]
    if unknown:
        msg = (
            "the lots frame has codes that are not ISO 3166-1 alpha-2 country codes "
            f"(declared origins may also be 'MIXED' or 'MIXED (BW, RU)'): {unknown!r}."
        )
        raise UnknownCodeError(msg)


def reference_build(graph, lots, flows):
    """The build of kpmodel before issue 12: one object per row for every text column."""
    missing = [c for c in ("lot_id", "carats", "origin") if c not in lots.columns] + [
        f"flows.{c}" for c in ("source", "target", "carats") if c not in flows.columns
    ]
    if missing:
        msg = f"the frames lack required columns {missing!r}; see from_frames for the format."
        raise InvalidGraphError(msg)
    n = len(lots)
    ids = lots["lot_id"].to_numpy()
    problems: list[str] = []
    index = pd.Index(ids)
    if not index.is_unique:
        problems += _listed(ids, index.duplicated(keep="first"), "duplicate lot_id")

    carats = pd.to_numeric(lots["carats"], errors="coerce").to_numpy(np.float64)
    problems += _listed(ids, ~(np.isfinite(carats) & (carats > 0)), "carats must be > 0")

    coded: dict[str, tuple[Any, ...]] = {}
    text = {name: _strings(lots, name, coded) for name in ("origin", "country", "zone", "site")}
    text["certificate"] = _strings(lots, "certificate", coded)
    text["declared"] = _strings(lots, "declared_origin")
    produced = pd.notna(text["origin"])
    # A production lot is where it was mined unless the frame says otherwise.
    text["country"] = np.where(
        pd.isna(text["country"]) & produced, text["origin"], text["country"]
    )
    _check_codes(text)

    if "kind" in lots.columns:
        names, kind_of_name = pd.factorize(_strings(lots, "kind"), use_na_sentinel=False)
        known = {kind.value: KIND_CODE[kind] for kind in KINDS}
        kind = np.array([known.get(k, -1) for k in kind_of_name], dtype=np.int8)[names]
        problems += _listed(ids, kind < 0, f"kind must be one of {sorted(known)!r}")
        problems += _listed(
            ids, (kind == KIND_CODE[Kind.PRODUCE]) != produced, "has an origin iff kind is produce"
        )
    else:
        kind = np.where(produced, KIND_CODE[Kind.PRODUCE], KIND_CODE[Kind.LOT]).astype(np.int8)

    if "on" in lots.columns:
        raw_on = lots["on"]
        parsed = _dates(raw_on)
        problems += _listed(ids, (parsed.isna() & raw_on.notna()).to_numpy(), "on is not a date")
        on = parsed.to_numpy().astype("datetime64[D]")
    else:
        on = np.full(n, np.datetime64("NaT"), "datetime64[D]")

    flow_carats = pd.to_numeric(flows["carats"], errors="coerce").to_numpy(np.float64)
    # With duplicate ids the problem is already listed; map flows to the first of each id.
    lookup = index if index.is_unique else index.drop_duplicates()
    source = _lot_positions(lookup, flows["source"].to_numpy(), n)
    target = _lot_positions(lookup, flows["target"].to_numpy(), n)
    dangling = (source < 0) | (target < 0)
    if dangling.any():
        bad = flows.loc[dangling, ["source", "target"]].head(MAX_LISTED)
        problems += [
            f"flow {s!r} -> {t!r}: refers to a lot that is not in the lots frame"
            for s, t in bad.itertuples(index=False)
        ]
    bad_flow = ~(np.isfinite(flow_carats) & (flow_carats > 0))
    problems += [
        f"flow row {i}: carats must be > 0" for i in np.flatnonzero(bad_flow)[:MAX_LISTED]
    ]
    if problems:
        _raise(problems)

    # (np.bincount returns ints when there are no flows at all.)
    given = np.bincount(source, weights=flow_carats, minlength=n).astype(np.float64)
    received = np.bincount(target, weights=flow_carats, minlength=n).astype(np.float64)
    problems += _listed(
        ids, given > carats * (1 + CARAT_RTOL), "gives more carats than it holds (over-drawn)"
    )
    problems += _listed(ids, received > carats * (1 + CARAT_RTOL), "receives more than it holds")
    problems += _listed(ids, produced & (received > 0), "a production lot cannot have inputs")
    known_dates = ~np.isnat(on[source]) & ~np.isnat(on[target])
    late = known_dates & (on[target] < on[source])
    if late.any():
        problems += [
            f"flow {_plain(ids[s])!r} -> {_plain(ids[t])!r}: dated {on[t]} before its source "
            f"({on[s]}); "
            "a movement never precedes the production it carries"
            for s, t in zip(source[late][:MAX_LISTED], target[late][:MAX_LISTED], strict=True)
        ]
    level = topological_levels(n, source, target)
    problems += _listed(ids, level < 0, "lies on a cycle of flows (or downstream of one)")
    if problems:
        _raise(problems)

    list_origins = (
        lots["list_origins"].fillna(False).to_numpy(bool)
        if "list_origins" in lots.columns
        else np.zeros(n, bool)
    )
    value = (
        pd.to_numeric(lots["value_usd"], errors="coerce").to_numpy(np.float64)
        if "value_usd" in lots.columns
        else np.full(n, np.nan)
    )
    # Store lots in level order: parents first, and each level a contiguous block of rows,
    # which lets origin attribution write each level's results in place.
    order, new_position = reference_storage_order(level, source, target)
    identity = bool(np.all(order == np.arange(n)))
    source, target = new_position[source], new_position[target]
    by_target = np.argsort(target, kind="stable")

    columns: dict[str, np.ndarray[Any, Any]] = {
        "carats": carats,
        "kind": kind,
        "on": on,
        "list_origins": list_origins,
        "value_usd": value,
        "level": level.astype(np.int32),
        "given": given,
        "received": received,
    }
    factorized = [
        coded[name][1:]
        if name in coded and coded[name][0] is text[name]
        else pd.factorize(text[name], use_na_sentinel=True)
        for name in _STRING_COLUMNS
    ]
    interned = graph._intern([np.asarray(u, dtype=object) for _, u in factorized])
    for name, (codes, _), table in zip(_STRING_COLUMNS, factorized, interned, strict=True):
        columns[name] = np.append(table, np.int32(-1))[codes]
    graph._lots = {name: column[order] for name, column in columns.items()}
    graph._flows = {
        "source": source[by_target],
        "target": target[by_target],
        "carats": flow_carats[by_target],
    }
    graph._n, graph._m = n, len(flow_carats)
    is_range = ids.dtype.kind in "iu" and bool(np.all(ids == np.arange(n)))
    graph._ids = None if (is_range and identity) else pd.Index(ids[order])


BROKEN_COLUMNS = ["origin", "country", "declared_origin", "kind", "carats", "on", "lot_id"]
BAD_VALUES = [None, "ZZ", "bw", "MIXED (XX)", "ship", -1.0, "not a date", 3]


def reference_from_frames(lots: pd.DataFrame, flows: pd.DataFrame) -> kp.ProvenanceGraph:
    graph = kp.ProvenanceGraph()
    reference_build(graph, lots, flows)
    return graph


def assert_identical(a: kp.ProvenanceGraph, b: kp.ProvenanceGraph) -> None:
    assert (len(a), a.number_of_flows) == (len(b), b.number_of_flows)
    assert a._strings == b._strings
    assert list(a._lots) == list(b._lots)
    for name in a._lots:
        np.testing.assert_array_equal(a._column(name), b._column(name), err_msg=name)
        assert a._column(name).dtype == b._column(name).dtype, name
    for name in a._flows:
        np.testing.assert_array_equal(a._flow_column(name), b._flow_column(name), err_msg=name)
    assert (a._ids is None) == (b._ids is None)
    if a._ids is not None:
        pd.testing.assert_index_equal(a._ids, b._ids)


def outcome(build: Any, lots: pd.DataFrame, flows: pd.DataFrame) -> Any:
    try:
        return build(lots.copy(), flows.copy())
    except KPModelError as error:
        return type(error), str(error)


@given(provenance_frames())
def test_the_build_is_the_reference_build(frames):
    """On valid frames in every form, the graph is identical to the reference's."""
    assert_identical(kp.ProvenanceGraph.from_frames(*frames), reference_from_frames(*frames))


@given(provenance_frames(), st.data())
def test_bad_frames_fail_as_in_the_reference(frames, data):
    """Broken frames raise the same error, with the same message, as the reference."""
    lots, flows = frames
    row = data.draw(st.integers(0, len(lots) - 1))
    column = data.draw(st.sampled_from(BROKEN_COLUMNS))
    value = data.draw(st.sampled_from(BAD_VALUES))
    if column in lots.columns:  # the other columns keep their form
        lots[column] = lots[column].astype(object)
        lots.loc[row, column] = value
    ours = outcome(kp.ProvenanceGraph.from_frames, lots, flows)
    theirs = outcome(reference_from_frames, lots, flows)
    if isinstance(theirs, kp.ProvenanceGraph):
        assert_identical(ours, theirs)
    else:
        assert ours == theirs


def test_simulated_frames_build_the_reference_graph():
    """A simulation's frames (categorical text columns) build the reference's graph."""
    result = kp.simulation.run(kp.simulation.builtin("car-2013"), seed=1)
    frames = result.provenance_frames()
    assert_identical(result.provenance, reference_from_frames(*frames))


def test_deep_graphs_build_the_reference_graph():
    """Hundreds of levels (levels sorted as 16-bit keys) store lots as the reference does."""
    rng = np.random.default_rng(12)
    n = 700
    parents = [rng.integers(max(0, i - 3), i, size=rng.integers(1, 3)) for i in range(1, n)]
    source = np.concatenate(parents)
    target = np.repeat(np.arange(1, n), [len(p) for p in parents])
    lots = pd.DataFrame(
        {"lot_id": np.arange(n)[::-1], "carats": 1e6, "origin": ["BW"] + [None] * (n - 1)}
    )
    flows = pd.DataFrame({"source": n - 1 - source, "target": n - 1 - target, "carats": 1.0})
    graph = kp.ProvenanceGraph.from_frames(lots, flows)
    assert graph._column("level").max() > 200
    assert_identical(graph, reference_from_frames(lots, flows))
