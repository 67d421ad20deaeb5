"""Figures: the cases-by-definitions matrix and coverage bars (needs the ``plot`` extra)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from kpmodel._boundary import show
from kpmodel._plotting import new_axes, plain
from kpmodel.definitions._compare import Comparison
from kpmodel.errors import InvalidArgumentError

_COLOURS = {"in": "#c0392b", "undetermined": "#f1c40f", "out": "#d5dbdb"}
_LABELS = {"in": "IN", "undetermined": "?", "out": "OUT"}


def plot_matrix(comparison: Comparison, *, ax: Any = None) -> Any:
    """Draw the items-by-definitions matrix of verdicts (IN red, ? yellow, OUT grey).

    Parameters
    ----------
    comparison : Comparison
        From `kpmodel.compare`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new pyplot figure is made otherwise.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> c = kp.compare(["CANADA_WDC_CSC_2018"], kp.definitions.CaseBook.default())
    >>> ax = kp.definitions.plot_matrix(c)
    >>> ax.get_title()
    'Verdicts by definition'

    .. versionadded:: 0.1
    """
    given: object = comparison  # checked at run time: callers may pass anything
    if not isinstance(given, Comparison):
        msg = f"plot_matrix() needs a Comparison from kpmodel.compare(); got {show(comparison)}"
        raise InvalidArgumentError(msg)
    from matplotlib.colors import ListedColormap

    matrix = comparison.matrix
    order = list(_COLOURS)
    codes = matrix.apply(lambda col: col.map(order.index)).to_numpy(dtype=float)
    ax = new_axes(ax, (1.2 + 1.1 * matrix.shape[1], 1.0 + 0.42 * matrix.shape[0]))
    ax.imshow(
        codes, cmap=ListedColormap([_COLOURS[k] for k in order]), vmin=0, vmax=2, aspect="auto"
    )
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            ax.text(j, i, _LABELS[str(matrix.iat[i, j])], ha="center", va="center", fontsize=8)
    ax.set_xticks(range(matrix.shape[1]), [plain(n).replace("_", " ") for n in matrix.columns])
    ax.set_yticks(range(matrix.shape[0]), [plain(item) for item in matrix.index])
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title("Verdicts by definition")
    return ax


def plot_coverage(data: Comparison | pd.DataFrame, *, ax: Any = None) -> Any:
    """Draw coverage bars per definition.

    From a `Comparison`: how many items each definition holds IN and UNDETERMINED. From the
    frame `coverage` returns: carats covered summed over its years, the lower bound solid and
    the span to the upper bound hatched.

    Parameters
    ----------
    data : Comparison or pandas.DataFrame
        From `kpmodel.compare` or `kpmodel.definitions.coverage`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new pyplot figure is made otherwise.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> c = kp.compare(["OECD_ANNEX_II"], kp.definitions.CaseBook.default())
    >>> kp.definitions.plot_coverage(c).get_xlabel()
    'items'

    .. versionadded:: 0.1
    """
    if isinstance(data, Comparison):
        summary = data.summary
        names = [plain(name) for name in summary.index]
        ax = new_axes(ax, (7, 0.6 + 0.45 * len(names)))
        ax.barh(names, summary["in"], color=_COLOURS["in"], label="IN")
        ax.barh(
            names,
            summary["undetermined"],
            left=summary["in"],
            color=_COLOURS["undetermined"],
            label="UNDETERMINED",
        )
        ax.set_xlabel("items")
        ax.set_title(f"What each definition catches ({len(data.situations)} items)")
    elif isinstance(data, pd.DataFrame) and {"carats_low", "carats_high"} <= set(data.columns):
        totals = data.groupby("definition", sort=False)[["carats_low", "carats_high"]].sum()
        names = [plain(name) for name in totals.index]
        ax = new_axes(ax, (7, 0.6 + 0.45 * len(names)))
        low = totals["carats_low"] / 1e6
        span = (totals["carats_high"] - totals["carats_low"]) / 1e6
        ax.barh(names, low, color=_COLOURS["in"], label="covered (lower bound)")
        ax.barh(
            names,
            span,
            left=low,
            color="none",
            edgecolor=_COLOURS["in"],
            hatch="//",
            label="up to (upper bound: zone share unknown)",
        )
        years = sorted(data["year"].unique())
        ax.set_xlabel("million carats")
        ax.set_title(
            f"Production covered, {years[0]}-{years[-1]}" if years else "Production covered"
        )
    else:
        msg = "plot_coverage() needs a Comparison or the DataFrame that coverage() returns"
        raise InvalidArgumentError(msg)
    ax.invert_yaxis()
    ax.legend(loc="lower right", fontsize=8)
    return ax
