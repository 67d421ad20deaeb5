"""Definitions as data: records, three-valued logic, combinators, registry, conformance."""

import datetime as dt
import pickle
from types import SimpleNamespace

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel import definitions as d
from kpmodel.errors import (
    ConformanceError,
    InvalidArgumentError,
    InvalidRecordError,
    UnknownCodeError,
)
from kpmodel.testing import check_definition
from kpmodel.testing.strategies import definitions, periods, places, situations

Outcome = d.Outcome
BUILTINS = [d.get(name) for name in d.BUILTIN_NAMES]


class TestOutcome:
    @pytest.mark.parametrize("a", list(Outcome))
    @pytest.mark.parametrize("b", list(Outcome))
    def test_kleene_tables_agree_with_min_and_max(self, a, b):
        """& is the minimum and | the maximum in the order OUT < UNDETERMINED < IN."""
        assert (a & b).rank == min(a.rank, b.rank)
        assert (a | b).rank == max(a.rank, b.rank)

    @pytest.mark.parametrize("a", list(Outcome))
    def test_negation_swaps_in_and_out(self, a):
        """~ swaps IN and OUT, keeps UNDETERMINED, and is its own inverse."""
        assert (~a).rank == 2 - a.rank
        assert ~~a is a

    def test_from_text_rejects_unknown_words(self):
        """An unknown word names the expected values in the error."""
        with pytest.raises(ValueError, match="'in', 'out', 'undetermined'"):
            Outcome.from_text("maybe")


class TestRecords:
    def test_period_reads_year_and_month_precision(self):
        """A year or month means its first day as start and its last day as end."""
        p = d.Period("2008-10", "2011")
        assert (p.start, p.end) == (dt.date(2008, 10, 1), dt.date(2011, 12, 31))
        assert d.Period("2024-02", "2024-02").end == dt.date(2024, 2, 29)

    @pytest.mark.parametrize(
        ("args", "path"),
        [(("2011", "2008"), "end"), (("2011-13",), "start"), (("yesterday",), "start")],
    )
    def test_period_rejects_bad_dates_with_their_path(self, args, path):
        """Bad dates raise InvalidRecordError naming the field."""
        with pytest.raises(InvalidRecordError) as info:
            d.Period(*args)
        assert info.value.path == path

    def test_place_validates_the_country_code(self):
        """Only upper-case ISO 3166-1 alpha-2 codes (and EU) are places, as everywhere."""
        assert d.Place("ZW").country == "ZW"
        with pytest.raises(InvalidRecordError, match="write it in capitals without spaces: 'ZW'"):
            d.Place("zw")
        with pytest.raises(InvalidRecordError, match="pycountry"):
            d.Place("XX")

    def test_situation_reports_the_bad_field(self):
        """A bad vocabulary word names the field and the item index."""
        where = {"place": d.Place("ZW"), "period": d.Period("2009")}
        with pytest.raises(InvalidRecordError) as info:
            d.Situation(**where, actor="army")
        assert info.value.path == "actor"
        with pytest.raises(InvalidRecordError) as info:
            d.Situation(**where, harms=["torture", "nonsense"])
        assert info.value.path == "harms[1]"
        with pytest.raises(InvalidRecordError) as info:
            d.Situation(place="ZW", period=d.Period("2009"))
        assert info.value.path == "place"

    def test_situation_accepts_a_single_link_and_plain_string_sources(self):
        """`link` takes one member or several; sources are plain strings."""
        s = d.Situation(
            place=d.Place("RU"), period=d.Period("2022"), link="used_to_finance", sources="x"
        )
        assert s.link == frozenset({d.Link.USED_TO_FINANCE})
        assert s.sources == ("x",)

    @given(periods(), periods())
    def test_intersection_is_symmetric_and_inside_both(self, a, b):
        """The shared days of two periods lie in both, whichever way round."""
        both = a.intersection(b)
        assert both == b.intersection(a)
        if both is not None:
            assert a.contains(both.start)
            assert b.contains(both.start)


class TestDefinitions:
    def test_a_clause_named_twice_or_not_a_clause_is_named_by_its_place(self):
        """Clauses and principles were refused showing their names cut at 80 characters: the
        duplicate, fifth, was cut off, and a non-Clause item was never shown (18-review9, 4).
        The refusal names the item, its index and the earlier one."""
        names = ["russian-origin-clause", "belarus-transit-clause", "conflict-zone-clause"]
        names += ["eu-sanctions-clause", "russian-origin-clause"]
        clauses = [d.Clause(name=n, tests=(d.place_in("RU"),)) for n in names]
        twice = (
            r"^clauses\[4\]: the name 'russian-origin-clause' is given twice \(as clauses\[0\]\)"
        )
        with pytest.raises(InvalidArgumentError, match=twice):
            d.Definition(name="x", clauses=clauses)
        with pytest.raises(
            InvalidArgumentError, match=r"^clauses\[1\]: must be a Clause, got 'RU'"
        ):
            d.Definition(name="x", clauses=[clauses[0], "RU"])
        principle = d.FRAME_7.principles[0]
        with pytest.raises(InvalidArgumentError, match=r"^principles\[1\]: the key 'sdgs'"):
            attrs.evolve(d.FRAME_7, principles=[principle, principle])

    @pytest.mark.parametrize("answer", [1, 0.0, "yes", np.array([True]), pd.Series([True])])
    def test_an_answer_that_is_not_true_false_or_none_is_refused(self, answer):
        """assess took 1 and 0.0 as met and not met (they equal True and False), raised a
        bare TypeError for a one-element array and pandas' error for a Series."""
        key = d.FRAME_7.principles[0].key
        with pytest.raises(InvalidArgumentError, match=rf"answers\['{key}'\]: must be True"):
            d.FRAME_7.assess({key: answer})
        table = d.FRAME_7.assess({key: np.True_})
        assert table.loc[table["principle"] == key, "assessment"].tolist() == ["met"]

    @pytest.mark.parametrize("name", [pd.Series(["rebel-financing"]), ["rebel-financing"], 1])
    def test_a_name_looked_up_is_text_or_refused(self, name):
        """Definition.without, Comparison.explain and example_file looked a Series up as a
        whole: pandas' "truth value ... is ambiguous" or a bare "unhashable" TypeError."""
        with pytest.raises(InvalidArgumentError, match="has no clause"):
            d.KPCS_2003.without(name)
        comparison = kp.compare("KPCS_2003", d.CaseBook.default())
        with pytest.raises(InvalidArgumentError, match=r"^no item "):
            comparison.explain(name)
        with pytest.raises(InvalidArgumentError, match=r"^no example file "):
            kp.datasets.example_file(name)

    def test_builtins_have_the_metadata_the_issue_asks_for(self):
        """Every built-in has a name, status, date, references and marked wording."""
        statuses = {defn.name: defn.status for defn in BUILTINS}
        assert statuses["KPCS_2003"] is d.Status.IN_FORCE
        assert statuses["OECD_ANNEX_II"] is d.Status.ADJACENT_REGIME
        assert statuses["EU_2023"] is d.Status.POSITION
        for defn in BUILTINS:
            assert repr(defn) == defn.name
            assert defn.date is not None
            assert defn.references
            assert defn.wording
            assert defn.wording_kind in (d.Wording.VERBATIM, d.Wording.PARAPHRASED)

    def test_combinations_read_like_expressions(self):
        """Combinators give readable names, status COMBINATION and derived wording."""
        combo = ~(d.KPCS_2003 & d.EU_2023) | d.G7_RUSSIA_ORIGIN_2024
        assert repr(combo) == "(~(KPCS_2003 & EU_2023) | G7_RUSSIA_ORIGIN_2024)"
        assert combo.status is d.Status.COMBINATION
        assert combo.wording_kind is d.Wording.DERIVED
        assert combo.date == dt.date(2024, 1, 1)
        assert set(combo.references) >= set(d.KPCS_2003.references)

    def test_without_drops_a_clause_and_rejects_unknown_ones(self):
        """`without` removes the clause everywhere; an unknown clause is an error."""
        narrow = d.CANADA_WDC_CSC_2018.without("wealth-through-illegal-control")
        assert "wealth-through-illegal-control" not in {c.name for c in narrow.clauses}
        with pytest.raises(InvalidArgumentError, match="its clauses are"):
            d.KPCS_2003.without("no-such-clause")

    def test_with_actors_brings_marange_in_under_the_kpcs_wording(self):
        """Adding public security forces alone does not catch Marange: harms still fail."""
        marange = d.CaseBook.default()["zimbabwe-marange"]
        wide = d.KPCS_2003.with_actors(d.Actor.PUBLIC_SECURITY_FORCE)
        assert wide(marange).outcome is Outcome.OUT
        assert {r.component for r in wide(marange).why_not} >= {"harm", "link", "target"}

    def test_calling_with_something_else_than_a_situation_is_an_argument_error(self):
        """A definition says what it needs when given the wrong thing."""
        with pytest.raises(InvalidArgumentError, match="Situation"):
            d.KPCS_2003("Marange")
        with pytest.raises(InvalidArgumentError, match="on: must be"):
            d.KPCS_2003(d.CaseBook.default()["russia-2022"], on="2024")

    def test_on_judges_with_the_rules_in_force_then(self):
        """The G7 ban catches Russia as of 2024, not as of 2023."""
        russia = d.CaseBook.default()["russia-2022"]
        assert d.G7_RUSSIA_ORIGIN_2024(russia, on=dt.date(2023, 6, 1)).outcome is Outcome.OUT
        assert d.G7_RUSSIA_ORIGIN_2024(russia, on=dt.date(2024, 6, 1)).outcome is Outcome.IN
        assert d.G7_RUSSIA_ORIGIN_2024(russia).outcome is Outcome.IN

    def test_kpcs_unsc_clause_follows_the_designation_dates(self):
        """'Insofar as they remain in effect': the UNSC clause lapses with the ban."""
        officer = d.CaseBook.default()["cote-divoire-army-officer-2014"]
        assert d.KPCS_2003(officer).outcome is Outcome.UNDETERMINED
        assert d.KPCS_2003(officer, on=dt.date(2014, 5, 1)).outcome is Outcome.OUT

    @pytest.mark.parametrize("defn", BUILTINS, ids=lambda x: x.name)
    def test_builtins_pickle_to_equal_objects(self, defn):
        """Built-in definitions survive pickling unchanged."""
        assert pickle.loads(pickle.dumps(defn)) == defn


class TestLaws:
    @given(definitions(negation=False), situations(), st.sampled_from(list(d.Actor)))
    def test_widening_actors_never_turns_in_into_out(self, defn, situation, actor):
        """Adding an actor to every actor test never lowers a verdict."""
        before = defn(situation).outcome
        after = defn.with_actors(actor)(situation).outcome
        assert after.rank >= before.rank

    @given(definitions(), situations())
    def test_excluded_middle_is_never_out(self, defn, situation):
        """d | ~d is IN or UNDETERMINED, never OUT."""
        assert (defn | ~defn)(situation).outcome is not Outcome.OUT

    @given(definitions(), definitions(), situations())
    def test_de_morgan_holds_in_three_valued_logic(self, a, b, situation):
        """~(a | b) == ~a & ~b and ~(a & b) == ~a | ~b, outcome by outcome."""
        assert (~(a | b))(situation).outcome is (~a & ~b)(situation).outcome
        assert (~(a & b))(situation).outcome is (~a | ~b)(situation).outcome

    @given(definitions(), situations())
    def test_reasons_name_existing_components(self, defn, situation):
        """Every reason names a (definition, clause, component) of the definition."""
        verdict = defn(situation)
        known = defn.components()
        for r in verdict.reasons:
            assert (r.definition, r.clause, r.component) in known
            assert r.outcome in Outcome

    @given(definitions(negation=False), situations())
    def test_in_verdicts_say_which_clause_matched(self, defn, situation):
        """An IN verdict of a definition without ~ names the matched components, all IN."""
        verdict = defn(situation)
        if verdict.outcome is Outcome.IN and defn.components():
            assert verdict.because
            assert all(r.outcome is Outcome.IN for r in verdict.because)
        if verdict.outcome is Outcome.OUT:
            assert all(r.outcome is Outcome.OUT for r in verdict.why_not)

    @given(
        st.lists(places(), min_size=1, max_size=3),
        situations(),
        st.sampled_from(["pit 1", "pit 2"]),
        st.data(),
    )
    def test_a_site_adds_nothing_when_no_place_names_one(self, covered, situation, site, data):
        """Against places that name no site, a situation recorded at a site of its place
        (its zone recorded or not) is judged as the place itself: never OUT where the place
        is not."""
        test, window = d.place_in(*covered), situation.period
        country = data.draw(st.sampled_from([p.country for p in covered]))
        zones = sorted({"Marange", *(p.zone for p in covered if p.zone)})
        zone = data.draw(st.none() | st.sampled_from(zones))
        situation = attrs.evolve(situation, place=d.Place(country, zone))
        at_site = attrs.evolve(situation, place=d.Place(country, zone, site))
        assert test(at_site, window)[0] is test(situation, window)[0]
        defn = d.Definition(
            name="PLACE", clauses=(d.Clause(name="here", tests=(test,)),), wording="here"
        )
        assert defn(at_site).outcome is defn(situation).outcome

    def test_a_site_of_unknown_zone_may_lie_in_a_covered_zone(self):
        """A place test naming a zone leaves a site of its country, zone unknown, open."""
        test = d.place_in("ZW/Marange")
        window = d.Period("2010")
        situation = d.Situation(place=d.Place("ZW", site="s2"), period=window, sources=["x"])
        outcome, text = test(situation, window)
        assert outcome is Outcome.UNDETERMINED
        assert text == "ZW/s2 may or may not lie in the covered area (ZW/Marange)"
        elsewhere = attrs.evolve(situation, place=d.Place("ZW", "Bikita", "s2"))
        assert test(elsewhere, window)[0] is Outcome.OUT

    @given(definitions(), situations())
    def test_combinations_pickle(self, defn, situation):
        """Combinations pickle and judge the same after."""
        assert pickle.loads(pickle.dumps(defn))(situation) == defn(situation)


class TestRegistry:
    def test_available_lists_the_catalogue_first(self):
        """The built-ins come first, in catalogue order."""
        assert d.available()[: len(d.BUILTIN_NAMES)] == list(d.BUILTIN_NAMES)
        assert "DODD_FRANK_1502" in d.available()

    def test_unknown_names_raise_with_the_list(self):
        """An unknown name raises UnknownCodeError listing what is available."""
        with pytest.raises(UnknownCodeError, match="KPCS_2003"):
            d.get("KPCS_2099")

    def test_entry_points_register_third_party_definitions(self, monkeypatch):
        """A package's entry point in group kpmodel.definitions is found; built-ins win."""
        mine = d.Definition(
            name="MINE_2026", clauses=d.KPCS_2003.clauses, references=("me",), wording="x"
        )
        eps = [
            SimpleNamespace(name="MINE_2026", load=lambda: mine),
            SimpleNamespace(name="KPCS_2003", load=lambda: mine),
        ]
        calls = []

        def fake_entry_points(*, group):
            calls.append(group)
            return eps

        monkeypatch.setattr("kpmodel.definitions._registry.entry_points", fake_entry_points)
        assert d.get("MINE_2026") is mine
        assert d.get("KPCS_2003") is d.KPCS_2003
        assert d.available()[-1] == "MINE_2026"
        assert set(calls) == {"kpmodel.definitions"}


class TestConformance:
    @pytest.mark.parametrize("defn", BUILTINS, ids=lambda x: x.name)
    def test_builtins_pass(self, defn):
        """Every built-in definition passes the conformance check."""
        check_definition(defn, max_examples=20)

    def test_a_combination_passes(self):
        """Combinations keep the contract too."""
        check_definition(~d.KPCS_2003 | d.EU_2023.with_actors("state"), max_examples=20)

    def _plugin(self, call, **attrs):
        class Plugin:
            name = "PLUGIN"
            references = ("somewhere",)

            def __call__(self, situation, *, on=None):
                return call(situation, on)

        plugin = Plugin()
        for key, value in attrs.items():
            setattr(plugin, key, value)
        return plugin

    @pytest.mark.parametrize(
        ("make", "message"),
        [
            (lambda self: self._plugin(lambda s, on: "IN"), "instead of a kpmodel"),
            (lambda self: self._plugin(d.KPCS_2003, references=()), "references"),
            (lambda self: self._plugin(d.KPCS_2003, name=""), "name"),
            (
                lambda self: self._plugin(lambda s, on: d.Verdict(outcome=next(_FLIP))),
                "two different verdicts",
            ),
            (lambda self: self._plugin(lambda s, on: 1 / 0), "ZeroDivisionError"),
        ],
    )
    def test_broken_plugins_fail_with_the_rule_they_break(self, make, message):
        """Each broken contract is named in the ConformanceError."""
        with pytest.raises(ConformanceError, match=message):
            check_definition(make(self), max_examples=5, picklable=False)

    def test_unpicklable_plugins_fail_unless_allowed(self):
        """A plug-in that cannot be pickled fails the default check."""
        plugin = self._plugin(lambda s, on: d.KPCS_2003(s, on=on))
        with pytest.raises(ConformanceError, match="pickled"):
            check_definition(plugin, max_examples=5)
        check_definition(plugin, max_examples=5, picklable=False)

    def test_top_level_compare_is_the_definitions_one(self):
        """kp.compare is re-exported from kpmodel.definitions."""
        assert kp.compare is d.compare


def _alternate():
    while True:
        yield Outcome.IN
        yield Outcome.OUT


_FLIP = _alternate()


class TestStrategies:
    @given(definitions(negation=False))
    def test_negation_free_definitions_have_no_not(self, defn):
        """definitions(negation=False) never builds a ~ node."""

        def operators(node):
            yield node.operator
            for op in node.operands:
                yield from operators(op)

        assert "not" not in set(operators(defn))

    @given(situations())
    def test_situations_are_valid_and_sourced(self, situation):
        """Generated situations are valid records with a source and an ordered period."""
        assert situation.sources
        assert situation.period.end is None or situation.period.start <= situation.period.end
        assert isinstance(str(situation), str)

    def test_describe_lists_clauses_and_sources(self):
        """describe() shows the standing, the wording and every clause."""
        text = d.CANADA_WDC_CSC_2018.describe()
        assert text.startswith("CANADA_WDC_CSC_2018: Canada / WDC / CSC text (proposal, 2018")
        assert "wording (verbatim)" in text
        assert text.count("clause Clause(") == 5
        assert "source: https://" in text
