"""The Tk viewer driven like a user: real window under Xvfb, real key and mouse events, widget state read back.

One Tk root and main window are shared by the tests of this module; each test opens the model it needs.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy
import pytest

from litenetron.model import Node, OpType, Tensor, Value

pytestmark = pytest.mark.gui

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "litenetron" / "samples" / "resblock.onnx"


# -- helpers ------------------------------------------------------------------------------------------------

def pump(root, until, timeout: float = 30.0) -> None:
    """Run the Tk event loop until `until()` is true (worker results arrive through `after` polling)."""
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the window")
        root.update()
        time.sleep(0.005)
    root.update()


def settle(window) -> None:
    pump(window.root, lambda: not window.runner.busy)


def key(window, sequence: str, widget=None) -> None:
    """A key press as the window system delivers it: to the widget with the keyboard focus."""
    if widget is not None and window.root.focus_get() is not widget:
        widget.focus_force()
        window.root.update()
    if widget is None:
        widget = window.root.focus_get()
        if widget is None:
            window.root.focus_force()
            window.root.update()
            widget = window.root.focus_get() or window.root
    widget.event_generate(sequence)
    window.root.update()


def click(window, x: float, y: float, double: bool = False) -> None:
    canvas = window.canvas.canvas
    canvas.event_generate("<Motion>", x=int(x), y=int(y))
    for _ in range(2 if double else 1):  # two quick presses make Tk report a double-click
        canvas.event_generate("<ButtonPress-1>", x=int(x), y=int(y), button=1)
        canvas.event_generate("<ButtonRelease-1>", x=int(x), y=int(y), button=1)
    window.root.update()


def drag(window, start, end, steps: int = 5) -> None:
    canvas = window.canvas.canvas
    canvas.event_generate("<ButtonPress-1>", x=start[0], y=start[1], button=1)
    for step in range(1, steps + 1):
        x = start[0] + (end[0] - start[0]) * step // steps
        y = start[1] + (end[1] - start[1]) * step // steps
        canvas.event_generate("<B1-Motion>", x=x, y=y, state=0x100)
    canvas.event_generate("<ButtonRelease-1>", x=end[0], y=end[1], button=1)
    window.root.update()


def box_of(window, predicate):
    return next(box for box in window.scene.boxes if predicate(box))


def click_box(window, box) -> None:
    """Bring a box into view the way Find does, then click its header."""
    window.canvas.center_on(box.id)
    window.root.update()
    x0, y0, x1, _ = window.canvas.screen_box(box.id)
    click(window, (x0 + x1) / 2, y0 + 4)


def tree_value(window, iid: str) -> str:
    return str(window.sidebar.tree.item(iid, "values")[0])


def open_via_dialog(window, monkeypatch, path) -> None:
    monkeypatch.setattr("litenetron.app.window.filedialog.askopenfilename", lambda **_: str(path))
    key(window, "<Control-o>")
    settle(window)


def drawn_node_ids(window) -> set:
    canvas = window.canvas.canvas
    return {tag for item in canvas.find_all() for tag in canvas.gettags(item) if tag.startswith("node:")}


# -- fixtures ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def config_home(tmp_path_factory):
    folder = tmp_path_factory.mktemp("config")
    patch = pytest.MonkeyPatch()
    patch.setenv("XDG_CONFIG_HOME", str(folder))
    yield folder
    patch.undo()


@pytest.fixture(scope="module")
def window(display, config_home):
    import tkinter

    from litenetron.app.window import MainWindow

    root = tkinter.Tk()
    root.geometry("1200x800+0+0")
    main = MainWindow(root)
    root.update()
    yield main
    root.destroy()


@pytest.fixture(scope="module")
def if_model(tmp_path_factory) -> Path:
    """A tiny ONNX model with an If node whose branches are small graphs."""
    import onnx
    from onnx import TensorProto, helper

    def branch(name: str, op: str) -> onnx.GraphProto:
        node = helper.make_node(op, ["x"], [f"{name}_out"], name=f"{name}_{op.lower()}")
        return helper.make_graph([node], name, [], [helper.make_tensor_value_info(f"{name}_out",
                                                                                  TensorProto.FLOAT, [2, 3])])

    nodes = [
        helper.make_node("ReduceSum", ["x"], ["total"], name="sum", keepdims=0),
        helper.make_node("Greater", ["total", "zero"], ["cond"], name="positive"),
        helper.make_node("If", ["cond"], ["y"], name="choose", then_branch=branch("then_branch", "Relu"),
                         else_branch=branch("else_branch", "Neg")),
    ]
    graph = helper.make_graph(
        nodes, "if_model", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    path = tmp_path_factory.mktemp("if") / "if_model.onnx"
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="module")
def chain_model(tmp_path_factory) -> Path:
    """A 400-node chain (taller than any window): culling must keep most of it off the canvas."""
    import onnx
    from onnx import TensorProto, helper

    nodes = [helper.make_node("Relu" if i % 2 else "Sigmoid", [f"t{i}"], [f"t{i + 1}"], name=f"n{i}")
             for i in range(400)]
    graph = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("t0", TensorProto.FLOAT, [1, 8])],
                              [helper.make_tensor_value_info("t400", TensorProto.FLOAT, [1, 8])])
    path = tmp_path_factory.mktemp("chain") / "chain.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    return path


# -- tests: the window -------------------------------------------------------------------------------------

def test_welcome_screen_without_model(window):
    assert window.model is None
    assert window.welcome.winfo_ismapped()
    assert window.welcome.open_button.cget("text") == "Open Model…"
    assert window.welcome.sample_button.cget("text") == "Open Sample"
    assert window.root.title() == "litenetron"


def test_open_sample_from_the_cli_path(display, config_home, monkeypatch):
    """`python -m litenetron MODEL`: main() → run_app(path) → the window shows the model."""
    import tkinter

    from litenetron.__main__ import main

    seen = {}

    def mainloop(root, n=0):
        pump(root, lambda: root.title() != "litenetron" and _any_canvas_items(root), 60)
        canvas = next(w for w in _descendants(root) if isinstance(w, tkinter.Canvas) and w.find_withtag("box"))
        seen["title"] = root.title()
        seen["nodes"] = {t for i in canvas.find_all() for t in canvas.gettags(i) if t.startswith("node:")}
        canvas.focus_force()
        root.update()
        canvas.event_generate("<Control-q>")  # File ▸ Quit closes the window
        try:
            seen["alive"] = bool(root.winfo_exists())
        except tkinter.TclError:
            seen["alive"] = False

    monkeypatch.setattr(tkinter.Tk, "mainloop", mainloop)
    assert main([str(SAMPLE)]) == 0
    assert seen["title"].startswith("resblock.onnx")
    assert len(seen["nodes"]) >= 10  # the picture is drawn
    assert seen["alive"] is False


def _descendants(widget):
    for child in widget.winfo_children():
        yield child
        yield from _descendants(child)


def _any_canvas_items(root) -> bool:
    import tkinter

    return any(isinstance(w, tkinter.Canvas) and w.find_withtag("box") for w in _descendants(root))


def test_open_through_the_dialog_and_recent_files(window, monkeypatch, config_home):
    open_via_dialog(window, monkeypatch, SAMPLE)
    assert window.model is not None and window.model.format.startswith("ONNX")
    assert window.root.title().startswith("resblock.onnx")
    assert not window.welcome.winfo_ismapped()
    # the recent list is stored in the config dir and drives File ▸ Open Recent (Ctrl+1)
    recent = (config_home / "litenetron" / "recent.json").read_text()
    assert "resblock.onnx" in recent
    assert window.menus.recent.entrycget(0, "label").endswith("resblock.onnx")
    # the canvas holds the boxes in view, tagged by id
    assert drawn_node_ids(window)
    assert window.canvas.canvas.find_withtag("edge")


def test_click_node_shows_type_attributes_and_weight_statistics(window, monkeypatch):
    import onnx
    from onnx import numpy_helper

    open_via_dialog(window, monkeypatch, SAMPLE)
    box = box_of(window, lambda b: b.node is not None and b.node.type.name == "BatchNormalization")
    click_box(window, box)
    assert window.canvas.selected_box == box.id
    assert window.canvas.canvas.itemcget(window.canvas.drawn_boxes[box.id], "outline").lower() == "#e0201b"
    assert tree_value(window, "node.type") == "BatchNormalization"
    assert float(tree_value(window, "attribute:epsilon")) == pytest.approx(1e-5)
    weights = window.sidebar.tree.get_children("weights")
    assert len(weights) == 4
    # compare the statistics with an independent decoder (onnx.numpy_helper)
    proto = onnx.load(str(SAMPLE))
    initializers = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
    for iid in weights:
        name = tree_value(window, iid)
        array = initializers[name].astype(numpy.float64)
        low, high = (float(text) for text in tree_value(window, f"{iid}:min").split(" / "))
        mean, std = (float(text) for text in tree_value(window, f"{iid}:mean").split(" ± "))
        expected = (array.min(), array.max(), array.mean(), array.std())
        assert (low, high, mean, std) == pytest.approx(expected, rel=1e-5, abs=1e-6)
        assert tree_value(window, f"{iid}:elements") == f"{array.size:,}  ({array.size * 4:,} bytes)"
        zeros = 100 * numpy.count_nonzero(array == 0) / array.size
        assert tree_value(window, f"{iid}:zeros") == f"{zeros:.2f} % / 0 / 0"
    assert window.sidebar.histogram_image is not None  # the first weight's histogram is shown
    assert window.sidebar.preview.get("1.0", "end").strip()


def test_click_edge_shows_the_connection(window, monkeypatch):
    open_via_dialog(window, monkeypatch, SAMPLE)
    edge = next(e for e in window.scene.edges if window.scene.boxes[e.source].node is not None and e.label)
    window.canvas.center_on(edge.source)
    window.root.update()
    (ax, ay), (bx, by) = edge.points[0], edge.points[1]
    z = window.canvas.zoom
    x = (ax + bx) / 2 * z - window.canvas.ox
    y = (ay + by) / 2 * z - window.canvas.oy
    click(window, x, y)
    assert window.canvas.selected_edge == edge.id
    assert tree_value(window, "connection.name") == edge.value.name
    producer = window.scene.boxes[edge.source]
    assert producer.node.type.name in tree_value(window, "connection.producer")


def test_find_a_node_by_name(window, monkeypatch):
    open_via_dialog(window, monkeypatch, SAMPLE)
    target = window.model.graphs[0].nodes[-2]
    key(window, "<Control-f>")
    assert window.find.winfo_ismapped()
    window.find.entry.insert(0, target.name)
    window.root.update()
    assert window.find.matches and window.find.matches[0].node is target
    key(window, "<Down>", window.find.entry)
    key(window, "<Return>", window.find.entry)
    box = window.canvas.box_for(node=target)
    assert window.canvas.selected_box == box.id
    x0, y0, x1, y1 = window.canvas.screen_box(box.id)
    width, height = window.canvas.size()
    assert 0 <= x0 and x1 <= width and 0 <= y0 and y1 <= height  # centred in view
    assert tree_value(window, "node.type") == target.type.name


def test_view_options_toggle_with_their_keys(window, monkeypatch):
    open_via_dialog(window, monkeypatch, SAMPLE)
    canvas = window.canvas.canvas

    def texts():
        return [canvas.itemcget(i, "text") for i in canvas.find_all() if canvas.type(i) == "text"]

    window.canvas.fit()
    assert any("‹" in text for text in texts()) or window.canvas.simple   # ⟨ drawn as ‹ on screen
    for sequence, option in (("<Control-d>", "show_attributes"), ("<Control-i>", "show_weights"),
                             ("<Control-u>", "show_names"), ("<Control-k>", "horizontal")):
        before = getattr(window.options, option)
        key(window, sequence)
        settle(window)
        assert getattr(window.options, option) is (not before)
        assert getattr(window.scene.options, option) is (not before)
        assert window.menus.checks[option].get() is (not before)
        key(window, sequence)
        settle(window)
        assert getattr(window.scene.options, option) is before
    key(window, "<Control-d>")
    settle(window)
    rows = [row.text for box in window.scene.boxes for row in box.rows]
    assert any(text.startswith("kernel_shape") for text in rows)
    key(window, "<Control-k>")
    settle(window)
    assert window.scene.width > window.scene.height  # left to right
    key(window, "<Control-k>")
    key(window, "<Control-d>")
    settle(window)


def test_zoom_keys_wheel_and_fit(window, monkeypatch):
    open_via_dialog(window, monkeypatch, SAMPLE)
    canvas = window.canvas
    key(window, "<Shift-BackSpace>")
    assert canvas.zoom == pytest.approx(1.0)
    width, height = canvas.size()

    def centre():
        return (width / 2 + canvas.ox) / canvas.zoom, (height / 2 + canvas.oy) / canvas.zoom

    middle = centre()
    key(window, "<Shift-Up>")
    assert canvas.zoom == pytest.approx(1.25)
    assert centre() == pytest.approx(middle)  # zoomed about the centre, not also panned by the arrow
    before = canvas.oy
    key(window, "<Down>")
    assert canvas.oy == pytest.approx(before + 60) and canvas.zoom == pytest.approx(1.25)
    key(window, "<Shift-Down>")
    key(window, "<Shift-Down>")
    assert canvas.zoom == pytest.approx(0.8)
    # Ctrl+wheel zooms around the pointer: the scene point under it stays put
    x, y = 300, 200
    before = ((x + canvas.ox) / canvas.zoom, (y + canvas.oy) / canvas.zoom)
    canvas.canvas.event_generate("<Control-Button-4>", x=x, y=y, state=0x4)
    window.root.update()
    assert canvas.zoom == pytest.approx(0.8 * 1.15)
    after = ((x + canvas.ox) / canvas.zoom, (y + canvas.oy) / canvas.zoom)
    assert after == pytest.approx(before)
    key(window, "<Control-plus>")
    assert canvas.zoom == pytest.approx(0.8 * 1.15 * 1.25)
    key(window, "<Control-minus>")
    assert canvas.zoom == pytest.approx(0.8 * 1.15)
    ox = canvas.ox
    canvas.canvas.event_generate("<Shift-Button-5>", x=x, y=y, state=0x1)  # Shift+wheel pans sideways
    window.root.update()
    assert canvas.ox == pytest.approx(ox + 60)
    window.menus.menus["View"].invoke("Fit to Window")
    window.root.update()
    width, height = canvas.size()
    scene = window.scene
    assert scene.width * canvas.zoom <= width and scene.height * canvas.zoom <= height
    assert len(drawn_node_ids(window)) == len(scene.boxes)  # all in view


def test_pan_draws_only_what_is_in_view(window, monkeypatch, chain_model):
    open_via_dialog(window, monkeypatch, chain_model)
    canvas = window.canvas
    key(window, "<Shift-BackSpace>")
    first = drawn_node_ids(window)
    assert 0 < len(first) < len(window.scene.boxes) / 4
    oy = canvas.oy
    drag(window, (400, 600), (400, 100))
    assert canvas.oy == pytest.approx(oy + 500)
    canvas.canvas.event_generate("<Button-5>", x=400, y=300)
    window.root.update()
    assert canvas.oy == pytest.approx(oy + 560)
    for _ in range(20):
        drag(window, (400, 700), (400, 100), steps=2)
    now = drawn_node_ids(window)
    assert now and not (now & first)  # the first boxes were deleted as they left the view
    assert len(now) < len(window.scene.boxes) / 4


def test_enter_and_leave_an_if_subgraph(window, monkeypatch, if_model):
    open_via_dialog(window, monkeypatch, if_model)
    box = box_of(window, lambda b: b.node is not None and b.node.type.name == "If")
    assert len(box.node.graphs) == 2
    window.canvas.center_on(box.id)
    window.root.update()
    x0, y0, x1, y1 = window.canvas.screen_box(box.id)
    click(window, (x0 + x1) / 2, (y0 + y1) / 2, double=True)
    settle(window)
    assert len(window.stack) == 2
    assert window.graph is box.node.graphs[0]
    inner = [b.node.type.name for b in window.scene.boxes if b.node is not None]
    assert inner in (["Relu"], ["Neg"]) and inner == [n.type.name for n in window.graph.nodes]
    assert len(window.breadcrumb.winfo_children()) >= 3  # main › If/then_branch (also: else_branch)
    key(window, "<BackSpace>")
    settle(window)
    assert len(window.stack) == 1
    assert any(b.node is box.node for b in window.scene.boxes)
    # the other branch: double-click its "graph" row in the sidebar
    click_box(window, box_of(window, lambda b: b.node is box.node))
    tree = window.sidebar.tree
    tree.see("subgraph:1")
    window.root.update()
    x, y, width, height = tree.bbox("subgraph:1")
    for _ in range(2):
        tree.event_generate("<ButtonPress-1>", x=x + width // 2, y=y + height // 2, button=1)
        tree.event_generate("<ButtonRelease-1>", x=x + width // 2, y=y + height // 2, button=1)
    settle(window)
    assert window.graph is box.node.graphs[1]
    key(window, "<BackSpace>")
    settle(window)


def test_model_properties(window, monkeypatch):
    open_via_dialog(window, monkeypatch, SAMPLE)
    key(window, "<Control-Return>")
    assert tree_value(window, "model.format").startswith("ONNX")
    assert int(tree_value(window, "operator:Conv")) == 4
    assert tree_value(window, "model.parameters") == f"{window.model.graphs[0].parameters():,}"


def export_sample_by_key(window, monkeypatch, target: Path, sequence: str) -> None:
    """Open the sample, press an export key and answer its Save dialog with `target`."""
    open_via_dialog(window, monkeypatch, SAMPLE)
    monkeypatch.setattr("litenetron.app.window.filedialog.asksaveasfilename", lambda **_: str(target))
    key(window, sequence)
    settle(window)


def test_export_png(window, monkeypatch, tmp_path):
    from PIL import Image

    target = tmp_path / "graph.png"
    export_sample_by_key(window, monkeypatch, target, "<Control-Shift-E>")
    with Image.open(target) as image:
        assert image.format == "PNG"
        assert image.width > 100 and image.height > image.width  # a tall chain of boxes


def test_broken_file_shows_the_reason_and_keeps_the_model(window, monkeypatch, tmp_path):
    open_via_dialog(window, monkeypatch, SAMPLE)
    model = window.model
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"\x08\x07\x12\xff\xff\xff\xff\x0fgarbage")
    calls = []
    monkeypatch.setattr("litenetron.app.window.messagebox.showerror", lambda *a, **k: calls.append(a))
    open_via_dialog(window, monkeypatch, broken)
    assert len(calls) == 1
    title, message = calls[0][:2]
    assert "broken.onnx" in title
    assert message and "\n" not in message and "Traceback" not in message
    assert window.model is model and window.root.title().startswith("resblock.onnx")


def test_a_reader_bug_is_reported_as_an_internal_error(window, monkeypatch, tmp_path, capsys):
    def broken(path):
        raise TypeError("boom")
    monkeypatch.setattr("litenetron.formats.onnx.read", broken)
    calls = []
    monkeypatch.setattr("litenetron.app.window.messagebox.showerror", lambda *a, **k: calls.append(a))
    open_via_dialog(window, monkeypatch, SAMPLE)
    assert [call[1] for call in calls] == [f"internal error reading {SAMPLE} (TypeError: boom); please report it"]
    assert "Traceback" in capsys.readouterr().err  # what a bug report needs, on the terminal


def test_close_returns_to_welcome_and_recent_key_reopens(window, monkeypatch):
    open_via_dialog(window, monkeypatch, SAMPLE)
    key(window, "<Control-w>")
    assert window.model is None and window.welcome.winfo_ismapped()
    key(window, "<Control-Key-1>", window.welcome)
    settle(window)
    assert window.model is not None


@pytest.fixture(scope="module")
def function_model(tmp_path_factory) -> Path:
    """An ONNX model whose main graph calls a local function: two graphs to choose from."""
    import onnx
    from onnx import TensorProto, helper

    body = [helper.make_node("Neg", ["a"], ["n"]), helper.make_node("Relu", ["n"], ["b"])]
    function = helper.make_function("local", "NegRelu", ["a"], ["b"], body, [helper.make_opsetid("", 13)])
    graph = helper.make_graph([helper.make_node("NegRelu", ["x"], ["y"], name="call", domain="local")], "main",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
    model = helper.make_model(graph, functions=[function],
                              opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("local", 1)])
    path = tmp_path_factory.mktemp("function") / "function.onnx"
    onnx.save(model, str(path))
    return path


def test_graph_selector_lists_functions(window, monkeypatch, function_model):
    open_via_dialog(window, monkeypatch, function_model)
    choice = window.graph_choice
    assert choice.winfo_ismapped()
    assert len(choice.cget("values")) == 2
    choice.current(1)
    choice.event_generate("<<ComboboxSelected>>")
    settle(window)
    assert window.graph is window.model.functions[0]
    assert sorted(b.node.type.name for b in window.scene.boxes if b.node is not None) == ["Neg", "Relu"]


def test_hover_highlights_and_window_has_icon(window, monkeypatch):
    from litenetron.render.tk_canvas import HOVER

    open_via_dialog(window, monkeypatch, SAMPLE)
    assert window.icons, "the app icon PNGs were not found"
    box = box_of(window, lambda b: b.node is not None and b.node.type.name == "Conv")
    window.canvas.center_on(box.id)
    window.root.update()
    x0, y0, x1, y1 = window.canvas.screen_box(box.id)
    window.canvas.canvas.event_generate("<Motion>", x=int((x0 + x1) / 2), y=int((y0 + y1) / 2))
    window.root.update()
    frame = window.canvas.drawn_boxes[box.id]
    assert window.canvas.canvas.itemcget(frame, "outline").lower() == HOVER.lower()
    window.canvas.canvas.event_generate("<Motion>", x=int(x1) + 150, y=int(y0))
    window.root.update()
    assert window.canvas.canvas.itemcget(frame, "outline").lower() != HOVER.lower()


def test_cancel_keeps_the_open_model(window, monkeypatch, chain_model):
    open_via_dialog(window, monkeypatch, SAMPLE)
    model = window.model
    window.open_path(str(chain_model))
    assert window.cancel_button.winfo_manager() == "pack"  # progress + Cancel shown while loading
    window.cancel_button.invoke()
    pump(window.root, lambda: window.runner.pending == 0)
    assert window.model is model
    assert not window.progress.winfo_ismapped()


def test_export_svg_with_its_key(window, monkeypatch, tmp_path):
    target = tmp_path / "graph.svg"
    export_sample_by_key(window, monkeypatch, target, "<Control-Alt-e>")
    text = target.read_text(encoding="utf-8")
    assert text.lstrip().startswith(("<?xml", "<svg")) and "BatchNormalization" in text


def test_cli_without_model_shows_the_welcome_screen(display, config_home, monkeypatch):
    import tkinter

    from litenetron.__main__ import main

    seen = {}

    def mainloop(root, n=0):
        root.update()
        buttons = [w.cget("text") for w in _descendants(root) if w.winfo_class() == "TButton"]
        seen["buttons"] = buttons
        root.destroy()

    monkeypatch.setattr(tkinter.Tk, "mainloop", mainloop)
    assert main([]) == 0
    assert "Open Model…" in seen["buttons"] and "Open Sample" in seen["buttons"]


def test_big_weights_are_summarised_off_the_ui_thread(window):
    import threading

    from litenetron.app.sidebar import SYNC_STATS_LIMIT
    from litenetron.model import Argument

    values = numpy.linspace(-1, 1, SYNC_STATS_LIMIT + 1000, dtype=numpy.float32)
    release = threading.Event()  # the worker reads the values only when the test says so
    tensor = Tensor("big", "float32", (values.size,), loader=lambda: release.wait(30) and values)
    node = Node("dense", OpType("MatMul"), [Argument("B", [Value("big", initializer=tensor)])])
    window.sidebar.show_node(node)
    window.sidebar.show_node(node)  # shown twice while the statistics are computed: one task, one set of rows
    assert tree_value(window, "weight:0:pending") == "computing…"
    window.root.update()  # the UI stays responsive while the worker waits
    release.set()
    pump(window.root, lambda: window.sidebar.tree.exists("weight:0:min"))
    assert not window.sidebar.tree.exists("weight:0:pending")
    assert tree_value(window, "weight:0:min") == "-1 / 1"
    assert window.sidebar.histogram_image is not None


def test_relayout_keeps_the_selected_node_in_place(window, monkeypatch):
    open_via_dialog(window, monkeypatch, SAMPLE)
    box = box_of(window, lambda b: b.node is not None and b.node.type.name == "MaxPool")
    click_box(window, box)
    x0, y0, x1, y1 = window.canvas.screen_box(box.id)
    key(window, "<Control-k>")
    settle(window)
    moved = window.canvas.box_for(node=box.node)
    assert window.canvas.selected_box == moved.id
    nx0, ny0, nx1, ny1 = window.canvas.screen_box(moved.id)
    assert ((nx0 + nx1) / 2, (ny0 + ny1) / 2) == pytest.approx(((x0 + x1) / 2, (y0 + y1) / 2))
    assert str(moved.id) and f"node:{moved.id}" in drawn_node_ids(window)
    key(window, "<Control-k>")
    settle(window)


def test_documentation_save_npy_and_graph_properties(window, monkeypatch, tmp_path):
    open_via_dialog(window, monkeypatch, SAMPLE)
    box = box_of(window, lambda b: b.node is not None and b.node.type.name == "Conv")
    click_box(window, box)
    assert "hidden" not in window.sidebar.tree.item("node.type", "tags")
    assert window.sidebar.doc_button.winfo_ismapped()
    window.sidebar.doc_button.invoke()
    window.root.update()
    text = window.sidebar.doc_window.text.get("1.0", "end")   # rendered: test_app_inspect checks how
    assert "convolution operator consumes" in text and len(text) > 50
    window.sidebar.doc_window.destroy()
    target = tmp_path / "W.npy"
    monkeypatch.setattr("litenetron.app.sidebar.filedialog.asksaveasfilename", lambda **_: str(target))
    window.sidebar.save_button.invoke()
    tensor = next(value.initializer for _, value in box.node.weights())
    assert numpy.array_equal(numpy.load(target), tensor.data())
    # a click on the empty canvas shows the graph's properties
    x0, y0, x1, y1 = window.canvas.screen_box(box.id)
    click(window, max(2, x0 - 150), (y0 + y1) / 2)
    assert window.canvas.selected_box is None
    assert tree_value(window, "graph.nodes") == str(len(window.graph.nodes))


def _smallest_per_format() -> list:
    from conftest import manifest_rows

    chosen = {}
    for row in manifest_rows():
        if row["nodes"] and int(row["nodes"]) > 0:
            best = chosen.get(row["format"])
            if best is None or int(row["size_bytes"]) < int(best["size_bytes"]):
                chosen[row["format"]] = row
    return [chosen[name] for name in sorted(chosen)]


@pytest.mark.corpus
def test_one_model_of_every_format_opens_in_the_window(window, monkeypatch):
    from conftest import require_corpus

    corpus = require_corpus()
    errors = []
    monkeypatch.setattr("litenetron.app.window.messagebox.showerror", lambda *a, **k: errors.append(a))
    rows = _smallest_per_format()
    assert len(rows) >= 10
    for row in rows:
        open_via_dialog(window, monkeypatch, corpus / row["path"])
        assert not errors, (row["path"], errors)
        assert window.root.title().startswith(Path(row["path"]).name)
        box = next((b for b in window.scene.boxes if b.node is not None), None)
        assert box is not None, row["path"]
        click_box(window, box)
        assert tree_value(window, "node.type") == box.node.type.name, row["path"]
