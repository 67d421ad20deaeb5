"""Benchmark: conflict shares of many mixed-origin lots under every built-in definition.

Compares `kpmodel.definitions.conflict_shares` (one verdict per origin, then a matrix
product) with a per-lot reference loop that judges every origin of every lot, in the same
run. Prints sizes, times and peak memory (tracemalloc).

Run: python benchmarks/bench_definitions.py
"""

import time
import tracemalloc

import numpy as np
import pandas as pd

from kpmodel import definitions as d

BOOK = d.CaseBook.default()
DEFINITIONS = [d.get(name) for name in d.BUILTIN_NAMES]
ORIGINS = ["ZW", "ZW/Marange", "RU", "CF", "CD", "AO", "AO/Lunda Norte", "SL", "CI", "VE"]
ORIGINS += ["BW", "ZA", "NA", "CA", "AU", "IN", "BR", "GY", "LS", "SZ", "unknown"]


def shares(lots: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    raw = rng.random((lots, len(ORIGINS))) * (rng.random((lots, len(ORIGINS))) < 0.3)
    raw[:, 0] += 1e-9  # no empty lot
    return pd.DataFrame(raw / raw.sum(axis=1, keepdims=True), columns=ORIGINS)


def reference(frame: pd.DataFrame) -> list[tuple[float, float]]:
    """Judge every origin of every lot anew: simple and slow."""
    out = []
    for definition in DEFINITIONS:
        for _, row in frame.iterrows():
            total_in = total_open = 0.0
            for origin, share in row.items():
                if share == 0:
                    continue
                if origin == "unknown":
                    total_open += share
                    continue
                place = d.Place.parse(origin)
                found = d.Outcome.OUT
                for s in BOOK.situations().values():
                    if s.place.contains(place):
                        found = found | definition(s).outcome
                    elif place.contains(s.place):
                        outcome = definition(s).outcome
                        found = found | (
                            d.Outcome.UNDETERMINED if outcome is d.Outcome.IN else outcome
                        )
                total_in += share if found is d.Outcome.IN else 0.0
                total_open += share if found is d.Outcome.UNDETERMINED else 0.0
            out.append((total_in, total_open))
    return out


def measure(function, *args):
    tracemalloc.start()
    start = time.perf_counter()
    result = function(*args)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result, seconds, peak


def main() -> None:
    print(f"{len(DEFINITIONS)} definitions, {len(ORIGINS)} origins, {len(BOOK)} situations")
    print(f"{'lots':>9} {'shares s':>18} {'peak MiB':>9} {'reference s':>12} {'peak MiB':>9}")
    for lots in (100, 1_000, 10_000, 100_000):
        frame = shares(lots)
        fast, fast_s, fast_mb = measure(d.conflict_shares, DEFINITIONS, frame, BOOK)
        if lots <= 1_000:
            slow, slow_s, slow_mb = measure(reference, frame)
            np.testing.assert_allclose(fast["in_share"], [x[0] for x in slow], atol=1e-12)
            ref = f"{slow_s:12.3f} {slow_mb:9.1f}"
        else:
            ref = f"{'(skipped)':>12} {'':>9}"
        print(f"{lots:>9,} {fast_s:18.3f} {fast_mb:9.1f} {ref}")


if __name__ == "__main__":
    main()
