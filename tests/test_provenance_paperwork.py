"""The paperwork view: declared origins derived in any order, however long the chain."""

import matplotlib

matplotlib.use("Agg")

from hypothesis import given
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel.certificates import DeclaredOrigin
from kpmodel.provenance import declared_origins, plot_flows
from kpmodel.provenance._paperwork import _Paperwork, shipments
from kpmodel.testing.strategies import provenance_graphs


def re_exports(count):
    """Botswanan goods re-exported `count` times back and forth between Dubai and Antwerp."""
    g = kp.ProvenanceGraph()
    lot = g.produce(country="BW", carats=10, on="2020-01-01")
    for i in range(count):
        lot = g.ship(lot, to="AE" if i % 2 == 0 else "BE", on="2020-02-01")
    return g


def test_the_last_of_three_thousand_re_exports_is_derived_without_recursion():
    """plot_flows(final_only=True) asks for the last shipment first: its declared origin is
    derived through 3,000 earlier certificates without a RecursionError (it once recursed
    two frames per re-export)."""
    g = re_exports(3_000)
    ax = plot_flows(g, final_only=True)
    assert any(text.get_text().startswith("BW\n10 ct") for text in ax.texts)
    assert _Paperwork(g).declared(len(g) - 1) == DeclaredOrigin.single("BW")


@given(provenance_graphs(), st.randoms(use_true_random=False))
def test_declared_origins_do_not_depend_on_the_order_they_are_asked_in(graph, random):
    """Asked in any order (last shipment first, shuffled), each shipment's declared origin
    is the one declared_origins derives in storage order."""
    expected = list(declared_origins(graph)["declared_origin"])
    order = shipments(graph).tolist()
    for positions in (order[::-1], random.sample(order, len(order))):
        paperwork = _Paperwork(graph)
        asked = {position: paperwork.declared(position) for position in positions}
        assert [asked[position] for position in order] == expected
