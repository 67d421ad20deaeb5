"""Simulate smuggling through mixed-origin certificates: scenarios, seeded runs and sweeps.

A `Scenario` (loaded from TOML, or a built-in) describes producers and their zones, smuggling
routes, neighbours that certify smuggled goods as their own, hubs that mix and re-export, the
controls in force and the policy levers. `run` simulates it with numpy, lots held in arrays.
`sweep` runs it over lever values, a design over uncertain inputs (named by scenario paths
such as ``"hubs[0].markup"``: field names and ``[index]`` joined by dots, as the TOML file
nests them) and seeds; `summarise` and `sensitivity` read the table.

>>> scenario = kp.simulation.builtin("car-2013")
>>> scenario.routes[0].source, scenario.routes[0].target
('CF', 'CM')
"""

from kpmodel.simulation._analysis import (
    SweepSummary,
    plot_sensitivity,
    plot_summary,
    sensitivity,
    summarise,
)
from kpmodel.simulation._builtins import builtin, builtin_text, builtins, world_baseline
from kpmodel.simulation._calibration import production_table
from kpmodel.simulation._result import SimulationResult, run
from kpmodel.simulation._scenario import (
    LEVERS,
    Controls,
    Destination,
    Hub,
    Neighbour,
    Producer,
    Route,
    Scenario,
    Share,
    ValuePerCarat,
    Zone,
)
from kpmodel.simulation._summary import (
    HEADLINE_METRICS,
    headline_metrics,
    sweep_means,
    sweep_summary,
)
from kpmodel.simulation._sweep import sweep

__all__ = [  # noqa: RUF022 - plain sorted() order, which tests/test_public_api.py checks
    "Controls",
    "Destination",
    "HEADLINE_METRICS",
    "Hub",
    "LEVERS",
    "Neighbour",
    "Producer",
    "Route",
    "Scenario",
    "Share",
    "SimulationResult",
    "SweepSummary",
    "ValuePerCarat",
    "Zone",
    "builtin",
    "builtin_text",
    "builtins",
    "headline_metrics",
    "plot_sensitivity",
    "plot_summary",
    "production_table",
    "run",
    "sensitivity",
    "summarise",
    "sweep",
    "sweep_means",
    "sweep_summary",
    "world_baseline",
]
