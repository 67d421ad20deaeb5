"""Benchmark: the six built-in detectors over replicated statistics.

Statistics for P participants x T half years x R replications (all three flows), as the
simulation will produce them, with a few injected anomalies. The vectorised run (one
`KPStatistics` with a ``replication`` column, one `detect` call) is timed beside the naive
reference (one `KPStatistics` and one `detect` per replication) in the same run; the
reference is timed on a sample of replications and extrapolated, and its flags are checked
against the vectorised run's for those replications.

Run: ``.venv/bin/python benchmarks/bench_statistics.py`` (``--quick`` for a small size).
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np
import pandas as pd

import kpmodel as kp

FLOWS = ("production", "import", "export")


def synthetic(participants: int, periods: int, replications: int, seed: int) -> pd.DataFrame:
    """Return a tidy statistics frame with multiplicative noise and some injected anomalies."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    codes = np.array([f"P{i:03d}" for i in range(participants)])
    base = rng.lognormal(mean=12.0, sigma=1.5, size=participants)
    price = rng.lognormal(mean=4.5, sigma=0.8, size=participants)
    shape = (replications, participants, periods)
    frames = []
    for f, flow in enumerate(FLOWS):
        level = base * (0.6 if flow == "export" else 1.0)
        carats = level[None, :, None] * rng.lognormal(0.0, 0.05, size=shape)
        value = carats * price[None, :, None] * rng.lognormal(0.0, 0.03 + 0.02 * f, size=shape)
        # Anomalies: a tenfold jump in about 0.1 % of the cells.
        jumps = rng.random(shape) < 0.001
        carats = np.where(jumps, carats * 10, carats)
        r, p, t = np.indices(shape).reshape(3, -1)
        frames.append(
            pd.DataFrame(
                {
                    "replication": r,
                    "participant": pd.Categorical.from_codes(p, categories=codes),
                    "year": 2000 + t // 2,
                    "half": t % 2 + 1,
                    "flow": flow,
                    "carats": carats.ravel(),
                    "value_usd": value.ravel(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def peak_mb() -> float:
    """Return the peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def key(flags: pd.DataFrame) -> pd.DataFrame:
    """Return the comparable part of a flags table."""
    columns = ["participant", "year", "half", "detector", "score"]
    return (
        flags[columns]
        .astype({"participant": str})
        .sort_values([*columns[:-1], "score"])
        .reset_index(drop=True)
    )


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    participants, periods, replications = (20, 40, 20) if quick else (100, 40, 1000)
    sample = 5 if quick else 20
    frame = synthetic(participants, periods, replications, seed=20260101)
    print(
        f"size: {participants} participants x {periods} half years x {replications} "
        f"replications x {len(FLOWS)} flows = {len(frame):,} rows"
    )

    start = time.perf_counter()
    stats = kp.statistics.KPStatistics.from_frame(frame)
    build = time.perf_counter() - start
    print(
        f"{'build KPStatistics (from_frame, validated)':<48} {build:8.2f} s   "
        f"peak {peak_mb():7.0f} MB"
    )

    start = time.perf_counter()
    flags = kp.statistics.detect(stats)
    vectorised = time.perf_counter() - start
    print(
        f"{'detect, vectorised, all replications':<48} {vectorised:8.2f} s   "
        f"peak {peak_mb():7.0f} MB   {len(flags):,} flags"
    )

    start = time.perf_counter()
    agree = True
    for replication in range(sample):
        one = frame[frame["replication"] == replication].drop(columns="replication")
        alone = kp.statistics.detect(kp.statistics.KPStatistics.from_frame(one))
        mine = flags[flags["replication"] == replication]
        agree &= key(alone).equals(key(mine))
    reference = (time.perf_counter() - start) / sample * replications
    print(
        f"{'reference: per-replication loop (extrapolated)':<48} {reference:8.2f} s   "
        f"(timed on {sample} replications; flags identical: {agree})"
    )
    print(
        f"speed-up: {reference / vectorised:.1f}x; "
        f"detectors under 10 s: {'yes' if vectorised < 10 else 'NO'}"
    )
    print(flags["detector"].value_counts().to_string())


if __name__ == "__main__":
    main(sys.argv)
