"""Selections as places to go: sidebar rows that lead somewhere, edges selected and brought into view, and the
Back/Forward history of selections (Alt+Left / Alt+Right), which spans the nested graphs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

from ..model import Argument, Node, Tensor, Value

HISTORY_LIMIT = 200


@dataclass
class Place:
    """What was selected, in which graph (the breadcrumb stack of the moment)."""
    stack: list
    node: Optional[Node] = None
    value: Optional[Value] = None
    argument: Optional[Argument] = None

    def same(self, other: Place) -> bool:
        return (self.node is other.node and self.value is other.value and self.argument is other.argument
                and [g for g, _ in self.stack] == [g for g, _ in other.stack])


class Navigator:
    def __init__(self, window):
        self.window = window
        self.back_list: List[Place] = []
        self.forward_list: List[Place] = []
        self.current: Optional[Place] = None
        self.pending: Optional[Place] = None   # to select once the graph it is in has been laid out
        self._walking = False

    # -- history ------------------------------------------------------------------------------------------

    def record(self, node: Optional[Node] = None, value: Optional[Value] = None,
               argument: Optional[Argument] = None) -> None:
        """A new selection: the old one goes on the back list, the forward list is dropped."""
        if self._walking:
            return
        place = Place(list(self.window.stack), node, value, argument)
        if self.current is not None and self.current.same(place):
            return
        if self.current is not None:
            self.back_list.append(self.current)
            del self.back_list[:-HISTORY_LIMIT]
        self.forward_list.clear()
        self.current = place

    def clear(self) -> None:
        self.back_list.clear()
        self.forward_list.clear()
        self.current = self.pending = None

    def back(self) -> None:
        if self.back_list:
            if self.current is not None:
                self.forward_list.append(self.current)
            self._go(self.back_list.pop())

    def forward(self) -> None:
        if self.forward_list:
            if self.current is not None:
                self.back_list.append(self.current)
            self._go(self.forward_list.pop())

    def _go(self, place: Place) -> None:
        self.current = place
        window = self.window
        if [g for g, _ in place.stack] != [g for g, _ in window.stack]:
            window.stack = list(place.stack)
            self.pending = place
            window.lay_out_current()
            return
        self.show(place)

    def scene_ready(self) -> None:
        """The window drew a graph: select what the history walked to in it."""
        place, self.pending = self.pending, None
        if place is not None and place.stack and place.stack[-1][0] is self.window.graph:
            self.show(place)

    def show(self, place: Place) -> None:
        self._walking = True
        try:
            if place.node is not None or place.argument is not None:
                self.select_box(place.node, place.argument)
            elif place.value is not None:
                self.select_value(place.value)
            else:
                self.window.canvas.select(None, None)
                self.window.sidebar.show_graph(self.window.graph)
        finally:
            self._walking = False

    # -- going somewhere ----------------------------------------------------------------------------------

    def select_box(self, node: Optional[Node] = None, argument: Optional[Argument] = None) -> bool:
        window = self.window
        box = window.canvas.box_for(node=node, argument=argument)
        if box is None:
            return False
        window.canvas.select(box.id)
        window.canvas.center_on(box.id)
        window.show_selection(box, None)
        return True

    def select_value(self, value: Value) -> bool:
        """Select the edge that carries `value` (the first, when it fans out) and bring its middle into view."""
        window = self.window
        scene = window.scene
        if scene is None:
            return False
        edge = next((e for e in scene.edges if e.value is value), None) or \
            next((e for e in scene.edges if value.name and e.value.name == value.name), None)
        if edge is None:
            return False
        canvas = window.canvas
        canvas.select(None, edge.id)
        if edge.points:
            x, y = edge.points[len(edge.points) // 2]
            width, height = canvas.size()
            canvas.ox, canvas.oy = x * canvas.zoom - width / 2, y * canvas.zoom - height / 2
            canvas.redraw()
        window.show_selection(None, edge)
        return True

    def follow(self, target) -> bool:
        """A sidebar row's link: a Node, a Value (its edge, or its tensor when it is a weight) or a Tensor."""
        window = self.window
        if isinstance(target, Node):
            return self.select_box(node=target)
        if isinstance(target, Value):
            if target.initializer is not None:
                window.sidebar.show_tensor(target.initializer)
                return True
            return self.select_value(target)
        if isinstance(target, Tensor):
            window.sidebar.show_tensor(target)
            return True
        return False
