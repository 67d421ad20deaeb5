"""Detectors: properties on synthetic statistics, and what they find on the real data."""

import functools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel.statistics import KPStatistics
from kpmodel.testing.strategies import statistics_frames

DETECTORS = kp.statistics.BUILTINS
FLAG_COLUMNS = ["participant", "year", "half", "detector", "score", "threshold", "reason"]


@functools.cache
def real_flags():
    return kp.statistics.detect(
        kp.datasets.kp_statistics(), capacity=kp.datasets.capacity_estimates()
    )


def flagged(flags, participant, year, half=None):
    rows = flags[(flags["participant"] == participant) & (flags["year"] == year)]
    if half is not None:
        rows = rows[rows["half"] == half]
    return not rows.empty


def victim(data, frame):
    """Pick a participant and a half year (not the first) of a synthetic frame."""
    participant = data.draw(st.sampled_from(sorted(frame["participant"].unique())))
    periods = sorted(set(zip(frame["year"], frame["half"], strict=True)))
    year, half = data.draw(st.sampled_from(periods[1:]))
    mask = (
        (frame["participant"] == participant) & (frame["year"] == year) & (frame["half"] == half)
    )
    return participant, year, half, mask


class TestContract:
    @pytest.mark.parametrize("detector", DETECTORS, ids=lambda d: d.__name__)
    def test_columns_and_order(self, detector):
        """Every built-in returns the flag columns, sorted by score, highest first."""
        flags = detector(kp.datasets.kp_statistics(), capacity=kp.datasets.capacity_estimates())
        assert [c for c in flags.columns if c in FLAG_COLUMNS] == FLAG_COLUMNS
        assert flags["score"].is_monotonic_decreasing
        assert (flags["score"] >= flags["threshold"]).all()
        assert (flags["detector"] == detector.__name__).all()

    @pytest.mark.parametrize("detector", DETECTORS, ids=lambda d: d.__name__)
    def test_bad_threshold(self, detector):
        """A non-positive threshold raises InvalidArgumentError."""
        with pytest.raises(kp.errors.InvalidArgumentError, match="threshold"):
            detector(kp.datasets.kp_statistics(), threshold=-1)

    @pytest.mark.parametrize(
        ("detector", "name", "value"),
        [
            (kp.statistics.period_jump, "window", 2),
            (kp.statistics.period_jump, "threshold", 2),
            (kp.statistics.period_jump, "min_share", 1),
            (kp.statistics.non_reporting, "window", 3),
            (kp.statistics.non_reporting, "coverage", 1),
            (kp.statistics.value_per_carat, "min_history", 3),
            (kp.statistics.value_per_carat, "min_share", 1),
            (kp.statistics.capacity, "min_share", 1),
        ],
        ids=lambda x: getattr(x, "__name__", str(x)),
    )
    def test_numbers_of_numpy_are_taken_and_booleans_refused(self, detector, name, value):
        """A numpy int gives what the int gives, and a bool is refused naming the option:
        period_jump(window=True) raised a bare TypeError, window=np.int64(2) was refused,
        threshold=True and min_share=True were taken as 1 (18-review9, 8)."""
        stats = kp.datasets.kp_statistics()
        expected = detector(stats, **{name: value})
        pd.testing.assert_frame_equal(detector(stats, **{name: np.int64(value)}), expected)
        for wrong in (True, np.True_, "2", -1):
            with pytest.raises(kp.errors.InvalidArgumentError, match=rf"^{name}: must be "):
                detector(stats, **{name: wrong})

    def test_detect_rejects_non_statistics(self):
        """detect() names what it expected when given a DataFrame."""
        with pytest.raises(kp.errors.InvalidArgumentError, match="KPStatistics"):
            kp.statistics.detect(pd.DataFrame())

    def test_detect_passes_context_and_partials(self):
        """detect() passes context to every detector; partial() changes a threshold."""
        stats = kp.datasets.kp_statistics()
        strict = functools.partial(kp.statistics.capacity, threshold=4.0)
        flags = kp.statistics.detect(
            stats, detectors=[strict], capacity=kp.datasets.capacity_estimates()
        )
        assert set(flags["participant"]) == {"CG", "GN"}
        assert (flags["severity"] == flags["score"] / 4.0).all()

    def test_detectors_are_picklable(self):
        """Built-ins pickle (they are plain functions), so executors can ship them."""
        import pickle

        assert pickle.loads(pickle.dumps(DETECTORS)) == DETECTORS


class TestQuietOnDegenerateData:
    @given(frame=statistics_frames(flows=("production", "import", "export"), max_periods=12))
    def test_clean_statistics_give_no_flags(self, frame):
        """Clean synthetic statistics raise no flag from any built-in."""
        assert kp.statistics.detect(KPStatistics.from_frame(frame)).empty

    @given(frame=statistics_frames(flows=("production", "import", "export"), max_periods=1))
    def test_single_period(self, frame):
        """One half year gives no flags."""
        assert kp.statistics.detect(KPStatistics.from_frame(frame)).empty

    @given(frame=statistics_frames(flows=("production", "import", "export"), max_periods=8))
    def test_all_zero(self, frame):
        """All-zero statistics give no flags and no error."""
        frame = frame.assign(carats=0.0, value_usd=0.0)
        assert kp.statistics.detect(KPStatistics.from_frame(frame)).empty

    @pytest.mark.parametrize("replication", [False, True])
    def test_empty(self, replication):
        """Empty statistics give an empty table with the flag columns."""
        columns = ["participant", "year", "half", "flow", "carats", "value_usd"]
        frame = pd.DataFrame({c: [] for c in columns + (["replication"] if replication else [])})
        flags = kp.statistics.detect(KPStatistics.from_frame(frame))
        assert flags.empty
        assert set(FLAG_COLUMNS) <= set(flags.columns)


class TestInjectedAnomalies:
    @given(frame=statistics_frames(min_periods=2), data=st.data(), factor=st.floats(4, 100))
    def test_period_jump_finds_a_jump(self, frame, data, factor):
        """Multiplying one half year's production by 4 or more is flagged by period_jump."""
        participant, year, half, mask = victim(data, frame)
        frame.loc[mask, ["carats", "value_usd"]] *= data.draw(
            st.sampled_from([factor, 1 / factor])
        )
        flags = kp.statistics.period_jump(KPStatistics.from_frame(frame))
        assert flagged(flags, participant, year, half)

    @given(frame=statistics_frames(min_periods=5), data=st.data(), factor=st.floats(4, 100))
    def test_value_per_carat_finds_a_mispricing(self, frame, data, factor):
        """Pricing one half year 4 times off the participant's norm is flagged."""
        participant, year, half, mask = victim(data, frame)
        frame.loc[mask, "value_usd"] *= data.draw(st.sampled_from([factor, 1 / factor]))
        flags = kp.statistics.value_per_carat(KPStatistics.from_frame(frame))
        assert flagged(flags, participant, year, half)

    @given(
        frame=statistics_frames(flows=("production", "import", "export"), min_periods=2),
        data=st.data(),
        factor=st.floats(2, 50),
    )
    def test_capacity_finds_exports_beyond_supply(self, frame, data, factor):
        """Exports of twice production plus imports or more are flagged by capacity."""
        participant, year, half, mask = victim(data, frame)
        supply = frame.loc[mask & frame["flow"].isin(["production", "import"]), "carats"].sum()
        frame.loc[mask & (frame["flow"] == "export"), "carats"] = factor * supply
        flags = kp.statistics.capacity(KPStatistics.from_frame(frame))
        assert flagged(flags, participant, year, half)

    @given(frame=statistics_frames(min_participants=2, min_periods=4), data=st.data())
    def test_non_reporting_finds_silence(self, frame, data):
        """Dropping a producer's reports for a year or more is flagged at the first silent half."""
        participant, year, half, _ = victim(data, frame)
        periods = sorted(set(zip(frame["year"], frame["half"], strict=True)))
        start = periods.index((year, half))
        length = data.draw(st.integers(2, max(2, len(periods) - start)))
        silent = set(periods[start : start + length])
        if len(silent) < 2:
            return  # not enough half years left after the victim period
        keys = list(zip(frame["year"], frame["half"], strict=True))
        drop = (frame["participant"] == participant) & pd.Series([k in silent for k in keys])
        flags = kp.statistics.non_reporting(KPStatistics.from_frame(frame[~drop]))
        assert flagged(flags, participant, year, half)

    @given(
        frame=statistics_frames(flows=("production", "import", "export"), min_periods=2),
        data=st.data(),
        factor=st.floats(2, 20),
    )
    def test_hub_markup_finds_a_markup(self, frame, data, factor):
        """Exports valued twice their import value per carat are flagged by hub_markup."""
        participant, year, _, _ = victim(data, frame)
        mask = (frame["participant"] == participant) & (frame["year"] == year)
        frame.loc[mask & (frame["flow"] == "export"), "value_usd"] *= factor
        flags = kp.statistics.hub_markup(KPStatistics.from_frame(frame))
        assert flagged(flags, participant, year)

    def test_mirror_gap_finds_undeclared_imports(self):
        """Exports whose importer declared far less are flagged by mirror_gap."""
        declared = pd.DataFrame(
            {
                "number": ["CG-1", "BW-1"],
                "issuing_country": ["CG", "BW"],
                "destination_country": ["AE", "BE"],
                "issued": ["2004-03-01", "2004-04-01"],
                "hs_code": "7102.10",
                "carats": [2.6e6, 1e6],
                "value_usd": [1e8, 1.4e8],
                "origin": ["CG", "BW"],
                "declared_origins": "",
            }
        )
        confirmed = declared.assign(value_usd=[1e6, 1.4e8])
        stats = KPStatistics.from_ledger(declared, imports=confirmed)
        flags = kp.statistics.mirror_gap(stats)
        assert flags[["participant", "partner"]].values.tolist() == [["CG", "AE"]]
        assert kp.statistics.mirror_gap(KPStatistics.from_ledger(declared)).empty


class TestScaling:
    @given(
        frame=statistics_frames(min_periods=5, max_participants=4),
        data=st.data(),
        carat_scale=st.floats(1e-3, 1e3),
        dollar_scale=st.floats(1e-3, 1e3),
    )
    def test_value_per_carat_flags_do_not_depend_on_units(
        self, frame, data, carat_scale, dollar_scale
    ):
        """Scaling every carat and every dollar by constants leaves the flags unchanged."""
        _, _, _, mask = victim(data, frame)
        frame.loc[mask, "value_usd"] *= data.draw(st.floats(0.01, 100))
        before = kp.statistics.value_per_carat(KPStatistics.from_frame(frame))
        scaled = frame.assign(
            carats=frame["carats"] * carat_scale, value_usd=frame["value_usd"] * dollar_scale
        )
        after = kp.statistics.value_per_carat(KPStatistics.from_frame(scaled))

        # Scores agree to rounding; a score within 1e-9 of the threshold may flip.
        def solid(flags):
            keep = (flags["score"] - flags["threshold"]).abs() > 1e-9
            return set(
                zip(
                    flags.loc[keep, "participant"],
                    flags.loc[keep, "year"],
                    flags.loc[keep, "half"],
                    strict=True,
                )
            )

        assert solid(before) <= set(
            zip(after["participant"], after["year"], after["half"], strict=True)
        )
        assert solid(after) <= set(
            zip(before["participant"], before["year"], before["half"], strict=True)
        )


class TestReplications:
    @settings(max_examples=20)
    @given(
        frame=statistics_frames(
            flows=("production", "import", "export"), min_periods=2, max_periods=8, replications=3
        ),
        data=st.data(),
    )
    def test_replicated_run_equals_separate_runs(self, frame, data):
        """One run over a replication column flags exactly what separate runs flag."""
        _, _, _, mask = victim(data, frame.drop(columns="replication"))
        frame.loc[mask & (frame["replication"] == 1), "carats"] *= 10
        together = kp.statistics.detect(KPStatistics.from_frame(frame))
        for replication in range(3):
            alone = kp.statistics.detect(
                KPStatistics.from_frame(
                    frame[frame["replication"] == replication].drop(columns="replication")
                )
            )
            mine = together[together["replication"] == replication].drop(columns="replication")
            columns = ["participant", "year", "half", "detector", "score"]
            pd.testing.assert_frame_equal(
                alone[columns].reset_index(drop=True), mine[columns].reset_index(drop=True)
            )


class TestRealData:
    """Section 4 of the issue: what the built-ins must and must not find on the shipped data."""

    TOP = 12

    @pytest.fixture
    def flags(self):
        return real_flags()

    @pytest.mark.parametrize(
        ("participant", "year", "episode"),
        [
            ("GN", 2008, "Guinea 2008 spike"),
            ("CF", 2013, "CAR collapse"),
            ("CF", 2016, "CAR resumption"),
        ],
    )
    def test_named_episodes_are_top_findings(self, flags, participant, year, episode):
        """Guinea 2008 and the CAR's 2013 collapse and 2016 resumption are top findings."""
        top = flags.head(self.TOP)
        assert flagged(top, participant, year), episode

    def test_botswana_and_russia_are_quiet_in_ordinary_years(self, flags):
        """Botswana and Russia are flagged only in the world-wide falls of 2009 and 2020."""
        mine = flags[flags["participant"].isin(["BW", "RU"])]
        assert set(mine["year"]) <= {2009, 2020}

    def test_guinea_2008_by_three_detectors(self, flags):
        """Guinea 2008 is found by the capacity band and by the period jump."""
        guinea = flags[(flags["participant"] == "GN") & (flags["year"] == 2008)]
        assert {"capacity", "period_jump"} <= set(guinea["detector"])

    def test_hub_markup_on_kp_2014_figures(self):
        """KP 2014: the UAE's 44 % mark-up is flagged, Antwerp/EU's 1.7 % and India's are not."""
        kp2014 = pd.DataFrame(
            {
                "participant": ["AE", "AE", "EU", "EU", "IN", "IN"],
                "year": 2014,
                "half": 1,
                "flow": ["import", "export"] * 3,
                "carats": [
                    68132733.58,
                    66784409.50,
                    118717488.90,
                    116017435.37,
                    153609121.43,
                    36483891.06,
                ],
                "value_usd": [5906158518.64, 8305737419.73, 15.80e9, 15.71e9, 17.21e9, 1.72e9],
            }
        )
        flags = kp.statistics.hub_markup(KPStatistics.from_frame(kp2014))
        assert flags["participant"].tolist() == ["AE"]
        assert math.isclose(flags["score"].iloc[0], 124.37 / 86.69, rel_tol=1e-3)


class TestPeersAndGrading:
    def test_peer_comparison_flags_an_outlier_among_its_deposit_type(self):
        """A producer priced far from its peers of the same deposit type is flagged by peers."""
        rows = []
        for year in range(2010, 2013):
            for half in (1, 2):
                for code, price in (("BW", 140.0), ("RU", 80.0), ("CA", 120.0), ("ZA", 130.0)):
                    # ZA is always five times its peers' level: its own history looks normal.
                    value = price * (5 if code == "ZA" else 1)
                    rows.append((code, year, half, "production", 1e6, value * 1e6))
        frame = pd.DataFrame(
            rows, columns=["participant", "year", "half", "flow", "carats", "value_usd"]
        )
        stats = KPStatistics.from_frame(frame)
        assert kp.statistics.value_per_carat(stats).empty
        peers = dict.fromkeys(["BW", "RU", "CA", "ZA"], "kimberlite")
        flags = kp.statistics.value_per_carat(stats, peers=peers)
        assert set(flags["participant"]) == {"ZA"}
        assert flags["reason"].str.contains("kimberlite peers").all()

    def test_evaluate_per_replication(self):
        """Units include the replication when flags and truth both carry it."""
        truth = pd.DataFrame({"replication": [0, 1], "participant": "CG", "year": 2004})
        flags = pd.DataFrame(
            {
                "replication": [0, 2],
                "participant": "CG",
                "year": 2004,
                "score": 3.0,
                "threshold": 1.5,
            }
        )
        result = kp.statistics.evaluate(flags, truth)
        assert (result.true_positives, result.false_positives, result.false_negatives) == (1, 1, 1)


class TestPreviousReported:
    @given(
        values=st.lists(st.floats(0, 1e6), min_size=0, max_size=12),
        mask=st.lists(st.booleans(), min_size=12, max_size=12),
        all_reported=st.booleans(),
        window=st.integers(1, 5),
    )
    def test_agrees_with_a_naive_loop(self, values, mask, all_reported, window):
        """The vectorised look-back equals a plain loop over each series, with or without gaps."""
        from kpmodel.statistics._cube import previous_reported

        reported = np.array([True] * len(values) if all_reported else mask[: len(values)])
        series = np.where(reported, np.array(values, dtype=float), np.nan)
        stack, gap = previous_reported(series[None, None, :], reported[None, None, :], window)
        for t in range(len(values)):
            earlier = [i for i in range(t) if reported[i]]
            expected = [series[i] for i in reversed(earlier[-window:])]
            got = [v for v in stack[0, 0, t] if not np.isnan(v)]
            assert got == expected
            assert gap[0, 0, t] == (t - earlier[-1] - 1 if earlier else -1)
