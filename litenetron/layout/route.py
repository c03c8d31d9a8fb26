"""Edge routes (polylines from border to border through the dummy positions), self-loops and label spots."""

from __future__ import annotations

from typing import List, Sequence, Tuple

Point = Tuple[float, float]

# how far a label sits right of its route, and the room kept above and below it inside a layer gap
LABEL_OFFSET = 6.0
LABEL_PAD = 4.0


def border_point(cx: float, cy: float, half_w: float, half_h: float, toward: Point) -> Point:
    """Where the segment from the box centre to `toward` leaves the box."""
    dx, dy = toward[0] - cx, toward[1] - cy
    if dx == 0 and dy == 0:
        return (cx, cy + half_h)
    if abs(dy) * half_w > abs(dx) * half_h:
        scale = half_h / abs(dy)
    else:
        scale = half_w / abs(dx)
    return (cx + dx * scale, cy + dy * scale)


def route(path: Sequence[int], xs: Sequence[float], ys: Sequence[float], half_w: Sequence[float],
          half_h: Sequence[float]) -> List[Point]:
    """Polyline for a vertex path (upper end first): border, dummy centres, border."""
    source, target = path[0], path[-1]
    inner = [(xs[d], ys[d]) for d in path[1:-1]]
    first = inner[0] if inner else (xs[target], ys[target])
    last = inner[-1] if inner else (xs[source], ys[source])
    start = border_point(xs[source], ys[source], half_w[source], half_h[source], first)
    end = border_point(xs[target], ys[target], half_w[target], half_h[target], last)
    return [start, *inner, end]


def self_loop(cx: float, cy: float, half_w: float, half_h: float, reach: float) -> List[Point]:
    """A small loop out of the right side of a box and back into it."""
    q = min(half_h / 2, 10.0)
    x0, x1 = cx + half_w, cx + half_w + reach
    return [(x0, cy - q), (x1, cy - q), (x1, cy + q), (x0, cy + q)]


def x_at(points: Sequence[Point], y: float) -> float:
    """x of a y-monotone polyline at height y (clamped to its ends)."""
    if points[0][1] > points[-1][1]:
        points = points[::-1]
    if y <= points[0][1]:
        return points[0][0]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if y <= y1:
            return x0 if y1 == y0 else x0 + (x1 - x0) * (y - y0) / (y1 - y0)
    return points[-1][0]
