"""Hypothesis strategies for KP statistics tables."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from kpmodel._boundary import show
from kpmodel.statistics import KPStatistics
from kpmodel.testing._arguments import refuse, sequence, size_bounds, whole

#: Participant codes the strategies draw from (ISO 3166-1 alpha-2, plus the EU).
CODES = ("AE", "AO", "BW", "CA", "CD", "CF", "CG", "EU", "GN", "IN", "LS", "NA", "RU", "ZA")
_FLOWS = ("production", "import", "export")
#: The most half years and replications the strategies accept, so that a frame stays small.
MAX_PERIODS = 200
MAX_REPLICATIONS = 100


@st.composite
def _frames(
    draw: st.DrawFn,
    min_participants: int,
    max_participants: int,
    min_periods: int,
    max_periods: int,
    flows: tuple[str, ...],
    replications: int,
) -> pd.DataFrame:
    participants = draw(
        st.lists(
            st.sampled_from(CODES),
            min_size=min_participants,
            max_size=max_participants,
            unique=True,
        )
    )
    periods = draw(st.integers(min_periods, max_periods))
    first_year = draw(st.integers(2003, 2020))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    count = len(participants)
    base = draw(st.lists(st.floats(1e5, 1e6), min_size=count, max_size=count).map(np.array))
    price = draw(st.lists(st.floats(10.0, 1000.0), min_size=count, max_size=count).map(np.array))
    level = {"production": base, "import": base, "export": 0.4 * 2 * base}
    rows = []
    shape = (replications, count, periods)
    for flow in flows:
        carats = level[flow][None, :, None] * rng.uniform(0.95, 1.05, size=shape)
        value = carats * price[None, :, None] * rng.uniform(0.95, 1.05, size=shape)
        r, p, t = np.indices(shape).reshape(3, -1)
        rows.append(
            pd.DataFrame(
                {
                    "replication": r,
                    "participant": np.array(participants, dtype=object)[p],
                    "year": first_year + t // 2,
                    "half": t % 2 + 1,
                    "flow": flow,
                    "carats": carats.ravel(),
                    "value_usd": value.ravel(),
                }
            )
        )
    frame = pd.concat(rows, ignore_index=True)
    if replications == 1:
        frame = frame.drop(columns="replication")
    return frame


def statistics_frames(
    *,
    min_participants: int = 1,
    max_participants: int = 5,
    min_periods: int = 1,
    max_periods: int = 12,
    flows: Sequence[str] = ("production",),
    replications: int = 1,
) -> st.SearchStrategy[pd.DataFrame]:
    """Return a strategy for clean, tidy statistics frames in the `KPStatistics` format.

    Each participant has a level of carats (1e5 to 1e6 per half year) and a value per carat
    ($10 to $1,000); every cell varies by at most 5 % around them, and exports are about
    0.8 times a participant's production (less than production plus imports). The frames are
    clean by construction: no built-in detector flags them at its default thresholds, so a
    test can inject one anomaly and check that the matching detector finds it. With
    ``replications > 1`` a ``replication`` column numbers identical-shaped runs. Shrinks
    towards one participant and few half years.

    Parameters
    ----------
    min_participants, max_participants : int
        Between 1 and 14.
    min_periods, max_periods : int
        Half years, starting with H1 of a year between 2003 and 2020; at most 200.
    flows : sequence of str, default ("production",)
        Some of ``"production"``, ``"import"`` and ``"export"``.
    replications : int, default 1
        From 1 to 100.

    Raises
    ------
    InvalidStrategyArgumentError
        When the strategy is made, for bounds that are not ints in their ranges or out of
        order, `flows` that is a text, empty or names another flow, and `replications`
        that is not an int from 1 to 100. It is a ValueError, as these refusals were.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(kp.testing.strategies.statistics_frames(flows=("production", "export")))
    ... def test_no_flags(frame):
    ...     stats = kp.statistics.KPStatistics.from_frame(frame)
    ...     assert kp.statistics.detect(stats).empty
    >>> test_no_flags()
    """
    return _frames(
        *_checked(
            "statistics_frames",
            (min_participants, max_participants),
            (min_periods, max_periods),
            flows,
            replications,
        )
    )


def statistics_tables(
    *,
    min_participants: int = 1,
    max_participants: int = 5,
    min_periods: int = 1,
    max_periods: int = 12,
    flows: Sequence[str] = ("production",),
    replications: int = 1,
) -> st.SearchStrategy[KPStatistics]:
    """Return a strategy for clean `KPStatistics` objects (see `statistics_frames`).

    Its arguments are those of `statistics_frames`, checked in the same way.

    Examples
    --------
    >>> from hypothesis import given
    >>> import math
    >>> @given(kp.testing.strategies.statistics_tables(max_periods=4))
    ... def test_world_total(stats):
    ...     world = stats.world()
    ...     assert math.isclose(world["carats"].sum(), stats.table["carats"].sum())
    >>> test_world_total()
    """
    return _frames(
        *_checked(
            "statistics_tables",
            (min_participants, max_participants),
            (min_periods, max_periods),
            flows,
            replications,
        )
    ).map(KPStatistics.from_frame)


def _checked(
    strategy: str,
    participants: tuple[object, object],
    periods: tuple[object, object],
    flows: object,
    replications: object,
) -> tuple[int, int, int, int, tuple[str, ...], int]:
    """Return the arguments of `_frames`, checked; refuse those it cannot use."""
    least, most = size_bounds(
        strategy,
        ("min_participants", "max_participants"),
        participants,
        low=1,
        high=len(CODES),
        why=f" (participants are drawn from {len(CODES)} codes)",
    )
    why = " (frames of 14 participants, 200 half years, 3 flows and 100 replications hold"
    why += " 840,000 rows)"
    first, last = size_bounds(
        strategy, ("min_periods", "max_periods"), periods, low=1, high=MAX_PERIODS, why=why
    )
    kinds = tuple(sequence(strategy, "flows", flows, "flow names"))
    if not kinds or any(not isinstance(kind, str) or kind not in _FLOWS for kind in kinds):
        refuse(strategy, "flows", f"must be a non-empty subset of {_FLOWS!r}, got {show(kinds)}")
    runs = whole(strategy, "replications", replications, low=1, high=MAX_REPLICATIONS, why=why)
    return least, most, first, last, kinds, runs
