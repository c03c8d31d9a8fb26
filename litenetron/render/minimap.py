"""The minimap: an overview of the whole drawing in a corner of the graph view, with the viewport rectangle;
a click or drag in it moves the view there.

It draws boxes as small rectangles once per scene (a sample of them on huge scenes) and only moves the viewport
rectangle on pan and zoom, so it costs nothing per frame.
"""

from __future__ import annotations

import tkinter
from typing import Callable, Optional, Tuple

from .. import style
from ..scene import Scene
from . import themes

WIDTH, HEIGHT = 220, 160      # pixels, the largest the overview gets
PAD = 6
MAX_RECTANGLES = 1200          # more boxes than this: every n-th one (outer group frames always)
VIEWPORT_COLOR = "#E0201B"
FILL = "#FAFAFA"
FRAME_OUTLINE = "#9AA5B1"
# the dark theme's page, group frames and border (render/themes.py's palette)
DARK_COLOURS = {"page": themes.DARK_BACKGROUND, "frame": themes.DARK_BODY, "frame outline": themes.DARK_BORDER,
                "border": themes.DARK_BORDER}
LIGHT_COLOURS = {"page": FILL, "frame": None, "frame outline": FRAME_OUTLINE, "border": style.BORDER_COLOR}


class Minimap:
    """`move_to(scene_x, scene_y)` centres the main view on a scene point."""

    def __init__(self, parent: tkinter.Misc, move_to: Callable[[float, float], None]):
        self.move_to = move_to
        self.canvas = tkinter.Canvas(parent, width=WIDTH, height=HEIGHT, background=FILL, highlightthickness=1,
                                     highlightbackground=style.BORDER_COLOR, cursor="hand2")
        self.scene: Optional[Scene] = None
        self.scale = 1.0
        self.left = self.top = 0.0
        self.viewport: Optional[int] = None
        self.colours = LIGHT_COLOURS
        self.canvas.bind("<ButtonPress-1>", self._on_click)
        self.canvas.bind("<B1-Motion>", self._on_click)

    @property
    def shown(self) -> bool:
        return bool(self.canvas.winfo_ismapped())

    def place(self) -> None:
        self.canvas.place(relx=1.0, rely=1.0, x=-10, y=-10, anchor="se")

    def hide(self) -> None:
        self.canvas.place_forget()

    def set_dark(self, dark: bool) -> None:
        """Follow View ▸ Theme: the page, frames and border in the dark palette (operator colours stay)."""
        self.colours = DARK_COLOURS if dark else LIGHT_COLOURS
        self.canvas.configure(background=self.colours["page"], highlightbackground=self.colours["border"])
        if self.scene is not None:
            self.set_scene(self.scene)

    def set_scene(self, scene: Optional[Scene]) -> None:
        """Draw the overview of a scene (the canvas keeps the drawing's proportions)."""
        self.scene = scene
        c = self.canvas
        c.delete("all")
        self.viewport = None
        if scene is None or scene.width <= 0 or scene.height <= 0:
            return
        self.scale = min((WIDTH - 2 * PAD) / scene.width, (HEIGHT - 2 * PAD) / scene.height)
        width, height = scene.width * self.scale + 2 * PAD, scene.height * self.scale + 2 * PAD
        c.configure(width=max(40, round(width)), height=max(30, round(height)))
        self.left, self.top = PAD, PAD
        step = max(1, len(scene.boxes) // MAX_RECTANGLES)
        for index, box in enumerate(scene.boxes):
            # sampled alike, but for the outer frames (the blocks' outlines are the overview's landmarks)
            if index % step and not (box.kind == "frame" and box.group is not None and box.group.depth <= 1):
                continue
            x0, y0 = self.to_map(box.x, box.y)
            x1, y1 = self.to_map(box.x + box.width, box.y + box.height)
            if box.kind == "frame":
                c.create_rectangle(x0, y0, x1, y1, outline=self.colours["frame outline"],
                                   fill=self.colours["frame"] or box.body_fill)
            else:
                c.create_rectangle(x0, y0, max(x1, x0 + 1), max(y1, y0 + 1), outline="", fill=box.fill)
        self.viewport = c.create_rectangle(0, 0, 0, 0, outline=VIEWPORT_COLOR, width=2)

    def to_map(self, x: float, y: float) -> Tuple[float, float]:
        return self.left + x * self.scale, self.top + y * self.scale

    def to_scene(self, x: float, y: float) -> Tuple[float, float]:
        return (x - self.left) / self.scale, (y - self.top) / self.scale

    def show_view(self, x0: float, y0: float, x1: float, y1: float) -> None:
        """Where the main view is, in scene units."""
        if self.viewport is not None:
            self.canvas.coords(self.viewport, *self.to_map(x0, y0), *self.to_map(x1, y1))

    def _on_click(self, event) -> None:
        if self.scene is not None:
            self.move_to(*self.to_scene(event.x, event.y))
