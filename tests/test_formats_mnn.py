"""MNN reader: the corpus counts made by MNN itself, values checked against a generic reading of the same
FlatBuffer with the `flatbuffers` package, a Net written with the reference Builder for every weight kind,
and malformed copies that must fail with ModelError and nothing else."""

from __future__ import annotations

import random
from pathlib import Path

import flatbuffers
import numpy as np
import pytest
from flatbuffers.table import Table as FbTable
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CORPUS, assert_manifest_counts, cli_info, manifest_rows, require_corpus
from litenetron.codecs import flatbuffers as our_flatbuffers
from litenetron.formats import mnn, open_model, read_header
from litenetron.formats.schemas.mnn import ENUMS, TABLES, UNIONS
from litenetron.model import ModelError

ROWS = manifest_rows("mnn")
OP_CODES = {name: code for code, name in ENUMS["OpType"].items()}
PARAMETER = {name: code for code, name in enumerate(UNIONS["OpParameter"])}
DATA_TYPES = {"DT_FLOAT": 1, "DT_INT32": 3, "DT_HALF": 19}


def slot(table: str, name: str) -> int:
    """A field's vtable slot from the schema table; a union's value takes the slot after its type code."""
    index = 0
    for field in TABLES[table]:
        if field[0] == name:
            return index + (1 if field[1].startswith("union:") else 0)
        index += 2 if field[1].startswith("union:") else 1
    raise KeyError(name)


def slot_count(table: str) -> int:
    return sum(2 if field[1].startswith("union:") else 1 for field in TABLES[table])


@pytest.mark.parametrize("row", ROWS, ids=[row["path"] for row in ROWS])
def test_corpus_counts(row):
    require_corpus()
    info = cli_info(CORPUS / row["path"])
    assert info["format"] == "MNN" and info["producer"].startswith("MNN 3.6.1")
    assert_manifest_counts(info["graphs"][0], row)


# --- an independent reading of the corpus files with the flatbuffers package ----------------------------------

def _field(table: FbTable, slot_index: int) -> int:
    return table.Offset(4 + 2 * slot_index)


def _sub_table(table: FbTable, slot_index: int) -> FbTable:
    offset = _field(table, slot_index)
    return FbTable(table.Bytes, table.Indirect(table.Pos + offset))


def _ops(data: bytearray):
    root = FbTable(data, flatbuffers.encode.Get(flatbuffers.packer.uoffset, data, 0))
    oplists = _field(root, slot("Net", "oplists"))
    start, count = root.Vector(oplists), root.VectorLen(oplists)
    for index in range(count):
        yield FbTable(data, root.Indirect(start + 4 * index))


def _op_name(op: FbTable) -> str:
    offset = _field(op, slot("Op", "name"))
    return op.String(op.Pos + offset).decode() if offset else ""


def _vector_bytes(table: FbTable, slot_index: int, item: int) -> bytes:
    offset = _field(table, slot_index)
    start, count = table.Vector(offset), table.VectorLen(offset)
    return bytes(table.Bytes[start:start + count * item])


def test_conv_weights_match_a_generic_reading():
    require_corpus()
    path = CORPUS / "mnn" / "generated" / "squeezenet1_1.mnn"
    data = bytearray(path.read_bytes())
    conv = next(op for op in _ops(data) if op.Get(flatbuffers.number_types.Int32Flags,
                                                 op.Pos + _field(op, slot("Op", "type"))) == OP_CODES["Convolution"])
    parameter = _sub_table(conv, slot("Op", "main"))
    weight = np.frombuffer(_vector_bytes(parameter, slot("Convolution2D", "weight"), 4), dtype="<f4")
    bias = np.frombuffer(_vector_bytes(parameter, slot("Convolution2D", "bias"), 4), dtype="<f4")
    node = next(node for node in open_model(path).graphs[0].nodes if node.name == _op_name(conv))
    weights = {argument.name: value.initializer for argument, value in node.weights()}
    assert weights["weight"].shape == (64, 3, 3, 3) and weights["weight"].dtype == "float32"
    np.testing.assert_array_equal(weights["weight"].data().ravel(), weight)
    np.testing.assert_array_equal(weights["bias"].data(), bias)


def test_fp16_conv_weights_match_a_generic_reading():
    require_corpus()
    path = CORPUS / "mnn" / "generated" / "shufflenet_v2_x0_5_fp16.mnn"
    data = bytearray(path.read_bytes())
    model = open_model(path)
    nodes = {node.name: node for node in model.graphs[0].nodes}
    checked = 0
    for op in _ops(data):
        code = op.Get(flatbuffers.number_types.Int32Flags, op.Pos + _field(op, slot("Op", "type")))
        if code not in (OP_CODES["Convolution"], OP_CODES["ConvolutionDepthwise"]):
            continue
        parameter = _sub_table(op, slot("Op", "main"))
        quan = _sub_table(parameter, slot("Convolution2D", "quanParameter"))
        expected = np.frombuffer(_vector_bytes(quan, slot("IDSTQuan", "buffer"), 1), dtype="<f2")
        weight = dict((a.name, v.initializer) for a, v in nodes[_op_name(op)].weights())["weight"]
        assert weight.dtype == "float16" and weight.size == expected.size
        np.testing.assert_array_equal(weight.data().ravel(), expected)
        checked += 1
    assert checked == 57


def test_shapes_follow_from_the_input_through_conv_pool_and_flatten():
    """small_cnn: 3×32×32 → conv 3×3 pad 1 (16) → max-pool 2 → conv 3×3 pad 1 (32) → global pool → flatten;
    squeezenet1_1 ends in 1000 logits."""
    require_corpus()
    graph = open_model(CORPUS / "mnn" / "generated" / "small_cnn.mnn").graphs[0]
    shapes = [node.outputs[0].values[0].type.shape for node in graph.nodes[:7]]
    assert [node.type.name for node in graph.nodes[:7]] == [
        "ConvertTensor", "Convolution", "Pooling", "Convolution", "Pooling3D", "Flatten", "Reshape"]
    assert shapes == [(1, 3, 32, 32), (1, 16, 32, 32), (1, 16, 16, 16), (1, 32, 16, 16), (1, 32, 1, 1), (1, 32),
                      (1, 32, 1, 1)]  # the reshape's dims are a 4-value int32 constant
    squeezenet = open_model(CORPUS / "mnn" / "generated" / "squeezenet1_1.mnn").graphs[0]
    assert squeezenet.outputs[0].values[0].type.shape == (1, 1000)


# --- a Net written with the reference Builder ------------------------------------------------------------

WEIGHT32 = np.arange(6, dtype="<f4").reshape(2, 3, 1, 1) / 4
WEIGHT16 = (np.arange(4, dtype="<f2").reshape(2, 2, 1, 1) - 1.5).astype("<f2")
HALF_CONST = np.array([0.5, -2.0], dtype="<f2")
GAMMA, BETA = np.array([1.0, 2.0], dtype="<f4"), np.array([0.25, -0.25], dtype="<f4")
INT8_WEIGHTS, INT8_SCALES = np.array([-128, 5, 127, -3], dtype=np.int8), np.array([0.5, 2.0], dtype="<f4")
EXTERNAL_WEIGHT, EXTERNAL_BIAS = np.array([[1, 2], [3, 4]], dtype="<f4"), np.array([7, 8], dtype="<f4")


def build_net(external: bool = True, last_weight: np.ndarray = EXTERNAL_WEIGHT, int8_kind: int = 4,
              loop: bool = False) -> bytes:
    """data[1,3,4,4] → Convolution(fp32) → Convolution(fp16 quanParameter) → + half Const → LayerNorm →
    Convolution(int8 weight-only) → Convolution(external weights) → out."""
    builder = flatbuffers.Builder(4096)

    def floats(values):
        return builder.CreateNumpyVector(np.asarray(values, dtype="<f4").ravel())

    def ints(values):
        return builder.CreateNumpyVector(np.asarray(values, dtype="<i4"))

    def offsets(items):
        builder.StartVector(4, len(items), 4)
        for item in reversed(items):
            builder.PrependUOffsetTRelative(item)
        return builder.EndVector()

    def common(outputs, inputs):
        builder.StartObject(slot_count("Convolution2DCommon"))
        builder.PrependInt32Slot(slot("Convolution2DCommon", "outputCount"), outputs, 0)
        builder.PrependInt32Slot(slot("Convolution2DCommon", "inputCount"), inputs, 0)
        builder.PrependBoolSlot(slot("Convolution2DCommon", "relu"), True, False)
        return builder.EndObject()

    def conv(outputs, inputs, weight=None, quan=None, bias=None, external_range=None):
        common_offset = common(outputs, inputs)
        weight_offset = floats(weight) if weight is not None else None
        bias_offset = floats(bias) if bias is not None else None
        external_offset = builder.CreateNumpyVector(np.asarray(external_range, dtype="<i8")) \
            if external_range else None
        builder.StartObject(slot_count("Convolution2D"))
        builder.PrependUOffsetTRelativeSlot(slot("Convolution2D", "common"), common_offset, 0)
        if weight_offset:
            builder.PrependUOffsetTRelativeSlot(slot("Convolution2D", "weight"), weight_offset, 0)
        if bias_offset:
            builder.PrependUOffsetTRelativeSlot(slot("Convolution2D", "bias"), bias_offset, 0)
        if quan:
            builder.PrependUOffsetTRelativeSlot(slot("Convolution2D", "quanParameter"), quan, 0)
        if external_offset:
            builder.PrependUOffsetTRelativeSlot(slot("Convolution2D", "external"), external_offset, 0)
        return builder.EndObject()

    def quan(data: bytes, kind: int, alpha=None):
        buffer = builder.CreateNumpyVector(np.frombuffer(data, dtype=np.int8))
        alpha_offset = floats(alpha) if alpha is not None else None
        builder.StartObject(slot_count("IDSTQuan"))
        builder.PrependUOffsetTRelativeSlot(slot("IDSTQuan", "buffer"), buffer, 0)
        if alpha_offset:
            builder.PrependUOffsetTRelativeSlot(slot("IDSTQuan", "alpha"), alpha_offset, 0)
            builder.PrependFloat32Slot(slot("IDSTQuan", "quantScale"), 1.0, 0)
        builder.PrependInt32Slot(slot("IDSTQuan", "type"), kind, 0)
        builder.PrependInt32Slot(slot("IDSTQuan", "aMaxOrBits"), 8, 0)
        return builder.EndObject()

    def half_blob():
        dims, raw = ints([2]), builder.CreateNumpyVector(np.frombuffer(HALF_CONST.tobytes(), dtype=np.uint8))
        builder.StartObject(slot_count("Blob"))
        builder.PrependUOffsetTRelativeSlot(slot("Blob", "dims"), dims, 0)
        builder.PrependInt32Slot(slot("Blob", "dataType"), DATA_TYPES["DT_HALF"], 1)
        builder.PrependUOffsetTRelativeSlot(slot("Blob", "uint8s"), raw, 0)
        return builder.EndObject()

    def input_table():
        dims = ints([1, 3, 4, 4])
        builder.StartObject(slot_count("Input"))
        builder.PrependUOffsetTRelativeSlot(slot("Input", "dims"), dims, 0)
        return builder.EndObject()

    def layer_norm():
        gamma, beta, axis = floats(GAMMA), floats(BETA), ints([1])
        builder.StartObject(slot_count("LayerNorm"))
        builder.PrependUOffsetTRelativeSlot(slot("LayerNorm", "axis"), axis, 0)
        builder.PrependFloat32Slot(slot("LayerNorm", "epsilon"), 1e-5, 0)
        builder.PrependUOffsetTRelativeSlot(slot("LayerNorm", "gamma"), gamma, 0)
        builder.PrependUOffsetTRelativeSlot(slot("LayerNorm", "beta"), beta, 0)
        return builder.EndObject()

    def binary_add():
        builder.StartObject(slot_count("BinaryOp"))
        builder.PrependInt32Slot(slot("BinaryOp", "opType"), 0, 0)
        return builder.EndObject()

    def op(name, op_type, inputs, outputs, parameter_type=None, parameter=None):
        name_offset = builder.CreateString(name)
        inputs_offset, outputs_offset = ints(inputs), ints(outputs)
        builder.StartObject(slot_count("Op"))
        builder.PrependUOffsetTRelativeSlot(slot("Op", "inputIndexes"), inputs_offset, 0)
        if parameter is not None:
            builder.PrependUint8Slot(slot("Op", "main") - 1, PARAMETER[parameter_type], 0)
            builder.PrependUOffsetTRelativeSlot(slot("Op", "main"), parameter, 0)
        builder.PrependUOffsetTRelativeSlot(slot("Op", "name"), name_offset, 0)
        builder.PrependUOffsetTRelativeSlot(slot("Op", "outputIndexes"), outputs_offset, 0)
        builder.PrependInt32Slot(slot("Op", "type"), OP_CODES[op_type], 0)
        return builder.EndObject()

    ops = [
        op("data", "Input", [], [0], "Input", input_table()),
        op("conv32", "Convolution", [0], [1], "Convolution2D", conv(2, 3, WEIGHT32, bias=[0.5, 1.5])),
        op("conv16", "Convolution", [1], [2], "Convolution2D",
           conv(2, 2, quan=quan(WEIGHT16.tobytes(), 3), bias=[0.0, 0.0])),
        op("half", "Const", [], [3], "Blob", half_blob()),
        op("add", "BinaryOp", [2, 3], [4], "BinaryOp", binary_add()),
        op("norm", "LayerNorm", [4], [5], "LayerNorm", layer_norm()),
        op("convq", "Convolution", [5], [6], "Convolution2D",
           conv(2, 2, quan=quan(INT8_WEIGHTS.tobytes(), int8_kind, INT8_SCALES), bias=[1, 1])),
        op("convx", "Convolution", [6], [7], "Convolution2D",
           conv(2, 2, external_range=[0, EXTERNAL_WEIGHT.nbytes, EXTERNAL_BIAS.nbytes]) if external
           else conv(2, 2, last_weight, bias=EXTERNAL_BIAS)),
    ]
    tensor_names = ["data", "conv32", "conv16", "half", "add", "norm", "convq", "out"]
    subgraphs = None
    if loop:  # out → While(cond, body) → looped; the bodies are SubGraphProtos named by WhileParam
        cond_name, body_name = builder.CreateString("cond"), builder.CreateString("body")
        builder.StartObject(slot_count("WhileParam"))
        builder.PrependUOffsetTRelativeSlot(slot("WhileParam", "cond_graph"), cond_name, 0)
        builder.PrependUOffsetTRelativeSlot(slot("WhileParam", "body_graph"), body_name, 0)
        ops.append(op("loop", "While", [7], [8], "WhileParam", builder.EndObject()))
        tensor_names.append("looped")

        def subgraph(name, op_type, tensors):
            body_ops = offsets([op(f"{name}_op", op_type, [0], [1])])
            body_tensors = offsets([builder.CreateString(t) for t in tensors])
            name_offset, inputs, outputs = builder.CreateString(name), ints([0]), ints([1])
            builder.StartObject(slot_count("SubGraphProto"))
            builder.PrependUOffsetTRelativeSlot(slot("SubGraphProto", "name"), name_offset, 0)
            builder.PrependUOffsetTRelativeSlot(slot("SubGraphProto", "inputs"), inputs, 0)
            builder.PrependUOffsetTRelativeSlot(slot("SubGraphProto", "outputs"), outputs, 0)
            builder.PrependUOffsetTRelativeSlot(slot("SubGraphProto", "tensors"), body_tensors, 0)
            builder.PrependUOffsetTRelativeSlot(slot("SubGraphProto", "nodes"), body_ops, 0)
            return builder.EndObject()

        subgraphs = offsets([subgraph("body", "ReLU", ["x", "relu"]), subgraph("cond", "Sigmoid", ["x", "go"])])
    oplists = offsets(ops)
    names = offsets([builder.CreateString(name) for name in tensor_names])
    output_names = offsets([builder.CreateString("out")])
    version = builder.CreateString("3.6.1")
    builder.StartObject(slot_count("ExtraInfo"))
    builder.PrependUOffsetTRelativeSlot(slot("ExtraInfo", "version"), version, 0)
    extra = builder.EndObject()
    builder.StartObject(slot_count("Net"))
    builder.PrependUOffsetTRelativeSlot(slot("Net", "extraInfo"), extra, 0)
    builder.PrependUOffsetTRelativeSlot(slot("Net", "oplists"), oplists, 0)
    builder.PrependUOffsetTRelativeSlot(slot("Net", "outputName"), output_names, 0)
    builder.PrependInt8Slot(slot("Net", "sourceType"), 3, 0)
    builder.PrependUOffsetTRelativeSlot(slot("Net", "tensorName"), names, 0)
    if subgraphs:
        builder.PrependUOffsetTRelativeSlot(slot("Net", "subgraphs"), subgraphs, 0)
    builder.Finish(builder.EndObject())
    return bytes(builder.Output())


BLOBS = {  # DataType code → (Blob vector field, the values): types without a vector of their own use bytes
    1: ("float32s", np.array([[1.5, -2.0]], dtype="<f4")), 2: ("uint8s", np.array([0.25, 1e300], dtype="<f8")),
    3: ("int32s", np.array([-7, 9, 2 ** 31 - 1], dtype="<i4")), 4: ("uint8s", np.array([0, 255], dtype="u1")),
    5: ("uint8s", np.array([-300, 300], dtype="<i2")), 6: ("int8s", np.array([-128, 127], dtype="i1")),
    9: ("int64s", np.array([-(2 ** 40), 3], dtype="<i8")), 10: ("uint8s", np.array([True, False])),
    17: ("int8s", np.array([65535, 1], dtype="<u2")), 19: ("uint8s", np.array([0.5, -65504], dtype="<f2")),
}


def build_blobs() -> bytes:
    """One Const per BLOBS entry, all concatenated by one op."""
    builder = flatbuffers.Builder(1024)
    ops = []
    for index, (code, (field, values)) in enumerate(BLOBS.items()):
        dims = builder.CreateNumpyVector(np.asarray(values.shape, dtype="<i4"))
        natural = {"float32s": "<f4", "int32s": "<i4", "int64s": "<i8", "int8s": "i1", "uint8s": "u1"}[field]
        data = builder.CreateNumpyVector(np.frombuffer(values.tobytes(), dtype=natural))
        builder.StartObject(slot_count("Blob"))
        builder.PrependUOffsetTRelativeSlot(slot("Blob", "dims"), dims, 0)
        builder.PrependInt32Slot(slot("Blob", "dataType"), code, 1)
        builder.PrependUOffsetTRelativeSlot(slot("Blob", field), data, 0)
        blob = builder.EndObject()
        outputs = builder.CreateNumpyVector(np.array([index], dtype="<i4"))
        builder.StartObject(slot_count("Op"))
        builder.PrependUint8Slot(slot("Op", "main") - 1, PARAMETER["Blob"], 0)
        builder.PrependUOffsetTRelativeSlot(slot("Op", "main"), blob, 0)
        builder.PrependUOffsetTRelativeSlot(slot("Op", "outputIndexes"), outputs, 0)
        builder.PrependInt32Slot(slot("Op", "type"), OP_CODES["Const"], 0)
        ops.append(builder.EndObject())
    inputs = builder.CreateNumpyVector(np.arange(len(BLOBS), dtype="<i4"))
    outputs = builder.CreateNumpyVector(np.array([len(BLOBS)], dtype="<i4"))
    builder.StartObject(slot_count("Op"))
    builder.PrependUOffsetTRelativeSlot(slot("Op", "inputIndexes"), inputs, 0)
    builder.PrependUOffsetTRelativeSlot(slot("Op", "outputIndexes"), outputs, 0)
    builder.PrependInt32Slot(slot("Op", "type"), OP_CODES["Concat"], 0)
    ops.append(builder.EndObject())
    builder.StartVector(4, len(ops), 4)
    for item in reversed(ops):
        builder.PrependUOffsetTRelative(item)
    oplists = builder.EndVector()
    builder.StartObject(slot_count("Net"))
    builder.PrependUOffsetTRelativeSlot(slot("Net", "oplists"), oplists, 0)
    builder.Finish(builder.EndObject())
    return bytes(builder.Output())


def test_constant_blobs_of_every_data_type(tmp_path):
    path = tmp_path / "blobs.mnn"
    path.write_bytes(build_blobs())
    graph = open_model(path).graphs[0]
    assert graph.node_count() == 1 and graph.parameters() == sum(values.size for _, values in BLOBS.values())
    tensors = [value.initializer for value in (argument.values[0] for argument in graph.nodes[0].inputs)]
    for tensor, (code, (_, values)) in zip(tensors, BLOBS.items()):
        assert tensor.shape == values.shape and tensor.name == f"tensor{list(BLOBS).index(code)}"
        assert tensor.data().dtype == values.dtype, code
        np.testing.assert_array_equal(tensor.data(), values)


@pytest.fixture
def net_path(tmp_path):
    path = tmp_path / "tiny.mnn"
    path.write_bytes(build_net())
    path.with_name("tiny.mnn.weight").write_bytes(EXTERNAL_WEIGHT.tobytes() + EXTERNAL_BIAS.tobytes())
    return path


def _weights(node):
    return {argument.name: value.initializer for argument, value in node.weights()}


def test_tiny_net_structure(net_path):
    model = open_model(net_path)
    assert model.format == "MNN" and model.producer == "MNN 3.6.1 (from ONNX)"
    graph = model.graphs[0]
    assert [node.name for node in graph.nodes] == ["conv32", "conv16", "add", "norm", "convq", "convx"]
    assert graph.node_count() == 6  # Input and Const are not ops of their own
    assert graph.parameters() == 2 + (6 + 2) + (4 + 2) + (2 + 2) + (4 + 2) + (4 + 2)
    data = graph.inputs[0].values[0]
    assert data.name == "data" and data.type.shape == (1, 3, 4, 4) and data.type.dtype == "float32"
    assert [argument.values[0].name for argument in graph.outputs] == ["out"]
    conv32, conv16, add, norm, convq, convx = graph.nodes
    assert conv32.type.category == "Layer" and norm.type.category == "Normalization"
    assert [node.type.name for node in conv32.chain] == ["ReLU"]
    settings = {a.name: a.value for a in add.attributes}
    assert settings["opType"] == "ADD"
    assert {a.name: a.value for a in conv32.attributes}["outputCount"] == 2
    assert conv16.outputs[0].values[0] is add.inputs[0].values[0]  # edges meet by tensor index
    assert conv32.outputs[0].values[0].type.shape == (1, 2, 4, 4)  # 1×1 kernels keep the 4×4 plane


def test_tiny_net_weight_values(net_path):
    conv32, conv16, add, norm, convq, convx = open_model(net_path).graphs[0].nodes
    weights = _weights(conv32)
    assert weights["weight"].shape == (2, 3, 1, 1)
    np.testing.assert_array_equal(weights["weight"].data(), WEIGHT32)
    np.testing.assert_array_equal(weights["bias"].data(), [0.5, 1.5])
    fp16 = _weights(conv16)["weight"]
    assert fp16.dtype == "float16" and fp16.shape == (2, 2, 1, 1)
    np.testing.assert_array_equal(fp16.data(), WEIGHT16)
    half = _weights(add)["input1"]
    assert half.dtype == "float16" and half.shape == (2,)
    np.testing.assert_array_equal(half.data(), HALF_CONST)
    np.testing.assert_array_equal(_weights(norm)["gamma"].data(), GAMMA)
    np.testing.assert_array_equal(_weights(norm)["beta"].data(), BETA)
    external = _weights(convx)
    assert external["weight"].location == "tiny.mnn.weight"
    np.testing.assert_array_equal(external["weight"].data().reshape(2, 2), EXTERNAL_WEIGHT)
    np.testing.assert_array_equal(external["bias"].data(), EXTERNAL_BIAS)


def test_while_bodies_are_the_subgraphs_it_names(tmp_path):
    path = tmp_path / "loop.mnn"
    path.write_bytes(build_net(loop=True))
    model = open_model(path)
    assert len(model.graphs) == 1 and {graph.name for graph in model.functions} == {"body", "cond"}
    loop = model.graphs[0].nodes[-1]
    assert loop.type.name == "While" and loop.type.category == "Control"
    assert [graph.name for graph in loop.graphs] == ["cond", "body"]
    body = loop.graphs[1]
    assert [node.type.name for node in body.nodes] == ["ReLU"]
    assert [a.name for a in body.inputs] == ["x"] and [a.name for a in body.outputs] == ["relu"]
    assert body.nodes[0].inputs[0].values[0] is body.inputs[0].values[0]
    assert [argument.values[0].name for argument in model.graphs[0].outputs] == ["out"]


def test_weight_only_int8_is_dequantized_per_channel(net_path):
    convq = open_model(net_path).graphs[0].nodes[4]
    weight = _weights(convq)["weight"]
    assert weight.size == 4 and weight.layout == "quantized" and weight.shape == (2, 2, 1, 1)
    expected = (INT8_WEIGHTS.astype("f4").reshape(2, 2) * INT8_SCALES[:, None]).reshape(2, 2, 1, 1)
    np.testing.assert_array_equal(weight.data(), expected)


def test_sparse_int8_coding_is_honestly_not_decoded(tmp_path):
    path = tmp_path / "sparse.mnn"
    path.write_bytes(build_net(int8_kind=2))
    weight = _weights(open_model(path).graphs[0].nodes[4])["weight"]
    assert weight.size == 4
    with pytest.raises(ModelError, match="not decoded"):
        weight.data()


FIXTURES = Path(__file__).resolve().parent / "fixtures" / "mnn"


@pytest.mark.parametrize("name, bits, symmetric", [("conv_int8_asymmetric", 8, False), ("conv_int8_symmetric", 8, True),
                                                   ("conv_int4", 4, False)])
def test_converter_compressed_weights_decode_close_to_the_float_originals(name, bits, symmetric):
    """Files MNNConvert wrote with --weightQuantBits (fixtures/mnn/make_fixtures.py): every de-quantized
    weight lies within half a quantization step of the float weight it was made from."""
    originals = np.load(FIXTURES / "conv_float_weights.npz")
    references = {"c1": originals["c1"], "c2": originals["c2"],
                  "y__matmul_converted": originals["fc"].T.reshape(10, 216, 1, 1)}  # MatMul became a 1×1 conv
    nodes = {node.name: node for node in open_model(FIXTURES / f"{name}.mnn").graphs[0].nodes}
    for node_name, reference in references.items():
        weight = _weights(nodes[node_name])["weight"]
        assert weight.layout == "quantized" and weight.quantization["bits"] == bits
        values = weight.data()
        assert values.shape == reference.shape and values.dtype == np.float32
        rows = reference.reshape(reference.shape[0], -1)
        if symmetric:  # q·scale with scale = max|w| / (2^(bits-1) − 1)
            step = np.abs(rows).max(axis=1) / (2 ** (bits - 1) - 1)
        else:  # min + q·scale over the channel's range
            step = (rows.max(axis=1) - rows.min(axis=1)) / (2 ** bits - 1)
        assert weight.quantization["asymmetric"] is not symmetric
        error = np.abs(values - reference).reshape(reference.shape[0], -1).max(axis=1)
        assert (error <= step * 0.51 + 1e-6).all(), (node_name, error, step)


def test_external_weights_missing_or_short_is_a_clear_error(net_path):
    external = net_path.with_name("tiny.mnn.weight")
    external.write_bytes(external.read_bytes()[:-1])
    weights = _weights(open_model(net_path).graphs[0].nodes[5])
    np.testing.assert_array_equal(weights["weight"].data().reshape(2, 2), EXTERNAL_WEIGHT)
    with pytest.raises(ModelError, match=r"tiny\.mnn\.weight ends before the 8 bytes at offset 16"):
        weights["bias"].data()
    external.unlink()
    with pytest.raises(ModelError, match=r"tiny\.mnn\.weight"):
        weights["weight"].data()


def test_opening_reads_no_weight_bytes(tmp_path, monkeypatch):
    """A big inline convolution weight is left in place: opening copies none of it."""
    big = np.random.default_rng(0).standard_normal((64, 64, 32, 32)).astype("<f4")
    path = tmp_path / "big.mnn"
    path.write_bytes(build_net(external=False, last_weight=big))
    reads = []
    original = our_flatbuffers.VectorRef.tobytes
    monkeypatch.setattr(our_flatbuffers.VectorRef, "tobytes", lambda self: reads.append(self.count) or original(self))
    graph = open_model(path).graphs[0]
    assert reads == []
    weight = _weights(graph.nodes[5])["weight"]
    assert weight.size == big.size
    np.testing.assert_array_equal(weight.data().ravel(), big.ravel())
    assert reads == [big.size]


# --- detection and malformed input ------------------------------------------------------------------------

def test_other_flatbuffers_and_files_are_not_claimed():
    require_corpus()
    others = [CORPUS / row["path"] for row in manifest_rows() if row["format"] != "mnn"]
    claimed = [path for path in others if path.is_file() and mnn.match(path, read_header(path))]
    assert claimed == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=0, max_size=256))
def test_match_never_raises_on_junk(tmp_path, junk):
    path = tmp_path / "junk.mnn"
    path.write_bytes(junk)
    assert mnn.match(path, junk) in (True, False)


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


def test_truncated_and_corrupted_copies_fail_cleanly(net_path, tmp_path):
    data = net_path.read_bytes()
    rng = random.Random(5)
    broken = tmp_path / "broken.mnn"
    for cut in range(8, len(data), max(1, len(data) // 97)):
        broken.write_bytes(data[:cut])
        _open_or_model_error(broken)
    for _ in range(300):
        mutant = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            mutant[rng.randrange(len(mutant))] = rng.randrange(256)
        broken.write_bytes(bytes(mutant))
        _open_or_model_error(broken)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_random_overwrites_of_a_corpus_file_fail_cleanly(tmp_path, data):
    require_corpus()
    seed = (CORPUS / "mnn" / "generated" / "small_cnn.mnn").read_bytes()
    position = data.draw(st.integers(0, len(seed) - 1))
    patch = data.draw(st.binary(min_size=1, max_size=16))
    path = tmp_path / "mutant.mnn"
    path.write_bytes(seed[:position] + patch + seed[position + len(patch):])
    _open_or_model_error(path)


def test_open_dialog_offers_mnn_files():
    from litenetron.app.window import file_types

    assert ("MNN", "*.mnn") in file_types() and "*.mnn" in file_types()[0][1].split()
    assert mnn.EXTENSIONS == (".mnn",) and mnn.NAME == "MNN"
