"""How much memory a run and a sweep need, estimated from the scenario before allocating.

The engine holds every lot in arrays: production lots (a zone's output per step, cut into
lots of about ``lot_carats``), then per hub the pools traders make (about ``pool_carats``
each, per step) and the parcels they re-split them into (about ``parcel_carats`` each). The
counts below are upper bounds computed from those sizes, in floating point so that absurd
inputs (``annual_carats = 1e300``) give a huge estimate rather than an overflow.

The bytes per lot are measured: ``benchmarks/bench_limits.py`` prints the peak memory of a
run and its metrics per lot for every built-in scenario (about 360 to 370 bytes); the
constant keeps a margin above that.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from kpmodel._limits import Limit, check_memory
from kpmodel.simulation._scenario import Scenario

#: Peak bytes per lot of a run with its metrics (measured about 370; a margin kept).
BYTES_PER_LOT = 512
#: Bytes per row of a sweep's table while it is built (frames, concatenation, dtypes), per
#: column; and the fixed cost of one run's metrics frame held until the table is built.
BYTES_PER_CELL = 48
BYTES_PER_RUN = 12_000
#: Bytes per planned run before any runs (the plan's tuples and dicts, the futures).
BYTES_PER_PLANNED_RUN = 2_000
#: Rows of one run's metrics, at most (a few dozen for the built-in detectors).
METRIC_ROWS = 64


def run_lots(scenario: Scenario) -> tuple[float, float]:
    """Return upper bounds of the production lots and of all lots of a run of `scenario`."""
    steps = max(scenario.years, 1) * max(scenario.steps_per_year, 1)
    production = 0.0
    carats = 0.0
    for producer in scenario.producers:
        for zone in producer.zones:
            per_step = float(zone.annual_carats) / max(scenario.steps_per_year, 1)
            mean = float(scenario.lot_carats.get(zone.kind, 1) or 1)
            production += max(1.0, _round(per_step / mean)) * steps
            carats += per_step * steps
    lots = production
    for hub in scenario.hubs:
        pools = min(lots, carats / float(hub.pool_carats) + steps)
        parcels = carats / float(hub.parcel_carats) + pools
        lots += pools + parcels
    return production, lots


def _round(x: float) -> float:
    return float(round(x)) if math.isfinite(x) else x


def check_run(scenario: Scenario, *, limit: Limit = None) -> None:
    """Refuse (`SizeLimitError`) a run of `scenario` that would need more than the limit."""
    production, lots = run_lots(scenario)
    if math.isnan(lots):
        return  # not a size: the scenario's own validation reports the number
    check_memory(
        lots * BYTES_PER_LOT,
        what=(
            f"running scenario {scenario.name!r} ({production:.3g} production lots, "
            f"{lots:.3g} lots in all)"
        ),
        change=(
            "lower the zones' annual_carats or the years, or raise lot_carats (and the hubs' "
            "pool_carats and parcel_carats)"
        ),
        limit=limit,
    )


def check_sweep(
    scenario: Scenario,
    variants: Iterable[Scenario],
    *,
    runs: float,
    columns: int,
    limit: Limit = None,
) -> None:
    """Refuse a sweep of `runs` runs of `scenario` beyond the limit.

    Checks the table and plan the sweep builds in this process first, then one run of the
    scenario and of each of its `variants` (a worker holds one run at a time).
    """
    name = scenario.name
    table = runs * (BYTES_PER_PLANNED_RUN + BYTES_PER_RUN + METRIC_ROWS * columns * BYTES_PER_CELL)
    check_memory(
        table,
        what=f"a sweep of scenario {name!r} with {runs:.3g} runs (its plan and table)",
        change="use fewer seeds or fewer lever and input values, or split the sweep",
        limit=limit,
    )
    for variant in (scenario, *variants):
        check_run(variant, limit=limit)


def count_runs(levers: Mapping[str, Sequence[object]], seeds: float) -> float:
    """Return the number of runs of a full design over `levers`, in floating point."""
    runs = float(seeds)
    for values in levers.values():
        runs *= len(values)
    return runs
