"""MACs, FLOPs and memory per node: checked against onnx-tool, published counts and hand-computed graphs."""

from __future__ import annotations

import collections
import contextlib
import io
import json
import math

import pytest

from conftest import CORPUS, manifest_rows, require_corpus, run_cli
from litenetron.analysis.costs import channels_last, evaluate_dimension, graph_costs
from litenetron.formats import open_model
from litenetron.model import Argument, Graph, Node, OpType, TensorType, Value

# Operators whose MACs onnx-tool defines as we do (out elements × weights per output, a bias add one MAC per
# output). Where it differs, see litenetron/analysis/costs.py: it counts elementwise ops, pooling and
# normalizations with per-instruction weights (an exp is 32 "MACs"), and a transposed convolution over its
# output instead of its input.
SAME_DEFINITION = ("Conv", "Gemm", "MatMul", "Einsum")


def _onnx_tool_macs(path) -> collections.Counter:
    onnx_tool = pytest.importorskip("onnx_tool")
    with contextlib.redirect_stdout(io.StringIO()):
        model = onnx_tool.Model(str(path))
        model.graph.shape_infer()
        model.graph.profile()
    totals = collections.Counter()
    for node in model.graph.nodemap.values():
        totals[node.op_type] += int(node.macs[0])
    return totals


# The corpus models onnx-tool can profile (the others have dynamic shapes or ops it cannot infer).
PROFILED = [row["path"] for row in manifest_rows("onnx")
            if row["path"].endswith(".onnx") and "__onnx/light_" in row["path"] or
            row["path"].endswith(("version-RFB-320_simplified.onnx", "version-slim-320_without_postprocessing.onnx",
                                  "test_Conv3d_groups__model.onnx", "test_operator_conv__model.onnx"))]


@pytest.mark.corpus
@pytest.mark.parametrize("relative", PROFILED)
def test_macs_agree_with_onnx_tool_per_operator_type(relative):
    require_corpus()
    reference = _onnx_tool_macs(CORPUS / relative)
    costs = graph_costs(open_model(CORPUS / relative).graphs[0])
    assert costs.unknown == 0 and not costs.bound
    shared = [name for name in SAME_DEFINITION if reference.get(name)]
    assert shared, "the model has no convolution or matrix product"
    for name in shared:
        assert costs.by_type[name].macs == pytest.approx(reference[name], rel=0.01), name
    assert sum(costs.by_type[name].macs for name in shared) == pytest.approx(
        sum(reference[name] for name in shared), rel=0.01)


def test_profiled_list_is_not_empty_when_the_corpus_is_there():
    if manifest_rows("onnx"):
        assert len(PROFILED) >= 10


def _resnet50(batch: str = "batch"):
    """torchvision's ResNet-50 (v1.5: stride on the 3×3 convolution) as ONNX, weights as declared inputs."""
    from onnx import TensorProto, helper

    nodes, inputs, counter = [], [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 3, 224, 224])], [0]

    def conv(source, cin, cout, kernel, stride=1):
        counter[0] += 1
        weight, out = f"w{counter[0]}", f"c{counter[0]}"
        inputs.append(helper.make_tensor_value_info(weight, TensorProto.FLOAT, [cout, cin, kernel, kernel]))
        nodes.append(helper.make_node("Conv", [source, weight], [out], kernel_shape=[kernel, kernel],
                                      strides=[stride, stride], pads=[kernel // 2] * 4))
        nodes.append(helper.make_node("Relu", [out], [out + "r"]))
        return out + "r"

    x = conv("x", 3, 64, 7, 2)
    nodes.append(helper.make_node("MaxPool", [x], ["pool"], kernel_shape=[3, 3], strides=[2, 2], pads=[1] * 4))
    x, cin = "pool", 64
    for width, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for block in range(blocks):
            step = stride if block == 0 else 1
            y = conv(conv(conv(x, cin, width, 1), width, width, 3, step), width, width * 4, 1)
            shortcut = conv(x, cin, width * 4, 1, step) if block == 0 else x
            nodes.append(helper.make_node("Add", [y, shortcut], [y + "+"]))
            x, cin = y + "+", width * 4
    inputs.append(helper.make_tensor_value_info("fc", TensorProto.FLOAT, [1000, 2048]))
    nodes += [helper.make_node("GlobalAveragePool", [x], ["gap"]), helper.make_node("Flatten", ["gap"], ["flat"]),
              helper.make_node("Gemm", ["flat", "fc"], ["y"], transB=1)]
    graph = helper.make_graph(nodes, "resnet50", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_resnet50_at_224_is_the_published_4_1_gmacs(tmp_path):
    import onnx
    path = tmp_path / "resnet50.onnx"
    onnx.save(_resnet50(), path)
    costs = graph_costs(open_model(path).graphs[0])
    assert costs.unknown == 0 and not costs.bound   # the symbolic batch counts as 1 without a lower bound
    assert costs.macs == pytest.approx(4.1e9, rel=0.01)
    assert costs.flops == pytest.approx(2 * costs.macs, rel=0.01)
    assert costs.by_type["Gemm"].macs == 2048 * 1000


@pytest.mark.corpus
def test_mobilenet_v2_tflite_at_224_is_the_published_300_mmacs():
    require_corpus()
    model = open_model(CORPUS / "tflite/tensorflow__tflite-micro/mobilenet_v2_quantized_1x3x224x224.tflite")
    costs = graph_costs(model.graphs[0], nhwc=channels_last(model.format))
    # 300 M multiply-adds in the paper; our count adds one MAC per output for the folded batch-norm biases.
    assert 300e6 <= costs.macs <= 300e6 * 1.03
    assert costs.by_type["DepthwiseConv2D"].macs > 0 and costs.unknown == 0


@pytest.mark.corpus
def test_the_same_network_costs_the_same_in_keras_and_tflite():
    require_corpus()
    figures = []
    for relative in ("keras/generated/small_cnn.h5", "tflite/generated/small_cnn.tflite"):
        model = open_model(CORPUS / relative)
        costs = graph_costs(model.graphs[0], nhwc=channels_last(model.format))
        figures.append(sum(entry.cost.macs for entry in costs.nodes
                           if entry.node.type.name in ("Conv2D", "Dense", "FullyConnected")))
    keras, tflite = figures
    assert keras > 0 and tflite == pytest.approx(keras, rel=0.02)


@pytest.mark.corpus
def test_a_caffe_prototxt_without_weights_is_costed_from_its_attributes():
    require_corpus()
    graph = open_model(CORPUS / "caffe/DeepScale__SqueezeNet/SqueezeNet_v1.1__deploy.prototxt").graphs[0]
    costs = graph_costs(graph)
    convolutions = costs.by_type["Convolution"]
    assert convolutions.unknown == 0
    first = next(entry for entry in costs.nodes if entry.node.type.name == "Convolution")
    out = math.prod(next(v for a in first.node.outputs for v in a.values).type.shape)
    assert first.cost.macs == out * 3 * 3 * 3   # 3 input channels, a 3×3 window


def _node(op: str, inputs, outputs, **attributes) -> Node:
    from litenetron.model import Attribute
    return Node(op, OpType(op), [Argument(f"in{i}", [v]) for i, v in enumerate(inputs)],
                [Argument(f"out{i}", [v]) for i, v in enumerate(outputs)],
                [Attribute(name, value) for name, value in attributes.items()])


def _value(name, shape, dtype="float32") -> Value:
    return Value(name, TensorType(dtype, shape))


def test_an_operator_without_a_rule_is_unknown_and_makes_the_total_a_lower_bound():
    x, y, z = _value("x", (1, 8)), _value("y", (1, 8)), _value("z", (1, 8))
    graph = Graph("g", nodes=[_node("Relu", [x], [y]), _node("MysteryOp", [y], [z])])
    costs = graph_costs(graph)
    assert costs.nodes[1].cost.macs is None and costs.nodes[1].cost.flops is None
    assert costs.unknown == 1 and costs.lower_bound
    assert costs.flops == 8


def test_symbols_are_bound_by_name_and_unbound_ones_make_a_lower_bound():
    a, b = _value("a", ("batch", "seq", 64)), _value("b", ("batch", 64, "seq + 1"))
    graph = Graph("g", nodes=[_node("MatMul", [a, b], [_value("c", ("batch", "seq", "seq + 1"))])])
    free = graph_costs(graph)
    assert free.bound and free.free_symbols == ["seq"]
    bound = graph_costs(graph, {"seq": 127})
    assert not bound.bound and bound.macs == 127 * 128 * 64


def test_dimension_expressions_are_parsed_never_executed():
    assert evaluate_dimension("floor(height/2 - 1/2) + 1", {"height": 224}) == 112
    assert evaluate_dimension("__import__('os').system('true')", {}) is None
    assert evaluate_dimension("2 ** 100000", {}) is None
    assert evaluate_dimension("seq", {}) is None


def test_peak_activation_memory_frees_a_tensor_after_its_last_consumer():
    # x(400 B) → A → a(400) → B → b(40) → C(x, b) → c(4): x lives until C reads it.
    x, a, b, c = _value("x", (100,)), _value("a", (100,)), _value("b", (10,)), _value("c", (1,))
    graph = Graph("g", inputs=[Argument("x", [x])], outputs=[Argument("c", [c])],
                  nodes=[_node("Relu", [x], [a]), _node("ReduceSum", [a], [b]), _node("Add", [x, b], [c])])
    costs = graph_costs(graph)
    assert costs.activation_bytes == 400 + 400 + 40   # x, a and b are alive while B writes b
    assert [entry.output_bytes for entry in costs.nodes] == [400, 40, 4]


def test_convolution_rules_for_groups_bias_and_transposed():
    x = _value("x", (1, 8, 10, 10))
    weight = Value("w", initializer=_tensor("w", (8, 1, 3, 3)))
    bias = Value("b", initializer=_tensor("b", (8,)))
    depthwise = _node("Conv", [x, weight, bias], [_value("y", (1, 8, 10, 10))], group=8)
    costs = graph_costs(Graph("g", nodes=[depthwise]))
    assert costs.macs == 800 * 9 + 800   # one MAC per output for the bias
    source = _value("s", (1, 4, 5, 5))
    transposed = _node("ConvTranspose", [source, Value("k", initializer=_tensor("k", (4, 2, 3, 3)))],
                       [_value("t", (1, 2, 11, 11))], strides=[2, 2])
    assert graph_costs(Graph("g", nodes=[transposed])).macs == 100 * 2 * 9   # input elements × Cout × window


def _tensor(name, shape):
    from litenetron.model import Tensor
    return Tensor(name, "float32", shape)


@pytest.mark.corpus
def test_info_prints_totals_and_json_adds_costs_without_changing_the_contract():
    require_corpus()
    path = CORPUS / "onnx/onnx__onnx/light_resnet50.onnx"
    text = run_cli(str(path), "--info")
    assert text.returncode == 0 and "MACs 4.10 G" in text.stdout and "peak activations" in text.stdout
    result = run_cli(str(path), "--info", "--json")
    graph = json.loads(result.stdout)["graphs"][0]
    assert graph["macs"] == graph_costs(open_model(path).graphs[0]).macs
    assert graph["flops"] > graph["macs"] and graph["activation_bytes"] > 0
    assert {"name", "nodes", "operators", "inputs", "outputs", "parameters"} <= set(graph)


@pytest.mark.corpus
def test_set_binds_a_symbol_on_the_command_line():
    require_corpus()
    path = CORPUS / "onnx/generated/transformers/gpt2_tiny.onnx"
    short, long = (json.loads(run_cli(str(path), "--info", "--json", "--set", f"seq={n}").stdout)["graphs"][0]
                   for n in (16, 64))
    assert long["macs"] > 3 * short["macs"]
    bad = run_cli(str(path), "--info", "--set", "seq")
    assert bad.returncode == 1 and "SYMBOL=SIZE" in bad.stderr
