"""TNN reader: .tnnproto text, .tnnmodel resources (our own encoder), corpus counts."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from conftest import CORPUS, assert_manifest_counts, cli_info, manifest_rows, output_values, require_corpus
from litenetron.formats import open_model
from litenetron.formats.tnn import parse_proto, read_resources
from litenetron.model import ModelError

PROTO = """\
"1 4 1 4206624770 ,"
"input 1 3 8 8 ,"
" conv1 input prelu1 fc ,"
"fc ,"
" 3 ,"
"Convolution conv1 1 1 input conv1 1 3 4 3 3 1 1 1 1 1 -1 1 1 ,"
"PReLU prelu1 1 1 conv1 prelu1 0 0 ,"
"InnerProduct fc 1 1 prelu1 fc 2 1 0 1 ,"
"""


def _string(text: str) -> bytes:
    return struct.pack("<i", len(text)) + text.encode()


def _raw(array: np.ndarray, magic: int = 0xFABC0002) -> bytes:
    code = {"float32": 0, "float16": 1, "int8": 2, "int32": 3}[array.dtype.name]
    blob = struct.pack("<Iii", magic, code, array.nbytes)
    if magic == 0xFABC0004:
        blob += struct.pack("<i", array.ndim) + struct.pack(f"<{array.ndim}i", *array.shape)
    return blob + array.tobytes()


WEIGHT = np.arange(4 * 3 * 3 * 3, dtype="float32").reshape(4, 3, 3, 3)
BIAS = np.array([1, 2, 3, 4], dtype="float32")
SLOPE = np.array([0.5] * 4, dtype="float16")
FC = np.arange(2 * 256, dtype="float32").reshape(2, 256)
FC_BIAS = np.array([7, 8], dtype="float32")


def _write(folder, magic=0xFABC0002, layers=None):
    (folder / "net.tnnproto").write_text(PROTO)
    blob = struct.pack("<Ii", magic, 3)
    blob += struct.pack("<i", 6) + _string("Convolution") + _string("conv1") + _string("conv1")
    blob += struct.pack("<i", 1) + _raw(WEIGHT, magic) + _raw(BIAS, magic)
    blob += struct.pack("<i", 23) + _string("PReLU") + _string("prelu1") + _string("prelu1") + _raw(SLOPE, magic)
    blob += struct.pack("<i", 15) + _string("InnerProduct") + _string("fc") + _string("fc")
    blob += _raw(FC, magic) + _raw(FC_BIAS, magic)
    (folder / "net.tnnmodel").write_bytes(blob)
    return folder / "net.tnnproto"


def test_parse_proto():
    inputs, outputs, layers, declared = parse_proto(PROTO)
    assert inputs == [("input", (1, 3, 8, 8), None)]
    assert outputs == ["fc"] and declared == 3
    assert [(layer.type, layer.inputs, layer.outputs) for layer in layers] == [
        ("Convolution", ["input"], ["conv1"]), ("PReLU", ["conv1"], ["prelu1"]), ("InnerProduct", ["prelu1"], ["fc"])]


def test_proto_alone(tmp_path):
    path = tmp_path / "net.tnnproto"
    path.write_text(PROTO)
    graph = open_model(path).graphs[0]
    assert graph.node_count() == 3 and graph.parameters() == 0
    conv = graph.nodes[0]
    settings = {a.name: a.value for a in conv.attributes}
    assert settings["output_channel"] == 4 and settings["kernel_h"] == 3 and settings["pad_type"] == -1
    assert graph.inputs[0].values[0].type.shape == (1, 3, 8, 8)
    shapes = [node.outputs[0].values[0].type.shape for node in graph.nodes]
    assert shapes == [(1, 4, 8, 8), (1, 4, 8, 8), (1, 2, 1, 1)]


@pytest.mark.parametrize("line, shape", [
    ('"Pooling p 1 1 input p 0 3 3 2 2 0 0 -1 -1 -1 1 ,"', (1, 3, 4, 4)),  # explicit pads, ceil mode
    ('"Pooling p 1 1 input p 1 0 0 1 1 0 0 -1 -1 0 0 ,"', (1, 3, 1, 1)),  # global
    ('"Convolution p 1 1 input p 1 3 6 3 3 2 2 0 0 1 0 1 1 1 ,"', (1, 6, 4, 4)),  # SAME padding
    ('"Convolution p 1 1 input p 1 3 6 3 3 2 2 0 0 1 1 1 1 0 ,"', (1, 6, 3, 3)),  # VALID padding
    ('"Reshape p 1 1 input p 0 4 4 0 -1 1 1 0 ,"', (1, 192, 1, 1)),
    ('"Permute p 1 1 input p 4 0 2 3 1 ,"', (1, 8, 8, 3)),
    ('"StridedSlice p 1 1 input p 4 0 1 0 0 4 0 3 0 0 4 1 1 1 1 ,"', (1, 2, 8, 8)),
    ('"Upsample p 1 1 input p 1 0 0 0 16 16 ,"', (1, 3, 16, 16)),
])
def test_shape_inference(tmp_path, line, shape):
    path = tmp_path / "one.tnnproto"
    path.write_text('"1 2 1 4206624770 ,"\n"input 1 3 8 8 ,"\n" input p ,"\n"p ,"\n" 1 ,"\n' + line + "\n")
    graph = open_model(path).graphs[0]
    assert graph.nodes[0].outputs[0].values[0].type.shape == shape


@pytest.mark.parametrize("magic", [0xFABC0002, 0xFABC0004])
def test_model_resources_are_lazy_and_shaped(tmp_path, magic):
    proto = _write(tmp_path, magic)
    for path in (proto, tmp_path / "net.tnnmodel"):
        graph = open_model(path).graphs[0]
        assert graph.parameters() == WEIGHT.size + BIAS.size + SLOPE.size + FC.size + FC_BIAS.size
        weights = {(node.name, a.name): v.initializer for node in graph.nodes for a, v in node.weights()}
        assert weights[("conv1", "weight")].shape == (4, 3, 3, 3)
        np.testing.assert_array_equal(weights[("conv1", "weight")].data(), WEIGHT)
        np.testing.assert_array_equal(weights[("conv1", "bias")].data(), BIAS)
        assert weights[("prelu1", "slope")].dtype == "float16"
        assert weights[("fc", "weight")].shape == (2, 256)
        np.testing.assert_array_equal(weights[("fc", "bias")].data(), FC_BIAS)


def test_truncated_model_is_an_error(tmp_path):
    _write(tmp_path)
    model = tmp_path / "net.tnnmodel"
    model.write_bytes(model.read_bytes()[:-10])
    with pytest.raises(ModelError):
        open_model(tmp_path / "net.tnnproto")
    with pytest.raises((ModelError, ValueError)):
        read_resources(model)


def _layer_lines(path):
    """Independent count: quoted lines after the five header lines that name a layer."""
    lines = [line.strip().strip('"').strip(" ,") for line in path.read_text().splitlines() if line.strip()]
    return sum(1 for line in lines[5:] if line)


@pytest.mark.corpus
@pytest.mark.parametrize("row", manifest_rows("tnn"), ids=lambda row: row["path"])
def test_corpus_counts(row):
    corpus = require_corpus()
    path = corpus / row["path"]
    graph = open_model(path).graphs[0]
    assert_manifest_counts(graph, row)
    assert graph.node_count() == _layer_lines(path.with_suffix(".tnnproto"))
    assert all(value.type is not None for value in output_values(graph))


@pytest.mark.corpus
def test_cli_with_model():
    require_corpus()
    path = CORPUS / "tnn" / "mingquanyuan__Ultra-Fast-Face-Detector-1MB" / "faceDetector_mobile.opt.tnnproto"
    graph = cli_info(path)["graphs"][0]
    assert graph["nodes"] == 126
    # Float32 weights fill the file but for the per-layer headers.
    assert 0 < graph["parameters"] * 4 < path.with_suffix(".tnnmodel").stat().st_size
    assert graph["inputs"][0]["shape"] == [1, 3, 240, 320]


def test_model_without_proto_is_a_clear_error(tmp_path):
    _write(tmp_path)
    (tmp_path / "net.tnnproto").unlink()
    with pytest.raises(ModelError, match="net.tnnproto beside them"):
        open_model(tmp_path / "net.tnnmodel")


PROTO_V2 = PROTO.replace("4206624770", "4206624772").replace('"input 1 3 8 8 ,"', '"input 4 1 3 8 8 0 ,"')


@pytest.mark.parametrize("magic", [0xFABC0002, 0xFABC0004])
def test_newer_proto_header_with_both_model_versions(tmp_path, magic):
    # Many published models carry the newer header magic 4206624772: inputs list rank, dims and a dtype code.
    proto = _write(tmp_path, magic)
    proto.write_text(PROTO_V2)
    assert parse_proto(PROTO_V2)[0] == [("input", (1, 3, 8, 8), "float32")]
    graph = open_model(proto).graphs[0]
    assert [value.type.shape for argument in graph.inputs for value in argument.values] == [(1, 3, 8, 8)]
    assert [node.name for node in graph.nodes] == ["conv1", "prelu1", "fc"]
    assert graph.parameters() == WEIGHT.size + BIAS.size + SLOPE.size + FC.size + FC_BIAS.size
    weights = {(node.name, a.name): v.initializer for node in graph.nodes for a, v in node.weights()}
    np.testing.assert_array_equal(weights[("conv1", "weight")].data(), WEIGHT)


def test_input_dims_follow_the_header_version():
    # A version 1 input whose batch is 2 is not a rank: "input 2 3 8 8" is 2×3×8×8.
    assert parse_proto(PROTO.replace("input 1 3 8 8", "input 2 3 8 8"))[0] == [("input", (2, 3, 8, 8), None)]
    two_inputs = PROTO_V2.replace('"input 4 1 3 8 8 0 ,"', '"input 2 1 80000 0 : mask 0 3 ,"')
    assert parse_proto(two_inputs)[0] == [("input", (1, 80000), "float32"), ("mask", (), "int32")]
