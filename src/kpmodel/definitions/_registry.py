"""Look definitions up by name: the built-ins, then third-party entry points."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from kpmodel.definitions._catalogue import BUILTINS
from kpmodel.errors import PluginError, UnknownCodeError

#: The entry-point group third-party packages use to register definitions.
ENTRY_POINT_GROUP = "kpmodel.definitions"

# Definitions loaded from entry points, with the entry point each came from (kept alive, so
# that identity is a safe key), for error messages that name the plug-in.
_LOADED: list[tuple[Any, str]] = []


def _describe_entry_point(ep: Any) -> str:
    dist = getattr(getattr(ep, "dist", None), "name", None)
    package = f" of package {dist!r}" if dist else ""
    value = getattr(ep, "value", "?")
    return f"entry point '{ep.name} = {value}'{package} (group {ENTRY_POINT_GROUP!r})"


def describe(definition: Any) -> str:
    """Name a definition for an error message: its plug-in's entry point, or its code."""
    for loaded, where in _LOADED:
        if loaded is definition:
            return f"definition plug-in from {where}"
    name = getattr(definition, "name", None) or getattr(definition, "__name__", None)
    module = getattr(definition, "__module__", None) or type(definition).__module__
    qualname = getattr(definition, "__qualname__", None) or type(definition).__qualname__
    label = f"{name!r}" if isinstance(name, str) and name else repr(definition)
    return f"definition {label} (the user's callable {module}.{qualname})"


def is_builtin(definition: Any) -> bool:
    """Whether `definition` is one of kpmodel's built-in definitions."""
    return any(definition is builtin for builtin in BUILTINS.values())


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
    return _load(plugin)


def _load(plugin: Any) -> Any:
    """Load an entry point; report its failure as the plug-in's, naming the entry point."""
    where = _describe_entry_point(plugin)
    try:
        loaded = plugin.load()
    except Exception as exc:  # the plug-in's code ran and failed: report it as the plug-in's
        msg = (
            f"the definition plug-in {plugin.name!r} failed to load: {where} raised "
            f"{type(exc).__name__}: {exc}. Fix or uninstall the package that provides it"
        )
        raise PluginError(msg) from exc
    if not callable(loaded):
        msg = (
            f"the definition plug-in {plugin.name!r} is not usable: {where} gives "
            f"{loaded!r} (type {type(loaded).__name__}), which is not callable as "
            "definition(situation, on=...). Fix or uninstall the package that provides it"
        )
        raise PluginError(msg)
    if not any(known is loaded for known, _ in _LOADED):
        _LOADED.append((loaded, where))
    return loaded
