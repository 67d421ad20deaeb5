"""Lot ids given by a caller, found among a graph's lot ids: one lookup for every entry point.

`kpmodel.origin_shares` and `kpmodel.definitions.Lots.from_graph` both take ``lots=``, the
ids of the lots to compute. `lot_positions` checks what was given and finds each id's
position, so that both accept and refuse the same ids, with the same messages:

- ``lots`` must be an iterable of single ids. A string, bytes, a number, a table or an
  array of other than one dimension is refused, as is an id that cannot be looked up (a list).
- An id names a lot only if it is of the lot id's kind (`kpmodel._boundary.id_kind`): an
  int for an int id, text for a text id. ``4.0``, ``True`` and ``Decimal(4)`` equal ``4``
  but are not lot 4.
- Every id that names no lot is an error, which lists the first `MAX_LISTED` of them.
- Lot ids that are not unique are a broken graph (`check_unique_ids`): only a pickle
  changed by hand holds one, since `from_frames` and the graph's methods refuse duplicates.
  The check is the hash table the lookup builds anyway, and pandas keeps its answer.

What a caller does with a lot named twice is its own: `origin_shares` gives its row twice,
`Lots.from_graph` refuses it (a comparison would count its carats twice).

`FoundLots` hands ids already found to a second entry point, which then finds them for free
(`Lots.from_graph` finds them, then asks `origin_shares` for them).

This module is part of the shared base, beside `kpmodel._boundary`: it imports numpy, pandas,
`kpmodel._boundary` and `kpmodel.errors`, and nothing of kpmodel above them.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any, cast

import numpy as np
import pandas as pd

from kpmodel._boundary import (
    BYTES_TYPES,
    MAX_LISTED,
    id_kind,
    is_hashable,
    is_lot_id,
    of_other_kinds,
    show,
)
from kpmodel.errors import InvalidArgumentError, InvalidGraphError

__all__ = [
    "AMONG_SHARES",
    "GRAPH_IDS",
    "SHARES_IDS",
    "FoundLots",
    "check_unique_ids",
    "kind_name",
    "lot_positions",
    "no_lot_message",
    "plain",
    "two_lots_message",
]

IntArray = np.ndarray[Any, np.dtype[np.int64]]

#: Where the ids to pass are taken from, as the refusal of ids that name no lot says.
GRAPH_IDS = "the graph returned (ProvenanceGraph.lots)"
#: Where `OriginShares.of` and `plot_shares` look for ids, and where to take them from:
#: a result of ``lots=`` holds only the lots asked for, not every lot of the graph.
AMONG_SHARES = "among these shares' lots"
SHARES_IDS = (
    "of these shares' lots (OriginShares.lots; a result of origin_shares(lots=...) holds "
    "only the lots asked for)"
)
#: How many of the lots looked among that refusal names ("3 lots: 0, 1, 2").
LOTS_NAMED = 5
#: Why lot ids of two lots are found only in a graph changed by hand (`check_unique_ids`).
NOT_UNIQUE = (
    "which no graph kpmodel builds or pickles holds: the graph comes from a pickle changed "
    "after it was written, and an id cannot tell its lots apart"
)
#: What to do with such a graph.
REBUILD = (
    "Build the graph again from its source data, or with ProvenanceGraph.from_frames from "
    "lots and flows whose lot ids are unique (it refuses duplicates, naming their rows)"
)


class FoundLots(Sized, Iterable[Any]):
    """Lot ids already found by `lot_positions`, with their positions: found again for free.

    `Lots.from_graph` finds its ``lots=`` (to refuse repeats) and then asks
    `origin_shares` for them; passing them as a `FoundLots` spares the second lookup.
    `lot_positions` reuses the positions only among the very ids they were found in (the
    same Index object, or an equal ``RangeIndex``); elsewhere the ids are looked up anew.

    Examples
    --------
    >>> import pandas as pd
    >>> ids = pd.Index(["a", "b", "c"])
    >>> found = FoundLots(*lot_positions(["c", "a"], ids), among=ids)
    >>> lot_positions(found, ids)[1].tolist(), list(found)
    ([2, 0], ['c', 'a'])
    """

    def __init__(self, ids: pd.Index[Any], positions: IntArray, *, among: pd.Index[Any]) -> None:
        self.ids = ids
        self.positions = positions
        self.among = among

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.ids)

    def found_in(self, ids: pd.Index[Any]) -> bool:
        """Whether the positions were found among `ids` (an Index is immutable)."""
        if self.among is ids:
            return True
        ranges = isinstance(self.among, pd.RangeIndex) and isinstance(ids, pd.RangeIndex)
        return ranges and self.among.equals(ids)


def lot_positions(
    lots: Iterable[Any],
    ids: pd.Index[Any],
    *,
    field: str = "lots",
    among: str = "in the graph",
    source: str = GRAPH_IDS,
) -> tuple[pd.Index[Any], IntArray]:
    """Return the ids asked for and their positions among `ids`; any that is no lot is an error.

    `ids` are a graph's lot ids in storage order (`kpmodel.ProvenanceGraph.lots`: a
    ``RangeIndex`` from 0 while the graph numbers its lots). The ids asked for are returned
    in the order given, repeats kept, as a pandas Index (the labels of `origin_shares`'
    rows). Arrays, Series and Indexes of integers, and Series and Indexes of pandas text
    among text ids, are read as they are, with no Python object per id. `field`, `among`
    and `source` word the message refusing ids that name no lot: the argument's name,
    where the ids were looked for, and where to take them from.

    Raises
    ------
    kpmodel.errors.InvalidArgumentError
        If `lots` is not an iterable of single ids (one id, a string, bytes, a table, an
        array of other than one dimension, an id such as a list), or if some ids name no
        lot (not in `ids`, or not of the lot id's kind); the message lists them, and says
        that lot ids are ints or text when some of them are neither.
    kpmodel.errors.InvalidGraphError
        If `ids` are not unique (`check_unique_ids`).

    Examples
    --------
    >>> import pandas as pd
    >>> ids, positions = lot_positions([2, 0, 2], pd.RangeIndex(3))
    >>> ids.tolist(), positions.tolist()
    ([2, 0, 2], [2, 0, 2])
    >>> lot_positions(["b"], pd.Index(["a", "b"]))[1].tolist()
    [1]
    >>> lot_positions([1, 2.0, 7], pd.RangeIndex(3))
    Traceback (most recent call last):
    ...
    kpmodel.errors.InvalidArgumentError: lots: 2 of the 3 ids asked for are not in the graph ...
    """
    _check_iterable(lots)
    if isinstance(lots, FoundLots) and lots.found_in(ids):
        return lots.ids, lots.positions
    # The hash table this builds is the one the lookup below builds (get_indexer checks
    # uniqueness first): it costs nothing more, and pandas keeps the answer with `ids`.
    check_unique_ids(ids)
    lots = _from_arrow(lots)
    items: list[Any] | None = None
    wanted: pd.Index[Any] | None = None
    if isinstance(lots, pd.Index | pd.Series) and _is_text(lots) and _is_text(ids):
        # Text among text ids: every id is of the lot id's kind, so hashing decides alone.
        try:
            wanted = pd.Index(lots.array)
            positions = ids.get_indexer(wanted).astype(np.int64)
        except UnicodeError:  # a lone surrogate, which arrow text cannot hold: read below
            wanted = None
    if wanted is None:
        values = np.asarray(lots) if isinstance(lots, np.ndarray | pd.Index | pd.Series) else None
        if values is not None and values.dtype.kind in "iu":
            wanted = lookup = pd.Index(values)
        else:
            items = list(lots)
            try:
                wanted = pd.Index(items, tupleize_cols=False)
            except UnicodeError:  # a lone surrogate ("\udcff"), which arrow text cannot hold
                wanted = pd.Index(items, dtype=object, tupleize_cols=False)
            if wanted.dtype == object:
                _check_hashable(items)
            lookup = wanted
            if not (wanted.dtype.kind in "iu" or wanted.dtype == object or _is_text(wanted)):
                # Looked up as given: a float Index would read 4 as 4.0, and 2**53 + 1 as 2**53.
                lookup = pd.Index(items, dtype=object, tupleize_cols=False)
        positions = _found(lookup, items, ids)
    missing = np.flatnonzero(positions < 0)
    if missing.size:
        first = missing[:MAX_LISTED]
        shown = wanted[first].tolist() if items is None else [items[i] for i in first.tolist()]
        msg = no_lot_message(
            shown,
            ids,
            missing=missing.size,
            asked=len(wanted),
            field=field,
            among=among,
            source=source,
        )
        raise InvalidArgumentError(msg)
    return wanted, positions


def _is_text(values: pd.Index[Any] | pd.Series[Any]) -> bool:
    return isinstance(values.dtype, pd.StringDtype)


def _is_arrow(lots: object) -> bool:
    """Whether `lots` is a pyarrow object (checked by name: pyarrow is not imported)."""
    return type(lots).__module__.partition(".")[0] == "pyarrow"


def _from_arrow(lots: Iterable[Any]) -> Iterable[Any]:
    """Return a pyarrow Array or ChunkedArray as a pandas Series; anything else as it is.

    Iterated, they give pyarrow scalars, which equal no lot id. Text becomes pandas text;
    ints keep their arrow type, so that a null beside them does not make them floats.
    """
    if not (_is_arrow(lots) and hasattr(lots, "to_pandas")):
        return lots
    arrow: Any = lots
    if str(arrow.type) in ("string", "large_string", "string_view"):
        return cast("pd.Series[Any]", arrow.to_pandas())
    return cast("pd.Series[Any]", arrow.to_pandas(types_mapper=pd.ArrowDtype))


def _check_iterable(lots: object) -> None:
    """Refuse `lots` unless it is an iterable of ids (one dimension, not a table or text)."""
    if isinstance(lots, pd.DataFrame) or (_is_arrow(lots) and hasattr(lots, "column_names")):
        got = "a table: pass one of its columns (lots=table['lot_id'], say)"
    elif isinstance(lots, np.ndarray) and lots.ndim != 1:
        got = f"an array of {lots.ndim} dimensions, {show(lots)}: pass an array of one dimension"
    elif isinstance(lots, np.ma.MaskedArray) and np.ma.is_masked(lots):
        # np.asarray would read a masked entry as present, and filling it as text gives
        # its fill value ('?'), which may be a lot's id: a masked entry is no id at all.
        masked = np.flatnonzero(np.ma.getmaskarray(lots))
        listed = ", ".join(f"lots[{i}]" for i in masked[:MAX_LISTED].tolist())
        more = f" and {masked.size - MAX_LISTED:,} more" if masked.size > MAX_LISTED else ""
        entries = "entry" if masked.size == 1 else "entries"
        got = (
            f"a masked array with {masked.size:,} masked {entries} ({listed}{more}), which "
            "name no lot: pass lots.compressed() for the entries that are not masked"
        )
    elif isinstance(lots, memoryview):  # a buffer, perhaps of int64 ids
        got = f"memoryview {show(lots)}: pass np.asarray(...) of a buffer of ids"
    elif isinstance(lots, bytearray):  # iterated, its bytes read as small ints
        got = (
            f"bytearray {show(lots)}: decode text ids (.decode()), or read a buffer of int64 "
            "ids with np.frombuffer(..., dtype=np.int64)"
        )
    elif isinstance(lots, (str, *BYTES_TYPES)) or not isinstance(lots, Iterable):
        got = f"{show(lots)}: pass [{show(lots)}] for one lot, or leave lots out for all"
    else:
        return
    msg = (
        "lots must be an iterable of lot ids of the graph (a list of lot ids, an array, a "
        f"pandas Index); got {got}"
    )
    raise InvalidArgumentError(msg)


def _check_hashable(items: list[Any]) -> None:
    """Refuse ids that cannot be looked up (lists, arrays, tuples holding lists)."""
    # A numpy scalar is a single value even when it refuses hashing (a unitless
    # timedelta64): it names no lot, as `_found` says.
    bad = [
        i
        for i, item in enumerate(items)
        if not (is_hashable(item) or isinstance(item, np.generic))
    ]
    if bad:
        listed = ", ".join(f"lots[{i}] = {show(items[i])}" for i in bad[:MAX_LISTED])
        more = f" and {len(bad) - MAX_LISTED:,} more" if len(bad) > MAX_LISTED else ""
        msg = (
            "lots must hold single values as lot ids (ints or text, as the graph returned "
            f"them); got {listed}{more}: pass the ids themselves, not lists of them"
        )
        raise InvalidArgumentError(msg)


def _found(lookup: pd.Index[Any], items: list[Any] | None, ids: pd.Index[Any]) -> IntArray:
    """Return the position of each id of `lookup` among `ids`, -1 where it names no lot.

    `items` are the ids as given (None when `lookup` holds integers read from an array).
    """
    if isinstance(ids, pd.RangeIndex) and ids.start == 0 and ids.step == 1:  # numbered lots
        if lookup.dtype.kind in "iu":
            # Integers above int64's range become negative here, and name no lot.
            positions = lookup.to_numpy().astype(np.int64)
        else:
            assert items is not None  # only integers are read from an array
            size = len(ids)
            positions = np.fromiter(
                (item if id_kind(item) is int and 0 <= item < size else -1 for item in items),
                np.int64,
                len(items),
            )
        return np.where((positions >= 0) & (positions < len(ids)), positions, -1)
    try:
        positions = ids.get_indexer(lookup).astype(np.int64)
    except (TypeError, ValueError):  # an id that refuses hashing (a unitless timedelta64)
        assert items is not None  # ints read from an array hash
        # None is no lot id, so what is no int or text is looked up as None: not found.
        lookup = pd.Index([i if is_lot_id(i) else None for i in items], dtype=object)
        positions = ids.get_indexer(lookup).astype(np.int64)
    if not (lookup.dtype.kind in "iu" and ids.dtype.kind in "iu"):
        # Hashing matched equal values; a lot is only asked for by an id of its kind.
        found = np.flatnonzero(positions >= 0)
        asked = lookup[found].tolist() if items is None else [items[i] for i in found.tolist()]
        positions[found[of_other_kinds(asked, ids[positions[found]].tolist())]] = -1
    return positions


def check_unique_ids(ids: pd.Index[Any]) -> None:
    """Refuse a graph whose lot ids `ids` are not unique, naming a few ids of two lots or more.

    No graph kpmodel builds or pickles has such ids (`ProvenanceGraph.from_frames` and the
    graph's methods refuse duplicates), but unpickling does not look for them: every check
    that hashes the ids costs 0.6 to 20 times as long as unpickling the graph (see
    ``_pickled_shape_problem`` in `kpmodel.provenance._graph`). Every lookup of a lot id
    calls this first. ``Index.is_unique`` builds the hash table that ``get_loc`` and
    ``get_indexer`` build anyway, and pandas keeps the table and the answer with the Index:
    on 1,000,000 shuffled int ids the first call took as long as a first ``get_loc``
    alone (about 20 ms), later ones under a microsecond.

    Raises
    ------
    kpmodel.errors.InvalidGraphError
        If some ids are there twice or more: the graph is broken, and whatever a lookup
        found would be one of two lots.

    Examples
    --------
    >>> check_unique_ids(pd.Index([4, 7]))
    >>> check_unique_ids(pd.Index(["a", "a", "b"]))
    Traceback (most recent call last):
    ...
    kpmodel.errors.InvalidGraphError: graph.lots: 1 lot id names more than one lot ('a' names...
    """
    if ids.is_unique:
        return
    repeated = ids[ids.duplicated(keep=False)]
    codes, values = pd.factorize(repeated)  # in the order the ids first come
    counts = np.bincount(codes)
    named = ", ".join(
        f"{show(plain(lot))} names {count:,} lots"
        for lot, count in zip(values[:LOTS_NAMED].tolist(), counts.tolist(), strict=False)
    )
    more = f", and {len(values) - LOTS_NAMED:,} more" if len(values) > LOTS_NAMED else ""
    ids_ = "lot id names" if len(values) == 1 else "lot ids name"
    msg = (
        f"graph.lots: {len(values):,} {ids_} more than one lot ({named}{more}), {NOT_UNIQUE}. "
        f"{REBUILD}."
    )
    raise InvalidGraphError(msg)


def two_lots_message(lot: Any, rows: int, *, field: str, among: str) -> str:
    """Return the message refusing an id that names `rows` differing rows of a result.

    Such rows are two lots of one id, from a graph whose lot ids are not unique (a result
    of ``lots=`` holds a lot asked for twice in two equal rows).

    Examples
    --------
    >>> print(two_lots_message("a", 2, field="lot", among="these shares"))
    lot: 'a' names 2 rows of these shares that differ: they are lots of a graph
    whose lot ids are not unique, which no graph kpmodel builds or pickles holds: ...
    """
    return (
        f"{field}: {show(plain(lot))} names {rows:,} rows of {among} that differ: they are "
        f"lots of a graph whose lot ids are not unique, {NOT_UNIQUE}. {REBUILD}, and compute "
        "the result again from it."
    )


def no_lot_message(
    shown: Sequence[Any],
    ids: pd.Index[Any],
    *,
    missing: int | None = None,
    asked: int | None = None,
    field: str = "lot",
    among: str = "in the graph",
    source: str = GRAPH_IDS,
    remedy: str | None = None,
) -> str:
    """Return the message refusing lot ids that name no lot: the one wording of every call.

    The graph's methods taking a lot (`remaining`, `split`, ``mix``'s ``lots[i]``, ...),
    `explain`, `trace`, ``lots=`` and ``kpmodel trace --lot`` all refuse an id that names
    no lot with it: the field path, the id(s), a few of the lots there are, why when an id
    can be no lot id at all (None, a tuple, bytes), and what to pass.

    Parameters
    ----------
    shown : sequence
        The ids that name no lot, as given (the first `MAX_LISTED` of them).
    ids : pandas.Index
        The lot ids looked among; the message names the first `LOTS_NAMED`.
    missing : int, optional
        How many ids name no lot (default: as many as `shown`).
    asked : int, optional
        How many ids were asked for, where a list of them was given (``lots=``): "lots: 2
        of the 3 ids asked for are not in the graph", the ids after. None (the default)
        for one id given as one value (a ``lot`` argument): "lot: 99 is not in the graph".
    field : str
        The argument's path (``"lot"``, ``"lots[1]"``); ``""`` for none, where the caller
        names it (the command line's ``--lot``).
    among, source : str
        Where the ids were looked for, and where to take them from.
    remedy : str, optional
        What to do, where it is not to pass ids `source` (the command line: digits).

    Examples
    --------
    >>> no_lot_message([99], pd.RangeIndex(3))
    "lot: 99 is not in the graph (3 lots: 0, 1, 2). Pass an id the graph returned
    (ProvenanceGraph.lots), of the lot id's kind: an int for an int id, text for a text
    id (4.0, True or Decimal(4) equal 4 but are not lot 4)."
    >>> print(no_lot_message([None, 7], pd.Index(["a", "b"]), asked=3, field="lots"))
    lots: 2 of the 3 ids asked for are not in the graph (2 lots: 'a', 'b'): None, 7; lot ids
    are ints or text, never None. Pass ids the graph returned (ProvenanceGraph.lots), each...
    """
    # numpy's scalars as Python's, so that an array and a list read alike: 'x', not
    # np.str_('x'), and True, not np.True_ (an int array is read as Python ints already).
    values = [plain(lot) for lot in shown[:MAX_LISTED]]
    count = len(shown) if missing is None else missing
    some = ", ".join(show(plain(lot)) for lot in ids[:LOTS_NAMED].tolist())
    if not len(ids):
        held = "no lots"
    elif len(ids) <= LOTS_NAMED:
        held = f"{len(ids)} lot{'s' if len(ids) > 1 else ''}: {some}"
    else:
        held = f"{len(ids):,} lots, such as {some}"
    # The types of the shown ids that can name no lot of any graph (a tuple, bytes, None,
    # a duration: numpy's is an integer type); numbers of another kind are the example
    # closing the message.
    odd = list(
        dict.fromkeys(
            kind_name(lot)
            for lot in values
            if not is_lot_id(lot)
            and (isinstance(lot, np.timedelta64) or not isinstance(lot, numbers.Number))
        )
    )
    rule = f"; lot ids are ints or text, never {' or '.join(odd)}" if odd else ""
    where = f"{field}: " if field else ""
    if asked is None:
        head = f"{where}{show(values[0])} is not {among} ({held})"
        pass_ = f"Pass an id {source}, of"
    else:
        more = f" and {count - len(values):,} more" if count > len(values) else ""
        verb = "is" if count == 1 else "are"
        listed = ", ".join(show(lot) for lot in values)
        head = (
            f"{where}{count:,} of the {asked:,} ids asked for {verb} not {among} ({held}): "
            f"{listed}{more}"
        )
        pass_ = f"Pass ids {source}, each of"
    if remedy is None:
        remedy = (
            f"{pass_} the lot id's kind: an int for an int id, text for a text id (4.0, True "
            "or Decimal(4) equal 4 but are not lot 4)."
        )
    return f"{head}{rule}. {remedy}"


def plain(value: Any) -> Any:
    """Return a numpy scalar as the Python value it stands for; anything else as it is.

    Lot ids, and the values messages show, read as Python's: ``10``, ``'L4'``, ``1.5``,
    ``True``, not ``np.int64(10)``, ``np.str_('L4')``, ``np.float64(1.5)``, ``np.True_``.
    Dates and durations stay numpy's: their Python value can be a bare int
    (``np.datetime64(1, "ns")`` gives ``1``, a unitless ``np.timedelta64(5)`` gives ``5``),
    which would show them as what they are not. A float16 or float32 (and a complex64) is
    the Python number of its own shortest digits, as numpy shows it: ``0.1``, the number
    written, not ``0.10000000149011612``, the float64 it widens to; those digits read back
    as the same float32.

    Examples
    --------
    >>> import numpy as np
    >>> plain(np.int64(10)), plain(np.str_("L4")), plain(np.float64(1.5)), plain("x")
    (10, 'L4', 1.5, 'x')
    >>> plain(np.float32(0.1)), plain(np.float16(0.1)), plain(np.complex64(0.1 + 0.5j))
    (0.1, 0.1, (0.1+0.5j))
    >>> plain(np.timedelta64(5))
    np.timedelta64(5)
    """
    if not isinstance(value, np.generic) or isinstance(value, np.datetime64 | np.timedelta64):
        return value
    if isinstance(value, np.float16 | np.float32):
        return float(str(value))  # numpy's str is the shortest repr of the value's own type
    if isinstance(value, np.complex64):
        return complex(str(value))
    return value.item()


def kind_name(lot: Any) -> str:
    """Return how a message names the kind of an id that no graph holds: its type's name,
    but None and pandas' missing value by themselves (not "NoneType", "NAType").

    Examples
    --------
    >>> kind_name(1.5), kind_name(None), kind_name(pd.NA)
    ('float', 'None', 'pd.NA')
    """
    if lot is None:
        return "None"
    if lot is pd.NA:
        return "pd.NA"
    return type(lot).__name__
