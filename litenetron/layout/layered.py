"""The proper layered graph that every phase after layering reads and fills in: one object, not loose lists.

Vertices are integers: the caller's nodes 0..count-1, then the dummies of the tensor chains. `dummies`
builds it (ranks, unit steps, chains, edges); `order` fills `layers`, `position` fills `x`, `y` and the
layer geometry; `route` and `labels` read all of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Tuple


@dataclass
class LayeredGraph:
    count: int                 # real vertices are 0..count-1, dummies follow
    rank: List[int]            # per vertex
    up: List[List[int]]        # neighbours one layer up (deduplicated)
    down: List[List[int]]      # neighbours one layer down (deduplicated)
    up_w: List[List[int]]      # per up-neighbour: how many input edges run along that step
    down_w: List[List[int]]    # the same per down-neighbour
    chains: List[List[int]]    # per chain: its source, then its dummies top to bottom
    edge_chain: List[int]      # per layered edge: its chain
    edge_depth: List[int]      # per layered edge: how many of the chain's dummies it runs through
    # per layered edge: (upper end, lower end), the input edge it stands for, and whether it was reversed
    edges: List[Tuple[int, int]] = field(default_factory=list)
    origin: List[int] = field(default_factory=list)
    flipped: List[bool] = field(default_factory=list)
    # vertex order per layer (crossing reduction), then coordinates (dummies are points: half sizes 0)
    layers: List[List[int]] = field(default_factory=list)
    x: List[float] = field(default_factory=list)
    y: List[float] = field(default_factory=list)
    half_w: List[float] = field(default_factory=list)
    half_h: List[float] = field(default_factory=list)
    layer_y: List[float] = field(default_factory=list)        # centre y per layer
    layer_height: List[float] = field(default_factory=list)   # per layer: its tallest box

    @property
    def size(self) -> int:
        return len(self.rank)

    def path(self, edge: int, target: int) -> List[int]:
        """Vertices of an edge from its upper end to its lower end."""
        chain = self.chains[self.edge_chain[edge]]
        return chain[:self.edge_depth[edge] + 1] + [target]

    def source(self, edge: int) -> int:
        """The source of the input edge a layered edge stands for (its lower end when reversed)."""
        upper, lower = self.edges[edge]
        return lower if self.flipped[edge] else upper

    def positions(self) -> List[int]:
        """Slot of every vertex within its layer in the current `layers`."""
        pos = [0] * self.size
        for layer in self.layers:
            for i, v in enumerate(layer):
                pos[v] = i
        return pos


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
