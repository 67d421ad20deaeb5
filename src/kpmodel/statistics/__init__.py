"""KP-style statistics tables, mirror statistics and anomaly detectors.

One type, `KPStatistics`, holds production, imports and exports per participant and half
year, whether it comes from the shipped real data (`kpmodel.datasets.kp_statistics`), a
user's file, a ledger of certificates or a simulation. Detectors are plain callables
``detector(stats, **context) -> DataFrame`` returning tidy flags
(``participant, year, half, detector, score, threshold, reason``) sorted by score;
`detect` runs several, `evaluate` grades them against known truth.
"""

from kpmodel.statistics._detectors import (
    BUILTINS,
    Detector,
    capacity,
    detect,
    hub_markup,
    mirror_gap,
    non_reporting,
    period_jump,
    value_per_carat,
)
from kpmodel.statistics._episodes import match_episodes
from kpmodel.statistics._evaluate import Evaluation, evaluate
from kpmodel.statistics._mirror import mirror
from kpmodel.statistics._plot import plot_mirror_gap, plot_production, plot_value_per_carat
from kpmodel.statistics._table import KPStatistics

for _cls in (KPStatistics, Evaluation):
    _cls.__module__ = __name__
del _cls

__all__ = [
    "BUILTINS",
    "Detector",
    "Evaluation",
    "KPStatistics",
    "capacity",
    "detect",
    "evaluate",
    "hub_markup",
    "match_episodes",
    "mirror",
    "mirror_gap",
    "non_reporting",
    "period_jump",
    "plot_mirror_gap",
    "plot_production",
    "plot_value_per_carat",
    "value_per_carat",
]
