"""The one search for the largest paths, behind `explain` and the paths of an audit's findings."""

import copy
import pickle
from collections import defaultdict

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel.errors import IncompleteResultWarning
from kpmodel.provenance import explain
from kpmodel.provenance._explain import MAX_EXPANDED, Flows, best_completion, largest_paths
from kpmodel.provenance._shares import propagate
from kpmodel.testing.strategies import provenance_graphs


def every_path(graph, lot, entering, *, stop):
    """Every path into position `lot` that starts where `entering` > 0, with its carats:
    slow and obviously correct, a depth-first walk over all the flows of ``to_frames``
    back to the roots. With `stop`, a path ends at the first lot where `entering`.
    """
    lots, flows = graph.to_frames()
    position = {lot_id: i for i, lot_id in enumerate(lots["lot_id"])}
    carats = lots["carats"].to_numpy()
    inputs = defaultdict(list)
    for source, target, moved in flows[["source", "target", "carats"]].itertuples(index=False):
        inputs[position[target]].append((position[source], moved))
    found = {}
    stack = [(lot, (lot,), (), float(carats[lot]))]
    while stack:
        here, path, moved, carried = stack.pop()  # carried: carats of `lot` through `path`
        if entering[here] > 0:
            found[(tuple(graph.lots[list(path)]), moved)] = carried * entering[here]
            if stop:
                continue
        for parent, amount in inputs[here]:
            stack.append(
                (parent, (parent, *path), (amount, *moved), carried * amount / carats[here])
            )
    return found


@st.composite
def searches(draw):
    """A small graph, a lot of it, where an origin enters (fractions), and `stop`."""
    graph = draw(provenance_graphs(max_lots=12))
    n = len(graph)
    entering = np.array(
        draw(st.lists(st.sampled_from([0.0, 0.0, 0.25, 1.0]), min_size=n, max_size=n))
    )
    lot = draw(st.integers(0, n - 1))
    return graph, lot, entering, draw(st.booleans())


@given(searches(), st.integers(1, 5))
def test_the_search_returns_the_largest_paths_of_a_brute_force_enumeration(search, limit):
    """Whether paths stop at the first lot where the origin enters (the audit's smuggled
    carats) or go on (explain's unknown carats), the search returns the `limit` largest of
    all the paths, largest first, each a real path with its carats; with a limit above
    their number, every path."""
    graph, lot, entering, stop = search
    reset = entering > 0 if stop else None
    carried = propagate(graph, entering.copy()[:, None], reset=reset)[:, 0] > 0
    flows = Flows(graph)
    best = best_completion(flows, entering, carried, stop=stop)
    every = every_path(graph, lot, entering, stop=stop)
    paths, truncated = largest_paths(
        flows, lot, entering, best, stop=stop, limit=limit, cap=MAX_EXPANDED
    )
    assert not truncated
    got = [path.carats for path in paths]
    assert got == sorted(got, reverse=True)
    largest = sorted(every.values(), reverse=True)[:limit]
    np.testing.assert_allclose(got, largest, rtol=1e-9, atol=1e-12)
    for path in paths:
        assert every[(path.lots, path.flows)] == pytest.approx(path.carats, rel=1e-9)
    assert len({(path.lots, path.flows) for path in paths}) == len(paths)
    whole, truncated = largest_paths(
        flows, lot, entering, best, stop=stop, limit=10**6, cap=MAX_EXPANDED
    )
    assert not truncated
    assert {(path.lots, path.flows) for path in whole} == set(every)


def deep(cycles, *, ship=False):
    """A lot of 2 ct, from two CF mines of 1.5 and 0.5 ct (smuggled to Cameroon when
    `ship`) split in halves and re-mixed `cycles` times: 2**(cycles + 1) paths, each
    carrying a fraction of 2**-(cycles + 1) times 3/2 or 1/2 of the lot."""
    g = kp.ProvenanceGraph()
    big = g.produce(country="CF", zone="Nola", carats=1.5, on="2014-01-01")
    small = g.produce(country="CF", zone="Nola", carats=0.5, on="2014-01-01")
    x = g.mix([big, small], on="2014-01-02")
    if ship:
        x = g.smuggle(x, to="CM", on="2014-02-01")
    for _ in range(cycles):
        a, b = g.split(x, [1.0, 1.0], on="2014-02-02")
        x = g.mix([a, b], on="2014-02-02")
    if ship:
        x = g.ship(x, to="AE", on="2014-03-01", certificate="CM-1")
    return g, big, x


def test_paths_through_a_thousand_splits_are_found_largest_first():
    """Through 1,100 splits every path carries less than float64 can hold: the paths are
    still found, the larger first (from the 1.5-ct mine), with carats 0.0 (14-review #8:
    explain returned () with no warning for a lot wholly of the origin)."""
    g, big, lot = deep(1100)
    assert kp.provenance.origin_shares(g, lots=[lot]).of(lot) == {"CF": pytest.approx(1.0)}
    paths = explain(g, lot, "CF", limit=4)
    assert len(paths) == 4
    assert [p.lots[0] for p in paths] == [big] * 4
    assert [p.carats for p in paths] == [0.0] * 4
    for path in paths:
        assert len(path.lots) == 2 + 2 * 1100
        assert len(path.flows) == len(path.lots) - 1


def test_an_audits_paths_through_a_thousand_splits_are_found():
    """The audit's paths come from the same search: through 1,100 splits they are found,
    listed whole (not truncated), the larger first."""
    g, big, _ = deep(1100, ship=True)
    (finding,) = kp.provenance.audit(g, register=None, limit=3)
    assert finding.share == pytest.approx(1.0)
    assert len(finding.paths) == 3
    assert not finding.paths.truncated
    # Smuggled carats' paths end at the smuggling, which the mixed lot fed.
    assert all(path.lots[0] == big + 3 for path in finding.paths)
    (finding,) = kp.provenance.audit(g, register=kp.participants.Register.default(), limit=3)[1:]
    assert finding.reason == "suspended"
    assert [path.lots[0] for path in finding.paths] == [big] * 3


def test_a_tiny_share_through_hundreds_of_splits_is_explained():
    """A flow of 1e-300 of a lot, then 600 splits: the path's weight underflows at the
    tiny flow itself, and the path is still found (it was dropped, and the search ran to
    its cap over the 2**600 paths that end there)."""
    g = kp.ProvenanceGraph()
    tiny = g.produce(country="BW", zone="Jwaneng", carats=1e-300, on="2014-01-01")
    x = g.mix([tiny, g.produce(country="BW", zone="Orapa", carats=1.0, on="2014-01-01")])
    for _ in range(600):
        a, b = g.split(x, [g.remaining(x) / 2] * 2)
        x = g.mix([a, b])
    paths = explain(g, x, "BW/Jwaneng", by="zone", limit=2)
    assert [p.lots[0] for p in paths] == [tiny, tiny]
    assert not paths.truncated


def lattice(depth):
    """A 2-ct lot of CF carats smuggled to Cameroon, split and re-mixed `depth` times."""
    return deep(depth, ship=True)


def test_a_search_cut_short_says_so_the_same_way_for_explain_and_the_audit(monkeypatch):
    """One search and one convention: at its cap the result is the largest paths found, an
    `IncompleteResultWarning` names the cap and what to do, and an audit's paths also say
    so in `truncated`."""
    g, _, lot = lattice(6)
    monkeypatch.setattr("kpmodel.provenance._explain.MAX_EXPANDED", 40)
    monkeypatch.setattr("kpmodel.provenance._audit.FINDING_MAX_EXPANDED", 40)
    message = r"examined 40 partial paths, the cap on one search.*Ask for fewer paths \(limit=\)"
    with pytest.warns(IncompleteResultWarning, match=message):
        cut = explain(g, lot, "CF", limit=50)
    assert 0 < len(cut) < 50
    assert cut.truncated
    assert cut.carats == pytest.approx(sum(p.carats for p in cut))
    (finding,) = kp.provenance.audit(g, register=None, limit=50)
    with pytest.warns(IncompleteResultWarning, match=r"for the finding on lot .*" + message):
        assert 0 < len(finding.paths) < 50
    assert finding.paths.truncated


def test_explain_says_whether_its_paths_are_all_and_stays_a_tuple():
    """explain's result is the tuple of its paths with `truncated` and `carats`, as an
    audit's `FindingPaths` has them, and keeps them through a pickle."""
    g, _, lot = lattice(4)
    paths = explain(g, lot, "CF", limit=10**6)
    assert isinstance(paths, tuple)
    assert paths == tuple(paths)
    assert not paths.truncated
    assert paths.carats == pytest.approx(2.0)
    assert type(paths[:2]) is tuple
    cut = kp.provenance.Explanation(paths[:2], truncated=True)
    again = pickle.loads(pickle.dumps(cut))
    assert again == paths[:2]
    assert again.truncated
    with pytest.raises(kp.errors.InvalidArgumentError, match=r"Explanation: paths\[1\] must be"):
        kp.provenance.Explanation([paths[0], "path"])
    with pytest.raises(kp.errors.InvalidArgumentError, match="truncated must be True or False"):
        kp.provenance.Explanation(paths, truncated="no")


def test_an_audits_findings_search_with_a_lower_cap_than_explain(monkeypatch):
    """An audit reads the paths of many findings: their search stops at 100,000 partial
    paths, explain's at 1,000,000 (15-review #13: the findings' cap went from 100,000 to
    1,000,000, +92 MiB and 3x the time for one finding on a 16-round lattice)."""
    from kpmodel.provenance import _audit

    assert _audit.FINDING_MAX_EXPANDED == 100_000 < MAX_EXPANDED
    g, _, lot = lattice(6)  # 128 paths
    monkeypatch.setattr("kpmodel.provenance._audit.FINDING_MAX_EXPANDED", 60)
    (finding,) = kp.provenance.audit(g, register=None, limit=10**6)
    with pytest.warns(IncompleteResultWarning, match="examined 60 partial paths"):
        assert 0 < len(finding.paths) < 2**7
    assert finding.paths.truncated
    whole = explain(g, lot, "CF", limit=10**6)  # explain's own cap
    assert len(whole) == 2**7
    assert not whole.truncated


def test_an_explanation_cannot_be_changed_and_its_repr_says_when_it_was_cut_short():
    """An Explanation is frozen like the records (15-review #12: ``e._truncated = False``
    turned a truncated explanation into a complete one), keeps `truncated` through every
    pickle protocol and copy, and its repr names `truncated` when it is True."""
    g, _, lot = lattice(2)
    paths = explain(g, lot, "CF", limit=10**6)
    cut = kp.provenance.Explanation(paths[:2], truncated=True)
    for name in ("_truncated", "truncated", "carats", "other"):
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(cut, name, False)
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            delattr(cut, name)
    assert cut.truncated
    assert repr(paths) == repr(tuple(paths))  # as before: doctests show the plain tuple
    assert repr(cut) == f"Explanation({tuple(cut)!r}, truncated=True)"
    path = kp.provenance.Path
    assert eval(repr(cut), {"Explanation": kp.provenance.Explanation, "Path": path}) == cut
    copies = [pickle.loads(pickle.dumps(cut, protocol)) for protocol in range(6)]
    for again in [*copies, copy.copy(cut), copy.deepcopy(cut)]:
        assert type(again) is kp.provenance.Explanation
        assert again == cut
        assert again.truncated
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            again._truncated = False
    assert not copy.deepcopy(paths).truncated
