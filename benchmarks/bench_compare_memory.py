"""Benchmark: the memory `kpmodel.compare` estimates before starting, against its traced peak.

`kpmodel.compare` (and reading `Comparison.table` later) estimates the memory it needs
before allocating it and refuses above ``max_memory=``. Per graph, Lots input and set of
definitions this prints: sizes; the estimate made before starting (``estimate MiB``, the
refusal's at ``max_memory=1``); the smallest ``max_memory=`` compare accepts (``limit MiB``:
the upfront estimate plus what is checked when counted, the shipments' arrivals); the
tracemalloc peak of the call under that limit (``traced MiB``), and ``limit / traced``, which
should be at least 1 and not far above it (the reference); the call's time (untraced). With
``--table``, the same for reading `Comparison.table` (its estimate, `check_table`'s, beside
the traced peak of the read).

Graphs: ``random:N`` is ``bench_definitions.random_graph(N)`` (N lots); ``world:K`` a
simulated year (2015) of the world-baseline scenario with its lot carats multiplied by K.

Lots inputs: ``zone`` (`Lots.from_graph` of every lot, by zone), ``country`` (by country),
``1000`` (1,000 lots judged, by zone). Definitions: ``one`` (KPCS_2003), ``built-ins`` (every
built-in), ``export`` (every built-in judging at export).

Run: ``python benchmarks/bench_compare_memory.py random:10000 random:100000 random:1000000``
(each graph in a fresh process).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import attrs

import kpmodel as kp
from kpmodel import definitions as d
from kpmodel.definitions._graph_lots import check_table
from kpmodel.errors import SizeLimitError

sys.path.insert(0, str(Path(__file__).parent))

BOOK = d.CaseBook.default()
DEFINITIONS: dict[str, list[Any]] = {
    "one": ["KPCS_2003"],
    "built-ins": list(d.BUILTIN_NAMES),
    "export": [
        attrs.evolve(d.get(name), name=f"{name}_AT_EXPORT", judges="export")
        for name in d.BUILTIN_NAMES
    ],
}


def graph_of(spec: str) -> kp.ProvenanceGraph:
    kind, _, value = spec.partition(":")
    if kind == "world":
        import decimal

        scenario = kp.simulation.builtin("world-baseline")
        factor = decimal.Decimal(value)
        scenario = attrs.evolve(
            scenario,
            start_year=2015,
            years=1,
            lot_carats={k: v * factor for k, v in scenario.lot_carats.items()},
        )
        return kp.simulation.run(scenario, seed=1).provenance
    import bench_definitions

    return bench_definitions.random_graph(int(value))


def smallest_limit(call: Any) -> tuple[float, float]:
    """Return (the upfront estimate, the smallest limit `call(limit)` accepts)."""
    limit, first = 1, math.nan
    while True:
        try:
            call(limit)
        except SizeLimitError as error:
            if math.isnan(first):
                first = float(error.estimate)
            limit = math.ceil(error.estimate)
            continue
        return first, float(limit)


def traced(call: Any) -> tuple[float, Any]:
    gc.collect()
    tracemalloc.start()
    try:
        result = call()
        return float(tracemalloc.get_traced_memory()[1]), result
    finally:
        tracemalloc.stop()


def measure(spec: str, inputs: list[str], sets: list[str], table: bool) -> list[dict[str, Any]]:
    graph = graph_of(spec)
    rows = []
    for how in inputs:
        chosen = graph.lots[:: max(len(graph) // 1000, 1)][:1000] if how == "1000" else None
        lots = d.Lots.from_graph(
            graph, BOOK, by="country" if how == "country" else "zone", lots=chosen
        )
        for name in sets:
            definitions = DEFINITIONS[name]
            t0 = time.perf_counter()
            comparison = kp.compare(definitions, lots, max_memory="none")
            seconds = time.perf_counter() - t0
            estimate, limit = smallest_limit(
                lambda limit, lots=lots, definitions=definitions: kp.compare(
                    definitions, lots, max_memory=limit
                )
            )
            peak, comparison = traced(
                lambda lots=lots, definitions=definitions: kp.compare(
                    definitions, lots, max_memory="none"
                )
            )
            row = {
                "graph": spec,
                "lots": len(graph),
                "flows": graph.number_of_flows,
                "Lots": how,
                "judged": len(lots.shares),
                "definitions": name,
                "compare s": round(seconds, 3),
                "estimate MiB": round(estimate / 2**20, 2),
                "limit MiB": round(limit / 2**20, 2),
                "traced MiB": round(peak / 2**20, 2),
                "limit / traced": round(limit / peak, 3),
            }
            if table:
                try:
                    check_table(len(lots.shares), len(definitions) + 1, verdicts=True, limit=1)
                except SizeLimitError as error:
                    need = float(error.estimate)
                read, _ = traced(lambda comparison=comparison: comparison.table)
                row.update(
                    {
                        "table estimate MiB": round(need / 2**20, 2),
                        "table traced MiB": round(read / 2**20, 2),
                        "table estimate / traced": round(need / read, 3),
                    }
                )
            print(json.dumps(row), flush=True)
            rows.append(row)
            del comparison
            gc.collect()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("graphs", nargs="*", default=["random:10000", "random:100000"])
    parser.add_argument("--inputs", default="zone,country,1000")
    parser.add_argument("--sets", default="one,built-ins,export")
    parser.add_argument("--table", action="store_true", help="measure Comparison.table too")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    inputs, sets = args.inputs.split(","), args.sets.split(",")
    if args.one:
        measure(args.one, inputs, sets, args.table)
        return
    for spec in args.graphs:
        command = [sys.executable, __file__, "--one", spec, "--inputs", args.inputs]
        command += ["--sets", args.sets] + (["--table"] if args.table else [])
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
