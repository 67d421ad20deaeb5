"""One plotting convention for every ``plot_*`` function (needs the ``plot`` extra).

``plot_x(obj, ..., *, ax=None) -> Axes``: with an `ax`, draw there; without, draw on a new
pyplot figure, so Jupyter shows it exactly once and ``plt.show()`` works in scripts. The
library never calls ``matplotlib.use``: reports draw inside `detached`, where new figures
are plain `matplotlib.figure.Figure` objects on their own Agg canvas, unknown to pyplot and
to the user's backend. Strings taken from data go through `plain`, so a ``$`` in a zone
name or a certificate number is shown as it is, never parsed as mathtext.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

_DETACHED: contextvars.ContextVar[bool] = contextvars.ContextVar("detached", default=False)

_TEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
}


def _matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - depends on the environment
        msg = "kpmodel figures need matplotlib: pip install 'kpmodel[plot]'"
        raise ImportError(msg) from exc
    return matplotlib


def new_axes(ax: Any, size: tuple[float, float]) -> Any:
    """Return `ax`, or the axes of a new figure of `size` inches when `ax` is None.

    The new figure is a pyplot figure, except inside `detached`.
    """
    if ax is not None:
        return ax
    _matplotlib()
    if _DETACHED.get():
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        figure = Figure(figsize=size, layout="constrained")
        FigureCanvasAgg(figure)
    else:
        import matplotlib.pyplot as plt

        figure = plt.figure(figsize=size, layout="constrained")
    return figure.add_subplot()


@contextlib.contextmanager
def detached() -> Iterator[None]:
    """Make `new_axes` draw on figures pyplot does not know (for files, not for screens)."""
    token = _DETACHED.set(True)
    try:
        yield
    finally:
        _DETACHED.reset(token)


def plain(value: object) -> str:
    """Return `value` as text matplotlib shows literally (no mathtext, no TeX markup)."""
    shown = str(value)
    params = _matplotlib().rcParams
    if params["text.usetex"]:
        return "".join(_TEX_SPECIALS.get(c, c) for c in shown)
    if params["text.parse_math"]:
        return shown.replace("$", r"\$")
    return shown
