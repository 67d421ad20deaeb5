"""`Ledger`: paperwork as one immutable, schema-checked table of parcels."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from kpmodel._boundary import decode_text, one_of, show
from kpmodel._display import View
from kpmodel._lot_ids import plain
from kpmodel.certificates import (
    Certificate,
    DeclaredOrigin,
    ImportConfirmation,
    Parcel,
    Party,
    Shipment,
    dumps,
    loads,
)
from kpmodel.errors import InvalidArgumentError, LoadError, Problem
from kpmodel.ledger import _io
from kpmodel.ledger._parse import Problems, check_rows, objects, parse_column, runs
from kpmodel.ledger._schema import BY_NAME, NAMES, PARTIES, REQUIRED

__all__ = ["COLUMNS", "Ledger", "REQUIRED_COLUMNS"]  # noqa: RUF022 (plain sorted(), as tests/test_public_api.py checks)

COLUMNS: tuple[str, ...] = NAMES
"""Every canonical column of a ledger, in order: the nine required ones, then the optional."""

REQUIRED_COLUMNS: tuple[str, ...] = REQUIRED
"""The columns every ledger has."""

_SHOWN = 5  # rows in the HTML view


#: Columns the JSON certificate format states for every certificate: a ledger without them
#: cannot be written as JSON without inventing them.
STATED_IN_JSON = (
    "number_of_parcels",
    "kp_statement",
    "validated",
    "language",
    "english_translation",
    "forgery_resistant",
)


class Ledger:
    """Paperwork: parcels shipped under KP certificates, one row per parcel, schema-checked.

    A ledger is the one type every part of kpmodel produces and accepts for paperwork:
    files (CSV, Excel, Parquet, JSON), a DataFrame with its own column names, certificate
    records and simulations all become a `Ledger`; `kpmodel.check`,
    `kpmodel.statistics.KPStatistics.from_ledger` and
    `kpmodel.ProvenanceGraph.from_ledger` read it.

    Columns (`COLUMNS`) are the names of the CSV ledger. The first nine are required
    (`REQUIRED_COLUMNS`): ``number``, ``issuing_country``, ``destination_country``,
    ``issued``, ``hs_code``, ``carats``, ``value_usd``, ``origin`` (a country code,
    ``MIXED``, or empty when the certificate states none) and ``declared_origins`` (for a
    mixed parcel, the countries of mining origin listed, separated by ``;``; empty if
    none). Optional: ``issuing_authority``; the parties, ``exporter_name``,
    ``exporter_address``, ``exporter_country`` and the same for ``importer_`` (all three or
    none); ``expires``, ``number_of_parcels``, ``kp_statement``, ``validated``,
    ``language``, ``english_translation``, ``forgery_resistant``; ``zone`` (a parcel's
    mining zone); ``departed`` (the shipment's departure) and ``received`` (its receipt
    by the importing authority). A table without party names is a valid ledger; rules
    that need a missing column are reported as not checked.

    Consecutive rows with the same ``number`` are the parcels of one certificate, and
    repeat its certificate columns. A ledger cannot be changed; build a new one from
    ``ledger.to_frame()``. Two ledgers are equal when their frames are.

    Build one with `from_frame`, `read`, `loads` or `from_records`.

    Examples
    --------
    >>> ledger = kp.Ledger.from_records([kp.certificates.example_certificate()])
    >>> ledger
    <Ledger: 2 parcels on 1 certificate, issued 2023-03-01, 24 columns; .to_frame() shows them>
    >>> ledger.to_frame()[["number", "hs_code", "carats", "origin"]]
         number  hs_code  carats origin
    0  BW000123  7102.31  1000.0     BW
    1  BW000123  7102.21   285.4     BW
    """

    __slots__ = ("_frame", "_number_of_certificates")
    __hash__ = None  # type: ignore[assignment]  # equal by content, like a DataFrame

    _frame: pd.DataFrame
    _number_of_certificates: int

    def __init__(self, frame: pd.DataFrame, *, columns: Mapping[str, str | None] | None = None):
        canonical = _canonical(frame, columns=columns, source="")
        object.__setattr__(self, "_frame", canonical)
        object.__setattr__(self, "_number_of_certificates", _count_runs(canonical))

    def __setattr__(self, name: str, value: object) -> NoReturn:
        msg = f"a Ledger cannot be changed (tried to set {name!r}); build a new one"
        raise AttributeError(msg)

    @classmethod
    def _from_canonical(cls, frame: pd.DataFrame) -> Ledger:
        ledger = cls.__new__(cls)
        object.__setattr__(ledger, "_frame", frame)
        object.__setattr__(ledger, "_number_of_certificates", _count_runs(frame))
        return ledger

    # -- constructors ---------------------------------------------------------------------

    @classmethod
    def from_frame(
        cls, df: pd.DataFrame, *, columns: Mapping[str, str | None] | None = None
    ) -> Ledger:
        """Return the ledger of a DataFrame, one row per parcel.

        Cells are parsed and checked: text, country codes, dates (ISO text, dates or
        datetimes at midnight), HS codes, numbers (carats greater than 0, values 0 or
        more, finite), booleans (``true``/``false``, ``yes``/``no``, ``1``/``0``).

        Parameters
        ----------
        df : pandas.DataFrame
            One row per parcel. Rows are named by their index label in messages.
        columns : mapping, optional
            Maps your column names to the canonical ones (`COLUMNS`), such as
            ``{"Certificate No.": "number", "Weight (ct)": "carats"}``; map a column to None
            to leave it out. Columns not mentioned must already have canonical names.

        Returns
        -------
        Ledger

        Raises
        ------
        kpmodel.errors.LoadError
            Listing every problem at once, each with its row and column: unknown or
            missing columns, names in `columns` that the frame lacks, cells that cannot
            be read, certificate columns that differ between the rows of one certificate.
        kpmodel.errors.InvalidArgumentError
            If `df` is not a DataFrame or `columns` is not a mapping of names.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({
        ...     "Cert": ["AE-1", "AE-1"], "From": ["AE", "AE"], "To": ["IN", "IN"],
        ...     "Date": ["2024-06-03", "2024-06-03"], "HS": ["7102.10", "7102.10"],
        ...     "Carats": [1200.5, 300.0], "USD": [150000, 42000],
        ...     "Origin": ["MIXED", "BW"], "Listed": ["BW;RU", ""]})
        >>> names = dict(zip(df.columns, kp.ledger.REQUIRED_COLUMNS))
        >>> ledger = kp.Ledger.from_frame(df, columns=names)
        >>> ledger.to_frame()[["number", "carats", "origin", "declared_origins"]]
          number  carats origin declared_origins
        0   AE-1  1200.5  MIXED            BW;RU
        1   AE-1   300.0     BW
        >>> kp.Ledger.from_frame(df.assign(Carats=[-1.0, 300.0], To="in"), columns=names)
        Traceback (most recent call last):
        ...
        kpmodel.errors.LoadError: 3 problems:
          row 0, column 'destination_country': must be an ISO 3166-1 alpha-2 country code ...
          row 1, column 'destination_country': must be an ISO 3166-1 alpha-2 country code ...
          row 0, column 'carats': must be greater than 0, got '-1.0'
        """
        return cls(df, columns=columns)

    @classmethod
    def read(
        cls, path: str | os.PathLike[str], *, columns: Mapping[str, str | None] | None = None
    ) -> Ledger:
        """Read a ledger file, its format told by its suffix.

        ``.csv`` (UTF-8, the header in the first row), ``.xlsx`` (the first worksheet;
        needs the ``excel`` extra: ``pip install 'kpmodel[excel]'``; cell values are read,
        formulas never run), ``.parquet`` (needs pyarrow) or ``.json`` (one certificate,
        shipment or import confirmation, or a list of them, in the
        `kpmodel.certificates` exchange format). Rows of CSV and Excel files are numbered
        as in a spreadsheet (the header is row 1).

        Parameters
        ----------
        path : str or os.PathLike
        columns : mapping, optional
            Maps the file's column names to the canonical ones, as in `from_frame`
            (not for ``.json``, whose keys are fixed).

        Returns
        -------
        Ledger

        Raises
        ------
        kpmodel.errors.LoadError
            If the file cannot be read (missing, not UTF-8, not a workbook, ...) or holds
            problems: every one is listed with its row and column; nothing is loaded.
        kpmodel.errors.InvalidArgumentError
            If the suffix is none of the above.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> ledger = kp.Ledger.from_records([kp.certificates.example_certificate()])
        >>> ledger.write(folder / "ledger.csv")
        >>> kp.Ledger.read(folder / "ledger.csv") == ledger
        True
        >>> kp.Ledger.read(folder / "ledger.txt")
        Traceback (most recent call last):
        ...
        kpmodel.errors.InvalidArgumentError: cannot tell the format of '...ledger.txt' from ...
        """
        target = _io.path_of(path)
        kind = _io.format_of(target)
        return cls.loads(_io.read_bytes(target), format=kind, columns=columns, source=str(target))

    @classmethod
    def loads(
        cls,
        data: bytes | str,
        *,
        format: str,
        columns: Mapping[str, str | None] | None = None,
        source: str = "",
    ) -> Ledger:
        """Read a ledger from the bytes (or text) of a file, such as standard input.

        Parameters
        ----------
        data : bytes or str
            The file's content (text is taken as UTF-8).
        format : {"csv", "xlsx", "parquet", "json"}
        columns : mapping, optional
            As in `from_frame`.
        source : str, optional
            Where the data came from, for messages (such as ``"<stdin>"``).

        Examples
        --------
        >>> text = kp.Ledger.from_records([kp.certificates.example_certificate()]).dumps()
        >>> len(kp.Ledger.loads(text, format="csv"))
        2
        """
        format = one_of(format, _io.FORMATS, path="format", error=InvalidArgumentError)
        given: object = data
        if isinstance(given, str):
            try:
                raw = given.encode("utf-8")
            except UnicodeEncodeError as error:  # a lone surrogate: no character at all
                held = error.object[error.start]
                msg = f"the text holds {held!r} at {error.start}, which is not a character"
                raise LoadError([Problem("", msg)], source=source) from None
        elif isinstance(given, bytes | bytearray):
            raw = bytes(given)
        else:
            msg = f"data must be bytes or text, got {type(given).__name__}"
            raise InvalidArgumentError(msg)
        if format == "json":
            if columns is not None:
                msg = "columns= does not apply to .json: its keys are fixed by the format"
                raise InvalidArgumentError(msg)
            loaded = loads(decode_text(raw, source=source), source=source)
            return cls.from_records(loaded if isinstance(loaded, list) else [loaded])
        reader = {"csv": _io.read_csv, "xlsx": _io.read_xlsx, "parquet": _io.read_parquet}
        frame = reader[format](raw, source)
        return cls._from_canonical(_canonical(frame, columns=columns, source=source))

    @classmethod
    def from_records(cls, records: Iterable[object]) -> Ledger:
        """Return the ledger of certificate records.

        Each `kpmodel.certificates.Certificate` gives one row per parcel. A
        `kpmodel.certificates.Shipment` gives its certificate's rows, with ``departed``;
        an `kpmodel.certificates.ImportConfirmation` sets ``received`` on the rows of the
        certificate with its number. Records hold every certificate column, so the
        ledger has them all (and ``departed``/``received`` when some record gives them).

        Raises
        ------
        kpmodel.errors.InvalidArgumentError
            For an item that is no record, a shipment without a certificate, a
            confirmation of a certificate the records do not hold, or two certificates with
            the same number one after the other (a ledger would read them as one).

        Examples
        --------
        >>> cert = kp.certificates.example_certificate()
        >>> kp.Ledger.from_records([cert]).records() == [cert]
        True
        """
        if isinstance(records, str | bytes) or not isinstance(records, Iterable):
            msg = f"records must be a list of certificate records, got {show(records)}"
            raise InvalidArgumentError(msg)
        rows: list[dict[str, object]] = []
        departed = received = False
        confirmations: list[tuple[int, ImportConfirmation]] = []
        last: tuple[int, str] | None = None
        for index, record in enumerate(records):
            certificate = record.certificate if isinstance(record, Shipment) else record
            if isinstance(certificate, Certificate):
                if last is not None and last[1] == certificate.number:
                    msg = (
                        f"items [{last[0]}] and [{index}] are certificates with the same number "
                        f"{certificate.number!r} one after the other; a ledger reads "
                        "consecutive rows with one number as one certificate, so put another "
                        "certificate between them (kpmodel.check then reports the number used "
                        "twice) or check the records themselves"
                    )
                    raise InvalidArgumentError(msg)
                last = (index, certificate.number)
            if isinstance(record, Certificate):
                rows += _rows(record)
            elif isinstance(record, Shipment):
                if record.certificate is None:
                    msg = (
                        f"item [{index}] is a shipment without a certificate; a Ledger holds "
                        "paperwork (certificates and their parcels)"
                    )
                    raise InvalidArgumentError(msg)
                rows += _rows(record.certificate, departed=record.departed)
                departed = True
            elif isinstance(record, ImportConfirmation):
                confirmations.append((index, record))
                received = True
            else:
                msg = (
                    "a Ledger is built from Certificate, Shipment and ImportConfirmation "
                    f"records; item [{index}] is {record!r} (type={type(record).__name__})"
                )
                raise InvalidArgumentError(msg)
        for index, confirmation in confirmations:
            matched = [r for r in rows if r["number"] == confirmation.certificate_number]
            if not matched:
                msg = (
                    f"item [{index}] confirms certificate {confirmation.certificate_number!r}, "
                    "which the records do not hold"
                )
                raise InvalidArgumentError(msg)
            for row in matched:
                row["received"] = confirmation.received
        names = [
            n for n in NAMES if (n != "departed" or departed) and (n != "received" or received)
        ]
        frame = pd.DataFrame(rows, columns=names)
        return cls(frame)

    # -- views ----------------------------------------------------------------------------

    @property
    def columns(self) -> tuple[str, ...]:
        """The canonical columns this ledger has, in canonical order.

        Examples
        --------
        >>> kp.Ledger.from_records([kp.certificates.example_certificate()]).columns[:4]
        ('number', 'issuing_country', 'destination_country', 'issued')
        """
        return tuple(self._frame.columns)

    @property
    def number_of_certificates(self) -> int:
        """How many certificates the ledger holds (runs of rows with the same number).

        Examples
        --------
        >>> kp.Ledger.from_records([kp.certificates.example_certificate()]).number_of_certificates
        1
        """
        return self._number_of_certificates

    def __len__(self) -> int:
        return len(self._frame)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Ledger):
            return NotImplemented
        return self._frame.equals(other._frame)

    def to_frame(self) -> pd.DataFrame:
        """Return the ledger as a DataFrame (a copy): canonical columns, stable dtypes.

        Text and codes are ``string`` (``<NA>`` where missing), dates ``datetime64[ns]``,
        ``carats`` and ``value_usd`` ``float64``, flags ``bool``, ``number_of_parcels``
        ``Int64``; ``declared_origins`` is the listed codes separated by ``;`` (empty when
        none). The index runs from 0.

        Examples
        --------
        >>> frame = kp.Ledger.from_records([kp.certificates.example_certificate()]).to_frame()
        >>> frame.dtypes[["number", "issued", "carats", "validated"]].astype(str).tolist()
        ['string', 'datetime64[ns]', 'float64', 'bool']
        """
        return self._frame.copy()

    def declared_origins(self) -> list[DeclaredOrigin | None]:
        """Return what each row's certificate declares of the parcel's origin.

        None where the certificate states no origin.

        Examples
        --------
        >>> cert = kp.certificates.example_certificate()
        >>> kp.Ledger.from_records([cert]).declared_origins()
        [DeclaredOrigin.single('BW'), DeclaredOrigin.single('BW')]
        """
        origin = objects(self._frame["origin"])
        listed = self._frame["declared_origins"].to_numpy(dtype=object)
        pairs = pd.MultiIndex.from_arrays([origin, listed])
        codes, uniques = pairs.factorize()
        table = [
            None
            if o is None or (isinstance(o, float) and np.isnan(o))
            else DeclaredOrigin.from_fields(o, lst)
            for o, lst in uniques
        ]
        return [table[c] for c in codes.tolist()]

    def records(self, *, only: Iterable[int] | None = None) -> list[Certificate]:
        """Return the ledger's certificates as `kpmodel.certificates.Certificate` records.

        One certificate per run of rows with the same number, in order. Columns the
        ledger lacks take the record's default: no authority, parties or expiry,
        ``number_of_parcels`` the parcels listed, ``kp_statement`` and ``validated`` true,
        ``language`` ``"en"``. `kpmodel.check` on the ledger itself reports the rules those
        columns feed as not checked; on these records it checks the defaults.

        Parameters
        ----------
        only : iterable of int, optional
            The indices of the certificates wanted (0 is the first), in the order given;
            all of them by default. Booleans are refused (``True`` equals 1 but is not
            certificate 1): to keep the certificates a boolean mask flags, pass
            ``np.flatnonzero(mask)``.

        Raises
        ------
        kpmodel.errors.InvalidArgumentError
            If `only` is not an iterable of ints, or an index in it is a boolean or not that
            of a certificate of the ledger.

        Examples
        --------
        >>> cert = kp.certificates.example_certificate()
        >>> kp.Ledger.from_records([cert]).records()[0].parcels == cert.parcels
        True
        """
        frame = self._frame
        run = runs(frame["number"])
        bounds = (
            np.flatnonzero(np.r_[True, run[1:] != run[:-1], True]).tolist() if len(run) else [0]
        )
        count = len(bounds) - 1
        wanted = list(range(count)) if only is None else _certificate_indices(only, count)
        rows = (
            np.arange(len(frame))
            if only is None
            else np.concatenate(
                [np.arange(bounds[i], bounds[i + 1]) for i in wanted] or [np.zeros(0, int)]
            )
        )
        part = frame.iloc[rows]
        columns = {name: _values(part[name]) for name in part.columns}
        declared = Ledger._from_canonical(part.reset_index(drop=True)).declared_origins()
        certificates = []
        start = 0
        for index in wanted:
            stop = start + bounds[index + 1] - bounds[index]
            certificates.append(_certificate(columns, declared, start, stop))
            start = stop
        return certificates

    # -- writing --------------------------------------------------------------------------

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write the ledger to a file, its format told by the suffix, atomically.

        ``.csv`` (UTF-8; ISO dates, ``true``/``false``, empty cells for missing values,
        numbers written exactly), ``.xlsx`` (needs the ``excel`` extra; text that looks
        like a formula stays text), ``.parquet`` (needs pyarrow) or ``.json`` (the
        certificate records, see `records`; a ledger with ``departed`` or ``received``
        cannot be written as JSON, nor one without the columns a certificate record states:
        ``number_of_parcels``, ``kp_statement``, ``validated``, ``language``,
        ``english_translation``, ``forgery_resistant``). Reading the file back gives an equal
        ledger (for JSON, the columns the ledger lacked come back empty). The file appears
        complete or not at all: nothing is written on failure.

        Raises
        ------
        kpmodel.errors.InvalidArgumentError
            If the suffix is not one of these, the folder does not exist, the path is a
            folder, the file cannot be written (the system's reason is given), or the ledger
            does not fit the format.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "ledger.parquet"
        >>> ledger = kp.Ledger.from_records([kp.certificates.example_certificate()])
        >>> ledger.write(path)
        >>> kp.Ledger.read(path).to_frame().equals(ledger.to_frame())
        True
        """
        target = _io.path_of(path)
        _io.write_atomic(target, self._bytes(_io.format_of(target)))

    def dumps(self, *, format: str = "csv") -> bytes:
        """Return the bytes of the file `write` would write in `format`.

        Examples
        --------
        >>> ledger = kp.Ledger.from_records([kp.certificates.example_certificate()])
        >>> ledger.dumps().decode().splitlines()[0][:40]
        'number,issuing_country,destination_coun'
        """
        return self._bytes(one_of(format, _io.FORMATS, path="format", error=InvalidArgumentError))

    def _bytes(self, kind: str) -> bytes:
        if kind == "csv":
            return _io.csv_bytes(self._frame)
        if kind == "xlsx":
            return _io.xlsx_bytes(self._frame)
        if kind == "parquet":
            return _io.parquet_bytes(self._frame)
        kept = [name for name in ("departed", "received") if name in self._frame.columns]
        if kept:
            msg = (
                f"the JSON certificate format has no place for the columns {kept}; write "
                ".csv, .xlsx or .parquet to keep them"
            )
            raise InvalidArgumentError(msg)
        # A record states these; writing the records' defaults would invent what the ledger
        # does not say (that a certificate carried the KP statement, was validated, ...).
        lacking = [name for name in STATED_IN_JSON if name not in self._frame.columns]
        if lacking:
            msg = (
                f"the JSON certificate format states {lacking} for every certificate, and the "
                "ledger lacks those columns; add them, or write .csv, .xlsx or .parquet"
            )
            raise InvalidArgumentError(msg)
        return dumps(self.records()).encode("utf-8")

    # -- display --------------------------------------------------------------------------

    def _summary(self) -> str:
        n, m = len(self._frame), self._number_of_certificates
        if n == 0:
            return f"empty, {len(self.columns)} columns"
        issued = self._frame["issued"]
        first, last = issued.min().date(), issued.max().date()
        span = f"{first}" if first == last else f"{first} to {last}"
        return (
            f"{n:,} parcel{'s' if n != 1 else ''} on {m:,} certificate{'s' if m != 1 else ''}, "
            f"issued {span}, {len(self.columns)} columns"
        )

    def _view(self) -> View:
        head = self._frame.head(_SHOWN)
        return View(
            kind="Ledger",
            summary=self._summary(),
            more=".to_frame() shows them",
            tables=lambda: [(f"first {len(head)} of {len(self):,} rows", head.map(_shown))],
        )

    def __repr__(self) -> str:
        return self._view().text()

    def _repr_html_(self) -> str:
        return self._view().html()


def _shown(value: object) -> str:
    if value is pd.NA or value is pd.NaT or value is None:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


def _certificate_indices(only: object, count: int) -> list[int]:
    """Return `only` as a list of indices of the `count` certificates; refuse anything else.

    numpy ints are taken as the ints they stand for; booleans are refused, as every index
    of the library refuses them: a mask read as indices would pick certificates 0 and 1.
    """
    if isinstance(only, str | bytes) or not isinstance(only, Iterable):
        msg = f"only must be an iterable of certificate indices (ints), got {show(plain(only))}"
        raise InvalidArgumentError(msg)
    wanted = [plain(index) for index in only]
    for position, index in enumerate(wanted):
        if isinstance(index, bool):
            msg = (
                f"only[{position}]: must be a certificate index, got {index} ({index} equals "
                f"{int(index)} but is not certificate {int(index)}); to keep the certificates "
                "a boolean mask flags, pass np.flatnonzero(mask)"
            )
            raise InvalidArgumentError(msg)
        if not isinstance(index, int) or not 0 <= index < count:
            which = f"from 0 to {count - 1}" if count else "(the ledger has no certificates)"
            msg = f"only[{position}]: must be a certificate index {which}, got {show(index)}"
            raise InvalidArgumentError(msg)
    return wanted


def _count_runs(frame: pd.DataFrame) -> int:
    return int(runs(frame["number"])[-1]) + 1 if len(frame) else 0


def _canonical(
    frame: object, *, columns: Mapping[str, str | None] | None, source: str
) -> pd.DataFrame:
    """Check and parse `frame` into the canonical frame; raise `LoadError` listing problems."""
    if not isinstance(frame, pd.DataFrame):
        msg = f"a Ledger is built from a pandas DataFrame, got {type(frame).__name__}"
        raise InvalidArgumentError(msg)
    header = [str(name) if not isinstance(name, str) else name.strip() for name in frame.columns]
    problems = Problems(np.asarray(frame.index, dtype=object))
    names = _rename(header, columns, problems)
    positions = {name: i for i, name in enumerate(names) if name is not None}
    for name in REQUIRED:
        if name not in positions:
            problems.add("row 1" if source else "", f"missing required column {name!r}")
    for role, triple in PARTIES.items():
        present = [c for c in triple if c in positions]
        if present and len(present) < 3:
            missing = [c for c in triple if c not in positions]
            problems.add(
                "",
                f"the {role} needs all three columns {list(triple)}; missing {missing}",
            )
    parsed: dict[str, Any] = {}
    codes: dict[str, Any] = {}
    for name, position in positions.items():
        parsed[name], codes[name] = parse_column(name, frame.iloc[:, position], problems)
    canonical = pd.DataFrame(
        {name: parsed[name] for name in NAMES if name in parsed}, index=pd.RangeIndex(len(frame))
    )
    if not problems:
        check_rows(canonical, codes, problems)
    if problems:
        raise LoadError(problems.all(), source=source)
    return canonical.reset_index(drop=True)


def _rename(header: list[str], given: object, problems: Problems) -> list[str | None]:
    """Return each column's canonical name (None to leave it out), recording problems."""
    columns: Mapping[Any, Any]
    if given is None:
        columns = {}
    elif isinstance(given, Mapping):
        columns = given
    else:
        msg = f"columns must map your column names to canonical ones, got {show(given)}"
        raise InvalidArgumentError(msg)
    for key, value in columns.items():
        if not isinstance(key, str) or key not in header:
            problems.add(
                f"columns[{key!r}]",
                f"the data has no column {key!r}; its columns are {header}",
            )
        if value is not None and (not isinstance(value, str) or value not in BY_NAME):
            problems.add(
                f"columns[{key!r}]",
                f"{value!r} is not a ledger column; the columns are {list(NAMES)}",
            )
    names: list[str | None] = []
    for name in header:
        target = columns.get(name, name)
        if target is not None and (not isinstance(target, str) or target not in BY_NAME):
            if name not in columns:
                problems.add(
                    f"column {name!r}" if name else "a column without a name",
                    "unknown column; give its canonical name in columns= (such as "
                    f"columns={{{name!r}: 'carats'}}) or leave it out with "
                    f"columns={{{name!r}: None}}; the columns are {list(NAMES)}",
                )
            target = None
        names.append(target)
    seen: dict[str, int] = {}
    for canonical in names:
        if canonical is not None:
            seen[canonical] = seen.get(canonical, 0) + 1
    for name, count in seen.items():
        if count > 1:
            sources = [h for h, n in zip(header, names, strict=True) if n == name]
            problems.add(
                f"column {name!r}",
                f"appears {count} times (from columns {sources}); keep one",
            )
    return [None if n is not None and seen[n] > 1 else n for n in names]


def _rows(certificate: Certificate, **extra: object) -> list[dict[str, object]]:
    head: dict[str, object] = {
        "number": certificate.number,
        "issuing_country": certificate.issuing_country,
        "destination_country": certificate.destination_country,
        "issued": certificate.issued,
        "issuing_authority": certificate.issuing_authority,
        "expires": certificate.expires,
        "number_of_parcels": certificate.number_of_parcels,
        "kp_statement": certificate.kp_statement,
        "validated": certificate.validated,
        "language": certificate.language,
        "english_translation": certificate.english_translation,
        "forgery_resistant": certificate.forgery_resistant,
        **extra,
    }
    for role in ("exporter", "importer"):
        party = getattr(certificate, role)
        for key in ("name", "address", "country"):
            head[f"{role}_{key}"] = None if party is None else getattr(party, key)
    rows = []
    for parcel in certificate.parcels:
        declared = parcel.declared_origin
        rows.append(
            {
                **head,
                "hs_code": parcel.hs_code.value,
                "carats": parcel.carats,
                "value_usd": parcel.value_usd,
                "origin": None if declared is None else declared.origin,
                "declared_origins": "" if declared is None else declared.listed_text,
                "zone": parcel.zone,
            }
        )
    return rows


def _values(column: pd.Series) -> list[Any]:
    if pd.api.types.is_datetime64_dtype(column.dtype):
        return [None if pd.isna(v) else v.date() for v in column]
    return [None if v is pd.NA else v for v in column.astype(object)]


def _decimal(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def _certificate(
    columns: dict[str, list[Any]], declared: list[DeclaredOrigin | None], start: int, stop: int
) -> Certificate:
    def cell(name: str, default: object = None) -> Any:
        return columns[name][start] if name in columns else default

    parcels = []
    for i in range(start, stop):
        origin = declared[i]
        parcels.append(
            Parcel(
                hs_code=columns["hs_code"][i],
                carats=_decimal(columns["carats"][i]),
                value_usd=_decimal(columns["value_usd"][i]),
                origin=None if origin is None else origin.origin,
                declared_origins=() if origin is None else origin.listed,
                zone=columns["zone"][i] if "zone" in columns else None,
            )
        )
    parties = {}
    for role, (name, address, country) in PARTIES.items():
        given = cell(name) is not None
        parties[role] = (
            Party(name=cell(name), address=cell(address), country=cell(country)) if given else None
        )
    count: Any = cell("number_of_parcels")
    return Certificate(
        number=cell("number"),
        issuing_authority=cell("issuing_authority"),
        issuing_country=cell("issuing_country"),
        destination_country=cell("destination_country"),
        exporter=parties["exporter"],
        importer=parties["importer"],
        issued=cell("issued"),
        expires=cell("expires"),
        parcels=parcels,
        number_of_parcels=stop - start if count is None else int(count),
        kp_statement=bool(cell("kp_statement", True)),
        validated=bool(cell("validated", True)),
        language=cell("language", "en"),
        english_translation=bool(cell("english_translation", False)),
        forgery_resistant=bool(cell("forgery_resistant", True)),
    )
