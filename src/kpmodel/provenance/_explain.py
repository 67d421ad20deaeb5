"""Explanations: the paths that carry an origin into a lot."""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import operator
import warnings
from collections.abc import Iterable
from typing import Any, cast

import attrs
import numpy as np
import numpy.typing as npt

from kpmodel._boundary import guarded, show
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

__all__ = ["Explanation", "Path", "explain"]

#: The most partial paths `explain`'s search for the largest paths examines (a safeguard
#: on time and memory: each path found costs about as many as it has flows, but a lattice
#: of very many near-equal paths can make the search examine many more, each queueing its
#: inputs). When it stops there, the result says so (`Explanation.truncated`) and an
#: `IncompleteResultWarning` names the cap. An audit's findings use the same search with a
#: lower cap (`kpmodel.provenance._audit.FINDING_MAX_EXPANDED`).
MAX_EXPANDED = 1_000_000

#: Queue ranks per unit of log2(fraction): fractions closer than about one part in 10**9 tie.
_TIES = 2.0**30

#: A path's weight below this is rescaled into its exponent (float64 stays normal).
_SMALL = 2.0**-500

#: How many labels a message about an unknown origin lists.
LABELS_SHOWN = 8

BoolArray = npt.NDArray[np.bool_]


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


class Explanation(tuple[Path, ...]):
    """The paths `explain` returns: a tuple of `Path`, largest first, that also says whether
    the search for them was cut short and how many carats they carry.

    In every other way it is the tuple of its paths (it compares, hashes, indexes, slices
    and unpacks as one; a slice or a sum of it is a plain tuple). Like the tuple, it cannot
    be changed: setting or deleting an attribute raises `attrs.exceptions.FrozenInstanceError`.
    Its repr is the plain tuple's, with ``truncated=True`` added when the search was cut
    short. An audit's findings give the same two attributes on their paths (`FindingPaths`).

    Parameters
    ----------
    paths : iterable of Path
        What `explain` found, the largest path first; anything else is refused.
    truncated : bool
        Whether `explain`'s search was cut short (default False).

    Attributes
    ----------
    truncated : bool
        True when `explain` hit its cap (1,000,000 partial paths examined) with fewer
        than `limit` paths found: more paths carry the origin than are listed. `explain`
        warns with `kpmodel.errors.IncompleteResultWarning` too.
    carats : float
        The sum of the listed paths' carats; the lot's carats times its share from the
        origin when no path is left out.

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> mine = g.produce(country="CF", carats=10, on="2014-01-01")
    >>> paths = kp.provenance.explain(g, g.smuggle(mine, to="CM", on="2014-02-01"), "CF")
    >>> paths
    (Path(lots=(0, 1), flows=(10.0,), carats=10.0),)
    >>> paths.truncated, paths.carats
    (False, 10.0)
    >>> isinstance(paths, tuple) and paths == kp.provenance.Explanation(paths)
    True
    >>> kp.provenance.Explanation(paths, truncated=True)
    Explanation((Path(lots=(0, 1), flows=(10.0,), carats=10.0),), truncated=True)
    """

    _truncated: bool

    def __new__(cls, paths: Iterable[Path] = (), *, truncated: bool = False) -> Explanation:
        self = super().__new__(cls, checked_paths("Explanation", paths, truncated))
        object.__setattr__(self, "_truncated", truncated)
        return self

    def __setattr__(self, name: str, value: object) -> None:
        raise attrs.exceptions.FrozenInstanceError

    def __delattr__(self, name: str) -> None:
        raise attrs.exceptions.FrozenInstanceError

    def __reduce__(self) -> tuple[Any, tuple[tuple[Path, ...], bool]]:
        # Rebuilt through __new__ (every pickle protocol, copy and deepcopy), not by
        # writing into the instance's __dict__.
        return _explanation, (tuple(self), self._truncated)

    def __repr__(self) -> str:
        if not self._truncated:
            return tuple.__repr__(self)
        return f"Explanation({tuple.__repr__(self)}, truncated=True)"

    @property
    def truncated(self) -> bool:
        """Whether the search stopped on its cap with fewer than `limit` paths."""
        return self._truncated

    @property
    def carats(self) -> float:
        """The carats the listed paths carry."""
        return float(sum(path.carats for path in self))


def _explanation(paths: tuple[Path, ...], truncated: bool) -> Explanation:
    """Rebuild a pickled `Explanation`."""
    return Explanation(paths, truncated=truncated)


def checked_paths(owner: str, paths: Iterable[Path], truncated: object) -> tuple[Path, ...]:
    """Return `paths` as a tuple; an `InvalidArgumentError` naming `owner` for anything but
    an iterable of `Path`, or a `truncated` that is not a bool.
    """
    try:
        listed = tuple(paths)
    except TypeError as error:
        msg = (
            f"{owner}: paths must be an iterable of kpmodel.provenance.Path; got "
            f"{show(paths)} (type {type(paths).__name__}). Pass a list or tuple of paths."
        )
        raise InvalidArgumentError(msg) from error
    for i, path in enumerate(listed):
        if not isinstance(cast(Any, path), Path):
            msg = (
                f"{owner}: paths[{i}] must be a kpmodel.provenance.Path; got "
                f"{show(path)} (type {type(path).__name__}). Pass the paths explain() or "
                "a finding gives."
            )
            raise InvalidArgumentError(msg)
    if not isinstance(truncated, bool):
        msg = f"{owner}: truncated must be True or False; got {show(truncated)}."
        raise InvalidArgumentError(msg)
    return listed


def entry_column(graph: ProvenanceGraph, origin: str, *, by: By) -> tuple[FloatArray, FloatArray]:
    """Return (where the origin enters: fraction per lot, its share in every lot).

    Raises `InvalidArgumentError` when `origin` is not a label of the graph under `by`.
    """
    if not isinstance(cast(Any, origin), str):
        msg = (
            f"origin must be an origin label (str), such as origin_shares names them; "
            f"got {show(origin)} (type {type(origin).__name__})."
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


class Flows:
    """The flows into each lot (CSR by receiving lot) that a search for paths walks.

    A snapshot of the graph as it was: its first `n` lots. The graph may grow afterwards
    (lots and flows are only ever appended, so the columns read here keep their values);
    a search walks only these lots. An audit keeps one for the paths it finds on demand.
    """

    def __init__(self, graph: ProvenanceGraph) -> None:
        self.graph = graph
        self.n = len(graph)
        self.indptr = flow_index(graph)
        self.source = graph._flow_column("source")
        self.amount = graph._flow_column("carats")
        self.carats = graph._column("carats")


def best_completion(
    flows: Flows, entering: FloatArray | BoolArray, carried: BoolArray, *, stop: bool
) -> FloatArray:
    """Return, for each lot, log2 of the largest fraction of its carats that one path
    brings from a lot where the origin enters: ``entering`` there, or a flow's fraction of
    the lot times its source's best, following only the inputs that carry the origin
    (`carried`); -inf where no path does.

    With `stop`, a path ends at the first lot where the origin enters (a column that
    restarts there, as smuggled carats do, owes its carats to that lot alone); otherwise it
    may also go on through that lot's inputs (carats of unknown source enter wherever
    flows do not cover a lot). In log2, so that no fraction underflows on deep graphs.
    """
    indptr, source, amount, carats, n = (
        flows.indptr,
        flows.source,
        flows.amount,
        flows.carats,
        flows.n,
    )
    entered = np.asarray(entering[:n], dtype=np.float64) > 0
    with np.errstate(divide="ignore"):
        best: FloatArray = np.where(
            carried[:n] & entered, np.log2(np.asarray(entering[:n], dtype=np.float64)), -np.inf
        )
    for block in level_blocks(flows.graph):
        # Lots added after the snapshot (positions n and above) are not part of it.
        if isinstance(block, slice):
            lots = np.arange(block.start, min(block.stop, n))
        else:
            lots = block[block < n]
        keep = carried[lots] & ~entered[lots] if stop else carried[lots]
        lots = lots[keep]
        counts = indptr[lots + 1] - indptr[lots]
        lots, counts = lots[counts > 0], counts[counts > 0]
        if lots.size == 0:
            continue
        at = _ranges(indptr[lots], counts)
        with np.errstate(divide="ignore"):
            step = np.log2(amount[at]) - np.log2(np.repeat(carats[lots], counts))
        carry = step + best[source[at]]
        best[lots] = np.maximum(best[lots], np.maximum.reduceat(carry, np.cumsum(counts) - counts))
    return best


def largest_paths(
    flows: Flows,
    lot: int,
    entering: FloatArray | BoolArray,
    best: FloatArray,
    *,
    stop: bool,
    limit: int,
    cap: int,
) -> tuple[tuple[Path, ...], bool]:
    """Return the `limit` largest paths into position `lot` from lots where `entering` > 0,
    largest first, and whether the search stopped on `cap` with more to find.

    The one search for paths, for `explain` and for an audit's findings. Best first,
    backwards from `lot` (an A* search): a partial path is ordered by the largest complete
    path it can still become (its fraction of `lot`'s carats times the `best` completion of
    its first lot, `best_completion` with the same `stop`), and a complete path by its own
    fraction, so complete paths leave the priority queue largest first, each after about
    as many steps as it has flows. A path ends at each lot where the origin enters
    (carrying ``entering`` of that lot) and, unless `stop`, goes on through the lot's
    inputs that carry the origin.

    Ties: fractions closer than about one part in 10**9 rank equal; among equal ranks a
    complete path comes out first, then the deepest partial path, then the one queued
    first. The returned paths are sorted by their exact fractions, largest first (paths of
    equal fractions in the order they were found).

    A path's fraction is carried as a float weight times a power of two (the weight is
    rescaled into the exponent when it falls below ``2**-500``), and `best` is in log2, so
    that a path through thousands of splits is still found and keeps its place in the
    order; its `carats` are ``fraction * carats of lot`` (the same float as a plain product
    wherever that does not underflow), 0.0 when that underflows float64.

    The search examines at most `cap` partial paths (`MAX_EXPANDED` for `explain`, a lower
    cap for an audit's findings): the second value is True when it stopped there before
    finding `limit` paths (more paths exist).
    """
    graph, indptr, source, amount, carats = (
        flows.graph,
        flows.indptr,
        flows.source,
        flows.amount,
        flows.carats,
    )
    if best[lot] == -np.inf:
        return (), False
    # Partial paths as a tree: (lot, the node it feeds, the flow's carats); node 0 is `lot`.
    nodes: list[tuple[int, int, float]] = [(lot, -1, 0.0)]
    tie = itertools.count()
    # (rank, 0 if complete, -depth, tie: the oldest first, node, weight, exponent): the
    # path's fraction of `lot` is weight * 2**exponent.
    queue = [(_rank(float(best[lot])), 1, 0, next(tie), 0, 1.0, 0)]
    found: list[tuple[int, float, Path]] = []
    total = float(carats[lot])
    expanded = 0
    truncated = False
    # Local names: this loop runs up to `cap` times.
    pop, push, log2, ties, small = heapq.heappop, heapq.heappush, math.log2, _TIES, _SMALL
    while queue and len(found) < limit:
        _, partial, depth, _, node, weight, exponent = pop(queue)
        if not partial:
            found.append(_complete(graph, nodes, node, weight, exponent, total))
            continue
        if expanded == cap:
            truncated = True
            break
        expanded += 1
        here = nodes[node][0]
        entered = entering[here]
        if entered:
            w, e = weight * float(entered), exponent
            if w < small:
                w, e = _ratio(weight, float(entered), 1.0, exponent)
            if stop:  # complete: its rank is the bound it was popped with, the best queued
                found.append(_complete(graph, nodes, node, w, e, total))
                continue
            push(queue, (-int((e + log2(w)) * ties), 0, depth, next(tie), node, w, e))
        held = float(carats[here])
        for f in range(int(indptr[here]), int(indptr[here + 1])):
            parent = int(source[f])
            completion = float(best[parent])
            if completion == -math.inf:
                continue
            moved = float(amount[f])
            w, e = weight * moved / held, exponent
            if w < small:  # rarely: keep the weight in float64's normal range
                w, e = _ratio(weight, moved, held, exponent)
                if w <= 0:
                    continue  # a flow of no carats
            nodes.append((parent, node, moved))
            rank = -int((e + log2(w) + completion) * ties)
            push(queue, (rank, 1, depth - 1, next(tie), len(nodes) - 1, w, e))
    found.sort(key=lambda item: (-item[0], -item[1]))  # stable: equal fractions keep order
    return tuple(path for *_, path in found), truncated


def _rank(log2_fraction: float) -> int:
    """Return the queue rank of a path's (bound on its) fraction, given in log2: larger
    first, and fractions closer than about one part in 10**9 tie (rounding must not order
    equal paths). `largest_paths` writes it out inline.
    """
    return -int(log2_fraction * _TIES)


def _scaled(weight: float, exponent: int) -> tuple[float, int]:
    """Return ``weight * 2**exponent`` as (mantissa in [0.5, 1), exponent); a zero weight
    gives (0.0, exponent).
    """
    mantissa, shift = math.frexp(weight)
    return mantissa, exponent + shift


def _ratio(weight: float, moved: float, held: float, exponent: int) -> tuple[float, int]:
    """Return ``weight * 2**exponent * moved / held`` as `_scaled` does, with no underflow
    on the way (a tiny weight, or a flow of subnormal carats).
    """
    (w, shift), (m, up), (h, down) = math.frexp(weight), math.frexp(moved), math.frexp(held)
    return _scaled(w * m / h, exponent + shift + up - down)


def _complete(
    graph: ProvenanceGraph,
    nodes: list[tuple[int, int, float]],
    node: int,
    weight: float,
    exponent: int,
    total: float,
) -> tuple[int, float, Path]:
    """Return (exponent, mantissa, path) for the complete path ending at `node`, carrying
    ``weight * 2**exponent`` of `total` carats (0.0 when that underflows float64).
    """
    mantissa, exponent = _scaled(weight, exponent)
    carats = math.ldexp(mantissa * total, exponent)
    return exponent, mantissa, path_of(graph, nodes, node, carats)


def paths_into(
    graph: ProvenanceGraph,
    lot: int,
    entering: FloatArray,
    share: FloatArray,
    *,
    limit: int,
) -> Explanation:
    """Return the `limit` largest paths into position `lot` from lots where `entering` > 0
    (`largest_paths` over the lots where `share` > 0, a path going on through a lot where
    the origin enters). When the search stopped on `MAX_EXPANDED` before finding `limit`
    paths, they say so (`Explanation.truncated`) and it warns (`IncompleteResultWarning`).
    """
    flows = Flows(graph)
    best = best_completion(flows, entering, share > 0, stop=False)
    cap = MAX_EXPANDED
    paths, truncated = largest_paths(flows, lot, entering, best, stop=False, limit=limit, cap=cap)
    if truncated:
        warn_cut_short("explain", paths, limit, cap=cap, stacklevel=4)
    return Explanation(paths, truncated=truncated)


def warn_cut_short(
    subject: str, paths: tuple[Path, ...], limit: int, *, cap: int, stacklevel: int
) -> None:
    """Warn (`IncompleteResultWarning`) that `subject`'s search for `limit` paths stopped
    on its `cap` with only `paths` found.
    """
    msg = (
        f"{subject} examined {cap:,} partial paths, the cap on one search for "
        f"paths, and found {len(paths)} of the {limit} paths asked for: those found are the "
        f"largest paths (largest first), carrying {sum(p.carats for p in paths):.6g} ct, but "
        "the rest were not searched, so their carats do not add up to the lot's share of "
        "the origin. Ask for fewer paths (limit=); origin_shares gives the whole share."
    )
    warnings.warn(msg, IncompleteResultWarning, stacklevel=stacklevel)


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
) -> Explanation:
    """Return the `limit` largest paths that carry carats of `origin` into `lot`, largest
    first.

    A path starts at a lot where carats of `origin` entered the graph (a production lot
    of that origin; for ``"unknown"``, a lot holding carats of no documented source) and
    follows flows to `lot`; its carats are the lot's carats it carries from there. Under
    mass balance, the carats of all paths add up to the lot's carats times its share from
    `origin` (`origin_shares`), unless more than `limit` paths exist.

    The paths are found best first (an A* search backwards from `lot`, the same search
    that finds the paths of an audit's findings), so the largest come out first whatever
    the number of paths, each after about as many steps as it has flows. Paths whose
    carats differ by less than about one part in 10**9 count as equal and may come out in
    either order. A path's fraction of the lot is carried with its own exponent, so paths
    through thousands of splits are still found and ordered; carats too few for float64
    (below about 1e-308) are given as 0.0. As a safeguard, the search examines at most
    1,000,000 partial paths; if it stops there (only on lattices of very many near-equal
    paths), it returns the paths found so far, which are the largest, says so
    (``paths.truncated``) and warns with `kpmodel.errors.IncompleteResultWarning`, naming
    the cap.

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
    Explanation
        A tuple of `Path`, largest first; empty when `lot` holds no carats of `origin`.
        Besides the paths, ``truncated`` says whether the search was cut short and
        ``carats`` gives the carats the paths carry.

    Raises
    ------
    kpmodel.errors.InvalidArgumentError
        If `lot` names no lot of the graph (as for `ProvenanceGraph.remaining`), if
        `origin` is not a str, or not a label of the graph under `by` (no production lot
        has it: a lower-case code, a zone label such as ``"CF/Nola"`` under
        ``by="country"``, a code no lot was mined in; the message lists the labels), or
        if `limit` is not a positive integer.

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

    .. versionchanged:: 0.2
       A `lot` that names no lot of the graph raises `kpmodel.errors.InvalidArgumentError`
       (a bad argument, as for ``origin_shares(lots=...)``), no longer
       `kpmodel.errors.InvalidGraphError`: catch the first, or
       `kpmodel.errors.KPModelError` for both.
    """
    require_graph(graph)
    count = positive_limit(limit)
    position = graph._positions([lot])[0]
    entering, share = entry_column(graph, origin, by=by)
    if share[position] <= 0:
        return Explanation()
    return paths_into(graph, int(position), entering, share, limit=count)


def positive_limit(limit: object) -> int:
    """Return `limit` as an int (numpy integers too), refusing bools and numbers < 1."""
    try:
        count = operator.index(cast(Any, limit))
    except TypeError:
        count = 0
    if isinstance(limit, bool | np.bool_) or count < 1:
        msg = f"limit must be a positive int; got {show(limit)}."
        raise InvalidArgumentError(msg)
    return count
