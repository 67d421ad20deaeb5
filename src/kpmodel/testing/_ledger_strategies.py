"""Hypothesis strategies for declared origins and `Ledger` tables."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from kpmodel.certificates import DeclaredOrigin
from kpmodel.ledger import Ledger
from kpmodel.testing._arguments import register_or_default, strategy_or_none
from kpmodel.testing._certificates_strategies import _ORIGINS, ledger_bounds, ledgers

__all__ = ["declared_origins", "ledger_tables"]

# The optional columns a ledger may leave out, parties as whole triples.
_DROPPABLE: tuple[tuple[str, ...], ...] = (
    ("issuing_authority",),
    ("exporter_name", "exporter_address", "exporter_country"),
    ("importer_name", "importer_address", "importer_country"),
    ("expires",),
    ("number_of_parcels",),
    ("kp_statement",),
    ("validated",),
    ("language",),
    ("english_translation",),
    ("forgery_resistant",),
    ("zone",),
    ("departed",),
    ("received",),
)


def declared_origins(
    *, countries: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[DeclaredOrigin]:
    """Return a strategy for declared origins: one country, or mixed listing zero or more.

    Shrinks towards a single origin from the first country.

    Parameters
    ----------
    countries : strategy of str, optional
        The country codes to draw from; by default producing countries named in kpmodel's sources.

    Examples
    --------
    >>> from hypothesis import given
    >>> from kpmodel.testing.strategies import declared_origins
    >>> @given(declared_origins())
    ... def test_text_round_trip(origin):
    ...     assert kp.certificates.DeclaredOrigin.parse(str(origin)) == origin
    >>> test_text_round_trip()
    """
    codes = strategy_or_none("declared_origins", "countries", countries)
    if codes is None:
        codes = st.sampled_from(_ORIGINS)
    return st.one_of(
        codes.map(DeclaredOrigin.single),
        st.lists(codes, max_size=4, unique=True).map(DeclaredOrigin.mixed),
    )


@st.composite
def _table(draw: st.DrawFn, *, min_size: int, max_size: int, register: Any) -> Ledger:
    records = draw(ledgers(min_size=min_size, max_size=max_size, register=register))
    frame = Ledger.from_records(records).to_frame()
    present = [group for group in _DROPPABLE if group[0] in frame.columns]
    dropped = draw(st.lists(st.sampled_from(present), unique=True)) if present else []
    gone = {name for group in dropped for name in group}
    return Ledger.from_frame(frame[[c for c in frame.columns if c not in gone]])


def ledger_tables(
    *, min_size: int = 0, max_size: int = 5, register: Any = None
) -> st.SearchStrategy[Ledger]:
    """Return a strategy for `kpmodel.Ledger` tables of valid certificates.

    Built from `ledgers` (certificates, shipments and import confirmations, so some
    tables have ``departed`` and ``received``), then without a random set of optional
    columns (a party's three columns go together). Between `min_size` and `max_size`
    certificates. Shrinks towards fewer certificates with every column.

    Parameters
    ----------
    min_size, max_size : int
        Bounds on the number of certificates, as for `ledgers`.
    register : kpmodel.participants.Register, optional

    Raises
    ------
    InvalidStrategyArgumentError
        When the strategy is made (not when it is drawn from), for bounds that are not
        ints in the ranges of `ledgers` or out of order and a `register` that is not a
        `kpmodel.participants.Register`.

    Examples
    --------
    >>> from hypothesis import given
    >>> from kpmodel.testing.strategies import ledger_tables
    >>> @given(ledger_tables(max_size=3))
    ... def test_records(ledger):
    ...     assert len(ledger.records()) == ledger.number_of_certificates
    >>> test_records()
    """
    least, most = ledger_bounds("ledger_tables", min_size, max_size)
    return _table(
        min_size=least, max_size=most, register=register_or_default("ledger_tables", register)
    )
