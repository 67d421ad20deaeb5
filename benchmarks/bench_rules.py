"""Benchmark: check 100,000 generated certificates against the KPCS rules.

Prints, for each way of checking, the number of certificates, the best time of three runs, the rate
(certificates per second) and the peak memory traced by tracemalloc during that step (timed
in a separate run, since tracing slows Python down), beside two references timed in the same
run: a naive re-check on plain dictionaries (every rule re-selected and every register
question asked afresh, as a first implementation would) and checking after a JSON round
trip. Target: at least 50,000 certificates per second on a 2-core machine.

Run: ``python benchmarks/bench_rules.py [N]`` (``make bench`` runs every benchmark).
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import attrs
import numpy as np

import kpmodel as kp
from kpmodel.certificates import MIXED, Certificate, HSCode, Parcel, Party
from kpmodel.rules import Rulebook, default_register

SEED = 20_260_501
YEAR = 2023


def trading_countries(register, year: int) -> list[str]:
    """ISO codes (EU members included) that may trade on the first and last day of `year`."""
    days = (date(year, 1, 1), date(year, 12, 31))
    countries = set()
    for code in register.codes:
        members = [m.country for m in register.participant(code).members] or [code]
        countries.update(c for c in members if all(register.may_trade(c, on=d) for d in days))
    return sorted(countries)


def generate(count: int, *, seed: int = SEED) -> list[Certificate]:
    """Generate `count` certificates of one year, about 5 % with one defect, without Hypothesis."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    register = default_register()
    countries = trading_countries(register, YEAR)
    participant = {c: register.participant_of(c, on=date(YEAR, 6, 1)) for c in countries}
    parties = {c: Party(name=f"Example Trader of {c}", address="1 Example Street", country=c)
               for c in countries}  # fmt: skip
    carats = np.round(rng.lognormal(5, 1.5, 2000), 2) + 0.01
    usd_per_carat = rng.lognormal(4.5, 1.0, 2000)
    origins = ["AO", "BW", "CA", "CD", "NA", "RU", "ZA", "ZW", MIXED]
    pool = [
        Parcel(
            hs_code=list(HSCode)[i % 3],
            carats=Decimal(f"{carats[i]:.2f}"),
            value_usd=Decimal(f"{carats[i] * usd_per_carat[i]:.2f}"),
            origin=origins[i % len(origins)],
        )
        for i in range(len(carats))
    ]
    template = kp.certificates.example_certificate()
    issuer = rng.integers(0, len(countries), count)
    destination = rng.integers(0, len(countries), count)
    day = rng.integers(0, 365, count)
    validity = rng.integers(30, 180, count)
    n_parcels = rng.integers(1, 5, count)
    first_parcel = rng.integers(0, len(pool) - 5, count)
    defect = rng.random(count) < 0.05
    certificates = []
    for i in range(count):
        source = countries[issuer[i]]
        target = countries[destination[i]]
        if participant[source] == participant[target]:
            target = "IN" if participant[source] != "IN" else "AE"
        issued = date(YEAR, 1, 1) + timedelta(days=int(day[i]))
        items = pool[first_parcel[i] : first_parcel[i] + n_parcels[i]]
        cert = attrs.evolve(
            template,
            number=f"{source}{i:09d}",
            issuing_country=source,
            destination_country=target,
            exporter=parties[source],
            importer=parties.get(target) or Party(name="X", address="Y", country=target),
            issued=issued,
            expires=issued + timedelta(days=int(validity[i])),
            parcels=items,
            number_of_parcels=len(items),
        )
        if defect[i]:
            cert = attrs.evolve(cert, **[{"validated": False}, {"expires": None},
                                         {"number_of_parcels": 9}][i % 3])  # fmt: skip
        certificates.append(cert)
    return certificates


# --- the reference: a naive re-check on plain dictionaries ------------------------------------


def naive_check(cert: Certificate, register) -> list[str]:
    """Re-check one certificate the obvious way: dict fields, fresh rule selection and lookups."""
    data = attrs.asdict(cert, recurse=True)
    on = data["issued"]
    in_force = {rule.id for rule in Rulebook.default().rules if rule.in_force(on)}
    found = []
    if "annex-i-statement" in in_force and not data["kp_statement"]:
        found.append("annex-i-statement")
    if "annex-i-origin" in in_force and any(
        p["origin"] is None or (p["origin"] == MIXED and len(p["declared_origins"]) == 1)
        for p in data["parcels"]
    ):
        found.append("annex-i-origin")
    if data["language"] != "en" and not data["english_translation"]:
        found.append("annex-i-language")
    if not data["number"].startswith(data["issuing_country"]):
        found.append("annex-i-number")
    if not data["forgery_resistant"]:
        found.append("annex-i-forgery-resistant")
    if data["expires"] is None or data["expires"] <= data["issued"]:
        found.append("annex-i-dates")
    if data["issuing_authority"] is None:
        found.append("annex-i-authority")
    if data["exporter"] is None or data["importer"] is None:
        found.append("annex-i-parties")
    if not data["parcels"] or data["number_of_parcels"] != len(data["parcels"]):
        found.append("annex-i-parcels")
    if not data["validated"]:
        found.append("annex-i-validation")
    if "mixed-origin-listing" in in_force and any(
        p["origin"] == MIXED and not p["declared_origins"] for p in data["parcels"]
    ):
        found.append("mixed-origin-listing")
    if not register.may_trade(data["issuing_country"], on=on) or not register.may_trade(
        data["destination_country"], on=on
    ):
        found.append("section-iii-c-certificate")
    return found


def timed(step: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    """Best time of `repeat` runs (the machine is shared; the minimum is the least disturbed)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = step()
        best = min(best, time.perf_counter() - start)
    return best, result


def traced_peak(step: Callable[[], object]) -> float:
    tracemalloc.start()
    step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main(count: int = 100_000) -> None:
    register = default_register()
    seconds, certificates = timed(lambda: generate(count), repeat=1)
    print(f"generated {count:,} certificates (numpy + attrs.evolve) in {seconds:.1f} s")
    sample = certificates[: min(count, 20_000)]
    json_text = kp.certificates.dumps(sample, indent=None)

    kp.check(certificates[:1000])  # warm the rulebook and the register answers once

    def one_by_one() -> int:
        return sum(not kp.check(cert).ok for cert in certificates)

    def as_ledger() -> int:
        report = kp.check(certificates)
        return len({f.path.split("]")[0] for f in report.errors})

    def reference() -> int:
        return sum(bool(naive_check(cert, register)) for cert in sample)

    def via_json() -> int:
        loaded = kp.certificates.loads(json_text)
        return sum(not kp.check(cert).ok for cert in loaded)

    steps = [
        ("kp.check(certificate), one call each", len(certificates), one_by_one),
        ("kp.check(ledger), one call", len(certificates), as_ledger),
        ("reference: naive dict re-check", len(sample), reference),
        ("reference: JSON loads + kp.check", len(sample), via_json),
    ]
    print()
    print(f"{'method':<40} {'n':>8} {'seconds':>8} {'certs/s':>10} {'peak MiB':>9} {'failing':>8}")
    rates = {}
    for name, n, step in steps:
        seconds, failing = timed(step)
        peak = traced_peak(step)
        rates[name] = n / seconds
        print(
            f"{name:<40} {n:>8,} {seconds:>8.2f} {n / seconds:>10,.0f} {peak:>9.2f} {failing:>8,}"
        )
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nprocess peak RSS: {max_rss:.0f} MiB (Linux ru_maxrss)")
    agree = all(
        sorted({f.rule for f in kp.check(cert).findings}) == sorted(naive_check(cert, register))
        for cert in sample
    )
    print(f"engine and naive reference find the same rules on every sampled certificate: {agree}")
    target = 50_000
    rate = rates[steps[0][0]]
    verdict = "meets" if rate >= target else "MISSES"
    print(
        f"one call per certificate: {rate:,.0f} certificates/s, {verdict} the {target:,}/s target"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
