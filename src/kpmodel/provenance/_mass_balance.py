"""Mass balance over a graph's lots: carats, carried quantities and undocumented inputs.

The public seam other parts (definitions, statistics, simulation) use to compute over the
lots of a `ProvenanceGraph` without reaching into its storage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from kpmodel.errors import InvalidArgumentError
from kpmodel.provenance import _shares

if TYPE_CHECKING:
    from kpmodel.provenance._graph import ProvenanceGraph

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


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


def propagate(
    graph: ProvenanceGraph, initial: Any, *, restart: Any = None, copy: bool = True
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
        not changed.
    restart : array-like of bool, optional
        One flag per lot: flagged lots keep their own row of `initial` and take nothing from
        their inputs (what they carry starts afresh there, as when a definition judges each
        shipment on its own date).
    copy : bool, default True
        With False, a float64 C-contiguous ``(len(graph), k)`` `initial` is overwritten
        with the result and returned (no second array of its size).

    Returns
    -------
    numpy.ndarray
        float64, of the shape of `initial`.

    Raises
    ------
    kpmodel.errors.InvalidArgumentError
        When `initial` does not have one row per lot.

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> orapa = g.produce(country="BW", zone="Orapa", carats=30, on="2020-01-01")
    >>> jwaneng = g.produce(country="BW", zone="Jwaneng", carats=70, on="2020-01-01")
    >>> mixed = g.mix([orapa, jwaneng])
    >>> kp.provenance.propagate(g, [1.0, 0.0, 0.0]).tolist()
    [1.0, 0.0, 0.3]
    """
    values = np.array(initial, dtype=np.float64, copy=True if copy else None)
    if values.ndim not in (1, 2) or values.shape[0] != len(graph):
        msg = (
            f"initial must have one row per lot ({len(graph)}, or ({len(graph)}, k)); "
            f"got shape {values.shape}"
        )
        raise InvalidArgumentError(msg)
    column = values.ndim == 1
    table = np.ascontiguousarray(values.reshape(len(graph), -1))
    flags = None
    if restart is not None:
        flags = np.asarray(restart, dtype=bool)
        if flags.shape != (len(graph),):
            msg = f"restart must have one flag per lot ({len(graph)}); got shape {flags.shape}"
            raise InvalidArgumentError(msg)
    result = _shares.propagate(graph, table, reset=flags)
    return result[:, 0] if column else result


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
