"""Output of table commands: an 80-column text table, CSV or JSON."""

from __future__ import annotations

import json

import pandas as pd

from kpmodel._output import csv_safe, plain_cell
from kpmodel.report import text_table

FORMATS = ("table", "csv", "json")

#: Terminal width the text tables fit in.
WIDTH = 80


def render(frame: pd.DataFrame, fmt: str, *, width: int = WIDTH) -> str:
    """Return `frame` in format `fmt` (``table``, ``csv`` or ``json``), ending in a newline."""
    if fmt == "csv":
        # text cells a spreadsheet would run as formulas (=, +, -, @) are neutralised
        return str(csv_safe(frame).to_csv(index=False, lineterminator="\n"))
    if fmt == "json":
        records = [
            {str(k): plain_cell(v) for k, v in zip(frame.columns, row, strict=True)}
            for row in frame.itertuples(index=False)
        ]
        return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    return text_table(frame, width=width) + "\n"
