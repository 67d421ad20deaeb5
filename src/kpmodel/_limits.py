"""The memory limit: one setting, read in one place, used by every size guard.

Work whose size comes from its input (a scenario's production, a sweep's runs, a statistics
table's years, a provenance graph's lots and origins) estimates the memory it needs before
allocating any of it, and refuses with `kpmodel.errors.SizeLimitError` when the estimate is
above the limit. The limit is, in this order:

1. the ``max_memory=`` keyword of the function called, where it has one;
2. the environment variable ``KPMODEL_MAX_MEMORY``;
3. `default_limit`: 60% of the machine's physical memory (16 GiB where it cannot be read).

A limit is a number of bytes (``8000000000``) or a number with a unit (``"8 GB"``,
``"16GiB"``, ``"512 MiB"``); ``"none"`` turns the guard off.

>>> from kpmodel._limits import parse_size
>>> parse_size("1.5 GiB")
1610612736
"""

from __future__ import annotations

import math
import os
import re

from kpmodel.errors import InvalidArgumentError, SizeLimitError

ENVIRONMENT_VARIABLE = "KPMODEL_MAX_MEMORY"
#: The share of the machine's physical memory work may use by default.
DEFAULT_SHARE = 0.6

_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*", re.IGNORECASE)

# A limit given as a keyword: a size, or None for "not given here".
Limit = int | float | str | None


def parse_size(value: object, *, source: str = "max_memory") -> int | None:
    """Return `value` (bytes, or text such as ``"8 GiB"``) as bytes; None for ``"none"``.

    `source` names where the value came from, for the error message.
    """
    if isinstance(value, bool):
        value = repr(value)  # not a size: fall through to the error below
    if isinstance(value, int | float) and not isinstance(value, bool):
        if math.isfinite(value) and value >= 1:  # less than a byte is no limit anyone means
            return int(value)
    elif isinstance(value, str):
        if value.strip().lower() in ("none", "unlimited", "off"):
            return None
        match = _SIZE.fullmatch(value)
        if match and match.group(2).lower() in _UNITS:
            size = float(match.group(1)) * _UNITS[match.group(2).lower()]
            if math.isfinite(size) and size >= 1:
                return int(size)
    msg = (
        f"{source} must be a positive number of bytes or a size such as '8 GiB' or '512 MB'"
        f" (or 'none' for no limit), got {value!r}"
    )
    raise InvalidArgumentError(msg)


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


def format_size(size: float) -> str:
    """Return `size` bytes as short text: ``'1.5 GiB'``, ``'3.2e+06 TiB'``."""
    if not math.isfinite(size):
        return "an unbounded amount"
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            amount = size / scale
            return f"{amount:.3g} {unit}" if amount < 1e6 else f"{amount:.2e} {unit}"
    return f"{int(size)} bytes"


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
    limit : int, float, str or None
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
