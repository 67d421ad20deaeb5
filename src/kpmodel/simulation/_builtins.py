"""The built-in scenarios, shipped as TOML files with their sources."""

from __future__ import annotations

import importlib.resources

from kpmodel.errors import UnknownCodeError
from kpmodel.simulation._scenario import Scenario

_NAMES = ("car-2013", "car-2021", "congo-brazzaville-2004", "russia-2024", "world-baseline")


def builtins() -> tuple[str, ...]:
    """Return the names of the built-in scenarios.

    Examples
    --------
    >>> kp.simulation.builtins()
    ('car-2013', 'car-2021', 'congo-brazzaville-2004', 'russia-2024', 'world-baseline')
    """
    return _NAMES


def builtin_text(name: str) -> str:
    """Return the TOML text of a built-in scenario, to read its sources or copy and edit it.

    Examples
    --------
    >>> "UN Panel of Experts" in kp.simulation.builtin_text("car-2013")
    True
    """
    if name not in _NAMES:
        msg = f"{name!r} is not a built-in scenario; the built-ins are: {', '.join(_NAMES)}"
        raise UnknownCodeError(msg)
    resource = importlib.resources.files("kpmodel.simulation").joinpath(f"data/{name}.toml")
    return resource.read_text(encoding="utf-8")


def builtin(name: str) -> Scenario:
    """Return a built-in scenario by name (see `builtins`).

    Raises
    ------
    kpmodel.errors.UnknownCodeError
        If `name` is not a built-in scenario.

    Examples
    --------
    >>> scenario = kp.simulation.builtin("congo-brazzaville-2004")
    >>> [route.target for route in scenario.routes]
    ['CG']
    """
    return Scenario.from_toml_text(builtin_text(name), source=f"built-in scenario {name!r}")


def world_baseline(year: int) -> Scenario:
    """Return the ``world-baseline`` scenario calibrated on another year of KP production.

    Production per participant comes from `production_table` for `year` (2003-2024; 2024
    holds mostly the first half year only); hubs and controls are those of the built-in.

    Raises
    ------
    kpmodel.errors.LoadError
        If the table has no production for `year`.

    Examples
    --------
    >>> scenario = kp.simulation.world_baseline(2008)
    >>> scenario.start_year
    2008
    >>> guinea = next(p for p in scenario.producers if p.country == "GN")
    >>> round(float(guinea.zones[0].annual_carats) / 1e6, 2)
    3.1
    """
    import tomllib

    from kpmodel.simulation._toml import structure_scenario

    data = tomllib.loads(builtin_text("world-baseline"))
    data["calibration"]["year"] = year
    data["start_year"] = year
    data["seed"] = year
    data["name"] = f"world-baseline-{year}"
    return structure_scenario(data, source=f"world-baseline calibrated on {year}")
