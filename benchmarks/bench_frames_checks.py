"""Benchmark: what refusing odd ids and booleans costs `ProvenanceGraph.from_frames`.

`from_frames` refuses lot ids that are floats, booleans, dates, durations or decimals, and
booleans where numbers belong (``carats``, ``value_usd``). This prints, for 1M lots (2
flows each, 10 % production lots) with ids in three forms (int64, text in an object
column, pandas ``str``), the time of the whole build (the reference, same run) and of
those checks alone, median of ``--repeat`` runs. Int and ``str`` columns cost a dtype
check; an object column the inferred type of the ids' index (one pass in C).

Run: ``.venv/bin/python benchmarks/bench_frames_checks.py [--lots 1000000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

import kpmodel as kp
from kpmodel.provenance import _frames


def frames(n: int) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """The lots and flows of `n` lots in each form of ids."""
    rng = np.random.default_rng(1)
    k = n // 10
    source = rng.integers(0, k, size=2 * (n - k))
    target = np.repeat(np.arange(k, n), 2)
    produced = np.arange(n) < k
    lots = pd.DataFrame(
        {
            "lot_id": np.arange(n),
            "carats": np.where(produced, 100.0, 1.0),
            "origin": pd.Categorical(
                np.where(produced, np.array(["BW", "RU", "CA"])[np.arange(n) % 3], None)
            ),
            "value_usd": rng.random(n) * 1000,
        }
    )
    flows = pd.DataFrame({"source": source, "target": target, "carats": 0.5})
    text = np.array([f"L{i}" for i in range(n)], dtype=object)
    forms = {"int64": (lots, flows)}
    for name, dtype in (("object text", object), ("str", "str")):
        column = pd.Series(text, dtype=dtype)
        forms[name] = (
            lots.assign(lot_id=column),
            flows.assign(
                source=pd.Series(text[source], dtype=dtype),
                target=pd.Series(text[target], dtype=dtype),
            ),
        )
        assert forms[name][0]["lot_id"].dtype == dtype, forms[name][0]["lot_id"].dtype
    return forms


def checks(lots: pd.DataFrame, flows: pd.DataFrame) -> float:
    """Return the time of the checks this benchmark is about, as the build runs them."""
    ids = pd.Index(lots["lot_id"].to_numpy(), copy=False)  # the build makes it anyway
    start = time.perf_counter()
    _frames._not_ids(lots, "lots", "lot_id", ids)
    _frames._not_ids(flows, "flows", "source", ids)
    _frames._not_ids(flows, "flows", "target", ids)
    for column in (lots["carats"], lots["value_usd"], flows["carats"]):
        _frames._boolean_cells(column)
    return time.perf_counter() - start


def median_time(call: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    forms = frames(args.lots)
    flows = len(next(iter(forms.values()))[1])
    print(f"{args.lots:,} lots, {flows:,} flows; median of {args.repeat} runs")
    print(f"{'ids':12s} {'from_frames s':>14s} {'checks ms':>10s} {'share':>7s}")
    for name, (lots, flow_frame) in forms.items():
        build = median_time(
            lambda lots=lots, flows=flow_frame: kp.ProvenanceGraph.from_frames(lots, flows),
            args.repeat,
        )
        alone = statistics.median(checks(lots, flow_frame) for _ in range(args.repeat))
        print(f"{name:12s} {build:14.3f} {alone * 1000:10.2f} {alone / build:7.2%}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
