"""Exports without production: the Republic of Congo in 2004 and Guinea in 2008.

Two real cases of rough diamonds certified by a participant that could not have mined them,
told with the shipped KP statistics and published figures (each cited below), and found again by
kpmodel's detectors. Run: ``python examples/04_congo_2004_guinea_2008.py``. Figures go to the
directory in the environment variable KPMODEL_FIGURES (a temporary directory by default).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

import kpmodel as kp

FIGURES = Path(os.environ.get("KPMODEL_FIGURES") or tempfile.mkdtemp(prefix="kpmodel-"))


def congo_2004() -> None:
    """The Republic of Congo, 2004: about 5.2 Mct exported a year, about 100 times its output."""
    print("== Republic of Congo, 2004 ==")
    production = kp.datasets.kp_production()
    congo = production[production["participant"] == "CG"]
    first = congo.sort_values(["year", "half"]).iloc[0]
    print(
        "The shipped KP production table has no row for the Republic of Congo before "
        f"{first.year} H{first.half}: it was removed from the KP list in July 2004 after "
        "'consistently failing to provide production statistics' (Rapaport, 11 Jul 2004)."
    )
    # Published figures (Professional Jeweler, 12 Jul 2004): exports of about 5.2 Mct a
    # year, about 100 times its output, and no related imports. They are annual; entering
    # them in H1 keeps the annual totals the capacity detector compares.
    exports = 5_200_000.0
    output = exports / 100  # derived, as in kp.datasets.capacity_estimates()
    stats = kp.statistics.KPStatistics.from_frame(
        pd.DataFrame(
            {
                "participant": ["CG", "CG"],
                "year": [2004, 2004],
                "half": [1, 1],
                "flow": ["production", "export"],
                "carats": [output, exports],
                "value_usd": [0.0, 0.0],  # the source gives no values
            }
        )
    )
    balance = stats.balances(annual=True).iloc[0]
    print(
        f"Production {balance.production_carats:,.0f} ct, exports {balance.export_carats:,.0f} "
        f"ct, imports {balance.import_carats:,.0f} ct: a balance of "
        f"{balance.balance_carats:,.0f} ct that neither mining nor imports explain."
    )
    flags = kp.statistics.capacity(stats, capacity=kp.datasets.capacity_estimates())
    for row in flags.itertuples():
        print(f"  capacity flag ({row.score:,.1f} x): {row.reason}")
    later = kp.statistics.detect(
        kp.datasets.kp_statistics(), capacity=kp.datasets.capacity_estimates()
    )
    later = later[(later["participant"] == "CG") & (later["year"] == 2010)]
    print("Back in the KP from 2007, the Republic of Congo spikes again in 2010:")
    for row in later.itertuples():
        print(f"  {row.detector}: {row.reason}")


def guinea_2008() -> pd.DataFrame:
    """Guinea, 2008: 3.10 Mct at about $17/ct against 0.5-1.0 Mct in neighbouring years."""
    print("\n== Guinea, 2008 ==")
    annual = kp.datasets.kp_statistics().annual()
    guinea = annual[(annual["participant"] == "GN") & annual["year"].between(2005, 2011)]
    print("Guinea's production in the shipped KP statistics:")
    for row in guinea.itertuples():
        print(
            f"  {row.year}: {row.carats / 1e6:5.2f} Mct, ${row.value_usd / 1e6:5.1f}M, "
            f"${row.value_per_carat:6.2f}/ct"
        )
    print(
        "USGS put Guinea's capacity at 480,000-720,000 ct a year (SIR 2012-5256); the KP "
        "adopted an Administrative Decision on Guinea at the 2009 Swakopmund plenary."
    )
    flags = kp.statistics.detect(
        kp.datasets.kp_statistics(), capacity=kp.datasets.capacity_estimates()
    )
    found = flags[(flags["participant"] == "GN") & (flags["year"] == 2008)]
    rank = flags.index[(flags["participant"] == "GN") & (flags["year"] == 2008)][0] + 1
    print(f"The detectors find it ({len(found)} flags; first at rank {rank} of {len(flags)}):")
    for row in found.itertuples():
        print(f"  {row.detector} (severity {row.severity:.2f}): {row.reason}")
    return flags


def figures(flags: pd.DataFrame) -> None:
    """Save the three figures: production, value per carat with flags, and the mirror gap."""
    stats = kp.datasets.kp_statistics()
    saved = []
    FIGURES.mkdir(parents=True, exist_ok=True)
    ax = kp.statistics.plot_production(stats, participants=["GN", "CG", "CF", "SL"])
    saved.append(FIGURES / "04_production.png")
    ax.figure.savefig(saved[-1], dpi=100)
    ax = kp.statistics.plot_value_per_carat(stats, flags, participants=["GN", "CG"])
    saved.append(FIGURES / "04_value_per_carat.png")
    ax.figure.savefig(saved[-1], dpi=100)
    trade = kp.datasets.trade_hs7102()
    world = kp.statistics.mirror(trade[trade["kp_rough"]])
    ax = kp.statistics.plot_mirror_gap(
        world, title="Rough diamonds (HS 7102 KP subheadings): world declared exports vs imports"
    )
    saved.append(FIGURES / "04_mirror_gap.png")
    ax.figure.savefig(saved[-1], dpi=100)
    yearly = world.groupby("year")[["exports_usd", "imports_usd"]].sum()
    gap = yearly.loc[2010]
    print(
        f"\nMirror check on customs data, 2010: declared exports ${gap.exports_usd / 1e9:.1f}bn, "
        f"declared imports ${gap.imports_usd / 1e9:.1f}bn."
    )
    print("Figures saved:", ", ".join(str(path) for path in saved))


if __name__ == "__main__":
    congo_2004()
    flags = guinea_2008()
    figures(flags)
