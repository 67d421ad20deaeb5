"""Mirror statistics: what each side of a trade declared, side by side."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpmodel.errors import InvalidArgumentError
from kpmodel.statistics._table import KPStatistics

TRADE_REQUIRED = ("reporter", "flow", "year", "value_usd")


def mirror(trade: KPStatistics | pd.DataFrame) -> pd.DataFrame:
    """Compare what exporters declared with what importers declared, where the data allows.

    - With partners (a `KPStatistics` built from a ledger or with a ``partner`` column, or a
      trade DataFrame with a ``partner`` column): one row per exporter, importer and year,
      with the exporter's declared exports to the importer and the importer's declared
      imports from the exporter.
    - Without partners (such as `kpmodel.datasets.trade_hs7102`, which has each reporter's
      totals only): one row per year (and ``hs6`` when present) comparing the sum of all
      countries' declared exports with the sum of their declared imports; ITC's aggregate
      reporters (no ``reporter`` code) are left out. Exporter and importer are ``"World"``.

    Parameters
    ----------
    trade : KPStatistics or pandas.DataFrame
        A DataFrame needs ``reporter``, ``flow`` (``import``/``export``), ``year`` and
        ``value_usd``; optional ``partner``, ``hs6``, ``carats``, ``replication``.

    Returns
    -------
    pandas.DataFrame
        ``exporter, importer, year`` (and ``hs6``, ``replication`` when present),
        ``exports_usd`` (declared by the exporter), ``imports_usd`` (declared by the
        importer), ``gap_usd = imports_usd - exports_usd`` and ``ratio = imports_usd /
        exports_usd``; with carats, ``exports_carats`` and ``imports_carats`` too. A side that
        declared nothing is NaN.

    Notes
    -----
    Imports are usually valued CIF and exports FOB, so imports a few percent above exports
    are normal. Mirror data records provenance (the last exporter), not origin: the UK, a
    non-producer, exported more than 40 Mct to Belgium in 1999 (Liberia's mines minister, as
    reported by New African: https://books-journals.vlex.co.uk/vid/does-britain-produce-
    diamonds-56428699).

    Examples
    --------
    >>> world = kp.statistics.mirror(kp.datasets.trade_hs7102().query("kp_rough"))
    >>> row = world[(world.year == 2010) & (world.hs6 == "710210")]
    >>> list(row.columns)
    ['exporter', 'importer', 'year', 'hs6', 'exports_usd', 'imports_usd', 'gap_usd', 'ratio']

    .. versionadded:: 0.1
    """
    if isinstance(trade, KPStatistics):
        if trade.bilateral is None:
            return _empty()
        frame = trade.bilateral.rename(columns={"participant": "reporter"})
        result = bilateral_pairs(frame)
        if not trade.has_replications:
            result = result.drop(columns="replication")
        return result
    given: object = trade
    if not isinstance(given, pd.DataFrame):
        msg = f"'trade' must be a KPStatistics or a pandas DataFrame; got {type(trade).__name__}."
        raise InvalidArgumentError(msg)
    trade = given
    missing = [name for name in TRADE_REQUIRED if name not in trade.columns]
    if missing:
        msg = (
            f"'trade' must have the columns {list(TRADE_REQUIRED)!r}; missing {missing!r}. "
            "kp.datasets.trade_hs7102() has them."
        )
        raise InvalidArgumentError(msg)
    frame = trade.copy()
    frame["flow"] = frame["flow"].astype(str)
    if "partner" in frame.columns:
        return bilateral_pairs(frame)
    return _world(frame)


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        columns=["exporter", "importer", "year", "exports_usd", "imports_usd", "gap_usd", "ratio"]
    )


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    frame["gap_usd"] = frame["imports_usd"] - frame["exports_usd"]
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["ratio"] = frame["imports_usd"] / frame["exports_usd"].where(
            frame["exports_usd"] > 0
        )
    return frame.reset_index(drop=True)


def bilateral_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """Pair each exporter's declared exports with the importer's declared imports."""
    extra = [name for name in ("replication", "hs6") if name in frame.columns]
    measures = ["value_usd"] + (["carats"] if "carats" in frame.columns else [])
    exports = frame[frame["flow"] == "export"].rename(
        columns={"reporter": "exporter", "partner": "importer"}
    )
    imports = frame[frame["flow"] == "import"].rename(
        columns={"reporter": "importer", "partner": "exporter"}
    )
    keys = [*([k for k in extra if k == "replication"]), "exporter", "importer", "year"]
    keys += [k for k in extra if k == "hs6"]
    left = exports.groupby(keys)[measures].sum()
    right = imports.groupby(keys)[measures].sum()
    left.columns = [f"exports_{m}".replace("_value_usd", "_usd") for m in measures]
    right.columns = [f"imports_{m}".replace("_value_usd", "_usd") for m in measures]
    joined = left.join(right, how="outer").reset_index()
    ordered = [*keys, "exports_usd", "imports_usd"]
    if "carats" in measures:
        ordered += ["exports_carats", "imports_carats"]
    return _finish(joined[ordered])


def _world(frame: pd.DataFrame) -> pd.DataFrame:
    countries = frame[frame["reporter"].notna()]
    keys = ["year"] + (["hs6"] if "hs6" in frame.columns else [])
    table = countries.pivot_table(
        index=keys, columns="flow", values="value_usd", aggfunc="sum", observed=True
    )
    result = pd.DataFrame(index=table.index)
    result["exports_usd"] = table["export"] if "export" in table.columns else np.nan
    result["imports_usd"] = table["import"] if "import" in table.columns else np.nan
    result = result.astype("float64").reset_index()
    result.insert(0, "importer", "World")
    result.insert(0, "exporter", "World")
    return _finish(result)
