"""Designs over uncertain inputs: scenario paths, their ranges, and the points a sweep runs.

A *path* names one number of a scenario the way its TOML file nests it:
``"hubs[0].markup"``, ``"routes[1].probability"``, ``"controls.border_controls"``,
``"producers[0].zones[1].annual_carats"``. `set_paths` returns a copy of a scenario with
numbers changed, validated as any scenario is, so a value outside a parameter's domain (a
probability above 1, routes that sum past 1) is an error before any run starts.

Designs (``design=`` of `sweep`):

- ``"full"``: every combination; each uncertain input takes ``samples`` evenly spaced
  values from its low to its high end.
- ``"lhs"``: a Latin hypercube of ``samples`` points: each input's range is cut into
  ``samples`` equal strata and every stratum holds exactly one point
  (`scipy.stats.qmc.LatinHypercube`).
- ``"sobol"``: the Saltelli scheme for first-order and total Sobol indices: two scrambled
  Sobol' matrices A and B of ``samples`` rows (`scipy.stats.qmc.Sobol`; ``samples`` a power
  of 2), and for every input the matrix A with that input's column from B. The
  ``samples * (d + 2)`` points are in the order SALib reads (for each row: A, the d mixed
  rows, B), so `sensitivity` hands the outputs to SALib as they are.

The design's random draws come from the scenario's seed: the same call gives the same points.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from kpmodel.errors import InvalidArgumentError, InvalidRecordError
from kpmodel.simulation._scenario import LEVERS, Scenario

DESIGNS: tuple[str, ...] = ("full", "lhs", "sobol")
_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)")
_INDEX = re.compile(r"\[(\d+)\]")

FloatArray = npt.NDArray[np.float64]


def parse_path(path: object) -> tuple[str | int, ...]:
    """Split ``"hubs[0].markup"`` into ``("hubs", 0, "markup")``; raise on bad syntax."""
    if not isinstance(path, str) or not path:
        msg = f"a scenario path must be text such as 'hubs[0].markup', got {path!r}"
        raise InvalidArgumentError(msg)
    steps: list[str | int] = []
    for part in path.split("."):
        match = _STEP.fullmatch(part)
        if match is None:
            msg = (
                f"{path!r} is not a scenario path: write names and [indices] joined by dots, "
                "such as 'hubs[0].markup' or 'controls.border_controls'"
            )
            raise InvalidArgumentError(msg)
        steps.append(match.group(1))
        steps.extend(int(i) for i in _INDEX.findall(match.group(2)))
    return tuple(steps)


def _child(node: object, step: str | int, path: str) -> object:
    if isinstance(step, int):
        if isinstance(node, tuple) and 0 <= step < len(node):
            return node[step]
        size = len(node) if isinstance(node, tuple) else "no"
        msg = f"{path!r} does not exist in the scenario: index {step} of a list of {size} items"
        raise InvalidArgumentError(msg)
    if isinstance(node, Mapping):
        if step in node:
            return node[step]
        msg = f"{path!r} does not exist in the scenario: no key {step!r} (keys: {sorted(node)})"
        raise InvalidArgumentError(msg)
    cls: Any = type(node)
    if attrs.has(cls) and step in attrs.fields_dict(cls):
        return getattr(node, step)
    known = sorted(attrs.fields_dict(cls)) if attrs.has(cls) else []
    msg = (
        f"{path!r} does not exist in the scenario: {type(node).__name__} has no field {step!r}"
        + (f"; its fields: {', '.join(known)}" if known else "")
    )
    raise InvalidArgumentError(msg)


def get_path(scenario: Scenario, path: str) -> object:
    """Return the value at `path` of `scenario` (`InvalidArgumentError` if there is none)."""
    node: object = scenario
    for step in parse_path(path):
        node = _child(node, step, path)
    return node


def _replace(node: object, steps: tuple[str | int, ...], value: object, path: str) -> object:
    if not steps:
        return value
    step, rest = steps[0], steps[1:]
    child = _replace(_child(node, step, path), rest, value, path)
    if isinstance(step, int):
        assert isinstance(node, tuple)
        return (*node[:step], child, *node[step + 1 :])
    if isinstance(node, Mapping):
        return {**node, step: child}
    record: Any = node
    return attrs.evolve(record, **{step: child})


def set_paths(scenario: Scenario, values: Mapping[str, object]) -> Scenario:
    """Return a copy of `scenario` with the value at every path of `values` replaced.

    Raises
    ------
    kpmodel.errors.InvalidArgumentError
        For a path the scenario does not have, or a value the scenario rejects (the
        message names the path and says why).
    """
    current: object = scenario
    for path, value in values.items():
        steps = parse_path(path)
        try:
            current = _replace(current, steps, value, path)
        except (InvalidRecordError, TypeError, ValueError) as exc:  # attrs' validators too
            # attrs' own validators put the message first in a tuple of arguments
            reason = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
            msg = f"{path!r} = {value!r} is outside the parameter's domain: {reason}"
            raise InvalidArgumentError(msg) from exc
    assert isinstance(current, Scenario)
    return current


def is_number(value: object) -> bool:
    """Whether `value` is a real number (not a bool)."""
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def check_uncertainties(
    scenario: Scenario, uncertainties: object
) -> dict[str, tuple[float, float]]:
    """Validate `uncertainties` (path to ``(low, high)``) against `scenario`, every problem
    named by its input; return them as floats.
    """
    if not isinstance(uncertainties, Mapping):
        msg = (
            "uncertainties must map scenario paths to (low, high) ranges, such as "
            f"{{'hubs[0].markup': (1.0, 1.5)}}; got {uncertainties!r}"
        )
        raise InvalidArgumentError(msg)
    ranges: dict[str, tuple[float, float]] = {}
    for path, bounds in uncertainties.items():
        if isinstance(path, str) and path in LEVERS:
            msg = (
                f"uncertainties[{path!r}]: name the lever by its scenario path, such as "
                f"'controls.{path}'"
            )
            raise InvalidArgumentError(msg)
        value = get_path(scenario, path)
        # None: an optional rate left to the scenario's (a hub's own traceability); the
        # record's validators say whether a number may go there
        if value is not None and not is_number(value):
            shown = repr(value) if isinstance(value, str | bool) else f"a {type(value).__name__}"
            msg = (
                f"uncertainties[{path!r}]: only numbers can be uncertain; the scenario has "
                f"{shown} there"
            )
            raise InvalidArgumentError(msg)
        if (
            not isinstance(bounds, tuple | list)
            or len(bounds) != 2
            or not all(is_number(b) and math.isfinite(float(b)) for b in bounds)
            or not float(bounds[0]) < float(bounds[1])
        ):
            msg = (
                f"uncertainties[{path!r}] must be a (low, high) pair of finite numbers with "
                f"low < high; got {bounds!r}"
            )
            raise InvalidArgumentError(msg)
        low, high = float(bounds[0]), float(bounds[1])
        for end in (low, high):
            try:
                set_paths(scenario, {path: _typed(value, end)})
            except InvalidArgumentError as exc:
                msg = f"uncertainties[{path!r}] = ({low!r}, {high!r}): {exc}"
                raise InvalidArgumentError(msg) from exc
        ranges[path] = (low, high)
    if ranges:
        for end in (0, 1):
            corner = {p: _typed(get_path(scenario, p), r[end]) for p, r in ranges.items()}
            try:
                set_paths(scenario, corner)
            except InvalidArgumentError as exc:
                which = "low" if end == 0 else "high"
                msg = (
                    f"uncertainties {sorted(ranges)}: with every input at its {which} end the "
                    f"scenario is invalid: {exc}"
                )
                raise InvalidArgumentError(msg) from exc
    return ranges


def _typed(current: object, value: float) -> object:
    """`value` in the type the scenario holds at that path (Decimal stays Decimal)."""
    return Decimal(repr(value)) if isinstance(current, Decimal) else value


def settings_of(scenario: Scenario, values: Mapping[str, object]) -> Scenario:
    """Apply a run's settings: levers by name, then the numbers at scenario paths."""
    levers = {k: v for k, v in values.items() if k in LEVERS}
    paths = {
        k: _typed(get_path(scenario, k), _as_float(v)) if is_number(v) else v
        for k, v in values.items()
        if k not in LEVERS and k != "sample"
    }
    changed = scenario.with_levers(**levers) if levers else scenario
    return set_paths(changed, paths) if paths else changed


def _as_float(value: object) -> float:
    assert isinstance(value, int | float | Decimal)
    return float(value)


def check_samples(design: str, samples: object, has_inputs: bool) -> int | None:
    """Validate `design` and `samples`; return the number of samples (None if unused)."""
    if design not in DESIGNS:
        msg = f"design must be one of {', '.join(map(repr, DESIGNS))}; got {design!r}"
        raise InvalidArgumentError(msg)
    if design != "full" and not has_inputs:
        msg = f"design={design!r} needs uncertainties (scenario paths with (low, high) ranges)"
        raise InvalidArgumentError(msg)
    if not has_inputs:
        if samples is not None:
            msg = f"samples={samples!r} needs uncertainties to sample; give them or drop it"
            raise InvalidArgumentError(msg)
        return None
    if samples is None:
        what = {
            "full": "the number of evenly spaced values per uncertain input",
            "lhs": "the number of Latin hypercube points",
            "sobol": "the number of base rows of the Saltelli scheme (a power of 2)",
        }[design]
        msg = f"design={design!r} needs samples= ({what}); got none"
        raise InvalidArgumentError(msg)
    smallest = 2 if design in ("full", "sobol") else 1
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < smallest:
        msg = f"samples must be an integer of at least {smallest}; got {samples!r}"
        raise InvalidArgumentError(msg)
    if design == "sobol" and samples & (samples - 1):
        below = 1 << (samples.bit_length() - 1)
        msg = (
            f"samples for design='sobol' must be a power of 2 (Sobol' points are balanced only "
            f"then); got {samples!r}: use {below} or {below * 2}"
        )
        raise InvalidArgumentError(msg)
    return samples


def design_points(
    ranges: Mapping[str, tuple[float, float]], design: str, samples: int, seed: int
) -> FloatArray:
    """Return the design's points: a row per point, a column per input, in natural units."""
    from scipy.stats import qmc

    d = len(ranges)
    low = np.array([r[0] for r in ranges.values()])
    high = np.array([r[1] for r in ranges.values()])
    rng = np.random.default_rng(seed)
    if design == "full":
        levels = [np.linspace(lo, hi, samples) for lo, hi in zip(low, high, strict=True)]
        return np.array(list(itertools.product(*levels)), dtype=np.float64).reshape(-1, d)
    if design == "lhs":
        unit = _engine(qmc.LatinHypercube, d, rng).random(samples)
        points: FloatArray = low + unit * (high - low)
        return points
    base = _engine(qmc.Sobol, 2 * d, rng).random(samples)
    a, b = base[:, :d], base[:, d:]
    rows = []
    for i in range(samples):
        rows.append(a[i])
        for j in range(d):
            mixed = a[i].copy()
            mixed[j] = b[i, j]
            rows.append(mixed)
        rows.append(b[i])
    unit = np.array(rows)
    saltelli: FloatArray = low + unit * (high - low)
    return saltelli


def _engine(kind: Any, d: int, rng: np.random.Generator) -> Any:
    """Return a scipy QMC engine seeded by `rng` (``rng=`` from scipy 1.15, else ``seed=``)."""
    try:
        return kind(d=d, rng=rng)
    except TypeError:  # pragma: no cover - scipy < 1.15
        return kind(d=d, seed=rng)


def point_values(ranges: Mapping[str, tuple[float, float]], point: Any) -> dict[str, float]:
    """One design point as ``{path: value}``."""
    return {path: float(x) for path, x in zip(ranges, point, strict=True)}
