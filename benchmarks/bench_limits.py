"""Memory estimates of the size guards beside the measured peak of the same work.

For every built-in scenario: the production lots and all lots of a run (counted after the
run), the upper bounds `kpmodel.simulation._size.run_lots` computes before it, the estimate
the guard compares with the limit, and the peak memory of the run and its metrics as
tracemalloc measures it (the reference). The estimate must stay above the peak.

Run: .venv/bin/python benchmarks/bench_limits.py
"""

from __future__ import annotations

import time
import tracemalloc

import kpmodel as kp
from kpmodel.simulation import _size


def main() -> None:
    header = (
        f"{'scenario':24} {'prod lots':>10} {'bound':>10} {'all lots':>10} {'bound':>10} "
        f"{'peak MiB':>9} {'B/lot':>6} {'estimate MiB':>13} {'est/peak':>8} {'run s':>6}"
    )
    print(header)
    print("-" * len(header))
    for name in kp.simulation.builtins():
        scenario = kp.simulation.builtin(name)
        production_bound, lots_bound = _size.run_lots(scenario)
        tracemalloc.start()
        start = time.perf_counter()
        result = kp.simulation.run(scenario, seed=1)
        result.metrics  # noqa: B018 - the metrics are part of a sweep's run
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        book = result._arrays.book
        estimate = lots_bound * _size.BYTES_PER_LOT
        print(
            f"{name:24} {book.n_production:>10} {production_bound:>10.0f} "
            f"{book.carats.size:>10} {lots_bound:>10.0f} {peak / 2**20:>9.1f} "
            f"{peak / book.carats.size:>6.0f} {estimate / 2**20:>13.1f} "
            f"{estimate / peak:>8.2f} {elapsed:>6.1f}"
        )
    start = time.perf_counter()
    try:
        kp.simulation.sweep(
            kp.simulation.builtin("congo-brazzaville-2004"), levers={}, seeds=10**8
        )
    except kp.errors.SizeLimitError as error:
        print(f"\nsweep of 10^8 seeds refused in {time.perf_counter() - start:.3f} s: {error}")


if __name__ == "__main__":
    main()
