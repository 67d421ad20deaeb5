"""Explanations: the largest paths that carry an origin into a lot, and the labels asked for."""

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel.errors import IncompleteResultWarning, InvalidArgumentError
from kpmodel.provenance import explain, origin_shares
from kpmodel.testing.strategies import provenance_graphs


def all_paths(graph, lot, origin):
    """Every path into `lot` from where `origin` (a country or "unknown") entered, with its
    carats: slow and obviously correct, a depth-first walk over the flows of ``to_frames``.
    """
    lots, flows = graph.to_frames()
    lots = lots.set_index("lot_id")
    if origin == "unknown":
        entering = dict(zip(graph.lots, kp.provenance.unknown_fraction(graph), strict=True))
    else:
        entering = {i: float(lots.loc[i, "origin"] == origin) for i in lots.index}
    inputs = defaultdict(list)
    for source, target, carats in flows[["source", "target", "carats"]].itertuples(index=False):
        inputs[target].append((source, carats))
    found = []
    stack = [(lot, (lot,), (), float(lots.loc[lot, "carats"]))]
    while stack:
        here, path, moved, carried = stack.pop()  # carried: carats of `lot` through `path`
        if entering[here] > 0:
            found.append((path, moved, carried * entering[here]))
        for parent, amount in inputs[here]:
            share = amount / lots.loc[here, "carats"]
            stack.append((parent, (parent, *path), (amount, *moved), carried * share))
    return found


@given(provenance_graphs(max_lots=14), st.integers(1, 6), st.data())
def test_explain_returns_the_largest_paths_of_a_brute_force_enumeration(graph, limit, data):
    """The carats of the paths explain returns are the `limit` largest of all the paths,
    largest first, and each path is a real path with the carats it carries."""
    lot = data.draw(st.sampled_from(list(graph.lots)))
    for origin in origin_shares(graph, lots=[lot]).of(lot):
        every = all_paths(graph, lot, origin)
        paths = explain(graph, lot, origin, limit=limit)
        largest = sorted((carats for *_, carats in every), reverse=True)[:limit]
        got = [path.carats for path in paths]
        assert got == sorted(got, reverse=True)
        np.testing.assert_allclose(got, largest, rtol=1e-9, atol=1e-12)
        carried = {(path, moved): carats for path, moved, carats in every}
        for path in paths:
            assert carried[(path.lots, path.flows)] == pytest.approx(path.carats, rel=1e-9)


def lattice(depth):
    """A lot of 100 ct of CF: 10 ct straight from a mine, 90 ct through a hub that splits
    and re-mixes its stock `depth` times (2**depth paths of 90 / 2**depth ct each)."""
    g = kp.ProvenanceGraph()
    big = g.produce(country="CF", carats=10, on="2014-01-01")
    a, b = g.split(g.produce(country="CF", carats=90, on="2014-01-01"), [45, 45])
    for _ in range(depth):
        a1, a2 = g.split(a, [g.remaining(a) / 2] * 2)
        b1, b2 = g.split(b, [g.remaining(b) / 2] * 2)
        a, b = g.mix([a1, b1]), g.mix([a2, b2])
    return g, big, g.mix([big, g.mix([a, b])])


def test_the_largest_path_is_found_among_more_than_ten_thousand():
    """A 10-ct path beside 2**14 paths of 0.0027 ct comes first (a depth-first enumeration
    that stopped after 10,000 paths once missed it, and said nothing)."""
    g, big, lot = lattice(14)
    paths = explain(g, lot, "CF", limit=3)
    assert [p.lots[0] for p in paths] == [big, 1, 1]
    assert paths[0].carats == pytest.approx(10.0)
    assert paths[1].carats == pytest.approx(90 / 2**15)
    every = explain(g, lot, "CF", limit=10**6)
    assert len(every) == 1 + 2**15
    assert sum(p.carats for p in every) == pytest.approx(100.0)


def test_a_search_cut_short_warns_and_returns_the_largest_paths(monkeypatch):
    """At the safeguard on work, explain warns and returns the largest paths found."""
    g, _, lot = lattice(6)
    whole = explain(g, lot, "CF", limit=20)
    monkeypatch.setattr("kpmodel.provenance._explain.MAX_EXPANDED", 12)
    with pytest.warns(IncompleteResultWarning, match="largest paths"):
        cut = explain(g, lot, "CF", limit=20)
    assert 0 < len(cut) < 20
    assert [p.carats for p in cut] == pytest.approx([p.carats for p in whole[: len(cut)]])


def test_unknown_carats_are_explained_through_every_lot_they_entered():
    """A path of unknown carats ends at each lot holding some, and goes on to its inputs."""
    lots = pd.DataFrame(
        {
            "lot_id": ["x", "y", "z"],
            "kind": ["lot", "mix", "mix"],
            "origin": [None] * 3,
            "carats": [4.0, 8.0, 10.0],
        }
    )
    flows = pd.DataFrame({"source": ["x", "y"], "target": ["y", "z"], "carats": [4.0, 8.0]})
    g = kp.ProvenanceGraph.from_frames(lots, flows)
    paths = explain(g, "z", "unknown")
    # The two paths of 4 ct tie: either may come first.
    assert sorted((p.lots, p.carats) for p in paths) == [
        (("x", "y", "z"), pytest.approx(4.0)),
        (("y", "z"), pytest.approx(4.0)),
        (("z",), pytest.approx(2.0)),
    ]
    assert paths[-1].lots == ("z",)


def audited_case():
    """CAR goods from Nola smuggled to Cameroon, mixed and shipped to Dubai."""
    g = kp.ProvenanceGraph()
    car = g.produce(country="CF", zone="Nola", carats=10, on="2014-01-01")
    cm = g.produce(country="CM", carats=10, on="2014-02-01")
    mixed = g.mix([g.smuggle(car, to="CM", on="2014-02-01"), cm])
    return g, g.ship(mixed, to="AE", on="2014-03-01", certificate="CM-0042")


@pytest.mark.parametrize(
    ("origin", "by", "match"),
    [
        ("CF/Nola", "country", r"not an origin of this graph under by='country'.*by='zone'"),
        ("cf", "country", r"The labels are 'CF', 'CM', 'unknown'.*upper case: pass 'CF'"),
        ("XX", "country", r"origin 'XX' is not an origin"),
        ("ZW", "country", r"no production lot has that label"),
        ("CF", "zone", r"under by='zone'.*'CF/Nola'.*by='country'"),
        ("CF/Nola/pit", "zone", r"by='site'"),
        ("smuggled", "country", r"Finding.paths"),
        (None, "country", r"origin must be an origin label \(str\).*got None"),
        (3, "country", r"got 3 \(type int\)"),
        (b"CF", "country", r"must be an origin label"),
        ("unknown", "mine", r"by must be 'country', 'zone' or 'site'; got 'mine'"),
    ],
)
def test_an_origin_that_is_no_label_of_the_graph_is_refused(origin, by, match):
    """explain says () only for a label the lot does not hold; any other origin is an error
    that lists the labels (it once answered () for all of these)."""
    g, out = audited_case()
    with pytest.raises(InvalidArgumentError, match=match):
        explain(g, out, origin, by=by)


def test_an_audit_findings_origin_is_explained_at_its_level():
    """A finding names its origin by zone; with by="zone", explain gives its paths."""
    g, out = audited_case()
    register = kp.participants.Register.default()
    finding = next(f for f in kp.provenance.audit(g, register=register) if f.reason == "suspended")
    assert finding.origin == "CF/Nola"
    assert explain(g, out, finding.origin, by="zone") == tuple(finding.paths)
    assert explain(g, 0, "CM") == ()  # a label of the graph the lot does not hold


def test_limit_takes_numpy_integers_and_refuses_the_rest():
    """limit may be a numpy integer (as numpy code makes them); bools and 0 are refused."""
    g, out = audited_case()
    assert explain(g, out, "CF", limit=np.int64(1)) == explain(g, out, "CF", limit=1)
    for limit in (0, True, 1.0, "2", np.int64(0)):
        with pytest.raises(InvalidArgumentError, match="limit must be a positive int"):
            explain(g, out, "CF", limit=limit)
