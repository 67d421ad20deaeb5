"""Dense arrays (replication x participant x half year) that make the detectors vectorised."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pandas as pd

from kpmodel._limits import check_memory
from kpmodel.statistics._table import KPStatistics

#: Bytes per cell (replication x participant x half year) of the cubes and the detectors'
#: temporaries: two float64 arrays per flow, three flows, and a few arrays the detectors derive.
BYTES_PER_CELL = 256


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


@attrs.frozen(eq=False)
class Axes:
    """The axes of the cubes, and where each row of the table sits on them."""

    replications: np.ndarray
    participants: np.ndarray
    years: np.ndarray
    halves: np.ndarray
    row_replication: np.ndarray
    row_participant: np.ndarray
    row_period: np.ndarray
    row_flow: np.ndarray
    flows: tuple[str, ...]
    present: frozenset[str]


def axes(stats: KPStatistics) -> Axes:
    """Return (and cache on `stats`) the cube axes and the row positions on them."""
    cached = stats._cache.get("axes")
    if isinstance(cached, Axes):
        return cached
    table = stats.table
    replication = table["replication"].to_numpy(dtype="int64")
    row_replication, replications = pd.factorize(replication, sort=True)
    participant = table["participant"].astype("category")
    flow = table["flow"].astype("category")
    year = table["year"].to_numpy(dtype="int64")
    first_year, last_year = (int(year.min()), int(year.max())) if len(year) else (0, -1)
    _check_size(len(replications), len(participant.cat.categories), first_year, last_year)
    result = Axes(
        replications=np.asarray(replications, dtype="int64"),
        participants=np.asarray(participant.cat.categories, dtype=str),
        years=np.repeat(np.arange(first_year, last_year + 1), 2),
        halves=np.tile(np.array([1, 2]), last_year - first_year + 1),
        row_replication=row_replication,
        row_participant=participant.cat.codes.to_numpy(dtype="int64"),
        row_period=(year - first_year) * 2 + table["half"].to_numpy(dtype="int64") - 1,
        row_flow=flow.cat.codes.to_numpy(dtype="int64"),
        flows=tuple(str(name) for name in flow.cat.categories),
        present=frozenset(
            str(name)
            for name, count in zip(
                flow.cat.categories,
                np.bincount(
                    flow.cat.codes.to_numpy(dtype="int64"), minlength=len(flow.cat.categories)
                ),
                strict=True,
            )
            if count
        ),
    )
    stats._cache["axes"] = result
    return result


def _check_size(replications: int, participants: int, first_year: int, last_year: int) -> None:
    """Refuse dense arrays too big for the memory limit, before allocating them."""
    periods = 2.0 * (last_year - first_year + 1)
    cells = float(replications) * participants * periods
    check_memory(
        cells * BYTES_PER_CELL,
        what=(
            f"the detectors' tables of {participants} participants over the years {first_year}"
            f" to {last_year} ({periods:.3g} half years) and {replications} replications"
        ),
        change=(
            "check the years (one far from the others stretches every table over the whole "
            "span) or analyse fewer replications or participants at a time"
        ),
        keyword=False,
    )


def cube(stats: KPStatistics, flow: str) -> Cube:
    """Return (and cache on `stats`) the dense arrays of one flow."""
    cache = stats._cache
    key = ("cube", flow)
    cached = cache.get(key)
    if isinstance(cached, Cube):
        return cached
    ax = axes(stats)
    shape = (len(ax.replications), len(ax.participants), len(ax.years))
    carats = np.full(shape, np.nan)
    value = np.full(shape, np.nan)
    if flow in ax.flows:
        rows = np.flatnonzero(ax.row_flow == ax.flows.index(flow))
        where = (ax.row_replication[rows], ax.row_participant[rows], ax.row_period[rows])
        carats[where] = stats.table["carats"].to_numpy(dtype=float)[rows]
        value[where] = stats.table["value_usd"].to_numpy(dtype=float)[rows]
    result = Cube(ax.replications, ax.participants, ax.years, ax.halves, carats, value)
    cache[key] = result
    return result


def flows_present(stats: KPStatistics) -> set[str]:
    """Return the flows that have at least one row."""
    return set(axes(stats).present)


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
    check_memory(
        2.0 * values.size * window * 8,
        what=f"a window of {window} half years over {values.size} participant-periods",
        change="use a smaller window",
        keyword=False,
    )
    stack = np.full((*values.shape, window), np.nan)
    periods = values.shape[-1]
    if reported.all():
        # Nothing missing (the usual simulated case): the previous values are plain shifts.
        for j in range(1, min(window, periods - 1) + 1):
            stack[..., j:, j - 1] = values[..., :-j]
        gap = np.where(np.arange(periods) > 0, 0, -1) * np.ones(values.shape, dtype=int)
        return stack, gap
    order = np.argsort(~reported, axis=-1, kind="stable")
    compact = np.take_along_axis(values, order, axis=-1)
    before = np.cumsum(reported, axis=-1) - reported
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
    keys = [k for k in ("score", "replication", "participant", "year", "half") if k in frame]
    frame = frame.sort_values(
        keys, ascending=[k != "score" for k in keys], kind="stable", na_position="first"
    ).reset_index(drop=True)
    if not stats.has_replications and "replication" in frame.columns:
        frame = frame.drop(columns="replication")
    return frame
