"""torch.export `.pt2` reader: the corpus archives (written by torch.export.save) open with the MANIFEST
counts, weights decode to what numpy makes of the raw storage files, archives this test writes itself cover
strided views, big-endian storage, symbolic shapes, tied weights and higher-order bodies, and malformed or
hostile archives only ever give ModelError (nothing is unpickled or executed)."""

from __future__ import annotations

import json
import math
import os
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CORPUS, PickledCall, assert_manifest_counts, cli_info, manifest_rows, require_corpus
from litenetron.codecs import archive
from litenetron.codecs.archive import ArchiveError
from litenetron.formats import open_model
from litenetron.formats.torch import export as torch_export
from litenetron.formats.torch.export_json import expression_text
from litenetron.model import ModelError

ROWS = manifest_rows("pt2")


@pytest.mark.corpus
@pytest.mark.parametrize("row", ROWS, ids=[row["path"] for row in ROWS])
def test_corpus_counts_match_manifest(row):
    require_corpus()
    info = cli_info(CORPUS / row["path"])
    assert info["format"].startswith("torch.export v")
    assert info["producer"].startswith("torch 2.")
    assert_manifest_counts(info["graphs"][0], row)


def _program(path: Path) -> tuple:
    with zipfile.ZipFile(path) as zip_file:
        name = next(n for n in zip_file.namelist() if n.endswith("models/model.json"))
        root = name[:-len("models/model.json")]
        config = json.loads(zip_file.read(f"{root}data/weights/model_weights_config.json"))["config"]
        return json.loads(zip_file.read(name)), config, root


@pytest.mark.corpus
@pytest.mark.parametrize("row", ROWS, ids=[row["path"] for row in ROWS])
def test_corpus_weights_equal_the_raw_storage_and_open_reads_none(row, monkeypatch):
    require_corpus()
    path = CORPUS / row["path"]
    program, config, root = _program(path)
    reads = []
    original = archive.read_range
    monkeypatch.setattr(archive, "read_range", lambda *a: reads.append(a) or original(*a))
    graph = open_model(path).graphs[0]
    assert reads == []  # opening reads no weight bytes
    weights = {v.initializer.name: v.initializer for n in graph.nodes for _, v in n.weights()}
    assert weights and set(weights) <= set(config)  # unused buffers (num_batches_tracked) have no consumer box
    with zipfile.ZipFile(path) as zip_file:
        for fqn, tensor in list(weights.items())[:12]:
            meta = config[fqn]["tensor_meta"]
            raw = np.frombuffer(zip_file.read(f"{root}data/weights/{config[fqn]['path_name']}"), dtype="<f4")
            shape = tuple(size["as_int"] for size in meta["sizes"])
            np.testing.assert_array_equal(tensor.data(), raw[:math.prod(shape)].reshape(shape))
    assert reads  # the values came from the file, lazily


@pytest.mark.corpus
def test_symbolic_dims_ranges_and_signature_of_a_dynamic_export():
    require_corpus()
    model = open_model(CORPUS / "pt2" / "generated" / "squeezenet1_1_dynbatch.pt2")
    graph = model.graphs[0]
    assert [a.values[0].type.shape for a in graph.inputs] == [("s77", 3, 224, 224)]
    assert graph.outputs[0].values[0].type.shape == ("s77", 1000)
    assert ("range s77", "1 ≤ s77 ≤ 64") in model.metadata
    first = graph.nodes[0]
    assert first.type.name == "aten::conv2d" and first.type.category == "Layer"
    assert [a.name for a in first.inputs] == ["input", "weight", "bias"]
    assert first.inputs[1].values[0].initializer.name == "features.0.weight"
    assert first.description == "features.0 (Conv2d)"
    assert {a.name: a.value for a in first.attributes if a.visible}["stride"] == [2, 2]


@pytest.mark.parametrize("text, expected", [
    ("Symbol('s70', positive=True, integer=True)", "s70"),
    ("Mul(Integer(1000), Symbol('s70', positive=True, integer=True))", "1000*s70"),
    ("Add(Symbol('s0', integer=True), Integer(-1))", "s0 + -1"),
    ("Mul(Integer(2), Add(Symbol('s0'), Integer(1)))", "2*(s0 + 1)"),
    ("FloorDiv(Symbol('s1'), Integer(2))", "s1//2"),
    ("s0 + 1", "s0 + 1"),
    ("Broken(Symbol('x'", "Broken(Symbol('x'"),
])
def test_sympy_expressions_become_readable_text_without_evaluation(text, expected):
    assert expression_text(text) == expected


# --- archives written here ---------------------------------------------------------------------------------

def _meta(dtype, sizes, strides=None, offset=0):
    strides = strides or [math.prod(sizes[i + 1:]) for i in range(len(sizes))]
    wrap = lambda d: {"as_int": d} if isinstance(d, int) else {"as_expr": {"expr_str": f"Symbol('{d}')"}}  # noqa: E731
    return {"dtype": dtype, "sizes": [wrap(d) for d in sizes], "requires_grad": False,
            "device": {"type": "cpu", "index": None}, "strides": [wrap(s) for s in strides],
            "storage_offset": {"as_int": offset}, "layout": 7}


def _node(target, inputs, outputs, name):
    return {"target": target, "inputs": [{"name": k, "arg": v, "kind": 1} for k, v in inputs],
            "outputs": outputs, "metadata": {}, "name": name}


STORAGE = np.arange(24, dtype="<f4")


def write_pt2(path: Path, byteorder="little", extra_nodes=(), sample_pickle=b"", pickled_payload=False,
              legacy=False) -> Path:
    """x[s0,4] → linear(W, b) → split → add(getitem, getitem_1); W is a transposed strided view of a
    6×4 storage at offset 0, b a 4-element slice at storage offset 20; `head.weight` ties W."""
    tensor_values = {
        "x": _meta(7, ["s0", 4]), "p_w": _meta(7, [4, 4], [1, 4]), "p_b": _meta(7, [4]),
        "p_head": _meta(7, [4, 4], [1, 4]), "linear": _meta(7, ["s0", 4]), "getitem": _meta(7, ["s0", 2]),
        "getitem_1": _meta(7, ["s0", 2]), "add": _meta(7, ["s0", 2]),
    }
    nodes = [
        _node("torch.ops.aten.linear.default", [("input", {"as_tensor": {"name": "x"}}),
              ("weight", {"as_tensor": {"name": "p_w"}}), ("bias", {"as_tensor": {"name": "p_b"}})],
              [{"as_tensor": {"name": "linear"}}], "linear"),
        _node("torch.ops.aten.split.Tensor", [("self", {"as_tensor": {"name": "linear"}}),
              ("split_size", {"as_int": 2})], [{"as_tensors": [{"name": "getitem"}, {"name": "getitem_1"}]}],
              "split"),
        _node("torch.ops.aten.add.Tensor", [("self", {"as_tensor": {"name": "getitem"}}),
              ("other", {"as_tensor": {"name": "getitem_1"}})], [{"as_tensor": {"name": "add"}}], "add"),
        *extra_nodes,
    ]
    program = {
        "graph_module": {
            "graph": {"inputs": [], "outputs": [{"as_tensor": {"name": "add"}}], "nodes": nodes,
                      "tensor_values": tensor_values, "sym_int_values": {}, "sym_bool_values": {}},
            "signature": {
                "input_specs": [
                    {"parameter": {"arg": {"name": "p_w"}, "parameter_name": "fc.weight"}},
                    {"parameter": {"arg": {"name": "p_b"}, "parameter_name": "fc.bias"}},
                    {"parameter": {"arg": {"name": "p_head"}, "parameter_name": "head.weight"}},
                    {"user_input": {"arg": {"as_tensor": {"name": "x"}}}},
                ],
                "output_specs": [{"user_output": {"arg": {"as_tensor": {"name": "add"}}}}],
            },
            "module_call_graph": [], "metadata": {"note": "written by the test"},
        },
        "opset_version": {"aten": 10}, "range_constraints": {"s0": {"min_val": 2, "max_val": 64}},
        "schema_version": {"major": 8, "minor": 20}, "verifiers": ["ATEN"], "torch_version": "2.9.0",
    }
    dtype = ">f4" if byteorder == "big" else "<f4"
    config = {
        "fc.weight": {"path_name": "weight_0", "is_param": True, "use_pickle": False,
                      "tensor_meta": _meta(7, [4, 4], [1, 4])},
        "fc.bias": {"path_name": "weight_0", "is_param": True, "use_pickle": False,
                    "tensor_meta": _meta(7, [4], [1], 20)},
        "head.weight": {"path_name": "weight_0", "is_param": True, "use_pickle": pickled_payload,
                        "tensor_meta": _meta(7, [4, 4], [1, 4])},
    }
    if legacy:  # torch 2.1-2.5: the program beside pickled state dict / constants files
        with zipfile.ZipFile(path, "w") as zip_file:
            zip_file.writestr("archive/serialized_exported_program.json", json.dumps(program))
            zip_file.writestr("archive/serialized_state_dict.pt", sample_pickle or b"not read")
            zip_file.writestr("archive/version", "1")
        return path
    with zipfile.ZipFile(path, "w") as zip_file:
        zip_file.writestr("m/archive_format", "pt2")
        zip_file.writestr("m/archive_version", "0")
        zip_file.writestr("m/byteorder", byteorder)
        zip_file.writestr("m/models/model.json", json.dumps(program))
        zip_file.writestr("m/data/weights/model_weights_config.json", json.dumps({"config": config}))
        zip_file.writestr("m/data/constants/model_constants_config.json", json.dumps({"config": {}}))
        zip_file.writestr("m/data/weights/weight_0", STORAGE.astype(dtype).tobytes())
        if sample_pickle:
            zip_file.writestr("m/data/sample_inputs/model.pt", sample_pickle)
    return path


def _weights(graph):
    return {v.initializer.name: v.initializer for n in graph.nodes for _, v in n.weights()}


@pytest.mark.parametrize("byteorder", ["little", "big"])
def test_written_archive_strided_views_and_byte_order(tmp_path, byteorder):
    model = open_model(write_pt2(tmp_path / "m.pt2", byteorder))
    weights = _weights(model.graphs[0])
    expected_w = STORAGE[:16].reshape(4, 4).T  # strides (1, 4): the transposed storage
    np.testing.assert_array_equal(weights["fc.weight"].data(), expected_w)
    np.testing.assert_array_equal(weights["fc.bias"].data(), STORAGE[20:24])


def test_written_archive_graph_counts_and_properties(tmp_path):
    model = open_model(write_pt2(tmp_path / "m.pt2"))
    graph = model.graphs[0]
    assert model.format == "torch.export v8.20" and model.producer == "torch 2.9.0"
    assert ("range s0", "2 ≤ s0 ≤ 64") in model.metadata and ("dialect", "ATEN") in model.metadata
    assert model.imports == ["aten 10"]
    # three call_function nodes plus the two getitem nodes of split's list
    assert graph.node_count() == 5
    assert graph.operators() == {"aten::linear": 1, "aten::split.Tensor": 1, "aten::add.Tensor": 1, "getitem": 2}
    # the tied head.weight (unused by any node) still counts: 16 + 4 + 16
    assert graph.parameters() == 36
    split = graph.nodes[1]
    assert [v.name for v in split.outputs[0].values] == ["getitem", "getitem_1"]
    assert split.outputs[0].values[0].type.shape == ("s0", 2)
    assert {a.name: a.value for a in split.attributes}["split_size"] == 2
    assert [a.values[0].name for a in graph.inputs] == ["x"]


def test_legacy_archive_counts_its_parameters_from_the_placeholders(tmp_path):
    marker = tmp_path / "executed"
    hostile = pickle.dumps(PickledCall(os.system, f"touch {marker}"))
    model = open_model(write_pt2(tmp_path / "old.pt2", sample_pickle=hostile, legacy=True))
    graph = model.graphs[0]
    assert graph.node_count() == 5 and graph.parameters() == 36
    assert all(t.loader is None for t in _weights(graph).values())  # pickled state dicts are not read
    assert not marker.exists()


def test_nothing_in_the_archive_is_unpickled(tmp_path):
    marker = tmp_path / "executed"
    hostile = pickle.dumps(PickledCall(os.system, f"touch {marker}"))
    path = write_pt2(tmp_path / "m.pt2", sample_pickle=hostile, pickled_payload=True)
    with zipfile.ZipFile(path, "a") as zip_file:
        zip_file.writestr("m/data/weights/weight_pickled", hostile)
    graph = open_model(path).graphs[0]
    head = [v.initializer for a in graph.inputs for v in a.values if v.initializer] + \
        [t for t in _weights(graph).values() if t.name == "head.weight"]
    assert all(t.loader is None for t in head)
    assert graph.parameters() == 36
    assert not marker.exists()


def test_higher_order_body_becomes_a_nested_graph(tmp_path):
    body = {"inputs": [{"as_tensor": {"name": "a"}}], "outputs": [{"as_tensor": {"name": "r"}}],
            "nodes": [_node("torch.ops.aten.relu.default", [("self", {"as_tensor": {"name": "a"}})],
                            [{"as_tensor": {"name": "r"}}], "relu")],
            "tensor_values": {"a": _meta(7, [2]), "r": _meta(7, [2])}, "sym_int_values": {}}
    cond = _node("torch.ops.higher_order.cond", [("pred", {"as_tensor": {"name": "add"}}),
                 ("true_fn", {"as_graph": {"name": "true_graph_0", "graph": body}})], [], "cond")
    graph = open_model(write_pt2(tmp_path / "m.pt2", extra_nodes=[cond])).graphs[0]
    node = graph.nodes[-1]
    assert node.type.name == "higher_order::cond" and node.type.category == "Control"
    assert node.graphs[0].name == "true_graph_0" and node.graphs[0].nodes[0].type.name == "aten::relu"


def test_deeply_nested_bodies_are_refused(tmp_path):
    body = {"inputs": [], "outputs": [], "nodes": [], "tensor_values": {}}
    for _ in range(40):
        body = {"inputs": [], "outputs": [], "tensor_values": {},
                "nodes": [_node("torch.ops.higher_order.cond", [("f", {"as_graph": {"name": "g", "graph": body}})],
                                [], "cond")]}
    cond = body["nodes"][0]
    with pytest.raises(ModelError, match="nested deeper"):
        open_model(write_pt2(tmp_path / "m.pt2", extra_nodes=[cond]))


def test_registered_before_the_torchscript_and_pytorch_readers(tmp_path):
    path = write_pt2(tmp_path / "m.pt2")
    assert torch_export.match(path, path.read_bytes()[:4096])
    assert open_model(path).format.startswith("torch.export")


# --- malformed archives --------------------------------------------------------------------------------

def open_strictly(path: Path) -> None:
    """Read with the reader itself (not through open_model, which would turn any exception into a
    ModelError) and read every weight: only ModelError and the archive codec's errors may come out."""
    try:
        model = torch_export.read(path)
    except (ModelError, ArchiveError):
        return
    for graph in model.graphs:
        for tensor in graph.tensors():
            try:
                tensor.data()
            except ModelError:
                pass


def test_zip_names_that_are_not_utf8_and_negative_offsets_are_archive_errors(tmp_path):
    data = bytearray(write_pt2(tmp_path / "m.pt2").read_bytes())
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<H", data, central + 8, struct.unpack_from("<H", data, central + 8)[0] | 0x800)
    data[central + 46] = 0xFF  # the first member's name, flagged UTF-8, is not
    broken = tmp_path / "name.pt2"
    broken.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="damaged zip"):
        torch_export.read(broken)
    data = bytearray(write_pt2(tmp_path / "m.pt2").read_bytes())
    end = data.rindex(b"PK\x05\x06")  # the central directory claims to start 1 MB later than it does
    struct.pack_into("<I", data, end + 16, struct.unpack_from("<I", data, end + 16)[0] + (1 << 20))
    broken.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="before the start"):
        torch_export.read(broken)


def _rewrite(source: Path, target: Path, member_suffix: str, transform) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            new.writestr(info.filename, transform(data) if info.filename.endswith(member_suffix) else data)
    return target


def test_truncated_archives_give_model_error(tmp_path):
    data = write_pt2(tmp_path / "m.pt2").read_bytes()
    for cut in (10, len(data) // 3, len(data) // 2, len(data) - 30):
        broken = tmp_path / f"cut{cut}.pt2"
        broken.write_bytes(data[:cut])
        open_strictly(broken)


@pytest.mark.parametrize("member, transform", [
    ("models/model.json", lambda d: d[: len(d) // 2]),
    ("models/model.json", lambda d: b"[1, 2, 3]"),
    ("models/model.json", lambda d: b"\xff\xfe" + d),
    ("models/model.json", lambda d: b"[" * 100_000),
    ("model_weights_config.json", lambda d: b'{"config": {"fc.weight": 5}}'),
    ("model_weights_config.json", lambda d: b'{"config": {"fc.weight": {"path_name": 7}}}'),
])
def test_corrupt_json_members_give_model_error(tmp_path, member, transform):
    path = _rewrite(write_pt2(tmp_path / "m.pt2"), tmp_path / "bad.pt2", member, transform)
    with pytest.raises(ModelError):
        torch_export.read(path)


def test_views_past_their_storage_are_refused_when_read(tmp_path):
    def stretch(data):
        config = json.loads(data)
        config["config"]["fc.bias"]["tensor_meta"] = _meta(7, [4], [1], 22)
        return json.dumps(config).encode()

    path = _rewrite(write_pt2(tmp_path / "m.pt2"), tmp_path / "bad.pt2", "model_weights_config.json", stretch)
    bias = _weights(open_model(path).graphs[0])["fc.bias"]
    with pytest.raises(ModelError, match="storage"):
        bias.data()


_JSON = st.recursive(st.none() | st.booleans() | st.integers(-5, 10**12) | st.floats(allow_nan=False)
                     | st.text(max_size=8), lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(choice=st.integers(0, 10**6), replacement=_JSON)
def test_any_subtree_of_the_program_replaced_gives_a_model_or_model_error(tmp_path, choice, replacement):
    source = tmp_path / "m.pt2"
    if not source.exists():
        write_pt2(source)
    with zipfile.ZipFile(source) as zip_file:
        program = json.loads(zip_file.read("m/models/model.json"))
    paths = list(_paths(program))[1:]
    where = paths[choice % len(paths)]
    parent = program
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = replacement
    target = _rewrite(source, tmp_path / "mutant.pt2", "models/model.json", lambda d: json.dumps(program).encode())
    open_strictly(target)


@pytest.mark.corpus
@pytest.mark.parametrize("row", ROWS, ids=[row["path"] for row in ROWS])
def test_every_edge_a_node_reads_is_written_by_a_node_or_a_graph_input(row):
    require_corpus()
    graph = open_model(CORPUS / row["path"]).graphs[0]
    written = {id(v) for n in graph.nodes for a in n.outputs for v in a.values}
    written |= {id(v) for a in graph.inputs for v in a.values}
    unwritten = [(n.name, v.name) for n in graph.nodes for a in n.inputs for v in a.values
                 if v.initializer is None and id(v) not in written]
    assert unwritten == []
    assert all(id(v) in written for a in graph.outputs for v in a.values)
