"""The boundary layer: the one place where outside input becomes checked values.

Every loader and public constructor of kpmodel goes through these helpers, so that the same
input is accepted or refused the same way everywhere, with the same kind of message:

- `Problems` collects every problem found while loading, each with its field path, and
  raises one `kpmodel.errors.LoadError` listing them all.
- `country_code` and `participant_code` accept upper-case ISO 3166-1 alpha-2 codes (and
  ``"EU"`` for participants). Lower-case codes are refused everywhere, with the upper-case
  spelling as the remedy, so ``"bw"`` and ``"BW"`` can never become two origins.
- `finite_float`, `finite_decimal`, `whole_number` and `year` accept finite numbers within
  bounds: NaN, infinities, Decimal specials (``sNaN``, ``Infinity``), booleans and integers
  of thousands of digits are refused before they can overflow or poison a sum.
- `as_date` accepts a `datetime.date` or strict ISO text ``YYYY-MM-DD``; a `datetime.datetime`
  is refused everywhere (KP rules apply by calendar day), never silently truncated.
- `decode_text` and `read_text` decode UTF-8 (a UTF-8 byte-order mark is allowed) and name the
  file's likely encoding when it is not UTF-8 (UTF-16 or UTF-32 by their byte-order marks or
  NUL pattern, Latin-1/Windows-1252 otherwise).
- `parse_json` and `parse_toml` limit nesting depth and size (no `RecursionError`), refuse
  duplicate JSON keys, non-finite numbers and numbers of more than `MAX_NUMBER_CHARS` characters.
- `atomic_write` and `atomic_open` write a temporary file in the target's folder, give it
  the permissions the umask allows (0644 under umask 022), fsync it and rename it over the
  target; the temporary file is removed on any error.
- `is_hashable`, `id_kind` and `is_lot_id` check lot ids: a lot id is an int or text, and
  an id names a lot only if it is of the lot id's kind (``4.0`` and ``True`` equal ``4``
  but are not lot 4).
- `show` and `display_path` describe values and file names safely in messages, whatever
  their size or encoding.
- `one_of` (and `one_of_validator`, for attrs fields) accepts one of a few words, checking
  that the value is text before comparing it, so a Series or an array is refused, never
  compared.
- `distinct_records` accepts records with distinct names, naming the first item that is not
  one, or whose name an earlier one has.
- `guarded` makes a public record class refuse bad arguments with an `InvalidArgumentError`
  (a `KPModelError`, and still a `TypeError`/`ValueError`), whatever check found them.

This module imports only the standard library and `kpmodel.errors`, so every package may
import it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import math
import numbers
import os
import re
import sys
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, Literal, NoReturn, TypeGuard, TypeVar

from kpmodel._output import display_path
from kpmodel.errors import (
    InvalidArgumentError,
    InvalidRecordError,
    KPModelError,
    LoadError,
    Problem,
)

__all__ = [
    "BYTES_TYPES",
    "MAX_CHARS",
    "MAX_DEPTH",
    "MAX_LISTED",
    "MAX_NUMBER_CHARS",
    "MAX_QUANTITY",
    "MAX_YEAR",
    "MIN_YEAR",
    "SPECIAL_CODES",
    "Problems",
    "as_date",
    "atomic_open",
    "atomic_write",
    "check_text",
    "country_code",
    "decode_text",
    "display_path",
    "distinct_records",
    "finite_decimal",
    "finite_float",
    "guarded",
    "id_kind",
    "is_country_code",
    "is_encodable",
    "is_hashable",
    "is_lot_id",
    "is_participant_code",
    "join_path",
    "one_of",
    "one_of_validator",
    "parse_json",
    "parse_toml",
    "participant_code",
    "read_bytes",
    "read_text",
    "show",
    "whole_number",
    "year",
]

#: How many items (rows, lots, problems) an error message lists before "and N more": enough
#: to see a pattern, few enough that a message about a million rows stays readable. Every
#: list of refused items uses it. Lists of other things keep their own numbers: a ledger's
#: LoadError holds one problem per bad cell, up to 1,000 (ledger/_parse.py MAX_PROBLEMS);
#: the command prints the first 8 problems of a LoadError; a SweepError shows 5 failed runs,
#: a line each with its settings; an unknown origin's message lists 8 of the graph's labels.
MAX_LISTED = 10
#: The types that hold bytes (numpy's ``np.bytes_`` is a ``bytes``): never lot ids, and
#: never a list of them, although they iterate as small ints.
BYTES_TYPES = (bytes, bytearray, memoryview)
#: Deepest nesting of lists and objects (tables) that `parse_json` and `parse_toml` accept.
MAX_DEPTH = 64
#: Longest text, in characters, that `parse_json` and `parse_toml` accept (256 MiB of text).
MAX_CHARS = 256 * 1024 * 1024
#: Longest number literal, in characters, that `parse_json` accepts (no real quantity needs more).
MAX_NUMBER_CHARS = 64
#: Largest quantity (carats, US dollars, lot sizes) accepted by default: 10**15. World rough
#: production was 1.12e8 carats in 2023 (KP statistics, `kpmodel.datasets.kp_production`),
#: so this leaves room for any real or simulated total while keeping sums of millions of rows
#: far from float64 overflow.
MAX_QUANTITY = 10**15
#: Earliest and latest calendar years accepted for statistics periods and scenario years.
MIN_YEAR = 1900
MAX_YEAR = 2200

#: Codes that are KP participants but not ISO 3166-1 countries.
SPECIAL_CODES = {"EU": "European Union"}

ErrorType = type[KPModelError]
_C = TypeVar("_C", bound=type)
_R = TypeVar("_R")


# --------------------------------------------------------------------------------------------
# Public record classes


def guarded(cls: _C) -> _C:
    """Make the attrs class `cls` refuse bad arguments with an `InvalidArgumentError`.

    attrs' own validators and converters raise `TypeError` or `ValueError` (and a converter
    such as `tuple` may raise anything a bad value provokes); a user calling a public
    constructor with a wrong value must get kpmodel's error instead, naming the class. The
    original message (which names the field when attrs wrote it) is kept, and the original
    exception is chained. `InvalidArgumentError` is also a `TypeError` and a `ValueError`,
    so code that caught those still does.

    Before any validator sees them, a table or an array (a pandas Series, a numpy array)
    given for a field annotated as one value (text, a number, a date, a bool) is refused
    with an `InvalidRecordError` naming the field: a validator comparing it with a value
    would get a table back, whose truth pandas refuses, or pass a one-element array, which
    the record would then hold.

    >>> import attrs
    >>> @guarded
    ... @attrs.frozen
    ... class Lot:
    ...     carats: float = attrs.field(validator=attrs.validators.instance_of(float))
    >>> Lot(carats="heavy")
    Traceback (most recent call last):
    ...
    kpmodel.errors.InvalidArgumentError: Lot: 'carats' must be <class 'float'> (got 'heavy' ...
    """
    init = cls.__init__  # type: ignore[misc]
    one_value = _one_value_fields(cls)
    positional = [f.alias for f in getattr(cls, "__attrs_attrs__", ()) if f.init and not f.kw_only]

    @functools.wraps(init)
    def __init__(self: object, *args: Any, **kwargs: Any) -> None:  # noqa: N807
        if one_value:
            given: Iterable[tuple[str, Any]] = kwargs.items()
            if args:
                given = [*zip(positional, args, strict=False), *given]
            for alias, value in given:
                # One look at the type for the usual values (text, numbers, None).
                if type(value) not in _PLAIN_TYPES and alias in one_value and _is_table(value):
                    msg = f"must be one value, not a table or an array; got {show(value)}"
                    raise InvalidRecordError(msg, path=one_value[alias])
        try:
            init(self, *args, **kwargs)
        except KPModelError:
            raise
        except (TypeError, ValueError, ArithmeticError, AttributeError, LookupError) as error:
            # attrs' validators put the message first, then the attribute and the value.
            first = error.args[0] if error.args else ""
            reason = first if isinstance(first, str) else str(error)
            if "\n" in reason and len(error.args) > 1:
                # The value's repr over several lines (a Series): shown on one, by `show`.
                with contextlib.suppress(Exception):
                    reason = reason.replace(repr(error.args[-1]), show(error.args[-1]))
            msg = f"{cls.__name__}: {reason}"
            if "must be" not in reason:
                msg += f"; see help(kpmodel.{cls.__module__.split('.')[1]}.{cls.__name__})"
            raise InvalidArgumentError(msg) from error

    cls.__init__ = __init__  # type: ignore[misc]
    cls.__kpmodel_guarded__ = True  # type: ignore[attr-defined]
    return cls


#: The annotations (as attrs keeps them: text, under ``from __future__ import annotations``)
#: of a field that holds one value, where `guarded` refuses a table or an array.
_ONE_VALUE = frozenset(
    {
        "str",
        "int",
        "float",
        "bool",
        "Decimal",
        "decimal.Decimal",
        "dt.date",
        "date",
        "datetime.date",
    }
)


#: Types whose values are one value, told at one look (`_is_table`).
_PLAIN_TYPES = frozenset({str, int, float, bool, Decimal, dt.date, type(None)})


def _one_value_fields(cls: type) -> dict[str, str]:
    """Return ``{alias: name}`` of the init fields of the attrs class `cls` annotated as one
    value: text, a number, a date, a bool, or one of these or None.
    """
    found = {}
    for field in getattr(cls, "__attrs_attrs__", ()):
        kind = field.type
        annotation = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
        kinds = {part.strip() for part in annotation.split("|")} - {"None"}
        if field.init and kinds and kinds <= _ONE_VALUE:
            found[field.alias] = field.name
    return found


def _is_table(value: object) -> bool:
    """Whether `value` is an array or a table (numpy's, pandas' or alike): never one value.

    A Series compared with a word gives a Series, whose truth pandas refuses; a
    one-element array passes such a test, and would be stored where one value belongs.
    """
    if type(value) in _PLAIN_TYPES:
        return False
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.generic):  # one value of numpy's
        return False
    try:
        return getattr(value, "ndim", None) is not None
    except Exception:  # an object whose attributes raise is not a table
        return False


# --------------------------------------------------------------------------------------------
# Describing values safely


def show(value: object, *, limit: int = 80) -> str:
    """Return a short, safe description of `value` for an error message, on one line.

    Never raises: integers too long to print are described by their number of digits,
    long reprs are cut with ``...``, and a failing ``__repr__`` is reported as such. A
    repr printed over several lines (a pandas Series or DataFrame, a 2-D array) is shown
    on one, so that a message's lines stay one each.

    Examples
    --------
    >>> from kpmodel._boundary import show
    >>> show("BW"), show(10**5000), show("x" * 200)[:12]
    ("'BW'", 'an integer of 5001 digits', "'xxxxxxxxxxx")
    >>> import numpy as np, pandas as pd
    >>> show(pd.Series([1, 2], name="lot_id")), show(np.zeros((2, 2)))
    ("Series([1, 2], name='lot_id', dtype=int64)", 'array([[0., 0.], [0., 0.]])')
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        digits = len(str(abs(value))) if value.bit_length() < 13000 else _digits(value)
        return f"an integer of {digits} digits"
    if isinstance(value, Decimal) and value.is_finite() and len(value.as_tuple().digits) > 60:
        return f"a decimal of {len(value.as_tuple().digits)} digits"
    try:
        text = _table_text(value, limit)
        if text is None:
            text = repr(value)
            if "\n" in text:  # a 2-D array: its rows on one line
                text = " ".join(line.strip() for line in text.splitlines())
    except Exception as exc:  # a user's object whose __repr__ fails must not hide the problem
        return f"<{type(value).__name__} whose repr() failed: {type(exc).__name__}>"
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def _table_text(value: object, limit: int) -> str | None:
    """Return a pandas Series or DataFrame as `show` shows it, on one line; None for others.

    Their reprs are tables over several lines, whose lines joined would not read as a
    value ("0    1 dtype: int64"). pandas is not imported here: a value of pandas means
    pandas is loaded.
    """
    pandas = sys.modules.get("pandas")
    if pandas is None:
        return None
    if isinstance(value, pandas.DataFrame):
        columns = value.columns.tolist()
        return f"DataFrame({len(value):,} rows, columns={show(columns, limit=limit)})"
    if isinstance(value, pandas.Series):
        values = value.iloc[: max(limit // 2, 1)].tolist()  # more than `limit` can show
        name = "" if value.name is None else f", name={show(value.name, limit=limit // 4)}"
        # The values get the room the rest leaves, so that the length, when the values
        # shown are not all of them, is not cut off the end.
        tail = f"{name}, dtype={value.dtype}, length={len(value):,})"
        shown = show(values, limit=max(limit - len("Series(") - len(tail), 12))
        if len(value) == len(values) and not shown.endswith("..."):
            tail = f"{name}, dtype={value.dtype})"
        return f"Series({shown}{tail}"
    return None


def _digits(value: int) -> int:
    # str() of a huge int is refused by Python (sys.set_int_max_str_digits); count instead.
    return int(abs(value).bit_length() * math.log10(2)) + 1


def _type_name(value: object) -> str:
    return type(value).__name__


# --------------------------------------------------------------------------------------------
# Problems and paths


def join_path(prefix: str, path: str) -> str:
    """Join two field paths: ``join_path("parcels[2]", "carats") == "parcels[2].carats"``.

    Examples
    --------
    >>> from kpmodel._boundary import join_path
    >>> join_path("parcels", "[2]"), join_path("parcels[2]", "carats"), join_path("", "x")
    ('parcels[2]', 'parcels[2].carats', 'x')
    """
    if not path:
        return prefix
    if not prefix:
        return path
    return prefix + path if path.startswith("[") else f"{prefix}.{path}"


def _reason(error: BaseException) -> tuple[str, str]:
    """Split a kpmodel error into (path, message)."""
    path = getattr(error, "path", "") or ""
    text = str(error)
    if path and text.startswith(f"{path}: "):
        text = text[len(path) + 2 :]
    return path, text


class Problems:
    """Collect every problem found in an input, each with its field path, then raise once.

    Parameters
    ----------
    source : str, optional
        Where the input comes from (a file name), shown in the error.

    Examples
    --------
    >>> from kpmodel._boundary import Problems, finite_float
    >>> problems = Problems(source="scenario.toml")
    >>> with problems.checking("rate"):
    ...     finite_float(float("nan"), path="")
    >>> problems.add("steps_per_year", "must be at least 1, got 0")
    >>> problems.raise_if_any()
    Traceback (most recent call last):
    ...
    kpmodel.errors.LoadError: 2 problems in scenario.toml:
      rate: must be a finite number, got nan
      steps_per_year: must be at least 1, got 0
    """

    def __init__(self, *, source: str = "") -> None:
        self.source = source
        self._items: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        """Record one problem at `path`."""
        self._items.append(Problem(path, message))

    def extend(self, problems: Iterable[Problem], *, prefix: str = "") -> None:
        """Record several problems, their paths prefixed with `prefix`."""
        self._items.extend(Problem(join_path(prefix, p.path), p.message) for p in problems)

    @contextlib.contextmanager
    def checking(self, path: str = "") -> Iterator[None]:
        """Run the block; a `KPModelError` raised in it is recorded at `path` and swallowed.

        A `LoadError` contributes each of its problems, prefixed with `path`.
        """
        try:
            yield
        except LoadError as error:
            self.extend(error.problems, prefix=path)
        except KPModelError as error:
            inner, message = _reason(error)
            self.add(join_path(path, inner), message)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self._items)

    def error(self) -> LoadError:
        """Return the `LoadError` listing every problem (to raise it yourself)."""
        return LoadError(self._items, source=self.source)

    def raise_if_any(self) -> None:
        """Raise a `LoadError` listing every problem, if there is any."""
        if self._items:
            raise self.error() from None


def _fail(error: ErrorType, path: str, message: str) -> NoReturn:
    if issubclass(error, InvalidRecordError):
        raise error(message, path=path)
    raise error(f"{path}: {message}" if path else message)


# --------------------------------------------------------------------------------------------
# Country and participant codes


@functools.cache
def _iso_codes() -> frozenset[str]:
    import pycountry  # imported on first use: it loads its database

    return frozenset(str(country.alpha_2) for country in pycountry.countries)


def is_hashable(value: object) -> bool:
    """Return whether `value` can be a key, such as a lot id (a tuple holding a list cannot).

    Examples
    --------
    numpy's unitless ``timedelta64(5)`` cannot be one either: hashing it raises ValueError.

    >>> is_hashable("L4"), is_hashable([4]), is_hashable((1, [2]))
    (True, False, False)
    """
    try:
        hash(value)
    except (TypeError, ValueError):
        return False
    return True


def id_kind(value: object) -> type:
    """Return a lot id's kind: int for an integer (numpy's too, bool not), str for text.

    Any other value's kind is its type (numpy's durations are integers to numpy, but their
    kind is `numpy.timedelta64`). An id names a lot only if it is of the lot id's kind:
    ``4.0``, ``True`` and ``Decimal(4)`` equal ``4`` (and hash alike) but are not lot 4.

    Examples
    --------
    >>> import decimal
    >>> id_kind(4), id_kind("L4"), id_kind(4.0), id_kind(True), id_kind(decimal.Decimal(4))
    (<class 'int'>, <class 'str'>, <class 'float'>, <class 'bool'>, <class 'decimal.Decimal'>)
    """
    if isinstance(value, bool | str):
        return bool if isinstance(value, bool) else str
    if not isinstance(value, numbers.Integral):  # numpy's bool_ is not Integral
        return type(value)
    # numpy's timedelta64 is a numpy integer (2 days == 2); numpy is loaded if one exists
    numpy = sys.modules.get("numpy")
    return type(value) if numpy is not None and isinstance(value, numpy.timedelta64) else int


def is_lot_id(value: object) -> bool:
    """Tell whether `value` may be a lot id: an int (numpy's too, bool not) or text.

    The rule every reader of lot ids applies (`id_kind`): a tuple, bytes, a float, a date
    ... is refused, never kept as a key that a later lookup could not tell from another.

    Examples
    --------
    >>> is_lot_id(4), is_lot_id("L4"), is_lot_id(True), is_lot_id((4, 1)), is_lot_id(b"L4")
    (True, True, False, False, False)
    """
    return id_kind(value) in (int, str)


def of_other_kinds(asked: Iterable[object], found: Iterable[object]) -> list[int]:
    """Return the indices i where ``asked[i]`` is not of the kind of the lot id ``found[i]``.

    Looking ids up by hashing matches equal values (`id_kind`: 4.0 finds lot 4); the ids at
    these indices name no lot.

    Examples
    --------
    >>> of_other_kinds([4, 4.0, "a", True], [4, 4, "a", 1])
    [1, 3]
    """
    return [
        i
        for i, (value, own) in enumerate(zip(asked, found, strict=True))
        if id_kind(value) is not id_kind(own)
    ]


def is_country_code(value: object) -> bool:
    """Tell whether `value` is an upper-case ISO 3166-1 alpha-2 code.

    Examples
    --------
    >>> from kpmodel._boundary import is_country_code
    >>> is_country_code("BW"), is_country_code("bw"), is_country_code("EU")
    (True, False, False)
    """
    return isinstance(value, str) and value in _iso_codes()


def is_participant_code(value: object) -> bool:
    """Tell whether `value` is an ISO 3166-1 alpha-2 code or a special participant code (EU).

    Examples
    --------
    >>> from kpmodel._boundary import is_participant_code
    >>> is_participant_code("EU"), is_participant_code("XX")
    (True, False)
    """
    return is_country_code(value) or (isinstance(value, str) and value in SPECIAL_CODES)


def _code_message(value: object, *, participant: bool) -> str:
    expected = "an ISO 3166-1 alpha-2 country code" + (" or 'EU'" if participant else "")
    message = f"must be {expected} such as 'BW' or 'BE', got {show(value)}"
    if not isinstance(value, str):
        return message + f" (type={_type_name(value)})"
    upper = value.strip().upper()
    known = is_participant_code(upper) if participant else is_country_code(upper)
    if known and upper != value:
        return message + f"; write it in capitals without spaces: {upper!r}"
    return message + "; look the code up with pycountry.countries.lookup(name)"


def country_code(
    value: object, *, path: str = "country", error: ErrorType = InvalidRecordError
) -> str:
    """Return `value` if it is an upper-case ISO 3166-1 alpha-2 code; raise `error` otherwise.

    Lower-case or padded codes are refused (never normalised), and the message gives the
    spelling to use.

    Examples
    --------
    >>> from kpmodel._boundary import country_code
    >>> country_code("BW")
    'BW'
    >>> country_code("bw")
    Traceback (most recent call last):
    ...
    kpmodel.errors.InvalidRecordError: country: must be an ISO 3166-1 alpha-2 country code such
    as 'BW' or 'BE', got 'bw'; write it in capitals without spaces: 'BW'
    """
    if is_country_code(value):
        return value  # type: ignore[return-value]  # is_country_code checked the type
    _fail(error, path, _code_message(value, participant=False))


def participant_code(
    value: object, *, path: str = "participant", error: ErrorType = InvalidRecordError
) -> str:
    """Return `value` if it is an ISO 3166-1 alpha-2 code or ``"EU"``; raise `error` otherwise.

    Examples
    --------
    >>> from kpmodel._boundary import participant_code
    >>> participant_code("EU")
    'EU'
    >>> participant_code("=cmd|' /C calc'!A0", error=kp.errors.UnknownCodeError)
    Traceback (most recent call last):
    ...
    kpmodel.errors.UnknownCodeError: participant: must be an ISO 3166-1 alpha-2 country code or ...
    """
    if is_participant_code(value):
        return value  # type: ignore[return-value]  # is_participant_code checked the type
    _fail(error, path, _code_message(value, participant=True))


# --------------------------------------------------------------------------------------------
# Words


def one_of(
    value: object, words: Iterable[str], *, path: str, error: ErrorType = InvalidRecordError
) -> str:
    """Return `value` if it is one of `words`; raise `error`, naming `path`, otherwise.

    The type is checked before the word: a pandas Series or a numpy array compared with a
    word gives an array of booleans, whose truth pandas refuses with its own error, and
    which a one-element array passes (an array would then be stored where a word belongs).

    Examples
    --------
    >>> from kpmodel._boundary import one_of
    >>> one_of("csv", ("csv", "json"), path="format")
    'csv'
    >>> import numpy as np
    >>> one_of(np.array(["csv"]), ("csv", "json"), path="format")
    Traceback (most recent call last):
    ...
    kpmodel.errors.InvalidRecordError: format: must be one of 'csv', 'json', got array(['csv'], ...
    """
    allowed = tuple(words)
    if isinstance(value, str) and value in allowed:
        return str(value)
    _fail(error, path, f"must be one of {', '.join(map(repr, allowed))}, got {show(value)}")


def one_of_validator(
    words: Iterable[str], *, error: ErrorType = InvalidRecordError, owner: str = ""
) -> Callable[[Any, Any, Any], None]:
    """Return an attrs validator that refuses a field's value unless it is one of `words`.

    It checks with `one_of`; the path is the field's name, after `owner` and a dot when
    `owner` is given (``"Rule.severity"``).

    Examples
    --------
    >>> import attrs
    >>> from kpmodel._boundary import one_of_validator
    >>> @attrs.frozen
    ... class Order:
    ...     side: str = attrs.field(validator=one_of_validator(("buy", "sell")))
    >>> Order(side="hold")
    Traceback (most recent call last):
    ...
    kpmodel.errors.InvalidRecordError: side: must be one of 'buy', 'sell', got 'hold'
    """
    allowed = tuple(words)

    def check(_: Any, attribute: Any, value: Any) -> None:
        path = f"{owner}.{attribute.name}" if owner else attribute.name
        one_of(value, allowed, path=path, error=error)

    return check


def distinct_records(
    value: Iterable[object],
    kind: type[_R],
    key: str,
    *,
    path: str,
    error: ErrorType = InvalidArgumentError,
) -> tuple[_R, ...]:
    """Return the items of `value`, `kind` records whose `key` all differ; raise `error`
    naming the first item that is not such a record, or whose `key` an earlier one has.

    Examples
    --------
    >>> import attrs
    >>> from kpmodel._boundary import distinct_records
    >>> @attrs.frozen
    ... class Step:
    ...     name: str
    >>> distinct_records([Step("a"), Step("b"), Step("a")], Step, "name", path="steps")
    Traceback (most recent call last):
    ...
    kpmodel.errors.InvalidArgumentError: steps[2]: the name 'a' is given twice (as steps[0]); ...
    """
    items: list[_R] = []
    first: dict[object, int] = {}
    for i, item in enumerate(value):
        if not isinstance(item, kind):
            _fail(error, f"{path}[{i}]", f"must be a {kind.__name__}, got {show(item)}")
        items.append(item)
        name = getattr(item, key)
        if first.setdefault(name, i) != i:
            _fail(
                error,
                f"{path}[{i}]",
                f"the {key} {show(name)} is given twice (as {path}[{first[name]}]); give each "
                f"{kind.__name__} its own {key}",
            )
    return tuple(items)


# --------------------------------------------------------------------------------------------
# Numbers


def _bounds_text(minimum: object, maximum: object, exclusive_minimum: bool) -> str:
    low = None if minimum is None else f"{'greater than' if exclusive_minimum else 'at least'} "
    parts = []
    if low is not None:
        parts.append(f"{low}{minimum}")
    if maximum is not None:
        parts.append(
            f"at most {maximum:g}" if isinstance(maximum, float) else f"at most {maximum}"
        )
    return " and ".join(parts)


def _check_bounds(
    number: Any,
    value: object,
    *,
    path: str,
    minimum: Any,
    maximum: Any,
    exclusive_minimum: bool,
    error: ErrorType,
    kind: str,
) -> None:
    too_low = minimum is not None and (
        number <= minimum if exclusive_minimum else number < minimum
    )
    too_high = maximum is not None and number > maximum
    if too_low or too_high:
        _fail(
            error,
            path,
            f"must be {kind} {_bounds_text(minimum, maximum, exclusive_minimum)}, "
            f"got {show(value)}",
        )


def _is_bool(value: object) -> bool:
    return isinstance(value, bool) or type(value).__name__ == "bool_"


def _is_number(value: object) -> TypeGuard[numbers.Real | Decimal]:
    """Whether `value` is a number to the checks below: a real number, not a bool.

    A numpy duration is a numpy integer (a unitless one read as 5, ``np.timedelta64(5,
    'D')`` failed in ``int()``), but five days are not the number 5.
    """
    return (
        isinstance(value, numbers.Real | Decimal)
        and not _is_bool(value)
        and type(value).__name__ != "timedelta64"  # numpy's; no need to import numpy
    )


def finite_float(
    value: object,
    *,
    path: str,
    minimum: float | None = None,
    maximum: float | None = MAX_QUANTITY,
    exclusive_minimum: bool = False,
    error: ErrorType = InvalidRecordError,
) -> float:
    """Return `value` as a finite float within bounds; raise `error` otherwise.

    Accepts Python and NumPy integers and floats and finite `decimal.Decimal`; refuses
    booleans, text, NaN, infinities and integers too large for a float.

    Parameters
    ----------
    value : object
    path : str
        Field path for the message.
    minimum, maximum : float or None
        Inclusive bounds (``maximum`` defaults to `MAX_QUANTITY`); None for no bound.
    exclusive_minimum : bool, default False
        Require ``value > minimum`` rather than ``>=``.
    error : type of KPModelError, default InvalidRecordError

    Examples
    --------
    >>> from kpmodel._boundary import finite_float
    >>> finite_float(3, path="rate")
    3.0
    >>> finite_float(float("inf"), path="rate", error=kp.errors.InvalidArgumentError)
    Traceback (most recent call last):
    ...
    kpmodel.errors.InvalidArgumentError: rate: must be a finite number, got inf
    """
    if not _is_number(value):
        _fail(error, path, f"must be a number, got {show(value)} (type={_type_name(value)})")
    if isinstance(value, Decimal) and not value.is_finite():
        _fail(error, path, f"must be a finite number, got {show(value)}")
    try:
        number = float(value)
    except (OverflowError, ValueError, TypeError):
        _fail(error, path, f"must be a finite number, got {show(value)}")
    if not math.isfinite(number):
        _fail(error, path, f"must be a finite number, got {show(value)}")
    _check_bounds(
        number,
        value,
        path=path,
        minimum=minimum,
        maximum=maximum,
        exclusive_minimum=exclusive_minimum,
        error=error,
        kind="a number",
    )
    return number


_DECIMAL_TEXT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,4})?")


def finite_decimal(
    value: object,
    *,
    path: str,
    minimum: Decimal | int | None = None,
    maximum: Decimal | int | None = MAX_QUANTITY,
    exclusive_minimum: bool = False,
    max_digits: int = 28,
    error: ErrorType = InvalidRecordError,
) -> Decimal:
    """Return `value` as a finite `decimal.Decimal` within bounds; raise `error` otherwise.

    Accepts `Decimal`, `int` and decimal text such as ``"12.50"``; refuses floats (binary
    fractions would change the amount), booleans, Decimal specials (NaN, sNaN, Infinity),
    text such as ``"1_000"`` and numbers of more than `max_digits` significant digits.

    Examples
    --------
    >>> from decimal import Decimal
    >>> from kpmodel._boundary import finite_decimal
    >>> finite_decimal("12.50", path="carats")
    Decimal('12.50')
    >>> finite_decimal(Decimal("sNaN"), path="carats")
    Traceback (most recent call last):
    ...
    kpmodel.errors.InvalidRecordError: carats: must be a finite decimal number, got Decimal('sNaN')
    """
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int) and not _is_bool(value):
        if value.bit_length() > 200:
            _fail(
                error,
                path,
                f"must be a decimal number of at most {max_digits} digits, got {show(value)}",
            )
        number = Decimal(value)
    elif isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value.strip()):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
            _fail(error, path, f"must be a decimal number such as '12.50', got {show(value)}")
    elif isinstance(value, str):
        _fail(error, path, f"must be a decimal number such as '12.50', got {show(value)}")
    else:
        _fail(
            error,
            path,
            "must be a Decimal, a decimal string such as '12.50' or an int, "
            f"got {show(value)} (type={_type_name(value)})",
        )
    if not number.is_finite():
        _fail(error, path, f"must be a finite decimal number, got {show(value)}")
    if len(number.as_tuple().digits) > max_digits:
        _fail(
            error,
            path,
            f"must be a decimal number of at most {max_digits} digits, got {show(value)}",
        )
    _check_bounds(
        number,
        value,
        path=path,
        minimum=minimum,
        maximum=maximum,
        exclusive_minimum=exclusive_minimum,
        error=error,
        kind="a number",
    )
    return number


def whole_number(
    value: object,
    *,
    path: str,
    minimum: int | None = None,
    maximum: int | None = MAX_QUANTITY,
    error: ErrorType = InvalidRecordError,
) -> int:
    """Return `value` as an int within bounds; raise `error` otherwise.

    Accepts Python and NumPy integers, and floats or Decimals with no fractional part
    (``2013.0``); refuses booleans, text, NaN, infinities and other fractions.

    Examples
    --------
    >>> from kpmodel._boundary import whole_number
    >>> whole_number(12.0, path="steps_per_year", minimum=1)
    12
    >>> whole_number(0, path="steps_per_year", minimum=1)
    Traceback (most recent call last):
    ...
    kpmodel.errors.InvalidRecordError: steps_per_year: must be a whole number at least 1 ...
    """
    if not _is_number(value):
        _fail(error, path, f"must be a whole number, got {show(value)} (type={_type_name(value)})")
    if isinstance(value, numbers.Integral):
        number = int(value)
    else:
        exact = value if isinstance(value, Decimal) else float(value)
        if not (
            exact.is_finite() if isinstance(exact, Decimal) else math.isfinite(exact)
        ) or exact != int(exact):
            _fail(error, path, f"must be a whole number, got {show(value)}")
        number = int(exact)
    _check_bounds(
        number,
        value,
        path=path,
        minimum=minimum,
        maximum=maximum,
        exclusive_minimum=False,
        error=error,
        kind="a whole number",
    )
    return number


def year(value: object, *, path: str = "year", error: ErrorType = InvalidRecordError) -> int:
    """Return `value` as a calendar year from `MIN_YEAR` to `MAX_YEAR`; raise `error` otherwise.

    Examples
    --------
    >>> from kpmodel._boundary import year
    >>> year(2013)
    2013
    >>> year(1e300)
    Traceback (most recent call last):
    ...
    kpmodel.errors.InvalidRecordError: year: must be a whole number at least 1900 and at most 2200, got 1e+300
    """  # noqa: E501 (a doctest output line)
    return whole_number(value, path=path, minimum=MIN_YEAR, maximum=MAX_YEAR, error=error)


# --------------------------------------------------------------------------------------------
# Dates

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def as_date(
    value: object, *, path: str = "on", error: ErrorType = InvalidArgumentError
) -> dt.date:
    """Return `value` as a date: a `datetime.date`, or ISO text such as ``"2013-05-23"``.

    A `datetime.datetime` (and so a pandas `Timestamp`) is refused rather than truncated:
    KP rules apply by calendar day, so pass ``value.date()``. Text must be exactly
    ``YYYY-MM-DD`` (surrounding spaces allowed) and name a day that exists.

    Examples
    --------
    >>> import datetime as dt
    >>> from kpmodel._boundary import as_date
    >>> as_date("2013-05-23") == as_date(dt.date(2013, 5, 23))
    True
    >>> as_date(dt.datetime(2013, 5, 23, 12))
    Traceback (most recent call last):
    ...
    kpmodel.errors.InvalidArgumentError: on: must be a datetime.date or an ISO date such as ...
    """
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    hint = "; pass value.date() for the calendar day" if isinstance(value, dt.datetime) else ""
    _fail(
        error,
        path,
        f"must be a datetime.date or an ISO date such as '2013-05-23', "
        f"got {show(value)} (type={_type_name(value)}){hint}",
    )


# --------------------------------------------------------------------------------------------
# Text

_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"),
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
    (b"\xff\xfe", "UTF-16 (little-endian)"),
    (b"\xfe\xff", "UTF-16 (big-endian)"),
)


def _guess_encoding(raw: bytes) -> str | None:
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return f"{name}, by its byte-order mark"
    head = raw[:4096]
    if len(head) >= 4:
        even_nuls = head[0::2].count(0)
        odd_nuls = head[1::2].count(0)
        half = len(head) // 2
        if odd_nuls > 0.4 * half and even_nuls < 0.1 * half:
            return "UTF-16 (little-endian), by its NUL bytes"
        if even_nuls > 0.4 * half and odd_nuls < 0.1 * half:
            return "UTF-16 (big-endian), by its NUL bytes"
    return None


def decode_text(raw: bytes, *, source: str = "") -> str:
    """Decode file contents as UTF-8; raise `LoadError` naming the likely encoding otherwise.

    A UTF-8 byte-order mark is skipped. Text in UTF-16 or UTF-32 (told by their byte-order
    marks or NUL bytes) or in a single-byte encoding such as Latin-1 or Windows-1252 is
    refused with the encoding named and how to re-save the file; NUL characters are refused.

    Examples
    --------
    >>> from kpmodel._boundary import decode_text
    >>> decode_text("Côte d'Ivoire".encode())
    "Côte d'Ivoire"
    >>> decode_text("Côte d'Ivoire".encode("latin-1"), source="book.toml")
    Traceback (most recent call last):
    ...
    kpmodel.errors.LoadError: 1 problem in book.toml:
      line 1, column 2: the text is not UTF-8: byte 0xf4 cannot start a character. It looks ...
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        msg = f"expected bytes, got {show(raw)} (type={_type_name(raw)})"  # type: ignore[unreachable]
        raise InvalidArgumentError(msg)
    raw = bytes(raw)
    guess = _guess_encoding(raw)
    if guess is not None:
        message = (
            f"the text is {guess}, not UTF-8; re-save it as UTF-8 "
            "(in a text editor: Save As, Encoding UTF-8; or iconv -f UTF-16 -t UTF-8)"
        )
        raise LoadError([Problem("", message)], source=source)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        bad = raw[exc.start]
        message = (
            f"the text is not UTF-8: byte 0x{bad:02x} cannot start a character. "
            "It looks like Latin-1 (ISO 8859-1) or Windows-1252; re-save it as UTF-8 "
            "(in a text editor: Save As, Encoding UTF-8; or iconv -f LATIN1 -t UTF-8)"
            if bad >= 0x80
            else f"the text is not UTF-8 at byte 0x{bad:02x}; re-save it as UTF-8"
        )
        raise LoadError(
            [Problem(f"line {line}, column {column}", message)], source=source
        ) from None
    if "\x00" in text:
        where = text.index("\x00")
        line = text.count("\n", 0, where) + 1
        raise LoadError(
            [Problem(f"line {line}", "the text contains NUL characters; is it a binary file?")],
            source=source,
        )
    return text


def read_bytes(path: str | os.PathLike[str], *, source: str | None = None) -> bytes:
    """Read a file, turning operating-system errors into `LoadError` (the name shown safely).

    Examples
    --------
    >>> from kpmodel._boundary import read_bytes
    >>> read_bytes("/no/such/file.json")
    Traceback (most recent call last):
    ...
    kpmodel.errors.LoadError: 1 problem in /no/such/file.json:
      cannot read the file: No such file or directory
    """
    name = display_path(path) if source is None else source
    try:
        with open(path, "rb") as file:
            return file.read()
    except IsADirectoryError:
        problem = "cannot read the file: it is a folder; give a file"
    except OSError as exc:
        problem = f"cannot read the file: {exc.strerror or exc}"
    except (ValueError, TypeError) as exc:  # embedded NUL in the name, or not a path at all
        problem = f"cannot read the file: {exc}"
    raise LoadError([Problem("", problem)], source=name)


def read_text(path: str | os.PathLike[str], *, source: str | None = None) -> str:
    r"""Read a UTF-8 text file (see `decode_text`), raising `LoadError` on any failure.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from kpmodel._boundary import read_text
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = path.write_bytes(b"\xff\xfea\x00")
    >>> read_text(path, source="a.txt")
    Traceback (most recent call last):
    ...
    kpmodel.errors.LoadError: 1 problem in a.txt:
      the text is UTF-16 (little-endian), by its byte-order mark, not UTF-8; re-save it as ...
    """
    name = display_path(path) if source is None else source
    return decode_text(read_bytes(path, source=name), source=name)


# --------------------------------------------------------------------------------------------
# JSON and TOML

# Strings (with escapes) and brackets; everything else is skipped by finditer.
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_TOML_TOKENS = re.compile(
    r'"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}]',
    re.DOTALL,
)


def _max_depth(text: str, tokens: re.Pattern[str], limit: int) -> tuple[int, int] | None:
    """Return (depth, offset) where bracket nesting first exceeds `limit`, else None."""
    depth = 0
    for match in tokens.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return depth, match.start()
        elif token in "]}":
            depth = max(depth - 1, 0)
    return None


def _line_column(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


_SURROGATE_MESSAGE = (
    "{} holds a lone UTF-16 surrogate (an escape such as \\ud800 that is half a character); "
    "such text cannot be saved as UTF-8: write the whole character"
)


def is_encodable(value: object) -> bool:
    r"""Whether `value`, if text, can be written as UTF-8 (it holds no lone surrogate).

    Text from a file can never hold one; text built in Python can, and then breaks whatever
    writes it. For many texts, one call on ``"".join(texts)`` checks them all.

    >>> is_encodable("Berbérati"), is_encodable("\ud800")
    (True, False)
    """
    if not isinstance(value, str) or value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_text(
    value: object,
    *,
    path: str,
    empty: bool = False,
    error: ErrorType = InvalidRecordError,
) -> str:
    """Return `value` if it is text that can be saved (UTF-8, no NUL); raise `error` otherwise.

    Refuses non-strings, lone UTF-16 surrogates (half characters, which no file can hold as
    UTF-8), NUL characters and, unless `empty`, blank text.

    Examples
    --------
    >>> from kpmodel._boundary import check_text
    >>> check_text("Berbérati", path="zone")
    'Berbérati'
    >>> check_text(chr(0xD800), path="zone")
    Traceback (most recent call last):
    ...
    kpmodel.errors.InvalidRecordError: zone: must be text that can be saved as UTF-8 (no lone ...
    """
    if not isinstance(value, str):
        _fail(error, path, f"must be text, got {show(value)} (type={_type_name(value)})")
    if not is_encodable(value) or "\x00" in value:
        _fail(
            error,
            path,
            f"must be text that can be saved as UTF-8 (no lone surrogates, no NUL), "
            f"got {show(value)}",
        )
    if not empty and not value.strip():
        _fail(error, path, f"must be non-empty text, got {show(value)}")
    return value


class _TooLong:
    """A number literal too long to accept; reported with its path after parsing."""

    def __init__(self, text: str) -> None:
        self.text = text


def _walk(
    data: object, *, max_depth: int, duplicates: dict[int, list[str]] | None = None
) -> list[Problem]:
    """Find non-finite and over-long numbers, duplicate keys and over-deep values, with paths.

    Iterative, so it cannot exhaust the stack whatever the data.
    """
    problems: list[Problem] = []
    stack: list[tuple[object, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict):
            if depth >= max_depth:
                problems.append(Problem(path, f"nested more than {max_depth} levels deep"))
                continue
            if duplicates and id(value) in duplicates:
                for key in duplicates[id(value)]:
                    problems.append(
                        Problem(
                            join_path(path, str(key)),
                            "the key appears more than once in the same object; "
                            "keep one (JSON readers disagree on which one wins)",
                        )
                    )
            for key, item in reversed(value.items()):
                if not is_encodable(key):
                    problems.append(Problem(path, _SURROGATE_MESSAGE.format(show(key))))
                    continue
                stack.append((item, join_path(path, str(key)), depth + 1))
        elif isinstance(value, list):
            if depth >= max_depth:
                problems.append(Problem(path, f"nested more than {max_depth} levels deep"))
                continue
            for index in range(len(value) - 1, -1, -1):
                stack.append((value[index], f"{path}[{index}]", depth + 1))
        elif isinstance(value, _TooLong):
            problems.append(
                Problem(
                    path,
                    f"a number of {len(value.text)} characters is longer than the "
                    f"{MAX_NUMBER_CHARS} accepted; no real quantity needs it",
                )
            )
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append(Problem(path, f"must be a finite number, got {value!r}"))
        elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
            problems.append(
                Problem(path, f"{show(value)} is too large: integers must be below 2**64")
            )
        elif isinstance(value, str) and not is_encodable(value):
            problems.append(Problem(path, _SURROGATE_MESSAGE.format(show(value))))
    problems.sort(key=lambda p: p.path)
    return problems


def _check_size(text: object, kind: str, source: str, max_chars: int) -> str:
    if not isinstance(text, str):
        msg = f"{kind} text must be a str, got {show(text)} (type={_type_name(text)})"
        raise InvalidArgumentError(msg)
    if len(text) > max_chars:
        message = (
            f"the text has {len(text)} characters, more than the limit of {max_chars}; "
            "split the input, or raise the limit with max_chars="
        )
        raise LoadError([Problem("", message)], source=source)
    return text


def parse_json(
    text: str,
    *,
    source: str = "",
    max_depth: int = MAX_DEPTH,
    max_chars: int = MAX_CHARS,
    decimals: bool = False,
) -> object:
    """Parse JSON text into plain values; raise `LoadError` listing every problem.

    Refused: invalid JSON (with line and column), nesting deeper than `max_depth`, text longer
    than `max_chars`, duplicate keys in one object, ``NaN`` and ``Infinity``, numbers that
    overflow to infinity and number literals longer than `MAX_NUMBER_CHARS`.

    Parameters
    ----------
    text : str
    source : str, optional
        File name for the message.
    max_depth, max_chars : int
        Limits; raise them for unusual but trusted inputs.
    decimals : bool, default False
        Parse fractional numbers as `decimal.Decimal` instead of float.

    Examples
    --------
    >>> from kpmodel._boundary import parse_json
    >>> parse_json('{"a": [1, 2.5]}')
    {'a': [1, 2.5]}
    >>> parse_json('{"a": 1, "a": 2, "b": NaN}')
    Traceback (most recent call last):
    ...
    kpmodel.errors.LoadError: 1 problem:
      line 1, column 23: not valid JSON: NaN is not a JSON number; write a finite number
    >>> parse_json('{"a": 1, "a": 2}')
    Traceback (most recent call last):
    ...
    kpmodel.errors.LoadError: 1 problem:
      a: the key appears more than once in the same object; keep one (JSON readers ...
    """
    text = _check_size(text, "JSON", source, max_chars)
    deep = _max_depth(text, _JSON_TOKENS, max_depth)
    if deep is not None:
        message = f"nested more than {max_depth} levels deep; flatten the data"
        raise LoadError([Problem(_line_column(text, deep[1]), message)], source=source)
    duplicates: dict[int, list[str]] = {}

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(items)
        if len(result) != len(items):
            seen: set[str] = set()
            repeated = [k for k, _ in items if k in seen or seen.add(k)]  # type: ignore[func-returns-value]
            duplicates[id(result)] = sorted(set(repeated))
        return result

    def number(kind: Callable[[str], Any]) -> Callable[[str], Any]:
        def parse(literal: str) -> Any:
            return _TooLong(literal) if len(literal) > MAX_NUMBER_CHARS else kind(literal)

        return parse

    def constant(name: str) -> NoReturn:
        raise _Constant(name)

    try:
        data = json.loads(
            text,
            object_pairs_hook=pairs,
            parse_int=number(int),
            parse_float=number(Decimal if decimals else float),
            parse_constant=constant,
        )
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise LoadError([Problem(where, f"not valid JSON: {exc.msg}")], source=source) from None
    except _Constant as exc:
        # The scanner does not say where; find the first bare constant outside strings.
        offset = _constant_offset(text, exc.name)
        message = f"not valid JSON: {exc.name} is not a JSON number; write a finite number"
        raise LoadError([Problem(_line_column(text, offset), message)], source=source) from None
    except RecursionError:  # pragma: no cover - the depth scan stops this first
        message = f"nested more than {max_depth} levels deep; flatten the data"
        raise LoadError([Problem("", message)], source=source) from None
    problems = _walk(data, max_depth=max_depth + 1, duplicates=duplicates)
    if problems:
        raise LoadError(problems, source=source)
    return data


class _Constant(Exception):  # noqa: N818 (internal signal, never escapes parse_json)
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _constant_offset(text: str, name: str) -> int:
    outside = re.compile(r'"(?:[^"\\]|\\.)*"|' + re.escape(name), re.DOTALL)
    for match in outside.finditer(text):
        if match.group() == name:
            return match.start()
    return 0  # pragma: no cover - the scanner found it, so the scan does too


def parse_toml(
    text: str, *, source: str = "", max_depth: int = MAX_DEPTH, max_chars: int = MAX_CHARS
) -> dict[str, Any]:
    r"""Parse TOML text into plain values; raise `LoadError` listing every problem.

    Refused: invalid TOML (with line and column), nesting deeper than `max_depth`, text
    longer than `max_chars`, ``nan`` and ``inf`` values and integers too long to convert.

    Examples
    --------
    >>> from kpmodel._boundary import parse_toml
    >>> parse_toml('name = "cg"\n[market]\nrate = 0.5')
    {'name': 'cg', 'market': {'rate': 0.5}}
    >>> parse_toml('[market]\nrate = nan')
    Traceback (most recent call last):
    ...
    kpmodel.errors.LoadError: 1 problem:
      market.rate: must be a finite number, got nan
    """
    text = _check_size(text, "TOML", source, max_chars)
    deep = _max_depth(text, _TOML_TOKENS, max_depth)
    if deep is not None:
        message = f"nested more than {max_depth} levels deep; flatten the data"
        raise LoadError([Problem(_line_column(text, deep[1]), message)], source=source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LoadError([Problem("", f"not valid TOML: {exc}")], source=source) from None
    except ValueError as exc:  # integers of thousands of digits (int() refuses to convert)
        message = f"not valid TOML: a number is too long ({str(exc).split(':')[0]})"
        raise LoadError([Problem("", message)], source=source) from None
    except RecursionError:  # pragma: no cover - the depth scan stops this first
        message = f"nested more than {max_depth} levels deep; flatten the data"
        raise LoadError([Problem("", message)], source=source) from None
    problems = _walk(data, max_depth=max_depth + 1)
    if problems:
        raise LoadError(problems, source=source)
    return data


# --------------------------------------------------------------------------------------------
# Atomic writes


def _umask() -> int:
    # Reading /proc avoids os.umask()'s set-and-restore, which races with other threads.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike[str],
    mode: Literal["w", "wb"] = "w",
    *,
    encoding: str = "utf-8",
    newline: str | None = None,
) -> Iterator[IO[Any]]:
    """Open a temporary file beside `path`; on success it replaces `path` atomically.

    The temporary file is created in the target's folder (so the rename stays on one file
    system), given the permissions a new file gets under the current umask (0644 under umask
    022), flushed and fsynced, then renamed over `path`. If the block raises, the temporary
    file is removed and `path` is left as it was.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from kpmodel._boundary import atomic_open
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_open(path) as file:
    ...     _ = file.write("done")
    >>> path.read_text()
    'done'
    """
    target = Path(path)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        os.fchmod(handle, 0o666 & ~_umask())
        if mode == "wb":
            stream: IO[Any] = os.fdopen(handle, "wb")
        else:
            stream = os.fdopen(handle, "w", encoding=encoding, newline=newline)
        with stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(handle)
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):  # make the rename durable where the platform allows
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def atomic_write(
    path: str | os.PathLike[str],
    data: str | bytes,
    *,
    encoding: str = "utf-8",
    newline: str | None = None,
) -> Path:
    """Write `data` (text or bytes) to `path` atomically (see `atomic_open`); return the path.

    Examples
    --------
    >>> import os, pathlib, stat, tempfile
    >>> from kpmodel._boundary import atomic_write
    >>> old = os.umask(0o022)
    >>> path = atomic_write(pathlib.Path(tempfile.mkdtemp()) / "a.json", "{}")
    >>> _ = os.umask(old)
    >>> path.read_text(), oct(stat.S_IMODE(path.stat().st_mode))
    ('{}', '0o644')
    """
    target = Path(path)
    if isinstance(data, bytes | bytearray):
        with atomic_open(target, "wb") as file:
            file.write(data)
    else:
        with atomic_open(target, "w", encoding=encoding, newline=newline) as file:
            file.write(data)
    return target
