"""The real data shipped with kpmodel, with loaders.

KP half-yearly production statistics (2003-2024) and ITC Trade Map HS 7102 declared trade
values (2005-2024), as typed pandas DataFrames with participant and reporter names mapped to
codes; plus the capacity estimates and known episodes the domain brief sources. Everything
loads from inside the package, without network access. Read the caveats in each docstring
and on the documentation page "The shipped statistics" before drawing conclusions.
"""

from kpmodel.datasets._loaders import (
    capacity_estimates,
    known_episodes,
    kp_production,
    kp_statistics,
    trade_hs7102,
)

__all__ = [
    "capacity_estimates",
    "known_episodes",
    "kp_production",
    "kp_statistics",
    "trade_hs7102",
]
