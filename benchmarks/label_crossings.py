"""How many edge labels are hard to read: crossed by another tensor's edge, over a box, over another label.

    python benchmarks/label_crossings.py [--bench DIR] [--no-bench] [MODEL ...]

One row per bench graph (laid out as `layout_bench.py` does, flat, with labels) and per model file (its
first graph drawn as the PNG export draws it, flat): labels placed, labels crossed, labels over a box,
labels over another label, and the layout seconds. For a model, `dropped` counts the tensors whose label the
scene gave up (over a box or another label), so `crossed` alone cannot hide a loss of labels.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Dict, Tuple

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from layout_bench import DEFAULT_BENCH, run_graph  # noqa: E402

from litenetron import style  # noqa: E402
from litenetron.layout.clearance import LabelConflicts, label_conflicts, label_rect  # noqa: E402

DEFAULT_MODELS = [
    REPO / "litenetron" / "samples" / "resblock.onnx",
    REPO.parent / "shared" / "corpus" / "onnx" / "onnx__onnx" / "light_resnet50.onnx",
    REPO.parent / "shared" / "corpus" / "onnx" / "onnx__onnx" / "light_inception_v1.onnx",
    REPO.parent / "shared" / "corpus" / "onnx" / "generated" / "transformers" / "gpt2_tiny.onnx",
    REPO.parent / "shared" / "corpus" / "tensorflow" / "Cireou__mnist" / "model.ckpt.meta",
    REPO.parent / "shared" / "corpus" / "caffe" / "BVLC__caffe" / "bvlc_googlenet__deploy.prototxt",
]


def bench_conflicts(path: Path) -> Tuple[LabelConflicts, float]:
    """Label conflicts of one bench graph and its layout seconds."""
    graph, _, seconds, result = run_graph(path, labels=True)
    boxes = [(x - float(n["width"]) / 2, y - float(n["height"]) / 2, x + float(n["width"]) / 2,
              y + float(n["height"]) / 2) for n, (x, y) in zip(graph["nodes"], result.centers)]
    index = {node["id"]: i for i, node in enumerate(graph["nodes"])}
    owners = [index[e["v"]] for e in graph["edges"]]   # the layout's default: one tensor per source
    # every edge of a source shares its label spot; like a scene, keep one label per tensor
    rects, labelled = [], set()
    for spot, e, owner in zip(result.label_positions, graph["edges"], owners):
        keep = spot is not None and owner not in labelled
        rects.append(label_rect(spot, (float(e["labelwidth"]), float(e.get("labelheight") or 13))) if keep else None)
        labelled.update([owner] if keep else [])
    return label_conflicts(boxes, result.routes, owners, rects), seconds


def scene_conflicts(scene, measure) -> LabelConflicts:
    """Label conflicts of a laid-out scene, each label measured as the scene measured it (text and padding)."""
    boxes = [(b.x, b.y, b.x + b.width, b.y + b.height) for b in scene.boxes]
    tensors: Dict[Tuple[int, str], int] = {}
    owners = [tensors.setdefault((e.source, e.value.name), len(tensors)) for e in scene.edges]
    rects = []
    for edge in scene.edges:
        if edge.label:
            width, height = measure(edge.label, "label")
            rects.append(label_rect((edge.label_x, edge.label_y),
                                    (width + 2 * style.LABEL_PAD, height + 2 * style.LABEL_PAD)))
        else:
            rects.append(None)
    return label_conflicts(boxes, [e.points for e in scene.edges], owners, rects)


def model_scene(path: Path):
    """(scene, measure, seconds to build it, tensors that should carry a label) of a model's first graph."""
    from litenetron.formats import open_model
    from litenetron.render.fonts import PillowFonts
    from litenetron.scene import ViewOptions, build_scene, edge_label

    graph = open_model(path).graphs[0]
    measure = PillowFonts(2.0).measure
    options = ViewOptions()
    start = time.perf_counter()
    scene = build_scene(graph, options, measure)
    seconds = time.perf_counter() - start
    wanted = {(e.source, e.value.name) for e in scene.edges if edge_label(e.value, options)}
    return scene, measure, seconds, len(wanted)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", type=Path)
    parser.add_argument("--bench", type=Path, default=DEFAULT_BENCH)
    parser.add_argument("--no-bench", action="store_true", help="only the model files")
    args = parser.parse_args()
    print("\t".join(["graph", "labels", "crossed", "on_box", "on_label", "dropped", "seconds"]))
    if not args.no_bench:
        for path in sorted((args.bench / "graphs").glob("*.json"), key=lambda p: p.stat().st_size):
            found, seconds = bench_conflicts(path)
            print(f"{path.stem}\t{found.labels}\t{found.crossed}\t{found.on_box}\t{found.on_label}\t-\t"
                  f"{seconds:.3f}", flush=True)
    for path in args.models or DEFAULT_MODELS:
        if not path.is_file():
            print(f"{path.name}\tmissing", flush=True)
            continue
        scene, measure, seconds, wanted = model_scene(path)
        found = scene_conflicts(scene, measure)
        print(f"{path.name}\t{found.labels}\t{found.crossed}\t{found.on_box}\t{found.on_label}\t"
              f"{wanted - found.labels}\t{seconds:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
