r"""Output hardening shared by every writer: CSV cells a spreadsheet would run, file names.

CSV: a spreadsheet (Excel, LibreOffice Calc, Google Sheets) runs a cell as a formula when its
text starts with ``=``, ``+``, ``-`` or ``@`` (and some also after a tab or carriage return),
so a participant called ``=cmd|' /C calc'!A0`` in a statistics table becomes a command. Every
CSV writer passes its frame through `csv_safe`, which prefixes such text cells with an
apostrophe (the OWASP "CSV injection" advice): the spreadsheet shows the text as written and
runs nothing. Numbers stay numbers (``-3.5`` in a float column is not text), and text that is
just a number (``"-3.5"``) is left alone, since a spreadsheet reads it as a number, not a
formula. `csv_restore` undoes it for readers of kpmodel's own CSV files.

File names: `display_path` gives a file name as printable text whatever its bytes (a name that
is not valid UTF-8 comes from the file system as surrogate escapes, which cannot be printed or
encoded; it is shown with backslash escapes instead).

>>> csv_cell("=1+1"), csv_cell("-3.5"), csv_cell("Antwerp")
("'=1+1", '-3.5', 'Antwerp')
"""

from __future__ import annotations

import math
import os
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: First characters that make a spreadsheet read a cell as a formula (or a DDE command).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?%?")
_QUOTED = re.compile(r"'+[=+\-@\t\r\n]")


def csv_cell(text: str) -> str:
    """Return `text` safe for a spreadsheet: an apostrophe before a formula's first character.

    Text that only looks like a signed number (``"-3.5"``, ``"+2e3"``) is left as it is.
    Text that already starts with apostrophes before such a character gains one more, so
    that `csv_uncell` gives the original back exactly.
    """
    stripped = text.lstrip(" ")
    if _QUOTED.match(text):
        return "'" + text
    if stripped.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(stripped):
        return "'" + text
    return text


def csv_uncell(text: str) -> str:
    """Undo `csv_cell`: drop the apostrophe it added before a formula's first character."""
    if text.startswith("'") and csv_cell(text[1:]) == text:
        return text[1:]
    return text


def _is_text_column(series: pd.Series) -> bool:
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _is_text_column(pd.Series(dtype.categories))
    return bool(pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype))


def _safe_value(value: Any) -> Any:
    return csv_cell(value) if isinstance(value, str) else value


def _restored_value(value: Any) -> Any:
    return csv_uncell(value) if isinstance(value, str) else value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Return `frame` with every text cell and column name passed through `csv_cell`.

    Numeric, boolean and date columns are returned unchanged; the frame given is not changed.
    """
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if not _is_text_column(series):
            continue
        if isinstance(series.dtype, pd.CategoricalDtype):
            out[column] = series.cat.rename_categories(
                [_safe_value(c) for c in series.cat.categories]
            )
        else:
            out[column] = series.map(_safe_value, na_action="ignore").astype(series.dtype)
    out.columns = [_safe_value(c) for c in out.columns]
    return out


def csv_restore(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo `csv_safe` on a frame read back from a CSV file kpmodel wrote."""
    import pandas as pd

    out = frame.copy()
    for position in range(out.shape[1]):  # by position: a header may repeat a name
        series = out.iloc[:, position]
        if _is_text_column(series) and not isinstance(series.dtype, pd.CategoricalDtype):
            restored = series.map(_restored_value, na_action="ignore").astype(series.dtype)
            out.isetitem(position, restored.array)
    out.columns = [_restored_value(c) for c in out.columns]
    return out


def printable(text: str) -> str:
    r"""Return `text` with what cannot be encoded (surrogate escapes of bytes that were not
    UTF-8) shown as backslash escapes, so that it can be printed and written anywhere.

    >>> printable("caf\udce9.csv")
    'caf\\xe9.csv'
    """
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def display_path(path: str | bytes | os.PathLike[Any]) -> str:
    r"""Return a file name as printable text, whatever its encoding.

    Names that are not valid UTF-8 (or hold control characters) come back with backslash
    escapes, so they can be printed, logged and encoded in an error message.

    >>> display_path(b"caf\xe9.csv")
    'caf\\xe9.csv'
    """
    shown = printable(os.fsdecode(os.fspath(path)))
    if shown.isprintable():
        return shown
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in shown)


def plain_cell(value: Any) -> Any:
    """Return plain Python for a table cell: numpy scalars unwrapped, NaN and NA as None.

    Text tables and JSON output both show cells through this, so they agree.

    >>> import numpy as np
    >>> plain_cell(np.int64(3)), plain_cell(float("nan")), plain_cell(np.datetime64("2013-05-23"))
    (3, None, '2013-05-23')
    """
    import pandas as pd

    if hasattr(value, "item") and not isinstance(value, list | dict | str):
        value = value.item()
    if value is pd.NA or value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, int | float | str | bool):
        return value
    return str(value)
