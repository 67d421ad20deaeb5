"""Conflict-diamond definitions as pluggable predicates, the case book, and comparisons.

A `Definition` judges a `Situation` (sourced evidence of who did what, where and when) and
returns a three-valued `Verdict` with its reasons. The catalogue holds the definition in
force (`KPCS_2003`) beside the reform proposals and adjacent regimes; `compare` puts them
side by side on the shipped `CaseBook` or on your own situations.

Each definition and case cites its public sources (publisher and URL), and each case-book
verdict says whose reading it is. A first look:

>>> d = kp.definitions
>>> book = d.CaseBook.default()
>>> d.KPCS_2003(book["zimbabwe-marange"]).outcome
Outcome.OUT
>>> d.CANADA_WDC_CSC_2018(book["zimbabwe-marange"]).outcome
Outcome.IN
"""

from kpmodel.definitions import _catalogue
from kpmodel.definitions._casebook import Case, CaseBook, Expected
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
from kpmodel.definitions._lots import Lots, conflict_shares, coverage
from kpmodel.definitions._plot import plot_coverage, plot_matrix
from kpmodel.definitions._principles import FRAME_7, Principle, Principles
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

#: The names of the built-in definitions, in catalogue order.
BUILTIN_NAMES = _catalogue.BUILTIN_NAMES
#: The definition in force: KPCS Core Document, Section I (in force since 1 January 2003).
KPCS_2003 = _catalogue.KPCS_2003
#: The US chair's 2012 proposal, as reported (proposal, not adopted).
US_CHAIR_2012 = _catalogue.US_CHAIR_2012
#: The Canada / WDC / CSC text tabled in 2018: the KPCS plus prongs (i) and (ii) (proposal).
CANADA_WDC_CSC_2018 = _catalogue.CANADA_WDC_CSC_2018
#: Russia's 2019-21 proposal: the KPCS widened to armed, terrorist, criminal groups (proposal).
RUSSIA_2019 = _catalogue.RUSSIA_2019
#: The ADPA text of 2025, without state actors (proposal, blocked Nov 2025).
ADPA_2025 = _catalogue.ADPA_2025
#: The EU's 2023 aim, standing in for the Western 2025 variant with state actors (position).
EU_2023 = _catalogue.EU_2023
#: OECD Due Diligence Guidance Annex II risk categories, as RJC applies them (adjacent regime).
OECD_ANNEX_II = _catalogue.OECD_ANNEX_II
#: The G7/EU ban on Russian-origin diamonds from 1 January 2024 (adjacent regime).
G7_RUSSIA_ORIGIN_2024 = _catalogue.G7_RUSSIA_ORIGIN_2024
#: US Dodd-Frank section 1502, applied to diamonds by analogy (adjacent regime).
DODD_FRANK_1502 = _catalogue.DODD_FRANK_1502
#: The KP Civil Society Coalition's own position: any perpetrator, widespread or systematic
#: violence, serious human-rights violations, environmental harm (position).
CSC_POSITION = _catalogue.CSC_POSITION

# Plain sorted() order, which tests/test_public_api.py checks; ruff's isort-style order
# would put the upper-case constants first.
__all__ = [  # noqa: RUF022
    "ADPA_2025",
    "Actor",
    "BUILTIN_NAMES",
    "CANADA_WDC_CSC_2018",
    "CSC_POSITION",
    "Case",
    "CaseBook",
    "Clause",
    "Comparison",
    "DODD_FRANK_1502",
    "Definition",
    "Designation",
    "EU_2023",
    "Expected",
    "FRAME_7",
    "G7_RUSSIA_ORIGIN_2024",
    "Harm",
    "KPCS_2003",
    "Link",
    "Lots",
    "OECD_ANNEX_II",
    "Outcome",
    "Period",
    "Place",
    "Principle",
    "Principles",
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
