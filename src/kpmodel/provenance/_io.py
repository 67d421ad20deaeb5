"""Views and exchange formats of provenance graphs: networkx, node-link JSON, GraphML, PROV."""

from __future__ import annotations

import io
import os
import re
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

import networkx as nx
import numpy as np
import pandas as pd

from kpmodel._boundary import (
    MAX_LISTED,
    atomic_open,
    check_text,
    display_path,
    is_lot_id,
    read_bytes,
    show,
)
from kpmodel._limits import check_memory
from kpmodel.errors import InvalidGraphError, KPModelError

if TYPE_CHECKING:
    from kpmodel.provenance._graph import ProvenanceGraph

#: Lot attributes in the networkx view, in the order of the lots frame.
NODE_ATTRIBUTES = (
    "kind",
    "carats",
    "origin",
    "on",
    "country",
    "zone",
    "site",
    "value_usd",
    "certificate",
    "declared_origin",
    "list_origins",
)


#: Peak bytes per lot and per flow of `to_networkx` (measured about 1,850 per lot with 0.9
#: flows per lot on a simulated graph of 150,000 lots; a margin kept).
BYTES_PER_NODE = 2_000
BYTES_PER_EDGE = 600


def to_networkx(graph: ProvenanceGraph) -> nx.DiGraph[Any]:
    """Return a networkx DiGraph of `graph` (see `ProvenanceGraph.to_networkx`)."""
    n_lots, n_flows = len(graph), graph.number_of_flows
    check_memory(
        n_lots * BYTES_PER_NODE + n_flows * BYTES_PER_EDGE,
        what=f"a networkx copy of a provenance graph of {n_lots} lots and {n_flows} flows",
        change=(
            "work on the graph's arrays instead (to_frames(), origin_shares(), "
            "kpmodel.definitions.Lots.from_graph), or on a part of the graph"
        ),
        keyword=False,
    )
    lots, flows = graph.to_frames()
    lots["on"] = lots["on"].dt.strftime("%Y-%m-%d")
    digraph: nx.DiGraph[Any] = nx.DiGraph()
    records = lots.to_dict("records")
    for record in records:
        lot = record.pop("lot_id")
        attributes = {k: _plain(v) for k, v in record.items()}
        digraph.add_node(
            _plain(lot), **{str(k): v for k, v in attributes.items() if v is not None}
        )
    if flows.duplicated(["source", "target"]).any():
        # One edge per pair of lots: parallel flows (which `from_frames` merges, so no
        # graph should hold them) are summed into it, never overwritten.
        flows = flows.groupby(["source", "target"], sort=False, as_index=False)[["carats"]].sum()
    digraph.add_edges_from(
        (_plain(s), _plain(t), {"carats": float(c)}) for s, t, c in flows.itertuples(index=False)
    )
    return digraph


def _plain(value: Any) -> Any:
    """Convert numpy scalars and missing values to plain Python (None for missing)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if value is pd.NaT or (isinstance(value, str) and value == "NaT"):
        return None
    if isinstance(value, np.generic):
        return _plain(value.item())
    return value


def from_networkx(digraph: nx.DiGraph[Any]) -> ProvenanceGraph:
    """Build a graph from a networkx DiGraph with the attributes `to_networkx` writes."""
    from kpmodel.provenance._graph import ProvenanceGraph

    if not isinstance(digraph, nx.DiGraph) or digraph.is_multigraph():
        msg = f"expected a networkx DiGraph; got {type(digraph).__name__}."
        raise InvalidGraphError(msg)
    _check_attribute_types(digraph)
    rows = []
    for lot, data in digraph.nodes(data=True):
        row = {"lot_id": lot, **{name: data.get(name) for name in NODE_ATTRIBUTES}}
        rows.append(row)
    lots = pd.DataFrame(rows, columns=["lot_id", *NODE_ATTRIBUTES])
    if lots["list_origins"].isna().all():
        lots["list_origins"] = False
    lots["list_origins"] = lots["list_origins"].fillna(False).astype(bool)
    if lots.empty:
        lots["lot_id"] = lots["lot_id"].astype(np.int64)
    flows = pd.DataFrame(
        [(s, t, d.get("carats")) for s, t, d in digraph.edges(data=True)],
        columns=["source", "target", "carats"],
    )
    return ProvenanceGraph.from_frames(lots, flows)


_NUMBERS = ("carats", "value_usd")
_FLAGS = ("list_origins",)


def _saveable(value: object) -> bool:
    try:
        check_text(value, path="", empty=True)
    except KPModelError:
        return False
    return True


def _check_attribute_types(digraph: nx.DiGraph[Any]) -> None:
    """Refuse lists, numbers or objects where text belongs (and the reverse), naming them all."""
    problems: list[str] = []
    for lot, data in digraph.nodes(data=True):
        if not is_lot_id(lot):
            problems.append(
                f"lot id {show(lot)}: must be an int or text, not {type(lot).__name__}; "
                "give every lot an int or text id (networkx.relabel_nodes(digraph, str) "
                "makes every id text)"
            )
        for name in NODE_ATTRIBUTES:
            value = data.get(name)
            if value is None:
                continue
            if name in _NUMBERS:
                ok = isinstance(value, int | float) and not isinstance(value, bool)
                expected = "a number"
            elif name in _FLAGS:
                ok, expected = isinstance(value, bool), "true or false"
            else:
                ok, expected = _saveable(value), "text (UTF-8, no NUL)"
            if not ok:
                problems.append(f"lot {show(lot)} {name!r}: must be {expected}, got {show(value)}")
    for source, target, data in digraph.edges(data=True):
        carats = data.get("carats")
        if isinstance(carats, bool) or not isinstance(carats, int | float):
            problems.append(
                f"flow {show(source)} -> {show(target)} 'carats': must be a number, "
                f"got {show(carats)}"
            )
    if problems:
        more = len(problems) - MAX_LISTED
        listed = problems[:MAX_LISTED] + ([f"... and {more} more"] if more > 0 else [])
        msg = "the graph data has values of the wrong type:\n  " + "\n  ".join(listed)
        raise InvalidGraphError(msg)


def to_node_link(graph: ProvenanceGraph) -> dict[str, Any]:
    """Return the node-link data of `graph`: a JSON-serialisable dict."""
    return nx.node_link_data(to_networkx(graph), edges="edges")


def from_node_link(data: dict[str, Any]) -> ProvenanceGraph:
    """Build a graph from node-link data written by `to_node_link`."""
    try:
        if not isinstance(data, dict):
            raise TypeError(f"got {type(data).__name__}, not a JSON object")
        digraph: nx.DiGraph[Any] = nx.DiGraph(
            nx.node_link_graph(data, directed=True, multigraph=False, edges="edges")
        )
    except (KeyError, TypeError, AttributeError, ValueError, nx.NetworkXError) as exc:
        msg = f"node-link data must have 'nodes' and 'edges' lists as to_node_link() writes: {exc}"
        raise InvalidGraphError(msg) from exc
    return from_networkx(digraph)


#: The node attribute that marks integer lot ids in a GraphML file whose ids are of both
#: kinds (``lot_id_type="mixed"``): GraphML node ids are text.
INT_ID_ATTRIBUTE = "lot_id_is_int"
#: An integer as `write_graphml` writes it (``str(int)``): the only text read back as one.
_INT_TEXT = re.compile(r"0|-?[1-9][0-9]*")


def write_graphml(graph: ProvenanceGraph, path: str | os.PathLike[str]) -> None:
    """Write `graph` to a GraphML file, atomically.

    GraphML node ids are text: the graph records whether the lot ids are ints (``int``),
    strings (``str``) or both (``mixed``, each node marked by `INT_ID_ATTRIBUTE`), so they
    read back as they were; an int and a string id with the same text (``1`` and
    ``"1"``) cannot both be written, and are refused before anything is written.
    """
    digraph = to_networkx(graph)
    ids = list(digraph.nodes)
    ints = [isinstance(i, int) for i in ids]
    _refuse_clashing_ids(ids, ints)
    kind = "int" if all(ints) else "str" if not any(ints) else "mixed"
    digraph.graph["lot_id_type"] = kind
    if kind == "mixed":
        nx.set_node_attributes(digraph, dict(zip(ids, ints, strict=True)), INT_ID_ATTRIBUTE)
    with atomic_open(path, "wb") as file:
        nx.write_graphml(digraph, file)


def _refuse_clashing_ids(ids: list[Any], ints: list[bool]) -> None:
    """Refuse lot ids that would be one GraphML node id: an int and a string of its text."""
    texts = {str(i) for i, is_int in zip(ids, ints, strict=True) if not is_int}
    clashes = [i for i, is_int in zip(ids, ints, strict=True) if is_int and str(i) in texts]
    if clashes:
        pairs = ", ".join(f"{i!r} and {str(i)!r}" for i in clashes[:MAX_LISTED])
        more = len(clashes) - MAX_LISTED
        if more > 0:
            pairs += f" (and {more} more pairs)"
        msg = (
            f"cannot write GraphML: lot ids {pairs}"
            " would be the same GraphML node id (GraphML node ids are text), so reading the "
            "file back would merge two lots. Rename one lot of each pair (to_frames(), "
            "change its lot_id and the flows' source and target, then from_frames()), or "
            "save the graph with to_node_link(), which keeps 1 and '1' apart."
        )
        raise InvalidGraphError(msg)


def read_graphml(path: str | os.PathLike[str]) -> ProvenanceGraph:
    """Read a graph written by `write_graphml`."""
    raw = read_bytes(path)  # a LoadError naming the file when it cannot be read
    try:
        digraph = nx.read_graphml(io.BytesIO(raw))
    except (ElementTree.ParseError, nx.NetworkXError, ValueError, KeyError, TypeError) as exc:
        msg = f"{display_path(path)} is not a GraphML file as write_graphml() writes: {exc}"
        raise InvalidGraphError(msg) from exc
    kind = digraph.graph.get("lot_id_type")
    if kind in ("int", "mixed"):
        marked = [
            node
            for node, data in digraph.nodes(data=True)
            if kind == "int" or data.pop(INT_ID_ATTRIBUTE, False) is True
        ]
        odd = [node for node in marked if not _INT_TEXT.fullmatch(str(node))]
        if odd:
            listed = ", ".join(show(node) for node in odd[:MAX_LISTED])
            msg = (
                f"{display_path(path)}: GraphML node ids {listed} are marked as integer lot "
                "ids but are not integers as write_graphml() writes them (digits, a '-' for "
                "negatives, no leading zeros or spaces), so two of them could stand for one "
                f"lot; write them that way (or set lot_id_type to 'str' to keep ids as text)."
            )
            raise InvalidGraphError(msg)
        digraph = nx.relabel_nodes(digraph, {node: int(node) for node in marked})
    return from_networkx(nx.DiGraph(digraph))


def to_prov(graph: ProvenanceGraph) -> Any:
    """Return a W3C PROV document of `graph` (needs the ``prov`` extra)."""
    try:
        from prov.model import ProvDocument
    except ImportError as exc:  # pragma: no cover - depends on the environment
        msg = "PROV export needs the 'prov' package: pip install 'kpmodel[prov]'"
        raise ImportError(msg) from exc

    document = ProvDocument()
    document.add_namespace("kp", "urn:kpmodel:")
    lots, flows = graph.to_frames()
    entity: dict[Any, Any] = {}
    activity: dict[Any, Any] = {}
    agents: dict[str, Any] = {}

    def agent(name: str, kind: str) -> Any:
        if name not in agents:
            agents[name] = document.agent(f"kp:{name}", {"prov:type": f"kp:{kind}"})
        return agents[name]

    by_id = lots.set_index("lot_id", drop=False)
    rows: list[Any] = list(lots.itertuples(index=False))
    for row in rows:
        attributes: dict[str, Any] = {"kp:carats": float(row.carats), "kp:kind": row.kind}
        for name in ("origin", "country", "zone", "site", "certificate", "declared_origin"):
            value = getattr(row, name)
            if value is not None and not (isinstance(value, float) and np.isnan(value)):
                attributes[f"kp:{name}"] = str(value)
        entity[row.lot_id] = document.entity(f"kp:lot-{row.lot_id}", attributes)
        day = None if pd.isna(row.on) else row.on.to_pydatetime()
        act = document.activity(f"kp:{row.kind}-{row.lot_id}", day, day)
        activity[row.lot_id] = act
        document.wasGeneratedBy(entity[row.lot_id], act, day)
        place = row.country if isinstance(row.country, str) else "unknown"
        if row.kind == "ship":
            document.wasAssociatedWith(act, agent(f"authority-{place}", "ImportingAuthority"))
        elif row.kind == "produce":
            document.wasAssociatedWith(act, agent(f"producers-{place}", "Producer"))
        elif row.kind == "seize":
            document.wasAssociatedWith(act, agent(f"authority-{place}", "Authority"))
        else:
            document.wasAssociatedWith(act, agent(f"traders-{place}", "Traders"))
    carats = by_id["carats"]
    for source, target, amount in flows.itertuples(index=False):
        act = activity[target]
        document.used(act, entity[source])
        if lots.loc[lots["lot_id"] == target, "kind"].iloc[0] == "ship":
            exporter = by_id.loc[source, "country"]
            if isinstance(exporter, str):
                document.wasAssociatedWith(
                    act, agent(f"authority-{exporter}", "ExportingAuthority")
                )
        document.wasDerivedFrom(
            entity[target],
            entity[source],
            act,
            other_attributes={
                "kp:carats": float(amount),
                "kp:share": float(amount) / float(carats.loc[target]),
            },
        )
    return document
