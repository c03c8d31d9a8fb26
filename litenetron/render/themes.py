"""Screen themes for the graph canvas. The scene keeps its light colours (PNG/SVG export them); the dark theme
repaints them as they are drawn, following Netron's dark palette: a near-black page, dark row bodies, light row
text and edges, the coloured operator headers and their titles unchanged."""

from __future__ import annotations

import tkinter
from typing import Dict, Optional, Sequence

from .. import style

DARK_BACKGROUND = "#1D1D1D"
DARK_BODY = "#2B2B2B"       # row area of a box (light: white)
DARK_ROW_TEXT = "#DFDFDF"
DARK_BORDER = "#6A6A6A"
DARK_EDGE = "#A0A0A0"
DARK_LABEL = "#B8B8B8"
DARK_GROUP_FRAME = "#262B31"  # an expanded group's body (light: a pale grey-blue); its header keeps its colour

# item kind → {light colour: dark colour}; a box's header band and title are left as they are.
DARK_PALETTE: Dict[str, Dict[str, str]] = {
    "frame": {style.ROW_FILL.upper(): DARK_BODY, style.BORDER_COLOR.upper(): DARK_BORDER,
              style.FRAME_FILL.upper(): DARK_GROUP_FRAME},
    "row-text": {style.ROW_TEXT_COLOR.upper(): DARK_ROW_TEXT},
    "edge": {style.EDGE_COLOR.upper(): DARK_EDGE},
    "label": {style.LABEL_COLOR.upper(): DARK_LABEL},
    "separator": {style.BORDER_COLOR.upper(): DARK_BORDER},
}


class ThemedCanvas(tkinter.Canvas):
    """A Canvas that repaints the scene's light colours while the dark theme is on."""

    def __init__(self, master=None, **options):
        super().__init__(master, **options)
        self.dark = False
        self.title_font = ""          # text in this font (box titles) keeps its colour: headers keep theirs
        self.light_background = str(options.get("background", style.BACKGROUND))

    def set_dark(self, dark: bool) -> None:
        self.dark = dark
        super().configure(background=DARK_BACKGROUND if dark else self.light_background)

    def _kind(self, item_type: str, tags: Sequence[str], font: str) -> Optional[str]:
        if "edge" in tags:
            return "label" if item_type == "text" else "edge"
        if item_type == "text":
            return None if font == self.title_font else "row-text"
        if "frame" in tags:
            return "frame"
        if item_type == "line":
            return "separator"
        return None

    def _paint(self, item_type: str, options: dict) -> dict:
        if not self.dark:
            return options
        tags = options.get("tags", ())
        tags = (tags,) if isinstance(tags, str) else tuple(tags)
        kind = self._kind(item_type, tags, str(options.get("font", "")))
        palette = DARK_PALETTE.get(kind or "", {})
        for key in ("fill", "outline"):
            value = options.get(key)
            if isinstance(value, str) and value.upper() in palette:
                options[key] = palette[value.upper()]
        return options

    def create_polygon(self, *args, **options):
        return super().create_polygon(*args, **self._paint("polygon", options))

    def create_rectangle(self, *args, **options):
        return super().create_rectangle(*args, **self._paint("rectangle", options))

    def create_line(self, *args, **options):
        return super().create_line(*args, **self._paint("line", options))

    def create_text(self, *args, **options):
        return super().create_text(*args, **self._paint("text", options))

    def itemconfigure(self, tag_or_id, cnf=None, **options):
        if self.dark and options and cnf is None:
            items = self.find_withtag(tag_or_id)
            if items:
                item = items[0]
                options = self._paint(self.type(item), {**options, "tags": self.gettags(item)})
                options.pop("tags", None)
        return super().itemconfigure(tag_or_id, cnf, **options)

    itemconfig = itemconfigure
