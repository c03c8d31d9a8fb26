"""Groups in the window, driven with real events under Xvfb: a big graph opens collapsed, double-click and the
header's +/− expand and collapse, Find opens the groups around a hit, the minimap moves the view, Expand All
runs in slices with Cancel, and export draws the collapse state shown."""

from __future__ import annotations

import re
import time

import pytest
from synthetic import transformer_onnx
from test_app import click, key, pump, settle

pytestmark = pytest.mark.gui

LAYERS = 40


@pytest.fixture(scope="module")
def big_model(tmp_path_factory):
    return transformer_onnx(tmp_path_factory.mktemp("groups") / "deep.onnx", layers=LAYERS, padding=30)


@pytest.fixture(scope="module")
def window(display, tmp_path_factory):
    import tkinter

    from litenetron.app.window import MainWindow

    patch = pytest.MonkeyPatch()
    patch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    root = tkinter.Tk()
    root.geometry("1200x800+0+0")
    main = MainWindow(root)
    root.update()
    yield main
    root.destroy()
    patch.undo()


@pytest.fixture()
def opened(window, big_model):
    window.open_path(str(big_model))
    settle(window)
    assert window.scene is not None and window.grouping is not None
    return window


def group_box(window, name: str, kind: str = "group"):
    return next(box for box in window.scene.boxes if box.kind == kind and box.group.path.endswith(name))


def centre_on_screen(window, box):
    window.canvas.center_on(box.id)
    window.root.update()
    x0, y0, x1, y1 = window.canvas.screen_box(box.id)
    return x0, y0, x1, y1


def test_big_graph_opens_collapsed(opened):
    scene = opened.scene
    nodes = len(scene.graph.nodes)
    assert nodes > 1500
    assert len(scene.boxes) <= 300 + LAYERS  # ≤ 300 boxes, plus the frames of the open layers
    assert any(box.kind == "group" for box in scene.boxes)
    assert not any(box.node is not None and "q_proj" in box.node.name for box in scene.boxes)


def test_double_click_expands_and_collapses(opened):
    box = group_box(opened, "layers.3/self_attn")
    x0, y0, x1, y1 = centre_on_screen(opened, box)
    click(opened, (x0 + x1) / 2, (y0 + y1) / 2 + 4, double=True)
    frame = group_box(opened, "layers.3/self_attn", "frame")
    members = [b for b in opened.scene.boxes
               if b.node is not None and b.node.name.startswith("/model/layers.3/self_attn/")]
    assert members and all(frame.x <= b.x and b.x + b.width <= frame.x + frame.width for b in members)
    # the frame stays where the group's box was: the view follows the expanded group
    fx0, fy0, fx1, fy1 = opened.canvas.screen_box(frame.id)
    assert fx0 < (x0 + x1) / 2 < fx1 and fy0 < (y0 + y1) / 2 < fy1
    # double-click on the frame's header collapses it again
    fx0, fy0, fx1, _ = centre_on_screen(opened, frame)
    click(opened, (fx0 + fx1) / 2, fy0 + frame.title_height * opened.canvas.zoom / 2, double=True)
    assert group_box(opened, "layers.3/self_attn").kind == "group"
    assert not any(b.kind == "frame" and b.group.path.endswith("layers.3/self_attn") for b in opened.scene.boxes)


def test_plus_in_the_header_expands(opened):
    box = group_box(opened, "layers.7/mlp")
    x0, y0, _, _ = centre_on_screen(opened, box)
    zoom = opened.canvas.zoom
    click(opened, x0 + 6 * zoom + 4, y0 + box.title_height * zoom / 2)
    assert group_box(opened, "layers.7/mlp", "frame")
    assert opened.location.cget("text").endswith("layers.7 › mlp")
    # the sidebar lists the group's totals and members
    assert opened.sidebar.tree.item("group.operators", "values")[0] == "3"


def test_find_reveals_a_node_in_a_collapsed_group(opened):
    target = next(node for node in opened.scene.graph.nodes if node.name == "/model/layers.11/self_attn/q_proj/MatMul")
    assert opened.canvas.box_for(node=target) is None
    key(opened, "<Control-f>")
    opened.find.entry.insert(0, target.name)
    opened.root.update()
    assert opened.find.matches and opened.find.matches[0].node is target
    key(opened, "<Down>", opened.find.entry)
    key(opened, "<Return>", opened.find.entry)
    box = opened.canvas.box_for(node=target)
    assert box is not None and opened.canvas.selected_box == box.id
    assert opened.location.cget("text") == "in  layers.11 › self_attn"  # q_proj holds one node: no group
    assert opened.sidebar.tree.item("location.group", "values")[0] == "layers.11 › self_attn"
    opened.find.pack_forget()


def test_minimap_click_moves_the_view(opened):
    minimap = opened.canvas.minimap
    assert minimap.shown
    opened.canvas.look_at(0, 0)
    before = opened.canvas.oy
    height = int(minimap.canvas.cget("height"))
    minimap.canvas.event_generate("<ButtonPress-1>", x=int(minimap.canvas.cget("width")) // 2, y=height - 8)
    opened.root.update()
    assert opened.canvas.oy > before + 1000  # the bottom of a tall drawing
    x0, y0, x1, y1 = opened.canvas.minimap.canvas.coords(minimap.viewport)
    assert y1 > height / 2
    key(opened, "<Control-M>", opened.canvas.canvas)
    assert not minimap.shown
    key(opened, "<Control-M>", opened.canvas.canvas)
    assert minimap.shown


def test_expand_all_runs_in_slices_and_can_be_cancelled(opened, monkeypatch):
    from litenetron.grouped_scene import GroupedLayout

    # Each group's layout takes a few milliseconds more, as on a slow machine: the count of frames drawn
    # meanwhile then tells whether the window kept handling events, however fast this machine is.
    lay_out = GroupedLayout._lay_out

    def slow_lay_out(*args, **kwargs):
        time.sleep(0.005)
        return lay_out(*args, **kwargs)

    monkeypatch.setattr(GroupedLayout, "_lay_out", slow_lay_out)
    graph = opened.scene.graph
    before = [(box.kind, box.title) for box in opened.scene.boxes]
    # Cancel in the status bar stops an Expand All and leaves the picture as it was
    opened.command_expand_all()
    opened.root.update_idletasks()
    assert opened.cancel_button.winfo_ismapped()
    opened.cancel_button.invoke()
    pump(opened.root, lambda: True)
    opened.root.update_idletasks()
    assert opened.sliced is None and not opened.cancel_button.winfo_ismapped()
    assert [(box.kind, box.title) for box in opened.scene.boxes] == before
    opened.command_expand_all()
    assert opened.sliced is not None
    frames = 0
    deadline = time.monotonic() + 120
    while opened.sliced is not None and time.monotonic() < deadline:
        opened.canvas.pan(0, -5)
        opened.root.update()
        frames += 1
    assert opened.sliced is None
    assert frames > 3  # the window kept handling events while the layout went on
    assert sum(1 for box in opened.scene.boxes if box.node is not None) == len(graph.nodes)
    opened.command_collapse_all()
    assert not any(box.kind == "frame" for box in opened.scene.boxes)
    assert sum(1 for box in opened.scene.boxes if box.kind == "group") == LAYERS


def test_export_draws_the_collapse_state(opened, tmp_path):
    expanded = set(opened.grouping.expanded)
    path = tmp_path / "shown.svg"
    opened.export_to(str(path))
    settle(opened)
    text = path.read_text()
    groups = sum(1 for box in opened.scene.boxes if box.kind == "group")
    frames = sum(1 for box in opened.scene.boxes if box.kind == "frame")
    assert len(re.findall(r'class="box group"', text)) == groups
    assert len(re.findall(r'class="box frame"', text)) == frames == len(expanded)
    nodes = sum(1 for box in opened.scene.boxes if box.kind == "node")
    assert len(re.findall(r'class="box node"', text)) == nodes < len(opened.scene.graph.nodes)


def test_view_options_keep_the_groups_open(opened):
    box = group_box(opened, "layers.9/mlp")
    opened.toggle_group(box)
    assert group_box(opened, "layers.9/mlp", "frame")
    key(opened, "<Control-d>", opened.canvas.canvas)  # Show Attributes: laid out again
    settle(opened)
    assert opened.options.show_attributes
    assert group_box(opened, "layers.9/mlp", "frame")
    key(opened, "<Control-d>", opened.canvas.canvas)
    settle(opened)
    assert not opened.options.show_attributes
    assert group_box(opened, "layers.9/mlp", "frame")


def test_expand_to_level(opened, monkeypatch):
    monkeypatch.setattr("tkinter.simpledialog.askinteger", lambda *args, **kwargs: 0)
    opened.command_expand_to_level()
    pump(opened.root, lambda: opened.sliced is None)
    assert sum(1 for box in opened.scene.boxes if box.kind == "group") == LAYERS
    assert not any(box.kind == "frame" for box in opened.scene.boxes)
    monkeypatch.setattr("tkinter.simpledialog.askinteger", lambda *args, **kwargs: 1)
    opened.command_expand_to_level()
    pump(opened.root, lambda: opened.sliced is None)
    assert sum(1 for box in opened.scene.boxes if box.kind == "frame") == LAYERS
    assert all(box.group.depth == 2 for box in opened.scene.boxes if box.kind == "group")


def test_dark_theme_reaches_the_minimap_and_the_scrollbars(opened):
    from litenetron.app import theme as app_theme
    from litenetron.render import themes

    def choose_theme(label: str) -> None:
        menu = opened.menus.submenus["Theme"]
        menu.invoke(menu.index(label))   # what a click on the item does
        opened.root.update()

    box = group_box(opened, "layers.3/self_attn")   # an expanded group: a frame in the minimap
    x0, y0, x1, y1 = centre_on_screen(opened, box)
    click(opened, (x0 + x1) / 2, (y0 + y1) / 2 + 4, double=True)
    minimap = opened.canvas.minimap.canvas

    def frame_outlines():
        return {minimap.itemcget(item, "outline").upper() for item in minimap.find_all()
                if minimap.type(item) == "rectangle" and minimap.itemcget(item, "outline")}

    choose_theme("Dark")
    try:
        assert minimap.cget("background").upper() == themes.DARK_BACKGROUND
        assert minimap.cget("highlightbackground").upper() == themes.DARK_BORDER
        assert themes.DARK_BORDER in frame_outlines()
        frame = group_box(opened, "layers.3/self_attn", "frame")   # its body on the canvas goes dark too
        body = opened.canvas.drawn_boxes[frame.id]
        assert opened.canvas.canvas.itemcget(body, "fill").upper() == themes.DARK_GROUP_FRAME
        assert str(opened.theme.style.lookup("TScrollbar", "troughcolor")).upper() == app_theme.FIELD_DARK
    finally:
        choose_theme("Light")
    assert minimap.cget("background").upper() == "#FAFAFA"
    assert themes.DARK_BORDER not in frame_outlines()
    assert str(opened.theme.style.lookup("TScrollbar", "troughcolor")).upper() != app_theme.FIELD_DARK
