"""Figures for statistics (needs the ``plot`` extra: matplotlib)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from kpmodel.statistics._table import KPStatistics

if TYPE_CHECKING:  # matplotlib is optional; only the annotations need its types.
    from matplotlib.figure import Figure


def _pyplot() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - depends on the environment
        msg = "figures need matplotlib: pip install 'kpmodel[plot]'"
        raise ImportError(msg) from exc
    return Figure


def _period(frame: pd.DataFrame) -> pd.Series:
    return frame["year"] + (frame["half"] - 1) / 2


def plot_production(
    stats: KPStatistics, *, participants: Sequence[str] | None = None, top: int = 8
) -> Figure:
    """Plot production (carats per half year) by participant over time.

    Parameters
    ----------
    stats : KPStatistics
    participants : sequence of str, optional
        Codes to plot; by default the `top` producers by total carats.
    top : int, default 8

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = kp.statistics.plot_production(kp.datasets.kp_statistics(), participants=["GN"])
    >>> fig.axes[0].get_ylabel()
    'carats per half year'
    """
    figure_class = _pyplot()
    table = stats.to_frame()
    table = table[table["flow"] == "production"]
    if participants is None:
        totals = table.groupby("participant")["carats"].sum().sort_values(ascending=False)
        participants = list(totals.index[:top])
    figure: Figure = figure_class(figsize=(9, 5))
    axes = figure.add_subplot()
    for code in participants:
        rows = table[table["participant"] == code].sort_values(["year", "half"])
        axes.plot(_period(rows), rows["carats"], marker=".", label=code)
    axes.set_yscale("symlog", linthresh=1e4)
    axes.set_xlabel("year")
    axes.set_ylabel("carats per half year")
    axes.set_title("Rough-diamond production by participant")
    axes.legend(ncol=2, fontsize="small")
    return figure


def plot_value_per_carat(
    stats: KPStatistics, flags: pd.DataFrame | None = None, *, participants: Sequence[str]
) -> Figure:
    """Plot production value per carat by participant, with flagged periods marked.

    Parameters
    ----------
    stats : KPStatistics
    flags : pandas.DataFrame, optional
        Output of a detector or `kpmodel.statistics.detect`; flagged half years are circled
        (annual flags circle both halves).
    participants : sequence of str

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> stats = kp.datasets.kp_statistics()
    >>> flags = kp.statistics.detect(stats)
    >>> fig = kp.statistics.plot_value_per_carat(stats, flags, participants=["GN", "BW"])
    >>> fig.axes[0].get_ylabel()
    'US dollars per carat'
    """
    figure_class = _pyplot()
    table = stats.value_per_carat()
    table = table[table["flow"] == "production"]
    figure: Figure = figure_class(figsize=(9, 5))
    axes = figure.add_subplot()
    for code in participants:
        rows = table[table["participant"] == code].sort_values(["year", "half"])
        (line,) = axes.plot(_period(rows), rows["value_per_carat"], marker=".", label=code)
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
    return figure


def plot_mirror_gap(pairs: pd.DataFrame, *, title: str = "Mirror statistics") -> Figure:
    """Plot declared exports against declared imports over time, from `mirror`.

    Parameters
    ----------
    pairs : pandas.DataFrame
        Output of `kpmodel.statistics.mirror`; rows are summed per year.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> trade = kp.datasets.trade_hs7102().query("kp_rough")
    >>> fig = kp.statistics.plot_mirror_gap(kp.statistics.mirror(trade))
    >>> fig.axes[0].get_ylabel()
    'US dollars (billions)'
    """
    figure_class = _pyplot()
    yearly = pairs.groupby("year")[["exports_usd", "imports_usd"]].sum(min_count=1)
    figure: Figure = figure_class(figsize=(9, 5))
    axes = figure.add_subplot()
    axes.plot(yearly.index, yearly["exports_usd"] / 1e9, marker="o", label="declared exports")
    axes.plot(yearly.index, yearly["imports_usd"] / 1e9, marker="s", label="declared imports")
    axes.fill_between(
        yearly.index,
        yearly["exports_usd"] / 1e9,
        yearly["imports_usd"] / 1e9,
        alpha=0.2,
        label="gap",
    )
    from matplotlib.ticker import MaxNLocator  # present whenever _pyplot() succeeded

    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("year")
    axes.set_ylabel("US dollars (billions)")
    axes.set_title(title)
    axes.legend()
    return figure
