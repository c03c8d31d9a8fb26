"""A Scene of a grouped graph: collapsed groups as one box, expanded groups as frames around their members.

Each expanded group is laid out on its own (its members, with expanded subgroups as boxes of their frame's
size) and cached by the expansion state inside it, so expanding or collapsing one group lays out again only
that group and its ancestors. Edges are routed in the layout of the innermost group holding both ends and
extended across frame borders to the boxes they join.
"""

from __future__ import annotations

import math
from copy import copy
from dataclasses import dataclass
from typing import Dict, FrozenSet, Iterator, List, Optional, Sequence, Set, Tuple

from . import style
from .groups import Group, GroupTree, group_label
from .layout import layout
from .model import Argument, Graph, Value
from .scene import (
    CONTROL_PREFIX,
    Box,
    Edge,
    Measure,
    Row,
    Scene,
    ViewOptions,
    _drop_hidden_labels,
    _size_box,
    edge_label,
    input_arguments,
    node_box,
    pill_box,
    shorten_middle,
)

Keys = FrozenSet[Tuple[str, ...]]
# Item: what one layout places. ("node", i), ("input", k), ("output", k), ("group", key) collapsed,
# ("frame", key) expanded.
Item = Tuple[str, object]
Point = Tuple[float, float]
# A piece of a link inside one group's layout: (from item or ("in", value) port, to item or ("out", value) port,
# value name). Stable across scenes, so cached layouts keep their routes.
Segment = Tuple[Item, Item, str]
PORT_SIZE = (1.0, 1.0)

FRAME_PAD = 10.0        # inside a frame, around its members
GROUP_TEXT = "#1A1A1A"
# One colour per distinct block structure (collapsed groups with equal signatures share it).
GROUP_PALETTE = ("#C9DAF8", "#D9EAD3", "#FCE5CD", "#EAD1DC", "#D0E0E3", "#FFF2CC", "#D9D2E9", "#F4CCCC",
                 "#CFE2F3", "#E6F0C2")
COLLAPSED_MARK = "+ "
EXPANDED_MARK = "− "


def format_count(count: int) -> str:
    """1234567 → `1.23M`: parameter totals in a group's box."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if count >= limit:
            return f"{count / limit:.3g}{suffix}"
    return str(count)


@dataclass
class _Local:
    """One expanded group's layout in its own coordinates (top-left at 0, 0)."""

    width: float
    height: float
    places: Dict[Item, Tuple[float, float]]          # item → top-left
    routes: Dict[Segment, List[Point]]
    labels: Dict[Segment, Optional[Point]]


class GroupedLayout:
    """Scenes of one graph for any set of expanded groups, laid out with one `measure`; keeps the layout of
    each expanded group so that later scenes reuse what did not change."""

    def __init__(self, tree: GroupTree, options: ViewOptions, measure: Measure):
        self.tree, self.graph, self.options, self.measure = tree, tree.graph, options, measure
        self.cache: Dict[Tuple[Tuple[str, ...], Keys], _Local] = {}
        self._boxes: Dict[Item, Box] = {}
        self._inputs = input_arguments(self.graph)
        self._producers: Dict[str, List[Item]] = {}
        self._node_by_name: Dict[str, int] = {}
        self._all_links: Optional[List[Tuple[Item, Item, Value]]] = None
        self._labels: Dict[str, str] = {}
        self._first = {group.key: min(group.node_indices(), default=0) for group in tree.groups()}
        for k, argument in enumerate(self._inputs):
            for value in argument.values:
                self._producers.setdefault(value.name, []).append(("input", k))
        for index, node in enumerate(self.graph.nodes):
            self._node_by_name.setdefault(node.name, index)
            for argument in node.outputs:
                for value in argument.values:
                    if value.name:
                        writers = self._producers.setdefault(value.name, [])
                        if ("node", index) not in writers:
                            writers.append(("node", index))

    def _order(self, item: Item) -> tuple:
        """Inputs first, then file order (a group by its first node), outputs last: a stable layout input."""
        kind, what = item
        if kind in ("input", "output", "in", "out"):
            return (0 if kind in ("input", "in") else 2, what)
        return (1, what if kind == "node" else self._first[what])

    # -- boxes ----------------------------------------------------------------------------------------------

    def _box(self, item: Item) -> Box:
        """A sized box for an item (cached; positions are set on a copy per scene)."""
        box = self._boxes.get(item)
        if box is None:
            kind, what = item
            if kind == "node":
                box = node_box(0, self.graph.nodes[what], self.options)
            elif kind == "input":
                box = pill_box(0, "input", self._inputs[what])
            elif kind == "output":
                box = pill_box(0, "output", self.graph.outputs[what])
            else:
                group = self.tree.by_key[what]
                box = _group_box(group) if kind == "group" else _frame_box(group)
            _size_box(box, self.measure)
            self._boxes[item] = box
        return box

    # -- what is visible --------------------------------------------------------------------------------

    def _visible(self, expanded: Set[Tuple[str, ...]]) -> Tuple[Dict[Item, Tuple[str, ...]], List[Item]]:
        """(item → key of the group it sits in, the visible item of every node)."""
        owner: Dict[Item, Tuple[str, ...]] = {}
        shown: List[Item] = [("node", 0)] * len(self.graph.nodes)
        stack = [self.tree.root]
        while stack:
            group = stack.pop()
            for member in group.members:
                if isinstance(member, Group):
                    if member.key in expanded:
                        owner[("frame", member.key)] = group.key
                        stack.append(member)
                    else:
                        item = ("group", member.key)
                        owner[item] = group.key
                        for index in member.node_indices():
                            shown[index] = item
                else:
                    owner[("node", member)] = group.key
                    shown[member] = ("node", member)
        for k in range(len(self._inputs)):
            owner[("input", k)] = ()
        for k in range(len(self.graph.outputs)):
            owner[("output", k)] = ()
        return owner, shown

    def _node_links(self) -> List[Tuple[Item, Item, Value]]:
        """(producer, consumer, value) per tensor between nodes and graph inputs/outputs, found once."""
        links: List[Tuple[Item, Item, Value]] = []
        seen: Set[Tuple[Item, Item, str]] = set()

        def consume(target: Item, arguments: Sequence[Argument]) -> None:
            for argument in arguments:
                for value in argument.values:
                    if not value.name or value.initializer is not None:
                        continue
                    sources = self._producers.get(value.name, [])
                    if not sources and value.name.startswith(CONTROL_PREFIX):
                        bare = value.name[len(CONTROL_PREFIX):]
                        sources = self._producers.get(bare) or (
                            [("node", self._node_by_name[bare])] if bare in self._node_by_name else [])
                    for source in sources:
                        key = (source, target, value.name)
                        if key not in seen:
                            seen.add(key)
                            links.append((source, target, value))

        for index, node in enumerate(self.graph.nodes):
            consume(("node", index), node.inputs)
        for k, argument in enumerate(self.graph.outputs):
            consume(("output", k), [argument])
        return links

    def _links(self, shown: Sequence[Item]) -> List[Tuple[Item, Item, Value]]:
        """(source item, target item, value) per tensor between two visible items, once each."""
        if self._all_links is None:
            self._all_links = self._node_links()
        links: List[Tuple[Item, Item, Value]] = []
        seen: Set[Tuple[Item, Item, str]] = set()
        for source, target, value in self._all_links:
            if source[0] == "node":
                source = shown[source[1]]
            if target[0] == "node":
                target = shown[target[1]]
            if source != target:
                key = (source, target, value.name)
                if key not in seen:
                    seen.add(key)
                    links.append((source, target, value))
        return links

    # -- scenes -----------------------------------------------------------------------------------------

    def scene(self, expanded: Set[Tuple[str, ...]]) -> Scene:
        """The picture with exactly these groups expanded (keys of the tree's groups)."""
        *_, result = self.steps(expanded)
        assert isinstance(result, Scene)
        return result

    def steps(self, expanded: Set[Tuple[str, ...]]) -> Iterator[object]:
        """Lays out group by group, yielding (done, total) between groups, and last the Scene: a caller may run
        it in small slices (the window does, so Expand All never freezes it)."""
        expanded = {key for key in expanded if key in self.tree.by_key}
        owner, shown = self._visible(expanded)
        links = self._links(shown)
        inside = self._inside(expanded)

        # a link is routed in pieces: out of each frame around its source (to a port on the frame's inside),
        # across the innermost group holding both ends, into each frame around its target (from a port)
        segments: Dict[Tuple[str, ...], Set[Segment]] = {}
        pieces: List[List[Tuple[Tuple[str, ...], Segment]]] = []
        for source, target, value in links:
            a, b = self._chain(owner, source), self._chain(owner, target)
            depth = 0
            while depth < min(len(a), len(b)) and a[depth] == b[depth]:
                depth += 1
            path: List[Tuple[Tuple[str, ...], Segment]] = []
            for level in range(len(a) - 2, depth - 1, -1):  # frames around the source, innermost first
                frame = a[level][1]
                path.append((frame, (a[level + 1], ("out", value.name), value.name)))
            path.append((a[depth - 1][1], (a[depth], b[depth], value.name)))
            for level in range(depth, len(b) - 1):
                frame = b[level][1]
                path.append((frame, (("in", value.name), b[level + 1], value.name)))
            for key, segment in path:
                segments.setdefault(key, set()).add(segment)
            pieces.append(path)

        members: Dict[Tuple[str, ...], List[Item]] = {}
        for item, key in owner.items():
            members.setdefault(key, []).append(item)
        order = [key for key in self._bottom_up(expanded)]
        locals_: Dict[Tuple[str, ...], _Local] = {}
        for done, key in enumerate(order):
            cache_key = (key, inside[key])
            local = self.cache.get(cache_key)
            if local is None:
                local = self.cache[cache_key] = self._lay_out(members.get(key, []), segments.get(key, set()),
                                                              links, locals_)
                yield done + 1, len(order)
            locals_[key] = local
        yield self._compose(locals_, links, pieces)

    def _chain(self, owner: Dict[Item, Tuple[str, ...]], item: Item) -> List[Item]:
        """The frames from the root down to `item`, and `item` itself: [("frame", ()), ..., item]."""
        chain = [item]
        key = owner[item]
        while key:
            chain.append(("frame", key))
            key = owner[("frame", key)]
        chain.append(("frame", ()))
        return chain[::-1]

    def _inside(self, expanded: Set[Tuple[str, ...]]) -> Dict[Tuple[str, ...], Keys]:
        """For the root and each expanded group: the expanded keys beneath it (what its layout depends on)."""
        inside: Dict[Tuple[str, ...], Keys] = {}
        for key in self._bottom_up(expanded):
            group = self.tree.by_key[key]
            keys: Set[Tuple[str, ...]] = set()
            for child in group.groups():
                if child.key in expanded:
                    keys.add(child.key)
                    keys.update(inside[child.key])
            inside[key] = frozenset(keys)
        return inside

    def _bottom_up(self, expanded: Set[Tuple[str, ...]]) -> List[Tuple[str, ...]]:
        order: List[Tuple[str, ...]] = []
        stack = [self.tree.root]
        while stack:
            group = stack.pop()
            order.append(group.key)
            stack.extend(child for child in group.groups() if child.key in expanded)
        return order[::-1]

    def _size(self, item: Item, locals_: Dict[Tuple[str, ...], _Local]) -> Tuple[float, float]:
        if item[0] in ("in", "out"):
            return PORT_SIZE
        if item[0] == "frame":
            local = locals_[item[1]]
            header = self._box(item).title_height
            return (max(local.width + 2 * FRAME_PAD, self._box(item).width),
                    local.height + header + 2 * FRAME_PAD)
        box = self._box(item)
        return box.width, box.height

    def _lay_out(self, items: List[Item], segments: Set[Segment], links: Sequence[Tuple[Item, Item, Value]],
                 locals_: Dict[Tuple[str, ...], _Local]) -> _Local:
        """The layout of one group's members and the pieces of links inside it (ports are 1×1 stand-ins for
        where a link crosses the frame)."""
        ordered = sorted(segments, key=lambda segment: (self._order(segment[0]), self._order(segment[1]),
                                                        segment[2]))
        ports = sorted({end for segment in ordered for end in segment[:2] if end[0] in ("in", "out")},
                       key=self._order)
        items = sorted(items, key=self._order) + ports
        if not items:
            return _Local(0.0, 0.0, {}, {}, {})
        index = {item: i for i, item in enumerate(items)}
        sizes = [self._size(item, locals_) for item in items]
        values = {value.name: value for _, _, value in links}
        pairs, label_sizes, groups = [], [], []
        group_ids: Dict[Tuple[Item, str], int] = {}
        for a, b, name in ordered:
            pairs.append((index[a], index[b]))
            group = (a, name)
            label = "" if group in group_ids or a[0] == "in" or b[0] == "out" else self._label(values[name])
            label_sizes.append(self._label_size(label) if label else None)
            groups.append(group_ids.setdefault(group, len(group_ids)))
        result = layout(sizes, pairs, label_sizes=label_sizes, edge_groups=groups,
                        horizontal=self.options.horizontal)
        places = {item: (cx - w / 2, cy - h / 2) for item, (cx, cy), (w, h) in zip(items, result.centers, sizes)}
        routes = {segment: [(float(x), float(y)) for x, y in route] for segment, route in zip(ordered, result.routes)}
        labels = {segment: position for segment, position in zip(ordered, result.label_positions)}
        return _Local(result.width, result.height, places, routes, labels)

    def _label(self, value: Value) -> str:
        label = self._labels.get(value.name)
        if label is None:
            label = self._labels[value.name] = edge_label(value, self.options)
        return label

    def _label_size(self, label: str) -> Tuple[float, float]:
        width, height = self.measure(label, "label")
        return math.ceil(width + 2 * style.LABEL_PAD), math.ceil(height + 2 * style.LABEL_PAD)

    def _compose(self, locals_: Dict[Tuple[str, ...], _Local], links: Sequence[Tuple[Item, Item, Value]],
                 pieces: Sequence[Sequence[Tuple[Tuple[str, ...], Segment]]]) -> Scene:
        """Absolute positions: each frame's members offset by the frame's place in its parent."""
        origin: Dict[Tuple[str, ...], Point] = {(): (0.0, 0.0)}
        frames: List[Box] = []
        others: List[Box] = []
        where: Dict[Item, Box] = {}
        stack: List[Tuple[str, ...]] = [()]
        while stack:
            key = stack.pop()
            ox, oy = origin[key]
            local = locals_[key]
            for item, (x, y) in sorted(local.places.items(), key=lambda entry: self._order(entry[0])):
                if item[0] in ("in", "out"):
                    continue
                box = copy(self._box(item))  # a shallow copy: rows and model objects are shared
                box.x, box.y = ox + x, oy + y
                if item[0] == "frame":
                    box.width, box.height = self._size(item, locals_)
                    inner = locals_[item[1]]
                    origin[item[1]] = (box.x + (box.width - inner.width) / 2, box.y + box.title_height + FRAME_PAD)
                    stack.append(item[1])
                    frames.append(box)
                else:
                    others.append(box)
                where[item] = box
        boxes = frames + others  # frames first: drawn under their members
        for number, box in enumerate(boxes):
            box.id = number
        edges: List[Edge] = []
        sizes: List[Optional[Tuple[float, float]]] = []
        labelled: Set[Tuple[Item, str]] = set()
        for (source, target, value), path in zip(links, pieces):
            points: List[Point] = []
            label, spot = "", None
            for key, segment in path:
                ox, oy = origin[key]
                points.extend((x + ox, y + oy) for x, y in locals_[key].routes[segment])
                position = locals_[key].labels.get(segment)
                if position is not None and segment[0][0] != "in" and segment[1][0] != "out":
                    spot = (position[0] + ox, position[1] + oy)
            if spot is not None and (source, value.name) not in labelled:
                label = self._label(value)
                labelled.add((source, value.name))
            edge = Edge(len(edges), where[source].id, where[target].id, value, label, points,
                        dashed=value.name.startswith(CONTROL_PREFIX))
            if label:
                edge.label_x, edge.label_y = spot
            edges.append(edge)
            sizes.append(self._label_size(label) if label else None)
        _drop_hidden_labels(others, edges, sizes)
        root = locals_[()]
        return Scene(self.graph, self.options, boxes, edges, root.width, root.height)


def _group_box(group: Group) -> Box:
    fill = GROUP_PALETTE[group.signature % len(GROUP_PALETTE)]
    rows = [Row("type", "", f"{group.size:,} ops")]
    if group.parameters:
        rows.append(Row("type", "", f"{format_count(group.parameters)} parameters"))
    title = COLLAPSED_MARK + shorten_middle(group_label(group), style.MAX_TITLE_CHARS)
    return Box(0, "group", title, fill, GROUP_TEXT, rows, group=group)


def _frame_box(group: Group) -> Box:
    title = EXPANDED_MARK + shorten_middle(group_label(group), style.MAX_TITLE_CHARS)
    return Box(0, "frame", title, style.FRAME_HEADER_FILL, GROUP_TEXT, [], group=group)


def grouped_scene(graph: Graph, tree: GroupTree, expanded: Set[Tuple[str, ...]], options: ViewOptions,
                  measure: Measure) -> Scene:
    """One-off: the scene of `graph` with the groups in `expanded` open."""
    return GroupedLayout(tree, options, measure).scene(expanded)
