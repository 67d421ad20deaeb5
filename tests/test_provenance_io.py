"""GraphML keeps lot ids as they were: ints, strings, or both, never two lots as one.

GraphML node ids are text, so an int lot id and a string lot id with the same text (``1``
and ``"1"``) would be one node. The writer refuses them before writing anything, and
records which ids are ints when both kinds are present, so they read back as they were.
"""

from __future__ import annotations

import copy
import json
from xml.etree import ElementTree

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel._boundary import is_hashable, is_lot_id, show
from kpmodel.errors import InvalidGraphError
from kpmodel.testing.strategies import hostile_values, provenance_frames, provenance_graphs


def _renamed(frames: tuple[pd.DataFrame, pd.DataFrame], rename: dict) -> kp.ProvenanceGraph:
    lots, flows = frames
    lots = lots.assign(lot_id=lots["lot_id"].map(lambda lot: rename.get(lot, lot)).astype(object))
    flows = flows.assign(
        source=flows["source"].map(lambda lot: rename.get(lot, lot)).astype(object),
        target=flows["target"].map(lambda lot: rename.get(lot, lot)).astype(object),
    )
    return kp.ProvenanceGraph.from_frames(lots, flows)


def _int_ids(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    lots, flows = draw(provenance_frames(max_lots=10))
    if lots["lot_id"].dtype.kind not in "iu":  # string ids: back to ints
        back = {lot: i for i, lot in enumerate(lots["lot_id"])}
        lots = lots.assign(lot_id=lots["lot_id"].map(back))
        flows = flows.assign(source=flows["source"].map(back), target=flows["target"].map(back))
    return lots, flows


@st.composite
def mixed_id_graphs(draw: st.DrawFn) -> kp.ProvenanceGraph:
    """Graphs whose lot ids are ints and strings, no string the text of an int id."""
    lots, flows = _int_ids(draw)
    ids = lots["lot_id"].tolist()
    texts = draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
    return _renamed((lots, flows), {lot: f"lot {lot}" for lot in texts})


@st.composite
def clashing_graphs(draw: st.DrawFn) -> tuple[kp.ProvenanceGraph, object]:
    """Graphs with an int lot id and a string lot id of the same text; and that int."""
    lots, flows = _int_ids(draw)
    ids = lots["lot_id"].tolist()
    if len(ids) < 2:
        lots, flows = kp.ProvenanceGraph.from_frames(
            pd.DataFrame({"lot_id": [0, 1], "carats": [1.0, 2.0], "origin": ["BW", "CF"]}),
            flows.iloc[:0],
        ).to_frames()
        ids = [0, 1]
    kept, renamed = draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))
    return _renamed((lots, flows), {renamed: str(kept)}), kept


class TestGraphMLIds:
    @given(graph=mixed_id_graphs())
    def test_ints_and_strings_read_back_as_they_were(self, graph, tmp_path_factory):
        """A graph of int and string lot ids reads back with the same ids, of the same types.

        The old writer marked such a file "str", and every int id came back as text.
        """
        path = tmp_path_factory.mktemp("graphml") / "mixed.graphml"
        graph.write_graphml(path)
        back = kp.ProvenanceGraph.read_graphml(path)
        assert sorted(map(repr, back.lots)) == sorted(map(repr, graph.lots))
        lots, flows = graph.to_frames()
        lots_back, flows_back = back.to_frames()
        key = {"key": lambda column: column.map(repr)}
        pd.testing.assert_frame_equal(
            lots_back.sort_values("lot_id", **key).reset_index(drop=True),
            lots.sort_values("lot_id", **key).reset_index(drop=True),
        )
        pd.testing.assert_frame_equal(
            flows_back.sort_values(["source", "target"], **key).reset_index(drop=True),
            flows.sort_values(["source", "target"], **key).reset_index(drop=True),
        )

    @given(case=clashing_graphs())
    def test_an_int_and_its_text_are_refused_before_writing(self, case, tmp_path_factory):
        """1 and "1" would be one GraphML node: refused, naming both, and no file written.

        The old writer wrote the file, and reading it merged the two lots into one
        (or failed naming one lot), a graph other than the one written.
        """
        graph, clash = case
        path = tmp_path_factory.mktemp("graphml") / "clash.graphml"
        with pytest.raises(InvalidGraphError) as error:
            graph.write_graphml(path)
        message = str(error.value)
        assert f"lot ids {clash!r} and {str(clash)!r} would be the same GraphML node id" in message
        assert "Rename one lot of each pair" in message
        assert "to_node_link()" in message
        assert not path.exists()
        # Node-link data (JSON) keeps them apart, as the message says.
        data = json.loads(json.dumps(graph.to_node_link()))
        assert sorted(map(repr, kp.ProvenanceGraph.from_node_link(data).lots)) == sorted(
            map(repr, graph.lots)
        )

    @pytest.mark.parametrize("odd", ["01", " 1", "1_0", "+1", "1.0", "-0", "١"])
    def test_a_file_marking_non_integers_as_int_ids_is_refused(self, odd, tmp_path):
        """Only ``str(int)`` reads back as an int id: "01" and "1" are never one lot."""
        graph = kp.ProvenanceGraph()
        mine = graph.produce(country="CF", carats=1.0, on="2014-01-01")
        graph.ship(mine, to="AE", on="2014-02-01")
        path = tmp_path / "ints.graphml"
        graph.write_graphml(path)
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace('"1"', f'"{odd}"'), encoding="utf-8")
        with pytest.raises(InvalidGraphError, match="marked as integer lot ids but are not"):
            kp.ProvenanceGraph.read_graphml(path)


class TestNetworkxIds:
    @given(
        st.data(),
        st.one_of(
            hostile_values(),
            st.sampled_from([np.int64(7), np.uint8(7), np.int8(-7), np.timedelta64(7, "D")]),
        ),
    )
    def test_a_node_is_read_if_its_id_is_an_int_or_text(self, data, odd):
        """networkx and node-link nodes named by numpy ints read as int lots (refused
        before); nodes named by tuples, bytes, frozensets, floats ... are refused, each by
        its id, with a way to relabel them."""
        lots, flows = data.draw(st.builds(_int_ids_of, provenance_frames(max_lots=6)))
        digraph = kp.ProvenanceGraph.from_frames(lots, flows).to_networkx()
        old = data.draw(st.sampled_from(sorted(digraph.nodes)))
        if odd is None or not is_hashable(odd) or odd in digraph:
            return  # no networkx node can be named by it, or it names another node already
        renamed = nx.relabel_nodes(digraph, {old: odd})
        reads = (
            lambda: kp.ProvenanceGraph.from_networkx(renamed),
            lambda: kp.ProvenanceGraph.from_node_link(nx.node_link_data(renamed, edges="edges")),
        )
        expected = kp.origin_shares(kp.ProvenanceGraph.from_networkx(digraph)).of(old)
        for read in reads:
            if is_lot_id(odd):
                assert kp.origin_shares(read()).of(odd) == expected
        if not is_lot_id(odd):
            with pytest.raises(InvalidGraphError) as error:
                reads[0]()
            assert f"lot id {show(odd)}: must be an int or text, not " in str(error.value)
            assert "networkx.relabel_nodes(digraph, str)" in str(error.value)
            # Node-link data names the node by its place in 'nodes', with no networkx remedy.
            node = list(renamed).index(odd)
            with pytest.raises(InvalidGraphError) as error:
                reads[1]()
            assert f"nodes[{node}]['id']: must be an int or text, got {show(odd)}" in str(
                error.value
            )
            assert "relabel_nodes" not in str(error.value)


def _int_ids_of(frames: tuple[pd.DataFrame, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    lots, flows = frames
    back = {lot: i for i, lot in enumerate(lots["lot_id"])}
    return (
        lots.assign(lot_id=lots["lot_id"].map(back)),
        flows.assign(source=flows["source"].map(back), target=flows["target"].map(back)),
    )


def _node_link(graph: kp.ProvenanceGraph) -> dict:
    return json.loads(json.dumps(graph.to_node_link()))


def _two_places(data: st.DataObject, size: int) -> tuple[int, int]:
    """Two places of a list of `size` (at least 2): an earlier and a later one."""
    later = data.draw(st.integers(1, size - 1))
    return data.draw(st.integers(0, later - 1)), later


#: A GraphML file's elements, for editing one.
GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"


def _graphml_elements(path) -> tuple[ElementTree.ElementTree, ElementTree.Element]:
    ElementTree.register_namespace("", GRAPHML[1:-1])
    tree = ElementTree.parse(path)
    return tree, tree.getroot().find(f"{GRAPHML}graph")


def _refused_after(path, edit) -> str:
    """Edit the ``<graph>`` element of the GraphML file at `path`; return the reader's refusal."""
    tree, root = _graphml_elements(path)
    edit(root)
    tree.write(path)
    with pytest.raises(InvalidGraphError) as error:
        kp.ProvenanceGraph.read_graphml(path)
    return str(error.value)


class TestOneLotOneNode:
    """A lot is one node and a flow one edge: data holding two of either is refused.

    networkx merges two nodes of one id (the later attributes win: a BW lot became a CA
    lot) and keeps the last of two edges between the same lots (the other's carats were
    lost); the old readers returned that other graph with no error.
    """

    @given(graph=provenance_graphs(min_lots=2, max_lots=10), data=st.data())
    def test_node_link_nodes_of_one_id_are_refused_naming_both(self, graph, data):
        nodes = _node_link(graph)
        first, later = _two_places(data, len(nodes["nodes"]))
        lot = nodes["nodes"][first]["id"]
        nodes["nodes"][later]["id"] = lot
        with pytest.raises(InvalidGraphError) as error:
            kp.ProvenanceGraph.from_node_link(nodes)
        assert f"nodes[{later}]: id {show(lot)} is also nodes[{first}]'s" in str(error.value)

    @given(graph=provenance_graphs(min_lots=2, max_lots=10), data=st.data())
    def test_node_link_edges_between_the_same_lots_are_refused(self, graph, data):
        nodes = _node_link(graph)
        edges = nodes["edges"]
        assume(edges)
        copied = data.draw(st.integers(0, len(edges) - 1))
        carats = data.draw(st.floats(0.001, 100))
        edges.append(dict(edges[copied], carats=carats))
        with pytest.raises(InvalidGraphError) as error:
            kp.ProvenanceGraph.from_node_link(nodes)
        pair = f"{show(edges[copied]['source'])} -> {show(edges[copied]['target'])}"
        assert f"edges[{len(edges) - 1}]: {pair} is also edges[{copied}]'s" in str(error.value)

    @given(graph=provenance_graphs(min_lots=2, max_lots=8), data=st.data())
    def test_graphml_nodes_of_one_id_are_refused_naming_both(self, graph, data, tmp_path_factory):
        path = tmp_path_factory.mktemp("graphml") / "twice.graphml"
        graph.write_graphml(path)
        nodes = _graphml_elements(path)[1].findall(f"{GRAPHML}node")
        first, later = _two_places(data, len(nodes))
        lot = nodes[first].get("id")
        message = _refused_after(
            path, lambda root: root.findall(f"{GRAPHML}node")[later].set("id", lot)
        )
        assert f"nodes[{later}]: id {lot!r} is also nodes[{first}]'s" in message
        assert "twice.graphml" in message

    @given(graph=provenance_graphs(min_lots=2, max_lots=8), data=st.data())
    def test_graphml_edges_between_the_same_lots_are_refused(self, graph, data, tmp_path_factory):
        path = tmp_path_factory.mktemp("graphml") / "twice.graphml"
        graph.write_graphml(path)
        edges = _graphml_elements(path)[1].findall(f"{GRAPHML}edge")
        assume(edges)
        copied = data.draw(st.integers(0, len(edges) - 1))
        message = _refused_after(path, lambda root: root.append(copy.deepcopy(edges[copied])))
        source, target = edges[copied].get("source"), edges[copied].get("target")
        assert (
            f"edges[{len(edges)}]: {source!r} -> {target!r} is also edges[{copied}]'s" in message
        )

    @given(graph=provenance_graphs(min_lots=2, max_lots=8), data=st.data())
    def test_graphml_lots_in_a_nested_graph_are_refused(self, graph, data, tmp_path_factory):
        """networkx reads no lot of a <graph> nested in a <node> (it read 2 lots as 1, with
        no error): refused, naming the node that holds it."""
        path = tmp_path_factory.mktemp("graphml") / "nested.graphml"
        graph.write_graphml(path)
        holder, moved = _two_places(data, len(graph))

        def nest(root):
            nodes = root.findall(f"{GRAPHML}node")
            root.remove(nodes[moved])
            inner = ElementTree.SubElement(nodes[holder], f"{GRAPHML}graph")
            inner.set("edgedefault", "directed")
            inner.append(nodes[moved])

        message = _refused_after(path, nest)
        assert f"nodes[{holder}]: holds a nested <graph>" in message
        assert "nested.graphml" in message

    def test_a_networkx_multigraph_is_refused_naming_its_parallel_edges(self):
        """A MultiDiGraph may hold two flows between the same lots: refused, saying how to
        make it a DiGraph without losing carats."""
        graph = kp.ProvenanceGraph()
        mine = graph.produce(country="BW", carats=2, on="2005-01-01")
        graph.split(mine, [1.0])
        multi = nx.MultiDiGraph(graph.to_networkx())
        multi.add_edge(0, 1, carats=0.5)
        with pytest.raises(InvalidGraphError, match=r"parallel edges .* sum of theirs"):
            kp.ProvenanceGraph.from_networkx(multi)


def _small_node_link() -> dict:
    graph = kp.ProvenanceGraph()
    mine = graph.produce(country="BW", carats=2, on="2005-01-01")
    graph.produce(country="CA", carats=3, on="2005-01-01")
    graph.split(mine, [1.0])
    return _node_link(graph)


def _edit(change):
    def edited() -> dict:
        data = _small_node_link()
        change(data)
        return data

    return edited


class TestNodeLinkMessages:
    """Data networkx reads as another graph is refused by its field path, saying what to do
    (the old messages spoke of carats, kinds, cycles or networkx.relabel_nodes)."""

    @pytest.mark.parametrize(
        ("data", "expected"),
        [
            (
                _edit(lambda d: d["edges"].append({"source": 0, "target": 99, "carats": 1.0})),
                "edges[1]['target']: 99 is the id of no node in 'nodes'; add that lot",
            ),
            (
                _edit(lambda d: d["edges"].append({"source": 1.0, "target": 2, "carats": 1.0})),
                "edges[1]['source']: 1.0 is the id of no node",
            ),
            (
                _edit(lambda d: d["nodes"][1].update(id=[1])),
                "nodes[1]['id']: must be an int or text, got [1]",
            ),
            (_edit(lambda d: d.update(directed=False)), "'directed': must be true, got False"),
            (_edit(lambda d: d["nodes"][2].pop("id")), "nodes[2]: has no 'id'"),
            (_edit(lambda d: d["edges"][0].pop("source")), "edges[0]: has no 'source'"),
            (_edit(lambda d: d["nodes"].append(5)), "nodes[3]: must be an object"),
            (
                _edit(lambda d: d.update(links=d.pop("edges"))),
                "data has 'links' (as networkx before 3.4 named them): rename",
            ),
        ],
    )
    def test_each_problem_is_named_by_its_field(self, data, expected):
        with pytest.raises(InvalidGraphError) as error:
            kp.ProvenanceGraph.from_node_link(data())
        message = str(error.value)
        assert message.startswith("node-link data is not a provenance graph as to_node_link()")
        assert expected in message
        assert "relabel_nodes" not in message
        assert "cycle" not in message

    @pytest.mark.parametrize(
        ("edit", "expected"),
        [
            (
                lambda root: root.append(
                    ElementTree.Element(f"{GRAPHML}edge", source="0", target="99")
                ),
                "edges[1] target='99': no <node> has this id",
            ),
            (
                lambda root: root.set("edgedefault", "undirected"),
                "<graph edgedefault='undirected'>",
            ),
            (lambda root: root.find(f"{GRAPHML}node").attrib.pop("id"), "nodes[0]: has no id"),
            (
                lambda root: ElementTree.SubElement(
                    root.find(f"{GRAPHML}edge"), f"{GRAPHML}graph", edgedefault="directed"
                ),
                "edges[0]: holds a nested <graph>",
            ),
            (
                lambda root: root.append(ElementTree.Element(f"{GRAPHML}graph")),
                "<graph>'s <graph>: holds a nested <graph>",
            ),
        ],
    )
    def test_graphml_problems_are_named_by_their_element(self, edit, expected, tmp_path):
        path = tmp_path / "edited.graphml"
        kp.ProvenanceGraph.from_node_link(_small_node_link()).write_graphml(path)
        assert expected in _refused_after(path, edit)

    def test_a_graphml_graph_outside_the_top_level_is_refused(self, tmp_path):
        path = tmp_path / "stray.graphml"
        kp.ProvenanceGraph.from_node_link(_small_node_link()).write_graphml(path)
        tree, _ = _graphml_elements(path)
        desc = ElementTree.SubElement(tree.getroot(), f"{GRAPHML}desc")
        ElementTree.SubElement(desc, f"{GRAPHML}graph", edgedefault="directed")
        tree.write(path)
        with pytest.raises(InvalidGraphError, match=r"<desc>: holds a <graph>, which would not"):
            kp.ProvenanceGraph.read_graphml(path)
