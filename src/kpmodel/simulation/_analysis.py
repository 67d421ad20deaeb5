"""What a sweep says: means with confidence intervals, Sobol indices, and their figures.

Every sum here is `math.fsum` (correctly rounded, whatever the order of its terms), so a
summary or an index computed from the same table is the same, bit for bit, whichever
executor ran the sweep.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from kpmodel._display import ROWS, View
from kpmodel._plotting import new_axes, plain
from kpmodel.errors import InvalidArgumentError

_KEYS = ["definition", "metric", "detector"]
_TIDY = {"definition", "metric", "detector", "value"}


def _require_table(table: object, where: str) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame) or not set(table.columns) >= _TIDY:
        got = list(table.columns) if isinstance(table, pd.DataFrame) else repr(table)
        msg = (
            f"{where}() needs a table from kp.simulation.sweep (columns definition, metric, "
            f"detector, value); got {got}"
        )
        raise InvalidArgumentError(msg)
    return table


def _levers(table: pd.DataFrame) -> list[str]:
    """Return the lever columns: as sweep recorded them, else the columns before the metrics."""
    recorded = table.attrs.get("levers")
    if isinstance(recorded, list):
        return [c for c in recorded if c in table.columns]
    inputs = set(table.attrs.get("uncertainties", {}))
    head = list(table.columns[: list(table.columns).index("definition")])
    return [c for c in head if c not in {"run_id", "seed", "sample"} | inputs]


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if len(values) else math.nan


class SweepSummary(pd.DataFrame):
    """What `summarise` returns: a DataFrame that shows itself compactly.

    It is a `pandas.DataFrame` in every respect (select, query, plot, write it as usual;
    what those return are plain DataFrames), except that its repr is one line (what it
    summarises, how many rows) and its notebook view is a small table of its first rows.
    ``summary.to_string()`` prints every row.

    Examples
    --------
    >>> scenario = kp.simulation.builtin("congo-brazzaville-2004")
    >>> table = kp.simulation.sweep(
    ...     scenario, levers={"border_controls": [0.0, 0.5]}, seeds=2, progress=False
    ... )
    >>> kp.simulation.summarise(table)  # doctest: +ELLIPSIS
    <SweepSummary: 2 groups (border_controls) x ... metric rows, mean and 95% interval; see ...>
    """

    # pandas' hook for subclasses: what operations on a summary return (plain DataFrames)
    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return pd.DataFrame

    def _view(self) -> View:
        groups = list(self.attrs.get("by", []))
        level = self.attrs.get("confidence", 0.95)
        keys = [c for c in groups if c in self.columns]
        count = len(self[keys].drop_duplicates()) if keys else 1
        metrics = len(self[_KEYS].drop_duplicates()) if set(_KEYS) <= set(self.columns) else 0
        by = f" ({', '.join(groups)})" if groups else ""
        summary = (
            f"{count} group{'s' if count != 1 else ''}{by} x {metrics} metric rows, "
            f"mean and {level:.0%} interval"
        )
        frame = pd.DataFrame(self)
        return View(
            kind="SweepSummary",
            summary=summary,
            more="see .to_string() for every row, .query() to select",
            facts=[
                ("rows", len(frame)),
                ("grouped by", ", ".join(groups) or "nothing (every run together)"),
                ("confidence", f"{level:.0%} (Student-t interval of the mean)"),
            ],
            tables=lambda: [("first rows", frame.head(ROWS))],
        )

    def __repr__(self) -> str:
        return self._view().text()

    def _repr_html_(self) -> str:
        return self._view().html()


def group_statistics(table: pd.DataFrame, keys: list[str], confidence: float) -> pd.DataFrame:
    """Mean, standard deviation, Student-t interval and count of ``value`` per group of `keys`.

    The one place a sweep's runs are averaged (`summarise`, `sweep_summary`, `sweep_means`).
    NaN values are left out of a group's count; the deviation and interval need two values.
    """
    from scipy import stats

    rows = []
    groups = table.groupby(keys, sort=False, dropna=False, observed=True)["value"]
    for key, values in groups:
        finite = [float(v) for v in values.to_numpy() if not math.isnan(v)]
        n = len(finite)
        mean = _mean(finite)
        deviation = low = high = math.nan
        if n >= 2:
            variance = math.fsum((v - mean) ** 2 for v in finite) / (n - 1)
            deviation = math.sqrt(variance)
            half = float(stats.t.ppf((1 + confidence) / 2, n - 1)) * math.sqrt(variance / n)
            low, high = mean - half, mean + half
        rows.append((*key, mean, deviation, low, high, n))
    frame = pd.DataFrame(rows, columns=[*keys, "mean", "std", "ci_low", "ci_high", "n"])
    dtypes: dict[str, Any] = {c: table[c].dtype for c in keys}
    dtypes.update(dict.fromkeys(("mean", "std", "ci_low", "ci_high"), "float64"))
    dtypes["n"] = "int64"
    return frame.astype(dtypes)


def summarise(
    table: pd.DataFrame, *, by: Sequence[str] | None = None, confidence: float = 0.95
) -> SweepSummary:
    """Summarise a sweep: mean, confidence interval and number of runs per group and metric.

    Parameters
    ----------
    table : pandas.DataFrame
        A table from `sweep`.
    by : sequence of str, optional
        Columns to group by besides ``definition, metric, detector``. By default the
        sweep's levers: the uncertain inputs and the seeds are what the mean is taken over.
    confidence : float, default 0.95
        Level of the two-sided Student-t interval of the mean.

    Returns
    -------
    SweepSummary
        A DataFrame: the `by` columns, then ``definition, metric, detector, mean, ci_low,
        ci_high, n``, one row per group in the order the table first shows it. Runs where a
        metric is NaN (a ratio with nothing to divide) are left out of its ``n``; the
        interval is NaN with fewer than two runs.

    Raises
    ------
    kpmodel.errors.InvalidArgumentError
        For a table that is not a sweep's, an unknown column in `by`, or a confidence level
        outside (0, 1).

    Examples
    --------
    >>> scenario = kp.simulation.builtin("congo-brazzaville-2004")
    >>> table = kp.simulation.sweep(
    ...     scenario, levers={"border_controls": [0.0, 0.5]}, seeds=3, progress=False
    ... )
    >>> summary = kp.simulation.summarise(table)
    >>> row = summary.query("metric == 'seized_carats_border'").iloc[1]
    >>> row.border_controls, row.n, bool(row.ci_low < row["mean"] < row.ci_high)
    (np.float64(0.5), np.int64(3), True)
    """
    _require_table(table, "summarise")
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, float | int)
        or not 0 < confidence < 1
    ):
        msg = f"confidence must be a number between 0 and 1 (such as 0.95); got {confidence!r}"
        raise InvalidArgumentError(msg)
    groups = _levers(table) if by is None else [by] if isinstance(by, str) else list(by)
    for column in groups:
        if column not in table.columns or column in _TIDY:
            msg = (
                f"by: {column!r} is not a column to group by; the table has "
                f"{[c for c in table.columns if c not in _TIDY]}"
            )
            raise InvalidArgumentError(msg)
    statistics = group_statistics(table, [*groups, *_KEYS], float(confidence))
    summary = SweepSummary(statistics.drop(columns="std"))
    summary.attrs = {"confidence": float(confidence), "by": groups}
    return summary


def sensitivity(
    table: pd.DataFrame, *, metric: str, definition: str | None = None
) -> pd.DataFrame:
    """First-order and total Sobol indices of a metric, per uncertain input.

    The sweep must have ``design="sobol"``. The metric of each design point is its mean over
    the seeds; SALib's estimators (``SALib.analyze.sobol``, Saltelli 2010 and Jansen) then
    give each input's first-order index ``S1`` (the share of the metric's variance the
    input explains alone) and total index ``ST`` (alone and with the others), with the
    half-width of their 95 % bootstrap confidence intervals (the bootstrap's draws are
    seeded, so the same table gives the same indices). Needs the ``sensitivity`` extra
    (``pip install 'kpmodel[sensitivity]'``).

    Parameters
    ----------
    table : pandas.DataFrame
        A table from ``sweep(..., design="sobol")``, as `sweep` returned it (its
        ``attrs`` say the design).
    metric : str
        A metric of the table, such as ``"laundering_rate"``. Detector metrics
        (``detection_recall``) are read for all detectors together (``any``).
    definition : str, optional
        Whose metric: by default ``all`` for metrics that need no definition, else the
        definition in force of the swept scenario.

    Returns
    -------
    pandas.DataFrame
        The sweep's lever columns (one block of rows per lever combination), then
        ``input, S1, S1_conf, ST, ST_conf``.

    Raises
    ------
    kpmodel.errors.InvalidArgumentError
        If the table is not from a Sobol design, or the metric or definition is not in it,
        or the metric is NaN at some design point.

    Examples
    --------
    >>> scenario = kp.simulation.builtin("congo-brazzaville-2004")
    >>> table = kp.simulation.sweep(
    ...     scenario,
    ...     uncertainties={"controls.border_controls": (0.0, 0.6), "hubs[0].markup": (1.0, 1.5)},
    ...     design="sobol", samples=8, progress=False,
    ... )
    >>> indices = kp.simulation.sensitivity(table, metric="seized_carats_border")
    >>> indices.set_index("input").ST.idxmax()
    'controls.border_controls'
    """
    _require_table(table, "sensitivity")
    if table.attrs.get("design") != "sobol":
        msg = (
            "sensitivity() needs a sweep with design='sobol' (the Saltelli scheme); this "
            f"table's design is {table.attrs.get('design', 'not recorded')!r}: run "
            "kp.simulation.sweep(scenario, uncertainties=..., design='sobol', samples=...)"
        )
        raise InvalidArgumentError(msg)
    ranges: dict[str, Sequence[float]] = table.attrs["uncertainties"]
    rows = table[table["metric"] == metric]
    if rows.empty:
        known = sorted(set(table["metric"]))
        msg = f"metric {metric!r} is not in the table; its metrics: {', '.join(known)}"
        raise InvalidArgumentError(msg)
    if definition is None:
        choices = set(rows["definition"])
        definition = "all" if "all" in choices else str(table.attrs.get("definition"))
    rows = rows[rows["definition"] == definition]
    if rows.empty:
        msg = (
            f"definition {definition!r} has no metric {metric!r} in the table; give one of "
            f"{sorted(set(table[table['metric'] == metric]['definition']))}"
        )
        raise InvalidArgumentError(msg)
    detector = "any" if (rows["detector"] == "any").any() else ""
    rows = rows[rows["detector"] == detector]
    analyze = _salib()
    levers = _levers(table)
    problem = {
        "num_vars": len(ranges),
        "names": list(ranges),
        "bounds": [[float(lo), float(hi)] for lo, hi in ranges.values()],
    }
    out = []
    groups = rows.groupby(levers, sort=False) if levers else [((), rows)]
    for combination, part in groups:
        combination = combination if isinstance(combination, tuple) else (combination,)
        y = np.array(
            [_mean(list(v.to_numpy(dtype=float))) for _, v in part.groupby("sample")["value"]]
        )
        if np.isnan(y).any():
            bad = int(np.flatnonzero(np.isnan(y))[0])
            msg = (
                f"metric {metric!r} ({definition}) is NaN at design point {bad} (nothing to "
                "divide); choose a metric defined in every run"
            )
            raise InvalidArgumentError(msg)
        # a fixed, non-zero seed (SALib ignores 0): the bootstrap draws the same every time
        result = analyze(problem, y, calc_second_order=False, print_to_console=False, seed=1)
        for i, name in enumerate(ranges):
            out.append(
                (
                    *combination,
                    name,
                    float(result["S1"][i]),
                    float(result["S1_conf"][i]),
                    float(result["ST"][i]),
                    float(result["ST_conf"][i]),
                )
            )
    frame = pd.DataFrame(out, columns=[*levers, "input", "S1", "S1_conf", "ST", "ST_conf"])
    frame.attrs = {"metric": metric, "definition": definition}
    return frame


def _salib() -> Any:
    try:
        from SALib.analyze import sobol  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - depends on the environment
        msg = "sensitivity() needs SALib: pip install 'kpmodel[sensitivity]'"
        raise ImportError(msg) from exc
    return sobol.analyze


# --- figures ------------------------------------------------------------------------------


def plot_summary(
    summary: pd.DataFrame, *, metric: str, definition: str | None = None, ax: Any = None
) -> Any:
    """Draw a metric's mean per group with its confidence interval (from `summarise`).

    Parameters
    ----------
    summary : pandas.DataFrame
        From `summarise`.
    metric : str
        The metric to draw (detector metrics: for all detectors together, ``any``).
    definition : str, optional
        Whose metric; by default the only definition with it that is not ``smuggled``, or
        ``all``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new pyplot figure is made otherwise.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> scenario = kp.simulation.builtin("congo-brazzaville-2004")
    >>> table = kp.simulation.sweep(
    ...     scenario, levers={"border_controls": [0.0, 0.5]}, seeds=2, progress=False
    ... )
    >>> ax = kp.simulation.plot_summary(kp.simulation.summarise(table), metric="opacity")
    >>> ax.get_ylabel()
    'opacity (all)'
    """
    if not isinstance(summary, pd.DataFrame) or not {"mean", "ci_low", "ci_high"} <= set(
        summary.columns
    ):
        msg = f"plot_summary() needs a table from kp.simulation.summarise(); got {summary!r}"
        raise InvalidArgumentError(msg)
    rows = summary[summary["metric"] == metric]
    if rows.empty:
        known = sorted(set(summary["metric"]))
        msg = f"metric {metric!r} is not in the summary; its metrics: {known}"
        raise InvalidArgumentError(msg)
    if definition is None:
        choices = sorted(set(rows["definition"]) - {"smuggled"})
        definition = choices[0] if len(choices) == 1 else "all" if "all" in choices else None
        if definition is None:
            msg = f"metric {metric!r} has several definitions {choices}; give definition="
            raise InvalidArgumentError(msg)
    rows = rows[rows["definition"] == definition]
    detector = "any" if (rows["detector"] == "any").any() else ""
    rows = rows[rows["detector"] == detector]
    groups = [c for c in summary.columns if c not in {*_KEYS, "mean", "ci_low", "ci_high", "n"}]
    labels = [
        ", ".join(f"{c}={v}" for c, v in zip(groups, row, strict=True)) or "all runs"
        for row in rows[groups].itertuples(index=False, name=None)
    ]
    ax = new_axes(ax, (max(4.0, 1.2 * len(labels) + 2), 3.6))
    x = np.arange(len(rows))
    mean = rows["mean"].to_numpy(dtype=float)
    error = np.vstack([mean - rows["ci_low"].to_numpy(), rows["ci_high"].to_numpy() - mean])
    ax.errorbar(x, mean, yerr=np.nan_to_num(error), fmt="o", capsize=4)
    ax.set_xticks(x, [plain(label) for label in labels])
    ax.tick_params(axis="x", labelrotation=20, labelsize=8)
    ax.set_ylabel(plain(f"{metric} ({definition})"))
    level = summary.attrs.get("confidence", 0.95)
    ax.set_title(plain(f"mean and {level:.0%} confidence interval"))
    return ax


def plot_sensitivity(indices: pd.DataFrame, *, ax: Any = None) -> Any:
    """Draw first-order and total Sobol indices per input with their confidence intervals.

    Parameters
    ----------
    indices : pandas.DataFrame
        From `sensitivity`, for one lever combination.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new pyplot figure is made otherwise.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> indices = pd.DataFrame({"input": ["hubs[0].markup"], "S1": [0.6], "S1_conf": [0.1],
    ...                         "ST": [0.7], "ST_conf": [0.1]})
    >>> kp.simulation.plot_sensitivity(indices).get_ylabel()
    'Sobol index'
    """
    needed = {"input", "S1", "S1_conf", "ST", "ST_conf"}
    if not isinstance(indices, pd.DataFrame) or not needed <= set(indices.columns):
        msg = f"plot_sensitivity() needs a table from kp.simulation.sensitivity(); got {indices!r}"
        raise InvalidArgumentError(msg)
    if indices["input"].duplicated().any():
        msg = (
            "plot_sensitivity() draws one lever combination; select its rows first "
            "(the table has several)"
        )
        raise InvalidArgumentError(msg)
    ax = new_axes(ax, (max(4.0, 1.1 * len(indices) + 2), 3.6))
    x = np.arange(len(indices))
    width = 0.38
    ax.bar(x - width / 2, indices["S1"], width, yerr=indices["S1_conf"], capsize=3, label="S1")
    ax.bar(x + width / 2, indices["ST"], width, yerr=indices["ST_conf"], capsize=3, label="ST")
    ax.set_xticks(x, [plain(name) for name in indices["input"]])
    ax.tick_params(axis="x", labelrotation=20, labelsize=8)
    ax.set_ylabel("Sobol index")
    ax.axhline(0, color="black", linewidth=0.5)
    metric = indices.attrs.get("metric")
    ax.set_title(
        plain(f"first-order (S1) and total (ST) indices of {metric}")
        if metric
        else "Sobol indices"
    )
    ax.legend()
    return ax
