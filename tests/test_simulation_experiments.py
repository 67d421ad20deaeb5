"""The car-2021 and russia-2024 scenarios, and the levers that act where policy acts."""

import attrs
import numpy as np
import pytest

import kpmodel as kp
from kpmodel.errors import LoadError
from kpmodel.simulation import builtin, run


def metric(result, definition, name, detector=""):
    m = result.metrics
    row = m[(m.definition == definition) & (m.metric == name) & (m.detector == detector)]
    return float(row.value.iloc[0])


def mean_over_seeds(scenario, definition, name, detector="", seeds=range(3)):
    values = [metric(run(scenario, seed=s), definition, name, detector) for s in seeds]
    return float(np.mean(values))


@pytest.fixture(scope="module")
def car():
    return builtin("car-2021")


@pytest.fixture(scope="module")
def russia():
    return builtin("russia-2024")


class TestBuiltins:
    def test_car_2021_runs_with_its_zones(self, car):
        """car-2021: compliant zones export on certificates, the others only by smuggling."""
        zones = {z.name: z.certified for z in car.producers[0].zones}
        assert zones == {"compliant": True, "non-compliant": False}
        result = run(car, seed=1)
        produced, destination, seized, stock = result.conservation()
        assert destination + seized + stock == pytest.approx(produced, rel=1e-9)
        assert metric(result, "KPCS_2003", "positive_carats") == pytest.approx(742_172, rel=1e-6)

    def test_car_2021_evidence_names_the_coalitions_actors(self, car):
        """The non-compliant zones carry armed groups, mercenaries and criminal elements."""
        actors = {s.actor.value for s in car.situations if s.place.zone == "non-compliant"}
        assert actors == {"rebel_movement", "mercenary", "organised_crime"}

    def test_russia_2024_reports_under_the_g7_definition(self, russia):
        """russia-2024 judges by G7_RUSSIA_ORIGIN_2024 and reports its laundering rate."""
        assert russia.definition == "G7_RUSSIA_ORIGIN_2024"
        result = run(russia, seed=1)
        assert metric(result, "G7_RUSSIA_ORIGIN_2024", "positive_carats") == pytest.approx(37.3e6)
        rate = metric(result, "G7_RUSSIA_ORIGIN_2024", "laundering_rate")
        assert 0 < rate < 1

    @pytest.mark.parametrize("name", ["car-2021", "russia-2024"])
    def test_every_number_is_sourced_or_assumed(self, name):
        """Every source key the file uses is cited, and every cited source is used."""
        scenario = builtin(name)
        text = kp.simulation.builtin_text(name)
        for key in scenario.sources:
            assert text.count(f'"{key}"') >= 1, key


class TestDoneWhen:
    def test_more_monitoring_raises_detection_recall_on_car_2021(self, car):
        """Means over seeds: full monitoring finds more true anomalies than none."""
        low = mean_over_seeds(
            car.with_levers(monitoring_coverage=0.0), "KPCS_2003", "detection_recall", "any"
        )
        high = mean_over_seeds(
            car.with_levers(monitoring_coverage=1.0), "KPCS_2003", "detection_recall", "any"
        )
        assert high > low

    def test_traceability_lowers_the_g7_laundering_rate_on_russia_2024(self, russia):
        """Means over seeds: importers that trace to the mine let less Russian goods through."""
        definition = "G7_RUSSIA_ORIGIN_2024"
        low = mean_over_seeds(russia.with_levers(traceability=0.0), definition, "laundering_rate")
        high = mean_over_seeds(russia.with_levers(traceability=1.0), definition, "laundering_rate")
        assert high < low


class TestLevers:
    def test_monitoring_feeds_the_field_reports(self, car):
        """No monitoring: no field report; full monitoring: every producer's output."""
        none = run(car.with_levers(monitoring_coverage=0.0), seed=2).field_reports()
        full = run(car.with_levers(monitoring_coverage=1.0), seed=2).field_reports()
        assert none.empty
        assert full.set_index("participant").high_carats.to_dict() == pytest.approx(
            {"CD": 12_973_335.66, "CF": 927_715.0, "CM": 2_667.83}
        )

    def test_full_traceability_stops_every_positive_carat_at_enforcing_importers(self, russia):
        """With traceability 1, no Russian carat reaches the importers that enforce the ban."""
        result = run(russia.with_levers(traceability=1.0), seed=3)
        truth = result.truth
        enforcing = truth[truth.destination == "US"]
        assert not (enforcing.origin == "RU").any()
        assert (truth[truth.destination == "IN"].origin == "RU").any()
        assert metric(result, "all", "seized_carats_import_ban") > 0

    def test_paperwork_ban_without_traceability(self, russia):
        """A certificate naming Russia is refused at an enforcing importer, traced or not."""
        direct = attrs.evolve(
            russia,
            producers=[
                attrs.evolve(russia.producers[0], exports={"US": 1.0}),
                russia.producers[1],
            ],
        )
        result = run(direct, seed=0)
        assert metric(result, "G7_RUSSIA_ORIGIN_2024", "laundered_carats") < 0.5 * 37.3e6
        lots = result.lots
        produced = lots[(lots.kind == "production") & (lots.origin == "RU")]
        assert (produced.seized_by == "import_ban").all()

    def test_a_route_border_rate_acts_on_that_route_only(self):
        """A route with its own border rate of 1 loses every lot; the other route none."""
        scenario = builtin("car-2013")
        routes = [attrs.evolve(scenario.routes[0], border_controls=1.0), scenario.routes[1]]
        scenario = attrs.evolve(
            scenario, routes=routes, controls=attrs.evolve(scenario.controls, border_controls=0)
        )
        result = run(scenario, seed=0)
        lots = result.lots.query("kind == 'production' and smuggled")
        to_cm = lots[lots.location == "CM"]
        assert len(to_cm)
        assert (to_cm.seized_by == "border").all()
        assert not (lots[lots.location != "CM"].seized_by == "border").any()

    def test_a_lever_overrides_the_places_own_rates(self):
        """with_levers(border_controls=...) sets every route's rate, its own included."""
        scenario = builtin("car-2013")
        routes = [attrs.evolve(r, border_controls=0.0) for r in scenario.routes]
        scenario = attrs.evolve(scenario, routes=routes)
        changed = scenario.with_levers(border_controls=1.0, traceability=0.5)
        assert all(r.border_controls is None for r in changed.routes)
        result = run(changed, seed=0)
        assert (result.lots.query("smuggled").seized_by == "border").all()

    def test_a_hub_rate_overrides_the_scenario_rate(self):
        """A hub that verifies every import seizes every undocumented lot it receives."""
        scenario = builtin("congo-brazzaville-2004")
        into_dubai = kp.simulation.Route(
            source="CD", target="AE", probability=0.05, assumptions=("test",)
        )
        hubs = [attrs.evolve(h, import_verification=1.0) for h in scenario.hubs]
        scenario = attrs.evolve(
            scenario,
            hubs=hubs,
            routes=[*scenario.routes, into_dubai],
            controls=attrs.evolve(scenario.controls, hub_import_verification=0.0),
        )
        result = run(scenario, seed=0)
        lots = result.lots
        undocumented = lots[
            (lots.kind == "production")
            & (lots.location == "AE")
            & lots.smuggled
            & (lots.seized_by != "border")
            & ~lots.lot_id.isin(result.parcels.lot_id)
        ]
        assert len(undocumented)
        assert (undocumented.seized_by == "import_verification").all()

    def test_zone_routes_take_only_their_zone(self, car):
        """Lots of the compliant zones take only their routes, at their rate."""
        lots = run(car, seed=0).lots.query("kind == 'production' and origin == 'CF'")
        compliant = lots[lots.zone == "compliant"]
        share = compliant.carats[compliant.smuggled].sum() / compliant.carats.sum()
        assert share == pytest.approx(0.5, abs=0.05)
        other = lots[lots.zone == "non-compliant"]
        assert other.smuggled.all()


class TestBadScenarios:
    def test_route_zone_must_be_a_zone_of_the_source(self):
        """A route for a zone the source does not have is reported with its path."""
        text = kp.simulation.builtin_text("car-2021").replace(
            'zone = "non-compliant"\ntarget = "CD"', 'zone = "nowhere"\ntarget = "CD"'
        )
        with pytest.raises(LoadError, match=r"routes\[1\]\.zone"):
            kp.simulation.Scenario.from_toml_text(text)

    def test_zone_probabilities_sum_per_zone(self):
        """Routes of one zone may not sum past 1; the message names the zone."""
        text = kp.simulation.builtin_text("car-2021").replace(
            "probability = 0.3\n", "probability = 0.5\n"
        )
        with pytest.raises(LoadError, match="CF/non-compliant"):
            kp.simulation.Scenario.from_toml_text(text)

    def test_a_place_rate_must_be_a_probability(self):
        """A hub's own traceability above 1 is rejected with its path."""
        text = kp.simulation.builtin_text("russia-2024").replace(
            "enforces = true\nexports", "enforces = true\ntraceability = 1.5\nexports"
        )
        with pytest.raises(LoadError, match=r"hubs\[1\]\.traceability"):
            kp.simulation.Scenario.from_toml_text(text)
