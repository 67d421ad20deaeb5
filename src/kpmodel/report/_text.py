"""Plain-text tables for terminals: what the `kpmodel` command and the demo print."""

from __future__ import annotations

import textwrap
from typing import Any

import pandas as pd

from kpmodel._output import plain_cell

#: Terminal width the text tables fit in by default.
WIDTH = 80
_GAP = "  "
_NARROWEST = 8


def _cell(value: Any) -> str:
    value = plain_cell(value)
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
    """Return a DataFrame as a plain-text table at most `width` characters wide.

    Narrow columns keep their width and wide ones share the rest, their text wrapping;
    numbers are right-aligned (thousands separated, two decimals, three below 1), missing
    values are blank and booleans read ``yes``/``no``. What ``kpmodel`` prints with
    ``--format table``.

    Parameters
    ----------
    frame : pandas.DataFrame
    width : int
        The widest line (columns narrower than 8 characters are not squeezed further).

    Returns
    -------
    str
        The header, a rule and one or more lines per row, without a final newline.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame(
    ...     {"participant": ["BW", "CD"], "carats": [24_500_000.0, 0.5], "listed": [True, False]}
    ... )
    >>> print(kp.report.text_table(frame))
    participant      carats  listed
    -----------  ----------  ------
    BW           24,500,000  yes
    CD                0.500  no
    """
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
