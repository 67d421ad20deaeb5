"""Hypothesis strategies that generate valid kpmodel objects.

Install the ``testing`` extra to use them: ``pip install kpmodel[testing]``.
Every strategy builds valid objects by construction and shrinks towards small, simple ones.
Each part of kpmodel keeps its strategies in a private module next to this one; this module
is the one public place to import them from.
"""

try:
    import hypothesis  # noqa: F401  (imported only to give a helpful error when missing)
except ImportError as exc:  # pragma: no cover - depends on the environment
    msg = "kpmodel.testing.strategies needs Hypothesis: pip install 'kpmodel[testing]'"
    raise ImportError(msg) from exc

from kpmodel.testing._arguments import InvalidStrategyArgumentError
from kpmodel.testing._certificates_strategies import (
    DEFECTS,
    certificates,
    defective_certificates,
    ledgers,
    parcels,
    participants,
    parties,
    shipments,
)
from kpmodel.testing._definitions_strategies import (
    clauses,
    definitions,
    designations,
    periods,
    places,
    situations,
)
from kpmodel.testing._hostile_strategies import (
    hostile_bytes,
    hostile_csv,
    hostile_documents,
    hostile_frames,
    hostile_json,
    hostile_toml,
    hostile_values,
)
from kpmodel.testing._ledger_strategies import declared_origins, ledger_tables
from kpmodel.testing._participants_strategies import registers
from kpmodel.testing._provenance_strategies import provenance_frames, provenance_graphs
from kpmodel.testing._simulation_strategies import lever_values, scenarios
from kpmodel.testing._statistics_strategies import statistics_frames, statistics_tables

__all__ = [
    "DEFECTS",
    "InvalidStrategyArgumentError",
    "certificates",
    "clauses",
    "declared_origins",
    "defective_certificates",
    "definitions",
    "designations",
    "hostile_bytes",
    "hostile_csv",
    "hostile_documents",
    "hostile_frames",
    "hostile_json",
    "hostile_toml",
    "hostile_values",
    "ledger_tables",
    "ledgers",
    "lever_values",
    "parcels",
    "participants",
    "parties",
    "periods",
    "places",
    "provenance_frames",
    "provenance_graphs",
    "registers",
    "scenarios",
    "shipments",
    "situations",
    "statistics_frames",
    "statistics_tables",
]
