"""Benchmark: one simulated year of world-baseline at about 1 and 2 million lots.

Prints, per size, the time of `kpmodel.simulation.run` (the engine; best of three), the time
to derive the metrics (which builds the statistics and runs the six detectors), and the peak
memory of one run (tracemalloc, which sees numpy's allocations), beside a reference: the same
pipeline written as a pure-Python loop over lots with dictionaries, timed on a small scale
in the same process and scaled linearly to the size of each row.

Targets (issue 6): one million lots in under 10 s, two million within 2.3 times one million.

Run: ``.venv/bin/python benchmarks/bench_simulation.py``
"""

from __future__ import annotations

import math
import random
import time
import tracemalloc

import attrs

import kpmodel as kp

REFERENCE_LOTS = 20_000
REPEATS = 3


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


if __name__ == "__main__":
    main()
