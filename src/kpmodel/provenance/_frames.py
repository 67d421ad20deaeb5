"""Bulk construction of provenance graphs from DataFrames, and the inverse view."""

from __future__ import annotations

import datetime as dt
import numbers
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
import numpy.typing as npt
import pandas as pd

from kpmodel._boundary import BYTES_TYPES, MAX_LISTED, is_encodable, is_hashable, show
from kpmodel._lot_ids import plain
from kpmodel.certificates import DeclaredOrigin
from kpmodel.errors import (
    InvalidArgumentError,
    InvalidGraphError,
    KPModelError,
    UnknownCodeError,
)
from kpmodel.provenance._graph import (
    _STRING_COLUMNS,
    CARAT_RTOL,
    KIND_CODE,
    KINDS,
    MAX_CARATS,
    MIN_CARATS,
    IntArray,
    Kind,
    _known_country,
    blank_hint,
    carats_problem,
)

if TYPE_CHECKING:
    from kpmodel.provenance._graph import ProvenanceGraph

#: Codes into a table of distinct values (-1 for missing), as text columns are kept: in the
#: narrowest signed integers that hold them (one byte a lot for a few countries).
Codes = npt.NDArray[np.signedinteger[Any]]

#: Levels found by scanning every flow (cheap for the shallow graphs of real trade) before
#: switching to a by-source index (cheap for deep graphs, but it costs a sort).
SCANNED_LEVELS = 32


def topological_levels(
    n: int, source: IntArray, target: IntArray, inputs: IntArray | None = None
) -> IntArray:
    """Return each lot's level (longest path from a lot with no inputs); -1 on a cycle.

    Kahn's algorithm, one frontier at a time, vectorised. The flows leaving a frontier are
    found by scanning all flows for the first `SCANNED_LEVELS` levels (no sort needed),
    then through an index of flows by source. `inputs`, when given, is each lot's number
    of inputs (``np.bincount(target, minlength=n)``), which the caller already counted.
    """
    indegree = np.bincount(target, minlength=n) if inputs is None else inputs.copy()
    level = np.full(n, -1, np.int64)
    frontier = np.flatnonzero(indegree == 0)
    out_ptr: IntArray | None = None
    out_target: IntArray | None = None
    depth = 0
    while frontier.size:
        level[frontier] = depth
        if depth < SCANNED_LEVELS:
            in_frontier = np.zeros(n, bool)
            in_frontier[frontier] = True
            reached = target[in_frontier[source]]
        else:
            if out_ptr is None or out_target is None:
                out_target = target[np.argsort(source, kind="stable")]
                out_ptr = np.zeros(n + 1, np.int64)
                np.cumsum(np.bincount(source, minlength=n), out=out_ptr[1:])
            starts = out_ptr[frontier]
            counts = out_ptr[frontier + 1] - starts
            offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts)
            reached = out_target[offsets + np.arange(int(counts.sum()))]
        if reached.size == 0:
            break
        if reached.size > n // 8:
            hits = np.bincount(reached, minlength=n)
            indegree -= hits
            frontier = np.flatnonzero((hits > 0) & (indegree == 0))
        else:
            touched, hits_small = np.unique(reached, return_counts=True)
            indegree[touched] -= hits_small
            frontier = touched[indegree[touched] == 0]
        depth += 1
    return level


def storage_order(
    level: IntArray, source: IntArray, target: IntArray
) -> tuple[IntArray, IntArray]:
    """Return the storage order of lots (and its inverse): by level, then by first input.

    Each level becomes a contiguous block of rows, so origin attribution can compute a
    level in place. Within a level, lots are sorted by the storage position of their
    first input, so the attribution reads its inputs' rows mostly in increasing address
    order: that is what keeps the memory traffic close to sequential on large graphs.
    """
    n = level.size
    depths = int(level.max(initial=0)) + 1
    # Levels in the narrowest integers that hold them: numpy sorts 8- and 16-bit keys stably
    # by radix, in linear time.
    narrow = level.astype(np.min_scalar_type(-depths), copy=False)
    by_level = np.argsort(narrow, kind="stable")
    bounds = np.zeros(depths + 1, np.int64)
    np.cumsum(np.bincount(level, minlength=depths), out=bounds[1:])
    target_level = narrow[target]
    flows_by_level = np.argsort(target_level, kind="stable")
    flow_bounds = np.zeros(depths + 1, np.int64)
    np.cumsum(np.bincount(target_level, minlength=depths), out=flow_bounds[1:])
    del narrow, target_level
    new_position = np.empty(n, np.int64)
    order = np.empty(n, np.int64)
    key = np.full(n, n, np.int64)  # one array, reset after each level: deep graphs are cheap
    for depth in range(bounds.size - 1):
        lots = by_level[bounds[depth] : bounds[depth + 1]]
        if depth:
            flows = flows_by_level[flow_bounds[depth] : flow_bounds[depth + 1]]
            np.minimum.at(key, target[flows], new_position[source[flows]])
            lots = lots[np.argsort(key[lots], kind="stable")]
            key[target[flows]] = n
        order[bounds[depth] : bounds[depth + 1]] = lots
        new_position[lots] = np.arange(bounds[depth], bounds[depth + 1])
    return order, new_position


class _More(str):
    """The line that ends a list of problems cut at MAX_LISTED ("... and 5 more lots: ..."),
    carrying `hidden`, the number of problems it stands for, which `_raise` adds up.
    """

    hidden: int

    def __new__(cls, count: int, what: str) -> _More:
        line = super().__new__(cls, f"... and {count:,} more {what}")
        line.hidden = count
        return line


def _more(total: int, what: str) -> list[str]:
    """Return the line standing for the problems of a list of `total` after its first
    MAX_LISTED ("... and N more {what}"), or no line if all are listed.
    """
    return [_More(total - MAX_LISTED, what)] if total > MAX_LISTED else []


def _listed(ids: np.ndarray[Any, Any], mask: np.ndarray[Any, Any], what: str) -> list[str]:
    bad = ids[mask]
    return [f"lot {plain(lot)!r}: {what}" for lot in bad[:MAX_LISTED]] + _more(
        bad.size, f"lots: {what}"
    )


def _duplicate_ids(ids: np.ndarray[Any, Any], twice: np.ndarray[Any, Any]) -> list[str]:
    """Name the rows whose lot_id an earlier row has (`twice`), each with that first row."""
    rows = np.flatnonzero(twice)[:MAX_LISTED].tolist()
    values = ids.tolist()
    named = {values[row] for row in rows}
    first: dict[Any, int] = {}
    for at, value in enumerate(values):  # one pass: the first row of each id named
        if value in named and value not in first:
            first[value] = at
    listed = [
        f"lots row {row}: duplicate lot_id {show(plain(values[row]))}, as row "
        f"{first[values[row]]}; each lot needs its own id"
        for row in rows
    ]
    return listed + _more(int(twice.sum()), "rows with a duplicate lot_id")


def _dangling_flows(flows: pd.DataFrame, dangling: np.ndarray[Any, Any]) -> list[str]:
    """Name the first flows (rows `dangling`) that name a lot not in the lots frame."""
    bad = flows.loc[dangling, ["source", "target"]].head(MAX_LISTED)
    return [
        f"flow {show(plain(s))} -> {show(plain(t))}: refers to a lot that is not in the lots frame"
        for s, t in bad.itertuples(index=False)
    ] + _more(int(dangling.sum()), "flows naming a lot not in the lots frame")


def _flows_without_carats(bad: np.ndarray[Any, Any]) -> list[str]:
    """Name the first flow rows (`bad`) whose carats are not a number > 0."""
    rows = np.flatnonzero(bad)
    return [f"flow row {i}: carats must be > 0" for i in rows[:MAX_LISTED].tolist()] + _more(
        rows.size, "flow rows whose carats are not > 0"
    )


def _listed_each(
    ids: np.ndarray[Any, Any] | range,
    mask: np.ndarray[Any, Any],
    what: Callable[[int], str],
    rest: str,
    label: tuple[str, str] = ("lot", "lots"),
) -> list[str]:
    """Like `_listed`, with a message per row: ``what(row)`` (and `rest` for the unlisted).

    `label` names one row and several: ``("flow row", "flows")`` with
    ``range(len(flows))`` as `ids` lists flows by their row.
    """
    one, several = label
    rows = np.flatnonzero(mask)
    return [f"{one} {plain(ids[row])!r}: {what(int(row))}" for row in rows[:MAX_LISTED]] + _more(
        rows.size, f"{several}: {rest}"
    )


def _check_frame_types(lots: object, flows: object) -> None:
    """Refuse arguments that are not DataFrames, and frames with a column named twice."""
    for name, frame in (("lots", lots), ("flows", flows)):
        if not isinstance(frame, pd.DataFrame):
            msg = (
                f"{name} must be a pandas.DataFrame with one row per "
                f"{'lot' if name == 'lots' else 'flow'}; got {show(frame)} "
                f"(type {type(frame).__name__}). Build one with pandas.DataFrame(...); see "
                "ProvenanceGraph.from_frames for the columns."
            )
            raise InvalidArgumentError(msg)
        twice = frame.columns[frame.columns.duplicated()].unique().tolist()
        if twice:
            msg = (
                f"{name} has columns named more than once: {twice!r}; each column must "
                "appear once. Rename or drop the copies."
            )
            raise InvalidArgumentError(msg)


def _unhashable(
    values: np.ndarray[Any, Any], what: str, expected: str = "lot ids are ints or strings"
) -> list[str]:
    """List the rows of `values` that cannot be hashed (an error path: one pass per row)."""
    rows = [row for row, value in enumerate(values.tolist()) if not is_hashable(value)]
    return [
        f"{what} row {row}: {show(plain(values[row]))} is not a valid value (not hashable); "
        f"{expected}"
        for row in rows[:MAX_LISTED]
    ] + _more(len(rows), "such rows")


def _unencodable(ids: np.ndarray[Any, Any]) -> list[str]:
    """List the lot ids that are text no file can hold (a lone surrogate)."""
    rows = [row for row, value in enumerate(ids.tolist()) if not is_encodable(value)]
    return [
        f"lots row {row}: lot_id {show(plain(ids[row]))} is not text a file can hold (it has "
        "a lone surrogate, half of a character); give the lot an id of whole characters"
        for row in rows[:MAX_LISTED]
    ] + _more(len(rows), "such rows")


def _indexable(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Return `values`, half-precision floats widened (pandas has no float16 index)."""
    return values.astype(np.float32) if values.dtype == np.float16 else values


def _unindexable(ids: pd.Series, error: Exception) -> list[str]:
    """List why ids that pandas cannot index together (`error`) are refused, row by row."""
    kinds = np.array([_not_an_id(type(value)) for value in ids.tolist()], dtype=object)
    return _listed_rows(ids, "lots", "lot_id", kinds, None) or [
        f"lots.lot_id: these ids cannot be looked up together ({type(error).__name__}: "
        f"{error}); lot ids must be ints or strings: convert them to text (.astype(str))"
    ]


def _factorized(column: pd.Series, what: str, expected: str) -> tuple[Any, Any]:
    """Return `pandas.factorize` of `column`, refusing cells that cannot be hashed (lists)."""
    try:
        return pd.factorize(column, use_na_sentinel=True)
    except TypeError:
        _raise(_unhashable(column.to_numpy(dtype=object), what, expected))


def _to_float(raw: pd.Series) -> npt.NDArray[np.float64]:
    """Return `raw` as float64: NaN for what is not a real number (text, complex, missing)."""
    numbers = pd.to_numeric(raw, errors="coerce")
    if numbers.dtype.kind == "c":  # a complex value is not a quantity: NaN unless it is real
        values = numbers.to_numpy()
        return np.where(values.imag == 0, values.real, np.nan)
    return numbers.to_numpy(np.float64)


#: What a lot id must not be although it hashes, by numpy dtype kind: a column of these is
#: refused whole. What each is called, and what to do about it.
_NOT_IDS = {
    "f": "floats",
    "c": "complex numbers",
    "b": "booleans",
    "M": "dates or times",
    "m": "durations",
    "S": "bytes",
}
_NOT_ID_REMEDY = {
    "floats": "a float id such as 1.0 is the same key as the int 1, and NaN is no id: "
    "convert the ids to int (.astype('int64')) if they are whole numbers, else to text",
    "complex numbers": "convert the ids to int or to text",
    "booleans": "True is the same key as the int 1, and flags are not ids (a misaligned "
    "file?): check which column holds the lot ids, or convert them to int or text",
    "dates or times": "dates are not ids (a date column read as lot ids?): check which "
    "column holds the lot ids; if dates really name the lots, convert them to text "
    "(.astype(str))",
    "durations": "durations are not ids (a misaligned file?): check which column holds "
    "the lot ids, or convert them to int or text",
    "decimals": "Decimal('1') is the same key as the int 1: convert the ids to int or text",
    "fractions": "Fraction(1) is the same key as the int 1: convert the ids to int or text",
    "big floats": "floats skip whole numbers from 2**53 in size (2**24 for float32, 2**11 "
    "for float16), so such a float can name the wrong lot: store the ids as ints "
    "(.astype('int64'), or 'Int64' where some are missing)",
    "bytes": "decode them to text, in lot_id, source and target alike (.str.decode('utf-8') "
    "on each column)",
    "other": "convert the ids to text, in lot_id, source and target alike (.astype(str) on "
    "each column, or str() of each id), or number the lots with ints",
}
#: Each kind of cell of an object column, and what it is if it cannot be a lot id (checked
#: in this order: a pandas Timestamp is a datetime, numpy's timedelta64 an integer). Ints
#: and text are lot ids; a cell of any type not listed is "other" (a tuple, a frozenset
#: ...), refused too.
_NOT_ID_TYPES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    ((bool, np.bool_), "booleans"),
    ((dt.date, dt.time, np.datetime64, pd.Period), "dates or times"),
    ((dt.timedelta, np.timedelta64), "durations"),
    ((numbers.Integral, str), ""),
    ((float, np.floating), "floats"),
    (Decimal, "decimals"),
    (Fraction, "fractions"),
    (numbers.Number, "complex numbers"),
    (BYTES_TYPES, "bytes"),
)
_ONE = {
    "floats": "a float",
    "complex numbers": "a complex number",
    "booleans": "a boolean",
    "dates or times": "a date or time",
    "durations": "a duration",
    "decimals": "a decimal",
    "fractions": "a fraction",
    "big floats": "a float too large to be exactly one whole number",
    "bytes": "bytes, not text",
}


def _not_an_id(kind: type) -> str:
    """Return what cells of type `kind` are if they cannot be lot ids ("floats"), else ''.

    Only ints (numpy's too) and text are lot ids: any type not in `_NOT_ID_TYPES` is
    "other". Missing cells (None, NaN, pandas.NA) are found by the callers' masks.
    """
    for types, what in _NOT_ID_TYPES:
        if issubclass(kind, types):
            return what
    return "other"


def _not_ids(
    frame: pd.DataFrame, table: str, name: str, lot_ids: pd.Index[Any], missing: Any = None
) -> list[str]:
    """List what in ``frame[name]`` cannot be a lot id although it hashes: anything but an
    int or text (floats, dates, bytes, tuples ...).

    Such ids would build, but as keys that are almost surely mistakes: 1.0 is the same key
    as 1, a column of dates or flags read as ids is a misaligned file, and the documented
    lot ids are ints and text (views, files and lookups handle no other kind). Flows may
    name int lots by whole floats, as before (pandas turns ints into floats at the first
    gap or row-wise operation), so floats are refused in ``lots.lot_id`` only.

    Int and text columns cost one dtype check. An object column costs the inferred type
    of `lot_ids` (the index of the lots' ids, which pandas computes once, in C); only an
    object column of other types than ints or texts alone is read cell by cell: the type
    of each cell, and, if a type is refused, the rows of that type. When every lot
    id is text, the cells of object flows are not read: nothing but text names a lot, and
    a flow naming none is refused as dangling. `missing` ids (a mask) are not listed
    again: they are refused as missing.
    """
    column = frame[name]
    dtype = column.dtype
    if len(column) == 0 or dtype.kind in "iuU" or isinstance(dtype, pd.StringDtype):
        return []
    what = _NOT_IDS.get(dtype.kind, "dates or times" if isinstance(dtype, pd.PeriodDtype) else "")
    if what == "floats" and table == "flows":
        big = _big_floats(column.to_numpy())
        return _listed_rows(column, table, name, np.where(big, "big floats", ""), None)
    if what:
        present = column.dropna()
        such = f", such as {show(plain(present.iloc[0]))}" if len(present) else ""
        return [
            f"{table}.{name} holds {what} (dtype {dtype}{such}); lot ids must be "
            f"ints or strings: {_NOT_ID_REMEDY[what]}"
        ]
    if isinstance(dtype, pd.CategoricalDtype):
        kinds = np.array([_not_an_id(type(v)) for v in dtype.categories.tolist()] + [""], object)
        row_kinds = kinds[column.cat.codes.to_numpy()]
    else:
        inferred = lot_ids.inferred_type
        if table == "lots" and inferred in ("string", "integer", "empty"):
            return []
        if table == "flows" and (
            inferred == "string"
            or pd.api.types.infer_dtype(column, skipna=True) in ("string", "integer", "empty")
        ):
            return []
        types = np.frompyfunc(type, 1, 1)(column.to_numpy(dtype=object))
        found = [_not_an_id(kind) for kind in pd.unique(types).tolist()]
        if not any(found):  # ints and text (the usual mixed column): no cell is refused
            return []
        codes, kinds = pd.factorize(types)
        row_kinds = np.array([_not_an_id(kind) for kind in kinds.tolist()], object)[codes]
    if table == "flows":
        floats = np.flatnonzero(row_kinds == "floats")
        big = _big_floats(column.to_numpy(dtype=object)[floats])
        row_kinds[floats] = np.where(big, "big floats", "")
    return _listed_rows(column, table, name, row_kinds, missing)


def _big_floats(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Return where `values` (floats, or cells of an object column) are finite floats so
    large that their type skips whole numbers: from 2**53 in size for float64 (2**24 for
    float32, 2**11 for float16), where a float is no longer exactly one int (and pandas
    compares int ids with floats as floats).
    """
    kinds = [values.dtype.type] if values.dtype != object else [type(v) for v in values]
    exact = np.array([2.0 ** (np.finfo(_float_type(kind)).nmant + 1) for kind in kinds])
    magnitude = np.abs(np.asarray(values, dtype=np.float64))
    return np.isfinite(magnitude) & (magnitude >= exact)


def _float_type(kind: type) -> Any:
    """Return the numpy float type of a float type (Python's float is float64)."""
    return kind if issubclass(kind, np.floating) else np.float64


def _one(kind: str, value: object) -> str:
    """Say what one refused id of `kind` is: "a float", "a tuple" (for "other")."""
    return _ONE[kind] if kind in _ONE else f"of type {type(value).__name__}"


def _listed_rows(
    column: pd.Series, table: str, name: str, row_kinds: np.ndarray[Any, Any], missing: Any
) -> list[str]:
    """List the rows of ``{table}.{name}`` whose kind of id (`row_kinds`) is refused."""
    bad = (row_kinds != "") & (~missing if missing is not None else column.notna().to_numpy())
    rows = np.flatnonzero(bad)
    if rows.size == 0:
        return []
    # A column of floats keeps numpy's scalars, which `plain` shows in the digits of their
    # own type: as objects, a float32 would widen to a Python float (float64's digits).
    values = column.to_numpy() if column.dtype.kind in "fc" else column.to_numpy(dtype=object)
    label = "lots row {row}: lot_id " if table == "lots" else f"{table}.{name} row {{row}}: "
    return [
        label.format(row=row)
        + f"{show(plain(values[row]))} is {_one(row_kinds[row], values[row])}; lot ids must "
        f"be ints or strings: {_NOT_ID_REMEDY[row_kinds[row]]}"
        for row in rows[:MAX_LISTED].tolist()
    ] + _more(rows.size, f"such rows in {table}.{name}")


def _boolean_cells(raw: pd.Series) -> np.ndarray[Any, Any] | None:
    """Return where `raw`, a column of numbers, holds booleans; None if it holds none.

    Numeric and text columns cost one dtype check (the usual case); an object column one
    pass in C (`pandas.api.types.infer_dtype`), and a pass per cell only if it mixes types.
    """
    dtype = raw.dtype
    if dtype.kind == "b":
        return raw.notna().to_numpy(bool)  # (a nullable boolean column may hold NA)
    if len(raw) == 0 or dtype.kind != "O" or isinstance(dtype, pd.StringDtype):
        return None
    if isinstance(dtype, pd.CategoricalDtype):
        flags = _boolean_cells(pd.Series(dtype.categories))
        if flags is None:
            return None
        return np.append(flags, False)[raw.cat.codes.to_numpy()]
    if pd.api.types.infer_dtype(raw, skipna=True) not in ("boolean", "mixed", "mixed-integer"):
        return None
    values = raw.to_numpy(dtype=object)
    flags = np.fromiter((isinstance(v, bool | np.bool_) for v in values), bool, len(values))
    return flags if flags.any() else None


#: What to do about booleans where numbers belong.
_BOOLEANS_HINT = (
    "True/False where numbers belong usually means the file's columns are misaligned: "
    "check its header and column order"
)


def _quantities(
    raw: pd.Series, field: str, expected: str, row_of: Callable[[int], str]
) -> tuple[npt.NDArray[np.float64], np.ndarray[Any, Any] | None, list[str]]:
    """Read a column of numbers as float64, refusing booleans (never read as 1.0 and 0.0).

    Returns the numbers (NaN where booleans were), where booleans are (None if nowhere)
    and the problems: one for a column of booleans, named by its `field` path, or one
    per boolean among numbers, named by ``row_of(row)`` (the lot, or the flow row).
    `expected` says what each cell must be ("carats must be a number > 0").
    """
    values = _to_float(raw)
    flags = _boolean_cells(raw)
    if flags is None:
        return values, None, []
    values = np.where(flags, np.nan, values)
    if flags.all():
        problems = [
            f"{field} holds booleans (True/False) in every row, not numbers: {expected}. "
            + _BOOLEANS_HINT
        ]
        return values, flags, problems
    rows = np.flatnonzero(flags)
    cells = raw.to_numpy(dtype=object)
    problems = [
        f"{row_of(row)}: {expected}, got {show(plain(cells[row]))} (a boolean)"
        for row in rows[:MAX_LISTED].tolist()
    ]
    problems += _more(rows.size, f"booleans in {field}: {expected}")
    return values, flags, problems


def _out_of_bounds(
    carats: npt.NDArray[np.float64], positive: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """Where positive finite `carats` lie outside ``MIN_CARATS .. MAX_CARATS``.

    Below, a weight of a flow (its carats over the receiving lot's) could underflow to 0;
    see `kpmodel.provenance._graph.MIN_CARATS`.
    """
    with np.errstate(invalid="ignore"):
        return positive & ((carats < MIN_CARATS) | (carats > MAX_CARATS))


def _bounds_message(carats: npt.NDArray[np.float64]) -> Callable[[int], str]:
    """Return what `_listed_each` says of the lot (or flow) in `row` with carats out of bounds."""

    def message(row: int) -> str:
        return f"carats {carats_problem(float(carats[row]))}"

    return message


def _missing_ids(column: pd.Series) -> np.ndarray[Any, Any]:
    """Return where `column` (lot ids) is missing: NaN, None, pandas.NA or NaT."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iub":  # (not Int64)
        return np.zeros(len(column), bool)
    return column.isna().to_numpy(bool)


#: The texts `list_origins` may hold (stripped, any case), and the flag each means.
_FLAG_TEXTS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _flag(value: object) -> bool | None:
    """Return the flag `value` stands for, or None if it is not a boolean."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, numbers.Real) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return _FLAG_TEXTS.get(value.strip().lower())
    return None


def _flags(
    lots: pd.DataFrame, ids: np.ndarray[Any, Any]
) -> tuple[np.ndarray[Any, Any], list[str]]:
    """Read `list_origins` strictly (missing is False); return it and the lots refused."""
    if "list_origins" not in lots.columns:
        return np.zeros(len(lots), bool), []
    column = lots["list_origins"]
    if column.dtype == np.bool_:
        return column.to_numpy(bool), []
    codes, uniques = _factorized(column, "lots.list_origins", _FLAG_HINT)
    values = list(uniques)
    flags = [_flag(value) for value in values]
    table = np.array([bool(f) for f in flags] + [False])
    bad = np.array([f is None for f in flags] + [False])
    refused = bad[codes]
    return table[codes], _listed_each(
        ids,
        refused,
        lambda row: (
            f"list_origins must be a boolean, got {show(plain(values[codes[row]]))}; " + _FLAG_HINT
        ),
        _FLAG_HINT,
    )


_FLAG_HINT = (
    "give True/False, 1/0 or the texts 'true'/'false', 'yes'/'no', '1'/'0' (missing means False)"
)


def _values_usd(
    lots: pd.DataFrame, ids: np.ndarray[Any, Any]
) -> tuple[np.ndarray[Any, Any], list[str]]:
    """Read `value_usd` (missing stays NaN); return it and the lots refused."""
    if "value_usd" not in lots.columns:
        return np.full(len(lots), np.nan), []
    raw = lots["value_usd"]
    hint = "value_usd must be a number >= 0 (US dollars) or missing"
    value, flags, problems = _quantities(
        raw, "lots.value_usd", hint, lambda row: f"lot {plain(ids[row])!r}"
    )
    if flags is not None and flags.all():
        return value, problems
    unread = np.isnan(value)
    if unread.any() and raw.dtype.kind != "f":  # texts that are not numbers
        unread &= raw.notna().to_numpy(bool)
    else:
        unread[:] = False
    refused = unread | np.isinf(value) | (value < 0)
    if flags is not None:
        refused &= ~flags
    return value, problems + _listed_each(
        ids, refused, lambda row: f"{hint}, got {show(plain(raw.iloc[row]))}", hint
    )


def _slashed(
    ids: np.ndarray[Any, Any], name: str, coded: tuple[Codes, np.ndarray[Any, Any]]
) -> list[str]:
    """List the lots whose `name` (zone or site) is blank or holds a ``/``."""
    codes, values = coded
    texts = [str(value) for value in values.tolist()]
    problems: list[str] = []
    for bad, what in (
        (["/" in text for text in texts], f"contains '/'; {_slash_hint(name)}"),
        ([not text.strip() for text in texts], f"is blank; {blank_hint(name)}"),
    ):
        if any(bad):

            def each(row: int, what: str = what) -> str:
                return f"{name} {show(plain(values[codes[row]]))} {what}"

            problems += _listed_each(ids, np.array([*bad, False])[codes], each, f"{name} {what}")
    return problems


def _slash_hint(name: str) -> str:
    return (
        f"origin labels join country, zone and site with '/' (such as 'CF/A/B'), so a '/' "
        f"in a {name} name would merge two places into one origin. Replace it (with '-', say)"
    )


def _coded(frame: pd.DataFrame, name: str) -> tuple[Codes, np.ndarray[Any, Any]]:
    """Return a text column as codes (-1 for missing) and its distinct values.

    The distinct values are in order of first appearance. No array of one object per row
    is made: a categorical column costs no hashing of its texts at all, an Arrow-backed
    one is factorised by Arrow, and each distinct text is converted to Python once.
    """
    if name not in frame.columns:
        return np.full(len(frame), -1, np.int8), np.zeros(0, object)
    codes, uniques = _factorized(frame[name], f"lots.{name}", "give text (or leave it missing)")
    return _narrow(codes, len(uniques)), np.asarray(uniques, dtype=object)


def _narrow(codes: npt.NDArray[np.integer[Any]], size: int) -> Codes:
    """Return `codes` (-1 to ``size - 1``) in the narrowest signed integers that hold them."""
    dtype = np.result_type(np.int8, np.min_scalar_type(size))
    return codes.astype(dtype, copy=False)


def _recode(codes: Codes, table: npt.NDArray[np.integer[Any]]) -> Codes:
    """Return ``table[codes]``, with -1 (missing) kept as -1."""
    return np.append(table, -1).astype(np.int32)[codes]


def _by_appearance(codes: Codes, values: np.ndarray[Any, Any]) -> tuple[Codes, Any]:
    """Renumber `codes` (into `values`) by first appearance, as `pandas.factorize` would."""
    new, used = pd.factorize(codes, use_na_sentinel=False)
    missing = np.flatnonzero(used < 0)
    if missing.size:  # -1 is a value for factorize: take it out again
        gap = int(missing[0])
        shift = np.arange(used.size, dtype=np.int32) - (np.arange(used.size) > gap)
        shift[gap] = -1
        kept = np.delete(used, gap)
        return _narrow(shift[new], kept.size), values[kept]
    return _narrow(new, used.size), values[used]


def _country_codes(country: tuple[Codes, Any], origin: tuple[Codes, Any]) -> tuple[Codes, Any]:
    """Return where each lot is, a production lot defaulting to its origin (as codes)."""
    codes, values = country
    origin_codes, origins = origin
    fill = (codes < 0) & (origin_codes >= 0)
    if not fill.any():
        return codes, values
    found = pd.Index(values, dtype=object).get_indexer(origins)
    new = found < 0
    found[new] = len(values) + np.arange(int(new.sum()))
    merged = np.concatenate([values, origins[new]]).astype(object)
    codes = np.where(fill, np.append(found, -1).astype(np.int32)[origin_codes], codes)
    return _by_appearance(codes, merged)


def _check_codes(origin: Any, country: Any, declared: list[str]) -> None:
    unknown = [
        f"{name} {show(plain(code))}"
        for name, values in (("origin", origin), ("country", country))
        for code in values
        if not isinstance(code, str) or not _known_country(code)
    ] + declared
    if unknown:
        msg = (
            "the lots frame has codes that are not ISO 3166-1 alpha-2 country codes "
            f"(declared origins may also be 'MIXED' or 'MIXED (BW, RU)'): {unknown!r}."
        )
        raise UnknownCodeError(msg)


def _declared_codes(declared: tuple[Codes, Any]) -> tuple[Codes, Any, list[str]]:
    """Return declared origins in their one text form (as codes), and the unparsable ones."""
    codes, values = declared
    canonical: list[str | None] = []
    unknown = []
    for value in values:
        try:
            canonical.append(str(DeclaredOrigin.parse(value)))
        except KPModelError:
            unknown.append(f"declared_origin {value!r}")
            canonical.append(None)
    table, texts = pd.factorize(np.array(canonical, dtype=object), use_na_sentinel=True)
    return _narrow(_recode(codes, table), len(texts)), np.asarray(texts, dtype=object), unknown


def build_from_frames(graph: ProvenanceGraph, lots: pd.DataFrame, flows: pd.DataFrame) -> None:
    """Fill an empty `graph` from `lots` and `flows`; see `ProvenanceGraph.from_frames`.

    Text columns are handled as codes into their distinct values throughout, and each
    intermediate array is dropped as soon as it is used: the transient memory stays a
    small multiple of the graph's own (tens of millions of lots fit).
    """
    _check_frame_types(lots, flows)
    missing = [c for c in ("lot_id", "carats", "origin") if c not in lots.columns] + [
        f"flows.{c}" for c in ("source", "target", "carats") if c not in flows.columns
    ]
    if missing:
        msg = f"the frames lack required columns {missing!r}; see from_frames for the format."
        raise InvalidGraphError(msg)
    n = len(lots)
    ids = _indexable(lots["lot_id"].to_numpy())
    problems: list[str] = []
    try:
        index = pd.Index(ids, copy=False)
    except UnicodeEncodeError:  # pandas' Arrow text cannot hold a lone surrogate
        _raise(_unencodable(ids))
    try:
        unique = index.is_unique
    except TypeError:  # ids such as lists: no lookup can be built
        _raise(_unhashable(ids, "lots"))
    except (OverflowError, ValueError) as error:
        # pandas cannot index ints beyond 64 bits beside durations or dates: refused.
        _raise(_unindexable(lots["lot_id"], error))
    no_id = _missing_ids(lots["lot_id"])
    if no_id.any():
        problems += [
            f"lots row {row}: lot_id is missing ({show(plain(ids[row]))}); every lot needs an id "
            "(an int or a string) that flows can name"
            for row in np.flatnonzero(no_id)[:MAX_LISTED]
        ] + _more(int(no_id.sum()), "lots with no lot_id")
    if not unique:
        problems += _duplicate_ids(ids, index.duplicated(keep="first") & ~no_id)
    problems += _not_ids(lots, "lots", "lot_id", index, no_id)
    problems += _not_ids(flows, "flows", "source", index)
    problems += _not_ids(flows, "flows", "target", index)

    carats, flags, refused = _quantities(
        lots["carats"],
        "lots.carats",
        "carats must be a number > 0",
        lambda r: f"lot {plain(ids[r])!r}",
    )
    problems += refused
    if flags is None or not flags.all():
        positive = np.isfinite(carats) & (carats > 0)
        problems += _listed(
            ids, ~positive if flags is None else ~positive & ~flags, "carats must be > 0"
        )
        problems += _listed_each(
            ids,
            _out_of_bounds(carats, positive),
            _bounds_message(carats),
            f"carats must be from {MIN_CARATS!r} to {MAX_CARATS:g}",
        )

    text = {name: _coded(lots, name) for name in ("origin", "country", "zone", "site")}
    text["certificate"] = _coded(lots, "certificate")
    produced = text["origin"][0] >= 0
    # A production lot is where it was mined unless the frame says otherwise.
    text["country"] = _country_codes(text["country"], text["origin"])
    declared, declared_values, unknown = _declared_codes(_coded(lots, "declared_origin"))
    text["declared"] = declared, declared_values
    _check_codes(text["origin"][1], text["country"][1], unknown)
    problems += _slashed(ids, "zone", text["zone"]) + _slashed(ids, "site", text["site"])
    list_origins, refused = _flags(lots, ids)
    problems += refused
    value, refused = _values_usd(lots, ids)
    problems += refused

    if "kind" in lots.columns:
        names, kind_of_name = _coded(lots, "kind")
        known = {kind.value: KIND_CODE[kind] for kind in KINDS}
        kind = np.array([known.get(k, -1) for k in kind_of_name.tolist()], dtype=np.int8)
        kind = np.append(kind, np.int8(-1))[names]
        del names
        problems += _listed(ids, kind < 0, f"kind must be one of {sorted(known)!r}")
        problems += _listed(
            ids, (kind == KIND_CODE[Kind.PRODUCE]) != produced, "has an origin iff kind is produce"
        )
    else:
        kind = np.where(produced, KIND_CODE[Kind.PRODUCE], KIND_CODE[Kind.LOT]).astype(np.int8)

    if "on" in lots.columns:
        raw_on = lots["on"]
        parsed = _dates(raw_on)
        problems += _listed(ids, (parsed.isna() & raw_on.notna()).to_numpy(), "on is not a date")
        on = parsed.to_numpy().astype("datetime64[D]")
        del parsed
    else:
        on = np.full(n, np.datetime64("NaT"), "datetime64[D]")

    flow_carats, flow_flags, refused = _quantities(
        flows["carats"], "flows.carats", "carats must be a number > 0", lambda r: f"flow row {r}"
    )
    problems += refused
    # With duplicate ids the problem is already listed; map flows to the first of each id.
    lookup = index if unique else index.drop_duplicates()
    source = _lot_positions(lookup, flows["source"].to_numpy(), n, "flows.source")
    target = _lot_positions(lookup, flows["target"].to_numpy(), n, "flows.target")
    del lookup, index
    if source is None or target is None:
        # No lookup can hold these ids; their rows are refused above: flows name no lot.
        _raise(problems or ["lots.lot_id: these ids cannot be looked up; use ints or text"])
    dangling = (source < 0) | (target < 0)
    if dangling.any():
        problems += _dangling_flows(flows, dangling)
    del dangling
    bad_flow = ~(np.isfinite(flow_carats) & (flow_carats > 0))
    if flow_flags is not None:  # booleans are refused above
        bad_flow &= ~flow_flags
    problems += _flows_without_carats(bad_flow)
    problems += _listed_each(
        range(flow_carats.size),
        _out_of_bounds(flow_carats, ~bad_flow),
        _bounds_message(flow_carats),
        f"carats must be from {MIN_CARATS!r} to {MAX_CARATS:g}",
        ("flow row", "flows"),
    )
    del bad_flow
    if problems:
        _raise(problems)

    # Flows listed by target and source (in the lots' row order) cannot be parallel.
    listed_in_order = _increasing(source, target)
    # (np.bincount returns ints when there are no flows at all.)
    given = np.bincount(source, weights=flow_carats, minlength=n).astype(np.float64)
    received = np.bincount(target, weights=flow_carats, minlength=n).astype(np.float64)
    problems += _listed(
        ids, given > carats * (1 + CARAT_RTOL), "gives more carats than it holds (over-drawn)"
    )
    problems += _listed(ids, received > carats * (1 + CARAT_RTOL), "receives more than it holds")
    problems += _listed(ids, produced & (received > 0), "a production lot cannot have inputs")
    del produced
    problems += _time_travel(ids, on, source, target)
    inputs = np.bincount(target, minlength=n)
    if "kind" in lots.columns:
        wrong = _inputs_by_kind(ids, kind, inputs)
        if wrong:  # parallel flows are one input (they are merged below): count each once
            wrong = _inputs_by_kind(ids, kind, _distinct_inputs(source, target, n))
        problems += wrong
    level = topological_levels(n, source, target, inputs)
    del inputs
    problems += _listed(ids, level < 0, "lies on a cycle of flows (or downstream of one)")
    if problems:
        _raise(problems)

    # Store lots in level order: parents first, and each level a contiguous block of rows,
    # which lets origin attribution write each level's results in place.
    order, new_position = storage_order(level, source, target)
    identity = bool(np.all(order[:-1] < order[1:]))  # a sorted permutation is the identity
    source = new_position[source]
    target = new_position[target]
    del new_position
    by_target = np.argsort(target, kind="stable")
    source, target, flow_carats = source[by_target], target[by_target], flow_carats[by_target]
    if not listed_in_order:
        source, target, flow_carats = _merge_parallel(source, target, flow_carats, n)
    graph._flows = {"source": source, "target": target, "carats": flow_carats}
    del source, target, by_target
    graph._m = len(flow_carats)

    interned = graph._intern([text[name][1] for name in _STRING_COLUMNS])
    columns: dict[str, Any] = {
        "carats": carats,
        "kind": kind,
        "on": on,
        "list_origins": list_origins,
        "value_usd": value,
        "level": level,
        "given": given,
        "received": received,
        **{
            name: (text.pop(name)[0], table)
            for name, table in zip(_STRING_COLUMNS, interned, strict=True)
        },
    }
    del carats, kind, on, list_origins, value, level, given, received
    stored: dict[str, np.ndarray[Any, Any]] = {}
    for name in list(columns):  # one column at a time: each unordered copy is freed at once
        column = columns.pop(name)
        if isinstance(column, tuple):
            codes, table = column
            stored[name] = _recode(codes[order], table)
        elif name == "level":
            stored[name] = column[order].astype(np.int32)
        else:
            stored[name] = column[order]
        del column
    graph._lots = stored
    graph._n = n
    is_range = ids.dtype.kind in "iu" and bool(np.all(ids == np.arange(n)))
    graph._ids = None if (is_range and identity) else pd.Index(ids[order], copy=False)


def _merge_parallel(
    source: IntArray, target: IntArray, carats: np.ndarray[Any, Any], n: int
) -> tuple[IntArray, IntArray, np.ndarray[Any, Any]]:
    """Merge the flows between the same two lots into one, summing their carats.

    The flows are sorted by target. Two deliveries from one lot to another are one flow
    of the graph (as `mix` makes them: one flow per parent); the merged flow takes the
    place of the first. The mass balance and every share are those of the separate flows,
    and no view holding one edge per pair of lots (networkx, node-link, GraphML) can drop
    carats. Frames listed by target and source cost one pass; others a sort of the flows
    already in target order (a sort of short runs), and only frames with parallel flows
    more.
    """
    if len(target) < 2 or _increasing(source, target):
        return source, target, carats
    pair = target * np.int64(n) + source
    ordered = np.sort(pair, kind="stable")  # runs sorted by target: about a pass each
    if not bool(np.any(ordered[1:] == ordered[:-1])):
        return source, target, carats
    del ordered
    rows = np.argsort(pair, kind="stable")
    repeated = pair[rows[1:]] == pair[rows[:-1]]
    starts = np.r_[True, ~repeated]
    first = rows[starts][np.cumsum(starts) - 1]  # the first row of each row's pair
    dropped = rows[1:][repeated]
    merged = carats.copy()
    np.add.at(merged, first[1:][repeated], carats[dropped])
    keep = np.ones(len(target), dtype=bool)
    keep[dropped] = False
    return source[keep], target[keep], merged[keep]


def _increasing(source: IntArray, target: IntArray) -> bool:
    """Whether the flows' (target, source) pairs strictly increase along the flows.

    Then no two flows join the same lots. Read in blocks that stay in the CPU's cache:
    this is the whole cost of the merge for frames listed by target and source.
    """
    block = 1 << 16
    for start in range(0, len(target) - 1, block):
        stop = min(start + block + 1, len(target))
        t, s = target[start:stop], source[start:stop]
        later = t[1:] > t[:-1]
        later |= (t[1:] == t[:-1]) & (s[1:] > s[:-1])
        if not bool(later.all()):
            return False
    return True


def _distinct_inputs(source: IntArray, target: IntArray, n: int) -> IntArray:
    """Return the number of distinct lots each lot receives flows from."""
    pairs = np.unique(target * np.int64(n) + source)
    return np.bincount(pairs // max(n, 1), minlength=n)


def _time_travel(ids: Any, on: Any, source: IntArray, target: IntArray) -> list[str]:
    """List the flows dated before their source (a movement never precedes production)."""
    if np.isnat(on).all():
        return []
    source_on, target_on = on[source], on[target]
    late = np.flatnonzero(target_on < source_on)  # NaT compares False: unknown dates pass
    del source_on, target_on
    return [
        f"flow {plain(ids[s])!r} -> {plain(ids[t])!r}: dated {on[t]} before its source "
        f"({on[s]}); "
        "a movement never precedes the production it carries"
        for s, t in zip(source[late][:MAX_LISTED], target[late][:MAX_LISTED], strict=True)
    ] + _more(late.size, "flows dated before their source")


#: The kinds of lot that take exactly one input (the lot they split, move or seize).
_ONE_INPUT = {
    KIND_CODE[Kind.SPLIT]: "splits",
    KIND_CODE[Kind.SHIP]: "ships",
    KIND_CODE[Kind.SMUGGLE]: "smuggles",
    KIND_CODE[Kind.SEIZE]: "seizes",
}
_TAKES_ONE = np.isin(np.arange(len(KINDS)), list(_ONE_INPUT))


def _inputs_by_kind(ids: np.ndarray[Any, Any], kind: Any, inputs: IntArray) -> list[str]:
    """List the lots whose number of inputs their kind does not allow (as the API builds)."""
    one = _TAKES_ONE[kind] & (inputs != 1)
    empty_mix = (kind == KIND_CODE[Kind.MIX]) & (inputs == 0)
    return _listed_each(
        ids,
        one,
        lambda row: (
            f"kind {KINDS[kind[row]].value!r} needs exactly one input (the lot it "
            f"{_ONE_INPUT[int(kind[row])]}); it has {int(inputs[row])}"
        ),
        "kinds 'split', 'ship', 'smuggle' and 'seize' need exactly one input",
    ) + _listed(
        ids, empty_mix, "kind 'mix' needs at least one input (the lots it mixes); it has 0"
    )


def _lot_positions(
    index: pd.Index[Any], values: np.ndarray[Any, Any], n: int, what: str = "flows"
) -> IntArray | None:
    """Return the position of each id of `values` in `index` (-1 for ids not there), or
    None where the ids cannot be looked up together (ids already refused by row).
    """
    if len(index) == n and (
        isinstance(index, pd.RangeIndex)
        or (index.dtype.kind in "iu" and index.is_monotonic_increasing)
    ):
        # Python ints: an unsigned start would turn int64 positions into floats.
        start, end = (int(index[0]), int(index[-1])) if n else (0, 0)
        if (
            n
            and end - start == n - 1
            and _INT64.min <= start
            and end <= _INT64.max
            and values.dtype.kind in "iu"
            and (values.dtype.kind == "i" or values.size == 0 or values.max() <= _INT64.max)
        ):
            positions = values.astype(np.int64) - start
            if positions.size == 0 or (positions.min() >= 0 and positions.max() < n):
                return positions  # the usual case: no second pass to mark dangling flows
            return np.where((positions >= 0) & (positions < n), positions, -1)
    try:
        return np.asarray(index.get_indexer(pd.Index(_indexable(values))), dtype=np.int64)
    except TypeError:  # ids such as lists
        _raise(_unhashable(values, what))
    except (pd.errors.InvalidIndexError, OverflowError):
        # pandas' object hash table counts some ids of other kinds as repeats of ints
        # (np.timedelta64(2, "D") == 2) where `drop_duplicates` does not, or cannot hash
        # ints beyond 64 bits beside them: such ids are refused already, so map by Python's
        # own equality (the first of each id), or, where even that fails, map none.
        return _positions_by_python(index, values)


def _positions_by_python(index: pd.Index[Any], values: np.ndarray[Any, Any]) -> IntArray | None:
    """`_lot_positions` by a Python dict; None if the ids cannot be its keys."""
    try:
        first: dict[Any, int] = {}
        for position, lot in enumerate(index.tolist()):
            first.setdefault(lot, position)
        return np.array([first.get(lot, -1) for lot in values.tolist()], dtype=np.int64)
    except Exception:  # comparisons that raise (Decimal against numpy ints, numpy 2.4)
        return None


_INT64 = np.iinfo(np.int64)


def _raise(problems: list[str]) -> NoReturn:
    """Raise the InvalidGraphError listing `problems`, counting those each "... and N more"
    line stands for (`_More.hidden`: 200,000 dangling flows are 200,000 problems, not the 10
    listed).
    """
    count = sum(line.hidden if isinstance(line, _More) else 1 for line in problems)
    msg = (
        f"the frames do not make a valid provenance graph ({count:,} problem"
        f"{'s' if count != 1 else ''}); nothing was built:\n  " + "\n  ".join(problems)
    )
    raise InvalidGraphError(msg)


def graph_to_frames(graph: ProvenanceGraph) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the ``(lots, flows)`` frames of `graph` (see `ProvenanceGraph.to_frames`)."""
    n = len(graph)
    ids = np.asarray(graph.lots)
    table = np.array([*graph._strings, None], dtype=object)
    kinds = np.array([kind.value for kind in KINDS], dtype=object)
    lots = pd.DataFrame(
        {
            "lot_id": ids,
            "kind": kinds[graph._column("kind")],
            "carats": graph._column("carats").copy(),
            "origin": table[graph._column("origin")],
            "on": pd.to_datetime(graph._column("on")),
            "country": table[graph._column("country")],
            "zone": table[graph._column("zone")],
            "site": table[graph._column("site")],
            "value_usd": graph._column("value_usd").copy(),
            "certificate": table[graph._column("certificate")],
            "declared_origin": table[graph._column("declared")],
            "list_origins": graph._column("list_origins").copy(),
        },
        index=pd.RangeIndex(n),
    )
    flows = pd.DataFrame(
        {
            "source": ids[graph._flow_column("source")],
            "target": ids[graph._flow_column("target")],
            "carats": graph._flow_column("carats").copy(),
        }
    )
    return lots, flows


def _dates(raw: pd.Series) -> pd.Series:
    """Parse `raw` as ISO dates; cells of any other type (numbers, lists) become NaT.

    A number is never read as a date: pandas would take it for nanoseconds since 1970.
    """
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return raw
    if pd.api.types.infer_dtype(raw, skipna=True) not in _DATE_LIKE:  # a per-cell pass only here
        dated = raw.map(lambda v: isinstance(v, str | dt.date | np.datetime64))
        raw = raw.where(dated.astype(bool), None).astype(object)
    return pd.to_datetime(raw, errors="coerce", format="ISO8601")


#: What `pandas.api.types.infer_dtype` calls a column of dates or text (or of nothing).
_DATE_LIKE = frozenset({"string", "date", "datetime", "datetime64", "empty"})
