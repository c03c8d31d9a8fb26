"""MXNet reader: symbol JSON, .params NDArray lists (our own encoder), companion pairing, corpus counts."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from conftest import CORPUS, assert_manifest_counts, cli_info, manifest_rows, require_corpus
from litenetron.formats import mxnet, open_model
from litenetron.formats.mxnet import NDARRAY_V1, NDARRAY_V2, NDARRAY_V3, read_params
from litenetron.model import ModelError

FLAGS = {"float32": 0, "float64": 1, "float16": 2, "uint8": 3, "int32": 4, "int8": 5, "int64": 6}


def _ndarray(array: np.ndarray, magic: int) -> bytes:
    flag = struct.pack("<i", FLAGS[array.dtype.name])
    context = struct.pack("<ii", 1, 0)
    if magic == 0:  # legacy: uint32 ndim and uint32 dims, no magic
        shape = struct.pack("<I", array.ndim) + struct.pack(f"<{array.ndim}I", *array.shape)
        return shape + context + flag + array.tobytes()
    shape = struct.pack("<i", array.ndim) + struct.pack(f"<{array.ndim}q", *array.shape)
    storage = b"" if magic == NDARRAY_V1 else struct.pack("<i", 0)
    return struct.pack("<I", magic) + storage + shape + context + flag + array.tobytes()


def write_params(path, arrays: dict, magic: int = NDARRAY_V2) -> None:
    blob = struct.pack("<QQQ", 0x112, 0, len(arrays))
    blob += b"".join(_ndarray(array, magic) for array in arrays.values())
    blob += struct.pack("<Q", len(arrays))
    for name in arrays:
        blob += struct.pack("<Q", len(name.encode())) + name.encode()
    path.write_bytes(blob)


SYMBOL = {
    "nodes": [
        {"op": "null", "name": "data", "inputs": []},
        {"op": "null", "name": "fc_weight", "attrs": {"__shape__": "(3, 4)"}, "inputs": []},
        {"op": "null", "name": "fc_bias", "inputs": []},
        {"op": "FullyConnected", "name": "fc", "attrs": {"num_hidden": "3", "no_bias": "False"},
         "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]},
        {"op": "SliceChannel", "name": "split", "attr": {"num_outputs": "2"}, "inputs": [[3, 0, 0]]},
        {"op": "elemwise_add", "name": "add", "inputs": [[4, 0, 0], [4, 1, 0]]},
        {"op": "null", "name": "softmax_label", "inputs": []},
        {"op": "SoftmaxOutput", "name": "softmax", "param": {}, "inputs": [[5, 0, 0], [6, 0, 0]]},
    ],
    "arg_nodes": [0, 1, 2, 6],
    "heads": [[7, 0, 0]],
    "attrs": {"mxnet_version": ["int", 10901]},
}

ARRAYS = {
    "arg:fc_weight": np.arange(12, dtype="float32").reshape(3, 4),
    "arg:fc_bias": np.array([1, 2, 3], dtype="float16"),
    "aux:unused_mean": np.arange(5, dtype="int64"),
}


@pytest.mark.parametrize("magic", [0, NDARRAY_V1, NDARRAY_V2, NDARRAY_V3])
def test_params_versions(tmp_path, magic):
    path = tmp_path / "net-0003.params"
    write_params(path, ARRAYS, magic)
    entries = read_params(path)
    assert [e.name for e in entries] == list(ARRAYS)
    for entry, array in zip(entries, ARRAYS.values()):
        assert entry.dtype == array.dtype.name and entry.shape == array.shape
        np.testing.assert_array_equal(entry.tensor(entry.name).data(), array)


def test_symbol_with_highest_epoch_params(tmp_path):
    (tmp_path / "net-symbol.json").write_text(json.dumps(SYMBOL))
    write_params(tmp_path / "net-0001.params", {"arg:fc_weight": np.zeros((3, 4), "float32")})
    write_params(tmp_path / "net-0012.params", ARRAYS)
    for opened in ("net-symbol.json", "net-0012.params"):
        model = open_model(tmp_path / opened)
        graph = model.graphs[0]
        assert model.version == "1.9.1"
        assert [n.type.name for n in graph.nodes] == ["FullyConnected", "SliceChannel", "elemwise_add",
                                                      "SoftmaxOutput"]
        assert graph.parameters() == 12 + 3 + 5
        assert [a.name for a in graph.inputs] == ["data", "softmax_label"]
        assert [a.name for a in graph.outputs] == ["softmax"]
        fc = graph.nodes[0]
        weights = {a.name: v.initializer for a, v in fc.weights()}
        np.testing.assert_array_equal(weights["weight"].data(), ARRAYS["arg:fc_weight"])
        assert weights["bias"].dtype == "float16"
        add = graph.nodes[2]
        assert [v.name for a in add.inputs for v in a.values] == ["split", "split:1"]
        assert [v.name for a in graph.nodes[1].outputs for v in a.values] == ["split", "split:1"]


def test_symbol_alone_uses_declared_shapes(tmp_path):
    path = tmp_path / "plain.json"
    path.write_text(json.dumps(SYMBOL))
    graph = open_model(path).graphs[0]
    assert graph.parameters() == 0 and graph.node_count() == 4
    weights = {a.name: v.initializer for a, v in graph.nodes[0].weights()}
    assert weights["weight"].shape == (3, 4)
    assert {a.name for a in graph.inputs} == {"data", "softmax_label"}


def test_plain_json_pairs_with_plain_params(tmp_path):
    (tmp_path / "m.json").write_text(json.dumps(SYMBOL))
    write_params(tmp_path / "m.params", ARRAYS)
    assert open_model(tmp_path / "m.json").graphs[0].parameters() == 20


def test_other_json_is_not_claimed(tmp_path):
    keras = tmp_path / "model.json"
    keras.write_text(json.dumps({"class_name": "Sequential", "config": {"layers": []}}))
    manifest = tmp_path / "Manifest.json"
    manifest.write_text(json.dumps({"fileFormatVersion": "1.0.0", "itemInfoEntries": {}}))
    graphish = tmp_path / "graph.json"
    graphish.write_text(json.dumps({"nodes": [{"id": 1, "op": "x"}], "edges": []}))
    for path in (keras, manifest, graphish):
        assert not mxnet.match(path, path.read_bytes()[:4096])


def test_truncated_params_is_an_error(tmp_path):
    path = tmp_path / "t.params"
    write_params(path, ARRAYS)
    path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(ModelError):
        open_model(path)


@pytest.mark.corpus
@pytest.mark.parametrize("row", manifest_rows("mxnet"), ids=lambda row: row["path"])
def test_corpus_counts(row):
    corpus = require_corpus()
    path = corpus / row["path"]
    graph = open_model(path).graphs[0]
    assert_manifest_counts(graph, row)
    if path.suffix == ".json":
        # Independent count: the JSON node list itself.
        nodes = json.loads(path.read_text())["nodes"]
        assert graph.node_count() == sum(1 for node in nodes if node["op"] != "null")


@pytest.mark.corpus
def test_cli_symbol_with_params():
    require_corpus()
    path = CORPUS / "mxnet" / "generated" / "symbol" / "mnist_resnetish-symbol.json"
    graph = cli_info(path)["graphs"][0]
    assert graph["nodes"] == 11
    entries = read_params(path.with_name("mnist_resnetish-0001.params"))
    assert graph["parameters"] == sum(int(np.prod(e.shape)) for e in entries) > 0


def _chain_symbol(ops):
    """data (1×3×32×32) followed by the given (op, attrs) nodes, each consuming the previous one."""
    nodes = [{"op": "null", "name": "data", "attrs": {"__shape__": "(1, 3, 32, 32)"}, "inputs": []}]
    for index, (op, attrs) in enumerate(ops):
        nodes.append({"op": op, "name": f"n{index}", "attrs": attrs, "inputs": [[len(nodes) - 1, 0, 0]]})
    return {"nodes": nodes, "arg_nodes": [0], "heads": [[len(nodes) - 1, 0, 0]]}


CONV = ("Convolution", {"kernel": "(3, 3)", "stride": "(2, 2)", "pad": "(1, 1)", "num_filter": "8"})


@pytest.mark.parametrize("ops, shape", [
    ([CONV], (1, 8, 16, 16)),
    ([CONV, ("Pooling", {"kernel": "(3, 3)", "stride": "(2, 2)", "pool_type": "max"})], (1, 8, 7, 7)),
    ([CONV, ("Pooling", {"kernel": "(3, 3)", "stride": "(2, 2)", "pooling_convention": "full"})], (1, 8, 8, 8)),
    ([CONV, ("Pooling", {"kernel": "(7, 7)", "global_pool": "True"})], (1, 8, 1, 1)),
    ([CONV, ("BatchNorm", {}), ("Activation", {"act_type": "relu"}), ("Flatten", {})], (1, 2048)),
    ([CONV, ("Flatten", {}), ("FullyConnected", {"num_hidden": "10"})], (1, 10)),
    ([("Deconvolution", {"kernel": "(4, 4)", "stride": "(2, 2)", "pad": "(1, 1)", "num_filter": "5"})],
     (1, 5, 64, 64)),
    ([("UpSampling", {"scale": "2", "sample_type": "nearest"})], (1, 3, 64, 64)),
])
def test_shape_inference(tmp_path, ops, shape):
    path = tmp_path / "chain-symbol.json"
    path.write_text(json.dumps(_chain_symbol(ops)))
    graph = open_model(path).graphs[0]
    assert graph.inputs[0].values[0].type.shape == (1, 3, 32, 32)
    assert graph.nodes[-1].outputs[0].values[0].type.shape == shape


def test_unknown_input_size_keeps_channels(tmp_path):
    symbol = _chain_symbol([CONV])
    del symbol["nodes"][0]["attrs"]
    path = tmp_path / "open-symbol.json"
    path.write_text(json.dumps(symbol))
    assert open_model(path).graphs[0].nodes[0].outputs[0].values[0].type.shape == (None, 8, None, None)
