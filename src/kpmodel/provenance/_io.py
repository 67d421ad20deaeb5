"""Views and exchange formats of provenance graphs: networkx, node-link JSON, GraphML, PROV."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

import networkx as nx
import numpy as np
import pandas as pd
from networkx.readwrite.graphml import GraphMLReader

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
from kpmodel._lot_ids import plain
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
    """Return a cell of `to_frames` as networkx keeps it: a Python value, None if missing.

    Numpy scalars become Python values by the one rule (`kpmodel._lot_ids.plain`). Unlike
    it (a rule for showing and looking up values), missing values (NaN, NaT) become None
    here, deliberately: the attribute is then left out, as `from_networkx` reads a
    missing one, and neither JSON nor GraphML holds NaN. No date reaches this (`on` is
    written as text first), so `plain` keeping numpy's dates never leaves one to write.
    """
    value = plain(value)
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.datetime64 | np.timedelta64) and np.isnat(value):
        return None
    if isinstance(value, str) and value == "NaT":
        return None
    return value


def from_networkx(digraph: nx.DiGraph[Any]) -> ProvenanceGraph:
    """Build a graph from a networkx DiGraph with the attributes `to_networkx` writes."""
    from kpmodel.provenance._graph import ProvenanceGraph

    if not isinstance(digraph, nx.DiGraph) or digraph.is_multigraph():
        msg = f"expected a networkx DiGraph; got {type(digraph).__name__}"
        if isinstance(digraph, nx.Graph) and digraph.is_multigraph():
            msg += (
                ", whose parallel edges would be two flows between the same lots: build a "
                "DiGraph with one edge per pair of lots, its carats the sum of theirs "
                "(networkx.DiGraph(graph) would keep only the last edge's carats)"
            )
        elif isinstance(digraph, nx.Graph):
            msg += ", whose edges have no direction: build a DiGraph, each edge from the lot "
            msg += "that gives carats to the lot that receives them"
        raise InvalidGraphError(msg + ".")
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
    """Build a graph from node-link data written by `to_node_link`.

    The data is checked before networkx reads it (`node_link_problems`): networkx would
    merge two nodes of one id and keep the last of two edges between the same lots.
    """
    if isinstance(data, dict):
        problems = node_link_problems(data)
        if problems:
            head = "node-link data is not a provenance graph as to_node_link() writes"
            raise InvalidGraphError(_problems_message(head, problems))
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


def node_link_problems(data: dict[str, Any]) -> list[str]:
    """Return what keeps node-link `data` from being one provenance graph, by field path.

    A lot must be one node and a flow one edge: two nodes of one id (networkx would merge
    them, the later attributes winning) and two edges between the same lots (networkx would
    keep the last) are problems, as are an edge naming no node, a node with no ``"id"`` or
    an id other than an int or text, and undirected data. Nothing is listed for data whose
    ``"nodes"`` or ``"edges"`` are not lists: `from_node_link` says so.

    Examples
    --------
    >>> data = {"nodes": [{"id": 0}, {"id": 0}], "edges": [{"source": 0, "target": 9}]}
    >>> for problem in node_link_problems(data):
    ...     print(problem.split(";")[0])
    nodes[1]: id 0 is also nodes[0]'s
    edges[0]['target']: 9 is the id of no node in 'nodes'
    """
    problems: list[str] = []
    if "directed" in data and data["directed"] is not True:
        problems.append(
            f"'directed': must be true, got {show(data['directed'])}; a provenance graph's "
            "flows go from 'source' to 'target': set it to true, or leave it out"
        )
    nodes, edges = data.get("nodes"), data.get("edges")
    if "edges" not in data and "links" in data:
        problems.append(
            "'edges': missing, but the data has 'links' (as networkx before 3.4 named them): "
            "rename 'links' to 'edges'"
        )
    if not isinstance(nodes, list):
        return problems
    ids: list[tuple[int, Any]] = []  # (place, lot id) of each node with an id
    for i, node in enumerate(nodes):
        if not isinstance(node, dict):
            problems.append(
                f'nodes[{i}]: must be an object such as {{"id": 0, "kind": "produce", '
                f"...}}, got {show(node)}"
            )
        elif "id" not in node:
            problems.append(
                f"nodes[{i}]: has no 'id'; give every node its lot id (an int or text) as 'id'"
            )
        elif not is_lot_id(node["id"]):
            problems.append(
                f"nodes[{i}]['id']: must be an int or text, got {show(node['id'])}; give "
                "every node an int or text lot id, the one its edges' 'source' or 'target' give"
            )
        else:
            ids.append((i, node["id"]))
    first = _first_places(ids, problems)
    if not isinstance(edges, list):
        return problems
    pairs: list[tuple[int, Any]] = []  # (place, (source, target)) of each edge of two lots
    for j, edge in enumerate(edges):
        if not isinstance(edge, dict):
            problems.append(
                f"edges[{j}]: must be an object such as "
                f'{{"source": 0, "target": 1, "carats": 2.5}}, got {show(edge)}'
            )
            continue
        ends = []
        for end in ("source", "target"):
            if end not in edge:
                problems.append(f"edges[{j}]: has no {end!r}; give the id of its {end} lot")
            elif not is_lot_id(edge[end]) or edge[end] not in first:
                problems.append(
                    f"edges[{j}][{end!r}]: {show(edge[end])} is the id of no node in 'nodes'; "
                    "add that lot to 'nodes', or remove the edge"
                )
            else:
                ends.append(edge[end])
        if len(ends) == 2:
            pairs.append((j, tuple(ends)))
    _first_places(pairs, problems)
    return problems


def _first_places(keyed: list[tuple[int, Any]], problems: list[str]) -> dict[Any, int]:
    """Return the first place of each key of `keyed`; a later place of one is a problem.

    The keys are lot ids (of nodes, each one lot) or ``(source, target)`` tuples (of edges,
    each one flow).
    """
    first: dict[Any, int] = {}
    for place, key in keyed:
        if key not in first:
            first[key] = place
        elif isinstance(key, tuple):
            problems.append(
                f"edges[{place}]: {show(key[0])} -> {show(key[1])} is also edges[{first[key]}]'s;"
                " one edge per pair of lots: make them one edge whose carats are their sum"
            )
        else:
            problems.append(
                f"nodes[{place}]: id {show(key)} is also nodes[{first[key]}]'s; give each lot "
                "its own id, or remove the repeated node"
            )
    return first


def _problems_message(head: str, problems: list[str], note: str = "") -> str:
    """Return `head` and the count of `problems`, then the first `MAX_LISTED` of them."""
    more = len(problems) - MAX_LISTED
    listed = problems[:MAX_LISTED] + ([f"... and {more:,} more"] if more > 0 else [])
    count = f"{len(problems):,} problem" + ("" if len(problems) == 1 else "s")
    return f"{head} ({count}{note}):\n  " + "\n  ".join(listed)


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


#: The root element `networkx.read_graphml` gives a file whose root has no namespace.
_HEADER = b'<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'


class _CheckedReader(GraphMLReader):
    """networkx's GraphML reader, which first lists what would not read back as written.

    networkx merges two ``<node>`` elements of one id (the later attributes winning), keeps
    the last of two edges between the same lots, makes a node of an edge's unknown end and
    reads a graph with no ``edgedefault="directed"`` as undirected: each is a problem here.
    """

    def __init__(self) -> None:
        super().__init__(node_type=str, edge_key_type=int, force_multigraph=False)
        self.problems: list[str] = []

    def make_graph(
        self,
        graph_xml: Any,
        graphml_keys: Any,
        defaults: Any,
        G: Any = None,  # noqa: N803 - networkx's name, which it passes by keyword too
    ) -> Any:
        if G is None:  # a graph of the file, not one nested in a node
            self.problems += graphml_problems(graph_xml, self.NS_GRAPHML)
        # networkx's reader has no type annotations
        return super().make_graph(graph_xml, graphml_keys, defaults, G)  # type: ignore[no-untyped-call]


def graphml_problems(graph: ElementTree.Element, namespace: str) -> list[str]:
    """Return what keeps a GraphML ``<graph>`` element from being one provenance graph.

    Each problem names a ``<node>`` or ``<edge>`` element of `graph` (its direct children)
    by its position (from 0): two nodes of one id, two edges between the same nodes, an edge
    naming no node, an element without the id, source or target attribute or holding a
    nested ``<graph>`` (which networkx does not read), and a graph that is not directed.

    Examples
    --------
    >>> xml = '<graph edgedefault="directed"><node id="0"/><node id="0"/></graph>'
    >>> [problem.split(";")[0] for problem in graphml_problems(ElementTree.fromstring(xml), "")]
    ["nodes[1]: id '0' is also nodes[0]'s"]
    """
    problems: list[str] = []
    tag = f"{{{namespace}}}" if namespace else ""
    if graph.get("edgedefault") != "directed":
        problems.append(
            f"<graph edgedefault={show(graph.get('edgedefault'))}>: a provenance graph's flows "
            'go from source to target: write edgedefault="directed" as write_graphml() does'
        )
    problems += _nested_graphs(graph, tag)
    ids: list[tuple[int, Any]] = []
    for i, node in enumerate(graph.findall(f"{tag}node")):
        if node.get("id") is None:
            problems.append(f"nodes[{i}]: has no id attribute; give every <node> its lot id")
        else:
            ids.append((i, node.get("id")))
    first = _first_places(ids, problems)
    pairs: list[tuple[int, Any]] = []
    for j, edge in enumerate(graph.findall(f"{tag}edge")):
        ends = []
        for end in ("source", "target"):
            lot = edge.get(end)
            if lot is None:
                problems.append(f"edges[{j}]: has no {end} attribute; give its {end} lot's id")
            elif lot not in first:
                problems.append(
                    f"edges[{j}] {end}={show(lot)}: no <node> has this id; add that lot as a "
                    "<node>, or remove the edge"
                )
            else:
                ends.append(lot)
        if len(ends) == 2:
            pairs.append((j, tuple(ends)))
    _first_places(pairs, problems)
    return problems


def _nested_graphs(graph: ElementTree.Element, tag: str) -> list[str]:
    """Name each child of `graph` holding a ``<graph>``: networkx reads none of their lots."""
    problems = []
    places = {f"{tag}node": "nodes", f"{tag}edge": "edges"}
    counts = dict.fromkeys(places, 0)
    for child in graph:
        if child.tag in counts:
            place = f"{places[child.tag]}[{counts[child.tag]}]"
            counts[child.tag] += 1
        else:
            place = f"<graph>'s <{child.tag.removeprefix(tag)}>"
        if next(child.iter(f"{tag}graph"), None) is not None:
            problems.append(
                f"{place}: holds a nested <graph>, whose lots would not be read; kpmodel "
                "reads one flat graph, as write_graphml() writes: move its <node> and <edge> "
                "elements into the top-level <graph>"
            )
    return problems


def read_graphml(path: str | os.PathLike[str]) -> ProvenanceGraph:
    """Read a graph written by `write_graphml`."""
    raw = read_bytes(path)  # a LoadError naming the file when it cannot be read
    reader = _CheckedReader()
    try:
        # As networkx.read_graphml: a file whose root has no namespace is given one.
        graphs = list(reader(string=raw)) or list(
            reader(string=raw.replace(b"<graphml>", _HEADER))
        )
    except (ElementTree.ParseError, nx.NetworkXError, ValueError, KeyError, TypeError) as exc:
        msg = f"{display_path(path)} is not a GraphML file as write_graphml() writes: {exc}"
        raise InvalidGraphError(msg) from exc
    if not graphs:
        msg = (
            f"{display_path(path)} is not a GraphML file as write_graphml() writes: it holds "
            "no <graph> element of the GraphML namespace"
        )
        raise InvalidGraphError(msg)
    top = f"{{{reader.NS_GRAPHML}}}graph"
    for child in reader.xml:  # a <graph> elsewhere than in a top-level one
        if child.tag != top and next(child.iter(top), None) is not None:
            reader.problems.append(
                f"<{child.tag.removeprefix(top[:-5])}>: holds a <graph>, which would not be "
                "read; kpmodel reads one <graph> that is a child of <graphml>, as "
                "write_graphml() writes: move it there"
            )
    if len(graphs) > 1:
        reader.problems.append(
            f"the file holds {len(graphs)} <graph> elements; write_graphml() writes one graph "
            "(keep one, or read each from its own file)"
        )
    if reader.problems:
        head = f"{display_path(path)} is not a provenance graph as write_graphml() writes"
        note = "; nodes and edges are its <node> and <edge> elements, counted from 0"
        raise InvalidGraphError(_problems_message(head, reader.problems, note))
    digraph = graphs[0]
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
