"""Provenance graphs: invariants, origin attribution, paperwork, audits and exchange formats."""

import copy
import functools
import json
import pickle
import re
import threading
import types
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel.certificates import DeclaredOrigin
from kpmodel.errors import InvalidArgumentError, InvalidGraphError, UnknownCodeError
from kpmodel.provenance import (
    MIXED,
    de_minimis,
    declare_origin,
    declared_origins,
    explain,
    opacity,
    origin_shares,
    taint,
)
from kpmodel.testing.strategies import provenance_frames, provenance_graphs

BY = st.sampled_from(["country", "zone", "site"])


def reference_shares(graph, by="country"):
    """Slow, obviously correct attribution: recurse over each lot's inputs."""
    lots, flows = graph.to_frames()
    lots = lots.set_index("lot_id")
    inputs = defaultdict(list)
    for source, target, carats in flows.itertuples(index=False):
        inputs[target].append((source, carats))

    def label(lot):
        row = lots.loc[lot]
        parts = [row["origin"]]
        if by in ("zone", "site"):
            parts.append(row["zone"])
        if by == "site":
            parts.append(row["site"])
        return "/".join(p if isinstance(p, str) else "" for p in parts).rstrip("/")

    @functools.cache
    def shares(lot):
        if lots.loc[lot, "kind"] == "produce":
            return {label(lot): 1.0}
        mixed = defaultdict(float)
        received = 0.0
        for parent, carats in inputs[lot]:
            received += carats
            for origin, share in shares(parent).items():
                mixed[origin] += carats / lots.loc[lot, "carats"] * share
        unknown = 1 - received / lots.loc[lot, "carats"]
        if unknown > 1e-12:
            mixed["unknown"] += unknown
        return dict(mixed)

    return {lot: shares(lot) for lot in lots.index}


def snapshot(graph):
    lots, flows = graph.to_frames()
    return lots.sort_values("lot_id", key=lambda s: s.astype(str)).reset_index(drop=True), (
        flows.astype({"source": str, "target": str})
        .sort_values(["source", "target"])
        .reset_index(drop=True)
    )


def assert_same_frames(frames, expected):
    for frame, want in zip(frames, expected, strict=True):
        pd.testing.assert_frame_equal(frame, want)


def assert_same_graph(a, b):
    (lots_a, flows_a), (lots_b, flows_b) = snapshot(a), snapshot(b)
    pd.testing.assert_frame_equal(lots_a, lots_b)
    pd.testing.assert_frame_equal(flows_a, flows_b)


def open_lots(graph):
    return [lot for lot in graph.lots if graph.remaining(lot) > 1e-6]


class TestOriginShares:
    @given(provenance_graphs(), BY)
    def test_rows_sum_to_one(self, graph, by):
        """Under mass balance every lot's shares sum to 1, unknown included."""
        shares = origin_shares(graph, by=by)
        assert shares.values.shape == (len(graph), len(shares.origins))
        np.testing.assert_allclose(shares.values.sum(axis=1), 1.0, rtol=0, atol=1e-9)
        assert shares.origins[-1] == "unknown"

    @given(provenance_graphs(), BY)
    def test_agrees_with_slow_reference(self, graph, by):
        """The level-by-level kernel agrees with a per-lot recursive walk of the inputs."""
        frame = origin_shares(graph, by=by).to_frame()
        for lot, expected in reference_shares(graph, by).items():
            got = {o: v for o, v in frame.loc[lot].items() if v > 1e-12}
            assert got.keys() == {o for o, v in expected.items() if v > 1e-12}
            for origin, value in got.items():
                assert value == pytest.approx(expected[origin], abs=1e-9)

    @given(provenance_graphs(), st.data())
    def test_splitting_preserves_shares(self, graph, data):
        """Every part of a split lot has the shares of the lot it came from."""
        lot = data.draw(st.sampled_from(open_lots(graph) or [None]))
        if lot is None:
            return
        before = origin_shares(graph).of(lot)
        parts = graph.split(lot, [graph.remaining(lot) / 3, graph.remaining(lot) / 2])
        shares = origin_shares(graph)
        for part in parts:
            after = shares.of(part)
            assert after.keys() == before.keys()
            for origin, value in before.items():
                assert after[origin] == pytest.approx(value, abs=1e-12)

    @given(provenance_graphs(), st.data())
    def test_mixing_gives_the_carat_weighted_average(self, graph, data):
        """A mixed lot's shares are its inputs' shares weighted by the carats they give."""
        places = defaultdict(list)
        for lot in open_lots(graph):
            places[graph.location(lot)].append(lot)
        groups = [lots for lots in places.values() if len(lots) >= 2]
        if not groups:
            return
        lots = data.draw(st.sampled_from(groups))
        before = origin_shares(graph).to_frame()
        weights = np.array([graph.remaining(lot) for lot in lots])
        expected = (before.loc[lots].to_numpy() * weights[:, None]).sum(axis=0) / weights.sum()
        mixed = graph.mix(lots)
        after = origin_shares(graph).to_frame()
        np.testing.assert_allclose(after.loc[mixed].to_numpy(), expected, atol=1e-12)

    @given(provenance_graphs(), st.randoms(use_true_random=False))
    def test_relabelling_and_reordering_lots_changes_nothing(self, graph, random):
        """Renaming lot ids and shuffling the frames' rows gives the same shares per lot."""
        lots, flows = graph.to_frames()
        rename = {lot: f"lot-{lot}" for lot in lots["lot_id"]}
        lots["lot_id"] = lots["lot_id"].map(rename)
        flows["source"], flows["target"] = flows["source"].map(rename), flows["target"].map(rename)
        order = list(range(len(lots)))
        random.shuffle(order)
        relabelled = kp.ProvenanceGraph.from_frames(lots.iloc[order], flows)
        a = origin_shares(graph).to_frame().rename(index=rename)
        b = origin_shares(relabelled).to_frame()
        pd.testing.assert_frame_equal(a.sort_index(), b.sort_index(), atol=1e-12, rtol=0)

    @given(provenance_graphs(), BY)
    def test_taint_marks_a_superset_of_proportional(self, graph, by):
        """Taint marks every origin with a positive share, and only with 0/1 values."""
        proportional = origin_shares(graph, by=by).values > 1e-12
        tainted = origin_shares(graph, by=by, mixing=taint).values
        assert set(np.unique(tainted)) <= {0.0, 1.0}
        assert np.all(tainted[proportional] == 1.0)

    @given(provenance_graphs(), st.floats(0.01, 0.5))
    def test_de_minimis_drops_small_shares_and_keeps_sums(self, graph, threshold):
        """Under de minimis, mixed lots hold no share below the threshold; rows sum to 1."""
        shares = origin_shares(graph, mixing=de_minimis(threshold)).values
        np.testing.assert_allclose(shares.sum(axis=1), 1.0, atol=1e-9)
        mixed = graph._column("level") > 0
        small = (shares[mixed] > 0) & (shares[mixed] < threshold - 1e-12)
        assert not small.any()

    @given(provenance_graphs(), BY, st.sampled_from(["proportional", "taint", de_minimis(0.2)]))
    def test_sparse_and_dense_results_agree(self, graph, by, mixing):
        """The sparse kernel gives the dense kernel's shares, for every rule."""
        dense = origin_shares(graph, by=by, mixing=mixing, sparse=False)
        sparse = origin_shares(graph, by=by, mixing=mixing, sparse=True)
        np.testing.assert_allclose(sparse.values.toarray(), dense.values, atol=1e-12)
        pd.testing.assert_frame_equal(
            sparse.to_frame().sparse.to_dense(), dense.to_frame(), check_dtype=False, atol=1e-12
        )

    def test_user_rule_and_bad_rules(self):
        """Any shape-preserving callable is a rule; others are refused clearly."""
        g = kp.ProvenanceGraph()
        a = g.produce(country="BW", carats=3, on="2020-01-01")
        b = g.ship(g.produce(country="RU", carats=1, on="2020-01-01"), to="BW", on="2020-01-02")
        mixed = g.mix([a, b])
        majority = origin_shares(g, mixing=lambda s: (s == s.max(axis=1, keepdims=True)) * 1.0)
        assert majority.of(mixed) == {"BW": 1.0}
        with pytest.raises(InvalidArgumentError, match="shape"):
            origin_shares(g, mixing=lambda s: s[:, :1])
        with pytest.raises(InvalidArgumentError, match="mixing"):
            origin_shares(g, mixing="mass-balance")
        with pytest.raises(InvalidArgumentError, match="by"):
            origin_shares(g, by="province")
        with pytest.raises(InvalidArgumentError):
            de_minimis(1.5)

    def test_unknown_origin_is_explicit(self):
        """Carats that enter with no documented source are attributed to 'unknown'."""
        lots = pd.DataFrame(
            {
                "lot_id": ["found", "mine", "hub"],
                "carats": [5.0, 10.0, 20.0],
                "origin": [None, "BW", None],
            }
        )
        flows = pd.DataFrame(
            {"source": ["found", "mine"], "target": ["hub", "hub"], "carats": [5.0, 10.0]}
        )
        shares = origin_shares(kp.ProvenanceGraph.from_frames(lots, flows))
        assert shares.of("hub") == {"BW": 0.5, "unknown": 0.5}
        assert shares.of("found") == {"unknown": 1.0}


class TestInvariants:
    @given(provenance_graphs(unknown_sources=False), st.data())
    def test_refused_changes_leave_the_graph_unchanged(self, graph, data):
        """Over-drawing, time travel, dangling ids and scattered mixes raise and change nothing."""
        before = snapshot(graph)
        lot = data.draw(st.sampled_from(list(graph.lots)))
        attempts = [
            lambda: graph.split(lot, [graph.remaining(lot) + 1]),
            lambda: graph.ship(lot, to="BE", on="1990-01-01"),
            lambda: graph.split(10_000, [1]),
            lambda: graph.mix([lot, "nope"]),
            lambda: graph.smuggle(lot, to="XX", on="2030-01-01"),
        ]
        places = {graph.location(o): o for o in open_lots(graph)}
        if len(places) >= 2:
            attempts.append(lambda: graph.mix(list(places.values())[:2]))
        for attempt in attempts:
            with pytest.raises(kp.KPModelError):
                attempt()
            after = snapshot(graph)
            pd.testing.assert_frame_equal(before[0], after[0])
            pd.testing.assert_frame_equal(before[1], after[1])

    @given(provenance_graphs(min_lots=2), st.data())
    def test_invalid_frames_are_refused(self, graph, data):
        """Cycles, dangling flows, over-drawn lots and time travel in frames are refused."""
        lots, flows = graph.to_frames()
        if flows.empty:
            return
        row = flows.iloc[data.draw(st.integers(0, len(flows) - 1))]
        broken = {
            "cycle": (
                lots,
                pd.concat(
                    [
                        flows,
                        pd.DataFrame(
                            [{"source": row.target, "target": row.source, "carats": 1e-9}]
                        ),
                    ]
                ),
            ),
            "not in the lots frame": (
                lots,
                pd.concat(
                    [
                        flows,
                        pd.DataFrame([{"source": row.source, "target": "ghost", "carats": 1.0}]),
                    ]
                ),
            ),
            "gives more": (
                lots,
                flows.assign(
                    carats=np.where(
                        flows.index == row.name, flows["carats"] * 1e6, flows["carats"]
                    )
                ),
            ),
        }
        late = lots.copy()
        late["on"] = late["on"].where(late["lot_id"] != row.target, pd.Timestamp("1900-01-01"))
        if not pd.isna(lots.loc[lots["lot_id"] == row.source, "on"]).all():
            broken["precedes"] = (late, flows)
        for what, (bad_lots, bad_flows) in broken.items():
            with pytest.raises(InvalidGraphError, match=what):
                kp.ProvenanceGraph.from_frames(bad_lots, bad_flows)

    def test_frames_report_every_problem_at_once(self):
        """Bulk validation lists all problems, and unknown codes raise UnknownCodeError."""
        lots = pd.DataFrame(
            {"lot_id": [1, 1, 2], "carats": [1.0, -1.0, 1.0], "origin": ["BW", None, None]}
        )
        flows = pd.DataFrame({"source": [9], "target": [2], "carats": [1.0]})
        with pytest.raises(InvalidGraphError) as info:
            kp.ProvenanceGraph.from_frames(lots, flows)
        message = str(info.value)
        assert "duplicate lot_id" in message
        assert "> 0" in message
        assert "not in the lots" in message
        with pytest.raises(UnknownCodeError, match="'ZZ'"):
            kp.ProvenanceGraph.from_frames(lots.assign(origin=["ZZ", None, None]), flows)
        with pytest.raises(InvalidGraphError, match="required columns"):
            kp.ProvenanceGraph.from_frames(lots.drop(columns="origin"), flows)

    def test_carats_may_be_decimals_and_bad_arguments_are_refused(self):
        """Decimals are accepted; wrong types raise InvalidArgumentError."""
        from decimal import Decimal

        g = kp.ProvenanceGraph()
        lot = g.produce(country="BW", carats=Decimal("12.5"), on="2020-01-01")
        assert g.remaining(lot) == 12.5
        with pytest.raises(InvalidArgumentError):
            g.produce(country="BW", carats="12", on="2020-01-01")
        with pytest.raises(InvalidArgumentError):
            g.produce(country="BW", carats=1, on="yesterday")
        with pytest.raises(InvalidArgumentError):
            g.ship(lot, to="BE", on="2020-02-01", certificate=42)


class TestRoundTrips:
    @given(provenance_graphs())
    def test_node_link_json_round_trip_is_the_identity(self, graph):
        """Node-link data through JSON text rebuilds the same graph."""
        data = json.loads(json.dumps(graph.to_node_link()))
        assert_same_graph(graph, kp.ProvenanceGraph.from_node_link(data))

    @given(graph=provenance_graphs(max_lots=12))
    def test_graphml_round_trip_is_the_identity(self, graph, tmp_path_factory):
        """A GraphML file rebuilds the same graph."""
        path = tmp_path_factory.mktemp("graphml") / "graph.graphml"
        graph.write_graphml(path)
        assert_same_graph(graph, kp.ProvenanceGraph.read_graphml(path))

    def test_networkx_view_has_lots_and_flows(self):
        """to_networkx gives one node per lot and one edge per flow, with attributes."""
        g = kp.ProvenanceGraph()
        a = g.produce(country="CF", carats=4, on="2014-01-01", zone="Nola")
        b = g.smuggle(a, to="CM", on="2014-02-01")
        digraph = g.to_networkx()
        assert digraph.nodes[a] == {
            "kind": "produce",
            "carats": 4.0,
            "origin": "CF",
            "on": "2014-01-01",
            "country": "CF",
            "zone": "Nola",
            "list_origins": False,
        }
        assert digraph.edges[a, b] == {"carats": 4.0}

    def test_prov_export(self):
        """PROV-JSON has an entity per lot, derivations with shares, and agents."""
        g = kp.ProvenanceGraph()
        a = g.produce(country="BW", carats=30, on="2023-01-01")
        b = g.produce(country="BW", carats=10, on="2023-01-01")
        g.ship(g.mix([a, b]), to="BE", on="2023-02-01", certificate="BW-1")
        doc = json.loads(g.to_prov().serialize(format="json"))
        assert len(doc["entity"]) == 4
        shares = sorted(float(d["kp:share"]["$"]) for d in doc["wasDerivedFrom"].values())
        assert shares == pytest.approx([0.25, 0.75, 1.0])
        assert {"kp:authority-BE", "kp:authority-BW", "kp:producers-BW"} <= set(doc["agent"])


def laundering_case():
    """CAR zone goods smuggled to Cameroon, certified there, mixed in Dubai, re-exported."""
    g = kp.ProvenanceGraph()
    car = g.produce(country="CF", carats=100, on="2014-03-01", zone="Bria")
    cm_own = g.produce(country="CM", carats=20, on="2014-03-15")
    in_cm = g.smuggle(car, to="CM", on="2014-04-01")
    to_dubai = g.ship(g.mix([in_cm, cm_own]), to="AE", on="2014-05-01", certificate="CM-0001")
    bw = g.ship(g.produce(country="BW", carats=300, on="2014-02-01"), to="AE", on="2014-04-20")
    ru = g.ship(g.produce(country="RU", carats=180, on="2014-02-01"), to="AE", on="2014-04-20")
    out = g.ship(g.mix([to_dubai, bw, ru]), to="IN", on="2014-06-01", certificate="AE-0002")
    return g, to_dubai, out


class FakeRegister:
    """CAR suspended (2013-05-23 on), Cameroon, Botswana, Russia, UAE, India participants."""

    def participant_of(self, country, *, on=None):
        return None if country == "XK" else country

    def status(self, code, *, on):
        suspended = code == "CF" and on is not None and str(on) >= "2013-05-23"
        return types.SimpleNamespace(value="suspended" if suspended else "participant")

    def may_trade(self, code, *, on, zone=None):
        return self.status(code, on=on).value == "participant"


class TestPaperworkAndAudit:
    def test_declare_origin_rule(self):
        """The rule: single origin, exporter for undocumented carats, MIXED or the list."""
        single, mixed = DeclaredOrigin.single, DeclaredOrigin.mixed
        assert declare_origin(["CF"], exporter="CM", undocumented=False) == single("CF")
        assert declare_origin(["CM"], exporter="CM", undocumented=True) == single("CM")
        assert declare_origin(["BW"], exporter="AE", undocumented=True) == mixed()
        assert declare_origin(["BW", "RU"], exporter="AE", undocumented=False) == mixed()
        assert declare_origin(
            [single("BW"), single("RU")], exporter="AE", undocumented=False, list_origins=True
        ) == mixed(["BW", "RU"])
        assert (
            declare_origin([MIXED, "RU"], exporter="AE", undocumented=False, list_origins=True)
            == mixed()
        )
        # a listed mixed input passes its countries on
        assert declare_origin(
            [mixed(["BW", "RU"]), single("CA")],
            exporter="BE",
            undocumented=False,
            list_origins=True,
        ) == mixed(["BW", "CA", "RU"])
        # an exporter with no known country certifies nothing readable
        assert declare_origin([], exporter=None, undocumented=True) == mixed()

    def test_declared_origins_along_the_laundering_chain(self):
        """Cameroon certifies smuggled CAR goods as its own; Dubai re-exports them as MIXED."""
        g, to_dubai, out = laundering_case()
        declared = declared_origins(g).set_index("lot_id")["declared_origin"].to_dict()
        assert declared[to_dubai] == DeclaredOrigin.single("CM")
        assert declared[out] == DeclaredOrigin.mixed()
        shares = origin_shares(g).of(out)
        assert shares["CF"] == pytest.approx(100 / 600)

    def test_opacity(self):
        """Carats under MIXED are opaque; a false single origin is opaque for its other part."""
        g, to_dubai, out = laundering_case()
        per_shipment = opacity(g, per="shipment")
        assert per_shipment.loc[out, "opacity"] == pytest.approx(1.0)
        assert per_shipment.loc[to_dubai, "opaque_carats"] == pytest.approx(100.0)
        assert opacity(g).loc["AE", "carats"] == pytest.approx(600.0)

    def test_audit_finds_the_laundered_parcel(self):
        """Both certificates look clean; the audit finds the suspended origin and the smuggling."""
        g, to_dubai, out = laundering_case()
        findings = kp.provenance.audit(g, register=FakeRegister())
        found = {(f.lot, f.reason, f.origin) for f in findings}
        assert found == {
            (to_dubai, "smuggled", "smuggled"),
            (to_dubai, "suspended", "CF/Bria"),
            (out, "smuggled", "smuggled"),
            (out, "suspended", "CF/Bria"),
        }
        final = next(f for f in findings if f.lot == out and f.reason == "suspended")
        assert final.declared_origin == DeclaredOrigin.mixed()
        assert final.certificate == "AE-0002"
        assert final.carats == pytest.approx(100.0)
        assert sum(p.carats for p in final.paths) == pytest.approx(100.0)
        assert "Section III(c)" in final.reference

    @given(provenance_graphs(), st.data())
    def test_explain_paths_add_up_to_the_share(self, graph, data):
        """The carats of the explaining paths add up to the lot's carats times its share."""
        shares = origin_shares(graph)
        lot = data.draw(st.sampled_from(list(graph.lots)))
        for origin, share in shares.of(lot).items():
            paths = explain(graph, lot, origin, limit=10_000)
            carats = graph._column("carats")[graph._positions([lot])[0]]
            assert sum(p.carats for p in paths) == pytest.approx(carats * share, rel=1e-9)
            assert all(p.lots[-1] == lot and len(p.flows) == len(p.lots) - 1 for p in paths)

    def test_audit_with_the_shipped_register(self):
        """With the real register, CAR goods shipped in 2014 come from a suspended participant."""
        from kpmodel.participants import Register

        g, to_dubai, out = laundering_case()
        reasons = {(f.lot, f.reason) for f in kp.provenance.audit(g, register=Register.default())}
        assert reasons == {
            (to_dubai, "suspended"),
            (to_dubai, "smuggled"),
            (out, "suspended"),
            (out, "smuggled"),
        }
        assert [f.reason for f in kp.provenance.audit(g, register=None)] == [
            "smuggled",
            "smuggled",
        ]

    def test_certificate_objects_listing_and_fraud(self):
        """A certificate object gives its number; listing and forged declarations are kept."""
        g = kp.ProvenanceGraph()
        bw = g.ship(g.produce(country="BW", carats=3, on="2024-01-01"), to="AE", on="2024-02-01")
        ru = g.ship(g.produce(country="RU", carats=1, on="2024-01-01"), to="AE", on="2024-02-01")
        listed = g.ship(
            g.mix([bw, ru]),
            to="BE",
            on="2024-03-01",
            certificate=types.SimpleNamespace(number="AE-77"),
            list_origins=True,
        )
        forged = g.ship(listed, to="IN", on="2024-04-01", declared_origin="BW")
        table = declared_origins(g).set_index("lot_id")
        assert table.loc[listed, "certificate"] == "AE-77"
        assert table.loc[listed, "declared_origin"] == DeclaredOrigin.mixed(["BW", "RU"])
        assert table.loc[forged, "declared_origin"] == DeclaredOrigin.single("BW")
        # the override takes the type or its text; anything else is refused by name
        again = g.ship(forged, to="BE", on="2024-05-01", declared_origin="MIXED (RU, BW)")
        table = declared_origins(g).set_index("lot_id")
        assert str(table.loc[again, "declared_origin"]) == "MIXED (BW, RU)"
        with pytest.raises(kp.errors.UnknownCodeError, match="declared_origin 'XX'"):
            g.ship(again, to="IN", on="2024-06-01", declared_origin="XX")
        with pytest.raises(kp.errors.InvalidArgumentError, match="DeclaredOrigin"):
            g.ship(again, to="IN", on="2024-06-01", declared_origin=["BW"])
        assert opacity(g, per="shipment").loc[forged, "opaque_carats"] == pytest.approx(1.0)

    def test_audit_and_opacity_work_on_sparse_shares(self, monkeypatch):
        """Graphs too big for dense shares give the same audit and opacity (sparse path)."""
        g, _, _ = laundering_case()
        dense_findings = kp.provenance.audit(g, register=FakeRegister())
        dense_opacity = opacity(g)
        monkeypatch.setattr("kpmodel.provenance._shares.DENSE_LIMIT", 0)
        assert kp.provenance.audit(g, register=FakeRegister()) == dense_findings
        pd.testing.assert_frame_equal(opacity(g), dense_opacity)


@pytest.mark.parametrize("data", [[], None, {"nodes": 3}, {"nodes": [], "edges": 5}])
def test_bad_node_link_data_is_a_kpmodel_error(data):
    """Node-link data of the wrong shape is refused with a KPModelError, never another error."""
    with pytest.raises(kp.KPModelError):
        kp.ProvenanceGraph.from_node_link(data)


def test_bad_graphml_file_is_a_kpmodel_error(tmp_path):
    """A damaged or missing GraphML file is refused with a KPModelError naming the file."""
    damaged = tmp_path / "damaged.graphml"
    damaged.write_text("<graphml><oops", encoding="utf-8")
    with pytest.raises(kp.errors.InvalidGraphError, match=r"damaged\.graphml"):
        kp.ProvenanceGraph.read_graphml(damaged)
    with pytest.raises(kp.errors.LoadError, match=r"missing\.graphml"):
        kp.ProvenanceGraph.read_graphml(tmp_path / "missing.graphml")


def _shares_frame(graph, by="country"):
    frame = origin_shares(graph, by=by).to_frame()
    frame = frame.loc[:, (frame != 0).any()]  # an origin of no carats may be listed or not
    return frame.sort_index(axis=1).sort_index(key=lambda ids: ids.map(repr))


class TestParallelFlows:
    @given(provenance_frames(max_lots=15, parallel_flows=True), BY)
    def test_shares_survive_networkx_node_link_and_graphml(self, frames, by):
        """Parallel flows are merged: round trips keep every carat, and the shares."""
        lots, cut = frames
        flows = cut.groupby(["source", "target"], sort=False, as_index=False)[["carats"]].sum()
        graph = kp.ProvenanceGraph.from_frames(lots, cut)
        assert graph.number_of_flows == len(flows)
        expected = _shares_frame(graph, by)
        data = json.loads(json.dumps(graph.to_node_link()))
        for rebuilt in (
            kp.ProvenanceGraph.from_node_link(data),
            kp.ProvenanceGraph.from_networkx(graph.to_networkx()),
        ):
            pd.testing.assert_frame_equal(_shares_frame(rebuilt, by), expected, atol=1e-12)
        unsplit = kp.ProvenanceGraph.from_frames(lots, flows)
        pd.testing.assert_frame_equal(_shares_frame(unsplit, by), expected, atol=1e-9)

    def test_two_deliveries_are_one_flow_in_every_view(self, tmp_path):
        """The hostile reproducer: 5 + 5 ct of CF stay 50 % through JSON and GraphML."""
        lots = pd.DataFrame(
            {
                "lot_id": ["mine", "other", "hub"],
                "carats": [10.0, 10.0, 20.0],
                "origin": ["CF", "BW", None],
            }
        )
        flows = pd.DataFrame(
            {
                "source": ["mine", "mine", "other"],
                "target": ["hub", "hub", "hub"],
                "carats": [5.0, 5.0, 10.0],
            }
        )
        graph = kp.ProvenanceGraph.from_frames(lots, flows)
        assert graph.number_of_flows == 2
        assert graph.to_networkx().edges["mine", "hub"] == {"carats": 10.0}
        path = tmp_path / "graph.graphml"
        graph.write_graphml(path)
        data = json.loads(json.dumps(graph.to_node_link()))
        for rebuilt in (
            graph,
            kp.ProvenanceGraph.from_node_link(data),
            kp.ProvenanceGraph.read_graphml(path),
        ):
            assert origin_shares(rebuilt).of("hub") == {"BW": 0.5, "CF": 0.5}
        assert len(kp.provenance.explain(graph, "hub", "CF")) == 1

    def test_networkx_view_sums_parallel_flows_it_is_given(self):
        """Should a graph hold two flows between the same lots, its views sum them."""
        graph = kp.ProvenanceGraph()
        mine = graph.produce(country="CF", carats=10, on="2014-01-01")
        hub = graph.mix([mine], on="2014-02-01")
        # A second flow mine -> hub (4 ct), written past the checks: the edge carries 14 ct.
        flows = graph._flows
        for name in flows:
            flows[name] = np.append(flows[name][: graph._m], flows[name][graph._m - 1])
        flows["carats"][-1] = 4.0
        graph._m += 1
        assert graph.to_networkx().edges[mine, hub] == {"carats": 14.0}
        (edge,) = graph.to_node_link()["edges"]
        assert edge["carats"] == 14.0


NO_FLOWS = pd.DataFrame(columns=["source", "target", "carats"])


def _produced(ids, dtype):
    """A graph of one production lot (1 ct, Botswana) per id, the ids kept as `dtype`."""
    lots = pd.DataFrame({"lot_id": np.array(ids, dtype), "carats": 10.0, "origin": "BW"})
    return kp.ProvenanceGraph.from_frames(lots, NO_FLOWS)


@st.composite
def ids_at_the_ends(draw):
    """Distinct ids of an integer type, often its largest and smallest values."""
    dtype = draw(st.sampled_from([np.int64, np.uint64, np.int8]))
    info = np.iinfo(dtype)
    ends = draw(st.sets(st.sampled_from([int(info.max), int(info.min)])))
    others = draw(st.sets(st.integers(int(info.min), int(info.max)), max_size=5))
    return dtype, sorted(ends | others, key=lambda i: (i % 7, i)) or [int(info.max)]


class TestAppendToLoadedGraph:
    @given(ids_at_the_ends(), st.lists(st.sampled_from(["produce", "split", "mix"]), max_size=6))
    def test_ids_before_are_kept_and_new_lots_are_found(self, case, steps):
        """Appending never changes the loaded ids (values or type); each new id is found."""
        dtype, ids = case
        graph = _produced(ids, dtype)
        before = graph.lots.copy()
        new = []
        for step in steps:
            lot = new[-1] if new else ids[0]
            if step == "produce":
                new.append(graph.produce(country="BW", carats=1, on="2020-01-01"))
            elif step == "split" and graph.remaining(lot) > 1e-6:
                new.append(graph.split(lot, [graph.remaining(lot) / 2])[0])
            elif step == "mix" and graph.remaining(lot) > 1e-6:
                new.append(graph.mix([lot]))
            if new:  # seen at once, before the ids are read as an Index
                assert graph.remaining(new[-1]) >= 0
        assert graph.lots.dtype == before.dtype
        pd.testing.assert_index_equal(graph.lots[: len(before)], before)
        assert graph.lots.is_unique
        assert graph.lots[len(before) :].tolist() == new
        for lot in new:
            assert graph.lots[graph.lots.get_loc(lot)] == lot
            assert sum(origin_shares(graph, lots=[lot]).of(lot).values()) == pytest.approx(1)

    @pytest.mark.parametrize(
        ("ids", "twice", "shown"),
        [
            (["L1", "L2", "L3"], ["L2", "L3", "L2"], "'L2'"),
            ([10, 20], [np.int64(20), 20], "20"),
        ],
    )
    def test_a_lot_mixed_twice_is_named_by_its_id(self, ids, twice, shown):
        """mix refused a lot given twice showing storage positions ("got [1, 1]" on a graph
        whose ids are 'L1', 'L2', 'L3'; 18-review9, 5): it names the id and both places."""
        graph = _produced(ids, object if isinstance(ids[0], str) else np.int64)
        where = len(twice) - 1
        first = twice.index(twice[where])
        expected = rf"^lots\[{where}\]: {shown} is given twice \(as lots\[{first}\]\)"
        with pytest.raises(InvalidArgumentError, match=expected):
            graph.mix(twice)
        with pytest.raises(InvalidArgumentError, match="got none"):
            graph.mix([])

    def test_after_the_largest_int64_id(self):
        """The hostile reproducer: a split of lot 2**63 - 1 takes a free id below it."""
        graph = _produced([2**63 - 1], np.int64)
        (new,) = graph.split(2**63 - 1, [5.0], on="2020-01-01")
        assert graph.lots.tolist() == [2**63 - 1, new]
        assert graph.lots.dtype == np.int64
        assert graph.remaining(new) == 5.0
        assert origin_shares(graph, lots=[new]).of(new) == {"BW": 1.0}

    def test_a_split_with_too_few_free_ids_adds_no_part(self):
        """The hostile reproducer: with one uint8 id free, a split into two parts is
        refused before the first part is written, and can then be made with one part."""
        graph = _produced(np.arange(1, 256), np.uint8)
        before = graph.to_frames()
        with pytest.raises(InvalidGraphError, match=r"no lot id is free.*graph is unchanged"):
            graph.split(np.uint8(3), [2, 3])
        assert_same_frames(graph.to_frames(), before)
        assert graph.remaining(np.uint8(3)) == 10.0
        assert graph.split(np.uint8(3), [2]) == [0]

    def test_the_ids_of_one_split_are_distinct(self):
        """Ids found for a split's parts count as taken before they are appended: with
        uint8 ids 1..253, three parts take 254, 255 and 0, and a fourth part has none."""
        graph = _produced(np.arange(1, 254), np.uint8)
        before = graph.to_frames()
        with pytest.raises(InvalidGraphError, match=r"253 lot ids and the 3 found"):
            graph.split(1, [1, 1, 1, 1])
        assert_same_frames(graph.to_frames(), before)
        assert graph.split(1, [1, 1, 1]) == [254, 255, 0]

    @given(st.sampled_from([np.uint8, np.int8]), st.data())
    def test_a_call_refused_for_want_of_ids_changes_nothing(self, dtype, data):
        """With a few ids free, a split into more parts, or any append once they are taken,
        is refused and changes nothing: the calls after it take the ids they would have."""
        info = np.iinfo(dtype)
        low, high = int(info.min), int(info.max)
        near_ends = st.sampled_from(sorted({low, low + 1, max(low, -1), 0, 1, high - 1, high}))
        free = data.draw(st.sets(near_ends | st.integers(low, high), max_size=3))
        # From the top down: uint8 ids 0..255 in order would be read as positions.
        ids = [i for i in range(high, low - 1, -1) if i not in free]
        graph, twin = _produced(ids, dtype), _produced(ids, dtype)
        lot = data.draw(st.sampled_from(ids))
        call = data.draw(st.sampled_from(["split", "produce", "mix", "ship", "smuggle", "seize"]))
        if call != "split" and free:  # take the free ids first, in both graphs
            assert graph.split(lot, [0.5] * len(free)) == twin.split(lot, [0.5] * len(free))
        parts = len(free) + data.draw(st.integers(1, 3))
        before = graph.to_frames()
        refused = {
            "split": lambda: graph.split(lot, [0.5] * parts),
            "produce": lambda: graph.produce(country="BW", carats=1, on="2020-01-01"),
            "mix": lambda: graph.mix([lot]),
            "ship": lambda: graph.ship(lot, to="BE", on="2030-01-01"),
            "smuggle": lambda: graph.smuggle(lot, to="CM", on="2030-01-01"),
            "seize": lambda: graph.seize(lot, on=None),
        }[call]
        with pytest.raises(InvalidGraphError, match="no lot id is free"):
            refused()
        assert_same_frames(graph.to_frames(), before)
        if call == "split" and free:
            assert graph.split(lot, [0.5] * len(free)) == twin.split(lot, [0.5] * len(free))
        assert_same_graph(graph, twin)

    def test_a_type_with_no_free_id_is_refused(self):
        """When the ids take every value of their type the append is refused, graph intact."""
        graph = _produced(np.arange(-128, 128), np.int8)
        with pytest.raises(InvalidGraphError, match=r"no lot id is free.*int8.*renumber"):
            graph.produce(country="BW", carats=1, on="2020-01-01")
        assert len(graph) == 256
        assert graph.lots.dtype == np.int8

    @given(provenance_frames(max_lots=12), st.lists(st.integers(0, 2), max_size=8))
    def test_extended_lot_by_lot_is_the_graph_built_in_one_go(self, frames, steps):
        """Lots appended one by one to a loaded graph: the same ids (the next free int, as
        before), lots and shares as the graph built from the final frames at once."""
        lots, flows = frames
        graph = kp.ProvenanceGraph.from_frames(lots, flows)
        ids = graph.lots.tolist()
        integer = graph.lots.dtype.kind in "iu"
        for step in steps:
            expected = max(ids) + 1 if integer else len(ids)
            while expected in ids:
                expected += 1
            ids.append(expected)
            last = graph.lots[-1] if step else None
            if step == 1 and graph.remaining(last) > 1e-6:
                new = graph.split(last, [graph.remaining(last) / 3])[0]
            elif step == 2 and graph.remaining(last) > 1e-6:
                new = graph.ship(last, to="BE", on="2030-01-01")
            else:
                new = graph.produce(country="CF", carats=2, on="2030-01-01")
            assert new == expected
            assert graph.remaining(new) >= 0  # found at once
        assert graph.lots.tolist() == ids
        at_once = kp.ProvenanceGraph.from_frames(*graph.to_frames())
        assert sorted(at_once.lots.tolist(), key=repr) == sorted(ids, key=repr)
        pd.testing.assert_frame_equal(_shares_frame(graph), _shares_frame(at_once))


#: The columns of a frame of flows (with no flows, for graphs of lots alone).
FLOW_COLUMNS = ["source", "target", "carats"]

#: Ways to copy a graph, by name.
COPIES = {
    "copy.copy": copy.copy,
    "copy.deepcopy": copy.deepcopy,
    "pickle": lambda graph: pickle.loads(pickle.dumps(graph)),
}


def _mine_mixed_in(graph, lot, *, carats, on):
    """Append a mine's lot at `lot`'s place (BW without one) and mix `lot` into it."""
    place = "BW" if lot is None else graph.location(lot)
    mine = graph.produce(country=place, carats=carats, on=on)
    return mine if lot is None else graph.mix([lot, mine], on=on)


class TestCopies:
    @given(provenance_graphs(max_lots=15), st.sampled_from(sorted(COPIES)), st.data())
    def test_a_copy_and_its_original_grow_apart(self, graph, how, data):
        """A copy and its original, grown differently in turns, each grow as a graph of
        their own would: as a twin rebuilt from the frames, given the same steps, and with
        the shares of the graph their own frames rebuild."""
        frames = graph.to_frames()
        twins = [kp.ProvenanceGraph.from_frames(*frames) for _ in range(2)]
        last = frames[0]["on"].max().date()
        # A lot appended before the copy: its id is not yet in the ids' Index.
        lots = open_lots(graph)
        lot = data.draw(st.sampled_from(lots)) if lots else None
        for grown in (graph, *twins):
            _mine_mixed_in(grown, lot, carats=3, on=last)
        copied = COPIES[how](graph)
        for step in range(4):
            grown, twin = ((graph, twins[0]), (copied, twins[1]))[step % 2]
            lots = open_lots(grown)
            lot = data.draw(st.sampled_from(lots)) if lots else None
            carats = 5 if grown is graph else 7
            made = _mine_mixed_in(grown, lot, carats=carats, on=last)
            assert made == _mine_mixed_in(twin, lot, carats=carats, on=last)
        for grown, twin in ((graph, twins[0]), (copied, twins[1])):
            assert_same_graph(grown, twin)
            rebuilt = kp.ProvenanceGraph.from_frames(*grown.to_frames())
            pd.testing.assert_frame_equal(_shares_frame(grown), _shares_frame(rebuilt))

    @pytest.mark.parametrize(
        "odd",
        [("mine", 1), b"mine", 1.5, True, frozenset({1}), np.timedelta64(5, "D")],
        ids=["tuple", "bytes", "float", "bool", "frozenset", "duration"],
    )
    @pytest.mark.parametrize("where", ["built", "appended"])
    def test_a_pickle_whose_ids_are_not_ints_or_text_is_refused(self, odd, where):
        """A graph pickled by an older kpmodel with tuple ids loaded, then half-worked
        (remaining() called its own lots "not in the graph", trace raised a bare pandas
        AssertionError, describe_lot a bare KeyError): loading it is refused, saying
        what to do. The state is tampered with, as no old kpmodel can run here."""
        lots = pd.DataFrame({"lot_id": ["a", "b"], "carats": 1.0, "origin": "BW"})
        graph = kp.ProvenanceGraph.from_frames(lots, pd.DataFrame(columns=FLOW_COLUMNS))
        if where == "built":
            graph._id_index = pd.Index(["a", odd], dtype=object, tupleize_cols=False)
        else:
            graph._added_ids = [odd]
            graph._added_at = {odd: 2}
        state = graph.__dict__.copy()
        data = pickle.dumps(graph)
        for load in (lambda: pickle.loads(data), lambda: copy.deepcopy(graph)):
            with pytest.raises(InvalidGraphError) as error:
                load()
            message = str(error.value)
            assert message.startswith("this graph was pickled by an older kpmodel")
            if where == "built":  # (appended ids are kept as the Index makes them)
                assert f"never {type(odd).__name__} (such as {odd!r})" in message
            assert "ProvenanceGraph.from_frames(lots, flows)) and pickle that graph" in message
        with pytest.raises(InvalidGraphError):
            kp.ProvenanceGraph.__new__(kp.ProvenanceGraph).__setstate__(state)

    @pytest.mark.parametrize(
        ("index", "kind"),
        [
            (pd.Index(["a", pd.NA], dtype="string"), "pd.NA"),
            (pd.Index([1, pd.NA], dtype="Int64"), "pd.NA"),
            (pd.Index(["a", None], dtype=object), "None"),
            (pd.Index([1.0, np.nan]), "float"),
        ],
        ids=["pandas text", "pandas int", "object", "float"],
    )
    def test_a_pickle_with_a_missing_id_is_refused(self, index, kind):
        """A pickled graph whose ids' Index misses an id loaded (the missing-id guard was
        bypassed by the inferred type, which skips missing values), and its frames then
        did not build a graph again (18-review9, 3): it is refused, naming what is missing."""
        lots = pd.DataFrame({"lot_id": ["a", "b"], "carats": 1.0, "origin": "BW"})
        graph = kp.ProvenanceGraph.from_frames(lots, pd.DataFrame(columns=FLOW_COLUMNS))
        graph._id_index = index
        refused = rf"pickled by an older kpmodel.* never {re.escape(kind)} "
        with pytest.raises(InvalidGraphError, match=refused):
            pickle.loads(pickle.dumps(graph))

    @pytest.mark.parametrize(
        "changes",
        [
            {"_id_index": pd.Index(["a"])},
            {"_id_index": pd.Index([], dtype=object)},
            {"_added_ids": None},
            {"_added_ids": ["c"]},
        ],
        ids=["fewer ids", "no ids", "added not a list", "an id too many"],
    )
    def test_a_pickle_whose_ids_are_not_one_a_lot_is_refused(self, changes):
        """A pickle changed by hand loaded with one id for two lots, or raised a bare
        TypeError or IndexError (18-review9, 3): refused, saying what to do."""
        lots = pd.DataFrame({"lot_id": ["a", "b"], "carats": 1.0, "origin": "BW"})
        graph = kp.ProvenanceGraph.from_frames(lots, pd.DataFrame(columns=FLOW_COLUMNS))
        state = {**graph.__getstate__(), **changes}
        with pytest.raises(InvalidGraphError, match="does not hold a graph as kpmodel pickles"):
            kp.ProvenanceGraph.__new__(kp.ProvenanceGraph).__setstate__(state)

    @pytest.mark.parametrize(
        "ids",
        [
            [10, 20],
            np.array([10, 20], np.uint8),
            ["a", "b"],
            pd.array(["a", "b"], dtype="string"),
            pd.Series([1, "b"], dtype=object),
            [np.int64(1), np.str_("b")],
        ],
        ids=["int64", "uint8", "text", "pandas text", "ints and text", "numpy scalars"],
    )
    def test_a_pickle_of_int_or_text_ids_loads(self, ids):
        """Ids of every kind from_frames takes, appended lots' ids too, survive a pickle."""
        lots = pd.DataFrame({"lot_id": ids, "carats": 1.0, "origin": "BW"})
        graph = kp.ProvenanceGraph.from_frames(lots, pd.DataFrame(columns=FLOW_COLUMNS))
        graph.produce(country="RU", carats=2, on="2020-01-01")
        loaded = pickle.loads(pickle.dumps(graph))
        assert loaded.lots.tolist() == graph.lots.tolist()
        assert origin_shares(loaded).to_frame().equals(origin_shares(graph).to_frame())

    def test_a_copy_keeps_nothing_an_append_writes_to(self):
        """The hostile reproducer: a copy's appends never reach the original's lots."""
        graph = kp.ProvenanceGraph()
        mine = graph.produce(country="BW", carats=10, on="2020-01-01")
        copied = copy.copy(graph)
        copied.ship(mine, to="BE", on="2020-02-01")
        graph.produce(country="RU", carats=7, on="2020-01-01")
        assert graph.remaining(mine) == 10.0
        assert copied.remaining(mine) == 0.0
        assert origin_shares(copied).of(1) == {"BW": 1.0}
        assert origin_shares(graph).of(1) == {"RU": 1.0}

    @given(provenance_graphs(max_lots=15), st.integers(0, pickle.HIGHEST_PROTOCOL))
    def test_a_pickle_holds_the_lots_and_flows_alone(self, graph, protocol):
        """A pickle held the columns' spare capacity, which `_grow` leaves as numpy.empty
        made it, so whatever that memory held (heap addresses) went into the file
        (19-review10, 6): it holds the lots and flows alone, the same bytes as a copy's
        (whose columns have no spare rows), and the graph it loads grows as the original."""
        mine = graph.produce(country="BW", carats=4, on="2030-01-01")  # spare rows after it
        data = pickle.dumps(graph, protocol)
        assert data == pickle.dumps(copy.copy(graph), protocol)
        loaded = pickle.loads(data)
        assert {len(column) for column in loaded._lots.values()} == {len(graph)}
        assert {len(column) for column in loaded._flows.values()} == {graph.number_of_flows}
        for grown in (graph, loaded):
            part = grown.split(mine, [1])[0]
            grown.ship(part, to="BE", on="2030-02-01")
        assert_same_graph(loaded, graph)

    def test_a_pickle_with_spare_capacity_loads_and_grows(self, monkeypatch):
        """A graph pickled by an older kpmodel, its columns' spare capacity included,
        loads, grows, and pickles again without it."""
        graph = kp.ProvenanceGraph()
        mines = [graph.produce(country="BW", carats=2, on="2020-01-01") for _ in range(17)]
        monkeypatch.setattr(kp.ProvenanceGraph, "__getstate__", lambda self: dict(self.__dict__))
        data = pickle.dumps(graph)
        monkeypatch.undo()
        loaded = pickle.loads(data)
        assert {len(column) for column in loaded._lots.values()} == {32}  # as pickled
        for grown in (graph, loaded):
            grown.ship(mines[-1], to="BE", on="2020-02-01")
        assert_same_graph(loaded, graph)
        assert pickle.dumps(loaded) == pickle.dumps(copy.copy(graph))


#: Every public call that looks up a lot id, given a graph and an id.
LOOKUPS = {
    "remaining": lambda g, lot: g.remaining(lot),
    "location": lambda g, lot: g.location(lot),
    "split": lambda g, lot: g.split(lot, [1e-300]),
    "mix": lambda g, lot: g.mix([lot]),
    "ship": lambda g, lot: g.ship(lot, to="BE", on="2030-01-01"),
    "smuggle": lambda g, lot: g.smuggle(lot, to="BE", on="2030-01-01"),
    "seize": lambda g, lot: g.seize(lot, on="2030-01-01"),
    "explain": lambda g, lot: explain(g, lot, "BW"),
    "trace": lambda g, lot: kp.provenance.trace(g, lot),
    "describe_lot": lambda g, lot: kp.provenance.describe_lot(g, lot),
    "origin_shares lots=": lambda g, lot: origin_shares(g, lots=[lot]),
    "Lots.from_graph lots=": lambda g, lot: kp.definitions.Lots.from_graph(
        g, kp.definitions.CaseBook.default(), lots=[lot]
    ),
}


class TestDuplicateIds:
    """A graph whose lot ids are not unique comes only from a pickle changed by hand
    (from_frames and the methods refuse duplicates; unpickling does not look, as a pass
    over the ids costs more than unpickling). remaining() called a lot of such a graph
    "not in the graph", origin_shares(lots=) and trace raised a bare pandas
    InvalidIndexError, and the others answered for one of the two lots (19-memory10, 2)."""

    @staticmethod
    def tampered(frames, data):
        """The graph of `frames`, pickled with the id of one lot given to another too."""
        graph = kp.ProvenanceGraph.from_frames(*frames)
        ids = graph.lots.tolist()
        twin, other = data.draw(
            st.lists(st.sampled_from(range(len(ids))), min_size=2, max_size=2, unique=True)
        )
        ids[other] = ids[twin]
        graph._id_index = pd.Index(ids, dtype=graph.lots.dtype)
        loaded = pickle.loads(pickle.dumps(graph))
        assert len(loaded.lots) == len(ids)  # loaded: unpickling does not look
        return loaded, ids[twin], [i for i in ids if i != ids[twin]], (twin, other)

    @given(provenance_frames(min_lots=2, max_lots=12), st.data())
    def test_every_lookup_of_a_lot_id_refuses_the_graph(self, frames, data):
        graph, twice, others, _ = self.tampered(frames, data)
        absent = 10**9 if graph.lots.dtype.kind in "iu" else "no such lot"
        lot = data.draw(st.sampled_from([twice, *others, absent]))
        for name, call in LOOKUPS.items():
            with pytest.raises(InvalidGraphError) as error:
                call(graph, lot)
            message = str(error.value)
            assert message.startswith("graph.lots: 1 lot id names more than one lot ("), name
            assert f"{twice!r} names 2 lots" in message
            assert "ProvenanceGraph.from_frames" in message
            assert "\n" not in message

    @given(provenance_frames(min_lots=2, max_lots=12), st.data())
    def test_shares_of_the_whole_graph_never_answer_for_the_wrong_lot(self, frames, data):
        """origin_shares of the whole graph looks up no id, and its rows are the lots'
        shares. Their .of(id) of the id of two lots gave the first lot's row: it refuses
        it, unless the two rows are equal (then either is the answer)."""
        graph, twice, others, (twin, other) = self.tampered(frames, data)
        truth = origin_shares(kp.ProvenanceGraph.from_frames(*frames))
        shares = origin_shares(graph, sparse=data.draw(st.booleans()))
        for lot in others:
            assert shares.of(lot) == truth.of(lot)
        rows = truth.to_frame().iloc[[twin, other]].to_numpy()
        if np.allclose(rows[0], rows[1], rtol=0, atol=1e-9):
            # Either row is the answer: they are equal, within rounding.
            expected = truth.to_frame().iloc[twin]
            got = pd.Series(shares.of(twice), dtype=float).reindex(expected.index, fill_value=0)
            np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-9)
        else:
            with pytest.raises(
                InvalidGraphError, match=rf"^lot: {re.escape(repr(twice))} names 2 rows"
            ):
                shares.of(twice)

    @pytest.mark.parametrize("ids", [[10, 20], ["a", "b"]], ids=["int", "text"])
    def test_an_appended_id_of_another_lot_is_refused_too(self, ids):
        """A pickle whose appended lot (kept aside from the ids' Index, as none kpmodel
        writes now is) has the id of a loaded lot: remaining() of that id answered for
        the appended lot (int ids) or for the loaded one (text ids)."""
        lots = pd.DataFrame({"lot_id": ids, "carats": 1.0, "origin": "BW"})
        graph = kp.ProvenanceGraph.from_frames(lots, pd.DataFrame(columns=FLOW_COLUMNS))
        graph.produce(country="RU", carats=2, on="2020-01-01")
        state = graph.__getstate__()
        state.update(_id_index=pd.Index(ids), _added_ids=[ids[0]], _added_at={ids[0]: 2})
        loaded = kp.ProvenanceGraph.__new__(kp.ProvenanceGraph)
        loaded.__setstate__(state)  # as pickle.loads does
        for name, call in LOOKUPS.items():
            with pytest.raises(InvalidGraphError) as error:
                call(loaded, ids[0])
            assert str(error.value).startswith("graph.lots: 1 lot id names"), name
        if ids[0] == 10:  # a text id among int ids: a bare ValueError at the first lookup
            state.update(_added_ids=["c"], _added_at={})
            with pytest.raises(InvalidGraphError, match="does not hold a graph as kpmodel"):
                kp.ProvenanceGraph.__new__(kp.ProvenanceGraph).__setstate__(state)

    @given(provenance_graphs(max_lots=12), st.data())
    def test_a_lot_asked_for_twice_is_read_from_shares(self, graph, data):
        """Shares of lots= with a lot asked for twice hold two equal rows: one lot."""
        lot = data.draw(st.sampled_from(graph.lots.tolist()))
        shares = origin_shares(graph, lots=[lot, *graph.lots.tolist(), lot])
        assert shares.of(lot) == origin_shares(graph, lots=[lot]).of(lot)


#: Calls that take one value, each given a table or an array instead.
ONE_VALUE_CALLS = {
    "remaining": lambda g, v: g.remaining(v),
    "split carats": lambda g, v: g.split(0, v),
    "split on": lambda g, v: g.split(0, [1], on=v),
    "mix at": lambda g, v: g.mix([0], at=v),
    "ship to": lambda g, v: g.ship(0, to=v, on="2020-02-01"),
    "ship certificate": lambda g, v: g.ship(0, to="BE", on="2020-02-01", certificate=v),
    "ship declared_origin": lambda g, v: g.ship(0, to="BE", on="2020-02-01", declared_origin=v),
    "produce zone": lambda g, v: g.produce(country="BW", carats=1, on="2020-01-01", zone=v),
    "produce carats": lambda g, v: g.produce(country="BW", carats=v, on="2020-01-01"),
    "trace by": lambda g, v: kp.provenance.trace(g, 0, by=v),
    "trace paths": lambda g, v: kp.provenance.trace(g, 0, paths=v),
    "explain origin": lambda g, v: kp.provenance.explain(g, 0, v),
    "explain limit": lambda g, v: kp.provenance.explain(g, 0, "BW", limit=v),
    "describe_lot": lambda g, v: kp.provenance.describe_lot(g, v),
    "opacity per": lambda g, v: kp.provenance.opacity(g, per=v),
    "lot_column": lambda g, v: kp.provenance.lot_column(g, v),
}


@pytest.mark.parametrize("call", list(ONE_VALUE_CALLS))
@pytest.mark.parametrize(
    "value",
    [pd.Series([1, 2], name="x"), np.zeros((2, 2)), pd.DataFrame({"a": [1]})],
    ids=["Series", "2-D array", "DataFrame"],
)
def test_a_table_given_for_one_value_is_refused_on_one_line(call, value):
    """A Series, DataFrame or 2-D array where one value belongs was shown over several
    lines ("got 0    1\n1    2\nName: x, dtype: int64"), or, given as `by` or `per`,
    raised a bare ValueError (the truth value of a Series is ambiguous)."""
    graph = kp.ProvenanceGraph()
    graph.produce(country="BW", carats=10, on="2020-01-01")
    with pytest.raises(kp.errors.KPModelError) as error:
        ONE_VALUE_CALLS[call](graph, value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("lot", "shown", "kind"),
    # A float is refused by the closing example (4.0 equals 4 but is not lot 4), as in lots=.
    [(None, "None", "None"), (np.str_("x"), "'x'", None), (np.float64(0.5), "0.5", None)],
)
def test_a_lot_no_graph_holds_is_shown_by_the_one_rule(lot, shown, kind):
    """The graph's own methods and trace showed an id that names no lot by another rule
    than lots= ("lot None ... never NoneType", "lot np.str_('x')", "np.float64(0.5) ...
    never float64"; 18-review9, 6): numpy's values as Python's, None as None."""
    graph = kp.ProvenanceGraph()
    graph.produce(country="BW", carats=10, on="2020-01-01")
    for call in (graph.remaining, lambda lot: kp.provenance.trace(graph, lot)):
        with pytest.raises(InvalidArgumentError) as error:
            call(lot)
        message = str(error.value)
        assert f"lot: {shown} " in message
        assert "np." not in message
        assert "NoneType" not in message
        if kind is not None:
            assert f"never {kind}" in message


class TestThreads:
    def test_two_readers_at_once_both_see_every_lot(self, monkeypatch):
        """A graph may be read by many threads at once: a reader that reads the ids while
        another is half-way through folding in the ids of appended lots sees them all,
        and so does the graph after them."""
        lots = pd.DataFrame({"lot_id": ["a", "b"], "carats": 10.0, "origin": "BW"})
        graph = kp.ProvenanceGraph.from_frames(lots, NO_FLOWS)
        new = graph.produce(country="BW", carats=1, on="2020-01-01")
        inside, done = threading.Event(), threading.Event()
        dtype = pd.Index.__dict__["dtype"]

        def paused_dtype(index):
            # The first dtype the other reader asks for (with the Index in hand, before it
            # reads the added ids): wait there while this thread reads the ids.
            if threading.current_thread() is other and not inside.is_set():
                inside.set()
                done.wait(timeout=0.5)  # the time it takes if this thread must wait
            return dtype.__get__(index, type(index))

        seen = []
        other = threading.Thread(target=lambda: seen.append(graph.lots.tolist()))
        monkeypatch.setattr(pd.Index, "dtype", property(paused_dtype))
        other.start()
        assert inside.wait(timeout=5)
        seen.append(graph.lots.tolist())
        done.set()
        other.join()
        assert seen == [["a", "b", new]] * 2
        assert graph.lots.tolist() == ["a", "b", new]

    def test_a_fold_left_half_done_at_a_fork_is_not_done_twice(self):
        """A process forked while another thread was between the two writes of a fold (the
        new Index stored, the appended ids not yet cleared; its lock is reset in the
        child, 19-review10 3) folded the ids again: two lots for each appended id."""
        lots = pd.DataFrame({"lot_id": ["a", "b"], "carats": 10.0, "origin": "BW"})
        graph = kp.ProvenanceGraph.from_frames(lots, NO_FLOWS)
        new = graph.produce(country="BW", carats=1, on="2020-01-01")
        graph._id_index = graph._id_index.append(pd.Index([new], dtype=object))
        assert graph.lots.tolist() == ["a", "b", new]
        assert graph.remaining(new) == 1.0
