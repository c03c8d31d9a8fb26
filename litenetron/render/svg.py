"""Draw a Scene as an SVG file, written element by element (no document tree held in memory).

Text stays text (`<text>` in the font family the scene was measured with), so the picture scales without loss
and can be searched; that makes SVG the export of choice for graphs too large for a PNG.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Sequence, Union
from xml.sax.saxutils import escape, quoteattr

from .. import style
from ..scene import Box, Edge, Point, Scene, arrow, row_width, smooth_path
from .fonts import PillowFonts, svg_fonts


def _number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _polyline(points: Sequence[Point], close: bool = False) -> str:
    first, *rest = points
    path = f"M{_number(first[0])},{_number(first[1])}"
    path += "".join(f"L{_number(x)},{_number(y)}" for x, y in rest)
    return path + ("Z" if close else "")


def _rounded(x: float, y: float, width: float, height: float, radius: float, top: bool = True,
             bottom: bool = True) -> str:
    """Path of a rectangle whose top and/or bottom corners are rounded."""
    radius = min(radius, width / 2, height / 2)
    rt, rb = (radius if top else 0.0), (radius if bottom else 0.0)
    right, low = x + width, y + height
    n = _number
    return (f"M{n(x + rt)},{n(y)}H{n(right - rt)}"
            + (f"A{n(rt)},{n(rt)} 0 0 1 {n(right)},{n(y + rt)}" if rt else "")
            + f"V{n(low - rb)}"
            + (f"A{n(rb)},{n(rb)} 0 0 1 {n(right - rb)},{n(low)}" if rb else "")
            + f"H{n(x + rb)}"
            + (f"A{n(rb)},{n(rb)} 0 0 1 {n(x)},{n(low - rb)}" if rb else "")
            + f"V{n(y + rt)}"
            + (f"A{n(rt)},{n(rt)} 0 0 1 {n(x + rt)},{n(y)}" if rt else "")
            + "Z")


def _font(text_style: str) -> str:
    """SVG font attributes of a text style."""
    spec = style.FONTS[text_style]
    return f'font-size="{_number(spec.size)}" font-weight="{"bold" if spec.bold else "normal"}"'


def _text(out: IO[str], x: float, y: float, text: str, *extra: str) -> None:
    attributes = "".join(f" {item}" for item in extra)
    out.write(f'<text x="{_number(x)}" y="{_number(y)}"{attributes}>{escape(text)}</text>\n')


def _write_edge(out: IO[str], edge: Edge) -> None:
    if len(edge.points) < 2:
        return
    line, head = arrow(smooth_path(edge.points))
    dash = f' stroke-dasharray="{_number(style.DASH[0])},{_number(style.DASH[1])}"' if edge.dashed else ""
    out.write(f'<path class="edge" id="edge-{edge.id}" d="{_polyline(line)}"{dash}/>\n')
    if head:
        out.write(f'<path class="arrow" d="{_polyline(head, close=True)}" stroke="none" '
                  f'fill="{style.EDGE_COLOR}"/>\n')


def _write_box(out: IO[str], box: Box, fonts: PillowFonts) -> None:
    out.write(f'<g class="box {box.kind}" id="box-{box.id}">\n')
    border = f'stroke="{style.BORDER_COLOR}" stroke-width="{_number(style.BORDER_WIDTH)}"'
    outline = _rounded(box.x, box.y, box.width, box.height, box.radius)
    if box.rows or box.kind == "frame":
        out.write(f'<path d="{outline}" fill="{box.body_fill}"/>\n')
        header = _rounded(box.x, box.y, box.width, box.title_height, box.radius, bottom=False)
        out.write(f'<path d="{header}" fill="{box.fill}"/>\n')
        for index, row in box.band_rows():
            out.write(f'<rect x="{_number(box.x)}" y="{_number(box.row_top(index))}" '
                      f'width="{_number(box.width)}" height="{_number(box.row_height)}" fill="{row.fill}"/>\n')
        bottom = box.y + box.title_height
        out.write(f'<path d="M{_number(box.x)},{_number(bottom)}H{_number(box.x + box.width)}" {border}/>\n')
        out.write(f'<path d="{outline}" fill="none" {border}/>\n')
    else:
        out.write(f'<path d="{outline}" fill="{box.fill}" {border}/>\n')
    _text(out, box.title_left(fonts.measure(box.title, "title")[0]), box.title_text_top() + fonts.ascent("title"),
          box.title, f'fill="{box.text_color}"', _font("title"))
    for index, row in enumerate(box.rows):
        left = box.row_left(row_width(row, fonts.measure))
        top = box.row_text_top(index) + fonts.ascent("row")
        name, rest = row.parts()
        # The name is a bold tspan; xml:space keeps the space that follows it.
        body = f'<tspan {_font("row_name")}>{escape(name)}</tspan>{escape(rest)}' if name else escape(rest)
        out.write(f'<text x="{_number(left)}" y="{_number(top)}" xml:space="preserve" '
                  f'fill="{row.text_color or style.ROW_TEXT_COLOR}" {_font("row")}>{body}</text>\n')
    out.write("</g>\n")


def render_svg(scene: Scene, path: Union[str, Path]) -> None:
    """Write the scene as a standalone SVG document (scene units become SVG user units)."""
    fonts = svg_fonts()
    margin = style.MARGIN
    width, height = scene.width + 2 * margin, scene.height + 2 * margin
    family = quoteattr(f"{fonts.family}, {style.FONT_FALLBACKS}")
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(f'<svg xmlns="http://www.w3.org/2000/svg" width="{_number(width)}" height="{_number(height)}" '
                  f'viewBox="0 0 {_number(width)} {_number(height)}" font-family={family}>\n')
        out.write(f'<rect width="100%" height="100%" fill="{style.BACKGROUND}"/>\n')
        out.write(f'<g transform="translate({_number(margin)},{_number(margin)})">\n')
        out.write('<g class="frames">\n')
        for box in scene.boxes:  # expanded groups' frames lie under the edges that cross them
            if box.kind == "frame":
                _write_box(out, box, fonts)
        out.write("</g>\n")
        out.write(f'<g class="edges" fill="none" stroke="{style.EDGE_COLOR}" '
                  f'stroke-width="{_number(style.EDGE_WIDTH)}">\n')
        for edge in scene.edges:
            _write_edge(out, edge)
        out.write("</g>\n")
        out.write(f'<g class="labels" fill="{style.LABEL_COLOR}" {_font("label")}>\n')
        for edge in scene.edges:
            if edge.label:
                label_width, label_height = fonts.measure(edge.label, "label")
                baseline = edge.label_y - label_height / 2 + fonts.ascent("label")
                _text(out, edge.label_x - label_width / 2, baseline, edge.label)
        out.write("</g>\n")
        out.write('<g class="boxes">\n')
        for box in scene.boxes:
            if box.kind != "frame":
                _write_box(out, box, fonts)
        out.write("</g>\n</g>\n</svg>\n")

