"""Coordinates: Brandes–Köpf horizontal placement (four alignments, balanced) and layer y positions.

Each alignment groups vertices into vertical blocks (a vertex joins the median neighbour of the previous
layer), so dummy chains become one block and long edges stay straight; blocks are then packed by a longest
path over the "left of" constraints and pulled towards their right neighbours. The balanced result takes
the mean of the two middle values of the four candidates (or the median of those that did not drift much
wider than the narrowest), which keeps every separation constraint.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import add, sub
from typing import List, Sequence, Set, Tuple

from .layered import LayeredGraph

# alignments wider than this times the narrowest one are left out of the balancing
WIDTH_TOLERANCE = 1.25
# layered graphs up to this many vertices try both alignment rules (each costs four alignments)
BOTH_RULES_SIZE = 60_000


def type1_conflicts(layers: Sequence[Sequence[int]], up, count: int, pos) -> Set[int]:
    """Edges (u above v, encoded u * size + v) that cross an inner segment (dummy to dummy)."""
    size = len(pos)
    marked: Set[int] = set()
    for i in range(1, len(layers)):
        upper, lower = layers[i - 1], layers[i]
        k0 = 0
        scan = 0
        last = len(lower) - 1
        for l1, v in enumerate(lower):
            inner = -1
            if v >= count:
                for u in up[v]:
                    if u >= count:
                        inner = u
                        break
            if l1 != last and inner < 0:
                continue
            k1 = pos[inner] if inner >= 0 else len(upper) - 1
            while scan <= l1:
                w = lower[scan]
                for u in up[w]:
                    k = pos[u]
                    if (k < k0 or k > k1) and not (u >= count and w >= count):
                        marked.add(u * size + w)
                scan += 1
            k0 = k1
    return marked


def _medians(neighbours, count: int, pos: Sequence[int], real_first: bool) -> List[Tuple[int, ...]]:
    """Per vertex, the neighbours (one layer up or down) it may align with: the median one or two of the
    neighbours it prefers, left one first.

    A vertex aligns with a dummy neighbour if it is a dummy (chains stay straight), else preferably with a
    neighbour that continues the flow: a constant hanging above a node should not pull it sideways. With
    `real_first` a real node also passes over dummies: a residual chain ending at an Add then bends in
    instead of pulling the column towards it. The same list serves the left and (reversed) the right
    alignments of one vertical direction.
    """
    medians: List[Tuple[int, ...]] = [()] * len(neighbours)
    for v, nb in enumerate(neighbours):
        if not nb:
            continue
        if len(nb) == 1:
            medians[v] = (nb[0],)
            continue
        if v >= count:
            preferred = [u for u in nb if u >= count]
        else:
            preferred = [u for u in nb if neighbours[u] and (u < count or not real_first)]
            preferred = preferred or [u for u in nb if neighbours[u]]
        if preferred:
            nb = preferred
        if len(nb) > 1:
            nb = sorted(nb, key=pos.__getitem__)
        d = len(nb)
        lo, hi = (d - 1) // 2, d // 2
        medians[v] = (nb[lo],) if lo == hi else (nb[lo], nb[hi])
    return medians


@dataclass
class _Slots:
    """Where each vertex stands in its layer, read left to right and mirrored (right to left)."""

    pos: List[int]          # slot from the left
    mirrored: List[int]     # slot from the right
    after: List[int]        # right neighbour in the layer, or -1
    before: List[int]       # left neighbour in the layer, or -1
    not_first: List[int]    # vertices with a left neighbour
    not_last: List[int]     # vertices with a right neighbour


def _slots(layers: Sequence[Sequence[int]], size: int) -> _Slots:
    slots = _Slots([0] * size, [0] * size, [-1] * size, [-1] * size, [], [])
    pos, mirrored, after, before = slots.pos, slots.mirrored, slots.after, slots.before
    for layer in layers:
        last = len(layer) - 1
        for i, v in enumerate(layer):
            pos[v] = i
            mirrored[v] = last - i
        for a, b in zip(layer, layer[1:]):
            after[a] = b
            before[b] = a
        slots.not_first.extend(layer[1:])
        slots.not_last.extend(layer[:-1])
    return slots


def _one_alignment(layers, medians, hpos, after, not_first, left, right, marked, above: bool):
    """x per vertex for one of the four alignments; layers come in processing order (mirrored if needed),
    `medians` (from `_medians`), `hpos` (slot per vertex), `after` (next vertex in the layer) and
    `not_first` (vertices with a previous one) in the matching left-to-right order.

    `left`/`right` are the room each vertex needs towards the previous / next vertex of its layer (half
    the separation included).
    """
    size = len(left)
    root = list(range(size))
    align = list(range(size))
    for layer in layers:
        r = -1
        for v in layer:
            for m in medians[v]:
                if align[v] != v:
                    break
                p = hpos[m]
                if r < p and not (marked and (m * size + v if above else v * size + m) in marked):
                    align[m] = v
                    root[v] = root[m]
                    align[v] = root[v]
                    r = p
    # Blocks are packed by a longest path over "root(u) left of root(v)" for neighbours u, v of a layer.
    # A block's members run down its `align` cycle, one per layer in processing order, so its constraints
    # are its members' right neighbours in that order: no constraint graph needs to be built.
    indegree = [0] * size
    for v in not_first:
        indegree[root[v]] += 1
    order = [v for v in range(size) if root[v] == v and indegree[v] == 0]
    x = [0.0] * size
    done = 0
    while done < len(order):     # FIFO over `order` itself (Kahn's algorithm)
        b = order[done]
        done += 1
        xb = x[b]
        v = b
        while True:
            n = after[v]
            if n >= 0:
                c = root[n]
                w = xb + (right[v] + left[n])
                if x[c] < w:
                    x[c] = w
                indegree[c] -= 1
                if not indegree[c]:
                    order.append(c)
            v = align[v]
            if v == b:
                break
    # pull blocks right up to their nearest right neighbour
    for b in reversed(order):
        limit = None
        v = b
        while True:
            n = after[v]
            if n >= 0:
                w = x[root[n]] - (right[v] + left[n])
                if limit is None or w < limit:
                    limit = w
            v = align[v]
            if v == b:
                break
        if limit is not None and limit > x[b]:
            x[b] = limit
    return [x[b] for b in root]


def horizontal_positions(graph: LayeredGraph, left: Sequence[float], right: Sequence[float], gap_real: float,
                         gap_dummy: float) -> None:
    """Set `graph.x`, the centre x per vertex (left borders start near 0); no two vertices of a layer overlap.

    `left` / `right`: the room each vertex needs left and right of its centre; `gap_real` / `gap_dummy`:
    the separation beside a real vertex / a dummy.

    Two alignment rules are balanced (real nodes following real neighbours first, or any neighbour that
    continues the flow); the one with the shorter horizontal edge extent wins: each suits other graphs.
    Huge layered graphs use the first rule only.
    """
    layers, up, down, count = graph.layers, graph.up, graph.down, graph.count
    size = len(left)
    slots = _slots(layers, size)
    marked = type1_conflicts(layers, up, count, slots.pos)
    # room towards each neighbour in a layer, half of the separation included
    room_left = [left[v] + (gap_real if v < count else gap_dummy) / 2 for v in range(size)]
    room_right = [right[v] + (gap_real if v < count else gap_dummy) / 2 for v in range(size)]
    best: List[float] = []
    best_spread = -1.0
    for real_first in (True, False) if size <= BOTH_RULES_SIZE else (True,):
        xs = _balanced(layers, slots, up, down, count, left, right, room_left, room_right, marked, real_first)
        spread = 0.0
        for v in range(size):
            xv = xs[v]
            for w in down[v]:
                spread += abs(xs[w] - xv)
        if best_spread < 0 or spread < best_spread:
            best, best_spread = xs, spread
    graph.x = best


def _balanced(layers, slots: _Slots, up, down, count, left, right, room_left, room_right, marked,
              real_first: bool):
    """The four Brandes–Köpf alignments balanced into one placement."""
    candidates = []
    for vertical in ("down", "up"):
        ordered = list(layers) if vertical == "down" else list(reversed(layers))
        medians = _medians(up if vertical == "down" else down, count, slots.pos, real_first)
        for horizontal in ("left", "right"):
            if horizontal == "left":
                xs = _one_alignment(ordered, medians, slots.pos, slots.after, slots.not_first, room_left,
                                    room_right, marked, vertical == "down")
            else:
                mirrored = [layer[::-1] for layer in ordered]
                xs = _one_alignment(mirrored, [m[::-1] for m in medians], slots.mirrored, slots.before,
                                    slots.not_last, room_right, room_left, marked, vertical == "down")
                xs = [-x for x in xs]
            candidates.append((horizontal, xs))
    # align the four to the narrowest one: left ones by their left border, right ones by their right border
    spans = []
    for _, xs in candidates:
        spans.append((min(map(sub, xs, left)), max(map(add, xs, right))))
    widths = [high - low for low, high in spans]
    narrow = min(range(4), key=lambda k: (widths[k], k))
    # an alignment much wider than the narrowest one has drifted (blocks pushed into a staircase);
    # balancing with it would only import the drift
    kept = [k for k in range(4) if widths[k] <= widths[narrow] * WIDTH_TOLERANCE]
    shifted = []
    for k in kept:
        horizontal, xs = candidates[k]
        delta = spans[narrow][0] - spans[k][0] if horizontal == "left" else spans[narrow][1] - spans[k][1]
        shifted.append([x + delta for x in xs])
    if len(kept) == 4:
        result = [(values[1] + values[2]) / 2 for values in map(sorted, zip(*shifted))]
    elif len(kept) == 3:
        result = [sorted(values)[1] for values in zip(*shifted)]
    elif len(kept) == 2:
        result = [(a + b) / 2 for a, b in zip(*shifted)]
    else:
        result = shifted[0]
    low = min(map(sub, result, left), default=0.0)
    return [x - low for x in result]


def vertical_positions(graph: LayeredGraph, gaps: Sequence[float]) -> None:
    """Set the layer heights (each layer as tall as its tallest box), the centre y per layer with `gaps[r]`
    between layers r and r+1, and `graph.y` per vertex."""
    heights = [0.0] * len(graph.layers)
    rank = graph.rank
    for v in range(graph.count):
        h = 2 * graph.half_h[v]
        if h > heights[rank[v]]:
            heights[rank[v]] = h
    centres = []
    top = 0.0
    for r, height in enumerate(heights):
        centres.append(top + height / 2)
        top += height + (gaps[r] if r < len(gaps) else 0.0)
    graph.layer_height = heights
    graph.layer_y = centres
    graph.y = [centres[r] for r in rank]
