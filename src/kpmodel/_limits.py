"""The memory limit: one setting, read in one place, used by every size guard.

Work whose size comes from its input (a scenario's production, a sweep's runs, a statistics
table's years, a provenance graph's lots and origins) estimates the memory it needs before
allocating any of it, and refuses with `kpmodel.errors.SizeLimitError` when the estimate is
above the limit. The limit is, in this order:

1. the ``max_memory=`` keyword of the function called, where it has one;
2. the environment variable ``KPMODEL_MAX_MEMORY``;
3. `default_limit`: 60% of the machine's physical memory (16 GiB where it cannot be read).

A limit is a number of bytes (``8000000000``, ``8e9``, a Decimal or numpy number too) or a
number with a unit (``"8 GB"``, ``"16GiB"``, ``"512 MiB"``, ``"1.5e3 MiB"``); ``"none"`` turns
the guard off. What `format_size` writes (in error messages) reads back as a limit.

>>> from kpmodel._limits import parse_size
>>> parse_size("1.5 GiB")
1610612736
"""

from __future__ import annotations

import math
import numbers
import os
import re
from decimal import Decimal

import numpy as np

from kpmodel._boundary import show
from kpmodel.errors import InvalidArgumentError, SizeLimitError

ENVIRONMENT_VARIABLE = "KPMODEL_MAX_MEMORY"
#: The share of the machine's physical memory work may use by default.
DEFAULT_SHARE = 0.6

_UNITS = {
    "": 1,
    "b": 1,
    "byte": 1,
    "bytes": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
# A decimal number, in scientific notation too ("1e3", "1.5E+9"), then a unit. The exponent
# needs a digit, so "1eb" is the number 1 and the unit "eb" (refused), never 1e0 bytes.
_SIZE = re.compile(
    r"\s*(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*(?P<unit>[a-z]*)\s*",
    re.IGNORECASE,
)
_NO_LIMIT = ("none", "unlimited", "off")
_WHAT_TO_WRITE = (
    "write a number of bytes such as 8000000000 or 8e9, a size such as '8 GiB', '512 MB' or"
    " '1.5e3 MiB' (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), or 'none' for no limit"
)

# A limit given as a keyword: a size, or None for "not given here".
Limit = int | float | Decimal | str | None


def parse_size(value: object, *, source: str = "max_memory") -> int | None:
    """Return `value` (bytes, or text such as ``"8 GiB"``) as bytes; None for ``"none"``.

    A size is a number of bytes (an int, float, `~decimal.Decimal`, fraction or numpy
    number; a fractional byte count is cut to whole bytes) or text: a number, in scientific
    notation too, then a unit (none means bytes). It must be finite and at least one byte.
    `source` names where the value came from, for the error message.

    Examples
    --------
    >>> from decimal import Decimal
    >>> from kpmodel._limits import parse_size
    >>> parse_size("1e3 GiB") == parse_size("1000 GiB") == 1000 * 2**30
    True
    >>> parse_size("1.5e9"), parse_size(Decimal("8e9")), parse_size("none")
    (1500000000, 8000000000, None)
    >>> parse_size("-5 GiB")
    Traceback (most recent call last):
    ...
    kpmodel.errors.InvalidArgumentError: max_memory must be a positive number of bytes or a size
    with a unit, got '-5 GiB' (it is negative); write a number of bytes such as 8000000000 ...
    """
    if isinstance(value, str) and value.strip().lower() in _NO_LIMIT:
        return None
    size, problem = _bytes(value)
    if size is not None:
        return size
    msg = (
        f"{source} must be a positive number of bytes or a size with a unit, got {show(value)}"
        f" ({problem}); {_WHAT_TO_WRITE}"
    )
    raise InvalidArgumentError(msg)


def _bytes(value: object) -> tuple[int, str] | tuple[None, str]:
    """Return `value` as whole bytes, or None and what is wrong with it."""
    # Beyond float64, a number is refused; "more bytes than a float holds" unless it was
    # infinite to begin with.
    huge = "more bytes than a float holds"
    if isinstance(value, str):
        match = _SIZE.fullmatch(value)
        if match is None:
            return None, "not a number followed by a unit"
        unit = match["unit"].lower()
        if unit not in _UNITS:
            return None, f"{match['unit']!r} is not a unit"
        amount = float(match["number"]) * _UNITS[unit]
    elif isinstance(value, bool | np.bool_):
        return None, "a bool is not a size"
    elif isinstance(value, numbers.Integral):  # numpy's integers too; any size, never a float
        whole = int(value)
        if whole >= 1:
            return whole, ""
        return None, "it is negative" if whole < 0 else "less than one byte"
    elif isinstance(value, Decimal):
        if value.is_nan():  # float() refuses a signaling NaN
            return None, "not a number"
        amount = float(value)  # beyond float64: inf
        if value.is_infinite():
            huge = "not finite"
    elif isinstance(value, numbers.Real):  # floats, numpy's floats, fractions
        try:
            amount = float(value)
        except OverflowError:  # a fraction beyond float64
            amount = math.inf
        if not isinstance(value, numbers.Rational):
            huge = "not finite"
    else:
        return None, f"a {type(value).__name__} is not a size"
    if math.isnan(amount):
        return None, "not a number"
    if amount < 0:
        return None, "it is negative"
    if math.isinf(amount):
        return None, huge
    if amount < 1:  # less than a byte is no limit anyone means
        return None, "less than one byte"
    return int(amount), ""


def default_limit() -> int:
    """Return the default limit: 60% of the machine's physical memory (else 16 GiB)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 16 * 2**30
    return int(DEFAULT_SHARE * total)


def resolve_limit(limit: Limit = None) -> int | None:
    """Return the memory limit in bytes (None: no limit): `limit`, else the environment's."""
    if limit is not None:
        return parse_size(limit)
    text = os.environ.get(ENVIRONMENT_VARIABLE)
    if text is None or not text.strip():
        return default_limit()
    return parse_size(text, source=f"the environment variable {ENVIRONMENT_VARIABLE}")


def resolved(limit: Limit = None) -> int | str:
    """Return the limit in force now (`resolve_limit`) as a ``max_memory=`` value to pass on.

    The bytes, or ``"none"`` for no limit: work handed on (to `origin_shares`, or to a sweep's
    workers, whose environment may differ) then has the limit read here, once.
    """
    allowed = resolve_limit(limit)
    return "none" if allowed is None else allowed


def format_size(size: float) -> str:
    """Return `size` bytes as short text: ``'1.5 GiB'``, ``'3.2e+06 TiB'``, ``'1 byte'``."""
    if not math.isfinite(size):
        return "an unbounded amount"
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            amount = size / scale
            return f"{amount:.3g} {unit}" if amount < 1e6 else f"{amount:.2e} {unit}"
    whole = int(size)
    return "1 byte" if whole == 1 else f"{whole} bytes"


def check_memory(
    estimate: float, *, what: str, change: str, limit: Limit = None, keyword: bool | str = True
) -> None:
    """Raise `SizeLimitError` when `estimate` bytes is above the memory limit.

    Parameters
    ----------
    estimate : float
        The bytes the work would need (a float, so that absurd sizes do not overflow).
    what : str
        The work and where its size comes from, such as ``"running scenario 'x' (1.2e+10
        production lots)"``.
    change : str
        What in the input to change to make it smaller, such as ``"lower the zones'
        annual_carats or raise lot_carats"``.
    limit : int, float, Decimal, str or None
        The caller's ``max_memory=`` keyword.
    keyword : bool or str
        Whether the caller has a ``max_memory=`` keyword (the message then names it), or
        the keyword to name, where it belongs to another function (such as ``"the
        max_memory= of kpmodel.compare"`` for work done later, when a result is read).
    """
    allowed = resolve_limit(limit)
    if allowed is None or estimate <= allowed:
        return
    how = f"{keyword} or " if isinstance(keyword, str) else "max_memory= or " if keyword else ""
    msg = (
        f"{what} needs about {format_size(estimate)} of memory, above the limit of"
        f" {format_size(allowed)}; {change}, or raise the limit with {how}the environment"
        f" variable {ENVIRONMENT_VARIABLE} (such as {ENVIRONMENT_VARIABLE}='64 GiB')"
    )
    raise SizeLimitError(msg, estimate=estimate, limit=allowed)
