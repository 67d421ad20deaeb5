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
    ├── SizeLimitError (MemoryError)         # work refused up front: it would need too much memory
    ├── PluginError (RuntimeError)           # a plug-in (user definition, entry point) failed
    ├── SweepError (RuntimeError)            # runs of a sweep failed; the others were kept
    └── ConformanceError (AssertionError)    # a plug-in breaks its contract (kpmodel.testing)

Warnings::

    KPModelWarning (UserWarning)
    └── IncompleteResultWarning              # a result was cut short; what it holds is right

.. versionadded:: 0.1
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

from kpmodel._output import display_path

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ConformanceError",
    "IncompleteResultWarning",
    "InvalidArgumentError",
    "InvalidGraphError",
    "InvalidRecordError",
    "KPModelError",
    "KPModelWarning",
    "LoadError",
    "PluginError",
    "Problem",
    "SizeLimitError",
    "SweepError",
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
        # a file name that is not UTF-8 is shown with backslash escapes, printable anywhere
        source = display_path(source) if source else source
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


class SizeLimitError(KPModelError, MemoryError):
    """Work refused before it started: it would need more memory than the limit allows.

    Scenarios run, sweeps, statistics tables and provenance computations estimate the memory
    they need from their input before allocating it. Above the limit they raise this error,
    with the estimate and what to change. The limit is the ``max_memory=`` keyword of the
    function called (where it has one), else the environment variable ``KPMODEL_MAX_MEMORY``,
    else 60% of the machine's memory; a limit is a number of bytes or a size such as
    ``"16 GiB"``, and ``"none"`` turns the guard off. `estimate` and `limit` hold the bytes.

    Examples
    --------
    >>> scenario = kp.simulation.builtin("congo-brazzaville-2004")
    >>> kp.simulation.run(scenario, seed=1, max_memory="1 KiB")
    Traceback (most recent call last):
    ...
    kpmodel.errors.SizeLimitError: running scenario 'congo-brazzaville-2004' ...

    .. versionadded:: 0.2
    """

    def __init__(self, message: str, *, estimate: float = math.nan, limit: int = 0) -> None:
        self.estimate = estimate
        self.limit = limit
        super().__init__(message)


class PluginError(KPModelError, RuntimeError):
    """A plug-in failed: a user's definition or an entry point raised or is not usable.

    The message names the plug-in (its entry point, ``name = module:object``, or the
    callable) and what it did; the plug-in's own exception is the ``__cause__``. Fix or
    remove the plug-in; kpmodel itself is not at fault.

    Examples
    --------
    >>> def broken(situation, *, on=None):
    ...     raise RuntimeError("boom")
    >>> kp.compare([broken], kp.definitions.CaseBook.default())
    Traceback (most recent call last):
    ...
    kpmodel.errors.PluginError: definition 'broken' (...) raised RuntimeError: boom...

    .. versionadded:: 0.2
    """


class SweepError(KPModelError, RuntimeError):
    """Some runs of a sweep raised; every other run finished and was kept.

    A sweep does not stop at a failed run: it runs the rest, records each failure (in the
    checkpoint directory too, as ``failed-NNNNNN.json``), then raises this error. `failures`
    is a table with one row per failed run (``run_id, seed``, the run's lever and input
    values, and ``error``); `table` holds the metrics of the runs that finished, as `sweep`
    would have returned them. A checkpointed sweep started again retries only the failed runs.

    Examples
    --------
    >>> import pandas as pd
    >>> failures = pd.DataFrame({"run_id": [3], "seed": [1], "error": ["ValueError: boom"]})
    >>> error = kp.errors.SweepError(failures, table=pd.DataFrame())
    >>> print(error)
    1 of the sweep's runs failed (the others finished and were kept):
      run 3 (seed 1): ValueError: boom

    .. versionadded:: 0.2
    """

    #: Failed runs listed in the message before "... and N more".
    SHOWN = 5

    def __init__(self, failures: pd.DataFrame, *, table: pd.DataFrame | None = None) -> None:
        self.failures = failures
        self.table = table
        lines = []
        values = [c for c in failures.columns if c not in ("run_id", "seed", "error")]
        for record in failures.head(self.SHOWN).to_dict("records"):
            settings = "".join(f", {name}={record[name]!r}" for name in values)
            lines.append(f"  run {record['run_id']} (seed {record['seed']}{settings}): "
                         f"{record['error']}")  # fmt: skip
        if len(failures) > self.SHOWN:
            lines.append(f"  ... and {len(failures) - self.SHOWN} more")
        count = len(failures)
        head = (
            f"{count} of the sweep's runs failed (the others finished and were kept):"
            if count != 1
            else "1 of the sweep's runs failed (the others finished and were kept):"
        )
        super().__init__("\n".join([head, *lines]))

    def __reduce__(self) -> tuple[object, ...]:
        # picklable (a sweep inside a worker may raise it): rebuilt from the failures
        return (type(self), (self.failures,), {"table": self.table})


class KPModelWarning(UserWarning):
    """Root of every warning kpmodel emits on purpose.

    Filter it to silence (or turn into errors) anything kpmodel warns about.

    Examples
    --------
    >>> issubclass(kp.errors.IncompleteResultWarning, kp.errors.KPModelWarning)
    True

    .. versionadded:: 0.2
    """


class IncompleteResultWarning(KPModelWarning):
    """A result was cut short; what it holds is right but partial.

    Emitted when a safeguard on work stops a search: `kpmodel.provenance.explain`, or the
    paths of an audit's finding (``finding.paths.truncated``), when the one search for the
    largest paths stops on its cap in a lattice of very many near-equal paths (the paths
    returned are the largest, but fewer than asked for). Emitted too when the inputs
    answer only part of the question: `kpmodel.provenance.audit` judges shipments dated
    before its register's first date for smuggled carats only. The message says what is
    missing and what to change.

    Examples
    --------
    >>> import warnings
    >>> g = kp.ProvenanceGraph()
    >>> mine = g.produce(country="BW", carats=1, on="2020-01-01")
    >>> with warnings.catch_warnings():  # an error, not a warning, if a result is partial
    ...     warnings.simplefilter("error", kp.errors.IncompleteResultWarning)
    ...     kp.provenance.explain(g, mine, "BW")
    (Path(lots=(0,), flows=(), carats=1.0),)

    .. versionadded:: 0.2
    """
