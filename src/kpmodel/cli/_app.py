"""The `kpmodel` command: click commands over the library's functions."""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import os
import re
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
import pandas as pd

import kpmodel as kp
from kpmodel import report
from kpmodel._boundary import MAX_LISTED, as_date, parse_json, read_text
from kpmodel._lot_ids import lot_positions, no_lot_message
from kpmodel._output import display_path, printable
from kpmodel._progress import track
from kpmodel.cli._inputs import (
    STDIN,
    expand,
    load_paperwork,
    parse_columns,
    writable,
    write_atomic,
)
from kpmodel.cli._output import FORMATS, WIDTH, render
from kpmodel.errors import InvalidArgumentError, KPModelError, LoadError

T = TypeVar("T")

#: Problems of a LoadError shown before "... and N more" (errors stay a few lines).
SHOWN_PROBLEMS = 8


class Failure(click.ClickException):
    """Unusable input: printed as ``kpmodel: error: ...`` on stderr, exit status 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        # printable whatever the message holds (a file name that is not UTF-8)
        click.echo(f"kpmodel: error: {printable(self.format_message())}", err=True)


def _message(error: BaseException) -> str:
    if isinstance(error, LoadError):
        head, *problems = str(error).splitlines()
        if len(problems) > SHOWN_PROBLEMS:
            more = len(problems) - SHOWN_PROBLEMS
            problems = [*problems[:SHOWN_PROBLEMS], f"  ... and {more} more"]
        return "\n".join([head, *problems, "Fix the file and run the command again."])
    if isinstance(error, OSError):
        name = display_path(error.filename) if error.filename is not None else ""
        return f"{error.strerror or error}: {name}".rstrip(": ")
    if isinstance(error, ImportError):
        return f"{error} (install the extra it names, then run the command again)"
    return str(error)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (a test runner's buffer): nothing to silence


class _Group(click.Group):
    """A group that turns kpmodel's errors into a few lines and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (`kpmodel ... | head`): stop quietly.
            _silence_stdout()
            raise click.exceptions.Exit(1) from None
        except (KPModelError, OSError, ImportError) as error:
            if ctx.params.get("debug"):
                raise
            raise Failure(_message(error)) from None
        except Exception as error:
            if ctx.params.get("debug"):
                raise
            name = type(error).__name__
            msg = (
                f"internal error ({name}: {error}). Run again with --debug for the "
                "traceback, and report it to the kpmodel developers."
            )
            raise Failure(msg) from None


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return as_date(value)
    except KPModelError:
        msg = f"expected a date such as 2024-05-31; got {value!r}"
        raise click.BadParameter(msg, ctx, param) from None


def date_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Return an ``--on DATE`` option that gives a `datetime.date`."""
    return click.option("--on", metavar="DATE", callback=_date, help=help)


format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help=(
        "Output as an 80-column text table, CSV or JSON (default: by the suffix of "
        "--output, .csv or .json, else table)."
    ),
)
#: Where `_out` collects a command's output when --output names a file (click's ctx.meta).
_OUTPUT = "kpmodel.output"


def output_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--output FILE`` to a table command, and resolve its ``--format``.

    With --output, what the command would print on stdout is collected and written to FILE
    at the end, atomically (a temporary file, then a rename); when the command fails,
    nothing is written and an existing FILE is left as it was. Notes for a human still go
    to stderr. Without --format, the format follows FILE's suffix (.csv, .json; else a
    text table).
    """

    @click.option(
        "--output",
        "-o",
        "output_file",
        metavar="FILE",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write the result to FILE (atomically) instead of stdout.",
    )
    @functools.wraps(command)
    def run(*args: Any, output_file: Path | None, fmt: str | None, **kwargs: Any) -> Any:
        if fmt is None:
            suffix = output_file.suffix.lower().lstrip(".") if output_file else ""
            fmt = suffix if suffix in ("csv", "json") else "table"
        if output_file is None:
            return command(*args, fmt=fmt, **kwargs)
        writable(output_file)
        parts: list[str] = []
        click.get_current_context().meta[_OUTPUT] = parts
        try:
            result = command(*args, fmt=fmt, **kwargs)
        except click.exceptions.Exit as done:
            if done.exit_code in (0, 1):  # a finished command; 1 is check's "findings"
                _save(output_file, parts)
            raise
        _save(output_file, parts)
        return result

    return run


def _save(path: Path, parts: list[str]) -> None:
    write_atomic(path, "".join(parts))
    click.echo(f"written to {path}", err=True)


def _out(text: str = "", *, nl: bool = True) -> None:
    """Print a part of the result: on stdout, or into the --output file."""
    parts = click.get_current_context().meta.get(_OUTPUT)
    if parts is None:
        click.echo(text, nl=nl)
    else:
        parts.append(text + ("\n" if nl else ""))


columns_option = click.option(
    "--columns",
    "columns_given",
    metavar="MAP",
    help=(
        "Map your column names to kpmodel's, for CSV, Excel and Parquet ledgers: "
        "'Cert No=number,Weight (ct)=carats' (an empty name, 'Notes=', leaves a column out), "
        "or a .json or .toml file holding the map."
    ),
)
report_option = click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write a self-contained HTML report, DIR/report.html.",
)


def _progress(values: Sequence[T], label: str) -> Iterator[T]:
    """Iterate with the library's progress bar (`kpmodel._progress`): on a terminal only."""
    return track(values, enabled=None, desc=label, unit="file")


def _emit(frame: pd.DataFrame, fmt: str) -> None:
    _out(render(frame, fmt), nl=False)


def _note(text: str, fmt: str) -> None:
    """Print a line for a human: with the result in a table, on stderr with CSV and JSON."""
    if fmt == "table":
        _out(text)
    else:
        click.echo(text, err=True)


def _write_report(
    directory: Path | None,
    sections: Callable[[], Sequence[report.Section]],
    *,
    title: str,
    inputs: Mapping[str, object],
) -> None:
    if directory is None:
        return
    # Sections are built only when asked for: their figures take time.
    path = report.write(sections(), directory, title=title, inputs=inputs)
    click.echo(f"report written to {display_path(path)}", err=True)


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 80},
)
@click.option("--debug", is_flag=True, help="Show the full traceback when something fails.")
@click.version_option(kp.__version__, prog_name="kpmodel")
def cli(debug: bool) -> None:
    """Model the Kimberley Process Certification Scheme from the command line.

    Exit status: 0 when all is well, 1 when `check` finds problems, 2 for unusable input.
    """


# -- check -----------------------------------------------------------------------------


@cli.command()
@click.argument("inputs", metavar="FILE...", nargs=-1, required=True)
@date_option("Apply the rules in force on this date (YYYY-MM-DD).")
@click.option(
    "--register",
    "register_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A register of participants (JSON); default: the shipped one.",
)
@columns_option
@format_option
@output_option
@report_option
@click.pass_context
def check(
    ctx: click.Context,
    inputs: tuple[str, ...],
    on: dt.date | None,
    register_file: Path | None,
    columns_given: str | None,
    fmt: str,
    report_dir: Path | None,
) -> None:
    """Check ledgers (CSV, Excel, Parquet) and records (JSON) against the KPCS rules.

    FILE is a ledger, one row per parcel (.csv, .xlsx, .parquet; --columns maps your column
    names), a JSON file of certificates, shipments and import confirmations, a folder (its
    files of those kinds), or - for standard input (CSV, Excel, Parquet or JSON, told by its
    first bytes). Exit status 0 when there are no findings, 1 when there are, 2 for
    unusable input.
    """
    names = list(expand(inputs))
    if names.count("-") > 1:
        msg = "standard input can be read once: give - once"
        raise click.BadParameter(msg, param_hint="'FILE...'")
    if not names:
        msg = f"no ledger or record files in {', '.join(inputs)}"
        raise click.BadParameter(msg, param_hint="'FILE...'")
    columns = parse_columns(columns_given)
    register = kp.participants.Register.load(register_file) if register_file else None
    # All or nothing: every input is loaded before anything is checked.
    loaded = {
        (STDIN if name == "-" else display_path(name)): load_paperwork(name, columns=columns)
        for name in _progress(names, "loading")
    }
    if columns is not None and not any(isinstance(v, kp.Ledger) for v in loaded.values()):
        msg = "--columns maps the columns of CSV, Excel and Parquet ledgers; JSON keys are fixed"
        raise click.UsageError(msg)
    reports = {
        name: kp.check(paperwork, register=register, on=on)
        for name, paperwork in _progress(list(loaded.items()), "checking")
    }
    findings = kp.rules.findings_frame(reports).rename(columns={"input": "file"})
    if fmt != "table":
        _emit(findings, fmt)
    for name, part in findings.groupby("file", sort=False):
        if fmt == "table":
            _out(f"{name}:")
            _emit(part[["severity", "path", "message"]], fmt)
            _out()
    errors = sum(len(r.errors) for r in reports.values())
    warnings = sum(len(r.warnings) for r in reports.values())
    _note(f"{len(names)} file(s) checked: {errors} error(s), {warnings} warning(s).", fmt)
    _write_report(
        report_dir,
        lambda: [
            report.check_section(
                reports,
                on=on,
                register=display_path(register_file) if register_file else report.REGISTER_SOURCE,
            )
        ],
        title="kpmodel check",
        inputs={"files": ", ".join(loaded), "command": "kpmodel check"},
    )
    ctx.exit(1 if errors or warnings else 0)


# -- trace -----------------------------------------------------------------------------


#: A ``--lot`` that may name an int lot id: ASCII digits, a '-' for negatives (``int()``
#: reads other digits too, '²' is a digit to ``str.isdigit``, and 5,000 digits overflow).
_INT_LOT = re.compile(r"-?[0-9]{1,30}")


def _lot(graph: kp.ProvenanceGraph, given: str) -> Any:
    """Return the lot `given` names: a text id as written, else an int id of its digits.

    Each is looked up as ``origin_shares(graph, lots=[...])`` looks it up (`lot_positions`).
    """
    lots = graph.lots
    for lot in (given, int(given)) if _INT_LOT.fullmatch(given) else (given,):
        try:
            lot_positions([lot], lots)
        except InvalidArgumentError:
            continue
        return lot
    # click names the option ("Invalid value for '--lot': ...").
    msg = no_lot_message(
        [given],
        lots,
        field="",
        remedy="Give a lot id of the graph: its text for a text id, its digits (0-9, a '-' "
        "for negatives) for an int id.",
    )
    raise click.BadParameter(msg, param_hint="'--lot'")


@cli.command()
@click.argument("graph_file", metavar="GRAPH", type=click.Path(path_type=Path))
@click.option("--lot", "lot_id", required=True, help="The lot to trace (its id in the graph).")
@click.option(
    "--by",
    type=click.Choice(["country", "zone", "site"]),
    default="country",
    show_default=True,
    help="Name origins by country, zone or mine site.",
)
@click.option(
    "--paths", default=3, show_default=True, type=click.IntRange(1), help="Paths shown per origin."
)
@format_option
@output_option
@report_option
def trace(
    graph_file: Path, lot_id: str, by: str, paths: int, fmt: str, report_dir: Path | None
) -> None:
    """Show where a lot's carats were mined, and the paths that brought them.

    GRAPH is node-link JSON or GraphML, as kpmodel.ProvenanceGraph writes them.
    """
    graph = kp.provenance.read_graph(graph_file)
    lot = _lot(graph, lot_id)
    frame = kp.provenance.trace(graph, lot, by=by, paths=paths)
    if fmt == "table":
        _out(textwrap.fill(kp.provenance.describe_lot(graph, lot), WIDTH))
        repeated = frame["origin"].duplicated()
        frame.loc[repeated, ["share", "carats"]] = float("nan")
        frame.loc[repeated, "origin"] = ""
    _emit(frame, fmt)
    _write_report(
        report_dir,
        lambda: [report.trace_section(graph, [lot], by=by, source=display_path(graph_file))],
        title=f"kpmodel trace: lot {lot}",
        inputs={"graph": display_path(graph_file), "lot": lot, "command": "kpmodel trace"},
    )


# -- compare ---------------------------------------------------------------------------


def _names(given: str | None) -> list[str]:
    if given is None:
        return [n for n in kp.definitions.BUILTIN_NAMES if n != "KPCS_2003"]
    names = [n.strip() for n in given.split(",") if n.strip()]
    if not names:
        msg = "give definition names separated by commas, such as KPCS_2003,EU_2023"
        raise click.BadParameter(msg, param_hint="'--definitions'")
    for name in names:
        kp.definitions.get(name)  # an unknown name fails here, listing the known ones
    return [n for n in names if n != "KPCS_2003"]


def graph_lots(graph: kp.ProvenanceGraph) -> kp.definitions.Lots:
    """Return the shipped lots of `graph`, judged by zone on the shipped case book.

    Lots whose ids read the same as text (``1`` and ``"1"``) are refused here, with what a
    user of the command can do: `Lots` would suggest ``lots=``, which the command has not.
    """
    lots = graph.to_frames()[0]
    ids = lots.loc[lots["kind"] == "ship", "lot_id"]
    # With no shipment every lot is judged: its ids are the ones that must not clash.
    judged = ids if len(ids) else lots["lot_id"]
    clashing = judged[judged.astype(str).duplicated(keep=False)].tolist()
    if clashing:
        shown = ", ".join(f"{lot!r} ({type(lot).__name__})" for lot in clashing[:MAX_LISTED])
        more = f" and {len(clashing) - MAX_LISTED} more" if len(clashing) > MAX_LISTED else ""
        what = "shipped lots" if len(ids) else "lots"
        msg = (
            f"{what} {shown}{more} have ids that read the same as text, so the "
            "comparison could not tell them apart: give them ids that read differently in "
            "the graph file (rename them, or write every lot id as text), then run the "
            "command again"
        )
        raise Failure(msg)
    shipped = ids.tolist()
    return kp.definitions.Lots.from_graph(
        graph, kp.definitions.CaseBook.default(), by="zone", lots=shipped or None
    )


def _subject(path: Path | None) -> tuple[Any, str]:
    if path is None:
        return kp.definitions.CaseBook.default(), "the shipped case book"
    suffix = path.suffix.lower()
    if suffix == ".graphml":
        return graph_lots(kp.provenance.read_graph(path)), display_path(path)
    if suffix == ".json":
        try:
            data = parse_json(read_text(path))
        except KPModelError:
            data = None  # CaseBook.load reports it
        if isinstance(data, dict) and "nodes" in data:
            return graph_lots(kp.provenance.read_graph(path)), display_path(path)
    return kp.definitions.CaseBook.load(path), display_path(path)


@cli.command()
@click.argument(
    "subject_file", metavar="[CASES|GRAPH]", required=False, type=click.Path(path_type=Path)
)
@click.option(
    "--definitions",
    "definitions",
    metavar="A,B,...",
    help="Definitions to compare with KPCS_2003 (default: every built-in).",
)
@click.option(
    "--show",
    type=click.Choice(["summary", "verdicts", "flips"]),
    default="summary",
    show_default=True,
    help="Totals per definition, every verdict, or what changes against KPCS_2003.",
)
@date_option("Judge everything as of this date (YYYY-MM-DD).")
@format_option
@output_option
@report_option
def compare(
    subject_file: Path | None,
    definitions: str | None,
    show: str,
    on: dt.date | None,
    fmt: str,
    report_dir: Path | None,
) -> None:
    """Compare conflict-diamond definitions on a case book or the lots of a graph.

    CASES is a case book (TOML or JSON; default: the shipped one); GRAPH a provenance
    graph (node-link JSON or GraphML), whose shipped lots are judged on the shipped case book.
    """
    subject, source = _subject(subject_file)
    comparison = kp.compare(_names(definitions), subject, on=on)
    if show == "summary":
        frame = comparison.summary.reset_index()
        if fmt == "table":  # the carats and values of lots are in CSV and JSON
            keep = ["definition", "in", "undetermined", "out", "flips", "in_carats"]
            frame = frame[[c for c in keep if c in frame.columns]]
    elif show == "verdicts":
        frame = comparison.table
        if fmt == "table":
            frame = frame[["item", "definition", "verdict"]]
    else:
        frame = comparison.flips
        if fmt == "table":
            frame = frame[["item", "definition", "baseline_verdict", "verdict"]].rename(
                columns={"baseline_verdict": "KPCS_2003", "verdict": "now"}
            )
    _emit(frame, fmt)
    _write_report(
        report_dir,
        lambda: [report.comparison_section(comparison)],
        title="kpmodel compare",
        inputs={"subject": source, "command": "kpmodel compare"},
    )


# -- statistics ------------------------------------------------------------------------


@cli.command()
@click.argument("stats_file", metavar="[FILE]", required=False, type=click.Path(path_type=Path))
@click.option("--detect", is_flag=True, help="Run the anomaly detectors and list their flags.")
@click.option(
    "--top",
    default=20,
    show_default=True,
    type=click.IntRange(0),
    help="Flags shown in a text table (0: all; CSV and JSON give all).",
)
@format_option
@output_option
@report_option
def statistics(
    stats_file: Path | None, detect: bool, top: int, fmt: str, report_dir: Path | None
) -> None:
    """World totals, or with --detect the detectors' flags, on KP statistics.

    FILE is a CSV in the KPStatistics.from_csv format; default: the shipped KP statistics.
    """
    if stats_file is None:
        stats, source = kp.datasets.kp_statistics(), "the shipped KP statistics"
    else:
        stats, source = kp.statistics.KPStatistics.from_csv(stats_file), display_path(stats_file)
    flags = kp.datasets.detect_flags(stats) if detect else None
    if flags is None:
        world = stats.world(annual=True)
        _emit(world[["year", "carats", "value_usd", "value_per_carat", "participants"]], fmt)
    else:
        columns = ["participant", "year", "half", "detector", "severity", "reason"]
        shown = flags if fmt != "table" else flags[columns]
        if fmt == "table" and top and len(shown) > top:
            _emit(shown.head(top), fmt)
            _note(f"... {len(shown) - top} more flags: --top 0 shows all.", fmt)
        else:
            _emit(shown, fmt)
    _write_report(
        report_dir,
        lambda: [
            report.statistics_section(
                stats, flags, source=source, sources=kp.datasets.statistics_sources(flags)
            )
        ],
        title="kpmodel statistics",
        inputs={"statistics": source, "command": "kpmodel statistics"},
    )


# -- simulate and sweep ----------------------------------------------------------------


def load_scenario(given: str) -> kp.simulation.Scenario:
    """Return the built-in scenario called `given`, or the scenario in the TOML file `given`."""
    if given in kp.simulation.builtins():
        return kp.simulation.builtin(given)
    path = Path(given)
    if path.suffix.lower() != ".toml" and not path.exists():
        msg = (
            f"no built-in scenario or scenario file called {given!r}; the built-ins are "
            f"{', '.join(kp.simulation.builtins())}, or give a TOML file"
        )
        raise click.BadParameter(msg, param_hint="'SCENARIO'")
    return kp.simulation.Scenario.from_toml(path)


def _lever_value(text: str) -> object:
    """Return a lever value as typed: true/false, a number, or a name."""
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    try:
        return float(text)
    except ValueError:
        return text.strip()


def parse_levers(given: Sequence[str]) -> dict[str, list[object]]:
    """Parse ``NAME=V1,V2`` options into ``{name: [values]}``."""
    levers: dict[str, list[object]] = {}
    for option in given:
        name, sep, values = option.partition("=")
        if not sep or not name.strip() or not values.strip():
            msg = f"expected NAME=V1,V2 such as origin_listing_on_mixed=false,true; got {option!r}"
            raise click.BadParameter(msg, param_hint="'--lever'")
        levers[name.strip()] = [_lever_value(v) for v in values.split(",")]
    return levers


scenario_argument = click.argument("scenario_name", metavar="SCENARIO")
lever_option = click.option(
    "--lever",
    "lever_options",
    metavar="NAME=V1,V2",
    multiple=True,
    help=f"A policy lever and its values (repeatable): {', '.join(kp.simulation.LEVERS)}.",
)


@cli.command()
@scenario_argument
@click.option("--seed", type=click.IntRange(0), help="The seed (default: the scenario's).")
@click.option(
    "--lever",
    "lever_options",
    metavar="NAME=VALUE",
    multiple=True,
    help="Set a policy lever for this run (repeatable).",
)
@format_option
@output_option
@report_option
def simulate(
    scenario_name: str,
    seed: int | None,
    lever_options: tuple[str, ...],
    fmt: str,
    report_dir: Path | None,
) -> None:
    """Run a scenario once and print its metrics.

    SCENARIO is a built-in name (car-2013, ...) or a TOML file.
    """
    scenario = load_scenario(scenario_name)
    levers = parse_levers(lever_options)
    for name, values in levers.items():
        if len(values) != 1:
            msg = f"simulate takes one value per lever; got {name}={values!r} (use sweep)"
            raise click.BadParameter(msg, param_hint="'--lever'")
    scenario = scenario.with_levers(**{name: values[0] for name, values in levers.items()})
    result = kp.simulation.run(scenario, seed=scenario.seed if seed is None else seed)
    metrics = result.metrics
    _emit(kp.simulation.headline_metrics(metrics) if fmt == "table" else metrics, fmt)
    _write_report(
        report_dir,
        lambda: [report.simulation_section(result)],
        title=f"kpmodel simulate: {scenario.name}",
        inputs={"scenario": scenario_name, "seed": result.seed, "command": "kpmodel simulate"},
    )


def _executor(workers: int | None, scheduler: str | None) -> Any:
    if workers is not None and scheduler is not None:
        msg = "give --workers or --scheduler, not both"
        raise click.UsageError(msg)
    if scheduler is not None:
        try:
            from distributed import Client
        except ImportError:
            msg = "--scheduler needs dask.distributed: pip install 'kpmodel[distributed]'"
            raise ImportError(msg) from None
        client: Any = Client
        return client(scheduler).get_executor()
    if workers is not None and workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(max_workers=workers)
    return None


@cli.command()
@scenario_argument
@lever_option
@click.option("--seeds", type=click.IntRange(1), required=True, help="Runs per combination.")
@click.option("--workers", type=click.IntRange(1), help="Run on this many local processes.")
@click.option("--scheduler", metavar="ADDRESS", help="Run on a dask cluster (tcp://host:8786).")
@click.option(
    "--checkpoint",
    type=click.Path(file_okay=False, path_type=Path),
    help="Save each finished run here; a rerun resumes where it stopped.",
)
@format_option
@output_option
@report_option
def sweep(
    scenario_name: str,
    lever_options: tuple[str, ...],
    seeds: int,
    workers: int | None,
    scheduler: str | None,
    checkpoint: Path | None,
    fmt: str,
    report_dir: Path | None,
) -> None:
    """Run a scenario for every combination of lever values, with several seeds each.

    SCENARIO is a built-in name or a TOML file. With --format table, the means over the
    seeds of the headline metrics; CSV and JSON give every run's metrics.
    """
    scenario = load_scenario(scenario_name)
    levers = parse_levers(lever_options)
    executor = _executor(workers, scheduler)
    try:
        table = kp.simulation.sweep(
            scenario, levers=levers, seeds=seeds, executor=executor, checkpoint=checkpoint
        )
    finally:
        if executor is not None:
            executor.shutdown()
    if fmt == "table":
        if levers:
            _note(f"columns: {', '.join(levers)} (mean over {seeds} seeds)", fmt)
        means = kp.simulation.sweep_means(
            table, levers=list(levers), definition=scenario.definition
        )
        _emit(means, fmt)
    else:
        _emit(table, fmt)
    _write_report(
        report_dir,
        lambda: [report.sweep_section(table, scenario, levers=list(levers))],
        title=f"kpmodel sweep: {scenario.name}",
        inputs={
            "scenario": scenario_name,
            "levers": ", ".join(lever_options) or "none",
            "seeds": seeds,
            "command": "kpmodel sweep",
        },
    )


# -- data ------------------------------------------------------------------------------


def _datasets() -> dict[str, Callable[[], Any]]:
    shipped: dict[str, Callable[[], Any]] = {
        name: getattr(kp.datasets, name) for name in kp.datasets.TABLES
    }
    shipped["casebook"] = kp.definitions.CaseBook.default
    shipped["register"] = kp.participants.Register.default
    return shipped


def _as_frame(value: Any) -> pd.DataFrame:
    if isinstance(value, pd.DataFrame):
        return value
    if isinstance(value, kp.statistics.KPStatistics):
        return value.to_frame()
    if isinstance(value, kp.definitions.CaseBook):
        return pd.DataFrame(
            [
                {"key": key, "title": value.case(key).title, "place": str(value[key].place)}
                for key in value
            ]
        )
    return pd.DataFrame(
        [{"code": p.code, "name": p.name} for p in value.participants]
        if hasattr(value, "participants")
        else []
    )


def _summary_line(function: Callable[[], Any]) -> str:
    return (inspect.getdoc(function) or "").splitlines()[0]


@cli.command()
@click.argument("name", required=False)
@format_option
@output_option
def data(name: str | None, fmt: str) -> None:
    """List the shipped data sets, or describe one (with CSV or JSON: print it).

    NAME is one of the names the list shows.
    """
    shipped = _datasets()
    if name is None:
        rows = [
            {"name": key, "rows": len(_as_frame(load())), "description": _summary_line(load)}
            for key, load in shipped.items()
        ]
        _emit(pd.DataFrame(rows), fmt)
        return
    if name not in shipped:
        msg = f"no data set {name!r}; choose one of: {', '.join(shipped)}"
        raise click.BadParameter(msg, param_hint="'NAME'")
    frame = _as_frame(shipped[name]())
    if fmt != "table":
        _emit(frame, fmt)
        return
    described = (inspect.getdoc(shipped[name]) or name).split("\nExamples\n--------")[0]
    _out(described.rstrip())
    _out(f"\n{len(frame)} rows; the first five:\n")
    _emit(frame.head(), fmt)


# -- demo ------------------------------------------------------------------------------


@cli.command()
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("kpmodel-demo"),
    show_default=True,
    help="Where to write the report and the demo's files.",
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="A folder of certificate files to check (default: the shipped examples).",
)
@click.pass_context
def demo(ctx: click.Context, output: Path, data_dir: Path | None) -> None:
    """Run the end-to-end teaching demo and write its report to OUTPUT/report.html."""
    from kpmodel import demo as demo_module

    ctx.exit(demo_module.run(data=data_dir, output=output))


def main(argv: Iterable[str] | None = None) -> int:
    """Run the `kpmodel` command with `argv` (default: the process's); return the exit status.

    Examples
    --------
    >>> kp.cli.main(["--version"])
    kpmodel, version ...
    0
    """
    try:
        cli.main(args=None if argv is None else list(argv), prog_name="kpmodel")
    except SystemExit as done:
        code = done.code
        return code if isinstance(code, int) else (0 if code is None else 2)
