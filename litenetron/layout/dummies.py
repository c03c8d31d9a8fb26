"""The proper layered graph: long edges become chains of dummy vertices, one chain per tensor.

A tensor with several consumers far apart (an attention mask read by every block) gets ONE chain that runs
down to its deepest consumer and branches off at each consumer's layer, so the dummy count grows with the
graph's height per tensor, not with height times consumers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple


@dataclass
class LayeredGraph:
    count: int                 # real vertices are 0..count-1, dummies follow
    rank: List[int]            # per vertex
    up: List[List[int]]        # neighbours one layer up (deduplicated)
    down: List[List[int]]      # neighbours one layer down (deduplicated)
    paths: List[List[int]]     # per acyclic edge: its vertices from the upper end to the lower end

    @property
    def size(self) -> int:
        return len(self.rank)


def build_layered(count: int, rank: Sequence[int], edges: Sequence[Tuple[int, int]],
                  keys: Sequence[Tuple[int, int]]) -> LayeredGraph:
    """Split every edge (v, w) with rank[w] > rank[v] into unit steps through shared dummy chains.

    Edges with the same `keys[i]` (tensor, source) share one chain.
    """
    ranks = list(rank)
    up: List[List[int]] = [[] for _ in range(count)]
    down: List[List[int]] = [[] for _ in range(count)]
    linked = set()

    def link(a: int, b: int) -> None:
        pair = (a, b)
        if pair not in linked:
            linked.add(pair)
            down[a].append(b)
            up[b].append(a)

    members: Dict[Tuple[int, int], List[int]] = {}
    for index, key in enumerate(keys):
        members.setdefault(key, []).append(index)
    paths: List[List[int]] = [[] for _ in edges]
    for indices in members.values():
        source = edges[indices[0]][0]
        top = ranks[source]
        span = max(ranks[edges[index][1]] for index in indices) - top
        chain = list(range(len(ranks), len(ranks) + span - 1))
        for step, dummy in enumerate(chain):
            ranks.append(top + 1 + step)
            up.append([])
            down.append([])
            link(chain[step - 1] if step else source, dummy)
        for index in indices:
            target = edges[index][1]
            via = chain[:ranks[target] - top - 1]
            link(via[-1] if via else source, target)
            paths[index] = [source, *via, target]
    return LayeredGraph(count, ranks, up, down, paths)


def layers_of(graph: LayeredGraph) -> List[List[int]]:
    """Vertices per layer in a depth-first order from the top layer (a good start for the sweeps)."""
    layers: List[List[int]] = [[] for _ in range(max(graph.rank, default=-1) + 1)]
    seen = [False] * graph.size
    down = graph.down
    rank = graph.rank
    for start in sorted(range(graph.size), key=rank.__getitem__):
        if seen[start]:
            continue
        seen[start] = True
        stack = [start]
        while stack:
            v = stack.pop()
            layers[rank[v]].append(v)
            # reversed so the first successor is visited first
            for w in reversed(down[v]):
                if not seen[w]:
                    seen[w] = True
                    stack.append(w)
    return layers
