"""Benchmark: simulated years of world trade, end to end, stage by stage.

Runs the built-in ``world-baseline`` scenario over ``--years`` years from 2015 (about 2.3
million lots a year) and prints, for each stage, its time, the peak resident memory during
the stage (``VmHWM``, reset before each stage through ``/proc/self/clear_refs``; it counts
what earlier stages still hold) and the resident memory after it:

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
and under 16 GB of peak memory, on this 2-core machine. The last lines give the end-to-end
time and peak and each target's verdict. ``--progress`` shows a bar over the stages and the
bars of the calls that have one.

Run: ``.venv/bin/python benchmarks/bench_world.py [--years 1] [--reference] [--progress]``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pandas as pd
from tqdm.auto import tqdm

import kpmodel as kp
from kpmodel import definitions as d

sys.path.insert(0, str(Path(__file__).parent))
import bench_provenance as bp

#: The targets of issue 12 for ten years of world trade.
TARGET_SECONDS = 180.0
TARGET_BYTES = 16e9

#: The stages, in order (for the progress bar).
STAGES = (
    "simulate",
    "graph",
    "origin_shares",
    "Lots.from_graph",
    "compare",
    "summary",
    "audit",
)


def _status_gib(field: str) -> float:
    """A memory field of /proc/self/status in GiB (Linux), else NaN."""
    kib = bp.status_kib(field)
    return kib / 2**20 if kib is not None else float("nan")


def stage_peak_gib() -> float:
    """The peak resident memory since the last `bench_provenance.reset_peak`, in GiB."""
    peak = _status_gib("VmHWM")
    if peak == peak:
        return peak
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
    bar = tqdm(total=len(STAGES), desc="stages", unit="stage", disable=not args.progress)
    say = bar.write if args.progress else print

    def stage(
        name: str, fn: Callable[[], Any], reference: Callable[[], Any] | None = None
    ) -> None:
        bar.set_postfix_str(name)
        bp.reset_peak()
        start = time.perf_counter()
        state[name] = fn()
        seconds = time.perf_counter() - start
        row = {"stage": name, "s": seconds, "peak GiB": stage_peak_gib()}
        if reference is not None:
            start = time.perf_counter()
            reference()
            row["kpmodel 0.1 s"] = time.perf_counter() - start
        row["after GiB"] = _status_gib("VmRSS")
        rows.append(row)
        bar.update()
        reference_s = f", kpmodel 0.1 {row['kpmodel 0.1 s']:.2f} s" if reference else ""
        say(
            f"{name:<16} {seconds:8.2f} s, peak {row['peak GiB']:5.2f} GiB, "
            f"after {row['after GiB']:5.2f} GiB{reference_s}"
        )

    stage("simulate", lambda: kp.simulation.run(scenario, seed=1, progress=args.progress))
    stage("graph", lambda: state["simulate"].provenance)
    graph = state["graph"]
    say(f"{len(graph):,} lots, {graph.number_of_flows:,} flows")
    state.pop("simulate")  # the run's arrays and frames: only the graph is needed from here
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
    bar.close()
    table = pd.DataFrame(rows)
    print()
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    # (resetting VmHWM resets ru_maxrss too: the process's peak is the largest stage peak)
    total, peak = float(table["s"].sum()), float(table["peak GiB"].max())
    print(
        f"end to end: {total:.1f} s, peak {peak:.1f} GiB ({args.years} years, {len(graph):,} lots)"
    )
    verdicts = [
        ("3 minutes end to end", total <= TARGET_SECONDS, f"{total:.0f} s"),
        ("under 16 GB peak", peak * 2**30 < TARGET_BYTES, f"{peak * 2**30 / 1e9:.1f} GB"),
    ]
    scope = "" if args.years == 10 else f" (the targets are for 10 years; this ran {args.years})"
    print(
        f"targets{scope}: "
        + "; ".join(f"{what}: {'met' if ok else 'NOT met'} ({got})" for what, ok, got in verdicts)
    )


if __name__ == "__main__":
    main()
