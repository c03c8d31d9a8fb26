"""Weight statistics and a histogram picture for the sidebar (numpy + Pillow, no Tk)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, List, Optional, Tuple

# Elements shown in the value preview.
PREVIEW_LIMIT = 64


@dataclass
class TensorStats:
    count: int
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    mean: Optional[float] = None
    std: Optional[float] = None
    zeros: float = 0.0             # percentage of exact zeros
    nans: int = 0
    infs: int = 0
    histogram: List[int] = field(default_factory=list)
    edges: Tuple[float, float] = (0.0, 0.0)  # the histogram's value range
    preview: str = ""

    def rows(self) -> List[Tuple[str, str]]:
        """(label, text) pairs for the sidebar table, paired up to keep the table short."""
        rows = []
        if self.minimum is not None and self.maximum is not None:
            rows.append(("min / max", f"{format_number(self.minimum)} / {format_number(self.maximum)}"))
        if self.mean is not None and self.std is not None:
            rows.append(("mean ± std", f"{format_number(self.mean)} ± {format_number(self.std)}"))
        rows.append(("zeros / NaN / Inf", f"{self.zeros:.2f} % / {self.nans:,} / {self.infs:,}"))
        return rows


def format_number(number: float) -> str:
    return f"{number:.6g}"


def compute_stats(array: Any, bins: int = 64) -> TensorStats:
    """Statistics of a numpy array; NaN/Inf are counted and left out of min/max/mean/std."""
    import numpy

    array = numpy.asarray(array)
    flat = array.reshape(-1)
    stats = TensorStats(count=int(flat.size), preview=shaped_preview(array))
    if flat.size == 0:
        return stats
    if flat.dtype.kind == "b":
        flat = flat.astype(numpy.uint8)
    if flat.dtype.kind == "V" and flat.dtype.type.__module__ == "ml_dtypes":  # bfloat16, float8, int4...
        flat = flat.astype(numpy.float32)
    if flat.dtype.kind not in "iufc":
        return stats
    if flat.dtype.kind == "c":
        flat = numpy.abs(flat)
    stats.zeros = 100.0 * float(numpy.count_nonzero(flat == 0)) / flat.size
    if flat.dtype.kind == "f":
        finite_mask = numpy.isfinite(flat)
        stats.nans = int(numpy.count_nonzero(numpy.isnan(flat)))
        stats.infs = int(flat.size - stats.nans - numpy.count_nonzero(finite_mask))
        finite = flat[finite_mask].astype(numpy.float64)
    else:
        finite = flat.astype(numpy.float64)
    if finite.size == 0:
        return stats
    stats.minimum, stats.maximum = float(finite.min()), float(finite.max())
    stats.mean, stats.std = float(finite.mean()), float(finite.std())
    low, high = stats.minimum, stats.maximum
    if low == high:
        low, high = low - 0.5, high + 0.5
    counts, _ = numpy.histogram(finite, bins=bins, range=(low, high))
    stats.histogram = [int(c) for c in counts]
    stats.edges = (low, high)
    return stats


def preview_text(flat: Any, limit: int = PREVIEW_LIMIT) -> str:
    """The first elements, comma separated, with an ellipsis when there are more."""
    items = []
    for item in flat[:limit].tolist():
        items.append(format_number(item) if isinstance(item, float) else str(item))
    text = ", ".join(items)
    return text + (", …" if flat.size > limit else "")


PREVIEW_ROWS = 8
PREVIEW_COLUMNS = 8


def _items(values: Any, limit: int) -> str:
    texts = [format_number(v) if isinstance(v, float) else str(v) for v in values[:limit].tolist()]
    return "[" + ", ".join(texts) + (", …" if len(values) > limit else "") + "]"


def shaped_preview(array: Any) -> str:
    """The values laid out like the tensor: a scalar, a row, or the first rows and columns of a matrix
    (for more dimensions, the matrix at index 0 of the leading ones); `…` where there is more."""
    if array.ndim == 0:
        item = array.reshape(-1)[:1].tolist()[0]
        return format_number(item) if isinstance(item, float) else str(item)
    if array.ndim == 1 or array.size == 0:
        return _items(array.reshape(-1), PREVIEW_LIMIT)
    lead = array.ndim - 2
    matrix = array[(0,) * lead] if lead else array
    lines = [_items(row, PREVIEW_COLUMNS) for row in matrix[:PREVIEW_ROWS]]
    if matrix.shape[0] > PREVIEW_ROWS:
        lines.append("…")
    prefix = f"[{', '.join(['0'] * lead + [':', ':'])}]\n" if lead else ""
    return prefix + "\n".join(lines)


@dataclass(frozen=True)
class HistogramColours:
    """The histogram's palette; the sidebar passes the one of the window's theme."""

    background: str
    bars: str
    axis: str
    text: str


LIGHT_HISTOGRAM = HistogramColours(background="#FFFFFF", bars="#4A78B8", axis="#888888", text="#444444")
HISTOGRAM_SIZE = (260, 90)   # at 96 dpi; a 2x screen gets twice the pixels, drawn at that size, not enlarged
NARROWEST = 80               # at 96 dpi: narrower, the bars and the min/max labels are no longer readable
LABEL_PIXELS = 10            # the size of the min/max text at 96 dpi


@lru_cache(maxsize=4)
def _label_font(pixels: int):
    from PIL import ImageFont

    from ..render.fonts import find_font_files

    files = find_font_files()
    if files is None:
        return ImageFont.load_default(size=pixels)
    return ImageFont.truetype(str(files[1]), pixels)


def histogram_width(scale: float = 1.0, room: Optional[int] = None) -> int:
    """The histogram's width in pixels: its 96 dpi width times `scale`, or the `room` there is when less."""
    width = round(HISTOGRAM_SIZE[0] * scale)
    return width if room is None else max(round(NARROWEST * scale), min(width, room))


def histogram_png(stats: TensorStats, colours: HistogramColours = LIGHT_HISTOGRAM, scale: float = 1.0,
                  room: Optional[int] = None) -> Optional[bytes]:
    """The histogram as PNG bytes (bars plus min/max labels) in `colours`, `scale` times the 96 dpi size in
    pixels with text and lines to match, narrower when only `room` pixels are free; None when there is nothing
    to draw."""
    if not stats.histogram or max(stats.histogram) == 0:
        return None
    from PIL import Image, ImageDraw

    width, height = histogram_width(scale, room), round(HISTOGRAM_SIZE[1] * scale)
    line = max(1, round(scale))
    font = _label_font(max(1, round(LABEL_PIXELS * scale)))
    ascent, descent = font.getmetrics()
    image = Image.new("RGB", (width, height), colours.background)
    draw = ImageDraw.Draw(image)
    plot = height - (ascent + descent) - 2 * line   # the baseline of the bars, above the labels
    peak = max(stats.histogram)
    bar = width / len(stats.histogram)
    for index, count in enumerate(stats.histogram):
        if count:
            top = plot - max(float(line), plot * count / peak)
            draw.rectangle([round(index * bar), round(top), round((index + 1) * bar) - 1, plot], fill=colours.bars)
    draw.line([0, plot, width, plot], fill=colours.axis, width=line)
    low, high = stats.edges
    label_top = plot + line + 1
    draw.text((line, label_top), format_number(low), fill=colours.text, font=font)
    right = format_number(high)
    draw.text((width - line - draw.textlength(right, font=font), label_top), right, fill=colours.text, font=font)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
