"""Origin attribution: the share of every lot's carats that came from each origin."""

from __future__ import annotations

import contextlib
import importlib
import itertools
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, cast

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from kpmodel._display import View
from kpmodel.errors import InvalidArgumentError
from kpmodel.provenance._graph import KIND_CODE, FloatArray, IntArray, Kind, ProvenanceGraph

# The in-place CSR x dense kernel that scipy uses for `csr @ ndarray`; see _accumulate.
# It is private to scipy, so fall back to the public product if it ever moves.
try:
    _csr_matvecs: Any = importlib.import_module("scipy.sparse._sparsetools").csr_matvecs
except (ImportError, AttributeError):  # pragma: no cover - depends on the scipy version
    _csr_matvecs = None

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

    def __repr__(self) -> str:
        return "taint"


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
        kept = np.where(mixed >= self.threshold, mixed, 0.0)
        # A lot whose every share is below the threshold keeps its largest one.
        empty = ~kept.any(axis=1)
        if empty.any():
            rows = np.flatnonzero(empty)
            kept[rows, mixed[rows].argmax(axis=1)] = 1.0
        total = kept.sum(axis=1, keepdims=True)
        shares: FloatArray = np.divide(kept, total, out=kept, where=total > 0)
        return shares

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
    lots are formed (so an origin diluted below the threshold is gone for good).

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
        f"names, or a callable taking and returning an array of shares; got {mixing!r}."
    )
    raise InvalidArgumentError(msg)


#: The rows and origin columns the notebook view of `OriginShares` shows.
ROWS_SHOWN = 8
COLUMNS_SHOWN = 12


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

        Examples
        --------
        >>> g = kp.ProvenanceGraph()
        >>> lot = g.produce(country="BW", carats=30, on="2023-01-01")
        >>> kp.origin_shares(g).of(lot)
        {'BW': 1.0}
        """
        row = dense_row(self.values, int(cast(int, self.lots.get_loc(lot))))
        return {str(self.origins[int(j)]): float(row[j]) for j in np.flatnonzero(row)}


def dense_row(values: FloatArray | sp.csr_array, position: int) -> FloatArray:
    """Return row `position` of a dense or sparse shares matrix as a dense 1-D array."""
    row: FloatArray = (
        values[[position]].toarray()[0] if isinstance(values, sp.csr_array) else values[position]
    )
    return row


def origin_labels(graph: ProvenanceGraph, by: str) -> tuple[IntArray, list[str]]:
    """Return, for each lot, the code of its origin label (-1 if not a production lot)."""
    if by not in ("country", "zone", "site"):
        msg = f"by must be 'country', 'zone' or 'site'; got {by!r}."
        raise InvalidArgumentError(msg)
    origin = graph._column("origin")
    produced = np.flatnonzero(origin >= 0)
    parts = [origin[produced]]
    if by in ("zone", "site"):
        parts.append(graph._column("zone")[produced])
    if by == "site":
        parts.append(graph._column("site")[produced])
    table = [*graph._strings, ""]
    if len(parts) == 1:
        unique_codes, inverse = np.unique(parts[0], return_inverse=True)
        unique_keys = unique_codes[:, None]
    else:
        unique_keys, inverse = np.unique(np.stack(parts, axis=1), axis=0, return_inverse=True)
    labels = ["/".join(table[c] for c in key).rstrip("/") for key in unique_keys.tolist()]
    # Different keys can only give one label if a zone or site name is empty; merge them.
    distinct = sorted(set(labels))
    column_of_key = np.array([distinct.index(label) for label in labels], dtype=np.int64)
    code = np.full(len(graph), -1, np.int64)
    code[produced] = column_of_key[inverse.reshape(-1)]
    return code, distinct


def share_weights(graph: ProvenanceGraph) -> sp.csr_array:
    """Return W, the (lots x lots) matrix of the share of row lot's carats from column lot."""
    n = len(graph)
    target = graph._flow_column("target")
    source = graph._flow_column("source")
    weight = graph._flow_column("carats") / graph._column("carats")[target]
    index_type = np.int32 if n < 2**31 - 1 else np.int64
    indptr = np.zeros(n + 1, index_type)
    np.cumsum(np.bincount(target, minlength=n), out=indptr[1:])
    return sp.csr_array((weight, source.astype(index_type), indptr), shape=(n, n))


def level_blocks(graph: ProvenanceGraph) -> Iterator[slice | IntArray]:
    """Yield the lots of each topological level after the first, as a slice when contiguous."""
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
        shares[rows] += weights[rows] @ shares
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
) -> FloatArray:
    """Return S with S = W S + initial, solved level by level (lots are parents-first).

    `initial` (lots x columns) is overwritten and returned. Lots in `reset` take their
    `initial` row and nothing from their inputs. `rule`, when given, is applied to the
    rows of each level after mixing.
    """
    weights = share_weights(graph)
    if reset is not None and reset.any():
        keep = np.repeat(~reset, np.diff(weights.indptr))
        weights.data = np.where(keep, weights.data, 0.0)
    workers = min(os.cpu_count() or 1, 4) if len(graph) >= 2 * _ROWS_PER_THREAD else 1
    with ThreadPoolExecutor(workers) if workers > 1 else contextlib.nullcontext() as pool:
        for rows in level_blocks(graph):
            _accumulate(weights, rows, initial, pool)
            if rule is not None:
                _apply_rule(rule, initial, rows)
    return initial


def _apply_rule(rule: MixingRule, shares: FloatArray, rows: slice | IntArray) -> None:
    mixed = shares[rows]
    try:
        ruled = np.asarray(rule(mixed.copy()), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"the mixing rule {rule!r} failed on an array of shares: {exc}"
        raise InvalidArgumentError(msg) from exc
    if ruled.shape != mixed.shape:
        msg = (
            f"the mixing rule {rule!r} returned an array of shape {ruled.shape}; "
            f"it must return the shape it was given, {mixed.shape}."
        )
        raise InvalidArgumentError(msg)
    shares[rows] = ruled


def sparse_shares(
    graph: ProvenanceGraph, code: IntArray, k: int, rule: MixingRule
) -> sp.csr_array:
    """Solve S = W S + P with S sparse: one sparse product per level, in level order."""
    n = len(graph)
    level = graph._column("level")
    order = np.argsort(level, kind="stable")
    in_order = bool(np.all(order == np.arange(n)))
    weights = share_weights(graph)
    unknown = unknown_fraction(graph)
    if not in_order:
        weights = weights[order][:, order]
        code, unknown, level = code[order], unknown[order], level[order]
    rows = np.concatenate([np.flatnonzero(code >= 0), np.flatnonzero(unknown)])
    cols = np.concatenate([code[code >= 0], np.full(np.count_nonzero(unknown), k - 1)])
    vals = np.concatenate([np.ones(np.count_nonzero(code >= 0)), unknown[unknown > 0]])
    initial = sp.csr_array((vals, (rows, cols)), shape=(n, k))
    bounds = np.searchsorted(level, np.arange(int(level.max(initial=0)) + 2))
    blocks = [initial[: bounds[1]]]
    done = bounds[1]
    for start, stop in itertools.pairwise(bounds[1:].tolist()):
        if stop == start:
            continue
        above = sp.vstack(blocks, format="csr") if len(blocks) > 1 else blocks[0]
        blocks = [above]
        block = weights[start:stop][:, :done] @ above + initial[start:stop]
        if rule is not proportional:
            dense = block.toarray()
            _apply_rule(rule, dense, slice(None))
            block = sp.csr_array(dense)
        blocks.append(sp.csr_array(block))
        done = stop
    shares = sp.csr_array(sp.vstack(blocks, format="csr"))
    if not in_order:
        inverse = np.empty(n, np.int64)
        inverse[order] = np.arange(n)
        shares = shares[inverse]
    shares.eliminate_zeros()
    return shares


def unknown_fraction(graph: ProvenanceGraph) -> FloatArray:
    """Return, per lot, the fraction of its carats that entered with no documented source."""
    carats = graph._column("carats")
    fraction: FloatArray = np.clip(1.0 - graph._column("received") / carats, 0.0, 1.0)
    fraction[graph._column("kind") == KIND_CODE[Kind.PRODUCE]] = 0.0
    # Float noise from summing flows is not an unknown origin.
    fraction[fraction < 1e-12] = 0.0
    return fraction


#: Above this many lots x origins, `origin_shares` returns a sparse matrix by default
#: (a dense float64 one would take more than 2 GiB).
DENSE_LIMIT = 2**28


def origin_shares(
    graph: ProvenanceGraph,
    *,
    by: By = "country",
    mixing: MixingRule | str = proportional,
    sparse: bool | None = None,
) -> OriginShares:
    r"""Return the share of every lot's carats that came from each origin.

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
        of shares (rows: lots formed at one topological level; columns: origins).
    sparse : bool, optional
        Return a ``scipy.sparse.csr_array`` instead of a dense array. By default, sparse
        only when lots x origins exceeds `DENSE_LIMIT` (as with thousands of sites): on
        graphs shaped like the real trade, lots a few steps from a mine already hold
        most origins, so a dense matrix is smaller and faster whenever it fits.

    Returns
    -------
    OriginShares
        Dense float64 values, one row per lot and one column per origin plus
        ``"unknown"`` (carats that entered with no documented source). Under
        `proportional` every row sums to 1.

    Notes
    -----
    With W the matrix of flow carats divided by the receiving lot's carats, and P the
    one-hot origins of production lots (plus the unknown remainder of lots that receive
    less than they hold), the shares solve S = W S + P. Lots are stored parents-first, so
    S is found level by level: each topological level is one sparse-times-dense product
    over the rows of lower levels, $O(\\text{flows} \\times \\text{origins})$ in all.

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
    """
    rule = _mixing_rule(mixing)
    code, labels = origin_labels(graph, by)
    n, k = len(graph), len(labels) + 1
    if sparse is None:
        sparse = n * k > DENSE_LIMIT
    if sparse:
        values: FloatArray | sp.csr_array = sparse_shares(graph, code, k, rule)
        return OriginShares(
            values=values,
            lots=graph.lots,
            origins=pd.Index([*labels, UNKNOWN]),
            by=by,
            mixing=repr(rule),
        )
    shares = np.zeros((n, k))
    produced = np.flatnonzero(code >= 0)
    shares[produced, code[produced]] = 1.0
    unknown = unknown_fraction(graph)
    entering = np.flatnonzero(unknown)
    shares[entering, k - 1] = unknown[entering]
    propagate(graph, shares, rule=None if rule is proportional else rule)
    return OriginShares(
        values=shares,
        lots=graph.lots,
        origins=pd.Index([*labels, UNKNOWN]),
        by=by,
        mixing=repr(rule),
    )
