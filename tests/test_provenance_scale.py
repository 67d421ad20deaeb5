"""Origin attribution at scale: shares of chosen lots, adaptive storage, memory guard."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel.errors import InvalidArgumentError
from kpmodel.provenance import de_minimis, origin_shares
from kpmodel.testing.strategies import provenance_graphs

BY = st.sampled_from(["country", "zone", "site"])
RULES = st.sampled_from(["proportional", "taint", de_minimis(0.2)])


def dense(values):
    return values.toarray() if hasattr(values, "toarray") else np.asarray(values)


@given(provenance_graphs(), BY, RULES, st.data())
def test_shares_of_chosen_lots_are_rows_of_the_full_call(graph, by, mixing, data):
    """With lots=, the shares are the full call's rows, in the order asked for."""
    full = origin_shares(graph, by=by, mixing=mixing)
    ids = list(graph.lots)
    chosen = data.draw(st.lists(st.sampled_from(ids), max_size=8))
    part = origin_shares(graph, by=by, mixing=mixing, lots=chosen)
    assert list(part.lots) == chosen
    assert list(part.origins) == list(full.origins)
    rows = [ids.index(lot) for lot in chosen]
    expected = dense(full.values)[np.array(rows, dtype=np.int64)]
    np.testing.assert_allclose(dense(part.values), expected, atol=1e-12, rtol=0)


@given(provenance_graphs(), BY, RULES, st.sampled_from([0.0, 2.0]))
def test_dense_and_sparse_storage_of_levels_agree(monkeypatch_module, graph, by, mixing, at):
    """Storing every level dense (or every level sparse) gives the adaptive result."""
    adaptive = dense(origin_shares(graph, by=by, mixing=mixing).values)
    with monkeypatch_module.context() as patch:
        patch.setattr("kpmodel.provenance._shares.DENSE_AT", at)
        forced = dense(origin_shares(graph, by=by, mixing=mixing).values)
    np.testing.assert_allclose(forced, adaptive, atol=1e-12, rtol=0)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def small_graph():
    g = kp.ProvenanceGraph()
    a = g.produce(country="CF", carats=10, on="2014-01-01", zone="Nola")
    b = g.produce(country="CM", carats=90, on="2014-01-01")
    mixed = g.mix([g.smuggle(a, to="CM", on="2014-02-01"), b])
    return g, mixed


def test_lots_not_in_the_graph_are_named():
    """Every unknown id is listed, with what to do; a string is not a list of lots."""
    g, mixed = small_graph()
    with pytest.raises(InvalidArgumentError, match=r"2 of the 3 ids.*'nope', 99"):
        origin_shares(g, lots=[mixed, "nope", 99])
    with pytest.raises(InvalidArgumentError, match="list of lot ids"):
        origin_shares(g, lots="nope")
    assert origin_shares(g, lots=[]).values.shape == (0, 3)


def test_too_much_memory_is_refused_with_the_estimate_and_what_to_do():
    """A computation estimated beyond max_memory is refused before it starts."""
    g, mixed = small_graph()
    with pytest.raises(kp.errors.SizeLimitError) as info:
        origin_shares(g, max_memory=10)
    message = str(info.value)
    for words in ("needs about", "lots=", "by='country'", "sparse=True", "max_memory=",
                  "KPMODEL_MAX_MEMORY"):  # fmt: skip
        assert words in message
    assert origin_shares(g, lots=[mixed], max_memory=2**30).of(mixed) == {"CF": 0.1, "CM": 0.9}
    with pytest.raises(InvalidArgumentError, match="max_memory"):
        origin_shares(g, max_memory=-1)
    with pytest.raises(InvalidArgumentError, match="sparse"):
        origin_shares(g, sparse="yes")


def test_progress_bar(capsys):
    """progress=True shows a tqdm bar over the lots solved; anything but a bool is refused."""
    g, mixed = small_graph()
    assert origin_shares(g, progress=True).of(mixed) == {"CF": 0.1, "CM": 0.9}
    assert "origin shares" in capsys.readouterr().err
    with pytest.raises(InvalidArgumentError, match="progress"):
        origin_shares(g, progress="yes")


def test_locally_mixed_graph_keeps_sparse_rows():
    """Where lots hold few origins, levels are stored sparse and the result is sparse."""
    rng = np.random.default_rng(0)
    g = kp.ProvenanceGraph()
    codes = ["BW", "CA", "RU", "AO", "CD", "ZA", "NA", "SL", "LS", "TZ"] * 30
    chains = []
    for code in codes:
        lot = g.produce(country=code, carats=float(rng.integers(1, 100)), on="2020-01-01")
        chains.append(g.ship(lot, to="BE", on="2020-02-01"))
    for left, right in zip(chains[::2], chains[1::2], strict=True):
        g.mix([left, right])
    shares = origin_shares(g, sparse=None)
    frame = shares.to_frame()
    assert frame.to_numpy().sum(axis=1) == pytest.approx(1.0)
    assert (frame.to_numpy() > 0).sum(axis=1).max() <= 2
