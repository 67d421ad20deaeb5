"""Marange, in or out? One case, every conflict-diamond definition, and why they disagree.

In October 2008 Zimbabwe's army seized the Marange diamond fields, killing more than 200
people; forced labour of children and adults and torture followed (HRW 2009). The Kimberley
Process restricted Marange exports from November 2009 to November 2011, yet the stones were
never "conflict diamonds" under the KP's own definition. This example shows why, and what
each broader text would have said.

Run: python examples/03_marange_in_or_out.py
Figures go to the directory in $KPMODEL_FIGURES (a temporary directory by default).
"""

import os
import tempfile
from pathlib import Path

import kpmodel as kp
from kpmodel import definitions as d

FIGURES = Path(os.environ.get("KPMODEL_FIGURES") or tempfile.mkdtemp(prefix="kpmodel-"))


def main() -> None:
    book = d.CaseBook.default()
    everything = [d.get(name) for name in d.available()]
    comparison = kp.compare(everything, book)

    print("MARANGE, IN OR OUT?\n")
    print(comparison.explain("zimbabwe-marange"))

    print("\nWhat each definition catches across the case book:")
    print(comparison.summary.to_string())

    print("\nA thought experiment: the KPCS wording with state security forces added.")
    widened = d.KPCS_2003.with_actors(d.Actor.PUBLIC_SECURITY_FORCE)
    verdict = widened(book["zimbabwe-marange"])
    print(f"  {widened!r}: {verdict.outcome.name}")
    for reason in verdict.why_not:
        print(f"  - clause '{reason.clause}' still fails on {reason.component}: {reason.detail}")
    print("  Widening who counts is not enough: the KPCS also asks that the diamonds finance")
    print("  a war against a government, and Marange's harm was to miners and communities.")

    FIGURES.mkdir(parents=True, exist_ok=True)
    matrix = d.plot_matrix(comparison)
    matrix.figure.savefig(FIGURES / "03_verdict_matrix.png", dpi=120)
    bars = d.plot_coverage(comparison)
    bars.figure.savefig(FIGURES / "03_case_coverage.png", dpi=120)
    print(f"\nFigures saved in {FIGURES}")

    marange_through_dubai(everything, book)
    zimbabwe_production(everything, book)


def marange_through_dubai(definitions: list, book: d.CaseBook) -> None:
    """A Dubai parcel mixing Marange stones of 2010 and 2012 with Botswana's."""
    graph = kp.ProvenanceGraph()
    mined = [
        graph.produce(country="ZW", zone="Marange", carats=300, on="2010-08-01", value_usd=15_000),
        graph.produce(country="ZW", zone="Marange", carats=200, on="2012-03-01", value_usd=10_000),
        graph.produce(country="BW", carats=500, on="2012-03-01", value_usd=100_000),
    ]
    dubai = graph.mix([graph.ship(lot, to="AE", on="2012-06-01") for lot in mined], at="AE")
    lots = d.Lots.from_graph(graph, book, lots=[dubai])
    table = kp.compare(definitions, lots).table.set_index("definition")
    print("\nA Dubai parcel of 1,000 ct: 300 ct mined at Marange in 2010, 200 ct in 2012,")
    print("500 ct from Botswana. Each origin is judged by the situation when it was mined:")
    print(table[["verdict", "in_share", "in_carats", "in_value_usd"]].to_string())
    print("The 2012 Marange carats are out under every text: the case book's Marange")
    print("situation ends in 2011, so only the 2010 carats can be caught.")


def zimbabwe_production(definitions: list, book: d.CaseBook) -> None:
    """How much of the world's and Zimbabwe's reported production each definition covers."""
    stats = kp.datasets.kp_statistics()  # the KP's own production statistics, shipped
    cov = d.coverage(definitions, stats, book)
    order = [x.name for x in definitions]
    y2010 = cov[cov["year"] == 2010].set_index("definition").loc[order]
    print("\nWorld production in 2010 covered by each definition (KP statistics):")
    print(
        (y2010[["carats_low", "carats_high"]] / 1e6)
        .round(2)
        .assign(pct_low=(y2010["share_low"] * 100).round(1))
        .assign(pct_high=(y2010["share_high"] * 100).round(1))
        .to_string()
    )
    total = y2010["total_carats"].iloc[0] / 1e6
    print(f"World total {total:.2f} million carats.")

    annual = stats.annual()
    zimbabwe = annual[(annual["participant"] == "ZW") & (annual["flow"] == "production")]
    frame = zimbabwe[zimbabwe["year"].between(2008, 2011)]
    frame = frame[["participant", "year", "carats", "value_usd"]]
    cov = d.coverage(definitions, frame, book)
    table = cov.pivot(index="definition", columns="year", values="carats_high") / 1e6
    print("\nZimbabwe's reported production covered, upper bound, million carats:")
    print(table.round(2).loc[order].to_string())
    print(
        "Lower bound: 0 for every definition. The KP statistics are per country and no\n"
        "source found gives Marange's share of Zimbabwe's output in 2008-2011, so a\n"
        "Marange verdict counts from nothing to all of Zimbabwe's production."
    )


if __name__ == "__main__":
    main()
