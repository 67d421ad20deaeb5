"""One parser for the `on=` dates that public functions take."""

from __future__ import annotations

import datetime as dt

from kpmodel.errors import InvalidArgumentError


def as_date(value: object, *, name: str = "on") -> dt.date:
    """Return `value` as a date: a `datetime.date`, or ISO text such as ``"2013-05-23"``.

    A `datetime.datetime` is refused rather than truncated: KP rules apply by calendar day.
    """
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    msg = (
        f"'{name}' must be a datetime.date or an ISO date such as '2013-05-23', "
        f"got {value!r} (type={type(value).__name__})"
    )
    raise InvalidArgumentError(msg)
