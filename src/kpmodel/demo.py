"""The end-to-end teaching run that ``kpmodel demo`` and ``make demo`` start.

The demo is a list of steps (`STEPS`), each a title and a function that prints one part of
the story and adds a section to the HTML report: it checks the example certificate files
shipped inside the package (`kpmodel.datasets.example_folder`), traces a CAR parcel
laundered through Cameroon and Dubai, compares the conflict-diamond definitions on the case
book, runs the anomaly detectors on the real KP statistics, and simulates ``car-2013`` with
and without origin listing. The report goes to ``kpmodel-demo/report.html`` (or the folder
given with ``--output``). It needs nothing but the installed package, so it runs from any
folder. Also runnable as ``python -m kpmodel.demo [DIR] [--output DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import pandas as pd

import kpmodel as kp
from kpmodel import report
from kpmodel._boundary import atomic_write
from kpmodel.certificates import Certificate, ImportConfirmation, Shipment

__all__ = ["STEPS", "car_parcel", "main", "run"]

_WIDTH = 88


def _say(text: str) -> None:
    # The demo's whole job is to print; sys.stdout is looked up on each call so that
    # doctests and redirections capture it.
    sys.stdout.write(text + "\n")


@attrs.define
class _Demo:
    data: Path
    write: Callable[[str], None]
    output: Path = attrs.field(factory=lambda: Path(tempfile.mkdtemp(prefix="kpmodel-demo-")))
    sections: list[report.Section] = attrs.field(factory=list)

    def heading(self, title: str) -> None:
        self.write("")
        self.write(title)
        self.write("=" * len(title))

    def para(self, text: str, indent: str = "", hanging: str = "") -> None:
        self.write(
            textwrap.fill(text, _WIDTH, initial_indent=indent, subsequent_indent=indent + hanging)
        )


def _describe(record: object) -> str:
    if isinstance(record, Certificate):
        return (
            f"certificate {record.number}: {record.issuing_country} -> "
            f"{record.destination_country}, issued {record.issued}, {len(record.parcels)} "
            f"parcel(s), {record.carats} ct, US$ {record.value_usd}"
        )
    if isinstance(record, Shipment):
        number = record.certificate.number if record.certificate else "no certificate"
        return (
            f"shipment {record.from_country} -> {record.to_country} on {record.departed} "
            f"({number}), {'sealed' if record.sealed else 'not sealed'}"
        )
    assert isinstance(record, ImportConfirmation)
    return f"import confirmation of {record.certificate_number}, received {record.received}"


def _print_report(demo: _Demo, report: kp.rules.Report) -> None:
    if not report.findings:
        demo.write("    OK: no findings")
        return
    verdict = "passes, with warnings" if report.ok else "FAILS"
    demo.write(f"    {verdict}: {len(report.errors)} error(s), {len(report.warnings)} warning(s)")
    for finding in report.findings:
        where = f" at {finding.path}" if finding.path else ""
        demo.para(f"- {finding.severity}{where}: {finding.message}", "      ", "  ")
        demo.para(f"({finding.rule}; {finding.reference})", "        ", "  ")


def _check_example_files(demo: _Demo) -> None:
    demo.para(
        "Each file is loaded (all-or-nothing, every problem reported with its path) and "
        "checked against the KPCS rules in force on its own date, with the shipped register "
        "of participants. All parties in these files are fictional."
    )
    reports = {}
    for path in sorted(demo.data.iterdir()):
        if path.suffix not in (".json", ".csv"):
            continue
        demo.write("")
        demo.write(f"{path.name}")
        loaded = kp.certificates.load(path)
        records = loaded if isinstance(loaded, list) else [loaded]
        for index, record in enumerate(records):
            prefix = f"[{index}] " if isinstance(loaded, list) else ""
            demo.para(prefix + _describe(record), "  ", "  ")
        reports[path.name] = kp.check(loaded)
        _print_report(demo, reports[path.name])
    demo.sections.append(report.check_section(reports, title="The example certificate files"))


def _shipment_with_confirmation(demo: _Demo) -> None:
    demo.para(
        "Section III(b): the importing authority confirms receipt, referring to the "
        "certificate number, the parcels, the carats, the importer and the exporter. "
        "Checked as a ledger, the confirmation is matched with the certificate it confirms."
    )
    shipment = kp.certificates.load(demo.data / "shipment-bw-be-2023.json")
    confirmation = kp.certificates.load(demo.data / "confirmation-bw-be-2023.json")
    demo.write("")
    for record in (shipment, confirmation):
        demo.para(_describe(record), "  ", "  ")
    _print_report(demo, kp.check([shipment, confirmation]))
    if isinstance(confirmation, ImportConfirmation):
        short = attrs.evolve(confirmation, number_of_parcels=1)
        demo.write("")
        demo.write("  the same confirmation, claiming one parcel received:")
        _print_report(demo, kp.check([shipment, short]))


def _loading_errors(demo: _Demo) -> None:
    demo.para(
        "A damaged file is refused as a whole, with every problem named by its path, so a "
        "policy analyst can fix them all at once:"
    )
    text = (demo.data / "certificate-valid-bw-be-2023.json").read_text(encoding="utf-8")
    damaged = (
        text.replace('"285.40"', '"-3.5"')
        .replace('"2023-03-01"', '"2023-02-30"')
        .replace('"7102.31"', '"7102.39"')
    )
    demo.write("")
    try:
        kp.certificates.loads(damaged, source="damaged copy of certificate-valid-bw-be-2023.json")
    except kp.errors.LoadError as error:
        head, *problems = str(error).splitlines()
        demo.para(head, "  ")
        for line in problems:
            demo.para(line.strip(), "    ", "  ")


#: The public sources of the CAR parcel's story.
CAR_SOURCES = (
    "KP suspension of the Central African Republic, 23 May 2013",
    "UN Panel of Experts on the Central African Republic, 2015 (Bria rough into Cameroon)",
    "PAC, 'From Conflict to Illicit', 2016; PAC watchlist (mixing in Dubai)",
    "US Treasury on BADICA: over 1,100 ct bought from Bria and Sam-Ouandja, mid-2014 to "
    "March 2015 (the parcel's size); every other quantity and date is illustrative",
)


def car_parcel() -> tuple[kp.ProvenanceGraph, dict[str, Any]]:
    """Return the CAR parcel's provenance graph and its three certified shipments.

    After the KP suspended the Central African Republic (May 2013), rough from Séléka-held
    Bria was smuggled into Cameroon and certified as Cameroonian, then mixed in Dubai and
    re-exported on certificates of mixed origin (`CAR_SOURCES`). The parcel's 1,100 ct is
    the US Treasury's figure for BADICA's purchases; every other quantity and date is
    illustrative. The same story as ``examples/02_car_parcel_journey.py``.

    Returns
    -------
    graph : kpmodel.ProvenanceGraph
    shipments : dict
        Lot ids of the shipments ``"CM -> AE"``, ``"AE -> IN"`` and ``"AE -> BE"``.

    Examples
    --------
    >>> graph, shipments = kp.demo.car_parcel()
    >>> shares = kp.origin_shares(graph, by="zone").of(shipments["CM -> AE"])
    >>> round(shares["CF/Bria"], 3)
    0.88
    """
    graph = kp.ProvenanceGraph()
    bria = graph.produce(country="CF", zone="Bria", carats=1_100, on="2014-07-15")
    in_cameroon = graph.smuggle(bria, to="CM", on="2014-08-10")
    cameroon_own = graph.produce(country="CM", carats=150, on="2014-08-01")
    cameroon_lot = graph.mix([in_cameroon, cameroon_own], at="CM")
    to_dubai = graph.ship(cameroon_lot, to="AE", on="2015-02-01", certificate="CM-2015-0007")
    botswana = graph.produce(country="BW", carats=6_000, on="2016-05-01")
    russia = graph.produce(country="RU", carats=4_000, on="2016-05-01")
    bw_in_dubai = graph.ship(botswana, to="AE", on="2016-06-01", certificate="BW-2016-0412")
    ru_in_dubai = graph.ship(russia, to="AE", on="2016-06-01", certificate="RU-2016-1290")
    dubai_mix = graph.mix([to_dubai, bw_in_dubai, ru_in_dubai], at="AE")
    for_india, for_belgium = graph.split(dubai_mix, [7_000, 4_250])
    to_india = graph.ship(for_india, to="IN", on="2016-11-01", certificate="AE-2016-5531")
    to_belgium = graph.ship(for_belgium, to="BE", on="2016-11-02", certificate="AE-2016-5532")
    return graph, {"CM -> AE": to_dubai, "AE -> IN": to_india, "AE -> BE": to_belgium}


def _write_json(path: Path, data: object) -> None:
    """Write JSON atomically: a temporary file, then a rename."""
    atomic_write(path, json.dumps(data, indent=1))


def _trace_car_parcel(demo: _Demo) -> None:
    demo.para(
        "1,100 ct from Bria, in the suspended Central African Republic, are smuggled into "
        "Cameroon, certified as Cameroonian, mixed in Dubai and re-exported as 'MIXED'. "
        "The certificates hide what the provenance graph keeps:"
    )
    graph, shipments = car_parcel()
    declared = kp.provenance.declared_origins(graph).set_index("lot_id")["declared_origin"]
    shares = kp.origin_shares(graph, by="zone")
    demo.write("")
    for name, lot in shipments.items():
        truth = ", ".join(f"{o} {s:.1%}" for o, s in shares.of(lot).items())
        demo.para(f"{name} (lot {lot}): declares '{declared[lot]}'; really {truth}", "  ", "  ")
    findings = kp.provenance.audit(graph, register=kp.participants.Register.default())
    demo.write("")
    demo.write(f"  The audit finds {len(findings)} clean-looking certificates:")
    for f in findings:
        demo.para(
            f"- {f.certificate} ({f.exporter} -> {f.importer}): declares "
            f"'{f.declared_origin}' but {f.share:.1%} is {f.origin} [{f.reason}]",
            "    ",
            "  ",
        )
    saved = demo.output / "car-parcel.json"
    demo.output.mkdir(parents=True, exist_ok=True)
    _write_json(saved, graph.to_node_link())
    demo.write("")
    demo.para(
        f"The graph is saved as {saved}; trace any lot with: kpmodel trace {saved} "
        f"--lot {shipments['AE -> IN']} --by zone",
        "  ",
    )
    demo.sections.append(
        report.trace_section(
            graph,
            list(shipments.values()),
            title="A CAR parcel's journey through Cameroon and Dubai",
            source=str(saved),
            sources=CAR_SOURCES,
        )
    )


def _compare_definitions(demo: _Demo) -> None:
    demo.para(
        "Every built-in definition judges the case book's sourced situations beside the one "
        "in force (KPCS_2003); 'flips' counts the cases whose verdict changes:"
    )
    names = [n for n in kp.definitions.BUILTIN_NAMES if n != "KPCS_2003"]
    comparison = kp.compare(names, kp.definitions.CaseBook.default())
    demo.write("")
    for line in report.text_table(comparison.summary.reset_index(), width=_WIDTH - 2).splitlines():
        demo.write("  " + line)
    demo.write("")
    demo.write("  Marange (Zimbabwe, 2008-2011), in or out?")
    marange = kp.compare("CANADA_WDC_CSC_2018", kp.definitions.CaseBook.default())
    for line in marange.explain("zimbabwe-marange").splitlines():
        if line.startswith("Under") or "case book records" in line:
            demo.para(line.strip(), "    ", "  ")
    demo.sections.append(report.comparison_section(comparison))


def _detect_in_statistics(demo: _Demo) -> None:
    demo.para(
        "The six detectors run over the real half-yearly KP production statistics "
        "(2003-2024) with the sourced capacity estimates; each flag is matched with the "
        "known episodes. A flag is a lead to check, not a finding of smuggling. The most "
        "severe:"
    )
    stats = kp.datasets.kp_statistics()
    flags = kp.datasets.detect_flags(stats)
    demo.write("")
    for row in flags.head(6).to_dict("records"):
        half = "" if pd.isna(row["half"]) else f" H{row['half']}"
        line = f"- {row['participant']} {row['year']}{half}, {row['detector']}: {row['reason']}"
        demo.para(line, "  ", "  ")
        demo.para(f"known episode: {row['episode']}", "      ", "  ")
    demo.sections.append(
        report.statistics_section(
            stats,
            flags,
            source=kp.datasets.KP_STATISTICS_SOURCE,
            sources=kp.datasets.statistics_sources(flags),
            title="The real KP statistics and the detectors",
        )
    )


#: Seeds of the demo's sweep of car-2013 with and without origin listing.
DEMO_SEEDS = 3


def _simulate_origin_listing(demo: _Demo) -> None:
    scenario = kp.simulation.builtin("car-2013")
    demo.para(
        f"The built-in scenario {scenario.name!r} ({scenario.title}) simulates the CAR "
        "suspension: smuggling into Cameroon, mixing in Dubai, re-export on mixed-origin "
        "certificates. It runs twice with the same seed: as it was, and with hubs listing "
        "the countries of mining origin on mixed certificates (allowed since 2024)."
    )
    listed = scenario.with_levers(origin_listing_on_mixed=True)
    rows = []
    results = []
    for label, variant in (("MIXED", scenario), ("origins listed", listed)):
        result = kp.simulation.run(variant, seed=scenario.seed, progress=False)
        results.append(result)
        m = result.metrics.set_index(["definition", "metric", "detector"])["value"]
        rows.append(
            {
                "certificates": label,
                "opacity": m["all", "opacity", ""],
                "laundering": m[scenario.definition, "laundering_rate", ""],
                "via hubs": m[scenario.definition, "hub_laundering_rate", ""],
                "seized ct": m["all", "seized_carats", ""],
            }
        )
    demo.write("")
    table = report.text_table(pd.DataFrame(rows), width=_WIDTH - 2)
    for line in table.splitlines():
        demo.write("  " + line)
    demo.write("")
    demo.para(
        f"Seed {scenario.seed}; laundering is under {scenario.definition}, the definition in "
        f"force. Listing origins makes the paperwork readable (opacity {rows[0]['opacity']:.1%}"
        f" -> {rows[1]['opacity']:.1%}); in this scenario the laundering rate moves from "
        f"{rows[0]['laundering']:.1%} to {rows[1]['laundering']:.1%}. To see what other "
        "controls add: kpmodel sweep car-2013 --lever origin_listing_on_mixed=false,true "
        "--lever footprint_checks=0,0.5 --seeds 5",
        "  ",
    )
    levers: dict[str, list[object]] = {"origin_listing_on_mixed": [False, True]}
    table_ = kp.simulation.sweep(scenario, levers=levers, seeds=DEMO_SEEDS, progress=False)
    demo.sections.append(report.simulation_section(results[0]))
    demo.sections.append(
        report.sweep_section(
            table_,
            scenario,
            levers=list(levers),
            title=f"{scenario.name} with and without origin listing ({DEMO_SEEDS} seeds)",
        )
    )


STEPS: tuple[tuple[str, Callable[[_Demo], None]], ...] = (
    ("1. Checking the example certificate files", _check_example_files),
    ("2. A shipment and its import confirmation", _shipment_with_confirmation),
    ("3. What a damaged file looks like", _loading_errors),
    ("4. A CAR parcel's journey through Cameroon and Dubai", _trace_car_parcel),
    ("5. Conflict-diamond definitions on the case book", _compare_definitions),
    ("6. Detectors on the real KP statistics", _detect_in_statistics),
    ("7. What if mixed certificates listed origins? (car-2013)", _simulate_origin_listing),
)
"""The demo's steps in order: (title, function) pairs."""


def run(
    *,
    data: str | os.PathLike[str] | None = None,
    output: str | os.PathLike[str] = "kpmodel-demo",
    write: Callable[[str], None] = _say,
) -> int:
    """Run every demo step, print the story and write the HTML report; return the exit status.

    Parameters
    ----------
    data : path, optional
        A folder of certificate files to check (default: the examples shipped inside the
        package, `kpmodel.datasets.example_folder`).
    output : path
        Where the report (``report.html``) and the CAR parcel's graph are written.
    write : callable
        Called with each line of the story (default: print it).

    Returns
    -------
    int
        0 when the demo ran, 2 when the example files cannot be found or loaded.

    Examples
    --------
    >>> kp.demo.run(data="no/such/folder")
    kpmodel demo: no example folder at no/such/folder; pass one: kpmodel demo --data DIR
    2
    """
    folder = Path(data) if data is not None else kp.datasets.example_folder()
    if not folder.is_dir():
        write(f"kpmodel demo: no example folder at {folder}; pass one: kpmodel demo --data DIR")
        return 2
    demo = _Demo(data=folder, write=write, output=Path(output))
    write(f"kpmodel demo {kp.__version__}: the Kimberley Process, end to end")
    try:
        for title, step in STEPS:
            demo.heading(title)
            step(demo)
        path = report.write(
            demo.sections,
            demo.output,
            title="kpmodel demo: the Kimberley Process, end to end",
            inputs={"example files": str(folder), "command": "kpmodel demo"},
        )
    except kp.KPModelError as error:
        write(f"kpmodel demo: {error}")
        return 2
    write("")
    write(f"Report written to {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo from ``python -m kpmodel.demo [DIR] [--output DIR]``; return the status.

    Parameters
    ----------
    argv : sequence of str, optional
        An optional folder of certificate files (default: the shipped examples) and
        ``--output DIR`` (default: ``kpmodel-demo``).

    Returns
    -------
    int
        0 when the demo ran, 2 when the example files cannot be found or loaded.

    Examples
    --------
    >>> kp.demo.main(["no/such/folder"])
    kpmodel demo: no example folder at no/such/folder; pass one: kpmodel demo --data DIR
    2
    """
    parser = argparse.ArgumentParser(prog="python -m kpmodel.demo")
    parser.add_argument("data", nargs="?", type=Path, help="folder of example files")
    parser.add_argument("--output", type=Path, default=Path("kpmodel-demo"))
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    return run(data=args.data, output=args.output)


if __name__ == "__main__":
    raise SystemExit(main())
