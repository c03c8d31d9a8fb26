"""Visual constants shared by every drawing backend (Tk canvas, PNG, SVG), so all draw the same picture.

Lengths are scene units: pixels at zoom 1 (the PNG export multiplies them by its scale).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Tuple

# Font family the PNG export looks for first and the SVG names; Tk asks for it too.
FONT_FAMILY = "DejaVu Sans"
# What an SVG viewer falls back to when the family is missing.
FONT_FALLBACKS = "Liberation Sans, Arial, Helvetica, sans-serif"


@dataclass(frozen=True)
class FontSpec:
    size: float  # in scene units (pixels at zoom 1)
    bold: bool = False


# Text styles a Measure callback is asked about: box headers, rows inside boxes, edge labels.
FONTS: Dict[str, FontSpec] = {
    "title": FontSpec(11.0, bold=True),
    "row": FontSpec(9.5),
    "row_name": FontSpec(9.5, bold=True),  # the name at the start of a weight/attribute row, like Netron
    "label": FontSpec(9.0),
}

# Box geometry.
TITLE_PAD_X = 9.0        # left/right padding of the header text
TITLE_PAD_Y = 4.5        # above/below the header text
ROW_PAD_X = 7.0          # left/right padding of row text
ROW_PAD_Y = 1.0          # extra height per row
ROWS_PAD_Y = 4.0         # above the first row and below the last
MIN_BOX_WIDTH = 36.0
CORNER_RADIUS = 5.0
BORDER_WIDTH = 1.0
BORDER_COLOR = "#333333"
ROW_FILL = "#FFFFFF"
ROW_TEXT_COLOR = "#000000"
LABEL_PAD = 2.0          # around an edge label's text (the layout keeps this room free)

# Edges.
EDGE_COLOR = "#555555"
EDGE_WIDTH = 1.0
LABEL_COLOR = "#222222"
ARROW_LENGTH = 7.0
ARROW_WIDTH = 5.0
DASH = (4.0, 3.0)        # control dependencies: dash and gap length

# Expanded groups: a frame with a header band around their members.
FRAME_FILL = "#F4F6F8"
FRAME_HEADER_FILL = "#DDE3EA"

# The outline of the selected box/edge in the window: red, so it stands out from every header colour.
SELECTION_COLOR = "#E0201B"
BACKGROUND = "#FFFFFF"
# White space around the picture in exports.
MARGIN = 20.0

# Text shortening (characters): long names are cut in the middle, long values at the end.
MAX_TITLE_CHARS = 30
MAX_ROW_CHARS = 44
MAX_ATTRIBUTE_CHARS = 30
MAX_LABEL_CHARS = 24

# Header colour and header text colour per operator category (Netron's palette).
DEFAULT_COLORS = ("#333333", "#FFFFFF")
CATEGORY_COLORS: Dict[str, Tuple[str, str]] = {
    "Layer": ("#335588", "#FFFFFF"),
    "Activation": ("#702921", "#FFFFFF"),
    "Pool": ("#335533", "#FFFFFF"),
    "Normalization": ("#335544", "#FFFFFF"),
    "Dropout": ("#454770", "#FFFFFF"),
    "Shape": ("#6C4F47", "#FFFFFF"),
    "Tensor": ("#59423B", "#FFFFFF"),
    "Transform": ("#335544", "#FFFFFF"),
    "Data": ("#555555", "#FFFFFF"),
    "Quantization": ("#502800", "#FFFFFF"),
    "Constant": ("#EEEEEE", "#000000"),
    "Control": ("#EEEEEE", "#000000"),
}
# Graph inputs and outputs (pills).
PILL_COLORS = ("#E4E4E4", "#000000")


def category_colors(category: str) -> Tuple[str, str]:
    """(header fill, header text colour) for an operator category; unknown categories get the default."""
    return CATEGORY_COLORS.get(category, DEFAULT_COLORS)
