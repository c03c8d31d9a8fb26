"""TF.js graph models: the corpus counts made by the converter, weight values against the shards read with numpy,
a graph model written by the test with quantized weights and every attribute kind, the JSON mapping of
protobuf, and malformed documents that must fail with ModelError and nothing else."""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CORPUS, assert_manifest_counts, cli_info, manifest_rows, require_corpus, run_cli
from litenetron.codecs.protobuf import ProtobufError
from litenetron.codecs.protobuf_json import from_json
from litenetron.formats import open_model, tfjs
from litenetron.formats.schemas.tensorflow import TENSORFLOW
from litenetron.model import ModelError

ROWS = manifest_rows("tfjs")
MODELS = [row for row in ROWS if row["path"].endswith("model.json")]
SHARDS = [row for row in ROWS if row["path"].endswith(".bin")]
ITEMSIZE = {"float32": 4, "int32": 4, "bool": 1, "uint8": 1, "uint16": 2, "float16": 2}


@pytest.mark.parametrize("row", MODELS, ids=[row["path"] for row in MODELS])
def test_corpus_counts(row):
    require_corpus()
    info = cli_info(CORPUS / row["path"])
    assert info["format"] == "TensorFlow.js graph model"
    assert_manifest_counts(info["graphs"][0], row)


@pytest.mark.parametrize("row", SHARDS[:3], ids=[row["path"] for row in SHARDS[:3]])
def test_a_shard_says_which_file_to_open(row):
    require_corpus()
    result = run_cli(str(CORPUS / row["path"]), "--info")
    assert result.returncode == 1 and "open model.json beside it" in result.stderr
    assert "Traceback" not in result.stderr


def _manifest_arrays(path):
    """Each manifest weight decoded with numpy from its group's concatenated shards."""
    document = json.loads(path.read_text())
    arrays = {}
    for group in document["weightsManifest"]:
        blob = b"".join((path.parent / name).read_bytes() for name in group["paths"])
        offset = 0
        for entry in group["weights"]:
            count = math.prod(entry["shape"])
            size = count * ITEMSIZE[entry["dtype"]]
            dtype = {"float32": "<f4", "int32": "<i4", "bool": "?"}[entry["dtype"]]
            arrays[entry["name"]] = np.frombuffer(blob[offset:offset + size], dtype=dtype).reshape(entry["shape"])
            offset += size
    return arrays


def test_sharded_weights_match_the_concatenated_shards():
    require_corpus()
    path = CORPUS / "tfjs" / "generated" / "mobilenet_v2_035_96_sharded" / "model.json"
    expected = _manifest_arrays(path)
    graph = open_model(path).graphs[0]
    tensors = {tensor.name: tensor for tensor in graph.tensors()}
    assert set(tensors) <= set(expected) and len(tensors) >= 80
    for name, tensor in tensors.items():
        np.testing.assert_array_equal(tensor.data(), expected[name])
    spanning = [t for t in tensors.values() if " … " in t.location]
    assert spanning  # some weights cross a shard boundary


def test_loop_graph_keeps_its_control_flow_nodes():
    require_corpus()
    graph = open_model(CORPUS / "tfjs" / "generated" / "loop_cond" / "model.json").graphs[0]
    operators = graph.operators()
    assert operators["Enter"] == 7 and operators["Merge"] == 6 and operators["NextIteration"] == 5
    assert {argument.name for argument in graph.inputs} == {"steps", "x"}


# --- a graph model written by the test ------------------------------------------------------------------

KERNEL = np.linspace(-1, 1, 12, dtype="<f4").reshape(4, 3)
BIAS = np.array([0.5, -0.25, 2.0], dtype="<f4")
SCALE = np.array([1.0, 3.0, 0.5], dtype="<f4")
SHAPE = np.array([-1, 3], dtype="<i4")
VOCAB = ["a", "hello", "ü", ""]


def _tensor_attr(dtype, shape):
    return {"tensor": {"dtype": dtype, "tensorShape": {"dim": [{"size": str(d)} for d in shape]} if shape else {}}}


def _const(name, dtype, shape):
    return {"name": name, "op": "Const", "attr": {"value": _tensor_attr(dtype, shape), "dtype": {"type": dtype}}}


def write_graph_model(folder, shard_size=40):
    """x[?,4] → MatMul(kernel: uint8-quantized) → BiasAdd(bias: float16) → Mul(scale: uint16) → Reshape → Relu."""
    kernel_min, kernel_scale = float(KERNEL.min()), float(KERNEL.max() - KERNEL.min()) / 255
    kernel_q = np.round((KERNEL - kernel_min) / kernel_scale).astype("u1")
    scale_min, scale_scale = 0.0, 3.0 / 65535
    scale_q = np.round((SCALE - scale_min) / scale_scale).astype("<u2")
    strings = b"".join(len(text).to_bytes(4, "little") + text for text in (t.encode() for t in VOCAB))
    data = kernel_q.tobytes() + BIAS.astype("<f2").tobytes() + scale_q.tobytes() + strings + SHAPE.tobytes()
    shards = [data[i:i + shard_size] for i in range(0, len(data), shard_size)]
    names = [f"group1-shard{i + 1}of{len(shards)}.bin" for i in range(len(shards))]
    for name, shard in zip(names, shards):
        (folder / name).write_bytes(shard)
    relu_attrs = {
        "T": {"type": "DT_FLOAT"}, "count": {"i": "3"}, "ratio": {"f": 0.5}, "flag": {"b": True},
        "padding": {"s": base64.b64encode(b"SAME").decode()}, "sizes": {"list": {"i": ["1", "2", "2", "1"]}},
        "names": {"list": {"s": [base64.b64encode(b"a").decode()]}}, "empty": {"list": {}},
        "shape_attr": {"shape": {"dim": [{"size": "-1"}, {"size": "2"}]}}, "fn": {"func": {"name": "body"}},
    }
    document = {
        "format": "graph-model", "generatedBy": "2.19.0", "convertedBy": "TensorFlow.js Converter v4.22.0",
        "signature": {
            "inputs": {"features": {"name": "x:0", "dtype": "DT_FLOAT",
                                    "tensorShape": {"dim": [{"size": "-1"}, {"size": "4"}]}}},
            "outputs": {"scores": {"name": "out:0", "dtype": "DT_FLOAT",
                                   "tensorShape": {"dim": [{"size": "-1"}, {"size": "3"}]}}}},
        "modelTopology": {
            "node": [
                {"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {
                    "shape": {"dim": [{"size": "-1"}, {"size": "4"}]}}}},
                _const("kernel", "DT_FLOAT", [4, 3]), _const("bias", "DT_FLOAT", [3]),
                _const("scale", "DT_FLOAT", [3]), _const("shape", "DT_INT32", [2]),
                _const("vocab", "DT_STRING", [2, 2]),
                {"name": "words", "op": "Identity", "input": ["vocab"], "attr": {"T": {"type": "DT_STRING"}}},
                {"name": "mm", "op": "MatMul", "input": ["x", "kernel"],
                 "attr": {"transpose_a": {"b": False}, "transpose_b": {"b": False}, "T": {"type": "DT_FLOAT"}}},
                {"name": "add", "op": "BiasAdd", "input": ["mm", "bias"], "attr": {"T": {"type": "DT_FLOAT"}}},
                {"name": "mul", "op": "Mul", "input": ["add", "scale"], "attr": {"T": {"type": "DT_FLOAT"}}},
                {"name": "reshape", "op": "Reshape", "input": ["mul", "shape"], "attr": {"T": {"type": "DT_FLOAT"}}},
                {"name": "out", "op": "Relu", "input": ["reshape"], "attr": relu_attrs},
            ],
            "library": {}, "versions": {"producer": 1987},
        },
        "weightsManifest": [{"paths": names, "weights": [
            {"name": "kernel", "shape": [4, 3], "dtype": "float32",
             "quantization": {"dtype": "uint8", "min": kernel_min, "scale": kernel_scale, "original_dtype": "float32"}},
            {"name": "bias", "shape": [3], "dtype": "float32", "quantization": {"dtype": "float16"}},
            {"name": "scale", "shape": [3], "dtype": "float32",
             "quantization": {"dtype": "uint16", "min": scale_min, "scale": scale_scale}},
            {"name": "vocab", "shape": [2, 2], "dtype": "string"},
            {"name": "shape", "shape": [2], "dtype": "int32"},
        ]}],
    }
    path = folder / "model.json"
    path.write_text(json.dumps(document))
    expected = {"kernel": kernel_q.astype("f4") * np.float32(kernel_scale) + np.float32(kernel_min),
                "bias": BIAS.astype("<f2").astype("f4"), "scale": scale_q.astype("f4") * np.float32(scale_scale)}
    return path, expected


def test_the_fuzz_seed_fixture_is_the_written_model(tmp_path):
    """tests/fixtures/tfjs/quantized (a seed of benchmarks/fuzz.py) is what write_graph_model writes."""
    write_graph_model(tmp_path)
    fixture = Path(__file__).resolve().parent / "fixtures" / "tfjs" / "quantized"
    assert sorted(p.name for p in fixture.iterdir()) == sorted(p.name for p in tmp_path.iterdir())
    for written in tmp_path.iterdir():
        assert (fixture / written.name).read_bytes() == written.read_bytes(), written.name


def _node(graph, name):
    return next(node for node in graph.nodes if node.name == name)


def test_written_graph_model(tmp_path):
    path, expected = write_graph_model(tmp_path)
    model = open_model(path)
    graph = model.graphs[0]
    assert model.format == "TensorFlow.js graph model" and model.version == "producer 1987"
    assert model.producer == "TensorFlow.js Converter v4.22.0 (TensorFlow 2.19.0)"
    assert graph.node_count() == 12 and graph.parameters() == 12 + 3 + 3 + 4 + 2
    assert [node.name for node in graph.nodes] == ["words", "mm", "add", "mul", "reshape", "out"]  # Consts: weights
    assert [argument.name for argument in graph.inputs] == ["features"]
    assert [argument.name for argument in graph.outputs] == ["scores"]
    assert graph.outputs[0].values[0].type.shape == (None, 3)
    reshape = _node(graph, "reshape")
    assert reshape.outputs[0].values[0].type.shape == (None, 3)  # from the tiny int32 constant's values
    kernel = _node(graph, "mm").inputs[1].values[0].initializer
    assert kernel.layout == "quantized" and kernel.dtype == "float32" and kernel.shape == (4, 3)
    np.testing.assert_allclose(kernel.data(), expected["kernel"], rtol=1e-6)
    np.testing.assert_allclose(kernel.data(), KERNEL, atol=float(KERNEL.max() - KERNEL.min()) / 255)
    np.testing.assert_array_equal(_node(graph, "add").inputs[1].values[0].initializer.data(), expected["bias"])
    np.testing.assert_allclose(_node(graph, "mul").inputs[1].values[0].initializer.data(), expected["scale"],
                               rtol=1e-6)
    np.testing.assert_array_equal(reshape.inputs[1].values[0].initializer.data(), SHAPE)  # after the strings
    vocab = _node(graph, "words").inputs[0].values[0].initializer
    assert vocab.dtype == "string" and vocab.data().tolist() == [VOCAB[:2], VOCAB[2:]]


def test_bool_and_complex_weights(tmp_path):
    flags, waves = np.array([True, False, True]), np.array([1 + 2j, -0.5j], dtype="<c8")
    (tmp_path / "group1-shard1of1.bin").write_bytes(flags.tobytes() + waves.tobytes())
    document = {"format": "graph-model", "modelTopology": {"node": [
        _const("flags", "DT_BOOL", [3]), _const("waves", "DT_COMPLEX64", [2]),
        {"name": "both", "op": "IdentityN", "input": ["flags", "waves"]}]},
        "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": [
            {"name": "flags", "shape": [3], "dtype": "bool"}, {"name": "waves", "shape": [2], "dtype": "complex64"}]}]}
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document))
    graph = open_model(path).graphs[0]
    assert graph.node_count() == 3 and graph.parameters() == 5
    tensors = {tensor.name: tensor for tensor in graph.tensors()}
    assert tensors["flags"].dtype == "bool" and tensors["waves"].dtype == "complex64"
    np.testing.assert_array_equal(tensors["flags"].data(), flags)
    np.testing.assert_array_equal(tensors["waves"].data(), waves)


def test_model_initializer_is_a_second_graph(tmp_path):
    path, _ = write_graph_model(tmp_path)
    document = json.loads(path.read_text())
    document["modelInitializer"] = {"node": [
        {"name": "table", "op": "HashTableV2", "attr": {"key_dtype": {"type": "DT_STRING"}}},
        {"name": "init", "op": "LookupTableImportV2", "input": ["table", "vocab", "shape"]}]}
    path.write_text(json.dumps(document))
    model = open_model(path)
    assert [graph.name for graph in model.graphs] == ["main", "initializer"]
    assert model.graphs[0].node_count() == 12  # the checked counts stay the main graph's
    initializer = model.graphs[1]
    assert initializer.operators() == {"HashTableV2": 1, "LookupTableImportV2": 1}
    assert ("model initializer", "2 nodes (graph 2)") in model.metadata


def test_every_json_attribute_kind(tmp_path):
    path, _ = write_graph_model(tmp_path)
    relu = _node(open_model(path).graphs[0], "out")
    values = {attribute.name: attribute.value for attribute in relu.attributes}
    assert values["T"] == "float32" and values["count"] == 3 and values["ratio"] == 0.5 and values["flag"] is True
    assert values["padding"] == "SAME" and values["sizes"] == [1, 2, 2, 1] and values["names"] == ["a"]
    assert values["empty"] == [] and values["shape_attr"] == (None, 2) and values["fn"] == "body"


def test_missing_or_short_shards_are_named(tmp_path):
    path, _ = write_graph_model(tmp_path, shard_size=22)
    (tmp_path / "group1-shard2of3.bin").unlink()
    with pytest.raises(ModelError, match=r"group1-shard2of3\.bin not found"):
        open_model(path)
    path, _ = write_graph_model(tmp_path, shard_size=22)
    shard = tmp_path / "group1-shard3of3.bin"
    shard.write_bytes(shard.read_bytes()[:-3])
    with pytest.raises(ModelError, match="needs 56 bytes"):
        open_model(path)
    shard.write_bytes(b"")  # the strings' lengths run past the end
    with pytest.raises(ModelError, match="inside string weight vocab"):
        open_model(path)


def test_opening_reads_only_tiny_constants(tmp_path, monkeypatch):
    path, _ = write_graph_model(tmp_path)
    from litenetron.formats import keras_tfjs

    read = []
    original = keras_tfjs.ShardWeight.tobytes
    monkeypatch.setattr(keras_tfjs.ShardWeight, "tobytes", lambda self: read.append(self.name) or original(self))
    graph = open_model(path).graphs[0]
    assert read == ["shape"]  # the 8-byte int32 shape operand; no float weight was read
    _node(graph, "mm").inputs[1].values[0].initializer.data()
    assert read == ["shape", "kernel"]


def test_layers_models_are_left_to_keras(tmp_path):
    document = {"format": "layers-model", "modelTopology": {"class_name": "Sequential", "config": {}}}
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document))
    assert not tfjs.match(path, path.read_bytes())


# --- protobuf's JSON mapping -------------------------------------------------------------------------------

def test_json_mapping_of_a_node():
    node = from_json({"name": "n", "op": "Const", "input": ["a", "^b"], "attr": {
        "value": {"tensor": {"dtype": "DT_INT64", "tensorShape": {"dim": [{"size": "2"}]}, "int64Val": ["-5", "7"],
                             "tensorContent": base64.b64encode(b"\x01\x02").decode()}},
        "x": {"f": "NaN"}, "y": {"f": "-Infinity"}}}, TENSORFLOW, "NodeDef")
    assert node.name == "n" and node.input == ["a", "^b"]
    attrs = {entry.key: entry.value for entry in node.attr}
    tensor = attrs["value"].tensor
    assert tensor.dtype == "DT_INT64" and tensor.int64_val == [-5, 7] and tensor.tensor_content == b"\x01\x02"
    assert tensor.tensor_shape.dim[0].size == 2
    assert math.isnan(attrs["x"].f) and attrs["y"].f == -math.inf
    assert node.device == ""  # absent fields read as schema defaults


@pytest.mark.parametrize("bad", [
    {"name": 3}, {"input": "a"}, {"attr": {"k": {"i": "three"}}}, {"attr": {"k": {"b": "yes"}}},
    {"attr": {"k": {"s": "!!not base64!!"}}}, {"attr": {"k": {"shape": []}}}, {"attr": {"k": {"f": "fast"}}},
    {"attr": {"k": {"i": True}}}, {"attr": {"k": {"type": 1.5}}},
])
def test_json_of_the_wrong_kind_is_a_protobuf_error(bad):
    with pytest.raises(ProtobufError):
        from_json(bad, TENSORFLOW, "NodeDef")


def test_deep_json_nesting_is_bounded():
    shape = {"dim": []}
    deep = {"list": {"func": [{"name": "f", "attr": {}}]}}
    for _ in range(200):
        deep = {"func": {"name": "f", "attr": {"a": deep}}}
    with pytest.raises(ProtobufError, match="nested too deeply"):
        from_json({"attr": {"k": deep, "s": {"shape": shape}}}, TENSORFLOW, "NodeDef")


# --- malformed documents --------------------------------------------------------------------------------------

def _open_or_model_error(path):
    try:
        graph = open_model(path).graphs[0]
    except ModelError:
        return
    for tensor in graph.tensors():
        try:
            tensor.data()
        except ModelError:
            pass


def test_truncated_documents_fail_cleanly(tmp_path):
    path, _ = write_graph_model(tmp_path)
    text = path.read_bytes()
    for cut in range(0, len(text), 23):
        path.write_bytes(text[:cut])
        _open_or_model_error(path)


JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=20)
KEYS = st.sampled_from(["name", "op", "input", "attr", "device", "node", "library", "versions", "dtype", "tensorShape",
                        "dim", "size", "list", "i", "f", "s", "b", "type", "shape", "tensor", "func", "paths",
                        "weights", "quantization", "scale", "min", "signature", "inputs", "outputs"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_random_edits_of_a_document_fail_cleanly(tmp_path, data):
    path, _ = write_graph_model(tmp_path)
    document = json.loads(path.read_text())
    target = document
    for _ in range(data.draw(st.integers(0, 4))):  # walk down to a random object in the document
        children = [value for value in (target.values() if isinstance(target, dict) else target)
                    if isinstance(value, (dict, list)) and value]
        if not children:
            break
        target = data.draw(st.sampled_from(children))
    if isinstance(target, dict):
        target[data.draw(KEYS)] = data.draw(JSON)
    elif target:
        target[data.draw(st.integers(0, len(target) - 1))] = data.draw(JSON)
    path.write_text(json.dumps(document))
    _open_or_model_error(path)


def test_open_dialog_offers_graph_models():
    from litenetron.app.window import file_types

    assert ("TensorFlow.js graph model", "*.json") in file_types()
    assert tfjs.NAME == "TensorFlow.js graph model" and tfjs.EXTENSIONS == (".json",)
