"""Benchmark: a million-parcel Ledger loaded, checked and traced, beside per-row references.

Two measurements, each beside a naive per-row reference timed in the same run:

1. ``Ledger.from_frame`` + ``kp.check`` of 1,000,000 parcel rows (about 400,000 certificates
   with every column, as text cells like a CSV file gives, 50 participants, 2023, about 1 %
   of certificates not validated). Reference: build the certificate records row by row
   (`kpmodel.certificates.Parcel` and `Certificate`) and check them with ``kp.check``, the
   way a ledger was checked before `Ledger` (timed on the first 100,000 rows, with its
   rate scaled to the full size). The two give the same findings on those rows.
2. ``ProvenanceGraph.from_ledger`` of 1,000,000 one-parcel certificates over 50
   participants (15 producers exporting their own goods and mixed ones, 35 traders), in
   2023. Reference: a plain mass balance with one ``{origin: carats}`` dictionary per
   country and per parcel (timed on the first 100,000 rows and scaled); its origin shares
   agree with ``kp.origin_shares`` of the graph on those rows.

Each step prints its size, time and the process's peak resident memory after it
(``ru_maxrss``: it only grows, so a step's own peak is at most that). Target: both steps
within 10 s on the 2-core machine.

Run: ``.venv/bin/python benchmarks/bench_ledger.py [ROWS]`` (default 1,000,000).
"""

from __future__ import annotations

import resource
import sys
import time
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

import kpmodel as kp
from kpmodel.certificates import Certificate, Parcel, Party
from kpmodel.ledger import Ledger
from kpmodel.rules import default_register

SEED = 20_261_128
YEAR = 2023
SAMPLE = 100_000


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def countries(count: int) -> np.ndarray:
    """`count` ISO codes that may trade rough diamonds all through `YEAR` (EU members too)."""
    register = default_register()
    days = (date(YEAR, 1, 1), date(YEAR, 12, 31))
    found = set()
    for code in register.codes:
        members = [m.country for m in register.participant(code).members] or [code]
        found.update(c for c in members if all(register.may_trade(c, on=d) for d in days))
    return np.array(sorted(found)[:count], dtype=object)


def parcel_rows(rows: int, *, seed: int = SEED) -> pd.DataFrame:
    """`rows` parcels, 1 to 4 per certificate, every column as text or numbers."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    codes = countries(50)
    sizes = rng.integers(1, 5, rows)
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), rows)) + 1]
    sizes[-1] -= int(sizes.sum()) - rows
    n = sizes.size
    cert = np.repeat(np.arange(n), sizes)
    issuer = rng.integers(0, codes.size, n)
    destination = (issuer + rng.integers(1, codes.size, n)) % codes.size
    day = np.datetime64(f"{YEAR}-01-01") + rng.integers(0, 365, n).astype("timedelta64[D]")
    issuing = codes[issuer]
    number = np.char.add(issuing.astype(str), np.char.zfill(np.arange(n).astype(str), 9))
    mixed = rng.random(rows) < 0.3
    listed = mixed & (rng.random(rows) < 0.5)
    text_day = pd.Series(day).dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    expires = pd.Series(day + 90).dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "number": number.astype(object)[cert],
            "issuing_country": issuing[cert],
            "destination_country": codes[destination][cert],
            "issued": text_day[cert],
            "hs_code": np.array(["7102.10", "7102.21", "7102.31"], dtype=object)[
                rng.integers(0, 3, rows)
            ],
            "carats": np.round(rng.lognormal(5, 1.5, rows), 2) + 0.01,
            "value_usd": np.round(rng.lognormal(10, 1.5, rows), 2),
            "origin": np.where(mixed, "MIXED", issuing[cert]).astype(object),
            "declared_origins": np.where(listed, "BW;RU", "").astype(object),
            "issuing_authority": np.char.add("Authority of ", issuing.astype(str)).astype(object)[
                cert
            ],
            "exporter_name": "Example Exporter Ltd",
            "exporter_address": "1 Example Road",
            "exporter_country": issuing[cert],
            "importer_name": "Example Importer BV",
            "importer_address": "2 Example Street",
            "importer_country": codes[destination][cert],
            "expires": expires[cert],
            "number_of_parcels": sizes[cert],
            "kp_statement": "true",
            "validated": np.where(rng.random(n) < 0.99, "true", "false")[cert],
        }
    )


def naive_records(frame: pd.DataFrame) -> list[Certificate]:
    """Records row by row, as a ledger was read before `Ledger`."""
    records: list[Certificate] = []
    current: list[dict] = []

    def close() -> None:
        head = current[0]
        parcels = [
            Parcel(
                hs_code=r["hs_code"],
                carats=Decimal(repr(r["carats"])),
                value_usd=Decimal(repr(r["value_usd"])),
                origin=r["origin"],
                declared_origins=tuple(c for c in r["declared_origins"].split(";") if c),
            )
            for r in current
        ]
        records.append(
            Certificate(
                number=head["number"],
                issuing_authority=head["issuing_authority"],
                issuing_country=head["issuing_country"],
                destination_country=head["destination_country"],
                exporter=Party(
                    name=head["exporter_name"],
                    address=head["exporter_address"],
                    country=head["exporter_country"],
                ),
                importer=Party(
                    name=head["importer_name"],
                    address=head["importer_address"],
                    country=head["importer_country"],
                ),
                issued=date.fromisoformat(head["issued"]),
                expires=date.fromisoformat(head["expires"]),
                parcels=parcels,
                number_of_parcels=int(head["number_of_parcels"]),
                kp_statement=head["kp_statement"] == "true",
                validated=head["validated"] == "true",
            )
        )

    for row in frame.to_dict("records"):
        if current and row["number"] != current[0]["number"]:
            close()
            current = []
        current.append(row)
    if current:
        close()
    return records


def certificate_rows(rows: int, *, seed: int = SEED) -> pd.DataFrame:
    """`rows` one-parcel certificates over 50 participants: producers and hubs."""
    rng = np.random.default_rng(np.random.SeedSequence(seed + 1))
    codes = countries(50)
    exporter = rng.integers(0, codes.size, rows)
    importer = (exporter + rng.integers(1, codes.size, rows)) % codes.size
    producer = exporter < 15  # the first 15 codes mine; the others trade
    own = producer & (rng.random(rows) < 0.8)
    day = np.datetime64(f"{YEAR}-01-01") + np.sort(rng.integers(0, 365, rows)).astype(
        "timedelta64[D]"
    )
    return pd.DataFrame(
        {
            "number": np.char.add(
                codes[exporter].astype(str), np.char.zfill(np.arange(rows).astype(str), 9)
            ).astype(object),
            "issuing_country": codes[exporter],
            "destination_country": codes[importer],
            "issued": day,
            "hs_code": "7102.10",
            "carats": np.round(rng.lognormal(5, 1.5, rows), 2) + 0.01,
            "value_usd": np.round(rng.lognormal(10, 1.5, rows), 2),
            "origin": np.where(own, codes[exporter], "MIXED").astype(object),
            "declared_origins": "",
        }
    )


def naive_trace(frame: pd.DataFrame) -> dict[int, dict[str, float]]:
    """Per parcel, its origin shares by a plain mass balance (see from_ledger's rules).

    Rows are in date order. Day by day: a country's exports share its stock at the start
    of the day in proportion to their carats (the lack is unknown); then imports arrive.
    """
    stock: dict[str, Counter] = defaultdict(Counter)
    shares: dict[int, dict[str, float]] = {}
    rows = list(frame.itertuples(index=False))
    start = 0
    while start < len(rows):
        stop = start
        while stop < len(rows) and rows[stop].issued == rows[start].issued:
            stop += 1
        drawing: dict[str, list[int]] = defaultdict(list)
        for index in range(start, stop):
            row = rows[index]
            if row.origin == row.issuing_country:
                shares[index] = {row.origin: 1.0}
            else:
                drawing[row.issuing_country].append(index)
        for exporter, indices in drawing.items():
            wanted = sum(rows[i].carats for i in indices)
            held = stock[exporter]
            total = sum(held.values())
            taken = min(wanted, total)
            mix = {o: c / total for o, c in held.items()} if total > 0 else {}
            for origin, share in mix.items():
                held[origin] -= taken * share
            for i in indices:
                got = {o: share * taken / wanted for o, share in mix.items()}
                if taken < wanted:
                    got["unknown"] = got.get("unknown", 0.0) + 1 - taken / wanted
                shares[i] = {o: v for o, v in got.items() if v > 0}
        for index in range(start, stop):
            row = rows[index]
            for origin, share in shares[index].items():
                stock[row.destination_country][origin] += share * row.carats
        start = stop
    return shares


def timed(step, *args):
    start = time.perf_counter()
    result = step(*args)
    return result, time.perf_counter() - start


def main(rows: int) -> None:
    sample = min(rows, SAMPLE)
    print(f"kpmodel ledger benchmark: {rows:,} rows; references on the first {sample:,}")
    print(f"{'step':<58} {'rows':>10} {'seconds':>9} {'peak MiB':>9}")

    def line(name: str, size: int, seconds: float) -> None:
        print(f"{name:<58} {size:>10,} {seconds:>9.2f} {peak_mib():>9.0f}")

    frame = parcel_rows(rows)
    ledger, read = timed(Ledger.from_frame, frame)
    line("Ledger.from_frame (every column, text cells)", rows, read)
    report, checked = timed(kp.check, ledger)
    line(f"kp.check(ledger): {len(report.findings):,} findings", rows, checked)
    line("  from_frame + check", rows, read + checked)
    part = frame.iloc[:sample]
    records, built = timed(naive_records, part)
    naive, naive_checked = timed(kp.check, records)
    line("reference: records row by row", sample, built)
    line("reference: kp.check(records)", sample, naive_checked)
    scale = rows / sample
    line("  reference, scaled to all rows", rows, (built + naive_checked) * scale)
    mine = kp.check(Ledger.from_frame(part))
    assert mine.findings == naive.findings, "the ledger and its records disagree"
    print(f"  same {len(mine.findings):,} findings on the sample: yes")

    trade = Ledger.from_frame(certificate_rows(rows))
    graph, traced = timed(kp.ProvenanceGraph.from_ledger, trade)
    line(f"ProvenanceGraph.from_ledger: {len(graph):,} lots", rows, traced)
    small = certificate_rows(rows).iloc[:sample]
    expected, naive_traced = timed(naive_trace, small)
    line("reference: plain mass balance, one dict per parcel", sample, naive_traced)
    line("  reference, scaled to all rows", rows, naive_traced * rows / sample)
    shares = kp.origin_shares(kp.ProvenanceGraph.from_ledger(Ledger.from_frame(small)))
    worst = max(
        abs(shares.of(i).get(origin, 0.0) - share)
        for i, want in expected.items()
        for origin, share in want.items()
    )
    print(f"  largest difference in origin shares on the sample: {worst:.1e}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
