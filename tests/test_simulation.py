"""Tests of kpmodel.simulation: scenarios, the engine, results, metrics and sweeps."""

import math
import pathlib
import re
import typing

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel.errors import InvalidArgumentError, InvalidRecordError, LoadError, UnknownCodeError
from kpmodel.simulation import builtin, builtin_text, builtins, run
from kpmodel.testing.strategies import lever_values, scenarios


def assert_same(a, b):
    """Frames equal bit for bit (faster than assert_frame_equal on big frames)."""
    assert list(a.columns) == list(b.columns)
    assert a.dtypes.equals(b.dtypes)
    assert a.equals(b)


def metric(result, definition, name, detector=""):
    table = result.metrics.set_index(["definition", "metric", "detector"]).value
    return table[definition, name, detector]


@pytest.fixture(scope="module")
def car():
    return builtin("car-2013")


@pytest.fixture(scope="module")
def congo():
    return builtin("congo-brazzaville-2004")


class TestScenario:
    def test_builtins_load_and_cite_sources(self):
        """Every built-in loads, and every source key it uses is cited."""
        for name in builtins():
            scenario = builtin(name)
            assert scenario.name == name
            for producer in scenario.producers:
                for zone in producer.zones:
                    assert zone.sources or zone.assumptions
                    assert set(zone.sources) <= set(scenario.sources)

    def test_unknown_builtin(self):
        """An unknown built-in name names the built-ins."""
        with pytest.raises(UnknownCodeError, match="car-2013"):
            builtin("atlantis")

    def test_from_toml_file_round_trip(self, tmp_path, car):
        """A built-in written to a file loads back equal."""
        path = tmp_path / "car.toml"
        path.write_text(builtin_text("car-2013"), encoding="utf-8")
        assert kp.simulation.Scenario.from_toml(path) == car

    def test_every_problem_reported_with_its_path(self):
        """Several bad fields give one LoadError listing each with its key path."""
        text = (
            builtin_text("car-2013")
            .replace("probability = 0.07", 'probability = "x"')
            .replace("annual_carats = 5_000", "annual_carats = -5")
            .replace('kind = "unspecified"', 'kind = "alluvial"')
        )
        with pytest.raises(LoadError) as info:
            kp.simulation.Scenario.from_toml_text(text)
        paths = {problem.path for problem in info.value.problems}
        assert paths == {
            "routes[1].probability",
            "producers[1].zones[0].annual_carats",
            "producers[2].zones[0].kind",
        }

    def test_cross_record_problems_reported_together(self):
        """Problems between records (unknown targets, source keys) come all at once."""
        text = (
            builtin_text("car-2013")
            .replace('target = "CD"', 'target = "IN"')
            .replace('sources = ["cameroon-2012"', 'sources = ["nope"')
            .replace("exports = { IN = 1.0 }", "exports = { IN = 0.5 }")
        )
        with pytest.raises(LoadError) as info:
            kp.simulation.Scenario.from_toml_text(text)
        paths = {problem.path for problem in info.value.problems}
        assert paths == {
            "routes[1].target",
            "producers[1].zones[0].sources[0]",
            "hubs[1].exports",
        }

    def test_a_slash_in_a_zone_name_is_refused(self):
        """'CF/west/Nola' would read as zone 'west', site 'Nola' in origin labels."""
        text = builtin_text("car-2013").replace('"west"', '"west/Nola"')
        with pytest.raises(LoadError) as info:
            kp.simulation.Scenario.from_toml_text(text)
        (problem,) = info.value.problems
        assert problem.path.endswith(".name")
        assert "must not contain '/'" in problem.message

    def test_bad_toml_and_missing_file(self, tmp_path):
        """Unparsable text and unreadable files are LoadErrors, not other exceptions."""
        with pytest.raises(LoadError, match="not valid TOML"):
            kp.simulation.Scenario.from_toml_text("name = ")
        with pytest.raises(LoadError, match="cannot read"):
            kp.simulation.Scenario.from_toml(tmp_path / "missing.toml")

    def test_undocumented_numbers_refused(self):
        """A zone with neither sources nor assumptions cannot be built."""
        with pytest.raises(InvalidRecordError, match="sources"):
            kp.simulation.Zone(
                name="z",
                annual_carats=1,
                value_per_carat=kp.simulation.ValuePerCarat(median=1, sigma=0),
            )

    def test_with_levers_returns_a_new_scenario(self, car):
        """Levers change a copy; the base scenario is unchanged."""
        reform = car.with_levers(origin_listing_on_mixed=True, border_controls=0.5)
        assert reform.controls.origin_listing_on_mixed is True
        assert reform.controls.border_controls == 0.5
        assert car.controls.origin_listing_on_mixed is False
        assert reform.with_levers(definition="EU_2023").definition == "EU_2023"
        assert set(car.lever_values()) == set(kp.simulation.LEVERS)

    @pytest.mark.parametrize(
        ("levers", "match"),
        [
            ({"curfew": True}, "not a policy lever"),
            ({"border_controls": 1.5}, "between 0 and 1"),
            ({"origin_listing_on_mixed": 1}, "True or False"),
            ({"definition": "NO_SUCH_TEXT"}, "KPCS_2003"),
        ],
    )
    def test_bad_levers(self, car, levers, match):
        """Unknown levers and bad values raise InvalidArgumentError naming the lever."""
        with pytest.raises(InvalidArgumentError, match=match):
            car.with_levers(**levers)

    def test_calibration_matches_the_table(self):
        """world-baseline production equals the shipped table for its year (India skipped)."""
        scenario = builtin("world-baseline")
        table = kp.simulation.production_table().query("year == 2019 and participant != 'IN'")
        total = sum(float(z.annual_carats) for p in scenario.producers for z in p.zones)
        assert total == pytest.approx(table.carats.sum())


class TestRun:
    def test_same_seed_same_result(self, car):
        """Two runs with one seed give identical frames, bit for bit."""
        a, b = run(car, seed=11), run(car, seed=11)
        names = ("lots", "flows", "certificates", "parcels", "shipments", "statistics", "truth")
        for name in (*names, "metrics"):
            assert_same(getattr(a, name), getattr(b, name))

    def test_other_seed_other_result(self, car):
        """Different seeds draw different lots."""
        assert not run(car, seed=1).lots.carats.equals(run(car, seed=2).lots.carats)

    def test_default_seed_is_the_scenarios(self, congo):
        """Without a seed, the scenario's seed is used."""
        assert run(congo).seed == congo.seed

    @pytest.mark.parametrize("seed", [-1, 1.5, True, "1"])
    def test_bad_seed(self, congo, seed):
        """Seeds must be non-negative integers."""
        with pytest.raises(InvalidArgumentError, match="seed"):
            run(congo, seed=seed)

    @settings(max_examples=30)
    @given(scenarios(), st.integers(0, 2**32), lever_values())
    def test_conservation(self, scenario, seed, levers):
        """Carats produced = at destinations + seized + in stock, for any scenario and levers."""
        result = run(scenario.with_levers(**levers), seed=seed)
        produced, destination, seized, stock = result.conservation()
        assert destination + seized + stock == pytest.approx(produced, rel=1e-9)
        lots = result.lots
        by_fate = lots[lots.kind != "pool"].groupby("fate", observed=False).carats.sum()
        assert by_fate["destination"] == pytest.approx(destination, rel=1e-9)
        assert lots.query("kind == 'production'").carats.sum() == pytest.approx(produced)

    @settings(max_examples=20)
    @given(scenarios(), st.integers(0, 2**32))
    def test_truth_shares_and_flows(self, scenario, seed):
        """Origin shares of each arriving lot sum to 1, and flows conserve carats."""
        result = run(scenario, seed=seed)
        truth = result.truth
        if len(truth):
            assert np.allclose(truth.groupby("lot_id").share.sum(), 1.0)
        flows, lots = result.flows, result.lots.set_index("lot_id")
        into = flows.groupby("target").carats.sum()
        assert np.allclose(into, lots.carats[into.index])
        out = flows.groupby("source").carats.sum()
        assert np.allclose(out, lots.carats[out.index])

    @settings(max_examples=20)
    @given(scenarios(), st.integers(0, 2**32))
    def test_full_border_control_stops_smuggling(self, scenario, seed):
        """With border controls at 1, no smuggled carat goes past the border."""
        result = run(scenario.with_levers(border_controls=1.0), seed=seed)
        smuggled = result.lots.query("smuggled")
        assert (smuggled.fate == "seized").all()
        assert metric(result, "smuggled", "laundered_carats") == 0

    @settings(max_examples=20)
    @given(scenarios(), st.integers(0, 2**32))
    def test_statistics_agree_with_certificates(self, scenario, seed):
        """Exported carats in the statistics equal the carats on the certificates."""
        result = run(scenario, seed=seed)
        exports = result.statistics.query("flow == 'export'").carats.sum()
        assert exports == pytest.approx(result.certificates.carats.sum())

    def test_listing_reveals_more(self, car):
        """Listing origins on mixed certificates lowers opacity."""
        mixed = metric(run(car, seed=5), "all", "opacity")
        listed = metric(
            run(car.with_levers(origin_listing_on_mixed=True), seed=5), "all", "opacity"
        )
        assert listed < mixed

    def test_certificates_say_mixed_or_list(self, car):
        """Hub certificates say MIXED, or list origins when the lever is on."""
        plain = set(run(car, seed=1).certificates.origin)
        listed = set(
            run(car.with_levers(origin_listing_on_mixed=True), seed=1).certificates.origin
        )
        assert "MIXED" in plain
        assert any(origin.startswith("MIXED (") for origin in listed)
        assert "MIXED" not in listed

    def test_metrics_table(self, car):
        """Metrics are tidy, with the names the issue asks for."""
        metrics = run(car, seed=1).metrics
        assert list(metrics.columns) == ["definition", "metric", "detector", "value"]
        detectors = set(metrics.query("metric == 'detection_recall'").detector)
        assert detectors == {"any", *(d.__name__ for d in kp.statistics.BUILTINS)}
        names = set(metrics.metric)
        for name in (
            "laundering_rate",
            "opacity",
            "detection_recall",
            "detection_precision",
            "seized_carats",
        ):
            assert name in names


class TestBuiltinBehaviour:
    """What the simulator must show (issue section 4), with fixed seeds."""

    SEEDS = (0, 1, 2)

    def test_car_most_smuggled_carats_laundered(self, car):
        """Most smuggled CAR carats reach destinations on certificates that hide them."""
        for seed in self.SEEDS:
            result = run(car, seed=seed)
            assert metric(result, "smuggled", "laundering_rate") > 0.5
            assert metric(result, "KPCS_2003", "laundering_rate") > 0.5

    def test_car_definitions_judge_the_zones(self, car):
        """Under the definition in force the Séléka zone is IN, the western zone open."""
        result = run(car, seed=0)
        assert metric(result, "KPCS_2003", "positive_carats") == pytest.approx(300_000)
        assert metric(result, "KPCS_2003", "undetermined_carats") == pytest.approx(300_000)
        other = run(car.with_levers(definition="G7_RUSSIA_ORIGIN_2024"), seed=0)
        assert metric(other, "G7_RUSSIA_ORIGIN_2024", "positive_carats") == 0

    def test_car_listing_lowers_hub_laundering(self, car):
        """With origin listing on mixed certificates, laundering through hubs falls."""
        reform = car.with_levers(origin_listing_on_mixed=True)
        for seed in self.SEEDS:
            before = metric(run(car, seed=seed), "smuggled", "hub_laundering_rate")
            after = metric(run(reform, seed=seed), "smuggled", "hub_laundering_rate")
            assert after < before

    def test_car_less_monitoring_less_detection(self, car):
        """With monitoring coverage reduced, detection (footprint interdiction) falls."""
        reduced = car.with_levers(monitoring_coverage=0.2)
        for seed in self.SEEDS:
            for definition in ("smuggled", "KPCS_2003"):
                before = metric(run(car, seed=seed), definition, "interdiction_recall")
                after = metric(run(reduced, seed=seed), definition, "interdiction_recall")
                assert after < before

    def test_congo_capacity_detector_flags_congo(self, congo):
        """The capacity detector flags the Republic of Congo on the simulated statistics."""
        for seed in self.SEEDS:
            result = run(congo, seed=seed)
            flags = kp.statistics.capacity(result.kp_statistics)
            assert "CG" in set(flags.participant)
            assert metric(result, "smuggled", "detection_recall", "capacity") > 0
            assert metric(result, "smuggled", "detection_precision", "capacity") == 1.0

    def test_congo_exports_far_beyond_production(self, congo):
        """The Republic of Congo's simulated exports are about 100 times its production."""
        stats = run(congo, seed=0).statistics.query("participant == 'CG'")
        totals = stats.groupby("flow").carats.sum()
        assert totals["export"] > 50 * totals["production"]
        assert totals["export"] == pytest.approx(5.2e6, rel=0.05)


class TestSweep:
    LEVERS: typing.ClassVar = {
        "origin_listing_on_mixed": [False, True],
        "border_controls": [0.0, 0.3],
    }

    def test_table_shape(self, congo):
        """One block of metrics per combination and seed, with the lever values."""
        table = kp.simulation.sweep(congo, levers=self.LEVERS, seeds=[3, 4], progress=False)
        assert list(table.columns[:4]) == [
            "run_id",
            "seed",
            "origin_listing_on_mixed",
            "border_controls",
        ]
        assert table.run_id.nunique() == 8
        assert table.groupby("run_id").seed.first().tolist() == [3, 4] * 4
        single = run(congo.with_levers(origin_listing_on_mixed=True, border_controls=0.3), seed=4)
        rows = table.query("run_id == 7")
        np.testing.assert_array_equal(rows.value.to_numpy(), single.metrics.value.to_numpy())

    def test_process_pool_gives_the_same_table(self, congo):
        """Serial and process-pool sweeps give identical tables."""
        from concurrent.futures import ProcessPoolExecutor

        serial = kp.simulation.sweep(congo, levers=self.LEVERS, seeds=2, progress=False)
        with ProcessPoolExecutor(max_workers=2) as pool:
            parallel = kp.simulation.sweep(
                congo, levers=self.LEVERS, seeds=2, executor=pool, progress=False
            )
        pd.testing.assert_frame_equal(serial, parallel)

    def test_interrupted_then_resumed(self, congo, tmp_path):
        """A sweep stopped half-way and resumed returns the uninterrupted table."""
        expected = kp.simulation.sweep(congo, levers=self.LEVERS, seeds=2, progress=False)

        class CrashError(Exception):
            pass

        class StopAfter:
            """An executor that runs three tasks, then fails like a killed worker."""

            def __init__(self):
                self.count = 0

            def submit(self, fn, *args):
                from concurrent.futures import Future

                future = Future()
                self.count += 1
                if self.count > 3:
                    future.set_exception(CrashError())
                else:
                    future.set_result(fn(*args))
                return future

        with pytest.raises(kp.errors.SweepError) as caught:
            kp.simulation.sweep(
                congo, levers=self.LEVERS, seeds=2, executor=StopAfter(),
                checkpoint=tmp_path, progress=False,
            )  # fmt: skip
        assert list(caught.value.failures.run_id) == [3, 4, 5, 6, 7]
        assert set(caught.value.failures.error) == {"CrashError: "}
        pd.testing.assert_frame_equal(caught.value.table, expected[expected.run_id < 3])
        assert len(list(tmp_path.glob("run-*.json"))) == 3
        assert len(list(tmp_path.glob("failed-*.json"))) == 5
        resumed = kp.simulation.sweep(
            congo, levers=self.LEVERS, seeds=2, checkpoint=tmp_path, progress=False
        )
        pd.testing.assert_frame_equal(resumed, expected)
        again = kp.simulation.sweep(
            congo, levers=self.LEVERS, seeds=2, checkpoint=tmp_path, progress=False
        )
        pd.testing.assert_frame_equal(again, expected)

    def test_checkpoint_of_another_sweep_refused(self, congo, tmp_path):
        """A checkpoint directory holding another sweep is not mixed in."""
        kp.simulation.sweep(congo, levers={}, seeds=1, checkpoint=tmp_path, progress=False)
        with pytest.raises(InvalidArgumentError, match="another sweep"):
            kp.simulation.sweep(congo, levers={}, seeds=2, checkpoint=tmp_path, progress=False)

    @pytest.mark.parametrize(
        ("levers", "seeds"),
        [({"nope": [1]}, 1), ({"border_controls": []}, 1), ({"border_controls": 0.5}, 1),
         ({}, -1), ({}, [1.5])],
    )  # fmt: skip
    def test_bad_arguments(self, congo, levers, seeds):
        """Bad levers or seeds raise InvalidArgumentError before any run."""
        with pytest.raises(InvalidArgumentError):
            kp.simulation.sweep(congo, levers=levers, seeds=seeds, progress=False)


def test_metrics_nan_when_nothing_seized():
    """Precision is NaN, not an error, when nothing was seized."""
    scenario = builtin("world-baseline")
    small = attrs.evolve(
        scenario, lot_carats={"artisanal": 5e4, "industrial": 5e4, "unspecified": 5e4}
    )
    small = small.with_levers(hub_import_verification=0.0, footprint_checks=0.0)
    result = run(small, seed=0)
    assert math.isnan(metric(result, "smuggled", "interdiction_precision"))
    assert math.isnan(metric(result, "smuggled", "detection_recall", "any"))
    assert metric(result, "all", "seized_carats") == 0


def test_shipped_data_is_inside_the_package():
    """The built-in TOML files and the production table ship with the package."""
    data = pathlib.Path(kp.simulation.__file__).parent / "data"
    names = {path.name for path in data.iterdir()}
    assert {f"{name}.toml" for name in builtins()} | {"kp_production_annual.csv"} <= names


def test_dask_cluster_gives_the_same_table(congo):
    """A sweep on a real dask.distributed LocalCluster gives the serial table.

    The cluster's worker runs in this process (quicker to start); pickling to worker
    processes is covered by the process-pool test.
    """
    import distributed  # the distributed extra, installed by make test

    levers = {"border_controls": [0.0, 0.3]}
    serial = kp.simulation.sweep(congo, levers=levers, seeds=2, progress=False)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_cluster = kp.simulation.sweep(
            congo, levers=levers, seeds=2, executor=client.get_executor(), progress=False
        )
    assert_same(serial, on_cluster)


@settings(max_examples=15)
@given(scenarios(max_producers=2), st.integers(0, 2**32))
def test_truth_agrees_with_provenance_attribution(scenario, seed):
    """The engine's origin shares at destinations equal kpmodel.origin_shares on its graph."""
    result = run(scenario, seed=seed)
    truth = result.truth
    if truth.empty:
        return
    expected = truth.pivot_table(
        index="lot_id", columns="origin", values="share", aggfunc="sum", observed=True
    ).fillna(0.0)
    shares = kp.origin_shares(result.provenance).to_frame()
    got = shares.loc[expected.index, list(expected.columns)]
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), atol=1e-9)


def test_killed_sweep_resumes_to_the_same_table(congo, tmp_path):
    """A sweep process killed (SIGKILL) half-way, then resumed, gives the full table."""
    import subprocess
    import sys
    import time

    levers = {"border_controls": [0.0, 0.1, 0.2]}
    code = (
        "import kpmodel as kp\n"
        "kp.simulation.sweep(kp.simulation.builtin('congo-brazzaville-2004'),"
        f" levers={levers!r}, seeds=2, checkpoint={str(tmp_path)!r}, progress=False)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("run-*.json"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        process.kill()
        process.wait()
    finished = len(list(tmp_path.glob("run-*.json")))
    assert 2 <= finished < 6  # killed half-way: the resume below has runs left to do
    resumed = kp.simulation.sweep(
        congo, levers=levers, seeds=2, checkpoint=tmp_path, progress=False
    )
    expected = kp.simulation.sweep(congo, levers=levers, seeds=2, progress=False)
    assert_same(resumed, expected)


@settings(max_examples=15)
@given(scenarios(), st.integers(0, 2**32))
def test_mirror_gaps_are_the_seizures_on_arrival(scenario, seed):
    """Exports declared minus the partners' imports equals what was seized on arrival."""
    result = run(scenario, seed=seed)
    trade = result.statistics.query("flow != 'production'")
    by_flow = trade.groupby("flow").carats.sum()
    exported, imported = by_flow.get("export", 0.0), by_flow.get("import", 0.0)
    lots = result.lots
    on_arrival = lots[lots.seized_by.isin(["import_verification", "footprint", "import_ban"])]
    certified = on_arrival[on_arrival.lot_id.isin(result.parcels.lot_id)]
    assert exported - imported == pytest.approx(certified.carats.sum(), abs=1e-6)


@settings(max_examples=15)
@given(scenarios(), st.integers(0, 2**32), st.floats(0, 1), st.floats(0, 1))
def test_levers_reuse_the_random_streams(scenario, seed, low, high):
    """Raising border controls changes only the border: same lots, a superset seized there."""
    low, high = min(low, high), max(low, high)
    a = run(scenario.with_levers(border_controls=low), seed=seed).lots
    b = run(scenario.with_levers(border_controls=high), seed=seed).lots
    produced_a, produced_b = a.query("kind == 'production'"), b.query("kind == 'production'")
    np.testing.assert_array_equal(produced_a.carats, produced_b.carats)
    np.testing.assert_array_equal(produced_a.smuggled, produced_b.smuggled)
    at_border_a = set(produced_a.lot_id[produced_a.seized_by == "border"])
    at_border_b = set(produced_b.lot_id[produced_b.seized_by == "border"])
    assert at_border_a <= at_border_b


def test_progress_bars_when_asked(congo, capsys):
    """progress=True draws a bar for a run and a sweep on stderr; the default stays silent."""
    run(congo, seed=0, progress=True)
    kp.simulation.sweep(congo, levers={}, seeds=1, progress=True)
    err = capsys.readouterr().err
    assert "stage" in err
    assert "run" in err
    run(congo, seed=0)
    kp.simulation.sweep(congo, levers={}, seeds=1)
    assert capsys.readouterr().err == ""


@settings(max_examples=15)
@given(scenarios(max_producers=2), st.integers(0, 2**32))
def test_paperwork_agrees_with_provenance_rule(scenario, seed):
    """Every certificate declares what kpmodel.provenance derives from the graph alone."""
    result = run(scenario, seed=seed)
    lots, flows = result.provenance_frames()
    graph = kp.ProvenanceGraph.from_frames(lots.drop(columns="declared_origin"), flows)
    derived = kp.provenance.declared_origins(graph).set_index("lot_id").declared_origin
    ours = lots[lots.kind == "ship"].set_index("lot_id").declared_origin
    assert derived.loc[ours.index].astype(str).tolist() == ours.astype(str).tolist()


def test_opacity_agrees_with_provenance(congo):
    """The opacity metric equals kpmodel.provenance.opacity at the destination."""
    for levers in ({}, {"origin_listing_on_mixed": True}):
        result = run(congo.with_levers(**levers), seed=4)
        theirs = kp.provenance.opacity(result.provenance).loc["IN", "opacity"]
        assert metric(result, "all", "opacity") == pytest.approx(theirs, rel=1e-9)


@pytest.mark.parametrize("name", ["car-2013", "congo-brazzaville-2004"])
def test_detection_metrics_agree_with_evaluate(name):
    """Detector precision and recall equal kpmodel.statistics.evaluate on the same flags."""
    result = run(builtin(name), seed=3)
    flags = kp.statistics.detect(result.kp_statistics)
    truth = result.anomalies("smuggled")
    for detector in ["any", *(d.__name__ for d in kp.statistics.BUILTINS)]:
        mine = flags if detector == "any" else flags[flags.detector == detector]
        graded = kp.statistics.evaluate(mine, truth)
        recall = metric(result, "smuggled", "detection_recall", detector)
        precision = metric(result, "smuggled", "detection_precision", detector)
        assert recall == pytest.approx(graded.recall, nan_ok=True)
        assert precision == pytest.approx(graded.precision, nan_ok=True)


@settings(max_examples=25)
@given(scenarios(), st.integers(0, 2**32))
def test_metrics_are_consistent(scenario, seed):
    """Per definition: laundered and seized carats never exceed what left, rates in [0, 1]."""
    result = run(scenario, seed=seed)
    m = result.metrics
    for definition in ("smuggled", scenario.definition):
        rows = m[(m.definition == definition) & (m.detector == "")].set_index("metric").value
        left = rows["positive_carats"]
        assert rows["laundered_carats"] <= left * (1 + 1e-9) + 1e-9
        assert rows["seized_carats"] <= left * (1 + 1e-9) + 1e-9
        for rate in ("laundering_rate", "hub_laundering_rate", "interdiction_recall"):
            assert np.isnan(rows[rate]) or -1e-9 <= rows[rate] <= 1 + 1e-9
    detection = m[m.metric.str.startswith("detection")].value.dropna()
    assert ((detection >= 0) & (detection <= 1)).all()


def test_rules_run_on_the_simulated_ledger(car):
    """kpmodel.check runs on the simulated certificates; without an expiry it says so."""
    result = run(car.with_levers(origin_listing_on_mixed=True), seed=1)
    records = result.certificate_records(validity_days=30)
    assert len(records) == len(result.certificates)
    assert sum(len(c.parcels) for c in records) == len(result.parcels)
    assert kp.check(records).findings == ()
    rules = {finding.rule for finding in kp.check(result.certificate_records()).findings}
    assert rules == {"annex-i-dates"}
    listed = [p for c in records for p in c.parcels if p.declared_origins]
    assert listed
    assert all(p.origin == "MIXED" for p in listed)


def test_sweep_keeps_on_off_levers_boolean(congo, tmp_path):
    """On/off levers come back as booleans, from a fresh sweep and from a checkpoint alike."""
    levers = {"origin_listing_on_mixed": [False, True]}
    fresh = kp.simulation.sweep(congo, levers=levers, seeds=1, progress=False)
    kp.simulation.sweep(congo, levers=levers, seeds=1, checkpoint=tmp_path, progress=False)
    resumed = kp.simulation.sweep(
        congo, levers=levers, seeds=1, checkpoint=tmp_path, progress=False
    )
    for table in (fresh, resumed):
        assert table["origin_listing_on_mixed"].dtype == bool
        assert set(table["origin_listing_on_mixed"]) == {False, True}


def test_damaged_checkpoint_is_named_not_silently_redone(congo, tmp_path):
    """A checkpoint file damaged from outside is reported by name; nothing is deleted."""
    levers = {"border_controls": [0.0]}
    kp.simulation.sweep(congo, levers=levers, seeds=1, checkpoint=tmp_path, progress=False)
    (damaged,) = tmp_path.glob("run-*.json")
    damaged.write_bytes(b"not a run file")
    with pytest.raises(kp.errors.LoadError, match=re.escape(damaged.name)):
        kp.simulation.sweep(congo, levers=levers, seeds=1, checkpoint=tmp_path, progress=False)
    assert damaged.exists()
