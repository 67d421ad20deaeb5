"""The shipped real data: columns, types, codes and totals that match the CSV files exactly."""

import csv
import hashlib
import json
import math
from importlib import resources

import pandas as pd
import pytest

import kpmodel as kp
from kpmodel.datasets._countries import country_code


def shipped_rows(name):
    with resources.files("kpmodel.datasets").joinpath("data", name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


class TestKPProduction:
    def test_columns_and_types(self):
        """The production table has the documented columns and dtypes."""
        frame = kp.datasets.kp_production()
        assert list(frame.columns) == [
            "participant",
            "participant_name",
            "year",
            "half",
            "reported",
            "production_type",
            "carats",
            "value_usd",
            "created",
            "last_modified",
        ]
        assert frame["year"].dtype == "int64"
        assert frame["half"].dtype == "int64"
        assert isinstance(frame["reported"].dtype, pd.CategoricalDtype)
        assert frame["carats"].dtype == "float64"
        assert frame["value_usd"].dtype == "float64"
        assert str(frame["created"].dtype).startswith("datetime64")
        assert set(frame["half"]) == {1, 2}
        assert (len(frame), frame["participant"].nunique()) == (1529, 56)

    def test_totals_match_the_csv_exactly(self):
        """Carats and dollars sum to exactly the CSV's numbers (no number was changed)."""
        rows = shipped_rows("kp_production_halfyear.csv")
        frame = kp.datasets.kp_production()
        for column in ("carats", "value_usd"):
            expected = math.fsum(float(row[column]) for row in rows)
            assert math.fsum(frame[column]) == expected
            assert frame[column].tolist() == [float(row[column]) for row in rows]

    def test_names_map_to_codes(self):
        """Participant names map to ISO codes, the EU to "EU", and the name is kept."""
        frame = kp.datasets.kp_production()
        pairs = dict(zip(frame["participant_name"], frame["participant"], strict=True))
        assert pairs["European Union"] == "EU"
        assert pairs["Congo, Democratic Republic of"] == "CD"
        assert pairs["Congo, Republic of"] == "CG"
        assert pairs["Cote D'ivoire"] == "CI"
        assert pairs["Russian Federation"] == "RU"
        assert frame["participant"].notna().all()

    def test_statistics_sum_the_submissions(self):
        """kp_statistics() sums several rows per participant and half year, keeping totals."""
        frame = kp.datasets.kp_production()
        stats = kp.datasets.kp_statistics()
        assert math.isclose(stats.table["carats"].sum(), frame["carats"].sum(), rel_tol=1e-12)
        drc = stats.annual().query("participant == 'CD' and year == 2022")
        assert round(float(drc["carats"].iloc[0]) / 1e3) == 10780  # NDC 2022: 10,780 kct

    def test_world_totals_match_published_figures(self):
        """Annual world totals of the dataset match the published KP totals (2012: 127.97 Mct)."""
        world = kp.datasets.kp_statistics().world(annual=True).set_index("year")
        assert round(world.loc[2012, "carats"] / 1e6, 2) == 127.97
        assert round(world.loc[2023, "carats"] / 1e6, 2) == 112.07


class TestTradeHS7102:
    def test_columns_and_types(self):
        """The trade table has the contract columns, in US dollars."""
        frame = kp.datasets.trade_hs7102()
        for column in ("hs6", "flow", "reporter", "year", "value_usd"):
            assert column in frame.columns
        assert frame["value_usd"].dtype == "int64"
        assert set(frame["hs6"]) == {"710210", "710221", "710229", "710231", "710239"}
        assert set(frame["flow"]) == {"import", "export"}

    def test_values_are_thousands_times_1000(self):
        """Every value is the CSV's thousands of dollars times 1,000, row by row."""
        rows = shipped_rows("itc_trademap_hs7102_values.csv")
        frame = kp.datasets.trade_hs7102()
        assert frame["value_usd"].tolist() == [int(r["value_usd_thousands"]) * 1000 for r in rows]
        assert frame["value_usd"].sum() == 1000 * sum(int(r["value_usd_thousands"]) for r in rows)

    def test_reporters_map_to_codes(self):
        """Reporters map to ISO codes, ITC aggregates to missing, Chinese Taipei to TW."""
        frame = kp.datasets.trade_hs7102()
        pairs = dict(zip(frame["reporter_name"], frame["reporter"], strict=True))
        assert pairs["Taipei, Chinese"] == "TW"
        assert pairs["Belgium"] == "BE"
        assert pd.isna(pairs["World"])
        named = frame[
            ~frame["reporter_name"].isin(["World", "Free Zones", "Ship stores and bunkers"])
        ]
        assert named["reporter"].notna().all()


#: The source files as published (rows and number text, without the download time stamps),
#: pinned by SHA-256 when they were cleaned: (rows, digest). See the datasets' README for
#: where each file comes from.
SOURCE_DIGESTS = {
    "kp_production_halfyear.csv": (
        1529,
        "50029c7c1a8dfd3d10fad3a0316c550ff19505a95334d285d638c06b79d8e303",
    ),
    "itc_trademap_hs7102_values.csv": (
        21976,
        "85b4f80566e0cd5da01b79946cb389d60ddd517e79d6dd2e0c09948ab05d9c33",
    ),
}
STAMPS = {"created", "last_modified"}


def rows_digest(rows):
    """SHA-256 of the rows' cells (time stamps left out), in a canonical JSON form."""
    body = [{k: v for k, v in row.items() if k not in STAMPS} for row in rows]
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


@pytest.mark.parametrize("name", sorted(SOURCE_DIGESTS))
def test_shipped_copy_keeps_every_number(name):
    """The cleaned copy has the same rows and the same number text as the source file."""
    shipped = shipped_rows(name)
    assert (len(shipped), rows_digest(shipped)) == SOURCE_DIGESTS[name]


def test_unknown_country_name_raises():
    """A name pycountry does not know raises UnknownCodeError naming the fix."""
    with pytest.raises(kp.errors.UnknownCodeError, match="NAME_OVERRIDES"):
        country_code("Atlantis, Republic of")


def test_capacity_and_episodes_are_sourced():
    """Every capacity estimate and known episode carries a source."""
    for frame in (kp.datasets.capacity_estimates(), kp.datasets.known_episodes()):
        assert frame["source"].str.len().min() > 5
    capacity = kp.datasets.capacity_estimates()
    assert not capacity.set_index("participant").loc["CG", "confirmed"]


def test_participant_codes_are_register_codes():
    """Every participant code in the production table is a code of the KP register."""
    codes = set(kp.participants.Register.default().codes)
    assert set(kp.datasets.kp_production()["participant"]) <= codes
