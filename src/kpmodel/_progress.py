"""One progress convention for every long call (sweeps, runs, audits).

Long calls take ``progress: bool | None = None``. True shows a bar, False never does, None
(the default) shows one only where someone is watching: in a Jupyter kernel or when standard
error is a terminal, never in a pipe, a log file or CI, and only once the work has lasted
a second, so short calls stay silent. Bars come from ``tqdm.auto``: a widget in notebooks
(with ``ipywidgets``, the ``notebook`` extra), text on terminals. Without ``ipywidgets``
bars are tqdm's text bars everywhere, notebooks included, with no warning (``tqdm.auto``
would warn "IProgress not found" in a notebook, then draw the same text bar). The
``kpmodel`` command uses the same bars (`track`), so there is one progress convention,
not two.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable, Iterator, Sized
from typing import Any, TypeVar

from kpmodel.errors import InvalidArgumentError

T = TypeVar("T")


def interactive() -> bool:
    """Return True in a Jupyter kernel or when standard error is a terminal."""
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython is not None else None
    if shell is not None and "IPKernelApp" in getattr(shell, "config", {}):
        return True
    stream = sys.stderr
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


def progress_bar(
    total: int | None, *, enabled: bool | None, initial: int = 0, **options: Any
) -> Any:
    """Return a ``tqdm.auto`` bar, or None when no bar is wanted.

    `enabled` is the ``progress=`` argument of the calling function (see the module).
    """
    given: object = enabled  # checked at run time: callers may pass anything
    if given is not None and not isinstance(given, bool):
        msg = f"progress must be True, False or None, got {given!r}"
        raise InvalidArgumentError(msg)
    if enabled is False or (enabled is None and not interactive()):
        return None
    return bar_class()(total=total, initial=initial, delay=0 if enabled else 1.0, **options)


def bar_class() -> Any:
    """Return the class of the bars: ``tqdm.auto``'s, or tqdm's text bar without ipywidgets.

    Imported when a bar is first shown. ``ipywidgets`` is looked up, not imported (on a
    terminal ``tqdm.auto`` never imports it).
    """
    try:
        widgets = importlib.util.find_spec("ipywidgets")
    except (ImportError, ValueError):  # a finder that refuses it, or a half-imported module
        widgets = None
    if widgets is None:
        from tqdm.std import tqdm  # type: ignore[import-untyped]

        return tqdm
    from tqdm.auto import tqdm as auto  # type: ignore[import-untyped]

    return auto


def track(
    values: Iterable[T],
    *,
    enabled: bool | None,
    total: int | None = None,
    **options: Any,
) -> Iterator[T]:
    """Yield `values`, advancing a progress bar (see `progress_bar`) when one is wanted."""
    if total is None and isinstance(values, Sized):
        total = len(values)
    bar = progress_bar(total, enabled=enabled, **options)
    if bar is None:
        yield from values
        return
    try:
        for value in values:
            yield value
            bar.update(1)
    finally:
        bar.close()
