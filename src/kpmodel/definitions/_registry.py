"""Look definitions up by name: the built-ins, then third-party entry points."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from kpmodel.definitions._catalogue import BUILTINS
from kpmodel.errors import UnknownCodeError

#: The entry-point group third-party packages use to register definitions.
ENTRY_POINT_GROUP = "kpmodel.definitions"


def _plugins() -> dict[str, Any]:
    found = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in BUILTINS:
            found[ep.name] = ep
    return found


def available() -> list[str]:
    """Return the names of every definition `get` can return, built-ins first.

    Third-party packages add definitions through the entry-point group
    ``kpmodel.definitions``; an entry point whose name is a built-in's is ignored (built-ins
    cannot be shadowed).

    Examples
    --------
    >>> kp.definitions.available()[:3]
    ['KPCS_2003', 'US_CHAIR_2012', 'CANADA_WDC_CSC_2018']

    .. versionadded:: 0.1
    """
    return [*BUILTINS, *sorted(_plugins())]


def get(name: str) -> Any:
    """Return the definition called `name`: a built-in, or a registered third-party one.

    A package registers a definition in its ``pyproject.toml``::

        [project.entry-points."kpmodel.definitions"]
        MY_TEXT_2026 = "mypackage.definitions:MY_TEXT_2026"

    Raises
    ------
    kpmodel.errors.UnknownCodeError
        If no definition has that name (the message lists the available ones).

    Examples
    --------
    >>> kp.definitions.get("KPCS_2003") is kp.definitions.KPCS_2003
    True

    .. versionadded:: 0.1
    """
    if name in BUILTINS:
        return BUILTINS[name]
    plugin = _plugins().get(name)
    if plugin is None:
        msg = (
            f"no conflict-diamond definition is called {name!r}; available: {available()!r}. "
            f"Third-party definitions register through the entry-point group "
            f"{ENTRY_POINT_GROUP!r}."
        )
        raise UnknownCodeError(msg)
    return plugin.load()
