"""Crossing reduction: alternating barycenter sweeps plus adjacent-swap (transpose) passes.

The order with the fewest crossings seen is kept; the sweeps stop once a few rounds bring no improvement
or when the work budget (sweeps times edges) is spent, so huge graphs stay fast.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import List, Sequence

# rounds without improvement before giving up, and total edge visits allowed for the sweeps
PATIENCE = 4
MAX_ROUNDS = 24
WORK_BUDGET = 3_000_000


def count_between(upper: Sequence[int], down: Sequence[Sequence[int]], pos: Sequence[int]) -> int:
    """Crossings between one layer and the next: inversions of the lower ends in upper-end order."""
    seen: List[int] = []
    crossings = 0
    for v in upper:
        ends = [pos[w] for w in down[v]]
        if len(ends) > 1:
            ends.sort()
        for p in ends:
            at = bisect_right(seen, p)
            crossings += len(seen) - at
            seen.insert(at, p)
    return crossings


def count_crossings(layers: Sequence[Sequence[int]], down, pos) -> int:
    return sum(count_between(layers[i], down, pos) for i in range(len(layers) - 1))


def _sort_layer(layer: List[int], neighbours, pos, bias_right: bool) -> List[int]:
    """Barycenter order; vertices without neighbours on that side keep their slots."""
    keyed = []
    fixed = []
    for slot, v in enumerate(layer):
        nb = neighbours[v]
        if nb:
            total = 0
            for u in nb:
                total += pos[u]
            keyed.append((total / len(nb), -slot if bias_right else slot, v))
        else:
            fixed.append(slot)
    if not keyed:
        return layer
    keyed.sort()
    if not fixed:
        return [v for _, _, v in keyed]
    result = [-1] * len(layer)
    for slot in fixed:
        result[slot] = layer[slot]
    it = iter(keyed)
    for slot in range(len(layer)):
        if result[slot] < 0:
            result[slot] = next(it)[2]
    return result


def _pair_crossings(a: Sequence[int], b: Sequence[int], pos) -> int:
    """Crossings among edges of two neighbouring vertices when a stands left of b (same-side edges)."""
    if not a or not b:
        return 0
    ends = sorted(pos[w] for w in b)
    total = 0
    for u in a:
        total += bisect_left(ends, pos[u])
    return total


def _transpose(layers: List[List[int]], up, down, pos) -> None:
    """Swap adjacent vertices while that removes crossings with both neighbouring layers."""
    for _ in range(4):
        improved = False
        for layer in layers:
            for i in range(len(layer) - 1):
                v, w = layer[i], layer[i + 1]
                upv, upw, downv, downw = up[v], up[w], down[v], down[w]
                if not (upv and upw) and not (downv and downw):
                    continue
                now = _pair_crossings(upv, upw, pos) + _pair_crossings(downv, downw, pos)
                if not now:
                    continue
                swapped = _pair_crossings(upw, upv, pos) + _pair_crossings(downw, downv, pos)
                if swapped < now:
                    layer[i], layer[i + 1] = w, v
                    pos[v], pos[w] = i + 1, i
                    improved = True
        if not improved:
            return


def order_layers(layers: List[List[int]], up, down, size: int) -> List[List[int]]:
    """Reorder each layer (in place and returned) to reduce edge crossings."""
    pos = [0] * size
    for layer in layers:
        for i, v in enumerate(layer):
            pos[v] = i
    edges = sum(len(d) for d in down) or 1
    rounds = max(2, min(MAX_ROUNDS, WORK_BUDGET // (4 * edges)))
    best = count_crossings(layers, down, pos)
    best_layers = [list(layer) for layer in layers]
    stale = 0
    for round_ in range(rounds):
        if best == 0 or stale >= PATIENCE:
            break
        bias_right = round_ % 4 >= 2
        if round_ % 2 == 0:
            sequence, neighbours = range(1, len(layers)), up
        else:
            sequence, neighbours = range(len(layers) - 2, -1, -1), down
        for r in sequence:
            layer = _sort_layer(layers[r], neighbours, pos, bias_right)
            layers[r] = layer
            for i, v in enumerate(layer):
                pos[v] = i
        _transpose(layers, up, down, pos)
        crossings = count_crossings(layers, down, pos)
        if crossings < best:
            best = crossings
            best_layers = [list(layer) for layer in layers]
            stale = 0
        else:
            stale += 1
    return best_layers
