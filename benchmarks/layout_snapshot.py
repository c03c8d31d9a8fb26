"""Check that a layout change keeps the drawings: save every bench graph's layout, later compare.

    python benchmarks/layout_snapshot.py save DIR [GRAPH.json ...] [--bench DIR]
    python benchmarks/layout_snapshot.py compare DIR [GRAPH.json ...] [--bench DIR]

`save` writes one JSON per graph and mode (with and without edge labels, top-down and left-to-right) holding
the whole `Layout` (centres, routes, label spots, size). `compare` lays the graphs out again and reports, per
file, whether the result is identical, else how many centres / routes / label spots differ and by how much.
Exit status 1 when anything differs. Meant for refactors and speed-ups that must not move a single box.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from litenetron.layout import layout  # noqa: E402

DEFAULT_BENCH = REPO.parent / "shared" / "bench"
# (file suffix, with labels, horizontal); the left-to-right mode is cheap only on the smaller graphs
MODES = (("labels", True, False), ("plain", False, False), ("horizontal", True, True))
HORIZONTAL_LIMIT = 1000


def lay_out(path: Path, labels: bool, horizontal: bool) -> dict:
    """The layout of one bench graph as plain JSON data."""
    graph = json.loads(path.read_text(encoding="utf-8"))
    index = {node["id"]: i for i, node in enumerate(graph["nodes"])}
    sizes = [(float(node["width"]), float(node["height"])) for node in graph["nodes"]]
    edges = [(index[e["v"]], index[e["w"]]) for e in graph["edges"]]
    label_sizes = None
    if labels:
        label_sizes = [(float(e["labelwidth"]), float(e.get("labelheight") or 13)) if e.get("labelwidth")
                       else None for e in graph["edges"]]
    minlens = [int(e.get("minlen") or 1) for e in graph["edges"]]
    result = layout(sizes, edges, label_sizes=label_sizes, minlens=minlens, horizontal=horizontal,
                    node_separation=20.0, rank_separation=20.0)
    return {"centers": result.centers, "routes": result.routes, "labels": result.label_positions,
            "width": result.width, "height": result.height}


def _as_json(data: dict) -> dict:
    return json.loads(json.dumps(data))


def compare(old: dict, new: dict) -> str:
    """'identical', or a short account of what moved."""
    if old == new:
        return "identical"
    parts = []
    for key in ("centers", "routes", "labels"):
        a, b = old[key], new[key]
        if len(a) != len(b):
            parts.append(f"{key}: {len(a)} vs {len(b)} items")
            continue
        differ = sum(x != y for x, y in zip(a, b))
        if differ:
            parts.append(f"{key}: {differ} of {len(a)} differ")
    for key in ("width", "height"):
        if old[key] != new[key]:
            parts.append(f"{key} {old[key]:.1f} -> {new[key]:.1f}")
    return "; ".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("save", "compare"))
    parser.add_argument("folder", type=Path)
    parser.add_argument("graphs", nargs="*", type=Path)
    parser.add_argument("--bench", type=Path, default=DEFAULT_BENCH)
    args = parser.parse_args()
    files = args.graphs or sorted((args.bench / "graphs").glob("*.json"), key=lambda p: p.stat().st_size)
    args.folder.mkdir(parents=True, exist_ok=True)
    status = 0
    for path in files:
        nodes = len(json.loads(path.read_text(encoding="utf-8"))["nodes"])
        for suffix, labels, horizontal in MODES:
            if horizontal and nodes > HORIZONTAL_LIMIT:
                continue
            data = _as_json(lay_out(path, labels, horizontal))
            target = args.folder / f"{path.stem}.{suffix}.json"
            if args.action == "save":
                target.write_text(json.dumps(data), encoding="utf-8")
                print(f"{target.name}\tsaved", flush=True)
                continue
            if not target.is_file():
                print(f"{target.name}\tno saved layout", flush=True)
                status = 1
                continue
            verdict = compare(json.loads(target.read_text(encoding="utf-8")), data)
            status |= verdict != "identical"
            print(f"{target.name}\t{verdict}", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
