"""The findings of several reports in one table."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from kpmodel.rules._model import Report

FINDINGS_COLUMNS = ("input", "severity", "path", "message", "rule", "reference")


def findings_frame(reports: Mapping[str, Report]) -> pd.DataFrame:
    """Return every finding of several reports in one table, with the input it came from.

    What ``kpmodel check`` prints: one row per finding, in the order of `reports` and of
    each report's findings.

    Parameters
    ----------
    reports : mapping of str to Report
        The report of each checked input (a file name, say), as `check` returned it.

    Returns
    -------
    pandas.DataFrame
        ``input`` (the key), ``severity``, ``path``, ``message``, ``rule``, ``reference``.

    Examples
    --------
    >>> good = kp.certificates.example_certificate()
    >>> import attrs
    >>> bad = attrs.evolve(good, language="fr")
    >>> frame = kp.rules.findings_frame({"good": kp.check(good), "bad": kp.check(bad)})
    >>> frame[["input", "rule"]].to_dict("records")
    [{'input': 'bad', 'rule': 'annex-i-language'}]
    """
    frames = [report.to_frame().assign(input=name) for name, report in reports.items()]
    if not frames:
        return pd.DataFrame(columns=list(FINDINGS_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(FINDINGS_COLUMNS)]
