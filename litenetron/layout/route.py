"""Edge routes: polylines from border to border through the dummy positions, and self-loops."""

from __future__ import annotations

from bisect import bisect_left
from typing import List, Sequence, Tuple

from .layered import LayeredGraph

Point = Tuple[float, float]


def border_point(cx: float, cy: float, half_w: float, half_h: float, toward: Point) -> Point:
    """Where the segment from the box centre to `toward` leaves the box."""
    dx, dy = toward[0] - cx, toward[1] - cy
    if dx == 0 and dy == 0:
        return (cx, cy + half_h)
    if abs(dy) * half_w > abs(dx) * half_h:
        scale = half_h / abs(dy)
    else:
        scale = half_w / abs(dx)
    return (cx + dx * scale, cy + dy * scale)


def chain_corners(chain: Sequence[int], xs: Sequence[float]) -> List[int]:
    """Indices (1..len-1) of the chain dummies a route keeps: where a vertical run starts or ends, and
    their neighbours on the run. The dummies further inside a run lie on a straight vertical segment and
    are left out; keeping the neighbours holds a smoothed (B-spline) curve close to the bend."""
    last = len(chain) - 1
    keep = set()
    for j in range(1, last + 1):
        x = xs[chain[j]]
        if j == 1 or j == last or x != xs[chain[j - 1]] or x != xs[chain[j + 1]]:
            keep.update((j - 1, j, j + 1))
    return sorted(j for j in keep if 1 <= j <= last)


def route(graph: LayeredGraph, edge: int, corners: Sequence[int]) -> List[Point]:
    """Polyline of a layered edge, which leaves its chain's source and runs through `edge_depth` chain
    dummies to its lower end: source border, the bends of the chain (`corners`, from `chain_corners`),
    target border (upper end first).

    A dummy stands for the whole height of its layer (half of it above and below its centre): the route
    crosses that layer vertically and bends only in the gaps between layers, so it never cuts through the
    corner of a box beside it."""
    chain = graph.chains[graph.edge_chain[edge]]
    depth = graph.edge_depth[edge]
    target = graph.edges[edge][1]
    xs, ys, half_w, half_h = graph.x, graph.y, graph.half_w, graph.half_h
    rank, heights = graph.rank, graph.layer_height
    source = chain[0]
    if depth:
        kept = [*corners[:bisect_left(corners, depth)], depth]
        inner = []
        for j in kept:
            d = chain[j]
            x, y, span = xs[d], ys[d], heights[rank[d]] / 2
            if span > 0:
                inner += [(x, y - span), (x, y + span)]
            else:
                inner.append((x, y))
        first, last = inner[0], inner[-1]
    else:
        inner = []
        first, last = (xs[target], ys[target]), (xs[source], ys[source])
    # A box lower than its layer leaves and enters it vertically, so the route clears its neighbours.
    span = heights[rank[source]] / 2
    if span > half_h[source] + 0.5:
        first = (xs[source], ys[source] + span)
        inner.insert(0, first)
    span = heights[rank[target]] / 2
    if span > half_h[target] + 0.5:
        last = (xs[target], ys[target] - span)
        inner.append(last)
    start = border_point(xs[source], ys[source], half_w[source], half_h[source], first)
    end = border_point(xs[target], ys[target], half_w[target], half_h[target], last)
    return [start, *inner, end]


def self_loop(cx: float, cy: float, half_w: float, half_h: float, reach: float) -> List[Point]:
    """A small loop out of the right side of a box and back into it."""
    q = min(half_h / 2, 10.0)
    x0, x1 = cx + half_w, cx + half_w + reach
    return [(x0, cy - q), (x1, cy - q), (x1, cy + q), (x0, cy + q)]
