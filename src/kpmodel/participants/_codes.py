"""Country codes: ISO 3166-1 alpha-2 through pycountry, plus the KP's own participant codes."""

from __future__ import annotations

import functools

import pycountry

from kpmodel.errors import UnknownCodeError

#: Codes that are KP participants but not ISO 3166-1 countries.
SPECIAL_CODES = {"EU": "European Union"}


@functools.cache
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
    if code in SPECIAL_CODES:
        return SPECIAL_CODES[code]
    if not isinstance(code, str) or len(code) != 2 or not code.isalpha() or not code.isupper():
        msg = f"{code!r} is not an ISO 3166-1 alpha-2 code: use two capital letters, such as 'BW'"
        raise UnknownCodeError(msg)
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        msg = f"{code!r} is not an ISO 3166-1 alpha-2 country code; check the spelling"
        raise UnknownCodeError(msg)
    return str(country.name)


def is_country_code(code: object) -> bool:
    """Return whether `code` is an ISO 3166-1 alpha-2 code or a special participant code.

    Examples
    --------
    >>> kp.participants.is_country_code("EU"), kp.participants.is_country_code("XX")
    (True, False)
    """
    if not isinstance(code, str):
        return False
    try:
        country_name(code)
    except UnknownCodeError:
        return False
    return True
