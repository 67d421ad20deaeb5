"""The simulation engine: every lot in numpy arrays, one random stream per component.

The run follows the goods once, in the order they move (hubs in the scenario's order, so a
hub only sends parcels to hubs after it):

1. production: lots per zone and step, sizes from a gamma split of the zone's output,
   values from the zone's log-normal value per carat; monitoring records some of them;
2. exit: each lot takes a smuggling route, the official export channel (certified zones), or
   stays in stock (zones that may not export);
3. border: smuggled lots are seized with the border-control rate; the survivors are certified
   by the route's target as its own goods, or reach a hub with no certificate;
4. first leg: certified lots go to a hub or destination by the exporter's export shares;
5. hubs: imports are checked (paperwork, footprints), the survivors are pooled by traders,
   pools are re-split into parcels and re-exported on a certificate saying ``MIXED``, listing
   the declared origins, or naming the one origin of an unmixed pool;
6. destinations receive what is left.

Truth is tracked per *class* of production (zone, year, smuggled or not): every lot and pool
carries its carats per class in a sparse matrix, so origin shares at the destinations, and
the share of them each certificate reveals, are exact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from kpmodel.definitions import Period, conflict_shares
from kpmodel.simulation._scenario import Controls, Hub, Scenario, Share

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# lot kinds
PRODUCTION, POOL, PARCEL = 0, 1, 2
# fates of a lot
AT_DESTINATION, SEIZED, IN_STOCK, POOLED, SPLIT = 0, 1, 2, 3, 4
# who seized it
NOT_SEIZED, BORDER, VERIFICATION, FOOTPRINT, IMPORT_BAN = 0, 1, 2, 3, 4
SEIZURE_CAUSES = ("border", "import_verification", "footprint", "import_ban")
# label codes on certificates (>= 0 is a single declared country)
MIXED, UNDOCUMENTED = -1, -2
# the random streams, in the order they are spawned; never reorder (it changes every result);
# new streams go at the end, which leaves the draws of the others as they were
STREAMS = (
    "sizes", "values", "monitoring", "channels", "border", "first_leg", "hubs",
    "field_reports", "imports",
)  # fmt: skip


@attrs.frozen(kw_only=True)
class Network:
    """Integer indices for the countries, zones, classes and hubs of a scenario."""

    countries: tuple[str, ...]
    zone_country: IntArray
    zone_names: tuple[str, ...]
    steps: int
    years: int

    @property
    def classes(self) -> int:
        """Number of production classes: zone x year x (official, smuggled)."""
        return len(self.zone_names) * self.years * 2

    def class_of(self, zone: IntArray, year: IntArray, smuggled: BoolArray) -> IntArray:
        """Return the class index of lots."""
        return (zone * self.years + year) * 2 + smuggled.astype(np.int64)

    def class_zone(self) -> IntArray:
        """Zone of every class."""
        return np.arange(self.classes) // (2 * self.years)

    def class_year(self) -> IntArray:
        """Year index of every class."""
        return (np.arange(self.classes) // 2) % self.years

    def class_smuggled(self) -> BoolArray:
        """Whether every class is smuggled."""
        smuggled: BoolArray = np.arange(self.classes) % 2 == 1
        return smuggled

    def class_country(self) -> IntArray:
        """Country index of the origin of every class."""
        return self.zone_country[self.class_zone()]

    def country_matrix(self) -> sp.csr_matrix:
        """Sparse classes x countries one-hot matrix of origin countries."""
        k = self.classes
        data = np.ones(k)
        return sp.csr_matrix(
            (data, (np.arange(k), self.class_country())), (k, len(self.countries))
        )


def network(scenario: Scenario) -> Network:
    """Index the countries and zones of `scenario`."""
    countries: list[str] = []
    for country in (
        *(p.country for p in scenario.producers),
        *(n.country for n in scenario.neighbours),
        *(h.country for h in scenario.hubs),
        *(d.country for d in scenario.destinations),
    ):
        if country not in countries:
            countries.append(country)
    index = {c: i for i, c in enumerate(countries)}
    zone_country = [index[p.country] for p in scenario.producers for _ in p.zones]
    names = tuple(f"{p.country}/{z.name}" for p in scenario.producers for z in p.zones)
    return Network(
        countries=tuple(countries),
        zone_country=np.asarray(zone_country, dtype=np.int64),
        zone_names=names,
        steps=scenario.years * scenario.steps_per_year,
        years=scenario.years,
    )


def _rate(own: float | None, default: float) -> float:
    """Return a place's own control rate, or the scenario's when it has none."""
    return default if own is None else own


class ImportBan:
    """The definition in force, applied at import by the places that enforce it.

    An import is refused when its certificate names the origin country of goods it holds
    that the definition counts (the paperwork shows them), or, with probability `rate` (the
    traceability of the place), when it is verified back to the mine and holds any such
    goods. The draws come from one stream, in the order the places check their imports.
    """

    def __init__(self, rng: np.random.Generator, positive: FloatArray, rate: float) -> None:
        self.rng = rng
        self.positive = positive  # 1.0 per production class the definition counts
        self.rate = rate

    def refuses(
        self, book: Book, items: IntArray, declared: sp.csr_matrix, rate: float
    ) -> BoolArray:
        """Which of the imports `items` (declaring the countries `declared`) are refused."""
        u = self.rng.random(items.size)
        composition = book.composition(items)
        held = np.asarray(composition @ self.positive).ravel()
        named = _ones(declared @ book.kc.T)
        shown = np.asarray(composition.multiply(named) @ self.positive).ravel()
        refused: BoolArray = (shown > 0) | ((u < rate) & (held > 0))
        return refused


class Book:
    """All lots of a run (production, pools, parcels) and what each is made of.

    Production lots carry one class; a pool's carats per class are a sparse row; a parcel is
    a share of its pool. Declared origins: a lot's last certificate names one country, a list
    of countries, ``MIXED``, or nothing (smuggled goods).
    """

    def __init__(self, net: Network, *, carats: FloatArray, value: FloatArray, step: IntArray,
                 klass: IntArray, registered: BoolArray, label: IntArray) -> None:  # fmt: skip
        self.net = net
        self.n_production = carats.size
        self.kc = net.country_matrix()
        self.carats = carats
        self.value = value
        self.step = step
        self.kind = np.zeros(carats.size, dtype=np.int8)
        self.klass = klass
        self.registered = registered
        self.label = label
        self.parent_pool = np.full(carats.size, -1, dtype=np.int64)
        self.location = np.full(carats.size, -1, dtype=np.int64)
        self.fate = np.full(carats.size, POOLED, dtype=np.int8)
        self.seized_by = np.zeros(carats.size, dtype=np.int8)
        k, c = net.classes, len(net.countries)
        self.pool_lot = np.zeros(0, dtype=np.int64)
        self.pool_carats = np.zeros(0)
        self.pool_comp = sp.csr_matrix((0, k))
        self.pool_registered = sp.csr_matrix((0, k))
        self.pool_declared = sp.csr_matrix((0, c))
        self.lists: list[tuple[int, ...]] = []
        self._list_ids: dict[tuple[int, ...], int] = {}
        self.flow_source: list[IntArray] = []
        self.flow_target: list[IntArray] = []
        self.flow_carats: list[FloatArray] = []
        self.flow_kind: list[npt.NDArray[np.int8]] = []

    # --- what lots are made of ---------------------------------------------------------------

    def _parcel_share(self, ids: IntArray) -> sp.csr_matrix:
        rows = np.flatnonzero(self.parent_pool[ids] >= 0)
        pools = self.parent_pool[ids[rows]]
        scale = self.carats[ids[rows]] / self.pool_carats[pools]
        return sp.csr_matrix((scale, (rows, pools)), (ids.size, self.pool_carats.size))

    def composition(self, ids: IntArray, *, registered_only: bool = False) -> sp.csr_matrix:
        """Carats per class of lots `ids` (production lots or parcels), items x classes."""
        rows = np.flatnonzero(ids < self.n_production)
        lots = ids[rows]
        weight = self.carats[lots] * (self.registered[lots] if registered_only else 1.0)
        own = sp.csr_matrix((weight, (rows, self.klass[lots])), (ids.size, self.net.classes))
        pools = self.pool_registered if registered_only else self.pool_comp
        return _csr(own + self._parcel_share(ids) @ pools)

    def declared(self, ids: IntArray) -> sp.csr_matrix:
        """Countries named on the last certificate of lots `ids` (items x countries, 0/1)."""
        rows = np.flatnonzero((ids < self.n_production) & (self.label[ids] >= 0))
        own = sp.csr_matrix(
            (np.ones(rows.size), (rows, self.label[ids[rows]])), (ids.size, self.kc.shape[1])
        )
        share = self._parcel_share(ids)
        share.data[:] = 1.0
        return _ones(own + share @ self.pool_declared)

    # --- a hub ---------------------------------------------------------------------------------

    def hub(self, rng: np.random.Generator, items: IntArray, *, country: int, hub: Hub,
            listing: bool, controls: Controls, lot_shape: float,
            ban: ImportBan | None = None) -> IntArray:  # fmt: skip
        """Check, pool and re-split the imports `items` of a hub; return the new parcels.

        `ban`, for a hub that enforces the definition in force, refuses the imports it
        finds holding goods the definition counts.
        """
        m = items.size
        u = rng.random((5, m))
        verification = _rate(hub.import_verification, controls.hub_import_verification)
        footprints = _rate(hub.footprint_checks, controls.footprint_checks)
        carats, step = self.carats[items], self.step[items]
        declared = self.declared(items)
        named = declared.getnnz(axis=1) > 0
        certified = self.label[items] != UNDOCUMENTED
        self.location[items] = country
        # paperwork: goods without a certificate are seized when checked
        verified = ~certified & (u[0] < verification)
        # footprints: registered goods of an origin the certificate does not name
        seen = self.composition(items, registered_only=True) @ self.kc
        hidden = np.asarray((seen - seen.multiply(declared)).sum(axis=1)).ravel()
        undeclared = hidden / carats
        checked = certified & named & (u[1] < footprints)
        visible = (undeclared > 0) & (undeclared >= controls.footprint_min_share)
        hit = checked & visible & (u[2] < controls.footprint_sensitivity)
        wrong = checked & ~visible & (u[3] < controls.footprint_false_positive)
        self.fate[items[verified]] = SEIZED
        self.seized_by[items[verified]] = VERIFICATION
        self.fate[items[hit | wrong]] = SEIZED
        self.seized_by[items[hit | wrong]] = FOOTPRINT
        keep = ~(verified | hit | wrong)
        if ban is not None:
            refused = keep & ban.refuses(self, items, declared, _rate(hub.traceability, ban.rate))
            self.fate[items[refused]] = SEIZED
            self.seized_by[items[refused]] = IMPORT_BAN
            keep &= ~refused
        kept, kept_carats, kept_step = items[keep], carats[keep], step[keep]
        if kept.size == 0:
            return np.zeros(0, dtype=np.int64)

        # traders pool the goods of a step in random order, about `pool_carats` at a time
        order = _by_step(kept_step, u[4][keep])
        kept, kept_carats, kept_step = kept[order], kept_carats[order], kept_step[order]
        before = np.cumsum(kept_carats) - kept_carats
        first = np.flatnonzero(np.diff(kept_step, prepend=-1))
        group = np.cumsum(np.diff(kept_step, prepend=-1) != 0) - 1
        within = before - before[first][group]
        slot = np.floor(within / float(hub.pool_carats)).astype(np.int64)
        _, pool = np.unique(kept_step * (slot.max() + 1) + slot, return_inverse=True)
        n_pools = int(pool.max()) + 1
        mix = sp.csr_matrix(
            (np.ones(kept.size), (pool, np.arange(kept.size))), (n_pools, kept.size)
        )
        comp = (mix @ self.composition(kept)).tocsr()
        registered = (mix @ self.composition(kept, registered_only=True)).tocsr()
        kept_declared = declared[keep][order]
        pool_declared = _ones(mix @ kept_declared)
        # the paperwork rule of kpmodel.provenance.declare_origin: goods that came in with no
        # certificate count as the hub's own; an input declared MIXED makes the pool MIXED
        kept_certified = certified[keep][order]
        undocumented = _sum_by(pool, weights=~kept_certified, minlength=n_pools) > 0
        unreadable = _sum_by(pool, weights=kept_certified & ~named[keep][order], minlength=n_pools)
        own = sp.csr_matrix(
            (undocumented.astype(float), (np.arange(n_pools), np.full(n_pools, country))),
            pool_declared.shape,
        )
        pool_declared = _ones(pool_declared + own)
        labels, pool_declared = self._labels(pool_declared, unreadable > 0, listing=listing)
        pool_carats = _sum_by(pool, weights=kept_carats, minlength=n_pools)
        pool_value = _sum_by(pool, weights=self.value[kept], minlength=n_pools) * hub.markup
        pool_step = np.zeros(n_pools, dtype=np.int64)
        pool_step[pool] = kept_step
        pool_ids = self._append(pool_carats, pool_value, pool_step, POOL, labels, -1, country)
        self.fate[kept] = POOLED
        self.fate[pool_ids] = SPLIT
        self._flow(kept, pool_ids[pool], kept_carats, 0)
        base = self.pool_carats.size
        self.pool_lot = np.concatenate([self.pool_lot, pool_ids])
        self.pool_carats = np.concatenate([self.pool_carats, pool_carats])
        self.pool_comp = sp.vstack([self.pool_comp, comp]).tocsr()
        self.pool_registered = sp.vstack([self.pool_registered, registered]).tocsr()
        self.pool_declared = sp.vstack([self.pool_declared, pool_declared]).tocsr()

        # re-split every pool into parcels of about `parcel_carats`
        n_parcels = np.maximum(1, np.rint(pool_carats / float(hub.parcel_carats))).astype(np.int64)
        parent = np.repeat(np.arange(n_pools), n_parcels)
        weights = rng.gamma(lot_shape, size=parent.size)
        weights /= _sum_by(parent, weights=weights, minlength=n_pools)[parent]
        parcel_ids = self._append(pool_carats[parent] * weights, pool_value[parent] * weights,
                                  pool_step[parent], PARCEL, labels[parent], base + parent,
                                  country)  # fmt: skip
        self._flow(pool_ids[parent], parcel_ids, pool_carats[parent] * weights, 1)
        return parcel_ids

    def _labels(
        self, declared: sp.csr_matrix, mixed_input: BoolArray, *, listing: bool
    ) -> tuple[IntArray, sp.csr_matrix]:
        """Certificate label per pool, and the countries each certificate names.

        One declared origin: that country; an input declared MIXED: MIXED; several: the
        list (when listing) or MIXED.
        """
        count = declared.getnnz(axis=1)
        labels = np.full(count.size, MIXED, dtype=np.int64)
        single = ~mixed_input & (count == 1)
        labels[single] = declared.indices[declared.indptr[:-1][single]]
        if listing:
            for row in np.flatnonzero(~mixed_input & (count > 1)):
                lo, hi = declared.indptr[row], declared.indptr[row + 1]
                key = tuple(sorted(int(c) for c in declared.indices[lo:hi]))
                if key not in self._list_ids:
                    self._list_ids[key] = len(self.lists)
                    self.lists.append(key)
                labels[row] = -3 - self._list_ids[key]
        declared = sp.diags((labels != MIXED).astype(float)) @ declared
        return labels, _ones(declared)

    def _append(self, carats: FloatArray, value: FloatArray, step: IntArray, kind: int,
                label: IntArray, parent: IntArray | int, country: int) -> IntArray:  # fmt: skip
        start = self.carats.size
        ids = np.arange(start, start + carats.size)
        size = carats.size
        self.carats = np.concatenate([self.carats, carats])
        self.value = np.concatenate([self.value, value])
        self.step = np.concatenate([self.step, step])
        self.kind = np.concatenate([self.kind, np.full(size, kind, dtype=np.int8)])
        self.label = np.concatenate([self.label, label])
        self.parent_pool = np.concatenate([self.parent_pool, np.broadcast_to(parent, size)])
        self.location = np.concatenate([self.location, np.full(size, country)])
        self.fate = np.concatenate([self.fate, np.full(size, POOLED, dtype=np.int8)])
        self.seized_by = np.concatenate([self.seized_by, np.zeros(size, dtype=np.int8)])
        return ids

    def _flow(self, source: IntArray, target: IntArray, carats: FloatArray, kind: int) -> None:
        self.flow_source.append(source)
        self.flow_target.append(target)
        self.flow_carats.append(carats)
        self.flow_kind.append(np.full(source.size, kind, dtype=np.int8))


@attrs.frozen(kw_only=True)
class RunArrays:
    """Everything a run produced, as arrays; `SimulationResult` derives the frames from it."""

    net: Network
    book: Book
    legs: dict[str, IntArray]
    destination: IntArray  # lots that reached a destination, sorted
    truth: sp.csr_matrix  # their carats per class
    revealed: sp.csr_matrix  # the part of it their certificates reveal
    zone: IntArray  # zone of every production lot
    smuggled: BoolArray  # production lots that took a smuggling route
    reported_production: FloatArray  # carats, countries x steps
    reported_production_value: FloatArray
    # annual carats per producer country whose every zone a field report revealed
    field_capacity: dict[str, float] = attrs.field(factory=dict)

    def by_class(self, ids: IntArray) -> FloatArray:
        """Total carats per class of lots `ids`."""
        totals: FloatArray = np.zeros(self.net.classes)
        if ids.size:
            totals += np.asarray(self.book.composition(ids).sum(axis=0)).ravel()
        return totals


def run_arrays(
    scenario: Scenario, seed: int, *, on_stage: Callable[[str], None] | None = None
) -> RunArrays:
    """Simulate `scenario` with `seed`; return the raw arrays.

    `on_stage`, when given, is called with the name of each stage as it starts (for a progress
    bar).
    """
    report = on_stage or (lambda _: None)
    net = network(scenario)
    seeds = np.random.SeedSequence(seed).spawn(len(STREAMS))
    streams = dict(zip(STREAMS, seeds, strict=True))
    rng = {name: np.random.default_rng(seq) for name, seq in streams.items()}
    controls = scenario.controls
    index = {c: i for i, c in enumerate(net.countries)}
    spy = scenario.steps_per_year

    # 1. production ------------------------------------------------------------------------
    report("production")
    zones = [(p, z) for p in scenario.producers for z in p.zones]
    per_step = np.array([float(z.annual_carats) / spy for _, z in zones])
    lot_mean = np.array([float(scenario.lot_carats[z.kind]) for _, z in zones])
    counts = np.maximum(1, np.rint(per_step / lot_mean)).astype(np.int64)
    group = np.repeat(np.arange(len(zones) * net.steps), np.repeat(counts, net.steps))
    zone = group // net.steps
    step = group % net.steps
    n = group.size
    weights = rng["sizes"].gamma(scenario.lot_shape, size=n)
    totals = _sum_by(group, weights=weights, minlength=len(zones) * net.steps)
    carats = per_step[zone] * weights / totals[group]
    median = np.log([float(z.value_per_carat.median) for _, z in zones])
    sigma = np.array([z.value_per_carat.sigma for _, z in zones])
    value = carats * np.exp(median[zone] + sigma[zone] * rng["values"].standard_normal(n))
    registered = rng["monitoring"].random(n) < controls.monitoring_coverage
    # field reports: each zone's output is seen with the monitoring coverage; a producer's
    # capacity is known when every one of its zones was seen
    seen_zone = rng["field_reports"].random(len(zones)) < controls.monitoring_coverage
    field_capacity = {
        p.country: sum(float(z.annual_carats) for z in p.zones)
        for p in scenario.producers
        if all(seen_zone[[i for i, (q, _) in enumerate(zones) if q is p]])
    }
    origin = net.zone_country[zone]
    certified_zone = np.array([z.certified for _, z in zones])[zone]

    # 2. exit: a smuggling route, the official channel, or stock ----------------------------
    report("exit")
    u_channel = rng["channels"].random(n)
    route = np.full(n, -1, dtype=np.int64)
    routes = scenario.routes
    starts = np.searchsorted(zone, np.arange(len(zones) + 1))  # zones are contiguous
    for z, (producer, zone_record) in enumerate(zones):
        ids = np.array(
            [
                i
                for i, r in enumerate(routes)
                if r.source == producer.country and r.zone in (None, zone_record.name)
            ]
        )
        if ids.size == 0:
            continue
        lo, hi = starts[z], starts[z + 1]
        cum = np.cumsum([routes[i].probability for i in ids])
        pick = np.searchsorted(cum, u_channel[lo:hi], side="right")
        taken = pick < ids.size
        route[lo:hi][taken] = ids[pick[taken]]
    smuggled = route >= 0
    stock = ~smuggled & ~certified_zone
    klass = net.class_of(zone, step // spy, smuggled)

    # 3. border: seized, certified by the route's target, or into a hub undocumented -------
    report("border")
    route_target = np.array([index[r.target] for r in routes] or [-1], dtype=np.int64)
    target = np.where(smuggled, route_target[np.maximum(route, 0)], -1)
    border = np.array(
        [_rate(r.border_controls, controls.border_controls) for r in routes] or [0.0]
    )
    caught = smuggled & (rng["border"].random(n) < border[np.maximum(route, 0)])
    hubs = np.array([index[h.country] for h in scenario.hubs], dtype=np.int64)
    into_hub = smuggled & ~caught & np.isin(target, hubs)
    laundered = smuggled & ~caught & ~into_hub
    official = ~smuggled & certified_zone
    certified = official | laundered
    exporter = np.where(official, origin, target)
    label = np.where(certified, exporter, UNDOCUMENTED)

    book = Book(net, carats=carats, value=value, step=step, klass=klass,
                registered=registered, label=label)  # fmt: skip
    book.fate[stock] = IN_STOCK
    book.location[:] = origin
    book.fate[caught] = SEIZED
    book.seized_by[caught] = BORDER
    book.location[smuggled] = target[smuggled]
    legs: list[tuple[IntArray, IntArray, IntArray, IntArray]] = []  # lot, from, to, label
    moved = np.flatnonzero(smuggled)
    legs.append((moved, origin[moved], target[moved], np.full(moved.size, UNDOCUMENTED)))

    # 4. first leg: certified exports by the exporter's shares ------------------------------
    report("first leg")
    importer = np.full(n, -1, dtype=np.int64)
    u_first = rng["first_leg"].random(n)
    shares = {index[p.country]: p.exports for p in scenario.producers}
    shares.update({index[nb.country]: nb.exports for nb in scenario.neighbours})
    for country, country_shares in shares.items():
        mine = np.flatnonzero(certified & (exporter == country))
        if mine.size:
            importer[mine] = _choose(country_shares, index, u_first[mine])
    sent = np.flatnonzero(certified)
    legs.append((sent, exporter[sent], importer[sent], exporter[sent]))
    book.location[sent] = importer[sent]

    # 5. hubs, in order ----------------------------------------------------------------------
    incoming: dict[int, list[IntArray]] = {
        int(h): [np.flatnonzero((certified & (importer == h)) | (into_hub & (target == h)))]
        for h in hubs
    }
    arrived = [np.flatnonzero(certified & ~np.isin(importer, hubs))]
    hub_seeds = streams["hubs"].spawn(len(scenario.hubs))
    enforcing = any(h.enforces for h in scenario.hubs) or any(
        d.enforces for d in scenario.destinations
    )
    ban = (
        ImportBan(rng["imports"], positive_mask(scenario, net), controls.traceability)
        if enforcing
        else None
    )
    for h, hub in enumerate(scenario.hubs):
        report(f"hub {hub.name}")
        country = index[hub.country]
        hub_rng = np.random.default_rng(hub_seeds[h])
        parcels = book.hub(
            hub_rng,
            np.sort(np.concatenate(incoming[country])),
            country=country,
            hub=hub,
            listing=controls.origin_listing_on_mixed or hub.certifies == "list_origins",
            controls=controls,
            lot_shape=scenario.lot_shape,
            ban=ban if hub.enforces else None,
        )
        to = _choose(hub.exports, index, hub_rng.random(parcels.size))
        legs.append((parcels, np.full(parcels.size, country), to, book.label[parcels]))
        book.location[parcels] = to
        for later in np.unique(to):
            bucket = incoming.get(int(later), arrived)
            bucket.append(parcels[to == later])

    # 6. destinations --------------------------------------------------------------------------
    report("destinations")
    destination = np.sort(np.concatenate(arrived))
    if ban is not None:
        for market in scenario.destinations:
            if not market.enforces:
                continue
            here = destination[book.location[destination] == index[market.country]]
            refused = here[
                ban.refuses(book, here, book.declared(here), _rate(market.traceability, ban.rate))
            ]
            book.fate[refused] = SEIZED
            book.seized_by[refused] = IMPORT_BAN
        destination = destination[book.fate[destination] != SEIZED]
    book.fate[destination] = AT_DESTINATION
    truth = book.composition(destination)
    seen = _ones(book.declared(destination) @ book.kc.T)
    revealed = truth.multiply(seen).tocsr()

    # statistics: each country's certified output, plus smuggled goods it reports as its own
    as_production = np.array([r.reported_as_production for r in routes] or [False])
    counted = official | (laundered & as_production[np.maximum(route, 0)])
    where = np.where(official, origin, target)[counted] * net.steps + step[counted]
    shape = (len(net.countries), net.steps)
    size = shape[0] * shape[1]
    reported = _sum_by(where, weights=carats[counted], minlength=size).reshape(shape)
    reported_value = _sum_by(where, weights=value[counted], minlength=size).reshape(shape)

    lot, source, sink, labels = (np.concatenate(parts) for parts in zip(*legs, strict=True))
    return RunArrays(
        net=net,
        book=book,
        legs={"lot": lot, "exporter": source, "importer": sink, "label": labels},
        destination=destination,
        truth=truth,
        revealed=revealed,
        zone=zone,
        smuggled=smuggled,
        reported_production=reported,
        reported_production_value=reported_value,
        field_capacity=field_capacity,
    )


def _by_step(step: IntArray, key: np.ndarray) -> IntArray:
    """Return the order of `np.lexsort((key, step))`: by step, then by key, stably.

    Two stable sorts (by `key`, then by step), the step sort on the narrowest integers that
    hold the steps, which numpy sorts by radix in linear time.
    """
    by_key = np.argsort(key, kind="stable")
    steps = step[by_key]
    if steps.size and steps.min() >= 0 and steps.max() < np.iinfo(np.int16).max:
        steps = steps.astype(np.int16)
    return by_key[np.argsort(steps, kind="stable")]


def _sum_by(keys: IntArray, weights: Any = None, minlength: int = 0) -> FloatArray:
    """Return `np.bincount` as float64 (sums of `weights` per key)."""
    return np.bincount(keys, weights=weights, minlength=minlength).astype(np.float64)


def _csr(matrix: Any) -> sp.csr_matrix:
    """Return sparse `matrix` as CSR."""
    result: sp.csr_matrix = sp.csr_matrix(matrix)
    return result


def _ones(matrix: Any) -> sp.csr_matrix:
    """Return the 0/1 pattern of the non-zero entries of sparse `matrix`, as CSR."""
    result = _csr(matrix)
    result.eliminate_zeros()
    result.data[:] = 1.0
    return result


def _choose(shares: tuple[Share, ...], index: dict[str, int], u: FloatArray) -> IntArray:
    """Pick an importer per draw `u` by the export `shares`."""
    targets = np.array([index[s.to] for s in shares], dtype=np.int64)
    cum = np.cumsum([s.share for s in shares])
    pick = np.searchsorted(cum / cum[-1], u, side="right")
    return targets[np.minimum(pick, targets.size - 1)]


def step_dates(scenario: Scenario) -> list[dt.date]:
    """First day of every step of `scenario`."""
    spy = scenario.steps_per_year
    months = 12 // spy
    return [
        dt.date(scenario.start_year + s // spy, 1 + (s % spy) * months, 1)
        for s in range(scenario.years * spy)
    ]


def class_verdicts(scenario: Scenario, net: Network) -> npt.NDArray[np.object_]:
    """Verdict per class (``in``, ``out``, ``undetermined``) under the definition in force.

    Each zone is judged on the scenario's situations over every calendar year it is mined
    (`kpmodel.definitions.conflict_shares`).
    """
    zone, year = net.class_zone(), net.class_year()
    verdicts = np.full(net.classes, "out", dtype=object)
    if not scenario.situations:
        return verdicts
    columns = list(net.zone_names)  # "CC/zone": the places conflict_shares reads
    shares = pd.DataFrame(np.eye(len(columns)), columns=columns)
    for y in range(net.years):
        first = scenario.start_year + y
        window = Period(dt.date(first, 1, 1), dt.date(first, 12, 31))
        judged = conflict_shares(scenario.definition, shares, scenario.situations, on=window)
        rows = year == y
        verdicts[rows & (judged.in_share.to_numpy()[zone] > 0.5)] = "in"
        verdicts[rows & (judged.undetermined_share.to_numpy()[zone] > 0.5)] = "undetermined"
    return verdicts


def positive_mask(scenario: Scenario, net: Network) -> FloatArray:
    """1.0 for every class the definition in force counts (verdict ``in``), else 0.0."""
    mask: FloatArray = (class_verdicts(scenario, net) == "in").astype(np.float64)
    return mask
