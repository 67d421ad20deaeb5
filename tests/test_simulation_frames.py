"""`SimulationResult.provenance_frames` builds what the frames it replaced held.

The reference is `provenance_frames` as it was before issue 12: built from the result's
cached DataFrames (`lots`, `flows`, `parcels`), one Python object per row of text. The
new frames read the run's arrays and keep text as categoricals; the values must be equal,
and so must the certificates' numbering (a combined key instead of a groupby).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel.simulation import _engine as en
from kpmodel.testing.strategies import scenarios


def reference_frames(result: kp.simulation.SimulationResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The frames as built before issue 12, from the cached DataFrames of the result."""
    self = result
    a = self._arrays
    b = a.book
    n_lots = b.carats.size
    countries = np.array(a.net.countries, dtype=object)
    dates = np.asarray(self._dates, dtype="datetime64[D]")
    # where each lot of the simulation sits before it moves
    place = b.location.copy()
    place[: b.n_production] = a.net.zone_country[a.zone]
    parcels = np.flatnonzero(b.kind == en.PARCEL)
    place[parcels] = b.location[b.pool_lot[b.parent_pool[parcels]]]

    legs = self._legs
    leg_lot = legs["lot"].to_numpy()
    leg_id = n_lots + np.arange(len(legs))
    order = np.argsort(leg_lot, kind="stable")  # legs of one lot stay in time order
    parent = np.empty(len(legs), dtype=np.int64)
    first = np.r_[True, leg_lot[order][1:] != leg_lot[order][:-1]]
    parent[order] = np.where(first, leg_lot[order], np.r_[-1, leg_id[order][:-1]])
    tip = np.arange(n_lots)
    tip[leg_lot[order]] = leg_id[order]  # the last leg wins
    certified = legs["certified"].to_numpy()
    certificate = np.full(len(legs), None, dtype=object)
    certificate[certified] = self.parcels["number"].to_numpy()
    labels = {int(x): self._label(int(x)) for x in np.unique(legs["label"]) if x >= -1 or x <= -3}
    text = {label: str(origin) for label, origin in labels.items()}
    declared = np.array([text.get(int(x)) for x in legs["label"]], dtype=object)
    listing = {
        self._index(hub.country): self.scenario.controls.origin_listing_on_mixed
        or hub.certifies == "list_origins"
        for hub in self.scenario.hubs
    }
    exporter = legs["exporter"].to_numpy()
    lists = np.array([listing.get(int(c), False) for c in exporter], dtype=bool) & certified

    seized = np.flatnonzero(b.fate == en.SEIZED)
    seize_id = n_lots + len(legs) + np.arange(seized.size)
    country_of = np.concatenate([place, legs["importer"].to_numpy()])

    base = self.lots
    kinds = np.array(["produce", "mix", "split"], dtype=object)[b.kind]
    lots = pd.DataFrame(
        {
            "lot_id": np.concatenate([np.arange(n_lots), leg_id, seize_id]),
            "carats": np.concatenate([b.carats, b.carats[leg_lot], b.carats[seized]]),
            "origin": np.concatenate(
                [
                    base["origin"].astype(object).to_numpy(),
                    np.full(len(legs) + seized.size, None),
                ]
            ),
            "kind": np.concatenate(
                [kinds, np.where(certified, "ship", "smuggle"), np.full(seized.size, "seize")]
            ),
            "on": np.concatenate([dates[b.step], dates[b.step[leg_lot]], dates[b.step[seized]]]),
            "country": countries[
                np.concatenate([place, legs["importer"].to_numpy(), country_of[tip[seized]]])
            ],
            "zone": np.concatenate(
                [
                    base["zone"].astype(object).to_numpy(),
                    np.full(len(legs) + seized.size, None),
                ]
            ),
            "value_usd": np.concatenate([b.value, b.value[leg_lot], b.value[seized]]),
            "certificate": np.concatenate(
                [np.full(n_lots, None), certificate, np.full(seized.size, None)]
            ),
            "declared_origin": np.concatenate(
                [np.full(n_lots, None), declared, np.full(seized.size, None)]
            ),
            "list_origins": np.concatenate(
                [np.zeros(n_lots, dtype=bool), lists, np.zeros(seized.size, dtype=bool)]
            ),
            "simulated_lot": np.concatenate([np.arange(n_lots), leg_lot, seized]),
        }
    )
    moves = self.flows
    mixing = (moves["kind"] == "mix").to_numpy()
    source = moves["source"].to_numpy().copy()
    source[mixing] = tip[source[mixing]]  # goods are pooled where their last leg took them
    flows = pd.DataFrame(
        {
            "source": np.concatenate([parent, tip[seized], source]),
            "target": np.concatenate([leg_id, seize_id, moves["target"].to_numpy()]),
            "carats": np.concatenate(
                [b.carats[leg_lot], b.carats[seized], moves["carats"].to_numpy()]
            ),
        }
    )
    return lots, flows


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text column as objects, missing values as None."""
    frame = frame.astype({c: object for c in frame.columns if frame[c].dtype.kind in "OUT"})
    text = [c for c in frame.columns if frame[c].dtype == object]
    frame[text] = frame[text].astype(object).where(frame[text].notna(), None)
    return frame


@settings(max_examples=25)
@given(scenarios(), st.integers(0, 2**32))
def test_frames_equal_the_reference(scenario, seed):
    """Same lots and flows as the frames built from the cached DataFrames."""
    result = kp.simulation.run(scenario, seed=seed)
    lots, flows = result.provenance_frames()
    assert not {"lots", "flows", "parcels", "_legs"} & set(vars(result))  # nothing cached
    expected_lots, expected_flows = reference_frames(result)
    pd.testing.assert_frame_equal(plain(lots), plain(expected_lots), check_dtype=False)
    pd.testing.assert_frame_equal(flows, expected_flows)


@settings(max_examples=25)
@given(scenarios(), st.integers(0, 2**32))
def test_certificates_are_numbered_as_by_groupby(scenario, seed):
    """Certificates are numbered in the order of (exporter, importer, step, label)."""
    result = kp.simulation.run(scenario, seed=seed)
    certified = result._legs[result._legs["certified"]]
    keys = ["exporter", "importer", "step", "label"]
    expected = certified.groupby(keys, sort=True).ngroup().to_numpy()
    np.testing.assert_array_equal(result._certified["certificate"].to_numpy(), expected)
