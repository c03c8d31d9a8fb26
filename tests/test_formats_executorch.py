"""ExecuTorch `.pte` reader: the corpus programs (written by executorch) open with the MANIFEST counts, which a
generic reading with the `flatbuffers` package confirms; their weights equal the same model's torch.export
weights; programs this test builds with the reference `flatbuffers` Builder cover every instruction kind,
inline and segment constants and the extended header; malformed input only ever gives ModelError."""

from __future__ import annotations

import math
import random
import struct

import flatbuffers
import numpy as np
import pytest
from flatbuffers.table import Table as FbTable
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CORPUS, assert_manifest_counts, cli_info, manifest_rows, require_corpus
from litenetron.codecs.flatbuffers import FlatBufferError
from litenetron.formats import executorch, open_model
from litenetron.formats.schemas.executorch import TABLES, UNIONS
from litenetron.model import ModelError

ROWS = manifest_rows("pte")


def slot(table: str, name: str) -> int:
    """A field's vtable slot from our schema table (unions take two slots: the type code, then the value)."""
    index = 0
    for field in TABLES[table]:
        if field[0] == name:
            return index + (1 if field[1].startswith("union:") else 0)
        index += 2 if field[1].startswith("union:") else 1
    raise KeyError(name)


@pytest.mark.corpus
@pytest.mark.parametrize("row", ROWS, ids=[row["path"] for row in ROWS])
def test_corpus_counts_match_manifest(row):
    require_corpus()
    info = cli_info(CORPUS / row["path"])
    assert info["format"] == "ExecuTorch ET12"
    assert_manifest_counts(info["graphs"][0], row)


def _field(table: FbTable, table_name: str, name: str) -> int:
    return table.Offset(4 + 2 * slot(table_name, name))


def _tables(table: FbTable, table_name: str, name: str) -> list:
    offset = _field(table, table_name, name)
    if not offset:
        return []
    start = table.Vector(offset)
    return [FbTable(table.Bytes, table.Indirect(start + 4 * i)) for i in range(table.VectorLen(offset))]


@pytest.mark.corpus
@pytest.mark.parametrize("row", ROWS, ids=[row["path"] for row in ROWS])
def test_instruction_count_agrees_with_a_generic_flatbuffers_reading(row):
    require_corpus()
    data = (CORPUS / row["path"]).read_bytes()
    program = FbTable(data, struct.unpack_from("<I", data, 0)[0])
    instructions = sum(len(_tables(chain, "Chain", "instructions"))
                       for plan in _tables(program, "Program", "execution_plan")
                       for chain in _tables(plan, "ExecutionPlan", "chains"))
    assert open_model(CORPUS / row["path"]).graphs[0].node_count() == instructions


@pytest.mark.corpus
def test_constant_weights_equal_the_torch_export_weights_of_the_same_model(monkeypatch):
    require_corpus()
    calls = []
    original = executorch._Program.loader
    monkeypatch.setattr(executorch._Program, "loader",
                        lambda self, *a: (lambda load: lambda: calls.append(a) or load())(original(self, *a)))
    pte = open_model(CORPUS / "pte" / "generated" / "small_cnn_portable.pte").graphs[0]
    assert calls == []  # opening reads no weight bytes
    pt2 = open_model(CORPUS / "pt2" / "generated" / "small_cnn_static.pt2").graphs[0]
    exported = [v.initializer for n in pt2.nodes for _, v in n.weights()]
    program = [v.initializer for n in pte.nodes for _, v in n.weights()]
    for theirs, ours in zip(exported[:8], program[:8]):
        assert theirs.shape == ours.shape
        np.testing.assert_array_equal(ours.data(), theirs.data())
    assert calls


@pytest.mark.corpus
def test_delegate_node_shows_backend_blob_and_named_data():
    require_corpus()
    model = open_model(CORPUS / "pte" / "generated" / "small_cnn_xnnpack.pte")
    node = model.graphs[0].nodes[0]
    assert node.type.name == "XnnpackBackend"
    attributes = {a.name: a.value for a in node.attributes}
    assert attributes["backend"] == "XnnpackBackend" and attributes["processed"] == "2512 bytes (segment)"
    blobs = [v.initializer for _, v in node.weights()]
    assert len(blobs) == 6 and blobs[0].data().size == blobs[0].shape[0]
    assert model.graphs[0].parameters() == 2  # named data is the backend's, not the program's
    assert ("forward planned memory", "12,400 bytes") in model.metadata
    assert ("delegates", "XnnpackBackend") in model.metadata


def open_strictly(path) -> None:
    """Read with the reader itself (not through open_model, which would turn any exception into a
    ModelError) and read every weight: only ModelError and the FlatBuffers codec's errors may come out."""
    try:
        model = executorch.read(path)
    except (ModelError, FlatBufferError, struct.error):
        return
    for graph in model.graphs:
        for tensor in graph.tensors():
            try:
                tensor.data()
            except ModelError:
                pass


# --- programs built here -------------------------------------------------------------------------------

WEIGHT = np.arange(9, dtype="<f4").reshape(3, 3) / 4


def _vector(builder, items):
    builder.StartVector(4, len(items), 4)
    for item in reversed(items):
        builder.PrependUOffsetTRelative(item)
    return builder.EndVector()


def _table(builder, name, fields):
    """fields: (field name, kind, value) with kind one of offset / int / uint / byte / bool / long / double."""
    builder.StartObject(len(TABLES[name]) + sum(1 for f in TABLES[name] if f[1].startswith("union:")))
    prepend = {"offset": builder.PrependUOffsetTRelativeSlot, "int": builder.PrependInt32Slot,
               "uint": builder.PrependUint32Slot, "byte": builder.PrependInt8Slot, "ubyte": builder.PrependUint8Slot,
               "bool": builder.PrependBoolSlot, "long": builder.PrependInt64Slot,
               "ulong": builder.PrependUint64Slot, "double": builder.PrependFloat64Slot}
    unions = {f[0] for f in TABLES[name] if f[1].startswith("union:")}
    for field, kind, value in fields:
        union_code = field.endswith("_type") and field[:-5] in unions
        prepend[kind](slot(name, field[:-5]) - 1 if union_code else slot(name, field), value, 0)
    return builder.EndObject()


def _tensor(builder, sizes, data_buffer_idx=0, offset=None, dim_order=None):
    sizes_offset = builder.CreateNumpyVector(np.array(sizes, dtype="<i4"))
    order = builder.CreateByteVector(bytes(dim_order)) if dim_order else None
    allocation = None if offset is None else \
        _table(builder, "AllocationDetails", [("memory_id", "uint", 1), ("memory_offset_low", "uint", offset)])
    fields = [("scalar_type", "byte", 6), ("sizes", "offset", sizes_offset),
              ("data_buffer_idx", "uint", data_buffer_idx)]
    if allocation:
        fields.append(("allocation_info", "offset", allocation))
    if order:
        fields.append(("dim_order", "offset", order))
    return _table(builder, "Tensor", fields)


def _evalue(builder, kind, member):
    return _table(builder, "EValue", [("val_type", "ubyte", UNIONS["KernelTypes"].index(kind)),
                                      ("val", "offset", member)])


def build_program(inline_constants: bool, column_major: bool = False, plan_names=("forward",)) -> bytes:
    """forward(x[2,3]): mm.out(x, W) → y; XnnpackBackend(y) → z; free(x). W 3×3 is inline in
    `constant_buffer` or in the constant segment after the FlatBuffer (with an eh00 header); with
    `column_major` it is stored transposed with dim_order (1, 0)."""
    stored = (WEIGHT.T if column_major else WEIGHT).tobytes()
    builder = flatbuffers.Builder(4096)
    values = [
        _evalue(builder, "Tensor", _tensor(builder, [2, 3], offset=0)),  # 0: x
        _evalue(builder, "Tensor", _tensor(builder, [3, 3], data_buffer_idx=1,
                                           dim_order=[1, 0] if column_major else None)),  # 1: W
        _evalue(builder, "Tensor", _tensor(builder, [2, 3], offset=32)),  # 2: y
        _evalue(builder, "Int", _table(builder, "Int", [("int_val", "long", 7)])),  # 3
        _evalue(builder, "IntList", _table(builder, "IntList", [
            ("items", "offset", builder.CreateNumpyVector(np.array([3, 3], dtype="<i8")))])),  # 4: [7, 7]
        _evalue(builder, "Double", _table(builder, "Double", [("double_val", "double", 0.5)])),  # 5
        _evalue(builder, "TensorList", _table(builder, "TensorList", [
            ("items", "offset", builder.CreateNumpyVector(np.array([2], dtype="<i4")))])),  # 6: (y,)
        _evalue(builder, "Tensor", _tensor(builder, [2, 3], offset=0)),  # 7: z (reuses x's memory)
        _evalue(builder, "Tensor", _tensor(builder, [6], offset=32)),  # 8: a view of y the planner removed
    ]
    values_offset = _vector(builder, values)

    def call(kind, fields):
        member = _table(builder, kind, fields)
        return _table(builder, "Instruction", [
            ("instr_args_type", "ubyte", UNIONS["InstructionArguments"].index(kind)), ("instr_args", "offset", member)])

    def ints(items):
        return builder.CreateNumpyVector(np.array(items, dtype="<i4"))

    instructions = _vector(builder, [
        call("KernelCall", [("op_index", "int", 0), ("args", "offset", ints([0, 1, 5, 4, 2, 6]))]),
        call("DelegateCall", [("delegate_index", "int", 0), ("args", "offset", ints([8, 7]))]),
        call("FreeCall", [("value_index", "int", 0)]),
    ])
    chain = _table(builder, "Chain", [("instructions", "offset", instructions)])
    operator = _table(builder, "Operator", [("name", "offset", builder.CreateString("aten::mm")),
                                            ("overload", "offset", builder.CreateString("out"))])
    spec = _table(builder, "CompileSpec", [("key", "offset", builder.CreateString("threads")),
                                           ("value", "offset", builder.CreateByteVector(b"4"))])
    reference = _table(builder, "BackendDelegateDataReference", [("location", "byte", 0), ("index", "uint", 0)])
    delegate = _table(builder, "BackendDelegate", [("id", "offset", builder.CreateString("XnnpackBackend")),
                                                   ("processed", "offset", reference),
                                                   ("compile_specs", "offset", _vector(builder, [spec]))])
    chains, operators, delegates = (_vector(builder, [item]) for item in (chain, operator, delegate))
    inputs, outputs = ints([0]), ints([7])

    def plan_table(name):
        return _table(builder, "ExecutionPlan", [
            ("name", "offset", builder.CreateString(name)), ("values", "offset", values_offset),
            ("inputs", "offset", inputs), ("outputs", "offset", outputs), ("chains", "offset", chains),
            ("operators", "offset", operators), ("delegates", "offset", delegates)])

    plans = [plan_table(name) for name in plan_names]
    blob = _table(builder, "BackendDelegateInlineData", [("data", "offset", builder.CreateByteVector(bytes(100)))])
    fields = [("execution_plan", "offset", _vector(builder, plans)),
              ("backend_delegate_data", "offset", _vector(builder, [blob]))]
    if inline_constants:
        empty = _table(builder, "Buffer", [("storage", "offset", builder.CreateByteVector(b""))])
        weight = _table(builder, "Buffer", [("storage", "offset", builder.CreateByteVector(stored))])
        fields.append(("constant_buffer", "offset", _vector(builder, [empty, weight])))
    else:
        segment = _table(builder, "DataSegment", [("offset", "ulong", 0), ("size", "ulong", WEIGHT.nbytes)])
        offsets = builder.CreateNumpyVector(np.array([0, 0], dtype="<u8"))
        constant = _table(builder, "SubsegmentOffsets", [("segment_index", "uint", 0), ("offsets", "offset", offsets)])
        fields += [("segments", "offset", _vector(builder, [segment])), ("constant_segment", "offset", constant)]
    builder.Finish(_table(builder, "Program", fields), file_identifier=b"ET12")
    flat = bytes(builder.Output())
    if inline_constants:
        return flat
    # the exporter's extended header sits right after the identifier: shift the rest by 32 bytes
    root = struct.unpack_from("<I", flat, 0)[0] + 32
    program_size = len(flat) + 32
    base = (program_size + 15) // 16 * 16
    header = struct.pack("<4sIQQQ", b"eh00", 32, program_size, base, WEIGHT.nbytes)
    data = struct.pack("<I", root) + flat[4:8] + header + flat[8:]
    return data + bytes(base - len(data)) + stored


@pytest.mark.parametrize("inline", [True, False], ids=["constant_buffer", "constant_segment"])
def test_built_program_instructions_values_and_weights(tmp_path, inline):
    path = tmp_path / "m.pte"
    path.write_bytes(build_program(inline))
    model = open_model(path)
    graph = model.graphs[0]
    assert graph.name == "forward"
    assert graph.operators() == {"aten::mm.out": 1, "XnnpackBackend": 1, "free": 1}
    assert graph.parameters() == 9
    mm, delegate, free = graph.nodes
    assert mm.type.category == "Layer" and free.type.category == "Control"
    assert [(a.name, [v.name for v in a.values]) for a in mm.inputs] == [("input", ["v0"]), ("mat2", ["v1"])]
    assert {a.name: a.value for a in mm.attributes} == {"arg2": 0.5, "arg3": [7, 7]}
    assert [v.name for a in mm.outputs for v in a.values] == ["v2"]
    weight = mm.inputs[1].values[0].initializer
    assert weight.shape == (3, 3) and weight.dtype == "float32"
    np.testing.assert_array_equal(weight.data(), WEIGHT)
    # the view v8 shares y's memory: the delegate reads y; z reuses x's memory but is the delegate's output
    assert [v.name for a in delegate.inputs for v in a.values] == ["v2"]
    assert [v.name for a in delegate.outputs for v in a.values] == ["v7"]
    attributes = {a.name: a.value for a in delegate.attributes}
    assert attributes["processed"] == "100 bytes (inline)" and attributes["threads"] == "4"
    assert [a.values[0].name for a in graph.inputs] == ["v0"] and [a.values[0].name for a in graph.outputs] == ["v7"]
    assert graph.outputs[0].values[0].type.shape == (2, 3)


def test_every_plan_is_a_graph_forward_first_and_the_counts_cover_them_all(tmp_path):
    path = tmp_path / "m.pte"
    path.write_bytes(build_program(True, plan_names=("encode", "forward")))
    model = open_model(path)
    assert [graph.name for graph in model.graphs] == ["forward", "encode"]
    assert model.graphs[0].node_count() == 6 and model.graphs[0].parameters() == 18
    assert model.graphs[1].node_count() == 3 and model.graphs[1].parameters() == 9


@pytest.mark.parametrize("inline", [True, False], ids=["constant_buffer", "constant_segment"])
def test_a_dim_order_other_than_contiguous_is_undone_when_reading(tmp_path, inline):
    path = tmp_path / "m.pte"
    path.write_bytes(build_program(inline, column_major=True))
    weight = open_model(path).graphs[0].nodes[0].inputs[1].values[0].initializer
    np.testing.assert_array_equal(weight.data(), WEIGHT)


def test_malformed_programs_give_model_error(tmp_path):
    data = build_program(False)
    rng = random.Random(15)
    path = tmp_path / "bad.pte"
    cases = [data[:cut] for cut in (8, 40, len(data) // 2, len(data) - 20)]
    for _ in range(150):
        mutant = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            mutant[rng.randrange(8, len(mutant))] = rng.randrange(256)
        cases.append(bytes(mutant))
    for case in cases:
        path.write_bytes(case)
        open_strictly(path)


@pytest.mark.corpus
def test_corrupted_corpus_copies_give_model_error(tmp_path):
    require_corpus()
    rng = random.Random(7)
    path = tmp_path / "bad.pte"
    for row in ROWS:
        data = (CORPUS / row["path"]).read_bytes()
        for _ in range(12):
            mutant = bytearray(data[:rng.randrange(8, len(data))] if rng.random() < 0.3 else data)
            for _ in range(rng.randint(1, 8)):
                mutant[rng.randrange(8, min(len(mutant), 8192))] = rng.randrange(256)
            path.write_bytes(bytes(mutant))
            open_strictly(path)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=600))
def test_random_bytes_behind_the_identifier_give_model_error(tmp_path, body):
    path = tmp_path / "random.pte"
    path.write_bytes(body[:4] + b"ET12" + body[4:])
    open_strictly(path)


def test_extended_header_pointing_past_the_end_is_refused(tmp_path):
    data = bytearray(build_program(False))
    struct.pack_into("<Q", data, 16, len(data) * 2)
    path = tmp_path / "bad.pte"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="eh00"):
        open_model(path)


def test_element_counts_of_constants_ignore_allocated_tensors(tmp_path):
    path = tmp_path / "m.pte"
    path.write_bytes(build_program(True))
    graph = open_model(path).graphs[0]
    stored = [v.initializer for n in graph.nodes for _, v in n.weights()]
    assert [math.prod(t.shape) for t in stored] == [9]


@pytest.mark.corpus
@pytest.mark.parametrize("row", ROWS, ids=[row["path"] for row in ROWS])
def test_every_edge_a_node_reads_is_written_by_an_instruction_or_a_plan_input(row):
    require_corpus()
    graph = open_model(CORPUS / row["path"]).graphs[0]
    written = {id(v) for n in graph.nodes for a in n.outputs for v in a.values}
    written |= {id(v) for a in graph.inputs for v in a.values}
    unwritten = [(n.name, v.name) for n in graph.nodes for a in n.inputs for v in a.values
                 if v.initializer is None and id(v) not in written]
    assert unwritten == []  # removed views are followed to the tensor whose memory they share
    assert all(id(v) in written for a in graph.outputs for v in a.values)
