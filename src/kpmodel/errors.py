"""Exceptions raised by kpmodel.

Every exception kpmodel raises on purpose derives from `KPModelError`, and each subclass
also derives from the builtin it imitates, so callers can catch either. Messages name the
field path, say what was expected and what was got, and what to do.

Hierarchy::

    KPModelError
    ├── InvalidRecordError (ValueError)      # a record field breaks its own constraints
    ├── LoadError (ValueError)               # a file or text cannot be loaded; lists every problem
    ├── UnknownCodeError (LookupError)       # a country, participant or HS code is not known
    ├── InvalidArgumentError (TypeError, ValueError)  # a function was called with a bad option
    ├── InvalidGraphError (ValueError)       # a provenance graph would break an invariant
    └── ConformanceError (AssertionError)    # a plug-in breaks its contract (kpmodel.testing)

.. versionadded:: 0.1
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

__all__ = [
    "ConformanceError",
    "InvalidArgumentError",
    "InvalidGraphError",
    "InvalidRecordError",
    "KPModelError",
    "LoadError",
    "Problem",
    "UnknownCodeError",
]


def _printable(message: str) -> str:
    # Input may hold lone surrogates (half characters); a message must always print.
    return message.encode("utf-8", "backslashreplace").decode("utf-8")


class KPModelError(Exception):
    """Root of every error kpmodel raises on purpose.

    Catch it to handle anything kpmodel reports about your input.

    Examples
    --------
    >>> issubclass(kp.errors.LoadError, kp.errors.KPModelError)
    True

    .. versionadded:: 0.1
    """


class InvalidRecordError(KPModelError, ValueError):
    """A record (certificate, parcel, participant, ...) was constructed with an invalid field.

    Raised by the attrs validators of the records, so an invalid record never exists.
    The attribute `path` names the field.

    Examples
    --------
    >>> err = kp.errors.InvalidRecordError("must be greater than 0, got '-1'", path="carats")
    >>> str(err)
    "carats: must be greater than 0, got '-1'"

    .. versionadded:: 0.1
    """

    def __init__(self, message: str, *, path: str = "") -> None:
        self.path = path
        super().__init__(_printable(f"{path}: {message}" if path else message))


@attrs.frozen
class Problem:
    """One problem found while loading: where it is and what is wrong.

    Parameters
    ----------
    path : str
        The field path, such as ``"parcels[2].carats"`` or ``"row 4, column 'carats'"``.
    message : str
        What was expected, what was found, and what to do.

    Examples
    --------
    >>> str(kp.errors.Problem("parcels[2].carats", "must be greater than 0, got '-3.5'"))
    "parcels[2].carats: must be greater than 0, got '-3.5'"

    .. versionadded:: 0.1
    """

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class LoadError(KPModelError, ValueError):
    """A file or text could not be loaded; nothing from it was kept.

    Loading is all-or-nothing: every problem found is collected first and reported
    together in `problems`, each with its field path.

    Examples
    --------
    >>> err = kp.errors.LoadError([kp.errors.Problem("issued", "must be an ISO date")])
    >>> print(err)
    1 problem:
      issued: must be an ISO date

    .. versionadded:: 0.1
    """

    def __init__(self, problems: Iterable[Problem], *, source: str = "") -> None:
        self.problems = tuple(problems)
        self.source = source
        where = f" in {source}" if source else ""
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''}{where}:"
        super().__init__(_printable("\n  ".join([head, *(str(p) for p in self.problems)])))


class UnknownCodeError(KPModelError, LookupError):
    """A country, participant, HS or other code is not known.

    Examples
    --------
    >>> raise kp.errors.UnknownCodeError("'XX' is not an ISO 3166-1 alpha-2 code")
    Traceback (most recent call last):
    ...
    kpmodel.errors.UnknownCodeError: 'XX' is not an ISO 3166-1 alpha-2 code

    .. versionadded:: 0.1
    """

    def __str__(self) -> str:
        # LookupError inherits KeyError-like repr quoting only for KeyError; keep plain text.
        return str(self.args[0]) if self.args else ""


class InvalidArgumentError(KPModelError, TypeError, ValueError):
    """A public function was called with an option it cannot use.

    Examples
    --------
    >>> issubclass(kp.errors.InvalidArgumentError, TypeError)
    True

    .. versionadded:: 0.1
    """


class InvalidGraphError(KPModelError, ValueError):
    """A provenance graph would break one of its invariants; the graph was left unchanged.

    Examples
    --------
    >>> issubclass(kp.errors.InvalidGraphError, ValueError)
    True

    .. versionadded:: 0.1
    """


class ConformanceError(KPModelError, AssertionError):
    """A plug-in (such as a third-party definition) breaks the contract kpmodel relies on.

    Raised by the conformance checks in `kpmodel.testing`, such as
    `kpmodel.testing.check_definition`.

    Examples
    --------
    >>> issubclass(kp.errors.ConformanceError, AssertionError)
    True

    .. versionadded:: 0.1
    """
