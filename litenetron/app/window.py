"""The main window: menus, welcome screen, graph canvas, sidebar, find panel and the status bar.

Loading, layout and export run in worker threads (loader.TaskRunner); this module only runs on the Tk thread.
"""

from __future__ import annotations

import os
import tkinter
import traceback
from dataclasses import astuple, replace
from pathlib import Path
from tkinter import filedialog, messagebox, ttk
from typing import Dict, List, Optional, Tuple

from .. import __version__
from ..formats.stages import READING, SHAPES
from ..gc_pause import collector_paused, thaw
from ..model import Argument, Graph, Model, ModelError, Node, internal_error_message
from . import config, preferences
from .commands import InspectCommands
from .find import FindPanel, Match
from .group_commands import GroupCommands
from .icons import set_window_icon
from .insight import Insight
from .keys import COMMANDS_BY_NAME
from .loader import Task, TaskRunner
from .menus import Menus
from .navigate import Navigator
from .sidebar import Sidebar
from .theme import Theme
from .welcome import Welcome

SAMPLE_MODEL = Path(__file__).resolve().parent.parent / "samples" / "resblock.onnx"

SCENE_CACHE = 8
# benchmarks/first_paint.py: when set, the first drawn scene writes its wall-clock time there and the app quits.
FIRST_PAINT_FILE = os.environ.get("LITENETRON_FIRST_PAINT", "")
SIDEBAR_SASH = 0.66  # share of the window width the graph gets at first
# What the status bar says while the reader is in each of its stages (formats.stages), then after it, and what
# an internal error met in that stage says was being done.
OPEN_STAGES = {READING: "Reading {}…", SHAPES: "Inferring shapes of {}…"}
LAYOUT_STAGE = "Laying out {:,} nodes of {}…"
DOING = {READING: "reading", SHAPES: "inferring shapes of", "layout": "laying out"}


def prepare_scene(graph: Graph, options, measure, keep=None) -> tuple:
    """(scene, its canvas index): everything slow about showing a graph, done in a worker thread. `keep`: the
    collapse state (grouping.GroupState) to keep, e.g. when a view option changes."""
    from ..render.tk_canvas import SceneIndex
    from .grouping import initial_scene

    with collector_paused(keep=True):  # the window keeps its scenes
        scene = initial_scene(graph, options, measure, keep)
        return scene, SceneIndex(scene)


def file_types() -> List[Tuple[str, str]]:
    """File dialog filters: all model files first, then each family's (from its NAME and EXTENSIONS)."""
    from ..formats import file_types as family_types

    def pattern(extension: str) -> str:
        return f"*{extension}" if extension.startswith(".") else extension

    families = [(name, " ".join(pattern(e) for e in extensions)) for name, extensions in family_types()]
    every = list(dict.fromkeys(pattern(e) for _, extensions in family_types() for e in extensions))
    return [("All model files", " ".join(every))] + families + [("All files", "*")]


class MainWindow(InspectCommands, GroupCommands):
    def __init__(self, root: tkinter.Tk):
        from ..render.tk_canvas import GraphCanvas
        from ..scene import ViewOptions

        self.root = root
        self.model: Optional[Model] = None
        self.path = ""
        self.stack: List[Tuple[Graph, str]] = []      # the graph shown is the last; Back pops it
        self.scene = None
        self.scenes: Dict[tuple, object] = {}
        self.prefs = preferences.load()
        self.options = self.prefs.view_options(ViewOptions())
        root.title("litenetron")
        root.geometry(self.prefs.geometry or "1280x820")
        root.minsize(640, 420)
        self.icons = set_window_icon(root)
        style = ttk.Style(root)
        if "clam" in style.theme_names() and root.tk.call("tk", "windowingsystem") == "x11":
            style.theme_use("clam")
        self.menus = Menus(root, self.dispatch, self.open_recent)
        for name, variable in self.menus.checks.items():
            variable.set(getattr(self.options, name))
        self.runner = TaskRunner(root, self._busy)
        self.bodies: Dict[int, Tuple[Node, int]] = {}  # id(body graph) → (the node holding it, its index)
        self.opening: Optional[Task] = None
        self.fullscreen = False

        self.toolbar = ttk.Frame(root, padding=(6, 3))
        self.graph_choice = ttk.Combobox(self.toolbar, state="readonly", width=32)
        self.graph_choice.bind("<<ComboboxSelected>>", self._graph_chosen)
        self.breadcrumb = ttk.Frame(self.toolbar)
        self.breadcrumb.pack(side="left")
        self.location = ttk.Label(self.toolbar, text="")  # the groups around the selected box
        self.location.pack(side="left", padx=8)
        self.sliced = None  # a collapse state being laid out in the background (grouping.BackgroundLayout)

        self.body = ttk.Frame(root)
        self.body.pack(side="top", fill="both", expand=True)
        self.welcome = Welcome(self.body, self.command_open, self.open_sample, self.open_path)
        self.panes = ttk.PanedWindow(self.body, orient="horizontal")
        self.canvas = GraphCanvas(self.panes, self._canvas_selected, self._canvas_activated)
        self.canvas.on_toggle = self.toggle_group
        self.canvas.wheel_zooms = self.prefs.wheel == "zoom"
        if self.canvas.ui_scale > 1:  # HiDPI: table rows as tall as their (scaled) text
            style.configure("Treeview", rowheight=round(20 * self.canvas.ui_scale))
        self.right = ttk.Frame(self.panes)
        self.find = FindPanel(self.right, self._find_chosen)
        self.sidebar = Sidebar(self.right, self._background, self.enter_subgraph)
        self.sidebar.pack(side="bottom", fill="both", expand=True)
        self.panes.add(self.canvas.frame, weight=3)
        self.panes.add(self.right, weight=1)

        self.status = ttk.Frame(root, padding=(6, 2))
        self.status.pack(side="bottom", fill="x", before=self.body)
        self.message = ttk.Label(self.status, text="")
        self.message.pack(side="left", fill="x", expand=True)
        self.cancel_button = ttk.Button(self.status, text="Cancel", command=self.runner.cancel)
        self.progress = ttk.Progressbar(self.status, mode="indeterminate", length=160)
        self.insight = Insight(self)
        self.navigator = Navigator(self)
        self.sidebar.follow_link = self.navigator.follow
        self.theme = Theme(root)
        if self.prefs.theme != "light":
            self.set_theme(self.prefs.theme)
        self.root.protocol("WM_DELETE_WINDOW", self.command_quit)
        self.root.bind("<Escape>", lambda _event: self.find.pack_forget(), add="+")  # Esc closes Find anywhere
        self._show_welcome()

    # -- commands (named after keys.COMMANDS) -------------------------------------------------------------

    def dispatch(self, name: str, from_menu: bool = False) -> None:
        check = COMMANDS_BY_NAME[name].check
        if check:
            self.toggle_option(check, from_menu)
            return
        getattr(self, f"command_{name}")()

    def command_open(self) -> None:
        path = filedialog.askopenfilename(parent=self.root, title="Open Model", filetypes=file_types())
        if path:
            self.open_path(path)

    def command_close(self) -> None:
        self.runner.cancel()
        self.model, self.stack, self.scene, self.path = None, [], None, ""
        self.scenes.clear()
        self.canvas.set_scene(None)
        self.insight.closed()
        self._show_welcome()

    def command_quit(self) -> None:
        self.save_preferences()
        self.runner.cancel()
        self.runner.close()
        self.root.destroy()

    def command_export_png(self) -> None:
        self._export(".png", "PNG image")

    def command_export_svg(self) -> None:
        self._export(".svg", "SVG image")

    def command_find(self) -> None:
        if self.model is None:
            return
        if not self.find.winfo_ismapped():
            self.find.pack(side="top", fill="x", before=self.sidebar)
        self.find.set_graph(self.graph)
        self.find.focus()

    def command_zoom_in(self) -> None:
        self.canvas.zoom_by(1.25)

    def command_zoom_out(self) -> None:
        self.canvas.zoom_by(0.8)

    def command_actual_size(self) -> None:
        self.canvas.set_zoom(self.canvas.ui_scale)

    def command_fit(self) -> None:
        self.canvas.fit()

    def command_back(self) -> None:
        if len(self.stack) > 1:
            self.go_to_level(len(self.stack) - 2)

    def command_properties(self) -> None:
        if self.model is None:
            return
        self.sidebar.show_model(self.model)
        self.insight.model_shown(self.model)

    def legend_text(self) -> str:
        """The status bar legend as one line (what Colour By or a comparison shows)."""
        legend = self.insight.legend
        if not legend.winfo_ismapped() and not legend.winfo_manager():
            return ""
        return " ".join(str(child.cget("text")) for child in legend.winfo_children())

    def command_compare(self) -> None:
        self.insight.compare()

    def command_partner(self) -> None:
        self.insight.show_partner()

    def command_colour_category(self) -> None:
        self.insight.set_mode("category")

    def command_colour_macs(self) -> None:
        self.insight.set_mode("macs")

    def command_colour_parameters(self) -> None:
        self.insight.set_mode("parameters")

    def command_colour_bytes(self) -> None:
        self.insight.set_mode("bytes")

    def command_about(self) -> None:
        messagebox.showinfo("About litenetron", f"litenetron {__version__}\nA lightweight viewer for neural "
                            "network models, in Python and Tk.", parent=self.root)

    def toggle_option(self, name: str, from_menu: bool = False) -> None:
        variable = self.menus.checks[name]
        if not from_menu:  # a key press: the menu did not toggle the variable
            variable.set(not variable.get())
        self.options = replace(self.options, **{name: bool(variable.get())})
        if self.loading:  # the open in progress lays out with the new options
            self.save_preferences()
            return
        self.save_preferences()
        if self.stack:
            self._lay_out(self.graph)

    @property
    def loading(self) -> bool:
        return self.opening is not None and self.runner.current is self.opening

    # -- opening ------------------------------------------------------------------------------------------

    def open_sample(self) -> None:
        self.open_path(str(SAMPLE_MODEL))

    def open_recent(self, index: int) -> None:
        paths = config.load_recent()
        if index >= len(paths):
            return
        if not Path(paths[index]).exists():  # moved or deleted since: drop it from the list
            self._update_recent(config.remove_recent(paths[index]))
        self.open_path(paths[index])

    def open_path(self, path: str) -> None:
        from ..formats import open_model
        from ..formats.stages import listening

        measure, name = self.canvas.measure, Path(path).name
        step = [READING]   # the stage the worker is in, for the message of an internal error

        def enter(task: Task, stage: str) -> None:
            step[0] = stage
            task.label = OPEN_STAGES[stage].format(name)

        def work(task: Task):
            thaw()  # the model shown until now is let go: its objects are the collector's again
            # no collection while the model is built, none after it either: the window keeps it
            with collector_paused(keep=True), listening(lambda stage: enter(task, stage)):
                model = open_model(path)
                if task.cancelled.is_set() or not model.graphs:
                    return model, None
                step[0], task.label = "layout", LAYOUT_STAGE.format(len(model.graphs[0].nodes), name)
                # the options of now, not of when the open began: a View option changed meanwhile applies
                return model, prepare_scene(model.graphs[0], self.options, measure)

        self.opening = self.runner.run(OPEN_STAGES[READING].format(name), work,
                                       lambda result: self.show_opened(path, *result),
                                       lambda error: self._failed(f"Cannot open {name}", error, path, DOING[step[0]]))

    def show_opened(self, path: str, model: Model, prepared) -> None:
        self.insight.model_replaced(model)
        self.insight.model_opened()
        self.model, self.path = model, path
        self.navigator.clear()
        self.scenes.clear()
        self.sidebar.forget_stats()
        self.root.title(Path(path).name)
        self._update_recent(config.add_recent(path))
        self._show_graph_view()
        graphs = self.model_graphs()
        self.graph_choice.configure(values=[self._graph_label(i, g) for i, g in enumerate(graphs)])
        if len(graphs) > 1:
            self.graph_choice.current(0)
            self.graph_choice.pack(side="left", padx=(0, 8), before=self.breadcrumb)
        else:
            self.graph_choice.pack_forget()
        self._update_toolbar()
        if not graphs:
            self.stack = []
            self.canvas.set_scene(None)
            self.sidebar.show_model(model)
            self._update_breadcrumb()
            return
        self.stack = [(graphs[0], graphs[0].name or "main")]
        if prepared[0].options != self.options:  # changed in the last moment of the load
            self._lay_out(graphs[0])
        else:
            self._scene_ready(graphs[0], prepared)
        self.canvas.canvas.focus_set()

    def _failed(self, title: str, error: BaseException, path: str = "", doing: str = "reading") -> None:
        if isinstance(error, ModelError):
            reason = error.reason
        elif isinstance(error, OSError):
            reason = error.strerror or str(error)
        else:  # a bug of ours, never blamed on the file
            reason = internal_error_message(path or self.path or "the model", error, doing)
            traceback.print_exception(type(error), error, error.__traceback__)  # what a bug report needs
            path = ""   # the message names the file already
        reason = reason.splitlines()[0] if reason else title
        self.message.configure(text=self.status_text())
        messagebox.showerror(title, f"{Path(path).name}: {reason}" if path else reason, parent=self.root)

    def model_graphs(self) -> List[Graph]:
        return list(self.model.graphs) + list(self.model.functions) if self.model else []

    def _graph_label(self, index: int, graph: Graph) -> str:
        kind = "function" if index >= len(self.model.graphs) else "graph"
        return f"{kind} {index}: {graph.name or '(unnamed)'}" if kind == "graph" else f"function: {graph.name}"

    # -- graphs and scenes --------------------------------------------------------------------------------

    @property
    def graph(self) -> Optional[Graph]:
        return self.stack[-1][0] if self.stack else None

    def _graph_chosen(self, _event=None) -> None:
        graph = self.model_graphs()[self.graph_choice.current()]
        self.stack = [(graph, graph.name or "main")]
        self._lay_out(graph)

    def enter_subgraph(self, node: Node, index: int = 0) -> None:
        """Open one of a node's bodies; from a sibling body of the same node (If's other branch), switch."""
        if not node.graphs or index >= len(node.graphs):
            return
        graph = node.graphs[index]
        if len(self.stack) > 1 and any(self.stack[-1][0] is body for body in node.graphs):
            self.stack.pop()
        self.stack.append((graph, f"{node.name or node.type.name}/{graph.name or index}"))
        self.bodies[id(graph)] = (node, index)
        self._lay_out(graph)

    def go_to_level(self, level: int) -> None:
        del self.stack[level + 1:]
        self._lay_out(self.graph)

    def _lay_out(self, graph: Graph) -> None:
        key = (id(graph), astuple(self.options))
        if key in self.scenes:
            self._scene_ready(graph, self.scenes[key])
            return
        options, measure = self.options, self.canvas.measure
        keep = self.grouping if self.scene is not None and self.scene.graph is graph else None
        self.runner.run(f"Laying out {len(graph.nodes):,} nodes…",
                        lambda _task: prepare_scene(graph, options, measure, keep),
                        lambda prepared: self._scene_ready(graph, prepared),
                        lambda error: self._failed("Cannot lay out the graph", error, doing="laying out"))

    def _scene_ready(self, graph: Graph, prepared) -> None:
        if graph is not self.graph:  # the user moved on while it was laid out
            return
        self.message.configure(text=f"Drawing {len(prepared[0].boxes):,} boxes…")
        self.message.update_idletasks()
        try:
            self._draw_scene(graph, prepared)
        except Exception as error:  # noqa: BLE001 - a bug of ours: said so, and the status bar not left "Drawing"
            self._failed("Cannot draw the graph", error, doing="drawing")

    def _draw_scene(self, graph: Graph, prepared) -> None:
        scene, index = prepared
        self.scenes[(id(graph), astuple(scene.options))] = prepared
        while len(self.scenes) > SCENE_CACHE:
            del self.scenes[next(iter(self.scenes))]
        previous = self.scene
        self.scene = scene
        same_graph = previous is not None and previous.graph is scene.graph
        self.canvas.set_scene(scene, keep_view=same_graph, index=index)
        self._update_breadcrumb()
        if self.find.winfo_ismapped():
            self.find.set_graph(graph)
        if not same_graph:
            self.sidebar.show_graph(graph)
        self.message.configure(text=self.status_text())
        self.insight.scene_shown()
        self.navigator.scene_ready()
        if FIRST_PAINT_FILE:
            self._report_first_paint(scene)

    def _report_first_paint(self, scene) -> None:
        import json
        import sys
        import time

        self.root.update_idletasks()  # the canvas items are drawn
        modules = sorted({name.split(".")[0] for name in sys.modules})  # what the first picture needed
        Path(FIRST_PAINT_FILE).write_text(json.dumps({"time": time.time(), "boxes": len(scene.boxes),
                                                      "modules": modules}))
        self.root.after_idle(self.root.destroy)

    def status_text(self) -> str:
        """What the status bar says when nothing is running: the model, the graph shown and its node count."""
        if self.model is None or self.graph is None:
            return ""
        drawn, counted = len(self.graph.nodes), self.graph.node_count()
        text = f"{Path(self.path).name} — {self.model.format} — {drawn:,} nodes"
        if counted != drawn:  # the sidebar's count is the file's: say why they differ
            text += f" drawn ({counted:,} in the file)"
        return text

    def _update_breadcrumb(self) -> None:
        for child in self.breadcrumb.winfo_children():
            child.destroy()
        self._update_toolbar()
        if len(self.stack) < 2:
            return
        for level, (_, label) in enumerate(self.stack):
            if level:
                ttk.Label(self.breadcrumb, text="›").pack(side="left", padx=2)
            ttk.Button(self.breadcrumb, text=label, style="Toolbutton",
                       command=lambda lv=level: self.go_to_level(lv)).pack(side="left")
        node, shown = self.bodies.get(id(self.graph), (None, 0))
        if node is not None and len(node.graphs) > 1:  # the other bodies of this node: If's other branch
            ttk.Label(self.breadcrumb, text="  also:").pack(side="left")
            for index, body in enumerate(node.graphs):
                if index != shown:
                    ttk.Button(self.breadcrumb, text=body.name or f"#{index}", style="Toolbutton",
                               command=lambda i=index, n=node: self.enter_subgraph(n, i)).pack(side="left")

    # -- canvas and find callbacks ------------------------------------------------------------------------

    def _canvas_selected(self, box, edge) -> None:
        self.show_selection(box, edge)

    def show_selection(self, box, edge) -> None:
        """The sidebar describes what is selected; the selection goes into the Back/Forward history."""
        self.navigator.record(node=box.node if box is not None else None,
                              argument=box.argument if box is not None else None,
                              value=edge.value if edge is not None else None)
        self._show_location(box)
        if box is not None and box.group is not None:
            from .grouping import show_group

            show_group(self.sidebar, box.group, self.graph)
        elif box is not None and box.node is not None:
            self.sidebar.show_node(box.node, self.graph)
            self.insight.node_shown(box.node)
            location = self.location.cget("text")
            if location:  # where the node sits among the groups
                self.sidebar.row(self.sidebar.section("Location", "location"), "group", location[len("in  "):],
                                 iid="location.group")
        elif box is not None and box.argument is not None:
            self._show_argument(box.argument)
        elif edge is not None:
            producer, consumers = self.canvas.connection(edge)
            self.sidebar.show_connection(edge.value, producer.node if producer else None,
                                         [b.node for b in consumers if b.node is not None],
                                         self._box_text(producer), [self._box_text(b) for b in consumers])
        elif self.graph is not None:
            self.sidebar.show_graph(self.graph)

    def _show_argument(self, argument: Argument) -> None:
        if argument.values:
            box = self.canvas.box_for(argument=argument)
            edge = self.canvas.first_edge(box) if box is not None else None
            producer, consumers = self.canvas.connection(edge) if edge is not None else (box, [])
            self.sidebar.show_connection(argument.values[0], producer.node if producer else None,
                                         [b.node for b in consumers if b.node is not None],
                                         self._box_text(producer), [self._box_text(b) for b in consumers])
            self.sidebar.title.configure(text=f"{box.kind if box else 'argument'} {argument.name}")

    @staticmethod
    def _box_text(box) -> str:
        if box is None:
            return ""
        if box.node is not None:
            return f"{box.node.type.name} {box.node.name}".strip()
        return f"{box.kind} {box.title}"

    def _canvas_activated(self, box) -> None:
        if box.group is not None:
            self.toggle_group(box)
        elif box.node is not None and box.node.graphs:
            self.enter_subgraph(box.node)

    def _find_chosen(self, match: Match) -> None:
        if match.value is not None and self.navigator.select_value(match.value):  # a connection: its edge
            return
        if match.node is not None and self.grouping is not None and self.canvas.box_for(node=match.node) is None:
            self._reveal(match.node)   # hidden in a collapsed group: open the groups around it
        self.navigator.select_box(match.node, match.argument)

    def lay_out_current(self) -> None:
        self._update_breadcrumb()
        self._lay_out(self.graph)

    # -- export -------------------------------------------------------------------------------------------

    def _export(self, extension: str, kind: str) -> None:
        if self.graph is None:
            return
        stem = Path(self.path).stem or "graph"
        path = filedialog.asksaveasfilename(parent=self.root, title=f"Export as {kind}", defaultextension=extension,
                                            initialfile=stem + extension, filetypes=[(kind, f"*{extension}")])
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> Task:
        from ..render.export import export_graph

        graph, options = self.graph, self.options
        state = self.grouping
        expand, expanded = "all", None  # what the window shows: flat, or its groups as they are
        if state is not None and state.expanded is not None:
            expand, expanded = "auto", set(state.expanded)
        return self.runner.run(f"Exporting {Path(path).name}…",
                               lambda _task: export_graph(graph, path, options, 2.0, expand, expanded),
                               lambda _result: self.message.configure(text=f"Exported {path}"),
                               lambda error: self._failed("Export failed", error, doing="exporting"))

    # -- layout of the window -----------------------------------------------------------------------------

    def _background(self, label, work, done, failed) -> Task:
        return self.runner.run(label, work, done, failed, visible=False)

    def _busy(self, task: Optional[Task]) -> None:
        if task is None:
            self.progress.stop()
            self.progress.pack_forget()
            self.cancel_button.pack_forget()
            self.message.configure(text=self.status_text())
            return
        self.message.configure(text=task.label)
        self.cancel_button.pack(side="right")
        self.progress.pack(side="right", padx=6)
        self.progress.start(15)

    def _show_welcome(self) -> None:
        self.root.title("litenetron")
        self.panes.pack_forget()
        self.toolbar.pack_forget()
        self.welcome.set_recent(config.load_recent())
        self.welcome.pack(fill="both", expand=True)
        self.menus.set_recent(config.load_recent())
        self.menus.enable(False)
        self.message.configure(text="")

    def _update_toolbar(self) -> None:
        """The toolbar only while it has something to show (graph choice, breadcrumb): no empty band."""
        wanted = self.model is not None and (len(self.model_graphs()) > 1 or len(self.stack) > 1)
        if wanted and not self.toolbar.winfo_manager():
            self.toolbar.pack(side="top", fill="x", before=self.body)
        elif not wanted and self.toolbar.winfo_manager():
            self.toolbar.pack_forget()

    def _show_graph_view(self) -> None:
        self.welcome.pack_forget()
        if not self.panes.winfo_ismapped():
            self.panes.pack(fill="both", expand=True)
            self.root.update_idletasks()
            width = self.panes.winfo_width()
            saved = self.prefs.sidebar_width
            self.panes.sashpos(0, width - saved if 100 < saved < width - 100 else int(width * SIDEBAR_SASH))
        self.menus.enable(True)

    def _update_recent(self, paths: List[str]) -> None:
        self.menus.set_recent(paths)
        self.welcome.set_recent(paths)
