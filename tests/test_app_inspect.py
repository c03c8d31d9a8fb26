"""Inspecting a model the way Netron users do (issue 12), in the real window under Xvfb with real events:
readable and copyable sidebar rows, compact symbolic shapes, options changed during a load, sidebar navigation
and history, a truthful status bar, Find queries, weight captions, rendered documentation."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import test_app as app_tests
from test_app import SAMPLE, box_of, click_box, key, open_via_dialog, pump, settle

from litenetron.scene import compact_shape

pytestmark = pytest.mark.gui

config_home, window = app_tests.config_home, app_tests.window

LONG = "encoder.layers.11.self_attention.query_key_value_projection.weight_quantized_per_channel"


@pytest.fixture(scope="module")
def long_model(tmp_path_factory) -> Path:
    """Long names, a big weight, a long attribute and torch-exporter shape expressions."""
    import numpy
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    height = "floor(height/2 - 1/2) + 1"
    weight = numpy_helper.from_array(numpy.arange(1000 * 24, dtype=numpy.float32).reshape(1000, 24) / 7, LONG)
    nodes = [
        helper.make_node("MatMul", ["input", LONG], ["projected_output_of_the_very_long_layer_name"],
                         name="/encoder/layers.11/self_attention/query_key_value/MatMul"),
        helper.make_node("Transpose", ["projected_output_of_the_very_long_layer_name"], ["output"],
                         name="transpose_with_a_long_permutation", perm=list(range(3))),
    ]
    graph = helper.make_graph(
        nodes, "long", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", height, 1000])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 24, height])], [weight],
        value_info=[helper.make_tensor_value_info("projected_output_of_the_very_long_layer_name",
                                                  TensorProto.FLOAT, ["batch", height, 24])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    path = tmp_path_factory.mktemp("long") / "long_names.onnx"
    onnx.save(model, str(path))
    return path


def node_box(window, op: str):
    return box_of(window, lambda box: box.node is not None and box.node.type.name == op)


def row_iid(window, predicate) -> str:
    tree = window.sidebar.tree

    def walk(parent):
        for iid in tree.get_children(parent):
            yield iid
            yield from walk(iid)

    return next(iid for iid in walk("") if predicate(iid))


def hover(window, iid: str, column: int) -> None:
    """Move the pointer over a cell of the sidebar table and wait for the tooltip."""
    tree = window.sidebar.tree
    tree.see(iid)
    window.root.update()
    name = "#0" if column == 0 else f"#{column}"
    x, y, width, height = tree.bbox(iid, name)
    tree.event_generate("<Motion>", x=x + min(width - 2, 30), y=y + height // 2)
    tooltip = window.sidebar.readable.tooltip
    pump(window.root, lambda: tooltip.visible, timeout=5)


def test_sidebar_columns_fit_long_texts_hover_shows_all_and_copy(window, monkeypatch, long_model):
    import tkinter.font

    open_via_dialog(window, monkeypatch, long_model)
    click_box(window, node_box(window, "MatMul"))
    tree = window.sidebar.tree
    font = tkinter.font.nametofont("TkDefaultFont")
    name_row = row_iid(window, lambda iid: iid == "node.name")
    value = tree.item(name_row, "values")[0]
    assert int(tree.column("value", "width")) >= font.measure(value)
    weight_row = row_iid(window, lambda iid: iid.startswith("weight:") and iid.count(":") == 1)
    assert int(tree.column("#0", "width")) >= font.measure(tree.item(weight_row, "text"))
    type_text = tree.item(weight_row, "values")[1]
    assert type_text == "float32 ⟨1000×24⟩"
    assert int(tree.column("type", "width")) >= font.measure(type_text)
    # the table scrolls sideways when the pane is narrower than the columns
    assert str(tree.cget("xscrollcommand"))

    # a long attribute: the cell is shortened, hovering shows it whole, Ctrl+C copies it whole
    click_box(window, node_box(window, "Transpose"))
    perm = "attribute:perm"
    tree.selection_set(perm)
    tree.focus_set()
    window.root.update()
    key(window, "<Control-c>", tree)
    assert window.root.clipboard_get() == "0, 1, 2"

    click_box(window, node_box(window, "MatMul"))
    row = row_iid(window, lambda iid: iid == "node.name")
    window.sidebar.readable.fit_columns()
    tree.column("value", width=60)   # a narrow pane: the text no longer fits the cell
    window.root.update()
    hover(window, row, 1)
    assert window.sidebar.readable.tooltip.text == "/encoder/layers.11/self_attention/query_key_value/MatMul"

    # right-click a row: its menu copies the whole row
    tree.see(weight_row)
    window.root.update()
    x, y, _, h = tree.bbox(weight_row, "#0")
    monkeypatch.setattr(window.sidebar.readable.menu, "tk_popup", lambda *_: None)
    tree.event_generate("<Button-3>", x=x + 5, y=y + h // 2, rootx=x, rooty=y)
    window.root.update()
    assert tree.selection() == (weight_row,)
    window.sidebar.readable.menu.invoke("Copy Row")
    assert window.root.clipboard_get() == f"B\t{LONG}\tfloat32 ⟨1000×24⟩"


def test_symbolic_expressions_are_compact_on_the_canvas_and_whole_in_the_sidebar(window, monkeypatch,
                                                                                  long_model):
    assert compact_shape(("batch", "floor(height/2 - 1/2) + 1", 24)) == "batch×?×24"
    open_via_dialog(window, monkeypatch, long_model)
    labels = [edge.label for edge in window.scene.edges]
    assert "batch×?×24" in labels
    pills = [row.text for box in window.scene.boxes for row in box.rows]
    assert "float32 ⟨batch×?×1000⟩" in pills
    drawn = {window.canvas.canvas.itemcget(item, "text") for item in window.canvas.canvas.find_all()
             if window.canvas.canvas.type(item) == "text"}
    assert "batch×?×24" in drawn
    # the sidebar keeps the expression
    click_box(window, node_box(window, "MatMul"))
    types = [window.sidebar.tree.item(iid, "values")[1] for iid in window.sidebar.tree.get_children("outputs")]
    assert types == ["float32 batch×floor(height/2 - 1/2) + 1×24"]


class SlowOpen:
    """Holds `open_model` in the worker thread until released: a slow file, without a slow file."""

    def __init__(self, monkeypatch):
        import litenetron.formats

        self.release = threading.Event()
        self.started = threading.Event()
        real = litenetron.formats.open_model

        def slow(path):
            self.started.set()
            self.release.wait(20)
            return real(path)

        monkeypatch.setattr(litenetron.formats, "open_model", slow)


def test_view_option_changed_while_a_file_loads_applies_to_it(window, monkeypatch, long_model):
    open_via_dialog(window, monkeypatch, SAMPLE)
    assert not window.options.show_names
    slow = SlowOpen(monkeypatch)
    monkeypatch.setattr("litenetron.app.window.filedialog.askopenfilename", lambda **_: str(long_model))
    key(window, "<Control-o>")
    pump(window.root, slow.started.is_set, timeout=5)
    key(window, "<Control-u>", window.canvas.canvas)     # Show Names, during the load
    assert window.options.show_names
    slow.release.set()
    settle(window)
    assert window.path == str(long_model)
    assert window.scene.options.show_names
    assert "input" in [edge.label for edge in window.scene.edges]   # names, not shapes, beside the edges
    key(window, "<Control-u>", window.canvas.canvas)
    settle(window)
    assert not window.scene.options.show_names


def test_status_bar_tells_the_stage_and_the_truth_after_cancel_and_error(window, monkeypatch, long_model,
                                                                       tmp_path):
    open_via_dialog(window, monkeypatch, SAMPLE)
    shown = window.message.cget("text")
    assert shown.startswith("resblock.onnx — ONNX") and shown.endswith(" nodes")
    slow = SlowOpen(monkeypatch)
    monkeypatch.setattr("litenetron.app.window.filedialog.askopenfilename", lambda **_: str(long_model))
    key(window, "<Control-o>")
    pump(window.root, slow.started.is_set, timeout=5)
    assert window.message.cget("text") == "Reading long_names.onnx…"
    window.cancel_button.invoke()
    window.root.update()
    assert window.message.cget("text") == shown       # the model still shown, not "Reading …"
    slow.release.set()
    settle(window)
    assert window.path == str(SAMPLE)

    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"\x08\x07\x12\xff\xff\xff\xff\x0f junk")
    errors = []
    monkeypatch.setattr("litenetron.app.window.messagebox.showerror",
                        lambda title, message, **_: errors.append((title, message)))
    monkeypatch.setattr("litenetron.app.window.filedialog.askopenfilename", lambda **_: str(broken))
    key(window, "<Control-o>")
    settle(window)
    assert errors and errors[0][1].startswith("broken.onnx: ")   # the dialog names the file
    assert window.message.cget("text") == shown


def test_status_bar_and_sidebar_say_what_their_node_counts_count(window, monkeypatch):
    from conftest import CORPUS, require_corpus

    require_corpus()
    path = CORPUS / "tensorflow" / "onnx__tensorflow-onnx" / "checkpoint__model.meta"
    open_via_dialog(window, monkeypatch, path)
    drawn, counted = len(window.graph.nodes), window.graph.node_count()
    key(window, "<Escape>", window.canvas.canvas)
    window.sidebar.show_graph(window.graph)
    window.root.update()
    assert app_tests.tree_value(window, "graph.nodes") == f"{counted:,}"
    if drawn != counted:
        assert app_tests.tree_value(window, "graph.drawn") == f"{drawn:,}"
        assert window.message.cget("text").endswith(f"{drawn:,} nodes drawn ({counted:,} in the file)")
    else:
        assert window.message.cget("text").endswith(f"{drawn:,} nodes")
    # a scalar weight is captioned by its dtype alone, not `float32 ⟨⟩`
    assign = next(box for box in window.scene.boxes if box.node is not None and box.node.type.name == "Assign"
                  and any(v.initializer is not None and v.initializer.shape == () for _, v in box.node.weights()))
    click_box(window, assign)
    pump(window.root, lambda: window.sidebar.caption.winfo_ismapped(), timeout=5)
    assert window.sidebar.caption.cget("text").endswith("  float32")
    assert "⟨⟩" not in window.sidebar.tree.item("weight:0", "values")[1]


def press_row(window, iid: str, column: str = "#1") -> None:
    """A click on a cell of the sidebar table."""
    tree = window.sidebar.tree
    tree.see(iid)
    window.root.update()
    x, y, width, height = tree.bbox(iid, column)
    x += min(width // 2, 40)   # well inside the cell: Tk's bbox and identify differ by the border
    tree.event_generate("<ButtonPress-1>", x=x, y=y + height // 2, button=1)
    tree.event_generate("<ButtonRelease-1>", x=x, y=y + height // 2, button=1)
    window.root.update()


def test_sidebar_rows_lead_to_edges_nodes_and_weights_and_history_walks_back(window, monkeypatch, long_model):
    open_via_dialog(window, monkeypatch, long_model)
    matmul = node_box(window, "MatMul")
    click_box(window, matmul)
    assert window.canvas.selected_box == matmul.id
    press_row(window, "input:0:0")                     # the "input" row: its edge
    edge = window.scene.edges[window.canvas.selected_edge]
    assert edge.value.name == "input" and window.canvas.selected_box is None
    assert window.sidebar.title.cget("text") == "Connection"
    consumer = next(iid for iid in window.sidebar.tree.get_children("connection")
                    if iid.startswith("connection.consumer"))
    press_row(window, consumer)                        # a consumer row: its node
    assert window.canvas.selected_box == matmul.id
    press_row(window, "output:0:0")
    assert window.scene.edges[window.canvas.selected_edge].value.name.startswith("projected_output")
    press_row(window, "connection.consumer:0")
    transpose = node_box(window, "Transpose")
    assert window.canvas.selected_box == transpose.id
    # the box brought into view
    x0, y0, x1, y1 = window.canvas.screen_box(transpose.id)
    width, height = window.canvas.size()
    assert 0 <= (x0 + x1) / 2 <= width and 0 <= (y0 + y1) / 2 <= height

    key(window, "<Alt-Left>", window.canvas.canvas)    # back: the connection, then MatMul
    assert window.scene.edges[window.canvas.selected_edge].value.name.startswith("projected_output")
    key(window, "<Alt-Left>", window.canvas.canvas)
    assert window.canvas.selected_box == matmul.id
    assert window.sidebar.node is matmul.node
    key(window, "<Alt-Right>", window.canvas.canvas)
    assert window.canvas.selected_edge is not None and window.canvas.selected_box is None
    key(window, "<Alt-Right>", window.canvas.canvas)
    assert window.canvas.selected_box == transpose.id

    # a weight row opens its tensor, captioned with its name; another row hides it again
    click_box(window, matmul)
    press_row(window, "attribute:perm" if window.sidebar.tree.exists("attribute:perm") else "node.type")
    assert not window.sidebar.caption.winfo_ismapped()
    press_row(window, "input:1:0")
    pump(window.root, lambda: window.sidebar.caption.winfo_ismapped(), timeout=5)
    assert window.sidebar.caption.cget("text") == f"{LONG}  float32 ⟨1000×24⟩"
    press_row(window, "node.type")
    assert not window.sidebar.caption.winfo_ismapped()


def test_weight_preview_is_shaped_like_the_tensor(window, monkeypatch, long_model):
    import numpy

    open_via_dialog(window, monkeypatch, long_model)
    click_box(window, node_box(window, "MatMul"))
    pump(window.root, lambda: window.sidebar.preview.winfo_ismapped(), timeout=10)
    lines = window.sidebar.preview.get("1.0", "end").strip().splitlines()
    array = numpy.arange(1000 * 24, dtype=numpy.float32).reshape(1000, 24) / 7
    assert len(lines) == 9 and lines[-1] == "…"       # 8 rows of 1000, then …
    assert lines[1] == "[" + ", ".join(f"{v:.6g}" for v in array[1, :8].tolist()) + ", …]"
    assert window.sidebar.caption.cget("text").startswith(LONG)
    # rows wider than the pane scroll sideways; the long node name in the title wraps instead of being cut
    assert window.sidebar.preview_scroll.winfo_ismapped() and window.sidebar.preview.xview()[1] < 1.0
    title = window.sidebar.title
    assert 0 < int(title.cget("wraplength")) <= title.winfo_width()


def type_into(window, widget, text: str) -> None:
    names = {",": "comma", " ": "space", '"': "quotedbl", "?": "question", ".": "period", "_": "underscore"}
    widget.focus_force()
    window.root.update()
    for char in text:
        widget.event_generate("<KeyPress>", keysym=names.get(char, char))
    window.root.update()


def find(window, text: str) -> list:
    key(window, "<Control-f>", window.canvas.canvas)
    entry = window.find.entry
    entry.select_range(0, "end")
    key(window, "<Delete>", entry)
    type_into(window, entry, text)
    return [(match.kind, match.text) for match in window.find.matches]


def test_find_understands_netron_queries_and_selects_edges(window, monkeypatch):
    open_via_dialog(window, monkeypatch, SAMPLE)
    assert find(window, "3,448,448") == [("input", "image")]        # a shape typed as Netron users do
    assert find(window, "image") == [("input", "image")]            # once, not again as a value
    assert find(window, "stem1 conv") == [("node", "stem1.conv"), ("weight", "stem1.conv.weight"),
                                          ("value", "stem1.conv")]   # every word must match
    assert find(window, '"pool"') == [("node", "pool"), ("value", "pool")]   # exact, not res_a.conv.pool…
    # the toggles
    find(window, "stem1 conv")
    window.find.toggles["connections"].invoke()    # as a click on the check box does
    window.find.toggles["weights"].invoke()
    window.root.update()
    assert [(m.kind, m.text) for m in window.find.matches] == [("node", "stem1.conv")]
    assert window.find.count.cget("text") == "1 found"
    window.find.toggles["connections"].invoke()
    window.find.toggles["weights"].invoke()
    assert all(toggle.get() for toggle in window.find.kinds.values())
    # a long result list scrolls
    assert find(window, "?") and window.find.scrollbar.winfo_ismapped()
    # a connection hit selects the edge, not its node
    find(window, "stem1.relu")
    index = next(i for i, m in enumerate(window.find.matches) if m.kind == "value")
    window.find.results.selection_set(str(index))
    window.root.update()
    assert window.canvas.selected_box is None
    assert window.scene.edges[window.canvas.selected_edge].value.name == "stem1.relu"
    key(window, "<Escape>", window.canvas.canvas)    # Esc closes Find from anywhere
    assert not window.find.winfo_ismapped()


def test_documentation_is_rendered_with_netron_sections_and_esc_closes_it(window, monkeypatch):
    from litenetron.app.docs import blocks, inline_spans

    assert inline_spans("use `pads` or **auto_pad**, *not* snake_case_names") == [
        ("use ", ""), ("pads", "code"), (" or ", ""), ("auto_pad", "strong"), (", ", ""), ("not", "emphasis"),
        (" snake_case_names", "")]
    assert blocks("# T\n\ntext\nmore\n\n```\nx = 1\n```\n- a\n- b") == [
        ("heading1", "T"), ("paragraph", "text more"), ("code", "x = 1"), ("bullet", "•  a"), ("bullet", "•  b")]

    open_via_dialog(window, monkeypatch, SAMPLE)
    click_box(window, node_box(window, "Conv"))
    tree = window.sidebar.tree
    x, y, width, height = tree.bbox("node.type", "#0")
    for _ in range(2):   # two quick clicks: Tk reports a double-click
        tree.event_generate("<ButtonPress-1>", x=x + 30, y=y + height // 2, button=1)
        tree.event_generate("<ButtonRelease-1>", x=x + 30, y=y + height // 2, button=1)
    window.root.update()
    docs = window.sidebar.doc_window
    assert docs.title().startswith("Conv — ")
    text = docs.text.get("1.0", "end")
    for section in ("Attributes", "Inputs", "Outputs", "Type Constraints"):
        assert f"\n{section}\n" in text
    assert "`" not in text and "```" not in text and "## " not in text
    assert "auto_pad: string, default 'NOTSET'" in text     # attribute with its type and default
    start = docs.text.search("Type Constraints", "1.0")
    assert "heading2" in docs.text.tag_names(start)
    code = docs.text.search("auto_pad", "1.0")
    assert "inline-code" in docs.text.tag_names(code)
    assert docs.text.tag_cget("inline-code", "font") != docs.text.tag_cget("paragraph", "font")
    docs.text.focus_force()
    window.root.update()
    docs.text.event_generate("<Escape>")
    window.root.update()
    assert not docs.winfo_exists()



def press_button(window, button) -> None:
    """A real click on a ttk button: the pointer enters it, presses and releases over it."""
    window.root.update()
    x, y = button.winfo_width() // 2, button.winfo_height() // 2
    button.event_generate("<Enter>", x=x, y=y)
    button.event_generate("<ButtonPress-1>", x=x, y=y, button=1)
    button.event_generate("<ButtonRelease-1>", x=x, y=y, button=1)
    window.root.update()


@pytest.mark.parametrize("model, op, attribute", [
    ("tflite/generated/small_cnn.tflite", "Conv2D", "stride_w"),
    ("keras/generated/small_cnn.keras", "Dense", "units"),
])
def test_tflite_and_keras_nodes_open_our_documentation_and_esc_closes_it(window, monkeypatch, model, op,
                                                                           attribute):
    from conftest import CORPUS, require_corpus

    require_corpus()
    open_via_dialog(window, monkeypatch, CORPUS / model)
    click_box(window, node_box(window, op))
    assert window.sidebar.node is not None and window.sidebar.node.type.name == op
    assert window.sidebar.doc_button.winfo_ismapped()
    press_button(window, window.sidebar.doc_button)
    docs = window.sidebar.doc_window
    assert docs.winfo_exists() and docs.title().startswith(f"{op} — ")
    text = docs.text.get("1.0", "end")
    assert text.startswith(f"{op}\n")
    for section in ("Attributes", "Inputs", "Outputs"):
        start = docs.text.search(f"\n{section}\n", "1.0")
        assert start, section
        assert "heading2" in docs.text.tag_names(f"{start} + 1 chars")
    assert "heading1" in docs.text.tag_names("1.0")
    assert docs.text.tag_cget("heading2", "font") != docs.text.tag_cget("paragraph", "font")
    assert "`" not in text and "## " not in text
    name = docs.text.search(attribute, docs.text.search("\nAttributes\n", "1.0"))
    assert "inline-code" in docs.text.tag_names(name)
    docs.text.focus_force()
    window.root.update()
    docs.text.event_generate("<Escape>")
    window.root.update()
    assert not docs.winfo_exists()


if_model = app_tests.if_model


def test_nodes_with_bodies_are_marked_and_every_branch_opens(window, monkeypatch, if_model):
    from litenetron.scene import BODY_MARK

    open_via_dialog(window, monkeypatch, if_model)
    box = box_of(window, lambda b: b.node is not None and b.node.type.name == "If")
    assert box.title == f"If {BODY_MARK}2"
    assert all(BODY_MARK not in b.title for b in window.scene.boxes if b is not box)
    drawn = {window.canvas.canvas.itemcget(item, "text") for item in window.canvas.canvas.find_all()
             if window.canvas.canvas.type(item) == "text"}
    assert f"If {BODY_MARK}2" in drawn
    window.canvas.center_on(box.id)
    window.root.update()
    x0, y0, x1, y1 = window.canvas.screen_box(box.id)
    app_tests.click(window, (x0 + x1) / 2, (y0 + y1) / 2, double=True)
    settle(window)
    assert window.graph is box.node.graphs[0]
    first, second = (graph.name for graph in box.node.graphs)
    other = [child for child in window.breadcrumb.winfo_children() if str(child.cget("text")) == second]
    assert other, [child.cget("text") for child in window.breadcrumb.winfo_children()]
    other[0].event_generate("<Enter>")
    other[0].event_generate("<ButtonPress-1>", x=3, y=3)
    other[0].event_generate("<ButtonRelease-1>", x=3, y=3)
    settle(window)
    assert window.graph is box.node.graphs[1] and len(window.stack) == 2
    assert [b.node.type.name for b in window.scene.boxes if b.node is not None] == \
        [node.type.name for node in box.node.graphs[1].nodes]
    assert [child for child in window.breadcrumb.winfo_children() if str(child.cget("text")) == first]
    key(window, "<BackSpace>", window.canvas.canvas)
    settle(window)
    assert len(window.stack) == 1 and window.graph is window.model.graphs[0]
    # the selection history spans graphs: a node inside a branch, then one outside; Alt+Left goes back in
    window.canvas.center_on(box.id)
    window.root.update()
    x0, y0, x1, y1 = window.canvas.screen_box(box.id)
    app_tests.click(window, (x0 + x1) / 2, (y0 + y1) / 2, double=True)
    settle(window)
    assert len(window.stack) == 2
    inner = next(b for b in window.scene.boxes if b.node is not None)
    click_box(window, inner)
    key(window, "<BackSpace>", window.canvas.canvas)
    settle(window)
    click_box(window, box_of(window, lambda b: b.node is box.node))
    key(window, "<Alt-Left>", window.canvas.canvas)
    settle(window)
    assert window.sidebar.node is inner.node
    assert len(window.stack) == 2 and window.scene.boxes[window.canvas.selected_box].node is inner.node
    key(window, "<Alt-Right>", window.canvas.canvas)
    settle(window)
    assert len(window.stack) == 1 and window.sidebar.node is box.node


def test_keys_wheel_mode_reload_fullscreen_copy_and_properties_toggle(window, monkeypatch):
    open_via_dialog(window, monkeypatch, SAMPLE)
    canvas = window.canvas.canvas
    # Ctrl+M: the wheel zooms about the pointer; again: it scrolls
    zoom, oy = window.canvas.zoom, window.canvas.oy
    key(window, "<Control-m>", canvas)
    canvas.event_generate("<Button-4>", x=200, y=200)
    window.root.update()
    assert window.canvas.zoom > zoom
    key(window, "<Control-m>", canvas)
    zoom = window.canvas.zoom
    canvas.event_generate("<Button-4>", x=200, y=200)
    window.root.update()
    assert window.canvas.zoom == zoom and window.canvas.oy != oy
    # F5 reads the file again: a new model object, the same file
    before = window.model
    key(window, "<F5>", canvas)
    settle(window)
    assert window.model is not before and window.path == str(SAMPLE)
    # F11 fullscreen and back
    key(window, "<F11>", canvas)
    assert window.fullscreen
    key(window, "<F11>", canvas)
    assert not window.fullscreen
    # Edit ▸ Copy (Ctrl+C) with a node selected on the canvas: its name
    click_box(window, node_box(window, "Gemm"))
    window.sidebar.tree.selection_set(())
    key(window, "<Control-c>", canvas)
    assert window.root.clipboard_get() == "fc"
    # Ctrl+Enter: model properties, then back to the graph's
    key(window, "<Control-Return>", canvas)
    assert window.sidebar.title.cget("text") == "Model Properties"
    key(window, "<Control-Return>", canvas)
    assert window.sidebar.title.cget("text").startswith("Graph")


def test_preferences_persist_in_the_config_file(window, monkeypatch, config_home, display):
    import json
    import tkinter

    from litenetron.app.window import MainWindow

    open_via_dialog(window, monkeypatch, SAMPLE)
    shown = window.options.show_attributes
    key(window, "<Control-d>", window.canvas.canvas)
    settle(window)
    key(window, "<Control-m>", window.canvas.canvas)
    window.panes.sashpos(0, window.panes.winfo_width() - 380)
    window.root.update()
    window.save_preferences()
    saved = json.loads((config_home / "litenetron" / "preferences.json").read_text())
    assert saved["view"]["show_attributes"] is (not shown) and saved["wheel"] == "zoom"
    assert abs(saved["sidebar_width"] - 380) <= 8 and "x" in saved["geometry"]

    root = tkinter.Tk()   # the next session starts with them
    try:
        again = MainWindow(root)
        root.update()
        assert again.options.show_attributes is (not shown)
        assert again.menus.checks["show_attributes"].get() is (not shown)
        assert again.canvas.wheel_zooms
        again.open_path(str(SAMPLE))
        pump(root, lambda: again.scene is not None and not again.runner.busy)
        assert abs(again.panes.winfo_width() - again.panes.sashpos(0) - 380) <= 8
        assert root.winfo_width() == int(saved["geometry"].split("x")[0])
    finally:
        root.destroy()
    key(window, "<Control-d>", window.canvas.canvas)
    key(window, "<Control-m>", window.canvas.canvas)
    settle(window)


def test_welcome_screen_shows_the_version_and_where_recent_files_are(window, monkeypatch, tmp_path):
    from litenetron import __version__
    from litenetron.app.welcome import short_path

    monkeypatch.setenv("HOME", str(tmp_path))
    folder = tmp_path / "models" / "a"
    folder.mkdir(parents=True)
    model = folder / "model.onnx"
    model.write_bytes(SAMPLE.read_bytes())
    assert short_path(str(model)) == "~/models/a/model.onnx"
    open_via_dialog(window, monkeypatch, model)
    key(window, "<Control-w>", window.canvas.canvas)
    assert window.welcome.version.cget("text") == f"version {__version__}"
    buttons = [child for child in window.welcome.recent.winfo_children() if child.winfo_class() == "TButton"]
    assert buttons[0].cget("text") == "1  ~/models/a/model.onnx"
    import tkinter.ttk as ttk
    assert str(ttk.Style(window.root).lookup(buttons[0].cget("style"), "anchor")) == "w"


function_model = app_tests.function_model


def test_drawing_details_toolbar_band_unknown_types_brackets_and_separator(window, monkeypatch, function_model,
                                                                            long_model):
    from litenetron.render.tk_canvas import ON_SCREEN

    # a multi-graph model shows the graph choice; a single-graph one afterwards leaves no empty band
    open_via_dialog(window, monkeypatch, function_model)
    assert window.toolbar.winfo_ismapped()
    choice = window.graph_choice
    choice.current(1)
    choice.event_generate("<<ComboboxSelected>>")
    settle(window)
    # a function's inputs have no type: the sidebar says nothing rather than "? ?"
    click_box(window, node_box(window, "Neg"))
    assert window.sidebar.tree.item("input:0:0", "values")[1] == ""
    open_via_dialog(window, monkeypatch, SAMPLE)
    assert not window.toolbar.winfo_manager()
    assert window.canvas.canvas.winfo_rooty() - window.root.winfo_rooty() < 10   # the canvas right under the menu

    # ⟨ ⟩ are drawn as chevrons on screen, measured as drawn
    open_via_dialog(window, monkeypatch, long_model)
    canvas = window.canvas.canvas
    texts = [canvas.itemcget(item, "text") for item in canvas.find_all() if canvas.type(item) == "text"]
    assert any("‹1000×24›" in text for text in texts) and not any("⟨" in text for text in texts)
    assert "⟨1000×24⟩".translate(ON_SCREEN) == "‹1000×24›"
    # the separator between header and rows stays inside the outline (no tick at the rounded corner)
    box = node_box(window, "MatMul")
    x0, _, x1, _ = window.canvas.screen_box(box.id)
    lines = [item for item in canvas.find_withtag(f"node:{box.id}") if canvas.type(item) == "line"]
    assert lines
    for item in lines:
        left, _, right, _ = canvas.coords(item)
        assert left > x0 and right < x1


def invoke(window, menu_title: str, label: str) -> None:
    """Choose a menu item the way a click on it does."""
    menu = window.menus.submenus.get(menu_title) or window.menus.menus[menu_title]
    menu.invoke(menu.index(label))
    window.root.update()
    settle(window)


def test_dark_theme_repaints_canvas_and_widgets_and_persists(window, monkeypatch, config_home):
    import json

    from litenetron import style
    from litenetron.render import themes

    open_via_dialog(window, monkeypatch, SAMPLE)
    canvas = window.canvas.canvas
    invoke(window, "Theme", "Dark")
    assert window.menus.radios["Theme"].get() == "dark"
    assert canvas.cget("background").upper() == themes.DARK_BACKGROUND
    conv = node_box(window, "Conv")
    window.canvas.center_on(conv.id)
    window.root.update()
    frame = window.canvas.drawn_boxes[conv.id]
    assert canvas.itemcget(frame, "fill").upper() == themes.DARK_BODY
    items = canvas.find_withtag(f"node:{conv.id}")
    fills = {canvas.itemcget(i, "fill").upper() for i in items if canvas.type(i) == "polygon"}
    assert conv.fill.upper() in fills                     # the coloured header stays
    row_texts = [i for i in items if canvas.type(i) == "text" and canvas.itemcget(i, "text").startswith("W")]
    assert row_texts and canvas.itemcget(row_texts[0], "fill").upper() == themes.DARK_ROW_TEXT
    edges = [i for i in canvas.find_withtag("line") if "edge" in canvas.gettags(i)]
    assert edges and all(canvas.itemcget(i, "fill").upper() == themes.DARK_EDGE for i in edges)
    assert str(window.theme.style.lookup("Treeview", "background")).upper() == "#1F1F1F"
    # selecting an edge and moving on restores the dark edge colour
    edge = window.scene.edges[0]
    window.navigator.select_value(edge.value)
    window.root.update()
    assert canvas.itemcget(window.canvas.drawn_edges[edge.id], "fill").upper() == style.SELECTION_COLOR.upper()
    click_box(window, conv)
    assert canvas.itemcget(window.canvas.drawn_edges[edge.id], "fill").upper() == themes.DARK_EDGE
    # Colour By keeps working, its legend shown in the dark window
    invoke(window, "Colour By", "MACs")
    assert window.legend_text()
    invoke(window, "Colour By", "Operator Category")
    saved = json.loads((config_home / "litenetron" / "preferences.json").read_text())
    assert saved["theme"] == "dark"
    invoke(window, "Theme", "Light")
    assert canvas.cget("background").upper() == style.BACKGROUND.upper()
    frame = window.canvas.drawn_boxes[conv.id]
    assert canvas.itemcget(frame, "fill").upper() == style.ROW_FILL.upper()


def test_hidpi_scaling_draws_bigger_and_stays_usable(display, config_home):
    import tkinter
    import tkinter.font

    from litenetron import style
    from litenetron.app.window import MainWindow

    root = tkinter.Tk()
    original = root.tk.call("tk", "scaling")   # per display, shared by every root of the process: restored below
    root.tk.call("tk", "scaling", 2 * 96 / 72)   # a 2× screen
    try:
        window = MainWindow(root)
        root.geometry("1200x800+0+0")
        root.update()
        assert window.canvas.ui_scale == 2.0
        assert float(window.canvas.canvas.cget("closeenough")) == 6.0      # hit areas follow
        window.open_path(str(SAMPLE))
        pump(root, lambda: window.scene is not None and not window.runner.busy)
        assert window.canvas.zoom == 2.0                                    # actual size is 2×
        title = window.canvas.fonts["title"]
        assert -title.cget("size") >= 1.8 * -window.canvas.measure.fonts["title"].cget("size")
        canvas = window.canvas.canvas
        edge_line = window.canvas.drawn_edges[next(iter(window.canvas.drawn_edges))]
        assert float(canvas.itemcget(edge_line, "width")) == 2 * style.EDGE_WIDTH
        linespace = tkinter.font.nametofont("TkDefaultFont").metrics("linespace")
        assert int(window.theme.style.lookup("Treeview", "rowheight")) >= linespace
        # a click still lands on its box
        box = node_box(window, "Gemm")
        app_tests.click_box(window, box)
        assert window.canvas.selected_box == box.id
        window.command_actual_size()
        assert window.canvas.zoom == 2.0
    finally:
        root.tk.call("tk", "scaling", original)
        root.destroy()


def test_ncnn_layers_document_their_parameters_from_our_table(window, monkeypatch):
    from conftest import CORPUS, require_corpus
    from litenetron.formats.schemas.ncnn import PARAM_NAMES

    require_corpus()
    open_via_dialog(window, monkeypatch, CORPUS / "ncnn" / "generated" / "small_cnn.ncnn.param")
    box = box_of(window, lambda b: b.node is not None and b.node.type.name == "Convolution")
    click_box(window, box)
    assert window.sidebar.doc_button.winfo_ismapped()
    window.sidebar.doc_button.invoke()
    window.root.update()
    docs = window.sidebar.doc_window
    text = docs.text.get("1.0", "end")
    assert "\nAttributes\n" in text and "`" not in text   # the shared renderer's sections (formats/op_docs.py)
    for number, name in PARAM_NAMES["Convolution"].items():
        assert f"{name} — parameter id {number}\n" in text
    docs.text.focus_force()
    window.root.update()
    docs.text.event_generate("<Escape>")
    window.root.update()
    assert not docs.winfo_exists()
