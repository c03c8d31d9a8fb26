"""Caffe reader: fixtures encoded by the protobuf package, shape rules, the corpus against MANIFEST counts and
against an independent descriptor-based decode."""

from __future__ import annotations

import numpy as np
import pytest
from google.protobuf import text_format
from proto_reference import message_classes

from conftest import CORPUS, assert_manifest_counts, cli_info, manifest_rows, output_values, require_corpus
from litenetron.formats import caffe, caffe_shapes, open_model, read_header
from litenetron.model import ModelError

# The subset of caffe.proto these tests check, written from the public caffe.proto (proto2, packed blobs).
SPEC = {
    "NetParameter": {"name": (1, "string"), "layers": (2, "V1LayerParameter*"), "input": (3, "string*"),
                     "input_dim": (4, "int32*"), "input_shape": (8, "BlobShape*"), "layer": (100, "LayerParameter*")},
    "BlobShape": {"dim": (1, "int64*p")},
    "BlobProto": {"num": (1, "int32"), "channels": (2, "int32"), "height": (3, "int32"), "width": (4, "int32"),
                  "data": (5, "float*p"), "shape": (7, "BlobShape")},
    "NetStateRule": {"phase": (1, "int32")},
    "LayerParameter": {"name": (1, "string"), "type": (2, "string"), "bottom": (3, "string*"),
                       "top": (4, "string*"), "blobs": (7, "BlobProto*"), "include": (8, "NetStateRule*"),
                       "convolution_param": (106, "ConvolutionParameter"),
                       "inner_product_param": (117, "InnerProductParameter"),
                       "pooling_param": (121, "PoolingParameter")},
    "ConvolutionParameter": {"num_output": (1, "uint32"), "pad": (3, "uint32*"), "kernel_size": (4, "uint32*"),
                             "group": (5, "uint32"), "stride": (6, "uint32*")},
    "PoolingParameter": {"pool": (1, "int32"), "kernel_size": (2, "uint32"), "stride": (3, "uint32"),
                         "pad": (4, "uint32"), "global_pooling": (12, "bool"), "round_mode": (13, "int32")},
    "InnerProductParameter": {"num_output": (1, "uint32")},
    "V1LayerParameter": {"bottom": (2, "string*"), "top": (3, "string*"), "name": (4, "string"),
                         "type": (5, "int32"), "blobs": (6, "BlobProto*")},
}
CAFFE = message_classes("caffetest", SPEC, syntax="proto2")


def _layer(net, name, kind, bottoms, tops):
    layer = net.layer.add(name=name, type=kind)
    layer.bottom.extend(bottoms)
    layer.top.extend(tops)
    return layer


def _blob(layer, array, legacy=False):
    blob = layer.blobs.add()
    if legacy:
        blob.num, blob.channels, blob.height, blob.width = (1,) * (4 - array.ndim) + array.shape
    else:
        blob.shape.dim.extend(array.shape)
    blob.data.extend(array.ravel().tolist())
    return blob


def _deploy(round_mode=None, with_weights=True):
    net = CAFFE["NetParameter"](name="tiny")
    net.input.append("data")
    net.input_shape.add().dim.extend([1, 3, 32, 32])
    conv = _layer(net, "conv1", "Convolution", ["data"], ["conv1"])
    conv.convolution_param.num_output = 8
    conv.convolution_param.kernel_size.append(3)
    conv.convolution_param.pad.append(1)
    conv.convolution_param.stride.append(2)
    weights = np.linspace(-1, 1, 8 * 3 * 3 * 3, dtype=np.float32).reshape(8, 3, 3, 3)
    fc_weights = np.full((10, 512), 0.5, np.float32)
    if with_weights:
        _blob(conv, weights)
        _blob(conv, np.arange(8, dtype=np.float32))
    _layer(net, "relu1", "ReLU", ["conv1"], ["conv1"])
    pool = _layer(net, "pool1", "Pooling", ["conv1"], ["pool1"])
    pool.pooling_param.kernel_size, pool.pooling_param.stride = 3, 2
    if round_mode is not None:
        pool.pooling_param.round_mode = round_mode
    fc = _layer(net, "fc", "InnerProduct", ["pool1"], ["fc"])
    fc.inner_product_param.num_output = 10
    if with_weights:
        _blob(fc, fc_weights, legacy=True)
        _blob(fc, np.zeros(10, np.float32))
    _layer(net, "prob", "Softmax", ["fc"], ["prob"])
    return net, weights


def _edges(graph):
    return {node.name: ([v.name for a in node.inputs for v in a.values if v.initializer is None],
                        [(v.name, v.type and v.type.shape) for a in node.outputs for v in a.values])
            for node in graph.nodes}


def test_binary_deploy_net(tmp_path):
    net, weights = _deploy()
    path = tmp_path / "tiny.caffemodel"
    path.write_bytes(net.SerializeToString())
    assert caffe.match(path, read_header(path))
    model = open_model(path)
    graph = model.graphs[0]
    assert model.format == "Caffe" and graph.name == "tiny" and graph.node_count() == 5
    assert graph.parameters() == 8 * 27 + 8 + 10 * 512 + 10
    edges = _edges(graph)
    assert edges["conv1"] == (["data"], [("conv1", (1, 8, 16, 16))])
    assert edges["relu1"] == (["conv1"], [("conv1#1", (1, 8, 16, 16))])
    assert edges["pool1"] == (["conv1#1"], [("pool1", (1, 8, 8, 8))])  # ceil mode: 8, not 7
    assert edges["fc"][1] == [("fc", (1, 10))] and edges["prob"][1] == [("prob", (1, 10))]
    assert [argument.name for argument in graph.outputs] == ["prob"]
    nodes = {node.name: node for node in graph.nodes}
    conv_weights = dict((argument.name, value.initializer) for argument, value in nodes["conv1"].weights())
    assert conv_weights["filter"].shape == (8, 3, 3, 3) and conv_weights["bias"].shape == (8,)
    np.testing.assert_allclose(conv_weights["filter"].data(), weights)
    fc_weights = dict((argument.name, value.initializer) for argument, value in nodes["fc"].weights())
    assert fc_weights["weights"].shape == (1, 1, 10, 512)  # legacy num/channels/height/width
    assert float(fc_weights["weights"].data().mean()) == 0.5
    assert nodes["conv1"].type.category == "Layer" and nodes["relu1"].type.category == "Activation"
    attributes = {attribute.name: attribute.value for attribute in nodes["conv1"].attributes}
    assert attributes["num_output"] == 8 and attributes["kernel_size"] == [3]


def test_pooling_floor_mode(tmp_path):
    net, _ = _deploy(round_mode=1, with_weights=False)
    path = tmp_path / "floor.caffemodel"
    path.write_bytes(net.SerializeToString())
    edges = _edges(open_model(path).graphs[0])
    assert edges["pool1"][1] == [("pool1", (1, 8, 7, 7))]
    attributes = {a.name: a.value for node in open_model(path).graphs[0].nodes for a in node.attributes}
    assert attributes["round_mode"] == "FLOOR"


def test_prototxt_with_caffemodel_beside_it(tmp_path):
    net, weights = _deploy()
    text, _ = _deploy(with_weights=False)
    (tmp_path / "alone.prototxt").write_text(text_format.MessageToString(text))
    alone = open_model(tmp_path / "alone.prototxt").graphs[0]
    assert alone.parameters() == 0 and alone.node_count() == 5
    assert _edges(alone)["pool1"][1] == [("pool1", (1, 8, 8, 8))]
    (tmp_path / "pair.prototxt").write_text(text_format.MessageToString(text))
    (tmp_path / "pair.caffemodel").write_bytes(net.SerializeToString())
    model = open_model(tmp_path / "pair.prototxt")
    graph = model.graphs[0]
    assert graph.parameters() == 8 * 27 + 8 + 10 * 512 + 10
    assert ("weights", "pair.caffemodel") in model.metadata
    conv = next(node for node in graph.nodes if node.name == "conv1")
    np.testing.assert_allclose(next(value.initializer for _, value in conv.weights()).data(), weights)


def test_v1_layers_binary_and_text(tmp_path):
    net = CAFFE["NetParameter"](name="old")
    net.input.append("data")
    net.input_dim.extend([1, 1, 28, 28])
    for name, kind, bottom, top in (("conv", 4, "data", "conv"), ("relu", 18, "conv", "conv"),
                                    ("ip", 14, "conv", "ip"), ("loss", 21, "ip", "loss")):
        layer = net.layers.add(name=name, type=kind)
        layer.bottom.append(bottom)
        layer.top.append(top)
    path = tmp_path / "old.caffemodel"
    path.write_bytes(net.SerializeToString())
    model = open_model(path)
    assert model.format == "Caffe v1"
    assert [node.type.name for node in model.graphs[0].nodes] == ["Convolution", "ReLU", "InnerProduct",
                                                                  "SoftmaxWithLoss"]
    text = tmp_path / "old.prototxt"
    text.write_text('name: "old"\ninput: "data"\ninput_dim: 1\ninput_dim: 1\ninput_dim: 28\ninput_dim: 28\n'
                    'layers { name: "conv" type: CONVOLUTION bottom: "data" top: "conv"\n'
                    '  convolution_param { num_output: 4 kernel_size: 5 } }\n'
                    'layers { name: "pool" type: POOLING bottom: "conv" top: "pool"\n'
                    '  pooling_param { pool: MAX kernel_size: 2 stride: 2 } }\n')
    graph = open_model(text).graphs[0]
    assert [node.type.name for node in graph.nodes] == ["Convolution", "Pooling"]
    assert _edges(graph)["pool"][1] == [("pool", (1, 4, 12, 12))]


def test_train_val_phases_and_data_layers(tmp_path):
    path = tmp_path / "train_val.prototxt"
    path.write_text(
        'name: "n"\n'
        'layer { name: "d" type: "Data" top: "data" top: "label" include { phase: TRAIN } }\n'
        'layer { name: "d2" type: "Data" top: "data" top: "label" include { phase: TEST } }\n'
        'layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 2 } }\n'
        'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }\n')
    graph = open_model(path).graphs[0]
    assert graph.node_count() == 4
    nodes = {node.name: node for node in graph.nodes}
    assert {a.name: a.value for a in nodes["d2"].attributes}["include"] == "phase: TEST"
    # Both phases' data layers feed the same blob.
    assert nodes["d"].outputs[0].values[0] is nodes["d2"].outputs[0].values[0]
    assert nodes["ip"].inputs[0].values[0].name == "data"


def test_not_networks(tmp_path):
    solver = tmp_path / "solver.prototxt"
    solver.write_text('net: "train_val.prototxt"\nbase_lr: 0.01\nmax_iter: 100\nsolver_mode: GPU\n')
    assert caffe.match(solver, read_header(solver))
    with pytest.raises(ModelError, match="solver.*train_val.prototxt"):
        open_model(solver)
    inline = tmp_path / "inline_solver.prototxt"
    inline.write_text('base_lr: 0.01\nnet_param {\n  name: "x"\n  layer { name: "a" type: "Input" top: "a"\n'
                      '    input_param { shape { dim: 1 dim: 2 } } }\n}\n')
    graph = open_model(inline).graphs[0]
    assert graph.node_count() == 1 and graph.nodes[0].outputs[0].values[0].type.shape == (1, 2)
    mean = CAFFE["BlobProto"](num=1, channels=3, height=2, width=2)
    mean.data.extend([0.0] * 12)
    path = tmp_path / "mean.binaryproto"
    path.write_bytes(mean.SerializeToString())
    with pytest.raises(ModelError, match="BlobProto"):
        open_model(path)
    renamed = tmp_path / "mean.caffemodel"
    renamed.write_bytes(mean.SerializeToString())
    with pytest.raises(ModelError, match="BlobProto"):
        open_model(renamed)
    truncated = tmp_path / "cut.caffemodel"
    truncated.write_bytes(_deploy()[0].SerializeToString()[:300])
    with pytest.raises(ModelError):
        open_model(truncated)


@pytest.mark.parametrize("kind, layer, shapes, tops, expected", [
    ("Deconvolution", {"convolution_param": {"num_output": 4, "kernel_size": [4], "stride": [2], "pad": [1]}},
     [(1, 8, 10, 10)], 1, [(1, 4, 20, 20)]),
    ("Convolution", {"convolution_param": {"num_output": 2, "kernel_h": 3, "kernel_w": 1, "dilation": [2]}},
     [(1, 8, 10, 10)], 1, [(1, 2, 6, 10)]),
    ("Pooling", {"pooling_param": {"global_pooling": True}}, [(2, 8, 7, 7)], 1, [(2, 8, 1, 1)]),
    ("Pooling", {"pooling_param": {"kernel_size": 3, "stride": 2, "pad": 1}}, [(1, 1, 4, 4)], 1, [(1, 1, 3, 3)]),
    # The last window would start in the padding: Caffe drops it.
    ("Pooling", {"pooling_param": {"kernel_size": 2, "stride": 2, "pad": 1}}, [(1, 1, 5, 5)], 1, [(1, 1, 3, 3)]),
    ("Concat", {}, [(1, 2, 5, 5), (1, 3, 5, 5)], 1, [(1, 5, 5, 5)]),
    ("Concat", {"concat_param": {"axis": -1}}, [(1, 2), (1, 3)], 1, [(1, 5)]),
    ("Flatten", {}, [(2, 3, 4, 5)], 1, [(2, 60)]),
    ("Reshape", {"reshape_param": {"shape": {"dim": [0, -1, 2]}}}, [(2, 3, 4)], 1, [(2, 6, 2)]),
    ("Slice", {"slice_param": {"slice_point": [1, 3]}}, [(1, 4, 2)], 3, [(1, 1, 2), (1, 2, 2), (1, 1, 2)]),
    ("Slice", {}, [(1, 4, 2)], 2, [(1, 2, 2), (1, 2, 2)]),
    ("Crop", {"crop_param": {"axis": 2}}, [(1, 3, 10, 10), (1, 1, 6, 8)], 1, [(1, 3, 6, 8)]),
    ("Permute", {"permute_param": {"order": [0, 2, 3, 1]}}, [(1, 3, 4, 5)], 1, [(1, 4, 5, 3)]),
    ("Eltwise", {}, [(1, 3, 4, 4), (1, 3, 4, 4)], 1, [(1, 3, 4, 4)]),
    ("PriorBox", {"prior_box_param": {"min_size": [10.0], "max_size": [20.0], "aspect_ratio": [2.0]}},
     [(1, 8, 3, 3), (1, 3, 30, 30)], 1, [(1, 2, 3 * 3 * 4 * 4)]),
    ("Convolution", {"convolution_param": {"num_output": 2, "kernel_size": [3]}}, [(None, 3, 8, 8)], 1,
     [(None, 2, 6, 6)]),
    ("SomethingNew", {}, [(1, 2)], 1, None),
])
def test_shape_rules(kind, layer, shapes, tops, expected):
    assert caffe_shapes.infer(kind, layer, shapes, tops) == expected


# --- the corpus -----------------------------------------------------------------------------------------

ROWS = manifest_rows("caffe")


@pytest.mark.parametrize("row", ROWS, ids=[row["path"] for row in ROWS])
def test_corpus_counts(row):
    require_corpus()
    path = CORPUS / row["path"]
    if not row["nodes"] and not row["parameters"] and "consolidated" not in path.name:
        with pytest.raises(ModelError, match="solver|BlobProto"):
            open_model(path)
        return
    graph = open_model(path).graphs[0]
    assert_manifest_counts(graph, row)
    # Layers in file order are topological: every input was written by an earlier layer, or by nobody.
    produced = {value.name for argument in graph.inputs for value in argument.values}
    writers = {value.name for value in output_values(graph)}
    for node in graph.nodes:
        for value in (v for a in node.inputs for v in a.values if v.initializer is None):
            assert value.name in produced or value.name not in writers, (node.name, value.name)
        produced.update(value.name for argument in node.outputs for value in argument.values)


def test_cli_info_json_matches_manifest():
    require_corpus()
    row = next(row for row in ROWS if row["path"].endswith("lenet_iter_10000.caffemodel"))
    graph = cli_info(CORPUS / row["path"])["graphs"][0]
    assert (graph["nodes"], graph["parameters"]) == (int(row["nodes"]), int(row["parameters"]))


def test_deploy_shapes_in_corpus():
    require_corpus()
    graph = open_model(CORPUS / "caffe/BVLC__caffe/bvlc_googlenet__deploy.prototxt").graphs[0]
    shapes = {v.name: v.type.shape for node in graph.nodes for a in node.outputs for v in a.values if v.type}
    assert shapes["conv1/7x7_s2"] == (10, 64, 112, 112)
    assert shapes["pool1/3x3_s2"] == (10, 64, 56, 56)  # ceil-mode pooling
    assert shapes["inception_3a/output"] == (10, 256, 28, 28)
    assert shapes["prob"] == (10, 1000)
    graph = open_model(CORPUS / "caffe/Linzaer__Ultra-Light-Fast-Generic-Face-Detector-1MB/RFB-320.prototxt").graphs[0]
    outputs = {argument.name: argument.values[0].type.shape for argument in graph.outputs}
    assert outputs == {"boxes": (1, 4420, 4), "scores": (1, 4420, 2)}


CAFFEMODELS = [row for row in ROWS if row["path"].endswith(".caffemodel")]


@pytest.mark.parametrize("row", CAFFEMODELS, ids=[row["path"] for row in CAFFEMODELS])
def test_corpus_against_protobuf_package(row):
    require_corpus()
    path = CORPUS / row["path"]
    reference = CAFFE["NetParameter"].FromString(path.read_bytes())
    graph = open_model(path).graphs[0]
    layers = list(reference.layer) or list(reference.layers)
    v1 = not reference.layer
    assert [node.name for node in graph.nodes] == [layer.name for layer in layers]
    if not v1:
        assert [node.type.name for node in graph.nodes] == [layer.type for layer in layers]
    for node, layer in zip(graph.nodes, layers):
        ours = [value.initializer for _, value in node.weights()]
        assert len(ours) == len(layer.blobs)
        for tensor, blob in zip(ours, layer.blobs):
            shape = tuple(blob.shape.dim) or (blob.num, blob.channels, blob.height, blob.width)
            assert tensor.size == int(np.prod(shape)) == len(blob.data)
        if ours:
            np.testing.assert_array_equal(ours[-1].data().ravel(), np.asarray(layer.blobs[-1].data, np.float32))


def test_detection(tmp_path):
    cases = {
        "indented.prototxt": ('name: "x"\n  layer { name: "a" type: "Input" top: "a" }\n', True),
        "graph.pbtxt": ('node {\n  name: "a"\n  op: "Relu"\n  input: "b"\n}\n', False),
        "notes.txt": ("input: some words\n", True),
        "readme.txt": ("just text\n", False),
    }
    for name, (text, claimed) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        assert caffe.match(path, read_header(path)) is claimed, name
    graph = open_model(tmp_path / "indented.prototxt").graphs[0]
    assert [node.type.category for node in graph.nodes] == ["Data"]


def test_fork_layer_parameters_are_attributes(tmp_path):
    path = tmp_path / "fork.prototxt"
    path.write_text('layer { name: "up" type: "Upsample" bottom: "x" top: "y"\n'
                    '  upsample_param { scale: 2 mode: NEAREST sizes: 1 sizes: 2 } }\n')
    node = open_model(path).graphs[0].nodes[0]
    assert {a.name: a.value for a in node.attributes} == {"scale": 2, "mode": "NEAREST", "sizes": [1, 2]}


def test_enum_numbers_shown_by_name(tmp_path):
    # Binary files store enum numbers; `operation` means different things in Eltwise and Reduction.
    layer = b"\x0a\x01r\x12\x09Reduction\xc2\x08\x02\x08\x04"  # reduction_param (136) { operation: MEAN }
    layer2 = b"\x0a\x01e\x12\x07Eltwise\xf2\x06\x02\x08\x02"  # eltwise_param (110) { operation: MAX }
    path = tmp_path / "enums.caffemodel"
    path.write_bytes(b"".join(b"\xa2\x06" + bytes([len(item)]) + item for item in (layer, layer2)))
    nodes = open_model(path).graphs[0].nodes
    assert [{a.name: a.value for a in node.attributes}["operation"] for node in nodes] == ["MEAN", "MAX"]


@pytest.mark.parametrize("relative", ["caffe/Linzaer__Ultra-Light-Fast-Generic-Face-Detector-1MB/RFB-320.prototxt",
                                      "tensorflow/generated/frozen/small_cnn_frozen.pb"])
def test_structure_is_read_without_numpy(relative):
    import subprocess
    import sys
    require_corpus()
    code = ("import sys; from litenetron.formats import open_model; "
            f"graph = open_model({str(CORPUS / relative)!r}).graphs[0]; "
            "print(sum(1 for n in graph.nodes for a in n.outputs for v in a.values if v.type and v.type.shape), "
            "'numpy' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    typed, numpy_loaded = result.stdout.split()
    assert int(typed) > 10 and numpy_loaded == "False", result.stderr
