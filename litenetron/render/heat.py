"""Box colours for a figure per node (MACs, parameters, output bytes) and for a model diff.

Figures span orders of magnitude (a 1×1 convolution next to a 7×7 one next to a Reshape), so the scale is
logarithmic from the smallest non-zero figure to the largest. Zero is drawn pale, unknown grey, so an operator
we cannot cost never passes for a cheap one.
"""

from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence, Tuple

# Light yellow → orange → dark red: readable with dark text on the light half, light text on the dark half.
_STOPS = ((255, 245, 200), (253, 190, 110), (240, 110, 60), (190, 30, 40), (110, 0, 30))
ZERO_FILL = "#f4f4f4"
UNKNOWN_FILL = "#c8c8c8"
DIFF_FILLS = {"added": "#8fd48f", "changed": "#f7c663", "removed": "#f08c8c"}
DARK_TEXT, LIGHT_TEXT = "#000000", "#ffffff"


def _hex(rgb: Sequence[float]) -> str:
    return "#" + "".join(f"{int(round(channel)):02x}" for channel in rgb)


def ramp(position: float) -> str:
    """The scale's colour at 0 ≤ position ≤ 1."""
    position = min(1.0, max(0.0, position)) * (len(_STOPS) - 1)
    index = min(int(position), len(_STOPS) - 2)
    low, high, share = _STOPS[index], _STOPS[index + 1], position - index
    return _hex([a + (b - a) * share for a, b in zip(low, high)])


def text_colour(fill: str) -> str:
    red, green, blue = (int(fill[i:i + 2], 16) for i in (1, 3, 5))
    return DARK_TEXT if 0.299 * red + 0.587 * green + 0.114 * blue > 140 else LIGHT_TEXT


class HeatScale:
    """Maps figures to colours on a log scale between the smallest and largest positive figure."""

    def __init__(self, figures: Sequence[Optional[float]]):
        positive = [figure for figure in figures if figure]
        self.low = min(positive) if positive else 0
        self.high = max(positive) if positive else 0

    def position(self, figure: float) -> float:
        if self.high <= self.low:
            return 1.0
        return (math.log(figure) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))

    def fill(self, figure: Optional[float]) -> str:
        if figure is None:
            return UNKNOWN_FILL
        if figure <= 0:
            return ZERO_FILL
        return ramp(self.position(figure))

    def legend(self, steps: int = 5) -> List[Tuple[str, float]]:
        """(colour, figure) pairs from low to high for a legend."""
        if not self.high:
            return []
        if self.high <= self.low:
            return [(ramp(1.0), self.high)]
        ratio = self.high / self.low
        return [(ramp(i / (steps - 1)), self.low * ratio ** (i / (steps - 1))) for i in range(steps)]


def colour_boxes(boxes, figures: Dict[int, Optional[float]]) -> HeatScale:
    """Recolour node boxes by `figures` (id(node) → figure; missing = unknown); returns the scale used."""
    scale = HeatScale([figures.get(id(box.node)) for box in boxes if box.kind == "node" and box.node is not None])
    for box in boxes:
        if box.kind == "node" and box.node is not None:
            box.fill = scale.fill(figures.get(id(box.node)))
            box.text_color = text_colour(box.fill)
    return scale
