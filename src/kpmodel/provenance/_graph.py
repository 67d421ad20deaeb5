"""The provenance graph: lots of rough diamonds and the flows of carats between them."""

from __future__ import annotations

import datetime as dt
import enum
import math
import os
import threading
from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal
from typing import Any, cast

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd

from kpmodel._boundary import (
    MAX_QUANTITY,
    as_date,
    check_text,
    finite_float,
    id_kind,
    is_lot_id,
    is_participant_code,
    participant_code,
    show,
)
from kpmodel._display import View
from kpmodel._lot_ids import check_unique_ids, kind_name, no_lot_message, plain
from kpmodel.certificates import DeclaredOrigin
from kpmodel.errors import (
    InvalidArgumentError,
    InvalidGraphError,
    KPModelError,
    UnknownCodeError,
)

__all__ = ["Kind", "ProvenanceGraph"]

#: Relative tolerance when comparing carat sums (float64 arithmetic on sums of flows).
CARAT_RTOL = 1e-9
#: Smallest carat amount a lot or a flow may hold: numpy's float64 ``tiny``, about 2.2e-308.
#: A positive amount below it is a subnormal float, which no scale measures, and its
#: weight in the lot it flows into (flow carats / lot carats) underflows to 0, so `taint`
#: would miss that input.
MIN_CARATS = float(np.finfo(np.float64).tiny)
#: Largest carat amount a lot or a flow may hold: 10**15 (the boundary layer's
#: ``MAX_QUANTITY``; world production was 1.12e8 carats in 2023, 112.07 Mct in the KP
#: production statistics shipped as `kpmodel.datasets.kp_production`, an export of the KP
#: public statistics: see "The shipped statistics" in the docs). With `MIN_CARATS` it
#: keeps every flow's weight at least MIN_CARATS / MAX_CARATS (about 2.2e-323), above 0:
#: a normal 1e-300 ct into a lot of 1e30 ct would underflow too.
MAX_CARATS = float(MAX_QUANTITY)

#: Held while a graph folds the ids of appended lots into its Index (`ProvenanceGraph._ids`).
_FOLDING = threading.Lock()


def _after_fork_in_child() -> None:
    """Let a process forked while a thread was folding a graph's ids fold them itself.

    The folding thread does not exist in the child, but the lock it held stays held there
    for ever: the child's first read of the ids would wait on it. The fold it left may be
    half done (the new Index stored, the appended ids not yet cleared): `_ids` sees it.
    """
    global _FOLDING
    _FOLDING = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class Kind(enum.Enum):
    """What created a lot: the event at which it came into being.

    Examples
    --------
    >>> kp.provenance.Kind("ship")
    <Kind.SHIP: 'ship'>
    """

    PRODUCE = "produce"
    SPLIT = "split"
    MIX = "mix"
    SHIP = "ship"
    SMUGGLE = "smuggle"
    SEIZE = "seize"
    #: A lot loaded from frames without a kind: a generic holding of carats.
    LOT = "lot"


KINDS: tuple[Kind, ...] = tuple(Kind)
KIND_CODE = {kind: code for code, kind in enumerate(KINDS)}

#: Optional columns of the ``lots`` frame read by `ProvenanceGraph.from_frames`.
OPTIONAL_LOT_COLUMNS = (
    "kind",
    "on",
    "country",
    "zone",
    "site",
    "value_usd",
    "certificate",
    "declared_origin",
    "list_origins",
)
_STRING_COLUMNS = ("country", "origin", "zone", "site", "certificate", "declared")


def _empty_lots(capacity: int) -> dict[str, np.ndarray[Any, Any]]:
    return {
        "carats": np.zeros(capacity),
        "kind": np.zeros(capacity, np.int8),
        "on": np.full(capacity, np.datetime64("NaT"), "datetime64[D]"),
        "country": np.full(capacity, -1, np.int32),
        "origin": np.full(capacity, -1, np.int32),
        "zone": np.full(capacity, -1, np.int32),
        "site": np.full(capacity, -1, np.int32),
        "certificate": np.full(capacity, -1, np.int32),
        "declared": np.full(capacity, -1, np.int32),
        "list_origins": np.zeros(capacity, bool),
        "value_usd": np.full(capacity, np.nan),
        "level": np.zeros(capacity, np.int32),
        "given": np.zeros(capacity),
        "received": np.zeros(capacity),
    }


def _empty_flows(capacity: int) -> dict[str, np.ndarray[Any, Any]]:
    return {
        "source": np.zeros(capacity, np.int64),
        "target": np.zeros(capacity, np.int64),
        "carats": np.zeros(capacity),
    }


def _pickled_ids_problem(index: object, added: list[Any]) -> str | None:
    """Say why a pickled graph's lot ids (`index`, and `added` since it was built) cannot
    be loaded, or return None: lot ids are ints or text, as `from_frames` takes them.

    Ids of one int or text dtype cost a dtype check and a look for missing values (which
    an int or text dtype of pandas may hold, and which an inferred type skips); an object
    Index its inferred type (computed in C), and the type of each id only when it mixes
    types or misses some (whether a value may be a lot id depends on its type alone).
    """
    values: list[Any] = list(added)
    if isinstance(index, pd.Index):
        text = isinstance(index.dtype, pd.StringDtype)
        one_kind = index.dtype.kind in "iu" or text or index.inferred_type in _ID_TYPES
        if index.hasnans or not one_kind:
            values = [*index.to_numpy(dtype=object), *values]
    elif index is not None:
        values = [index]  # no Index at all: named as it is
    first: dict[type, Any] = {}
    for lot in values:
        first.setdefault(type(lot), lot)
    for lot in first.values():
        if not is_lot_id(lot):
            return (
                "this graph was pickled by an older kpmodel, which took lot ids of other "
                f"kinds: lot ids are ints or text, never {kind_name(lot)} (such as "
                f"{show(lot)}). Load it with the kpmodel that pickled it, give its lots int "
                "or text ids (lots, flows = graph.to_frames(); convert lot_id, source and "
                "target alike, with .astype(str) say; then ProvenanceGraph.from_frames(lots, "
                "flows)) and pickle that graph."
            )
    return None


def _pickled_shape_problem(state: dict[str, Any]) -> str | None:
    """Say why a pickled graph's ids cannot be its lots' (one id a lot), or return None.

    A pickle kpmodel wrote always has them; one changed by hand may not (an Index of fewer
    ids than lots listed one id for three lots). The check costs no pass over the ids.

    Whether the ids are unique is not checked on loading: every check that hashes them
    (``Index.is_unique``, ``Index.duplicated``, ``pandas.unique``) took 0.6 to 2 times as
    long as unpickling the whole graph with shuffled int ids, and 4 to 20 times with text
    ids (1,000,000 and 10,000,000 lots, November 2026; sorting the ints took longer). The
    table ``is_unique`` builds is the one the first lookup of a lot id builds anyway.
    """
    index, added, n = state.get("_id_index"), state.get("_added_ids", []), state.get("_n")
    if index is None or not isinstance(index, pd.Index):
        return None  # ids are the positions; or no Index at all, named by the ids' check
    if not isinstance(added, list) or not isinstance(n, int) or len(index) + len(added) != n:
        got = len(added) if isinstance(added, list) else show(added)
        return (
            f"this pickle does not hold a graph as kpmodel pickles it: {len(index):,} lot ids "
            f"and {got} appended ones for {show(n)} lots, where each lot has one id. Pickle "
            "the graph again, or build it from its frames (ProvenanceGraph.from_frames)."
        )
    return None


#: The inferred types (`pandas.Index.inferred_type`) of an object Index of lot ids alone.
_ID_TYPES = ("integer", "string", "empty")


def _grow(columns: dict[str, np.ndarray[Any, Any]], needed: int) -> None:
    capacity = len(next(iter(columns.values())))
    if needed <= capacity:
        return
    new_capacity = max(needed, 2 * capacity, 16)
    for name, old in columns.items():
        fresh = np.empty(new_capacity, old.dtype)
        fresh[:capacity] = old
        columns[name] = fresh


def _known_country(code: str) -> bool:
    return is_participant_code(code)


def check_country(code: object, *, path: str) -> str:
    """Return `code` if it is an ISO 3166-1 alpha-2 code (or ``"EU"``), else raise.

    Lower-case codes are refused like any other non-code, so ``"bw"`` and ``"BW"`` never
    become two origins.
    """
    return participant_code(code, path=path, error=UnknownCodeError)


def to_carats(value: object, *, path: str) -> float:
    """Convert a carat amount given as a number or Decimal to a float within carat bounds."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | np.number):
        msg = f"{path} must be a number of carats (int, float or Decimal); got {show(value)}."
        raise InvalidArgumentError(msg)
    amount = finite_float(
        value, path=path, minimum=0, exclusive_minimum=True, maximum=None, error=InvalidGraphError
    )
    problem = carats_problem(amount)
    if problem:
        raise InvalidGraphError(f"{path}: {problem}")
    return amount


def carats_problem(amount: float) -> str | None:
    """Say what is wrong with a positive carat `amount` outside the carat bounds, or None."""
    if amount < MIN_CARATS:
        return f"must be at least {MIN_CARATS!r} carats, got {amount!r}: {TOO_FEW_CARATS}"
    if amount > MAX_CARATS:
        return f"must be at most {MAX_CARATS:g} carats, got {amount!r}: {TOO_MANY_CARATS}"
    return None


#: Why amounts below `MIN_CARATS` are refused, and what to do.
TOO_FEW_CARATS = (
    "a positive amount below numpy's float64 tiny is a subnormal float, not a measurement, "
    "and its weight in the lot it flows into would underflow to 0 (taint would miss it); "
    "give at least that amount, or leave it out"
)
#: Why amounts above `MAX_CARATS` are refused, and what to do.
TOO_MANY_CARATS = (
    "no lot holds that much (world production was 1.12e8 carats in 2023 by the KP "
    "statistics in kpmodel.datasets.kp_production), and a small "
    "flow into such a lot would weigh 0 (taint would miss it); check the unit (carats) "
    "or scale the amounts down"
)


def to_day(value: object, *, path: str) -> np.datetime64:
    """Convert a date (``datetime.date``, ISO text or a day ``numpy.datetime64``) to a day."""
    if value is None:
        return np.datetime64("NaT", "D")
    if isinstance(value, np.datetime64):
        day: np.datetime64 = value.astype("datetime64[D]")
        if np.isnat(value) or day == value:
            return day
    return np.datetime64(as_date(value, path=path), "D")


def certificate_number(certificate: object) -> str | None:
    """Return the number of a certificate given as a string or an object with ``number``."""
    if certificate is None:
        return None
    number = certificate if isinstance(certificate, str) else getattr(certificate, "number", None)
    if isinstance(number, str):
        return check_text(number, path="certificate", empty=True, error=InvalidArgumentError)
    msg = (
        "certificate must be a certificate number (str), an object with a 'number' attribute "
        f"such as kpmodel.certificates.Certificate, or None; got {show(certificate)}."
    )
    raise InvalidArgumentError(msg)


class ProvenanceGraph:
    """Lots of rough diamonds and the flows of carats between them.

    A lot is a quantity of rough diamonds at one place. Lots come into being when
    diamonds are produced, and when lots are split, mixed, shipped on a certificate,
    smuggled or seized; each of these methods appends a new lot and returns its id.
    A flow moves carats from an older lot into a newer one. The graph is append-only,
    and every lot is appended after the lots it draws from ("parents first"), so the
    graph never needs a topological sort and can never hold a cycle.

    Lot ids are 0, 1, 2, ... in a graph built with these methods; a graph built by
    `from_frames` keeps the frame's ids, and lots appended to it later take the next free
    integer id: above the largest id, of the ids' integer type (below the smallest when
    the largest is that type's maximum); never changing the ids already there.

    The truth is kept in columnar numpy arrays, one entry per lot and per flow; see
    `to_frames`, `to_networkx` and `from_frames` for the views and the bulk constructor.

    Invariants, checked on every change (a refused change leaves the graph as it was
    and raises `kpmodel.errors.InvalidGraphError`; a lot id that names no lot of the
    graph is a bad argument, refused with `kpmodel.errors.InvalidArgumentError` by every
    call that takes one, as by ``origin_shares(graph, lots=...)``):

    - no cycles (flows always go from an older lot to a newer one);
    - a lot never gives more carats than it holds, and never receives more than it holds;
    - every lot and flow holds from numpy's float64 ``tiny`` (about 2.2e-308) to 10**15
      carats, so no flow weighs 0 in the lot it flows into (``produce``, ``split`` and
      ``from_frames`` refuse other amounts, ``mix`` a lot beyond 10**15, and no lot gives
      a subnormal remainder);
    - a movement never precedes the production it carries (dates never decrease
      along a flow);
    - every flow refers to existing lots.

    Notes
    -----
    ``copy.copy(graph)`` (like ``copy.deepcopy`` and pickle) gives an independent graph:
    lots appended to the copy or to the original never change the other. Unpickling
    refuses (with `kpmodel.errors.InvalidGraphError`) a graph whose lot ids are not ints
    or text, as older versions of kpmodel allowed: relabel it with the version that
    pickled it (``to_frames``, ids converted to text, `from_frames`). It does not look
    for lot ids of two lots, which only a pickle changed by hand holds (a pass over the
    ids would cost more than unpickling): every call that looks up a lot id (the methods
    taking a lot, `kpmodel.origin_shares`' ``lots=``, `kpmodel.provenance.trace` ...)
    refuses such a graph with `kpmodel.errors.InvalidGraphError`, at no cost, with the
    hash table its lookup builds anyway.

    A graph may be read (`kpmodel.origin_shares`, `to_frames` ...) by many threads at
    once, but must not be read while another thread changes it: appends are not locked,
    so a reader could see the graph half changed, and fail with a bare numpy error or,
    rarely, return wrong shares. Finish building the graph before other threads read it,
    or have the thread that appends give them ``copy.copy(graph)``, a snapshot, and go
    on appending to the original.

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> mine = g.produce(country="CF", carats=100, on="2014-03-01", zone="Nola")
    >>> a, b = g.split(mine, [60, 40])
    >>> shipped = g.ship(a, to="CM", on="2014-04-01")
    >>> len(g), g.number_of_flows
    (4, 3)
    >>> g.remaining(mine)
    0.0

    A copy grows on its own:

    >>> import copy
    >>> h = copy.copy(g)
    >>> _ = h.smuggle(b, to="CM", on="2014-04-02")
    >>> len(h), len(g), g.remaining(b)
    (5, 4, 40.0)

    .. versionchanged:: 0.2
       A lot id that names no lot raises `kpmodel.errors.InvalidArgumentError`, no longer
       `kpmodel.errors.InvalidGraphError`, in every method that takes one. Unpickling
       refuses a graph whose lot ids are not ints or text, which older versions pickled,
       with `kpmodel.errors.InvalidGraphError` (see Notes).
    """

    def __init__(self) -> None:
        self._n = 0
        self._m = 0
        self._lots = _empty_lots(16)
        self._flows = _empty_flows(16)
        self._strings: list[str] = []
        self._string_code: dict[str, int] = {}
        # None while lot ids are the positions 0..n-1; a pandas Index otherwise (see `_ids`).
        self._id_index: pd.Index[Any] | None = None
        # Ids of lots appended since `_id_index` was last built, with their positions: the
        # Index is rebuilt only when it is read, never once per appended lot.
        self._added_ids: list[Any] = []
        self._added_at: dict[Any, int] = {}
        # The next id `_free_id` tries and the way it moves: +1 above every id, -1 below
        # every id, 0 to search upwards for an unused one; None until the first append.
        self._next_id: int | None = None
        self._id_step = 1

    def __copy__(self) -> ProvenanceGraph:
        copied = type(self).__new__(type(self))
        state = self.__getstate__()
        copied.__dict__.update(state)
        # Appends write into the column stores, the strings table and the added ids in
        # place: shared, an append to one graph would overwrite the other's lots. The id
        # Index is never changed in place (`_ids` replaces it), so it may be shared.
        copied._lots = {name: column.copy() for name, column in state["_lots"].items()}
        copied._flows = {name: column.copy() for name, column in state["_flows"].items()}
        copied._strings = list(self._strings)
        copied._string_code = dict(self._string_code)
        copied._added_ids, copied._added_at = [], {}  # none: `__getstate__` folded them in
        return copied

    def __getstate__(self) -> dict[str, Any]:
        # The ids of appended lots folded in first (`_ids`), so that a copy or a pickle
        # never catches another reader folding them: the Index of one moment with the
        # added ids of another.
        _ = self._ids
        state = dict(self.__dict__)
        # The lots and flows alone, not the columns' spare capacity: `_grow` leaves it as
        # `numpy.empty` made it, so it would put whatever that memory held (other data,
        # heap addresses) into the pickle. A loaded graph grows its columns as it appends.
        state["_lots"] = {name: column[: self._n] for name, column in self._lots.items()}
        state["_flows"] = {name: column[: self._m] for name, column in self._flows.items()}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        # A graph pickled by a kpmodel that took ids of other kinds (tuples, bytes ...)
        # would half-work: its methods refuse its own ids, trace and describe_lot fail
        # inside pandas. Refused whole, with what to do.
        index, added = state.get("_id_index"), state.get("_added_ids", [])
        listed = added if isinstance(added, list) else []
        problem = _pickled_ids_problem(index, listed) or _pickled_shape_problem(state)
        if problem:
            raise InvalidGraphError(problem)
        self.__dict__.update(state)
        if self._added_ids:
            # None in a pickle kpmodel writes (`__getstate__` folds them in). Where there are
            # some (an older kpmodel's pickle, or one changed by hand), they are folded in
            # now: lookups would read them from `_added_at`, past the check that refuses
            # ids of two lots (`check_unique_ids`), and answer for the appended lot.
            try:
                _ = self._ids
            except (ValueError, TypeError, OverflowError):  # not of the ids' integer type
                index = cast("pd.Index[Any]", self._id_index)
                msg = (
                    "this pickle does not hold a graph as kpmodel pickles it: appended lot "
                    f"ids such as {show(plain(self._added_ids[0]))} are not of its lot ids' "
                    f"type ({index.dtype}). Pickle the graph again, or build it from its "
                    "frames (ProvenanceGraph.from_frames)."
                )
                raise InvalidGraphError(msg) from None

    # -- basic views -------------------------------------------------------------------

    def __len__(self) -> int:
        return self._n

    @property
    def _ids(self) -> pd.Index[Any] | None:
        """The lot ids (None while they are the positions 0..n-1), appended ones included."""
        if self._added_ids:
            # Readers fold the added ids in one at a time (a graph may be read by many
            # threads at once): one that read the Index before another folded them, and
            # the added ids after, would put back the Index without them.
            with _FOLDING:
                if self._added_ids:
                    index = cast("pd.Index[Any]", self._id_index)
                    dtype: Any = index.dtype if index.dtype.kind in "iu" else object
                    added = pd.Index(np.array(self._added_ids, dtype=dtype), copy=False)
                    # Not again if the Index ends with them: a process forked while another
                    # thread was between the two writes below finds them folded already.
                    if len(index) < self._n or not index[len(index) - len(added) :].equals(added):
                        # The new Index first: a reader that finds no added ids finds it.
                        self._id_index = index.append(added)
                    self._added_ids, self._added_at = [], {}
        return self._id_index

    @_ids.setter
    def _ids(self, ids: pd.Index[Any] | None) -> None:
        self._id_index = ids
        self._added_ids, self._added_at = [], {}
        self._next_id, self._id_step = None, 1

    def _view(self) -> View:
        def by_kind() -> pd.DataFrame:
            kind = self._column("kind")
            lots = np.bincount(kind, minlength=len(KINDS))
            carats = np.bincount(kind, weights=self._column("carats"), minlength=len(KINDS))
            frame = pd.DataFrame(
                {"kind": [k.value for k in KINDS], "lots": lots, "carats": carats}
            )
            return frame[frame["lots"] > 0]

        return View(
            kind="ProvenanceGraph",
            summary=f"{self._n} lots, {self._m} flows",
            more="see .to_frames(), .to_networkx(); kp.origin_shares(graph), "
            "kp.provenance.audit(graph, register=...), kp.provenance.plot_case(graph)",
            tables=lambda: [("Lots by kind", by_kind())],
        )

    def __repr__(self) -> str:
        return self._view().text()

    def _repr_html_(self) -> str:
        return self._view().html()

    @property
    def number_of_flows(self) -> int:
        """The number of flows of carats between lots.

        Examples
        --------
        >>> kp.ProvenanceGraph().number_of_flows
        0
        """
        return self._m

    @property
    def lots(self) -> pd.Index[Any]:
        """The lot ids, in storage order (parents before children).

        Examples
        --------
        >>> g = kp.ProvenanceGraph()
        >>> _ = g.produce(country="BW", carats=5, on="2020-01-01")
        >>> list(g.lots)
        [0]
        """
        ids = self._ids
        if ids is None:
            return pd.RangeIndex(self._n)
        return ids

    def remaining(self, lot: Any) -> float:
        """Return the carats of `lot` not yet given to other lots.

        A remainder of at most a billionth (1e-9) of the lot is within the rounding of its
        carat sums: it is 0.0, as `split`, `mix` and `ship` count it (the lot is used up).

        Raises
        ------
        kpmodel.errors.InvalidArgumentError
            If `lot` names no lot of the graph. An id names a lot only if it is of the
            lot id's kind, as in `kpmodel.origin_shares`' ``lots=``: ``1.0`` and ``True``
            equal ``1`` but are not lot 1.

        Examples
        --------
        >>> g = kp.ProvenanceGraph()
        >>> mine = g.produce(country="BW", carats=5, on="2020-01-01")
        >>> _ = g.split(mine, [2])
        >>> g.remaining(mine)
        3.0
        >>> _ = g.split(mine, [3 - 1e-12])
        >>> g.remaining(mine)
        0.0

        .. versionchanged:: 0.2
           A `lot` that names no lot of the graph raises `kpmodel.errors.InvalidArgumentError`
           (a bad argument, as for ``origin_shares(lots=...)``), no longer
           `kpmodel.errors.InvalidGraphError`: catch the first, or
           `kpmodel.errors.KPModelError` for both.
        """
        i = self._position(lot)
        left = self._remaining_at(i)
        return left if left > CARAT_RTOL * float(self._lots["carats"][i]) else 0.0

    def location(self, lot: Any) -> str | None:
        """Return the country code where `lot` is (None if unknown).

        Raises
        ------
        kpmodel.errors.InvalidArgumentError
            If `lot` names no lot of the graph (as for `remaining`).

        Examples
        --------
        >>> g = kp.ProvenanceGraph()
        >>> mine = g.produce(country="CF", carats=5, on="2014-01-01")
        >>> g.location(g.smuggle(mine, to="CM", on="2014-02-01"))
        'CM'

        .. versionchanged:: 0.2
           A `lot` that names no lot of the graph raises `kpmodel.errors.InvalidArgumentError`
           (a bad argument, as for ``origin_shares(lots=...)``), no longer
           `kpmodel.errors.InvalidGraphError`: catch the first, or
           `kpmodel.errors.KPModelError` for both.
        """
        return self._string(int(self._lots["country"][self._position(lot)]))

    # -- internal accessors used by the algorithms ---------------------------------------

    def _column(self, name: str) -> np.ndarray[Any, Any]:
        """Return a read-only view of one internal lot column (for kpmodel's algorithms)."""
        view = self._lots[name][: self._n].view()
        view.flags.writeable = False
        return view

    def _flow_column(self, name: str) -> np.ndarray[Any, Any]:
        """Return a read-only view of one flow column (flows are sorted by target)."""
        view = self._flows[name][: self._m].view()
        view.flags.writeable = False
        return view

    def _string(self, code: int) -> str | None:
        """Return the string for a code of a coded column, or None for -1."""
        return None if code < 0 else self._strings[code]

    def _code(self, value: str | None) -> int:
        if value is None:
            return -1
        code = self._string_code.get(value)
        if code is None and len(self._string_code) < len(self._strings):
            # Interned in bulk (`_intern`) without the dictionary: build it on first need.
            self._string_code = dict(zip(self._strings, range(len(self._strings)), strict=True))
            code = self._string_code.get(value)
        if code is None:
            code = len(self._strings)
            self._strings.append(value)
            self._string_code[value] = code
        return code

    def _intern(self, parts: Sequence[np.ndarray[Any, Any]]) -> list[np.ndarray[Any, Any]]:
        """Return the codes of each array of distinct strings in `parts`, interning new ones.

        A graph with no strings yet takes them all at once, and builds the dictionary
        `_code` uses only when it is needed. The largest array (a million certificate
        numbers, say) is only looked up among the others' strings, never put in a hash
        table of its own: a bulk load costs about one pass over its distinct strings.
        """
        if self._strings or not parts:
            return [np.array([self._code(v) for v in p.tolist()], np.int32) for p in parts]
        big = max(range(len(parts)), key=lambda i: len(parts[i]))
        rest = [np.asarray(p, dtype=object) for i, p in enumerate(parts) if i != big]
        codes, small = pd.factorize(
            np.concatenate(rest) if rest else np.zeros(0, object), use_na_sentinel=False
        )
        largest = np.asarray(parts[big], dtype=object)
        found = pd.Index(np.asarray(small, dtype=object), dtype=object).get_indexer(largest)
        new = found < 0
        found[new] = len(small) + np.arange(int(new.sum()))
        self._strings = [*small, *largest[new].tolist()]
        out: list[np.ndarray[Any, Any]] = []
        start = 0
        for i, part in enumerate(parts):
            if i == big:
                out.append(found.astype(np.int32))
            else:
                out.append(np.asarray(codes[start : start + len(part)], dtype=np.int32))
                start += len(part)
        return out

    def _position(self, lot: Any, *, path: str = "") -> int:
        """Return the storage position of the lot `lot` names, raising if it names none.

        An id names a lot only if it is of the lot id's kind (`id_kind`, the rule
        `origin_shares` and `Lots.from_graph` apply): 11.0 and True equal 11 and 1 but name
        no lot, on a graph with positional ids or with loaded ones. An id that names no lot
        is a bad argument (InvalidArgumentError, as for ``origin_shares(lots=)``), not a
        change the graph refuses, worded as every call words it (`no_lot_message`); `path`
        names the argument where its name is not "lot" (``lots[1]`` of `mix`). Loaded ids
        that are not unique are a broken graph (`check_unique_ids`, InvalidGraphError).
        """
        kind = int if type(lot) is int else str if type(lot) is str else id_kind(lot)
        if kind is not int and kind is not str:
            raise InvalidArgumentError(no_lot_message([lot], self.lots, field=path or "lot"))
        if self._id_index is None:
            if kind is int and 0 <= lot < self._n:
                return int(lot)
        else:
            if self._added_at and kind is int:  # appended lots take int ids
                try:
                    added = self._added_at.get(lot)
                except TypeError:  # an unhashable Integral
                    added = None
                if added is not None:
                    return added
            index = self._id_index
            try:
                position = index.get_loc(lot)  # appended ids are in `_added_at`
            except (KeyError, TypeError, pd.errors.InvalidIndexError):
                position = None
            # Ids of two lots (a pickle changed by hand) are refused whatever the id: free,
            # since get_loc built the hash table that tells, and pandas keeps the answer.
            check_unique_ids(index)
            # Hashing matches equal values, but loaded ids are only ints and text
            # (`from_frames` refuses other kinds), so an int or a str matches only an id of
            # its kind.
            if isinstance(position, int):
                return position
        raise InvalidArgumentError(no_lot_message([lot], self.lots, field=path or "lot"))

    def _positions(self, lots: Iterable[Any]) -> IntArray:
        """Return the storage positions of `lots` (ids), raising for unknown ids."""
        return np.array([self._position(lot) for lot in lots], dtype=np.int64)

    def _lot_id(self, position: int) -> Any:
        """Return the id of the lot stored at `position`, a Python int or str.

        Never a numpy scalar, so that messages and paths read ``lot 10``, not
        ``lot np.int64(10)``, on a graph of loaded int ids.
        """
        if self._id_index is None:
            return int(position)
        ids = self._id_index if position < len(self._id_index) else self._ids
        return plain(cast("pd.Index[Any]", ids)[position])

    # -- incremental API -----------------------------------------------------------------

    def produce(
        self,
        *,
        country: str,
        carats: float | Decimal,
        on: dt.date | str,
        value_usd: float | Decimal | None = None,
        zone: str | None = None,
        site: str | None = None,
    ) -> Any:
        """Record diamonds mined in `country` (optionally a `zone` and `site`) on `on`.

        Zone and site names may not contain ``"/"``: origin labels join country, zone and
        site with it (``"CF/west/Nola"``), so it would merge two places into one origin.
        Nor may they be blank: leave a zone or site that is not known out (None).

        Returns
        -------
        lot id
            The id of the new production lot; its origin is `country`.

        Examples
        --------
        >>> g = kp.ProvenanceGraph()
        >>> g.produce(country="BW", carats=1200.5, on="2023-05-01", value_usd=150_000)
        0
        """
        check_country(country, path="country")
        _check_place(zone, path="zone")
        _check_place(site, path="site")
        amount = to_carats(carats, path="carats")
        value = (
            math.nan
            if value_usd is None
            else finite_float(value_usd, path="value_usd", minimum=0, error=InvalidGraphError)
        )
        return self._append(
            kind=Kind.PRODUCE,
            carats=amount,
            on=to_day(on, path="on"),
            country=country,
            parents=[],
            amounts=[],
            origin=country,
            zone=zone,
            site=site,
            value_usd=value,
        )

    def split(self, lot: Any, carats: Sequence[float | Decimal], *, on: Any = None) -> list[Any]:
        """Split `lot` into new lots of the given carat amounts, at the same place.

        The amounts may add up to less than the lot holds (the rest stays in `lot`),
        never to more. Each amount must be more than a billionth (1e-9) of what `lot`
        holds: a smaller part is within the rounding of the lot's carat sums, as a
        remainder that small counts as nothing left.

        Returns
        -------
        list of lot ids
            One new lot per amount, in the order given.

        Raises
        ------
        kpmodel.errors.InvalidGraphError
            If the amounts add up to more than `lot` has not yet given away, if an amount
            is out of the carat bounds or at most 1e-9 of the lot (naming it, such as
            ``carats[1]``), or if `on` precedes the lot's date. The graph is left
            unchanged.
        kpmodel.errors.InvalidArgumentError
            If `lot` names no lot of the graph (as for `remaining`), or if `carats` is not
            a non-empty list of numbers.

        Examples
        --------
        >>> g = kp.ProvenanceGraph()
        >>> mine = g.produce(country="BW", carats=10, on="2023-05-01")
        >>> g.split(mine, [4, 6])
        [1, 2]

        A part of at most a billionth of the lot is refused, whatever the other parts:

        >>> g.split(g.produce(country="BW", carats=10, on="2023-05-01"), [9, 1e-9])
        Traceback (most recent call last):
        kpmodel.errors.InvalidGraphError: carats[1]: lot 3 holds 10 carats; it cannot give 1e-09...

        .. versionchanged:: 0.2
           A `lot` that names no lot of the graph raises `kpmodel.errors.InvalidArgumentError`
           (a bad argument, as for ``origin_shares(lots=...)``), no longer
           `kpmodel.errors.InvalidGraphError`: catch the first, or
           `kpmodel.errors.KPModelError` for both.
        """
        parent = self._position(lot)
        if isinstance(carats, str | bytes) or not isinstance(carats, Sequence) or not carats:
            msg = f"carats must be a non-empty list of carat amounts; got {show(carats)}."
            raise InvalidArgumentError(msg)
        amounts = [to_carats(c, path=f"carats[{i}]") for i, c in enumerate(carats)]
        # Each part is a flow out of `lot`: none may be within the rounding of its sums,
        # which the sum alone does not show (9 and 1e-9 of 10 carats). Checked before the
        # sum, so the part is named (1e-10 and 1e-10 is not a gift of 2e-10), unless the lot
        # is used up: that is said first, by `_check_can_give`.
        held = float(self._lots["carats"][parent])
        if self._remaining_at(parent) > CARAT_RTOL * held:
            for i, amount in enumerate(amounts):
                if amount <= CARAT_RTOL * held:
                    raise InvalidGraphError(f"carats[{i}]: {self._tiny_part(parent, amount)}")
        self._check_can_give([parent], [sum(amounts)])
        day = self._day_after([parent], on)
        country = self._string(int(self._lots["country"][parent]))
        # Every part's id is found before the first part is written, so a split refused
        # for want of ids leaves no part behind.
        ids = self._new_ids(len(amounts))
        for lot_id, amount in zip(ids, amounts, strict=True):
            self._append(
                kind=Kind.SPLIT,
                carats=amount,
                on=day,
                country=country,
                parents=[parent],
                amounts=[amount],
                lot_id=lot_id,
            )
        return ids

    def mix(self, lots: Iterable[Any], *, on: Any = None, at: str | None = None) -> Any:
        """Mix what remains of `lots` into one new lot.

        Every input must be at the same place; `at`, when given, is the country code
        where the mixing happens and every input must already be there (ship it first).

        Examples
        --------
        >>> g = kp.ProvenanceGraph()
        >>> a = g.produce(country="BW", carats=10, on="2023-05-01")
        >>> b = g.produce(country="BW", carats=30, on="2023-05-02")
        >>> g.mix([a, b], at="BW")
        2

        .. versionchanged:: 0.2
           An id in `lots` that names no lot raises `kpmodel.errors.InvalidArgumentError`
           (a bad argument, as for ``origin_shares(lots=...)``), no longer
           `kpmodel.errors.InvalidGraphError`: catch the first, or
           `kpmodel.errors.KPModelError` for both.
        """
        if isinstance(lots, str | bytes) or not isinstance(lots, Iterable):
            msg = f"lots must be a non-empty list of distinct lot ids; got {show(lots)}."
            raise InvalidArgumentError(msg)
        given = list(lots)
        parents = [self._position(lot, path=f"lots[{i}]") for i, lot in enumerate(given)]
        if not parents:
            msg = "lots must be a non-empty list of distinct lot ids; got none."
            raise InvalidArgumentError(msg)
        first: dict[int, int] = {}
        for i, parent in enumerate(parents):
            if first.setdefault(parent, i) != i:
                msg = (
                    f"lots[{i}]: {show(plain(given[i]))} is given twice (as "
                    f"lots[{first[parent]}]); give each lot to mix once."
                )
                raise InvalidArgumentError(msg)
        places = {self._string(int(self._lots["country"][p])) for p in parents}
        if at is not None:
            check_country(at, path="at")
        if len(places) != 1 or (at is not None and places != {at}):
            msg = (
                f"lots to mix must all be at one place{f' ({at!r})' if at else ''}; they are at "
                f"{sorted(map(str, places))!r}. Ship or smuggle them there first."
            )
            raise InvalidGraphError(msg)
        amounts = [self._remaining_at(p) for p in parents]
        self._check_can_give(parents, amounts)
        if sum(amounts) > MAX_CARATS:
            msg = (
                f"mixing lots {[self._lot_id(p) for p in parents]!r} would make a lot of "
                f"{sum(amounts)!r} carats; a lot must hold at most {MAX_CARATS:g} carats: "
                f"{TOO_MANY_CARATS}, or mix fewer lots."
            )
            raise InvalidGraphError(msg)
        return self._append(
            kind=Kind.MIX,
            carats=sum(amounts),
            on=self._day_after(parents, on),
            country=places.pop(),
            parents=parents,
            amounts=amounts,
        )

    def ship(
        self,
        lot: Any,
        *,
        to: str,
        on: Any,
        certificate: object = None,
        list_origins: bool = False,
        declared_origin: DeclaredOrigin | str | None = None,
    ) -> Any:
        """Export what remains of `lot` to country `to`, on a KP certificate.

        The new lot stands for the shipment as it arrives. The graph keeps the
        certificate number and derives what the paperwork declares with
        `kpmodel.provenance.declare_origin` (the single origin, the exporting country
        for carats that entered it undocumented, or ``"MIXED"``, or the listed countries
        when `list_origins` is true, as the 2024 voluntary listing allows).

        Parameters
        ----------
        certificate : str, certificate object or None
            The certificate number, or an object with a ``number`` attribute (such as
            ``kpmodel.certificates.Certificate``); None when the number is not known.
        list_origins : bool
            The exporter lists the countries of origin of a mixed parcel.
        declared_origin : kpmodel.certificates.DeclaredOrigin or str, optional
            Override what the paperwork declares, to model certificate fraud: a
            `~kpmodel.certificates.DeclaredOrigin`, or its text (``"BW"``, ``"MIXED"``,
            ``"MIXED (BW, RU)"``).

        Examples
        --------
        >>> g = kp.ProvenanceGraph()
        >>> mine = g.produce(country="BW", carats=10, on="2023-05-01")
        >>> g.ship(mine, to="BE", on="2023-06-01", certificate="BW-000123")
        1

        .. versionchanged:: 0.2
           A `lot` that names no lot of the graph raises `kpmodel.errors.InvalidArgumentError`
           (a bad argument, as for ``origin_shares(lots=...)``), no longer
           `kpmodel.errors.InvalidGraphError`: catch the first, or
           `kpmodel.errors.KPModelError` for both.
        """
        number = certificate_number(certificate)
        declared = None if declared_origin is None else _declared(declared_origin)
        return self._move(
            lot,
            Kind.SHIP,
            to=to,
            on=on,
            certificate=number,
            declared=declared,
            list_origins=bool(list_origins),
        )

    def smuggle(self, lot: Any, *, to: str, on: Any) -> Any:
        """Move what remains of `lot` to country `to` with no certificate.

        Examples
        --------
        >>> g = kp.ProvenanceGraph()
        >>> mine = g.produce(country="CF", carats=10, on="2014-05-01")
        >>> g.smuggle(mine, to="CM", on="2014-05-20")
        1

        .. versionchanged:: 0.2
           A `lot` that names no lot of the graph raises `kpmodel.errors.InvalidArgumentError`
           (a bad argument, as for ``origin_shares(lots=...)``), no longer
           `kpmodel.errors.InvalidGraphError`: catch the first, or
           `kpmodel.errors.KPModelError` for both.
        """
        return self._move(lot, Kind.SMUGGLE, to=to, on=on)

    def seize(self, lot: Any, *, on: Any) -> Any:
        """Record that authorities seized what remains of `lot`, where it is.

        Examples
        --------
        >>> g = kp.ProvenanceGraph()
        >>> mine = g.produce(country="CF", carats=10, on="2014-05-01")
        >>> g.seize(mine, on="2014-06-01")
        1

        .. versionchanged:: 0.2
           A `lot` that names no lot of the graph raises `kpmodel.errors.InvalidArgumentError`
           (a bad argument, as for ``origin_shares(lots=...)``), no longer
           `kpmodel.errors.InvalidGraphError`: catch the first, or
           `kpmodel.errors.KPModelError` for both.
        """
        parent = self._position(lot)
        amount = self._remaining_at(parent)
        self._check_can_give([parent], [amount])
        return self._append(
            kind=Kind.SEIZE,
            carats=amount,
            on=self._day_after([parent], on),
            country=self._string(int(self._lots["country"][parent])),
            parents=[parent],
            amounts=[amount],
        )

    def _move(self, lot: Any, kind: Kind, *, to: str, on: Any, **extra: Any) -> Any:
        parent = self._position(lot)
        check_country(to, path="to")
        if on is None:
            msg = f"on must be the date of the {kind.value}; got None."
            raise InvalidArgumentError(msg)
        amount = self._remaining_at(parent)
        self._check_can_give([parent], [amount])
        return self._append(
            kind=kind,
            carats=amount,
            on=self._day_after([parent], on),
            country=to,
            parents=[parent],
            amounts=[amount],
            **extra,
        )

    def _remaining_at(self, position: int) -> float:
        return float(self._lots["carats"][position] - self._lots["given"][position])

    def _check_can_give(self, parents: Sequence[int], amounts: Sequence[float]) -> None:
        for parent, amount in zip(parents, amounts, strict=True):
            held = float(self._lots["carats"][parent])
            left = held - float(self._lots["given"][parent])
            if left <= CARAT_RTOL * held:
                # Used up (what remains is within the rounding of its carat sums).
                msg = (
                    f"lot {self._lot_id(parent)!r} holds 0 carats not yet given away; it "
                    f"cannot give {amount:.6g}. A lot never gives more than it holds: split "
                    "or mix only what remains."
                )
                raise InvalidGraphError(msg)
            if amount <= CARAT_RTOL * held:
                raise InvalidGraphError(self._tiny_part(parent, amount))
            if amount > left + CARAT_RTOL * held:
                msg = (
                    f"lot {self._lot_id(parent)!r} holds {max(left, 0.0):.6g} carats not yet "
                    f"given away; it cannot give {amount:.6g}. A lot never gives more than it "
                    "holds: split or mix only what remains."
                )
                raise InvalidGraphError(msg)
            if amount < MIN_CARATS:
                msg = (
                    f"lot {self._lot_id(parent)!r} would give {amount!r} carats (what "
                    f"remains of it); a lot or flow must hold at least {MIN_CARATS!r} "
                    f"carats: {TOO_FEW_CARATS} (split it so that nothing or at least that "
                    "much remains)."
                )
                raise InvalidGraphError(msg)

    def _tiny_part(self, parent: int, amount: float) -> str:
        """Say why the lot at `parent` cannot give `amount`, at most CARAT_RTOL of it."""
        held = float(self._lots["carats"][parent])
        return (
            f"lot {self._lot_id(parent)!r} holds {held:.6g} carats; it cannot give "
            f"{amount!r}, a part of at most {CARAT_RTOL:g} of it, within the rounding "
            "of its carat sums: give more, or leave it in the lot."
        )

    def _day_after(self, parents: Sequence[int], on: Any) -> np.datetime64:
        dates = self._lots["on"][list(parents)]
        known = dates[~np.isnat(dates)]
        latest = known.max() if known.size else np.datetime64("NaT", "D")
        if on is None:
            return cast(np.datetime64, np.datetime64(cast(Any, latest), "D"))
        day = to_day(on, path="on")
        if known.size and day < latest:
            msg = (
                f"on={str(day)!r} is before {str(latest)!r}, the date of a lot it draws from; "
                "a movement never precedes the production it carries."
            )
            raise InvalidGraphError(msg)
        return day

    def _append(
        self,
        *,
        kind: Kind,
        carats: float,
        on: np.datetime64,
        country: str | None,
        parents: Sequence[int],
        amounts: Sequence[float],
        origin: str | None = None,
        zone: str | None = None,
        site: str | None = None,
        value_usd: float = math.nan,
        certificate: str | None = None,
        declared: str | None = None,
        list_origins: bool = False,
        lot_id: Any = None,
    ) -> Any:
        """Append one lot and its inflows, with the id `lot_id` (None: the next free one).

        Callers check everything first, and find every id before their first append
        (`_new_ids`): nothing may fail once a call has written.
        """
        position = self._n
        if lot_id is None:
            (lot_id,) = self._new_ids(1)
        if self._id_index is not None:
            self._added_at[lot_id] = position
            self._added_ids.append(lot_id)
        # Every check has passed: from here on nothing can fail, so the graph stays valid.
        _grow(self._lots, position + 1)
        _grow(self._flows, self._m + len(parents))
        lots = self._lots
        lots["carats"][position] = carats
        lots["kind"][position] = KIND_CODE[kind]
        lots["on"][position] = on
        lots["country"][position] = self._code(country)
        lots["origin"][position] = self._code(origin)
        lots["zone"][position] = self._code(zone)
        lots["site"][position] = self._code(site)
        lots["certificate"][position] = self._code(certificate)
        lots["declared"][position] = self._code(declared)
        lots["list_origins"][position] = list_origins
        lots["value_usd"][position] = value_usd
        lots["given"][position] = 0.0
        lots["received"][position] = float(sum(amounts))
        parent_levels = [int(lots["level"][p]) for p in parents]
        lots["level"][position] = 1 + max(parent_levels) if parents else 0
        flows = self._flows
        for parent, amount in zip(parents, amounts, strict=True):
            flows["source"][self._m] = parent
            flows["target"][self._m] = position
            flows["carats"][self._m] = amount
            lots["given"][parent] += amount
            self._m += 1
        self._n += 1
        return lot_id

    def _new_ids(self, count: int) -> list[Any]:
        """Return the ids of the next `count` lots to append, taking none of them yet.

        Positions on a graph with positional ids; free integer ids (`_free_id`) on one
        with loaded ids. If there are not `count` free ids this raises, leaving the graph
        as it was (the counter included).
        """
        if self._id_index is None:
            return list(range(self._n, self._n + count))
        counter = (self._next_id, self._id_step)
        ids: dict[int, None] = {}  # a dict: ordered, and quick to search for an id
        try:
            for _ in range(count):
                ids[self._free_id(taken=ids)] = None
        except InvalidGraphError:
            self._next_id, self._id_step = counter
            raise
        return list(ids)

    def _free_id(self, *, taken: Collection[int] = ()) -> int:
        """Return an unused integer id for a lot appended to a graph with loaded ids.

        Above every id while there is room in the ids' integer type (so ids only grow, as
        they always did), else below every id, else the first unused id from 0 up, then
        from -1 down; for ids of other types (strings), the first unused int from the
        number of lots up. A counter keeps the place, so an append costs O(1), not a pass
        over the ids (as a search does only once the ids fill their type's ends). The ids
        in `taken` are not yet appended but are not free either (`_new_ids` finds them).
        """
        index = cast("pd.Index[Any]", self._id_index)
        integer = index.dtype.kind in "iu"
        low, high = -(2**63), 2**63 - 1  # ids of other types: ints, as lot ids are
        if integer:
            info = np.iinfo(cast(Any, index.dtype))
            low, high = int(info.min), int(info.max)
        if self._next_id is None:
            if not (integer and len(index)):
                self._next_id, self._id_step = self._n, 2
            elif (top := int(index.max())) < high:
                self._next_id, self._id_step = top + 1, 1
            elif (bottom := int(index.min())) > low:
                self._next_id, self._id_step = bottom - 1, -1
            else:
                self._next_id, self._id_step = max(low, 0), 2
        new_id, step = self._next_id, self._id_step
        if not low <= new_id <= high and step in (1, -1):  # no room left at that end
            new_id, step = max(low, 0), 2
        if step in (2, -2):  # search for an unused id: up from 0, then down from -1
            while True:
                if step == 2 and new_id > high:
                    new_id, step = min(-1, high), -2
                if step == -2 and new_id < low:
                    also = f" and the {len(taken)} found for this call's other new lots"
                    msg = (
                        f"no lot id is free: the graph's {len(self)} lot ids"
                        f"{also if taken else ''} take every value of their type "
                        f"({index.dtype}), so a new lot has no id (the graph is unchanged); "
                        "renumber the lots (to_frames(), then lot_id 0..n-1 as int64 and the "
                        "flows' source and target to match, then from_frames()) and append to "
                        "that."
                    )
                    raise InvalidGraphError(msg)
                if new_id not in self._added_at and new_id not in taken and new_id not in index:
                    break
                new_id += step // 2
        self._next_id, self._id_step = new_id + step // abs(step), step
        return new_id

    # -- bulk construction and views -----------------------------------------------------

    @classmethod
    def from_frames(cls, lots: pd.DataFrame, flows: pd.DataFrame) -> ProvenanceGraph:
        """Build a graph from a table of lots and a table of flows, checking every invariant.

        Parameters
        ----------
        lots : pandas.DataFrame
            One row per lot, each column named once. Required columns: ``lot_id`` (unique
            and never missing; ints of any width and sign, numpy's too, or strings: floats,
            booleans, dates, times, durations and decimals are refused, since ``1.0`` and
            ``True`` are the same key as ``1`` and a date column read as ids is a
            misaligned file, and so are bytes, tuples, frozensets and every other type),
            ``carats`` (numbers from numpy's float64 ``tiny``, about 2.2e-308, to 10**15:
            a subnormal amount, or a small one into a lot beyond 10**15, would weigh 0 in
            the lot it flows into; booleans are refused, never read as 1 and 0)
            and ``origin`` (the country code of production lots, missing for every other
            lot). Optional columns: ``kind`` (one of `Kind`'s values; default
            ``"produce"`` for lots with an origin, else ``"lot"``; as the incremental API
            makes them, a ``"split"``, ``"ship"``, ``"smuggle"`` or ``"seize"`` lot has
            exactly one input and a ``"mix"`` lot at least one), ``on`` (date),
            ``country`` (where the lot is; defaults to the origin for production lots),
            ``zone`` and ``site`` (of production lots; no ``"/"``, which joins country,
            zone and site in origin labels, and not blank: missing when not known),
            ``value_usd`` (a number >= 0, or numeric
            text, never a boolean; missing when unknown), ``certificate`` (number, for
            shipped lots),
            ``declared_origin`` (what the certificate declares; derived by
            `kpmodel.provenance.declare_origin` when missing) and ``list_origins``
            (booleans, 0/1, or the texts ``true``/``false``, ``yes``/``no``, ``1``/``0`` in
            any case; missing means False).
        flows : pandas.DataFrame
            One row per flow, columns ``source``, ``target`` (lot ids) and ``carats`` (numbers from
            about 2.2e-308 to 10**15, as for lots). Flows may name int lots by whole floats below
            2**53 (pandas makes a column of ints float at its first missing value; from 2**53
            up floats skip whole numbers, so they are refused); booleans, dates, times,
            durations and decimals are refused here too. Rows between the same two lots (two
            deliveries from one lot to another) are merged into one flow carrying their summed
            carats, as `mix` makes one flow per parent: the mass balance and the shares are the
            same, and `to_networkx`, `to_node_link` and `write_graphml` (one edge per pair of lots)
            keep every carat.

        Returns
        -------
        ProvenanceGraph
            Lots are stored parents-first, in topological-level order; ids are kept.

        Raises
        ------
        kpmodel.errors.InvalidArgumentError
            If `lots` or `flows` is not a DataFrame, or names a column twice.
        kpmodel.errors.InvalidGraphError
            Listing every problem found: missing columns, missing, duplicate or unhashable
            ids, ids that are not ints or strings (each column by its field path, such as
            ``lots.lot_id``, or each odd cell by its row), booleans where numbers belong,
            carats out of the bounds above, values or flags that cannot be read, a zone or
            site that is blank or holds a ``"/"``, a kind with the wrong number of inputs,
            dangling flows, cycles, over-drawn or over-filled lots, time travel.
        kpmodel.errors.UnknownCodeError
            For country codes that are not ISO 3166-1 alpha-2.

        Notes
        -----
        Loaded records are kept as recorded. A flow of at most a billionth (1e-9) of the
        lot it leaves is accepted (its carats within the bounds above), although `split`,
        `mix` and `ship` refuse to give so small a part of a lot, which is within the
        rounding of the lot's carat sums: the frames say it happened, and it carries its
        source's origins into its target like any other flow. A graph built from frames
        may therefore hold flows that no call of the incremental API can make.

        Examples
        --------
        >>> import pandas as pd
        >>> lots = pd.DataFrame({"lot_id": ["mine", "hub"], "carats": [10.0, 10.0],
        ...                      "origin": ["BW", None], "country": ["BW", "AE"]})
        >>> flows = pd.DataFrame({"source": ["mine"], "target": ["hub"], "carats": [10.0]})
        >>> g = kp.ProvenanceGraph.from_frames(lots, flows)
        >>> list(g.lots)
        ['mine', 'hub']

        Two deliveries from ``mine`` to ``hub`` are one flow of their summed carats:

        >>> twice = pd.DataFrame({"source": ["mine", "mine"], "target": ["hub", "hub"],
        ...                       "carats": [4.0, 6.0]})
        >>> merged = kp.ProvenanceGraph.from_frames(lots, twice)
        >>> merged.number_of_flows, merged.to_frames()[1]["carats"].tolist()
        (1, [10.0])

        A date column read as lot ids, or True/False read as carats, is refused:

        >>> dated = lots.assign(lot_id=pd.to_datetime(["2024-01-01", "2024-01-02"]))
        >>> kp.ProvenanceGraph.from_frames(dated, flows)
        Traceback (most recent call last):
        ...
        kpmodel.errors.InvalidGraphError: the frames do not make a valid provenance graph ...
          lots.lot_id holds dates or times (dtype datetime64[...], such as ...); lot ids must
          be ints or strings: ...
        >>> kp.ProvenanceGraph.from_frames(lots.assign(carats=[True, True]), flows)
        Traceback (most recent call last):
        ...
        kpmodel.errors.InvalidGraphError: the frames do not make a valid provenance graph ...
          lots.carats holds booleans (True/False) in every row, not numbers: carats must be a
          number > 0. True/False where numbers belong usually means the file's columns are
          misaligned: check its header and column order
        """
        from kpmodel.provenance._frames import build_from_frames

        graph = cls()
        build_from_frames(graph, lots, flows)
        return graph

    @classmethod
    def from_ledger(cls, ledger: Any, *, production: Any = None) -> ProvenanceGraph:
        """Estimate where the parcels of a `kpmodel.Ledger` came from, from paperwork alone.

        Each parcel becomes a shipped lot, with the id of its row (the lots frame carries
        its ``certificate``). A parcel whose single declared origin is its issuing country
        is that country's production (or, with `production`, draws on it). Every other
        parcel draws on the issuing country's stock of documented imports, in date order
        and in proportion to what is in stock (mass balance); carats beyond the stock are
        of unknown origin. A country's exports of a day share its stock at the start of
        that day, in proportion to their carats; its imports join the stock at the end of
        the day they arrive (their ``received`` date when the ledger has one, else their
        date of issue).

        This is an estimate: certificates say nothing of which goods in a stock went
        into which parcel, of stocks held before the ledger starts, or of goods that
        crossed a border undocumented (see the explanation page on provenance).

        Parameters
        ----------
        ledger : kpmodel.Ledger
        production : kpmodel.statistics.KPStatistics, optional
            Production per participant and half year. When given, a country's parcels of
            its own origin draw on its production, entering at the start of each half
            year, and carats beyond it are of unknown origin.

        Returns
        -------
        ProvenanceGraph
            Lots ``0 .. len(ledger) - 1`` are the parcels, in ledger order; stock pools
            (``mix``), production (``produce``) and carats of unknown origin (``lot``)
            follow.

        Raises
        ------
        kpmodel.errors.InvalidArgumentError
            If `ledger` is not a `kpmodel.Ledger`, if a parcel holds less than numpy's
            float64 ``tiny`` (about 2.2e-308 carats), or if a lot the graph would need holds
            more than 10**15 carats: a country's stock (its imports not yet exported,
            which may pass the bound although each parcel is within it) or the lot a
            country's exports of a day draw on. The message names the country, the day and
            the certificates that push it over the bound.

        Examples
        --------
        The United Arab Emirates import 1,000 ct from Cameroon and 3,000 ct from
        Botswana, then export 2,000 ct and 2,400 ct of mixed origin:

        >>> import pandas as pd
        >>> ledger = kp.Ledger.from_frame(pd.DataFrame({
        ...     "number": ["CM-1", "BW-1", "AE-1", "AE-2"],
        ...     "issuing_country": ["CM", "BW", "AE", "AE"],
        ...     "destination_country": ["AE", "AE", "IN", "BE"],
        ...     "issued": ["2024-01-10", "2024-01-20", "2024-02-01", "2024-03-01"],
        ...     "hs_code": "7102.10", "carats": [1000, 3000, 2000, 2400],
        ...     "value_usd": [1e5, 6e5, 4e5, 5e5], "origin": ["CM", "BW", "MIXED", "MIXED"],
        ...     "declared_origins": ""}))
        >>> shares = kp.origin_shares(kp.ProvenanceGraph.from_ledger(ledger))
        >>> shares.of(2)
        {'BW': 0.75, 'CM': 0.25}
        >>> {origin: round(share * 2400) for origin, share in shares.of(3).items()}
        {'BW': 1500, 'CM': 500, 'unknown': 400}
        """
        from kpmodel.provenance._ledger import build_from_ledger

        return build_from_ledger(ledger, production=production)

    def to_frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Return ``(lots, flows)`` DataFrames in the format `from_frames` reads.

        Examples
        --------
        >>> g = kp.ProvenanceGraph()
        >>> mine = g.produce(country="BW", carats=10, on="2023-05-01")
        >>> lots, flows = g.to_frames()
        >>> lots[["lot_id", "kind", "origin", "carats"]]
           lot_id     kind origin  carats
        0       0  produce     BW    10.0
        """
        from kpmodel.provenance._frames import graph_to_frames

        return graph_to_frames(self)

    def to_networkx(self) -> nx.DiGraph[Any]:
        """Return a networkx DiGraph: one node per lot, one edge per flow.

        Nodes carry the lot attributes of `to_frames` (``kind``, ``carats``, ``origin``,
        ``on`` as an ISO date string, ``country``, ``zone``, ...; missing values are
        left out); edges carry ``carats``. Use it for your own graph algorithms and
        drawings; it is a copy, built on demand.

        Examples
        --------
        >>> g = kp.ProvenanceGraph()
        >>> mine = g.produce(country="BW", carats=10, on="2023-05-01")
        >>> ship = g.ship(mine, to="BE", on="2023-06-01")
        >>> G = g.to_networkx()
        >>> G.nodes[ship]["country"], G.edges[mine, ship]["carats"]
        ('BE', 10.0)
        """
        from kpmodel.provenance._io import to_networkx

        return to_networkx(self)

    @classmethod
    def from_networkx(cls, digraph: nx.DiGraph[Any]) -> ProvenanceGraph:
        """Build a graph from a networkx DiGraph with the attributes `to_networkx` writes.

        Nodes are lots: each must be named by an int (numpy's too, never a bool) or text,
        the lot ids `from_frames` reads.

        Raises
        ------
        kpmodel.errors.InvalidGraphError
            Naming each node whose id is not an int or text (a tuple, bytes ...:
            ``networkx.relabel_nodes(digraph, str)`` makes every id text), or whose
            attributes are of the wrong type; and as `from_frames` does.

        Examples
        --------
        >>> g = kp.ProvenanceGraph()
        >>> _ = g.produce(country="BW", carats=10, on="2023-05-01")
        >>> kp.ProvenanceGraph.from_networkx(g.to_networkx())
        <ProvenanceGraph: 1 lots, 0 flows; see .to_frames(), ...>
        """
        from kpmodel.provenance._io import from_networkx

        return from_networkx(digraph)

    def to_node_link(self) -> dict[str, Any]:
        """Return the graph as node-link data, a dict ready for `json.dump`.

        Examples
        --------
        >>> import json
        >>> g = kp.ProvenanceGraph()
        >>> _ = g.produce(country="BW", carats=10, on="2023-05-01")
        >>> data = json.loads(json.dumps(g.to_node_link()))
        >>> kp.ProvenanceGraph.from_node_link(data).to_frames()[0].equals(g.to_frames()[0])
        True
        """
        from kpmodel.provenance._io import to_node_link

        return to_node_link(self)

    @classmethod
    def from_node_link(cls, data: dict[str, Any]) -> ProvenanceGraph:
        """Build a graph from node-link data written by `to_node_link`.

        Raises
        ------
        kpmodel.errors.InvalidGraphError
            If `data` is not directed node-link data (``"directed": false``, a node with
            no ``"id"``, a node id given twice, an edge given twice or naming a node not
            in ``"nodes"``), each problem named by its place (``nodes[1]``,
            ``edges[3]``); and as `from_networkx` does (lot ids are ints or text).

        Examples
        --------
        >>> g = kp.ProvenanceGraph()
        >>> _ = g.produce(country="BW", carats=10, on="2023-05-01")
        >>> kp.ProvenanceGraph.from_node_link(g.to_node_link())
        <ProvenanceGraph: 1 lots, 0 flows; see .to_frames(), ...>
        """
        from kpmodel.provenance._io import from_node_link

        return from_node_link(data)

    def write_graphml(self, path: str | os.PathLike[str]) -> None:
        """Write the graph to a GraphML file (atomically: a temporary file, then a rename).

        GraphML node ids are text: lot ids that are ints, strings or both read back as
        they were (the file says which are ints).

        Raises
        ------
        kpmodel.errors.InvalidGraphError
            If an int and a string lot id have the same text (``1`` and ``"1"``): they
            would be one node. Nothing is written; rename one of them, or save with
            `to_node_link`, which keeps them apart.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> g = kp.ProvenanceGraph()
        >>> _ = g.produce(country="BW", carats=10, on="2023-05-01")
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "lots.graphml"
        >>> g.write_graphml(path)
        >>> kp.ProvenanceGraph.read_graphml(path)
        <ProvenanceGraph: 1 lots, 0 flows; see .to_frames(), ...>
        """
        from kpmodel.provenance._io import write_graphml

        write_graphml(self, path)

    @classmethod
    def read_graphml(cls, path: str | os.PathLike[str]) -> ProvenanceGraph:
        """Read a graph from a GraphML file written by `write_graphml`.

        Raises
        ------
        kpmodel.errors.LoadError
            When the file cannot be read.
        kpmodel.errors.InvalidGraphError
            When it is not GraphML, or not one directed graph (an undirected graph, more
            than one graph, a nested graph, a node id given twice, an edge given twice, an
            edge naming no node), each problem named by its place; and as `from_networkx` does.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> g = kp.ProvenanceGraph()
        >>> _ = g.produce(country="BW", carats=10, on="2023-05-01")
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "lots.graphml"
        >>> g.write_graphml(path)
        >>> len(kp.ProvenanceGraph.read_graphml(path))
        1
        """
        from kpmodel.provenance._io import read_graphml

        return read_graphml(path)

    def to_prov(self) -> Any:
        """Return a W3C PROV document (``prov.model.ProvDocument``; needs the ``prov`` extra).

        Lots are entities, the events that create them (production, split, mix, ship,
        smuggle, seizure) are activities, producers, traders and exporting/importing
        authorities are agents, and each flow is a derivation carrying its ``kp:carats``
        and ``kp:share`` (flow carats / receiving lot's carats). Serialise with
        ``doc.serialize(format="json")`` for PROV-JSON.

        Examples
        --------
        >>> import json
        >>> g = kp.ProvenanceGraph()
        >>> mine = g.produce(country="BW", carats=10, on="2023-05-01")
        >>> _ = g.ship(mine, to="BE", on="2023-06-01", certificate="BW-1")
        >>> doc = json.loads(g.to_prov().serialize(format="json"))
        >>> sorted(doc["entity"])
        ['kp:lot-0', 'kp:lot-1']
        """
        from kpmodel.provenance._io import to_prov

        return to_prov(self)


def _check_text(value: object, *, path: str) -> None:
    if value is not None and not isinstance(value, str):
        msg = f"{path} must be a string or None; got {show(value)}."
        raise InvalidArgumentError(msg)
    if value is not None:
        check_text(value, path=path, empty=True, error=InvalidArgumentError)


def blank_hint(name: str) -> str:
    """Return what to do about a blank zone or site name (`name`)."""
    return (
        f"leave the {name} out (None, or missing in a frame) when it is not known: a blank "
        f"{name} would name a place to origin_shares but none to kpmodel.definitions.Place"
    )


def _check_place(value: object, *, path: str) -> None:
    """Refuse a zone or site name that is not text, is blank, or holds a ``/``."""
    _check_text(value, path=path)
    if isinstance(value, str) and not value.strip():
        msg = f"{path} must be a name or None; got {value!r}: " + blank_hint(path)
        raise InvalidArgumentError(msg)
    if isinstance(value, str) and "/" in value:
        msg = (
            f"{path} must not contain '/'; got {value!r}. Origin labels join country, zone "
            f"and site with '/' (such as 'CF/A/B'), so a '/' in a {path} name would merge two "
            "places into one origin. Replace it (with '-', say)."
        )
        raise InvalidArgumentError(msg)


def _declared(declared: object) -> str:
    """Return the stored text of a declared origin given as the type or as its text."""
    if isinstance(declared, DeclaredOrigin):
        return str(declared)
    if not isinstance(declared, str):
        msg = (
            "declared_origin must be a kp.certificates.DeclaredOrigin or its text such as "
            f"'BW', 'MIXED' or 'MIXED (BW, RU)'; got {show(declared)}."
        )
        raise InvalidArgumentError(msg)
    try:
        return str(DeclaredOrigin.parse(declared))
    except KPModelError as error:
        raise UnknownCodeError(f"declared_origin {declared!r}: {error}") from None
