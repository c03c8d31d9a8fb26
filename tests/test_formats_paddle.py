"""PaddlePaddle reader: the seed article's network built with our own encoder, the corpus, an independent decode."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
from paddle_encoder import (
    Op,
    attr,
    block,
    bytes_field,
    int_field,
    lod_tensor,
    pdiparams,
    program,
    reference_network,
    reference_pir,
    str_field,
    var_desc,
)

from conftest import manifest_rows, require_corpus, run_cli
from litenetron.codecs.protobuf import read_varint
from litenetron.formats import open_model
from litenetron.info import graph_summary
from litenetron.model import ModelError, format_shape


def _write(folder: Path, **kwargs) -> tuple:
    data, weights = reference_network(**kwargs)
    (folder / "model.pdmodel").write_bytes(data)
    (folder / "model.pdiparams").write_bytes(pdiparams(weights))
    return folder / "model.pdmodel", weights


def _edge_shapes(graph) -> dict:
    return {value.name: format_shape(value.type.shape) for node in graph.nodes for argument in node.outputs
            for value in argument.values if value.type is not None}


def _rows(node) -> list:
    return [f"{argument.name} ⟨{format_shape(value.initializer.shape)}⟩" for argument, value in node.weights()]


@pytest.mark.parametrize("shapes", [True, False], ids=["declared", "inferred"])
def test_reference_network_facts(tmp_path, shapes):
    path, weights = _write(tmp_path, shapes=shapes)
    model = open_model(path)
    graph = model.graphs[0]
    assert model.format == "PaddlePaddle" and model.producer == "PaddlePaddle 2.6.2"
    assert [format_shape(v.type.shape) for a in graph.inputs for v in a.values] == ["?×3×448×448"]
    assert [node.type.name for node in graph.nodes] == [
        "conv2d", "batch_norm", "relu", "conv2d", "batch_norm", "relu", "pool2d", "conv2d", "batch_norm", "relu",
        "conv2d", "batch_norm", "elementwise_add", "relu"]
    conv1, bn1, relu1, conv2, bn2 = graph.nodes[:5]
    assert _rows(conv1) == ["Filter ⟨32×3×3×3⟩"]
    assert _rows(bn1) == ["Bias ⟨32⟩", "Mean ⟨32⟩", "Scale ⟨32⟩", "Variance ⟨32⟩"]
    assert _rows(conv2) == ["Filter ⟨64×32×3×3⟩"]
    assert _rows(bn2) == ["Bias ⟨64⟩", "Mean ⟨64⟩", "Scale ⟨64⟩", "Variance ⟨64⟩"]
    shapes_by_name = _edge_shapes(graph)
    assert shapes_by_name["conv1.tmp_0"] == shapes_by_name["bn1.tmp_2"] == shapes_by_name["relu_0.tmp_0"] \
        == "?×32×224×224"
    assert shapes_by_name["conv2.tmp_0"] == shapes_by_name["relu_1.tmp_0"] == "?×64×224×224"
    for name in ("pool2d_0.tmp_0", "conv3.tmp_0", "bn3.tmp_2", "relu_2.tmp_0", "conv4.tmp_0", "bn4.tmp_2",
                 "elementwise_add_0", "relu_3.tmp_0"):
        assert shapes_by_name[name] == "?×64×112×112", name
    # In-place running statistics are not drawn as outputs (they would loop back into the box).
    assert [a.name for a in bn1.outputs] == ["SavedMean", "SavedVariance", "Y"]
    attributes = {a.name: a.value for a in conv1.attributes}
    assert attributes["strides"] == [2, 2] and attributes["paddings"] == [1, 1]
    pool = {a.name: a.value for a in graph.nodes[6].attributes}
    assert pool["ksize"] == [2, 2] and pool["pooling_type"] == "max"
    assert abs({a.name: a.value for a in bn1.attributes}["epsilon"] - 1e-5) < 1e-9
    # The residual shortcut: elementwise_add reads the pool output directly.
    add = graph.nodes[12]
    assert [v.name for a in add.inputs for v in a.values] == ["bn4.tmp_2", "pool2d_0.tmp_0"]
    assert graph.parameters() == sum(array.size for array in weights.values())
    filter_tensor = conv1.inputs[0].values[0].initializer
    np.testing.assert_array_equal(filter_tensor.data(), weights["conv1.w_0"])
    scale = next(value for argument, value in bn1.weights() if argument.name == "Scale")
    np.testing.assert_array_equal(scale.initializer.data(), weights["bn1.w_0"])


def test_reference_network_scene(tmp_path):
    import litenetron.scene as scene_module
    path, _ = _write(tmp_path)
    graph = open_model(path).graphs[0]
    scene = scene_module.build_scene(graph, scene_module.ViewOptions(), lambda text, style: (7.0 * len(text), 14.0))
    boxes = {box.id: box for box in scene.boxes}
    titles = [box.title for box in scene.boxes if box.kind == "node"]
    assert titles.count("conv2d") == 4 and titles.count("batch_norm") == 4
    first_conv = next(box for box in scene.boxes if box.title == "conv2d")
    assert [row.text for row in first_conv.rows] == ["Filter ⟨32×3×3×3⟩"]
    first_bn = next(box for box in scene.boxes if box.title == "batch_norm")
    assert [row.text for row in first_bn.rows] == ["Bias ⟨32⟩", "Mean ⟨32⟩", "Scale ⟨32⟩", "Variance ⟨32⟩"]
    image = next(box for box in scene.boxes if box.kind == "input")
    assert any("?×3×448×448" in row.text for row in image.rows)
    labels = {edge.label for edge in scene.edges if edge.label}
    assert {"?×32×224×224", "?×64×224×224", "?×64×112×112"} <= labels
    # The pool output feeds both the branch's conv2d and the elementwise_add (the shortcut).
    pool = next(box for box in scene.boxes if box.title == "pool2d")
    targets = sorted(boxes[edge.target].title for edge in scene.edges if edge.source == pool.id)
    assert targets == ["conv2d", "elementwise_add"]


def test_separate_weight_files(tmp_path):
    data, weights = reference_network(size=32, widths=(4, 8))
    (tmp_path / "__model__").write_bytes(data)
    for name, array in weights.items():
        (tmp_path / name).write_bytes(lod_tensor(array))
    for opened in (tmp_path, tmp_path / "__model__", tmp_path / "conv1.w_0"):
        graph = open_model(opened).graphs[0]
        assert graph.parameters() == sum(array.size for array in weights.values())
    conv = open_model(tmp_path).graphs[0].nodes[0]
    np.testing.assert_array_equal(conv.inputs[0].values[0].initializer.data(), weights["conv1.w_0"])


def test_weights_checked_against_declared_shapes(tmp_path):
    path, weights = _write(tmp_path, size=32, widths=(4, 8))
    # Same tensor count and sizes, but two tensors swapped: conv1's filter no longer has its declared shape.
    names = sorted(weights)
    first, second = names.index("conv1.w_0"), names.index("conv2.w_0")
    names[first], names[second] = names[second], names[first]
    (tmp_path / "model.pdiparams").write_bytes(b"".join(lod_tensor(weights[name]) for name in names))
    with pytest.raises(ModelError, match="declares"):
        open_model(path)


def test_model_and_params_pair(tmp_path):
    data, weights = reference_network(size=32, widths=(4, 8))
    (tmp_path / "model").write_bytes(data)
    (tmp_path / "params").write_bytes(pdiparams(weights))
    assert open_model(tmp_path / "model").graphs[0].parameters() == sum(a.size for a in weights.values())


def test_program_without_feed_ops_gets_inputs_from_unwritten_tensors(tmp_path):
    ops = [Op("relu", {"X": ["x"]}, {"Out": ["y"]}), Op("relu", {"X": ["y"]}, {"Out": ["z"]})]
    (tmp_path / "train.pdmodel").write_bytes(program([block(0, -1, [var_desc("x", [-1, 8])], ops)]))
    graph = open_model(tmp_path / "train.pdmodel").graphs[0]
    assert [(a.name, format_shape(a.values[0].type.shape)) for a in graph.inputs] == [("x", "?×8")]
    assert format_shape(graph.nodes[1].outputs[0].values[0].type.shape) == "?×8"  # inferred through relu


def test_program_without_weights_counts_none(tmp_path):
    data, _ = reference_network(size=32, widths=(4, 8))
    (tmp_path / "net.pdmodel").write_bytes(data)
    graph = open_model(tmp_path / "net.pdmodel").graphs[0]
    assert graph.parameters() == 0
    conv = graph.nodes[0]
    # Rows still show the declared weight shapes; asking for the values says there are none.
    assert _rows(conv) == ["Filter ⟨4×3×3×3⟩"]
    with pytest.raises(ModelError):
        conv.inputs[0].values[0].initializer.data()


def test_truncated_and_oversized_weights(tmp_path):
    path, weights = _write(tmp_path, size=32, widths=(4, 8))
    full = pdiparams(weights)
    (tmp_path / "model.pdiparams").write_bytes(full[:-10])
    with pytest.raises(ModelError, match="model.pdiparams"):
        open_model(path)
    (tmp_path / "model.pdiparams").write_bytes(full + b"\0" * 8)
    with pytest.raises(ModelError, match="more than"):
        open_model(path)
    # A TensorDesc that claims a huge tensor is caught before anything is allocated.
    desc = b"\x08\x05\x10\xff\xff\xff\xff\x0f\x10\xff\xff\xff\xff\x0f"
    (tmp_path / "model.pdiparams").write_bytes(struct.pack("<IQIi", 0, 0, 0, len(desc)) + desc + b"\0" * 64)
    with pytest.raises(ModelError):
        open_model(path)


def test_attribute_kinds_and_sub_blocks(tmp_path):
    ops0 = [Op("feed", {"X": ["feed"]}, {"Out": ["x"]}, {"col": 0}),
            Op("conditional_block", {"Input": ["x"]}, {"Out": ["y"]}, {
                "sub_block": ("block", 1), "big": ("long", 1 << 40), "shape": ("longs", [-1, 1 << 33]),
                "weights": ("float64s", [0.5, 1.25]), "value": ("scalar", 2.5), "names": ["a", "b"],
                "ratios": [0.5, 0.25]}),
            Op("fetch", {"X": ["y"]}, {"Out": ["fetch"]}, {"col": 0})]
    ops1 = [Op("relu", {"X": ["x"]}, {"Out": ["y"]})]
    variables = [var_desc("feed", None, True, 9), var_desc("fetch", None, True, 10), var_desc("x", [-1, 4]),
                 var_desc("y", [-1, 4])]
    data = program([block(0, -1, variables, ops0), block(1, 0, [], ops1)])
    (tmp_path / "cond.pdmodel").write_bytes(data)
    graph = open_model(tmp_path / "cond.pdmodel").graphs[0]
    node = graph.nodes[0]
    values = {a.name: a.value for a in node.attributes}
    assert values["big"] == 1 << 40 and values["shape"] == [-1, 1 << 33]
    assert values["weights"] == [0.5, 1.25] and values["value"] == 2.5
    assert values["names"] == ["a", "b"] and values["ratios"] == [0.5, 0.25] and values["sub_block"] == 1
    assert [n.type.name for n in node.graphs[0].nodes] == ["relu"]
    # The sub-block sees its parent's variables.
    assert format_shape(node.graphs[0].nodes[0].outputs[0].values[0].type.shape) == "?×4"


def test_malformed_program_is_model_error(tmp_path):
    data, _ = reference_network(size=32, widths=(4, 8))
    (tmp_path / "bad.pdmodel").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError):
        open_model(tmp_path / "bad.pdmodel")
    (tmp_path / "empty.pdmodel").write_bytes(bytes_field(4, int_field(1, 1)))
    with pytest.raises(ModelError):
        open_model(tmp_path / "empty.pdmodel")
    # A block index attribute pointing at itself must not recurse forever.
    loop = [Op("while", {"X": ["x"]}, {"Out": ["x"]}, {"sub_block": ("block", 1)})]
    data = program([block(0, -1, [], loop), block(1, 0, [], loop)])
    (tmp_path / "loop.pdmodel").write_bytes(data)
    with pytest.raises(ModelError, match="nested too deeply"):
        open_model(tmp_path / "loop.pdmodel")


def test_attr_encoder_round_trip():
    """Guard the test encoder itself: an int attribute decodes with our codec as written."""
    from litenetron.codecs.protobuf import decode
    from litenetron.formats.schemas.paddle import PADDLE

    decoded = decode(attr("groups", 3) + str_field(5, ""), PADDLE, "OpAttr")
    assert decoded.name == "groups" and decoded.type == 0 and decoded.i == 3


# --- corpus ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("row", [row for row in manifest_rows("paddle") if row["nodes"]], ids=lambda row: row["path"])
def test_corpus_counts(row):
    corpus = require_corpus()
    summary = graph_summary(open_model(corpus / row["path"]).graphs[0])
    assert summary["nodes"] == int(row["nodes"])
    assert summary["parameters"] == int(row["parameters"])


@pytest.mark.parametrize("row", manifest_rows("paddle"), ids=lambda row: row["path"])
def test_every_corpus_file_opens(row):
    corpus = require_corpus()
    assert open_model(corpus / row["path"]).graphs[0].nodes


def test_corpus_twin_structure():
    folder = require_corpus() / "paddle" / "generated" / "resblock_224"
    model = open_model(folder / "inference.pdmodel")
    assert model.imports == ["conv2d v1", "elementwise_add v1"]  # versions of the ops it uses, not all ops
    graph = model.graphs[0]
    assert [format_shape(v.type.shape) for a in graph.inputs for v in a.values] == ["?×3×224×224"]
    types = [node.type.name for node in graph.nodes]
    assert types[:14] == ["conv2d", "batch_norm", "relu", "conv2d", "batch_norm", "relu", "pool2d", "conv2d",
                          "batch_norm", "relu", "conv2d", "batch_norm", "elementwise_add", "relu"]
    assert _rows(graph.nodes[0]) == ["Filter ⟨16×3×3×3⟩"]
    assert _rows(graph.nodes[1]) == ["Bias ⟨16⟩", "Mean ⟨16⟩", "Scale ⟨16⟩", "Variance ⟨16⟩"]
    assert _rows(graph.nodes[3]) == ["Filter ⟨32×16×3×3⟩"]
    shapes = [format_shape(node.outputs[-1].values[0].type.shape) for node in graph.nodes[:14]]
    assert shapes[:3] == ["?×16×112×112"] * 3
    assert shapes[3:6] == ["?×32×112×112"] * 3
    assert shapes[6:14] == ["?×32×56×56"] * 8
    values = graph.nodes[0].inputs[0].values[0].initializer.data()
    assert values.shape == (16, 3, 3, 3) and values.dtype == np.float32 and np.isfinite(values).all()
    import litenetron.scene as scene_module
    scene = scene_module.build_scene(graph, scene_module.ViewOptions(), lambda text, style: (7.0 * len(text), 14.0))
    labels = {edge.label for edge in scene.edges if edge.label}
    assert {"?×3×224×224", "?×16×112×112", "?×32×112×112", "?×32×56×56"} <= labels
    first_bn = next(box for box in scene.boxes if box.title == "batch_norm")
    assert [row.text for row in first_bn.rows] == ["Bias ⟨16⟩", "Mean ⟨16⟩", "Scale ⟨16⟩", "Variance ⟨16⟩"]


def test_cli_info_json_on_twin():
    folder = require_corpus() / "paddle" / "generated" / "resblock_224"
    result = run_cli(str(folder / "inference.pdmodel"), "--info", "--json")
    assert result.returncode == 0, result.stderr
    assert '"parameters": 15728' in result.stdout and '"nodes": 15' in result.stdout


# --- independent decode with the protobuf package ---------------------------------------------------------

def _protobuf_classes():
    """ProgramDesc (a minimal subset) described with descriptor_pb2, decoded by the protobuf package."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    fdp = descriptor_pb2.FileDescriptorProto(name="paddle_subset_test.proto", package="ptest", syntax="proto2")
    t = descriptor_pb2.FieldDescriptorProto

    def message(name, fields):
        item = fdp.message_type.add(name=name)
        for number, field_name, kind, label, type_name in fields:
            entry = item.field.add(name=field_name, number=number, type=kind, label=label)
            if type_name:
                entry.type_name = f".ptest.{type_name}"

    opt, rep = t.LABEL_OPTIONAL, t.LABEL_REPEATED
    message("TensorDesc", [(1, "data_type", t.TYPE_INT32, opt, ""), (2, "dims", t.TYPE_INT64, rep, "")])
    message("LoDTensorDesc", [(1, "tensor", t.TYPE_MESSAGE, opt, "TensorDesc")])
    message("VarType", [(1, "type", t.TYPE_INT32, opt, ""), (3, "lod_tensor", t.TYPE_MESSAGE, opt, "LoDTensorDesc")])
    message("VarDesc", [(1, "name", t.TYPE_STRING, opt, ""), (2, "type", t.TYPE_MESSAGE, opt, "VarType"),
                        (3, "persistable", t.TYPE_BOOL, opt, "")])
    message("OpDesc", [(3, "type", t.TYPE_STRING, opt, "")])
    message("BlockDesc", [(3, "vars", t.TYPE_MESSAGE, rep, "VarDesc"), (4, "ops", t.TYPE_MESSAGE, rep, "OpDesc")])
    message("ProgramDesc", [(1, "blocks", t.TYPE_MESSAGE, rep, "BlockDesc")])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("ptest.ProgramDesc"))


@pytest.mark.parametrize("row", [row for row in manifest_rows("paddle") if row["nodes"]], ids=lambda row: row["path"])
def test_against_protobuf_package(row):
    path = require_corpus() / row["path"]
    program_class = _protobuf_classes()
    reference = program_class()
    model_file = path if path.suffix == ".pdmodel" or path.name == "__model__" else path.parent / "__model__"
    reference.ParseFromString(model_file.read_bytes())
    block0 = reference.blocks[0]
    graph = open_model(path).graphs[0]
    expected_ops = [op.type for op in block0.ops if op.type not in ("feed", "fetch")]
    assert [node.type.name for node in graph.nodes] == expected_ops
    dims = {var.name: list(var.type.lod_tensor.tensor.dims) for var in block0.vars
            if var.type.HasField("lod_tensor")}
    for node in graph.nodes:
        for argument in node.outputs:
            for value in argument.values:
                if value.name in dims and value.type is not None and value.type.shape is not None:
                    assert [-1 if d is None else d for d in value.type.shape] == dims[value.name], value.name



def test_shared_sub_blocks_are_built_once(tmp_path):
    """Ops in each of 30 blocks refer twice to the next block: the graphs are shared, not rebuilt 2^30 times."""
    count = 30
    blocks = []
    for index in range(count):
        ops = [Op("relu", {"X": ["x"]}, {"Out": ["y"]})]
        if index + 1 < count:
            ops = [Op("conditional_block", {"X": ["x"]}, {"Out": ["y"]},
                      {"then": ("block", index + 1), "else": ("block", index + 1)})]
        blocks.append(block(index, index - 1, [var_desc("x", [2])] if index == 0 else [], ops))
    (tmp_path / "fan.pdmodel").write_bytes(program(blocks))
    node = open_model(tmp_path / "fan.pdmodel").graphs[0].nodes[0]
    assert len(node.graphs) == 2 and node.graphs[0] is node.graphs[1]


def test_params_holding_only_variables_that_ops_read(tmp_path):
    data, weights = reference_network(size=32, widths=(4, 8))
    # An extra persistable variable no op reads (e.g. a learning rate) that the writer left out of the file.
    extra = var_desc("aaa_learning_rate", [1], persistable=True)
    (tmp_path / "m.pdmodel").write_bytes(bytes_field(1, _block_with(data, extra)) + data[_blocks_end(data):])
    (tmp_path / "m.pdiparams").write_bytes(pdiparams(weights))
    graph = open_model(tmp_path / "m.pdmodel").graphs[0]
    assert graph.parameters() == sum(a.size for a in weights.values())
    np.testing.assert_array_equal(graph.nodes[0].inputs[0].values[0].initializer.data(), weights["conv1.w_0"])


def _blocks_end(data: bytes) -> int:
    """End of the first (only) `blocks` field of an encoded program."""
    length, position = read_varint(data, 1, len(data))
    return position + length


def _block_with(data: bytes, var: bytes) -> bytes:
    """The first block's bytes with one more `vars` entry appended."""
    length, position = read_varint(data, 1, len(data))
    return data[position:position + length] + bytes_field(3, var)


def test_pir_json_program(tmp_path):
    document, weights = reference_pir()
    (tmp_path / "inference.json").write_text(json.dumps(document), encoding="utf-8")
    (tmp_path / "inference.pdiparams").write_bytes(pdiparams(weights))
    for opened in (tmp_path, tmp_path / "inference.json", tmp_path / "inference.pdiparams"):
        model = open_model(opened)
        assert model.format == "PaddlePaddle PIR v1"
    graph = model.graphs[0]
    assert [format_shape(v.type.shape) for a in graph.inputs for v in a.values] == ["?×3×448×448"]
    assert [a.name for a in graph.outputs] == ["output"]
    types = [node.type.name for node in graph.nodes]
    assert types.count("conv2d") == 4 and types.count("batch_norm_") == 4 and "pool2d" in types
    conv1, bn1 = graph.nodes[0], graph.nodes[1]
    assert _rows(conv1) == ["filter ⟨32×3×3×3⟩"]
    assert _rows(bn1) == ["mean ⟨32⟩", "variance ⟨32⟩", "scale ⟨32⟩", "bias ⟨32⟩"]
    assert format_shape(conv1.outputs[0].values[0].type.shape) == "?×32×224×224"
    assert {a.name: a.value for a in conv1.attributes}["strides"] == [2, 2]
    add = next(node for node in graph.nodes if node.type.name == "add")
    assert format_shape(add.outputs[0].values[0].type.shape) == "?×64×112×112"
    summary = graph_summary(graph)
    assert summary["parameters"] == sum(a.size for a in weights.values())
    assert summary["nodes"] == len(graph.nodes) == 15  # 4 conv2d, 4 batch_norm_, 4 relu, full_int_array, pool2d, add
    np.testing.assert_array_equal(conv1.inputs[1].values[0].initializer.data(), weights["conv1.w_0"])


def test_pir_json_without_weights_and_malformed(tmp_path):
    document, _ = reference_pir(size=32, widths=(4, 8))
    (tmp_path / "net.json").write_text(json.dumps(document), encoding="utf-8")
    graph = open_model(tmp_path / "net.json").graphs[0]
    assert graph.parameters() == 0 and _rows(graph.nodes[0]) == ["filter ⟨4×3×3×3⟩"]
    (tmp_path / "bad.json").write_text('{"base_code": {"magic": "pir"}, "program": {"regions": []}}')
    with pytest.raises(ModelError, match="no block"):
        open_model(tmp_path / "bad.json")
    (tmp_path / "cut.json").write_text(json.dumps(document)[:300])
    with pytest.raises(ModelError):
        open_model(tmp_path / "cut.json")
    # A JSON file that is not a PIR program is not claimed by this reader.
    (tmp_path / "other.json").write_text('{"nodes": []}')
    from litenetron.formats import paddle
    assert not paddle.match(tmp_path / "other.json", b'{"nodes": []}')
