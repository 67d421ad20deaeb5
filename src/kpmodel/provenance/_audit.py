"""The paperwork against the truth: opacity of certificates, and audits of shipments."""

from __future__ import annotations

from typing import Any, Literal, Protocol

import attrs
import numpy as np
import pandas as pd

from kpmodel._progress import track
from kpmodel.errors import InvalidArgumentError
from kpmodel.provenance._explain import Path, paths_into
from kpmodel.provenance._graph import KIND_CODE, Kind, ProvenanceGraph
from kpmodel.provenance._paperwork import MIXED, _Paperwork, shipments
from kpmodel.provenance._shares import dense_row, origin_labels, origin_shares, propagate

__all__ = ["Finding", "audit", "opacity"]

#: The KPCS references a finding cites, by reason (source keys of shared/domain/kpcs-rules.md
#: and definitions.md).
REFERENCES = {
    "suspended": (
        "KPCS Section III(c): no shipment of rough diamonds is imported from or exported to "
        "a non-Participant [UK-2368-Annex]; a suspended participant may not trade (e.g. the "
        "Administrative Decision on the Central African Republic of 23 May 2013)"
    ),
    "not-participant": (
        "KPCS Section III(c): no shipment of rough diamonds is imported from or exported to "
        "a non-Participant [UK-2368-Annex]"
    ),
    "non-compliant-zone": (
        "KP Administrative Decision on the Central African Republic as amended in July 2015: "
        "exports only from compliant zones under the Operational Framework "
        "(https://gems2jewellery.com/ban-on-car-diamonds-partially-lifted/)"
    ),
    "smuggled": (
        "KPCS Section III(a)-(b): every shipment crosses borders with a duly validated "
        "Certificate [UK-2368-Annex]; Section IV(a): internal controls to eliminate conflict "
        "diamonds from shipments [PAC-KeyToKimberley]"
    ),
}

#: Shares below this are float noise, not a finding.
TOLERANCE = 1e-9


class RegisterLike(Protocol):
    """What `audit` needs from a register (``kpmodel.participants.Register``)."""

    def status(self, code: str, *, on: Any) -> Any: ...

    def may_trade(self, code: str, *, on: Any, zone: str | None = None) -> bool: ...

    def participant_of(self, country: str, *, on: Any = None) -> str | None: ...


@attrs.frozen(kw_only=True)
class Finding:
    """A shipment whose certificate looks clean while its true origins are not.

    Attributes
    ----------
    lot : lot id
        The lot created by the shipment (as it arrives).
    certificate : str or None
        The certificate number.
    on : datetime.date or None
        The date of the shipment.
    exporter, importer : str
        Country codes.
    declared_origin : str
        What the certificate declares.
    reason : str
        ``"suspended"``, ``"not-participant"``, ``"non-compliant-zone"`` or ``"smuggled"``.
    origin : str
        The offending origin (``"CF"`` or ``"CF/Nola"``), or ``"smuggled"``.
    share, carats : float
        The share and carats of the shipment that come from `origin`.
    paths : tuple of Path
        The paths that carry `origin` into the shipment (see `explain`).
    reference : str
        The KPCS text the finding rests on, with its source.

    Examples
    --------
    >>> f = kp.provenance.Finding(lot=3, certificate="CM-1", on=None, exporter="CM",
    ...     importer="AE", declared_origin="CM", reason="smuggled", origin="smuggled",
    ...     share=0.5, carats=5.0, paths=(), reference="...")
    >>> f.reason
    'smuggled'
    """

    lot: Any
    certificate: str | None
    on: Any
    exporter: str
    importer: str
    declared_origin: str
    reason: str
    origin: str
    share: float
    carats: float
    paths: tuple[Path, ...]
    reference: str


def _declared_countries(declared: str) -> set[str]:
    return set() if declared == MIXED else set(declared.split(","))


def opacity(
    graph: ProvenanceGraph, *, per: Literal["destination", "shipment"] = "destination"
) -> pd.DataFrame:
    """Return the share of certified carats whose true origin cannot be read from the certificate.

    For each certified shipment, the readable carats are those whose true origin is a
    country the certificate declares (none for ``"MIXED"``); the rest are opaque, including
    carats a certificate attributes to the wrong country.

    Parameters
    ----------
    graph : ProvenanceGraph
    per : {"destination", "shipment"}
        Aggregate by importing country (default) or give one row per shipment.

    Returns
    -------
    pandas.DataFrame
        Columns ``carats``, ``readable_carats``, ``opaque_carats`` and ``opacity``
        (opaque / carats), indexed by importer (or by shipment lot id).

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> bw = g.ship(g.produce(country="BW", carats=30, on="2023-01-01"), to="AE", on="2023-02-01")
    >>> ru = g.ship(g.produce(country="RU", carats=10, on="2023-01-01"), to="AE", on="2023-02-01")
    >>> _ = g.ship(g.mix([bw, ru]), to="IN", on="2023-03-01")
    >>> kp.provenance.opacity(g)["opacity"].to_dict()
    {'AE': 0.0, 'IN': 1.0}
    """
    if per not in ("destination", "shipment"):
        msg = f"per must be 'destination' or 'shipment'; got {per!r}."
        raise InvalidArgumentError(msg)
    paperwork = _Paperwork(graph)
    ships = shipments(graph)
    shares = origin_shares(graph)
    column = {str(o): j for j, o in enumerate(shares.origins)}
    carats = graph._column("carats")[ships]
    readable = np.zeros(ships.size)
    for i, position in enumerate(ships.tolist()):
        declared = _declared_countries(paperwork.declared(position))
        cols = [column[c] for c in declared if c in column]
        readable[i] = carats[i] * float(dense_row(shares.values, position)[cols].sum())
    table = np.array([*graph._strings, None], dtype=object)
    frame = pd.DataFrame(
        {
            "importer": table[graph._column("country")[ships]],
            "carats": carats,
            "readable_carats": readable,
        },
        index=pd.Index([graph._lot_id(p) for p in ships.tolist()], name="lot_id"),
    )
    if per == "destination":
        frame = frame.groupby("importer").sum()
    else:
        frame = frame.drop(columns="importer")
    frame["opaque_carats"] = frame["carats"] - frame["readable_carats"]
    frame["opacity"] = frame["opaque_carats"] / frame["carats"]
    return frame


def _problem(register: RegisterLike, country: str, zone: str | None, on: Any) -> str | None:
    """Return why the register forbids goods of `country` (`zone`) on `on`, or None."""
    participant = register.participant_of(country, on=on)
    if participant is None:
        return "not-participant"
    if register.may_trade(participant, on=on, zone=zone):
        return None
    status = str(getattr(register.status(participant, on=on), "value", ""))
    if status == "restricted":
        return "non-compliant-zone"
    if status == "not-participant":
        return "not-participant"
    return "suspended"


def audit(
    graph: ProvenanceGraph,
    *,
    register: RegisterLike | None,
    limit: int = 20,
    progress: bool | None = None,
) -> list[Finding]:
    """Find shipments whose certificate looks clean while their true origins are not.

    A shipment is reported when its certificate's declared origin does not name an
    offending origin of its carats: a participant that may not trade on the shipment's
    date (suspended, removed, or no participant at all), a zone outside the compliant
    zones of a restricted participant, or carats that crossed a border with no certificate
    (``"smuggled"``). Origins are judged on the date of the shipment. Each finding carries
    the paths that explain it and the KPCS reference.

    Parameters
    ----------
    graph : ProvenanceGraph
    register : kpmodel.participants.Register or None
        The register of participants (anything with ``participant_of``, ``status`` and
        ``may_trade``). None checks smuggled carats only.
    limit : int
        The most paths to attach to a finding.
    progress : bool, optional
        Show a progress bar over the shipments (``tqdm``): by default only in a notebook or
        on a terminal, and only when the audit lasts more than a second.

    Returns
    -------
    list of Finding
        In shipment order; within a shipment, by reason then origin.

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> car = g.produce(country="CF", carats=10, on="2014-01-01")
    >>> cm = g.mix([g.smuggle(car, to="CM", on="2014-02-01"),
    ...             g.produce(country="CM", carats=10, on="2014-02-01")])
    >>> out = g.ship(cm, to="AE", on="2014-03-01", certificate="CM-0042")
    >>> [(f.certificate, f.declared_origin, f.reason, f.share)
    ...  for f in kp.provenance.audit(g, register=None)]
    [('CM-0042', 'CM', 'smuggled', 0.5)]
    """
    paperwork = _Paperwork(graph)
    ships = shipments(graph)
    if ships.size == 0:
        return []
    kind = graph._column("kind")
    smuggle = kind == KIND_CODE[Kind.SMUGGLE]
    smuggled = propagate(graph, smuggle.astype(np.float64)[:, None], reset=smuggle)[:, 0]
    zone_shares = origin_shares(graph, by="zone") if register is not None else None
    zone_code, labels = origin_labels(graph, "zone")
    verdicts: dict[tuple[str, str | None, Any], str | None] = {}
    carried_by_origin: dict[str, np.ndarray[Any, Any]] = {}
    findings = []
    source = graph._flow_column("source")
    checked = track(ships.tolist(), enabled=progress, unit="shipment", desc="audit")
    for position in checked:
        declared = paperwork.declared(position)
        named = _declared_countries(declared)
        on = graph._column("on")[position]
        day = None if np.isnat(on) else pd.Timestamp(on).date()
        parent = int(source[paperwork.indptr[position]])
        head = {
            "lot": graph._lot_id(position),
            "certificate": graph._string(int(graph._column("certificate")[position])),
            "on": day,
            "exporter": graph._string(int(graph._column("country")[parent])) or "",
            "importer": graph._string(int(graph._column("country")[position])) or "",
            "declared_origin": declared,
        }
        carats = float(graph._column("carats")[position])
        offending: list[tuple[str, str, float, np.ndarray[Any, Any]]] = []
        if zone_shares is not None and register is not None:
            row = dense_row(zone_shares.values, position)
            for j in np.flatnonzero(row[:-1] > TOLERANCE).tolist():
                label = labels[j]
                country, _, zone = label.partition("/")
                if country in named:
                    continue  # openly declared: a rules check, not a laundering finding
                key = (country, zone or None, day)
                if key not in verdicts:
                    verdicts[key] = _problem(register, country, zone or None, day)
                reason = verdicts[key]
                if reason is not None:
                    entering = (zone_code == j).astype(np.float64)
                    offending.append((reason, label, float(row[j]), entering))
        if smuggled[position] > TOLERANCE:
            entry = smuggle.astype(np.float64)
            offending.append(("smuggled", "smuggled", float(smuggled[position]), entry))
        for reason, origin, share, entering in sorted(offending, key=lambda o: (o[0], o[1])):
            # What an origin carries into every lot is the same for every shipment, so it
            # is propagated once per origin, not once per finding.
            if origin not in carried_by_origin:
                carried_by_origin[origin] = propagate(
                    graph, entering.copy()[:, None], reset=entering > 0
                )[:, 0]
            carried = carried_by_origin[origin]
            findings.append(
                Finding(
                    **head,
                    reason=reason,
                    origin=origin,
                    share=share,
                    carats=share * carats,
                    paths=paths_into(graph, position, entering, carried, limit=limit),
                    reference=REFERENCES[reason],
                )
            )
    return findings
