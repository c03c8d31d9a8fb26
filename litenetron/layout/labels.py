"""Edge labels: room in the layer gaps and a spot for each label, clear of every box.

A label sits in the gap right after its source: the edge leaves the source through a short vertical trunk
and the label stands right of the trunk. All consumers of one tensor share the trunk and the label spot;
a source with several labelled tensors stacks their labels in rows beside the trunk. The boxes' right
extents reserve the label width, so labels of neighbouring sources do not meet either.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

from .route import x_at

Point = Tuple[float, float]

# how far a label sits right of its route, the room kept around it, and the extra gap height below the
# labels where the routes fan out
LABEL_OFFSET = 6.0
LABEL_PAD = 4.0
LABEL_SPREAD = 10.0


class LabelRows:
    """Per source: its labelled tensor chains (one label row each) and the height of a row."""

    def __init__(self) -> None:
        self.chains: Dict[int, List[int]] = {}
        self.height: Dict[int, float] = {}


def reserve_label_room(edges: Sequence[Tuple[int, int]], normal: Sequence[int], flipped: Sequence[bool],
                       labels, rank: Sequence[int], edge_chain: Sequence[int], gaps: List[float]) -> LabelRows:
    """Grow the layer gaps (in place) so every label fits beside its source; returns the label rows."""
    rows = LabelRows()
    for j, i in enumerate(normal):
        if not labels[i]:
            continue
        source = edges[i][0]
        if flipped[j]:
            # a reversed edge leaves its source upwards: the label goes in the gap above it
            gap = rank[source] - 1
            gaps[gap] = max(gaps[gap], labels[i][1] + 2 * LABEL_PAD)
            continue
        chains = rows.chains.setdefault(source, [])
        if edge_chain[j] not in chains:
            chains.append(edge_chain[j])
        rows.height[source] = max(rows.height.get(source, 0.0), labels[i][1] + LABEL_PAD)
    for source, chains in rows.chains.items():
        gap = rank[source]
        gaps[gap] = max(gaps[gap], len(chains) * rows.height[source] + LABEL_PAD + LABEL_SPREAD)
    return rows


def place_labels(edges: Sequence[Tuple[int, int]], normal: Sequence[int], flipped: Sequence[bool], labels,
                 rows: LabelRows, routes: List[List[Point]], rank: Sequence[int], edge_chain: Sequence[int],
                 xs: Sequence[float], ys: Sequence[float], half_h: Sequence[float], centres_y: Sequence[float],
                 rank_heights: Sequence[float]) -> List[Optional[Point]]:
    """Label centre per edge (None without label); adds the trunks to the routes of labelled edges."""
    spots: List[Optional[Point]] = [None] * len(edges)
    # rows top to bottom in the order the tensors head off after the trunk, left first
    heading: Dict[int, float] = {}
    for j, i in enumerate(normal):
        if labels[i] and not flipped[j]:
            chain = edge_chain[j]
            heading[chain] = min(heading.get(chain, routes[i][1][0]), routes[i][1][0])
    row_of: Dict[int, int] = {}
    for chains in rows.chains.values():
        chains.sort(key=heading.__getitem__)
        for row, chain in enumerate(chains):
            row_of[chain] = row
    for j, i in enumerate(normal):
        chain = edge_chain[j]
        if flipped[j] or chain not in row_of:
            continue
        # every edge of a labelled tensor leaves through the trunk, labelled or not, so they stay together
        source = edges[i][0]
        points = routes[i]
        x = xs[source]
        r = rank[source]
        top = centres_y[r] + rank_heights[r] / 2 + LABEL_PAD
        if points[1][0] != x:
            trunk_end = top + len(rows.chains[source]) * rows.height[source]
            points[0:1] = [(x, ys[source] + half_h[source]), (x, trunk_end)]
        if labels[i]:
            width, height = labels[i]
            spots[i] = (x + LABEL_OFFSET + width / 2, top + row_of[chain] * rows.height[source] + height / 2)
    for j, i in enumerate(normal):
        if labels[i] and flipped[j]:
            width = labels[i][0]
            gap = rank[edges[i][0]] - 1
            top = centres_y[gap] + rank_heights[gap] / 2
            bottom = centres_y[gap + 1] - rank_heights[gap + 1] / 2
            y = (top + bottom) / 2
            spots[i] = (x_at(routes[i], y) + LABEL_OFFSET + width / 2, y)
    return spots
