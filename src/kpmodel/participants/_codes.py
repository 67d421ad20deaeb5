"""Country codes: ISO 3166-1 alpha-2 through pycountry, plus the KP's own participant codes."""

from __future__ import annotations

import functools

import pycountry

from kpmodel._boundary import SPECIAL_CODES as _SPECIAL_CODES
from kpmodel._boundary import is_participant_code, participant_code
from kpmodel.errors import UnknownCodeError

#: Codes that are KP participants but not ISO 3166-1 countries.
SPECIAL_CODES = _SPECIAL_CODES


def country_name(code: str) -> str:
    """Return the name of a country or participant `code`.

    Parameters
    ----------
    code : str
        ISO 3166-1 alpha-2 code (two capital letters), or ``"EU"``.

    Raises
    ------
    kpmodel.errors.UnknownCodeError
        If `code` is not a known code.

    Examples
    --------
    >>> kp.participants.country_name("CF")
    'Central African Republic'
    """
    # Checked before the cache: an unhashable argument is an UnknownCodeError, not a TypeError.
    return _name(participant_code(code, path="code", error=UnknownCodeError))


@functools.cache
def _name(code: str) -> str:
    if code in SPECIAL_CODES:
        return SPECIAL_CODES[code]
    country = pycountry.countries.get(alpha_2=code)
    assert country is not None  # participant_code accepted it, so pycountry knows it
    return str(country.name)


def is_country_code(code: object) -> bool:
    """Return whether `code` is an ISO 3166-1 alpha-2 code or a special participant code.

    Examples
    --------
    >>> kp.participants.is_country_code("EU"), kp.participants.is_country_code("XX")
    (True, False)
    """
    return is_participant_code(code)
