"""Mass balance over a graph's lots: carats, carried quantities and undocumented inputs.

The public seam other parts (definitions, statistics, simulation) use to compute over the
lots of a `ProvenanceGraph` without reaching into its storage.
"""

from __future__ import annotations

import numbers
import reprlib
import weakref
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
import scipy.sparse as sp

from kpmodel._boundary import show
from kpmodel.errors import InvalidArgumentError
from kpmodel.provenance import _shares
from kpmodel.provenance._graph import KINDS

if TYPE_CHECKING:
    from kpmodel.provenance._graph import ProvenanceGraph

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]


def lot_carats(graph: ProvenanceGraph) -> FloatArray:
    """Return the carats of every lot, in the order of ``graph.lots``.

    Parameters
    ----------
    graph : ProvenanceGraph

    Returns
    -------
    numpy.ndarray
        float64, one value per lot; a read-only view (copy it to change it).

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> mine = g.produce(country="BW", carats=5, on="2020-01-01")
    >>> _ = g.split(mine, [2])
    >>> kp.provenance.lot_carats(g).tolist()
    [5.0, 2.0]
    """
    carats = np.asarray(graph._column("carats"), dtype=np.float64)
    view = carats.view()
    view.flags.writeable = False
    return view


#: The text columns `lot_column` reads, by their name in ``to_frames()``.
_TEXT_COLUMNS = {
    "origin": "origin",
    "country": "country",
    "zone": "zone",
    "site": "site",
    "certificate": "certificate",
    "declared_origin": "declared",
}
_OTHER_COLUMNS = ("kind", "on", "carats", "value_usd", "list_origins")


def lot_column(graph: ProvenanceGraph, name: str) -> np.ndarray[Any, Any] | pd.Categorical:
    """Return one column of the lots' table, in the order of ``graph.lots``, without the table.

    The values are those of the column of ``graph.to_frames()[0]`` of that name, built
    without converting every other column: on a graph of millions of lots, reading the
    three or four columns a computation needs costs a fraction of the whole table.

    Parameters
    ----------
    graph : ProvenanceGraph
    name : str
        ``"kind"`` and the text columns (``"origin"``, ``"country"``, ``"zone"``,
        ``"site"``, ``"certificate"``, ``"declared_origin"``): a `pandas.Categorical`
        (missing values NaN; the categories are the values a text column holds, and
        every kind of lot for ``"kind"``); ``"on"``:
        ``datetime64[D]`` (NaT where unknown); ``"carats"``, ``"value_usd"``,
        ``"list_origins"``: a read-only numpy array.

    Returns
    -------
    numpy.ndarray or pandas.Categorical

    Raises
    ------
    kpmodel.errors.InvalidArgumentError
        If `name` is not one of these columns.

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> mine = g.produce(country="ZW", zone="Marange", carats=5, on="2010-06-01")
    >>> _ = g.ship(mine, to="AE", on="2010-07-01")
    >>> list(kp.provenance.lot_column(g, "kind"))
    ['produce', 'ship']
    >>> list(kp.provenance.lot_column(g, "zone"))
    ['Marange', nan]
    >>> kp.provenance.lot_column(g, "on").tolist()
    [datetime.date(2010, 6, 1), datetime.date(2010, 7, 1)]
    """
    _shares.require_graph(graph)
    if not isinstance(cast(Any, name), str):
        msg = f"name must be the name of a lot column (str); got {show(name)}"
        raise InvalidArgumentError(msg)
    if name == "kind":
        return _categorical(graph._column("kind"), [kind.value for kind in KINDS])
    if name in _TEXT_COLUMNS:
        codes = graph._column(_TEXT_COLUMNS[name])
        # Only the strings this column uses become categories (the graph keeps one table
        # of strings for all its columns, certificates included).
        used = np.flatnonzero(np.bincount(codes + 1, minlength=1)[1:])
        renumber = np.full(len(graph._strings) + 1, -1, np.int64)
        renumber[used] = np.arange(used.size)
        table = [graph._strings[code] for code in used.tolist()]
        return _categorical(renumber[codes], table)
    if name in _OTHER_COLUMNS:
        return graph._column(name)
    known = ", ".join(repr(c) for c in [*_OTHER_COLUMNS[:1], *_TEXT_COLUMNS, *_OTHER_COLUMNS[1:]])
    msg = f"no lot column {name!r}; the columns are {known}"
    raise InvalidArgumentError(msg)


def _categorical(codes: np.ndarray[Any, Any], categories: list[str]) -> pd.Categorical:
    """Return a Categorical of `codes` (-1: missing) into `categories`."""
    dtype: Any = pd.CategoricalDtype(pd.Index(categories, dtype=object))
    made: pd.Categorical = pd.Categorical.from_codes(codes, dtype=dtype)
    return made


def input_shares(graph: ProvenanceGraph) -> sp.csr_array:
    """Return the share of each lot's carats that came from each other lot, as a matrix.

    Row ``i``, column ``j`` holds the carats lot ``j`` gave lot ``i`` over lot ``i``'s
    carats (both in the order of ``graph.lots``): the weights `propagate` carries
    quantities with.

    Parameters
    ----------
    graph : ProvenanceGraph

    Returns
    -------
    scipy.sparse.csr_array
        ``(len(graph), len(graph))``, one entry per flow.

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> a = g.produce(country="BW", carats=30, on="2020-01-01")
    >>> b = g.produce(country="BW", carats=10, on="2020-01-01")
    >>> _ = g.mix([a, b])
    >>> kp.provenance.input_shares(g).toarray().tolist()
    [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.75, 0.25, 0.0]]
    """
    _shares.require_graph(graph)
    weights = _shares.share_weights(graph)
    _mark(weights, graph)  # this graph's, as it is now: `propagate` need not check it
    return weights


#: The matrices `input_shares` returned, by ``id``: (a weak reference to the matrix, one to
#: its graph, the graph's number of flows then). Kept here rather than on the matrix, so
#: that the matrix pickles (a weak reference cannot); an entry goes with its matrix, and
#: the reference to the matrix tells a reused ``id`` from it.
_MADE: dict[int, tuple[weakref.ReferenceType[Any], weakref.ReferenceType[Any], int]] = {}


def _mark(weights: sp.csr_array, graph: ProvenanceGraph) -> None:
    """Record `weights` as `input_shares(graph)` for the graph as it is now."""
    key = id(weights)

    def forget(ref: weakref.ReferenceType[Any]) -> None:
        entry = _MADE.get(key)
        if entry is not None and entry[0] is ref:
            _MADE.pop(key, None)

    _MADE[key] = (weakref.ref(weights, forget), weakref.ref(graph), graph.number_of_flows)


def _made_for(weights: Any, graph: ProvenanceGraph) -> bool:
    """Whether `weights` is a matrix `input_shares(graph)` returned, the graph unchanged since."""
    entry = _MADE.get(id(weights))
    return (
        entry is not None
        and entry[0]() is weights
        and entry[1]() is graph
        and entry[2] == graph.number_of_flows
    )


def propagate(
    graph: ProvenanceGraph,
    initial: Any,
    *,
    restart: Any = None,
    copy: bool = True,
    weights: sp.csr_array | None = None,
) -> FloatArray:
    """Carry per-lot quantities through the graph by mass balance; return the result.

    Each lot ends with its own row of `initial` plus the carat-weighted average of what its
    input lots carry (a flow of 30 ct into a lot of 100 ct passes 30 % of its source's
    value). With an indicator of some production lots as `initial`, the result is every
    lot's share of carats from them; with a value per carat, the value per carat every lot
    carries. Solved level by level with sparse products (lots are stored parents first).

    Parameters
    ----------
    graph : ProvenanceGraph
    initial : array-like
        ``(len(graph),)`` or ``(len(graph), k)`` numbers, in the order of ``graph.lots``;
        not changed. NaN marks a quantity not known: every lot that draws on that lot,
        through any chain of flows (up to a lot of `restart`), carries NaN in that column.
    restart : array-like of bool, optional
        One flag per lot: flagged lots keep their own row of `initial` and take nothing from
        their inputs (what they carry starts afresh there, as when a definition judges each
        shipment on its own date).
    copy : bool, default True
        With False, a float64 C-contiguous ``(len(graph), k)`` (or ``(len(graph),)``)
        `initial` that can be written is overwritten with the result and returned (no
        second array of its size). Any other `initial` (read-only, as `lot_carats`
        returns, of another dtype, not C-contiguous, or not a numpy array) is copied, as
        with True.
    weights : scipy.sparse.csr_array, optional
        ``input_shares(graph)``, when the caller already has it: several propagations
        over one graph then build it once (it is not changed). A matrix `input_shares`
        returned for this graph (unchanged since) is used as it is; any other (a copy, one
        loaded from a file or unpickled) is checked first: one entry per flow, by receiving
        lot, each the flow's carats over the receiving lot's (to a relative 1e-9).

    Returns
    -------
    numpy.ndarray
        float64, of the shape of `initial`.

    Raises
    ------
    kpmodel.errors.InvalidArgumentError
        When `graph` is not a graph; `initial` is not real numbers with one row per lot
        (text, dates, complex numbers, values beyond float64, a sparse matrix, or a masked
        array with masked entries: propagate reads no masks, so fill them first, e.g.
        ``initial.filled(0.0)``; object arrays of real numbers, `decimal.Decimal` included,
        are read as float64); `restart` is not one boolean per lot; or `weights` is not
        the graph's `input_shares` (another matrix, a transposed one, or one of another
        graph, even with the same flows between the same lots but other carats).

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> orapa = g.produce(country="BW", zone="Orapa", carats=30, on="2020-01-01")
    >>> jwaneng = g.produce(country="BW", zone="Jwaneng", carats=70, on="2020-01-01")
    >>> mixed = g.mix([orapa, jwaneng])
    >>> kp.provenance.propagate(g, [1.0, 0.0, 0.0]).tolist()
    [1.0, 0.0, 0.3]

    Several propagations over one graph can share its weights:

    >>> w = kp.provenance.input_shares(g)
    >>> kp.provenance.propagate(g, [0.0, 1.0, 0.0], weights=w).tolist()
    [0.0, 1.0, 0.7]
    """
    _shares.require_graph(graph)
    values = _numbers(initial, "initial", copy=copy)
    if values.ndim not in (1, 2) or values.shape[0] != len(graph):
        msg = (
            f"initial must have one row per lot ({len(graph)}, or ({len(graph)}, k)); "
            f"got shape {values.shape}"
        )
        raise InvalidArgumentError(msg)
    column = values.ndim == 1
    table = np.ascontiguousarray(values.reshape(len(graph), 1 if column else values.shape[1]))
    flags = None
    if restart is not None:
        flags = _flags(restart)
        if flags.shape != (len(graph),):
            msg = f"restart must have one flag per lot ({len(graph)}); got shape {flags.shape}"
            raise InvalidArgumentError(msg)
    if weights is not None and not (
        sp.issparse(weights)
        and weights.format == "csr"
        and weights.shape == (len(graph), len(graph))
        and weights.dtype == np.float64
        and _is_flow_pattern(graph, weights)
    ):
        shape = getattr(weights, "shape", None)
        got = f"{type(weights).__name__} of shape {shape}"
        if getattr(weights, "format", None) == "csr" and shape == (len(graph), len(graph)):
            got += (
                " whose entries are not the graph's flows and their shares of the receiving "
                "lots' carats (transposed, or another graph's)"
            )
        msg = (
            f"weights must be input_shares(graph): a float64 CSR matrix of "
            f"({len(graph)}, {len(graph)}) with an entry per flow; got {got}. Pass "
            "kp.provenance.input_shares(graph), or leave weights out."
        )
        raise InvalidArgumentError(msg)
    result = _shares.propagate(graph, table, reset=flags, weights=weights)
    return result[:, 0] if column else result


def _numbers(values: Any, name: str, *, copy: bool) -> FloatArray:
    """Return `values` as float64 (a copy unless `copy` is False and `values` is a writable
    float64 array), refusing anything but real numbers: text, dates, complex, values
    beyond float64, sparse matrices and masked arrays with masked entries.
    """
    expected = f"{name} must be an array of real numbers, one row per lot"
    if sp.issparse(values):
        msg = f"{expected}; got a scipy sparse {type(values).__name__}: pass .toarray()."
        raise InvalidArgumentError(msg)
    mask = np.ma.getmaskarray(values) if isinstance(values, np.ma.MaskedArray) else None
    if mask is not None and mask.any():
        msg = (
            f"{expected}; got a masked array with {int(mask.sum())} masked "
            f"entr{'y' if int(mask.sum()) == 1 else 'ies'}, and "
            f"propagate reads no masks. Pass {name}.filled(value), with the value a masked "
            "entry should carry (0.0 for nothing)."
        )
        raise InvalidArgumentError(msg)
    try:
        array = np.asarray(values)
    except (TypeError, ValueError, OverflowError) as exc:
        got = type(values).__name__
        msg = f"{expected}; got {got}: {exc}"
        raise InvalidArgumentError(msg) from exc
    if array.dtype == object and array.ndim:
        array = _real_objects(array, expected)
    if array.dtype.kind not in "biuf":
        what = f"{array.dtype} values" if array.ndim else f"a {type(values).__name__}"
        msg = f"{expected}; got {what}."
        raise InvalidArgumentError(msg)
    if array.dtype.kind == "f" and array.dtype.itemsize > 8:  # long double
        with np.errstate(over="ignore"):  # values beyond float64 are refused just below
            converted = array.astype(np.float64)
        beyond = np.isinf(converted) & np.isfinite(array)
        if beyond.any():
            raise InvalidArgumentError(_beyond_float64(expected, array[beyond][0]))
        array = converted
    result: FloatArray = np.array(array, dtype=np.float64, copy=True if copy else None)
    if not result.flags.writeable:  # copy=False on a read-only array: it cannot be overwritten
        result = result.copy()
    return result


def _real_objects(array: np.ndarray[Any, Any], expected: str) -> FloatArray:
    """Return an object array holding only real numbers (Decimal too) as float64."""
    flat = array.ravel()
    converted = np.empty(flat.size, np.float64)
    for i, value in enumerate(flat.tolist()):
        if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
            msg = (
                f"{expected}; got object values such as {show(value)} (type "
                f"{type(value).__name__}). Pass numbers (float, int or Decimal)."
            )
            raise InvalidArgumentError(msg)
        try:
            converted[i] = float(value)
        except OverflowError:
            raise InvalidArgumentError(_beyond_float64(expected, value)) from None
        if np.isinf(converted[i]) and not (
            value.is_infinite() if isinstance(value, Decimal) else np.isinf(cast(Any, value))
        ):
            raise InvalidArgumentError(_beyond_float64(expected, value))
    return converted.reshape(array.shape)


def _beyond_float64(expected: str, value: Any) -> str:
    return (
        f"{expected}, each within float64's range (about 1.8e308); got "
        f"{reprlib.repr(value)}, which float64 cannot hold. Scale the values down "
        "(thousands of carats, say)."
    )


def _flags(restart: Any) -> BoolArray:
    """Return `restart` as booleans, refusing text and numbers other than 0 and 1."""
    flags = np.asarray(restart)
    if flags.dtype.kind in "iuf":
        if not np.isin(flags, (0, 1)).all():
            msg = "restart must hold booleans (True/False or 1/0); got other numbers (or NaN)."
            raise InvalidArgumentError(msg)
        flags = flags.astype(bool)
    if flags.dtype.kind != "b":
        msg = f"restart must hold booleans (True/False or 1/0); got {flags.dtype} values."
        raise InvalidArgumentError(msg)
    return flags


def _is_flow_pattern(graph: ProvenanceGraph, weights: sp.csr_array) -> bool:
    """Whether `weights` is `input_shares(graph)`: an entry for each flow, by receiving lot
    (a transposed matrix or one of another graph has others), each the flow's carats over
    the receiving lot's (another graph with the same flows may have other carats).
    """
    if _made_for(weights, graph):
        return True
    target = graph._flow_column("target")
    counts = np.bincount(target, minlength=len(graph))
    if not (
        weights.indices.size == counts.sum()
        and np.array_equal(np.diff(weights.indptr), counts)
        and np.array_equal(weights.indices, graph._flow_column("source"))
    ):
        return False
    expected = _shares.flow_weights(graph)
    return bool(np.all(np.abs(weights.data - expected) <= 1e-9 * expected))


def unknown_fraction(graph: ProvenanceGraph) -> FloatArray:
    """Return, per lot, the fraction of its carats that entered with no documented source.

    A production lot has none; a lot that received fewer carats through flows than it
    holds has the rest of unknown origin (`kpmodel.provenance.UNKNOWN` in origin shares).

    Parameters
    ----------
    graph : ProvenanceGraph

    Returns
    -------
    numpy.ndarray
        float64 in [0, 1], one value per lot, in the order of ``graph.lots``.

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> mine = g.produce(country="BW", carats=5, on="2020-01-01")
    >>> kp.provenance.unknown_fraction(g).tolist()
    [0.0]
    """
    return _shares.unknown_fraction(graph)
