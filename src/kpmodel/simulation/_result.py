"""`SimulationResult`: the ledger, provenance frames, statistics, truth and metrics of a run."""

from __future__ import annotations

import datetime as dt
import functools
import math
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from kpmodel._display import View
from kpmodel._limits import Limit
from kpmodel._progress import progress_bar
from kpmodel.certificates import Certificate, DeclaredOrigin, Parcel, Party
from kpmodel.errors import InvalidArgumentError
from kpmodel.ledger import Ledger
from kpmodel.participants import Register
from kpmodel.provenance import ProvenanceGraph
from kpmodel.simulation import _engine as en
from kpmodel.simulation._scenario import Scenario
from kpmodel.simulation._size import check_run
from kpmodel.statistics import BUILTINS as DETECTORS
from kpmodel.statistics import KPStatistics, detect

_KINDS = pd.CategoricalDtype(["production", "pool", "parcel"])
_FATES = pd.CategoricalDtype(["destination", "seized", "stock", "pooled", "split"])
_SEIZED_BY = pd.CategoricalDtype(["", "border", "import_verification", "footprint", "import_ban"])
_FLOW_KINDS = pd.CategoricalDtype(["mix", "split"])
#: The kinds of `SimulationResult.provenance_frames`: the book's three, then the movements.
_PROVENANCE_KINDS = pd.CategoricalDtype(["produce", "mix", "split", "ship", "smuggle", "seize"])


class SimulationResult:
    """What one run of a scenario produced, as tidy pandas DataFrames.

    The frames are built from the run's arrays the first time they are read.

    Attributes
    ----------
    scenario : Scenario
        The scenario that was run.
    seed : int
        The seed of the run.

    Examples
    --------
    >>> result = kp.simulation.run(kp.simulation.builtin("congo-brazzaville-2004"), seed=1)
    >>> produced, destination, seized, stock = result.conservation()
    >>> abs(produced - (destination + seized + stock)) < 1e-6 * produced
    True
    """

    def __init__(self, scenario: Scenario, seed: int, arrays: en.RunArrays) -> None:
        self.scenario = scenario
        self.seed = seed
        self._arrays = arrays
        self._dates = en.step_dates(scenario)

    def _view(self) -> View:
        lots = self._arrays.book.n_production

        def headline() -> pd.DataFrame:
            metrics = self.metrics
            return metrics[metrics["detector"].isin(["", "any"])]

        return View(
            kind="SimulationResult",
            summary=f"{self.scenario.name}, seed {self.seed}, {lots} production lots",
            more="see .metrics, .lots, .certificates, .kp_statistics, .provenance, .truth",
            facts=[
                ("scenario", self.scenario.title or self.scenario.name),
                ("definition in force", self.scenario.definition),
            ],
            tables=lambda: [("Headline metrics", headline())],
        )

    def __repr__(self) -> str:
        return self._view().text()

    def _repr_html_(self) -> str:
        return self._view().html()

    # --- provenance --------------------------------------------------------------------------

    @functools.cached_property
    def lots(self) -> pd.DataFrame:
        """Every lot: production lots, the pools hubs mix, and the parcels they re-split.

        Columns ``lot_id, kind, carats, value_usd, on, origin, zone, location, fate,
        seized_by, smuggled, registered``. `origin` and `zone` are set on production lots
        only; `location` is the country the lot was last in; `fate` is ``destination``,
        ``seized``, ``stock``, ``pooled`` (mixed into a pool) or ``split`` (a pool re-split).

        Examples
        --------
        >>> result = kp.simulation.run(kp.simulation.builtin("car-2013"), seed=1)
        >>> result.lots.query("origin == 'CF'").smuggled.any()
        np.True_
        """
        a = self._arrays
        b = a.book
        n = b.n_production
        countries = pd.CategoricalDtype(list(a.net.countries))
        zone = np.full(b.carats.size, -1)
        zone[:n] = a.zone
        origin = np.full(b.carats.size, -1)
        origin[:n] = a.net.zone_country[a.zone]
        smuggled = np.zeros(b.carats.size, dtype=bool)
        smuggled[:n] = a.smuggled
        registered = np.zeros(b.carats.size, dtype=bool)
        registered[:n] = b.registered
        return pd.DataFrame(
            {
                "lot_id": np.arange(b.carats.size),
                "kind": pd.Categorical.from_codes(b.kind, dtype=_KINDS),
                "carats": b.carats,
                "value_usd": b.value,
                "on": pd.to_datetime(np.asarray(self._dates, dtype="datetime64[D]")[b.step]),
                "origin": pd.Categorical.from_codes(origin, dtype=countries),
                "zone": _zones(a.net, zone),
                "location": pd.Categorical.from_codes(b.location, dtype=countries),
                "fate": pd.Categorical.from_codes(b.fate, dtype=_FATES),
                "seized_by": pd.Categorical.from_codes(b.seized_by, dtype=_SEIZED_BY),
                "smuggled": smuggled,
                "registered": registered,
            }
        )

    @functools.cached_property
    def flows(self) -> pd.DataFrame:
        """Carats moving from lot to lot: ``source, target, carats, kind`` (mix or split).

        Examples
        --------
        >>> result = kp.simulation.run(kp.simulation.builtin("car-2013"), seed=1)
        >>> sorted(result.flows.kind.unique())
        ['mix', 'split']
        """
        b = self._arrays.book
        parts = (b.flow_source, b.flow_target, b.flow_carats, b.flow_kind)
        source, target, carats, kind = (
            np.concatenate(p) if p else np.zeros(0, dtype=np.int64) for p in parts
        )
        return pd.DataFrame(
            {
                "source": source.astype(np.int64),
                "target": target.astype(np.int64),
                "carats": carats.astype(np.float64),
                "kind": pd.Categorical.from_codes(kind.astype(np.int8), dtype=_FLOW_KINDS),
            }
        )

    def provenance_frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Return ``(lots, flows)`` in the format `kpmodel.ProvenanceGraph.from_frames` reads.

        Besides the lots of `lots` (kinds ``produce``; ``mix`` for a hub's pool; ``split``
        for a parcel, at its hub), every movement is a lot of its own, as in the provenance
        graph's incremental API: ``smuggle`` (no certificate) or ``ship`` (with its
        certificate number and declared origin, and ``list_origins`` when the exporting hub
        lists origins), and every seizure a ``seize`` lot. Columns: ``lot_id, carats,
        origin, kind, on, country, zone, value_usd, certificate, declared_origin,
        list_origins``, and ``simulated_lot`` (the lot of `lots` a row carries). The text
        columns are categoricals (a few bytes a row, however many millions of rows).

        Examples
        --------
        >>> result = kp.simulation.run(kp.simulation.builtin("car-2013"), seed=1)
        >>> lots, flows = result.provenance_frames()
        >>> sorted(lots.kind.unique())
        ['mix', 'produce', 'seize', 'ship', 'smuggle', 'split']
        """
        a = self._arrays
        b = a.book
        n_lots = b.carats.size
        countries = pd.CategoricalDtype(list(a.net.countries))
        dates = np.asarray(self._dates, dtype="datetime64[D]")
        # where each lot of the simulation sits before it moves
        place = b.location.copy()
        place[: b.n_production] = a.net.zone_country[a.zone]
        parcels = np.flatnonzero(b.kind == en.PARCEL)
        place[parcels] = b.location[b.pool_lot[b.parent_pool[parcels]]]

        legs = a.legs
        leg_lot = np.asarray(legs["lot"], dtype=np.int64)
        leg_id = n_lots + np.arange(leg_lot.size)
        order = np.argsort(leg_lot, kind="stable")  # legs of one lot stay in time order
        parent = np.empty(leg_lot.size, dtype=np.int64)
        first = np.r_[True, leg_lot[order][1:] != leg_lot[order][:-1]]
        parent[order] = np.where(first, leg_lot[order], np.r_[-1, leg_id[order][:-1]])
        tip = np.arange(n_lots)
        tip[leg_lot[order]] = leg_id[order]  # the last leg wins
        del order, first
        label = np.asarray(legs["label"], dtype=np.int64)
        certified = label != en.UNDOCUMENTED
        certificate, issuer, issued = self._certificate_index()
        numbers = _numbers(
            [a.net.countries[c] for c in issuer.tolist()],
            [self._dates[d].year for d in issued.tolist()],
            range(issuer.size),
        )
        low = int(label.min(initial=0))
        present = np.flatnonzero(np.bincount(label - low)) if label.size else label
        texts = [
            None if x == en.UNDOCUMENTED else str(self._label(x)) for x in (present + low).tolist()
        ]
        codes, declared_texts = pd.factorize(np.array(texts, dtype=object))
        table = np.full(present.size and int(present[-1]) + 1, -1, np.int64)
        table[present] = codes
        declared = table[label - low]
        del label, table
        listing = np.zeros(len(countries.categories), dtype=bool)
        for hub in self.scenario.hubs:
            listing[self._index(hub.country)] = (
                self.scenario.controls.origin_listing_on_mixed or hub.certifies == "list_origins"
            )
        lists = listing[np.asarray(legs["exporter"])] & certified

        seized = np.flatnonzero(b.fate == en.SEIZED)
        seize_id = n_lots + leg_lot.size + np.arange(seized.size)
        importer = np.asarray(legs["importer"], dtype=np.int64)
        country_of = np.concatenate([place, importer])
        moved = leg_lot.size + seized.size

        origin = np.full(n_lots + moved, -1)
        origin[: b.n_production] = a.net.zone_country[a.zone]
        zone = np.full(n_lots + moved, -1)
        zone[: b.n_production] = a.zone
        kind = np.concatenate([b.kind, np.where(certified, 3, 4), np.full(seized.size, 5)]).astype(
            np.int8
        )
        lots = pd.DataFrame(
            {
                "lot_id": np.concatenate([np.arange(n_lots), leg_id, seize_id]),
                "carats": np.concatenate([b.carats, b.carats[leg_lot], b.carats[seized]]),
                "origin": pd.Categorical.from_codes(origin, dtype=countries),
                "kind": pd.Categorical.from_codes(kind, dtype=_PROVENANCE_KINDS),
                "on": np.concatenate(
                    [dates[b.step], dates[b.step[leg_lot]], dates[b.step[seized]]]
                ),
                "country": pd.Categorical.from_codes(
                    np.concatenate([place, importer, country_of[tip[seized]]]), dtype=countries
                ),
                "zone": _zones(a.net, zone),
                "value_usd": np.concatenate([b.value, b.value[leg_lot], b.value[seized]]),
                "certificate": pd.Categorical.from_codes(
                    np.concatenate([np.full(n_lots, -1), certificate, np.full(seized.size, -1)]),
                    categories=pd.Index(numbers),
                ),
                "declared_origin": pd.Categorical.from_codes(
                    np.concatenate([np.full(n_lots, -1), declared, np.full(seized.size, -1)]),
                    categories=pd.Index(declared_texts),
                ),
                "list_origins": np.concatenate(
                    [np.zeros(n_lots, dtype=bool), lists, np.zeros(seized.size, dtype=bool)]
                ),
                "simulated_lot": np.concatenate([np.arange(n_lots), leg_lot, seized]),
            },
            copy=False,  # fresh arrays: no second copy of tens of millions of rows
        )
        del origin, zone, kind, place, importer, country_of, certificate, declared, lists
        book = a.book
        parts = (book.flow_source, book.flow_target, book.flow_carats, book.flow_kind)
        source, target, carats, flow_kind = (
            np.concatenate(p) if p else np.zeros(0, dtype=np.int64) for p in parts
        )
        mixing = flow_kind == _FLOW_KINDS.categories.get_loc("mix")
        del flow_kind
        source = source.astype(np.int64)
        source[mixing] = tip[source[mixing]]  # goods are pooled where their last leg took them
        del mixing
        flows = pd.DataFrame(
            {
                "source": np.concatenate([parent, tip[seized], source]),
                "target": np.concatenate([leg_id, seize_id, target.astype(np.int64)]),
                "carats": np.concatenate(
                    [b.carats[leg_lot], b.carats[seized], carats.astype(np.float64)]
                ),
            },
            copy=False,
        )
        return lots, flows

    def _index(self, country: str) -> int:
        return self._arrays.net.countries.index(country)

    @functools.cached_property
    def provenance(self) -> ProvenanceGraph:
        """The run's lots and flows as a `kpmodel.ProvenanceGraph`.

        Examples
        --------
        >>> result = kp.simulation.run(kp.simulation.builtin("congo-brazzaville-2004"), seed=1)
        >>> shares = kp.origin_shares(result.provenance)
        >>> len(result.provenance.lots) == len(result.provenance_frames()[0])
        True
        """
        lots, flows = self.provenance_frames()
        del lots["simulated_lot"]  # not read by from_frames: freed before the build
        return ProvenanceGraph.from_frames(lots, flows)

    # --- ledger ------------------------------------------------------------------------------

    @functools.cached_property
    def _legs(self) -> pd.DataFrame:
        a = self._arrays
        legs = pd.DataFrame(a.legs)
        b = a.book
        legs["step"] = b.step[legs["lot"]]
        legs["carats"] = b.carats[legs["lot"]]
        legs["value_usd"] = b.value[legs["lot"]]
        # a lot is seized on arrival of its last leg
        last = ~legs["lot"].duplicated(keep="last")
        legs["seized"] = last & (b.fate[legs["lot"]] == en.SEIZED)
        legs["certified"] = legs["label"] != en.UNDOCUMENTED
        return legs

    @functools.cached_property
    def _certified(self) -> pd.DataFrame:
        legs = self._legs[self._legs["certified"]].copy()
        certificate, _, _ = self._certificate_index()
        legs["certificate"] = certificate[legs.index.to_numpy()]
        return legs

    def _certificate_index(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return each leg's certificate (-1 for a smuggled leg), and each certificate's
        exporter and step.

        A certificate covers the legs of one exporter, importer, step and declared label;
        certificates are numbered in the order of those keys. One hash of a combined key,
        then a sort of the certificates only.
        """
        a = self._arrays
        lot, exporter, importer, label = (
            np.asarray(a.legs[name], dtype=np.int64)
            for name in ("lot", "exporter", "importer", "label")
        )
        certified = label != en.UNDOCUMENTED
        countries, steps = len(a.net.countries), len(self._dates)
        low = int(label.min(initial=0))
        labels = int(label.max(initial=0)) - low + 1
        key = ((exporter * countries + importer) * steps + a.book.step[lot]) * labels + (
            label - low
        )  # sorts as (exporter, importer, step, label) does
        del lot, importer
        codes, keys = pd.factorize(key[certified])
        rank = np.empty(keys.size, np.int64)
        rank[np.argsort(keys)] = np.arange(keys.size)
        certificate = np.full(label.size, -1, np.int64)
        certificate[certified] = rank[codes]
        keys = np.sort(keys) // labels
        return certificate, keys // (countries * steps), keys % steps

    @functools.cached_property
    def certificates(self) -> pd.DataFrame:
        """One KP certificate per shipment of certified goods.

        Columns ``number, issuing_country, destination_country, issued, year, half,
        origin, carats, value_usd, parcels`` (the first four as in `ledger`). `origin` is
        what the certificate declares, as the text of a
        `kpmodel.certificates.DeclaredOrigin`: one country for unmixed goods, ``MIXED``, or
        ``MIXED (BW, CM)`` with the listed countries (the rule of
        `kpmodel.provenance.declare_origin`).

        Examples
        --------
        >>> result = kp.simulation.run(kp.simulation.builtin("car-2013"), seed=1)
        >>> "MIXED" in set(result.certificates.origin)
        True
        """
        legs = self._certified
        grouped = legs.groupby("certificate", sort=True)
        first = grouped[["exporter", "importer", "step", "label"]].first()
        countries = self._arrays.net.countries
        exporter = [countries[i] for i in first["exporter"]]
        year = [self._dates[s].year for s in first["step"]]
        return pd.DataFrame(
            {
                "number": _numbers(exporter, year, first.index),
                "issuing_country": exporter,
                "destination_country": [countries[i] for i in first["importer"]],
                "issued": [self._dates[s] for s in first["step"]],
                "year": year,
                "half": [1 if self._dates[s].month <= 6 else 2 for s in first["step"]],
                "origin": [str(self._label(int(label))) for label in first["label"]],
                "carats": grouped["carats"].sum().to_numpy(),
                "value_usd": grouped["value_usd"].sum().to_numpy(),
                "parcels": grouped.size().to_numpy(),
            }
        )

    @functools.cached_property
    def parcels(self) -> pd.DataFrame:
        """Every parcel on every certificate: ``number, lot_id, carats, value_usd,
        seized`` (seized on arrival).

        Examples
        --------
        >>> result = kp.simulation.run(kp.simulation.builtin("car-2013"), seed=1)
        >>> set(result.parcels.number) == set(result.certificates.number)
        True
        """
        legs = self._certified
        ids = self.certificates["number"].to_numpy()
        return pd.DataFrame(
            {
                "number": ids[legs["certificate"].to_numpy()],
                "lot_id": legs["lot"].to_numpy(),
                "carats": legs["carats"].to_numpy(),
                "value_usd": legs["value_usd"].to_numpy(),
                "seized": legs["seized"].to_numpy(),
            }
        )

    @functools.cached_property
    def ledger(self) -> Ledger:
        """The run's paperwork as a `kpmodel.Ledger`: one row per parcel on a certificate.

        The columns the simulation knows: ``number`` (as in `certificates`),
        ``issuing_country``, ``destination_country``, ``issued`` (the step's date),
        ``hs_code`` (7102.10, unsorted: the simulation does not sort goods), ``carats``,
        ``value_usd``, ``origin`` and ``declared_origins`` (what the certificate declares,
        by `kpmodel.provenance.declare_origin`). It goes through `kpmodel.check`,
        `kpmodel.statistics.KPStatistics.from_ledger` and
        `kpmodel.ProvenanceGraph.from_ledger` like a ledger read from a file; the rules
        that need the columns it lacks (authority, parties, expiry, ...) are not checked.

        Examples
        --------
        >>> result = kp.simulation.run(kp.simulation.builtin("car-2013"), seed=1)
        >>> result.ledger.columns == kp.ledger.REQUIRED_COLUMNS
        True
        >>> len(result.ledger) == len(result.parcels)
        True
        """
        legs = self._certified.sort_values("certificate", kind="stable")
        ids = self.certificates["number"].to_numpy()
        countries = np.array(self._arrays.net.countries, dtype=object)
        first = legs.groupby("certificate", sort=True)["label"].first()
        declared = [self._label(int(label)) for label in first.to_numpy()]
        which = legs["certificate"].to_numpy()
        dates = np.asarray(self._dates, dtype="datetime64[D]")
        frame = pd.DataFrame(
            {
                "number": ids[which],
                "issuing_country": countries[legs["exporter"].to_numpy()],
                "destination_country": countries[legs["importer"].to_numpy()],
                "issued": dates[legs["step"].to_numpy()],
                "hs_code": "7102.10",
                "carats": legs["carats"].to_numpy(dtype=np.float64),
                "value_usd": legs["value_usd"].to_numpy(dtype=np.float64),
                "origin": np.array([d.origin for d in declared], dtype=object)[which],
                "declared_origins": np.array([d.listed_text for d in declared], dtype=object)[
                    which
                ],
            }
        )
        return Ledger.from_frame(frame)

    @functools.cached_property
    def shipments(self) -> pd.DataFrame:
        """Every movement across a border, certified or smuggled, per exporter, importer
        and step: ``exporter, importer, on, kind, number, carats, value_usd,
        seized_carats``.

        Examples
        --------
        >>> result = kp.simulation.run(kp.simulation.builtin("car-2013"), seed=1)
        >>> sorted(result.shipments.kind.unique())
        ['certified', 'smuggled']
        """
        certified = self.parcels.assign(seized_carats=lambda f: f.carats.where(f.seized, 0.0))
        totals = certified.groupby("number", sort=False)[
            ["carats", "value_usd", "seized_carats"]
        ].sum()
        certificates = self.certificates.set_index("number").rename(columns=_MOVEMENT)
        shipped = certificates[["exporter", "importer", "on"]].join(totals).reset_index()
        shipped["kind"] = "certified"
        legs = self._legs[~self._legs["certified"]].copy()
        legs["seized_carats"] = legs["carats"].where(legs["seized"], 0.0)
        smuggled = (
            legs.groupby(["exporter", "importer", "step"], sort=True)[
                ["carats", "value_usd", "seized_carats"]
            ]
            .sum()
            .reset_index()
        )
        countries = self._arrays.net.countries
        smuggled = smuggled.assign(
            exporter=[countries[i] for i in smuggled["exporter"]],
            importer=[countries[i] for i in smuggled["importer"]],
            on=[self._dates[s] for s in smuggled["step"]],
            kind="smuggled",
            number=None,
        ).drop(columns="step")
        columns = ["exporter", "importer", "on", "kind", "number", "carats",
                   "value_usd", "seized_carats"]  # fmt: skip
        return pd.concat([shipped[columns], smuggled[columns]], ignore_index=True)

    def certificate_records(
        self,
        *,
        validity_days: int | None = None,
        hs_code: str = "7102.10",
        limit: int | None = None,
    ) -> list[Certificate]:
        """Return the run's certificates as `kpmodel.certificates.Certificate` records.

        So that `kpmodel.check` can run on a simulated ledger. The records carry what the
        simulation knows (numbers, countries, dates, parcels with their carats, values and
        declared origins) and mark what it does not: the issuing authority and the parties
        are named "(simulated)".

        Parameters
        ----------
        validity_days : int, optional
            Days from issue to expiry. The KP sets no maximum validity (a national
            parameter: Annex I asks only that a date of expiry be stated, 31 CFR 592.307),
            so there is no default: without it the
            certificates have no expiry date, and `kpmodel.check` reports that.
        hs_code : str, default "7102.10"
            HS code of every parcel (the simulation does not sort goods; 7102.10 is
            "unsorted").
        limit : int, optional
            Only the first `limit` certificates (they can be many).

        Examples
        --------
        >>> result = kp.simulation.run(kp.simulation.builtin("congo-brazzaville-2004"), seed=1)
        >>> records = result.certificate_records(validity_days=30, limit=3)
        >>> records[0].issuing_country, records[0].parcels[0].origin
        ('CD', 'CD')
        """
        certificates = self.certificates if limit is None else self.certificates.head(limit)
        parcels = self.parcels[self.parcels.number.isin(certificates.number)]
        by_certificate = dict(tuple(parcels.groupby("number", sort=False)))
        records = []
        first = self._certified.groupby("certificate", sort=True)["label"].first()
        declared_of = [self._label(int(label)) for label in first.to_numpy()[: len(certificates)]]
        columns = ("number", "issuing_country", "destination_country", "issued")
        for number, exporter, importer, issued, declared in zip(
            *(certificates[c].tolist() for c in columns), declared_of, strict=True
        ):
            rows = by_certificate[number]
            items = tuple(
                Parcel(
                    hs_code=hs_code,
                    carats=Decimal(repr(float(c))),
                    value_usd=Decimal(repr(float(v))),
                    origin=declared.origin,
                    declared_origins=declared.listed,
                )
                for c, v in zip(rows["carats"], rows["value_usd"], strict=True)
            )
            day: dt.date = issued
            records.append(
                Certificate(
                    number=str(number),
                    issuing_authority=f"KP authority of {exporter} (simulated)",
                    issuing_country=str(exporter),
                    destination_country=str(importer),
                    exporter=_party(str(exporter), "exporter"),
                    importer=_party(str(importer), "importer"),
                    issued=day,
                    expires=None if validity_days is None else day + dt.timedelta(validity_days),
                    parcels=items,
                    number_of_parcels=len(items),
                    kp_statement=True,
                    validated=True,
                )
            )
        return records

    def _label(self, label: int) -> DeclaredOrigin:
        """Return what a certificate with engine label `label` declares."""
        countries = self._arrays.net.countries
        if label >= 0:
            return DeclaredOrigin.single(countries[label])
        if label == en.MIXED:
            return DeclaredOrigin.mixed()
        return DeclaredOrigin.mixed(
            sorted(countries[i] for i in self._arrays.book.lists[-3 - label])
        )

    # --- statistics ----------------------------------------------------------------------------

    @functools.cached_property
    def statistics(self) -> pd.DataFrame:
        """KP-style statistics of the run: ``participant, year, half, flow, partner, carats,
        value_usd, certificates``, with `flow` ``production``, ``import`` or ``export``.

        Production is what each participant declares (its certified output, plus smuggled
        goods a route reports as its production); exports are what its certificates carry,
        per importing partner; imports what it received, per exporting partner (goods
        seized on arrival are not imports, so seizures show as mirror gaps). `partner` is
        empty on production rows; `certificates` counts the KP certificates of a trade row.
        Countries are mapped to their KP participant with the register in force (Belgium
        reports as ``EU``). Each step counts in the half year it starts in.

        Examples
        --------
        >>> result = kp.simulation.run(kp.simulation.builtin("congo-brazzaville-2004"), seed=1)
        >>> stats = result.statistics.query("participant == 'CG'")
        >>> stats.groupby("flow").carats.sum().round(-5).to_dict()
        {'export': 5200000.0, 'production': 100000.0}
        """
        a = self._arrays
        countries = a.net.countries
        rows = []
        steps = np.arange(a.net.steps)
        for c, country in enumerate(countries):
            for s in steps[a.reported_production[c] > 0]:
                carats = a.reported_production[c, s]
                value = a.reported_production_value[c, s]
                rows.append((country, "", int(s), "production", carats, value, math.nan))
        legs = self._certified
        for flow, column, other, keep in (
            ("export", "exporter", "importer", np.ones(len(legs), dtype=bool)),
            ("import", "importer", "exporter", ~legs["seized"].to_numpy()),
        ):
            grouped = legs[keep].groupby([column, other, "step"])
            sums = grouped[["carats", "value_usd"]].sum()
            counts = grouped["certificate"].nunique()
            for (c, o, s), carats, value, count in zip(
                sums.index, sums["carats"], sums["value_usd"], counts, strict=True
            ):
                rows.append((countries[c], countries[o], int(s), flow, carats, value, count))
        columns = ["country", "partner", "step", "flow", "carats", "value_usd", "certificates"]
        frame = pd.DataFrame(rows, columns=columns)
        frame["year"] = [self._dates[s].year for s in frame["step"]]
        frame["half"] = [1 if self._dates[s].month <= 6 else 2 for s in frame["step"]]
        frame["participant"] = _participants(frame["country"], frame["year"])
        frame["partner"] = _participants(frame["partner"], frame["year"])
        keys = ["participant", "year", "half", "flow", "partner"]
        measures = ["carats", "value_usd", "certificates"]
        out = frame.groupby(keys, sort=True)[measures].sum(min_count=1).reset_index()
        return out.astype({"participant": "string", "flow": "string", "partner": "string"})

    @functools.cached_property
    def kp_statistics(self) -> KPStatistics:
        """The run's statistics as a `kpmodel.statistics.KPStatistics`, ready for detectors.

        Examples
        --------
        >>> result = kp.simulation.run(kp.simulation.builtin("congo-brazzaville-2004"), seed=1)
        >>> flags = kp.statistics.capacity(result.kp_statistics)
        >>> "CG" in set(flags.participant)
        True
        """
        return KPStatistics.from_frame(
            self.statistics, source=f"simulation {self.scenario.name!r}, seed {self.seed}"
        )

    def anomalies(self, definition: str = "smuggled") -> pd.DataFrame:
        """Return the true anomalies in the statistics: ``participant, year`` pairs.

        A participant-year is anomalous when goods that count under `definition` (see
        `positive_classes`) were smuggled out of it, or certified by it as its own after
        being smuggled in. This is the truth `kpmodel.statistics.evaluate` grades the
        detectors against.

        Examples
        --------
        >>> result = kp.simulation.run(kp.simulation.builtin("congo-brazzaville-2004"), seed=1)
        >>> result.anomalies().to_dict("records")
        [{'participant': 'CD', 'year': 2004}, {'participant': 'CG', 'year': 2004}]
        """
        positive = self.positive_classes()
        if definition not in positive:
            msg = f"definition must be one of {sorted(positive)}; got {definition!r}"
            raise InvalidArgumentError(msg)
        a = self._arrays
        b = a.book
        n = b.n_production
        counted = positive[definition][b.klass] & a.smuggled
        laundered = counted & (b.label[:n] >= 0)
        origin = a.net.zone_country[a.zone]
        year = self.scenario.start_year + b.step[:n] // self.scenario.steps_per_year
        pairs = set(zip(origin[counted], year[counted], strict=True))
        pairs |= set(zip(b.label[:n][laundered], year[laundered], strict=True))
        register = _register()
        countries = a.net.countries
        units = {
            (
                register.participant_of(countries[c], on=dt.date(int(y), 7, 1)) or countries[c],
                int(y),
            )
            for c, y in pairs
        }
        frame = pd.DataFrame(sorted(units), columns=["participant", "year"])
        return frame.astype({"participant": "string", "year": "int64"})

    # --- truth ---------------------------------------------------------------------------------

    @functools.cached_property
    def truth(self) -> pd.DataFrame:
        """True origin of every lot that reached a destination, one row per lot and origin.

        Columns ``lot_id, destination, origin, zone, year, smuggled, carats, share,
        revealed`` (whether the lot's certificate names that origin country).

        Examples
        --------
        >>> result = kp.simulation.run(kp.simulation.builtin("car-2013"), seed=1)
        >>> truth = result.truth
        >>> truth.groupby("lot_id").share.sum().round(9).eq(1).all()
        np.True_
        """
        a = self._arrays
        truth = a.truth.tocoo()
        revealed = a.revealed.tocsr()
        lot = a.destination[truth.row]
        carats = a.book.carats[lot]
        seen = np.zeros(truth.nnz, dtype=bool)
        if truth.nnz:
            seen = np.asarray(revealed[truth.row, truth.col]).ravel() > 0
        net = a.net
        countries = pd.CategoricalDtype(list(net.countries))
        frame = pd.DataFrame(
            {
                "lot_id": lot,
                "destination": pd.Categorical.from_codes(a.book.location[lot], dtype=countries),
                "origin": pd.Categorical.from_codes(
                    net.class_country()[truth.col], dtype=countries
                ),
                "zone": _zones(net, net.class_zone()[truth.col]),
                "year": self.scenario.start_year + net.class_year()[truth.col],
                "smuggled": net.class_smuggled()[truth.col],
                "carats": truth.data,
                "share": truth.data / carats,
                "revealed": seen,
            }
        )
        return frame.sort_values(["lot_id", "origin", "zone"], kind="stable", ignore_index=True)

    def conservation(self) -> tuple[float, float, float, float]:
        """Return carats produced, at destinations, seized and in stock.

        Produced equals the sum of the other three, up to rounding.

        Examples
        --------
        >>> result = kp.simulation.run(kp.simulation.builtin("car-2013"), seed=3)
        >>> produced, destination, seized, stock = result.conservation()
        >>> round(produced)
        31973970
        """
        b = self._arrays.book
        produced = float(b.carats[: b.n_production].sum())
        destination = float(self._arrays.truth.sum())
        seized = float(b.carats[b.fate == en.SEIZED].sum())
        stock = float(b.carats[b.fate == en.IN_STOCK].sum())
        return produced, destination, seized, stock

    # --- metrics -------------------------------------------------------------------------------

    def positive_classes(self) -> dict[str, np.ndarray]:
        """Which production classes count as illicit, per definition.

        ``smuggled``: goods that left their zone by a smuggling route (no definition
        needed). Then the definition in force (`Scenario.definition`): the classes whose
        zone and year its verdict on the scenario's situations is ``IN``
        (`kpmodel.definitions.conflict_shares`, judged over each calendar year).
        ``UNDETERMINED`` classes are not counted; the metric ``undetermined_carats`` says
        how much production they hold.

        Examples
        --------
        >>> result = kp.simulation.run(kp.simulation.builtin("car-2013"), seed=1)
        >>> list(result.positive_classes())
        ['smuggled', 'KPCS_2003']
        """
        net = self._arrays.net
        verdicts = self._verdicts()
        return {
            "smuggled": net.class_smuggled(),
            self.scenario.definition: verdicts == "in",
        }

    def _verdicts(self) -> np.ndarray:
        """Verdict per class ("in", "out", "undetermined") under the definition in force."""
        return en.class_verdicts(self.scenario, self._arrays.net)

    @functools.cached_property
    def metrics(self) -> pd.DataFrame:
        """Tidy metrics of the run: ``definition, metric, detector, value``.

        Definition ``all`` holds what no definition changes: ``produced_carats``,
        ``destination_carats``, ``seized_carats`` (and per cause), ``stock_carats``,
        ``opacity`` (share of the carats at destinations whose true origin country their
        certificate does not name). Per definition (see `positive_classes`):

        - ``positive_carats`` (produced), and for the definition in force
          ``undetermined_carats`` (production whose verdict is ``UNDETERMINED``);
        - ``laundered_carats`` and ``laundered_value_usd``: positive carats reaching
          destinations on certificates that do not name their origin (value there);
        - ``laundering_rate``: laundered over the positive carats that left their zone
          (produced and not in stock); ``hub_laundering_rate``: the part through a hub;
        - ``seized_carats`` (positive carats seized), ``interdiction_recall`` (positive
          carats seized over those that left their zone), ``interdiction_precision``
          (positive carats seized over all carats seized);
        - ``detection_recall`` and ``detection_precision`` per statistics detector
          (`detector` names it; ``any`` for all of them together): the participant-years
          the detector flags on the run's statistics against the true anomalies
          (`anomalies`), graded by `kpmodel.statistics.evaluate`.

        `detector` is empty for the metrics that are not about a detector. A ratio with
        nothing to divide is NaN.

        Examples
        --------
        >>> result = kp.simulation.run(kp.simulation.builtin("car-2013"), seed=1)
        >>> m = result.metrics.set_index(["definition", "metric", "detector"]).value
        >>> bool(m["smuggled", "laundering_rate", ""] > 0.5)
        True
        >>> bool(m["smuggled", "detection_recall", "any"] > 0)
        True
        """
        a = self._arrays
        b = a.book
        seized_by_cause = {
            cause: a.by_class(np.flatnonzero(b.seized_by == code))
            for code, cause in enumerate(en.SEIZURE_CAUSES, start=1)
        }
        seized = sum(seized_by_cause.values(), np.zeros(a.net.classes))
        n = b.n_production
        produced = np.bincount(b.klass, weights=b.carats[:n], minlength=a.net.classes)
        stock = a.by_class(np.flatnonzero(b.fate[:n] == en.IN_STOCK))
        arrived = np.asarray(a.truth.sum(axis=0)).ravel()
        unrevealed = (a.truth - a.revealed).tocsr()
        via_hub = b.kind[a.destination] == en.PARCEL
        dest_value_per_carat = b.value[a.destination] / b.carats[a.destination]
        rows: list[tuple[str, str, str, float]] = [
            ("all", "produced_carats", "", _total(produced)),
            ("all", "destination_carats", "", _total(arrived)),
            ("all", "seized_carats", "", _total(seized)),
            *(("all", f"seized_carats_{c}", "", _total(v)) for c, v in seized_by_cause.items()),
            ("all", "stock_carats", "", _total(stock)),
            ("all", "opacity", "", _ratio(_total(unrevealed.data), _total(arrived))),
        ]
        undetermined = (self._verdicts() == "undetermined").astype(float)
        flags = self._flags()
        for name, positive in self.positive_classes().items():
            mask = positive.astype(float)
            hidden = unrevealed @ mask  # scipy's CSR loop, row by row in index order
            positive_produced = _dot(produced, mask)
            left = positive_produced - _dot(stock, mask)
            positive_seized = _dot(seized, mask)
            per_definition = [
                ("positive_carats", positive_produced),
                *(
                    [("undetermined_carats", _dot(produced, undetermined))]
                    if name == self.scenario.definition
                    else []
                ),
                ("laundered_carats", _total(hidden)),
                ("laundered_value_usd", _dot(hidden, dest_value_per_carat)),
                ("laundering_rate", _ratio(_total(hidden), left)),
                ("hub_laundering_rate", _ratio(_total(hidden[via_hub]), left)),
                ("seized_carats", positive_seized),
                ("interdiction_recall", _ratio(positive_seized, left)),
                ("interdiction_precision", _ratio(positive_seized, _total(seized))),
            ]
            rows += [(name, metric, "", value) for metric, value in per_definition]
            rows += self._detection_rows(name, flags)
        frame = pd.DataFrame(rows, columns=["definition", "metric", "detector", "value"])
        return frame.astype(
            {"definition": "string", "metric": "string", "detector": "string", "value": "float64"}
        )

    def _flags(self) -> pd.DataFrame:
        """Return the flags of every built-in detector on the run's statistics.

        The capacity detector gets what monitoring saw: the output of the producers whose
        every zone a field report revealed (`field_reports`).
        """
        return detect(self.kp_statistics, detectors=DETECTORS, capacity=self.field_reports())

    def field_reports(self) -> pd.DataFrame:
        """Return what monitoring reported from the field: the output of producers it saw.

        Each producing zone is seen with probability ``monitoring_coverage`` (field visits,
        review missions, the UN Panel of Experts, satellite checks); a producer whose every
        zone was seen has its true annual output known. The table has the columns of
        `kpmodel.datasets.capacity_estimates` (``participant, low_carats, high_carats``), so
        the capacity detector compares each producer's statistics with it.

        Examples
        --------
        >>> scenario = kp.simulation.builtin("car-2013").with_levers(monitoring_coverage=1.0)
        >>> kp.simulation.run(scenario, seed=1).field_reports().participant.tolist()
        ['CD', 'CF', 'CM']
        """
        register = _register()
        on = dt.date(self.scenario.start_year, 7, 1)
        rows = sorted(
            (register.participant_of(country, on=on) or country, carats, carats)
            for country, carats in self._arrays.field_capacity.items()
        )
        frame = pd.DataFrame(rows, columns=["participant", "low_carats", "high_carats"])
        return frame.astype({"participant": "string", "low_carats": float, "high_carats": float})

    def _detection_rows(
        self, definition: str, flags: pd.DataFrame
    ) -> list[tuple[str, str, str, float]]:
        # precision and recall over participant-years, as kpmodel.statistics.evaluate
        # computes them (a test checks the agreement); set arithmetic is much quicker
        truth = set(self.anomalies(definition).itertuples(index=False, name=None))
        units = list(zip(flags["participant"], flags["year"], strict=True))
        rows = []
        for detector in [*(d.__name__ for d in DETECTORS), "any"]:
            mine = {
                (str(p), int(y))
                for (p, y), d in zip(units, flags["detector"], strict=True)
                if detector in ("any", d)
            }
            hits = len(mine & truth)
            rows += [
                (definition, "detection_recall", detector, _ratio(hits, len(truth))),
                (definition, "detection_precision", detector, _ratio(hits, len(mine))),
            ]
        return rows


def _total(values: Any) -> float:
    """Sum of `values`, correctly rounded: the same on every machine, in any order.

    Metrics use no BLAS (whose dot products depend on the thread count and the CPU) and no
    order-dependent float sums, so a sweep's table is the same bit for bit on any executor.
    """
    return math.fsum(np.asarray(values, dtype=np.float64).ravel().tolist())


def _dot(a: Any, b: Any) -> float:
    """Dot product of two vectors: exact products' sum, correctly rounded (see `_total`)."""
    return _total(np.multiply(a, b))


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else math.nan


def _numbers(exporters: Any, years: Any, index: Any) -> list[str]:
    """Return the certificate numbers ``BW-2015-000042``: exporter, year, certificate index."""
    return [f"{c}-{y}-{i:06d}" for c, y, i in zip(exporters, years, index, strict=True)]


def _zones(net: en.Network, zone: np.ndarray) -> pd.Categorical:
    """Zone names (without their country; names repeat across producers) as a categorical."""
    names = [name.split("/", 1)[1] for name in net.zone_names]
    categories = sorted(set(names))
    lookup = np.array([categories.index(name) for name in names] + [-1])
    dtype = pd.CategoricalDtype(categories)
    return pd.Categorical.from_codes(lookup[zone], dtype=dtype)


def require_scenario(scenario: object) -> None:
    """Raise `InvalidArgumentError` unless `scenario` is a `Scenario`."""
    if not isinstance(scenario, Scenario):
        msg = f"scenario must be a kp.simulation.Scenario, got {scenario!r}"
        raise InvalidArgumentError(msg)


def run(
    scenario: Scenario,
    *,
    seed: int | None = None,
    progress: bool | None = None,
    max_memory: Limit = None,
) -> SimulationResult:
    """Simulate `scenario` once and return the result.

    Parameters
    ----------
    scenario : Scenario
        What to simulate.
    seed : int, optional
        Seed of the run (the scenario's `seed` when omitted). The same seed gives the same
        result, bit for bit: every component draws from its own stream spawned from
        ``numpy.random.SeedSequence(seed)``; no global random state is used.
    progress : bool, optional
        Show the stages on a progress bar (``tqdm.auto``). By default only in a notebook
        or on a terminal, and only when the run lasts more than a second.
    max_memory : int, float, Decimal or str, optional
        The most memory the run may need (see `kpmodel.errors.SizeLimitError`).
        A number of bytes (an int, float or Decimal), a size such as ``"64 GiB"`` or
        ``"1e3 MiB"``, or ``"none"`` for no limit. Default (None): the environment variable
        ``KPMODEL_MAX_MEMORY``, else 60% of the machine's memory.

    Raises
    ------
    kpmodel.errors.SizeLimitError
        Before anything is allocated, when the scenario's lots (its production cut into
        lots, and the pools and parcels of its hubs) would need more memory than the limit.

    Examples
    --------
    >>> result = kp.simulation.run(kp.simulation.builtin("car-2013"), seed=7)
    >>> result.seed, len(result.certificates) > 0
    (7, True)
    """
    require_scenario(scenario)
    if seed is None:
        seed = scenario.seed
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        msg = f"seed must be a non-negative integer, got {seed!r}"
        raise InvalidArgumentError(msg)
    check_run(scenario, limit=max_memory)
    stages = 5 + len(scenario.hubs)
    bar = progress_bar(stages, enabled=progress, unit="stage", desc=scenario.name)
    if bar is None:
        return SimulationResult(scenario, seed, en.run_arrays(scenario, seed))

    def advance(stage: str) -> None:
        bar.set_postfix_str(stage, refresh=False)
        bar.update(1)

    try:
        arrays = en.run_arrays(scenario, seed, on_stage=advance)
    finally:
        bar.close()
    return SimulationResult(scenario, seed, arrays)


# A certificate's columns (the ledger's names) as the columns of a movement in `shipments`.
_MOVEMENT = {"issuing_country": "exporter", "destination_country": "importer", "issued": "on"}


def _party(country: str, role: str) -> Party:
    return Party(name=f"simulated {role}", address="(simulated)", country=country)


def _participants(countries: pd.Series, years: pd.Series) -> list[str]:
    """Return the KP participant governing each country in each year ("" stays "")."""
    register = _register()
    return [
        (register.participant_of(c, on=dt.date(y, 7, 1)) or c) if c else ""
        for c, y in zip(countries, years, strict=True)
    ]


@functools.cache
def _register() -> Register:
    return Register.default()
