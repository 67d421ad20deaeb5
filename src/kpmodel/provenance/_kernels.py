"""Compiled walks over a provenance graph's flows (numba), for questions about a few lots.

Vectorised numpy passes cost in proportion to the arrays they touch; a question about a
hundred lots of a million-lot graph touches a few of each array's entries at random, where
a compiled loop pays per entry touched. The functions here are compiled on first use and
cached on disk (``cache=True``), and release the GIL (``nogil=True``) so that callers can
split work across threads. A flow always comes from a lower topological level than the
lot it flows into, so a walk that takes a lot's ancestors a level at a time, from the lot's
level down, takes each ancestor after every lot of the ancestry drawing on it.

The arrays are a graph's columns (`kpmodel.provenance._shares.walk_inputs`): ``indptr``
the CSR row pointer of the flows by receiving lot, ``source`` and ``amount`` each flow's
input lot and carats, ``carats`` each lot's carats, ``code`` each lot's origin column (-1
unless a production lot), ``unknown`` the fraction of each lot's carats with no documented
source, ``level`` each lot's topological level and ``level_start`` where each level's
queue starts in a queue of one entry per lot.
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
    lots: tuple[Any, Any, Any, Any, Any],
    out: Any,
    scratch: tuple[Any, Any, Any, Any],
    first: int,
    ratio: float,
) -> bool:
    """Add the mass-balance shares of lots `asked` to rows `rows` of `out`.

    Under mass balance a lot's shares are the weights of its ancestors' own entries
    (production origin, unknown remainder): with x the weight of each ancestor in the lot
    (x = e + x W, W the flows' carats over the receiving lot's carats), the lot's row is
    x P. Per lot asked, one walk up the flows takes its ancestors a topological level at
    a time, from the lot's level down: a flow always comes from a lower level, so every
    lot drawing on an ancestor has passed its weight on before the ancestor is taken.
    Each ancestor adds its own entries to the row and passes its weight on to its inputs,
    queueing those not yet reached in their level's queue. The cost grows with the flows
    of the lot's ancestry, not with the graph.

    `flows` is (indptr, source, carats); `lots` is (carats, code, unknown, level,
    level_start), level_start[v] being where level v's queue starts in `queue` (the
    lots at levels below v: a level's ancestors are at most its lots). `scratch` is
    (marks, queue, filled, counts): marks is (lots x 2), a lot's walk stamp and weight,
    all zero before the first call and left so after each except the stamps (lot j of a
    call stamps what its walk reaches with first + j + 1, so that they need no reset; 0
    is a lot no walk has reached); queue has one entry per lot (anything), filled one
    per level (zero); counts (the flows walked, and the flows into the lots reached)
    add up across calls.

    Returns False, leaving the rows incomplete, once the flows walked pass `ratio` times
    the flows into the lots reached (where solving those lots another way would cost less).
    """
    indptr, source, amount = flows
    carats, code, unknown, level, level_start = lots
    marks, queue, filled, counts = scratch
    unknown_column = out.shape[1] - 1
    walked, reached = counts[0], counts[1]
    for j in range(asked.size):
        lot, row, mark = asked[j], rows[j], float(first + j + 1)
        if marks[lot, 0] == 0.0:
            reached += indptr[lot + 1] - indptr[lot]
        marks[lot, 0] = mark
        marks[lot, 1] = 1.0
        top = level[lot]
        queue[level_start[top]] = lot
        filled[top] = 1
        for at in range(top, -1, -1):
            start = level_start[at]
            for i in range(start, start + filled[at]):
                here = queue[i]
                share = marks[here, 1]
                marks[here, 1] = 0.0
                if code[here] >= 0:
                    out[row, code[here]] += share
                if unknown[here] > 0.0:
                    out[row, unknown_column] += share * unknown[here]
                walked += indptr[here + 1] - indptr[here]
                for flow in range(indptr[here], indptr[here + 1]):
                    parent = source[flow]
                    if marks[parent, 0] != mark:
                        if marks[parent, 0] == 0.0:
                            reached += indptr[parent + 1] - indptr[parent]
                        marks[parent, 0] = mark
                        below = level[parent]
                        queue[level_start[below] + filled[below]] = parent
                        filled[below] += 1
                    marks[parent, 1] += share * (amount[flow] / carats[here])
            filled[at] = 0
        if walked > ratio * reached:
            counts[0], counts[1] = walked, reached
            return False
    counts[0], counts[1] = walked, reached
    return True
