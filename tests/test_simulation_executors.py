"""Bit for bit on any executor: metrics use fixed-order sums, never BLAS."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel.simulation._result import _dot, _total

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False)


@given(st.lists(finite, max_size=200), st.randoms(use_true_random=False))
def test_totals_do_not_depend_on_the_order(values, random):
    """The sum is correctly rounded: any order of the values gives the same bits."""
    shuffled = list(values)
    random.shuffle(shuffled)
    assert _total(np.array(values)).hex() == _total(np.array(shuffled)).hex()
    assert _total(np.array(values)) == math.fsum(values)


@given(st.lists(st.tuples(finite, st.sampled_from([0.0, 1.0])), max_size=200))
def test_dot_is_the_correctly_rounded_sum_of_products(pairs):
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    assert _dot(a, b) == math.fsum((a * b).tolist())


METRICS = """
import kpmodel as kp
m = kp.simulation.run(kp.simulation.builtin("car-2013"), seed=1).metrics
print("\\n".join(f"{d} {n} {t} {float(v).hex()}" for d, n, t, v in m.itertuples(index=False)))
"""


def test_metrics_do_not_depend_on_the_blas_thread_count():
    """BLAS dot products differ with the thread count (dask workers use 1); metrics do not."""
    outputs = []
    for threads in ("1", "2"):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads,
               "MKL_NUM_THREADS": threads}  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-c", METRICS], env=env, capture_output=True, text=True, check=True
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert "laundered_value_usd" in outputs[0]


def test_dask_cluster_with_process_workers_gives_the_serial_table_exactly():
    """Worker processes (one BLAS thread each, as dask sets it) give the serial table's bits."""
    import distributed

    scenario = kp.simulation.builtin("congo-brazzaville-2004")
    levers = {"border_controls": [0.0, 0.3]}
    serial = kp.simulation.sweep(scenario, levers=levers, seeds=[1, 2], progress=False)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_cluster = kp.simulation.sweep(
            scenario, levers=levers, seeds=[1, 2], executor=client.get_executor(), progress=False
        )
    assert list(serial.columns) == list(on_cluster.columns)
    assert serial.dtypes.equals(on_cluster.dtypes)
    assert serial.equals(on_cluster)
    bits = [v.hex() for v in serial["value"] if not math.isnan(v)]
    assert bits == [v.hex() for v in on_cluster["value"] if not math.isnan(v)]
