"""Report sections for a simulation run and for a sweep."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from kpmodel._display import table
from kpmodel._plotting import plain
from kpmodel.errors import InvalidArgumentError
from kpmodel.report._html import Section, figure, paragraph
from kpmodel.simulation import Scenario, SimulationResult, headline_metrics, sweep_summary
from kpmodel.statistics import plot_production


def _scenario_facts(scenario: Scenario) -> list[tuple[str, str]]:
    levers = ", ".join(f"{k}={v}" for k, v in scenario.lever_values().items())
    return [
        ("scenario", scenario.name),
        ("title", scenario.title or scenario.name),
        ("years", f"{scenario.start_year} + {scenario.years} year(s)"),
        ("definition in force", scenario.definition),
        ("levers", levers),
    ]


def _cited(scenario: Scenario) -> tuple[str, ...]:
    return tuple(f"[{key}] {text}" for key, text in scenario.sources.items())


def simulation_section(result: SimulationResult, *, title: str = "") -> Section:
    """Return a report section for one simulation run: scenario, seed, metrics, statistics.

    Parameters
    ----------
    result : kpmodel.simulation.SimulationResult
    title : str, optional
        Default: the scenario's name and seed.

    Returns
    -------
    Section

    Examples
    --------
    >>> result = kp.simulation.run(kp.simulation.builtin("car-2013"), seed=1)
    >>> s = kp.report.simulation_section(result)
    >>> ("seed", "1") in s.facts, s.figures
    (True, 1)
    """
    given: object = result
    if not isinstance(given, SimulationResult):
        msg = f"simulation_section() needs a SimulationResult; got {type(given).__name__}."
        raise InvalidArgumentError(msg)
    scenario = result.scenario
    body = [
        paragraph(scenario.description or scenario.title or scenario.name),
        paragraph(
            "Metrics of the run. 'all' holds what no definition changes; each definition "
            "('smuggled': every carat that left its zone without a certificate) says what "
            "counts as laundered. Per-detector detail is in the CSV and JSON output."
        ),
        table(headline_metrics(result.metrics), caption="Metrics"),
        figure(
            lambda: plot_production(result.kp_statistics),
            caption="Simulated KP statistics: production by participant",
        ),
    ]
    return Section(
        title=title or f"Simulation: {scenario.name}, seed {result.seed}",
        body="".join(body),
        facts=(*_scenario_facts(scenario), ("seed", str(result.seed))),
        sources=_cited(scenario),
        figures=1,
    )


def sweep_section(
    table_: pd.DataFrame, scenario: Scenario, *, levers: Sequence[str], title: str = ""
) -> Section:
    """Return a report section for a sweep: the metrics per lever combination, over seeds.

    Parameters
    ----------
    table_ : pandas.DataFrame
        What `kpmodel.simulation.sweep` returned.
    scenario : kpmodel.simulation.Scenario
        The base scenario of the sweep.
    levers : sequence of str
        The levers the sweep varied (columns of the table).
    title : str, optional

    Returns
    -------
    Section

    Examples
    --------
    >>> scenario = kp.simulation.builtin("congo-brazzaville-2004")
    >>> levers = {"border_controls": [0.0, 0.5]}
    >>> t = kp.simulation.sweep(scenario, levers=levers, seeds=2, progress=False)
    >>> kp.report.sweep_section(t, scenario, levers=list(levers)).figures
    1
    """
    missing = [name for name in levers if name not in table_.columns]
    if missing:
        msg = f"the sweep table has no column for the levers {missing!r}"
        raise InvalidArgumentError(msg)
    summary = sweep_summary(table_, levers=levers)
    seeds = sorted(set(table_["seed"].tolist()))
    shown = summary[summary["definition"].isin(["all", scenario.definition])]
    body = [
        paragraph(
            f"{table_['run_id'].nunique()} runs: every combination of the levers, each with "
            f"the seeds {', '.join(map(str, seeds))}. Means and standard deviations over the "
            f"seeds; metrics under the definition in force ({scenario.definition})."
        ),
        table(shown, caption="Headline metrics per lever combination"),
        figure(
            lambda: _plot_sweep(summary, levers, scenario.definition),
            caption="Opacity and laundering rate per lever combination (mean, 1 s.d.)",
        ),
    ]
    facts = [
        *_scenario_facts(scenario),
        ("levers swept", ", ".join(levers) or "none"),
        ("seeds", ", ".join(map(str, seeds))),
    ]
    return Section(
        title=title or f"Sweep: {scenario.name}",
        body="".join(body),
        facts=tuple(facts),
        sources=_cited(scenario),
        figures=1,
    )


def _plot_sweep(summary: pd.DataFrame, levers: Sequence[str], definition: str) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure_ = Figure(figsize=(8, 3.5))
    FigureCanvasAgg(figure_)
    axes = figure_.subplots(1, 2)
    wanted = [("all", "opacity"), (definition, "laundering_rate")]
    for ax, (owner, metric) in zip(axes, wanted, strict=True):
        part = summary[(summary["definition"] == owner) & (summary["metric"] == metric)]
        labels = [
            "\n".join(plain(f"{name}={value}") for name, value in zip(levers, values, strict=True))
            or "base"
            for values in part[list(levers)].astype(str).itertuples(index=False)
        ]
        ax.bar(range(len(part)), part["mean"], yerr=part["std"].fillna(0), color="#4c72b0")
        ax.set_xticks(range(len(part)), labels, fontsize=7)
        ax.set_title(plain(f"{metric} ({owner})"), fontsize=9)
        ax.set_ylim(bottom=0)
    figure_.tight_layout()
    return figure_
