"""Map the country names the statistics spell to ISO 3166-1 alpha-2 codes."""

from __future__ import annotations

import functools

import pycountry

from kpmodel.errors import UnknownCodeError

#: Names that pycountry does not resolve by itself, or resolves to something else.
#: Keys are spelled exactly as the KP statistics or ITC Trade Map spell them.
NAME_OVERRIDES: dict[str, str] = {
    # KP statistics spellings.
    "China, People's Republic of": "CN",
    "Congo, Democratic Republic of": "CD",
    "Congo, Republic of": "CG",
    "Cote D'ivoire": "CI",
    # The EU is one KP participant; "EU" is its participant code (not an ISO 3166-1 country,
    # but the exceptionally reserved alpha-2 code).
    "European Union": "EU",
    # ITC Trade Map spellings.
    "Congo, Democratic Republic of the": "CD",
    "French Southern and Antarctic Territories": "TF",
    "Hong Kong, China": "HK",
    "Libya, State of": "LY",
    "Macao, China": "MO",
    "Macedonia, North": "MK",
    "Saint Helena": "SH",
    # Chinese Taipei's trading entity; the KP register uses "TW" for it.
    "Taipei, Chinese": "TW",
    "Wallis and Futuna Islands": "WF",
    # Former countries: their withdrawn ISO 3166-1 alpha-2 codes (pycountry historic_countries).
    "Netherlands Antilles": "AN",
    "Serbia and Montenegro": "CS",
    # Sudan before South Sudan's independence (ITC reports it separately up to 2011).
    "Sudan (before 2012)": "SD",
}

#: ITC Trade Map reporters that are aggregates, not countries: they get no code.
AGGREGATE_REPORTERS: frozenset[str] = frozenset({"World", "Free Zones", "Ship stores and bunkers"})


@functools.cache
def country_code(name: str) -> str | None:
    """Return the ISO 3166-1 alpha-2 code (or "EU") for a name from the statistics.

    Returns None for the aggregate reporters of ITC Trade Map ("World", ...).
    """
    if name in AGGREGATE_REPORTERS:
        return None
    if name in NAME_OVERRIDES:
        return NAME_OVERRIDES[name]
    try:
        return str(pycountry.countries.lookup(name).alpha_2)
    except LookupError:
        msg = (
            f"country name {name!r} has no ISO 3166-1 code known to pycountry; "
            "add it to kpmodel.datasets._countries.NAME_OVERRIDES"
        )
        raise UnknownCodeError(msg) from None
