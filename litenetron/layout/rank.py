"""Layering: longest path from the sources, then a compaction pass that pulls nodes down towards their
consumers when that shortens more tensor chains than it lengthens.

Longest path alone gives the fewest layers but leaves constants and late-used inputs at the top with long
edges; the compaction keeps the layer count (no node moves past the deepest layer) and is linear time.
"""

from __future__ import annotations

from collections import deque
from typing import List, Sequence, Tuple


def topological_order(count: int, out: Sequence[Sequence[int]], targets: Sequence[int]) -> List[int]:
    """Kahn's algorithm over edge indices in `out`, FIFO so the order follows the input order."""
    indegree = [0] * count
    for w in targets:
        indegree[w] += 1
    queue = deque(v for v in range(count) if indegree[v] == 0)
    order: List[int] = []
    while queue:
        v = queue.popleft()
        order.append(v)
        for index in out[v]:
            w = targets[index]
            indegree[w] -= 1
            if indegree[w] == 0:
                queue.append(w)
    return order


def rank_nodes(count: int, edges: Sequence[Tuple[int, int, int]], groups: Sequence[int]) -> List[int]:
    """Rank per node so that rank[w] >= rank[v] + minlen for every (v, w, minlen) of an acyclic graph.

    `groups[i]` names the tensor of edge i: edges of one group leave one node as a single chain, so moving
    a node down shortens each outgoing group once, however many consumers it has.
    """
    out: List[List[int]] = [[] for _ in range(count)]
    targets = [w for _, w, _ in edges]
    in_groups: List[set] = [set() for _ in range(count)]
    out_groups: List[set] = [set() for _ in range(count)]
    for index, (v, w, _) in enumerate(edges):
        out[v].append(index)
        in_groups[w].add(groups[index])
        out_groups[v].add(groups[index])
    order = topological_order(count, out, targets)
    rank = [0] * count
    for v in order:
        r = rank[v]
        for index in out[v]:
            _, w, minlen = edges[index]
            if rank[w] < r + minlen:
                rank[w] = r + minlen
    # "hanging" nodes only feed one tensor and hang from other hanging nodes (constants and the small
    # subgraphs computing from them, late-used graph inputs): sitting right above their consumers is optimal
    hanging = [False] * count
    preds: List[List[int]] = [[] for _ in range(count)]
    for v, w, _ in edges:
        preds[w].append(v)
    for v in order:
        hanging[v] = len(out_groups[v]) == 1 and all(hanging[u] for u in preds[v])
    for v in reversed(order):
        if not out[v] or (not hanging[v] and len(out_groups[v]) <= len(in_groups[v])):
            continue
        lowest = min(rank[edges[index][1]] - edges[index][2] for index in out[v])
        if lowest > rank[v]:
            rank[v] = lowest
    return rank
