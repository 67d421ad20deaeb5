"""What the certificates along a chain declare: the paperwork view of provenance."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from kpmodel.certificates import DeclaredOrigin
from kpmodel.provenance._graph import KIND_CODE, Kind, ProvenanceGraph
from kpmodel.provenance._shares import unknown_fraction

__all__ = ["MIXED", "declare_origin", "declared_origins"]

#: What a certificate says for a parcel of mixed origin whose origins are not listed.
MIXED = "MIXED"

_PRODUCE, _SHIP, _SMUGGLE = (KIND_CODE[k] for k in (Kind.PRODUCE, Kind.SHIP, Kind.SMUGGLE))


def declare_origin(
    inputs: Iterable[DeclaredOrigin | str],
    *,
    exporter: str | None,
    undocumented: bool,
    list_origins: bool = False,
) -> DeclaredOrigin:
    """Return the origin a certificate declares for a lot exported from `exporter`.

    This is the one place where kpmodel decides what the paperwork shows. A certificate
    names a country of origin only for parcels of unmixed origin (KPCS Annex I, as in
    31 CFR 592.307); mixed parcels are marked "mixed" unless the exporter voluntarily lists
    the countries of origin (recognised at the KP intersessional in Dubai, May 2024: Avi
    Krawitz, "A Giant Leap Toward Diamond Source Disclosure", 2024). The rule:

    (a) if every documented input of the lot has one and the same declared origin, the
        certificate declares that country;
    (b) carats that entered `exporter` undocumented (smuggled in, or of unknown source)
        are certified as the exporter's own: they count as an input of origin `exporter`
        (this is how laundering through neighbours works);
    (c) inputs of several declared origins make the parcel mixed, unless `list_origins` is
        true, in which case the declared origins are listed. An input that was itself
        declared mixed without a list carries no readable origin, so the result is then
        mixed without a list even when listing.

    Parameters
    ----------
    inputs : iterable of kpmodel.certificates.DeclaredOrigin or str
        The declared origins of the lot's documented inputs: production in the exporting
        country (its code) and certified imports (what their certificates declared; text
        is read with `kpmodel.certificates.DeclaredOrigin.parse`).
    exporter : str or None
        The country code of the exporting country (None when not known: what it would
        certify as its own is then unreadable, as if mixed).
    undocumented : bool
        Whether the lot holds carats that entered `exporter` with no certificate.
    list_origins : bool
        Whether the exporter lists the origins of a mixed parcel.

    Returns
    -------
    kpmodel.certificates.DeclaredOrigin

    Examples
    --------
    >>> kp.provenance.declare_origin(["BW"], exporter="AE", undocumented=False)
    DeclaredOrigin.single('BW')
    >>> kp.provenance.declare_origin([], exporter="CM", undocumented=True)
    DeclaredOrigin.single('CM')
    >>> kp.provenance.declare_origin(["BW", "CM", "RU"], exporter="AE", undocumented=False)
    DeclaredOrigin.mixed()
    >>> str(kp.provenance.declare_origin(["RU", "BW"], exporter="AE", undocumented=False,
    ...                                  list_origins=True))
    'MIXED (BW, RU)'
    """
    countries: set[str] = set()
    opaque = False
    for given in inputs:
        declared = given if isinstance(given, DeclaredOrigin) else DeclaredOrigin.parse(given)
        if declared.is_mixed and not declared.listed:
            opaque = True
        else:
            countries.update(declared.countries)
    if undocumented or not (countries or opaque):
        if exporter is None:
            opaque = True
        else:
            countries.add(exporter)
    if not opaque and len(countries) == 1:
        return DeclaredOrigin.single(countries.pop())
    if list_origins and not opaque:
        return DeclaredOrigin.mixed(sorted(countries))
    return DeclaredOrigin.mixed()


class _Paperwork:
    """Declared origins of a graph's shipments, derived lazily and memoised."""

    def __init__(self, graph: ProvenanceGraph) -> None:
        self.graph = graph
        self.kind = graph._column("kind")
        self.country = graph._column("country")
        self.unknown = unknown_fraction(graph)
        target = graph._flow_column("target")
        self.indptr = np.zeros(len(graph) + 1, np.int64)
        np.cumsum(np.bincount(target, minlength=len(graph)), out=self.indptr[1:])
        self.source = graph._flow_column("source")
        self.memo: dict[int, DeclaredOrigin] = {}

    def parents(self, position: int) -> np.ndarray[Any, Any]:
        return self.source[self.indptr[position] : self.indptr[position + 1]]

    def declared(self, shipment: int) -> DeclaredOrigin:
        """Return the declared origin of ship lot `shipment` (stored override, or the rule).

        Iterative, with an explicit stack of the shipments still to derive: a shipment's
        origin depends on the earlier shipments its goods came through, and a chain of
        thousands of re-exports must not recurse thousands of frames deep.
        """
        stack = [shipment]
        while stack:
            here = stack[-1]
            if here in self.memo:
                stack.pop()
                continue
            text = self.graph._string(int(self.graph._column("declared")[here]))
            if text is not None:
                self.memo[here] = DeclaredOrigin.parse(text)
                stack.pop()
                continue
            (parent,) = self.parents(here)
            inputs, undocumented, pending = self._walk(int(parent))
            if pending:  # derive the earlier shipments first, then come back to this one
                stack.extend(pending)
                continue
            self.memo[here] = declare_origin(
                inputs,
                exporter=self.graph._string(int(self.country[parent])),
                undocumented=undocumented,
                list_origins=bool(self.graph._column("list_origins")[here]),
            )
            stack.pop()
        return self.memo[shipment]

    def _walk(self, start: int) -> tuple[set[DeclaredOrigin], bool, list[int]]:
        """Return (the declared inputs, whether some entered undocumented, the shipments
        reached whose origin is not derived yet: the inputs are complete only without them).
        """
        place = self.country[start]
        inputs: set[DeclaredOrigin] = set()
        pending: list[int] = []
        undocumented = False
        stack, seen = [start], {start}
        while stack:
            lot = stack.pop()
            kind = self.kind[lot]
            if self.country[lot] != place or kind == _SMUGGLE:
                undocumented = True  # arrived with no certificate
            elif kind == _PRODUCE:
                origin = self.graph._string(int(self.graph._column("origin")[lot]))
                if origin is None:
                    undocumented = True
                else:
                    inputs.add(DeclaredOrigin.single(origin))
            elif kind == _SHIP:
                if lot in self.memo:
                    inputs.add(self.memo[lot])
                else:
                    pending.append(lot)
            else:
                undocumented = undocumented or self.unknown[lot] > 0
                for parent in self.parents(lot).tolist():
                    if parent not in seen:
                        seen.add(parent)
                        stack.append(parent)
        return inputs, undocumented, pending


def shipments(graph: ProvenanceGraph) -> np.ndarray[Any, Any]:
    """Return the positions of the lots created by a certified shipment (kind ``ship``)."""
    return np.flatnonzero(graph._column("kind") == _SHIP)


def declared_origins(graph: ProvenanceGraph) -> pd.DataFrame:
    """Return what a regulator can read from the certificates alone, one row per shipment.

    Columns: ``lot_id`` (the lot as it arrives), ``on``, ``exporter``, ``importer``,
    ``certificate`` (number or None), ``carats`` and ``declared_origin`` (a
    `kpmodel.certificates.DeclaredOrigin`: one country, or mixed with the countries listed,
    if any; see `declare_origin`).

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> bw = g.ship(g.produce(country="BW", carats=30, on="2023-01-01"), to="AE", on="2023-02-01")
    >>> ru = g.ship(g.produce(country="RU", carats=10, on="2023-01-01"), to="AE", on="2023-02-01")
    >>> out = g.ship(g.mix([bw, ru]), to="IN", on="2023-03-01", certificate="AE-1")
    >>> kp.provenance.declared_origins(g)[["lot_id", "exporter", "importer", "declared_origin"]]
       lot_id exporter importer declared_origin
    0       1       BW       AE              BW
    1       3       RU       AE              RU
    2       5       AE       IN           MIXED
    >>> kp.provenance.declared_origins(g).declared_origin[2]
    DeclaredOrigin.mixed()
    """
    paperwork = _Paperwork(graph)
    rows = []
    source = graph._flow_column("source")
    for position in shipments(graph).tolist():
        parent = int(source[paperwork.indptr[position]])
        rows.append(
            {
                "lot_id": graph._lot_id(position),
                "on": graph._column("on")[position],
                "exporter": graph._string(int(graph._column("country")[parent])),
                "importer": graph._string(int(graph._column("country")[position])),
                "certificate": graph._string(int(graph._column("certificate")[position])),
                "carats": float(graph._column("carats")[position]),
                "declared_origin": paperwork.declared(position),
            }
        )
    columns = ["lot_id", "on", "exporter", "importer", "certificate", "carats"]
    frame = pd.DataFrame(rows, columns=[*columns, "declared_origin"])
    frame["on"] = pd.to_datetime(frame["on"])
    return frame
