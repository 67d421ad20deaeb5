"""Figures for statistics (needs the ``plot`` extra: matplotlib)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from kpmodel._plotting import new_axes, plain
from kpmodel.statistics._table import KPStatistics


def _period(frame: pd.DataFrame) -> pd.Series:
    return frame["year"] + (frame["half"] - 1) / 2


def plot_production(
    stats: KPStatistics,
    *,
    participants: Sequence[str] | None = None,
    top: int = 8,
    ax: Any = None,
) -> Any:
    """Plot production (carats per half year) by participant over time.

    Parameters
    ----------
    stats : KPStatistics
    participants : sequence of str, optional
        Codes to plot; by default the `top` producers by total carats.
    top : int, default 8
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new pyplot figure is made otherwise.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = kp.statistics.plot_production(kp.datasets.kp_statistics(), participants=["GN"])
    >>> ax.get_ylabel()
    'carats per half year'
    """
    table = stats.to_frame()
    table = table[table["flow"] == "production"]
    if participants is None:
        totals = table.groupby("participant")["carats"].sum().sort_values(ascending=False)
        participants = list(totals.index[:top])
    axes = new_axes(ax, (9, 5))
    for code in participants:
        rows = table[table["participant"] == code].sort_values(["year", "half"])
        axes.plot(_period(rows), rows["carats"], marker=".", label=plain(code))
    axes.set_yscale("symlog", linthresh=1e4)
    axes.set_xlabel("year")
    axes.set_ylabel("carats per half year")
    axes.set_title("Rough-diamond production by participant")
    axes.legend(ncol=2, fontsize="small")
    return axes


def plot_value_per_carat(
    stats: KPStatistics,
    flags: pd.DataFrame | None = None,
    *,
    participants: Sequence[str],
    ax: Any = None,
) -> Any:
    """Plot production value per carat by participant, with flagged periods marked.

    Parameters
    ----------
    stats : KPStatistics
    flags : pandas.DataFrame, optional
        Output of a detector or `kpmodel.statistics.detect`; flagged half years are circled
        (annual flags circle both halves).
    participants : sequence of str
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new pyplot figure is made otherwise.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> stats = kp.datasets.kp_statistics()
    >>> flags = kp.statistics.detect(stats)
    >>> ax = kp.statistics.plot_value_per_carat(stats, flags, participants=["GN", "BW"])
    >>> ax.get_ylabel()
    'US dollars per carat'
    """
    table = stats.value_per_carat()
    table = table[table["flow"] == "production"]
    axes = new_axes(ax, (9, 5))
    for code in participants:
        rows = table[table["participant"] == code].sort_values(["year", "half"])
        (line,) = axes.plot(_period(rows), rows["value_per_carat"], marker=".", label=plain(code))
        if flags is None or flags.empty:
            continue
        mine = flags[flags["participant"] == code]
        years = set(mine.loc[mine["half"].isna(), "year"])
        halves = set(zip(mine["year"], mine["half"], strict=True))
        marked = rows[
            rows["year"].isin(years)
            | pd.Series(
                [(y, h) in halves for y, h in zip(rows["year"], rows["half"], strict=True)],
                index=rows.index,
            )
        ]
        axes.scatter(
            _period(marked),
            marked["value_per_carat"],
            s=120,
            facecolors="none",
            edgecolors=line.get_color(),
            linewidths=2,
        )
    axes.set_yscale("log")
    axes.set_xlabel("year")
    axes.set_ylabel("US dollars per carat")
    axes.set_title("Value per carat (circles: flagged periods)")
    axes.legend()
    return axes


def plot_mirror_gap(
    pairs: pd.DataFrame, *, title: str = "Mirror statistics", ax: Any = None
) -> Any:
    """Plot declared exports against declared imports over time, from `mirror`.

    Parameters
    ----------
    pairs : pandas.DataFrame
        Output of `kpmodel.statistics.mirror`; rows are summed per year.
    title : str, optional
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new pyplot figure is made otherwise.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> trade = kp.datasets.trade_hs7102().query("kp_rough")
    >>> ax = kp.statistics.plot_mirror_gap(kp.statistics.mirror(trade))
    >>> ax.get_ylabel()
    'US dollars (billions)'
    """
    yearly = pairs.groupby("year")[["exports_usd", "imports_usd"]].sum(min_count=1)
    axes = new_axes(ax, (9, 5))
    axes.plot(yearly.index, yearly["exports_usd"] / 1e9, marker="o", label="declared exports")
    axes.plot(yearly.index, yearly["imports_usd"] / 1e9, marker="s", label="declared imports")
    axes.fill_between(
        yearly.index,
        yearly["exports_usd"] / 1e9,
        yearly["imports_usd"] / 1e9,
        alpha=0.2,
        label="gap",
    )
    from matplotlib.ticker import MaxNLocator  # present whenever new_axes() succeeded

    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("year")
    axes.set_ylabel("US dollars (billions)")
    axes.set_title(plain(title))
    axes.legend()
    return axes
