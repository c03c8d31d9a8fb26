"""Spec-legal files that real writers produce and that once failed: each one opens with the right content."""

from __future__ import annotations

import struct

import numpy as np
import onnx
import pytest
from google.protobuf import text_format
from onnx import TensorProto, helper, numpy_helper

from litenetron.codecs.protobuf import encode_varint
from litenetron.formats import open_model


def _field(number: int, payload: bytes) -> bytes:
    return encode_varint(number << 3 | 2) + encode_varint(len(payload)) + payload


def _split_float_data_model(first: int, second: int, loose: int) -> bytes:
    """An ONNX model whose initializer's `float_data` arrives as packed chunks of `first` and `second` values
    and `loose` values written unpacked between them (protobuf concatenates them all, onnx.load agrees)."""
    count = first + loose + second
    values = np.arange(count, dtype=np.float32) * 0.5 - 3.0
    tensor = helper.make_tensor("w", TensorProto.FLOAT, [first], values[:first].tolist())
    tensor.dims[:] = [count]
    tensor_bytes = tensor.SerializeToString()
    for value in values[first:first + loose]:
        tensor_bytes += encode_varint(4 << 3 | 5) + struct.pack("<f", value)
    tensor_bytes += _field(4, values[first + loose:].tobytes())
    node = helper.make_node("Relu", ["w"], ["y"])
    graph = helper.make_graph([node], "g", [], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [count])])
    graph_bytes = graph.SerializeToString() + _field(5, tensor_bytes)
    model = helper.make_model(helper.make_graph([], "", [], []), opset_imports=[helper.make_opsetid("", 13)])
    model.ClearField("graph")
    return model.SerializeToString() + _field(7, graph_bytes)


@pytest.mark.parametrize("first, second, loose", [(600, 500, 0), (3, 700, 0), (700, 3, 2), (2, 2, 1)])
def test_onnx_initializer_float_data_in_several_chunks(tmp_path, first, second, loose):
    path = tmp_path / "split.onnx"
    path.write_bytes(_split_float_data_model(first, second, loose))
    reference = numpy_helper.to_array(onnx.load(str(path)).graph.initializer[0])
    assert reference.shape == (first + second + loose,)  # onnx itself reads the chunks as one array
    graph = open_model(path).graphs[0]
    (tensor,) = list(graph.tensors())
    assert tensor.shape == reference.shape and graph.parameters() == reference.size
    np.testing.assert_array_equal(tensor.data(), reference)


def _non_ascii_model() -> onnx.ModelProto:
    node = helper.make_node("Relu", ["x"], ["y"], name="relu_é")
    graph = helper.make_graph([node], "gráph", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])])
    return helper.make_model(graph, producer_name="café")


@pytest.mark.parametrize("suffix", [".onnxtxt", ".txt"])
def test_onnx_text_format_with_non_ascii_strings(tmp_path, suffix):
    path = tmp_path / f"model{suffix}"
    path.write_text(text_format.MessageToString(_non_ascii_model(), as_utf8=True), encoding="utf-8")
    assert "café".encode() in path.read_bytes()
    model = open_model(path)
    assert model.producer == "café"
    assert model.graphs[0].name == "gráph"
    assert [node.name for node in model.graphs[0].nodes] == ["relu_é"]


def test_onnx_text_format_with_octal_escaped_utf8(tmp_path):
    path = tmp_path / "model.onnxtxt"
    text = text_format.MessageToString(_non_ascii_model(), as_utf8=True).encode("utf-8")
    path.write_bytes(b"".join(b"\\%03o" % byte if byte >= 128 else bytes([byte]) for byte in text))
    assert b"caf\\303\\251" in path.read_bytes()
    model = open_model(path)
    assert model.producer == "café" and model.graphs[0].name == "gráph"


def test_onnx_tensor_attribute_without_its_tensor(tmp_path):
    # onnx.load reads a TENSOR attribute whose `t` is left out (found by the fuzzer): no value, not a crash.
    node = helper.make_node("ConstantOfShape", ["shape"], ["y"])
    node.attribute.add(name="value", type=onnx.AttributeProto.TENSOR)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("shape", TensorProto.INT64, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    path = tmp_path / "no_tensor.onnx"
    onnx.save(helper.make_model(graph), str(path))
    assert not onnx.load(str(path)).graph.node[0].attribute[0].HasField("t")
    (loaded,) = open_model(path).graphs[0].nodes
    assert [(attribute.name, attribute.value) for attribute in loaded.attributes] == [("value", None)]
