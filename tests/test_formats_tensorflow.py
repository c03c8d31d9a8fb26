"""TensorFlow reader: fixtures encoded by the protobuf package, the corpus against MANIFEST counts and against
an independent descriptor-based decode."""

from __future__ import annotations

import struct
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from google.protobuf import text_format
from proto_reference import message_classes

from conftest import CORPUS, assert_manifest_counts, cli_info, manifest_rows, require_corpus
from litenetron.codecs.protobuf import encode_varint
from litenetron.formats import open_model, read_header, tensorflow
from litenetron.info import model_summary
from litenetron.model import ModelError, TensorType

# The subset of TensorFlow's messages these tests check, written from the public .proto files (DataType
# enums as int32, maps as repeated key/value entries: the same bytes on the wire).
SPEC = {
    "GraphDef": {"node": (1, "NodeDef*"), "library": (2, "FunctionDefLibrary"), "versions": (4, "VersionDef")},
    "VersionDef": {"producer": (1, "int32")},
    "NodeDef": {"name": (1, "string"), "op": (2, "string"), "input": (3, "string*"), "device": (4, "string"),
                "attr": (5, "AttrEntry*")},
    "AttrEntry": {"key": (1, "string"), "value": (2, "AttrValue")},
    "AttrValue": {"list": (1, "ListValue"), "s": (2, "bytes"), "i": (3, "int64"), "f": (4, "float"),
                  "b": (5, "bool"), "type": (6, "int32"), "shape": (7, "TensorShapeProto"),
                  "tensor": (8, "TensorProto"), "placeholder": (9, "string"), "func": (10, "NameAttrList")},
    "ListValue": {"s": (2, "bytes*"), "i": (3, "int64*"), "f": (4, "float*"), "b": (5, "bool*"),
                  "type": (6, "int32*"), "shape": (7, "TensorShapeProto*")},
    "NameAttrList": {"name": (1, "string"), "attr": (2, "AttrEntry*")},
    "TensorShapeProto": {"dim": (2, "Dim*"), "unknown_rank": (3, "bool")},
    "Dim": {"size": (1, "int64"), "name": (2, "string")},
    "TensorProto": {"dtype": (1, "int32"), "tensor_shape": (2, "TensorShapeProto"), "tensor_content": (4, "bytes"),
                    "float_val": (5, "float*"), "int_val": (7, "int32*"), "string_val": (8, "bytes*"),
                    "int64_val": (10, "int64*"), "bool_val": (11, "bool*"), "half_val": (13, "int32*")},
    "FunctionDefLibrary": {"function": (1, "FunctionDef*")},
    "FunctionDef": {"signature": (1, "OpDef"), "node_def": (3, "NodeDef*"), "ret": (4, "StringEntry*")},
    "StringEntry": {"key": (1, "string"), "value": (2, "string")},
    "OpDef": {"name": (1, "string"), "input_arg": (2, "ArgDef*"), "output_arg": (3, "ArgDef*")},
    "ArgDef": {"name": (1, "string"), "type": (3, "int32")},
    "MetaGraphDef": {"meta_info_def": (1, "MetaInfoDef"), "graph_def": (2, "GraphDef"),
                     "signature_def": (5, "SignatureEntry*")},
    "MetaInfoDef": {"meta_graph_version": (1, "string"), "tags": (4, "string*"),
                    "tensorflow_version": (5, "string")},
    "SignatureEntry": {"key": (1, "string"), "value": (2, "SignatureDef")},
    "SignatureDef": {"inputs": (1, "TensorInfoEntry*"), "outputs": (2, "TensorInfoEntry*"),
                     "method_name": (3, "string")},
    "TensorInfoEntry": {"key": (1, "string"), "value": (2, "TensorInfo")},
    "TensorInfo": {"name": (1, "string"), "dtype": (2, "int32")},
    "SavedModel": {"saved_model_schema_version": (1, "int64"), "meta_graphs": (2, "MetaGraphDef*")},
}
TF = message_classes("tfref", SPEC)
FLOAT, INT32, HALF = 1, 3, 19


def _node(graph, name, op, inputs=(), **attrs):
    node = (graph.node_def if hasattr(graph, "node_def") else graph.node).add(name=name, op=op)
    node.input.extend(inputs)
    for key, setter in attrs.items():
        setter(node.attr.add(key=key).value)
    return node


def _tensor_attr(dtype, shape, **fields):
    def setter(value):
        value.tensor.dtype = dtype
        for size in shape:
            value.tensor.tensor_shape.dim.add(size=size)
        for field, content in fields.items():
            if isinstance(content, bytes):
                setattr(value.tensor, field, content)
            else:
                getattr(value.tensor, field).extend(content)
    return setter


def _sample_graph():
    graph = TF["GraphDef"]()
    graph.versions.producer = 1234
    weights = np.arange(96, dtype=np.float32).reshape(2, 2, 3, 8)

    def shape(value):
        for size in (-1, 4, 4, 3):
            value.shape.dim.add(size=size)

    _node(graph, "x", "Placeholder", dtype=lambda v: setattr(v, "type", FLOAT), shape=shape)
    _node(graph, "w", "Const", dtype=lambda v: setattr(v, "type", FLOAT),
          value=_tensor_attr(FLOAT, (2, 2, 3, 8), tensor_content=weights.tobytes()))
    _node(graph, "conv", "Conv2D", ["x", "w"], T=lambda v: setattr(v, "type", FLOAT),
          strides=lambda v: v.list.i.extend([1, 1, 1, 1]), padding=lambda v: setattr(v, "s", b"SAME"),
          use_cudnn_on_gpu=lambda v: setattr(v, "b", True))
    _node(graph, "axis", "Const", dtype=lambda v: setattr(v, "type", INT32), value=_tensor_attr(INT32, (), int_val=[3]))
    _node(graph, "split", "Split", ["axis", "conv"], num_split=lambda v: setattr(v, "i", 2))
    _node(graph, "r0", "Relu", ["split:0"])
    _node(graph, "r1", "Relu", ["split:1", "^r0"])
    _node(graph, "other", "Identity", ["axis"])
    halves = np.array([1.5, -2.0], dtype=np.float16).view(np.uint16).tolist()
    _node(graph, "half", "Const", dtype=lambda v: setattr(v, "type", HALF),
          value=_tensor_attr(HALF, (2,), half_val=halves))
    _node(graph, "m", "Mul", ["r1", "half"])
    _node(graph, "init", "NoOp", ["^m"])
    return graph, weights


def test_graph_def_fixture(tmp_path):
    graph_def, weights = _sample_graph()
    path = tmp_path / "frozen.pb"
    path.write_bytes(graph_def.SerializeToString())
    assert tensorflow.match(path, read_header(path))
    model = open_model(path)
    assert model.format == "TensorFlow Graph" and model.version == "producer 1234"
    graph = model.graphs[0]
    assert graph.node_count() == 11 and graph.operators()["Const"] == 3
    assert graph.parameters() == 96 + 1 + 2
    nodes = {node.name: node for node in graph.nodes}
    assert "w" not in nodes and "half" not in nodes and "x" not in nodes  # folded / graph input
    assert "axis" in nodes  # two consumers: stays a node
    assert graph.inputs[0].values[0].type.shape == (None, 4, 4, 3)
    assert graph.inputs[0].values[0].type.dtype == "float32"
    conv = nodes["conv"]
    assert conv.type.category == "Layer" and nodes["r0"].type.category == "Activation"
    filters = [value for _, value in conv.weights()]
    assert [argument.name for argument, _ in conv.weights()] == ["filter"]
    assert filters[0].initializer.shape == (2, 2, 3, 8)
    np.testing.assert_array_equal(filters[0].initializer.data(), weights)
    attributes = {attribute.name: attribute for attribute in conv.attributes}
    assert attributes["strides"].value == [1, 1, 1, 1] and attributes["padding"].value == "SAME"
    assert attributes["T"].value == "float32" and attributes["use_cudnn_on_gpu"].value is True
    # No _output_shapes in the file: computed from the input and filter shapes (SAME padding, stride 1).
    assert conv.outputs[0].values[0].type == TensorType("float32", (None, 4, 4, 8))
    assert [value.name for argument in nodes["split"].outputs for value in argument.values] == ["split", "split:1"]
    assert nodes["r0"].inputs[0].values[0].name == "split"
    assert nodes["r1"].inputs[0].values[0].name == "split:1"
    assert [value.name for value in nodes["r1"].inputs[-1].values] == ["^r0"]
    assert nodes["init"].inputs[0].values[0].name == "^m"
    half = next(value.initializer for _, value in nodes["m"].weights())
    assert half.dtype == "float16"
    np.testing.assert_array_equal(half.data(), np.array([1.5, -2.0], dtype=np.float16))
    axis_value = next(a for a in nodes["axis"].attributes if a.name == "value").value
    assert axis_value.data().tolist() == 3
    assert {argument.name for argument in graph.outputs} == {"other"}


def test_text_form_reads_the_same_graph(tmp_path):
    graph_def, _ = _sample_graph()
    binary, text = tmp_path / "g.pb", tmp_path / "g.pbtxt"
    binary.write_bytes(graph_def.SerializeToString())
    text.write_text(text_format.MessageToString(graph_def))
    assert tensorflow.match(text, read_header(text))
    first, second = open_model(binary).graphs[0], open_model(text).graphs[0]
    assert first.operators() == second.operators() and first.parameters() == second.parameters()

    def edges(graph):
        return [(node.name, node.type.name, [v.name for a in node.inputs for v in a.values],
                 [v.type and v.type.shape for a in node.outputs for v in a.values]) for node in graph.nodes]

    assert edges(first) == edges(second)


def _meta_graph(tags, version="2.15.0"):
    meta = TF["MetaGraphDef"]()
    meta.meta_info_def.tags.extend(tags)
    meta.meta_info_def.tensorflow_version = version
    graph, _ = _sample_graph()
    meta.graph_def.CopyFrom(graph)
    signature = meta.signature_def.add(key="serving_default").value
    signature.inputs.add(key="x").value.name = "x:0"
    signature.outputs.add(key="y").value.name = "m:0"
    return meta


def test_meta_graph_and_saved_model(tmp_path):
    meta_path = tmp_path / "model.ckpt.meta"
    meta_path.write_bytes(_meta_graph(["train"]).SerializeToString())
    model = open_model(meta_path)
    assert model.format == "TensorFlow MetaGraph" and model.producer == "TensorFlow 2.15.0"
    assert model.graphs[0].node_count() == 11
    folder = tmp_path / "saved"
    folder.mkdir()
    saved = TF["SavedModel"](saved_model_schema_version=1)
    saved.meta_graphs.add().CopyFrom(_meta_graph(["serve"]))
    saved.meta_graphs.add().CopyFrom(_meta_graph(["serve", "gpu"]))
    (folder / "saved_model.pb").write_bytes(saved.SerializeToString())
    for target in (folder, folder / "saved_model.pb"):
        model = open_model(target)
        assert model.format == "TensorFlow Saved Model v1"
        assert [graph.name for graph in model.graphs] == ["serve", "serve,gpu"]
        assert ("signature serving_default", "(x) → (y)") in model.metadata
    text_folder = tmp_path / "saved_text"
    text_folder.mkdir()
    (text_folder / "saved_model.pbtxt").write_text(text_format.MessageToString(saved))
    model = open_model(text_folder)
    assert [graph.name for graph in model.graphs] == ["serve", "serve,gpu"]
    assert model.graphs[1].node_count() == 11


def test_function_library_is_navigable(tmp_path):
    graph = TF["GraphDef"]()
    function = graph.library.function.add()
    function.signature.name = "my_fn"
    function.signature.input_arg.add(name="a", type=FLOAT)
    function.signature.output_arg.add(name="out", type=FLOAT)
    body = function.node_def.add(name="n", op="Relu")
    body.input.append("a")
    function.ret.add(key="out", value="n:activations:0")
    _node(function, "k", "Const", value=_tensor_attr(FLOAT, (), float_val=[2.0]))
    _node(function, "scaled", "Mul", ["n:activations:0", "k:output:0"])
    _node(function, "kept", "Const", value=_tensor_attr(FLOAT, (), float_val=[3.0]))
    function.ret.add(key="three", value="kept:output:0")
    _node(graph, "x", "Placeholder", dtype=lambda v: setattr(v, "type", FLOAT))
    _node(graph, "call", "my_fn", ["x"])
    _node(graph, "pcall", "StatefulPartitionedCall", ["x"], f=lambda v: setattr(v.func, "name", "my_fn"))
    path = tmp_path / "functions.pb"
    path.write_bytes(graph.SerializeToString())
    model = open_model(path)
    assert [function.name for function in model.functions] == ["my_fn"]
    body_graph = model.functions[0]
    assert [value.name for argument in body_graph.inputs for value in argument.values] == ["a"]
    returned = body_graph.outputs[0].values[0]
    assert returned.name == "n:activations:0"
    assert returned is body_graph.nodes[0].outputs[-1].values[0]
    body_nodes = {node.name: node for node in body_graph.nodes}
    assert "k" not in body_nodes and "kept" in body_nodes  # one use: a weight; a returned Const: a node
    assert [value.name for _, value in body_nodes["scaled"].weights()] == ["k:output:0"]
    assert [argument.values[0] for argument in body_nodes["kept"].outputs] == [body_graph.outputs[1].values[0]]
    nodes = {node.name: node for node in model.graphs[0].nodes}
    assert nodes["call"].graphs == [body_graph] and nodes["pcall"].graphs == [body_graph]
    assert model.graphs[0].inputs[0].values[0].type == TensorType("float32", None)  # no shape attr: rank unknown


def test_other_protobuf_files_are_not_claimed(tmp_path):
    import onnx
    from onnx import helper, numpy_helper
    node = helper.make_node("Relu", ["x"], ["y"])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])])
    for name, payload in (
        ("model.pb", helper.make_model(graph, producer_name="pytorch").SerializeToString()),
        ("input_0.pb", numpy_helper.from_array(np.ones((2, 3), np.float32), "x").SerializeToString()),
        ("scalar.pb", numpy_helper.from_array(np.float32(1.0), "s").SerializeToString()),
        # A Caffe NetParameter: name string first, then V1 layers.
        ("net.pb", b"\x0a\x05LeNet\x12\x04\x22\x02ip"),
    ):
        path = tmp_path / name
        path.write_bytes(payload)
        assert not tensorflow.match(path, read_header(path)), name


def test_not_a_graph_and_malformed(tmp_path):
    (tmp_path / "saved_model.pb").write_bytes(TF["SavedModel"](saved_model_schema_version=1).SerializeToString())
    fingerprint = tmp_path / "fingerprint.pb"
    fingerprint.write_bytes(b"\x08\x01\x10\x02")
    with pytest.raises(ModelError, match="fingerprint"):
        open_model(fingerprint)
    with pytest.raises(ModelError, match="no meta graphs"):
        open_model(tmp_path / "saved_model.pb")
    graph_def, _ = _sample_graph()
    truncated = tmp_path / "truncated.pb"
    truncated.write_bytes(graph_def.SerializeToString()[:200])
    with pytest.raises(ModelError):
        open_model(truncated)


def test_tensor_value_lists_fill_the_shape(tmp_path):
    graph = TF["GraphDef"]()
    _node(graph, "fill", "Const", value=_tensor_attr(FLOAT, (2, 3), float_val=[0.5]))
    _node(graph, "b", "Const", value=_tensor_attr(10, (3,), bool_val=[True, False, True]))
    _node(graph, "s", "Const", value=_tensor_attr(7, (2,), string_val=[b"ab", b"cd"]))
    _node(graph, "wide", "Const", value=_tensor_attr(9, (2,), int64_val=[1 << 40, -5]))
    path = tmp_path / "consts.pb"
    path.write_bytes(graph.SerializeToString())
    graph = open_model(path).graphs[0]
    values = {node.name: next(a for a in node.attributes if a.name == "value").value.data() for node in graph.nodes}
    assert values["fill"].tolist() == [[0.5] * 3] * 2
    assert values["b"].tolist() == [True, False, True]
    assert values["s"].tolist() == ["ab", "cd"]
    assert values["wide"].tolist() == [1 << 40, -5]
    assert graph.parameters() == 6 + 3 + 2 + 2


def test_a_long_string_value_is_read_from_its_reference(tmp_path):
    """Fuzz finding: strings over the lazy threshold stay BytesRefs, which bytes() cannot convert."""
    long = b"x" * 5000
    graph = TF["GraphDef"]()
    _node(graph, "s", "Const", value=_tensor_attr(7, (2,), string_val=[long, b"short"]))
    path = tmp_path / "strings.pb"
    path.write_bytes(graph.SerializeToString())
    node = open_model(path).graphs[0].nodes[0]
    assert next(a for a in node.attributes if a.name == "value").value.data().tolist() == ["x" * 5000, "short"]


# --- the corpus -----------------------------------------------------------------------------------------

ROWS = manifest_rows("tensorflow")


@pytest.mark.parametrize("row", ROWS, ids=[row["path"] for row in ROWS])
def test_corpus_counts(row):
    require_corpus()
    path = CORPUS / row["path"]
    if not row["nodes"] and not row["parameters"] and path.name != "saved_model.pb":
        with pytest.raises(ModelError, match="not a graph|no graph"):
            open_model(path)
        return
    summary = model_summary(open_model(path))["graphs"][0]
    assert_manifest_counts(summary, row)


def test_cli_info_json_matches_manifest():
    require_corpus()
    row = next(row for row in ROWS if row["path"].endswith("small_cnn_frozen.pb"))
    graph = cli_info(CORPUS / row["path"])["graphs"][0]
    assert (graph["nodes"], graph["parameters"]) == (int(row["nodes"]), int(row["parameters"]))
    assert graph["inputs"][0]["shape"] == [1, 28, 28, 1]
    assert [output["shape"] for output in graph["outputs"]] == [[1, 10]]


def _reference(path: Path):
    if path.name.endswith("saved_model.pb"):
        return TF["SavedModel"].FromString(path.read_bytes()).meta_graphs[0].graph_def
    if path.suffix == ".meta":
        return TF["MetaGraphDef"].FromString(path.read_bytes()).graph_def
    return TF["GraphDef"].FromString(path.read_bytes())


BINARY_ROWS = [row for row in ROWS if row["path"].endswith((".pb", ".meta")) and row["nodes"]]


@pytest.mark.parametrize("row", BINARY_ROWS, ids=[row["path"] for row in BINARY_ROWS])
def test_corpus_against_protobuf_package(row):
    require_corpus()
    path = CORPUS / row["path"]
    reference = _reference(path)
    graph = open_model(path).graphs[0]
    assert graph.operators() == dict(Counter(node.op for node in reference.node))
    drawn = {node.name: node for node in graph.nodes}
    tensors = {tensor.name: tensor for tensor in graph.tensors()}
    elements = 0
    for node in reference.node:
        attrs = {entry.key: entry.value for entry in node.attr}
        if node.op == "Const":
            proto = attrs["value"].tensor
            shape = tuple(dim.size for dim in proto.tensor_shape.dim)
            elements += int(np.prod(shape)) if shape else 1
            tensor = tensors.get(node.name) or next(a.value for a in drawn[node.name].attributes if a.name == "value")
            assert tensor.shape == shape
            if proto.tensor_content and proto.dtype == FLOAT:
                expected = np.frombuffer(proto.tensor_content, "<f4").reshape(shape)
                np.testing.assert_array_equal(tensor.data(), expected)
        elif node.name in drawn:
            ours = drawn[node.name]
            assert ours.type.name == node.op
            data_inputs = [name for name in node.input if not name.startswith("^")]
            stored = [a for a in ours.inputs if a.name != "control" and not a.values[0].name.startswith("checkpoint:")]
            assert len(stored) == len(data_inputs)
    restored = {value.name: value.initializer.size for node in graph.nodes for _, value in node.weights()
                if value.name.startswith("checkpoint:")}
    assert graph.parameters() == elements + sum(restored.values())


def test_text_and_binary_corpus_twins_agree():
    require_corpus()
    for binary, text in (("generated/frozen/small_cnn_frozen.pb", "generated/frozen/small_cnn_frozen.pbtxt"),
                         ("fazibear__tensorflow.cr_examples/graph.pb", "fazibear__tensorflow.cr_examples/graph.pbtxt")):
        first = open_model(CORPUS / "tensorflow" / binary).graphs[0]
        second = open_model(CORPUS / "tensorflow" / text).graphs[0]
        assert [(n.name, n.type.name) for n in first.nodes] == [(n.name, n.type.name) for n in second.nodes]
        for one, two in zip(first.tensors(), second.tensors()):
            np.testing.assert_array_equal(one.data(), two.data())


def test_half_precision_bits_round_trip():
    bits = struct.unpack("<H", np.float16(0.25).tobytes())[0]
    proto = TF["TensorProto"](dtype=HALF)
    proto.tensor_shape.dim.add(size=1)
    proto.half_val.append(bits)
    from litenetron.codecs.protobuf import decode
    from litenetron.formats.schemas.tensorflow import TENSORFLOW
    tensor = tensorflow.tensor_from_proto("h", decode(proto.SerializeToString(), TENSORFLOW, "TensorProto"))
    assert tensor.data().tolist() == [0.25]


def test_filled_tensor_too_large_is_refused(tmp_path):
    graph = TF["GraphDef"]()
    _node(graph, "zeros", "Const", value=_tensor_attr(FLOAT, (1 << 20, 1 << 10), float_val=[0.0]))
    path = tmp_path / "zeros.pb"
    path.write_bytes(graph.SerializeToString())
    graph = open_model(path).graphs[0]
    assert graph.parameters() == 1 << 30
    tensor = next(a for a in graph.nodes[0].attributes if a.name == "value").value
    with pytest.raises(ModelError, match="too large"):
        tensor.data()


def test_variable_shapes_flow_to_readers(tmp_path):
    graph = TF["GraphDef"]()

    def shape(value):
        for size in (2, 3):
            value.shape.dim.add(size=size)

    _node(graph, "v", "VariableV2", dtype=lambda v: setattr(v, "type", FLOAT), shape=shape)
    _node(graph, "v/read", "Identity", ["v"], T=lambda v: setattr(v, "type", FLOAT))
    _node(graph, "h", "VarHandleOp", dtype=lambda v: setattr(v, "type", FLOAT), shape=shape)
    _node(graph, "h/read", "ReadVariableOp", ["h"], dtype=lambda v: setattr(v, "type", FLOAT))
    _node(graph, "sum", "AddV2", ["v/read", "h/read"], T=lambda v: setattr(v, "type", FLOAT))
    path = tmp_path / "variables.pb"
    path.write_bytes(graph.SerializeToString())
    nodes = {node.name: node for node in open_model(path).graphs[0].nodes}
    for name in ("v/read", "h/read", "sum"):
        assert nodes[name].outputs[0].values[0].type == TensorType("float32", (2, 3)), name


def test_shape_rules_of_common_ops(tmp_path):
    graph = TF["GraphDef"]()

    def ints(name, values):
        _node(graph, name, "Const", dtype=lambda v: setattr(v, "type", INT32),
              value=_tensor_attr(INT32, (len(values),), int_val=values))

    def shape(value):
        for size in (2, 8, 6, 4):
            value.shape.dim.add(size=size)

    _node(graph, "x", "Placeholder", dtype=lambda v: setattr(v, "type", FLOAT), shape=shape)
    for name, values in (("axis1", [1]), ("axis3", [3]), ("sizes", [1, -1]), ("multiples", [1, 1, 2, 1]),
                         ("begin", [0, 1, 0, 0]), ("size", [-1, 2, 3, -1]), ("dims", [5, 7]),
                         ("indices", [0, 2, 1]), ("flat", [2, -1]), ("perm", [0, 3, 1, 2]),
                         ("paddings", [0, 0, 1, 1, 2, 2, 0, 0]), ("axes", [1, 2])):
        ints(name, values)
    ops = {
        "split": ("Split", ["axis1", "x"], {"num_split": 2}),
        "splitv": ("SplitV", ["x", "sizes", "axis3"], {}),
        "tile": ("Tile", ["x", "multiples"], {}),
        "slice": ("Slice", ["x", "begin", "size"], {}),
        "fill": ("Fill", ["dims", "axis1"], {}),
        "gather": ("GatherV2", ["x", "indices", "axis1"], {}),
        "unpack": ("Unpack", ["x"], {"num": 2}),
        "concat": ("ConcatV2", ["x", "x", "axis3"], {"N": 2}),
        "reshape": ("Reshape", ["x", "flat"], {}),
        "transpose": ("Transpose", ["x", "perm"], {}),
        "pad": ("Pad", ["x", "paddings"], {}),
        "mean": ("Mean", ["x", "axes"], {"keep_dims": True}),
        "pool": ("MaxPool", ["x"], {"ksize": [1, 2, 2, 1], "strides": [1, 2, 2, 1], "padding": "VALID"}),
        "expand": ("ExpandDims", ["x", "axis1"], {}),
    }
    for name, (op, inputs, attrs) in ops.items():
        setters = {}
        for key, attr in attrs.items():
            if isinstance(attr, list):
                setters[key] = lambda v, attr=attr: v.list.i.extend(attr)
            elif isinstance(attr, str):
                setters[key] = lambda v, attr=attr: setattr(v, "s", attr.encode())
            elif isinstance(attr, bool):
                setters[key] = lambda v, attr=attr: setattr(v, "b", attr)
            else:
                setters[key] = lambda v, attr=attr: setattr(v, "i", attr)
        _node(graph, name, op, inputs, **setters)
    _node(graph, "use_split", "Relu", ["split:1", "splitv:1", "unpack:1"])
    path = tmp_path / "shapes.pb"
    path.write_bytes(graph.SerializeToString())
    shapes = {value.name: value.type.shape for node in open_model(path).graphs[0].nodes
              for argument in node.outputs for value in argument.values if value.type}
    assert shapes["split"] == shapes["split:1"] == (2, 4, 6, 4)
    assert shapes["splitv"] == (2, 8, 6, 1) and shapes["splitv:1"] == (2, 8, 6, 3)
    assert shapes["tile"] == (2, 8, 12, 4) and shapes["slice"] == (2, 2, 3, 4) and shapes["fill"] == (5, 7)
    assert shapes["gather"] == (2, 3, 6, 4) and shapes["unpack:1"] == (8, 6, 4)
    assert shapes["concat"] == (2, 8, 6, 8) and shapes["reshape"] == (2, 192)
    assert shapes["transpose"] == (2, 4, 8, 6) and shapes["pad"] == (2, 10, 10, 4)
    assert shapes["mean"] == (2, 1, 1, 4) and shapes["pool"] == (2, 4, 3, 4) and shapes["expand"] == (2, 1, 8, 6, 4)


# --- checkpoint bundles ---------------------------------------------------------------------------------

SPEC_BUNDLE = {
    "BundleHeaderProto": {"num_shards": (1, "int32")},
    "BundleEntryProto": {"dtype": (1, "int32"), "shape": (2, "TensorShapeProto"), "shard_id": (3, "int32"),
                         "offset": (4, "int64"), "size": (5, "int64")},
    "TensorShapeProto": {"dim": (2, "Dim*")},
    "Dim": {"size": (1, "int64")},
}
BUNDLE = message_classes("tfbundle", SPEC_BUNDLE)


def _table(entries) -> bytes:
    """A LevelDB-format table (one data block, no compression, no key sharing) as TensorFlow writes them."""
    def block(items):
        body = b"".join(encode_varint(0) + encode_varint(len(k)) + encode_varint(len(v)) + k + v for k, v in items)
        return body + struct.pack("<II", 0, 1)

    data = block(sorted(entries.items()))
    index = block([(max(entries), encode_varint(0) + encode_varint(len(data)))])
    index_offset = len(data) + 5
    meta = block([])
    meta_offset = index_offset + len(index) + 5
    footer = b"".join(encode_varint(n) for n in (meta_offset, len(meta), index_offset, len(index))).ljust(40, b"\0")
    return (data + b"\0" * 5 + index + b"\0" * 5 + meta + b"\0" * 5 + footer
            + struct.pack("<Q", 0xDB4775248B80FB57))


def test_checkpoint_beside_a_meta_graph_gives_variable_values(tmp_path):
    meta = TF["MetaGraphDef"]()
    shape = (2, 3)
    _node(meta.graph_def, "v", "VariableV2", dtype=lambda v: setattr(v, "type", FLOAT),
          shape=lambda v: [v.shape.dim.add(size=size) for size in shape])
    _node(meta.graph_def, "v/read", "Identity", ["v"])
    (tmp_path / "model.ckpt.meta").write_bytes(meta.SerializeToString())
    values = np.arange(6, dtype=np.float32).reshape(shape)
    entry = BUNDLE["BundleEntryProto"](dtype=FLOAT, offset=8, size=values.nbytes)
    for size in shape:
        entry.shape.dim.add(size=size)
    (tmp_path / "model.ckpt.data-00000-of-00001").write_bytes(b"\0" * 8 + values.tobytes())
    (tmp_path / "model.ckpt.index").write_bytes(_table({
        b"": BUNDLE["BundleHeaderProto"](num_shards=1).SerializeToString(),
        b"v": entry.SerializeToString()}))
    model = open_model(tmp_path / "model.ckpt.meta")
    variable = next(node for node in model.graphs[0].nodes if node.name == "v")
    tensor = next(value.initializer for _, value in variable.weights())
    assert tensor.shape == shape and tensor.location == "model.ckpt.data-00000-of-00001"
    np.testing.assert_array_equal(tensor.data(), values)
    assert model.graphs[0].parameters() == 0  # a checkpoint beside a .meta does not change its count
    assert ("variables", "1 from model.ckpt.index") in model.metadata
    (tmp_path / "model.ckpt.index").write_bytes(b"broken")
    model = open_model(tmp_path / "model.ckpt.meta")  # the graph still opens
    assert any(key == "variables" and "not read" in text for key, text in model.metadata)


def test_saved_model_variables_in_corpus():
    require_corpus()
    model = open_model(CORPUS / "tensorflow/generated/saved_model/keras_small_cnn")
    graph = model.graphs[0]
    kernels = {node.name: value.initializer for node in graph.nodes for _, value in node.weights()}
    assert kernels["conv2d/kernel"].shape == (3, 3, 1, 8) and kernels["probs/kernel"].shape == (16, 10)
    assert np.isfinite(kernels["conv2d/kernel"].data()).all()
    # The Keras model's 1,450 weights, its Dropout seed state (2) and the graph's one Const.
    assert graph.parameters() == 1450 + 2 + 1


def test_while_loop_and_function_library_nodes_count_only_the_main_graph(tmp_path):
    # The INFO-JSON rule: `nodes` is len(graph_def.node), however many nodes the While's functions hold.
    graph = TF["GraphDef"]()
    graph.versions.producer = 1882
    kernel = np.ones((64, 256), np.float32)  # a first node larger than the detection peek
    _node(graph, "kernel", "Const", dtype=lambda v: setattr(v, "type", FLOAT),
          value=_tensor_attr(FLOAT, kernel.shape, tensor_content=kernel.tobytes()))
    _node(graph, "x", "Placeholder", dtype=lambda v: setattr(v, "type", FLOAT))
    for name in ("while_body", "while_cond"):
        function = graph.library.function.add()
        function.signature.name = name
        function.signature.input_arg.add(name="i", type=INT32)
        function.signature.output_arg.add(name="o", type=INT32)
        for index in range(30):
            _node(function, f"n{index}", "AddV2", ["i", "i"])
        function.ret.add(key="o", value="n0:z:0")
    _node(graph, "loop", "While", ["x", "kernel"], body=lambda v: setattr(v.func, "name", "while_body"),
          cond=lambda v: setattr(v.func, "name", "while_cond"))
    _node(graph, "out", "Identity", ["loop:1"])
    path = tmp_path / "frozen_lstm_like.pb"
    path.write_bytes(graph.SerializeToString())
    model = open_model(path)
    assert model.format == "TensorFlow Graph"
    assert model.graphs[0].node_count() == len(graph.node) == 4
    assert sorted(function.name for function in model.functions) == ["while_body", "while_cond"]
    assert [function.node_count() for function in model.functions] == [30, 30]
    assert model.graphs[0].parameters() == kernel.size
