"""Is a label rectangle clear? Segments and rectangles bucketed in a grid, and the count of labels that are not.

Both the label placement (`labels`) and the label benchmark ask the same question, so the geometry lives here
once: a rectangle is crossed by a segment that enters its interior (touching the border does not count), and
it overlaps a box or another label when the interiors meet.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

Point = Tuple[float, float]
Rect = Tuple[float, float, float, float]   # x0, y0, x1, y1

# Grid cell edge in layout units: about one label wide, so a label looks at a handful of cells.
CELL = 64.0
# A segment must reach this far into a rectangle to cross it (rounding noise is not a crossing).
EPSILON = 1e-6


def segment_crosses(a: Point, b: Point, rect: Rect) -> bool:
    """Whether the segment a–b passes through the interior of `rect` (Liang–Barsky clipping)."""
    x0, y0, x1, y1 = rect
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    low, high = 0.0, 1.0
    for p, q in ((-dx, ax - x0 - EPSILON), (dx, x1 - EPSILON - ax), (-dy, ay - y0 - EPSILON),
                 (dy, y1 - EPSILON - ay)):
        if p == 0:
            if q <= 0:
                return False
        elif p < 0:
            low = max(low, q / p)
        else:
            high = min(high, q / p)
        if low >= high:
            return False
    return True


def rects_overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def label_rect(centre: Point, size: Tuple[float, float]) -> Rect:
    half_w, half_h = size[0] / 2, size[1] / 2
    return (centre[0] - half_w, centre[1] - half_h, centre[0] + half_w, centre[1] + half_h)


def _cells(rect: Rect):
    i0, i1 = int(rect[0] // CELL), int(rect[2] // CELL)
    j0, j1 = int(rect[1] // CELL), int(rect[3] // CELL)
    return [(i, j) for i in range(i0, i1 + 1) for j in range(j0, j1 + 1)]


class Obstacles:
    """Route segments (each with the tensor it carries) and rectangles (boxes, placed labels), indexed for
    rectangle queries. Vertical segments (the long runs of a route through its layers) are kept per x, sorted by
    their top, so a run through many layers costs one entry; the other segments, which bend within one layer
    gap, sit in the grid cells they span."""

    def __init__(self) -> None:
        self._segments: Dict[Tuple[int, int], List[Tuple[Point, Point, int]]] = {}
        self._rects: Dict[Tuple[int, int], List[Tuple[Rect, int]]] = {}
        self._runs: Dict[float, List[Tuple[float, float, int]]] = {}   # x -> (top, bottom, owner), by top
        self._run_length: Dict[float, float] = {}                        # x -> longest run there
        self._run_xs: List[float] = []                                   # sorted
        self._sorted = True

    def add_route(self, points: Sequence[Point], owner: int) -> None:
        runs, longest, grid = self._runs, self._run_length, self._segments
        # the hot loop of a placement: every segment of every route passes here once
        for a, b in zip(points, points[1:]):
            ax, ay = a
            bx, by = b
            if ax == bx:
                if ay == by:
                    continue
                top, bottom = (ay, by) if ay < by else (by, ay)
                column = runs.get(ax)
                if column is None:
                    column = runs[ax] = []
                    insort(self._run_xs, ax)
                column.append((top, bottom, owner))
                if bottom - top > longest.get(ax, 0.0):
                    longest[ax] = bottom - top
                continue
            entry = (a, b, owner)
            i0, i1 = (int(ax // CELL), int(bx // CELL)) if ax < bx else (int(bx // CELL), int(ax // CELL))
            j0, j1 = (int(ay // CELL), int(by // CELL)) if ay < by else (int(by // CELL), int(ay // CELL))
            for i in range(i0, i1 + 1):
                for j in range(j0, j1 + 1):
                    cell = grid.get((i, j))
                    if cell is None:
                        grid[(i, j)] = [entry]
                    else:
                        cell.append(entry)
        self._sorted = False

    def add_rect(self, rect: Rect, owner: int = -1) -> None:
        for cell in _cells(rect):
            self._rects.setdefault(cell, []).append((rect, owner))

    def crossings(self, rect: Rect, owner: int) -> int:
        """How many segments of other tensors than `owner` cross `rect` (a long segment counts once)."""
        seen = set()
        for cell in _cells(rect):
            for segment in self._segments.get(cell, ()):
                if segment[2] != owner and id(segment) not in seen and segment_crosses(segment[0], segment[1], rect):
                    seen.add(id(segment))
        return len(seen) + self._run_crossings(rect, owner)

    def _run_crossings(self, rect: Rect, owner: int) -> int:
        if not self._sorted:
            for column in self._runs.values():
                column.sort()
            self._sorted = True
        x0, y0, x1, y1 = rect
        xs = self._run_xs
        count = 0
        for k in range(bisect_right(xs, x0 + EPSILON), bisect_left(xs, x1 - EPSILON)):
            x = xs[k]
            column = self._runs[x]
            # runs starting above y1 - EPSILON, and no earlier than the longest run there could reach from
            low = bisect_left(column, (y0 + EPSILON - self._run_length[x],))
            for _, bottom, other in column[low:bisect_left(column, (y1 - EPSILON,))]:
                if other != owner and bottom > y0 + EPSILON:
                    count += 1
        return count

    def overlaps(self, rect: Rect, owner: int = -2) -> int:
        """How many of the rectangles, other than those added with `owner`, overlap `rect`."""
        seen = set()
        for cell in _cells(rect):
            for item in self._rects.get(cell, ()):
                if item[1] != owner and id(item) not in seen and rects_overlap(rect, item[0]):
                    seen.add(id(item))
        return len(seen)


@dataclass
class LabelConflicts:
    """Per drawing: labels crossed by another tensor's route, labels over a box, labels over another label."""

    labels: int
    crossed: int
    on_box: int
    on_label: int
    unclear: Tuple[int, ...] = ()   # the edges whose label has any of the three


def label_conflicts(boxes: Sequence[Rect], routes: Sequence[Sequence[Point]], owners: Sequence[int],
                    labels: Sequence[Optional[Rect]]) -> LabelConflicts:
    """Count the labels (`labels[i]` names edge i, None without one) that another tensor's route crosses
    (edges with the same `owners` id carry the same tensor), that overlap a box or that overlap another label."""
    routes_grid = Obstacles()
    for points, owner in zip(routes, owners):
        routes_grid.add_route(points, owner)
    boxes_grid = Obstacles()
    for rect in boxes:
        boxes_grid.add_rect(rect)
    labels_grid = Obstacles()
    for i, rect in enumerate(labels):
        if rect is not None:
            labels_grid.add_rect(rect, i)
    crossed = on_box = on_label = 0
    unclear = []
    for i, rect in enumerate(labels):
        if rect is None:
            continue
        hit_route = routes_grid.crossings(rect, owners[i]) > 0
        hit_box = boxes_grid.overlaps(rect) > 0
        hit_label = labels_grid.overlaps(rect, i) > 0
        crossed += hit_route
        on_box += hit_box
        on_label += hit_label
        if hit_route or hit_box or hit_label:
            unclear.append(i)
    return LabelConflicts(sum(rect is not None for rect in labels), crossed, on_box, on_label, tuple(unclear))
