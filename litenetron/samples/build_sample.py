"""Build the bundled sample model `resblock.onnx`: the seed article's small CNN, as ONNX.

Input ?×3×448×448 → Conv 32 3×3/2 → BatchNormalization → Relu → Conv 64 3×3 → BatchNormalization → Relu →
MaxPool 2×2/2 → a residual branch (Conv 1×1, BN, Relu, Conv 3×3, BN) added to the shortcut → Relu →
GlobalAveragePool → Flatten → Gemm (10 classes) → Softmax. Run `python -m litenetron.samples.build_sample`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUTPUT = Path(__file__).with_name("resblock.onnx")


def _conv_bn(nodes, weights, rng, name, source, channels_in, channels_out, kernel, stride, relu=True):
    pad = kernel // 2
    weights.append(numpy_helper.from_array(
        (rng.standard_normal((channels_out, channels_in, kernel, kernel)) * 0.1).astype(np.float32),
        f"{name}.conv.weight"))
    nodes.append(helper.make_node("Conv", [source, f"{name}.conv.weight"], [f"{name}.conv"], name=f"{name}.conv",
                                  kernel_shape=[kernel, kernel], strides=[stride, stride], pads=[pad] * 4))
    bn_inputs = [f"{name}.conv"]
    for part, values in (("scale", 1 + 0.1 * rng.standard_normal(channels_out)),
                         ("bias", 0.1 * rng.standard_normal(channels_out)),
                         ("mean", 0.05 * rng.standard_normal(channels_out)),
                         ("var", 1 + 0.1 * rng.random(channels_out))):
        weights.append(numpy_helper.from_array(values.astype(np.float32), f"{name}.bn.{part}"))
        bn_inputs.append(f"{name}.bn.{part}")
    nodes.append(helper.make_node("BatchNormalization", bn_inputs, [f"{name}.bn"], name=f"{name}.bn",
                                  epsilon=1e-5))
    if not relu:
        return f"{name}.bn"
    nodes.append(helper.make_node("Relu", [f"{name}.bn"], [f"{name}.relu"], name=f"{name}.relu"))
    return f"{name}.relu"


def build() -> onnx.ModelProto:
    rng = np.random.default_rng(448)
    nodes, weights = [], []
    x = _conv_bn(nodes, weights, rng, "stem1", "image", 3, 32, 3, 2)
    x = _conv_bn(nodes, weights, rng, "stem2", x, 32, 64, 3, 1)
    nodes.append(helper.make_node("MaxPool", [x], ["pool"], name="pool", kernel_shape=[2, 2], strides=[2, 2]))
    branch = _conv_bn(nodes, weights, rng, "res_a", "pool", 64, 64, 1, 1)
    branch = _conv_bn(nodes, weights, rng, "res_b", branch, 64, 64, 3, 1, relu=False)
    nodes.append(helper.make_node("Add", ["pool", branch], ["residual"], name="residual"))
    nodes.append(helper.make_node("Relu", ["residual"], ["residual.relu"], name="residual.relu"))
    nodes.append(helper.make_node("GlobalAveragePool", ["residual.relu"], ["gap"], name="gap"))
    nodes.append(helper.make_node("Flatten", ["gap"], ["features"], name="flatten"))
    weights.append(numpy_helper.from_array((rng.standard_normal((10, 64)) * 0.1).astype(np.float32), "fc.weight"))
    weights.append(numpy_helper.from_array(np.zeros(10, np.float32), "fc.bias"))
    nodes.append(helper.make_node("Gemm", ["features", "fc.weight", "fc.bias"], ["logits"], name="fc", transB=1))
    nodes.append(helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax", axis=1))
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, [None, 3, 448, 448])
    output = helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 10])
    graph = helper.make_graph(nodes, "resblock", [image], [output], weights,
                              doc_string="The seed article's network: a small CNN with one residual block.")
    model = helper.make_model(graph, producer_name="litenetron", producer_version="sample",
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, {"author": "litenetron", "license": "MIT"})
    onnx.checker.check_model(model)
    return model


if __name__ == "__main__":
    onnx.save(build(), OUTPUT)
    print(f"wrote {OUTPUT}")
