"""Text metrics without Pillow: DejaVu Sans advance widths built in, so SVG export and layout work with the
standard library alone. The widths are the font's own (units of its 2048-unit em, ASCII 32-126); other
characters count as a digit's width, which keeps the boxes of mostly-ASCII names close to the real fit."""

from __future__ import annotations

from typing import Dict, Tuple

from .. import style

FAMILY = "DejaVu Sans"
UNITS_PER_EM = 2048
ASCENT, DESCENT = 1901, 483

_REGULAR = (
    651, 821, 942, 1716, 1303, 1946, 1597, 563, 799, 799, 1024, 1716, 651, 739, 651, 690, 1303, 1303, 1303, 1303,
    1303, 1303, 1303, 1303, 1303, 1303, 690, 690, 1716, 1716, 1716, 1087, 2048, 1401, 1405, 1430, 1577, 1294,
    1178, 1587, 1540, 604, 604, 1343, 1141, 1767, 1532, 1612, 1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025,
    1403, 1251, 1403, 799, 690, 799, 1716, 1024, 1024, 1255, 1300, 1126, 1300, 1260, 721, 1300, 1298, 569, 569,
    1186, 569, 1995, 1298, 1253, 1300, 1300, 842, 1067, 803, 1298, 1212, 1675, 1212, 1212, 1075, 1303, 690, 1303,
    1716,
)
_BOLD = (
    713, 934, 1067, 1716, 1425, 2052, 1786, 627, 936, 936, 1071, 1716, 778, 850, 778, 748, 1425, 1425, 1425, 1425,
    1425, 1425, 1425, 1425, 1425, 1425, 819, 819, 1716, 1716, 1716, 1188, 2048, 1585, 1561, 1503, 1700, 1399,
    1399, 1681, 1714, 762, 762, 1587, 1305, 2038, 1714, 1741, 1501, 1741, 1577, 1475, 1397, 1663, 1585, 2259,
    1579, 1483, 1485, 936, 748, 936, 1716, 1024, 1024, 1382, 1466, 1214, 1466, 1389, 891, 1466, 1458, 702, 702,
    1362, 702, 2134, 1458, 1407, 1466, 1466, 1010, 1219, 979, 1458, 1335, 1892, 1321, 1335, 1192, 1458, 748, 1458,
    1716,
)
# The few non-ASCII characters the scene itself draws.
_EXTRA = {"×": (1716, 1716), "…": (2048, 2048), "⟨": (799, 936), "⟩": (799, 936), "�": (2048, 2048)}


def _widths(table: Tuple[int, ...], column: int) -> Dict[str, int]:
    widths = {chr(32 + index): width for index, width in enumerate(table)}
    widths.update({char: pair[column] for char, pair in _EXTRA.items()})
    return widths


_WIDTHS = {False: _widths(_REGULAR, 0), True: _widths(_BOLD, 1)}
_DEFAULT = {False: _REGULAR[ord("0") - 32], True: _BOLD[ord("0") - 32]}


class TableFonts:
    """The `PillowFonts` interface the SVG writer and the layout use, from the built-in table."""

    family = FAMILY

    def __init__(self) -> None:
        self._cache: Dict[Tuple[str, str], Tuple[float, float]] = {}

    def text(self, text: str) -> str:
        return text

    def ascent(self, text_style: str) -> float:
        return style.FONTS[text_style].size * ASCENT / UNITS_PER_EM

    def measure(self, text: str, text_style: str) -> Tuple[float, float]:
        """(width, line height) of `text` in scene units."""
        key = (text, text_style)
        size = self._cache.get(key)
        if size is None:
            spec = style.FONTS[text_style]
            widths, default = _WIDTHS[spec.bold], _DEFAULT[spec.bold]
            units = sum(widths.get(char, default) for char in text)
            size = self._cache[key] = (units * spec.size / UNITS_PER_EM,
                                       spec.size * (ASCENT + DESCENT) / UNITS_PER_EM)
        return size
