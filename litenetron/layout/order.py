"""Crossing reduction: alternating weighted-barycenter sweeps plus adjacent-swap (transpose) passes.

A layered edge carries a weight: the number of input edges routed along it (a tensor chain shared by many
consumers weighs as much as all of them), so a crossing costs what it costs in the drawing. The order with
the fewest weighted crossings seen is kept; sweeps stop after a few rounds without improvement or when
the work budget (rounds times edges) is spent, so huge graphs stay fast. A last pass (`tuck_feeders`) moves
fans of constants to the outer side of the node they feed, where they cost no crossings and no room.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import List, Sequence

from .layered import LayeredGraph, layers_of

PATIENCE = 6
MAX_ROUNDS = 24
WORK_BUDGET = 2_000_000
TRANSPOSE_PASSES = 4
# transpose after every second sweep (a down and an up sweep): as good, and cheaper
TRANSPOSE_EVERY = 2
# whole-chain placement tries this many slots from each end of the layers
CHAIN_SLOTS = 2
# vertices and edges the crossing counts of one chain placement pass may visit (about a second of work;
# wide graphs, such as TensorFlow training graphs, would otherwise spend minutes here)
CHAIN_WORK = 1_000_000
# rounds of chain placement followed by sweeps, while they keep improving
PLACEMENTS = 2
# layers up to this wide count crossings with slice sums, wider ones with a Fenwick tree
NARROW = 96


def count_between(upper: Sequence[int], down, down_w, pos, width: int) -> int:
    """Weighted crossings between a layer and the next (`width` vertices): each new edge end crosses the
    weight already seen at lower positions to its right. Ends of one vertex never cross each other, so a
    vertex's ends are all counted before any is added. Narrow layers sum a slice of the weights per lower
    position (a loop in C); wide ones use a Fenwick tree."""
    if width > NARROW:
        return _count_between_wide(upper, down, down_w, pos, width)
    seen = [0] * width
    crossings = 0
    for v in upper:
        nb = down[v]
        if not nb:
            continue
        if len(nb) == 1:
            p = pos[nb[0]]
            weight = down_w[v][0]
            crossings += weight * sum(seen[p + 1:])
            seen[p] += weight
            continue
        ends = [(pos[w], weight) for w, weight in zip(nb, down_w[v])]
        for p, weight in ends:
            crossings += weight * sum(seen[p + 1:])
        for p, weight in ends:
            seen[p] += weight
    return crossings


def _count_between_wide(upper: Sequence[int], down, down_w, pos, width: int) -> int:
    """`count_between` with a Fenwick tree over the lower positions."""
    tree = [0] * (width + 1)
    seen = 0
    crossings = 0
    for v in upper:
        nb = down[v]
        if not nb:
            continue
        ws = down_w[v]
        if len(nb) > 1:
            pairs = sorted(zip([pos[w] for w in nb], ws))
        else:
            pairs = ((pos[nb[0]], ws[0]),)
        for p, weight in pairs:
            i = p + 1
            below = 0
            while i > 0:
                below += tree[i]
                i -= i & -i
            crossings += weight * (seen - below)
            seen += weight
            i = p + 1
            while i <= width:
                tree[i] += weight
                i += i & -i
    return crossings


def count_crossings(graph: LayeredGraph) -> int:
    """Weighted crossings of the whole graph in its current layer order."""
    layers, pos = graph.layers, graph.positions()
    return sum(count_between(layers[i], graph.down, graph.down_w, pos, len(layers[i + 1]))
               for i in range(len(layers) - 1))


def _sort_layer(layer: List[int], neighbours, weights, pos, bias_right: bool) -> List[int]:
    """Weighted barycenter order; vertices without neighbours on that side keep their slots."""
    keyed = []
    fixed = []
    sign = -1 if bias_right else 1
    for slot, v in enumerate(layer):
        nb = neighbours[v]
        if len(nb) == 1:
            keyed.append((pos[nb[0]], sign * slot, v))
        elif not nb:
            fixed.append(slot)
        else:
            total = 0
            mass = 0
            for u, weight in zip(nb, weights[v]):
                total += pos[u] * weight
                mass += weight
            keyed.append((total / mass, sign * slot, v))
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


def _swap_gain(v: int, w: int, side, side_w, pos) -> int:
    """Weighted crossings removed on one side by putting w left of v (negative when they would grow)."""
    a, b = side[v], side[w]
    aw, bw = side_w[v], side_w[w]
    if len(a) * len(b) <= 64:
        gain = 0
        for u, wu in zip(a, aw):
            pu = pos[u]
            for x, wx in zip(b, bw):
                px = pos[x]
                if pu > px:
                    gain += wu * wx
                elif pu < px:
                    gain -= wu * wx
        return gain
    # many edges on both: weights of b's ends strictly left / right of each of a's ends via prefix sums
    ends = sorted(zip([pos[x] for x in b], bw))
    keys = [p for p, _ in ends]
    prefix = [0]
    for _, weight in ends:
        prefix.append(prefix[-1] + weight)
    total = prefix[-1]
    gain = 0
    for u, wu in zip(a, aw):
        pu = pos[u]
        gain += wu * (prefix[bisect_left(keys, pu)] - (total - prefix[bisect_right(keys, pu)]))
    return gain


def _single(neighbours, weights):
    """Per vertex: its only neighbour and that edge's weight, or (-1, 0) when it has none or several."""
    only = [-1] * len(neighbours)
    only_w = [0] * len(neighbours)
    for v, nb in enumerate(neighbours):
        if len(nb) == 1:
            only[v] = nb[0]
            only_w[v] = weights[v][0]
    return only, only_w


def _transpose(layers: List[List[int]], up, up_w, down, down_w, pos, changed: List[bool], singles) -> None:
    """Swap adjacent vertices while that removes crossings; only layers next to a change are revisited.
    Layers that were reordered are flagged in `changed`. `singles`: `_single` of the up and the down side."""
    up_one, up_one_w, down_one, down_one_w = singles
    dirty = [True] * len(layers)
    for _ in range(TRANSPOSE_PASSES):
        improved = False
        for r, layer in enumerate(layers):
            if not dirty[r]:
                continue
            dirty[r] = False
            swapped = False
            for i in range(len(layer) - 1):
                v, w = layer[i], layer[i + 1]
                gain = 0
                # the common case inline: one edge on each side per vertex
                a, b = up_one[v], up_one[w]
                if a >= 0 and b >= 0:
                    pa, pb = pos[a], pos[b]
                    if pa != pb:
                        product = up_one_w[v] * up_one_w[w]
                        gain += product if pa > pb else -product
                elif up[v] and up[w]:
                    gain += _swap_gain(v, w, up, up_w, pos)
                a, b = down_one[v], down_one[w]
                if a >= 0 and b >= 0:
                    pa, pb = pos[a], pos[b]
                    if pa != pb:
                        product = down_one_w[v] * down_one_w[w]
                        gain += product if pa > pb else -product
                elif down[v] and down[w]:
                    gain += _swap_gain(v, w, down, down_w, pos)
                if gain > 0:
                    layer[i], layer[i + 1] = w, v
                    pos[v], pos[w] = i + 1, i
                    swapped = True
            if swapped:
                improved = True
                changed[r] = True
                dirty[r] = True
                if r:
                    dirty[r - 1] = True
                if r + 1 < len(layers):
                    dirty[r + 1] = True
        if not improved:
            return


def _chain_crossings(layers, chain: Sequence[int], first: int, down, down_w, pos, incoming) -> int:
    """Weighted crossings between the edges leaving a chain's vertices (source at layer `first`, then its
    dummies) and the other edges of the same layer pairs: the only crossings that change when the
    chain moves sideways, the other edges keeping their order.

    Only the edges of the shorter side of each chain vertex are visited: the other side's share follows
    from `incoming` (per vertex: the weight of all its edges from above), which holds for every order.
    """
    total = 0
    for k, c in enumerate(chain):
        ends = down[c]
        if not ends:
            continue
        layer = layers[first + k]
        lower = layers[first + k + 1]
        pc = pos[c]
        mine = [(pos[y], wy) for y, wy in zip(ends, down_w[c])]
        if 2 * pc < len(layer):
            # from the left of c: ends right of y cross; from the right: ends left of y, which are all the
            # ends left of y but c's own and those from the left
            side = [(pos[x], wx) for u in layer[:pc] for x, wx in zip(down[u], down_w[u])]
            for py, wy in mine:
                left_gt = left_lt = 0
                for px, wx in side:
                    if px > py:
                        left_gt += wx
                    elif px < py:
                        left_lt += wx
                own = sum([w for p, w in mine if p < py])
                total += wy * (left_gt + sum(map(incoming.__getitem__, lower[:py])) - own - left_lt)
        else:
            side = [(pos[x], wx) for u in layer[pc + 1:] for x, wx in zip(down[u], down_w[u])]
            for py, wy in mine:
                right_gt = right_lt = 0
                for px, wx in side:
                    if px < py:
                        right_lt += wx
                    elif px > py:
                        right_gt += wx
                own = sum([w for p, w in mine if p > py])
                total += wy * (right_lt + sum(map(incoming.__getitem__, lower[py + 1:])) - own - right_gt)
    return total


def _move_chain(layers, dummies, rank, pos, side: str, slot: int) -> None:
    """Put every dummy of a chain `slot` vertices in from the left or right end of its layer."""
    for d in dummies:
        layer = layers[rank[d]]
        del layer[pos[d]]
        at = min(slot, len(layer))
        layer.insert(at if side == "left" else len(layer) - at, d)
        for i, v in enumerate(layer):
            pos[v] = i


def place_chains(layers: List[List[int]], chains: Sequence[Sequence[int]], rank, down, down_w, pos) -> bool:
    """Move each long tensor chain as a whole to the slot near the left or right end (0 = outermost) that
    removes the most crossings; True when a chain moved. Layer sweeps cannot do this: they move one dummy
    at a time, and a chain bent out of line costs more than it saves at every step, so a chain started
    on the wrong side stays there.
    """
    moved = False
    long_chains = [chain for chain in chains if len(chain) > 3]
    long_chains.sort(key=lambda chain: (-down_w[chain[0]][down[chain[0]].index(chain[1])], -len(chain)))
    # what one crossing count of a chain costs: the vertices and edges of every layer it spans
    load = [len(layer) + sum(len(down[u]) for u in layer) for layer in layers]
    incoming = [0] * len(down)
    for ends, weights in zip(down, down_w):
        for x, wx in zip(ends, weights):
            incoming[x] += wx
    work = 0
    for chain in long_chains:
        first = rank[chain[0]]
        # every try recounts the layer pairs the chain spans; a chain too costly for what is left of the
        # budget is skipped, cheaper ones may still fit
        cost = (2 * CHAIN_SLOTS + 1) * sum(load[first:first + len(chain)])
        if work + cost > CHAIN_WORK:
            continue
        work += cost
        dummies = chain[1:]
        best = _chain_crossings(layers, chain, first, down, down_w, pos, incoming)
        if not best:
            continue
        original = [pos[d] for d in dummies]
        choice = None
        for side in ("left", "right"):
            for slot in range(CHAIN_SLOTS):
                _move_chain(layers, dummies, rank, pos, side, slot)
                crossings = _chain_crossings(layers, chain, first, down, down_w, pos, incoming)
                if crossings < best:
                    best, choice = crossings, (side, slot)
        if choice is None:
            for d, at in zip(dummies, original):
                layer = layers[rank[d]]
                layer.remove(d)
                layer.insert(at, d)
                for i, v in enumerate(layer):
                    pos[v] = i
        else:
            _move_chain(layers, dummies, rank, pos, *choice)
            moved = True
    return moved


def _sweeps(layers: List[List[int]], up, up_w, down, down_w, pos, rounds: int, singles):
    """Barycenter sweeps with transpose from the given order; returns (crossings, layers, rounds used) of
    the best order. Crossings are recounted only between layers that changed."""
    pairs = [count_between(layers[r], down, down_w, pos, len(layers[r + 1])) for r in range(len(layers) - 1)]
    best = sum(pairs)
    best_layers = [list(layer) for layer in layers]
    stale = 0
    used = 0
    still = 0    # rounds in a row that moved nothing: after all four sweep kinds, nothing ever will
    for round_ in range(rounds):
        if best == 0 or stale >= PATIENCE or still >= 4:
            break
        used += 1
        changed = [False] * len(layers)
        bias_right = round_ % 4 >= 2
        if round_ % 2 == 0:
            sequence, neighbours, weights = range(1, len(layers)), up, up_w
        else:
            sequence, neighbours, weights = range(len(layers) - 2, -1, -1), down, down_w
        for r in sequence:
            layer = _sort_layer(layers[r], neighbours, weights, pos, bias_right)
            if layer != layers[r]:
                changed[r] = True
                layers[r] = layer
                for i, v in enumerate(layer):
                    pos[v] = i
        if round_ % TRANSPOSE_EVERY == TRANSPOSE_EVERY - 1:
            _transpose(layers, up, up_w, down, down_w, pos, changed, singles)
        still = 0 if any(changed) else still + 1
        for r in range(len(layers) - 1):
            if changed[r] or changed[r + 1]:
                pairs[r] = count_between(layers[r], down, down_w, pos, len(layers[r + 1]))
        crossings = sum(pairs)
        if crossings < best:
            best = crossings
            best_layers = [list(layer) for layer in layers]
            stale = 0
        else:
            stale += 1
    return best, best_layers, used


def order_layers(graph: LayeredGraph) -> None:
    """Reorder `graph.layers` (the depth-first order of `layers_of` when empty) to reduce weighted edge
    crossings, keeping the best order found.

    Whole-chain placement of long tensor chains alternates with the sweeps while that keeps improving
    and the work budget lasts.
    """
    up, up_w, down, down_w, chains, rank = graph.up, graph.up_w, graph.down, graph.down_w, graph.chains, graph.rank
    pos = [0] * len(up)
    edges = sum(len(d) for d in down) or 1
    rounds = max(2, min(MAX_ROUNDS, WORK_BUDGET // (4 * edges)))
    best = None
    best_layers = graph.layers or layers_of(graph)
    singles = (*_single(up, up_w), *_single(down, down_w))
    for phase in range(PLACEMENTS if chains else 1):
        layers = [list(layer) for layer in best_layers]
        for layer in layers:
            for i, v in enumerate(layer):
                pos[v] = i
        moved = bool(chains) and place_chains(layers, chains, rank, down, down_w, pos)
        if phase and not moved:
            break   # the sweeps would only repeat themselves
        crossings, found, used = _sweeps(layers, up, up_w, down, down_w, pos, rounds, singles)
        rounds -= used
        if best is not None and crossings >= best:
            break
        best, best_layers = crossings, found
        if not best or rounds <= 0:
            break
    graph.layers = best_layers


def tuck_feeders(graph: LayeredGraph) -> None:
    """Move the feeders of a node (real sources with that node as their only neighbour: constants) next to
    its other inputs, on the side facing the nearer end of the layer, so that a fan of constants does not
    push two columns apart. A layer keeps its new order only if that adds no crossings below it."""
    layers, up, down, down_w, count = graph.layers, graph.up, graph.down, graph.down_w, graph.count
    pos = graph.positions()
    result = []
    for r, layer in enumerate(layers):
        if r + 1 == len(layers):
            result.append(layer)
            continue
        feeders = {}
        for v in layer:
            if v < count and not up[v] and len(down[v]) == 1 and down[v][0] < count:
                feeders.setdefault(down[v][0], []).append(v)
        moving = set()
        for v in layer:
            for w in down[v]:
                group = feeders.get(w)
                if group and v not in group:
                    moving.update(group)
        if not moving:
            result.append(layer)
            continue
        placed = [v for v in layer if v not in moving]
        for consumer, group in feeders.items():
            if group[0] not in moving:
                continue
            anchors = [i for i, v in enumerate(placed) if consumer in down[v]]
            low, high = anchors[0], anchors[-1]
            at = low if low <= len(placed) - 1 - high else high + 1
            placed[at:at] = group
        width = len(layers[r + 1])
        before = count_between(layer, down, down_w, pos, width)
        for i, v in enumerate(placed):
            pos[v] = i
        if count_between(placed, down, down_w, pos, width) <= before:
            result.append(placed)
        else:
            for i, v in enumerate(layer):
                pos[v] = i
            result.append(layer)
    graph.layers = result
