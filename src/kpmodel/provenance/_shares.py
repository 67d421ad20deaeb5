"""Origin attribution: the share of every lot's carats that came from each origin."""

from __future__ import annotations

import contextlib
import importlib
import itertools
import mmap
import os
import sys
import threading
import warnings
import weakref
from collections.abc import Callable, Hashable, Iterable, Iterator, Sized
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, cast

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.sparse import csgraph

from kpmodel import _limits
from kpmodel._boundary import guarded, show
from kpmodel._display import View
from kpmodel._lot_ids import (
    AMONG_SHARES,
    SHARES_IDS,
    lot_positions,
    no_lot_message,
    two_lots_message,
)
from kpmodel._progress import progress_bar
from kpmodel.errors import InvalidArgumentError, InvalidGraphError, KPModelWarning, SizeLimitError
from kpmodel.provenance._graph import KIND_CODE, FloatArray, IntArray, Kind, ProvenanceGraph

# The in-place CSR x dense kernel that scipy uses for `csr @ ndarray`; see _accumulate.
# It is private to scipy, so fall back to the public product if it ever moves.
try:
    _sparsetools: Any = importlib.import_module("scipy.sparse._sparsetools")
    _csr_matvecs: Any = _sparsetools.csr_matvecs
    _csr_matmat: Any = _sparsetools.csr_matmat
    _csr_matmat_maxnnz: Any = _sparsetools.csr_matmat_maxnnz
except (ImportError, AttributeError):  # pragma: no cover - depends on the scipy version
    _csr_matvecs = _csr_matmat = _csr_matmat_maxnnz = None

__all__ = [
    "UNKNOWN",
    "MixingRule",
    "OriginShares",
    "de_minimis",
    "origin_shares",
    "proportional",
    "taint",
]

#: The origin of carats that enter the graph with no documented source.
UNKNOWN = "unknown"

MixingRule = Callable[[FloatArray], FloatArray]
"""A mixing rule: given the carat-weighted average origin shares of the lots formed at
one topological level (one row per lot, one column per origin), return the shares to
record for them (same shape)."""

By = Literal["country", "zone", "site"]


@attrs.frozen
class _Proportional:
    """Mass balance: a mixed lot's shares are the carat-weighted average of its inputs'.

    Examples
    --------
    >>> import numpy as np
    >>> kp.provenance.proportional(np.array([[0.75, 0.25]])).tolist()
    [[0.75, 0.25]]
    """

    def __call__(self, mixed: FloatArray) -> FloatArray:
        return mixed

    def __repr__(self) -> str:
        return "proportional"


@attrs.frozen
class _Taint:
    """Taint: any positive share from an origin marks the whole lot (values 0 or 1).

    Examples
    --------
    >>> import numpy as np
    >>> kp.provenance.taint(np.array([[0.99, 0.01, 0.0]])).tolist()
    [[1.0, 1.0, 0.0]]
    """

    def __call__(self, mixed: FloatArray) -> FloatArray:
        return (mixed > 0).astype(np.float64)

    def in_place(self, mixed: FloatArray) -> None:
        """Apply the rule to `mixed`, overwriting it (as `__call__` would return)."""
        np.greater(mixed, 0, out=mixed)

    def __repr__(self) -> str:
        return "taint"


#: The relative margin by which a share below a `de_minimis` threshold still reaches it.
DE_MINIMIS_TOLERANCE = 1e-12


@attrs.frozen
class _DeMinimis:
    """De minimis: drop shares below `threshold` and renormalise (see `de_minimis`).

    Examples
    --------
    >>> kp.provenance.de_minimis(0.1)
    de_minimis(0.1)
    """

    threshold: float

    def __call__(self, mixed: FloatArray) -> FloatArray:
        shares = mixed.copy()
        self.in_place(shares)
        return shares

    def in_place(self, mixed: FloatArray) -> None:
        """Apply the rule to `mixed`, overwriting it (as `__call__` would return)."""
        # A share that reaches the threshold in exact arithmetic can land an ulp below it,
        # depending on the order its inputs were summed in (a full call and `lots=` sum
        # them in different orders): within the tolerance, a share reaches the threshold.
        at = self.threshold * (1 - DE_MINIMIS_TOLERANCE)
        kept = mixed >= at
        # A lot that keeps no share above 0 keeps its largest one instead (a share that
        # reaches a threshold above 0 is above 0), and those tied with it within the
        # tolerance: rounding does not choose between equal shares.
        holding = kept if at > 0 else kept & (mixed != 0)
        empty = np.flatnonzero(~holding.any(axis=1))
        largest = mixed[empty]
        top = largest.max(axis=1, keepdims=True)
        np.copyto(largest, 0.0, where=~(largest >= top * (1 - DE_MINIMIS_TOLERANCE)))
        dropped = np.logical_not(kept, out=kept)  # the same buffer, now the shares dropped
        np.copyto(mixed, 0.0, where=dropped)  # NaN included, as it never reaches the threshold
        mixed[empty] = largest
        total = mixed.sum(axis=1, keepdims=True)
        positive = total > 0
        # Every row keeps a share, so all totals are positive (and a division with `where`
        # costs 1.7x one without).
        np.divide(mixed, total, out=mixed, where=True if positive.all() else positive)

    def __repr__(self) -> str:
        return f"de_minimis({self.threshold!r})"


proportional: MixingRule = _Proportional()
"""Mass balance (the default): a mixed lot's shares are the carat-weighted average of its
inputs' shares, so every carat is traced to where it was mined."""

taint: MixingRule = _Taint()
"""Any positive share from an origin marks the whole lot: each origin's value is 1 when some
of the lot's carats may come from it, else 0 (rows then do not sum to 1)."""


def de_minimis(threshold: float) -> MixingRule:
    """Return the rule that disregards origins below `threshold` of a lot, at every mixing.

    Shares below `threshold` are dropped and the rest renormalised to sum to 1, each time
    lots are formed (so an origin diluted below the threshold is gone for good). A share
    within a relative 1e-12 below the threshold counts as reaching it: 10.4 ct of 104 ct is
    10 % however the carats were summed. A lot all of whose shares fall below the
    threshold keeps its largest, and the shares equal to it (within the same 1e-12): 4 ct
    from BW, 4 ct from RU and 4 ct undocumented stay a third each under ``de_minimis(0.5)``.

    .. versionchanged:: 0.2
       Shares tied with the largest are kept with it; before, rounding kept one of them.

    Examples
    --------
    >>> rule = kp.provenance.de_minimis(0.05)
    >>> rule
    de_minimis(0.05)
    >>> import numpy as np
    >>> rule(np.array([[0.97, 0.03]])).tolist()
    [[1.0, 0.0]]
    """
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        msg = f"threshold must be a number between 0 and 1; got {threshold!r}."
        raise InvalidArgumentError(msg)
    if not 0 <= threshold <= 1:
        msg = f"threshold must be between 0 and 1; got {threshold!r}."
        raise InvalidArgumentError(msg)
    return _DeMinimis(float(threshold))


_RULES_BY_NAME: dict[str, MixingRule] = {"proportional": proportional, "taint": taint}


def _mixing_rule(mixing: object) -> MixingRule:
    if isinstance(mixing, str):
        if mixing in _RULES_BY_NAME:
            return _RULES_BY_NAME[mixing]
    elif callable(mixing):
        return cast(MixingRule, mixing)
    msg = (
        "mixing must be kp.provenance.proportional, taint, de_minimis(threshold), their "
        f"names, or a callable taking and returning an array of shares; got {show(mixing)}."
    )
    raise InvalidArgumentError(msg)


#: The rows and origin columns the notebook view of `OriginShares` shows.
ROWS_SHOWN = 8
COLUMNS_SHOWN = 12


@guarded
@attrs.frozen(eq=False)
class OriginShares:
    """The share of each lot's carats that came from each origin.

    Attributes
    ----------
    values : numpy.ndarray or scipy.sparse.csr_array
        Float64, one row per lot (in `lots` order), one column per origin (in `origins` order).
    lots : pandas.Index
        The lot ids of the rows.
    origins : pandas.Index
        The origin labels of the columns; the last is ``"unknown"``.
    by : str
        ``"country"``, ``"zone"`` or ``"site"``.
    mixing : str
        The repr of the mixing rule used.

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> a = g.produce(country="BW", carats=30, on="2023-01-01")
    >>> b = g.produce(country="RU", carats=10, on="2023-01-01")
    >>> hub = g.mix([g.ship(a, to="AE", on="2023-02-01"), g.ship(b, to="AE", on="2023-02-01")])
    >>> shares = kp.origin_shares(g)
    >>> shares.to_frame().loc[hub].to_dict()
    {'BW': 0.75, 'RU': 0.25, 'unknown': 0.0}
    """

    values: FloatArray | sp.csr_array
    lots: pd.Index[Any]
    origins: pd.Index[Any]
    by: str
    mixing: str

    def _view(self) -> View:
        def first_rows() -> pd.DataFrame:
            rows = self.values[:ROWS_SHOWN]
            dense = rows.toarray() if isinstance(rows, sp.csr_array) else np.asarray(rows)
            used = np.flatnonzero(dense.any(axis=0))[:COLUMNS_SHOWN]
            frame = pd.DataFrame(dense[:, used], columns=[str(o) for o in self.origins[used]])
            frame.insert(0, "lot_id", self.lots[: len(dense)])
            return frame

        return View(
            kind="OriginShares",
            summary=f"{len(self.lots)} lots x {len(self.origins)} origins, by {self.by}, "
            f"mixing {self.mixing}",
            more="see .of(lot), .to_frame(); kp.provenance.plot_shares(shares, lots)",
            tables=lambda: [("Shares of the first lots (origins they hold)", first_rows())],
        )

    def __repr__(self) -> str:
        return self._view().text()

    def _repr_html_(self) -> str:
        return self._view().html()

    def to_frame(self) -> pd.DataFrame:
        """Return a DataFrame indexed by lot id with one column per origin.

        Examples
        --------
        >>> g = kp.ProvenanceGraph()
        >>> _ = g.produce(country="BW", carats=30, on="2023-01-01")
        >>> kp.origin_shares(g).to_frame()
                  BW  unknown
        lot_id
        0       1.0      0.0
        """
        frame: pd.DataFrame
        if isinstance(self.values, sp.csr_array):
            frame = cast(Any, pd.DataFrame).sparse.from_spmatrix(self.values, columns=self.origins)
            frame.index = self.lots
        else:
            frame = pd.DataFrame(self.values, index=self.lots, columns=self.origins)
        frame.index.name = "lot_id"
        frame.columns.name = None
        return frame

    def of(self, lot: Any) -> dict[str, float]:
        """Return the non-zero shares of one lot, as ``{origin: share}``.

        `lot` is found among `lots` as ``origin_shares(graph, lots=[lot])`` finds it: an
        id names a lot only if it is of the lot id's kind (``1.0`` and ``True`` equal ``1``
        but are not lot 1). A lot asked for twice has two equal rows; this is the first.

        Raises
        ------
        kpmodel.errors.InvalidArgumentError
            If `lot` names none of `lots`, or is not a single id (a list, say), as
            `origin_shares` refuses ``lots=[lot]``.
        kpmodel.errors.InvalidGraphError
            If `lot` names rows that differ: lots of a graph whose lot ids are not unique,
            which only a pickle changed by hand holds (its own lookups refuse it too).

        Examples
        --------
        >>> g = kp.ProvenanceGraph()
        >>> lot = g.produce(country="BW", carats=30, on="2023-01-01")
        >>> kp.origin_shares(g).of(lot)
        {'BW': 1.0}
        >>> kp.origin_shares(g).of(0.0)
        Traceback (most recent call last):
        ...
        kpmodel.errors.InvalidArgumentError: lot: 0.0 is not among these shares' lots (1 lot: 0)...
        """
        try:
            position = int(self._rows([lot], field="lot")[0])
        except InvalidArgumentError:  # refused as a `lot`, not as a list (`lots`) of one
            ids = self.lots.unique()
            message = no_lot_message([lot], ids, among=AMONG_SHARES, source=SHARES_IDS)
            raise InvalidArgumentError(message) from None
        row = dense_row(self.values, position)
        return {str(self.origins[int(j)]): float(row[j]) for j in np.flatnonzero(row)}

    def _rows(self, lots: Iterable[Any], field: str) -> IntArray:
        """Return the rows of `lots`, found as ``origin_shares(graph, lots=...)`` finds
        them but among these shares' lots; a lot with two rows (asked for twice) by its
        first, as `of` and `kpmodel.provenance.plot_shares` read it.
        """
        ids, first = self.lots, None
        if not ids.is_unique:
            repeat = ids.duplicated()
            first = np.flatnonzero(~repeat)
            ids = ids[first]
        rows = lot_positions(
            lots,
            ids,
            field=field,
            among=AMONG_SHARES,
            source=SHARES_IDS,
        )[1]
        if first is None:
            return rows
        # A lot asked for twice has equal rows; rows of one id that differ are two lots of
        # a graph whose ids are not unique (a pickle changed by hand): refused, not one.
        others = np.flatnonzero(repeat & self.lots.isin(ids[rows]))
        heads = first[ids.get_indexer(self.lots[others])]
        step = max(1, 2**20 // self.values.shape[1])
        for start in range(0, others.size, step):
            pair = [others[start : start + step], heads[start : start + step]]
            a, b = (
                self.values[p].toarray() if sp.issparse(self.values) else self.values[p]
                for p in pair
            )
            differ = np.flatnonzero(
                ~np.isclose(a, b, rtol=0, atol=1e-9, equal_nan=True).all(axis=1)
            )
            if differ.size:
                lot = self.lots[pair[0][differ[0]]]
                count = int((self.lots == lot).sum())
                among = "these shares"
                raise InvalidGraphError(two_lots_message(lot, count, field=field, among=among))
        return first[rows]


def require_graph(graph: object) -> None:
    """Refuse anything but a `ProvenanceGraph` where a function takes a graph."""
    if not isinstance(graph, ProvenanceGraph):
        msg = f"graph must be a kpmodel.ProvenanceGraph; got {type(graph).__name__}."
        raise InvalidArgumentError(msg)


def dense_row(values: FloatArray | sp.csr_array, position: int) -> FloatArray:
    """Return row `position` of a dense or sparse shares matrix as a dense 1-D array."""
    row: FloatArray = (
        values[[position]].toarray()[0] if isinstance(values, sp.csr_array) else values[position]
    )
    return row


def origin_labels(graph: ProvenanceGraph, by: str) -> tuple[IntArray, list[str]]:
    """Return, for each lot, the code of its origin label (-1 if not a production lot).

    The codes (read-only, 8 bytes a lot) are kept with the graph (`derived`), one array per
    `by` asked for: on the 1,000,000-lot graphs of ``benchmarks/bench_provenance.py``
    computing them took 1.2 ms (November 2026), most of a question about a few lots whose
    ancestry is small, and 3 % of one about 100 random lots.
    """
    if not isinstance(by, str) or by not in ("country", "zone", "site"):
        msg = f"by must be 'country', 'zone' or 'site'; got {show(by)}."
        raise InvalidArgumentError(msg)
    code, labels = derived(graph, _origin_labels, by)
    return code, list(labels)


def _origin_labels(graph: ProvenanceGraph, by: str) -> tuple[IntArray, tuple[str, ...]]:
    """Compute `origin_labels` (the labels as a tuple, which no caller can change)."""
    origin = graph._column("origin")
    produced = np.flatnonzero(origin >= 0)
    parts = [origin[produced]]
    if by in ("zone", "site"):
        parts.append(graph._column("zone")[produced])
    if by == "site":
        parts.append(graph._column("site")[produced])
    table = [*graph._strings, ""]
    # One number per lot in mixed radix (codes shifted by one so that -1, none, sorts
    # first): sorting numbers gives the order of sorting the rows of codes, much faster.
    radix = [int(part.max(initial=-1)) + 2 for part in parts]
    if float(np.prod(np.array(radix, dtype=np.float64))) < 2**62:
        combined = np.zeros(produced.size, np.int64)
        for part, base in zip(parts, radix, strict=True):
            combined = combined * base + (part.astype(np.int64) + 1)
        unique_combined, inverse = _unique_numbers(combined, int(np.prod(radix, dtype=object)))
        columns = []
        for base in radix[::-1]:
            unique_combined, digit = np.divmod(unique_combined, base)
            columns.append(digit - 1)
        unique_keys = np.stack(columns[::-1], axis=1)
    else:  # pragma: no cover - string tables beyond billions of entries
        unique_keys, inverse = np.unique(np.stack(parts, axis=1), axis=0, return_inverse=True)
    labels = ["/".join(table[c] for c in key).rstrip("/") for key in unique_keys.tolist()]
    # Different keys can only give one label if a zone or site name is empty; merge them.
    distinct = sorted(set(labels))
    column = {label: i for i, label in enumerate(distinct)}
    column_of_key = np.array([column[label] for label in labels], dtype=np.int64)
    code = np.full(len(graph), -1, np.int64)
    code[produced] = column_of_key[inverse.reshape(-1)]
    return code, tuple(distinct)


def _unique_numbers(numbers: IntArray, span: int) -> tuple[IntArray, IntArray]:
    """Return ``np.unique(numbers, return_inverse=True)`` for numbers in 0..span-1.

    Where the span is small beside the numbers (the labels of a few hundred countries over
    a graph's production lots) a table of the numbers seen replaces numpy's sort.
    """
    if span > 4 * numbers.size + 1024:
        unique, inverse = np.unique(numbers, return_inverse=True)
        return unique, inverse.reshape(-1)
    seen = np.zeros(span, bool)
    seen[numbers] = True
    rank = np.cumsum(seen) - 1
    return np.flatnonzero(seen), rank[numbers]


def flow_weights(graph: ProvenanceGraph) -> FloatArray:
    """Return each flow's weight: its carats over the carats of the lot it flows into."""
    weight: FloatArray = (
        graph._flow_column("carats") / graph._column("carats")[graph._flow_column("target")]
    )
    return weight


def share_weights(graph: ProvenanceGraph) -> sp.csr_array:
    """Return W, the (lots x lots) matrix of the share of row lot's carats from column lot."""
    n = len(graph)
    target = graph._flow_column("target")
    source = graph._flow_column("source")
    weight = flow_weights(graph)
    index_type = np.int32 if n < 2**31 - 1 else np.int64
    indptr = np.zeros(n + 1, index_type)
    np.cumsum(np.bincount(target, minlength=n), out=indptr[1:])
    return sp.csr_array((weight, source.astype(index_type), indptr), shape=(n, n))


def level_blocks(graph: ProvenanceGraph) -> Iterator[slice | IntArray]:
    """Yield the lots of each topological level, parents first, as a slice when contiguous."""
    level = graph._column("level")
    if level.size == 0:
        return
    if np.all(level[1:] >= level[:-1]):
        bounds = np.searchsorted(level, np.arange(int(level[-1]) + 2))
        for start, stop in itertools.pairwise(bounds):
            if stop > start:
                yield slice(int(start), int(stop))
        return
    order = np.argsort(level, kind="stable")
    bounds = np.searchsorted(level[order], np.arange(int(level.max()) + 2))
    for start, stop in itertools.pairwise(bounds):
        if stop > start:
            yield order[start:stop]


#: Contiguous blocks with fewer rows than this are not worth splitting across threads.
_ROWS_PER_THREAD = 4096


def _accumulate(
    weights: sp.csr_array,
    rows: slice | IntArray,
    shares: FloatArray,
    pool: ThreadPoolExecutor | None,
) -> None:
    """Add ``weights[rows] @ shares`` to ``shares[rows]``, in place when rows are contiguous.

    Rows of one level only read rows of lower levels, so writing in place is safe, and
    disjoint row ranges of a level can be computed by separate threads (scipy's kernel
    releases the GIL). scipy's public ``csr @ dense`` would allocate the product and then
    copy it; calling its kernel directly accumulates straight into the output rows.
    """
    if not isinstance(rows, slice) or _csr_matvecs is None:
        # By blocks of at most 1/64 of the lots, so that the copies this makes (the product
        # and the rows it is added to) stay small however wide the level: callers' memory
        # estimates count the shares, not two more copies of a level of them.
        whole = np.arange(rows.start, rows.stop) if isinstance(rows, slice) else rows
        size = max(1, min(_ROWS_PER_THREAD, shares.shape[0] // 64))
        for start in range(0, whole.size, size):
            block = whole[start : start + size]
            shares[block] += weights[block] @ shares
        return
    workers = 1 if pool is None else pool._max_workers
    parts = max(1, min(workers, (rows.stop - rows.start) // _ROWS_PER_THREAD))
    cuts = np.linspace(rows.start, rows.stop, parts + 1).astype(np.int64).tolist()

    def run(start: int, stop: int) -> None:
        lo, hi = weights.indptr[start], weights.indptr[stop]
        _csr_matvecs(
            stop - start,
            shares.shape[0],
            shares.shape[1],
            weights.indptr[start : stop + 1] - lo,
            weights.indices[lo:hi],
            weights.data[lo:hi],
            shares.reshape(-1),
            shares[start:stop].reshape(-1),
        )

    if parts == 1 or pool is None:
        run(cuts[0], cuts[1])
    else:
        list(pool.map(run, cuts[:-1], cuts[1:]))


def propagate(
    graph: ProvenanceGraph,
    initial: FloatArray,
    *,
    rule: MixingRule | None = None,
    reset: npt.NDArray[np.bool_] | None = None,
    weights: sp.csr_array | None = None,
) -> FloatArray:
    """Return S with S = W S + initial, solved level by level (lots are parents-first).

    `initial` (lots x columns) is overwritten and returned. Lots in `reset` take their
    `initial` row and nothing from their inputs. `rule`, when given, is applied to the
    rows of each level after mixing. `weights`, when given, is W (`share_weights`, made
    once for several calls; not changed).
    """
    if weights is None:
        weights = share_weights(graph)
    if reset is not None and reset.any():
        keep = np.repeat(~reset, np.diff(weights.indptr))
        data = np.where(keep, weights.data, 0.0)
        weights = sp.csr_array((data, weights.indices, weights.indptr), shape=weights.shape)
    workers = min(os.cpu_count() or 1, 4) if len(graph) >= 2 * _ROWS_PER_THREAD else 1
    with ThreadPoolExecutor(workers) if workers > 1 else contextlib.nullcontext() as pool:
        for rows in level_blocks(graph):
            _accumulate(weights, rows, initial, pool)
            if rule is not None:
                _apply_rule(rule, initial, rows)
    return initial


def _apply_rule(rule: MixingRule, shares: FloatArray, rows: slice | IntArray) -> None:
    if isinstance(rule, _Taint | _DeMinimis) and isinstance(rows, slice):
        # The built-in rules work on the rows themselves (a view), and what they return
        # needs no check: one pass instead of a copy, the rule's array and three checks.
        rule.in_place(shares[rows])
        return
    mixed = shares[rows]
    try:
        returned = np.asarray(rule(mixed.copy()))
    except MemoryError as exc:  # not the rule's fault: the machine's
        msg = (
            f"the mixing rule {rule!r} ran out of memory on {mixed.shape[0]:,} lots x "
            f"{mixed.shape[1]:,} origins of shares; ask for fewer lots (lots=[...]) or a "
            "coarser origin (by='country'), or free memory"
        )
        raise SizeLimitError(msg) from exc
    except Exception as exc:  # the user's code: whatever it raises, say where it came from
        msg = f"the mixing rule {rule!r} failed on an array of shares: {type(exc).__name__}: {exc}"
        raise InvalidArgumentError(msg) from exc
    if returned.dtype.kind not in "biuf":
        msg = (
            f"the mixing rule {rule!r} returned {returned.dtype} values; it must return "
            "real numbers (float), one per origin of every lot."
        )
        raise InvalidArgumentError(msg)
    ruled = returned.astype(np.float64, copy=False)
    if ruled.shape != mixed.shape:
        msg = (
            f"the mixing rule {rule!r} returned an array of shape {ruled.shape}; "
            f"it must return the shape it was given, {mixed.shape}."
        )
        raise InvalidArgumentError(msg)
    # A share is at most the whole lot (1, give or take float noise in a rule's sums).
    if not np.isfinite(ruled).all() or (ruled < 0).any() or (ruled > 1 + 1e-9).any():
        msg = (
            f"the mixing rule {rule!r} returned shares that are negative, above 1 or not "
            "finite numbers (NaN or infinite); it must return a share between 0 and 1 for "
            "every origin of every lot."
        )
        raise InvalidArgumentError(msg)
    shares[rows] = ruled


def unknown_fraction(graph: ProvenanceGraph) -> FloatArray:
    """Return, per lot, the fraction of its carats that entered with no documented source."""
    carats = graph._column("carats")
    fraction: FloatArray = np.clip(1.0 - graph._column("received") / carats, 0.0, 1.0)
    fraction[graph._column("kind") == KIND_CODE[Kind.PRODUCE]] = 0.0
    # Float noise from summing flows is not an unknown origin.
    fraction[fraction < 1e-12] = 0.0
    return fraction


# -- the adaptive propagation ------------------------------------------------------------

#: A level is stored dense when its share entries (measured after a sparse product, or
#: counted from its support when it draws on dense rows) exceed this fraction of
#: lots x origins; below it, the level is kept as sparse rows.
DENSE_AT = 0.25

#: Results smaller than this (bytes, dense) are returned dense whatever their density.
SMALL_RESULT = 2**26


#: Arrays larger than this many bytes are mapped by `zeros` with small pages.
_MAPPED_FROM = 2**26

#: The most bytes of a chunk of scratch (see `_Store`): dense rows x origins solved outside
#: the store.
SCRATCH_BYTES = 2**26


def zeros(shape: int | tuple[int, ...], dtype: Any = np.float64) -> Any:
    """Return a zero-filled array; a large one as an anonymous map of small pages.

    numpy asks Linux for transparent huge pages on large allocations. On a virtual
    machine that hands freed memory back to its host (free page reporting), touching
    fresh huge pages costs several times more than small ones (``benchmarks/bench_pages.py``
    on the project's 2-core VM: writing 1.6 GB fresh took 2.8 s with huge pages, 0.7 s
    without; again in the same process 0.2 s and 0.8 s), and a dense result is touched
    whole. A
    private anonymous map is zero by construction, so it is not zero-filled twice, and
    pages never written cost nothing.
    """
    dims = (shape,) if isinstance(shape, int) else shape
    item = np.dtype(dtype)
    size = int(np.prod(dims, dtype=np.int64)) * item.itemsize
    if size < max(_MAPPED_FROM, 1) or not hasattr(mmap, "MADV_NOHUGEPAGE"):
        return np.zeros(dims, item)
    try:
        mapped = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    except OSError:  # pragma: no cover - out of address space: let numpy decide
        return np.zeros(dims, item)
    with contextlib.suppress(OSError):
        mapped.madvise(mmap.MADV_NOHUGEPAGE)
    return np.frombuffer(mapped, dtype=item).reshape(dims)


#: Linux's MADV_POPULATE_WRITE (Linux 5.14), which Python's mmap names only from 3.12.
_POPULATE_WRITE: int | None = getattr(
    mmap, "MADV_POPULATE_WRITE", 23 if sys.platform.startswith("linux") else None
)


def populate(array: Any) -> None:
    """Fault in every page of an array made by `zeros` (or of a contiguous view of one, such
    as a block of its rows) now, in one call to the kernel.

    A dense result is written whole. Asking the kernel to fill its pages at once costs less
    than one fault per page as rows are written (``benchmarks/bench_pages.py`` on the
    project's 2-core VM: 1.6 GB filled and written in 0.53 s against 0.69 s, medians of
    three fresh processes). One call: ``mmap.madvise`` holds the GIL, and two threads each
    filling half through the C library's call (which does not) took as long as one (the
    same script, November 2026: 0.55 s both, medians of three).
    Arrays that are not mapped, or kernels without the call, are left as they are (their
    pages are filled as they are written).
    """
    mapped, whole = array, array
    while mapped is not None and not isinstance(mapped, mmap.mmap):
        if isinstance(mapped, np.ndarray):
            whole = mapped  # the last array before the map: np.frombuffer's, the map's start
        # numpy views name their owner `base`; the buffer of np.frombuffer is a memoryview.
        mapped = mapped.obj if isinstance(mapped, memoryview) else getattr(mapped, "base", None)
    if mapped is None or _POPULATE_WRITE is None or not array.flags.c_contiguous:
        return
    offset = array.ctypes.data - whole.ctypes.data
    start = offset // mmap.PAGESIZE * mmap.PAGESIZE
    with contextlib.suppress(OSError, ValueError):  # an older kernel: filled as written
        mapped.madvise(_POPULATE_WRITE, start, offset + array.nbytes - start)


def flow_index(graph: ProvenanceGraph) -> IntArray:
    """Return the CSR row pointer of the flows by receiving lot (flows are sorted by target)."""
    indptr = np.zeros(len(graph) + 1, np.int64)
    np.cumsum(np.bincount(graph._flow_column("target"), minlength=len(graph)), out=indptr[1:])
    return indptr


def _ranges(starts: IntArray, counts: IntArray) -> IntArray:
    """Return the concatenation of ``arange(start, start + count)`` for each pair."""
    total = int(counts.sum())
    offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    out: IntArray = offsets + np.arange(total, dtype=np.int64)
    return out


def ancestry(graph: ProvenanceGraph, positions: IntArray, indptr: IntArray) -> IntArray:
    """Return the sorted positions of `positions` and of every lot they draw from.

    A breadth-first walk up the flows (CSR by receiving lot), one generation of parents
    per step, each lot expanded once: the cost grows with the flows of the ancestry, not
    with the graph (no sort: duplicates are dropped with a scratch array).
    """
    source = graph._flow_column("source")
    seen = np.zeros(len(graph), bool)
    slot = np.empty(len(graph), np.int64)
    frontier = positions[~seen[positions]]
    for _ in range(_ANCESTRY_STEPS):
        if not frontier.size:
            break
        seen[frontier] = True
        starts = indptr[frontier]
        parents = source[_ranges(starts, indptr[frontier + 1] - starts)]
        parents = parents[~seen[parents]]
        # Keep the first occurrence of each parent: the last write to its slot wins, so a
        # parent is kept at the one position whose index its slot holds.
        order = np.arange(parents.size)
        slot[parents] = order
        frontier = parents[slot[parents] == order]
    else:  # a deep ancestry: the rest in one search
        if frontier.size:
            seen[_ancestors(source, indptr, frontier)] = True
    return np.flatnonzero(seen)


#: Generations of parents `ancestry` finds a step at a time (numpy operations on each
#: generation) before it finds the rest in one breadth-first search (scipy's, in C) over
#: the whole graph's flows, which costs more for a shallow ancestry and far less for a deep
#: one: 100 lots of ``benchmarks/bench_provenance.py``'s globally mixed 1M-lot graph took
#: 0.037 s a step at a time (17 steps) against 0.089 s in one search; the last lot of a
#: chain of 100,000 took 1.46 s against 0.0036 s (best of 3, November 2026).
_ANCESTRY_STEPS = 64


def _ancestors(source: IntArray, indptr: IntArray, lots: IntArray) -> IntArray:
    """Return `lots` and every lot they draw from, by one breadth-first search up the flows
    (`source` of each flow, CSR by receiving lot), from a root added above `lots`.
    """
    n = indptr.size - 1
    pointer = np.append(indptr, indptr[-1] + lots.size)
    parent = np.concatenate([source, lots])
    flows = sp.csr_array((np.ones(parent.size, np.int8), parent, pointer), shape=(n + 1, n + 1))
    found = csgraph.breadth_first_order(flows, n, directed=True, return_predecessors=False)
    return cast(IntArray, found[1:])


@attrs.define
class _System:
    """The rows to solve, in processing order, as one sparse system.

    Row i (processing order) of ``[P | W]`` (CSR: indptr, indices, data) holds the lot's own
    origin entries (columns 0..k-1: production origin, unknown remainder) and then its
    inputs' weights (column k + j for the input solved as row j). The shares solve
    S = [P | W] [I; S], level block by level block.
    """

    positions: IntArray  # graph position of each row, in processing order
    # Blocks of rows bounds[i]..bounds[i+1] drawing only on earlier blocks' rows: the
    # topological levels, or runs of lots in storage order (see `storage_blocks`).
    bounds: list[int]
    indptr: npt.NDArray[Any]
    indices: npt.NDArray[Any]
    data: FloatArray
    k: int


def processing_rows(lots: int, positions: IntArray) -> IntArray:
    """Return, for each of `lots` graph positions, its row among `positions` (-1 if absent)."""
    renumber = np.full(lots, -1, np.int64)
    renumber[positions] = np.arange(positions.size)
    return renumber


def _system(graph: ProvenanceGraph, code: IntArray, k: int, wanted: IntArray | None) -> _System:
    n = len(graph)
    indptr_all = derived(graph, flow_index)
    if wanted is None:
        rows: IntArray = np.arange(n, dtype=np.int64)
    else:
        rows = ancestry(graph, wanted, indptr_all)
    level = graph._column("level")[rows]
    bounds: list[int] | None = None
    if level.size and not bool(np.all(level[1:] >= level[:-1])):
        if wanted is None:  # every lot: in storage order, if it has few enough blocks
            bounds = storage_blocks(graph, indptr_all, most=2 * _levels(graph) + 64)
        if bounds is None:
            by_level = np.argsort(level, kind="stable")
            rows, level = rows[by_level], level[by_level]
    m = rows.size
    all_rows = wanted is None and m == n and bool(np.all(rows == np.arange(n)))
    # The inputs of each row, renumbered to processing order.
    starts = indptr_all[rows]
    flow_count = indptr_all[rows + 1] - starts
    if all_rows:
        picked: IntArray | slice = slice(None)
        renumber: IntArray | None = None
    else:
        picked = _ranges(starts, flow_count)
        renumber = processing_rows(n, rows)
    source = graph._flow_column("source")[picked]
    if all_rows:
        weight = flow_weights(graph)
    else:
        receiving = graph._flow_column("target")[picked]
        weight = graph._flow_column("carats")[picked] / graph._column("carats")[receiving]
    column = source if renumber is None else renumber[source]
    # The lots' own entries: production origin, then the unknown remainder.
    own_code = code[rows]
    unknown = derived(graph, unknown_fraction)[rows]
    produced = np.flatnonzero(own_code >= 0)
    entering = np.flatnonzero(unknown > 0)
    own_count = (own_code >= 0).astype(np.int64) + (unknown > 0)
    index_type = np.int32 if k + m + 1 < 2**31 and m * (k + 1) < 2**31 else np.int64
    indptr = np.zeros(m + 1, np.int64)
    np.cumsum(own_count + flow_count, out=indptr[1:])
    nnz = int(indptr[-1])
    indices = np.empty(nnz, index_type)
    data = np.empty(nnz)
    indices[indptr[produced]] = own_code[produced]
    data[indptr[produced]] = 1.0
    at = indptr[entering] + (own_code[entering] >= 0)
    indices[at] = k - 1
    data[at] = unknown[entering]
    # Each row's flows follow its own entries, in the order of the graph's flows.
    is_flow = np.ones(nnz, bool)
    is_flow[indptr[produced]] = False
    is_flow[at] = False
    indices[is_flow] = column + k
    data[is_flow] = weight
    if bounds is None:
        bounds = np.searchsorted(level, np.arange(int(level.max(initial=0)) + 2)).tolist()
        bounds = [b for i, b in enumerate(bounds) if i == 0 or b > bounds[i - 1]]
    return _System(
        positions=rows,
        bounds=bounds,
        indptr=indptr.astype(index_type),
        indices=indices,
        data=data,
        k=k,
    )


def storage_blocks(graph: ProvenanceGraph, indptr: IntArray, most: int) -> list[int] | None:
    """Return the bounds of blocks of consecutive lots, in storage order, each drawing only
    on lots stored before the block; None if there would be more than `most` blocks.

    A graph loaded by `ProvenanceGraph.from_frames` is stored level by level, but lots
    appended afterwards (or a graph built lot by lot) are not: solved in level order, the
    shares would have to be moved into storage order at the end, a second dense result.
    Blocks in storage order need no move. They are as many as the levels when the lots
    appended are few, but can be many more (a graph built one small mix at a time):
    beyond `most`, level order is used. Each block is as long as it can be, found by
    scanning windows that double in size from its start.
    """
    n = len(graph)
    last_input = np.full(n, -1, np.int64)
    fed = np.flatnonzero(np.diff(indptr))
    if fed.size:
        last_input[fed] = np.maximum.reduceat(graph._flow_column("source"), indptr[fed])
    if not bool(np.all(last_input < np.arange(n))):  # pragma: no cover - parents come first
        return None  # a graph whose flows run backwards in storage: solved in level order
    bounds = [0]
    while bounds[-1] < n:
        start, stop, low, window = bounds[-1], n, bounds[-1] + 1, _FIRST_WINDOW
        while low < n:
            high = min(n, low + window)
            drawing_on_block = np.flatnonzero(last_input[low:high] >= start)
            if drawing_on_block.size:
                stop = low + int(drawing_on_block[0])
                break
            low, window = high, 2 * window
        if len(bounds) > most:
            return None
        bounds.append(stop)
    return bounds


#: The first window `storage_blocks` scans for the end of a block (it then doubles).
_FIRST_WINDOW = 4096


def _block(system: _System, a: int, b: int) -> tuple[IntArray, IntArray, FloatArray]:
    lo, hi = int(system.indptr[a]), int(system.indptr[b])
    ptr: IntArray = system.indptr[a : b + 1] - system.indptr[a]
    return ptr, system.indices[lo:hi], system.data[lo:hi]


def _row_sums(ptr: IntArray, values: IntArray) -> IntArray:
    """Return the sum of `values` over each CSR row given by `ptr`."""
    total = np.zeros(values.size + 1, np.int64)
    np.cumsum(values, out=total[1:])
    sums: IntArray = total[ptr[1:]] - total[ptr[:-1]]
    return sums


def _select(
    ptr: IntArray, indices: IntArray, data: FloatArray, keep: npt.NDArray[np.bool_]
) -> tuple[IntArray, IntArray, FloatArray]:
    """Return the CSR block of the entries where `keep` is true."""
    counts = _row_sums(ptr, keep.astype(np.int64))
    new_ptr = np.zeros(ptr.size, ptr.dtype)
    np.cumsum(counts, out=new_ptr[1:])
    return new_ptr, indices[keep], data[keep]


#: Lots' sets of origins are tracked as bit sets (one 64-bit word per 64 origins) while
#: they need at most this many words per lot; beyond it, a bound on their size is used.
_SUPPORT_WORDS = 32

#: The number of set bits of each byte, for numpy versions without ``bitwise_count``.
_BITS_IN_BYTE = np.array([bin(i).count("1") for i in range(256)], np.int64)


def _count_bits(words: npt.NDArray[np.uint64]) -> IntArray:
    """Return the number of set bits in each row of `words` (rows x words)."""
    if not hasattr(np, "bitwise_count"):  # pragma: no cover - numpy < 2.0
        return _count_bits_by_byte(words)
    # Column by column: numpy sums a few columns of many rows far faster than along rows.
    per_word = np.bitwise_count(words)
    total = np.zeros(words.shape[0], np.int64)
    for word in range(words.shape[1]):
        total += per_word[:, word]
    return total


def _count_bits_by_byte(words: npt.NDArray[np.uint64]) -> IntArray:
    """`_count_bits` by a table of the bits in each byte (numpy < 2.0)."""
    as_bytes = (
        np.ascontiguousarray(words).view(np.uint8).reshape(words.shape[0], 8 * words.shape[1])
    )
    return cast(IntArray, _BITS_IN_BYTE[as_bytes].sum(axis=1))


def supports_are_exact(system: _System, budget: int = sys.maxsize) -> bool:
    """Whether `supports` counts the origins exactly (bit sets) rather than bounding them."""
    k, m = system.k, system.positions.size
    words = -(-k // 64)
    # The bit sets, and a level's gathered sets and their union while it is reduced.
    widest = int(np.diff(system.indptr[system.bounds]).max(initial=0))
    return words <= _SUPPORT_WORDS and (k + m + 2 * widest) * words * 8 <= budget


def supports(system: _System, budget: int = sys.maxsize) -> IntArray:
    """Return how many origins each row's shares hold under mass balance (its support).

    A lot holds the origins of its own entries and of its inputs: the union of their
    sets. With up to ``64 * _SUPPORT_WORDS`` origins the sets are propagated as bit sets
    (one OR per flow and word), so the counts are exact; beyond, each count is bounded by
    the sum of its inputs' counts (at most one per origin). Rules other than mass balance
    only drop entries (`taint`, `de_minimis`) or may change the support (a custom rule):
    the counts decide storage and the memory estimate, never a share. The bit sets take
    ``8 * words`` bytes per lot; above `budget` bytes, the bound is used.
    """
    k, m = system.k, system.positions.size
    words = -(-k // 64)
    count = np.zeros(m, np.int64)
    if not supports_are_exact(system, budget):
        bound = np.ones(k + m, np.int64)
        for a, b in itertools.pairwise(system.bounds):
            ptr, cols, _ = _block(system, a, b)
            bound[k + a : k + b] = np.minimum(_row_sums(ptr, bound[cols]), k)
        return bound[k:]
    bits = np.zeros((k + m, words), np.uint64)
    # Rows are gathered with np.take(axis=0) and written with np.put on a view of each row
    # as one item: 2.5-4.5x faster than numpy's row indexing once rows span several words
    # (numpy 2.4, 1M rows of 4 words).
    rows = bits.view(np.dtype((np.void, 8 * words))).reshape(-1)
    origin = np.arange(k)
    bits[origin, origin // 64] = np.left_shift(np.uint64(1), (origin % 64).astype(np.uint64))
    # A lot with an input that holds every origin holds every origin: its set is not
    # gathered (lots a few steps from the mines of a globally mixed trade hold them all).
    full = np.zeros(k + m, bool)
    any_full = False
    for a, b in itertools.pairwise(system.bounds):
        ptr, cols, _ = _block(system, a, b)
        inputs = np.diff(ptr)
        if any_full:
            fed_full = _row_sums(ptr, full[cols].view(np.int8)) > 0
        else:  # no lot holds every origin yet (as in trade that mixes locally)
            fed_full = np.zeros(b - a, bool)
        todo = np.flatnonzero((inputs > 0) & ~fed_full)
        if todo.size and fed_full.any():
            at = _ranges(ptr[todo].astype(np.int64), inputs[todo].astype(np.int64))
            starts = np.cumsum(inputs[todo]) - inputs[todo]
            united = np.bitwise_or.reduceat(np.take(bits, cols[at], axis=0), starts, axis=0)
            np.put(rows, k + a + todo, united.view(rows.dtype).reshape(-1))
        elif todo.size:
            united = np.bitwise_or.reduceat(np.take(bits, cols, axis=0), ptr[todo], axis=0)
            np.put(rows, k + a + todo, united.view(rows.dtype).reshape(-1))
        count[a:b] = _count_bits(bits[k + a : k + b])
        count[a:b][fed_full] = k
        full[k + a : k + b] = count[a:b] == k
        any_full = any_full or bool(full[k + a : k + b].any())
    return count


Layout = Literal["dense", "sparse", "adaptive"]
"""How levels are stored: all dense (the result is dense and is the store's own array),
all sparse (the result is sparse: no level is converted at the end), or each level as its
density says (`DENSE_AT`; lots asked for, or a graph solved in level order that is not
stored so: see `storage_blocks`)."""


def dense_at(layout: Layout) -> float:
    """Return the fraction of rows x origins above which a level of `layout` is dense."""
    return {"dense": 0.0, "sparse": float("inf")}.get(layout, DENSE_AT)


def is_dense_level(support: IntArray, k: int, layout: Layout) -> bool:
    """Whether a level whose rows hold `support` origins is stored dense."""
    return int(support.sum()) > dense_at(layout) * support.size * k


def forward_work(system: _System, support: IntArray) -> int:
    """Return the multiply-adds of a forward solve: every input's entries, over the lots."""
    held = np.concatenate([np.ones(system.k, np.int64), support])
    return int(held[system.indices].sum())


def estimate_bytes(
    system: _System,
    support: IntArray,
    layout: Layout,
    copies: int = 1,
    scratch: int = SCRATCH_BYTES,
) -> tuple[int, int, int]:
    """Return (bytes needed at most, entries of sparse levels, bytes of the levels stored).

    The store, the system, the supports and the scratch of levels solved through dense
    chunks (`copies` arrays of a chunk of at most `scratch` bytes at once: 1 under mass
    balance, 3 under a rule, which is given a copy and returns an array); not the result,
    when it is not the store.
    """
    k, m = system.k, system.positions.size
    entry = system.indices.itemsize + 8
    # Each level as `is_dense_level` decides, all levels at once (deep graphs have many).
    starts = np.asarray(system.bounds[:-1], np.int64)
    rows = np.diff(np.asarray(system.bounds, np.int64))
    held = np.add.reduceat(support, starts) if starts.size else np.zeros(0, np.int64)
    dense = held > dense_at(layout) * rows * k
    sparse_entries = int(held[~dense].sum())
    need = int(rows[dense].sum()) * k * 8 + sparse_entries * entry
    matrix = system.indices.nbytes + system.data.nbytes + system.indptr.nbytes
    widest = int(rows.max(initial=0))
    chunk = min(widest, scratch_rows(k, scratch)) * k * 8
    # A dense layout under mass balance solves in the store itself, with no scratch.
    extra = 0 if layout == "dense" and copies == 1 else copies * chunk
    return (
        need + 2 * matrix + 8 * m + extra,
        sparse_entries,
        need,
    )


def result_bytes(rows: int, k: int, entries: int, sparse: bool | None, index_size: int) -> int:
    """Return the bytes of a result of `rows` x `k` shares holding `entries` (at most) that
    are not zero, dense or sparse as `sparse` asks (None: as `origin_shares` decides).
    """
    as_sparse = entries * (8 + index_size) + 8 * (rows + 1)
    if sparse is None:
        sparse = _is_sparse_result(rows, k, entries)
    return as_sparse if sparse else rows * k * 8


class _Store:
    """Shares as they are solved, level by level, each level dense or sparse.

    Dense levels live in one (rows x origins) array whose pages are only touched where
    used; sparse levels are CSR rows appended after k unit rows (one per origin).
    """

    def __init__(
        self,
        k: int,
        m: int,
        index_type: Any,
        capacity: int = 0,
        layout: Layout = "adaptive",
        scratch: int = SCRATCH_BYTES,
    ) -> None:
        self.k, self.m = k, m
        self.layout = layout
        # Levels solved through dense rows x origins arrays outside the store (a level that
        # draws on dense rows but is stored sparse, or any level under a rule other than
        # mass balance) are solved in chunks of rows of at most this many bytes.
        self.scratch = scratch
        self.dense: FloatArray | None = None
        self.is_dense = np.zeros(k + m, bool)
        self.ptr = np.zeros(k + m + 1, index_type)
        self.ptr[1 : k + 1] = np.arange(1, k + 1)
        # Untouched capacity costs address space only; the estimate is an upper bound.
        capacity = max(k + capacity, 4 * k, 1024)
        self.indices: IntArray = zeros(capacity, index_type)
        self.data: FloatArray = zeros(capacity)
        self.indices[:k] = np.arange(k)
        self.data[:k] = 1.0
        self.used = k
        self.dense_rows = 0
        self.levels: list[tuple[int, int, bool]] = []

    def stored_bytes(self) -> int:
        """Return the bytes the solved levels hold (dense rows and sparse entries)."""
        return self.dense_rows * self.k * 8 + self.used * (self.indices.itemsize + 8)

    def reserve(self, extra: int) -> None:
        if self.used + extra > self.indices.size:
            size = max(self.used + extra, 2 * self.indices.size)
            indices, data = zeros(size, self.indices.dtype), zeros(size)
            indices[: self.used] = self.indices[: self.used]
            data[: self.used] = self.data[: self.used]
            self.indices, self.data = indices, data

    def rows_to_write(self, a: int, b: int) -> FloatArray:
        """Return rows a..b-1 of the dense array, to be written, their pages filled at once.

        Faults taken as two threads write fresh rows cost more than filling the pages
        first (`populate`): the dense levels of ``benchmarks/bench_provenance.py``'s
        globally mixed 1M-lot graph, each level stored as its density says, took
        0.073-0.104 s each with their pages filled first against 0.22-0.27 s without
        (`_solve_on_dense` called level by level, one run each, November 2026).
        """
        rows = self.dense_array()[a:b]
        if self.layout != "dense":  # a dense layout's pages were all filled at once
            populate(rows)
        return rows

    def dense_array(self) -> FloatArray:
        if self.dense is None:
            # calloc'ed: the pages of rows never stored dense are never touched, except
            # when every row will be (the result is dense): then they are filled at once.
            self.dense = zeros((self.m, self.k))
            if self.layout == "dense":
                populate(self.dense)
        return self.dense

    def product(
        self,
        ptr: IntArray,
        cols: IntArray,
        vals: FloatArray,
        upto: int,
        into_store: bool,
        most: IntArray | None = None,
        pool: ThreadPoolExecutor | None = None,
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """Return (as CSR) the rows ``block @ sparse rows`` over stored rows below `upto`.

        `most`, when given, must bound each row's entries (the kernel writes without
        checking); otherwise the bound is counted (a pass over the inputs' entries). With
        `most` and a `pool`, parts of the rows are multiplied by separate threads.
        """
        rows = ptr.size - 1
        bp = self.ptr[: upto + 1]
        bj, bx = self.indices[: self.used], self.data[: self.used]
        if _csr_matmat is None:  # pragma: no cover - depends on the scipy version
            a = sp.csr_array((vals, cols, ptr), shape=(rows, upto))
            c = sp.csr_array(a @ sp.csr_array((bx, bj, bp), shape=(upto, self.k)))
            return c.indptr.astype(ptr.dtype), c.indices.astype(ptr.dtype), c.data
        if most is not None and into_store and pool is not None:
            return self._product_in_parts(ptr, cols, vals, bp, most, pool)
        if most is None:
            bound = _csr_matmat_maxnnz(rows, self.k, ptr, cols, bp, bj)
        else:
            bound = int(most.sum())
        cp = np.empty(rows + 1, ptr.dtype)
        if into_store:
            # Written straight after the stored rows: no copy when the level stays sparse.
            self.reserve(bound)
            cj = self.indices[self.used : self.used + bound]
            cx = self.data[self.used : self.used + bound]
            bj, bx = self.indices[: self.used], self.data[: self.used]
        else:
            cj = np.empty(bound, ptr.dtype)
            cx = np.empty(bound)
        _csr_matmat(rows, self.k, ptr, cols, vals, bp, bj, bx, cp, cj, cx)
        end = int(cp[-1])
        return cp, cj[:end], cx[:end]

    def _product_in_parts(
        self,
        ptr: IntArray,
        cols: IntArray,
        vals: FloatArray,
        bp: IntArray,
        most: IntArray,
        pool: ThreadPoolExecutor,
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """`product` into the store, with row ranges multiplied by the pool's threads.

        Each range writes after the stored rows at an offset its rows' bound `most` leaves
        free; the ranges' entries are then moved together (scipy's kernel releases the GIL).
        """
        rows = ptr.size - 1
        parts = max(1, min(pool._max_workers, rows // _ROWS_PER_THREAD))
        cuts = np.linspace(0, rows, parts + 1).astype(np.int64)
        room = np.zeros(parts + 1, np.int64)
        np.cumsum(_row_sums(np.asarray(cuts), most), out=room[1:])
        self.reserve(int(room[-1]))
        start = self.used
        bj, bx = self.indices[:start], self.data[:start]
        pointers = [np.empty(int(cuts[i + 1] - cuts[i]) + 1, ptr.dtype) for i in range(parts)]

        def run(part: int) -> None:
            lo, hi = int(cuts[part]), int(cuts[part + 1])
            first, last = int(ptr[lo]), int(ptr[hi])
            at = start + int(room[part])
            _csr_matmat(
                hi - lo, self.k, ptr[lo : hi + 1] - first, cols[first:last], vals[first:last],
                bp, bj, bx, pointers[part], self.indices[at:], self.data[at:],
            )  # fmt: skip

        list(pool.map(run, range(parts)))
        cp = np.zeros(rows + 1, ptr.dtype)
        written = 0
        for part, part_ptr in enumerate(pointers):
            lo, hi = int(cuts[part]), int(cuts[part + 1])
            at, count = start + int(room[part]), int(part_ptr[-1])
            if at != start + written:  # move the part's entries next to the previous ones
                moved = slice(start + written, start + written + count)
                self.indices[moved] = self.indices[at : at + count]
                self.data[moved] = self.data[at : at + count]
            cp[lo + 1 : hi + 1] = part_ptr[1:] + written
            written += count
        return cp, self.indices[start : start + written], self.data[start : start + written]

    def append_sparse(
        self, a: int, cp: IntArray, cj: IntArray, cx: FloatArray, *, in_place: bool = False
    ) -> None:
        k = self.k
        if not in_place:
            self.reserve(cj.size)
            self.indices[self.used : self.used + cj.size] = cj
            self.data[self.used : self.used + cj.size] = cx
        self.ptr[k + a + 1 : k + a + cp.size] = self.used + cp[1:]
        self.used += cj.size
        self.levels.append((a, a + cp.size - 1, False))

    def mark_dense(self, a: int, b: int) -> None:
        k = self.k
        assert self.dense is not None
        self.ptr[k + a + 1 : k + b + 1] = self.ptr[k + a]
        self.is_dense[k + a : k + b] = True
        self.dense_rows += b - a
        self.levels.append((a, b, True))

    def held_entries(self, rows: IntArray | None) -> int:
        """Return how many shares of `rows` (all rows when None) are not zero."""
        k = self.k
        if rows is None:
            dense = (self.dense_array()[a:b] for a, b, is_dense in self.levels if is_dense)
            return int(self.ptr[-1]) - k + sum(int(np.count_nonzero(block)) for block in dense)
        on_dense = self.is_dense[k + rows]
        counts = self.ptr[k + rows + 1] - self.ptr[k + rows]
        held = int(counts[~on_dense].sum())
        if on_dense.any():
            # Counted by stored row and summed over the rows asked (repeats included): no
            # copy of the dense rows asked for is made to count them.
            per_row = np.zeros(self.m, np.int64)
            for a, b, is_dense in self.levels:
                if is_dense:
                    per_row[a:b] = np.count_nonzero(self.dense_array()[a:b], axis=1)
            held += int(per_row[rows[on_dense]].sum())
        return held

    def sparse_rows(self, rows: IntArray) -> tuple[IntArray, IntArray, FloatArray]:
        """Return (row of each entry, origin, share) of the sparse-stored `rows`."""
        starts = self.ptr[self.k + rows].astype(np.int64)
        counts = self.ptr[self.k + rows + 1].astype(np.int64) - starts
        at = _ranges(starts, counts)
        return np.repeat(np.arange(rows.size), counts), self.indices[at], self.data[at]

    def to_dense(self, rows: IntArray | None) -> FloatArray:
        """Return the shares of `rows` (all rows, in place, when None) as a dense array."""
        k = self.k
        if rows is None:
            out = self.dense_array()
            sparse = np.flatnonzero(~self.is_dense[k:])
            r, c, v = self.sparse_rows(sparse)
            out[sparse[r], c] = v
            return out
        out = cast(FloatArray, zeros((rows.size, k)))
        populate(out)  # written whole, or nearly: a dense result is mostly dense rows
        dense = np.flatnonzero(self.is_dense[k + rows])
        if dense.size == rows.size:  # gathered straight into the result, with no copy
            np.take(self.dense_array(), rows, axis=0, out=out, mode="clip")
        elif dense.size:
            out[dense] = self.dense_array()[rows[dense]]
        sparse = np.flatnonzero(~self.is_dense[k + rows])
        r, c, v = self.sparse_rows(rows[sparse])
        out[sparse[r], c] = v
        return out

    def to_sparse(self, rows: IntArray | None) -> sp.csr_array:
        """Return the shares of `rows` (all rows when None) as a CSR array."""
        k = self.k
        if not self.is_dense.any():
            # Sparse levels (solved, so appended, in order) are the CSR of every row.
            shares = sp.csr_array(
                (self.data[k : self.used], self.indices[k : self.used], self.ptr[k:] - k),
                shape=(self.m, k),
                copy=False,
            )
            return shares if rows is None else sp.csr_array(shares[rows])
        counts, indices, data = [], [], []
        for a, b, dense in self.levels:
            if dense:
                block_counts, block_indices, block_data = _dense_to_csr(self.dense_array()[a:b])
                counts.append(block_counts)
                indices.append(block_indices.astype(self.indices.dtype))
                data.append(block_data)
            else:
                lo, hi = int(self.ptr[k + a]), int(self.ptr[k + b])
                counts.append(np.diff(self.ptr[k + a : k + b + 1]))
                indices.append(self.indices[lo:hi])
                data.append(self.data[lo:hi])
        ptr = np.zeros(self.m + 1, np.int64)
        if counts:
            np.cumsum(np.concatenate(counts), out=ptr[1:])
        shares = sp.csr_array(
            (
                np.concatenate(data) if data else np.zeros(0),
                np.concatenate(indices) if indices else np.zeros(0, self.indices.dtype),
                ptr,
            ),
            shape=(self.m, k),
        )
        if rows is not None:
            shares = sp.csr_array(shares[rows])
        return shares


def _dense_to_csr(block: FloatArray) -> tuple[IntArray, IntArray, FloatArray]:
    """Return (entries per row, column indices, values) of the non-zeros of `block`."""
    flat = np.flatnonzero(block)
    k = block.shape[1]
    rows, columns = np.divmod(flat, k)
    counts: IntArray = np.bincount(rows, minlength=block.shape[0])
    return counts, columns, block.reshape(-1)[flat]


def _as_csr(block: FloatArray, index_type: Any) -> tuple[IntArray, IntArray, FloatArray]:
    """Return (row pointer, column indices, values) of `block` as CSR with `index_type`."""
    counts, columns, values = _dense_to_csr(block)
    ptr = np.zeros(block.shape[0] + 1, index_type)
    np.cumsum(counts, out=ptr[1:])
    return ptr, columns.astype(index_type), values


def _matvecs(
    ptr: IntArray,
    cols: IntArray,
    vals: FloatArray,
    source: FloatArray,
    out: FloatArray,
    pool: ThreadPoolExecutor | None,
) -> None:
    """Add ``block @ source`` to `out` (dense), splitting rows across the pool's threads."""
    rows = out.shape[0]
    if _csr_matvecs is None:  # pragma: no cover - depends on the scipy version
        out += cast(
            FloatArray, sp.csr_array((vals, cols, ptr), shape=(rows, source.shape[0])) @ source
        )
        return
    workers = 1 if pool is None else pool._max_workers
    parts = max(1, min(workers, rows // _ROWS_PER_THREAD))

    def run(start: int, stop: int) -> None:
        lo, hi = ptr[start], ptr[stop]
        _csr_matvecs(
            stop - start,
            source.shape[0],
            source.shape[1],
            ptr[start : stop + 1] - lo,
            cols[lo:hi],
            vals[lo:hi],
            source.reshape(-1),
            out[start:stop].reshape(-1),
        )

    if parts == 1 or pool is None:
        run(0, rows)
    else:
        cuts = np.linspace(0, rows, parts + 1).astype(np.int64).tolist()
        list(pool.map(run, cuts[:-1], cuts[1:]))


def solve(
    system: _System,
    support: IntArray,
    rule: MixingRule | None,
    bar: Any = None,
    capacity: int = 0,
    guard: Callable[[int], None] | None = None,
    layout: Layout = "adaptive",
    scratch: int = SCRATCH_BYTES,
) -> _Store:
    """Solve the system level block by level block, storing each level dense or sparse.

    A level whose inputs are all stored sparse is first solved as sparse rows (a
    sparse-times-sparse product, in place after the stored rows); it is kept that way
    unless its measured entries make it dense. A level drawing on dense rows is solved
    dense (an in-place sparse-times-dense product), and stored dense when its `support`
    says so, else converted to sparse rows. `guard`, when given, is called with the
    bytes stored after each level (a custom rule can hold more than the supports say).
    With the ``"dense"`` `layout` every level is solved and stored dense, with
    ``"sparse"`` every level is stored sparse.
    """
    k, m = system.k, system.positions.size
    store = _Store(k, m, system.indices.dtype, capacity, layout, scratch)
    workers = min(os.cpu_count() or 1, 4) if m >= 2 * _ROWS_PER_THREAD else 1
    with ThreadPoolExecutor(workers) if workers > 1 else contextlib.nullcontext() as pool:
        if layout == "dense":
            # A dense result is solved dense from the start: products of the few origins
            # of early levels cost less than moving their rows in at the end.
            _solve_all_dense(system, store, rule, bar, guard, pool)
            return store
        for a, b in itertools.pairwise(system.bounds):
            ptr, cols, vals = _block(system, a, b)
            on_dense = store.is_dense[cols]
            if on_dense.any():
                keep_dense = is_dense_level(support[a:b], k, layout)
                _solve_on_dense(store, a, (ptr, cols, vals), on_dense, keep_dense, rule, pool)
            else:
                _solve_on_sparse(store, a, (ptr, cols, vals), support[a:b], rule, pool)
            if guard is not None:
                guard(store.stored_bytes())
            if bar is not None:
                bar.update(b - a)
    return store


_Block = tuple[IntArray, IntArray, FloatArray]


def _solve_all_dense(
    system: _System,
    store: _Store,
    rule: MixingRule | None,
    bar: Any,
    guard: Callable[[int], None] | None,
    pool: ThreadPoolExecutor | None,
) -> None:
    """Solve every level dense, straight into the store's dense array.

    The lots' own entries are written first, all at once; each level then adds its
    flows' products (the order in which the level-by-level path adds them, so the shares
    are the same to the bit) with one compiled call and no per-level selection: deep,
    narrow graphs pay little per level.
    """
    k, m = system.k, system.positions.size
    shares = store.dense_array()
    counts = np.diff(system.indptr)
    own = system.indices < k
    row = np.repeat(np.arange(m), counts)
    shares[row[own], system.indices[own]] = system.data[own]
    flows = ~own
    flow_ptr = np.zeros(m + 1, np.int64)
    np.cumsum(_row_sums(system.indptr, flows.astype(np.int64)), out=flow_ptr[1:])
    sources, weights = system.indices[flows] - k, system.data[flows]
    del counts, own, row, flows
    store.mark_dense(0, m)
    for a, b in itertools.pairwise(system.bounds):
        lo, hi = int(flow_ptr[a]), int(flow_ptr[b])
        if hi > lo:
            block = (flow_ptr[a : b + 1] - lo, sources[lo:hi], weights[lo:hi])
            _matvecs(*block, shares, shares[a:b], pool)
        if rule is not None:  # a chunk at a time: the rule is given a copy, returns another
            for start, stop in _chunks(b - a, store):
                _apply_rule(rule, shares, slice(a + start, a + stop))
        if guard is not None:
            guard(store.stored_bytes())
        if bar is not None:
            bar.update(b - a)


def scratch_rows(k: int, scratch: int) -> int:
    """Return how many rows of `k` origins `scratch` bytes hold (at least one)."""
    return max(1, scratch // (8 * k))


def _chunks(rows: int, store: _Store) -> Iterator[tuple[int, int]]:
    """Yield (start, stop) row ranges that fit in the store's `scratch` bytes."""
    step = scratch_rows(store.k, store.scratch)
    for start in range(0, rows, step):
        yield start, min(rows, start + step)


def _rows_of(block: _Block, start: int, stop: int) -> _Block:
    """Return the CSR rows start..stop-1 of `block`."""
    ptr, cols, vals = block
    lo, hi = int(ptr[start]), int(ptr[stop])
    return ptr[start : stop + 1] - lo, cols[lo:hi], vals[lo:hi]


def _solve_on_sparse(
    store: _Store,
    a: int,
    block: _Block,
    support: IntArray,
    rule: MixingRule | None,
    pool: ThreadPoolExecutor | None,
) -> None:
    """Solve a level whose inputs are all sparse rows; store it by its measured density.

    Under a rule, the rule sees the rows a chunk at a time (rules treat rows on their own),
    and each chunk is stored by its density after the rule.
    """
    k = store.k
    rows = block[0].size - 1
    # Under mass balance every stored row holds at most its support's origins (by
    # induction over the levels: a product's entries are among its inputs' origins), so
    # the supports bound the product; a rule may add entries, so then they are counted.
    most = support if rule is None else None
    into_store = rule is None
    cp, cj, cx = store.product(*block, upto=k + a, into_store=into_store, most=most, pool=pool)
    if rule is None:
        if cj.size <= dense_at(store.layout) * rows * k:
            store.append_sparse(a, cp, cj, cx, in_place=True)
        else:
            solved = store.rows_to_write(a, a + rows)
            solved[np.repeat(np.arange(rows), np.diff(cp)), cj] = cx
            store.mark_dense(a, a + rows)
        return
    for start, stop in _chunks(rows, store):
        chunk = np.zeros((stop - start, k))
        lo, hi = int(cp[start]), int(cp[stop])
        row_of_entry = np.repeat(np.arange(stop - start), np.diff(cp[start : stop + 1]))
        chunk[row_of_entry, cj[lo:hi]] = cx[lo:hi]
        _apply_rule(rule, chunk, slice(None))
        _store_rows(store, a + start, chunk, cp.dtype)


def _store_rows(store: _Store, a: int, solved: FloatArray, index_type: Any) -> None:
    """Store rows solved dense from row `a` on: dense, or sparse if their density says so."""
    rows, k = solved.shape
    if np.count_nonzero(solved) <= dense_at(store.layout) * rows * k:
        store.append_sparse(a, *_as_csr(solved, index_type))
    else:
        store.rows_to_write(a, a + rows)[:] = solved
        store.mark_dense(a, a + rows)


def _solve_on_dense(
    store: _Store,
    a: int,
    block: _Block,
    on_dense: npt.NDArray[np.bool_],
    keep_dense: bool,
    rule: MixingRule | None,
    pool: ThreadPoolExecutor | None,
) -> None:
    """Solve a level as dense rows; store them dense, or as sparse rows if not `keep_dense`
    (then a chunk of rows at a time, through scratch arrays of the store's `scratch` bytes).
    """
    rows = block[0].size - 1
    if keep_dense:
        solved = store.rows_to_write(a, a + rows)
        _dense_rows(store, a, block, on_dense, solved, None, pool)
        if rule is not None:  # a chunk at a time: the rule is given a copy, returns another
            for start, stop in _chunks(rows, store):
                _apply_rule(rule, solved, slice(start, stop))
        store.mark_dense(a, a + rows)
        return
    for start, stop in _chunks(rows, store):
        part = _rows_of(block, start, stop)
        first, last = int(block[0][start]), int(block[0][stop])
        solved = np.zeros((stop - start, store.k))
        _dense_rows(store, a, part, on_dense[first:last], solved, rule, pool)
        store.append_sparse(a + start, *_as_csr(solved, block[0].dtype))


def _dense_rows(
    store: _Store,
    a: int,
    block: _Block,
    on_dense: npt.NDArray[np.bool_],
    solved: FloatArray,
    rule: MixingRule | None,
    pool: ThreadPoolExecutor | None,
) -> None:
    """Solve `block`'s rows (of the level starting at row `a`) into the dense `solved`."""
    k = store.k
    rows = block[0].size - 1
    # Deep, narrow graphs solve many small levels: skip the selections they do not need.
    all_dense = bool(on_dense.all())
    if not all_dense:
        cp, cj, cx = store.product(*_select(*block, ~on_dense), upto=k + a, into_store=False)
        solved[np.repeat(np.arange(rows), np.diff(cp)), cj] = cx
    dp, dj, dx = block if all_dense else _select(*block, on_dense)
    _matvecs(dp, dj - k, dx, store.dense_array(), solved, pool)
    if rule is not None:
        _apply_rule(rule, solved, slice(None))


#: With `lots=` and mass balance, the shares are found backwards from the lots asked for
#: when (lots asked) x (entries of the system) is at most this multiple of the forward
#: propagation's work bound (measured: 100 lots of the 1M-lot benchmark graphs sit near 6,
#: where the backward solve takes half the forward one's time on the globally mixed shape
#: and nine tenths on the locally mixed one).
REVERSE_AT = 8.0

#: The backward solve carries the lots asked for in groups, so that its scratch array
#: (ancestry x group) stays under this many bytes (but takes at least 8 lots at a time).
_REVERSE_SCRATCH = 2**26


def solve_reverse(system: _System, rows: IntArray, bar: Any = None) -> FloatArray:
    """Return the shares of the system's `rows` (processing order), solved backwards.

    Under mass balance the shares are linear in the lots' own entries, S = (I - W)^-1 P,
    so the row of lot i is x_i P where x_i (the weight of every ancestor's own entries
    in lot i) solves x_i = e_i + x_i W. Going down the levels from the top, each lot's
    weight is the sum over the lots it feeds of their weight times the flow's share:
    one sparse-times-dense product per level over the transposed flows, carrying one
    column per lot asked for instead of one per origin. It costs
    O(flows of the ancestry x lots asked), and wins when few lots are asked of a graph
    whose lots hold many origins.
    """
    k, m = system.k, system.positions.size
    index_type = system.indptr.dtype
    counts = np.diff(system.indptr)
    is_flow = system.indices >= k
    row_of = np.repeat(np.arange(m, dtype=index_type), counts)
    # W transposed, as CSR with one row per input lot (listing the lots it feeds): the
    # columns of W as CSC, by scipy's linear-time conversion.
    flow_ptr = np.zeros(m + 1, index_type)
    np.cumsum(_row_sums(system.indptr, is_flow.astype(np.int64)), out=flow_ptr[1:])
    by_parent = sp.csr_array(
        (system.data[is_flow], system.indices[is_flow] - k, flow_ptr), shape=(m, m)
    ).tocsc()
    t_ptr = by_parent.indptr.astype(index_type, copy=False)
    t_idx = by_parent.indices.astype(index_type, copy=False)
    t_val = by_parent.data
    del by_parent, flow_ptr
    # P transposed: one row per origin, the lots whose own entries hold it.
    own = ~is_flow
    p_t = sp.csr_array((system.data[own], (system.indices[own], row_of[own])), shape=(k, m))
    del is_flow, own, row_of
    out = np.zeros((rows.size, k))
    group = int(min(max(_REVERSE_SCRATCH // (8 * max(m, 1)), 8), max(rows.size, 1)))
    blocks = list(itertools.pairwise(system.bounds))[::-1]
    # Lots asked for from the top level down, so that a group stops at its highest lot:
    # the levels above it carry no weight to it.
    order = np.argsort(-rows, kind="stable")
    scratch: FloatArray | None = None
    workers = min(os.cpu_count() or 1, 4) if m >= 2 * _ROWS_PER_THREAD else 1
    with ThreadPoolExecutor(workers) if workers > 1 else contextlib.nullcontext() as pool:
        for start in range(0, rows.size, group):
            at = order[start : start + group]
            chosen = rows[at]
            top = int(chosen.max(initial=0))
            if chosen.size < group:
                weights = zeros((m, chosen.size))
            elif scratch is None:
                weights = scratch = zeros((m, group))
            else:
                weights = scratch
                weights.fill(0.0)
            weights[chosen, np.arange(chosen.size)] = 1.0
            for a, b in blocks:
                lo, hi = int(t_ptr[a]), int(t_ptr[b])
                if hi > lo and a <= top:
                    block = (t_ptr[a : b + 1] - lo, t_idx[lo:hi], t_val[lo:hi])
                    _matvecs(*block, weights, weights[a:b], pool)
            out[at] = (p_t @ weights).T
            if bar is not None:
                bar.update(chosen.size)
    return out


#: With `lots=` and mass balance, the lots asked for are first solved by compiled walks up
#: their ancestries (`kpmodel.provenance._kernels.backward_shares`), which give up when
#: they cost more than the solve that would replace them: backwards (`solve_reverse`) or
#: forwards over the ancestry. Costs measured on the benchmark's graphs
#: (``benchmarks/bench_provenance.py``, 100 random lots, 2 cores), in nanoseconds: either
#: solve sets up its system at about 65 per flow of the ancestry at 1M lots and about
#: twice that at 10M (arrays beyond the caches: 130 is taken, so that the walks are kept
#: where they win at 10M); the forward products cost about 1.2 per flow and origin, the
#: backward ones about 1.6 per flow and lot asked, and each topological level about
#: 20,000 (a chain of 100,000 levels took 2.1 s backwards); the walks cost 53-76 per flow
#: walked at 1M lots and about 146 at 10M, which is each lot's own ancestry (lots asked
#: together walk their common ancestors once each).
_SETUP_NS_PER_FLOW = 130.0
_FORWARD_NS_PER_SHARE = 1.2
_BACKWARD_NS_PER_SHARE = 1.6
_NS_PER_LEVEL = 20_000.0
_WALK_NS_PER_FLOW = 70.0

#: A multiplier of how many flows the walks may walk before they give up (see
#: `walk_ratio`); 0 turns them off.
WALK_BUDGET = 1.0

#: The walks are tried only where the solve that would replace them is expected to take
#: at least this long (ns, by the costs above, over the whole graph): about what importing
#: numba and loading the walks from its disk cache costs a fresh process (0.5-0.7 s
#: measured), so that small graphs never wait for it.
WALKS_FROM_NS = 5e8

#: Threads walking up the ancestries of the lots asked for (each holds a lot's stamp and
#: weight, and a queue entry, per lot) and the most lots one compiled call takes (between
#: calls the progress bar moves, a thread stops if another has given up, and Ctrl-C is
#: seen; few, so that the threads finish together).
_WALK_THREADS = 2
_WALK_CALL = 4


def solve_ns_per_flow(k: int, asked: int) -> float:
    """Return the nanoseconds per flow of the ancestry of the cheaper of the backward
    and forward solves, for `asked` lots and `k` origins.
    """
    products = min(k * _FORWARD_NS_PER_SHARE, asked * _BACKWARD_NS_PER_SHARE)
    return _SETUP_NS_PER_FLOW + products


def walks_worth_loading(flows: int, levels: int, k: int, asked: int) -> bool:
    """Whether the solve that the walks would replace, on a graph of `flows` flows and
    `levels` topological levels, is expected to take `WALKS_FROM_NS` or more, and the
    walks may walk more than the flows of one ancestry (`WALK_BUDGET` 0 turns them off).
    """
    solve = flows * solve_ns_per_flow(k, asked) + levels * _NS_PER_LEVEL
    return solve >= WALKS_FROM_NS and walk_ratio(k, asked) > 1


def walk_ratio(k: int, asked: int) -> float:
    """Return how many flows the walks may walk per flow of the lots they reach, for
    `asked` lots and `k` origins, before the solve that would replace them costs less.
    """
    return WALK_BUDGET * solve_ns_per_flow(k, asked) / _WALK_NS_PER_FLOW


def walk_bytes(lots: int, levels: int, asked: int, k: int, sparse: bool | None) -> int:
    """Return the bytes `solve_by_walks` needs for `asked` lots of a graph of `lots` in
    `levels` topological levels, and the result's conversion to a sparse matrix unless
    `sparse` is False.
    """
    threads = min(_WALK_THREADS, max(asked, 1))
    # Per thread: each lot's stamp and weight and a queue entry, each level's queue
    # length; the flow index, the unknown fractions, where each level's queue starts and
    # the dense result; scipy's conversion holds coordinates and values of every entry
    # beside it (int64, int64, float64 and the CSR's copy: about 36 bytes).
    conversion = 0 if sparse is False else 36 * asked * k
    scratch = 24 * lots + 8 * (levels + 2)
    return threads * scratch + 16 * lots + 8 * (levels + 2) + 8 * asked * k + conversion


#: The compiled walks once loaded (a function), or False once they could not be; whether
#: a thread is loading them now.
_walks: Any = None
_walks_lock = threading.Lock()
_loading = False


def _after_fork_in_child() -> None:
    """In a process forked while a thread was loading the walks, solve without them; and
    let the child derive arrays from graphs even if a thread was doing so at the fork.

    The threads do not exist in the child, but the locks they held (this module's and
    numba's compiler lock) stay held there for ever: the child must not wait on them.
    """
    global _walks_lock, _walks, _derived_lock
    _walks_lock = threading.Lock()
    _derived_lock = threading.RLock()
    if _loading:
        _walks = False


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def compiled_walks() -> Any:
    """Return `kpmodel.provenance._kernels.backward_shares`, compiled, or None.

    numba is imported here, on first use, so that importing kpmodel does not load it. The
    walks are tried once on a graph of one lot, with arrays of the types a real call
    passes: numba loads them from its disk cache (or compiles and caches them) then. A
    failure (numba that does not import beside this numpy, a cache file cut short, a full
    disk) is warned about once, after which `lots=` is solved without them. None too
    under ``NUMBA_DISABLE_JIT`` (the walks would run as Python, far slower).
    """
    global _walks, _loading
    with _walks_lock:
        if _walks is None:
            _loading = True
            try:
                kernels = importlib.import_module("kpmodel.provenance._kernels")
                if kernels.jit_disabled():
                    _walks = False
                else:
                    one = ProvenanceGraph()
                    one.produce(country="BW", carats=1, on="2003-01-01")
                    labels = origin_labels(one, "country")[1]
                    first = np.zeros(1, np.int64)
                    _walk(kernels.backward_shares, one, first, "country", len(labels) + 1)
                    _walks = kernels.backward_shares
            except Exception as error:  # any failure to load: solve without the walks
                _walks = False
                warn_walks_failed(error)
            finally:
                _loading = False
        return _walks or None


def warn_walks_failed(error: Exception) -> None:
    """Warn, from the caller of `origin_shares`, that the walks could not run."""
    numba = sys.modules.get("numba")  # None if it could not be imported
    folder = getattr(getattr(numba, "config", None), "CACHE_DIR", "") or os.path.join(
        os.path.dirname(__file__), "__pycache__"
    )
    msg = (
        "origin_shares(lots=...) could not run its compiled walks (numba): "
        f"{type(error).__name__}: {error}. The lots asked for are solved without them (the "
        "same shares, more slowly). To restore them, install a numba that supports this "
        f"numpy, or delete the files _kernels*.nbi and _kernels*.nbc under {folder} (or "
        "set NUMBA_CACHE_DIR to a writable directory)."
    )
    warnings.warn(msg, KPModelWarning, stacklevel=_caller_level())


def _caller_level() -> int:
    """Return the stack level of the first frame outside kpmodel (for warnings.warn)."""
    frame: Any = sys._getframe(1)
    level = 1
    package = os.path.dirname(os.path.dirname(__file__))
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def _levels(graph: ProvenanceGraph) -> int:
    """Return how many topological levels the graph's lots are in."""
    return int(graph._column("level").max(initial=0)) + 1


def level_starts(graph: ProvenanceGraph) -> IntArray:
    """Return where each topological level's lots start in a list of the lots by level."""
    level = graph._column("level")
    level_start = np.zeros(_levels(graph) + 1, np.int64)
    np.cumsum(np.bincount(level, minlength=level_start.size - 1), out=level_start[1:])
    return level_start


def walk_inputs(graph: ProvenanceGraph, by: str) -> tuple[Any, Any]:
    """Return the graph's arrays that `kpmodel.provenance._kernels.backward_shares` reads:
    (indptr, source, carats) of the flows and (carats, code, unknown, level, level_start)
    of the lots, origins labelled `by`.

    The walks read `source` and `code` at random, so they are kept in the narrowest
    integers that hold them (`walk_sources`, `walk_codes`): with int32 sources and int16
    codes, 100 random lots of the 1,000,000-lot graphs of ``benchmarks/bench_provenance.py``
    took 0.094-0.096 s against 0.112-0.115 s globally mixed, and 0.025-0.027 s against
    0.028-0.031 s locally mixed (the walks called as `_walk` calls them on those graphs,
    alternately, best of seven, twice each, November 2026; the same shares).
    """
    flows = (
        derived(graph, flow_index),
        derived(graph, walk_sources),
        graph._flow_column("carats"),
    )
    unknown = derived(graph, unknown_fraction)
    lots = (graph._column("carats"), derived(graph, walk_codes, by), unknown)
    return flows, (*lots, graph._column("level"), derived(graph, level_starts))


def walk_sources(graph: ProvenanceGraph) -> npt.NDArray[np.signedinteger[Any]]:
    """Return each flow's input lot, as int32 unless the graph has 2**31 lots or more."""
    narrow = np.int32 if len(graph) < 2**31 else np.int64
    return graph._flow_column("source").astype(narrow)


def walk_codes(graph: ProvenanceGraph, by: str) -> npt.NDArray[np.signedinteger[Any]]:
    """Return `origin_labels`' codes as int16, or int32 beyond 32,766 labels."""
    code, labels = derived(graph, _origin_labels, by)
    narrow = np.int16 if len(labels) < 2**15 - 1 else np.int32
    return cast(npt.NDArray[np.signedinteger[Any]], code.astype(narrow))


#: Arrays derived from each graph's columns (see `derived`), by the graph's id while the
#: graph lives (by id, not by the graph: a subclass may define equality and no hash).
_DERIVED: dict[int, dict[tuple[Hashable, ...], tuple[Any, Any, Any, Any]]] = {}
_derived_lock = threading.RLock()


def derived(graph: ProvenanceGraph, compute: Callable[..., Any], *args: Hashable) -> Any:
    """Return ``compute(graph, *args)`` (its arrays read-only), computed again only once
    the graph has grown.

    A graph only grows: lots and flows are appended, and what is written for a lot (its
    carats, kind, level, origin and what it received) or a flow never changes afterwards
    (only what a lot has given does, which nothing derived here reads), nor does the text
    a string code stands for. So an array derived from a graph with as many lots and
    flows, in the same column stores, is still right. The stores are kept with it, so a
    graph whose stores were replaced never matches, and the entry is dropped when the
    graph is (before Python can give its id to another object).
    `args` (hashable) are passed on and kept apart: ``derived(graph, f, "zone")`` is not
    ``derived(graph, f, "site")``. Each array costs 8 bytes per lot or flow at most, kept
    while the graph lives (the flow index, unknown fractions and level starts the walks
    read, and the origin codes of each `by` asked for: at most 40 bytes a lot, beside the
    graph's own 100 or so; the walks' narrow copies of the flows' sources and of each
    `by`'s codes, 4 bytes a flow and 2 a lot more); at 1M lots the three arrays the walks
    read take 8 ms to derive (``benchmarks/bench_provenance.py``'s locally mixed graph,
    November 2026), a third of asking for a few lots.
    """
    sizes = (len(graph), graph.number_of_flows)
    key = (compute.__name__, *args)
    with _derived_lock:
        kept = _DERIVED.get(id(graph), {}).get(key)
    if kept is not None:
        kept_sizes, lots, flows, value = kept
        if kept_sizes == sizes and lots is graph._lots and flows is graph._flows:
            return value
    value = compute(graph, *args)
    for array in value if isinstance(value, tuple) else (value,):
        if isinstance(array, np.ndarray):
            array.flags.writeable = False
    with _derived_lock:  # reentrant: a collection may run `_forget` of another graph here
        first = id(graph) not in _DERIVED
        _DERIVED.setdefault(id(graph), {})[key] = (
            sizes,
            graph._lots,
            graph._flows,
            value,
        )
    if first:
        weakref.finalize(graph, _forget, id(graph))
    return value


def _forget(graph_id: int) -> None:
    """Drop what was derived from a graph that is being deleted (run by its finalizer)."""
    _DERIVED.pop(graph_id, None)  # one dict operation: atomic, so no lock is needed


def walk_scratch(lots: int, levels: int) -> tuple[Any, ...]:
    """Return one thread's scratch for the walks over a graph of `lots` lots and `levels`
    topological levels (zeros, numpy's calloc: pages the walks never reach are never
    touched).
    """
    return (
        np.zeros((lots, 2)),
        np.empty(lots, np.int64),
        np.zeros(levels, np.int64),
        np.zeros(2, np.int64),
    )


def solve_by_walks(
    graph: ProvenanceGraph, asked: IntArray, by: str, k: int, bar: Any = None
) -> FloatArray | None:
    """Return the mass-balance shares of the lots at positions `asked`, or None if the
    walks up their ancestries cannot run or give up (see `walk_ratio`).
    """
    global _walks
    backward_shares = compiled_walks()
    if backward_shares is None:
        return None
    try:
        return _walk(backward_shares, graph, asked, by, k, bar)
    except Exception as error:  # numba's (the walks raise nothing): solve without them
        _walks = False
        warn_walks_failed(error)
        return None


def _walk(
    backward_shares: Any,
    graph: ProvenanceGraph,
    asked: IntArray,
    by: str,
    k: int,
    bar: Any = None,
) -> FloatArray | None:
    """Run the compiled walks for the lots at positions `asked` (None if they give up).

    `_WALK_THREADS` threads run the walks (which release the GIL), each taking the next
    `_WALK_CALL` lots in turn, the lots of the highest levels first: those have the
    largest ancestries, so the threads finish together (lots dealt alternately left one
    thread with 14-22 % more flows to walk than the other, on the benchmark's graphs).
    """
    flows, lots = walk_inputs(graph, by)
    out = np.zeros((asked.size, k))
    threads = min(_WALK_THREADS, asked.size)
    ratio = walk_ratio(k, asked.size)
    order = np.argsort(-graph._column("level")[asked], kind="stable")
    lock = threading.Lock()
    taken = [0]  # lots of `order` taken by a thread so far
    given_up = threading.Event()

    def walk() -> bool:
        scratch = walk_scratch(len(graph), lots[-1].size - 1)
        while not given_up.is_set():
            with lock:
                start = taken[0]
                taken[0] += _WALK_CALL
            part = order[start : start + _WALK_CALL]
            if part.size == 0:
                return True
            # Lot j of the call is stamped start + j + 1: a stamp no other lot has.
            if not backward_shares(asked[part], part, flows, lots, out, scratch, start, ratio):
                given_up.set()
                return False
            if bar is not None:
                with lock:
                    bar.update(part.size)
        return False

    if threads <= 1:
        done = walk() if threads else True
    else:
        with ThreadPoolExecutor(threads) as pool:
            running = [pool.submit(walk) for _ in range(threads)]
            results = [thread.result() for thread in running]  # each thread's error raised
            done = all(results)
    return out if done else None


#: Above this many lots x origins, `origin_shares` returns a sparse matrix by default
#: (a dense float64 one would take more than 2 GiB).
DENSE_LIMIT = 2**28


def _length(lots: object) -> int | None:
    """Return how many ids `lots` holds, when it says so without being read (else None)."""
    if not isinstance(lots, Sized):
        return None
    try:
        return len(lots)
    except TypeError:  # a 0-d array
        return None


def _bar(progress: bool | None, total: int, desc: str) -> Any:
    """Return a tqdm.auto progress bar, or None (the `kpmodel._progress` convention)."""
    return progress_bar(total, enabled=progress, desc=desc, unit="lot", unit_scale=True)


def origin_shares(
    graph: ProvenanceGraph,
    *,
    by: By = "country",
    mixing: MixingRule | str = proportional,
    lots: Iterable[Any] | None = None,
    sparse: bool | None = None,
    max_memory: _limits.Limit = None,
    progress: bool | None = None,
) -> OriginShares:
    r"""Return the share of every lot's carats (or of the `lots` asked for) from each origin.

    Parameters
    ----------
    graph : ProvenanceGraph
        The graph to attribute.
    by : {"country", "zone", "site"}
        The origin of a production lot: its country, ``"country/zone"`` or
        ``"country/zone/site"`` (missing parts are left empty).
    mixing : callable or str
        How inputs combine when lots are formed: `proportional` (mass balance, the
        default), `taint`, `de_minimis` or any callable taking and returning an array
        of shares (rows: lots formed at one topological level; columns: origins). A rule
        must treat each row on its own (as the built-in rules do) for `lots` to give the
        rows of a full call.
    lots : iterable of lot ids, optional
        Compute only these lots' shares, from their ancestry alone: the cost grows with
        the lots they draw from, not with the graph. The rows are those of a full call,
        in the order asked for (a lot asked for twice gets its row twice). Under mass
        balance, each lot is found by a compiled walk up its ancestry (see Notes).
        An iterable of single ids: one id, a string, bytes, a table or an array of other
        than one dimension is refused. An id names a lot only if it is of the lot id's
        kind: an int (numpy's too) for an int id, text for a text id. ``4.0``, ``True``
        and ``Decimal(4)`` equal ``4`` but are not lot 4, and an id that is neither an int
        nor text (a tuple, bytes) names no lot.
    sparse : bool, optional
        Return a ``scipy.sparse.csr_array`` (True) or a dense array (False). By default,
        dense when the result is small (under 64 MiB), or when it fits in `DENSE_LIMIT`
        entries and at least a third of them are non-zero; sparse otherwise.
    max_memory : int, float, Decimal or str, optional
        The most bytes the computation may need, by an estimate made before it starts,
        the result included: a number of bytes (an int, float or Decimal), a size such as
        ``"64 GiB"`` or ``"1e3 MiB"``, or ``"none"`` for no limit. A larger estimate is
        refused with a `kpmodel.errors.SizeLimitError` that says what to do. Default
        (None): the environment variable ``KPMODEL_MAX_MEMORY``, else 60% of the
        machine's memory.
    progress : bool, optional
        Show a progress bar (``tqdm.auto``) over the lots solved. By
        default only in a notebook or on a terminal, once the work has lasted a second.

    Returns
    -------
    OriginShares
        float64 values, one row per lot and one column per origin plus ``"unknown"``
        (carats that entered with no documented source). Under `proportional` every row
        sums to 1.

    Raises
    ------
    kpmodel.errors.InvalidArgumentError
        For `lots` that is not an iterable of single ids, or ids that name no lot of the
        graph (the message lists them), or a mixing rule that fails or returns an array of
        another shape, or shares that are not numbers between 0 and 1.
    kpmodel.errors.SizeLimitError
        For a computation estimated to need more than `max_memory`, or a custom mixing
        rule found, while it solves, to hold more than that.

    Notes
    -----
    With W the matrix of flow carats divided by the receiving lot's carats, and P the
    one-hot origins of production lots (plus the unknown remainder of lots that receive
    less than they hold), the shares solve S = W S + P. Lots are stored parents-first, so
    S is found one topological level at a time, $O(\text{flows} \times \text{origins})$ in
    all. A first pass counts the origins each lot holds (bit sets over the flows), which
    gives the memory estimate and the result's density. When every lot is asked, in
    storage order, every level is stored the way the result will be: dense rows (an
    in-place sparse-times-dense product per level) or sparse rows (a sparse-times-sparse
    product, split across threads), so the result is the store itself. Otherwise each
    level is stored the way its measured density calls for. Memory stays close to the
    result's true size.

    With `lots`, only their ancestry is solved. Under `proportional`, the shares are
    linear in the lots' own entries: row i is $x_i P$ with $x_i = e_i + x_i W$, the
    weight of each ancestor in lot i. A compiled walk (numba, two threads) goes up each
    lot's ancestry a topological level at a time, passing the weights on, in time
    proportional to the flows of that ancestry. The walks give up once they cost more
    than the solve that replaces them would (`walk_ratio`), as when many lots with
    overlapping ancestries are asked; so are they not tried where that solve takes less
    than numba takes to load (`WALKS_FROM_NS`, about 0.5 s). That solve is found on the
    ancestry (a breadth-first walk up the flows finds it): backwards for all the lots
    asked at once (one column per lot asked instead of one per origin, a walk down the
    levels), when the lots asked times the ancestry's flows is below about eight times
    the forward solve's bound on its work; else forwards, level by level, as under the
    other rules.

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> a = g.produce(country="CF", carats=10, on="2014-01-01", zone="Nola")
    >>> b = g.produce(country="CM", carats=90, on="2014-01-01")
    >>> cm = g.mix([g.smuggle(a, to="CM", on="2014-02-01"), b])
    >>> kp.origin_shares(g).of(cm)
    {'CF': 0.1, 'CM': 0.9}
    >>> kp.origin_shares(g, by="zone").of(cm)
    {'CF/Nola': 0.1, 'CM': 0.9}
    >>> kp.origin_shares(g, mixing="taint").of(cm)
    {'CF': 1.0, 'CM': 1.0}
    >>> kp.origin_shares(g, lots=[cm]).to_frame()
             CF   CM  unknown
    lot_id
    3       0.1  0.9      0.0
    """
    require_graph(graph)
    rule = _mixing_rule(mixing)
    if sparse is not None and not isinstance(cast(Any, sparse), bool):
        msg = f"sparse must be True, False or None; got {sparse!r}."
        raise InvalidArgumentError(msg)
    limit = _limits.resolve_limit(max_memory)
    max_memory = sys.maxsize if limit is None else limit
    code, labels = origin_labels(graph, by)
    k = len(labels) + 1
    if lots is None:
        ids, wanted = graph.lots, None
    else:
        count = _length(lots)
        if count is not None:
            # Each lot asked for costs its id, its position and a result row at the least:
            # a huge request is refused before its ids are read.
            _limits.check_memory(
                32 * count,
                what=f"origin_shares of {count:,} lots asked for",
                change="ask for fewer lots",
                limit=max_memory,
            )
        ids, wanted = lot_positions(lots, graph.lots)
    # A few lots of a big graph under mass balance: compiled walks up their ancestries,
    # while their dense result is small and it and the scratch fit (else, and if they
    # give up, backwards or forwards, with their own estimate).
    if wanted is not None and rule is proportional and 8 * wanted.size * k <= SMALL_RESULT:
        levels = _levels(graph)
        if (
            walks_worth_loading(graph.number_of_flows, levels, k, wanted.size)
            and walk_bytes(len(graph), levels, wanted.size, k, sparse) <= max_memory
        ):
            bar = _bar(progress, wanted.size, "origin shares")
            try:
                walked = solve_by_walks(graph, wanted, by, k, bar)
            finally:
                if bar is not None:
                    bar.close()
            if walked is not None:
                return _asked_shares(walked, ids, labels, by, rule, sparse)
    system = _system(graph, code, k, wanted)
    # A few lots under mass balance are solved backwards, which needs no supports: the
    # choice compares with a forward solve's work bounded by additive counts.
    backwards = (
        wanted is not None
        and rule is proportional
        and wanted.size * system.indices.size
        <= REVERSE_AT * forward_work(system, supports(system, budget=0))
    )
    if backwards and wanted is not None:
        group = min(max(_REVERSE_SCRATCH // (8 * max(system.positions.size, 1)), 8), wanted.size)
        need = (
            2 * (system.indices.nbytes + system.data.nbytes)
            + 8 * system.positions.size * (group + 1)
            + 16 * wanted.size * k
        )
    else:
        # Every lot asked, solved in storage order (in level order only when the graph has
        # too many storage blocks): the store is the result, so every level is
        # stored the way the result will be (as the supports predict); otherwise as each
        # level comes.
        in_order = wanted is None and bool(np.all(system.positions == np.arange(len(graph))))
        layout: Layout = "adaptive"
        small = sparse is not True and system.positions.size * k * 8 <= SMALL_RESULT
        if small:
            # A small result is dense whatever it holds: the supports, a pass per level
            # that deep, narrow graphs pay for level by level, would decide nothing. So is
            # the store of a small ancestry (lots asked for): solved dense, as one call a
            # level, its rows then gathered (as dense or sparse as they hold).
            support = np.full(system.positions.size, k, np.int64)
            exact, layout = False, "dense"
            if wanted is None:
                sparse = False
        else:
            support = supports(system, budget=max_memory // 4)
            # Under mass balance and taint the counts are the entries, when not bounded.
            exact = rule in (proportional, taint) and supports_are_exact(system, max_memory // 4)
        if in_order and layout == "adaptive":
            predicted = _is_sparse_result(len(ids), k, int(support.sum()))
            layout = "sparse" if (predicted if sparse is None else sparse) else "dense"
        # Chunks of scratch within a sixteenth of the budget.
        scratch = min(SCRATCH_BYTES, max_memory // 16)
        need, sparse_entries, stored = estimate_bytes(
            system, support, layout, 1 if rule is proportional else 3, scratch
        )
        if not in_order:  # the result is not the store: its rows are gathered from it
            held = (
                support
                if wanted is None
                else support[processing_rows(len(graph), system.positions)[wanted]]
            )
            need += result_bytes(len(ids), k, int(held.sum()), sparse, system.indices.itemsize)
    task = f"origin_shares(by={by!r}) over {system.positions.size:,} lots x {k} origins"
    _limits.check_memory(
        need,
        what=f"{task} (estimated before starting)",
        change=_remedies(by, sparse),
        limit=max_memory,
    )
    if backwards and wanted is not None:
        asked = processing_rows(len(graph), system.positions)[wanted]
        bar = _bar(progress, wanted.size, "origin shares (backwards)")
        try:
            solved = solve_reverse(system, asked, bar)
        finally:
            if bar is not None:
                bar.close()
        return _asked_shares(solved, ids, labels, by, rule, sparse)
    # The sparse entries the estimate counted, within the limit: reserved at once (address
    # space until written), so that no level's growth copies the store under a limit.
    capacity = sparse_entries
    # What the estimate holds beside the stored levels (the system, scratch, the result).
    overhead = need - stored

    def guard(stored: int) -> None:
        _limits.check_memory(
            overhead + stored,
            what=f"{task} (measured while solving: the mixing rule kept more origins "
            "than mass balance would)",
            change=_remedies(by, sparse),
            limit=max_memory,
        )

    ruled = None if rule is proportional else rule
    bar = _bar(progress, system.positions.size, "origin shares")
    try:
        # Under mass balance the store holds what the supports estimated; other rules are
        # measured level by level.
        store = solve(
            system,
            support,
            ruled,
            bar,
            capacity,
            guard if ruled is not None else None,
            layout,
            scratch,
        )
    finally:
        if bar is not None:
            bar.close()
    # The result's rows: every lot in storage order, or the lots asked for.
    if wanted is not None:
        rows: IntArray | None = processing_rows(len(graph), system.positions)[wanted]
    elif in_order:
        rows = None
    else:
        rows = np.empty(len(graph), np.int64)
        rows[system.positions] = np.arange(len(graph))
    if sparse is None and layout != "adaptive" and exact:
        sparse = layout == "sparse"  # as the supports predicted: they count the entries
    elif sparse is None:
        sparse = _is_sparse_result(len(ids), k, store.held_entries(rows))
    values: FloatArray | sp.csr_array
    values = store.to_sparse(rows) if sparse else store.to_dense(rows)
    return OriginShares(
        values=values,
        lots=ids,
        origins=pd.Index([*labels, UNKNOWN]),
        by=by,
        mixing=repr(rule),
    )


def _asked_shares(
    solved: FloatArray,
    ids: pd.Index[Any],
    labels: list[str],
    by: str,
    rule: MixingRule,
    sparse: bool | None,
) -> OriginShares:
    """Return the dense rows `solved` of the lots asked for, sparse if asked or if few."""
    if sparse is None:
        rows, origins = solved.shape
        sparse = _is_sparse_result(rows, origins, int(np.count_nonzero(solved)))
    return OriginShares(
        values=sp.csr_array(solved) if sparse else solved,
        lots=ids,
        origins=pd.Index([*labels, UNKNOWN]),
        by=by,
        mixing=repr(rule),
    )


def _is_sparse_result(rows: int, k: int, entries: int) -> bool:
    """Whether a result of `rows` x `k` shares, `entries` of them non-zero, is sparse."""
    size = rows * k
    return size > DENSE_LIMIT or (size * 8 > SMALL_RESULT and 3 * entries < size)


def _remedies(by: str, sparse: bool | None) -> str:
    """Say what to change when `origin_shares` would need too much memory (not what is set)."""
    options = ["fewer lots (lots=[...]: only their ancestry is computed)"]
    if by != "country":
        options.append("a coarser origin (by='country')")
    if sparse is not True:
        options.append("a sparse result (sparse=True)")
    *first, last = options
    return "ask for " + (", ".join(first) + " or " if first else "") + last
