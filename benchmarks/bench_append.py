"""Benchmark: the cost of appending lots to a graph loaded with ids (14-hostile #21).

A graph built by `ProvenanceGraph.from_frames` with ids that are not its storage positions
(here ``0, 2, 4, ...``, as a ledger's or a user's ids are) keeps them, and every lot
appended later takes a free id. This prints, for each size, the time per appended lot
(`produce`, then a lookup of the new lot by its id) on such a graph, beside the same
appends on a graph whose ids are its positions (the reference, timed in the same run),
over ``--appends`` lots, and the peak resident memory. Then ``lots`` is read once (the
appended ids joining the Index) and timed.

Run: ``.venv/bin/python benchmarks/bench_append.py [--sizes 100000,1000000] [--appends 20000]``.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

import kpmodel as kp

NO_FLOWS = pd.DataFrame({"source": [], "target": [], "carats": []})


def loaded(n: int, step: int) -> kp.ProvenanceGraph:
    """A graph of `n` production lots with ids ``0, step, 2 * step, ...``."""
    lots = pd.DataFrame({"lot_id": np.arange(n) * step, "carats": 1.0, "origin": "BW"})
    return kp.ProvenanceGraph.from_frames(lots, NO_FLOWS.astype({"source": np.int64}))


def per_lot(graph: kp.ProvenanceGraph, appends: int) -> float:
    """Seconds per appended lot (produce, then a lookup of the new lot by its id)."""
    start = time.perf_counter()
    for _ in range(appends):
        lot = graph.produce(country="BW", carats=1, on="2020-01-01")
        graph.remaining(lot)
    return (time.perf_counter() - start) / appends


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--appends", type=int, default=20_000)
    args = parser.parse_args()
    print(
        "| lots | appends | loaded ids ms/lot | positions ms/lot (reference) | ratio | "
        "lots read s | peak MiB |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in (int(size) for size in args.sizes.split(",")):
        with_ids, reference = loaded(n, 2), loaded(n, 1)
        assert reference._ids is None
        assert with_ids._ids is not None
        ids_time = per_lot(with_ids, args.appends)
        reference_time = per_lot(reference, args.appends)
        start = time.perf_counter()
        lots = with_ids.lots
        read = time.perf_counter() - start
        assert len(lots) == n + args.appends
        assert lots.is_unique
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"| {n:,} | {args.appends:,} | {ids_time * 1e3:.4f} | {reference_time * 1e3:.4f} | "
            f"{ids_time / reference_time:.2f} | {read:.4f} | {peak:,.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
