"""Explanations: the paths that carry an origin into a lot."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from kpmodel._boundary import guarded
from kpmodel.errors import InvalidArgumentError
from kpmodel.provenance._graph import FloatArray, ProvenanceGraph
from kpmodel.provenance._shares import (
    UNKNOWN,
    By,
    origin_labels,
    propagate,
    require_graph,
    unknown_fraction,
)

__all__ = ["Path", "explain"]

#: explain() stops enumerating after this many paths (path counts grow exponentially).
MAX_ENUMERATED = 10_000


@guarded
@attrs.frozen(kw_only=True)
class Path:
    """One path of flows that carries carats of an origin into a lot.

    Attributes
    ----------
    lots : tuple
        Lot ids from where the carats entered (a production lot, or a lot holding carats
        of unknown source) to the explained lot.
    flows : tuple of float
        The carats of each flow along the path (one fewer than `lots`).
    carats : float
        The carats of the explained lot that this path carries from the origin.

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> mine = g.produce(country="CF", carats=10, on="2014-01-01")
    >>> cm = g.smuggle(mine, to="CM", on="2014-02-01")
    >>> kp.provenance.explain(g, cm, "CF")
    (Path(lots=(0, 1), flows=(10.0,), carats=10.0),)
    """

    lots: tuple[Any, ...]
    flows: tuple[float, ...]
    carats: float


def entry_column(graph: ProvenanceGraph, origin: str, *, by: By) -> tuple[FloatArray, FloatArray]:
    """Return (where the origin enters: fraction per lot, its share in every lot)."""
    if origin == UNKNOWN:
        entering = unknown_fraction(graph)
    else:
        code, labels = origin_labels(graph, by)
        entering = np.zeros(len(graph))
        if origin in labels:
            entering[code == labels.index(origin)] = 1.0
    share = propagate(graph, entering.copy()[:, None])[:, 0]
    return entering, share


def paths_into(
    graph: ProvenanceGraph,
    lot: int,
    entering: FloatArray,
    share: FloatArray,
    *,
    limit: int,
) -> tuple[Path, ...]:
    """Enumerate the paths into position `lot` from lots where `entering` > 0."""
    target = graph._flow_column("target")
    source = graph._flow_column("source")
    amount = graph._flow_column("carats")
    indptr = np.zeros(len(graph) + 1, np.int64)
    np.cumsum(np.bincount(target, minlength=len(graph)), out=indptr[1:])
    carats = graph._column("carats")
    found: list[tuple[float, tuple[int, ...], tuple[float, ...]]] = []
    # Depth-first, backwards: (current lot, the path from it to `lot`, weight so far).
    stack: list[tuple[int, tuple[int, ...], tuple[float, ...], float]] = [(lot, (lot,), (), 1.0)]
    while stack and len(found) < MAX_ENUMERATED:
        here, path, flows, weight = stack.pop()
        if entering[here] > 0:
            found.append((float(carats[lot] * weight * entering[here]), path, flows))
        for f in range(indptr[here], indptr[here + 1]):
            parent = int(source[f])
            if share[parent] > 0:
                w = weight * float(amount[f]) / float(carats[here])
                stack.append((parent, (parent, *path), (float(amount[f]), *flows), w))
    found.sort(key=lambda item: -item[0])
    return tuple(
        Path(lots=tuple(graph._lot_id(p) for p in path), flows=flows, carats=c)
        for c, path, flows in found[:limit]
    )


def explain(
    graph: ProvenanceGraph, lot: Any, origin: str, *, by: By = "country", limit: int = 100
) -> tuple[Path, ...]:
    """Return the paths that carry carats of `origin` into `lot`, largest first.

    Under mass balance, the carats of all paths add up to the lot's carats times its
    share from `origin` (`origin_shares`), unless more than `limit` paths exist.

    Parameters
    ----------
    graph : ProvenanceGraph
    lot : lot id
    origin : str
        An origin label as `origin_shares` names them for `by` (``"CF"``,
        ``"CF/Nola"``, ...), or ``"unknown"``.
    by : {"country", "zone", "site"}
    limit : int
        Return at most this many paths (the largest).

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> a = g.produce(country="CF", carats=10, on="2014-01-01")
    >>> b = g.produce(country="CM", carats=30, on="2014-01-01")
    >>> mixed = g.mix([g.smuggle(a, to="CM", on="2014-02-01"), b])
    >>> for path in kp.provenance.explain(g, mixed, "CF"):
    ...     print(path.lots, path.carats)
    (0, 2, 3) 10.0
    """
    require_graph(graph)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        msg = f"limit must be a positive int; got {limit!r}."
        raise InvalidArgumentError(msg)
    position = graph._positions([lot])[0]
    entering, share = entry_column(graph, origin, by=by)
    if share[position] <= 0:
        return ()
    return paths_into(graph, int(position), entering, share, limit=limit)
