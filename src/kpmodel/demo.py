"""The end-to-end demonstration that ``make demo`` runs: ``python -m kpmodel.demo [DIR]``.

The demo is a list of steps (`STEPS`), each a title and a function that prints one part of
the story; later parts of kpmodel add their steps to the list. Today it checks the example
certificate files shipped in ``examples/data`` (or the folder given as the argument) against
the KPCS rules and prints a readable report.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs

import kpmodel as kp
from kpmodel.certificates import Certificate, ImportConfirmation, Shipment

__all__ = ["STEPS", "main"]

_WIDTH = 88


def _say(text: str) -> None:
    # The demo's whole job is to print; sys.stdout is looked up on each call so that
    # doctests and redirections capture it.
    sys.stdout.write(text + "\n")


@attrs.define
class _Demo:
    data: Path
    write: Callable[[str], None]

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
        _print_report(demo, kp.check(loaded))


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


STEPS: tuple[tuple[str, Callable[[_Demo], None]], ...] = (
    ("1. Checking the example certificate files", _check_example_files),
    ("2. A shipment and its import confirmation", _shipment_with_confirmation),
    ("3. What a damaged file looks like", _loading_errors),
)
"""The demo's steps in order: (title, function) pairs."""


def _default_data() -> Path:
    for candidate in (
        Path(__file__).resolve().parents[2] / "examples" / "data",
        Path("examples/data"),
    ):
        if candidate.is_dir():
            return candidate
    return Path("examples/data")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo steps and print the report; return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments: an optional folder of example files (default: the
        repository's ``examples/data``).

    Returns
    -------
    int
        0 when the demo ran, 2 when the example files cannot be found or loaded.

    Examples
    --------
    >>> from kpmodel import demo
    >>> demo.main([])  # doctest: +ELLIPSIS
    kpmodel demo ...
    1. Checking the example certificate files
    ...
    0
    """
    args = list(sys.argv[1:] if argv is None else argv)
    data = Path(args[0]) if args else _default_data()
    if not data.is_dir():
        _say(f"kpmodel demo: no example folder at {data}; pass one: python -m kpmodel.demo DIR")
        return 2
    demo = _Demo(data=data, write=_say)
    _say(f"kpmodel demo {kp.__version__}: the Kimberley Process rules on the files in {data}")
    try:
        for title, step in STEPS:
            demo.heading(title)
            step(demo)
    except kp.KPModelError as error:
        _say(f"kpmodel demo: {error}")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
