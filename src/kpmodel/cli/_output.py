"""Output of table commands: an 80-column text table, CSV or JSON."""

from __future__ import annotations

import json
import math
import textwrap
from typing import Any

import pandas as pd

from kpmodel._output import csv_safe

FORMATS = ("table", "csv", "json")

#: Terminal width the text tables fit in.
WIDTH = 80
_GAP = "  "
_NARROWEST = 8


def _plain(value: Any) -> Any:
    """Plain Python for JSON: numpy scalars unwrapped, NaN and NA as null."""
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        value = value.item()
    if value is pd.NA or value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (int, float, str, bool)):
        return value
    return str(value)


def _cell(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.3f}"
    return str(value)


def _widths(cells: list[list[str]], headers: list[str], width: int) -> list[int]:
    """Column widths that fit `width`: narrow columns keep their width, wide ones share the rest.

    Water-filling: columns are served narrowest first, each getting its natural width or an
    equal share of what is left, whichever is smaller; text in the wide columns wraps.
    """
    natural = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]
    budget = width - len(_GAP) * (len(headers) - 1)
    widths = list(natural)
    order = sorted(range(len(natural)), key=lambda i: natural[i])
    for served, i in enumerate(order):
        share = budget // (len(order) - served)
        widths[i] = min(natural[i], max(share, _NARROWEST))
        budget -= widths[i]
    return widths


def text_table(frame: pd.DataFrame, *, width: int = WIDTH) -> str:
    """Return `frame` as a text table at most `width` columns wide; long cells wrap."""
    headers = [str(c) for c in frame.columns]
    cells = [[_cell(v) for v in row] for row in frame.itertuples(index=False)]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    widths = _widths(cells, headers, width)
    lines = [_GAP.join(h.ljust(w)[:w] for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append(_GAP.join("-" * w for w in widths))
    for row in cells:
        wrapped = [
            textwrap.wrap(text, w, break_long_words=True) or [""]
            for text, w in zip(row, widths, strict=True)
        ]
        for k in range(max(len(part) for part in wrapped)):
            parts = []
            for part, w, is_number in zip(wrapped, widths, numeric, strict=True):
                piece = part[k] if k < len(part) else ""
                parts.append(piece.rjust(w) if is_number else piece.ljust(w))
            lines.append(_GAP.join(parts).rstrip())
    return "\n".join(lines)


def render(frame: pd.DataFrame, fmt: str, *, width: int = WIDTH) -> str:
    """Return `frame` in format `fmt` (``table``, ``csv`` or ``json``), ending in a newline."""
    if fmt == "csv":
        # text cells a spreadsheet would run as formulas (=, +, -, @) are neutralised
        return str(csv_safe(frame).to_csv(index=False, lineterminator="\n"))
    if fmt == "json":
        records = [
            {str(k): _plain(v) for k, v in zip(frame.columns, row, strict=True)}
            for row in frame.itertuples(index=False)
        ]
        return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    return text_table(frame, width=width) + "\n"
