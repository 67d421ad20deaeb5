"""A simulated ledger and a loaded one are the same type and take the same paths."""

from __future__ import annotations

import pandas as pd
import pytest

import kpmodel as kp
from kpmodel.ledger import REQUIRED_COLUMNS, Ledger


@pytest.fixture(scope="module")
def result():
    return kp.simulation.run(kp.simulation.builtin("congo-brazzaville-2004"), seed=1)


def test_the_simulated_ledger_is_a_ledger(result, tmp_path):
    """One row per simulated parcel, the required columns, and a file round trip."""
    ledger = result.ledger
    assert isinstance(ledger, Ledger)
    assert ledger.columns == REQUIRED_COLUMNS
    assert len(ledger) == len(result.parcels)
    assert ledger.number_of_certificates == len(result.certificates)
    frame = ledger.to_frame()
    assert frame["carats"].sum() == pytest.approx(result.parcels["carats"].sum())
    ledger.write(tmp_path / "simulated.csv")
    assert Ledger.read(tmp_path / "simulated.csv") == ledger


def test_declarations_agree_with_the_records(result):
    """The ledger declares what the simulation's certificate records declare."""
    records = result.certificate_records(limit=20)
    mine = result.ledger.records(only=range(len(records)))
    for theirs, ours in zip(records, mine, strict=True):
        assert [p.declared_origin for p in ours.parcels] == [
            p.declared_origin for p in theirs.parcels
        ]


def test_check_statistics_and_provenance_take_it(result):
    """check, statistics and from_ledger take the simulated ledger with no conversion."""
    ledger = result.ledger
    report = kp.check(ledger)
    assert "annex-i-authority" in {n.rule for n in report.not_checked}
    stats = kp.statistics.KPStatistics.from_ledger(ledger)
    exports = stats.table.query("flow == 'export'").groupby("participant").carats.sum()
    own = result.kp_statistics.table.query("flow == 'export'").groupby("participant").carats.sum()
    pd.testing.assert_series_equal(exports, own, check_names=False)
    graph = kp.ProvenanceGraph.from_ledger(ledger)
    shares = kp.origin_shares(graph, lots=list(range(len(ledger))))
    assert shares.values.shape[0] >= len(ledger)


def test_statistics_of_a_ledger_and_of_its_records_agree():
    """KPStatistics.from_ledger gives the same table for a Ledger and for its records."""
    cert = kp.certificates.example_certificate()
    ledger = Ledger.from_records([cert])
    by_records = kp.statistics.KPStatistics.from_ledger([cert])
    assert kp.statistics.KPStatistics.from_ledger(ledger).table.equals(by_records.table)
