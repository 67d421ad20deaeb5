"""Benchmark: building provenance graphs and attributing origins, against networkx references.

Random provenance graphs in the shape of the real trade (about 10% production lots, 1-5
parents per merge, some single-parent splits, about 2.5 flows per lot, at most 16 steps from
a mine) at 10k, 100k and 1M lots with 30 and 200 origins. For each, the table gives the time
and peak memory (tracemalloc, in a separate call) of `ProvenanceGraph.from_frames` and
`origin_shares` (best of 2 and of 3 calls; the first call of `origin_shares` is also shown),
beside two references timed once in the same run:

- a networkx topological propagation with one {origin: share} dict per lot (all sizes;
  a lot's dict is dropped once all its children have read it);
- per-lot ancestor walks (`nx.ancestors`, then a propagation over that sub-graph), timed on
  a sample of lots and scaled to all lots (small sizes only).

Run: ``.venv/bin/python benchmarks/bench_provenance.py [--sizes 10000,100000,1000000]``.
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pycountry

import kpmodel as kp

GENERATIONS = 16
SAMPLE = 40


def random_frames(n: int, n_origins: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (lots, flows) frames of a random provenance graph of `n` lots."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    codes = np.array([c.alpha_2 for c in pycountry.countries][:n_origins], dtype=object)
    n_prod = n // 10
    sizes = np.full(GENERATIONS, (n - n_prod) // GENERATIONS)
    sizes[-1] += n - n_prod - sizes.sum()
    generation = np.concatenate([np.zeros(n_prod, np.int64), np.repeat(np.arange(1, 17), sizes)])
    start = np.concatenate([[0], np.cumsum([n_prod, *sizes])])
    traded = np.arange(n_prod, n)
    # 11% single-parent lots (splits and shipments), the rest merges of 1-5 inputs:
    # about 2.5 flows per lot overall.
    indegree = np.where(rng.random(traded.size) < 0.11, 1, rng.integers(1, 6, traded.size))
    target = np.repeat(traded, indegree)
    g = generation[target]
    # Inputs come from the previous two generations (goods move forward through the trade),
    # the first always from the previous one so a lot is g steps from a mine.
    first = np.r_[True, target[1:] != target[:-1]]
    back = np.where(first, 1, rng.integers(1, 3, target.size))
    src_generation = np.maximum(g - back, 0)
    low, high = start[src_generation], start[src_generation + 1]
    source = low + (rng.random(target.size) * (high - low)).astype(np.int64)
    pairs = np.unique(np.stack([target, source], axis=1), axis=0)
    target, source = pairs[:, 0], pairs[:, 1]

    carats = np.zeros(n)
    carats[:n_prod] = rng.lognormal(4.0, 1.0, n_prod)
    share = rng.uniform(0.5, 1.0, source.size)
    share *= 0.95 / np.bincount(source, weights=share, minlength=n)[source]
    flow_carats = np.zeros(source.size)
    for gen in range(1, GENERATIONS + 1):
        edges = np.flatnonzero(generation[target] == gen)
        flow_carats[edges] = carats[source[edges]] * share[edges]
        lots_of_gen = slice(start[gen], start[gen + 1])
        carats[lots_of_gen] = np.bincount(target[edges], weights=flow_carats[edges], minlength=n)[
            lots_of_gen
        ]
    # A few lots hold carats of no documented source (the `unknown` origin).
    extra = (generation > 0) & (rng.random(n) < 0.02)
    carats[extra] *= 1.05
    origin = np.full(n, None, dtype=object)
    origin[:n_prod] = codes[rng.integers(0, n_origins, n_prod)]
    kind = np.where(generation == 0, "produce", "mix").astype(object)
    kind[traded[indegree == 1]] = "split"
    lots = pd.DataFrame(
        {
            "lot_id": np.arange(n),
            "carats": carats,
            "origin": origin,
            "kind": kind,
            "on": np.datetime64("2020-01-01") + 10 * generation.astype("timedelta64[D]"),
            "country": codes[rng.integers(0, n_origins, n)],
        }
    )
    lots.loc[: n_prod - 1, "country"] = origin[:n_prod]
    flows = pd.DataFrame({"source": source, "target": target, "carats": flow_carats})
    return lots, flows


def networkx_graph(lots: pd.DataFrame, flows: pd.DataFrame) -> nx.DiGraph[Any]:
    graph: nx.DiGraph[Any] = nx.DiGraph()
    origin = lots["origin"].to_numpy()
    carats = lots["carats"].to_numpy()
    graph.add_nodes_from(
        (lot, {"origin": o if isinstance(o, str) else None, "carats": c})
        for lot, o, c in zip(lots["lot_id"].to_numpy(), origin, carats, strict=True)
    )
    weight = flows["carats"].to_numpy() / carats[flows["target"].to_numpy()]
    graph.add_weighted_edges_from(
        zip(flows["source"].to_numpy(), flows["target"].to_numpy(), weight, strict=True)
    )
    return graph


def _lot_shares(graph: nx.DiGraph[Any], lot: Any, shares: dict[Any, dict[str, float]]) -> None:
    data = graph.nodes[lot]
    if data["origin"] is not None:
        shares[lot] = {data["origin"]: 1.0}
        return
    mixed: dict[str, float] = {}
    inflow = 0.0
    for parent, edge in graph.pred[lot].items():
        w = edge["weight"]
        inflow += w
        for origin, share in shares[parent].items():
            mixed[origin] = mixed.get(origin, 0.0) + w * share
    if inflow < 1 - 1e-12:
        mixed["unknown"] = mixed.get("unknown", 0.0) + 1 - inflow
    shares[lot] = mixed


def networkx_propagation(graph: nx.DiGraph[Any], keep: set[Any]) -> dict[Any, dict[str, float]]:
    """Per-lot dictionaries in topological order; returns the shares of the lots in `keep`."""
    shares: dict[Any, dict[str, float]] = {}
    children_left = dict(graph.out_degree())
    kept = {}
    for lot in nx.topological_sort(graph):
        _lot_shares(graph, lot, shares)
        if lot in keep:
            kept[lot] = shares[lot]
        for parent in graph.pred[lot]:
            children_left[parent] -= 1
            if children_left[parent] == 0:
                del shares[parent]
        if children_left[lot] == 0:
            del shares[lot]
    return kept


def ancestor_walk(graph: nx.DiGraph[Any], lot: Any) -> dict[str, float]:
    """The shares of one lot from its ancestors alone (nx.ancestors, then propagation)."""
    sub = graph.subgraph(nx.ancestors(graph, lot) | {lot})
    shares: dict[Any, dict[str, float]] = {}
    for node in nx.topological_sort(sub):
        _lot_shares(graph, node, shares)
    return shares[lot]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def peak_mib(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def max_difference(shares: Any, reference: dict[Any, dict[str, float]]) -> float:
    frame = shares.to_frame()
    worst = 0.0
    for lot, expected in reference.items():
        row = frame.loc[lot]
        got = {o: v for o, v in row.items() if v != 0}
        for origin in set(got) | set(expected):
            worst = max(worst, abs(got.get(origin, 0.0) - expected.get(origin, 0.0)))
    return worst


def best_of(repeats: int, fn: Callable[[], Any]) -> float:
    """The fastest of `repeats` timed calls (the machine is shared: noise only adds time)."""
    return min(timed(fn)[0] for _ in range(repeats))


def run(n: int, n_origins: int, *, ancestors: bool) -> dict[str, Any]:
    lots, flows = random_frames(n, n_origins, seed=n + n_origins)
    graph = kp.ProvenanceGraph.from_frames(lots, flows)
    t_build = best_of(2, lambda: kp.ProvenanceGraph.from_frames(lots, flows))
    # The first call in a process pays the operating system for fresh pages (on this
    # machine, transparent huge pages make that slow); later calls mostly reuse them.
    t_first, shares = timed(lambda: kp.origin_shares(graph))
    del shares
    t_shares = best_of(3, lambda: kp.origin_shares(graph))
    mem_build = peak_mib(lambda: kp.ProvenanceGraph.from_frames(lots, flows))
    mem_shares = peak_mib(lambda: kp.origin_shares(graph))
    shares = kp.origin_shares(graph)
    row_sums = shares.values.sum(axis=1)
    sum_error = float(np.abs(row_sums - 1).max())
    rng = np.random.default_rng(0)
    sample = set(rng.choice(lots["lot_id"].to_numpy(), size=SAMPLE, replace=False).tolist())
    t_nx_graph, nx_graph = timed(lambda: networkx_graph(lots, flows))
    t_nx, reference = timed(lambda: networkx_propagation(nx_graph, sample))
    error = max_difference(shares, reference)
    t_anc = float("nan")
    if ancestors:
        t_sample, walked = timed(lambda: {lot: ancestor_walk(nx_graph, lot) for lot in sample})
        t_anc = t_sample / len(sample) * n
        error = max(error, max_difference(shares, walked))
    return {
        "lots": n,
        "origins": n_origins,
        "flows": graph.number_of_flows,
        "levels": int(graph._column("level").max()) + 1,
        "from_frames s": t_build,
        "from_frames MiB": mem_build,
        "origin_shares s": t_shares,
        "first call s": t_first,
        "origin_shares MiB": mem_shares,
        "nx graph s": t_nx_graph,
        "nx propagation s": t_nx,
        "speed-up": t_nx / t_shares,
        "nx.ancestors s (est.)": t_anc,
        "max |diff|": error,
        "max |row sum - 1|": sum_error,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--origins", default="30,200")
    parser.add_argument("--ancestors-up-to", type=int, default=100_000)
    args = parser.parse_args()
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        for k in (int(s) for s in args.origins.split(",")):
            rows.append(run(n, k, ancestors=n <= args.ancestors_up_to))
            print(pd.DataFrame(rows[-1:]).to_string(index=False), flush=True)
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print()
        print(table.to_string(index=False, float_format=lambda x: f"{x:.3g}"))


if __name__ == "__main__":
    main()
