"""Validate tidy statistics tables cell by cell, collecting every problem."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

import numpy as np
import pandas as pd

from kpmodel._boundary import MAX_QUANTITY, is_encodable, show
from kpmodel.errors import LoadError, Problem

FLOWS = ("production", "import", "export")


_PLAIN = {"string", "integer", "floating", "mixed-integer-float", "decimal", "boolean", "empty"}


def scalars(values: pd.Series) -> pd.Series:
    """Return `values`, with cells that are not scalars (lists, dicts, objects) or not text a
    file can hold (lone surrogates) replaced by text that no check accepts.

    Only object columns are looked at, and only when they hold such cells, so the cost is one
    pass over the column: such cells are then reported as bad values rather than crashing
    pandas (which cannot hash a list or parse a dict as a number).
    """
    if values.dtype != object:
        return values
    if pd.api.types.infer_dtype(values, skipna=True) in _PLAIN and _all_characters(values):
        return values  # the common case (text read from CSV) costs a few C-speed passes
    odd = values.map(_odd)
    if not odd.any():
        return values
    return values.where(~odd, values[odd].map(_shown))


def _all_characters(values: pd.Series) -> bool:
    """Whether the text in `values` holds no lone surrogate (which no text format can hold)."""
    return is_encodable("".join(v for v in pd.unique(values) if isinstance(v, str)))


def _no_huge_int(value: object) -> object:
    return None if isinstance(value, int) and abs(value) > 2**63 else value


def _odd(value: object) -> bool:
    if isinstance(value, str):
        return not is_encodable(value)
    return not isinstance(value, int | float | np.generic | type(None))


def _shown(value: object) -> str:
    if isinstance(value, str):  # shown with its lone surrogates escaped, so never valid
        return "<not text: " + value.encode("utf-8", "backslashreplace").decode("utf-8") + ">"
    return f"<{type(value).__name__}>"


def row_label(label: Hashable, *, csv_rows: bool) -> str:
    """Name a row as users see it: a CSV data row (line = row + 1) or a frame index label."""
    if csv_rows:
        number = int(label) + 1  # type: ignore[call-overload]  # positional ints from read_csv
        return f"row {number} (line {number + 1})"
    return f"row {label!r}"


class ProblemCollector:
    """Collect problems for one table, then raise them all at once."""

    def __init__(self, *, source: str = "", csv_rows: bool = False) -> None:
        self.problems: list[Problem] = []
        self.source = source
        self.csv_rows = csv_rows

    def missing_columns(self, frame: pd.DataFrame, required: Iterable[str]) -> bool:
        """Record every required column that is absent; return True when some are."""
        missing = [name for name in required if name not in frame.columns]
        for name in missing:
            self.problems.append(
                Problem(
                    f"column {name!r}",
                    f"is required but missing; the columns found are {list(frame.columns)!r}. "
                    "Add the column (see the KPStatistics documentation for the format).",
                )
            )
        return bool(missing)

    def bad_cells(self, frame: pd.DataFrame, column: str, bad: pd.Series, expected: str) -> None:
        """Record one problem per row where `bad` is true."""
        for label in frame.index[bad.to_numpy(dtype=bool)]:
            value = frame.at[label, column]
            if isinstance(value, np.generic):
                value = value.item()  # show 3, not np.int64(3)
            self.problems.append(
                Problem(
                    f"{row_label(label, csv_rows=self.csv_rows)}, column {column!r}",
                    f"must be {expected}; got {show(value)}.",
                )
            )

    def raise_if_any(self) -> None:
        """Raise a LoadError listing every problem, if there is any."""
        if self.problems:
            raise LoadError(self.problems, source=self.source)


def numbers(
    frame: pd.DataFrame,
    column: str,
    problems: ProblemCollector,
    *,
    expected: str,
    integer: bool = False,
    optional: bool = False,
    allowed: Iterable[float] | None = None,
    minimum: float = 0,
    maximum: float = MAX_QUANTITY,
) -> pd.Series:
    """Return `column` as float64, recording every cell that is not a valid number.

    Valid numbers are finite and within ``[minimum, maximum]`` (by default from 0 to the
    boundary layer's `MAX_QUANTITY`, so sums of millions of rows stay finite).
    """
    raw = scalars(frame[column])
    try:
        values = pd.to_numeric(raw, errors="coerce").astype("float64")
    except OverflowError:  # an integer of hundreds of digits: no quantity, so a bad cell
        values = pd.to_numeric(raw.map(_no_huge_int), errors="coerce").astype("float64")
    array = values.to_numpy()
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(array) | (array < minimum) | (array > maximum)
    if integer:
        bad |= np.nan_to_num(array) % 1 != 0
    if allowed is not None:
        bad |= ~np.isin(array, list(allowed))
    if optional and bad.any():
        # Blank cells are allowed: only look at text where something failed (cheap at scale).
        suspects = raw[bad]
        blank = suspects.isna() | suspects.astype("string").str.strip().eq("").fillna(True)
        bad[np.flatnonzero(bad)[blank.to_numpy(dtype=bool)]] = False
    if bad.any():
        problems.bad_cells(frame, column, pd.Series(bad, index=frame.index), expected)
    return values


def labels(
    frame: pd.DataFrame,
    column: str,
    problems: ProblemCollector,
    *,
    expected: str,
    allowed: Iterable[str] | Callable[[str], bool] | None = None,
    lower: bool = False,
) -> pd.Categorical:
    """Return `column` as a categorical of stripped labels, recording every bad cell.

    Only the distinct values are cleaned and checked, so millions of rows cost little.
    """
    codes, uniques = pd.factorize(scalars(frame[column]), use_na_sentinel=True)
    cleaned = pd.Series(pd.Index(uniques).astype("string")).str.strip()
    if lower:
        cleaned = cleaned.str.lower()
    ok = (cleaned.notna() & cleaned.ne("")).fillna(False)
    if callable(allowed):
        ok &= cleaned.map(lambda v: isinstance(v, str) and allowed(v)).astype(bool)
    elif allowed is not None:
        ok &= cleaned.isin(list(allowed)).fillna(False)
    good = np.append(np.asarray(ok, dtype=bool), False)  # index -1 (missing) is bad
    bad = ~good[codes]
    if bad.any():
        problems.bad_cells(frame, column, pd.Series(bad, index=frame.index), expected)
    names = cleaned.fillna("").to_numpy(dtype=str)
    categories = np.unique(names[np.asarray(ok, dtype=bool)])
    remap = np.append(np.searchsorted(categories, names), -1)
    new_codes = np.where(bad, -1, remap[codes]).astype("int64")
    result: pd.Categorical = pd.Categorical.from_codes(
        new_codes, categories=pd.Index(categories.tolist()), validate=False
    )
    return result


def text(
    frame: pd.DataFrame, column: str, problems: ProblemCollector, *, expected: str
) -> pd.Series:
    """Return `column` as stripped strings, recording every empty cell."""
    values = scalars(frame[column]).astype("string").str.strip()
    bad = values.isna() | values.eq("")
    problems.bad_cells(frame, column, bad.fillna(True), expected)
    return values.fillna("").astype(str)
