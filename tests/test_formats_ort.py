"""ONNX Runtime `.ort` reader: a session written with the reference `flatbuffers` Builder, the corpus counts, and
the corpus initializers checked against a generic reading of the same tables with the `flatbuffers` package."""

from __future__ import annotations

import math
import struct

import flatbuffers
import numpy as np
import pytest
from flatbuffers.table import Table as FbTable
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CORPUS, assert_manifest_counts, cli_info, manifest_rows, require_corpus
from litenetron.codecs.binary import BinaryError
from litenetron.codecs.flatbuffers import FlatBufferError, Reader
from litenetron.formats import open_model, ort
from litenetron.formats.schemas.ort import TABLES, UNIONS
from litenetron.model import ModelError

ROWS = manifest_rows("ort")

_PREPEND = {"bool": "PrependBoolSlot", "byte": "PrependInt8Slot", "ubyte": "PrependUint8Slot",
            "int": "PrependInt32Slot", "uint": "PrependUint32Slot", "long": "PrependInt64Slot",
            "ulong": "PrependUint64Slot", "float": "PrependFloat32Slot"}

def open_strictly(path):
    """Open with the family module itself: a bad file may raise ModelError or a codec's decode error, and
    nothing else (open_model would wrap our bugs as ModelError and hide them)."""
    try:
        return ort.read(path)
    except (ModelError, BinaryError, FlatBufferError, struct.error):
        return None


def slot(table: str, name: str) -> int:
    index = 0
    for field in TABLES[table]:
        if field[0] == name:
            return index + (1 if field[1].startswith("union:") else 0)
        index += 2 if field[1].startswith("union:") else 1
    raise KeyError(name)


class Writer:
    """Builds tables of our schema names with the reference Builder (values: offsets or scalars)."""

    def __init__(self):
        self.builder = flatbuffers.Builder(1 << 16)

    def string(self, text):
        return self.builder.CreateString(text)

    def strings(self, texts):
        return self.offsets([self.string(t) for t in texts])

    def offsets(self, items):
        self.builder.StartVector(4, len(items), 4)
        for item in reversed(items):
            self.builder.PrependUOffsetTRelative(item)
        return self.builder.EndVector()

    def numbers(self, values, dtype):
        return self.builder.CreateNumpyVector(np.asarray(values, dtype=dtype))

    def table(self, table_name, **fields):
        types = {field[0]: field[1] for field in TABLES[table_name]}
        self.builder.StartObject(sum(2 if t.startswith("union:") else 1 for t in types.values()))
        for key, value in fields.items():
            kind = types[key]
            if kind.startswith("union:"):
                code, member = value
                self.builder.PrependUint8Slot(slot(table_name, key) - 1, code, 0)
                self.builder.PrependUOffsetTRelativeSlot(slot(table_name, key), member, 0)
            elif kind in _PREPEND:
                getattr(self.builder, _PREPEND[kind])(slot(table_name, key), value, not value)
            else:
                self.builder.PrependUOffsetTRelativeSlot(slot(table_name, key), value, 0)
        return self.builder.EndObject()


W = np.arange(6, dtype="<f4").reshape(2, 3)
BIG = np.linspace(-1, 1, 1000).astype("<f2")
SHAPE = np.array([3, -1], dtype="<i8")
SPARSE_VALUES = np.array([1.5, -2.5, 3.5], dtype="<f4")
SPARSE_INDICES = np.array([1, 4, 9], dtype="<i8")


def build_session() -> bytes:
    w = Writer()

    def tensor(name, array=None, dtype_code=1, strings=None):
        fields = {"name": w.string(name), "data_type": dtype_code}
        shape = array.shape if array is not None else (len(strings),)
        fields["dims"] = w.numbers(shape, "<i8")
        if strings is not None:
            fields["string_data"] = w.strings(strings)
        else:
            fields["raw_data"] = w.numbers(np.frombuffer(array.tobytes(), dtype=np.uint8), np.uint8)
        return w.table("Tensor", **fields)

    def value_info(name, elem_type, dims):
        dim_tables = []
        for dim in dims:
            if isinstance(dim, str):
                value = w.table("DimensionValue", dim_type=2, dim_param=w.string(dim))
            else:
                value = w.table("DimensionValue", dim_type=1, dim_value=dim)
            dim_tables.append(w.table("Dimension", value=value))
        shape = w.table("Shape", dim=w.offsets(dim_tables))
        tensor_type = w.table("TensorTypeAndShape", elem_type=elem_type, shape=shape)
        type_info = w.table("TypeInfo", value=(1, tensor_type))
        return w.table("ValueInfo", name=w.string(name), type=type_info)

    def node(index, op, inputs, outputs, attributes=(), domain="", name=""):
        return w.table("Node", name=w.string(name or f"{op}_{index}"), domain=w.string(domain), since_version=13,
                       index=index, op_type=w.string(op), execution_provider_type=w.string("CPUExecutionProvider"),
                       inputs=w.strings(inputs), outputs=w.strings(outputs), attributes=w.offsets(list(attributes)))

    # the If body: one Identity node
    body = w.table("Graph", nodes=w.offsets([node(0, "Identity", ["y"], ["z"])]), inputs=w.strings([]),
                   outputs=w.strings(["z"]))
    attributes = [
        w.table("Attribute", name=w.string("then_branch"), type=5, g=body),
        w.table("Attribute", name=w.string("alpha"), type=1, f=0.25),
        w.table("Attribute", name=w.string("perm"), type=7, ints=w.numbers([0, 2, 1], "<i8")),
        w.table("Attribute", name=w.string("mode"), type=3, s=w.string("linear")),
    ]
    nodes = [node(0, "MatMul", ["x", "W"], ["y"], name="proj"),
             node(1, "Reshape", ["y", "shape"], ["r"]),
             node(2, "If", ["cond"], ["z"], attributes),
             node(3, "FusedConv", ["r", "big"], ["out"], domain="com.microsoft")]
    initializers = [tensor("W", W), tensor("big", BIG, 10), tensor("shape", SHAPE, 7),
                    tensor("labels", dtype_code=8, strings=["cat", "dog"])]
    sparse_values = tensor("sparse", SPARSE_VALUES)
    sparse_indices = tensor("sparse_indices", SPARSE_INDICES, 7)
    sparse = w.table("SparseTensor", values=sparse_values, indices=sparse_indices, dims=w.numbers([10], "<i8"))
    indices = w.table("NodesToOptimizeIndices", node_indices=w.numbers([0, 1], "<u4"), num_inputs=2, num_outputs=1)
    record = w.table("RuntimeOptimizationRecord", action_id=w.string("fuse_matmul_reshape"),
                     nodes_to_optimize_indices=indices, produced_op_ids=w.strings(["com.microsoft:FusedMatMul:1"]))
    entry = w.table("RuntimeOptimizationRecordContainerEntry", optimizer_name=w.string("QDQFinalCleanup"),
                    runtime_optimization_records=w.offsets([record]))
    optimizations = w.table("RuntimeOptimizations", records=w.offsets([entry]))
    graph = w.table("Graph", initializers=w.offsets(initializers),
                    node_args=w.offsets([value_info("x", 1, ["batch", 2]), value_info("y", 1, ["batch", 3])]),
                    nodes=w.offsets(nodes), inputs=w.strings(["x", "W", "cond"]), outputs=w.strings(["out", "z"]),
                    sparse_initializers=w.offsets([sparse]), runtime_optimizations=optimizations)
    opset = w.table("OperatorSetId", domain=w.string(""), version=17)
    prop = w.table("StringStringEntry", key=w.string("author"), value=w.string("test"))
    model = w.table("Model", ir_version=8, opset_import=w.offsets([opset]), producer_name=w.string("writer"),
                    producer_version=w.string("1.0"), graph=graph, metadata_props=w.offsets([prop]))
    arg = w.table("ArgTypeAndIndex", arg_type=1, index=0)
    kernel_entry = w.table("KernelTypeStrArgsEntry", kernel_type_str=w.string("T"), args=w.offsets([arg]))
    op_entry = w.table("OpIdKernelTypeStrArgsEntry", op_id=w.string(":MatMul:13"),
                       kernel_type_str_args=w.offsets([kernel_entry]))
    resolver = w.table("KernelTypeStrResolver", op_kernel_type_str_args=w.offsets([op_entry]))
    session = w.table("InferenceSession", ort_version=w.string("6"), model=model, kernel_type_str_resolver=resolver)
    w.builder.Finish(session, file_identifier=b"ORTM")
    return bytes(w.builder.Output())


@pytest.fixture()
def session_path(tmp_path):
    path = tmp_path / "model.ort"
    path.write_bytes(build_session())
    return path


def test_session_written_by_the_reference_builder(session_path):
    model = open_model(session_path)
    assert model.format == "ONNX Runtime ORT v6" and model.producer == "writer 1.0"
    assert model.imports == ["ai.onnx v17"]
    metadata = dict(model.metadata)
    assert metadata["author"] == "test" and metadata["ir_version"] == "8"
    assert metadata["runtime optimization QDQFinalCleanup"] == \
        "fuse_matmul_reshape: nodes [0, 1] -> com.microsoft:FusedMatMul:1"
    assert metadata["kernel types :MatMul:13"] == "T: output 0"
    graph = model.graphs[0]
    assert graph.node_count() == 4
    assert graph.parameters() == W.size + BIG.size + SHAPE.size + 2 + 10
    assert [argument.name for argument in graph.inputs] == ["x", "cond"]  # W is an initializer
    assert graph.inputs[0].values[0].type.shape == ("batch", 2)
    matmul, reshape, if_node, conv = graph.nodes
    assert matmul.name == "proj" and matmul.device == "CPUExecutionProvider"
    assert matmul.type.category == "Layer" and matmul.type.version == 13
    (argument, value), = matmul.weights()
    assert argument.name == "B"
    np.testing.assert_array_equal(value.initializer.data(), W)
    assert matmul.outputs[0].values[0] is reshape.inputs[0].values[0]
    np.testing.assert_array_equal(next(reshape.weights())[1].initializer.data(), SHAPE)
    big = next(conv.weights())[1].initializer
    assert big.dtype == "float16" and conv.type.domain == "com.microsoft"
    np.testing.assert_array_equal(big.data(), BIG)
    attributes = {a.name: a.value for a in if_node.attributes}
    assert attributes["alpha"] == 0.25 and attributes["perm"] == [0, 2, 1] and attributes["mode"] == "linear"
    (body,) = if_node.graphs
    assert attributes["then_branch"] is body and body.name == "If_2.then_branch[0]"
    assert [node.type.name for node in body.nodes] == ["Identity"]


def test_sparse_and_string_initializers(session_path):
    # initializers that no node uses are counted but not drawn: read them from the model's tables
    session = Reader(session_path.read_bytes(), TABLES, UNIONS).root("InferenceSession")
    sparse = ort._sparse(session.model.graph.sparse_initializers[0], session_path)
    expected = np.zeros(10, dtype="float32")
    expected[SPARSE_INDICES] = SPARSE_VALUES
    np.testing.assert_array_equal(sparse.data(), expected)
    assert sparse.layout == "sparse" and sparse.size == 10
    labels = ort._tensor(session.model.graph.initializers[3], session_path)
    assert list(labels.data()) == ["cat", "dog"] and labels.dtype == "string"


def _generic_counts(path):
    """Nodes and initializer elements with the `flatbuffers` package: slot numbers only, no schema code of ours."""
    data = bytearray(path.read_bytes())
    root = FbTable(data, flatbuffers.encode.Get(flatbuffers.packer.uoffset, data, 0))

    def child(table, slot_index):
        offset = table.Offset(4 + 2 * slot_index)
        return FbTable(data, table.Indirect(table.Pos + offset)) if offset else None

    def tables(table, slot_index):
        offset = table.Offset(4 + 2 * slot_index)
        if not offset:
            return []
        start = table.Vector(offset)
        return [FbTable(data, table.Indirect(start + 4 * i)) for i in range(table.VectorLen(offset))]

    def longs(table, slot_index):
        offset = table.Offset(4 + 2 * slot_index)
        if not offset:
            return []
        start = table.Vector(offset)
        return [flatbuffers.encode.Get(flatbuffers.packer.int64, data, start + 8 * i)
                for i in range(table.VectorLen(offset))]

    graph = child(child(root, 1), 7)  # InferenceSession.model, Model.graph
    initializers = tables(graph, 0)
    raw = {}
    for tensor in initializers:
        name_offset = tensor.Offset(4)
        name = tensor.String(tensor.Pos + name_offset).decode()
        data_offset = tensor.Offset(4 + 2 * 4)
        raw[name] = bytes(data[tensor.Vector(data_offset):tensor.Vector(data_offset) + tensor.VectorLen(data_offset)]
                          ) if data_offset else b""
    parameters = sum(math.prod(longs(tensor, 2)) for tensor in initializers)
    return len(tables(graph, 2)), parameters, raw


@pytest.mark.parametrize("row", ROWS, ids=[row["path"] for row in ROWS])
def test_corpus_counts_and_initializers(row):
    require_corpus()
    path = CORPUS / row["path"]
    info = cli_info(path)
    assert info["format"].startswith("ONNX Runtime ORT v")  # claimed before the ONNX family (which lists .ort)
    summary = info["graphs"][0]
    assert_manifest_counts(summary, row)
    nodes, parameters, raw = _generic_counts(path)
    assert (summary["nodes"], summary["parameters"]) == (nodes, parameters)
    graph = open_model(path).graphs[0]
    checked = 0
    for tensor in graph.tensors():
        if tensor.dtype == "float32" and raw.get(tensor.name):
            np.testing.assert_array_equal(tensor.data().reshape(-1), np.frombuffer(raw[tensor.name], "<f4"))
            checked += 1
    assert checked > 0


def test_opening_reads_no_weight_bytes(session_path, monkeypatch):
    calls = []
    real = ort._dense_loader

    def counting(*args):
        load = real(*args)
        return lambda: calls.append(1) or load()

    monkeypatch.setattr(ort, "_dense_loader", counting)
    graph = open_model(session_path).graphs[0]
    assert calls == []
    next(graph.nodes[3].weights())[1].initializer.data()
    assert calls == [1]


def test_not_an_ort_file(tmp_path):
    path = tmp_path / "x.ort"
    path.write_bytes(b"\x08\x00\x00\x00ORTM" + b"\0" * 8)
    with pytest.raises(ModelError):
        open_model(path)


def test_truncated_and_corrupted_sessions_give_model_error(tmp_path):
    data = build_session()
    path = tmp_path / "m.ort"
    for cut in (8, 40, len(data) // 4, len(data) // 2, len(data) - 8):
        path.write_bytes(data[:cut])
        with pytest.raises(ModelError):
            open_model(path)
    rng = np.random.default_rng(3)
    for _ in range(200):
        mutant = bytearray(data)
        for position in rng.integers(8, len(mutant), 6):
            mutant[position] = int(rng.integers(0, 256))
        path.write_bytes(bytes(mutant))
        model = open_strictly(path)
        for tensor in model.graphs[0].tensors() if model is not None else ():
            try:
                tensor.data()
            except ModelError:
                pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_with_the_identifier(tmp_path_factory, tail):
    path = tmp_path_factory.mktemp("fuzz") / "x.ort"
    path.write_bytes(b"\x10\x00\x00\x00ORTM" + tail)
    open_strictly(path)
