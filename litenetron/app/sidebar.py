"""The properties sidebar: a ttk.Treeview describing the selected node, connection, graph or model.

Weights get statistics (computed when the node is selected, in a worker thread for big tensors), a histogram
picture, a value preview and "Save as .npy…" below the table.
"""

from __future__ import annotations

import base64
import tkinter
from tkinter import filedialog, messagebox, ttk
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple

from ..model import (
    Argument,
    Graph,
    Model,
    ModelError,
    Node,
    OpType,
    Tensor,
    Value,
    format_shape,
    internal_error_message,
)
from ..render.tk_canvas import ui_scale
from .rowtools import ReadableTree, cell_texts
from .stats import (
    LIGHT_HISTOGRAM,
    HistogramColours,
    TensorStats,
    compute_stats,
    histogram_png,
    histogram_width,
)
from .theme import FIELD_DARK, MUTED_DARK, TEXT_DARK

# Tensors with more elements than this are summarised in a worker thread.
SYNC_STATS_LIMIT = 200_000
ATTRIBUTE_TEXT_LIMIT = 200
LINK_COLOUR = "#1a5fb4"
FULL_TEXT_LIMIT = 20_000   # what hover and Copy give of an attribute value
DETAIL_PADDING = 6
# On the dark theme's field colour, like the table above it; the bars a lighter blue to stand out on it.
DARK_HISTOGRAM = HistogramColours(background=FIELD_DARK, bars="#6C9BE0", axis=MUTED_DARK, text=TEXT_DARK)

# (label, work, done, failed) → starts a background task (TaskRunner.run with visible=False)
RunInBackground = Callable[..., object]


def value_type_text(value: Value) -> Tuple[str, str]:
    """(dtype, shape) as the sidebar shows them; both empty when nothing is known (not "? ?")."""
    kind = value.type or (value.initializer.type if value.initializer is not None else None)
    if kind is None:
        return "", ""
    return kind.dtype or "?", format_shape(kind.shape)


def tensor_type_text(tensor: Tensor) -> str:
    """`float32 ⟨32×3×3×3⟩` with the whole shape; a scalar is its dtype alone (not `float32 ⟨⟩`)."""
    if tensor.shape is not None and len(tensor.shape) == 0:
        return tensor.dtype or "?"
    return f"{tensor.dtype or '?'} ⟨{format_shape(tensor.shape)}⟩"


def attribute_text(value, limit: int = ATTRIBUTE_TEXT_LIMIT) -> str:
    if isinstance(value, (list, tuple)):
        text = ", ".join(attribute_text(item, limit) for item in value[:limit])
    elif isinstance(value, bytes):
        text = repr(value)
    elif isinstance(value, Graph):
        text = f"graph {value.name or ''} ({len(value.nodes)} nodes)"
    elif isinstance(value, Tensor):
        text = f"tensor {value.dtype or '?'} ⟨{format_shape(value.shape)}⟩"
    elif isinstance(value, float):
        text = f"{value:.7g}"
    elif hasattr(value, "shape") and hasattr(value, "tolist"):
        text = f"⟨{format_shape(tuple(value.shape))}⟩ {value.reshape(-1)[:16].tolist()}"
    else:
        text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


class Sidebar(ttk.Frame):
    def __init__(self, parent, run_in_background: RunInBackground,
                 enter_graph: Callable[[Node, int], None]):
        super().__init__(parent)
        self.run_in_background = run_in_background
        self.enter_graph = enter_graph   # a double-click on a node's "graph" row opens that body
        self.activate_row: Optional[Callable[[str], None]] = None   # a double-click on any other row
        self.follow_link: Optional[Callable[[object], bool]] = None  # a click on a row that leads somewhere
        self.links: Dict[str, object] = {}        # tree row id → the Node / Value / Tensor it leads to
        self.node: Optional[Node] = None
        # id(tensor) → (tensor, statistics); holding the tensor keeps its id from being reused by another
        self.stats: Dict[int, Tuple[Tensor, TensorStats]] = {}
        self.tensors: Dict[str, Tensor] = {}      # tree row id → the weight it belongs to
        self.computing: Set[int] = set()          # id(tensor) of statistics being computed in the background
        self.current: Optional[Tensor] = None
        self.op_type: Optional[OpType] = None   # the node type whose documentation the button shows
        self.histogram_image: Optional[tkinter.PhotoImage] = None
        self.histogram_colours = LIGHT_HISTOGRAM
        self.title = ttk.Label(self, text="", font="TkHeadingFont", padding=(6, 4))
        self.title.pack(fill="x")
        # a long node name wraps instead of running off the pane
        self.title.bind("<Configure>", lambda e: self.title.configure(wraplength=max(100, e.width - 12)))
        frame = ttk.Frame(self)
        frame.pack(fill="both", expand=True)
        self.tree = ttk.Treeview(frame, columns=("value", "type"), selectmode="browse")
        self.tree.heading("#0", text="Name", anchor="w")
        self.tree.heading("value", text="Value", anchor="w")
        self.tree.heading("type", text="Type", anchor="w")
        self.tree.column("#0", width=170, stretch=False)
        self.tree.column("value", width=150, stretch=True)
        self.tree.column("type", width=105, stretch=False)
        self.tree.tag_configure("section", font="TkHeadingFont")
        self.tree.tag_configure("hidden", foreground="#999999")
        self.tree.tag_configure("link", foreground=LINK_COLOUR)
        scroll = ttk.Scrollbar(frame, orient="vertical", command=self.tree.yview)
        across = ttk.Scrollbar(frame, orient="horizontal", command=self.tree.xview)
        self.tree.configure(yscrollcommand=scroll.set, xscrollcommand=across.set)
        frame.rowconfigure(0, weight=1)
        frame.columnconfigure(0, weight=1)
        self.tree.grid(row=0, column=0, sticky="nsew")
        scroll.grid(row=0, column=1, sticky="ns")
        across.grid(row=1, column=0, sticky="ew")
        self.full_texts: Dict[Tuple[str, int], str] = {}   # (row, column) → the whole text a cell shortens
        self.readable = ReadableTree(self.tree, self.full_text)
        self._fit_pending = False
        self.tree.bind("<<TreeviewSelect>>", self._row_selected)
        self.tree.bind("<Double-1>", self._row_double_click)
        self.tree.bind("<ButtonRelease-1>", self._row_click, add="+")
        self.detail = ttk.Frame(self, padding=(DETAIL_PADDING, 4))
        self.detail.pack(fill="x")
        # the histogram and the caption's wrapping follow the pane's width (a 2x histogram may not fit it)
        self.detail.bind("<Configure>", self._detail_resized, add="+")
        self.caption = ttk.Label(self.detail, font="TkHeadingFont", wraplength=420)  # names the tensor shown
        self.histogram = ttk.Label(self.detail)
        self.histogram.pack(anchor="w")
        self.preview = tkinter.Text(self.detail, height=6, wrap="none", relief="flat", background="#f7f7f7",
                                    highlightthickness=0,   # the ring is light grey in either theme
                                    font="TkFixedFont")
        self.preview_scroll = ttk.Scrollbar(self.detail, orient="horizontal", command=self.preview.xview)
        self.preview.configure(xscrollcommand=self.preview_scroll.set)   # matrix rows are wider than the pane
        self.buttons = ttk.Frame(self.detail)
        self.buttons.pack(fill="x", side="bottom")
        self.save_button = ttk.Button(self.buttons, text="Save as .npy…", command=self.save_npy)
        self.doc_button = ttk.Button(self.buttons, text="Documentation…", command=self.show_documentation)

    # -- building the table -------------------------------------------------------------------------------

    def clear(self, title: str = "") -> None:
        self.tree.delete(*self.tree.get_children())
        self.full_texts.clear()
        self.links.clear()
        self.tensors.clear()
        self.title.configure(text=title)
        self.op_type = None
        self.node = None
        self._show_tensor(None)
        self.doc_button.pack_forget()

    def row(self, parent: str, name: str, value="", type_text="", iid: Optional[str] = None,
            tags: Sequence[str] = (), open: bool = True, full_value: str = "", link=None) -> str:
        if link is not None:
            tags = tuple(tags) + ("link",)
        iid = self.tree.insert(parent, "end", iid=iid, text=name, values=(value, type_text), tags=tuple(tags),
                               open=open)
        if full_value and full_value != value:
            self.full_texts[(iid, 1)] = full_value
        if link is not None:
            self.links[iid] = link
        if not self._fit_pending:  # size the columns once the whole table is built
            self._fit_pending = True
            self.after_idle(self._fit)
        return iid

    def _fit(self) -> None:
        self._fit_pending = False
        self.readable.fit_columns()

    def full_text(self, iid: str, column: int) -> str:
        """The whole text of a cell (attribute values are shortened in the table)."""
        if (iid, column) in self.full_texts:
            return self.full_texts[(iid, column)]
        texts = cell_texts(self.tree, iid)
        return texts[column] if column < len(texts) else ""

    def section(self, title: str, iid: str) -> str:
        return self.row("", title, iid=iid, tags=("section",))

    def show_node(self, node: Node, graph: Optional[Graph] = None) -> None:
        self.clear(f"{node.type.name}  ·  {node.name}" if node.name else node.type.name)
        self.node = node
        section = self.section("Node", "node")
        self.row(section, "type", node.type.name, node.type.category, iid="node.type")
        if node.name:
            self.row(section, "name", node.name, iid="node.name")
        if node.type.domain or node.type.version is not None:
            version = "" if node.type.version is None else f"v{node.type.version}"
            self.row(section, "domain", node.type.domain or "(default)", version, iid="node.domain")
        if node.device:
            self.row(section, "device", node.device, iid="node.device")
        if node.description:
            self.row(section, "description", node.description, iid="node.description")
        for index, inner in enumerate(node.chain):
            self.row(section, "chain", inner.type.name, inner.type.category, iid=f"chain:{index}")
        for index, inner_graph in enumerate(node.graphs):
            self.row(section, "graph", inner_graph.name or f"#{index}", f"{len(inner_graph.nodes)} nodes",
                     iid=f"subgraph:{index}")
        self.op_type = node.type if node.type.has_documentation() else None
        if self.op_type is not None:
            self.doc_button.pack(side="left", padx=(0, 4))
        if node.attributes:
            section = self.section("Attributes", "attributes")
            for attribute in node.attributes:
                tags = () if attribute.visible else ("hidden",)
                self.row(section, attribute.name, attribute_text(attribute.value), attribute.type,
                         iid=f"attribute:{attribute.name}", tags=tags,
                         full_value=attribute_text(attribute.value, FULL_TEXT_LIMIT))
        self._arguments("Inputs", "input", node.inputs)
        self._arguments("Outputs", "output", node.outputs)
        weights = list(node.weights())
        if weights:
            section = self.section("Weights", "weights")
            for index, (argument, value) in enumerate(weights):
                self._weight(section, index, argument, value.initializer)
            self._show_tensor(weights[0][1].initializer)

    def _arguments(self, title: str, prefix: str, arguments: List[Argument]) -> None:
        if not arguments:
            return
        section = self.section(title, prefix + "s")
        for index, argument in enumerate(arguments):
            tags = () if argument.visible else ("hidden",)
            for position, value in enumerate(argument.values or [Value("")]):
                dtype, shape = value_type_text(value)
                name = argument.name if position == 0 else ""
                label = value.name or "(none)"
                if value.initializer is not None:
                    label += "  (weight)"
                self.row(section, name, label, f"{dtype} {shape}".strip(), iid=f"{prefix}:{index}:{position}",
                         tags=tags, link=value if value.name or value.initializer is not None else None)

    def _weight(self, section: str, index: int, argument: Argument, tensor: Tensor) -> None:
        iid = f"weight:{index}"
        self.row(section, argument.name, tensor.name, tensor_type_text(tensor), iid=iid)
        self.tensors[iid] = tensor
        if tensor.size is not None:
            nbytes = f"  ({tensor.nbytes:,} bytes)" if tensor.nbytes is not None else ""
            self.row(iid, "elements", f"{tensor.size:,}{nbytes}", iid=f"{iid}:elements")
        if tensor.layout != "dense":
            self.row(iid, "layout", tensor.layout, iid=f"{iid}:layout")
        if tensor.quantization:
            self.row(iid, "quantization", attribute_text(list(tensor.quantization.items())), iid=f"{iid}:quant")
        if tensor.location and tensor.location != "inline":
            self.row(iid, "location", tensor.location, iid=f"{iid}:location")
        known = self.known_stats(tensor)
        if known is not None:
            self._stats_rows(iid, known)
        elif tensor.size is not None and tensor.size <= SYNC_STATS_LIMIT:
            self._stats_rows(iid, self._compute(tensor))
        else:
            self.row(iid, "statistics", "computing…", iid=f"{iid}:pending")
            if id(tensor) not in self.computing:  # one task per tensor, however often its node is shown
                self.computing.add(id(tensor))
                self.run_in_background(
                    f"statistics of {tensor.name}", lambda _task: self._compute(tensor),
                    lambda stats: self._stats_ready(tensor, stats),
                    lambda error: self._stats_ready(tensor, TensorStats(0, preview=f"values unavailable: {error}")))

    def known_stats(self, tensor: Tensor) -> Optional[TensorStats]:
        entry = self.stats.get(id(tensor))
        return entry[1] if entry is not None and entry[0] is tensor else None

    def forget_stats(self) -> None:
        """A new model: drop the statistics of the old one."""
        self.stats.clear()

    def _compute(self, tensor: Tensor) -> TensorStats:
        try:
            stats = compute_stats(tensor.data())
        except (ModelError, ImportError) as error:
            stats = TensorStats(0, preview=f"values unavailable: {getattr(error, 'reason', error)}")
        except Exception as error:  # noqa: BLE001 - a bug of ours: said so, and the sidebar stays usable
            stats = TensorStats(0, preview=f"values unavailable: {internal_error_message(tensor.name, error)}")
        self.stats[id(tensor)] = (tensor, stats)
        return stats

    def _stats_ready(self, tensor: Tensor, stats: TensorStats) -> None:
        self.stats[id(tensor)] = (tensor, stats)
        self.computing.discard(id(tensor))
        for iid, shown in self.tensors.items():  # the node may have been shown again, or not at all any more
            if shown is tensor and self.tree.exists(f"{iid}:pending"):
                self.tree.delete(f"{iid}:pending")
                self._stats_rows(iid, stats)
        if self.current is tensor:
            self._show_tensor(tensor)

    def _stats_rows(self, iid: str, stats: TensorStats) -> None:
        if stats.count == 0 and stats.preview:
            self.row(iid, "values", stats.preview, iid=f"{iid}:error", tags=("hidden",))
            return
        if not self.tree.exists(f"{iid}:elements"):  # the shape did not tell the count
            self.row(iid, "elements", f"{stats.count:,}", iid=f"{iid}:elements")
        for label, text in stats.rows():
            self.row(iid, label, text, iid=f"{iid}:{label.split()[0]}")

    def show_connection(self, value: Value, producer: Optional[Node], consumers: List[Node],
                        producer_text: str = "", consumer_texts: Sequence[str] = ()) -> None:
        self.clear("Connection")
        section = self.section("Connection", "connection")
        dtype, shape = value_type_text(value)
        self.row(section, "name", value.name, iid="connection.name")
        self.row(section, "type", f"{dtype} {shape}".strip() or "unknown", iid="connection.type")
        if value.description:
            self.row(section, "description", value.description, iid="connection.description")
        source = producer_text or (f"{producer.type.name} {producer.name}".strip() if producer else "")
        self.row(section, "producer", source or "(none)", iid="connection.producer", link=producer)
        by_text = {f"{node.type.name} {node.name}".strip(): node for node in consumers}
        texts = list(consumer_texts) or list(by_text)
        for index, text in enumerate(texts):
            self.row(section, "consumer", text, iid=f"connection.consumer:{index}", link=by_text.get(text))

    def show_graph(self, graph: Graph) -> None:
        self.clear(f"Graph {graph.name}".strip())
        section = self.section("Graph", "graph")
        if graph.name:
            self.row(section, "name", graph.name, iid="graph.name")
        if graph.description:
            self.row(section, "description", graph.description, iid="graph.description")
        self.row(section, "nodes", f"{graph.node_count():,}", "in the file", iid="graph.nodes")
        if len(graph.nodes) != graph.node_count():  # constants drawn as weights, or nodes fused
            self.row(section, "drawn", f"{len(graph.nodes):,}", "boxes on the canvas", iid="graph.drawn")
        self.row(section, "parameters", f"{graph.parameters():,}", iid="graph.parameters")
        self._arguments("Inputs", "graph-input", graph.inputs)
        self._arguments("Outputs", "graph-output", graph.outputs)

    def show_model(self, model: Model) -> None:
        self.clear("Model Properties")
        section = self.section("Model", "model")
        for label, text in (("format", model.format), ("producer", model.producer), ("version", model.version),
                            ("imports", ", ".join(model.imports)), ("description", model.description)):
            if text:
                self.row(section, label, text, iid=f"model.{label}")
        if model.path:
            self.row(section, "file", model.path, iid="model.file")
        if model.metadata:
            metadata = self.section("Metadata", "metadata")
            for index, (key, text) in enumerate(model.metadata):
                self.row(metadata, key, text, iid=f"metadata:{index}")
        graphs = self.section("Graphs", "graphs")
        operators: Dict[str, int] = {}
        parameters = 0
        for index, graph in enumerate(model.graphs):
            self.row(graphs, graph.name or f"graph {index}", f"{graph.node_count():,} nodes",
                     f"{graph.parameters():,} params", iid=f"graphs:{index}")
            parameters += graph.parameters()
            for name, count in graph.operators().items():
                operators[name] = operators.get(name, 0) + count
        self.row(section, "parameters", f"{parameters:,}", iid="model.parameters")
        if operators:
            histogram = self.section("Operators", "operators")
            for name, count in sorted(operators.items(), key=lambda item: (-item[1], item[0])):
                self.row(histogram, name, f"{count:,}", iid=f"operator:{name}")

    # -- the weight detail below the table ----------------------------------------------------------------

    def _row_selected(self, _event) -> None:
        """The weight detail follows the selection: a weight's rows show it, an input that is a weight shows
        its tensor, any other row hides it."""
        selection = self.tree.selection()
        if not selection:
            return
        iid = selection[0]
        link = self.links.get(iid)
        if isinstance(link, Value) and link.initializer is not None:
            self._show_tensor(link.initializer)
            return
        while iid and iid not in self.tensors:
            iid = self.tree.parent(iid)
        self._show_tensor(self.tensors[iid] if iid else None)

    def _row_click(self, event) -> None:
        """A click on the value of a row that leads somewhere follows it (the name column only selects, so a
        row can be chosen for Copy)."""
        row = self.tree.identify_row(event.y)
        if row in self.links and self.tree.identify_column(event.x) == "#1" and self.follow_link is not None:
            self.follow_link(self.links[row])

    def show_tensor(self, tensor: Optional[Tensor]) -> None:
        self._show_tensor(tensor)

    def _row_double_click(self, event) -> None:
        row = self.tree.identify_row(event.y)
        if row == "node.type" and self.op_type is not None:
            self.show_documentation()
        elif row.startswith("subgraph:") and self.node is not None:
            self.enter_graph(self.node, int(row.split(":")[1]))
        elif row and self.activate_row is not None:
            self.activate_row(row)

    def set_dark(self, dark: bool) -> None:
        """Follow the window's theme; the weight shown is drawn again in its colours."""
        self.histogram_colours = DARK_HISTOGRAM if dark else LIGHT_HISTOGRAM
        self._draw_histogram()

    def _show_tensor(self, tensor: Optional[Tensor]) -> None:
        self.current = tensor
        if tensor is None:
            self.caption.pack_forget()
        else:
            self.caption.configure(text=f"{tensor.name or '(unnamed)'}  {tensor_type_text(tensor)}")
            self.caption.pack(anchor="w", fill="x", before=self.histogram)
        stats = self.known_stats(tensor) if tensor is not None else None
        self._draw_histogram()
        self.preview.configure(state="normal")
        self.preview.delete("1.0", "end")
        if stats is not None and stats.preview:
            self.preview.insert("1.0", stats.preview)
            self.preview.configure(height=min(10, stats.preview.count("\n") + 1))
            self.preview.pack(fill="x", pady=(2, 0), before=self.buttons)
            self.preview_scroll.pack(fill="x", pady=(0, 2), before=self.buttons)
        else:
            self.preview.pack_forget()
            self.preview_scroll.pack_forget()
        self.preview.configure(state="disabled")
        if tensor is not None and tensor.loader is not None:
            self.save_button.pack(side="left", padx=(0, 4))
        else:
            self.save_button.pack_forget()

    def _room(self) -> Optional[int]:
        """The width free for the histogram and the caption, once the pane is on screen."""
        room = self.detail.winfo_width() - 2 * DETAIL_PADDING
        return room if room > 0 and self.detail.winfo_ismapped() else None

    def _detail_resized(self, _event) -> None:
        room = self._room()
        if room is not None:
            self.caption.configure(wraplength=room)
        if self.histogram_image is not None and self.histogram_image.width() != histogram_width(ui_scale(self), room):
            self._draw_histogram()

    def _draw_histogram(self) -> None:
        """The histogram of the tensor shown, in the theme's colours at the screen's scale, as wide as the pane
        allows (none when its statistics are not known yet)."""
        stats = self.known_stats(self.current) if self.current is not None else None
        png = histogram_png(stats, self.histogram_colours, ui_scale(self), self._room()) if stats is not None else None
        if png is not None:
            self.histogram_image = tkinter.PhotoImage(master=self, data=base64.b64encode(png).decode("ascii"))
            self.histogram.configure(image=self.histogram_image, text="")
        else:
            self.histogram_image = None
            self.histogram.configure(image="", text="")

    def save_npy(self) -> None:
        tensor = self.current
        if tensor is None:
            return
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in tensor.name) or "tensor"
        path = filedialog.asksaveasfilename(parent=self, title="Save weights", defaultextension=".npy",
                                            initialfile=f"{safe}.npy", filetypes=[("NumPy array", "*.npy")])
        if not path:
            return
        try:
            import numpy

            numpy.save(path, tensor.data())
        except (ModelError, OSError) as error:
            messagebox.showerror("Save as .npy", str(getattr(error, "reason", error)), parent=self)
        except Exception as error:  # noqa: BLE001 - a bug of ours, said so
            messagebox.showerror("Save as .npy", internal_error_message(tensor.name, error), parent=self)

    def show_documentation(self) -> None:
        from .docs import DocumentationWindow

        op_type = self.op_type
        title = f"{op_type.name} — {op_type.domain or 'operator'} documentation" if op_type else \
            "Operator documentation"
        self.doc_window = DocumentationWindow(self, title, op_type.describe() if op_type is not None else "")
