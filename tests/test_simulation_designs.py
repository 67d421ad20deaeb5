"""Sweeps over uncertain inputs: designs, summaries, Sobol indices, on every executor."""

import math
from concurrent.futures import ProcessPoolExecutor

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import kpmodel as kp
from kpmodel.errors import InvalidArgumentError, KPModelError
from kpmodel.simulation import builtin, sensitivity, summarise, sweep

INPUTS = {"controls.border_controls": (0.0, 0.6), "hubs[0].markup": (1.0, 1.5)}


@pytest.fixture(scope="module")
def congo():
    return builtin("congo-brazzaville-2004")


@pytest.fixture(scope="module")
def sobol_table(congo):
    return sweep(congo, uncertainties=INPUTS, design="sobol", samples=8, progress=False)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


class TestDesigns:
    def test_lhs_has_one_point_per_stratum_of_each_input(self, congo):
        """Latin hypercube: each input's range cut in n strata holds exactly one point."""
        n = 6
        table = sweep(congo, uncertainties=INPUTS, design="lhs", samples=n, progress=False)
        points = table.groupby("sample")[list(INPUTS)].first()
        assert len(points) == n
        for path, (low, high) in INPUTS.items():
            strata = np.floor((points[path] - low) / (high - low) * n).astype(int)
            assert sorted(strata) == list(range(n))

    def test_sobol_has_the_saltelli_layout(self, sobol_table):
        """N (d + 2) points; in each block the mixed rows take one column from B."""
        d, n = len(INPUTS), 8
        points = sobol_table.groupby("sample")[list(INPUTS)].first().to_numpy()
        assert points.shape == (n * (d + 2), d)
        for block in points.reshape(n, d + 2, d):
            a, b = block[0], block[-1]
            for j in range(d):
                expected = a.copy()
                expected[j] = b[j]
                np.testing.assert_array_equal(block[1 + j], expected)

    def test_full_design_is_a_grid_crossed_with_levers_and_seeds(self, congo):
        """Levers x grid x seeds, seeds fastest; one column per uncertain input."""
        table = sweep(
            congo,
            levers={"origin_listing_on_mixed": [False, True]},
            uncertainties={"hubs[0].markup": (1.0, 2.0)},
            samples=3,
            seeds=2,
            progress=False,
        )
        runs = table.groupby("run_id").first()
        assert len(runs) == 2 * 3 * 2
        assert sorted(set(runs["hubs[0].markup"])) == [1.0, 1.5, 2.0]
        assert runs.seed.tolist()[:4] == [0, 1, 0, 1]
        assert table.attrs["design"] == "full"

    def test_the_input_reaches_the_run(self, congo):
        """A run of the sweep equals a run of the scenario with the input set by hand."""
        table = sweep(
            congo, uncertainties={"routes[0].probability": (0.1, 0.9)}, samples=2, progress=False
        )
        route = congo.routes[0]
        import attrs

        by_hand = attrs.evolve(congo, routes=[attrs.evolve(route, probability=0.9)])
        expected = kp.simulation.run(by_hand, seed=0).metrics
        got = table[table["routes[0].probability"] == 0.9]
        np.testing.assert_array_equal(got.value.to_numpy(), expected.value.to_numpy())

    def test_a_place_rate_as_a_lever(self, congo):
        """A scenario path works as a lever: the route's own border rate is swept."""
        table = sweep(congo, levers={"routes[0].border_controls": [0.0, 1.0]}, progress=False)
        seized = table[(table.metric == "seized_carats_border") & (table.definition == "all")]
        assert seized.set_index("routes[0].border_controls").value[0.0] == 0.0
        assert seized.set_index("routes[0].border_controls").value[1.0] > 0


class TestBadInput:
    @pytest.mark.parametrize(
        ("kwargs", "named"),
        [
            ({"uncertainties": {"hubs[9].markup": (1, 2)}, "samples": 2}, "hubs[9].markup"),
            ({"uncertainties": {"hubs[0].nope": (1, 2)}, "samples": 2}, "hubs[0].nope"),
            ({"uncertainties": {"hubs[0]markup": (1, 2)}, "samples": 2}, "hubs[0]markup"),
            (
                {"uncertainties": {"routes[0].probability": (0.5, 1.5)}, "samples": 2},
                "routes[0].probability",
            ),
            (
                {"uncertainties": {"controls.border_controls": (-0.1, 0.5)}, "samples": 2},
                "controls.border_controls",
            ),
            ({"uncertainties": {"hubs[0].markup": (2, 1)}, "samples": 2}, "hubs[0].markup"),
            ({"uncertainties": {"hubs[0].name": (1, 2)}, "samples": 2}, "hubs[0].name"),
            ({"uncertainties": {"border_controls": (0, 1)}, "samples": 2}, "border_controls"),
            ({"uncertainties": INPUTS, "design": "lhs"}, "samples"),
            ({"uncertainties": INPUTS, "design": "sobol", "samples": 6}, "power of 2"),
            ({"uncertainties": INPUTS, "design": "latin", "samples": 4}, "latin"),
            ({"design": "lhs", "samples": 4}, "uncertainties"),
            ({"samples": 4}, "samples"),
            ({"levers": {"routes[0].border_controls": [1.5]}}, "routes[0].border_controls"),
        ],
    )
    def test_rejected_before_any_run(self, congo, kwargs, named, monkeypatch):
        """Bad inputs raise a KPModelError naming the input, and no run starts."""
        import kpmodel.simulation._sweep as module

        def no_run(*args, **kwargs):
            msg = "a run started"
            raise AssertionError(msg)

        monkeypatch.setattr(module, "_run_one", no_run)
        with pytest.raises(KPModelError) as info:
            sweep(congo, progress=False, **kwargs)
        assert named in str(info.value)

    def test_ranges_checked_together(self, congo):
        """Two route probabilities that each fit but sum past 1 at their highs are refused."""
        inputs = {"routes[0].probability": (0.5, 0.9)}
        scenario = kp.simulation.builtin("car-2013")
        both = {"routes[0].probability": (0.1, 0.8), "routes[1].probability": (0.1, 0.5)}
        with pytest.raises(InvalidArgumentError, match="high end"):
            sweep(scenario, uncertainties=both, design="lhs", samples=2, progress=False)
        assert sweep(congo, uncertainties=inputs, samples=2, progress=False) is not None

    def test_sensitivity_needs_a_sobol_table(self, congo):
        """sensitivity() on a Latin hypercube table names the design it needs."""
        table = sweep(congo, uncertainties=INPUTS, design="lhs", samples=4, progress=False)
        with pytest.raises(InvalidArgumentError, match="design='sobol'"):
            sensitivity(table, metric="laundering_rate")

    def test_sensitivity_unknown_metric(self, sobol_table):
        """An unknown metric is named with the ones there are."""
        with pytest.raises(InvalidArgumentError, match="nope"):
            sensitivity(sobol_table, metric="nope")


class TestSummarise:
    def test_mean_and_interval_agree_with_a_reference(self, congo):
        """Mean and t interval equal a plain numpy/scipy computation."""
        from scipy import stats

        table = sweep(congo, levers={"border_controls": [0.0, 0.5]}, seeds=4, progress=False)
        summary = summarise(table, confidence=0.9)
        rows = table[(table.metric == "seized_carats") & (table.definition == "all")]
        for lever, values in rows.groupby("border_controls").value:
            got = summary[
                (summary.metric == "seized_carats")
                & (summary.definition == "all")
                & (summary.border_controls == lever)
            ].iloc[0]
            half = stats.t.ppf(0.95, 3) * values.std(ddof=1) / math.sqrt(4)
            assert got["mean"] == pytest.approx(values.mean(), rel=1e-12)
            assert got.ci_low == pytest.approx(values.mean() - half, rel=1e-9, abs=1e-9)
            assert got.ci_high == pytest.approx(values.mean() + half, rel=1e-9, abs=1e-9)
            assert got.n == 4

    def test_by_inputs_and_nan_runs(self, sobol_table):
        """Grouping by an input works; NaN metrics are left out of n."""
        summary = summarise(sobol_table, by=["hubs[0].markup"])
        assert "hubs[0].markup" in summary.columns
        # a Sobol design repeats each value of A or B once in a mixed row: at most 2 runs
        assert summary.n.max() == 2
        nan_metric = summary[
            (summary.definition == "KPCS_2003") & (summary.metric == "laundering_rate")
        ]
        assert (nan_metric.n == 0).all()
        assert nan_metric["mean"].isna().all()
        overall = summarise(sobol_table)
        assert list(overall.columns) == [
            "definition", "metric", "detector", "mean", "ci_low", "ci_high", "n"
        ]  # fmt: skip

    def test_the_headline_views_show_the_same_averages(self, congo):
        """sweep_summary and sweep_means are summarise's means, bit for bit: one way to average."""
        levers = {"border_controls": [0.0, 0.5]}
        table = sweep(congo, levers=levers, seeds=3, progress=False)
        full = summarise(table)
        wanted = full.metric.isin(kp.simulation.HEADLINE_METRICS) & full.detector.isin(["", "any"])
        full = full[wanted].reset_index(drop=True)
        headline = kp.simulation.sweep_summary(table, levers=list(levers))
        keys = ["border_controls", "definition", "metric"]
        assert headline[keys].equals(full[keys])
        assert headline["mean"].to_numpy().tobytes() == full["mean"].to_numpy().tobytes()
        assert headline["runs"].equals(full["n"].rename("runs"))
        rows = table[(table.metric == "seized_carats") & (table.definition == "all")]
        reference = rows.groupby("border_controls").value.std(ddof=1).to_numpy()
        got = headline[(headline.metric == "seized_carats") & (headline.definition == "all")]
        np.testing.assert_allclose(got["std"].to_numpy(), reference, rtol=1e-12)
        means = kp.simulation.sweep_means(table, levers=list(levers), definition=congo.definition)
        row = means.set_index("metric").loc["all seized_carats"]
        assert list(row) == list(got["mean"])

    def test_bad_confidence_types(self, sobol_table):
        """A boolean is not a confidence level, though Python counts it as a number."""
        with pytest.raises(InvalidArgumentError, match="confidence"):
            summarise(sobol_table, confidence=True)

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [({"by": ["nope"]}, "nope"), ({"confidence": 1.5}, "confidence")],
    )
    def test_bad_arguments(self, sobol_table, kwargs, match):
        """Unknown columns and confidence levels outside (0, 1) are refused by name."""
        with pytest.raises(InvalidArgumentError, match=match):
            summarise(sobol_table, **kwargs)


class TestSensitivity:
    def test_the_input_that_drives_the_metric_dominates(self, sobol_table):
        """Border seizures depend on the border rate, not on Dubai's mark-up."""
        indices = sensitivity(sobol_table, metric="seized_carats_border").set_index("input")
        assert indices.ST["controls.border_controls"] > 0.8
        assert abs(indices.ST["hubs[0].markup"]) < 0.1
        assert list(indices.columns) == ["S1", "S1_conf", "ST", "ST_conf"]

    def test_plots(self, sobol_table):
        """Both figures draw on a given axes and return it."""
        _, (left, right) = plt.subplots(1, 2)
        indices = sensitivity(sobol_table, metric="seized_carats_border")
        assert kp.simulation.plot_sensitivity(indices, ax=left) is left
        summary = summarise(sobol_table)
        assert kp.simulation.plot_summary(summary, metric="opacity", ax=right) is right


def test_same_tables_on_every_executor(congo):
    """LHS and Sobol sweeps, their summaries and indices: the same bit for bit everywhere."""
    from dask.distributed import Client, LocalCluster

    kwargs = {"uncertainties": INPUTS, "progress": False, "seeds": 2}
    serial_lhs = sweep(congo, design="lhs", samples=3, **kwargs)
    serial_sobol = sweep(congo, design="sobol", samples=2, **kwargs)
    with ProcessPoolExecutor(2) as pool:
        pool_lhs = sweep(congo, design="lhs", samples=3, executor=pool, **kwargs)
        pool_sobol = sweep(congo, design="sobol", samples=2, executor=pool, **kwargs)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        dask_lhs = sweep(congo, design="lhs", samples=3, executor=client.get_executor(), **kwargs)
        dask_sobol = sweep(
            congo, design="sobol", samples=2, executor=client.get_executor(), **kwargs
        )
    for table in (pool_lhs, dask_lhs):
        assert same_bits(table, serial_lhs)
        assert table.attrs == serial_lhs.attrs
        assert same_bits(summarise(table), summarise(serial_lhs))
    for table in (pool_sobol, dask_sobol):
        assert same_bits(table, serial_sobol)
        assert same_bits(summarise(table), summarise(serial_sobol))
        ours = sensitivity(table, metric="seized_carats_border")
        assert same_bits(ours, sensitivity(serial_sobol, metric="seized_carats_border"))


def same_bits(left, right):
    """Same columns, dtypes and bytes in every column (NaN payloads and -0.0 included)."""
    if list(left.columns) != list(right.columns) or not left.dtypes.equals(right.dtypes):
        return False
    for column in left.columns:
        a, b = left[column].to_numpy(), right[column].to_numpy()
        same = a.tolist() == b.tolist() if a.dtype == object else a.tobytes() == b.tobytes()
        if not same:
            return False
    return True


def test_resumed_design_sweep_is_the_uninterrupted_one(congo, tmp_path):
    """A Latin hypercube sweep resumed from its checkpoint gives the same table and design."""
    kwargs = {"uncertainties": INPUTS, "design": "lhs", "samples": 3, "seeds": [5, 7]}
    first = sweep(congo, checkpoint=tmp_path, progress=False, **kwargs)
    for path in sorted(tmp_path.glob("run-*.json"))[::2]:
        path.unlink()
    resumed = sweep(congo, checkpoint=tmp_path, progress=False, **kwargs)
    assert resumed.equals(first)
    assert resumed.dtypes.equals(first.dtypes)
    assert resumed.attrs == first.attrs
    with pytest.raises(InvalidArgumentError, match="another sweep"):
        sweep(congo, checkpoint=tmp_path, progress=False, **{**kwargs, "samples": 4})
