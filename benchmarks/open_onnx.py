"""Open-speed and memory benchmark for the ONNX reader.

Builds (once, cached under ~/.cache/litenetron-bench) a ~1 GB ONNX model with inline weights and a
10,000-node graph, then prints wall time and peak RSS of `python -m litenetron MODEL --info --json` for each.
Targets: peak RSS ≤ 250 MB on the 1 GB file (weights are not read), ≤ 3 s wall for each.

    python benchmarks/open_onnx.py [--runs 3]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from measure import run_litenetron

CACHE = Path.home() / ".cache" / "litenetron-bench"


def build_big_weights(path: Path, gigabytes: float = 1.0) -> None:
    """A ~1 GB model: 64 MatMuls, each with a 4096×1024 float32 weight (16 MiB) stored inline."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    layers = int(gigabytes * 1024 / 16)
    rng = np.random.default_rng(1)
    nodes, weights, previous = [], [], "x"
    for index in range(layers):
        shape = (1024, 4096) if index % 2 == 0 else (4096, 1024)
        weights.append(numpy_helper.from_array(rng.standard_normal(shape, dtype=np.float32), f"w{index}"))
        nodes.append(helper.make_node("MatMul", [previous, f"w{index}"], [f"h{index}"]))
        previous = f"h{index}"
    graph = helper.make_graph(nodes, "big", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 1024])],
                              [helper.make_tensor_value_info(previous, TensorProto.FLOAT, None)], weights)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def build_many_nodes(path: Path, count: int = 10_000) -> None:
    """A 10,000-node graph: conv/relu/add blocks with small weights and residual edges."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    nodes, weights, previous = [], [], "x"
    weight = numpy_helper.from_array(np.ones((8, 8, 1, 1), np.float32), "w")
    weights.append(weight)
    block = 0
    while len(nodes) + 3 <= count:
        conv, relu, add = f"c{block}", f"r{block}", f"a{block}"
        nodes.append(helper.make_node("Conv", [previous, "w"], [conv], name=conv, kernel_shape=[1, 1]))
        nodes.append(helper.make_node("Relu", [conv], [relu], name=relu))
        nodes.append(helper.make_node("Add", [relu, previous], [add], name=add))
        previous, block = add, block + 1
    while len(nodes) < count:
        nodes.append(helper.make_node("Identity", [previous], [f"i{len(nodes)}"]))
        previous = f"i{len(nodes) - 1}"
    graph = helper.make_graph(nodes, "many", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 16, 16])],
                              [helper.make_tensor_value_info(previous, TensorProto.FLOAT, None)], weights)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    models = {"1 GB inline weights": (CACHE / "big_weights.onnx", build_big_weights),
              "10,000 nodes": (CACHE / "many_nodes.onnx", build_many_nodes)}
    print(f"{'model':<22} {'size MB':>9} {'wall s':>8} {'peak RSS MB':>12}  (best of {args.runs})")
    for label, (path, build) in models.items():
        if not path.exists():
            build(path)
        runs = [run_litenetron(str(path), "--info", "--json") for _ in range(args.runs)]
        failed = [run for run in runs if run[2] != 0]
        if failed:
            print(f"{label:<22} FAILED: {failed[0][3].strip()}")
            continue
        wall = min(run[0] for run in runs)
        rss = min(run[1] for run in runs)
        print(f"{label:<22} {path.stat().st_size / 1e6:>9.1f} {wall:>8.2f} {rss:>12.1f}")


if __name__ == "__main__":
    main()
