"""Graph + view options → a laid-out, backend-neutral picture: boxes with rows, edges with labels.

Every backend (Tk canvas, PNG, SVG) draws a `Scene`; each builds its own with the text metrics of the font it
draws with (the `Measure` callback), so boxes fit their text while the boxes, rows, colours and order stay the
same everywhere.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from . import style
from .layout import layout
from .model import DECODE_ERRORS, Argument, Graph, ModelError, Node, Tensor, Value, format_shape

# (text, style) → (width, height) in scene units; style is a key of style.FONTS: "title", "row", "row_name"
# (bold row names) or "label".
Measure = Callable[[str, str], Tuple[float, float]]
Point = Tuple[float, float]

# Tensors up to this many bytes may be read to draw a one-element weight as `name = value`.
SMALL_TENSOR_BYTES = 1024
# Drawn after the title of a node that holds graphs (bodies, branches, a called function): double-click opens.
BODY_MARK = "⊞"
# Control-dependency values are named like TensorFlow spells them: "^producer".
CONTROL_PREFIX = "^"


@dataclass
class ViewOptions:
    show_attributes: bool = False
    show_weights: bool = True
    show_names: bool = False
    horizontal: bool = False


@dataclass
class Row:
    kind: str   # "weight" | "attribute" | "chain" | "type" (the shape row of an input/output pill)
    name: str   # argument / attribute / chained operator name
    text: str   # the drawn text, e.g. "W ⟨32×3×3×3⟩", "kernel_shape = 3, 3"
    fill: str = ""         # chain rows are drawn as a header band in their category colour
    text_color: str = ""

    def parts(self) -> Tuple[str, str]:
        """(bold name, plain rest) of the text: weight and attribute rows start with their name."""
        if self.kind in ("weight", "attribute") and self.name and self.text.startswith(self.name):
            return self.name, self.text[len(self.name):]
        return "", self.text


# Box kinds drawn as rectangles (the others, graph inputs and outputs, as pills).
BOXED_KINDS = ("node", "group", "frame")


@dataclass
class Box:
    id: int
    kind: str   # "node" | "input" | "output" (inputs/outputs are drawn as pills)
    title: str
    fill: str
    text_color: str
    rows: List[Row]
    x: float = 0.0
    y: float = 0.0
    width: float = 0.0
    height: float = 0.0
    node: Optional[Node] = None
    argument: Optional[Argument] = None
    title_height: float = 0.0  # header band height; rows follow, each `row_height` tall
    row_height: float = 0.0
    group: Optional[Any] = None  # kind "group" (collapsed: one box) or "frame" (expanded): a groups.Group

    @property
    def radius(self) -> float:
        """Corner radius: pills are rounder than operator boxes."""
        if self.kind in BOXED_KINDS:
            return style.CORNER_RADIUS
        return min(self.title_height / 2, self.height / 2)

    @property
    def chain_count(self) -> int:
        """Number of chain rows: coloured bands that come first, right under the header."""
        count = 0
        while count < len(self.rows) and self.rows[count].kind == "chain":
            count += 1
        return count

    @property
    def body_fill(self) -> str:
        """Colour below the header: white behind rows, or the last chain band's when there are only bands."""
        if self.kind == "frame":
            return style.FRAME_FILL
        if self.rows and self.chain_count == len(self.rows):
            return self.rows[-1].fill
        return style.ROW_FILL

    def band_rows(self) -> List[Tuple[int, Row]]:
        """(index, row) of the rows drawn as a coloured band: every row with a fill, except a last band whose
        colour the body already has (drawing it square would cover the box's rounded bottom corners)."""
        last = len(self.rows) - 1
        return [(index, row) for index, row in enumerate(self.rows)
                if row.fill and (index < last or self.body_fill == style.ROW_FILL)]

    def row_top(self, index: int) -> float:
        """Top edge of row `index`: chain bands follow the header directly, other rows after a small gap."""
        top = self.y + self.title_height + index * self.row_height
        return top + (style.ROWS_PAD_Y if index >= self.chain_count else 0.0)

    def title_left(self, text_width: float) -> float:
        """Left end of the header text: after the padding in boxes with rows (like Netron), else centred."""
        if self.kind in BOXED_KINDS and (self.rows or self.kind == "frame"):
            return self.x + style.TITLE_PAD_X
        return self.x + (self.width - text_width) / 2

    def row_left(self, text_width: float) -> float:
        """Left end of a row's text: after the padding in operator boxes, centred in pills."""
        if self.kind in BOXED_KINDS:
            return self.x + style.ROW_PAD_X
        return self.x + (self.width - text_width) / 2

    def title_text_top(self) -> float:
        return self.y + style.TITLE_PAD_Y

    def row_text_top(self, index: int) -> float:
        return self.row_top(index) + style.ROW_PAD_Y / 2


@dataclass
class Edge:
    id: int
    source: int  # Box ids
    target: int
    value: Value
    label: str   # "?×32×224×224" (or the value name with show_names), "" when none
    points: List[Point] = field(default_factory=list)
    label_x: float = 0.0
    label_y: float = 0.0
    dashed: bool = False  # control dependencies


@dataclass
class Scene:
    graph: Graph
    options: ViewOptions
    boxes: List[Box]
    edges: List[Edge]
    width: float
    height: float
    grouping: Optional[Any] = None  # the window's collapse state of the graph (app.grouping.GroupState)


# Control characters (invalid in SVG/XML, unlayoutable by fonts) are drawn as escapes; lone surrogates as "�".
_ESCAPES = {code: f"\\x{code:02x}" for code in [*range(0x20), *range(0x7F, 0xA0)]}
_ESCAPES.update({ord("\n"): "\\n", ord("\t"): "\\t", ord("\r"): "\\r"})
_ESCAPES.update({code: "\ufffd" for code in range(0xD800, 0xE000)})


def printable(text: str) -> str:
    """The text with control characters escaped, safe to measure, draw and write to SVG."""
    return text.translate(_ESCAPES)


def shorten_middle(text: str, limit: int) -> str:
    """`very_long_name_of_a_node` → `very_lo…a_node`: keeps both ends, which tell names apart."""
    text = printable(text)
    if len(text) <= limit:
        return text
    head = limit // 2
    tail = limit - 1 - head
    return text[:head] + "…" + (text[-tail:] if tail else "")


def shorten_end(text: str, limit: int) -> str:
    """`1, 2, 3, 4, 5, 6` → `1, 2, 3, …`: for values, whose start matters most."""
    text = printable(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def format_value(value: Any, limit: int = style.MAX_ATTRIBUTE_CHARS) -> str:
    """A short text for an attribute or tiny tensor value (plain Python, numpy, Tensor, Graph)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (int, str)):
        return shorten_end(str(value), limit)
    if isinstance(value, bytes):
        try:
            return shorten_end(value.decode("utf-8"), limit)
        except UnicodeDecodeError:
            return f"{len(value)} bytes"
    if isinstance(value, Tensor):
        return f"⟨{format_shape(value.shape)}⟩"
    if isinstance(value, Graph):
        return value.name or "graph"
    if value is None:
        return ""
    if hasattr(value, "tolist") and hasattr(value, "shape"):  # numpy arrays and scalars
        if getattr(value, "size", 0) > 64:
            return f"⟨{format_shape(tuple(value.shape))}⟩"
        value = value.tolist()
        if not isinstance(value, list):
            return format_value(value, limit)
    if isinstance(value, (list, tuple)):
        parts: List[str] = []
        length = 0
        for item in value:
            text = format_value(item, limit)
            parts.append(text)
            length += len(text) + 2
            if length > limit:  # stop early: a long list is cut anyway
                break
        return shorten_end(", ".join(parts), limit)
    return shorten_end(str(value), limit)


_SYMBOL = re.compile(r"[A-Za-z_][A-Za-z0-9_.:]*")


def compact_shape(shape) -> str:
    """A shape short enough to draw: a dimension stored as an expression (`floor(height/2 - 1/2) + 1`, as the
    torch exporters write them) becomes `?`; plain symbols such as `batch` stay. The sidebar shows it in full."""
    if shape is None:
        return "?"
    dims = [d if not isinstance(d, str) or _SYMBOL.fullmatch(d.strip()) else None for d in shape]
    return format_shape(tuple(dims))


def type_text(dtype: Optional[str], shape) -> str:
    """`float32 ⟨1×3⟩`; a scalar is its dtype alone (not `int64 ⟨⟩`)."""
    if shape is not None and len(shape) == 0:
        return dtype or "?"
    return f"{dtype or '?'} ⟨{compact_shape(shape)}⟩"


def _weight_row(argument: Argument, value: Value) -> Row:
    tensor = value.initializer
    assert tensor is not None
    name = argument.name or value.name
    nbytes = tensor.nbytes
    if tensor.size == 1 and nbytes is not None and nbytes <= SMALL_TENSOR_BYTES and tensor.loader is not None:
        try:
            text = format_value(tensor.data().reshape(-1)[0])
        except (ModelError, ImportError, *DECODE_ERRORS):  # unreadable: drawn by its shape instead
            text = ""
        if text:
            return Row("weight", name, shorten_end(f"{name} = {text}", style.MAX_ROW_CHARS))
    return Row("weight", name, shorten_middle(f"{name} ⟨{compact_shape(tensor.shape)}⟩", style.MAX_ROW_CHARS))


def node_rows(node: Node, options: ViewOptions) -> List[Row]:
    """The rows drawn inside a node box for these options."""
    rows: List[Row] = []
    for link in node.chain:
        fill, text_color = style.category_colors(link.type.category)
        title = link.name if options.show_names and link.name else link.type.name
        rows.append(Row("chain", link.type.name, shorten_middle(title, style.MAX_TITLE_CHARS), fill, text_color))
    if options.show_weights:
        rows.extend(_weight_row(argument, value) for argument, value in node.weights() if argument.visible)
    if options.show_attributes:
        for attribute in node.attributes:
            if attribute.visible:
                text = f"{attribute.name} = {format_value(attribute.value)}"
                rows.append(Row("attribute", attribute.name, shorten_end(text, style.MAX_ROW_CHARS)))
    return rows


def _pill_rows(argument: Argument) -> List[Row]:
    rows = []
    for value in argument.values:
        if value.type is not None and value.type.shape is not None:
            text = type_text(value.type.dtype, value.type.shape)
            rows.append(Row("type", value.name, shorten_middle(text, style.MAX_ROW_CHARS)))
    return rows


def edge_label(value: Value, options: ViewOptions) -> str:
    """Shape (or name) drawn beside an edge; "" when unknown or too long to stay readable."""
    if options.show_names:
        text = printable(value.name)
    elif value.type is not None and value.type.shape:
        text = compact_shape(value.type.shape)
    else:
        text = ""
    return text if len(text) <= style.MAX_LABEL_CHARS else ""


def row_width(row: Row, measure: Measure) -> float:
    """Drawn width of a row's text: its name in bold, the rest plain."""
    name, rest = row.parts()
    return (measure(name, "row_name")[0] if name else 0.0) + measure(rest, "row")[0]


def _size_box(box: Box, measure: Measure) -> None:
    title_width, title_height = measure(box.title, "title")
    box.title_height = title_height + 2 * style.TITLE_PAD_Y
    width = title_width + 2 * style.TITLE_PAD_X
    height = box.title_height
    if box.rows:
        box.row_height = measure("Ag", "row")[1] + style.ROW_PAD_Y
        width = max([width] + [row_width(row, measure) + 2 * style.ROW_PAD_X for row in box.rows])
        height += len(box.rows) * box.row_height
        if box.chain_count < len(box.rows):
            height += 2 * style.ROWS_PAD_Y
    if box.kind not in BOXED_KINDS:  # pills keep their text clear of the round ends
        width += box.title_height / 2
    box.width = math.ceil(max(width, style.MIN_BOX_WIDTH))
    box.height = math.ceil(height)


def input_arguments(graph: Graph) -> List[Argument]:
    """The graph inputs drawn as pills: old ONNX files list every initializer as a graph input too, and those
    are rows, not pills."""
    return [argument for argument in graph.inputs
            if not (argument.values and all(value.initializer is not None for value in argument.values))]


def pill_box(box_id: int, kind: str, argument: Argument) -> Box:
    """The pill of a graph input or output (`kind` "input" / "output")."""
    pill_fill, pill_text = style.PILL_COLORS
    title = shorten_middle(argument.name or _first_name(argument), style.MAX_TITLE_CHARS)
    return Box(box_id, kind, title, pill_fill, pill_text, _pill_rows(argument), argument=argument)


def node_box(box_id: int, node: Node, options: ViewOptions) -> Box:
    fill, text_color = style.category_colors(node.type.category)
    title = shorten_middle(node.name if options.show_names and node.name else node.type.name, style.MAX_TITLE_CHARS)
    if node.graphs:  # If/Loop/Scan/While, function calls: a mark says there is a body to open
        title += f" {BODY_MARK}" if len(node.graphs) == 1 else f" {BODY_MARK}{len(node.graphs)}"
    return Box(box_id, "node", title, fill, text_color, node_rows(node, options), node=node)


def _graph_boxes(graph: Graph, options: ViewOptions) -> List[Box]:
    boxes: List[Box] = []
    for argument in input_arguments(graph):
        boxes.append(pill_box(len(boxes), "input", argument))
    for node in graph.nodes:
        boxes.append(node_box(len(boxes), node, options))
    for argument in graph.outputs:
        boxes.append(pill_box(len(boxes), "output", argument))
    return boxes


def _first_name(argument: Argument) -> str:
    return argument.values[0].name if argument.values else ""


def _connect(boxes: Sequence[Box]) -> List[Tuple[int, int, Value]]:
    """(producer box, consumer box, value) per tensor, producer and consumer; constant weights are rows, not
    edges. A name several boxes write (a Caffe net's TRAIN and TEST data layers both writing `data`) links each
    of them to every reader."""
    producers: Dict[str, List[int]] = {}
    node_boxes: Dict[str, int] = {}
    for box in boxes:
        if box.kind == "input" and box.argument is not None:
            names = [value.name for value in box.argument.values]
        elif box.node is not None:
            node_boxes.setdefault(box.node.name, box.id)
            names = [value.name for argument in box.node.outputs for value in argument.values if value.name]
        else:
            continue
        for name in names:
            writers = producers.setdefault(name, [])
            if box.id not in writers:
                writers.append(box.id)
    links: List[Tuple[int, int, Value]] = []
    seen = set()
    for box in boxes:
        if box.kind == "input":
            continue
        arguments = box.node.inputs if box.node is not None else [box.argument] if box.argument else []
        for argument in arguments:
            for value in argument.values:
                if not value.name or value.initializer is not None:
                    continue
                sources = producers.get(value.name, [])
                if not sources and value.name.startswith(CONTROL_PREFIX):
                    bare = value.name[len(CONTROL_PREFIX):]
                    sources = producers.get(bare) or ([node_boxes[bare]] if bare in node_boxes else [])
                if not sources or (value.name, box.id) in seen:
                    continue
                seen.add((value.name, box.id))
                links.extend((source, box.id, value) for source in sources)
    return links


def build_scene(graph: Graph, options: ViewOptions, measure: Measure) -> Scene:
    """Boxes and edges for `graph`, sized with `measure` and laid out (positions in scene units)."""
    boxes = _graph_boxes(graph, options)
    for box in boxes:
        _size_box(box, measure)
    edges: List[Edge] = []
    label_sizes: List[Optional[Tuple[float, float]]] = []
    groups: Dict[Tuple[int, str], int] = {}
    edge_groups: List[int] = []
    for source, target, value in _connect(boxes):
        # One label per tensor and producer: its edges leave the producer together, where the layout puts their
        # labels.
        group = (source, value.name)
        label = "" if group in groups else edge_label(value, options)
        edges.append(Edge(len(edges), source, target, value, label, dashed=value.name.startswith(CONTROL_PREFIX)))
        if label:
            width, height = measure(label, "label")
            label_sizes.append((math.ceil(width + 2 * style.LABEL_PAD), math.ceil(height + 2 * style.LABEL_PAD)))
        else:
            label_sizes.append(None)
        edge_groups.append(groups.setdefault(group, len(groups)))
    if not boxes:
        return Scene(graph, options, boxes, edges, 0.0, 0.0)
    result = layout([(box.width, box.height) for box in boxes], [(edge.source, edge.target) for edge in edges],
                    label_sizes=label_sizes, edge_groups=edge_groups, horizontal=options.horizontal)
    for box, (cx, cy) in zip(boxes, result.centers):
        box.x, box.y = cx - box.width / 2, cy - box.height / 2
    for edge, route, position in zip(edges, result.routes, result.label_positions):
        edge.points = [(float(x), float(y)) for x, y in route]
        if position is None:
            edge.label = ""
        else:
            edge.label_x, edge.label_y = position
    _drop_hidden_labels(boxes, edges, label_sizes)
    return Scene(graph, options, boxes, edges, result.width, result.height)


# Cell size of the grid that finds overlapping labels (scene units; about one label wide).
_GRID = 64.0


def _drop_hidden_labels(boxes: Sequence[Box], edges: Sequence[Edge],
                        sizes: Sequence[Optional[Tuple[float, float]]]) -> None:
    """Clear labels that would be drawn over a box or over an earlier label (unreadable either way).

    Edges come in argument order, so a node's data input keeps its label over its weight-like inputs.
    """
    grid: Dict[Tuple[int, int], List[Tuple[float, float, float, float]]] = {}

    def cells(x0: float, y0: float, x1: float, y1: float):
        return [(i, j) for i in range(int(x0 // _GRID), int(x1 // _GRID) + 1)
                for j in range(int(y0 // _GRID), int(y1 // _GRID) + 1)]

    def hits(rect: Tuple[float, float, float, float]) -> bool:
        x0, y0, x1, y1 = rect
        return any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1
                   for cell in cells(*rect) for b in grid.get(cell, ()))

    def add(rect: Tuple[float, float, float, float]) -> None:
        for cell in cells(*rect):
            grid.setdefault(cell, []).append(rect)

    for box in boxes:
        add((box.x, box.y, box.x + box.width, box.y + box.height))
    for edge, size in zip(edges, sizes):
        if edge.label and size:
            # Text and padding, so that two labels never touch (they would read as one); boxes may be touched.
            half_w, half_h = size[0] / 2, size[1] / 2 - style.LABEL_PAD
            rect = (edge.label_x - half_w, edge.label_y - half_h, edge.label_x + half_w, edge.label_y + half_h)
            if hits(rect):
                edge.label = ""
            else:
                add(rect)


def smooth_path(points: Sequence[Point], steps: int = 8) -> List[Point]:
    """A polyline drawn as a smooth curve: a uniform cubic B-spline, the curve Netron's layout draws.

    The curve starts and ends at the polyline's ends, leaves along the first leg and arrives along the last one
    (so an arrowhead drawn along the last segment points the right way), and stays inside the polyline's hull.
    """
    path: List[Point] = []
    for x, y in points:
        if not path or (x, y) != path[-1]:
            path.append((float(x), float(y)))
    if len(path) < 3 or all(abs((b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0])) < 1e-6
                            for a, b, c in zip(path, path[1:], path[2:])):
        return path if len(path) < 3 else [path[0], path[-1]]
    (x0, y0), (x1, y1) = path[0], path[1]
    smooth = [path[0], ((5 * x0 + x1) / 6, (5 * y0 + y1) / 6)]
    # Each further point adds one cubic Bézier span between the B-spline's knots; the end point counts twice.
    for x, y in path[2:] + [path[-1]]:
        start = smooth[-1]
        c1 = ((2 * x0 + x1) / 3, (2 * y0 + y1) / 3)
        c2 = ((x0 + 2 * x1) / 3, (y0 + 2 * y1) / 3)
        stop = ((x0 + 4 * x1 + x) / 6, (y0 + 4 * y1 + y) / 6)
        for step in range(1, steps + 1):
            t = step / steps
            u = 1 - t
            a, b, c, d = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
            smooth.append((a * start[0] + b * c1[0] + c * c2[0] + d * stop[0],
                           a * start[1] + b * c1[1] + c * c2[1] + d * stop[1]))
        (x0, y0), (x1, y1) = (x1, y1), (x, y)
    smooth.append(path[-1])
    return smooth


def arrow(points: Sequence[Point], length: float = style.ARROW_LENGTH,
          width: float = style.ARROW_WIDTH) -> Tuple[List[Point], List[Point]]:
    """(the path shortened to the arrowhead's base, the arrowhead triangle tip-first).

    The base is where the path leaves the circle of radius `length` around the tip, so the head follows the
    curve's end even when the smoothed path's last segments are shorter than the head.
    """
    if len(points) < 2:
        return list(points), []
    tx, ty = points[-1]
    index = len(points) - 2
    while index > 0 and math.hypot(points[index][0] - tx, points[index][1] - ty) < length:
        index -= 1
    (ax, ay), (bx, by) = points[index], points[index + 1]
    if math.hypot(ax - tx, ay - ty) <= length:  # the whole path is shorter than the head
        base = (ax, ay)
    else:  # solve |A + s·(B − A) − T| = length for s in [0, 1], the crossing nearest B
        dx, dy, fx, fy = bx - ax, by - ay, ax - tx, ay - ty
        a, b, c = dx * dx + dy * dy, 2 * (fx * dx + fy * dy), fx * fx + fy * fy - length * length
        s = (-b - math.sqrt(max(b * b - 4 * a * c, 0.0))) / (2 * a) if a else 0.0
        base = (ax + s * dx, ay + s * dy)
    distance = math.hypot(tx - base[0], ty - base[1])
    if distance == 0:
        return list(points), []
    ux, uy = (tx - base[0]) / distance, (ty - base[1]) / distance
    half = width / 2
    head = [(tx, ty), (base[0] - uy * half, base[1] + ux * half), (base[0] + uy * half, base[1] - ux * half)]
    return list(points[: index + 1]) + [base], head
