"""Put known episodes beside flags, so findings can be read against what is known."""

from __future__ import annotations

import pandas as pd

from kpmodel.errors import InvalidArgumentError

NO_EPISODE = "no known episode"
EPISODE_COLUMNS = ("participant", "first_year", "last_year", "episode")


def match_episodes(flags: pd.DataFrame, episodes: pd.DataFrame) -> pd.DataFrame:
    """Return `flags` with an ``episode`` column naming the known episode of each flag.

    A flag matches an episode of its participant (or of every participant, ``"*"``) whose
    years include the flag's year; episodes of the participant itself win over world-wide
    ones, and several matches are joined with "; ". Flags with no match read
    ``"no known episode"``.

    Parameters
    ----------
    flags : pandas.DataFrame
        Output of a detector or of `detect`.
    episodes : pandas.DataFrame
        Columns ``participant, first_year, last_year, episode``, such as
        `kpmodel.datasets.known_episodes`.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> stats = kp.datasets.kp_statistics()
    >>> flags = kp.statistics.detect(stats, capacity=kp.datasets.capacity_estimates())
    >>> named = kp.statistics.match_episodes(flags, kp.datasets.known_episodes())
    >>> guinea = named[(named.participant == "GN") & (named.year == 2008)]
    >>> print(guinea["episode"].iloc[0][:40])
    Guinea 2008: 3.10 Mct at about $17/ct ag

    .. versionadded:: 0.1
    """
    missing = [name for name in EPISODE_COLUMNS if name not in episodes.columns]
    if missing:
        msg = f"'episodes' must have the columns {list(EPISODE_COLUMNS)!r}; missing {missing!r}."
        raise InvalidArgumentError(msg)
    labels = []
    for participant, year in zip(flags["participant"], flags["year"], strict=True):
        in_years = (episodes["first_year"] <= year) & (episodes["last_year"] >= year)
        own = episodes.loc[in_years & (episodes["participant"] == participant), "episode"]
        world = episodes.loc[in_years & (episodes["participant"] == "*"), "episode"]
        chosen = list(own) or list(world)
        labels.append("; ".join(chosen) if chosen else NO_EPISODE)
    result = flags.copy()
    result["episode"] = labels
    return result
