"""Figures of provenance: flows from origin through hubs to destinations, a case graph, shares."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from kpmodel._plotting import new_axes, plain
from kpmodel.provenance._graph import KINDS, ProvenanceGraph
from kpmodel.provenance._paperwork import MIXED, _Paperwork, shipments
from kpmodel.provenance._shares import OriginShares, dense_row, origin_shares

__all__ = ["plot_case", "plot_flows", "plot_shares"]

_KIND_COLOURS = {
    "produce": "#4c9a2a",
    "split": "#9db4c0",
    "mix": "#5c6b73",
    "ship": "#2a6f97",
    "smuggle": "#c0392b",
    "seize": "#000000",
    "lot": "#bbbbbb",
}


def _colours(labels: Sequence[str]) -> dict[str, Any]:
    from matplotlib import colormaps

    # tab10's colours are the most distinct; tab20 only when there are many labels.
    cmap = colormaps["tab10" if len(labels) <= 10 else "tab20"]
    return {label: cmap(i % cmap.N) for i, label in enumerate(sorted(labels))}


def _stack(totals: dict[str, float], gap: float) -> dict[str, list[float]]:
    """Place nodes of one column top-down: label -> [top, next free y]."""
    y = 0.0
    placed = {}
    for label, total in sorted(totals.items(), key=lambda kv: -kv[1]):
        placed[label] = [y, y]
        y -= total + gap
    return placed


def _ribbon(ax: Any, x0: float, y0: float, x1: float, y1: float, h: float, **style: Any) -> None:
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    mid = (x0 + x1) / 2
    vertices = [
        (x0, y0), (mid, y0), (mid, y1), (x1, y1),
        (x1, y1 - h), (mid, y1 - h), (mid, y0 - h), (x0, y0 - h), (x0, y0),
    ]  # fmt: skip
    codes = [Path.MOVETO, *[Path.CURVE4] * 3, Path.LINETO, *[Path.CURVE4] * 3, Path.CLOSEPOLY]
    ax.add_patch(PathPatch(Path(vertices, codes), lw=0, **style))


def final_shipments(graph: ProvenanceGraph) -> np.ndarray[Any, Any]:
    """Return the positions of ship lots whose carats are never shipped again."""
    ship = np.zeros(len(graph), bool)
    ship[shipments(graph)] = True
    below = np.zeros(len(graph), bool)  # some later shipment carries this lot's carats
    source, target = graph._flow_column("source"), graph._flow_column("target")
    level = graph._column("level")
    for depth in range(int(level.max(initial=0)), 0, -1):
        flows = np.flatnonzero(level[target] == depth)
        np.logical_or.at(below, source[flows], ship[target[flows]] | below[target[flows]])
    return np.flatnonzero(ship & ~below)


def plot_flows(
    graph: ProvenanceGraph, *, ax: Any = None, final_only: bool = True, title: str | None = None
) -> Any:
    """Draw certified shipments as a Sankey-style diagram: true origin -> exporter -> importer.

    Left, the true origins of the shipped carats; middle, the exporting countries (hubs
    and neighbours); right, the importers. Exporter -> importer ribbons are coloured by
    what the certificate declares (grey for ``MIXED``), so a ribbon whose colour differs
    from the origins feeding it shows the gap between the paperwork and the truth. With
    `final_only` (the default), only shipments whose carats are not shipped again are
    drawn, so no carat is counted twice; otherwise every certified shipment is.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> bw = g.ship(g.produce(country="BW", carats=30, on="2023-01-01"), to="AE", on="2023-02-01")
    >>> ru = g.ship(g.produce(country="RU", carats=10, on="2023-01-01"), to="AE", on="2023-02-01")
    >>> _ = g.ship(g.mix([bw, ru]), to="IN", on="2023-03-01")
    >>> ax = kp.provenance.plot_flows(g)
    >>> ax.get_title()
    'Certified shipments: true origin -> exporter -> importer'
    """
    ax = new_axes(ax, (9, 5))
    paperwork = _Paperwork(graph)
    shares = origin_shares(graph)
    source = graph._flow_column("source")
    left: dict[tuple[str, str], float] = defaultdict(float)
    right: dict[tuple[str, str, str], float] = defaultdict(float)
    drawn = final_shipments(graph) if final_only else shipments(graph)
    for position in drawn.tolist():
        parent = int(source[paperwork.indptr[position]])
        exporter = graph._string(int(graph._column("country")[parent])) or "?"
        importer = graph._string(int(graph._column("country")[position])) or "?"
        carats = float(graph._column("carats")[position])
        row = dense_row(shares.values, position)
        for j in np.flatnonzero(row).tolist():
            left[(str(shares.origins[j]), exporter)] += carats * float(row[j])
        right[(exporter, importer, str(paperwork.declared(position)))] += carats
    total = sum(left.values()) or 1.0
    gap = 0.02 * total
    columns: list[defaultdict[str, float]] = [defaultdict(float) for _ in range(3)]
    for (origin, exporter), c in left.items():
        columns[0][origin] += c
        columns[1][exporter] += c
    for (_, importer, _), c in right.items():
        columns[2][importer] += c
    places = [_stack(column, gap) for column in columns]
    colours = _colours(list({*columns[0], *columns[1], *columns[2]}))
    width = 0.06
    for (origin, exporter), c in sorted(left.items(), key=lambda kv: -kv[1]):
        y0, y1 = places[0][origin][1], places[1][exporter][1]
        _ribbon(ax, width, y0, 1 - width / 2, y1, c, color=colours[origin], alpha=0.6)
        places[0][origin][1] -= c
        places[1][exporter][1] -= c
    middle_out = {label: [top, top] for label, (top, _) in places[1].items()}
    for (exporter, importer, declared), c in sorted(right.items(), key=lambda kv: -kv[1]):
        y0, y1 = middle_out[exporter][1], places[2][importer][1]
        colour = colours.get(declared, "#999999") if declared != MIXED else "#999999"
        _ribbon(ax, 1 + width / 2, y0, 2 - width, y1, c, color=colour, alpha=0.6)
        label = "MIXED" if declared == MIXED else plain(f"declared {declared}")
        ax.text(1.5, (y0 + y1) / 2 - c / 2, label, ha="center", va="center", fontsize=7)
        middle_out[exporter][1] -= c
        places[2][importer][1] -= c
    for x, column, place in zip((0, 1, 2), columns, places, strict=True):
        for label, c in column.items():
            top = place[label][0]
            ax.add_patch(_bar(x, top, c, width, colours[label]))
            shown = plain(f"{label}\n{c:,.0f} ct")
            ax.text(x, top - c / 2, shown, ha="center", va="center", fontsize=8)
    lowest = min(p[1] for place in places for p in place.values())
    ax.set_xlim(-0.3, 2.3)
    ax.set_ylim(lowest - gap, gap)
    ax.set_xticks([0, 1, 2], ["true origin", "exporter", "importer"])
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title(plain(title or "Certified shipments: true origin -> exporter -> importer"))
    return ax


def _bar(x: float, top: float, height: float, width: float, colour: Any) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle(
        (x - width / 2, top - height), width, height, color=colour, ec="black", lw=0.5
    )


def plot_case(graph: ProvenanceGraph, *, ax: Any = None, title: str | None = None) -> Any:
    """Draw a small provenance graph: lots by topological level, coloured by kind.

    Each lot shows its id, kind, place and carats; shipped lots also show what their
    certificate declares. Edges are labelled with the carats of each flow.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> mine = g.produce(country="CF", carats=10, on="2014-01-01")
    >>> _ = g.smuggle(mine, to="CM", on="2014-02-01")
    >>> ax = kp.provenance.plot_case(g)
    >>> len(ax.patches) >= 1
    True
    """
    import networkx as nx

    ax = new_axes(ax, (10, 5))
    digraph = graph.to_networkx()
    declared = {}
    paperwork = _Paperwork(graph)
    for position in shipments(graph).tolist():
        declared[graph._lot_id(position)] = paperwork.declared(position)
    level = graph._column("level")
    rows: dict[int, int] = defaultdict(int)
    position_of = {}
    for i, lot in enumerate(graph.lots):
        position_of[lot] = (float(level[i]), -float(rows[int(level[i])]))
        rows[int(level[i])] += 1
    labels = {}
    for lot, data in digraph.nodes(data=True):
        text = f"{lot}: {data['kind']}\n{data.get('country', '?')} {data['carats']:,.0f} ct"
        if lot in declared:
            text += f"\ncert: {declared[lot]}"
        labels[lot] = plain(text)
    colours = [_KIND_COLOURS.get(data["kind"], "#bbbbbb") for _, data in digraph.nodes(data=True)]
    nx.draw_networkx_nodes(digraph, position_of, ax=ax, node_color=colours, node_size=300)
    nx.draw_networkx_edges(digraph, position_of, ax=ax, arrows=True, arrowstyle="-|>")
    nx.draw_networkx_labels(
        digraph,
        {k: (x, y - 0.28) for k, (x, y) in position_of.items()},
        labels,
        ax=ax,
        font_size=7,
        verticalalignment="top",
    )
    edge_labels = {(s, t): f"{d['carats']:,.0f}" for s, t, d in digraph.edges(data=True)}
    nx.draw_networkx_edge_labels(digraph, position_of, edge_labels, ax=ax, font_size=6)
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], marker="o", ls="", color=_KIND_COLOURS[kind.value], label=kind.value)
        for kind in KINDS
        if kind.value in {d["kind"] for _, d in digraph.nodes(data=True)}
    ]
    ax.legend(handles=handles, loc="upper right", fontsize=7)
    ax.margins(0.15)
    ax.set_axis_off()
    ax.set_title(plain(title or "Provenance graph"))
    return ax


def plot_shares(
    shares: OriginShares,
    lots: Iterable[Any] | None = None,
    *,
    ax: Any = None,
    top: int = 8,
    title: str | None = None,
) -> Any:
    """Draw stacked horizontal bars of the origin shares of `lots` (default: all).

    Origins beyond the `top` largest (over the lots shown) are grouped as ``"other"``.
    `lots` are found among ``shares.lots`` as ``origin_shares(graph, lots=lots)`` finds
    them (`kpmodel._lot_ids.lot_positions`): an id names a lot only if it is of the lot
    id's kind (``1.0`` and ``True`` equal ``1`` but are not lot 1).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    kpmodel.errors.InvalidArgumentError
        If `lots` is not an iterable of single ids, or some name none of ``shares.lots``,
        with the message `origin_shares` gives for ``lots=lots``.

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> a = g.produce(country="BW", carats=30, on="2023-01-01")
    >>> ax = kp.provenance.plot_shares(kp.origin_shares(g))
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['BW']
    >>> kp.provenance.plot_shares(kp.origin_shares(g), [0.0])
    Traceback (most recent call last):
    ...
    kpmodel.errors.InvalidArgumentError: lots: 1 of the 1 ids asked for is not among these...
    """
    frame = shares.to_frame()
    if lots is not None:
        frame = frame.iloc[shares._rows(lots, field="lots")]
    frame = frame.loc[:, (frame != 0).any(axis=0)]
    order = frame.sum(axis=0).sort_values(ascending=False).index
    kept = list(order[:top])
    if len(order) > top:
        frame = frame[kept].assign(other=frame[list(order[top:])].sum(axis=1))
        kept.append("other")
    ax = new_axes(ax, (8, 0.4 * len(frame) + 1.5))
    colours = _colours(kept)
    left = np.zeros(len(frame))
    names = [plain(lot) for lot in frame.index]
    for origin in kept:
        values = frame[origin].to_numpy(dtype=float)
        ax.barh(names, values, left=left, color=colours[origin], label=plain(origin))
        left += values
    ax.invert_yaxis()
    ax.set_xlabel("share of the lot's carats" if shares.mixing == "proportional" else "value")
    ax.set_ylabel("lot")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(plain(title or f"Origin shares (by {shares.by}, {shares.mixing})"))
    return ax
