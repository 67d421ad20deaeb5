"""Sizes refused up front: the memory limit, its one setting, and the work that checks it."""

from __future__ import annotations

import os
import resource
import tracemalloc
from decimal import Decimal
from fractions import Fraction

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel import _limits
from kpmodel.errors import InvalidArgumentError, InvalidRecordError, SizeLimitError
from kpmodel.simulation import _size


@pytest.fixture(scope="module")
def congo():
    return kp.simulation.builtin("congo-brazzaville-2004")


def huge(scenario, carats):
    producer = scenario.producers[0]
    zone = attrs.evolve(producer.zones[0], annual_carats=carats)
    zones = (zone, *producer.zones[1:])
    producers = (attrs.evolve(producer, zones=zones), *scenario.producers[1:])
    return attrs.evolve(scenario, producers=producers)


class TestSetting:
    @pytest.mark.parametrize(
        ("text", "size"),
        [
            ("8 GiB", 8 * 2**30),
            ("8GB", 8 * 10**9),
            ("512 mib", 512 * 2**20),
            ("1.5GiB", 3 * 2**29),
            ("1000", 1000),
            (1000, 1000),
            (2.5e9, 2_500_000_000),
            ("none", None),
            ("Unlimited", None),
            (np.int64(2**33), 2**33),
            (np.float32(2**20), 2**20),
            (Fraction(3, 2) * 2**30, 3 * 2**29),
            (2**200, 2**200),
        ],
    )
    def test_sizes_parse(self, text, size):
        assert _limits.parse_size(text) == size

    @pytest.mark.parametrize(
        "bad",
        [
            "",
            "lots",
            "-1 GiB",
            "8 XB",
            0,
            0.5,
            -5,
            float("nan"),
            float("inf"),
            True,
            [1],
            np.bool_(True),
            np.int64(-1),
            np.float64("nan"),
            Fraction(1, 2),
            Fraction(10**400, 3),
        ],
    )
    def test_bad_sizes_are_refused(self, bad):
        with pytest.raises(InvalidArgumentError, match="max_memory must be a positive"):
            _limits.parse_size(bad)

    def test_keyword_then_environment_then_default(self, monkeypatch):
        monkeypatch.delenv(_limits.ENVIRONMENT_VARIABLE, raising=False)
        pages = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        assert _limits.resolve_limit() == _limits.default_limit() == int(0.6 * pages)
        monkeypatch.setenv(_limits.ENVIRONMENT_VARIABLE, "1 GiB")
        assert _limits.resolve_limit() == 2**30
        assert _limits.resolve_limit("2 GiB") == 2**31
        monkeypatch.setenv(_limits.ENVIRONMENT_VARIABLE, "nonsense")
        with pytest.raises(InvalidArgumentError, match="KPMODEL_MAX_MEMORY must be"):
            _limits.resolve_limit()

    @given(st.floats(min_value=0, allow_nan=False))
    def test_sizes_format_whatever_their_magnitude(self, size):
        text = _limits.format_size(size)
        assert text.endswith(("bytes", "iB", "amount"))


class TestScenario:
    def test_absurd_production_is_refused_before_allocating(self, congo):
        """annual_carats = 1e12: refused with the estimate, what to change and the setting."""
        scenario = huge(congo, Decimal("1e12"))
        tracemalloc.start()
        try:
            with pytest.raises(SizeLimitError) as caught:
                kp.simulation.run(scenario, seed=1)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 50 * 2**20  # nothing like the TiB it would need was allocated
        message = str(caught.value)
        assert "running scenario 'congo-brazzaville-2004'" in message
        assert "TiB of memory, above the limit of" in message
        assert "lower the zones' annual_carats" in message
        assert "KPMODEL_MAX_MEMORY" in message
        assert "max_memory=" in message
        assert caught.value.estimate > caught.value.limit == _limits.default_limit()
        assert isinstance(caught.value, MemoryError)

    @pytest.mark.parametrize("carats", [Decimal("1e300"), Decimal("1e400")])
    def test_astronomical_production_is_refused_not_overflowed(self, congo, carats):
        # Refused when the zone is built, before any estimate: beyond any real production.
        with pytest.raises(InvalidRecordError, match="annual_carats: must be a number"):
            kp.simulation.run(huge(congo, carats), seed=1)

    def test_the_limit_can_be_raised_or_lowered(self, congo, monkeypatch):
        with pytest.raises(SizeLimitError, match="above the limit of 1 KiB"):
            kp.simulation.run(congo, seed=1, max_memory="1 KiB")
        monkeypatch.setenv("KPMODEL_MAX_MEMORY", "1 KiB")
        with pytest.raises(SizeLimitError, match="above the limit of 1 KiB"):
            kp.simulation.run(congo, seed=1)
        assert kp.simulation.run(congo, seed=1, max_memory="none").seed == 1

    def test_built_in_scenarios_fit_the_default_limit(self):
        for name in kp.simulation.builtins():
            _size.check_run(kp.simulation.builtin(name))

    def test_estimate_bounds_the_lots_a_run_makes(self, congo):
        """The estimate is an upper bound of the lots the engine really makes."""
        for name in kp.simulation.builtins():
            scenario = kp.simulation.builtin(name)
            if name == "world-baseline":
                continue  # a million lots: too slow for a unit test
            production, lots = _size.run_lots(scenario)
            book = kp.simulation.run(scenario, seed=3)._arrays.book
            assert book.n_production <= production
            assert book.carats.size <= lots


class TestSweep:
    def test_hundred_million_seeds_refused_before_the_plan_is_built(self, congo):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with pytest.raises(SizeLimitError) as caught:
            kp.simulation.sweep(congo, levers={}, seeds=10**8, progress=False)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert after - before < 200_000  # KiB: no plan of 10^8 runs was built
        message = str(caught.value)
        assert "a sweep of scenario 'congo-brazzaville-2004' with 1e+08 runs" in message
        assert "use fewer seeds" in message

    def test_lever_values_multiply_the_runs(self, congo):
        levers = {"border_controls": [0.1] * 1000, "footprint_checks": [0.2] * 1000}
        with pytest.raises(SizeLimitError, match=r"with 1e\+08 runs"):
            kp.simulation.sweep(congo, levers=levers, seeds=100, progress=False)

    def test_a_sweep_of_an_absurd_scenario_is_refused_before_any_run(self, congo):
        with pytest.raises(SizeLimitError, match="running scenario"):
            kp.simulation.sweep(huge(congo, Decimal("1e12")), levers={}, seeds=2)

    def test_the_sweep_limit_is_passed_to_its_runs(self, congo):
        """A raised limit holds in the workers too, whatever their environment says."""
        from kpmodel.simulation._sweep import _run_one

        with pytest.raises(SizeLimitError):
            _run_one(congo, {}, 1, "1 KiB")
        table = kp.simulation.sweep(congo, levers={}, seeds=1, max_memory="64 GiB")
        assert table.run_id.unique().tolist() == [0]


class TestStatisticsAndGraphs:
    def test_detector_tables_refused_beyond_the_limit(self, monkeypatch):
        stats = kp.statistics.KPStatistics.from_frame(kp.datasets.kp_statistics().to_frame())
        monkeypatch.setenv("KPMODEL_MAX_MEMORY", "1 KiB")
        with pytest.raises(SizeLimitError) as caught:
            kp.statistics.detect(stats)
        message = str(caught.value)
        assert "the detectors' tables of" in message
        assert "check the years" in message
        assert "max_memory=" not in message  # no such keyword here: the variable only
        assert "KPMODEL_MAX_MEMORY" in message

    def test_a_huge_jump_window_is_refused(self):
        stats = kp.datasets.kp_statistics()
        with pytest.raises(SizeLimitError, match="a window of 1000000000 half years"):
            kp.statistics.period_jump(stats, window=10**9)

    def test_networkx_copy_refused_beyond_the_limit(self, monkeypatch):
        graph = kp.ProvenanceGraph()
        mine = graph.produce(country="BW", carats=10, on="2023-05-01")
        graph.ship(mine, to="BE", on="2023-06-01")
        assert graph.to_networkx().number_of_nodes() == 2
        monkeypatch.setenv("KPMODEL_MAX_MEMORY", "1 KiB")
        with pytest.raises(SizeLimitError, match="a networkx copy of a provenance graph of 2"):
            graph.to_networkx()
