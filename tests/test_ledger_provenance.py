"""ProvenanceGraph.from_ledger: paperwork alone, traced by mass balance, against a reference."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel.errors import InvalidArgumentError
from kpmodel.ledger import Ledger

COUNTRIES = ("AE", "BE", "BW", "CM", "IN")


def uae_ledger():
    """The example of the issue: the UAE mixes Cameroonian and Botswanan imports."""
    return Ledger.from_frame(
        pd.DataFrame(
            {
                "number": ["CM-1", "BW-1", "AE-1", "AE-2"],
                "issuing_country": ["CM", "BW", "AE", "AE"],
                "destination_country": ["AE", "AE", "IN", "BE"],
                "issued": ["2024-01-10", "2024-01-20", "2024-02-01", "2024-03-01"],
                "hs_code": "7102.10",
                "carats": [1000, 3000, 2000, 2400],
                "value_usd": [1e5, 6e5, 4e5, 5e5],
                "origin": ["CM", "BW", "MIXED", "MIXED"],
                "declared_origins": "",
            }
        )
    )


def reference(ledger):
    """Slow and plain: per country a {origin: carats} stock; per parcel its origin shares.

    Day by day: a country's exports of the day share its stock at the start of the day in
    proportion to their carats (what it lacks is unknown); then the day's imports arrive.
    """
    frame = ledger.to_frame()
    arrival = frame["issued"]
    if "received" in frame.columns:
        arrival = frame["received"].where(frame["received"] > frame["issued"], frame["issued"])
    stock = defaultdict(Counter)
    shares = {}
    for day in sorted(set(frame["issued"]) | set(arrival)):
        todays = frame[frame["issued"] == day]
        drawing = defaultdict(list)
        for index, row in todays.iterrows():
            exporter = row["issuing_country"]
            if not pd.isna(row["origin"]) and row["origin"] == exporter:
                shares[index] = {exporter: 1.0}
            else:
                drawing[exporter].append(index)
        for exporter, rows in drawing.items():
            wanted = sum(frame.loc[r, "carats"] for r in rows)
            held = stock[exporter]
            total = sum(held.values())
            taken = min(wanted, total)
            mix = {o: c / total for o, c in held.items()} if total > 0 else {}
            for origin, share in mix.items():
                held[origin] -= taken * share
            for r in rows:
                got = {o: share * taken / wanted for o, share in mix.items()}
                if taken < wanted:
                    got["unknown"] = got.get("unknown", 0.0) + 1 - taken / wanted
                shares[r] = {o: v for o, v in got.items() if v > 0}
        for index in frame.index[arrival == day]:
            row = frame.loc[index]
            for origin, share in shares[index].items():
                stock[row["destination_country"]][origin] += share * row["carats"]
    return shares


@st.composite
def trade_ledgers(draw):
    size = draw(st.integers(1, 12))
    rows = []
    for i in range(size):
        exporter = draw(st.sampled_from(COUNTRIES))
        importer = draw(st.sampled_from([c for c in COUNTRIES if c != exporter]))
        kind = draw(st.sampled_from(["own", "mixed", "other", "none"]))
        origin = {"own": exporter, "mixed": "MIXED", "none": None}.get(
            kind, draw(st.sampled_from(COUNTRIES))
        )
        issued = date(2024, 1, 1) + timedelta(days=draw(st.integers(0, 6)))
        rows.append(
            {
                "number": f"{exporter}-{i}",
                "issuing_country": exporter,
                "destination_country": importer,
                "issued": issued,
                "hs_code": "7102.10",
                "carats": draw(st.sampled_from([1.0, 2.5, 10.0, 400.0, 1000.0])),
                "value_usd": 1.0,
                "origin": origin,
                "declared_origins": "",
                "received": issued + timedelta(days=draw(st.integers(0, 3))),
            }
        )
    frame = pd.DataFrame(rows)
    if draw(st.booleans()):
        frame = frame.drop(columns="received")
    return Ledger.from_frame(frame)


class TestFromLedger:
    def test_the_uae_example(self):
        """25 % / 75 %; then 500, 1,500 and 400 unknown of 2,400 ct, exactly as stated."""
        graph = kp.ProvenanceGraph.from_ledger(uae_ledger())
        shares = kp.origin_shares(graph)
        assert shares.of(2) == pytest.approx({"CM": 0.25, "BW": 0.75})
        assert shares.of(3) == pytest.approx(
            {"CM": 500 / 2400, "BW": 1500 / 2400, "unknown": 400 / 2400}
        )
        lots, _ = graph.to_frames()
        ships = lots[lots.kind == "ship"].set_index("lot_id")
        assert ships.loc[[0, 1, 2, 3], "certificate"].tolist() == ["CM-1", "BW-1", "AE-1", "AE-2"]

    @settings(max_examples=60, deadline=None)
    @given(trade_ledgers())
    def test_agrees_with_a_plain_reference(self, ledger):
        """Origin shares of every parcel equal those of a dictionary-per-country reference."""
        shares = kp.origin_shares(kp.ProvenanceGraph.from_ledger(ledger))
        expected = reference(ledger)
        for row, want in expected.items():
            got = {o: s for o, s in shares.of(row).items() if s > 1e-12}
            assert got == pytest.approx(want, rel=1e-9, abs=1e-12)

    @settings(max_examples=20, deadline=None)
    @given(trade_ledgers())
    def test_paperwork_views_work(self, ledger):
        """The graph's paperwork view reads every parcel's certificate and declaration."""
        graph = kp.ProvenanceGraph.from_ledger(ledger)
        table = kp.provenance.declared_origins(graph).set_index("lot_id").sort_index()
        frame = ledger.to_frame()
        assert table["certificate"].tolist() == frame["number"].tolist()
        assert table["exporter"].tolist() == frame["issuing_country"].tolist()
        assert table["declared_origin"].tolist() == [
            d if d is not None else table["declared_origin"].iloc[i]
            for i, d in enumerate(ledger.declared_origins())
        ]
        kp.provenance.audit(graph, register=None)

    def test_production_limits_own_origin(self):
        """With production statistics, own-origin exports beyond production are unknown."""
        frame = uae_ledger().to_frame()
        stats = kp.statistics.KPStatistics.from_frame(
            pd.DataFrame(
                {"participant": ["CM"], "year": [2023], "half": [2], "flow": ["production"],
                 "carats": [600.0], "value_usd": [1.0]}
            )
        )  # fmt: skip
        graph = kp.ProvenanceGraph.from_ledger(Ledger.from_frame(frame), production=stats)
        shares = kp.origin_shares(graph)
        assert shares.of(0) == pytest.approx({"CM": 0.6, "unknown": 0.4})
        assert shares.of(1) == pytest.approx({"unknown": 1.0})

    def test_bad_arguments(self):
        """Only a Ledger; production must be statistics."""
        with pytest.raises(InvalidArgumentError, match=r"takes a kpmodel\.Ledger"):
            kp.ProvenanceGraph.from_ledger(uae_ledger().to_frame())
        with pytest.raises(InvalidArgumentError, match="KPStatistics"):
            kp.ProvenanceGraph.from_ledger(uae_ledger(), production=[1])

    def test_a_simulated_ledger_traces(self):
        """A simulated ledger goes straight into from_ledger."""
        result = kp.simulation.run(kp.simulation.builtin("car-2013"), seed=1)
        graph = kp.ProvenanceGraph.from_ledger(result.ledger)
        assert len(kp.origin_shares(graph).values) >= len(result.ledger)
