"""Provenance of rough diamonds: lots, mixing, origin attribution and audits.

A `ProvenanceGraph` records lots of rough diamonds as they are produced, split, mixed,
shipped, smuggled and seized. `origin_shares` traces every lot's carats back to where they
were mined; `declared_origins`, `opacity` and `audit` compare that truth with what the
certificates along the chain show; `explain` gives the paths behind a share.
"""

from kpmodel.provenance._audit import Finding, FindingPaths, audit, opacity
from kpmodel.provenance._explain import Explanation, Path, explain
from kpmodel.provenance._graph import Kind, ProvenanceGraph
from kpmodel.provenance._mass_balance import (
    input_shares,
    lot_carats,
    lot_column,
    propagate,
    unknown_fraction,
)
from kpmodel.provenance._paperwork import MIXED, declare_origin, declared_origins
from kpmodel.provenance._plot import plot_case, plot_flows, plot_shares
from kpmodel.provenance._shares import (
    UNKNOWN,
    OriginShares,
    de_minimis,
    origin_shares,
    proportional,
    taint,
)
from kpmodel.provenance._trace import describe_lot, read_graph, trace

__all__ = [  # noqa: RUF022 (plain sorted order, as tests/test_public_api.py checks)
    "Explanation",
    "Finding",
    "FindingPaths",
    "Kind",
    "MIXED",
    "OriginShares",
    "Path",
    "ProvenanceGraph",
    "UNKNOWN",
    "audit",
    "de_minimis",
    "declare_origin",
    "declared_origins",
    "describe_lot",
    "explain",
    "input_shares",
    "lot_carats",
    "lot_column",
    "opacity",
    "origin_shares",
    "plot_case",
    "plot_flows",
    "plot_shares",
    "propagate",
    "proportional",
    "read_graph",
    "taint",
    "trace",
    "unknown_fraction",
]
