"""Costs, Colour By and Compare With… in the real window: menu items invoked as a click invokes them, clicks on
the canvas and the sidebar, key presses."""

from __future__ import annotations

import pytest
import test_app as app_tests
from test_app import SAMPLE, click_box, key, open_via_dialog, settle, tree_value

from conftest import CORPUS, require_corpus
from litenetron.analysis.costs import graph_costs
from litenetron.render.heat import DIFF_FILLS

pytestmark = pytest.mark.gui

# The window of test_app, one per module.
config_home, window = app_tests.config_home, app_tests.window


def invoke(window, menu_title: str, label: str) -> None:
    """Choose a menu item the way a click on it does."""
    menu = window.menus.submenus.get(menu_title) or window.menus.menus[menu_title]
    menu.invoke(menu.index(label))
    window.root.update()
    settle(window)


def node_box(window, op: str, index: int = 0):
    return [box for box in window.scene.boxes if box.node is not None and box.node.type.name == op][index]


def test_colour_by_macs_recolours_boxes_shows_a_legend_and_goes_back(window, monkeypatch):
    open_via_dialog(window, monkeypatch, SAMPLE)
    category = {box.id: box.fill for box in window.scene.boxes}
    invoke(window, "Colour By", "MACs")
    assert window.menus.radios["Colour By"].get() == "macs"
    convs = [box for box in window.scene.boxes if box.node is not None and box.node.type.name == "Conv"]
    costs = graph_costs(window.graph)
    by_node = costs.by_node()
    heaviest = max(convs, key=lambda box: by_node[id(box.node)].cost.macs)
    lightest = min(convs, key=lambda box: by_node[id(box.node)].cost.macs)
    assert heaviest.fill != category[heaviest.id] and heaviest.fill != lightest.fill
    assert window.legend_text().startswith("Colour by MACs:")
    drawn = window.canvas.canvas.find_withtag(f"node:{heaviest.id}")
    assert any(window.canvas.canvas.itemcget(item, "fill") == heaviest.fill for item in drawn
               if window.canvas.canvas.type(item) in ("polygon", "rectangle"))
    invoke(window, "Colour By", "Operator Category")
    assert {box.id: box.fill for box in window.scene.boxes} == category
    assert window.legend_text() == ""


def test_a_clicked_node_lists_its_costs(window, monkeypatch):
    open_via_dialog(window, monkeypatch, SAMPLE)
    box = node_box(window, "Conv")
    click_box(window, box)
    entry = graph_costs(window.graph).by_node()[id(box.node)]
    assert tree_value(window, "cost.MACs") == f"{entry.cost.macs:,}"
    assert tree_value(window, "cost.FLOPs") == f"{entry.cost.flops:,}"
    assert tree_value(window, "cost.output_bytes") == f"{entry.output_bytes:,}"
    assert window.sidebar.tree.index("cost") == 1   # right below the node's own rows


def test_model_properties_show_totals_and_a_symbol_can_be_set(window, monkeypatch):
    require_corpus()
    open_via_dialog(window, monkeypatch, CORPUS / "onnx/generated/transformers/gpt2_tiny.onnx")
    key(window, "<Control-Return>")
    unbound = tree_value(window, "costs.MACs")
    assert unbound.startswith("≥ ") and tree_value(window, "symbol:seq") == "1 (unset)"
    assert int(unbound[2:].replace(",", "")) == graph_costs(window.graph).macs
    tree = window.sidebar.tree
    tree.see("symbol:seq")
    window.root.update()
    x, y, width, height = tree.bbox("symbol:seq")
    monkeypatch.setattr("litenetron.app.insight.simpledialog.askinteger", lambda *a, **k: 128)
    for _ in range(2):   # two quick presses make Tk report a double-click
        tree.event_generate("<ButtonPress-1>", x=x + width // 2, y=y + height // 2, button=1)
        tree.event_generate("<ButtonRelease-1>", x=x + width // 2, y=y + height // 2, button=1)
    window.root.update()
    assert tree_value(window, "symbol:seq") == "128"
    assert int(tree_value(window, "costs.MACs").lstrip("≥ ").replace(",", "")) == \
        graph_costs(window.graph, {"seq": 128}).macs
    assert tree.exists("cost-op:MatMul")


@pytest.mark.corpus
def test_compare_with_marks_changes_lists_differences_and_jumps_to_the_partner(window, monkeypatch):
    require_corpus()
    folder = CORPUS / "tflite/tensorflow__tflite-micro"
    open_via_dialog(window, monkeypatch, folder / "hello_world_float.tflite")
    a_model = window.model
    monkeypatch.setattr("litenetron.app.insight.filedialog.askopenfilename", lambda **_: str(
        folder / "hello_world_int8.tflite"))
    invoke(window, "File", "Compare With…")
    assert window.model is not a_model and window.path.endswith("hello_world_int8.tflite")
    box = node_box(window, "FullyConnected")
    assert box.fill == DIFF_FILLS["changed"]
    assert "3 changed" in window.legend_text()
    click_box(window, box)
    assert tree_value(window, "diff.status") == "changed"
    lines = [tree_value(window, iid) for iid in window.sidebar.tree.get_children("diff") if iid.startswith("diff.line")]
    assert any("float32 → int8" in line for line in lines)
    key(window, "<Control-j>")
    settle(window)
    assert window.model is a_model
    selected = window.scene.boxes[window.canvas.selected_box]
    assert selected.node.name == box.node.name and selected.node is not box.node
    assert tree_value(window, "diff.status") == "changed"
    open_via_dialog(window, monkeypatch, SAMPLE)   # another model ends the comparison
    assert window.insight.comparison is None and window.legend_text() == ""
