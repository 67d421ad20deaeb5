"""Sizes refused up front: the memory limit, its one setting, and the work that checks it."""

from __future__ import annotations

import math
import os
import re
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
from kpmodel._boundary import show
from kpmodel.errors import InvalidArgumentError, InvalidRecordError, SizeLimitError
from kpmodel.simulation import _size
from kpmodel.testing.strategies import hostile_values


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
        assert text.endswith(("byte", "bytes", "iB", "amount"))

    @pytest.mark.parametrize(
        ("size", "text"),
        [(0, "0 bytes"), (1, "1 byte"), (1.9, "1 byte"), (2, "2 bytes"), (1023, "1023 bytes")],
    )
    def test_one_byte_is_singular(self, size, text):
        """One byte is '1 byte', not '1 bytes' (16-review 11); other counts are plural."""
        assert _limits.format_size(size) == text


class TestSpellings:
    """Scientific notation, Decimals and numpy numbers are sizes; what is not says why."""

    @pytest.mark.parametrize(
        ("value", "size"),
        [
            ("1e3 GiB", 1000 * 2**30),
            ("1E3gib", 1000 * 2**30),
            ("1.5e9", 1_500_000_000),
            ("1.5e+9 B", 1_500_000_000),
            ("2.5e-1 KiB", 256),
            ("+8 GiB", 8 * 2**30),
            ("1e+03 KiB", 1000 * 2**10),  # what format_size writes from 1000 KiB on
            ("3.20e+06 TiB", int(3.2e6 * 2**40)),
            ("512 bytes", 512),  # what format_size writes below 1 KiB
            ("1 byte", 1),
            (Decimal("1e3"), 1000),
            (Decimal("1.5E9"), 1_500_000_000),
            (Decimal("2.7"), 2),
            (np.uint64(2**40), 2**40),
            (np.int8(100), 100),
            (np.float16(2048), 2048),
            (10**400, 10**400),  # an int is any size (it raised OverflowError)
        ],
    )
    def test_sizes_in_every_spelling(self, value, size):
        assert _limits.parse_size(value) == size

    @pytest.mark.parametrize(
        ("bad", "why"),
        [
            (True, "a bool is not a size"),
            (np.bool_(False), "a bool is not a size"),
            (Decimal("NaN"), "not a number"),
            (Decimal("sNaN"), "not a number"),
            (Decimal("Infinity"), "not finite"),
            (Decimal("-1e3"), "it is negative"),
            (Decimal("0.5"), "less than one byte"),
            (Decimal("1e400"), "more bytes than a float holds"),
            (Fraction(10**400, 3), "more bytes than a float holds"),
            ("1e400 GiB", "more bytes than a float holds"),
            ("1e-3", "less than one byte"),
            ("1e-400", "less than one byte"),
            ("0", "less than one byte"),
            ("-1e3 GiB", "it is negative"),
            ("1e GiB", "not a number followed by a unit"),
            ("nan", "not a number followed by a unit"),
            ("1e3 XB", "'XB' is not a unit"),
            ("1eb", "'eb' is not a unit"),
            (float("-inf"), "it is negative"),
            (float("inf"), "not finite"),
            (np.float64("nan"), "not a number"),
            (-(10**5000), "it is negative"),  # its repr would raise: the message shows it
            (b"8 GiB", "a bytes is not a size"),
        ],
        ids=show,
    )
    def test_refusals_name_the_value_why_and_what_to_write(self, bad, why):
        with pytest.raises(InvalidArgumentError) as refused:
            _limits.parse_size(bad)
        message = str(refused.value)
        assert message.startswith("max_memory must be a positive number of bytes")
        assert f"got {show(bad)} ({why}); write a number of bytes such as 8000000000" in message
        assert "'1.5e3 MiB'" in message
        assert "'none' for no limit" in message

    def test_the_environment_variable_takes_scientific_notation(self, monkeypatch):
        monkeypatch.setenv(_limits.ENVIRONMENT_VARIABLE, "1.5e3 MiB")
        assert _limits.resolve_limit() == 1500 * 2**20
        monkeypatch.setenv(_limits.ENVIRONMENT_VARIABLE, "1e3 parsecs")
        with pytest.raises(InvalidArgumentError, match=r"KPMODEL_MAX_MEMORY must be .*'parsecs'"):
            _limits.resolve_limit()

    @given(st.integers(min_value=1, max_value=2**100))
    def test_what_format_size_writes_reads_back(self, size):
        """format_size's text reads back to within 0.5 % and a byte (3 significant digits,
        then cut to whole bytes), and the size read formats to the same text."""
        text = _limits.format_size(size)
        read = _limits.parse_size(text)
        assert read is not None
        assert abs(read - size) <= 0.005 * size + 1
        assert _limits.format_size(read) == text

    @given(
        mantissa=st.integers(min_value=0, max_value=10**6),
        exponent=st.integers(min_value=-8, max_value=12),
        unit=st.sampled_from(sorted(_limits._UNITS)),
        upper=st.booleans(),
    )
    def test_equivalent_spellings_agree(self, mantissa, exponent, unit, upper):
        """m·10^e written in scientific notation, in plain digits, in capitals or as a
        Decimal times the unit: one size, or the same refusal."""
        number = Decimal(mantissa).scaleb(exponent)
        spellings = [f"{mantissa}e{exponent} {unit}", f"{number:f}{unit}"]
        if upper:
            spellings.append(spellings[0].upper())
        if _limits._UNITS[unit] == 1:
            spellings.append(number)  # a number is bytes
        outcomes = set()
        for spelling in spellings:
            try:
                outcomes.add(_limits.parse_size(spelling))
            except InvalidArgumentError as error:
                outcomes.add(str(error).split(" (", 1)[1].split(")", 1)[0])  # the reason
        assert len(outcomes) == 1, (spellings, outcomes)

    @given(st.integers(min_value=1, max_value=2**53))
    def test_an_int_in_any_type_is_the_same_size(self, size):
        spellings = [size, str(size), float(size), np.int64(size), Decimal(size), f"{size:e}"]
        sizes = {_limits.parse_size(spelling) for spelling in spellings[:5]}
        assert sizes == {size}
        # "%e" keeps 7 digits: the same size to that precision
        assert _limits.parse_size(spellings[5]) == int(float(f"{size:e}"))

    @given(
        st.from_regex(
            re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(|b|kb|mb|gb|tb|kib|mib|gib|tib)\s*", re.I),
            fullmatch=True,
        )
    )
    def test_what_was_accepted_is_read_as_before(self, text):
        """Text of the old grammar (digits, a unit) reads as the old code read it: the float
        of the digits times the unit, cut to whole bytes, refused below one byte."""
        match = re.fullmatch(r"\s*(\S+?)\s*([a-z]*)\s*", text, re.I)
        assert match is not None
        old = float(match.group(1)) * _limits._UNITS[match.group(2).lower()]
        if old >= 1:
            assert _limits.parse_size(text) == int(old)
        else:
            with pytest.raises(InvalidArgumentError, match="less than one byte"):
                _limits.parse_size(text)

    @given(
        st.one_of(
            st.floats(max_value=1, exclude_max=True),
            st.floats(min_value=1e309, allow_infinity=True) | st.just(math.nan),
            st.decimals(max_value=Decimal(1), places=3, allow_nan=False).filter(lambda d: d < 1),
            st.decimals(allow_nan=True, allow_infinity=True).filter(lambda d: not d.is_finite()),
            st.integers(max_value=0),
            st.booleans(),
            st.text().filter(lambda t: not re.search(r"\d", t)),
        )
    )
    def test_what_is_not_a_size_is_refused_naming_it(self, bad):
        """NaN, infinities, negatives, less than a byte, bools and text without a number."""
        if isinstance(bad, str) and bad.strip().lower() in ("none", "unlimited", "off"):
            return  # the three spellings of no limit
        with pytest.raises(InvalidArgumentError) as refused:
            _limits.parse_size(bad, source="KPMODEL_MAX_MEMORY")
        message = str(refused.value)
        assert message.startswith("KPMODEL_MAX_MEMORY must be a positive number of bytes")
        assert f"got {show(bad)} (" in message
        assert "write a number of bytes" in message

    @given(hostile_values())
    def test_any_value_is_a_size_none_or_refused(self, value):
        """Never a raw error: a whole number of bytes, None, or InvalidArgumentError."""
        try:
            size = _limits.parse_size(value)
        except InvalidArgumentError as error:
            size = str(error)
        if isinstance(size, str):
            assert "write a number of bytes" in size
        else:
            assert size is None or (type(size) is int and size >= 1)


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
