"""Benchmark: conflict shares of many mixed-origin lots under every built-in definition.

Two tables, each beside a reference timed in the same run, with sizes, times (an untraced
call) and peak memory (tracemalloc, in a second call):

1. `kpmodel.definitions.conflict_shares` on a table of origin shares (one verdict per
   origin, then a matrix product) against a per-lot loop that judges every origin of every
   lot.
2. `Lots.from_graph` then `conflict_shares` on a random provenance graph shaped like the
   trade (the graphs of ``bench_provenance.py``, with origins and zones of the case book and
   production dates spread over 2005-2016), every production lot judged on its own date,
   against a hand trace: a per-lot dict of the production lots each lot came from, built
   parents-first, and every production lot judged anew.

3. At scale (``--scale``, 100,000 and 1,000,000 lots by default; issue 12's target is about
   3 s at 1M): `Lots.from_graph` then `kpmodel.compare` over every built-in definition and
   its per-definition totals (`Comparison.summary`, which does not build the lot x
   definition table), beside the tidy table of the same question
   (`kpmodel.definitions.conflict_shares`: one row per lot and definition) timed in the
   same run, and the totals of both checked equal.

Run: python benchmarks/bench_definitions.py [--scale 100000,1000000] [--only-scale]
"""

import argparse
import importlib.util
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

import kpmodel as kp
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
    """Return the result, the seconds of an untraced call, and the peak MiB of a traced one.

    tracemalloc slows code that makes many Python objects several times over, so the
    time and the memory come from separate calls.
    """
    start = time.perf_counter()
    result = function(*args)
    seconds = time.perf_counter() - start
    tracemalloc.start()
    function(*args)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result, seconds, peak


def timed(function, *args):
    """Return the result and the seconds of one call (for the slow references)."""
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def _bench_provenance():
    """Import benchmarks/bench_provenance.py, for its random graphs."""
    path = Path(__file__).with_name("bench_provenance.py")
    spec = importlib.util.spec_from_file_location("bench_provenance", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_provenance"] = module
    spec.loader.exec_module(module)
    return module


def random_graph(lots: int, seed: int = 0) -> kp.ProvenanceGraph:
    """A trade-shaped graph whose production lots are at the case book's places, 2005-2016."""
    frame, flows = _bench_provenance().random_frames(lots, 30, seed)
    rng = np.random.default_rng(np.random.SeedSequence(seed + 1))
    produced = (frame["kind"] == "produce").to_numpy()
    places = [d.Place.parse(o) for o in ORIGINS if o != "unknown"]
    chosen = rng.integers(0, len(places), produced.sum())
    frame.loc[produced, "origin"] = [places[i].country for i in chosen]
    frame.loc[produced, "country"] = frame.loc[produced, "origin"]
    frame["zone"] = None
    frame.loc[produced, "zone"] = [places[i].zone for i in chosen]
    days = np.datetime64("2005-01-01") + rng.integers(0, 12 * 365, produced.sum())
    frame.loc[produced, "on"] = days.astype("datetime64[ns]")
    # Traded lots come after the latest production day (dates never decrease along flows).
    frame.loc[~produced, "on"] = frame.loc[~produced, "on"] + pd.Timedelta(days=365 * 12)
    frame["value_usd"] = np.where(produced, frame["carats"] * 100.0, np.nan)
    return kp.ProvenanceGraph.from_frames(frame, flows)


def graph_reference(graph: kp.ProvenanceGraph) -> list[tuple[float, float]]:
    """Trace each lot to its production lots by hand, judge each on its own day."""
    lots, flows = graph.to_frames()
    inflows: dict = {}
    for source, target, carats in flows.itertuples(index=False):
        inflows.setdefault(target, []).append((source, carats))
    situations = list(BOOK.situations().values())
    zones = [z if isinstance(z, str) else None for z in lots["zone"]]
    places = zip(lots["origin"], zones, lots["on"], strict=True)
    origin = dict(zip(lots["lot_id"], places, strict=True))
    produced = lots.loc[lots["kind"] == "produce", "lot_id"].tolist()
    mixes: dict = {}
    for lot_id, carats, kind in lots[["lot_id", "carats", "kind"]].itertuples(index=False):
        if kind == "produce":
            mixes[lot_id] = {lot_id: 1.0}
            continue
        mix: dict = {}
        received = 0.0
        for source, flow in inflows.get(lot_id, []):
            received += flow
            for p, part in mixes[source].items():
                mix[p] = mix.get(p, 0.0) + part * flow / carats
        if 1.0 - received / carats > 1e-12:
            mix["unknown"] = mix.get("unknown", 0.0) + 1.0 - received / carats
        mixes[lot_id] = mix
    out = []
    for definition in DEFINITIONS:
        verdicts = {p: judged(definition, *origin[p], situations) for p in produced}
        for mix in mixes.values():
            total_in = total_open = 0.0
            for p, part in mix.items():
                found = d.Outcome.UNDETERMINED if p == "unknown" else verdicts[p]
                total_in += part if found is d.Outcome.IN else 0.0
                total_open += part if found is d.Outcome.UNDETERMINED else 0.0
            out.append((total_in, total_open))
    return out


def judged(definition, country, zone, day, situations):
    """The verdict on production at a place on a day: OR over the situations running then."""
    place, day = d.Place(country, zone), day.date()
    found = d.Outcome.OUT
    for s in situations:
        if not s.period.contains(day):
            continue
        outcome = definition(s, on=day).outcome
        if s.place.contains(place):
            found = found | outcome
        elif place.contains(s.place):
            found = found | (d.Outcome.UNDETERMINED if outcome is d.Outcome.IN else outcome)
    return found


def graph_shares(graph: kp.ProvenanceGraph) -> pd.DataFrame:
    return d.conflict_shares(DEFINITIONS, d.Lots.from_graph(graph, BOOK))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="100000,1000000", help="lots of the scale table")
    parser.add_argument("--only-scale", action="store_true", help="skip tables 1 and 2")
    args = parser.parse_args()
    if not args.only_scale:
        table_of_shares()
        over_graphs()
    at_scale([int(n) for n in args.scale.split(",") if n])


def at_scale(sizes: list[int]) -> None:
    """Lots.from_graph + compare + summary over every built-in, beside the tidy table."""
    names = list(d.BUILTIN_NAMES)
    print(f"\nAt scale: Lots.from_graph + compare({len(names)} built-ins) + summary")
    header = (
        f"{'lots':>10} {'from_graph s':>13} {'compare s':>10} {'summary s':>10} "
        f"{'total s':>8} {'peak MiB':>9} {'table s':>8} {'table MiB':>10} {'x table':>8}"
    )
    print(header)
    for lots in sizes:
        graph = random_graph(lots)

        def question(graph=graph):
            start = time.perf_counter()
            judged = d.Lots.from_graph(graph, BOOK)
            built = time.perf_counter()
            comparison = kp.compare(names, judged)
            compared = time.perf_counter()
            summary = comparison.summary
            done = time.perf_counter()
            return summary, (built - start, compared - built, done - compared)

        def table(graph=graph):
            return d.conflict_shares(names, d.Lots.from_graph(graph, BOOK))

        summary, (t_lots, t_compare, t_summary) = question()
        total = t_lots + t_compare + t_summary
        peak = peak_mib(question)
        start = time.perf_counter()
        tidy = table()
        t_table = time.perf_counter() - start
        table_peak = peak_mib(table)
        totals = tidy.groupby("definition")[["in_carats", "undetermined_carats"]].sum()
        np.testing.assert_allclose(
            summary.loc[totals.index, ["in_carats", "undetermined_carats"]], totals, rtol=1e-9
        )
        del tidy
        print(
            f"{lots:>10,} {t_lots:13.2f} {t_compare:10.2f} {t_summary:10.2f} {total:8.2f} "
            f"{peak:9.0f} {t_table:8.2f} {table_peak:10.0f} {t_table / total:8.1f}",
            flush=True,
        )


def peak_mib(function):
    """Return the peak MiB (tracemalloc) of a call."""
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


def over_graphs() -> None:
    print(f"\nProvenance graphs: {len(DEFINITIONS)} definitions, lots judged at production")
    print(f"{'lots':>9} {'from_graph+shares s':>20} {'peak MiB':>9} {'hand trace s':>13}")
    for lots in (1_000, 10_000, 100_000):
        graph = random_graph(lots)
        fast, fast_s, fast_mb = measure(graph_shares, graph)
        if lots <= 10_000:
            slow, slow_s = timed(graph_reference, graph)
            np.testing.assert_allclose(fast["in_share"], [x[0] for x in slow], atol=1e-9)
            np.testing.assert_allclose(fast["undetermined_share"], [x[1] for x in slow], atol=1e-9)
            ref = f"{slow_s:13.2f}"
        else:
            ref = f"{'(skipped)':>13}"
        print(f"{lots:>9,} {fast_s:20.3f} {fast_mb:9.1f} {ref}")


def table_of_shares() -> None:
    print(f"{len(DEFINITIONS)} definitions, {len(ORIGINS)} origins, {len(BOOK)} situations")
    print(f"{'lots':>9} {'shares s':>18} {'peak MiB':>9} {'reference s':>12}")
    for lots in (100, 1_000, 10_000, 100_000):
        frame = shares(lots)
        fast, fast_s, fast_mb = measure(d.conflict_shares, DEFINITIONS, frame, BOOK)
        if lots <= 1_000:
            slow, slow_s = timed(reference, frame)
            np.testing.assert_allclose(fast["in_share"], [x[0] for x in slow], atol=1e-12)
            ref = f"{slow_s:12.3f}"
        else:
            ref = f"{'(skipped)':>12}"
        print(f"{lots:>9,} {fast_s:18.3f} {fast_mb:9.1f} {ref}")


if __name__ == "__main__":
    main()
