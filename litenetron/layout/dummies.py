"""The proper layered graph: long edges become chains of dummy vertices, one chain per tensor.

A tensor with several consumers far apart (an attention mask read by every block) gets ONE chain that runs
down to its deepest consumer and branches off at each consumer's layer, so the dummy count grows with the
graph's height per tensor, not with height times consumers. An edge is then (chain, depth): its route runs
from the chain's source through the chain's first `depth` dummies to its target. A tensor read at several
depths may get two chains, one for its early and one for its late consumers (`split_groups`), within a dummy
budget linear in the graph's size.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

from .layered import LayeredGraph

# a tensor read at this many distinct depths below its source may get two chains (see split_groups)
SPLIT_DEPTHS = 3


def build_layered(count: int, rank: Sequence[int], edges: Sequence[Tuple[int, int]],
                  keys: Sequence[object], split_budget: int = 0, origin: Optional[Sequence[int]] = None,
                  flipped: Optional[Sequence[bool]] = None) -> LayeredGraph:
    """Split every edge (v, w) with rank[w] > rank[v] into unit steps through shared dummy chains.

    Edges with the same `keys[i]` (tensor and source) share one chain; `split_budget` extra dummies may
    be spent to split the chains of tensors with many consumers (see `split_groups`). `origin` and
    `flipped` (per edge: the input edge it stands for, whether it was reversed) default to the identity.
    """
    ranks = list(rank)
    up: List[List[int]] = [[] for _ in range(count)]
    down: List[List[int]] = [[] for _ in range(count)]
    up_w: List[List[int]] = [[] for _ in range(count)]
    down_w: List[List[int]] = [[] for _ in range(count)]
    step_slot: Dict[Tuple[int, int], Tuple[int, int]] = {}

    def link(a: int, b: int, weight: int) -> None:
        slot = step_slot.get((a, b))
        if slot is None:
            step_slot[a, b] = (len(down[a]), len(up[b]))
            down[a].append(b)
            down_w[a].append(weight)
            up[b].append(a)
            up_w[b].append(weight)
        else:
            down_w[a][slot[0]] += weight
            up_w[b][slot[1]] += weight

    members: Dict[object, List[int]] = {}
    for index, key in enumerate(keys):
        members.setdefault(key, []).append(index)
    groups = split_groups(list(members.values()), [rank[w] - rank[v] - 1 for v, w in edges], split_budget)
    chains: List[List[int]] = []
    edge_chain = [0] * len(edges)
    edge_depth = [0] * len(edges)
    for indices in groups:
        source = edges[indices[0]][0]
        top = ranks[source]
        depths = [ranks[edges[index][1]] - top - 1 for index in indices]
        length = max(depths)
        chain = [source, *range(len(ranks), len(ranks) + length)]
        # passing[j]: edges running through the step into chain[j + 1]
        passing = [0] * (length + 1)
        for index, depth in zip(indices, depths):
            edge_chain[index] = len(chains)
            edge_depth[index] = depth
            passing[depth] += 1
        for j in range(length - 1, -1, -1):
            passing[j] += passing[j + 1]
        for step in range(length):
            ranks.append(top + 1 + step)
            up.append([])
            down.append([])
            up_w.append([])
            down_w.append([])
            link(chain[step], chain[step + 1], passing[step + 1])
        for index, depth in zip(indices, depths):
            link(chain[depth], edges[index][1], 1)
        chains.append(chain)
    return LayeredGraph(count, ranks, up, down, up_w, down_w, chains, edge_chain, edge_depth,
                        edges=[(v, w) for v, w in edges],
                        origin=list(origin) if origin is not None else list(range(len(edges))),
                        flipped=list(flipped) if flipped is not None else [False] * len(edges))


def split_groups(groups: List[List[int]], depths: Sequence[int], budget: int) -> List[List[int]]:
    """Split the consumers of tensors read at several depths into an early and a late chain.

    Two tensor chains running side by side along a column (constants read by every encoder layer) cross
    at every branch of the outer one, each time as often as the inner one still carries edges: about
    n²/2 crossings for n consumers each. Split in two, the pieces nest (one tensor's early and late chains
    enclose the other's) and cross about half as often. The early chain's dummies are the extra cost, at
    most `budget` in all: tensors with the most consumer depths are split first.
    """
    candidates = []
    for g, indices in enumerate(groups):
        distinct = sorted({depths[i] for i in indices})
        if len(distinct) >= SPLIT_DEPTHS:
            candidates.append((-len(distinct), g, distinct[(len(distinct) - 1) // 2]))
    candidates.sort()
    result = list(groups)
    spent = 0
    for _, g, cut in candidates:
        if spent + cut > budget:
            continue
        spent += cut
        indices = groups[g]
        result[g] = [i for i in indices if depths[i] <= cut]
        result.append([i for i in indices if depths[i] > cut])
    return result
