"""A lot's story in a table: origin shares with the paths behind them; reading graph files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, cast

import pandas as pd

from kpmodel._boundary import display_path, parse_json, read_text, show
from kpmodel._lot_ids import lot_positions, no_lot_message
from kpmodel.errors import InvalidArgumentError, InvalidGraphError, LoadError, Problem
from kpmodel.provenance._explain import explain
from kpmodel.provenance._graph import ProvenanceGraph
from kpmodel.provenance._paperwork import declared_origins
from kpmodel.provenance._shares import origin_shares

TRACE_COLUMNS = ("origin", "share", "carats", "path", "path_carats")


def _check_lot(graph: ProvenanceGraph, lot: Any) -> None:
    """Refuse `lot` unless it names a lot of `graph`, found as ``origin_shares(lots=[lot])``
    finds it: of the lot id's kind (``1.0`` and ``True`` equal ``1`` but are not lot 1).
    """
    try:
        lot_positions([lot], graph.lots)
    except InvalidArgumentError:  # refused as a `lot`, not as a list (`lots`) of one
        raise InvalidArgumentError(no_lot_message([lot], graph.lots)) from None


def trace(
    graph: ProvenanceGraph,
    lot: Any,
    *,
    by: str = "country",
    paths: int = 3,
) -> pd.DataFrame:
    """Return a lot's origin shares, each with the largest paths that carry it in.

    What ``kpmodel trace`` prints: one row per (origin, path), origins by decreasing share;
    an origin with no path (carats of unknown origin) has one row with an empty path.

    Parameters
    ----------
    graph : ProvenanceGraph
    lot : lot id
        A lot of `graph`.
    by : {"country", "zone", "site"}
        Name origins by country, ``country/zone`` or ``country/zone/site``.
    paths : int
        Paths shown per origin (the largest first).

    Returns
    -------
    pandas.DataFrame
        ``origin``, ``share``, ``carats`` (share times the lot's carats), ``path`` (lot
        ids joined by ``" > "``) and ``path_carats``.

    Raises
    ------
    kpmodel.errors.InvalidArgumentError
        When `lot` names no lot of the graph, or `by` is not one of the three levels. An
        id names a lot only if it is of the lot id's kind, as in `kpmodel.origin_shares`'
        ``lots=``: ``1.0``, ``True`` and ``Decimal(1)`` equal ``1`` but are not lot 1, and
        an id that is neither an int nor text (a tuple, bytes, a list) names no lot.

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> orapa = g.produce(country="BW", zone="Orapa", carats=30, on="2020-01-01")
    >>> jwaneng = g.produce(country="BW", zone="Jwaneng", carats=70, on="2020-01-01")
    >>> mixed = g.mix([orapa, jwaneng])
    >>> kp.provenance.trace(g, mixed, by="zone")[["origin", "share", "path"]]
           origin  share   path
    0  BW/Jwaneng    0.7  1 > 2
    1    BW/Orapa    0.3  0 > 2
    """
    _check_lot(graph, lot)
    if not isinstance(by, str) or by not in ("country", "zone", "site"):
        msg = f"by must be 'country', 'zone' or 'site'; got {show(by)}"
        raise InvalidArgumentError(msg)
    level = cast(Literal["country", "zone", "site"], by)
    shares = origin_shares(graph, by=level)
    carats = graph.to_frames()[0].set_index("lot_id").loc[lot, "carats"]
    rows = []
    for origin, share in sorted(shares.of(lot).items(), key=lambda item: -item[1]):
        found = explain(graph, lot, origin, by=level, limit=paths)
        for path in found or (None,):
            rows.append(
                {
                    "origin": origin,
                    "share": share,
                    "carats": share * float(carats),
                    "path": " > ".join(map(str, path.lots)) if path else "",
                    "path_carats": path.carats if path else float("nan"),
                }
            )
    return pd.DataFrame(rows, columns=list(TRACE_COLUMNS))


def describe_lot(graph: ProvenanceGraph, lot: Any) -> str:
    """Return one line saying what a lot is: carats, kind, place and certificate.

    Parameters
    ----------
    graph : ProvenanceGraph
    lot : lot id
        A lot of `graph`.

    Returns
    -------
    str

    Raises
    ------
    kpmodel.errors.InvalidArgumentError
        When `lot` names no lot of the graph. An id names a lot only if it is of the lot
        id's kind, as in `kpmodel.origin_shares`' ``lots=``: ``1.0``, ``True`` and
        ``Decimal(1)`` equal ``1`` but are not lot 1, and an id that is neither an int nor
        text (a tuple, bytes, a list) names no lot.

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> mine = g.produce(country="BW", carats=30, on="2020-01-01")
    >>> sent = g.ship(mine, to="BE", on="2020-02-01", certificate="BW-1")
    >>> kp.provenance.describe_lot(g, sent)
    'Lot 1: 30.00 ct, ship in BE, BW -> BE on certificate BW-1 declaring BW.'
    """
    _check_lot(graph, lot)
    row = graph.to_frames()[0].set_index("lot_id").loc[lot]
    text = f"Lot {lot}: {row['carats']:,.2f} ct, {row['kind']} in {row['country']}"
    shipments = declared_origins(graph).set_index("lot_id")
    if lot in shipments.index:
        shipment = shipments.loc[lot]
        text += (
            f", {shipment['exporter']} -> {shipment['importer']} on certificate "
            f"{shipment['certificate']} declaring {shipment['declared_origin']}"
        )
    return text + "."


def read_graph(path: str | os.PathLike[str]) -> ProvenanceGraph:
    """Read a provenance graph from node-link JSON or GraphML, by the file's suffix.

    ``.graphml`` is read as GraphML (`ProvenanceGraph.write_graphml`); anything else as
    node-link JSON (`ProvenanceGraph.to_node_link`, saved with `json.dump`).

    Parameters
    ----------
    path : path-like

    Returns
    -------
    ProvenanceGraph

    Raises
    ------
    kpmodel.errors.LoadError
        When the file cannot be read, or is not JSON holding an object; the message names
        the file and says which.
    kpmodel.errors.InvalidGraphError
        When the file holds no provenance graph: node-link data that
        `ProvenanceGraph.from_node_link` refuses, or GraphML that
        `ProvenanceGraph.read_graphml` refuses; the message starts with the file's name.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> g = kp.ProvenanceGraph()
    >>> _ = g.produce(country="BW", carats=10, on="2023-05-01")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "graph.json"
    >>> _ = path.write_text(json.dumps(g.to_node_link()), encoding="utf-8")
    >>> kp.provenance.read_graph(path)
    <ProvenanceGraph: 1 lots, 0 flows; ...>
    >>> _ = path.write_text("[1, 2]", encoding="utf-8")
    >>> kp.provenance.read_graph(path)
    Traceback (most recent call last):
    ...
    kpmodel.errors.LoadError: ...expected node-link JSON...
    """
    path = Path(path)
    source = display_path(path)
    if path.suffix.lower() == ".graphml":
        return ProvenanceGraph.read_graphml(path)
    # The boundary layer names the encoding, refuses deep nesting and duplicate keys.
    data = parse_json(read_text(path, source=source), source=source)
    if not isinstance(data, dict):
        problem = (
            "expected node-link JSON: an object with 'nodes' and 'edges' "
            f"(ProvenanceGraph.to_node_link); got {type(data).__name__}"
        )
        raise LoadError([Problem("", problem)], source=source)
    try:
        return ProvenanceGraph.from_node_link(data)
    except InvalidGraphError as error:  # named by the file it came from, as GraphML's are
        raise InvalidGraphError(f"{source}: {error}") from error
