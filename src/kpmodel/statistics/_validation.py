"""Validate tidy statistics tables cell by cell, collecting every problem."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np
import pandas as pd

from kpmodel.errors import LoadError, Problem

FLOWS = ("production", "import", "export")


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
            self.problems.append(
                Problem(
                    f"{row_label(label, csv_rows=self.csv_rows)}, column {column!r}",
                    f"must be {expected}; got {value!r}.",
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
) -> pd.Series:
    """Return `column` as float64, recording every cell that is not a valid number."""
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").astype("float64")
    blank = raw.isna() | raw.astype("string").str.strip().eq("").fillna(True)
    bad = values.isna() | ~np.isfinite(values.fillna(0.0)) | (values < 0)
    if integer:
        bad |= values.fillna(0.0) % 1 != 0
    if allowed is not None:
        bad |= ~values.isin(list(allowed))
    if optional:
        bad &= ~blank
    problems.bad_cells(frame, column, bad, expected)
    return values


def text(
    frame: pd.DataFrame, column: str, problems: ProblemCollector, *, expected: str
) -> pd.Series:
    """Return `column` as stripped strings, recording every empty cell."""
    values = frame[column].astype("string").str.strip()
    bad = values.isna() | values.eq("")
    problems.bad_cells(frame, column, bad.fillna(True), expected)
    return values.fillna("")
