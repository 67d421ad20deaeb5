"""GraphML keeps lot ids as they were: ints, strings, or both, never two lots as one.

GraphML node ids are text, so an int lot id and a string lot id with the same text (``1``
and ``"1"``) would be one node. The writer refuses them before writing anything, and
records which ids are ints when both kinds are present, so they read back as they were.
"""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel._boundary import is_hashable, is_lot_id, show
from kpmodel.errors import InvalidGraphError
from kpmodel.testing.strategies import hostile_values, provenance_frames


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
            else:
                with pytest.raises(InvalidGraphError) as error:
                    read()
                assert f"lot id {show(odd)}: must be an int or text, not " in str(error.value)
                assert "networkx.relabel_nodes(digraph, str)" in str(error.value)


def _int_ids_of(frames: tuple[pd.DataFrame, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    lots, flows = frames
    back = {lot: i for i, lot in enumerate(lots["lot_id"])}
    return (
        lots.assign(lot_id=lots["lot_id"].map(back)),
        flows.assign(source=flows["source"].map(back), target=flows["target"].map(back)),
    )
