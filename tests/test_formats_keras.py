"""Keras reader: corpus counts, and Keras-like files written here with h5py (Keras itself is not needed)."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from conftest import assert_manifest_counts, cli_info, manifest_rows, require_corpus
from litenetron.codecs.hdf5 import Dataset
from litenetron.formats import keras as keras_format
from litenetron.formats import open_model
from litenetron.formats.keras_shapes import output_shapes
from litenetron.info import model_summary
from litenetron.model import ModelError

h5py = pytest.importorskip("h5py")


# --- corpus ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("row", manifest_rows("keras"), ids=lambda row: row["path"])
def test_corpus_counts(row):
    corpus = require_corpus()
    model = open_model(corpus / row["path"])
    graph = model_summary(model)["graphs"][0]
    assert_manifest_counts(graph, row)


def test_corpus_cli_json_and_weight_values():
    corpus = require_corpus()
    path = corpus / "keras" / "generated" / "small_cnn.keras"
    summary = cli_info(path)
    assert summary["graphs"][0]["inputs"] == [{"name": "image", "dtype": "float32", "shape": ["?", 28, 28, 1]}]
    model = open_model(path)
    conv = next(node for node in model.graphs[0].nodes if node.name == "conv2d")
    kernel = dict((argument.name, argument.values[0]) for argument in conv.inputs)["kernel"].initializer
    with zipfile.ZipFile(path) as archive:
        reference = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")["layers/conv2d/vars/0"][()]
    assert np.array_equal(kernel.data(), reference)


# --- fixtures written with h5py ------------------------------------------------------------------------

def _dense(name, units, activation="linear", **extra):
    return {"class_name": "Dense", "config": dict(name=name, units=units, activation=activation, use_bias=True,
                                                   dtype="float32", **extra)}


def _keras2_file(path, config, layer_weights, optimizer=True, root_attrs=True):
    """A Keras 2 `.h5`: model_config + model_weights/<layer>/<layer>/<name>:0 listed by weight_names."""
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as h5:
        if config is not None:
            h5.attrs["model_config"] = json.dumps(config)
            h5.attrs["keras_version"] = "2.12.0"
            h5.attrs["backend"] = "tensorflow"
            group = h5.create_group("model_weights")
        else:
            group = h5
        group.attrs["layer_names"] = np.array([name.encode() for name in layer_weights])
        for layer, weights in layer_weights.items():
            layer_group = group.create_group(layer)
            # A nested model's weights are named by its inner layers ("inner/kernel:0").
            paths = [f"{weight}:0" if "/" in weight else f"{layer}/{weight}:0" for weight in weights]
            layer_group.attrs["weight_names"] = np.array([p.encode() for p in paths]) if paths else np.zeros((0,))
            for path_name, shape in zip(paths, weights.values()):
                layer_group.create_dataset(path_name, data=rng.standard_normal(shape).astype("f4"))
        if optimizer and config is not None:
            h5.create_dataset("optimizer_weights/Adam/m/dense/kernel:0", data=np.zeros((100, 100), "f4"))
    return path


def _h5py_weight_total(path, group="model_weights") -> int:
    total = 0
    with h5py.File(path, "r") as h5:
        def count(_, item):
            nonlocal total
            if isinstance(item, h5py.Dataset):
                total += item.size
        (h5[group] if group else h5).visititems(count)
    return total


def _node(graph, name):
    return next(node for node in graph.nodes if node.name == name)


def _weights(node):
    return {argument.name: argument.values[0].initializer for argument in node.inputs
            if argument.values and argument.values[0].initializer is not None}


def test_keras2_sequential_cnn(tmp_path):
    layers = [
        {"class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": [None, 28, 28, 3],
                                                "dtype": "float32"}},
        {"class_name": "Conv2D", "config": {"name": "conv", "filters": 32, "kernel_size": [3, 3],
                                            "strides": [1, 1], "padding": "same", "activation": "relu",
                                            "use_bias": True, "dtype": "float32", "dilation_rate": [1, 1],
                                            "data_format": "channels_last",
                                            "kernel_initializer": {"class_name": "GlorotUniform"}}},
        {"class_name": "BatchNormalization", "config": {"name": "bn", "dtype": "float32"}},
        {"class_name": "MaxPooling2D", "config": {"name": "pool", "pool_size": [2, 2], "padding": "valid"}},
        {"class_name": "Conv2D", "config": {"name": "conv_1", "filters": 8, "kernel_size": [3, 3],
                                            "strides": [2, 2], "padding": "valid", "activation": "linear"}},
        {"class_name": "Flatten", "config": {"name": "flat"}},
        {"class_name": "Dropout", "config": {"name": "drop", "rate": 0.5}},
        _dense("out", 10, "softmax"),
    ]
    config = {"class_name": "Sequential", "config": {"name": "cnn", "layers": layers}}
    weights = {"in": {}, "conv": {"kernel": (3, 3, 3, 32), "bias": (32,)},
               "bn": {"gamma": (32,), "beta": (32,), "moving_mean": (32,), "moving_variance": (32,)},
               "pool": {}, "conv_1": {"kernel": (3, 3, 32, 8), "bias": (8,)}, "flat": {}, "drop": {},
               "out": {"kernel": (288, 10), "bias": (10,)}}
    path = _keras2_file(tmp_path / "cnn.h5", config, weights)
    model = open_model(path)
    graph = model.graphs[0]
    assert model.format == "Keras HDF5" and model.producer == "Keras 2.12.0"
    assert graph.node_count() == 8
    assert graph.parameters() == _h5py_weight_total(path)  # optimizer state excluded
    shapes = {node.name: node.outputs[0].values[0].type.shape for node in graph.nodes}
    assert shapes["conv"] == (None, 28, 28, 32)
    assert shapes["pool"] == (None, 14, 14, 32)
    assert shapes["conv_1"] == (None, 6, 6, 8)
    assert shapes["flat"] == (None, 288)
    assert shapes["out"] == (None, 10)
    categories = {node.name: node.type.category for node in graph.nodes}
    assert categories == {"in": "Data", "conv": "Layer", "bn": "Normalization", "pool": "Pool",
                          "conv_1": "Layer", "flat": "Shape", "drop": "Dropout", "out": "Layer"}
    conv = _node(graph, "conv")
    assert [step.type.name for step in conv.chain] == ["relu"]
    visible = {attribute.name: attribute.value for attribute in conv.attributes if attribute.visible}
    assert visible == {"filters": 32, "kernel_size": (3, 3), "strides": (1, 1), "padding": "same"}
    assert {attribute.name for attribute in conv.attributes} >= {"use_bias", "data_format", "kernel_initializer"}
    kernel = _weights(conv)["kernel"]
    assert kernel.shape == (3, 3, 3, 32) and kernel.dtype == "float32"
    with h5py.File(path, "r") as h5:
        assert np.array_equal(kernel.data(), h5["model_weights/conv/conv/kernel:0"][()])
    assert set(_weights(_node(graph, "bn"))) == {"gamma", "beta", "moving_mean", "moving_variance"}


def test_opening_reads_no_weights(tmp_path, monkeypatch):
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        _dense("d", 4, batch_input_shape=[None, 3])]}}
    path = _keras2_file(tmp_path / "lazy.h5", config, {"d": {"kernel": (3, 4), "bias": (4,)}})

    def forbidden(self):
        raise AssertionError("weights were read while opening")

    monkeypatch.setattr(Dataset, "read", forbidden)
    graph = open_model(path).graphs[0]
    assert graph.parameters() == 16
    assert graph.inputs[0].values[0].type.shape == (None, 3)
    assert graph.outputs[0].values[0].type.shape == (None, 4)


def test_keras2_functional_lstm_nested_and_shared(tmp_path):
    inner = {"class_name": "Sequential", "config": {"name": "head", "layers": [
        _dense("h1", 8, "relu", batch_input_shape=[None, 16]), _dense("h2", 2)]}}
    layers = [
        {"name": "tokens", "class_name": "InputLayer", "inbound_nodes": [],
         "config": {"name": "tokens", "batch_input_shape": [None, 12], "dtype": "int32"}},
        {"name": "emb", "class_name": "Embedding", "inbound_nodes": [[["tokens", 0, 0, {}]]],
         "config": {"name": "emb", "input_dim": 100, "output_dim": 6, "dtype": "float32"}},
        {"name": "seq", "class_name": "LSTM", "inbound_nodes": [[["emb", 0, 0, {}]]],
         "config": {"name": "seq", "units": 16, "return_sequences": True, "activation": "tanh"}},
        {"name": "last", "class_name": "GRU", "inbound_nodes": [[["seq", 0, 0, {}]]],
         "config": {"name": "last", "units": 16, "return_sequences": False}},
        {"name": "shared", "class_name": "Dense", "inbound_nodes": [[["last", 0, 0, {}]], [["shared", 0, 0, {}]]],
         "config": {"name": "shared", "units": 16, "activation": "relu"}},
        {"name": "sum", "class_name": "Add", "inbound_nodes": [[["shared", 0, 0, {}], ["shared", 1, 0, {}]]],
         "config": {"name": "sum"}},
        {"name": "tf.math.multiply", "class_name": "TFOpLambda", "config": {"name": "tf.math.multiply"},
         "inbound_nodes": [["sum", 0, 0, {"y": ["shared", 1, 0], "name": None}]]},
        dict(inner, name="head", inbound_nodes=[[["tf.math.multiply", 0, 0, {}]]]),
    ]
    config = {"class_name": "Model", "config": {"name": "f", "layers": layers,
                                                "input_layers": [["tokens", 0, 0]],
                                                "output_layers": [["head", 0, 0]]}}
    weights = {"tokens": {}, "emb": {"embeddings": (100, 6)}, "tf.math.multiply": {},
               "seq": {"kernel": (6, 64), "recurrent_kernel": (16, 64), "bias": (64,)},
               "last": {"kernel": (16, 48), "recurrent_kernel": (16, 48), "bias": (96,)},
               "shared": {"kernel": (16, 16), "bias": (16,)}, "sum": {},
               "head": {"h1/kernel": (16, 8), "h1/bias": (8,), "h2/kernel": (8, 2), "h2/bias": (2,)}}
    path = _keras2_file(tmp_path / "functional.h5", config, weights)
    graph = open_model(path).graphs[0]
    assert graph.node_count() == 8
    assert graph.parameters() == _h5py_weight_total(path)
    multiply = _node(graph, "tf.math.multiply")
    assert [v.name for v in multiply.inputs[0].values] == ["sum", "shared:1:0"]
    shapes = {node.name: [v.type.shape for a in node.outputs for v in a.values] for node in graph.nodes}
    assert shapes["emb"] == [(None, 12, 6)]
    assert shapes["seq"] == [(None, 12, 16)]
    assert shapes["last"] == [(None, 16)]
    assert shapes["shared"] == [(None, 16), (None, 16)]  # two calls of one layer
    assert shapes["h1"] == [(None, 8)] and shapes["h2"] == [(None, 2)]  # the nested model's layers, inline
    add = _node(graph, "sum")
    assert [v.name for v in add.inputs[0].values] == ["shared", "shared:1:0"]
    shared = _node(graph, "shared")
    assert [v.name for v in shared.inputs[1].values] == ["shared"]
    assert [node.name for node in graph.nodes if node.group_path == ("head",)] == ["h1", "h2"]
    assert [v.name for v in _node(graph, "h1").inputs[0].values] == ["tf.math.multiply"]
    assert set(_weights(_node(graph, "h1"))) == set(_weights(_node(graph, "h2"))) == {"kernel", "bias"}
    assert [(a.name, a.values[0].name) for a in graph.outputs] == [("head", "head/h2")]
    assert not _node(graph, "seq").chain  # a recurrent activation is not a fused step
    assert graph.inputs[0].values[0].type.dtype == "int32"


def _keras3_archive(path, config, layer_vars, compression=zipfile.ZIP_STORED):
    """A Keras 3 `.keras` zip: config.json, metadata.json and model.weights.h5 (layers/<g>/vars/<i>)."""
    rng = np.random.default_rng(1)
    weights = io.BytesIO()
    with h5py.File(weights, "w") as h5:
        for group, (name, shapes) in layer_vars.items():
            variables = h5.create_group(f"layers/{group}/vars")
            variables.attrs["name"] = name
            for index, shape in enumerate(shapes):
                variables.create_dataset(str(index), data=rng.standard_normal(shape).astype("f4"))
        h5.create_dataset("optimizer/vars/0", data=np.zeros((50,), "f4"))
    with zipfile.ZipFile(path, "w", compression) as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.5.0", "date_saved": "2026-01-01"}))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", weights.getvalue())
    return path, weights.getvalue()


def _tensor(shape, producer):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": shape, "dtype": "float32", "keras_history": [producer, 0, 0]}}


def _keras3_layer(class_name, name, config, args, build=None):
    return {"module": "keras.layers", "class_name": class_name, "name": name,
            "config": dict(config, name=name, dtype={"class_name": "DTypePolicy", "config": {"name": "float32"}}),
            "build_config": {"input_shape": build}, "inbound_nodes": [{"args": args, "kwargs": {}}]}


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_keras3_functional_multi_input(tmp_path, compression):
    layers = [
        {"class_name": "InputLayer", "name": "image", "inbound_nodes": [],
         "config": {"name": "image", "batch_shape": [None, 8, 8, 3], "dtype": "float32"}},
        {"class_name": "InputLayer", "name": "meta", "inbound_nodes": [],
         "config": {"name": "meta", "batch_shape": [None, 5], "dtype": "float32"}},
        _keras3_layer("Conv2D", "conv", {"filters": 4, "kernel_size": [3, 3], "strides": [1, 1],
                                         "padding": "valid", "activation": "relu", "use_bias": True},
                      [_tensor([None, 8, 8, 3], "image")]),
        _keras3_layer("GlobalAveragePooling2D", "gap", {}, [_tensor([None, 6, 6, 4], "conv")]),
        _keras3_layer("Concatenate", "cat", {"axis": -1},
                      [[_tensor([None, 4], "gap"), _tensor([None, 5], "meta")]]),
        _keras3_layer("LayerNormalization", "norm", {"center": True, "scale": False},
                      [_tensor([None, 9], "cat")]),
        _keras3_layer("Dense", "score", {"units": 1, "activation": "sigmoid", "use_bias": False},
                      [_tensor([None, 9], "norm")]),
    ]
    config = {"class_name": "Functional", "config": {"name": "multi", "layers": layers,
                                                     "input_layers": [["image", 0, 0], ["meta", 0, 0]],
                                                     "output_layers": [["score", 0, 0]]}}
    layer_vars = {"conv2d": ("conv", [(3, 3, 3, 4), (4,)]), "layer_normalization": ("norm", [(9,)]),
                  "dense": ("score", [(9, 1)]), "input_layer": ("image", [])}
    path, weights = _keras3_archive(tmp_path / "multi.keras", config, layer_vars, compression)
    model = open_model(path)
    graph = model.graphs[0]
    assert model.format == "Keras v3" and model.producer == "Keras 3.5.0"
    assert graph.node_count() == 7
    with h5py.File(io.BytesIO(weights), "r") as h5:
        expected = sum(h5[f"layers/{group}/vars/{index}"].size for group, (_, shapes) in layer_vars.items()
                       for index in range(len(shapes)))
    assert graph.parameters() == expected
    assert [argument.name for argument in graph.inputs] == ["image", "meta"]
    cat = _node(graph, "cat")
    assert [v.name for v in cat.inputs[0].values] == ["gap", "meta:0:0"]
    assert cat.outputs[0].values[0].type.shape == (None, 9)
    assert set(_weights(_node(graph, "norm"))) == {"beta"}  # scale=False: only beta exists
    assert set(_weights(_node(graph, "score"))) == {"kernel"}
    kernel = _weights(_node(graph, "conv"))["kernel"]
    with h5py.File(io.BytesIO(weights), "r") as h5:
        assert np.array_equal(kernel.data(), h5["layers/conv2d/vars/0"][()])


def test_split_name_attributes(tmp_path):
    """Keras 2 splits `layer_names` / `weight_names` too large for one header into numbered parts."""
    path = tmp_path / "split.h5"
    with h5py.File(path, "w") as h5:
        h5.attrs["layer_names0"] = np.array([b"a", b"b"])
        h5.attrs["layer_names1"] = np.array([b"c"])
        for layer in "abc":
            group = h5.create_group(layer)
            group.attrs["weight_names0"] = np.array([f"{layer}/kernel:0".encode()])
            group.attrs["weight_names1"] = np.array([f"{layer}/bias:0".encode()])
            group.create_dataset(f"{layer}/kernel:0", data=np.ones((2, 3), "f4"))
            group.create_dataset(f"{layer}/bias:0", data=np.ones((3,), "f4"))
    graph = open_model(path).graphs[0]
    assert [node.name for node in graph.nodes] == ["a", "b", "c"]
    assert set(_weights(graph.nodes[2])) == {"kernel", "bias"}
    assert graph.parameters() == 27


def test_keras3_sequential_lstm_and_nested_model(tmp_path):
    head = {"class_name": "Sequential", "config": {"name": "head", "layers": [
        {"class_name": "InputLayer", "config": {"name": "head_in", "batch_shape": [None, 16]}},
        _dense("h1", 8, "relu"), _dense("h2", 3)]}}
    layers = [
        {"class_name": "InputLayer", "config": {"name": "notes", "batch_shape": [None, 10, 4]}},
        {"class_name": "LSTM", "config": {"name": "lstm", "units": 16, "return_sequences": True, "use_bias": True},
         "build_config": {"input_shape": [None, 10, 4]}},
        {"class_name": "GRU", "config": {"name": "gru", "units": 16, "use_bias": True},
         "build_config": {"input_shape": [None, 10, 16]}},
        dict(head, name="head", build_config={"input_shape": [None, 16]}),
    ]
    config = {"class_name": "Sequential", "config": {"name": "seq", "layers": layers}}
    layer_vars = {"lstm": ("lstm", []), "lstm/cell": ("lstm_cell", [(4, 64), (16, 64), (64,)]),
                  "gru": ("gru", []), "gru/cell": ("gru_cell", [(16, 48), (16, 48), (2, 48)]),
                  "sequential": ("head", []), "sequential/layers/dense": ("h1", [(16, 8), (8,)]),
                  "sequential/layers/dense_1": ("h2", [(8, 3), (3,)])}
    path, _ = _keras3_archive(tmp_path / "seq.keras", config, layer_vars)
    graph = open_model(path).graphs[0]
    assert graph.node_count() == 4
    assert graph.parameters() == sum(int(np.prod(shape)) for _, shapes in layer_vars.values() for shape in shapes)
    assert list(_weights(_node(graph, "lstm"))) == ["kernel", "recurrent_kernel", "bias"]
    assert set(_weights(_node(graph, "h1"))) == set(_weights(_node(graph, "h2"))) == {"kernel", "bias"}
    shapes = {node.name: node.outputs[0].values[0].type.shape for node in graph.nodes}
    assert shapes == {"notes": (None, 10, 4), "lstm": (None, 10, 16), "gru": (None, 16), "h1": (None, 8),
                      "h2": (None, 3)}


def test_weights_only_files(tmp_path):
    keras2 = _keras2_file(tmp_path / "weights2.h5", None,
                          {"dense": {"kernel": (4, 3), "bias": (3,)}, "dropout": {},
                           "conv2d_1": {"kernel": (3, 3, 1, 2), "bias": (2,)}})
    graph = open_model(keras2).graphs[0]
    assert graph.node_count() == 2
    assert graph.operators() == {"Dense": 1, "Conv2D": 1}
    assert graph.parameters() == _h5py_weight_total(keras2, "")
    path = tmp_path / "model.weights.h5"
    with h5py.File(path, "w") as h5:
        for group, shapes in (("dense", [(5, 2), (2,)]), ("batch_normalization", [(2,)] * 4), ("flatten", [])):
            variables = h5.create_group(f"layers/{group}/vars")
            for index, shape in enumerate(shapes):
                variables.create_dataset(str(index), data=np.ones(shape, "f4"))
    graph = open_model(path).graphs[0]
    assert graph.operators() == {"Dense": 1, "BatchNormalization": 1}
    assert graph.parameters() == 20
    assert list(_weights(_node(graph, "dense"))) == ["kernel", "bias"]  # named by the class the group implies


def test_json_config_and_legacy_keras_hdf5(tmp_path):
    config = {"class_name": "Sequential", "keras_version": "2.4.0", "backend": "tensorflow",
              "config": {"name": "s", "layers": [_dense("a", 7, batch_input_shape=[None, 3]), _dense("b", 2)]}}
    path = tmp_path / "model.json"
    path.write_text(json.dumps(config))
    graph = open_model(path).graphs[0]
    assert graph.node_count() == 2 and graph.parameters() == 0
    assert graph.outputs[0].values[0].type.shape == (None, 2)
    legacy = _keras2_file(tmp_path / "legacy.keras", config, {"a": {"kernel": (3, 7), "bias": (7,)},
                                                              "b": {"kernel": (7, 2), "bias": (2,)}})
    assert open_model(legacy).graphs[0].parameters() == 3 * 7 + 7 + 7 * 2 + 2


def test_tensorflow_js_layers_model(tmp_path):
    rng = np.random.default_rng(2)
    kernel = rng.standard_normal((6, 4)).astype("<f4")
    bias = np.arange(4, dtype="<f2")
    quantized = np.array([0, 10, 255, 7, 1, 2], dtype="u1")
    data = kernel.tobytes() + bias.tobytes() + quantized.tobytes()
    (tmp_path / "group1-shard1of2.bin").write_bytes(data[:50])  # the kernel spans both shards
    (tmp_path / "group1-shard2of2.bin").write_bytes(data[50:])
    layers = [_dense("d", 4, batch_input_shape=[None, 6]), _dense("e", 6)]
    document = {
        "format": "layers-model",
        "modelTopology": {"keras_version": "2.9.0", "model_config": {
            "class_name": "Sequential", "config": {"name": "s", "layers": layers}}},
        "weightsManifest": [{"paths": ["group1-shard1of2.bin", "group1-shard2of2.bin"], "weights": [
            {"name": "d/kernel", "shape": [6, 4], "dtype": "float32"},
            {"name": "d/bias", "shape": [4], "dtype": "float16"},
            {"name": "e/bias", "shape": [6], "dtype": "float32",
             "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1.0}}]}],
    }
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document))
    model = open_model(path)
    graph = model.graphs[0]
    assert model.format == "TensorFlow.js layers" and graph.parameters() == 24 + 4 + 6
    weights = _weights(_node(graph, "d"))
    assert np.array_equal(weights["kernel"].data(), kernel)
    assert np.array_equal(weights["bias"].data(), bias)
    assert np.allclose(_weights(_node(graph, "e"))["bias"].data(), quantized * 0.5 - 1.0)
    document["weightsManifest"][0]["paths"] = ["../outside.bin"]
    path.write_text(json.dumps(document))
    with pytest.raises(ModelError):
        open_model(path)


def test_detection_leaves_other_json_alone(tmp_path):
    mxnet = tmp_path / "net-symbol.json"
    mxnet.write_text(json.dumps({"nodes": [{"op": "null", "name": "data"}], "arg_nodes": [0], "heads": [[0, 0, 0]],
                                 "attrs": {"class_name": "x", "config": 1}}))
    assert not keras_format.match(mxnet, mxnet.read_bytes())
    other = tmp_path / "settings.json"
    other.write_text(json.dumps({"learning_rate": 0.1}))
    assert not keras_format.match(other, other.read_bytes())


def test_malformed_files_fail_cleanly(tmp_path):
    layers = [_dense("d", 2, batch_input_shape=[None, 2])]
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": layers}}
    path = _keras2_file(tmp_path / "good.h5", config, {"d": {"kernel": (2, 2), "bias": (2,)}})
    data = path.read_bytes()
    for cut in (100, 900, 2000, len(data) // 2):
        broken = tmp_path / f"cut{cut}.h5"
        broken.write_bytes(data[:cut])
        with pytest.raises(ModelError):
            open_model(broken)
    for text in ("{not json", "[1, 2]", '{"class_name": "Functional", "config": {"layers": 7}}'):
        bad = tmp_path / "bad.keras"
        with zipfile.ZipFile(bad, "w") as archive:
            archive.writestr("config.json", text)
            archive.writestr("metadata.json", "{}")
        with pytest.raises(ModelError) as error:
            open_model(bad)
        assert error.value.path == str(bad)


@pytest.mark.parametrize("class_name,config,inputs,expected", [
    ("Conv2D", {"filters": 8, "kernel_size": 3, "strides": 2, "padding": "valid"}, [(None, 15, 15, 3)],
     [(None, 7, 7, 8)]),
    ("Conv2D", {"filters": 8, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same",
                "data_format": "channels_first"}, [(None, 3, 15, 16)], [(None, 8, 8, 8)]),
    ("Conv1D", {"filters": 4, "kernel_size": 3, "dilation_rate": 2}, [(None, 20, 2)], [(None, 16, 4)]),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "valid"}, [(None, 4, 4, 1)],
     [(None, 9, 9, 2)]),
    ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2, "padding": "same"}, [(None, 8, 8, 3)],
     [(None, 8, 8, 6)]),
    ("MaxPooling2D", {"pool_size": [3, 3], "strides": [2, 2], "padding": "same"}, [(None, 9, 9, 4)],
     [(None, 5, 5, 4)]),
    ("AveragePooling1D", {"pool_size": 2}, [(None, 9, 4)], [(None, 4, 4)]),
    ("GlobalAveragePooling2D", {"keepdims": True}, [(None, 7, 7, 5)], [(None, 1, 1, 5)]),
    ("GlobalMaxPooling1D", {}, [(None, 7, 5)], [(None, 5)]),
    ("Flatten", {}, [(None, 2, 3, 4)], [(None, 24)]),
    ("Flatten", {}, [(None, None, 3)], [(None, None)]),
    ("Reshape", {"target_shape": [-1, 4]}, [(None, 2, 6)], [(None, 3, 4)]),
    ("Concatenate", {"axis": 1}, [(None, 2, 5), (None, 3, 5)], [(None, 5, 5)]),
    ("Add", {}, [(None, 4), (None, 4)], [(None, 4)]),
    ("BatchNormalization", {}, [(None, 4, 4, 2)], [(None, 4, 4, 2)]),
    ("LSTM", {"units": 8, "return_sequences": True, "return_state": True}, [(None, 5, 3)],
     [(None, 5, 8), (None, 8), (None, 8)]),
    ("GRU", {"units": 8}, [(None, 5, 3)], [(None, 8)]),
    ("Bidirectional", {"layer": {"class_name": "LSTM", "config": {"units": 6, "return_sequences": True}}},
     [(None, 5, 3)], [(None, 5, 12)]),
    ("TimeDistributed", {"layer": {"class_name": "Dense", "config": {"units": 7}}}, [(None, 5, 3)],
     [(None, 5, 7)]),
    ("Embedding", {"output_dim": 16}, [(None, 10)], [(None, 10, 16)]),
    ("RepeatVector", {"n": 3}, [(None, 4)], [(None, 3, 4)]),
    ("UnknownLayer", {}, [(None, 4)], None),
    ("Dense", {"units": 3}, [None], None),
])
def test_output_shapes(class_name, config, inputs, expected):
    assert output_shapes(class_name, config, inputs) == expected


def test_corrupted_models_raise_model_error_only(tmp_path):
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"name": "x", "batch_input_shape": [None, 4]}},
        _dense("d", 3, "relu"), _dense("e", 2)]}}
    original = _keras2_file(tmp_path / "good.h5", config, {"x": {}, "d": {"kernel": (4, 3), "bias": (3,)},
                                                           "e": {"kernel": (3, 2), "bias": (2,)}}).read_bytes()
    rng = np.random.default_rng(5)
    path = tmp_path / "fuzzed.h5"
    for _ in range(150):
        data = bytearray(original)
        for position in rng.integers(0, len(data), int(rng.integers(1, 8))):
            data[position] = int(rng.integers(0, 256))
        path.write_bytes(bytes(data))
        try:
            graph = open_model(path).graphs[0]
            for tensor in graph.tensors():
                try:
                    tensor.data()
                except ModelError:
                    pass
        except ModelError:
            pass


def test_keras3_normalization_counts_its_scalar_count_weight(tmp_path):
    # Keras's count_params() includes Normalization's scalar `count` (efficientnet_b0: 5,330,571).
    layers = [
        {"class_name": "InputLayer", "config": {"name": "pixels", "batch_shape": [None, 4, 4, 3]}},
        {"class_name": "Normalization", "config": {"name": "normalization", "axis": -1},
         "build_config": {"input_shape": [None, 4, 4, 3]}},
        {"class_name": "Flatten", "config": {"name": "flatten"}},
        _dense("out", 2),
    ]
    config = {"class_name": "Sequential", "config": {"name": "seq", "layers": layers}}
    layer_vars = {"normalization": ("normalization", [(3,), (3,), ()]), "dense": ("out", [(48, 2), (2,)])}
    path, weights = _keras3_archive(tmp_path / "normalized.keras", config, layer_vars)
    with h5py.File(io.BytesIO(weights), "r") as h5:
        assert h5["layers/normalization/vars/2"].shape == ()  # the scalar count
        expected = sum(h5[f"layers/{group}/vars/{index}"].size for group, (_, shapes) in layer_vars.items()
                       for index in range(len(shapes)))
    assert expected == 3 + 3 + 1 + 48 * 2 + 2
    graph = open_model(path).graphs[0]
    assert graph.parameters() == expected
    assert list(_weights(_node(graph, "normalization"))) == ["mean", "variance", "count"]
