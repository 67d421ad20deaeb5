"""propagate's inputs: weights of another graph, pickled weights, arrays it cannot overwrite,
masked, long double and object arrays."""

import gc
import pickle
from decimal import Decimal

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel.errors import InvalidArgumentError
from kpmodel.provenance import input_shares, lot_carats, propagate
from kpmodel.provenance._mass_balance import _MADE
from kpmodel.testing.strategies import provenance_graphs


def mixed(a_carats):
    """Two Botswanan lots of `a_carats` and 10 ct, mixed."""
    g = kp.ProvenanceGraph()
    a = g.produce(country="BW", carats=a_carats, on="2023-01-01")
    b = g.produce(country="BW", carats=10, on="2023-01-01")
    g.mix([a, b], on="2023-02-01")
    return g


def test_weights_of_a_graph_with_the_same_flows_but_other_carats_are_refused():
    """The same lots and flows with other carats give other weights: refused (they were
    accepted, and 0.9 came out where 0.75 is right)."""
    g, other = mixed(30), mixed(90)
    assert propagate(g, [1.0, 0, 0]).tolist() == [1.0, 0.0, 0.75]
    with pytest.raises(InvalidArgumentError, match="shares of the receiving lots' carats"):
        propagate(g, [1.0, 0, 0], weights=input_shares(other))
    same = input_shares(mixed(30))  # another graph, equal in every carat: the same weights
    assert propagate(g, [1.0, 0, 0], weights=same).tolist() == [1.0, 0.0, 0.75]


@given(provenance_graphs(), st.data())
def test_weights_are_checked_against_the_carats_of_each_receiving_lot(graph, data):
    """A graph rebuilt from the same frames, but with one receiving lot holding more
    carats, has other weights: they are refused; those of an identical rebuild are not."""
    lots, flows = graph.to_frames()
    if flows.empty:
        return
    same = kp.ProvenanceGraph.from_frames(lots, flows)
    receiving = data.draw(st.sampled_from(sorted(set(flows["target"]), key=str)))
    bigger = lots.copy()
    bigger.loc[bigger["lot_id"] == receiving, "carats"] *= 1.25
    other = kp.ProvenanceGraph.from_frames(bigger, flows)
    initial = np.eye(len(same))
    expected = propagate(same, initial)
    np.testing.assert_array_equal(
        propagate(
            same, initial, weights=input_shares(kp.ProvenanceGraph.from_frames(lots, flows))
        ),
        expected,
    )
    with pytest.raises(InvalidArgumentError, match="weights must be input_shares"):
        propagate(same, initial, weights=input_shares(other))


@given(provenance_graphs())
def test_weights_survive_a_pickle_round_trip(graph):
    """input_shares pickles (for process pools, dask, joblib); unpickled, it is checked
    and gives what propagating without weights gives (pickling raised a TypeError)."""
    weights = input_shares(graph)
    back = pickle.loads(pickle.dumps(weights))
    assert (back != weights).nnz == 0
    initial = np.eye(len(graph))
    np.testing.assert_array_equal(
        propagate(graph, initial, weights=back), propagate(graph, initial)
    )


def test_the_record_of_made_weights_goes_with_them():
    """input_shares' record of the matrices it made does not keep them, nor outlive them."""
    g = mixed(30)
    weights = input_shares(g)
    key = id(weights)
    assert _MADE[key][0]() is weights
    del weights
    gc.collect()
    assert key not in _MADE or _MADE[key][0]() is not None


def test_copy_false_copies_what_it_cannot_overwrite():
    """With copy=False, a read-only (lot_carats), float32 or non-contiguous initial is
    copied, not overwritten (lot_carats' view raised a raw ValueError from scipy); a
    writable float64 C-contiguous one is overwritten and returned."""
    g = mixed(30)
    carats = lot_carats(g)
    expected = propagate(g, carats)
    np.testing.assert_array_equal(propagate(g, carats, copy=False), expected)
    assert carats.tolist() == [30.0, 10.0, 40.0]
    assert not carats.flags.writeable
    wide = np.stack([carats, carats], axis=1)
    for initial in (carats.astype(np.float32), np.asfortranarray(wide), wide[:, :1]):
        before = initial.copy()
        result = propagate(g, initial, copy=False)
        np.testing.assert_allclose(result.reshape(3, -1)[:, 0], expected, rtol=1e-6)
        np.testing.assert_array_equal(initial, before)
    writable = np.array(carats)
    result = propagate(g, writable, copy=False)
    assert np.shares_memory(result, writable)
    np.testing.assert_array_equal(writable, expected)


def test_initial_must_be_plain_real_numbers():
    """Masked entries, values beyond float64 and sparse matrices are refused, each with a
    remedy of its own; object arrays of real numbers (Decimal too) are read as numbers."""
    g = mixed(30)
    ones = propagate(g, [1.0, 1.0, 1.0])
    with pytest.raises(InvalidArgumentError, match=r"masked array with 1 masked entry.*filled"):
        propagate(g, np.ma.array([1.0, 1.0, 1.0], mask=[0, 1, 0]))
    np.testing.assert_array_equal(propagate(g, np.ma.array([1.0, 1.0, 1.0])), ones)
    huge = np.array([np.longdouble("1e400"), 1, 1], dtype=np.longdouble)
    with pytest.raises(InvalidArgumentError, match="within float64's range"):
        propagate(g, huge)
    for value in (10**400, Decimal("1e400")):
        with pytest.raises(InvalidArgumentError, match="within float64's range"):
            propagate(g, np.array([value, 1, 1], dtype=object))
    for numbers in ([1, 1.0, Decimal(1)], [np.float32(1), 1, 1]):
        np.testing.assert_array_equal(propagate(g, np.array(numbers, dtype=object)), ones)
    with pytest.raises(InvalidArgumentError, match=r"object values such as 'a'") as refused:
        propagate(g, np.array(["a", 1, 1], dtype=object))
    assert "sparse" not in str(refused.value)
    with pytest.raises(InvalidArgumentError, match=r"scipy sparse csr_array: pass .toarray"):
        propagate(g, sp.csr_array(np.eye(3)))
