"""Numbers on top of the drawing: cost rows, Colour By with its legend, symbol bindings, and Compare With….

The main window owns one `Insight`; it calls `scene_shown`, `node_shown` and `model_shown` after it draws a scene or
fills the sidebar, and routes the Colour By, Compare With… and Show Partner commands here.
"""

from __future__ import annotations

import tkinter
from dataclasses import dataclass
from pathlib import Path
from tkinter import filedialog, simpledialog, ttk
from typing import Dict, List, Optional, Tuple

from ..analysis.costs import GraphCosts, NodeCost, channels_last, graph_costs
from ..analysis.diff import GraphDiff, change_lines, diff_graphs
from ..info import format_count
from ..model import Graph, Model, Node
from ..render.heat import DIFF_FILLS, colour_boxes, text_colour

MODES = ("category", "macs", "parameters", "bytes")
_MODE_TITLES = {"macs": "MACs", "parameters": "parameters", "bytes": "output bytes"}


@dataclass
class Comparison:
    """Two models side by side: A is the one that was open, B the one compared with it."""

    a: Tuple[str, Model]
    b: Tuple[str, Model]
    diff: GraphDiff
    side: str = "B"

    @property
    def partners(self) -> Dict[int, Node]:
        return self.diff.partner_of()

    def marks(self) -> Dict[int, str]:
        """id(node) → "added" / "removed" / "changed" for the side shown."""
        marks = {id(change.b if self.side == "B" else change.a): "changed" for change in self.diff.changed}
        if self.side == "B":
            marks.update((id(node), "added") for node in self.diff.added)
        else:
            marks.update((id(node), "removed") for node in self.diff.removed)
        return marks


class Legend(ttk.Frame):
    """Colour squares with their meaning, in the status bar."""

    def set(self, title: str, entries: List[Tuple[str, str]]) -> None:
        for child in self.winfo_children():
            child.destroy()
        self.entries = [text for _, text in entries]
        if not entries:
            self.pack_forget()
            return
        ttk.Label(self, text=title).pack(side="left", padx=(0, 4))
        for colour, text in entries:
            tkinter.Label(self, text=text, background=colour, foreground=text_colour(colour),
                          padx=4, borderwidth=1, relief="solid", font="TkSmallCaptionFont").pack(side="left")
        self.pack(side="right", padx=6)


class Insight:
    def __init__(self, window):
        self.window = window
        self.mode = "category"
        self.symbols: Dict[str, int] = {}
        self.costs: Dict[Tuple[int, tuple], GraphCosts] = {}
        # id(scene) → (the scene, box id → its category fill and text colour); holding the scene keeps its id
        # from being reused by another
        self.originals: Dict[int, Tuple[object, Dict[int, Tuple[str, str]]]] = {}
        self.comparison: Optional[Comparison] = None
        self.legend = Legend(window.status)
        window.sidebar.activate_row = self.row_activated

    # -- figures --------------------------------------------------------------------------------------------

    def costs_for(self, graph: Graph) -> GraphCosts:
        key = (id(graph), tuple(sorted(self.symbols.items())))
        if key not in self.costs:
            nhwc = channels_last(self.window.model.format) if self.window.model else False
            self.costs[key] = graph_costs(graph, self.symbols, nhwc)
        return self.costs[key]

    def model_opened(self) -> None:
        """A new model replaces the figures (a comparison survives only its own switches)."""
        self.costs.clear()
        self.originals.clear()
        self.symbols = {}

    # -- colouring ------------------------------------------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.window.menus.radios["Colour By"].set(mode)
        self.scene_shown()

    def scene_shown(self) -> None:
        """Colour the scene on screen as the mode (or the comparison) says, and redraw it."""
        scene = self.window.scene
        if scene is None:
            self.legend.set("", [])
            return
        if id(scene) not in self.originals:
            while len(self.originals) >= 16:
                del self.originals[next(iter(self.originals))]
            self.originals[id(scene)] = (scene, {box.id: (box.fill, box.text_color) for box in scene.boxes})
        originals = self.originals[id(scene)][1]
        for box in scene.boxes:
            box.fill, box.text_color = originals[box.id]
        entries: List[Tuple[str, str]] = []
        title = ""
        if self.comparison is not None and self._compared_graph_shown():
            marks = self.comparison.marks()
            for box in scene.boxes:
                mark = marks.get(id(box.node)) if box.node is not None else None
                if mark:
                    box.fill = DIFF_FILLS[mark]
                    box.text_color = text_colour(box.fill)
            diff = self.comparison.diff
            counts = {"added": len(diff.added), "changed": len(diff.changed), "removed": len(diff.removed)}
            title = f"Comparing with {Path(self._other()[0]).name}:"
            entries = [(DIFF_FILLS[mark], f"{counts[mark]} {mark}") for mark in DIFF_FILLS]
        elif self.mode != "category" and self.window.graph is not None:
            figures = self._figures(self.costs_for(self.window.graph))
            scale = colour_boxes(scene.boxes, figures)
            unit = "B" if self.mode == "bytes" else ""
            title = f"Colour by {_MODE_TITLES[self.mode]}:"
            entries = [(colour, format_count(figure, unit)) for colour, figure in scale.legend()]
            if any(figures.get(id(box.node)) is None for box in scene.boxes if box.node is not None):
                entries.append(("#c8c8c8", "unknown"))
        self.legend.set(title, entries)
        self.window.canvas.redraw()

    def _figures(self, costs: GraphCosts) -> Dict[int, Optional[float]]:
        pick = {"macs": lambda entry: entry.cost.macs, "parameters": lambda entry: entry.parameters,
                "bytes": lambda entry: entry.output_bytes}[self.mode]
        return {id(entry.node): pick(entry) for entry in costs.nodes}

    # -- sidebar rows ---------------------------------------------------------------------------------------

    def node_shown(self, node: Node) -> None:
        sidebar, graph = self.window.sidebar, self.window.graph
        entry: Optional[NodeCost] = self.costs_for(graph).by_node().get(id(node)) if graph is not None else None
        if entry is not None:
            section = sidebar.section("Cost", "cost")
            sidebar.tree.move(section, "", 1)   # right below the node's own rows, where it is seen first
            mark = "≥ " if entry.cost.bound else ""
            for label, figure, unit in (("MACs", entry.cost.macs, ""), ("FLOPs", entry.cost.flops, ""),
                                        ("parameters", entry.parameters, ""), ("weight bytes", entry.weight_bytes, "B"),
                                        ("output bytes", entry.output_bytes, "B")):
                text = "unknown" if figure is None else f"{mark if label in ('MACs', 'FLOPs') else ''}{figure:,}"
                sidebar.row(section, label, text, format_count(figure, unit) if figure is not None else "",
                            iid=f"cost.{label.replace(' ', '_')}")
        if self.comparison is not None and self._compared_graph_shown():
            self._difference_rows(node)

    def _difference_rows(self, node: Node) -> None:
        sidebar, comparison = self.window.sidebar, self.comparison
        section = sidebar.section("Difference", "diff")
        sidebar.tree.move(section, "", 1)
        partner = comparison.partners.get(id(node))
        if partner is None:
            sidebar.row(section, "status", "added" if comparison.side == "B" else "removed", iid="diff.status")
            return
        change = next(item for item in comparison.diff.pairs if node in (item.a, item.b))
        sidebar.row(section, "status", "changed" if change.changed else "unchanged", f"paired by {change.how}",
                    iid="diff.status")
        sidebar.row(section, "partner", f"{partner.type.name} {partner.name}".strip(),
                    f"in {Path(self._other()[0]).name} (Ctrl+J)", iid="diff.partner")
        for index, line in enumerate(change_lines(change)):
            sidebar.row(section, "", line, iid=f"diff.line:{index}")

    def model_shown(self, model: Model) -> None:
        if not model.graphs:
            return
        sidebar = self.window.sidebar
        costs = self.costs_for(model.graphs[0])
        section = sidebar.section("Cost", "costs")
        mark = "≥ " if costs.lower_bound else ""
        for label, figure, unit in (("MACs", costs.macs, ""), ("FLOPs", costs.flops, ""),
                                    ("weight bytes", costs.weight_bytes, "B"),
                                    ("peak activations", costs.activation_bytes, "B")):
            sidebar.row(section, label, "unknown" if figure is None else f"{mark}{figure:,}",
                        format_count(figure, unit) if figure is not None else "",
                        iid=f"costs.{label.replace(' ', '_')}")
        if costs.unknown:
            sidebar.row(section, "unknown cost", f"{costs.unknown:,} nodes", "not counted", iid="costs.unknown")
        names = sorted(set(costs.free_symbols) | set(self.symbols))
        if names:
            symbols = sidebar.section("Symbols (double-click to set)", "symbols")
            for name in names:
                sidebar.row(symbols, name, str(self.symbols[name]) if name in self.symbols else "1 (unset)",
                            iid=f"symbol:{name}")
        table = sidebar.section("Cost by Operator", "cost-by-operator")
        total = costs.macs or 1
        for name, entry in sorted(costs.by_type.items(), key=lambda item: (-item[1].macs, -item[1].flops, item[0])):
            share = f"{100 * entry.macs / total:.1f} %" if costs.macs else ""
            figure = "unknown" if entry.unknown == entry.count else format_count(entry.macs)
            sidebar.row(table, name, f"×{entry.count:,}  {figure} MACs", share, iid=f"cost-op:{name}")

    def row_activated(self, iid: str) -> None:
        if iid.startswith("symbol:"):
            name = iid.split(":", 1)[1]
            size = simpledialog.askinteger("Set symbol", f"Size of {name}:", parent=self.window.root, minvalue=0,
                                           initialvalue=self.symbols.get(name, 1))
            if size is not None:
                self.symbols[name] = size
                self.window.command_properties()
                self.scene_shown()
        elif iid == "diff.partner":
            self.show_partner()

    # -- comparing ------------------------------------------------------------------------------------------

    def compare(self, path: Optional[str] = None) -> None:
        from ..formats import open_model
        from .window import file_types, prepare_scene

        window = self.window
        if window.model is None or not window.model.graphs:
            return
        path = path or filedialog.askopenfilename(parent=window.root, title="Compare With", filetypes=file_types())
        if not path:
            return
        a = (window.path, window.model)
        options, measure = window.options, window.canvas.measure

        def work(task):
            model = open_model(path)
            if not model.graphs:
                return model, None, None
            task.label = f"Comparing {len(a[1].graphs[0].nodes):,} with {len(model.graphs[0].nodes):,} nodes…"
            diff = diff_graphs(a[1].graphs[0], model.graphs[0])
            return model, diff, prepare_scene(model.graphs[0], options, measure)

        def done(result):
            model, diff, prepared = result
            if diff is None:
                window.message.configure(text=f"{Path(path).name} holds no graph to compare")
                return
            self.comparison = Comparison(a, (path, model), diff)
            window.show_opened(path, model, prepared)

        window.runner.run(f"Opening {Path(path).name}…", work, done,
                          lambda error: window._failed(f"Cannot compare with {Path(path).name}", error, path,
                                                       "comparing"))

    def _other(self) -> Tuple[str, Model]:
        comparison = self.comparison
        return comparison.a if comparison.side == "B" else comparison.b

    def _compared_graph_shown(self) -> bool:
        comparison, graph = self.comparison, self.window.graph
        shown = comparison.b if comparison.side == "B" else comparison.a
        return bool(shown[1].graphs) and graph is shown[1].graphs[0]

    def closed(self) -> None:
        self.comparison = None
        self.model_opened()
        self.legend.set("", [])

    def model_replaced(self, model: Model) -> None:
        """Opening a model that is not one of the compared pair ends the comparison."""
        comparison = self.comparison
        if comparison is not None and model is not comparison.a[1] and model is not comparison.b[1]:
            self.comparison = None

    def show_partner(self) -> None:
        """Switch to the other model of the comparison, with the selected node's partner selected."""
        from .window import prepare_scene

        comparison, window = self.comparison, self.window
        if comparison is None:
            return
        selected = window.canvas.selected_box
        box = window.scene.boxes[selected] if window.scene is not None and selected is not None else None
        partner = comparison.partners.get(id(box.node)) if box is not None and box.node is not None else None
        comparison.side = "A" if comparison.side == "B" else "B"
        path, model = comparison.b if comparison.side == "B" else comparison.a
        options, measure = window.options, window.canvas.measure

        def done(prepared):
            window.show_opened(path, model, prepared)
            target = window.canvas.box_for(node=partner) if partner is not None else None
            if target is not None:
                window.canvas.select(target.id)
                window.canvas.center_on(target.id)
                window._canvas_selected(target, None)

        window.runner.run(f"Laying out {Path(path).name}…", lambda _task: prepare_scene(model.graphs[0], options,
                                                                                        measure),
                          done, lambda error: window._failed("Cannot lay out the graph", error, doing="laying out"))
