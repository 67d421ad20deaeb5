"""Compiled walks over a provenance graph's flows (numba), for questions about a few lots.

Vectorised numpy passes cost in proportion to the arrays they touch; a question about a
hundred lots of a million-lot graph touches a few of each array's entries at random, where
a compiled loop pays per entry touched. The functions here are compiled on first use and
cached on disk (``cache=True``), and release the GIL (``nogil=True``) so that callers can
split work across threads. Graphs are stored parents first: a flow's source always sits at
a lower position than its target, so descending positions are a reverse topological order.

The arrays are a graph's columns: ``indptr`` the CSR row pointer of the flows by receiving
lot (`kpmodel.provenance._shares.flow_index`), ``source`` and ``amount`` each flow's input
lot and carats, ``carats`` each lot's carats, ``code`` each lot's origin column (-1 unless
a production lot) and ``unknown`` the fraction of each lot's carats with no documented
source (`kpmodel.provenance._shares.unknown_fraction`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba

__all__ = ["backward_shares", "jit_disabled"]


def jit_disabled() -> bool:
    """Whether numba runs functions as plain Python (``NUMBA_DISABLE_JIT=1``)."""
    return bool(getattr(numba.config, "DISABLE_JIT", False))


def compiled(function: Callable[..., Any]) -> Any:
    """Compile `function` with numba, releasing the GIL, cached on disk where possible.

    numba refuses ``cache=True`` (a RuntimeError when the function is decorated) when
    neither the package's ``__pycache__`` nor a user cache directory is writable, as in
    some read-only installs: the function is then compiled in each process instead.
    """
    try:
        return numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:
        return numba.njit(nogil=True)(function)


@compiled
def backward_shares(
    asked: Any,
    rows: Any,
    flows: tuple[Any, Any, Any],
    lots: tuple[Any, Any, Any],
    out: Any,
    scratch: tuple[Any, Any, Any, Any, Any],
    first: int,
    ratio: float,
) -> bool:
    """Add the mass-balance shares of lots `asked` to rows `rows` of `out`.

    Under mass balance a lot's shares are the weights of its ancestors' own entries
    (production origin, unknown remainder): with x the weight of each ancestor in the lot
    (x = e + x W, W the flows' carats over the receiving lot's carats), the lot's row is
    x P. Per lot asked, a walk up the flows collects its ancestry and counts, for each
    ancestor, the flows out of it within the ancestry; a second walk then takes each
    ancestor once every lot drawing on it has passed its weight on (children before
    parents), passes the ancestor's weight on to its inputs and adds its own entries to
    the row. The cost grows with the flows of the lot's ancestry, not with the graph.

    `flows` is (indptr, source, carats), `lots` is (carats, code, unknown). `scratch` is
    (weight, stamp, waiting, queue, counts): one entry per lot, all zero before the first
    call (the queue anything) and left so after each, except `stamp` (lot j of a call
    marks the lots its walk reaches with first + j + 1, so that it needs no reset, and a
    lot no walk has reached is 0) and `counts` (the flows walked, and the flows out of
    the lots reached), which add up across calls.

    Returns False, leaving the rows incomplete, once the flows walked pass `ratio` times
    the flows out of the lots reached (where solving those lots forwards would cost less).
    """
    indptr, source, amount = flows
    carats, code, unknown = lots
    weight, stamp, waiting, queue, counts = scratch
    unknown_column = out.shape[1] - 1
    walked, reached = counts[0], counts[1]
    for j in range(asked.size):
        lot, row, mark = asked[j], rows[j], first + j + 1
        # The ancestry, counting the flows out of each ancestor within it.
        if stamp[lot] == 0:
            reached += indptr[lot + 1] - indptr[lot]
        stamp[lot] = mark
        queue[0] = lot
        head, tail = 0, 1
        while head < tail:
            here = queue[head]
            head += 1
            walked += indptr[here + 1] - indptr[here]
            for flow in range(indptr[here], indptr[here + 1]):
                parent = source[flow]
                if stamp[parent] != mark:
                    if stamp[parent] == 0:
                        reached += indptr[parent + 1] - indptr[parent]
                    stamp[parent] = mark
                    queue[tail] = parent
                    tail += 1
                waiting[parent] += 1
        # The weights passed up, a lot taken once every lot drawing on it has passed its
        # weight on (a topological order of the ancestry, children first).
        weight[lot] = 1.0
        queue[0] = lot
        head, tail = 0, 1
        while head < tail:
            here = queue[head]
            head += 1
            share = weight[here]
            weight[here] = 0.0
            if code[here] >= 0:
                out[row, code[here]] += share
            if unknown[here] > 0.0:
                out[row, unknown_column] += share * unknown[here]
            for flow in range(indptr[here], indptr[here + 1]):
                parent = source[flow]
                weight[parent] += share * (amount[flow] / carats[here])
                waiting[parent] -= 1
                if waiting[parent] == 0:
                    queue[tail] = parent
                    tail += 1
        if walked > ratio * reached:
            counts[0], counts[1] = walked, reached
            return False
    counts[0], counts[1] = walked, reached
    return True
