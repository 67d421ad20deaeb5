"""Cells to canonical columns: every ledger reader parses its values here, in one place.

Each parser takes the raw column (any dtype: text from CSV, numbers and datetimes from a
workbook or a DataFrame) and returns the canonical column plus the cells it refused.
Values are parsed once per distinct value (`pandas.factorize`), so a million rows with a
few thousand distinct dates cost a few thousand parses.

The rules are those of the boundary layer (`kpmodel._boundary`), which decides every
distinct value: country and participant codes (upper case, no padding), numbers (finite,
at most `kpmodel._boundary.MAX_QUANTITY`; text as decimal text), dates (strict ISO text or
dates). Two things are the table's own: a column of floats is checked with numpy, by the
same rules, and a spreadsheet's date cell (a datetime at midnight) is read as its day.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final

import numpy as np
import pandas as pd

from kpmodel._boundary import (
    MAX_QUANTITY,
    as_date,
    country_code,
    finite_decimal,
    finite_float,
    is_encodable,
    participant_code,
    whole_number,
)
from kpmodel._lot_ids import plain
from kpmodel.certificates import MIXED, DeclaredOrigin, HSCode
from kpmodel.errors import InvalidArgumentError, KPModelError, Problem
from kpmodel.ledger._schema import BY_NAME, CERTIFICATE_LEVEL, PARTIES

TEXT: Any = pd.StringDtype("python")
DATE: Final = "datetime64[ns]"
MAX_PROBLEMS = 1000
"""At most this many problems are listed one by one; the rest are counted."""

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
# Timestamps pandas can hold in nanoseconds: 1677-09-22 to 2262-04-11.
_FIRST_DAY, _LAST_DAY = dt.date(1677, 9, 22), dt.date(2262, 4, 11)


class _BadCellError(Exception):
    """The cell cannot be read; the message says what was expected and what was got."""


class Problems:
    """Problems found while parsing, each with its row and column; counted past a limit."""

    def __init__(self, rows: np.ndarray[Any, Any]) -> None:
        self.rows = rows  # the label of each row, as the messages name it
        self.listed: list[Problem] = []
        self.more = 0

    def add(self, path: str, message: str) -> None:
        if len(self.listed) < MAX_PROBLEMS:
            self.listed.append(Problem(path, message))
        else:
            self.more += 1

    def cells(self, column: str, positions: np.ndarray[Any, Any], message: str) -> None:
        room = max(0, MAX_PROBLEMS - len(self.listed))
        for position in positions[:room].tolist():
            self.listed.append(Problem(f"row {self.rows[position]}, column {column!r}", message))
        self.more += max(0, positions.size - room)

    def __bool__(self) -> bool:
        return bool(self.listed) or self.more > 0

    def all(self) -> list[Problem]:
        if self.more:
            count = f"{self.more:,}"
            return [*self.listed, Problem("", f"... and {count} more problems of the same kinds")]
        return list(self.listed)


def _got(value: object) -> str:
    # The one rule (`plain`): 3.5, not np.float64(3.5); a float32 in its own digits; a
    # numpy date as itself, not the bare int of its nanoseconds.
    value = plain(value)
    return (
        f"got {value!r}" if isinstance(value, str) else f"got {value!r} ({type(value).__name__})"
    )


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _real(value: object) -> float | None:
    """Return `value` as a float if it is a number (not a bool), else None."""
    # numpy's durations are numpy integers, but five days are not the number 5.
    if isinstance(value, int | float | np.integer | np.floating | Decimal) and not isinstance(
        value, bool | np.timedelta64
    ):
        try:
            return float(value)
        except (OverflowError, ValueError):  # an int of hundreds of digits; Decimal('sNaN')
            return None
    return None


def _all_characters(texts: np.ndarray[Any, Any]) -> bool:
    """Whether `texts` need no more than stripping: no lone surrogate, CR or NUL."""
    joined = "".join(texts)
    return is_encodable(joined) and "\r" not in joined and "\x00" not in joined


def _text(value: object) -> str:
    if isinstance(value, str):
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as error:  # a lone surrogate is no character
                msg = f"holds {error.object[error.start]!r}, which is not a character"
                raise _BadCellError(msg) from None
        if "\x00" in value:  # no file format keeps it as text
            raise _BadCellError(f"holds a NUL character, {_got(value)}")
        # One line ending, as every format keeps it (a workbook turns CR LF into LF).
        return value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.timedelta64):
        return str(int(value))  # a number a spreadsheet stored as a number, such as 123
    raise _BadCellError(f"must be text, {_got(value)}")


def _decided(check: Callable[..., Any], value: object, **bounds: Any) -> Any:
    """Return `check(value)`, a `kpmodel._boundary` helper; its refusal becomes the cell's."""
    try:
        return check(value, path="", error=InvalidArgumentError, **bounds)
    except KPModelError as error:
        raise _BadCellError(str(error)) from None


def _code(value: object, *, participant: bool) -> str:
    code: str = _decided(participant_code if participant else country_code, value)
    return code


def _date(value: object) -> dt.date:
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, dt.datetime):  # a spreadsheet's date cell, or a pandas Timestamp
        if value.tzinfo is not None:
            raise _BadCellError(f"must be a date without a time zone, {_got(value)}")
        if value.time() != dt.time(0):
            raise _BadCellError(f"must be a date without a time of day, {_got(value)}")
        value = value.date()
    if not isinstance(value, dt.date | str):
        raise _BadCellError(f"must be a date such as '2023-03-01', {_got(value)}")
    try:
        day = as_date(value, path="", error=InvalidArgumentError)
    except KPModelError:
        raise _BadCellError(f"must be an ISO date such as '2023-03-01', got {value!r}") from None
    if not _FIRST_DAY <= day <= _LAST_DAY:
        raise _BadCellError(f"must be a date between {_FIRST_DAY} and {_LAST_DAY}, {_got(value)}")
    return day


def _hs_code(value: object) -> str:
    # A float32 7102.1 is the 7102.1 written (`plain`), not 7102.10009765625.
    value = plain(value)
    text = value
    number = _real(value)
    if number is not None:
        # A spreadsheet turns 7102.10 into the number 7102.1 (but 7102.1001 is no HS code).
        text = f"{number:.2f}"
        if not (7102 < number < 7103 and float(text) == number):
            text = str(value)
    if not isinstance(text, str):
        raise _BadCellError(f"must be an HS code such as '7102.10', {_got(value)}")
    try:
        return HSCode(text.strip()).value
    except KPModelError as error:
        raise _BadCellError(str(error)) from None


def _boolean(value: object) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if _real(value) in (0.0, 1.0):
        return _real(value) == 1.0
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _BadCellError(f"must be true or false (or yes/no, 1/0), {_got(value)}")


def _count(value: object) -> int:
    if isinstance(value, str):
        digits = value.strip()
        if not (digits.isascii() and digits.isdigit() and len(digits) <= len(str(MAX_QUANTITY))):
            raise _BadCellError(f"must be a whole number of at least 0, got {value!r}")
        value = int(digits)
    count: int = _decided(whole_number, value, minimum=0)
    return count


def _origin(value: object) -> str:
    if value == MIXED:
        return MIXED
    try:
        return _code(value, participant=False)
    except _BadCellError:
        msg = (
            "must be an ISO 3166-1 alpha-2 country code or 'MIXED' (empty if the certificate "
            f"states none), {_got(value)}"
        )
        if isinstance(value, str) and value.strip().upper() == MIXED:
            msg += f"; write it in capitals without spaces: {MIXED!r}"
        raise _BadCellError(msg) from None


def _listed(value: object) -> str:
    if isinstance(value, list | tuple | np.ndarray):
        codes = [plain(code) for code in value]
    elif isinstance(value, str):
        codes = [code.strip() for code in value.replace(",", ";").split(";") if code.strip()]
    else:
        raise _BadCellError(
            f"must be country codes separated by ';' such as 'BW;RU', {_got(value)}"
        )
    try:
        return DeclaredOrigin.mixed(codes).listed_text
    except KPModelError as error:
        message = str(error).partition(": ")[2]
        raise _BadCellError(
            f"{message}; list country codes separated by ';' such as 'BW;RU'"
        ) from None


_PARSERS: dict[str, Callable[[object], object]] = {
    "text": _text,
    "participant": lambda v: _code(v, participant=True),
    "country": lambda v: _code(v, participant=False),
    "date": _date,
    "hs_code": _hs_code,
    "boolean": _boolean,
    "count": _count,
    "origin": _origin,
    "listed": _listed,
}


def _by_value(
    name: str, raw: pd.Series, problems: Problems, parse: Callable[[object], object]
) -> tuple[list[object], np.ndarray[Any, Any]]:
    """Parse each distinct value once; return the parsed values and each row's code."""
    try:
        codes, found = pd.factorize(raw, use_na_sentinel=True)
        uniques = np.asarray(found, dtype=object)
        if found.dtype in (np.float16, np.float32):
            # As objects, a float32's numbers widen to float64's digits (7102.1 to
            # 7102.10009765625): each is the number of its own digits (`plain`) instead.
            uniques = np.array([plain(v) for v in found.to_numpy()], dtype=object)
    except (TypeError, ValueError):  # unhashable cells (lists, a unitless duration): each row
        uniques = raw.to_numpy(dtype=object)
        codes = np.arange(len(uniques))
    codes = np.asarray(codes, dtype=np.int64)
    parsed: list[object] = []
    optional = BY_NAME[name].nullable or name == "declared_origins"
    empty = "" if name == "declared_origins" else None
    messages: dict[int, str] = {}
    if (
        parse is _text
        and pd.api.types.infer_dtype(uniques, skipna=False) == "string"
        and _all_characters(uniques)
    ):
        # The common case, a column of text (certificate numbers: one value per certificate).
        parsed = [value.strip() or empty for value in uniques]
        if not optional:
            messages.update(
                (k, "is empty; it needs a value") for k, v in enumerate(parsed) if v is None
            )
        uniques = uniques[:0]
    for k, value in enumerate(uniques):
        if _is_missing(value) and not isinstance(value, list):
            if not optional:
                messages[k] = "is empty; it needs a value"
            parsed.append(empty)
            continue
        try:
            parsed.append(parse(value))
        except _BadCellError as error:
            messages[k] = str(error)
            parsed.append(empty)
    if (codes < 0).any():  # missing cells (None, NaN, NA)
        if not optional:
            messages[len(parsed)] = "is empty; it needs a value"
        codes = np.where(codes < 0, len(parsed), codes)
        parsed.append(empty)
    if messages:
        bad = np.zeros(len(parsed), dtype=bool)
        bad[list(messages)] = True
        positions = np.flatnonzero(bad[codes])
        room = max(0, MAX_PROBLEMS - len(problems.listed))
        for position in positions[:room].tolist():
            problems.cells(name, np.array([position]), messages[int(codes[position])])
        problems.more += max(0, positions.size - room)
    return parsed, codes


def parse_column(
    name: str, raw: pd.Series, problems: Problems
) -> tuple[Any, np.ndarray[Any, Any] | None]:
    """Return column `name` as a canonical array, and each row's code of distinct value.

    Refused cells are added to `problems`. The codes (None for numbers) let certificate
    columns be compared between rows cheaply.
    """
    kind = BY_NAME[name].kind
    if kind in ("positive", "amount"):
        return _numbers(name, raw, problems, positive=kind == "positive"), None
    if kind == "date" and pd.api.types.is_datetime64_dtype(raw.dtype):
        values = _datetimes(name, raw, problems)
        return values, values.view(np.int64)
    parsed: Any
    parsed, codes = _by_value(name, raw, problems, _PARSERS[kind])
    if kind == "date":
        table = pd.array([pd.NaT if v is None else v for v in parsed], dtype=DATE)
        return np.asarray(table).take(codes), codes
    if kind == "boolean":
        return np.array([bool(v) for v in parsed], dtype=bool)[codes], codes
    if kind == "count":
        return pd.array(parsed, dtype="Int64").take(codes), codes
    return pd.array(parsed, dtype=TEXT).take(codes), codes


def _numbers(
    name: str, raw: pd.Series, problems: Problems, *, positive: bool
) -> np.ndarray[Any, Any]:
    expected = "greater than 0" if positive else "0 or more"
    if pd.api.types.is_bool_dtype(raw.dtype):
        problems.cells(name, np.arange(len(raw)), f"must be a number {expected}, got true/false")
        return np.full(len(raw), np.nan)
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_complex_dtype(raw.dtype):
        # The rules of kpmodel._boundary.finite_float, checked on the whole column at once.
        values = raw.to_numpy(dtype=np.float64, na_value=np.nan)
        problems.cells(name, np.flatnonzero(np.isnan(values)), "is empty; it needs a value")
        problems.cells(name, np.flatnonzero(np.isinf(values)), "must be a finite number")
    else:
        parsed, codes = _by_value(name, raw, problems, _number)
        table = np.array([np.nan if v is None else v for v in parsed], dtype=np.float64)
        values = table[codes] if len(raw) else np.zeros(0)
    with np.errstate(invalid="ignore"):
        huge = np.isfinite(values) & (values > MAX_QUANTITY)
        problems.cells(name, np.flatnonzero(huge), f"must be at most {MAX_QUANTITY:,}")
        out = np.flatnonzero((values <= 0) if positive else (values < 0))
    room = max(0, MAX_PROBLEMS - len(problems.listed))
    for position in out[:room].tolist():
        got = plain(raw.iat[position])
        problems.cells(name, np.array([position]), f"must be {expected}, got {str(got)!r}")
    problems.more += max(0, out.size - room)
    return values


def _number(value: object) -> float:
    if isinstance(value, str):
        number: float = float(_decided(finite_decimal, value.strip(), maximum=None))
        if not math.isfinite(number):  # decimal text beyond a float, such as '1e400'
            raise _BadCellError(f"must be a finite number, got {value!r}")
        return number
    return float(_decided(finite_float, value, maximum=None))


def _datetimes(name: str, raw: pd.Series, problems: Problems) -> np.ndarray[Any, Any]:
    values = raw.astype(DATE)
    timed = np.flatnonzero((values.notna() & (values != values.dt.normalize())).to_numpy())
    if timed.size:
        problems.cells(name, timed, "must be a date without a time of day")
    if not BY_NAME[name].nullable:
        problems.cells(
            name, np.flatnonzero(values.isna().to_numpy()), "is empty; it needs a value"
        )
    return values.to_numpy()


def check_rows(
    frame: pd.DataFrame, codes: dict[str, np.ndarray[Any, Any] | None], problems: Problems
) -> None:
    """Check what spans columns: declared origins, parties, and certificates' own columns."""
    listed = frame["declared_origins"].to_numpy(dtype=object)
    origin = objects(frame["origin"])
    wrong = np.flatnonzero((listed != "") & (origin != MIXED))
    for position in wrong[:MAX_PROBLEMS].tolist():
        problems.add(
            f"row {problems.rows[position]}, column 'declared_origins'",
            "only a parcel of mixed origin (origin 'MIXED') lists declared origins; this "
            f"parcel's origin is {origin[position]!r}",
        )
    problems.more += max(0, wrong.size - MAX_PROBLEMS)
    for columns in PARTIES.values():
        if columns[0] not in frame.columns:
            continue
        given = np.column_stack([frame[c].notna().to_numpy() for c in columns])
        partial = given.any(axis=1) & ~given.all(axis=1)
        for c, column in enumerate(columns):
            problems.cells(
                column,
                np.flatnonzero(partial & ~given[:, c]),
                "is empty while the party's other cells are not; give its name, address and "
                "country, or leave all three empty",
            )
    _check_certificates(frame, codes, problems)


def objects(column: pd.Series) -> np.ndarray[Any, Any]:
    """Return the cells of `column` as Python objects, None where missing."""
    values = column.to_numpy(dtype=object, copy=True)  # without copy=True, a view of the column
    values[pd.isna(values)] = None
    return values


def runs(number: pd.Series) -> np.ndarray[Any, Any]:
    """Return the run of each row: consecutive rows with the same number share one (0, 1, ...)."""
    values = number.to_numpy(dtype=object)
    if number.hasnans:
        values = pd.factorize(number, use_na_sentinel=False)[0]
    starts = np.ones(len(values), dtype=bool)
    if len(values) > 1:
        starts[1:] = values[1:] != values[:-1]
    return np.cumsum(starts) - 1


def _check_certificates(
    frame: pd.DataFrame, codes: dict[str, np.ndarray[Any, Any] | None], problems: Problems
) -> None:
    run = runs(frame["number"])
    first = np.flatnonzero(np.r_[True, run[1:] != run[:-1]]) if len(run) else run
    head = first[run]  # the position of the first row of each row's certificate
    repeated = np.flatnonzero(head != np.arange(len(run)))
    if repeated.size == 0:
        return
    for name in CERTIFICATE_LEVEL:
        if name not in frame.columns or name == "number":
            continue
        column = frame[name]
        keys = codes.get(name)
        if keys is None:
            keys = pd.factorize(column, use_na_sentinel=False)[0]
        differ = repeated[keys[repeated] != keys[head[repeated]]]
        for position in differ[:MAX_PROBLEMS].tolist():
            start = int(head[position])
            problems.add(
                f"row {problems.rows[position]}, column {name!r}",
                f"differs from row {problems.rows[start]} "
                f"({_plain_cell(column.iat[start])!r}) within certificate "
                f"{frame['number'].iat[start]!r}, got {_plain_cell(column.iat[position])!r}; "
                "repeat the certificate's columns on each of its parcel rows",
            )


def _plain_cell(value: object) -> object:
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return plain(value)
