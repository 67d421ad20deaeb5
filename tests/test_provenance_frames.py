"""`ProvenanceGraph.from_frames` builds exactly what the build it replaced built.

The reference is the build as it was before it kept text columns as codes (issue 12): one
Python object per row for every text column, and levels sorted as 64-bit keys. Both must
give identical graphs (the same internal columns, strings and ids) on every valid frame,
and the same error on bad ones.
"""

from __future__ import annotations

import datetime as dt
import numbers
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel._boundary import MAX_LISTED, is_hashable, is_lot_id, show
from kpmodel._lot_ids import plain
from kpmodel.certificates import DeclaredOrigin
from kpmodel.errors import InvalidArgumentError, InvalidGraphError, KPModelError, UnknownCodeError
from kpmodel.provenance._frames import (
    _dangling_flows,
    _dates,
    _duplicate_ids,
    _flows_without_carats,
    _listed,
    _lot_positions,
    _more,
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
from kpmodel.testing.strategies import hostile_values, provenance_frames


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
        problems += _duplicate_ids(ids, index.duplicated(keep="first"))

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
        problems += _dangling_flows(flows, dangling)
    problems += _flows_without_carats(~(np.isfinite(flow_carats) & (flow_carats > 0)))
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
            f"flow {plain(ids[s])!r} -> {plain(ids[t])!r}: dated {on[t]} before its source "
            f"({on[s]}); "
            "a movement never precedes the production it carries"
            for s, t in zip(source[late][:MAX_LISTED], target[late][:MAX_LISTED], strict=True)
        ] + _more(int(late.sum()), "flows dated before their source")
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


BROKEN_COLUMNS = [
    "origin",
    "country",
    "declared_origin",
    "kind",
    "carats",
    "on",
    "lot_id",
    "list_origins",
    "value_usd",
    "zone",
    "site",
]
BAD_VALUES = [None, "ZZ", "bw", "MIXED (XX)", "ship", -1.0, "not a date", 3, "False", "A/B"]

#: What `list_origins` may hold besides booleans, and the flag each text means.
FLAG_TEXTS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def strict_flag(value: Any) -> bool | None:
    """The flag `value` stands for (missing is False), or None: an obviously correct reading."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return False
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return FLAG_TEXTS.get(value.strip().lower())
    return None


def is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def strictly_refused(lots: pd.DataFrame, flows: pd.DataFrame, *, built: bool) -> list[str]:
    """What the stricter build refuses that the reference let through, one row at a time.

    The start of each problem line the build must list. The numbers of inputs are checked
    only when the reference `built` a graph (its other checks come first).
    """
    ids = lots["lot_id"].tolist()
    lines = [
        f"lots row {row}: lot_id is missing" for row, lot in enumerate(ids) if is_missing(lot)
    ] + [
        f"lots row {row}: lot_id {lot!r} is a float"
        for row, lot in enumerate(ids)
        if isinstance(lot, float) and not is_missing(lot)
    ]
    if "list_origins" in lots.columns:
        lines += [
            f"lot {lot!r}: list_origins must be a boolean, got {value!r}"
            for lot, value in zip(ids, lots["list_origins"].tolist(), strict=True)
            if strict_flag(value) is None
        ]
    if "value_usd" in lots.columns:
        for lot, value in zip(ids, lots["value_usd"].tolist(), strict=True):
            if is_missing(value):
                continue
            try:
                number = float(value)
            except ValueError:
                number = np.nan
            if not (np.isfinite(number) and number >= 0):
                lines.append(f"lot {lot!r}: value_usd must be a number >= 0")
    for name in ("zone", "site"):
        if name in lots.columns:
            lines += [
                f"lot {lot!r}: {name} {value!r} contains '/'"
                for lot, value in zip(ids, lots[name].tolist(), strict=True)
                if isinstance(value, str) and "/" in value
            ]
    if built and "kind" in lots.columns:
        inputs = dict.fromkeys(ids, 0)
        for target in flows["target"].tolist():
            inputs[target] += 1
        verbs = {"split": "splits", "ship": "ships", "smuggle": "smuggles", "seize": "seizes"}
        for lot, kind in zip(ids, lots["kind"].astype(object).tolist(), strict=True):
            if kind in verbs and inputs[lot] != 1:
                lines.append(
                    f"lot {lot!r}: kind {kind!r} needs exactly one input (the lot it "
                    f"{verbs[kind]}); it has {inputs[lot]}"
                )
            elif kind == "mix" and inputs[lot] == 0:
                lines.append(f"lot {lot!r}: kind 'mix' needs at least one input")
    return lines


def adapted(lots: pd.DataFrame) -> pd.DataFrame:
    """The lots as the reference must see them: `list_origins` as the booleans they mean."""
    if "list_origins" not in lots.columns:
        return lots
    flags = [strict_flag(value) for value in lots["list_origins"].tolist()]
    return lots.assign(list_origins=np.array(flags, dtype=bool))


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
    """Broken frames raise the same error, with the same message, as the reference.

    Where the build is stricter than the reference (missing or float lot ids, `list_origins` that
    are not booleans, `value_usd` that is not a number >= 0, a '/' in a zone or site, a
    kind with the wrong number of inputs), it lists those problems besides every problem
    the reference lists; and the reference reads `list_origins` as the booleans they mean.
    """
    lots, flows = frames
    row = data.draw(st.integers(0, len(lots) - 1))
    column = data.draw(st.sampled_from(BROKEN_COLUMNS))
    value = data.draw(st.sampled_from(BAD_VALUES))
    if column in lots.columns:  # the other columns keep their form
        lots[column] = lots[column].astype(object)
        lots.loc[row, column] = value
    ours = outcome(kp.ProvenanceGraph.from_frames, lots, flows)
    theirs = outcome(reference_from_frames, adapted(lots), flows)
    refused = strictly_refused(lots, flows, built=isinstance(theirs, kp.ProvenanceGraph))
    if refused and (isinstance(theirs, kp.ProvenanceGraph) or theirs[0] is InvalidGraphError):
        assert isinstance(ours, tuple), refused
        kind, message = ours
        assert kind is InvalidGraphError
        listed = message.split("\n  ")[1:]
        their_lines = [] if isinstance(theirs, kp.ProvenanceGraph) else theirs[1].split("\n  ")[1:]
        for line in refused:
            assert any(problem.startswith(line) for problem in listed), (line, message)
        assert set(their_lines) <= set(listed)
    elif isinstance(theirs, kp.ProvenanceGraph):
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
    # Distinct parents: from_frames merges parallel flows, which the reference keeps.
    parents = [
        np.unique(rng.integers(max(0, i - 3), i, size=rng.integers(1, 3))) for i in range(1, n)
    ]
    source = np.concatenate(parents)
    target = np.repeat(np.arange(1, n), [len(p) for p in parents])
    lots = pd.DataFrame(
        {"lot_id": np.arange(n)[::-1], "carats": 1e6, "origin": ["BW"] + [None] * (n - 1)}
    )
    flows = pd.DataFrame({"source": n - 1 - source, "target": n - 1 - target, "carats": 1.0})
    graph = kp.ProvenanceGraph.from_frames(lots, flows)
    assert graph._column("level").max() > 200
    assert_identical(graph, reference_from_frames(lots, flows))


# -- what the build refuses, or reads strictly, that the reference did not ----------------

NO_FLOWS = pd.DataFrame(columns=["source", "target", "carats"])

SUSPENDED_CF = """lot_id,kind,carats,origin,on,country,certificate,list_origins
0,produce,10,CF,2012-01-01,CF,,False
1,ship,10,,2012-02-01,AE,CF-0001,False
2,produce,10,BW,2014-01-01,BW,,False
3,ship,10,,2014-02-01,AE,BW-0001,False
4,mix,20,,2014-02-02,AE,,False
5,ship,20,,2014-03-01,IN,AE-0042,False
"""


def test_list_origins_read_from_text_finds_what_the_audit_should():
    """Read as text, "False" is False: the mixed certificate hides the suspended CF goods."""
    import io

    flows = pd.DataFrame(
        {"source": ["0", "1", "2", "3", "4"], "target": ["1", "4", "3", "4", "5"], "carats": 10.0}
    )
    flows.loc[4, "carats"] = 20.0
    lots = pd.read_csv(io.StringIO(SUSPENDED_CF), dtype=str)
    graph = kp.ProvenanceGraph.from_frames(lots, flows)
    assert not kp.provenance.lot_column(graph, "list_origins").any()
    findings = kp.provenance.audit(graph, register=kp.participants.Register.default())
    assert [(f.lot, f.reason, f.origin) for f in findings] == [("5", "suspended", "CF")]


TEXTS = {
    True: ["true", "True", " TRUE ", "yes", "Yes", "1", " 1"],
    False: ["false", "FALSE", "no", " No ", "0", None],
}
SPELLINGS = {
    True: [True, np.True_, 1, 1.0, *TEXTS[True]],
    False: [False, np.False_, 0, 0.0, np.nan, pd.NA, *TEXTS[False]],
}


@given(provenance_frames(), st.data())
def test_list_origins_in_any_accepted_spelling_builds_the_same_graph(frames, data):
    """Booleans, 0/1, true/false, yes/no, 1/0 (any case, padded) or missing: the same graph."""
    lots, flows = frames
    if "list_origins" not in lots.columns:
        lots["list_origins"] = False
    expected = kp.ProvenanceGraph.from_frames(lots, flows)
    form = data.draw(st.sampled_from(["object", "string", "category"]))
    spellings = SPELLINGS if form == "object" else TEXTS  # else pandas strings or categoricals
    spelled = [data.draw(st.sampled_from(spellings[bool(flag)])) for flag in lots["list_origins"]]
    column = pd.Series(spelled, dtype={"object": object, "string": "string"}.get(form, "category"))
    assert_identical(
        kp.ProvenanceGraph.from_frames(lots.assign(list_origins=column), flows), expected
    )


@given(provenance_frames(), st.data())
def test_list_origins_that_are_not_booleans_are_refused_listing_every_lot(frames, data):
    lots, flows = frames
    rows = data.draw(st.lists(st.integers(0, len(lots) - 1), min_size=1, unique=True))
    bad = data.draw(st.sampled_from(["False ish", "", "n", "TRUE!", 2, -1, 0.5, "2", "ja"]))
    column = pd.Series([False] * len(lots), dtype=object)
    column[rows] = bad
    with pytest.raises(InvalidGraphError, match="list_origins must be a boolean") as error:
        kp.ProvenanceGraph.from_frames(lots.assign(list_origins=column), flows)
    for lot in lots["lot_id"].iloc[sorted(rows)][:MAX_LISTED]:
        assert f"lot {lot!r}: list_origins must be a boolean, got {bad!r}" in str(error.value)


@pytest.mark.parametrize(
    ("values", "refused"),
    [
        (["1,500", "$2000"], [0, 1]),
        (["12.5", "cheap"], [1]),
        ([-1.0, 3.0], [0]),
        ([np.inf, 3.0], [0]),
        ([1.0, -np.inf], [1]),
        (pd.Series(["7", "-0.5"], dtype="string"), [1]),
        (pd.Categorical(["7", "seven"]), [1]),
        ([1 + 2j, 3.0], [0]),
        ([[1], 3.0], [0]),
    ],
)
def test_value_usd_that_is_not_a_number_at_least_zero_is_refused(values, refused):
    lots = pd.DataFrame(
        {"lot_id": ["a", "b"], "carats": [30.0, 70.0], "origin": ["ZW", "BW"], "value_usd": values}
    )
    with pytest.raises(InvalidGraphError) as error:
        kp.ProvenanceGraph.from_frames(lots, NO_FLOWS)
    message = str(error.value)
    assert message.count("value_usd must be a number >= 0") == len(refused)
    for row in refused:
        assert f"lot {'ab'[row]!r}: value_usd must be a number >= 0" in message


@pytest.mark.parametrize(
    "values",
    [
        ["1500", None],
        [1500, np.nan],
        pd.Series(["1500", pd.NA], dtype="string"),
        pd.array([1500.0, None], dtype="Float64"),
        pd.Categorical(["1500", None]),
    ],
)
def test_value_usd_numbers_are_read_and_missing_values_stay_missing(values):
    lots = pd.DataFrame(
        {"lot_id": [0, 1], "carats": [30.0, 70.0], "origin": ["ZW", "BW"], "value_usd": values}
    )
    graph = kp.ProvenanceGraph.from_frames(lots, NO_FLOWS)
    np.testing.assert_array_equal(kp.provenance.lot_column(graph, "value_usd"), [1500.0, np.nan])


ONE_INPUT = st.sampled_from(["split", "ship", "smuggle", "seize"])


@given(provenance_frames(), st.data())
def test_kinds_with_the_wrong_number_of_inputs_are_refused(frames, data):
    """A lot relabelled split/ship/smuggle/seize builds iff it has exactly one input, and a
    mix iff it has one or more (as the incremental API makes them); then audit and opacity
    read its paperwork. Half the time the lot is also cut off from its inputs (it then
    holds carats of unknown source, which a lot of kind "lot" may)."""
    lots, flows = frames
    if "kind" not in lots.columns:
        return
    traded = lots.index[lots["kind"].astype(object) != "produce"].tolist()
    if not traded:
        return
    row = data.draw(st.sampled_from(traded))
    kind = data.draw(ONE_INPUT | st.just("mix"))
    lots["kind"] = lots["kind"].astype(object)
    lots.loc[row, "kind"] = kind
    lot = plain(lots.at[row, "lot_id"])
    if data.draw(st.booleans()):
        flows = flows[flows["target"] != lot].reset_index(drop=True)
    inputs = int((flows["target"] == lot).sum())
    allowed = inputs >= 1 if kind == "mix" else inputs == 1
    if not allowed:
        with pytest.raises(InvalidGraphError) as error:
            kp.ProvenanceGraph.from_frames(lots, flows)
        assert f"lot {lot!r}: kind {kind!r} needs" in str(error.value)
        return
    graph = kp.ProvenanceGraph.from_frames(lots, flows)
    kp.provenance.audit(graph, register=None)
    kp.provenance.opacity(graph)


@pytest.mark.parametrize("kind", ["split", "ship", "smuggle", "seize", "mix"])
@pytest.mark.parametrize("sources", [[], [0, 1]])
def test_a_moved_lot_with_no_input_or_two_is_refused(kind, sources):
    lots = pd.DataFrame(
        {
            "lot_id": [0, 1, 2],
            "carats": [10.0, 10.0, 10.0],
            "origin": ["CF", "BW", None],
            "kind": ["produce", "produce", kind],
            "country": ["CF", "BW", "AE"],
            "certificate": [None, None, "BW-1" if kind == "ship" else None],
            "on": ["2014-01-01"] * 3,
        }
    )
    flows = pd.DataFrame({"source": sources, "target": [2] * len(sources), "carats": 5.0})
    if kind == "mix" and sources:
        kp.ProvenanceGraph.from_frames(lots, flows)  # mixing two lots is what mix is for
        return
    with pytest.raises(
        InvalidGraphError, match=rf"lot 2: kind '{kind}' needs .*it has {len(sources)}"
    ):
        kp.ProvenanceGraph.from_frames(lots, flows)


INT_IDS = st.sampled_from([np.int64, np.uint64, np.int32, np.uint32])


@given(provenance_frames(), INT_IDS, INT_IDS, st.sampled_from([0, 7, "huge"]), st.booleans())
def test_integer_ids_of_any_width_and_sign_build_the_same_graph(
    frames, lot_type, flow_type, base, sort
):
    """uint64 lot ids with int64 flows (Parquet files hold such) build what int64 ids build."""
    lots, flows = frames
    if lots["lot_id"].dtype.kind != "i":
        return
    if sort:  # ids in order: the fast lookup (positions by subtraction) is taken
        lots = lots.sort_values("lot_id", ignore_index=True)
    if base == "huge":  # ids beyond int64: only uint64 holds them
        lot_type = flow_type = np.uint64
        base = 2**63 + 5
    expected = kp.ProvenanceGraph.from_frames(lots, flows)

    def shifted(ids: pd.Series, dtype: Any) -> np.ndarray[Any, Any]:
        return (ids.to_numpy().astype(np.uint64) + np.uint64(base)).astype(dtype)

    lots["lot_id"] = shifted(lots["lot_id"], lot_type)
    flows["source"] = shifted(flows["source"], flow_type)
    flows["target"] = shifted(flows["target"], flow_type)
    graph = kp.ProvenanceGraph.from_frames(lots, flows)
    for name in expected._lots:
        np.testing.assert_array_equal(graph._column(name), expected._column(name), err_msg=name)
    for name in expected._flows:
        np.testing.assert_array_equal(graph._flow_column(name), expected._flow_column(name))
    assert [int(lot) - base for lot in graph.lots] == [int(lot) for lot in expected.lots]


def test_uint64_lot_ids_with_int64_flows():
    lots = pd.DataFrame(
        {
            "lot_id": np.array([1, 2, 3], np.uint64),
            "carats": [10.0, 30.0, 40.0],
            "origin": ["BW", "RU", None],
        }
    )
    flows = pd.DataFrame({"source": [1, 2], "target": [3, 3], "carats": [10.0, 30.0]})
    shares = kp.origin_shares(kp.ProvenanceGraph.from_frames(lots, flows)).to_frame()
    assert shares.loc[3].to_dict() == {"BW": 0.25, "RU": 0.75, "unknown": 0.0}


@pytest.mark.parametrize("name", ["zone", "site"])
def test_a_slash_in_a_zone_or_site_name_is_refused(name):
    """'A/B' and zone 'A' with site 'B' would both be the origin 'CF/A/B'."""
    lots = pd.DataFrame(
        {
            "lot_id": [1, 2, 3],
            "carats": [1.0, 1.0, 2.0],
            "origin": ["CF", "CF", None],
            "zone": ["A", "A", None],
            "site": [None, "B", None],
        }
    )
    lots.loc[[0, 2] if name == "zone" else [0], name] = "A/B"
    flows = pd.DataFrame({"source": [1, 2], "target": [3, 3], "carats": [1.0, 1.0]})
    with pytest.raises(InvalidGraphError) as error:
        kp.ProvenanceGraph.from_frames(lots, flows)
    message = str(error.value)
    assert f"lot 1: {name} 'A/B' contains '/'" in message
    assert ("lot 3:" in message) is (name == "zone")
    assert "merge two places" in message
    graph = kp.ProvenanceGraph()
    with pytest.raises(InvalidArgumentError, match=f"{name} must not contain '/'"):
        graph.produce(country="CF", carats=1, on="2014-01-01", **{name: "A/B"})
    assert len(graph) == 0


VALID_LOTS = pd.DataFrame({"lot_id": [1, 2], "carats": [1.0, 1.0], "origin": ["BW", None]})
VALID_FLOWS = pd.DataFrame({"source": [1], "target": [2], "carats": [1.0]})


@pytest.mark.parametrize(
    "argument", [VALID_LOTS.to_dict("list"), [[1, 1.0, "BW"]], VALID_LOTS["lot_id"], 3, None]
)
@pytest.mark.parametrize("which", ["lots", "flows"])
def test_arguments_that_are_not_dataframes_are_refused(argument, which):
    frames = {"lots": VALID_LOTS, "flows": VALID_FLOWS, which: argument}
    with pytest.raises(InvalidArgumentError, match=f"{which} must be a pandas.DataFrame"):
        kp.ProvenanceGraph.from_frames(frames["lots"], frames["flows"])


@pytest.mark.parametrize("which", ["lots", "flows"])
def test_a_column_named_twice_is_refused(which):
    frames = {"lots": VALID_LOTS, "flows": VALID_FLOWS}
    frames[which] = pd.concat([frames[which], frames[which][["carats"]]], axis=1)
    with pytest.raises(
        InvalidArgumentError, match=rf"{which} has columns named more than once: \['carats'\]"
    ):
        kp.ProvenanceGraph.from_frames(frames["lots"], frames["flows"])


@pytest.mark.parametrize("where", ["lot_id", "source", "target"])
def test_unhashable_lot_ids_are_refused(where):
    lots, flows = VALID_LOTS.copy(), VALID_FLOWS.copy()
    frame = lots if where == "lot_id" else flows
    frame[where] = frame[where].astype(object)
    frame.at[0, where] = [1]
    expected = r"row 0: \[1\] is not a valid value .*lot ids are"
    with pytest.raises(InvalidGraphError, match=expected):
        kp.ProvenanceGraph.from_frames(lots, flows)


@pytest.mark.parametrize(
    "ids",
    [
        pd.Series([1, np.nan, 3, np.nan], dtype=object),
        pd.Series([1, None, 3, None], dtype=object),
        pd.Series(["a", pd.NA, "c", None], dtype=object),
        pd.Series(["a", None, "c", pd.NA], dtype="string"),
        pd.Series([1.0, np.nan, 3.0, np.nan]),
        pd.array([1, None, 3, None], dtype="Int64"),
        pd.Categorical(["a", None, "c", None]),
    ],
)
def test_missing_lot_ids_are_refused(ids):
    lots = pd.DataFrame({"lot_id": ids, "carats": 1.0, "origin": "BW"})
    with pytest.raises(InvalidGraphError) as error:
        kp.ProvenanceGraph.from_frames(lots, NO_FLOWS)
    message = str(error.value)
    assert "lots row 1: lot_id is missing" in message
    assert "lots row 3: lot_id is missing" in message
    assert "duplicate" not in message


@pytest.mark.parametrize("name", ["origin", "kind", "zone", "site", "certificate", "list_origins"])
def test_unhashable_cells_of_other_columns_are_refused(name):
    lots = VALID_LOTS.assign(**{name: pd.Series([["x"], None], dtype=object)})
    expected = rf"lots.{name} row 0: \['x'\] is not a valid value"
    with pytest.raises(InvalidGraphError, match=expected):
        kp.ProvenanceGraph.from_frames(lots, VALID_FLOWS)


# -- booleans where numbers belong, and values that cannot be lot ids ----------------------

#: The quantities of the frames, as field paths.
QUANTITIES = st.sampled_from(["lots.carats", "lots.value_usd", "flows.carats"])


@given(provenance_frames(), QUANTITIES, st.booleans(), st.data())
def test_booleans_where_numbers_belong_are_refused(frames, field, whole, data):
    """True/False as carats or value_usd (a misaligned file) is refused, not read as 1/0.

    A column of booleans is refused once, by its field path; a boolean among numbers (an
    object column) is refused with its lot or flow row, as other unreadable values are.
    """
    lots, flows = frames
    table, name = field.split(".")
    frame = lots if table == "lots" else flows
    if len(frame) == 0:  # a graph of one lot has no flows
        return
    if name not in frame.columns:  # value_usd is optional
        frame[name] = 1000.0
    if whole:
        flags = data.draw(st.lists(st.booleans(), min_size=len(frame), max_size=len(frame)))
        form = data.draw(st.sampled_from(["bool", "boolean", "object", "category"]))
        frame[name] = pd.Series(flags, index=frame.index).astype(form)
    else:
        row = data.draw(st.integers(0, len(frame) - 1))
        frame[name] = frame[name].astype(object)
        frame.loc[row, name] = data.draw(st.sampled_from([True, False, np.True_]))
        whole = len(frame) == 1
    with pytest.raises(InvalidGraphError) as error:
        kp.ProvenanceGraph.from_frames(lots, flows)
    message = str(error.value)
    if whole:
        assert f"{field} holds booleans (True/False) in every row, not numbers" in message
        assert "check its header and column order" in message
    elif table == "lots":
        lot = plain(lots.at[row, "lot_id"])
        assert f"lot {lot!r}: {name} must be a number" in message
        assert "(a boolean)" in message
    else:
        assert f"flow row {row}: carats must be a number > 0, got " in message
        assert "(a boolean)" in message


def test_numbers_are_still_read_as_numbers():
    """Ints, floats, nullable floats and numeric text in object columns are not refused."""
    lots = pd.DataFrame(
        {
            "lot_id": [0, 1, 2],
            "carats": pd.Series([10, 20.5, "30"], dtype=object),
            "origin": ["BW", "RU", None],
            "value_usd": pd.array([100.0, None, 3.0], dtype="Float64"),
        }
    )
    flows = pd.DataFrame({"source": [0, 1], "target": [2, 2], "carats": [10, 20]})
    graph = kp.ProvenanceGraph.from_frames(lots, flows)
    np.testing.assert_array_equal(kp.provenance.lot_column(graph, "carats"), [10, 20.5, 30])


#: Whole columns of lot ids in a type that is not ints or text, and what the message says.
ID_COLUMNS = {
    "float64": (lambda ids: ids.astype(np.float64), "floats"),
    "Float64": (lambda ids: ids.astype("Float64"), "floats"),
    "float32": (lambda ids: ids.astype(np.float32), "floats"),
    "datetime64": (lambda ids: pd.to_datetime(ids, unit="D"), "dates or times"),
    "datetime64 UTC": (lambda ids: pd.to_datetime(ids, unit="D", utc=True), "dates or times"),
    "period": (
        lambda ids: pd.Series(pd.PeriodIndex.from_ordinals(ids, freq="D"), index=ids.index),
        "dates or times",
    ),
    "timedelta64": (lambda ids: pd.to_timedelta(ids, unit="D"), "durations"),
    "bool": (lambda ids: ids == ids.min(), "booleans"),
    "bytes": (
        lambda ids: pd.Series(ids.to_numpy().astype(str).astype("S"), index=ids.index),
        "bytes",
    ),
}


@given(provenance_frames(), st.sampled_from(sorted(ID_COLUMNS)))
def test_a_column_of_ids_that_are_not_ints_or_text_is_refused(frames, form):
    """A column of float, date, duration, boolean or bytes ids is refused by its field path.

    The build used to accept them (1.0 is the same key as 1; a date column read as ids
    made Timestamp lots). Each of ``lots.lot_id``, ``flows.source`` and ``flows.target``
    is named, with a remedy; flows may still name int lots by whole floats.
    """
    lots, flows = frames
    if lots["lot_id"].dtype.kind != "i":  # integer ids to start from
        return
    convert, noun = ID_COLUMNS[form]
    lots["lot_id"] = convert(lots["lot_id"])
    fields = ["lots.lot_id"]
    if len(flows):
        flows["source"] = convert(flows["source"])
        flows["target"] = convert(flows["target"])
        fields += ["flows.source", "flows.target"]
    with pytest.raises(InvalidGraphError) as error:
        kp.ProvenanceGraph.from_frames(lots, flows)
    message = str(error.value)
    for field in fields:
        named = f"{field} holds {noun} (dtype " in message
        assert named is (field == "lots.lot_id" or noun != "floats"), field
    assert "lot ids must be ints or strings" in message


#: Single cells of an object column of ids that cannot be lot ids, and what each is called.
ID_CELLS = [
    (1.5, "a float"),
    (np.float64(7.0), "a float"),
    (True, "a boolean"),
    (np.False_, "a boolean"),
    (pd.Timestamp("2024-01-05"), "a date or time"),
    (dt.date(2024, 1, 5), "a date or time"),
    (dt.datetime(2024, 1, 5, 12), "a date or time"),
    (np.datetime64("2024-01-05"), "a date or time"),
    (pd.Period("2024-01", freq="M"), "a date or time"),
    (pd.Timedelta(days=2), "a duration"),
    (dt.timedelta(days=2), "a duration"),
    (np.timedelta64(2, "D"), "a duration"),
    (Decimal("7"), "a decimal"),
    (Fraction(1, 2), "a fraction"),
    (1 + 2j, "a complex number"),
    # Refused since lot ids became ints or text only (5758afd); accepted before, though
    # lot ids were documented as ints or strings.
    ((3, 1), "of type tuple"),
    (b"L3", "bytes, not text"),
    (np.bytes_(b"L3"), "bytes, not text"),
    (frozenset({3}), "of type frozenset"),
    (range(3), "of type range"),
    (object, "of type type"),
]


@given(provenance_frames(), st.sampled_from(ID_CELLS), st.data())
def test_a_cell_that_is_not_an_int_or_text_is_refused_by_row(frames, cell, data):
    """One odd id among ints or texts (and in every flow naming that lot) is refused by row:
    a float, a date, a duration, a boolean, a tuple, bytes, a frozenset or any other value
    that is neither an int nor text."""
    lots, flows = frames
    value, what = cell
    row = data.draw(st.integers(0, len(lots) - 1))
    old = lots.at[row, "lot_id"]
    lots["lot_id"] = lots["lot_id"].astype(object)
    lots.at[row, "lot_id"] = value
    named = {}
    for end in ("source", "target"):
        ends = flows[end].tolist()
        named[end] = [flow for flow, lot in enumerate(ends) if lot == old]
        flows[end] = pd.Series([value if lot == old else lot for lot in ends], dtype=object)
    with pytest.raises(InvalidGraphError) as error:
        kp.ProvenanceGraph.from_frames(lots, flows)
    message = str(error.value)
    assert f"lots row {row}: lot_id {show(plain(value))} is {what}; " in message
    for end in ("source", "target"):
        for flow in named[end][:MAX_LISTED] if what != "a float" else []:
            assert f"flows.{end} row {flow}: {show(plain(value))} is {what}; " in message


def _frames_of(ids, source, target, *, id_dtype=None, flow_dtype=None):
    """Frames of one production lot and lots of no origin, with the ids and flows given."""
    lots = pd.DataFrame(
        {
            "lot_id": pd.Series(ids, dtype=id_dtype),
            "carats": 10.0,
            "origin": ["CF"] + [None] * (len(ids) - 1),
        }
    )
    flows = pd.DataFrame(
        {
            "source": pd.Series(source, dtype=flow_dtype),
            "target": pd.Series(target, dtype=flow_dtype),
            "carats": 1.0,
        }
    )
    return lots, flows


TOO_LARGE = "is a float too large to be exactly one whole number; "


@given(
    st.sampled_from([(np.float64, 53), (np.float32, 24), (np.float16, 11)]),
    st.data(),
    st.booleans(),
    st.sampled_from(["source", "target"]),
)
def test_a_flow_id_that_is_a_float_too_large_for_whole_numbers_is_refused(
    width, data, negative, end
):
    """Floats of 2**53 in size and up (2**24 for float32, 2**11 for float16) skip whole
    numbers: such a flow id could name the wrong lot."""
    kind, bits = width
    big = data.draw(st.integers(2**bits, min(2**64, int(np.finfo(kind).max))))
    value = kind(-big if negative else big)
    lots, flows = _frames_of([0, 1, int(value)], [0], [1])
    flows[end] = pd.Series([value], dtype=kind)
    with pytest.raises(InvalidGraphError) as error:
        kp.ProvenanceGraph.from_frames(lots, flows)
    assert f"flows.{end} row 0: {plain(value)!r} {TOO_LARGE}" in str(error.value)
    flows[end] = pd.Series([value], dtype=object)  # among ints, in an object column
    flows.loc[len(flows)] = [0, 1, 1.0]
    with pytest.raises(InvalidGraphError, match=TOO_LARGE):
        kp.ProvenanceGraph.from_frames(lots, flows)
    assert "refers to a lot" not in str(error.value)


@given(st.integers(-(2**53) + 1, 2**53 - 1))
def test_a_whole_float_below_2_53_names_its_int_lot(lot):
    """Below 2**53 a whole float is exactly one int: it names that lot (pandas' gaps)."""
    lots, flows = _frames_of([lot + 1 if lot == 0 else 0, lot], [float(lot)], [0 if lot else 1])
    lots.loc[0, "origin"], lots.loc[1, "origin"] = None, "CF"
    graph = kp.ProvenanceGraph.from_frames(lots, flows)
    assert graph.to_frames()[1]["source"].tolist() == [lot]


@pytest.mark.parametrize(
    ("ids", "flow", "refused"),
    [
        # Decimal(0) == np.int64(0) raises in numpy 2.4; pandas calls them one id.
        ([Decimal("0"), np.int64(0)], (Decimal("0"), np.int64(0)), "lots row 0: lot_id"),
        # pandas cannot hash ints beyond 64 bits beside durations.
        ([np.timedelta64(1, "D"), 2**70], (np.timedelta64(1, "D"), 2**70), "lots row 0: lot_id"),
        ([0, 2**70, np.timedelta64(1, "D")], (0, 2**70), "lots row 2: lot_id"),
    ],
)
def test_ids_pandas_cannot_look_up_together_are_refused_by_row(ids, flow, refused):
    """Ids that break pandas' lookup give kpmodel's error naming the odd row."""
    lots, flows = _frames_of(ids, [flow[0]], [flow[1]], id_dtype=object, flow_dtype=object)
    with pytest.raises(InvalidGraphError, match=refused) as error:
        kp.ProvenanceGraph.from_frames(lots, flows)
    assert "refers to a lot" not in str(error.value)  # both ids are lots of the frame


def test_half_precision_ids_are_read_like_other_floats():
    """pandas has no float16 index: such flows name int lots, such lot ids are refused."""
    lots, flows = _frames_of([0, 1], [0], [1])
    flows[["source", "target"]] = flows[["source", "target"]].astype(np.float16)
    assert kp.ProvenanceGraph.from_frames(lots, flows).number_of_flows == 1
    lots["lot_id"] = lots["lot_id"].astype(np.float16)
    with pytest.raises(InvalidGraphError, match=r"lots\.lot_id holds floats"):
        kp.ProvenanceGraph.from_frames(lots, flows)


def test_a_duration_id_equal_to_an_int_id_is_refused_not_a_pandas_error():
    """np.timedelta64(2, "D") == 2: pandas' lookup calls the ids repeats; refused by row."""
    lots = pd.DataFrame(
        {
            "lot_id": pd.Series([0, np.timedelta64(2, "D"), 2], dtype=object),
            "carats": [1.0, 1.0, 1.0],
            "origin": ["CF", "CF", None],
        }
    )
    flows = pd.DataFrame({"source": [0], "target": [2], "carats": [1.0]})
    with pytest.raises(InvalidGraphError, match=r"lots row 1: lot_id .* is a duration; "):
        kp.ProvenanceGraph.from_frames(lots, flows)


@pytest.mark.parametrize(
    "ids",
    [
        pd.Series([3, 1, 2]),
        pd.Series([3, 1, 2], dtype=np.uint8),
        pd.array([3, 1, 2], dtype="Int64"),
        pd.Series(["c", "a", "b"]),
        pd.Series(["c", "a", "b"], dtype=object),
        pd.Series([3, "a", "b"], dtype=object),
        pd.Series([np.int8(3), np.str_("a"), 2**70], dtype=object),
        pd.Categorical(["c", "a", "b"]),
        pd.Categorical([3, 1, 2]),
    ],
)
def test_int_and_text_ids_are_accepted(ids):
    """Ids of every documented form (ints of any width, numpy's too, text, both) build."""
    lots = pd.DataFrame({"lot_id": ids, "carats": [2.0, 1.0, 1.0], "origin": [None, "BW", "RU"]})
    values = list(lots["lot_id"])
    flows = pd.DataFrame(
        {
            "source": pd.Series(values[1:], dtype=object),
            "target": pd.Series([values[0]] * 2, dtype=object),
            "carats": [1.0, 1.0],
        }
    )
    graph = kp.ProvenanceGraph.from_frames(lots, flows)
    assert kp.origin_shares(graph).of(values[0]) == {"BW": 0.5, "RU": 0.5}


def _int_id_graph(loaded: bool) -> tuple[kp.ProvenanceGraph, int]:
    if loaded:
        lots = pd.DataFrame(
            {
                "lot_id": [10, 20, 30],
                "carats": [10.0, 10.0, 20.0],
                "origin": ["BW", "RU", None],
                "country": ["BW", "RU", "BE"],
            }
        )
        flows = pd.DataFrame({"source": [10, 20], "target": [30, 30], "carats": [10.0, 10.0]})
        graph = kp.ProvenanceGraph.from_frames(lots, flows)
        return graph, 10
    graph = kp.ProvenanceGraph()
    lot = graph.produce(country="BW", carats=10, on="2014-01-01")
    graph.produce(country="RU", carats=10, on="2014-01-01")
    return graph, lot


@pytest.mark.parametrize("loaded", [True, False])
@pytest.mark.parametrize("other", [float, Decimal, Fraction, complex])
def test_an_id_of_another_kind_names_no_lot(loaded, other):
    """10.0 equals lot 10 but is no lot id, whichever call is given it (as in origin_shares)."""
    graph, lot = _int_id_graph(loaded)
    graph.produce(country="BW", carats=1, on="2014-01-01")  # an appended lot too
    wrong = other(lot)
    assert wrong == lot
    for call in (
        lambda: graph.remaining(wrong),
        lambda: kp.provenance.explain(graph, wrong, "BW"),
        lambda: graph.split(wrong, [1.0]),
        lambda: kp.origin_shares(graph, lots=[wrong]),
    ):
        with pytest.raises(KPModelError, match=r"not (in the graph|lots of the graph)"):
            call()
    with pytest.raises(
        InvalidArgumentError, match=re.escape(f"lot: {wrong!r} is not in the graph")
    ):
        graph.remaining(wrong)
    for good in (lot, np.int64(lot), np.uint8(lot)):
        assert graph.remaining(good) == graph.remaining(lot)
        assert kp.provenance.explain(graph, good, "BW")
    appended = graph.produce(country="BW", carats=2, on="2014-01-01")
    assert graph.remaining(np.int64(appended)) == 2
    with pytest.raises(InvalidArgumentError, match="is not in the graph"):
        graph.remaining(float(appended))
    with pytest.raises(InvalidArgumentError, match="is not in the graph"):
        graph.remaining(True)  # equals lot 1 of a positional graph, appended or not


@pytest.mark.parametrize("loaded", [True, False])
@given(
    st.one_of(
        hostile_values(),
        st.sampled_from([np.timedelta64(10, "D"), np.timedelta64(1, "D"), (10,), b"10"]),
        # Equal to a lot id: 10.0 and np.float64(20.0) to a loaded lot, 1.0 and True to a
        # positional one.
        st.sampled_from([10.0, np.float64(20.0), Decimal(10), 1.0, np.float64(2.0), True]),
    ).filter(lambda value: not is_lot_id(value))
)
def test_what_is_no_lot_id_names_no_lot(loaded, value):
    """Tuples, bytes, frozensets, numpy durations (2 days == 2 to numpy; a bare TypeError
    on a graph with positional ids), floats equal to a lot id ... are refused by every
    call that takes a lot, with the rule that lot ids are ints or text, and as a bad
    argument (InvalidArgumentError) by all of them: the graph's own methods and `explain`
    raised InvalidGraphError where `trace`, `describe_lot` and ``lots=`` did not;
    `OriginShares.of` refuses them with the message of ``origin_shares(lots=[value])``,
    worded for the shares' lots. A number of another kind (10.0, True, Decimal(10)) is
    refused by the closing example (4.0 equals 4 but is not lot 4), anything else (a
    duration too: numpy's is an integer type) by the rule."""
    graph, _ = _int_id_graph(loaded)
    graph.produce(country="BW", carats=1, on="2014-01-01")  # an appended lot too
    number = isinstance(plain(value), numbers.Number) and not isinstance(value, np.timedelta64)
    why = "but are not lot 4" if number else "; lot ids are ints or text, never "
    for call in [
        *_calls_taking_a_lot(graph, value),
        lambda: kp.provenance.describe_lot(graph, value),
        lambda: kp.provenance.trace(graph, value),
    ]:
        with pytest.raises(InvalidArgumentError, match=re.escape(why)):
            call()
    with pytest.raises(InvalidArgumentError, match=r"^lots\[1\]: .*" + re.escape(why)):
        graph.mix([graph.lots[0], value])
    with pytest.raises(InvalidArgumentError) as asked:
        kp.provenance.trace(graph, value)
    with pytest.raises(InvalidArgumentError) as read:
        kp.origin_shares(graph).of(value)
    assert str(read.value) == _worded_for_shares(str(asked.value))


@pytest.mark.parametrize("loaded", [True, False])
@given(
    st.one_of(
        st.sampled_from([99, -1, 2**70, "x", np.str_("x"), np.int64(99), 10.0, True]),
        st.sampled_from([np.float32(0.5), None, pd.NA, (10,), b"10", [10]]),
        st.just(np.timedelta64(5, "D")),
        hostile_values(),
    )
)
def test_a_lot_no_graph_holds_is_refused_in_one_wording_by_every_call(loaded, lot):
    """ "No such lot" read four ways (18-review9, 6): "lot 99 is not in the graph; use an
    id returned by produce() ..." from the graph's methods and explain, "no lot 99 in the
    graph (3 lots; ids such as ...)" from trace and describe_lot, "lots: 1 of the 1 ids
    asked for is not in the graph: 99. Pass ids ..." from lots=, and a fourth from the
    command line. One helper words them all: the field path, the id, some of the graph's
    lots, the rule when the id can be no lot id at all, and what to pass."""
    graph, _ = _int_id_graph(loaded)
    graph.produce(country="BW", carats=1, on="2014-01-01")  # an appended lot too
    try:
        if lot in set(graph.lots.tolist()) and is_lot_id(lot):
            return  # a lot of the graph (an appended positional one: -1 and 99 are not)
    except TypeError:  # unhashable: no lot
        pass
    messages = set()
    for call in [
        *_calls_taking_a_lot(graph, lot),
        lambda: kp.provenance.describe_lot(graph, lot),
        lambda: kp.provenance.trace(graph, lot),
    ]:
        with pytest.raises(InvalidArgumentError) as error:
            call()
        messages.add(str(error.value))
    assert len(messages) == 1, messages
    (message,) = messages
    shown = show(plain(lot))
    ids = graph.lots.tolist()
    held = f"{len(ids)} lots: {', '.join(show(i) for i in ids)}"
    head = f"lot: {shown} is not in the graph ({held})"
    assert message.startswith(head)
    assert message.endswith(
        ". Pass an id the graph returned (ProvenanceGraph.lots), of the lot id's kind: an int "
        "for an int id, text for a text id (4.0, True or Decimal(4) equal 4 but are not lot 4)."
    )
    with pytest.raises(InvalidArgumentError) as mixed:
        graph.mix([graph.lots[0], lot])
    assert str(mixed.value) == message.replace("lot: ", "lots[1]: ", 1)
    # Shares of the whole graph hold every lot: .of words it for their lots (it said "lot:
    # 1 of the 1 ids asked for is not among these shares' lots ...", 19-wording10).
    with pytest.raises(InvalidArgumentError) as read:
        kp.origin_shares(graph).of(lot)
    assert str(read.value) == _worded_for_shares(message)
    if is_hashable(lot) or isinstance(lot, np.generic):  # lots= refuses a list as an id
        with pytest.raises(InvalidArgumentError) as listed:
            kp.origin_shares(graph, lots=[lot])
        assert str(listed.value) == (
            message.replace(
                head, f"lots: 1 of the 1 ids asked for is not in the graph ({held}): {shown}"
            )
            .replace("Pass an id", "Pass ids")
            .replace("(ProvenanceGraph.lots), of", "(ProvenanceGraph.lots), each of")
        )


def _calls_taking_a_lot(graph, lot):
    """The graph's methods that take one lot, and `explain`, each called with `lot`."""
    return [
        lambda: graph.remaining(lot),
        lambda: graph.location(lot),
        lambda: graph.split(lot, [1.0]),
        lambda: graph.ship(lot, to="BE", on="2014-02-01"),
        lambda: graph.smuggle(lot, to="BE", on="2014-02-01"),
        lambda: graph.seize(lot, on="2014-02-01"),
        lambda: kp.provenance.explain(graph, lot, "BW"),
    ]


@pytest.mark.parametrize("loaded", [True, False])
def test_a_lot_not_in_the_graph_is_a_bad_argument_everywhere(loaded):
    """An id of the right kind that no lot has is refused by every call that takes a lot
    with InvalidArgumentError, naming the lot (and the argument, for mix) and what to pass;
    the graph's methods and `explain` raised InvalidGraphError, the others did not."""
    graph, lot = _int_id_graph(loaded)
    size, missing = len(graph), 99
    for call in _calls_taking_a_lot(graph, missing):
        with pytest.raises(
            InvalidArgumentError, match=r"^lot: 99 is not in the graph \(.*\)\. Pass an id "
        ) as error:
            call()
        assert not isinstance(error.value, InvalidGraphError)
        assert "the graph returned (ProvenanceGraph.lots)" in str(error.value)
    with pytest.raises(InvalidArgumentError, match=r"^lots\[1\]: 99 is not in the graph"):
        graph.mix([lot, missing])
    for call in (
        lambda: kp.provenance.describe_lot(graph, missing),
        lambda: kp.provenance.trace(graph, missing),
        lambda: kp.origin_shares(graph, lots=[missing]),
        lambda: kp.origin_shares(graph).of(missing),
    ):
        with pytest.raises(InvalidArgumentError, match="99"):
            call()
    assert len(graph) == size  # nothing was appended


@pytest.mark.parametrize("loaded", [True, False])
def test_shares_of_a_lot_find_it_as_origin_shares_lots_does(loaded):
    """`OriginShares.of` reads a lot asked for twice from its first row, and refuses a
    missing lot or a list with the message of a call taking one lot, worded for the
    shares' lots (a bare pandas KeyError before)."""
    graph, lot = _int_id_graph(loaded)
    other = graph.lots[1]
    shares = kp.origin_shares(graph, lots=[other, lot, other])
    assert shares.of(lot) == {"BW": 1.0}
    assert shares.of(other) == {"RU": 1.0}
    assert shares.of(np.int64(lot)) == {"BW": 1.0}
    for value in (99, [lot], "x"):
        with pytest.raises(InvalidArgumentError) as asked:
            kp.provenance.trace(graph, value)
        with pytest.raises(InvalidArgumentError) as read:
            kp.origin_shares(graph).of(value)
        assert str(read.value) == _worded_for_shares(str(asked.value))


#: Where `OriginShares.of` and `plot_shares` say to take ids from.
SHARES_IDS = (
    "of these shares' lots (OriginShares.lots; a result of origin_shares(lots=...) holds "
    "only the lots asked for)"
)


def _worded_for_shares(message):
    """Return a refusal of a lot of the graph as `OriginShares.of` and `plot_shares`
    word it: for the shares' lots rather than the graph's."""
    return message.replace("not in the graph", "not among these shares' lots").replace(
        "the graph returned (ProvenanceGraph.lots)", SHARES_IDS
    )


def test_messages_and_paths_name_loaded_int_lots_as_ints():
    """On a graph of loaded int ids, refusals and explained paths say lot 10, not
    np.int64(10) (the ids are stored in an int64 Index)."""
    graph, _ = _int_id_graph(loaded=True)  # 10 and 20 flow whole into 30
    with pytest.raises(InvalidGraphError, match=r"^lot 30 holds 20 carats not yet given"):
        graph.split(30, [21])
    with pytest.raises(InvalidGraphError, match=r"^lot 10 holds 0 carats not yet given"):
        graph.split(10, [1])
    with pytest.raises(InvalidGraphError, match=r"^carats\[1\]: lot 30 holds 20 carats"):
        graph.split(30, [1, 1e-12])
    (path,) = kp.provenance.explain(graph, 30, "BW")
    assert path.lots == (10, 30)
    assert {type(lot) for lot in path.lots} == {int}


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (np.datetime64(1, "ns"), "np.datetime64('1970-01-01T00:00:00.000000001') is a date"),
        (np.timedelta64(5), "np.timedelta64(5) is a duration"),
        (np.float32(0.5), "0.5 is a float"),
        (np.True_, "True is a boolean"),
    ],
)
def test_refused_ids_are_shown_as_what_they_are(value, shown):
    """numpy scalars are shown as Python's, one rule for every message, but dates and
    durations as numpy's: a nanosecond date in the ids read "lot_id 1 is a date or time"
    (its Python value is a bare int), a unitless duration "lot_id 5 is a duration"."""
    lots = pd.DataFrame(
        {"lot_id": pd.Series([0, value], dtype=object), "carats": 1.0, "origin": "BW"}
    )
    with pytest.raises(InvalidGraphError) as error:
        kp.ProvenanceGraph.from_frames(lots, pd.DataFrame(columns=["source", "target", "carats"]))
    assert f"lots row 1: lot_id {shown}" in str(error.value)


@given(
    st.one_of(
        st.floats(width=32).map(np.float32),
        st.floats(width=16).map(np.float16),
        st.complex_numbers(width=64).map(np.complex64),
    )
)
def test_a_narrow_float_is_shown_in_its_own_shortest_digits(value):
    """A float32 was shown in the digits of the float64 it widens to: np.float32(0.1) as
    0.10000000149011612, a number the user did not write (18-review9, 7). It is shown by
    numpy's shortest digits for its own type, which read back as the same value."""
    shown = plain(value)
    assert type(shown) is (complex if isinstance(value, np.complex64) else float)
    assert repr(shown) == repr(type(shown)(str(value)))
    assert len(repr(shown)) <= len(repr(value.item()))
    back = type(value)(shown)
    assert back == value or (np.isnan(back) == np.isnan(value)).all()


def test_a_float32_id_that_names_no_lot_is_shown_as_written():
    """The refusals of an id, from the graph's methods, lots= and from_frames, show
    np.float32(0.1) as 0.1 (18-review9, 7: 0.10000000149011612)."""
    graph = kp.ProvenanceGraph()
    graph.produce(country="BW", carats=10, on="2023-05-01")
    for call, shown in (
        (lambda: graph.remaining(np.float32(0.1)), "lot: 0.1 is not in the graph"),
        (lambda: kp.origin_shares(graph, lots=[np.float32(0.1)]), "(1 lot: 0): 0.1. "),
    ):
        with pytest.raises(InvalidArgumentError) as error:
            call()
        assert shown in str(error.value)
        assert "0.1000" not in str(error.value)
    lots = pd.DataFrame(
        {"lot_id": pd.Series([0, np.float32(0.1)], dtype=object), "carats": 1.0, "origin": "BW"}
    )
    with pytest.raises(InvalidGraphError) as error:
        kp.ProvenanceGraph.from_frames(lots, pd.DataFrame(columns=["source", "target", "carats"]))
    assert "lots row 1: lot_id 0.1 is a float" in str(error.value)


def test_a_lot_id_with_a_lone_surrogate_is_refused_as_a_problem():
    """pandas' Arrow text raised a bare UnicodeEncodeError for an id holding half a
    character (18-review9, 9): it is refused as a problem of its row."""
    ids = pd.Series(["a\ud800", "b"], dtype=object)
    lots = pd.DataFrame({"lot_id": ids, "carats": 1.0, "origin": "BW"})
    source, target = ids.iloc[1:].reset_index(drop=True), ids.iloc[:1]
    flows = pd.DataFrame({"source": source, "target": target, "carats": [0.5]})
    with pytest.raises(InvalidGraphError, match=r"lots row 0: lot_id 'a\\ud800' is not text"):
        kp.ProvenanceGraph.from_frames(lots, flows)


def test_numpy_text_in_frames_is_shown_as_text():
    """A dangling flow, a zone with a '/' and an unknown origin given as numpy text were
    shown as "np.str_('zz')", where every other message of from_frames shows 'zz'
    (18-review9, 7)."""

    def given(*values):
        return pd.Series([None if v is None else np.str_(v) for v in values], dtype=object)

    lots = pd.DataFrame(
        {"lot_id": given("a", "b"), "carats": 1.0, "origin": given("BW", None),
         "zone": given("x/y", None)}
    )  # fmt: skip
    flows = pd.DataFrame({"source": given("a", "zz"), "target": given("b", "b"), "carats": 0.5})
    with pytest.raises(KPModelError) as dangling:
        kp.ProvenanceGraph.from_frames(lots, flows)
    assert "flow 'zz' -> 'b': refers to a lot" in str(dangling.value)
    assert "zone 'x/y' contains '/'" in str(dangling.value)
    unknown = lots.assign(origin=given("XX", None), zone=None)
    with pytest.raises(UnknownCodeError) as code:
        kp.ProvenanceGraph.from_frames(unknown, flows.iloc[:1])
    assert "origin 'XX'" in str(code.value)
    for message in (str(dangling.value), str(code.value)):
        assert "np.str_" not in message


@pytest.mark.parametrize("value", [1.0, True, 0.5, "x"])
def test_an_array_of_ids_is_refused_as_a_list_of_them_is(value):
    """origin_shares(lots=np.array([1.0])) said "not in the graph: np.float64(1.0)", and an
    array of True "np.True_; lot ids are ints or text, never bool_", where the list said
    1.0 and True: the ids asked for are shown by the rule that shows the graph's own."""
    graph = kp.ProvenanceGraph()
    graph.produce(country="BW", carats=1, on="2020-01-01")
    with pytest.raises(InvalidArgumentError) as listed:
        kp.origin_shares(graph, lots=[value])
    with pytest.raises(InvalidArgumentError) as array:
        kp.origin_shares(graph, lots=np.array([value]))
    assert str(array.value) == str(listed.value)
    assert "np." not in str(array.value)


@pytest.mark.parametrize("ids", [[10, 20, 30], np.array([10, 20, 30], np.int64)])
def test_lot_ids_given_back_are_python_values(ids):
    """Ids the graph gives back (new lots, explained paths) are Python ints, never numpy's."""
    lots = pd.DataFrame({"lot_id": ids, "carats": 1.0, "origin": ["BW", "BW", None]})
    flows = pd.DataFrame({"source": [10, 20], "target": [30, 30], "carats": 1.0})
    graph = kp.ProvenanceGraph.from_frames(lots, flows.assign(carats=[0.5, 0.5]))
    (path,) = kp.provenance.explain(graph, 30, "BW", limit=1)
    assert [type(lot) for lot in path.lots] == [int, int]
    assert type(graph.split(10, [0.25])[0]) is int


def test_many_problems_are_counted_and_each_list_says_how_many_more():
    """The header counted listed lines: 200,000 dangling flows were "(10 problems)" with
    no "and N more", and 15 lots all of id 0 repeated "lot 0: duplicate lot_id" beside an
    "and more" line counted as a problem. Each list now ends with how many more, the
    header counts them all, and a duplicate is named by its row and the first one's."""
    many = MAX_LISTED + 5
    lots = pd.DataFrame({"lot_id": [0] * many, "carats": 1.0, "origin": "BW"})
    flows = pd.DataFrame({"source": [0] * 3, "target": [0] * 3, "carats": [1.0] * 3})
    with pytest.raises(InvalidGraphError) as error:
        kp.ProvenanceGraph.from_frames(lots, flows.iloc[:0])
    message = str(error.value)
    assert f"({many - 1} problems)" in message
    assert "lots row 1: duplicate lot_id 0, as row 0; " in message
    assert f"lots row {MAX_LISTED}: duplicate" in message
    assert "... and 4 more rows with a duplicate lot_id" in message
    lots = pd.DataFrame({"lot_id": [0, 1], "carats": 1.0, "origin": "BW"})
    flows = pd.DataFrame(
        {"source": range(100, 100 + many), "target": 1, "carats": [1.0] * (many - 2) + [-1, 0]}
    )
    with pytest.raises(InvalidGraphError) as error:
        kp.ProvenanceGraph.from_frames(lots, flows)
    message = str(error.value)
    assert f"({many + 2} problems)" in message
    assert "... and 5 more flows naming a lot not in the lots frame" in message
    assert f"flow row {many - 1}: carats must be > 0" in message


@given(
    st.fixed_dictionaries(
        {
            kind: st.integers(0, 2 * MAX_LISTED)
            for kind in ("carats", "booleans", "dates", "twice", "dangling", "flow carats")
        }
    )
)
def test_the_header_counts_every_problem_of_every_list(counts):
    """The header counts each problem once, listed or standing behind an "and N more" line,
    whatever lists the problems are in and however long each is (the count was read back
    out of the lines' text)."""
    lots = [{"lot_id": 0, "carats": 10.0, "origin": "BW"}, {"lot_id": 1, "carats": 10.0}]
    rows = {
        "carats": {"carats": -1.0},
        "booleans": {"carats": True},
        "dates": {"carats": 1.0, "on": "not a date"},
        "twice": {"lot_id": 0, "carats": 1.0},
    }
    for kind, row in rows.items():
        lots += [{"lot_id": f"{kind} {i}", "origin": "BW", **row} for i in range(counts[kind])]
    flows = [{"source": -1 - i, "target": 1, "carats": 1.0} for i in range(counts["dangling"])]
    flows += [{"source": 0, "target": 1, "carats": -1.0}] * counts["flow carats"]
    total = sum(counts.values())
    lots_frame = pd.DataFrame(lots).astype({"carats": object})
    flows_frame = pd.DataFrame(flows, columns=["source", "target", "carats"])
    if total == 0:
        kp.ProvenanceGraph.from_frames(lots_frame, flows_frame)
        return
    with pytest.raises(InvalidGraphError) as error:
        kp.ProvenanceGraph.from_frames(lots_frame, flows_frame)
    header = str(error.value).split("\n")[0]
    assert f"({total:,} problem{'s' if total != 1 else ''})" in header


@pytest.mark.parametrize("late", [1, MAX_LISTED, MAX_LISTED + 5])
def test_flows_dated_before_their_source_are_all_counted(late):
    """Flows dated before their source were listed up to MAX_LISTED with no "and N more",
    and the header counted only those listed: 15 such flows read "(10 problems)"."""
    lots = pd.DataFrame(
        {
            "lot_id": [f"mine {i}" for i in range(late)] + [f"lot {i}" for i in range(late)],
            "carats": 1.0,
            "origin": ["BW"] * late + [None] * late,
            "on": ["2020-01-02"] * late + ["2020-01-01"] * late,
        }
    )
    flows = pd.DataFrame(
        {
            "source": [f"mine {i}" for i in range(late)],
            "target": [f"lot {i}" for i in range(late)],
            "carats": 1.0,
        }
    )
    with pytest.raises(InvalidGraphError) as error:
        kp.ProvenanceGraph.from_frames(lots, flows)
    message = str(error.value)
    assert f"({late} problem{'s' if late != 1 else ''})" in message
    assert message.count("before its source") == min(late, MAX_LISTED)
    if late > MAX_LISTED:
        more = late - MAX_LISTED
        assert message.endswith(f"... and {more} more flows dated before their source")


def _merged_by_hand(flows: pd.DataFrame) -> pd.DataFrame:
    """One row per pair of lots, carrying the pair's summed carats (in first-row order)."""
    return flows.groupby(["source", "target"], sort=False, as_index=False)[["carats"]].sum()


@given(
    provenance_frames(max_lots=15, parallel_flows=True),
    st.sampled_from(["country", "zone", "site"]),
)
def test_parallel_flows_are_the_flows_merged_by_hand(frames, by):
    """Frames with parallel flows (the public strategy's option) build the graph of the
    flows merged by hand: the same lots and flows, and the same shares, by mass balance
    (to float rounding: the sums are added in other orders) and by taint (exactly)."""
    lots, flows = frames
    pairs = flows[["source", "target"]].drop_duplicates()
    assert flows.empty or len(pairs) < len(flows)  # the option did cut a flow
    graph = kp.ProvenanceGraph.from_frames(lots, flows)
    merged = kp.ProvenanceGraph.from_frames(lots, _merged_by_hand(flows))
    assert graph.number_of_flows == merged.number_of_flows == len(pairs)
    (lots_a, flows_a), (lots_b, flows_b) = graph.to_frames(), merged.to_frames()
    pd.testing.assert_frame_equal(lots_a, lots_b)
    pd.testing.assert_frame_equal(flows_a, flows_b, check_exact=False, rtol=1e-12)
    for mixing, atol in (("proportional", 1e-12), ("taint", 0.0)):
        a = kp.origin_shares(graph, by=by, mixing=mixing)
        b = kp.origin_shares(merged, by=by, mixing=mixing)
        pd.testing.assert_frame_equal(a.to_frame(), b.to_frame(), rtol=0, atol=atol)


@given(provenance_frames(max_lots=8, parallel_flows=True), st.data())
def test_parallel_flows_in_any_row_order(frames, data):
    """Where the rows of the parallel flows are, the graph is the same."""
    lots, flows = frames
    order = data.draw(st.permutations(range(len(flows))))
    shuffled = flows.iloc[list(order)].reset_index(drop=True)
    a = kp.origin_shares(kp.ProvenanceGraph.from_frames(lots, flows))
    b = kp.origin_shares(kp.ProvenanceGraph.from_frames(lots, shuffled))
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame(), rtol=0, atol=1e-12)


@given(st.data())
def test_parallel_flows_must_be_a_flag(data):
    """parallel_flows=1 (or any non-bool) is refused when drawn, naming the option."""
    with pytest.raises(InvalidArgumentError, match=r"parallel_flows=\.\.\.\): must be True or"):
        data.draw(provenance_frames(parallel_flows=1))
