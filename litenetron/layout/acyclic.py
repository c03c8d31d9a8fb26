"""Cycle removal: a depth-first search marks back edges, which the layout then lays out reversed."""

from __future__ import annotations

from typing import List, Sequence, Tuple


def back_edges(count: int, edges: Sequence[Tuple[int, int]]) -> List[bool]:
    """Per edge, True when it closes a cycle in a DFS that visits nodes and edges in input order.

    Self-loops are reported as back edges too. Reversing every marked edge leaves an acyclic graph.
    """
    out: List[List[int]] = [[] for _ in range(count)]
    for index, edge in enumerate(edges):
        out[edge[0]].append(index)
    reversed_ = [False] * len(edges)
    # 0 = unseen, 1 = on the DFS stack, 2 = finished
    state = [0] * count
    for start in range(count):
        if state[start]:
            continue
        state[start] = 1
        # iterative DFS: (node, next out-edge slot) so deep chains cannot overflow the call stack
        stack = [(start, 0)]
        while stack:
            v, slot = stack[-1]
            edges_v = out[v]
            if slot == len(edges_v):
                state[v] = 2
                stack.pop()
                continue
            stack[-1] = (v, slot + 1)
            index = edges_v[slot]
            w = edges[index][1]
            if state[w] == 1:
                reversed_[index] = True
            elif state[w] == 0:
                state[w] = 1
                stack.append((w, 0))
    return reversed_
