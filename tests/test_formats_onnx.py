"""The ONNX reader against the `onnx` package's own reading of the same files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import CORPUS, assert_manifest_counts, cli_info, manifest_rows, require_corpus
from litenetron.formats import open_model
from litenetron.info import graph_summary
from litenetron.model import ModelError

ONNX_TEST_DATA = Path(onnx.__file__).parent / "backend" / "test" / "data"
WHEEL_MODELS = sorted(ONNX_TEST_DATA.glob("*/*/model.onnx"))


def _reference_counts(path: Path):
    proto = onnx.load(str(path), load_external_data=False)
    parameters = sum(math.prod(t.dims) for t in proto.graph.initializer)
    parameters += sum(math.prod(t.dims) for t in proto.graph.sparse_initializer)
    return proto, len(proto.graph.node), parameters


def test_the_onnx_wheel_ships_its_test_models():
    assert len(WHEEL_MODELS) >= 100


@pytest.mark.parametrize("path", WHEEL_MODELS, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_wheel_models_match_onnx_counts_and_values(path):
    model = open_model(path)
    proto, nodes, parameters = _reference_counts(path)
    summary = graph_summary(model.graphs[0])
    assert summary["nodes"] == nodes
    assert summary["parameters"] == parameters
    assert [node.type.name for node in model.graphs[0].nodes] == [node.op_type for node in proto.graph.node]
    ours = {tensor.name: tensor for tensor in model.graphs[0].tensors()}
    for initializer in proto.graph.initializer[:8]:
        if initializer.name in ours and math.prod(initializer.dims) <= 100_000:
            expected = numpy_helper.to_array(initializer)
            assert np.array_equal(ours[initializer.name].data(), expected, equal_nan=True)


def _corpus_onnx_files():
    return [row for row in manifest_rows("onnx") if row["path"].endswith(".onnx")]


@pytest.mark.parametrize("row", _corpus_onnx_files(), ids=lambda row: row["path"])
def test_corpus_files_match_manifest(row):
    path = require_corpus() / row["path"]
    model = open_model(path)
    summary = graph_summary(model.graphs[0])
    assert_manifest_counts(summary, row)
    _, nodes, parameters = _reference_counts(path)
    assert (summary["nodes"], summary["parameters"]) == (nodes, parameters)


def test_corpus_has_onnx_files():
    require_corpus()
    assert len(_corpus_onnx_files()) >= 10


def _save(tmp_path: Path, model: onnx.ModelProto, name: str = "model.onnx") -> Path:
    path = tmp_path / name
    onnx.save(model, str(path))
    return path


def _conv_bn_relu_model() -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    weights = [numpy_helper.from_array(rng.standard_normal((32, 3, 3, 3)).astype(np.float32), "W")]
    for name in ("scale", "bias", "mean", "var"):
        weights.append(numpy_helper.from_array(rng.random(32).astype(np.float32), name))
    nodes = [
        helper.make_node("Conv", ["x", "W"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("BatchNormalization", ["c", "scale", "bias", "mean", "var"], ["b"]),
        helper.make_node("Relu", ["b"], ["y"]),
    ]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 3, 448, 448])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], weights)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_inferred_shapes_on_every_edge(tmp_path):
    model = open_model(_save(tmp_path, _conv_bn_relu_model()))
    graph = model.graphs[0]
    conv, batch_norm, relu = graph.nodes
    for node in graph.nodes:
        assert node.outputs[0].values[0].type.shape == (None, 32, 224, 224)
    assert [argument.name for argument in batch_norm.inputs] == ["X", "scale", "B", "input_mean", "input_var"]
    assert [value.initializer.shape for _, value in batch_norm.weights()] == [(32,)] * 4
    assert conv.inputs[1].values[0].initializer.shape == (32, 3, 3, 3)
    assert graph.outputs[0].values[0].type.shape == (None, 32, 224, 224)
    assert conv.type.category == "Layer" and relu.type.category == "Activation"
    assert batch_norm.type.category == "Normalization"
    assert "convolution" in conv.type.describe().lower()


def test_declared_shapes_win_and_symbols_stay(tmp_path):
    proto = _conv_bn_relu_model()
    proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    proto.graph.value_info.append(helper.make_tensor_value_info("c", TensorProto.FLOAT, ["batch", 32, "h", "w"]))
    graph = open_model(_save(tmp_path, proto)).graphs[0]
    assert graph.inputs[0].values[0].type.shape == ("batch", 3, 448, 448)
    assert graph.nodes[0].outputs[0].values[0].type.shape == ("batch", 32, "h", "w")
    assert graph.nodes[2].outputs[0].values[0].type.shape[0] == "batch"


def test_default_attributes_are_hidden(tmp_path):
    proto = _conv_bn_relu_model()
    proto.graph.node[1].attribute.append(helper.make_attribute("epsilon", 1e-5))
    proto.graph.node[1].attribute.append(helper.make_attribute("momentum", 0.5))
    node = open_model(_save(tmp_path, proto)).graphs[0].nodes[1]
    visibility = {attribute.name: attribute.visible for attribute in node.attributes}
    assert visibility == {"epsilon": False, "momentum": True}


def _data_type(name: str, numpy_type):
    """One parameter of the dtype test; a type newer than the installed onnx is skipped, visibly."""
    code = getattr(TensorProto, name, None)
    if code is None:
        return pytest.param(None, numpy_type, id=name,
                            marks=pytest.mark.skip(reason=f"onnx {onnx.__version__} has no TensorProto.{name}"))
    return pytest.param(code, numpy_type, id=name)


_TYPED = [_data_type(name, numpy_type) for name, numpy_type in [
    ("FLOAT", np.float32), ("DOUBLE", np.float64), ("INT8", np.int8), ("UINT8", np.uint8), ("INT16", np.int16),
    ("UINT16", np.uint16), ("INT32", np.int32), ("UINT32", np.uint32), ("INT64", np.int64), ("UINT64", np.uint64),
    ("BOOL", np.bool_), ("FLOAT16", np.float16), ("COMPLEX64", np.complex64), ("COMPLEX128", np.complex128),
    ("BFLOAT16", None), ("FLOAT8E4M3FN", None), ("FLOAT8E4M3FNUZ", None), ("FLOAT8E5M2", None),
    ("FLOAT8E5M2FNUZ", None), ("FLOAT8E8M0", None), ("INT4", None), ("UINT4", None), ("FLOAT4E2M1", None),
    ("INT2", None), ("UINT2", None),
]]
_SIGNED_SMALL = {getattr(TensorProto, name, None) for name in ("INT4", "INT2")} - {None}
_UNSIGNED_SMALL = {getattr(TensorProto, name, None) for name in ("UINT4", "UINT2", "FLOAT8E8M0")} - {None}


def _values_for(data_type, numpy_type, count):
    if numpy_type is np.bool_:
        return np.arange(count) % 2 == 0
    if data_type in _SIGNED_SMALL:
        return np.array([-1, 0, 1, -2, 1, 0, -1][:count] * 2)[:count]
    if data_type in _UNSIGNED_SMALL:
        return np.array([0, 1, 2, 3, 1, 2, 0] * 2)[:count]
    values = np.array([0.5, -1.0, 2.0, 0.0, 1.5, -0.25, 3.0][:count])
    if numpy_type is not None and np.issubdtype(numpy_type, np.integer):
        values = np.abs(values * 2).astype(numpy_type)
    elif numpy_type is not None and np.issubdtype(numpy_type, np.complexfloating):
        values = values + 1j * values[::-1]
    return values


@pytest.mark.parametrize("raw", [True, False], ids=["raw_data", "typed_field"])
@pytest.mark.parametrize("data_type, numpy_type", _TYPED)
def test_every_tensor_data_type(tmp_path, data_type, numpy_type, raw):
    name = TensorProto.DataType.Name(data_type)
    values = _values_for(data_type, numpy_type, 7)
    tensor = helper.make_tensor("t", data_type, [7], values.tolist() if not raw else values, raw=False)
    if raw:
        tensor = numpy_helper.from_array(numpy_helper.to_array(tensor), "t")
    expected = numpy_helper.to_array(tensor)
    graph = helper.make_graph([helper.make_node("Identity", ["t"], ["y"])], "g", [],
                              [helper.make_tensor_value_info("y", data_type, [7])], [tensor])
    path = _save(tmp_path, helper.make_model(graph))
    ours = open_model(path).graphs[0].nodes[0].inputs[0].values[0].initializer
    assert ours.shape == (7,), name
    actual = ours.data()
    assert actual.shape == expected.shape
    assert np.array_equal(actual.astype(np.float64) if actual.dtype.kind not in "cbO" else actual,
                          expected.astype(np.float64) if expected.dtype.kind not in "cbO" else expected,
                          equal_nan=True), name


def test_string_tensor(tmp_path):
    tensor = helper.make_tensor("s", TensorProto.STRING, [2], [b"ab", "ç".encode()])
    graph = helper.make_graph([helper.make_node("Identity", ["s"], ["y"])], "g", [], [], [tensor])
    ours = open_model(_save(tmp_path, helper.make_model(graph))).graphs[0].nodes[0].inputs[0].values[0]
    assert ours.initializer.dtype == "string"
    assert ours.initializer.data().tolist() == [b"ab", "ç".encode()]


def test_every_attribute_type(tmp_path):
    sub = helper.make_graph([helper.make_node("Relu", ["a"], ["b"])], "sub", [], [])
    sparse = helper.make_sparse_tensor(helper.make_tensor("v", TensorProto.FLOAT, [2], [1.0, 2.0]),
                                       helper.make_tensor("i", TensorProto.INT64, [2], [0, 3]), [4])
    node = helper.make_node(
        "Custom", ["x"], ["y"], domain="test.domain",
        f=0.5, i=-3, s="text", t=numpy_helper.from_array(np.eye(2, dtype=np.float32), "tt"), g=sub,
        floats=[1.0, 2.5], ints=[1, -2], strings=["a", "b"],
        tensors=[numpy_helper.from_array(np.ones(3, np.int64), "t1")], graphs=[sub, sub])
    node.attribute.append(helper.make_attribute("sp", sparse))
    node.attribute.append(helper.make_attribute("tp", helper.make_tensor_type_proto(TensorProto.INT8, [2, None])))
    node.attribute.append(helper.make_attribute("tps", [helper.make_sequence_type_proto(
        helper.make_tensor_type_proto(TensorProto.FLOAT, None))]))
    node.attribute.append(helper.make_attribute("sps", [sparse]))
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])], [])
    ours = open_model(_save(tmp_path, helper.make_model(graph))).graphs[0].nodes[0]
    attributes = {attribute.name: attribute for attribute in ours.attributes}
    assert attributes["f"].value == 0.5 and attributes["f"].type == "float"
    assert attributes["i"].value == -3 and attributes["s"].value == "text"
    assert np.array_equal(attributes["t"].value.data(), np.eye(2))
    assert attributes["g"].value.nodes[0].type.name == "Relu"
    assert attributes["floats"].value == [1.0, 2.5] and attributes["ints"].value == [1, -2]
    assert attributes["strings"].value == ["a", "b"]
    assert attributes["tensors"].value[0].data().tolist() == [1, 1, 1]
    assert len(attributes["graphs"].value) == 2
    assert attributes["sp"].value.data().tolist() == [1.0, 0.0, 0.0, 2.0]
    assert attributes["tp"].value == "int8[2×?]"
    assert attributes["tps"].value == ["sequence<float32[?]>"]
    assert attributes["sps"].value[0].shape == (4,)
    assert len(ours.graphs) == 3  # g and both entries of graphs are reachable from the node


def test_if_and_loop_subgraphs_are_reachable(tmp_path):
    then_graph = helper.make_graph([helper.make_node("Relu", ["x"], ["t"])], "then", [],
                                   [helper.make_tensor_value_info("t", TensorProto.FLOAT, [2])])
    else_graph = helper.make_graph([helper.make_node("Neg", ["x"], ["e"]), helper.make_node("Abs", ["e"], ["f"])],
                                   "else", [], [helper.make_tensor_value_info("f", TensorProto.FLOAT, [2])])
    node = helper.make_node("If", ["cond"], ["y"], then_branch=then_graph, else_branch=else_graph)
    graph = helper.make_graph([node], "main", [helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
                                               helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    model = open_model(_save(tmp_path, helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])))
    main = model.graphs[0]
    assert main.node_count() == 1 and main.nodes[0].type.category == "Control"
    branches = {graph.name: graph for graph in main.nodes[0].graphs}
    assert sorted(branches) == ["else", "then"]
    assert [node.type.name for node in branches["else"].nodes] == ["Neg", "Abs"]
    assert branches["then"].outputs[0].values[0].type.shape == (2,)
    attributes = {attribute.name: attribute.value for attribute in main.nodes[0].attributes}
    assert attributes["then_branch"] is branches["then"]


def test_shapes_are_inferred_inside_subgraphs(tmp_path):
    then_graph = helper.make_graph([helper.make_node("Relu", ["x"], ["t0"]), helper.make_node("Neg", ["t0"], ["t"])],
                                   "then", [], [helper.make_tensor_value_info("t", TensorProto.FLOAT, None)])
    else_graph = helper.make_graph([helper.make_node("Abs", ["x"], ["f"])], "else", [],
                                   [helper.make_tensor_value_info("f", TensorProto.FLOAT, None)])
    node = helper.make_node("If", ["cond"], ["y"], then_branch=then_graph, else_branch=else_graph)
    graph = helper.make_graph([node], "main", [helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
                                               helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 5])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    model = open_model(_save(tmp_path, helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])))
    for branch in model.graphs[0].nodes[0].graphs:
        for inner in branch.nodes:
            assert inner.outputs[0].values[0].type.shape == (2, 5), (branch.name, inner.type.name)


def test_loop_body_is_reachable(tmp_path):
    body = helper.make_graph(
        [helper.make_node("Add", ["v", "one"], ["v_next"]), helper.make_node("Identity", ["cond_in"], ["cond_out"])],
        "body", [helper.make_tensor_value_info("i", TensorProto.INT64, []),
                 helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
                 helper.make_tensor_value_info("v", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_next", TensorProto.FLOAT, [1])],
        [numpy_helper.from_array(np.ones(1, np.float32), "one")])
    node = helper.make_node("Loop", ["trip", "", "v0"], ["v_final"], body=body)
    graph = helper.make_graph([node], "main", [helper.make_tensor_value_info("trip", TensorProto.INT64, []),
                                               helper.make_tensor_value_info("v0", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("v_final", TensorProto.FLOAT, [1])])
    model = open_model(_save(tmp_path, helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])))
    loop = model.graphs[0].nodes[0]
    assert [argument.name for argument in loop.inputs] == ["M", "v_initial"]  # the empty `cond` is omitted
    (body_graph,) = loop.graphs
    assert [node.type.name for node in body_graph.nodes] == ["Add", "Identity"]
    assert body_graph.parameters() == 1
    assert model.graphs[0].parameters() == 0


def test_local_functions(tmp_path):
    body = [helper.make_node("Sigmoid", ["x"], ["s"]), helper.make_node("Mul", ["x", "s"], ["y"])]
    function = helper.make_function("local", "Swish", ["x"], ["y"], body, [helper.make_opsetid("", 17)])
    graph = helper.make_graph([helper.make_node("Swish", ["a"], ["b"], domain="local")], "g",
                              [helper.make_tensor_value_info("a", TensorProto.FLOAT, [3])],
                              [helper.make_tensor_value_info("b", TensorProto.FLOAT, [3])])
    proto = helper.make_model(graph, functions=[function],
                              opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("local", 1)])
    model = open_model(_save(tmp_path, proto))
    assert [graph.name for graph in model.functions] == ["Swish"]
    node = model.graphs[0].nodes[0]
    assert node.graphs[0] is model.functions[0]
    assert [n.type.name for n in model.functions[0].nodes] == ["Sigmoid", "Mul"]
    assert model.graphs[0].node_count() == 1


def test_external_data_is_read_lazily(tmp_path):
    proto = _conv_bn_relu_model()
    expected = numpy_helper.to_array(proto.graph.initializer[0])
    onnx.save_model(proto, str(tmp_path / "ext.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="ext.onnx.data", size_threshold=0)
    model = open_model(tmp_path / "ext.onnx")
    conv = model.graphs[0].nodes[0]
    tensor = conv.inputs[1].values[0].initializer
    assert tensor.layout == "external"
    assert np.array_equal(tensor.data(), expected)
    (tmp_path / "ext.onnx.data").unlink()
    with pytest.raises(ModelError, match="missing"):
        tensor.data()


@pytest.mark.parametrize("location", ["../outside.bin", "/etc/passwd", "sub/../../outside.bin"])
def test_external_data_outside_the_folder_is_refused(tmp_path, location):
    proto = _conv_bn_relu_model()
    tensor = proto.graph.initializer[0]
    tensor.ClearField("raw_data")
    tensor.ClearField("float_data")
    tensor.data_location = TensorProto.EXTERNAL
    tensor.external_data.append(onnx.StringStringEntryProto(key="location", value=location))
    folder = tmp_path / "models"
    folder.mkdir()
    (tmp_path / "outside.bin").write_bytes(b"\0" * 4 * 32 * 27)
    with pytest.raises(ModelError, match="escapes the model's folder"):
        open_model(_save(folder, proto))


def test_text_format_model(tmp_path):
    from google.protobuf import text_format
    path = tmp_path / "model.onnxtxt"
    path.write_text(text_format.MessageToString(_conv_bn_relu_model()))
    graph = open_model(path).graphs[0]
    assert [node.type.name for node in graph.nodes] == ["Conv", "BatchNormalization", "Relu"]
    assert graph.parameters() == 32 * 27 + 4 * 32


def test_model_properties(tmp_path):
    proto = _conv_bn_relu_model()
    proto.producer_name, proto.producer_version, proto.doc_string = "pytorch", "2.13.0", "a test"
    proto.model_version, proto.domain = 3, "ai.example"
    helper.set_model_props(proto, {"author": "me"})
    model = open_model(_save(tmp_path, proto))
    assert model.format == f"ONNX v{proto.ir_version}"
    assert model.producer == "pytorch 2.13.0" and model.version == "3" and model.description == "a test"
    assert ("author", "me") in model.metadata and ("domain", "ai.example") in model.metadata
    assert model.imports == ["ai.onnx v17"]


def test_sparse_initializers_count_their_dense_size(tmp_path):
    sparse = helper.make_sparse_tensor(helper.make_tensor("w", TensorProto.FLOAT, [2], [5.0, 6.0]),
                                       helper.make_tensor("wi", TensorProto.INT64, [2], [1, 5]), [2, 3])
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])], [])
    graph.sparse_initializer.append(sparse)
    model = open_model(_save(tmp_path, helper.make_model(graph)))
    assert model.graphs[0].parameters() == 6
    weight = model.graphs[0].nodes[0].inputs[1].values[0].initializer
    assert weight.data().tolist() == [[0, 5, 0], [0, 0, 6]]


def test_info_json_shape(tmp_path):
    path = _save(tmp_path, _conv_bn_relu_model())
    info = cli_info(path)
    assert set(info) == {"path", "format", "producer", "graphs"}
    graph = info["graphs"][0]
    contract = {"name", "nodes", "operators", "inputs", "outputs", "parameters"}
    costs = {"macs", "flops", "activation_bytes", "costs_are_lower_bounds", "unknown_cost_nodes"}
    assert set(graph) == contract | costs
    assert graph["nodes"] == 3 and graph["parameters"] == 32 * 27 + 128
    # the convolution's 27 weights per output, then batch norm's one MAC per element (the batch counts as 1)
    assert graph["macs"] == 32 * 224 * 224 * 27 + 32 * 224 * 224 and not graph["costs_are_lower_bounds"]
    assert graph["operators"] == {"Conv": 1, "BatchNormalization": 1, "Relu": 1}
    assert graph["inputs"] == [{"name": "x", "dtype": "float32", "shape": ["?", 3, 448, 448]}]
    assert graph["outputs"] == [{"name": "y", "dtype": "float32", "shape": ["?", 32, 224, 224]}]


def test_gpt2_with_external_data_file(corpus):
    path = CORPUS / "onnx/generated/transformers/gpt2_tiny.onnx"
    model = open_model(path)
    summary = graph_summary(model.graphs[0])
    assert summary["nodes"] == 165 and summary["parameters"] == 537902
    tensors = list(model.graphs[0].tensors())
    assert any(tensor.layout == "external" for tensor in tensors)
    reference = onnx.load(str(path))
    expected = {t.name: numpy_helper.to_array(t) for t in reference.graph.initializer}
    for tensor in tensors:
        if tensor.name in expected:
            assert np.array_equal(tensor.data(), expected[tensor.name])
