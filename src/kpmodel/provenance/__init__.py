"""Provenance of rough diamonds: lots, mixing, origin attribution and audits.

A `ProvenanceGraph` records lots of rough diamonds as they are produced, split, mixed,
shipped, smuggled and seized. `origin_shares` traces every lot's carats back to where they
were mined; `declared_origins`, `opacity` and `audit` compare that truth with what the
certificates along the chain show.
"""

from kpmodel.provenance._graph import Kind, ProvenanceGraph
from kpmodel.provenance._shares import (
    UNKNOWN,
    MixingRule,
    OriginShares,
    de_minimis,
    origin_shares,
    proportional,
    taint,
)

__all__ = [
    "UNKNOWN",
    "Kind",
    "MixingRule",
    "OriginShares",
    "ProvenanceGraph",
    "de_minimis",
    "origin_shares",
    "proportional",
    "taint",
]
