"""compare(), conflict shares over lots, production coverage, and the figures."""

import datetime as dt

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel import definitions as d
from kpmodel.errors import InvalidArgumentError, UnknownCodeError
from kpmodel.testing.strategies import definitions, situations

matplotlib.use("Agg")

BOOK = d.CaseBook.default()
ALL = [d.get(name) for name in d.BUILTIN_NAMES]


class TestCompare:
    def test_table_is_tidy(self):
        """One row per item and definition, with the baseline included first."""
        c = kp.compare(["EU_2023", "ADPA_2025"], BOOK)
        assert list(c.table.columns) == ["item", "definition", "verdict", "reasons"]
        assert len(c.table) == len(BOOK) * 3
        assert c.names == ["KPCS_2003", "EU_2023", "ADPA_2025"]
        assert set(c.table["verdict"]) <= {"in", "out", "undetermined"}

    @given(definitions(), st.lists(situations(), min_size=1, max_size=4))
    def test_a_definition_compared_with_itself_has_no_flips(self, defn, items):
        """Self-comparison never flips, and the summary counts every item once."""
        c = kp.compare([defn], items, baseline=defn)
        assert c.flips.empty
        summary = c.summary.loc[defn.name]
        assert summary[["in", "undetermined", "out"]].sum() == len(c.situations)

    def test_flips_say_why(self):
        """Russia flips under the G7 ban, and the reason names the clause."""
        flips = kp.compare("G7_RUSSIA_ORIGIN_2024", BOOK).flips
        russia = flips[flips["item"] == "russia-2022"].iloc[0]
        assert (russia["baseline_verdict"], russia["verdict"]) == ("out", "in")
        assert "russian-origin" in russia["why"]
        assert "actor" in russia["baseline_why"]

    def test_explain_reads_like_a_lesson(self):
        """The explanation tells the facts, each verdict with reasons, and whose reading it is."""
        text = kp.compare(ALL, BOOK).explain("zimbabwe-marange")
        assert text.startswith("Zimbabwe, Marange, 2008-2011")
        assert "Who: public security force." in text
        assert "Under KPCS_2003 (KPCS Core Document, Section I; in force since 2003): OUT." in text
        assert "This changes the verdict against KPCS_2003." in text
        assert "The case book records it as left open, kpmodel's reading" in text
        assert "records OUT, E. Golan, Rubel & Ménasché, 2012" in text
        assert "It fits 'wealth-through-illegal-control'" in text

    def test_lists_and_mappings_of_situations_are_subjects(self):
        """A list is keyed by titles, a mapping by its keys."""
        s = BOOK["russia-2022"]
        assert list(kp.compare("EU_2023", [s]).situations) == [s.title or "situation[0]"]
        assert list(kp.compare("EU_2023", {"r": s}).situations) == ["r"]

    def test_on_overrides_each_situations_own_period(self):
        """As of mid-2023 the G7 ban does not yet catch Russia."""
        c = kp.compare("G7_RUSSIA_ORIGIN_2024", BOOK, on=dt.date(2023, 6, 30))
        assert c.verdict("russia-2022", "G7_RUSSIA_ORIGIN_2024").outcome is d.Outcome.OUT
        assert "Judged as of 2023-06-30" in c.explain("russia-2022")

    def test_plain_callables_are_definitions_too(self):
        """Any callable returning a Verdict can be compared; others are refused."""

        def strict(situation, *, on=None):
            return d.Verdict(outcome=d.Outcome.OUT, definition="strict")

        c = kp.compare([strict], BOOK)
        assert c.names == ["KPCS_2003", "strict"]
        assert c.summary.loc["strict", "out"] == len(BOOK)
        with pytest.raises(kp.errors.PluginError, match="must return"):
            kp.compare([lambda s, on=None: "IN"], BOOK)

    @pytest.mark.parametrize(
        ("definitions_", "subject", "error"),
        [
            ("NOPE_2020", BOOK, UnknownCodeError),
            (42, BOOK, InvalidArgumentError),
            ("EU_2023", ["not a situation"], InvalidArgumentError),
            ([], BOOK, None),
        ],
    )
    def test_bad_arguments(self, definitions_, subject, error):
        """Bad definitions or subjects raise kpmodel errors; an empty list keeps the baseline."""
        if error is None:
            assert kp.compare(definitions_, subject).names == ["KPCS_2003"]
            return
        with pytest.raises(error):
            kp.compare(definitions_, subject)

    def test_unknown_items_are_reported(self):
        """explain() and verdict() name the known items."""
        c = kp.compare("EU_2023", BOOK)
        with pytest.raises(InvalidArgumentError, match="zimbabwe-marange"):
            c.explain("marange")
        with pytest.raises(InvalidArgumentError, match="zimbabwe-marange"):
            c.verdict("marange", "EU_2023")


ORIGINS = ["ZW", "ZW/Marange", "RU", "CF", "BW", "AO/Lunda Norte", "unknown"]


@st.composite
def share_frames(draw):
    """Lots by origins, each row summing to at most 1 (built by construction)."""
    columns = draw(st.lists(st.sampled_from(ORIGINS), min_size=1, max_size=5, unique=True))
    lots = draw(st.integers(1, 5))
    weights = np.array(
        draw(
            st.lists(
                st.lists(st.integers(0, 10), min_size=len(columns), max_size=len(columns)),
                min_size=lots,
                max_size=lots,
            )
        ),
        dtype=float,
    )
    totals = weights.sum(axis=1, keepdims=True)
    scale = np.where(totals > 0, totals, 1.0)
    fill = draw(st.sampled_from([1.0, 0.8]))  # 0.8: part of the lot is not attributed
    return pd.DataFrame(
        weights / scale * fill, columns=columns, index=[f"lot-{i}" for i in range(lots)]
    )


def reference_shares(defn, frame, book):
    """Slow, obviously correct: loop over lots, origins and situations."""
    rows = []
    for lot, shares in frame.iterrows():
        total_in = total_open = 0.0
        for origin, share in shares.items():
            if origin == "unknown":
                total_open += share
                continue
            place = d.Place.parse(origin)
            found = []
            for s in book.situations().values():
                outcome = defn(s).outcome
                if s.place.contains(place):
                    found.append(outcome)
                elif place.contains(s.place):
                    found.append(d.Outcome.UNDETERMINED if outcome is d.Outcome.IN else outcome)
            if d.Outcome.IN in found:
                total_in += share
            elif d.Outcome.UNDETERMINED in found:
                total_open += share
        rows.append((lot, total_in, total_open))
    return rows


class TestConflictShares:
    @given(share_frames(), st.sampled_from(ALL))
    def test_agrees_with_a_slow_reference(self, frame, defn):
        """Vectorised shares equal a per-lot loop, and the three shares add up."""
        out = d.conflict_shares(defn, frame, BOOK)
        expected = reference_shares(defn, frame, BOOK)
        np.testing.assert_allclose(out["in_share"], [r[1] for r in expected], atol=1e-12)
        np.testing.assert_allclose(out["undetermined_share"], [r[2] for r in expected], atol=1e-12)
        total = out["in_share"] + out["undetermined_share"] + out["out_share"]
        np.testing.assert_allclose(total, frame.sum(axis=1).to_numpy(), atol=1e-12)

    def test_zone_evidence_leaves_country_level_origin_undetermined(self):
        """Diamonds known only as 'Zimbabwe' may or may not be from Marange."""
        frame = pd.DataFrame({"ZW": [1.0], "ZW/Marange": [0.0]}, index=["lot"])
        out = d.conflict_shares("CANADA_WDC_CSC_2018", frame, BOOK).iloc[0]
        assert (out["in_share"], out["undetermined_share"]) == (0.0, 1.0)

    def test_carats_value_and_production_dates(self):
        """Carats and value covered follow the shares; production dates pick the rules."""
        frame = pd.DataFrame({"RU": [1.0, 0.5], "BW": [0.0, 0.5]}, index=["a", "b"])
        carats = pd.Series([10.0, 4.0], index=["a", "b"])
        produced = pd.Series(pd.to_datetime(["2023-05-01", "2024-05-01"]), index=["a", "b"])
        out = d.conflict_shares(
            "G7_RUSSIA_ORIGIN_2024", frame, BOOK, produced=produced, carats=carats
        )
        assert out["in_share"].tolist() == [0.0, 0.5]
        assert out["in_carats"].tolist() == [0.0, 2.0]

    @pytest.mark.parametrize(
        ("frame", "message"),
        [
            (pd.DataFrame({"ZW": [-0.1]}), "non-negative"),
            (pd.DataFrame({"ZW": [0.7], "BW": [0.7]}), "more than 1"),
            (pd.DataFrame({"Zimbabwe": [1.0]}), "must name an origin"),
            ([[1.0]], "DataFrame"),
        ],
    )
    def test_bad_share_frames(self, frame, message):
        """Bad share tables raise InvalidArgumentError saying what is wrong."""
        with pytest.raises(InvalidArgumentError, match=message):
            d.conflict_shares("KPCS_2003", frame, BOOK)


def small_stats():
    return pd.DataFrame(
        {
            "participant": ["ZW", "ZW", "BW", "RU", "RU", "CF"],
            "year": [2010, 2010, 2010, 2023, 2024, 2013],
            "carats": [4.0, 4.0, 24.0, 40.0, 30.0, 1.0],
            "value_usd": [200.0, 200.0, 3000.0, 4000.0, 3000.0, 100.0],
        }
    )


class TestCoverage:
    def test_bounds_when_the_zone_share_is_unknown(self):
        """Marange under Canada 2018: 0 to the whole of Zimbabwe, and the basis says so."""
        cov = d.coverage(["CANADA_WDC_CSC_2018"], small_stats(), BOOK)
        row = cov[(cov["year"] == 2010)].iloc[0]
        assert (row["carats_low"], row["carats_high"], row["total_carats"]) == (0.0, 8.0, 32.0)
        assert "zone share unknown" in row["basis"]
        assert row["share_high"] == pytest.approx(0.25)

    def test_a_cited_zone_share_narrows_the_bounds(self):
        """A zone share with its source gives equal bounds for an IN zone."""
        zones = pd.DataFrame(
            {
                "country": ["ZW"],
                "zone": ["Marange"],
                "year": [2010],
                "share": [0.5],
                "source": ["test"],
            }
        )
        cov = d.coverage("CANADA_WDC_CSC_2018", small_stats(), BOOK, zone_shares=zones)
        row = cov[cov["year"] == 2010].iloc[0]
        assert (row["carats_low"], row["carats_high"]) == (4.0, 4.0)
        assert "(test)" in row["basis"]

    def test_each_year_is_judged_by_the_rules_then(self):
        """Russian production counts under the G7 ban from 2024, not in 2023."""
        cov = d.coverage("G7_RUSSIA_ORIGIN_2024", small_stats(), BOOK).set_index("year")
        assert cov.loc[2023, "carats_high"] == 0.0
        assert cov.loc[2024, "carats_low"] == 30.0

    def test_whole_country_situations_respect_the_register(self):
        """CAR's Séléka case (country-wide) in 2013, the year of the suspension (23 May):
        the recorded production may predate the decision, so it counts in the upper bound
        only, and the basis says why."""
        cov = d.coverage("KPCS_2003", small_stats(), BOOK).set_index("year")
        assert (cov.loc[2013, "carats_low"], cov.loc[2013, "carats_high"]) == (0.0, 1.0)
        assert "register's decisions changed" in cov.loc[2013, "basis"]

    @pytest.mark.parametrize(
        ("stats", "zones", "message"),
        [
            (small_stats().drop(columns="value_usd"), None, "missing"),
            (small_stats().assign(participant="Zimbabwe"), None, "ISO 3166-1"),
            (small_stats().assign(carats=-1.0), None, "finite numbers from 0"),
            (
                small_stats(),
                pd.DataFrame(
                    {
                        "country": ["ZW"],
                        "zone": ["Marange"],
                        "year": [2010],
                        "share": [0.5],
                        "source": [""],
                    }
                ),
                "cite its source",
            ),
        ],
    )
    def test_bad_inputs(self, stats, zones, message):
        """Bad production or zone tables raise InvalidArgumentError."""
        with pytest.raises(InvalidArgumentError, match=message):
            d.coverage("KPCS_2003", stats, BOOK, zone_shares=zones)


class TestFigures:
    @pytest.fixture(autouse=True)
    def _close_figures(self):
        yield
        import matplotlib.pyplot as plt

        plt.close("all")

    def test_matrix_has_one_cell_per_item_and_definition(self):
        """The matrix figure labels every definition and item."""
        c = kp.compare(ALL, BOOK)
        ax = d.plot_matrix(c)
        assert len(ax.get_xticklabels()) == len(ALL)
        assert len(ax.get_yticklabels()) == len(BOOK)
        assert len(ax.texts) == len(ALL) * len(BOOK)

    def test_coverage_bars_from_a_comparison_and_from_coverage(self):
        """Coverage bars draw from case counts and from production bounds."""
        c = kp.compare(ALL, BOOK)
        assert len(d.plot_coverage(c).patches) == 2 * len(ALL)
        cov = d.coverage(["KPCS_2003", "CANADA_WDC_CSC_2018"], small_stats(), BOOK)
        assert d.plot_coverage(cov).get_xlabel() == "million carats"
        with pytest.raises(InvalidArgumentError):
            d.plot_coverage("nothing")
        with pytest.raises(InvalidArgumentError):
            d.plot_matrix("nothing")


class TestLotsInCompare:
    def lots(self):
        return d.Lots(
            shares=pd.DataFrame(
                {
                    "ZW/Marange": [0.3, 0.0],
                    "RU": [0.2, 0.5],
                    "BW": [0.5, 0.2],
                    "unknown": [0, 0.3],
                },
                index=["a", "b"],
            ),
            situations=BOOK,
            carats=pd.Series([10.0, 20.0], index=["a", "b"]),
            value_usd=pd.Series([1000.0, 500.0], index=["a", "b"]),
        )

    def test_table_adds_shares_carats_and_value(self):
        """Lots as subject: one row per lot and definition, with what is covered."""
        c = kp.compare(["CANADA_WDC_CSC_2018", "G7_RUSSIA_ORIGIN_2024"], self.lots())
        table = c.table.set_index(["item", "definition"])
        assert table.loc[("a", "CANADA_WDC_CSC_2018"), "verdict"] == "in"
        assert table.loc[("a", "CANADA_WDC_CSC_2018"), "in_carats"] == pytest.approx(3.0)
        assert table.loc[("b", "KPCS_2003"), "verdict"] == "undetermined"  # 30% unknown origin
        assert table.loc[("b", "G7_RUSSIA_ORIGIN_2024"), "in_value_usd"] == pytest.approx(250.0)
        summary = c.summary
        assert summary.loc["G7_RUSSIA_ORIGIN_2024", "in_carats"] == pytest.approx(12.0)

    def test_lot_verdicts_agree_with_the_shares(self):
        """A lot is IN exactly when some of it is IN, UNDETERMINED when only open shares."""
        c = kp.compare(ALL, self.lots())
        for row in c.table.to_dict("records"):
            expected = (
                "in"
                if row["in_share"] > 0
                else "undetermined"
                if row["undetermined_share"] > 0
                else "out"
            )
            assert row["verdict"] == expected

    def test_explain_a_lot(self):
        """A lot's explanation gives its origins and what each definition catches."""
        text = kp.compare("CANADA_WDC_CSC_2018", self.lots()).explain("a")
        assert "Origins: ZW/Marange 30%, RU 20%, BW 50%." in text
        assert "30% of the lot comes from origins that are IN" in text
        assert "None of its origins is caught." in text
