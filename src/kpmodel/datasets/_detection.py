"""The detectors run with the shipped capacity estimates and known episodes."""

from __future__ import annotations

import pandas as pd

from kpmodel.datasets._loaders import capacity_estimates, known_episodes
from kpmodel.statistics import KPStatistics, detect, match_episodes

#: Where the shipped KP statistics (`kp_production`, `kp_statistics`) come from.
KP_STATISTICS_SOURCE = (
    "KP public statistics (production), half-yearly 2003-2024, as exported in the "
    "ashmita2004chat/diamond-dashboard repository; not an official publication"
)


def detect_flags(stats: KPStatistics) -> pd.DataFrame:
    """Run every built-in detector with the shipped capacity estimates; name known episodes.

    What ``kpmodel statistics --detect`` prints: `kpmodel.statistics.detect` with
    ``capacity=capacity_estimates()``, then `kpmodel.statistics.match_episodes` with
    `known_episodes`. A flag is a lead to check, not a finding of smuggling.

    Parameters
    ----------
    stats : kpmodel.statistics.KPStatistics
        The shipped statistics (`kp_statistics`), a user's, or a simulation's.

    Returns
    -------
    pandas.DataFrame
        The flags, most severe first, with an ``episode`` column.

    Examples
    --------
    >>> flags = kp.datasets.detect_flags(kp.datasets.kp_statistics())
    >>> {"detector", "severity", "reason", "episode"} <= set(flags.columns)
    True
    >>> bool((flags["episode"] != "no known episode").any())
    True
    """
    flags = detect(stats, capacity=capacity_estimates())
    return match_episodes(flags, known_episodes())


def statistics_sources(flags: pd.DataFrame | None = None) -> list[str]:
    """Return the sources to cite for the shipped statistics and, given flags, their context.

    Parameters
    ----------
    flags : pandas.DataFrame, optional
        What `detect_flags` returned: the capacity estimates' sources and those of the
        known episodes the flags match are added.

    Returns
    -------
    list of str
        `KP_STATISTICS_SOURCE` first.

    Examples
    --------
    >>> kp.datasets.statistics_sources() == [kp.datasets.KP_STATISTICS_SOURCE]
    True
    >>> flags = kp.datasets.detect_flags(kp.datasets.kp_statistics())
    >>> len(kp.datasets.statistics_sources(flags)) > 1
    True
    """
    cited = [KP_STATISTICS_SOURCE]
    if flags is not None:
        cited += list(capacity_estimates()["source"])
        episodes = known_episodes()
        cited += list(episodes.loc[episodes["episode"].isin(flags["episode"]), "source"])
    return cited
