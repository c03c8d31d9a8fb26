"""The window's side of groups: the collapse state of the graph shown, laying out a new state in slices on the
Tk thread (so Expand All never freezes the window), and the sidebar and breadcrumb texts of a group.

Each expanded group is laid out on its own and cached (grouped_scene.GroupedLayout), so a step that expands one
group is short; a big Expand All is many short steps with the event loop running between them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterator, Optional, Set, Tuple

from ..grouped_scene import GroupedLayout, format_count
from ..groups import Group, GroupTree, build_tree, default_expansion
from ..model import Graph, Node
from ..scene import Scene, ViewOptions, build_scene

Keys = Set[Tuple[str, ...]]
SLICE_SECONDS = 0.015   # work per slice: leaves the rest of a 30 ms frame to the event loop
SLICE_GAP_MS = 1


@dataclass
class GroupState:
    """The groups of the graph a scene draws and which are open (None: drawn flat, without frames)."""

    tree: GroupTree
    layout: GroupedLayout
    expanded: Optional[Keys]

    def with_expanded(self, expanded: Optional[Keys]) -> GroupState:
        return GroupState(self.tree, self.layout, None if expanded is None else set(expanded))


def initial_scene(graph: Graph, options: ViewOptions, measure) -> Scene:
    """The first picture of a graph: flat when small, else collapsed by the window's rule (groups.py)."""
    tree = build_tree(graph)
    state = GroupState(tree, GroupedLayout(tree, options, measure), default_expansion(tree))
    scene = build_scene(graph, options, measure) if state.expanded is None else state.layout.scene(state.expanded)
    scene.grouping = state
    return scene


def scene_for(state: GroupState, expanded: Keys) -> Scene:
    scene = state.layout.scene(expanded)
    scene.grouping = state.with_expanded(expanded)
    return scene


class SlicedLayout:
    """Runs `GroupedLayout.steps` a slice at a time with `widget.after`, reporting (done, total) and finally the
    scene; `cancel()` stops it (what was laid out stays cached for the next try)."""

    def __init__(self, widget, state: GroupState, expanded: Keys, progress: Callable[[int, int], None],
                 done: Callable[[Scene], None]):
        self.widget, self.state, self.expanded = widget, state, set(expanded)
        self.progress, self.done = progress, done
        self.steps: Iterator[object] = state.layout.steps(self.expanded)
        self.cancelled = False
        self._after: Optional[str] = widget.after(SLICE_GAP_MS, self._slice)

    def cancel(self) -> None:
        self.cancelled = True
        if self._after is not None:
            self.widget.after_cancel(self._after)
            self._after = None

    def _slice(self) -> None:
        self._after = None
        end = time.perf_counter() + SLICE_SECONDS
        while not self.cancelled:
            result = next(self.steps)
            if isinstance(result, Scene):
                result.grouping = self.state.with_expanded(self.expanded)
                self.done(result)
                return
            self.progress(*result)
            if time.perf_counter() > end:
                break
        if not self.cancelled:
            self._after = self.widget.after(SLICE_GAP_MS, self._slice)


def node_location(tree: GroupTree, node: Node) -> str:
    """`layers.3 › self_attn › q_proj`: the groups around a node, outermost first ("" at the top level)."""
    index = _index_of(tree, node)
    if index is None:
        return ""
    owner = tree.owner[index]
    chain = owner.ancestors()[1:] + ([owner] if owner is not tree.root else [])
    return " › ".join(group.name for group in chain)


def _index_of(tree: GroupTree, node: Node) -> Optional[int]:
    for index, candidate in enumerate(tree.graph.nodes):
        if candidate is node:
            return index
    return None


def node_index(tree: GroupTree, node: Node) -> Optional[int]:
    return _index_of(tree, node)


def show_group(sidebar, group: Group, graph: Graph) -> None:
    """The sidebar of a group: where it sits, its totals, its member groups and operators."""
    sidebar.clear(f"Group  ·  {group.path}")
    section = sidebar.section("Group", "group")
    sidebar.row(section, "name", group.name, iid="group.name")
    location = " › ".join(ancestor.name for ancestor in group.ancestors()[1:])
    if location:
        sidebar.row(section, "inside", location, iid="group.inside")
    sidebar.row(section, "operators", f"{group.size:,}", iid="group.operators")
    sidebar.row(section, "parameters", f"{group.parameters:,} ({format_count(group.parameters)})",
                iid="group.parameters")
    if group.repeats > 1:
        sidebar.row(section, "same structure", f"×{group.repeats} among its siblings", iid="group.repeats")
    members = sidebar.section("Members", "group-members")
    for number, member in enumerate(group.members):
        if isinstance(member, Group):
            sidebar.row(members, member.name, f"{member.size:,} ops", "group", iid=f"group-member.{number}")
        else:
            node = graph.nodes[member]
            sidebar.row(members, node.name or node.type.name, node.type.name, "operator", iid=f"group-member.{number}")
    counts: dict = {}
    for index in group.node_indices():
        name = graph.nodes[index].type.name
        counts[name] = counts.get(name, 0) + 1
    section = sidebar.section("Operators", "group-operators")
    for number, (name, count) in enumerate(sorted(counts.items(), key=lambda item: (-item[1], item[0]))):
        sidebar.row(section, name, f"{count:,}", iid=f"group-operator.{number}")
