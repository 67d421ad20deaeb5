"""Grade detectors against known truth: precision, recall and the ROC curve."""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np
import pandas as pd

from kpmodel._boundary import guarded
from kpmodel.errors import InvalidArgumentError


@guarded
@attrs.frozen(kw_only=True, eq=False)
class Evaluation:
    """How well flags match the truth.

    Attributes
    ----------
    precision : float
        Flagged units that are true anomalies, over flagged units (NaN when none flagged).
    recall : float
        True anomalies that were flagged, over true anomalies (NaN when there are none).
    true_positives, false_positives, false_negatives : int
    roc : pandas.DataFrame
        ``threshold, true_positive_rate, false_positive_rate``, from the strictest threshold
        to the loosest, starting at (0, 0).
    auc : float
        Area under the ROC curve (trapezoids); NaN without negatives or positives.

    Examples
    --------
    >>> import pandas as pd
    >>> flags = pd.DataFrame({"participant": ["GN", "BW"], "year": [2008, 2015],
    ...                       "score": [4.3, 1.6], "threshold": [1.5, 1.5]})
    >>> truth = pd.DataFrame({"participant": ["GN"], "year": [2008]})
    >>> result = kp.statistics.evaluate(flags, truth)
    >>> result.precision, result.recall
    (0.5, 1.0)

    .. versionadded:: 0.1
    """

    precision: float
    recall: float
    true_positives: int
    false_positives: int
    false_negatives: int
    roc: pd.DataFrame = attrs.field(repr=False)
    auc: float


def evaluate(
    flags: pd.DataFrame,
    truth: pd.DataFrame,
    *,
    on: Sequence[str] = ("participant", "year"),
    universe: pd.DataFrame | None = None,
) -> Evaluation:
    """Compare flags with the known anomalies: precision, recall and the ROC curve.

    Units are the distinct values of the ``on`` columns (plus ``replication`` when both
    tables have it). A unit is flagged when any flag names it; its score is its highest
    ``severity`` (``score / threshold`` when there is no severity column).

    Parameters
    ----------
    flags : pandas.DataFrame
        Output of a detector or of `detect`.
    truth : pandas.DataFrame
        The true anomalies, one row per unit (the simulation supplies them).
    on : sequence of str, default ("participant", "year")
        The columns that identify a unit.
    universe : pandas.DataFrame, optional
        Every unit that could have been flagged (for example the participant-years of the
        statistics), so that unflagged negatives count in the false positive rate. Without
        it, negatives are only the flagged units that are not true. For a full ROC curve,
        run the detectors with a threshold near 0 so that every unit gets a score.

    Returns
    -------
    Evaluation

    Examples
    --------
    >>> import pandas as pd
    >>> flags = pd.DataFrame({"participant": ["GN", "BW"], "year": [2008, 2015],
    ...                       "score": [4.3, 1.6], "threshold": [1.5, 1.5]})
    >>> truth = pd.DataFrame({"participant": ["GN", "CF"], "year": [2008, 2013]})
    >>> universe = pd.DataFrame({"participant": ["GN", "BW", "CF", "RU"],
    ...                          "year": [2008, 2015, 2013, 2015]})
    >>> result = kp.statistics.evaluate(flags, truth, universe=universe)
    >>> result.recall, result.auc
    (0.5, 0.625)

    .. versionadded:: 0.1
    """
    keys = list(on)
    if "replication" in flags.columns and "replication" in truth.columns:
        keys = ["replication", *keys]
    for name, frame in (("flags", flags), ("truth", truth)):
        missing = [key for key in keys if key not in frame.columns]
        if missing:
            msg = f"{name!r} must have the columns {keys!r}; missing {missing!r}."
            raise InvalidArgumentError(msg)
    scored = flags.copy()
    if "severity" not in scored.columns:
        scored["severity"] = scored["score"] / scored["threshold"]
    unit_scores = scored.groupby(keys)["severity"].max()
    positives = pd.MultiIndex.from_frame(truth[keys].drop_duplicates())
    units = pd.MultiIndex.from_frame(
        pd.concat([unit_scores.index.to_frame(index=False), truth[keys]]).drop_duplicates()
    )
    if universe is not None:
        units = units.union(pd.MultiIndex.from_frame(universe[keys].drop_duplicates()))
    flagged_index = pd.MultiIndex.from_frame(unit_scores.index.to_frame(index=False))
    score = pd.Series(0.0, index=units)
    score.loc[flagged_index] = unit_scores.to_numpy()
    is_true = units.isin(positives)
    is_flagged = units.isin(flagged_index)
    tp = int(np.sum(is_true & is_flagged))
    fp = int(np.sum(~is_true & is_flagged))
    fn = int(np.sum(is_true & ~is_flagged))
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    roc, auc = _roc(score.to_numpy(), is_true)
    return Evaluation(
        precision=precision,
        recall=recall,
        true_positives=tp,
        false_positives=fp,
        false_negatives=fn,
        roc=roc,
        auc=auc,
    )


def _roc(score: np.ndarray, is_true: np.ndarray) -> tuple[pd.DataFrame, float]:
    positives = int(is_true.sum())
    negatives = int((~is_true).sum())
    thresholds = np.unique(score)[::-1]
    tpr = [0.0]
    fpr = [0.0]
    for cut in thresholds:
        chosen = score >= cut
        tpr.append(float((chosen & is_true).sum() / positives) if positives else float("nan"))
        fpr.append(float((chosen & ~is_true).sum() / negatives) if negatives else float("nan"))
    roc = pd.DataFrame(
        {
            "threshold": [np.inf, *thresholds.tolist()],
            "true_positive_rate": tpr,
            "false_positive_rate": fpr,
        }
    )
    auc = float(np.trapezoid(tpr, fpr)) if positives and negatives else float("nan")
    return roc, auc
