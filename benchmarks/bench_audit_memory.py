"""Benchmark: the memory of `kpmodel.provenance.audit` against the offending origins it must carry.

`audit` propagates the shares of the offending zone-level origins (those a register says may
not trade on some shipment's day) over every lot. This script gives, per graph, its size,
the audit's time (an untraced call), its tracemalloc peak (a second call) and the peak RSS
rise of the process (``VmHWM`` reset through ``/proc/self/clear_refs``, where Linux has it),
and the smallest ``max_memory=`` it accepts (found by trying each refusal's estimate in
turn), which must be at least the traced peak: ``limit / traced`` (the estimate's bytes a lot,
a flow and a shipment in `kpmodel.provenance._audit._columns_need` were set from the
``mines`` graphs below). Until November 2026 the audit held a lots x offending-origins array
of float64, lots x offending x 8 bytes.

Graphs:

- ``car-2013``: the simulated run of that scenario built by ``from_frames``, audited with
  the shipped register (as ``bench_provenance.py --audit car-2013``);
- ``random:N:K``: ``bench_provenance.random_frames(N, 200)`` (globally mixed) with its
  single-parent lots made certified shipments, audited with a register of the 200 origins
  as participants in good standing from 2003 except K of them, suspended from 2003 (so K
  offending origins);
- ``mines:N:MODE:ZONES``: N production lots in CF, BW and ZW (one in three each), spread over
  ZONES zones, each shipped (``ship``) or smuggled to CM and then shipped (``smuggle``),
  audited with the shipped register (in which CF is suspended on the shipments' date, so
  every CF lot is a finding).

Run (each graph in a fresh process):
``python benchmarks/bench_audit_memory.py car-2013 random:1000000:20 random:1000000:200``;
the limit's bound: ``... mines:20000:smuggle:1 mines:20000:ship:2000 mines:100000:smuggle:5``
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import json
import math
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import kpmodel as kp
from kpmodel.errors import SizeLimitError
from kpmodel.participants import Participant, Register, Status, StatusEvent
from kpmodel.provenance._paperwork import shipments

sys.path.insert(0, str(Path(__file__).parent))


def random_graph(n: int, offending: int, shape: str) -> tuple[kp.ProvenanceGraph, Register]:
    """A random graph of `n` lots whose single-parent lots are shipments."""
    from bench_provenance import random_frames

    lots, flows = random_frames(n, 200, seed=7, shape=shape)
    split = (lots["kind"] == "split").to_numpy()
    lots.loc[split, "kind"] = "ship"
    lots["certificate"] = None
    lots.loc[split, "certificate"] = [f"C-{i}" for i in range(int(split.sum()))]
    codes = sorted(set(lots["origin"].dropna()))
    start = dt.date(2003, 1, 1)
    participants = [
        Participant(
            code=code,
            name=code,
            events=(
                StatusEvent(
                    on=start,
                    status=Status.SUSPENDED if i < offending else Status.PARTICIPANT,
                    summary="synthetic",
                    sources=("bench",),
                ),
            ),
        )
        for i, code in enumerate(codes)
    ]
    # The shipments' countries not among the origins trade in good standing too.
    others = sorted(set(lots["country"]) - set(codes))
    participants += [
        Participant(
            code=code,
            name=code,
            events=(
                StatusEvent(
                    on=start, status=Status.PARTICIPANT, summary="synthetic", sources=("bench",)
                ),
            ),
        )
        for code in others
    ]
    register = Register(participants=participants, sources={"bench": "synthetic"})
    return kp.ProvenanceGraph.from_frames(lots, flows), register


def mines_graph(n: int, mode: str, zones: int) -> tuple[kp.ProvenanceGraph, Register]:
    """`n` mines over `zones` zones, each lot shipped, or smuggled to CM first."""
    graph = kp.ProvenanceGraph()
    for i in range(n):
        lot = graph.produce(
            country=("CF", "BW", "ZW")[i % 3], carats=10, on="2014-01-01", zone=f"z{i % zones}"
        )
        if mode == "smuggle":
            lot = graph.smuggle(lot, to="CM", on="2014-02-01")
        graph.ship(lot, to="BE", on="2014-03-01", certificate=f"C{i}", declared_origin="BE")
    return graph, Register.default()


def smallest_limit(graph: kp.ProvenanceGraph, register: Register) -> float:
    """Return the smallest max_memory= the audit accepts, each refusal's estimate tried next."""
    limit = 1
    for _ in range(20):
        try:
            kp.provenance.audit(graph, register=register, max_memory=limit)
        except SizeLimitError as error:
            limit = math.ceil(error.estimate)
        else:
            return float(limit)
    return float("nan")


def simulated_graph(scenario: str) -> tuple[kp.ProvenanceGraph, Register]:
    result = kp.simulation.run(kp.simulation.builtin(scenario), seed=1)
    return kp.ProvenanceGraph.from_frames(*result.provenance_frames()), Register.default()


def _kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def measure(spec: str) -> dict[str, Any]:
    """Measure one graph (in this process)."""
    if spec.startswith("random:"):
        _, n, k, shape = spec.split(":")
        graph, register = random_graph(int(n), int(k), shape)
    elif spec.startswith("mines:"):
        _, n, mode, zones = spec.split(":")
        graph, register = mines_graph(int(n), mode, int(zones))
    else:
        graph, register = simulated_graph(spec)
    gc.collect()
    before = _kib("VmRSS")
    reset = before is not None and _reset_peak()
    t0 = time.perf_counter()
    try:
        findings = kp.provenance.audit(graph, register=register)
    except SizeLimitError as error:  # a graph whose audit does not fit the limit
        return {
            "graph": spec,
            "lots": len(graph),
            "refused after s": time.perf_counter() - t0,
            "rss MiB": ((_kib("VmHWM") or before) - before) / 2**10 if reset else None,
            "refusal": str(error),
        }
    seconds = time.perf_counter() - t0
    offending = len({f.origin for f in findings if f.origin != "smuggled"})
    del findings
    gc.collect()
    before = _kib("VmRSS")
    rss = None
    if before is not None and _reset_peak():
        findings = kp.provenance.audit(graph, register=register)
        rss = ((_kib("VmHWM") or before) - before) / 2**10
        del findings
        gc.collect()
    tracemalloc.start()
    findings = kp.provenance.audit(graph, register=register)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    key = repr([(f.lot, f.on, f.certificate, f.reason, f.origin, f.share) for f in findings])
    limit = smallest_limit(graph, register)
    return {
        "graph": spec,
        "lots": len(graph),
        "shipments": int(shipments(graph).size),
        "findings": len(findings),
        "origins found": offending,
        "audit s": seconds,
        "traced MiB": peak / 2**20,
        "rss MiB": rss,
        "limit MiB": limit / 2**20,
        "limit / traced": limit / peak,
        "findings digest": hashlib.sha256(key.encode()).hexdigest()[:16],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("graphs", nargs="*", default=["car-2013"])
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    for spec in args.graphs:
        out = subprocess.run(
            [sys.executable, __file__, "--one", spec], capture_output=True, text=True, check=True
        )
        print(out.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
