"""Draw a Scene into a PNG file with Pillow, in horizontal strips so memory stays bounded on huge graphs.

Shapes (edges, boxes) are drawn at twice the pixel scale and downsampled, which smooths curves and rounded
corners; text is drawn afterwards at the final scale so it stays sharp. The PNG is encoded strip by strip
(zlib stream), so a very tall picture never sits in memory at once.
"""

from __future__ import annotations

import math
import struct
import sys
import zlib
from pathlib import Path
from typing import Any, Iterator, List, Sequence, Tuple, Union

from .. import style
from ..scene import Box, Edge, Point, Scene, arrow, row_width, smooth_path
from .fonts import PillowFonts

# Beyond this many pixels, or this many on a side (libpng's default limit), the picture is drawn at a smaller
# scale and the user is pointed to SVG.
MAX_PIXELS = 250_000_000
MAX_SIDE = 1_000_000
# Shapes are drawn this many times larger, then downsampled: anti-aliased edges and corners. Pictures above
# SUPERSAMPLE_PIXELS skip it: they are for zooming around, and it would quadruple their drawing time.
SUPERSAMPLE = 2
SUPERSAMPLE_PIXELS = 64_000_000
# Bytes of supersampled RGB pixels drawn at once (one strip).
STRIP_BYTES = 48_000_000


def _rgb(color: str) -> Tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def fit_scale(width: float, height: float, scale: float) -> float:
    """`scale`, or the largest smaller scale at which a width×height scene fits MAX_PIXELS and MAX_SIDE."""
    pixels = width * scale * height * scale
    if pixels > MAX_PIXELS:
        scale *= math.sqrt(MAX_PIXELS / pixels) * 0.999
    side = max(width, height) * scale
    if side > MAX_SIDE:
        scale *= MAX_SIDE / side * 0.999
    return scale


class _PngWriter:
    """A minimal streaming PNG encoder (8-bit RGB, no filtering): rows go in, compressed chunks go out."""

    def __init__(self, stream: Any, width: int, height: int):
        self.stream = stream
        self.width = width
        self.compressor = zlib.compressobj(6)
        stream.write(b"\x89PNG\r\n\x1a\n")
        self._chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))

    def _chunk(self, kind: bytes, data: bytes) -> None:
        self.stream.write(struct.pack(">I", len(data)) + kind + data)
        self.stream.write(struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    def add_rows(self, pixels: bytes) -> None:
        import numpy

        array = numpy.frombuffer(pixels, numpy.uint8).reshape(-1, self.width * 3)
        # Each row starts with its filter type, 0 (none): the mostly white rows compress well as they are.
        rows = numpy.hstack([numpy.zeros((len(array), 1), numpy.uint8), array])
        data = self.compressor.compress(rows.tobytes())
        if data:
            self._chunk(b"IDAT", data)

    def close(self) -> None:
        self._chunk(b"IDAT", self.compressor.flush())
        self._chunk(b"IEND", b"")


def _dashes(points: Sequence[Point], dash: float, gap: float) -> Iterator[List[Point]]:
    """The pieces of a polyline that are drawn when it is dashed."""
    piece: List[Point] = [points[0]]
    drawing, left = True, dash
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        length = math.hypot(x1 - x0, y1 - y0)
        done = 0.0
        while length - done > left:
            done += left
            point = (x0 + (x1 - x0) * done / length, y0 + (y1 - y0) * done / length)
            if drawing:
                yield piece + [point]
            piece = [point]
            drawing = not drawing
            left = dash if drawing else gap
        left -= length - done
        piece.append((x1, y1))
    if drawing and len(piece) > 1:
        yield piece


class _Strip:
    """The scene → pixel transform of one horizontal strip (drawn `factor` times larger for shapes)."""

    def __init__(self, scale: float, top: float, factor: int):
        self.scale = scale * factor
        self.left = style.MARGIN
        self.top = top  # scene y at the strip's top edge, margin included

    def xy(self, x: float, y: float) -> Tuple[float, float]:
        return (x + self.left) * self.scale, (y - self.top) * self.scale


def _draw_edge(draw: Any, strip: _Strip, edge: Edge) -> None:
    if len(edge.points) < 2:
        return
    color = _rgb(style.EDGE_COLOR)
    line, head = arrow(smooth_path(edge.points))
    pixels = [strip.xy(x, y) for x, y in line]
    width = max(1, round(style.EDGE_WIDTH * strip.scale))
    if edge.dashed:
        # A long dashed edge crosses many strips: draw only the dashes that touch this one.
        rows = draw.im.size[1]
        pieces = [piece for piece in _dashes(pixels, style.DASH[0] * strip.scale, style.DASH[1] * strip.scale)
                  if piece[-1][1] >= -width and piece[0][1] <= rows + width
                  or piece[0][1] >= -width and piece[-1][1] <= rows + width]
    else:
        pieces = [pixels]
    for piece in pieces:
        draw.line(piece, fill=color, width=width, joint="curve")
    if head:
        draw.polygon([strip.xy(x, y) for x, y in head], fill=color)


def _draw_box(draw: Any, strip: _Strip, box: Box) -> None:
    x0, y0 = strip.xy(box.x, box.y)
    x1, y1 = strip.xy(box.x + box.width, box.y + box.height)
    radius = box.radius * strip.scale
    border = max(1, round(style.BORDER_WIDTH * strip.scale))
    if not box.rows and box.kind != "frame":
        draw.rounded_rectangle((x0, y0, x1, y1), radius, fill=_rgb(box.fill), outline=_rgb(style.BORDER_COLOR),
                               width=border)
        return
    header = strip.xy(0, box.y + box.title_height)[1]
    draw.rounded_rectangle((x0, y0, x1, y1), radius, fill=_rgb(box.body_fill))
    draw.rounded_rectangle((x0, y0, x1, header), radius, fill=_rgb(box.fill), corners=(True, True, False, False))
    for index, row in box.band_rows():
        top = strip.xy(0, box.row_top(index))[1]
        draw.rectangle((x0, top, x1, top + box.row_height * strip.scale), fill=_rgb(row.fill))
    draw.line(((x0, header), (x1, header)), fill=_rgb(style.BORDER_COLOR), width=border)
    draw.rounded_rectangle((x0, y0, x1, y1), radius, outline=_rgb(style.BORDER_COLOR), width=border)


def _draw_box_text(draw: Any, strip: _Strip, box: Box, fonts: PillowFonts) -> None:
    left = box.title_left(fonts.measure(box.title, "title")[0])
    baseline = box.title_text_top() + fonts.ascent("title")
    draw.text(strip.xy(left, baseline), fonts.text(box.title), fill=_rgb(box.text_color), font=fonts.fonts["title"],
              anchor="ls")
    for index, row in enumerate(box.rows):
        left = box.row_left(row_width(row, fonts.measure))
        baseline = box.row_text_top(index) + fonts.ascent("row")
        color = _rgb(row.text_color or style.ROW_TEXT_COLOR)
        name, rest = row.parts()
        if name:
            draw.text(strip.xy(left, baseline), fonts.text(name), fill=color, font=fonts.fonts["row_name"],
                      anchor="ls")
            left += fonts.measure(name, "row_name")[0]
        draw.text(strip.xy(left, baseline), fonts.text(rest), fill=color, font=fonts.fonts["row"], anchor="ls")


def _draw_label(draw: Any, strip: _Strip, edge: Edge, fonts: PillowFonts) -> None:
    width, height = fonts.measure(edge.label, "label")
    left = edge.label_x - width / 2
    baseline = edge.label_y - height / 2 + fonts.ascent("label")
    draw.text(strip.xy(left, baseline), fonts.text(edge.label), fill=_rgb(style.LABEL_COLOR),
              font=fonts.fonts["label"], anchor="ls")


def _box_span(box: Box) -> Tuple[float, float]:
    return box.y, box.y + box.height


def _edge_span(edge: Edge) -> Tuple[float, float]:
    ys = [y for _, y in edge.points] or [0.0]
    pad = style.ARROW_LENGTH
    return min(ys) - pad, max(ys) + pad


def _label_span(edge: Edge) -> Tuple[float, float]:
    return edge.label_y - style.FONTS["label"].size * 2, edge.label_y + style.FONTS["label"].size * 2


def render_png(scene: Scene, path: Union[str, Path], scale: float = 2.0) -> None:
    """Write the scene as a PNG at `scale` pixels per scene unit (reduced, with a message, if too large)."""
    from PIL import Image, ImageDraw

    full_width, full_height = scene.width + 2 * style.MARGIN, scene.height + 2 * style.MARGIN
    fitted = fit_scale(full_width, full_height, scale)
    if fitted < scale:
        print(f"litenetron: the picture would be {round(full_width * scale)}×{round(full_height * scale)} pixels; "
              f"drawing it at scale {fitted:.2f} instead. Export to .svg to keep every detail.", file=sys.stderr)
        scale = fitted
    width, height = max(1, math.ceil(full_width * scale)), max(1, math.ceil(full_height * scale))
    fonts = PillowFonts(scale)
    factor = SUPERSAMPLE if width * height <= SUPERSAMPLE_PIXELS else 1
    rows_per_strip = max(16, STRIP_BYTES // (width * 3 * factor * factor))
    edges = [(edge, _edge_span(edge)) for edge in scene.edges]
    boxes = [(box, _box_span(box)) for box in scene.boxes]
    labels = [(edge, _label_span(edge)) for edge in scene.edges if edge.label]
    background = _rgb(style.BACKGROUND)
    with open(path, "wb") as stream:
        writer = _PngWriter(stream, width, height)
        for first in range(0, height, rows_per_strip):
            rows = min(rows_per_strip, height - first)
            # Scene y range of this strip (the picture's top margin is scene y = -MARGIN).
            top = first / scale - style.MARGIN
            bottom = (first + rows) / scale - style.MARGIN

            def visible(span: Tuple[float, float], top: float = top, bottom: float = bottom) -> bool:
                return span[1] >= top and span[0] <= bottom

            big = Image.new("RGB", (width * factor, rows * factor), background)
            draw = ImageDraw.Draw(big)
            shapes = _Strip(scale, top, factor)
            for box, span in boxes:  # expanded groups' frames lie under the edges that cross them
                if box.kind == "frame" and visible(span):
                    _draw_box(draw, shapes, box)
            for edge, span in edges:
                if visible(span):
                    _draw_edge(draw, shapes, edge)
            for box, span in boxes:
                if box.kind != "frame" and visible(span):
                    _draw_box(draw, shapes, box)
            image = big.reduce(factor) if factor > 1 else big
            del big, draw
            draw = ImageDraw.Draw(image)
            text = _Strip(scale, top, 1)
            for box, span in boxes:
                if visible(span):
                    _draw_box_text(draw, text, box, fonts)
            for edge, span in labels:
                if visible(span):
                    _draw_label(draw, text, edge, fonts)
            writer.add_rows(image.tobytes())
        writer.close()
