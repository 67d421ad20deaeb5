"""Hypothesis strategies for hostile input: what a careless or malicious file may hold.

Each strategy generates input that a loader or constructor must turn into a valid object or
refuse with a `kpmodel.errors.KPModelError`, never a raw exception. They mix valid material
with the classes of trouble found in the field: other text encodings, byte-order marks and NUL
bytes, deep nesting, duplicate keys, NaN and infinities, numbers of thousands of digits,
lower-case and formula-like codes, datetimes where dates belong, and values of the wrong type.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import hypothesis.strategies as st
import numpy as np
import pandas as pd

from kpmodel._boundary import show
from kpmodel.testing._arguments import refuse, sequence, strategy_or_none, text_or_none

__all__ = [
    "hostile_bytes",
    "hostile_csv",
    "hostile_documents",
    "hostile_frames",
    "hostile_json",
    "hostile_toml",
    "hostile_values",
]

_TEXTS = (
    "",
    " ",
    "bw",
    "Bw",
    " BW",
    "BW ",
    "XX",
    "EU",
    "eu",
    "MIXED",
    "mixed",
    "BW,ZA",
    "BW,bw",
    "=cmd|' /C calc'!A0",
    "+1",
    "-1",
    "@SUM(A1)",
    "$5",
    "US$5",
    "NaN",
    "nan",
    "inf",
    "-Infinity",
    "sNaN",
    "1_000",
    "1e400",
    "0",
    "-0",
    "2013-02-30",
    "20130523",
    "2013-W21-4",
    "2013-05-23T12:00:00",
    "2013",
    "9999-12-31",
    "0001-01-01",
    "\x00",
    "\ud800",
    "é",
    "Côte d’Ivoire",
    "\u202e",
    "<script>alert(1)</script>",
    "a" * 300,
)

_NUMBERS: tuple[object, ...] = (
    0,
    -1,
    1,
    2,
    12,
    2013,
    10**20,
    -(10**20),
    10**400,
    0.5,
    -0.0,
    1e300,
    1e-300,
    float("nan"),
    float("inf"),
    float("-inf"),
    Decimal("12.50"),
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
    Decimal("-Infinity"),
    Decimal("1e999999"),
    Decimal("1" * 60),
    True,
    False,
)


def hostile_values() -> st.SearchStrategy[Any]:
    """Return a strategy for Python values a public constructor may be handed by mistake.

    Generates None, booleans, special and huge numbers (NaN, infinities, Decimal specials,
    integers of hundreds of digits), NumPy scalars, hostile text (lower-case and formula-like
    codes, broken dates, NUL and lone surrogates), datetimes and dates, bytes, containers and
    arbitrary objects. Shrinks towards None.

    Examples
    --------
    >>> from hypothesis import given
    >>> from kpmodel.testing.strategies import hostile_values
    >>> @given(hostile_values())
    ... def test_produce_refuses_cleanly(value):
    ...     ...
    """
    scalars = st.one_of(
        st.none(),
        st.sampled_from(_NUMBERS),
        st.sampled_from(_TEXTS),
        st.integers(),
        st.floats(),
        st.decimals(),
        st.text(max_size=12),
        st.binary(max_size=8),
        st.sampled_from(
            [
                dt.date(2013, 5, 23),
                dt.datetime(2013, 5, 23, 12, 30),
                np.float64("nan"),
                np.float64(1.5),
                np.int64(3),
                np.bool_(True),
                np.datetime64("2013-05-23T12:00"),
                pd.Timestamp("2013-05-23"),
                object(),
            ]
        ),
    )
    return st.one_of(
        scalars,
        st.lists(scalars, max_size=3),
        st.tuples(scalars),
        st.dictionaries(st.text(max_size=4), scalars, max_size=2),
        st.frozensets(st.sampled_from(["BW", "bw", "ZA"]), max_size=2),
    )


def _json_leaves() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(_TEXTS),
        st.text(max_size=10),
        st.just([]),
        st.just({}),
    )


@st.composite
def _mutate(draw: st.DrawFn, document: object, leaves: st.SearchStrategy[Any]) -> object:
    """Replace, delete or wrap one value somewhere in `document` (a copy)."""
    document = json.loads(json.dumps(document))  # a deep copy with plain types
    # Collect every container slot: (container, key).
    slots: list[tuple[Any, Any]] = []
    # A document that is one value (a number, a text) has no slots: it is replaced whole.
    stack: list[Any] = [document] if isinstance(document, dict | list) else []
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            slots.append((node, key))
            if isinstance(value, dict | list):
                stack.append(value)
    if not slots:
        return draw(leaves)
    for _ in range(draw(st.integers(1, 3))):
        container, key = draw(st.sampled_from(slots))
        action = draw(st.sampled_from(["replace", "replace", "delete", "wrap", "rename"]))
        try:
            if action == "replace":
                container[key] = draw(leaves)
            elif action == "delete":
                del container[key]
            elif action == "wrap":
                container[key] = [container[key]]
            elif isinstance(container, dict):
                container[draw(st.sampled_from(_TEXTS))] = container.pop(key)
        except (KeyError, IndexError):
            pass  # a slot already removed by an earlier mutation
    return document


def hostile_documents(
    document: object = None, *, leaves: st.SearchStrategy[Any] | None = None
) -> st.SearchStrategy[Any]:
    """Return a strategy for plain data (dicts, lists, scalars) such as a parsed file holds.

    With a `document` (plain JSON-like data, such as a valid file parsed), each example is
    that document with one to three values replaced by hostile ones, deleted, wrapped in a
    list or renamed; without one, arbitrary nested data. Use it for constructors that take
    parsed data, such as ``ProvenanceGraph.from_node_link`` or ``CaseBook.from_data``.

    Parameters
    ----------
    document : object, optional
        A valid document to corrupt: plain data that JSON can hold (checked when the
        strategy is made).
    leaves : SearchStrategy, optional
        The values put in; by default JSON values with hostile text and numbers.

    Examples
    --------
    >>> from hypothesis import given
    >>> from kpmodel.testing.strategies import hostile_documents
    >>> graph = kp.ProvenanceGraph()
    >>> _ = graph.produce(country="BW", carats=1, on="2023-01-01")
    >>> @given(hostile_documents(graph.to_node_link()))
    ... def test_node_link(data):
    ...     ...
    """
    given = strategy_or_none("hostile_documents", "leaves", leaves)
    values = given if given is not None else _json_leaves()
    _check_document("hostile_documents", document)
    if document is None:
        return st.recursive(
            values,
            lambda children: (
                st.lists(children, max_size=3)
                | st.dictionaries(st.text(max_size=6), children, max_size=3)
            ),
            max_leaves=8,
        )
    return _mutate(document, values)


def _check_document(strategy: str, document: object) -> None:
    # The document is copied through JSON when drawn: what JSON cannot hold is refused now.
    try:
        json.dumps(document)
    except (TypeError, ValueError, RecursionError) as error:
        problem = "must be plain JSON data (dicts, lists, text, numbers, booleans, None),"
        refuse(strategy, "document", f"{problem} got {show(document)}: {error}")


_SPECIAL_JSON = (
    "NaN",
    "-Infinity",
    "Infinity",
    "1e400",
    "1" * 5000,
    "-" + "9" * 400,
    "0." + "0" * 5000 + "1",
    "[" * 10_000 + "]" * 10_000,
    '{"a":' * 5_000 + "1" + "}" * 5_000,
)


@st.composite
def _json_text(draw: st.DrawFn, document: object) -> str:
    data = draw(hostile_documents(document))
    text = json.dumps(data, ensure_ascii=draw(st.booleans()))
    how = draw(st.sampled_from(["as is", "special", "duplicate", "truncate", "splice"]))
    if how == "special" and text:
        # Put a literal JSON cannot express through json.dumps where a value starts.
        starts = [i for i, ch in enumerate(text) if ch in '0123456789-tfn"[{'] or [0]
        at = draw(st.sampled_from(starts))
        end = at + 1
        text = text[:at] + draw(st.sampled_from(_SPECIAL_JSON)) + text[end:]
    elif how == "duplicate" and text.startswith("{") and len(text) > 2:
        first_key = text[1:].split(":", 1)[0]
        text = "{" + first_key + ": null, " + text[1:]
    elif how == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    elif how == "splice":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from([*_TEXTS, "\n", "}", "]", ","])) + text[at:]
    return text


def hostile_json(document: object = None) -> st.SearchStrategy[str]:
    """Return a strategy for JSON text, valid or not, built from `document` when given.

    Examples are ``hostile_documents`` written as JSON, then sometimes given a literal that
    ``json.dumps`` never writes (``NaN``, ``Infinity``, numbers of thousands of digits,
    thousands of nested brackets), a duplicate key, a truncation or a stray splice.

    Examples
    --------
    >>> from hypothesis import given
    >>> from kpmodel.testing.strategies import hostile_json
    >>> @given(hostile_json({"format": "kpmodel-register/1", "participants": []}))
    ... def test_register_loads(text):
    ...     ...
    """
    _check_document("hostile_json", document)
    return _json_text(document)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, int) else _toml_float(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string is a JSON string without \u escapes
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
        )
    return '""'


def _toml_float(value: float) -> str:
    if value != value:
        return "nan"
    if value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    text = repr(value)
    return text if any(c in text for c in ".e") else text + ".0"


_SPECIAL_TOML = (
    "nan",
    "+inf",
    "-inf",
    "1" * 5000,
    "0x" + "f" * 2000,
    "[" * 10_000 + "]" * 10_000,
    "{a = " * 3_000 + "1" + "}" * 3_000,
    "1979-05-27T07:32:00Z",
    "1979-05-27",
    "07:32:00",
    '"""unterminated',
)


@st.composite
def _toml_text(draw: st.DrawFn, text: str | None) -> str:
    if text is None:
        data = draw(hostile_documents())
        table = data if isinstance(data, dict) else {"value": data}
        text = "\n".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in table.items())
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        assignments = [
            i for i, line in enumerate(lines) if " = " in line and not line.startswith("#")
        ]
        how = draw(st.sampled_from(["value", "value", "special", "duplicate", "delete", "splice"]))
        if how in ("value", "special") and assignments:
            i = draw(st.sampled_from(assignments))
            key = lines[i].split(" = ", 1)[0]
            if how == "value":
                lines[i] = f"{key} = {_toml_value(draw(hostile_documents()))}"
            else:
                lines[i] = f"{key} = {draw(st.sampled_from(_SPECIAL_TOML))}"
        elif how == "duplicate" and assignments:
            i = draw(st.sampled_from(assignments))
            lines.insert(i, lines[i])
        elif how == "delete" and lines:
            del lines[draw(st.integers(0, len(lines) - 1))]
        elif how == "splice":
            at = draw(st.integers(0, len(lines)))
            lines.insert(at, draw(st.sampled_from(["[", "[[x]]", "a = ", "= 1", "\x00", "é"])))
    return "\n".join(lines)


def hostile_toml(text: str | None = None) -> st.SearchStrategy[str]:
    """Return a strategy for TOML text, valid or not, built from a valid `text` when given.

    One to three lines are changed: a value replaced by hostile data or by a literal such as
    ``nan``, ``inf``, an integer of thousands of digits, thousands of nested brackets or a
    date-time; a line duplicated or deleted; a stray line spliced in.

    Examples
    --------
    >>> from hypothesis import given
    >>> from kpmodel.testing.strategies import hostile_toml
    >>> @given(hostile_toml(kp.simulation.builtin_text("congo-brazzaville-2004")))
    ... def test_scenario_loads(text):
    ...     ...
    """
    return _toml_text(text_or_none("hostile_toml", "text", text))


@st.composite
def _csv_text(draw: st.DrawFn, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    table = [list(header), *(list(map(str, row)) for row in rows)]
    for _ in range(draw(st.integers(1, 4))):
        how = draw(st.sampled_from(["cell", "cell", "cell", "duplicate", "drop", "short", "long"]))
        r = draw(st.integers(0, len(table) - 1))
        if how == "cell" and table[r]:
            c = draw(st.integers(0, len(table[r]) - 1))
            cell = draw(st.one_of(st.sampled_from(_TEXTS), st.text(max_size=8)))
            table[r][c] = cell
        elif how == "duplicate" and r > 0:
            table.insert(r, list(table[r]))
        elif how == "drop" and len(table) > 1:
            del table[r]
        elif how == "short" and table[r]:
            table[r] = table[r][:-1]
        elif how == "long":
            table[r] = [*table[r], "extra"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    for row in table:
        writer.writerow([cell.replace("\x00", "") for cell in row])
    text = out.getvalue()
    if draw(st.booleans()):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(['"', "\x00", ",,,", "\n", "\r"])) + text[at:]
    return text


def hostile_csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> st.SearchStrategy[str]:
    """Return a strategy for CSV text made from a valid table, with one to four defects.

    Defects: a cell replaced by hostile text (lower-case or formula-like codes, NaN, 1e400,
    broken dates, long text), a row repeated, dropped, cut short or made longer, a stray
    quote, NUL or line break.

    Examples
    --------
    >>> from hypothesis import given
    >>> from kpmodel.testing.strategies import hostile_csv
    >>> header = ["participant", "year", "half", "flow", "carats", "value_usd"]
    >>> @given(hostile_csv(header, [["BW", 2013, 1, "production", 10, 100]]))
    ... def test_statistics_csv(text):
    ...     ...
    """
    names = sequence("hostile_csv", "header", header, "column names")
    table = sequence("hostile_csv", "rows", rows, "rows")
    for i, row in enumerate(table):
        sequence("hostile_csv", f"rows[{i}]", row, "cells")
    return _csv_text([str(name) for name in names], [[str(v) for v in row] for row in table])


_ENCODINGS = ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252", "utf-8-sig")


@st.composite
def _bytes(draw: st.DrawFn, text: str | None) -> bytes:
    base = text if text is not None else draw(st.text(max_size=40))
    how = draw(st.sampled_from(["encoding", "encoding", "random", "nul", "bom", "cut"]))
    if how == "encoding":
        accented = base + draw(st.sampled_from(["é", "Côte d'Ivoire", "Berbérati", ""]))
        return accented.encode(draw(st.sampled_from(_ENCODINGS)), errors="replace")
    if how == "random":
        return draw(st.binary(max_size=200))
    raw = base.encode("utf-8", errors="surrogatepass")
    if how == "nul":
        at = draw(st.integers(0, len(raw)))
        return raw[:at] + b"\x00" + raw[at:]
    if how == "bom":
        return draw(st.sampled_from([b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf"])) + raw
    return raw[: draw(st.integers(0, len(raw)))] + draw(
        st.sampled_from([b"", b"\xc3", b"\xe2\x80"])
    )


def hostile_bytes(text: str | None = None) -> st.SearchStrategy[bytes]:
    """Return a strategy for file contents: `text` (or any text) badly encoded or damaged.

    Examples are the text in UTF-16, UTF-32, Latin-1, Windows-1252 or UTF-8 with a
    byte-order mark (with an accented word added), random bytes, the text with a NUL byte,
    a stray byte-order mark, or cut in the middle of a character.

    Examples
    --------
    >>> from hypothesis import given
    >>> from kpmodel.testing.strategies import hostile_bytes
    >>> @given(hostile_bytes('{"cases": []}'))
    ... def test_case_book_load(raw):
    ...     ...
    """
    return _bytes(text_or_none("hostile_bytes", "text", text))


@st.composite
def _frame(draw: st.DrawFn, frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy().astype(object)
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["cell", "cell", "cell", "drop column", "repeat row"]))
        if how == "cell" and len(out) and len(out.columns):
            r = draw(st.integers(0, len(out) - 1))
            c = draw(st.integers(0, len(out.columns) - 1))
            value = draw(hostile_values())
            column = out.columns[c]
            cells = list(out[column])
            cells[r] = value
            out[column] = pd.Series(cells, index=out.index, dtype=object)
        elif how == "drop column" and len(out.columns):
            out = out.drop(columns=[draw(st.sampled_from(list(out.columns)))])
        elif how == "repeat row" and len(out):
            r = draw(st.integers(0, len(out) - 1))
            out = pd.concat([out, out.iloc[[r]]], ignore_index=True)
    return out


def hostile_frames(
    frame: pd.DataFrame | Mapping[str, Sequence[object]],
) -> st.SearchStrategy[pd.DataFrame]:
    """Return a strategy for DataFrames made from a valid `frame`, with one to three defects.

    Defects: a cell replaced by a ``hostile_values`` example (as an object column), a column
    dropped, a row repeated.

    Examples
    --------
    >>> from hypothesis import given
    >>> from kpmodel.testing.strategies import hostile_frames
    >>> base = {"participant": ["BW"], "year": [2013], "half": [1], "flow": ["production"],
    ...         "carats": [10.0], "value_usd": [100.0]}
    >>> @given(hostile_frames(base))
    ... def test_statistics_frame(frame):
    ...     ...
    """
    try:
        table = pd.DataFrame(frame)
    except (TypeError, ValueError) as error:  # such as columns of different lengths
        problem = f"must be a DataFrame or a mapping of column name to values, got {show(frame)}"
        refuse("hostile_frames", "frame", f"{problem} (pandas: {error})")
    return _frame(table)
