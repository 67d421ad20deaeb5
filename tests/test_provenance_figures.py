"""Provenance figures run headless and show the case."""

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel.errors import InvalidArgumentError
from kpmodel.provenance import plot_case, plot_flows, plot_shares
from kpmodel.testing.strategies import provenance_graphs


def small_case():
    g = kp.ProvenanceGraph()
    car = g.smuggle(g.produce(country="CF", carats=10, on="2014-01-01"), to="CM", on="2014-02-01")
    cm = g.ship(
        g.mix([car, g.produce(country="CM", carats=5, on="2014-02-01")]), to="AE", on="2014-03-01"
    )
    bw = g.ship(g.produce(country="BW", carats=30, on="2014-01-01"), to="AE", on="2014-02-01")
    g.ship(g.mix([cm, bw]), to="IN", on="2014-04-01")
    return g


def test_flows_draw_only_final_shipments_by_default():
    """The Sankey-style figure counts each carat once: origins add up to the final exports."""
    ax = plot_flows(small_case())
    labels = [t.get_text() for t in ax.texts]
    assert "MIXED" in labels
    assert any(t.startswith("CF\n10 ct") for t in labels)
    assert any(t.startswith("IN\n45 ct") for t in labels)
    every = [t.get_text() for t in plot_flows(small_case(), final_only=False).texts]
    assert any(t.startswith("CM\n15 ct") for t in every)


def test_case_and_shares_figures():
    """The case graph draws every lot; the shares figure has one bar per lot and origin."""
    g = small_case()
    ax = plot_case(g)
    assert len(ax.collections) >= 1
    assert ax.get_title() == "Provenance graph"
    shares = kp.origin_shares(g)
    ax = plot_shares(shares, [len(g) - 1])
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["BW", "CF", "CM"]


def _lots_arguments(graph):
    """``lots`` for `graph`: its ids, values equal to them of other kinds, others."""
    lot = st.sampled_from(graph.lots.tolist())
    odd = st.one_of(
        lot.map(lambda x: float(x) if isinstance(x, int) else x),
        lot.map(lambda x: x == 1 if x in (0, 1) else x),
        lot.map(str),
        lot.map(lambda x: [x]),
        st.integers(-2, len(graph) + 2),
        st.sampled_from([None, 2.5, (1,), "x", 2**64]),
    )
    ids = st.lists(st.one_of(lot, odd), min_size=1, max_size=4)
    containers = st.sampled_from([list, tuple, lambda ids: pd.Index(ids, dtype=object)])
    return st.one_of(
        st.builds(lambda ids, container: container(ids), ids, containers),
        st.sampled_from([1, "0", b"0", pd.DataFrame({"lot": [0]}), slice(1)]),
    )


@settings(max_examples=60, deadline=None)
@given(provenance_graphs(max_lots=6), st.data())
def test_plot_shares_finds_lots_as_origin_shares_does(graph, data):
    """plot_shares(shares, lots) draws the rows origin_shares(lots=lots) gives, or refuses
    `lots` with its error, saying the ids are not among the shares' lots rather than not
    in the graph. It used to read 1.0 as lot 1 (and True as a mask), and to raise bare
    pandas and numpy errors for a missing lot or a list."""
    lots = data.draw(_lots_arguments(graph))
    try:
        expected = kp.origin_shares(graph, lots=lots).to_frame()
    except InvalidArgumentError as error:
        same = (
            str(error)
            .replace("not in the graph", "not among these shares' lots")
            .replace("the graph returned (ProvenanceGraph.lots)", SHARES_IDS)
        )
        with pytest.raises(InvalidArgumentError, match=f"^{re.escape(same)}$"):
            plot_shares(kp.origin_shares(graph), lots)
        return
    try:
        ax = plot_shares(kp.origin_shares(graph), lots)
        for bars in ax.containers:
            widths = [bar.get_width() for bar in bars]
            if bars.get_label() != "other":
                np.testing.assert_allclose(widths, expected[bars.get_label()].to_numpy())
            assert len(widths) == len(expected)
    finally:
        plt.close("all")


def test_plot_shares_of_a_lot_computed_twice_draws_it_once():
    """Shares computed with lots=[a, a] have two rows for a: a is one row, as .of reads it."""
    g = small_case()
    last = len(g) - 1
    ax = plot_shares(kp.origin_shares(g, lots=[last, 0, last]), [last])
    assert {len(bars) for bars in ax.containers} == {1}
    plt.close("all")


def test_a_lot_missing_from_shares_of_some_lots_is_not_said_to_be_missing_from_the_graph():
    """Shares of some lots (lots=) do not hold every lot of the graph: .of and plot_shares
    say a lot is not among the shares' lots, not that it is not in the graph (17-review2 9:
    they said 'not in the graph' and to pass ProvenanceGraph.lots, which holds the lot),
    and that such shares hold only the lots asked for. .of words one id as every call
    taking a lot does (it said "lot: 1 of the 1 ids asked for ...", 19-wording10)."""
    g = small_case()
    last = len(g) - 1
    some = kp.origin_shares(g, lots=[last])
    held = f"(1 lot: {last})"
    for call, head in (
        (lambda: some.of(0), f"lot: 0 is not among these shares' lots {held}. Pass an id "),
        (
            lambda: plot_shares(some, [0]),
            f"lots: 1 of the 1 ids asked for is not among these shares' lots {held}: 0. Pass ids ",
        ),
    ):
        with pytest.raises(InvalidArgumentError) as refused:
            call()
        message = str(refused.value)
        assert message.startswith(head + SHARES_IDS)
        assert "not in the graph" not in message
    plt.close("all")


#: Where `OriginShares.of` and `plot_shares` say to take ids from.
SHARES_IDS = (
    "of these shares' lots (OriginShares.lots; a result of origin_shares(lots=...) holds "
    "only the lots asked for)"
)
