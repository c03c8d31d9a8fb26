"""Graph ▸ a tree of groups: module paths and name scopes from node names, or repeated blocks where names carry
no structure; plus which groups are expanded by default.

Readers only supply names, or paths where the file states them (`Node.group_path`: Keras nested models, the
module scopes torch's dynamo exporter writes into ONNX node metadata).
A torch exporter writes `/model/layers.3/self_attn/q_proj/MatMul`, tf2onnx and
TensorFlow `model/block_3/conv1/Conv2D`, TFLite tensor names `net/block_3/relu;net/block_3/conv`, TorchScript and
weights-only files dotted module paths `features.3.conv`. Every node sits in exactly one group (the root when
its name says nothing), so collapsing never loses or duplicates a node.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

from .gc_pause import collector_paused
from .model import Graph, Node

# Graphs up to this many nodes open flat; bigger ones open at the deepest level that shows at most MAX_BOXES.
MAX_FLAT_NODES = 1500
MAX_BOXES = 300
# Path components kept per name (bounds the tree's depth for hostile names).
MAX_DEPTH = 32
# Repeated-block search: candidate periods tried, shortest block and fewest repeats that count as structure.
MAX_PERIODS = 24
MIN_PERIOD = 3
MIN_REPEATS = 2
REPEAT_PREFIX = "block"
MAX_RUN = 128  # blocks of one run shown side by side at most; longer runs are cut into runs of runs


@dataclass
class Group:
    """A module or name scope. `members` are node indices and subgroups in file order; `key` is its path."""

    key: Tuple[str, ...]
    name: str
    parent: Optional[Group] = None
    members: List[object] = field(default_factory=list)  # int (a node index in graph.nodes) or Group
    depth: int = 0
    size: int = 0          # nodes beneath, at any depth
    parameters: int = 0    # weight elements beneath (each tensor once per node)
    signature: int = 0     # equal for groups with the same structure (op types and nesting)
    repeats: int = 1       # siblings with the same signature, this one included

    @property
    def path(self) -> str:
        return "/".join(self.key)

    def groups(self) -> List[Group]:
        return [member for member in self.members if isinstance(member, Group)]

    def walk(self) -> Iterator[Group]:
        """This group and every group beneath it, parents first."""
        stack = [self]
        while stack:
            group = stack.pop()
            yield group
            stack.extend(reversed(group.groups()))

    def node_indices(self) -> Iterator[int]:
        for group in self.walk():
            for member in group.members:
                if isinstance(member, int):
                    yield member

    def ancestors(self) -> List[Group]:
        """From the root down to this group's parent."""
        chain: List[Group] = []
        group = self.parent
        while group is not None:
            chain.append(group)
            group = group.parent
        return chain[::-1]


@dataclass
class GroupTree:
    """The groups of one graph; `owner[i]` is the innermost group holding node i (the root when none)."""

    graph: Graph
    root: Group
    owner: List[Group]
    by_key: Dict[Tuple[str, ...], Group]
    source: str  # "names" or "repeats" or "" (no groups)

    @property
    def depth(self) -> int:
        return max((group.depth for group in self.root.walk()), default=0)

    def groups(self) -> List[Group]:
        """Every group but the root, parents first."""
        return list(self.root.walk())[1:]

    def visible_count(self, expanded: Set[Tuple[str, ...]]) -> int:
        """Boxes drawn when exactly the groups in `expanded` (and the root) are open."""
        count = 0
        stack = [self.root]
        while stack:
            group = stack.pop()
            for member in group.members:
                if isinstance(member, Group) and member.key in expanded:
                    stack.append(member)
                else:
                    count += 1
        return count

    def level(self, depth: int) -> Set[Tuple[str, ...]]:
        """The groups open when everything down to `depth` is open (0: only the root's members show)."""
        return {group.key for group in self.groups() if group.depth <= depth}

    def all_keys(self) -> Set[Tuple[str, ...]]:
        return {group.key for group in self.groups()}

    def reveal(self, node_index: int, expanded: Set[Tuple[str, ...]]) -> Set[Tuple[str, ...]]:
        """`expanded` plus every group around node `node_index`, so that node is drawn."""
        owner = self.owner[node_index]
        keys = {group.key for group in owner.ancestors()[1:]}
        if owner is not self.root:
            keys.add(owner.key)
        return set(expanded) | keys

    def visible_group(self, node_index: int, expanded: Set[Tuple[str, ...]]) -> Optional[Group]:
        """The outermost collapsed group that hides node `node_index`, or None when the node is drawn."""
        owner = self.owner[node_index]
        for group in owner.ancestors()[1:] + ([owner] if owner is not self.root else []):
            if group.key not in expanded:
                return group
        return None


def default_expansion(tree: GroupTree, max_flat: int = MAX_FLAT_NODES,
                      max_boxes: int = MAX_BOXES) -> Optional[Set[Tuple[str, ...]]]:
    """None (draw flat, as without groups) for small graphs; else the deepest level showing ≤ `max_boxes`."""
    if len(tree.graph.nodes) <= max_flat or not tree.root.groups():
        return None
    best = tree.level(0)
    for depth in range(1, tree.depth + 1):
        keys = tree.level(depth)
        if tree.visible_count(keys) > max_boxes:
            break
        best = keys
    return best


# -- names ▸ paths ----------------------------------------------------------------------------------------


def _scope_name(node: Node) -> str:
    """The name that carries the node's scope: its own, or (TFLite, nameless ONNX) its first output's."""
    if "/" in node.name or "." in node.name:
        return node.name
    for argument in node.outputs:
        for value in argument.values:
            if "/" in value.name:
                return value.name.split(";", 1)[0]
    return node.name


def _slash_path(name: str) -> List[str]:
    """`/model/layers.3/attn/MatMul` → model, layers.3, attn (the last part names the operator)."""
    parts = [part for part in name.split("/") if part]
    return parts[:-1][:MAX_DEPTH]


def _dotted_path(name: str) -> List[str]:
    """`features.3.conv` (a module path: every part is a scope; a lone number names its parent's child)."""
    parts = [part for part in name.split(".") if part]
    return parts[:MAX_DEPTH]


def stated_paths(graph: Graph) -> Optional[List[List[str]]]:
    """The group paths the reader took from the file, when it gave any: then they speak for every node (one
    without a path sits at the top), and names are not read for scopes."""
    if not any(node.group_path for node in graph.nodes):
        return None
    return [list(node.group_path[:MAX_DEPTH]) for node in graph.nodes]


def name_paths(graph: Graph) -> List[List[str]]:
    """A scope path per node from its name (empty when the name says nothing)."""
    names = [_scope_name(node) for node in graph.nodes]
    slashed = sum("/" in name for name in names)
    dotted = sum("." in name for name in names)
    if slashed and slashed >= dotted:
        paths = [_slash_path(name) for name in names]
        # TensorFlow: `global_step` and `global_step/Assign` belong together
        scopes = {tuple(path[:length]) for path in paths for length in range(1, len(path) + 1)}
        for index, name in enumerate(names):
            full = [part for part in name.split("/") if part][:MAX_DEPTH]
            if len(full) > len(paths[index]) and tuple(full) in scopes:
                paths[index] = full
        return paths
    if dotted:
        return [_dotted_path(name) if "/" not in name else [] for name in names]
    return [[] for _ in names]


# -- the tree ---------------------------------------------------------------------------------------------


def _display_name(parent: Group, part: str) -> str:
    """`layers` › `3` reads `layers.3`; other parts read as they are."""
    if part.isdigit() and parent.key:
        return f"{parent.name}.{part}"
    return part


def _tree_from_paths(graph: Graph, paths: Sequence[Sequence[str]]) -> Group:
    root = Group((), "")
    by_key: Dict[Tuple[str, ...], Group] = {(): root}
    for index, path in enumerate(paths):
        group = root
        for length in range(1, len(path) + 1):
            key = tuple(path[:length])
            child = by_key.get(key)
            if child is None:
                child = by_key[key] = Group(key, _display_name(group, path[length - 1]), group)
                group.members.append(child)
            group = child
        group.members.append(index)
    return root


def _simplify(group: Group) -> None:
    """Drop groups that add nothing: one holding a single node gives it to its parent; one holding a single
    group takes that group's members (its name then reads `outer/inner`)."""
    stack = [group]
    while stack:
        current = stack.pop()
        members: List[object] = []
        for member in current.members:
            while isinstance(member, Group) and len(member.members) == 1:
                inner = member.members[0]
                if isinstance(inner, Group):
                    inner.name = f"{member.name}/{inner.name}"
                    inner.parent = current
                member = inner
            if isinstance(member, Group):
                member.parent = current
            members.append(member)
        current.members = members
        stack.extend(member for member in members if isinstance(member, Group))


def _finish(graph: Graph, root: Group, source: str) -> GroupTree:
    """Depths, sizes, parameters, structure signatures and sibling runs; the owner of every node."""
    _simplify(root)
    order = list(root.walk())
    owner: List[Group] = [root] * len(graph.nodes)
    for group in order:
        group.depth = 0 if group.parent is None else group.parent.depth + 1
    signatures: Dict[tuple, int] = {}
    for group in reversed(order):  # children before parents
        size = parameters = 0
        shape: List[object] = []
        for member in group.members:
            if isinstance(member, Group):
                size += member.size
                parameters += member.parameters
                shape.append(member.signature)
            else:
                owner[member] = group
                node = graph.nodes[member]
                size += 1
                parameters += sum(value.initializer.size or 0 for _, value in node.weights())
                shape.append(node.type.name)
        group.size, group.parameters = size, parameters
        group.signature = signatures.setdefault(tuple(shape), len(signatures))
    for group in order:
        counts = Counter(child.signature for child in group.groups())
        for child in group.groups():
            child.repeats = counts[child.signature]
    by_key = {group.key: group for group in order}
    return GroupTree(graph, root, owner, by_key, source if len(order) > 1 else "")


def build_tree(graph: Graph) -> GroupTree:
    """Groups from the names when they carry scopes, else from repeated runs of operators."""
    with collector_paused():  # many small lists over a big model's heap
        return _build_tree(graph)


def _build_tree(graph: Graph) -> GroupTree:
    producers = _producer_index(graph)
    # Stated paths are kept as they are: a nested model holding nearly everything (a transfer-learning base)
    # is still the model's structure, and the layers after it are not its members.
    paths = stated_paths(graph)
    if paths is not None:
        paths = adopt_between(paths, producers)
    else:
        paths = adopt_sources(name_paths(graph), producers, [node.name for node in graph.nodes])
        # a scope around (nearly) everything, like `gpu_0/` or a model's own name, tells nothing: look inside it
        firsts = Counter(path[0] for path in paths if path)
        if firsts and firsts.most_common(1)[0][1] >= 0.9 * len(paths):
            outer = firsts.most_common(1)[0][0]
            paths = [path[1:] if path and path[0] == outer else path for path in paths]
    if any(paths):
        tree = _finish(graph, _tree_from_paths(graph, paths), "names")
        if tree.root.groups() and tree.root.size and len(tree.root.members) < tree.root.size:
            return tree
    return _finish(graph, _tree_from_paths(graph, repeat_paths(graph, producers)), "repeats")


def _common(paths: Sequence[Sequence[str]]) -> List[str]:
    """The longest scope all of `paths` start with."""
    if not paths:
        return []
    common = list(paths[0])
    for path in paths[1:]:
        length = 0
        while length < min(len(common), len(path)) and common[length] == path[length]:
            length += 1
        del common[length:]
    return common


def adopt_sources(paths: List[List[str]], producers: Sequence[Sequence[int]],
                  graph_names: Sequence[str]) -> List[List[str]]:
    """Scopes for nodes whose names give none, from their neighbours (file order, so one pass follows a chain):
    a node reading constant generators with a scope (weights named `block_3/conv1_w`) takes theirs; else a
    named one reading only nodes of one scope joins it (a Relu after its Conv); a constant generator without a
    scope joins the common scope of its consumers (drawn next to them, not as a long edge from the top)."""
    result = [list(path) for path in paths]
    sources = [not inputs for inputs in producers]
    for index, inputs in enumerate(producers):
        if result[index] or not inputs:
            continue
        weights = [result[p] for p in inputs if sources[p] and result[p]]
        if weights:
            result[index] = _common(weights)
        elif graph_names[index] and all(result[p] == result[inputs[0]] for p in inputs):
            result[index] = list(result[inputs[0]])
    consumers = _consumer_index(producers)
    for index in range(len(result)):
        if not result[index] and sources[index] and consumers[index]:
            result[index] = _common([result[c] for c in consumers[index]])
    return result


def adopt_between(paths: List[List[str]], producers: Sequence[Sequence[int]]) -> List[List[str]]:
    """A node without a stated path (one an optimizer added, like the Split after a torch attention
    projection) joins the scope shared by every node it reads and every node reading it; a layer between
    a nested model and the top level shares nothing with both, and a model's input and output layers have
    no neighbour on one side, so they stay at the top."""
    consumers = _consumer_index(producers)
    result = [list(path) for path in paths]
    for index, path in enumerate(paths):
        if not path and producers[index] and consumers[index]:  # sources and sinks stay where they were put
            result[index] = _common([result[n] for n in list(producers[index]) + consumers[index]])
    return result


# -- repeated structure -----------------------------------------------------------------------------------


def _producer_index(graph: Graph) -> List[List[int]]:
    """For each node, the nodes (by index) whose outputs it reads."""
    producers: Dict[str, int] = {}
    for index, node in enumerate(graph.nodes):
        for argument in node.outputs:
            for value in argument.values:
                if value.name:
                    producers.setdefault(value.name, index)
    return [[producers[value.name] for argument in node.inputs for value in argument.values
             if value.initializer is None and value.name in producers] for node in graph.nodes]


def _consumer_index(producers: Sequence[Sequence[int]]) -> List[List[int]]:
    """For each node, the nodes (by index) that read its outputs: `_producer_index` turned around."""
    consumers: List[List[int]] = [[] for _ in producers]
    for consumer, inputs in enumerate(producers):
        for source in inputs:
            consumers[source].append(consumer)
    return consumers


def _similar(a: Counter, b: Counter, length: int) -> bool:
    """Two stretches hold nearly the same operators (an exporter may hoist a mask out of later blocks)."""
    return sum(((a - b) + (b - a)).values()) <= max(1, length // 10)


def _best_run(types: Sequence[str], start: int, stop: int) -> Optional[List[int]]:
    """The block boundaries (indices, first to last) of the longest stretch of `types[start:stop]` cut into
    similar blocks at every m-th occurrence of one operator, or None."""
    where: Dict[str, List[int]] = {}
    for index in range(start, stop):
        where.setdefault(types[index], []).append(index)
    best: Optional[List[int]] = None
    best_cover = 0
    candidates = sorted((positions for positions in where.values() if len(positions) >= MIN_REPEATS + 1),
                        key=len)[:MAX_PERIODS]
    for positions in candidates:
        for stride in range(1, 5):
            anchors = positions[::stride]
            pieces = [tuple(types[a:b]) for a, b in zip(anchors, anchors[1:])]
            run_start = 0
            for j in range(1, len(pieces) + 1):
                length = anchors[j] - anchors[j - 1]
                if j < len(pieces) and length >= MIN_PERIOD and (pieces[j - 1] == pieces[j] or (
                        abs(len(pieces[j]) - length) <= max(1, length // 10) and
                        _similar(Counter(pieces[j - 1]), Counter(pieces[j]), length))):
                    continue
                blocks = j - run_start
                cover = anchors[j] - anchors[run_start]
                if blocks >= MIN_REPEATS and cover // blocks >= MIN_PERIOD and cover > best_cover:
                    best_cover, best = cover, anchors[run_start:j + 1]
                run_start = j
    return best


def _cuts(producers: Sequence[Sequence[int]], count: int) -> List[int]:
    """cuts[b]: how many connections go from a node before b to a node at or after b."""
    difference = [0] * (count + 2)
    for consumer, sources in enumerate(producers):
        for source in set(sources):
            if source < consumer:
                difference[source + 1] += 1
                difference[consumer + 1] -= 1
    cuts, running = [], 0
    for b in range(count + 1):
        running += difference[b]
        cuts.append(running)
    return cuts


def repeat_paths(graph: Graph, producers: Optional[Sequence[Sequence[int]]] = None) -> List[List[str]]:
    """Paths `block.K` for nodes inside runs of identical blocks (same operators, same wiring), found in file
    order; each block boundary is put where the fewest connections cross (between residual adds)."""
    count = len(graph.nodes)
    paths: List[List[str]] = [[] for _ in range(count)]
    if count < MIN_PERIOD * MIN_REPEATS:
        return paths
    producers = _producer_index(graph) if producers is None else producers
    types = [node.type.name for node in graph.nodes]
    cuts = _cuts(producers, count)
    spans = [(0, count)]
    number = 0
    while spans and number < 8:
        spans.sort(key=lambda span: span[0] - span[1])
        start, stop = spans.pop(0)
        bounds = _best_run(types, start, stop)
        if bounds is None:
            continue
        # move every boundary by the same step to where the fewest connections cross (between residual adds)
        shortest = min(b - a for a, b in zip(bounds, bounds[1:]))
        steps = range(-(shortest // 2), shortest // 2 + 1)
        shift = min(steps, key=lambda d: (sum(cuts[min(max(b + d, start), stop)] for b in bounds), abs(d)))
        bounds = [min(max(b + shift, start), stop) for b in bounds]
        prefix = f"{REPEAT_PREFIX}{number}" if number else REPEAT_PREFIX
        # thousands of small blocks: runs of `chunk` blocks make a level between, so no level is a sea
        chunk = math.ceil((len(bounds) - 1) / MAX_RUN) if len(bounds) - 1 > MAX_RUN else 0
        for k, (a, b) in enumerate(zip(bounds, bounds[1:])):
            path = [prefix, str(k // chunk), str(k)] if chunk else [prefix, str(k)]
            for index in range(a, b):
                paths[index] = path
        number += 1
        spans.extend(span for span in ((start, bounds[0]), (bounds[-1], stop))
                     if span[1] - span[0] >= MIN_PERIOD * MIN_REPEATS)
    return paths


def group_label(group: Group) -> str:
    """The header of a collapsed group: its name, and how many siblings share its structure."""
    return f"{group.name}  ×{group.repeats}" if group.repeats > 1 else group.name
