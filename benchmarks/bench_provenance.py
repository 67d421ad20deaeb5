"""Benchmark: origin attribution on big provenance graphs, against networkx and the old kernel.

Random provenance graphs in the shape of the real trade (about 10% production lots, 1-5
parents per merge, some single-parent splits, about 2.5 flows per lot, at most 16 steps from
a mine), of two shapes:

- ``global``: a lot draws on any lot of the previous one or two stages, so lots a few steps
  from a mine hold most origins (dense shares);
- ``local``: mines of one country are recorded together and a lot draws on the
  `WINDOW` lots formed around the same place at the previous stages (trade that mixes
  locally: shares stay sparse).

For each size and shape the table gives, each beside its reference timed in the same run:

- ``from_frames s``: building the graph; ``shares s``: `origin_shares` (best of 2 warm
  calls), beside ``old s``: the full call of kpmodel 0.1 (a dense level-by-level kernel,
  copied below as `old_origin_shares`) and ``nx s``: a networkx topological propagation with
  one {origin: share} dict per lot (``x nx`` = nx s / shares s; the target is >= 30);
- ``first s``: the first call in a fresh process (``python -c``, after building the graph
  there), beside ``first old s`` and ``first from_frames s`` measured in that process
  (target: within about 1.5x of from_frames);
- ``lots=100 s``: the shares of 100 random lots (`origin_shares(..., lots=...)`), and
  ``lots=100 %``: that time as a share of the full call (target: <= 10%), beside
  ``ancestry %``: the share of the graph's lots that those lots draw on (found by scipy's
  breadth-first search), which `lots=` must solve; ``lots=100 no walks s``: the same lots
  solved without the compiled walks (backwards or forwards over their ancestry, as
  kpmodel did before them);
  ``first lots=100 s``: the lots=100 call first in a fresh process (numba's import and the
  walks read from its disk cache included);
- ``appended s``: the full call on the graph with three lots appended after `from_frames`
  (a production lot, half of the last lot with carats left, and their mix), so no longer
  stored level by level: solved in storage order (best of 2), beside ``appended, level
  order s``: the same solved in level order and moved into storage order at the end (as
  kpmodel did before it solved such graphs in storage order), and ``appended |diff|``:
  the largest difference between the two;
- ``MiB``: peak memory of `origin_shares` and of the old call above the memory before the
  call (resident peak, a second call: memory the process already holds, such as a small
  result's worth of freed heap, is not counted again, so small sizes read near 0);
  ``nnz %``: the share of non-zero entries in the result;
- ``max |diff|``: the largest difference from the old kernel and from networkx (40 lots).

Audit (``--audit car-2013``): the simulated run's graph built by ``from_frames`` (``build s``),
`kpmodel.provenance.audit` with the shipped register (``audit s``; target: <= 3x build s),
reading every finding's paths (``all paths s``), beside the audit of kpmodel 0.1 (copied
below as `old_audit`, which enumerated every path of every finding).

Deep, narrow graphs (``--chain 10000``): a hub's stock re-mixed with one new production lot
at each step, every mix a topological level of its own (2 x steps + 1 lots), `origin_shares`
(best of 3) beside the old kernel and the networkx propagation, timed in the same run.

At ``--huge`` sizes (10M lots by default) only kpmodel runs (the old kernel and networkx
would need tens of GB): the full call, lots=100 and their peak memory.

Run: ``.venv/bin/python benchmarks/bench_provenance.py`` (about 15 minutes on 2 cores);
``--sizes 100000 --huge 0`` for a quick look.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import itertools
import json
import os
import re
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pycountry
import scipy.sparse as sp
from scipy.sparse import csgraph

import kpmodel as kp
from kpmodel.provenance import _shares as kp_shares

GENERATIONS = 16
SAMPLE = 40


#: Locally mixed graphs: a lot draws its inputs from this many lots formed just before it
#: (at the previous stage, around the same place in the trade).
WINDOW = 1000


def random_frames(
    n: int, n_origins: int, seed: int, shape: str = "global"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (lots, flows) frames of a random provenance graph of `n` lots.

    ``shape="global"``: a lot draws on any lot of the previous one or two stages, so lots a
    few steps from a mine hold most origins. ``shape="local"``: mines of one country are
    recorded together, and a lot draws on the `WINDOW` lots formed just before it at the
    previous stages (around the same place in the trade), so shares stay sparse.
    """
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
    if shape == "global":
        source = low + (rng.random(target.size) * (high - low)).astype(np.int64)
    else:
        # The same relative place in the earlier stage, give or take half a window.
        place = (target - start[g]) / (start[g + 1] - start[g])
        centre = low + place * (high - low)
        jitter = (rng.random(target.size) - 0.5) * WINDOW
        source = np.clip((centre + jitter).astype(np.int64), low, high - 1)
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
    if shape == "global":
        origin[:n_prod] = codes[rng.integers(0, n_origins, n_prod)]
    else:
        origin[:n_prod] = codes[np.arange(n_prod) * n_origins // n_prod]
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


def chain_frames(steps: int, n_origins: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (lots, flows) of a stock re-mixed `steps` times, one new mine lot each time.

    Lots 0..steps are production lots (lot 0 starts the stock); mix i (lot steps + i) takes
    90 % of the previous stock and all of production lot i, so each mix is a level of its
    own: the deepest, narrowest graph of its size.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    codes = np.array([c.alpha_2 for c in pycountry.countries][:n_origins], dtype=object)
    produced = steps + 1
    carats = np.zeros(produced + steps)
    carats[:produced] = rng.lognormal(3.0, 1.0, produced)
    stock = np.r_[0, np.arange(produced, produced + steps - 1)]  # the stock each mix draws on
    kept = np.zeros(steps)
    for i in range(steps):  # each stock's carats depend on the previous one's
        kept[i] = 0.9 * carats[stock[i]]
        carats[produced + i] = kept[i] + carats[i + 1]
    mixes = np.arange(produced, produced + steps)
    origin = np.full(carats.size, None, dtype=object)
    origin[:produced] = codes[rng.integers(0, n_origins, produced)]
    kind = np.array(["produce"] * produced + ["mix"] * steps, dtype=object)
    day = np.r_[np.zeros(produced, np.int64), np.arange(1, steps + 1)]
    lots = pd.DataFrame(
        {
            "lot_id": np.arange(carats.size),
            "carats": carats,
            "origin": origin,
            "kind": kind,
            "on": np.datetime64("2020-01-01") + day.astype("timedelta64[D]"),
            "country": np.r_[origin[:produced], codes[rng.integers(0, n_origins, steps)]],
        }
    )
    flows = pd.DataFrame(
        {
            "source": np.r_[stock, np.arange(1, produced)],
            "target": np.r_[mixes, mixes],
            "carats": np.r_[kept, carats[1:produced]],
        }
    )
    return lots, flows


def chain_row(steps: int, n_origins: int) -> dict[str, Any]:
    """`origin_shares` on a chain of `steps` mixes, beside the old kernel and networkx."""
    lots, flows = chain_frames(steps, n_origins, seed=steps + n_origins)
    graph = kp.ProvenanceGraph.from_frames(lots, flows)
    t_shares = best_of(3, lambda: kp.origin_shares(graph))
    t_old = best_of(3, lambda: old_origin_shares(graph))
    nx_graph = networkx_graph(lots, flows)
    t_nx, reference = timed(lambda: networkx_propagation(nx_graph, set(lots["lot_id"])))
    shares = kp.origin_shares(graph)
    return {
        "chain": steps,
        "lots": len(graph),
        "levels": sum(1 for _ in kp.provenance._shares.level_blocks(graph)),
        "origins": n_origins,
        "shares s": t_shares,
        "old s": t_old,
        "nx s": t_nx,
        "x nx": t_nx / t_shares,
        "max |diff| nx": max_difference(shares, reference),
        "max |diff| old": float(np.abs(dense(shares.values) - old_origin_shares(graph)).max()),
    }


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


# -- the reference: kpmodel 0.1's full call, kept here as it was ---------------------------

_csr_matvecs: Any = importlib.import_module("scipy.sparse._sparsetools").csr_matvecs
_ROWS_PER_THREAD = 4096


def _old_share_weights(graph: kp.ProvenanceGraph) -> sp.csr_array:
    n = len(graph)
    target = graph._flow_column("target")
    source = graph._flow_column("source")
    weight = graph._flow_column("carats") / graph._column("carats")[target]
    index_type = np.int32 if n < 2**31 - 1 else np.int64
    indptr = np.zeros(n + 1, index_type)
    np.cumsum(np.bincount(target, minlength=n), out=indptr[1:])
    return sp.csr_array((weight, source.astype(index_type), indptr), shape=(n, n))


def _old_level_blocks(graph: kp.ProvenanceGraph) -> Iterator[slice | np.ndarray]:
    level = graph._column("level")
    if level.size == 0:
        return
    if np.all(level[1:] >= level[:-1]):
        bounds = np.searchsorted(level, np.arange(int(level[-1]) + 2))
        for start, stop in itertools.pairwise(bounds):
            if stop > start:
                yield slice(int(start), int(stop))
        return
    order = np.argsort(level, kind="stable")
    bounds = np.searchsorted(level[order], np.arange(int(level.max()) + 2))
    for start, stop in itertools.pairwise(bounds):
        if stop > start:
            yield order[start:stop]


def _old_accumulate(
    weights: sp.csr_array, rows: Any, shares: np.ndarray, pool: ThreadPoolExecutor | None
) -> None:
    if not isinstance(rows, slice):
        shares[rows] += weights[rows] @ shares
        return
    workers = 1 if pool is None else pool._max_workers
    parts = max(1, min(workers, (rows.stop - rows.start) // _ROWS_PER_THREAD))
    cuts = np.linspace(rows.start, rows.stop, parts + 1).astype(np.int64).tolist()

    def run(start: int, stop: int) -> None:
        lo, hi = weights.indptr[start], weights.indptr[stop]
        _csr_matvecs(
            stop - start,
            shares.shape[0],
            shares.shape[1],
            weights.indptr[start : stop + 1] - lo,
            weights.indices[lo:hi],
            weights.data[lo:hi],
            shares.reshape(-1),
            shares[start:stop].reshape(-1),
        )

    if parts == 1 or pool is None:
        run(cuts[0], cuts[1])
    else:
        list(pool.map(run, cuts[:-1], cuts[1:]))


def old_origin_shares(graph: kp.ProvenanceGraph) -> np.ndarray:
    """kpmodel 0.1's `origin_shares(graph)` (dense, proportional): the reference."""
    from kpmodel.provenance._shares import origin_labels, unknown_fraction

    code, labels = origin_labels(graph, "country")
    n, k = len(graph), len(labels) + 1
    shares = np.zeros((n, k))
    produced = np.flatnonzero(code >= 0)
    shares[produced, code[produced]] = 1.0
    unknown = unknown_fraction(graph)
    entering = np.flatnonzero(unknown)
    shares[entering, k - 1] = unknown[entering]
    weights = _old_share_weights(graph)
    workers = min(os.cpu_count() or 1, 4) if n >= 2 * _ROWS_PER_THREAD else 1
    with ThreadPoolExecutor(workers) if workers > 1 else contextlib.nullcontext() as pool:
        for rows in _old_level_blocks(graph):
            _old_accumulate(weights, rows, shares, pool)
    return shares


def old_audit(graph: kp.ProvenanceGraph, *, register: Any, limit: int = 20) -> list[Any]:
    """kpmodel 0.1's `audit` (every path enumerated per finding): the reference, as it was."""
    from kpmodel.provenance._audit import REFERENCES, TOLERANCE, Finding, _declared_countries
    from kpmodel.provenance._audit import _problem as _problem
    from kpmodel.provenance._explain import paths_into
    from kpmodel.provenance._graph import KIND_CODE, Kind
    from kpmodel.provenance._paperwork import _Paperwork, shipments
    from kpmodel.provenance._shares import dense_row, origin_labels, origin_shares, propagate

    paperwork = _Paperwork(graph)
    ships = shipments(graph)
    if ships.size == 0:
        return []
    kind = graph._column("kind")
    smuggle = kind == KIND_CODE[Kind.SMUGGLE]
    smuggled = propagate(graph, smuggle.astype(np.float64)[:, None], reset=smuggle)[:, 0]
    zone_shares = origin_shares(graph, by="zone") if register is not None else None
    zone_code, labels = origin_labels(graph, "zone")
    verdicts: dict[tuple[str, str | None, Any], str | None] = {}
    carried_by_origin: dict[str, np.ndarray[Any, Any]] = {}
    findings = []
    source = graph._flow_column("source")
    for position in ships.tolist():
        declared = paperwork.declared(position)
        named = _declared_countries(declared)
        on = graph._column("on")[position]
        day = None if np.isnat(on) else pd.Timestamp(on).date()
        parent = int(source[paperwork.indptr[position]])
        head = {
            "lot": graph._lot_id(position),
            "certificate": graph._string(int(graph._column("certificate")[position])),
            "on": day,
            "exporter": graph._string(int(graph._column("country")[parent])) or "",
            "importer": graph._string(int(graph._column("country")[position])) or "",
            "declared_origin": declared,
        }
        carats = float(graph._column("carats")[position])
        offending: list[tuple[str, str, float, np.ndarray[Any, Any]]] = []
        if zone_shares is not None and register is not None:
            row = dense_row(zone_shares.values, position)
            for j in np.flatnonzero(row[:-1] > TOLERANCE).tolist():
                label = labels[j]
                country, _, zone = label.partition("/")
                if country in named:
                    continue  # openly declared: a rules check, not a laundering finding
                key = (country, zone or None, day)
                if key not in verdicts:
                    verdicts[key] = _problem(register, country, zone or None, day)
                reason = verdicts[key]
                if reason is not None:
                    entering = (zone_code == j).astype(np.float64)
                    offending.append((reason, label, float(row[j]), entering))
        if smuggled[position] > TOLERANCE:
            entry = smuggle.astype(np.float64)
            offending.append(("smuggled", "smuggled", float(smuggled[position]), entry))
        for reason, origin, share, entering in sorted(offending, key=lambda o: (o[0], o[1])):
            # What an origin carries into every lot is the same for every shipment, so it
            # is propagated once per origin, not once per finding.
            if origin not in carried_by_origin:
                carried_by_origin[origin] = propagate(
                    graph, entering.copy()[:, None], reset=entering > 0
                )[:, 0]
            carried = carried_by_origin[origin]
            findings.append(
                Finding(
                    **head,
                    reason=reason,
                    origin=origin,
                    share=share,
                    carats=share * carats,
                    paths=paths_into(graph, position, entering, carried, limit=limit),
                    reference=REFERENCES[reason],
                )
            )
    return findings


# -- measuring ------------------------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def status_kib(field: str) -> int | None:
    """A memory field of /proc/self/status in KiB (Linux), else None."""
    try:
        with open("/proc/self/status") as status:
            found = re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.MULTILINE)
    except OSError:
        return None
    return int(found.group(1)) if found else None


def reset_peak() -> bool:
    """Reset the peak resident memory (``VmHWM``) to the current one; False off Linux."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


def peak_mib(fn: Callable[[], Any]) -> float:
    """The peak memory of a call above the memory before it, in MiB.

    On Linux, the resident peak (``VmHWM``, reset through ``/proc/self/clear_refs``), which
    counts memory maps as well as numpy's heap; elsewhere the tracemalloc peak, which
    misses memory maps.
    """
    gc.collect()
    before = status_kib("VmRSS")
    if before is None or not reset_peak():
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak / 2**20
    fn()
    return ((status_kib("VmHWM") or before) - before) / 2**10


def best_of(repeats: int, fn: Callable[[], Any]) -> float:
    """The fastest of `repeats` timed calls (the machine is shared: noise only adds time)."""
    return min(timed(fn)[0] for _ in range(repeats))


def dense(values: Any) -> np.ndarray:
    return values.toarray() if sp.issparse(values) else np.asarray(values)


def max_difference(shares: Any, reference: dict[Any, dict[str, float]]) -> float:
    positions = shares.lots.get_indexer(list(reference))
    rows = dense(shares.values[positions])
    worst = 0.0
    for row, expected in zip(rows, reference.values(), strict=True):
        got = {str(o): v for o, v in zip(shares.origins, row, strict=True) if v != 0}
        for origin in set(got) | set(expected):
            worst = max(worst, abs(got.get(origin, 0.0) - expected.get(origin, 0.0)))
    return worst


FIRST_CALL = """
import json, sys, time
sys.path.insert(0, {here!r})
import bench_provenance as b
import kpmodel as kp
lots, flows = b.random_frames({n}, {k}, seed={seed}, shape={shape!r})
t0 = time.perf_counter(); graph = kp.ProvenanceGraph.from_frames(lots, flows)
t1 = time.perf_counter()
if {call!r} == "old":
    b.old_origin_shares(graph)
elif {call!r} == "lots":
    hundred = b.np.random.default_rng(0).choice(lots["lot_id"].to_numpy(), 100, replace=False)
    kp.origin_shares(graph, lots=hundred)
else:
    kp.origin_shares(graph)
t2 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1]))
"""


@contextlib.contextmanager
def walks_off() -> Iterator[None]:
    """Solve `lots=` without the compiled walks (backwards or forwards over the ancestry)."""
    saved = kp_shares.WALK_BUDGET
    kp_shares.WALK_BUDGET = 0.0
    try:
        yield
    finally:
        kp_shares.WALK_BUDGET = saved


@contextlib.contextmanager
def level_order() -> Iterator[None]:
    """Solve graphs that are not stored level by level in level order (see `storage_blocks`)."""
    saved = kp_shares.storage_blocks
    kp_shares.storage_blocks = lambda *args, **kwargs: None
    try:
        yield
    finally:
        kp_shares.storage_blocks = saved


def appended_calls(lots: pd.DataFrame, flows: pd.DataFrame) -> tuple[float, float, float]:
    """Return (full call, full call in level order, their largest difference) on the graph
    of `lots` and `flows` with three lots appended: a production lot, half of the last lot
    with carats left, and their mix."""
    graph = kp.ProvenanceGraph.from_frames(lots, flows)
    first = graph.lots[0]
    country = next(iter(kp.origin_shares(graph, lots=[first]).of(first)))
    produced = graph.produce(country=country, carats=5, on="2030-01-01")
    lot = next(lot for lot in reversed(graph.lots) if graph.remaining(lot) > 0)
    half = graph.split(lot, carats=[graph.remaining(lot) / 2], on="2030-01-02")[0]
    graph.mix([graph.ship(produced, to=graph.location(half), on="2030-01-03"), half])
    t_storage = best_of(2, lambda: kp.origin_shares(graph))
    with level_order():
        t_level = best_of(2, lambda: kp.origin_shares(graph))
        level = dense(kp.origin_shares(graph).values)
    error = float(np.abs(dense(kp.origin_shares(graph).values) - level).max())
    return t_storage, t_level, error


def first_call(n: int, k: int, seed: int, shape: str, *, call: str) -> tuple[float, float]:
    """Return (from_frames, first shares call) timed in a fresh Python process.

    `call` is "new" (every lot), "lots" (the 100 lots of `run`: numba's import and its
    compiled walks read from the disk cache count) or "old" (kpmodel 0.1's kernel).
    """
    code = FIRST_CALL.format(
        here=str(Path(__file__).parent), n=n, k=k, seed=seed, shape=shape, call=call
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    build, call = json.loads(out.strip().splitlines()[-1])
    return build, call


def ancestry_size(lots: pd.DataFrame, flows: pd.DataFrame, chosen: np.ndarray) -> int:
    """Return how many lots `chosen` and the lots they draw on are (ids are positions)."""
    n = len(lots)
    # Edges from each lot to its inputs, and from a root (n) to the chosen lots.
    head = np.concatenate([flows["target"].to_numpy(), np.full(chosen.size, n)])
    tail = np.concatenate([flows["source"].to_numpy(), chosen])
    edges = sp.csr_array((np.ones(head.size), (head, tail)), shape=(n + 1, n + 1))
    return int(csgraph.breadth_first_order(edges, n, return_predecessors=False).size - 1)


def run(n: int, n_origins: int, shape: str, *, huge: bool, ancestors: bool) -> dict[str, Any]:
    seed = n + n_origins
    lots, flows = random_frames(n, n_origins, seed=seed, shape=shape)
    t_build, graph = timed(lambda: kp.ProvenanceGraph.from_frames(lots, flows))
    rng = np.random.default_rng(0)
    hundred = rng.choice(lots["lot_id"].to_numpy(), size=100, replace=False)
    t_shares = best_of(2, lambda: kp.origin_shares(graph))
    t_lots = best_of(3, lambda: kp.origin_shares(graph, lots=hundred))
    # The same lots solved without the compiled walks.
    with walks_off():
        t_lots_without_walks = best_of(3, lambda: kp.origin_shares(graph, lots=hundred))
    mem_shares = peak_mib(lambda: kp.origin_shares(graph))
    shares = kp.origin_shares(graph)
    entries = shares.values.nnz if sp.issparse(shares.values) else np.count_nonzero(shares.values)
    part = kp.origin_shares(graph, lots=hundred)
    rows = dense(shares.values[shares.lots.get_indexer(hundred)])
    lots_error = float(np.abs(dense(part.values) - rows).max())
    row = {
        "shape": shape,
        "lots": n,
        "origins": n_origins,
        "flows": graph.number_of_flows,
        "from_frames s": t_build,
        "shares s": t_shares,
        "lots=100 s": t_lots,
        "lots=100 %": 100 * t_lots / t_shares,
        "lots=100 no walks s": t_lots_without_walks,
        "ancestry %": 100 * ancestry_size(lots, flows, hundred) / n,
        "MiB": mem_shares,
        "nnz %": 100 * entries / (n * len(shares.origins)),
        "result": type(shares.values).__name__,
        "lots= |diff|": lots_error,
    }
    if huge:
        return row
    del shares
    gc.collect()
    t_old = best_of(2, lambda: old_origin_shares(graph))
    mem_old = peak_mib(lambda: old_origin_shares(graph))
    old = old_origin_shares(graph)
    shares = kp.origin_shares(graph)
    old_error = float(np.abs(dense(shares.values) - old).max())
    del old
    gc.collect()
    t_appended, t_level_order, appended_error = appended_calls(lots, flows)
    gc.collect()
    build_first, t_first = first_call(n, n_origins, seed, shape, call="new")
    _, t_first_old = first_call(n, n_origins, seed, shape, call="old")
    _, t_first_lots = first_call(n, n_origins, seed, shape, call="lots")
    sample = set(rng.choice(lots["lot_id"].to_numpy(), size=SAMPLE, replace=False).tolist())
    nx_graph = networkx_graph(lots, flows)
    t_nx, reference = timed(lambda: networkx_propagation(nx_graph, sample))
    nx_error = max_difference(shares, reference)
    if ancestors:
        t_sample, walked = timed(lambda: {lot: ancestor_walk(nx_graph, lot) for lot in sample})
        row["nx.ancestors s (est.)"] = t_sample / len(sample) * n
        nx_error = max(nx_error, max_difference(shares, walked))
    row.update(
        {
            "old s": t_old,
            "x old": t_old / t_shares,
            "nx s": t_nx,
            "x nx": t_nx / t_shares,
            "first s": t_first,
            "first old s": t_first_old,
            "first from_frames s": build_first,
            "first / from_frames": t_first / build_first,
            "first lots=100 s": t_first_lots,
            "appended s": t_appended,
            "appended, level order s": t_level_order,
            "appended |diff|": appended_error,
            "old MiB": mem_old,
            "max |diff| old": old_error,
            "max |diff| nx": nx_error,
        }
    )
    return row


def audit_row(scenario: str, *, reference: bool) -> dict[str, Any]:
    """Audit a simulated run with the shipped register, beside building its graph."""
    from kpmodel.participants import Register

    result = kp.simulation.run(kp.simulation.builtin(scenario), seed=1)
    frames = result.provenance_frames()
    t_build = best_of(2, lambda: kp.ProvenanceGraph.from_frames(*frames))
    graph = kp.ProvenanceGraph.from_frames(*frames)
    register = Register.default()
    t_audit, findings = timed(lambda: kp.provenance.audit(graph, register=register))
    t_audit = min(t_audit, best_of(1, lambda: kp.provenance.audit(graph, register=register)))
    t_paths, _ = timed(lambda: sum(len(f.paths) for f in findings))
    mem_audit = peak_mib(lambda: kp.provenance.audit(graph, register=register))
    row: dict[str, Any] = {
        "scenario": scenario,
        "lots": len(graph),
        "findings": len(findings),
        "build s": t_build,
        "audit s": t_audit,
        "audit / build": t_audit / t_build,
        "all paths s": t_paths,
        "audit MiB": mem_audit,
    }
    if reference:
        t_old, old = timed(lambda: old_audit(graph, register=register))
        same = [(f.lot, f.reason, f.origin) for f in findings] == [
            (f.lot, f.reason, f.origin) for f in old
        ]
        worst = max(
            (
                abs(a.carats - b.carats)
                + max(
                    (abs(p.carats - q.carats) for p, q in zip(a.paths, b.paths, strict=False)),
                    default=0.0,
                )
                for a, b in zip(findings, old, strict=True)
            ),
            default=0.0,
        )
        row.update(
            {
                "old audit s": t_old,
                "x old": t_old / t_audit,
                "same findings": same,
                "max |diff| carats": worst,
            }
        )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--origins", default="200")
    parser.add_argument("--shapes", default="global,local")
    parser.add_argument("--huge", default="10000000", help="sizes run without references")
    parser.add_argument("--huge-origins", default="30,200")
    parser.add_argument("--ancestors-up-to", type=int, default=10_000)
    parser.add_argument("--audit", default="car-2013", help="scenarios to audit ('' for none)")
    parser.add_argument("--no-old-audit", action="store_true", help="skip the old audit")
    parser.add_argument("--chain", default="10000", help="mixes of deep chains ('' for none)")
    args = parser.parse_args()
    for steps in (int(s) for s in args.chain.split(",") if s):
        print(pd.DataFrame([chain_row(steps, 200)]).to_string(index=False), flush=True)
    audits = []
    for scenario in (s for s in args.audit.split(",") if s):
        audits.append(audit_row(scenario, reference=not args.no_old_audit))
        print(pd.DataFrame(audits[-1:]).to_string(index=False), flush=True)
    rows = []
    for n in (int(s) for s in args.sizes.split(",") if s):
        for k in (int(s) for s in args.origins.split(",")):
            for shape in args.shapes.split(","):
                rows.append(run(n, k, shape, huge=False, ancestors=n <= args.ancestors_up_to))
                print(pd.DataFrame(rows[-1:]).to_string(index=False), flush=True)
    for n in (int(s) for s in args.huge.split(",") if s and int(s)):
        for k, shape in zip(
            (int(s) for s in args.huge_origins.split(",")), args.shapes.split(","), strict=False
        ):
            rows.append(run(n, k, shape, huge=True, ancestors=False))
            print(pd.DataFrame(rows[-1:]).to_string(index=False), flush=True)
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 250, "display.max_columns", 40):
        if rows:
            print()
            print(table.T.to_string(float_format=lambda x: f"{x:.3g}"))
        if audits:
            print()
            print(pd.DataFrame(audits).T.to_string(float_format=lambda x: f"{x:.3g}"))


if __name__ == "__main__":
    main()
