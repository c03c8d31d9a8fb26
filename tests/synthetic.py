"""Synthetic transformer-like ONNX graphs named the way the torch exporter names nodes
(`/model/layers.3/self_attn/q_proj/MatMul`), or with no names at all: for the grouping tests and benchmarks.

Built with onnx.helper; the graph's structure is what matters, so every tensor is 1×8×8 and the weights 8×8.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Union

WIDTH = 8


def transformer_onnx(path: Union[str, Path], layers: int, padding: int = 0, named: bool = True) -> Path:
    """Write a decoder-only transformer with `layers` blocks; `padding` extra Reshape/Transpose pairs per
    attention block bring a block's operator count towards a real export's (GPT-2: ~147 per block)."""
    import numpy
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes: List[onnx.NodeProto] = []
    weights: List[onnx.TensorProto] = []
    counter = [0]

    def weight(name: str) -> str:
        weights.append(numpy_helper.from_array(numpy.zeros((WIDTH, WIDTH), numpy.float32), name))
        return name

    def op(kind: str, scope: str, inputs: List[str], suffix: str = "") -> str:
        counter[0] += 1
        output = f"t{counter[0]}"
        name = f"{scope}/{kind}{suffix}" if named else ""
        nodes.append(helper.make_node(kind, inputs, [output], name=name))
        return output

    x = op("Relu", "/model/embed", ["input_ids"])
    for i in range(layers):
        block = f"/model/layers.{i}"
        h = op("LayerNormalization", f"{block}/ln_1", [x, weight(f"model.layers.{i}.ln_1.weight")])
        q = op("MatMul", f"{block}/self_attn/q_proj", [h, weight(f"model.layers.{i}.q.weight")])
        k = op("MatMul", f"{block}/self_attn/k_proj", [h, weight(f"model.layers.{i}.k.weight")])
        v = op("MatMul", f"{block}/self_attn/v_proj", [h, weight(f"model.layers.{i}.v.weight")])
        for p in range(padding):
            k = op("Transpose", f"{block}/self_attn", [op("Reshape", f"{block}/self_attn", [k], f"_{p}")], f"_{p}")
        s = op("Softmax", f"{block}/self_attn", [op("MatMul", f"{block}/self_attn", [q, k])])
        a = op("MatMul", f"{block}/self_attn/o_proj",
               [op("MatMul", f"{block}/self_attn", [s, v], "_1"), weight(f"model.layers.{i}.o.weight")])
        x = op("Add", block, [x, a])
        h = op("LayerNormalization", f"{block}/ln_2", [x, weight(f"model.layers.{i}.ln_2.weight")])
        h = op("Relu", f"{block}/mlp/act", [op("MatMul", f"{block}/mlp/fc1", [h, weight(f"model.layers.{i}.fc1")])])
        x = op("Add", block, [x, op("MatMul", f"{block}/mlp/fc2", [h, weight(f"model.layers.{i}.fc2")])], "_1")
    logits = op("MatMul", "/lm_head", [op("LayerNormalization", "/model/norm", [x, weight("model.norm.weight")]),
                                      weight("lm_head.weight")])
    value = [1, WIDTH, WIDTH]
    graph = helper.make_graph(nodes, "transformer", [helper.make_tensor_value_info("input_ids", TensorProto.FLOAT,
                                                                                 value)],
                              [helper.make_tensor_value_info(logits, TensorProto.FLOAT, value)], weights)
    graph.value_info.extend(helper.make_tensor_value_info(node.output[0], TensorProto.FLOAT, value)
                            for node in nodes[:-1])
    model = helper.make_model(graph, producer_name="pytorch", opset_imports=[helper.make_opsetid("", 17)])
    path = Path(path)
    onnx.save(model, path)
    return path
