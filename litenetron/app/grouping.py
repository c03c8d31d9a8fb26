"""The window's side of groups: the collapse state of the graph shown, laying out a big new state (Expand All)
in the background so the window stays responsive, and the sidebar and breadcrumb texts of a group.

Each expanded group is laid out on its own and cached (grouped_scene.GroupedLayout), so expanding one group is
short enough to do on the Tk thread.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional, Set, Tuple

from ..gc_pause import collector_paused
from ..grouped_scene import GroupedLayout, format_count
from ..groups import Group, GroupTree, build_tree, default_expansion
from ..model import Graph, Node
from ..scene import Scene, ViewOptions, build_scene

Keys = Set[Tuple[str, ...]]
POLL_MS = 25


@dataclass
class GroupState:
    """The groups of the graph a scene draws and which are open (None: drawn flat, without frames)."""

    tree: GroupTree
    layout: GroupedLayout
    expanded: Optional[Keys]

    def with_expanded(self, expanded: Optional[Keys]) -> GroupState:
        return GroupState(self.tree, self.layout, None if expanded is None else set(expanded))


def initial_scene(graph: Graph, options: ViewOptions, measure, keep: Optional[GroupState] = None) -> Scene:
    """The first picture of a graph: flat when small, else collapsed by the window's rule (groups.py); with
    `keep`, the groups open as they were (new view options need a new layout, not a new tree)."""
    tree = keep.tree if keep is not None else build_tree(graph)
    expanded = keep.expanded if keep is not None else default_expansion(tree)
    state = GroupState(tree, GroupedLayout(tree, options, measure), expanded)
    scene = build_scene(graph, options, measure) if state.expanded is None else state.layout.scene(state.expanded)
    scene.grouping = state
    return scene


def scene_for(state: GroupState, expanded: Keys) -> Scene:
    scene = state.layout.scene(expanded)
    scene.grouping = state.with_expanded(expanded)
    return scene


class BackgroundLayout:
    """Lays out a collapse state in a worker thread (GroupedLayout.steps, then the canvas index), reporting
    `progress(done, total)` and finally `done((scene, index))` on the Tk thread; `cancel()` drops it (what was
    laid out stays cached for the next try). The worker gives the interpreter up between groups and every few
    milliseconds, so pan and zoom keep being drawn while it works."""

    def __init__(self, widget, state: GroupState, expanded: Keys, progress: Callable[[int, int], None],
                 done: Callable[[tuple], None], failed: Callable[[BaseException], None]):
        self.widget, self.state, self.expanded = widget, state, set(expanded)
        self.progress, self.done, self.failed = progress, done, failed
        self.results: queue.Queue = queue.Queue()
        self.cancelled = threading.Event()
        threading.Thread(target=self._work, daemon=True, name="litenetron: groups").start()
        self._after: Optional[str] = widget.after(POLL_MS, self._poll)

    def cancel(self) -> None:
        self.cancelled.set()
        if self._after is not None:
            self.widget.after_cancel(self._after)
            self._after = None

    def _work(self) -> None:
        from ..render.tk_canvas import SceneIndex

        try:
            with collector_paused(keep=True):  # the window keeps the scenes: no collection stall after them
                for result in self.state.layout.steps(self.expanded):
                    if self.cancelled.is_set():
                        return
                    if isinstance(result, Scene):
                        result.grouping = self.state.with_expanded(self.expanded)
                        self.results.put(("done", (result, SceneIndex(result))))
                    else:
                        self.results.put(("progress", result))
                    time.sleep(0)  # let the Tk thread run between groups
        except BaseException as error:  # handed to the window, which shows it
            self.results.put(("failed", error))

    def _poll(self) -> None:
        self._after = None
        progress = None
        while True:
            try:
                kind, payload = self.results.get_nowait()
            except queue.Empty:
                break
            if kind == "progress":
                progress = payload
            else:
                (self.done if kind == "done" else self.failed)(payload)
                return
        if progress is not None:
            self.progress(*progress)
        if not self.cancelled.is_set():
            self._after = self.widget.after(POLL_MS, self._poll)


def node_location(tree: GroupTree, node: Node) -> str:
    """`layers.3 › self_attn › q_proj`: the groups around a node, outermost first ("" at the top level)."""
    index = node_index(tree, node)
    if index is None:
        return ""
    owner = tree.owner[index]
    chain = owner.ancestors()[1:] + ([owner] if owner is not tree.root else [])
    return " › ".join(group.name for group in chain)


def node_index(tree: GroupTree, node: Node) -> Optional[int]:
    for index, candidate in enumerate(tree.graph.nodes):
        if candidate is node:
            return index
    return None


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
