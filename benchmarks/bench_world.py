"""Benchmark: simulated years of world trade, end to end, stage by stage.

Runs the built-in ``world-baseline`` scenario over ``--years`` years from 2015 (about 2.3
million lots a year) and prints, for each stage, its time and the process's peak memory so
far (``ru_maxrss``):

1. ``simulate``: `kpmodel.simulation.run`;
2. ``graph``: the run's provenance graph (`SimulationResult.provenance`, which builds it
   with `ProvenanceGraph.from_frames`);
3. ``origin_shares``: every lot's shares by country, beside the full call of kpmodel 0.1
   (``old_origin_shares`` in ``bench_provenance.py``) when it fits in memory;
4. ``trace + compare``: `Lots.from_graph` with the case book, then `kpmodel.compare` over
   every built-in definition and the per-definition totals (`Comparison.summary`);
5. ``audit``: `kpmodel.provenance.audit` with the shipped register, beside the audit of
   kpmodel 0.1 (``old_audit``) with ``--reference``.

Targets (issue 12): ten years (``--years 10``, about 23M lots) within 3 minutes end to end
and under 16 GB of peak memory, on this 2-core machine.

Run: ``.venv/bin/python benchmarks/bench_world.py [--years 1] [--reference]``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

import attrs
import pandas as pd

import kpmodel as kp
from kpmodel import definitions as d

sys.path.insert(0, str(Path(__file__).parent))
import bench_provenance as bp


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--reference", action="store_true", help="time kpmodel 0.1 too")
    parser.add_argument("--progress", action="store_true", help="show progress bars")
    args = parser.parse_args()
    scenario = attrs.evolve(
        kp.simulation.builtin("world-baseline"), start_year=2015, years=args.years
    )
    rows: list[dict[str, Any]] = []
    state: dict[str, Any] = {}

    def stage(name: str, fn: Any, reference: Any = None) -> None:
        start = time.perf_counter()
        state[name] = fn()
        seconds = time.perf_counter() - start
        row = {"stage": name, "s": seconds, "peak GiB": peak_gib()}
        if reference is not None:
            start = time.perf_counter()
            reference()
            row["kpmodel 0.1 s"] = time.perf_counter() - start
        rows.append(row)
        print(pd.DataFrame(rows[-1:]).to_string(index=False, header=len(rows) == 1), flush=True)

    stage("simulate", lambda: kp.simulation.run(scenario, seed=1))
    stage("graph", lambda: state["simulate"].provenance)
    graph = state["graph"]
    print(f"{len(graph):,} lots, {graph.number_of_flows:,} flows", flush=True)
    state.pop("simulate")
    old_shares = (lambda: bp.old_origin_shares(graph)) if args.reference else None
    stage(
        "origin_shares",
        lambda: kp.origin_shares(graph, progress=args.progress).values.shape,
        old_shares,
    )
    book = d.CaseBook.default()
    stage("Lots.from_graph", lambda: d.Lots.from_graph(graph, book))
    stage("compare", lambda: kp.compare(list(d.BUILTIN_NAMES), state["Lots.from_graph"]))
    stage("summary", lambda: state["compare"].summary)
    state.pop("compare")
    state.pop("Lots.from_graph")
    register = kp.participants.Register.default()
    old_audit = (lambda: bp.old_audit(graph, register=register)) if args.reference else None
    stage(
        "audit",
        lambda: len(kp.provenance.audit(graph, register=register, progress=args.progress)),
        old_audit,
    )
    table = pd.DataFrame(rows)
    print()
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    print(f"end to end: {table['s'].sum():.1f} s, peak {peak_gib():.1f} GiB ({args.years} years)")


if __name__ == "__main__":
    main()
