"""Explanations: the paths that carry an origin into a lot."""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import operator
import warnings
from typing import Any, cast

import attrs
import numpy as np

from kpmodel._boundary import guarded
from kpmodel.errors import IncompleteResultWarning, InvalidArgumentError
from kpmodel.provenance._graph import FloatArray, ProvenanceGraph
from kpmodel.provenance._shares import (
    UNKNOWN,
    By,
    _ranges,
    flow_index,
    level_blocks,
    origin_labels,
    propagate,
    require_graph,
    unknown_fraction,
)

__all__ = ["Path", "explain"]

#: The most partial paths `explain` examines before it stops and warns (a safeguard:
#: each path found costs about as many as it has flows, but a lattice of many paths of
#: near-equal carats can make the search examine many more).
MAX_EXPANDED = 1_000_000

#: Queue ranks per unit of log(fraction): fractions closer than about 1e-9 tie.
_TIES = 2.0**30

#: How many labels a message about an unknown origin lists.
LABELS_SHOWN = 8


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
    """Return (where the origin enters: fraction per lot, its share in every lot).

    Raises `InvalidArgumentError` when `origin` is not a label of the graph under `by`.
    """
    if not isinstance(cast(Any, origin), str):
        msg = (
            f"origin must be an origin label (str), such as origin_shares names them; "
            f"got {origin!r} (type {type(origin).__name__})."
        )
        raise InvalidArgumentError(msg)
    code, labels = origin_labels(graph, by)  # refuses a `by` it does not know
    if origin == UNKNOWN:
        entering = unknown_fraction(graph)
    else:
        column = bisect.bisect_left(labels, origin)  # the labels are sorted
        if column == len(labels) or labels[column] != origin:
            raise InvalidArgumentError(_unknown_label(origin, labels, by))
        entering = (code == column).astype(np.float64)
    share = propagate(graph, entering.copy()[:, None])[:, 0]
    return entering, share


def _unknown_label(origin: str, labels: list[str], by: By) -> str:
    """Return the message for an origin that is not one of `labels` (the graph's, by `by`)."""
    shown = ", ".join(repr(label) for label in [*labels[:LABELS_SHOWN], UNKNOWN])
    more = f" ({len(labels)} labels in all, and {UNKNOWN!r})" if len(labels) > LABELS_SHOWN else ""
    msg = (
        f"origin {origin!r} is not an origin of this graph under by={by!r}: no production "
        f"lot has that label. The labels are {shown}{more}."
    )
    parts = origin.count("/")
    level = {0: "country", 1: "zone", 2: "site"}.get(parts)
    if level is not None and level != by:
        msg += f" A label with {parts} '/' names a {level}: pass by={level!r}."
        if level == "zone":
            msg += " (The audit's findings name their origins by zone.)"
    elif origin == "smuggled":
        msg += " The audit's 'smuggled' findings hold their own paths (Finding.paths)."
    elif origin.upper() != origin and origin.upper() in labels:
        msg += f" Country codes are upper case: pass {origin.upper()!r}."
    return msg


def best_completion(graph: ProvenanceGraph, entering: FloatArray, share: FloatArray) -> FloatArray:
    """Return, for each lot, the largest fraction of its carats that one path brings from
    a lot where the origin enters: ``entering`` there, or a flow's fraction of the lot
    times its source's best (following the inputs that carry the origin, ``share > 0``).
    """
    indptr = flow_index(graph)
    source, amount = graph._flow_column("source"), graph._flow_column("carats")
    carats = graph._column("carats")
    carried = share > 0
    best = np.where(carried, entering, 0.0)
    for block in level_blocks(graph):
        lots = np.arange(block.start, block.stop) if isinstance(block, slice) else block
        lots = lots[carried[lots]]
        counts = indptr[lots + 1] - indptr[lots]
        lots, counts = lots[counts > 0], counts[counts > 0]
        if lots.size == 0:
            continue
        at = _ranges(indptr[lots], counts)
        carry = amount[at] / np.repeat(carats[lots], counts) * best[source[at]]
        best[lots] = np.maximum(best[lots], np.maximum.reduceat(carry, np.cumsum(counts) - counts))
    return best


def _rank(priority: float) -> int:
    """Return the queue rank of a path's (bound on its) fraction: larger first, and values
    closer than about one part in 10**9 tie (rounding must not order equal paths).
    """
    return -round(math.log(priority) * _TIES)


def paths_into(
    graph: ProvenanceGraph,
    lot: int,
    entering: FloatArray,
    share: FloatArray,
    *,
    limit: int,
) -> tuple[Path, ...]:
    """Return the `limit` largest paths into position `lot` from lots where `entering` > 0.

    Best first, backwards from `lot` (an A* search): a partial path is ordered by the
    largest complete path it can still become (its fraction of `lot`'s carats times the
    `best_completion` of its first lot), and a complete path by its own fraction, so
    complete paths leave the priority queue largest first, each after about as many
    steps as it has flows (ties go to complete paths, then to the deepest). A path ends
    at each lot where the origin enters (carrying ``entering`` of that lot) and goes on
    through the lot's inputs. Warns (`IncompleteResultWarning`) when `MAX_EXPANDED`
    partial paths were examined before `limit` paths were found.
    """
    indptr = flow_index(graph)
    source, amount = graph._flow_column("source"), graph._flow_column("carats")
    carats = graph._column("carats")
    best = best_completion(graph, entering, share)
    if best[lot] <= 0:
        return ()
    # Partial paths as a tree: (lot, the node it feeds, the flow's carats); node 0 is `lot`.
    nodes: list[tuple[int, int, float]] = [(lot, -1, 0.0)]
    tie = itertools.count()
    # (rank, 0 if complete, -depth, tie: the oldest first, node, fraction of `lot`)
    queue = [(_rank(float(best[lot])), 1, 0, next(tie), 0, 1.0)]
    found: list[Path] = []
    total = float(carats[lot])
    expanded = 0
    while queue and len(found) < limit:
        _, partial, depth, _, node, weight = heapq.heappop(queue)
        if not partial:
            found.append(path_of(graph, nodes, node, weight * total))
            continue
        if expanded == MAX_EXPANDED:
            _warn_incomplete(len(found), limit)
            break
        expanded += 1
        here = nodes[node][0]
        ends = weight * float(entering[here])
        if ends > 0:
            heapq.heappush(queue, (_rank(ends), 0, depth, next(tie), node, ends))
        held = float(carats[here])
        for f in range(int(indptr[here]), int(indptr[here + 1])):
            parent = int(source[f])
            if best[parent] > 0:
                moved = float(amount[f])
                grown = weight * moved / held
                bound = grown * float(best[parent])
                if bound > 0:
                    nodes.append((parent, node, moved))
                    entry = (_rank(bound), 1, depth - 1, next(tie), len(nodes) - 1, grown)
                    heapq.heappush(queue, entry)
    # Paths that tie (within rounding) may come out in either order.
    return tuple(sorted(found, key=lambda path: -path.carats))


def _warn_incomplete(found: int, limit: int) -> None:
    msg = (
        f"explain examined {MAX_EXPANDED:,} partial paths and found {found} of the {limit} "
        "paths asked for: these are the largest paths (largest first), but the rest were "
        "not searched, so their carats do not add up to the lot's share. Ask for fewer "
        "paths (limit=), or raise kpmodel.provenance._explain.MAX_EXPANDED."
    )
    warnings.warn(msg, IncompleteResultWarning, stacklevel=4)


def path_of(
    graph: ProvenanceGraph, nodes: list[tuple[int, int, float]], node: int, carats: float
) -> Path:
    """Return the path from the lot of `node` down the tree to its root."""
    lots, moved = [], []
    while node >= 0:
        here, node, flow = nodes[node]
        lots.append(graph._lot_id(here))
        moved.append(flow)
    return Path(lots=tuple(lots), flows=tuple(moved[:-1]), carats=carats)


def explain(
    graph: ProvenanceGraph, lot: Any, origin: str, *, by: By = "country", limit: int = 100
) -> tuple[Path, ...]:
    """Return the `limit` largest paths that carry carats of `origin` into `lot`, largest
    first.

    A path starts at a lot where carats of `origin` entered the graph (a production lot
    of that origin; for ``"unknown"``, a lot holding carats of no documented source) and
    follows flows to `lot`; its carats are the lot's carats it carries from there. Under
    mass balance, the carats of all paths add up to the lot's carats times its share from
    `origin` (`origin_shares`), unless more than `limit` paths exist.

    The paths are found best first (an A* search backwards from `lot`), so the largest
    come out first whatever the number of paths, each after about as many steps as it has
    flows. Paths whose carats differ by less than about one part in 10**9 count as equal
    and may come out in either order. As a safeguard, the search examines at most
    ``MAX_EXPANDED`` (1,000,000) partial paths; if it stops there (only on lattices of
    very many near-equal paths), it returns the paths found so far, which are the
    largest, and warns with `kpmodel.errors.IncompleteResultWarning`.

    Parameters
    ----------
    graph : ProvenanceGraph
    lot : lot id
    origin : str
        An origin label as `origin_shares` names them for `by` (``"CF"`` for
        ``by="country"``, ``"CF/Nola"`` for ``by="zone"``, ...), or ``"unknown"``.
    by : {"country", "zone", "site"}
    limit : int
        Return at most this many paths (the largest).

    Returns
    -------
    tuple of Path
        Largest first; empty when `lot` holds no carats of `origin`.

    Raises
    ------
    kpmodel.errors.InvalidArgumentError
        If `origin` is not a str, or not a label of the graph under `by` (no production
        lot has it: a lower-case code, a zone label such as ``"CF/Nola"`` under
        ``by="country"``, a code no lot was mined in); the message lists the labels.
        If `limit` is not a positive integer.

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> a = g.produce(country="CF", zone="Nola", carats=10, on="2014-01-01")
    >>> b = g.produce(country="CM", carats=30, on="2014-01-01")
    >>> mixed = g.mix([g.smuggle(a, to="CM", on="2014-02-01"), b])
    >>> for path in kp.provenance.explain(g, mixed, "CF"):
    ...     print(path.lots, path.carats)
    (0, 2, 3) 10.0
    >>> kp.provenance.explain(g, a, "CM")
    ()
    >>> kp.provenance.explain(g, mixed, "CF/Nola", by="zone")[0].carats
    10.0
    >>> kp.provenance.explain(g, mixed, "CF/Nola")
    Traceback (most recent call last):
    ...
    kpmodel.errors.InvalidArgumentError: origin 'CF/Nola' is not an origin ... pass by='zone'...
    """
    require_graph(graph)
    count = positive_limit(limit)
    position = graph._positions([lot])[0]
    entering, share = entry_column(graph, origin, by=by)
    if share[position] <= 0:
        return ()
    return paths_into(graph, int(position), entering, share, limit=count)


def positive_limit(limit: object) -> int:
    """Return `limit` as an int (numpy integers too), refusing bools and numbers < 1."""
    try:
        count = operator.index(cast(Any, limit))
    except TypeError:
        count = 0
    if isinstance(limit, bool | np.bool_) or count < 1:
        msg = f"limit must be a positive int; got {limit!r}."
        raise InvalidArgumentError(msg)
    return count
