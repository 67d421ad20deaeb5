"""The real data shipped with kpmodel, with loaders, and the example certificate files.

KP half-yearly production statistics (2003-2024) and ITC Trade Map HS 7102 declared trade
values (2005-2024), as typed pandas DataFrames with participant and reporter names mapped to
codes; plus production-capacity estimates and known episodes, each with its public source,
the detectors run with them (`detect_flags`), and the fictional example certificate files that
``kpmodel demo`` checks (`example_folder`). Everything loads from inside the package,
without network access. Read the caveats in each docstring and on the documentation page
"The shipped statistics" before drawing conclusions.
"""

from kpmodel.datasets._detection import KP_STATISTICS_SOURCE, detect_flags, statistics_sources
from kpmodel.datasets._examples import example_file, example_files, example_folder
from kpmodel.datasets._loaders import (
    capacity_estimates,
    known_episodes,
    kp_production,
    kp_statistics,
    trade_hs7102,
)

#: The loaders of the shipped tables (what ``kpmodel data`` lists).
TABLES = (
    "capacity_estimates",
    "known_episodes",
    "kp_production",
    "kp_statistics",
    "trade_hs7102",
)

__all__ = [
    "KP_STATISTICS_SOURCE",
    "TABLES",
    "capacity_estimates",
    "detect_flags",
    "example_file",
    "example_files",
    "example_folder",
    "known_episodes",
    "kp_production",
    "kp_statistics",
    "statistics_sources",
    "trade_hs7102",
]
