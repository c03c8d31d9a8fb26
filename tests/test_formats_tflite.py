"""TensorFlow Lite reader: a model written with the reference `flatbuffers` Builder, and the corpus counts
checked against a generic reading of the same tables with the `flatbuffers` package."""

from __future__ import annotations

import flatbuffers
import flatbuffers.flexbuffers as flexbuffers
import numpy as np
import pytest
from flatbuffers.table import Table as FbTable

from conftest import CORPUS, REPO, assert_manifest_counts, cli_info, manifest_rows, require_corpus
from litenetron.formats import open_model
from litenetron.formats.schemas.tflite import BUILTIN_OPERATORS, TABLES, UNIONS
from litenetron.model import ModelError


def slot(table: str, name: str) -> int:
    """A field's vtable slot from our schema table (unions take two slots)."""
    index = 0
    for field in TABLES[table]:
        if field[0] == name:
            return index + (1 if field[1].startswith("union:") else 0)
        index += 2 if field[1].startswith("union:") else 1
    raise KeyError(name)


def _vector(builder, items):
    builder.StartVector(4, len(items), 4)
    for item in reversed(items):
        builder.PrependUOffsetTRelative(item)
    return builder.EndVector()


def _ints(builder, values, dtype="<i4"):
    return builder.CreateNumpyVector(np.array(values, dtype=dtype))


WEIGHTS = np.arange(12, dtype="<f4").reshape(3, 4)
EXTERNAL = np.array([5, 6, 7], dtype="<i4")


def build_model(external_offset: int = 0) -> bytes:
    """One subgraph: x[?,4] -FULLY_CONNECTED(W, fused RELU6)-> y[?,3] -GELU-> z, then a custom op with options."""
    builder = flatbuffers.Builder(4096)
    ops = {name: BUILTIN_OPERATORS.index(name) for name in ("FULLY_CONNECTED", "GELU", "CUSTOM")}

    def opcode(code, custom=None):
        custom_name = builder.CreateString(custom) if custom else None
        builder.StartObject(4)
        builder.PrependInt8Slot(slot("OperatorCode", "deprecated_builtin_code"), min(code, 127), 0)
        builder.PrependInt32Slot(slot("OperatorCode", "builtin_code"), code, 0)
        if custom_name:
            builder.PrependUOffsetTRelativeSlot(slot("OperatorCode", "custom_code"), custom_name, 0)
        return builder.EndObject()

    codes = _vector(builder, [opcode(ops["FULLY_CONNECTED"]), opcode(ops["GELU"]), opcode(ops["CUSTOM"], "MyOp")])

    def tensor(name, shape, buffer, signature=None, scale=None):
        name_offset = builder.CreateString(name)
        shape_offset = _ints(builder, shape)
        signature_offset = _ints(builder, signature) if signature else None
        quantization = None
        if scale is not None:
            scales = builder.CreateNumpyVector(np.array([scale], dtype="<f4"))
            zeros = builder.CreateNumpyVector(np.array([-3], dtype="<i8"))
            builder.StartObject(7)
            builder.PrependUOffsetTRelativeSlot(slot("QuantizationParameters", "scale"), scales, 0)
            builder.PrependUOffsetTRelativeSlot(slot("QuantizationParameters", "zero_point"), zeros, 0)
            quantization = builder.EndObject()
        builder.StartObject(len(TABLES["Tensor"]))
        builder.PrependUOffsetTRelativeSlot(slot("Tensor", "shape"), shape_offset, 0)
        builder.PrependInt8Slot(slot("Tensor", "type"), 0, 0)
        builder.PrependUint32Slot(slot("Tensor", "buffer"), buffer, 0)
        builder.PrependUOffsetTRelativeSlot(slot("Tensor", "name"), name_offset, 0)
        if quantization:
            builder.PrependUOffsetTRelativeSlot(slot("Tensor", "quantization"), quantization, 0)
        if signature_offset:
            builder.PrependUOffsetTRelativeSlot(slot("Tensor", "shape_signature"), signature_offset, 0)
        return builder.EndObject()

    tensors = _vector(builder, [
        tensor("x", [1, 4], 0, signature=[-1, 4], scale=0.5), tensor("W", [3, 4], 1), tensor("y", [1, 3], 0),
        tensor("z", [1, 3], 0), tensor("ext", [3], 2), tensor("out", [1], 0)])

    builder.StartObject(len(TABLES["FullyConnectedOptions"]))
    builder.PrependInt8Slot(slot("FullyConnectedOptions", "fused_activation_function"), 3, 0)  # RELU6
    builder.PrependBoolSlot(slot("FullyConnectedOptions", "keep_num_dims"), True, False)
    fc_options = builder.EndObject()
    flex = flexbuffers.Dumps({"window": 3, "mode": "fast"})
    custom_options = builder.CreateNumpyVector(np.frombuffer(flex, dtype=np.uint8))

    def operator(index, inputs, outputs, options_type=0, options=None, custom=None):
        inputs_offset, outputs_offset = _ints(builder, inputs), _ints(builder, outputs)
        builder.StartObject(16)
        builder.PrependUint32Slot(slot("Operator", "opcode_index"), index, 0)
        builder.PrependUOffsetTRelativeSlot(slot("Operator", "inputs"), inputs_offset, 0)
        builder.PrependUOffsetTRelativeSlot(slot("Operator", "outputs"), outputs_offset, 0)
        if options:
            builder.PrependUint8Slot(slot("Operator", "builtin_options") - 1, options_type, 0)
            builder.PrependUOffsetTRelativeSlot(slot("Operator", "builtin_options"), options, 0)
        if custom:
            builder.PrependUOffsetTRelativeSlot(slot("Operator", "custom_options"), custom, 0)
        return builder.EndObject()

    fc_type = UNIONS["BuiltinOptions"].index("FullyConnectedOptions")
    operators = _vector(builder, [operator(0, [0, 1, -1], [2], fc_type, fc_options), operator(1, [2], [3]),
                                  operator(2, [3, 4], [5], custom=custom_options)])
    subgraph_name = builder.CreateString("main")
    inputs, outputs = _ints(builder, [0]), _ints(builder, [5])
    builder.StartObject(6)
    builder.PrependUOffsetTRelativeSlot(slot("SubGraph", "tensors"), tensors, 0)
    builder.PrependUOffsetTRelativeSlot(slot("SubGraph", "inputs"), inputs, 0)
    builder.PrependUOffsetTRelativeSlot(slot("SubGraph", "outputs"), outputs, 0)
    builder.PrependUOffsetTRelativeSlot(slot("SubGraph", "operators"), operators, 0)
    builder.PrependUOffsetTRelativeSlot(slot("SubGraph", "name"), subgraph_name, 0)
    subgraphs = _vector(builder, [builder.EndObject()])

    def buffer(data=None, offset=0, size=0):
        data_offset = builder.CreateNumpyVector(np.frombuffer(data, dtype=np.uint8)) if data else None
        builder.StartObject(3)
        if data_offset:
            builder.PrependUOffsetTRelativeSlot(slot("Buffer", "data"), data_offset, 0)
        builder.PrependUint64Slot(slot("Buffer", "offset"), offset, 0)
        builder.PrependUint64Slot(slot("Buffer", "size"), size, 0)
        return builder.EndObject()

    buffers = _vector(builder, [buffer(), buffer(WEIGHTS.tobytes()), buffer(offset=external_offset,
                                                                           size=EXTERNAL.nbytes),
                                buffer(b"1.5.0")])
    meta_name = builder.CreateString("min_runtime_version")
    builder.StartObject(2)
    builder.PrependUOffsetTRelativeSlot(slot("Metadata", "name"), meta_name, 0)
    builder.PrependUint32Slot(slot("Metadata", "buffer"), 3, 0)
    metadata = _vector(builder, [builder.EndObject()])
    description = builder.CreateString("built by a test")
    builder.StartObject(len(TABLES["Model"]))
    builder.PrependUint32Slot(slot("Model", "version"), 3, 0)
    builder.PrependUOffsetTRelativeSlot(slot("Model", "operator_codes"), codes, 0)
    builder.PrependUOffsetTRelativeSlot(slot("Model", "subgraphs"), subgraphs, 0)
    builder.PrependUOffsetTRelativeSlot(slot("Model", "description"), description, 0)
    builder.PrependUOffsetTRelativeSlot(slot("Model", "buffers"), buffers, 0)
    builder.PrependUOffsetTRelativeSlot(slot("Model", "metadata"), metadata, 0)
    builder.Finish(builder.EndObject(), file_identifier=b"TFL3")
    return bytes(builder.Output())


@pytest.fixture
def model_path(tmp_path):
    size = len(build_model(external_offset=1 << 20))  # offsets are fixed-size: the layout does not change
    offset = (size + 15) // 16 * 16
    data = build_model(external_offset=offset)
    assert len(data) == size
    path = tmp_path / "tiny.tflite"
    path.write_bytes(data + b"\0" * (offset - size) + EXTERNAL.tobytes())
    return path


def test_tiny_model(model_path):
    model = open_model(model_path)
    assert model.format == "TensorFlow Lite v3" and model.description == "built by a test"
    assert ("min_runtime_version", "1.5.0") in model.metadata
    graph = model.graphs[0]
    assert [node.type.name for node in graph.nodes] == ["FullyConnected", "Gelu", "MyOp"]
    assert graph.node_count() == 3
    assert graph.parameters() == WEIGHTS.size + EXTERNAL.size
    fc, gelu, custom = graph.nodes
    assert [a.name for a in fc.inputs] == ["input", "weights"]  # the optional bias (-1) is left out
    assert [c.type.name for c in fc.chain] == ["Relu6"]
    settings = {a.name: a.value for a in fc.attributes}
    assert settings["fused_activation_function"] == "RELU6" and settings["keep_num_dims"] is True
    weights = fc.inputs[1].values[0].initializer
    np.testing.assert_array_equal(weights.data(), WEIGHTS)
    x = graph.inputs[0].values[0]
    assert x.type.shape == (None, 4) and x.type.dtype == "float32"
    assert x.description == "x = 0.5 · (q + 3)"
    external = custom.inputs[1].values[0].initializer
    np.testing.assert_array_equal(external.data().view("<i4"), EXTERNAL)
    assert {a.name: a.value for a in custom.attributes} == {"window": 3, "mode": "fast"}
    assert custom.type.category == "Custom"


def test_cli_counts_tiny_model(model_path):
    graph = cli_info(model_path)["graphs"][0]
    assert graph["nodes"] == 3 and graph["parameters"] == 15
    assert graph["inputs"][0]["shape"] == ["?", 4]


def test_truncated_model_is_an_error(model_path):
    data = model_path.read_bytes()
    broken = model_path.with_name("broken.tflite")
    broken.write_bytes(data[:len(data) // 3])
    with pytest.raises(ModelError):
        open_model(broken)


def _generic_counts(path):
    """Independent count with the `flatbuffers` package: slot numbers only, no schema code of ours."""
    data = bytearray(path.read_bytes())

    root = FbTable(data, flatbuffers.encode.Get(flatbuffers.packer.uoffset, data, 0))

    def vector_tables(table, slot_index):
        offset = table.Offset(4 + 2 * slot_index)
        if not offset:
            return []
        start = table.Vector(offset)
        return [FbTable(data, table.Indirect(start + 4 * i)) for i in range(table.VectorLen(offset))]

    def vector_ints(table, slot_index):
        offset = table.Offset(4 + 2 * slot_index)
        if not offset:
            return []
        start = table.Vector(offset)
        return [flatbuffers.encode.Get(flatbuffers.packer.int32, data, start + 4 * i)
                for i in range(table.VectorLen(offset))]

    def scalar(table, slot_index, packer, default=0):
        offset = table.Offset(4 + 2 * slot_index)
        return table.Get(packer, table.Pos + offset) if offset else default

    buffers = vector_tables(root, 4)
    subgraph = vector_tables(root, 2)[0]
    nodes = len(vector_tables(subgraph, 3))
    parameters = 0
    for tensor in vector_tables(subgraph, 0):
        index = scalar(tensor, 2, flatbuffers.number_types.Uint32Flags)
        if 0 < index < len(buffers):
            buffer = buffers[index]
            data_offset = buffer.Offset(4)
            has_data = bool(data_offset and buffer.VectorLen(data_offset)) or \
                scalar(buffer, 1, flatbuffers.number_types.Uint64Flags) > 1
            if has_data:
                parameters += int(np.prod(vector_ints(tensor, 0), dtype=np.int64))
    return nodes, parameters


@pytest.mark.corpus
@pytest.mark.parametrize("row", manifest_rows("tflite"), ids=lambda row: row["path"])
def test_corpus_counts(row):
    corpus = require_corpus()
    path = corpus / row["path"]
    graph = open_model(path).graphs[0]
    assert_manifest_counts(graph, row)
    assert (graph.node_count(), graph.parameters()) == _generic_counts(path)


@pytest.mark.corpus
def test_corpus_weights_decode():
    require_corpus()
    path = CORPUS / "tflite" / "generated" / "mobilenet_v2_035_96_int8.tflite"
    model = open_model(path)
    conv = model.graphs[0].nodes[1]
    assert conv.type.name == "Conv2D" and [c.type.name for c in conv.chain] == ["Relu6"]
    weights = dict((a.name, v.initializer) for a, v in conv.weights())
    array = weights["filter"].data()
    assert array.dtype == np.int8 and array.shape == weights["filter"].shape
    assert weights["filter"].quantization["axis"] == 0 and len(weights["filter"].quantization["scale"]) == 16


@pytest.mark.corpus
def test_corpus_custom_options():
    require_corpus()
    micro = CORPUS / "tflite" / "tensorflow__tflite-micro"
    nodes = open_model(micro / "audio_preprocessor_int8.tflite").graphs[0].nodes
    rfft = next(node for node in nodes if node.type.name == "SignalRfft")
    assert {a.name: a.value for a in rfft.attributes}["fft_length"] == 512  # decoded FlexBuffers map
    vela = open_model(micro / "person_detect_vela.tflite").graphs[0].nodes[0]
    assert vela.type.name == "ethos-u" and isinstance(vela.attributes[0].value, bytes)


def test_signature_tensor_without_a_name():
    # Found by the fuzzer: a corpus model whose signature input TensorMap lost its (optional) name field.
    path = REPO / "tests" / "fixtures" / "tflite" / "signature_tensor_without_name.tflite"
    model = open_model(path)
    assert ("signature serving_default", "subgraph 0: (?) -> (y)") in model.metadata
