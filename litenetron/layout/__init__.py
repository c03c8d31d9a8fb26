"""Layered (Sugiyama) graph layout for node-link drawings of neural networks.

Phases, one module each: `acyclic` (DFS cycle removal), `rank` (layering), `dummies` (one dummy chain per
tensor), `order` (crossing reduction), `position` (Brandes–Köpf x, layer y), `route` (polylines) and
`labels` (room and spots for edge labels). From the dummies on, the phases share one `LayeredGraph`
(`layered`): each reads it and fills in its part (layer order, coordinates). Everything is indexed by
integers in flat lists; the caller's data is never changed. `python -m litenetron.layout GRAPH.json
POSITIONS.json` is the benchmark engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from ..gc_pause import collector_paused
from .acyclic import back_edges
from .dummies import build_layered
from .labels import LABEL_OFFSET, clear_labels, place_labels, reserve_label_room
from .order import order_layers, tuck_feeders
from .position import horizontal_positions, vertical_positions
from .rank import rank_nodes
from .route import chain_corners, route, self_loop

Point = Tuple[float, float]

__all__ = ["Layout", "layout"]

# extra dummies allowed for splitting many-consumer tensor chains in two, per real node
SPLIT_BUDGET = 1.5


@dataclass
class Layout:
    """Result of `layout`: box centres per node, a border-to-border polyline and a label centre (or None)
    per edge, and the size of the bounding box of everything; coordinates start at (0, 0), y grows down."""

    centers: List[Tuple[float, float]]
    routes: List[List[Tuple[float, float]]]
    label_positions: List[Optional[Tuple[float, float]]]
    width: float
    height: float


def layout(sizes: Sequence[Tuple[float, float]], edges: Sequence[Tuple[int, int]], *,
           label_sizes: Optional[Sequence[Optional[Tuple[float, float]]]] = None,
           edge_groups: Optional[Sequence[int]] = None, horizontal: bool = False,
           node_separation: float = 20.0, rank_separation: float = 30.0,
           minlens: Optional[Sequence[int]] = None) -> Layout:
    """Place boxes of the given sizes in layers and route every edge from border to border.

    `edge_groups`: edges sharing a group id carry one tensor and share a dummy chain (default: per source).
    `minlens`: minimum layer distance per edge (default 1). `horizontal` lays out left to right.
    Deterministic: the same input always gives the same output.
    """
    # The phases build hundreds of thousands of small lists and tuples but never a reference cycle.
    with collector_paused():
        return _layout(sizes, edges, label_sizes, edge_groups, horizontal, node_separation, rank_separation,
                       minlens)


def _layout(sizes, edges, label_sizes, edge_groups, horizontal: bool, node_separation: float,
            rank_separation: float, minlens) -> Layout:
    count = len(sizes)
    if not count:
        if edges:
            raise ValueError("edges given for an empty graph")
        return Layout([], [], [], 0.0, 0.0)
    for v, w in edges:
        if not (0 <= v < count and 0 <= w < count):
            raise ValueError(f"edge ({v}, {w}) refers to a node outside 0..{count - 1}")
    labels = list(label_sizes) if label_sizes is not None else [None] * len(edges)
    if horizontal:
        sizes = [(h, w) for w, h in sizes]
        labels = [(s[1], s[0]) if s else None for s in labels]
    half_w = [w / 2 for w, _ in sizes]
    half_h = [h / 2 for _, h in sizes]
    groups = list(edge_groups) if edge_groups is not None else [v for v, _ in edges]

    # phase 1: acyclic graph of the non-loop edges
    normal = [i for i, (v, w) in enumerate(edges) if v != w]
    flipped = back_edges(count, [edges[i] for i in normal])
    dag: List[Tuple[int, int]] = []
    keys: List[Tuple[int, int, int]] = []
    for j, i in enumerate(normal):
        v, w = edges[i]
        if flipped[j]:
            dag.append((w, v))
            keys.append((1, i, w))    # a reversed edge gets its own chain
        else:
            dag.append((v, w))
            keys.append((0, groups[i], v))
    spans = [max(1, int(minlens[i])) if minlens is not None else 1 for i in normal]

    # phase 2: layers
    key_ids: Dict[Tuple[int, int, int], int] = {}
    group_ids = [key_ids.setdefault(key, len(key_ids)) for key in keys]
    ranks = rank_nodes(count, [(a, b, s) for (a, b), s in zip(dag, spans)], group_ids)

    # phase 3: dummy chains, phase 4: order
    graph = build_layered(count, ranks, dag, group_ids, int(SPLIT_BUDGET * count), origin=normal,
                          flipped=flipped)
    order_layers(graph)
    tuck_feeders(graph)

    # room on the right of a box for the labels of its outgoing edges and for its self-loops
    dummies = graph.size - count
    graph.half_w = half_w + [0.0] * dummies
    graph.half_h = half_h + [0.0] * dummies
    loop_reach = node_separation * 0.75
    right = half_w + [0.0] * dummies
    left = half_w + [0.0] * dummies
    for i in normal:
        if labels[i]:
            source = edges[i][0]
            right[source] = max(right[source], LABEL_OFFSET + labels[i][0])
    for i, (v, w) in enumerate(edges):
        if v == w:
            extra = loop_reach + (LABEL_OFFSET + labels[i][0] if labels[i] else 0.0)
            right[v] = max(right[v], half_w[v] + extra)

    # phase 5: coordinates
    horizontal_positions(graph, left, right, node_separation, node_separation / 2)
    gaps = [float(rank_separation)] * max(0, len(graph.layers) - 1)
    rows = reserve_label_room(graph, labels, gaps)
    vertical_positions(graph, gaps)
    xs, ys = graph.x, graph.y

    # phase 6: routes and labels
    routes: List[List[Point]] = [[] for _ in edges]
    corners = [chain_corners(chain, xs) for chain in graph.chains]
    for j, i in enumerate(normal):
        points = route(graph, j, corners[graph.edge_chain[j]])
        if flipped[j]:
            points.reverse()
        routes[i] = points
    label_positions = place_labels(graph, labels, rows, routes)
    clear_labels(graph, labels, routes, label_positions)
    for i, (v, w) in enumerate(edges):
        if v == w:
            routes[i] = self_loop(xs[v], ys[v], half_w[v], half_h[v], loop_reach)
            if labels[i]:
                label_positions[i] = (xs[v] + half_w[v] + loop_reach + LABEL_OFFSET + labels[i][0] / 2, ys[v])

    return _finish(xs[:count], ys[:count], half_w, half_h, routes, label_positions, labels, horizontal)


def _finish(xs, ys, half_w, half_h, routes, label_positions, labels, horizontal: bool) -> Layout:
    """Shift everything so the bounding box starts at (0, 0); swap axes for left-to-right layouts."""
    low_x = low_y = float("inf")
    high_x = high_y = float("-inf")
    for x, y, hw, hh in zip(xs, ys, half_w, half_h):
        low_x, high_x = min(low_x, x - hw), max(high_x, x + hw)
        low_y, high_y = min(low_y, y - hh), max(high_y, y + hh)
    for points in routes:
        for x, y in points:
            low_x, high_x = min(low_x, x), max(high_x, x)
            low_y, high_y = min(low_y, y), max(high_y, y)
    for spot, size in zip(label_positions, labels):
        if spot is not None:
            hw, hh = size[0] / 2, size[1] / 2
            low_x, high_x = min(low_x, spot[0] - hw), max(high_x, spot[0] + hw)
            low_y, high_y = min(low_y, spot[1] - hh), max(high_y, spot[1] + hh)

    def move(x: float, y: float) -> Point:
        return (y - low_y, x - low_x) if horizontal else (x - low_x, y - low_y)

    centers = [move(x, y) for x, y in zip(xs, ys)]
    moved_routes = [[move(x, y) for x, y in points] for points in routes]
    moved_labels = [move(*spot) if spot is not None else None for spot in label_positions]
    width, height = high_x - low_x, high_y - low_y
    if horizontal:
        width, height = height, width
    return Layout(centers, moved_routes, moved_labels, width, height)
