"""Draw the litenetron app icon (a tiny graph of boxes) at every size the window and packagers use.

Run `python icons/draw_icons.py`; writes icons/litenetron-{16,32,48,64,128,256}.png next to this script.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

SIZES = (16, 32, 48, 64, 128, 256)
CANVAS = 1024  # drawn large, then downsampled for clean edges

BACKGROUND = "#1f2a3c"
EDGE = "#c9d3e0"
# Box colours from the category palette: Layer, Normalization, Activation, Pool.
BOXES = (
    ((352, 120, 672, 300), "#3a6db3"),
    ((120, 420, 440, 600), "#4e8a55"),
    ((584, 420, 904, 600), "#8c3b3b"),
    ((352, 724, 672, 904), "#6e5a99"),
)
EDGES = (((512, 300), (280, 420)), ((512, 300), (744, 420)), ((280, 600), (512, 724)), ((744, 600), (512, 724)))


def draw(size: int = CANVAS) -> Image.Image:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((16, 16, size - 16, size - 16), radius=180, fill=BACKGROUND)
    for start, end in EDGES:
        pen.line((start, end), fill=EDGE, width=44)
    for (left, top, right, bottom), colour in BOXES:
        pen.rounded_rectangle((left, top, right, bottom), radius=46, fill="#f4f6f9")
        # header band in the category colour, body white: the look of a graph node
        pen.rounded_rectangle((left, top, right, top + 110), radius=46, fill=colour)
        pen.rectangle((left, top + 60, right, top + 110), fill=colour)
    return image


def main() -> None:
    folder = Path(__file__).resolve().parent
    large = draw()
    for size in SIZES:
        large.resize((size, size), Image.LANCZOS).save(folder / f"litenetron-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
