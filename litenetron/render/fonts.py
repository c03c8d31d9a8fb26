"""Fonts for the Pillow-drawn export: a system DejaVu Sans / Liberation Sans / Arial if present, else Pillow's
bundled scalable font, and a `Measure` built from it so exported boxes fit their text."""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from .. import style

# (family, regular file, bold file), in order of preference; the SVG names the family that was found.
_CANDIDATES = (
    ("DejaVu Sans", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("Liberation Sans", "LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
    ("Arial", "arial.ttf", "arialbd.ttf"),
    ("Arial", "Arial.ttf", "Arial Bold.ttf"),
)
# Pillow's bundled font lacks these glyphs; draw (and measure) plain look-alikes instead of empty boxes.
_FALLBACK_GLYPHS = str.maketrans({"⟨": "<", "⟩": ">", "×": "x", "…": "...", "⊞": "+"})


def _font_dirs() -> List[Path]:
    home = Path.home()
    dirs = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), home / ".local/share/fonts",
            home / ".fonts", Path("/Library/Fonts"), Path("/System/Library/Fonts"), home / "Library/Fonts"]
    if sys.platform == "win32":
        dirs.insert(0, Path(os.environ.get("WINDIR", "C:\\Windows")) / "Fonts")
    return [folder for folder in dirs if folder.is_dir()]


@lru_cache(maxsize=1)
def find_font_files() -> Optional[Tuple[str, Path, Path]]:
    """(family, regular file, bold file) of the first preferred font installed, or None."""
    found: Dict[str, Path] = {}
    wanted = {name for _, regular, bold in _CANDIDATES for name in (regular, bold)}
    for folder in _font_dirs():
        for root, _, files in os.walk(folder):
            for name in files:
                if name in wanted:
                    found.setdefault(name, Path(root) / name)
    for family, regular, bold in _CANDIDATES:
        if regular in found:
            return family, found[regular], found.get(bold, found[regular])
    return None


class PillowFonts:
    """The fonts of each text style at one pixel scale, and their metrics in scene units.

    Text is measured at the scale it is drawn at, then divided by the scale: hinting makes widths grow a little
    unevenly with size, and measuring at the drawn size keeps every text inside its box.
    """

    def __init__(self, scale: float = 1.0):
        from PIL import ImageFont

        self.scale = scale
        files = find_font_files()
        self.family = files[0] if files else "sans-serif"
        self._translate = files is None
        self.fonts = {}
        for name, spec in style.FONTS.items():
            size = max(spec.size * scale, 1.0)
            if files is None:
                self.fonts[name] = ImageFont.load_default(size=size)
            else:
                # The basic layout engine: faster than Raqm, and names are not shaped text anyway.
                self.fonts[name] = ImageFont.truetype(str(files[2] if spec.bold else files[1]), size,
                                                      layout_engine=ImageFont.Layout.BASIC)
        self._cache: Dict[Tuple[str, str], Tuple[float, float]] = {}
        self._line_height = {}
        for name, font in self.fonts.items():
            ascent, descent = font.getmetrics()
            self._line_height[name] = (ascent + descent) / scale

    def text(self, text: str) -> str:
        """The text as drawn with this font (look-alike glyphs when the font lacks some)."""
        return text.translate(_FALLBACK_GLYPHS) if self._translate else text

    def ascent(self, text_style: str) -> float:
        """Distance from a line's top to its baseline, in scene units."""
        return self.fonts[text_style].getmetrics()[0] / self.scale

    def measure(self, text: str, text_style: str) -> Tuple[float, float]:
        """The `Measure` callback: (width, line height) of `text` in scene units."""
        key = (text, text_style)
        size = self._cache.get(key)
        if size is None:
            width = self.fonts[text_style].getlength(self.text(text)) / self.scale
            size = self._cache[key] = (width, self._line_height[text_style])
        return size


def svg_fonts():
    """The fonts an SVG is measured with: Pillow's view of the installed font, or the built-in table of
    DejaVu Sans widths when Pillow is not installed (SVG export needs only the standard library)."""
    try:
        import PIL.ImageFont  # noqa: F401
    except ImportError:
        from .font_table import TableFonts
        return TableFonts()
    return PillowFonts(1.0)
