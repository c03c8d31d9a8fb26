"""Draw a Scene on a Tk canvas, only what is in view: a grid index finds the boxes and edges near the window;
items that leave the view are deleted, so the canvas never holds the whole graph.

Screen position = scene position × zoom − origin. Panning moves the drawn items and draws what came into view;
zooming redraws the view. At low zoom boxes are drawn as plain rectangles without text and edges as polylines.
"""

from __future__ import annotations

import math
import tkinter
import tkinter.font as tkfont
from typing import Callable, Dict, Iterable, List, Optional, Set, Tuple

from .. import style
from ..scene import BOXED_KINDS, Box, Edge, Scene, arrow, row_width, smooth_path
from .themes import ThemedCanvas

CELL = 256.0           # grid index cell size, scene units
MARGIN = 200.0         # screen pixels drawn beyond the window edges, so short pans draw little
MIN_ZOOM, MAX_ZOOM = 0.02, 8.0
MAX_FIT_ZOOM = 2.0     # Fit to Window does not blow a three-box graph up to fill the screen
TEXT_MIN_PIXELS = 5    # below this title size, boxes are drawn without text (overview)
HINTING_SLACK = 0.94   # fonts away from zoom 1 are picked a little small: hinting widens small sizes unevenly
HOVER = "#3B82D8"
OVERVIEW_TEXT_PIXELS = 9  # op types and group names drawn at this size in overview zoom, where they fit
LABEL_REACH = 150.0    # how far an edge label may stick out beside its route, scene units
SHIFT_OR_CONTROL = 0x1 | 0x4 | 0x8  # Tk event state bits (Shift, Control, Alt: the zoom and history keys)
EXTRA_CHARS = "×⟨⟩…·→←↑↓°µ²³±≤≥⊞"
# DejaVu's tall, thin ⟨ ⟩ read as ( ) at box-row sizes: the screen draws (and measures) chevrons instead.
ON_SCREEN = str.maketrans({"⟨": "‹", "⟩": "›"})


class TkMeasure:
    """Text metrics of the canvas fonts at zoom 1, safe to call from worker threads.

    Tk may only be called on its own thread, so each character's advance is measured once up front (Tk sums
    advances without kerning, so a string's width is exactly the sum) and strings are summed and cached later.
    """

    def __init__(self, root: tkinter.Misc):
        self.fonts = {name: base_font(root, name) for name in style.FONTS}
        self.advances: Dict[str, Dict[str, int]] = {}
        self.heights: Dict[str, int] = {}
        self.fallback: Dict[str, int] = {}
        characters = [chr(code) for code in range(32, 127)] + list(EXTRA_CHARS)
        for name, font in self.fonts.items():
            self.advances[name] = {c: font.measure(c.translate(ON_SCREEN)) for c in characters}
            self.heights[name] = font.metrics("linespace")
            self.fallback[name] = font.measure("W")
        self.cache: Dict[Tuple[str, str], Tuple[float, float]] = {}

    def __call__(self, text: str, style_name: str) -> Tuple[float, float]:
        key = (style_name, text)
        size = self.cache.get(key)
        if size is None:
            advances, fallback = self.advances[style_name], self.fallback[style_name]
            size = (float(sum(advances.get(c, fallback) for c in text)), float(self.heights[style_name]))
            self.cache[key] = size
        return size


def ui_scale(widget: tkinter.Misc) -> float:
    """How much bigger than a 96 dpi screen to draw (Tk's scaling is pixels per point; 96 dpi is 4/3), in
    quarter steps, never below 1: a 2× screen gets 2."""
    try:
        factor = float(widget.tk.call("tk", "scaling")) / (96 / 72)
    except (tkinter.TclError, ValueError):
        return 1.0
    return max(1.0, round(factor * 4) / 4)


def base_font(root: tkinter.Misc, style_name: str, pixels: Optional[int] = None) -> tkfont.Font:
    spec = style.FONTS[style_name]
    size = pixels if pixels is not None else max(1, round(spec.size))
    return tkfont.Font(root=root, family=style.FONT_FAMILY, size=-size, weight="bold" if spec.bold else "normal")


def rounded_rect(x0: float, y0: float, x1: float, y1: float, r: float, top_only: bool = False) -> List[float]:
    """Polygon points that `smooth=True` turns into a rounded rectangle (doubled points keep sides straight)."""
    r = max(0.0, min(r, (x1 - x0) / 2, (y1 - y0) / 2))
    if top_only:
        return [x0, y1, x0, y1, x0, y0 + r, x0, y0 + r, x0, y0, x0 + r, y0, x0 + r, y0, x1 - r, y0, x1 - r, y0,
                x1, y0, x1, y0 + r, x1, y0 + r, x1, y1, x1, y1]
    return [x0 + r, y0, x0 + r, y0, x1 - r, y0, x1 - r, y0, x1, y0, x1, y0 + r, x1, y0 + r, x1, y1 - r,
            x1, y1 - r, x1, y1, x1 - r, y1, x1 - r, y1, x0 + r, y1, x0 + r, y1, x0, y1, x0, y1 - r, x0, y1 - r,
            x0, y0 + r, x0, y0 + r, x0, y0]


class SceneIndex:
    """Scene-space grid buckets of box and edge ids, to find what a rectangle touches without scanning all, and
    the edges of each tensor. Pure Python: built in the worker thread next to the layout."""

    def __init__(self, scene: Scene):
        self.scene = scene
        self.boxes: Dict[Tuple[int, int], List[int]] = {}
        self.edges: Dict[Tuple[int, int], List[int]] = {}
        self.consumers: Dict[str, List[int]] = {}   # value name → edge ids
        self.edge_bounds: List[Tuple[float, float, float, float]] = []
        for box in scene.boxes:
            self._add(self.boxes, box.id, box.x, box.y, box.x + box.width, box.y + box.height)
        for edge in scene.edges:
            cells: Set[Tuple[int, int]] = set()
            for (ax, ay), (bx, by) in zip(edge.points, edge.points[1:]):
                cells.update(self._cells(min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)))
            xs = [x for x, _ in edge.points] or [0.0]
            ys = [y for _, y in edge.points] or [0.0]
            if edge.label:
                cells.update(self._cells(edge.label_x, edge.label_y, edge.label_x, edge.label_y))
                xs.append(edge.label_x)
                ys.append(edge.label_y)
            self.edge_bounds.append((min(xs) - LABEL_REACH, min(ys), max(xs) + LABEL_REACH, max(ys)))
            for cell in cells:
                self.edges.setdefault(cell, []).append(edge.id)
            self.consumers.setdefault(edge.value.name, []).append(edge.id)

    @staticmethod
    def _cells(x0: float, y0: float, x1: float, y1: float) -> Iterable[Tuple[int, int]]:
        for cx in range(math.floor(x0 / CELL), math.floor(x1 / CELL) + 1):
            for cy in range(math.floor(y0 / CELL), math.floor(y1 / CELL) + 1):
                yield cx, cy

    def _add(self, table, item: int, x0: float, y0: float, x1: float, y1: float) -> None:
        for cell in self._cells(x0, y0, x1, y1):
            table.setdefault(cell, []).append(item)

    def query(self, x0: float, y0: float, x1: float, y1: float) -> Tuple[Set[int], Set[int]]:
        """Ids of the boxes and edges whose bounds meet the rectangle (exactly, so a pan step draws a thin
        strip rather than whole grid cells at once)."""
        boxes: Set[int] = set()
        edges: Set[int] = set()
        for cell in self._cells(x0, y0, x1, y1):
            boxes.update(self.boxes.get(cell, ()))
            edges.update(self.edges.get(cell, ()))
        all_boxes, bounds = self.scene.boxes, self.edge_bounds
        boxes = {i for i in boxes if all_boxes[i].x < x1 and all_boxes[i].y < y1 and
                 all_boxes[i].x + all_boxes[i].width > x0 and all_boxes[i].y + all_boxes[i].height > y0}
        edges = {i for i in edges if bounds[i][0] < x1 and bounds[i][1] < y1 and bounds[i][2] > x0 and
                 bounds[i][3] > y0}
        return boxes, edges


class GraphCanvas:
    """The graph view. `on_select(box, edge)` on click (both None: background), `on_activate(box)` on
    double-click."""

    def __init__(self, parent: tkinter.Misc, on_select: Callable[[Optional[Box], Optional[Edge]], None],
                 on_activate: Callable[[Box], None]):
        self.frame = tkinter.Frame(parent, background=style.BACKGROUND)
        self.canvas = ThemedCanvas(self.frame, background=style.BACKGROUND, highlightthickness=0,
                                     closeenough=3.0, takefocus=True)
        self.canvas.pack(fill="both", expand=True)
        self.on_select, self.on_activate = on_select, on_activate
        self.measure = TkMeasure(self.canvas)
        # one font per text style, resized with the zoom: Tk re-lays out every text item that uses it
        self.fonts: Dict[str, tkfont.Font] = {name: base_font(self.canvas, name) for name in style.FONTS}
        self.overview_font = base_font(self.canvas, "title", OVERVIEW_TEXT_PIXELS)
        self.canvas.title_font = str(self.fonts["title"])
        # HiDPI: actual size, line widths and the pointer's reach grow with the screen's scaling
        self.ui_scale = ui_scale(self.canvas)
        self.canvas.configure(closeenough=3.0 * self.ui_scale)
        self.scene: Optional[Scene] = None
        self.index: Optional[SceneIndex] = None
        self.zoom = 1.0
        self.ox = self.oy = 0.0
        self.drawn_boxes: Dict[int, int] = {}   # box id → its frame item (outline for selection/hover)
        self.drawn_edges: Dict[int, int] = {}   # edge id → its line item
        self.simple = False                     # the drawn items are the overview (no text) kind
        self.selected_box: Optional[int] = None
        self.selected_edge: Optional[int] = None
        self.hover: Optional[Tuple[str, int]] = None
        self.paths: Dict[int, Tuple[List[float], List[float]]] = {}  # edge id → smoothed line, arrowhead
        self._press: Optional[Tuple[int, int]] = None
        self._dragged = False
        # a click on the +/− at the start of a group's header: on_toggle(box) (set by the window)
        self.on_toggle: Optional[Callable[[Box], None]] = None
        from .minimap import Minimap

        self.minimap = Minimap(self.frame, self.look_at)
        self.minimap_shown = True
        self.wheel_zooms = False                # the mouse wheel zooms instead of scrolling (Ctrl+M)
        self._bind()

    # -- scene --------------------------------------------------------------------------------------------

    def set_scene(self, scene: Optional[Scene], keep_view: bool = False, index: Optional[SceneIndex] = None) -> None:
        """Show a scene (None: nothing); `index` may be built beforehand, off the Tk thread. With `keep_view`
        (the same graph laid out again) the zoom stays and the selected box, or the one nearest the middle of
        the window, stays where it was on screen."""
        anchor = self._anchor() if keep_view else None
        selected = self.scene.boxes[self.selected_box].node if self.scene and self.selected_box is not None else None
        self.canvas.delete("all")
        self.drawn_boxes.clear()
        self.drawn_edges.clear()
        self.paths.clear()
        self.selected_box = self.selected_edge = None
        self.hover = None
        self.scene = scene
        self.minimap.set_scene(scene)
        self._place_minimap()
        if scene is None:
            self.index = None
            return
        self.index = index if index is not None and index.scene is scene else SceneIndex(scene)
        box = self.box_for(node=selected) if keep_view and selected is not None else None
        self.selected_box = box.id if box is not None else None
        box = self.box_for(node=anchor[0], argument=anchor[1], group=anchor[4]) if anchor else None
        if box is None:
            self.initial_view()
        else:
            self.ox = (box.x + box.width / 2) * self.zoom - anchor[2]
            self.oy = (box.y + box.height / 2) * self.zoom - anchor[3]
        self.redraw()

    def _anchor(self) -> Optional[tuple]:
        """(node, argument, screen x, screen y) of the box the eye is on: the selected one, else the one whose
        centre is nearest the middle of the window."""
        if self.scene is None or not self.drawn_boxes:
            return None
        width, height = self.size()
        z = self.zoom

        def centre(box: Box) -> Tuple[float, float]:
            return (box.x + box.width / 2) * z - self.ox, (box.y + box.height / 2) * z - self.oy

        if self.selected_box is not None and self.selected_box in self.drawn_boxes:
            box = self.scene.boxes[self.selected_box]
        else:
            box = min((self.scene.boxes[i] for i in self.drawn_boxes),
                      key=lambda b: (centre(b)[0] - width / 2) ** 2 + (centre(b)[1] - height / 2) ** 2)
        return (box.node, box.argument) + centre(box) + (box.group.key if box.group is not None else None,)

    def box_for(self, node=None, argument=None, group=None) -> Optional[Box]:
        """The box of a node, a graph input/output, or a group (its collapsed box or its frame, by key)."""
        if self.scene is None:
            return None
        for box in self.scene.boxes:
            if (node is not None and box.node is node) or (argument is not None and box.argument is argument) or \
                    (group is not None and box.group is not None and box.group.key == group):
                return box
        return None

    # -- minimap ------------------------------------------------------------------------------------------

    def show_minimap(self, shown: bool) -> None:
        self.minimap_shown = shown
        self._place_minimap()

    def _place_minimap(self) -> None:
        if self.minimap_shown and self.scene is not None and self.scene.boxes:
            self.minimap.place()
        else:
            self.minimap.hide()

    def look_at(self, x: float, y: float) -> None:
        """Centre the view on scene point (x, y), keeping the zoom."""
        width, height = self.size()
        self.ox, self.oy = x * self.zoom - width / 2, y * self.zoom - height / 2
        self.redraw()

    def first_edge(self, box: Box) -> Optional[Edge]:
        for edge in self.scene.edges if self.scene else ():
            if box.id in (edge.source, edge.target):
                return edge
        return None

    def connection(self, edge: Edge) -> Tuple[Optional[Box], List[Box]]:
        """(producer box, consumer boxes) of the tensor an edge carries."""
        boxes = self.scene.boxes
        return boxes[edge.source], [boxes[self.scene.edges[i].target] for i in self.index.consumers[edge.value.name]]

    # -- view ---------------------------------------------------------------------------------------------

    def size(self) -> Tuple[int, int]:
        return max(1, self.canvas.winfo_width()), max(1, self.canvas.winfo_height())

    def initial_view(self) -> None:
        """Actual size, centred horizontally; the top of the graph at the top unless it all fits."""
        self.canvas.update_idletasks()
        width, height = self.size()
        self.zoom = self.ui_scale
        self.ox = self.scene.width * self.zoom / 2 - width / 2
        tall = self.scene.height * self.zoom
        self.oy = -20.0 if tall + 40 > height else (tall - height) / 2

    def fit_zoom(self) -> float:
        width, height = self.size()
        if self.scene is None or self.scene.width <= 0 or self.scene.height <= 0:
            return 1.0
        return max(MIN_ZOOM, min(MAX_FIT_ZOOM, (width - 40) / self.scene.width, (height - 40) / self.scene.height))

    def fit(self) -> None:
        if self.scene is None:
            return
        self.zoom = self.fit_zoom()
        width, height = self.size()
        self.ox = (self.scene.width * self.zoom - width) / 2
        self.oy = (self.scene.height * self.zoom - height) / 2
        self.redraw()

    def set_zoom(self, zoom: float, x: Optional[float] = None, y: Optional[float] = None) -> None:
        """Zoom keeping the scene point under screen (x, y) (default: the window centre) in place."""
        zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        if self.scene is None or zoom == self.zoom:
            return
        width, height = self.size()
        x = width / 2 if x is None else x
        y = height / 2 if y is None else y
        sx, sy = (x + self.ox) / self.zoom, (y + self.oy) / self.zoom
        factor = zoom / self.zoom
        self.zoom = zoom
        self.ox, self.oy = sx * zoom - x, sy * zoom - y
        if self._overview() != self.simple:
            self.redraw()
            return
        # what is drawn stays: scaled in C around the pointer, its text resized through the shared fonts
        self.canvas.scale("all", x, y, factor, factor)
        self._size_fonts()
        self.update_view()

    def zoom_by(self, factor: float, x: Optional[float] = None, y: Optional[float] = None) -> None:
        self.set_zoom(self.zoom * factor, x, y)

    def pan(self, dx: float, dy: float) -> None:
        """Move the picture by (dx, dy) screen pixels."""
        if self.scene is None or (dx == 0 and dy == 0):
            return
        self.ox -= dx
        self.oy -= dy
        self.canvas.move("all", dx, dy)
        self.update_view()

    def center_on(self, box_id: int) -> None:
        box = self.scene.boxes[box_id]
        width, height = self.size()
        if self.zoom < 0.5 * self.ui_scale:
            self.zoom = self.ui_scale
        self.ox = (box.x + box.width / 2) * self.zoom - width / 2
        self.oy = (box.y + box.height / 2) * self.zoom - height / 2
        self.redraw()

    def screen_box(self, box_id: int) -> Tuple[float, float, float, float]:
        """Where a box is on screen (for tests and find): x0, y0, x1, y1."""
        box, z = self.scene.boxes[box_id], self.zoom
        return box.x * z - self.ox, box.y * z - self.oy, (box.x + box.width) * z - self.ox, \
            (box.y + box.height) * z - self.oy

    # -- drawing ------------------------------------------------------------------------------------------

    def redraw(self) -> None:
        self.canvas.delete("all")
        self.drawn_boxes.clear()
        self.drawn_edges.clear()
        self.hover = None
        self.simple = self._overview()
        self._size_fonts()
        self.update_view()

    def _overview(self) -> bool:
        return self.zoom * style.FONTS["title"].size < TEXT_MIN_PIXELS

    def update_view(self) -> None:
        """Delete what left the view (+ margin), draw what entered it."""
        if self.index is None:
            return
        width, height = self.size()
        z = self.zoom
        self.minimap.show_view(self.ox / z, self.oy / z, (self.ox + width) / z, (self.oy + height) / z)
        boxes, edges = self.index.query((self.ox - MARGIN) / z, (self.oy - MARGIN) / z,
                                        (self.ox + width + MARGIN) / z, (self.oy + height + MARGIN) / z)
        for box_id in [b for b in self.drawn_boxes if b not in boxes]:
            self.canvas.delete(f"node:{box_id}")
            del self.drawn_boxes[box_id]
        for edge_id in [e for e in self.drawn_edges if e not in edges]:
            self.canvas.delete(f"edge:{edge_id}")
            del self.drawn_edges[edge_id]
        new_edges = [e for e in edges if e not in self.drawn_edges]
        for edge_id in sorted(new_edges):
            self.drawn_edges[edge_id] = self._draw_edge(self.scene.edges[edge_id])
        if new_edges and self.drawn_boxes:
            self.canvas.tag_lower("edge")
        new_boxes = sorted(b for b in boxes if b not in self.drawn_boxes)
        for box_id in new_boxes:
            self.drawn_boxes[box_id] = self._draw_box(self.scene.boxes[box_id])
        if new_boxes or new_edges:
            self.canvas.tag_lower("group-frame")  # expanded groups lie under the edges that cross them

    def _size_fonts(self) -> None:
        """Text sizes for the zoom: exact at 100% (what the scene was measured with), a little small elsewhere."""
        for name, font in self.fonts.items():
            base = -self.measure.fonts[name].cget("size")
            pixels = base if abs(self.zoom - 1.0) < 1e-9 else max(1, math.floor(base * self.zoom * HINTING_SLACK))
            if -font.cget("size") != pixels:
                font.configure(size=-pixels)

    def _draw_box(self, box: Box) -> int:
        z, ox, oy, c = self.zoom, self.ox, self.oy, self.canvas
        tag = f"node:{box.id}"
        x0, y0 = box.x * z - ox, box.y * z - oy
        x1, y1 = x0 + box.width * z, y0 + box.height * z
        outline, width = self._box_outline(box.id)
        tags = (tag, "box", "frame", "group-frame") if box.kind == "frame" else (tag, "box", "frame")
        if self.simple:
            fill = box.body_fill if box.kind == "frame" else box.fill if box.kind in BOXED_KINDS \
                else style.PILL_COLORS[0]
            item = c.create_rectangle(x0, y0, x1, y1, fill=fill, outline=outline, width=width, tags=tags)
            self._overview_text(box, x0, y0, x1, y1, tag)
            return item
        radius = box.radius * z
        if not box.rows and box.kind != "frame":
            frame = c.create_polygon(rounded_rect(x0, y0, x1, y1, radius), smooth=True, fill=box.fill,
                                     outline=outline, width=width, tags=(tag, "box", "frame"))
        else:  # the picture the PNG export draws: header band, chain bands, separator, rows on the body colour
            frame = c.create_polygon(rounded_rect(x0, y0, x1, y1, radius), smooth=True, fill=box.body_fill,
                                     outline=outline, width=width, tags=tags)
            header = y0 + box.title_height * z
            inset = style.BORDER_WIDTH  # keeps the frame's outline visible around the header band
            c.create_polygon(rounded_rect(x0 + inset, y0 + inset, x1 - inset, header, radius, top_only=True),
                             smooth=True, fill=box.fill, outline="", tags=(tag, "box"))
            for index, row in box.band_rows():
                top = box.row_top(index) * z - oy
                c.create_rectangle(x0 + inset, top, x1 - inset, top + box.row_height * z, fill=row.fill,
                                   outline="", tags=(tag, "box"))
            # inside the outline: a separator reaching it leaves a tick beside the rounded corner
            c.create_line(x0 + inset, header, x1 - inset, header, fill=style.BORDER_COLOR,
                          width=style.BORDER_WIDTH * self.ui_scale, tags=(tag, "box"))
        measure = self.measure
        c.create_text(box.title_left(measure(box.title, "title")[0]) * z - ox, y0 + box.title_height * z / 2,
                      text=box.title, anchor="w", fill=box.text_color, font=self.fonts["title"], tags=(tag, "box"))
        half_line = measure("Ag", "row")[1] / 2
        for index, row in enumerate(box.rows):
            left = box.row_left(row_width(row, measure)) * z - ox
            middle = (box.row_text_top(index) + half_line) * z - oy
            colour = row.text_color or style.ROW_TEXT_COLOR
            name, rest = row.parts()
            if name:  # the name in bold, like Netron
                c.create_text(left, middle, text=name, anchor="w", font=self.fonts["row_name"], fill=colour,
                              tags=(tag, "box"))
                left += measure(name, "row_name")[0] * z
            c.create_text(left, middle, text=rest.translate(ON_SCREEN), anchor="w", font=self.fonts["row"],
                          fill=colour, tags=(tag, "box"))
        return frame

    def _overview_text(self, box: Box, x0: float, y0: float, x1: float, y1: float, tag: str) -> None:
        """At overview zoom: the op type or group name at a readable size, where the box has room for it."""
        text = box.group.name if box.group is not None else box.title
        width = self.measure(text, "title")[0] * OVERVIEW_TEXT_PIXELS / style.FONTS["title"].size
        header = min(y1 - y0, max(OVERVIEW_TEXT_PIXELS + 2, box.title_height * self.zoom))
        if header < OVERVIEW_TEXT_PIXELS + 2 and box.group is None:
            return
        if x1 - x0 >= width + 4 and header >= OVERVIEW_TEXT_PIXELS + 2:
            colour = box.text_color if box.kind != "frame" else style.ROW_TEXT_COLOR
            middle = y0 + header / 2 if box.kind == "frame" else (y0 + y1) / 2
            self.canvas.create_text((x0 + x1) / 2, middle, text=text, fill=colour, font=self.overview_font,
                                    tags=(tag, "box"))
        elif box.kind == "group":  # a group's name beside its box: what the overview is for
            self.canvas.create_text(x1 + 3, (y0 + y1) / 2, text=text, anchor="w", fill=style.ROW_TEXT_COLOR,
                                    font=self.overview_font, tags=(tag, "box"))

    def _edge_path(self, edge: Edge) -> Tuple[List[float], List[float]]:
        path = self.paths.get(edge.id)
        if path is None:
            line, head = arrow(smooth_path(edge.points))
            path = self.paths[edge.id] = ([v for point in line for v in point], [v for point in head for v in point])
        return path

    def _draw_edge(self, edge: Edge) -> int:
        z, ox, oy, c = self.zoom, self.ox, self.oy, self.canvas
        tag = f"edge:{edge.id}"
        colour, width = self._edge_style(edge.id)
        dash = tuple(max(1, round(d * z)) for d in style.DASH) if edge.dashed else ""
        if self.simple:
            coords = [v * z - (ox if i % 2 == 0 else oy) for point in edge.points for i, v in enumerate(point)]
            if len(coords) < 4:
                coords = coords * 2
            return c.create_line(coords, fill=colour, width=1, tags=(tag, "edge", "line"))
        line, head = self._edge_path(edge)
        coords = [v * z - (oy if i % 2 else ox) for i, v in enumerate(line)]
        if len(coords) < 4:
            coords = coords * 2
        item = c.create_line(coords, fill=colour, width=width, dash=dash, tags=(tag, "edge", "line"))
        if head:
            c.create_polygon([v * z - (oy if i % 2 else ox) for i, v in enumerate(head)], fill=colour,
                             outline="", tags=(tag, "edge", "head"))
        if edge.label:
            c.create_text(edge.label_x * z - ox, edge.label_y * z - oy, text=edge.label, font=self.fonts["label"],
                          fill=style.LABEL_COLOR, tags=(tag, "edge"))
        return item

    def _box_outline(self, box_id: int) -> Tuple[str, float]:
        scale = self.ui_scale
        if box_id == self.selected_box:
            return style.SELECTION_COLOR, 2.5 * scale
        if self.hover == ("node", box_id):
            return HOVER, 2.0 * scale
        return style.BORDER_COLOR, style.BORDER_WIDTH * scale

    def _edge_style(self, edge_id: int) -> Tuple[str, float]:
        width, scale = style.EDGE_WIDTH * self.ui_scale, self.ui_scale
        if edge_id == self.selected_edge:
            return style.SELECTION_COLOR, width + 1.5 * scale
        if self.hover == ("edge", edge_id):
            return HOVER, width + scale
        return style.EDGE_COLOR, width

    def _restyle(self, kind: str, item_id: Optional[int]) -> None:
        if item_id is None:
            return
        if kind == "node" and item_id in self.drawn_boxes:
            outline, width = self._box_outline(item_id)
            self.canvas.itemconfigure(self.drawn_boxes[item_id], outline=outline, width=width)
        elif kind == "edge" and item_id in self.drawn_edges:
            colour, width = self._edge_style(item_id)
            self.canvas.itemconfigure(self.drawn_edges[item_id], fill=colour, width=width)
            self.canvas.itemconfigure(f"edge:{item_id}&&head", fill=colour)

    # -- selection ----------------------------------------------------------------------------------------

    def select(self, box_id: Optional[int] = None, edge_id: Optional[int] = None) -> None:
        old_box, old_edge = self.selected_box, self.selected_edge
        self.selected_box, self.selected_edge = box_id, edge_id
        self._restyle("node", old_box)
        self._restyle("edge", old_edge)
        self._restyle("node", box_id)
        self._restyle("edge", edge_id)

    def hit(self, x: float, y: float) -> Tuple[Optional[Box], Optional[Edge]]:
        """The box (preferred) or edge at screen position (x, y)."""
        if self.scene is None:
            return None, None
        edge = frame = None
        for item in reversed(self.canvas.find_overlapping(x - 2, y - 2, x + 2, y + 2)):
            for tag in self.canvas.gettags(item):
                kind, _, number = tag.partition(":")
                if kind == "node" and number:
                    box = self.scene.boxes[int(number)]
                    if box.kind != "frame" or y <= self.screen_box(box.id)[1] + box.title_height * self.zoom:
                        return box, None  # a box, or a frame's header
                    frame = frame or box  # the innermost frame under the pointer, unless an edge is hit
                if kind == "edge" and number and edge is None:
                    edge = self.scene.edges[int(number)]
        return (None, edge) if edge is not None else (frame, None)

    # -- events -------------------------------------------------------------------------------------------

    def _bind(self) -> None:
        c = self.canvas
        c.bind("<ButtonPress-1>", self._on_press)
        c.bind("<B1-Motion>", self._on_drag)
        c.bind("<ButtonRelease-1>", self._on_release)
        c.bind("<Double-Button-1>", self._on_double)
        c.bind("<Motion>", self._on_motion)
        c.bind("<Configure>", lambda _event: self.update_view())
        c.bind("<MouseWheel>", self._on_wheel)
        c.bind("<Shift-MouseWheel>", lambda e: self.pan(e.delta / 2, 0) if e.delta else None)
        c.bind("<Control-MouseWheel>", lambda e: self.zoom_by(1.15 if e.delta > 0 else 1 / 1.15, e.x, e.y))
        for keysym, dx, dy in (("Up", 0, 1), ("Down", 0, -1), ("Left", 1, 0), ("Right", -1, 0)):
            c.bind(f"<Key-{keysym}>", lambda e, x=dx, y=dy: None if e.state & SHIFT_OR_CONTROL  # zoom keys
                   else self.pan(60 * x, 60 * y))
        c.bind("<Prior>", lambda e: self.pan(0, self.size()[1] * 0.8))
        c.bind("<Next>", lambda e: self.pan(0, -self.size()[1] * 0.8))
        for button, step in (("4", 1), ("5", -1)):  # X11 sends wheel steps as buttons 4 and 5
            c.bind(f"<Button-{button}>", lambda e, s=step: self.zoom_by(1.15 ** s, e.x, e.y) if self.wheel_zooms
                   else self.pan(0, 60 * s))
            c.bind(f"<Shift-Button-{button}>", lambda e, s=step: self.pan(60 * s, 0))
            c.bind(f"<Control-Button-{button}>", lambda e, s=step: self.zoom_by(1.15 ** s, e.x, e.y))

    def _on_wheel(self, event) -> None:
        if self.wheel_zooms:  # Ctrl+M: the wheel zooms about the pointer, as Ctrl+wheel does
            self.zoom_by(1.15 if event.delta > 0 else 1 / 1.15, event.x, event.y)
            return
        step = event.delta if abs(event.delta) < 120 else event.delta / 2
        self.pan(0, step)

    def _on_press(self, event) -> None:
        self.canvas.focus_set()
        self._press = (event.x, event.y)
        self._last = (event.x, event.y)
        self._dragged = False

    def _on_drag(self, event) -> None:
        if self._press is None:
            return
        if abs(event.x - self._press[0]) + abs(event.y - self._press[1]) > 3:
            self._dragged = True
        if self._dragged:
            self.pan(event.x - self._last[0], event.y - self._last[1])
            self._last = (event.x, event.y)

    def _on_release(self, event) -> None:
        if self._press is None:
            return
        self._press = None
        if self._dragged:
            return
        box, edge = self.hit(event.x, event.y)
        self.select(box.id if box else None, edge.id if edge else None)
        self.on_select(box, edge)
        if box is not None and box.group is not None and self.on_toggle is not None and self._on_mark(box, event):
            self.on_toggle(box)

    def _on_mark(self, box: Box, event) -> bool:
        """Whether a click at the event falls on the +/− that starts a group's header."""
        x0, y0, _, _ = self.screen_box(box.id)
        mark = (style.TITLE_PAD_X + self.measure("+ ", "title")[0] + 2) * self.zoom
        return x0 <= event.x <= x0 + mark and y0 <= event.y <= y0 + box.title_height * self.zoom

    def _on_double(self, event) -> None:
        # a quick second press arrives here instead of <ButtonPress-1>: it may start a drag too
        self._on_press(event)
        box, _ = self.hit(event.x, event.y)
        if box is not None:
            self.on_activate(box)

    def _on_motion(self, event) -> None:
        box, edge = self.hit(event.x, event.y)
        hover = ("node", box.id) if box else ("edge", edge.id) if edge else None
        if hover != self.hover:
            old, self.hover = self.hover, hover
            if old:
                self._restyle(*old)
            if hover:
                self._restyle(*hover)
