"""One progress convention for every long call (sweeps, runs, audits).

Long calls take ``progress: bool | None = None``. True shows a bar, False never does, None
(the default) shows one only where someone is watching: in a Jupyter kernel or when standard
error is a terminal, never in a pipe, a log file or CI, and only once the work has lasted
a second, so short calls stay silent. Bars come from ``tqdm.auto``: a widget in notebooks
(with ``ipywidgets``, the ``notebook`` extra), text on terminals. The ``kpmodel`` command
uses the same bars (`track`), so there is one progress convention, not two.
"""

from __future__ import annotations

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
    from tqdm.auto import tqdm  # type: ignore[import-untyped]  # imported when a bar is shown

    return tqdm(total=total, initial=initial, delay=0 if enabled else 1.0, **options)


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
