"""Benchmark: where the first `origin_shares` call of a fresh process spends its time.

The first call on ``benchmarks/bench_provenance.py``'s globally mixed graph (1,000,000 lots
x 200 origins, a dense result of 1.6 GB) is timed beside `ProvenanceGraph.from_frames` in
the same fresh process (``python -c``), and so are its parts, each in a process of its own
after building the graph there:

- ``first call s``: `origin_shares` as a user calls it;
- ``system s``: the origin labels, the sparse system and the supports (what the call
  builds before it solves);
- ``fill s``: filling the pages of a fresh 1M x 201 float64 array at once (one
  ``MADV_POPULATE_WRITE``, as the call does for a dense result), nothing written;
- ``blocked store s``: what a result stored in blocks would cost at best: the system,
  the supports and the solve with each level stored as its density says (the early
  levels sparse, the rest in a dense array whose rows are filled a level at a time), with
  no result made of it (the issue names such storage; `OriginShares` holds a dense or a
  sparse array);
- ``products s``: the dense solve into an array whose pages are filled already (the
  products alone, on the call's two threads: each flow's input row read at random, each
  lot's row written once).

Each is also given as a multiple of ``from_frames s`` of its process, the unit of the
issue's target (a first call within about 1.5x of from_frames). The parts show how far the
call is from the cost of the memory it must touch on this machine: on a virtual machine
that hands freed memory back to its host, filling fresh pages costs several times more
than on bare metal.

Run: ``.venv/bin/python benchmarks/bench_first_call.py [--repeats 3] [--shape global]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

ONE_PART = """
import json, sys, time
from concurrent.futures import ThreadPoolExecutor
sys.path.insert(0, {here!r})
import bench_provenance as b
import kpmodel as kp
from kpmodel.provenance import _shares
lots, flows = b.random_frames(1_000_000, 200, seed=1_000_200, shape={shape!r})
t0 = time.perf_counter()
graph = kp.ProvenanceGraph.from_frames(lots, flows)
build = time.perf_counter() - t0
del lots, flows
part = {part!r}


def system():
    code, labels = _shares.origin_labels(graph, "country")
    made = _shares._system(graph, code, len(labels) + 1, None)
    _shares.supports(made)
    return made


if part == "first call":
    t0 = time.perf_counter()
    kp.origin_shares(graph)
elif part == "system":
    t0 = time.perf_counter()
    system()
elif part == "blocked store":
    t0 = time.perf_counter()
    made = system()
    support = _shares.supports(made)
    _shares.solve(made, support, None, None, 0, None, "adaptive", _shares.SCRATCH_BYTES)
elif part == "fill":
    k = len(_shares.origin_labels(graph, "country")[1]) + 1
    t0 = time.perf_counter()
    _shares.populate(_shares.zeros((len(graph), k)))
else:  # the products alone
    made = system()
    shares = _shares.zeros((len(graph), made.k))
    _shares.populate(shares)
    store = _shares._Store(made.k, len(graph), made.indices.dtype, 0, "dense")
    store.dense = shares
    with ThreadPoolExecutor(2) as pool:
        t0 = time.perf_counter()
        _shares._solve_all_dense(made, store, None, None, None, pool)
print(json.dumps([build, time.perf_counter() - t0]))
"""

PARTS = ("first call", "system", "fill", "products", "blocked store")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--shape", default="global", choices=["global", "local"])
    args = parser.parse_args()
    here = str(Path(__file__).parent)
    rows = []
    for repeat in range(args.repeats):
        for part in PARTS:  # interleaved, so that the machine's state favours none
            code = ONE_PART.format(here=here, shape=args.shape, part=part)
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
            build, seconds = json.loads(out.strip().splitlines()[-1])
            rows.append(
                {
                    "part": part,
                    "run": repeat,
                    "from_frames s": build,
                    "part s": seconds,
                    "x from_frames": seconds / build,
                }
            )
    table = pd.DataFrame(rows)
    print(f"1,000,000 lots x 200 origins, {args.shape}ly mixed: each part in a fresh process")
    print(table.to_string(index=False))
    print(table.groupby("part", sort=False)[["from_frames s", "part s", "x from_frames"]].median())


if __name__ == "__main__":
    main()
