"""Groups from names and repeated structure (litenetron.groups) and the grouped scene drawn from them."""

from __future__ import annotations

from collections import Counter

import pytest
from synthetic import transformer_onnx

from conftest import require_corpus
from litenetron.formats import open_model
from litenetron.grouped_scene import GroupedLayout
from litenetron.groups import Group, build_tree, default_expansion
from litenetron.scene import ViewOptions


def measure(text: str, text_style: str):
    return 6.0 * len(text), 12.0


def assert_partition(tree) -> None:
    """Every node sits in exactly one group, and `owner` agrees with the members lists."""
    indices = list(tree.root.node_indices())
    assert sorted(indices) == list(range(len(tree.graph.nodes)))
    for group in tree.root.walk():
        for member in group.members:
            if isinstance(member, int):
                assert tree.owner[member] is group
            else:
                assert member.parent is group
        assert group.size == sum(1 for _ in group.node_indices())


@pytest.fixture(scope="module")
def deep_path(tmp_path_factory):
    return transformer_onnx(tmp_path_factory.mktemp("gpt") / "deep.onnx", layers=48, padding=12)


@pytest.fixture(scope="module")
def deep(deep_path):
    return open_model(deep_path).graphs[0]


def groups_named(tree, name: str):
    return [group for group in tree.groups() if group.name == name]


def test_torch_exporter_paths_give_layers_with_runs(deep):
    tree = build_tree(deep)
    assert tree.source == "names"
    assert_partition(tree)
    layers = [group for group in tree.groups() if group.name.startswith("layers.")]
    assert [group.name for group in layers] == [f"layers.{i}" for i in range(48)]
    # identical blocks: one structure, counted as a run of 48
    assert len({group.signature for group in layers}) == 1
    assert all(group.repeats == 48 for group in layers)
    first = layers[0]
    assert {child.name for child in first.groups()} >= {"self_attn", "mlp"}
    assert first.parameters == 8 * 8 * 8  # ln_1, q, k, v, o, ln_2, fc1, fc2 weights of 8×8
    assert sum(1 for _ in first.node_indices()) == (len(deep.nodes) - 3) // 48


def test_big_graph_opens_collapsed_to_at_most_300_boxes(deep):
    tree = build_tree(deep)
    assert len(deep.nodes) > 1500
    keys = default_expansion(tree)
    assert keys is not None
    count = tree.visible_count(keys)
    assert count <= 300
    # one level deeper would show more than 300 boxes, so this is the deepest such level
    depth = max(tree.by_key[key].depth for key in keys) if keys else 0
    assert tree.visible_count(tree.level(depth + 1)) > 300 or depth + 1 > tree.depth


def test_small_graph_opens_flat(tmp_path):
    graph = open_model(transformer_onnx(tmp_path / "small.onnx", layers=4)).graphs[0]
    tree = build_tree(graph)
    assert tree.root.groups()
    assert default_expansion(tree) is None


def test_no_names_repeats_are_grouped(tmp_path):
    graph = open_model(transformer_onnx(tmp_path / "anon.onnx", layers=6, named=False)).graphs[0]
    tree = build_tree(graph)
    assert tree.source == "repeats"
    assert_partition(tree)
    blocks = [group for group in tree.groups() if group.name.startswith("block.")]
    assert len(blocks) >= 5
    assert len({group.size for group in blocks}) == 1
    types = Counter(graph.nodes[i].type.name for i in blocks[1].node_indices())
    assert types["LayerNormalization"] == 2 and types["Softmax"] == 1 and types["Add"] == 2


def _open(path: str):
    return open_model(require_corpus() / path).graphs[0]


def test_corpus_torch_dynamo_export_without_names_gets_its_blocks():
    graph = _open("onnx/generated/transformers/gpt2_tiny.onnx")  # node names like node_Shape_0
    tree = build_tree(graph)
    assert tree.source == "repeats"
    assert_partition(tree)
    blocks = [group for group in tree.groups() if group.name.startswith("block.")]
    assert len(blocks) == 2  # GPT-2 tiny has two layers
    for block in blocks:
        types = Counter(graph.nodes[i].type.name for i in block.node_indices())
        assert types["Softmax"] == 1 and types["Tanh"] == 1  # attention and the GELU of one layer each


def test_corpus_tensorflow_name_scopes():
    graph = _open("tensorflow/hsbarker__UniqueMNISTsolutions/graph.pbtxt")
    tree = build_tree(graph)
    assert tree.source == "names"
    assert_partition(tree)
    top = {group.name for group in tree.root.groups()}
    assert {"conv2d", "conv2d_1", "dense", "global_step"} <= top
    # `global_step` (the variable) and `global_step/...` (its ops) are one group
    step = groups_named(tree, "global_step")[0]
    assert any(graph.nodes[i].name == "global_step" for i in step.node_indices())
    gradients = groups_named(tree, "gradients")
    assert gradients and gradients[0].size > 50
    assert all(graph.nodes[i].name.startswith("gradients/") for i in gradients[0].node_indices())


def test_corpus_tf2onnx_frozen_graph_scopes():
    graph = _open("tensorflow/onnx__tensorflow-onnx/lstm__frozen.pb")
    tree = build_tree(graph)
    assert_partition(tree)
    rnn = groups_named(tree, "rnn")
    assert rnn and rnn[0].size > 300  # the unrolled LSTM cell
    assert all("rnn/" in graph.nodes[i].name for i in rnn[0].node_indices())


def test_corpus_torchscript_module_paths():
    graph = _open("pytorch/BSusheelKumar__HandWritten-Digit-Prediciton/model_scripted.pt")
    tree = build_tree(graph)
    assert_partition(tree)
    features = groups_named(tree, "features")[0]
    classifier = groups_named(tree, "classifier")[0]
    assert all(graph.nodes[i].name.startswith("features.") for i in features.node_indices())
    assert all(graph.nodes[i].name.startswith("classifier.") for i in classifier.node_indices())
    assert features.size >= 10


def test_corpus_onnx_caffe2_weights_pull_their_operators_into_scopes():
    graph = _open("onnx/onnx__onnx/light_inception_v2.onnx")  # only weight names carry scopes
    tree = build_tree(graph)
    assert_partition(tree)
    inception = groups_named(tree, "inception_3a")[0]
    types = Counter(graph.nodes[i].type.name for i in inception.node_indices())
    assert types["Conv"] >= 6 and types["BatchNormalization"] >= 6


def test_corpus_tflite_tensor_names_or_repeats():
    graph = _open("tflite/generated/mobilenet_v2_035_96_int8.tflite")
    tree = build_tree(graph)
    assert_partition(tree)
    assert tree.root.groups()


# -- grouped scene ----------------------------------------------------------------------------------------


def _scene_checks(scene, tree, keys):
    """Boxes for exactly the visible items; frames hold their members; edges join existing boxes."""
    nodes = Counter(id(box.node) for box in scene.boxes if box.node is not None)
    assert all(count == 1 for count in nodes.values())
    assert len(scene.boxes) == tree.visible_count(keys) + len(keys) + \
        sum(1 for box in scene.boxes if box.kind in ("input", "output"))
    frames = {box.group.key: box for box in scene.boxes if box.kind == "frame"}
    assert set(frames) == set(keys)
    for box in scene.boxes:
        owner = tree.owner[tree.graph.nodes.index(box.node)] if box.node is not None else \
            box.group.parent if box.group is not None else None
        if owner is not None and owner.key:
            frame = frames[owner.key]
            assert frame.x <= box.x and box.x + box.width <= frame.x + frame.width + 1e-6
            assert frame.y + frame.title_height <= box.y and box.y + box.height <= frame.y + frame.height + 1e-6
    for edge in scene.edges:
        assert scene.boxes[edge.source].kind != "frame" and scene.boxes[edge.target].kind != "frame"
        assert len(edge.points) >= 2


def test_grouped_scene_collapsed_expanded_and_cached(deep):
    tree = build_tree(deep)
    layout = GroupedLayout(tree, ViewOptions(), measure)
    keys = set()  # every layer collapsed
    scene = layout.scene(keys)
    _scene_checks(scene, tree, keys)
    collapsed = [box for box in scene.boxes if box.kind == "group"]
    assert any("×48" in box.title for box in collapsed)
    assert all(box.rows[0].text == f"{box.group.size:,} ops" for box in collapsed)
    cached = len(layout.cache)
    block = next(box.group for box in collapsed if box.group.name == "layers.7")
    opened = keys | {block.key}
    scene = layout.scene(opened)
    _scene_checks(scene, tree, opened)
    # only the opened block and its ancestors were laid out again
    assert len(layout.cache) - cached == 1 + len(block.ancestors())
    assert any(box.kind == "frame" and box.group is block for box in scene.boxes)
    everything = tree.all_keys()
    scene = layout.scene(everything)
    _scene_checks(scene, tree, everything)
    assert sum(1 for box in scene.boxes if box.kind == "node") == len(deep.nodes)


def test_grouped_scene_edges_enter_collapsed_groups_with_shapes(deep):
    tree = build_tree(deep)
    scene = GroupedLayout(tree, ViewOptions(), measure).scene(set())
    boxes = scene.boxes
    into_groups = [edge for edge in scene.edges if boxes[edge.target].kind == "group"]
    assert into_groups
    assert any(edge.label == "1×8×8" for edge in into_groups)
    # the residual stream runs from block to block
    pairs = {(boxes[e.source].group.name, boxes[e.target].group.name) for e in scene.edges
             if boxes[e.source].group is not None and boxes[e.target].group is not None}
    assert ("layers.3", "layers.4") in pairs


def test_group_members_are_groups_or_indices(deep):
    tree = build_tree(deep)
    assert all(isinstance(member, (int, Group)) for group in tree.root.walk() for member in group.members)


# -- export and the command line --------------------------------------------------------------------------


def test_cli_export_expand_levels(deep_path, tmp_path, capsys):
    from litenetron.__main__ import main

    collapsed, flat, level = tmp_path / "collapsed.svg", tmp_path / "flat.svg", tmp_path / "level1.svg"
    assert main([str(deep_path), "--export", str(collapsed), "--expand", "0"]) == 0
    assert main([str(deep_path), "--export", str(flat), "--expand", "all"]) == 0
    assert main([str(deep_path), "--export", str(level), "--expand", "1"]) == 0
    text = collapsed.read_text()
    assert text.count('class="box group"') == 48 and 'class="box frame"' not in text
    text = flat.read_text()
    assert 'class="box group"' not in text and text.count('class="box node"') == 48 * 38 + 3
    text = level.read_text()
    assert text.count('class="box frame"') == 48 and text.count('class="box group"') == 48 * 2
    assert main([str(deep_path), "--export", str(tmp_path / "x.svg"), "--expand", "deep"]) == 1
    assert "--expand" in capsys.readouterr().err


def test_cli_export_default_follows_the_window_rule(deep_path, tmp_path):
    from litenetron.__main__ import main
    from litenetron.groups import MAX_BOXES

    path = tmp_path / "default.svg"
    assert main([str(deep_path), "--export", str(path)]) == 0
    text = path.read_text()
    boxes = text.count('class="box node"') + text.count('class="box group"')
    assert 0 < boxes <= MAX_BOXES + 2  # plus the input and output pills


def test_stated_group_paths_win_over_names():
    """A reader that knows the groups (Keras nested models) states them: names are not read for scopes, a
    layer after the group does not join it, and a group holding nearly everything is kept."""
    from litenetron.model import Argument, Graph, Node, OpType, Value

    graph = Graph()
    previous = None
    for index in range(12):
        inside = index < 11
        node = Node(f"tf.math.op_{index}" if inside else "head/dense", OpType("Dense"),
                    group_path=("base_1.00_224", "block") if inside and index >= 6 else
                    ("base_1.00_224",) if inside else ())
        if previous is not None:
            node.inputs.append(Argument("inputs", [previous]))
        previous = Value(f"t{index}")
        node.outputs.append(Argument("output", [previous]))
        graph.nodes.append(node)
    tree = build_tree(graph)
    assert_partition(tree)
    assert tree.source == "names"
    assert [group.path for group in tree.groups()] == ["base_1.00_224", "base_1.00_224/block"]
    assert [member for member in tree.root.members if isinstance(member, int)] == [11]  # head/dense at the top
    assert tree.by_key[("base_1.00_224",)].size == 11 and tree.by_key[("base_1.00_224", "block")].size == 5


def test_torch_dynamo_name_scopes_in_node_metadata_give_module_groups(tmp_path):
    """torch's dynamo exporter names nodes `node_Gemm_3` and states the module scopes in each node's metadata."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    nodes, previous = [], "x"
    for layer in range(3):
        for step, op in enumerate(("Relu", "Sigmoid", "Neg")):
            node = helper.make_node(op, [previous], [f"t{layer}_{step}"], name=f"node_{op}_{layer}")
            module = f"h.{layer}.mlp.c_fc" if step < 2 else f"h.{layer}.mlp"
            scopes = ["", f"h.{layer}", f"h.{layer}.mlp", *([module] if step < 2 else []), op.lower()]
            if (layer, step) != (1, 1):  # an optimizer's node states no scopes: it joins its neighbours'
                node.metadata_props.add(key="pkg.torch.onnx.name_scopes", value=repr(scopes))
            nodes.append(node)
            previous = f"t{layer}_{step}"
    nodes.append(helper.make_node("Identity", [previous], ["y"], name="node_Identity_9"))  # no scopes: the top
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    path = tmp_path / "dynamo.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))

    graph = open_model(path).graphs[0]
    assert graph.nodes[0].group_path == ("h", "0", "mlp", "c_fc")
    assert graph.nodes[2].group_path == ("h", "0", "mlp")
    assert graph.nodes[-1].group_path == () and graph.nodes[4].group_path == ()
    tree = build_tree(graph)
    assert_partition(tree)
    assert tree.source == "names"
    layers = {group.name: group for group in tree.groups()}
    assert {"h.0/mlp", "h.1/mlp", "h.2/mlp"} <= set(layers)   # h.N holds only its mlp: one group, both names
    assert layers["h.0/mlp"].repeats == 2 + (layers["h.1/mlp"].signature == layers["h.0/mlp"].signature)
    assert sorted(graph.nodes[i].name for i in layers["h.1/mlp"].node_indices()) == \
        ["node_Neg_1", "node_Relu_1", "node_Sigmoid_1"]
    assert tree.owner[len(graph.nodes) - 1] is tree.root
