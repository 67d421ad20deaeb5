"""Benchmark: one simulated year of world-baseline at about 1 and 2 million lots.

Prints, per size, the time of `kpmodel.simulation.run` (the engine; best of three), the time
to derive the metrics (which builds the statistics and runs the six detectors), and the peak
memory of one run (tracemalloc, which sees numpy's allocations), beside a reference: the same
pipeline written as a pure-Python loop over lots with dictionaries, timed on a small scale
in the same process and scaled linearly to the size of each row.

Targets (issue 6): one million lots in under 10 s, two million within 2.3 times one million.

Then a 1,000-run Latin hypercube sweep (issue 14) on a dask LocalCluster (two worker
processes, one thread each), beside the same sweep run serially in this process (the
reference), with the check that both tables, and their summaries, are the same bit for bit.
The scenario is russia-2024 (one year, two steps) with lots scaled to about 2,000 a year, and
three uncertain inputs (traceability, Antwerp's import verification, Dubai's mark-up), one
seed per design point: a run then costs about a quarter of a second, most of it the six
detectors on the run's statistics, so both sweeps take some minutes on two cores.

Run: ``.venv/bin/python benchmarks/bench_simulation.py`` (everything) or
``.venv/bin/python benchmarks/bench_simulation.py sweep`` (the sweep only).
"""

from __future__ import annotations

import math
import os
import random
import resource
import sys
import time
import tracemalloc
from typing import Any

import attrs
import pandas as pd

import kpmodel as kp

REFERENCE_LOTS = 20_000
REPEATS = 3
SWEEP_SCENARIO = "russia-2024"
SWEEP_RUNS = 1_000
SWEEP_LOTS = 2_000
SWEEP_INPUTS = {
    "controls.traceability": (0.0, 1.0),
    "controls.hub_import_verification": (0.0, 1.0),
    "hubs[0].markup": (1.0, 1.5),
}


def scaled(scenario: kp.simulation.Scenario, lots: int) -> kp.simulation.Scenario:
    """Return `scenario` with lot sizes set so that one year has about `lots` lots."""
    carats = sum(float(z.annual_carats) for p in scenario.producers for z in p.zones)
    size = carats / lots
    return attrs.evolve(scenario, lot_carats=dict.fromkeys(scenario.lot_carats, size))


def reference_run(scenario: kp.simulation.Scenario, seed: int) -> tuple[int, float, float]:
    """The engine's pipeline as a per-lot Python loop, without routes and import checks.

    Returns the number of production lots, carats produced and carats at destinations.
    """
    rng = random.Random(seed)
    c = scenario.controls
    spy = scenario.steps_per_year
    hubs = {h.country: h for h in scenario.hubs}
    incoming: dict[str, list[dict[str, object]]] = {h: [] for h in hubs}
    arrived: list[dict[str, object]] = []

    def choose(shares: tuple[kp.simulation.Share, ...]) -> str:
        u, total = rng.random(), 0.0
        for share in shares:
            total += share.share
            if u < total:
                return share.to
        return shares[-1].to

    produced = 0.0
    n_lots = 0
    for producer in scenario.producers:
        for zone in producer.zones:
            per_step = float(zone.annual_carats) / spy
            mean = float(scenario.lot_carats[zone.kind])
            count = max(1, round(per_step / mean))
            for step in range(spy):
                weights = [rng.gammavariate(scenario.lot_shape, 1.0) for _ in range(count)]
                total = sum(weights)
                for w in weights:
                    carats = per_step * w / total
                    vpc = math.exp(
                        math.log(float(zone.value_per_carat.median))
                        + zone.value_per_carat.sigma * rng.gauss(0, 1)
                    )
                    lot = {
                        "carats": carats,
                        "value": carats * vpc,
                        "step": step,
                        "registered": rng.random() < c.monitoring_coverage,
                        "shares": {(producer.country, zone.name): 1.0},
                        "declared": {producer.country},
                    }
                    produced += carats
                    n_lots += 1
                    target = choose(producer.exports)
                    (incoming[target] if target in hubs else arrived).append(lot)
    for country, hub in hubs.items():
        lots = incoming[country]
        kept = list(lots)  # the reference leaves out the import checks
        rng.shuffle(kept)
        kept.sort(key=lambda lot: lot["step"])
        pools: list[list[dict[str, object]]] = []
        filled = math.inf
        step = -1
        for lot in kept:
            if lot["step"] != step or filled >= float(hub.pool_carats):
                pools.append([])
                filled, step = 0.0, lot["step"]
            pools[-1].append(lot)
            filled += lot["carats"]  # type: ignore[operator]
        for pool in pools:
            carats = sum(lot["carats"] for lot in pool)  # type: ignore[misc]
            value = sum(lot["value"] for lot in pool) * hub.markup  # type: ignore[misc]
            shares: dict[tuple[str, str], float] = {}
            for lot in pool:
                for origin, share in lot["shares"].items():  # type: ignore[attr-defined]
                    shares[origin] = shares.get(origin, 0.0) + share * lot["carats"] / carats
            n_parcels = max(1, round(carats / float(hub.parcel_carats)))
            weights = [rng.gammavariate(scenario.lot_shape, 1.0) for _ in range(n_parcels)]
            total = sum(weights)
            for w in weights:
                parcel = {
                    "carats": carats * w / total,
                    "value": value * w / total,
                    "step": pool[0]["step"],
                    "shares": shares,
                    "declared": set(),
                }
                target = choose(hub.exports)
                (incoming[target] if target in hubs else arrived).append(parcel)
    at_destinations = sum(lot["carats"] for lot in arrived)  # type: ignore[misc]
    return n_lots, produced, at_destinations


def measure(scenario: kp.simulation.Scenario) -> tuple[int, float, float, float]:
    engine = math.inf
    for _ in range(REPEATS):  # best of REPEATS: the machine is shared
        start = time.perf_counter()
        result = kp.simulation.run(scenario, seed=1)
        engine = min(engine, time.perf_counter() - start)
    lots = result.lots.query("kind == 'production'").shape[0]
    start = time.perf_counter()
    _ = result.metrics
    metrics = time.perf_counter() - start
    del result
    tracemalloc.start()
    kp.simulation.run(scenario, seed=1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return lots, engine, metrics, peak / 2**20


def main() -> None:
    base = kp.simulation.builtin("world-baseline")
    _ = kp.simulation.run(scaled(base, 10_000), seed=0).metrics  # warm-up: imports, caches
    small = scaled(base, REFERENCE_LOTS)
    start = time.perf_counter()
    ref_lots, produced, arrived = reference_run(small, seed=1)
    reference = (time.perf_counter() - start) / ref_lots
    assert abs(produced - arrived) < 1e-6 * produced  # the reference conserves carats too

    print(f"world-baseline {base.start_year}, one year; reference: pure-Python per-lot loop")
    print(f"timed on {ref_lots:,} lots ({reference * 1e6:.1f} us per lot), scaled linearly;")
    print(f"run: best of {REPEATS}; peak memory of one run (tracemalloc)")
    print()
    header = (
        f"{'lots':>11} {'run (s)':>9} {'metrics (s)':>12} {'peak MiB':>9} "
        f"{'reference (s)':>14} {'speed-up':>9}"
    )
    print(header)
    print("-" * len(header))
    times = {}
    for target in (1_000_000, 2_000_000):
        lots, engine, metrics, peak = measure(scaled(base, target))
        ref = reference * lots
        times[target] = engine
        print(
            f"{lots:>11,} {engine:>9.2f} {metrics:>12.2f} {peak:>9.0f} "
            f"{ref:>14.1f} {ref / engine:>8.0f}x"
        )
    print()
    ratio = times[2_000_000] / times[1_000_000]
    print(f"2M / 1M run time: {ratio:.2f} (target: within 2.3); 1M target: under 10 s")


def load() -> tuple[float, float, float]:
    """The machine's load average: the sweep's times depend on what else runs."""
    return os.getloadavg()


def same_bits(left: pd.DataFrame, right: pd.DataFrame) -> bool:
    """True when two tables have the same columns, dtypes and bytes in every column."""
    if list(left.columns) != list(right.columns) or not left.dtypes.equals(right.dtypes):
        return False
    for column in left.columns:
        a, b = left[column].to_numpy(), right[column].to_numpy()
        if a.dtype == object:
            if a.tolist() != b.tolist():
                return False
        elif a.tobytes() != b.tobytes():
            return False
    return True


def sweep_benchmark() -> None:
    """Time a 1,000-run LHS sweep serially and on a dask LocalCluster of two processes."""
    from dask.distributed import Client, LocalCluster

    base = kp.simulation.builtin(SWEEP_SCENARIO)
    scenario = scaled(base, SWEEP_LOTS)
    options: dict[str, Any] = {
        "uncertainties": SWEEP_INPUTS,
        "design": "lhs",
        "samples": SWEEP_RUNS,
        "seeds": 1,
        "progress": False,
    }
    warm_up = {**options, "samples": 2}
    kp.simulation.sweep(scenario, **warm_up)  # imports, caches
    production = sum(float(z.annual_carats) for p in scenario.producers for z in p.zones)
    lots = kp.simulation.run(scenario, seed=1, progress=False).lots.query("kind == 'production'")
    print(
        f"LHS sweep: {SWEEP_RUNS:,} runs (one seed per design point) of {SWEEP_SCENARIO}: "
        f"{scenario.start_year}, {scenario.years} year(s) of {scenario.steps_per_year} steps, "
        f"{production:,.0f} ct a year in lots of ~{production / SWEEP_LOTS:,.0f} ct "
        f"({len(lots):,} production lots in run 1), definition {scenario.definition}"
    )
    ranges = ", ".join(f"{path} in [{lo}, {hi}]" for path, (lo, hi) in SWEEP_INPUTS.items())
    print(f"inputs: {ranges}")
    print("reference: the same sweep run serially in this process")
    print("load average (1, 5, 15 min) at the start: {:.2f} {:.2f} {:.2f}".format(*load()))
    print()
    header = f"{'executor':<36} {'runs':>6} {'time (s)':>9} {'runs/s':>7} {'speed-up':>9}"
    print(header)
    print("-" * len(header))
    start = time.perf_counter()
    serial = kp.simulation.sweep(scenario, **options)
    reference = time.perf_counter() - start
    runs = serial.run_id.nunique()
    print(f"{'serial (this process)':<36} {runs:>6,} {reference:>9.1f} {runs / reference:>7.2f}")
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        executor = client.get_executor()
        kp.simulation.sweep(scenario, executor=executor, **warm_up)  # workers' imports
        start = time.perf_counter()
        on_dask = kp.simulation.sweep(scenario, executor=executor, **options)
        elapsed = time.perf_counter() - start
    label = "dask LocalCluster (2 processes x 1)"
    print(
        f"{label:<36} {runs:>6,} {elapsed:>9.1f} {runs / elapsed:>7.2f} "
        f"{reference / elapsed:>8.2f}x"
    )
    print("load average (1, 5, 15 min) at the end: {:.2f} {:.2f} {:.2f}".format(*load()))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process (max RSS): {peak:,.0f} MiB; table: {len(serial):,} rows")
    print()
    same_table = same_bits(on_dask, serial) and on_dask.attrs == serial.attrs
    same_summary = same_bits(kp.simulation.summarise(on_dask), kp.simulation.summarise(serial))
    print(f"same table bit for bit: {same_table}; same summarise() bit for bit: {same_summary}")
    assert same_table, "the dask sweep's table differs from the serial one"
    assert same_summary, "the dask sweep's summary differs from the serial one"


if __name__ == "__main__":
    if sys.argv[1:] != ["sweep"]:
        main()
        print()
    sweep_benchmark()
