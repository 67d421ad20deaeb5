"""Output of table commands: an 80-column text table, CSV or JSON."""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from kpmodel._output import csv_safe
from kpmodel.report import text_table

FORMATS = ("table", "csv", "json")

#: Terminal width the text tables fit in.
WIDTH = 80


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
