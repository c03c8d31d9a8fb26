"""The window's group commands: Expand All / Collapse All / Expand to Level, the +/− toggle, the minimap switch,
where the selected box sits, and opening the groups around a Find hit (a mixin of MainWindow)."""

from __future__ import annotations

from ..model import Node


class GroupCommands:
    @property
    def grouping(self):
        return self.scene.grouping if self.scene is not None else None

    def command_expand_all(self) -> None:
        if self.grouping is not None:
            self.show_groups(self.grouping.tree.all_keys(), sliced=True)

    def command_collapse_all(self) -> None:
        if self.grouping is not None:
            self.show_groups(set())

    def command_expand_to_level(self) -> None:
        from tkinter import simpledialog

        if self.grouping is None:
            return
        depth = self.grouping.tree.depth
        level = simpledialog.askinteger("Expand to Level", f"Open groups down to level (0 to {depth}):",
                                        parent=self.root, minvalue=0, maxvalue=max(depth, 0), initialvalue=1)
        if level is not None:
            self.expand_to_level(level)

    def expand_to_level(self, level: int) -> None:
        if self.grouping is not None:
            self.show_groups(self.grouping.tree.level(level), sliced=True)

    def command_toggle_minimap(self) -> None:
        self.canvas.show_minimap(not self.canvas.minimap_shown)

    def toggle_group(self, box) -> None:
        """Expand a collapsed group's box, collapse an expanded group's frame."""
        state = self.grouping
        if state is None or box.group is None:
            return
        expanded = set(state.expanded if state.expanded is not None else state.tree.all_keys())
        if box.kind == "group":
            expanded.add(box.group.key)
        else:
            expanded.discard(box.group.key)
        self.show_groups(expanded)

    def show_groups(self, expanded, sliced: bool = False) -> None:
        """Draw the graph with exactly these groups open; `sliced`: lay it out in the background, with progress
        and Cancel in the status bar (Expand All on a big graph)."""
        from ..render.tk_canvas import SceneIndex
        from .grouping import BackgroundLayout, scene_for

        state, graph = self.grouping, self.graph
        if state is None or graph is None or not state.tree.root.groups():  # nothing to open or close
            return
        self._stop_slices()
        for key in [key for key in self.scenes if key[0] == id(graph)]:  # laid out with other groups open
            del self.scenes[key]
        if not sliced:
            scene = scene_for(state, expanded)
            self._scene_ready(graph, (scene, SceneIndex(scene)))
            return

        def progress(done: int, total: int) -> None:
            self.message.configure(text=f"Laying out groups… {done:,} of {total:,}")
            self.progress.configure(mode="determinate", maximum=max(total, 1), value=done)

        def finished(prepared) -> None:
            self._stop_slices()
            self._scene_ready(graph, prepared)

        def failed(error: BaseException) -> None:
            self._stop_slices()
            self._failed("Cannot lay out the groups", error)

        self.message.configure(text="Laying out groups…")
        self.cancel_button.configure(command=self._stop_slices)
        self.cancel_button.pack(side="right")
        self.progress.configure(mode="determinate", value=0)
        self.progress.pack(side="right", padx=6)
        self.sliced = BackgroundLayout(self.root, state, expanded, progress, finished, failed)

    def _stop_slices(self) -> None:
        if self.sliced is not None:
            self.sliced.cancel()
            self.sliced = None
            self.cancel_button.configure(command=self.runner.cancel)
            self.progress.configure(mode="indeterminate", value=0)
            self._busy(self.runner.current)
            self.message.configure(text=self.status_text())

    def _show_location(self, box) -> None:
        """The breadcrumb's group part: where the selected box sits."""
        from .grouping import node_location

        text = ""
        if box is not None and self.grouping is not None:
            if box.group is not None:
                text = " › ".join(group.name for group in box.group.ancestors()[1:] + [box.group])
            elif box.node is not None:
                text = node_location(self.grouping.tree, box.node)
        self.location.configure(text=f"in  {text}" if text else "")

    def _reveal(self, node: Node):
        """Open the groups around a node hidden in a collapsed group; its box in the new scene."""
        from .grouping import node_index

        state = self.grouping
        index = node_index(state.tree, node)
        if index is None or state.expanded is None:
            return None
        self.show_groups(state.tree.reveal(index, state.expanded))
        return self.canvas.box_for(node=node)
