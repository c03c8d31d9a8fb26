"""Benchmark engine: `python -m litenetron.layout GRAPH.json POSITIONS.json` (see shared/bench/README.md).

Reads `{nodes: [{id, width, height}], edges: [{v, w, minlen?, labelwidth?, labelheight?}]}`, writes
`{nodes: {id: {x, y, width, height}}, edges: [{v, w, points}]}` with box centres, and prints
`{"seconds": s}` (layout time only) as its last line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import List, Optional

from . import layout


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m litenetron.layout", description=__doc__.splitlines()[0])
    parser.add_argument("graph", type=Path)
    parser.add_argument("positions", type=Path)
    parser.add_argument("--no-labels", action="store_true", help="ignore edge label sizes")
    parser.add_argument("--horizontal", action="store_true")
    parser.add_argument("--node-separation", type=float, default=20.0)
    parser.add_argument("--rank-separation", type=float, default=20.0)
    args = parser.parse_args(argv)

    graph = json.loads(args.graph.read_text(encoding="utf-8"))
    nodes = graph["nodes"]
    index = {node["id"]: i for i, node in enumerate(nodes)}
    sizes = [(float(node["width"]), float(node["height"])) for node in nodes]
    edges = [(index[e["v"]], index[e["w"]]) for e in graph["edges"]]
    minlens = [int(e.get("minlen") or 1) for e in graph["edges"]]
    labels = None
    if not args.no_labels:
        labels = [(float(e["labelwidth"]), float(e.get("labelheight") or 13)) if e.get("labelwidth") else None
                  for e in graph["edges"]]

    start = time.perf_counter()
    result = layout(sizes, edges, label_sizes=labels, minlens=minlens, horizontal=args.horizontal,
                    node_separation=args.node_separation, rank_separation=args.rank_separation)
    seconds = time.perf_counter() - start

    positions = {
        "engine": "litenetron",
        "graph": graph.get("name"),
        "nodes": {node["id"]: {"x": x, "y": y, "width": w, "height": h}
                  for node, (x, y), (w, h) in zip(nodes, result.centers, sizes)},
        "edges": [{"v": e["v"], "w": e["w"], "points": [list(p) for p in points]}
                  for e, points in zip(graph["edges"], result.routes)],
        "seconds": seconds,
    }
    args.positions.write_text(json.dumps(positions), encoding="utf-8")
    print(json.dumps({"seconds": round(seconds, 4)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
