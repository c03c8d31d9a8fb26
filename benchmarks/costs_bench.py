"""Cost and diff speed on big graphs (figures for issue 14; targets: costs of a 96-layer GPT-2 ≤ 0.3 s, diff of two
10,000-node graphs ≤ 2 s).

    python benchmarks/costs_bench.py [--model GPT2_96.onnx]

Without --model it uses ~/.cache/litenetron-bench/gpt2_96.onnx when present, else builds a synthetic 96-layer
GPT-2-shaped ONNX graph (the same operators per block as the transformers export) in a temp folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from litenetron.analysis.costs import graph_costs  # noqa: E402
from litenetron.analysis.diff import diff_graphs  # noqa: E402
from litenetron.formats import open_model  # noqa: E402

CACHED = Path.home() / ".cache" / "litenetron-bench" / "gpt2_96.onnx"


def synthetic_gpt2(path: Path, layers: int = 96, width: int = 64, prefix: str = "") -> Path:
    from onnx import TensorProto, helper, save
    nodes, inputs = [], [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", width])]

    def op(kind, sources, name, **attributes):
        nodes.append(helper.make_node(kind, sources, [name], name=f"{prefix}{name}", **attributes))
        return name

    def weight(name, shape):
        inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
        return name

    x = "x"
    for layer in range(layers):
        p = f"/h.{layer}"
        h = op("LayerNormalization", [x, weight(f"{p}.ln1", [width]), weight(f"{p}.ln1b", [width])], f"{p}/ln_1",
               axis=-1)
        qkv = op("MatMul", [h, weight(f"{p}.attn", [width, 3 * width])], f"{p}/attn/c_attn")
        q, k, v = (op("Slice", [qkv, weight(f"{p}.s{i}", [1]), weight(f"{p}.e{i}", [1]), weight("axis", [1])],
                      f"{p}/attn/split{i}") for i in range(3))
        kt = op("Transpose", [k], f"{p}/attn/kt", perm=[0, 2, 1])
        scores = op("MatMul", [q, kt], f"{p}/attn/scores")
        scaled = op("Mul", [scores, weight(f"{p}.scale", [1])], f"{p}/attn/scaled")
        probs = op("Softmax", [scaled], f"{p}/attn/softmax", axis=-1)
        context = op("MatMul", [probs, v], f"{p}/attn/context")
        projected = op("MatMul", [context, weight(f"{p}.proj", [width, width])], f"{p}/attn/c_proj")
        x = op("Add", [x, projected], f"{p}/add_1")
        h = op("LayerNormalization", [x, weight(f"{p}.ln2", [width]), weight(f"{p}.ln2b", [width])], f"{p}/ln_2",
               axis=-1)
        up = op("MatMul", [h, weight(f"{p}.fc", [width, 4 * width])], f"{p}/mlp/c_fc")
        act = op("Tanh", [up], f"{p}/mlp/act")
        down = op("MatMul", [act, weight(f"{p}.mproj", [4 * width, width])], f"{p}/mlp/c_proj")
        x = op("Add", [x, down], f"{p}/add_2")
    graph = helper.make_graph(nodes, "gpt2", inputs, [helper.make_tensor_value_info(x, TensorProto.FLOAT, None)])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def best_of(function, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.model or (CACHED if CACHED.is_file() else synthetic_gpt2(Path(folder) / "gpt2_96.onnx"))
        graph = open_model(path).graphs[0]
        seconds = best_of(lambda: graph_costs(graph, {"seq": 128}))
        costs = graph_costs(graph, {"seq": 128})
        print(f"costs   {path.name}: {len(graph.nodes):,} nodes, {seconds * 1000:.0f} ms "
              f"(MACs {costs.macs:,}, unknown {costs.unknown})")
        a = open_model(synthetic_gpt2(Path(folder) / "a.onnx", layers=715)).graphs[0]
        b = open_model(synthetic_gpt2(Path(folder) / "b.onnx", layers=715, prefix="x")).graphs[0]
        seconds = best_of(lambda: diff_graphs(a, b, values=False))
        diff = diff_graphs(a, b, values=False)
        print(f"diff    {len(a.nodes):,} vs {len(b.nodes):,} nodes, every node renamed: {seconds * 1000:.0f} ms "
              f"({len(diff.pairs):,} paired, {len(diff.added)} added, {len(diff.removed)} removed)")
        same = open_model(Path(folder) / "a.onnx").graphs[0]
        seconds = best_of(lambda: diff_graphs(a, same, values=False))
        print(f"diff    {len(a.nodes):,} vs {len(same.nodes):,} nodes, same names: {seconds * 1000:.0f} ms")


if __name__ == "__main__":
    main()
