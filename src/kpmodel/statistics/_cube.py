"""Dense arrays (replication x participant x half year) that make the detectors vectorised."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pandas as pd

from kpmodel.statistics._table import KPStatistics


@attrs.frozen(eq=False)
class Cube:
    """One flow of a `KPStatistics` as dense arrays; NaN marks "not reported"."""

    replications: np.ndarray
    participants: np.ndarray
    years: np.ndarray
    halves: np.ndarray
    carats: np.ndarray
    value: np.ndarray

    @property
    def reported(self) -> np.ndarray:
        """True where the participant reported the flow for the period."""
        mask: np.ndarray = ~np.isnan(self.carats)
        return mask

    @property
    def shape(self) -> tuple[int, int, int]:
        """(replications, participants, half years)."""
        periods: int
        replications, participants, periods = self.carats.shape
        return replications, participants, periods


def _axes(stats: KPStatistics) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    table = stats.table
    replications = np.sort(table["replication"].unique())
    participants = np.sort(table["participant"].unique().astype(str))
    if len(table):
        first_year = int(table["year"].min())
        last_year = int(table["year"].max())
    else:
        first_year, last_year = 0, -1
    years = np.repeat(np.arange(first_year, last_year + 1), 2)
    halves = np.tile(np.array([1, 2]), last_year - first_year + 1)
    return replications, participants, years, halves, first_year


def cube(stats: KPStatistics, flow: str) -> Cube:
    """Return (and cache on `stats`) the dense arrays of one flow."""
    cache = stats._cache
    key = ("cube", flow)
    cached = cache.get(key)
    if isinstance(cached, Cube):
        return cached
    replications, participants, years, halves, first_year = _axes(stats)
    shape = (len(replications), len(participants), len(years))
    carats = np.full(shape, np.nan)
    value = np.full(shape, np.nan)
    rows = stats.table[stats.table["flow"].to_numpy() == flow]
    if len(rows):
        r = np.searchsorted(replications, rows["replication"].to_numpy())
        p = np.searchsorted(participants, rows["participant"].to_numpy().astype(str))
        t = (rows["year"].to_numpy() - first_year) * 2 + rows["half"].to_numpy() - 1
        carats[r, p, t] = rows["carats"].to_numpy(dtype=float)
        value[r, p, t] = rows["value_usd"].to_numpy(dtype=float)
    result = Cube(replications, participants, years, halves, carats, value)
    cache[key] = result
    return result


def flows_present(stats: KPStatistics) -> set[str]:
    """Return the flows that have at least one row."""
    return set(stats.table["flow"].unique())


def nanmedian(values: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Median along `axis` ignoring NaN, and the count of values; NaN where there are none.

    numpy's nanmedian warns on all-NaN slices (and the test suite turns warnings into
    errors); sorting puts NaN last, so the median is read at the right ranks instead.
    """
    ordered = np.sort(values, axis=axis)
    count = np.sum(~np.isnan(values), axis=axis, keepdims=True)
    low = np.clip((count - 1) // 2, 0, None)
    high = np.clip(count // 2, 0, None)
    if ordered.shape[axis] == 0:
        empty = np.full(np.squeeze(count, axis=axis).shape, np.nan)
        return empty, np.squeeze(count, axis=axis)
    median = (
        np.take_along_axis(ordered, low, axis=axis) + np.take_along_axis(ordered, high, axis=axis)
    ) / 2
    median = np.where(count > 0, median, np.nan)
    return np.squeeze(median, axis=axis), np.squeeze(count, axis=axis)


def previous_reported(
    values: np.ndarray, reported: np.ndarray, window: int
) -> tuple[np.ndarray, np.ndarray]:
    """For each period, the last `window` reported values before it, and the gap before it.

    Returns an array of shape ``values.shape + (window,)`` (NaN where fewer were reported)
    and the number of unreported periods between each period and the last reported one
    (-1 where nothing was reported before).
    """
    order = np.argsort(~reported, axis=-1, kind="stable")
    compact = np.take_along_axis(values, order, axis=-1)
    before = np.cumsum(reported, axis=-1) - reported
    stack = np.full((*values.shape, window), np.nan)
    periods = values.shape[-1]
    for j in range(1, window + 1):
        index = before - j
        ok = index >= 0
        taken = np.take_along_axis(compact, np.clip(index, 0, max(periods - 1, 0)), axis=-1)
        stack[..., j - 1] = np.where(ok, taken, np.nan)
    last = np.take_along_axis(order, np.clip(before - 1, 0, max(periods - 1, 0)), axis=-1)
    gap = np.where(before > 0, np.arange(periods) - last - 1, -1)
    return stack, gap


def world_floor(carats: np.ndarray, min_share: float) -> np.ndarray:
    """Materiality floor per replication and period: `min_share` of the world total."""
    floor: np.ndarray = min_share * np.nansum(carats, axis=1, keepdims=True)
    return floor


def annual(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum half years into years; return the sums and the count of halves reported."""
    reported = ~np.isnan(values)
    shape = (*values.shape[:-1], values.shape[-1] // 2, 2)
    sums = np.where(reported, values, 0.0).reshape(shape).sum(axis=-1)
    halves = reported.reshape(shape).sum(axis=-1)
    return np.where(halves > 0, sums, np.nan), halves


def flags_frame(
    cube_: Cube,
    index: tuple[np.ndarray, ...],
    *,
    detector: str,
    score: np.ndarray,
    threshold: float,
    reasons: list[str],
    annual_periods: bool = False,
    extra: dict[str, Any] | None = None,
    stats: KPStatistics,
) -> pd.DataFrame:
    """Assemble the tidy flags table for flagged cells ``index = (r, p, t)``."""
    r, p, t = index
    if annual_periods:
        years = cube_.years[::2][t] if len(cube_.years) else np.array([], dtype=int)
        halves = pd.array([pd.NA] * len(t), dtype="Int64")
    else:
        years = cube_.years[t]
        halves = pd.array(cube_.halves[t], dtype="Int64")
    frame = pd.DataFrame(
        {
            "replication": cube_.replications[r].astype("int64"),
            "participant": cube_.participants[p].astype(str),
            "year": np.asarray(years, dtype="int64"),
            "half": halves,
            "detector": detector,
            "score": np.asarray(score, dtype=float),
            "threshold": float(threshold),
            "reason": reasons,
        }
    )
    for name, column in (extra or {}).items():
        frame[name] = column
    return finish(frame, stats)


COLUMNS = [
    "replication",
    "participant",
    "year",
    "half",
    "detector",
    "score",
    "threshold",
    "reason",
]


def empty_flags(stats: KPStatistics) -> pd.DataFrame:
    """Return a flags table with no rows and the documented columns."""
    frame = pd.DataFrame(
        {
            "replication": pd.Series(dtype="int64"),
            "participant": pd.Series(dtype=str),
            "year": pd.Series(dtype="int64"),
            "half": pd.Series(dtype="Int64"),
            "detector": pd.Series(dtype=str),
            "score": pd.Series(dtype=float),
            "threshold": pd.Series(dtype=float),
            "reason": pd.Series(dtype=str),
        }
    )
    return finish(frame, stats)


def finish(frame: pd.DataFrame, stats: KPStatistics) -> pd.DataFrame:
    """Sort flags by score, highest first (ties in a stable, readable order)."""
    frame = frame.sort_values(
        ["score", "replication", "participant", "year", "half"],
        ascending=[False, True, True, True, True],
        kind="stable",
        na_position="first",
    ).reset_index(drop=True)
    if not stats.has_replications:
        frame = frame.drop(columns="replication")
    return frame
