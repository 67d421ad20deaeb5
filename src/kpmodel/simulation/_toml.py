"""Turn parsed TOML into a `Scenario`, collecting every problem with its key path."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import attrs

from kpmodel.errors import InvalidRecordError, LoadError, Problem
from kpmodel.simulation import _scenario as sc

_BAD = object()  # marks a value that already produced a problem

Reader = Callable[["_Collector", object, str], Any]


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> object:
        self.problems.append(Problem(path, message))
        return _BAD

    def build(self, cls: type, data: object, path: str, readers: dict[str, Reader]) -> Any:
        """Read a table into `cls`, checking keys, types, then the record's own validators."""
        if not isinstance(data, dict):
            return self.fail(path, f"must be a table, got {data!r}")
        fields = attrs.fields_dict(cls)
        required = {n for n, f in fields.items() if f.default is attrs.NOTHING}
        for key in sorted(required - data.keys()):
            self.fail(_join(path, key), "is required but missing")
        for key in sorted(data.keys() - readers.keys()):
            self.fail(_join(path, key), f"is not a known key; known keys: {', '.join(readers)}")
        values = {
            key: readers[key](self, value, _join(path, key))
            for key, value in data.items()
            if key in readers
        }
        if any(value is _BAD for value in values.values()) or not required <= values.keys():
            return _BAD
        try:
            return cls(**values)
        except sc.ScenarioProblemsError as exc:
            self.problems.extend(exc.problems)
            return _BAD
        except InvalidRecordError as exc:
            where = _join(path, exc.path)
            return self.fail(where, str(exc).removeprefix(f"{exc.path}: "))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path and key else path or key


def _string(c: _Collector, value: object, path: str) -> Any:
    return value if isinstance(value, str) else c.fail(path, f"must be a string, got {value!r}")


def _integer(c: _Collector, value: object, path: str) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return c.fail(path, f"must be an integer, got {value!r}")


def _number(c: _Collector, value: object, path: str) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return c.fail(path, f"must be a number, got {value!r}")


def _boolean(c: _Collector, value: object, path: str) -> Any:
    if isinstance(value, bool):
        return value
    return c.fail(path, f"must be true or false, got {value!r}")


def _strings(c: _Collector, value: object, path: str) -> Any:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return c.fail(path, f"must be a list of strings, got {value!r}")


def _shares(c: _Collector, value: object, path: str) -> Any:
    if not isinstance(value, dict):
        return c.fail(path, f"must be a table of country = share, got {value!r}")
    shares = []
    for country, share in value.items():
        number = _number(c, share, _join(path, country))
        if number is not _BAD:
            built = c.build(sc.Share, {"to": country, "share": number}, path, _SHARE)
            shares.append(built)
    return _BAD if any(s is _BAD for s in shares) else tuple(shares)


def _table_of(cls: type, readers: dict[str, Reader]) -> Reader:
    def read(c: _Collector, value: object, path: str) -> Any:
        return c.build(cls, value, path, readers)

    return read


def _list_of(cls: type, readers: dict[str, Reader]) -> Reader:
    def read(c: _Collector, value: object, path: str) -> Any:
        if not isinstance(value, list):
            return c.fail(path, f"must be an array of tables ([[{path}]]), got {value!r}")
        items = [c.build(cls, item, f"{path}[{i}]", readers) for i, item in enumerate(value)]
        return _BAD if any(item is _BAD for item in items) else tuple(items)

    return read


def _mapping_of(reader: Reader) -> Reader:
    def read(c: _Collector, value: object, path: str) -> Any:
        if not isinstance(value, dict):
            return c.fail(path, f"must be a table, got {value!r}")
        items = {key: reader(c, item, _join(path, key)) for key, item in value.items()}
        return _BAD if any(item is _BAD for item in items.values()) else items

    return read


_DOC: dict[str, Reader] = {"sources": _strings, "assumptions": _strings}
_SHARE: dict[str, Reader] = {"to": _string, "share": _number}
_VPC: dict[str, Reader] = {"median": _number, "sigma": _number}
_ZONE: dict[str, Reader] = {
    "name": _string,
    "annual_carats": _number,
    "value_per_carat": _table_of(sc.ValuePerCarat, _VPC),
    "kind": _string,
    "certified": _boolean,
    **_DOC,
}
_PRODUCER: dict[str, Reader] = {
    "country": _string,
    "zones": _list_of(sc.Zone, _ZONE),
    "exports": _shares,
}
_NEIGHBOUR: dict[str, Reader] = {"country": _string, "exports": _shares}
_HUB: dict[str, Reader] = {
    "name": _string,
    "country": _string,
    "pool_carats": _number,
    "parcel_carats": _number,
    "markup": _number,
    "certifies": _string,
    "exports": _shares,
    "import_verification": _number,
    "footprint_checks": _number,
    "traceability": _number,
    "enforces": _boolean,
    **_DOC,
}
_DESTINATION: dict[str, Reader] = {
    "country": _string,
    "name": _string,
    "enforces": _boolean,
    "traceability": _number,
}
_ROUTE: dict[str, Reader] = {
    "source": _string,
    "target": _string,
    "probability": _number,
    "reported_as_production": _boolean,
    "zone": _string,
    "border_controls": _number,
    **_DOC,
}
_CONTROLS: dict[str, Reader] = {
    **dict.fromkeys(
        (
            "border_controls",
            "hub_import_verification",
            "footprint_checks",
            "footprint_sensitivity",
            "footprint_min_share",
            "footprint_false_positive",
            "monitoring_coverage",
            "traceability",
        ),
        _number,
    ),
    "origin_listing_on_mixed": _boolean,
    **_DOC,
}
_SCENARIO: dict[str, Reader] = {
    "name": _string,
    "title": _string,
    "description": _string,
    "start_year": _integer,
    "years": _integer,
    "steps_per_year": _integer,
    "seed": _integer,
    "lot_carats": _mapping_of(_number),
    "lot_shape": _number,
    "producers": _list_of(sc.Producer, _PRODUCER),
    "neighbours": _list_of(sc.Neighbour, _NEIGHBOUR),
    "hubs": _list_of(sc.Hub, _HUB),
    "destinations": _list_of(sc.Destination, _DESTINATION),
    "routes": _list_of(sc.Route, _ROUTE),
    "controls": _table_of(sc.Controls, _CONTROLS),
    "definition": _string,
    "sources": _mapping_of(_string),
}


def structure_scenario(data: dict[str, Any], *, source: str = "") -> sc.Scenario:
    """Build a scenario from parsed TOML, or raise `LoadError` listing every problem."""
    data = dict(data)
    collector = _Collector()
    calibration = data.pop("calibration", None)
    if calibration is not None:
        from kpmodel.simulation._calibration import calibrated_producers

        producers = calibrated_producers(collector, calibration, data.get("producers", []))
        if producers is not None:
            data["producers"] = producers
    situations = data.pop("situations", [])
    # Cross-record checks run in Scenario's own validation: report them with the rest.
    scenario = collector.build(sc.Scenario, data, "", _SCENARIO)
    built = _situations(collector, situations, data.get("sources"))
    if scenario is not _BAD and built is not None:
        try:
            scenario = attrs.evolve(scenario, situations=built)
        except sc.ScenarioProblemsError as exc:
            collector.problems.extend(exc.problems)
    if collector.problems or scenario is _BAD:
        raise LoadError(collector.problems, source=source)
    assert isinstance(scenario, sc.Scenario)
    return scenario


def _situations(collector: _Collector, items: object, sources: object) -> list[Any] | None:
    """Build the situations with the case-book reader of kpmodel.definitions.

    Their `sources` are keys of the scenario's [sources] table, replaced by the citations.
    """
    from kpmodel.definitions import CaseBook

    if not isinstance(items, list):
        collector.fail("situations", f"must be an array of tables, got {items!r}")
        return None
    citations = sources if isinstance(sources, dict) else {}
    cases = []
    for i, item in enumerate(items):
        if isinstance(item, dict) and "sources" in item:
            keys = item["sources"] if isinstance(item["sources"], list) else []
            for j, key in enumerate(keys):
                if key not in citations:
                    path = f"situations[{i}].sources[{j}]"
                    collector.fail(path, f"{key!r} is not a key of the [sources] table")
            item = {**item, "sources": [f"{k}: {citations.get(k, '')}" for k in keys]}
        cases.append({"key": f"situation-{i}", "situation": item})
    try:
        book = CaseBook.from_data({"schema": 1, "cases": cases})
    except LoadError as exc:
        for problem in exc.problems:
            path = re.sub(r"^cases\[(\d+)\]\.situation", r"situations[\1]", problem.path)
            collector.fail(path, problem.message)
        return None
    return [case.situation for case in book.cases]


def fail(collector: object, path: str, message: str) -> None:
    """Record a problem on a collector (for the calibration module)."""
    assert isinstance(collector, _Collector)
    collector.fail(path, message)
