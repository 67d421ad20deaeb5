"""Loaders for the real data shipped inside kpmodel."""

from __future__ import annotations

import functools
from importlib import resources

import pandas as pd

from kpmodel.datasets._countries import country_code
from kpmodel.statistics import KPStatistics

#: The KP's rough-diamond subheadings; 710229 and 710239 (worked) are outside the KP.
KP_HS6 = ("710210", "710221", "710231")


def _read(name: str, **options: object) -> pd.DataFrame:
    with resources.files("kpmodel.datasets").joinpath("data", name).open("rb") as handle:
        return pd.read_csv(handle, encoding="utf-8", **options)  # type: ignore[call-overload,no-any-return]


def _codes(names: pd.Series) -> pd.Series:
    mapping = {name: country_code(name) for name in names.unique()}
    return names.map(mapping).astype("string")


@functools.cache
def _production() -> pd.DataFrame:
    raw = _read(
        "kp_production_halfyear.csv",
        dtype={"participant": str, "reported": str, "production_type": str},
        parse_dates=["created", "last_modified"],
    )
    return pd.DataFrame(
        {
            "participant": _codes(raw["participant"]),
            "participant_name": raw["participant"].astype("string"),
            "year": raw["year"].astype("int64"),
            "half": raw["half"].astype("int64"),
            "reported": pd.Categorical(
                raw["reported"], categories=["production", "no_production"]
            ),
            "production_type": pd.Categorical(
                raw["production_type"],
                categories=["all", "artisanal_small_scale", "large_scale"],
            ),
            "carats": raw["carats"].astype("float64"),
            "value_usd": raw["value_usd"].astype("float64"),
            "created": raw["created"].astype("datetime64[s]"),
            "last_modified": raw["last_modified"].astype("datetime64[s]"),
        }
    )


def kp_production() -> pd.DataFrame:
    """Return the half-yearly KP rough-diamond production table, 2003-2024.

    An export of the KP public statistics (production tables), from a spreadsheet in a public
    repository (``ashmita2004chat/diamond-dashboard``, "Production of Diamonds -
    Updated.xlsx"). **It is not an official publication.** 1,529 rows, 56 participants.

    Returns
    -------
    pandas.DataFrame
        One row per submission, in the file's order:

        ``participant`` (string)
            Participant code: ISO 3166-1 alpha-2, ``"EU"`` for the European Union.
        ``participant_name`` (string)
            The name as the KP statistics spell it (``"Congo, Democratic Republic of"``).
        ``year``, ``half`` (int64)
            The period; half 1 = January-June, half 2 = July-December.
        ``reported`` (category)
            ``production``, or ``no_production`` (reported none; carats and value are 0).
        ``production_type`` (category)
            ``all``; from 2020 some participants split into ``artisanal_small_scale`` and
            ``large_scale``; missing for ``no_production``.
        ``carats``, ``value_usd`` (float64)
            Carats produced and their value in absolute US dollars.
        ``created``, ``last_modified`` (datetime64)
            The statistics system's own record stamps, where present.

    Notes
    -----
    Caveats, from cross-checks against published KP annual figures (data README):

    - Annual world totals match published KP figures closely for 2005, 2006, 2009 (revised),
      2012, 2017, 2018, 2020 and 2023 (2023: 112.07 Mct in the file, 111.52 Mct published).
    - The file holds **revised values** for some rows: 2016 DRC 15.6 Mct (first published
      23.2 Mct); 2014 South Africa $2.20bn (first published $1.22bn); 2014 Liberia $186M
      (first published $28M).
    - 2021 Botswana value is about $1bn below the published figure.
    - **2024 is incomplete**: mostly only the first half year.
    - The **EU is one participant** here, as in all KP data (its member states do not appear
      separately), while customs trade data (`trade_hs7102`) reports the member states.
    - Some participant-periods have several rows (separate submissions, or the
      artisanal/large-scale split): sum them, as `kp_statistics` does.
    - The Central African Republic has no rows from 2013 H2 to 2015 (KP suspension, May 2013)
      and small volumes from 2016; the CAR value for 2003 is 0 in the file.

    The shipped copy differs from the source file only in the record stamps, rewritten as
    ISO 8601 (``scripts/clean_statistics_data.py``); every number is the source's text.

    Examples
    --------
    >>> production = kp.datasets.kp_production()
    >>> len(production), production["participant"].nunique()
    (1529, 56)
    >>> guinea = production[(production.participant == "GN") & (production.year == 2008)]
    >>> round(guinea["carats"].sum() / 1e6, 2)
    np.float64(3.1)

    .. versionadded:: 0.1
    """
    return _production().copy()


@functools.cache
def _trade() -> pd.DataFrame:
    raw = _read("itc_trademap_hs7102_values.csv", dtype={"hs6": str, "reporter": str, "flow": str})
    frame = pd.DataFrame(
        {
            "hs6": raw["hs6"].astype("string"),
            "flow": pd.Categorical(raw["flow"], categories=["import", "export"]),
            "reporter": _codes(raw["reporter"]),
            "reporter_name": raw["reporter"].astype("string"),
            "year": raw["year"].astype("int64"),
            "value_usd": raw["value_usd_thousands"].astype("int64") * 1000,
        }
    )
    frame["kp_rough"] = frame["hs6"].isin(KP_HS6)
    return frame


def trade_hs7102() -> pd.DataFrame:
    """Return the annual HS 7102 trade values declared by each reporter, 2005-2024.

    Exported from ITC Trade Map. Each row is one reporter's own declaration for one
    subheading, flow and year: ``import`` rows are what the importer declared, ``export``
    rows what the exporter declared, so comparing them is a mirror-statistics check
    (`kpmodel.statistics.mirror`). Values only, no carats, and no partner breakdown.

    Returns
    -------
    pandas.DataFrame
        ``hs6`` (string)
            ``710210`` (unsorted), ``710221`` (industrial, unworked), ``710231``
            (non-industrial, unworked) are the KP's rough subheadings; ``710229`` and
            ``710239`` (worked) are outside the KP and included for contrast.
        ``flow`` (category)
            ``import`` or ``export``.
        ``reporter`` (string)
            ISO 3166-1 alpha-2 code of the reporting country (withdrawn codes for
            Netherlands Antilles ``AN`` and Serbia and Montenegro ``CS``; ``SD`` for Sudan
            before 2012, ``TW`` for Chinese Taipei); missing for ITC's aggregates
            ``World``, ``Free Zones`` and ``Ship stores and bunkers``.
        ``reporter_name`` (string)
            The name as ITC spells it.
        ``year`` (int64)
            Calendar year.
        ``value_usd`` (int64)
            Declared value in US dollars: the file's thousands of US dollars times 1,000.
        ``kp_rough`` (bool)
            True for the three KP subheadings.

    Notes
    -----
    Caveats (data README): reporters are **countries, not KP participants** (EU member states
    report separately here, while the KP counts the EU as one participant); a **missing row
    means "not reported", not zero**; re-exports through hubs are counted at every border,
    so trade far exceeds production.

    Examples
    --------
    >>> trade = kp.datasets.trade_hs7102()
    >>> list(trade.columns[:6])
    ['hs6', 'flow', 'reporter', 'reporter_name', 'year', 'value_usd']
    >>> row = trade[(trade.hs6 == "710210") & (trade.reporter_name == "World")
    ...             & (trade.flow == "import") & (trade.year == 2005)]
    >>> int(row["value_usd"].iloc[0])
    1127685000

    .. versionadded:: 0.1
    """
    return _trade().copy()


@functools.cache
def _statistics() -> KPStatistics:
    production = _production()
    frame = production[["participant", "year", "half", "carats", "value_usd"]].assign(
        participant=production["participant"].astype(str), flow="production"
    )
    # Several submissions for one period are added up, as the docstring below says.
    return KPStatistics.from_frame(frame, source="kp_production_halfyear.csv", duplicates="sum")


def kp_statistics() -> KPStatistics:
    """Return the shipped KP production table as `kpmodel.statistics.KPStatistics`.

    Rows of `kp_production` for one participant and half year are summed (several
    submissions, or the artisanal/large-scale split from 2020). ``no_production`` rows become
    production of 0 carats ("reported none"); periods without rows stay missing ("not
    reported"). The table has production only: the shipped data has no KP trade flows.
    All the caveats of `kp_production` apply.

    Returns
    -------
    KPStatistics

    Examples
    --------
    >>> stats = kp.datasets.kp_statistics()
    >>> stats
    <KPStatistics: 56 participants, 1479 rows, 2003-2024; see .to_frame(), .annual(), ...>
    >>> world = stats.world(annual=True)
    >>> round(float(world.loc[world.year == 2012, "carats"].iloc[0]) / 1e6, 2)
    127.97

    .. versionadded:: 0.1
    """
    return _statistics()


def capacity_estimates() -> pd.DataFrame:
    """Return published production-capacity estimates, each with its public source.

    The ``capacity`` and ``non_reporting`` detectors take this table as context
    (``capacity=``). Only estimates with a public source are here; a ``derived`` figure is
    marked ``confirmed = False``.

    Returns
    -------
    pandas.DataFrame
        ``participant`` (code), ``low_carats`` and ``high_carats`` (float64, carats a year),
        ``basis`` (``capacity``, ``reported_range``, ``estimate`` or ``derived``),
        ``confirmed`` (bool), ``source`` and ``note``.

    Examples
    --------
    >>> cap = kp.datasets.capacity_estimates()
    >>> cap.loc[cap.participant == "GN", ["low_carats", "high_carats"]].to_numpy().tolist()
    [[480000.0, 720000.0]]

    .. versionadded:: 0.1
    """
    frame = _read("capacity_estimates.csv", dtype={"participant": str, "source": str, "note": str})
    frame["low_carats"] = frame["low_carats"].astype("float64")
    frame["high_carats"] = frame["high_carats"].astype("float64")
    frame["confirmed"] = frame["confirmed"].astype(bool)
    return frame


def known_episodes() -> pd.DataFrame:
    """Return the known episodes (smuggling, suspensions, data revisions) used to read findings.

    Each row names a participant (``"*"`` for every participant), a span of years, a kind
    (``smuggling``, ``aftermath``, ``suspension``, ``non_reporting``, ``embargo``, ``mine_event``,
    ``data_revision``, ``large_stones``, ``world_shock``, ``data_caveat``), a sentence and its
    public sources (or the data README for facts about the shipped data itself).

    Examples
    --------
    >>> episodes = kp.datasets.known_episodes()
    >>> episodes.loc[episodes.participant == "GN", "first_year"].tolist()
    [2008, 2009]

    .. versionadded:: 0.1
    """
    frame = _read("known_episodes.csv", dtype={"participant": str, "episode": str, "source": str})
    frame["first_year"] = frame["first_year"].astype("int64")
    frame["last_year"] = frame["last_year"].astype("int64")
    return frame
