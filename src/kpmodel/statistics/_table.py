"""The one statistics type: production, imports and exports per participant and half year."""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterable
from typing import Any, Literal

import attrs
import numpy as np
import pandas as pd

from kpmodel._boundary import (
    MAX_LISTED,
    MAX_QUANTITY,
    MAX_YEAR,
    MIN_YEAR,
    atomic_open,
    display_path,
    guarded,
    is_participant_code,
    one_of,
    read_text,
    show,
)
from kpmodel._display import View
from kpmodel._output import csv_restore, csv_safe
from kpmodel.errors import InvalidArgumentError, LoadError, Problem
from kpmodel.ledger import Ledger
from kpmodel.statistics._validation import (
    FLOWS,
    ProblemCollector,
    labels,
    numbers,
    row_label,
    scalars,
    text,
)

KEY = ["replication", "participant", "year", "half", "flow"]
BILATERAL_KEY = ["replication", "participant", "partner", "year", "half", "flow"]
MEASURES = ["carats", "value_usd"]
REQUIRED = ["participant", "year", "half", "flow", "carats", "value_usd"]
LEDGER_REQUIRED = ["date", "exporter", "importer", "carats", "value_usd"]


def _check_table(instance: Any, attribute: Any, value: pd.DataFrame) -> None:
    if not isinstance(value, pd.DataFrame) or list(value.columns) != [
        *KEY,
        *MEASURES,
        "certificates",
    ]:
        msg = (
            "KPStatistics.table must be a normalised table; build KPStatistics with "
            "KPStatistics.from_frame(df) or KPStatistics.from_csv(path)"
        )
        raise InvalidArgumentError(msg)


@guarded
@attrs.frozen(kw_only=True, eq=False)
class KPStatistics:
    """KP-style statistics: production, imports and exports per participant and half year.

    Carats and US dollars per participant, half year and flow (``production``, ``import``,
    ``export``), with KP certificate counts where known, optionally per partner (for mirror
    statistics) and per simulated replication. Real data (`kpmodel.datasets.kp_statistics`)
    and simulated data produce the same type, so every detector runs on both.

    Build it with `from_frame`, `from_csv` or `from_ledger`; do not call the constructor
    with a table of your own.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per ``replication, participant, year, half, flow`` (duplicates in the input
        are summed), with float64 ``carats``, ``value_usd`` and ``certificates`` (NaN where not
        known). ``replication`` is 0 when the input had no replication column.
    bilateral : pandas.DataFrame or None
        Per-partner flows as each participant declared them (``participant`` is the reporter,
        ``partner`` the other side), or None when the input had no partners.
    has_replications : bool
        True when the input carried a ``replication`` column; outputs then keep it.

    Notes
    -----
    A missing row means "not reported"; a row with zero carats means "reported none" (the KP
    statistics' ``no_production``). The detectors treat the two differently.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"participant": ["GN", "GN"], "year": [2008, 2008], "half": [1, 2],
    ...                    "flow": ["production"] * 2, "carats": [1715579.7, 1382910.4],
    ...                    "value_usd": [30880434.1, 22818021.9]})
    >>> stats = kp.statistics.KPStatistics.from_frame(df)
    >>> stats.participants
    ('GN',)
    >>> round(float(stats.annual()["carats"].iloc[0]))
    3098490

    .. versionadded:: 0.1
    """

    table: pd.DataFrame = attrs.field(validator=_check_table, repr=False)
    bilateral: pd.DataFrame | None = attrs.field(default=None, repr=False)
    has_replications: bool = False
    # Dense arrays derived for the detectors, built once per object (the table is read-only).
    _cache: dict[object, object] = attrs.field(factory=dict, init=False, repr=False)

    def _view(self) -> View:
        years = self.table["year"]
        summary = f"{len(self.participants)} participants, {len(self.table)} rows"
        if len(years):
            summary += f", {int(years.min())}-{int(years.max())}"
        if self.has_replications:
            summary += f", {self.table['replication'].nunique()} replications"
        return View(
            kind="KPStatistics",
            summary=summary,
            more="see .to_frame(), .annual(), .world(); kp.statistics.detect(stats)",
            tables=lambda: [
                ("World production per year", self.world(annual=True)),
                ("The table", self.to_frame()),
            ],
        )

    def __repr__(self) -> str:
        return self._view().text()

    def _repr_html_(self) -> str:
        return self._view().html()

    # -- construction -------------------------------------------------------------------

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        source: str = "",
        duplicates: Literal["refuse", "sum"] = "refuse",
    ) -> KPStatistics:
        """Build statistics from a tidy DataFrame, validating every cell first.

        Parameters
        ----------
        frame : pandas.DataFrame
            At least the columns ``participant`` (a participant code such as ``"GN"`` or
            ``"EU"``), ``year``, ``half`` (1 = January-June, 2 = July-December), ``flow``
            (``production``, ``import`` or ``export``), ``carats`` and ``value_usd`` (absolute
            US dollars). Optional: ``certificates`` (KP certificate count; blank if unknown),
            ``partner`` (the other side of an import or export, for mirror statistics; blank
            for totals and production) and ``replication`` (an integer run number for
            simulated statistics). Other columns are ignored.
        source : str, optional
            Where the frame came from, named in error messages.
        duplicates : {"refuse", "sum"}, default "refuse"
            What to do with rows that repeat another row's participant, year, half, flow
            (and partner): report them as problems, or add them up (for sources that split
            one period into several submissions).

        Returns
        -------
        KPStatistics

        Raises
        ------
        kpmodel.errors.LoadError
            Listing every problem found, each naming its row and column; nothing is kept.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"participant": ["CF"], "year": [2012], "half": [1],
        ...                    "flow": ["production"], "carats": [210684.77],
        ...                    "value_usd": [33542107.16]})
        >>> kp.statistics.KPStatistics.from_frame(df)
        <KPStatistics: 1 participants, 1 rows, 2012-2012; see .to_frame(), .annual(), ...>
        >>> df.loc[0, "half"] = 3
        >>> kp.statistics.KPStatistics.from_frame(df)
        Traceback (most recent call last):
        ...
        kpmodel.errors.LoadError: 1 problem:
          row 0, column 'half': must be 1 or 2; got np.int64(3).

        .. versionadded:: 0.1
        """
        return _from_frame(frame, source=source, csv_rows=False, duplicates=duplicates)

    @classmethod
    def from_csv(
        cls, path: str | os.PathLike[str], *, duplicates: Literal["refuse", "sum"] = "refuse"
    ) -> KPStatistics:
        r"""Load statistics from a CSV file in the `from_frame` format, all or nothing.

        Parameters
        ----------
        path : str or path-like
            A UTF-8 CSV file with a header row.
        duplicates : {"refuse", "sum"}, default "refuse"
            What to do with repeated rows; see `from_frame`.

        Returns
        -------
        KPStatistics

        Raises
        ------
        kpmodel.errors.LoadError
            When the file cannot be read or any cell is invalid; every problem is listed with
            its row (data rows count from 1; the header is line 1) and column.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "stats.csv"
        >>> _ = path.write_text(
        ...     "participant,year,half,flow,carats,value_usd\\n"
        ...     "GN,2008,1,production,1715579.7,30880434.1\\n"
        ...     "GN,2008,2,production,-1,22818021.9\\n")
        >>> kp.statistics.KPStatistics.from_csv(path)
        Traceback (most recent call last):
        ...
        kpmodel.errors.LoadError: 1 problem in ...stats.csv:
          row 2 (line 3), column 'carats': must be a number >= 0; got '-1'.

        .. versionadded:: 0.1
        """
        source = display_path(path)
        text = read_text(path, source=source)  # the file's encoding is named if not UTF-8
        try:
            with warnings.catch_warnings():
                # A row longer than the header is an error here, not a warning.
                warnings.simplefilter("error", pd.errors.ParserWarning)
                # index_col=False: a row with extra cells must not turn a column into the index.
                frame = pd.read_csv(
                    io.StringIO(text), dtype=str, keep_default_na=False, index_col=False
                )
        except (
            pd.errors.ParserError,
            pd.errors.ParserWarning,
            pd.errors.EmptyDataError,
            ValueError,
        ) as exc:
            raise LoadError(
                [Problem("", f"cannot read the file as CSV: {exc}")], source=source
            ) from None
        return _from_frame(csv_restore(frame), source=source, csv_rows=True, duplicates=duplicates)

    @classmethod
    def from_ledger(
        cls,
        shipments: Ledger | pd.DataFrame | Iterable[object],
        *,
        imports: Ledger | pd.DataFrame | None = None,
        production: pd.DataFrame | None = None,
    ) -> KPStatistics:
        """Build statistics from a ledger of certificates and shipments, as the KP compiles them.

        Every certificate counts once as an export of its issuing participant and once as an
        import of its destination, in the half year of its date, with countries mapped to
        their participant (Belgium to the EU). Certificate counts are the number of distinct
        certificate numbers. Per-partner flows are kept in `bilateral`, so
        `kpmodel.statistics.mirror` and the ``mirror_gap`` detector can compare the two sides.

        Parameters
        ----------
        shipments : kpmodel.Ledger, pandas.DataFrame or sequence of records
            A `kpmodel.Ledger` (read from a file, built from a DataFrame or simulated): each
            certificate counts on its ``departed`` date where the ledger has one, else on
            its date of issue (``issued``). A DataFrame is read as a ledger
            (`kpmodel.Ledger.from_frame`: the canonical columns; for your own names, build
            the ledger with ``columns=``). Or a sequence of `kpmodel.certificates` records
            (as `kpmodel.certificates.load` returns it): each `Shipment` counts on its
            departure date, each `Certificate` that no shipment in it carries counts on its
            issue date; import confirmations carry no value and are left out.
        imports : kpmodel.Ledger or pandas.DataFrame, optional
            The same, for imports as the importing authorities declared them (import
            confirmations). When given, imports come from here instead of from `shipments`,
            so mirror gaps between the two declarations become visible.
        production : pandas.DataFrame, optional
            Production with ``participant``, ``carats``, ``value_usd`` and either ``date`` or
            ``year`` and ``half`` (and optionally ``replication``).

        Returns
        -------
        KPStatistics

        Raises
        ------
        kpmodel.errors.LoadError
            Listing every invalid cell with its row and column.
        kpmodel.errors.InvalidArgumentError
            For anything but a ledger, a DataFrame or records, and for a DataFrame in the
            retired statistics vocabulary (``date``, ``exporter``, ``importer``,
            ``certificate``): the message gives the ``columns=`` mapping to the ledger's.

        Examples
        --------
        >>> import pandas as pd
        >>> ledger = kp.Ledger.from_frame(pd.DataFrame({
        ...     "number": ["AE-1", "AE-2"], "issuing_country": "AE",
        ...     "destination_country": ["IN", "BE"], "issued": ["2014-03-01", "2014-09-15"],
        ...     "hs_code": "7102.10", "carats": [1000.0, 500.0],
        ...     "value_usd": [120000.0, 70000.0], "origin": "MIXED", "declared_origins": ""}))
        >>> stats = kp.statistics.KPStatistics.from_ledger(ledger)
        >>> stats.table[["participant", "half", "flow", "carats", "certificates"]]
          participant  half    flow  carats  certificates
        0          AE     1  export  1000.0           1.0
        1          AE     2  export   500.0           1.0
        2          EU     2  import   500.0           1.0
        3          IN     1  import  1000.0           1.0

        A ledger of records works the same way:

        >>> cert = kp.certificates.example_certificate()
        >>> stats = kp.statistics.KPStatistics.from_ledger([cert])
        >>> stats.table[["participant", "flow", "carats", "certificates"]]
          participant    flow  carats  certificates
        0          BW  export  1285.4           1.0
        1          EU  import  1285.4           1.0
        >>> ledger = kp.Ledger.from_records([cert])
        >>> kp.statistics.KPStatistics.from_ledger(ledger).table.equals(stats.table)
        True

        .. versionadded:: 0.1
        """
        if isinstance(shipments, pd.DataFrame):
            shipments = _ledger_of(shipments, "shipments")
        if isinstance(imports, pd.DataFrame):
            imports = _ledger_of(imports, "imports")
        if isinstance(shipments, Ledger):
            frame = _ledger_frame(shipments)
        else:
            frame = _records_frame(shipments)
        given: object = imports  # typed, but users pass anything
        if given is not None and not isinstance(given, Ledger):
            msg = (
                "imports must be a kpmodel.Ledger or a DataFrame of one, "
                f"got {type(imports).__name__}"
            )
            raise InvalidArgumentError(msg)
        incoming = None if imports is None else _ledger_frame(imports)
        return _from_ledger(frame, imports=incoming, production=production)

    # -- derived views --------------------------------------------------------------------

    @property
    def participants(self) -> tuple[str, ...]:
        """The participant codes present, sorted.

        Examples
        --------
        >>> kp.datasets.kp_statistics().participants[:3]
        ('AE', 'AM', 'AO')
        """
        return tuple(sorted(self.table["participant"].unique()))

    def _out(self, frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.reset_index(drop=True)
        if not self.has_replications and "replication" in frame.columns:
            frame = frame.drop(columns="replication")
        return frame

    def to_frame(self) -> pd.DataFrame:
        """Return the tidy table (a copy), in the `from_frame` format.

        Examples
        --------
        >>> list(kp.datasets.kp_statistics().to_frame().columns)
        ['participant', 'year', 'half', 'flow', 'carats', 'value_usd', 'certificates']
        """
        return self._out(self.table.copy())

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """Write the tidy table as CSV, atomically (a temporary file, then a rename).

        Examples
        --------
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "kp.csv"
        >>> stats = kp.datasets.kp_statistics()
        >>> stats.to_csv(path)
        >>> kp.statistics.KPStatistics.from_csv(path).table.equals(stats.table)
        True
        """
        with atomic_open(path, newline="") as file:
            # text cells a spreadsheet would run as formulas are neutralised (from_csv undoes it)
            csv_safe(self.to_frame()).to_csv(file, index=False, float_format="%.17g")

    def value_per_carat(self) -> pd.DataFrame:
        """Return the table with ``value_per_carat`` (US dollars per carat; NaN at 0 carats).

        Examples
        --------
        >>> vpc = kp.datasets.kp_statistics().value_per_carat()
        >>> row = vpc[(vpc.participant == "GN") & (vpc.year == 2008) & (vpc.half == 1)]
        >>> round(float(row["value_per_carat"].iloc[0]), 1)
        18.0
        """
        frame = self.table.copy()
        frame["value_per_carat"] = _ratio(frame["value_usd"], frame["carats"])
        return self._out(frame)

    def annual(self) -> pd.DataFrame:
        """Return annual totals per participant, year and flow, with ``value_per_carat``.

        ``halves`` counts the half years reported, so incomplete years (2024 in the shipped
        data, or a participant suspended mid-year) are visible.

        Examples
        --------
        >>> annual = kp.datasets.kp_statistics().annual()
        >>> guinea = annual[(annual.participant == "GN") & (annual.year == 2008)]
        >>> round(float(guinea["carats"].iloc[0]) / 1e6, 2), int(guinea["halves"].iloc[0])
        (3.1, 2)
        """
        keys = ["replication", "participant", "year", "flow"]
        return self._totals(keys, count="half", count_as="halves")

    def world(self, *, annual: bool = False) -> pd.DataFrame:
        """Return world totals per period and flow (sums over participants).

        Parameters
        ----------
        annual : bool, default False
            Sum per year instead of per half year.

        Examples
        --------
        >>> world = kp.datasets.kp_statistics().world(annual=True)
        >>> round(float(world.loc[world.year == 2023, "carats"].iloc[0]) / 1e6, 2)
        112.07
        """
        keys = (
            ["replication", "year", "flow"] if annual else ["replication", "year", "half", "flow"]
        )
        return self._totals(keys, count="participant", count_as="participants")

    def _totals(self, keys: list[str], *, count: str, count_as: str) -> pd.DataFrame:
        """Sum carats, dollars and certificates per `keys`; count distinct `count` values."""
        grouped = self.table.groupby(keys, sort=True, observed=True)
        frame = grouped[MEASURES].sum()
        frame["certificates"] = grouped["certificates"].sum(min_count=1)
        frame[count_as] = grouped[count].nunique()
        frame = frame.reset_index()
        frame["value_per_carat"] = _ratio(frame["value_usd"], frame["carats"])
        return self._out(frame)

    def balances(self, *, annual: bool = False) -> pd.DataFrame:
        """Return production, imports, exports and the balance per participant and period.

        The balance is production + imports - exports, in carats and in US dollars: what
        should be left in stock. A persistently negative balance means exports that neither
        production nor imports explain (the Republic of Congo pattern of 2004).

        Parameters
        ----------
        annual : bool, default False
            Per year instead of per half year.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"participant": ["CG", "CG"], "year": [2004, 2004],
        ...     "half": [1, 1], "flow": ["production", "export"],
        ...     "carats": [25000.0, 2600000.0], "value_usd": [1e6, 1e8]})
        >>> b = kp.statistics.KPStatistics.from_frame(df).balances()
        >>> b[["participant", "production_carats", "export_carats", "balance_carats"]]
          participant  production_carats  export_carats  balance_carats
        0          CG            25000.0      2600000.0      -2575000.0
        """
        keys = ["replication", "participant", "year"] + ([] if annual else ["half"])
        wide = self.table.pivot_table(
            index=keys, columns="flow", values=MEASURES, aggfunc="sum", observed=True
        )
        frame = pd.DataFrame(index=wide.index)
        for flow in FLOWS:
            for measure in MEASURES:
                column = (measure, flow)
                values = wide[column] if column in wide.columns else 0.0
                frame[f"{flow}_{measure}"] = values
        frame = frame.fillna(0.0)
        frame["balance_carats"] = (
            frame["production_carats"] + frame["import_carats"] - frame["export_carats"]
        )
        frame["balance_value_usd"] = (
            frame["production_value_usd"] + frame["import_value_usd"] - frame["export_value_usd"]
        )
        return self._out(frame.reset_index())


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        values = numerator.to_numpy(dtype=float) / denominator.to_numpy(dtype=float)
    values[denominator.to_numpy(dtype=float) <= 0] = np.nan
    return pd.Series(values, index=numerator.index)


_PARTICIPANT = "an upper-case participant code such as 'BW' (ISO 3166-1 alpha-2) or 'EU'"
_QUANTITY = f"a number from 0 to {MAX_QUANTITY:.0e}"


def _refuse_duplicates(frame: pd.DataFrame, out: pd.DataFrame, problems: ProblemCollector) -> None:
    """Report rows that repeat another row's key (and partner), instead of summing them."""
    keys = [*KEY, "partner"] if "partner" in out.columns else KEY
    repeated = out.duplicated(subset=keys, keep="first").to_numpy()
    if not repeated.any():
        return
    first = out.drop_duplicates(subset=keys, keep="first")
    where = dict(zip(map(tuple, first[keys].astype(str).to_numpy()), first.index, strict=True))
    labels_ = frame.index[repeated]
    rows = out[keys].astype(str).to_numpy()[repeated]
    for label, row in list(zip(labels_, rows, strict=True))[:MAX_LISTED]:
        original = row_label(where[tuple(row)], csv_rows=problems.csv_rows)
        problems.problems.append(
            Problem(
                row_label(label, csv_rows=problems.csv_rows),
                f"repeats {original} ({', '.join(k for k in keys if k in frame.columns)} "
                "are the same); remove one, "
                "or pass duplicates='sum' to add them up",
            )
        )
    if repeated.sum() > MAX_LISTED:
        problems.problems.append(
            Problem("", f"... and {int(repeated.sum()) - MAX_LISTED} more repeated rows")
        )
    problems.raise_if_any()


def _normalise(
    given: object, source: str, csv_rows: bool, duplicates: Literal["refuse", "sum"] = "refuse"
) -> pd.DataFrame:
    """Validate every cell of a statistics frame and return it with canonical types."""
    problems = ProblemCollector(source=source, csv_rows=csv_rows)
    if not isinstance(given, pd.DataFrame):
        msg = f"expected a pandas DataFrame; got {type(given).__name__}"
        raise InvalidArgumentError(msg)
    frame = given
    if problems.missing_columns(frame, REQUIRED):
        problems.raise_if_any()
    out = pd.DataFrame(index=frame.index)
    out["participant"] = labels(
        frame,
        "participant",
        problems,
        expected=_PARTICIPANT,
        allowed=is_participant_code,
    )
    out["year"] = numbers(
        frame,
        "year",
        problems,
        expected=f"a whole year from {MIN_YEAR} to {MAX_YEAR}",
        integer=True,
        minimum=MIN_YEAR,
        maximum=MAX_YEAR,
    )
    out["half"] = numbers(frame, "half", problems, expected="1 or 2", allowed=(1, 2))
    out["flow"] = labels(
        frame,
        "flow",
        problems,
        expected="one of 'production', 'import', 'export'",
        allowed=FLOWS,
        lower=True,
    )
    out["carats"] = numbers(frame, "carats", problems, expected=_QUANTITY)
    out["value_usd"] = numbers(frame, "value_usd", problems, expected=_QUANTITY)
    if "certificates" in frame.columns:
        out["certificates"] = numbers(
            frame,
            "certificates",
            problems,
            expected="a whole number >= 0 or blank",
            integer=True,
            optional=True,
        )
    else:
        out["certificates"] = np.nan
    if "replication" in frame.columns:
        out["replication"] = numbers(
            frame, "replication", problems, expected="a whole number >= 0", integer=True
        )
    else:
        out["replication"] = 0.0
    if "partner" in frame.columns:
        partner = scalars(frame["partner"]).astype("string").str.strip().fillna("")
        bad = partner.ne("") & (out["flow"] == "production")
        problems.bad_cells(frame, "partner", bad.fillna(False), "blank on production rows")
        given = partner.ne("") & ~bad.fillna(False)
        unknown = given & ~partner.map(is_participant_code).astype(bool)
        problems.bad_cells(frame, "partner", unknown, f"blank or {_PARTICIPANT}")
        out["partner"] = partner
    problems.raise_if_any()
    for column in ("year", "half", "replication"):
        out[column] = out[column].astype("int64")
    if duplicates == "refuse":
        _refuse_duplicates(frame, out, problems)
    out["flow"] = out["flow"].cat.set_categories(sorted(FLOWS))
    return out


def _totals(frame: pd.DataFrame) -> pd.DataFrame:
    """Sum rows that share a key and sort by the key, with numpy (fast for millions of rows)."""
    participant = frame["participant"].astype("category")
    flow = frame["flow"].astype("category").cat.set_categories(sorted(FLOWS))
    year = frame["year"].to_numpy(dtype="int64")
    replication = frame["replication"].to_numpy(dtype="int64")
    first_year = int(year.min()) if len(year) else 0
    period = (year - first_year) * 2 + frame["half"].to_numpy(dtype="int64") - 1
    periods = int(period.max()) + 1 if len(period) else 1
    rep_codes, _ = pd.factorize(replication, sort=True)
    p_codes = participant.cat.codes.to_numpy(dtype="int64")
    key = ((rep_codes * len(participant.cat.categories) + p_codes) * periods + period) * 3
    key = key + flow.cat.codes.to_numpy(dtype="int64")
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.array([], int)
    first = order[starts]

    def summed(values: np.ndarray) -> np.ndarray:
        ordered = values[order]
        if len(starts) == len(ordered):
            return ordered
        return np.add.reduceat(ordered, starts) if len(ordered) else ordered

    certificates = frame["certificates"].to_numpy(dtype=float)
    counted = summed((~np.isnan(certificates)).astype("int64"))
    certificate_sums = summed(np.nan_to_num(certificates))
    return pd.DataFrame(
        {
            "replication": replication[first],
            "participant": pd.Categorical.from_codes(
                p_codes[first], categories=participant.cat.categories, validate=False
            ),
            "year": year[first],
            "half": frame["half"].to_numpy(dtype="int64")[first],
            "flow": pd.Categorical.from_codes(
                flow.cat.codes.to_numpy()[first], categories=flow.cat.categories, validate=False
            ),
            "carats": summed(frame["carats"].to_numpy(dtype=float)),
            "value_usd": summed(frame["value_usd"].to_numpy(dtype=float)),
            "certificates": np.where(counted > 0, certificate_sums, np.nan),
        }
    )


def _from_frame(
    frame: pd.DataFrame,
    *,
    source: str,
    csv_rows: bool,
    duplicates: Literal["refuse", "sum"] = "refuse",
) -> KPStatistics:
    one_of(duplicates, ("refuse", "sum"), path="duplicates", error=InvalidArgumentError)
    clean = _normalise(frame, source, csv_rows, duplicates)
    bilateral = None
    if "partner" in clean.columns:
        with_partner = clean[clean["partner"].ne("")]
        if len(with_partner):
            bilateral = (
                with_partner.groupby(BILATERAL_KEY, sort=True)[MEASURES].sum().reset_index()
            )
    return KPStatistics(
        table=_totals(clean), bilateral=bilateral, has_replications="replication" in frame.columns
    )


def _ledger_side(
    ledger: pd.DataFrame, *, reporter: str, partner: str, flow: str, name: str
) -> pd.DataFrame:
    problems = ProblemCollector(source=name)
    if problems.missing_columns(ledger, LEDGER_REQUIRED):
        problems.raise_if_any()
    dates = pd.to_datetime(ledger["date"], errors="coerce")
    problems.bad_cells(ledger, "date", dates.isna(), "a date (an ISO string such as 2014-03-01)")
    side = pd.DataFrame(index=ledger.index)
    side["participant"] = text(ledger, reporter, problems, expected="a participant code")
    side["partner"] = text(ledger, partner, problems, expected="a participant code")
    side["carats"] = numbers(ledger, "carats", problems, expected="a number >= 0")
    side["value_usd"] = numbers(ledger, "value_usd", problems, expected="a number >= 0")
    if "replication" in ledger.columns:
        side["replication"] = numbers(
            ledger, "replication", problems, expected="a whole number >= 0", integer=True
        )
    problems.raise_if_any()
    side["year"] = dates.dt.year.astype("int64")
    side["half"] = np.where(dates.dt.month <= 6, 1, 2).astype("int64")
    side["flow"] = flow
    ids = ledger["certificate"] if "certificate" in ledger.columns else pd.Series(ledger.index)
    side["number"] = ids.to_numpy()
    return side


def _records_frame(records: Iterable[object]) -> pd.DataFrame:
    """One row per shipment, or per certificate no shipment carries, of a record ledger."""
    from kpmodel.certificates import Certificate, ImportConfirmation, Shipment
    from kpmodel.participants import Register

    if isinstance(records, str | bytes) or not isinstance(records, Iterable):
        msg = (
            "from_ledger takes a kpmodel.Ledger, a DataFrame or a sequence of "
            f"kpmodel.certificates records, got {type(records).__name__}"
        )
        raise InvalidArgumentError(msg)
    records = list(records)
    register = Register.default()
    carried = {r.certificate.number for r in records if isinstance(r, Shipment) and r.certificate}
    rows = []
    for index, record in enumerate(records):
        if isinstance(record, Shipment):
            day, exporter, importer = record.departed, record.from_country, record.to_country
            number = record.certificate.number if record.certificate else None
        elif isinstance(record, Certificate):
            if record.number in carried:
                continue  # counted with the shipment that carries it
            day, exporter, importer = (
                record.issued,
                record.issuing_country,
                record.destination_country,
            )
            number = record.number
        elif isinstance(record, ImportConfirmation):
            continue
        else:
            msg = f"ledger[{index}] must be a kpmodel.certificates record, got {show(record)}"
            raise InvalidArgumentError(msg)
        rows.append(
            {
                "date": day,
                "exporter": register.participant_of(exporter, on=day) or exporter,
                "importer": register.participant_of(importer, on=day) or importer,
                "carats": float(sum(p.carats for p in record.parcels)),
                "value_usd": float(sum(p.value_usd for p in record.parcels)),
                "certificate": number if number is not None else f"row-{index}",
            }
        )
    columns = ["date", "exporter", "importer", "carats", "value_usd", "certificate"]
    return pd.DataFrame(rows, columns=columns)


# The columns of the statistics' own ledger frames before `Ledger`, and their ledger names.
_RETIRED_COLUMNS = {
    "date": "issued",
    "exporter": "issuing_country",
    "importer": "destination_country",
    "certificate": "number",
}


def _ledger_of(frame: pd.DataFrame, name: str) -> Ledger:
    """Return the `Ledger` of a DataFrame; the retired vocabulary gets its mapping."""
    retired = {c: _RETIRED_COLUMNS[c] for c in frame.columns if c in _RETIRED_COLUMNS}
    if retired:
        msg = (
            f"{name} has the columns {list(retired)}, which from_ledger no longer reads: it "
            "reads a kpmodel.Ledger, one vocabulary for all paperwork. Build one with "
            f"kp.Ledger.from_frame({name}, columns={retired!r}); a ledger also needs "
            "'hs_code', 'origin' and 'declared_origins' (the last two may be empty)"
        )
        raise InvalidArgumentError(msg)
    return Ledger.from_frame(frame)


def _ledger_frame(ledger: Ledger) -> pd.DataFrame:
    """One row per certificate of a `Ledger`, with participants, in `_from_ledger`'s form."""
    from kpmodel.participants import Register

    frame = ledger.to_frame()
    number = frame["number"].to_numpy(dtype=object)
    starts = np.ones(len(frame), dtype=bool)
    starts[1:] = number[1:] != number[:-1]
    run = np.cumsum(starts) - 1
    day = frame["issued"]
    if "departed" in frame.columns:
        day = frame["departed"].where(frame["departed"].notna(), day)
    first = np.flatnonzero(starts)
    register = Register.default()
    dates = day.to_numpy(dtype="datetime64[D]")[first].astype(object)

    def participants(column: str) -> list[str]:
        codes = frame[column].to_numpy(dtype=object)[first]
        known: dict[tuple[str, Any], str] = {}
        return [
            known.setdefault((c, d), register.participant_of(c, on=d) or c)
            if (c, d) not in known
            else known[(c, d)]
            for c, d in zip(codes, dates, strict=True)
        ]

    return pd.DataFrame(
        {
            "date": dates,
            "exporter": participants("issuing_country"),
            "importer": participants("destination_country"),
            "carats": np.bincount(run, weights=frame["carats"].to_numpy(np.float64)),
            "value_usd": np.bincount(run, weights=frame["value_usd"].to_numpy(np.float64)),
            "certificate": number[first],
        },
        columns=["date", "exporter", "importer", "carats", "value_usd", "certificate"],
    )


def _from_ledger(
    shipments: pd.DataFrame, *, imports: pd.DataFrame | None, production: pd.DataFrame | None
) -> KPStatistics:
    exports = _ledger_side(
        shipments, reporter="exporter", partner="importer", flow="export", name="shipments"
    )
    incoming = _ledger_side(
        shipments if imports is None else imports,
        reporter="importer",
        partner="exporter",
        flow="import",
        name="shipments" if imports is None else "imports",
    )
    sides = pd.concat([exports, incoming], ignore_index=True)
    has_replications = "replication" in shipments.columns
    if not has_replications:
        sides["replication"] = 0
    sides["replication"] = sides["replication"].astype("int64")
    grouped = sides.groupby(BILATERAL_KEY, sort=True)
    bilateral = grouped[MEASURES].sum().reset_index()
    counts = sides.groupby(KEY, sort=True)["number"].nunique().astype("float64")
    totals = sides.groupby(KEY, sort=True)[MEASURES].sum()
    totals["certificates"] = counts
    table = totals.reset_index()
    if production is not None:
        table = pd.concat([table, _production_rows(production, has_replications)])
    table = _totals(table)
    return KPStatistics(table=table, bilateral=bilateral, has_replications=has_replications)


def _production_rows(production: pd.DataFrame, has_replications: bool) -> pd.DataFrame:
    frame = production.copy()
    if "date" in frame.columns and not {"year", "half"} <= set(frame.columns):
        dates = pd.to_datetime(frame["date"], errors="coerce")
        problems = ProblemCollector(source="production")
        problems.bad_cells(frame, "date", dates.isna(), "a date (an ISO string)")
        problems.raise_if_any()
        frame["year"] = dates.dt.year
        frame["half"] = np.where(dates.dt.month <= 6, 1, 2)
    frame["flow"] = "production"
    clean = _normalise(frame, "production", csv_rows=False, duplicates="sum")
    if not has_replications and "replication" in frame.columns:
        msg = "production has a replication column but shipments has none; give both or neither"
        raise InvalidArgumentError(msg)
    return clean[[*KEY, *MEASURES, "certificates"]]
