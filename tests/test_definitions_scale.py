"""Comparisons over the lots of a provenance graph: compact verdicts, totals without the table."""

import attrs
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel import definitions as d
from kpmodel.definitions._graph_lots import LotAmounts, LotVerdicts
from kpmodel.testing.strategies import provenance_graphs

BOOK = d.CaseBook.default()
NAMES = st.lists(st.sampled_from(list(d.BUILTIN_NAMES)), min_size=1, max_size=3, unique=True)


@settings(max_examples=25)
@given(provenance_graphs(max_lots=20), NAMES, st.sampled_from(["country", "zone"]))
def test_compact_comparison_reads_like_the_plain_one(graph, names, by):
    """Verdicts, table, flips, matrix and summary match those of plain dicts and tables."""
    compact = kp.compare(names, d.Lots.from_graph(graph, BOOK, by=by))
    assert isinstance(compact.verdicts, LotVerdicts)
    assert isinstance(compact._amounts, LotAmounts)
    plain = attrs.evolve(compact, verdicts=dict(compact.verdicts.items()), amounts=compact.amounts)
    assert len(compact.verdicts) == len(plain.verdicts)
    assert list(compact.verdicts) == list(plain.verdicts)
    pd.testing.assert_frame_equal(compact.table, plain.table)
    pd.testing.assert_frame_equal(compact.flips, plain.flips)
    pd.testing.assert_frame_equal(compact.matrix, plain.matrix)
    pd.testing.assert_frame_equal(compact.summary, plain.summary, check_dtype=False)
    for item in compact.items[:3]:
        assert compact.explain(item) == plain.explain(item)


def test_unknown_keys_are_key_errors():
    """A lot or definition the comparison does not hold is a KeyError, as in a dict."""
    g = kp.ProvenanceGraph()
    g.produce(country="CF", carats=10, on="2014-01-01", zone="Nola")
    c = kp.compare("EU_2023", d.Lots.from_graph(g, BOOK))
    assert ("0", "EU_2023") in c.verdicts
    assert ("nope", "EU_2023") not in c.verdicts
    assert ("0", "nope") not in c.verdicts
    assert "nope" not in c.verdicts
