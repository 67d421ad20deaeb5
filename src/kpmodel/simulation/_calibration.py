"""Producers calibrated on the shipped KP production table (`[calibration]` in a scenario)."""

from __future__ import annotations

import functools
import importlib.resources
import io
import math
from typing import Any

import pandas as pd

from kpmodel.simulation import _toml

_KINDS = {"all": "unspecified", "artisanal_small_scale": "artisanal", "large_scale": "industrial"}
_KEYS = {"table", "year", "value_sigma", "exports", "skip", "sources", "assumptions"}


@functools.cache
def production_table() -> pd.DataFrame:
    """Return the shipped annual KP production table (see ``data/kp_production_annual.csv``).

    Examples
    --------
    >>> table = kp.simulation.production_table()
    >>> list(table.columns)
    ['participant', 'year', 'production_type', 'carats', 'value_usd', 'halves']
    >>> round(float(table.query("year == 2019").carats.sum()) / 1e6, 1)
    138.1
    """
    text = (
        importlib.resources.files("kpmodel.simulation")
        .joinpath("data/kp_production_annual.csv")
        .read_text(encoding="utf-8")
    )
    # keep_default_na=False: Namibia's code "NA" is a country, not a missing value
    table = pd.read_csv(io.StringIO(text), comment="#", keep_default_na=False)
    return table.astype({"participant": "string", "production_type": "string"})


def calibrated_producers(
    collector: object, calibration: object, listed: object
) -> list[dict[str, Any]] | None:
    """Return producer tables for every participant producing in the calibration year."""
    path = "calibration"
    if not isinstance(calibration, dict):
        _toml.fail(collector, path, f"must be a table, got {calibration!r}")
        return None
    problems = False
    for key in sorted(calibration.keys() - _KEYS):
        _toml.fail(collector, f"{path}.{key}", f"is not a known key; known: {sorted(_KEYS)}")
        problems = True
    for key in ("table", "year", "value_sigma", "exports"):
        if key not in calibration:
            _toml.fail(collector, f"{path}.{key}", "is required but missing")
            problems = True
    if problems:
        return None
    if calibration["table"] != "kp-production":
        msg = f"must be 'kp-production' (the shipped table), got {calibration['table']!r}"
        _toml.fail(collector, f"{path}.table", msg)
        return None
    table = production_table()
    year = calibration["year"]
    rows = table[table.year == year]
    if rows.empty:
        years = sorted(set(table.year))
        msg = f"must be a year of the table ({years[0]}-{years[-1]}; 2024 is incomplete)"
        _toml.fail(collector, f"{path}.year", f"{msg}, got {year!r}")
        return None
    sigma = calibration["value_sigma"]
    if not isinstance(sigma, int | float) or isinstance(sigma, bool) or sigma < 0:
        _toml.fail(collector, f"{path}.value_sigma", f"must be a number >= 0, got {sigma!r}")
        return None
    skip = set(calibration.get("skip", []))
    producers: list[dict[str, Any]] = []
    for country, group in rows.groupby("participant", sort=True):
        if country in skip:
            continue
        zones = []
        for row in group.itertuples():
            mean = float(row.value_usd) / float(row.carats)
            zones.append(
                {
                    "name": str(row.production_type),
                    "annual_carats": float(row.carats),
                    # log-normal: mean = median * exp(sigma^2 / 2), so the totals match
                    "value_per_carat": {
                        "median": round(mean / math.exp(sigma**2 / 2), 6),
                        "sigma": sigma,
                    },
                    "kind": _KINDS[str(row.production_type)],
                    "sources": list(calibration.get("sources", [])),
                    "assumptions": list(calibration.get("assumptions", [])),
                }
            )
        producers.append({"country": country, "zones": zones, "exports": calibration["exports"]})
    return producers + (list(listed) if isinstance(listed, list) else [])
