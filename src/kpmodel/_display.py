"""How results show themselves: escaped HTML tables and short reprs, in one place.

The HTML reports (`kpmodel.report`) and the notebook views (``_repr_html_``) of result
objects build their tables with the same helpers, so a string from data is escaped the same
way everywhere. A repr says what the object is, how big it is and where to look next; the
HTML view adds a compact summary and the first rows, well under `HTML_LIMIT` characters.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence

import attrs
import pandas as pd

#: The most characters a notebook view may take (a notebook stays small and fast).
HTML_LIMIT = 100_000
#: The rows of a table a notebook view shows.
ROWS = 8
#: The characters of one cell a notebook view shows.
WIDTH = 80


def text(value: object) -> str:
    """Return `value` as escaped HTML text (quotes too, so it is safe in attributes)."""
    return html.escape(str(value), quote=True)


def _cell(value: object) -> tuple[str, bool]:
    if isinstance(value, bool) or value is None:
        return ("" if value is None else str(value)), False
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, float):
        if value != value:  # NaN: not known
            return "", True
        return (f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.3g}"), True
    return str(value), False


def _shorten(value: str, width: int | None) -> str:
    if width is None or len(value) <= width:
        return value
    return value[: width - 1] + "…"


def table(
    frame: pd.DataFrame,
    *,
    caption: str = "",
    limit: int | None = None,
    width: int | None = None,
) -> str:
    """Return an escaped HTML table of `frame` (its index is left out).

    At most `limit` rows are shown; the caption then says how many were left out. With
    `width`, longer cells are cut to that many characters (ending in an ellipsis).
    """
    shown = frame if limit is None else frame.head(limit)
    head = "".join(f'<th scope="col">{text(_shorten(str(c), width))}</th>' for c in shown.columns)
    rows = []
    for record in shown.itertuples(index=False):
        cells = []
        for value in record:
            plain = value.item() if hasattr(value, "item") else value
            shown_text, numeric = _cell(plain)
            klass = ' class="num"' if numeric else ""
            cells.append(f"<td{klass}>{text(_shorten(shown_text, width))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    note = caption
    if len(shown) < len(frame):
        note = f"{caption} (first {len(shown)} of {len(frame):,} rows)".strip()
    cap = f"<caption>{text(note)}</caption>" if note else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def definition_list(pairs: Iterable[tuple[str, object]], *, width: int | None = None) -> str:
    """Return an escaped two-column table of names and values."""
    rows = "".join(
        f'<tr><th scope="row">{text(k)}</th><td>{text(_shorten(str(v), width))}</td></tr>'
        for k, v in pairs
    )
    return f"<table>{rows}</table>"


def short_repr(kind: str, summary: str, more: str = "") -> str:
    """Return a one-line repr: ``<kind: summary; more>`` (what, how big, where to look)."""
    return f"<{kind}: {summary}{'; ' + more if more else ''}>"


def html_repr(
    kind: str,
    summary: str,
    *,
    facts: Sequence[tuple[str, object]] = (),
    tables: Sequence[tuple[str, pd.DataFrame]] = (),
    more: str = "",
    rows: int = ROWS,
) -> str:
    """Return a compact, escaped HTML view: a heading, facts, the first rows of each table.

    Cells are cut at `WIDTH` characters and tables at `rows` rows; if the view would still
    pass `HTML_LIMIT` characters, the tables are left out (the facts and the hint stay).
    """
    head = f"<p><strong>{text(kind)}</strong>: {text(summary)}</p>"
    listed = definition_list(facts, width=WIDTH) if facts else ""
    hint = f"<p><small>{text(more)}</small></p>" if more else ""
    shown = "".join(
        table(frame, caption=caption, limit=rows, width=WIDTH) for caption, frame in tables
    )
    page = f'<div class="kpmodel-repr">{head}{listed}{shown}{hint}</div>'
    if len(page) > HTML_LIMIT:
        left_out = "<p><small>Tables left out: too large to show here.</small></p>"
        page = f'<div class="kpmodel-repr">{head}{listed}{left_out}{hint}</div>'
    return page


Tables = Callable[[], Sequence[tuple[str, pd.DataFrame]]]


def _no_tables() -> Sequence[tuple[str, pd.DataFrame]]:
    return ()


@attrs.frozen(kw_only=True)
class View:
    """What a result object shows of itself: its repr and its notebook view.

    A class builds one in a ``_view`` method and calls it from ``__repr__`` (`text`) and
    ``_repr_html_`` (`html`). `tables` is called only for the HTML view, so a repr stays
    cheap however large the object is.
    """

    kind: str
    summary: str
    more: str = ""
    facts: Sequence[tuple[str, object]] = ()
    tables: Tables = _no_tables

    def text(self) -> str:
        """Return the one-line repr."""
        return short_repr(self.kind, self.summary, self.more)

    def html(self) -> str:
        """Return the compact, escaped HTML view."""
        return html_repr(
            self.kind, self.summary, facts=self.facts, tables=self.tables(), more=self.more
        )
