"""Scene building: rows, titles, colours, edge labels, pills and the effect of each view option."""

from __future__ import annotations

import math

import numpy as np
import pytest

from litenetron import style
from litenetron.model import Argument, Attribute, Graph, Node, OpType, Tensor, TensorType, Value
from litenetron.scene import (
    ViewOptions,
    arrow,
    build_scene,
    format_value,
    shorten_middle,
    smooth_path,
)


def measure(text: str, text_style: str):
    """Deterministic metrics: 6 units per character, 12 high (the real backends use font metrics)."""
    return 6.0 * len(text), 12.0


def _tensor(name, shape, values=None):
    loader = None if values is None else (lambda: np.asarray(values, dtype=np.float32).reshape(shape))
    return Tensor(name, "float32", shape, loader=loader)


def _weight(argument, name, shape, values=None):
    return Argument(argument, [Value(name, TensorType("float32", shape), _tensor(name, shape, values))])


def conv_bn_relu() -> Graph:
    image = Value("image", TensorType("float32", (None, 3, 448, 448)))
    conv_out = Value("conv_out", TensorType("float32", (None, 32, 224, 224)))
    bn_out = Value("bn_out", TensorType("float32", (None, 32, 224, 224)))
    relu_out = Value("relu_out", TensorType("float32", (None, 32, 224, 224)))
    conv = Node("conv1", OpType("Conv", "Layer"),
                inputs=[Argument("X", [image]), _weight("W", "conv1.w", (32, 3, 3, 3)), _weight("B", "conv1.b", (32,))],
                outputs=[Argument("Y", [conv_out])],
                attributes=[Attribute("kernel_shape", [3, 3]), Attribute("strides", [2, 2]),
                            Attribute("group", 1, visible=False)])
    bn = Node("bn1", OpType("BatchNormalization", "Normalization"),
              inputs=[Argument("X", [conv_out])] + [_weight(name, f"bn1.{name}", (32,))
                                                     for name in ("scale", "B", "mean", "var")],
              outputs=[Argument("Y", [bn_out])], attributes=[Attribute("epsilon", 1e-5)])
    relu = Node("relu1", OpType("Relu", "Activation"), inputs=[Argument("X", [bn_out])],
                outputs=[Argument("Y", [relu_out])])
    return Graph("g", inputs=[Argument("image", [image])], outputs=[Argument("relu_out", [relu_out])],
                 nodes=[conv, bn, relu])


def _box(scene, title):
    return next(box for box in scene.boxes if box.title == title)


def test_rows_labels_and_colours():
    scene = build_scene(conv_bn_relu(), ViewOptions(), measure)
    conv, bn, relu = _box(scene, "Conv"), _box(scene, "BatchNormalization"), _box(scene, "Relu")
    assert [row.text for row in conv.rows] == ["W ⟨32×3×3×3⟩", "B ⟨32⟩"]
    assert conv.rows[0].parts() == ("W", " ⟨32×3×3×3⟩")
    assert len(bn.rows) == 4 and all(row.kind == "weight" for row in bn.rows)
    assert bn.rows[0].text == "scale ⟨32⟩"
    assert relu.rows == []
    assert (conv.fill, relu.fill, bn.fill) == ("#335588", "#702921", "#335544")
    assert conv.text_color == "#FFFFFF"
    by_target = {scene.boxes[edge.target].title: edge for edge in scene.edges}
    assert by_target["BatchNormalization"].label == "?×32×224×224"
    assert by_target["Conv"].label == "?×3×448×448"
    # Edges join producer → consumer; weights are rows, never edges.
    assert len(scene.edges) == 4
    assert {edge.value.name for edge in scene.edges} == {"image", "conv_out", "bn_out", "relu_out"}


def test_pills_for_inputs_and_outputs():
    scene = build_scene(conv_bn_relu(), ViewOptions(), measure)
    kinds = [box.kind for box in scene.boxes]
    assert kinds.count("input") == 1 and kinds.count("output") == 1 and kinds.count("node") == 3
    image = next(box for box in scene.boxes if box.kind == "input")
    assert image.title == "image" and image.rows[0].text == "float32 ⟨?×3×448×448⟩"
    output = next(box for box in scene.boxes if box.kind == "output")
    assert any(edge.target == output.id and scene.boxes[edge.source].title == "Relu" for edge in scene.edges)
    assert image.radius > style.CORNER_RADIUS


def test_boxes_fit_their_text_and_are_placed():
    scene = build_scene(conv_bn_relu(), ViewOptions(show_attributes=True), measure)
    for box in scene.boxes:
        texts = [box.title] + [row.text for row in box.rows]
        assert box.width >= max(measure(text, "")[0] for text in texts)
        assert box.height >= box.title_height + len(box.rows) * box.row_height
        assert 0 <= box.x and box.x + box.width <= scene.width + 1e-6
    assert all(len(edge.points) >= 2 for edge in scene.edges)


def test_each_option_changes_the_scene():
    graph = conv_bn_relu()
    base = build_scene(graph, ViewOptions(), measure)

    def texts(scene):
        return [(box.title, [row.text for row in box.rows]) for box in scene.boxes]

    attributes = build_scene(graph, ViewOptions(show_attributes=True), measure)
    conv_rows = [row.text for row in _box(attributes, "Conv").rows]
    assert "kernel_shape = 3, 3" in conv_rows and "strides = 2, 2" in conv_rows
    assert not any(text.startswith("group") for text in conv_rows)  # hidden attribute
    assert "epsilon = 1e-05" in [row.text for row in _box(attributes, "BatchNormalization").rows]

    no_weights = build_scene(graph, ViewOptions(show_weights=False), measure)
    assert all(not box.rows for box in no_weights.boxes if box.kind == "node")
    assert texts(no_weights) != texts(base)

    names = build_scene(graph, ViewOptions(show_names=True), measure)
    assert [box.title for box in names.boxes if box.kind == "node"] == ["conv1", "bn1", "relu1"]
    assert {edge.label for edge in names.edges} == {"image", "conv_out", "bn_out", "relu_out"}

    horizontal = build_scene(graph, ViewOptions(horizontal=True), measure)
    assert texts(horizontal) == texts(base)
    centres = [(box.x + box.width / 2, box.y + box.height / 2) for box in horizontal.boxes]
    vertical = [(box.x + box.width / 2, box.y + box.height / 2) for box in base.boxes]
    assert centres != vertical
    assert (horizontal.width > horizontal.height) != (base.width > base.height)


def test_middle_ellipsis_and_long_labels():
    assert shorten_middle("short", 10) == "short"
    text = shorten_middle("/model/layers.0/self_attn/q_proj/MatMul", 20)
    assert len(text) == 20 and text.startswith("/model/la") and text.endswith("oj/MatMul") and "…" in text
    long_name = "/encoder/layer.11/attention/output/dense/MatMul"
    value = Value(long_name, TensorType("float32", (1, 2)))
    node = Node(long_name, OpType("MatMul", "Layer"), inputs=[Argument("A", [value])], outputs=[])
    source = Node("src", OpType("Foo"), outputs=[Argument("Y", [value])])
    scene = build_scene(Graph(nodes=[source, node]), ViewOptions(show_names=True), measure)
    assert scene.boxes[1].title == shorten_middle(long_name, style.MAX_TITLE_CHARS)
    assert "…" in scene.boxes[1].title
    assert scene.edges[0].label == ""  # a name longer than a label may be is dropped
    assert scene.boxes[0].fill == style.DEFAULT_COLORS[0]


def test_scalar_weights_constants_and_control_edges():
    x = Value("x", TensorType("float32", (1, 4)))
    y = Value("y", TensorType("float32", (1, 4)))
    add = Node("add", OpType("Add", "Tensor"), inputs=[Argument("A", [x]), _weight("B", "half", (), [0.5])],
               outputs=[Argument("C", [y])])
    guard = Node("guard", OpType("NoOp", "Control"), inputs=[Argument("deps", [Value("^add")])])
    scene = build_scene(Graph(inputs=[Argument("x", [x])], nodes=[add, guard]), ViewOptions(), measure)
    assert _box(scene, "Add").rows[0].text == "B = 0.5"
    guard_box = _box(scene, "NoOp")
    assert (guard_box.fill, guard_box.text_color) == ("#EEEEEE", "#000000")
    control = [edge for edge in scene.edges if edge.target == guard_box.id]
    assert len(control) == 1 and control[0].dashed and scene.boxes[control[0].source].title == "Add"
    # An initializer listed as a graph input (old ONNX) is a row, not a pill.
    w = Value("w", None, _tensor("w", (4,)))
    graph = Graph(inputs=[Argument("x", [x]), Argument("w", [w])],
                  nodes=[Node("n", OpType("Mul"), inputs=[Argument("A", [x]), Argument("B", [w])])])
    scene = build_scene(graph, ViewOptions(), measure)
    assert [box.kind for box in scene.boxes] == ["input", "node"]
    assert scene.boxes[1].rows[0].text == "B ⟨4⟩" and len(scene.edges) == 1


def test_chain_rows_take_their_category_colour():
    x = Value("x", TensorType("float32", (1, 8)))
    node = Node("fc", OpType("FullyConnected", "Layer"), inputs=[Argument("input", [x])],
                chain=[Node("", OpType("Relu6", "Activation"))])
    box = build_scene(Graph(nodes=[node]), ViewOptions(show_weights=False), measure).boxes[0]
    assert [(row.kind, row.text, row.fill) for row in box.rows] == [("chain", "Relu6", "#702921")]


def test_format_value():
    assert format_value([3, 3]) == "3, 3"
    assert format_value(True) == "true"
    assert format_value(np.array([1.5, 2.0])) == "1.5, 2"
    assert format_value(np.zeros((100, 100))) == "⟨100×100⟩"
    assert format_value(list(range(100))).endswith("…")
    assert len(format_value("x" * 100)) == style.MAX_ATTRIBUTE_CHARS
    assert format_value(b"\xff\xfe") == "2 bytes"


def test_smooth_path_and_arrow():
    points = [(0.0, 0.0), (0.0, 50.0), (40.0, 100.0), (40.0, 150.0)]
    smooth = smooth_path(points)
    assert smooth[0] == points[0] and smooth[-1] == points[-1]
    assert len(smooth) > len(points)
    assert all(-1e-9 <= x <= 40 + 1e-9 and -1e-9 <= y <= 150 + 1e-9 for x, y in smooth)  # no overshoot
    assert smooth_path([(0, 0), (0, 10), (0, 10), (0, 20)]) == [(0.0, 0.0), (0.0, 20.0)]
    line, head = arrow(smooth)
    assert head[0] == points[-1]
    base = line[-1]
    assert math.hypot(base[0] - 40, base[1] - 150) == pytest.approx(style.ARROW_LENGTH)
    assert base[1] < 150 and abs(base[0] - 40) < 1
    assert math.dist(head[1], head[2]) == pytest.approx(style.ARROW_WIDTH)
    assert arrow([(0, 0)]) == ([(0, 0)], [])


def test_control_characters_are_escaped():
    x = Value("x\n1", TensorType("float32", (1,)))
    node = Node("n", OpType("Op\x07"), inputs=[Argument("A", [x])],
                attributes=[Attribute("config", b"\n\x07\n\x03CPU\x10\x01"), Attribute("s", "a\ud800b")])
    source = Node("s", OpType("Src"), outputs=[Argument("Y", [x])])
    scene = build_scene(Graph(nodes=[source, node]), ViewOptions(show_attributes=True, show_names=True), measure)
    texts = [box.title for box in scene.boxes] + [row.text for box in scene.boxes for row in box.rows]
    texts += [edge.label for edge in scene.edges]
    assert "config = \\n\\x07\\n\\x03CPU\\x10\\x01" in texts and "s = a\ufffdb" in texts
    assert scene.edges[0].label == "x\\n1"
    assert all(ch >= " " and not 0xD800 <= ord(ch) < 0xE000 for text in texts for ch in text)


def test_chain_bands_come_first_under_the_header():
    x = Value("x", TensorType("float32", (1, 8)))
    node = Node("fc", OpType("FullyConnected", "Layer"), inputs=[Argument("input", [x]), _weight("W", "w", (4, 8))],
                chain=[Node("", OpType("Relu", "Activation"))])
    box = build_scene(Graph(nodes=[node]), ViewOptions(), measure).boxes[0]
    assert [row.kind for row in box.rows] == ["chain", "weight"] and box.chain_count == 1
    assert box.row_top(0) == box.y + box.title_height  # the band touches the header
    assert box.row_top(1) == box.row_top(0) + box.row_height + style.ROWS_PAD_Y
    assert box.body_fill == style.ROW_FILL
    only_chain = build_scene(Graph(nodes=[node]), ViewOptions(show_weights=False), measure).boxes[0]
    assert only_chain.body_fill == "#702921"
    assert only_chain.height == math.ceil(only_chain.title_height + only_chain.row_height)


def test_unreadable_scalar_is_drawn_by_its_shape():
    def broken():
        raise OSError("companion file is gone")

    tensor = Tensor("s", "float32", (1,), loader=broken)
    node = Node("n", OpType("Mul"), inputs=[Argument("B", [Value("s", None, tensor)])])
    box = build_scene(Graph(nodes=[node]), ViewOptions(), measure).boxes[0]
    assert box.rows[0].text == "B ⟨1⟩"


def test_labels_over_boxes_or_other_labels_are_dropped():
    from litenetron.scene import Box, Edge, _drop_hidden_labels

    box = Box(0, "node", "Conv", "#335588", "#FFFFFF", [], x=0, y=0, width=50, height=20)
    value = Value("v")
    edges = [Edge(0, 0, 0, value, "first", label_x=100, label_y=50),
             Edge(1, 0, 0, value, "overlaps first", label_x=110, label_y=52),
             Edge(2, 0, 0, value, "on the box", label_x=20, label_y=10),
             Edge(3, 0, 0, value, "clear", label_x=100, label_y=90)]
    _drop_hidden_labels([box], edges, [(40, 14)] * 4)
    assert [edge.label for edge in edges] == ["first", "", "", "clear"]


def test_every_writer_of_a_name_links_to_its_readers(tmp_path):
    from litenetron.formats import open_model

    # A Caffe train_val net: the TRAIN and the TEST data layer both write `data` and `label`.
    net = tmp_path / "train_val.prototxt"
    net.write_text('layer { name: "train" type: "Data" top: "data" top: "label" include { phase: TRAIN } }\n'
                   'layer { name: "test" type: "Data" top: "data" top: "label" include { phase: TEST } }\n'
                   'layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" '
                   'inner_product_param { num_output: 2 } }\n'
                   'layer { name: "objective" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }\n')
    scene = build_scene(open_model(net).graphs[0], ViewOptions(show_names=True), measure)
    links = sorted((scene.boxes[e.source].title, scene.boxes[e.target].title, e.value.name) for e in scene.edges)
    assert links == [("ip", "objective", "ip"), ("objective", "loss", "loss"),
                     ("test", "ip", "data"), ("test", "objective", "label"),
                     ("train", "ip", "data"), ("train", "objective", "label")]

    # Each writer's edges form their own bundle with its own label.
    shared = Value("x", TensorType("float32", (1, 8)))
    writers = [Node(name, OpType("Data", "Data"), outputs=[Argument("Y", [shared])]) for name in ("a", "b")]
    readers = [Node(name, OpType("Relu", "Activation"), inputs=[Argument("X", [shared])],
                    outputs=[Argument("Y", [Value(f"{name}_out")])]) for name in ("c", "d")]
    scene = build_scene(Graph("g", nodes=writers + readers), ViewOptions(show_names=True), measure)
    edges = [(scene.boxes[e.source].title, scene.boxes[e.target].title) for e in scene.edges]
    assert sorted(edges) == [("a", "c"), ("a", "d"), ("b", "c"), ("b", "d")]
    labelled = [scene.boxes[e.source].title for e in scene.edges if e.label]
    assert sorted(labelled) == ["a", "b"]


def test_band_rows_rule_lives_on_the_box():
    from litenetron import style
    from litenetron.scene import Box, Row

    chain = [Row("chain", "Relu", "Relu", fill="#702828"), Row("chain", "Clip", "Clip", fill="#703030")]
    only_bands = Box(0, "node", "Conv", "#335588", "#ffffff", rows=list(chain))
    # The last band has the body's colour: it is not drawn square over the rounded corners.
    assert only_bands.body_fill == "#703030"
    assert [index for index, _ in only_bands.band_rows()] == [0]
    with_rows = Box(0, "node", "Conv", "#335588", "#ffffff", rows=chain + [Row("weight", "W", "W ⟨8×3⟩")])
    assert with_rows.body_fill == style.ROW_FILL
    assert [index for index, _ in with_rows.band_rows()] == [0, 1]
