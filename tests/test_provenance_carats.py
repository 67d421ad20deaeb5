"""Carat magnitudes: every amount a graph holds keeps every flow's weight above 0.

A flow's weight is its carats over the receiving lot's. Amounts below numpy's float64
``tiny`` (subnormal floats) or above 10**15 carats could make a weight underflow to 0, and
`taint` would then miss that input (a wrong answer with exit 0). They are refused wherever
carats enter a graph; within the bounds, taint finds every input, whatever the magnitudes.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel._boundary import MAX_LISTED
from kpmodel.errors import InvalidArgumentError, InvalidGraphError
from kpmodel.ledger import Ledger
from kpmodel.provenance._graph import CARAT_RTOL, MAX_CARATS, MIN_CARATS
from kpmodel.testing.strategies import provenance_graphs

TINY = float(np.finfo(np.float64).tiny)
SUBNORMAL = 5e-324
ORIGINS = ("BW", "CF", "RU")

#: Carat amounts of every magnitude a graph may hold, the bounds themselves most often.
in_bounds = st.one_of(
    st.sampled_from([MIN_CARATS, MAX_CARATS, 1e-300, 1e-200, 1.0, 1e14]),
    st.floats(min_value=MIN_CARATS, max_value=MAX_CARATS),
)
#: Positive amounts a graph may not hold: subnormal floats, and beyond 10**15 carats.
out_of_bounds = st.one_of(
    st.sampled_from([SUBNORMAL, TINY / 2, np.nextafter(TINY, 0), 2e15, 1e30, 1e300]),
    st.floats(min_value=SUBNORMAL, max_value=TINY, exclude_max=True),
    st.floats(min_value=MAX_CARATS, max_value=1e300, exclude_min=True),
)


def test_the_bounds():
    """The bounds are numpy's float64 tiny and 10**15, and their ratio is no zero weight."""
    assert MIN_CARATS == TINY
    assert MAX_CARATS == 1e15
    assert MIN_CARATS / MAX_CARATS > 0
    assert MIN_CARATS / (MAX_CARATS * (1 + 1e-9)) > 0  # a lot receiving within tolerance


@st.composite
def extreme_frames(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, bool]:
    """Frames of a random graph with amounts of every magnitude; also whether all fit.

    Production lots of a few origins, then lots drawing on earlier ones (up to three
    flows each, each at most what remains of its source) and holding what they receive
    or more (the rest of unknown origin). Now and then one amount is out of bounds.
    """
    n_produced = draw(st.integers(1, 4))
    n_formed = draw(st.integers(1, 6))
    carats: list[float] = []
    remaining: list[float] = []
    origin: list[str | None] = []
    flows: list[tuple[int, int, float]] = []
    for _ in range(n_produced):
        amount = draw(in_bounds)
        carats.append(amount)
        remaining.append(amount)
        origin.append(draw(st.sampled_from(ORIGINS)))
    for lot in range(n_produced, n_produced + n_formed):
        open_lots = [i for i, left in enumerate(remaining) if left >= MIN_CARATS]
        if not open_lots:
            break
        parents = draw(st.lists(st.sampled_from(open_lots), min_size=1, max_size=3, unique=True))
        received = 0.0
        for parent in parents:
            room = min(remaining[parent], MAX_CARATS - received)
            if room < MIN_CARATS:
                break
            amount = draw(
                st.sampled_from([room, MIN_CARATS])
                | st.floats(min_value=MIN_CARATS, max_value=room)
            )
            flows.append((parent, lot, amount))
            remaining[parent] -= amount
            received += amount
        if received == 0.0:
            break
        held = draw(st.just(received) | st.floats(min_value=received, max_value=MAX_CARATS))
        carats.append(held)
        remaining.append(held)
        origin.append(None)
    fits = True
    if flows and draw(st.integers(0, 3)) == 0:  # one amount out of bounds
        fits = False
        bad = draw(out_of_bounds)
        if draw(st.booleans()):
            carats[draw(st.integers(0, len(carats) - 1))] = bad
        else:
            row = draw(st.integers(0, len(flows) - 1))
            flows[row] = (*flows[row][:2], bad)
    lots = pd.DataFrame({"lot_id": range(len(carats)), "carats": carats, "origin": origin})
    frame = pd.DataFrame(flows, columns=["source", "target", "carats"])
    return lots, frame.astype({"source": np.int64, "target": np.int64}), fits


def _ancestors_origins(lots: pd.DataFrame, flows: pd.DataFrame) -> dict[int, set[str]]:
    """The origins each lot may hold carats of: those of the production lots upstream."""
    digraph: nx.DiGraph[int] = nx.DiGraph()
    digraph.add_nodes_from(lots["lot_id"])
    digraph.add_edges_from(zip(flows["source"], flows["target"], strict=True))
    produced = dict(zip(lots["lot_id"], lots["origin"], strict=True))
    return {
        lot: {
            produced[a] for a in {*nx.ancestors(digraph, lot), lot} if isinstance(produced[a], str)
        }
        for lot in digraph
    }


def _tainted(shares: kp.OriginShares, lot: Any) -> set[str]:
    return {origin for origin, value in shares.of(lot).items() if origin != "unknown" and value}


@given(extreme_frames(), st.sampled_from([None, True, False]), st.booleans())
def test_taint_never_misses_an_input_whatever_the_magnitudes(case, sparse, some_lots):
    """Taint marks exactly the origins upstream of each lot, from MIN_CARATS to MAX_CARATS.

    Frames holding an amount out of bounds are refused, naming the bound; the old code
    took them, and taint missed the inputs whose weight underflowed to 0.
    """
    lots, flows, fits = case
    if not fits:
        with pytest.raises(InvalidGraphError, match=r"carats must be at (least|most)"):
            kp.ProvenanceGraph.from_frames(lots, flows)
        return
    graph = kp.ProvenanceGraph.from_frames(lots, flows)
    expected = _ancestors_origins(lots, flows)
    asked = list(expected)[-2:] if some_lots else None
    shares = kp.origin_shares(graph, mixing="taint", sparse=sparse, lots=asked)
    for lot in asked or expected:
        assert _tainted(shares, lot) == expected[lot], lot


@given(
    st.lists(st.tuples(st.sampled_from(ORIGINS), in_bounds | out_of_bounds), min_size=1),
    st.data(),
)
def test_graph_methods_refuse_amounts_out_of_bounds_and_taint_the_rest(produced, data):
    """produce and split refuse amounts out of bounds (leaving the graph as it was), a mix
    beyond MAX_CARATS is refused, and taint of a mix of the rest marks every origin mixed."""
    graph = kp.ProvenanceGraph()
    made: dict[Any, str] = {}
    for country, carats in produced:
        if MIN_CARATS <= carats <= MAX_CARATS:
            made[graph.produce(country=country, carats=carats, on="2014-01-01")] = country
            continue
        with pytest.raises(InvalidGraphError, match=r"carats: must be at (least|most)"):
            graph.produce(country=country, carats=carats, on="2014-01-01")
    assert len(graph) == len(made)
    if not made:
        return
    lot = data.draw(st.sampled_from(sorted(made)))
    part = data.draw(in_bounds | out_of_bounds)
    if not MIN_CARATS <= part <= MAX_CARATS:
        with pytest.raises(InvalidGraphError, match=r"carats\[0\]: must be at (least|most)"):
            graph.split(lot, [part])
    elif part <= 1e-9 * graph.remaining(lot):
        with pytest.raises(InvalidGraphError, match=r"cannot give .*, a part of at most 1e-09"):
            graph.split(lot, [part])
    elif part <= graph.remaining(lot):
        made[graph.split(lot, [part])[0]] = made[lot]
    held = dict(zip(*graph.to_frames()[0][["lot_id", "carats"]].T.to_numpy(), strict=True))
    shipped = {
        graph.ship(lot, to="AE", on="2014-02-01"): country
        for lot, country in made.items()
        if graph.remaining(lot) >= MIN_CARATS and graph.remaining(lot) > 1e-9 * held[lot]
    }
    total = sum(graph.remaining(lot) for lot in shipped)
    size = len(graph)
    if total > MAX_CARATS:
        with pytest.raises(InvalidGraphError, match="would make a lot of"):
            graph.mix(list(shipped))
        assert len(graph) == size
        return
    into = graph.mix(list(shipped))
    shares = kp.origin_shares(graph, mixing="taint")
    assert _tainted(shares, into) == set(shipped.values())


class TestWhereCaratsEnter:
    """Each way into a graph refuses amounts out of bounds, naming the field and the bound."""

    def test_produce(self):
        graph = kp.ProvenanceGraph()
        for carats in (SUBNORMAL, Decimal("1e-320"), 2e15, 10**16):
            with pytest.raises(InvalidGraphError, match="carats: must be at"):
                graph.produce(country="CF", carats=carats, on="2014-01-01")
        assert len(graph) == 0

    def test_split_leaving_a_subnormal_remainder_cannot_give_it(self):
        """What remains after a split may be subnormal; it is never given (a zero weight)."""
        graph = kp.ProvenanceGraph()
        lot = graph.produce(country="CF", carats=3 * TINY, on="2014-01-01")
        graph.split(lot, [2.5 * TINY])
        assert 0 < graph.remaining(lot) < TINY
        for give in (lambda: graph.mix([lot]), lambda: graph.ship(lot, to="AE", on="2014-02-01")):
            with pytest.raises(InvalidGraphError, match=r"what remains of it.*at least"):
                give()
        assert len(graph) == 2

    def test_a_mix_beyond_the_largest_lot(self):
        graph = kp.ProvenanceGraph()
        lots = [graph.produce(country="BW", carats=MAX_CARATS, on="2014-01-01") for _ in "ab"]
        tiny = graph.produce(country="BW", carats=TINY, on="2014-01-01")
        with pytest.raises(InvalidGraphError, match=r"would make a lot of 2000000000000000.0 c"):
            graph.mix([*lots, tiny])
        assert len(graph) == 3

    def test_from_frames_names_each_lot_and_flow(self):
        lots = pd.DataFrame(
            {
                "lot_id": ["a", "b", "m"],
                "carats": [SUBNORMAL, 2.0, 2.0],
                "origin": ["CF", "BW", None],
            }
        )
        flows = pd.DataFrame(
            {"source": ["a", "b"], "target": ["m", "m"], "carats": [SUBNORMAL, 2.0]}
        )
        with pytest.raises(InvalidGraphError) as error:
            kp.ProvenanceGraph.from_frames(lots, flows)
        message = str(error.value)
        assert "lot 'a': carats must be at least 2.2250738585072014e-308 carats, got 5e-324" in (
            message
        )
        assert "flow row 0: carats must be at least" in message
        assert "taint would miss it" in message
        big = lots.assign(carats=[1e-300, 1e30, 1e30])
        with pytest.raises(InvalidGraphError, match=r"lot 'b': carats must be at most 1e\+15"):
            kp.ProvenanceGraph.from_frames(big, flows.assign(carats=[1e-300, 1e30]))

    def test_many_out_of_bounds_are_counted(self):
        n = 30
        lots = pd.DataFrame(
            {
                "lot_id": range(2 * n),
                "carats": [SUBNORMAL] * (2 * n),
                "origin": ["CF"] * n + [None] * n,
            }
        )
        flows = pd.DataFrame(
            {"source": range(n), "target": range(n, 2 * n), "carats": [SUBNORMAL] * n}
        )
        with pytest.raises(InvalidGraphError) as error:
            kp.ProvenanceGraph.from_frames(lots, flows)
        message = str(error.value)
        assert (
            f"... and {2 * n - MAX_LISTED} more lots: carats must be from "
            "2.2250738585072014e-308 to 1e+15" in message
        )
        assert f"... and {n - MAX_LISTED} more flows: carats must be from" in message

    def test_readers(self, tmp_path):
        """Node-link data and GraphML files go through the same checks."""
        graph = kp.ProvenanceGraph()
        mine = graph.produce(country="CF", carats=1.0, on="2014-01-01")
        graph.ship(mine, to="AE", on="2014-02-01")
        data = json.loads(json.dumps(graph.to_node_link()))
        for node in data["nodes"]:
            node["carats"] = SUBNORMAL
        data["edges"][0]["carats"] = SUBNORMAL
        with pytest.raises(InvalidGraphError, match="carats must be at least"):
            kp.ProvenanceGraph.from_node_link(data)
        path = tmp_path / "lots.graphml"
        graph.write_graphml(path)
        text = path.read_text(encoding="utf-8").replace(">1.0<", ">1e+30<")
        assert "1e+30" in text
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InvalidGraphError, match=r"carats must be at most 1e\+15"):
            kp.ProvenanceGraph.read_graphml(path)

    def test_ledger(self):
        """A ledger keeps any positive amount; its graph names the rows it cannot hold."""
        ledger = Ledger.from_frame(
            pd.DataFrame(
                {
                    "number": ["BW-1", "BW-2"],
                    "issuing_country": "BW",
                    "destination_country": "AE",
                    "issued": [dt.date(2024, 1, 10), dt.date(2024, 1, 20)],
                    "hs_code": "7102.10",
                    "carats": [SUBNORMAL, 10.0],
                    "value_usd": [1.0, 1.0],
                    "origin": "BW",
                    "declared_origins": "",
                }
            )
        )
        with pytest.raises(InvalidArgumentError, match=r"row 0 \(certificate 'BW-1'\): 5e-324"):
            kp.ProvenanceGraph.from_ledger(ledger)

    @staticmethod
    def _ledger(rows: list[tuple[str, str, str, str, float, str]]) -> Ledger:
        frame = pd.DataFrame(
            rows,
            columns=[
                "number",
                "issuing_country",
                "destination_country",
                "issued",
                "carats",
                "origin",
            ],
        )
        return Ledger.from_frame(
            frame.assign(hs_code="7102.31", value_usd=1.0, declared_origins="")
        )

    def test_ledger_stock_beyond_the_largest_lot(self):
        """Two parcels within bounds can fill a stock beyond 10**15 ct: refused up front,
        naming the importer, the day and the certificate, not an internal lot."""
        ledger = self._ledger(
            [
                ("BW-1", "BW", "BE", "2023-03-01", 9e14, "BW"),
                ("BW-2", "BW", "BE", "2023-04-01", 9e14, "BW"),
            ]
        )
        with pytest.raises(InvalidArgumentError) as error:
            kp.ProvenanceGraph.from_ledger(ledger)
        message = str(error.value)
        assert message.startswith(
            "from_ledger: the stock of 'BE' would hold 1.8e+15 carats at the end of 2023-04-01 "
            "(it held 9e+14 before) when certificate 'BW-2' (row 1) arrives; "
        )
        assert "at most 1e+15 carats" in message
        assert "check the unit" in message
        assert "lot 4" not in message

    @pytest.mark.parametrize(
        ("rows", "said"),
        [
            (
                [
                    ("BW-1", "BW", "BE", "2023-03-01", 9e14, "BW"),
                    ("BW-2", "BW", "BE", "2023-03-01", 9e14, "BW"),
                ],
                "the exports of 'BW' on 2023-03-01 would draw on one lot (its own production) "
                "of 1.8e+15 carats when certificates 'BW-1' (row 0), 'BW-2' (row 1) leave",
            ),
            (
                [
                    ("BW-1", "BW", "BE", "2023-03-01", 9e14, "BW"),
                    ("BE-1", "BE", "IN", "2023-04-01", 9e14, "MIXED"),
                    ("BE-2", "BE", "IN", "2023-04-01", 9e14, "MIXED"),
                ],
                "the exports of 'BE' on 2023-04-01 would draw on one lot (its stock and unknown "
                "origin) of 1.8e+15 carats when certificates 'BE-1' (row 1), 'BE-2' (row 2) leave",
            ),
        ],
    )
    def test_ledger_exports_of_a_day_beyond_the_largest_lot(self, rows, said):
        with pytest.raises(InvalidArgumentError) as error:
            kp.ProvenanceGraph.from_ledger(self._ledger(rows))
        assert said in str(error.value)

    def test_ledger_stock_drawn_down_builds(self):
        """Exports empty the stock between the arrivals: it never passes the bound."""
        ledger = self._ledger(
            [
                ("BW-1", "BW", "BE", "2023-03-01", 9e14, "BW"),
                ("BE-1", "BE", "IN", "2023-03-02", 9e14, "MIXED"),
                ("BW-2", "BW", "BE", "2023-04-01", 9e14, "BW"),
            ]
        )
        graph = kp.ProvenanceGraph.from_ledger(ledger)
        assert graph.to_frames()[0]["carats"].max() <= MAX_CARATS
        assert kp.origin_shares(graph).of(1) == {"BW": 1.0}


class TestUsedUpLots:
    """A lot with nothing left says so; a tiny part given by the caller says it is tiny."""

    def test_giving_a_used_up_lot(self):
        graph = kp.ProvenanceGraph()
        a = graph.produce(country="CF", carats=10, on="2014-01-01")
        b = graph.produce(country="CF", carats=10, on="2014-01-01")
        graph.mix([a, b])
        c = graph.produce(country="CF", carats=5, on="2014-01-01")
        size = len(graph)
        for give in (
            lambda: graph.mix([a, c]),
            lambda: graph.ship(a, to="AE", on="2014-03-01"),
            lambda: graph.smuggle(a, to="CM", on="2014-03-01"),
            lambda: graph.split(a, [1], on="2014-03-01"),
        ):
            with pytest.raises(InvalidGraphError) as error:
                give()
            assert str(error.value).startswith(
                "lot 0 holds 0 carats not yet given away; it cannot"
            )
            assert "split or mix only what remains" in str(error.value)
        assert len(graph) == size

    def test_giving_a_tiny_part(self):
        graph = kp.ProvenanceGraph()
        a = graph.produce(country="CF", carats=10, on="2014-01-01")
        with pytest.raises(
            InvalidGraphError, match=r"lot 0 holds 10 carats; it cannot give 1e-09"
        ):
            graph.split(a, [1e-9])

    @given(
        st.one_of(st.sampled_from([1e-290, 1.0, 10.0, MAX_CARATS]), st.floats(1e-290, MAX_CARATS)),
        st.lists(st.floats(0.01, 0.99), min_size=0, max_size=4),
        st.lists(st.floats(1e-3, 1.0), min_size=1, max_size=2),
        st.data(),
    )
    def test_every_part_of_a_split_is_more_than_a_billionth_of_the_lot(
        self, held, fractions, tiny, data
    ):
        """A part of at most 1e-9 of the lot is refused by its index (the first such),
        leaving the graph as it was, even when the other parts make the sum large (it was
        accepted: only the sum was checked) and when there are no others (the sum's
        refusal named no part, and two tiny parts a gift never asked for); without them the
        same split builds."""
        graph = kp.ProvenanceGraph()
        lot = graph.produce(country="CF", carats=held, on="2014-01-01")
        parts = [f * held / max(len(fractions), 1) for f in fractions]  # less than the lot
        at = data.draw(st.integers(0, len(parts)))
        amounts = [*parts[:at], *(t * 1e-9 * held for t in tiny), *parts[at:]]
        before = graph.to_frames()
        with pytest.raises(InvalidGraphError) as error:
            graph.split(lot, amounts)
        assert str(error.value).startswith(
            f"carats[{at}]: lot 0 holds {held:.6g} carats; it cannot give "
        )
        assert "a part of at most 1e-09 of it" in str(error.value)
        for frame, was in zip(graph.to_frames(), before, strict=True):
            pd.testing.assert_frame_equal(frame, was)
        if parts:
            assert len(graph.split(lot, parts)) == len(parts)

    @given(st.floats(1e-3, 1e12), st.floats(0.0, 1.0))
    def test_what_remaining_reports_can_be_given(self, held, left):
        """remaining() said 2e-09 of a 10 ct lot split by 10 - 2e-9, which no call could
        move ("holds 0 carats not yet given away"): what it reports can be split off, and
        a remainder within the rounding is 0.0."""
        graph = kp.ProvenanceGraph()
        lot = graph.produce(country="CF", carats=held, on="2014-01-01")
        part = held - left * 2e-9 * held  # leaves at most 2e-9 of the lot
        assume(part > CARAT_RTOL * held)
        graph.split(lot, [part])
        remaining = graph.remaining(lot)
        if remaining > 0:
            graph.split(lot, [remaining])
            assert graph.remaining(lot) == 0.0
        else:
            with pytest.raises(InvalidGraphError, match="holds 0 carats not yet given"):
                graph.ship(lot, to="BE", on="2014-02-01")

    def test_a_used_up_lot_says_so_before_naming_a_tiny_part(self):
        graph = kp.ProvenanceGraph()
        lot = graph.produce(country="CF", carats=10, on="2014-01-01")
        graph.split(lot, [10])
        with pytest.raises(InvalidGraphError, match=r"^lot 0 holds 0 carats not yet given"):
            graph.split(lot, [1e-300])


@given(provenance_graphs(max_lots=60, unknown_sources=False))
def test_every_flow_of_a_graph_built_step_by_step_is_more_than_a_billionth_of_its_source(graph):
    """split, mix, ship, smuggle and seize never make a flow within the rounding of the
    lot it leaves (the public strategy draws graphs through them)."""
    lots, flows = graph.to_frames()
    held = lots.set_index("lot_id")["carats"].loc[flows["source"]].to_numpy()
    assert (flows["carats"].to_numpy() > CARAT_RTOL * held).all()


def test_world_production_is_cited_from_the_shipped_statistics():
    """The refusal's world production figure is the shipped KP statistics' 2023 total."""
    from kpmodel.provenance._graph import TOO_MANY_CARATS

    production = kp.datasets.kp_production()
    world = production.loc[production["year"] == 2023, "carats"].sum()
    assert f"{world / 1e8:.2f}e8 carats in 2023" in TOO_MANY_CARATS
    assert "kpmodel.datasets.kp_production" in TOO_MANY_CARATS


@given(st.floats(1e-3, MAX_CARATS), st.floats(1e-6, 1.0))
def test_from_frames_keeps_a_flow_of_at_most_a_billionth_of_its_source(held, fraction):
    """Loaded records are kept as recorded: a flow of at most 1e-9 of its source lot, which
    split refuses as within the rounding of the lot's carat sums, builds from frames,
    keeps its carats and carries the source's origin into its target (17-hostile H2)."""
    tiny = fraction * CARAT_RTOL * held
    lots = pd.DataFrame(
        {
            "lot_id": ["mine", "parcel"],
            "carats": [held, tiny],
            "origin": ["BW", None],
            "on": ["2005-01-01", "2005-01-02"],
        }
    )
    flows = pd.DataFrame({"source": ["mine"], "target": ["parcel"], "carats": [tiny]})
    graph = kp.ProvenanceGraph.from_frames(lots, flows)
    assert graph.to_frames()[1]["carats"].tolist() == [tiny]
    assert kp.origin_shares(graph, lots=["parcel"]).of("parcel") == {"BW": 1.0}
    assert graph.remaining("mine") == held - tiny
    with pytest.raises(InvalidGraphError, match=r"a part of at most 1e-09 of it"):
        graph.split("mine", [tiny])
