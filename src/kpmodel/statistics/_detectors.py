"""Anomaly detectors over KP statistics: the checks analysts use to find laundering."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from kpmodel._boundary import finite_float, show, whole_number
from kpmodel.errors import InvalidArgumentError
from kpmodel.statistics._cube import (
    Cube,
    annual,
    cube,
    empty_flags,
    finish,
    flags_frame,
    flows_present,
    nanmedian,
    previous_reported,
    world_floor,
)
from kpmodel.statistics._mirror import bilateral_pairs
from kpmodel.statistics._table import KPStatistics
from kpmodel.statistics._validation import FLOWS


class Detector(Protocol):
    """What a detector is: any callable ``detector(stats, **context) -> flags``.

    A detector takes a `KPStatistics` and keyword context (production capacity, peers,
    ...), ignores the context it does not use, and returns a DataFrame with at least the
    columns ``participant, year, half, detector, score, threshold, reason`` (``half`` empty
    for annual findings; ``replication`` too for replicated statistics), one row per flag,
    sorted by score, highest first. It returns an empty table, never raises, on empty,
    single-period or all-zero statistics. Write one as a plain function; there is no base
    class to inherit.

    Examples
    --------
    >>> def always_quiet(stats, **context):
    ...     return kp.statistics.period_jump(stats, threshold=1e9)
    >>> flags = kp.statistics.detect(kp.datasets.kp_statistics(), detectors=[always_quiet])
    >>> len(flags)
    0
    """

    def __call__(self, stats: KPStatistics, /, **context: Any) -> pd.DataFrame:
        """Return the flags for `stats`."""


#: 1.4826 x MAD estimates a normal standard deviation (Iglewicz and Hoaglin's modified z).
MAD_TO_SD = 1.4826


def _label(year: int, half: int) -> str:
    return f"{year} H{half}"


def _check_positive(name: str, value: object) -> float:
    """Return `value`, a finite number above 0 (numpy's too, never a bool), as a float."""
    return finite_float(
        value,
        path=name,
        minimum=0,
        exclusive_minimum=True,
        maximum=None,
        error=InvalidArgumentError,
    )


def _check_share(name: str, value: object) -> float:
    """Return `value`, a share from 0 to 1 (numpy's too, never a bool), as a float."""
    return finite_float(value, path=name, minimum=0, maximum=1, error=InvalidArgumentError)


def _check_count(name: str, value: object) -> int:
    """Return `value`, a whole number of at least 1 (numpy's too, never a bool), as an int."""
    return whole_number(value, path=name, minimum=1, maximum=None, error=InvalidArgumentError)


def _check_flows(flows: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(flows)
    unknown = [flow for flow in chosen if flow not in FLOWS]
    if unknown:
        msg = f"'flows' must name flows among {FLOWS!r}; got {show(unknown)}."
        raise InvalidArgumentError(msg)
    return chosen


def _capacity_bands(capacity: pd.DataFrame | None, participants: np.ndarray) -> np.ndarray:
    """High and low ends of the capacity band per participant (NaN where unknown)."""
    bands = np.full((len(participants), 2), np.nan)
    if capacity is None:
        return bands
    if not {"participant", "high_carats"} <= set(capacity.columns):
        msg = (
            "'capacity' must be a DataFrame with the columns 'participant' and 'high_carats' "
            "(and optionally 'low_carats'), such as kp.datasets.capacity_estimates(); "
            f"got columns {list(capacity.columns)!r}."
        )
        raise InvalidArgumentError(msg)
    index = {code: i for i, code in enumerate(participants)}
    low = capacity["low_carats"] if "low_carats" in capacity.columns else capacity["high_carats"]
    for code, lo, hi in zip(capacity["participant"], low, capacity["high_carats"], strict=True):
        if code in index:
            bands[index[code]] = (float(lo), float(hi))
    return bands


# -- capacity --------------------------------------------------------------------------------


def capacity(
    stats: KPStatistics,
    *,
    capacity: pd.DataFrame | None = None,
    threshold: float = 1.5,
    min_share: float = 1e-4,
    **context: Any,
) -> pd.DataFrame:
    """Flag production or exports beyond a capacity band, or exports beyond supply.

    Two checks, as the KP Working Group on Monitoring and the review missions make them:

    - **Capacity band** (with ``capacity=``): a participant's annual production, or its annual
      net exports (exports - imports), above ``threshold`` times the high end of its capacity
      estimate. Score: the ratio to the high end. Annual findings (``half`` is empty).
    - **Supply balance** (when the statistics have exports): exports in a half year above
      ``threshold`` times production plus imports. Score: that ratio, after adding a
      materiality floor (``min_share`` of world exports) to both sides so that tiny
      flows do not dominate.

    Motivating case: the **Republic of Congo, 2004**. Its rough exports "considerably
    exceeded estimated production capacity, with no related imports" (about 5.2 Mct a year,
    about 100 times its output); the KP removed it from the list of participants in July 2004
    (Rapaport, 11 Jul 2004; Professional Jeweler, 12 Jul 2004). In the shipped data: Guinea 2008
    at 3.10 Mct against a USGS capacity of 0.48-0.72 Mct/yr (USGS SIR 2012-5256).

    Parameters
    ----------
    stats : KPStatistics
    capacity : pandas.DataFrame, optional
        Columns ``participant`` and ``high_carats`` (carats a year), such as
        `kpmodel.datasets.capacity_estimates`.
    threshold : float, default 1.5
        Capacity estimates are uncertain ranges, so the default asks for 50 % above the high
        end before flagging.
    min_share : float, default 1e-4
        Materiality floor, as a share of the world total of the period.
    **context
        Ignored (other detectors' context).

    Returns
    -------
    pandas.DataFrame
        Flags sorted by score, highest first: ``participant, year, half, detector, score,
        threshold, reason`` (and ``replication`` for replicated statistics).

    Examples
    --------
    >>> stats = kp.datasets.kp_statistics()
    >>> flags = kp.statistics.capacity(stats, capacity=kp.datasets.capacity_estimates())
    >>> print(flags[["participant", "year", "half", "score"]].round(2).to_string(index=False))
    participant  year  half  score
             CG  2010  <NA>   7.33
             GN  2008  <NA>   4.30
             CG  2008  <NA>   2.12
    """
    threshold = _check_positive("threshold", threshold)
    min_share = _check_share("min_share", min_share)
    present = flows_present(stats)
    parts = []
    if "production" in present or "export" in present:
        parts.append(_capacity_band(stats, capacity, threshold))
    if "export" in present:
        parts.append(_supply_balance(stats, threshold, min_share))
    parts = [part for part in parts if len(part)]
    if not parts:
        return empty_flags(stats)
    return finish(pd.concat(parts, ignore_index=True), stats) if len(parts) > 1 else parts[0]


def _zeros_where_missing(cube_: Cube) -> np.ndarray:
    return np.where(np.isnan(cube_.carats), 0.0, cube_.carats)


def _capacity_band(
    stats: KPStatistics, capacity_table: pd.DataFrame | None, threshold: float
) -> pd.DataFrame:
    production = cube(stats, "production")
    bands = _capacity_bands(capacity_table, production.participants)
    high = bands[:, 1][None, :, None]
    if np.isnan(high).all():
        return empty_flags(stats)
    produced, _ = annual(_zeros_where_missing(production))
    net_exports = np.zeros_like(produced)
    if "export" in flows_present(stats):
        exported, _ = annual(_zeros_where_missing(cube(stats, "export")))
        imported, _ = annual(_zeros_where_missing(cube(stats, "import")))
        net_exports = exported - imported
    observed = np.maximum(produced, net_exports)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = observed / high
    index = np.nonzero(np.nan_to_num(score, nan=0.0) >= threshold)
    years = production.years[::2]
    reasons = [
        f"{'production' if produced[i] >= net_exports[i] else 'net exports'} of "
        f"{observed[i]:,.0f} ct in {years[i[2]]} is {score[i]:.1f} times the high end of the "
        f"capacity estimate ({high[0, i[1], 0]:,.0f} ct a year)"
        for i in zip(*index, strict=True)
    ]
    return flags_frame(
        production,
        index,
        detector="capacity",
        score=score[index],
        threshold=threshold,
        reasons=reasons,
        annual_periods=True,
        stats=stats,
    )


def _supply_balance(stats: KPStatistics, threshold: float, min_share: float) -> pd.DataFrame:
    exports = cube(stats, "export")
    supply = _zeros_where_missing(cube(stats, "production")) + _zeros_where_missing(
        cube(stats, "import")
    )
    exported = _zeros_where_missing(exports)
    floor = world_floor(exports.carats, min_share)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = (exported + floor) / (supply + floor)
    index = np.nonzero(np.nan_to_num(score, nan=0.0) >= threshold)
    reasons = [
        f"exports of {exported[i]:,.0f} ct in {_label(exports.years[i[2]], exports.halves[i[2]])} "
        f"exceed production plus imports ({supply[i]:,.0f} ct)"
        for i in zip(*index, strict=True)
    ]
    return flags_frame(
        exports,
        index,
        detector="capacity",
        score=score[index],
        threshold=threshold,
        reasons=reasons,
        stats=stats,
    )


# -- value per carat ------------------------------------------------------------------------


def value_per_carat(
    stats: KPStatistics,
    *,
    threshold: float = 3.5,
    flows: Sequence[str] = ("production", "export"),
    min_scale: float = 0.15,
    min_history: int = 4,
    min_share: float = 1e-4,
    peers: Mapping[str, str] | None = None,
    **context: Any,
) -> pd.DataFrame:
    """Flag values per carat far from the participant's own history, or from its peers.

    The score is a robust (modified) z-score of log value per carat: the distance from the
    median of the participant's half years, in units of 1.4826 x the median absolute deviation
    (MAD). With ``peers`` (participant code -> deposit type), it is also computed against the
    other participants of the same type in the same period, and the larger is kept.

    Motivating cases: producers have a value-per-carat "footprint" (DRC about $9/ct, Botswana
    about $144/ct, Namibia about $485/ct: medians of the shipped KP production data,
    2004-2023), and laundered goods drift toward the source's footprint; Guinea 2008 was
    certified at about $17/ct against $40-90/ct in the neighbouring years (shipped KP
    production data; USGS Guinea fact sheet); the Dubai KP office returned grossly under-valued
    parcels (IDEX, Apr 2005).

    Parameters
    ----------
    stats : KPStatistics
    threshold : float, default 3.5
        Iglewicz and Hoaglin's conventional cut-off for modified z-scores.
    flows : sequence of str, default ("production", "export")
    min_scale : float, default 0.15
        Floor on the MAD of log value per carat. Some participants report at a fixed price for
        years (Botswana at $145/ct, 2017-2020), which makes the MAD collapse and any price
        change look extreme; 0.15 is about a 15 % typical deviation.
    min_history : int, default 4
        Half years with a value per carat needed before scoring.
    min_share : float, default 1e-4
        Periods with fewer carats than this share of the world total are not scored (a few
        stones give meaningless values per carat).
    peers : mapping, optional
        Participant code -> deposit type; needs three or more peers reporting in a period.
    **context
        Ignored.

    Returns
    -------
    pandas.DataFrame
        Flags sorted by score, highest first, with a ``flow`` column.

    Notes
    -----
    Scaling every carat and every dollar by positive constants leaves the flags unchanged:
    the score uses only differences of log value per carat.

    Examples
    --------
    >>> flags = kp.statistics.value_per_carat(kp.datasets.kp_statistics())
    >>> liberia = flags[flags.participant == "LR"]
    >>> print(liberia[["year", "half", "score"]].round(1).to_string(index=False))
     year  half  score
     2014     1    7.9
     2007     2    3.8
    """
    threshold = _check_positive("threshold", threshold)
    min_scale = _check_positive("min_scale", min_scale)
    min_history = _check_count("min_history", min_history)
    min_share = _check_share("min_share", min_share)
    parts = [
        _value_per_carat_flow(stats, flow, threshold, min_scale, min_history, min_share, peers)
        for flow in _check_flows(flows)
        if flow in flows_present(stats)
    ]
    parts = [part for part in parts if len(part)]
    if not parts:
        return empty_flags(stats)
    return finish(pd.concat(parts, ignore_index=True), stats) if len(parts) > 1 else parts[0]


def _log_value_per_carat(cube_: Cube) -> np.ndarray:
    carats, value = cube_.carats, cube_.value
    valid = (carats > 0) & (value > 0)
    safe_value = np.where(valid, value, 1.0)
    safe_carats = np.where(valid, carats, 1.0)
    logged: np.ndarray = np.where(valid, np.log(safe_value / safe_carats), np.nan)
    return logged


def _value_per_carat_flow(
    stats: KPStatistics,
    flow: str,
    threshold: float,
    min_scale: float,
    min_history: int,
    min_share: float,
    peers: Mapping[str, str] | None,
) -> pd.DataFrame:
    data = cube(stats, flow)
    logged = _log_value_per_carat(data)
    center, count = nanmedian(logged, axis=-1)
    mad, _ = nanmedian(np.abs(logged - center[..., None]), axis=-1)
    scale = MAD_TO_SD * np.maximum(mad, min_scale)
    z_own = (logged - center[..., None]) / scale[..., None]
    z_own = np.where(count[..., None] >= min_history, z_own, np.nan)
    material = data.carats >= world_floor(data.carats, min_share)
    z_own = np.where(material, z_own, np.nan)
    z_peer = np.full_like(z_own, np.nan)
    if peers:
        z_peer = np.where(material, _peer_z(data, logged, peers, min_scale), np.nan)
    own_abs = np.nan_to_num(np.abs(z_own), nan=0.0)
    peer_abs = np.nan_to_num(np.abs(z_peer), nan=0.0)
    score = np.maximum(own_abs, peer_abs)
    index = np.nonzero(score >= threshold)
    reasons = []
    for i in zip(*index, strict=True):
        per_carat = math.exp(logged[i])
        period = _label(data.years[i[2]], data.halves[i[2]])
        if own_abs[i] >= peer_abs[i]:
            typical = math.exp(center[i[:2]])
            reasons.append(
                f"{flow} value of ${per_carat:,.2f}/ct in {period} against a median of "
                f"${typical:,.2f}/ct over its own history (robust z = {z_own[i]:+.1f})"
            )
        else:
            reasons.append(
                f"{flow} value of ${per_carat:,.2f}/ct in {period} is far from its "
                f"{peers[str(data.participants[i[1]])]!s} peers (robust z = {z_peer[i]:+.1f})"  # type: ignore[index]
            )
    return flags_frame(
        data,
        index,
        detector="value_per_carat",
        score=score[index],
        threshold=threshold,
        reasons=reasons,
        extra={"flow": flow},
        stats=stats,
    )


def _peer_z(
    data: Cube, logged: np.ndarray, peers: Mapping[str, str], min_scale: float
) -> np.ndarray:
    groups = np.array([peers.get(str(code), "") for code in data.participants])
    z = np.full_like(logged, np.nan)
    for group in set(groups) - {""}:
        members = groups == group
        values = logged[:, members, :]
        center, count = nanmedian(values, axis=1)
        mad, _ = nanmedian(np.abs(values - center[:, None, :]), axis=1)
        scale = MAD_TO_SD * np.maximum(mad, min_scale)
        group_z = (values - center[:, None, :]) / scale[:, None, :]
        z[:, members, :] = np.where(count[:, None, :] >= 3, group_z, np.nan)
    return z


# -- period jump ----------------------------------------------------------------------------


def period_jump(
    stats: KPStatistics,
    *,
    threshold: float = math.log2(3),
    window: int = 4,
    min_share: float = 3e-4,
    flows: Sequence[str] = FLOWS,
    **context: Any,
) -> pd.DataFrame:
    """Flag half years that change sharply from the median of the previous reported ones.

    The score is ``|log2((x + f) / (m + f))|``: ``x`` the carats of the half year, ``m`` the
    median of the previous ``window`` reported half years (skipping unreported ones, so a
    resumption after a gap is compared with the level before the gap), and ``f`` a
    materiality floor (``min_share`` of the world total of the period) so that a few
    hundred carats more at a tiny producer do not count as a jump. The default threshold
    flags a tripling or a fall to a third.

    Motivating rule and cases: the KP Working Group on Statistics' Data Anomaly
    Questionnaire, triggered by "significant increases/decreases" against earlier periods
    (WGS Administrative Decision, expydoc 4499177); Guinea 2008 (1.72 Mct in 2008 H1 against
    0.18-0.53 Mct in the four half years before; shipped KP production data); the Central African
    Republic's fall in 2013 and resumption in 2016 at 3,703 ct (data README; The Diamond
    Loupe, 7 Jun 2016).

    Parameters
    ----------
    stats : KPStatistics
    threshold : float, default log2(3)
    window : int, default 4
        Previous reported half years in the reference median.
    min_share : float, default 3e-4
    flows : sequence of str, default all three
    **context
        Ignored.

    Returns
    -------
    pandas.DataFrame
        Flags sorted by score, highest first, with a ``flow`` column.

    Examples
    --------
    >>> flags = kp.statistics.period_jump(kp.datasets.kp_statistics())
    >>> cf = flags[(flags.participant == "CF") & (flags.year == 2016)]
    >>> print(cf[["year", "half", "score"]].round(2).to_string(index=False))
     year  half  score
     2016     1   2.97
     2016     2   2.36
    """
    threshold = _check_positive("threshold", threshold)
    window = _check_count("window", window)
    min_share = _check_share("min_share", min_share)
    parts = [
        _jump_flow(stats, flow, threshold, window, min_share)
        for flow in _check_flows(flows)
        if flow in flows_present(stats)
    ]
    parts = [part for part in parts if len(part)]
    if not parts:
        return empty_flags(stats)
    return finish(pd.concat(parts, ignore_index=True), stats) if len(parts) > 1 else parts[0]


def _jump_flow(
    stats: KPStatistics, flow: str, threshold: float, window: int, min_share: float
) -> pd.DataFrame:
    data = cube(stats, flow)
    carats = data.carats
    reported = data.reported
    previous, gap = previous_reported(carats, reported, window)
    reference, _ = nanmedian(previous, axis=-1)
    floor = world_floor(carats, min_share)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.abs(np.log2((carats + floor) / (reference + floor)))
    # Silence (no report, or "none") is non_reporting's finding, not a jump.
    score = np.where(reported & (carats > 0) & (floor > 0), score, np.nan)
    index = np.nonzero(np.nan_to_num(score, nan=0.0) >= threshold)
    reasons = []
    for i in zip(*index, strict=True):
        x, m = carats[i], reference[i]
        direction = "rises" if x > m else "falls"
        period = _label(data.years[i[2]], data.halves[i[2]])
        text = (
            f"{flow} {direction} to {x:,.0f} ct in {period} against a median of {m:,.0f} ct "
            f"over the previous {min(window, int(np.sum(~np.isnan(previous[i]))))} reported "
            "half years"
        )
        if gap[i] > 0:
            text += f", resuming after {gap[i]} unreported half years"
        reasons.append(text)
    return flags_frame(
        data,
        index,
        detector="period_jump",
        score=score[index],
        threshold=threshold,
        reasons=reasons,
        extra={"flow": flow},
        stats=stats,
    )


# -- non-reporting --------------------------------------------------------------------------


def non_reporting(
    stats: KPStatistics,
    *,
    threshold: float = 2,
    capacity: pd.DataFrame | None = None,
    window: int = 4,
    min_share: float = 1e-3,
    coverage: float = 0.5,
    **context: Any,
) -> pd.DataFrame:
    """Flag known producers that go silent: no production report, or "no production".

    A producer is known when the median of its previous ``window`` reported half years is
    material (at least ``min_share`` of world production), or when ``capacity`` gives it a
    low estimate that is. A run of consecutive silent half years (no row, or zero carats)
    starting while it is known is one flag at the run's first half year; the score is the
    run's length in half years. Half years that fewer than ``coverage`` of the participants
    reported (2024 H2 in the shipped data) do not count; a run stops there.

    Motivating case: **Venezuela**, estimated to produce about 150,000 ct a year, exported
    nothing officially from January 2005 and submitted no statistics after Q1 2005 (PAC, "The
    Lost World", 2006); the Central African Republic has no rows from 2013 H2 to 2015 after
    the KP suspension of May 2013 (data README).

    Parameters
    ----------
    stats : KPStatistics
    threshold : float, default 2
        Half years of silence (one year) before flagging.
    capacity : pandas.DataFrame, optional
        Such as `kpmodel.datasets.capacity_estimates`; uses ``low_carats`` (a year).
    window, min_share, coverage
        See above.
    **context
        Ignored.

    Returns
    -------
    pandas.DataFrame
        Flags sorted by score, highest first.

    Examples
    --------
    >>> flags = kp.statistics.non_reporting(kp.datasets.kp_statistics())
    >>> flags[flags.participant == "CF"][["year", "half", "score"]]
       year  half  score
    1  2013     2    5.0
    """
    threshold = _check_positive("threshold", threshold)
    window = _check_count("window", window)
    min_share = _check_share("min_share", min_share)
    coverage = _check_share("coverage", coverage)
    if "production" not in flows_present(stats):
        return empty_flags(stats)
    data = cube(stats, "production")
    carats = data.carats
    reported = data.reported
    positive = reported & (carats > 0)
    previous, _ = previous_reported(carats, reported, window)
    level, _ = nanmedian(previous, axis=-1)
    floor = world_floor(carats, min_share)
    known = np.nan_to_num(level, nan=0.0) >= np.maximum(floor, 1e-300)
    bands = _capacity_bands(capacity, data.participants)
    low_per_half = np.nan_to_num(bands[:, 0], nan=0.0)[None, :, None] / 2
    known_by_estimate = low_per_half >= np.maximum(floor, 1e-300)
    known |= known_by_estimate
    participating = reported.any(axis=-1, keepdims=True)
    share = reported.sum(axis=1, keepdims=True) / np.maximum(
        participating.sum(axis=1, keepdims=True), 1
    )
    covered = share >= coverage
    silent = ~positive & covered
    before = np.concatenate([np.zeros_like(silent[..., :1]), silent[..., :-1]], axis=-1)
    starts = silent & ~before
    run_id = np.cumsum(starts.ravel()).reshape(silent.shape) * silent
    lengths = np.bincount(run_id.ravel())
    length_at = np.where(starts, lengths[run_id], 0)
    flagged = starts & known & (length_at >= threshold)
    index = np.nonzero(flagged)
    reasons = []
    for i in zip(*index, strict=True):
        n = int(length_at[i])
        last = i[2] + n - 1
        zeros = int(np.sum(reported[i[0], i[1], i[2] : last + 1]))
        first_label = _label(data.years[i[2]], data.halves[i[2]])
        span = f"{first_label} to {_label(data.years[last], data.halves[last])}"
        if (
            known_by_estimate[0, i[1], 0]
            and not np.nan_to_num(level[i], nan=0.0) >= floor[i[0], 0, i[2]]
        ):
            basis = f"an estimated {2 * low_per_half[0, i[1], 0]:,.0f} ct a year"
        else:
            basis = f"a median of {level[i]:,.0f} ct per half year before"
        reasons.append(
            f"no production for {n} half years ({span}: {zeros} reported none, "
            f"{n - zeros} not reported) against {basis}"
        )
    return flags_frame(
        data,
        index,
        detector="non_reporting",
        score=length_at[index].astype(float),
        threshold=threshold,
        reasons=reasons,
        stats=stats,
    )


# -- hub mark-up ---------------------------------------------------------------------------


def hub_markup(
    stats: KPStatistics,
    *,
    threshold: float = 1.25,
    hubs: Iterable[str] | None = None,
    min_share: float = 1e-4,
    **context: Any,
) -> pd.DataFrame:
    """Flag years when a participant's export value per carat far exceeds its import value.

    The score is annual export $/ct divided by annual import $/ct, for participants with both
    material imports and exports (or only for ``hubs``). Trading hubs sort and re-assort
    goods, so the ratio can differ from 1 legitimately; the default threshold of 1.25 sits
    between the two 2014 KP figures the NGOs contrast.

    Motivating case: **Dubai/UAE 2014**: imports 68.1 Mct at $86.69/ct, exports 66.8 Mct at
    $124.37/ct, a ratio of 1.435 ("on average 44 percent higher", IMPACT 2016), against
    1.017 for Antwerp/EU in the same year (Gems & Jewellery, "Antwerp remains important rough
    trading hub", KP 2014 statistics: https://gems2jewellery.com/antwerp-remains-important-
    rough-trading-hub/).

    Parameters
    ----------
    stats : KPStatistics
    threshold : float, default 1.25
    hubs : iterable of str, optional
        Participant codes to check; all participants with both flows when omitted.
    min_share : float, default 1e-4
    **context
        Ignored.

    Returns
    -------
    pandas.DataFrame
        Annual flags (``half`` empty) sorted by score, highest first.

    Examples
    --------
    >>> import pandas as pd
    >>> kp2014 = pd.DataFrame({  # KP 2014 annual figures (Gems & Jewellery), entered as H1
    ...     "participant": ["AE", "AE", "EU", "EU"], "year": 2014, "half": 1,
    ...     "flow": ["import", "export"] * 2,
    ...     "carats": [68132733.58, 66784409.50, 118717488.90, 116017435.37],
    ...     "value_usd": [5906158518.64, 8305737419.73, 15.80e9, 15.71e9]})
    >>> stats = kp.statistics.KPStatistics.from_frame(kp2014)
    >>> kp.statistics.hub_markup(stats)[["participant", "year", "score"]].round(3)
      participant  year  score
    0          AE  2014  1.435
    """
    threshold = _check_positive("threshold", threshold)
    min_share = _check_share("min_share", min_share)
    present = flows_present(stats)
    if not {"import", "export"} <= present:
        return empty_flags(stats)
    imports, exports = cube(stats, "import"), cube(stats, "export")
    ic, _ = annual(imports.carats)
    iv, _ = annual(imports.value)
    ec, _ = annual(exports.carats)
    ev, _ = annual(exports.value)
    floor, _ = annual(
        np.broadcast_to(world_floor(imports.carats, min_share), imports.shape).copy()
    )
    material = (ic >= floor) & (ec >= floor) & (ic > 0) & (ec > 0) & (iv > 0) & (ev > 0)
    if hubs is not None:
        chosen = set(hubs)
        material &= np.isin(imports.participants, list(chosen))[None, :, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        score = (ev / ec) / (iv / ic)
    score = np.where(material, score, np.nan)
    index = np.nonzero(np.nan_to_num(score, nan=0.0) >= threshold)
    years = imports.years[::2]
    reasons = [
        f"exports at ${ev[i] / ec[i]:,.2f}/ct against imports at ${iv[i] / ic[i]:,.2f}/ct in "
        f"{years[i[2]]}: a mark-up of {100 * (score[i] - 1):.0f} %"
        for i in zip(*index, strict=True)
    ]
    return flags_frame(
        imports,
        index,
        detector="hub_markup",
        score=score[index],
        threshold=threshold,
        reasons=reasons,
        annual_periods=True,
        stats=stats,
    )


# -- mirror gap -----------------------------------------------------------------------------


def mirror_gap(
    stats: KPStatistics,
    *,
    threshold: float = math.log2(1.5),
    min_share: float = 1e-4,
    **context: Any,
) -> pd.DataFrame:
    """Flag pairs where one side's declared exports and the other's declared imports differ.

    For every exporter, importer and year in the statistics' per-partner flows
    (`KPStatistics.bilateral`, from `KPStatistics.from_ledger` or a ``partner`` column), the
    score is ``|log2((exports + f) / (imports + f))|`` in US dollars, with ``f`` a
    materiality floor (``min_share`` of the year's world exports). The default threshold
    flags a difference of half again. Without per-partner flows (the shipped KP production
    data) it returns no flags; see `kpmodel.statistics.mirror` for the world-level check of
    customs data.

    Motivating cases: the Republic of Congo's 2004 exports with "no related imports"
    (Rapaport, 11 Jul 2004); Liberia's 1990s exports checked against Belgian customs import
    figures (Charles Taylor trial testimony); Global Witness 2007 found about $10.2M of rough
    trade between KP participants and non-participants in Comtrade (Global Witness, "Loopholes
    in the Kimberley Process", Oct 2007: https://paperzz.com/doc/8001963/loopholes-in-the-
    kimberley-process).

    Parameters
    ----------
    stats : KPStatistics
    threshold : float, default log2(1.5)
    min_share : float, default 1e-4
    **context
        Ignored.

    Returns
    -------
    pandas.DataFrame
        Annual flags (``half`` empty), ``participant`` the exporter, with a ``partner``
        column, sorted by score, highest first.

    Examples
    --------
    >>> import pandas as pd
    >>> declared = pd.DataFrame({
    ...     "number": ["CG-1"], "issuing_country": ["CG"], "destination_country": ["AE"],
    ...     "issued": ["2004-03-01"], "hs_code": "7102.10", "carats": [2600000.0],
    ...     "value_usd": [1.0e8], "origin": "CG", "declared_origins": ""})
    >>> confirmed = declared.assign(carats=26000.0, value_usd=1.0e6)
    >>> stats = kp.statistics.KPStatistics.from_ledger(declared, imports=confirmed)
    >>> kp.statistics.mirror_gap(stats)[["participant", "partner", "year"]]
      participant partner  year
    0          CG      AE  2004
    """
    _check_positive("threshold", threshold)
    if stats.bilateral is None or stats.bilateral.empty:
        return empty_flags(stats)
    pairs = bilateral_pairs(stats.bilateral.rename(columns={"participant": "reporter"}))
    exports = pairs["exports_usd"].fillna(0.0).to_numpy()
    imports = pairs["imports_usd"].fillna(0.0).to_numpy()
    totals = pairs.groupby(["replication", "year"])["exports_usd"].transform("sum").to_numpy()
    floor = min_share * np.nan_to_num(totals)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.abs(np.log2((exports + floor) / (imports + floor)))
    keep = np.nan_to_num(score, nan=0.0) >= threshold
    chosen = pairs[keep]
    reasons = [
        f"{a} declared exports of ${e:,.0f} to {b} in {y}; {b} declared imports of ${m:,.0f} "
        f"from {a}"
        for a, b, y, e, m in zip(
            chosen["exporter"],
            chosen["importer"],
            chosen["year"],
            exports[keep],
            imports[keep],
            strict=True,
        )
    ]
    frame = pd.DataFrame(
        {
            "replication": chosen["replication"].to_numpy(dtype="int64"),
            "participant": chosen["exporter"].to_numpy(dtype=str),
            "year": chosen["year"].to_numpy(dtype="int64"),
            "half": pd.array([pd.NA] * len(chosen), dtype="Int64"),
            "detector": "mirror_gap",
            "score": score[keep],
            "threshold": float(threshold),
            "reason": reasons,
            "partner": chosen["importer"].to_numpy(dtype=str),
        }
    )
    return finish(frame, stats)


# -- running several ------------------------------------------------------------------------

#: The built-in detectors, in the order `detect` runs them.
BUILTINS: tuple[Callable[..., pd.DataFrame], ...] = (
    capacity,
    value_per_carat,
    period_jump,
    mirror_gap,
    hub_markup,
    non_reporting,
)


def detect(
    stats: KPStatistics,
    *,
    detectors: Iterable[Callable[..., pd.DataFrame]] = BUILTINS,
    **context: Any,
) -> pd.DataFrame:
    """Run several detectors and return one table of flags, the most severe first.

    Every detector gets ``stats`` and all of ``context`` (each ignores what it does not
    use), so ``detect(stats, capacity=kp.datasets.capacity_estimates())`` gives the
    capacity table to the two detectors that use it. Scores of different detectors are in
    different units, so the table adds ``severity = score / threshold`` and sorts by it
    (highest first), then by score.

    Parameters
    ----------
    stats : KPStatistics
    detectors : iterable of callables, default all six built-ins
        Any callable ``detector(stats, **context) -> DataFrame`` with the flag columns;
        use `functools.partial` to change a built-in's threshold.
    **context
        Passed to every detector.

    Returns
    -------
    pandas.DataFrame
        The union of the detectors' flags (columns of all of them), with ``severity``.

    Examples
    --------
    >>> flags = kp.statistics.detect(
    ...     kp.datasets.kp_statistics(), capacity=kp.datasets.capacity_estimates())
    >>> print(flags[["participant", "year", "half", "detector"]].head(6).to_string(index=False))
    participant  year  half        detector
             VE  2011     1   non_reporting
             IN  2003     1 value_per_carat
             CG  2010  <NA>        capacity
             AU  2021     1   non_reporting
             GN  2008  <NA>        capacity
             CF  2013     2   non_reporting
    """
    given: object = stats
    if not isinstance(given, KPStatistics):
        msg = (
            f"'stats' must be a KPStatistics; got {type(given).__name__}. "
            "Build one with KPStatistics.from_frame."
        )
        raise InvalidArgumentError(msg)
    parts = []
    candidates: Iterable[object] = detectors
    for detector in candidates:
        if not callable(detector):
            msg = (
                "every detector must be callable as detector(stats, **context); "
                f"got {show(detector)}."
            )
            raise InvalidArgumentError(msg)
        part: pd.DataFrame = detector(stats, **context)
        if len(part):
            parts.append(part)
    if not parts:
        frame = empty_flags(stats)
        frame["severity"] = pd.Series(dtype=float)
        return frame
    frame = pd.concat(parts, ignore_index=True)
    frame["severity"] = frame["score"] / frame["threshold"]
    keys = ["severity", "score", "participant", "year"]
    order = [False, False, True, True]
    return frame.sort_values(keys, ascending=order, kind="stable").reset_index(drop=True)
