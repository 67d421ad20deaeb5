"""Provenance figures run headless and show the case."""

import matplotlib

matplotlib.use("Agg")

import kpmodel as kp
from kpmodel.provenance import plot_case, plot_flows, plot_shares


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
