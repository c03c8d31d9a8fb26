"""Benchmark our layout on the shared benchmark graphs, scored by the shared counter.

    python benchmarks/layout_bench.py [GRAPH.json ...] [--bench DIR] [--no-labels] [--anchors]

Prints one row per graph: nodes, edges, layout seconds, crossings, area, layers (and, with --anchors, the
figures of Netron's layout from the anchors file of the same folder). The metrics come from the
benchmark's own `crossings.py`, imported from the bench folder at run time so every engine is scored alike.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from litenetron.layout import layout  # noqa: E402

DEFAULT_BENCH = REPO.parent / "shared" / "bench"


def load_metrics(bench: Path):
    """The `metrics(positions)` function of the bench folder's crossings.py."""
    spec = importlib.util.spec_from_file_location("bench_crossings", bench / "crossings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.metrics


def run_graph(path: Path, labels: bool) -> tuple:
    """Lay out one graph JSON; returns (graph, positions dict, seconds, Layout)."""
    graph = json.loads(path.read_text(encoding="utf-8"))
    nodes = graph["nodes"]
    index = {node["id"]: i for i, node in enumerate(nodes)}
    sizes = [(float(node["width"]), float(node["height"])) for node in nodes]
    edges = [(index[e["v"]], index[e["w"]]) for e in graph["edges"]]
    label_sizes = None
    if labels:
        label_sizes = [(float(e["labelwidth"]), float(e.get("labelheight") or 13)) if e.get("labelwidth")
                       else None for e in graph["edges"]]
    start = time.perf_counter()
    minlens = [int(e.get("minlen") or 1) for e in graph["edges"]]
    result = layout(sizes, edges, label_sizes=label_sizes, minlens=minlens, node_separation=20.0,
                    rank_separation=20.0)
    seconds = time.perf_counter() - start
    positions = {
        "nodes": {node["id"]: {"x": x, "y": y, "width": w, "height": h}
                  for node, (x, y), (w, h) in zip(nodes, result.centers, sizes)},
        "edges": [{"v": e["v"], "w": e["w"], "points": points} for e, points in zip(graph["edges"], result.routes)],
    }
    return graph, positions, seconds, result


def anchors(bench: Path, engine: str) -> dict:
    """Netron's figures per graph name from anchors-baseline.tsv (empty when absent)."""
    table = bench / "anchors-baseline.tsv"
    if not table.is_file():
        return {}
    with table.open(newline="", encoding="utf-8") as stream:
        return {row["graph"]: row for row in csv.DictReader(stream, delimiter="\t") if row["engine"] == engine}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("graphs", nargs="*", type=Path)
    parser.add_argument("--bench", type=Path, default=DEFAULT_BENCH)
    parser.add_argument("--no-labels", action="store_true", help="lay out without the edge label sizes")
    parser.add_argument("--anchors", action="store_true", help="show Netron's figures from the anchors file")
    args = parser.parse_args()
    metrics = load_metrics(args.bench)
    files = args.graphs or sorted((args.bench / "graphs").glob("*.json"), key=lambda p: p.stat().st_size)
    netron = anchors(args.bench, "netron") if args.anchors else {}
    netron_labels = anchors(args.bench, "netron+labels") if args.anchors else {}
    # area: nodes and routes as crossings.py measures it; drawn_area: our whole bounding box with labels
    header = ["graph", "nodes", "edges", "seconds", "crossings", "area", "drawn_area", "layers"]
    if args.anchors:
        header += ["netron_s", "netron_x", "netron_area", "labels_area"]
    print("\t".join(header))
    for path in files:
        graph, positions, seconds, result = run_graph(path, not args.no_labels)
        m = metrics(positions)
        name = path.stem  # the file name: two graph files carry the same "name" field
        row = [name, len(graph["nodes"]), len(graph["edges"]), f"{seconds:.3f}", m["crossings"], m["area"],
               round(result.width * result.height), m["layers"]]
        if args.anchors:
            a, b = netron.get(name, {}), netron_labels.get(name, {})
            row += [a.get("seconds", "-"), a.get("crossings", "-"), a.get("area", "-"), b.get("area", "-")]
        print("\t".join(str(value) for value in row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
