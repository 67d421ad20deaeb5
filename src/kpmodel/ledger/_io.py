"""Ledger files by suffix: bytes in, a raw frame out; a canonical frame in, bytes out."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kpmodel._boundary import atomic_write, decode_text, display_path, show
from kpmodel._boundary import read_bytes as boundary_read_bytes
from kpmodel._output import csv_restore, csv_safe
from kpmodel.errors import InvalidArgumentError, LoadError, Problem

FORMATS = ("csv", "xlsx", "parquet", "json")
EXCEL_ROWS = 1_048_576
"""Rows in one worksheet of an .xlsx workbook, the header included."""


def path_of(path: object) -> Path:
    """Return `path` as a `Path`, or raise `InvalidArgumentError` for what is no path."""
    if not isinstance(path, str | os.PathLike) or isinstance(os.fspath(path), bytes):
        msg = f"path must be a file name (str or pathlib.Path), got {show(path)}"
        raise InvalidArgumentError(msg)
    if "\x00" in os.fspath(path):
        msg = f"path must not hold a NUL character, got {show(os.fspath(path))}"
        raise InvalidArgumentError(msg)
    return Path(path)


def format_of(path: Path) -> str:
    """Return the format named by `path`'s suffix, or raise naming the suffixes known."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        msg = (
            f"cannot tell the format of {str(path)!r} from its suffix {path.suffix!r}; "
            "use .csv, .xlsx, .parquet or .json"
        )
        raise InvalidArgumentError(msg)
    return suffix


def read_bytes(path: Path) -> bytes:
    """Return the bytes of `path`, or raise `LoadError` saying why it cannot be read."""
    return boundary_read_bytes(path, source=str(path))


def _error(source: str, message: str, *, path: str = "") -> LoadError:
    return LoadError([Problem(path, message)], source=source)


def _frame(header: list[str], body: np.ndarray[Any, Any], first_row: int) -> pd.DataFrame:
    """Return the non-blank `body` rows as a frame indexed by spreadsheet row number."""
    numbers = np.arange(first_row + 1, first_row + 1 + body.shape[0])
    cells = pd.DataFrame(body)
    blank = np.ones(body.shape[0], dtype=bool)
    for column in cells.columns:
        values = cells[column]
        empty = values.isna().to_numpy(dtype=bool)
        with contextlib.suppress(AttributeError):  # AttributeError: no text in this column
            empty = empty | (values.str.strip() == "").to_numpy(dtype=bool)
        blank &= empty
    width = len(header)
    while width and header[width - 1] == "" and blank_column(body, width - 1):
        width -= 1  # empty trailing columns a spreadsheet left behind
    return pd.DataFrame(
        body[~blank][:, :width],
        columns=pd.Index(header[:width], dtype=object),
        index=numbers[~blank],
    )


def blank_column(body: np.ndarray[Any, Any], index: int) -> bool:
    """Whether column `index` of `body` holds nothing but empty cells."""
    return all(_blank(cell) for cell in body[:, index])


def _blank(cell: object) -> bool:
    if isinstance(cell, float):
        return bool(np.isnan(cell))
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _header(cells: Any) -> list[str]:
    return ["" if _blank(cell) else str(cell).strip() for cell in cells]


def read_csv(raw: bytes, source: str) -> pd.DataFrame:
    """Parse CSV bytes (UTF-8, a byte-order mark allowed) into a frame of text cells."""
    text = decode_text(raw, source=source)
    if not text.strip():
        raise _error(source, "the file is empty; expected a header row", path="row 1")
    try:
        table = pd.read_csv(
            io.StringIO(text, newline=""),
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            engine="c",
        )
    except (pd.errors.ParserError, csv.Error, ValueError) as error:
        raise _error(source, f"not valid CSV: {error}") from None
    values = table.to_numpy(dtype=object)
    return csv_restore(_frame(_header(values[0]), values[1:], 1))


def read_xlsx(raw: bytes, source: str) -> pd.DataFrame:
    """Read the first worksheet of an .xlsx workbook: values only, never formulas."""
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - depends on the environment
        msg = "reading .xlsx needs openpyxl: pip install 'kpmodel[excel]'"
        raise InvalidArgumentError(msg) from None
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as error:
        msg = f"not a readable .xlsx workbook ({type(error).__name__}: {error})"
        raise _error(source, msg) from None
    except Exception as error:  # openpyxl raises its own exceptions on damaged files
        msg = f"not a readable .xlsx workbook ({type(error).__name__}: {error})"
        raise _error(source, msg) from None
    try:
        sheet = book.worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    except Exception as error:  # damaged sheet XML
        msg = f"not a readable .xlsx workbook ({type(error).__name__}: {error})"
        raise _error(source, msg) from None
    finally:
        book.close()
    if not rows:
        raise _error(source, "the sheet is empty; expected a header row", path="row 1")
    width = max(len(row) for row in rows)
    body = np.empty((len(rows) - 1, width), dtype=object)
    for i, row in enumerate(rows[1:]):
        body[i, : len(row)] = row
    return _frame(_header([*rows[0], *[None] * (width - len(rows[0]))]), body, 1)


def read_parquet(raw: bytes, source: str) -> pd.DataFrame:
    """Read a Parquet file into a frame (its index is dropped; rows are numbered from 0)."""
    try:
        import pyarrow.parquet as pq  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - depends on the environment
        msg = "reading .parquet needs pyarrow: pip install 'kpmodel[parquet]'"
        raise InvalidArgumentError(msg) from None
    try:
        table = pq.read_table(io.BytesIO(raw))
        table.validate(full=True)  # text that is not UTF-8 fails here, not later in pandas
        frame: pd.DataFrame = table.to_pandas()
    except Exception as error:  # pyarrow's errors (ArrowInvalid, ...) on damaged files
        msg = f"not a readable Parquet file ({type(error).__name__}: {error})"
        raise _error(source, msg) from None
    return frame.reset_index(drop=True)


def _text_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Return `frame` with every cell as CSV text: ISO dates, true/false, empty for missing."""
    out = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_datetime64_dtype(column.dtype):
            out[name] = column.dt.strftime("%Y-%m-%d").fillna("")
        elif pd.api.types.is_bool_dtype(column.dtype):
            out[name] = column.map({True: "true", False: "false"}).astype(object)
        elif pd.api.types.is_float_dtype(column.dtype):
            out[name] = column.map(repr)
        else:
            out[name] = column.astype(object).where(column.notna(), "").map(str)
    return pd.DataFrame(out, columns=frame.columns)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """Return the CSV text of a canonical frame, encoded as UTF-8."""
    buffer = io.StringIO()
    # text cells a spreadsheet would run as formulas (=, +, -, @) are neutralised (read_csv
    # undoes it), in the one helper every CSV writer uses
    _text_cells(csv_safe(frame)).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(frame: pd.DataFrame) -> bytes:
    """Return an .xlsx workbook of a canonical frame: text cells stay text, never formulas."""
    try:
        import openpyxl
        from openpyxl.cell import WriteOnlyCell
    except ImportError:  # pragma: no cover - depends on the environment
        msg = "writing .xlsx needs openpyxl: pip install 'kpmodel[excel]'"
        raise InvalidArgumentError(msg) from None
    if len(frame) + 1 > EXCEL_ROWS:
        msg = (
            f"a ledger of {len(frame):,} rows does not fit in one .xlsx worksheet "
            f"({EXCEL_ROWS - 1:,} rows at most); write .csv or .parquet instead"
        )
        raise InvalidArgumentError(msg)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("ledger")
    sheet.append(list(frame.columns))
    columns = []
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_datetime64_dtype(column.dtype):
            columns.append([None if pd.isna(v) else v.date() for v in column])
        elif pd.api.types.is_float_dtype(column.dtype):
            columns.append(column.tolist())
        else:
            columns.append([None if v is pd.NA else v for v in column.astype(object)])
    for row in zip(*columns, strict=True):
        cells = []
        for value in row:
            if isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # text that looks like a formula stays text
                cells.append(cell)
            elif isinstance(value, dt.date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """Return a Parquet file of a canonical frame."""
    try:
        import pyarrow  # noqa: F401  (only to name the extra when it is missing)
    except ImportError:  # pragma: no cover - depends on the environment
        msg = "writing .parquet needs pyarrow: pip install 'kpmodel[parquet]'"
        raise InvalidArgumentError(msg) from None
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, engine="pyarrow")
    return buffer.getvalue()


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` all or nothing (`kpmodel._boundary.atomic_write`)."""
    folder = path.parent
    if not folder.is_dir():
        msg = f"cannot write {display_path(path)!r}: the folder does not exist"
        raise InvalidArgumentError(msg)
    if path.is_dir():
        msg = f"cannot write {display_path(path)!r}: it is a folder; give a file name"
        raise InvalidArgumentError(msg)
    try:
        atomic_write(path, data)  # the temporary file is removed on failure
    except OSError as error:
        msg = f"cannot write {display_path(path)!r}: {error.strerror or error}"
        raise InvalidArgumentError(msg) from error
