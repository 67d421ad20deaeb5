"""KPStatistics: construction, validation with row and column, derived views, ledger, mirror."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel._boundary import MAX_LISTED
from kpmodel.statistics import KPStatistics
from kpmodel.testing.strategies import statistics_frames, statistics_tables

GOOD = "participant,year,half,flow,carats,value_usd\nGN,2008,1,production,1715579.7,30880434.1\n"


def write(tmp_path, text, name="stats.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


class TestFromCsv:
    def test_good_file_loads(self, tmp_path):
        """A well-formed file loads with typed columns."""
        stats = KPStatistics.from_csv(write(tmp_path, GOOD))
        assert stats.participants == ("GN",)
        assert stats.table["year"].dtype == "int64"

    def test_every_problem_is_reported_with_row_and_column(self, tmp_path):
        """All bad cells are listed at once, each with its row, line and column."""
        text = GOOD + "GN,2008,3,production,-5,abc\nGN,20x8,1,smuggled,1,1\n,2009,1,export,1,1\n"
        with pytest.raises(kp.errors.LoadError) as caught:
            KPStatistics.from_csv(write(tmp_path, text))
        paths = {problem.path for problem in caught.value.problems}
        assert paths == {
            "row 2 (line 3), column 'half'",
            "row 2 (line 3), column 'carats'",
            "row 2 (line 3), column 'value_usd'",
            "row 3 (line 4), column 'year'",
            "row 3 (line 4), column 'flow'",
            "row 4 (line 5), column 'participant'",
        }
        assert isinstance(caught.value, kp.KPModelError)
        assert "stats.csv" in str(caught.value)

    def test_missing_column_is_named(self, tmp_path):
        """A missing required column is named in the error."""
        with pytest.raises(kp.errors.LoadError, match="column 'value_usd'"):
            KPStatistics.from_csv(
                write(tmp_path, "participant,year,half,flow,carats\nGN,1,1,x,1\n")
            )

    @pytest.mark.parametrize(
        "content",
        [b"", b"\xff\xfe\x00garbage", b'participant,year\n"unterminated,1\n'],
    )
    def test_unreadable_files_raise_load_error(self, tmp_path, content):
        """Empty, non-UTF-8 or unparsable files raise LoadError, never another exception."""
        path = tmp_path / "bad.csv"
        path.write_bytes(content)
        with pytest.raises(kp.errors.LoadError):
            KPStatistics.from_csv(path)

    def test_missing_file(self, tmp_path):
        """A file that does not exist raises LoadError."""
        with pytest.raises(kp.errors.LoadError, match="cannot read"):
            KPStatistics.from_csv(tmp_path / "nope.csv")

    @given(frame=statistics_frames(flows=("production", "import", "export")))
    def test_round_trip(self, tmp_path_factory, frame):
        """Writing to CSV and loading again gives the same table."""
        stats = KPStatistics.from_frame(frame)
        path = tmp_path_factory.mktemp("rt") / "stats.csv"
        stats.to_csv(path)
        assert KPStatistics.from_csv(path).table.equals(stats.table)

    @given(
        frame=statistics_frames(max_participants=3, max_periods=4),
        row=st.integers(0, 100),
        column=st.sampled_from(["year", "half", "carats", "value_usd", "flow", "participant"]),
        bad=st.sampled_from(["", "-1", "nan", "x", "1.5", "inf"]),
    )
    def test_any_malformed_cell_is_located(self, frame, row, column, bad):
        """Corrupting any one cell gives a LoadError naming that row and column, or loads."""
        frame = frame.astype(str)
        row = row % len(frame)
        frame.iloc[row, frame.columns.get_loc(column)] = bad
        acceptable = (column == "carats" and bad == "1.5") or (
            column == "value_usd" and bad == "1.5"
        )
        if acceptable:
            KPStatistics.from_frame(frame)
            return
        with pytest.raises(kp.errors.LoadError) as caught:
            KPStatistics.from_frame(frame)
        assert [p.path for p in caught.value.problems] == [f"row {row!r}, column {column!r}"]


class TestViews:
    @given(stats=statistics_tables(flows=("production", "import", "export"), max_periods=6))
    def test_annual_and_world_preserve_totals(self, stats):
        """Annual and world totals preserve the sums of carats and dollars."""
        total = stats.table["carats"].sum()
        assert math.isclose(stats.annual()["carats"].sum(), total)
        assert math.isclose(stats.world()["carats"].sum(), total)
        assert math.isclose(
            stats.world(annual=True)["value_usd"].sum(), stats.table["value_usd"].sum()
        )

    @given(stats=statistics_tables(flows=("production", "import", "export"), max_periods=6))
    def test_balance_is_production_plus_imports_minus_exports(self, stats):
        """The balance equals production + imports - exports for every row."""
        b = stats.balances()
        expected = b["production_carats"] + b["import_carats"] - b["export_carats"]
        assert np.allclose(b["balance_carats"], expected)
        assert math.isclose(
            b["balance_carats"].sum(),
            sum(
                sign * stats.table.loc[stats.table["flow"] == flow, "carats"].sum()
                for flow, sign in (("production", 1), ("import", 1), ("export", -1))
            ),
            rel_tol=1e-9,
        )

    def test_value_per_carat_is_nan_at_zero_carats(self):
        """Value per carat is NaN where nothing was produced."""
        frame = pd.DataFrame(
            {
                "participant": ["VE"],
                "year": [2012],
                "half": [1],
                "flow": ["production"],
                "carats": [0.0],
                "value_usd": [0.0],
            }
        )
        assert KPStatistics.from_frame(frame).value_per_carat()["value_per_carat"].isna().all()

    def test_duplicates_are_refused_or_summed_on_request(self):
        """Rows repeating a key are reported, or summed with duplicates='sum' (submissions)."""
        frame = pd.DataFrame(
            {
                "participant": ["ID", "ID"],
                "year": 2007,
                "half": 1,
                "flow": "production",
                "carats": [6960.65, 2749.88],
                "value_usd": [1681963.62, 668582.78],
                "certificates": [1, None],
            }
        )
        with pytest.raises(kp.errors.LoadError, match="row 1: repeats row 0"):
            KPStatistics.from_frame(frame)
        table = KPStatistics.from_frame(frame, duplicates="sum").table
        assert len(table) == 1
        assert table["carats"].iloc[0] == 6960.65 + 2749.88
        assert table["certificates"].iloc[0] == 1

    def test_many_repeated_rows_list_the_first_few(self):
        """Repeated rows are listed as every error lists refused items: the first
        MAX_LISTED, then how many more."""
        n = MAX_LISTED + 5
        frame = pd.DataFrame(
            {
                "participant": "ID",
                "year": 2007,
                "half": 1,
                "flow": "production",
                "carats": 1.0,
                "value_usd": 1.0,
            },
            index=range(n + 1),
        )
        with pytest.raises(kp.errors.LoadError) as error:
            KPStatistics.from_frame(frame)
        repeats = [p for p in error.value.problems if "repeats row 0" in p.message]
        assert len(repeats) == MAX_LISTED
        assert "... and 5 more repeated rows" in str(error.value)

    def test_replications_are_kept(self):
        """A replication column is kept in every output."""
        frame = pd.DataFrame(
            {
                "replication": [0, 1],
                "participant": "GN",
                "year": 2008,
                "half": 1,
                "flow": "production",
                "carats": [1.0, 2.0],
                "value_usd": [3.0, 4.0],
            }
        )
        stats = KPStatistics.from_frame(frame)
        assert stats.has_replications
        assert "replication" in stats.annual().columns
        assert "replication" not in kp.datasets.kp_statistics().annual().columns

    def test_constructor_rejects_a_raw_frame(self):
        """The constructor only accepts a normalised table."""
        with pytest.raises(kp.errors.InvalidArgumentError, match="from_frame"):
            KPStatistics(table=pd.DataFrame({"x": [1]}))


class TestLedger:
    LEDGER = pd.DataFrame(
        {
            "number": ["AE-1", "AE-1", "BW-9"],
            "issuing_country": ["AE", "AE", "BW"],
            "destination_country": ["IN", "IN", "AE"],
            "issued": ["2014-03-01", "2014-03-01", "2014-09-15"],
            "hs_code": "7102.10",
            "carats": [1000.0, 10.0, 500.0],
            "value_usd": [120000.0, 900.0, 70000.0],
            "origin": ["MIXED", "MIXED", "BW"],
            "declared_origins": "",
        }
    )

    def test_counts_certificates_and_both_sides(self):
        """Each shipment is an export and an import; certificates are counted once."""
        stats = KPStatistics.from_ledger(self.LEDGER)
        table = stats.table.set_index(["participant", "half", "flow"])
        assert table.loc[("AE", 1, "export"), "carats"] == 1010.0
        assert table.loc[("AE", 1, "export"), "certificates"] == 1
        assert table.loc[("IN", 1, "import"), "carats"] == 1010.0
        assert table.loc[("AE", 2, "import"), "value_usd"] == 70000.0
        assert stats.bilateral is not None

    @settings(max_examples=20)  # each example builds a KPStatistics: keep the loop quick
    @given(kp.testing.strategies.ledgers(min_size=1, max_size=4))
    def test_record_ledger_counts_each_certificate_once(self, ledger):
        """Each certificate counts once: with its shipment if one carries it, else alone."""
        shipments = [r for r in ledger if isinstance(r, kp.certificates.Shipment)]
        carried = {s.certificate.number for s in shipments if s.certificate}
        alone = [
            r
            for r in ledger
            if isinstance(r, kp.certificates.Certificate) and r.number not in carried
        ]
        parcels = [p for record in [*shipments, *alone] for p in record.parcels]
        stats = KPStatistics.from_ledger(ledger)
        exports = stats.table[stats.table["flow"] == "export"]
        assert exports["certificates"].sum() == len(carried) + len(alone)
        assert math.isclose(
            exports["carats"].sum(), float(sum(p.carats for p in parcels)), rel_tol=1e-9
        )

    def test_record_ledger_maps_members_to_their_participant(self):
        """A certificate to Belgium counts as an import of the EU, as the KP compiles it."""
        cert = kp.certificates.example_certificate()
        table = KPStatistics.from_ledger([cert]).table.set_index("flow")
        assert table.loc["export", "participant"] == cert.issuing_country
        assert table.loc["import", "participant"] == "EU"

    @pytest.mark.parametrize("bad", ["ledger.csv", [1, 2], 7])
    def test_not_a_ledger_is_a_clear_error(self, bad):
        """Anything but a frame or a list of records is refused with InvalidArgumentError."""
        with pytest.raises(kp.errors.InvalidArgumentError):
            KPStatistics.from_ledger(bad)

    def test_production_is_added(self):
        """Production from its own frame joins the table."""
        production = pd.DataFrame(
            {"participant": ["BW"], "date": ["2014-02-01"], "carats": [9000.0], "value_usd": [1e6]}
        )
        stats = KPStatistics.from_ledger(self.LEDGER, production=production)
        balance = stats.balances(annual=True).set_index("participant")
        assert balance.loc["BW", "balance_carats"] == 9000.0 - 500.0

    def test_bad_ledger_names_row_and_column(self):
        """A bad date or carat weight in the ledger is reported with row and column."""
        bad = self.LEDGER.copy()
        bad.loc[1, "issued"] = "2014-02-30"
        bad.loc[2, "carats"] = -1
        with pytest.raises(kp.errors.LoadError) as caught:
            KPStatistics.from_ledger(bad)
        paths = {p.path for p in caught.value.problems}
        assert paths == {"row 1, column 'issued'", "row 2, column 'carats'"}

    def test_the_retired_vocabulary_is_refused_with_its_mapping(self):
        """A frame in the old statistics columns gets the columns= mapping to the ledger's."""
        old = self.LEDGER.rename(
            columns={"issued": "date", "issuing_country": "exporter", "number": "certificate"}
        )
        with pytest.raises(kp.errors.InvalidArgumentError) as caught:
            KPStatistics.from_ledger(old)
        message = str(caught.value)
        assert "'date': 'issued'" in message
        assert "'exporter': 'issuing_country'" in message
        assert "'certificate': 'number'" in message
        mapped = kp.Ledger.from_frame(
            old, columns={"date": "issued", "exporter": "issuing_country", "certificate": "number"}
        )
        assert KPStatistics.from_ledger(mapped).table.equals(
            KPStatistics.from_ledger(self.LEDGER).table
        )

    def test_imports_must_be_a_ledger(self):
        """Imports given as records (or anything but a ledger or a frame) are refused."""
        with pytest.raises(kp.errors.InvalidArgumentError, match="imports must be"):
            KPStatistics.from_ledger(self.LEDGER, imports=[kp.certificates.example_certificate()])

    def test_mirror_pairs_the_two_declarations(self):
        """mirror() puts the exporter's and the importer's declarations side by side."""
        imports = self.LEDGER.assign(value_usd=[100000.0, 900.0, 70000.0])
        pairs = kp.statistics.mirror(KPStatistics.from_ledger(self.LEDGER, imports=imports))
        row = pairs.set_index(["exporter", "importer"]).loc[("AE", "IN")]
        assert row["exports_usd"] == 120900.0
        assert row["imports_usd"] == 100900.0
        assert row["gap_usd"] == -20000.0


class TestMirrorWorld:
    def test_world_mirror_of_trade_data(self):
        """Without partners, mirror() compares world declared exports with imports."""
        trade = kp.datasets.trade_hs7102()
        pairs = kp.statistics.mirror(trade[trade["kp_rough"]])
        assert set(pairs["exporter"]) == {"World"}
        one = trade[(trade.hs6 == "710231") & (trade.year == 2015) & trade.reporter.notna()]
        row = pairs[(pairs.hs6 == "710231") & (pairs.year == 2015)].iloc[0]
        assert row["exports_usd"] == one.loc[one.flow == "export", "value_usd"].sum()
        assert row["imports_usd"] == one.loc[one.flow == "import", "value_usd"].sum()

    def test_bad_trade_frame(self):
        """A frame without the trade columns raises InvalidArgumentError."""
        with pytest.raises(kp.errors.InvalidArgumentError, match="missing"):
            kp.statistics.mirror(pd.DataFrame({"reporter": ["BE"]}))


class TestEvaluate:
    def test_perfect_flags(self):
        """Flagging exactly the truth gives precision and recall 1 and AUC 1."""
        truth = pd.DataFrame({"participant": ["GN", "CF"], "year": [2008, 2013]})
        flags = truth.assign(score=[5.0, 3.0], threshold=1.0)
        universe = pd.DataFrame(
            {"participant": ["GN", "CF", "BW", "RU"], "year": [2008, 2013, 2010, 2010]}
        )
        result = kp.statistics.evaluate(flags, truth, universe=universe)
        assert (result.precision, result.recall, result.auc) == (1.0, 1.0, 1.0)
        assert result.roc["true_positive_rate"].iloc[-1] == 1.0

    def test_no_flags(self):
        """With no flags, precision is NaN and recall 0."""
        truth = pd.DataFrame({"participant": ["GN"], "year": [2008]})
        flags = pd.DataFrame({"participant": [], "year": [], "score": [], "threshold": []})
        result = kp.statistics.evaluate(flags, truth)
        assert math.isnan(result.precision)
        assert result.recall == 0.0
