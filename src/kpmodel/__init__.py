"""kpmodel: model the Kimberley Process Certification Scheme.

The top level re-exports the names most scripts need; every part also has its own package
(`kpmodel.participants`, `kpmodel.certificates`, `kpmodel.rules`, ...) with its full API.

For example:

>>> import importlib.metadata
>>> import kpmodel as kp
>>> kp.__version__ == importlib.metadata.version("kpmodel")
True
"""

from kpmodel import (
    certificates,
    datasets,
    definitions,
    errors,
    ledger,
    participants,
    provenance,
    report,
    rules,
    simulation,
    statistics,
)
from kpmodel.definitions import compare
from kpmodel.errors import KPModelError
from kpmodel.ledger import Ledger
from kpmodel.provenance import ProvenanceGraph, origin_shares
from kpmodel.rules import check

#: The version, defined here only (pyproject.toml reads it; so do the wheel's metadata).
__version__ = "0.2.0.dev0"

__all__ = [
    "KPModelError",
    "Ledger",
    "ProvenanceGraph",
    "__version__",
    "certificates",
    "check",
    "compare",
    "datasets",
    "definitions",
    "errors",
    "ledger",
    "origin_shares",
    "participants",
    "provenance",
    "report",
    "rules",
    "simulation",
    "statistics",
]
