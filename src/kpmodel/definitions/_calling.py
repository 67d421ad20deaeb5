"""Calling definitions the way every comparison does: resolve names, check the contract."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from kpmodel._boundary import show
from kpmodel.definitions._definition import Definition, Verdict
from kpmodel.definitions._evidence import Period, Situation
from kpmodel.definitions._registry import describe, get, is_builtin
from kpmodel.errors import InvalidArgumentError, KPModelError, PluginError


def name_of(definition: Any) -> str:
    """Return the name a definition goes by in tables: its `name`, function name, or repr."""
    for attribute in ("name", "__name__"):
        name = getattr(definition, attribute, None)
        if isinstance(name, str) and name and name != "<lambda>":
            return name
    return repr(definition)


def resolve(definition: Any) -> Any:
    """Turn a name into the registered definition; check that anything else is callable."""
    if isinstance(definition, str):
        return get(definition)
    if not callable(definition):
        msg = (
            f"a definition must be callable as definition(situation, on=...) -> Verdict, or a "
            f"registered name; got {show(definition)} (type {type(definition).__name__})"
        )
        raise InvalidArgumentError(msg)
    return definition


def judge(definition: Any, situation: Situation, on: dt.date | Period | None) -> Verdict:
    """Call a definition and check that it kept the contract.

    A user's definition (or a plug-in's) that raises, or returns something else than a
    `Verdict`, is reported as a `PluginError` naming it (its entry point for a plug-in).
    """
    try:
        verdict = definition(situation, on=on)
    except KPModelError:
        raise
    except Exception as exc:
        if is_builtin(definition):
            raise  # a bug in kpmodel: let it show as one
        title = getattr(situation, "title", "") or "a situation"
        msg = (
            f"{describe(definition)} raised {type(exc).__name__}: {exc} (judging {title!r});"
            " the error is in the definition, not in kpmodel: fix it or leave it out"
        )
        raise PluginError(msg) from exc
    if not isinstance(verdict, Verdict):
        msg = (
            f"{describe(definition)} returned {verdict!r}; a definition must return "
            f"a kpmodel.definitions.Verdict"
        )
        raise PluginError(msg)
    return verdict


def resolve_all(definitions: Any) -> list[Any]:
    """Resolve one definition or many (names allowed), dropping repeats by name, in order."""
    items = [definitions] if isinstance(definitions, (str, Definition)) else definitions
    if not isinstance(items, Iterable):
        items = [items]
    unique: dict[str, Any] = {}
    for d in items:
        resolved = resolve(d)
        unique.setdefault(name_of(resolved), resolved)
    if not unique:
        msg = "pass at least one definition"
        raise InvalidArgumentError(msg)
    return list(unique.values())
