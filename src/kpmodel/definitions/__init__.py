"""Conflict-diamond definitions as pluggable predicates, the case book, and comparisons.

A `Definition` judges a `Situation` (sourced evidence of who did what, where and when) and
returns a three-valued `Verdict` with its reasons. The catalogue holds the definition in
force (`KPCS_2003`) beside the reform proposals and adjacent regimes; `compare` puts them
side by side on the shipped `CaseBook` or on your own situations.

Facts come from the domain brief ``definitions.md``; each definition and case cites its
sources. A first look:

>>> d = kp.definitions
>>> book = d.CaseBook.default()
>>> d.KPCS_2003(book["zimbabwe-marange"]).outcome
Outcome.OUT
>>> d.CANADA_WDC_CSC_2018(book["zimbabwe-marange"]).outcome
Outcome.IN
"""

from kpmodel.definitions._casebook import Case, CaseBook, Expected
from kpmodel.definitions._catalogue import (
    ADPA_2025,
    BUILTIN_NAMES,
    CANADA_WDC_CSC_2018,
    DODD_FRANK_1502,
    EU_2023,
    G7_RUSSIA_ORIGIN_2024,
    KPCS_2003,
    OECD_ANNEX_II,
    RUSSIA_2019,
    US_CHAIR_2012,
)
from kpmodel.definitions._compare import Comparison, compare
from kpmodel.definitions._definition import (
    Clause,
    Definition,
    Reason,
    Verdict,
    actor_in,
    designated_by,
    during,
    harm_in,
    link_in,
    place_in,
    scale_in,
    target_in,
)
from kpmodel.definitions._evidence import Designation, Period, Place, Situation
from kpmodel.definitions._lots import conflict_shares, coverage
from kpmodel.definitions._plot import plot_coverage, plot_matrix
from kpmodel.definitions._registry import available, get
from kpmodel.definitions._vocabulary import (
    Actor,
    Harm,
    Link,
    Outcome,
    Scale,
    Status,
    Target,
    Wording,
)

# Plain sorted() order, which tests/test_public_api.py checks; ruff's isort-style order
# would put the upper-case constants first.
__all__ = [  # noqa: RUF022
    "ADPA_2025",
    "Actor",
    "BUILTIN_NAMES",
    "CANADA_WDC_CSC_2018",
    "Case",
    "CaseBook",
    "Clause",
    "Comparison",
    "DODD_FRANK_1502",
    "Definition",
    "Designation",
    "EU_2023",
    "Expected",
    "G7_RUSSIA_ORIGIN_2024",
    "Harm",
    "KPCS_2003",
    "Link",
    "OECD_ANNEX_II",
    "Outcome",
    "Period",
    "Place",
    "RUSSIA_2019",
    "Reason",
    "Scale",
    "Situation",
    "Status",
    "Target",
    "US_CHAIR_2012",
    "Verdict",
    "Wording",
    "actor_in",
    "available",
    "compare",
    "conflict_shares",
    "coverage",
    "designated_by",
    "during",
    "get",
    "harm_in",
    "link_in",
    "place_in",
    "plot_coverage",
    "plot_matrix",
    "scale_in",
    "target_in",
]
