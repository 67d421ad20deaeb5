"""Benchmark: the cost of fresh memory for a dense result, by how its pages are obtained.

A dense `origin_shares` result of 1,000,000 lots x 201 origins is 1.6 GB written whole. This
times, each in a fresh Python process (``python -c``), making such an array and writing every
entry, then doing it again in the same process after freeing the first:

- ``numpy``: ``np.zeros`` (the reference: numpy asks Linux for transparent huge pages);
- ``small pages``: `kpmodel.provenance._shares.zeros` (an anonymous map without huge pages);
- ``small pages, filled``: the same, with `kpmodel.provenance._shares.populate` filling its
  pages before the writes (what `origin_shares` does for a dense result: one
  ``MADV_POPULATE_WRITE`` call, through ``mmap.madvise``, which holds the GIL);
- ``small pages, filled by 2 threads``: the same, two threads each filling half through the
  C library's ``madvise`` (ctypes, which releases the GIL): whether filling pages in
  parallel pays.

The figures quoted in `zeros`, `populate` and ``docs/explanation/provenance.md`` come from
this script. They depend on the machine: on a virtual machine that hands freed memory back
to its host, fresh pages cost far more than recycled ones.

Run: ``.venv/bin/python benchmarks/bench_pages.py [--rows 1000000] [--columns 201] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pandas as pd

ONE_RUN = """
import ctypes, json, mmap, time
from concurrent.futures import ThreadPoolExecutor
import numpy as np
from kpmodel.provenance import _shares

def fill_in_threads(array, threads=2):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    size, base = array.nbytes, array.ctypes.data
    cuts = [size * i // threads // mmap.PAGESIZE * mmap.PAGESIZE for i in range(threads)]
    cuts.append(size)
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda i: libc.madvise(base + cuts[i], cuts[i + 1] - cuts[i],
                                             _shares._POPULATE_WRITE), range(threads)))

def make():
    if {way!r} == "numpy":
        return np.zeros(({rows}, {columns}))
    array = _shares.zeros(({rows}, {columns}))
    if {way!r} == "small pages, filled":
        _shares.populate(array)
    elif {way!r} == "small pages, filled by 2 threads":
        fill_in_threads(array)
    return array

times = []
for _ in range(2):
    start = time.perf_counter()
    array = make()
    array[:] = 1.0
    times.append(time.perf_counter() - start)
    del array
print(json.dumps(times))
"""

WAYS = ("numpy", "small pages", "small pages, filled", "small pages, filled by 2 threads")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=201)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for repeat in range(args.repeats):
        for way in WAYS:  # interleaved, so that the machine's state favours none
            code = ONE_RUN.format(way=way, rows=args.rows, columns=args.columns)
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
            first, again = json.loads(out.strip().splitlines()[-1])
            rows.append({"way": way, "run": repeat, "first s": first, "again s": again})
    table = pd.DataFrame(rows)
    print(f"{args.rows:,} x {args.columns} float64 = {args.rows * args.columns * 8 / 1e9:.2f} GB")
    print(table.to_string(index=False))
    print(table.groupby("way", sort=False)[["first s", "again s"]].median().to_string())


if __name__ == "__main__":
    main()
