"""Responsible-sourcing principles: checklists to assess a supplier or a participant against.

A declaration of principles is not a definition of conflict diamonds: it names themes a
supplier or a participant is expected to respect, and it binds no one. `Principles` holds
such a declaration with its standing, and `Principles.assess` turns a user's answers into a
table, so a user can record how a supplier or a participant measures up without mistaking
the result for a verdict on diamonds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import numpy as np
import pandas as pd

from kpmodel._boundary import distinct_records, guarded, show
from kpmodel.errors import InvalidArgumentError

__all__ = ["FRAME_7", "Principle", "Principles"]


@guarded
@attrs.frozen(kw_only=True)
class Principle:
    """One principle of a declaration, with how sure the sources are of its wording.

    Parameters
    ----------
    key : str
        Short identifier, used in `Principles.assess` answers.
    text : str
        The principle as the sources report it.
    wording_confirmed : bool
        False when the sources give only a theme, not the declaration's words.

    Examples
    --------
    >>> p = kp.definitions.FRAME_7.principles[0]
    >>> p.key, p.wording_confirmed
    ('sdgs', False)

    .. versionadded:: 0.2
    """

    key: str = attrs.field(validator=attrs.validators.min_len(1))
    text: str
    wording_confirmed: bool = False


def _principles(value: Any) -> tuple[Principle, ...]:
    return distinct_records(value, Principle, "key", path="principles")


_ANSWERS = {True: "met", False: "not met", None: "not assessed"}


def _texts(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in value)


@guarded
@attrs.frozen(kw_only=True)
class Principles:
    """A declaration of responsible-sourcing principles: a checklist, not a definition.

    Parameters
    ----------
    name : str
        Short identifier (``"FRAME_7"``).
    title : str
        The declaration's title.
    date : datetime.date
        When it was adopted.
    binding : bool
        False for a non-binding declaration of best practice.
    principles : sequence of Principle
        The principles the sources report.
    expected_count : int or None
        How many principles the declaration has, when the sources say so.
    references : sequence of str
        Its public sources.
    notes : str
        What it is and is not, and what the sources leave open.

    Examples
    --------
    >>> f7 = kp.definitions.FRAME_7
    >>> f7.binding, len(f7.principles), f7.expected_count
    (False, 5, 7)

    .. versionadded:: 0.2
    """

    name: str = attrs.field(validator=attrs.validators.min_len(1))
    title: str
    date: dt.date
    binding: bool
    principles: tuple[Principle, ...] = attrs.field(converter=_principles)
    expected_count: int | None = None
    references: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    notes: str = ""

    def assess(self, answers: Mapping[str, bool | None], *, subject: str = "") -> pd.DataFrame:
        """Return a checklist of the principles with the user's answer to each.

        The result records a user's assessment of a supplier or a participant against the
        declaration; it is not a verdict on diamonds, and the declaration binds no one.

        Parameters
        ----------
        answers : mapping of str to bool or None
            For each principle key, True (met), False (not met) or None (not assessed);
            keys left out are not assessed.
        subject : str, optional
            Who is assessed, copied into every row.

        Returns
        -------
        pandas.DataFrame
            One row per principle: ``declaration, subject, principle, text,
            wording_confirmed, assessment, binding``.

        Raises
        ------
        kpmodel.errors.InvalidArgumentError
            If an answer names no principle of the declaration, or is not True, False or
            None.

        Examples
        --------
        >>> table = kp.definitions.FRAME_7.assess(
        ...     {"sdgs": True, "environment": False}, subject="Supplier A")
        >>> table[["principle", "assessment"]].to_dict("records")
        ... # doctest: +NORMALIZE_WHITESPACE
        [{'principle': 'sdgs', 'assessment': 'met'},
         {'principle': 'labour-and-human-rights', 'assessment': 'not assessed'},
         {'principle': 'mining-communities', 'assessment': 'not assessed'},
         {'principle': 'environment', 'assessment': 'not met'},
         {'principle': 'aml-and-anti-corruption', 'assessment': 'not assessed'}]
        >>> bool(table["binding"].any())
        False
        """
        keys = [p.key for p in self.principles]
        given: object = answers  # checked at run time: callers may pass anything
        if not isinstance(given, Mapping):
            msg = f"answers must map principle keys to True, False or None; got {show(answers)}"
            raise InvalidArgumentError(msg)
        problems = [
            f"answers[{key!r}]: not a principle of {self.name}; its principles are {keys!r}"
            for key in answers
            if key not in keys
        ]
        problems += [
            f"answers[{key!r}]: must be True, False or None; got {show(value)}"
            for key, value in answers.items()
            if key in keys and not (value is None or isinstance(value, bool | np.bool_))
        ]
        if problems:
            raise InvalidArgumentError("; ".join(problems))
        return pd.DataFrame(
            [
                {
                    "declaration": self.name,
                    "subject": subject,
                    "principle": p.key,
                    "text": p.text,
                    "wording_confirmed": p.wording_confirmed,
                    "assessment": _ANSWERS[answers.get(p.key)],
                    "binding": self.binding,
                }
                for p in self.principles
            ]
        )

    def describe(self) -> str:
        """Return a readable account: standing, principles, what is missing, sources.

        Examples
        --------
        >>> print(kp.definitions.FRAME_7.describe())  # doctest: +ELLIPSIS
        FRAME_7: Declaration on Supporting Principles for Responsible Diamond Sourcing as ...
          not a definition of conflict diamonds; non-binding
        ...
        """
        standing = "binding" if self.binding else "non-binding"
        lines = [
            f"{self.name}: {self.title} ({self.date.isoformat()})",
            f"  not a definition of conflict diamonds; {standing}",
        ]
        for p in self.principles:
            sure = "" if p.wording_confirmed else " (theme as reported; wording not found)"
            lines.append(f"  - {p.key}: {p.text}{sure}")
        if self.expected_count is not None and self.expected_count > len(self.principles):
            missing = self.expected_count - len(self.principles)
            lines.append(f"  {missing} of its {self.expected_count} principles were not found")
        if self.notes:
            lines.append(f"  notes: {self.notes}")
        lines.extend(f"  source: {ref}" for ref in self.references)
        return "\n".join(lines)


FRAME_7 = Principles(
    name="FRAME_7",
    title=(
        "Declaration on Supporting Principles for Responsible Diamond Sourcing as Best Practices"
    ),
    date=dt.date(2021, 11, 12),
    binding=False,
    principles=(
        Principle(key="sdgs", text="support for the UN Sustainable Development Goals"),
        Principle(key="labour-and-human-rights", text="labour and human rights"),
        Principle(key="mining-communities", text="development of diamond-mining communities"),
        Principle(key="environment", text="environmental protection"),
        Principle(
            key="aml-and-anti-corruption",
            text="anti-money-laundering and anti-corruption policies",
        ),
    ),
    expected_count=7,
    references=(
        "JCK, 'Kimberley Process framework' (Nov 2021): "
        "https://jckonline.com/editorial-article/kimberley-process-framework",
        "Rough & Polished, news 123618 (Nov 2021; the first principle is support for the UN "
        "Sustainable Development Goals): https://www.rough-polished.com/en/news/123618.html",
        "National Jeweler, 'KP plenary again ends with no movement on conflict definition' "
        "(Nov 2021): https://nationaljeweler.com/articles/10372-kp-plenary-again-ends-with-no-"
        "movement-on-conflict-definition",
        "KP Civil Society Coalition, 2021 plenary, Moscow, closing speech (a 'first step' "
        "whose language was watered down): https://www.kpcivilsociety.org/activity/2021-plenary-"
        "moscow-closing-speech-by-the-civil-society-coalition/",
    ),
    notes=(
        "Adopted as non-binding best practice at the Moscow plenary (8-12 November 2021), "
        "developed by Russia (chair) with Botswana; it acknowledges these themes without "
        "bringing them into the KPCS minimum requirements (JCK, quoting the 2021 chair's "
        "office). Seven principles: the sources found report five themes, not their "
        "wording. Use it to record an assessment of a supplier or a participant; it says "
        "nothing about whether a diamond is a conflict diamond."
    ),
)
