"""Keras nested models drawn inline, in a group named after the model: Keras 2 `.h5` files written here with
h5py, and Keras 3 `.keras` / `.h5` files Keras itself wrote (tests/fixtures/keras/make_fixtures.py)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from test_app import click, pump, settle

from conftest import cli_info
from litenetron.formats import open_model
from litenetron.groups import build_tree
from litenetron.model import ModelError

h5py = pytest.importorskip("h5py")

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "keras"
BASE = "mobilenetv2_1.00_224"  # the transfer-learning case: a Keras application used as the first layer


# --- Keras 2 files written with h5py ----------------------------------------------------------------------

def _layer(class_name, name, inbound=None, **config):
    entry = {"class_name": class_name, "config": dict(name=name, dtype="float32", **config)}
    if inbound is not None:  # functional models name each layer and the tensors of each of its calls
        entry.update(name=name, inbound_nodes=[[[source, 0, 0, {}] for source in call] for call in inbound])
    return entry


def _functional(name, layers, inputs, outputs, inbound=None):
    entry = {"class_name": "Functional", "config": {"name": name, "layers": layers,
                                                    "input_layers": [[n, 0, 0] for n in inputs],
                                                    "output_layers": [[n, 0, 0] for n in outputs]}}
    if inbound is not None:
        entry.update(name=name, inbound_nodes=[[[source, 0, 0, {}] for source in call] for call in inbound])
    return entry


def _keras2_h5(path, config, weights):
    """model_config + model_weights/<top layer>/<weight name>, as tf.keras 2 saves: a nested model's
    weights sit under the nested model, named by the inner layer that owns them (`Conv1/kernel:0`)."""
    rng = np.random.default_rng(7)
    written = {}
    with h5py.File(path, "w") as h5:
        h5.attrs["model_config"] = json.dumps(config)
        h5.attrs["keras_version"] = "2.15.0"
        group = h5.create_group("model_weights")
        group.attrs["layer_names"] = np.array([name.encode() for name in weights])
        for layer, entries in weights.items():
            layer_group = group.create_group(layer)
            layer_group.attrs["weight_names"] = np.array([f"{n}:0".encode() for n in entries]) if entries \
                else np.zeros((0,))
            for name, shape in entries.items():
                data = rng.standard_normal(shape).astype("f4")
                layer_group.create_dataset(f"{name}:0", data=data)
                written[f"{layer}/{name}"] = data
    return path, written


def _transfer_h5(tmp_path):
    """Sequential([InputLayer, a MobileNet-like Functional, GlobalAveragePooling2D, Dense])."""
    base = _functional(BASE, [
        _layer("InputLayer", "input_1", [], batch_input_shape=[None, 32, 32, 3]),
        _layer("Conv2D", "Conv1", [["input_1"]], filters=8, kernel_size=[3, 3], strides=[2, 2], padding="same",
               use_bias=False, activation="linear"),
        _layer("BatchNormalization", "bn_Conv1", [["Conv1"]], axis=-1),
        _layer("ReLU", "Conv1_relu", [["bn_Conv1"]], max_value=6.0),
        _layer("DepthwiseConv2D", "expanded_conv_depthwise", [["Conv1_relu"]], kernel_size=[3, 3],
               strides=[1, 1], padding="same", use_bias=False, depth_multiplier=1, activation="linear"),
        _layer("Add", "block_add", [["Conv1_relu", "expanded_conv_depthwise"]]),
    ], ["input_1"], ["block_add"])
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        _layer("InputLayer", "input_2", batch_input_shape=[None, 32, 32, 3]),
        base,
        _layer("GlobalAveragePooling2D", "global_average_pooling2d"),
        _layer("Dense", "dense", units=3, activation="softmax", use_bias=True),
    ]}}
    weights = {BASE: {"Conv1/kernel": (3, 3, 3, 8), "bn_Conv1/gamma": (8,), "bn_Conv1/beta": (8,),
                      "bn_Conv1/moving_mean": (8,), "bn_Conv1/moving_variance": (8,),
                      "expanded_conv_depthwise/depthwise_kernel": (3, 3, 8, 1)},
               "global_average_pooling2d": {}, "dense": {"dense/kernel": (8, 3), "dense/bias": (3,)}}
    return _keras2_h5(tmp_path / "transfer.h5", config, weights)


def _leaf_groups(tree):
    """Group path → names of the nodes it holds directly; every node must be held exactly once."""
    held = [index for group in tree.root.walk() for index in group.members if isinstance(index, int)]
    assert sorted(held) == list(range(len(tree.graph.nodes)))
    return {group.path: [tree.graph.nodes[i].name for i in group.members if isinstance(i, int)]
            for group in tree.root.walk()}


def _weights(node):
    return {argument.name: argument.values[0].initializer for argument in node.inputs
            if argument.values and argument.values[0].initializer is not None}


def _node(graph, name):
    return next(node for node in graph.nodes if node.name == name)


def test_keras2_transfer_learning_base_is_a_group_of_its_layers(tmp_path):
    path, written = _transfer_h5(tmp_path)
    graph = open_model(path).graphs[0]
    inner = ["Conv1", "bn_Conv1", "Conv1_relu", "expanded_conv_depthwise", "block_add"]
    assert [node.name for node in graph.nodes] == ["input_2", *inner, "global_average_pooling2d", "dense"]
    assert all(_node(graph, name).group_path == (BASE,) for name in inner)
    tree = build_tree(graph)
    assert _leaf_groups(tree) == {"": ["input_2", "global_average_pooling2d", "dense"], BASE: inner}
    assert tree.by_key[(BASE,)].name == BASE
    # the base's input is the tensor the Sequential feeds it; its output is what the next layer reads
    assert [v.name for v in _node(graph, "Conv1").inputs[0].values] == ["input_2:0:0"]
    assert [v.name for v in _node(graph, "global_average_pooling2d").inputs[0].values] == [f"{BASE}/block_add"]
    shapes = {node.name: node.outputs[0].values[0].type.shape for node in graph.nodes}
    assert shapes["Conv1"] == shapes["expanded_conv_depthwise"] == shapes["block_add"] == (None, 16, 16, 8)
    assert shapes["global_average_pooling2d"] == (None, 8) and shapes["dense"] == (None, 3)
    # weights on the inner layers that made them, with the values the file holds
    assert set(_weights(_node(graph, "bn_Conv1"))) == {"gamma", "beta", "moving_mean", "moving_variance"}
    assert np.array_equal(_weights(_node(graph, "Conv1"))["kernel"].data(), written[f"{BASE}/Conv1/kernel"])
    depthwise = _weights(_node(graph, "expanded_conv_depthwise"))["depthwise_kernel"]
    assert np.array_equal(depthwise.data(), written[f"{BASE}/expanded_conv_depthwise/depthwise_kernel"])
    assert np.array_equal(_weights(_node(graph, "dense"))["kernel"].data(), written["dense/dense/kernel"])
    # INFO-JSON: Keras `nodes` are the entries of the model config's `layers` list, the nested model one
    summary = cli_info(path)["graphs"][0]
    assert summary["nodes"] == 4
    assert summary["operators"] == {"InputLayer": 1, "Functional": 1, "GlobalAveragePooling2D": 1, "Dense": 1}
    assert summary["parameters"] == sum(data.size for data in written.values())
    assert [output["name"] for output in summary["outputs"]] == ["dense"]


def test_keras2_model_nested_twice_gives_two_levels(tmp_path):
    block = {"class_name": "Sequential", "name": "block", "inbound_nodes": [[["proj", 0, 0, {}]]],
             "config": {"name": "block", "layers": [_layer("Dense", "b1", units=8, activation="relu",
                                                           batch_input_shape=[None, 8]),
                                                    _layer("Dense", "b2", units=8)]}}
    encoder = _functional("encoder", [
        _layer("InputLayer", "enc_in", [], batch_input_shape=[None, 5]),
        _layer("Dense", "proj", [["enc_in"]], units=8),
        block,
        _layer("Add", "skip", [["block", "enc_in"]]),
    ], ["enc_in"], ["skip"], inbound=[["x"]])
    config = {"class_name": "Functional", "config": {"name": "outer", "layers": [
        _layer("InputLayer", "x", [], batch_input_shape=[None, 5]), encoder,
        _layer("Dense", "out", [["encoder"]], units=2)],
        "input_layers": [["x", 0, 0]], "output_layers": [["out", 0, 0]]}}
    path, written = _keras2_h5(tmp_path / "twice.h5", config, {
        "x": {}, "encoder": {"proj/kernel": (5, 8), "proj/bias": (8,), "b1/kernel": (8, 8), "b2/kernel": (8, 8)},
        "out": {"out/kernel": (8, 2)}})
    graph = open_model(path).graphs[0]
    assert graph.node_count() == 3
    tree = build_tree(graph)
    assert _leaf_groups(tree) == {"": ["x", "out"], "encoder": ["proj", "skip"], "encoder/block": ["b1", "b2"]}
    assert tree.by_key[("encoder", "block")].depth == 2 and tree.by_key[("encoder", "block")].name == "block"
    assert [v.name for v in _node(graph, "b1").inputs[0].values] == ["encoder/proj"]
    assert [v.name for v in _node(graph, "skip").inputs[0].values] == ["encoder/block/b2", "x:0:0"]
    assert _node(graph, "b2").outputs[0].values[0].type.shape == (None, 8)
    assert np.array_equal(_weights(_node(graph, "b2"))["kernel"].data(), written["encoder/b2/kernel"])
    assert set(_weights(_node(graph, "proj"))) == {"kernel", "bias"}


def test_weights_that_name_no_inner_layer_keep_the_model_one_node(tmp_path):
    """Nothing is lost when a file's weights cannot be told apart by layer: the nested model stays one box."""
    base = _functional("base", [_layer("InputLayer", "i", [], batch_input_shape=[None, 4]),
                                _layer("Dense", "d", [["i"]], units=2)], ["i"], ["d"])
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [base]}}
    path, _ = _keras2_h5(tmp_path / "odd.h5", config, {"base": {"renamed/kernel": (4, 2)}})
    graph = open_model(path).graphs[0]
    assert [node.name for node in graph.nodes] == ["base"]
    assert set(_weights(graph.nodes[0])) == {"renamed/kernel"} and graph.nodes[0].graphs


# --- files Keras 3 wrote ------------------------------------------------------------------------------------

def _keras3_vars(path: Path):
    """`vars` group name → its arrays, read with h5py from the archive's model.weights.h5."""
    with zipfile.ZipFile(path) as archive:
        h5 = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
    found = {}

    def visit(key, item):  # returns None: h5py stops at the first visit that returns something
        if isinstance(item, h5py.Group) and key.endswith("vars") and "name" in item.attrs:
            found[item.attrs["name"]] = [item[str(index)][()] for index in range(len(item))]

    h5.visititems(visit)
    return found


@pytest.mark.parametrize("name", ["twice.keras", "twice.h5"])
def test_keras3_model_nested_twice(name):
    path = FIXTURES / name
    graph = open_model(path).graphs[0]
    assert graph.node_count() == 3  # x, encoder, out
    tree = build_tree(graph)
    assert _leaf_groups(tree) == {"": ["x", "out"], "encoder": ["proj", "short", "skip"],
                                  "encoder/block": ["b1", "b2"]}
    # every edge inside the groups has its shape
    for node in graph.nodes:
        for argument in node.inputs + node.outputs:
            for value in argument.values:
                assert value.type.shape is not None, (node.name, value.name)
    assert [v.name for v in _node(graph, "proj").inputs[0].values] == ["x:0:0"]
    assert [v.name for v in _node(graph, "out").inputs[0].values] == ["encoder/skip"]
    if path.suffix == ".keras":
        reference = _keras3_vars(path)
    else:
        with h5py.File(path, "r") as h5:
            weights = h5["model_weights/encoder"]
            reference = {layer: [weights[f"block/{layer}/kernel"][()], weights[f"block/{layer}/bias"][()]]
                         for layer in ("b1", "b2")}
    for layer in ("b1", "b2"):
        values = _weights(_node(graph, layer))
        assert np.array_equal(values["kernel"].data(), reference[layer][0])
        assert np.array_equal(values["bias"].data(), reference[layer][1])


def test_keras3_shared_nested_model_draws_its_layers_once_per_call():
    graph = open_model(FIXTURES / "siamese.keras").graphs[0]
    assert [node.name for node in graph.nodes] == ["a", "b", "e1", "diff"]
    tower = _node(graph, "e1")
    assert tower.group_path == ("tower",)
    assert [[v.name for v in argument.values] for argument in tower.inputs[:2]] == [["a:0:0"], ["b:0:0"]]
    assert [v.name for v in _node(graph, "diff").inputs[0].values] == ["tower/e1", "tower/e1:1:0"]
    assert [argument.values[0].type.shape for argument in tower.outputs] == [(None, 3), (None, 3)]


# --- the window ---------------------------------------------------------------------------------------------

@pytest.mark.gui
def test_window_collapses_and_expands_a_nested_model_by_double_click(display, tmp_path, monkeypatch):
    import tkinter

    from litenetron.app.window import MainWindow

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    path, _ = _transfer_h5(tmp_path)
    root = tkinter.Tk()
    root.geometry("1200x800+0+0")
    try:
        window = MainWindow(root)
        root.update()
        window.open_path(str(path))
        settle(window)
        assert window.grouping is not None and window.grouping.expanded is None  # small: opens flat
        window.command_expand_all()  # View ▸ Expand All: the base drawn as a frame around its layers
        pump(root, lambda: window.sliced is None)
        frame = next(box for box in window.scene.boxes if box.kind == "frame")
        assert frame.group.name == BASE
        window.canvas.center_on(frame.id)
        root.update()
        x0, y0, x1, _ = window.canvas.screen_box(frame.id)
        click(window, (x0 + x1) / 2, y0 + frame.title_height * window.canvas.zoom / 2, double=True)
        collapsed = next(box for box in window.scene.boxes if box.kind == "group")
        assert collapsed.group.name == BASE
        assert not any(box.node is not None and box.node.name == "Conv1" for box in window.scene.boxes)
        window.canvas.center_on(collapsed.id)
        root.update()
        x0, y0, x1, y1 = window.canvas.screen_box(collapsed.id)
        click(window, (x0 + x1) / 2, (y0 + y1) / 2, double=True)
        assert any(box.kind == "frame" and box.group.name == BASE for box in window.scene.boxes)
        assert any(box.node is not None and box.node.name == "Conv1" for box in window.scene.boxes)
    finally:
        root.destroy()


def _slots(item):
    """Every (container, key) of a JSON document."""
    if isinstance(item, dict):
        for key in item:
            yield item, key
            yield from _slots(item[key])
    elif isinstance(item, list):
        for index in range(len(item)):
            yield item, index
            yield from _slots(item[index])


def test_config_values_of_the_wrong_kind_raise_model_error_only(tmp_path):
    """Nested configs whose fields hold the wrong JSON kinds (a hostile file) open or fail with ModelError."""
    with zipfile.ZipFile(FIXTURES / "twice.keras") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    original = json.loads(members["config.json"])
    rng = np.random.default_rng(11)
    replacements = [None, 0, -1, 7, "x", [], {}, [["x", 0, 0]], "encoder", {"class_name": "Sequential"}, [1, 2]]
    path = tmp_path / "odd.keras"
    for _ in range(300):
        config = json.loads(json.dumps(original))
        slots = list(_slots(config))
        for _ in range(3):
            container, key = slots[int(rng.integers(len(slots)))]
            container[key] = replacements[int(rng.integers(len(replacements)))]
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, json.dumps(config) if name == "config.json" else data)
        try:
            build_tree(open_model(path).graphs[0])
        except ModelError:
            pass
