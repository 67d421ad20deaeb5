"""Checks of the public strategies' arguments, made when a strategy is made.

A strategy written as a Hypothesis composite reads its arguments only when a test draws from
it, so an odd argument fails inside the user's test, often with a raw error. The public
strategies therefore check their arguments with these helpers first, then return the
composite.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, NoReturn

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from kpmodel._boundary import participant_code, show
from kpmodel.errors import InvalidArgumentError
from kpmodel.participants import Register
from kpmodel.rules import default_register

__all__ = ["InvalidStrategyArgumentError"]


class InvalidStrategyArgumentError(InvalidArgumentError, InvalidArgument):
    """A strategy was made with an argument it cannot use.

    It is both a `kpmodel.errors.InvalidArgumentError` (kpmodel's error for a bad option)
    and a ``hypothesis.errors.InvalidArgument`` (Hypothesis' error for a strategy's bad
    arguments, a TypeError), so either ``except`` catches it. The strategies with
    arguments (`registers`, `provenance_graphs`, `provenance_frames`, `scenarios`,
    `definitions`, `ledgers`, `ledger_tables`, `statistics_frames`, `statistics_tables`)
    raise it when they are made, not when a test draws from them; before, some raised
    ``hypothesis.errors.InvalidArgument`` or ValueError, which it still is. So do the
    strategies that take a register, another strategy or a document to corrupt
    (`certificates`, `shipments`, `parties`, `hostile_json`, ...).

    Examples
    --------
    >>> from hypothesis.errors import InvalidArgument
    >>> from kpmodel.testing.strategies import InvalidStrategyArgumentError, registers
    >>> try:
    ...     registers(max_events=-1)
    ... except InvalidArgument as error:
    ...     print(isinstance(error, kp.errors.InvalidArgumentError))
    True
    >>> issubclass(InvalidStrategyArgumentError, TypeError)
    True
    """

    # Shown, and pickled, under the public module that exports it.
    __module__ = "kpmodel.testing.strategies"


def refuse(strategy: str, name: str, problem: str) -> NoReturn:
    """Raise `InvalidStrategyArgumentError` for argument `name` of `strategy`."""
    raise InvalidStrategyArgumentError(f"{strategy}({name}=...): {problem}.")


def whole(
    strategy: str, name: str, value: object, *, low: int, high: int | None, why: str = ""
) -> int:
    """Return `value` as an int from `low` to `high` (None: no upper bound), else refuse.

    NumPy's integers are ints; bools are not (``True`` is no count anyone means). `why`
    says why the bounds are what they are.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or int(value) < low
        or (high is not None and int(value) > high)
    ):
        bounds = f"an int of at least {low}" if high is None else f"an int from {low} to {high:,}"
        refuse(strategy, name, f"must be {bounds}{why}, got {show(value)}")
    return int(value)


def size_bounds(
    strategy: str,
    names: tuple[str, str],
    values: tuple[object, object],
    *,
    low: int,
    high: int | None = None,
    why: str = "",
) -> tuple[int, int]:
    """Return ``(min, max)``, each checked by `whole`, with the first not above the second."""
    least, most = (
        whole(strategy, name, value, low=low, high=high, why=why)
        for name, value in zip(names, values, strict=True)
    )
    if least > most:
        refuse(strategy, names[0], f"{least} is above {names[1]}={most}; swap them")
    return least, most


def drawable_bounds(
    strategy: str,
    names: tuple[str, str],
    values: tuple[object, object],
    *,
    min_high: int,
    high: int,
    what: str,
) -> tuple[int, int]:
    """Return ``(min, max)`` as `size_bounds` does, with the minimum at most `min_high`.

    Every example must hold the minimum, so above `min_high` Hypothesis' health check fails
    the test; the maximum only bounds what is drawn from the examples that fit, so `high`
    can be far larger. `what` names what is drawn (``"graphs"``).
    """
    why = " (larger minimums fail Hypothesis' health check: too large a smallest example)"
    whole(strategy, names[0], values[0], low=0, high=min_high, why=why)
    why = f" (drawn {what} stay far smaller: larger ones do not fit in a Hypothesis example)"
    return size_bounds(strategy, names, values, low=0, high=high, why=why)


def flag(strategy: str, name: str, value: object) -> bool:
    """Return `value` if it is True or False, else refuse (a text such as "no" is truthy)."""
    if not isinstance(value, bool):
        refuse(strategy, name, f"must be True or False, got {show(value)}")
    return value


def sequence(strategy: str, name: str, value: object, what: str) -> list[Any]:
    """Return `value` as a list if it is a sequence (not a text), else refuse."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        refuse(
            strategy,
            name,
            f"must be a sequence of {what} such as a tuple (a text is not: each character "
            f"would be one), got {show(value)}",
        )
    return list(value)


def codes(strategy: str, name: str, value: object, *, distinct: bool) -> list[str]:
    """Return `value` as a list of participant codes (``"BW"``, ``"EU"``), else refuse."""
    found = sequence(strategy, name, value, "participant codes ('BW')")
    for i, code in enumerate(found):
        try:
            participant_code(code, path=f"{name}[{i}]", error=InvalidArgumentError)
        except InvalidArgumentError as error:
            refuse(strategy, name, str(error))
    twice = sorted({code for code in found if found.count(code) > 1})
    if distinct and twice:
        refuse(strategy, name, f"codes must be distinct, got {twice!r} more than once")
    return found


def strategy_or_none(strategy: str, name: str, value: object) -> Any:
    """Return `value` if it is a Hypothesis strategy or None, else refuse."""
    if value is not None and not isinstance(value, st.SearchStrategy):
        refuse(
            strategy,
            name,
            f"must be a Hypothesis strategy (such as st.just(...) or st.sampled_from(...)) or"
            f" None, got {show(value)}",
        )
    return value


def text_or_none(strategy: str, name: str, value: object) -> str | None:
    """Return `value` if it is a text or None, else refuse."""
    if value is not None and not isinstance(value, str):
        refuse(strategy, name, f"must be a text (str) or None, got {show(value)}")
    return value


def register_or_default(strategy: str, value: object) -> Register:
    """Return `value` if it is a `Register`, the shipped register for None, else refuse."""
    if value is None:
        shipped: Register = default_register()
        return shipped
    if not isinstance(value, Register):
        refuse(
            strategy,
            "register",
            "must be a kpmodel.participants.Register (such as"
            f" kp.participants.Register.default()) or None for the shipped one, got {show(value)}",
        )
    return value
