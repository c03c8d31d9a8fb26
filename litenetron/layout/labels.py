"""Edge labels: room in the layer gaps and a spot for each label, clear of every box.

A label sits in the gap next to its source, on the side its edge leaves: the edge leaves the source through
a short vertical trunk and the label stands right of the trunk. All consumers of one tensor share the trunk
and the label spot; a source with several labelled tensors stacks their labels in rows beside the trunk.
Downward edges use the top of the gap below the source, reversed edges (cycles) the bottom of the gap above
it. The boxes' right extents reserve the label width, so labels of neighbouring sources do not meet.
Other tensors' routes may still pass through that spot; `clear_labels` then moves the label along its own
route to a spot no route, box or label touches (`clearance` answers the geometry).
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Dict, List, Optional, Sequence, Tuple

from .clearance import Obstacles, label_rect
from .layered import LayeredGraph

Point = Tuple[float, float]

# how far a label sits right of its route, the room kept around it, and the extra gap height beside the
# labels where the routes fan out
LABEL_OFFSET = 6.0
LABEL_PAD = 4.0
LABEL_SPREAD = 10.0
# a candidate spot over a box or another label costs this many crossings (the scene would drop the label)
OVERLAP_COST = 100


class LabelRows:
    """Per (source, side): its labelled chains, one label row each, and the height of a row.
    Side +1 is the gap below the source (downward edges), -1 the gap above it (reversed edges)."""

    def __init__(self) -> None:
        self.chains: Dict[Tuple[int, int], List[int]] = {}
        self.height: Dict[Tuple[int, int], float] = {}

    def extent(self, key: Tuple[int, int]) -> float:
        """Height of the rows of one source and side."""
        return len(self.chains[key]) * self.height[key]


def reserve_label_room(graph: LayeredGraph, labels: Sequence[Optional[Tuple[float, float]]],
                       gaps: List[float]) -> LabelRows:
    """Grow the layer gaps (in place) so every label fits beside its source; returns the label rows.
    `labels`: (width, height) or None per input edge."""
    rows = LabelRows()
    rank, edge_chain = graph.rank, graph.edge_chain
    for j, i in enumerate(graph.origin):
        if not labels[i]:
            continue
        key = (graph.source(j), -1 if graph.flipped[j] else 1)
        chains = rows.chains.setdefault(key, [])
        if edge_chain[j] not in chains:
            chains.append(edge_chain[j])
        rows.height[key] = max(rows.height.get(key, 0.0), labels[i][1] + LABEL_PAD)
    # a gap holds rows at its top (sources above it) and at its bottom (reversed edges of sources below)
    top: Dict[int, float] = {}
    bottom: Dict[int, float] = {}
    for source, side in rows.chains:
        gap = rank[source] if side > 0 else rank[source] - 1
        need = top if side > 0 else bottom
        need[gap] = max(need.get(gap, 0.0), LABEL_PAD + rows.extent((source, side)))
    for gap in set(top) | set(bottom):
        gaps[gap] = max(gaps[gap], top.get(gap, 0.0) + bottom.get(gap, 0.0) + LABEL_SPREAD)
    return rows


def place_labels(graph: LayeredGraph, labels: Sequence[Optional[Tuple[float, float]]], rows: LabelRows,
                 routes: List[List[Point]]) -> List[Optional[Point]]:
    """Label centre per input edge (None without label); adds the trunks to the routes (per input edge) of
    labelled tensors."""
    rank, edge_chain, normal, flipped = graph.rank, graph.edge_chain, graph.origin, graph.flipped
    xs, ys, half_h, centres_y, rank_heights = graph.x, graph.y, graph.half_h, graph.layer_y, graph.layer_height
    spots: List[Optional[Point]] = [None] * len(labels)
    # rows in the order the tensors head off after the trunk, left first, the first next to the source
    heading: Dict[int, float] = {}
    for j, i in enumerate(normal):
        if labels[i]:
            chain = edge_chain[j]
            heading[chain] = min(heading.get(chain, routes[i][1][0]), routes[i][1][0])
    row_of: Dict[int, int] = {}
    for chains in rows.chains.values():
        chains.sort(key=heading.__getitem__)
        for row, chain in enumerate(chains):
            row_of[chain] = row
    for j, i in enumerate(normal):
        chain = edge_chain[j]
        if chain not in row_of:
            continue
        # every edge of a labelled tensor leaves through the trunk, labelled or not, so they stay together
        source = graph.source(j)
        side = -1 if flipped[j] else 1
        key = (source, side)
        r = rank[source]
        x = xs[source]
        if side > 0:
            start = centres_y[r] + rank_heights[r] / 2 + LABEL_PAD
        else:
            start = centres_y[r] - rank_heights[r] / 2 - LABEL_PAD
        points = routes[i]
        if points[1][0] != x:
            points[0:1] = [(x, ys[source] + side * half_h[source]), (x, start + side * rows.extent(key))]
        if labels[i]:
            width, height = labels[i]
            # the row's edge nearest to the source, then half a label further
            near = start + side * row_of[chain] * rows.height[key]
            spots[i] = (x + LABEL_OFFSET + width / 2, near + side * height / 2)
    return spots


def _candidates(spot: Point, size: Tuple[float, float], points: Sequence[Point], at_target: bool) -> List[Point]:
    """Label centres along one route, nearest to its source first: the reserved spot beside the trunk and
    its mirror on the left, the ends of every vertical run (right, then left of the line), then (with
    `at_target`) just before the target."""
    width, height = size
    across = LABEL_OFFSET + width / 2
    trunk_x = spot[0] - across
    found = [spot, (trunk_x - across, spot[1])]
    room = height + 2 * LABEL_PAD
    for a, b in zip(points, points[1:]):
        if a[0] == b[0] and abs(b[1] - a[1]) >= room:
            top, bottom = min(a[1], b[1]) + room / 2, max(a[1], b[1]) - room / 2
            for y in (top, bottom):
                found += [(a[0] + across, y), (a[0] - across, y)]
    if at_target and len(points) >= 2:
        (_, y0), (x1, y1) = points[-2], points[-1]
        y = y1 - room / 2 if y1 >= y0 else y1 + room / 2
        found += [(x1 + across, y), (x1 - across, y)]
    return found


def _boxes_under(graph: LayeredGraph, rect: Tuple[float, float, float, float], tallest: float) -> int:
    """How many boxes `rect` overlaps: only the layers whose band it reaches are looked at (the reserved
    spots are clear of boxes by construction, so only the few labels that move ask)."""
    x0, y0, x1, y1 = rect
    xs, ys, half_w, half_h, count = graph.x, graph.y, graph.half_w, graph.half_h, graph.count
    centres, heights = graph.layer_y, graph.layer_height
    first = bisect_left(centres, y0 - tallest / 2)
    hits = 0
    for r in range(first, len(centres)):
        if centres[r] - heights[r] / 2 >= y1:
            break
        for v in graph.layers[r]:
            if v < count and xs[v] - half_w[v] < x1 and x0 < xs[v] + half_w[v] and ys[v] - half_h[v] < y1 \
                    and y0 < ys[v] + half_h[v]:
                hits += 1
    return hits


def clear_labels(graph: LayeredGraph, labels: Sequence[Optional[Tuple[float, float]]],
                 routes: List[List[Point]], spots: List[Optional[Point]]) -> None:
    """Move (in place) each label that another tensor's route crosses to the first spot along its own route
    that no other route, box or label touches, else to the least crossed one. Labels that are clear where
    `place_labels` put them stay there."""
    if not any(spot is not None for spot in spots):
        return
    obstacles = Obstacles()
    owner_of: Dict[int, int] = {}
    for j, i in enumerate(graph.origin):
        owner_of[i] = graph.edge_chain[j]
        obstacles.add_route(routes[i], graph.edge_chain[j])
    crossed = []
    for i, spot in enumerate(spots):
        if spot is None or i not in owner_of:
            continue
        rect = label_rect(spot, labels[i])
        if obstacles.crossings(rect, owner_of[i]):
            crossed.append(i)
        else:
            obstacles.add_rect(rect, owner_of[i])
    tallest = max(graph.layer_height, default=0.0)
    # beside the end of an edge a label names that edge only when no other tensor's arrow ends near it
    ends: Dict[int, List[Tuple[float, int]]] = {}
    target_of: Dict[int, int] = {}
    for j, i in enumerate(graph.origin):
        upper, lower = graph.edges[j]
        target_of[i] = upper if graph.flipped[j] else lower
        ends.setdefault(target_of[i], []).append((routes[i][-1][0], graph.edge_chain[j]))
    for i in crossed:
        owner = owner_of[i]
        best, best_cost = spots[i], None
        end_x, reach = routes[i][-1][0], 2 * (LABEL_OFFSET + labels[i][0])
        alone = all(abs(x - end_x) > reach for x, other in ends[target_of[i]] if other != owner)
        for candidate in _candidates(spots[i], labels[i], routes[i], alone):
            rect = label_rect(candidate, labels[i])
            covered = obstacles.overlaps(rect, owner) + _boxes_under(graph, rect, tallest)
            cost = OVERLAP_COST * covered + obstacles.crossings(rect, owner)
            if best_cost is None or cost < best_cost:
                best, best_cost = candidate, cost
                if not cost:
                    break
        spots[i] = best
        obstacles.add_rect(label_rect(best, labels[i]), owner)
