"""The headline rows of a run's metrics, and the two views of a sweep the CLI and reports show.

`sweep_summary` and `sweep_means` are views of the same averages `summarise` computes
(`kpmodel.simulation._analysis`), restricted to `HEADLINE_METRICS`: one way to average a
sweep, three ways to show it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from kpmodel.errors import InvalidArgumentError
from kpmodel.simulation._analysis import group_statistics

#: The metrics a sweep's summary shows, for the definition in force (and "all").
HEADLINE_METRICS = (
    "opacity",
    "laundering_rate",
    "hub_laundering_rate",
    "interdiction_recall",
    "detection_recall",
    "laundered_carats",
    "seized_carats",
)


def headline_metrics(metrics: pd.DataFrame) -> pd.DataFrame:
    """Return the rows of a metrics table a reader looks at first (no per-detector detail).

    Parameters
    ----------
    metrics : pandas.DataFrame
        `SimulationResult.metrics`, or a sweep table: any table with a ``detector`` column.

    Returns
    -------
    pandas.DataFrame
        The rows whose detector is ``""`` (not a detector metric) or ``"any"``.

    Examples
    --------
    >>> result = kp.simulation.run(kp.simulation.builtin("car-2013"), seed=1, progress=False)
    >>> shown = kp.simulation.headline_metrics(result.metrics)
    >>> sorted(set(shown["detector"]))
    ['', 'any']
    """
    return metrics[metrics["detector"].isin(["", "any"])].reset_index(drop=True)


def _check_levers(table: pd.DataFrame, levers: Sequence[str]) -> None:
    missing = [name for name in levers if name not in table.columns]
    if missing:
        msg = (
            f"the sweep table has no column for the levers {missing!r}; pass the names of "
            "the levers the sweep varied"
        )
        raise InvalidArgumentError(msg)


def sweep_summary(table: pd.DataFrame, *, levers: Sequence[str]) -> pd.DataFrame:
    """Return mean, spread and runs of the headline metrics per lever combination.

    The rows of `summarise` ``(table, by=levers)`` for `HEADLINE_METRICS` (same means, bit
    for bit), with the standard deviation over the runs instead of the interval: what the
    sweep section of a report shows. For intervals, other metrics or other groups, use
    `summarise`.

    Parameters
    ----------
    table : pandas.DataFrame
        What `sweep` returned.
    levers : sequence of str
        The levers the sweep varied (columns of the table).

    Returns
    -------
    pandas.DataFrame
        One row per lever combination, definition and metric of `HEADLINE_METRICS`:
        the levers, ``definition``, ``metric``, ``mean``, ``std`` and ``runs`` (the runs
        where the metric has a value: a rate with nothing to divide is NaN).

    Examples
    --------
    >>> scenario = kp.simulation.builtin("congo-brazzaville-2004")
    >>> levers = {"border_controls": [0.0, 0.5]}
    >>> t = kp.simulation.sweep(scenario, levers=levers, seeds=2, progress=False)
    >>> s = kp.simulation.sweep_summary(t, levers=list(levers))
    >>> list(s.columns)
    ['border_controls', 'definition', 'metric', 'mean', 'std', 'runs']
    >>> int(s["runs"].max())  # runs with a value (a rate with nothing to divide is NaN)
    2
    """
    _check_levers(table, levers)
    rows = table[table["metric"].isin(HEADLINE_METRICS) & table["detector"].isin(["", "any"])]
    keys = [*levers, "definition", "metric"]
    statistics = group_statistics(rows, keys, 0.95)
    return statistics[[*keys, "mean", "std", "n"]].rename(columns={"n": "runs"})


def sweep_means(table: pd.DataFrame, *, levers: Sequence[str], definition: str) -> pd.DataFrame:
    """Return the headline metrics' means over seeds: a row per metric, a column per combination.

    What ``kpmodel sweep --format table`` prints: the means of `sweep_summary`, pivoted.
    Rows are the metrics under ``all`` (what no definition changes) and under `definition`;
    columns are named by the lever values joined with commas (``base`` when no lever was
    varied).

    Parameters
    ----------
    table : pandas.DataFrame
        What `sweep` returned.
    levers : sequence of str
        The levers the sweep varied.
    definition : str
        The definition whose metrics are shown beside ``all`` (usually the scenario's).

    Returns
    -------
    pandas.DataFrame
        A ``metric`` column, then one column of means per lever combination.

    Examples
    --------
    >>> scenario = kp.simulation.builtin("congo-brazzaville-2004")
    >>> levers = {"border_controls": [0.0, 0.5]}
    >>> t = kp.simulation.sweep(scenario, levers=levers, seeds=2, progress=False)
    >>> wide = kp.simulation.sweep_means(t, levers=list(levers), definition=scenario.definition)
    >>> list(wide.columns)
    ['metric', '0.0', '0.5']
    >>> "all opacity" in set(wide["metric"])
    True
    """
    summary = sweep_summary(table, levers=levers)
    shown = summary[summary["definition"].isin(["all", definition])].copy()
    shown["combination"] = (
        shown[list(levers)].astype(str).agg(",".join, axis=1) if levers else "base"
    )
    shown["metric"] = shown["definition"] + " " + shown["metric"]
    wide = shown.pivot(index="metric", columns="combination", values="mean")
    order = list(dict.fromkeys(shown["metric"]))
    columns = list(dict.fromkeys(shown["combination"]))
    result = wide.loc[order, columns].reset_index()
    result.columns.name = None
    return result
