"""Scenario records: what a simulation is made of, loaded from TOML and validated."""

from __future__ import annotations

import decimal
import os
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Literal

import attrs
import pandas as pd

from kpmodel._boundary import (
    display_path,
    finite_decimal,
    finite_float,
    guarded,
    one_of_validator,
    parse_toml,
    read_text,
    show,
    whole_number,
    year,
)
from kpmodel._display import View
from kpmodel.definitions import Situation, available
from kpmodel.errors import InvalidArgumentError, InvalidRecordError, Problem
from kpmodel.participants import is_country_code

ZoneKind = Literal["artisanal", "industrial", "unspecified"]
Certifies = Literal["mixed", "list_origins"]
ZONE_KINDS: tuple[str, ...] = ("artisanal", "industrial", "unspecified")
CERTIFIES: tuple[str, ...] = ("mixed", "list_origins")
STEPS_PER_YEAR: tuple[int, ...] = (2, 4, 12)


# ---------------------------------------------------------------------------------------------
# field validators: every one raises InvalidRecordError naming the field


def _fail(attribute: attrs.Attribute[Any], message: str) -> None:
    raise InvalidRecordError(message, path=attribute.name)


def _country(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not is_country_code(value):
        _fail(attribute, f"must be an ISO 3166-1 alpha-2 code such as 'CF', got {show(value)}")


def _text(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        _fail(attribute, f"must be a non-empty string, got {show(value)}")


def _finite(attribute: attrs.Attribute[Any], value: Any, **bounds: Any) -> None:
    # The boundary layer refuses NaN, infinities, Decimal specials, bools and huge integers.
    if isinstance(value, Decimal):
        finite_decimal(value, path=attribute.name, **bounds)
    else:
        finite_float(value, path=attribute.name, **bounds)


def _positive(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    _finite(attribute, value, minimum=0, exclusive_minimum=True)


def _non_negative(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    _finite(attribute, value, minimum=0)


def _probability(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    _finite(attribute, value, minimum=0, maximum=1)


def _year(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        _fail(attribute, f"must be an integer, got {show(value)}")
    year(value, path=attribute.name)


def _whole(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        _fail(attribute, f"must be an integer, got {show(value)}")
    whole_number(value, path=attribute.name, minimum=None)


def _steps(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or value not in STEPS_PER_YEAR:
        _fail(
            attribute, f"must be one of {', '.join(map(str, STEPS_PER_YEAR))}; got {show(value)}"
        )


def _optional_probability(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        _probability(_, attribute, value)


def _decimal(value: object) -> object:
    """Convert numbers to Decimal through their text, so 0.1 stays 0.1; leave the rest."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value.bit_length() > 200:
        return value  # too long to print as text; the validator refuses it
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value)
        except decimal.InvalidOperation:
            return value
    return value


def _float(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() <= 200:
        return float(value)
    return value


def _decimal_mapping(value: Mapping[str, object]) -> dict[str, object]:
    return {key: _decimal(item) for key, item in dict(value).items()}


def _zones(value: Iterable[Zone]) -> tuple[Zone, ...]:
    return tuple(value)


def _producers(value: Iterable[Producer]) -> tuple[Producer, ...]:
    return tuple(value)


def _neighbours(value: Iterable[Neighbour]) -> tuple[Neighbour, ...]:
    return tuple(value)


def _hubs(value: Iterable[Hub]) -> tuple[Hub, ...]:
    return tuple(value)


def _destinations(value: Iterable[Destination]) -> tuple[Destination, ...]:
    return tuple(value)


def _routes(value: Iterable[Route]) -> tuple[Route, ...]:
    return tuple(value)


def _situations(value: Iterable[Situation]) -> tuple[Situation, ...]:
    return tuple(value)


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _documented(self: Any) -> None:
    """Every parameterised record says where its numbers come from (or that it assumes them)."""
    if not self.sources and not self.assumptions:
        msg = (
            "needs `sources` (keys of the scenario's [sources] table) or `assumptions` "
            "(text saying which numbers are modelling choices); got neither"
        )
        raise InvalidRecordError(msg, path="sources")


def _all_situations(attribute: attrs.Attribute[Any], value: tuple[object, ...]) -> None:
    for i, item in enumerate(value):
        if not isinstance(item, Situation):
            msg = f"must be a kpmodel.definitions.Situation, got {show(item)}"
            raise InvalidRecordError(msg, path=f"{attribute.name}[{i}]")


# ---------------------------------------------------------------------------------------------
# records


@guarded
@attrs.frozen(kw_only=True)
class ValuePerCarat:
    """A log-normal distribution of US dollars per carat over the lots of a zone.

    Parameters
    ----------
    median : Decimal
        Median value per carat in US dollars.
    sigma : float
        Standard deviation of the natural logarithm of the value per carat.

    Examples
    --------
    >>> kp.simulation.ValuePerCarat(median=150, sigma=0.5).median
    Decimal('150')
    """

    median: Decimal = attrs.field(converter=_decimal, validator=_positive)
    sigma: float = attrs.field(converter=_float, validator=_non_negative)


@guarded
@attrs.frozen(kw_only=True)
class Zone:
    """A producing zone: its annual output, the value of its goods and whether it may export.

    Parameters
    ----------
    name : str
        Zone name, unique within its producer, without ``"/"`` (origin labels join country
        and zone with it).
    annual_carats : Decimal
        Carats produced per year.
    value_per_carat : ValuePerCarat
        Distribution of the value per carat of its lots.
    kind : {"artisanal", "industrial", "unspecified"}
        Mining kind; sets the mean lot size (`Scenario.lot_carats`).
    certified : bool
        Whether the zone's goods may leave on a KP certificate of their own country. False
        for a suspended participant (CAR after May 2013): its goods leave only by smuggling
        routes, and what no route takes stays in stock.
    sources, assumptions : tuple of str
        Source keys of the scenario and text naming the modelling choices.

    Examples
    --------
    >>> zone = kp.simulation.Zone(
    ...     name="west",
    ...     annual_carats=70_000,
    ...     value_per_carat=kp.simulation.ValuePerCarat(median=150, sigma=0.5),
    ...     kind="artisanal",
    ...     assumptions=("illustration",),
    ... )
    >>> zone.annual_carats
    Decimal('70000')
    """

    name: str = attrs.field(validator=_text)
    annual_carats: Decimal = attrs.field(converter=_decimal, validator=_positive)
    value_per_carat: ValuePerCarat = attrs.field(
        validator=attrs.validators.instance_of(ValuePerCarat)
    )
    kind: ZoneKind = attrs.field(default="unspecified", validator=one_of_validator(ZONE_KINDS))
    certified: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))
    sources: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    assumptions: tuple[str, ...] = attrs.field(default=(), converter=_strings)

    def __attrs_post_init__(self) -> None:
        _documented(self)


@guarded
@attrs.frozen(kw_only=True)
class Share:
    """A share of a country's or hub's exports going to one importer.

    Examples
    --------
    >>> kp.simulation.Share(to="AE", share=0.6)
    Share(to='AE', share=0.6)
    """

    to: str = attrs.field(validator=_country)
    share: float = attrs.field(converter=_float, validator=_probability)


def _shares(value: Iterable[Share] | Mapping[str, float]) -> tuple[Share, ...]:
    if isinstance(value, Mapping):
        return tuple(Share(to=k, share=v) for k, v in value.items())
    return tuple(value)


@guarded
@attrs.frozen(kw_only=True)
class Producer:
    """A producing country: its zones and where its certified exports go.

    Examples
    --------
    >>> vpc = kp.simulation.ValuePerCarat(median=9, sigma=0.6)
    >>> zone = kp.simulation.Zone(
    ...     name="Kasai", annual_carats=1e6, value_per_carat=vpc, assumptions=("example",)
    ... )
    >>> kp.simulation.Producer(country="CD", zones=(zone,), exports={"AE": 1.0}).country
    'CD'
    """

    country: str = attrs.field(validator=_country)
    zones: tuple[Zone, ...] = attrs.field(converter=_zones)
    exports: tuple[Share, ...] = attrs.field(default=(), converter=_shares)


@guarded
@attrs.frozen(kw_only=True)
class Neighbour:
    """A country that produces nothing here but certifies smuggled goods as its own.

    Examples
    --------
    >>> kp.simulation.Neighbour(country="CG", exports={"AE": 1.0}).exports
    (Share(to='AE', share=1.0),)
    """

    country: str = attrs.field(validator=_country)
    exports: tuple[Share, ...] = attrs.field(converter=_shares)


@guarded
@attrs.frozen(kw_only=True)
class Hub:
    """A trading hub: pools what it imports, re-splits it into parcels, and re-exports them.

    Parameters
    ----------
    name : str
        Hub name (``"Dubai"``); unique.
    country : str
        Country of the hub.
    pool_carats : Decimal
        Mean carats a trader mixes into one pool (assortment) before re-splitting.
    parcel_carats : Decimal
        Mean carats of a re-exported parcel.
    markup : float
        Export value per carat over import value per carat (the hub mark-up).
    certifies : {"mixed", "list_origins"}
        What a certificate for a mixed parcel says: ``"MIXED"``, or the countries of origin
        declared on the certificates of the goods pooled.
    exports : tuple of Share
        Where parcels go: destinations, or hubs listed after this one.
    import_verification, footprint_checks, traceability : float, optional
        This hub's own rates of the controls of the same name (`Controls`); the scenario's
        rates when omitted.
    enforces : bool
        Whether the hub applies the definition in force at import (a ban judged at import,
        such as the G7/EU ban on Russian diamonds): it refuses an import whose certificate
        names an origin whose goods the definition counts, and, with probability
        `traceability`, verifies an import back to the mine and refuses it if it holds any
        such goods. Refused goods are seized (cause ``import_ban``).
    sources, assumptions : tuple of str
        Source keys and modelling choices.

    Examples
    --------
    >>> hub = kp.simulation.Hub(
    ...     name="Dubai", country="AE", pool_carats=2000, parcel_carats=500, markup=1.435,
    ...     exports={"IN": 1.0}, assumptions=("pool sizes",),
    ... )
    >>> hub.certifies
    'mixed'
    """

    name: str = attrs.field(validator=_text)
    country: str = attrs.field(validator=_country)
    pool_carats: Decimal = attrs.field(converter=_decimal, validator=_positive)
    parcel_carats: Decimal = attrs.field(converter=_decimal, validator=_positive)
    markup: float = attrs.field(default=1.0, converter=_float, validator=_positive)
    certifies: Certifies = attrs.field(default="mixed", validator=one_of_validator(CERTIFIES))
    exports: tuple[Share, ...] = attrs.field(default=(), converter=_shares)
    import_verification: float | None = attrs.field(
        default=None, converter=_float, validator=_optional_probability
    )
    footprint_checks: float | None = attrs.field(
        default=None, converter=_float, validator=_optional_probability
    )
    traceability: float | None = attrs.field(
        default=None, converter=_float, validator=_optional_probability
    )
    enforces: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    sources: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    assumptions: tuple[str, ...] = attrs.field(default=(), converter=_strings)

    def __attrs_post_init__(self) -> None:
        _documented(self)


@guarded
@attrs.frozen(kw_only=True)
class Destination:
    """A market where goods end their journey (a cutting centre, an importing market).

    Parameters
    ----------
    country : str
        Country of the market.
    name : str
        Display name.
    enforces : bool
        Whether the market applies the definition in force at import, as `Hub.enforces`
        describes (for example a G7 importer under the ban on Russian diamonds).
    traceability : float, optional
        This market's own traceability rate (`Controls.traceability` when omitted).

    Examples
    --------
    >>> kp.simulation.Destination(country="IN", name="India").country
    'IN'
    >>> kp.simulation.Destination(country="US", enforces=True, traceability=0.5).traceability
    0.5
    """

    country: str = attrs.field(validator=_country)
    name: str = attrs.field(default="", validator=attrs.validators.instance_of(str))
    enforces: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    traceability: float | None = attrs.field(
        default=None, converter=_float, validator=_optional_probability
    )


@guarded
@attrs.frozen(kw_only=True)
class Route:
    """A smuggling route: the share of a producer's lots that leave across a border.

    Parameters
    ----------
    source : str
        The producing country.
    target : str
        A producer or neighbour country that certifies the goods as its own, or a hub's
        country, where they arrive with no certificate.
    probability : float
        The chance that a lot of the source takes this route.
    reported_as_production : bool
        Whether the target reports the smuggled goods as its own production in its
        statistics (otherwise they appear only in its exports).
    zone : str, optional
        Only lots of this zone of the source take the route (every zone's lots when
        omitted). The probabilities of the routes a zone's lots can take sum to at most 1.
    border_controls : float, optional
        This route's own border-control rate (`Controls.border_controls` when omitted).
    sources, assumptions : tuple of str
        Source keys and modelling choices.

    Examples
    --------
    >>> kp.simulation.Route(
    ...     source="CF", target="CM", probability=0.4, assumptions=("route share",)
    ... ).probability
    0.4
    """

    source: str = attrs.field(validator=_country)
    target: str = attrs.field(validator=_country)
    probability: float = attrs.field(converter=_float, validator=_probability)
    reported_as_production: bool = attrs.field(
        default=False, validator=attrs.validators.instance_of(bool)
    )
    zone: str | None = attrs.field(default=None, validator=attrs.validators.optional(_text))
    border_controls: float | None = attrs.field(
        default=None, converter=_float, validator=_optional_probability
    )
    sources: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    assumptions: tuple[str, ...] = attrs.field(default=(), converter=_strings)

    def __attrs_post_init__(self) -> None:
        _documented(self)


@guarded
@attrs.frozen(kw_only=True)
class Controls:
    """The controls in force: each a probability per lot or parcel, all policy choices.

    Parameters
    ----------
    border_controls : float
        Chance that a smuggled lot is seized when it crosses a border.
    hub_import_verification : float
        Chance that a hub checks the paperwork of an import; goods with no KP certificate
        are seized when checked.
    footprint_checks : float
        Chance that a hub footprints an import that carries a certificate naming origins
        (an unmixed parcel, or a mixed one whose certificate lists its origins).
    footprint_sensitivity : float
        Chance that a footprint check recognises goods of an undeclared origin, when their
        origin is monitored and they make up at least `footprint_min_share` of the parcel.
    footprint_min_share : float
        Smallest share of undeclared, monitored goods a footprint check can see.
    footprint_false_positive : float
        Chance that a check wrongly flags (and seizes) a parcel whose declaration is true.
    monitoring_coverage : float
        What monitoring (review missions, the UN Panel of Experts, civil society, site
        registers and satellite checks) sees: the share of the lots whose production it
        records, so that a footprint check can attribute them, and the chance that a field
        report reveals a producing zone's output, so that the capacity detector can compare
        each producer's statistics with what was seen on the ground.
    traceability : float
        Chance that an importer that enforces the definition in force (`Hub.enforces`,
        `Destination.enforces`) verifies an import's origin back to the mine (the
        traceability mechanism the G7 planned for Russian diamonds).
    origin_listing_on_mixed : bool
        Whether every hub lists the origins on mixed-origin certificates (allowed since the
        Dubai intersessional; the hubs' own `certifies` otherwise).
    sources, assumptions : tuple of str
        Source keys and modelling choices.

    Examples
    --------
    >>> kp.simulation.Controls(border_controls=0.05, assumptions=("rates",)).footprint_checks
    0.0
    """

    border_controls: float = attrs.field(default=0.0, converter=_float, validator=_probability)
    hub_import_verification: float = attrs.field(
        default=0.0, converter=_float, validator=_probability
    )
    footprint_checks: float = attrs.field(default=0.0, converter=_float, validator=_probability)
    footprint_sensitivity: float = attrs.field(
        default=0.8, converter=_float, validator=_probability
    )
    footprint_min_share: float = attrs.field(
        default=0.05, converter=_float, validator=_probability
    )
    footprint_false_positive: float = attrs.field(
        default=0.0, converter=_float, validator=_probability
    )
    monitoring_coverage: float = attrs.field(default=1.0, converter=_float, validator=_probability)
    traceability: float = attrs.field(default=0.0, converter=_float, validator=_probability)
    origin_listing_on_mixed: bool = attrs.field(
        default=False, validator=attrs.validators.instance_of(bool)
    )
    sources: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    assumptions: tuple[str, ...] = attrs.field(default=(), converter=_strings)


@guarded
@attrs.frozen(kw_only=True)
class Scenario:
    """A complete simulation scenario: who produces, how goods move, what is controlled.

    Build one with `Scenario.from_toml`, `builtin`, or keywords; change it with
    `with_levers` or `attrs.evolve`. Every numeric parameter carries its source keys or says
    that it is a modelling assumption.

    Parameters
    ----------
    name : str
        Short name.
    title, description : str
        What the scenario represents.
    start_year, years : int
        First simulated year and number of years.
    steps_per_year : {2, 4, 12}
        Time step: half years (the KP's production reporting period), quarters or months.
    seed : int
        Default seed of `run`.
    lot_carats : Mapping of str to Decimal
        Mean carats of a production lot, per zone kind (``artisanal``, ``industrial``,
        ``unspecified``); sets how many lots the engine simulates.
    lot_shape : float
        Gamma shape of the lot sizes within a zone and step (lower is more unequal).
    producers, neighbours, hubs, destinations, routes : tuple
        The trade network.
    controls : Controls
        The controls in force.
    situations : tuple of kpmodel.definitions.Situation
        Evidence per producing zone (or country) and period, which the definitions judge.
    definition : str
        Name of the conflict-diamond definition in force (``"KPCS_2003"``; any name
        `kpmodel.definitions.available` lists). Metrics are reported under it.
    sources : Mapping of str to str
        Citation per source key.

    Examples
    --------
    >>> scenario = kp.simulation.builtin("car-2013")
    >>> scenario.name, scenario.start_year, scenario.years
    ('car-2013', 2013, 2)
    """

    name: str = attrs.field(validator=_text)
    title: str = attrs.field(default="", validator=attrs.validators.instance_of(str))
    description: str = attrs.field(default="", validator=attrs.validators.instance_of(str))
    start_year: int = attrs.field(validator=_year)
    years: int = attrs.field(default=1, validator=_whole)
    steps_per_year: int = attrs.field(default=2, validator=_steps)
    seed: int = attrs.field(default=0, validator=_whole)
    lot_carats: Mapping[str, Decimal] = attrs.field(
        factory=lambda: {kind: Decimal(100) for kind in ZONE_KINDS},
        converter=_decimal_mapping,
        eq=False,
    )
    lot_shape: float = attrs.field(default=2.0, converter=_float, validator=_positive)
    producers: tuple[Producer, ...] = attrs.field(default=(), converter=_producers)
    neighbours: tuple[Neighbour, ...] = attrs.field(default=(), converter=_neighbours)
    hubs: tuple[Hub, ...] = attrs.field(default=(), converter=_hubs)
    destinations: tuple[Destination, ...] = attrs.field(default=(), converter=_destinations)
    routes: tuple[Route, ...] = attrs.field(default=(), converter=_routes)
    controls: Controls = attrs.field(
        factory=lambda: Controls(), validator=attrs.validators.instance_of(Controls)
    )
    situations: tuple[Situation, ...] = attrs.field(
        default=(),
        converter=_situations,
        validator=lambda _, attribute, value: _all_situations(attribute, value),
    )
    definition: str = attrs.field(default="KPCS_2003", validator=_text)
    sources: Mapping[str, str] = attrs.field(factory=dict, converter=dict, eq=False)

    def _view(self) -> View:
        last = self.start_year + self.years - 1
        span = f"{self.start_year}" if last == self.start_year else f"{self.start_year}-{last}"

        def levers() -> pd.DataFrame:
            values = self.lever_values().items()
            return pd.DataFrame([(k, str(v)) for k, v in values], columns=["lever", "value"])

        def network() -> pd.DataFrame:
            rows = [("producer", p.country) for p in self.producers]
            rows += [("neighbour", n.country) for n in self.neighbours]
            rows += [("hub", h.country) for h in self.hubs]
            return pd.DataFrame(rows, columns=["role", "country"])

        return View(
            kind="Scenario",
            summary=f"{self.name}, {span}, {len(self.producers)} producers, {len(self.hubs)} hubs",
            more="see .lever_values(), .with_levers(...); kp.simulation.run(scenario)",
            facts=[
                ("title", self.title),
                ("definition in force", self.definition),
                ("sources", len(self.sources)),
            ],
            tables=lambda: [("Levers", levers()), ("Network", network())],
        )

    def __repr__(self) -> str:
        return self._view().text()

    def _repr_html_(self) -> str:
        return self._view().html()

    def __attrs_post_init__(self) -> None:
        problems = _scenario_problems(self)
        if problems:
            raise ScenarioProblemsError(problems)

    # these two mappings are dicts (unhashable), so compare them explicitly
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scenario):
            return NotImplemented
        return (
            attrs.astuple(self, recurse=False) == attrs.astuple(other, recurse=False)
            and self.lot_carats == other.lot_carats
            and self.sources == other.sources
        )

    def __hash__(self) -> int:
        return hash((self.name, self.start_year, self.seed))

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> Scenario:
        """Load a scenario from a TOML file, reporting every problem at once.

        Raises
        ------
        kpmodel.errors.LoadError
            If the file cannot be read or parsed, or any field is invalid; each problem
            names its key path (``producers[0].zones[1].annual_carats``).

        Examples
        --------
        >>> import pathlib, tempfile
        >>> text = kp.simulation.builtin_text("congo-brazzaville-2004")
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "cg.toml"
        >>> _ = path.write_text(text, encoding="utf-8")
        >>> kp.simulation.Scenario.from_toml(path).name
        'congo-brazzaville-2004'
        """
        source = display_path(path)
        return cls.from_toml_text(read_text(path, source=source), source=source)

    @classmethod
    def from_toml_text(cls, text: str, *, source: str = "") -> Scenario:
        """Load a scenario from TOML text; see `from_toml`.

        Examples
        --------
        >>> kp.simulation.Scenario.from_toml_text('name = "x"')
        Traceback (most recent call last):
        ...
        kpmodel.errors.LoadError: 1 problem:
          start_year: is required but missing
        """
        data = parse_toml(text, source=source)
        from kpmodel.simulation._toml import structure_scenario

        return structure_scenario(data, source=source)

    def with_levers(self, **levers: object) -> Scenario:
        """Return a new scenario with the named policy levers changed.

        Levers (see `LEVERS`): ``origin_listing_on_mixed`` (bool),
        ``hub_import_verification``, ``footprint_checks``, ``monitoring_coverage``,
        ``border_controls``, ``traceability`` (probabilities), and ``definition`` (a name).

        A lever sets its rate everywhere: routes, hubs and destinations with a rate of their
        own (`Route.border_controls`, `Hub.import_verification`, `Hub.footprint_checks`,
        `Hub.traceability`, `Destination.traceability`) take the lever's value too. To
        change one place's rate, sweep its path (``"routes[0].border_controls"``) with
        `sweep`.

        Raises
        ------
        kpmodel.errors.InvalidArgumentError
            For an unknown lever or a value of the wrong kind.

        Examples
        --------
        >>> base = kp.simulation.builtin("car-2013")
        >>> reform = base.with_levers(origin_listing_on_mixed=True)
        >>> base.controls.origin_listing_on_mixed, reform.controls.origin_listing_on_mixed
        (False, True)
        """
        controls: dict[str, Any] = {}
        changes: dict[str, Any] = {}
        for name, value in levers.items():
            check_lever(name, value)
            if name == "definition":
                changes["definition"] = value
            else:
                controls[name] = value
        if controls:
            changes["controls"] = attrs.evolve(self.controls, **controls)
        if "border_controls" in controls:
            changes["routes"] = [
                attrs.evolve(route, border_controls=None) for route in self.routes
            ]
        own: dict[str, Any] = {
            field: None
            for lever, field in (
                ("hub_import_verification", "import_verification"),
                ("footprint_checks", "footprint_checks"),
                ("traceability", "traceability"),
            )
            if lever in controls
        }
        if own:
            changes["hubs"] = [attrs.evolve(hub, **own) for hub in self.hubs]
        if "traceability" in controls:
            changes["destinations"] = [
                attrs.evolve(market, traceability=None) for market in self.destinations
            ]
        return attrs.evolve(self, **changes)

    def lever_values(self) -> dict[str, object]:
        """Return the current value of every lever.

        Examples
        --------
        >>> kp.simulation.builtin("car-2013").lever_values()["origin_listing_on_mixed"]
        False
        """
        values: dict[str, object] = {
            name: getattr(self.controls, name) for name in LEVERS if name != "definition"
        }
        values["definition"] = self.definition
        return dict(sorted(values.items()))


LEVERS: Mapping[str, str] = {
    "border_controls": (
        "Probability in [0, 1] that a smuggled lot is seized at the border it crosses."
    ),
    "definition": "Name of the conflict-diamond definition in force, such as 'KPCS_2003'.",
    "footprint_checks": (
        "Probability in [0, 1] that a hub footprints an import whose certificate names origins."
    ),
    "hub_import_verification": (
        "Probability in [0, 1] that a hub checks an import's paperwork; goods without a "
        "KP certificate are seized when checked."
    ),
    "monitoring_coverage": (
        "Share in [0, 1] of production recorded by monitoring, so that footprint checks can "
        "attribute it to its origin, and chance that field reports reveal a zone's output to "
        "the capacity detector."
    ),
    "origin_listing_on_mixed": (
        "True: hubs list the countries of origin on mixed-origin certificates instead of "
        "'MIXED' (allowed, not required, since the KP Dubai intersessional)."
    ),
    "traceability": (
        "Probability in [0, 1] that an importer enforcing the definition in force verifies an "
        "import's origin back to the mine."
    ),
}
"""The policy levers of `Scenario.with_levers`, each with what it changes."""


def check_lever(name: str, value: object) -> None:
    """Raise `InvalidArgumentError` unless `value` is a valid value for lever `name`."""
    if name not in LEVERS:
        msg = f"{name!r} is not a policy lever; the levers are: {', '.join(LEVERS)}"
        raise InvalidArgumentError(msg)
    if name == "origin_listing_on_mixed":
        ok = isinstance(value, bool)
        expected = "True or False"
    elif name == "definition":
        ok = isinstance(value, str) and value in available()
        expected = f"one of {', '.join(available())}"
    else:
        ok = isinstance(value, float | int) and not isinstance(value, bool) and 0 <= value <= 1
        expected = "a number between 0 and 1"
    if not ok:
        msg = f"lever {name!r} must be {expected}; got {show(value)}"
        raise InvalidArgumentError(msg)


# ---------------------------------------------------------------------------------------------
# cross-record checks


class ScenarioProblemsError(InvalidRecordError):
    """The parts of a scenario do not fit together; `problems` lists every one."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        head, rest = problems[0], "".join(f"\n  {p}" for p in problems[1:])
        super().__init__(head.message + rest, path=head.path)


def _scenario_problems(s: Scenario) -> list[Problem]:
    problems: list[Problem] = []

    def fail(path: str, message: str) -> None:
        problems.append(Problem(path, message))

    if s.years < 1:
        fail("years", f"must be at least 1, got {s.years!r}")
    for kind in ZONE_KINDS:
        value = s.lot_carats.get(kind)
        if not isinstance(value, Decimal) or not value > 0:
            fail(f"lot_carats.{kind}", f"must be a number greater than 0, got {show(value)}")
    for key in sorted(set(s.lot_carats) - set(ZONE_KINDS)):
        fail(f"lot_carats.{key}", f"is not a zone kind; known: {', '.join(ZONE_KINDS)}")
    if not s.producers:
        fail("producers", "must list at least one producer")
    if not s.destinations:
        fail("destinations", "must list at least one destination")

    producers = {p.country for p in s.producers}
    neighbours = {n.country for n in s.neighbours}
    hub_order = {h.country: i for i, h in enumerate(s.hubs)}
    destinations = {d.country for d in s.destinations}
    roles = [
        ("producers", [p.country for p in s.producers]),
        ("neighbours", [n.country for n in s.neighbours]),
        ("hubs", [h.country for h in s.hubs]),
        ("destinations", [d.country for d in s.destinations]),
    ]
    seen: dict[str, str] = {}
    for role, countries in roles:
        for i, country in enumerate(countries):
            if country in seen:
                fail(f"{role}[{i}].country", f"{country!r} is already listed in {seen[country]}")
            else:
                seen[country] = role

    known_sources = set(s.sources)

    def check_sources(path: str, keys: tuple[str, ...]) -> None:
        for j, key in enumerate(keys):
            if key not in known_sources:
                fail(f"{path}.sources[{j}]", f"{key!r} is not a key of the [sources] table")

    def check_exports(path: str, shares: tuple[Share, ...], allowed: set[str], what: str) -> None:
        for share in shares:
            if share.to not in allowed:
                fail(f"{path}.exports.{share.to}", f"must name {what}, got {share.to!r}")
        total = sum(share.share for share in shares)
        if shares and abs(total - 1) > 1e-9:
            fail(f"{path}.exports", f"shares must sum to 1, got {show(total)}")

    first_leg = set(hub_order) | destinations
    for i, producer in enumerate(s.producers):
        path = f"producers[{i}]"
        if not producer.zones:
            fail(f"{path}.zones", "must list at least one zone")
        names = [zone.name for zone in producer.zones]
        for j, zone in enumerate(producer.zones):
            if names.index(zone.name) != j:
                fail(f"{path}.zones[{j}].name", f"{zone.name!r} is used twice")
            if "/" in zone.name:
                fail(
                    f"{path}.zones[{j}].name",
                    f"must not contain '/' (origin labels join country and zone with it, as "
                    f"in 'CF/west'), got {zone.name!r}; use '-' instead",
                )
            check_sources(f"{path}.zones[{j}]", zone.sources)
        certified = any(zone.certified for zone in producer.zones)
        if certified and not producer.exports:
            fail(f"{path}.exports", "must list where certified exports go (hubs, destinations)")
        check_exports(path, producer.exports, first_leg, "a hub or destination country")
    for i, neighbour in enumerate(s.neighbours):
        check_exports(
            f"neighbours[{i}]", neighbour.exports, first_leg, "a hub or destination country"
        )
        if not neighbour.exports:
            fail(f"neighbours[{i}].exports", "must list where its exports go")
    for i, hub in enumerate(s.hubs):
        later = {h.country for h in s.hubs[i + 1 :]}
        check_exports(
            f"hubs[{i}]", hub.exports, later | destinations, "a destination or a later hub"
        )
        if not hub.exports:
            fail(f"hubs[{i}].exports", "must list where its parcels go")
        check_sources(f"hubs[{i}]", hub.sources)
    zones_of = {p.country: [z.name for z in p.zones] for p in s.producers}
    totals: dict[tuple[str, str], float] = {}
    for i, route in enumerate(s.routes):
        path = f"routes[{i}]"
        if route.source not in producers:
            fail(f"{path}.source", f"must be a producer country, got {route.source!r}")
        if route.target == route.source:
            fail(f"{path}.target", f"must differ from the source, got {route.target!r}")
        elif route.target not in producers | neighbours | set(hub_order):
            fail(f"{path}.target", f"must be a producer, neighbour or hub, got {route.target!r}")
        names = zones_of.get(route.source, [])
        if route.zone is not None and route.source in producers and route.zone not in names:
            fail(f"{path}.zone", f"{route.zone!r} is not a zone of producer {route.source!r}")
        for name in names if route.zone is None else [route.zone]:
            pair = (route.source, name)
            totals[pair] = totals.get(pair, 0.0) + route.probability
        check_sources(path, route.sources)
    by_zone = {r.source for r in s.routes if r.zone is not None}
    reported: set[str] = set()
    for (country, name), total in sorted(totals.items()):
        where = f"{country}/{name}" if country in by_zone else country
        if total > 1 + 1e-9 and where not in reported:
            reported.add(where)
            fail("routes", f"probabilities from {where!r} sum to {total!r}, more than 1")
    check_sources("controls", s.controls.sources)
    zones = {(p.country, z.name) for p in s.producers for z in p.zones}
    for i, situation in enumerate(s.situations):
        place = situation.place
        if place.country not in producers:
            fail(f"situations[{i}].place.country", f"must be a producer, got {place.country!r}")
        elif place.zone is not None and (place.country, place.zone) not in zones:
            fail(
                f"situations[{i}].place.zone",
                f"{place.zone!r} is not a zone of producer {place.country!r}",
            )
    if s.definition not in available():
        fail("definition", f"must be one of {', '.join(available())}; got {s.definition!r}")
    return problems
