"""PyTorch and TorchScript readers, checked against what torch itself recorded about the fixtures.

The fixtures in tests/fixtures/pytorch/ were written by torch (make_fixtures.py, which also wrote
expected.json: parameter counts, state dict keys/shapes/dtypes and tensor values). torch is not needed here.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy
import pytest

from conftest import PickledCall, assert_manifest_counts, cli_info, manifest_rows, require_corpus
from litenetron.codecs import archive
from litenetron.formats import open_model
from litenetron.formats.torch import pytorch, torchscript, torchscript_shapes
from litenetron.model import ModelError, TensorType

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pytorch"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())


def _weights(graph):
    return {value.name: value.initializer for node in graph.nodes for _, value in node.weights()}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_parameters_match_torch(name):
    model = open_model(FIXTURES / name)
    assert model.graphs[0].parameters() == EXPECTED[name]["parameters"]
    kind = EXPECTED[name]["kind"]
    assert model.format == ("TorchScript" if kind == "torchscript" else "PyTorch")
    if kind != "torchscript":
        assert model.description == kind


@pytest.mark.parametrize("name", [n for n in sorted(EXPECTED) if "keys" in EXPECTED[n]])
def test_state_dict_keys_shapes_and_dtypes_in_storage_order(name):
    weights = _weights(open_model(FIXTURES / name).graphs[0])
    assert [[key, list(t.shape), t.dtype] for key, t in weights.items()] == EXPECTED[name]["keys"]


@pytest.mark.parametrize("name", ["resnet_state_dict.pth", "resnet_legacy.pth"])
def test_tensor_values_read_lazily_match_torch(name, monkeypatch):
    reads = []
    original = archive.read_range
    monkeypatch.setattr(archive, "read_range", lambda *a: reads.append(a) or original(*a))
    model = open_model(FIXTURES / name)
    assert reads == []  # opening reads no weight bytes
    weights = _weights(model.graphs[0])
    for key, values in EXPECTED[name]["values"].items():
        numpy.testing.assert_allclose(weights[key].data(), values, rtol=1e-6)
    assert reads


def test_strided_half_bfloat16_bool_scalar_and_quantized_tensors():
    weights = _weights(open_model(FIXTURES / "tensors.pt").graphs[0])
    expected = EXPECTED["tensors.pt"]["values"]
    for key in ("transposed", "sliced", "half", "bfloat16", "int64", "flag", "scalar"):
        numpy.testing.assert_allclose(numpy.asarray(weights[key].data(), dtype=float), expected[key])
    assert weights["bfloat16"].dtype == "bfloat16" and weights["flag"].dtype == "bool"
    quantized = weights["quantized"]
    assert quantized.dtype == "quint8" and quantized.layout == "quantized"
    assert quantized.quantization["scale"] == 0.5 and quantized.quantization["zero_point"] == 2
    assert quantized.data().tolist() == expected["quantized_int_repr"]


def test_state_dict_modules_are_grouped_by_prefix_and_guessed():
    graph = open_model(FIXTURES / "resnet_state_dict.pth").graphs[0]
    kinds = [(node.name, node.type.name) for node in graph.nodes]
    assert kinds == [("stem.0", "Conv2d"), ("stem.1", "BatchNorm"), ("layer1.conv1", "Conv2d"),
                     ("layer1.bn1", "BatchNorm"), ("layer1.conv2", "Conv2d"), ("layer1.bn2", "BatchNorm"),
                     ("fc", "Linear")]
    assert graph.node_count() == 7
    for before, after in zip(graph.nodes, graph.nodes[1:]):  # storage order, chained
        assert after.inputs[0].values[0] is before.outputs[0].values[0]
    rnn = open_model(FIXTURES / "rnn_state_dict.pt").graphs[0]
    assert [node.type.name for node in rnn.nodes] == ["Embedding", "GRU", "Linear"]


def test_pickled_module_shows_classes_and_settings():
    graph = open_model(FIXTURES / "resnet_module.pkl").graphs[0]
    names = [node.type.name for node in graph.nodes]
    assert names[:4] == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"]
    stem = graph.nodes[0]
    settings = {a.name: a.value for a in stem.attributes}
    assert settings["kernel_size"] == [3, 3] and settings["stride"] == [2, 2] and settings["out_channels"] == 8
    # nodes counts the leaf modules holding tensors: 3 Conv2d + 3 BatchNorm2d + Linear
    assert graph.node_count() == 7 and graph.operators() == {"Conv2d": 3, "BatchNorm2d": 3, "Linear": 1}


def test_checkpoint_counts_its_model_only_and_keeps_scalars_as_metadata():
    model = open_model(FIXTURES / "resnet_checkpoint.pth.tar")
    assert model.description == "checkpoint"
    assert dict(model.metadata)["epoch"] == "7"
    assert "optimizer_state_dict" not in dict(model.metadata)


def test_torchscript_forward_graph_inlines_submodules():
    for name in ("resnet_scripted.pt", "resnet_traced.pt"):
        graph = open_model(FIXTURES / name).graphs[0]
        operators = graph.operators()
        convolutions = operators.get("conv2d", 0) + operators.get("_convolution", 0)
        assert convolutions == 3 and operators["batch_norm"] == 3 and operators["linear"] == 1
        assert operators["add"] == 1
        producers = {v.name: node for node in graph.nodes for a in node.outputs for v in a.values}
        add = next(node for node in graph.nodes if node.type.name == "add")
        sources = [producers[v.name].type.name for a in add.inputs for v in a.values if v.name in producers]
        assert sorted(s.lstrip("_") for s in sources) == ["batch_norm", "max_pool2d"]
        first = graph.nodes[0]
        assert first.name == "stem.0"
        weight = next(value for argument, value in first.weights() if argument.name == "weight")
        assert weight.name == "stem.0.weight" and weight.initializer.shape == (8, 3, 3, 3)
    traced = open_model(FIXTURES / "resnet_traced.pt").graphs[0]
    assert traced.inputs[0].values[0].type.shape == (1, 3, 32, 32)


def test_torchscript_constants_become_weight_rows():
    graph = open_model(FIXTURES / "traced_constant.pt").graphs[0]
    rows = {value.name: value.initializer.data().tolist() for node in graph.nodes for _, value in node.weights()}
    assert rows["CONSTANTS.c0"] == [2.0, 3.0]
    assert set(rows) == {"CONSTANTS.c0", "lin.weight", "lin.bias"}
    assert graph.parameters() == EXPECTED["traced_constant.pt"]["parameters"]  # constants are not parameters


def test_mobile_lite_interpreter_file_opens_with_its_tensors():
    model = open_model(FIXTURES / "rnn_mobile.ptl")
    graph = model.graphs[0]
    assert "mobile" in model.description
    assert {"embedding", "gru", "linear"} <= set(graph.operators())
    gru = next(node for node in graph.nodes if node.type.name == "gru")
    assert [a.name for a in gru.inputs if a.values[0].initializer is not None] == \
        ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]


def test_mobile_file_without_code_shows_its_module_tree(tmp_path):
    target = tmp_path / "bare.ptl"
    with zipfile.ZipFile(FIXTURES / "rnn_mobile.ptl") as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            if "/code/" not in info.filename:
                copy.writestr(info.filename, original.read(info))
    graph = open_model(target).graphs[0]
    assert [node.name for node in graph.nodes] == ["embed", "gru", "head"]
    assert graph.parameters() == EXPECTED["rnn_mobile.ptl"]["parameters"]


def test_torchscript_code_is_parsed_never_executed(tmp_path):
    canary = tmp_path / "canary"
    source = FIXTURES / "resnet_scripted.pt"
    target = tmp_path / "evil_scripted.pt"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            data = original.read(info)
            if info.filename.endswith("code/__torch__.py"):
                data = f"import os\nos.system('touch {canary}')\n".encode() + data
            copy.writestr(info.filename.replace("resnet_scripted", "evil_scripted"), data)
    model = open_model(target)
    assert model.graphs[0].operators()["conv2d"] == 3
    assert not canary.exists()


def _rewrite_scripted(tmp_path, edit):
    target = tmp_path / "edited.pt"
    with zipfile.ZipFile(FIXTURES / "resnet_scripted.pt") as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            data = original.read(info)
            if info.filename.endswith("code/__torch__.py"):
                data = edit(data)
            copy.writestr(info.filename.replace("resnet_scripted", "edited"), data)
    return target


def test_recursive_torchscript_code_is_not_followed(tmp_path):
    path = _rewrite_scripted(tmp_path, lambda code: code.replace(
        b"x1 = (layer1).forward(x0, )", b"x1 = (self).forward((self).forward(x0, ), )"))
    graph = open_model(path).graphs[0]
    assert "TinyResNet" in graph.operators()  # the cycle is one opaque node


def test_exponential_inlining_is_bounded(tmp_path, monkeypatch):
    helpers = "".join(f"  def h{i}(self: __torch__.TinyResNet, x: Tensor) -> Tensor:\n"
                      f"    return (self).h{i + 1}((self).h{i + 1}(x, ), )\n" for i in range(30))
    helpers += "  def h30(self: __torch__.TinyResNet, x: Tensor) -> Tensor:\n    return torch.relu(x)\n"
    path = _rewrite_scripted(tmp_path, lambda code: code.replace(
        b"x1 = (layer1).forward(x0, )", b"x1 = (self).h0(x0, )").replace(
        b"class Block(Module):", helpers.encode() + b"class Block(Module):"))
    monkeypatch.setattr(torchscript, "MAX_STEPS", 2000)
    model = open_model(path)
    assert "module tree" in model.description
    assert model.graphs[0].parameters() == EXPECTED["resnet_scripted.pt"]["parameters"]


# --- legacy tar, plain pickles, hostile files ------------------------------------------------------------

class _Ref:
    def __init__(self, key):
        self.key = key


class _RefPickler(pickle.Pickler):
    def persistent_id(self, obj):
        return obj.key if isinstance(obj, _Ref) else None


def _member(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def test_legacy_tar_format(tmp_path):
    values = numpy.arange(6, dtype="<f4")
    storage_entry = b"(V0\nVcpu\nctorch\nFloatStorage\ntp0\n."  # (key, location, storage class), protocol 0
    storages = pickle.dumps(1, 2) + storage_entry + struct.pack("<q", 6) + values.tobytes() + pickle.dumps([], 2)
    tensors = pickle.dumps(1, 2) + pickle.dumps(("7", "0", None), 2) + struct.pack("<ii", 2, 0) + \
        struct.pack("<2q", 2, 2) + struct.pack("<2q", 1, 2) + struct.pack("<q", 1)  # 2x2, transposed, offset 1
    stream = io.BytesIO()
    _RefPickler(stream, 2).dump({"layer.weight": _Ref("7")})
    path = tmp_path / "old.tar"
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        _member(tar, "sys_info", pickle.dumps({"little_endian": True}, 2))
        _member(tar, "pickle", stream.getvalue())
        _member(tar, "tensors", tensors)
        _member(tar, "storages", storages)
    model = open_model(path)
    weights = _weights(model.graphs[0])
    assert model.graphs[0].parameters() == 4
    numpy.testing.assert_array_equal(weights["layer.weight"].data(), [[1, 3], [2, 4]])


def test_plain_pickles_open_as_an_object_view(tmp_path):
    arrays = tmp_path / "arrays.pkl"
    arrays.write_bytes(pickle.dumps({"encoder": {"w": numpy.ones((3, 4), "float32")}, "b": numpy.zeros(5)}, 4))
    model = open_model(arrays)
    assert model.format == "Pickle" and model.graphs[0].parameters() == 17
    numpy.testing.assert_array_equal(_weights(model.graphs[0])["encoder.w"].data(), numpy.ones((3, 4)))
    scalars = tmp_path / "settings.pkl"
    scalars.write_bytes(pickle.dumps({"lr": 0.1, "names": ["a", "b"]}, 2))
    node = open_model(scalars).graphs[0].nodes[0]
    assert {a.name: a.value for a in node.attributes} == {"lr": "0.1", "names": "list of 2"}
    broken = tmp_path / "broken.pkl"
    broken.write_bytes(pickle.dumps(list(range(100)), 2)[:-20])
    with pytest.raises(ModelError):
        open_model(broken)


def _hostile(canary):
    return {"a": PickledCall(os.system, f"touch {canary}"), "b": PickledCall(eval, f"open({str(canary)!r}, 'w')"),
            "c": PickledCall(exec, f"open({str(canary)!r}, 'w')"), "d": PickledCall(__import__, "antigravity"),
            "e": PickledCall(subprocess.Popen, ["touch", str(canary)])}


@pytest.mark.parametrize("container", ["pickle", "zip", "legacy"])
def test_hostile_files_execute_nothing(tmp_path, container):
    canary = tmp_path / "canary"
    payload = pickle.dumps(_hostile(canary), 2)
    made_up = b"\x80\x02cmadeup_torch_payload\nrun\nq\x00)R."
    path = tmp_path / "model.pth"
    if container == "pickle":
        path.write_bytes(payload)
    elif container == "zip":
        with zipfile.ZipFile(path, "w") as zip_file:
            zip_file.writestr("model/data.pkl", made_up[:-1] + b"0" + payload[2:])
            zip_file.writestr("model/version", "3\n")
    else:
        magic = pickle.dumps(0x1950A86A20F9469CFC6C, 2)
        path.write_bytes(magic + pickle.dumps(1001, 2) + pickle.dumps({}, 2) + payload + pickle.dumps([], 2))
    modules_before = set(sys.modules)
    try:
        model = open_model(path)
        assert model.graphs
    except ModelError:
        pass
    assert not canary.exists()
    assert "antigravity" not in sys.modules and "madeup_torch_payload" not in sys.modules
    assert set(sys.modules) - modules_before <= {m for m in sys.modules if m.startswith("litenetron")}


def test_zip_member_names_never_escape(tmp_path):
    assert archive.safe_name("../etc/passwd") is None and archive.safe_name("/abs") is None
    assert archive.safe_name("a/./b/../c") == "a/c"
    bomb = tmp_path / "bomb.pth"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zip_file:
        zip_file.writestr("m/data.pkl", b"\0" * (8 << 20))
        zip_file.writestr("m/version", "3")
    with pytest.raises(ModelError, match="inflates"):
        open_model(bomb)


def test_truncated_and_damaged_files_fail_cleanly(tmp_path):
    for name in ("resnet_state_dict.pth", "resnet_legacy.pth", "resnet_scripted.pt"):
        data = (FIXTURES / name).read_bytes()
        for cut in (len(data) // 2, len(data) - 30):
            path = tmp_path / f"cut_{cut}_{name}"
            path.write_bytes(data[:cut])
            try:
                open_model(path)
            except ModelError:
                pass


def test_match_does_not_claim_other_zips(tmp_path):
    other = tmp_path / "model.keras"
    with zipfile.ZipFile(other, "w") as zip_file:
        zip_file.writestr("config.json", "{}")
    header = other.read_bytes()[:4096]
    assert not pytorch.match(other, header) and not torchscript.match(other, header)


# --- corpus ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("row", manifest_rows("pytorch"), ids=lambda row: row["path"])
def test_corpus_info_json_matches_manifest(row):
    corpus = require_corpus()
    summary = cli_info(corpus / row["path"])["graphs"][0]
    assert_manifest_counts(summary, row)
    assert summary["nodes"] > 0


# --- shapes on TorchScript edges (torchscript_shapes) --------------------------------------------------------

def _edge_shapes(graph):
    """(node name, op) → the output shapes of that node, in graph order."""
    return [(node.name, node.type.name, [v.type.shape if v.type else None for a in node.outputs for v in a.values])
            for node in graph.nodes]


def test_traced_resnet_edges_carry_shapes_worked_out_from_the_traced_input():
    # TinyResNet on 1×3×32×32: stem conv stride 2 pad 1 → 16×16, max pool 2 → 8×8, block convs pad 1 keep 8×8,
    # adaptive pool → 1×1, flatten(1) → 1×8, fc → 1×10.
    graph = open_model(FIXTURES / "resnet_traced.pt").graphs[0]
    block = (1, 8, 8, 8)
    assert [shapes for _, _, shapes in _edge_shapes(graph)] == [
        [(1, 8, 16, 16)], [(1, 8, 16, 16)], [(1, 8, 16, 16)], [block], [block], [block], [block], [block],
        [block], [block], [block], [(1, 8, 1, 1)], [(1, 8)], [(1, 10)]]
    assert {v.type.dtype for node in graph.nodes for a in node.outputs for v in a.values} == {"float32"}
    assert graph.outputs[0].values[0].type.shape == (1, 10)
    assert graph.nodes[0].type.category == "Layer"  # `_convolution` is a layer like conv2d


def test_scripted_resnet_without_example_input_shows_only_what_is_certain():
    # No example input: sizes are unknown, but BatchNorm2d's `if dim(input) != 4: raise` fixes the rank of the
    # stem conv's result, hence of its input, and the weights fix the channels.
    graph = open_model(FIXTURES / "resnet_scripted.pt").graphs[0]
    assert graph.inputs[0].values[0].type == TensorType(None, (None,) * 4)
    feature = (None, 8, None, None)
    assert [shapes for _, _, shapes in _edge_shapes(graph)] == [[feature]] * 11 + [
        [(None, 8, 1, 1)], [(None, 8)], [(None, 10)]]
    linear = next(node for node in graph.nodes if node.type.name == "linear")
    assert linear.outputs[0].values[0].type == TensorType("float32", (None, 10))  # dtype of the weight


def test_rank_checks_in_code_that_may_not_run_prove_nothing(tmp_path):
    # the same check, but under a condition the reader cannot decide: the rank stays unknown
    def branched(code):
        return code.replace(b"    x0 = (pool).forward((stem).forward(x, ), )",
                            b"    if torch.eq(torch.dim(x), 3):\n      x0 = (pool).forward((stem).forward(x, ), )\n"
                            b"    else:\n      x0 = (pool).forward((stem).forward(x, ), )")

    path = _rewrite_scripted(tmp_path, branched)
    graph = open_model(path).graphs[0]
    assert graph.inputs[0].values[0].type is None
    assert [shapes for _, op, shapes in _edge_shapes(graph) if op == "conv2d"][0] == [None]
    # layer1's checks are certain: the branch's result and what follows get the rank, not what came before it
    assert [shapes for _, _, shapes in _edge_shapes(graph)][-3:] == [[(None, 8, 1, 1)], [(None, 8)], [(None, 10)]]
    # a return that may happen before layer1's checks makes them uncertain too
    path = _rewrite_scripted(tmp_path, lambda code: branched(code).replace(
        b"    layer1 = self.layer1\n",
        b"    layer1 = self.layer1\n    if torch.eq(torch.dim(x), 3):\n      return x0\n"))
    graph = open_model(path).graphs[0]
    assert graph.inputs[0].values[0].type is None
    assert [shapes for _, _, shapes in _edge_shapes(graph)][-3:] == [[None], [(None, None)], [(None, 10)]]


def test_traced_constant_broadcasts_a_vector_against_the_linear_output():
    graph = open_model(FIXTURES / "traced_constant.pt").graphs[0]
    assert _edge_shapes(graph) == [("lin", "linear", [(1, 2)]), ("", "to", [(2,)]), ("", "detach", [(2,)]),
                                   ("", "mul", [(1, 2)])]


def _infer(op, *args, outputs=1, **kwargs):
    return torchscript_shapes.infer(op, torchscript_shapes.argument_names(op), list(args), kwargs, outputs)


def _shape_of(op, *args, **kwargs):
    kind = _infer(op, *args, **kwargs)[0]
    return kind.shape if kind else None


def _t(*shape, dtype="float32"):
    return TensorType(dtype, shape)


def test_convolution_shapes_follow_the_aten_formula():
    x = _t(20, 16, 50, 100)
    # nn.Conv2d(16, 33, (3, 5), stride=(2, 1), padding=(4, 2), dilation=(3, 1)) → 20×33×26×100
    assert _shape_of("conv2d", x, _t(33, 16, 3, 5), None, [2, 1], [4, 2], [3, 1]) == (20, 33, 26, 100)
    assert _shape_of("conv2d", x, _t(33, 16, 3, 3), None, 2) == (20, 33, 24, 49)
    assert _shape_of("conv2d", _t(1, 4, 10, 10), _t(8, 2, 3, 3), None, 1, 0, 1, 2) == (1, 8, 8, 8)  # groups
    assert _shape_of("conv2d", _t(4, 10, 10), _t(8, 4, 3, 3), None, 1, "same") == (8, 10, 10)  # unbatched
    assert _shape_of("conv1d", _t(2, 3, 17), _t(6, 3, 4), None, [3]) == (2, 6, 5)
    assert _shape_of("conv3d", _t(1, 2, 8, 9, 10), _t(4, 2, 3, 3, 3), None, 1, 1) == (1, 4, 8, 9, 10)
    # ConvTranspose2d(16, 33, 3, stride=2, padding=1, output_padding=1): (50-1)·2 - 2 + 2 + 1 + 1 = 100
    assert _shape_of("conv_transpose2d", x, _t(16, 33, 3, 3), None, 2, 1, 1) == (20, 33, 100, 200)
    assert _shape_of("_convolution", x, _t(16, 11, 3, 3), None, [1, 1], [0, 0], [1, 1], True, [0, 0], 3) == \
        (20, 33, 52, 102)
    # never guessed: channels that do not fit the weight, an unknown rank, a stride that is not a constant
    assert _infer("conv2d", _t(1, 5, 8, 8), _t(8, 4, 3, 3)) == [None]
    assert _infer("conv2d", TensorType("float32", None), _t(8, 4, 3, 3)) == [None]
    assert _infer("conv2d", _t(1, 4, 8, 8), _t(8, 4, 3, 3), None, TensorType()) == [None]
    assert _shape_of("conv2d", _t(1, 4, None, "w"), _t(8, 4, 3, 3)) == (1, 8, None, None)


def test_pooling_shapes_including_ceil_mode_and_adaptive_sizes():
    x = _t(1, 3, 6, 6)
    assert _shape_of("max_pool2d", x, [3, 3], [2, 2]) == (1, 3, 2, 2)
    assert _shape_of("max_pool2d", x, [3, 3], [2, 2], [0, 0], [1, 1], True) == (1, 3, 3, 3)
    # ceil mode drops a last window that would start in the right padding: 5 → 3, not 4
    assert _shape_of("max_pool2d", _t(1, 1, 5, 5), [2, 2], [2, 2], [1, 1], [1, 1], True) == (1, 1, 3, 3)
    assert _shape_of("max_pool2d", x, [2, 2], []) == (1, 3, 3, 3)  # empty stride = kernel
    assert _shape_of("avg_pool2d", _t(2, 4, 7, 9), [3, 3], [2, 2], [1, 1], True) == (2, 4, 4, 5)
    assert _shape_of("max_pool1d", _t(2, 4, 9), [3], [3], [0], [2]) == (2, 4, 2)  # dilation 2: span 5
    assert _shape_of("adaptive_avg_pool2d", _t(1, 64, 8, 9), [5, 7]) == (1, 64, 5, 7)
    values, indices = _infer("adaptive_max_pool2d", _t(1, 64, 8, 9), 1, outputs=2)
    assert values == _t(1, 64, 1, 1) and indices == _t(1, 64, 1, 1, dtype="int64")
    assert _infer("adaptive_avg_pool2d", _t(1, 64, 8, 9), [5, TensorType()])[0].shape == (1, 64, 5, None)


def test_shape_keeping_flatten_view_and_reshape():
    x = _t(2, 3, 4, 5, dtype="float16")
    for op in ("batch_norm", "layer_norm", "dropout", "relu_", "gelu", "hardtanh", "silu", "sigmoid"):
        assert _infer(op, x) == [x], op
    assert _infer("clamp", x, 0.0, 6.0) == [x] and _infer("clamp", x, _t(9, 1, 1, 1, 1)) == [None]
    assert _infer("softmax", x, 1, 7) == [_t(2, 3, 4, 5, dtype="float64")]  # dtype=torch.float64
    assert _shape_of("flatten", x, 1) == (2, 60)
    assert _shape_of("flatten", x, 1, 2) == (2, 12, 5)
    assert _shape_of("flatten", x, -2) == (2, 3, 20)
    assert _shape_of("flatten", _t()) == (1,)
    assert _shape_of("flatten", _t(2, None, 4), 1) == (2, None)
    assert _shape_of("view", x, [-1, 20]) == (6, 20)
    assert _shape_of("reshape", x, [2, -1, 5]) == (2, 12, 5)
    assert _shape_of("reshape", _t(None, 3), [-1, 3]) == (None, 3)
    assert _shape_of("view", x, [7, -1]) == (7, None)  # 120 is not a multiple of 7: unknown, not wrong
    assert _infer("view", x, [-1, -1]) == [None]


def test_matrix_products_and_broadcasting():
    assert _shape_of("linear", _t(4, 7, 16), _t(32, 16), _t(32)) == (4, 7, 32)
    assert _infer("linear", _t(4, 15), _t(32, 16)) == [None]
    assert _shape_of("matmul", _t(3), _t(3)) == ()
    assert _shape_of("matmul", _t(2, 3), _t(3)) == (2,)
    assert _shape_of("matmul", _t(3), _t(3, 4)) == (4,)
    assert _shape_of("matmul", _t(10, 1, 2, 3), _t(5, 3, 4)) == (10, 5, 2, 4)
    assert _shape_of("mm", _t(2, 3), _t(3, 4)) == (2, 4)
    assert _shape_of("addmm", _t(4), _t(2, 3), _t(3, 4)) == (2, 4)
    assert _shape_of("add", _t(5, 1, 4), _t(3, 1)) == (5, 3, 4)
    assert _shape_of("mul", _t(None, 3), _t(2, 1)) == (2, 3)
    assert _infer("sub", _t(2, 3), _t(4, 3))[0].shape is None  # 2 and 4 do not broadcast
    assert _infer("add", _t(2, 3), 1) == [_t(2, 3)]
    assert _infer("add", _t(2, 3, dtype="int64"), 0.5)[0].dtype is None  # promoted to the default float
    assert _infer("div", _t(2, dtype="int32"), _t(2, dtype="int32"))[0] == TensorType(None, (2,))
    assert _infer("gt", _t(2, 3), 0.0) == [_t(2, 3, dtype="bool")]


def test_joining_and_rearranging_dims():
    assert _shape_of("cat", [_t(2, 3), _t(2, 5)], 1) == (2, 8)
    assert _shape_of("cat", [_t(None, 1), _t(None, 1)], -1) == (None, 2)
    assert _shape_of("stack", [_t(2, 3)] * 4, 1) == (2, 4, 3)
    assert _infer("cat", [_t(2, 3), _t(3, 3)], 1) == [None]  # sizes differ off the joined dim
    assert _shape_of("transpose", _t(2, 3, 4), 0, -1) == (4, 3, 2)
    assert _shape_of("t", _t(2, 3)) == (3, 2)
    assert _shape_of("permute", _t(2, 3, 4), [2, 0, 1]) == (4, 2, 3)
    assert _shape_of("unsqueeze", _t(2, 3), -1) == (2, 3, 1)
    assert _shape_of("squeeze", _t(1, 3, 1)) == (3,)
    assert _shape_of("squeeze", _t(1, 3, 1), 0) == (3, 1)
    assert _infer("squeeze", _t(None, 3)) == [None]  # is the unknown dim 1? the rank depends on it
    assert _shape_of("select", _t(2, 3, 4), 1, -1) == (2, 4)
    assert _shape_of("slice", _t(2, 10), 1, 2, 9223372036854775807, 3) == (2, 3)
    assert _shape_of("slice", _t(2, 10)) == (2, 10)
    assert _shape_of("slice", _t(2, 10), 1, None, 4) == (2, None)  # an explicit None may be unknown
    assert _shape_of("slice", _t(2, 10), 1, -3) == (2, 3)
    assert _shape_of("slice", _t(2, "n"), 1, 0, 9223372036854775807) == (2, "n")
    assert _infer("add", _t(3, dtype="bool"), 1) == [_t(3, dtype="int64")]
    assert _infer("conv2d", _t(1, 4, 2, 2), _t(8, 4, 3, 3)) == [_t(1, 8, None, None)]  # too small to convolve
    assert _shape_of("embedding", _t(20, 6), _t(4, 9, dtype="int64")) == (4, 9, 6)
    assert _shape_of("sum", _t(2, 10, 256), [1]) == (2, 256)
    assert _shape_of("mean", _t(2, 10, 256), [-1], True) == (2, 10, 1)
    assert _infer("sum", _t(3, dtype="bool"))[0] == TensorType("int64", ())
    assert _shape_of("constant_pad_nd", _t(1, 2, 5, 5), [1, 2, 0, 3]) == (1, 2, 8, 8)


def test_recurrent_layers_take_sizes_from_weights_and_settings():
    def params(gates, hidden, inputs, layers, directions):
        tensors = []
        for layer in range(layers):
            width = inputs if layer == 0 else hidden * directions
            tensors += [_t(gates * hidden, width), _t(gates * hidden, hidden), _t(gates * hidden),
                        _t(gates * hidden)] * directions
        return tensors

    # nn.LSTM(10, 20, 2, bidirectional=True) on 5×3×10 (sequence first)
    output, hidden, cell = _infer("lstm", _t(5, 3, 10), [TensorType(), TensorType()], params(4, 20, 10, 2, 2),
                                  True, 2, 0.0, False, True, False, outputs=3)
    assert (output.shape, hidden.shape, cell.shape) == ((5, 3, 40), (4, 3, 20), (4, 3, 20))
    output, hidden = _infer("gru", _t(2, 7, 6), TensorType(), params(3, 5, 6, 1, 1), True, 1, 0.0, False, False,
                            True, outputs=2)
    assert (output.shape, hidden.shape) == ((2, 7, 5), (1, 2, 5))
    # the packed-sequence overload (data, batch_sizes, hx, params, ...) is left unknown
    assert _infer("gru", _t(9, 6), _t(3, dtype="int64"), TensorType(), params(3, 5, 6, 1, 1), True, 1, 0.0,
                  False, False, outputs=2) == [None, None]


def test_sizes_become_known_scalars_that_shape_factories():
    size = torchscript_shapes.scalar("size", [_t(2, 10, 10), 0])
    assert size == 2 and _infer("size", _t(2, 10, 10), 0) == [TensorType("int64", ())]
    assert torchscript_shapes.scalar("mul", [size, 3]) == 6
    assert torchscript_shapes.scalar("mul", [1 << 70, 3]) is None
    assert _infer("zeros", [4, size, 128], dtype=6) == [_t(4, 2, 128)]
    assert _infer("zeros", [4, TensorType("int64", ()), 128]) == [TensorType(None, (4, None, 128))]
    assert _infer("size", _t(2, 3)) == [None]  # the whole size is a list, not a tensor


def test_functional_calls_bind_their_own_parameters_not_the_aten_ones():
    # F.log_softmax(input, dim, _stacklevel, dtype): the third argument is not a dtype
    assert torchscript_shapes.infer("log_softmax", ["input", "dim", "_stacklevel", "dtype"], [_t(4, 2), 0, 3, None],
                                    {}, 1) == [_t(4, 2)]
    graph = open_model(FIXTURES / "rnn_mobile.ptl").graphs[0]
    embed = next(node for node in graph.nodes if node.type.name == "embedding")
    assert [a.name for a in embed.inputs] == ["input", "weight"]  # F.embedding(input, weight, ...)


def test_corpus_traced_gru_edges():
    corpus = require_corpus()
    graph = open_model(corpus / "pytorch/keithyin__tch-deploy/traced_model.pt").graphs[0]
    shapes = {op: found for _, op, found in _edge_shapes(graph)}
    # bidirectional 2-layer GRU, hidden 128, batch first, on 2×10×10; sum over time; Linear(256, 5)
    assert shapes["zeros"] == [(4, 2, 128)]  # [4, size(x, 0), 128] with the size known
    assert shapes["gru"] == [(2, 10, 256), (4, 2, 128)]
    assert shapes["sum"] == [(2, 256)] and shapes["linear"] == [(2, 5)] and shapes["softmax"] == [(2, 5)]


def test_corpus_scripted_models_get_shapes_after_a_reshape():
    corpus = require_corpus()
    digits = open_model(corpus / "pytorch/BSusheelKumar__HandWritten-Digit-Prediciton/model_scripted.pt")
    found = [(op, shapes) for _, op, shapes in _edge_shapes(digits.graphs[0])]
    assert found[12:] == [("view", [(None, 1152)]), ("linear", [(None, 512)]), ("relu", [(None, 512)]),
                          ("dropout", [(None, 512)]), ("linear", [(None, 256)]), ("relu", [(None, 256)]),
                          ("dropout", [(None, 256)]), ("linear", [(None, 10)])]
    channels = [32] * 4 + [64] * 4 + [128] * 4  # a 4-D input (BatchNorm2d checks it), sizes unknown
    assert found[:12] == [(op, [(None, c, None, None)]) for (op, _), c in zip(found, channels)]
    adder = open_model(corpus / "pytorch/tarekbzahid__nn_adder/model_scripted.pt").graphs[0]
    assert [shapes for _, _, shapes in _edge_shapes(adder)][:3] == [[(None, 1)], [(None, 1)], [(None, 2)]]
