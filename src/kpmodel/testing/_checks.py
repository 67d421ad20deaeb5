"""Conformance checks for third-party plug-ins."""

from __future__ import annotations

import datetime as dt
import pickle
from typing import Any

from kpmodel.definitions import CaseBook, Definition, Situation, Verdict
from kpmodel.errors import ConformanceError


def _fail(definition: Any, problem: str) -> ConformanceError:
    return ConformanceError(f"definition {definition!r} does not conform: {problem}")


def _check_one(definition: Any, situation: Situation) -> Verdict:
    before = pickle.dumps(situation)
    verdicts = []
    for on in (None, None, dt.date(2024, 6, 30)):
        try:
            verdict = definition(situation, on=on)
        except Exception as exc:
            msg = f"raised {type(exc).__name__}: {exc} on {situation!r} (on={on!r})"
            raise _fail(definition, msg) from exc
        if not isinstance(verdict, Verdict):
            msg = f"returned {verdict!r} instead of a kpmodel.definitions.Verdict"
            raise _fail(definition, msg)
        verdicts.append(verdict)
    if verdicts[0] != verdicts[1]:
        raise _fail(definition, f"gave two different verdicts on the same {situation!r}")
    if pickle.dumps(situation) != before:
        raise _fail(definition, "changed the situation it judged")
    if isinstance(definition, Definition):
        known = definition.components()
        for r in verdicts[0].reasons:
            if (r.definition, r.clause, r.component) not in known:
                raise _fail(definition, f"gave a reason naming an unknown component: {r}")
    return verdicts[0]


def check_definition(definition: Any, *, max_examples: int = 100, picklable: bool = True) -> None:
    """Check that a conflict-diamond definition keeps the contract plug-ins must keep.

    A definition must: have a non-empty `name` and non-empty `references`; return a
    `kpmodel.definitions.Verdict` for every situation the public strategies generate and for
    the shipped case book, with and without ``on=``; give the same verdict twice; leave the
    situation unchanged; survive pickling with the same verdicts (unless `picklable` is
    false); and, for `Definition` objects, give reasons that name existing components.

    Needs Hypothesis (the ``testing`` extra). Do not call it inside another Hypothesis test.

    Raises
    ------
    kpmodel.errors.ConformanceError
        Naming the first rule broken.

    Examples
    --------
    >>> kp.testing.check_definition(kp.definitions.KPCS_2003, max_examples=10)
    >>> kp.testing.check_definition(lambda situation, on=None: "IN")
    Traceback (most recent call last):
    ...
    kpmodel.errors.ConformanceError: definition <function <lambda> at ...> does not conform: ...

    .. versionadded:: 0.1
    """
    from hypothesis import HealthCheck, given, settings

    from kpmodel.testing.strategies import situations

    name = getattr(definition, "name", None)
    if not callable(definition):
        raise _fail(definition, "it is not callable as definition(situation, on=...)")
    if not isinstance(name, str) or not name:
        raise _fail(definition, "it has no non-empty 'name' attribute")
    references = getattr(definition, "references", None)
    if not references or not all(isinstance(r, str) and r for r in references):
        raise _fail(definition, "it has no 'references' (a sequence of citation texts)")
    book = CaseBook.default()
    verdicts = {key: _check_one(definition, s) for key, s in book.situations().items()}
    if picklable:
        try:
            copy = pickle.loads(pickle.dumps(definition))
        except Exception as exc:
            raise _fail(definition, f"it cannot be pickled: {exc}") from exc
        for key, s in book.situations().items():
            if copy(s) != verdicts[key]:
                raise _fail(definition, f"its pickled copy judges {key!r} differently")

    @settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(situations())
    def every_generated_situation(situation: Situation) -> None:
        _check_one(definition, situation)

    every_generated_situation()
